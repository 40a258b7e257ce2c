//! Injected conditions: added latency, 5xx failures before a request is handled, lost
//! responses after a write is stored (502 or a closed connection), and GitLab's
//! per-token request throttle (429 `Retry later` with `RateLimit-*` headers), GitLab's
//! per-user application limits on creating issues and notes (429 with a JSON message), and
//! an instance without the GraphQL API.
//!
//! Every API request draws the same four numbers from its route's RNG, seeded with
//! `rng_seed` and the route (`POST /api/v4/projects/:id/issues`), so the n-th request to a
//! route meets the same fate in every run with the same seed and conditions, whatever the
//! rates are and however requests to other routes interleave with it. `/__fake/*` requests
//! draw nothing and are never faulted.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth;
use crate::server::Connection;

/// Conditions injected into API requests; all default to "none".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    /// Milliseconds added to every API request.
    pub latency_ms: u64,
    /// Probability (0..=1) of answering 500/502/503 before handling a request.
    pub fail_rate: f64,
    /// Probability (0..=1) of losing the answer to a successful write (502 or closed connection).
    pub drop_rate: f64,
    /// Requests allowed per token per window; 0 disables the throttle.
    pub rate_limit: u32,
    /// Length of the throttle window in seconds.
    pub rate_limit_window_secs: u64,
    /// Issues one user may create per minute (GitLab's admin setting `issues_create_limit`,
    /// "Max requests per minute per user" of the Issues Rate Limits); 0: no limit.
    pub issues_create_limit: u32,
    /// Notes one user may create per minute (GitLab's `notes_create_limit`); 0: no limit.
    pub notes_create_limit: u32,
    /// Answer `POST /api/graphql` with 404, as an instance (or a proxy before it) without
    /// GitLab's GraphQL API.
    pub graphql_disabled: bool,
    /// Answer GraphQL as GitLab's Free edition (the FOSS image) does: its `Issue` type has no
    /// `weight` (an EE field), so a query that selects one fails validation (200 with
    /// `errors`, nothing run).
    pub graphql_free_edition: bool,
}

impl Default for Conditions {
    fn default() -> Self {
        Conditions {
            latency_ms: 0,
            fail_rate: 0.0,
            drop_rate: 0.0,
            rate_limit: 0,
            rate_limit_window_secs: 60,
            issues_create_limit: 0,
            notes_create_limit: 0,
            graphql_disabled: false,
            graphql_free_edition: false,
        }
    }
}

impl Conditions {
    /// Checks the rates are probabilities and the window is not empty.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [("fail_rate", self.fail_rate), ("drop_rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!(
                    "{name} must be a probability between 0 and 1, got {rate}"
                ));
            }
        }
        if self.rate_limit_window_secs == 0 {
            return Err("rate_limit_window_secs must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// A partial update of [`Conditions`] (`PUT /__fake/conditions`), optionally reseeding the RNG.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ConditionsPatch {
    latency_ms: Option<u64>,
    fail_rate: Option<f64>,
    drop_rate: Option<f64>,
    rate_limit: Option<u32>,
    rate_limit_window_secs: Option<u64>,
    issues_create_limit: Option<u32>,
    notes_create_limit: Option<u32>,
    graphql_disabled: Option<bool>,
    graphql_free_edition: Option<bool>,
    rng_seed: Option<u64>,
}

/// One injected fault, for checking that a seed replays the same sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultEvent {
    /// Position of the request among API requests since start (or the last reseed).
    pub seq: u64,
    /// `METHOD /route/:template` of the request.
    pub route: String,
    /// `fail 500`, `fail 502`, `fail 503`, `drop 502`, `drop close` or `rate_limited`.
    pub fault: String,
}

/// How a lost response is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropKind {
    /// Answer 502 although the write was stored.
    BadGateway,
    /// Close the connection without answering.
    Close,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    seq: u64,
    fail: Option<StatusCode>,
    drop: Option<DropKind>,
}

#[derive(Debug)]
struct Dice {
    seed: u64,
    /// One RNG per route template, made on first use.
    routes: HashMap<String, fastrand::Rng>,
    /// Requests decided so far, over all routes, for the fault log.
    seq: u64,
}

impl Dice {
    fn new(seed: u64) -> Self {
        Dice {
            seed,
            routes: HashMap::new(),
            seq: 0,
        }
    }

    /// The RNG of `route`: seeded from the run's seed and the route's name (FNV-1a), so
    /// that it does not depend on the process's hasher.
    fn for_route(&mut self, route: &str) -> &mut fastrand::Rng {
        let seed = self.seed;
        self.routes.entry(route.to_owned()).or_insert_with(|| {
            let hash = route.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
            fastrand::Rng::with_seed(seed ^ hash)
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: u64,
    count: u32,
}

/// The throttle's verdict for one request.
#[derive(Debug, Clone)]
pub(crate) struct RateVerdict {
    limit: u32,
    name: &'static str,
    observed: u32,
    reset: u64,
    retry_after: u64,
}

impl RateVerdict {
    fn throttled(&self) -> bool {
        self.observed > self.limit
    }

    fn apply(&self, headers: &mut HeaderMap, with_retry_after: bool) {
        let reset_time = chrono::DateTime::from_timestamp(self.reset as i64, 0)
            .map(|time| time.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            .unwrap_or_default();
        let remaining = self.limit.saturating_sub(self.observed);
        let pairs = [
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-name", self.name.to_owned()),
            ("ratelimit-observed", self.observed.to_string()),
            ("ratelimit-remaining", remaining.to_string()),
            ("ratelimit-reset", self.reset.to_string()),
            ("ratelimit-resettime", reset_time),
        ];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if with_retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(self.retry_after));
        }
    }
}

/// The fault injector's state.
#[derive(Debug)]
pub(crate) struct Faults {
    conditions: Mutex<Conditions>,
    dice: Mutex<Dice>,
    windows: Mutex<HashMap<String, Window>>,
    log: Mutex<Vec<FaultEvent>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Faults {
    pub(crate) fn new(conditions: Conditions, rng_seed: u64) -> Self {
        Faults {
            conditions: Mutex::new(conditions),
            dice: Mutex::new(Dice::new(rng_seed)),
            windows: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
        }
    }

    /// The conditions in force.
    pub(crate) fn conditions(&self) -> Conditions {
        lock(&self.conditions).clone()
    }

    /// Replaces the conditions (after validation).
    pub(crate) fn set_conditions(&self, conditions: Conditions) -> Result<(), String> {
        conditions.validate()?;
        *lock(&self.conditions) = conditions;
        lock(&self.windows).clear();
        Ok(())
    }

    /// Applies a partial update; a new `rng_seed` restarts the fault sequence.
    pub(crate) fn patch(&self, patch: ConditionsPatch) -> Result<Conditions, String> {
        let mut next = self.conditions();
        if let Some(value) = patch.latency_ms {
            next.latency_ms = value;
        }
        if let Some(value) = patch.fail_rate {
            next.fail_rate = value;
        }
        if let Some(value) = patch.drop_rate {
            next.drop_rate = value;
        }
        if let Some(value) = patch.rate_limit {
            next.rate_limit = value;
        }
        if let Some(value) = patch.rate_limit_window_secs {
            next.rate_limit_window_secs = value;
        }
        if let Some(value) = patch.issues_create_limit {
            next.issues_create_limit = value;
        }
        if let Some(value) = patch.notes_create_limit {
            next.notes_create_limit = value;
        }
        if let Some(value) = patch.graphql_disabled {
            next.graphql_disabled = value;
        }
        if let Some(value) = patch.graphql_free_edition {
            next.graphql_free_edition = value;
        }
        self.set_conditions(next.clone())?;
        if let Some(seed) = patch.rng_seed {
            self.reseed(seed);
        }
        Ok(next)
    }

    /// Restarts the fault sequence from a seed and forgets the fault log.
    pub(crate) fn reseed(&self, seed: u64) {
        *lock(&self.dice) = Dice::new(seed);
        lock(&self.log).clear();
    }

    /// The faults injected so far.
    pub(crate) fn log(&self) -> Vec<FaultEvent> {
        lock(&self.log).clone()
    }

    fn record(&self, seq: u64, route: &str, fault: &str) {
        lock(&self.log).push(FaultEvent {
            seq,
            route: route.to_owned(),
            fault: fault.to_owned(),
        });
    }

    /// Draws this request's fate from its route's RNG: always four draws, so sequences do
    /// not depend on rates.
    fn decide(&self, route: &str) -> Decision {
        let conditions = self.conditions();
        let mut dice = lock(&self.dice);
        dice.seq += 1;
        let seq = dice.seq;
        let rng = dice.for_route(route);
        let fail_roll = rng.f64();
        let fail_kind = rng.usize(0..3);
        let drop_roll = rng.f64();
        let drop_close = rng.bool();
        let fail = (fail_roll < conditions.fail_rate).then(|| {
            [
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::BAD_GATEWAY,
                StatusCode::SERVICE_UNAVAILABLE,
            ][fail_kind]
        });
        let drop = (drop_roll < conditions.drop_rate).then_some(if drop_close {
            DropKind::Close
        } else {
            DropKind::BadGateway
        });
        Decision { seq, fail, drop }
    }

    /// Counts a request against its key's fixed window (as Rack::Attack does).
    fn rate(&self, key: &str, name: &'static str) -> Option<RateVerdict> {
        let conditions = self.conditions();
        if conditions.rate_limit == 0 {
            return None;
        }
        let window = conditions.rate_limit_window_secs.max(1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let start = now - now % window;
        let mut windows = lock(&self.windows);
        let entry = windows
            .entry(key.to_owned())
            .or_insert(Window { start, count: 0 });
        if entry.start != start {
            *entry = Window { start, count: 0 };
        }
        entry.count = entry.count.saturating_add(1);
        let reset = start + window;
        Some(RateVerdict {
            limit: conditions.rate_limit,
            name,
            observed: entry.count,
            reset,
            retry_after: (reset - now).max(1),
        })
    }
}

/// One of GitLab's application rate limits (`Gitlab::ApplicationRateLimiter`) the fake
/// models: counted per user in fixed one-minute windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplicationLimit {
    /// `issues_create`: `POST /projects/:id/issues`.
    IssuesCreate,
    /// `notes_create`: `POST /projects/:id/issues/:issue_iid/notes`.
    NotesCreate,
}

impl ApplicationLimit {
    /// The limiter's interval: one minute for both.
    const INTERVAL_SECS: i64 = 60;

    fn key(self) -> &'static str {
        match self {
            ApplicationLimit::IssuesCreate => "issues_create",
            ApplicationLimit::NotesCreate => "notes_create",
        }
    }
}

impl Faults {
    /// Counts one request of user `user_id` against `limit` and refuses it (429) once the
    /// window's count passes the threshold, as `ApplicationRateLimiter.throttled?` does: the
    /// window is `now` (the fake's clock, so tests can step into the next minute) divided by
    /// the interval, and the request that makes the count exceed the threshold is the first
    /// refused (with 300, the 301st). Refused requests count too, as GitLab increments first.
    pub(crate) fn application_limit(
        &self,
        limit: ApplicationLimit,
        user_id: u64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::error::ApiError> {
        let conditions = self.conditions();
        let threshold = match limit {
            ApplicationLimit::IssuesCreate => conditions.issues_create_limit,
            ApplicationLimit::NotesCreate => conditions.notes_create_limit,
        };
        if threshold == 0 {
            return Ok(());
        }
        let period = now.timestamp().div_euclid(ApplicationLimit::INTERVAL_SECS);
        let start = u64::try_from(period).unwrap_or_default();
        let mut windows = lock(&self.windows);
        let entry = windows
            .entry(format!("application:{}:user:{user_id}", limit.key()))
            .or_insert(Window { start, count: 0 });
        if entry.start != start {
            *entry = Window { start, count: 0 };
        }
        entry.count = entry.count.saturating_add(1);
        if entry.count > threshold {
            Err(crate::error::ApiError::application_rate_limited())
        } else {
            Ok(())
        }
    }
}

/// GitLab's GraphQL endpoint (queries only in the fake).
const GRAPHQL_ROUTE: &str = "/api/graphql";

/// Turns a matched route (`/api/v4/projects/{id}/issues`) into `/api/v4/projects/:id/issues`.
pub(crate) fn route_template(matched: &str) -> String {
    let mut out = String::with_capacity(matched.len());
    let mut chars = matched.chars();
    while let Some(c) = chars.next() {
        if c == '{' {
            out.push(':');
            for inner in chars.by_ref() {
                if inner == '}' {
                    break;
                }
                out.push(inner);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn failure(status: StatusCode) -> Response {
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return (
            status,
            axum::Json(serde_json::json!({ "message": "500 Internal Server Error" })),
        )
            .into_response();
    }
    let title = if status == StatusCode::BAD_GATEWAY {
        "502 Bad Gateway"
    } else {
        "503 Service Temporarily Unavailable"
    };
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("text/html"))],
        page,
    )
        .into_response()
}

/// Middleware around every route: counts requests and injects the configured conditions.
pub(crate) async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/__fake") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| route_template(matched.as_str()))
        .unwrap_or_else(|| "(no route)".to_owned());
    let route = format!("{method} {template}");
    app.count(&route);
    let _in_flight = app.enter();

    let faults = &app.0.faults;
    let decision = faults.decide(&route);
    let latency = faults.conditions().latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(status) = decision.fail {
        faults.record(decision.seq, &route, &format!("fail {}", status.as_u16()));
        return failure(status);
    }

    let connection = request.extensions().get::<Connection>().cloned();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .and_then(|query| serde_urlencoded::from_str(query).ok())
        .unwrap_or_default();
    let (key, name) = {
        let store = app.store();
        match auth::presented_token(request.headers(), &query) {
            Some((kind, token)) if auth::token_is_known(&store, kind, &token) => {
                // Keyed by a hash so that no token sits in the limiter's (Debug-able) state.
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&token, &mut hasher);
                let digest = std::hash::Hasher::finish(&hasher);
                (format!("token:{digest:016x}"), "throttle_authenticated_api")
            }
            _ => {
                let peer = connection
                    .as_ref()
                    .map(|connection| connection.peer.ip().to_string())
                    .unwrap_or_default();
                (format!("ip:{peer}"), "throttle_unauthenticated_api")
            }
        }
    };
    let verdict = faults.rate(&key, name);
    if let Some(verdict) = &verdict
        && verdict.throttled()
    {
        faults.record(decision.seq, &route, "rate_limited");
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
            "Retry later\n",
        )
            .into_response();
        verdict.apply(response.headers_mut(), true);
        return response;
    }

    // A GraphQL query is sent as a POST but stores nothing: there is no write to lose.
    let is_write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        && template != GRAPHQL_ROUTE;
    let mut response = next.run(request).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        // Only an application limit answers 429 from a handler.
        faults.record(decision.seq, &route, "application_rate_limited");
    }
    if is_write
        && response.status().is_success()
        && let Some(kind) = decision.drop
    {
        match (kind, connection) {
            (DropKind::Close, Some(connection)) => {
                faults.record(decision.seq, &route, "drop close");
                connection.close();
                // The connection task drops this future together with the socket.
                return std::future::pending::<Response>().await;
            }
            _ => {
                faults.record(decision.seq, &route, "drop 502");
                return failure(StatusCode::BAD_GATEWAY);
            }
        }
    }
    if let Some(verdict) = verdict {
        verdict.apply(response.headers_mut(), false);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_use_colon_parameters() {
        assert_eq!(
            route_template("/api/v4/projects/{id}/issues/{issue_iid}"),
            "/api/v4/projects/:id/issues/:issue_iid"
        );
    }

    #[test]
    fn same_seed_same_fates() {
        let conditions = Conditions {
            fail_rate: 0.3,
            drop_rate: 0.3,
            ..Conditions::default()
        };
        let fates = |seed| {
            let faults = Faults::new(conditions.clone(), seed);
            (0..50)
                .map(|_| {
                    let decision = faults.decide("POST /api/v4/projects/:id/issues");
                    (decision.fail, decision.drop)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(fates(7), fates(7));
        assert_ne!(fates(7), fates(8));
    }

    #[test]
    fn a_routes_fates_do_not_depend_on_other_routes() {
        let conditions = Conditions {
            fail_rate: 0.3,
            drop_rate: 0.3,
            ..Conditions::default()
        };
        let posts = |reads_between: usize| {
            let faults = Faults::new(conditions.clone(), 7);
            (0..20)
                .map(|_| {
                    for _ in 0..reads_between {
                        faults.decide("GET /api/v4/projects/:id/issues");
                    }
                    let decision = faults.decide("POST /api/v4/projects/:id/issues");
                    (decision.fail, decision.drop)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(posts(0), posts(3));
    }

    #[test]
    fn rates_outside_zero_one_are_refused() {
        let conditions = Conditions {
            fail_rate: 1.5,
            ..Conditions::default()
        };
        assert!(conditions.validate().unwrap_err().contains("fail_rate"));
    }
}
