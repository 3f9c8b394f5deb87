// severity-filter in Go: drops log records below a configured severity
// (the same configuration as plugins/severity-filter).
package main

import "wit_component/weir"

type severityFilter struct {
	min             uint8
	keepUnspecified bool
}

func init() {
	weir.Register(weir.Info{Name: "severity-filter", Description: "Drops log records below a configured severity",
		Signals: []weir.Signal{weir.Logs}}, func(c *weir.Config) (weir.Plugin, error) {
		return &severityFilter{c.Severity("min_severity"), c.Bool("keep_unspecified", true)}, nil
	})
}

func (f *severityFilter) Process(b *weir.Batch) (weir.Outcome, error) {
	s := b.SeverityNumbers()
	return weir.KeepWhere(len(s), func(i int) bool { return s[i] >= f.min || (s[i] == 0 && f.keepUnspecified) }), nil
}
