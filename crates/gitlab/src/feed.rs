//! Reading iCalendar feeds over https: HR tools and shared calendars publish time off at an
//! address that is often a secret in itself, so it never appears in an error, and a redirect
//! is followed only within the feed's own origin (a redirect elsewhere would hand the secret
//! address, in the `Referer` or the path, to whoever answers there).

use std::time::{Duration, Instant};

use crate::client::{MAX_ANSWER_BYTES, SendError, read_capped};
use crate::transport::error_chain;

/// How long one feed may take, connecting and reading included.
const FEED_TIMEOUT: Duration = Duration::from_secs(30);
/// How many redirects within the feed's origin are followed.
const FEED_MAX_REDIRECTS: usize = 5;

/// Reads the feed at `url` (https, or plain http to this machine), giving up at `deadline`
/// (the run's) if it comes first. The error says what went wrong without the address, which
/// may hold a private calendar's key.
pub async fn fetch_feed(url: &str, deadline: Option<Instant>) -> Result<String, String> {
    let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
    if left.is_some_and(|left| left.is_zero()) {
        return Err("the run's deadline (--timeout) passed before it could be read".to_owned());
    }
    let timeout = left.map_or(FEED_TIMEOUT, |left| left.min(FEED_TIMEOUT));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin {
                attempt.error(
                    "the server answered a redirect to another address; a feed's redirects are \
                     followed only within its own scheme, host and port: put the address it \
                     moved to in the config",
                )
            } else if attempt.previous().len() > FEED_MAX_REDIRECTS {
                attempt.error(format!("more than {FEED_MAX_REDIRECTS} redirects"))
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| {
            format!(
                "cannot start an HTTP client: {}",
                error_chain(&e.without_url())
            )
        })?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/calendar")
        .send()
        .await
        .map_err(|e| {
            let e = e.without_url();
            match std::error::Error::source(&e) {
                // The policy's own words, without reqwest's prefix.
                Some(reason) if e.is_redirect() => reason.to_string(),
                _ => format!("the request failed: {}", error_chain(&e)),
            }
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    let body = read_capped(response).await.map_err(|e| match e {
        SendError::TooLarge => format!(
            "the feed is larger than {} MiB",
            MAX_ANSWER_BYTES / 1024 / 1024
        ),
        SendError::Connect(cause) | SendError::Lost(cause) | SendError::Refused(cause) => {
            format!("reading the answer failed: {cause}")
        }
    })?;
    String::from_utf8(body.into()).map_err(|_| "the feed is not UTF-8 text".to_owned())
}
