//! The weekly async status update prompts against the fake GitLab: on Wednesday in each
//! person's own zone, one prompt per issue and week for the members who are at work, none
//! where the assignee is away or already posted an update, nothing twice under re-runs,
//! faults or runs that overlap; then the week's summary on the planning issue.
//!
//! The world (tests/fixtures/rituals-world.yml): issues 1 to 4 are open in 19.7 with
//! `workflow::in dev`, assigned to bob (UTC), carol (Los Angeles), dan (off all week) and
//! erin; 5 to 8 are in the next milestone, an outsider's, closed, or lack the label.

mod common;
mod rituals;

use common::{Gitlab, Scratch, job, json, keys, stderr};
use rituals::{BOB_TOKEN, BOT_TOKEN, ERIN_TOKEN, comment, config, named, planning_issue, together};
use serde_json::Value;

/// Wednesday 07:00 UTC: Wednesday for bob, dan and erin, still Tuesday 23:00 for carol.
const WED_MORNING: &str = "2026-12-02T07:00:00Z";
/// Wednesday 20:00 UTC: Wednesday noon for carol.
const WED_EVENING: &str = "2026-12-02T20:00:00Z";
/// Thursday noon UTC: the update day is over for everyone, carol included.
const THURSDAY: &str = "2026-12-03T12:00:00Z";
/// The name of this week's prompt on an issue.
const PROMPT: &str = "async-update:2026-W49";

fn setup(name: &str) -> (Gitlab, Scratch) {
    let gitlab = Gitlab::start(rituals::WORLD);
    let scratch = Scratch::new(
        name,
        &[(
            "teamcadence.yml",
            &config("    async_updates: { labels: [\"workflow::in dev\"] }\n"),
        )],
    );
    (gitlab, scratch)
}

fn run_at(gitlab: &Gitlab, scratch: &Scratch, now: &str) -> std::process::Output {
    job(
        gitlab,
        "async-updates",
        &scratch.path("teamcadence.yml"),
        &["--now", now],
        Some(BOT_TOKEN),
    )
}

/// How many comments each of issues 1 to 8 has.
fn comment_counts(gitlab: &Gitlab) -> Vec<usize> {
    (1..=8)
        .map(|iid| gitlab.comments(rituals::PROJECT, &Value::from(iid)).len())
        .collect()
}

#[test]
fn prompts_go_to_members_at_work_on_their_wednesday_once_a_week() {
    let (gitlab, scratch) = setup("async-day");
    comment(
        &gitlab,
        4,
        ERIN_TOKEN,
        "## Async Status Update 2026-12-02\n\n**Progress & Status**\n\n- The page renders.",
    );

    let output = run_at(&gitlab, &scratch, WED_MORNING);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    // Last week's summary is due too (its update day is over), but this world has no
    // planning issue to put it on.
    assert_eq!(
        keys(&report, "exists"),
        [
            "async-update/eng/web#1/2026-W49",
            "async-summary/web/2026-W48"
        ]
    );
    let summary = common::issue(&report, "async-summary/web/2026-W48");
    assert_eq!(
        summary["follow_ups"],
        serde_json::json!(["wait: its issue does not exist yet"])
    );
    let reasons: Vec<(String, String)> = report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["action"] == "skip")
        .map(|i| {
            (
                i["key"].as_str().expect("key").to_owned(),
                i["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "async-update/eng/web#2/2026-W49".to_owned(),
                "the update day is Wednesday; it is Tuesday for carol".to_owned()
            ),
            (
                "async-update/eng/web#3/2026-W49".to_owned(),
                "dan is away on 2026-12-02 (time off)".to_owned()
            ),
            (
                "async-update/eng/web#4/2026-W49".to_owned(),
                "erin posted an update on 2026-12-02 this week".to_owned()
            ),
        ]
    );
    // Only bob's issue got a prompt; erin's has her own update alone.
    assert_eq!(comment_counts(&gitlab), [1, 0, 0, 1, 0, 0, 0, 0]);
    let prompt = &named(&gitlab, 1, PROMPT)[0];
    assert!(
        prompt.starts_with(
            "@bob: it is Wednesday, time for this issue's weekly async status update."
        ),
        "{prompt}"
    );
    for part in [
        "\n## Async Status Update 2026-12-02\n",
        "\n**Progress & Status**\n",
        "\n**Next Steps**\n",
        "\n**Blockers**\n",
        "\n**Confidence that this makes 19.7**\n",
        "\n- [ ] Not confident\n- [ ] Slightly confident\n- [ ] Very confident\n",
        "I updated the `workflow::` label",
        "\n/cc @mia, @pat\n",
    ] {
        assert!(prompt.contains(part), "{part:?} missing from {prompt}");
    }

    // The same morning again: nothing new.
    let again = run_at(&gitlab, &scratch, WED_MORNING);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(comment_counts(&gitlab), [1, 0, 0, 1, 0, 0, 0, 0]);
    let report = json(&again);
    assert_eq!(
        report["issues"][0]["follow_ups"],
        serde_json::json!([]),
        "{report:#}"
    );

    // In the evening it is Wednesday for carol too: her issue gets its prompt, bob's not
    // a second one.
    let evening = run_at(&gitlab, &scratch, WED_EVENING);
    assert_eq!(evening.status.code(), Some(0), "{}", stderr(&evening));
    assert_eq!(comment_counts(&gitlab), [1, 1, 0, 1, 0, 0, 0, 0]);
    assert!(named(&gitlab, 2, PROMPT)[0].starts_with("@carol: it is Wednesday"));

    // Next Wednesday (02:00 for carol) is a new week: everyone gets a prompt, dan is back.
    let next_week = run_at(&gitlab, &scratch, "2026-12-09T10:00:00Z");
    assert_eq!(next_week.status.code(), Some(0), "{}", stderr(&next_week));
    assert_eq!(comment_counts(&gitlab), [2, 2, 1, 2, 0, 0, 0, 0]);
    assert_eq!(named(&gitlab, 3, "async-update:2026-W50").len(), 1);
}

#[test]
fn the_summary_goes_on_the_planning_issue_once_the_day_is_over() {
    let (gitlab, scratch) = setup("async-summary");
    let planning = planning_issue(&gitlab, "19.7");
    comment(
        &gitlab,
        4,
        ERIN_TOKEN,
        "## Async Status Update 2026-12-02\n\nThe page renders.",
    );
    assert_eq!(
        run_at(&gitlab, &scratch, WED_MORNING).status.code(),
        Some(0)
    );
    comment(
        &gitlab,
        1,
        BOB_TOKEN,
        "## Async Status Update 2026-12-02\n\nSearch is in review.",
    );
    // Wednesday evening: carol is still on her Wednesday, so no summary yet.
    assert_eq!(
        run_at(&gitlab, &scratch, WED_EVENING).status.code(),
        Some(0)
    );
    assert!(named(&gitlab, planning, "async-summary:2026-W49").is_empty());

    for _ in 0..2 {
        let output = run_at(&gitlab, &scratch, THURSDAY);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let summaries = named(&gitlab, planning, "async-summary:2026-W49");
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let summary = &summaries[0];
    let url = |iid: u64| format!("{}/eng/web/-/issues/{iid}", gitlab.url());
    for part in [
        "## Async status updates, week 2026-W49".to_owned(),
        "The update day was Wednesday 2026-12-02.".to_owned(),
        format!("| Bob's search feature | {} | bob | 2026-12-02 |", url(1)),
        format!("| Erin's new page | {} | erin | 2026-12-02 |", url(4)),
        format!("| Carol's sync fix | {} | carol |", url(2)),
        format!("| Dan's cache work | {} | dan |", url(3)),
        "### Away on the update day\n\n- Dan Dorsey (time off)".to_owned(),
    ] {
        assert!(summary.contains(&part), "{part:?} missing from {summary}");
    }
    let updated = summary
        .split("### Not updated")
        .next()
        .expect("updated part");
    assert!(!updated.contains("Carol"), "{summary}");
}

#[test]
fn faults_leave_one_prompt_per_issue() {
    let (gitlab, scratch) = setup("async-faults");
    rituals::until_done_under_faults(
        &gitlab,
        "async-updates",
        &scratch.path("teamcadence.yml"),
        &["--now", WED_EVENING],
    );
    assert_eq!(named(&gitlab, 1, PROMPT).len(), 1);
    assert_eq!(named(&gitlab, 2, PROMPT).len(), 1);
    // Erin posted no update of her own here, so her issue gets a prompt too.
    assert_eq!(comment_counts(&gitlab), [1, 1, 0, 1, 0, 0, 0, 0]);
}

#[test]
fn runs_that_overlap_post_each_prompt_once() {
    let (gitlab, scratch) = setup("async-together");
    let outputs = together(
        &gitlab,
        "async-updates",
        &scratch.path("teamcadence.yml"),
        &["--now", WED_EVENING],
        3,
    );
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    }
    // Erin posted no update of her own here, so her issue gets a prompt too.
    assert_eq!(comment_counts(&gitlab), [1, 1, 0, 1, 0, 0, 0, 0]);
}
