//! Merge requests, read-only: seeded, and listed by `GET /merge_requests` with GitLab's
//! filters teamcadence uses (`reviewer_username`/`reviewer_id`, `author_username`, `state`,
//! `scope`; the default scope is `created_by_me`, as GitLab's), newest first, paginated.
//!
//! <https://docs.gitlab.com/api/merge_requests/#list-merge-requests>

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, timestamp};
use crate::error::ApiResult;
use crate::pagination::{self, LinkBase, PageRequest};
use crate::store::Store;
use crate::users::basic_json;

/// A merge request.
#[derive(Debug, Clone)]
pub(crate) struct MergeRequest {
    /// Global id.
    pub(crate) id: u64,
    /// Number within the project.
    pub(crate) iid: u64,
    /// Owning project.
    pub(crate) project_id: u64,
    /// Title.
    pub(crate) title: String,
    /// Author.
    pub(crate) author_id: u64,
    /// Users asked to review it.
    pub(crate) reviewer_ids: Vec<u64>,
    /// `opened`, `closed`, `merged` or `locked`.
    pub(crate) state: String,
    /// Whether it is a draft.
    pub(crate) draft: bool,
    /// Creation time.
    pub(crate) created_at: DateTime<Utc>,
    /// Numbers of the issues of its project it closes when merged (GitLab's
    /// `merge_requests_closing_issues`, which it fills from the description's closing
    /// pattern and keeps whatever the merge request's state).
    pub(crate) closes_issues: Vec<u64>,
}

/// The merge request entity (the fields of GitLab's list answer teamcadence or a reader
/// would look at).
fn merge_request_json(store: &Store, mr: &MergeRequest) -> Value {
    let full_path = store
        .projects
        .get(&mr.project_id)
        .map(|project| store.project_full_path(project))
        .unwrap_or_default();
    let user = |id: &u64| {
        store
            .users
            .get(id)
            .map(|user| basic_json(store, user))
            .unwrap_or(Value::Null)
    };
    json!({
        "id": mr.id,
        "iid": mr.iid,
        "project_id": mr.project_id,
        "title": mr.title,
        "state": mr.state,
        "draft": mr.draft,
        "work_in_progress": mr.draft,
        "author": user(&mr.author_id),
        "reviewers": mr.reviewer_ids.iter().map(user).collect::<Vec<_>>(),
        "created_at": timestamp(mr.created_at),
        "updated_at": timestamp(mr.created_at),
        "references": {
            "short": format!("!{}", mr.iid),
            "relative": format!("!{}", mr.iid),
            "full": format!("{full_path}!{}", mr.iid),
        },
        "web_url": format!("{}/{}/-/merge_requests/{}", store.base_url, full_path, mr.iid),
    })
}

/// `GET /merge_requests`.
pub(crate) async fn list(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let user = request.caller.user()?.user_id;
    let params = &mut request.params;
    let reviewer_username = params.string("reviewer_username");
    let reviewer_id = params.u64("reviewer_id");
    let author_username = params.string("author_username");
    let state = params
        .choice("state", &["opened", "closed", "locked", "merged", "all"])
        .unwrap_or_else(|| "all".to_owned());
    let scope = params
        .choice(
            "scope",
            &["created_by_me", "assigned_to_me", "reviews_for_me", "all"],
        )
        .unwrap_or_else(|| "created_by_me".to_owned());
    let page = PageRequest::read(params);
    request.params.finish()?;
    let store = app.store();
    let id_of = |username: &str| {
        store
            .user_by_username(username)
            .map(|u| u.id)
            .unwrap_or(u64::MAX)
    };
    let reviewer = reviewer_id.or_else(|| reviewer_username.as_deref().map(id_of));
    let author = author_username.as_deref().map(id_of);
    let mut items: Vec<&MergeRequest> = store
        .merge_requests
        .values()
        .filter(|mr| {
            store
                .projects
                .get(&mr.project_id)
                .is_some_and(|project| store.can_read_project(Some(user), project))
        })
        .filter(|mr| state == "all" || mr.state == state)
        .filter(|mr| match scope.as_str() {
            "created_by_me" => mr.author_id == user,
            "reviews_for_me" => mr.reviewer_ids.contains(&user),
            // Merge requests have assignees too; the fake seeds none.
            "assigned_to_me" => false,
            _ => true,
        })
        .filter(|mr| reviewer.is_none_or(|id| mr.reviewer_ids.contains(&id)))
        .filter(|mr| author.is_none_or(|id| mr.author_id == id))
        .collect();
    // Newest first, GitLab's default `order_by=created_at&sort=desc`.
    items.sort_by_key(|mr| std::cmp::Reverse((mr.created_at, mr.id)));
    let link = LinkBase::new(&store.base_url, &request.path, &request.params, &[]);
    Ok(pagination::offset(&items, page, &link, |mr| {
        merge_request_json(&store, mr)
    }))
}
