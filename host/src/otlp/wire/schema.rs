//! The OTLP messages as the byte walker needs them: for each message, its
//! fields' numbers and kinds (opentelemetry-proto 1.x, as the
//! `opentelemetry-proto` crate weir decodes with generates them), and, for
//! the messages that make up a request's structure, the level of the
//! index they are recorded at.
//!
//! Only what decides validity is here: a field's kind fixes the wire types
//! prost accepts for it, whether its bytes must be UTF-8, and which message
//! its bytes hold. Fields not listed are unknown fields, skipped as prost
//! skips them.

/// What a field holds, as far as validation is concerned.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// int32/64, uint32/64, sint32/64, bool, enum: one varint.
    Varint,
    /// fixed64, sfixed64, double.
    Fixed64,
    /// fixed32, sfixed32, float.
    Fixed32,
    /// string (repeated or not): UTF-8 bytes.
    Str,
    /// bytes.
    Bytes,
    /// An embedded message (repeated or not).
    Msg(&'static Schema),
    /// repeated fixed64 / double: packed, or one value per field.
    PackedFixed64,
    /// repeated uint64: packed, or one value per field.
    PackedVarint,
}

/// One message type.
#[derive(Debug)]
pub(crate) struct Schema {
    pub name: &'static str,
    /// Its fields' kinds by number, for a lookup without a search
    /// (OTLP's field numbers stop at 16); `None` for unknown fields.
    table: [Option<Kind>; TABLE],
    /// The index level this message is recorded at (0 = resource), if it
    /// is part of the request's structure.
    pub level: Option<usize>,
    /// At most one child node is expected (a metric's data oneof); a
    /// second one makes the request non-canonical (see `index`).
    pub one_child: bool,
    /// A varint field whose value the walk keeps in the message's node
    /// (the last occurrence, as prost keeps it): a log record's severity,
    /// which filters read for every record.
    pub capture: Option<u32>,
    /// What to do on each one-byte key (field numbers 1-15, any wire
    /// type), the field's kind and the key's wire type folded into one
    /// lookup: nearly every key in an OTLP request is one byte, and the
    /// walk meets tens of them per record.
    pub steps: [Step; 128],
}

/// The walk's action for a one-byte key (see [`Schema::steps`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A known varint field as a varint.
    Varint,
    /// The captured varint field.
    Capture,
    /// A known 8-byte field as fixed64.
    Fixed64,
    /// A known 4-byte field as fixed32.
    Fixed32,
    /// A bytes field.
    Bytes,
    /// A string field: its bytes must be UTF-8.
    Str,
    /// A repeated fixed64, packed.
    PackedFixed64,
    /// A repeated varint, packed.
    PackedVarint,
    /// An embedded message (its schema is in the table).
    Msg,
    /// Anything else (unknown field, wrong wire type, invalid key): the
    /// general path, which words the refusal.
    Other,
}

impl Schema {
    #[inline(always)]
    pub(crate) fn field(&self, number: u32) -> Option<Kind> {
        self.table.get(number as usize).copied().flatten()
    }
}

const TABLE: usize = 17;

const fn table(fields: &'static [(u32, Kind)]) -> [Option<Kind>; TABLE] {
    let mut t = [None; TABLE];
    let mut i = 0;
    while i < fields.len() {
        // A number past the table fails the build (index out of bounds).
        t[fields[i].0 as usize] = Some(fields[i].1);
        i += 1;
    }
    t
}

/// The step for a field of `kind` met with wire type `wire` (the numeric
/// value from the key); [`Step::Other`] when prost would refuse the pair.
pub(crate) const fn step(kind: Kind, wire: u8, captured: bool) -> Step {
    match (kind, wire) {
        (Varint | PackedVarint, 0) if captured => Step::Capture,
        (Varint | PackedVarint, 0) => Step::Varint,
        (Fixed64 | PackedFixed64, 1) => Step::Fixed64,
        (Fixed32, 5) => Step::Fixed32,
        (Bytes, 2) => Step::Bytes,
        (Str, 2) => Step::Str,
        (PackedFixed64, 2) => Step::PackedFixed64,
        (PackedVarint, 2) => Step::PackedVarint,
        (Msg(_), 2) => Step::Msg,
        _ => Step::Other,
    }
}

/// The steps of a message whose fields are `table`, capturing `capture`.
const fn steps(table: &[Option<Kind>; TABLE], capture: Option<u32>) -> [Step; 128] {
    let mut steps = [Step::Other; 128];
    let mut key = 0;
    while key < 128 {
        let number = key >> 3;
        let captured = matches!(capture, Some(c) if c as usize == number);
        // Field number 0 stays `Other`: the general path refuses it.
        if let (Some(kind), true) = (table[number], number > 0) {
            steps[key] = step(kind, (key & 7) as u8, captured);
        }
        key += 1;
    }
    steps
}

const fn msg(name: &'static str, fields: &'static [(u32, Kind)], level: Option<usize>) -> Schema {
    Schema {
        name,
        table: table(fields),
        level,
        one_child: false,
        capture: None,
        steps: steps(&table(fields), None),
    }
}

impl Schema {
    /// This schema, keeping the varint field `number` in its nodes.
    const fn capturing(self, number: u32) -> Schema {
        Schema {
            capture: Some(number),
            steps: steps(&self.table, Some(number)),
            ..self
        }
    }

    /// This schema, expecting at most one child node.
    const fn one_child(self) -> Schema {
        Schema {
            one_child: true,
            ..self
        }
    }
}

use Kind::*;

// common.v1 and resource.v1
pub(crate) static ANY_VALUE: Schema = msg(
    "AnyValue",
    &[
        (1, Str),
        (2, Varint),
        (3, Varint),
        (4, Fixed64),
        (5, Msg(&ARRAY_VALUE)),
        (6, Msg(&KEY_VALUE_LIST)),
        (7, Bytes),
        (8, Varint),
    ],
    None,
);
static ARRAY_VALUE: Schema = msg("ArrayValue", &[(1, Msg(&ANY_VALUE))], None);
static KEY_VALUE_LIST: Schema = msg("KeyValueList", &[(1, Msg(&KEY_VALUE))], None);
pub(crate) static KEY_VALUE: Schema = msg(
    "KeyValue",
    &[(1, Str), (2, Msg(&ANY_VALUE)), (3, Varint)],
    None,
);
static SCOPE: Schema = msg(
    "InstrumentationScope",
    &[(1, Str), (2, Str), (3, Msg(&KEY_VALUE)), (4, Varint)],
    None,
);
static ENTITY_REF: Schema = msg("EntityRef", &[(1, Str), (2, Str), (3, Str), (4, Str)], None);
static RESOURCE: Schema = msg(
    "Resource",
    &[(1, Msg(&KEY_VALUE)), (2, Varint), (3, Msg(&ENTITY_REF))],
    None,
);

// logs.v1
pub(crate) static LOGS_REQUEST: Schema = msg(
    "ExportLogsServiceRequest",
    &[(1, Msg(&RESOURCE_LOGS))],
    None,
);
static RESOURCE_LOGS: Schema = msg(
    "ResourceLogs",
    &[(1, Msg(&RESOURCE)), (2, Msg(&SCOPE_LOGS)), (3, Str)],
    Some(0),
);
static SCOPE_LOGS: Schema = msg(
    "ScopeLogs",
    &[(1, Msg(&SCOPE)), (2, Msg(&LOG_RECORD)), (3, Str)],
    Some(1),
);
const LOG_RECORD_FIELDS: &[(u32, Kind)] = &[
    (1, Fixed64),
    (11, Fixed64),
    (2, Varint),
    (3, Str),
    (5, Msg(&ANY_VALUE)),
    (6, Msg(&KEY_VALUE)),
    (7, Varint),
    (8, Fixed32),
    (9, Bytes),
    (10, Bytes),
    (12, Str),
];
/// `LogRecord.severity_number`.
pub(crate) const SEVERITY_FIELD: u32 = 2;
pub(crate) static LOG_RECORD: Schema =
    msg("LogRecord", LOG_RECORD_FIELDS, Some(2)).capturing(SEVERITY_FIELD);

// trace.v1
pub(crate) static TRACE_REQUEST: Schema = msg(
    "ExportTraceServiceRequest",
    &[(1, Msg(&RESOURCE_SPANS))],
    None,
);
static RESOURCE_SPANS: Schema = msg(
    "ResourceSpans",
    &[(1, Msg(&RESOURCE)), (2, Msg(&SCOPE_SPANS)), (3, Str)],
    Some(0),
);
static SCOPE_SPANS: Schema = msg(
    "ScopeSpans",
    &[(1, Msg(&SCOPE)), (2, Msg(&SPAN)), (3, Str)],
    Some(1),
);
static SPAN: Schema = msg(
    "Span",
    &[
        (1, Bytes),
        (2, Bytes),
        (3, Str),
        (4, Bytes),
        (16, Fixed32),
        (5, Str),
        (6, Varint),
        (7, Fixed64),
        (8, Fixed64),
        (9, Msg(&KEY_VALUE)),
        (10, Varint),
        (11, Msg(&EVENT)),
        (12, Varint),
        (13, Msg(&LINK)),
        (14, Varint),
        (15, Msg(&STATUS)),
    ],
    Some(2),
);
static EVENT: Schema = msg(
    "Span.Event",
    &[(1, Fixed64), (2, Str), (3, Msg(&KEY_VALUE)), (4, Varint)],
    None,
);
static LINK: Schema = msg(
    "Span.Link",
    &[
        (1, Bytes),
        (2, Bytes),
        (3, Str),
        (4, Msg(&KEY_VALUE)),
        (5, Varint),
        (6, Fixed32),
    ],
    None,
);
static STATUS: Schema = msg("Status", &[(2, Str), (3, Varint)], None);

// metrics.v1
pub(crate) static METRICS_REQUEST: Schema = msg(
    "ExportMetricsServiceRequest",
    &[(1, Msg(&RESOURCE_METRICS))],
    None,
);
static RESOURCE_METRICS: Schema = msg(
    "ResourceMetrics",
    &[(1, Msg(&RESOURCE)), (2, Msg(&SCOPE_METRICS)), (3, Str)],
    Some(0),
);
static SCOPE_METRICS: Schema = msg(
    "ScopeMetrics",
    &[(1, Msg(&SCOPE)), (2, Msg(&METRIC)), (3, Str)],
    Some(1),
);
static METRIC_FIELDS: &[(u32, Kind)] = &[
    (1, Str),
    (2, Str),
    (3, Str),
    (12, Msg(&KEY_VALUE)),
    (5, Msg(&GAUGE)),
    (7, Msg(&SUM)),
    (9, Msg(&HISTOGRAM)),
    (10, Msg(&EXPONENTIAL_HISTOGRAM)),
    (11, Msg(&SUMMARY)),
];
static METRIC: Schema = msg("Metric", METRIC_FIELDS, Some(2)).one_child();
/// The `Metric.data` oneof's field numbers.
pub(crate) const GAUGE_FIELD: u32 = 5;
pub(crate) const SUM_FIELD: u32 = 7;
pub(crate) const HISTOGRAM_FIELD: u32 = 9;
pub(crate) const EXPONENTIAL_HISTOGRAM_FIELD: u32 = 10;
pub(crate) const SUMMARY_FIELD: u32 = 11;

static GAUGE: Schema = msg("Gauge", &[(1, Msg(&NUMBER_POINT))], Some(3));
static SUM: Schema = msg(
    "Sum",
    &[(1, Msg(&NUMBER_POINT)), (2, Varint), (3, Varint)],
    Some(3),
);
static HISTOGRAM: Schema = msg(
    "Histogram",
    &[(1, Msg(&HISTOGRAM_POINT)), (2, Varint)],
    Some(3),
);
static EXPONENTIAL_HISTOGRAM: Schema = msg(
    "ExponentialHistogram",
    &[(1, Msg(&EXPONENTIAL_HISTOGRAM_POINT)), (2, Varint)],
    Some(3),
);
static SUMMARY: Schema = msg("Summary", &[(1, Msg(&SUMMARY_POINT))], Some(3));
static NUMBER_POINT: Schema = msg(
    "NumberDataPoint",
    &[
        (7, Msg(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (6, Fixed64),
        (5, Msg(&EXEMPLAR)),
        (8, Varint),
    ],
    Some(4),
);
static HISTOGRAM_POINT: Schema = msg(
    "HistogramDataPoint",
    &[
        (9, Msg(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, PackedFixed64),
        (7, PackedFixed64),
        (8, Msg(&EXEMPLAR)),
        (10, Varint),
        (11, Fixed64),
        (12, Fixed64),
    ],
    Some(4),
);
static EXPONENTIAL_HISTOGRAM_POINT: Schema = msg(
    "ExponentialHistogramDataPoint",
    &[
        (1, Msg(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, Varint),
        (7, Fixed64),
        (8, Msg(&BUCKETS)),
        (9, Msg(&BUCKETS)),
        (10, Varint),
        (11, Msg(&EXEMPLAR)),
        (12, Fixed64),
        (13, Fixed64),
        (14, Fixed64),
    ],
    Some(4),
);
static BUCKETS: Schema = msg(
    "ExponentialHistogramDataPoint.Buckets",
    &[(1, Varint), (2, PackedVarint)],
    None,
);
static SUMMARY_POINT: Schema = msg(
    "SummaryDataPoint",
    &[
        (7, Msg(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, Msg(&VALUE_AT_QUANTILE)),
        (8, Varint),
    ],
    Some(4),
);
static VALUE_AT_QUANTILE: Schema = msg(
    "SummaryDataPoint.ValueAtQuantile",
    &[(1, Fixed64), (2, Fixed64)],
    None,
);
static EXEMPLAR: Schema = msg(
    "Exemplar",
    &[
        (7, Msg(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (6, Fixed64),
        (4, Bytes),
        (5, Bytes),
    ],
    None,
);
