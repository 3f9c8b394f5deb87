//! The `receivers` section: each receiver's settings parsed and checked
//! (TLS files readable, `auth` naming an extension that is on).

use indexmap::IndexMap;

use super::extensions::{self, Extensions};
use super::{Receiver, component_type, field};
use crate::config::{RawConfig, Result, component};
use crate::receiver::tls::ServerTlsSettings;
use crate::receiver::{KafkaReceiver, OtlpReceiver};

/// Every receiver defined, by id.
pub(super) fn resolve(
    raw: &RawConfig,
    extensions: &Extensions,
) -> Result<IndexMap<String, Receiver>> {
    let mut receivers = IndexMap::new();
    for (id, value) in &raw.receivers {
        match component_type(id) {
            "otlp" => {
                let mut otlp: OtlpReceiver = component("receivers", id, value)?;
                if otlp.protocols.grpc.is_none() && otlp.protocols.http.is_none() {
                    return Err(field(
                        format!("receivers.{id}.protocols"),
                        "enable at least one of `grpc` and `http`",
                    ));
                }
                if let Some(grpc) = &mut otlp.protocols.grpc {
                    let at = format!("receivers.{id}.protocols.grpc");
                    check_server_tls(grpc.tls.as_ref(), &at)?;
                    extensions::resolve_auth(&mut grpc.auth, &at, extensions)?;
                }
                if let Some(http) = &mut otlp.protocols.http {
                    let at = format!("receivers.{id}.protocols.http");
                    check_server_tls(http.tls.as_ref(), &at)?;
                    extensions::resolve_auth(&mut http.auth, &at, extensions)?;
                }
                receivers.insert(id.clone(), Receiver::Otlp(Box::new(otlp)));
            }
            "kafka" => {
                let kafka: KafkaReceiver = component("receivers", id, value)?;
                kafka
                    .validate()
                    .map_err(|e| field(format!("receivers.{id}.{}", e.field), e.message))?;
                receivers.insert(id.clone(), Receiver::Kafka(Box::new(kafka)));
            }
            other => {
                return Err(field(
                    format!("receivers.{id}"),
                    format!("unknown receiver type `{other}` (known: otlp, kafka)"),
                ));
            }
        }
    }
    Ok(receivers)
}

/// Checks a receiver protocol's `tls` block at `at`, reading its files.
fn check_server_tls(tls: Option<&ServerTlsSettings>, at: &str) -> Result<()> {
    if let Some(tls) = tls {
        tls.validate()
            .map_err(|e| field(format!("{at}.{}", e.field), e.message))?;
    }
    Ok(())
}
