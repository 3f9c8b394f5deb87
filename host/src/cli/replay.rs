//! `weir replay`: the command line around [`crate::replay`] — where the
//! archive is, which signal and time range, the pipeline to feed — with a
//! progress bar on a terminal and a summary at the end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::archive::{ChecksumWhen, S3Uploader};
use crate::config;
use crate::otlp::Signal;
use crate::plugin::Runtime;
use crate::replay::{self, Progress, Source, range};

/// Arguments of `weir replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The configuration whose pipeline the archive is fed through: its
    /// plugin chain and its exporters (a hot store, Kafka, files, `debug`
    /// for stdout). Its receivers are not started.
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,
    /// Which pipeline of the configuration, when it has several of the
    /// signal. Default: the first pipeline of the signal.
    #[arg(long, value_name = "ID")]
    pipeline: Option<String>,
    /// The bucket the archive is in.
    #[arg(long)]
    bucket: String,
    /// The key prefix it was written under (the exporter's `s3_prefix`).
    #[arg(long, default_value = "")]
    prefix: String,
    /// The signal to replay: logs, metrics or traces.
    #[arg(long)]
    signal: Signal,
    /// Replay partitions from this time on (UTC; `2026-11-27 09:30`,
    /// `2026-11-27T09:30:00Z` or `2026-11-27`), as the Collector's
    /// awss3receiver `starttime`. Default: the beginning.
    #[arg(long, value_parser = range::parse_time)]
    from: Option<std::time::SystemTime>,
    /// …up to this time, not included. Default: now (with `--from`), or
    /// everything under the prefix (without either).
    #[arg(long, value_parser = range::parse_time)]
    to: Option<std::time::SystemTime>,
    /// The store's URL, for anything but AWS (MinIO, Ceph…).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The AWS region.
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    region: String,
    /// Address buckets as `endpoint/bucket` (MinIO and most S3-compatible
    /// stores need it).
    #[arg(long)]
    force_path_style: bool,
    /// The archive's partition format (the exporter's
    /// `s3_partition_format`).
    #[arg(long, default_value = "year=%Y/month=%m/day=%d/hour=%H/minute=%M")]
    partition_format: String,
    /// The archive's `file_prefix`.
    #[arg(long, default_value = "")]
    file_prefix: String,
    /// The most records submitted to the pipeline in one batch (objects
    /// hold many more).
    #[arg(long, default_value_t = 8192)]
    batch_size: usize,
}

pub(crate) fn run(runtime: Runtime, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let config = config::load(&args.config).with_context(|| {
        format!(
            "{} is not a valid weir configuration",
            args.config.display()
        )
    })?;
    crate::archive::check_format(&args.partition_format)
        .map_err(|e| anyhow::anyhow!("--partition-format: {e}"))?;
    let source = Source {
        store: S3Uploader {
            region: args.region.clone(),
            s3_bucket: args.bucket.clone(),
            endpoint: args.endpoint.clone(),
            s3_force_path_style: args.force_path_style,
            request_checksum_calculation: ChecksumWhen::WhenRequired,
            response_checksum_validation: ChecksumWhen::WhenRequired,
            ..S3Uploader::default()
        },
        prefix: args.prefix.trim_matches('/').to_string(),
        signal: args.signal,
        partition_format: args.partition_format.clone(),
        file_prefix: args.file_prefix.clone(),
        from: args.from,
        to: args.to,
        batch_size: args.batch_size,
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("weir-io")
        .build()
        .context("starting the async runtime")?;
    let mut progress = Bar::new();
    let summary = tokio.block_on(replay::run(
        config,
        args.pipeline.as_deref(),
        source,
        runtime,
        &mut progress,
    ));
    progress.finish();
    let summary = summary?;
    let secs = summary.elapsed.as_secs_f64().max(1e-9);
    println!(
        "replayed {} of {} objects: {} records, {} bytes in {:.1}s ({:.0} records/s, {:.1} MiB/s)",
        summary.objects - summary.failed.len() as u64,
        summary.objects,
        summary.records,
        summary.bytes,
        secs,
        summary.records as f64 / secs,
        summary.bytes as f64 / secs / (1 << 20) as f64,
    );
    if summary.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (key, reason) in &summary.failed {
        eprintln!("not replayed: {key}: {reason}");
    }
    anyhow::bail!(
        "{} object(s) could not be read (listed above)",
        summary.failed.len()
    )
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    objects: u64,
    done: u64,
    records: u64,
}

impl Bar {
    fn new() -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {msg} ({elapsed}, eta {eta})",
                )
                .expect("a valid template"),
            );
            bar
        });
        Bar {
            bar,
            objects: 0,
            done: 0,
            records: 0,
        }
    }

    fn show(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{}/{} objects, {} records",
                self.done, self.objects, self.records
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&mut self, objects: u64, bytes: u64) {
        self.objects = objects;
        if let Some(bar) = &self.bar {
            bar.set_length(bytes);
        }
        self.show();
    }

    fn object(&mut self, bytes: u64, records: u64) {
        self.done += 1;
        self.records += records;
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
        self.show();
    }
}
