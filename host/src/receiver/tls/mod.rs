//! TLS for the receivers' servers: the Collector's server-side `tls` keys
//! ([`ServerTlsSettings`]), a rustls configuration that follows its files
//! as they rotate ([`ReloadingConfig`]), and an accept loop that runs each
//! handshake in a task of its own so that one slow or hostile client
//! cannot hold up the others ([`incoming`]), feeding the HTTP and gRPC servers alike.
//!
//! rustls with the `ring` provider, as the exporters' client side uses.

mod config;
mod incoming;
mod reload;

pub use config::ServerTlsSettings;
pub(crate) use incoming::{TlsListener, incoming};
pub(crate) use reload::ReloadingConfig;
