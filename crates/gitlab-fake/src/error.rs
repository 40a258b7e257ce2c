//! Error answers shaped like GitLab's: `{"message": "..."}` for status errors,
//! `{"message": {"field": ["..."]}}` for model validation and `{"error": "..."}` for
//! parameters Grape rejects before the endpoint runs.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An API error answer: a status and the JSON body GitLab sends with it.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    /// Extra response headers; rare, so a small list rather than a `HeaderMap` (which
    /// would make every `Result<_, ApiError>` large).
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// `{"message": message}` with any status.
    pub(crate) fn message(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "message": message.into() }),
            headers: Vec::new(),
        }
    }

    /// 400 `{"error": "..."}`: parameters rejected before the endpoint runs (Grape).
    pub(crate) fn params(errors: &[String]) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": errors.join(", ") }),
            headers: Vec::new(),
        }
    }

    /// 400 `{"message": {"field": ["..."]}}`: model validation failures.
    pub(crate) fn validation(errors: &[(&str, String)]) -> Self {
        let mut fields = Map::new();
        for (field, message) in errors {
            let entry = fields
                .entry((*field).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(messages) = entry {
                messages.push(Value::String(message.clone()));
            }
        }
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "message": fields }),
            headers: Vec::new(),
        }
    }

    /// 400 `{"message": "400 Bad request"}`, optionally with GitLab's ` - reason` suffix.
    pub(crate) fn bad_request(reason: Option<&str>) -> Self {
        let message = match reason {
            Some(reason) => format!("400 Bad request - {reason}"),
            None => "400 Bad request".to_owned(),
        };
        Self::message(StatusCode::BAD_REQUEST, message)
    }

    /// 400 `{"message": message}` with a free-form message.
    pub(crate) fn bad_request_text(message: impl Into<String>) -> Self {
        Self::message(StatusCode::BAD_REQUEST, message)
    }

    /// 401 `{"message": "401 Unauthorized"}`.
    pub(crate) fn unauthorized() -> Self {
        Self::message(StatusCode::UNAUTHORIZED, "401 Unauthorized")
    }

    /// 403 `{"message": "403 Forbidden"}`.
    pub(crate) fn forbidden() -> Self {
        Self::message(StatusCode::FORBIDDEN, "403 Forbidden")
    }

    /// 403 `{"message": "403 Forbidden - reason"}`.
    pub(crate) fn forbidden_because(reason: &str) -> Self {
        Self::message(StatusCode::FORBIDDEN, format!("403 Forbidden - {reason}"))
    }

    /// 403 for a token whose scopes do not cover the request.
    pub(crate) fn insufficient_scope(needed: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": needed,
            }),
            headers: Vec::new(),
        }
    }

    /// 404 `{"message": "404 <what> Not Found"}` (`what` is e.g. `Project`, `File`).
    pub(crate) fn not_found(what: &str) -> Self {
        Self::message(StatusCode::NOT_FOUND, format!("404 {what} Not Found"))
    }

    /// 404 `{"error": "404 Not Found"}`: what GitLab answers for an unknown API route.
    pub(crate) fn no_route() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            body: json!({ "error": "404 Not Found" }),
            headers: Vec::new(),
        }
    }

    /// 409 `{"message": message}`.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::message(StatusCode::CONFLICT, message)
    }

    /// 429 `{"message": {"error": "This endpoint has been requested too many times. Try
    /// again later."}}`: an application rate limit (`issues_create`, `notes_create`) hit, as
    /// `API::Helpers::RateLimiter#render_exceeded_limit_error!` answers (no `Retry-After`).
    pub(crate) fn application_rate_limited() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({
                "message": {
                    "error": "This endpoint has been requested too many times. Try again later."
                }
            }),
            headers: Vec::new(),
        }
    }

    /// Adds a response header (e.g. the `WWW-Authenticate` realm of the package registry).
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status this error answers with.
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}

/// The result type of every handler.
pub(crate) type ApiResult = Result<Response, ApiError>;
