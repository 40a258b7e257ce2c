//! teamcadence's GitLab adapter: [`GitLab`] implements the core's
//! [`IssueTracker`](teamcadence_core::tracker::IssueTracker) port over GitLab's REST API v4
//! (and its GraphQL API for users in bulk), with the `gitlab` crate's endpoints plus the few it lacks, over our own HTTP client (it
//! follows no redirect and sends the token to the configured origin only), and a request
//! layer that owns timeouts, retries, rate-limit pacing, the bound on requests in flight, the
//! run's deadline and the bounds on answers and pages.
//!
//! It only moves data to and from GitLab: it must not plan (what issues should exist, who
//! covers whom, what an issue says is the core's business), must not leak GitLab's wire types
//! past its edge, and must never let the token reach a log line, a `Debug` output or an error.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use teamcadence_gitlab::{ConnectOptions, GitLab, Token, resolve_url};
//!
//! let env = |name: &str| std::env::var(name).ok();
//! let url = resolve_url(None, &env, Some("https://gitlab.example.com")).ok_or("no GitLab URL")?;
//! let token = Token::from_env(&env, false)?;
//! let gitlab = GitLab::connect(&url, token, ConnectOptions::default()).await?;
//! # Ok(()) }
//! ```

mod client;
mod connection;
mod endpoints;
mod errors;
mod feed;
mod graphql;
mod tracker;
mod transport;
mod wire;

pub use connection::{ConnectError, ServerUrl, Token, TokenKind, resolve_url};
pub use feed::fetch_feed;
pub use tracker::GitLab;
pub use transport::{ConnectOptions, DEFAULT_CONCURRENCY, DEFAULT_WRITES_PER_MINUTE};
