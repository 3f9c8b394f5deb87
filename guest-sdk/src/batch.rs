//! [`Batch`]: the batch weir lends a plugin for one call, and [`Record`],
//! a view of one record of it.
//!
//! Records are numbered `0..batch.len()` in the order they appear in the
//! OTLP request. A record is a log record, a span, or a metric data point.
//! Accessors that do not fit the batch's signal (a severity of a span),
//! and record numbers out of range, make weir stop the plugin with an
//! error that names the mistake: check [`Batch::signal`] first.
//!
//! ```no_run
//! use weir_guest::{AttributesOf, Batch, Signal, Value};
//!
//! fn tag_errors(batch: &Batch) {
//!     if batch.signal() != Signal::Logs {
//!         return;
//!     }
//!     // One call for every severity, then writes only where needed.
//!     for (i, severity) in batch.severity_numbers().into_iter().enumerate() {
//!         if severity >= 17 {
//!             batch.set_attribute(AttributesOf::Record, i as u32, "alert", &Value::from(true));
//!         }
//!     }
//! }
//! ```

use crate::wit::weir::plugin::types::{self as wit, AttributesOf, Signal};
use crate::{KeyValue, MetricType, Number, SpanKind, StatusCode, Value};

/// A batch of telemetry of one signal, owned by weir and lent to the
/// plugin for one call.
pub struct Batch<'a> {
    inner: &'a wit::Batch,
}

impl<'a> Batch<'a> {
    pub(crate) fn new(inner: &'a wit::Batch) -> Batch<'a> {
        Batch { inner }
    }

    /// The batch's signal.
    pub fn signal(&self) -> Signal {
        self.inner.signal()
    }

    /// Number of records: log records, spans, or metric data points.
    pub fn len(&self) -> u32 {
        self.inner.len()
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A view of record `index`.
    pub fn record(&self, index: u32) -> Record<'_> {
        Record { batch: self, index }
    }

    /// Every record, in order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        (0..self.len()).map(|i| self.record(i))
    }

    // --- Attributes ------------------------------------------------------

    /// All attributes of a record, its scope or its resource.
    pub fn attributes(&self, of: AttributesOf, record: u32) -> Vec<KeyValue> {
        self.inner.attributes(of, record)
    }

    /// One attribute by key.
    pub fn attribute(&self, of: AttributesOf, record: u32, key: &str) -> Option<Value> {
        self.inner.attribute(of, record, key)
    }

    /// The attribute `key` for every record, in record order, in one call.
    pub fn attribute_column(&self, of: AttributesOf, key: &str) -> Vec<Option<Value>> {
        self.inner.attribute_column(of, key)
    }

    /// Sets (adds or replaces) an attribute. For `AttributesOf::Resource`
    /// or `Scope`, this changes every record sharing that resource/scope.
    pub fn set_attribute(&self, of: AttributesOf, record: u32, key: &str, value: &Value) {
        self.inner.set_attribute(of, record, key, value)
    }

    /// Removes an attribute; returns whether it was there.
    pub fn remove_attribute(&self, of: AttributesOf, record: u32, key: &str) -> bool {
        self.inner.remove_attribute(of, record, key)
    }

    // --- Time and identity ------------------------------------------------

    /// Log record time, span start time or data point time (ns since the
    /// Unix epoch; 0 if unset).
    pub fn time_unix_nano(&self, record: u32) -> u64 {
        self.inner.time_unix_nano(record)
    }

    /// Sets the time [`Batch::time_unix_nano`] reads.
    pub fn set_time_unix_nano(&self, record: u32, nanos: u64) {
        self.inner.set_time_unix_nano(record, nanos)
    }

    /// Trace id of a log record or span (16 bytes, empty if unset).
    pub fn trace_id(&self, record: u32) -> Vec<u8> {
        self.inner.trace_id(record)
    }

    /// Span id of a log record or span (8 bytes, empty if unset).
    pub fn span_id(&self, record: u32) -> Vec<u8> {
        self.inner.span_id(record)
    }

    // --- Logs ---------------------------------------------------------------

    /// Every log record's severity number (0–24), in one call.
    pub fn severity_numbers(&self) -> Vec<u8> {
        self.inner.severity_numbers()
    }

    /// A log record's severity number (0–24; 0 is unspecified).
    pub fn severity_number(&self, record: u32) -> u8 {
        self.inner.severity_number(record)
    }

    /// A log record's severity text.
    pub fn severity_text(&self, record: u32) -> String {
        self.inner.severity_text(record)
    }

    /// Sets a log record's severity number and text.
    pub fn set_severity(&self, record: u32, number: u8, text: &str) {
        self.inner.set_severity(record, number, text)
    }

    /// A log record's body.
    pub fn body(&self, record: u32) -> Value {
        self.inner.body(record)
    }

    /// Replaces a log record's body.
    pub fn set_body(&self, record: u32, body: &Value) {
        self.inner.set_body(record, body)
    }

    /// A log record's observed time.
    pub fn observed_time_unix_nano(&self, record: u32) -> u64 {
        self.inner.observed_time_unix_nano(record)
    }

    // --- Names ------------------------------------------------------------

    /// Span name, metric name, or log event name.
    pub fn name(&self, record: u32) -> String {
        self.inner.name(record)
    }

    /// Every record's name, in one call.
    pub fn names(&self) -> Vec<String> {
        self.inner.names()
    }

    /// Sets the span name, log event name or metric name (for a metric,
    /// every data point of it).
    pub fn set_name(&self, record: u32, name: &str) {
        self.inner.set_name(record, name)
    }

    // --- Traces -----------------------------------------------------------

    /// A span's parent span id (empty for a root span).
    pub fn parent_span_id(&self, record: u32) -> Vec<u8> {
        self.inner.parent_span_id(record)
    }

    /// A span's kind.
    pub fn span_kind(&self, record: u32) -> SpanKind {
        self.inner.span_kind(record)
    }

    /// A span's end time.
    pub fn end_time_unix_nano(&self, record: u32) -> u64 {
        self.inner.end_time_unix_nano(record)
    }

    /// A span's status code and message.
    pub fn status(&self, record: u32) -> (StatusCode, String) {
        self.inner.status(record)
    }

    /// Sets a span's status.
    pub fn set_status(&self, record: u32, code: StatusCode, message: &str) {
        self.inner.set_status(record, code, message)
    }

    // --- Metrics ------------------------------------------------------------

    /// The type of the metric holding data point `record`.
    pub fn metric_type(&self, record: u32) -> MetricType {
        self.inner.metric_type(record)
    }

    /// The unit of the metric holding data point `record`.
    pub fn unit(&self, record: u32) -> String {
        self.inner.unit(record)
    }

    /// Sets the unit of the metric holding data point `record`.
    pub fn set_unit(&self, record: u32, unit: &str) {
        self.inner.set_unit(record, unit)
    }

    /// The value of a gauge or sum data point.
    pub fn number_value(&self, record: u32) -> Option<Number> {
        self.inner.number_value(record)
    }

    /// Sets the value of a gauge or sum data point.
    pub fn set_number_value(&self, record: u32, value: Number) {
        self.inner.set_number_value(record, value)
    }

    /// Count and sum of a histogram or summary data point.
    pub fn count_and_sum(&self, record: u32) -> Option<(u64, f64)> {
        self.inner.count_and_sum(record)
    }

    // --- The whole batch as OTLP protobuf -------------------------------------

    /// The batch as an OTLP protobuf export request.
    pub fn to_otlp(&self) -> Vec<u8> {
        self.inner.to_otlp()
    }

    /// Replaces the batch with an OTLP protobuf export request of the same
    /// signal.
    pub fn set_otlp(&self, request: &[u8]) -> Result<(), String> {
        self.inner.set_otlp(request)
    }
}

/// One record of a [`Batch`]: a log record, a span or a data point.
///
/// Each accessor is one call to weir; for many records, the batch's column
/// accessors are faster.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    batch: &'a Batch<'a>,
    index: u32,
}

impl<'a> Record<'a> {
    /// The record's number in its batch.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The batch the record belongs to.
    pub fn batch(&self) -> &'a Batch<'a> {
        self.batch
    }

    /// The record's own attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<Value> {
        self.batch.attribute(AttributesOf::Record, self.index, key)
    }

    /// The attribute `key` of the record's resource (e.g. `service.name`).
    pub fn resource_attribute(&self, key: &str) -> Option<Value> {
        self.batch
            .attribute(AttributesOf::Resource, self.index, key)
    }

    /// The attribute `key` of the record's instrumentation scope.
    pub fn scope_attribute(&self, key: &str) -> Option<Value> {
        self.batch.attribute(AttributesOf::Scope, self.index, key)
    }

    /// The record's own attributes.
    pub fn attributes(&self) -> Vec<KeyValue> {
        self.batch.attributes(AttributesOf::Record, self.index)
    }

    /// Sets one of the record's own attributes.
    pub fn set_attribute(&self, key: &str, value: &Value) {
        self.batch
            .set_attribute(AttributesOf::Record, self.index, key, value)
    }

    /// A log record's severity number.
    pub fn severity_number(&self) -> u8 {
        self.batch.severity_number(self.index)
    }

    /// A log record's body.
    pub fn body(&self) -> Value {
        self.batch.body(self.index)
    }

    /// Replaces a log record's body.
    pub fn set_body(&self, body: &Value) {
        self.batch.set_body(self.index, body)
    }

    /// The span name, metric name or log event name.
    pub fn name(&self) -> String {
        self.batch.name(self.index)
    }
}
