//! What GitLab sends on the wire, and its conversion into the core's domain types.
//!
//! These types stay private to the adapter: nothing outside it sees a GitLab field name. They
//! read only the fields teamcadence uses and ignore the rest (GitLab adds fields often). No
//! logic here beyond the conversion.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use teamcadence_core::tracker::{
    IssueState, LinkedIssue, ReviewRequest, TrackedIssue, TrackedIteration, TrackedLabel,
    TrackedMilestone, TrackedNote, TrackedUser, UserStatus,
};

/// An issue, as the issue endpoints return it.
///
/// <https://docs.gitlab.com/api/issues/#list-project-issues>
///
/// `D` is how much of the description is kept: all of it ([`String`]), or only its last line
/// that holds something ([`LastLine`]) when a listing only looks for keys.
#[derive(Debug, Deserialize)]
pub(crate) struct Issue<D = String> {
    pub(crate) iid: u64,
    pub(crate) title: String,
    #[serde(default = "Option::default")]
    pub(crate) description: Option<D>,
    pub(crate) state: WireIssueState,
    #[serde(default)]
    pub(crate) labels: Vec<String>,
    #[serde(default)]
    pub(crate) assignees: Vec<UserRef>,
    #[serde(default)]
    pub(crate) milestone: Option<MilestoneRef>,
    #[serde(default)]
    pub(crate) due_date: Option<NaiveDate>,
    #[serde(default)]
    pub(crate) confidential: bool,
    pub(crate) web_url: String,
    pub(crate) created_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) closed_at: Option<DateTime<Utc>>,
    /// `null` when unset; GitLab Free leaves the field out.
    #[serde(default)]
    pub(crate) weight: Option<u32>,
    /// Comments by people (and tokens), not GitLab's system notes.
    #[serde(default)]
    pub(crate) user_notes_count: Option<u32>,
    /// Merge requests that close the issue when merged (GitLab records them from the closing
    /// pattern of their description), of those the caller can read.
    #[serde(default)]
    pub(crate) merge_requests_count: Option<u32>,
    #[serde(default)]
    pub(crate) references: Option<IssueReferences>,
}

/// A merge request, as `GET /merge_requests` lists it.
///
/// <https://docs.gitlab.com/api/merge_requests/#list-merge-requests>
#[derive(Debug, Deserialize)]
pub(crate) struct MergeRequest {
    pub(crate) iid: u64,
    pub(crate) title: String,
    pub(crate) web_url: String,
    pub(crate) author: UserRef,
    #[serde(default)]
    pub(crate) draft: Option<bool>,
    /// What older GitLab says instead of `draft`.
    #[serde(default)]
    pub(crate) work_in_progress: Option<bool>,
    #[serde(default)]
    pub(crate) references: Option<IssueReferences>,
}

/// Why a merge request from GitLab could not become a [`ReviewRequest`].
#[derive(Debug, thiserror::Error)]
#[error(
    "merge request {web_url} names no project: it has neither `references.full` nor a web_url with /-/merge_requests/"
)]
pub(crate) struct NoMergeRequestProject {
    web_url: String,
}

impl TryFrom<MergeRequest> for ReviewRequest {
    type Error = NoMergeRequestProject;

    fn try_from(mr: MergeRequest) -> Result<Self, Self::Error> {
        let from_reference = mr
            .references
            .as_ref()
            .and_then(|r| r.full.rsplit_once('!'))
            .map(|(project, _)| project.to_owned())
            .filter(|project| !project.is_empty());
        let from_url = || {
            let url = url::Url::parse(&mr.web_url).ok()?;
            let (project, _) = url.path().split_once("/-/merge_requests/")?;
            let project = project.trim_start_matches('/');
            (!project.is_empty()).then(|| project.to_owned())
        };
        let project = from_reference
            .or_else(from_url)
            .ok_or_else(|| NoMergeRequestProject {
                web_url: mr.web_url.clone(),
            })?;
        Ok(ReviewRequest {
            project,
            iid: mr.iid,
            title: mr.title,
            web_url: mr.web_url,
            author: mr.author.username,
            draft: mr.draft.or(mr.work_in_progress).unwrap_or(false),
        })
    }
}

/// An issue's state on the wire.
///
/// <https://docs.gitlab.com/api/issues/#list-project-issues>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WireIssueState {
    /// `opened`.
    Opened,
    /// `closed`.
    Closed,
}

/// The ways GitLab spells an issue's reference (`full` is `group/project#iid`).
///
/// <https://docs.gitlab.com/api/issues/#list-project-issues>
#[derive(Debug, Deserialize)]
pub(crate) struct IssueReferences {
    pub(crate) full: String,
}

/// A user as embedded in another object (an issue's assignees, a note's author).
///
/// <https://docs.gitlab.com/api/issues/#list-project-issues>
#[derive(Debug, Deserialize)]
pub(crate) struct UserRef {
    pub(crate) username: String,
}

/// A milestone as embedded in an issue.
///
/// <https://docs.gitlab.com/api/issues/#list-project-issues>
#[derive(Debug, Deserialize)]
pub(crate) struct MilestoneRef {
    pub(crate) title: String,
}

/// Why an issue from GitLab could not become a [`TrackedIssue`].
#[derive(Debug, thiserror::Error)]
#[error(
    "issue {web_url} names no project: it has neither `references.full` nor a web_url with /-/issues/"
)]
pub(crate) struct NoProjectPath {
    web_url: String,
}

/// A description of which only the last line that holds something was kept (trimmed, as
/// the core reads markers): each description is dropped as soon as it is read.
#[derive(Debug)]
pub(crate) struct LastLine(String);

impl<'de> Deserialize<'de> for LastLine {
    fn deserialize<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let whole = String::deserialize(deserializer)?;
        let last = teamcadence_core::record::lines_from_end(&whole)
            .next()
            .unwrap_or_default();
        Ok(LastLine(last.to_owned()))
    }
}

impl From<LastLine> for String {
    fn from(line: LastLine) -> String {
        line.0
    }
}

impl<D: Into<String>> TryFrom<Issue<D>> for TrackedIssue {
    type Error = NoProjectPath;

    fn try_from(issue: Issue<D>) -> Result<Self, Self::Error> {
        let project = project_path(issue.references.as_ref(), &issue.web_url)?;
        Ok(Self {
            project,
            iid: issue.iid,
            title: issue.title,
            description: issue.description.map(Into::into).unwrap_or_default(),
            state: issue.state.into(),
            labels: issue.labels,
            assignees: issue.assignees.into_iter().map(|u| u.username).collect(),
            milestone: issue.milestone.map(|m| m.title),
            due_date: issue.due_date,
            confidential: issue.confidential,
            web_url: issue.web_url,
            created_at: issue.created_at,
            closed_at: issue.closed_at,
            weight: issue.weight,
            user_notes_count: issue.user_notes_count,
            merge_requests_count: issue.merge_requests_count,
        })
    }
}

/// The full path of an issue's project: from `references.full` (`group/project#12`), else
/// from its web URL.
fn project_path(
    references: Option<&IssueReferences>,
    web_url: &str,
) -> Result<String, NoProjectPath> {
    references
        .and_then(|r| r.full.rsplit_once('#'))
        .map(|(project, _iid)| project.to_owned())
        .filter(|project| !project.is_empty())
        .or_else(|| project_from_web_url(web_url))
        .ok_or_else(|| NoProjectPath {
            web_url: web_url.to_owned(),
        })
}

/// `group/project` from `https://host/group/project/-/issues/12` (older GitLab omits
/// `references`). On an instance under a path prefix the prefix is kept, which is why
/// `references.full` comes first.
fn project_from_web_url(web_url: &str) -> Option<String> {
    let url = url::Url::parse(web_url).ok()?;
    let path = url.path();
    let (project, _) = path
        .split_once("/-/issues/")
        .or_else(|| path.split_once("/issues/"))?;
    let project = project.trim_start_matches('/');
    (!project.is_empty()).then(|| project.to_owned())
}

impl From<WireIssueState> for IssueState {
    fn from(state: WireIssueState) -> Self {
        match state {
            WireIssueState::Opened => IssueState::Opened,
            WireIssueState::Closed => IssueState::Closed,
        }
    }
}

/// An issue linked to another, as `GET /projects/:id/issues/:iid/links` lists them: the
/// linked issue itself plus the link's fields. Only what names the issue is read.
///
/// <https://docs.gitlab.com/api/issue_links/#list-issue-relations>
#[derive(Debug, Deserialize)]
pub(crate) struct LinkedIssueRef {
    pub(crate) iid: u64,
    pub(crate) web_url: String,
    #[serde(default)]
    pub(crate) references: Option<IssueReferences>,
}

impl TryFrom<LinkedIssueRef> for LinkedIssue {
    type Error = NoProjectPath;

    fn try_from(linked: LinkedIssueRef) -> Result<Self, Self::Error> {
        Ok(Self {
            project: project_path(linked.references.as_ref(), &linked.web_url)?,
            iid: linked.iid,
        })
    }
}

/// A comment on an issue (or a system note GitLab wrote).
///
/// <https://docs.gitlab.com/api/notes/#list-project-issue-notes>
#[derive(Debug, Deserialize)]
pub(crate) struct Note {
    pub(crate) id: u64,
    pub(crate) body: String,
    pub(crate) author: UserRef,
    #[serde(default)]
    pub(crate) system: bool,
    pub(crate) created_at: DateTime<Utc>,
}

impl From<Note> for TrackedNote {
    fn from(note: Note) -> Self {
        Self {
            id: note.id,
            body: note.body,
            author: note.author.username,
            system: note.system,
            created_at: note.created_at,
        }
    }
}

/// A project or group label.
///
/// <https://docs.gitlab.com/api/labels/#get-a-single-project-label>
#[derive(Debug, Deserialize)]
pub(crate) struct Label {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
}

impl From<Label> for TrackedLabel {
    fn from(label: Label) -> Self {
        Self {
            id: label.id,
            name: label.name,
            description: label.description.unwrap_or_default(),
        }
    }
}

/// A project milestone or group milestone.
///
/// <https://docs.gitlab.com/api/milestones/#list-project-milestones>,
/// <https://docs.gitlab.com/api/group_milestones/#list-group-milestones>
#[derive(Debug, Deserialize)]
pub(crate) struct Milestone {
    pub(crate) id: u64,
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) start_date: Option<NaiveDate>,
    #[serde(default)]
    pub(crate) due_date: Option<NaiveDate>,
    /// `active` or `closed`.
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) web_url: Option<String>,
}

impl From<Milestone> for TrackedMilestone {
    fn from(milestone: Milestone) -> Self {
        Self {
            id: milestone.id,
            title: milestone.title,
            start_date: milestone.start_date,
            due_date: milestone.due_date,
            active: milestone.state == "active",
            web_url: milestone.web_url,
        }
    }
}

/// A group iteration. Iterations a cadence schedules itself have a `null` title.
///
/// <https://docs.gitlab.com/api/group_iterations/#list-group-iterations>
#[derive(Debug, Deserialize)]
pub(crate) struct Iteration {
    pub(crate) id: u64,
    #[serde(default)]
    pub(crate) title: Option<String>,
    pub(crate) start_date: NaiveDate,
    pub(crate) due_date: NaiveDate,
    #[serde(default)]
    pub(crate) web_url: Option<String>,
}

impl From<Iteration> for TrackedIteration {
    fn from(iteration: Iteration) -> Self {
        Self {
            id: iteration.id,
            title: iteration.title.filter(|title| !title.is_empty()),
            start_date: iteration.start_date,
            due_date: iteration.due_date,
            web_url: iteration.web_url,
        }
    }
}

/// A user, as `GET /users?username=` lists them.
///
/// <https://docs.gitlab.com/api/users/#list-users>
#[derive(Debug, Deserialize)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) username: String,
    pub(crate) name: String,
}

impl From<User> for TrackedUser {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            username: user.username,
            name: user.name,
        }
    }
}

/// A user's status.
///
/// <https://docs.gitlab.com/api/users/#get-the-status-of-a-user>
#[derive(Debug, Deserialize)]
pub(crate) struct Status {
    /// `busy` or `not_set`.
    #[serde(default)]
    pub(crate) availability: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) clear_status_at: Option<DateTime<Utc>>,
}

impl From<Status> for UserStatus {
    fn from(status: Status) -> Self {
        Self {
            busy: status.availability.as_deref() == Some("busy"),
            message: status.message.filter(|m| !m.trim().is_empty()),
            clear_status_at: status.clear_status_at,
        }
    }
}

/// A project, for its numeric id (issue links want `target_project_id`).
///
/// <https://docs.gitlab.com/api/projects/#get-a-single-project>
#[derive(Debug, Deserialize)]
pub(crate) struct Project {
    pub(crate) id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The sample answer in GitLab's "List project issues" documentation.
    const ISSUE: &str = r##"{
        "project_id": 4,
        "milestone": {
            "due_date": null, "project_id": 4, "state": "closed",
            "description": "Rerum est voluptatem provident consequuntur molestias similique ipsum dolor.",
            "iid": 3, "id": 11, "title": "v3.0",
            "created_at": "2016-01-04T15:31:39.788Z", "updated_at": "2016-01-04T15:31:39.788Z"
        },
        "author": {
            "state": "active", "web_url": "https://gitlab.example.com/root", "avatar_url": null,
            "username": "root", "id": 1, "name": "Administrator"
        },
        "description": "Omnis vero earum sunt corporis dolor et placeat.",
        "state": "closed",
        "iid": 1,
        "assignees": [{
            "avatar_url": null, "web_url": "https://gitlab.example.com/lennie", "state": "active",
            "username": "lennie", "id": 9, "name": "Dr. Luella Kovacek"
        }],
        "assignee": {
            "avatar_url": null, "web_url": "https://gitlab.example.com/lennie", "state": "active",
            "username": "lennie", "id": 9, "name": "Dr. Luella Kovacek"
        },
        "type": "ISSUE",
        "labels": ["foo", "bar"],
        "upvotes": 4,
        "downvotes": 0,
        "merge_requests_count": 0,
        "id": 41,
        "title": "Ut commodi ullam eos dolores perferendis nihil sunt.",
        "updated_at": "2016-01-04T15:31:46.176Z",
        "created_at": "2016-01-04T15:31:46.176Z",
        "closed_at": "2016-01-05T15:31:46.176Z",
        "closed_by": {
            "state": "active", "web_url": "https://gitlab.example.com/root", "avatar_url": null,
            "username": "root", "id": 1, "name": "Administrator"
        },
        "user_notes_count": 1,
        "due_date": "2016-07-22",
        "web_url": "http://gitlab.example.com/my-group/my-project/issues/1",
        "references": {"short": "#1", "relative": "#1", "full": "my-group/my-project#1"},
        "time_stats": {
            "time_estimate": 0, "total_time_spent": 0,
            "human_time_estimate": null, "human_total_time_spent": null
        },
        "has_tasks": true,
        "task_status": "10 of 15 tasks completed",
        "confidential": false,
        "discussion_locked": false,
        "issue_type": "issue",
        "severity": "UNKNOWN",
        "_links": {
            "self": "http://gitlab.example.com/api/v4/projects/4/issues/41",
            "notes": "http://gitlab.example.com/api/v4/projects/4/issues/41/notes",
            "award_emoji": "http://gitlab.example.com/api/v4/projects/4/issues/41/award_emoji",
            "project": "http://gitlab.example.com/api/v4/projects/4",
            "closed_as_duplicate_of": null
        },
        "task_completion_status": {"count": 0, "completed_count": 0}
    }"##;

    #[test]
    fn issue_from_gitlab_docs_sample() {
        let issue: Issue = serde_json::from_str(ISSUE).unwrap();
        let tracked = TrackedIssue::try_from(issue).unwrap();
        assert_eq!(
            tracked,
            TrackedIssue {
                project: "my-group/my-project".into(),
                iid: 1,
                title: "Ut commodi ullam eos dolores perferendis nihil sunt.".into(),
                description: "Omnis vero earum sunt corporis dolor et placeat.".into(),
                state: IssueState::Closed,
                labels: vec!["foo".into(), "bar".into()],
                assignees: vec!["lennie".into()],
                milestone: Some("v3.0".into()),
                due_date: NaiveDate::from_ymd_opt(2016, 7, 22),
                confidential: false,
                web_url: "http://gitlab.example.com/my-group/my-project/issues/1".into(),
                created_at: Utc
                    .with_ymd_and_hms(2016, 1, 4, 15, 31, 46)
                    .unwrap()
                    .checked_add_signed(chrono::Duration::milliseconds(176))
                    .unwrap(),
                closed_at: Utc
                    .with_ymd_and_hms(2016, 1, 5, 15, 31, 46)
                    .unwrap()
                    .checked_add_signed(chrono::Duration::milliseconds(176)),
                // The sample is GitLab Free's shape: no `weight` field at all.
                weight: None,
                user_notes_count: Some(1),
                merge_requests_count: Some(0),
            }
        );
    }

    #[test]
    fn a_last_line_listing_keeps_only_the_descriptions_last_line_that_holds_something() {
        let marked = ISSUE.replacen(
            r#""Omnis vero earum sunt corporis dolor et placeat.""#,
            r#""Text\n\n- [ ] a task\n<!-- teamcadence:key=pto/a -->\r\n  \n""#,
            1,
        );
        let whole: Issue = serde_json::from_str(&marked).unwrap();
        assert_eq!(
            TrackedIssue::try_from(whole).unwrap().description,
            "Text\n\n- [ ] a task\n<!-- teamcadence:key=pto/a -->\r\n  \n"
        );
        let tail: Issue<LastLine> = serde_json::from_str(&marked).unwrap();
        let tracked = TrackedIssue::try_from(tail).unwrap();
        assert_eq!(tracked.description, "<!-- teamcadence:key=pto/a -->");
        assert_eq!(tracked.iid, 1);
        let none = ISSUE.replacen(
            r#""Omnis vero earum sunt corporis dolor et placeat.""#,
            "null",
            1,
        );
        let tail: Issue<LastLine> = serde_json::from_str(&none).unwrap();
        assert_eq!(TrackedIssue::try_from(tail).unwrap().description, "");
    }

    #[test]
    fn issue_weight_is_read_and_may_be_null() {
        let with_weight = ISSUE.replacen(
            r#""confidential": false,"#,
            r#""confidential": false, "weight": 3,"#,
            1,
        );
        let issue: Issue = serde_json::from_str(&with_weight).unwrap();
        assert_eq!(TrackedIssue::try_from(issue).unwrap().weight, Some(3));
        let null_weight = ISSUE.replacen(
            r#""confidential": false,"#,
            r#""confidential": false, "weight": null,"#,
            1,
        );
        let issue: Issue = serde_json::from_str(&null_weight).unwrap();
        assert_eq!(TrackedIssue::try_from(issue).unwrap().weight, None);
    }

    #[test]
    fn issue_with_nulls_and_without_references() {
        let json = r#"{
            "id": 7, "iid": 12, "project_id": 3, "title": "Plan 17.4",
            "description": null, "state": "opened", "labels": [], "assignees": [],
            "milestone": null, "due_date": null, "confidential": true,
            "web_url": "https://gitlab.example.com/team/sub/planning/-/issues/12",
            "created_at": "2024-08-01T09:00:00.000+02:00"
        }"#;
        let issue: Issue = serde_json::from_str(json).unwrap();
        let tracked = TrackedIssue::try_from(issue).unwrap();
        assert_eq!(tracked.project, "team/sub/planning");
        assert_eq!(tracked.description, "");
        assert_eq!(tracked.state, IssueState::Opened);
        assert!(tracked.confidential && tracked.milestone.is_none());
        assert_eq!((tracked.closed_at, tracked.weight), (None, None));
        // No `merge_requests_count`: unknown, not zero.
        assert_eq!(tracked.merge_requests_count, None);
        assert_eq!(
            tracked.created_at,
            Utc.with_ymd_and_hms(2024, 8, 1, 7, 0, 0).unwrap()
        );
    }

    #[test]
    fn issue_without_any_project_path_is_an_error() {
        let json = r#"{"iid": 1, "title": "t", "state": "opened", "web_url": "https://x.example/",
            "created_at": "2024-08-01T09:00:00Z"}"#;
        let issue: Issue = serde_json::from_str(json).unwrap();
        let err = TrackedIssue::try_from(issue).unwrap_err();
        assert!(err.to_string().contains("names no project"), "{err}");
    }

    #[test]
    fn notes_from_gitlab_docs_sample() {
        let json = r#"[{
            "id": 302, "body": "closed", "attachment": null,
            "author": {"id": 1, "username": "pipin", "email": "admin@example.com", "name": "Pip",
                "state": "active", "created_at": "2013-09-30T13:46:01Z"},
            "created_at": "2013-10-02T09:22:45Z", "updated_at": "2013-10-02T10:22:45Z",
            "system": true, "noteable_id": 377, "noteable_type": "Issue", "project_id": 5,
            "noteable_iid": 377, "resolvable": false, "confidential": false, "internal": false,
            "imported": false, "imported_from": "none"
        }, {
            "id": 305, "body": "Text of the comment\r\n", "attachment": null,
            "author": {"id": 1, "username": "pipin", "email": "admin@example.com", "name": "Pip",
                "state": "active", "created_at": "2013-09-30T13:46:01Z"},
            "created_at": "2013-10-02T09:56:03Z", "updated_at": "2013-10-02T09:56:03Z",
            "system": false, "noteable_id": 121, "noteable_type": "Issue", "project_id": 5,
            "noteable_iid": 121, "resolvable": false, "confidential": true, "internal": true,
            "imported": false, "imported_from": "none"
        }]"#;
        let notes: Vec<Note> = serde_json::from_str(json).unwrap();
        let tracked: Vec<TrackedNote> = notes.into_iter().map(Into::into).collect();
        assert_eq!(
            tracked,
            [
                TrackedNote {
                    id: 302,
                    body: "closed".into(),
                    author: "pipin".into(),
                    system: true,
                    created_at: Utc.with_ymd_and_hms(2013, 10, 2, 9, 22, 45).unwrap(),
                },
                TrackedNote {
                    id: 305,
                    body: "Text of the comment\r\n".into(),
                    author: "pipin".into(),
                    system: false,
                    created_at: Utc.with_ymd_and_hms(2013, 10, 2, 9, 56, 3).unwrap(),
                },
            ]
        );
    }

    #[test]
    fn linked_issues_name_their_project() {
        // The sample in GitLab's "List issue relations" documentation has no `references`.
        let json = r##"[{
            "id": 84, "iid": 14, "issue_link_id": 1, "project_id": 4,
            "created_at": "2016-01-07T12:44:33.959Z", "title": "Issues with auth",
            "state": "opened", "assignees": [], "assignee": null, "labels": ["bug"],
            "author": {"name": "Alexandra Bashirian", "avatar_url": null, "state": "active",
                "web_url": "https://gitlab.example.com/eileen.lowe", "id": 18,
                "username": "eileen.lowe"},
            "description": null, "updated_at": "2016-01-07T12:44:33.959Z", "milestone": null,
            "subscribed": true, "user_notes_count": 0, "due_date": null,
            "web_url": "http://example.com/example/example/issues/14", "confidential": false,
            "weight": null, "link_type": "relates_to",
            "link_created_at": "2016-01-07T12:44:33.959Z",
            "link_updated_at": "2016-01-07T12:44:33.959Z"
        }, {
            "id": 85, "iid": 3, "title": "In a subgroup", "state": "closed",
            "web_url": "https://gitlab.example.com/team/sub/infra/-/issues/3",
            "references": {"short": "#3", "relative": "team/sub/infra#3",
                "full": "team/sub/infra#3"},
            "link_type": "blocks"
        }]"##;
        let links: Vec<LinkedIssueRef> = serde_json::from_str(json).unwrap();
        let linked: Vec<LinkedIssue> = links
            .into_iter()
            .map(|link| LinkedIssue::try_from(link).unwrap())
            .collect();
        assert_eq!(
            linked,
            [
                LinkedIssue {
                    project: "example/example".into(),
                    iid: 14
                },
                LinkedIssue {
                    project: "team/sub/infra".into(),
                    iid: 3
                },
            ]
        );
    }

    #[test]
    fn milestone_from_gitlab_docs_sample() {
        let json = r#"[{
            "id": 12, "iid": 3, "project_id": 16, "title": "10.0", "description": "Version",
            "due_date": "2013-11-29", "start_date": "2013-11-10", "state": "active",
            "updated_at": "2013-10-02T09:24:18Z", "created_at": "2013-10-02T09:24:18Z",
            "expired": false, "web_url": "https://gitlab.com/gitlab-org/gitlab/-/milestones/42"
        }, {
            "id": 13, "iid": 4, "group_id": 5, "title": "9.9", "description": null,
            "due_date": null, "start_date": null, "state": "closed",
            "updated_at": "2013-10-02T09:24:18Z", "created_at": "2013-10-02T09:24:18Z",
            "web_url": "https://gitlab.com/groups/gitlab-org/-/milestones/4"
        }]"#;
        let milestones: Vec<Milestone> = serde_json::from_str(json).unwrap();
        let tracked: Vec<TrackedMilestone> = milestones.into_iter().map(Into::into).collect();
        assert_eq!(
            tracked,
            [
                TrackedMilestone {
                    id: 12,
                    title: "10.0".into(),
                    start_date: NaiveDate::from_ymd_opt(2013, 11, 10),
                    due_date: NaiveDate::from_ymd_opt(2013, 11, 29),
                    active: true,
                    web_url: Some("https://gitlab.com/gitlab-org/gitlab/-/milestones/42".into()),
                },
                TrackedMilestone {
                    id: 13,
                    title: "9.9".into(),
                    start_date: None,
                    due_date: None,
                    active: false,
                    web_url: Some("https://gitlab.com/groups/gitlab-org/-/milestones/4".into()),
                },
            ]
        );
    }

    #[test]
    fn iteration_from_gitlab_docs_sample() {
        let json = r#"[{
            "id": 53, "iid": 13, "sequence": 1, "group_id": 5, "title": "Iteration II",
            "description": "Ipsum Lorem ipsum", "state": 2,
            "created_at": "2020-01-27T05:07:12.573Z", "updated_at": "2020-01-27T05:07:12.573Z",
            "due_date": "2020-02-01", "start_date": "2020-01-19",
            "web_url": "http://gitlab.example.com/groups/my-group/-/iterations/13"
        }, {
            "id": 54, "iid": 14, "sequence": 2, "group_id": 5, "title": null,
            "description": null, "state": 1,
            "created_at": "2020-01-27T05:07:12.573Z", "updated_at": "2020-01-27T05:07:12.573Z",
            "due_date": "2020-02-15", "start_date": "2020-02-02",
            "web_url": "http://gitlab.example.com/groups/my-group/-/iterations/14"
        }]"#;
        let iterations: Vec<Iteration> = serde_json::from_str(json).unwrap();
        let tracked: Vec<TrackedIteration> = iterations.into_iter().map(Into::into).collect();
        assert_eq!(tracked[0].title.as_deref(), Some("Iteration II"));
        assert_eq!(
            tracked[0].start_date,
            NaiveDate::from_ymd_opt(2020, 1, 19).unwrap()
        );
        assert_eq!(
            tracked[0].due_date,
            NaiveDate::from_ymd_opt(2020, 2, 1).unwrap()
        );
        assert_eq!(tracked[1].title, None);
        assert_eq!(
            tracked[1].web_url.as_deref(),
            Some("http://gitlab.example.com/groups/my-group/-/iterations/14")
        );
    }

    #[test]
    fn user_from_gitlab_docs_sample() {
        let json = r#"[{
            "id": 1, "username": "john_smith", "name": "John Smith", "state": "active",
            "locked": false, "avatar_url": "http://localhost:3000/uploads/user/avatar/1/cd8.jpeg",
            "web_url": "http://localhost:3000/john_smith"
        }]"#;
        let users: Vec<User> = serde_json::from_str(json).unwrap();
        let user: TrackedUser = users.into_iter().next().unwrap().into();
        assert_eq!(
            user,
            TrackedUser {
                id: 1,
                username: "john_smith".into(),
                name: "John Smith".into()
            }
        );
    }

    #[test]
    fn busy_status_from_gitlab_docs_sample() {
        let json = r#"{
            "emoji": "coffee", "availability": "busy", "message": "I crave coffee",
            "message_html": "I crave coffee", "clear_status_at": "2024-09-02T00:00:00.000Z"
        }"#;
        let status: UserStatus = serde_json::from_str::<Status>(json).unwrap().into();
        assert_eq!(
            status,
            UserStatus {
                busy: true,
                message: Some("I crave coffee".into()),
                clear_status_at: Some(Utc.with_ymd_and_hms(2024, 9, 2, 0, 0, 0).unwrap()),
            }
        );
    }

    #[test]
    fn unset_status_is_not_busy() {
        let json = r#"{"emoji": null, "availability": "not_set", "message": null,
            "message_html": "", "clear_status_at": null}"#;
        let status: UserStatus = serde_json::from_str::<Status>(json).unwrap().into();
        assert_eq!(status, UserStatus::default());
        // An empty object (a user who never set a status) reads the same.
        let status: UserStatus = serde_json::from_str::<Status>("{}").unwrap().into();
        assert_eq!(status, UserStatus::default());
    }
}
