//! The InfluxDB line protocol, written into one reusable buffer:
//! `measurement,tag=value field=1.5,n=3i,s="text" 1700000000000000000`.
//!
//! Hand-written rather than taken from a crate: this is the exporter's
//! hot path (a line per data point, a field per bucket), and writing
//! straight into the payload buffer costs no allocation per line or per
//! field. The crates that exist build a value per point first.
//!
//! Escaping follows the line protocol reference: in measurements `,` and
//! space are escaped; in tag keys, tag values and field keys `,`, `=` and
//! space; in string field values `"` and `\`. A backslash in a name is
//! escaped only where it would otherwise escape what follows it (before
//! an escaped character, another backslash, or at the end), so that the
//! common case (a Windows path) reads back the same in InfluxDB 1.x,
//! whose parser unescapes only the special characters, and in 2.x/3.x,
//! which also unescape `\\`. Newlines and carriage returns cannot be
//! escaped outside string values (they end the line in every parser):
//! there they are written as an escaped space. Floats that InfluxDB
//! refuses (NaN, ±Inf) are not written; the caller counts them.

use std::io::Write;

/// A payload being built: lines, each ended by `\n`.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    pub(crate) buf: Vec<u8>,
    /// Lines written.
    pub(crate) count: usize,
    /// Where each payload ends (an offset into `buf`), once cut.
    pub(crate) cuts: Vec<usize>,
    cut_lines: usize,
}

/// What was left out while writing, and why (logged per batch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// Float fields that were NaN or infinite.
    pub(crate) non_finite_fields: u64,
    /// Lines with no field left to write.
    pub(crate) empty_lines: u64,
    /// Points without a timestamp (time 0).
    pub(crate) no_timestamp: u64,
    /// Measurements that cannot be written (empty, or starting with `#`,
    /// which makes the line a comment).
    pub(crate) bad_measurement: u64,
    /// Points of a kind the schema has no mapping for (exponential
    /// histograms).
    pub(crate) unsupported: u64,
    /// Spans and links without a trace or span id.
    pub(crate) no_id: u64,
}

impl Skipped {
    pub(crate) fn any(&self) -> bool {
        *self != Skipped::default()
    }
}

/// Characters escaped in a measurement.
const MEASUREMENT: &[u8] = b", ";
/// Characters escaped in tag keys, tag values and field keys.
const KEY: &[u8] = b",= ";

impl Lines {
    /// Starts a line; `None` if `measurement` cannot be written.
    pub(crate) fn line(&mut self, measurement: &str, skipped: &mut Skipped) -> Option<Line<'_>> {
        if measurement.is_empty() || measurement.starts_with('#') {
            skipped.bad_measurement += 1;
            return None;
        }
        let start = self.buf.len();
        escape_name(&mut self.buf, measurement, MEASUREMENT);
        Some(Line {
            lines: self,
            start,
            fields: 0,
        })
    }

    /// Empties the buffer for the next batch, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.count = 0;
        self.cuts.clear();
        self.cut_lines = 0;
    }

    /// Ends the current payload if it holds `max_lines` lines or
    /// `max_bytes` bytes.
    pub(crate) fn cut_if_full(&mut self, max_lines: usize, max_bytes: usize) {
        let bytes = self.buf.len() - self.cuts.last().copied().unwrap_or(0);
        if self.count - self.cut_lines >= max_lines || bytes >= max_bytes {
            self.cut();
        }
    }

    /// Ends the current payload, if it has any line.
    pub(crate) fn cut(&mut self) {
        if self.count > self.cut_lines {
            self.cuts.push(self.buf.len());
            self.cut_lines = self.count;
        }
    }

    /// The payloads, in order.
    pub(crate) fn payloads(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.cuts.iter().map(move |&end| {
            let payload = &self.buf[start..end];
            start = end;
            payload
        })
    }
}

/// One line being written: tags first, then fields, then [`end`](Self::end).
pub(crate) struct Line<'a> {
    lines: &'a mut Lines,
    start: usize,
    fields: usize,
}

impl Line<'_> {
    /// Fields written so far.
    pub(crate) fn fields(&self) -> usize {
        self.fields
    }

    /// Adds a tag. Empty keys and values are left out, as InfluxDB
    /// refuses them. Tags must come before any field, sorted by key.
    pub(crate) fn tag(&mut self, key: &str, value: &str) {
        debug_assert_eq!(self.fields, 0, "tags before fields");
        if key.is_empty() || value.is_empty() {
            return;
        }
        let buf = &mut self.lines.buf;
        buf.push(b',');
        escape_name(buf, key, KEY);
        buf.push(b'=');
        escape_name(buf, value, KEY);
    }

    fn field_key(&mut self, key: &str) {
        let buf = &mut self.lines.buf;
        buf.push(if self.fields == 0 { b' ' } else { b',' });
        escape_name(buf, key, KEY);
        buf.push(b'=');
        self.fields += 1;
    }

    /// Adds a float field; NaN and ±Inf are counted and left out.
    pub(crate) fn float(&mut self, key: &str, value: f64, skipped: &mut Skipped) {
        if key.is_empty() {
            return;
        }
        if !value.is_finite() {
            skipped.non_finite_fields += 1;
            return;
        }
        self.field_key(key);
        // Shortest text that reads back as the same f64, never an
        // exponent (which InfluxDB 1.x does parse, but Go's 'f' -1 form,
        // the Collector's, has none either). Writing to a Vec cannot fail.
        let _ = write!(self.lines.buf, "{value}");
    }

    /// Adds an integer field (`3i`).
    pub(crate) fn int(&mut self, key: &str, value: i64) {
        if key.is_empty() {
            return;
        }
        self.field_key(key);
        let _ = write!(self.lines.buf, "{value}i");
    }

    /// Adds a string field, quoted and escaped.
    pub(crate) fn string(&mut self, key: &str, value: &str) {
        if key.is_empty() {
            return;
        }
        self.field_key(key);
        let buf = &mut self.lines.buf;
        buf.push(b'"');
        escape_string(buf, value);
        buf.push(b'"');
    }

    /// Ends the line with its nanosecond timestamp. A line without a
    /// field is taken back (InfluxDB refuses it) and counted.
    pub(crate) fn end(self, time_unix_nano: u64, skipped: &mut Skipped) {
        if self.fields == 0 {
            self.lines.buf.truncate(self.start);
            skipped.empty_lines += 1;
            return;
        }
        let _ = writeln!(self.lines.buf, " {time_unix_nano}");
        self.lines.count += 1;
    }
}

/// Writes `text` with the characters in `special` escaped, a backslash
/// escaped where it would escape what follows, and line breaks written as
/// an escaped space.
fn escape_name(buf: &mut Vec<u8>, text: &str, special: &[u8]) {
    if !text
        .bytes()
        .any(|b| special.contains(&b) || matches!(b, b'\\' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(text.as_bytes());
        return;
    }
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let b = if matches!(b, b'\n' | b'\r') { b' ' } else { b };
        if special.contains(&b) {
            buf.push(b'\\');
        } else if b == b'\\' {
            let next = bytes.get(i + 1).copied();
            let escapes_next = match next {
                None => true,
                Some(n) => n == b'\\' || matches!(n, b'\n' | b'\r') || special.contains(&n),
            };
            if escapes_next {
                buf.push(b'\\');
            }
        }
        buf.push(b);
    }
}

/// Writes a string field value: `"` and `\` escaped.
fn escape_string(buf: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        if b == b'"' || b == b'\\' {
            buf.push(b'\\');
        }
        buf.push(b);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A field value as read back.
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) enum Value {
        Float(f64),
        Int(i64),
        Bool(bool),
        Str(String),
    }

    /// One line read back.
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) struct Parsed {
        pub(crate) measurement: String,
        pub(crate) tags: Vec<(String, String)>,
        pub(crate) fields: Vec<(String, Value)>,
        pub(crate) time: u64,
    }

    /// A line protocol reader written from the reference (InfluxDB 2.x's
    /// unescaping: `\` before a special character or another `\` is an
    /// escape, elsewhere a literal), independent of the writer above.
    pub(crate) fn parse(payload: &str) -> Vec<Parsed> {
        payload
            .split_terminator('\n')
            .map(|line| parse_line(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
            .collect()
    }

    fn take_name(s: &[u8], at: &mut usize, special: &[u8], stop: &[u8]) -> String {
        let mut out = Vec::new();
        while *at < s.len() {
            let b = s[*at];
            if b == b'\\' && *at + 1 < s.len() {
                let n = s[*at + 1];
                if special.contains(&n) || n == b'\\' {
                    out.push(n);
                    *at += 2;
                    continue;
                }
            }
            if stop.contains(&b) {
                break;
            }
            out.push(b);
            *at += 1;
        }
        String::from_utf8(out).expect("UTF-8")
    }

    fn parse_line(line: &str) -> Result<Parsed, String> {
        let s = line.as_bytes();
        let mut at = 0;
        let measurement = take_name(s, &mut at, MEASUREMENT, b", ");
        let mut tags = Vec::new();
        while s.get(at) == Some(&b',') {
            at += 1;
            let key = take_name(s, &mut at, KEY, b"=");
            at += 1;
            let value = take_name(s, &mut at, KEY, b", ");
            tags.push((key, value));
        }
        if s.get(at) != Some(&b' ') {
            return Err(format!("expected a space at {at}"));
        }
        at += 1;
        let mut fields = Vec::new();
        loop {
            let key = take_name(s, &mut at, KEY, b"=");
            if s.get(at) != Some(&b'=') {
                return Err(format!("expected = at {at}"));
            }
            at += 1;
            let value = if s.get(at) == Some(&b'"') {
                at += 1;
                let mut out = Vec::new();
                loop {
                    match s.get(at) {
                        Some(b'\\') if matches!(s.get(at + 1), Some(b'"' | b'\\')) => {
                            out.push(s[at + 1]);
                            at += 2;
                        }
                        Some(b'"') => {
                            at += 1;
                            break;
                        }
                        Some(&b) => {
                            out.push(b);
                            at += 1;
                        }
                        None => return Err("unterminated string".into()),
                    }
                }
                Value::Str(String::from_utf8(out).expect("UTF-8"))
            } else {
                let end = s[at..]
                    .iter()
                    .position(|&b| b == b',' || b == b' ')
                    .map_or(s.len(), |p| at + p);
                let text = &line[at..end];
                at = end;
                if let Some(int) = text.strip_suffix('i') {
                    Value::Int(int.parse().map_err(|e| format!("{text}: {e}"))?)
                } else if text == "true" || text == "false" {
                    Value::Bool(text == "true")
                } else {
                    Value::Float(text.parse().map_err(|e| format!("{text}: {e}"))?)
                }
            };
            fields.push((key, value));
            match s.get(at) {
                Some(b',') => at += 1,
                Some(b' ') => break,
                _ => return Err(format!("expected , or space at {at}")),
            }
        }
        let time = line[at + 1..].parse().map_err(|e| format!("time: {e}"))?;
        Ok(Parsed {
            measurement,
            tags,
            fields,
            time,
        })
    }

    /// Text as it reads back from a name: line breaks become spaces.
    fn as_name(text: &str) -> String {
        text.replace(['\n', '\r'], " ")
    }

    #[test]
    fn a_line_with_every_kind_of_field() {
        let mut lines = Lines::default();
        let mut skipped = Skipped::default();
        let mut line = lines.line("cpu load", &mut skipped).unwrap();
        line.tag("host", "a,b=c d");
        line.tag("empty", "");
        line.float("gauge", 1.5, &mut skipped);
        line.float("nan", f64::NAN, &mut skipped);
        line.float("inf", f64::INFINITY, &mut skipped);
        line.int("n", -3);
        line.string("msg", "say \"hi\" \\ bye\nnext");
        line.end(1_700_000_000_123_456_789, &mut skipped);
        lines.cut();
        let text = String::from_utf8(lines.buf.clone()).unwrap();
        assert_eq!(
            text,
            "cpu\\ load,host=a\\,b\\=c\\ d gauge=1.5,n=-3i,\
             msg=\"say \\\"hi\\\" \\\\ bye\nnext\" 1700000000123456789\n"
        );
        assert_eq!(skipped.non_finite_fields, 2);
        assert_eq!(lines.count, 1);
    }

    #[test]
    fn a_line_without_fields_is_taken_back() {
        let mut lines = Lines::default();
        let mut skipped = Skipped::default();
        let mut line = lines.line("m", &mut skipped).unwrap();
        line.tag("t", "v");
        line.float("x", f64::NAN, &mut skipped);
        line.end(1, &mut skipped);
        assert!(lines.buf.is_empty());
        assert_eq!(lines.count, 0);
        assert_eq!(skipped.empty_lines, 1);
        assert!(lines.line("#comment", &mut skipped).is_none());
        assert!(lines.line("", &mut skipped).is_none());
        assert_eq!(skipped.bad_measurement, 2);
    }

    #[test]
    fn backslashes_are_escaped_only_where_they_would_escape() {
        let mut buf = Vec::new();
        escape_name(&mut buf, r"C:\Users\x", KEY);
        assert_eq!(buf, br"C:\Users\x", "a path reads back the same in 1.x");
        buf.clear();
        escape_name(&mut buf, r"a\,b\", KEY);
        assert_eq!(buf, br"a\\\,b\\");
    }

    #[test]
    fn payloads_are_cut_by_lines_and_bytes() {
        let mut lines = Lines::default();
        let mut skipped = Skipped::default();
        for i in 0..7 {
            let mut line = lines.line("m", &mut skipped).unwrap();
            line.int("i", i);
            line.end(1, &mut skipped);
            lines.cut_if_full(3, usize::MAX);
        }
        lines.cut();
        let sizes: Vec<usize> = lines
            .payloads()
            .map(|p| p.iter().filter(|&&b| b == b'\n').count())
            .collect();
        assert_eq!(sizes, [3, 3, 1]);

        let mut lines = Lines::default();
        for _ in 0..4 {
            let mut line = lines.line("m", &mut skipped).unwrap();
            line.int("i", 1);
            line.end(1, &mut skipped);
            // "m i=1i 1\n" is 9 bytes: every second line fills 15.
            lines.cut_if_full(usize::MAX, 15);
        }
        lines.cut();
        assert_eq!(lines.payloads().count(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn whatever_the_text_it_reads_back(
            measurement in "[^#\\x00][\\PC\\\\,= \"\n\r]{0,12}",
            tag_key in "[\\PC\\\\,= \"\n]{1,12}",
            tag_value in "[\\PC\\\\,= \"\n]{1,12}",
            field_key in "[\\PC\\\\,= \"\n]{1,12}",
            text in "[\\PC\\\\,= \"\n]{0,24}",
            float in any::<f64>().prop_filter("finite", |f| f.is_finite()),
            int in any::<i64>(),
            time in any::<u64>(),
        ) {
            let mut lines = Lines::default();
            let mut skipped = Skipped::default();
            let mut line = lines.line(&measurement, &mut skipped).unwrap();
            line.tag(&tag_key, &tag_value);
            line.string(&field_key, &text);
            line.float("f", float, &mut skipped);
            line.int("i", int);
            line.end(time, &mut skipped);
            let payload = String::from_utf8(lines.buf.clone()).unwrap();
            // One line: the only raw newlines are the string value's.
            prop_assert_eq!(
                payload.matches('\n').count(),
                text.matches('\n').count() + 1
            );
            let back = parse_line(payload.trim_end_matches('\n')).unwrap();
            prop_assert_eq!(back.measurement, as_name(&measurement));
            prop_assert_eq!(back.tags, vec![(as_name(&tag_key), as_name(&tag_value))]);
            prop_assert_eq!(
                back.fields,
                vec![
                    (as_name(&field_key), Value::Str(text.clone())),
                    ("f".to_string(), Value::Float(float)),
                    ("i".to_string(), Value::Int(int)),
                ]
            );
            prop_assert_eq!(back.time, time);
        }
    }
}
