//! People and metadata GitLab leaves out of a coverage issue without an error are reported:
//! in the run's warnings and once in a comment on the issue. Who is who is in
//! tests/fixtures/left-out-world.yml: eng/pto-coverage is private, finn has an account but is
//! no member (GitLab drops him as an assignee), ghost has no account, guest-bot's token has
//! only the Guest role. Backups are the first two of `covered_by` who are there; the team has
//! no holidays and a coverage issue is due on the first day off.

mod common;

use std::process::Output;

use common::{Gitlab, Scratch, assignees, job, json, keys, stderr};
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/left-out-world.yml"
);
const BOT_TOKEN: &str = "glpat-leftout-bot-SECRET-7";
const GUEST_TOKEN: &str = "glpat-leftout-guest-SECRET-8";
const PROJECT: &str = "eng/pto-coverage";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";

/// The team: triage is bob's, covered by `covered_by` in that order. `time_off` is the
/// config's list, already indented.
fn config(covered_by: &str, time_off: &str) -> String {
    format!(
        "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    pto: {{ project: eng/pto-coverage }}
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, manager: mia }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer, manager: mia }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer, manager: mia }}
      - {{ username: finn, name: Finn Foster, role: backend-engineer, manager: mia }}
      - {{ username: ghost, name: Gho St, role: backend-engineer, manager: mia }}
    responsibilities:
      - {{ name: Triage, priority: HIGH, owners: [bob], covered_by: [{covered_by}] }}
time_off:
{time_off}"
    )
}

/// bob's time off from `from` until `until`, with an id so its issue survives a move.
fn bob_off(from: &str, until: &str) -> String {
    format!("  - {{ id: leave-1, person: bob, from: {from}, until: {until}, note: Vacation }}\n")
}

/// The scheduled job on `today` with `token`; it must end well.
fn scheduled(gitlab: &Gitlab, dir: &Scratch, today: &str, token: &str) -> Value {
    let output: Output = job(
        gitlab,
        "pto-coverage",
        &dir.path("pto.yml"),
        &["--today", today],
        Some(token),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)
}

fn only(gitlab: &Gitlab, key: &str) -> Value {
    let issues = gitlab.by_key(PROJECT).remove(key).unwrap_or_default();
    assert_eq!(issues.len(), 1, "one issue for {key}: {issues:#?}");
    issues.into_iter().next().expect("issue")
}

/// The run's warnings about one issue key.
fn warnings_about(run: &Value, key: &str) -> Vec<String> {
    run["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .filter(|w| w.starts_with(&format!("{key}:")))
        .map(str::to_owned)
        .collect()
}

/// The comments on an issue that teamcadence posted about people or metadata left out.
fn left_out_notes(gitlab: &Gitlab, issue: &Value) -> Vec<String> {
    gitlab
        .comments(PROJECT, &issue["iid"])
        .into_iter()
        .filter(|n| n.contains("could not assign") || n.contains("GitLab "))
        .collect()
}

#[test]
fn a_backup_who_is_no_member_of_the_private_project_is_reported_once() {
    let gitlab = Gitlab::start(WORLD);
    let dir = Scratch::new(
        "left-out-member",
        &[(
            "pto.yml",
            &config("finn, ghost, carol", &bob_off("2027-03-15", "2027-03-26")),
        )],
    );
    let run = scheduled(&gitlab, &dir, "2027-03-01", BOT_TOKEN);
    assert_eq!(keys(&run, "create"), ["pto/leave-1"], "{run:#}");
    let bob = only(&gitlab, "pto/leave-1");
    // Planned: bob, finn and ghost. ghost has no account; GitLab dropped finn.
    assert_eq!(assignees(&bob), ["bob"], "{bob:#}");
    assert_eq!(
        warnings_about(&run, "pto/leave-1"),
        [
            "pto/leave-1: no GitLab account for ghost; not assigned",
            "pto/leave-1: GitLab did not assign finn: GitLab drops assignees who cannot see \
             eng/pto-coverage (not a member of the private project, or a blocked account); add \
             them to eng/pto-coverage and re-run"
        ],
        "{run:#}"
    );
    let notes = left_out_notes(&gitlab, &bob);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].starts_with(
            "teamcadence could not assign ghost: there is no GitLab account with that username \
             yet. Please assign it here once the account exists.\n\nGitLab did not assign finn: \
             GitLab drops assignees who cannot see this project (not a member of the private \
             project eng/pto-coverage, or a blocked account). Please add them to \
             eng/pto-coverage and assign them here."
        ),
        "{notes:#?}"
    );

    // Re-runs post nothing more.
    let comments = gitlab.count(COMMENT);
    for today in ["2027-03-01", "2027-03-02"] {
        let again = scheduled(&gitlab, &dir, today, BOT_TOKEN);
        assert!(keys(&again, "create").is_empty(), "{again:#}");
    }
    assert_eq!(gitlab.count(COMMENT), comments);
    assert_eq!(left_out_notes(&gitlab, &bob).len(), 1);
}

#[test]
fn a_guest_token_sees_its_edit_ignored_and_is_told_to_get_the_planner_role() {
    let gitlab = Gitlab::start(WORLD);
    let dir = Scratch::new(
        "left-out-guest",
        &[(
            "pto.yml",
            &config("carol, dan", &bob_off("2027-03-15", "2027-03-26")),
        )],
    );
    // A Guest member sets labels, assignees and the due date when creating an issue.
    let run = scheduled(&gitlab, &dir, "2027-03-01", GUEST_TOKEN);
    assert!(warnings_about(&run, "pto/leave-1").is_empty(), "{run:#}");
    let bob = only(&gitlab, "pto/leave-1");
    assert_eq!(assignees(&bob), ["bob", "carol", "dan"]);
    assert_eq!(bob["due_date"], "2027-03-15");

    // bob now starts on Wednesday 2027-03-17: the edit's new due date is ignored.
    std::fs::write(
        dir.path("pto.yml"),
        config("carol, dan", &bob_off("2027-03-17", "2027-03-26")),
    )
    .expect("write");
    let run = scheduled(&gitlab, &dir, "2027-03-02", GUEST_TOKEN);
    assert_eq!(keys(&run, "update"), ["pto/leave-1"], "{run:#}");
    let bob = only(&gitlab, "pto/leave-1");
    assert_eq!(
        bob["title"],
        "Coverage for Bob Baker from 2027-03-17 until 2027-03-26"
    );
    assert_eq!(bob["due_date"], "2027-03-15", "GitLab ignored the new one");
    assert_eq!(
        warnings_about(&run, "pto/leave-1"),
        [
            "pto/leave-1: GitLab ignored the due date teamcadence sent, because the token's \
             role in eng/pto-coverage is below Planner (GitLab lets a Guest set them only when \
             creating an issue, and a non-member never); give the token's user the Planner or \
             Reporter role in eng/pto-coverage and re-run"
        ],
        "{run:#}"
    );
    let notes = left_out_notes(&gitlab, &bob);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].starts_with(
            "GitLab ignored the due date teamcadence set, because its token's role in \
             eng/pto-coverage is below Planner. Please set them here by hand (due date \
             2027-03-17), and give the token's user the Planner or Reporter role in \
             eng/pto-coverage."
        ),
        "{notes:#?}"
    );
    // The next run comments no more.
    let comments = gitlab.count(COMMENT);
    scheduled(&gitlab, &dir, "2027-03-02", GUEST_TOKEN);
    assert_eq!(gitlab.count(COMMENT), comments);
}

#[test]
fn an_update_that_loses_a_backup_is_reported() {
    let gitlab = Gitlab::start(WORLD);
    // carol is away the week after bob's first one.
    let carol = "  - { id: leave-2, person: carol, from: 2027-03-22, until: 2027-03-26 }\n";
    let dir = Scratch::new(
        "left-out-update",
        &[(
            "pto.yml",
            &config(
                "carol, dan, finn",
                &format!("{}{carol}", bob_off("2027-03-15", "2027-03-19")),
            ),
        )],
    );
    scheduled(&gitlab, &dir, "2027-03-01", BOT_TOKEN);
    let bob = only(&gitlab, "pto/leave-1");
    assert_eq!(assignees(&bob), ["bob", "carol", "dan"]);

    // bob stays a week longer, when carol is away: dan and finn are his backups now, and
    // GitLab drops finn.
    std::fs::write(
        dir.path("pto.yml"),
        config(
            "carol, dan, finn",
            &format!("{}{carol}", bob_off("2027-03-15", "2027-03-26")),
        ),
    )
    .expect("write");
    let run = scheduled(&gitlab, &dir, "2027-03-02", BOT_TOKEN);
    assert!(
        keys(&run, "update").contains(&"pto/leave-1".to_owned()),
        "{run:#}"
    );
    let bob = only(&gitlab, "pto/leave-1");
    assert_eq!(assignees(&bob), ["bob", "dan"], "{bob:#}");
    assert_eq!(
        warnings_about(&run, "pto/leave-1"),
        [
            "pto/leave-1: GitLab did not assign finn: GitLab drops assignees who cannot see \
             eng/pto-coverage (not a member of the private project, or a blocked account); add \
             them to eng/pto-coverage and re-run"
        ],
        "{run:#}"
    );
    let notes = left_out_notes(&gitlab, &bob);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].starts_with("GitLab did not assign finn:"),
        "{notes:#?}"
    );
    let comments = gitlab.count(COMMENT);
    scheduled(&gitlab, &dir, "2027-03-02", BOT_TOKEN);
    assert_eq!(gitlab.count(COMMENT), comments);
}
