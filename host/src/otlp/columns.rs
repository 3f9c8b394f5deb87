//! Column accessors and attribute lookups of a [`Batch`]: answered from
//! the bytes through the index while the batch is unchanged, and from the
//! decoded request once it is (the property tests in `wire` hold the two
//! to the same answers).

use super::Payload;
use super::batch::{Batch, Decoded};
use super::common::{AnyValue, KeyValue};
use super::metrics::metric::Data;
use super::wire::AttributeOwner;
use super::{Signal, index};

impl Batch {
    /// Every log record's severity number, in record order (empty for
    /// other signals), clamped into a byte: out-of-range numbers from a
    /// sender become 0 or 255 rather than wrapping, so 300 never reads as
    /// a low severity.
    pub fn severity_numbers(&self) -> Vec<u8> {
        match self.wire() {
            Some(w) => w.index.severity_numbers(&w.bytes),
            None => self.decoded().severity_numbers(),
        }
    }

    /// Every record's name (span name, metric name per data point, log
    /// event name), in record order.
    pub fn names(&self) -> Vec<&str> {
        match self.wire() {
            Some(w) => w.index.names(&w.bytes),
            None => self.decoded().names(),
        }
    }

    /// Log record `record`'s severity number, clamped as in
    /// [`Batch::severity_numbers`]; `None` for other signals.
    pub fn severity_number(&self, record: u32) -> Option<u8> {
        match self.wire() {
            Some(w) => w.index.severity_number(&w.bytes, record as usize),
            None => self
                .decoded()
                .log(record)
                .map(|l| l.severity_number.clamp(0, u8::MAX as i32) as u8),
        }
    }

    /// Record `record`'s name (as in [`Batch::names`]).
    pub fn name(&self, record: u32) -> Option<&str> {
        match self.wire() {
            Some(w) => w.index.name(&w.bytes, record as usize),
            None => {
                let d = self.decoded();
                match d.signal() {
                    Signal::Logs => d.log(record).map(|l| l.event_name.as_str()),
                    Signal::Traces => d.span(record).map(|s| s.name.as_str()),
                    Signal::Metrics => d.metric(record).map(|m| m.name.as_str()),
                }
            }
        }
    }

    /// Record `record`'s time: a log record's `time_unix_nano`, a span's
    /// start, a data point's `time_unix_nano`.
    pub fn time_unix_nano(&self, record: u32) -> Option<u64> {
        match self.wire() {
            Some(w) => w.index.time_unix_nano(&w.bytes, record as usize),
            None => {
                let d = self.decoded();
                match d.signal() {
                    Signal::Logs => d.log(record).map(|l| l.time_unix_nano),
                    Signal::Traces => d.span(record).map(|s| s.start_time_unix_nano),
                    Signal::Metrics => d.point(record).map(|p| p.time_unix_nano()),
                }
            }
        }
    }

    /// Attribute `key` of record `record`'s `owner` (the first match).
    pub fn attribute(&self, owner: AttributeOwner, record: u32, key: &str) -> Option<AnyValue> {
        match self.wire() {
            Some(w) => w.index.attribute(&w.bytes, owner, record as usize, key),
            None => find_attribute(self.decoded().attributes_of(owner, record)?, key).cloned(),
        }
    }

    /// Every attribute of record `record`'s `owner` (empty when it has none
    /// or there is no such record).
    pub fn attributes(&self, owner: AttributeOwner, record: u32) -> Vec<KeyValue> {
        match self.wire() {
            Some(w) => w.index.attributes(&w.bytes, owner, record as usize),
            None => self
                .decoded()
                .attributes_of(owner, record)
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
        }
    }

    /// Attribute `key` of every record's `owner`, in record order.
    pub fn attribute_column(&self, owner: AttributeOwner, key: &str) -> Vec<Option<AnyValue>> {
        match self.wire() {
            Some(w) => w.index.attribute_column(&w.bytes, owner, key),
            None => {
                let mut out = Vec::with_capacity(self.len());
                self.decoded()
                    .for_each_attributes(|resource, scope, record| {
                        let attrs = match owner {
                            AttributeOwner::Resource => resource,
                            AttributeOwner::Scope => scope,
                            AttributeOwner::Record => record,
                        };
                        out.push(find_attribute(attrs, key).cloned());
                    });
                out
            }
        }
    }

    /// Calls `f(resource, scope, record)` with the attribute lists of
    /// every record, in record order (decodes the batch).
    pub fn for_each_attributes<'a>(
        &'a self,
        f: impl FnMut(&'a [KeyValue], &'a [KeyValue], &'a [KeyValue]),
    ) {
        self.decoded().for_each_attributes(f)
    }
}

impl Decoded {
    /// The attribute list of record `record`'s `owner`; `None` for no such
    /// record, empty for an absent resource or scope.
    fn attributes_of(&self, owner: AttributeOwner, record: u32) -> Option<&[KeyValue]> {
        self.path(record)?;
        Some(match owner {
            AttributeOwner::Resource => self.resource(record).map_or(&[][..], |r| &r.attributes),
            AttributeOwner::Scope => self.scope(record).map_or(&[][..], |s| &s.attributes),
            AttributeOwner::Record => self.record_attributes(record)?,
        })
    }

    /// Every log record's severity number, in record order (empty for
    /// other signals). Walks the request directly: no index needed.
    pub(crate) fn severity_numbers(&self) -> Vec<u8> {
        let Payload::Logs(req) = &self.payload else {
            return Vec::new();
        };
        let mut out = Vec::new();
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
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
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
    pub(crate) fn for_each_attributes<'a>(
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
