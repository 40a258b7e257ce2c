//! The HTTP client under every GitLab API request: ours rather than the `gitlab` crate's, so
//! that the rules about where the token may go hold in one place.
//!
//! It follows no redirect (a 3xx comes back as an answer for the request layer to report),
//! adds the token header itself and only to requests for the configured instance's origin,
//! and reads no answer larger than [`MAX_ANSWER_BYTES`]. It does not retry, wait or time out:
//! that is the request layer's business ([`crate::transport`]).

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response};
use url::Url;

use crate::connection::{ServerUrl, Token, TokenKind};
use crate::transport::error_chain;

/// The most any one answer may weigh, GitLab's or a feed's. GitLab's largest answers (a page
/// of 100 issues with long descriptions, a repository file) are a few MiB; a server sending
/// more is broken or hostile, and reading it would take the runner's memory.
pub(crate) const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Why a request got no answer from [`ApiClient::send`]. Holds no header and no token.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The connection could not be made: nothing was sent.
    Connect(String),
    /// The request may have reached GitLab, but the answer did not come back whole.
    Lost(String),
    /// The request was not sent, and sending it again would not change that.
    Refused(String),
    /// The answer was larger than [`MAX_ANSWER_BYTES`].
    TooLarge,
}

/// The GitLab instance's REST API, over a client that follows no redirect.
pub(crate) struct ApiClient {
    http: reqwest::Client,
    instance_url: Url,
    rest_url: Url,
    token: Token,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("instance_url", &self.instance_url.as_str())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// A client for the instance at `server`, sending `token` (which never leaves for
    /// another origin) and `user_agent`.
    pub(crate) fn new(server: &ServerUrl, token: Token, user_agent: &str) -> Result<Self, String> {
        let instance_url = server.root();
        let rest_url = instance_url
            .join("api/v4/")
            .map_err(|e| format!("cannot form the API address: {e}"))?;
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            // A redirect would carry the token header to wherever it points: never follow
            // one; the request layer reports it instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot start an HTTP client: {}", error_chain(&e)))?;
        Ok(Self {
            http,
            instance_url,
            rest_url,
            token,
        })
    }

    /// The instance's root URL, ending in `/`.
    pub(crate) fn instance_url(&self) -> &Url {
        &self.instance_url
    }

    /// The REST API's root URL (`.../api/v4/`).
    pub(crate) fn rest_url(&self) -> &Url {
        &self.rest_url
    }

    /// Sends one request and reads its whole answer (at most [`MAX_ANSWER_BYTES`]), adding
    /// the token header. Refuses a request for another origin than the instance's, such as
    /// a next-page link an answer pointed elsewhere.
    pub(crate) async fn send(
        &self,
        method: http::Method,
        url: Url,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Response<Bytes>, SendError> {
        if url.origin() != self.instance_url.origin() {
            return Err(SendError::Refused(format!(
                "GitLab's answer pointed to {}, another address than the GitLab URL; the token \
                 is sent nowhere else",
                shown_url(&url)
            )));
        }
        let mut headers = headers.clone();
        let (name, secret) = match self.token.kind() {
            TokenKind::Access => ("private-token", self.token.expose()),
            TokenKind::Job => ("job-token", self.token.expose()),
        };
        let mut value = HeaderValue::from_str(secret).map_err(|_| {
            SendError::Refused("the token cannot be sent in an HTTP header".to_owned())
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
        let sent = self
            .http
            .request(method, url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let e = e.without_url();
                if e.is_connect() {
                    SendError::Connect(format!("could not connect: {}", error_chain(&e)))
                } else if e.is_builder() {
                    SendError::Refused(error_chain(&e))
                } else {
                    SendError::Lost(error_chain(&e))
                }
            })?;
        let mut answer = Response::builder()
            .status(sent.status())
            .version(sent.version());
        if let Some(answer_headers) = answer.headers_mut() {
            answer_headers.extend(sent.headers().clone());
        }
        let body = read_capped(sent).await?;
        answer
            .body(body)
            .map_err(|e| SendError::Lost(format!("unreadable answer: {e}")))
    }
}

/// Reads an answer's body, refusing it as soon as it passes [`MAX_ANSWER_BYTES`]: by its
/// announced length before reading, else while streaming, so memory stays bounded.
pub(crate) async fn read_capped(mut response: reqwest::Response) -> Result<Bytes, SendError> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(SendError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SendError::Lost(error_chain(&e.without_url())))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(SendError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// A URL as it may be shown: scheme, host, port and path, never a user name, password,
/// query or fragment (any of which may hold a secret).
pub(crate) fn shown_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn client() -> ApiClient {
        let server = ServerUrl::parse("https://gitlab.example.com/gitlab").unwrap();
        let token = Token::access(SecretString::from("glpat-SECRET")).unwrap();
        ApiClient::new(&server, token, "test").unwrap()
    }

    #[test]
    fn api_urls_sit_under_the_instance() {
        let client = client();
        assert_eq!(
            client.instance_url().as_str(),
            "https://gitlab.example.com/gitlab/"
        );
        assert_eq!(
            client.rest_url().as_str(),
            "https://gitlab.example.com/gitlab/api/v4/"
        );
    }

    #[tokio::test]
    async fn a_request_for_another_origin_is_refused_before_it_leaves() {
        let client = client();
        for other in [
            "https://evil.example.com/gitlab/api/v4/issues?page=2",
            "http://gitlab.example.com/gitlab/api/v4/issues",
            "https://gitlab.example.com:8443/gitlab/api/v4/issues",
        ] {
            let url = Url::parse(other).unwrap();
            let refused = client
                .send(http::Method::GET, url, &HeaderMap::new(), Vec::new())
                .await;
            match refused {
                Err(SendError::Refused(cause)) => {
                    assert!(
                        cause.contains("another address than the GitLab URL"),
                        "{cause}"
                    );
                    assert!(
                        !cause.contains("page=2") && !cause.contains("glpat"),
                        "{cause}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn shown_urls_hold_no_secret() {
        let url =
            Url::parse("https://user:pass@example.com:8443/a/b?private_token=x#frag").unwrap();
        assert_eq!(shown_url(&url), "https://example.com:8443/a/b");
    }
}
