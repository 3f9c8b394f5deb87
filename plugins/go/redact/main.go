// redact in Go: masks sensitive attribute values and log bodies (the same
// configuration and behaviour as plugins/redact).
package main

import (
	"strings"

	"wit_component/weir"
)

type redact struct {
	keys        []string
	patterns    *patterns
	replacement string
	bodies      bool
}

var defaultKeys = []string{"password", "passwd", "secret", "api_key", "apikey", "authorization", "cookie"}

func init() {
	weir.Register(weir.Info{
		Name:        "redact",
		Description: "Masks sensitive attribute values and log bodies",
		Signals:     []weir.Signal{weir.Logs, weir.Traces},
	}, func(c *weir.Config) (weir.Plugin, error) {
		p, err := newPatterns(c.Strings("patterns", []string{"email", "bearer", "card"}), c.Strings("custom", nil))
		if err != nil {
			return nil, err
		}
		return &redact{c.Strings("keys", defaultKeys), p, c.String("replacement", "[REDACTED]"), c.Bool("bodies", true)}, nil
	})
}

// masked is the masked form of attribute key's value, if it has one.
func (r *redact) masked(key string, value weir.Value) (string, bool) {
	for _, k := range r.keys {
		if strings.EqualFold(k, key) {
			if value.Tag() == weir.ValueString && value.String() == r.replacement {
				return "", false
			}
			return r.replacement, true
		}
	}
	if value.Tag() != weir.ValueString {
		return "", false
	}
	return r.patterns.mask(value.String(), r.replacement)
}

func (r *redact) Process(b *weir.Batch) (weir.Outcome, error) {
	logs := b.Signal() == weir.Logs
	for record := 0; record < b.Len(); record++ {
		for _, kv := range b.Attributes(weir.OfRecord, record) {
			if masked, ok := r.masked(kv.Key, kv.Value); ok {
				b.SetAttribute(weir.OfRecord, record, kv.Key, weir.StringValue(masked))
			}
		}
		if logs && r.bodies {
			if body := b.Body(record); body.Tag() == weir.ValueString {
				if masked, ok := r.patterns.mask(body.String(), r.replacement); ok {
					b.SetBody(record, weir.StringValue(masked))
				}
			}
		}
	}
	return weir.KeepAll(), nil
}
