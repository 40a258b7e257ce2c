//! Issue links: `POST .../links` (`target_project_id` id or path, `target_issue_iid`,
//! `link_type` relates_to/blocks/is_blocked_by; 409 `Issue(s) already assigned` for a pair
//! already linked either way) and `GET .../links` (linked issues with `issue_link_id`,
//! `link_type` seen from this issue, and link timestamps).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::issues::{issue_json, visible_issue};
use crate::projects::visible_project;
use crate::store::{LinkType, access};

/// `POST /projects/:id/issues/:issue_iid/links`.
pub(crate) async fn create(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.user_id;
    let params = &mut request.params;
    let target_project = params.required_string("target_project_id");
    let target_iid = params.required_string("target_issue_iid");
    let link_type = params
        .choice("link_type", &["relates_to", "blocks", "is_blocked_by"])
        .unwrap_or_else(|| "relates_to".to_owned());
    params.finish()?;
    let (Some(target_project), Some(target_iid)) = (target_project, target_iid) else {
        return Err(ApiError::bad_request(None));
    };
    let mut store = app.store();
    let source_project = visible_project(&store, &id, Some(caller))?;
    let source_project_id = source_project.id;
    if store.project_access(Some(caller), source_project) < access::GUEST {
        return Err(ApiError::forbidden());
    }
    let source = visible_issue(&store, source_project_id, &iid, Some(caller))?.id;
    let target_project_id = visible_project(&store, &target_project, Some(caller))?.id;
    let target = visible_issue(&store, target_project_id, &target_iid, Some(caller))?.id;
    if source == target {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "Issue(s) cannot be linked to itself",
        ));
    }
    let duplicate = store.links.values().any(|link| {
        (link.source_issue_id == source && link.target_issue_id == target)
            || (link.source_issue_id == target && link.target_issue_id == source)
    });
    if duplicate {
        return Err(ApiError::conflict("Issue(s) already assigned"));
    }
    let link_type = LinkType::parse(&link_type).unwrap_or(LinkType::RelatesTo);
    store.add_link(source, target, link_type);
    Ok(created(json!({
        "source_issue": issue_json(&store, &store.issues[&source]),
        "target_issue": issue_json(&store, &store.issues[&target]),
        "link_type": link_type.as_str(),
    })))
}

/// `GET /projects/:id/issues/:issue_iid/links`.
pub(crate) async fn list(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    let issue = visible_issue(&store, project.id, &iid, user)?.id;
    let mut items: Vec<Value> = Vec::new();
    for link in store.links.values() {
        let (other, link_type) = if link.source_issue_id == issue {
            (link.target_issue_id, link.link_type)
        } else if link.target_issue_id == issue {
            (link.source_issue_id, link.link_type.inverse())
        } else {
            continue;
        };
        let Some(other) = store.issues.get(&other) else {
            continue;
        };
        if !store.can_read_issue(user, other) {
            continue;
        }
        let mut value = issue_json(&store, other);
        if let Value::Object(object) = &mut value {
            object.insert("issue_link_id".to_owned(), json!(link.id));
            object.insert("link_type".to_owned(), json!(link_type.as_str()));
            object.insert(
                "link_created_at".to_owned(),
                json!(timestamp(link.created_at)),
            );
            object.insert(
                "link_updated_at".to_owned(),
                json!(timestamp(link.created_at)),
            );
        }
        items.push(value);
    }
    Ok(ok(Value::Array(items)))
}
