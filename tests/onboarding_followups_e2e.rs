//! Onboarding after the first month, against the fake GitLab: nina starts on Monday
//! 2026-12-07 with mia as her manager and bob as her buddy. Counted by hand in working days
//! (Monday to Friday, no holidays in this config): day 2 is Tuesday 2026-12-08, day 15 is
//! Friday 2026-12-25 and day 60 is Friday 2027-02-26. mia is off from 2026-12-24 until
//! 2027-01-01, so the day-15 check-in waits for Monday 2027-01-04.

mod common;

use common::{Gitlab, Scratch, at_once, job, json, stderr, until_it_succeeds};
use gitlab_fake::Conditions;
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/recurring-world.yml"
);
const TOKEN: &str = "glpat-recurring-bot-SECRET-19";
const PROJECT: &str = "eng/web";
const KEY: &str = "onboarding/nina";

const CONFIG: &str = "teams:
  - id: web
    name: Web
    project: eng/web
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
      - { username: bob, name: Bob Baker, role: backend-engineer, joined: 2024-01-08 }
      - { username: carol, name: Carol Chen, role: backend-engineer }
new_hires:
  - { username: nina, name: Nina New, team: web, role: backend-engineer, start: 2026-12-07, manager: mia, buddy: bob }
time_off:
  - { person: mia, from: 2026-12-24, until: 2027-01-01 }
";

fn run_on(gitlab: &Gitlab, config: &str, today: &str) -> Value {
    let output = job(
        gitlab,
        "onboarding-issue",
        config,
        &["--today", today],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)
}

/// nina's onboarding issue, the only one of its key.
fn issue(gitlab: &Gitlab) -> Value {
    let by_key = gitlab.by_key(PROJECT);
    let issues = by_key.get(KEY).expect("the onboarding issue");
    assert_eq!(issues.len(), 1, "{issues:#?}");
    issues[0].clone()
}

/// The hidden names of the comments teamcadence posted on nina's issue, in order.
fn note_ids(gitlab: &Gitlab) -> Vec<String> {
    gitlab
        .comments(PROJECT, &issue(gitlab)["iid"])
        .iter()
        .filter_map(|body| teamcadence_core::apply::note_id_in(body))
        .collect()
}

fn note(gitlab: &Gitlab, id: &str) -> String {
    gitlab
        .comments(PROJECT, &issue(gitlab)["iid"])
        .into_iter()
        .find(|body| teamcadence_core::apply::note_id_in(body).as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no note {id}"))
}

#[test]
fn follow_ups_come_on_their_working_day_once_and_wait_for_whoever_is_away() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("follow-ups", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");

    // Five working days before the start the issue is created; it records who is who.
    run_on(&gitlab, &config, "2026-11-30");
    let created = issue(&gitlab);
    let description = created["description"].as_str().expect("description");
    assert!(
        description.contains("<!-- teamcadence:onboarding start=2026-12-07 manager=mia buddy=bob created=2026-11-30 -->"),
        "{description}"
    );
    assert_eq!(note_ids(&gitlab), ["welcome"]);

    // Day 1: nothing new. Day 2: the access-requests check, to nina, once however often run.
    run_on(&gitlab, &config, "2026-12-07");
    assert_eq!(note_ids(&gitlab), ["welcome"]);
    run_on(&gitlab, &config, "2026-12-08");
    run_on(&gitlab, &config, "2026-12-08");
    run_on(&gitlab, &config, "2026-12-09");
    assert_eq!(note_ids(&gitlab), ["welcome", "follow-up:day-2"]);
    let day_2 = note(&gitlab, "follow-up:day-2");
    assert!(day_2.starts_with("@nina, welcome to day 2!"), "{day_2}");
    assert!(day_2.contains("@bob can help"), "{day_2}");

    // Day 15 falls in mia's time off: nothing then, nor while she is away.
    run_on(&gitlab, &config, "2026-12-25");
    run_on(&gitlab, &config, "2026-12-31");
    assert_eq!(note_ids(&gitlab), ["welcome", "follow-up:day-2"]);
    // Back on Monday 2027-01-04: the check-in, saying it waited; once.
    run_on(&gitlab, &config, "2027-01-04");
    run_on(&gitlab, &config, "2027-01-05");
    let ids = note_ids(&gitlab);
    assert_eq!(ids, ["welcome", "follow-up:day-2", "follow-up:day-15"]);
    let day_15 = note(&gitlab, "follow-up:day-15");
    assert!(
        day_15.starts_with("Three weeks in: @mia, @bob, time for a check-in with @nina."),
        "{day_15}"
    );
    assert!(
        day_15.contains("was due on 2026-12-25 (working day 15) and waited until everyone it is for was back: mia (time off) away then."),
        "{day_15}"
    );
    assert_eq!(issue(&gitlab)["state"], "opened");

    // Day 60: closed with a note; a re-run finds nothing open to do.
    run_on(&gitlab, &config, "2027-02-25");
    assert_eq!(issue(&gitlab)["state"], "opened");
    run_on(&gitlab, &config, "2027-02-26");
    assert_eq!(issue(&gitlab)["state"], "closed");
    let day_60 = note(&gitlab, "follow-up:day-60");
    assert!(
        day_60.starts_with("@nina, @mia: about three months after the start"),
        "{day_60}"
    );
    let count = note_ids(&gitlab).len();
    run_on(&gitlab, &config, "2027-02-26");
    assert_eq!(note_ids(&gitlab).len(), count);
    assert_eq!(
        note_ids(&gitlab)
            .iter()
            .filter(|id| id.starts_with("follow-up:"))
            .count(),
        3
    );
}

#[test]
fn a_follow_up_set_to_skip_is_never_posted_while_its_person_is_away() {
    let gitlab = Gitlab::start(WORLD);
    let config_text = CONFIG
        .replace(
            "    members:\n",
            "    onboarding:\n      follow_ups:\n        - { day: 2, addresses: [manager], if_away: skip, note: \"{{mention manager}}, please check in.\" }\n    members:\n",
        )
        .replace("from: 2026-12-24, until: 2027-01-01", "from: 2026-12-08, until: 2026-12-08");
    let scratch = Scratch::new("follow-ups-skip", &[("teamcadence.yml", &config_text)]);
    let config = scratch.path("teamcadence.yml");
    run_on(&gitlab, &config, "2026-11-30");
    let on_day_2 = run_on(&gitlab, &config, "2026-12-08");
    let warnings = on_day_2["warnings"].to_string();
    assert!(
        warnings.contains(
            "onboarding/nina: the day-2 follow-up (2026-12-08) is skipped: mia (time off) away"
        ),
        "{warnings}"
    );
    run_on(&gitlab, &config, "2026-12-09");
    assert_eq!(note_ids(&gitlab), ["welcome"]);
}

#[test]
fn faults_leave_each_follow_up_posted_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("follow-ups-faults", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    run_on(&gitlab, &config, "2026-11-30");
    gitlab.set(Conditions {
        fail_rate: 0.2,
        drop_rate: 0.3,
        ..Conditions::default()
    });
    until_it_succeeds(
        &gitlab,
        "onboarding-issue",
        &config,
        &["--today", "2026-12-08"],
        TOKEN,
        20,
    );
    gitlab.set(Conditions::default());
    run_on(&gitlab, &config, "2026-12-08");
    let ids = note_ids(&gitlab);
    assert_eq!(
        ids.iter().filter(|id| *id == "follow-up:day-2").count(),
        1,
        "{ids:?}"
    );
}

#[test]
fn two_runs_at_once_post_the_follow_up_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("follow-ups-concurrent", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    run_on(&gitlab, &config, "2026-11-30");
    gitlab.set(Conditions {
        latency_ms: 20,
        ..Conditions::default()
    });
    let outputs = at_once(
        &gitlab,
        "onboarding-issue",
        &config,
        &["--today", "2026-12-08"],
        TOKEN,
        2,
    );
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }
    assert_eq!(note_ids(&gitlab), ["welcome", "follow-up:day-2"]);
}

#[test]
fn an_issue_caught_up_after_day_two_gets_no_stale_day_two_note() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("follow-ups-late", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    // The schedule did not run until Thursday 2026-12-10, nina's fourth working day.
    run_on(&gitlab, &config, "2026-12-10");
    run_on(&gitlab, &config, "2026-12-11");
    assert_eq!(note_ids(&gitlab), ["welcome"]);
    // The later follow-ups still come: day 15, waiting for mia, on 2027-01-04.
    run_on(&gitlab, &config, "2027-01-04");
    assert_eq!(note_ids(&gitlab), ["welcome", "follow-up:day-15"]);
}

/// Sets `user`'s GitLab status to busy with `message` (or with `None` clears it), as they
/// would themselves.
fn set_status(gitlab: &Gitlab, user: &str, message: Option<&str>) {
    let params = match message {
        Some(message) => format!("&availability=busy&message={message}"),
        None => String::new(),
    };
    let url = format!("{}/api/v4/user/status?sudo={user}{params}", gitlab.url());
    gitlab.runtime.block_on(async {
        let response = reqwest::Client::new()
            .put(url)
            .header("PRIVATE-TOKEN", common::ADMIN_TOKEN)
            .send()
            .await
            .expect("PUT status");
        assert_eq!(response.status(), 200);
    });
}

#[test]
fn a_buddy_whose_gitlab_status_says_away_delays_the_check_in() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("follow-ups-status", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    run_on(&gitlab, &config, "2026-11-30");
    // mia is back on 2027-01-04, but bob's status says he is out that day.
    set_status(&gitlab, "bob", Some("OOO"));
    run_on(&gitlab, &config, "2027-01-04");
    assert_eq!(note_ids(&gitlab), ["welcome"]);
    set_status(&gitlab, "bob", None);
    run_on(&gitlab, &config, "2027-01-05");
    assert_eq!(note_ids(&gitlab), ["welcome", "follow-up:day-15"]);
}

#[test]
fn check_renders_the_follow_up_notes_and_names_a_broken_one() {
    let config = CONFIG.replace(
        "    members:\n",
        "    onboarding:\n      follow_ups:\n        - { day: 2, addresses: [hire], note: \"Hello {{mention hire}} {{nope}}\" }\n    members:\n",
    );
    let scratch = Scratch::new("follow-ups-check", &[("teamcadence.yml", &config)]);
    let output = common::bin("teamcadence")
        .args(["check", "--config", &scratch.path("teamcadence.yml")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("teams[web].onboarding.follow_ups[0].note"),
        "{text}"
    );
    assert!(text.contains("nope"), "{text}");
}
