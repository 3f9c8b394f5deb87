//! The sink of a `victoriametrics` exporter: an `otlphttp` sink whose
//! metrics endpoint is VictoriaMetrics' OTLP path, or a remote write sink
//! to its `/api/v1/write`.

use super::config::{Compression, Mode, VictoriaMetricsExporter};
use crate::exporter::Sink;
use crate::exporter::compression;
use crate::exporter::otlphttp::{self, OtlpHttpExporter, OtlpHttpSink};
use crate::exporter::prometheusremotewrite::{RemoteWriteSink, RemoteWriteTarget};

/// Builds the sink of `settings`' mode. `runtime` runs the requests.
pub(crate) fn build(
    id: &str,
    settings: &VictoriaMetricsExporter,
    runtime: tokio::runtime::Handle,
) -> anyhow::Result<Sink> {
    let url = settings
        .url()
        .ok_or_else(|| anyhow::anyhow!("exporter {id}: no endpoint"))?;
    Ok(match settings.mode {
        Mode::Otlp => Sink::OtlpHttp(OtlpHttpSink::new(
            id,
            OtlpHttpExporter {
                metrics_endpoint: Some(url),
                tls: settings.tls.clone(),
                headers: settings.headers.clone(),
                compression: match settings.compression {
                    Compression::Gzip => compression::Compression::Gzip,
                    Compression::None => compression::Compression::None,
                },
                encoding: otlphttp::Encoding::Proto,
                timeout: settings.timeout,
                ..Default::default()
            },
            runtime,
        )?),
        Mode::RemoteWrite => Sink::RemoteWrite(Box::new(RemoteWriteSink::to(
            id,
            RemoteWriteTarget {
                url: &url,
                options: settings.remote_write.clone().unwrap_or_default(),
                headers: &settings.headers,
                timeout: settings.timeout,
                tls: &settings.tls,
            },
            runtime,
        )?)),
    })
}

#[cfg(test)]
mod tests {
    //! The contract of the paths VictoriaMetrics 1.79 cannot show (its
    //! OTLP endpoint came in 1.92; cluster URLs need a cluster): what
    //! arrives at a capture server, checked against VictoriaMetrics'
    //! documented paths, headers and encodings.

    use std::io::Read;
    use std::sync::{Arc, Mutex};

    use prost::Message;

    use super::*;
    use crate::exporter::influxdb::tests::every_kind;
    use crate::otlp::{Batch, Signal};

    struct Received {
        path: String,
        headers: axum::http::HeaderMap,
        body: bytes::Bytes,
    }

    fn capture(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<Received>>>) {
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let log = log.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                log.lock().unwrap().push(Received {
                    path: parts.uri.path().to_string(),
                    headers: parts.headers,
                    body,
                });
                axum::http::StatusCode::NO_CONTENT
            }
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), received)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    fn settings(yaml: &str) -> VictoriaMetricsExporter {
        let s: VictoriaMetricsExporter = serde_norway::from_str(yaml).unwrap();
        s.validate().unwrap();
        s
    }

    #[test]
    fn otlp_mode_posts_gzipped_protobuf_to_the_tenants_opentelemetry_path() {
        let rt = runtime();
        let (url, received) = capture(&rt);
        let s = settings(&format!("endpoint: {url}\ntenant: '0:0'"));
        let mut sink = build("victoriametrics/test", &s, rt.handle().clone()).unwrap();
        let batch = every_kind();
        sink.export(&batch).unwrap();
        let received = received.lock().unwrap();
        assert_eq!(received.len(), 1);
        let r = &received[0];
        assert_eq!(r.path, "/insert/0:0/opentelemetry/v1/metrics");
        assert_eq!(r.headers["content-type"], "application/x-protobuf");
        assert_eq!(r.headers["content-encoding"], "gzip");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(Batch::decode(Signal::Metrics, &plain).unwrap(), batch);
    }

    #[test]
    fn remote_write_mode_posts_snappy_write_requests_to_the_tenants_prometheus_path() {
        let rt = runtime();
        let (url, received) = capture(&rt);
        let s = settings(&format!(
            "endpoint: {url}/\ntenant: '7'\nmode: remote_write\nremote_write: {{namespace: weir}}"
        ));
        let mut sink = build("victoriametrics/test", &s, rt.handle().clone()).unwrap();
        sink.export(&every_kind()).unwrap();
        let received = received.lock().unwrap();
        let r = &received[0];
        assert_eq!(r.path, "/insert/7/prometheus/api/v1/write");
        assert_eq!(r.headers["content-type"], "application/x-protobuf");
        assert_eq!(r.headers["content-encoding"], "snappy");
        assert_eq!(r.headers["x-prometheus-remote-write-version"], "0.1.0");
        let plain = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
        let request =
            crate::exporter::prometheusremotewrite::WriteRequest::decode(plain.as_slice()).unwrap();
        let names: Vec<&str> = request
            .timeseries
            .iter()
            .flat_map(|ts| ts.labels.iter().filter(|l| l.name == "__name__"))
            .map(|l| l.value.as_str())
            .collect();
        assert!(names.contains(&"weir_http_requests_total"), "{names:?}");
        assert!(names.contains(&"weir_http_duration_bucket"), "{names:?}");
    }
}
