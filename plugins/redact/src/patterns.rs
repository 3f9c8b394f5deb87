//! The text patterns `redact` masks, built from the configuration, and the
//! Luhn check that tells a card number from any other long number.
//!
//! Card numbers: the regex finds runs of digits separated by single spaces
//! or dashes; within a run, the longest window of whole digit groups with
//! 13-19 digits that passes the Luhn check is masked. So a card next to
//! other numbers (`qty 2 4111 1111 1111 1111`) is still found, while an
//! order id of the same length is not masked.

use regex_lite::{Captures, Regex};

/// A compiled pattern; `luhn` ones mask only digit runs passing the Luhn
/// check, so order ids and phone numbers are left alone.
struct Pattern {
    regex: Regex,
    luhn: bool,
}

pub(crate) struct Patterns {
    patterns: Vec<Pattern>,
}

impl Patterns {
    pub(crate) fn new(builtin: &[String], custom: &[String]) -> Result<Patterns, String> {
        let mut patterns = Vec::new();
        for name in builtin {
            let (source, luhn) = match name.as_str() {
                "email" => (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", false),
                "bearer" => (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+", false),
                "card" => (r"\b\d(?:[ -]?\d){12,}\b", true),
                other => {
                    return Err(format!(
                        "invalid configuration at `patterns`: unknown pattern `{other}` \
                         (known: email, bearer, card; use `custom` for your own regexes)"
                    ));
                }
            };
            let regex = Regex::new(source).expect("built-in patterns compile");
            patterns.push(Pattern { regex, luhn });
        }
        for source in custom {
            let regex = Regex::new(source).map_err(|e| {
                format!("invalid configuration at `custom`: bad regex `{source}`: {e}")
            })?;
            patterns.push(Pattern { regex, luhn: false });
        }
        Ok(Patterns { patterns })
    }

    /// `text` with every match replaced, or `None` if nothing matched.
    pub(crate) fn mask(&self, text: &str, replacement: &str) -> Option<String> {
        let mut current: Option<String> = None;
        for pattern in &self.patterns {
            let input = current.as_deref().unwrap_or(text);
            if !pattern.regex.is_match(input) {
                continue;
            }
            let mut changed = false;
            let out = pattern.regex.replace_all(input, |caps: &Captures| {
                let found = &caps[0];
                if !pattern.luhn {
                    changed = true;
                    return replacement.to_string();
                }
                match mask_cards(found, replacement) {
                    Some(masked) => {
                        changed = true;
                        masked
                    }
                    None => found.to_string(),
                }
            });
            if changed {
                current = Some(out.into_owned());
            }
        }
        current
    }
}

/// `run` (digit groups joined by single spaces or dashes) with each card
/// number in it masked, or `None` if it holds none. Each window is at most
/// 19 digits, so this is linear in the run's length.
fn mask_cards(run: &str, replacement: &str) -> Option<String> {
    // Byte ranges of the digit groups.
    let mut groups = Vec::new();
    let mut start = None;
    for (i, c) in run.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push((s, run.len()));
    }

    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < groups.len() {
        let mut digits = 0;
        let mut card = None;
        for (j, &(s, e)) in groups.iter().enumerate().skip(i) {
            digits += e - s;
            if digits > 19 {
                break;
            }
            if digits >= 13 && luhn_valid(&run[groups[i].0..e]) {
                card = Some(j);
            }
        }
        match card {
            Some(j) => {
                out.push_str(&run[copied..groups[i].0]);
                out.push_str(replacement);
                copied = groups[j].1;
                i = j + 1;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&run[copied..]);
    Some(out)
}

/// The Luhn checksum of the digits in `text` (other characters ignored).
pub(crate) fn luhn_valid(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Patterns {
        Patterns::new(
            &["email".into(), "bearer".into(), "card".into()],
            &[r"ssn-\d+".into()],
        )
        .unwrap()
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(luhn_valid("5500-0000-0000-0004"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
        assert!(!luhn_valid("1234"));
    }

    #[test]
    fn masks_each_kind_and_leaves_the_rest() {
        let p = all();
        let r = "[X]";
        assert_eq!(
            p.mask("mail jane@example.com now", r).unwrap(),
            "mail [X] now"
        );
        assert_eq!(
            p.mask("Authorization: Bearer abc.def-ghi", r).unwrap(),
            "Authorization: [X]"
        );
        assert_eq!(p.mask("card 4111-1111-1111-1111.", r).unwrap(), "card [X].");
        assert_eq!(p.mask("order 4111 1111 1111 1112", r), None);
        assert_eq!(p.mask("id ssn-123456", r).unwrap(), "id [X]");
        assert_eq!(p.mask("nothing here", r), None);
    }

    #[test]
    fn cards_are_found_beside_other_numbers() {
        let p = all();
        let r = "[X]";
        assert_eq!(
            p.mask("qty 99 88 4111 1111 1111 1111 ok", r).unwrap(),
            "qty 99 88 [X] ok"
        );
        assert_eq!(
            p.mask("4111111111111111 5500-0000-0000-0004 12", r)
                .unwrap(),
            "[X] [X] 12"
        );
        // 20 digits in one group: an id, not a card.
        assert_eq!(p.mask("id 41111111111111111111", r), None);
        // A Luhn-failing order number of card length.
        assert_eq!(p.mask("order 1234 5678 9012 3456", r), None);
    }

    #[test]
    fn unknown_pattern_and_bad_regex_are_named() {
        let err = Patterns::new(&["passport".into()], &[]).err().unwrap();
        assert!(err.contains("passport"), "{err}");
        let err = Patterns::new(&[], &["(".into()]).err().unwrap();
        assert!(err.contains("`(`"), "{err}");
    }
}
