//! The generic package registry: `PUT` and `GET
//! /projects/:id/packages/generic/:package_name/:package_version/:file_name`.
//!
//! The body of a `PUT` is the raw file (what `curl --upload-file` sends), so these handlers
//! read the request themselves instead of going through [`ApiRequest`](crate::app::ApiRequest),
//! which parses bodies as parameters and caps them at 16 MiB: release binaries are tens of
//! megabytes, and only the query string carries parameters here.
//!
//! Status codes and bodies follow GitLab's `API::GenericPackages` with its packages auth
//! helpers, which differ from the rest of the API: a project the caller cannot see is a 401
//! for an anonymous caller (with a `WWW-Authenticate: Basic` realm) and a plain
//! `404 Not Found` otherwise (not `404 Project Not Found`); a missing package or file is
//! `404 Not found`, the answer of an `ActiveRecord::RecordNotFound`.

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::{App, created};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::projects::caller_can_read;
use crate::store::{Project, Store, access};

/// Largest package file accepted. GitLab's default `generic_packages_max_file_size` is
/// 5 GiB; a fake holding everything in memory stops far lower, still well above the
/// release binaries (~30 MB) the tests upload.
pub(crate) const UPLOAD_LIMIT: usize = 200 * 1024 * 1024;

/// The realm GitLab's package registry announces when it wants credentials.
const REALM: &str = "Basic realm=\"GitLab Packages Registry\"";

/// The project id and the three package path parameters, as axum decoded them.
type PackagePath = Path<(String, String, String, String)>;

/// 401 for a caller without credentials, with the registry's Basic realm (GitLab's
/// `unauthorized!` in the packages helpers adds it; a wrong token gets the plain 401).
fn anonymous_unauthorized() -> ApiError {
    ApiError::unauthorized().with_header(WWW_AUTHENTICATE, HeaderValue::from_static(REALM))
}

/// GitLab's `generic_package_name_regex` (the Maven file name regex):
/// `\A[A-Za-z0-9\.\_\-\+]+\z`.
fn valid_package_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
}

/// GitLab's `generic_package_version_regex` (the Maven version regex):
/// `\A(?!.*\.\.)[\w+.-]+\z`, with Ruby's ASCII `\w`. Versions used to be strictly
/// `X.Y.Z`; now `1.2`, `v1.2.4-build` or a commit SHA pass, and only `..` and other
/// characters are refused.
fn valid_package_version(version: &str) -> bool {
    !version.is_empty()
        && !version.contains("..")
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '.' | '-'))
}

/// The documented file name format: letters, digits, `.`, `_`, `-`, `+`, `~` and `@`, not
/// starting or ending with `~` or `@`. (GitLab also accepts `/` through its optional
/// sub-path segments, which the fake does not route: a file name is one path segment.)
fn valid_file_name(file_name: &str) -> bool {
    let edge_ok = |c: Option<char>| !matches!(c, None | Some('~' | '@'));
    edge_ok(file_name.chars().next())
        && edge_ok(file_name.chars().last())
        && file_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~' | '@'))
}

/// Grape's `file_path` validator on a single segment: `Gitlab::PathTraversal` refuses a
/// path that is exactly `.` or `..` (the characters themselves pass the regexes).
fn traverses(segment: &str) -> bool {
    segment == "." || segment == ".."
}

/// Validates the path parameters like Grape: every problem, in declaration order, joined
/// into one 400 `{"error": "..."}`.
fn validate(name: &str, version: &str, file_name: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if !valid_package_name(name) {
        errors.push("package_name is invalid".to_owned());
    } else if traverses(name) {
        errors.push("package_name should be a valid file path".to_owned());
    }
    if !valid_package_version(version) {
        errors.push("package_version is invalid".to_owned());
    }
    if !valid_file_name(file_name) {
        errors.push("file_name is invalid".to_owned());
    } else if traverses(file_name) {
        errors.push("file_name should be a valid file path".to_owned());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::params(&errors))
    }
}

/// Authenticates from the headers and the query string only (the body is the file).
fn authenticate(store: &Store, request: &Request) -> Result<Caller, ApiError> {
    let mut params = Params::parse(request.uri().query(), None, &[])?;
    auth::authenticate(store, request.method(), request.headers(), &mut params)
}

/// The project if the caller may read its packages. A job token reads its own project and
/// whatever its user can see (the job-token allowlist is not modelled); reading packages
/// needs the same access as reading the project (Guest+ on a private one: current GitLab
/// lets guests pull packages).
fn readable_project<'a>(
    store: &'a Store,
    id: &str,
    caller: &Caller,
) -> Result<&'a Project, ApiError> {
    let project = store
        .find_project(id)
        .filter(|project| caller_can_read(store, caller, project));
    match (project, caller) {
        (Some(project), _) => Ok(project),
        (None, Caller::Anonymous) => Err(anonymous_unauthorized()),
        (None, _) => Err(ApiError::message(StatusCode::NOT_FOUND, "404 Not Found")),
    }
}

/// Why a body was not read whole.
#[derive(Debug, PartialEq, Eq)]
enum BodyError {
    /// Over [`UPLOAD_LIMIT`] (or the limit given).
    TooLarge,
    /// The client went away or sent a broken body.
    Unreadable,
}

/// Reads a body up to `limit` bytes. An announced `Content-Length` over the limit fails at
/// once; otherwise reading stops as soon as the limit is passed, so a huge upload costs at
/// most `limit` bytes of memory.
async fn read_body(
    mut body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let capacity = announced.map_or(0, |length| length as usize);
    let mut bytes = Vec::with_capacity(capacity);
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// `PUT /projects/:id/packages/generic/:package_name/:package_version/:file_name`.
pub(crate) async fn upload(
    State(app): State<App>,
    Path((id, name, version, file_name)): PackagePath,
    request: Request,
) -> ApiResult {
    let (parts, body) = request.into_parts();
    // Read (or give up on) the body before answering anything, so that a client still
    // sending a large file gets the answer rather than a reset connection.
    let content = read_body(body, &parts.headers, UPLOAD_LIMIT).await;
    let request = Request::from_parts(parts, Body::empty());

    let mut store = app.store();
    let caller = authenticate(&store, &request)?;
    // GitLab's `authenticate_non_get!` runs before the parameters are validated.
    let uploader = caller.user_id().ok_or_else(anonymous_unauthorized)?;
    validate(&name, &version, &file_name)?;
    let project = readable_project(&store, &id, &caller)?;
    // Publishing needs Developer+ (`create_package`); a job acts with its user's role.
    if store.project_access(Some(uploader), project) < access::DEVELOPER {
        return Err(ApiError::forbidden());
    }
    let project_id = project.id;
    let content = match content {
        Ok(content) => content,
        Err(BodyError::TooLarge) => return Err(ApiError::bad_request(Some("File is too large"))),
        Err(BodyError::Unreadable) => {
            return Err(ApiError::bad_request(Some(
                "the request body could not be read",
            )));
        }
    };
    store.add_package_file(project_id, &name, &version, &file_name, content, uploader);
    Ok(created(json!({ "message": "201 Created" })))
}

/// `GET /projects/:id/packages/generic/:package_name/:package_version/:file_name`: the most
/// recent upload of that file name, as an attachment.
pub(crate) async fn download(
    State(app): State<App>,
    Path((id, name, version, file_name)): PackagePath,
    request: Request,
) -> ApiResult {
    let store = app.store();
    let caller = authenticate(&store, &request)?;
    validate(&name, &version, &file_name)?;
    let project = readable_project(&store, &id, &caller)?;
    let not_found = || ApiError::message(StatusCode::NOT_FOUND, "404 Not found");
    let file = store
        .package(project.id, &name, &version)
        .ok_or_else(not_found)?
        .latest_file(&file_name)
        .ok_or_else(not_found)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // The file name passed validation, so it needs no quoting or percent-encoding.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{file_name}\"; filename*=UTF-8''{file_name}"
    )) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok((StatusCode::OK, headers, file.content.clone()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_versions_and_file_names_follow_gitlabs_formats() {
        for name in ["mypackage", "my_package", "my-package.v2", "c++"] {
            assert!(valid_package_name(name), "{name}");
        }
        for name in ["", "my package", "my/package", "pkg@1", "ünïcode"] {
            assert!(!valid_package_name(name), "{name}");
        }
        // GitLab's own accepted and refused examples.
        for version in [
            "1.3.350-20201230123456",
            "1.2.3",
            "1.2.3g",
            "1.2",
            "1.2.bananas",
            "v1.2.4-build",
            "d50d836eb3de6177ce6c7a5482f27f9c2c84b672",
            "1.0.0+build_7",
        ] {
            assert!(valid_package_version(version), "{version}");
        }
        for version in [
            "",
            "..1.2.3",
            "1.2.3-4/../../",
            "1..2",
            "1.0 beta",
            "1.0~rc1",
        ] {
            assert!(!valid_package_version(version), "{version}");
        }
        for file in [
            "myfile.tar.gz",
            "my+file.tar.gz",
            "my~file",
            "myfile@1.1.tar.gz",
        ] {
            assert!(valid_file_name(file), "{file}");
        }
        for file in [
            "", "~myfile", "myfile~", "@myfile", "myfile@", "a/b", "my file",
        ] {
            assert!(!valid_file_name(file), "{file}");
        }
    }

    /// The 400 body of a refused set of parameters.
    async fn refusal(name: &str, version: &str, file_name: &str) -> serde_json::Value {
        let response = validate(name, version, file_name)
            .expect_err("refused")
            .into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[tokio::test]
    async fn every_bad_parameter_is_reported_at_once_in_grapes_words() {
        assert_eq!(
            refusal("my package", "1..0", "~x").await,
            json!({"error": "package_name is invalid, package_version is invalid, file_name is invalid"})
        );
        assert_eq!(
            refusal("..", "1.0.0", ".").await,
            json!({"error": "package_name should be a valid file path, file_name should be a valid file path"})
        );
        assert!(validate("pkg", "1.0.0", "file.bin").is_ok());
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_without_reading_them_whole() {
        let headers = HeaderMap::new();
        let small = read_body(Body::from(vec![7u8; 10]), &headers, 10).await;
        assert_eq!(small, Ok(vec![7u8; 10]));
        let large = read_body(Body::from(vec![7u8; 11]), &headers, 10).await;
        assert_eq!(large, Err(BodyError::TooLarge));

        let mut announced = HeaderMap::new();
        announced.insert(CONTENT_LENGTH, HeaderValue::from_static("11"));
        let refused = read_body(Body::empty(), &announced, 10).await;
        assert_eq!(refused, Err(BodyError::TooLarge));
    }
}
