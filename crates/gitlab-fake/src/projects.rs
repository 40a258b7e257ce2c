//! Projects: `POST /projects`, `GET /projects/:id` (numeric id or URL-encoded full path,
//! nested groups included) and `POST /projects/:id/members`. A project the caller cannot
//! see answers 404 `Project Not Found`, never 403.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok, timestamp};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::groups;
use crate::store::{Namespace, Project, Store, Visibility, access};

/// The project entity; `viewer` adds the `permissions` block for that user.
pub(crate) fn project_json(store: &Store, project: &Project, viewer: Option<u64>) -> Value {
    let full_path = store.project_full_path(project);
    let web_url = format!("{}/{}", store.base_url, full_path);
    let host = store.base_url.trim_start_matches("http://");
    let namespace = match project.namespace {
        Namespace::Group(id) => store.groups.get(&id).map(|group| {
            json!({
                "id": group.id,
                "name": group.name,
                "path": group.path,
                "kind": "group",
                "full_path": store.group_full_path(group),
                "parent_id": group.parent_id,
                "avatar_url": null,
                "web_url": format!("{}/groups/{}", store.base_url, store.group_full_path(group)),
            })
        }),
        Namespace::User(id) => store.users.get(&id).map(|user| {
            json!({
                "id": user.namespace_id,
                "name": user.name,
                "path": user.username,
                "kind": "user",
                "full_path": user.username,
                "parent_id": null,
                "avatar_url": null,
                "web_url": format!("{}/{}", store.base_url, user.username),
            })
        }),
    };
    let namespace_name = match project.namespace {
        Namespace::Group(id) => store
            .groups
            .get(&id)
            .map(|group| store.group_full_name(group))
            .unwrap_or_default(),
        Namespace::User(id) => store
            .users
            .get(&id)
            .map(|user| user.name.clone())
            .unwrap_or_default(),
    };
    let api = format!("{}/api/v4/projects/{}", store.base_url, project.id);
    let mut value = json!({
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": format!("{namespace_name} / {}", project.name),
        "path": project.path,
        "path_with_namespace": full_path,
        "created_at": timestamp(project.created_at),
        "default_branch": project.default_branch,
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": format!("git@{host}:{full_path}.git"),
        "http_url_to_repo": format!("{web_url}.git"),
        "web_url": web_url,
        "readme_url": null,
        "forks_count": 0,
        "avatar_url": null,
        "star_count": 0,
        "last_activity_at": timestamp(project.created_at),
        "namespace": namespace,
        "visibility": project.visibility.as_str(),
        "empty_repo": project.branches.is_empty(),
        "archived": false,
        "issues_enabled": true,
        "issues_access_level": "enabled",
        "repository_access_level": "enabled",
        "_links": {
            "self": api,
            "issues": format!("{api}/issues"),
            "merge_requests": format!("{api}/merge_requests"),
            "repo_branches": format!("{api}/repository/branches"),
            "labels": format!("{api}/labels"),
            "events": format!("{api}/events"),
            "members": format!("{api}/members"),
        },
    });
    if let Some(viewer) = viewer
        && let Value::Object(object) = &mut value
    {
        let project_access = project
            .members
            .get(&viewer)
            .map(|level| json!({ "access_level": level, "notification_level": 3 }))
            .unwrap_or(Value::Null);
        let group_access = match project.namespace {
            Namespace::Group(id) => {
                let level = store.group_access(Some(viewer), id);
                if level > access::NONE {
                    json!({ "access_level": level, "notification_level": 3 })
                } else {
                    Value::Null
                }
            }
            Namespace::User(_) => Value::Null,
        };
        object.insert(
            "permissions".to_owned(),
            json!({ "project_access": project_access, "group_access": group_access }),
        );
    }
    value
}

/// Finds a project the caller may see, by id or full path; 404 Project Not Found otherwise.
pub(crate) fn visible_project<'a>(
    store: &'a Store,
    id: &str,
    user: Option<u64>,
) -> Result<&'a Project, ApiError> {
    store
        .find_project(id)
        .filter(|project| store.can_read_project(user, project))
        .ok_or_else(|| ApiError::not_found("Project"))
}

/// Whether `caller` may read `project`. A CI job token reads its own project and whatever its
/// job's user can see (the job-token allowlist is not modelled); other callers as their user.
pub(crate) fn caller_can_read(store: &Store, caller: &Caller, project: &Project) -> bool {
    match caller {
        Caller::Job(job) => {
            project.id == job.project_id || store.can_read_project(Some(job.user_id), project)
        }
        other => store.can_read_project(other.user_id(), project),
    }
}

/// GitLab's path from a name: lowercase, runs of other characters become `-`.
pub(crate) fn parameterize(name: &str) -> String {
    let mut path = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            path.push(c.to_ascii_lowercase());
        } else if !path.ends_with('-') {
            path.push('-');
        }
    }
    path.trim_matches('-').to_owned()
}

/// `POST /projects`.
pub(crate) async fn create(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let params = &mut request.params;
    let name = params.string("name").filter(|name| !name.is_empty());
    let path = params.string("path").filter(|path| !path.is_empty());
    if name.is_none() && path.is_none() {
        params.push_error(
            "name, path are missing, at least one parameter must be provided".to_owned(),
        );
    }
    let namespace_param = params.string("namespace_id");
    let visibility = params.choice("visibility", &["private", "internal", "public"]);
    let description = params.string("description");
    let default_branch = params
        .string("default_branch")
        .filter(|branch| !branch.is_empty())
        .unwrap_or_else(|| "main".to_owned());
    let readme = params.bool("initialize_with_readme").unwrap_or(false);
    params.finish()?;
    let name = name.or_else(|| path.clone()).unwrap_or_default();
    let path = path.unwrap_or_else(|| parameterize(&name));

    let mut store = app.store();
    let namespace = match namespace_param.as_deref() {
        None | Some("") => Some(Namespace::User(caller.user_id)),
        Some(raw) => resolve_namespace(&store, raw),
    };
    let allowed = match namespace {
        Some(Namespace::Group(id)) => {
            store
                .groups
                .get(&id)
                .is_some_and(|group| store.can_read_group(Some(caller.user_id), group))
                && store.group_access(Some(caller.user_id), id) >= access::DEVELOPER
        }
        Some(Namespace::User(id)) => id == caller.user_id || caller.admin,
        None => false,
    };
    let Some(namespace) = namespace.filter(|_| allowed) else {
        return Err(ApiError::validation(&[(
            "namespace",
            "is not valid".to_owned(),
        )]));
    };
    let siblings: Vec<&Project> = store
        .projects
        .values()
        .filter(|project| project.namespace == namespace)
        .collect();
    let mut problems = Vec::new();
    if siblings
        .iter()
        .any(|project| project.name.eq_ignore_ascii_case(&name))
    {
        problems.push(("name", "has already been taken".to_owned()));
    }
    if siblings
        .iter()
        .any(|project| project.path.eq_ignore_ascii_case(&path))
    {
        problems.push(("path", "has already been taken".to_owned()));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let visibility = visibility
        .as_deref()
        .and_then(Visibility::parse)
        .unwrap_or_default();
    let id = store.create_project(
        &name,
        &path,
        namespace,
        visibility,
        description,
        &default_branch,
    );
    if readme {
        store.put_file(
            id,
            &default_branch,
            "README.md",
            format!("# {name}\n").into_bytes(),
            "Initial commit",
        );
    }
    let project = &store.projects[&id];
    Ok(created(project_json(&store, project, Some(caller.user_id))))
}

fn resolve_namespace(store: &Store, raw: &str) -> Option<Namespace> {
    if let Ok(id) = raw.parse::<u64>() {
        if store.groups.contains_key(&id) {
            return Some(Namespace::Group(id));
        }
        return store
            .users
            .values()
            .find(|user| user.namespace_id == id)
            .map(|user| Namespace::User(user.id));
    }
    if let Some(group) = store.find_group(raw) {
        return Some(Namespace::Group(group.id));
    }
    store
        .user_by_username(raw)
        .map(|user| Namespace::User(user.id))
}

/// `GET /projects/:id`.
pub(crate) async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    let user = request.caller.user_id();
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    Ok(ok(project_json(&store, project, user)))
}

/// `POST /projects/:id/members`.
pub(crate) async fn add_member(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let mut store = app.store();
    let project_id = visible_project(&store, &id, Some(caller.user_id))?.id;
    let (user_id, level) = groups::read_membership(&store, &mut request)?;
    let own = store.project_access(Some(caller.user_id), &store.projects[&project_id]);
    let project = store
        .projects
        .get_mut(&project_id)
        .ok_or_else(|| ApiError::not_found("Project"))?;
    groups::grant(&mut project.members, own, user_id, level)?;
    Ok(created(groups::member_json(&store, user_id, level)))
}

#[cfg(test)]
mod tests {
    use super::parameterize;

    #[test]
    fn names_become_paths() {
        assert_eq!(parameterize("My App"), "my-app");
        assert_eq!(parameterize("  Team  Cadence! "), "team-cadence");
    }
}
