//! Applying issue plans to a tracker so that each key yields exactly one issue, however
//! often a run is retried, runs late, or overlaps another.
//!
//! Every created issue carries its key in a hidden marker at the end of its description and
//! its job's kind label. A run lists the existing issues of that kind once per project
//! (paginated, not one search per plan) and matches keys; an issue whose marker a person
//! removed is still recognised by its title. A create whose answer is lost is never retried
//! blindly: the key is checked first.
//!
//! Runs that overlap take turns per project: a run writes only while it holds the project's
//! run lock for its job ([`crate::run_lock`]), and lists the existing issues after taking it,
//! so it sees everything the run before it wrote and neither creates an issue again nor posts
//! a note twice. As a safety net (a lock that lapsed, a token that may not create the lock
//! label), the run looks again after creating and, if a concurrent run created the same key,
//! closes the newer issue with a note pointing at the older one.

use futures_util::future::join_all;

use crate::left_out::{Asked, LeftOut};
use crate::plan::{Action, FollowUp, IssuePlan, JobReport};
use crate::record;
use crate::run_lock::{self, Claim, LockSettings};
use crate::tracker::{
    IssueEdit, IssueQuery, IssueState, IssueTracker, LinkType, LinkedIssue, NewIssue, TrackedIssue,
    TrackedNote, TrackerError,
};

/// The name of the record that carries an issue's key.
const KEY_RECORD: &str = "key";
/// The name of the record that names a comment teamcadence posted.
const NOTE_RECORD: &str = "note";

/// The hidden marker that identifies the issue of `key`, the key encoded so that no value can
/// end the comment or look like another record.
pub fn marker(key: &str) -> String {
    record::marker(KEY_RECORD, key)
}

/// The key in an issue description's marker: only the description's last line that holds
/// something counts, and only when it is exactly a marker. A marker anywhere else (text
/// added below it, or a value that looks like one) is not the issue's key.
pub fn key_in(description: &str) -> Option<String> {
    let last = record::lines_from_end(description).next()?;
    record::read_marker(last, KEY_RECORD).ok().flatten()
}

/// Why a description's key marker is not trusted, when it has something that looks like one
/// that [`key_in`] does not read; `None` when the marker reads or there is none.
pub fn marker_problem(description: &str) -> Option<String> {
    let mut lines = record::lines_from_end(description);
    if let Some(Err(e)) = lines
        .next()
        .map(|last| record::read_marker(last, KEY_RECORD))
    {
        return Some(format!(
            "its teamcadence key marker does not read ({e}), so teamcadence does not know it \
             as its issue; restore the marker's last line as teamcadence wrote it"
        ));
    }
    lines
        .any(|line| record::looks_like(line, KEY_RECORD))
        .then(|| {
            "it has a teamcadence key marker that is not the last line of its description, which \
         is ignored; move the marker back to the end"
                .to_owned()
        })
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
    /// How long a run waits for another run's lock on a project, and how long its own lasts.
    pub lock: LockSettings,
}

/// Applies the plans of `report` that are due (`create`), filling in each one's `action`,
/// `web_url`, `error` and `done`. Projects are worked on concurrently (the tracker keeps to
/// its rate budget). Failures are recorded per plan and in `report.errors`; the rest of the
/// run goes on, so a re-run finishes what is missing.
pub async fn apply<T: IssueTracker>(tracker: &T, report: &mut JobReport, options: &ApplyOptions) {
    let mut projects: Vec<String> = Vec::new();
    for plan in &report.issues {
        if to_apply(plan) && !projects.contains(&plan.project) {
            projects.push(plan.project.clone());
        }
    }
    let runs = projects.iter().map(|project| {
        let indices: Vec<usize> = (0..report.issues.len())
            .filter(|&i| report.issues[i].project == *project && to_apply(&report.issues[i]))
            .collect();
        let mut part = JobReport {
            issues: indices.iter().map(|&i| report.issues[i].clone()).collect(),
            ..JobReport::default()
        };
        async move {
            apply_project(tracker, project, &mut part, options).await;
            (indices, part)
        }
    });
    for (indices, part) in join_all(runs).await {
        for (i, plan) in indices.into_iter().zip(part.issues) {
            report.issues[i] = plan;
        }
        report.warnings.extend(part.warnings);
        report.errors.extend(part.errors);
    }
}

/// Whether applying has work for `plan`: an issue to create or update, or follow-ups on one a
/// job found existing (a reminder on an overdue issue).
fn to_apply(plan: &IssuePlan) -> bool {
    match plan.action {
        Action::Create | Action::Update => true,
        Action::Exists => !plan.follow_ups.is_empty(),
        Action::Skip(_) => false,
    }
}

/// Applies the plans of one project, each of them due or with follow-ups on an existing issue,
/// holding the project's run lock for this job while writing (dry runs write nothing and take
/// no lock).
async fn apply_project<T: IssueTracker>(
    tracker: &T,
    project: &str,
    report: &mut JobReport,
    options: &ApplyOptions,
) {
    if options.dry_run {
        return apply_locked(tracker, project, report, options).await;
    }
    match run_lock::claim(tracker, project, &options.kind_label, &options.lock).await {
        Ok(Claim::Held(mut lock)) => {
            report.warnings.append(&mut lock.warnings);
            apply_locked(tracker, project, report, options).await;
            if let Err(warning) = lock.release(tracker).await {
                report.warnings.push(warning);
            }
        }
        Ok(Claim::Unlocked(warning)) => {
            report.warnings.push(warning);
            apply_locked(tracker, project, report, options).await;
        }
        Err(message) => {
            for plan in &mut report.issues {
                plan.error = Some(message.clone());
            }
            report.errors.push(message);
        }
    }
}

/// Applies the plans of one project once this run may write to it: lists the job's issues
/// there, creates the missing ones, closes duplicates and does the follow-ups.
async fn apply_locked<T: IssueTracker>(
    tracker: &T,
    project: &str,
    report: &mut JobReport,
    options: &ApplyOptions,
) {
    let existing = match list_kind(tracker, project, &options.kind_label, None).await {
        Ok(existing) => existing,
        Err(e) => {
            for i in 0..report.issues.len() {
                fail(
                    report,
                    i,
                    format!("could not read the existing issues of {project}: {e}"),
                );
            }
            return;
        }
    };
    // A marker that does not read is not trusted, but a person should hear of it.
    report.warnings.extend(existing.iter().filter_map(|issue| {
        marker_problem(&issue.description).map(|why| format!("{project}#{}: {why}", issue.iid))
    }));
    let mut created = Vec::new();
    // The issue that stands for each plan: (plan, iid, whether this run created it).
    let mut standing: Vec<(usize, u64, bool)> = Vec::new();
    for i in 0..report.issues.len() {
        // A job plans `exists` and `update` only for issues it has seen.
        let known_to_exist = matches!(report.issues[i].action, Action::Exists | Action::Update);
        // Duplicates left by a run that was interrupted before it could close its own.
        let open = open_with_key(&existing, &report.issues[i].key);
        if open.len() > 1 && !options.dry_run {
            close_newer(tracker, report, i, &open, &open[1..]).await;
        }
        if let Some(found) = find(&existing, &report.issues[i]) {
            // Follow-ups go to the open issue of the key when there is one.
            let standing_issue = open.first().copied().unwrap_or(found);
            let iid = standing_issue.iid;
            let plan = &mut report.issues[i];
            // An update planned from what the job read before this run took the lock may
            // have been made since by the run that held it: then there is nothing to edit.
            if plan.action != Action::Update || says_what_plan_says(standing_issue, plan) {
                plan.action = Action::Exists;
            }
            plan.web_url = Some(found.web_url.clone());
            if known_to_exist && open.is_empty() {
                // Closed since the job looked: its follow-ups and changes are moot.
                plan.action = Action::Exists;
                plan.done
                    .push(format!("{} was closed: nothing changed", plan.key));
                continue;
            }
            standing.push((i, iid, false));
            continue;
        }
        if known_to_exist {
            // Gone since the job looked (deleted, or its marker edited away): nothing to add to.
            let plan = &mut report.issues[i];
            let gone = format!("{} is no longer in {project}: nothing changed", plan.key);
            plan.action = Action::Exists;
            plan.done.push(gone);
            continue;
        }
        if options.dry_run {
            report.issues[i].preview_follow_ups();
            continue;
        }
        match create_once(tracker, &report.issues[i], options).await {
            Ok(made) => {
                created.push((i, made.issue.iid));
                standing.push((i, made.issue.iid, true));
                let plan = &mut report.issues[i];
                plan.web_url = Some(made.issue.web_url.clone());
                if let Some(left_out) = made.left_out.filter(|l| !l.is_empty()) {
                    // Say so on the issue too, where the people it concerns will see it.
                    let asked = asked_on_create(plan, &made.labels);
                    plan.follow_ups.push(FollowUp::Note {
                        id: left_out.note_id(),
                        body: left_out.note(project, &asked),
                    });
                    report
                        .warnings
                        .extend(left_out.warnings(&plan.key, project));
                    if !made
                        .issue
                        .labels
                        .iter()
                        .any(|l| l.eq_ignore_ascii_case(&options.kind_label))
                    {
                        // Without its kind label the next run cannot find it, and would
                        // create it again.
                        report.errors.push(format!(
                            "{}: #{} was created without the label {}, by which teamcadence \
                             finds its issues, so the next run would create it again; add the \
                             label to #{} by hand and give the token the Planner or Reporter role",
                            plan.key, made.issue.iid, options.kind_label, made.issue.iid
                        ));
                    }
                }
                report.warnings.extend(made.warnings);
            }
            Err(message) => fail(report, i, message),
        }
    }
    if !created.is_empty() {
        // Where a concurrent run's older issue now stands for a plan, the follow-ups go there.
        for (i, kept) in close_own_duplicates(tracker, report, &created, project, options).await {
            for entry in standing.iter_mut().filter(|entry| entry.0 == i) {
                *entry = (i, kept, false);
            }
        }
    }
    for (i, iid, fresh) in standing {
        // An update's notes go first: if the edit then fails, a re-run still sees the old
        // issue, edits it and finds the notes posted.
        let follow = FollowUpRun {
            tracker,
            project,
            iid,
            fresh,
            existing: &existing,
            dry_run: options.dry_run,
        };
        let mut done = follow.run(&mut report.issues[i]).await;
        if done.is_ok() && report.issues[i].action == Action::Update {
            done = follow
                .update(&mut report.issues[i])
                .await
                .map(|warnings| report.warnings.extend(warnings));
        }
        if let Err(message) = done {
            let plan = &mut report.issues[i];
            report.errors.push(format!(
                "{}: the issue exists, but {message}; re-run to finish",
                plan.key
            ));
            plan.error = Some(message);
        }
    }
}

/// The follow-ups of one plan whose issue exists.
struct FollowUpRun<'a, T> {
    tracker: &'a T,
    project: &'a str,
    /// The issue that stands for the plan.
    iid: u64,
    /// Whether this run created it just now (so it has no comments of ours yet).
    fresh: bool,
    /// This job's issues in the project, as listed at the start of the run.
    existing: &'a [TrackedIssue],
    dry_run: bool,
}

impl<T: IssueTracker> FollowUpRun<'_, T> {
    /// Makes the issue what the plan says: title, description, due date and assignees.
    /// Returns warnings about what GitLab left out.
    async fn update(&self, plan: &mut IssuePlan) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        if !self.dry_run {
            let edit = IssueEdit {
                title: Some(plan.title.clone()),
                description: Some(stored_description(plan)),
                due_date: plan.due_date,
                assignees: Some(plan.assignees.clone()),
                ..IssueEdit::default()
            };
            let stored = self
                .tracker
                .edit_issue(self.project, self.iid, &edit)
                .await
                .map_err(|e| format!("updating #{} failed: {e}", self.iid))?;
            warnings = self.report_left_out(plan, &stored).await?;
        }
        let would = if self.dry_run { "would " } else { "" };
        plan.done.push(format!(
            "{would}update the title, description, due date and assignees of #{}",
            self.iid
        ));
        Ok(warnings)
    }

    /// Compares what GitLab stored after an edit with the plan, and says who and what it left
    /// out in a comment on the issue (once) and in the returned warnings.
    async fn report_left_out(
        &self,
        plan: &IssuePlan,
        stored: &TrackedIssue,
    ) -> Result<Vec<String>, String> {
        let asked = Asked {
            assignees: &plan.assignees,
            due_date: plan.due_date,
            ..Asked::default()
        };
        let first = LeftOut::compare(&asked, stored, &[]);
        if first.is_empty() {
            return Ok(Vec::new());
        }
        // The adapter leaves usernames without an account out of an edit without a word:
        // tell those apart from the people GitLab dropped.
        let mut no_account = Vec::new();
        for name in &first.cannot_see {
            if let Ok(None) = self.tracker.find_user(name).await {
                no_account.push(name.clone());
            }
        }
        let left_out = LeftOut::compare(&asked, stored, &no_account);
        self.post_once(
            self.project,
            self.iid,
            None,
            &left_out.note_id(),
            &left_out.note(self.project, &asked),
        )
        .await?;
        Ok(left_out.warnings(&plan.key, self.project))
    }

    /// Links the issue to `project`#`iid` unless `links` (read once, on first use) has it
    /// already; whether a link was (or in a dry run, would be) made.
    async fn ensure_link(
        &self,
        links: &mut Option<Vec<LinkedIssue>>,
        project: &str,
        iid: u64,
    ) -> Result<bool, String> {
        if links.is_none() {
            *links = Some(if self.fresh {
                Vec::new()
            } else {
                self.tracker
                    .list_links(self.project, self.iid)
                    .await
                    .map_err(|e| format!("reading its links failed: {e}"))?
            });
        }
        let linked = links
            .iter()
            .flatten()
            .any(|l| l.iid == iid && l.project.eq_ignore_ascii_case(project));
        if linked {
            return Ok(false);
        }
        if !self.dry_run {
            self.tracker
                .link_issues(self.project, self.iid, project, iid, LinkType::RelatesTo)
                .await
                .map_err(|e| format!("linking it to #{iid} failed: {e}"))?;
        }
        if let Some(list) = links {
            list.push(LinkedIssue {
                project: project.to_owned(),
                iid,
            });
        }
        Ok(true)
    }

    /// Does each follow-up not done yet, recording what happened in `plan.done`.
    async fn run(&self, plan: &mut IssuePlan) -> Result<(), String> {
        let mut notes: Option<Vec<TrackedNote>> = None;
        let mut links: Option<Vec<LinkedIssue>> = None;
        let would = if self.dry_run { "would " } else { "" };
        for follow_up in plan.follow_ups.clone() {
            match follow_up {
                FollowUp::LinkTo { key } => {
                    let Some(target) = oldest_with_key(self.existing, &key) else {
                        plan.done.push(format!("no issue {key} to link to"));
                        continue;
                    };
                    let (project, iid) = (target.project.clone(), target.iid);
                    if self.ensure_link(&mut links, &project, iid).await? {
                        plan.done.push(format!("{would}link to #{iid} ({key})"));
                    } else {
                        plan.done.push(format!("linked to #{iid} ({key})"));
                    }
                }
                FollowUp::LinkToIssue { project, iid } => {
                    let name = format!("{project}#{iid}");
                    if self.ensure_link(&mut links, &project, iid).await? {
                        plan.done.push(format!("{would}link to {name}"));
                    } else {
                        plan.done.push(format!("linked to {name}"));
                    }
                }
                FollowUp::Close { key, note } => {
                    let Some(target) = oldest_with_key(self.existing, &key) else {
                        continue;
                    };
                    if target.state == IssueState::Closed || target.iid == self.iid {
                        continue;
                    }
                    if !self.dry_run {
                        let id = format!("closed-by:{}", plan.key);
                        self.post_once(&target.project, target.iid, None, &id, &note)
                            .await?;
                        let close = IssueEdit {
                            state: Some(IssueState::Closed),
                            ..IssueEdit::default()
                        };
                        self.tracker
                            .edit_issue(&target.project, target.iid, &close)
                            .await
                            .map_err(|e| format!("closing #{} failed: {e}", target.iid))?;
                    }
                    plan.done
                        .push(format!("{would}close #{} ({key})", target.iid));
                }
                FollowUp::Note { id, body } => {
                    if notes.is_none() {
                        notes = Some(if self.fresh {
                            Vec::new()
                        } else {
                            self.tracker
                                .list_notes(self.project, self.iid)
                                .await
                                .map_err(|e| format!("reading its comments failed: {e}"))?
                        });
                    }
                    if notes
                        .iter()
                        .flatten()
                        .any(|n| note_id_in(&n.body).as_deref() == Some(id.as_str()))
                    {
                        continue;
                    }
                    if !self.dry_run {
                        self.post_once(self.project, self.iid, notes.as_deref(), &id, &body)
                            .await?;
                    }
                    plan.done.push(format!("{would}post the note {id:?}"));
                }
                FollowUp::CloseWith { id, body } => {
                    let open = self.fresh
                        || self
                            .existing
                            .iter()
                            .any(|i| i.iid == self.iid && i.state == IssueState::Opened);
                    if !open {
                        continue;
                    }
                    if !self.dry_run {
                        self.post_once(self.project, self.iid, notes.as_deref(), &id, &body)
                            .await?;
                        let close = IssueEdit {
                            state: Some(IssueState::Closed),
                            ..IssueEdit::default()
                        };
                        self.tracker
                            .edit_issue(self.project, self.iid, &close)
                            .await
                            .map_err(|e| format!("closing #{} failed: {e}", self.iid))?;
                    }
                    plan.done.push(format!(
                        "{would}post the note {id:?} and close #{}",
                        self.iid
                    ));
                }
            }
        }
        Ok(())
    }

    /// Posts `body` as the comment `id` on an issue unless it is already there. `known` are
    /// the issue's comments when they have been read already.
    async fn post_once(
        &self,
        project: &str,
        iid: u64,
        known: Option<&[TrackedNote]>,
        id: &str,
        body: &str,
    ) -> Result<(), String> {
        let read;
        let notes = match known {
            Some(notes) => notes,
            None => {
                read = self
                    .tracker
                    .list_notes(project, iid)
                    .await
                    .map_err(|e| format!("reading the comments of #{iid} failed: {e}"))?;
                &read
            }
        };
        if notes
            .iter()
            .any(|n| note_id_in(&n.body).as_deref() == Some(id))
        {
            return Ok(());
        }
        let body = format!(
            "{}\n\n{}\n",
            body.trim_end(),
            record::marker(NOTE_RECORD, id)
        );
        self.tracker
            .add_note(project, iid, &body)
            .await
            .map_err(|e| format!("commenting on #{iid} failed: {e}"))
    }
}

/// The name of a comment teamcadence posted, from its hidden marker: the comment's last line
/// that holds something, when it is exactly a note marker.
pub fn note_id_in(body: &str) -> Option<String> {
    let last = record::lines_from_end(body).next()?;
    record::read_marker(last, NOTE_RECORD).ok().flatten()
}

/// The oldest issue (any state) carrying `key`.
fn oldest_with_key<'a>(issues: &'a [TrackedIssue], key: &str) -> Option<&'a TrackedIssue> {
    issues
        .iter()
        .filter(|i| key_in(&i.description).as_deref() == Some(key))
        .min_by_key(|i| (i.created_at, i.iid))
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
        ..IssueQuery::default()
    };
    tracker.list_issues(project, &query).await
}

/// The existing issue for a plan: the oldest with its key, else the oldest without any
/// marker whose title is the plan's (a person may have edited the marker away).
fn find<'a>(existing: &'a [TrackedIssue], plan: &IssuePlan) -> Option<&'a TrackedIssue> {
    oldest_with_key(existing, &plan.key).or_else(|| {
        existing
            .iter()
            .filter(|i| key_in(&i.description).is_none() && i.title == plan.title)
            .min_by_key(|i| (i.created_at, i.iid))
    })
}

/// An issue this run created (or found created by an attempt whose answer was lost).
struct Made {
    /// The issue as GitLab stored it.
    issue: TrackedIssue,
    /// The labels it was created with (the plan's and the kind label).
    labels: Vec<String>,
    /// Who and what GitLab left out; `None` when the issue was found rather than answered.
    left_out: Option<LeftOut>,
    /// Other warnings worth a person's attention.
    warnings: Vec<String>,
}

/// What a create asked for, with the labels it was sent.
fn asked_on_create<'a>(plan: &'a IssuePlan, labels: &'a [String]) -> Asked<'a> {
    Asked {
        labels,
        assignees: &plan.assignees,
        milestone: plan.milestone.as_deref(),
        due_date: plan.due_date,
    }
}

/// Creates the plan's issue; when an answer is lost, looks for the key before trying again.
async fn create_once<T: IssueTracker>(
    tracker: &T,
    plan: &IssuePlan,
    options: &ApplyOptions,
) -> Result<Made, String> {
    let mut labels = plan.labels.clone();
    crate::plan::push_unique(&mut labels, &options.kind_label);
    let issue = NewIssue {
        project: plan.project.clone(),
        title: plan.title.clone(),
        description: stored_description(plan),
        labels: labels.clone(),
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
                let mut warnings = Vec::new();
                if let Some(milestone) = &created.unknown_milestone {
                    warnings.push(format!(
                        "{}: no milestone titled {milestone} in {}; none set",
                        plan.key, plan.project
                    ));
                }
                let mut asked = asked_on_create(plan, &labels);
                if created.unknown_milestone.is_some() {
                    // Reported above: not something GitLab left out.
                    asked.milestone = None;
                }
                let left_out = LeftOut::compare(&asked, &created.issue, &created.unknown_assignees);
                return Ok(Made {
                    issue: created.issue,
                    labels,
                    left_out: Some(left_out),
                    warnings,
                });
            }
            Err(TrackerError::Uncertain(message)) => {
                last_error = message;
                // The write may have been stored: look for the key before trying again.
                match list_kind(tracker, &plan.project, &options.kind_label, None).await {
                    Ok(existing) => {
                        if let Some(found) = find(&existing, plan) {
                            return Ok(Made {
                                issue: found.clone(),
                                labels,
                                left_out: None,
                                warnings: Vec::new(),
                            });
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

/// What a plan's issue holds as its description: the description, the plan's hidden record
/// and the key's marker.
fn stored_description(plan: &IssuePlan) -> String {
    match &plan.record {
        Some(record) => with_marker(
            &format!("{}\n\n{record}", plan.description.trim_end()),
            &plan.key,
        ),
        None => with_marker(&plan.description, &plan.key),
    }
}

/// Whether an issue already has the title, description, due date and assignees an update
/// would give it. GitLab strips the description's trailing whitespace and may list the
/// assignees in another order than they were given.
fn says_what_plan_says(issue: &TrackedIssue, plan: &IssuePlan) -> bool {
    let sorted = |names: &[String]| {
        let mut names = names.to_vec();
        names.sort_unstable();
        names
    };
    issue.title == plan.title
        && issue.description.trim_end() == stored_description(plan).trim_end()
        && plan.due_date.is_none_or(|due| issue.due_date == Some(due))
        && sorted(&issue.assignees) == sorted(&plan.assignees)
}

/// The description with the key's marker at its end.
pub fn with_marker(description: &str, key: &str) -> String {
    format!("{}\n\n{}\n", description.trim_end(), marker(key))
}

/// The open issues carrying `key`, oldest first.
fn open_with_key<'a>(issues: &'a [TrackedIssue], key: &str) -> Vec<&'a TrackedIssue> {
    let mut open: Vec<&TrackedIssue> = issues
        .iter()
        .filter(|i| i.state == IssueState::Opened && key_in(&i.description).as_deref() == Some(key))
        .collect();
    open.sort_by_key(|issue| (issue.created_at, issue.iid));
    open
}

/// Looks again after creating: when a concurrent run created the same key first, this run's
/// issue is the newer one and is closed. Only a run's own issues are closed here, so two
/// runs never both close the same one; leftovers of an interrupted run are closed by the
/// next run that sees them. Returns the plans whose issue was closed so, each with the iid
/// of the older issue that stands for it now.
async fn close_own_duplicates<T: IssueTracker>(
    tracker: &T,
    report: &mut JobReport,
    created: &[(usize, u64)],
    project: &str,
    options: &ApplyOptions,
) -> Vec<(usize, u64)> {
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
            return Vec::new();
        }
    };
    let mut kept = Vec::new();
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
            kept.push((i, same_key[0].iid));
        }
    }
    kept
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
