//! What `weir plugin new` writes for each language: the template (a
//! severity filter) with the plugin's name filled in, and the WIT and SDK
//! files embedded from this repository at build time.

/// A language `weir plugin new` scaffolds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    Rust,
    Python,
    Js,
    C,
    Go,
}

impl Lang {
    pub(crate) fn title(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
            Lang::C => "C",
            Lang::Go => "Go",
        }
    }
}

/// `(path in the project, file)` pairs, embedded at build time.
macro_rules! embed {
    ($($path:literal => $file:literal),* $(,)?) => {
        &[$(($path, include_str!($file))),*]
    };
}

const WIT: &str = include_str!("../../../../wit/plugin.wit");
const SAMPLE: &str = include_str!("../../../../tests/data/mixed-severity-logs.json");
const CONFIG: &str = "# The plugin's configuration, as weir passes it (the `config` block of a\n\
                      # wasm processor in weir's YAML).\nmin_severity: WARN\n";

const RUST_SDK: &[(&str, &str)] = embed! {
    "weir-guest/src/lib.rs" => "../../../../guest-sdk/src/lib.rs",
    "weir-guest/src/batch.rs" => "../../../../guest-sdk/src/batch.rs",
    "weir-guest/src/config.rs" => "../../../../guest-sdk/src/config.rs",
    "weir-guest/src/export.rs" => "../../../../guest-sdk/src/export.rs",
    "weir-guest/src/log.rs" => "../../../../guest-sdk/src/log.rs",
    "weir-guest/src/outcome.rs" => "../../../../guest-sdk/src/outcome.rs",
    "weir-guest/src/plugin.rs" => "../../../../guest-sdk/src/plugin.rs",
    "weir-guest/src/severity.rs" => "../../../../guest-sdk/src/severity.rs",
    "weir-guest/src/value.rs" => "../../../../guest-sdk/src/value.rs",
    "weir-guest/Cargo.toml" => "templates/rust/weir-guest.toml",
    "Cargo.toml" => "templates/rust/Cargo.toml",
    "src/lib.rs" => "templates/rust/lib.rs",
    "build.sh" => "templates/rust/build.sh",
};
const PYTHON_SDK: &[(&str, &str)] = embed! {
    "weir-sdk/weir/__init__.py" => "../../../../guest-sdk/python/weir/__init__.py",
    "weir-sdk/weir/_batch.py" => "../../../../guest-sdk/python/weir/_batch.py",
    "weir-sdk/weir/_config.py" => "../../../../guest-sdk/python/weir/_config.py",
    "weir-sdk/weir/_outcome.py" => "../../../../guest-sdk/python/weir/_outcome.py",
    "weir-sdk/weir/_plugin.py" => "../../../../guest-sdk/python/weir/_plugin.py",
    "weir-sdk/weir_export.py" => "../../../../guest-sdk/python/weir_export.py",
    "weir-sdk/build.sh" => "../../../../guest-sdk/python/build.sh",
    "app.py" => "templates/python/app.py",
};
const JS_SDK: &[(&str, &str)] = embed! {
    "weir-sdk/weir.js" => "../../../../guest-sdk/js/weir.js",
    "weir-sdk/build.sh" => "../../../../guest-sdk/js/build.sh",
    "app.js" => "templates/js/app.js",
};
const C_SDK: &[(&str, &str)] = embed! {
    "weir-sdk/weir.h" => "../../../../guest-sdk/c/weir.h",
    "weir-sdk/weir.c" => "../../../../guest-sdk/c/weir.c",
    "weir-sdk/build.sh" => "../../../../guest-sdk/c/build.sh",
    "{{name}}.c" => "templates/c/plugin.c",
};
const GO_SDK: &[(&str, &str)] = embed! {
    "weir-sdk/weir/weir.go" => "../../../../guest-sdk/go/weir/weir.go",
    "weir-sdk/weir/config.go" => "../../../../guest-sdk/go/weir/config.go",
    "weir-sdk/weir/batch.go" => "../../../../guest-sdk/go/weir/batch.go",
    "weir-sdk/weir/outcome.go" => "../../../../guest-sdk/go/weir/outcome.go",
    "weir-sdk/export_weir_plugin_processor/export.go" =>
        "../../../../guest-sdk/go/export_weir_plugin_processor/export.go",
    "weir-sdk/build.sh" => "../../../../guest-sdk/go/build.sh",
    "{{name}}.go" => "templates/go/plugin.go",
};

/// The build script of the languages built by their SDK's build.sh.
const SDK_BUILD: &str = include_str!("templates/build.sh");
const README: &str = include_str!("templates/README.md");

/// Every file of a new project, paths relative to its directory.
pub(crate) fn project(lang: Lang, name: &str) -> Vec<(String, String)> {
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{lang}}", lang.title())
    };
    let (files, build) = match lang {
        Lang::Rust => (RUST_SDK, None),
        Lang::Python => (PYTHON_SDK, Some(SDK_BUILD)),
        Lang::Js => (JS_SDK, Some(SDK_BUILD)),
        Lang::C => (C_SDK, Some(SDK_BUILD)),
        Lang::Go => (GO_SDK, Some(SDK_BUILD)),
    };
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|(path, text)| {
            // Only the project's own files are templates; the SDK's are
            // copied as they are.
            let text = if path.starts_with("weir-") {
                text.to_string()
            } else {
                fill(text)
            };
            (fill(path), text)
        })
        .collect();
    if let Some(build) = build {
        out.push(("build.sh".into(), fill(build)));
    }
    out.push(("wit/plugin.wit".into(), WIT.into()));
    out.push(("sample.json".into(), SAMPLE.into()));
    out.push(("config.yaml".into(), CONFIG.into()));
    out.push(("README.md".into(), fill(README)));
    out
}
