//! Running `weir run` for a test: a configuration on free loopback ports,
//! a private data directory, readiness polling, SIGTERM, and reading back
//! what the `file` exporter wrote.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use weir::otlp::Signal;

/// A `weir run` process owned by a test; killed if the test panics.
pub struct Daemon {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>` of OTLP/HTTP.
    pub http: String,
    /// `http://127.0.0.1:<port>` of OTLP/gRPC.
    pub grpc: String,
    /// `http://127.0.0.1:<port>` of /metrics, /healthz, /readyz.
    pub telemetry: String,
    /// Variables added to the process's environment.
    env: Vec<(String, String)>,
}

/// reqwest is built without a TLS crypto provider of its own (weir hands
/// its exporters a rustls configuration on `ring`), so even the tests'
/// plain-HTTP clients need a process-wide provider before the first one
/// is built. Every test that talks HTTP starts a [`Daemon`] first.
fn install_crypto_provider() {
    // An error only means it is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A free loopback port for weir to listen on, none given twice in a run,
/// below the kernel's ephemeral range (32768-60999 by default). A port
/// from `bind(":0")` comes from that range, from which every outgoing
/// connection of the run also takes its source port, so one could take
/// the port between this choice and weir's listen (seen in CI: "cannot
/// listen on 127.0.0.1:37675: Address already in use" at a restart).
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const PORTS: u32 = 12_000;
    // Where this run starts in the range: another test binary running
    // beside this one starts elsewhere.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id() % PORTS;
    for _ in 0..PORTS {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (FIRST + (start + n) % PORTS) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}-{}", FIRST + PORTS - 1);
}

impl Daemon {
    /// Starts weir with `processors` / `exporters` YAML blocks (indented
    /// under their sections) and a `service` block; `{data}` in them is
    /// replaced by the test's data directory.
    pub fn start(processors: &str, exporters: &str, pipelines: &str) -> Daemon {
        Daemon::start_in(
            tempfile::tempdir().expect("temp dir"),
            processors,
            exporters,
            pipelines,
            "",
        )
    }

    /// Like [`Daemon::start`], in a prepared directory (`{dir}` in the
    /// blocks is replaced by it), with more `service` settings.
    pub fn start_in(
        dir: tempfile::TempDir,
        processors: &str,
        exporters: &str,
        pipelines: &str,
        service: &str,
    ) -> Daemon {
        let config = format!(
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{{grpc_port}}\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n        max_request_body_size: 1048576\n\
             processors:\n{processors}\n\
             exporters:\n{exporters}\n\
             service:\n{service}\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n{pipelines}\n"
        );
        Daemon::from_config(dir, &config)
    }

    /// Starts weir on a whole configuration file's text, in `dir`, with
    /// `{http_port}`, `{grpc_port}` and `{telemetry_port}` replaced by
    /// free loopback ports, `{data}` by the data directory and `{dir}` by
    /// `dir`. The ports stay the same across [`Daemon::restart`].
    pub fn from_config(dir: tempfile::TempDir, config: &str) -> Daemon {
        Daemon::from_config_with_env(dir, config, &[])
    }

    /// Like [`Daemon::from_config`], with `env` added to the process's
    /// environment.
    pub fn from_config_with_env(
        dir: tempfile::TempDir,
        config: &str,
        env: &[(&str, &str)],
    ) -> Daemon {
        let (http, grpc, telemetry) = (free_port(), free_port(), free_port());
        let data = dir.path().join("data");
        let config = config
            .replace("{http_port}", &http.to_string())
            .replace("{grpc_port}", &grpc.to_string())
            .replace("{telemetry_port}", &telemetry.to_string())
            .replace("{data}", &data.display().to_string())
            .replace("{dir}", &dir.path().display().to_string());
        std::fs::write(dir.path().join("weir.yaml"), config).expect("write config");
        let mut daemon = Daemon {
            child: None,
            dir,
            http: format!("http://127.0.0.1:{http}"),
            grpc: format!("http://127.0.0.1:{grpc}"),
            telemetry: format!("http://127.0.0.1:{telemetry}"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        daemon.restart();
        daemon
    }

    /// Starts the process (again, after [`Daemon::stop`] or
    /// [`Daemon::kill`]) with the same configuration, ports and
    /// directories; waits until it is ready.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        install_crypto_provider();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("weir.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
            .args(["run", "--config"])
            .arg(self.dir.path().join("weir.yaml"))
            .current_dir(self.dir.path())
            .env("WEIR_CACHE_DIR", self.dir.path().join("cache"))
            .env("WEIR_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start weir run");
        self.child = Some(child);
        self.wait_ready();
    }

    /// The process id, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL: no draining, no flushing.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
    }

    /// The value of the metric line starting with `series` (name and
    /// labels as rendered), if it is there.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let text = reqwest::blocking::get(format!("{}/metrics", self.telemetry))
            .ok()?
            .text()
            .ok()?;
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    }

    /// The default test setup: every signal to a `file` exporter.
    pub fn with_file_exporter() -> Daemon {
        Daemon::start(
            "  batch:\n    timeout: 50ms",
            "  file:\n    path: {data}",
            "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]\n\
             \x20   metrics:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]\n\
             \x20   traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]",
        )
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/readyz", self.telemetry);
        loop {
            if let Ok(r) = reqwest::blocking::get(&url)
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "weir not ready in 60 s; its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The test's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What weir logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("weir.log")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded) for weir to exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "weir did not stop within 60 s of SIGTERM; its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The data directory of the `file` exporter.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Every export request the `file` exporter wrote for `signal`.
    pub fn requests(&self, signal: Signal) -> Vec<Value> {
        read_requests(&self.data().join(signal.as_str()))
    }

    /// Every log record written, in file order.
    pub fn log_records(&self) -> Vec<Value> {
        nested(
            &self.requests(Signal::Logs),
            "resourceLogs",
            "scopeLogs",
            "logRecords",
        )
    }

    /// Every span written, in file order.
    pub fn spans(&self) -> Vec<Value> {
        nested(
            &self.requests(Signal::Traces),
            "resourceSpans",
            "scopeSpans",
            "spans",
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn read_requests(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            // Only whole lines: a running weir may be writing the last one.
            std::fs::read_to_string(f)
                .unwrap()
                .split_inclusive('\n')
                .filter(|line| line.ends_with('\n'))
                .map(|line| serde_json::from_str(line).expect("each line is one JSON request"))
                .collect::<Vec<Value>>()
        })
        .collect()
}

fn nested(requests: &[Value], a: &str, b: &str, c: &str) -> Vec<Value> {
    requests
        .iter()
        .flat_map(|r| r[a].as_array().cloned().unwrap_or_default())
        .flat_map(|x| x[b].as_array().cloned().unwrap_or_default())
        .flat_map(|x| x[c].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The string value of attribute `key` of an OTLP/JSON record.
pub fn json_attr<'a>(record: &'a Value, key: &str) -> Option<&'a Value> {
    record["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

/// The resident memory of process `pid` in bytes (`VmRSS`), if it runs.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let kib = l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?;
        Some(kib.trim().parse::<u64>().ok()? << 10)
    })
}
