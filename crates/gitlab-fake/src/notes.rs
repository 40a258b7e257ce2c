//! Issue notes: `GET .../notes` (newest first by default, paginated) and `POST .../notes`.
//! Quick actions in a note run against the issue; a note made only of commands is not
//! stored and answers 202 with the changes, as GitLab does. Job tokens cannot comment.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, json as respond, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::faults::ApplicationLimit;
use crate::issues::{commit, visible_issue};
use crate::pagination::{self, LinkBase, PageRequest};
use crate::projects::visible_project;
use crate::quick_actions::{self, Target};
use crate::store::{Note, Store, access};
use crate::users::basic_json;

/// Longest note GitLab accepts.
const NOTE_LIMIT: usize = 1_000_000;

/// The note entity.
pub(crate) fn note_json(store: &Store, note: &Note) -> Value {
    let issue = store.issues.get(&note.issue_id);
    json!({
        "id": note.id,
        "type": null,
        "body": note.body,
        "attachment": null,
        "author": store.users.get(&note.author_id).map(|user| basic_json(store, user)).unwrap_or(Value::Null),
        "created_at": timestamp(note.created_at),
        "updated_at": timestamp(note.updated_at),
        "system": note.system,
        "noteable_id": note.issue_id,
        "noteable_type": "Issue",
        "project_id": issue.map(|issue| issue.project_id),
        "noteable_iid": issue.map(|issue| issue.iid),
        "commands_changes": {},
        "resolvable": false,
        "confidential": note.internal,
        "internal": note.internal,
        "imported": false,
        "imported_from": "none",
    })
}

/// `GET /projects/:id/issues/:issue_iid/notes`.
pub(crate) async fn list(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let params = &mut request.params;
    let by_updated = params
        .choice("order_by", &["created_at", "updated_at"])
        .as_deref()
        == Some("updated_at");
    let ascending = params.choice("sort", &["asc", "desc"]).as_deref() == Some("asc");
    let page = PageRequest::read(params);
    params.finish()?;
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    let can_see_internal = store.project_access(user, project) >= access::PLANNER;
    let issue = visible_issue(&store, project.id, &iid, user)?;
    let mut notes: Vec<&Note> = store
        .notes
        .values()
        .filter(|note| note.issue_id == issue.id)
        .filter(|note| !note.internal || can_see_internal)
        .collect();
    notes.sort_by(|a, b| {
        let (left, right) = if by_updated {
            (a.updated_at, b.updated_at)
        } else {
            (a.created_at, b.created_at)
        };
        left.cmp(&right).then(a.id.cmp(&b.id))
    });
    if !ascending {
        notes.reverse();
    }
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone()), ("noteable_id", iid.clone())],
    );
    Ok(pagination::offset(&notes, page, &link, |note| {
        note_json(&store, note)
    }))
}

/// `POST /projects/:id/issues/:issue_iid/notes`.
pub(crate) async fn create(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let body = request.params.required_string("body");
    let internal = request.params.bool("internal").unwrap_or(false)
        || request.params.bool("confidential").unwrap_or(false);
    let created_at = request.params.datetime("created_at");
    request.params.finish()?;
    let body = body.unwrap_or_default();

    let mut store = app.store();
    // Checked after the parameters and before the project, as GitLab's endpoint does.
    let now = store.clock.now();
    app.0
        .faults
        .application_limit(ApplicationLimit::NotesCreate, caller.user_id, now)?;
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    let project_id = project.id;
    let level = store.project_access(Some(caller.user_id), project);
    let issue = visible_issue(&store, project_id, &iid, Some(caller.user_id))?.clone();
    if issue.discussion_locked == Some(true) && level < access::REPORTER {
        return Err(ApiError::forbidden());
    }
    if body.chars().count() > NOTE_LIMIT {
        return Err(ApiError::validation(&[(
            "note",
            format!("is too long (maximum is {NOTE_LIMIT} characters)"),
        )]));
    }
    let (clean, commands) = quick_actions::extract(&body);
    let target = Target {
        project_id,
        actor: caller.user_id,
        existing: Some(&issue),
        labels: &issue.labels,
        assignee_ids: &issue.assignee_ids,
        milestone_id: issue.milestone_id,
        due_date: issue.due_date,
        confidential: issue.confidential,
        discussion_locked: issue.discussion_locked.unwrap_or(false),
    };
    let updates = quick_actions::execute(&store, &target, &commands);
    if clean.trim().is_empty() && commands.is_empty() {
        return Err(ApiError::validation(&[(
            "note",
            "can't be blank".to_owned(),
        )]));
    }
    if !updates.is_empty() {
        let mut next = issue.clone();
        if let Some(labels) = &updates.set_labels {
            next.labels = labels.clone();
        }
        for label in &updates.add_labels {
            if !next.labels.contains(label) {
                next.labels.push(label.clone());
            }
        }
        next.labels
            .retain(|label| !updates.remove_labels.contains(label));
        next.labels.sort();
        if let Some(assignees) = &updates.assignee_ids {
            next.assignee_ids = assignees.clone();
        }
        if let Some(milestone) = updates.milestone_id {
            next.milestone_id = milestone;
        }
        if let Some(due) = updates.due_date {
            next.due_date = due;
        }
        if let Some(confidential) = updates.confidential {
            next.confidential = confidential;
        }
        if let Some(weight) = updates.weight {
            next.weight = weight;
        }
        if let Some(title) = &updates.title {
            next.title = title.clone();
        }
        if let Some(locked) = updates.discussion_locked {
            next.discussion_locked = Some(locked);
        }
        commit(
            &mut store,
            &issue,
            next,
            updates.state_event,
            caller.user_id,
        );
    }
    if clean.trim().is_empty() {
        let mut changes = serde_json::Map::new();
        if !updates.add_labels.is_empty() {
            changes.insert("add_label_names".to_owned(), json!(updates.add_labels));
        }
        if let Some(event) = updates.state_event {
            changes.insert("state_event".to_owned(), json!(event));
        }
        if let Some(assignees) = &updates.assignee_ids {
            changes.insert("assignee_ids".to_owned(), json!(assignees));
        }
        if let Some(milestone) = updates.milestone_id {
            changes.insert("milestone_id".to_owned(), json!(milestone));
        }
        if let Some(due) = updates.due_date {
            changes.insert("due_date".to_owned(), crate::app::opt_date(due));
        }
        return Ok(respond(
            StatusCode::ACCEPTED,
            json!({ "commands_changes": changes, "summary": updates.messages }),
        ));
    }
    let note_id = store.add_note(issue.id, caller.user_id, &clean, false, internal);
    if let Some(created_at) = created_at.filter(|_| caller.admin || level >= access::OWNER)
        && let Some(note) = store.notes.get_mut(&note_id)
    {
        note.created_at = created_at;
        note.updated_at = created_at;
    }
    let now = store.clock.now();
    if let Some(stored) = store.issues.get_mut(&issue.id) {
        stored.updated_at = now;
    }
    Ok(created(note_json(&store, &store.notes[&note_id])))
}

/// `DELETE /projects/:id/issues/:issue_iid/notes/:note_id`: the note's author, a Maintainer
/// or an administrator may delete it; `204 No Content`. System notes cannot be deleted.
///
/// <https://docs.gitlab.com/api/notes/#delete-an-issue-note>
pub(crate) async fn delete(
    State(app): State<App>,
    Path((id, iid, note_id)): Path<(String, String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    request.params.finish()?;
    let mut store = app.store();
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    let level = store.project_access(Some(caller.user_id), project);
    let issue_id = visible_issue(&store, project.id, &iid, Some(caller.user_id))?.id;
    let note = note_id
        .parse::<u64>()
        .ok()
        .and_then(|note_id| store.notes.get(&note_id))
        .filter(|note| note.issue_id == issue_id && !note.system)
        .ok_or_else(|| ApiError::not_found("Note"))?;
    if !(caller.admin || note.author_id == caller.user_id || level >= access::MAINTAINER) {
        return Err(ApiError::forbidden());
    }
    let note_id = note.id;
    store.notes.remove(&note_id);
    Ok(StatusCode::NO_CONTENT.into_response())
}
