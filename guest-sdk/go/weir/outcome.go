package weir

import (
	"sort"

	"wit_component/weir_plugin_types"
)

// Outcome is what a plugin decided: records kept, records routed. A
// record neither kept nor routed is dropped.
type Outcome struct {
	keep   weir_plugin_types.Selection
	routes map[string][]uint32
	all    map[string]bool
}

func newOutcome(keep weir_plugin_types.Selection) Outcome {
	return Outcome{keep: keep, routes: map[string][]uint32{}, all: map[string]bool{}}
}

// KeepAll: every record continues (also what an in-place transform returns).
func KeepAll() Outcome { return newOutcome(weir_plugin_types.MakeSelectionAll()) }

// DropAll: every record is dropped.
func DropAll() Outcome { return newOutcome(weir_plugin_types.MakeSelectionNone()) }

// Keep: the records with these indices continue.
func Keep(indices []uint32) Outcome { return newOutcome(weir_plugin_types.MakeSelectionSome(indices)) }

// KeepWhere keeps record i of n when keep(i); KeepAll or DropAll when all
// agree (weir then touches no record).
func KeepWhere(n int, keep func(i int) bool) Outcome {
	kept := make([]uint32, 0, n)
	for i := 0; i < n; i++ {
		if keep(i) {
			kept = append(kept, uint32(i))
		}
	}
	switch len(kept) {
	case n:
		return KeepAll()
	case 0:
		return DropAll()
	}
	return Keep(kept)
}

// Route sends these records (all if nil) to route name; none continues.
func Route(name string, indices []uint32) Outcome { return DropAll().AlsoRoute(name, indices) }

// AlsoRoute also sends these records (all if nil) to route name.
func (o Outcome) AlsoRoute(name string, indices []uint32) Outcome {
	if indices == nil {
		o.all[name] = true
	}
	o.routes[name] = append(o.routes[name], indices...)
	return o
}

// ToWit is for the export glue.
func (o Outcome) ToWit() weir_plugin_types.Outcome {
	if o.routes == nil {
		o = KeepAll()
	}
	names := make([]string, 0, len(o.routes))
	for name := range o.routes {
		names = append(names, name)
	}
	sort.Strings(names)
	routes := make([]weir_plugin_types.Route, 0, len(names))
	for _, name := range names {
		records := weir_plugin_types.MakeSelectionSome(o.routes[name])
		if o.all[name] {
			records = weir_plugin_types.MakeSelectionAll()
		}
		routes = append(routes, weir_plugin_types.Route{Name: name, Records: records})
	}
	return weir_plugin_types.Outcome{Keep: o.keep, Routes: routes}
}
