//! `weir plugin new --lang rust|python|js|c|go NAME`: a plugin project that
//! builds and passes `weir plugin run` as generated.
//!
//! The project is self-contained: besides the plugin's source (a severity
//! filter to start from), it holds a copy of weir's WIT and of the
//! language's SDK (embedded in this binary, so they match the weir that
//! made them), a `build.sh`, a sample batch, a configuration and a README.
//! The languages other than Rust build with the toolchains that weir's
//! `scripts/plugin-toolchains.sh install` puts in the weir cache.

mod files;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

pub(crate) use files::Lang;

/// Arguments of `weir plugin new`.
#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    /// The plugin's language.
    #[arg(long, value_enum)]
    lang: Lang,
    /// The plugin's name (letters, digits, `-` and `_`); also the
    /// directory made for it.
    name: String,
    /// Where to make the directory (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    into: PathBuf,
}

pub(crate) fn run(args: &NewArgs) -> anyhow::Result<ExitCode> {
    check_name(&args.name)?;
    let dir = args.into.join(&args.name);
    if dir.exists() {
        bail!(
            "{} already exists; choose another name or remove it",
            dir.display()
        );
    }
    for (path, contents) in files::project(args.lang, &args.name) {
        write(&dir.join(path), &contents)?;
    }
    println!("made {}: a {} plugin", dir.display(), args.lang.title());
    println!("  build:  bash {}/build.sh", dir.display());
    println!(
        "  try:    weir plugin run {0}/{1}.wasm --input {0}/sample.json --config {0}/config.yaml",
        dir.display(),
        args.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Names end up in file names, a Cargo package name, a Go file: keep them
/// to what all of those accept.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        bail!(
            "invalid plugin name `{name}`: use letters, digits, `-` and `_`, \
             starting with a letter (at most 64 characters)"
        );
    }
    Ok(())
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if path.extension().is_some_and(|e| e == "sh") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("drop-debug_2").is_ok());
        for bad in ["", "2fast", "a/b", "../x", "a b", "é"] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(err.contains("invalid plugin name"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_language_has_source_build_sample_and_readme() {
        for lang in [Lang::Rust, Lang::Python, Lang::Js, Lang::C, Lang::Go] {
            let files = files::project(lang, "my-filter");
            let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            for wanted in [
                "build.sh",
                "sample.json",
                "config.yaml",
                "README.md",
                "wit/plugin.wit",
            ] {
                assert!(
                    names.contains(&wanted),
                    "{lang:?} lacks {wanted}: {names:?}"
                );
            }
            assert!(
                files.iter().all(|(_, c)| !c.contains("{{name")),
                "{lang:?}: a placeholder is left"
            );
        }
    }
}
