//! Issue 17 on the fake GitLab: independent writes go out together within the concurrency
//! the run is given (and never more), a re-run that finds every issue in place reads one
//! listing and writes nothing, and the concurrency and write budget are checked where they
//! are given. Timing is not asserted here (it lives in `tools/bench`): what the fake saw is.
//!
//! The team: seven people, each taking three stretches off (Monday to Wednesday), so 21
//! coverage issues are due on 2027-03-01, each with its retrospective thread.

mod common;

use std::collections::BTreeMap;

use common::{Gitlab, Scratch, job, json, stderr};
use gitlab_fake::Conditions;

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pto-world.yml");
const BOT_TOKEN: &str = "glpat-pto-bot-SECRET-61";
const PROJECT: &str = "eng/pto-coverage";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";
const PEOPLE: [&str; 7] = ["bob", "carol", "dan", "erin", "finn", "gus", "ivy"];
const WEEKS: [(&str, &str); 3] = [
    ("2027-03-08", "2027-03-10"),
    ("2027-03-15", "2027-03-17"),
    ("2027-03-22", "2027-03-24"),
];

fn config(gitlab_section: &str) -> String {
    let mut time_off = String::new();
    for person in PEOPLE {
        for (week, (from, until)) in WEEKS.iter().enumerate() {
            time_off.push_str(&format!(
                "  - {{ id: {person}-{week}, person: {person}, from: {from}, until: {until} }}\n"
            ));
        }
    }
    common::team_of_seven(gitlab_section, &time_off)
}

fn pto(gitlab: &Gitlab, config: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--today", "2027-03-01"];
    args.extend_from_slice(extra);
    job(gitlab, "pto-coverage", config, &args, Some(BOT_TOKEN))
}

/// Each of the 21 keys has one issue, and each issue one retrospective thread.
fn assert_each_once(gitlab: &Gitlab) {
    let by_key = gitlab.by_key(PROJECT);
    assert_eq!(by_key.len(), 21, "{:?}", by_key.keys());
    for (key, issues) in &by_key {
        assert_eq!(issues.len(), 1, "{key}");
        let threads = gitlab
            .comments(PROJECT, &issues[0]["iid"])
            .iter()
            .filter(|body| {
                teamcadence_core::apply::note_id_in(body).as_deref() == Some("retrospective")
            })
            .count();
        assert_eq!(threads, 1, "{key}");
    }
}

#[test]
fn writes_go_out_together_and_never_more_than_the_concurrency_allows() {
    let scratch = Scratch::new("org-scale-concurrency", &[("c.yml", &config(""))]);
    for (concurrency, at_least, at_most) in [("1", 1, 1), ("4", 2, 4)] {
        let gitlab = Gitlab::start(WORLD);
        // Latency keeps each request open long enough for others to overlap it.
        gitlab.set(Conditions {
            latency_ms: 40,
            ..Conditions::default()
        });
        let out = pto(
            &gitlab,
            &scratch.path("c.yml"),
            &["--concurrency", concurrency],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_each_once(&gitlab);
        assert_eq!(gitlab.count(CREATE), 21);
        assert_eq!(gitlab.count(COMMENT), 21);
        let peak = gitlab.fake.state().peak_in_flight();
        assert!(
            (at_least..=at_most).contains(&peak),
            "--concurrency {concurrency}: {peak} requests at once"
        );
    }
}

#[test]
fn a_rerun_with_every_issue_in_place_reads_one_listing_and_writes_nothing() {
    let scratch = Scratch::new("org-scale-rerun", &[("c.yml", &config(""))]);
    let gitlab = Gitlab::start(WORLD);
    let first = pto(&gitlab, &scratch.path("c.yml"), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_each_once(&gitlab);

    gitlab.fake.state().reset_counters();
    let again = pto(&gitlab, &scratch.path("c.yml"), &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    // The token check and one page of the 21 open coverage issues: no comments read (each
    // issue claims its thread and has one comment), no statuses (no issue to write), no
    // lock, no write.
    let expected = BTreeMap::from([
        ("GET /api/v4/projects/:id/issues".to_owned(), 1),
        ("GET /api/v4/user".to_owned(), 1),
    ]);
    assert_eq!(gitlab.fake.state().request_counts(), expected);
    let report = json(&again);
    let plans = report["issues"].as_array().expect("issues");
    assert_eq!(plans.len(), 21);
    assert!(
        plans.iter().all(|plan| plan["action"] == "exists"),
        "{report}"
    );
    assert_each_once(&gitlab);
}

#[test]
fn a_comment_from_someone_else_does_not_hide_a_missing_thread_when_none_was_claimed() {
    // An issue made before issues claimed their threads (no claim line) with a comment by a
    // person: the run reads its comments and posts the thread.
    let scratch = Scratch::new("org-scale-unclaimed", &[("c.yml", &config(""))]);
    let gitlab = Gitlab::start(WORLD);
    let first = pto(&gitlab, &scratch.path("c.yml"), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let by_key = gitlab.by_key(PROJECT);
    let issue = &by_key["pto/bob-0"][0];
    let iid = issue["iid"].as_u64().expect("iid");
    let description = issue["description"].as_str().expect("description");
    // What teamcadence wrote: the claim line sits right above the PTO record.
    assert!(
        description.contains("<!-- teamcadence:notes=retrospective -->"),
        "{description}"
    );
    let unclaimed = description.replace("<!-- teamcadence:notes=retrospective -->\n\n", "");
    let store = gitlab.fake.state();
    let admin = reqwest_put_description(&gitlab, iid, &unclaimed);
    assert_eq!(admin, 200);
    // Its thread is deleted by a person; another person comments.
    let notes = gitlab.get(&format!(
        "/projects/eng%2Fpto-coverage/issues/{iid}/notes?per_page=100"
    ));
    let thread = notes
        .as_array()
        .expect("notes")
        .iter()
        .find(|n| {
            teamcadence_core::apply::note_id_in(n["body"].as_str().unwrap_or_default()).as_deref()
                == Some("retrospective")
        })
        .expect("thread")["id"]
        .as_u64()
        .expect("id");
    assert_eq!(delete_note(&gitlab, iid, thread), 204);
    assert_eq!(post_note(&gitlab, iid, "Thanks, I will cover triage."), 201);

    store.reset_counters();
    let again = pto(&gitlab, &scratch.path("c.yml"), &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        gitlab.count("GET /api/v4/projects/:id/issues/:issue_iid/notes"),
        1,
        "only the unclaimed issue's comments are read"
    );
    assert_eq!(gitlab.count(COMMENT), 1);
    assert_each_once(&gitlab);
}

#[test]
fn concurrency_and_write_budget_out_of_range_are_refused_naming_the_field() {
    let bad = config("gitlab:\n  concurrency: 0\n");
    let scratch = Scratch::new("org-scale-bad", &[("bad.yml", &bad)]);
    let out = common::run(
        "pto-coverage",
        &[
            "--config",
            &scratch.path("bad.yml"),
            "--dry-run",
            "--offline",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gitlab.concurrency"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("from 1 to 64"), "{}", stderr(&out));

    let good = config("gitlab:\n  concurrency: 12\n  writes_per_minute: 0\n");
    let scratch = Scratch::new("org-scale-good", &[("good.yml", &good)]);
    let out = common::run(
        "pto-coverage",
        &[
            "--config",
            &scratch.path("good.yml"),
            "--dry-run",
            "--offline",
            "--today",
            "2027-03-01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    for flag in [["--concurrency", "0"], ["--concurrency", "65"]] {
        let mut args = vec!["--config", EXAMPLE_CONFIG, "--dry-run", "--offline"];
        args.extend_from_slice(&flag);
        let out = common::run("pto-coverage", &args);
        assert_eq!(out.status.code(), Some(2), "{flag:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--concurrency"), "{}", stderr(&out));
    }
}

const EXAMPLE_CONFIG: &str = common::EXAMPLE;

fn admin_request(
    gitlab: &Gitlab,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
) -> u16 {
    let url = format!("{}/api/v4{path}", gitlab.url());
    let body: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    gitlab.runtime.block_on(async {
        reqwest::Client::new()
            .request(method, url)
            .header("PRIVATE-TOKEN", common::ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    })
}

fn reqwest_put_description(gitlab: &Gitlab, iid: u64, description: &str) -> u16 {
    admin_request(
        gitlab,
        reqwest::Method::PUT,
        &format!("/projects/eng%2Fpto-coverage/issues/{iid}"),
        &[("description", description)],
    )
}

fn delete_note(gitlab: &Gitlab, iid: u64, note: u64) -> u16 {
    admin_request(
        gitlab,
        reqwest::Method::DELETE,
        &format!("/projects/eng%2Fpto-coverage/issues/{iid}/notes/{note}"),
        &[],
    )
}

fn post_note(gitlab: &Gitlab, iid: u64, body: &str) -> u16 {
    admin_request(
        gitlab,
        reqwest::Method::POST,
        &format!("/projects/eng%2Fpto-coverage/issues/{iid}/notes"),
        &[("body", body)],
    )
}
