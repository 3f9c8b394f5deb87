//! Which keys `weir replay` lists: with a time range, one listing per
//! partition the range covers — `<prefix>/<partition(t)>/<file_prefix><signal>_`
//! for each step of the partition format's finest unit, as the
//! Collector's `awss3receiver` walks minute by minute — and without one,
//! the whole prefix, keeping the names of the signal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::archive::{Civil, partition};
use crate::otlp::Signal;

/// Parses a time as the Collector's `awss3receiver` `starttime` /
/// `endtime` take it, in UTC: `2026-11-27 09:30`, `2026-11-27T09:30:00Z`,
/// `2026-11-27 09:30:15`, or a date alone (`2026-11-27`, midnight).
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    let t = text.trim().trim_end_matches('Z').replace('T', " ");
    let full = match t.len() {
        10 => format!("{t} 00:00:00"),
        16 => format!("{t}:00"),
        _ => t.clone(),
    };
    humantime::parse_rfc3339_weak(&full).map_err(|e| {
        format!(
            "`{text}` is not a time (want e.g. `2026-11-27 09:30`, `2026-11-27T09:30:00Z` or \
             `2026-11-27`, UTC): {e}"
        )
    })
}

/// The step between partitions of `format`: its finest conversion.
pub fn step(format: &str) -> Duration {
    let has = |c: &str| format.contains(c);
    if has("%S") {
        Duration::from_secs(1)
    } else if has("%M") {
        Duration::from_secs(60)
    } else if has("%H") {
        Duration::from_secs(3_600)
    } else {
        Duration::from_secs(86_400)
    }
}

/// `time` rounded down to a multiple of `step` (UTC).
fn floor(time: SystemTime, step: Duration) -> SystemTime {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs - secs % step.as_secs())
}

/// The start of every name of `signal` in `dir` (a partition, or the
/// prefix itself).
fn name_start(dir: &str, file_prefix: &str, signal: Signal) -> String {
    if dir.is_empty() {
        format!("{file_prefix}{signal}_")
    } else {
        format!("{dir}/{file_prefix}{signal}_")
    }
}

/// The key prefixes to list for `signal` from `from` (inclusive) to `to`
/// (exclusive), in time order, each once.
pub fn listings(
    prefix: &str,
    format: &str,
    file_prefix: &str,
    signal: Signal,
    from: SystemTime,
    to: SystemTime,
) -> Vec<String> {
    let step = step(format);
    let mut out: Vec<String> = Vec::new();
    let mut t = floor(from, step);
    while t < to {
        let mut dir = String::new();
        if !prefix.is_empty() {
            dir.push_str(prefix);
            dir.push('/');
        }
        dir.push_str(&partition(format, Civil::from_system(t)));
        let start = name_start(&dir, file_prefix, signal);
        if out.last() != Some(&start) {
            out.push(start);
        }
        t += step;
    }
    out
}

/// Whether `key`, listed under the whole prefix, names an object of
/// `signal` (its last segment starts with `<file_prefix><signal>_`).
pub fn is_of_signal(key: &str, file_prefix: &str, signal: Signal) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.starts_with(&name_start("", file_prefix, signal))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "year=%Y/month=%m/day=%d/hour=%H/minute=%M";

    #[test]
    fn times_parse_in_the_receivers_forms() {
        let want = UNIX_EPOCH + Duration::from_secs(1_764_235_800); // 2025-11-27T09:30:00Z
        for text in [
            "2025-11-27 09:30",
            "2025-11-27T09:30:00Z",
            "2025-11-27 09:30:00",
        ] {
            assert_eq!(parse_time(text).unwrap(), want, "{text}");
        }
        assert_eq!(
            parse_time("2025-11-27").unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_764_201_600)
        );
        assert!(
            parse_time("yesterday")
                .unwrap_err()
                .contains("`yesterday` is not a time")
        );
    }

    #[test]
    fn a_range_lists_each_minute_it_covers() {
        let from = parse_time("2025-11-27 09:58:30").unwrap();
        let to = parse_time("2025-11-27 10:01").unwrap();
        assert_eq!(
            listings("arch", DEFAULT, "", Signal::Logs, from, to),
            [
                "arch/year=2025/month=11/day=27/hour=09/minute=58/logs_",
                "arch/year=2025/month=11/day=27/hour=09/minute=59/logs_",
                "arch/year=2025/month=11/day=27/hour=10/minute=00/logs_",
            ]
        );
        // An hourly layout lists each hour once.
        let hours = listings("", "%Y/%m/%d/%H", "edge-", Signal::Traces, from, to);
        assert_eq!(
            hours,
            ["2025/11/27/09/edge-traces_", "2025/11/27/10/edge-traces_"]
        );
    }

    #[test]
    fn names_tell_the_signal() {
        assert!(is_of_signal("a/b/logs_x.binpb", "", Signal::Logs));
        assert!(!is_of_signal("a/b/traces_x.binpb", "", Signal::Logs));
        assert!(is_of_signal(
            "a/edge-metrics_x.json.gz",
            "edge-",
            Signal::Metrics
        ));
    }
}
