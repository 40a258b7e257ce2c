//! Changes the rituals make to issues that already exist (a prompt on a team member's issue,
//! the sync's decision on its agenda, the retrospective's link to the planning issue), each
//! done once however often a run is repeated or overlaps another.
//!
//! [`crate::apply`] creates a job's own issues and finds them by their kind label; the issues
//! a ritual comments on are anyone's, so they are named here by project and number, or by
//! the key of an issue a job created. Each comment carries its name in the same hidden
//! record [`crate::apply`] writes, so both recognise it; the run holds the project's run lock
//! for the ritual while it reads the comments and writes, so two runs never both post.

use crate::apply::{ApplyOptions, key_in, note_id_in};
use crate::plan::JobReport;
use crate::record;
use crate::run_lock::{self, Claim};
use crate::tracker::{IssueEdit, IssueQuery, IssueState, IssueTracker, LinkType, TrackerError};

/// Which issue a touch is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An issue known by its number.
    Issue {
        /// Full path of its project.
        project: String,
        /// Its number in the project.
        iid: u64,
    },
    /// The issue a job made for `key`, carrying `kind_label`, found when the touch is done
    /// (it may be created by the same run).
    Key {
        /// Full path of its project.
        project: String,
        /// The label of the job that made it.
        kind_label: String,
        /// Its key.
        key: String,
    },
}

impl Target {
    /// The project the issue is in.
    pub fn project(&self) -> &str {
        match self {
            Target::Issue { project, .. } | Target::Key { project, .. } => project,
        }
    }
}

/// One change to an existing issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Post a comment, once: `id` names it among the issue's comments.
    Note {
        /// Stable name of the comment.
        id: String,
        /// Markdown body.
        body: String,
    },
    /// Add labels.
    AddLabels(Vec<String>),
    /// Close the issue if it is open.
    Close,
    /// Link it to another issue, unless they are linked already.
    LinkTo(Target),
}

/// The changes to one issue, for the plan at `plan` in the job's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    /// Index of the plan in the report that shows this touch.
    pub plan: usize,
    /// The issue.
    pub target: Target,
    /// When the comment named here is on the issue already, nothing is done: it is the
    /// touch's last step, posted once the others are done, so a re-run after a failure
    /// redoes the rest (each of which does nothing when done) and then posts it.
    pub once: Option<String>,
    /// The changes, in order.
    pub steps: Vec<Step>,
}

/// Does each touch (or, in a dry run, says what it would do), recording it in its plan's
/// `done`; failures go to the plan's `error` and the report's errors. Projects take turns
/// under their run lock for `options.kind_label`.
pub async fn apply<T: IssueTracker>(
    tracker: &T,
    report: &mut JobReport,
    touches: &[Touch],
    options: &ApplyOptions,
) {
    let mut projects: Vec<&str> = Vec::new();
    for touch in touches {
        if !projects.contains(&touch.target.project()) {
            projects.push(touch.target.project());
        }
    }
    for project in projects {
        let mine: Vec<&Touch> = touches
            .iter()
            .filter(|t| t.target.project() == project)
            .collect();
        let lock = if options.dry_run {
            None
        } else {
            match run_lock::claim(tracker, project, &options.kind_label, &options.lock).await {
                Ok(Claim::Held(mut lock)) => {
                    report.warnings.append(&mut lock.warnings);
                    Some(lock)
                }
                Ok(Claim::Unlocked(warning)) => {
                    report.warnings.push(warning);
                    None
                }
                Err(message) => {
                    for touch in mine {
                        fail(report, touch.plan, message.clone());
                    }
                    continue;
                }
            }
        };
        for touch in mine {
            if let Err(message) = apply_one(tracker, report, touch, options.dry_run).await {
                fail(report, touch.plan, message);
            }
        }
        if let Some(lock) = lock
            && let Err(warning) = lock.release(tracker).await
        {
            report.warnings.push(warning);
        }
    }
}

fn fail(report: &mut JobReport, plan: usize, message: String) {
    if let Some(plan) = report.issues.get_mut(plan) {
        report
            .errors
            .push(format!("{}: {message}; re-run to finish", plan.key));
        plan.error = Some(message);
    }
}

/// The project and number of a target, `None` when its key has no issue (yet).
async fn resolve<T: IssueTracker>(
    tracker: &T,
    target: &Target,
) -> Result<Option<(String, u64)>, String> {
    match target {
        Target::Issue { project, iid } => Ok(Some((project.clone(), *iid))),
        Target::Key {
            project,
            kind_label,
            key,
        } => {
            let query = IssueQuery {
                labels: vec![kind_label.clone()],
                ..IssueQuery::default()
            };
            let issues = tracker
                .list_issues(project, &query)
                .await
                .map_err(|e| format!("could not read the issues of {project}: {e}"))?;
            // The open issue of the key first, then the oldest.
            Ok(issues
                .iter()
                .filter(|i| key_in(&i.description).as_deref() == Some(key.as_str()))
                .min_by_key(|i| (i.state != IssueState::Opened, i.created_at, i.iid))
                .map(|i| (i.project.clone(), i.iid)))
        }
    }
}

async fn apply_one<T: IssueTracker>(
    tracker: &T,
    report: &mut JobReport,
    touch: &Touch,
    dry_run: bool,
) -> Result<(), String> {
    let would = if dry_run { "would " } else { "" };
    let Some((project, iid)) = resolve(tracker, &touch.target).await? else {
        let what = format!("{would}wait: its issue does not exist yet");
        push_done(report, touch.plan, what);
        return Ok(());
    };
    let read_notes = |project: String| async move {
        tracker
            .list_notes(&project, iid)
            .await
            .map_err(|e| format!("reading the comments of #{iid} failed: {e}"))
    };
    let notes = read_notes(project.clone()).await?;
    let posted = |id: &str| {
        notes
            .iter()
            .any(|n| note_id_in(&n.body).as_deref() == Some(id))
    };
    if let Some(once) = &touch.once
        && posted(once)
    {
        push_done(report, touch.plan, format!("done before on #{iid}"));
        return Ok(());
    }
    for step in &touch.steps {
        let done = match step {
            Step::Note { id, body } => {
                if posted(id) {
                    continue;
                }
                if !dry_run {
                    let body = format!("{}\n\n{}\n", body.trim_end(), record::marker("note", id));
                    tracker
                        .add_note(&project, iid, &body)
                        .await
                        .map_err(|e| format!("commenting on #{iid} failed: {e}"))?;
                }
                format!("{would}post the note {id:?} on #{iid}")
            }
            Step::AddLabels(labels) => {
                if !dry_run {
                    let edit = IssueEdit {
                        add_labels: labels.clone(),
                        ..IssueEdit::default()
                    };
                    tracker
                        .edit_issue(&project, iid, &edit)
                        .await
                        .map_err(|e| format!("labelling #{iid} failed: {e}"))?;
                }
                format!("{would}add the labels {} to #{iid}", labels.join(", "))
            }
            Step::Close => {
                if !dry_run {
                    let edit = IssueEdit {
                        state: Some(IssueState::Closed),
                        ..IssueEdit::default()
                    };
                    tracker
                        .edit_issue(&project, iid, &edit)
                        .await
                        .map_err(|e| format!("closing #{iid} failed: {e}"))?;
                }
                format!("{would}close #{iid}")
            }
            Step::LinkTo(other) => {
                let Some((other_project, other_iid)) = resolve(tracker, other).await? else {
                    push_done(report, touch.plan, "no issue to link to yet".to_owned());
                    continue;
                };
                let links = tracker
                    .list_links(&project, iid)
                    .await
                    .map_err(|e| format!("reading the links of #{iid} failed: {e}"))?;
                let linked = links
                    .iter()
                    .any(|l| l.iid == other_iid && l.project.eq_ignore_ascii_case(&other_project));
                if linked {
                    format!("linked to {other_project}#{other_iid}")
                } else {
                    if !dry_run {
                        tracker
                            .link_issues(
                                &project,
                                iid,
                                &other_project,
                                other_iid,
                                LinkType::RelatesTo,
                            )
                            .await
                            .map_err(|e: TrackerError| {
                                format!("linking #{iid} to {other_project}#{other_iid} failed: {e}")
                            })?;
                    }
                    format!("{would}link #{iid} to {other_project}#{other_iid}")
                }
            }
        };
        push_done(report, touch.plan, done);
    }
    Ok(())
}

fn push_done(report: &mut JobReport, plan: usize, what: String) {
    if let Some(plan) = report.issues.get_mut(plan) {
        plan.done.push(what);
    }
}

/// A ritual's plans: the report (one plan per issue it considered) and the changes to
/// existing issues that applying makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    /// The plans, as the other jobs report them; issues to create are applied by
    /// [`crate::apply::apply`].
    pub report: JobReport,
    /// Changes to existing issues, applied by [`apply`] after the issues are created.
    pub touches: Vec<Touch>,
}

/// Records in each touch's plan what a run that does not read GitLab would do.
pub fn preview(report: &mut JobReport, touches: &[Touch]) {
    for touch in touches {
        for step in &touch.steps {
            let what = match step {
                Step::Note { id, .. } => format!("would post the note {id:?}"),
                Step::AddLabels(labels) => format!("would add the labels {}", labels.join(", ")),
                Step::Close => "would close it".to_owned(),
                Step::LinkTo(Target::Key { key, .. }) => format!("would link to {key}"),
                Step::LinkTo(Target::Issue { project, iid }) => {
                    format!("would link to {project}#{iid}")
                }
            };
            push_done(report, touch.plan, what);
        }
    }
}
