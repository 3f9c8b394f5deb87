// Package weir is for writing weir plugins in Go.
//
// A plugin registers, in an init function, what it is and a function that
// builds it from its configuration; the value built serves every batch
// (state lives on it):
//
//	func init() {
//		weir.Register(weir.Info{Name: "drop-debug", Signals: []weir.Signal{weir.Logs}},
//			func(c *weir.Config) (weir.Plugin, error) { return dropDebug{}, nil })
//	}
//
//	func (dropDebug) Process(b *weir.Batch) (weir.Outcome, error) { ... }
//
// The bindings wit-bindgen generates from wit/ stay behind this package;
// guest-sdk/go/build.sh builds a plugin directory (package main).
package weir

import (
	"wit_component/weir_plugin_log"
	"wit_component/weir_plugin_types"
)

// Signal is a kind of telemetry.
type Signal = weir_plugin_types.Signal

// The signals.
const (
	Logs    Signal = weir_plugin_types.Signal_Logs
	Metrics Signal = weir_plugin_types.Signal_Metrics
	Traces  Signal = weir_plugin_types.Signal_Traces
)

// Info is what a plugin says about itself.
type Info struct {
	Name, Version, Description string
	// Signals the plugin wants; empty means all.
	Signals []Signal
}

// Plugin decides about batches.
type Plugin interface {
	Process(batch *Batch) (Outcome, error)
}

// Factory builds the plugin from its configuration (once per instance).
type Factory func(config *Config) (Plugin, error)

var (
	registeredInfo    Info
	registeredFactory Factory
)

// Register makes this the component's plugin; call it once, from init.
func Register(info Info, factory Factory) {
	if info.Version == "" {
		info.Version = "0.0.0"
	}
	registeredInfo, registeredFactory = info, factory
}

// Registered is what Register was given (for the export glue).
func Registered() (Info, Factory) { return registeredInfo, registeredFactory }

// Log levels.
const (
	Trace = weir_plugin_log.Level_Trace
	Debug = weir_plugin_log.Level_Debug
	Information = weir_plugin_log.Level_Info
	Warn  = weir_plugin_log.Level_Warn
	Error = weir_plugin_log.Level_Error
)

// Log writes a line to weir's log.
func Log(level uint8, message string) { weir_plugin_log.Log(level, message) }

// ProcessFunc is a Plugin made of one function: state can live in the
// variables the factory's closure captures.
type ProcessFunc func(batch *Batch) (Outcome, error)

// Process calls the function.
func (f ProcessFunc) Process(batch *Batch) (Outcome, error) { return f(batch) }
