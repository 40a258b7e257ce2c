//! Turning GitLab's failures into [`TrackerError`]s a person can act on: what was being
//! done, in which project, what GitLab said, and what to do about it.
//!
//! Only wording and classification here, no requests. An error message must never hold the
//! token (nothing here ever sees it: the request layer keeps headers out of its errors).

use std::fmt;

use gitlab::api::ApiError;
use http::StatusCode;
use serde_json::Value;
use teamcadence_core::tracker::TrackerError;

use crate::transport::TransportError;

/// Where a call acts, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    /// A project, by full path.
    Project(&'a str),
    /// A group, by full path.
    Group(&'a str),
    /// The instance as a whole (users).
    Instance,
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Project(path) => write!(f, "project {path}"),
            Place::Group(path) => write!(f, "group {path}"),
            Place::Instance => f.write_str("this GitLab instance"),
        }
    }
}

/// What a call was doing, to word its errors.
#[derive(Debug, Clone)]
pub(crate) struct Doing<'a> {
    /// What was being done, as a phrase (`creating an issue in team/planning`).
    action: String,
    /// Where.
    place: Place<'a>,
    /// The thing acted on inside the place, when it may be what is missing (`issue #12`).
    subject: Option<String>,
    /// Whether the call changes something (a lost answer is then uncertain).
    write: bool,
}

impl<'a> Doing<'a> {
    /// A call that only reads.
    pub(crate) fn read(action: impl Into<String>, place: Place<'a>) -> Self {
        Self {
            action: action.into(),
            place,
            subject: None,
            write: false,
        }
    }

    /// A call that changes something.
    pub(crate) fn write(action: impl Into<String>, place: Place<'a>) -> Self {
        Self {
            write: true,
            ..Self::read(action, place)
        }
    }

    /// Names the thing acted on inside the place, for a 404.
    pub(crate) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The error for a failed call.
    pub(crate) fn fail(&self, error: ApiError<TransportError>) -> TrackerError {
        let action = &self.action;
        match error {
            ApiError::Client { source } => self.transport(source),
            ApiError::GitlabWithStatus { status, msg } => self.status(status, Some(msg)),
            ApiError::GitlabObjectWithStatus { status, obj } => {
                self.status(status, message_text(&obj))
            }
            ApiError::GitlabUnrecognizedWithStatus { status, obj } => {
                self.status(status, body_message(&obj))
            }
            ApiError::GitlabService { status, data } => self.status(status, gitlab_message(&data)),
            ApiError::GitlabRateLimited { retry_after, .. } => TrackerError::Unavailable(format!(
                "{action}: GitLab's rate limit was hit (429); try again in {} s",
                retry_after.as_secs()
            )),
            ApiError::MovedPermanently { location } => TrackerError::NotFound(format!(
                "{action}: {} has moved (301{}); use its new path",
                self.place,
                location.map(|l| format!(" to {l}")).unwrap_or_default()
            )),
            ApiError::Json { source } => self.unreadable(source),
            ApiError::DataType { source, .. } => self.unreadable(source),
            ApiError::Pagination { source } => self.unreadable(source),
            other => {
                TrackerError::Invalid(format!("{action}: could not build the request: {other}"))
            }
        }
    }

    /// The error for an answer GitLab gave but that could not be read as expected.
    pub(crate) fn unreadable(&self, error: impl fmt::Display) -> TrackerError {
        let action = &self.action;
        if self.write {
            TrackerError::Uncertain(format!(
                "{action}: GitLab accepted the request but its answer could not be read \
                 ({error}); check whether it was done before trying again"
            ))
        } else {
            TrackerError::Unavailable(format!(
                "{action}: GitLab's answer could not be read ({error}); is this a GitLab \
                 instance of a supported version?"
            ))
        }
    }

    /// The error for a request the adapter could not even build (a bug or a bad input).
    pub(crate) fn unbuildable(&self, error: impl fmt::Display) -> TrackerError {
        TrackerError::Invalid(format!(
            "{}: could not build the request: {error}",
            self.action
        ))
    }

    /// The error for what the request layer reported.
    fn transport(&self, error: TransportError) -> TrackerError {
        let action = &self.action;
        let unchanged = if self.write {
            "; nothing was changed"
        } else {
            ""
        };
        match error {
            TransportError::Unavailable { cause, .. } => TrackerError::Unavailable(format!(
                "{action}: GitLab is unavailable ({cause}){unchanged}; try again later"
            )),
            TransportError::Uncertain { cause, .. } => TrackerError::Uncertain(format!(
                "{action}: the request was sent but no usable answer came back ({cause}); it \
                 may or may not have been done: check before trying again"
            )),
            // GitLab answered a write, but too much to read: it may have done it.
            TransportError::TooLarge { .. } if self.write => TrackerError::Uncertain(format!(
                "{action}: {error}; it may or may not have been done: check before trying again"
            )),
            TransportError::Status { status, body, .. } => {
                self.status(status, gitlab_message(&body))
            }
            TransportError::Redirect { .. }
            | TransportError::TooLarge { .. }
            | TransportError::TooManyPages { .. }
            | TransportError::Refused { .. } => {
                TrackerError::Unavailable(format!("{action}: {error}{unchanged}"))
            }
        }
    }

    /// The error for an HTTP error status, with GitLab's message when it gave one.
    pub(crate) fn status(&self, status: StatusCode, message: Option<String>) -> TrackerError {
        let action = &self.action;
        let place = self.place;
        let code = status.as_u16();
        match code {
            401 => TrackerError::Unauthorized(format!(
                "{action}: GitLab rejected the token (401): it is invalid, expired or revoked; \
                 create a new access token with the `api` scope and set GITLAB_TOKEN"
            )),
            403 => {
                let detail = message
                    .filter(|m| m != "403 Forbidden")
                    .map(|m| format!(" (GitLab: {m})"))
                    .unwrap_or_default();
                let place = match place {
                    Place::Instance => "on this GitLab instance".to_owned(),
                    place => format!("in {place}"),
                };
                TrackerError::Forbidden(format!(
                    "{action}: the token may not do this {place} (403){detail}: it needs the \
                     `api` scope and at least the Reporter/Planner role; CI_JOB_TOKEN cannot \
                     create issues — use a project or group access token stored as a masked \
                     CI/CD variable"
                ))
            }
            404 => {
                let place_missing = message.as_deref().is_some_and(|m| {
                    m.contains("Project Not Found") || m.contains("Group Not Found")
                });
                let what = match (&self.subject, place_missing, place) {
                    (Some(subject), false, Place::Instance) => subject.clone(),
                    (Some(subject), false, place) => format!("{subject} in {place}"),
                    (_, _, Place::Instance) => "the resource".to_owned(),
                    (_, _, place) => place.to_string(),
                };
                TrackerError::NotFound(format!(
                    "{action}: {what} not found, or not visible to this token (404)"
                ))
            }
            _ if status.is_client_error() => {
                let said = message.map(|m| format!(": {m}")).unwrap_or_default();
                TrackerError::Invalid(format!("{action}: GitLab refused it ({status}){said}"))
            }
            _ => {
                let said = message.map(|m| format!(": {m}")).unwrap_or_default();
                TrackerError::Unavailable(format!(
                    "{action}: GitLab answered {status}{said}; try again later"
                ))
            }
        }
    }
}

/// GitLab's message in an error body, flattened to one line: `{"message": "..."}`,
/// `{"message": {"title": ["is too long"]}}` (→ `title is too long`), `{"error": "..."}`
/// with its `error_description`, or the text of a non-JSON body.
pub(crate) fn gitlab_message(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => body_message(&value),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                None
            } else if text.starts_with('<') {
                Some("an HTML page instead of GitLab's JSON".to_owned())
            } else {
                Some(one_line(text, 300))
            }
        }
    }
}

/// The message of a parsed error body.
fn body_message(value: &Value) -> Option<String> {
    if let Some(message) = value.get("message") {
        return message_text(message);
    }
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let mut text = error.to_owned();
        if let Some(description) = value.get("error_description").and_then(Value::as_str) {
            text = format!("{text}: {description}");
        }
        if let Some(scope) = value.get("scope").and_then(Value::as_str) {
            text = format!("{text} (needs scope `{scope}`)");
        }
        return Some(text);
    }
    match value {
        Value::Null => None,
        other => Some(one_line(&other.to_string(), 300)),
    }
}

/// A `message` value as one line: field errors become `field message; field message`.
fn message_text(message: &Value) -> Option<String> {
    let parts: Vec<String> = match message {
        Value::Null => return None,
        Value::String(text) => return Some(one_line(text, 500)),
        Value::Array(items) => items.iter().filter_map(message_text).collect(),
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(field, value)| {
                let texts: Vec<String> = match value {
                    Value::Array(items) => items.iter().filter_map(message_text).collect(),
                    other => message_text(other).into_iter().collect(),
                };
                // Rails puts errors of the whole record under `base`; rate limits use `error`.
                let prefix = match field.as_str() {
                    "base" | "error" => String::new(),
                    field => format!("{field} "),
                };
                texts.into_iter().map(move |text| format!("{prefix}{text}"))
            })
            .collect(),
        other => return Some(other.to_string()),
    };
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Text on one line, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::Method;

    fn status_error(doing: &Doing<'_>, code: u16, body: &str) -> TrackerError {
        doing.fail(ApiError::client(TransportError::Status {
            method: Method::POST,
            path: "/api/v4/projects/team%2Fplanning/issues".into(),
            status: StatusCode::from_u16(code).unwrap(),
            body: Bytes::from(body.to_owned()),
        }))
    }

    fn creating() -> Doing<'static> {
        Doing::write(
            "creating the issue `Plan 17.4` in team/planning",
            Place::Project("team/planning"),
        )
    }

    #[test]
    fn unauthorized_says_to_make_a_new_token() {
        let err = status_error(&creating(), 401, r#"{"message": "401 Unauthorized"}"#);
        assert_eq!(
            err,
            TrackerError::Unauthorized(
                "creating the issue `Plan 17.4` in team/planning: GitLab rejected the token \
                 (401): it is invalid, expired or revoked; create a new access token with the \
                 `api` scope and set GITLAB_TOKEN"
                    .into()
            )
        );
    }

    #[test]
    fn forbidden_names_project_scope_role_and_job_token() {
        let err = status_error(&creating(), 403, r#"{"message": "403 Forbidden"}"#);
        assert_eq!(
            err,
            TrackerError::Forbidden(
                "creating the issue `Plan 17.4` in team/planning: the token may not do this in \
                 project team/planning (403): it needs the `api` scope and at least the \
                 Reporter/Planner role; CI_JOB_TOKEN cannot create issues — use a project or \
                 group access token stored as a masked CI/CD variable"
                    .into()
            )
        );
    }

    #[test]
    fn forbidden_includes_insufficient_scope_detail() {
        let body = r#"{"error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": "api"}"#;
        let err = status_error(&creating(), 403, body);
        let TrackerError::Forbidden(message) = err else {
            panic!("{err:?}")
        };
        assert!(
            message.contains(
                "(403) (GitLab: insufficient_scope: The request requires higher privileges than \
                 provided by the access token. (needs scope `api`))"
            ),
            "{message}"
        );
    }

    #[test]
    fn not_found_project() {
        let err = status_error(&creating(), 404, r#"{"message": "404 Project Not Found"}"#);
        assert_eq!(
            err,
            TrackerError::NotFound(
                "creating the issue `Plan 17.4` in team/planning: project team/planning not \
                 found, or not visible to this token (404)"
                    .into()
            )
        );
    }

    #[test]
    fn not_found_issue_in_project() {
        let doing = Doing::write("closing team/planning#12", Place::Project("team/planning"))
            .about("issue #12");
        let err = status_error(&doing, 404, r#"{"message": "404 Not found"}"#);
        assert_eq!(
            err,
            TrackerError::NotFound(
                "closing team/planning#12: issue #12 in project team/planning not found, or \
                 not visible to this token (404)"
                    .into()
            )
        );
        // The project itself missing wins over the subject.
        let err = status_error(&doing, 404, r#"{"message": "404 Project Not Found"}"#);
        assert!(
            err.to_string()
                .contains(": project team/planning not found"),
            "{err}"
        );
    }

    #[test]
    fn validation_errors_are_flattened() {
        let body = r#"{"message": {"title": ["is too long (maximum is 255 characters)"]}}"#;
        let err = status_error(&creating(), 400, body);
        assert_eq!(
            err,
            TrackerError::Invalid(
                "creating the issue `Plan 17.4` in team/planning: GitLab refused it (400 Bad \
                 Request): title is too long (maximum is 255 characters)"
                    .into()
            )
        );
        let body = r#"{"message": {"title": ["can't be blank"], "base": ["Spam detected"],
            "labels": ["is invalid", "are too many"]}}"#;
        let err = status_error(&creating(), 422, body);
        assert!(
            err.to_string().ends_with(
                "(422 Unprocessable Entity): Spam detected; labels is invalid; labels are too \
                 many; title can't be blank"
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_parameter_error_is_quoted() {
        let err = status_error(&creating(), 400, r#"{"error": "confidential is invalid"}"#);
        assert!(
            err.to_string()
                .ends_with("GitLab refused it (400 Bad Request): confidential is invalid"),
            "{err}"
        );
    }

    #[test]
    fn non_json_bodies() {
        assert_eq!(gitlab_message(b""), None);
        assert_eq!(
            gitlab_message(b"Retry later\n").as_deref(),
            Some("Retry later")
        );
        assert_eq!(
            gitlab_message(b"<html><body>502</body></html>").as_deref(),
            Some("an HTML page instead of GitLab's JSON")
        );
        assert_eq!(
            gitlab_message(br#"{"message": {"error": "This endpoint has been requested too many times. Try again later."}}"#)
                .as_deref(),
            Some("This endpoint has been requested too many times. Try again later.")
        );
    }

    #[test]
    fn lost_write_is_uncertain_and_failing_read_is_unavailable() {
        let err = creating().fail(ApiError::client(TransportError::Uncertain {
            method: Method::POST,
            path: "/api/v4/projects/team%2Fplanning/issues".into(),
            cause: "GitLab answered 502 Bad Gateway".into(),
        }));
        assert_eq!(
            err,
            TrackerError::Uncertain(
                "creating the issue `Plan 17.4` in team/planning: the request was sent but no \
                 usable answer came back (GitLab answered 502 Bad Gateway); it may or may not \
                 have been done: check before trying again"
                    .into()
            )
        );
        let listing = Doing::read(
            "listing the issues of team/planning",
            Place::Project("team/planning"),
        );
        let err = listing.fail(ApiError::client(TransportError::Unavailable {
            method: Method::GET,
            path: "/api/v4/projects/team%2Fplanning/issues".into(),
            cause: "GitLab answered 503 Service Unavailable, after 4 attempts".into(),
        }));
        assert_eq!(
            err,
            TrackerError::Unavailable(
                "listing the issues of team/planning: GitLab is unavailable (GitLab answered 503 \
                 Service Unavailable, after 4 attempts); try again later"
                    .into()
            )
        );
    }

    #[test]
    fn unreadable_answers() {
        let source = serde_json::from_str::<u8>("x").unwrap_err();
        assert!(matches!(
            creating().unreadable(&source),
            TrackerError::Uncertain(_)
        ));
        let listing = Doing::read("listing", Place::Group("team"));
        assert!(matches!(
            listing.unreadable(&source),
            TrackerError::Unavailable(_)
        ));
    }

    #[test]
    fn users_are_instance_wide() {
        let doing = Doing::read("looking up the user alice", Place::Instance).about("user alice");
        let err = status_error(&doing, 404, r#"{"message": "404 User Not Found"}"#);
        assert!(
            err.to_string()
                .ends_with(": user alice not found, or not visible to this token (404)")
        );
        let err = status_error(&doing, 403, r#"{"message": "403 Forbidden"}"#);
        assert!(
            err.to_string()
                .contains("may not do this on this GitLab instance (403)")
        );
    }
}
