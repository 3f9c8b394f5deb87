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
use crate::pipeline::{MemoryLimiter, Pipeline};
use crate::plugin::Runtime;
use crate::receiver::{self, SignalInputs};
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
    // One limiter per processor, shared by the pipelines that list it.
    let mut limiters = HashMap::new();
    for (id, settings) in &config.memory_limiters {
        let limiter = MemoryLimiter::start(id, settings, metrics.clone())
            .with_context(|| format!("processors.{id}"))?;
        limiters.insert(id.as_str(), limiter);
    }
    let mut pipelines = Vec::new();
    for spec in &config.pipelines {
        let source = plugins
            .source(&spec.id)
            .expect("the plugin manager has a chain for every pipeline");
        let limiter = spec
            .memory_limiter
            .as_deref()
            .map(|id| limiters[id].clone());
        let pipeline = Pipeline::start(
            spec,
            &source,
            limiter,
            &exporters,
            metrics.clone(),
            workers,
            &handle,
        )?;
        pipelines.push((spec.receivers.clone(), pipeline));
    }
    let watching = plugins.watch()?;

    // Which pipelines each receiver feeds, per signal.
    let mut feeds: HashMap<&str, SignalInputs> = HashMap::new();
    for (receivers, pipeline) in &pipelines {
        for r in receivers {
            feeds
                .entry(r.as_str())
                .or_default()
                .add(pipeline.signal, pipeline.input());
        }
    }

    let stop = CancellationToken::new();
    let mut servers = Vec::new();
    for (id, settings) in &config.receivers {
        let inputs = feeds.remove(id.as_str()).unwrap_or_default();
        servers.extend(receiver::start(id, settings, inputs, metrics.clone(), stop.clone()).await?);
    }
    drop(feeds);

    // Before `/readyz` says ready: a SIGTERM sent once it does must stop
    // weir gracefully, not kill it by the default action (seen in CI, the
    // page drop below taking a moment). Not earlier, so that Ctrl-C
    // during a long start-up (compiling a large plugin) still stops it.
    let shutdown = ShutdownSignal::install()?;
    health.ready.store(true, Ordering::Relaxed);
    let dropping_code_pages = tokio::spawn(drop_code_pages_from_now_on());
    tracing::info!(pipelines = pipelines.len(), "weir is running");
    shutdown.received().await;
    dropping_code_pages.abort();
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

/// SIGTERM and SIGINT (Ctrl-C), caught from the moment it is installed:
/// one that arrives before weir waits for it is kept, not lost.
struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> anyhow::Result<ShutdownSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignal {
                term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
                interrupt: signal(SignalKind::interrupt())
                    .context("installing the SIGINT handler")?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignal {})
    }

    /// Resolves on the first of them.
    async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Drops the code pages start-up touched, then those the daemon stopped
/// running, every [`allocator::CODE_PAGES_EVERY`](crate::allocator::CODE_PAGES_EVERY).
async fn drop_code_pages_from_now_on() {
    let mut every = tokio::time::interval(crate::allocator::CODE_PAGES_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // Reading /proc/self/smaps and the madvise calls block briefly.
        let _ = tokio::task::spawn_blocking(crate::allocator::drop_code_pages).await;
    }
}
