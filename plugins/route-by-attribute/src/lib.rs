//! `route-by-attribute`: sends each record to a named route chosen by the
//! value of one attribute (a tenant key, `service.name`, …).
//!
//! Reads the attribute for the whole batch in one call (two when it looks
//! at the record and then the resource). A value maps to a route through
//! `routes`, or becomes the route name after `prefix`; records with no
//! route go to `default`, or stay on the main path when there is none.

use std::collections::HashMap;

use weir_guest::{AttributesOf, Batch, Config, Info, Outcome, Plugin, Router, Value};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The attribute whose value picks the route.
    attribute: String,
    /// Where to look: `record`, `resource`, `scope`, or (default) `any`:
    /// the record first, then its resource.
    #[serde(default)]
    of: Lookup,
    /// Value → route name. Without it, the route is `prefix` + value.
    routes: Option<HashMap<String, String>>,
    /// Prefix of route names made from values (only without `routes`).
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

/// Fills the gaps in `values` from `fallback`, record by record.
fn merge(values: &mut [Option<Value>], fallback: Vec<Option<Value>>) {
    for (v, f) in values.iter_mut().zip(fallback) {
        if v.is_none() {
            *v = f;
        }
    }
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
                    merge(
                        &mut values,
                        batch.attribute_column(AttributesOf::Resource, key),
                    );
                }
                values
            }
        }
    }

    /// The route for a value; only scalars (strings, numbers, booleans)
    /// name routes.
    fn route_for(&self, value: Option<&Value>) -> Option<String> {
        let text = match value? {
            Value::Json(_) | Value::Bytes(_) | Value::Empty => return None,
            scalar => scalar.to_text()?,
        };
        match &self.settings.routes {
            Some(routes) => routes.get(&text).cloned(),
            None => Some(format!("{}{text}", self.settings.prefix)),
        }
    }

    fn outcome(&self, values: &[Option<Value>]) -> Outcome {
        let mut router = Router::new(values.len() as u32);
        for (i, value) in values.iter().enumerate() {
            let i = i as u32;
            match (self.route_for(value.as_ref()), &self.settings.default) {
                (Some(route), _) => router.route(i, &route),
                (None, Some(default)) => router.route(i, default),
                (None, None) => router.keep(i),
            }
        }
        router.finish()
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
        if settings.routes.is_some() && !settings.prefix.is_empty() {
            return Err(
                "invalid configuration at `prefix`: applies only without `routes` \
                        (route names come from `routes` when it is given)"
                    .into(),
            );
        }
        Ok(RouteByAttribute { settings })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        Ok(self.outcome(&self.values(batch)))
    }
}

weir_guest::export_plugin!(RouteByAttribute);

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(json: &str) -> RouteByAttribute {
        RouteByAttribute::init(Config::new(json)).unwrap()
    }

    fn s(text: &str) -> Option<Value> {
        Some(Value::from(text))
    }

    #[test]
    fn routes_map_values_and_default_takes_the_rest() {
        let p = plugin(
            r#"{"attribute": "tenant", "routes": {"acme": "tenant-acme", "globex": "g"},
                "default": "other"}"#,
        );
        let values = [s("globex"), s("acme"), None, s("initech"), s("acme")];
        assert_eq!(
            p.outcome(&values),
            Outcome::drop_all()
                .also_route("g", Some(vec![0]))
                .also_route("tenant-acme", Some(vec![1, 4]))
                .also_route("other", Some(vec![2, 3]))
        );
    }

    #[test]
    fn without_default_unmatched_records_stay_on_the_main_path() {
        let p = plugin(r#"{"attribute": "tenant", "routes": {"acme": "a"}, "default": null}"#);
        assert_eq!(
            p.outcome(&[s("acme"), s("x"), None]),
            Outcome::keep(vec![1, 2]).also_route("a", Some(vec![0]))
        );
        assert_eq!(p.outcome(&[None, None]), Outcome::keep_all());
    }

    #[test]
    fn prefix_names_routes_from_scalar_values() {
        let p = plugin(r#"{"attribute": "shard", "prefix": "shard-"}"#);
        let nested = Some(Value::Json(r#"{"arrayValue":{}}"#.into()));
        assert_eq!(
            p.outcome(&[Some(Value::Int(3)), Some(Value::Int(3)), nested]),
            Outcome::keep(vec![2]).also_route("shard-3", Some(vec![0, 1]))
        );
        assert_eq!(p.outcome(&[s("a"), s("a")]), Outcome::route_all("shard-a"));
    }

    #[test]
    fn record_values_win_over_resource_values() {
        let mut values = vec![s("record"), None, None];
        merge(&mut values, vec![s("resource"), s("resource"), None]);
        assert_eq!(values, vec![s("record"), s("resource"), None]);
    }

    #[test]
    fn bad_configs_name_the_field() {
        let err = |json: &str| RouteByAttribute::init(Config::new(json)).err().unwrap();
        assert!(err("{}").contains("missing field `attribute`"));
        assert!(err(r#"{"attribute": ""}"#).contains("`attribute`"));
        let e = err(r#"{"attribute": "t", "of": "span"}"#);
        assert!(e.contains("`of`") && e.contains("span"), "{e}");
        let e = err(r#"{"attribute": "t", "routes": {}, "prefix": "p-"}"#);
        assert!(e.contains("`prefix`"), "{e}");
        assert!(err(r#"{"attribute": "t", "rout": {}}"#).contains("unknown field `rout`"));
    }
}
