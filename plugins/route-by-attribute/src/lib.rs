//! `route-by-attribute`: sends each record to a named route chosen by the
//! value of one attribute (a tenant key, `service.name`, …).
//!
//! Reads the attribute for the whole batch in one call. A value maps to a
//! route through `routes`, or becomes the route name after `prefix`;
//! records with no route go to `default`, or stay on the main path when
//! there is no default.

use std::collections::HashMap;

use weir_guest::{AttributesOf, Batch, Config, Info, Outcome, Plugin, Router, Value};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The attribute whose value picks the route.
    attribute: String,
    /// Where to look: `record`, `resource`, `scope`, or (default) the
    /// record first and then its resource.
    #[serde(default)]
    of: Lookup,
    /// Value → route name. Without it, the route is `prefix` + value.
    routes: Option<HashMap<String, String>>,
    /// Prefix of route names made from values (when `routes` is absent).
    #[serde(default)]
    prefix: String,
    /// Route for records with no route; absent: they stay on the main path.
    default: Option<String>,
}

#[derive(serde::Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Lookup {
    Record,
    Resource,
    Scope,
    #[default]
    Any,
}

struct RouteByAttribute {
    settings: Settings,
}

impl RouteByAttribute {
    fn values(&self, batch: &Batch) -> Vec<Option<Value>> {
        let key = &self.settings.attribute;
        match self.settings.of {
            Lookup::Record => batch.attribute_column(AttributesOf::Record, key),
            Lookup::Resource => batch.attribute_column(AttributesOf::Resource, key),
            Lookup::Scope => batch.attribute_column(AttributesOf::Scope, key),
            Lookup::Any => {
                let mut values = batch.attribute_column(AttributesOf::Record, key);
                if values.iter().any(Option::is_none) {
                    let resource = batch.attribute_column(AttributesOf::Resource, key);
                    for (v, r) in values.iter_mut().zip(resource) {
                        if v.is_none() {
                            *v = r;
                        }
                    }
                }
                values
            }
        }
    }

    fn route_for(&self, value: Option<&Value>) -> Option<String> {
        let text = value.and_then(Value::to_text)?;
        match &self.settings.routes {
            Some(routes) => routes.get(&text).cloned(),
            None => Some(format!("{}{text}", self.settings.prefix)),
        }
    }
}

impl Plugin for RouteByAttribute {
    fn info() -> Info {
        Info::new(
            "route-by-attribute",
            "Sends records to named routes chosen by an attribute value",
        )
        .version(env!("CARGO_PKG_VERSION"))
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        if settings.attribute.is_empty() {
            return Err("invalid configuration at `attribute`: must not be empty".into());
        }
        Ok(RouteByAttribute { settings })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let mut router = Router::new(batch.len());
        for (i, value) in self.values(batch).iter().enumerate() {
            let i = i as u32;
            match (self.route_for(value.as_ref()), &self.settings.default) {
                (Some(route), _) => router.route(i, &route),
                (None, Some(default)) => router.route(i, default),
                (None, None) => router.keep(i),
            }
        }
        Ok(router.finish())
    }
}

weir_guest::export_plugin!(RouteByAttribute);
