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

use std::collections::HashMap;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};

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
/// The name of the record in which the run that creates an issue names the comments it posts
/// on it right after.
const CLAIM_RECORD: &str = "notes";
/// How the names in a claim are separated (a record value is encoded, so a newline is safe).
const CLAIM_SEPARATOR: char = '\n';

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
    /// Requests the tracker keeps in flight at once: creates and follow-ups of different
    /// keys are started up to twice this many at a time, so the tracker always has the next
    /// one ready.
    pub concurrency: usize,
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
    // Each project's plans move into its part and back, not copied.
    let parts: Vec<(&String, Vec<usize>, JobReport)> = projects
        .iter()
        .map(|project| {
            let indices: Vec<usize> = (0..report.issues.len())
                .filter(|&i| report.issues[i].project == *project && to_apply(&report.issues[i]))
                .collect();
            let part = JobReport {
                issues: indices
                    .iter()
                    .map(|&i| take_plan(&mut report.issues[i]))
                    .collect(),
                ..JobReport::default()
            };
            (project, indices, part)
        })
        .collect();
    let runs = parts
        .into_iter()
        .map(|(project, indices, mut part)| async move {
            apply_project(tracker, project, &mut part, options).await;
            (indices, part)
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
        return apply_locked(tracker, project, report, options, false).await;
    }
    match run_lock::claim(tracker, project, &options.kind_label, &options.lock).await {
        Ok(Claim::Held(mut lock)) => {
            report.warnings.append(&mut lock.warnings);
            apply_locked(tracker, project, report, options, true).await;
            if let Err(warning) = lock.release(tracker).await {
                report.warnings.push(warning);
            }
        }
        Ok(Claim::Unlocked(warning)) => {
            report.warnings.push(warning);
            apply_locked(tracker, project, report, options, false).await;
        }
        Err(message) => {
            for plan in &mut report.issues {
                plan.error = Some(message.clone());
            }
            report.errors.push(message);
        }
    }
}

/// This job's issues in one project, as listed once per run, indexed by key (and, for those
/// without a marker, by title) so that matching plans to issues takes one pass.
struct Listed<'a> {
    issues: &'a [TrackedIssue],
    /// Positions in `issues` of each key's issues, oldest first.
    by_key: HashMap<String, Vec<usize>>,
    /// Positions of the issues without a marker, by title, oldest first.
    unmarked_by_title: HashMap<&'a str, Vec<usize>>,
    /// Positions by issue number.
    by_iid: HashMap<u64, usize>,
}

impl<'a> Listed<'a> {
    fn new(issues: &'a [TrackedIssue]) -> Self {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        let mut unmarked_by_title: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_iid = HashMap::with_capacity(issues.len());
        for (at, issue) in issues.iter().enumerate() {
            by_iid.insert(issue.iid, at);
            match key_in(&issue.description) {
                Some(key) => by_key.entry(key).or_default().push(at),
                None => unmarked_by_title.entry(&issue.title).or_default().push(at),
            }
        }
        let oldest_first = |positions: &mut Vec<usize>| {
            positions.sort_by_key(|&at| (issues[at].created_at, issues[at].iid));
        };
        by_key.values_mut().for_each(oldest_first);
        unmarked_by_title.values_mut().for_each(oldest_first);
        Self {
            issues,
            by_key,
            unmarked_by_title,
            by_iid,
        }
    }

    /// Every issue carrying `key`, oldest first.
    fn with_key(&self, key: &str) -> impl Iterator<Item = &'a TrackedIssue> + '_ {
        let issues = self.issues;
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(move |&at| &issues[at])
    }

    /// The oldest issue (any state) carrying `key`.
    fn oldest_with_key(&self, key: &str) -> Option<&'a TrackedIssue> {
        self.with_key(key).next()
    }

    /// The open issues carrying `key`, oldest first.
    fn open_with_key(&self, key: &str) -> Vec<&'a TrackedIssue> {
        self.with_key(key)
            .filter(|issue| issue.state == IssueState::Opened)
            .collect()
    }

    /// The existing issue for a plan: the oldest with its key, else the oldest without any
    /// marker whose title is the plan's (a person may have edited the marker away).
    fn find(&self, plan: &IssuePlan) -> Option<&'a TrackedIssue> {
        self.oldest_with_key(&plan.key).or_else(|| {
            let at = *self.unmarked_by_title.get(plan.title.as_str())?.first()?;
            Some(&self.issues[at])
        })
    }

    /// The issue `iid`, as listed.
    fn issue(&self, iid: u64) -> Option<&'a TrackedIssue> {
        self.by_iid.get(&iid).map(|&at| &self.issues[at])
    }
}

/// Applies the plans of one project once this run may write to it: lists the job's issues
/// there once, creates the missing ones, closes duplicates and does the follow-ups. Creates of
/// different keys, and the follow-ups of different issues, go out together (the tracker
/// bounds how many requests are in flight); each key's own steps keep their order.
///
/// While this run `holds` the project's lock no other run creates there, so each new
/// issue's follow-ups start as soon as it is created (its comments keep pace with the
/// creates under a write budget); without the lock they wait until the run has looked for
/// duplicates a concurrent run may have made, so that they go to the issue that is kept.
async fn apply_locked<T: IssueTracker>(
    tracker: &T,
    project: &str,
    report: &mut JobReport,
    options: &ApplyOptions,
    holds: bool,
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
    let listed = Listed::new(&existing);
    // A marker that does not read is not trusted, but a person should hear of it.
    report.warnings.extend(existing.iter().filter_map(|issue| {
        marker_problem(&issue.description).map(|why| format!("{project}#{}: {why}", issue.iid))
    }));
    // The issue that stands for each plan: (plan, iid, whether this run created it).
    let mut standing: Vec<(usize, u64, bool)> = Vec::new();
    // Plans to create, the first plan of each key only; a later plan of the same key
    // follows the first one's issue.
    let mut to_create: Vec<usize> = Vec::new();
    let mut same_key_as: Vec<(usize, usize)> = Vec::new();
    let mut first_of_key: HashMap<String, usize> = HashMap::new();
    for i in 0..report.issues.len() {
        // A job plans `exists` and `update` only for issues it has seen.
        let known_to_exist = matches!(report.issues[i].action, Action::Exists | Action::Update);
        // Duplicates left by a run that was interrupted before it could close its own.
        let open = listed.open_with_key(&report.issues[i].key);
        if open.len() > 1 && !options.dry_run {
            close_newer(tracker, report, i, &open, &open[1..]).await;
        }
        if let Some(found) = listed.find(&report.issues[i]) {
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
        match first_of_key.get(&report.issues[i].key) {
            Some(&first) => same_key_as.push((i, first)),
            None => {
                first_of_key.insert(report.issues[i].key.clone(), i);
                to_create.push(i);
            }
        }
    }

    // Everyone the creates assign, looked up together (the tracker may do it in one
    // request) rather than one by one as each create needs them; a lookup that fails here is
    // tried again by the create that needs it.
    let mut assignees: Vec<String> = Vec::new();
    for &i in &to_create {
        for name in &report.issues[i].assignees {
            if !assignees
                .iter()
                .any(|known| known.eq_ignore_ascii_case(name))
            {
                assignees.push(name.clone());
            }
        }
    }
    if !assignees.is_empty() {
        let _ = tracker.users(&assignees).await;
    }
    let width = options.concurrency.max(1) * 2;
    let listed = &listed;
    // Each plan moves into its create and back: one copy of every description at a time.
    let taken: Vec<(usize, IssuePlan)> = to_create
        .iter()
        .map(|&i| (i, take_plan(&mut report.issues[i])))
        .collect();
    let made: Vec<(usize, CreateOutcome)> = stream::iter(taken)
        .map(|(i, mut plan)| async move {
            let made = match create_once(tracker, &plan, options).await {
                Ok(made) => made,
                Err(message) => return (i, Err((plan, message))),
            };
            let iid = made.issue.iid;
            let (warnings, errors) = take_created(&mut plan, made, project, options);
            let mut created = Created {
                iid,
                plan,
                warnings,
                errors,
                followed: None,
            };
            if holds {
                let followed = follow_up(
                    tracker,
                    project,
                    iid,
                    true,
                    listed,
                    options.dry_run,
                    created.plan,
                )
                .await;
                created.plan = followed.0;
                created.warnings.extend(followed.1);
                created.followed = Some(followed.2);
            }
            (i, Ok(created))
        })
        .buffer_unordered(width)
        .collect()
        .await;
    let mut created = Vec::new();
    let mut followed = Vec::new();
    for (i, outcome) in made {
        match outcome {
            Ok(done) => {
                created.push((i, done.iid));
                report.issues[i] = done.plan;
                report.warnings.extend(done.warnings);
                report.errors.extend(done.errors);
                match done.followed {
                    Some(failure) => {
                        followed.push(i);
                        if let Some(message) = failure {
                            follow_up_failed(report, i, message);
                        }
                    }
                    None => standing.push((i, done.iid, true)),
                }
            }
            Err((plan, message)) => {
                report.issues[i] = plan;
                fail(report, i, message);
            }
        }
    }
    for (i, first) in same_key_as {
        match created.iter().find(|&&(c, _)| c == first) {
            Some(&(_, iid)) => {
                let url = report.issues[first].web_url.clone();
                let plan = &mut report.issues[i];
                plan.action = Action::Exists;
                plan.web_url = url;
                standing.push((i, iid, false));
            }
            None => fail(
                report,
                i,
                "the plan of the same key before it was not created".to_owned(),
            ),
        }
    }
    if !created.is_empty() {
        // Where a concurrent run's older issue now stands for a plan, the follow-ups go there.
        for (i, kept) in close_own_duplicates(tracker, report, &created, project, options).await {
            for entry in standing.iter_mut().filter(|entry| entry.0 == i) {
                *entry = (i, kept, false);
            }
            if followed.contains(&i) {
                // Done on the duplicate already: the kept issue gets what it lacks.
                standing.push((i, kept, false));
            }
        }
    }

    // Each plan's follow-ups run in order, and so do those of plans that stand on the same
    // issue (so that no comment is posted twice on it); different issues' run together.
    let mut by_issue: Vec<(u64, Vec<Waiting>)> = Vec::new();
    let mut group_of: HashMap<u64, usize> = HashMap::new();
    let mut moved: HashMap<usize, (usize, usize)> = HashMap::new();
    for (i, iid, fresh) in standing {
        let group = *group_of.entry(iid).or_insert_with(|| {
            by_issue.push((iid, Vec::new()));
            by_issue.len() - 1
        });
        // A plan stands on one issue; were it listed twice, the second gets a copy.
        let plan = match moved.get(&i) {
            Some(&(g, k)) => by_issue[g].1[k].2.clone(),
            None => take_plan(&mut report.issues[i]),
        };
        moved.insert(i, (group, by_issue[group].1.len()));
        by_issue[group].1.push((i, fresh, plan));
    }
    let done: Vec<Vec<(usize, FollowedUp)>> = stream::iter(by_issue)
        .map(|(iid, plans)| async move {
            let mut done = Vec::with_capacity(plans.len());
            for (i, fresh, plan) in plans {
                done.push((
                    i,
                    follow_up(tracker, project, iid, fresh, listed, options.dry_run, plan).await,
                ));
            }
            done
        })
        .buffer_unordered(width)
        .collect()
        .await;
    for (i, (plan, warnings, failure)) in done.into_iter().flatten() {
        report.issues[i] = plan;
        report.warnings.extend(warnings);
        if let Some(message) = failure {
            follow_up_failed(report, i, message);
        }
    }
}

/// A plan whose follow-ups wait: its position, whether this run created its issue, the plan.
type Waiting = (usize, bool, IssuePlan);

/// What a create gave: the issue, or the plan back with why it was not created.
type CreateOutcome = Result<Created, (IssuePlan, String)>;

/// What following up a plan came to: the plan with what was done, warnings, and why a
/// follow-up failed.
type FollowedUp = (IssuePlan, Vec<String>, Option<String>);

/// An issue this run created, and what came of it.
struct Created {
    iid: u64,
    /// The plan, with its address and, when its follow-ups were done, what they did.
    plan: IssuePlan,
    warnings: Vec<String>,
    errors: Vec<String>,
    /// Whether its follow-ups were done right after it was created, and why not all of
    /// them when one failed; `None` when they wait.
    followed: Option<Option<String>>,
}

/// Does the follow-ups of `plan` on issue `iid` (and an update's edit after them): the plan
/// with what was done, warnings, and why a follow-up failed.
async fn follow_up<T: IssueTracker>(
    tracker: &T,
    project: &str,
    iid: u64,
    fresh: bool,
    listed: &Listed<'_>,
    dry_run: bool,
    mut plan: IssuePlan,
) -> FollowedUp {
    let follow = FollowUpRun {
        tracker,
        project,
        iid,
        fresh,
        listed,
        dry_run,
    };
    let mut warnings = Vec::new();
    // An update's notes go first: if the edit then fails, a re-run still sees the old issue,
    // edits it and finds the notes posted.
    let mut outcome = follow.run(&mut plan).await;
    if outcome.is_ok() && plan.action == Action::Update {
        outcome = follow
            .update(&mut plan)
            .await
            .map(|more| warnings.extend(more));
    }
    (plan, warnings, outcome.err())
}

/// Records that the follow-ups of plan `i` stopped at one that failed.
fn follow_up_failed(report: &mut JobReport, i: usize, message: String) {
    let plan = &mut report.issues[i];
    report.errors.push(format!(
        "{}: the issue exists, but {message}; re-run to finish",
        plan.key
    ));
    plan.error = Some(message);
}

/// Records on the plan what creating its issue came to: its address, and a comment on the
/// issue for whatever GitLab left out. Returns the warnings and errors to report.
fn take_created(
    plan: &mut IssuePlan,
    made: Made,
    project: &str,
    options: &ApplyOptions,
) -> (Vec<String>, Vec<String>) {
    let (mut warnings, mut errors) = (Vec::new(), Vec::new());
    plan.web_url = Some(made.issue.web_url.clone());
    if let Some(left_out) = made.left_out.filter(|l| !l.is_empty()) {
        // Say so on the issue too, where the people it concerns will see it.
        let asked = asked_on_create(plan, &made.labels);
        let note = FollowUp::Note {
            id: left_out.note_id(),
            body: left_out.note(project, &asked),
        };
        warnings.extend(left_out.warnings(&plan.key, project));
        plan.follow_ups.push(note);
        if !made
            .issue
            .labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&options.kind_label))
        {
            // Without its kind label the next run cannot find it, and would create it
            // again.
            errors.push(format!(
                "{}: #{} was created without the label {}, by which teamcadence finds its \
                 issues, so the next run would create it again; add the label to #{} by hand \
                 and give the token the Planner or Reporter role",
                plan.key, made.issue.iid, options.kind_label, made.issue.iid
            ));
        }
    }
    warnings.extend(made.warnings);
    (warnings, errors)
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
    listed: &'a Listed<'a>,
    dry_run: bool,
}

impl<T: IssueTracker> FollowUpRun<'_, T> {
    /// What the issue list says of the comment `id`, without reading the comments: none of
    /// ours is there when the issue has no comments at all (or was created just now); it is
    /// there when the run that created the issue claimed it in the issue's hidden record (it
    /// posts those right after creating) and the issue has at least as many comments as were
    /// claimed.
    fn known_notes(&self, id: &str) -> Known {
        if self.fresh {
            return Known::NoneYet;
        }
        let Some(issue) = self.listed.issue(self.iid) else {
            return Known::Unknown;
        };
        match issue.user_notes_count {
            Some(0) => Known::NoneYet,
            _ if posted_as_claimed(issue, id) => Known::Posted,
            _ => Known::Unknown,
        }
    }

    /// Makes the issue what the plan says: title, description, due date and assignees.
    /// Returns warnings about what GitLab left out.
    async fn update(&self, plan: &mut IssuePlan) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        if !self.dry_run {
            let edit = IssueEdit {
                title: Some(plan.title.clone()),
                description: Some(stored_description(
                    plan,
                    &self
                        .listed
                        .issue(self.iid)
                        .map(|issue| claimed_notes(&issue.description))
                        .unwrap_or_default(),
                )),
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
                    let Some(target) = self.listed.oldest_with_key(&key) else {
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
                    let Some(target) = self.listed.oldest_with_key(&key) else {
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
                        notes = match self.known_notes(&id) {
                            Known::Posted => continue,
                            Known::NoneYet => Some(Vec::new()),
                            Known::Unknown => Some(
                                self.tracker
                                    .list_notes(self.project, self.iid)
                                    .await
                                    .map_err(|e| format!("reading its comments failed: {e}"))?,
                            ),
                        };
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
                            .listed
                            .issue(self.iid)
                            .is_some_and(|i| i.state == IssueState::Opened);
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

fn fail(report: &mut JobReport, index: usize, message: String) {
    let plan = &mut report.issues[index];
    report
        .errors
        .push(format!("{}: {message}; not created", plan.key));
    plan.error = Some(message);
}

/// Moves `plan` out, leaving an empty one in its place until it is put back.
fn take_plan(plan: &mut IssuePlan) -> IssuePlan {
    let empty = IssuePlan::bare(
        String::new(),
        Action::Exists,
        String::new(),
        String::new(),
        String::new(),
    );
    std::mem::replace(plan, empty)
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
        description: stored_description(plan, &notes_posted_on_create(plan)),
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
                        if let Some(found) = Listed::new(&existing).find(plan) {
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

/// What a plan's issue holds as its description: the description, the claim of the
/// comments `claims` its creating run posts (see [`claimed_notes`]), the plan's hidden record
/// and the key's marker, in that order, so that a job's record stays right above the marker.
fn stored_description(plan: &IssuePlan, claims: &[String]) -> String {
    let mut text = plan.description.trim_end().to_owned();
    if !claims.is_empty() {
        let claim = record::marker(CLAIM_RECORD, &claims.join(&CLAIM_SEPARATOR.to_string()));
        text = format!("{text}\n\n{claim}");
    }
    if let Some(record) = &plan.record {
        text = format!("{text}\n\n{record}");
    }
    with_marker(&text, &plan.key)
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
        && issue.description.trim_end()
            == stored_description(plan, &claimed_notes(&issue.description)).trim_end()
        && plan.due_date.is_none_or(|due| issue.due_date == Some(due))
        && sorted(&issue.assignees) == sorted(&plan.assignees)
}

/// Drops from `plan` the comments its existing issue, as a listing shows it, is known to
/// carry already (see [`claimed_notes`]), so that a run whose issues are all in place has
/// nothing to read or write.
pub fn drop_posted_notes(plan: &mut IssuePlan, issue: &TrackedIssue) {
    plan.follow_ups.retain(|follow_up| match follow_up {
        FollowUp::Note { id, .. } => !posted_as_claimed(issue, id),
        _ => true,
    });
}

/// Whether the comment `id` is on `issue` by its claim: the run that created the issue
/// claimed it (and posts it right after creating), and the issue has at least as many
/// comments as were claimed. Only a comment posted in between by someone else, while the
/// creating run failed to post its own, could make this wrong.
fn posted_as_claimed(issue: &TrackedIssue, id: &str) -> bool {
    let claimed = claimed_notes(&issue.description);
    claimed.iter().any(|c| c == id)
        && issue
            .user_notes_count
            .is_some_and(|count| usize::try_from(count).is_ok_and(|n| n >= claimed.len()))
}

/// Whether a comment is known to be on an issue without reading its comments.
enum Known {
    /// It is there.
    Posted,
    /// None of ours is there.
    NoneYet,
    /// Only reading the comments tells.
    Unknown,
}

/// The comments a plan's create posts right after it: its note follow-ups.
fn notes_posted_on_create(plan: &IssuePlan) -> Vec<String> {
    plan.follow_ups
        .iter()
        .filter_map(|follow_up| match follow_up {
            FollowUp::Note { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// The comments the run that created an issue claimed in its description, the comments it
/// posts right after creating it; empty when it claimed none. The claim is one of the two
/// lines above the key's marker.
fn claimed_notes(description: &str) -> Vec<String> {
    record::lines_from_end(description)
        .skip(1)
        .take(2)
        .find_map(|line| record::read_marker(line, CLAIM_RECORD).ok().flatten())
        .map(|names| {
            names
                .split(CLAIM_SEPARATOR)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The description with the key's marker at its end.
pub fn with_marker(description: &str, key: &str) -> String {
    format!("{}\n\n{}\n", description.trim_end(), marker(key))
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
    // Only the keys count here: the descriptions of every issue just created stay unread.
    let query = IssueQuery {
        labels: vec![options.kind_label.clone()],
        state: Some(IssueState::Opened),
        last_line_only: true,
        ..IssueQuery::default()
    };
    let open = match tracker.list_issues(project, &query).await {
        Ok(open) => open,
        Err(e) => {
            report.warnings.push(format!(
                "{project}: could not check for duplicates made by a concurrent run ({e}); the next run checks again"
            ));
            return Vec::new();
        }
    };
    let listed = Listed::new(&open);
    let mut kept = Vec::new();
    for &(i, iid) in created {
        let same_key = listed.open_with_key(&report.issues[i].key);
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
