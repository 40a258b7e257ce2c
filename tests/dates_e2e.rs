//! Dates that are right on the day a person reads them, with the real binaries against the
//! fake GitLab: the planning issue's tasks on the day it is created (on time and late), the
//! EM's capacity task on a working day of the EM before the lock, the planning-lock warning
//! only for time off the planning issue did not know, and coverage due by the planning lock.
//!
//! Hand-worked calendar (release rule, no holidays configured, Monday to Friday):
//! 19.8 runs Sat 2026-12-12 to Fri 2027-01-15 (released Thu 2027-01-21). Draft: the Monday
//! on or before 2026-11-23 (start - 19) = Mon 2026-11-23; PM plan: Mon 2026-11-30 (start -
//! 12); planning lock: Mon 2026-12-07 (start - 5). The planning issue is due 26 days before
//! the start: Mon 2026-11-16.

mod common;

use std::process::Output;

use common::{Gitlab, Scratch, issue, job, json, stderr};
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dates-world.yml"
);
const BOT_TOKEN: &str = "glpat-dates-bot-SECRET-15";
const COVERAGE: &str = "acme/pto-coverage";

/// The team: mia the EM (off Mon 2026-11-23 and Tue 2026-11-24, so her draft-day tasks move
/// to Fri 2026-11-20), pat the PM, bob, carol and dan. `time_off` is the config's extra
/// entries, already indented.
fn config(time_off: &str) -> String {
    format!(
        "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: acme/web
    pto: {{ project: {COVERAGE} }}
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: pat, name: Pat Product, role: product-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, manager: mia }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer, manager: mia }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer, manager: mia }}
time_off:
  - {{ person: mia, from: 2026-11-23, until: 2026-11-24, note: Long weekend }}
{time_off}"
    )
}

/// bob's two weeks in 19.8, known when it is planned.
const BOB: &str = "  - { person: bob, from: 2026-12-14, until: 2026-12-25, note: Vacation }\n";
/// carol's two weeks in 19.8, recorded after it was planned.
const CAROL: &str = "  - { person: carol, from: 2026-12-21, until: 2027-01-01, note: Trip }\n";

fn run(gitlab: &Gitlab, name: &str, dir: &Scratch, today: &str) -> Output {
    let output = job(
        gitlab,
        name,
        &dir.path("team.yml"),
        &["--today", today],
        Some(BOT_TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

fn description(issue: &Value) -> String {
    issue["description"]
        .as_str()
        .expect("description")
        .to_owned()
}

/// The one stored issue of `project` with `key`.
fn stored(gitlab: &Gitlab, project: &str, key: &str) -> Value {
    let mut found = gitlab.by_key(project).remove(key).unwrap_or_default();
    assert_eq!(found.len(), 1, "one issue for {key}: {found:?}");
    found.remove(0)
}

/// Every date written after "by " or "planning lock, " in a checklist line.
fn task_dates(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with("- [ ]"))
        .filter_map(|line| {
            let at = line.rfind(" by ").map(|i| i + 4).or_else(|| {
                line.find("planning lock, ")
                    .map(|i| i + "planning lock, ".len())
            })?;
            line.get(at..at + 10).map(str::to_owned)
        })
        .collect()
}

#[test]
fn the_planning_issue_created_on_its_default_day_has_no_task_in_the_past() {
    let gitlab = Gitlab::start(WORLD);
    let dir = Scratch::new("dates-on-time", &[("team.yml", &config(BOB))]);
    let report = json(&run(&gitlab, "planning-issue", &dir, "2026-11-16"));
    assert_eq!(issue(&report, "planning/web/19.8")["action"], "create");
    let text = description(&stored(&gitlab, "acme/web", "planning/web/19.8"));

    let dates = task_dates(&text);
    assert!(
        dates.len() >= 10,
        "every checklist task is dated: {dates:?}\n{text}"
    );
    for date in &dates {
        assert!(
            date.as_str() >= "2026-11-16",
            "{date} is before the issue: {text}"
        );
    }
    assert!(!text.contains("passed when"), "{text}");
    // mia is off on the draft Monday and the Tuesday: her tasks and the issue's own draft
    // task (mia and pat own it) move back to Friday 2026-11-20, before the lock 2026-12-07.
    assert!(
        text.contains("- [ ] @mia Post the team's capacity in this issue by 2026-11-20\n"),
        "{text}"
    );
    assert!(
        text.contains("- [ ] Draft the plan and talk capacity by 2026-11-20\n"),
        "{text}"
    );
    assert!(
        text.contains("- [ ] @mia Assign the \\~Deliverable issues by 2026-12-07\n"),
        "{text}"
    );
    // pat works on the PM plan Monday.
    assert!(
        text.contains("- [ ] @pat Apply \\~Deliverable to the issues committed to by 2026-11-30\n"),
        "{text}"
    );
    assert!(!text.contains("by the 10th"), "{text}");
}

#[test]
fn a_late_run_marks_the_dates_that_had_passed() {
    let gitlab = Gitlab::start(WORLD);
    let dir = Scratch::new("dates-late", &[("team.yml", &config(BOB))]);
    run(&gitlab, "planning-issue", &dir, "2026-12-01");
    let text = description(&stored(&gitlab, "acme/web", "planning/web/19.8"));
    assert!(
        text.contains(
            "- [ ] @mia Post the team's capacity in this issue by 2026-11-20 (passed when this \
             issue was created on 2026-12-01)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "- [ ] Propose the plan and apply ~Deliverable by 2026-11-30 (passed when this \
             issue was created on 2026-12-01)\n"
        ),
        "{text}"
    );
    // Still ahead on the day it is created: no mark.
    assert!(
        text.contains("- [ ] Scope is final at the planning lock, 2026-12-07\n"),
        "{text}"
    );
}

#[test]
fn the_lock_warning_is_only_for_time_off_the_planning_issue_did_not_count() {
    let gitlab = Gitlab::start(WORLD);
    let dir = Scratch::new("dates-lock", &[("team.yml", &config(BOB))]);
    run(&gitlab, "planning-issue", &dir, "2026-11-16");
    // carol's trip is recorded after 19.8 was planned; the coverage job runs late, after
    // the lock (2026-12-07).
    std::fs::write(dir.path("team.yml"), config(&format!("{BOB}{CAROL}"))).expect("write");
    let report = json(&run(&gitlab, "pto-coverage", &dir, "2026-12-08"));
    assert_eq!(issue(&report, "pto/bob/2026-12-14")["action"], "create");
    assert_eq!(issue(&report, "pto/carol/2026-12-21")["action"], "create");

    let bob = description(&stored(&gitlab, COVERAGE, "pto/bob/2026-12-14"));
    assert!(!bob.contains("Planning lock"), "bob's was planned: {bob}");
    let carol = description(&stored(&gitlab, COVERAGE, "pto/carol/2026-12-21"));
    assert!(
        carol.contains(
            "was not known when 19.8 was planned: it is missing from the capacity table of the \
             milestone's planning issue, and it was recorded on 2026-12-08, after the planning \
             lock (2026-12-07)"
        ),
        "{carol}"
    );
}

#[test]
fn a_coverage_issue_is_due_at_the_planning_lock_of_its_milestone() {
    // dan is off Mon 2027-01-04 to Fri 2027-01-15, in 19.8: 14 days before is 2026-12-21,
    // but 19.8's planning lock, 2026-12-07, comes first.
    let gitlab = Gitlab::start(WORLD);
    let dan = "  - { person: dan, from: 2027-01-04, until: 2027-01-15, note: Holiday }\n";
    let dir = Scratch::new("dates-coverage", &[("team.yml", &config(dan))]);
    let before = json(&run(&gitlab, "pto-coverage", &dir, "2026-12-06"));
    let plan = issue(&before, "pto/dan/2027-01-04");
    assert_eq!(plan["action"], "skip");
    assert_eq!(plan["reason"], "not due until 2026-12-07");
    let on_time = json(&run(&gitlab, "pto-coverage", &dir, "2026-12-07"));
    assert_eq!(issue(&on_time, "pto/dan/2027-01-04")["action"], "create");
    let text = description(&stored(&gitlab, COVERAGE, "pto/dan/2027-01-04"));
    assert!(!text.contains("Planning lock"), "recorded in time: {text}");
}

#[test]
fn an_anchor_before_the_known_release_history_is_refused_with_what_to_do() {
    // 15.0 was released on 2022-05-22, before the 16.0 the calendar's history starts with.
    let text = config("").replace(
        "timezone: Europe/Amsterdam\n",
        "timezone: Europe/Amsterdam\nmilestones:\n  source: gitlab-release\n  anchor: { version: \"15.0\", released: 2022-05-22 }\n",
    );
    let dir = Scratch::new("dates-anchor", &[("team.yml", &text)]);
    let output = common::run("teamcadence", &["check", "--config", &dir.path("team.yml")]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "2022-05-22 is before May 2023: the release calendar knows GitLab's release dates \
             from 16.0 (released 2023-05-22) on"
        ),
        "{err}"
    );
    // The 22nd era is known: 16.0's own release day is a valid anchor.
    let text = text.replace(
        "\"15.0\", released: 2022-05-22",
        "\"16.0\", released: 2023-05-22",
    );
    std::fs::write(dir.path("team.yml"), text).expect("write");
    let output = common::run("teamcadence", &["check", "--config", &dir.path("team.yml")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
