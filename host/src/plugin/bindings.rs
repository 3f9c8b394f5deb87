//! The one `bindgen!` site: Rust bindings for the `weir:plugin` world.
//!
//! Every host function of `weir:plugin/*` is trappable, so that a guest
//! passing a record number out of range (or asking a log accessor about a
//! span) gets a trap with a message, not a silently wrong answer.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: trappable },
    with: {
        "weir:plugin/types.batch": super::batch_resource::BatchResource,
    },
});

pub(crate) use exports::weir::plugin::processor::PluginInfo as WitPluginInfo;
pub(crate) use weir::plugin::log::Level as LogLevel;
pub(crate) use weir::plugin::types::{
    AttributesOf, KeyValue as WitKeyValue, MetricType, Number, Outcome, Selection,
    Signal as WitSignal, SpanKind, StatusCode, Value as WitValue,
};
