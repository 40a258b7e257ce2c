//! The recurring issues job against the fake GitLab: a weekly triage rotation of bob, carol
//! and dan on Wednesdays. The expected turns are worked out by hand: counted in weeks from
//! Monday 2000-01-03, the week of Wednesday 2026-12-02 is week 1404, so bob (1404 mod 3 = 0)
//! has 2026-12-02, carol 2026-12-09 (but she is off that week, so dan takes it), dan
//! 2026-12-16 and bob 2026-12-23.

mod common;

use common::{
    Gitlab, Scratch, assignees, at_once, bin, job, json, keys, stderr, until_it_succeeds,
};
use gitlab_fake::Conditions;
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/recurring-world.yml"
);
const TOKEN: &str = "glpat-recurring-bot-SECRET-19";
const PROJECT: &str = "eng/web";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";

const CONFIG: &str = "teams:
  - id: web
    name: Web
    project: eng/web
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
      - { username: bob, name: Bob Baker, role: backend-engineer }
      - { username: carol, name: Carol Chen, role: backend-engineer }
      - { username: dan, name: Dan Dorsey, role: backend-engineer }
    recurring:
      - id: triage
        name: Triage rotation
        cadence: { every: week, weekday: wed }
        assignees: [bob, carol, dan]
        labels: [triage]
        start: 2026-12-01
        close_previous: true
time_off:
  - { person: carol, from: 2026-12-07, until: 2026-12-11 }
";

fn key(week: &str) -> String {
    format!("recurring/web/triage/{week}")
}

fn run_on(gitlab: &Gitlab, config: &str, today: &str) -> Value {
    let output = job(
        gitlab,
        "recurring-issues",
        config,
        &["--today", today],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)
}

/// The one issue of `key` in the project.
fn only(gitlab: &Gitlab, key: &str) -> Value {
    let by_key = gitlab.by_key(PROJECT);
    let issues = by_key
        .get(key)
        .unwrap_or_else(|| panic!("no {key}: {by_key:#?}"));
    assert_eq!(issues.len(), 1, "{key}: {issues:#?}");
    issues[0].clone()
}

#[test]
fn the_rotation_creates_each_week_once_skips_whoever_is_away_and_catches_up() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("recurring-rotation", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");

    // Tuesday: nothing is due yet (the config starts the rotation on 2026-12-01).
    let tuesday = run_on(&gitlab, &config, "2026-12-01");
    assert_eq!(keys(&tuesday, "create"), Vec::<String>::new());
    assert_eq!(keys(&tuesday, "skip"), [key("2026-W49")]);
    assert_eq!(gitlab.count(CREATE), 0);

    // Wednesday: bob's turn; a second run the same day creates nothing more.
    let wednesday = run_on(&gitlab, &config, "2026-12-02");
    assert_eq!(keys(&wednesday, "create"), [key("2026-W49")]);
    let again = run_on(&gitlab, &config, "2026-12-02");
    assert_eq!(keys(&again, "exists"), [key("2026-W49")]);
    assert_eq!(gitlab.count(CREATE), 1);
    let first = only(&gitlab, &key("2026-W49"));
    assert_eq!(assignees(&first), ["bob"]);
    assert_eq!(first["title"], "Triage rotation: 2026-W49");
    assert_eq!(first["due_date"], "2026-12-02");
    assert_eq!(
        first["labels"],
        serde_json::json!(["teamcadence::recurring", "triage"])
    );

    // The run of 2026-12-09 was missed: on 2026-12-16 that week is caught up (carol's turn,
    // but she is off, so dan's, and the issue says so) and this week's is created (dan's).
    let late = run_on(&gitlab, &config, "2026-12-16");
    assert_eq!(keys(&late, "create"), [key("2026-W50"), key("2026-W51")]);
    let missed = only(&gitlab, &key("2026-W50"));
    assert_eq!(assignees(&missed), ["dan"]);
    let description = missed["description"].as_str().expect("description");
    assert!(
        description
            .contains("Carol Chen (carol) is away on 2026-12-09 (time off) and was skipped."),
        "{description}"
    );
    assert_eq!(assignees(&only(&gitlab, &key("2026-W51"))), ["dan"]);
    // The week before the missed one is closed, with a note saying why.
    let closed = only(&gitlab, &key("2026-W49"));
    assert_eq!(closed["state"], "closed");
    let notes = gitlab.comments(PROJECT, &closed["iid"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("The Triage rotation of the next period (2026-W50) is open")),
        "{notes:?}"
    );

    // A re-run the same day links and closes what the first could not yet see, once.
    let comments = gitlab.count(COMMENT);
    let rerun = run_on(&gitlab, &config, "2026-12-16");
    assert!(keys(&rerun, "create").is_empty());
    assert_eq!(only(&gitlab, &key("2026-W50"))["state"], "closed");
    assert_eq!(only(&gitlab, &key("2026-W51"))["state"], "opened");
    let links = gitlab.get(&format!(
        "/projects/eng%2Fweb/issues/{}/links",
        only(&gitlab, &key("2026-W51"))["iid"]
    ));
    assert_eq!(links.as_array().map(Vec::len), Some(1), "{links:#}");
    assert_eq!(gitlab.count(COMMENT), comments + 1);
    let third = run_on(&gitlab, &config, "2026-12-16");
    assert!(keys(&third, "create").is_empty());
    assert_eq!(gitlab.count(COMMENT), comments + 1);
    assert_eq!(gitlab.count(CREATE), 3);

    // After a long pause (seven Wednesdays unrun), only the latest week and one before it.
    let after_pause = run_on(&gitlab, &config, "2027-02-03");
    assert_eq!(
        keys(&after_pause, "create"),
        [key("2027-W04"), key("2027-W05")]
    );
    assert_eq!(gitlab.count(CREATE), 5);
}

#[test]
fn a_dry_run_writes_nothing_and_shows_the_turn() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("recurring-dry", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    let output = job(
        &gitlab,
        "recurring-issues",
        &config,
        &["--today", "2026-12-09", "--dry-run"],
        Some(TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan = json(&output);
    assert_eq!(keys(&plan, "create"), [key("2026-W49"), key("2026-W50")]);
    assert_eq!(
        common::issue(&plan, &key("2026-W50"))["assignees"],
        serde_json::json!(["dan"])
    );
    assert_eq!(gitlab.count(CREATE), 0);
}

#[test]
fn a_bad_cadence_is_a_usage_error_naming_the_field() {
    let bad = CONFIG.replace("{ every: week, weekday: wed }", "{ every: week, day: 3 }");
    let scratch = Scratch::new("recurring-bad", &[("teamcadence.yml", &bad)]);
    let output = bin("recurring-issues")
        .args([
            "--config",
            &scratch.path("teamcadence.yml"),
            "--dry-run",
            "--offline",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("teams[web].recurring[triage].cadence"),
        "{text}"
    );
    assert!(text.contains("`every: week` does not take day"), "{text}");
}

#[test]
fn faults_leave_each_week_exactly_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("recurring-faults", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    gitlab.set(Conditions {
        fail_rate: 0.2,
        drop_rate: 0.2,
        ..Conditions::default()
    });
    until_it_succeeds(
        &gitlab,
        "recurring-issues",
        &config,
        &["--today", "2026-12-16"],
        TOKEN,
        20,
    );
    gitlab.set(Conditions::default());
    run_on(&gitlab, &config, "2026-12-16");
    let by_key = gitlab.by_key(PROJECT);
    let open: Vec<&String> = by_key
        .iter()
        .filter(|(_, issues)| issues.iter().any(|i| i["state"] == "opened"))
        .map(|(k, _)| k)
        .collect();
    // Each key has one open issue at most; a lost answer's duplicate is closed, never kept.
    for (key, issues) in &by_key {
        let open = issues.iter().filter(|i| i["state"] == "opened").count();
        assert!(open <= 1, "{key}: {issues:#?}");
    }
    assert_eq!(open, [&key("2026-W51")], "{by_key:#?}");
    assert!(by_key.contains_key(&key("2026-W50")));
}

#[test]
fn two_runs_at_once_create_each_week_once() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("recurring-concurrent", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    gitlab.set(Conditions {
        latency_ms: 20,
        ..Conditions::default()
    });
    let outputs = at_once(
        &gitlab,
        "recurring-issues",
        &config,
        &["--today", "2026-12-16"],
        TOKEN,
        2,
    );
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }
    assert_eq!(gitlab.count(CREATE), 2);
    let by_key = gitlab.by_key(PROJECT);
    assert_eq!(by_key.len(), 2, "{:?}", by_key.keys());
    for issues in by_key.values() {
        assert_eq!(issues.len(), 1);
    }
}

#[test]
fn check_renders_every_recurring_template_and_names_a_broken_one() {
    let config = CONFIG.replace(
        "        close_previous: true\n",
        "        close_previous: true\n        template: triage.md\n",
    );
    let scratch = Scratch::new(
        "recurring-check",
        &[
            ("teamcadence.yml", &config),
            (
                "triage.md",
                "---\ntitle: \"Triage {{period.key}}\"\n---\nHello {{period.nope}}\n",
            ),
        ],
    );
    let output = bin("teamcadence")
        .args(["check", "--config", &scratch.path("teamcadence.yml")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("triage.md:4"), "{text}");
    assert!(text.contains("period.nope"), "{text}");

    std::fs::write(
        scratch.path("triage.md"),
        "---\ntitle: \"Triage {{period.key}}\"\n---\nHello {{mentions assignees}}\n",
    )
    .expect("rewrite");
    let output = bin("teamcadence")
        .args(["check", "--config", &scratch.path("teamcadence.yml")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_per_milestone_issue_follows_the_groups_milestones_and_old_ones_are_not_caught_up() {
    let gitlab = Gitlab::start(WORLD);
    let config = CONFIG.replace(
        "    members:\n",
        "    milestones: { source: gitlab, group: eng }\n    members:\n",
    )
    .replace(
        "time_off:\n",
        "      - id: retro\n        name: Retrospective\n        cadence: { every: milestone, relative_to: start, offset_days: 11 }\n        assignees: [mia]\ntime_off:\n",
    );
    let scratch = Scratch::new("recurring-milestone", &[("teamcadence.yml", &config)]);
    let config = scratch.path("teamcadence.yml");
    // 19.7 started 2026-11-14 (its retrospective was due 2026-11-25, 28 days ago: more than
    // the 14 days a missed period is caught up); 19.8 started 2026-12-12: due 2026-12-23.
    let report = run_on(&gitlab, &config, "2026-12-23");
    let created = keys(&report, "create");
    assert!(
        created.contains(&"recurring/web/retro/19.8".to_owned()),
        "{created:?}"
    );
    assert!(
        !created.contains(&"recurring/web/retro/19.7".to_owned()),
        "{created:?}"
    );
    let retro = only(&gitlab, "recurring/web/retro/19.8");
    assert_eq!(retro["title"], "Retrospective: 19.8");
    assert_eq!(retro["due_date"], "2026-12-23");
    assert_eq!(assignees(&retro), ["mia"]);
    let description = retro["description"].as_str().expect("description");
    assert!(
        description.contains("It belongs to milestone 19.8 (2026-12-12 to 2027-01-15)."),
        "{description}"
    );
    // Offline, GitLab's milestones are not known: that recurring issue is an error, the
    // rest is still planned.
    let offline = bin("recurring-issues")
        .args([
            "--config",
            &config,
            "--dry-run",
            "--offline",
            "--today",
            "2026-12-23",
        ])
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    let plan = json(&offline);
    assert!(
        plan["errors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("recurring/web/retro: its milestones come from GitLab")),
        "{plan:#}"
    );
    assert!(!keys(&plan, "create").is_empty());
}

#[test]
fn a_name_from_the_config_cannot_mention_anyone_or_run_a_quick_action() {
    let gitlab = Gitlab::start(WORLD);
    let config = CONFIG.replace(
        "name: Triage rotation",
        "name: \"Triage @bob\\n/close\\n/label ~hacked -->\"",
    );
    let scratch = Scratch::new("recurring-hostile", &[("teamcadence.yml", &config)]);
    let config = scratch.path("teamcadence.yml");
    run_on(&gitlab, &config, "2026-12-02");
    let issue = only(&gitlab, &key("2026-W49"));
    assert_eq!(issue["state"], "opened");
    assert_eq!(
        issue["labels"],
        serde_json::json!(["teamcadence::recurring", "triage"])
    );
    let title = issue["title"].as_str().expect("title");
    assert!(!title.contains("@bob"), "{title}");
    let description = issue["description"].as_str().expect("description");
    assert!(!description.contains("Triage @bob"), "{description}");
    // The rotation started on 2026-12-01: there is no previous week to speak of.
    assert!(!description.contains("previous period"), "{description}");
    assert!(
        !description.lines().any(|l| l.trim_start().starts_with('/')),
        "{description}"
    );
    assert!(!description.contains("~hacked -->"), "{description}");
}
