//! A tower layer that refuses requests without the right token before
//! the service behind it runs — so before a body is read, decompressed
//! or decoded. The layer sits under the OTLP/HTTP server (axum), which
//! says how a refusal is answered (401 with a `google.rpc.Status` body);
//! the OTLP/gRPC server checks a call's headers with
//! [`BearerTokens::check`] itself.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{Either, Ready, ready};

use super::BearerTokens;

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No token header.
    Missing,
    /// A token that is not one of the extension's.
    Wrong,
}

impl AuthFailure {
    /// The message for the sender (which never echoes the token).
    pub(crate) fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "authentication required: send the bearer token",
            AuthFailure::Wrong => "the bearer token is not valid",
        }
    }
}

/// The layer: checks with `tokens` (none: every request passes);
/// answers a refusal with `refuse`, given the failure and the request's
/// headers (to answer in the request's encoding).
pub(crate) struct RequireToken<F> {
    tokens: Option<Arc<BearerTokens>>,
    refuse: F,
}

impl<F: Clone> Clone for RequireToken<F> {
    fn clone(&self) -> Self {
        RequireToken {
            tokens: self.tokens.clone(),
            refuse: self.refuse.clone(),
        }
    }
}

impl<F> RequireToken<F> {
    pub(crate) fn new(tokens: Option<Arc<BearerTokens>>, refuse: F) -> Self {
        RequireToken { tokens, refuse }
    }
}

impl<S, F: Clone> tower::Layer<S> for RequireToken<F> {
    type Service = RequireTokenService<S, F>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireTokenService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service the layer wraps around the server's.
#[derive(Clone)]
pub(crate) struct RequireTokenService<S, F> {
    inner: S,
    layer: RequireToken<F>,
}

impl<S, F, B, R> tower::Service<http::Request<B>> for RequireTokenService<S, F>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    F: Fn(AuthFailure, &http::HeaderMap) -> http::Response<R>,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Either<Ready<Result<Self::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let checked = match &self.layer.tokens {
            Some(tokens) => tokens.check(request.headers()),
            None => Ok(()),
        };
        match checked {
            Ok(()) => Either::Right(self.inner.call(request)),
            Err(failure) => {
                let refusal = (self.layer.refuse)(failure, request.headers());
                Either::Left(ready(Ok(refusal)))
            }
        }
    }
}
