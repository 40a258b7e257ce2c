//! Group iterations: `GET /groups/:id/iterations` (`state` opened/upcoming/current/closed/all,
//! `search`, `include_ancestors` default true) with the state computed from the fake's
//! clock, and `POST /groups/:id/iterations` to create them. GitLab creates iterations
//! through cadences and removed this POST endpoint; the fake keeps it (title, description,
//! start_date, due_date) so tests can set iterations up over HTTP.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::groups::visible_group;
use crate::pagination::{self, LinkBase, PageRequest};
use crate::store::{Iteration, Store, access};

/// The iteration entity (`state`: 1 upcoming, 2 current, 3 closed).
pub(crate) fn iteration_json(store: &Store, iteration: &Iteration) -> Value {
    let group_path = store
        .groups
        .get(&iteration.group_id)
        .map(|group| store.group_full_path(group))
        .unwrap_or_default();
    json!({
        "id": iteration.id,
        "iid": iteration.iid,
        "sequence": iteration.sequence,
        "group_id": iteration.group_id,
        "title": iteration.title,
        "description": iteration.description,
        "state": iteration.state_on(store.clock.today()),
        "created_at": timestamp(iteration.created_at),
        "updated_at": timestamp(iteration.updated_at),
        "start_date": iteration.start_date.format("%Y-%m-%d").to_string(),
        "due_date": iteration.due_date.format("%Y-%m-%d").to_string(),
        "web_url": format!("{}/groups/{}/-/iterations/{}", store.base_url, group_path, iteration.id),
    })
}

/// `GET /groups/:id/iterations`.
pub(crate) async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let params = &mut request.params;
    let state = params
        .choice("state", &["opened", "upcoming", "current", "closed", "all"])
        .unwrap_or_else(|| "all".to_owned());
    let search = params.string("search").map(|text| text.to_lowercase());
    let include_ancestors = params.bool("include_ancestors").unwrap_or(true);
    let page = PageRequest::read(params);
    params.finish()?;
    let store = app.store();
    let group = visible_group(&store, &id, user)?;
    let scope = if include_ancestors {
        store.group_chain(group.id)
    } else {
        vec![group.id]
    };
    let today = store.clock.today();
    let mut iterations: Vec<&Iteration> = store
        .iterations
        .values()
        .filter(|iteration| scope.contains(&iteration.group_id))
        .filter(|iteration| {
            let current = iteration.state_on(today);
            match state.as_str() {
                "opened" => current != 3,
                "upcoming" => current == 1,
                "current" => current == 2,
                "closed" => current == 3,
                _ => true,
            }
        })
        .filter(|iteration| {
            search.as_deref().is_none_or(|needle| {
                iteration
                    .title
                    .as_deref()
                    .is_some_and(|title| title.to_lowercase().contains(needle))
            })
        })
        .collect();
    iterations.sort_by_key(|iteration| (iteration.due_date, iteration.id));
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone())],
    );
    Ok(pagination::offset(&iterations, page, &link, |iteration| {
        iteration_json(&store, iteration)
    }))
}

/// `POST /groups/:id/iterations` (kept from older GitLab for test setup).
pub(crate) async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.user_id;
    let params = &mut request.params;
    let title = params.string("title").filter(|title| !title.is_empty());
    let description = params.string("description");
    let start_date = params.date("start_date").flatten();
    if !params.has("start_date") {
        params.push_error("start_date is missing".to_owned());
    }
    let due_date = params.date("due_date").flatten();
    if !params.has("due_date") {
        params.push_error("due_date is missing".to_owned());
    }
    params.finish()?;
    let mut store = app.store();
    let group_id = visible_group(&store, &id, Some(caller))?.id;
    if store.group_access(Some(caller), group_id) < access::PLANNER {
        return Err(ApiError::forbidden());
    }
    let (Some(start_date), Some(due_date)) = (start_date, due_date) else {
        return Err(ApiError::validation(&[(
            "start_date",
            "can't be blank".to_owned(),
        )]));
    };
    if due_date < start_date {
        return Err(ApiError::validation(&[(
            "due_date",
            "must be greater than start date".to_owned(),
        )]));
    }
    let overlaps = store.iterations.values().any(|other| {
        other.group_id == group_id && other.start_date <= due_date && start_date <= other.due_date
    });
    if overlaps {
        return Err(ApiError::validation(&[(
            "base",
            "Dates cannot overlap with other existing Iterations within this iterations cadence"
                .to_owned(),
        )]));
    }
    let iteration_id = store.create_iteration(group_id, title, description, start_date, due_date);
    Ok(created(iteration_json(
        &store,
        &store.iterations[&iteration_id],
    )))
}
