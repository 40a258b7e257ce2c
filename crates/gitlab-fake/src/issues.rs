//! Issues: create (labels created on the fly, quick actions executed and stripped), show,
//! edit (`state_event`, `labels`/`add_labels`/`remove_labels`, assignees, milestone, due
//! date, confidential, weight; description edits run quick actions), and the project and
//! group lists with GitLab's filters, ordering and pagination (one implementation for both).
//! Metadata (labels, assignees, milestone, due date, weight) is silently dropped, as GitLab
//! does, when a non-member creates an issue or a user below Planner edits one; assignees who
//! cannot see the project are dropped too.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok, opt_date, opt_timestamp, path_number, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::faults::ApplicationLimit;
use crate::groups::visible_group;
use crate::iterations::iteration_json;
use crate::labels;
use crate::milestones::milestone_json;
use crate::pagination::{self, LinkBase, PageRequest};
use crate::params::Params;
use crate::projects::visible_project;
use crate::quick_actions::{self, Target, Updates};
use crate::store::{Issue, IssueState, LinkType, Store, access};
use crate::users::basic_json;

/// Longest title GitLab accepts.
const TITLE_LIMIT: usize = 255;
/// Longest description GitLab accepts.
const DESCRIPTION_LIMIT: usize = 1_048_576;
/// Issue types.
const ISSUE_TYPES: [&str; 4] = ["issue", "incident", "test_case", "task"];

/// The issue entity.
pub(crate) fn issue_json(store: &Store, issue: &Issue) -> Value {
    let project = store.projects.get(&issue.project_id);
    let full_path = project
        .map(|project| store.project_full_path(project))
        .unwrap_or_default();
    let user = |id: u64| {
        store
            .users
            .get(&id)
            .map(|user| basic_json(store, user))
            .unwrap_or(Value::Null)
    };
    let assignees: Vec<Value> = issue.assignee_ids.iter().map(|id| user(*id)).collect();
    let milestone = issue
        .milestone_id
        .and_then(|id| store.milestones.get(&id))
        .map(|milestone| milestone_json(store, milestone))
        .unwrap_or(Value::Null);
    let iteration = issue
        .iteration_id
        .and_then(|id| store.iterations.get(&id))
        .map(|iteration| iteration_json(store, iteration))
        .unwrap_or(Value::Null);
    let user_notes_count = store
        .notes
        .values()
        .filter(|note| note.issue_id == issue.id && !note.system)
        .count();
    // GitLab counts the merge requests that close the issue when merged, whatever their
    // state; the fake's are all in the issue's own project, so whoever reads the issue reads
    // them too.
    let merge_requests_count = store
        .merge_requests
        .values()
        .filter(|mr| mr.project_id == issue.project_id && mr.closes_issues.contains(&issue.iid))
        .count();
    let api = format!(
        "{}/api/v4/projects/{}/issues/{}",
        store.base_url, issue.project_id, issue.iid
    );
    let blocking_issues_count = store
        .links
        .values()
        .filter(|link| {
            (link.source_issue_id == issue.id && link.link_type == LinkType::Blocks)
                || (link.target_issue_id == issue.id && link.link_type == LinkType::IsBlockedBy)
        })
        .count();
    let mut value = json!({
        "id": issue.id,
        "iid": issue.iid,
        "project_id": issue.project_id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state.as_str(),
        "created_at": timestamp(issue.created_at),
        "updated_at": timestamp(issue.updated_at),
        "closed_at": opt_timestamp(issue.closed_at),
        "closed_by": issue.closed_by_id.map(user).unwrap_or(Value::Null),
        "labels": issue.labels,
        "milestone": milestone,
        "assignees": assignees,
        "author": user(issue.author_id),
        "type": issue.issue_type.to_uppercase(),
        "assignee": assignees.first().cloned().unwrap_or(Value::Null),
        "user_notes_count": user_notes_count,
        "merge_requests_count": merge_requests_count,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": opt_date(issue.due_date),
        "confidential": issue.confidential,
        "discussion_locked": issue.discussion_locked,
        "issue_type": issue.issue_type,
        "web_url": format!("{}/{}/-/issues/{}", store.base_url, full_path, issue.iid),
    });
    let rest = json!({
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": null,
            "human_total_time_spent": null,
        },
        "task_completion_status": { "count": 0, "completed_count": 0 },
        "weight": issue.weight,
        "blocking_issues_count": blocking_issues_count,
        "has_tasks": false,
        "task_status": "",
        "_links": {
            "self": api,
            "notes": format!("{api}/notes"),
            "award_emoji": format!("{api}/award_emoji"),
            "project": format!("{}/api/v4/projects/{}", store.base_url, issue.project_id),
            "closed_as_duplicate_of": null,
        },
        "references": {
            "short": format!("#{}", issue.iid),
            "relative": format!("#{}", issue.iid),
            "full": format!("{full_path}#{}", issue.iid),
        },
        "severity": "UNKNOWN",
        "moved_to_id": null,
        "imported": false,
        "imported_from": "none",
        "service_desk_reply_to": null,
        "epic_iid": null,
        "epic": null,
        "iteration": iteration,
        "health_status": null,
    });
    if let (Value::Object(object), Value::Object(rest)) = (&mut value, rest) {
        object.extend(rest);
    }
    value
}

/// Finds an issue the caller may see: 404 `Not found` otherwise (GitLab's RecordNotFound).
pub(crate) fn visible_issue<'a>(
    store: &'a Store,
    project_id: u64,
    raw_iid: &str,
    user: Option<u64>,
) -> Result<&'a Issue, ApiError> {
    let iid = path_number("issue_iid", raw_iid)?;
    store
        .issue_by_iid(project_id, iid)
        .filter(|issue| store.can_read_issue(user, issue))
        .ok_or_else(|| ApiError::message(axum::http::StatusCode::NOT_FOUND, "404 Not found"))
}

/// Title and description checks of the Issue model.
fn validate_text(title: &str, description: Option<&str>) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if title.trim().is_empty() {
        problems.push(("title", "can't be blank".to_owned()));
    } else if title.chars().count() > TITLE_LIMIT {
        problems.push((
            "title",
            format!("is too long (maximum is {TITLE_LIMIT} characters)"),
        ));
    }
    if description.is_some_and(|text| text.chars().count() > DESCRIPTION_LIMIT) {
        problems.push((
            "description",
            format!("is too long (maximum is {DESCRIPTION_LIMIT} characters)"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(&problems))
    }
}

/// Keeps the assignees that exist and can see the project (GitLab drops the others).
fn filter_assignees(store: &Store, project_id: u64, ids: &[u64]) -> Vec<u64> {
    let Some(project) = store.projects.get(&project_id) else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    for id in ids {
        if *id != 0
            && store.users.contains_key(id)
            && store.can_read_project(Some(*id), project)
            && !kept.contains(id)
        {
            kept.push(*id);
        }
    }
    kept
}

/// The assignees an edit leaves: GitLab's `filter_assignees_using_checks` keeps the asked
/// ones who can see the project, but when none of a non-empty list can, it deletes the
/// parameter, so the issue keeps the assignees it had. An empty list (or `0`) unassigns all.
fn edited_assignees(store: &Store, project_id: u64, asked: &[u64], issue: &Issue) -> Vec<u64> {
    let kept = filter_assignees(store, project_id, asked);
    if kept.is_empty() && asked.iter().any(|id| *id != 0) {
        issue.assignee_ids.clone()
    } else {
        kept
    }
}

/// A milestone id usable in the project (its own or its groups'), else none.
fn filter_milestone(store: &Store, project_id: u64, id: Option<u64>) -> Option<u64> {
    let id = id.filter(|id| *id != 0)?;
    let project = store.projects.get(&project_id)?;
    store
        .milestones_for_project(project)
        .iter()
        .any(|milestone| milestone.id == id)
        .then_some(id)
}

/// Assignee ids from `assignee_ids[]`, `assignee_ids` or the older `assignee_id`.
fn read_assignees(request: &mut ApiRequest) -> Option<Vec<u64>> {
    let params = &mut request.params;
    if params.has("assignee_ids") {
        return params.u64_list("assignee_ids");
    }
    params
        .nullable_u64("assignee_id")
        .map(|id| id.into_iter().collect())
}

/// `POST /projects/:id/issues`.
pub(crate) async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    let title = request.params.required_string("title");
    let description = request.params.string("description");
    let assignees = read_assignees(&mut request);
    let params = &mut request.params;
    let milestone_id = params.nullable_u64("milestone_id").flatten();
    let labels = params.list("labels").unwrap_or_default();
    let created_at = params.datetime("created_at");
    let due_date = params.date("due_date").flatten();
    let confidential = params.bool("confidential").unwrap_or(false);
    let issue_type = params.choice("issue_type", &ISSUE_TYPES);
    let weight = params.u64("weight");
    params.finish()?;
    let title = title.unwrap_or_default();

    let mut store = app.store();
    // Checked after the parameters and before the project, as GitLab's endpoint does.
    let now = store.clock.now();
    app.0
        .faults
        .application_limit(ApplicationLimit::IssuesCreate, caller.user_id, now)?;
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    let project_id = project.id;
    let level = store.project_access(Some(caller.user_id), project);
    // GitLab's IssuePolicy: `rule { ~persisted & is_project_member & can?(:guest_access) }
    // .policy { enable :set_issue_metadata }` (since 14.0, gitlab-org/gitlab!62816): any
    // member, a Guest included, sets metadata on a new issue; a non-member of a public or
    // internal project never does.
    let can_admin = level >= access::GUEST;

    let (description, commands) = match description {
        Some(text) => {
            let (clean, commands) = quick_actions::extract(&text);
            (Some(clean), commands)
        }
        None => (None, Vec::new()),
    };
    validate_text(&title, description.as_deref())?;

    let mut labels: Vec<String> = if can_admin { labels } else { Vec::new() };
    labels.dedup();
    if can_admin {
        labels::ensure_labels(&mut store, project_id, &labels);
    }
    let assignee_ids = if can_admin {
        filter_assignees(&store, project_id, &assignees.unwrap_or_default())
    } else {
        Vec::new()
    };
    let milestone_id = if can_admin {
        filter_milestone(&store, project_id, milestone_id)
    } else {
        None
    };
    let target = Target {
        project_id,
        actor: caller.user_id,
        existing: None,
        labels: &labels,
        assignee_ids: &assignee_ids,
        milestone_id,
        due_date,
        confidential,
        discussion_locked: false,
    };
    let updates = quick_actions::execute(&store, &target, &commands);

    let now = store.clock.now();
    let created_at = created_at
        .filter(|_| caller.admin || level >= access::OWNER)
        .unwrap_or(now);
    let mut issue = Issue {
        id: 0,
        iid: 0,
        project_id,
        title,
        description,
        state: IssueState::Opened,
        labels,
        assignee_ids,
        author_id: caller.user_id,
        milestone_id,
        due_date: if can_admin { due_date } else { None },
        confidential,
        weight: if can_admin { weight } else { None },
        iteration_id: None,
        issue_type: issue_type.unwrap_or_else(|| "issue".to_owned()),
        discussion_locked: None,
        created_at,
        updated_at: created_at,
        closed_at: None,
        closed_by_id: None,
    };
    apply_quick_updates(&store, &mut issue, &updates);
    issue.labels.sort();
    let issue_id = store.insert_issue(issue);
    Ok(created(issue_json(&store, &store.issues[&issue_id])))
}

/// Merges quick-action updates into an issue being created or edited (no notes).
fn apply_quick_updates(store: &Store, issue: &mut Issue, updates: &Updates) {
    if let Some(labels) = &updates.set_labels {
        issue.labels = labels.clone();
    }
    for label in &updates.add_labels {
        if !issue.labels.contains(label) {
            issue.labels.push(label.clone());
        }
    }
    issue
        .labels
        .retain(|label| !updates.remove_labels.contains(label));
    if let Some(assignees) = &updates.assignee_ids {
        issue.assignee_ids = filter_assignees(store, issue.project_id, assignees);
    }
    if let Some(milestone) = updates.milestone_id {
        issue.milestone_id = milestone;
    }
    if let Some(due) = updates.due_date {
        issue.due_date = due;
    }
    if let Some(confidential) = updates.confidential {
        issue.confidential = confidential;
    }
    if let Some(weight) = updates.weight {
        issue.weight = weight;
    }
    if let Some(title) = &updates.title {
        issue.title = title.clone();
    }
    if let Some(locked) = updates.discussion_locked {
        issue.discussion_locked = Some(locked);
    }
}

/// `GET /projects/:id/issues/:issue_iid`.
pub(crate) async fn show(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let store = app.store();
    let project = visible_project(&store, &id, user)?;
    let issue = visible_issue(&store, project.id, &iid, user)?;
    let mut value = issue_json(&store, issue);
    if let Value::Object(object) = &mut value {
        object.insert("subscribed".to_owned(), json!(false));
    }
    Ok(ok(value))
}

/// Parameters GitLab requires at least one of on edit.
const EDIT_PARAMS: [&str; 17] = [
    "assignee_id",
    "assignee_ids",
    "confidential",
    "created_at",
    "description",
    "discussion_locked",
    "due_date",
    "issue_type",
    "labels",
    "add_labels",
    "remove_labels",
    "milestone_id",
    "state_event",
    "title",
    "weight",
    "epic_id",
    "epic_iid",
];

/// `PUT /projects/:id/issues/:issue_iid`.
pub(crate) async fn update(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    mut request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?.clone();
    if !EDIT_PARAMS.iter().any(|name| request.params.has(name)) {
        return Err(ApiError::params(&[format!(
            "{} are missing, at least one parameter must be provided",
            EDIT_PARAMS.join(", ")
        )]));
    }
    let assignees = read_assignees(&mut request);
    let params = &mut request.params;
    let title = params.string("title");
    let description = params.string("description");
    let state_event = params.choice("state_event", &["close", "reopen"]);
    let set_labels = params.list("labels");
    let add_labels = params.list("add_labels").unwrap_or_default();
    let remove_labels = params.list("remove_labels").unwrap_or_default();
    let milestone_id = params.nullable_u64("milestone_id");
    let due_date = params.date("due_date");
    let confidential = params.bool("confidential");
    let weight = params.nullable_u64("weight");
    let discussion_locked = params.bool("discussion_locked");
    let issue_type = params.choice("issue_type", &ISSUE_TYPES);
    params.finish()?;

    let mut store = app.store();
    let project = visible_project(&store, &id, Some(caller.user_id))?;
    let project_id = project.id;
    let level = store.project_access(Some(caller.user_id), project);
    let issue = visible_issue(&store, project_id, &iid, Some(caller.user_id))?.clone();
    let can_admin = level >= access::PLANNER;
    if !(can_admin || issue.author_id == caller.user_id) {
        return Err(ApiError::forbidden());
    }

    let mut next = issue.clone();
    if let Some(title) = title {
        next.title = title;
    }
    let mut commands = Vec::new();
    if let Some(text) = description {
        let (clean, found) = quick_actions::extract(&text);
        next.description = Some(clean);
        commands = found;
    }
    validate_text(&next.title, next.description.as_deref())?;
    if can_admin {
        let mut wanted = set_labels.unwrap_or_else(|| next.labels.clone());
        wanted.extend(add_labels);
        wanted.retain(|label| !remove_labels.contains(label));
        wanted.sort();
        wanted.dedup();
        labels::ensure_labels(&mut store, project_id, &wanted);
        next.labels = wanted;
        if let Some(assignees) = assignees {
            next.assignee_ids = edited_assignees(&store, project_id, &assignees, &issue);
        }
        if let Some(milestone) = milestone_id {
            next.milestone_id = filter_milestone(&store, project_id, milestone);
        }
        if let Some(due) = due_date {
            next.due_date = due;
        }
        if let Some(weight) = weight {
            next.weight = weight;
        }
        if let Some(locked) = discussion_locked {
            next.discussion_locked = Some(locked);
        }
    }
    // On an existing issue, confidentiality is metadata (`set_confidentiality` follows
    // `set_issue_metadata` once the issue is persisted).
    if let Some(confidential) = confidential.filter(|_| can_admin) {
        next.confidential = confidential;
    }
    if let Some(issue_type) = issue_type {
        next.issue_type = issue_type;
    }
    let target = Target {
        project_id,
        actor: caller.user_id,
        existing: Some(&issue),
        labels: &next.labels,
        assignee_ids: &next.assignee_ids,
        milestone_id: next.milestone_id,
        due_date: next.due_date,
        confidential: next.confidential,
        discussion_locked: next.discussion_locked.unwrap_or(false),
    };
    let updates = quick_actions::execute(&store, &target, &commands);
    apply_quick_updates(&store, &mut next, &updates);
    next.labels.sort();
    let state_event = updates.state_event.map(str::to_owned).or(state_event);
    commit(
        &mut store,
        &issue,
        next,
        state_event.as_deref(),
        caller.user_id,
    );
    Ok(ok(issue_json(&store, &store.issues[&issue.id])))
}

/// Stores an edited issue, applies a state event and writes GitLab's system notes.
pub(crate) fn commit(
    store: &mut Store,
    before: &Issue,
    mut after: Issue,
    state_event: Option<&str>,
    actor: u64,
) {
    let now = store.clock.now();
    let mut notes: Vec<String> = Vec::new();
    if after.title != before.title {
        notes.push(format!(
            "changed title from **{}** to **{}**",
            before.title, after.title
        ));
    }
    if after.description != before.description {
        notes.push("changed the description".to_owned());
    }
    if after.assignee_ids != before.assignee_ids {
        let name = |id: &u64| {
            store
                .users
                .get(id)
                .map(|user| format!("@{}", user.username))
                .unwrap_or_default()
        };
        let added: Vec<String> = after
            .assignee_ids
            .iter()
            .filter(|id| !before.assignee_ids.contains(id))
            .map(name)
            .collect();
        let removed: Vec<String> = before
            .assignee_ids
            .iter()
            .filter(|id| !after.assignee_ids.contains(id))
            .map(name)
            .collect();
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("assigned to {}", sentence(&added)));
        }
        if !removed.is_empty() {
            parts.push(format!("unassigned {}", sentence(&removed)));
        }
        notes.push(parts.join(" and "));
    }
    if after.milestone_id != before.milestone_id {
        let title = |id: Option<u64>| {
            id.and_then(|id| store.milestones.get(&id))
                .map(|milestone| milestone.title.clone())
                .unwrap_or_default()
        };
        notes.push(match after.milestone_id {
            Some(_) => format!("changed milestone to %\"{}\"", title(after.milestone_id)),
            None => format!("removed milestone %\"{}\"", title(before.milestone_id)),
        });
    }
    if after.due_date != before.due_date {
        notes.push(match after.due_date {
            Some(date) => format!("changed due date to {}", long_date(date)),
            None => "removed due date".to_owned(),
        });
    }
    if after.confidential != before.confidential {
        notes.push(if after.confidential {
            "made the issue confidential".to_owned()
        } else {
            "made the issue visible to everyone".to_owned()
        });
    }
    if after.weight != before.weight {
        notes.push(match after.weight {
            Some(weight) => format!("changed weight to **{weight}**"),
            None => "removed the weight".to_owned(),
        });
    }
    match state_event {
        Some("close") if after.state == IssueState::Opened => {
            after.state = IssueState::Closed;
            after.closed_at = Some(now);
            after.closed_by_id = Some(actor);
            notes.push("closed".to_owned());
        }
        Some("reopen") if after.state == IssueState::Closed => {
            after.state = IssueState::Opened;
            after.closed_at = None;
            after.closed_by_id = None;
            notes.push("reopened".to_owned());
        }
        _ => {}
    }
    let label_changed = after.labels != before.labels;
    let changed = !notes.is_empty()
        || label_changed
        || after.discussion_locked != before.discussion_locked
        || after.issue_type != before.issue_type;
    if changed {
        after.updated_at = now;
    }
    let issue_id = before.id;
    store.issues.insert(issue_id, after);
    for body in notes {
        store.add_note(issue_id, actor, &body, true, false);
    }
}

fn sentence(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn long_date(date: NaiveDate) -> String {
    date.format("%B %-d, %Y").to_string()
}

/// How an issue list orders.
#[derive(Debug, Clone, Copy)]
enum OrderBy {
    CreatedAt,
    UpdatedAt,
    DueDate,
    Title,
    Weight,
}

/// The `iteration_id` / `iteration_title` filter of an issue list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IterationFilter {
    /// `iteration_id=None`: issues in no iteration.
    None,
    /// `iteration_id=Any`: issues in some iteration.
    Any,
    /// `iteration_id=Current`: issues in an iteration running today.
    Current,
    /// Issues in the iteration with this id.
    Id(u64),
    /// Issues in an iteration with this title.
    Title(String),
}

/// The filters, order and page of an issue list: what `GET /projects/:id/issues` and
/// `GET /groups/:id/issues` share. Only the set of issues they start from differs.
#[derive(Debug)]
struct IssueListQuery {
    state: String,
    labels: Option<Vec<String>>,
    milestone: Option<String>,
    timebox: Option<String>,
    iteration: Option<IterationFilter>,
    words: Vec<String>,
    search_in: Vec<String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    updated_after: Option<DateTime<Utc>>,
    updated_before: Option<DateTime<Utc>>,
    assignee_id: Option<String>,
    assignee_username: Option<Vec<String>>,
    author_id: Option<u64>,
    author_username: Option<String>,
    confidential: Option<bool>,
    iids: Option<Vec<u64>>,
    issue_type: Option<String>,
    with_label_details: bool,
    order_by: OrderBy,
    ascending: bool,
    page: PageRequest,
}

impl IssueListQuery {
    /// Reads the list parameters; problems are recorded in `params` for `finish`.
    fn read(params: &mut Params) -> Self {
        let state = params
            .choice("state", &["opened", "closed", "all"])
            .unwrap_or_else(|| "all".to_owned());
        let labels = params.list("labels");
        let milestone = params.string("milestone");
        let timebox = params
            .choice(
                "milestone_id",
                &[
                    "None", "Any", "Upcoming", "Started", "none", "any", "upcoming", "started",
                ],
            )
            .map(|value| value.to_lowercase());
        let iteration = read_iteration(params);
        let search = params.string("search").filter(|search| !search.is_empty());
        let search_in = params
            .list("in")
            .unwrap_or_else(|| vec!["title".to_owned(), "description".to_owned()]);
        if search_in
            .iter()
            .any(|field| field != "title" && field != "description")
        {
            params.push_error("in does not have a valid value".to_owned());
        }
        let words: Vec<String> = search
            .as_deref()
            .map(|search| search.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        let created_after = params.datetime("created_after");
        let created_before = params.datetime("created_before");
        let updated_after = params.datetime("updated_after");
        let updated_before = params.datetime("updated_before");
        let assignee_id = params.string("assignee_id");
        let assignee_username = params.list("assignee_username");
        let author_id = params.u64("author_id");
        let author_username = params.string("author_username");
        let confidential = params.bool("confidential");
        let iids = params.u64_list("iids");
        let issue_type = params.choice("issue_type", &ISSUE_TYPES);
        let with_label_details = params.bool("with_labels_details").unwrap_or(false);
        let order_by = match params
            .choice(
                "order_by",
                &[
                    "created_at",
                    "updated_at",
                    "priority",
                    "due_date",
                    "relative_position",
                    "label_priority",
                    "milestone_due",
                    "popularity",
                    "weight",
                    "title",
                ],
            )
            .as_deref()
        {
            Some("updated_at") => OrderBy::UpdatedAt,
            Some("due_date") => OrderBy::DueDate,
            Some("title") => OrderBy::Title,
            Some("weight") => OrderBy::Weight,
            _ => OrderBy::CreatedAt,
        };
        let ascending = params.choice("sort", &["asc", "desc"]).as_deref() == Some("asc");
        let page = PageRequest::read(params);
        IssueListQuery {
            state,
            labels,
            milestone,
            timebox,
            iteration,
            words,
            search_in,
            created_after,
            created_before,
            updated_after,
            updated_before,
            assignee_id,
            assignee_username,
            author_id,
            author_username,
            confidential,
            iids,
            issue_type,
            with_label_details,
            order_by,
            ascending,
            page,
        }
    }

    /// Whether an issue passes every filter (visibility is the caller's business).
    fn matches(&self, store: &Store, issue: &Issue) -> bool {
        let today = store.clock.today();
        let in_range = |time: DateTime<Utc>,
                        after: Option<DateTime<Utc>>,
                        before: Option<DateTime<Utc>>| {
            after.is_none_or(|after| time >= after) && before.is_none_or(|before| time <= before)
        };
        let milestone = issue.milestone_id.and_then(|id| store.milestones.get(&id));
        let iteration = issue.iteration_id.and_then(|id| store.iterations.get(&id));
        let state = self.state == "all" || issue.state.as_str() == self.state;
        let labels = match self.labels.as_deref() {
            None => true,
            Some([only]) if only.eq_ignore_ascii_case("none") => issue.labels.is_empty(),
            Some([only]) if only.eq_ignore_ascii_case("any") => !issue.labels.is_empty(),
            Some(wanted) => wanted.iter().all(|label| issue.labels.contains(label)),
        };
        let milestone_title = match self.milestone.as_deref() {
            None => true,
            Some(value) if value.eq_ignore_ascii_case("none") => milestone.is_none(),
            Some(value) if value.eq_ignore_ascii_case("any") => milestone.is_some(),
            Some(title) => milestone.is_some_and(|milestone| milestone.title == title),
        };
        let timebox = match self.timebox.as_deref() {
            None => true,
            Some("none") => milestone.is_none(),
            Some("any") => milestone.is_some(),
            Some("upcoming") => {
                milestone.is_some_and(|m| m.due_date.is_some_and(|due| due > today))
            }
            _ => milestone.is_some_and(|m| {
                m.start_date.is_some_and(|start| start <= today)
                    && m.due_date.is_none_or(|due| due >= today)
            }),
        };
        let in_iteration = match &self.iteration {
            None => true,
            Some(IterationFilter::None) => iteration.is_none(),
            Some(IterationFilter::Any) => iteration.is_some(),
            Some(IterationFilter::Current) => {
                iteration.is_some_and(|iteration| iteration.state_on(today) == 2)
            }
            Some(IterationFilter::Id(id)) => issue.iteration_id == Some(*id),
            Some(IterationFilter::Title(title)) => {
                iteration.is_some_and(|iteration| iteration.title.as_deref() == Some(title))
            }
        };
        let search = self.words.iter().all(|word| {
            let in_title = self.search_in.iter().any(|field| field == "title")
                && issue.title.to_lowercase().contains(word);
            let in_description = self.search_in.iter().any(|field| field == "description")
                && issue
                    .description
                    .as_deref()
                    .is_some_and(|text| text.to_lowercase().contains(word));
            in_title || in_description
        });
        let assignee = match self.assignee_id.as_deref() {
            None => true,
            Some(value) if value.eq_ignore_ascii_case("none") => issue.assignee_ids.is_empty(),
            Some(value) if value.eq_ignore_ascii_case("any") => !issue.assignee_ids.is_empty(),
            Some(value) => value
                .parse::<u64>()
                .is_ok_and(|id| issue.assignee_ids.contains(&id)),
        };
        let assignee_names = self.assignee_username.as_ref().is_none_or(|names| {
            names.iter().all(|name| {
                store
                    .user_by_username(name)
                    .is_some_and(|user| issue.assignee_ids.contains(&user.id))
            })
        });
        let author = self.author_id.is_none_or(|id| issue.author_id == id)
            && self.author_username.as_deref().is_none_or(|name| {
                store
                    .user_by_username(name)
                    .is_some_and(|user| user.id == issue.author_id)
            });
        state
            && labels
            && milestone_title
            && timebox
            && in_iteration
            && search
            && in_range(issue.created_at, self.created_after, self.created_before)
            && in_range(issue.updated_at, self.updated_after, self.updated_before)
            && assignee
            && assignee_names
            && author
            && self
                .confidential
                .is_none_or(|flag| issue.confidential == flag)
            && self
                .iids
                .as_ref()
                .is_none_or(|iids| iids.contains(&issue.iid))
            && self
                .issue_type
                .as_deref()
                .is_none_or(|kind| issue.issue_type == kind)
    }

    /// Orders the issues that passed, and answers the requested page of them.
    fn answer(&self, store: &Store, mut issues: Vec<&Issue>, link: &LinkBase) -> Response {
        issues.sort_by(|a, b| {
            let primary = match self.order_by {
                OrderBy::CreatedAt => a.created_at.cmp(&b.created_at),
                OrderBy::UpdatedAt => a.updated_at.cmp(&b.updated_at),
                OrderBy::DueDate => a.due_date.cmp(&b.due_date),
                OrderBy::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
                OrderBy::Weight => a.weight.cmp(&b.weight),
            };
            primary.then(a.id.cmp(&b.id))
        });
        if !self.ascending {
            issues.reverse();
        }
        let render = |issue: &&Issue| {
            let mut value = issue_json(store, issue);
            if self.with_label_details
                && let (Value::Object(object), Some(project)) =
                    (&mut value, store.projects.get(&issue.project_id))
            {
                let details: Vec<Value> = store
                    .labels_for_project(project)
                    .into_iter()
                    .filter(|label| issue.labels.contains(&label.name))
                    .map(labels::label_json)
                    .collect();
                object.insert("labels".to_owned(), Value::Array(details));
            }
            value
        };
        pagination::offset(&issues, self.page, link, render)
    }
}

/// Reads `iteration_id` (an id, `None`, `Any` or `Current`) or `iteration_title`; GitLab
/// refuses both at once.
fn read_iteration(params: &mut Params) -> Option<IterationFilter> {
    let id = params.string("iteration_id");
    let title = params.string("iteration_title");
    if id.is_some() && title.is_some() {
        params.push_error("iteration_id, iteration_title are mutually exclusive".to_owned());
        return None;
    }
    if let Some(title) = title {
        return Some(IterationFilter::Title(title));
    }
    let id = id?;
    let filter = match id.trim().to_ascii_lowercase().as_str() {
        "none" => Some(IterationFilter::None),
        "any" => Some(IterationFilter::Any),
        "current" => Some(IterationFilter::Current),
        number => number.parse::<u64>().ok().map(IterationFilter::Id),
    };
    if filter.is_none() {
        params.push_error("iteration_id is invalid".to_owned());
    }
    filter
}

/// `GET /projects/:id/issues`.
pub(crate) async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let query = IssueListQuery::read(&mut request.params);
    request.params.finish()?;
    let store = app.store();
    let project_id = visible_project(&store, &id, user)?.id;
    let issues: Vec<&Issue> = store
        .issues
        .values()
        .filter(|issue| issue.project_id == project_id)
        .filter(|issue| store.can_read_issue(user, issue))
        .filter(|issue| query.matches(&store, issue))
        .collect();
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone())],
    );
    Ok(query.answer(&store, issues, &link))
}

/// `GET /groups/:id/issues`: the issues of the group's projects and of its subgroups'
/// projects, as far as the caller can read them.
pub(crate) async fn list_group(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    let user = request.caller.not_job()?;
    let query = IssueListQuery::read(&mut request.params);
    request.params.finish()?;
    let store = app.store();
    let group_id = visible_group(&store, &id, user)?.id;
    let issues: Vec<&Issue> = store
        .issues
        .values()
        .filter(|issue| {
            store
                .projects
                .get(&issue.project_id)
                .is_some_and(|project| store.project_groups(project).contains(&group_id))
        })
        .filter(|issue| store.can_read_issue(user, issue))
        .filter(|issue| query.matches(&store, issue))
        .collect();
    let link = LinkBase::new(
        &store.base_url,
        &request.path,
        &request.params,
        &[("id", id.clone())],
    );
    Ok(query.answer(&store, issues, &link))
}
