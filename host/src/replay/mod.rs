//! `weir replay`: reads an S3 archive back and feeds it through a pipeline
//! of a configuration file — its plugin chain and its exporters, started
//! as `weir run` starts them, with no receivers. Replay takes the place of
//! a receiver: it submits each batch and waits for its acknowledgement, so
//! what it reports as replayed was accepted by every exporter.
//!
//! Objects are listed ([`range`]), downloaded a few ahead of the one being
//! fed, read with the archive's own reader (weir's objects and the
//! Collector's `awss3exporter`'s), cut into batches of at most
//! `batch_size` records, and submitted a few at a time. An object that
//! cannot be read is reported with its key and skipped; the run then ends
//! with an error.

pub mod range;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use indexmap::IndexMap;

use crate::archive::{Listed, S3Client, S3Uploader, read_object};
use crate::config::Config;
use crate::exporter;
use crate::otlp::{Batch, Signal};
use crate::pipeline::Pipeline;
use crate::plugin::Runtime;
use crate::receiver::{SubmitError, submit};
use crate::reload::{PluginManager, StatusBoard};
use crate::telemetry::metrics::Metrics;

/// What to replay.
#[derive(Clone, Debug)]
pub struct Source {
    /// The store and bucket (`endpoint`, `region`, `s3_bucket`,
    /// `s3_force_path_style`, checksum settings).
    pub store: S3Uploader,
    /// The key prefix the archive was written under.
    pub prefix: String,
    /// The signal to replay.
    pub signal: Signal,
    /// The archive's partition format.
    pub partition_format: String,
    /// The archive's `file_prefix`.
    pub file_prefix: String,
    /// Partitions from this time (inclusive)…
    pub from: Option<SystemTime>,
    /// …to this one (exclusive).
    pub to: Option<SystemTime>,
    /// The most records in one submitted batch.
    pub batch_size: usize,
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Objects listed.
    pub objects: u64,
    /// Objects that could not be read (their keys and why).
    pub failed: Vec<(String, String)>,
    /// Records accepted by the pipeline's exporters.
    pub records: u64,
    /// Bytes downloaded (as stored: compressed).
    pub bytes: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Progress, reported after each object.
pub trait Progress: Send {
    /// The objects to read and their total size are known.
    fn start(&mut self, objects: u64, bytes: u64);
    /// One more object done.
    fn object(&mut self, bytes: u64, records: u64);
}

/// Batches waiting for their acknowledgement at once.
const IN_FLIGHT: usize = 4;
/// Objects downloaded ahead of the one being fed.
const PREFETCH: usize = 2;

/// Replays `source` through the pipeline of `config` for its signal
/// (`pipeline` names one when there are several).
pub async fn run(
    config: Config,
    pipeline: Option<&str>,
    source: Source,
    runtime: Runtime,
    progress: &mut dyn Progress,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let config = only_pipeline(config, pipeline, source.signal)?;
    let metrics = Arc::new(Metrics::new());
    let handle = tokio::runtime::Handle::current();
    let mut exporters = IndexMap::new();
    let mut exporter_threads = Vec::new();
    for (id, settings) in &config.exporters {
        let (h, threads) = exporter::spawn(id, settings, metrics.clone(), &handle)
            .with_context(|| format!("starting exporter {id}"))?;
        exporters.insert(id.clone(), h);
        exporter_threads.extend(threads);
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let plugins = {
        let (config, metrics) = (config.clone(), metrics.clone());
        tokio::task::spawn_blocking(move || {
            PluginManager::start(&config, runtime, workers, metrics, StatusBoard::default())
        })
        .await??
    };
    let spec = &config.pipelines[0];
    let chain = plugins
        .source(&spec.id)
        .expect("the plugin manager has a chain for every pipeline");
    // Replay reads at its own pace and waits for each acknowledgement:
    // a memory limiter would only stall it.
    let pipeline = Pipeline::start(spec, &chain, None, &exporters, metrics, workers, &handle)?;
    let input = [pipeline.input()];

    let client = S3Client::new(&source.store, Duration::from_secs(60)).await;
    let objects = list(&client, &source).await?;
    let mut summary = Summary {
        objects: objects.len() as u64,
        ..Summary::default()
    };
    progress.start(summary.objects, objects.iter().map(|o| o.size).sum::<u64>());

    // Downloads run ahead as tasks; objects are fed in listing order.
    let mut downloads = std::collections::VecDeque::new();
    let mut queue = objects.into_iter();
    let fetch = |o: Listed| {
        let client = client.clone();
        tokio::spawn(async move {
            let bytes = client.get(&o.key).await;
            (o, bytes)
        })
    };
    let mut result = Ok(());
    loop {
        while downloads.len() < PREFETCH + 1 {
            match queue.next() {
                Some(o) => downloads.push_back(fetch(o)),
                None => break,
            }
        }
        let Some(next) = downloads.pop_front() else {
            break;
        };
        let (object, bytes) = next.await?;
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(error) => {
                result = Err(anyhow::anyhow!("downloading {}: {error}", object.key));
                break;
            }
        };
        summary.bytes += bytes.len() as u64;
        let batch = match read_object(source.signal, &object.key, bytes) {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(key = %object.key, %error, "replay: object skipped");
                summary.failed.push((object.key.clone(), error.to_string()));
                progress.object(object.size, 0);
                continue;
            }
        };
        let records = batch.len() as u64;
        if let Err(error) = feed(&input, batch, source.batch_size).await {
            result = Err(error.context(format!("replaying {}", object.key)));
            break;
        }
        summary.records += records;
        progress.object(object.size, records);
    }
    for download in downloads {
        download.abort();
    }

    drop(input);
    pipeline.drain().await;
    for h in exporters.values() {
        h.close();
    }
    tokio::task::spawn_blocking(move || {
        for thread in exporter_threads {
            let _ = thread.join();
        }
    })
    .await?;
    summary.elapsed = started.elapsed();
    result.map(|()| summary)
}

/// `config` with only the pipeline replay feeds, and its exporters.
fn only_pipeline(mut config: Config, id: Option<&str>, signal: Signal) -> anyhow::Result<Config> {
    let chosen = match id {
        Some(id) => config
            .pipelines
            .iter()
            .find(|p| p.id == id)
            .with_context(|| format!("the configuration has no pipeline `{id}`"))?,
        None => config
            .pipelines
            .iter()
            .find(|p| p.signal == signal)
            .with_context(|| format!("the configuration has no {signal} pipeline"))?,
    };
    if chosen.signal != signal {
        anyhow::bail!(
            "pipeline `{}` is a {} pipeline; replaying {signal}",
            chosen.id,
            chosen.signal
        );
    }
    let chosen = chosen.clone();
    let used: Vec<&String> = chosen
        .exporters
        .iter()
        .chain(&chosen.dead_letter)
        .chain(chosen.routes.values().flatten())
        .collect();
    config.exporters.retain(|id, _| used.contains(&id));
    config.pipelines = vec![chosen];
    Ok(config)
}

/// Every object of the source, in key order (time order, for the default
/// layouts).
async fn list(client: &S3Client, source: &Source) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    if source.from.is_none() && source.to.is_none() {
        let prefix = if source.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", source.prefix)
        };
        for o in client.list(&prefix).await.context("listing the archive")? {
            if range::is_of_signal(&o.key, &source.file_prefix, source.signal) {
                out.push(o);
            }
        }
        return Ok(out);
    }
    let from = source.from.unwrap_or(SystemTime::UNIX_EPOCH);
    let to = source.to.unwrap_or_else(SystemTime::now);
    if from >= to {
        anyhow::bail!("--from must be before --to");
    }
    let listings = range::listings(
        &source.prefix,
        &source.partition_format,
        &source.file_prefix,
        source.signal,
        from,
        to,
    );
    if listings.len() > 1_000_000 {
        anyhow::bail!(
            "the range spans {} partitions; narrow --from / --to",
            listings.len()
        );
    }
    for prefix in listings {
        out.extend(client.list(&prefix).await.context("listing the archive")?);
    }
    Ok(out)
}

/// Submits `batch` in parts of at most `size` records, a few waiting for
/// their acknowledgement at once; retries what the pipeline asks to be
/// retried.
async fn feed(
    input: &[crate::pipeline::PipelineInput],
    batch: Batch,
    size: usize,
) -> anyhow::Result<()> {
    let mut parts = split(batch, size.max(1)).into_iter();
    let mut waiting = tokio::task::JoinSet::new();
    loop {
        while waiting.len() < IN_FLIGHT {
            let Some(part) = parts.next() else { break };
            let input = input.to_vec();
            waiting.spawn(async move { submit_until_taken(&input, part).await });
        }
        match waiting.join_next().await {
            Some(done) => done??,
            None => return Ok(()),
        }
    }
}

/// Submits one batch, retrying while the pipeline is full or an exporter
/// failed in a way that may pass; a refusal for good is an error.
async fn submit_until_taken(
    input: &[crate::pipeline::PipelineInput],
    batch: Batch,
) -> anyhow::Result<()> {
    let mut wait = Duration::from_millis(10);
    let mut failures = 0;
    loop {
        match submit(input, batch.clone()).await {
            Ok(()) => return Ok(()),
            Err(SubmitError::Overloaded) => {}
            Err(SubmitError::ExportFailed(reason)) => {
                failures += 1;
                if failures >= 10 {
                    anyhow::bail!("exporting failed 10 times in a row; last: {reason}");
                }
                tracing::warn!(%reason, "replay: export failed; retrying");
            }
            Err(SubmitError::ExportRefused(reason)) => {
                anyhow::bail!("an exporter refused the records for good: {reason}")
            }
            Err(SubmitError::ShuttingDown) => anyhow::bail!("the pipeline stopped"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// `batch` cut into parts of at most `size` records, in order. Each part
/// is copied out of the whole (no shrinking of the rest, which would copy
/// what remains once per part).
fn split(batch: Batch, size: usize) -> Vec<Batch> {
    let n = batch.len();
    if n <= size {
        return vec![batch];
    }
    (0..n)
        .step_by(size)
        .map(|start| {
            let keep: Vec<bool> = (0..n).map(|i| i >= start && i < start + size).collect();
            batch.extract(&keep)
        })
        .collect()
}
