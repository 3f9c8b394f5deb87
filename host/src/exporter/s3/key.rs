//! Object keys, laid out as the Collector's `awss3exporter` lays them out
//! (its `internal/upload/partition.go`):
//! `<prefix>/<partition>/<file_prefix><signal>_<unique>.<format>[.<compression>]`,
//! the partition being `strftime` over a UTC time. `weir replay` reads
//! them back the same way: the signal from the name, the format and
//! compression from the extensions, the time from the partition it lists.

use std::time::{SystemTime, UNIX_EPOCH};

use super::config::{Compression, Marshaler};
use crate::otlp::Signal;

/// A UTC calendar time, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Civil {
    /// e.g. 2026.
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// 0–59.
    pub second: u32,
}

impl Civil {
    /// The calendar time of `time` (UTC).
    pub fn from_system(time: SystemTime) -> Civil {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (rest / 3_600) as u32,
            minute: (rest % 3_600 / 60) as u32,
            second: (rest % 60) as u32,
        }
    }

    fn day_of_year(&self) -> u32 {
        const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        BEFORE[(self.month - 1) as usize] + self.day + u32::from(leap && self.month > 2)
    }
}

/// Checks that weir can expand `format`: every `%` is followed by one of
/// the conversions [`partition`] knows.
pub fn check_format(format: &str) -> Result<(), String> {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y' | 'm' | 'd' | 'H' | 'M' | 'S' | 'j' | 'y' | '%') => {}
                Some(other) => {
                    return Err(format!(
                        "`%{other}` is not supported (known: %Y %m %d %H %M %S %j %y %%)"
                    ));
                }
                None => return Err("ends with a lone `%`".to_string()),
            }
        }
    }
    if format.starts_with('/') || format.ends_with('/') {
        return Err("give it without a leading or trailing `/`".to_string());
    }
    Ok(())
}

/// `format` (checked by [`check_format`]) expanded for `time`.
pub fn partition(format: &str, time: Civil) -> String {
    let mut out = String::with_capacity(format.len() + 8);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", time.year)),
            Some('y') => out.push_str(&format!("{:02}", time.year.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", time.month)),
            Some('d') => out.push_str(&format!("{:02}", time.day)),
            Some('H') => out.push_str(&format!("{:02}", time.hour)),
            Some('M') => out.push_str(&format!("{:02}", time.minute)),
            Some('S') => out.push_str(&format!("{:02}", time.second)),
            Some('j') => out.push_str(&format!("{:03}", time.day_of_year())),
            Some('%') => out.push('%'),
            // check_format refused anything else.
            _ => {}
        }
    }
    out
}

/// A name part that no two objects share: nine random letters and digits,
/// the first a letter, as the Collector's default (62^8·52 choices; a
/// collision needs two objects of one signal in one partition anyway).
pub fn unique() -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(9);
    out.push(LETTERS[fastrand::usize(..LETTERS.len())] as char);
    for _ in 1..9 {
        out.push(ALNUM[fastrand::usize(..ALNUM.len())] as char);
    }
    out
}

/// The file extension of objects of `marshaler` with `compression`.
pub fn extension(marshaler: Marshaler, compression: Compression) -> &'static str {
    match (marshaler, compression) {
        // Parquet compresses inside the file, by column chunk.
        (Marshaler::Parquet, _) => "parquet",
        (Marshaler::OtlpProto, Compression::None) => "binpb",
        (Marshaler::OtlpProto, Compression::Gzip) => "binpb.gz",
        (Marshaler::OtlpProto, Compression::Zstd) => "binpb.zst",
        (Marshaler::OtlpJson, Compression::None) => "json",
        (Marshaler::OtlpJson, Compression::Gzip) => "json.gz",
        (Marshaler::OtlpJson, Compression::Zstd) => "json.zst",
    }
}

/// What a key says about the object: its format and compression, from
/// the extensions. `None` for a name weir does not know how to read.
pub fn format_of(key: &str) -> Option<(Marshaler, Compression)> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (stem, compression) = if let Some(stem) = name.strip_suffix(".gz") {
        (stem, Compression::Gzip)
    } else if let Some(stem) = name.strip_suffix(".zst") {
        (stem, Compression::Zstd)
    } else {
        (name, Compression::None)
    };
    let marshaler = if stem.ends_with(".binpb") || stem.ends_with(".pb") {
        Marshaler::OtlpProto
    } else if stem.ends_with(".json") {
        Marshaler::OtlpJson
    } else if stem.ends_with(".parquet") {
        return Some((Marshaler::Parquet, Compression::None));
    } else {
        return None;
    };
    Some((marshaler, compression))
}

/// The key of a new object of `signal` started at `time`.
pub fn object_key(
    prefix: &str,
    partition_format: &str,
    file_prefix: &str,
    signal: Signal,
    time: SystemTime,
    ext: &str,
) -> String {
    let mut key = String::new();
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push('/');
    }
    key.push_str(&partition(partition_format, Civil::from_system(time)));
    key.push('/');
    key.push_str(file_prefix);
    key.push_str(signal.as_str());
    key.push('_');
    key.push_str(&unique());
    key.push('.');
    key.push_str(ext);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(secs)
    }

    #[test]
    fn the_default_partition_is_the_collectors() {
        // 2024-02-29T23:59:07Z: a leap day, to check the calendar.
        let time = Civil::from_system(at(1_709_251_147));
        assert_eq!(
            partition("year=%Y/month=%m/day=%d/hour=%H/minute=%M", time),
            "year=2024/month=02/day=29/hour=23/minute=59"
        );
        assert_eq!(partition("%Y/%j/%y-%S%%", time), "2024/060/24-07%");
        assert_eq!(
            Civil::from_system(at(0)),
            Civil {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
    }

    #[test]
    fn keys_have_the_collectors_layout() {
        let key = object_key(
            "archive/prod",
            "year=%Y/month=%m/day=%d/hour=%H/minute=%M",
            "edge1-",
            Signal::Logs,
            at(1_764_235_800), // 2025-11-27T09:30:00Z
            extension(Marshaler::OtlpProto, Compression::Zstd),
        );
        let (dir, name) = key.rsplit_once('/').unwrap();
        assert_eq!(
            dir,
            "archive/prod/year=2025/month=11/day=27/hour=09/minute=30"
        );
        let unique = name
            .strip_prefix("edge1-logs_")
            .and_then(|n| n.strip_suffix(".binpb.zst"))
            .unwrap_or_else(|| panic!("unexpected name {name}"));
        assert_eq!(unique.len(), 9);
        assert!(unique.chars().next().unwrap().is_ascii_alphabetic());
        assert!(unique.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn formats_are_told_from_extensions() {
        for marshaler in [Marshaler::OtlpProto, Marshaler::OtlpJson] {
            for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let key = format!("p/logs_abc.{}", extension(marshaler, compression));
                assert_eq!(format_of(&key), Some((marshaler, compression)), "{key}");
            }
        }
        assert_eq!(
            format_of("p/traces_x.parquet"),
            Some((Marshaler::Parquet, Compression::None))
        );
        assert_eq!(format_of("p/logs_x.txt"), None);
    }

    #[test]
    fn unknown_conversions_are_refused() {
        assert!(check_format("year=%Y/%q").unwrap_err().contains("`%q`"));
        assert!(check_format("%Y%").is_err());
        assert!(check_format("%Y/%m/%d").is_ok());
    }
}
