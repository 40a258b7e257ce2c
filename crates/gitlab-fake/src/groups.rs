//! Groups: `POST /groups`, `GET /groups/:id` (numeric id or URL-encoded full path) and
//! `POST /groups/:id/members`. A group the caller cannot see answers 404.

use axum::extract::{Path, State};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::app::{ApiRequest, App, created, ok, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::store::{Group, Store, Visibility, access};
use crate::{projects, users};

/// The group entity.
pub(crate) fn group_json(store: &Store, group: &Group) -> Value {
    let full_path = store.group_full_path(group);
    json!({
        "id": group.id,
        "web_url": format!("{}/groups/{}", store.base_url, full_path),
        "name": group.name,
        "path": group.path,
        "description": group.description,
        "visibility": group.visibility.as_str(),
        "share_with_group_lock": false,
        "require_two_factor_authentication": false,
        "two_factor_grace_period": 48,
        "project_creation_level": "developer",
        "auto_devops_enabled": null,
        "subgroup_creation_level": "maintainer",
        "emails_disabled": false,
        "emails_enabled": true,
        "mentions_disabled": null,
        "lfs_enabled": true,
        "default_branch": null,
        "avatar_url": null,
        "request_access_enabled": true,
        "full_name": store.group_full_name(group),
        "full_path": full_path,
        "created_at": timestamp(group.created_at),
        "parent_id": group.parent_id,
        "organization_id": 1,
        "shared_runners_setting": "enabled",
        "ldap_cn": null,
        "ldap_access": null,
        "wiki_access_level": "enabled",
    })
}

/// Finds a group the caller may see, by id or full path; 404 Group Not Found otherwise.
pub(crate) fn visible_group<'a>(
    store: &'a Store,
    id: &str,
    user: Option<u64>,
) -> Result<&'a Group, ApiError> {
    store
        .find_group(id)
        .filter(|group| store.can_read_group(user, group))
        .ok_or_else(|| ApiError::not_found("Group"))
}

/// `POST /groups`.
pub(crate) async fn create(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let params = &mut request.params;
    let name = params.required_string("name");
    let path = params.required_string("path");
    let parent_id = params.u64("parent_id");
    let visibility = params.choice("visibility", &["private", "internal", "public"]);
    let description = params.string("description").unwrap_or_default();
    params.finish()?;
    let (Some(name), Some(path)) = (name, path) else {
        return Err(ApiError::bad_request(None));
    };
    let mut store = app.store();
    if let Some(parent) = parent_id {
        let parent = visible_group(&store, &parent.to_string(), Some(caller.user_id))?;
        if store.group_access(Some(caller.user_id), parent.id) < access::MAINTAINER {
            return Err(ApiError::forbidden());
        }
    }
    if store.namespace_path_taken(parent_id, &path) {
        return Err(ApiError::bad_request_text(
            "Failed to save group {:path=>[\"has already been taken\"]}",
        ));
    }
    let visibility = visibility
        .as_deref()
        .and_then(Visibility::parse)
        .unwrap_or_default();
    let id = store.create_group(&name, &path, parent_id, visibility, &description);
    if let Some(group) = store.groups.get_mut(&id) {
        group.members.insert(caller.user_id, access::OWNER);
    }
    let group = &store.groups[&id];
    Ok(created(group_json(&store, group)))
}

/// `GET /groups/:id`: the group with the projects the caller can see.
pub(crate) async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    let user = request.caller.user_id();
    let store = app.store();
    let group = visible_group(&store, &id, user)?;
    let mut value = group_json(&store, group);
    let projects: Vec<Value> = store
        .projects
        .values()
        .filter(|project| project.namespace == crate::store::Namespace::Group(group.id))
        .filter(|project| store.can_read_project(user, project))
        .map(|project| projects::project_json(&store, project, None))
        .collect();
    if let Value::Object(object) = &mut value {
        object.insert("projects".to_owned(), Value::Array(projects));
        object.insert("shared_projects".to_owned(), Value::Array(Vec::new()));
    }
    Ok(ok(value))
}

/// The member entity (a user with their access level).
/// Adds a member as GitLab allows: the caller is at least a Maintainer and grants no more
/// than their own level unless they are an Owner; an existing member is a conflict.
pub(crate) fn grant(
    members: &mut BTreeMap<u64, u32>,
    own: u32,
    user_id: u64,
    level: u32,
) -> Result<(), ApiError> {
    if own < access::MAINTAINER || (own < access::OWNER && level > own) {
        return Err(ApiError::forbidden());
    }
    if members.contains_key(&user_id) {
        return Err(ApiError::conflict("Member already exists"));
    }
    members.insert(user_id, level);
    Ok(())
}

pub(crate) fn member_json(store: &Store, user_id: u64, level: u32) -> Value {
    let mut value = store
        .users
        .get(&user_id)
        .map(|user| users::basic_json(store, user))
        .unwrap_or(Value::Null);
    if let Value::Object(object) = &mut value {
        object.insert("access_level".to_owned(), json!(level));
        object.insert("expires_at".to_owned(), Value::Null);
        object.insert("membership_state".to_owned(), json!("active"));
    }
    value
}

/// Reads `user_id` (id or username) and `access_level` for a membership request.
pub(crate) fn read_membership(
    store: &Store,
    request: &mut ApiRequest,
) -> Result<(u64, u32), ApiError> {
    let params = &mut request.params;
    let user = params
        .string("user_id")
        .or_else(|| params.string("username"));
    if user.is_none() {
        params.push_error("user_id is missing".to_owned());
    }
    let level = params.choice("access_level", &["5", "10", "15", "20", "30", "40", "50"]);
    if !params.has("access_level") {
        params.push_error("access_level is missing".to_owned());
    }
    params.finish()?;
    let user = store
        .find_user(user.as_deref().unwrap_or_default())
        .ok_or_else(|| ApiError::not_found("User"))?;
    let level = level
        .and_then(|level| level.parse::<u32>().ok())
        .unwrap_or(access::GUEST);
    Ok((user.id, level))
}

/// `POST /groups/:id/members`.
pub(crate) async fn add_member(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let mut store = app.store();
    let group_id = visible_group(&store, &id, Some(caller.user_id))?.id;
    let (user_id, level) = read_membership(&store, &mut request)?;
    let own = store.group_access(Some(caller.user_id), group_id);
    let group = store
        .groups
        .get_mut(&group_id)
        .ok_or_else(|| ApiError::not_found("Group"))?;
    grant(&mut group.members, own, user_id, level)?;
    Ok(created(member_json(&store, user_id, level)))
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    fn status(result: Result<(), ApiError>) -> u16 {
        match result {
            Ok(()) => 201,
            Err(e) => e.into_response().status().as_u16(),
        }
    }

    #[test]
    fn members_are_granted_as_gitlab_allows() {
        let mut members = BTreeMap::new();
        // Below Maintainer nobody may add members.
        assert_eq!(
            status(grant(&mut members, access::DEVELOPER, 7, access::DEVELOPER)),
            403
        );
        // A Maintainer grants up to their own level, not above.
        assert_eq!(
            status(grant(&mut members, access::MAINTAINER, 7, access::OWNER)),
            403
        );
        assert!(members.is_empty());
        assert_eq!(
            status(grant(
                &mut members,
                access::MAINTAINER,
                7,
                access::MAINTAINER
            )),
            201
        );
        // An Owner may grant Owner; an existing member is a conflict.
        assert_eq!(
            status(grant(&mut members, access::OWNER, 8, access::OWNER)),
            201
        );
        assert_eq!(
            status(grant(&mut members, access::OWNER, 7, access::DEVELOPER)),
            409
        );
        assert_eq!(
            members,
            BTreeMap::from([(7, access::MAINTAINER), (8, access::OWNER)])
        );
    }
}
