//! The checks a plugin file passes before it is compiled
//! (`plugin::loader::precheck`): the binary header (WebAssembly, and a
//! component rather than a core module) and the component's top-level
//! imports, read with wasmparser, against what weir provides. Compiling
//! with wasmtime is not fuzzed here: it is wasmtime's own (fuzzed
//! upstream) and takes far too long per input. The file-size cap is
//! applied while reading the file (`read_plugin_file`), before these.
//!
//! Input: the file's bytes. Checks beyond not crashing: a file that
//! passes starts with the component header, and every import it lists is
//! one weir provides (or another version of weir's own package, which
//! the world check after compiling names); a refusal has a message.

use crate::plugin::check::{WORLD_PACKAGE, WORLD_VERSION};
use crate::plugin::imports;
use crate::plugin::loader::precheck;

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    match precheck(data) {
        Ok(imports) => {
            assert!(data.starts_with(b"\0asm"), "passed without the magic");
            assert_eq!(&data[6..8], &[1, 0], "passed as a non-component");
            for name in &imports {
                let other_weir = name.starts_with(&format!("{WORLD_PACKAGE}/"))
                    && !name.ends_with(&format!("@{WORLD_VERSION}"));
                assert!(
                    imports::provided(name) || other_weir,
                    "passed with an import weir lacks: {name}"
                );
            }
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an empty error: {e:?}"),
    }
}
