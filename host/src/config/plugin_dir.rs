//! The plugin directory: `*.wasm` files dropped in beside the configured
//! processors, in file-name order, each with an optional sidecar
//! configuration file. Scanned at start-up and again by hot reload
//! whenever something in the directory changes.

use std::path::{Path, PathBuf};

use super::components::{OnFailure, WasmProcessor};
use super::{Error, Result};

/// A `.wasm` file found in the plugin directory.
#[derive(Clone, Debug, PartialEq)]
pub struct DroppedIn {
    /// Processor id: `dir/` and the file stem, e.g. `dir/10-filter`.
    pub id: String,
    /// The file.
    pub path: PathBuf,
    /// Its configuration as JSON text, from the sidecar file (`{}` if
    /// none), or why the sidecar could not be read.
    pub config: Result<String, String>,
}

/// The settings every dropped-in plugin runs with: failures pass the
/// batch on, 64 MiB of memory, 500 ms per call.
pub fn dropped_in_settings(path: PathBuf) -> WasmProcessor {
    WasmProcessor {
        path,
        config: None,
        on_failure: OnFailure::Pass,
        memory_limit_mib: 64,
        timeout: std::time::Duration::from_millis(500),
    }
}

/// The plugins in `dir`, ordered by file name, leaving out the files in
/// `claimed` (those the configuration file names as processors, which
/// take their place and settings from there) and hidden files (editors'
/// temporary files). None if `dir` does not exist.
pub fn scan_plugin_directory(dir: &Path, claimed: &[PathBuf]) -> Result<Vec<DroppedIn>> {
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
    let claimed: Vec<PathBuf> = claimed.iter().map(|p| canonical(p)).collect();
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .filter(|p| !claimed.contains(&canonical(p)))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            DroppedIn {
                id: format!("dir/{stem}"),
                config: sidecar_config(&path).map_err(|e| e.to_string()),
                path,
            }
        })
        .collect())
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
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
        std::fs::write(dir.path().join(".20-redact.wasm.swp"), b"").unwrap();
        std::fs::write(dir.path().join("30-claimed.wasm"), b"").unwrap();
        let claimed = [dir.path().join("30-claimed.wasm")];
        let plugins = scan_plugin_directory(dir.path(), &claimed).unwrap();
        let ids: Vec<_> = plugins.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["dir/10-filter", "dir/20-redact"]);
        assert_eq!(
            plugins[0].config,
            Ok(r#"{"min_severity":"WARN"}"#.to_string())
        );
        assert_eq!(plugins[1].config, Ok("{}".to_string()));
    }

    #[test]
    fn a_missing_directory_holds_no_plugins() {
        assert!(
            scan_plugin_directory(Path::new("/nonexistent/weir"), &[])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_sidecar_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.wasm"), b"").unwrap();
        std::fs::write(dir.path().join("p.yaml"), "a: [1").unwrap();
        let plugins = scan_plugin_directory(dir.path(), &[]).unwrap();
        let err = plugins[0].config.clone().unwrap_err();
        assert!(err.contains("p.yaml"), "{err}");
    }
}
