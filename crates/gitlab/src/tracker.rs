//! [`GitLab`]: the core's [`IssueTracker`] port implemented over GitLab's REST API (and its
//! GraphQL API for users, assigned issues and review requests in bulk: [`crate::graphql`]).
//!
//! Each method maps one port call onto GitLab's endpoints and converts the answer into domain
//! types. It decides nothing about what should exist (that is the core's planning), and never
//! resends a request itself: the request layer ([`crate::transport`]) owns retries and pacing.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use futures_util::future::join_all;
use gitlab::api::common::SortOrder;
use gitlab::api::groups::issues::Issues as GroupIssues;
use gitlab::api::issues::{IssueIteration, IssueMilestone};
use gitlab::api::merge_requests::{MergeRequestScope, MergeRequestState, MergeRequests};
use gitlab::api::projects::issues::links::{CreateIssueLink, IssueLinkType, IssueLinks};
use gitlab::api::projects::issues::notes::{CreateIssueNote, IssueNotes, NoteOrderBy};
use gitlab::api::projects::issues::{
    CreateIssue, EditIssue, Issue as GetIssue, IssueOrderBy, IssueState as WireStateFilter,
    IssueStateEvent, Issues,
};
use gitlab::api::projects::labels::{CreateLabel, DeleteLabel, Label as GetLabel};
use gitlab::api::projects::repository::files::FileRaw;
use gitlab::api::users::Users;
use gitlab::api::{self, ApiError, AsyncQuery, Pagination};
use http::StatusCode;
use teamcadence_core::tracker::{
    CreatedIssue, IssueEdit, IssuePlace, IssueQuery, IssueState, IssueTracker, LinkType,
    LinkedIssue, MilestoneScope, NewIssue, ReviewRequest, TrackedIssue, TrackedIteration,
    TrackedLabel, TrackedMilestone, TrackedNote, TrackedUser, TrackerError, UserStatus,
    assigned_one_by_one,
};

use crate::client::ApiClient;
use crate::connection::{ConnectError, ServerUrl, Token, TokenKind};
use crate::endpoints;
use crate::errors::{Doing, Place, gitlab_message};
use crate::graphql::{self, BulkFailure, BulkUser};
use crate::transport::{ConnectOptions, Transport, TransportError, WriteKind};
use crate::wire;

/// The user agent GitLab sees in its logs.
const USER_AGENT: &str = concat!("teamcadence/", env!("CARGO_PKG_VERSION"));

/// Sets an [`IssueQuery`]'s filters, and the oldest-first order, on a project or group
/// issues builder: the `gitlab` crate's two builders have the same setters but no common
/// trait.
macro_rules! filter_issues {
    ($builder:expr, $query:expr) => {{
        let (builder, query): (_, &IssueQuery) = (&mut $builder, $query);
        if !query.labels.is_empty() {
            builder.labels(query.labels.iter().map(String::as_str));
        }
        if let Some(state) = query.state {
            builder.state(match state {
                IssueState::Opened => WireStateFilter::Opened,
                IssueState::Closed => WireStateFilter::Closed,
            });
        }
        if let Some(after) = query.created_after {
            builder.created_after(after);
        }
        if let Some(title) = &query.milestone {
            builder.milestone_id(IssueMilestone::named(title.as_str()));
        }
        if let Some(id) = query.iteration_id {
            builder.iteration(IssueIteration::Id(id));
        }
        // Oldest first: issues created while the pages are read land on the last page
        // instead of shifting the others' offsets.
        builder
            .order_by(IssueOrderBy::CreatedAt)
            .sort(SortOrder::Ascending);
    }};
}

/// A connection to one GitLab instance with one token: the adapter behind the core's
/// [`IssueTracker`] port.
pub struct GitLab {
    transport: Transport,
    server: ServerUrl,
    token_kind: TokenKind,
    /// Usernames (lowercased) already looked up, with what GitLab said.
    users: Mutex<HashMap<String, Option<TrackedUser>>>,
    /// Numeric ids of projects already looked up, by full path.
    project_ids: Mutex<HashMap<String, u64>>,
}

impl fmt::Debug for GitLab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitLab")
            .field("server", &self.server)
            .field(
                "token",
                &format_args!("[redacted {:?} token]", self.token_kind),
            )
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl GitLab {
    /// Every page of an issue list endpoint, as domain issues.
    async fn all_issues<E, B>(
        &self,
        endpoint: Result<E, B>,
        doing: &Doing<'_>,
    ) -> Result<Vec<TrackedIssue>, TrackerError>
    where
        E: gitlab::api::Endpoint + gitlab::api::Pageable + Sync,
        B: std::error::Error + Send + Sync + 'static,
    {
        let endpoint = endpoint.map_err(|e| doing.unbuildable(e))?;
        let issues: Vec<wire::Issue> = api::paged(endpoint, Pagination::All)
            .query_async(&self.transport.listing())
            .await
            .map_err(|e| doing.fail(e))?;
        tracked_issues(issues, doing)
    }

    /// Every issue of a built listing `endpoint`, across all pages; with `last_line_only`,
    /// only the last line of each description that holds something is kept.
    async fn listed_issues<E>(
        &self,
        endpoint: E,
        last_line_only: bool,
        doing: &Doing<'_>,
    ) -> Result<Vec<TrackedIssue>, TrackerError>
    where
        E: gitlab::api::Endpoint + gitlab::api::Pageable + Sync,
    {
        let paged = api::paged(endpoint, Pagination::All);
        let listing = self.transport.listing();
        if last_line_only {
            let issues: Vec<wire::Issue<wire::LastLine>> = paged
                .query_async(&listing)
                .await
                .map_err(|e| doing.fail(e))?;
            return tracked_issues(issues, doing);
        }
        let issues: Vec<wire::Issue> = paged
            .query_async(&listing)
            .await
            .map_err(|e| doing.fail(e))?;
        tracked_issues(issues, doing)
    }

    /// Connects to the GitLab instance at `url` (https, or http to this machine) and checks
    /// the token (`GET /api/v4/user`, or `/api/v4/job` for a job token), retrying as
    /// `options` allow when GitLab is unreachable.
    pub async fn connect(
        url: &str,
        token: Token,
        options: ConnectOptions,
    ) -> Result<Self, ConnectError> {
        let server = ServerUrl::parse(url)?;
        let kind = token.kind();
        let client = ApiClient::new(&server, token, USER_AGENT).map_err(|detail| {
            ConnectError::Unreachable {
                url: server.to_string(),
                detail,
            }
        })?;
        let transport = Transport::new(client, options);
        // Checked through the request layer, so the check waits as a 429 asks, retries as
        // any read, and reports a redirect instead of following it.
        let checked = match kind {
            TokenKind::Access => "user",
            TokenKind::Job => "job",
        };
        let answer = transport
            .get(checked)
            .await
            .map_err(|e| connect_failure(e, &server, kind))?;
        if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(answer.body())
            .is_err()
        {
            return Err(ConnectError::Unexpected {
                url: server.to_string(),
                detail: format!(
                    "GET /api/v4/{checked} did not answer a JSON object: is this the address of \
                     a GitLab instance?"
                ),
            });
        }
        tracing::debug!(server = %server, ?kind, "connected to GitLab");
        Ok(Self {
            transport,
            server,
            token_kind: kind,
            users: Mutex::default(),
            project_ids: Mutex::default(),
        })
    }

    /// The GitLab instance this talks to.
    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// The user with this username, looked up once per adapter.
    async fn user(&self, username: &str) -> Result<Option<TrackedUser>, TrackerError> {
        let key = username.to_lowercase();
        if let Some(known) = lock(&self.users).get(&key) {
            return Ok(known.clone());
        }
        let doing = Doing::read(
            format!("looking up the GitLab user {username}"),
            Place::Instance,
        )
        .about(format!("user {username}"));
        let endpoint = Users::builder()
            .username(username)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let found: Vec<wire::User> = endpoint
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        let user = found
            .into_iter()
            .find(|user| user.username.eq_ignore_ascii_case(username))
            .map(TrackedUser::from);
        lock(&self.users).insert(key, user.clone());
        Ok(user)
    }

    /// Looks `usernames` up in bulk through GraphQL and remembers the users found. `None`:
    /// GraphQL cannot be used here (the per-user REST lookups must answer instead).
    /// Usernames GraphQL does not return are not remembered: REST has the last word on them.
    async fn bulk_users(
        &self,
        usernames: &[String],
    ) -> Result<Option<HashMap<String, BulkUser>>, TrackerError> {
        let unique = unique_names(usernames);
        if unique.is_empty() {
            return Ok(Some(HashMap::new()));
        }
        let found = match graphql::users(&self.transport, &unique).await {
            Ok(found) => found,
            Err(BulkFailure::Unusable(why)) => {
                tracing::debug!(
                    why,
                    users = unique.len(),
                    "GitLab's GraphQL API cannot look users up in bulk here: one REST \
                     request per user instead"
                );
                return Ok(None);
            }
            Err(BulkFailure::Failed(error)) => return Err(error),
        };
        let by_name: HashMap<String, BulkUser> = found
            .into_iter()
            .map(|found| (found.user.username.to_lowercase(), found))
            .collect();
        let mut cache = lock(&self.users);
        for (key, found) in &by_name {
            cache.insert(key.clone(), Some(found.user.clone()));
        }
        Ok(Some(by_name))
    }

    /// The REST status of a user (`GET /users/:id/status`).
    async fn rest_status(&self, user: &TrackedUser) -> Result<UserStatus, TrackerError> {
        let username = &user.username;
        let doing = Doing::read(format!("reading the status of {username}"), Place::Instance)
            .about(format!("user {username}"));
        let status: wire::Status = endpoints::UserStatus { user: user.id }
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        Ok(status.into())
    }

    /// What the port's `user_status` answers for one user, knowing what GraphQL said of
    /// them: no status needs no request; a busy status or one with a message is read through
    /// REST for the date it clears, which GraphQL does not give; a user GraphQL did not
    /// return is looked up through REST.
    async fn status_after_bulk(
        &self,
        username: &str,
        found: Option<&BulkUser>,
    ) -> Result<Option<UserStatus>, TrackerError> {
        match found {
            None => self.user_status(username).await,
            Some(BulkUser { status: None, .. }) => Ok(Some(UserStatus::default())),
            Some(BulkUser {
                user,
                status: Some(status),
            }) if status.needs_clear_date() => self.rest_status(user).await.map(Some),
            Some(BulkUser {
                status: Some(status),
                ..
            }) => Ok(Some(UserStatus {
                busy: status.busy,
                message: status.message.clone(),
                clear_status_at: None,
            })),
        }
    }

    /// User ids for `usernames`, and the usernames without an account (each once, in order).
    async fn assignee_ids(
        &self,
        usernames: &[String],
    ) -> Result<(Vec<u64>, Vec<String>), TrackerError> {
        let mut unique: Vec<&String> = Vec::new();
        for name in usernames {
            if !unique.iter().any(|seen| seen.eq_ignore_ascii_case(name)) {
                unique.push(name);
            }
        }
        let found = join_all(unique.iter().map(|name| self.user(name))).await;
        let (mut ids, mut unknown) = (Vec::new(), Vec::new());
        for (name, user) in unique.into_iter().zip(found) {
            match user? {
                Some(user) => ids.push(user.id),
                None => unknown.push(name.clone()),
            }
        }
        Ok((ids, unknown))
    }

    /// The id of the milestone titled `title` in `project` or its groups (an active one
    /// first), if there is one.
    async fn milestone_id(&self, project: &str, title: &str) -> Result<Option<u64>, TrackerError> {
        let doing = Doing::read(
            format!("looking up the milestone `{title}` of {project}"),
            Place::Project(project),
        );
        let endpoint = endpoints::ProjectMilestones {
            project,
            title: Some(title),
            include_ancestors: true,
        };
        let found: Vec<wire::Milestone> = api::paged(endpoint, Pagination::All)
            .query_async(&self.transport.listing())
            .await
            .map_err(|e| doing.fail(e))?;
        Ok(found
            .iter()
            .filter(|milestone| milestone.title == title)
            .min_by_key(|milestone| milestone.state != "active")
            .map(|milestone| milestone.id))
    }

    /// The numeric id of a project, looked up once per adapter.
    async fn project_id(&self, project: &str) -> Result<u64, TrackerError> {
        if let Some(id) = lock(&self.project_ids).get(project) {
            return Ok(*id);
        }
        let doing = Doing::read(
            format!("looking up the project {project}"),
            Place::Project(project),
        );
        let endpoint = api::projects::Project::builder()
            .project(project)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let found: wire::Project = endpoint
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        lock(&self.project_ids).insert(project.to_owned(), found.id);
        Ok(found.id)
    }

    /// The issue `iid` of `project`, as it is now.
    async fn issue(&self, project: &str, iid: u64) -> Result<TrackedIssue, TrackerError> {
        let doing = Doing::read(format!("reading {project}#{iid}"), Place::Project(project))
            .about(format!("issue #{iid}"));
        let endpoint = GetIssue::builder()
            .project(project)
            .issue(iid)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let issue: wire::Issue = endpoint
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        TrackedIssue::try_from(issue).map_err(|e| doing.unreadable(e))
    }
}

impl IssueTracker for GitLab {
    async fn list_issues(
        &self,
        project: &str,
        query: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        let doing = Doing::read(
            format!("listing the issues of {project}"),
            Place::Project(project),
        );
        let mut builder = Issues::builder();
        builder.project(project);
        filter_issues!(builder, query);
        let endpoint = builder.build().map_err(|e| doing.unbuildable(e))?;
        self.listed_issues(endpoint, query.last_line_only, &doing)
            .await
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<CreatedIssue, TrackerError> {
        let project = issue.project.as_str();
        let doing = Doing::write(
            format!("creating the issue `{}` in {project}", issue.title),
            Place::Project(project),
        );
        let milestone = async {
            match &issue.milestone {
                Some(title) => self.milestone_id(project, title).await,
                None => Ok(None),
            }
        };
        let (assignees, milestone_id) =
            tokio::join!(self.assignee_ids(&issue.assignees), milestone);
        let (assignee_ids, unknown_assignees) = assignees?;
        let milestone_id = milestone_id?;

        let mut builder = CreateIssue::builder();
        builder.project(project).title(issue.title.as_str());
        if !issue.description.is_empty() {
            builder.description(issue.description.as_str());
        }
        if !issue.labels.is_empty() {
            builder.labels(issue.labels.iter().map(String::as_str));
        }
        if let Some(id) = milestone_id {
            builder.milestone_id(id);
        }
        if let Some(due) = issue.due_date {
            builder.due_date(due);
        }
        if issue.confidential {
            builder.confidential(true);
        }
        let endpoint = endpoints::OrderedAssignees {
            create: builder.build().map_err(|e| doing.unbuildable(e))?,
            ids: assignee_ids,
        };
        let created: wire::Issue = endpoint
            .query_async(&self.transport.paced(WriteKind::Issue))
            .await
            .map_err(|e| doing.fail(e))?;
        let created = TrackedIssue::try_from(created).map_err(|e| doing.unreadable(e))?;
        tracing::debug!(project, iid = created.iid, "created issue");
        Ok(CreatedIssue {
            issue: created,
            unknown_assignees,
            unknown_milestone: issue.milestone.clone().filter(|_| milestone_id.is_none()),
        })
    }

    async fn edit_issue(
        &self,
        project: &str,
        iid: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        if *edit == IssueEdit::default() {
            // GitLab refuses an edit without parameters; nothing to change is a read.
            return self.issue(project, iid).await;
        }
        let doing = Doing::write(format!("editing {project}#{iid}"), Place::Project(project))
            .about(format!("issue #{iid}"));
        let assignee_ids = match &edit.assignees {
            Some(usernames) => Some(self.assignee_ids(usernames).await?.0),
            None => None,
        };
        let mut builder = EditIssue::builder();
        builder.project(project).issue(iid);
        match assignee_ids {
            Some(ids) if ids.is_empty() => {
                builder.unassign();
            }
            Some(ids) => {
                builder.assignee_ids(ids.into_iter());
            }
            None => {}
        }
        if let Some(title) = &edit.title {
            builder.title(title.as_str());
        }
        if let Some(description) = &edit.description {
            builder.description(description.as_str());
        }
        if let Some(due) = edit.due_date {
            builder.due_date(due);
        }
        for label in &edit.add_labels {
            builder.add_label(label.as_str());
        }
        for label in &edit.remove_labels {
            builder.remove_label(label.as_str());
        }
        if let Some(state) = edit.state {
            builder.state_event(match state {
                IssueState::Opened => IssueStateEvent::Reopen,
                IssueState::Closed => IssueStateEvent::Close,
            });
        }
        let endpoint = builder.build().map_err(|e| doing.unbuildable(e))?;
        let edited: wire::Issue = endpoint
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        TrackedIssue::try_from(edited).map_err(|e| doing.unreadable(e))
    }

    async fn list_group_issues(
        &self,
        group: &str,
        query: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        let doing = Doing::read(
            format!("listing the issues of the group {group} and its subgroups"),
            Place::Group(group),
        );
        let mut builder = GroupIssues::builder();
        builder.group(group);
        filter_issues!(builder, query);
        let endpoint = builder.build().map_err(|e| doing.unbuildable(e))?;
        self.listed_issues(endpoint, query.last_line_only, &doing)
            .await
    }

    async fn list_notes(&self, project: &str, iid: u64) -> Result<Vec<TrackedNote>, TrackerError> {
        let doing = Doing::read(
            format!("reading the comments on {project}#{iid}"),
            Place::Project(project),
        )
        .about(format!("issue #{iid}"));
        // Oldest first, so that a comment posted while the pages are read lands on the last
        // page instead of shifting the others' offsets.
        let endpoint = IssueNotes::builder()
            .project(project)
            .issue(iid)
            .order_by(NoteOrderBy::CreatedAt)
            .sort(SortOrder::Ascending)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let notes: Vec<wire::Note> = api::paged(endpoint, Pagination::All)
            .query_async(&self.transport.listing())
            .await
            .map_err(|e| doing.fail(e))?;
        let mut seen = HashSet::new();
        Ok(notes
            .into_iter()
            // A comment deleted meanwhile shifts the offsets back: skip what came twice.
            .filter(|note| seen.insert(note.id))
            .map(TrackedNote::from)
            .collect())
    }

    async fn list_links(&self, project: &str, iid: u64) -> Result<Vec<LinkedIssue>, TrackerError> {
        let doing = Doing::read(
            format!("reading the issues linked to {project}#{iid}"),
            Place::Project(project),
        )
        .about(format!("issue #{iid}"));
        let endpoint = IssueLinks::builder()
            .project(project)
            .issue(iid)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        // GitLab answers every link at once: this list is not paginated.
        let links: Vec<wire::LinkedIssueRef> = endpoint
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        links
            .into_iter()
            .map(|link| LinkedIssue::try_from(link).map_err(|e| doing.unreadable(e)))
            .collect()
    }

    async fn add_note(&self, project: &str, iid: u64, body: &str) -> Result<(), TrackerError> {
        let doing = Doing::write(
            format!("commenting on {project}#{iid}"),
            Place::Project(project),
        )
        .about(format!("issue #{iid}"));
        let endpoint = CreateIssueNote::builder()
            .project(project)
            .issue(iid)
            .body(body)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        api::ignore(endpoint)
            .query_async(&self.transport.paced(WriteKind::Note))
            .await
            .map_err(|e| doing.fail(e))
    }

    async fn link_issues(
        &self,
        project: &str,
        iid: u64,
        target_project: &str,
        target_iid: u64,
        link_type: LinkType,
    ) -> Result<(), TrackerError> {
        let target_id = self.project_id(target_project).await?;
        let doing = Doing::write(
            format!("linking {project}#{iid} to {target_project}#{target_iid}"),
            Place::Project(project),
        )
        .about(format!("issue #{iid}"));
        let endpoint = CreateIssueLink::builder()
            .project(project)
            .issue(iid)
            .target_project(target_id)
            .target_issue(target_iid)
            .link_type(match link_type {
                LinkType::RelatesTo => IssueLinkType::RelatesTo,
                LinkType::Blocks => IssueLinkType::Blocks,
                LinkType::IsBlockedBy => IssueLinkType::IsBlockedBy,
            })
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        match api::ignore(endpoint).query_async(&self.transport).await {
            Ok(()) => Ok(()),
            // 409: the issues are already linked, which is what was asked.
            Err(ApiError::Client {
                source:
                    TransportError::Status {
                        status: StatusCode::CONFLICT,
                        body,
                        ..
                    },
            }) => {
                tracing::debug!(
                    project,
                    iid,
                    target_project,
                    target_iid,
                    message = gitlab_message(&body).unwrap_or_default(),
                    "issues already linked"
                );
                Ok(())
            }
            Err(error) => Err(doing.fail(error)),
        }
    }

    async fn read_file(
        &self,
        project: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<String, TrackerError> {
        let at = git_ref.unwrap_or("the default branch");
        let doing = Doing::read(
            format!("reading {path} at {at} in {project}"),
            Place::Project(project),
        )
        .about(format!("file {path} at {at}"));
        let mut builder = FileRaw::builder();
        builder.project(project).file_path(path);
        if let Some(git_ref) = git_ref {
            builder.ref_(git_ref);
        }
        let endpoint = builder.build().map_err(|e| doing.unbuildable(e))?;
        let bytes = api::raw(endpoint)
            .query_async(&self.transport)
            .await
            .map_err(|e| doing.fail(e))?;
        String::from_utf8(bytes).map_err(|_| {
            TrackerError::Invalid(format!(
                "reading {path} at {at} in {project}: the file is not UTF-8 text"
            ))
        })
    }

    async fn list_milestones(
        &self,
        scope: &MilestoneScope,
    ) -> Result<Vec<TrackedMilestone>, TrackerError> {
        let milestones: Vec<wire::Milestone> = match scope {
            MilestoneScope::Group(group) => {
                let doing = Doing::read(
                    format!("listing the milestones of {group}"),
                    Place::Group(group),
                );
                api::paged(endpoints::GroupMilestones { group }, Pagination::All)
                    .query_async(&self.transport.listing())
                    .await
                    .map_err(|e| doing.fail(e))?
            }
            MilestoneScope::Project(project) => {
                let doing = Doing::read(
                    format!("listing the milestones of {project}"),
                    Place::Project(project),
                );
                let endpoint = endpoints::ProjectMilestones {
                    project,
                    title: None,
                    include_ancestors: true,
                };
                api::paged(endpoint, Pagination::All)
                    .query_async(&self.transport.listing())
                    .await
                    .map_err(|e| doing.fail(e))?
            }
        };
        Ok(milestones.into_iter().map(Into::into).collect())
    }

    async fn list_iterations(&self, group: &str) -> Result<Vec<TrackedIteration>, TrackerError> {
        let doing = Doing::read(
            format!("listing the iterations of {group}"),
            Place::Group(group),
        );
        let iterations: Vec<wire::Iteration> =
            api::paged(endpoints::GroupIterations { group }, Pagination::All)
                .query_async(&self.transport.listing())
                .await
                .map_err(|e| doing.fail(e))?;
        Ok(iterations.into_iter().map(Into::into).collect())
    }

    async fn find_user(&self, username: &str) -> Result<Option<TrackedUser>, TrackerError> {
        self.user(username).await
    }

    async fn user_status(&self, username: &str) -> Result<Option<UserStatus>, TrackerError> {
        let Some(user) = self.user(username).await? else {
            return Ok(None);
        };
        self.rest_status(&user).await.map(Some)
    }

    /// Users not looked up yet are resolved through GraphQL, 100 a query; the rest (and all
    /// of them where GraphQL cannot be used) one REST request each, as `find_user`.
    async fn users(&self, usernames: &[String]) -> Result<Vec<Option<TrackedUser>>, TrackerError> {
        let unknown: Vec<String> = {
            let cache = lock(&self.users);
            usernames
                .iter()
                .filter(|name| !cache.contains_key(&name.to_lowercase()))
                .cloned()
                .collect()
        };
        self.bulk_users(&unknown).await?;
        join_all(usernames.iter().map(|name| self.user(name)))
            .await
            .into_iter()
            .collect()
    }

    /// Statuses through GraphQL, 100 users a query, reading through REST only the clear date
    /// of statuses that say something; per user through REST where GraphQL cannot be used.
    async fn user_statuses(
        &self,
        usernames: &[String],
    ) -> Vec<Result<Option<UserStatus>, TrackerError>> {
        match self.bulk_users(usernames).await {
            Ok(Some(found)) => {
                join_all(
                    usernames
                        .iter()
                        .map(|name| self.status_after_bulk(name, found.get(&name.to_lowercase()))),
                )
                .await
            }
            Ok(None) => join_all(usernames.iter().map(|name| self.user_status(name))).await,
            Err(error) => usernames.iter().map(|_| Err(error.clone())).collect(),
        }
    }

    async fn create_label(
        &self,
        project: &str,
        name: &str,
        description: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError> {
        let doing = Doing::write(
            format!("creating the label `{name}` in {project}"),
            Place::Project(project),
        );
        let endpoint = CreateLabel::builder()
            .project(project)
            .name(name)
            .color(LOCK_COLOR)
            .description(description)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let answer: Result<wire::Label, _> = endpoint.query_async(&self.transport).await;
        match answer {
            Ok(label) => Ok(Some(label.into())),
            // 409 `Label already exists`: another run made it first; GitLab's unique index on
            // a project's label names decided.
            Err(error) if conflict(&error) => Ok(None),
            Err(error) => Err(doing.fail(error)),
        }
    }

    async fn find_label(
        &self,
        project: &str,
        name: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError> {
        let doing = Doing::read(
            format!("reading the label `{name}` of {project}"),
            Place::Project(project),
        )
        .about(format!("label `{name}`"));
        let endpoint = GetLabel::builder()
            .project(project)
            .label(name)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let answer: Result<wire::Label, _> = endpoint.query_async(&self.transport).await;
        match answer {
            Ok(label) => Ok(Some(label.into())),
            Err(error) if label_not_found(&error) => Ok(None),
            Err(error) => Err(doing.fail(error)),
        }
    }

    async fn delete_label(&self, project: &str, id: u64) -> Result<(), TrackerError> {
        let doing = Doing::write(
            format!("deleting the label {id} of {project}"),
            Place::Project(project),
        )
        .about(format!("label {id}"));
        let endpoint = DeleteLabel::builder()
            .project(project)
            .label(id)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        match api::ignore(endpoint).query_async(&self.transport).await {
            Ok(()) => Ok(()),
            // Gone already: what was asked.
            Err(error) if label_not_found(&error) => Ok(()),
            Err(error) => Err(doing.fail(error)),
        }
    }

    fn current_time(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn web_root(&self) -> Option<String> {
        Some(self.server.root().to_string())
    }

    async fn list_assigned_issues(
        &self,
        place: &IssuePlace,
        username: &str,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        let query = IssueQuery {
            state: Some(IssueState::Opened),
            ..IssueQuery::default()
        };
        match place {
            IssuePlace::Project(project) => {
                let doing = Doing::read(
                    format!("listing the open issues of {project} assigned to {username}"),
                    Place::Project(project),
                );
                let mut builder = Issues::builder();
                builder.project(project.as_str()).assignee(username);
                filter_issues!(builder, &query);
                self.all_issues(builder.build(), &doing).await
            }
            IssuePlace::Group(group) => {
                let doing = Doing::read(
                    format!("listing the open issues of the group {group} assigned to {username}"),
                    Place::Group(group),
                );
                let mut builder = GroupIssues::builder();
                builder.group(group.as_str()).assignee(username);
                filter_issues!(builder, &query);
                self.all_issues(builder.build(), &doing).await
            }
        }
    }

    async fn list_review_requests(
        &self,
        username: &str,
    ) -> Result<Vec<ReviewRequest>, TrackerError> {
        let doing = Doing::read(
            format!("listing the open merge requests that ask {username} for a review"),
            Place::Instance,
        );
        // `/merge_requests` lists the caller's own by default: `scope=all` asks for everyone's.
        let endpoint = MergeRequests::builder()
            .reviewer(username)
            .state(MergeRequestState::Opened)
            .scope(MergeRequestScope::All)
            .build()
            .map_err(|e| doing.unbuildable(e))?;
        let listed: Vec<wire::MergeRequest> = api::paged(endpoint, Pagination::All)
            .query_async(&self.transport.listing())
            .await
            .map_err(|e| doing.fail(e))?;
        listed
            .into_iter()
            .map(|mr| ReviewRequest::try_from(mr).map_err(|e| doing.unreadable(e)))
            .collect()
    }

    /// Through GraphQL, 100 people of three places a query (and a query a page of 100
    /// issues); one REST list per person where GraphQL cannot be used.
    async fn list_assigned_issues_in(
        &self,
        wanted: &[(IssuePlace, Vec<String>)],
    ) -> Vec<Result<Vec<TrackedIssue>, TrackerError>> {
        let wanted: Vec<(IssuePlace, Vec<String>)> = wanted
            .iter()
            .map(|(place, usernames)| (place.clone(), unique_names(usernames)))
            .collect();
        match graphql::assigned_issues(&self.transport, &wanted).await {
            Ok(found) => found,
            Err(why) => {
                tracing::debug!(
                    why,
                    places = wanted.len(),
                    "GitLab's GraphQL API cannot list assigned issues in bulk here: one REST \
                     list per person instead"
                );
                assigned_one_by_one(self, &wanted).await
            }
        }
    }

    /// Through GraphQL, 100 people a query; through REST for a person with more than 100
    /// review requests or whom GraphQL did not return, and for everyone where GraphQL
    /// cannot be used.
    async fn list_review_requests_of(
        &self,
        usernames: &[String],
    ) -> Vec<Result<Vec<ReviewRequest>, TrackerError>> {
        let unique = unique_names(usernames);
        let found = if unique.is_empty() {
            HashMap::new()
        } else {
            match graphql::review_requests(&self.transport, &unique).await {
                Ok(found) => found
                    .into_iter()
                    .filter_map(|found| Some((found.username.to_lowercase(), found.reviews?)))
                    .collect(),
                Err(BulkFailure::Unusable(why)) => {
                    tracing::debug!(
                        why,
                        people = unique.len(),
                        "GitLab's GraphQL API cannot list review requests in bulk here: one \
                         REST list per person instead"
                    );
                    HashMap::new()
                }
                Err(BulkFailure::Failed(error)) => {
                    return usernames.iter().map(|_| Err(error.clone())).collect();
                }
            }
        };
        join_all(usernames.iter().map(|name| async {
            match found.get(&name.to_lowercase()) {
                Some(reviews) => Ok(reviews.clone()),
                None => self.list_review_requests(name).await,
            }
        }))
        .await
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// `usernames` without repeats (GitLab's usernames compare case-insensitively), in order.
fn unique_names(usernames: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    usernames
        .iter()
        .filter(|name| seen.insert(name.to_lowercase()))
        .cloned()
        .collect()
}

/// The colour of run lock labels: a quiet grey, as they show in the project's label list.
const LOCK_COLOR: &str = "#808080";

/// The status GitLab answered with, when the call failed with one.
fn status_of(error: &ApiError<TransportError>) -> Option<StatusCode> {
    match error {
        ApiError::Client {
            source: TransportError::Status { status, .. },
        }
        | ApiError::GitlabWithStatus { status, .. }
        | ApiError::GitlabObjectWithStatus { status, .. }
        | ApiError::GitlabUnrecognizedWithStatus { status, .. }
        | ApiError::GitlabService { status, .. } => Some(*status),
        _ => None,
    }
}

/// Whether GitLab answered 409: the thing to create exists already.
fn conflict(error: &ApiError<TransportError>) -> bool {
    status_of(error) == Some(StatusCode::CONFLICT)
}

/// Whether GitLab answered that the label is not there (`404 Label Not Found`); a 404 for
/// the project itself is not that, and stays an error.
fn label_not_found(error: &ApiError<TransportError>) -> bool {
    if status_of(error) != Some(StatusCode::NOT_FOUND) {
        return false;
    }
    let body = match error {
        ApiError::Client {
            source: TransportError::Status { body, .. },
        } => gitlab_message(body),
        ApiError::GitlabWithStatus { msg, .. } => Some(msg.clone()),
        ApiError::GitlabService { data, .. } => gitlab_message(data),
        _ => None,
    };
    body.is_some_and(|message| message.contains("Label Not Found"))
}

/// Issues read from a list, as domain types. An issue deleted while the pages are read
/// shifts the offsets back, so the same issue may come twice: it is kept once.
fn tracked_issues<D: Into<String>>(
    issues: Vec<wire::Issue<D>>,
    doing: &Doing<'_>,
) -> Result<Vec<TrackedIssue>, TrackerError> {
    let mut seen = HashSet::new();
    let mut tracked = Vec::with_capacity(issues.len());
    for issue in issues {
        let issue = TrackedIssue::try_from(issue).map_err(|e| doing.unreadable(e))?;
        // Group lists span projects: an iid is only unique within its project.
        if seen.insert((issue.project.clone(), issue.iid)) {
            tracked.push(issue);
        }
    }
    Ok(tracked)
}

/// Sorts out why the token check failed, as an error that says what to do.
fn connect_failure(
    error: ApiError<TransportError>,
    server: &ServerUrl,
    kind: TokenKind,
) -> ConnectError {
    let url = server.to_string();
    let (status, body) = match error {
        ApiError::Client {
            source: TransportError::Status { status, body, .. },
        } => (status, body),
        ApiError::Client {
            source: TransportError::Unavailable { cause, .. },
        } => return ConnectError::Unreachable { url, detail: cause },
        ApiError::Client {
            source: TransportError::Redirect {
                to, use_instead, ..
            },
        } => {
            return ConnectError::Redirected {
                url,
                to,
                use_instead,
            };
        }
        other => {
            return ConnectError::Unexpected {
                url,
                detail: other.to_string(),
            };
        }
    };
    let message = gitlab_message(&body);
    let checked = match kind {
        TokenKind::Access => "GET /api/v4/user",
        TokenKind::Job => "GET /api/v4/job",
    };
    match status.as_u16() {
        401 => ConnectError::Unauthorized {
            url,
            hint: match kind {
                TokenKind::Access => {
                    "it is invalid, expired or revoked; create a new access token with the `api` \
                     scope and set GITLAB_TOKEN"
                }
                TokenKind::Job => {
                    "a CI_JOB_TOKEN is valid only while its job runs, and cannot create issues \
                     anyway; use a project or group access token stored as a masked CI/CD \
                     variable in GITLAB_TOKEN"
                }
            },
        },
        403 => ConnectError::Forbidden {
            url,
            detail: format!(
                "{checked} was refused{}; the account may be blocked, or the token lacks the \
                 `api` scope",
                message
                    .filter(|m| m != "403 Forbidden")
                    .map(|m| format!(" (GitLab: {m})"))
                    .unwrap_or_default()
            ),
        },
        404 => ConnectError::Unexpected {
            url,
            detail: format!(
                "{checked} is not there (404): is this the address of a GitLab instance?"
            ),
        },
        _ => ConnectError::Unexpected {
            url,
            detail: format!(
                "{checked} answered {status}{}",
                message.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        },
    }
}

/// Locks a cache, ignoring poisoning: a panic elsewhere leaves the cache usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// The port's futures are `Send`, so a caller may spawn them. Compiled, never run.
    #[allow(dead_code)]
    fn port_futures_are_send(gitlab: &GitLab) {
        assert_send(gitlab.list_issues("p", &IssueQuery::default()));
        assert_send(gitlab.create_issue(&NewIssue {
            project: "p".into(),
            title: "t".into(),
            description: String::new(),
            labels: vec![],
            assignees: vec![],
            milestone: None,
            due_date: None,
            confidential: false,
        }));
        assert_send(gitlab.edit_issue("p", 1, &IssueEdit::default()));
        assert_send(gitlab.list_group_issues("g", &IssueQuery::default()));
        assert_send(gitlab.list_notes("p", 1));
        assert_send(gitlab.list_links("p", 1));
        assert_send(gitlab.add_note("p", 1, "b"));
        assert_send(gitlab.link_issues("p", 1, "q", 2, LinkType::Blocks));
        assert_send(gitlab.read_file("p", "f", Some("main")));
        assert_send(gitlab.list_milestones(&MilestoneScope::Group("g".into())));
        assert_send(gitlab.list_iterations("g"));
        assert_send(gitlab.user_status("u"));
        assert_send(gitlab.users(&[]));
        assert_send(gitlab.user_statuses(&[]));
        assert_send(gitlab.create_label("p", "l", "d"));
        assert_send(gitlab.find_label("p", "l"));
        assert_send(gitlab.delete_label("p", 1));
        assert_send(gitlab.list_assigned_issues_in(&[]));
        assert_send(gitlab.list_review_requests_of(&[]));
        assert_send(gitlab.sleep(std::time::Duration::ZERO));
    }

    fn status(code: u16, msg: &str) -> ApiError<TransportError> {
        ApiError::client(TransportError::Status {
            method: http::Method::GET,
            path: "/api/v4/user".into(),
            status: StatusCode::from_u16(code).unwrap(),
            body: format!(r#"{{"message":"{msg}"}}"#).into(),
        })
    }

    #[test]
    fn connect_failures_say_what_to_do() {
        let server = ServerUrl::parse("https://gitlab.example.com").unwrap();
        let failure = |error| connect_failure(error, &server, TokenKind::Access);
        let err = failure(status(401, "401 Unauthorized"));
        assert_eq!(
            err.to_string(),
            "GitLab at https://gitlab.example.com rejected the token (401): it is invalid, \
             expired or revoked; create a new access token with the `api` scope and set \
             GITLAB_TOKEN"
        );
        let err = failure(status(403, "403 Forbidden"));
        assert!(
            err.to_string().contains("GET /api/v4/user was refused;"),
            "{err}"
        );
        let err = failure(status(404, "404 Not Found"));
        assert!(
            err.to_string()
                .contains("is this the address of a GitLab instance?"),
            "{err}"
        );
        let err = failure(ApiError::client(TransportError::Unavailable {
            method: http::Method::GET,
            path: "/api/v4/user".into(),
            cause: "GitLab answered 503 Service Unavailable, after 4 attempts".into(),
        }));
        assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
        let err = failure(ApiError::client(TransportError::Redirect {
            method: http::Method::GET,
            path: "/api/v4/user".into(),
            to: "https://new.example.com/api/v4/user".into(),
            use_instead: "https://new.example.com".into(),
        }));
        assert_eq!(
            err.to_string(),
            "GitLab at https://gitlab.example.com answered a redirect to \
             https://new.example.com/api/v4/user: use https://new.example.com as the GitLab URL \
             (--gitlab-url, CI_SERVER_URL or `gitlab.url`); teamcadence follows no redirect, so \
             that the token never goes to an address that was not configured"
        );
    }

    #[test]
    fn job_token_401_explains_job_tokens() {
        let server = ServerUrl::parse("https://gitlab.example.com").unwrap();
        let err = connect_failure(status(401, "401 Unauthorized"), &server, TokenKind::Job);
        assert!(err.to_string().contains("cannot create issues"), "{err}");
    }
}
