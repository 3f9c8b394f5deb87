//! The tokens of one `bearertokenauth` extension, as a receiver checks
//! them and an exporter sends them. A token file is looked at again at
//! most once a second and re-read when its size or modification time
//! changed; a file that no longer reads (mid-rotation, emptied) keeps the
//! previous tokens, with a warning.
//!
//! Tokens are compared as SHA-256 digests with a comparison that does not
//! stop at the first difference, so the time taken says nothing about
//! how much of a guess was right (nor, hashing first, about its length).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

use super::BearerTokenAuth;
use super::layer::AuthFailure;

/// How often a token file is looked at.
const FILE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The tokens of one extension.
pub(crate) struct BearerTokens {
    settings: BearerTokenAuth,
    header: http::HeaderName,
    state: Mutex<State>,
}

struct State {
    digests: Arc<Vec<[u8; 32]>>,
    /// The first token, as an exporter sends it.
    first: Arc<String>,
    checked: Instant,
    file_stamp: Option<(u64, Option<SystemTime>)>,
}

/// Largest token file read: a few thousand tokens. The file is read
/// again whenever it changes, so a path pointing at something endless
/// (`/dev/zero`, a log) must not be read whole.
const MAX_TOKEN_FILE: u64 = 1 << 20;

/// The text of a token file of at most [`MAX_TOKEN_FILE`] bytes.
fn read_token_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read `{}`: {e}", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_TOKEN_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_TOKEN_FILE {
        return Err(format!(
            "`{}` is larger than {} KiB: not a token file",
            path.display(),
            MAX_TOKEN_FILE >> 10
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))
}

/// The tokens the settings give now, or `(field, message)`.
pub(super) fn read(settings: &BearerTokenAuth) -> Result<Vec<String>, (String, String)> {
    let tokens: Vec<String> = if let Some(token) = &settings.token {
        vec![token.clone()]
    } else if !settings.tokens.is_empty() {
        settings.tokens.clone()
    } else if let Some(path) = &settings.filename {
        let text = read_token_file(path).map_err(|message| ("filename".to_string(), message))?;
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    if tokens.is_empty() || tokens.iter().any(String::is_empty) {
        return Err(("token".into(), "a token may not be empty".into()));
    }
    if tokens.iter().any(|t| HeaderValue::from_str(t).is_err()) {
        return Err((
            "token".into(),
            "a token must be visible ASCII (it is sent in an HTTP header)".into(),
        ));
    }
    Ok(tokens)
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// Equal digests, compared without an early exit.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn file_stamp(settings: &BearerTokenAuth) -> Option<(u64, Option<SystemTime>)> {
    let meta = std::fs::metadata(settings.filename.as_ref()?).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

impl BearerTokens {
    /// Reads the tokens; the error names the setting at fault.
    pub(crate) fn new(settings: BearerTokenAuth) -> anyhow::Result<BearerTokens> {
        let tokens =
            read(&settings).map_err(|(field, message)| anyhow::anyhow!("{field}: {message}"))?;
        let header = http::HeaderName::from_bytes(settings.header_name().as_bytes())?;
        let file_stamp = file_stamp(&settings);
        Ok(BearerTokens {
            header,
            state: Mutex::new(State {
                digests: Arc::new(tokens.iter().map(|t| digest(t.as_bytes())).collect()),
                first: Arc::new(tokens[0].clone()),
                checked: Instant::now(),
                file_stamp,
            }),
            settings,
        })
    }

    /// The current digests and first token, re-reading a changed file.
    fn current(&self) -> (Arc<Vec<[u8; 32]>>, Arc<String>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.settings.filename.is_some() && state.checked.elapsed() >= FILE_CHECK_INTERVAL {
            state.checked = Instant::now();
            let stamp = file_stamp(&self.settings);
            if stamp != state.file_stamp {
                state.file_stamp = stamp;
                match read(&self.settings) {
                    Ok(tokens) => {
                        state.digests =
                            Arc::new(tokens.iter().map(|t| digest(t.as_bytes())).collect());
                        state.first = Arc::new(tokens[0].clone());
                        tracing::info!("bearertokenauth: token file changed: reloaded");
                    }
                    Err((_, message)) => tracing::warn!(
                        error = %message,
                        "bearertokenauth: token file changed but does not read: keeping the previous tokens"
                    ),
                }
            }
        }
        (state.digests.clone(), state.first.clone())
    }

    /// Whether `headers` carry one of the tokens.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
        let Some(value) = headers.get(&self.header) else {
            return Err(AuthFailure::Missing);
        };
        let value = value.as_bytes();
        let scheme = self.settings.scheme();
        let token = if scheme.is_empty() {
            value
        } else {
            // `Bearer <token>`; the scheme is case-insensitive (RFC 9110).
            let prefix = scheme.len() + 1;
            match value.get(..prefix) {
                Some(head)
                    if head[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
                        && head[scheme.len()] == b' ' =>
                {
                    &value[prefix..]
                }
                _ => return Err(AuthFailure::Wrong),
            }
        };
        let presented = digest(token);
        let (digests, _) = self.current();
        // Every token is compared, so which one matched (if any) does
        // not show in the time taken either.
        let matched = digests
            .iter()
            .fold(false, |found, known| same(known, &presented) | found);
        if matched {
            Ok(())
        } else {
            Err(AuthFailure::Wrong)
        }
    }

    /// The header an exporter sends: name and `<scheme> <token>`.
    pub(crate) fn client_header(&self) -> (http::HeaderName, HeaderValue) {
        let (_, first) = self.current();
        let scheme = self.settings.scheme();
        let text = if scheme.is_empty() {
            first.to_string()
        } else {
            format!("{scheme} {first}")
        };
        let mut value = HeaderValue::from_str(&text).expect("tokens are checked to be header-safe");
        value.set_sensitive(true);
        (self.header.clone(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn with_token(token: &str) -> BearerTokens {
        BearerTokens::new(BearerTokenAuth {
            token: Some(token.into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn the_right_token_passes_and_others_do_not() {
        let auth = with_token("s3cret");
        assert_eq!(auth.check(&headers("Bearer s3cret")), Ok(()));
        assert_eq!(auth.check(&headers("bearer s3cret")), Ok(()), "scheme case");
        assert_eq!(
            auth.check(&headers("Bearer s3cre")),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(
            auth.check(&headers("Bearer s3cret2")),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(auth.check(&headers("s3cret")), Err(AuthFailure::Wrong));
        assert_eq!(
            auth.check(&headers("Basic s3cret")),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(auth.check(&HeaderMap::new()), Err(AuthFailure::Missing));
    }

    #[test]
    fn any_of_several_tokens_passes_and_a_custom_header_and_scheme_are_used() {
        let auth = BearerTokens::new(BearerTokenAuth {
            tokens: vec!["old".into(), "new".into()],
            header: Some("X-Api-Key".into()),
            scheme: Some(String::new()),
            ..Default::default()
        })
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("new"));
        assert_eq!(auth.check(&headers), Ok(()));
        headers.insert("x-api-key", HeaderValue::from_static("old"));
        assert_eq!(auth.check(&headers), Ok(()));
        let (name, value) = auth.client_header();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-api-key", "old")
        );
        assert!(value.is_sensitive());
    }

    #[test]
    fn a_rotated_token_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let auth = BearerTokens::new(BearerTokenAuth {
            filename: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(auth.check(&headers("Bearer first")), Ok(()));
        std::fs::write(&path, "second-token\n").unwrap();
        // Looked at again after the check interval.
        std::thread::sleep(FILE_CHECK_INTERVAL + Duration::from_millis(50));
        assert_eq!(auth.check(&headers("Bearer second-token")), Ok(()));
        assert_eq!(
            auth.check(&headers("Bearer first")),
            Err(AuthFailure::Wrong)
        );
        // Emptied mid-rotation: the previous token stays.
        std::fs::write(&path, "").unwrap();
        std::thread::sleep(FILE_CHECK_INTERVAL + Duration::from_millis(50));
        assert_eq!(auth.check(&headers("Bearer second-token")), Ok(()));
    }

    #[test]
    fn a_token_file_that_never_ends_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; (MAX_TOKEN_FILE + 1) as usize]).unwrap();
        for path in [big.as_path(), std::path::Path::new("/dev/zero")] {
            let error = BearerTokens::new(BearerTokenAuth {
                filename: Some(path.to_path_buf()),
                ..Default::default()
            })
            .err()
            .unwrap_or_else(|| panic!("{} was taken as a token file", path.display()));
            assert!(
                format!("{error:?}").contains("not a token file"),
                "{error:?}"
            );
        }
    }

    #[test]
    fn settings_are_checked() {
        let field = |s: BearerTokenAuth| s.validate().unwrap_err().0;
        assert_eq!(field(BearerTokenAuth::default()), "token");
        assert_eq!(
            field(BearerTokenAuth {
                token: Some("a".into()),
                tokens: vec!["b".into()],
                ..Default::default()
            }),
            "token"
        );
        assert_eq!(
            field(BearerTokenAuth {
                filename: Some("/nonexistent/token".into()),
                ..Default::default()
            }),
            "filename"
        );
        assert_eq!(
            field(BearerTokenAuth {
                token: Some("new\nline".into()),
                ..Default::default()
            }),
            "token"
        );
    }
}
