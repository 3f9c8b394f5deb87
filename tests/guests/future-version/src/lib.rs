//! `future-version`: a plugin built against `weir:plugin@0.2.0` (a copy of
//! weir's WIT with the version bumped), so the host can be seen saying
//! which version it supports instead of failing obscurely.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::weir::plugin::processor::{Guest, PluginInfo};
use weir::plugin::types::{Batch, Outcome, Selection};

struct Component;

impl Guest for Component {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "future-version".into(),
            version: "0.2.0".into(),
            description: "Built for a weir that does not exist yet".into(),
            signals: Vec::new(),
        }
    }

    fn init(_config: String) -> Result<(), String> {
        Ok(())
    }

    fn process(_batch: &Batch) -> Result<Outcome, String> {
        Ok(Outcome {
            keep: Selection::All,
            routes: Vec::new(),
        })
    }
}

export!(Component);
