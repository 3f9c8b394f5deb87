//! The settings of the `s3` exporter, with the keys of the OpenTelemetry
//! Collector's `awss3exporter` (`s3uploader.*`, `marshaler`) plus weir's
//! own for rolling objects, and the checks [`resolve`](crate::config)
//! runs on them before anything starts.

use std::time::Duration;

use serde::Deserialize;

use crate::exporter::InvalidSetting;

/// Exporter `s3`: an archive of everything in S3 or any S3-compatible store
/// (MinIO, Ceph, moto…), laid out as the Collector's `awss3exporter` lays
/// it out, so its `awss3receiver`, `weir replay` and people's existing
/// queries find the objects:
///
/// `<s3_prefix>/<s3_partition_format>/<file_prefix><signal>_<unique>.<ext>`
///
/// e.g. `archive/year=2026/month=11/day=27/hour=09/minute=30/logs_Qf3kZ0a8b.binpb.zst`.
/// The partition is the time (UTC) the object was started. Batches are
/// gathered into one object per signal until it reaches
/// `rollover.max_size_mib` or `rollover.max_age`, then uploaded; a batch is
/// acknowledged only once the object holding it is uploaded.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct S3Exporter {
    /// Where and how objects are written.
    pub s3uploader: S3Uploader,
    /// How records are encoded: `otlp_proto` (default; the OTLP protobuf
    /// export request, `.binpb`), `otlp_json` (OTLP/JSON, `.json`) or
    /// `parquet` (one flattened row per record, `.parquet`; see the
    /// README for the schema). An `otlp_proto` or `otlp_json` object holds
    /// one export request, as the Collector's do.
    pub marshaler: Marshaler,
    /// When an object is closed and uploaded.
    pub rollover: Rollover,
    /// How long one S3 request (a `PutObject`, or one part of a multipart
    /// upload) may take before it is abandoned and the upload counts as a
    /// retryable failure. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for S3Exporter {
    fn default() -> Self {
        S3Exporter {
            s3uploader: S3Uploader::default(),
            marshaler: Marshaler::OtlpProto,
            rollover: Rollover::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Where objects go, with the Collector's `s3uploader` keys.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct S3Uploader {
    /// The AWS region. Default `us-east-1`, as the Collector's; an
    /// S3-compatible store usually ignores it, but it is part of the
    /// request signature.
    pub region: String,
    /// The bucket. Required; it must exist.
    pub s3_bucket: String,
    /// The key prefix (the "directory" inside the bucket), without a
    /// trailing `/`. Default none: keys start with the partition.
    pub s3_prefix: String,
    /// The time partition of keys, in `strftime` notation over the UTC
    /// time the object was started: `%Y`, `%m`, `%d`, `%H`, `%M`, `%S`,
    /// `%j` (day of the year), `%y` and `%%` are understood. Default
    /// `year=%Y/month=%m/day=%d/hour=%H/minute=%M`, as the Collector's (and
    /// what its `awss3receiver` lists with `s3_partition: minute`).
    pub s3_partition_format: String,
    /// Put before `<signal>_` in each object's name. Default none.
    pub file_prefix: String,
    /// The store's URL, for anything but AWS itself, e.g.
    /// `http://minio:9000`. Default: AWS's endpoint for `region`.
    pub endpoint: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of
    /// `bucket.endpoint/key`. Most S3-compatible stores (MinIO, moto) need
    /// it. Default false.
    pub s3_force_path_style: bool,
    /// Compression of each object: `zstd` (default; `.zst` is appended to
    /// the name), `gzip` (`.gz`, what the Collector writes and its
    /// `awss3receiver` reads) or `none`. Parquet objects compress their
    /// column chunks with this codec instead, and keep the `.parquet`
    /// name.
    pub compression: Compression,
    /// The objects' storage class, e.g. `STANDARD_IA` or `GLACIER_IR`.
    /// Default: the bucket's (`STANDARD` on AWS).
    pub storage_class: Option<String>,
    /// When the SDK adds a checksum to uploads: `when_required` (default)
    /// or `when_supported`. Since aws-sdk-s3 1.69 the SDK's own default is
    /// `when_supported`, which sends CRC32 trailer checksums that many
    /// S3-compatible stores and older MinIO refuse (aws-sdk-rust #1240);
    /// weir asks for them only where the operation requires one. Set
    /// `when_supported` for AWS if you want the extra integrity check.
    pub request_checksum_calculation: ChecksumWhen,
    /// When the SDK validates checksums of what it downloads (`weir
    /// replay`): `when_required` (default) or `when_supported`, for the
    /// same reason.
    pub response_checksum_validation: ChecksumWhen,
}

impl Default for S3Uploader {
    fn default() -> Self {
        S3Uploader {
            region: "us-east-1".to_string(),
            s3_bucket: String::new(),
            s3_prefix: String::new(),
            s3_partition_format: "year=%Y/month=%m/day=%d/hour=%H/minute=%M".to_string(),
            file_prefix: String::new(),
            endpoint: None,
            s3_force_path_style: false,
            compression: Compression::Zstd,
            storage_class: None,
            request_checksum_calculation: ChecksumWhen::WhenRequired,
            response_checksum_validation: ChecksumWhen::WhenRequired,
        }
    }
}

/// When objects are closed and uploaded. An object is closed by whichever
/// comes first; weir's defaults are near Vector's S3 sink's.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Rollover {
    /// Close an object once it holds this many MiB (compressed, as
    /// uploaded; checked after each batch, so an object may pass it by one
    /// batch). Objects over 8 MiB are sent as a multipart upload, 8 MiB a
    /// part. Default 10.
    pub max_size_mib: f64,
    /// Close an object this long after its first batch, however small.
    /// This is also the longest a batch waits to be acknowledged: keep it
    /// well under the time senders wait (weir's OTLP receiver answers
    /// "retry later" after 30 s) unless a Kafka receiver feeds the
    /// exporter. Default `5m`.
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
}

impl Default for Rollover {
    fn default() -> Self {
        Rollover {
            max_size_mib: 10.0,
            max_age: Duration::from_secs(300),
        }
    }
}

/// The encoding of objects.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Marshaler {
    /// OTLP protobuf (`.binpb`).
    OtlpProto,
    /// OTLP/JSON (`.json`).
    OtlpJson,
    /// Apache Parquet, one flattened row per record (`.parquet`).
    Parquet,
}

/// Compression of objects.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// Zstandard (`.zst`).
    Zstd,
    /// gzip (`.gz`).
    Gzip,
    /// None.
    None,
}

/// When the SDK computes or checks a checksum.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumWhen {
    /// Only where the S3 operation requires one.
    WhenRequired,
    /// Wherever the operation supports one.
    WhenSupported,
}

impl S3Exporter {
    /// Checks what serde cannot: a bucket is given, sizes and times are
    /// positive, the partition format is one weir can write.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: &str, message: &str| InvalidSetting {
            field: field.to_string(),
            message: message.to_string(),
        };
        let up = &self.s3uploader;
        if up.s3_bucket.len() < 3 {
            return Err(invalid(
                "s3uploader.s3_bucket",
                "required: the bucket's name (at least 3 characters)",
            ));
        }
        if up.region.is_empty() {
            return Err(invalid("s3uploader.region", "must not be empty"));
        }
        if let Some(endpoint) = &up.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(invalid(
                "s3uploader.endpoint",
                "must be a URL starting with http:// or https://",
            ));
        }
        if up.s3_prefix.ends_with('/') || up.s3_prefix.starts_with('/') {
            return Err(invalid(
                "s3uploader.s3_prefix",
                "give it without a leading or trailing `/` (one is put between it and the partition)",
            ));
        }
        super::key::check_format(&up.s3_partition_format)
            .map_err(|message| invalid("s3uploader.s3_partition_format", &message))?;
        // Written so that NaN is refused too.
        if self.rollover.max_size_mib.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(invalid("rollover.max_size_mib", "must be more than 0"));
        }
        if self.rollover.max_age.is_zero() {
            return Err(invalid("rollover.max_age", "must be more than 0s"));
        }
        Ok(())
    }

    /// The most bytes an object may hold before it is closed.
    pub(super) fn max_object_bytes(&self) -> usize {
        (self.rollover.max_size_mib * (1 << 20) as f64) as usize
    }
}
