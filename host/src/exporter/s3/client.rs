//! The S3 transport, the only code that touches aws-sdk-s3: a client built
//! from `s3uploader` (endpoint, region, path style, the checksum policy of
//! aws-sdk-rust #1240, credentials from the standard AWS chain), object
//! upload — one `PutObject`, or a multipart upload for large objects —
//! and the listing and download `weir replay` uses.
//!
//! Failures become [`ExportError`]s: the network, the store and its
//! configuration (a missing bucket, denied access, expired credentials) are
//! retryable, since the records are not at fault and an operator can fix
//! the rest; only refusals of the object itself are permanent.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, StorageClass};
use aws_smithy_http_client::tls;
use aws_smithy_types::timeout::TimeoutConfig;
use bytes::Bytes;

use super::config::{ChecksumWhen, S3Uploader};
use crate::exporter::ExportError;

/// Objects larger than this go as a multipart upload, in parts of this
/// size (S3's minimum part is 5 MiB, its maximum single `PutObject` 5 GiB;
/// parts let a large object's upload be retried part by part by the SDK
/// and sent over several connections).
pub const PART_SIZE: usize = 8 << 20;
/// Parts of one object in flight at once.
const PARALLEL_PARTS: usize = 4;

/// A client for one bucket.
#[derive(Clone, Debug)]
pub struct S3Client {
    client: aws_sdk_s3::Client,
    bucket: String,
    storage_class: Option<StorageClass>,
}

/// An object in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag as the store gives it (a multipart upload's ends in
    /// `-<parts>`).
    pub etag: String,
}

fn checksum_calculation(when: ChecksumWhen) -> RequestChecksumCalculation {
    match when {
        ChecksumWhen::WhenRequired => RequestChecksumCalculation::WhenRequired,
        ChecksumWhen::WhenSupported => RequestChecksumCalculation::WhenSupported,
    }
}

fn checksum_validation(when: ChecksumWhen) -> ResponseChecksumValidation {
    match when {
        ChecksumWhen::WhenRequired => ResponseChecksumValidation::WhenRequired,
        ChecksumWhen::WhenSupported => ResponseChecksumValidation::WhenSupported,
    }
}

impl S3Client {
    /// A client for `settings`' bucket; each request may take `timeout`
    /// (zero: no limit). Credentials come from the standard AWS chain
    /// (environment, profile files, web identity, container and instance
    /// metadata), resolved on first use.
    pub async fn new(settings: &S3Uploader, timeout: Duration) -> S3Client {
        // rustls on `ring`, as weir's other HTTPS clients: the SDK's
        // default client would bring aws-lc-rs and its C build.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .http_client(http)
            .load()
            .await;
        let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(10));
        if !timeout.is_zero() {
            timeouts = timeouts.operation_attempt_timeout(timeout);
        }
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.s3_force_path_style)
            .request_checksum_calculation(checksum_calculation(
                settings.request_checksum_calculation,
            ))
            .response_checksum_validation(checksum_validation(
                settings.response_checksum_validation,
            ))
            .timeout_config(timeouts.build());
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        S3Client {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: settings.s3_bucket.clone(),
            storage_class: settings.storage_class.as_deref().map(StorageClass::from),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Uploads `body` as `key`: one request, or a multipart upload when it
    /// is larger than [`PART_SIZE`].
    pub async fn upload(&self, key: &str, body: Bytes) -> Result<(), ExportError> {
        if body.len() <= PART_SIZE {
            return self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .set_storage_class(self.storage_class.clone())
                .body(ByteStream::from(body))
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("PutObject", key, e));
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_storage_class(self.storage_class.clone())
            .send()
            .await
            .map_err(|e| classify("CreateMultipartUpload", key, e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        match self.upload_parts(key, &upload_id, body).await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Parts of an abandoned upload are billed until aborted; a
                // failed abort leaves them to the bucket's lifecycle rules.
                if let Err(abort) = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await
                {
                    tracing::warn!(key, error = %DisplayErrorContext(&abort),
                        "s3: could not abort a failed multipart upload");
                }
                Err(error)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        body: Bytes,
    ) -> Result<(), ExportError> {
        let chunks: Vec<(i32, Bytes)> = (0..body.len())
            .step_by(PART_SIZE)
            .enumerate()
            .map(|(i, start)| {
                let end = (start + PART_SIZE).min(body.len());
                (i as i32 + 1, body.slice(start..end))
            })
            .collect();
        let mut parts = Vec::with_capacity(chunks.len());
        for group in chunks.chunks(PARALLEL_PARTS) {
            // One task per part, so they travel over separate connections
            // at once; joined in part order, as `Complete` wants them.
            let tasks: Vec<_> = group
                .iter()
                .map(|(number, chunk)| {
                    let request = self
                        .client
                        .upload_part()
                        .bucket(&self.bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(*number)
                        .body(ByteStream::from(chunk.clone()));
                    let (number, key) = (*number, key.to_string());
                    tokio::spawn(async move {
                        let sent = request
                            .send()
                            .await
                            .map_err(|e| classify("UploadPart", &key, e))?;
                        Ok::<_, ExportError>(
                            CompletedPart::builder()
                                .part_number(number)
                                .set_e_tag(sent.e_tag().map(str::to_string))
                                .build(),
                        )
                    })
                })
                .collect();
            for task in tasks {
                let part = task
                    .await
                    .map_err(|e| ExportError::retryable(format!("S3 UploadPart {key}: {e}")))?;
                parts.push(part?);
            }
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map(drop)
            .map_err(|e| classify("CompleteMultipartUpload", key, e))
    }

    /// Every object whose key starts with `prefix`, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, ExportError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListObjectsV2", prefix, e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    out.push(Listed {
                        key: key.to_string(),
                        size: object.size().unwrap_or(0).max(0) as u64,
                        etag: object.e_tag().unwrap_or_default().to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The object `key`'s bytes.
    pub async fn get(&self, key: &str) -> Result<Bytes, ExportError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("GetObject", key, e))?;
        let body = object.body.collect().await.map_err(|e| {
            ExportError::retryable(format!("S3 GetObject {key}: reading the body: {e}"))
        })?;
        Ok(body.into_bytes())
    }
}

/// Codes of S3 refusals that retrying the same object cannot change.
const PERMANENT_CODES: &[&str] = &[
    "EntityTooLarge",
    "EntityTooSmall",
    "InvalidPart",
    "InvalidPartOrder",
    "MalformedXML",
    "BadDigest",
    "InvalidDigest",
];

/// Whether a failed S3 call may succeed later, with a reason naming the
/// operation, the key and the store's own code and message.
fn classify<E, R>(operation: &str, key: &str, error: SdkError<E, R>) -> ExportError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().map(str::to_string);
    let reason = format!("S3 {operation} {key}: {}", DisplayErrorContext(&error));
    match code {
        Some(code) if PERMANENT_CODES.contains(&code.as_str()) => ExportError::Permanent(reason),
        _ => ExportError::retryable(reason),
    }
}
