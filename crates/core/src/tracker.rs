//! The narrow port to an issue tracker: the few things the jobs need from GitLab.
//!
//! The GitLab adapter implements [`IssueTracker`]; tests may implement it too. Types here are
//! domain types: what GitLab sends on the wire stays in the adapter.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::join_all;

/// Whether an issue is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Open (GitLab: `opened`).
    Opened,
    /// Closed (GitLab: `closed`).
    Closed,
}

/// An issue as the tracker holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedIssue {
    /// Full path of the project the issue is in.
    pub project: String,
    /// The issue's number within its project.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// Markdown description (empty when none).
    pub description: String,
    /// Open or closed.
    pub state: IssueState,
    /// Labels.
    pub labels: Vec<String>,
    /// Usernames of the assignees.
    pub assignees: Vec<String>,
    /// Title of its milestone, if any.
    pub milestone: Option<String>,
    /// Due date, if any.
    pub due_date: Option<NaiveDate>,
    /// Whether it is confidential.
    pub confidential: bool,
    /// Its address.
    pub web_url: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was closed, if it is closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Its weight, if one is set.
    pub weight: Option<u32>,
    /// How many comments people (not GitLab itself) have posted on it, when the tracker
    /// says: `Some(0)` tells without reading its comments that none of ours is there.
    pub user_notes_count: Option<u32>,
    /// How many merge requests close it when merged, when the tracker says: `None` is
    /// unknown, so never read as "no merge request".
    pub merge_requests_count: Option<u32>,
}

/// An issue to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    /// Full path of the project to create it in.
    pub project: String,
    /// Title.
    pub title: String,
    /// Markdown description.
    pub description: String,
    /// Labels (GitLab creates unknown ones).
    pub labels: Vec<String>,
    /// Usernames to assign; the adapter resolves them to user ids. Usernames without an
    /// account are left out and reported by [`CreatedIssue::unknown_assignees`].
    pub assignees: Vec<String>,
    /// Title of the milestone to set; the adapter finds it in the project or its groups.
    pub milestone: Option<String>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Whether it is confidential.
    pub confidential: bool,
}

/// The result of creating an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIssue {
    /// The issue as created.
    pub issue: TrackedIssue,
    /// Assignees whose username has no account, so were not assigned.
    pub unknown_assignees: Vec<String>,
    /// The milestone title when no such milestone exists, so none was set.
    pub unknown_milestone: Option<String>,
}

/// Which issues to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueQuery {
    /// Issues must carry all of these labels.
    pub labels: Vec<String>,
    /// Only issues in this state; `None` lists all.
    pub state: Option<IssueState>,
    /// Only issues created after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Only issues in the milestone with this title (GitLab's `milestone` filter).
    pub milestone: Option<String>,
    /// Only issues in this iteration (GitLab's `iteration_id` filter).
    pub iteration_id: Option<u64>,
    /// Only the last line of each description that holds something is wanted (where the
    /// key marker is): a tracker may drop the rest, so that listing thousands of issues only
    /// to find their keys stays small.
    pub last_line_only: bool,
}

/// Changes to an issue; `None` and empty lists leave things as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueEdit {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New due date.
    pub due_date: Option<NaiveDate>,
    /// Labels to add.
    pub add_labels: Vec<String>,
    /// Labels to remove.
    pub remove_labels: Vec<String>,
    /// Usernames to assign instead of the current assignees; usernames without an account
    /// are left out.
    pub assignees: Option<Vec<String>>,
    /// Close or reopen.
    pub state: Option<IssueState>,
}

/// How two issues relate (GitLab's `link_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// `relates_to`.
    RelatesTo,
    /// `blocks`.
    Blocks,
    /// `is_blocked_by`.
    IsBlockedBy,
}

/// A comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedNote {
    /// Global id.
    pub id: u64,
    /// Markdown body.
    pub body: String,
    /// Username of the author.
    pub author: String,
    /// Whether GitLab wrote it (a system note such as "changed the due date").
    pub system: bool,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

/// An issue linked to another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIssue {
    /// Full path of the linked issue's project.
    pub project: String,
    /// The linked issue's number within its project.
    pub iid: u64,
}

/// A merge request asking someone for a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    /// Full path of its project.
    pub project: String,
    /// Its number within the project.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// Its address.
    pub web_url: String,
    /// Username of its author.
    pub author: String,
    /// Whether it is a draft.
    pub draft: bool,
}

/// Where issues are listed from: one project, or a group with its subgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuePlace {
    /// A project (full path).
    Project(String),
    /// A group and its subgroups (full path).
    Group(String),
}

/// Where milestones are listed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneScope {
    /// A group's milestones (full path).
    Group(String),
    /// A project's milestones (full path), including its groups' ones.
    Project(String),
}

/// A project label (teamcadence's run locks are labels: see [`crate::run_lock`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedLabel {
    /// Global id: deleting by id never deletes a label of the same name made since.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Description (empty when none).
    pub description: String,
}

/// A GitLab milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedMilestone {
    /// Global id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Start date, when set.
    pub start_date: Option<NaiveDate>,
    /// Due date, when set.
    pub due_date: Option<NaiveDate>,
    /// Whether it is active (not closed).
    pub active: bool,
    /// Its address.
    pub web_url: Option<String>,
}

/// A GitLab iteration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedIteration {
    /// Global id.
    pub id: u64,
    /// Title, when the cadence gives one.
    pub title: Option<String>,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub due_date: NaiveDate,
    /// Its address.
    pub web_url: Option<String>,
}

/// A GitLab user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedUser {
    /// Global id.
    pub id: u64,
    /// Username.
    pub username: String,
    /// Display name.
    pub name: String,
}

/// A user's GitLab status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserStatus {
    /// Whether they set themselves as busy.
    pub busy: bool,
    /// The status message, if any.
    pub message: Option<String>,
    /// When the status clears itself, if set.
    pub clear_status_at: Option<DateTime<Utc>>,
}

/// Why a tracker call failed, in terms a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    /// The token is missing, invalid or expired (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The token lacks a scope or role (403).
    #[error("{0}")]
    Forbidden(String),
    /// The project, issue, file or user does not exist or is not visible to the token (404).
    #[error("{0}")]
    NotFound(String),
    /// GitLab refused the request's content (400, 409, 422), with its message.
    #[error("{0}")]
    Invalid(String),
    /// GitLab could not be reached or kept failing after the retry budget (5xx, 429,
    /// connection errors); nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// A write was sent but its answer was lost: it may or may not have happened. Check
    /// before trying again.
    #[error("{0}")]
    Uncertain(String),
}

/// What the jobs need from an issue tracker.
#[allow(async_fn_in_trait)]
pub trait IssueTracker {
    /// Every issue of `project` matching `query`, across all pages.
    async fn list_issues(
        &self,
        project: &str,
        query: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError>;

    /// Creates an issue. A lost answer is [`TrackerError::Uncertain`], never retried blindly.
    async fn create_issue(&self, issue: &NewIssue) -> Result<CreatedIssue, TrackerError>;

    /// Changes an issue.
    async fn edit_issue(
        &self,
        project: &str,
        iid: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError>;

    /// Every issue of the group `group` and its subgroups' projects matching `query`, across
    /// all pages.
    async fn list_group_issues(
        &self,
        group: &str,
        query: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError>;

    /// Every comment on an issue, oldest first, across all pages.
    async fn list_notes(&self, project: &str, iid: u64) -> Result<Vec<TrackedNote>, TrackerError>;

    /// The issues linked to an issue.
    async fn list_links(&self, project: &str, iid: u64) -> Result<Vec<LinkedIssue>, TrackerError>;

    /// Adds a comment to an issue.
    async fn add_note(&self, project: &str, iid: u64, body: &str) -> Result<(), TrackerError>;

    /// Links issue `iid` of `project` to another issue.
    async fn link_issues(
        &self,
        project: &str,
        iid: u64,
        target_project: &str,
        target_iid: u64,
        link_type: LinkType,
    ) -> Result<(), TrackerError>;

    /// The raw text of a repository file at a branch, tag or commit (`None`: the project's
    /// default branch).
    async fn read_file(
        &self,
        project: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<String, TrackerError>;

    /// Milestones of a group or project (all states).
    async fn list_milestones(
        &self,
        scope: &MilestoneScope,
    ) -> Result<Vec<TrackedMilestone>, TrackerError>;

    /// Iterations of a group.
    async fn list_iterations(&self, group: &str) -> Result<Vec<TrackedIteration>, TrackerError>;

    /// The user with this username, if there is one.
    async fn find_user(&self, username: &str) -> Result<Option<TrackedUser>, TrackerError>;

    /// The user's status, if the user exists.
    async fn user_status(&self, username: &str) -> Result<Option<UserStatus>, TrackerError>;

    /// The users with these usernames, in the order asked (`None` for a username without an
    /// account). A tracker may resolve them in bulk, and remember them so that creating or
    /// editing issues assigned to them asks nothing more; by default, [`Self::find_user`]
    /// for each, together.
    async fn users(&self, usernames: &[String]) -> Result<Vec<Option<TrackedUser>>, TrackerError> {
        join_all(usernames.iter().map(|username| self.find_user(username)))
            .await
            .into_iter()
            .collect()
    }

    /// The status of each of these users, in the order asked, each as
    /// [`Self::user_status`] would answer. A tracker may read them in bulk; by default,
    /// [`Self::user_status`] for each, together.
    async fn user_statuses(
        &self,
        usernames: &[String],
    ) -> Vec<Result<Option<UserStatus>, TrackerError>> {
        join_all(usernames.iter().map(|username| self.user_status(username))).await
    }

    /// Creates the project label `name` unless the project has one of that name already, in
    /// which case it is `Ok(None)`. The tracker arbitrates: of two runs creating the same name
    /// at once, exactly one gets the label.
    async fn create_label(
        &self,
        project: &str,
        name: &str,
        description: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError>;

    /// The project's label (or one of its groups') named `name`, if there is one.
    async fn find_label(
        &self,
        project: &str,
        name: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError>;

    /// Deletes the project's label with this id; one that is gone already is no error.
    async fn delete_label(&self, project: &str, id: u64) -> Result<(), TrackerError>;

    /// The time now, by the clock run locks' expiry is told with.
    fn current_time(&self) -> DateTime<Utc>;

    /// The instance's web address (`https://gitlab.example.com/`), for links to live lists
    /// in the issues; `None` when the tracker has none.
    fn web_root(&self) -> Option<String> {
        None
    }

    /// Every open issue of `place` assigned to `username`, across all pages (a coverage
    /// issue's impact). Trackers that cannot tell say so.
    async fn list_assigned_issues(
        &self,
        place: &IssuePlace,
        username: &str,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        let _ = (place, username);
        Err(TrackerError::Unavailable(
            "this tracker cannot list issues by assignee".to_owned(),
        ))
    }

    /// Every open merge request that asks `username` for a review, across all pages.
    /// Trackers that cannot tell say so.
    async fn list_review_requests(
        &self,
        username: &str,
    ) -> Result<Vec<ReviewRequest>, TrackerError> {
        let _ = username;
        Err(TrackerError::Unavailable(
            "this tracker cannot list merge requests".to_owned(),
        ))
    }

    /// For each place, every open issue there assigned to any of its usernames, each once,
    /// across all pages, in the order asked: the caller tells whose each is by its
    /// [`TrackedIssue::assignees`] (usernames compare case-insensitively). A failed read
    /// fails that place's list only. A tracker may read them in bulk, several places at a
    /// time, and then may leave descriptions empty and [`TrackedIssue::user_notes_count`]
    /// unknown; by default, [`Self::list_assigned_issues`] for each person, together
    /// ([`assigned_one_by_one`]).
    async fn list_assigned_issues_in(
        &self,
        wanted: &[(IssuePlace, Vec<String>)],
    ) -> Vec<Result<Vec<TrackedIssue>, TrackerError>> {
        assigned_one_by_one(self, wanted).await
    }

    /// The open merge requests that ask each of `usernames` for a review, in the order
    /// asked, each as [`Self::list_review_requests`] would answer: one person's failed read
    /// leaves the others' answers. A tracker may read them in bulk; by default,
    /// [`Self::list_review_requests`] for each, together.
    async fn list_review_requests_of(
        &self,
        usernames: &[String],
    ) -> Vec<Result<Vec<ReviewRequest>, TrackerError>> {
        join_all(
            usernames
                .iter()
                .map(|username| self.list_review_requests(username)),
        )
        .await
    }

    /// Waits before asking again (a run waiting for another run's lock). The tracker owns
    /// waiting, as it owns the clock, so the core stays free of timers.
    async fn sleep(&self, duration: Duration);
}

/// What [`IssueTracker::list_assigned_issues_in`] answers when the tracker cannot read in
/// bulk: [`IssueTracker::list_assigned_issues`] for each person of each place, together.
pub async fn assigned_one_by_one<T: IssueTracker + ?Sized>(
    tracker: &T,
    wanted: &[(IssuePlace, Vec<String>)],
) -> Vec<Result<Vec<TrackedIssue>, TrackerError>> {
    join_all(
        wanted
            .iter()
            .map(|(place, usernames)| assigned_in_place(tracker, place, usernames)),
    )
    .await
}

/// The issues of `place` assigned to any of `usernames`, one list per person, each issue
/// kept once (two people may share one).
async fn assigned_in_place<T: IssueTracker + ?Sized>(
    tracker: &T,
    place: &IssuePlace,
    usernames: &[String],
) -> Result<Vec<TrackedIssue>, TrackerError> {
    let listed = join_all(
        usernames
            .iter()
            .map(|username| tracker.list_assigned_issues(place, username)),
    )
    .await;
    let mut seen = HashSet::new();
    let mut issues = Vec::new();
    for list in listed {
        for issue in list? {
            // An iid is unique only within its project.
            if seen.insert((issue.project.clone(), issue.iid)) {
                issues.push(issue);
            }
        }
    }
    Ok(issues)
}

/// No tracker at all: a run that does not read GitLab passes `None::<&Offline>` where a
/// tracker is optional. It has no values, so none of its methods can ever be called.
#[derive(Debug, Clone, Copy)]
pub enum Offline {}

impl IssueTracker for Offline {
    async fn list_issues(
        &self,
        _: &str,
        _: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        match *self {}
    }
    async fn create_issue(&self, _: &NewIssue) -> Result<CreatedIssue, TrackerError> {
        match *self {}
    }
    async fn edit_issue(
        &self,
        _: &str,
        _: u64,
        _: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        match *self {}
    }
    async fn list_group_issues(
        &self,
        _: &str,
        _: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        match *self {}
    }
    async fn list_notes(&self, _: &str, _: u64) -> Result<Vec<TrackedNote>, TrackerError> {
        match *self {}
    }
    async fn list_links(&self, _: &str, _: u64) -> Result<Vec<LinkedIssue>, TrackerError> {
        match *self {}
    }
    async fn add_note(&self, _: &str, _: u64, _: &str) -> Result<(), TrackerError> {
        match *self {}
    }
    async fn link_issues(
        &self,
        _: &str,
        _: u64,
        _: &str,
        _: u64,
        _: LinkType,
    ) -> Result<(), TrackerError> {
        match *self {}
    }
    async fn read_file(&self, _: &str, _: &str, _: Option<&str>) -> Result<String, TrackerError> {
        match *self {}
    }
    async fn list_milestones(
        &self,
        _: &MilestoneScope,
    ) -> Result<Vec<TrackedMilestone>, TrackerError> {
        match *self {}
    }
    async fn list_iterations(&self, _: &str) -> Result<Vec<TrackedIteration>, TrackerError> {
        match *self {}
    }
    async fn find_user(&self, _: &str) -> Result<Option<TrackedUser>, TrackerError> {
        match *self {}
    }
    async fn user_status(&self, _: &str) -> Result<Option<UserStatus>, TrackerError> {
        match *self {}
    }
    async fn create_label(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError> {
        match *self {}
    }
    async fn find_label(&self, _: &str, _: &str) -> Result<Option<TrackedLabel>, TrackerError> {
        match *self {}
    }
    async fn delete_label(&self, _: &str, _: u64) -> Result<(), TrackerError> {
        match *self {}
    }
    fn current_time(&self) -> DateTime<Utc> {
        match *self {}
    }
    async fn sleep(&self, _: Duration) {
        match *self {}
    }
}
