//! Milestones of projects and groups: list (`state`, `title`, `search`, `iids[]`,
//! `include_ancestors`), create, show and update (`state_event=close|activate`). Titles are
//! unique across a project and its groups. Job tokens cannot read milestones.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok, opt_date, path_number, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::groups::visible_group;
use crate::pagination::{self, LinkBase, PageRequest};
use crate::projects::visible_project;
use crate::store::{Milestone, MilestoneState, Owner, Store, access};

/// The milestone entity.
pub(crate) fn milestone_json(store: &Store, milestone: &Milestone) -> Value {
    let (owner_key, owner_id, web_url) = match milestone.owner {
        Owner::Project(id) => {
            let path = store
                .projects
                .get(&id)
                .map(|project| store.project_full_path(project))
                .unwrap_or_default();
            (
                "project_id",
                id,
                format!("{}/{}/-/milestones/{}", store.base_url, path, milestone.iid),
            )
        }
        Owner::Group(id) => {
            let path = store
                .groups
                .get(&id)
                .map(|group| store.group_full_path(group))
                .unwrap_or_default();
            (
                "group_id",
                id,
                format!(
                    "{}/groups/{}/-/milestones/{}",
                    store.base_url, path, milestone.iid
                ),
            )
        }
    };
    let expired = milestone
        .due_date
        .is_some_and(|due| due < store.clock.today());
    let mut value = json!({
        "id": milestone.id,
        "iid": milestone.iid,
        "title": milestone.title,
        "description": milestone.description,
        "state": milestone.state.as_str(),
        "created_at": timestamp(milestone.created_at),
        "updated_at": timestamp(milestone.updated_at),
        "due_date": opt_date(milestone.due_date),
        "start_date": opt_date(milestone.start_date),
        "expired": expired,
        "web_url": web_url,
    });
    if let Value::Object(object) = &mut value {
        object.insert(owner_key.to_owned(), json!(owner_id));
    }
    value
}

/// Which kind of milestone list a route serves.
#[derive(Debug, Clone, Copy)]
enum Parent {
    Project,
    Group,
}

/// Resolves the route's `:id` into an owner the caller may see.
fn resolve(store: &Store, parent: Parent, id: &str, user: Option<u64>) -> Result<Owner, ApiError> {
    match parent {
        Parent::Project => Ok(Owner::Project(visible_project(store, id, user)?.id)),
        Parent::Group => Ok(Owner::Group(visible_group(store, id, user)?.id)),
    }
}

/// The caller's level where the milestone lives.
fn level(store: &Store, owner: Owner, user: u64) -> u32 {
    match owner {
        Owner::Project(id) => store
            .projects
            .get(&id)
            .map(|project| store.project_access(Some(user), project))
            .unwrap_or(access::NONE),
        Owner::Group(id) => store.group_access(Some(user), id),
    }
}

async fn list(app: App, parent: Parent, id: String, mut request: ApiRequest) -> ApiResult {
    let user = request.caller.not_job()?;
    let params = &mut request.params;
    let state = params.choice("state", &["active", "closed"]);
    let title = params.string("title");
    let search = params.string("search").map(|text| text.to_lowercase());
    let iids = params.u64_list("iids");
    let include_ancestors = params.bool("include_ancestors").unwrap_or(false)
        || params.bool("include_parent_milestones").unwrap_or(false);
    let page = PageRequest::read(params);
    params.finish()?;

    let store = app.store();
    let owner = resolve(&store, parent, &id, user)?;
    let scope: Vec<Owner> = if include_ancestors {
        let groups = match owner {
            Owner::Project(project) => store
                .projects
                .get(&project)
                .map(|project| store.project_groups(project))
                .unwrap_or_default(),
            Owner::Group(group) => store.group_chain(group),
        };
        let mut scope: Vec<Owner> = groups.into_iter().map(Owner::Group).collect();
        scope.push(owner);
        scope
    } else {
        vec![owner]
    };
    let mut milestones: Vec<&Milestone> = store
        .milestones
        .values()
        .filter(|milestone| scope.contains(&milestone.owner))
        .filter(|milestone| {
            state
                .as_deref()
                .is_none_or(|state| milestone.state.as_str() == state)
        })
        .filter(|milestone| {
            title
                .as_deref()
                .is_none_or(|title| milestone.title == title)
        })
        .filter(|milestone| {
            search.as_deref().is_none_or(|needle| {
                milestone.title.to_lowercase().contains(needle)
                    || milestone
                        .description
                        .as_deref()
                        .is_some_and(|text| text.to_lowercase().contains(needle))
            })
        })
        .filter(|milestone| {
            iids.as_ref()
                .is_none_or(|iids| iids.contains(&milestone.iid))
        })
        .collect();
    // GitLab's MilestonesFinder: due date ascending (undated last), then title.
    milestones.sort_by(|a, b| {
        (a.due_date.is_none(), a.due_date, &a.title, a.id).cmp(&(
            b.due_date.is_none(),
            b.due_date,
            &b.title,
            b.id,
        ))
    });
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone())],
    );
    Ok(pagination::offset(&milestones, page, &link, |milestone| {
        milestone_json(&store, milestone)
    }))
}

async fn create(app: App, parent: Parent, id: String, mut request: ApiRequest) -> ApiResult {
    let caller = request.caller.user()?.user_id;
    let params = &mut request.params;
    let title = params.required_string("title");
    let description = params.string("description");
    let due_date = params.date("due_date").flatten();
    let start_date = params.date("start_date").flatten();
    params.finish()?;
    let title = title.unwrap_or_default();
    let mut store = app.store();
    let owner = resolve(&store, parent, &id, Some(caller))?;
    if level(&store, owner, caller) < access::PLANNER {
        return Err(ApiError::forbidden());
    }
    let mut problems = Vec::new();
    if title.trim().is_empty() {
        problems.push(("title", "can't be blank".to_owned()));
    } else if store.milestone_title_taken(owner, &title) {
        problems.push((
            "title",
            "already being used for another group or project milestone.".to_owned(),
        ));
    }
    if let (Some(start), Some(due)) = (start_date, due_date)
        && due < start
    {
        problems.push(("due_date", "must be greater than start date".to_owned()));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let milestone_id = store.create_milestone(owner, &title, description, start_date, due_date);
    Ok(created(milestone_json(
        &store,
        &store.milestones[&milestone_id],
    )))
}

fn find<'a>(store: &'a Store, owner: Owner, raw_id: &str) -> Result<&'a Milestone, ApiError> {
    let milestone_id = path_number("milestone_id", raw_id)?;
    store
        .milestones
        .get(&milestone_id)
        .filter(|milestone| milestone.owner == owner)
        .ok_or_else(|| ApiError::not_found("Milestone"))
}

async fn show(
    app: App,
    parent: Parent,
    id: String,
    milestone_id: String,
    request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let store = app.store();
    let owner = resolve(&store, parent, &id, user)?;
    let milestone = find(&store, owner, &milestone_id)?;
    Ok(ok(milestone_json(&store, milestone)))
}

async fn update(
    app: App,
    parent: Parent,
    id: String,
    milestone_id: String,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.user_id;
    let params = &mut request.params;
    let title = params.string("title");
    let description = params.string("description");
    let due_date = params.date("due_date");
    let start_date = params.date("start_date");
    let state_event = params.choice("state_event", &["close", "activate"]);
    params.finish()?;
    let mut store = app.store();
    let owner = resolve(&store, parent, &id, Some(caller))?;
    let found = find(&store, owner, &milestone_id)?.id;
    if level(&store, owner, caller) < access::PLANNER {
        return Err(ApiError::forbidden());
    }
    if let Some(title) = &title {
        let current = &store.milestones[&found].title;
        if title.trim().is_empty() {
            return Err(ApiError::validation(&[(
                "title",
                "can't be blank".to_owned(),
            )]));
        }
        if title != current && store.milestone_title_taken(owner, title) {
            return Err(ApiError::validation(&[(
                "title",
                "already being used for another group or project milestone.".to_owned(),
            )]));
        }
    }
    let now = store.clock.now();
    let milestone = store
        .milestones
        .get_mut(&found)
        .ok_or_else(|| ApiError::not_found("Milestone"))?;
    if let Some(title) = title {
        milestone.title = title;
    }
    if let Some(description) = description {
        milestone.description = Some(description);
    }
    if let Some(due_date) = due_date {
        milestone.due_date = due_date;
    }
    if let Some(start_date) = start_date {
        milestone.start_date = start_date;
    }
    match state_event.as_deref() {
        Some("close") => milestone.state = MilestoneState::Closed,
        Some("activate") => milestone.state = MilestoneState::Active,
        _ => {}
    }
    milestone.updated_at = now;
    Ok(ok(milestone_json(&store, &store.milestones[&found])))
}

/// `GET /projects/:id/milestones`.
pub(crate) async fn list_project(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    list(app, Parent::Project, id, request).await
}

/// `GET /groups/:id/milestones`.
pub(crate) async fn list_group(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    list(app, Parent::Group, id, request).await
}

/// `POST /projects/:id/milestones`.
pub(crate) async fn create_project(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    create(app, Parent::Project, id, request).await
}

/// `POST /groups/:id/milestones`.
pub(crate) async fn create_group(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    create(app, Parent::Group, id, request).await
}

/// `GET /projects/:id/milestones/:milestone_id`.
pub(crate) async fn show_project(
    State(app): State<App>,
    Path((id, milestone_id)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    show(app, Parent::Project, id, milestone_id, request).await
}

/// `GET /groups/:id/milestones/:milestone_id`.
pub(crate) async fn show_group(
    State(app): State<App>,
    Path((id, milestone_id)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    show(app, Parent::Group, id, milestone_id, request).await
}

/// `PUT /projects/:id/milestones/:milestone_id`.
pub(crate) async fn update_project(
    State(app): State<App>,
    Path((id, milestone_id)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    update(app, Parent::Project, id, milestone_id, request).await
}

/// `PUT /groups/:id/milestones/:milestone_id`.
pub(crate) async fn update_group(
    State(app): State<App>,
    Path((id, milestone_id)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    update(app, Parent::Group, id, milestone_id, request).await
}
