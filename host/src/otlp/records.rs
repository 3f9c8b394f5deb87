//! Record-level access to a batch through the decoded request: the
//! accessors that hand out `opentelemetry-proto` types by reference, and
//! their mutable forms. On a batch that is still its bytes, the first of
//! them decodes the request (once); a mutable one makes the decoded
//! request the batch's truth, to be encoded again on output.

use super::Signal;
use super::batch::{Batch, Decoded, Payload};
use super::common::{InstrumentationScope, KeyValue};
use super::logs::LogRecord;
use super::metrics::{
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint,
    metric::Data,
};
use super::resource::Resource;
use super::trace::Span;

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

impl Batch {
    /// The log record numbered `record`.
    pub fn log(&self, record: u32) -> Option<&LogRecord> {
        self.decoded().log(record)
    }

    /// The log record numbered `record`, mutably.
    pub fn log_mut(&mut self, record: u32) -> Option<&mut LogRecord> {
        self.decoded_mut().log_mut(record)
    }

    /// The span numbered `record`.
    pub fn span(&self, record: u32) -> Option<&Span> {
        self.decoded().span(record)
    }

    /// The span numbered `record`, mutably.
    pub fn span_mut(&mut self, record: u32) -> Option<&mut Span> {
        self.decoded_mut().span_mut(record)
    }

    /// The metric that holds data point `record`.
    pub fn metric(&self, record: u32) -> Option<&Metric> {
        self.decoded().metric(record)
    }

    /// The metric that holds data point `record`, mutably.
    pub fn metric_mut(&mut self, record: u32) -> Option<&mut Metric> {
        self.decoded_mut().metric_mut(record)
    }

    /// Data point `record`.
    pub fn point(&self, record: u32) -> Option<DataPoint<'_>> {
        self.decoded().point(record)
    }

    /// Data point `record`, mutably.
    pub fn point_mut(&mut self, record: u32) -> Option<DataPointMut<'_>> {
        self.decoded_mut().point_mut(record)
    }

    /// The resource of record `record` (`None` if the request has none).
    pub fn resource(&self, record: u32) -> Option<&Resource> {
        self.decoded().resource(record)
    }

    /// The resource of record `record`, created empty if absent.
    pub fn resource_mut(&mut self, record: u32) -> Option<&mut Resource> {
        self.decoded_mut().resource_mut(record)
    }

    /// The instrumentation scope of record `record` (`None` if absent).
    pub fn scope(&self, record: u32) -> Option<&InstrumentationScope> {
        self.decoded().scope(record)
    }

    /// The instrumentation scope of record `record`, created if absent.
    pub fn scope_mut(&mut self, record: u32) -> Option<&mut InstrumentationScope> {
        self.decoded_mut().scope_mut(record)
    }

    /// The attributes of record `record` itself.
    pub fn record_attributes(&self, record: u32) -> Option<&[KeyValue]> {
        self.decoded().record_attributes(record)
    }

    /// The attributes of record `record` itself, mutably.
    pub fn record_attributes_mut(&mut self, record: u32) -> Option<&mut Vec<KeyValue>> {
        self.decoded_mut().record_attributes_mut(record)
    }
}

impl Decoded {
    /// The log record numbered `record`.
    pub(crate) fn log(&self, record: u32) -> Option<&LogRecord> {
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
    pub(crate) fn log_mut(&mut self, record: u32) -> Option<&mut LogRecord> {
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
    pub(crate) fn span(&self, record: u32) -> Option<&Span> {
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
    pub(crate) fn span_mut(&mut self, record: u32) -> Option<&mut Span> {
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
    pub(crate) fn metric(&self, record: u32) -> Option<&Metric> {
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
    pub(crate) fn metric_mut(&mut self, record: u32) -> Option<&mut Metric> {
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
    pub(crate) fn point(&self, record: u32) -> Option<DataPoint<'_>> {
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
    pub(crate) fn point_mut(&mut self, record: u32) -> Option<DataPointMut<'_>> {
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
    pub(crate) fn resource(&self, record: u32) -> Option<&Resource> {
        let r = self.path(record)?.resource as usize;
        match &self.payload {
            Payload::Logs(req) => req.resource_logs[r].resource.as_ref(),
            Payload::Metrics(req) => req.resource_metrics[r].resource.as_ref(),
            Payload::Traces(req) => req.resource_spans[r].resource.as_ref(),
        }
    }

    /// The resource of record `record`, created empty if absent.
    pub(crate) fn resource_mut(&mut self, record: u32) -> Option<&mut Resource> {
        let r = self.path(record)?.resource as usize;
        let resource = match &mut self.payload {
            Payload::Logs(req) => &mut req.resource_logs[r].resource,
            Payload::Metrics(req) => &mut req.resource_metrics[r].resource,
            Payload::Traces(req) => &mut req.resource_spans[r].resource,
        };
        Some(resource.get_or_insert_with(Resource::default))
    }

    /// The instrumentation scope of record `record` (`None` if absent).
    pub(crate) fn scope(&self, record: u32) -> Option<&InstrumentationScope> {
        let p = self.path(record)?;
        let (r, s) = (p.resource as usize, p.scope as usize);
        match &self.payload {
            Payload::Logs(req) => req.resource_logs[r].scope_logs[s].scope.as_ref(),
            Payload::Metrics(req) => req.resource_metrics[r].scope_metrics[s].scope.as_ref(),
            Payload::Traces(req) => req.resource_spans[r].scope_spans[s].scope.as_ref(),
        }
    }

    /// The instrumentation scope of record `record`, created if absent.
    pub(crate) fn scope_mut(&mut self, record: u32) -> Option<&mut InstrumentationScope> {
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
    pub(crate) fn record_attributes(&self, record: u32) -> Option<&[KeyValue]> {
        match self.signal() {
            Signal::Logs => Some(&self.log(record)?.attributes),
            Signal::Traces => Some(&self.span(record)?.attributes),
            Signal::Metrics => Some(self.point(record)?.attributes()),
        }
    }

    /// The attributes of record `record` itself, mutably.
    pub(crate) fn record_attributes_mut(&mut self, record: u32) -> Option<&mut Vec<KeyValue>> {
        match self.signal() {
            Signal::Logs => Some(&mut self.log_mut(record)?.attributes),
            Signal::Traces => Some(&mut self.span_mut(record)?.attributes),
            Signal::Metrics => Some(self.point_mut(record)?.attributes()),
        }
    }
}
