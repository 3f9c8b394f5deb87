//! The `file` exporter: OTLP/JSON lines on local disk, one directory per
//! signal (`logs/`, `metrics/`, `traces/`), one export request per line, as
//! the Collector's file exporter writes them — readable back with any
//! OTLP/JSON parser, line by line.
//!
//! The current file is `<signal>.jsonl`; when it reaches `max_megabytes` it
//! is renamed `<signal>-<unix-millis>.jsonl` and a new one started, and
//! only the newest `max_backups` rotated files are kept. Each batch is
//! flushed to the operating system before it is acknowledged.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::config::FileExporter;
use crate::otlp::{Batch, Signal};

pub(crate) struct FileSink {
    settings: FileExporter,
    writers: Vec<(Signal, SignalFile)>,
}

struct SignalFile {
    dir: PathBuf,
    signal: Signal,
    out: BufWriter<File>,
    size: u64,
}

impl FileSink {
    pub(crate) fn new(settings: FileExporter) -> anyhow::Result<FileSink> {
        std::fs::create_dir_all(&settings.path).map_err(|e| {
            anyhow::anyhow!(
                "file exporter: cannot create {}: {e}",
                settings.path.display()
            )
        })?;
        Ok(FileSink {
            settings,
            writers: Vec::new(),
        })
    }

    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), String> {
        let max = self.settings.max_megabytes.max(1) << 20;
        let backups = self.settings.max_backups;
        let signal = batch.signal();
        let file = self.writer(signal).map_err(|e| e.to_string())?;
        let mut line = serde_json::to_vec(&batch.to_json_value()).map_err(|e| e.to_string())?;
        line.push(b'\n');
        file.out
            .write_all(&line)
            .and_then(|()| file.out.flush())
            .map_err(|e| format!("writing {}: {e}", file.current().display()))?;
        file.size += line.len() as u64;
        if file.size >= max {
            file.rotate(backups)
                .map_err(|e| format!("rotating {}: {e}", file.current().display()))?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) {
        for (_, file) in &mut self.writers {
            if let Err(error) = file.out.flush() {
                tracing::error!(%error, "file exporter: flush failed");
            }
        }
    }

    fn writer(&mut self, signal: Signal) -> std::io::Result<&mut SignalFile> {
        if let Some(i) = self.writers.iter().position(|(s, _)| *s == signal) {
            return Ok(&mut self.writers[i].1);
        }
        let dir = self.settings.path.join(signal.as_str());
        std::fs::create_dir_all(&dir)?;
        let file = SignalFile::open(dir, signal)?;
        self.writers.push((signal, file));
        Ok(&mut self.writers.last_mut().expect("just pushed").1)
    }
}

impl SignalFile {
    fn open(dir: PathBuf, signal: Signal) -> std::io::Result<SignalFile> {
        let path = dir.join(format!("{signal}.jsonl"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(SignalFile {
            dir,
            signal,
            out: BufWriter::with_capacity(1 << 20, file),
            size,
        })
    }

    fn current(&self) -> PathBuf {
        self.dir.join(format!("{}.jsonl", self.signal))
    }

    fn rotate(&mut self, keep: usize) -> std::io::Result<()> {
        self.out.flush()?;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let rotated = self.dir.join(format!("{}-{millis}.jsonl", self.signal));
        std::fs::rename(self.current(), rotated)?;
        *self = SignalFile::open(self.dir.clone(), self.signal)?;
        if keep > 0 {
            prune(&self.dir, self.signal, keep)?;
        }
        Ok(())
    }
}

/// Deletes all but the newest `keep` rotated files of `signal`.
fn prune(dir: &Path, signal: Signal, keep: usize) -> std::io::Result<()> {
    let prefix = format!("{signal}-");
    let mut rotated: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".jsonl"))
        })
        .collect();
    // Names carry the rotation time in milliseconds, equal in length for
    // centuries, so name order is age order.
    rotated.sort();
    let excess = rotated.len().saturating_sub(keep);
    for old in &rotated[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(())
}
