//! What GitLab left out of an issue it created or edited, compared with what was asked.
//!
//! GitLab answers a create or an edit with success even when it stored less than it was
//! sent: it drops assignees who cannot see the project (not members of a private project,
//! blocked accounts), and ignores the metadata (assignees, labels, milestone, due date) sent
//! by a user whose role is too low (`IssuableBaseService#filter_params`: without
//! `set_issue_metadata`, which needs Planner or Reporter on an existing issue, and project
//! membership when creating one). This module compares the answer with the request and says
//! who and what was left out, and why, in terms a person can act on. It does no I/O.

use chrono::NaiveDate;

use crate::neutralise;
use crate::tracker::TrackedIssue;

/// What a create or an edit asked GitLab to store; `None` and empty lists ask for nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    /// Labels.
    pub labels: &'a [String],
    /// Usernames to assign.
    pub assignees: &'a [String],
    /// Milestone title (only one GitLab has: an unknown title is reported on its own).
    pub milestone: Option<&'a str>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
}

/// Who and what GitLab left out of an issue, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Assignees whose username has no GitLab account.
    pub no_account: Vec<String>,
    /// Assignees with an account whom GitLab did not assign: they cannot see the project.
    pub cannot_see: Vec<String>,
    /// What GitLab ignored because of the token's role, in the order `assignees`, `labels`,
    /// `milestone`, `due date`.
    pub ignored: Vec<&'static str>,
}

impl LeftOut {
    /// Compares what GitLab stored with what was asked. `no_account` are the asked assignees
    /// known to have no account (they were never sent).
    ///
    /// The role is what is at fault when a field that no per-user rule filters (a label, the
    /// milestone, the due date) was not stored: then missing assignees are put down to the
    /// role too, since GitLab ignored them before looking at who they are.
    pub fn compare(asked: &Asked<'_>, stored: &TrackedIssue, no_account: &[String]) -> LeftOut {
        let has_label =
            |label: &String| stored.labels.iter().any(|l| l.eq_ignore_ascii_case(label));
        let labels_ignored = !asked.labels.is_empty() && !asked.labels.iter().any(has_label);
        let milestone_ignored = asked
            .milestone
            .is_some_and(|title| stored.milestone.as_deref() != Some(title));
        let due_ignored = asked
            .due_date
            .is_some_and(|due| stored.due_date != Some(due));
        let missing: Vec<String> = asked
            .assignees
            .iter()
            .filter(|name| {
                !no_account.iter().any(|n| n.eq_ignore_ascii_case(name))
                    && !stored
                        .assignees
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(name))
            })
            .cloned()
            .collect();
        let role = labels_ignored || milestone_ignored || due_ignored;
        let mut ignored = Vec::new();
        if role && !missing.is_empty() {
            ignored.push("assignees");
        }
        for (field, was) in [
            ("labels", labels_ignored),
            ("milestone", milestone_ignored),
            ("due date", due_ignored),
        ] {
            if was {
                ignored.push(field);
            }
        }
        LeftOut {
            no_account: no_account.to_vec(),
            cannot_see: if role { Vec::new() } else { missing },
            ignored,
        }
    }

    /// Whether GitLab stored everything that was asked.
    pub fn is_empty(&self) -> bool {
        self.no_account.is_empty() && self.cannot_see.is_empty() && self.ignored.is_empty()
    }

    /// One warning per cause for the run's report, each naming the issue by `key`.
    pub fn warnings(&self, key: &str, project: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.no_account.is_empty() {
            warnings.push(format!(
                "{key}: no GitLab account for {}; not assigned",
                self.no_account.join(", ")
            ));
        }
        if !self.cannot_see.is_empty() {
            warnings.push(format!(
                "{key}: GitLab did not assign {}: GitLab drops assignees who cannot see {project} \
                 (not a member of the private project, or a blocked account); add them to \
                 {project} and re-run",
                self.cannot_see.join(", "),
            ));
        }
        if !self.ignored.is_empty() {
            warnings.push(format!(
                "{key}: GitLab ignored the {} teamcadence sent, because the token's role in \
                 {project} is below Planner (GitLab lets a Guest set them only when creating an \
                 issue, and a non-member never); give the token's user the Planner or Reporter \
                 role in {project} and re-run",
                join_and(&self.ignored),
            ));
        }
        warnings
    }

    /// The name of the comment that tells the issue's readers about it: the same for the
    /// same people and fields, so a re-run never posts it twice. Assignees without an account
    /// alone keep the name teamcadence always gave that comment.
    pub fn note_id(&self) -> String {
        if self.cannot_see.is_empty() && self.ignored.is_empty() {
            return "unassigned".to_owned();
        }
        let mut id = String::from("left-out");
        for (kind, names) in [
            ("no-account", self.no_account.clone()),
            ("cannot-see", self.cannot_see.clone()),
            (
                "ignored",
                self.ignored.iter().map(|f| f.replace(' ', "-")).collect(),
            ),
        ] {
            if !names.is_empty() {
                let mut names = names;
                names.sort_unstable();
                id.push_str(&format!(";{kind}:{}", names.join(",")));
            }
        }
        id
    }

    /// The comment for the issue's readers: one paragraph per cause, with what to do. Names
    /// and the project path are data and go through [`neutralise::markdown`].
    pub fn note(&self, project: &str, asked: &Asked<'_>) -> String {
        let names = |list: &[String]| -> Vec<String> {
            list.iter().map(|n| neutralise::markdown(n)).collect()
        };
        let project = neutralise::markdown(project);
        let mut paragraphs = Vec::new();
        if !self.no_account.is_empty() {
            paragraphs.push(format!(
                "teamcadence could not assign {}: there is no GitLab account with that username \
                 yet. Please assign {} here once the account exists.",
                names(&self.no_account).join(", "),
                if self.no_account.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ));
        }
        if !self.cannot_see.is_empty() {
            paragraphs.push(format!(
                "GitLab did not assign {}: GitLab drops assignees who cannot see this project \
                 (not a member of the private project {project}, or a blocked account). Please \
                 add them to {project} and assign them here.",
                join_and(&names(&self.cannot_see)),
            ));
        }
        if !self.ignored.is_empty() {
            let mut wanted = Vec::new();
            if self.ignored.contains(&"assignees") {
                wanted.push(format!("assignees {}", names(asked.assignees).join(", ")));
            }
            if self.ignored.contains(&"labels") {
                wanted.push(format!("labels {}", names(asked.labels).join(", ")));
            }
            if let Some(title) = asked
                .milestone
                .filter(|_| self.ignored.contains(&"milestone"))
            {
                wanted.push(format!("milestone {}", neutralise::markdown(title)));
            }
            if let Some(due) = asked
                .due_date
                .filter(|_| self.ignored.contains(&"due date"))
            {
                wanted.push(format!("due date {due}"));
            }
            paragraphs.push(format!(
                "GitLab ignored the {} teamcadence set, because its token's role in {project} is \
                 below Planner. Please set them here by hand ({}), and give the token's user the \
                 Planner or Reporter role in {project}.",
                join_and(&self.ignored),
                wanted.join("; "),
            ));
        }
        paragraphs.join("\n\n")
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::tracker::IssueState;

    fn stored(labels: &[&str], assignees: &[&str], due: Option<&str>) -> TrackedIssue {
        TrackedIssue {
            project: "eng/pto".to_owned(),
            iid: 1,
            title: "t".to_owned(),
            description: String::new(),
            state: IssueState::Opened,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            assignees: assignees.iter().map(|s| (*s).to_owned()).collect(),
            milestone: None,
            due_date: due.map(|d| d.parse().expect("date")),
            confidential: false,
            web_url: String::new(),
            created_at: Utc.timestamp_opt(0, 0).single().expect("time"),
            closed_at: None,
            weight: None,
            user_notes_count: None,
            merge_requests_count: None,
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_assignee_who_cannot_see_the_project_is_named_and_the_rest_is_fine() {
        let labels = strings(&["pto"]);
        let people = strings(&["bob", "finn", "ghost", "carol"]);
        let asked = Asked {
            labels: &labels,
            assignees: &people,
            milestone: None,
            due_date: Some("2027-03-15".parse().expect("date")),
        };
        let left = LeftOut::compare(
            &asked,
            &stored(&["pto"], &["Carol", "bob"], Some("2027-03-15")),
            &strings(&["ghost"]),
        );
        assert_eq!(left.no_account, ["ghost"]);
        assert_eq!(left.cannot_see, ["finn"]);
        assert!(left.ignored.is_empty());
        assert_eq!(left.note_id(), "left-out;no-account:ghost;cannot-see:finn");
        assert_eq!(
            left.warnings("pto/x", "eng/pto"),
            [
                "pto/x: no GitLab account for ghost; not assigned",
                "pto/x: GitLab did not assign finn: GitLab drops assignees who cannot see eng/pto \
                 (not a member of the private project, or a blocked account); add them to \
                 eng/pto and re-run"
            ]
        );
    }

    #[test]
    fn ignored_metadata_is_the_role_and_missing_assignees_go_with_it() {
        let labels = strings(&["pto"]);
        let people = strings(&["bob", "finn"]);
        let asked = Asked {
            labels: &labels,
            assignees: &people,
            milestone: None,
            due_date: Some("2027-03-15".parse().expect("date")),
        };
        let left = LeftOut::compare(&asked, &stored(&[], &[], None), &[]);
        assert!(left.cannot_see.is_empty());
        assert_eq!(left.ignored, ["assignees", "labels", "due date"]);
        let note = left.note("eng/pto", &asked);
        assert_eq!(
            note,
            "GitLab ignored the assignees, labels and due date teamcadence set, because its \
             token's role in eng/pto is below Planner. Please set them here by hand (assignees \
             bob, finn; labels pto; due date 2027-03-15), and give the token's user the Planner \
             or Reporter role in eng/pto."
        );
    }

    #[test]
    fn only_unknown_usernames_keep_the_old_note_and_everything_stored_is_empty() {
        let people = strings(&["bob", "ghost"]);
        let asked = Asked {
            assignees: &people,
            ..Asked::default()
        };
        let left = LeftOut::compare(&asked, &stored(&[], &["bob"], None), &strings(&["ghost"]));
        assert_eq!(left.note_id(), "unassigned");
        assert!(LeftOut::compare(&asked, &stored(&[], &["bob", "ghost"], None), &[]).is_empty());
    }

    #[test]
    fn names_in_the_note_cannot_mention_or_run_commands() {
        let people = strings(&["@all"]);
        let asked = Asked {
            assignees: &people,
            ..Asked::default()
        };
        let left = LeftOut::compare(&asked, &stored(&[], &[], None), &[]);
        let note = left.note("eng/pto", &asked);
        assert!(!note.contains("@all"), "{note}");
    }
}
