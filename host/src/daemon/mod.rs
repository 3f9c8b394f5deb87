//! `weir run`: builds every component the configuration names, in the
//! order data flows backwards (exporters, pipelines, receivers), serves
//! until SIGTERM or Ctrl-C, then shuts down in the order data flows:
//! stop accepting, let in-flight requests finish, drain the pipelines,
//! flush and close the exporters, exit 0.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use indexmap::IndexMap;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::exporter;
use crate::otlp::Signal;
use crate::pipeline::{Pipeline, PipelineInput};
use crate::plugin::Runtime;
use crate::receiver::otlp::grpc::GrpcReceiver;
use crate::receiver::otlp::http::{self, HttpState};
use crate::reload::{PluginManager, StatusBoard};
use crate::telemetry::metrics::Metrics;
use crate::telemetry::server::{self as telemetry_server, Health};

/// Runs the daemon until a shutdown signal; returns when everything
/// accepted has been exported.
pub async fn run(config: Config, runtime: Runtime) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health {
        metrics: metrics.clone(),
        ready: false.into(),
        plugins: StatusBoard::default(),
    });
    let telemetry = bind(&config.telemetry.address, "telemetry").await?;
    let telemetry_stop = CancellationToken::new();
    let telemetry_task = tokio::spawn({
        let stop = telemetry_stop.clone();
        let app = telemetry_server::router(health.clone());
        async move {
            axum::serve(telemetry, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
    });

    let mut exporters = IndexMap::new();
    let mut exporter_threads = Vec::new();
    for (id, settings) in &config.exporters {
        let (handle, threads) = exporter::spawn(
            id,
            settings,
            metrics.clone(),
            &tokio::runtime::Handle::current(),
        )
        .with_context(|| format!("starting exporter {id}"))?;
        exporters.insert(id.clone(), handle);
        exporter_threads.extend(threads);
    }

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Loading plugins compiles them: keep that off the async threads.
    let plugins = {
        let (config, runtime, metrics) = (config.clone(), runtime.clone(), metrics.clone());
        let board = health.plugins.clone();
        tokio::task::spawn_blocking(move || {
            PluginManager::start(&config, runtime, workers, metrics, board)
        })
        .await??
    };
    let handle = tokio::runtime::Handle::current();
    let mut pipelines = Vec::new();
    for spec in &config.pipelines {
        let source = plugins
            .source(&spec.id)
            .expect("the plugin manager has a chain for every pipeline");
        let pipeline =
            Pipeline::start(spec, &source, &exporters, metrics.clone(), workers, &handle)?;
        pipelines.push((spec.receivers.clone(), pipeline));
    }
    let watching = plugins.watch()?;

    // Which pipelines each receiver feeds, per signal.
    let mut feeds: HashMap<&str, HashMap<Signal, Vec<PipelineInput>>> = HashMap::new();
    for (receivers, pipeline) in &pipelines {
        for r in receivers {
            feeds
                .entry(r.as_str())
                .or_default()
                .entry(pipeline.signal)
                .or_default()
                .push(pipeline.input());
        }
    }

    let stop = CancellationToken::new();
    let mut servers = Vec::new();
    for (id, otlp) in &config.receivers {
        let mut feed = feeds.remove(id.as_str()).unwrap_or_default();
        let mut take = |s: Signal| feed.remove(&s).unwrap_or_default();
        let (logs, metrics_in, traces) = (
            take(Signal::Logs),
            take(Signal::Metrics),
            take(Signal::Traces),
        );
        if let Some(grpc) = &otlp.protocols.grpc {
            let listener = bind(&grpc.endpoint, &format!("receivers.{id}.protocols.grpc")).await?;
            let receiver = GrpcReceiver {
                receiver: id.clone(),
                logs: logs.clone(),
                metrics: metrics_in.clone(),
                traces: traces.clone(),
                counters: metrics.clone(),
            };
            let (l, m, t) = receiver.services((grpc.max_recv_msg_size_mib << 20) as usize);
            let stop = stop.clone();
            tracing::info!(receiver = %id, endpoint = %grpc.endpoint, "OTLP/gRPC listening");
            servers.push(tokio::spawn(async move {
                tonic::transport::Server::builder()
                    .layer(tower::util::MapResponseLayer::new(
                        crate::receiver::otlp::grpc::invalid_argument_for_decode_errors,
                    ))
                    .add_service(l)
                    .add_service(m)
                    .add_service(t)
                    .serve_with_incoming_shutdown(
                        tokio_stream_incoming(listener),
                        stop.cancelled_owned(),
                    )
                    .await
                    .map_err(anyhow::Error::from)
            }));
        }
        if let Some(http_cfg) = &otlp.protocols.http {
            let listener = bind(
                &http_cfg.endpoint,
                &format!("receivers.{id}.protocols.http"),
            )
            .await?;
            let state = Arc::new(HttpState {
                receiver: id.clone(),
                max_body: http_cfg.max_request_body_size,
                logs,
                metrics: metrics_in,
                traces,
                counters: metrics.clone(),
            });
            let app = http::router(state);
            let stop = stop.clone();
            tracing::info!(receiver = %id, endpoint = %http_cfg.endpoint, "OTLP/HTTP listening");
            servers.push(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
                    .map_err(anyhow::Error::from)
            }));
        }
    }
    drop(feeds);

    health.ready.store(true, Ordering::Relaxed);
    tracing::info!(pipelines = pipelines.len(), "weir is running");
    shutdown_signal().await;
    tracing::info!("shutting down: no new requests; draining");
    health.ready.store(false, Ordering::Relaxed);

    stop.cancel();
    // Stopping the watcher waits for a reload in progress to finish.
    tokio::task::spawn_blocking(move || drop(watching)).await?;
    for server in servers {
        if let Err(error) = server.await? {
            tracing::error!(error = %format!("{error:#}"), "receiver stopped with an error");
        }
    }
    for (_, pipeline) in pipelines {
        pipeline.drain().await;
    }
    for handle in exporters.values() {
        handle.close();
    }
    tokio::task::spawn_blocking(move || {
        for thread in exporter_threads {
            let _ = thread.join();
        }
    })
    .await?;
    telemetry_stop.cancel();
    let _ = telemetry_task.await;
    tracing::info!("stopped; everything accepted was exported");
    Ok(())
}

async fn bind(endpoint: &str, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(endpoint)
        .await
        .with_context(|| format!("{what}: cannot listen on {endpoint}"))
}

fn tokio_stream_incoming(listener: TcpListener) -> tokio_stream::wrappers::TcpListenerStream {
    tokio_stream::wrappers::TcpListenerStream::new(listener)
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
