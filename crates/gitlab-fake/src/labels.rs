//! Project labels: `GET /projects/:id/labels` (the project's and its groups'),
//! `POST /projects/:id/labels`, and one label by id or title:
//! `GET`/`DELETE /projects/:id/labels/:label_id`. Job tokens cannot read labels.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{self, LinkBase, PageRequest};
use crate::projects::visible_project;
use crate::store::{Label, Owner, Store, access};

/// Colour given to labels created implicitly (by `labels=` on an issue).
pub(crate) const DEFAULT_COLOR: &str = "#6699cc";

/// The label entity.
pub(crate) fn label_json(label: &Label) -> Value {
    json!({
        "id": label.id,
        "name": label.name,
        "description": label.description,
        "description_html": label.description.clone().unwrap_or_default(),
        "text_color": "#FFFFFF",
        "color": label.color,
        "subscribed": false,
        "priority": null,
        "is_project_label": matches!(label.owner, Owner::Project(_)),
    })
}

/// `GET /projects/:id/labels`.
pub(crate) async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let search = request
        .params
        .string("search")
        .map(|text| text.to_lowercase());
    let include_ancestors = request
        .params
        .bool("include_ancestor_groups")
        .unwrap_or(true);
    let page = PageRequest::read(&mut request.params);
    request.params.finish()?;
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    let mut labels: Vec<&Label> = store
        .labels_for_project(project)
        .into_iter()
        .filter(|label| include_ancestors || label.owner == Owner::Project(project.id))
        .filter(|label| {
            search
                .as_deref()
                .is_none_or(|needle| label.name.to_lowercase().contains(needle))
        })
        .collect();
    labels.sort_by_key(|label| label.name.to_lowercase());
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone())],
    );
    Ok(pagination::offset(&labels, page, &link, |label| {
        label_json(label)
    }))
}

fn valid_color(color: &str) -> bool {
    match color.strip_prefix('#') {
        Some(hex) => {
            (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        None => !color.is_empty() && color.chars().all(|c| c.is_ascii_alphabetic()),
    }
}

/// `POST /projects/:id/labels`.
pub(crate) async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let name = request.params.required_string("name");
    let color = request.params.required_string("color");
    let description = request.params.string("description");
    request.params.finish()?;
    let (Some(name), Some(color)) = (name, color) else {
        return Err(ApiError::bad_request(None));
    };
    let mut store = app.store();
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    if store.project_access(Some(caller.user_id), project) < access::PLANNER {
        return Err(ApiError::forbidden());
    }
    if !valid_color(&color) {
        return Err(ApiError::validation(&[(
            "color",
            "must be a valid color code".to_owned(),
        )]));
    }
    let project_id = project.id;
    if store
        .labels_for_project(project)
        .iter()
        .any(|label| label.owner == Owner::Project(project_id) && label.name == name)
    {
        return Err(ApiError::conflict("Label already exists"));
    }
    let label_id = store.create_label(Owner::Project(project_id), &name, &color, description);
    Ok(created(label_json(&store.labels[&label_id])))
}

/// The label `id_or_title` names among `labels`, as GitLab's `find_label` looks it up: by
/// id first, then by title; `404 Label Not Found` when neither matches.
fn find<'a>(labels: &[&'a Label], id_or_title: &str) -> Result<&'a Label, ApiError> {
    let by_id = id_or_title
        .parse::<u64>()
        .ok()
        .and_then(|id| labels.iter().find(|label| label.id == id));
    by_id
        .or_else(|| labels.iter().find(|label| label.name == id_or_title))
        .copied()
        .ok_or_else(|| ApiError::not_found("Label"))
}

/// `GET /projects/:id/labels/:label_id`: one of the project's labels or its groups' ones
/// (`include_ancestor_groups`, default true), by id or title.
///
/// <https://docs.gitlab.com/api/labels/#get-a-single-project-label>
pub(crate) async fn show(
    State(app): State<App>,
    Path((id, label_id)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let include_ancestors = request
        .params
        .bool("include_ancestor_groups")
        .unwrap_or(true);
    request.params.finish()?;
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    let labels: Vec<&Label> = store
        .labels_for_project(project)
        .into_iter()
        .filter(|label| include_ancestors || label.owner == Owner::Project(project.id))
        .collect();
    Ok(ok(label_json(find(&labels, &label_id)?)))
}

/// `DELETE /projects/:id/labels/:label_id`: deletes a label of the project itself (not a
/// group's), by id or title; `204 No Content`.
///
/// <https://docs.gitlab.com/api/labels/#delete-a-label>
pub(crate) async fn delete(
    State(app): State<App>,
    Path((id, label_id)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    request.params.finish()?;
    let mut store = app.store();
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    if store.project_access(Some(caller.user_id), project) < access::PLANNER {
        return Err(ApiError::forbidden());
    }
    let own: Vec<&Label> = store
        .labels_for_project(project)
        .into_iter()
        .filter(|label| label.owner == Owner::Project(project.id))
        .collect();
    let label_id = find(&own, &label_id)?.id;
    store.labels.remove(&label_id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Makes sure each title exists for the project, creating project labels for unknown ones.
pub(crate) fn ensure_labels(store: &mut Store, project_id: u64, titles: &[String]) {
    let Some(project) = store.projects.get(&project_id).cloned() else {
        return;
    };
    let known: Vec<String> = store
        .labels_for_project(&project)
        .iter()
        .map(|label| label.name.clone())
        .collect();
    for title in titles {
        if !known.contains(title) {
            store.create_label(Owner::Project(project_id), title, DEFAULT_COLOR, None);
        }
    }
}
