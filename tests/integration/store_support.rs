//! A store for the store exporters' failure tests: a local HTTP endpoint
//! in the test process that speaks VictoriaLogs' two ingestion paths
//! (OTLP protobuf on `/insert/opentelemetry/v1/logs`, JSON lines on
//! `/insert/jsonline`), decodes what arrives, and answers as the test
//! says — accept, fail in bursts of 500, or refuse records it cannot take
//! with a 400 and a reason — or is down altogether. It counts every
//! numbered record (attribute `seq`) it accepted, so a test can check
//! that nothing was lost.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;
use weir::otlp::ExportLogsServiceRequest;
use weir::otlp::common::any_value::Value;
use weir_tests::batches::{self, int_attr, string_value};

/// How the store answers.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// 200 for every request it can decode.
    Accept,
    /// Of every `fail + pass` requests, the first `fail` get a 500.
    Bursts { fail: u32, pass: u32 },
    /// A 400 with [`REFUSAL`] for a request holding a record whose body
    /// is [`POISON`]; 200 for the others.
    RefusePoison,
}

/// The body of the record a [`Behaviour::RefusePoison`] store refuses.
pub const POISON: &str = "poison";
/// The reason it gives, as VictoriaLogs words its refusals.
pub const REFUSAL: &str = "cannot parse log entry: field \"poison\" is not allowed here";

#[derive(Default)]
struct State {
    behaviour: Option<Behaviour>,
    /// Requests answered so far, for `Bursts`.
    requests: u32,
    /// Times each record number was accepted.
    seen: HashMap<u64, u32>,
    /// How many answers of each status were given.
    answers: HashMap<u16, u32>,
}

/// The store; stops when dropped.
pub struct Store {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Store {
    /// Starts the store on a free loopback port.
    pub fn start(behaviour: Behaviour) -> Store {
        let state = Arc::new(Mutex::new(State {
            behaviour: Some(behaviour),
            ..Default::default()
        }));
        let mut store = Store {
            addr: "127.0.0.1:0".parse().unwrap(),
            state,
            runtime: None,
        };
        store.up();
        store
    }

    /// `http://127.0.0.1:<port>`, the exporter's `endpoint`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the store down: the listener and every open connection are
    /// closed, so connecting is refused until [`Store::up`].
    pub fn down(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }

    /// Brings the store (back) up on the same port.
    pub fn up(&mut self) {
        assert!(self.runtime.is_none(), "already up");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the store");
        // The port was just released by `down`: the kernel may take a
        // moment to let it go.
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match runtime.block_on(tokio::net::TcpListener::bind(self.addr)) {
                Ok(listener) => break listener,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("store: binding {} again: {e}", self.addr);
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("the store cannot listen on {} again: {e}", self.addr),
            }
        };
        self.addr = listener.local_addr().unwrap();
        let state = self.state.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let state = state.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                answer(&state, parts.uri.path(), &parts.headers, &body)
            }
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        self.runtime = Some(runtime);
    }

    /// How many times each record number was accepted.
    pub fn seen(&self) -> HashMap<u64, u32> {
        self.state.lock().unwrap().seen.clone()
    }

    /// How many answers with `status` the store gave.
    pub fn answers(&self, status: u16) -> u32 {
        self.state
            .lock()
            .unwrap()
            .answers
            .get(&status)
            .copied()
            .unwrap_or(0)
    }

    /// Waits (bounded) until every record number below `n` was accepted.
    pub fn wait_for_all(&self, n: u64, log: impl Fn() -> String) -> HashMap<u64, u32> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let seen = self.seen();
            if (0..n).all(|seq| seen.contains_key(&seq)) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} acknowledged records reached the store in 120 s; \
                 first missing: {:?}; weir's log:\n{}",
                (0..n).filter(|seq| seen.contains_key(seq)).count(),
                (0..n).find(|seq| !seen.contains_key(seq)),
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.down();
    }
}

/// A record of a request, as far as the store looks at it.
struct Record {
    seq: Option<u64>,
    body: String,
}

fn answer(state: &Mutex<State>, path: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let (status, message) = match decode(path, headers, body) {
        Err(reason) => (StatusCode::BAD_REQUEST, reason),
        Ok(records) => {
            let mut state = state.lock().unwrap();
            let n = state.requests;
            state.requests += 1;
            let verdict = match state.behaviour.expect("a behaviour") {
                Behaviour::Accept => (StatusCode::OK, String::new()),
                Behaviour::Bursts { fail, pass } if n % (fail + pass) < fail => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot flush data: the storage is busy".into(),
                ),
                Behaviour::Bursts { .. } => (StatusCode::OK, String::new()),
                Behaviour::RefusePoison if records.iter().any(|r| r.body == POISON) => {
                    (StatusCode::BAD_REQUEST, REFUSAL.into())
                }
                Behaviour::RefusePoison => (StatusCode::OK, String::new()),
            };
            if verdict.0 == StatusCode::OK {
                for seq in records.iter().filter_map(|r| r.seq) {
                    *state.seen.entry(seq).or_default() += 1;
                }
            }
            verdict
        }
    };
    *state
        .lock()
        .unwrap()
        .answers
        .entry(status.as_u16())
        .or_default() += 1;
    (status, message).into_response()
}

/// Decodes a request as VictoriaLogs would, or says why it cannot.
fn decode(path: &str, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Record>, String> {
    let body = match headers.get("content-encoding").map(|v| v.as_bytes()) {
        None => body.to_vec(),
        Some(b"gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .map_err(|e| format!("cannot decompress gzip: {e}"))?;
            out
        }
        Some(other) => return Err(format!("unsupported encoding {other:?}")),
    };
    match path {
        "/insert/opentelemetry/v1/logs" => {
            let request = ExportLogsServiceRequest::decode(&body[..])
                .map_err(|e| format!("cannot decode LogsData: {e}"))?;
            Ok(request
                .resource_logs
                .iter()
                .flat_map(|rl| &rl.scope_logs)
                .flat_map(|sl| &sl.log_records)
                .map(|record| Record {
                    seq: record
                        .attributes
                        .iter()
                        .find(|a| a.key == "seq")
                        .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                            Value::IntValue(i) => Some(*i as u64),
                            _ => None,
                        }),
                    body: match record.body.as_ref().and_then(|b| b.value.as_ref()) {
                        Some(Value::StringValue(s)) => s.clone(),
                        _ => String::new(),
                    },
                })
                .collect())
        }
        "/insert/jsonline" => std::str::from_utf8(&body)
            .map_err(|e| format!("not UTF-8: {e}"))?
            .lines()
            .map(|line| {
                let fields: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(line).map_err(|e| format!("bad line {line}: {e}"))?;
                Ok(Record {
                    seq: fields.get("seq").and_then(|v| v.as_str()?.parse().ok()),
                    body: fields
                        .get("_msg")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                })
            })
            .collect(),
        other => Err(format!("unsupported path {other}")),
    }
}

/// A logs request of `n` records numbered from `first` (attribute `seq`).
pub fn numbered(first: u64, n: u64) -> ExportLogsServiceRequest {
    let mut request = batches::logs(n as usize);
    let records = request
        .resource_logs
        .iter_mut()
        .flat_map(|rl| &mut rl.scope_logs)
        .flat_map(|sl| &mut sl.log_records);
    for (record, seq) in records.zip(first..) {
        record.attributes.push(int_attr("seq", seq as i64));
    }
    request
}

/// A logs request of one record the [`Behaviour::RefusePoison`] store
/// refuses.
pub fn poison() -> ExportLogsServiceRequest {
    let mut request = batches::logs(1);
    request.resource_logs[0].scope_logs[0].log_records[0].body = Some(string_value(POISON));
    request
}
