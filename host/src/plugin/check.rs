//! Is this file a weir plugin? Checks in the order a user's mistakes
//! happen: not WebAssembly at all, a core module instead of a component,
//! a component of another world, another version of weir's world. (An
//! import weir does not provide is caught earlier, before compiling: see
//! `imports.rs`.)

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::error::{Error, Result};

/// The WIT package plugins target.
pub const WORLD_PACKAGE: &str = "weir:plugin";
/// The version of the WIT package this weir implements.
pub const WORLD_VERSION: &str = "0.1.0";
/// The interface every plugin exports.
pub(crate) const PROCESSOR_EXPORT: &str = "weir:plugin/processor@0.1.0";

/// What a component imports and exports, for `weir plugin check`.
#[derive(Clone, Debug, Default)]
pub struct ComponentReport {
    /// Import names, e.g. `weir:plugin/log@0.1.0`, `wasi:cli/stderr@0.2.6`.
    pub imports: Vec<String>,
    /// Export names with the functions each exported instance has: all of
    /// them, also those a toolchain adds of its own (componentize-py
    /// exports its `init`). [`ComponentReport::weir_exports`] has weir's.
    pub exports: Vec<(String, Vec<String>)>,
}

impl ComponentReport {
    /// The exports weir calls: those of the `weir:plugin` package.
    pub fn weir_exports(&self) -> impl Iterator<Item = &(String, Vec<String>)> {
        let prefix = format!("{WORLD_PACKAGE}/");
        self.exports
            .iter()
            .filter(move |(name, _)| name.starts_with(&prefix))
    }
}

/// Checks the binary header before handing bytes to the compiler, whose
/// errors for these common mistakes would be cryptic.
pub(crate) fn check_header(bytes: &[u8]) -> Result<()> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(Error::NotWasm);
    }
    // The 4 bytes after the magic are a little-endian version and layer:
    // layer 0 is a core module, layer 1 a component.
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let layer = u16::from_le_bytes([bytes[6], bytes[7]]);
    match layer {
        0 => Err(Error::CoreModule),
        1 => Ok(()),
        _ => Err(Error::UnknownBinary { version, layer }),
    }
}

/// Lists a component's imports and exports and checks them against the
/// weir world.
pub(crate) fn check_world(engine: &Engine, component: &Component) -> Result<ComponentReport> {
    let ty = component.component_type();
    let mut report = ComponentReport::default();
    for (name, _) in ty.imports(engine) {
        report.imports.push(name.to_string());
    }
    for (name, ext) in ty.exports(engine) {
        let funcs = match &ext.ty {
            ComponentItem::ComponentInstance(instance) => instance
                .exports(engine)
                .filter(|(_, e)| matches!(e.ty, ComponentItem::ComponentFunc(_)))
                .map(|(f, _)| f.to_string())
                .collect(),
            _ => Vec::new(),
        };
        report.exports.push((name.to_string(), funcs));
    }

    if !report.exports.iter().any(|(n, _)| n == PROCESSOR_EXPORT) {
        let processor = format!("{WORLD_PACKAGE}/processor@");
        if let Some((other, _)) = report
            .exports
            .iter()
            .find(|(n, _)| n.starts_with(&processor))
        {
            return Err(Error::WrongVersion {
                found: other.clone(),
                expected: PROCESSOR_EXPORT.to_string(),
                supported: WORLD_VERSION,
            });
        }
        let found = if report.exports.is_empty() {
            "nothing".to_string()
        } else {
            report
                .exports
                .iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::WrongWorld {
            expected: PROCESSOR_EXPORT.to_string(),
            found,
        });
    }

    // Imports were checked before compiling (imports.rs).
    Ok(report)
}
