//! Snapshots of the default issue templates rendered from the bundled example config, so
//! that any change to what teams receive shows up in review.

use std::path::PathBuf;

use chrono::NaiveDate;
use teamcadence_core::config::{Config, SourceFiles};
use teamcadence_core::jobs::planning::{History, PastWork};
use teamcadence_core::jobs::{self, Scope};
use teamcadence_core::plan::{FollowUp, IssuePlan};

/// Reads files relative to the repository's `examples/` folder.
struct Examples(PathBuf);

impl SourceFiles for Examples {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(self.0.join(path))
    }
}

fn example() -> Config {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let text = std::fs::read_to_string(dir.join("teamcadence.yml")).expect("example config");
    Config::parse("examples/teamcadence.yml", &text, &Examples(dir)).expect("example is valid")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// The plan as a reviewer reads it: the fields, then the description.
fn shown(plan: &IssuePlan) -> String {
    format!(
        "key: {}\naction: {:?}\nproject: {}\ntitle: {}\nlabels: {:?}\nassignees: {:?}\nmilestone: {:?}\ndue_date: {:?}\nconfidential: {}\n---\n{}",
        plan.key,
        plan.action,
        plan.project,
        plan.title,
        plan.labels,
        plan.assignees,
        plan.milestone,
        plan.due_date.map(|d| d.to_string()),
        plan.confidential,
        plan.description
    )
}

fn find<'a>(plans: &'a [IssuePlan], key: &str) -> &'a IssuePlan {
    plans
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no plan {key}"))
}

#[test]
fn planning_issue() {
    let config = example();
    let today = date("2026-12-01");
    let mut facts = jobs::planning::offline_facts(&config, today);
    let team = facts[0].as_mut().expect("the example team plans");
    // What GitLab would hold: closed issues of 19.6, 19.5 and 19.4, the last finished.
    let closed = |closed_issues, weight, unweighted| PastWork {
        closed_issues,
        weight,
        unweighted,
    };
    team.history = History::Read(vec![
        closed(12, 31, 1),
        closed(10, 26, 0),
        closed(14, 35, 2),
    ]);
    let report = jobs::planning::plan(&config, today, &facts).expect("renders");
    let plan = find(&report.issues, "planning/code-creation/19.8");
    let follow_ups: Vec<String> = plan
        .follow_ups
        .iter()
        .map(|f| match f {
            FollowUp::Note { id, body } => format!("note {id}:\n{body}"),
            other => other.describe(),
        })
        .collect();
    insta::assert_snapshot!(format!(
        "{}\n--- follow-ups ---\n{}",
        shown(plan),
        follow_ups.join("\n")
    ));
}

#[test]
fn pto_coverage_issue() {
    let report = jobs::pto::plan(
        &example(),
        date("2026-12-07"),
        Scope::Upcoming,
        None,
        &jobs::pto::Facts::default(),
    )
    .expect("renders");
    insta::assert_snapshot!(shown(find(&report.issues, "pto/bob/2026-12-21")));
}

#[test]
fn pto_coverage_issue_recorded_after_the_planning_lock() {
    // Grace's ten days off were recorded on 2026-12-10, after 19.8's planning lock
    // (2026-12-07): the issue asks for the manager's exception.
    let report = jobs::pto::plan(
        &example(),
        date("2026-12-21"),
        Scope::Upcoming,
        None,
        &jobs::pto::Facts::default(),
    )
    .expect("renders");
    let plan = find(&report.issues, "pto/grace/2027-01-04");
    assert!(
        plan.description
            .contains("after the planning lock (2026-12-07)")
    );
    insta::assert_snapshot!(shown(plan));
}

#[test]
fn onboarding_issue() {
    let report = jobs::onboarding::plan(
        &example(),
        date("2026-11-30"),
        Scope::Upcoming,
        None,
        &jobs::onboarding::Facts::default(),
    )
    .expect("renders");
    insta::assert_snapshot!(shown(find(&report.issues, "onboarding/dave")));
}

#[test]
fn recurring_issue_with_a_skipped_turn() {
    // On Monday 2026-12-21 the triage rotation's turn is bob's, who is on his winter break.
    let report = jobs::recurring::plan(
        &example(),
        date("2026-12-21"),
        Scope::Upcoming,
        &jobs::recurring::Facts::default(),
    )
    .expect("renders");
    insta::assert_snapshot!(shown(find(
        &report.issues,
        "recurring/code-creation/triage/2026-W52"
    )));
}

#[test]
fn velocity_says_when_the_history_is_too_short() {
    let config = example();
    let team = &config.teams[0];
    let today = date("2026-12-01");
    let facts = jobs::planning::offline_facts(&config, today);
    let timeline = &facts[0].as_ref().expect("plans").timeline;
    let work = |closed_issues, weight| PastWork {
        closed_issues,
        weight,
        unweighted: 0,
    };
    let note = |previous: &[jobs::planning::Period], history: Vec<PastWork>| {
        let v = jobs::planning::velocity(
            &config,
            team,
            previous,
            &History::Read(history),
            &Default::default(),
        );
        assert_eq!(v.per_day.is_none(), v.note.is_some());
        v.note
    };
    assert_eq!(
        note(&timeline.finished[..2], vec![work(3, 5), work(4, 6)]).as_deref(),
        Some(
            "The history is too short to suggest a weight budget: 2 of the 3 milestones before \
             this one are known."
        )
    );
    assert_eq!(
        note(&timeline.finished, vec![work(3, 5), work(0, 0), work(4, 6)]).as_deref(),
        Some(
            "The history is too short to suggest a weight budget: no issues with the team's \
             labels were closed in 19.5."
        )
    );
    assert_eq!(
        note(&timeline.finished, vec![work(3, 0), work(2, 0), work(4, 0)]).as_deref(),
        Some(
            "No weight was closed in the last 3 milestones, so no weight budget is suggested: \
             weigh the team's issues to get one."
        )
    );
    assert_eq!(
        note(&timeline.finished, vec![work(3, 5), work(2, 4), work(4, 6)]),
        None
    );
    let offline = jobs::planning::velocity(
        &config,
        team,
        &timeline.finished,
        &timeline_history(&facts),
        &Default::default(),
    );
    assert_eq!(
        offline.note.as_deref(),
        Some("The velocity was not read: `teamcadence check` does not read GitLab.")
    );
}

fn timeline_history(facts: &jobs::planning::TeamFacts) -> History {
    facts[0].as_ref().expect("plans").history.clone()
}
