//! Snapshots of the default issue templates rendered from the bundled example config, so
//! that any change to what teams receive shows up in review.

use std::path::PathBuf;

use chrono::NaiveDate;
use teamcadence_core::config::{Config, SourceFiles};
use teamcadence_core::jobs::{self, Scope};
use teamcadence_core::plan::IssuePlan;

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
    let report = jobs::planning::plan(&example(), date("2026-12-01")).expect("renders");
    insta::assert_snapshot!(shown(find(&report.issues, "planning/code-creation/19.8")));
}

#[test]
fn pto_coverage_issue() {
    let report =
        jobs::pto::plan(&example(), date("2026-12-07"), Scope::Upcoming, None).expect("renders");
    insta::assert_snapshot!(shown(find(&report.issues, "pto/bob/2026-12-21")));
}

#[test]
fn pto_coverage_issue_recorded_after_the_planning_lock() {
    // Grace's ten days off were recorded on 2026-12-10, after 19.8's planning lock
    // (2026-12-07): the issue asks for the manager's exception.
    let report =
        jobs::pto::plan(&example(), date("2026-12-21"), Scope::Upcoming, None).expect("renders");
    let plan = find(&report.issues, "pto/grace/2027-01-04");
    assert!(
        plan.description
            .contains("after the planning lock of 19.8 (2026-12-07)")
    );
    insta::assert_snapshot!(shown(plan));
}

#[test]
fn onboarding_issue() {
    let report = jobs::onboarding::plan(&example(), date("2026-11-30"), Scope::Upcoming, None)
        .expect("renders");
    insta::assert_snapshot!(shown(find(&report.issues, "onboarding/dave")));
}
