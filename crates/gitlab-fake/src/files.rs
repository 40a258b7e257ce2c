//! Repository files: `GET .../repository/files/:file_path/raw` and `GET .../files/:file_path`
//! (`ref` defaults to the default branch; an unknown ref is `404 Commit Not Found`, a
//! missing file `404 File Not Found`), `POST` to create (400 if it exists) and `PUT` to
//! update. The file path is one URL-encoded segment (`.gitlab%2Fissue_templates%2Fdev.md`).
//! CI job tokens may read files of their own project and of projects their user can see.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::app::{ApiRequest, App, created, ok};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::projects::{caller_can_read, visible_project};
use crate::store::{Project, RepoFile, Store, access};

/// A project the caller may read files of (job tokens: their project or what their user sees).
fn readable_project<'a>(
    store: &'a Store,
    id: &str,
    caller: &Caller,
) -> Result<&'a Project, ApiError> {
    store
        .find_project(id)
        .filter(|project| caller_can_read(store, caller, project))
        .ok_or_else(|| ApiError::not_found("Project"))
}

fn fake_sha(seed: u64) -> String {
    format!("{:040x}", seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Finds a file on a ref, with GitLab's two different 404s.
fn find_file<'a>(
    store: &'a Store,
    project: &Project,
    git_ref: &str,
    path: &str,
) -> Result<&'a RepoFile, ApiError> {
    if !project.branches.contains(git_ref) {
        return Err(ApiError::not_found("Commit"));
    }
    store
        .files
        .get(&(project.id, git_ref.to_owned(), path.to_owned()))
        .ok_or_else(|| ApiError::not_found("File"))
}

fn file_headers(headers: &mut HeaderMap, file: &RepoFile, path: &str, git_ref: &str) {
    let name = path.rsplit('/').next().unwrap_or(path);
    let pairs = [
        ("x-gitlab-blob-id", fake_sha(file.id)),
        ("x-gitlab-commit-id", fake_sha(file.id + 1)),
        ("x-gitlab-last-commit-id", fake_sha(file.id + 1)),
        ("x-gitlab-encoding", "base64".to_owned()),
        ("x-gitlab-file-name", name.to_owned()),
        ("x-gitlab-file-path", path.to_owned()),
        ("x-gitlab-ref", git_ref.to_owned()),
        ("x-gitlab-size", file.content.len().to_string()),
    ];
    for (header, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header, value);
        }
    }
}

/// `GET /projects/:id/repository/files/:file_path/raw`.
pub(crate) async fn raw(
    State(app): State<App>,
    Path((id, file_path)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    let store = app.store();
    let project = readable_project(&store, &id, &request.caller)?;
    let git_ref = request
        .params
        .string("ref")
        .filter(|git_ref| !git_ref.is_empty())
        .unwrap_or_else(|| project.default_branch.clone());
    let file = find_file(&store, project, &git_ref, &file_path)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    file_headers(&mut headers, file, &file_path, &git_ref);
    Ok((StatusCode::OK, headers, file.content.clone()).into_response())
}

/// `GET /projects/:id/repository/files/:file_path` (metadata and base64 content).
pub(crate) async fn show(
    State(app): State<App>,
    Path((id, file_path)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let git_ref = request.params.required_string("ref");
    request.params.finish()?;
    let git_ref = git_ref.unwrap_or_default();
    let store = app.store();
    let project = readable_project(&store, &id, &request.caller)?;
    let file = find_file(&store, project, &git_ref, &file_path)?;
    let name = file_path.rsplit('/').next().unwrap_or(&file_path);
    let mut headers = HeaderMap::new();
    file_headers(&mut headers, file, &file_path, &git_ref);
    let body = json!({
        "file_name": name,
        "file_path": file_path,
        "size": file.content.len(),
        "encoding": "base64",
        "content": STANDARD.encode(&file.content),
        "ref": git_ref,
        "blob_id": fake_sha(file.id),
        "commit_id": fake_sha(file.id + 1),
        "last_commit_id": fake_sha(file.id + 1),
        "execute_filemode": false,
    });
    Ok((headers, ok(body)).into_response())
}

/// Whether a write creates or replaces a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Update,
}

async fn write(
    app: App,
    id: String,
    file_path: String,
    mut request: ApiRequest,
    mode: Write,
) -> ApiResult {
    let caller = request.caller.user()?.user_id;
    let params = &mut request.params;
    let branch = params.required_string("branch");
    let commit_message = params.required_string("commit_message");
    let start_branch = params
        .string("start_branch")
        .filter(|branch| !branch.is_empty());
    let content = params.required_string("content");
    let encoding = params.choice("encoding", &["text", "base64"]);
    params.finish()?;
    let (Some(branch), Some(commit_message), Some(content)) = (branch, commit_message, content)
    else {
        return Err(ApiError::bad_request(None));
    };
    let content = if encoding.as_deref() == Some("base64") {
        STANDARD
            .decode(content.trim())
            .map_err(|_| ApiError::bad_request_text("content is not valid base64"))?
    } else {
        content.into_bytes()
    };
    let mut store = app.store();
    let project = visible_project(&store, &id, Some(caller))?;
    let project_id = project.id;
    if store.project_access(Some(caller), project) < access::DEVELOPER {
        return Err(ApiError::forbidden());
    }
    if !project.branches.contains(&branch) {
        match &start_branch {
            Some(start) if project.branches.contains(start) => {
                let start = start.clone();
                store.create_branch(project_id, &start, &branch);
            }
            Some(_) => return Err(ApiError::bad_request_text("Invalid start branch name")),
            None if project.branches.is_empty() => {}
            None => {
                return Err(ApiError::bad_request_text(
                    "You can only create or edit files when you are on a branch",
                ));
            }
        }
    }
    let exists = store
        .files
        .contains_key(&(project_id, branch.clone(), file_path.clone()));
    match (mode, exists) {
        (Write::Create, true) => {
            return Err(ApiError::bad_request_text(
                "A file with this name already exists",
            ));
        }
        (Write::Update, false) => {
            return Err(ApiError::bad_request_text(
                "A file with this name doesn't exist",
            ));
        }
        _ => {}
    }
    store.put_file(project_id, &branch, &file_path, content, &commit_message);
    let body = json!({ "file_path": file_path, "branch": branch });
    Ok(match mode {
        Write::Create => created(body),
        Write::Update => ok(body),
    })
}

/// `POST /projects/:id/repository/files/:file_path`.
pub(crate) async fn create(
    State(app): State<App>,
    Path((id, file_path)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    write(app, id, file_path, request, Write::Create).await
}

/// `PUT /projects/:id/repository/files/:file_path`.
pub(crate) async fn update(
    State(app): State<App>,
    Path((id, file_path)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    write(app, id, file_path, request, Write::Update).await
}
