//! Writes the seed corpus under `fuzz/corpus/` from real inputs: the
//! requests `weir gen` sends, their OTLP/JSON, compressed bodies (and a
//! bomb), Kafka messages with headers, the example configurations, and
//! small components. Run by hand when a target's input layout changes:
//! `cargo test -p weir --lib fuzzing::seeds -- --ignored`.

use std::io::Write;
use std::path::PathBuf;

use crate::loadgen::data::request;
use crate::otlp::{Batch, Signal};

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn prefixed(prefix: &[u8], data: &[u8]) -> Vec<u8> {
    [prefix, data].concat()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The index of `signal` as the checks' leading byte picks it.
fn signal_byte(signal: Signal) -> u8 {
    Signal::ALL.iter().position(|s| *s == signal).unwrap() as u8
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    let mut rng = fastrand::Rng::with_seed(20);
    for signal in Signal::ALL {
        let s = signal_byte(signal);
        for records in [0, 1, 3] {
            let proto = request(signal, records, &mut rng, 1_700_000_000_000_000_000);
            let json = Batch::decode(signal, &proto)
                .unwrap()
                .to_json_value()
                .to_string();
            let name = format!("{signal}-{records}");
            write("otlp_wire", &name, &prefixed(&[s], &proto));
            write("otlp_json", &name, &prefixed(&[s], json.as_bytes()));
            if records == 1 {
                // gzip limited to 64 KiB, zstd to 4 KiB.
                write(
                    "decompress",
                    &format!("gzip-{name}"),
                    &prefixed(&[2, 5], &gzip(&proto)),
                );
                let z = zstd::encode_all(&proto[..], 3).unwrap();
                write(
                    "decompress",
                    &format!("zstd-{name}"),
                    &prefixed(&[4, 4], &z),
                );
                // Two headers, one not UTF-8.
                let headers = [
                    2, 6, b't', b'e', b'n', b'a', b'n', b't', 4, b'a', b'c', b'm', b'e', 3, b'r',
                    b'a', b'w', 1, 0xff,
                ];
                let proto_msg = prefixed(&[s], &prefixed(&headers, &proto));
                write("kafka_message", &format!("proto-{name}"), &proto_msg);
                let json_msg = prefixed(&[s | 4], &prefixed(&headers, json.as_bytes()));
                write("kafka_message", &format!("json-{name}"), &json_msg);
            }
        }
    }
    let mixed = include_str!("../../../tests/data/mixed-severity-logs.json");
    write(
        "otlp_json",
        "mixed-severity-logs",
        &prefixed(&[0], mixed.as_bytes()),
    );
    write(
        "kafka_message",
        "garbage",
        &[0, 1, 1, b'h', 1, b'v', 0xff, 0xff],
    );
    // A bomb: 8 MiB of zeros under the 1 MiB limit, and identity.
    write(
        "decompress",
        "gzip-bomb",
        &prefixed(&[2, 6], &gzip(&vec![0; 8 << 20])),
    );
    write("decompress", "identity", b"\x01\x03plain body");

    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        write("config_yaml", &name, &std::fs::read(&path).unwrap());
    }
    write(
        "config_yaml",
        "default.yaml",
        crate::config::DEFAULT_YAML.as_bytes(),
    );

    let component = |wat: &str| wat::parse_str(wat).unwrap();
    write(
        "plugin_precheck",
        "imports.wasm",
        &component(
            r#"(component
                (import "weir:plugin/log@0.1.0" (instance))
                (import "wasi:cli/stderr@0.2.6" (instance))
                (core module (func (export "f")))
            )"#,
        ),
    );
    write(
        "plugin_precheck",
        "wasi-http.wasm",
        &component(r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))"#),
    );
    write(
        "plugin_precheck",
        "nested.wasm",
        &component(
            r#"(component
                (component (import "anything:else/x" (instance)))
                (import "weir:plugin/types@0.2.0" (instance))
            )"#,
        ),
    );
    write(
        "plugin_precheck",
        "core-module.wasm",
        &wat::parse_str("(module)").unwrap(),
    );
    write("plugin_precheck", "not-wasm", b"#!/bin/sh\necho\n");
}
