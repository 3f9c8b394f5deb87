//! The [`Plugin`] trait a plugin implements, what it says about itself
//! ([`Info`]), and the per-record [`Decision`].

use crate::wit::exports::weir::plugin::processor::PluginInfo;
use crate::{Batch, Config, Outcome, Record, Router, Signal};

/// A weir plugin. Implement [`Plugin::process`] for the whole batch at once
/// (fastest), or [`Plugin::record`] for one record at a time (simplest),
/// then export it with [`export_plugin!`](crate::export_plugin).
pub trait Plugin: Sized + 'static {
    /// What the plugin is; shown by `weir plugin check`, used in weir's
    /// logs and metrics.
    fn info() -> Info;

    /// Builds the plugin from its configuration (JSON; `{}` if none). An
    /// error is shown to the user and the plugin is not loaded.
    fn init(config: Config) -> Result<Self, String>;

    /// Decides about one batch. The default asks [`Plugin::record`] about
    /// each record.
    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let mut router = Router::new(batch.len());
        for record in batch.records() {
            match self.record(record)? {
                Decision::Keep => router.keep(record.index()),
                Decision::Drop => {}
                Decision::Route(name) => router.route(record.index(), &name),
                Decision::KeepAndRoute(name) => {
                    router.keep(record.index());
                    router.route(record.index(), &name);
                }
            }
        }
        Ok(router.finish())
    }

    /// Decides about one record; used by the default [`Plugin::process`].
    /// The default keeps every record.
    fn record(&self, record: Record<'_>) -> Result<Decision, String> {
        let _ = record;
        Ok(Decision::Keep)
    }
}

/// What happens to one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The record continues down the pipeline.
    Keep,
    /// The record is dropped.
    Drop,
    /// The record leaves the chain for the named route.
    Route(String),
    /// The record continues, and a copy goes to the named route.
    KeepAndRoute(String),
}

/// What a plugin says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    name: String,
    version: String,
    description: String,
    signals: Vec<Signal>,
}

impl Info {
    /// A plugin called `name` that does `description` (one line), for all
    /// signals, version `0.0.0` until [`Info::version`] says otherwise.
    pub fn new(name: &str, description: &str) -> Info {
        Info {
            name: name.to_string(),
            version: "0.0.0".to_string(),
            description: description.to_string(),
            signals: Vec::new(),
        }
    }

    /// The plugin's version, e.g. `env!("CARGO_PKG_VERSION")`.
    pub fn version(mut self, version: &str) -> Info {
        self.version = version.to_string();
        self
    }

    /// The signals the plugin wants; weir does not call it for others.
    pub fn signals(mut self, signals: &[Signal]) -> Info {
        self.signals = signals.to_vec();
        self
    }

    pub(crate) fn into_wit(self) -> PluginInfo {
        PluginInfo {
            name: self.name,
            version: self.version,
            description: self.description,
            signals: self.signals,
        }
    }
}
