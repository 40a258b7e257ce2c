//! The request layer: every call to GitLab, the `gitlab` crate's endpoints and ours alike,
//! goes through [`Transport`], which owns timeouts, retries, rate-limit pacing and the bound
//! on requests in flight.
//!
//! It sees HTTP methods, statuses and headers, never what a request is for: no endpoint or
//! domain logic here. It must never log request headers or put them in an error (they carry
//! the token), and never resend a write whose answer was lost (it may have been stored);
//! a DELETE is no such write, HTTP makes it idempotent.
//!
//! The policy: a 429 waits as `Retry-After` (or `RateLimit-Reset`) says, then retries
//! whatever the method, since GitLab did nothing; such waits have their own bound and do not
//! spend the failure retries. A failure to connect retries whatever the
//! method, since nothing was sent. A 5xx, a lost connection or a timeout retries reads (and
//! GraphQL queries, POSTs that change nothing, and DELETEs) with jittered exponential backoff
//! and turns another write into [`TransportError::Uncertain`]. Retries
//! are bounded per request and per adapter; past either bound the request is unavailable.
//! No wait may pass the run's deadline ([`ConnectOptions::deadline`]): a wait that would
//! fails the request at once, saying why. A redirect is never followed (see
//! [`crate::client`]) but reported, and a listing reads at most [`ConnectOptions::max_pages`]
//! pages ([`Transport::listing`]).

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use gitlab::api::{self, ApiError};
use http::request::Builder as RequestBuilder;
use http::{HeaderMap, Method, Response, StatusCode};
use rand::Rng;
use tokio::sync::Semaphore;
use url::Url;

use crate::client::{ApiClient, MAX_ANSWER_BYTES, SendError, shown_url};

/// How many times one request waits for GitLab's rate limit before it is given up.
const MAX_RATE_LIMIT_WAITS: u32 = 10;

/// Requests in flight at once unless configured otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Issue (and note) creations per minute unless configured otherwise: the value GitLab
/// instances commonly set for their per-user `issues_create` and `notes_create` limits.
pub const DEFAULT_WRITES_PER_MINUTE: u32 = 300;

/// The span a write budget counts over: a minute and a second, so that the budget holds
/// in every minute GitLab counts, even when requests arrive a little later than they left.
const WRITE_WINDOW: Duration = Duration::from_secs(61);

/// How the adapter talks to GitLab: timeouts, retries, pacing and concurrency.
///
/// The defaults suit a scheduled CI job against gitlab.com; [`ConnectOptions::for_tests`]
/// shortens every wait for tests against a local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// How long one request may take, answer included, before it counts as failed.
    pub request_timeout: Duration,
    /// Attempts per request, the first one included.
    pub max_attempts: u32,
    /// Retries the adapter may spend in total over its life, so a failing GitLab ends a run.
    pub retry_budget: u32,
    /// Backoff before the first retry of a failed read; it doubles with each retry.
    pub backoff_base: Duration,
    /// The longest backoff between two attempts.
    pub backoff_max: Duration,
    /// The longest wait GitLab's rate limit may ask for (`Retry-After`, `RateLimit-Reset`);
    /// beyond it the call fails as unavailable rather than stall the run.
    pub max_rate_limit_wait: Duration,
    /// Start spreading requests out once fewer than this share (in percent) of the rate
    /// limit's requests remain.
    pub pacing_threshold_percent: u8,
    /// Requests in flight at once: independent reads and writes of a run go out together up
    /// to this bound, which holds for the whole adapter (one GitLab instance).
    pub max_in_flight: usize,
    /// Issue creations and note creations each allowed per minute, the budget the writer
    /// paces itself to so that GitLab's per-user limits on them (`issues_create`,
    /// `notes_create`, 300 a minute where an admin set them) never answer 429. `None`: not
    /// paced.
    pub writes_per_minute: Option<u32>,
    /// The most pages one listing reads (of 100 entries each); a listing still announcing a
    /// next page then fails rather than run forever or be used cut short.
    pub max_pages: u32,
    /// When the run must be over: no request starts, and no wait (rate limit, pacing,
    /// backoff) is begun, that would end past it. `None`: no deadline.
    pub deadline: Option<Instant>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_attempts: 4,
            retry_budget: 30,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(120),
            pacing_threshold_percent: 10,
            max_in_flight: DEFAULT_CONCURRENCY,
            writes_per_minute: Some(DEFAULT_WRITES_PER_MINUTE),
            max_pages: 200,
            deadline: None,
        }
    }
}

impl ConnectOptions {
    /// Short timeouts and millisecond backoff, for tests against a local (fake) GitLab.
    pub fn for_tests() -> Self {
        Self {
            request_timeout: Duration::from_secs(5),
            backoff_base: Duration::from_millis(1),
            backoff_max: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(5),
            ..Self::default()
        }
    }
}

/// Why the request layer gave up on a request, or what GitLab answered that retrying cannot
/// change. Holds no header and no token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// GitLab could not be reached or kept failing; nothing was changed.
    #[error("{method} {path}: {cause}")]
    Unavailable {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
        /// What went wrong the last time.
        cause: String,
    },
    /// A write was sent but its answer was lost: it may have been stored.
    #[error("{method} {path}: {cause}")]
    Uncertain {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
        /// What went wrong.
        cause: String,
    },
    /// GitLab answered a redirect, which is never followed: the token would go along.
    #[error(
        "{method} {path}: GitLab answered a redirect to {to}: use {use_instead} as the GitLab \
         URL; teamcadence follows no redirect, so that the token never goes to an address that \
         was not configured"
    )]
    Redirect {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
        /// Where the redirect points (origin and path, no query).
        to: String,
        /// The GitLab URL the redirect suggests.
        use_instead: String,
    },
    /// The answer was larger than any GitLab answer should be.
    #[error(
        "{method} {path}: the answer is larger than {} MiB, more than any GitLab answer; it was \
         not read",
        MAX_ANSWER_BYTES / 1024 / 1024
    )]
    TooLarge {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
    },
    /// A listing kept announcing a next page past [`ConnectOptions::max_pages`].
    #[error(
        "GET {path}: stopped after {pages} pages of 100: GitLab keeps announcing another page; \
         a partial list is not used, since acting on it could duplicate issues"
    )]
    TooManyPages {
        /// The listing's path, without its query.
        path: String,
        /// How many pages were read.
        pages: u32,
    },
    /// GitLab answered with a client error (4xx other than 429).
    #[error("{method} {path}: GitLab answered {status}")]
    Status {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
        /// The status.
        status: StatusCode,
        /// The answer's body, for GitLab's message.
        body: Bytes,
    },
    /// The request could not be sent as it is (a header it cannot carry, another origin).
    #[error("{method} {path}: {cause}")]
    Refused {
        /// The request's method.
        method: Method,
        /// The request's path, without its query.
        path: String,
        /// Why it was not sent.
        cause: String,
    },
}

/// The rate-limit state GitLab last reported (`RateLimit-*` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateState {
    /// Requests allowed per window.
    pub(crate) limit: u64,
    /// Requests left in the window.
    pub(crate) remaining: u64,
    /// When the window resets, in unix seconds.
    pub(crate) reset_unix: i64,
}

impl RateState {
    /// Reads the `RateLimit-Limit`, `-Remaining` and `-Reset` headers, when all are there.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Some(Self {
            limit: header_number(headers, "ratelimit-limit")?,
            remaining: header_number(headers, "ratelimit-remaining")?,
            reset_unix: header_number(headers, "ratelimit-reset")?,
        })
    }
}

/// A header's value parsed as a number.
fn header_number<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// How long to wait before the next request, given the last rate-limit state.
///
/// Nothing while plenty of the window is left; once `remaining` falls to `threshold_percent`
/// of `limit` or below, spread the remaining requests over what is left of the window; with
/// none left, wait for the reset. Never more than `cap`.
pub(crate) fn pacing_delay(
    rate: &RateState,
    now_unix: i64,
    threshold_percent: u8,
    cap: Duration,
) -> Option<Duration> {
    if rate.limit == 0 || rate.reset_unix <= now_unix {
        return None;
    }
    let low =
        u128::from(rate.remaining) * 100 <= u128::from(rate.limit) * u128::from(threshold_percent);
    if !low {
        return None;
    }
    let until_reset = Duration::from_secs(u64::try_from(rate.reset_unix - now_unix).ok()?);
    let wait = if rate.remaining == 0 {
        until_reset
    } else {
        until_reset / u32::try_from(rate.remaining + 1).unwrap_or(u32::MAX)
    };
    Some(wait.min(cap))
}

/// How long a 429 answer asks to wait: `Retry-After` (seconds or an HTTP date), else until
/// `RateLimit-Reset` (unix seconds). `None` when neither says.
pub(crate) fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(date.timestamp()).ok()?);
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    let reset: u64 = header_number(headers, "ratelimit-reset")?;
    Some(
        (UNIX_EPOCH + Duration::from_secs(reset))
            .duration_since(now)
            .unwrap_or_default(),
    )
}

/// The longest backoff before retry number `retry` (1 for the first): `base * 2^(retry-1)`,
/// at most `max`.
pub(crate) fn backoff_ceiling(retry: u32, base: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
    base.saturating_mul(factor).min(max)
}

/// A backoff drawn uniformly from `[ceiling / 2, ceiling]`: the jitter keeps concurrent
/// clients from retrying in lockstep, the floor keeps the backoff growing.
pub(crate) fn jittered(ceiling: Duration, rng: &mut impl Rng) -> Duration {
    let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.random_range(ceiling_nanos / 2..=ceiling_nanos))
}

/// Whether a request may be sent again after it reached GitLab without a usable answer: a
/// read, or a DELETE, which HTTP makes idempotent (teamcadence deletes only run-lock labels,
/// by id; a second try that finds the label gone answers 404, which counts as done). A lost
/// answer to deleting a lock would otherwise leave the lock until it lapses.
fn is_resendable(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
    )
}

/// Which per-user write limit of GitLab a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// Creating an issue (`issues_create`).
    Issue = 0,
    /// Creating a comment (`notes_create`).
    Note = 1,
}

impl WriteKind {
    fn noun(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::Note => "comment",
        }
    }
}

/// Keeps one kind of write within its budget: at most `budget` of them leave in any
/// [`WRITE_WINDOW`]. Up to the whole budget may leave at once, as GitLab's windows allow;
/// past it, each write waits until the one `budget` places before it is a window old.
#[derive(Debug)]
pub(crate) struct WriteBudget {
    budget: usize,
    /// When the last `budget` writes left (or will leave), oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl WriteBudget {
    pub(crate) fn new(budget: u32) -> Self {
        let budget = usize::try_from(budget).unwrap_or(usize::MAX).max(1);
        Self {
            budget,
            sent: Mutex::new(VecDeque::with_capacity(budget.min(10_000))),
        }
    }

    /// Takes the next place at or after `now`: the instant the write may leave. Places are
    /// handed out in order, so concurrent writers never share one.
    pub(crate) fn reserve(&self, now: Instant) -> Instant {
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = if sent.len() < self.budget {
            sent.back().map_or(now, |&last| last.max(now))
        } else {
            let oldest = sent.pop_front().unwrap_or(now);
            now.max(oldest + WRITE_WINDOW)
        };
        sent.push_back(slot);
        slot
    }
}

/// What one attempt came to.
enum Outcome {
    /// An answer to hand back as it is.
    Answer(Response<Bytes>),
    /// An error to hand back as it is.
    Fail(ApiError<TransportError>),
    /// Rate limited: wait this long (or back off when GitLab did not say), then try again.
    RateLimited(Option<Duration>, String),
    /// Failed before the request left: safe to retry whatever the method.
    NotSent(String),
    /// Failed after the request may have reached GitLab (5xx, lost connection, timeout).
    Lost(String),
}

/// What a request is, kept to send it again on each attempt.
struct RequestParts {
    method: Method,
    url: Url,
    headers: HeaderMap,
    /// Whether it changes nothing, so may be sent again after its answer was lost: a read,
    /// or a GraphQL query (a POST that only reads).
    resendable: bool,
}

impl RequestParts {
    /// The parts of a builder, or `None` when the builder holds an error or an address
    /// that is not a URL.
    fn of(builder: &RequestBuilder) -> Option<Self> {
        let method = builder.method_ref()?.clone();
        Some(Self {
            resendable: is_resendable(&method),
            method,
            url: Url::parse(&builder.uri_ref()?.to_string()).ok()?,
            headers: builder.headers_ref()?.clone(),
        })
    }

    /// The request's path, without its query (which may hold anything).
    fn path(&self) -> &str {
        self.url.path()
    }
}

/// Our API client wrapped in timeouts, retries, pacing, the concurrency bound and the run's
/// deadline. Every request of the adapter goes through it.
pub(crate) struct Transport {
    client: ApiClient,
    options: ConnectOptions,
    in_flight: Semaphore,
    retries_left: AtomicU32,
    rate: Mutex<Option<RateState>>,
    /// The write budgets, by [`WriteKind`]; `None` when writes are not paced.
    writes: Option<[WriteBudget; 2]>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("client", &self.client)
            .field("options", &self.options)
            .field("retries_left", &self.retries_left)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Wraps a client.
    pub(crate) fn new(client: ApiClient, options: ConnectOptions) -> Self {
        Self {
            in_flight: Semaphore::new(options.max_in_flight.max(1)),
            retries_left: AtomicU32::new(options.retry_budget),
            rate: Mutex::new(None),
            writes: options
                .writes_per_minute
                .filter(|&budget| budget > 0)
                .map(|budget| [WriteBudget::new(budget), WriteBudget::new(budget)]),
            client,
            options,
        }
    }

    /// The client for one listing: it fails the listing once it has read
    /// [`ConnectOptions::max_pages`] pages and GitLab still announces another.
    pub(crate) fn listing(&self) -> Scoped<'_> {
        Scoped {
            transport: self,
            pages: Some(AtomicU32::new(0)),
            write: None,
        }
    }

    /// The client for writes of `kind`: each attempt waits for a place in that kind's
    /// budget ([`ConnectOptions::writes_per_minute`]) before it leaves.
    pub(crate) fn paced(&self, kind: WriteKind) -> Scoped<'_> {
        Scoped {
            transport: self,
            pages: None,
            write: Some(kind),
        }
    }

    /// Sends a request built by the `gitlab` crate, counted against `write`'s budget.
    async fn send_built(
        &self,
        request: RequestBuilder,
        body: Vec<u8>,
        write: Option<WriteKind>,
    ) -> Result<Response<Bytes>, ApiError<TransportError>> {
        match RequestParts::of(&request) {
            Some(parts) => self.send(parts, body, write).await,
            None => Err(ApiError::client(TransportError::Refused {
                method: request.method_ref().cloned().unwrap_or_default(),
                path: request
                    .uri_ref()
                    .map(|uri| uri.path().to_owned())
                    .unwrap_or_default(),
                cause: "the request could not be built".to_owned(),
            })),
        }
    }

    /// Waits for a place in `kind`'s write budget; fails at once when that wait would pass
    /// the run's deadline.
    async fn wait_for_write(&self, kind: WriteKind) -> Result<(), String> {
        let Some(budget) = self.writes.as_ref() else {
            return Ok(());
        };
        let budget = &budget[kind as usize];
        let now = Instant::now();
        let slot = budget.reserve(now);
        let wait = slot.saturating_duration_since(now);
        if wait.is_zero() {
            return Ok(());
        }
        self.may_wait(wait).map_err(|deadline| {
            format!(
                "keeping to {} {} creations a minute (`gitlab.writes_per_minute`) asks to wait \
                 {} s, but {deadline}",
                budget.budget,
                kind.noun(),
                wait.as_secs_f32().ceil()
            )
        })?;
        tracing::debug!(
            kind = kind.noun(),
            wait_ms = wait.as_millis() as u64,
            "pacing writes to the write budget"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// `GET` of an API path (after `/api/v4/`), through the whole policy.
    pub(crate) async fn get(
        &self,
        endpoint: &str,
    ) -> Result<Response<Bytes>, ApiError<TransportError>> {
        let url = api::RestClient::rest_endpoint(self, endpoint)?;
        let parts = RequestParts {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            resendable: true,
        };
        self.send(parts, Vec::new(), None).await
    }

    /// `POST /api/graphql` with a JSON `query` document, through the whole policy. Only for
    /// queries: a query changes nothing, so a lost answer is retried as a read's is (a
    /// mutation sent here could be applied twice).
    pub(crate) async fn graphql_query(
        &self,
        document: Vec<u8>,
    ) -> Result<Response<Bytes>, ApiError<TransportError>> {
        let url = self.client.instance_url().join("api/graphql")?;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        let parts = RequestParts {
            method: Method::POST,
            url,
            headers,
            resendable: true,
        };
        self.send(parts, document, None).await
    }

    /// Takes one retry from the adapter's budget; `false` once it is spent.
    fn take_retry(&self) -> bool {
        self.retries_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    /// How long until the run's deadline, if it has one.
    fn time_left(&self) -> Option<Duration> {
        self.options
            .deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Whether waiting `wait` stays within the run's deadline; else why not.
    fn may_wait(&self, wait: Duration) -> Result<(), String> {
        match self.time_left() {
            Some(left) if wait > left => Err(format!(
                "the run's deadline (--timeout) is in {} s",
                left.as_secs()
            )),
            _ => Ok(()),
        }
    }

    /// Waits as the last rate-limit state asks, if it is running low; fails at once when
    /// that wait would pass the run's deadline.
    async fn pace(&self) -> Result<(), String> {
        let rate = *self
            .rate
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(rate) = rate else { return Ok(()) };
        let delay = pacing_delay(
            &rate,
            unix_now(),
            self.options.pacing_threshold_percent,
            self.options.max_rate_limit_wait,
        );
        if let Some(delay) = delay.filter(|delay| !delay.is_zero()) {
            self.may_wait(delay).map_err(|deadline| {
                format!(
                    "GitLab's rate limit is running low ({} of {} requests left until it \
                     resets); pacing asks to wait {} s, but {deadline}",
                    rate.remaining,
                    rate.limit,
                    delay.as_secs_f32().ceil()
                )
            })?;
            tracing::debug!(
                remaining = rate.remaining,
                limit = rate.limit,
                delay_ms = delay.as_millis() as u64,
                "GitLab rate limit running low: pacing requests"
            );
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }

    /// Remembers the rate-limit state an answer reports.
    fn note_rate(&self, headers: &HeaderMap) {
        if let Some(rate) = RateState::from_headers(headers) {
            *self
                .rate
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(rate);
        }
    }

    /// The error for a request given up on, with what went wrong.
    fn unavailable(parts: &RequestParts, cause: String) -> ApiError<TransportError> {
        ApiError::client(TransportError::Unavailable {
            method: parts.method.clone(),
            path: parts.path().to_owned(),
            cause,
        })
    }

    /// Sends one attempt and sorts out what came of it.
    async fn attempt(
        &self,
        parts: &RequestParts,
        body: &[u8],
        attempt: u32,
        write: Option<WriteKind>,
    ) -> Outcome {
        if let Err(cause) = self.pace().await {
            return Outcome::Fail(Self::unavailable(parts, cause));
        }
        if let Some(kind) = write
            && let Err(cause) = self.wait_for_write(kind).await
        {
            return Outcome::Fail(Self::unavailable(parts, cause));
        }
        let _permit = self.in_flight.acquire().await;
        let path = parts.path();
        let timeout = match self.time_left() {
            Some(left) if left.is_zero() => {
                return Outcome::Fail(Self::unavailable(
                    parts,
                    "the run's deadline (--timeout) has passed".to_owned(),
                ));
            }
            Some(left) => left.min(self.options.request_timeout),
            None => self.options.request_timeout,
        };
        let sent = tokio::time::timeout(
            timeout,
            self.client.send(
                parts.method.clone(),
                parts.url.clone(),
                &parts.headers,
                body.to_vec(),
            ),
        )
        .await;
        let answer = match sent {
            Err(_elapsed) => {
                tracing::debug!(method = %parts.method, path, attempt, "GitLab request timed out");
                return Outcome::Lost(format!("no answer within {} s", timeout.as_secs_f32()));
            }
            Ok(Err(SendError::Connect(cause))) => {
                tracing::debug!(method = %parts.method, path, attempt, cause, "GitLab request failed");
                return Outcome::NotSent(cause);
            }
            Ok(Err(SendError::Lost(cause))) => {
                tracing::debug!(method = %parts.method, path, attempt, cause, "GitLab request failed");
                return Outcome::Lost(cause);
            }
            Ok(Err(SendError::Refused(cause))) => {
                return Outcome::Fail(ApiError::client(TransportError::Refused {
                    method: parts.method.clone(),
                    path: path.to_owned(),
                    cause,
                }));
            }
            Ok(Err(SendError::TooLarge)) => {
                return Outcome::Fail(ApiError::client(TransportError::TooLarge {
                    method: parts.method.clone(),
                    path: path.to_owned(),
                }));
            }
            Ok(Ok(answer)) => answer,
        };
        let status = answer.status();
        tracing::debug!(method = %parts.method, path, attempt, status = status.as_u16(), "GitLab answered");
        self.note_rate(answer.headers());
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = rate_limit_wait(answer.headers(), SystemTime::now());
            let name = answer
                .headers()
                .get("ratelimit-name")
                .and_then(|v| v.to_str().ok())
                .map(|name| format!(" `{name}`"))
                .unwrap_or_default();
            Outcome::RateLimited(wait, format!("rate limited{name} (429)"))
        } else if status.is_server_error() {
            Outcome::Lost(format!("GitLab answered {status}"))
        } else if let Some(location) = answer
            .headers()
            .get(http::header::LOCATION)
            .filter(|_| status.is_redirection())
        {
            let (to, use_instead) =
                redirect_advice(self.client.instance_url(), &parts.url, location.as_bytes());
            Outcome::Fail(ApiError::client(TransportError::Redirect {
                method: parts.method.clone(),
                path: path.to_owned(),
                to,
                use_instead,
            }))
        } else if status.is_client_error() || status.is_redirection() {
            Outcome::Fail(ApiError::client(TransportError::Status {
                method: parts.method.clone(),
                path: path.to_owned(),
                status,
                body: answer.into_body(),
            }))
        } else {
            Outcome::Answer(answer)
        }
    }

    /// Sends a request, retrying as the policy allows (see the module docs).
    async fn send(
        &self,
        parts: RequestParts,
        body: Vec<u8>,
        write: Option<WriteKind>,
    ) -> Result<Response<Bytes>, ApiError<TransportError>> {
        let path = parts.path().to_owned();
        let mut attempt = 1;
        let mut rate_limit_waits = 0;
        loop {
            let (wait, cause) = match self.attempt(&parts, &body, attempt, write).await {
                Outcome::Answer(answer) => return Ok(answer),
                Outcome::Fail(error) => return Err(error),
                Outcome::RateLimited(Some(wait), cause) => {
                    if wait > self.options.max_rate_limit_wait {
                        return Err(Self::unavailable(
                            &parts,
                            format!(
                                "{cause}; GitLab asks to wait {} s, longer than this run waits ({} s); try again later",
                                wait.as_secs(),
                                self.options.max_rate_limit_wait.as_secs()
                            ),
                        ));
                    }
                    if let Err(deadline) = self.may_wait(wait) {
                        return Err(Self::unavailable(
                            &parts,
                            format!(
                                "{cause}; GitLab asks to wait {} s, but {deadline}",
                                wait.as_secs()
                            ),
                        ));
                    }
                    // GitLab did nothing and said when to come back: waiting is not a
                    // failure, so it spends neither the request's attempts nor the run's
                    // retry budget, only its own bound.
                    rate_limit_waits += 1;
                    if rate_limit_waits > MAX_RATE_LIMIT_WAITS {
                        return Err(Self::unavailable(
                            &parts,
                            format!(
                                "{cause}, still after waiting {MAX_RATE_LIMIT_WAITS} times as GitLab asked"
                            ),
                        ));
                    }
                    tracing::warn!(
                        method = %parts.method,
                        path,
                        cause,
                        wait_ms = wait.as_millis() as u64,
                        "waiting for GitLab's rate limit"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Outcome::RateLimited(None, cause) | Outcome::NotSent(cause) => (None, cause),
                Outcome::Lost(cause) if parts.resendable => (None, cause),
                Outcome::Lost(cause) => {
                    return Err(ApiError::client(TransportError::Uncertain {
                        method: parts.method.clone(),
                        path,
                        cause,
                    }));
                }
            };
            if attempt >= self.options.max_attempts {
                return Err(Self::unavailable(
                    &parts,
                    format!("{cause}, after {attempt} attempts"),
                ));
            }
            let wait = wait.unwrap_or_else(|| {
                let ceiling =
                    backoff_ceiling(attempt, self.options.backoff_base, self.options.backoff_max);
                jittered(ceiling, &mut rand::rng())
            });
            if let Err(deadline) = self.may_wait(wait) {
                return Err(Self::unavailable(
                    &parts,
                    format!(
                        "{cause}; retrying in {} s would pass the run's deadline: {deadline}",
                        wait.as_secs_f32()
                    ),
                ));
            }
            if !self.take_retry() {
                return Err(Self::unavailable(
                    &parts,
                    format!(
                        "{cause}; the run's retry budget ({}) is spent",
                        self.options.retry_budget
                    ),
                ));
            }
            tracing::warn!(
                method = %parts.method,
                path,
                attempt,
                cause,
                wait_ms = wait.as_millis() as u64,
                "retrying GitLab request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl api::RestClient for Transport {
    type Error = TransportError;

    fn rest_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<Self::Error>> {
        Ok(self.client.rest_url().join(endpoint)?)
    }

    fn instance_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<Self::Error>> {
        Ok(self.client.instance_url().join(endpoint)?)
    }
}

#[async_trait]
impl api::AsyncClient for Transport {
    async fn rest_async(
        &self,
        request: RequestBuilder,
        body: Vec<u8>,
    ) -> Result<Response<Bytes>, ApiError<Self::Error>> {
        self.send_built(request, body, None).await
    }
}

/// The client one listing, or one kind of paced write, goes through: [`Transport`], counting
/// a listing's pages or keeping writes within their budget.
pub(crate) struct Scoped<'a> {
    transport: &'a Transport,
    /// Pages read so far, for a listing.
    pages: Option<AtomicU32>,
    /// The write budget its requests count against, if any.
    write: Option<WriteKind>,
}

impl api::RestClient for Scoped<'_> {
    type Error = TransportError;

    fn rest_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<Self::Error>> {
        self.transport.rest_endpoint(endpoint)
    }

    fn instance_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<Self::Error>> {
        self.transport.instance_endpoint(endpoint)
    }
}

#[async_trait]
impl api::AsyncClient for Scoped<'_> {
    async fn rest_async(
        &self,
        request: RequestBuilder,
        body: Vec<u8>,
    ) -> Result<Response<Bytes>, ApiError<Self::Error>> {
        if let Some(pages) = &self.pages {
            // The `gitlab` crate asks for the next page for as long as GitLab announces one.
            let max = self.transport.options.max_pages;
            let read = pages.fetch_add(1, Ordering::SeqCst);
            if read >= max {
                return Err(ApiError::client(TransportError::TooManyPages {
                    path: request
                        .uri_ref()
                        .map(|uri| uri.path().to_owned())
                        .unwrap_or_default(),
                    pages: read,
                }));
            }
        }
        self.transport.send_built(request, body, self.write).await
    }
}

/// Where a redirect points, as it may be shown (origin and path, never a query), and the
/// GitLab URL it suggests: the target with the requested API path taken off its end when it
/// kept it (`https://new.example.com/api/v4/user` suggests `https://new.example.com`), else
/// the target's origin.
pub(crate) fn redirect_advice(instance: &Url, request: &Url, location: &[u8]) -> (String, String) {
    let target = std::str::from_utf8(location)
        .ok()
        .and_then(|location| request.join(location.trim()).ok());
    let Some(target) = target else {
        return (
            "an address that is not a URL".to_owned(),
            "the address GitLab is reached at".to_owned(),
        );
    };
    let origin = target.origin().ascii_serialization();
    let asked = request
        .path()
        .strip_prefix(instance.path())
        .unwrap_or_default();
    let base = target
        .path()
        .strip_suffix(asked)
        .filter(|_| !asked.is_empty())
        .unwrap_or_default()
        .trim_end_matches('/');
    (shown_url(&target), format!("{origin}{base}"))
}

/// The current time in unix seconds.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An error and its sources, joined with `: ` (reqwest's own message omits the cause).
pub(crate) fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn backoff_doubles_from_base_up_to_max() {
        let base = Duration::from_millis(500);
        let max = Duration::from_secs(30);
        let schedule: Vec<_> = (1..=9).map(|r| backoff_ceiling(r, base, max)).collect();
        assert_eq!(
            schedule,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000].map(Duration::from_millis)
        );
        assert_eq!(backoff_ceiling(u32::MAX, base, max), max);
        assert_eq!(backoff_ceiling(0, base, max), base);
    }

    #[test]
    fn jitter_stays_between_half_and_full_ceiling() {
        let mut rng = rand::rng();
        let ceiling = Duration::from_millis(800);
        let draws: Vec<_> = (0..2000).map(|_| jittered(ceiling, &mut rng)).collect();
        assert!(draws.iter().all(|d| *d >= ceiling / 2 && *d <= ceiling));
        // The draws spread over the range rather than sticking to one value.
        assert!(draws.iter().any(|d| *d < Duration::from_millis(500)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(700)));
        assert_eq!(jittered(Duration::ZERO, &mut rng), Duration::ZERO);
    }

    #[test]
    fn retry_after_in_seconds_wins() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let h = headers(&[("retry-after", "7"), ("ratelimit-reset", "1700000060")]);
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
        let h = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:50 GMT")]);
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::from_secs(30)));
    }

    #[test]
    fn ratelimit_reset_when_no_retry_after() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let h = headers(&[("ratelimit-reset", "1700000042")]);
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::from_secs(42)));
        // A reset already past asks for no wait.
        let h = headers(&[("ratelimit-reset", "1699999999")]);
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::ZERO));
    }

    #[test]
    fn no_rate_limit_headers_means_no_advice() {
        let now = SystemTime::now();
        assert_eq!(rate_limit_wait(&HeaderMap::new(), now), None);
        let h = headers(&[("retry-after", "soon")]);
        assert_eq!(rate_limit_wait(&h, now), None);
    }

    #[test]
    fn rate_state_needs_all_three_headers() {
        let h = headers(&[
            ("ratelimit-limit", "2000"),
            ("ratelimit-remaining", "1990"),
            ("ratelimit-reset", "1700000060"),
        ]);
        assert_eq!(
            RateState::from_headers(&h),
            Some(RateState {
                limit: 2000,
                remaining: 1990,
                reset_unix: 1_700_000_060
            })
        );
        let h = headers(&[("ratelimit-limit", "2000")]);
        assert_eq!(RateState::from_headers(&h), None);
    }

    #[test]
    fn pacing_only_when_the_window_runs_low() {
        let cap = Duration::from_secs(120);
        let now = 1_700_000_000;
        let rate = |remaining| RateState {
            limit: 600,
            remaining,
            reset_unix: now + 60,
        };
        // Plenty left: no pacing.
        assert_eq!(pacing_delay(&rate(300), now, 10, cap), None);
        assert_eq!(pacing_delay(&rate(61), now, 10, cap), None);
        // At 10 % or less: spread what is left over the rest of the window.
        assert_eq!(
            pacing_delay(&rate(59), now, 10, cap),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            pacing_delay(&rate(5), now, 10, cap),
            Some(Duration::from_secs(10))
        );
        // None left: wait for the reset, but never past the cap.
        assert_eq!(
            pacing_delay(&rate(0), now, 10, cap),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            pacing_delay(&rate(0), now, 10, Duration::from_secs(5)),
            Some(Duration::from_secs(5))
        );
        // A window already reset, or no limit reported: no pacing.
        let past = RateState {
            reset_unix: now - 1,
            ..rate(0)
        };
        assert_eq!(pacing_delay(&past, now, 10, cap), None);
        let unlimited = RateState {
            limit: 0,
            ..rate(0)
        };
        assert_eq!(pacing_delay(&unlimited, now, 10, cap), None);
    }

    #[test]
    fn a_redirect_suggests_the_gitlab_url_it_points_to() {
        let instance = Url::parse("https://gitlab.example.com/").unwrap();
        let request = Url::parse("https://gitlab.example.com/api/v4/user").unwrap();
        let advice = |location: &str| redirect_advice(&instance, &request, location.as_bytes());
        // A moved instance that kept its paths.
        assert_eq!(
            advice("https://new.example.com/api/v4/user?token=secret"),
            (
                "https://new.example.com/api/v4/user".to_owned(),
                "https://new.example.com".to_owned()
            )
        );
        // Moved under a path.
        assert_eq!(
            advice("https://example.com/gitlab/api/v4/user").1,
            "https://example.com/gitlab"
        );
        // Relative, and elsewhere entirely: the origin.
        assert_eq!(
            advice("/users/sign_in"),
            (
                "https://gitlab.example.com/users/sign_in".to_owned(),
                "https://gitlab.example.com".to_owned()
            )
        );
        assert_eq!(
            advice("https://login.example.com/sso").1,
            "https://login.example.com"
        );
        assert_eq!(advice("http://[oops").0, "an address that is not a URL");
    }

    #[test]
    fn only_reads_and_deletes_are_resent_after_a_lost_answer() {
        assert!(is_resendable(&Method::GET));
        assert!(is_resendable(&Method::HEAD));
        assert!(is_resendable(&Method::DELETE));
        assert!(!is_resendable(&Method::POST));
        assert!(!is_resendable(&Method::PUT));
    }

    #[test]
    fn a_write_budget_lets_a_burst_go_then_waits_a_window_per_place() {
        let budget = WriteBudget::new(3);
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..7)
            .map(|_| budget.reserve(t0).duration_since(t0))
            .collect();
        let w = WRITE_WINDOW;
        assert_eq!(
            slots,
            [
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                w,
                w,
                w,
                w * 2
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// However writes are asked for, no 60-second span (GitLab's minute, wherever it
        /// starts) holds more than the budget, and no write leaves before it was asked.
        #[test]
        fn no_minute_holds_more_than_the_budget(
            budget in 1u32..20,
            gaps_ms in proptest::collection::vec(0u64..30_000, 1..120),
        ) {
            let writes = WriteBudget::new(budget);
            let t0 = Instant::now();
            let mut asked = t0;
            let mut slots = Vec::new();
            for gap in gaps_ms {
                asked += Duration::from_millis(gap);
                let slot = writes.reserve(asked);
                proptest::prop_assert!(slot >= asked);
                slots.push(slot);
            }
            for (i, &start) in slots.iter().enumerate() {
                let in_minute = slots[i..]
                    .iter()
                    .filter(|&&s| s < start + Duration::from_secs(60))
                    .count();
                proptest::prop_assert!(in_minute <= budget as usize);
            }
        }
    }
}
