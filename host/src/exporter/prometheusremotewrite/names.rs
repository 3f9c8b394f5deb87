//! OTLP names as Prometheus names, as the Collector's translator
//! (`pkg/translator/prometheus`) builds them.
//!
//! Metric names with `add_metric_suffixes` (the Collector's default): the
//! name split into words at every character that is not a letter or
//! digit, the unit's word appended unless already there (`s` →
//! `seconds`, `By` → `bytes`, `1` → nothing, `{packets}` ignored; `/s` →
//! `per_second`), `total` moved to the end of monotonic sums, `ratio` to
//! the end of gauges of unit `1`, the namespace in front, words joined by
//! `_`, and `_` in front of a leading digit. Without suffixes, characters
//! other than letters, digits, `_` and `:` become `_`.
//!
//! Label names: characters other than letters, digits and `_` become
//! `_`; a leading digit gets `key_` in front, a single leading `_` gets
//! `key` (names starting `__` are Prometheus' own and stay).
//!
//! "Letter" and "digit" mean ASCII here, where the Collector takes any
//! Unicode letter: Prometheus before 3.0 (2.42 among them) and
//! VictoriaMetrics' remote write refuse other characters in names.

/// What kind of metric a name is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Gauge,
    /// A monotonic sum.
    Counter,
    /// A non-monotonic sum, a histogram or a summary.
    Other,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn unit_word(unit: &str) -> &str {
    match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

fn per_unit_word(unit: &str) -> &str {
    match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

/// Words of `text`: runs of letters and digits joined by `_`.
fn clean(text: &str) -> String {
    text.split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The Prometheus name of a metric.
pub(crate) fn metric_name(
    name: &str,
    unit: &str,
    kind: Kind,
    namespace: &str,
    add_suffixes: bool,
) -> String {
    let mut out = if add_suffixes {
        let mut words: Vec<String> = name
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let mut unit_parts = unit.splitn(2, '/');
        let main = unit_parts.next().unwrap_or("").trim();
        if !main.is_empty() && !main.contains(['{', '}']) {
            let word = clean(unit_word(main));
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
        }
        if let Some(per) = unit_parts.next().map(str::trim)
            && !per.is_empty()
            && !per.contains(['{', '}'])
        {
            let word = clean(per_unit_word(per));
            if !word.is_empty() && !words.contains(&word) {
                words.push("per".into());
                words.push(word);
            }
        }
        if kind == Kind::Counter {
            words.retain(|w| w != "total");
            words.push("total".into());
        }
        if unit == "1" && kind == Kind::Gauge {
            words.retain(|w| w != "ratio");
            words.push("ratio".into());
        }
        if !namespace.is_empty() {
            words.insert(0, namespace.to_string());
        }
        words.join("_")
    } else {
        let cleaned = name
            .split(|c: char| !(is_word(c) || c == '_' || c == ':'))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        if namespace.is_empty() {
            cleaned
        } else {
            format!("{namespace}_{cleaned}")
        }
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The Prometheus name of a label.
pub(crate) fn label_name(key: &str) -> String {
    if key.is_empty() {
        return String::new();
    }
    let mut out: String = key
        .chars()
        .map(|c| if is_word(c) { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    } else if out.starts_with('_') && !out.starts_with("__") {
        out.insert_str(0, "key");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str, unit: &str, kind: Kind) -> String {
        metric_name(name, unit, kind, "", true)
    }

    #[test]
    fn suffixes_as_the_collector_adds_them() {
        assert_eq!(
            name("http.server.duration", "s", Kind::Other),
            "http_server_duration_seconds"
        );
        assert_eq!(
            name("http.requests", "1", Kind::Counter),
            "http_requests_total"
        );
        assert_eq!(
            name("requests.total.count", "", Kind::Counter),
            "requests_count_total"
        );
        assert_eq!(
            name("memory.usage", "By", Kind::Gauge),
            "memory_usage_bytes"
        );
        assert_eq!(
            name("cpu.utilization", "1", Kind::Gauge),
            "cpu_utilization_ratio"
        );
        assert_eq!(
            name("io", "By/s", Kind::Counter),
            "io_bytes_per_second_total"
        );
        assert_eq!(name("packets", "{packets}", Kind::Counter), "packets_total");
        assert_eq!(name("latency_seconds", "s", Kind::Gauge), "latency_seconds");
        assert_eq!(name("temp", "Cel", Kind::Gauge), "temp_celsius");
        assert_eq!(name("2xx", "", Kind::Gauge), "_2xx");
        assert_eq!(
            name("odd unit", "furlongs", Kind::Gauge),
            "odd_unit_furlongs"
        );
        assert_eq!(
            metric_name("queue.size", "", Kind::Gauge, "weir", true),
            "weir_queue_size"
        );
    }

    #[test]
    fn without_suffixes_only_forbidden_characters_change() {
        assert_eq!(
            metric_name("http.requests:rate", "1", Kind::Counter, "", false),
            "http_requests:rate"
        );
        assert_eq!(metric_name("a-b", "s", Kind::Gauge, "ns", false), "ns_a_b");
        assert_eq!(metric_name("1a", "", Kind::Gauge, "", false), "_1a");
    }

    #[test]
    fn labels_as_the_collector_normalises_them() {
        assert_eq!(label_name("service.name"), "service_name");
        assert_eq!(label_name("http-method"), "http_method");
        assert_eq!(label_name("0key"), "key_0key");
        assert_eq!(label_name("_private"), "key_private");
        assert_eq!(label_name("__reserved"), "__reserved");
        assert_eq!(label_name("ünï"), "key_n_");
    }
}
