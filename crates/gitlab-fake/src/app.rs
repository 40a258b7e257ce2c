//! The shared server state handed to every handler, the request extractor that turns a
//! request into a caller and its parameters, and small response helpers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::faults::Faults;
use crate::params::Params;
use crate::store::Store;

/// Largest request body accepted (GitLab's own limit for API bodies is larger; tests need less).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The GitLab data.
    pub(crate) store: Mutex<Store>,
    /// Injected latency, failures, lost responses and rate limits.
    pub(crate) faults: Faults,
    /// Requests seen, by `METHOD /route/:template`.
    pub(crate) counters: Mutex<BTreeMap<String, u64>>,
    /// API requests being handled now, and the most there were at once since the counters
    /// were reset: how concurrently a client works, seen from the server.
    pub(crate) in_flight: AtomicU64,
    pub(crate) peak_in_flight: AtomicU64,
    /// Source of generated access tokens (seeded, so runs are repeatable).
    pub(crate) token_rng: Mutex<fastrand::Rng>,
}

/// One request being handled: counted in [`Shared::in_flight`] while it lives.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Cheap handle on the shared state (axum state type).
#[derive(Debug, Clone)]
pub(crate) struct App(pub(crate) Arc<Shared>);

impl App {
    /// Locks the store (a panicking handler must not wedge every later request).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.0.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one request against its route template.
    pub(crate) fn count(&self, route: &str) {
        let mut counters = self
            .0
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *counters.entry(route.to_owned()).or_insert(0) += 1;
    }

    /// Marks one API request as being handled until the returned guard is dropped.
    pub(crate) fn enter(&self) -> InFlight {
        let now = self.0.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self.0.clone())
    }

    /// A new random token with GitLab's personal access token prefix.
    pub(crate) fn generate_token(&self) -> String {
        let mut rng = self
            .0
            .token_rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let body: String = (0..20).map(|_| rng.alphanumeric()).collect();
        format!("glpat-{body}")
    }
}

/// One API request, authenticated, with its merged parameters.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    /// Who is calling.
    pub(crate) caller: Caller,
    /// Query and body parameters.
    pub(crate) params: Params,
    /// The request path as sent (still percent-encoded), for `Link` headers.
    pub(crate) path: String,
}

impl FromRequest<App> for ApiRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| ApiError::bad_request(Some("the request body could not be read")))?;
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let mut params = Params::parse(parts.uri.query(), content_type, &bytes)?;
        let caller = auth::authenticate(&app.store(), &parts.method, &parts.headers, &mut params)?;
        Ok(ApiRequest {
            caller,
            params,
            path: parts.uri.path().to_owned(),
        })
    }
}

/// A JSON answer with a status.
pub(crate) fn json(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// 200 with JSON.
pub(crate) fn ok(value: Value) -> Response {
    json(StatusCode::OK, value)
}

/// 201 with JSON.
pub(crate) fn created(value: Value) -> Response {
    json(StatusCode::CREATED, value)
}

/// Parses a numeric path segment (`issue_iid`, `milestone_id`...), as Grape would.
pub(crate) fn path_number(name: &str, raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>()
        .map_err(|_| ApiError::params(&[format!("{name} is invalid")]))
}

/// GitLab's timestamp format: ISO 8601, milliseconds, `Z`.
pub(crate) fn timestamp(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An optional timestamp as JSON (`null` when absent).
pub(crate) fn opt_timestamp(time: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    time.map(|time| Value::String(timestamp(time)))
        .unwrap_or(Value::Null)
}

/// An optional date as JSON `YYYY-MM-DD` or `null`.
pub(crate) fn opt_date(date: Option<chrono::NaiveDate>) -> Value {
    date.map(|date| Value::String(date.format("%Y-%m-%d").to_string()))
        .unwrap_or(Value::Null)
}
