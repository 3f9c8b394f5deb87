//! The `memory_limiter` processor: a guard that refuses new data while
//! weir's resident memory is above a soft limit, so that a burst or a
//! slow exporter (whose queues hold records in memory) cannot push the
//! daemon into the kernel's OOM killer. Refused senders get 503 /
//! `UNAVAILABLE` — retryable — so they keep their data and try again;
//! nothing already accepted is dropped.
//!
//! As in the Collector, the hard limit is `limit_mib` and the soft limit
//! `limit_mib - spike_limit_mib`: between two checks memory can grow by
//! up to a spike, so refusing from the soft limit on keeps it under the
//! hard one. Memory is read every `check_interval` from
//! `/proc/self/status` (`VmRSS`), on a thread of its own so a busy
//! runtime does not delay the check; the pipelines' inputs only read a
//! flag.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::config::MemoryLimiterProcessor;
use crate::telemetry::metrics::Metrics;

/// A running memory limiter, shared by the pipelines that list it.
#[derive(Debug)]
pub struct MemoryLimiter {
    id: String,
    soft: u64,
    hard: u64,
    refusing: AtomicBool,
    resident: AtomicU64,
}

impl MemoryLimiter {
    /// Computes the limits (a percentage is of the machine's memory, or
    /// of the cgroup's limit if one is set) and starts the checking
    /// thread, which ends when the limiter is dropped.
    pub fn start(
        id: &str,
        settings: &MemoryLimiterProcessor,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Arc<MemoryLimiter>> {
        let (soft, hard) = limits(settings, total_memory()?)?;
        let limiter = Arc::new(MemoryLimiter {
            id: id.to_string(),
            soft,
            hard,
            refusing: AtomicBool::new(false),
            resident: AtomicU64::new(0),
        });
        tracing::info!(
            processor = %id,
            soft_limit_mib = soft >> 20,
            hard_limit_mib = hard >> 20,
            "memory limiter on"
        );
        let weak = Arc::downgrade(&limiter);
        let interval = settings.check_interval;
        std::thread::Builder::new()
            .name(format!("weir-{id}"))
            .spawn(move || {
                while let Some(limiter) = weak.upgrade() {
                    limiter.check(resident_bytes(), &metrics);
                    drop(limiter);
                    std::thread::sleep(interval);
                }
            })?;
        Ok(limiter)
    }

    /// Takes a reading of resident memory.
    fn check(&self, resident: u64, metrics: &Metrics) {
        self.resident.store(resident, Ordering::Relaxed);
        let over = resident >= self.soft;
        let was = self.refusing.swap(over, Ordering::Relaxed);
        metrics.memory_limiter_refusing(&self.id, over);
        if over && !was {
            tracing::warn!(
                processor = %self.id,
                resident_mib = resident >> 20,
                soft_limit_mib = self.soft >> 20,
                hard_limit_mib = self.hard >> 20,
                "memory above the soft limit: refusing new data (senders retry)"
            );
        } else if was && !over {
            tracing::info!(
                processor = %self.id,
                resident_mib = resident >> 20,
                "memory below the soft limit again: accepting data"
            );
        }
    }

    /// Why new data must be refused now, if it must.
    pub fn refusal(&self) -> Option<String> {
        if !self.refusing.load(Ordering::Relaxed) {
            return None;
        }
        Some(format!(
            "weir is above its memory limit ({} of {} MiB resident, processor {}): retry later",
            self.resident.load(Ordering::Relaxed) >> 20,
            self.soft >> 20,
            self.id
        ))
    }
}

/// `(soft, hard)` in bytes from the settings and the memory there is.
fn limits(settings: &MemoryLimiterProcessor, total: u64) -> anyhow::Result<(u64, u64)> {
    let (hard, spike) = if settings.limit_mib > 0 {
        let hard = settings.limit_mib << 20;
        let spike = match settings.spike_limit_mib {
            Some(mib) => mib << 20,
            None => hard / 5,
        };
        (hard, spike)
    } else {
        let hard = total / 100 * u64::from(settings.limit_percentage);
        let spike = total / 100 * u64::from(settings.spike_limit_percentage.unwrap_or(0));
        let spike = if settings.spike_limit_percentage.is_none() {
            hard / 5
        } else {
            spike
        };
        (hard, spike)
    };
    if spike >= hard {
        anyhow::bail!("the spike limit must be below the limit");
    }
    Ok((hard - spike, hard))
}

/// Resident memory of this process, in bytes (0 if it cannot be read):
/// `VmRSS` of `/proc/self/status`, in kB there, whatever the page size.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            let kib = l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?;
            kib.trim().parse::<u64>().ok()
        })
        .map_or(0, |kib| kib << 10)
}

/// The memory a percentage is of: the cgroup v2 limit if one is set,
/// else the machine's.
fn total_memory() -> anyhow::Result<u64> {
    if let Ok(text) = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        && let Ok(bytes) = text.trim().parse::<u64>()
    {
        return Ok(bytes);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    meminfo
        .lines()
        .find_map(|l| {
            let kib = l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?;
            kib.trim().parse::<u64>().ok()
        })
        .map(|kib| kib << 10)
        .ok_or_else(|| anyhow::anyhow!("no MemTotal in /proc/meminfo"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn settings(limit_mib: u64, spike: Option<u64>) -> MemoryLimiterProcessor {
        MemoryLimiterProcessor {
            check_interval: Duration::from_secs(1),
            limit_mib,
            spike_limit_mib: spike,
            ..Default::default()
        }
    }

    #[test]
    fn the_soft_limit_is_the_limit_less_the_spike() {
        assert_eq!(
            limits(&settings(100, Some(30)), 0).unwrap(),
            (70 << 20, 100 << 20)
        );
        assert_eq!(
            limits(&settings(100, None), 0).unwrap(),
            (80 << 20, 100 << 20),
            "spike defaults to a fifth"
        );
        let percent = MemoryLimiterProcessor {
            check_interval: Duration::from_secs(1),
            limit_percentage: 50,
            spike_limit_percentage: Some(10),
            ..Default::default()
        };
        assert_eq!(
            limits(&percent, 1000 << 20).unwrap(),
            (400 << 20, 500 << 20)
        );
        assert!(limits(&settings(100, Some(100)), 0).is_err());
    }

    #[test]
    fn it_refuses_above_the_soft_limit_and_accepts_below() {
        let metrics = Arc::new(Metrics::new());
        let limiter = MemoryLimiter {
            id: "memory_limiter".into(),
            soft: 80 << 20,
            hard: 100 << 20,
            refusing: AtomicBool::new(false),
            resident: AtomicU64::new(0),
        };
        limiter.check(50 << 20, &metrics);
        assert_eq!(limiter.refusal(), None);
        limiter.check(90 << 20, &metrics);
        let message = limiter.refusal().unwrap();
        assert!(message.contains("90 of 80 MiB"), "{message}");
        limiter.check(79 << 20, &metrics);
        assert_eq!(limiter.refusal(), None);
    }

    #[test]
    fn resident_memory_is_read() {
        assert!(resident_bytes() > 1 << 20);
        assert!(total_memory().unwrap() > 1 << 20);
    }
}
