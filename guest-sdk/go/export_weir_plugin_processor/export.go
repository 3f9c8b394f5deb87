// Package export_weir_plugin_processor is weir:plugin/processor as the
// generated bindings call it, forwarding to the plugin registered with
// weir.Register. It keeps the plugin built by Init for every batch, and
// drops the borrowed batch before Process returns (else wasmtime traps:
// "borrow handles still remain").
package export_weir_plugin_processor

import (
	"wit_component/weir"
	"wit_component/weir_plugin_processor"
	"wit_component/weir_plugin_types"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

var plugin weir.Plugin

func Describe() weir_plugin_processor.PluginInfo {
	info, _ := weir.Registered()
	signals := info.Signals
	if signals == nil {
		signals = []weir.Signal{}
	}
	return weir_plugin_processor.PluginInfo{
		Name: info.Name, Version: info.Version, Description: info.Description, Signals: signals,
	}
}

func Init(text string) witTypes.Result[witTypes.Unit, string] {
	_, factory := weir.Registered()
	if factory == nil {
		return witTypes.Err[witTypes.Unit]("no plugin registered: call weir.Register from an init function")
	}
	config := weir.ParseConfig(text)
	built, err := factory(config)
	if err == nil {
		err = config.Err()
	}
	if err != nil {
		return witTypes.Err[witTypes.Unit](err.Error())
	}
	plugin = built
	return witTypes.Ok[witTypes.Unit, string](witTypes.Unit{})
}

func Process(batch *weir_plugin_types.Batch) witTypes.Result[weir_plugin_types.Outcome, string] {
	defer batch.Drop()
	if plugin == nil {
		return witTypes.Err[weir_plugin_types.Outcome]("weir called `process` before `init`")
	}
	outcome, err := plugin.Process(weir.WrapBatch(batch))
	if err != nil {
		return witTypes.Err[weir_plugin_types.Outcome](err.Error())
	}
	return witTypes.Ok[weir_plugin_types.Outcome, string](outcome.ToWit())
}
