//! `${env:NAME}` substitution in configuration text, as the OpenTelemetry
//! Collector does it: `${env:NAME}` is replaced by the variable's value,
//! `${env:NAME:-default}` falls back to `default` when it is unset or
//! empty, and `$$` is a literal `$`. An unset variable without a default is
//! an error that names it, rather than a silent empty string.
//!
//! Written by hand: it is a few dozen lines, and the Collector's exact
//! rules (not a shell's) are what users expect.

/// Substitutes `${env:…}` references in `text`, reading variables through
/// `lookup`.
pub(crate) fn substitute(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("{env:") {
            let end = tail
                .find('}')
                .ok_or_else(|| format!("unterminated `${{env:` reference near `{}`", clip(rest)))?;
            let reference = &tail[..end];
            let (name, default) = match reference.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (reference, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "invalid environment variable name `{name}` in `${{env:{reference}}}`"
                ));
            }
            match (lookup(name).filter(|v| !v.is_empty()), default) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    return Err(format!(
                        "environment variable `{name}` is not set (referenced as `${{env:{name}}}`; \
                         give a default with `${{env:{name}:-value}}`)"
                    ));
                }
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn clip(s: &str) -> &str {
    let end = s.char_indices().nth(30).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("4318".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_values_and_defaults() {
        assert_eq!(substitute("a: ${env:PORT}", env).unwrap(), "a: 4318");
        assert_eq!(substitute("${env:NOPE:-x y}", env).unwrap(), "x y");
        assert_eq!(substitute("${env:EMPTY:-d}", env).unwrap(), "d");
        assert_eq!(
            substitute("cost: $$5 and $HOME", env).unwrap(),
            "cost: $5 and $HOME"
        );
    }

    #[test]
    fn unset_variables_are_named() {
        let err = substitute("x: ${env:MISSING}", env).unwrap_err();
        assert!(err.contains("`MISSING` is not set"), "{err}");
        assert!(substitute("x: ${env:A B}", env).is_err());
        assert!(substitute("x: ${env:PORT", env).is_err());
    }
}
