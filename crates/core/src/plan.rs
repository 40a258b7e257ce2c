//! Issue plans: what a job would create, before anything is written to GitLab.

use chrono::NaiveDate;
use serde::Serialize;

use crate::tracker::TrackedIssue;

/// What applying a plan does (or would do) for one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "reason", rename_all = "lowercase")]
pub enum Action {
    /// The issue does not exist yet and is due: create it.
    Create,
    /// An issue with this key already exists and matches the plan.
    Exists,
    /// An issue with this key exists but differs from the plan: update it.
    Update,
    /// Nothing is done for this key now, for the reason given (for example not due yet).
    Skip(String),
}

impl Action {
    /// The action's name as it appears in output (`create`, `exists`, `update`, `skip`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Exists => "exists",
            Action::Update => "update",
            Action::Skip(_) => "skip",
        }
    }

    /// The reason for a skip, if this is one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Skip(reason) => Some(reason),
            _ => None,
        }
    }
}

/// One issue a job wants to exist, identified by a stable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuePlan {
    /// Stable identity across runs, for example `planning/code-creation/19.8`.
    pub key: String,
    /// What to do about it.
    pub action: Action,
    /// Full path of the GitLab project the issue belongs in.
    pub project: String,
    /// Issue title.
    pub title: String,
    /// Markdown description, data values already neutralised.
    pub description: String,
    /// A hidden line the job keeps on the issue, after the description: what the issue was
    /// made for (a coverage issue's dates), so that a later run can tell what changed.
    pub record: Option<String>,
    /// Labels, in order, without duplicates.
    pub labels: Vec<String>,
    /// Usernames to assign, in order, without duplicates.
    pub assignees: Vec<String>,
    /// Title of the GitLab milestone to set, if any.
    pub milestone: Option<String>,
    /// Due date, if any.
    pub due_date: Option<NaiveDate>,
    /// Whether the issue is confidential.
    pub confidential: bool,
    /// Address of the issue once it exists in GitLab.
    pub web_url: Option<String>,
    /// Why applying this plan failed, if it did; a re-run tries again.
    pub error: Option<String>,
    /// What else to do once the issue exists, in order. Each is done once, however often a
    /// run is repeated.
    pub follow_ups: Vec<FollowUp>,
    /// What applying did (or, in a dry run, would do) about the follow-ups, one phrase each.
    pub done: Vec<String>,
}

impl IssuePlan {
    /// A plan with only these parts: no labels, people, dates or follow-ups.
    pub fn bare(
        key: String,
        action: Action,
        project: String,
        title: String,
        description: String,
    ) -> Self {
        IssuePlan {
            key,
            action,
            project,
            title,
            description,
            record: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            due_date: None,
            confidential: false,
            web_url: None,
            error: None,
            follow_ups: Vec::new(),
            done: Vec::new(),
        }
    }

    /// A plan for an issue a job found existing in `project`, to do `follow_ups` on it and
    /// nothing else.
    pub fn on_existing(
        key: &str,
        project: &str,
        issue: &TrackedIssue,
        follow_ups: Vec<FollowUp>,
    ) -> Self {
        IssuePlan {
            key: key.to_owned(),
            action: Action::Exists,
            project: project.to_owned(),
            title: issue.title.clone(),
            description: issue.description.clone(),
            record: None,
            labels: issue.labels.clone(),
            assignees: issue.assignees.clone(),
            milestone: issue.milestone.clone(),
            due_date: issue.due_date,
            confidential: issue.confidential,
            web_url: Some(issue.web_url.clone()),
            error: None,
            follow_ups,
            done: Vec::new(),
        }
    }

    /// Records in `done` what a dry run would do about each follow-up.
    pub fn preview_follow_ups(&mut self) {
        self.done = self
            .follow_ups
            .iter()
            .map(|f| format!("would {}", f.describe()))
            .collect();
    }
}

/// Something done around an issue once it exists. Each one is checked before it is done, so
/// that a re-run after an interruption finishes the rest without repeating any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// Link the issue to the issue of this job with `key` in the same project, if there is one.
    LinkTo {
        /// Key of the other issue.
        key: String,
    },
    /// Link the issue to a known issue of any project (the planning issue a coverage issue
    /// overlaps); GitLab shows the link on both.
    LinkToIssue {
        /// Full path of the other issue's project.
        project: String,
        /// Its number.
        iid: u64,
    },
    /// Close the issue of this job with `key` in the same project, if it is open, after
    /// posting `note` on it.
    Close {
        /// Key of the issue to close.
        key: String,
        /// The comment that says why it is closed.
        note: String,
    },
    /// Post a comment on the issue, once: `id` names it among the issue's comments.
    Note {
        /// Stable name of the comment, unique within the issue.
        id: String,
        /// Markdown body.
        body: String,
    },
    /// Post the comment `id` on the issue, once, then close the issue if it is open: what
    /// it was for is over (the time off was cancelled, or the person is back).
    CloseWith {
        /// Stable name of the comment, unique within the issue.
        id: String,
        /// Markdown body: why the issue is closed.
        body: String,
    },
}

impl FollowUp {
    /// What this follow-up does, for output.
    pub fn describe(&self) -> String {
        match self {
            FollowUp::LinkTo { key } => format!("link to {key}"),
            FollowUp::LinkToIssue { project, iid } => format!("link to {project}#{iid}"),
            FollowUp::Close { key, .. } => format!("close {key}"),
            FollowUp::Note { id, .. } => format!("post the note {id:?}"),
            FollowUp::CloseWith { id, .. } => format!("post the note {id:?} and close it"),
        }
    }
}

/// Everything one run of a job decided: its plans and the warnings worth a person's attention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobReport {
    /// One plan per key the job considered, in a stable order.
    pub issues: Vec<IssuePlan>,
    /// Things a person should know (a skipped backup, an unknown account), one sentence each.
    pub warnings: Vec<String>,
    /// Work that could not be done (one team's missing milestone), one sentence each; the
    /// rest of the run goes on, and the exit code says something failed.
    pub errors: Vec<String>,
}

/// Pushes `item` unless it is empty or already present, keeping first-seen order.
pub(crate) fn push_unique(list: &mut Vec<String>, item: &str) {
    let item = item.trim();
    if !item.is_empty() && !list.iter().any(|existing| existing == item) {
        list.push(item.to_owned());
    }
}
