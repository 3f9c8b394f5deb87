//! The plugin directory: `*.wasm` files dropped in beside the configured
//! processors, in file-name order, each with an optional sidecar
//! configuration file. Read once at start-up (watching it for changes is
//! the hot-reload work).

use std::path::{Path, PathBuf};

use super::components::{OnFailure, WasmProcessor};
use super::resolve::PluginSpec;
use super::{Error, Result};

/// The plugins in `dir`, ordered by file name; none if `dir` does not
/// exist.
pub fn scan_plugin_directory(dir: &Path) -> Result<Vec<PluginSpec>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(PluginSpec {
                id: format!("dir/{stem}"),
                config_json: sidecar_config(&path)?,
                settings: WasmProcessor {
                    path,
                    config: None,
                    on_failure: OnFailure::Pass,
                    memory_limit_mib: 64,
                    timeout: std::time::Duration::from_millis(500),
                },
            })
        })
        .collect()
}

/// The JSON configuration from `NAME.yaml`, `NAME.yml` or `NAME.json`
/// beside `NAME.wasm`; `{}` if there is none.
fn sidecar_config(wasm: &Path) -> Result<String> {
    for ext in ["yaml", "yml", "json"] {
        let sidecar = wasm.with_extension(ext);
        let text = match std::fs::read_to_string(&sidecar) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(Error::Read {
                    path: sidecar,
                    source,
                });
            }
        };
        if text.trim().is_empty() {
            return Ok("{}".to_string());
        }
        let value: serde_json::Value = serde_norway::from_str(&text).map_err(|e| Error::Field {
            path: sidecar.display().to_string(),
            message: e.to_string(),
        })?;
        return Ok(value.to_string());
    }
    Ok("{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_in_name_order_with_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("20-redact.wasm"), b"").unwrap();
        std::fs::write(dir.path().join("10-filter.wasm"), b"").unwrap();
        std::fs::write(dir.path().join("10-filter.yaml"), "min_severity: WARN\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
        let plugins = scan_plugin_directory(dir.path()).unwrap();
        let ids: Vec<_> = plugins.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["dir/10-filter", "dir/20-redact"]);
        assert_eq!(plugins[0].config_json, r#"{"min_severity":"WARN"}"#);
        assert_eq!(plugins[1].config_json, "{}");
    }

    #[test]
    fn a_missing_directory_holds_no_plugins() {
        assert!(
            scan_plugin_directory(Path::new("/nonexistent/weir"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_sidecar_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.wasm"), b"").unwrap();
        std::fs::write(dir.path().join("p.yaml"), "a: [1").unwrap();
        let err = scan_plugin_directory(dir.path()).unwrap_err().to_string();
        assert!(err.contains("p.yaml"), "{err}");
    }
}
