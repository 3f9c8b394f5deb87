//! What a component imports, read from its bytes before anything is
//! compiled, and checked against what weir gives plugins.
//!
//! Compiling a 15 MB JavaScript or Python component takes many seconds; a
//! missing import (jco's default `wasi:http`, for one) would otherwise only
//! show after that, as a linker message about a "resource implementation".
//! Reading the import section first (wasmparser, which wasmtime itself
//! parses with) answers at once, and names what weir does offer.

use wasmparser::{Parser, Payload};

use super::check::{WORLD_PACKAGE, WORLD_VERSION};
use super::error::{Error, Result};

/// The WASI 0.2 interfaces weir links for plugins
/// (`wasmtime_wasi::p2::add_to_linker_sync`). Filesystem, sockets,
/// environment and clocks are there so that standard libraries start, but
/// give a plugin nothing (see `state.rs` and `clocks.rs`).
pub(crate) const WASI_INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// weir's own interfaces a plugin may import.
const WEIR_INTERFACES: &[&str] = &["log", "types"];

/// The names of a component's top-level imports (not those of components
/// and modules nested inside it, which the component itself satisfies).
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<String>> {
    let mut imports = Vec::new();
    // Nested modules and components are parsed inline, between their
    // header and their `End`; only depth 0 is the component's own.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        // The same words as a component that fails to compile: to its
        // author, a malformed file is one that does not compile.
        let payload = payload.map_err(|e| Error::Wasmtime {
            context: "the component does not compile",
            message: e.to_string(),
        })?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    let import = import.map_err(|e| Error::Wasmtime {
                        context: "the component's imports are malformed",
                        message: e.to_string(),
                    })?;
                    imports.push(import.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// Whether weir provides the import `name` (`wasi:io/poll@0.2.3`).
pub(crate) fn provided(name: &str) -> bool {
    let (interface, version) = name.split_once('@').unwrap_or((name, ""));
    if let Some(weir) = interface.strip_prefix(&format!("{WORLD_PACKAGE}/")) {
        return WEIR_INTERFACES.contains(&weir) && version == WORLD_VERSION;
    }
    // wasmtime links any 0.2.x import to its own 0.2 implementation.
    WASI_INTERFACES.contains(&interface) && version.starts_with("0.2.")
}

/// Reads a component's imports and refuses it, naming the first import
/// weir lacks and what weir has, before it is compiled. An import of
/// another version of weir's own package is left to the world check,
/// which says which version the plugin was built for.
pub(crate) fn check(bytes: &[u8]) -> Result<Vec<String>> {
    let imports = read(bytes)?;
    let other_weir_version = |name: &str| {
        name.starts_with(&format!("{WORLD_PACKAGE}/"))
            && !name.ends_with(&format!("@{WORLD_VERSION}"))
    };
    if let Some(missing) = imports
        .iter()
        .find(|name| !provided(name) && !other_weir_version(name))
    {
        return Err(Error::UnknownImport {
            import: missing.clone(),
            hint: hint(missing),
            offered: offered(),
        });
    }
    Ok(imports)
}

/// What weir offers, as one line for the error message.
fn offered() -> String {
    let weir = WEIR_INTERFACES
        .iter()
        .map(|i| format!("{WORLD_PACKAGE}/{i}@{WORLD_VERSION}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{weir}, and WASI 0.2.x's {}", WASI_INTERFACES.join(", "))
}

/// A fix for imports that well-known toolchains add by default.
fn hint(import: &str) -> &'static str {
    if import.starts_with("wasi:http/") {
        " (a JavaScript plugin built with jco/componentize-js imports wasi:http \
         unless built with `--disable http fetch-event`)"
    } else if import.starts_with(&format!("{WORLD_PACKAGE}/")) {
        " (rebuild the plugin against this weir's wit/ directory)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    #[test]
    fn top_level_imports_only() {
        let bytes = component(
            r#"(component
                (import "wasi:io/poll@0.2.3" (instance))
                (component (import "inner:thing/x" (instance)))
                (import "weir:plugin/log@0.1.0" (instance)))"#,
        );
        assert_eq!(
            read(&bytes).unwrap(),
            ["wasi:io/poll@0.2.3", "weir:plugin/log@0.1.0"]
        );
        assert_eq!(check(&bytes).unwrap().len(), 2);
    }

    #[test]
    fn wasi_http_is_refused_with_what_weir_offers_and_the_fix() {
        let bytes = component(
            r#"(component
                (import "wasi:cli/stderr@0.2.3" (instance))
                (import "wasi:http/types@0.2.3" (instance)))"#,
        );
        let err = check(&bytes).unwrap_err().to_string();
        assert!(err.contains("`wasi:http/types@0.2.3`"), "{err}");
        assert!(err.contains("--disable http fetch-event"), "{err}");
        assert!(err.contains("weir:plugin/log@0.1.0"), "{err}");
        assert!(err.contains("wasi:clocks/monotonic-clock"), "{err}");
    }

    #[test]
    fn versions_must_match() {
        assert!(provided("wasi:random/random@0.2.0"));
        assert!(!provided("wasi:random/random@0.3.0"));
        assert!(!provided("weir:plugin/log@0.2.0"));
        assert!(!provided("weir:plugin/processor@0.1.0"));
        assert!(!provided("wasi:keyvalue/store@0.2.0"));
    }
}
