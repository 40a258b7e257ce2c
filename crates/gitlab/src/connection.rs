//! Where GitLab is and who we are to it: the server URL, the token, and the errors of
//! connecting.
//!
//! Reads only what it is asked to (an environment lookup the caller passes in, the token
//! file). It must never let the token reach a `Debug` output, an error or a log line, nor
//! send it over plain http to anything but this machine.

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The GitLab URL to use: the explicit one (`--gitlab-url`), else `CI_SERVER_URL` from the
/// environment, else the configuration's `gitlab.url`. Empty values count as unset.
pub fn resolve_url(
    flag: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
    config: Option<&str>,
) -> Option<String> {
    let given =
        |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    given(flag.map(str::to_owned))
        .or_else(|| given(env("CI_SERVER_URL")))
        .or_else(|| given(config.map(str::to_owned)))
}

/// A checked GitLab instance URL: https, or plain http to this machine only.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    url: Url,
}

impl ServerUrl {
    /// Checks a GitLab instance URL (`https://gitlab.example.com`, or with a path for an
    /// instance under one). Plain `http://` is refused unless the host is a loopback address,
    /// since the token would travel unencrypted.
    pub fn parse(raw: &str) -> Result<Self, ConnectError> {
        let raw = raw.trim();
        let shown = shown_raw_url(raw);
        let invalid = |reason: &str| ConnectError::InvalidUrl {
            url: shown.clone(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(raw).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => {
                invalid("it has no scheme; write it as https://HOST")
            }
            other => invalid(&other.to_string()),
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "it holds a user name or password; give the token through GITLAB_TOKEN instead",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a GitLab URL has no query or fragment"));
        }
        if url.host().is_none() {
            return Err(invalid("it has no host"));
        }
        let path = url.path().trim_end_matches('/');
        if path.ends_with("/api/v4") {
            return Err(invalid(
                "give the instance's URL without /api/v4 (CI_SERVER_URL, not CI_API_V4_URL)",
            ));
        }
        let server = Self { url };
        match server.url.scheme() {
            "https" => Ok(server),
            "http" if server.is_loopback() => Ok(server),
            "http" => Err(ConnectError::InsecureUrl {
                url: server.to_string(),
            }),
            _ => Err(invalid("only https:// URLs are supported")),
        }
    }

    /// Whether the host is this machine (127.0.0.0/8, ::1 or `localhost`).
    pub fn is_loopback(&self) -> bool {
        teamcadence_core::config::is_loopback(&self.url)
    }

    /// The instance's root URL, ending in `/`, that API paths are joined to.
    pub(crate) fn root(&self) -> Url {
        let mut root = self.url.clone();
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        root
    }
}

/// A URL as given, in a form safe to echo: without a user name, password, query or fragment
/// (a `?private_token=...` must never reach an error), or a placeholder when it does not
/// parse and may hold one of them.
fn shown_raw_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            // Both fail only for URLs without a host, which hold no credentials.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) if raw.contains(['@', '?', '#']) => "(the URL given)".to_owned(),
        Err(_) => raw.to_owned(),
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({self})")
    }
}

/// Which kind of token GitLab is given, which decides the header it travels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A personal, project or group access token (`PRIVATE-TOKEN` header).
    Access,
    /// A CI job token (`JOB-TOKEN` header): it can read little and cannot create issues.
    Job,
}

/// A GitLab token, kept secret: it shows in no `Debug` output, error or log.
#[derive(Clone)]
pub struct Token {
    secret: SecretString,
    kind: TokenKind,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("kind", &self.kind)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Token {
    /// A personal, project or group access token.
    pub fn access(secret: SecretString) -> Result<Self, ConnectError> {
        Self::checked(secret, TokenKind::Access, "the token given")
    }

    /// A CI job token (`CI_JOB_TOKEN`); it cannot create issues or notes.
    pub fn job(secret: SecretString) -> Result<Self, ConnectError> {
        Self::checked(secret, TokenKind::Job, "the job token given")
    }

    /// The token from the environment: `GITLAB_TOKEN`, else the file `GITLAB_TOKEN_FILE`
    /// names (its trailing newline trimmed), else `CI_JOB_TOKEN` when `accept_job_token`.
    pub fn from_env(
        env: &impl Fn(&str) -> Option<String>,
        accept_job_token: bool,
    ) -> Result<Self, ConnectError> {
        let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if let Some(token) = set("GITLAB_TOKEN") {
            return Self::checked(token.into(), TokenKind::Access, "GITLAB_TOKEN");
        }
        if let Some(path) = set("GITLAB_TOKEN_FILE") {
            let path = PathBuf::from(path);
            let text =
                std::fs::read_to_string(&path).map_err(|source| ConnectError::TokenFile {
                    path: path.clone(),
                    source,
                })?;
            return Self::checked(text.into(), TokenKind::Access, "the GITLAB_TOKEN_FILE file");
        }
        if accept_job_token && let Some(token) = set("CI_JOB_TOKEN") {
            return Self::checked(token.into(), TokenKind::Job, "CI_JOB_TOKEN");
        }
        Err(ConnectError::MissingToken)
    }

    /// Which kind of token this is.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The token's text, for the client's header only.
    pub(crate) fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// Trims surrounding whitespace (a file's trailing newline) and refuses a token that
    /// cannot travel in a header.
    fn checked(
        secret: SecretString,
        kind: TokenKind,
        origin: &'static str,
    ) -> Result<Self, ConnectError> {
        let text = secret.expose_secret();
        let trimmed = text.trim();
        let problem = if trimmed.is_empty() {
            Some("is empty")
        } else if !trimmed.chars().all(|c| c.is_ascii_graphic()) {
            Some("contains spaces, control or non-ASCII characters, so it cannot be a GitLab token")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ConnectError::BadToken { origin, problem });
        }
        let secret = if trimmed.len() == text.len() {
            secret
        } else {
            SecretString::from(trimmed.to_owned())
        };
        Ok(Self { secret, kind })
    }
}

/// Why the adapter could not connect to GitLab; says what to do about it. Never holds the
/// token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a usable GitLab URL.
    #[error("invalid GitLab URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given (or a placeholder when it may hold a password).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain http to another machine.
    #[error(
        "refusing plain http for {url}: the GitLab token would travel unencrypted; use https:// \
         (plain http is allowed only for this machine, such as http://127.0.0.1:8080)"
    )]
    InsecureUrl {
        /// The URL refused.
        url: String,
    },
    /// No token in the environment.
    #[error(
        "no GitLab token: set GITLAB_TOKEN to an access token with the `api` scope, or \
         GITLAB_TOKEN_FILE to the path of a file holding one"
    )]
    MissingToken,
    /// The token file could not be read.
    #[error("could not read the GitLab token from {} (GITLAB_TOKEN_FILE): {source}", path.display())]
    TokenFile {
        /// The file named by `GITLAB_TOKEN_FILE`.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The token's text cannot be a token.
    #[error("the GitLab token from {origin} {problem}")]
    BadToken {
        /// Where the token came from.
        origin: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// GitLab rejected the token (401).
    #[error("GitLab at {url} rejected the token (401): {hint}")]
    Unauthorized {
        /// The GitLab instance.
        url: String,
        /// What to do.
        hint: &'static str,
    },
    /// GitLab let the token in but not to read its own account (403).
    #[error("GitLab at {url} refused the token (403): {detail}")]
    Forbidden {
        /// The GitLab instance.
        url: String,
        /// What GitLab said and what to do.
        detail: String,
    },
    /// GitLab could not be reached, or kept failing.
    #[error("could not reach GitLab at {url}: {detail}")]
    Unreachable {
        /// The GitLab instance.
        url: String,
        /// What went wrong the last time.
        detail: String,
    },
    /// The GitLab URL answered a redirect, which is not followed: the token would go along.
    #[error(
        "GitLab at {url} answered a redirect to {to}: use {use_instead} as the GitLab URL \
         (--gitlab-url, CI_SERVER_URL or `gitlab.url`); teamcadence follows no redirect, so \
         that the token never goes to an address that was not configured"
    )]
    Redirected {
        /// The GitLab instance.
        url: String,
        /// Where the redirect points (origin and path, no query).
        to: String,
        /// The GitLab URL that redirect suggests.
        use_instead: String,
    },
    /// Something answered, but not as GitLab would.
    #[error("unexpected answer from {url} while checking the token: {detail}")]
    Unexpected {
        /// The GitLab instance.
        url: String,
        /// What came back.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn url_flag_beats_ci_server_url_beats_config() {
        let ci = env(&[("CI_SERVER_URL", "https://ci.example.com")]);
        let none = env(&[]);
        assert_eq!(
            resolve_url(
                Some("https://flag.example.com"),
                &ci,
                Some("https://config.example.com")
            ),
            Some("https://flag.example.com".to_owned())
        );
        assert_eq!(
            resolve_url(None, &ci, Some("https://config.example.com")),
            Some("https://ci.example.com".to_owned())
        );
        assert_eq!(
            resolve_url(None, &none, Some("https://config.example.com")),
            Some("https://config.example.com".to_owned())
        );
        assert_eq!(resolve_url(None, &none, None), None);
        // Empty values count as unset.
        let empty = env(&[("CI_SERVER_URL", "")]);
        assert_eq!(
            resolve_url(Some(" "), &empty, Some("https://config.example.com")),
            Some("https://config.example.com".to_owned())
        );
    }

    #[test]
    fn plain_http_is_refused_for_another_machine() {
        let err = ServerUrl::parse("http://gitlab.example.com").unwrap_err();
        assert!(matches!(err, ConnectError::InsecureUrl { .. }));
        assert_eq!(
            err.to_string(),
            "refusing plain http for http://gitlab.example.com: the GitLab token would travel \
             unencrypted; use https:// (plain http is allowed only for this machine, such as \
             http://127.0.0.1:8080)"
        );
        for other in [
            "http://10.0.0.1",
            "http://[fe80::1]:8080",
            "http://localhost.example.com",
        ] {
            assert!(
                matches!(
                    ServerUrl::parse(other),
                    Err(ConnectError::InsecureUrl { .. })
                ),
                "{other}"
            );
        }
    }

    #[test]
    fn plain_http_is_allowed_for_loopback() {
        for (url, host) in [
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://127.1.2.3:41233/", "127.1.2.3:41233"),
            ("http://localhost", "localhost"),
            ("http://LOCALHOST:3000", "localhost:3000"),
            ("http://[::1]", "[::1]"),
            ("http://[::1]:41233", "[::1]:41233"),
        ] {
            let server = ServerUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(
                server.is_loopback() && server.root().scheme() == "http",
                "{url}"
            );
            assert_eq!(server.root().as_str(), format!("http://{host}/"), "{url}");
        }
    }

    #[test]
    fn https_urls_keep_port_and_path() {
        let server = ServerUrl::parse("https://gitlab.example.com").unwrap();
        assert_eq!(server.root().as_str(), "https://gitlab.example.com/");
        assert!(server.root().scheme() == "https" && !server.is_loopback());
        let server = ServerUrl::parse("https://example.com:8443/gitlab/").unwrap();
        assert_eq!(server.root().as_str(), "https://example.com:8443/gitlab/");
        assert_eq!(server.to_string(), "https://example.com:8443/gitlab");
    }

    #[test]
    fn bad_urls_say_why() {
        let message = |url| ServerUrl::parse(url).unwrap_err().to_string();
        assert_eq!(
            message("gitlab.example.com"),
            "invalid GitLab URL `gitlab.example.com`: it has no scheme; write it as https://HOST"
        );
        assert!(message("https://gitlab.example.com/api/v4").contains("without /api/v4"));
        assert!(message("ftp://gitlab.example.com").contains("only https://"));
        let with_query = message("https://gitlab.example.com/?private_token=glpat-secret");
        assert_eq!(
            with_query,
            "invalid GitLab URL `https://gitlab.example.com/`: a GitLab URL has no query or fragment"
        );
        let unparsable = message("gitlab.example.com?private_token=glpat-secret");
        assert!(!unparsable.contains("glpat-secret"), "{unparsable}");
        let with_password = message("https://user:glpat-secret@gitlab.example.com");
        assert!(!with_password.contains("glpat-secret"), "{with_password}");
        assert!(with_password.contains("GITLAB_TOKEN"), "{with_password}");
    }

    #[test]
    fn token_from_gitlab_token() {
        let token = Token::from_env(&env(&[("GITLAB_TOKEN", "glpat-abc\n")]), false).unwrap();
        assert_eq!(token.expose(), "glpat-abc");
        assert_eq!(token.kind(), TokenKind::Access);
    }

    #[test]
    fn token_from_file_trims_the_newline() {
        let dir = std::env::temp_dir().join(format!("teamcadence-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "glpat-from-file\n").unwrap();
        let vars = env(&[("GITLAB_TOKEN_FILE", path.to_str().unwrap())]);
        let token = Token::from_env(&vars, false).unwrap();
        assert_eq!(token.expose(), "glpat-from-file");
        assert_eq!(token.kind(), TokenKind::Access);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn token_file_missing_names_the_file() {
        let vars = env(&[("GITLAB_TOKEN_FILE", "/nonexistent/teamcadence/token")]);
        let err = Token::from_env(&vars, false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not read the GitLab token from /nonexistent/teamcadence/token (GITLAB_TOKEN_FILE): "),
            "{err}"
        );
    }

    #[test]
    fn gitlab_token_wins_over_file_and_job_token() {
        let vars = env(&[
            ("GITLAB_TOKEN", "glpat-env"),
            ("GITLAB_TOKEN_FILE", "/nonexistent"),
            ("CI_JOB_TOKEN", "job"),
        ]);
        assert_eq!(Token::from_env(&vars, true).unwrap().expose(), "glpat-env");
    }

    #[test]
    fn job_token_only_when_asked() {
        let vars = env(&[("CI_JOB_TOKEN", "job-token-value")]);
        assert!(matches!(
            Token::from_env(&vars, false),
            Err(ConnectError::MissingToken)
        ));
        let token = Token::from_env(&vars, true).unwrap();
        assert_eq!(token.kind(), TokenKind::Job);
    }

    #[test]
    fn missing_and_bad_tokens_say_what_to_do() {
        let err = Token::from_env(&env(&[("GITLAB_TOKEN", "")]), false).unwrap_err();
        assert!(err.to_string().contains("set GITLAB_TOKEN"), "{err}");
        let err = Token::from_env(&env(&[("GITLAB_TOKEN", "glpat one")]), false).unwrap_err();
        assert!(!err.to_string().contains("glpat"), "{err}");
        assert!(
            err.to_string()
                .starts_with("the GitLab token from GITLAB_TOKEN contains spaces")
        );
    }

    #[test]
    fn token_never_shows_in_debug() {
        let token = Token::access(SecretString::from("glpat-SECRET-123")).unwrap();
        let debug = format!("{token:?}");
        assert!(!debug.contains("glpat-SECRET-123"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }
}
