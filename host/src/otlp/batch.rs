//! [`Batch`]: one OTLP export request of one signal, with record-level
//! access for plugins.
//!
//! A batch owns its request. Records are numbered in document order
//! (resource by resource, scope by scope); for metrics one record is one
//! data point. Accessors return `None` for a record number that is out of
//! range or of another signal, and leave the choice of error to the caller.

use std::sync::OnceLock;

use prost::Message;

use super::common::{AnyValue, InstrumentationScope, KeyValue};
use super::index::{self, RecordPath};
use super::logs::LogRecord;
use super::metrics::{
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint,
    metric::Data,
};
use super::resource::Resource;
use super::trace::Span;
use super::{
    Error, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
    Result, Signal,
};

/// The request inside a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// An OTLP logs export request.
    Logs(ExportLogsServiceRequest),
    /// An OTLP metrics export request.
    Metrics(ExportMetricsServiceRequest),
    /// An OTLP traces export request.
    Traces(ExportTraceServiceRequest),
}

/// One OTLP export request of one signal.
#[derive(Clone, Debug)]
pub struct Batch {
    payload: Payload,
    /// Record number → position; built on first use, reset when the
    /// structure changes.
    index: OnceLock<Vec<RecordPath>>,
}

impl PartialEq for Batch {
    fn eq(&self, other: &Self) -> bool {
        self.payload == other.payload
    }
}

/// A metric data point of any type, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum DataPoint<'a> {
    /// Gauge or sum point.
    Number(&'a NumberDataPoint),
    /// Histogram point.
    Histogram(&'a HistogramDataPoint),
    /// Exponential histogram point.
    ExponentialHistogram(&'a ExponentialHistogramDataPoint),
    /// Summary point.
    Summary(&'a SummaryDataPoint),
}

/// A metric data point of any type, mutably borrowed.
#[derive(Debug)]
pub enum DataPointMut<'a> {
    /// Gauge or sum point.
    Number(&'a mut NumberDataPoint),
    /// Histogram point.
    Histogram(&'a mut HistogramDataPoint),
    /// Exponential histogram point.
    ExponentialHistogram(&'a mut ExponentialHistogramDataPoint),
    /// Summary point.
    Summary(&'a mut SummaryDataPoint),
}

impl<'a> DataPoint<'a> {
    /// The point's attributes.
    pub fn attributes(self) -> &'a [KeyValue] {
        match self {
            DataPoint::Number(p) => &p.attributes,
            DataPoint::Histogram(p) => &p.attributes,
            DataPoint::ExponentialHistogram(p) => &p.attributes,
            DataPoint::Summary(p) => &p.attributes,
        }
    }

    /// The point's time.
    pub fn time_unix_nano(self) -> u64 {
        match self {
            DataPoint::Number(p) => p.time_unix_nano,
            DataPoint::Histogram(p) => p.time_unix_nano,
            DataPoint::ExponentialHistogram(p) => p.time_unix_nano,
            DataPoint::Summary(p) => p.time_unix_nano,
        }
    }
}

impl<'a> DataPointMut<'a> {
    /// The point's attributes.
    pub fn attributes(self) -> &'a mut Vec<KeyValue> {
        match self {
            DataPointMut::Number(p) => &mut p.attributes,
            DataPointMut::Histogram(p) => &mut p.attributes,
            DataPointMut::ExponentialHistogram(p) => &mut p.attributes,
            DataPointMut::Summary(p) => &mut p.attributes,
        }
    }

    /// The point's time.
    pub fn time_unix_nano(self) -> &'a mut u64 {
        match self {
            DataPointMut::Number(p) => &mut p.time_unix_nano,
            DataPointMut::Histogram(p) => &mut p.time_unix_nano,
            DataPointMut::ExponentialHistogram(p) => &mut p.time_unix_nano,
            DataPointMut::Summary(p) => &mut p.time_unix_nano,
        }
    }
}

impl From<Payload> for Batch {
    fn from(payload: Payload) -> Self {
        Batch {
            payload,
            index: OnceLock::new(),
        }
    }
}

impl From<ExportLogsServiceRequest> for Batch {
    fn from(req: ExportLogsServiceRequest) -> Self {
        Payload::Logs(req).into()
    }
}

impl From<ExportMetricsServiceRequest> for Batch {
    fn from(req: ExportMetricsServiceRequest) -> Self {
        Payload::Metrics(req).into()
    }
}

impl From<ExportTraceServiceRequest> for Batch {
    fn from(req: ExportTraceServiceRequest) -> Self {
        Payload::Traces(req).into()
    }
}

impl Batch {
    /// Decodes an OTLP protobuf export request of `signal`.
    pub fn decode(signal: Signal, bytes: &[u8]) -> Result<Batch> {
        let err = |source| Error::Protobuf { signal, source };
        let payload = match signal {
            Signal::Logs => Payload::Logs(ExportLogsServiceRequest::decode(bytes).map_err(err)?),
            Signal::Metrics => {
                Payload::Metrics(ExportMetricsServiceRequest::decode(bytes).map_err(err)?)
            }
            Signal::Traces => {
                Payload::Traces(ExportTraceServiceRequest::decode(bytes).map_err(err)?)
            }
        };
        Ok(payload.into())
    }

    /// Encodes the batch as an OTLP protobuf export request.
    pub fn encode(&self) -> Vec<u8> {
        match &self.payload {
            Payload::Logs(req) => req.encode_to_vec(),
            Payload::Metrics(req) => req.encode_to_vec(),
            Payload::Traces(req) => req.encode_to_vec(),
        }
    }

    /// An empty batch of `signal`.
    pub fn empty(signal: Signal) -> Batch {
        match signal {
            Signal::Logs => ExportLogsServiceRequest::default().into(),
            Signal::Metrics => ExportMetricsServiceRequest::default().into(),
            Signal::Traces => ExportTraceServiceRequest::default().into(),
        }
    }

    /// The batch's signal.
    pub fn signal(&self) -> Signal {
        match self.payload {
            Payload::Logs(_) => Signal::Logs,
            Payload::Metrics(_) => Signal::Metrics,
            Payload::Traces(_) => Signal::Traces,
        }
    }

    /// The request inside.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The request inside, for changes to its structure (adding or
    /// removing records); resets the record index.
    pub fn payload_mut(&mut self) -> &mut Payload {
        self.index.take();
        &mut self.payload
    }

    /// Takes the request out.
    pub fn into_payload(self) -> Payload {
        self.payload
    }

    /// Number of records: log records, spans or metric data points.
    pub fn len(&self) -> usize {
        match self.index.get() {
            Some(paths) => paths.len(),
            None => index::count(&self.payload),
        }
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn path(&self, record: u32) -> Option<RecordPath> {
        self.index
            .get_or_init(|| index::build(&self.payload))
            .get(record as usize)
            .copied()
    }

    /// The log record numbered `record`.
    pub fn log(&self, record: u32) -> Option<&LogRecord> {
        let p = self.path(record)?;
        match &self.payload {
            Payload::Logs(req) => Some(
                &req.resource_logs[p.resource as usize].scope_logs[p.scope as usize].log_records
                    [p.item as usize],
            ),
            _ => None,
        }
    }

    /// The log record numbered `record`, mutably.
    pub fn log_mut(&mut self, record: u32) -> Option<&mut LogRecord> {
        let p = self.path(record)?;
        match &mut self.payload {
            Payload::Logs(req) => Some(
                &mut req.resource_logs[p.resource as usize].scope_logs[p.scope as usize]
                    .log_records[p.item as usize],
            ),
            _ => None,
        }
    }

    /// The span numbered `record`.
    pub fn span(&self, record: u32) -> Option<&Span> {
        let p = self.path(record)?;
        match &self.payload {
            Payload::Traces(req) => Some(
                &req.resource_spans[p.resource as usize].scope_spans[p.scope as usize].spans
                    [p.item as usize],
            ),
            _ => None,
        }
    }

    /// The span numbered `record`, mutably.
    pub fn span_mut(&mut self, record: u32) -> Option<&mut Span> {
        let p = self.path(record)?;
        match &mut self.payload {
            Payload::Traces(req) => Some(
                &mut req.resource_spans[p.resource as usize].scope_spans[p.scope as usize].spans
                    [p.item as usize],
            ),
            _ => None,
        }
    }

    /// The metric that holds data point `record`.
    pub fn metric(&self, record: u32) -> Option<&Metric> {
        let p = self.path(record)?;
        match &self.payload {
            Payload::Metrics(req) => Some(
                &req.resource_metrics[p.resource as usize].scope_metrics[p.scope as usize].metrics
                    [p.item as usize],
            ),
            _ => None,
        }
    }

    /// The metric that holds data point `record`, mutably.
    pub fn metric_mut(&mut self, record: u32) -> Option<&mut Metric> {
        let p = self.path(record)?;
        match &mut self.payload {
            Payload::Metrics(req) => Some(
                &mut req.resource_metrics[p.resource as usize].scope_metrics[p.scope as usize]
                    .metrics[p.item as usize],
            ),
            _ => None,
        }
    }

    /// Data point `record`.
    pub fn point(&self, record: u32) -> Option<DataPoint<'_>> {
        let point = self.path(record)?.point as usize;
        Some(match self.metric(record)?.data.as_ref()? {
            Data::Gauge(g) => DataPoint::Number(&g.data_points[point]),
            Data::Sum(s) => DataPoint::Number(&s.data_points[point]),
            Data::Histogram(h) => DataPoint::Histogram(&h.data_points[point]),
            Data::ExponentialHistogram(e) => DataPoint::ExponentialHistogram(&e.data_points[point]),
            Data::Summary(s) => DataPoint::Summary(&s.data_points[point]),
        })
    }

    /// Data point `record`, mutably.
    pub fn point_mut(&mut self, record: u32) -> Option<DataPointMut<'_>> {
        let point = self.path(record)?.point as usize;
        Some(match self.metric_mut(record)?.data.as_mut()? {
            Data::Gauge(g) => DataPointMut::Number(&mut g.data_points[point]),
            Data::Sum(s) => DataPointMut::Number(&mut s.data_points[point]),
            Data::Histogram(h) => DataPointMut::Histogram(&mut h.data_points[point]),
            Data::ExponentialHistogram(e) => {
                DataPointMut::ExponentialHistogram(&mut e.data_points[point])
            }
            Data::Summary(s) => DataPointMut::Summary(&mut s.data_points[point]),
        })
    }

    /// The resource of record `record` (`None` if the request has none).
    pub fn resource(&self, record: u32) -> Option<&Resource> {
        let r = self.path(record)?.resource as usize;
        match &self.payload {
            Payload::Logs(req) => req.resource_logs[r].resource.as_ref(),
            Payload::Metrics(req) => req.resource_metrics[r].resource.as_ref(),
            Payload::Traces(req) => req.resource_spans[r].resource.as_ref(),
        }
    }

    /// The resource of record `record`, created empty if absent.
    pub fn resource_mut(&mut self, record: u32) -> Option<&mut Resource> {
        let r = self.path(record)?.resource as usize;
        let resource = match &mut self.payload {
            Payload::Logs(req) => &mut req.resource_logs[r].resource,
            Payload::Metrics(req) => &mut req.resource_metrics[r].resource,
            Payload::Traces(req) => &mut req.resource_spans[r].resource,
        };
        Some(resource.get_or_insert_with(Resource::default))
    }

    /// The instrumentation scope of record `record` (`None` if absent).
    pub fn scope(&self, record: u32) -> Option<&InstrumentationScope> {
        let p = self.path(record)?;
        let (r, s) = (p.resource as usize, p.scope as usize);
        match &self.payload {
            Payload::Logs(req) => req.resource_logs[r].scope_logs[s].scope.as_ref(),
            Payload::Metrics(req) => req.resource_metrics[r].scope_metrics[s].scope.as_ref(),
            Payload::Traces(req) => req.resource_spans[r].scope_spans[s].scope.as_ref(),
        }
    }

    /// The instrumentation scope of record `record`, created if absent.
    pub fn scope_mut(&mut self, record: u32) -> Option<&mut InstrumentationScope> {
        let p = self.path(record)?;
        let (r, s) = (p.resource as usize, p.scope as usize);
        let scope = match &mut self.payload {
            Payload::Logs(req) => &mut req.resource_logs[r].scope_logs[s].scope,
            Payload::Metrics(req) => &mut req.resource_metrics[r].scope_metrics[s].scope,
            Payload::Traces(req) => &mut req.resource_spans[r].scope_spans[s].scope,
        };
        Some(scope.get_or_insert_with(InstrumentationScope::default))
    }

    /// The attributes of record `record` itself.
    pub fn record_attributes(&self, record: u32) -> Option<&[KeyValue]> {
        match self.signal() {
            Signal::Logs => Some(&self.log(record)?.attributes),
            Signal::Traces => Some(&self.span(record)?.attributes),
            Signal::Metrics => Some(self.point(record)?.attributes()),
        }
    }

    /// The attributes of record `record` itself, mutably.
    pub fn record_attributes_mut(&mut self, record: u32) -> Option<&mut Vec<KeyValue>> {
        match self.signal() {
            Signal::Logs => Some(&mut self.log_mut(record)?.attributes),
            Signal::Traces => Some(&mut self.span_mut(record)?.attributes),
            Signal::Metrics => Some(self.point_mut(record)?.attributes()),
        }
    }

    /// Every log record's severity number, in record order (empty for
    /// other signals). Walks the request directly: no index needed.
    pub fn severity_numbers(&self) -> Vec<u8> {
        let Payload::Logs(req) = &self.payload else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(self.len());
        for sl in req.resource_logs.iter().flat_map(|rl| &rl.scope_logs) {
            // Out-of-range numbers from a sender are clamped into the WIT's
            // u8 rather than wrapped, so 300 never reads as a low severity.
            out.extend(
                sl.log_records
                    .iter()
                    .map(|r| r.severity_number.clamp(0, u8::MAX as i32) as u8),
            );
        }
        out
    }

    /// Every record's name (span name, metric name per data point, log
    /// event name), in record order.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::with_capacity(self.len());
        match &self.payload {
            Payload::Logs(req) => {
                for sl in req.resource_logs.iter().flat_map(|rl| &rl.scope_logs) {
                    out.extend(sl.log_records.iter().map(|r| r.event_name.as_str()));
                }
            }
            Payload::Traces(req) => {
                for ss in req.resource_spans.iter().flat_map(|rs| &rs.scope_spans) {
                    out.extend(ss.spans.iter().map(|s| s.name.as_str()));
                }
            }
            Payload::Metrics(req) => {
                for sm in req.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics) {
                    for m in &sm.metrics {
                        let n = index::point_count(&m.data);
                        out.extend(std::iter::repeat_n(m.name.as_str(), n));
                    }
                }
            }
        }
        out
    }

    /// Calls `f(resource, scope, record)` with the attribute lists of
    /// every record, in record order. Walks the request directly, so a
    /// column accessor costs one pass and no index.
    pub fn for_each_attributes<'a>(
        &'a self,
        mut f: impl FnMut(&'a [KeyValue], &'a [KeyValue], &'a [KeyValue]),
    ) {
        fn attrs<T>(o: &Option<T>, get: impl Fn(&T) -> &Vec<KeyValue>) -> &[KeyValue] {
            o.as_ref().map(|v| get(v).as_slice()).unwrap_or(&[])
        }
        match &self.payload {
            Payload::Logs(req) => {
                for rl in &req.resource_logs {
                    let ra = attrs(&rl.resource, |r| &r.attributes);
                    for sl in &rl.scope_logs {
                        let sa = attrs(&sl.scope, |s| &s.attributes);
                        for rec in &sl.log_records {
                            f(ra, sa, &rec.attributes);
                        }
                    }
                }
            }
            Payload::Traces(req) => {
                for rs in &req.resource_spans {
                    let ra = attrs(&rs.resource, |r| &r.attributes);
                    for ss in &rs.scope_spans {
                        let sa = attrs(&ss.scope, |s| &s.attributes);
                        for span in &ss.spans {
                            f(ra, sa, &span.attributes);
                        }
                    }
                }
            }
            Payload::Metrics(req) => {
                for rm in &req.resource_metrics {
                    let ra = attrs(&rm.resource, |r| &r.attributes);
                    for sm in &rm.scope_metrics {
                        let sa = attrs(&sm.scope, |s| &s.attributes);
                        for m in &sm.metrics {
                            for_each_point_attributes(&m.data, |pa| f(ra, sa, pa));
                        }
                    }
                }
            }
        }
    }
}

fn for_each_point_attributes<'a>(data: &'a Option<Data>, mut f: impl FnMut(&'a [KeyValue])) {
    match data {
        None => {}
        Some(Data::Gauge(g)) => g.data_points.iter().for_each(|p| f(&p.attributes)),
        Some(Data::Sum(s)) => s.data_points.iter().for_each(|p| f(&p.attributes)),
        Some(Data::Histogram(h)) => h.data_points.iter().for_each(|p| f(&p.attributes)),
        Some(Data::ExponentialHistogram(e)) => e.data_points.iter().for_each(|p| f(&p.attributes)),
        Some(Data::Summary(s)) => s.data_points.iter().for_each(|p| f(&p.attributes)),
    }
}

/// Finds attribute `key` in a list (first match, as OTLP consumers do).
pub fn find_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.as_ref().unwrap_or(&EMPTY))
}

static EMPTY: AnyValue = AnyValue { value: None };
