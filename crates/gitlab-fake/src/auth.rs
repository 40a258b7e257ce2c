//! Who is calling: `PRIVATE-TOKEN`, `Authorization: Bearer` (personal, project and OAuth
//! tokens) or `JOB-TOKEN` (CI job token), the `private_token`/`access_token`/`job_token`
//! query parameters, token scopes, and admin `sudo`. Missing credentials make an anonymous
//! caller (who sees public projects only); wrong ones answer 401.

use axum::http::{HeaderMap, Method};

use crate::error::ApiError;
use crate::params::Params;
use crate::store::Store;

/// A user acting through an access token (possibly impersonated by an admin with `sudo`).
#[derive(Debug, Clone)]
pub(crate) struct UserCaller {
    /// The user requests act as.
    pub(crate) user_id: u64,
    /// Whether that user is an administrator.
    pub(crate) admin: bool,
}

/// A CI job acting through its job token.
#[derive(Debug, Clone)]
pub(crate) struct JobCaller {
    /// The job.
    pub(crate) job_id: u64,
    /// The user who triggered the pipeline.
    pub(crate) user_id: u64,
    /// The project the job runs in.
    pub(crate) project_id: u64,
}

/// The authenticated identity of one request.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No credentials.
    Anonymous,
    /// A personal/project/OAuth token.
    User(UserCaller),
    /// A CI job token.
    Job(JobCaller),
}

impl Caller {
    /// The identity used for visibility checks (a job sees what its user sees).
    pub(crate) fn user_id(&self) -> Option<u64> {
        match self {
            Caller::Anonymous => None,
            Caller::User(user) => Some(user.user_id),
            Caller::Job(job) => Some(job.user_id),
        }
    }

    /// Requires a token-authenticated user: anonymous answers 401, a job token 403
    /// (job tokens only reach the few endpoints that allow them).
    pub(crate) fn user(&self) -> Result<&UserCaller, ApiError> {
        match self {
            Caller::User(user) => Ok(user),
            Caller::Anonymous => Err(ApiError::unauthorized()),
            Caller::Job(_) => Err(ApiError::forbidden()),
        }
    }

    /// Refuses job tokens (403) but lets anonymous callers read public data.
    pub(crate) fn not_job(&self) -> Result<Option<u64>, ApiError> {
        match self {
            Caller::Job(_) => Err(ApiError::forbidden()),
            other => Ok(other.user_id()),
        }
    }

    /// Requires an administrator (403 otherwise, 401 when anonymous).
    pub(crate) fn admin(&self) -> Result<&UserCaller, ApiError> {
        let user = self.user()?;
        if user.admin {
            Ok(user)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The credential a request presents, if any (also used as the rate-limit key).
pub(crate) fn presented_token(
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Option<(TokenKind, String)> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    if let Some(token) = header("private-token") {
        return Some((TokenKind::Personal, token));
    }
    if let Some(value) = header("authorization") {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or("")
            .trim();
        return Some((TokenKind::Personal, token.to_owned()));
    }
    if let Some(token) = header("job-token") {
        return Some((TokenKind::Job, token));
    }
    for (key, value) in query {
        match key.as_str() {
            "private_token" | "access_token" => return Some((TokenKind::Personal, value.clone())),
            "job_token" => return Some((TokenKind::Job, value.clone())),
            _ => {}
        }
    }
    None
}

/// Which header family a token came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `PRIVATE-TOKEN`, `Authorization: Bearer`, `private_token`, `access_token`.
    Personal,
    /// `JOB-TOKEN`, `job_token`.
    Job,
}

/// Whether a token is known to the store (for the rate limiter's choice of throttle).
pub(crate) fn token_is_known(store: &Store, kind: TokenKind, token: &str) -> bool {
    match kind {
        TokenKind::Personal => store.tokens.contains_key(token),
        TokenKind::Job => store.job_tokens.contains_key(token),
    }
}

/// Resolves the caller of a request, checking scopes and applying `sudo`.
pub(crate) fn authenticate(
    store: &Store,
    method: &Method,
    headers: &HeaderMap,
    params: &mut Params,
) -> Result<Caller, ApiError> {
    for credential in crate::params::CREDENTIAL_PARAMS {
        params.take(credential);
    }
    let sudo = params.take("sudo").or_else(|| {
        headers
            .get("sudo")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    let Some((kind, token)) = presented_token(headers, params.query_pairs()) else {
        return Ok(Caller::Anonymous);
    };
    let caller = match kind {
        TokenKind::Job => {
            let job = store
                .job_tokens
                .get(&token)
                .and_then(|id| store.jobs.get(id))
                .ok_or_else(ApiError::unauthorized)?;
            Caller::Job(JobCaller {
                job_id: job.id,
                user_id: job.user_id,
                project_id: job.project_id,
            })
        }
        TokenKind::Personal => {
            let grant = store
                .tokens
                .get(&token)
                .ok_or_else(ApiError::unauthorized)?;
            let user = store
                .users
                .get(&grant.user_id)
                .ok_or_else(ApiError::unauthorized)?;
            let has = |scope: &str| grant.scopes.iter().any(|granted| granted == scope);
            let reading = method == Method::GET || method == Method::HEAD;
            if !(has("api") || (reading && has("read_api"))) {
                return Err(ApiError::insufficient_scope("api"));
            }
            let mut caller = UserCaller {
                user_id: user.id,
                admin: user.admin,
            };
            if let Some(target) = sudo {
                if !user.admin {
                    return Err(ApiError::forbidden_because("Must be admin to use sudo"));
                }
                if !has("sudo") {
                    return Err(ApiError::forbidden_because(
                        "Private token must have the sudo scope to use sudo",
                    ));
                }
                let target_user = store.find_user(target.trim()).ok_or_else(|| {
                    ApiError::not_found(&format!("User with ID or username '{}'", target.trim()))
                })?;
                caller = UserCaller {
                    user_id: target_user.id,
                    admin: target_user.admin,
                };
            }
            Caller::User(caller)
        }
    };
    Ok(caller)
}
