//! Applying issue plans to a tracker so that each key yields exactly one issue, however
//! often a run is retried, runs late, or overlaps another.
//!
//! Every created issue carries its key in a hidden marker at the end of its description and
//! its job's kind label. A run lists the existing issues of that kind once per project
//! (paginated, not one search per plan) and matches keys; an issue whose marker a person
//! removed is still recognised by its title. A create whose answer is lost is never retried
//! blindly: the key is checked first. After creating, the run looks again and, if a
//! concurrent run created the same key, closes the newer issue with a note pointing at the
//! older one.

use crate::plan::{Action, IssuePlan, JobReport};
use crate::tracker::{
    IssueEdit, IssueQuery, IssueState, IssueTracker, NewIssue, TrackedIssue, TrackerError,
};

const MARKER_START: &str = "<!-- teamcadence:key=";
const MARKER_END: &str = " -->";

/// The hidden marker that identifies the issue of `key`.
pub fn marker(key: &str) -> String {
    format!("{MARKER_START}{key}{MARKER_END}")
}

/// The key in an issue description's marker, if it has one (the last one wins).
pub fn key_in(description: &str) -> Option<&str> {
    let start = description.rfind(MARKER_START)? + MARKER_START.len();
    let length = description[start..].find(MARKER_END)?;
    Some(description[start..start + length].trim())
}

/// How plans are applied.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The label every issue of this job carries, used to find them again.
    pub kind_label: String,
    /// Read the tracker and report what would happen, but write nothing.
    pub dry_run: bool,
    /// How many times a create is tried when its answer is lost and the key is not found.
    pub create_attempts: u32,
}

/// Applies the plans of `report` that are due (`create`), filling in each one's `action`,
/// `web_url` and `error`. Failures are recorded per plan and in `report.errors`; the rest of
/// the run goes on, so a re-run finishes what is missing.
pub async fn apply<T: IssueTracker>(tracker: &T, report: &mut JobReport, options: &ApplyOptions) {
    let mut projects: Vec<String> = Vec::new();
    for plan in &report.issues {
        if plan.action == Action::Create && !projects.contains(&plan.project) {
            projects.push(plan.project.clone());
        }
    }
    for project in projects {
        let indices: Vec<usize> = (0..report.issues.len())
            .filter(|&i| {
                report.issues[i].project == project && report.issues[i].action == Action::Create
            })
            .collect();
        let existing = match list_kind(tracker, &project, &options.kind_label, None).await {
            Ok(existing) => existing,
            Err(e) => {
                for &i in &indices {
                    fail(
                        report,
                        i,
                        format!("could not read the existing issues of {project}: {e}"),
                    );
                }
                continue;
            }
        };
        let mut created = Vec::new();
        for &i in &indices {
            // Duplicates left by a run that was interrupted before it could close its own.
            let open = open_with_key(&existing, &report.issues[i].key);
            if open.len() > 1 && !options.dry_run {
                close_newer(tracker, report, i, &open, &open[1..]).await;
            }
            if let Some(found) = find(&existing, &report.issues[i]) {
                let plan = &mut report.issues[i];
                plan.action = Action::Exists;
                plan.web_url = Some(found.web_url.clone());
                continue;
            }
            if options.dry_run {
                continue;
            }
            match create_once(tracker, &report.issues[i], options).await {
                Ok((issue, notes)) => {
                    created.push((i, issue.iid));
                    report.issues[i].web_url = Some(issue.web_url);
                    report.warnings.extend(notes);
                }
                Err(message) => fail(report, i, message),
            }
        }
        if !created.is_empty() {
            close_own_duplicates(tracker, report, &created, &project, options).await;
        }
    }
}

fn fail(report: &mut JobReport, index: usize, message: String) {
    let plan = &mut report.issues[index];
    report
        .errors
        .push(format!("{}: {message}; not created", plan.key));
    plan.error = Some(message);
}

async fn list_kind<T: IssueTracker>(
    tracker: &T,
    project: &str,
    kind_label: &str,
    state: Option<IssueState>,
) -> Result<Vec<TrackedIssue>, TrackerError> {
    let query = IssueQuery {
        labels: vec![kind_label.to_owned()],
        state,
        created_after: None,
    };
    tracker.list_issues(project, &query).await
}

/// The existing issue for a plan: the oldest with its key, else the oldest without any
/// marker whose title is the plan's (a person may have edited the marker away).
fn find<'a>(existing: &'a [TrackedIssue], plan: &IssuePlan) -> Option<&'a TrackedIssue> {
    let oldest =
        |issues: Vec<&'a TrackedIssue>| issues.into_iter().min_by_key(|i| (i.created_at, i.iid));
    oldest(
        existing
            .iter()
            .filter(|i| key_in(&i.description) == Some(plan.key.as_str()))
            .collect(),
    )
    .or_else(|| {
        oldest(
            existing
                .iter()
                .filter(|i| key_in(&i.description).is_none() && i.title == plan.title)
                .collect(),
        )
    })
}

/// Creates the plan's issue; when an answer is lost, looks for the key before trying again.
/// Returns the issue and warnings worth a person's attention.
async fn create_once<T: IssueTracker>(
    tracker: &T,
    plan: &IssuePlan,
    options: &ApplyOptions,
) -> Result<(TrackedIssue, Vec<String>), String> {
    let mut labels = plan.labels.clone();
    crate::plan::push_unique(&mut labels, &options.kind_label);
    let issue = NewIssue {
        project: plan.project.clone(),
        title: plan.title.clone(),
        description: with_marker(&plan.description, &plan.key),
        labels,
        assignees: plan.assignees.clone(),
        milestone: plan.milestone.clone(),
        due_date: plan.due_date,
        confidential: plan.confidential,
    };
    let attempts = options.create_attempts.max(1);
    let mut last_error = String::new();
    for _ in 0..attempts {
        match tracker.create_issue(&issue).await {
            Ok(created) => {
                let mut notes = Vec::new();
                if !created.unknown_assignees.is_empty() {
                    notes.push(format!(
                        "{}: no GitLab account for {}; not assigned",
                        plan.key,
                        created.unknown_assignees.join(", ")
                    ));
                }
                if let Some(milestone) = &created.unknown_milestone {
                    notes.push(format!(
                        "{}: no milestone titled {milestone} in {}; none set",
                        plan.key, plan.project
                    ));
                }
                return Ok((created.issue, notes));
            }
            Err(TrackerError::Uncertain(message)) => {
                last_error = message;
                // The write may have been stored: look for the key before trying again.
                match list_kind(tracker, &plan.project, &options.kind_label, None).await {
                    Ok(existing) => {
                        if let Some(found) = find(&existing, plan) {
                            return Ok((found.clone(), Vec::new()));
                        }
                    }
                    Err(e) => {
                        return Err(format!(
                            "the answer to creating it was lost ({last_error}) and checking \
                             whether it exists failed ({e}); re-run to finish"
                        ));
                    }
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!("{last_error} (tried {attempts} times)"))
}

/// The description with the key's marker at its end.
pub fn with_marker(description: &str, key: &str) -> String {
    format!("{}\n\n{}\n", description.trim_end(), marker(key))
}

/// The open issues carrying `key`, oldest first.
fn open_with_key<'a>(issues: &'a [TrackedIssue], key: &str) -> Vec<&'a TrackedIssue> {
    let mut open: Vec<&TrackedIssue> = issues
        .iter()
        .filter(|i| i.state == IssueState::Opened && key_in(&i.description) == Some(key))
        .collect();
    open.sort_by_key(|issue| (issue.created_at, issue.iid));
    open
}

/// Looks again after creating: when a concurrent run created the same key first, this run's
/// issue is the newer one and is closed. Only a run's own issues are closed here, so two
/// runs never both close the same one; leftovers of an interrupted run are closed by the
/// next run that sees them.
async fn close_own_duplicates<T: IssueTracker>(
    tracker: &T,
    report: &mut JobReport,
    created: &[(usize, u64)],
    project: &str,
    options: &ApplyOptions,
) {
    let open = match list_kind(
        tracker,
        project,
        &options.kind_label,
        Some(IssueState::Opened),
    )
    .await
    {
        Ok(open) => open,
        Err(e) => {
            report.warnings.push(format!(
                "{project}: could not check for duplicates made by a concurrent run ({e}); the next run checks again"
            ));
            return;
        }
    };
    for &(i, iid) in created {
        let same_key = open_with_key(&open, &report.issues[i].key);
        let newer_own: Vec<&TrackedIssue> = same_key
            .iter()
            .skip(1)
            .filter(|d| d.iid == iid)
            .copied()
            .collect();
        if !newer_own.is_empty() {
            close_newer(tracker, report, i, &same_key, &newer_own).await;
        }
    }
}

/// Closes `duplicates` with a note pointing at the oldest of `same_key`, and points the
/// plan at that oldest one.
async fn close_newer<T: IssueTracker>(
    tracker: &T,
    report: &mut JobReport,
    index: usize,
    same_key: &[&TrackedIssue],
    duplicates: &[&TrackedIssue],
) {
    let keep = same_key[0];
    for duplicate in duplicates {
        let project = &duplicate.project;
        let note = format!(
            "Closed by teamcadence: this duplicates #{} ({}), which two runs at the same time both created. Please use that one.",
            keep.iid, keep.web_url
        );
        let closed = async {
            tracker.add_note(project, duplicate.iid, &note).await?;
            let close = IssueEdit {
                state: Some(IssueState::Closed),
                ..IssueEdit::default()
            };
            tracker.edit_issue(project, duplicate.iid, &close).await
        }
        .await;
        if let Err(e) = closed {
            report.warnings.push(format!(
                "{}: #{} duplicates #{} but could not be closed ({e}); close it by hand",
                report.issues[index].key, duplicate.iid, keep.iid
            ));
        }
    }
    report.issues[index].web_url = Some(keep.web_url.clone());
}
