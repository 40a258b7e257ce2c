//! The three jobs on a hostile corpus (tests/fixtures/hostile/): every free-text field of the
//! config, the time-off file, the feed and the holiday calendar holds text that would act in
//! GitLab if it were written as it is (a premature `-->`, quick actions, mentions, references,
//! links, images, forged markers). The first run creates what is due and nothing of the data
//! acts; the re-run of each job is a no-op that writes nothing and takes under a second.
//!
//! What should exist is worked out by hand from the fixture, for `--today 2026-12-08`:
//! - planning: the listed milestone starts Sat 2026-12-19, so its issue is due from 12 days
//!   before (2026-12-07): one issue in eng/web, assigned to the EM mia and the PM pat.
//! - onboarding: erin starts Thu 2026-12-10, due from 5 working days before: one issue in
//!   eng/web (erin has no account, so only bob the buddy and mia the manager are assigned).
//! - pto: bob's winter break (Mon 2026-12-21 to Fri 2027-01-01, 10 working days but
//!   Christmas 12-25 and Boxing Day 12-26 from the holiday calendar) and carol's week from the
//!   feed (Mon 2026-12-14 to Fri 2026-12-18, 5 working days) are due (first days within 14
//!   days); dan's trip (2027-01-04) and carol's feed event whose UID looks like bob's config
//!   key (2027-01-18) are not yet.

mod common;

use std::time::{Duration, Instant};

use common::{Gitlab, bin, json, stderr};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile");
const BOT_TOKEN: &str = "glpat-hostile-bot-SECRET-13";
const TODAY: &str = "2026-12-08";
const JOBS: [&str; 3] = ["planning-issue", "onboarding-issue", "pto-coverage"];
const WRITES: [&str; 4] = [
    "POST /api/v4/projects/:id/issues",
    "PUT /api/v4/projects/:id/issues/:issue_iid",
    "POST /api/v4/projects/:id/issues/:issue_iid/notes",
    "POST /api/v4/projects/:id/issues/:issue_iid/links",
];

fn run_job(gitlab: &Gitlab, name: &str) -> (std::process::Output, Duration) {
    let config = format!("{DIR}/teamcadence.yml");
    let started = Instant::now();
    let output = bin(name)
        .args(["--config", &config, "--format", "json", "--today", TODAY])
        .args(["--gitlab-url", &gitlab.url()])
        .env("GITLAB_TOKEN", BOT_TOKEN)
        .env("TEAMCADENCE_RETRY_BASE_MS", "5")
        .output()
        .expect("job runs");
    (output, started.elapsed())
}

fn writes(gitlab: &Gitlab) -> u64 {
    WRITES.iter().map(|route| gitlab.count(route)).sum()
}

/// Lines of `text` that GitLab would act on or link, as GitLab's documentation describes
/// them; written here independently of teamcadence's neutraliser.
fn live_hostile_text(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with('/') {
            found.push(format!("quick action: {line}"));
        }
    }
    // The hostile values' mentions and references, exactly as the corpus writes them; a
    // neutralised one has a zero-width space or an escape after its sigil.
    for live in [
        "@all",
        "@mallory",
        "#1 ",
        "!3",
        "~hacked",
        "&7",
        "$5",
        "%\"19.8\"",
        "](https://evil",
        "![i]",
        "[x](",
    ] {
        // A sigil escaped with a backslash is literal text in GitLab Flavored Markdown.
        let unescaped = text
            .match_indices(live)
            .any(|(at, _)| !text[..at].ends_with('\\'));
        if unescaped {
            found.push(format!("live `{live}`"));
        }
    }
    found
}

/// The description with teamcadence's own hidden records (whole lines `<!-- teamcadence:… -->`)
/// left out: no other `-->` may remain.
fn outside_records(description: &str) -> String {
    description
        .lines()
        .filter(|line| !(line.starts_with("<!-- teamcadence:") && line.ends_with(" -->")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_inert(gitlab: &Gitlab, project: &str, issue: &Value) {
    let title = issue["title"].as_str().expect("title");
    let description = issue["description"].as_str().unwrap_or_default();
    let what = format!("{project}#{} {title:?}", issue["iid"]);
    assert_eq!(issue["state"], "opened", "{what} was closed");
    assert_ne!(
        issue["due_date"], "2020-01-01",
        "{what}: a data value set the due date"
    );
    for label in issue["labels"].as_array().expect("labels") {
        assert_ne!(label, "hacked", "{what}: a data value added a label");
    }
    for assignee in issue["assignees"].as_array().expect("assignees") {
        assert_ne!(
            assignee["username"], "mallory",
            "{what}: a data value assigned someone"
        );
    }
    assert!(
        live_hostile_text(title).is_empty(),
        "{what}: title {:?}",
        live_hostile_text(title)
    );
    let visible = outside_records(description);
    assert!(
        !visible.contains("-->"),
        "{what}: a `-->` outside the hidden records:\n{visible}"
    );
    assert!(
        live_hostile_text(&visible).is_empty(),
        "{what}: {:?}",
        live_hostile_text(&visible)
    );
    for comment in gitlab.comments(project, &issue["iid"]) {
        let visible = outside_records(&comment);
        assert!(
            live_hostile_text(&visible).is_empty() && !visible.contains("-->"),
            "{what}: comment {comment:?}"
        );
    }
}

#[test]
fn nothing_in_the_data_acts_and_a_rerun_is_a_quick_no_op() {
    let gitlab = Gitlab::start(&format!("{DIR}/world.yml"));

    for name in JOBS {
        let (output, _) = run_job(&gitlab, name);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name} first run: {}",
            stderr(&output)
        );
    }

    let web = gitlab.issues("eng/web");
    let coverage = gitlab.issues("eng/pto-coverage");
    // One planning issue and one onboarding issue in eng/web, two coverage issues.
    assert_eq!(web.len(), 2, "eng/web: {web:#?}");
    assert_eq!(coverage.len(), 2, "eng/pto-coverage: {coverage:#?}");
    let mut due: Vec<&str> = coverage
        .iter()
        .map(|i| i["due_date"].as_str().expect("due date"))
        .collect();
    due.sort_unstable();
    // Due on the first day off at the latest: carol's week, bob's winter break.
    assert!(due[0] <= "2026-12-14" && due[1] <= "2026-12-21", "{due:?}");
    for issue in &web {
        assert_inert(&gitlab, "eng/web", issue);
    }
    for issue in &coverage {
        assert_inert(&gitlab, "eng/pto-coverage", issue);
    }

    let before = writes(&gitlab);
    for name in JOBS {
        let (output, took) = run_job(&gitlab, name);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name} re-run: {}",
            stderr(&output)
        );
        let report = json(&output);
        for issue in report["issues"].as_array().expect("issues") {
            assert_ne!(issue["action"], "create", "{name} re-run: {issue:#}");
        }
        assert!(
            took < Duration::from_secs(1),
            "{name}: the no-op re-run took {took:?}"
        );
    }
    assert_eq!(writes(&gitlab), before, "a re-run wrote to GitLab");
}
