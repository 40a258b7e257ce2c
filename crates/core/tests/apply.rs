//! Exactly-once application of issue plans, against an in-memory tracker that can lose
//! answers, fail listings and interleave two runs. (The same guarantees are tested end to
//! end against the fake GitLab server in the workspace's `tests/`.)

use std::cell::{Cell, RefCell};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use teamcadence_core::apply::{ApplyOptions, apply, key_in, marker, note_id_in};
use teamcadence_core::plan::{Action, FollowUp, IssuePlan, JobReport};
use teamcadence_core::run_lock::LockSettings;
use teamcadence_core::tracker::{
    CreatedIssue, IssueEdit, IssueQuery, IssueState, IssueTracker, LinkType, LinkedIssue,
    MilestoneScope, NewIssue, TrackedIssue, TrackedIteration, TrackedLabel, TrackedMilestone,
    TrackedNote, TrackedUser, TrackerError, UserStatus,
};

/// An issue tracker in memory, with knobs for the failures a real network has.
#[derive(Default)]
struct Memory {
    issues: RefCell<Vec<TrackedIssue>>,
    notes: RefCell<Vec<(u64, String)>>,
    /// Links as (from iid, to iid), within one project.
    links: RefCell<Vec<(u64, u64)>>,
    /// Comments that fail before they are stored.
    failing_notes: Cell<u32>,
    writes: Cell<u32>,
    clock: Cell<i64>,
    /// Creates that store the issue but lose the answer.
    lose_answers: Cell<u32>,
    /// Creates that fail with a lost answer without storing anything.
    fail_before_storing: Cell<u32>,
    /// Listings that fail.
    failing_lists: Cell<u32>,
    /// Yield to other tasks inside each call, so two runs interleave.
    interleave: bool,
    lists: Cell<u32>,
    creates: Cell<u32>,
    /// Project labels as (project, label): the run locks.
    labels: RefCell<Vec<(String, TrackedLabel)>>,
    /// Label ids given so far.
    label_ids: Cell<u64>,
    /// Refuse to create labels (403), as for a token that may not manage them.
    refuse_labels: bool,
    /// Label creates that store the label but lose the answer.
    lose_label_answers: Cell<u32>,
    /// Time spent in `sleep`, in milliseconds.
    slept_ms: Cell<i64>,
}

impl Memory {
    fn now(&self) -> DateTime<Utc> {
        self.clock.set(self.clock.get() + 1);
        Utc.timestamp_opt(1_790_000_000 + self.clock.get(), 0)
            .unwrap()
    }

    /// The labels of `project` now, by name.
    fn label_names(&self, project: &str) -> Vec<String> {
        self.labels
            .borrow()
            .iter()
            .filter(|(p, _)| p == project)
            .map(|(_, l)| l.name.clone())
            .collect()
    }

    async fn pause(&self) {
        if self.interleave {
            tokio::task::yield_now().await;
        }
    }

    fn open_with_key(&self, key: &str) -> Vec<TrackedIssue> {
        self.issues
            .borrow()
            .iter()
            .filter(|i| {
                i.state == IssueState::Opened && key_in(&i.description).as_deref() == Some(key)
            })
            .cloned()
            .collect()
    }
}

impl IssueTracker for Memory {
    async fn list_issues(
        &self,
        project: &str,
        query: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        self.pause().await;
        self.lists.set(self.lists.get() + 1);
        if self.failing_lists.get() > 0 {
            self.failing_lists.set(self.failing_lists.get() - 1);
            return Err(TrackerError::Unavailable(
                "GitLab answered 503 five times".into(),
            ));
        }
        Ok(self
            .issues
            .borrow()
            .iter()
            .filter(|i| i.project == project)
            .filter(|i| query.labels.iter().all(|l| i.labels.contains(l)))
            .filter(|i| query.state.is_none_or(|s| s == i.state))
            .cloned()
            .collect())
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<CreatedIssue, TrackerError> {
        self.pause().await;
        self.creates.set(self.creates.get() + 1);
        if self.fail_before_storing.get() > 0 {
            self.fail_before_storing
                .set(self.fail_before_storing.get() - 1);
            return Err(TrackerError::Uncertain("connection reset".into()));
        }
        let iid = self.issues.borrow().len() as u64 + 1;
        let stored = TrackedIssue {
            project: issue.project.clone(),
            iid,
            title: issue.title.clone(),
            description: issue.description.clone(),
            state: IssueState::Opened,
            labels: issue.labels.clone(),
            assignees: issue.assignees.clone(),
            milestone: issue.milestone.clone(),
            due_date: issue.due_date,
            confidential: issue.confidential,
            web_url: format!("https://gitlab.example/{}/-/issues/{iid}", issue.project),
            created_at: self.now(),
            closed_at: None,
            weight: None,
            user_notes_count: None,
            merge_requests_count: None,
        };
        self.issues.borrow_mut().push(stored.clone());
        self.pause().await;
        if self.lose_answers.get() > 0 {
            self.lose_answers.set(self.lose_answers.get() - 1);
            return Err(TrackerError::Uncertain(
                "502 Bad Gateway after sending".into(),
            ));
        }
        Ok(CreatedIssue {
            issue: stored,
            unknown_assignees: Vec::new(),
            unknown_milestone: None,
        })
    }

    async fn edit_issue(
        &self,
        project: &str,
        iid: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        self.pause().await;
        let mut issues = self.issues.borrow_mut();
        let issue = issues
            .iter_mut()
            .find(|i| i.project == project && i.iid == iid)
            .ok_or_else(|| TrackerError::NotFound(format!("#{iid}")))?;
        if let Some(state) = edit.state {
            self.writes.set(self.writes.get() + 1);
            issue.state = state;
        }
        if edit.title.is_some() || edit.description.is_some() || edit.assignees.is_some() {
            self.writes.set(self.writes.get() + 1);
        }
        if let Some(title) = &edit.title {
            issue.title = title.clone();
        }
        if let Some(description) = &edit.description {
            issue.description = description.clone();
        }
        if let Some(due) = edit.due_date {
            issue.due_date = Some(due);
        }
        if let Some(assignees) = &edit.assignees {
            issue.assignees = assignees.clone();
        }
        Ok(issue.clone())
    }

    async fn add_note(&self, _project: &str, iid: u64, body: &str) -> Result<(), TrackerError> {
        if self.failing_notes.get() > 0 {
            self.failing_notes.set(self.failing_notes.get() - 1);
            return Err(TrackerError::Unavailable("GitLab answered 500".into()));
        }
        self.writes.set(self.writes.get() + 1);
        self.notes.borrow_mut().push((iid, body.to_owned()));
        Ok(())
    }

    async fn list_group_issues(
        &self,
        _: &str,
        _: &IssueQuery,
    ) -> Result<Vec<TrackedIssue>, TrackerError> {
        unimplemented!("not used by apply")
    }

    async fn list_notes(&self, _: &str, iid: u64) -> Result<Vec<TrackedNote>, TrackerError> {
        Ok(self
            .notes
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, (on, _))| *on == iid)
            .map(|(id, (_, body))| TrackedNote {
                id: id as u64,
                body: body.clone(),
                author: "teamcadence-bot".to_owned(),
                system: false,
                created_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
            })
            .collect())
    }

    async fn list_links(&self, project: &str, iid: u64) -> Result<Vec<LinkedIssue>, TrackerError> {
        Ok(self
            .links
            .borrow()
            .iter()
            .filter_map(|&(a, b)| match (a == iid, b == iid) {
                (true, _) => Some(b),
                (_, true) => Some(a),
                _ => None,
            })
            .map(|other| LinkedIssue {
                project: project.to_owned(),
                iid: other,
            })
            .collect())
    }

    async fn link_issues(
        &self,
        _: &str,
        iid: u64,
        _: &str,
        target_iid: u64,
        _: LinkType,
    ) -> Result<(), TrackerError> {
        self.writes.set(self.writes.get() + 1);
        self.links.borrow_mut().push((iid, target_iid));
        Ok(())
    }

    async fn read_file(&self, _: &str, _: &str, _: Option<&str>) -> Result<String, TrackerError> {
        unimplemented!("not used by apply")
    }

    async fn list_milestones(
        &self,
        _: &MilestoneScope,
    ) -> Result<Vec<TrackedMilestone>, TrackerError> {
        unimplemented!("not used by apply")
    }

    async fn list_iterations(&self, _: &str) -> Result<Vec<TrackedIteration>, TrackerError> {
        unimplemented!("not used by apply")
    }

    async fn find_user(&self, username: &str) -> Result<Option<TrackedUser>, TrackerError> {
        // Apply looks up every assignee of its creates before creating; here all exist.
        Ok(Some(TrackedUser {
            id: 1,
            username: username.to_owned(),
            name: username.to_owned(),
        }))
    }

    async fn user_status(&self, _: &str) -> Result<Option<UserStatus>, TrackerError> {
        unimplemented!("not used by apply")
    }

    async fn create_label(
        &self,
        project: &str,
        name: &str,
        description: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError> {
        self.pause().await;
        if self.refuse_labels {
            return Err(TrackerError::Forbidden("403 Forbidden".into()));
        }
        let mut labels = self.labels.borrow_mut();
        if labels.iter().any(|(p, l)| p == project && l.name == name) {
            return Ok(None);
        }
        self.label_ids.set(self.label_ids.get() + 1);
        let label = TrackedLabel {
            id: self.label_ids.get(),
            name: name.to_owned(),
            description: description.to_owned(),
        };
        labels.push((project.to_owned(), label.clone()));
        if self.lose_label_answers.get() > 0 {
            self.lose_label_answers
                .set(self.lose_label_answers.get() - 1);
            return Err(TrackerError::Uncertain(
                "502 Bad Gateway after sending".into(),
            ));
        }
        Ok(Some(label))
    }

    async fn find_label(
        &self,
        project: &str,
        name: &str,
    ) -> Result<Option<TrackedLabel>, TrackerError> {
        self.pause().await;
        Ok(self
            .labels
            .borrow()
            .iter()
            .find(|(p, l)| p == project && l.name == name)
            .map(|(_, l)| l.clone()))
    }

    async fn delete_label(&self, project: &str, id: u64) -> Result<(), TrackerError> {
        self.pause().await;
        self.labels
            .borrow_mut()
            .retain(|(p, l)| !(p == project && l.id == id));
        Ok(())
    }

    fn current_time(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + self.clock.get(), 0)
            .unwrap()
            + TimeDelta::milliseconds(self.slept_ms.get())
    }

    async fn sleep(&self, duration: Duration) {
        let ms = i64::try_from(duration.as_millis()).unwrap();
        self.slept_ms.set(self.slept_ms.get() + ms);
        tokio::task::yield_now().await;
    }
}

fn plan(key: &str, project: &str) -> IssuePlan {
    IssuePlan {
        labels: vec!["Planning Issue".to_owned()],
        assignees: vec!["alice".to_owned()],
        milestone: Some("19.8".to_owned()),
        ..IssuePlan::bare(
            key.to_owned(),
            Action::Create,
            project.to_owned(),
            format!("Title of {key}"),
            format!("Body of {key}"),
        )
    }
}

fn report(plans: Vec<IssuePlan>) -> JobReport {
    JobReport {
        issues: plans,
        ..JobReport::default()
    }
}

fn options() -> ApplyOptions {
    ApplyOptions {
        kind_label: "teamcadence::planning".to_owned(),
        dry_run: false,
        create_attempts: 3,
        lock: LockSettings::default(),
        concurrency: 4,
    }
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[test]
fn markers_round_trip_and_the_last_one_wins() {
    let description = format!(
        "text {}\nmore\n{}",
        marker("a/b/1"),
        marker("planning/x/19.8")
    );
    assert_eq!(key_in(&description).as_deref(), Some("planning/x/19.8"));
    assert_eq!(key_in("no marker here"), None);
    assert_eq!(key_in("<!-- teamcadence:key=unterminated"), None);
}

#[test]
fn creates_once_then_reports_exists() {
    let tracker = Memory::default();
    let mut first = report(vec![
        plan("planning/a/19.8", "g/a"),
        plan("planning/b/19.8", "g/a"),
    ]);
    run(apply(&tracker, &mut first, &options()));
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(tracker.creates.get(), 2);
    // One listing before creating, one to look for concurrent duplicates after.
    assert_eq!(tracker.lists.get(), 2);
    let stored = tracker.issues.borrow().clone();
    assert_eq!(
        key_in(&stored[0].description).as_deref(),
        Some("planning/a/19.8")
    );
    assert!(
        stored[0]
            .description
            .starts_with("Body of planning/a/19.8\n\n<!-- teamcadence:key=")
    );
    assert_eq!(
        stored[0].labels,
        ["Planning Issue", "teamcadence::planning"]
    );
    assert_eq!(
        first.issues[0].web_url.as_deref(),
        Some(stored[0].web_url.as_str())
    );
    assert_eq!(first.issues[0].action, Action::Create);

    let mut second = report(vec![
        plan("planning/a/19.8", "g/a"),
        plan("planning/b/19.8", "g/a"),
    ]);
    run(apply(&tracker, &mut second, &options()));
    assert_eq!(tracker.creates.get(), 2, "a re-run creates nothing");
    assert_eq!(
        tracker.lists.get(),
        3,
        "a re-run lists once and sweeps nothing"
    );
    assert!(second.issues.iter().all(|p| p.action == Action::Exists));
    assert_eq!(second.issues[1].web_url, first.issues[1].web_url);
}

#[test]
fn a_lost_answer_is_checked_by_key_before_any_retry() {
    let tracker = Memory {
        lose_answers: Cell::new(1),
        ..Memory::default()
    };
    let mut plans = report(vec![plan("pto/bob/2026-12-21", "g/pto")]);
    run(apply(&tracker, &mut plans, &options()));
    assert!(plans.errors.is_empty(), "{:?}", plans.errors);
    assert_eq!(
        tracker.creates.get(),
        1,
        "the stored issue was found, not created again"
    );
    assert_eq!(tracker.issues.borrow().len(), 1);
    assert!(plans.issues[0].web_url.is_some());
}

#[test]
fn a_create_that_never_arrived_is_tried_again() {
    let tracker = Memory {
        fail_before_storing: Cell::new(2),
        ..Memory::default()
    };
    let mut plans = report(vec![plan("pto/bob/2026-12-21", "g/pto")]);
    run(apply(&tracker, &mut plans, &options()));
    assert!(plans.errors.is_empty(), "{:?}", plans.errors);
    assert_eq!(tracker.creates.get(), 3);
    assert_eq!(tracker.issues.borrow().len(), 1);

    // With every attempt lost before storing, the plan fails and says so.
    let tracker = Memory {
        fail_before_storing: Cell::new(3),
        ..Memory::default()
    };
    let mut plans = report(vec![plan("pto/bob/2026-12-21", "g/pto")]);
    run(apply(&tracker, &mut plans, &options()));
    assert_eq!(
        plans.errors,
        ["pto/bob/2026-12-21: connection reset (tried 3 times); not created"]
    );
    assert!(tracker.issues.borrow().is_empty());
}

#[test]
fn an_issue_whose_marker_was_removed_is_recognised_by_title() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("onboarding/dave", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    tracker.issues.borrow_mut()[0].description = "Edited by a person; marker gone".to_owned();
    let mut again = report(vec![plan("onboarding/dave", "g/a")]);
    run(apply(&tracker, &mut again, &options()));
    assert_eq!(again.issues[0].action, Action::Exists);
    assert_eq!(tracker.creates.get(), 1);
}

#[test]
fn a_closed_issue_is_not_created_again() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("onboarding/dave", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    tracker.issues.borrow_mut()[0].state = IssueState::Closed;
    let mut again = report(vec![plan("onboarding/dave", "g/a")]);
    run(apply(&tracker, &mut again, &options()));
    assert_eq!(again.issues[0].action, Action::Exists);
    assert_eq!(tracker.creates.get(), 1);
}

#[test]
fn two_runs_at_the_same_time_leave_one_open_issue() {
    // Without the run lock (the token may not create labels), the check after creating
    // closes the newer duplicate.
    let tracker = Memory {
        interleave: true,
        refuse_labels: true,
        ..Memory::default()
    };
    let mut a = report(vec![plan("planning/a/19.8", "g/a")]);
    let mut b = report(vec![plan("planning/a/19.8", "g/a")]);
    let both = options();
    run(async {
        tokio::join!(
            apply(&tracker, &mut a, &both),
            apply(&tracker, &mut b, &both)
        )
    });
    assert_eq!(
        tracker.creates.get(),
        2,
        "both runs saw no issue and created one"
    );
    let open = tracker.open_with_key("planning/a/19.8");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].iid, 1, "the older issue stays open");
    let notes = tracker.notes.borrow();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].0, 2);
    assert!(
        notes[0]
            .1
            .contains("duplicates #1 (https://gitlab.example/g/a/-/issues/1)")
    );
    assert_eq!(
        a.issues[0].web_url, b.issues[0].web_url,
        "both point at the one kept"
    );
}

#[test]
fn a_duplicate_left_by_an_interrupted_run_is_closed_by_the_next() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    // A concurrent run created the same key and died before looking again.
    let mut leftover = tracker.issues.borrow()[0].clone();
    leftover.iid = 2;
    leftover.created_at = tracker.now();
    tracker.issues.borrow_mut().push(leftover);

    let mut next = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut next, &options()));
    assert_eq!(next.issues[0].action, Action::Exists);
    assert_eq!(next.issues[0].web_url, first.issues[0].web_url);
    assert_eq!(tracker.open_with_key("planning/a/19.8").len(), 1);
    assert_eq!(tracker.issues.borrow()[1].state, IssueState::Closed);
    assert_eq!(tracker.creates.get(), 1);
}

#[test]
fn a_failed_listing_fails_that_project_only_and_a_rerun_finishes() {
    let tracker = Memory {
        failing_lists: Cell::new(1),
        ..Memory::default()
    };
    let mut plans = report(vec![
        plan("planning/a/19.8", "g/a"),
        plan("planning/b/19.8", "g/b"),
    ]);
    run(apply(&tracker, &mut plans, &options()));
    assert_eq!(
        plans.errors,
        [
            "planning/a/19.8: could not read the existing issues of g/a: GitLab answered 503 five times; not created"
        ]
    );
    assert!(plans.issues[0].error.is_some());
    assert!(
        plans.issues[1].web_url.is_some(),
        "the other project went on"
    );

    let mut rerun = report(vec![
        plan("planning/a/19.8", "g/a"),
        plan("planning/b/19.8", "g/b"),
    ]);
    run(apply(&tracker, &mut rerun, &options()));
    assert!(rerun.errors.is_empty());
    assert_eq!(rerun.issues[0].action, Action::Create);
    assert_eq!(rerun.issues[1].action, Action::Exists);
    assert_eq!(tracker.issues.borrow().len(), 2);
}

#[test]
fn dry_run_reads_but_writes_nothing() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    let dry = ApplyOptions {
        dry_run: true,
        ..options()
    };
    let mut plans = report(vec![
        plan("planning/a/19.8", "g/a"),
        plan("planning/b/19.8", "g/a"),
    ]);
    run(apply(&tracker, &mut plans, &dry));
    assert_eq!(plans.issues[0].action, Action::Exists);
    assert_eq!(plans.issues[1].action, Action::Create);
    assert_eq!(plans.issues[1].web_url, None);
    assert_eq!(tracker.creates.get(), 1);
}

#[test]
fn skipped_plans_are_not_looked_up() {
    let tracker = Memory::default();
    let mut skipped = plan("planning/a/19.9", "g/a");
    skipped.action = Action::Skip("not due until 2027-01-04".to_owned());
    let mut plans = report(vec![skipped]);
    run(apply(&tracker, &mut plans, &options()));
    assert_eq!(tracker.lists.get(), 0);
    assert_eq!(tracker.creates.get(), 0);
}

/// A plan for 19.8 that links to, closes and comments around the 19.7 issue.
fn with_follow_ups(key: &str, previous: &str) -> IssuePlan {
    IssuePlan {
        follow_ups: vec![
            FollowUp::LinkTo {
                key: previous.to_owned(),
            },
            FollowUp::Close {
                key: previous.to_owned(),
                note: "Closed: planning moved on.".to_owned(),
            },
            FollowUp::Note {
                id: "thread:backend".to_owned(),
                body: "**Backend**".to_owned(),
            },
            FollowUp::Note {
                id: "thread:frontend".to_owned(),
                body: "**Frontend**".to_owned(),
            },
        ],
        ..plan(key, "g/a")
    }
}

#[test]
fn follow_ups_are_done_once_however_often_a_run_repeats() {
    let tracker = Memory::default();
    run(apply(
        &tracker,
        &mut report(vec![plan("planning/a/19.7", "g/a")]),
        &options(),
    ));
    let mut first = report(vec![with_follow_ups("planning/a/19.8", "planning/a/19.7")]);
    run(apply(&tracker, &mut first, &options()));
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        first.issues[0].done,
        [
            "link to #1 (planning/a/19.7)",
            "close #1 (planning/a/19.7)",
            "post the note \"thread:backend\"",
            "post the note \"thread:frontend\""
        ]
    );
    assert_eq!(*tracker.links.borrow(), [(2, 1)]);
    assert_eq!(tracker.issues.borrow()[0].state, IssueState::Closed);
    let notes = tracker.notes.borrow().clone();
    let on = |iid: u64| -> Vec<Option<String>> {
        notes
            .iter()
            .filter(|(on, _)| *on == iid)
            .map(|(_, body)| note_id_in(body))
            .collect()
    };
    assert_eq!(on(1), [Some("closed-by:planning/a/19.8".to_owned())]);
    assert_eq!(
        on(2),
        [
            Some("thread:backend".to_owned()),
            Some("thread:frontend".to_owned())
        ]
    );
    assert!(
        notes[1]
            .1
            .starts_with("**Backend**\n\n<!-- teamcadence:note=")
    );

    let writes = tracker.writes.get();
    let mut again = report(vec![with_follow_ups("planning/a/19.8", "planning/a/19.7")]);
    run(apply(&tracker, &mut again, &options()));
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(tracker.writes.get(), writes, "a re-run writes nothing");
    assert_eq!(again.issues[0].action, Action::Exists);
    assert_eq!(again.issues[0].done, ["linked to #1 (planning/a/19.7)"]);
}

#[test]
fn an_interrupted_follow_up_is_finished_by_the_next_run() {
    let tracker = Memory::default();
    tracker.failing_notes.set(1);
    let mut first = report(vec![with_follow_ups("planning/a/19.8", "planning/a/19.7")]);
    run(apply(&tracker, &mut first, &options()));
    assert_eq!(
        first.issues[0].done,
        ["no issue planning/a/19.7 to link to"]
    );
    let error = first.issues[0]
        .error
        .as_deref()
        .expect("the failed comment is reported");
    assert!(error.contains("commenting on #1 failed"), "{error}");
    assert_eq!(
        first.errors,
        [format!(
            "planning/a/19.8: the issue exists, but {error}; re-run to finish"
        )]
    );
    assert!(tracker.notes.borrow().is_empty());

    let mut second = report(vec![with_follow_ups("planning/a/19.8", "planning/a/19.7")]);
    run(apply(&tracker, &mut second, &options()));
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(tracker.creates.get(), 1);
    let ids: Vec<String> = tracker
        .notes
        .borrow()
        .iter()
        .filter_map(|(_, body)| note_id_in(body))
        .collect();
    assert_eq!(ids, ["thread:backend", "thread:frontend"]);
}

#[test]
fn a_dry_run_says_which_follow_ups_it_would_do() {
    let tracker = Memory::default();
    run(apply(
        &tracker,
        &mut report(vec![plan("planning/a/19.7", "g/a")]),
        &options(),
    ));
    let writes = tracker.writes.get();
    let mut dry = report(vec![with_follow_ups("planning/a/19.8", "planning/a/19.7")]);
    let options = ApplyOptions {
        dry_run: true,
        ..options()
    };
    run(apply(&tracker, &mut dry, &options));
    assert_eq!(tracker.creates.get(), 1);
    assert_eq!(tracker.writes.get(), writes);
    assert_eq!(
        dry.issues[0].done,
        [
            "would link to planning/a/19.7",
            "would close planning/a/19.7",
            "would post the note \"thread:backend\"",
            "would post the note \"thread:frontend\""
        ]
    );
}

/// Two runs at once, each planning the same issue with a note, interleaved on `tracker`.
fn two_runs_at_once_with_a_note(tracker: &Memory) -> (JobReport, JobReport) {
    let note = || IssuePlan {
        follow_ups: vec![FollowUp::Note {
            id: "thread:backend".to_owned(),
            body: "**Backend**".to_owned(),
        }],
        ..plan("planning/a/19.8", "g/a")
    };
    let mut a = report(vec![note()]);
    let mut b = report(vec![note()]);
    let both = options();
    run(async { tokio::join!(apply(tracker, &mut a, &both), apply(tracker, &mut b, &both)) });
    (a, b)
}

#[test]
fn the_follow_ups_of_a_run_whose_duplicate_was_closed_go_to_the_kept_issue() {
    let tracker = Memory {
        interleave: true,
        refuse_labels: true,
        ..Memory::default()
    };
    let (a, b) = two_runs_at_once_with_a_note(&tracker);
    assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
    let notes = tracker.notes.borrow();
    let threads: Vec<u64> = notes
        .iter()
        .filter(|(_, body)| note_id_in(body).as_deref() == Some("thread:backend"))
        .map(|(iid, _)| *iid)
        .collect();
    assert!(!threads.is_empty(), "{notes:?}");
    assert!(
        threads.iter().all(|&iid| iid == 1),
        "threads only on the kept issue #1: {notes:?}"
    );
}

/// A plan for follow-ups on an issue a job found existing, as a reminder is.
fn reminder_on(key: &str) -> IssuePlan {
    IssuePlan {
        action: Action::Exists,
        follow_ups: vec![FollowUp::Note {
            id: "overdue:2026-12-01".to_owned(),
            body: "This onboarding issue was due on 2026-12-01 and is still open.".to_owned(),
        }],
        ..plan(key, "g/a")
    }
}

#[test]
fn follow_ups_on_an_existing_issue_are_done_once_and_never_create_it() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("onboarding/dave", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    let iid = tracker.issues.borrow()[0].iid;

    for _ in 0..2 {
        let mut remind = report(vec![reminder_on("onboarding/dave")]);
        run(apply(&tracker, &mut remind, &options()));
        assert!(remind.errors.is_empty(), "{:?}", remind.errors);
        assert_eq!(remind.issues[0].action, Action::Exists);
    }
    let notes = tracker.notes.borrow().clone();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].0, iid);
    assert!(
        notes[0]
            .1
            .starts_with("This onboarding issue was due on 2026-12-01")
    );

    // Closed since the job looked, or gone: nothing is posted and nothing is created.
    tracker.issues.borrow_mut()[0].state = IssueState::Closed;
    let mut closed = report(vec![reminder_on("onboarding/dave")]);
    run(apply(&tracker, &mut closed, &options()));
    assert_eq!(
        closed.issues[0].done,
        ["onboarding/dave was closed: nothing changed"]
    );
    let mut gone = report(vec![reminder_on("onboarding/erin")]);
    run(apply(&tracker, &mut gone, &options()));
    assert_eq!(
        gone.issues[0].done,
        ["onboarding/erin is no longer in g/a: nothing changed"]
    );
    assert_eq!(tracker.creates.get(), 1);
    assert_eq!(tracker.notes.borrow().len(), 1);
}

#[test]
fn an_update_posts_its_note_then_edits_the_issue_and_a_rerun_adds_nothing() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("pto/hr-1", "g/a")]);
    run(apply(&tracker, &mut first, &options()));

    let moved = || IssuePlan {
        action: Action::Update,
        title: "Coverage for Bob from 2026-12-07 until 2026-12-18".to_owned(),
        description: "The new table".to_owned(),
        assignees: vec!["bob".to_owned(), "dan".to_owned()],
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7),
        follow_ups: vec![FollowUp::Note {
            id: "dates:2026-12-07..2026-12-18".to_owned(),
            body: "The time off changed.".to_owned(),
        }],
        ..plan("pto/hr-1", "g/a")
    };
    // A repeated run (a retried pipeline, or a run that waited for another's lock) with the
    // same plan finds the issue up to date: it neither edits again nor posts the note twice.
    for expected in [Action::Update, Action::Exists] {
        let writes = tracker.writes.get();
        let mut update = report(vec![moved()]);
        run(apply(&tracker, &mut update, &options()));
        assert!(update.errors.is_empty(), "{:?}", update.errors);
        assert_eq!(update.issues[0].action, expected);
        if expected == Action::Exists {
            assert_eq!(tracker.writes.get(), writes, "nothing written");
        }
    }
    let issues = tracker.issues.borrow();
    assert_eq!(issues.len(), 1, "never a second issue");
    assert_eq!(
        issues[0].title,
        "Coverage for Bob from 2026-12-07 until 2026-12-18"
    );
    assert_eq!(issues[0].assignees, ["bob", "dan"]);
    assert_eq!(
        key_in(&issues[0].description).as_deref(),
        Some("pto/hr-1"),
        "the key survives"
    );
    assert!(issues[0].description.starts_with("The new table"));
    let notes = tracker.notes.borrow();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].1.starts_with("The time off changed."));
}

#[test]
fn close_with_posts_once_and_closes_and_leaves_a_closed_issue_alone() {
    let tracker = Memory::default();
    let mut first = report(vec![plan("pto/hr-2", "g/a")]);
    run(apply(&tracker, &mut first, &options()));
    let cancel = || IssuePlan {
        action: Action::Exists,
        follow_ups: vec![FollowUp::CloseWith {
            id: "cancelled".to_owned(),
            body: "The time off was cancelled.".to_owned(),
        }],
        ..plan("pto/hr-2", "g/a")
    };
    // The comment fails once: nothing is closed without its reason, and a re-run finishes.
    tracker.failing_notes.set(1);
    let mut failed = report(vec![cancel()]);
    run(apply(&tracker, &mut failed, &options()));
    assert_eq!(failed.errors.len(), 1, "{:?}", failed.errors);
    assert_eq!(tracker.issues.borrow()[0].state, IssueState::Opened);
    for _ in 0..2 {
        let mut again = report(vec![cancel()]);
        run(apply(&tracker, &mut again, &options()));
        assert!(again.errors.is_empty(), "{:?}", again.errors);
    }
    assert_eq!(tracker.issues.borrow()[0].state, IssueState::Closed);
    let notes = tracker.notes.borrow();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(note_id_in(&notes[0].1).as_deref(), Some("cancelled"));
}

/// A run lock label of another run, held until `until`.
fn lock_of_another_run(tracker: &Memory, until: &str) {
    tracker.label_ids.set(tracker.label_ids.get() + 1);
    tracker.labels.borrow_mut().push((
        "g/a".to_owned(),
        TrackedLabel {
            id: tracker.label_ids.get(),
            name: "teamcadence::planning::run-lock".to_owned(),
            description: format!(
                "teamcadence run lock: held until {until} by a run writing teamcadence::planning \
                 issues, and deleted when that run ends."
            ),
        },
    ));
}

#[test]
fn two_runs_at_the_same_time_take_turns_and_create_once() {
    let tracker = Memory {
        interleave: true,
        ..Memory::default()
    };
    let (a, b) = two_runs_at_once_with_a_note(&tracker);
    assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
    assert!(
        a.warnings.is_empty() && b.warnings.is_empty(),
        "{a:?} {b:?}"
    );
    assert_eq!(
        tracker.creates.get(),
        1,
        "the second run saw the first's issue"
    );
    let actions = [a.issues[0].action.clone(), b.issues[0].action.clone()];
    assert!(
        actions.contains(&Action::Create) && actions.contains(&Action::Exists),
        "{actions:?}"
    );
    assert_eq!(a.issues[0].web_url, b.issues[0].web_url);
    let notes = tracker.notes.borrow();
    assert_eq!(notes.len(), 1, "one note, no duplicate's: {notes:?}");
    assert_eq!(note_id_in(&notes[0].1).as_deref(), Some("thread:backend"));
    assert!(tracker.slept_ms.get() > 0, "the second run waited");
    assert!(
        tracker.label_names("g/a").is_empty(),
        "the lock is released"
    );
}

#[test]
fn a_lapsed_lock_is_taken_over_and_a_held_one_stops_the_run_after_waiting() {
    // A run that was killed left its lock, which lapsed long ago.
    let tracker = Memory::default();
    lock_of_another_run(&tracker, "2026-01-01T00:00:00Z");
    let mut plans = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut plans, &options()));
    assert!(plans.errors.is_empty(), "{:?}", plans.errors);
    assert_eq!(tracker.creates.get(), 1);
    assert_eq!(
        plans.warnings,
        [
            "g/a: took over the run lock `teamcadence::planning::run-lock`, which lapsed at \
             2026-01-01 00:00:00 UTC; the run that held it did not end normally"
        ]
    );
    assert!(tracker.label_names("g/a").is_empty());

    // Another run holds the lock and keeps it: after waiting, nothing is written.
    let tracker = Memory::default();
    lock_of_another_run(&tracker, "2099-01-01T00:00:00Z");
    let patient = ApplyOptions {
        lock: LockSettings {
            wait: Duration::from_secs(5),
            ..LockSettings::default()
        },
        ..options()
    };
    let mut plans = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut plans, &patient));
    let message = "another run of this job is writing to g/a (it holds the label \
                   `teamcadence::planning::run-lock` until 2099-01-01 00:00:00 UTC); this run \
                   waited 5 s for it and wrote nothing there: re-run when it is done to finish, \
                   or delete that label if no run is going";
    assert_eq!(plans.errors, [message]);
    assert_eq!(plans.issues[0].error.as_deref(), Some(message));
    assert_eq!(tracker.creates.get(), 0);
    assert_eq!(tracker.lists.get(), 0, "not even read: a re-run does it");
    let waited = tracker.slept_ms.get();
    assert!((5_000..7_000).contains(&waited), "{waited} ms");
    assert_eq!(
        tracker.label_names("g/a"),
        ["teamcadence::planning::run-lock"],
        "the other run's lock is left alone"
    );
}

#[test]
fn a_dry_run_takes_no_lock_and_a_lost_or_refused_lock_is_handled() {
    let tracker = Memory::default();
    let dry = ApplyOptions {
        dry_run: true,
        ..options()
    };
    run(apply(
        &tracker,
        &mut report(vec![plan("planning/a/19.8", "g/a")]),
        &dry,
    ));
    assert_eq!(tracker.label_ids.get(), 0);

    // The answer to taking the lock was lost: the label carries this run's description, so
    // the run knows it holds it, and releases it.
    let tracker = Memory {
        lose_label_answers: Cell::new(1),
        ..Memory::default()
    };
    let mut plans = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut plans, &options()));
    assert!(plans.errors.is_empty(), "{:?}", plans.errors);
    assert!(plans.warnings.is_empty(), "{:?}", plans.warnings);
    assert_eq!((tracker.creates.get(), tracker.label_ids.get()), (1, 1));
    assert!(tracker.label_names("g/a").is_empty());

    let tracker = Memory {
        refuse_labels: true,
        ..Memory::default()
    };
    let mut plans = report(vec![plan("planning/a/19.8", "g/a")]);
    run(apply(&tracker, &mut plans, &options()));
    assert!(plans.errors.is_empty(), "{:?}", plans.errors);
    assert_eq!(tracker.creates.get(), 1);
    assert_eq!(plans.warnings.len(), 1, "{:?}", plans.warnings);
    assert!(
        plans.warnings[0].starts_with(
            "g/a: could not take the run lock (the label `teamcadence::planning::run-lock`: \
             403 Forbidden), so this run wrote without it"
        ),
        "{:?}",
        plans.warnings
    );
}

#[test]
fn many_keys_at_once_and_one_key_planned_twice_leave_one_issue_and_note_each() {
    let tracker = Memory::default();
    let noted = |key: &str| IssuePlan {
        follow_ups: vec![FollowUp::Note {
            id: "thread".to_owned(),
            body: "**Thread**".to_owned(),
        }],
        ..plan(key, "g/a")
    };
    // Twelve keys, the sixth planned twice: the creates go out together (options() allows
    // 4 in flight, so 8 plans at a time), yet each key gets one issue and one thread.
    let mut plans: Vec<IssuePlan> = (1..=12).map(|n| noted(&format!("k/{n}"))).collect();
    plans.push(noted("k/6"));
    let mut first = report(plans);
    run(apply(&tracker, &mut first, &options()));
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let issues = tracker.issues.borrow().clone();
    assert_eq!(issues.len(), 12);
    let mut keys: Vec<String> = issues
        .iter()
        .filter_map(|issue| teamcadence_core::apply::key_in(&issue.description))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 12);
    // Each created issue claims the thread its run posts right after creating it.
    for issue in &issues {
        assert!(
            issue
                .description
                .contains("<!-- teamcadence:notes=thread -->"),
            "{}",
            issue.description
        );
    }
    let notes = tracker.notes.borrow().clone();
    for issue in &issues {
        let threads = notes
            .iter()
            .filter(|(on, body)| *on == issue.iid && note_id_in(body).as_deref() == Some("thread"))
            .count();
        assert_eq!(threads, 1, "#{}", issue.iid);
    }
    assert_eq!(first.issues[12].action, Action::Exists);
    assert_eq!(first.issues[12].web_url, first.issues[5].web_url);
}
