//! The glue [`export_plugin!`](crate::export_plugin) expands to: the
//! component's exports, forwarding to a [`Plugin`].

use crate::wit::exports::weir::plugin::processor::PluginInfo;
use crate::wit::weir::plugin::types::Batch as WitBatch;
use crate::{Batch, Config, Outcome, Plugin};

/// `describe`: the plugin's [`Info`](crate::Info) in WIT form.
pub fn describe<P: Plugin>() -> PluginInfo {
    P::info().into_wit()
}

/// `init`: builds the plugin from its configuration.
pub fn init<P: Plugin>(config: String) -> Result<P, String> {
    P::init(Config::new(config))
}

/// `process`: runs the plugin over one batch.
pub fn process<P: Plugin>(
    plugin: Option<&P>,
    batch: &WitBatch,
) -> Result<crate::wit::weir::plugin::types::Outcome, String> {
    let plugin = plugin.ok_or("weir called `process` before `init`")?;
    plugin.process(&Batch::new(batch)).map(Outcome::into_wit)
}

/// Exports a [`Plugin`](crate::Plugin) type as the component's
/// `weir:plugin/processor`. Use it once, at the crate root of a `cdylib`.
///
/// ```ignore
/// weir_guest::export_plugin!(MyPlugin);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            ::std::thread_local! {
                // One instance per component instance: set by `init`, which
                // weir calls exactly once, before any batch.
                static PLUGIN: ::std::cell::OnceCell<$plugin> =
                    const { ::std::cell::OnceCell::new() };
            }

            struct Export;

            impl $crate::__private::Guest for Export {
                fn describe() -> $crate::__private::PluginInfo {
                    $crate::__private::describe::<$plugin>()
                }

                fn init(config: String) -> Result<(), String> {
                    let plugin = $crate::__private::init::<$plugin>(config)?;
                    PLUGIN.with(|cell| cell.set(plugin).map_err(|_| "`init` called twice".into()))
                }

                fn process(
                    batch: &$crate::__private::WitBatch,
                ) -> Result<$crate::__private::WitOutcome, String> {
                    PLUGIN.with(|cell| $crate::__private::process(cell.get(), batch))
                }
            }

            $crate::wit::__export_weir_plugin_world! { Export with_types_in $crate::wit }
        };
    };
}
