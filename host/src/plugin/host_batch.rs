//! The host side of the `batch` resource: every accessor and mutator of
//! `weir:plugin/types` implemented over [`Batch`].
//!
//! A record number out of range, or a signal-specific accessor on a batch of
//! another signal, traps the guest with a message naming the mistake; the
//! trap is then handled like any other plugin failure.

use wasmtime::component::Resource;

use crate::otlp::common::KeyValue;
use crate::otlp::metrics::{metric::Data, number_data_point};
use crate::otlp::trace::status;
use crate::otlp::{AttributeOwner, Batch, DataPoint, DataPointMut, Signal};

use super::batch_resource::BatchResource;
use super::bindings::weir::plugin::types::{Host, HostBatch};
use super::bindings::{
    AttributesOf, MetricType, Number, SpanKind, StatusCode, WitKeyValue, WitSignal, WitValue,
};
use super::convert::{key_value_to_wit, signal_to_wit, value_from_wit, value_to_wit};
use super::state::InstanceState;

type Res = Resource<BatchResource>;
type R<T> = wasmtime::Result<T>;

impl Host for InstanceState {}

impl InstanceState {
    fn read(&self, b: &Res) -> R<&Batch> {
        Ok(self.table.get(b)?.batch())
    }

    /// The batch, checked that `record` is in range.
    fn read_at(&self, b: &Res, record: u32) -> R<&Batch> {
        let batch = self.read(b)?;
        check_range(batch, record)?;
        Ok(batch)
    }

    fn write_at(&mut self, b: &Res, record: u32) -> R<&mut Batch> {
        check_range(self.read(b)?, record)?;
        Ok(self.table.get_mut(b)?.batch_mut())
    }
}

fn check_range(batch: &Batch, record: u32) -> R<()> {
    if record as usize >= batch.len() {
        wasmtime::bail!(
            "record index {record} is out of range: the batch has {} records",
            batch.len()
        );
    }
    Ok(())
}

/// The trap for a signal-specific accessor on a batch of another signal.
fn wrong_signal<T>(call: &str, wants: &str, batch_signal: Signal) -> R<T> {
    wasmtime::bail!("`batch.{call}` needs a {wants} batch, but this batch holds {batch_signal}")
}

fn owner(of: AttributesOf) -> AttributeOwner {
    match of {
        AttributesOf::Resource => AttributeOwner::Resource,
        AttributesOf::Scope => AttributeOwner::Scope,
        AttributesOf::Record => AttributeOwner::Record,
    }
}

fn attributes_of_mut(batch: &mut Batch, of: AttributesOf, record: u32) -> &mut Vec<KeyValue> {
    let attrs = match of {
        AttributesOf::Resource => batch.resource_mut(record).map(|r| &mut r.attributes),
        AttributesOf::Scope => batch.scope_mut(record).map(|s| &mut s.attributes),
        AttributesOf::Record => batch.record_attributes_mut(record),
    };
    attrs.expect("record index checked before")
}

impl HostBatch for InstanceState {
    fn signal(&mut self, b: Res) -> R<WitSignal> {
        Ok(signal_to_wit(self.read(&b)?.signal()))
    }

    fn len(&mut self, b: Res) -> R<u32> {
        Ok(self.read(&b)?.len() as u32)
    }

    fn attributes(&mut self, b: Res, of: AttributesOf, record: u32) -> R<Vec<WitKeyValue>> {
        let batch = self.read_at(&b, record)?;
        Ok(batch
            .attributes(owner(of), record)
            .iter()
            .map(key_value_to_wit)
            .collect())
    }

    fn attribute(
        &mut self,
        b: Res,
        of: AttributesOf,
        record: u32,
        key: String,
    ) -> R<Option<WitValue>> {
        let batch = self.read_at(&b, record)?;
        Ok(batch
            .attribute(owner(of), record, &key)
            .as_ref()
            .map(value_to_wit))
    }

    fn attribute_column(
        &mut self,
        b: Res,
        of: AttributesOf,
        key: String,
    ) -> R<Vec<Option<WitValue>>> {
        Ok(self
            .read(&b)?
            .attribute_column(owner(of), &key)
            .iter()
            .map(|v| v.as_ref().map(value_to_wit))
            .collect())
    }

    fn set_attribute(
        &mut self,
        b: Res,
        of: AttributesOf,
        record: u32,
        key: String,
        value: WitValue,
    ) -> R<()> {
        let value = value_from_wit(value).map_err(wasmtime::Error::msg)?;
        let attrs = attributes_of_mut(self.write_at(&b, record)?, of, record);
        match attrs.iter_mut().find(|kv| kv.key == key) {
            Some(kv) => kv.value = Some(value),
            None => attrs.push(KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            }),
        }
        Ok(())
    }

    fn remove_attribute(&mut self, b: Res, of: AttributesOf, record: u32, key: String) -> R<bool> {
        // Checked on the batch as it is, so that removing an absent key
        // leaves an unchanged batch its bytes.
        if self
            .read_at(&b, record)?
            .attribute(owner(of), record, &key)
            .is_none()
        {
            // Nothing to remove: do not count this as a change.
            return Ok(false);
        }
        let attrs = attributes_of_mut(self.write_at(&b, record)?, of, record);
        attrs.retain(|kv| kv.key != key);
        Ok(true)
    }

    fn time_unix_nano(&mut self, b: Res, record: u32) -> R<u64> {
        Ok(self
            .read_at(&b, record)?
            .time_unix_nano(record)
            .unwrap_or(0))
    }

    fn set_time_unix_nano(&mut self, b: Res, record: u32, nanos: u64) -> R<()> {
        let batch = self.write_at(&b, record)?;
        match batch.signal() {
            Signal::Logs => batch.log_mut(record).map(|l| l.time_unix_nano = nanos),
            Signal::Traces => batch
                .span_mut(record)
                .map(|s| s.start_time_unix_nano = nanos),
            Signal::Metrics => batch.point_mut(record).map(|p| *p.time_unix_nano() = nanos),
        };
        Ok(())
    }

    fn trace_id(&mut self, b: Res, record: u32) -> R<Vec<u8>> {
        let batch = self.read_at(&b, record)?;
        match batch.signal() {
            Signal::Logs => Ok(batch
                .log(record)
                .map(|l| l.trace_id.clone())
                .unwrap_or_default()),
            Signal::Traces => Ok(batch
                .span(record)
                .map(|s| s.trace_id.clone())
                .unwrap_or_default()),
            other => wrong_signal("trace-id", "logs or traces", other),
        }
    }

    fn span_id(&mut self, b: Res, record: u32) -> R<Vec<u8>> {
        let batch = self.read_at(&b, record)?;
        match batch.signal() {
            Signal::Logs => Ok(batch
                .log(record)
                .map(|l| l.span_id.clone())
                .unwrap_or_default()),
            Signal::Traces => Ok(batch
                .span(record)
                .map(|s| s.span_id.clone())
                .unwrap_or_default()),
            other => wrong_signal("span-id", "logs or traces", other),
        }
    }

    fn severity_numbers(&mut self, b: Res) -> R<Vec<u8>> {
        let batch = self.read(&b)?;
        match batch.signal() {
            Signal::Logs => Ok(batch.severity_numbers()),
            other => wrong_signal("severity-numbers", "logs", other),
        }
    }

    fn severity_number(&mut self, b: Res, record: u32) -> R<u8> {
        match self.read_at(&b, record)?.severity_number(record) {
            Some(n) => Ok(n),
            None => wrong_signal("severity-number", "logs", self.read(&b)?.signal()),
        }
    }

    fn severity_text(&mut self, b: Res, record: u32) -> R<String> {
        match self.read_at(&b, record)?.log(record) {
            Some(l) => Ok(l.severity_text.clone()),
            None => wrong_signal("severity-text", "logs", self.read(&b)?.signal()),
        }
    }

    fn set_severity(&mut self, b: Res, record: u32, number: u8, text: String) -> R<()> {
        let signal = self.read(&b)?.signal();
        match self.write_at(&b, record)?.log_mut(record) {
            Some(l) => {
                l.severity_number = number.into();
                l.severity_text = text;
                Ok(())
            }
            None => wrong_signal("set-severity", "logs", signal),
        }
    }

    fn body(&mut self, b: Res, record: u32) -> R<WitValue> {
        match self.read_at(&b, record)?.log(record) {
            Some(l) => Ok(l.body.as_ref().map(value_to_wit).unwrap_or(WitValue::Empty)),
            None => wrong_signal("body", "logs", self.read(&b)?.signal()),
        }
    }

    fn set_body(&mut self, b: Res, record: u32, body: WitValue) -> R<()> {
        let body = value_from_wit(body).map_err(wasmtime::Error::msg)?;
        let signal = self.read(&b)?.signal();
        match self.write_at(&b, record)?.log_mut(record) {
            Some(l) => {
                l.body = Some(body);
                Ok(())
            }
            None => wrong_signal("set-body", "logs", signal),
        }
    }

    fn observed_time_unix_nano(&mut self, b: Res, record: u32) -> R<u64> {
        match self.read_at(&b, record)?.log(record) {
            Some(l) => Ok(l.observed_time_unix_nano),
            None => wrong_signal("observed-time-unix-nano", "logs", self.read(&b)?.signal()),
        }
    }

    fn name(&mut self, b: Res, record: u32) -> R<String> {
        Ok(self
            .read_at(&b, record)?
            .name(record)
            .unwrap_or_default()
            .to_owned())
    }

    fn names(&mut self, b: Res) -> R<Vec<String>> {
        Ok(self
            .read(&b)?
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    fn set_name(&mut self, b: Res, record: u32, name: String) -> R<()> {
        let batch = self.write_at(&b, record)?;
        match batch.signal() {
            Signal::Logs => batch.log_mut(record).map(|l| l.event_name = name),
            Signal::Traces => batch.span_mut(record).map(|s| s.name = name),
            Signal::Metrics => batch.metric_mut(record).map(|m| m.name = name),
        };
        Ok(())
    }

    fn parent_span_id(&mut self, b: Res, record: u32) -> R<Vec<u8>> {
        match self.read_at(&b, record)?.span(record) {
            Some(s) => Ok(s.parent_span_id.clone()),
            None => wrong_signal("parent-span-id", "traces", self.read(&b)?.signal()),
        }
    }

    fn span_kind(&mut self, b: Res, record: u32) -> R<SpanKind> {
        match self.read_at(&b, record)?.span(record) {
            Some(s) => Ok(match s.kind {
                1 => SpanKind::Internal,
                2 => SpanKind::Server,
                3 => SpanKind::Client,
                4 => SpanKind::Producer,
                5 => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            }),
            None => wrong_signal("span-kind", "traces", self.read(&b)?.signal()),
        }
    }

    fn end_time_unix_nano(&mut self, b: Res, record: u32) -> R<u64> {
        match self.read_at(&b, record)?.span(record) {
            Some(s) => Ok(s.end_time_unix_nano),
            None => wrong_signal("end-time-unix-nano", "traces", self.read(&b)?.signal()),
        }
    }

    fn status(&mut self, b: Res, record: u32) -> R<(StatusCode, String)> {
        match self.read_at(&b, record)?.span(record) {
            Some(s) => {
                let (code, message) = s
                    .status
                    .as_ref()
                    .map(|st| (st.code, st.message.clone()))
                    .unwrap_or_default();
                let code = match status::StatusCode::try_from(code) {
                    Ok(status::StatusCode::Ok) => StatusCode::Ok,
                    Ok(status::StatusCode::Error) => StatusCode::Error,
                    _ => StatusCode::Unset,
                };
                Ok((code, message))
            }
            None => wrong_signal("status", "traces", self.read(&b)?.signal()),
        }
    }

    fn set_status(&mut self, b: Res, record: u32, code: StatusCode, message: String) -> R<()> {
        let signal = self.read(&b)?.signal();
        match self.write_at(&b, record)?.span_mut(record) {
            Some(s) => {
                let st = s.status.get_or_insert_with(Default::default);
                st.code = match code {
                    StatusCode::Unset => status::StatusCode::Unset,
                    StatusCode::Ok => status::StatusCode::Ok,
                    StatusCode::Error => status::StatusCode::Error,
                } as i32;
                st.message = message;
                Ok(())
            }
            None => wrong_signal("set-status", "traces", signal),
        }
    }

    fn metric_type(&mut self, b: Res, record: u32) -> R<MetricType> {
        let batch = self.read_at(&b, record)?;
        match batch.metric(record).and_then(|m| m.data.as_ref()) {
            Some(Data::Gauge(_)) => Ok(MetricType::Gauge),
            Some(Data::Sum(_)) => Ok(MetricType::Sum),
            Some(Data::Histogram(_)) => Ok(MetricType::Histogram),
            Some(Data::ExponentialHistogram(_)) => Ok(MetricType::ExponentialHistogram),
            Some(Data::Summary(_)) => Ok(MetricType::Summary),
            None => wrong_signal("metric-type", "metrics", batch.signal()),
        }
    }

    fn unit(&mut self, b: Res, record: u32) -> R<String> {
        match self.read_at(&b, record)?.metric(record) {
            Some(m) => Ok(m.unit.clone()),
            None => wrong_signal("unit", "metrics", self.read(&b)?.signal()),
        }
    }

    fn set_unit(&mut self, b: Res, record: u32, unit: String) -> R<()> {
        let signal = self.read(&b)?.signal();
        match self.write_at(&b, record)?.metric_mut(record) {
            Some(m) => {
                m.unit = unit;
                Ok(())
            }
            None => wrong_signal("set-unit", "metrics", signal),
        }
    }

    fn number_value(&mut self, b: Res, record: u32) -> R<Option<Number>> {
        let batch = self.read_at(&b, record)?;
        match batch.point(record) {
            Some(DataPoint::Number(p)) => Ok(p.value.map(|v| match v {
                number_data_point::Value::AsDouble(d) => Number::Double(d),
                number_data_point::Value::AsInt(i) => Number::Int(i),
            })),
            Some(_) => Ok(None),
            None => wrong_signal("number-value", "metrics", batch.signal()),
        }
    }

    fn set_number_value(&mut self, b: Res, record: u32, value: Number) -> R<()> {
        let signal = self.read(&b)?.signal();
        match self.write_at(&b, record)?.point_mut(record) {
            Some(DataPointMut::Number(p)) => {
                p.value = Some(match value {
                    Number::Double(d) => number_data_point::Value::AsDouble(d),
                    Number::Int(i) => number_data_point::Value::AsInt(i),
                });
                Ok(())
            }
            Some(_) => wasmtime::bail!(
                "`batch.set-number-value` on record {record}, which is not a gauge or sum point"
            ),
            None => wrong_signal("set-number-value", "metrics", signal),
        }
    }

    fn count_and_sum(&mut self, b: Res, record: u32) -> R<Option<(u64, f64)>> {
        let batch = self.read_at(&b, record)?;
        match batch.point(record) {
            Some(DataPoint::Number(_)) => Ok(None),
            Some(DataPoint::Histogram(p)) => Ok(Some((p.count, p.sum.unwrap_or(0.0)))),
            Some(DataPoint::ExponentialHistogram(p)) => Ok(Some((p.count, p.sum.unwrap_or(0.0)))),
            Some(DataPoint::Summary(p)) => Ok(Some((p.count, p.sum))),
            None => wrong_signal("count-and-sum", "metrics", batch.signal()),
        }
    }

    fn to_otlp(&mut self, b: Res) -> R<Vec<u8>> {
        Ok(self.read(&b)?.encode().to_vec())
    }

    fn set_otlp(&mut self, b: Res, request: Vec<u8>) -> R<Result<(), String>> {
        let batch = self.read(&b)?;
        let signal = batch.signal();
        // The request was built in the plugin's capped memory, but its
        // index and everything downstream live in weir's: a record can
        // take two bytes, its index entry twenty times that. Growth is
        // bounded relative to the batch, so a plugin cannot turn its
        // memory cap into gigabytes of weir's.
        let current = batch.encoded_len();
        let limit = set_otlp_limit(current);
        if request.len() > limit {
            return Ok(Err(format!(
                "set-otlp refused: the new request is {} bytes; a plugin may grow its batch to at most {limit} bytes ({SET_OTLP_GROWTH} times its {current} bytes, and at least {} MiB)",
                request.len(),
                SET_OTLP_FLOOR >> 20
            )));
        }
        match Batch::from_bytes(signal, request.into()) {
            Ok(new) => {
                *self.table.get_mut(&b)?.batch_mut() = new;
                Ok(Ok(()))
            }
            Err(error) => Ok(Err(error.to_string())),
        }
    }

    fn drop(&mut self, b: Res) -> R<()> {
        // Guests only ever borrow a batch; the host takes it back itself
        // after the call. Nothing to do for a stray drop of a handle.
        let _ = b;
        Ok(())
    }
}

/// How many times its size a plugin may grow a batch through `set-otlp`.
const SET_OTLP_GROWTH: usize = 4;
/// The size `set-otlp` always allows, however small the batch.
const SET_OTLP_FLOOR: usize = 4 << 20;

/// The largest request `set-otlp` takes for a batch of `current` bytes.
fn set_otlp_limit(current: usize) -> usize {
    current.saturating_mul(SET_OTLP_GROWTH).max(SET_OTLP_FLOOR)
}
