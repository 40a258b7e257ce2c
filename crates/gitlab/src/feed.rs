//! Reading iCalendar feeds over https: HR tools and shared calendars publish time off at an
//! address that is often a secret in itself, so it never appears in an error and is never
//! followed to plain http elsewhere.

use std::time::Duration;

use teamcadence_core::config::may_carry_secrets;

use crate::transport::error_chain;

/// How long one feed may take, connecting and reading included.
const FEED_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a feed may weigh: a decade of a large company's time off is far less.
const FEED_MAX_BYTES: usize = 20 * 1024 * 1024;

/// Reads the feed at `url` (https, or plain http to this machine). The error says what went
/// wrong without the address, which may hold a private calendar's key.
pub async fn fetch_feed(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FEED_TIMEOUT)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("more than 5 redirects")
            } else if may_carry_secrets(attempt.url()) {
                attempt.follow()
            } else {
                attempt.error("redirected away from https")
            }
        }))
        .build()
        .map_err(|e| {
            format!(
                "cannot start an HTTP client: {}",
                error_chain(&e.without_url())
            )
        })?;
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/calendar")
        .send()
        .await
        .map_err(|e| format!("the request failed: {}", error_chain(&e.without_url())))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "reading the answer failed: {}",
            error_chain(&e.without_url())
        )
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > FEED_MAX_BYTES {
            return Err(format!(
                "the feed is larger than {} MiB",
                FEED_MAX_BYTES / 1024 / 1024
            ));
        }
    }
    String::from_utf8(body).map_err(|_| "the feed is not UTF-8 text".to_owned())
}
