//! The extensions `service.extensions` turns on (`file_storage`,
//! `bearertokenauth`), and the `auth` blocks of receivers and exporters,
//! which name one.

use indexmap::IndexMap;

use super::{component_type, field};
use crate::auth::{AuthSettings, BearerTokenAuth};
use crate::config::exporter_base::FileStorage;
use crate::config::{RawConfig, Result, component};

/// The extensions `service.extensions` turns on, by id and type.
#[derive(Default)]
pub(super) struct Extensions {
    pub storages: IndexMap<String, FileStorage>,
    pub authenticators: IndexMap<String, BearerTokenAuth>,
}

/// The extensions `service.extensions` lists, each defined and valid.
pub(super) fn resolve(raw: &RawConfig) -> Result<Extensions> {
    let mut extensions = Extensions::default();
    for (i, id) in raw.service.extensions.iter().enumerate() {
        let value = raw.extensions.get(id).ok_or_else(|| {
            field(
                format!("service.extensions[{i}]"),
                format!("extension `{id}` is not defined under `extensions`"),
            )
        })?;
        match component_type(id) {
            "file_storage" => {
                let storage: FileStorage = component("extensions", id, value)?;
                extensions.storages.insert(id.clone(), storage);
            }
            "bearertokenauth" => {
                let auth: BearerTokenAuth = component("extensions", id, value)?;
                auth.validate()
                    .map_err(|(key, message)| field(format!("extensions.{id}.{key}"), message))?;
                extensions.authenticators.insert(id.clone(), auth);
            }
            other => {
                return Err(field(
                    format!("extensions.{id}"),
                    format!(
                        "unknown extension type `{other}` (known: file_storage, bearertokenauth)"
                    ),
                ));
            }
        }
    }
    for id in raw.extensions.keys() {
        if !raw.service.extensions.contains(id) {
            tracing::warn!(extension = %id, "extension defined but not listed in service.extensions: not started");
        }
    }
    Ok(extensions)
}

/// Fills in the extension an `auth` block at `at` names.
pub(super) fn resolve_auth(
    auth: &mut Option<AuthSettings>,
    at: &str,
    extensions: &Extensions,
) -> Result<()> {
    if let Some(auth) = auth {
        let name = &auth.authenticator;
        let settings = extensions.authenticators.get(name).ok_or_else(|| {
            field(
                format!("{at}.auth.authenticator"),
                format!(
                    "`{name}` is not a bearertokenauth extension defined under `extensions` \
                     and listed in `service.extensions`"
                ),
            )
        })?;
        auth.resolved = Some(settings.clone());
    }
    Ok(())
}
