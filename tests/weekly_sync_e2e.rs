//! The weekly sync meeting against the fake GitLab: the agenda issue is created six days
//! before the meeting (Tuesday 15:00 UTC by default); an hour before, an empty agenda
//! cancels the meeting (a note, a label, closed) and one point keeps it (a note). The
//! decision is made once, whatever the number of runs, faults or runs at the same time.

mod common;
mod rituals;

use common::{Gitlab, Scratch, job, json, keys, stderr};
use rituals::{BOB_TOKEN, BOT_TOKEN, PROJECT, comment, config, named, put, together};
use serde_json::Value;

const DECISION: &str = "sync-decision";

fn setup(name: &str, sync: &str) -> (Gitlab, Scratch) {
    let gitlab = Gitlab::start(rituals::WORLD);
    let scratch = Scratch::new(name, &[("teamcadence.yml", &config(sync))]);
    (gitlab, scratch)
}

fn run_at(gitlab: &Gitlab, scratch: &Scratch, now: &str) -> std::process::Output {
    let output = job(
        gitlab,
        "weekly-sync",
        &scratch.path("teamcadence.yml"),
        &["--now", now],
        Some(BOT_TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

/// The agenda issues in the project, oldest first.
fn agendas(gitlab: &Gitlab) -> Vec<Value> {
    let mut agendas: Vec<Value> = gitlab
        .issues(PROJECT)
        .into_iter()
        .filter(|i| {
            i["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l == "teamcadence::weekly-sync"))
        })
        .collect();
    agendas.sort_by_key(|i| i["iid"].as_u64());
    agendas
}

fn labels(issue: &Value) -> Vec<&str> {
    issue["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("label"))
        .collect()
}

/// Creates the agenda of Tuesday 2026-12-08 (due from Wednesday 2026-12-02) and returns
/// its iid.
fn agenda_of_the_8th(gitlab: &Gitlab, scratch: &Scratch) -> u64 {
    let report = json(&run_at(gitlab, scratch, "2026-12-02T08:00:00Z"));
    assert_eq!(
        keys(&report, "create"),
        ["sync/web/2026-12-08"],
        "{report:#}"
    );
    let agendas = agendas(gitlab);
    assert_eq!(agendas.len(), 1);
    agendas[0]["iid"].as_u64().expect("iid")
}

#[test]
fn an_empty_agenda_cancels_the_meeting_once() {
    let (gitlab, scratch) = setup("sync-empty", "");
    // Tuesday after the meeting: next week's agenda is not due until Wednesday.
    let report = json(&run_at(&gitlab, &scratch, "2026-12-01T16:00:00Z"));
    assert_eq!(
        common::issue(&report, "sync/web/2026-12-08")["reason"],
        "not due until 2026-12-02"
    );
    assert!(agendas(&gitlab).is_empty());

    let iid = agenda_of_the_8th(&gitlab, &scratch);
    let agenda = &agendas(&gitlab)[0];
    assert_eq!(agenda["title"], "Web weekly sync: Tue 2026-12-08 15:00 UTC");
    assert_eq!(agenda["due_date"], "2026-12-08");
    assert_eq!(agenda["state"], "opened");
    assert_eq!(labels(agenda), ["teamcadence::weekly-sync", "weekly sync"]);
    let description = agenda["description"].as_str().expect("description");
    for part in [
        "The Web weekly sync is on **Tuesday 2026-12-08 at 15:00 UTC**.",
        "by **Tue 2026-12-08 14:00 UTC**: if the agenda is still empty then, the meeting is \
         cancelled",
        "\n## Announcements\n\n## Discussion\n\n## Action items\n",
    ] {
        assert!(
            description.contains(part),
            "{part:?} missing: {description}"
        );
    }
    // A second run the same day finds it.
    run_at(&gitlab, &scratch, "2026-12-02T09:00:00Z");
    assert_eq!(agendas(&gitlab).len(), 1);

    // One minute before the cutoff nothing is decided.
    run_at(&gitlab, &scratch, "2026-12-08T13:59:00Z");
    assert!(gitlab.comments(PROJECT, &Value::from(iid)).is_empty());

    // A run five minutes late decides: cancelled.
    let report = json(&run_at(&gitlab, &scratch, "2026-12-08T14:05:00Z"));
    let plan = common::issue(&report, "sync/web/2026-12-08");
    assert_eq!(
        plan["follow_ups"],
        serde_json::json!([
            format!("add the labels meeting::cancelled to #{iid}"),
            format!("close #{iid}"),
            format!("post the note \"{DECISION}\" on #{iid}"),
        ])
    );
    let agenda = &agendas(&gitlab)[0];
    assert_eq!(agenda["state"], "closed");
    assert!(labels(agenda).contains(&"meeting::cancelled"), "{agenda:#}");
    let decision = named(&gitlab, iid, DECISION);
    assert_eq!(decision.len(), 1);
    assert!(
        decision[0].starts_with(
            "The agenda had no points 60 minutes before the meeting, so the weekly sync of \
             Tue 2026-12-08 15:00 UTC is cancelled."
        ),
        "{}",
        decision[0]
    );

    // Runs after it, late or twice, change nothing.
    for now in ["2026-12-08T14:30:00Z", "2026-12-08T16:00:00Z"] {
        run_at(&gitlab, &scratch, now);
    }
    // GitLab's own "closed" note, and the decision.
    assert_eq!(gitlab.comments(PROJECT, &Value::from(iid)).len(), 2);
    assert_eq!(named(&gitlab, iid, DECISION).len(), 1);
    assert_eq!(agendas(&gitlab).len(), 1);
}

#[test]
fn one_point_keeps_the_meeting() {
    let (gitlab, scratch) = setup("sync-point", "");
    let iid = agenda_of_the_8th(&gitlab, &scratch);
    comment(
        &gitlab,
        iid,
        BOB_TOKEN,
        "I'd like to talk about the release.",
    );
    // Exactly at the cutoff.
    run_at(&gitlab, &scratch, "2026-12-08T14:00:00Z");
    run_at(&gitlab, &scratch, "2026-12-08T14:20:00Z");
    let agenda = &agendas(&gitlab)[0];
    assert_eq!(agenda["state"], "opened");
    assert!(!labels(agenda).contains(&"meeting::cancelled"));
    let decision = named(&gitlab, iid, DECISION);
    assert_eq!(
        decision.len(),
        1,
        "{:?}",
        gitlab.comments(PROJECT, &Value::from(iid))
    );
    assert!(decision[0].starts_with(
        "The agenda has points, so the weekly sync of Tue 2026-12-08 15:00 UTC is on."
    ));

    // A point written into a section, without a comment, keeps the next one.
    run_at(&gitlab, &scratch, "2026-12-09T08:00:00Z");
    let next = agendas(&gitlab)[1].clone();
    let next_iid = next["iid"].as_u64().expect("iid");
    let edited = next["description"].as_str().expect("description").replace(
        "## Discussion\n",
        "## Discussion\n\n- The release plan (bob)\n",
    );
    put(
        &gitlab,
        &format!("/projects/eng%2Fweb/issues/{next_iid}"),
        &[("description", &edited)],
    );
    run_at(&gitlab, &scratch, "2026-12-15T14:10:00Z");
    assert_eq!(agendas(&gitlab)[1]["state"], "opened");
    assert_eq!(named(&gitlab, next_iid, DECISION).len(), 1);
    assert!(named(&gitlab, next_iid, DECISION)[0].contains("is on"));
}

#[test]
fn the_config_sets_the_day_time_zone_and_lead() {
    let (gitlab, scratch) = setup(
        "sync-config",
        "    weekly_sync: { day: thu, time: \"09:30\", timezone: Europe/Amsterdam, lead_minutes: 30, create_days_before: 1 }\n",
    );
    // Thursday 09:30 in Amsterdam is 08:30 UTC; the cutoff is 08:00 UTC.
    let report = json(&run_at(&gitlab, &scratch, "2026-12-02T08:00:00Z"));
    assert_eq!(
        keys(&report, "create"),
        ["sync/web/2026-12-03"],
        "{report:#}"
    );
    let agenda = &agendas(&gitlab)[0];
    assert_eq!(
        agenda["title"],
        "Web weekly sync: Thu 2026-12-03 09:30 Europe/Amsterdam"
    );
    let iid = agenda["iid"].as_u64().expect("iid");
    run_at(&gitlab, &scratch, "2026-12-03T07:59:00Z");
    assert!(named(&gitlab, iid, DECISION).is_empty());
    run_at(&gitlab, &scratch, "2026-12-03T08:00:00Z");
    assert_eq!(agendas(&gitlab)[0]["state"], "closed");
    assert!(named(&gitlab, iid, DECISION)[0].contains("no points 30 minutes before"));
}

#[test]
fn runs_at_the_same_time_decide_once() {
    let (gitlab, scratch) = setup("sync-together", "");
    let iid = agenda_of_the_8th(&gitlab, &scratch);
    let outputs = together(
        &gitlab,
        "weekly-sync",
        &scratch.path("teamcadence.yml"),
        &["--now", "2026-12-08T14:05:00Z"],
        3,
    );
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }
    assert_eq!(
        named(&gitlab, iid, DECISION).len(),
        1,
        "{:#?}",
        gitlab.comments(PROJECT, &Value::from(iid))
    );
    assert_eq!(agendas(&gitlab)[0]["state"], "closed");
}

#[test]
fn faults_leave_one_agenda_and_one_decision() {
    let (gitlab, scratch) = setup("sync-faults", "");
    for now in ["2026-12-02T08:00:00Z", "2026-12-08T14:05:00Z"] {
        rituals::until_done_under_faults(
            &gitlab,
            "weekly-sync",
            &scratch.path("teamcadence.yml"),
            &["--now", now],
        );
    }
    let open_or_closed = agendas(&gitlab);
    let by_key = gitlab.by_key(PROJECT);
    assert_eq!(
        by_key["sync/web/2026-12-08"].len(),
        1,
        "{open_or_closed:#?}"
    );
    let agenda = &by_key["sync/web/2026-12-08"][0];
    let iid = agenda["iid"].as_u64().expect("iid");
    assert_eq!(agenda["state"], "closed");
    assert!(labels(agenda).contains(&"meeting::cancelled"));
    assert_eq!(named(&gitlab, iid, DECISION).len(), 1);
}

#[test]
fn check_names_a_broken_ritual_template_and_a_bad_time() {
    let scratch = Scratch::new(
        "sync-check",
        &[
            (
                "teamcadence.yml",
                &config("    weekly_sync: { template: agenda.md }\n"),
            ),
            (
                "agenda.md",
                "---\ntitle: \"{{team.nam}} sync\"\n---\nPoints:\n",
            ),
            (
                "bad-time.yml",
                &config("    weekly_sync: { time: \"25:00\", lead_minutes: 2000 }\n"),
            ),
        ],
    );
    let broken = common::run(
        "teamcadence",
        &[
            "check",
            "--config",
            &scratch.path("teamcadence.yml"),
            "--today",
            "2026-12-02",
        ],
    );
    assert_eq!(broken.status.code(), Some(2), "{}", stderr(&broken));
    assert!(stderr(&broken).contains("agenda.md"), "{}", stderr(&broken));
    assert!(stderr(&broken).contains("team.nam"), "{}", stderr(&broken));

    let bad = common::run(
        "weekly-sync",
        &[
            "--config",
            &scratch.path("bad-time.yml"),
            "--dry-run",
            "--offline",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let text = stderr(&bad);
    assert!(text.contains("teams[web].weekly_sync.time"), "{text}");
    assert!(text.contains("`25:00` is not a time of day"), "{text}");
    assert!(
        text.contains("write it as HH:MM on a 24-hour clock"),
        "{text}"
    );
    assert!(
        text.contains("teams[web].weekly_sync.lead_minutes"),
        "{text}"
    );
    assert!(text.contains("2000 is more than 1440 minutes"), "{text}");
}
