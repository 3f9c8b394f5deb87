//! What the S3 tests share: the store's endpoint (a real S3
//! implementation, moto's server mode, started by `scripts/s3-server.sh`),
//! a fresh bucket per test, a client reading back what weir wrote, a
//! switchable TCP proxy that takes the store away, and senders that retry
//! as an OTLP SDK does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir::archive::{Listed, S3Client, S3Uploader};
use weir::otlp::{Batch, Signal};

use crate::daemon_support::Daemon;
use crate::kafka_support::path;

/// The store, from `WEIR_S3_ENDPOINT`; fails the test with how to start
/// one when it is not set. Also gives this process (and the weir it
/// starts) the fixed credentials moto accepts, through the standard AWS
/// variables weir's credential chain reads.
pub fn endpoint() -> String {
    static CREDENTIALS: Once = Once::new();
    CREDENTIALS.call_once(|| {
        // The tests' reqwest clients need a crypto provider even for
        // plain HTTP (see daemon_support); an error means one is there.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // SAFETY: std's environment functions take a process-wide lock,
        // and nothing in this test binary reads the environment through
        // libc directly while tests run.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "weir-test");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "weir-test-secret");
            std::env::set_var("AWS_REGION", "us-east-1");
        }
    });
    std::env::var("WEIR_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "the S3 tests need an S3 server: run `bash scripts/s3-server.sh start` and set \
             WEIR_S3_ENDPOINT to the address it prints (scripts/test.sh does both)"
        )
    })
}

/// A new, empty bucket of its own for a test (moto takes unsigned
/// requests for this).
pub fn bucket(endpoint: &str, test: &str) -> String {
    let name = crate::kafka_support::unique(test)
        .to_lowercase()
        .replace('_', "-");
    let name: String = name.chars().take(63).collect();
    let status = reqwest::blocking::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .expect("the S3 server answers")
        .status();
    assert!(status.is_success(), "creating bucket {name}: {status}");
    name
}

/// A tokio runtime for the client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// weir's own client for `bucket` at `endpoint`, to read back.
pub fn client(rt: &tokio::runtime::Runtime, endpoint: &str, bucket: &str) -> S3Client {
    let settings = S3Uploader {
        s3_bucket: bucket.to_string(),
        endpoint: Some(endpoint.to_string()),
        s3_force_path_style: true,
        ..S3Uploader::default()
    };
    rt.block_on(S3Client::new(&settings, Duration::from_secs(30)))
}

/// Every object under `prefix`.
pub fn list(rt: &tokio::runtime::Runtime, client: &S3Client, prefix: &str) -> Vec<Listed> {
    rt.block_on(client.list(prefix)).expect("listing")
}

/// Every object under `prefix`, read back as batches of `signal`, with
/// its key.
pub fn read_all(
    rt: &tokio::runtime::Runtime,
    client: &S3Client,
    prefix: &str,
    signal: Signal,
) -> Vec<(String, Batch)> {
    list(rt, client, prefix)
        .into_iter()
        .map(|o| {
            let bytes: Bytes = rt.block_on(client.get(&o.key)).expect("get");
            let batch = weir::archive::read_object(signal, &o.key, bytes)
                .unwrap_or_else(|e| panic!("reading {}: {e}", o.key));
            (o.key, batch)
        })
        .collect()
}

/// An `s3` exporter block (indented under `exporters:`) named `id`.
pub fn exporter(id: &str, endpoint: &str, bucket: &str, prefix: &str, extra: &str) -> String {
    format!(
        "  {id}:\n    s3uploader:\n      endpoint: {endpoint}\n      s3_bucket: {bucket}\n\
         \x20     s3_prefix: {prefix}\n      s3_force_path_style: true\n{extra}"
    )
}

/// Posts `batch` until weir answers 200 (as an OTLP SDK retries "retry
/// later"), for at most `within`; whether it was acknowledged.
pub fn post_until_ok(daemon: &Daemon, batch: &Batch, within: Duration) -> bool {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let status = client
            .post(format!("{}{}", daemon.http, path(batch.signal())))
            .header("content-type", "application/x-protobuf")
            .body(batch.encode())
            .timeout(Duration::from_secs(60))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        if status == 200 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// A TCP proxy on loopback in front of the store that a test can switch
/// off (new connections are closed at once and open ones cut: the store
/// is unreachable) and on again, while the store keeps what it has.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// A proxy to `endpoint` (`http://host:port`), up.
    pub fn start(endpoint: &str) -> Proxy {
        let target = endpoint.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                {
                    let mut open = open2.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Proxy { url, up, open }
    }

    /// Takes the store away: open connections are cut, new ones closed.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Brings it back.
    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 64 << 10];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Every batch of `signal` a `file` exporter wrote under `dir`.
pub fn file_output(dir: &std::path::Path, signal: Signal) -> Vec<Batch> {
    let Ok(entries) = std::fs::read_dir(dir.join(signal.as_str())) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|line| Batch::from_json_as(signal, line).expect("OTLP/JSON lines"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Runs `weir replay` of `bucket` (at `endpoint`) with `args` through
/// the logs pipeline of `config`; its output.
pub fn replay(
    config: &std::path::Path,
    endpoint: &str,
    bucket: &str,
    args: &[&str],
) -> std::process::Output {
    let mut all = vec![
        "replay",
        "--config",
        config.to_str().unwrap(),
        "--endpoint",
        endpoint,
        "--force-path-style",
        "--bucket",
        bucket,
    ];
    all.extend_from_slice(args);
    crate::support::run_weir(&all)
}
