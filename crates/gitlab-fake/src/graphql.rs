//! `POST /api/graphql`: the subset of GitLab's GraphQL API teamcadence reads: users, the
//! open issues assigned to some people, and the merge requests awaiting their review, in
//! bulk.
//!
//! `users(ids:, usernames:, first:, after:)` answers a `UserCoreConnection` (`nodes`, `edges`,
//! `pageInfo`) of `UserCore` objects with `id` (a global id, `gid://gitlab/User/N`),
//! `username`, `name`, `state`, `webUrl` and `status` (`UserStatus`: `availability`
//! `NOT_SET`/`BUSY`, `message`, `messageHtml`, `emoji`; `null` when the user has none, as
//! GitLab's type has no clear date). As GitLab: usernames match case-insensitively and ones
//! without an account are left out, newest users come first, a page holds at most 100
//! (a larger `first` is cut silently, as graphql-ruby's `max_page_size` does), cursors are
//! opaque, and a query that cannot run answers 200 with `errors`.
//!
//! `UserCore.reviewRequestedMergeRequests(state:, first:, after:)` answers the merge requests
//! that ask the user for a review, in the projects the caller can read, newest first: the
//! same ones as REST's `GET /merge_requests?scope=all&reviewer_username=` (`MergeRequest`:
//! `iid` as a string, `title`, `webUrl`, `state`, `draft`, `author { username name }`,
//! `project`).
//!
//! `project(fullPath:)` and `group(fullPath:)` answer `null` for a path that does not exist
//! or that the caller cannot read, as GitLab does; a `Project` or `Group` has `fullPath` and
//! `issues(state:, or: { assigneeUsernames: }, first:, after:)` (a group's also
//! `includeSubgroups:`, `false` by default as GitLab's), an `IssueConnection` of the issues
//! the caller can read, newest first (GitLab's `created_desc`), assigned to any of the
//! usernames (matched case-insensitively) when `or.assigneeUsernames` is given. An `Issue`
//! has `iid` (a string), `title`, `webUrl`, `state`, `dueDate` (`YYYY-MM-DD`), `weight`,
//! `confidential`, `createdAt`, `closedAt`, `reference(full:)` (`#12`, or `group/project#12`),
//! `milestone { title }`, `assignees` (a `UserCoreConnection`) and `labels { nodes { title } }`.
//!
//! Authentication is the REST API's (`PRIVATE-TOKEN`, `Authorization: Bearer`); like the
//! fake's `GET /users`, it refuses callers without a valid personal token, here with GitLab
//! GraphQL's own 401 body `{"errors":[{"message":"Invalid token"}]}`.
//! <https://docs.gitlab.com/api/graphql/reference/#queryusers>
//! <https://docs.gitlab.com/api/graphql/reference/#projectissues>
//! <https://docs.gitlab.com/api/graphql/reference/#usercorereviewrequestedmergerequests>

use std::sync::OnceLock;

use async_graphql::connection::{Connection, Edge};
use async_graphql::parser::types::{Selection, SelectionSet};
use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, Enum, ID, InputObject, Object,
    OutputType, Schema, SimpleObject,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::app::{App, json};
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::merge_requests::MergeRequest;
use crate::params::Params;
use crate::store::{Issue, IssueState, Namespace, Project, Store, User};
use crate::users::html_escape;

/// GitLab's largest GraphQL page (`GITLAB_GRAPHQL_MAX_PAGE_SIZE`, 100 by default).
const MAX_PAGE_SIZE: usize = 100;

/// The prefix of a user's global id.
const USER_GID: &str = "gid://gitlab/User/";

/// The schema of the subset: queries only.
type FakeSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Built once: building walks every type.
fn schema() -> &'static FakeSchema {
    static SCHEMA: OnceLock<FakeSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::build(Query, EmptyMutation, EmptySubscription).finish())
}

/// `POST /api/graphql` with `{"query": ..., "variables": ..., "operationName": ...}`.
pub(crate) async fn execute(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if app.0.faults.conditions().graphql_disabled {
        return ApiError::no_route().into_response();
    }
    let authenticated = {
        let store = app.store();
        // A query reads: a `read_api` token may run it, as GitLab allows.
        auth::authenticate(&store, &Method::GET, &headers, &mut Params::default()).ok()
    };
    let Some(Caller::User(caller)) = authenticated else {
        return errors(StatusCode::UNAUTHORIZED, "Invalid token");
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Unexpected end of document or invalid JSON: {error}"),
            );
        }
    };
    if app.0.faults.conditions().graphql_free_edition && selects_weight(&request.query) {
        // graphql-ruby's validation error, as GitLab's Free edition answers it.
        return json(
            StatusCode::OK,
            json!({ "errors": [{
                "message": "Field 'weight' doesn't exist on type 'Issue'",
                "extensions": { "code": "undefinedField", "typeName": "Issue", "fieldName": "weight" },
            }] }),
        );
    }
    let answer = schema()
        .execute(request.data(app).data(Viewer(caller.user_id)))
        .await;
    match serde_json::to_value(&answer) {
        Ok(value) => json(StatusCode::OK, value),
        Err(error) => errors(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// Whether `query` selects a `weight` anywhere (in the fake's schema only `Issue` has one);
/// a query that does not parse is left to the schema to refuse.
fn selects_weight(query: &str) -> bool {
    fn any_weight(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                field.node.name.node.as_str() == "weight"
                    || any_weight(&field.node.selection_set.node)
            }
            Selection::InlineFragment(inline) => any_weight(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    document
        .operations
        .iter()
        .any(|(_, operation)| any_weight(&operation.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| any_weight(&fragment.node.selection_set.node))
}

/// GitLab GraphQL's error answer outside a query's execution.
fn errors(status: StatusCode, message: &str) -> Response {
    json(status, json!({ "errors": [{ "message": message }] }))
}

/// The root query type.
pub(crate) struct Query;

/// The user the query runs as: what they cannot read is not in the answer.
struct Viewer(u64);

/// `AvailabilityEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "AvailabilityEnum")]
enum Availability {
    /// Not set.
    NotSet,
    /// Busy.
    Busy,
}

/// `UserState`: only active users exist in the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "UserState")]
enum UserState {
    /// An active user.
    #[graphql(name = "active")]
    Active,
}

/// `UserStatus`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "UserStatus")]
struct Status {
    /// Whether the user is busy.
    availability: Availability,
    /// The message.
    message: Option<String>,
    /// The message rendered.
    message_html: Option<String>,
    /// The emoji's name.
    emoji: Option<String>,
}

/// `UserCore`: the user type of the `users` query.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "UserCore", complex)]
struct UserNode {
    /// The user's numeric id, for the fields that look further.
    #[graphql(skip)]
    user_id: u64,
    /// Global id.
    id: ID,
    /// Username.
    username: String,
    /// Display name.
    name: String,
    /// Account state.
    state: UserState,
    /// The user's web page.
    web_url: String,
    /// The live status, `null` when none.
    status: Option<Status>,
}

#[Object]
impl Query {
    /// Users by username or global id (or all), newest first, as GitLab's `Query.users`.
    async fn users(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        usernames: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, UserNode>> {
        if ids.is_some() && usernames.is_some() {
            return Err("Provide either a list of usernames or ids".into());
        }
        let limit = page_size(first)?;
        let ids = match ids {
            Some(ids) => Some(
                ids.iter()
                    .map(|id| {
                        id.strip_prefix(USER_GID)
                            .and_then(|n| n.parse::<u64>().ok())
                            .ok_or_else(|| {
                                async_graphql::Error::new(format!(
                                    "\"{}\" does not represent an instance of User",
                                    id.as_str()
                                ))
                            })
                    })
                    .collect::<Result<Vec<u64>, _>>()?,
            ),
            None => None,
        };
        let after_id = match after {
            Some(cursor) => Some(
                decode_cursor(&cursor)
                    .ok_or_else(|| async_graphql::Error::new("Please provide a valid cursor"))?,
            ),
            None => None,
        };
        let app = ctx.data::<App>()?;
        let store = app.store();
        let now = store.clock.now();
        let mut users: Vec<&User> = store
            .users
            .values()
            .filter(|user| ids.as_ref().is_none_or(|ids| ids.contains(&user.id)))
            .filter(|user| {
                usernames.as_ref().is_none_or(|names| {
                    names
                        .iter()
                        .any(|name| name.eq_ignore_ascii_case(&user.username))
                })
            })
            .filter(|user| after_id.is_none_or(|after| user.id < after))
            .collect();
        // Newest first (GitLab's `created_desc`); ids grow with creation.
        users.sort_by_key(|user| std::cmp::Reverse(user.id));
        let has_next_page = users.len() > limit;
        let mut connection = Connection::new(after_id.is_some(), has_next_page);
        connection.edges.extend(
            users
                .into_iter()
                .take(limit)
                .map(|user| Edge::new(encode_cursor(user.id), node(&store, user, now))),
        );
        Ok(connection)
    }

    /// The project at `fullPath`, `null` when there is none the caller can read.
    async fn project(
        &self,
        ctx: &Context<'_>,
        full_path: ID,
    ) -> async_graphql::Result<Option<ProjectNode>> {
        let viewer = ctx.data::<Viewer>()?.0;
        let store = ctx.data::<App>()?.store();
        Ok(store
            .project_by_path(&full_path)
            .filter(|project| store.can_read_project(Some(viewer), project))
            .map(|project| ProjectNode { id: project.id }))
    }

    /// The group at `fullPath`, `null` when there is none the caller can read.
    async fn group(
        &self,
        ctx: &Context<'_>,
        full_path: ID,
    ) -> async_graphql::Result<Option<GroupNode>> {
        let viewer = ctx.data::<Viewer>()?.0;
        let store = ctx.data::<App>()?.store();
        Ok(store
            .groups
            .values()
            .find(|group| {
                store
                    .group_full_path(group)
                    .eq_ignore_ascii_case(&full_path)
            })
            .filter(|group| store.can_read_group(Some(viewer), group))
            .map(|group| GroupNode { id: group.id }))
    }
}

/// A user as the query answers them, with their status if it is set and has not expired.
fn node(store: &Store, user: &User, now: DateTime<Utc>) -> UserNode {
    let status = user
        .status
        .as_ref()
        .filter(|status| status.clear_status_at.is_none_or(|at| at > now))
        .map(|status| Status {
            availability: if status.availability == "busy" {
                Availability::Busy
            } else {
                Availability::NotSet
            },
            message: status.message.clone(),
            message_html: status.message.as_deref().map(html_escape),
            emoji: status.emoji.clone(),
        });
    UserNode {
        user_id: user.id,
        id: ID(format!("{USER_GID}{}", user.id)),
        username: user.username.clone(),
        name: user.name.clone(),
        state: UserState::Active,
        web_url: format!("{}/{}", store.base_url, user.username),
        status,
    }
}

/// How many nodes a page holds: `first`, at most [`MAX_PAGE_SIZE`].
fn page_size(first: Option<i32>) -> async_graphql::Result<usize> {
    match first {
        Some(first) if first < 0 => {
            Err("Argument 'first' must be greater than or equal to 0".into())
        }
        Some(first) => Ok(usize::try_from(first).unwrap_or(0).min(MAX_PAGE_SIZE)),
        None => Ok(MAX_PAGE_SIZE),
    }
}

/// `IssuableState`: which issues or merge requests a list keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "IssuableState", rename_items = "lowercase")]
enum IssuableState {
    /// Open.
    Opened,
    /// Closed.
    Closed,
    /// Locked (merge requests only).
    Locked,
    /// Any state.
    All,
}

/// `IssueState`: an issue's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "IssueState", rename_items = "lowercase")]
enum IssueStateEnum {
    /// Open.
    Opened,
    /// Closed.
    Closed,
}

/// `MergeRequestState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "MergeRequestState", rename_items = "lowercase")]
enum MergeRequestState {
    /// Open.
    Opened,
    /// Closed without merging.
    Closed,
    /// Locked.
    Locked,
    /// Merged.
    Merged,
    /// Any state.
    All,
}

impl MergeRequestState {
    /// Whether a merge request in `state` (the store's spelling) is kept.
    fn keeps(self, state: &str) -> bool {
        match self {
            MergeRequestState::All => true,
            MergeRequestState::Opened => state == "opened",
            MergeRequestState::Closed => state == "closed",
            MergeRequestState::Locked => state == "locked",
            MergeRequestState::Merged => state == "merged",
        }
    }
}

/// `UnionedIssueFilterInput`: an issue matches when it matches any of a list.
#[derive(Debug, Clone, Default, InputObject)]
#[graphql(name = "UnionedIssueFilterInput")]
struct UnionedIssueFilter {
    /// Issues assigned to at least one of these users.
    assignee_usernames: Option<Vec<String>>,
    /// Issues authored by one of these users.
    author_usernames: Option<Vec<String>>,
    /// Issues with at least one of these labels.
    label_names: Option<Vec<String>>,
}

impl UnionedIssueFilter {
    /// Whether `issue` passes each list that is given.
    fn keeps(&self, store: &Store, issue: &Issue) -> bool {
        let named = |names: &Option<Vec<String>>, ids: &[u64]| {
            names.as_ref().is_none_or(|names| {
                ids.iter()
                    .filter_map(|id| store.users.get(id))
                    .any(|user| names.iter().any(|n| n.eq_ignore_ascii_case(&user.username)))
            })
        };
        named(&self.assignee_usernames, &issue.assignee_ids)
            && named(&self.author_usernames, &[issue.author_id])
            && self
                .label_names
                .as_ref()
                .is_none_or(|names| issue.labels.iter().any(|label| names.contains(label)))
    }
}

/// The issue filters of `Project.issues` and `Group.issues` the fake serves.
struct IssueFilter {
    state: Option<IssuableState>,
    or: Option<UnionedIssueFilter>,
}

impl IssueFilter {
    fn keeps(&self, store: &Store, issue: &Issue) -> bool {
        let state = match self.state {
            None | Some(IssuableState::All) => true,
            Some(IssuableState::Opened) => issue.state == IssueState::Opened,
            Some(IssuableState::Closed) => issue.state == IssueState::Closed,
            Some(IssuableState::Locked) => false,
        };
        state && self.or.as_ref().is_none_or(|or| or.keeps(store, issue))
    }
}

/// `Project`.
struct ProjectNode {
    id: u64,
}

#[Object(name = "Project")]
impl ProjectNode {
    /// Full path (`group/project`).
    async fn full_path(&self, ctx: &Context<'_>) -> async_graphql::Result<ID> {
        let store = ctx.data::<App>()?.store();
        Ok(ID(store
            .projects
            .get(&self.id)
            .map(|project| store.project_full_path(project))
            .unwrap_or_default()))
    }

    /// The project's issues the caller can read, newest first.
    async fn issues(
        &self,
        ctx: &Context<'_>,
        state: Option<IssuableState>,
        or: Option<UnionedIssueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, IssueNode>> {
        let filter = IssueFilter { state, or };
        issues(ctx, |project| project.id == self.id, &filter, first, after)
    }
}

/// `Group`.
struct GroupNode {
    id: u64,
}

#[Object(name = "Group")]
impl GroupNode {
    /// Full path (`parent/child`).
    async fn full_path(&self, ctx: &Context<'_>) -> async_graphql::Result<ID> {
        let store = ctx.data::<App>()?.store();
        Ok(ID(store
            .groups
            .get(&self.id)
            .map(|group| store.group_full_path(group))
            .unwrap_or_default()))
    }

    /// The issues of the group's projects (and of its subgroups' with `includeSubgroups`)
    /// the caller can read, newest first.
    async fn issues(
        &self,
        ctx: &Context<'_>,
        include_subgroups: Option<bool>,
        state: Option<IssuableState>,
        or: Option<UnionedIssueFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, IssueNode>> {
        let filter = IssueFilter { state, or };
        let include_subgroups = include_subgroups.unwrap_or(false);
        let store = ctx.data::<App>()?.store();
        let in_group: Vec<u64> = store
            .projects
            .values()
            .filter(|project| {
                if include_subgroups {
                    store.project_groups(project).contains(&self.id)
                } else {
                    project.namespace == Namespace::Group(self.id)
                }
            })
            .map(|project| project.id)
            .collect();
        drop(store);
        issues(
            ctx,
            |project| in_group.contains(&project.id),
            &filter,
            first,
            after,
        )
    }
}

/// The issues of the projects `in_place` keeps that pass `filter` and the caller can read,
/// newest first, one page.
fn issues(
    ctx: &Context<'_>,
    in_place: impl Fn(&Project) -> bool,
    filter: &IssueFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, IssueNode>> {
    let viewer = ctx.data::<Viewer>()?.0;
    let store = ctx.data::<App>()?.store();
    let issues: Vec<&Issue> = store
        .issues
        .values()
        .filter(|issue| store.projects.get(&issue.project_id).is_some_and(&in_place))
        .filter(|issue| store.can_read_issue(Some(viewer), issue))
        .filter(|issue| filter.keeps(&store, issue))
        .collect();
    newest_first(
        issues,
        |issue| (issue.created_at, issue.id),
        first,
        after,
        |issue| issue_node(&store, issue),
    )
}

/// `Issue`.
#[derive(SimpleObject)]
#[graphql(name = "Issue", complex)]
struct IssueNode {
    /// Number within the project, as a string (GitLab's type).
    iid: String,
    /// Title.
    title: String,
    /// Its page.
    web_url: String,
    /// Open or closed.
    state: IssueStateEnum,
    /// Due date, `YYYY-MM-DD`.
    due_date: Option<String>,
    /// Weight.
    weight: Option<i32>,
    /// Whether it is confidential.
    confidential: bool,
    /// Creation time.
    created_at: String,
    /// When it was closed.
    closed_at: Option<String>,
    /// Its milestone.
    milestone: Option<MilestoneNode>,
    /// The users assigned.
    assignees: Connection<String, UserNode>,
    /// Its labels.
    labels: Connection<String, LabelNode>,
    /// `group/project`, for the full reference.
    #[graphql(skip)]
    project_path: String,
}

#[ComplexObject]
impl IssueNode {
    /// `#12`, or with `full`, `group/project#12`.
    async fn reference(&self, #[graphql(default = false)] full: bool) -> String {
        if full {
            format!("{}#{}", self.project_path, self.iid)
        } else {
            format!("#{}", self.iid)
        }
    }
}

/// `Milestone`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Milestone")]
struct MilestoneNode {
    /// Title.
    title: String,
}

/// `Label`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Label")]
struct LabelNode {
    /// Title.
    title: String,
}

/// An issue as the `issues` connections answer it.
fn issue_node(store: &Store, issue: &Issue) -> IssueNode {
    let now = store.clock.now();
    let project_path = store
        .projects
        .get(&issue.project_id)
        .map(|project| store.project_full_path(project))
        .unwrap_or_default();
    let assignees = issue
        .assignee_ids
        .iter()
        .filter_map(|id| store.users.get(id))
        .map(|user| (user.id, node(store, user, now)));
    let labels = issue.labels.iter().enumerate().map(|(n, title)| {
        let node = LabelNode {
            title: title.clone(),
        };
        (n as u64, node)
    });
    IssueNode {
        iid: issue.iid.to_string(),
        title: issue.title.clone(),
        web_url: format!("{}/{}/-/issues/{}", store.base_url, project_path, issue.iid),
        state: match issue.state {
            IssueState::Opened => IssueStateEnum::Opened,
            IssueState::Closed => IssueStateEnum::Closed,
        },
        due_date: issue
            .due_date
            .map(|date| date.format("%Y-%m-%d").to_string()),
        weight: issue.weight.and_then(|w| i32::try_from(w).ok()),
        confidential: issue.confidential,
        created_at: time(issue.created_at),
        closed_at: issue.closed_at.map(time),
        milestone: issue
            .milestone_id
            .and_then(|id| store.milestones.get(&id))
            .map(|milestone| MilestoneNode {
                title: milestone.title.clone(),
            }),
        assignees: whole(assignees),
        labels: whole(labels),
        project_path,
    }
}

/// A connection holding every node at once (an issue's assignees and labels).
fn whole<N: OutputType>(nodes: impl Iterator<Item = (u64, N)>) -> Connection<String, N> {
    let mut connection = Connection::new(false, false);
    connection
        .edges
        .extend(nodes.map(|(id, node)| Edge::new(encode_cursor(id), node)));
    connection
}

/// A time as GitLab's `Time` type gives it (ISO 8601, UTC).
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `MergeRequest`.
#[derive(SimpleObject)]
#[graphql(name = "MergeRequest")]
struct MergeRequestNode {
    /// Number within the project, as a string.
    iid: String,
    /// Title.
    title: String,
    /// Its page.
    web_url: String,
    /// `opened`, `closed`, `locked` or `merged`.
    state: String,
    /// Whether it is a draft.
    draft: bool,
    /// Its author.
    author: Option<AuthorNode>,
    /// Its project.
    project: ProjectNode,
}

/// `MergeRequestAuthor`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "MergeRequestAuthor")]
struct AuthorNode {
    /// Username.
    username: String,
    /// Display name.
    name: String,
}

#[ComplexObject]
impl UserNode {
    /// The merge requests asking this user for a review in the projects the caller can
    /// read, newest first: what REST's `GET /merge_requests?scope=all&reviewer_username=`
    /// lists.
    async fn review_requested_merge_requests(
        &self,
        ctx: &Context<'_>,
        state: Option<MergeRequestState>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, MergeRequestNode>> {
        let viewer = ctx.data::<Viewer>()?.0;
        let store = ctx.data::<App>()?.store();
        let requests: Vec<&MergeRequest> = store
            .merge_requests
            .values()
            .filter(|mr| mr.reviewer_ids.contains(&self.user_id))
            .filter(|mr| state.is_none_or(|state| state.keeps(&mr.state)))
            .filter(|mr| {
                store
                    .projects
                    .get(&mr.project_id)
                    .is_some_and(|project| store.can_read_project(Some(viewer), project))
            })
            .collect();
        newest_first(
            requests,
            |mr| (mr.created_at, mr.id),
            first,
            after,
            |mr| merge_request_node(&store, mr),
        )
    }
}

/// A merge request as `reviewRequestedMergeRequests` answers it.
fn merge_request_node(store: &Store, mr: &MergeRequest) -> MergeRequestNode {
    let full_path = store
        .projects
        .get(&mr.project_id)
        .map(|project| store.project_full_path(project))
        .unwrap_or_default();
    MergeRequestNode {
        iid: mr.iid.to_string(),
        title: mr.title.clone(),
        web_url: format!(
            "{}/{}/-/merge_requests/{}",
            store.base_url, full_path, mr.iid
        ),
        state: mr.state.clone(),
        draft: mr.draft,
        author: store.users.get(&mr.author_id).map(|user| AuthorNode {
            username: user.username.clone(),
            name: user.name.clone(),
        }),
        project: ProjectNode { id: mr.project_id },
    }
}

/// One page of `items`, newest first by `key` (creation time, then id), after the cursor
/// `after`: what GitLab's keyset pagination of `created_desc` answers.
fn newest_first<T, N: OutputType>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> (DateTime<Utc>, u64),
    first: Option<i32>,
    after: Option<String>,
    node: impl Fn(T) -> N,
) -> async_graphql::Result<Connection<String, N>> {
    let limit = page_size(first)?;
    let after = match after {
        Some(cursor) => Some(
            decode_keyset(&cursor)
                .ok_or_else(|| async_graphql::Error::new("Please provide a valid cursor"))?,
        ),
        None => None,
    };
    items.retain(|item| after.is_none_or(|after| key(item) < after));
    items.sort_by_key(|item| std::cmp::Reverse(key(item)));
    let has_next_page = items.len() > limit;
    let mut connection = Connection::new(after.is_some(), has_next_page);
    connection
        .edges
        .extend(items.into_iter().take(limit).map(|item| {
            let (created_at, id) = key(&item);
            Edge::new(encode_keyset(created_at, id), node(item))
        }));
    Ok(connection)
}

/// A keyset cursor over (creation time, id), as GitLab's: base64 of
/// `{"created_at":"...","id":"N"}`.
fn encode_keyset(created_at: DateTime<Utc>, id: u64) -> String {
    let value = json!({ "created_at": time_with_nanos(created_at), "id": id.to_string() });
    STANDARD.encode(value.to_string())
}

/// The position a keyset cursor points after, if it is one of ours.
fn decode_keyset(cursor: &str) -> Option<(DateTime<Utc>, u64)> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let at = DateTime::parse_from_rfc3339(value.get("created_at")?.as_str()?).ok()?;
    let id = value.get("id")?.as_str()?.parse().ok()?;
    Some((at.with_timezone(&Utc), id))
}

/// A time to the nanosecond, so that a cursor points exactly.
fn time_with_nanos(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A cursor as GitLab's keyset cursors are made: base64 of `{"id":"N"}`.
fn encode_cursor(id: u64) -> String {
    STANDARD.encode(json!({ "id": id.to_string() }).to_string())
}

/// The user id a cursor points after, if it is one of ours.
fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(encode_cursor(42), "eyJpZCI6IjQyIn0=");
        assert_eq!(decode_cursor("eyJpZCI6IjQyIn0="), Some(42));
        assert_eq!(decode_cursor("not a cursor"), None);
    }

    #[test]
    fn keyset_cursors_keep_the_exact_time_and_id() {
        let at = DateTime::parse_from_rfc3339("2026-11-01T09:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(decode_keyset(&encode_keyset(at, 7)), Some((at, 7)));
        assert_eq!(decode_keyset(&encode_cursor(7)), None);
    }
}
