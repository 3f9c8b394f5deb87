//! weir's OTLP/gRPC server under a raw HTTP/2 client, for what SDKs do
//! not show: many calls at once on one connection, each answered and
//! every record written; and a call whose body never comes while weir
//! shuts down, which must not keep weir from exiting.

use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use weir::otlp::{Batch, Signal};

use crate::daemon_support::Daemon;

const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
/// Bound on every wait (the machine is shared).
const BOUND: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A logs request of `n` records tagged `call`, `0..n`, framed as one
/// gRPC message.
fn framed_logs(call: usize, n: usize) -> Bytes {
    let records: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"body":{{"stringValue":"call {call} record {i}"}}}}"#))
        .collect();
    let json = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    );
    let message = Batch::from_json_as(Signal::Logs, &json).unwrap().encode();
    let mut body = vec![0];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    body.into()
}

fn export_request(daemon: &Daemon) -> http::Request<()> {
    http::Request::builder()
        .method("POST")
        .uri(format!("{}{LOGS}", daemon.grpc))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap()
}

async fn connect(daemon: &Daemon) -> h2::client::SendRequest<Bytes> {
    let addr = daemon.grpc.trim_start_matches("http://");
    let tcp = TcpStream::connect(addr)
        .await
        .expect("connect to weir's gRPC port");
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    client.ready().await.unwrap()
}

/// The `grpc-status` and `grpc-message` a call was answered.
async fn status(response: h2::client::ResponseFuture) -> (String, String) {
    let response = tokio::time::timeout(BOUND, response)
        .await
        .expect("an answer within the bound")
        .unwrap();
    let (parts, mut body) = response.into_parts();
    while let Some(data) = body.data().await {
        data.unwrap();
    }
    let headers = body.trailers().await.unwrap().unwrap_or(parts.headers);
    let text = |name| {
        headers
            .get(name)
            .map(|v: &http::HeaderValue| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    (text("grpc-status"), text("grpc-message"))
}

#[test]
fn many_calls_at_once_on_one_connection_are_all_answered_and_written() {
    let mut daemon = Daemon::with_file_exporter();
    let runtime = runtime();
    let calls = 50;
    runtime.block_on(async {
        let mut client = connect(&daemon).await;
        let mut responses = Vec::new();
        // Every call is sent before any answer is read.
        for call in 0..calls {
            let (response, mut body) = client.send_request(export_request(&daemon), false).unwrap();
            body.send_data(framed_logs(call, 20), true).unwrap();
            responses.push(response);
            client = client.ready().await.unwrap();
        }
        for response in responses {
            assert_eq!(status(response).await, ("0".into(), String::new()));
        }
    });
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());
    let mut bodies: Vec<String> = daemon
        .log_records()
        .iter()
        .map(|r| r["body"]["stringValue"].as_str().unwrap().to_string())
        .collect();
    bodies.sort();
    let mut expected: Vec<String> = (0..calls)
        .flat_map(|call| (0..20).map(move |i| format!("call {call} record {i}")))
        .collect();
    expected.sort();
    assert_eq!(bodies, expected);
}

/// A client that sends a call's headers and half its message, then
/// nothing: SIGTERM still stops weir (the call is answered `UNAVAILABLE`
/// after a grace period), and a call that completed before is written.
#[test]
fn a_call_whose_body_never_comes_does_not_keep_weir_from_exiting() {
    let mut daemon = Daemon::with_file_exporter();
    let runtime = runtime();
    let (stalled, _stalled_body) = runtime.block_on(async {
        let mut client = connect(&daemon).await;
        let (stalled, mut stalled_body) =
            client.send_request(export_request(&daemon), false).unwrap();
        stalled_body
            .send_data(framed_logs(0, 5).slice(..20), false)
            .unwrap();
        // A call sent after it on the same connection and answered: the
        // stalled one's headers have been taken by then.
        let mut client = client.ready().await.unwrap();
        let (done, mut body) = client.send_request(export_request(&daemon), false).unwrap();
        body.send_data(framed_logs(1, 3), true).unwrap();
        assert_eq!(status(done).await.0, "0");
        (stalled, stalled_body)
    });
    // The connection stays open (driven by the runtime) while weir stops.
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());
    let (code, message) = runtime.block_on(status(stalled));
    // UNAVAILABLE: retry elsewhere.
    assert_eq!(code, "14", "{message}");
    assert!(message.contains("shutting down"), "{message}");
    assert_eq!(daemon.log_records().len(), 3);
}
