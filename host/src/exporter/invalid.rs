//! [`InvalidSetting`]: what an exporter's `validate` returns when a
//! setting cannot be used, naming the key relative to the exporter so
//! that the configuration's resolver can prefix `exporters.<id>.`.

/// A setting an exporter's `validate` refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidSetting {
    /// The key at fault, relative to the exporter, e.g. `endpoint`,
    /// `tls.insecure` or `headers.X-Token`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}
