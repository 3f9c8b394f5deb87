//! What every exporter that POSTs to an HTTP endpoint shares: one
//! reqwest client per exporter (TLS from the `tls` keys, extra headers,
//! a timeout), a bounded read of the answer, and the rule that turns an
//! answer into success, a retryable failure or a permanent one.
//!
//! `otlphttp` applies the OTLP specification's rule to the answer; the
//! store exporters (`influxdb`, `prometheusremotewrite`,
//! `victoriametrics`, `victorialogs`) apply [`Answer::store_outcome`]:
//! the stores answer 4xx for data they will never take and 429 / 5xx for
//! trouble that passes.

mod answer;
mod client;
pub(crate) mod settings;

pub(crate) use answer::Answer;
pub(crate) use client::{HttpClient, Post};
