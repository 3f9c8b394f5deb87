//! `prober`: a plugin that tries every way out of weir's sandbox and
//! reports what it saw, and that misbehaves in whichever export it is
//! asked to, so the tests can prove each limit holds for every export.
//!
//! Its configuration says what to do:
//!
//! - `init`: `loop`, `alloc`, `trap`, `sleep` (an hour) or `exit` — in
//!   `init` itself; `leak` plus `init_leak: N` opens N WASI handles and
//!   never closes them;
//! - `process`: `probe` (try the filesystem, network, environment,
//!   arguments, clocks, random, stdin, and report each result as a string
//!   attribute `probe.*` of record 0), `sleep`, `loop`, `alloc`,
//!   `log-flood` (`lines` log calls per batch), `log-huge` (ten 1 MiB
//!   lines), `stdout-flood` / `stderr-flood` (1 MiB per batch),
//!   `stderr-then-trap`, `leak` (open a WASI handle per batch, never
//!   closed), `otlp-bomb` (replace the batch with `bomb_mib` MiB of empty
//!   log records through `set-otlp`);
//! - `tcp_target`: an address the test listens on, for the connect probe.
//!
//! `describe` takes no input, so its behaviour comes from [`DESCRIBE`],
//! bytes the tests overwrite in the compiled `.wasm`
//! (`weir_tests::plugin_files::prober_describing`).

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::sockets::network::IpAddressFamily;
use weir_guest::{AttributesOf, Batch, Config, Info, Outcome, Plugin, Value};

/// `WEIRDESCRIBE=` then a 4-byte mode: `ok  `, `loop`, `allo`, `trap` or
/// `slep`.
#[used]
static DESCRIBE: [u8; 17] = *b"WEIRDESCRIBE=ok  ";

fn describe_mode() -> [u8; 4] {
    let mut mode = [0u8; 4];
    for (i, b) in mode.iter_mut().enumerate() {
        // SAFETY: reading an element of a static array in bounds; volatile
        // so the compiler cannot fold the bytes the tests patch.
        *b = unsafe { std::ptr::read_volatile(&DESCRIBE[13 + i]) };
    }
    mode
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    init: String,
    #[serde(default)]
    init_leak: u32,
    #[serde(default)]
    process: String,
    #[serde(default)]
    tcp_target: Option<String>,
    #[serde(default = "default_lines")]
    lines: u32,
    #[serde(default)]
    bomb_mib: u32,
}

fn default_lines() -> u32 {
    10_000
}

struct Prober {
    settings: Settings,
}

/// Misbehaviours shared by every export.
fn misbehave(how: &str) {
    match how {
        "loop" => {
            let mut n = 0u64;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                black_box(&hoard);
            }
        }
        "trap" => panic!("prober: asked to trap"),
        // An hour: far past any call deadline.
        "sleep" => std::thread::sleep(Duration::from_secs(3600)),
        "exit" => std::process::exit(3),
        _ => {}
    }
}

/// Opens `n` WASI handles (a network handle each) and never closes them.
fn leak(n: u32) {
    for _ in 0..n {
        std::mem::forget(wasip2::sockets::instance_network::instance_network());
    }
}

/// An OTLP logs request of `mib` MiB made of empty log records, two bytes
/// each: the most records per byte a request can hold.
fn otlp_bomb(mib: u32) -> Vec<u8> {
    fn wrap(field_key: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![field_key];
        let mut len = body.len() as u64;
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            out.push(if len == 0 { byte } else { byte | 0x80 });
            if len == 0 {
                break;
            }
        }
        out.extend(body);
        out
    }
    // ScopeLogs.log_records (2) in ResourceLogs.scope_logs (2) in
    // ExportLogsServiceRequest.resource_logs (1).
    let records = [0x12u8, 0x00].repeat((mib as usize) << 19);
    wrap(0x0a, wrap(0x12, records))
}

fn report(batch: &Batch, key: &str, value: String) {
    batch.set_attribute(
        AttributesOf::Record,
        0,
        &format!("probe.{key}"),
        &Value::String(value),
    );
}

fn io<T>(result: std::io::Result<T>, ok: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => format!("ALLOWED: {}", ok(value)),
        Err(e) => format!("refused: {:?}: {e}", e.kind()),
    }
}

/// Tries each way out and reports what it got. A value starting with
/// `ALLOWED` is an escape.
fn probe(batch: &Batch, settings: &Settings) {
    let preopens = wasip2::filesystem::preopens::get_directories();
    let names: Vec<String> = preopens.iter().map(|(_, name)| name.clone()).collect();
    report(batch, "preopens", format!("{} {names:?}", names.len()));
    for (key, path) in [
        ("read_absolute", "/etc/passwd"),
        ("read_relative", "weir.yaml"),
        ("read_parent", "../../../../etc/passwd"),
        ("read_dot", "./weir.yaml"),
    ] {
        report(
            batch,
            key,
            io(std::fs::read(path), |b| format!("{} bytes", b.len())),
        );
    }
    report(
        batch,
        "create_relative",
        io(std::fs::write("prober-was-here", b"escaped"), |_| {
            "written".into()
        }),
    );
    report(
        batch,
        "create_absolute",
        io(std::fs::write("/tmp/prober-was-here", b"escaped"), |_| {
            "written".into()
        }),
    );
    report(
        batch,
        "list_root",
        io(std::fs::read_dir("/"), |d| format!("{} entries", d.count())),
    );
    // wasi-libc answers `/` when WASI names no initial directory: a name,
    // not a way in (there is nothing to open under it).
    report(
        batch,
        "cwd",
        format!("{:?}", wasip2::cli::environment::initial_cwd()),
    );

    let env = wasip2::cli::environment::get_environment();
    report(batch, "environment", format!("{} {env:?}", env.len()));
    report(batch, "std_env", format!("{}", std::env::vars_os().count()));
    let args = wasip2::cli::environment::get_arguments();
    report(batch, "arguments", format!("{} {args:?}", args.len()));
    let mut stdin = Vec::new();
    report(
        batch,
        "stdin",
        match std::io::Read::read_to_end(&mut std::io::stdin(), &mut stdin) {
            Ok(n) => format!("read {n} bytes"),
            Err(e) => format!("refused: {e}"),
        },
    );

    let tcp = wasip2::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4);
    report(batch, "tcp_socket", refused_or_allowed(tcp));
    let udp = wasip2::sockets::udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4);
    report(batch, "udp_socket", refused_or_allowed(udp));
    if let Some(target) = &settings.tcp_target {
        report(
            batch,
            "tcp_connect",
            io(std::net::TcpStream::connect(target.as_str()), |_| {
                "connected".into()
            }),
        );
    }
    let network = wasip2::sockets::instance_network::instance_network();
    let lookup = wasip2::sockets::ip_name_lookup::resolve_addresses(&network, "localhost");
    report(batch, "name_lookup", refused_or_allowed(lookup));

    let wall = wall_clock::now();
    report(
        batch,
        "wall_clock",
        format!("{}.{:09}", wall.seconds, wall.nanoseconds),
    );
    let before = monotonic_clock::now();
    // Busy work a real clock would see pass.
    let mut n = 0u64;
    for i in 0..5_000_000u64 {
        n = black_box(n.wrapping_add(i));
    }
    let after = monotonic_clock::now();
    report(batch, "monotonic_clock", format!("{before} {after}"));
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(u64::MAX);
    report(batch, "system_time", system.to_string());

    let random = wasip2::random::random::get_random_bytes(16);
    report(
        batch,
        "random",
        format!("{} bytes, {} distinct", random.len(), distinct(&random)),
    );
}

fn refused_or_allowed<T, E: std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => "ALLOWED".to_string(),
        Err(e) => format!("refused: {e:?}"),
    }
}

fn distinct(bytes: &[u8]) -> usize {
    let mut seen = bytes.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Sleeps an hour (in the ways Rust's std and raw WASI offer) and says how
/// much time the monotonic clock saw pass.
fn sleep(batch: &Batch) {
    let before = monotonic_clock::now();
    std::thread::sleep(Duration::from_secs(3600));
    monotonic_clock::subscribe_duration(3600 * 1_000_000_000).block();
    monotonic_clock::subscribe_instant(u64::MAX).block();
    let after = monotonic_clock::now();
    report(batch, "slept", format!("{} ns", after - before));
}

/// Writes `total` bytes to `out` in 4 KiB lines, and says whether every
/// write was taken.
fn flood(out: &mut dyn Write, total: usize) -> String {
    let line = [b'x'; 4095];
    let mut written = 0;
    while written < total {
        if let Err(e) = out.write_all(&line).and_then(|()| out.write_all(b"\n")) {
            return format!("failed after {written} bytes: {e}");
        }
        written += 4096;
    }
    format!("wrote {written} bytes")
}

impl Plugin for Prober {
    fn info() -> Info {
        match &describe_mode() {
            b"loop" => misbehave("loop"),
            b"allo" => misbehave("alloc"),
            b"trap" => misbehave("trap"),
            b"slep" => misbehave("sleep"),
            _ => {}
        }
        Info::new("prober", "Tries to leave the sandbox; for weir's tests")
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        misbehave(&settings.init);
        if settings.init == "leak" {
            leak(settings.init_leak);
        }
        Ok(Prober { settings })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        match self.settings.process.as_str() {
            "probe" => probe(batch, &self.settings),
            "sleep" => sleep(batch),
            "log-flood" => {
                for i in 0..self.settings.lines {
                    weir_guest::log::warn(&format!("prober line {i}"));
                }
            }
            "log-huge" => {
                let huge = "y".repeat(1 << 20);
                for _ in 0..10 {
                    weir_guest::log::error(&huge);
                }
            }
            "stdout-flood" => {
                let result = flood(&mut std::io::stdout(), 1 << 20);
                report(batch, "stdout", result);
            }
            "stderr-flood" => {
                let result = flood(&mut std::io::stderr(), 1 << 20);
                report(batch, "stderr", result);
            }
            "stderr-then-trap" => {
                flood(&mut std::io::stderr(), 1 << 20);
                panic!("prober: trapping after a flood of stderr");
            }
            "leak" => leak(1),
            "otlp-bomb" => {
                let result = batch.set_otlp(&otlp_bomb(self.settings.bomb_mib));
                report(batch, "set_otlp", format!("{result:?}"));
            }
            other => misbehave(other),
        }
        Ok(Outcome::keep_all())
    }
}

weir_guest::export_plugin!(Prober);
