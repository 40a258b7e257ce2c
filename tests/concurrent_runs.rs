//! Runs of the same job on the same config that overlap, against the fake GitLab server:
//! three processes started together stay quiet. Every key ends with exactly one issue (none
//! created and closed again as a duplicate, so nobody is notified twice), and no follow-up
//! note is posted twice on an issue. The team and its time off are below; the expected
//! counts are worked out by hand from them.

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use common::{Gitlab, Scratch, json, stderr};
use gitlab_fake::Conditions;
use serde_json::Value;

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pto-world.yml");
const BOT_TOKEN: &str = "glpat-pto-bot-SECRET-61";
const PROJECT: &str = "eng/pto-coverage";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const EDIT: &str = "PUT /api/v4/projects/:id/issues/:issue_iid";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";
const LOCK: &str = "POST /api/v4/projects/:id/labels";
const PEOPLE: [&str; 7] = ["bob", "carol", "dan", "erin", "finn", "gus", "ivy"];
/// The three stretches off (Monday to Wednesday) each person takes; all due on 2027-03-01
/// (issues are created 30 days ahead). Working Thursdays and Fridays between keep them
/// three absences (adjacent time off would be one).
const WEEKS: [(&str, &str); 3] = [
    ("2027-03-08", "2027-03-10"),
    ("2027-03-15", "2027-03-17"),
    ("2027-03-22", "2027-03-24"),
];

/// A team of seven, each taking the three stretches of `WEEKS` (until Wednesday, or
/// Tuesday when `one_day_shorter`), so 21 coverage issues are due on 2027-03-01.
fn config(one_day_shorter: bool) -> String {
    let mut time_off = String::new();
    for person in PEOPLE {
        for (week, (from, until)) in WEEKS.iter().enumerate() {
            let until = if one_day_shorter {
                until
                    .replace("-10", "-09")
                    .replace("-17", "-16")
                    .replace("-24", "-23")
            } else {
                (*until).to_owned()
            };
            time_off.push_str(&format!(
                "  - {{ id: {person}-{week}, person: {person}, from: {from}, until: {until} }}\n"
            ));
        }
    }
    common::team_of_seven("", &time_off)
}

/// Starts `count` runs of the PTO job on 2027-03-01 at once and waits for all of them.
fn together(gitlab: &Gitlab, config: &str, count: usize) -> Vec<Output> {
    common::at_once(
        gitlab,
        "pto-coverage",
        config,
        &["--today", "2027-03-01"],
        BOT_TOKEN,
        count,
    )
}

/// What the runs left: per key, its issues; and per issue, how often each note was posted.
struct Outcome {
    by_key: BTreeMap<String, Vec<Value>>,
    /// (iid, hidden note id) -> copies.
    notes: BTreeMap<(u64, String), usize>,
}

fn outcome(gitlab: &Gitlab) -> Outcome {
    let by_key = gitlab.by_key(PROJECT);
    let mut notes = BTreeMap::new();
    for issue in by_key.values().flatten() {
        let iid = issue["iid"].as_u64().expect("iid");
        for body in gitlab.comments(PROJECT, &issue["iid"]) {
            if let Some(id) = teamcadence_core::apply::note_id_in(&body) {
                *notes.entry((iid, id.to_owned())).or_insert(0) += 1;
            }
        }
    }
    Outcome { by_key, notes }
}

impl Outcome {
    fn max_copies(&self) -> usize {
        self.notes.values().copied().max().unwrap_or(0)
    }
}

/// How many plans of the runs' reports have `action`.
fn actions(outputs: &[Output], action: &str) -> usize {
    outputs
        .iter()
        .map(|output| {
            assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
            json(output)["issues"]
                .as_array()
                .expect("issues")
                .iter()
                .filter(|plan| plan["action"] == action)
                .count()
        })
        .sum()
}

/// Checks what every overlapping run must leave: each of the 21 keys has exactly one issue
/// (no extra issue at all, so none closed as a duplicate), and no note twice on an issue.
/// Also checks the runs did overlap (a run found another's lock: more lock creates than
/// runs) and that the lock is gone.
fn assert_quiet(gitlab: &Gitlab, found: &Outcome, runs: u64) {
    assert_eq!(found.by_key.len(), 21, "{:?}", found.by_key.keys());
    for (key, issues) in &found.by_key {
        assert_eq!(issues.len(), 1, "{key}: {issues:#?}");
        assert_eq!(issues[0]["state"], "opened", "{key}");
    }
    assert_eq!(found.max_copies(), 1, "{:?}", found.notes);
    assert!(
        gitlab.count(LOCK) > runs,
        "the runs overlapped: {:?}",
        gitlab.fake.state().request_counts()
    );
    let labels = gitlab.get("/projects/eng%2Fpto-coverage/labels?search=run-lock");
    assert_eq!(labels, serde_json::json!([]), "the lock is released");
}

#[test]
fn three_runs_at_once_create_each_issue_once_and_post_each_note_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("concurrent-create", &[("pto.yml", &config(false))]);
    // Slow answers make the runs overlap for their whole length.
    gitlab.set(Conditions {
        latency_ms: 20,
        ..Conditions::default()
    });
    let outputs = together(&gitlab, &scratch.path("pto.yml"), 3);
    // Before the run lock: 63 issues created for 21 keys, 42 closed as duplicates.
    assert_eq!(actions(&outputs, "create"), 21);
    assert_eq!(actions(&outputs, "exists"), 42);
    assert_eq!(gitlab.count(CREATE), 21);
    let found = outcome(&gitlab);
    assert_quiet(&gitlab, &found, 3);
    // Each issue got its retrospective thread, once.
    for issues in found.by_key.values() {
        let iid = issues[0]["iid"].as_u64().expect("iid");
        assert_eq!(
            found.notes.get(&(iid, "retrospective".to_owned())),
            Some(&1)
        );
    }
    assert_eq!(found.notes.len(), 21, "{:?}", found.notes);
}

#[test]
fn three_runs_at_once_post_each_time_off_change_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("concurrent-notes", &[("pto.yml", &config(false))]);
    let first = together(&gitlab, &scratch.path("pto.yml"), 1);
    assert_eq!(actions(&first, "create"), 21);
    let comments = gitlab.count(COMMENT);
    // Every stretch off now ends a day earlier: each run plans to update all 21 issues and to say
    // so in a note on each.
    std::fs::write(scratch.path("pto.yml"), config(true)).expect("rewrite");
    gitlab.set(Conditions {
        latency_ms: 20,
        ..Conditions::default()
    });
    let outputs = together(&gitlab, &scratch.path("pto.yml"), 3);
    // Before the run lock: the same note up to three times on an issue, 63 edits.
    assert_eq!(gitlab.count(COMMENT) - comments, 21);
    assert_eq!(gitlab.count(EDIT), 21);
    assert_eq!(actions(&outputs, "update"), 21);
    let found = outcome(&gitlab);
    assert_quiet(&gitlab, &found, 4);
    let changes: Vec<&(u64, String)> = found
        .notes
        .keys()
        .filter(|(_, id)| id.starts_with("dates:"))
        .collect();
    assert_eq!(changes.len(), 21, "{changes:?}");
}
