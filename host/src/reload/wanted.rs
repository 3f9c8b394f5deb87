//! What the chains should hold right now: the plugins the configuration
//! file names, at the places it puts them, and the plugins in the plugin
//! directory, appended to every chain in file-name order. Recomputed on
//! every change to the directory, so adding, removing or renaming a file
//! is just a different answer here.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::config::{Config, WasmProcessor, dropped_in_settings, scan_plugin_directory};
use crate::otlp::Signal;

/// Where a plugin's place and settings come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A `wasm/…` processor in the configuration file.
    Config,
    /// A file dropped into the plugin directory.
    Directory,
}

/// One plugin as wanted: its file, settings and configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Wanted {
    /// Processor id (`wasm/…` or `dir/…`).
    pub id: String,
    /// Where it comes from.
    pub origin: Origin,
    /// File, limits and failure policy.
    pub settings: WasmProcessor,
    /// Its configuration as JSON, or why that could not be read (a broken
    /// sidecar file).
    pub config: Result<String, String>,
}

/// One pipeline's chain, as processor ids in order.
#[derive(Clone, Debug, PartialEq)]
pub struct WantedChain {
    /// Pipeline id.
    pub pipeline: String,
    /// Its signal.
    pub signal: Signal,
    /// Processor ids, in chain order.
    pub plugins: Vec<String>,
}

/// Everything wanted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WantedSet {
    /// Plugins by processor id, in first-use order.
    pub plugins: IndexMap<String, Wanted>,
    /// Every pipeline's chain, in configuration order.
    pub chains: Vec<WantedChain>,
}

/// What `config` and the plugin directory ask for now.
pub fn wanted(config: &Config) -> crate::config::Result<WantedSet> {
    let mut set = WantedSet::default();
    for pipeline in &config.pipelines {
        for plugin in &pipeline.plugins {
            set.plugins
                .entry(plugin.id.clone())
                .or_insert_with(|| Wanted {
                    id: plugin.id.clone(),
                    origin: Origin::Config,
                    settings: plugin.settings.clone(),
                    config: Ok(plugin.config_json.clone()),
                });
        }
    }
    let claimed: Vec<PathBuf> = set
        .plugins
        .values()
        .map(|p| p.settings.path.clone())
        .collect();
    let dropped_in = match &config.plugin_directory {
        Some(dir) => scan_plugin_directory(dir, &claimed)?,
        None => Vec::new(),
    };
    for pipeline in &config.pipelines {
        let mut plugins: Vec<String> = pipeline.plugins.iter().map(|p| p.id.clone()).collect();
        plugins.extend(dropped_in.iter().map(|d| d.id.clone()));
        set.chains.push(WantedChain {
            pipeline: pipeline.id.clone(),
            signal: pipeline.signal,
            plugins,
        });
    }
    for d in dropped_in {
        set.plugins.insert(
            d.id.clone(),
            Wanted {
                id: d.id,
                origin: Origin::Directory,
                settings: dropped_in_settings(d.path),
                config: d.config,
            },
        );
    }
    Ok(set)
}

impl WantedSet {
    /// Puts plugin `id` back as `previous` had it, in the chains it was in
    /// there, among the other directory plugins in file-name order: a
    /// plugin whose file has just vanished stays in place while weir waits
    /// to see whether the file comes back (an editor moving it away before
    /// writing the new one).
    pub fn keep_vanished(&mut self, previous: &WantedSet, id: &str) {
        let Some(plugin) = previous.plugins.get(id) else {
            return;
        };
        if self.plugins.contains_key(id) {
            return;
        }
        for chain in &mut self.chains {
            let was_there = previous
                .chains
                .iter()
                .any(|c| c.pipeline == chain.pipeline && c.plugins.iter().any(|p| p == id));
            if !was_there {
                continue;
            }
            let at = chain
                .plugins
                .iter()
                .position(|p| {
                    self.plugins.get(p).is_some_and(|w| {
                        w.origin == Origin::Directory && w.settings.path > plugin.settings.path
                    })
                })
                .unwrap_or(chain.plugins.len());
            chain.plugins.insert(at, id.to_string());
        }
        self.plugins.insert(id.to_string(), plugin.clone());
    }
}

/// The directories to watch: the plugin directory and the directories of
/// the plugin files the configuration names (a file is watched through its
/// directory, so that an editor's write-and-rename is seen).
pub fn watched_directories(config: &Config) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = config.plugin_directory.iter().cloned().collect();
    for pipeline in &config.pipelines {
        for plugin in &pipeline.plugins {
            if let Some(parent) = plugin.settings.path.parent()
                && !dirs.iter().any(|d| d == parent)
            {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    dirs
}

/// Whether a change to `path` can change what is wanted or loaded.
pub fn is_relevant(config: &Config, path: &Path) -> bool {
    let in_plugin_directory = config
        .plugin_directory
        .as_deref()
        .is_some_and(|dir| path.parent() == Some(dir));
    in_plugin_directory
        || config
            .pipelines
            .iter()
            .flat_map(|p| &p.plugins)
            .any(|p| p.settings.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration with `wasm/claimed` in the logs pipeline and a
    /// plugin directory holding `10-a`, `20-b` and the claimed file.
    fn example() -> (tempfile::TempDir, Config, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        for name in ["20-b.wasm", "10-a.wasm", "30-claimed.wasm"] {
            std::fs::write(plugins.join(name), b"").unwrap();
        }
        let yaml = "receivers:\n  otlp:\n    protocols:\n      grpc:\n\
                    processors:\n  wasm/claimed:\n    path: plugins/30-claimed.wasm\n\
                    exporters:\n  null:\n\
                    service:\n  plugins:\n    directory: plugins\n  pipelines:\n\
                    \x20   logs:\n      receivers: [otlp]\n      processors: [wasm/claimed]\n      exporters: [null]\n\
                    \x20   traces:\n      receivers: [otlp]\n      exporters: [null]\n";
        let path = dir.path().join("weir.yaml");
        std::fs::write(&path, yaml).unwrap();
        let config = crate::config::load(&path).unwrap();
        (dir, config, plugins)
    }

    fn chains(set: &WantedSet) -> Vec<(&str, Vec<&str>)> {
        set.chains
            .iter()
            .map(|c| {
                (
                    c.pipeline.as_str(),
                    c.plugins.iter().map(String::as_str).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn configured_plugins_come_first_and_keep_their_files_out_of_the_directory_scan() {
        let (dir, config, plugins) = example();
        let set = wanted(&config).unwrap();
        assert_eq!(
            chains(&set),
            [
                ("logs", vec!["wasm/claimed", "dir/10-a", "dir/20-b"]),
                ("traces", vec!["dir/10-a", "dir/20-b"]),
            ]
        );
        assert_eq!(set.plugins["wasm/claimed"].origin, Origin::Config);
        assert_eq!(set.plugins["dir/10-a"].origin, Origin::Directory);

        assert!(is_relevant(&config, &plugins.join("40-new.wasm")));
        assert!(is_relevant(&config, &plugins.join("10-a.yaml")));
        assert!(!is_relevant(&config, &dir.path().join("weir.yaml")));
        let dirs = watched_directories(&config);
        assert_eq!(dirs.len(), 1, "{dirs:?}");
    }

    #[test]
    fn a_vanished_plugin_is_kept_in_its_place() {
        let (_dir, config, plugins) = example();
        let before = wanted(&config).unwrap();
        for vanished in ["10-a", "20-b"] {
            let file = plugins.join(format!("{vanished}.wasm"));
            std::fs::rename(&file, plugins.join(".moved-away")).unwrap();
            let mut now = wanted(&config).unwrap();
            let id = format!("dir/{vanished}");
            assert!(!now.plugins.contains_key(&id));
            now.keep_vanished(&before, &id);
            assert_eq!(chains(&now), chains(&before), "{vanished}");
            assert_eq!(now.plugins[&id], before.plugins[&id]);
            std::fs::rename(plugins.join(".moved-away"), &file).unwrap();
        }
    }
}
