//! The `processors` section: `batch`, `memory_limiter` and `wasm`
//! processors parsed and checked, by type (a pipeline's list is checked
//! against them in [`pipelines`](super::pipelines)).

use std::path::Path;

use indexmap::IndexMap;

use super::{PluginSpec, component_type, field};
use crate::config::components::{BatchProcessor, MemoryLimiterProcessor, WasmProcessor};
use crate::config::{RawConfig, Result, component};

/// The processors defined, by type and id.
pub(super) struct Processors {
    pub batches: IndexMap<String, BatchProcessor>,
    pub plugins: IndexMap<String, PluginSpec>,
    pub limiters: IndexMap<String, MemoryLimiterProcessor>,
}

/// Every processor defined; relative plugin paths are taken from `base`.
pub(super) fn resolve(raw: &RawConfig, base: &Path) -> Result<Processors> {
    let mut batches = IndexMap::new();
    let mut plugins = IndexMap::new();
    let mut limiters = IndexMap::new();
    for (id, value) in &raw.processors {
        match component_type(id) {
            "memory_limiter" => {
                let limiter: MemoryLimiterProcessor = component("processors", id, value)?;
                if limiter.check_interval.is_zero() {
                    return Err(field(
                        format!("processors.{id}.check_interval"),
                        "required, above 0 (e.g. 1s)",
                    ));
                }
                let (limit, spike, unit) = if limiter.limit_mib > 0 {
                    (limiter.limit_mib, limiter.spike_limit_mib, "mib")
                } else if limiter.limit_percentage > 0 {
                    if limiter.limit_percentage > 100 {
                        return Err(field(
                            format!("processors.{id}.limit_percentage"),
                            "at most 100",
                        ));
                    }
                    (
                        u64::from(limiter.limit_percentage),
                        limiter.spike_limit_percentage.map(u64::from),
                        "percentage",
                    )
                } else {
                    return Err(field(
                        format!("processors.{id}.limit_mib"),
                        "give `limit_mib` or `limit_percentage`",
                    ));
                };
                if spike.is_some_and(|spike| spike >= limit) {
                    return Err(field(
                        format!("processors.{id}.spike_limit_{unit}"),
                        format!("must be below `limit_{unit}`"),
                    ));
                }
                limiters.insert(id.clone(), limiter);
            }
            "batch" => {
                let batch: BatchProcessor = component("processors", id, value)?;
                if batch.send_batch_size == 0 {
                    return Err(field(
                        format!("processors.{id}.send_batch_size"),
                        "must be at least 1",
                    ));
                }
                batches.insert(id.clone(), batch);
            }
            "wasm" => {
                let mut wasm: WasmProcessor = component("processors", id, value)?;
                if wasm.path.is_relative() {
                    wasm.path = base.join(&wasm.path);
                }
                let config_json = match &wasm.config {
                    None => "{}".to_string(),
                    Some(v) => serde_json::to_string(v)
                        .map_err(|e| field(format!("processors.{id}.config"), e.to_string()))?,
                };
                plugins.insert(
                    id.clone(),
                    PluginSpec {
                        id: id.clone(),
                        settings: wasm,
                        config_json,
                    },
                );
            }
            other => {
                return Err(field(
                    format!("processors.{id}"),
                    format!(
                        "unknown processor type `{other}` (known: batch, memory_limiter, wasm)"
                    ),
                ));
            }
        }
    }
    Ok(Processors {
        batches,
        plugins,
        limiters,
    })
}
