//! The milestone retrospective against the fake GitLab: milestone 19.7 starts on Saturday
//! 2026-11-14, so its retrospective opens on Wednesday 2026-11-25 (11 days later), saying
//! what was delivered (the closed `Deliverable` issue 7) and what slipped (the open
//! deliverables 1 and 3), one thread per question, linked to 19.7's planning issue; once,
//! whatever the number of runs, faults or runs at the same time.

mod common;
mod rituals;

use common::{Gitlab, Scratch, job, json, keys, stderr};
use rituals::{BOT_TOKEN, PROJECT, config, named, planning_issue, together};
use serde_json::Value;

const KEY: &str = "retrospective/web/19.7";
const QUESTIONS: [&str; 4] = [
    "What went well this milestone?",
    "What didn't go well this milestone?",
    "What can we improve going forward?",
    "What praise do you have for the team?",
];

fn setup(name: &str, retro: &str) -> (Gitlab, Scratch, u64) {
    let gitlab = Gitlab::start(rituals::WORLD);
    let planning = planning_issue(&gitlab, "19.7");
    let scratch = Scratch::new(name, &[("teamcadence.yml", &config(retro))]);
    (gitlab, scratch, planning)
}

fn run_on(gitlab: &Gitlab, scratch: &Scratch, today: &str) -> std::process::Output {
    job(
        gitlab,
        "retrospective",
        &scratch.path("teamcadence.yml"),
        &["--today", today],
        Some(BOT_TOKEN),
    )
}

/// The retrospective issues of the project, by key.
fn retrospectives(gitlab: &Gitlab) -> Vec<Value> {
    gitlab.by_key(PROJECT).remove(KEY).unwrap_or_default()
}

/// The iids an issue is linked to.
fn links(gitlab: &Gitlab, iid: u64) -> Vec<u64> {
    gitlab
        .get(&format!("/projects/eng%2Fweb/issues/{iid}/links"))
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["iid"].as_u64().expect("iid"))
        .collect()
}

#[test]
fn the_retrospective_opens_on_its_wednesday_with_the_milestones_deliverables() {
    let (gitlab, scratch, planning) = setup("retro-day", "");
    let before = run_on(&gitlab, &scratch, "2026-11-24");
    assert_eq!(before.status.code(), Some(0), "{}", stderr(&before));
    assert_eq!(
        common::issue(&json(&before), KEY)["reason"],
        "not due until 2026-11-25"
    );
    assert!(retrospectives(&gitlab).is_empty());

    for _ in 0..2 {
        let output = run_on(&gitlab, &scratch, "2026-11-25");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let issues = retrospectives(&gitlab);
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(issue["title"], "Web 19.7 retrospective");
    assert_eq!(issue["milestone"]["title"], "19.7");
    assert_eq!(issue["confidential"], false);
    assert_eq!(
        issue["labels"],
        serde_json::json!(["retrospective", "teamcadence::retrospective"])
    );
    let url = |iid: u64| format!("{}/eng/web/-/issues/{iid}", gitlab.url());
    let description = issue["description"].as_str().expect("description");
    for part in [
        "The asynchronous retrospective of **19.7** (2026-11-14 to 2026-12-11).".to_owned(),
        format!("## What we delivered\n\n- Done already ({})\n", url(7)),
        format!(
            "## What slipped\n\n- Bob's search feature ({}), bob\n- Dan's cache work ({}), dan\n",
            url(1),
            url(3)
        ),
        "1. What went well this milestone?\n".to_owned(),
    ] {
        assert!(
            description.contains(&part),
            "{part:?} missing: {description}"
        );
    }
    assert!(
        !description.contains("Next milestone's work"),
        "{description}"
    );
    let iid = issue["iid"].as_u64().expect("iid");
    for (n, question) in QUESTIONS.iter().enumerate() {
        let thread = named(&gitlab, iid, &format!("question:{}", n + 1));
        assert_eq!(thread.len(), 1, "{question}");
        assert!(
            thread[0].starts_with(&format!("**{question}**\n\nReply in this thread.")),
            "{}",
            thread[0]
        );
    }
    assert_eq!(links(&gitlab, iid), [planning]);

    // Two weeks after its day it is still made (a missed day), not after.
    let late = run_on(&gitlab, &scratch, "2026-12-10");
    assert_eq!(
        common::issue(&json(&late), KEY)["reason"],
        "its day was 2026-11-25, more than 14 days ago: it is not created late"
    );
}

#[test]
fn the_config_makes_it_confidential_with_its_own_questions() {
    let (gitlab, scratch, _) = setup(
        "retro-config",
        "    retrospective: { confidential: true, questions: [\"What should we keep doing?\"] }\n",
    );
    let output = run_on(&gitlab, &scratch, "2026-12-01");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(keys(&json(&output), "create"), [KEY]);
    let issue = &retrospectives(&gitlab)[0];
    assert_eq!(issue["confidential"], true);
    let iid = issue["iid"].as_u64().expect("iid");
    let comments = gitlab.comments(PROJECT, &Value::from(iid));
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].starts_with("**What should we keep doing?**"));
}

#[test]
fn runs_at_the_same_time_open_it_once() {
    let (gitlab, scratch, planning) = setup("retro-together", "");
    let outputs = together(
        &gitlab,
        "retrospective",
        &scratch.path("teamcadence.yml"),
        &["--today", "2026-11-25"],
        3,
    );
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }
    let issues = retrospectives(&gitlab);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let iid = issues[0]["iid"].as_u64().expect("iid");
    for n in 1..=4 {
        assert_eq!(named(&gitlab, iid, &format!("question:{n}")).len(), 1);
    }
    assert_eq!(links(&gitlab, iid), [planning]);
}

#[test]
fn faults_leave_one_retrospective_with_its_threads() {
    let (gitlab, scratch, planning) = setup("retro-faults", "");
    rituals::until_done_under_faults(
        &gitlab,
        "retrospective",
        &scratch.path("teamcadence.yml"),
        &["--today", "2026-11-25"],
    );
    let issues = retrospectives(&gitlab);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let iid = issues[0]["iid"].as_u64().expect("iid");
    for n in 1..=4 {
        assert_eq!(named(&gitlab, iid, &format!("question:{n}")).len(), 1);
    }
    assert_eq!(links(&gitlab, iid), [planning]);
}

#[test]
fn the_ritual_binaries_help_like_the_jobs_and_refuse_a_bad_now() {
    for (binary, first) in [
        ("async-updates", "Ask for the weekly async status updates"),
        ("weekly-sync", "Prepare the weekly sync meeting"),
        ("retrospective", "Open the milestone retrospective issue"),
    ] {
        let output = common::run(binary, &["--help"]);
        assert_eq!(output.status.code(), Some(0));
        let text = common::stdout(&output);
        assert!(text.starts_with(first), "{text}");
        for part in [
            "\nEnvironment:\n  TEAMCADENCE_CONFIG ",
            "GITLAB_TOKEN",
            "\n  0  the run did what was due",
            "\n  1  some work failed",
            "\n  2  bad usage, config, template or token; nothing was written",
            &format!("Examples:\n  {binary} "),
            "--annotations <ANNOTATIONS>",
        ] {
            assert!(
                text.contains(part),
                "{binary}: {part:?} missing from {text}"
            );
        }
    }
    let teamcadence = common::stdout(&common::run("teamcadence", &["--help"]));
    for binary in ["async-updates", "weekly-sync", "retrospective"] {
        assert!(teamcadence.contains(binary), "{teamcadence}");
    }
    for binary in ["async-updates", "weekly-sync"] {
        let output = common::run(binary, &["--now", "next tuesday", "--dry-run", "--offline"]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(
                "`next tuesday` is not an instant: write it as RFC 3339, for example \
                 2026-12-08T14:00:00Z or 2026-12-08T15:00:00+01:00"
            ),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn hostile_titles_stay_data_in_the_retrospective_and_the_summary() {
    let (gitlab, scratch, planning) = setup(
        "retro-hostile",
        "    async_updates: { labels: [\"workflow::in dev\"] }\n",
    );
    let bob = gitlab.get("/users?username=bob")[0]["id"].to_string();
    let milestone = gitlab.get("/projects/eng%2Fweb/milestones?title=19.7")[0]["id"].to_string();
    let hostile = "/label ~hacked @all | cell [click](https://evil.example) <!-- x --> #1";
    rituals::post(
        &gitlab,
        "/projects/eng%2Fweb/issues",
        common::ADMIN_TOKEN,
        &[
            ("title", hostile),
            ("labels", "workflow::in dev,Deliverable"),
            ("assignee_id", &bob),
            ("milestone_id", &milestone),
        ],
    );
    let output = run_on(&gitlab, &scratch, "2026-11-25");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let retro = &retrospectives(&gitlab)[0];
    let summary_run = job(
        &gitlab,
        "async-updates",
        &scratch.path("teamcadence.yml"),
        &["--now", "2026-12-03T12:00:00Z"],
        Some(BOT_TOKEN),
    );
    assert_eq!(
        summary_run.status.code(),
        Some(0),
        "{}",
        stderr(&summary_run)
    );
    let summary = named(&gitlab, planning, "async-summary:2026-W49");
    assert_eq!(summary.len(), 1);
    for text in [
        retro["description"].as_str().expect("description"),
        &summary[0],
    ] {
        assert!(text.contains("cell"), "the title is there: {text}");
        for raw in ["@all", "[click](", "<!-- x", " ~hacked", " #1", " | cell"] {
            assert!(!text.contains(raw), "{raw:?} reached the text: {text}");
        }
        assert!(
            !text.lines().any(|line| line.trim_start().starts_with('/')),
            "{text}"
        );
    }
    // Nothing ran: the label does not exist on any issue, and nobody was mentioned.
    assert!(gitlab.issues(PROJECT).iter().all(|i| {
        !i["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .any(|l| l == "hacked")
    }));
}
