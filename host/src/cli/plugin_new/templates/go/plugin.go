// {{name}}: keeps log records at or above a configured severity.
package main

import "wit_component/weir"

type filter struct{ min uint8 }

func init() {
	weir.Register(weir.Info{Name: "{{name}}", Description: "Keeps log records at or above a severity",
		Signals: []weir.Signal{weir.Logs}}, func(c *weir.Config) (weir.Plugin, error) {
		return &filter{c.Severity("min_severity")}, nil
	})
}

func (f *filter) Process(b *weir.Batch) (weir.Outcome, error) {
	s := b.SeverityNumbers()
	return weir.KeepWhere(len(s), func(i int) bool { return s[i] >= f.min }), nil
}
