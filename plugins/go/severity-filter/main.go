// severity-filter in Go: drops log records below a configured severity
// (the same configuration as plugins/severity-filter).
package main

import "wit_component/weir"

func init() {
	info := weir.Info{Name: "severity-filter", Description: "Drops log records below a configured severity", Signals: []weir.Signal{weir.Logs}}
	weir.Register(info, func(c *weir.Config) (weir.Plugin, error) {
		min, keepUnspecified := c.Severity("min_severity"), c.Bool("keep_unspecified", true)
		return weir.ProcessFunc(func(b *weir.Batch) (weir.Outcome, error) {
			s := b.SeverityNumbers()
			return weir.KeepWhere(len(s), func(i int) bool { return s[i] >= min || (s[i] == 0 && keepUnspecified) }), nil
		}), nil
	})
}
