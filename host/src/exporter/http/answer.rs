//! An HTTP answer as far as an exporter needs it: status, `Retry-After`,
//! `Content-Type` and the start of the body, read with a bound so that a
//! misbehaving server cannot exhaust memory; and what it means for a
//! store.

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderValue};
use reqwest::{StatusCode, Url};

use crate::exporter::ExportError;

/// How much of an answer's body is read: enough for any error message,
/// not enough for a misbehaving server to exhaust memory.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// How much of a plain-text error body goes into a failure reason.
const MAX_MESSAGE_CHARS: usize = 256;

/// The parts of an HTTP answer that decide an export's outcome.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// `Retry-After`, as sent.
    pub(crate) retry_after: Option<String>,
    /// `Content-Type`, as sent.
    pub(crate) content_type: Option<String>,
    /// Up to [`MAX_ANSWER_BYTES`] of the body.
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// Reads status, headers and up to [`MAX_ANSWER_BYTES`] of the body.
    /// A body cut short is kept as far as it came: the status has already
    /// decided the outcome, the body only explains it.
    pub(crate) async fn read(mut response: reqwest::Response) -> Answer {
        let text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = text(header::RETRY_AFTER);
        let content_type = text(header::CONTENT_TYPE);
        let status = response.status();
        let mut body = Vec::new();
        while body.len() < MAX_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(MAX_ANSWER_BYTES);
        Answer {
            status,
            retry_after,
            content_type,
            body,
        }
    }

    /// Whether the body is of `content_type` (`application/json;
    /// charset=utf-8` is JSON), or, if the server named none, `default`.
    pub(crate) fn is(&self, content_type: &str, default: &str) -> bool {
        self.content_type
            .as_deref()
            .unwrap_or(default)
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case(content_type))
    }

    /// The `Retry-After` delay, if the server asked for one.
    pub(crate) fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        parse_retry_after(self.retry_after.as_deref()?, now)
    }

    /// The server's explanation: the `message` or `error` of a JSON body
    /// (what InfluxDB, VictoriaMetrics and Prometheus send), or the start
    /// of a text body on one line.
    pub(crate) fn text_message(&self) -> Option<String> {
        if self.body.is_empty() {
            return None;
        }
        if self.is("application/json", "")
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&self.body)
            && let Some(message) = ["message", "error"]
                .iter()
                .find_map(|key| value.get(key)?.as_str())
        {
            return Some(message.to_string());
        }
        let text = String::from_utf8_lossy(&self.body);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return None;
        }
        Some(match text.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        })
    }

    /// What the answer means for a store: 2xx is success; 408, 429 and
    /// every 5xx may pass (after `Retry-After` if given); any other answer
    /// refuses the data for good, with the store's explanation.
    pub(crate) fn store_outcome(&self, url: &Url, now: SystemTime) -> Result<(), ExportError> {
        if self.status.is_success() {
            return Ok(());
        }
        let reason = match self.text_message() {
            Some(message) => format!("{} answered {}: {message}", redacted(url), self.status),
            None => format!("{} answered {}", redacted(url), self.status),
        };
        if self.status.is_server_error() || matches!(self.status.as_u16(), 408 | 429) {
            Err(ExportError::Retryable {
                reason,
                retry_after: self.retry_after(now),
            })
        } else {
            Err(ExportError::Permanent(reason))
        }
    }
}

/// `url` without its query, which may carry credentials (InfluxDB v1's
/// `u=` and `p=`), for messages and logs.
pub(crate) fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    let _ = url.set_password(None);
    url.to_string()
}

/// `Retry-After`: delay-seconds, or an HTTP-date (a date already past
/// means "now").
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: Option<&str>, body: &[u8]) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: Some("7".into()),
            content_type: content_type.map(str::to_string),
            body: body.to_vec(),
        }
    }

    #[test]
    fn stores_retry_429_408_and_5xx_and_refuse_other_4xx() {
        let url = Url::parse("http://store:8086/write?db=x&p=secret").unwrap();
        let now = SystemTime::now();
        assert_eq!(answer(204, None, b"").store_outcome(&url, now), Ok(()));
        for status in [408, 429, 500, 502, 503, 504] {
            let outcome = answer(status, None, b"").store_outcome(&url, now);
            assert_eq!(
                outcome,
                Err(ExportError::Retryable {
                    reason: format!(
                        "http://store:8086/write answered {}",
                        StatusCode::from_u16(status).unwrap()
                    ),
                    retry_after: Some(Duration::from_secs(7)),
                }),
                "{status}"
            );
        }
        let refused = answer(
            400,
            Some("application/json"),
            br#"{"error":"partial write: field type conflict"}"#,
        )
        .store_outcome(&url, now);
        assert_eq!(
            refused,
            Err(ExportError::Permanent(
                "http://store:8086/write answered 400 Bad Request: partial write: field type conflict"
                    .into()
            )),
            "the store's reason, and no password from the query"
        );
    }

    #[test]
    fn text_bodies_are_one_line_and_bounded() {
        let long = "word ".repeat(200);
        let message = answer(400, Some("text/plain"), long.as_bytes())
            .text_message()
            .unwrap();
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(message.ends_with('…'));
        let message = answer(400, None, b"line one\n  line two\n").text_message();
        assert_eq!(message.as_deref(), Some("line one line two"));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
