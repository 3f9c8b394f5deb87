//! Prometheus remote write 1.0's messages (`prometheus.WriteRequest` of
//! `prompb/remote.proto` and `types.proto`), declared with prost's
//! derive: the handful of messages and fields a writer sends, without
//! exemplars and native histograms. No maintained crate carries them
//! without a generated-code build step or a large dependency tree.
//!
//! [`bodies`] splits a request's series into bodies of at most
//! `max_batch_size_bytes` encoded bytes and compresses each with snappy's
//! block format, as the protocol asks (`snap::raw`, not the framed
//! stream format).

use prost::Message;

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub(crate) timeseries: Vec<TimeSeries>,
    #[prost(message, repeated, tag = "3")]
    pub(crate) metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`: labels sorted by name, samples by time.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Message)]
pub(crate) struct Label {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `prometheus.Sample`: a value at a time in milliseconds.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct Sample {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    #[prost(int64, tag = "2")]
    pub(crate) timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct MetricMetadata {
    #[prost(enumeration = "MetricType", tag = "1")]
    pub(crate) r#type: i32,
    #[prost(string, tag = "2")]
    pub(crate) metric_family_name: String,
    #[prost(string, tag = "4")]
    pub(crate) help: String,
    #[prost(string, tag = "5")]
    pub(crate) unit: String,
}

/// `prometheus.MetricMetadata.MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum MetricType {
    Unknown = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    GaugeHistogram = 4,
    Summary = 5,
    Info = 6,
    StateSet = 7,
}

/// The series and metadata as snappy-compressed `WriteRequest` bodies of
/// at most `max_bytes` encoded bytes each (a single series larger than
/// that gets a body of its own). Metadata rides in the last body.
pub(crate) fn bodies(
    series: Vec<TimeSeries>,
    metadata: Vec<MetricMetadata>,
    max_bytes: usize,
) -> Result<Vec<Vec<u8>>, snap::Error> {
    let mut requests = Vec::new();
    let mut current = WriteRequest::default();
    let mut size = 0;
    for ts in series {
        // The series' size inside the request: its bytes, tag and length.
        let len = ts.encoded_len();
        let framed = 1 + prost::length_delimiter_len(len) + len;
        if size + framed > max_bytes && !current.timeseries.is_empty() {
            requests.push(std::mem::take(&mut current));
            size = 0;
        }
        size += framed;
        current.timeseries.push(ts);
    }
    current.metadata = metadata;
    if !current.timeseries.is_empty() || !current.metadata.is_empty() {
        requests.push(current);
    }
    let mut encoder = snap::raw::Encoder::new();
    requests
        .iter()
        .map(|request| encoder.compress_vec(&request.encode_to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, samples: usize) -> TimeSeries {
        TimeSeries {
            labels: vec![Label {
                name: "__name__".into(),
                value: name.into(),
            }],
            samples: (0..samples)
                .map(|i| Sample {
                    value: i as f64,
                    timestamp: 1_700_000_000_000 + i as i64,
                })
                .collect(),
        }
    }

    fn decode(body: &[u8]) -> WriteRequest {
        let plain = snap::raw::Decoder::new().decompress_vec(body).unwrap();
        WriteRequest::decode(plain.as_slice()).unwrap()
    }

    #[test]
    fn bodies_are_snappy_blocks_under_the_limit() {
        let all: Vec<TimeSeries> = (0..50).map(|i| series(&format!("m{i}"), 10)).collect();
        let one = 1 + {
            let l = all[0].encoded_len();
            prost::length_delimiter_len(l) + l
        };
        let bodies = bodies(all.clone(), vec![], one * 20).unwrap();
        assert_eq!(bodies.len(), 3);
        let back: Vec<TimeSeries> = bodies.iter().flat_map(|b| decode(b).timeseries).collect();
        assert_eq!(back, all);
        for body in &bodies {
            let plain = snap::raw::Decoder::new().decompress_vec(body).unwrap();
            assert!(plain.len() <= one * 20);
        }
        let huge = bodies_of_one_oversized();
        assert_eq!(huge, 2, "an oversized series is sent alone, not dropped");
    }

    fn bodies_of_one_oversized() -> usize {
        bodies(vec![series("a", 1000), series("b", 1)], vec![], 100)
            .unwrap()
            .len()
    }
}
