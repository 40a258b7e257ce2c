//! Users and statuses resolved in bulk: the PTO job for a team of 12, each with time off and
//! backups, looks everyone up with one GraphQL query instead of a `GET /users?username=`
//! and a `GET /users/:id/status` per person; a busy status with a clear date is still
//! honoured (its date is read through REST); and where GitLab answers 404 for GraphQL, the
//! job falls back to the per-user REST requests with the same result. The coverage issues'
//! impact lists are read in bulk too.
//!
//! The team: ana, ben, cat, ... lev (12, in this order); each owns one duty covered by the
//! next three in the ring. ana, cat, eli, gil, ida and kim are off Monday 2027-03-15 to
//! Friday 2027-03-19; the other six the week before. ben's GitLab status says busy until
//! 2027-03-20 12:00 UTC. The run is on Monday 2027-03-01, when every issue is due.

mod common;

use common::{Gitlab, Scratch, assignees, job, json, keys, stderr};
use gitlab_fake::Conditions;

const BOT_TOKEN: &str = "glpat-bulk-bot-SECRET-17";
const PROJECT: &str = "eng/pto-coverage";
const GRAPHQL: &str = "POST /api/graphql";
const USER_BY_NAME: &str = "GET /api/v4/users";
const STATUS: &str = "GET /api/v4/users/:id/status";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const REVIEWS: &str = "GET /api/v4/merge_requests";

const TEAM: [&str; 12] = [
    "ana", "ben", "cat", "dov", "eli", "fay", "gil", "hal", "ida", "jon", "kim", "lev",
];

/// The fake's world: the bot, the team (ben busy until 2027-03-20), the coverage project.
fn world() -> String {
    let mut text =
        format!("users:\n  - {{ username: teamcadence-bot, name: Bot, tokens: [{BOT_TOKEN}] }}\n");
    for name in TEAM {
        text.push_str(&format!("  - {{ username: {name}, name: {name} person"));
        if name == "ben" {
            text.push_str(
                ", status: { availability: busy, message: Conference, \
                 clear_status_at: 2027-03-20T12:00:00Z }",
            );
        }
        text.push_str(" }\n");
    }
    text.push_str("groups:\n  - path: eng\n    members:\n      teamcadence-bot: reporter\n");
    for name in TEAM {
        text.push_str(&format!("      {name}: developer\n"));
    }
    text.push_str("projects:\n  - { path: eng/pto-coverage }\n");
    text
}

/// The team's config: the ring of duties and everyone's time off.
fn config() -> String {
    let mut text = String::from(
        "timezone: Europe/Amsterdam\nteams:\n  - id: web\n    name: Web\n    project: eng/web\n    \
         pto: { project: eng/pto-coverage }\n    members:\n",
    );
    for name in TEAM {
        text.push_str(&format!(
            "      - {{ username: {name}, name: {name} person, role: backend-engineer }}\n"
        ));
    }
    text.push_str("    responsibilities:\n");
    for (i, name) in TEAM.iter().enumerate() {
        let backups: Vec<&str> = (1..=3).map(|k| TEAM[(i + k) % TEAM.len()]).collect();
        text.push_str(&format!(
            "      - {{ name: Duty of {name}, priority: HIGH, owners: [{name}], covered_by: [{}] }}\n",
            backups.join(", ")
        ));
    }
    text.push_str("time_off:\n");
    for (i, name) in TEAM.iter().enumerate() {
        let (from, until) = if i % 2 == 0 {
            ("2027-03-15", "2027-03-19")
        } else {
            ("2027-03-08", "2027-03-12")
        };
        text.push_str(&format!(
            "  - {{ id: off-{name}, person: {name}, from: {from}, until: {until} }}\n"
        ));
    }
    text
}

/// Starts the fake on the world, and a scratch folder with the config.
fn setup(name: &str) -> (Gitlab, Scratch) {
    let dir = Scratch::new(name, &[("world.yml", &world()), ("pto.yml", &config())]);
    let gitlab = Gitlab::start(&dir.path("world.yml"));
    (gitlab, dir)
}

/// Runs the scheduled PTO job on 2027-03-01 and checks what it did, which does not depend
/// on how users were looked up.
fn run_and_check(gitlab: &Gitlab, dir: &Scratch) {
    let output = job(
        gitlab,
        "pto-coverage",
        &dir.path("pto.yml"),
        &["--today", "2027-03-01"],
        Some(BOT_TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let run = json(&output);
    assert_eq!(keys(&run, "create").len(), 12, "{run:#}");
    assert_eq!(gitlab.count(CREATE), 12);
    // ana's duty is covered by ben, cat or dov. ben's status keeps him away until
    // 2027-03-20, past ana's week (as it does the same week for no one else); cat is off that
    // week too; dov is there: dov alone covers ana.
    let issues = gitlab.by_key(PROJECT);
    let ana = &issues["pto/off-ana"][0];
    assert_eq!(assignees(ana), ["ana", "dov"], "{ana:#}");
    // Nobody with time off is assigned as a backup for someone's days off in their own week,
    // and ben covers no one in the week of 2027-03-15.
    for (key, found) in &issues {
        let names = assignees(&found[0]);
        if ["ana", "cat", "eli", "gil", "ida", "kim"]
            .iter()
            .any(|n| key.ends_with(&format!("off-{n}")))
        {
            assert!(!names.iter().any(|n| n == "ben"), "{key}: {names:?}");
        }
    }
}

#[test]
fn a_team_of_12_is_looked_up_with_one_graphql_query() {
    let (gitlab, dir) = setup("bulk");
    run_and_check(&gitlab, &dir);
    // One query for the 12 backups (who are everyone) instead of 12 `GET /users?username=`;
    // creating the 12 issues assigned to them looked no one up again. The issues' impact
    // lists take one more for the issues assigned to the 12 and one for their review
    // requests, instead of two REST lists per person.
    assert_eq!(gitlab.count(GRAPHQL), 3);
    assert_eq!(gitlab.count(REVIEWS), 0);
    assert_eq!(gitlab.count(USER_BY_NAME), 0);
    // Only ben's status says something, so only his is read through REST, for its date.
    assert_eq!(gitlab.count(STATUS), 1);
}

#[test]
fn where_graphql_answers_404_users_are_looked_up_one_by_one() {
    let (gitlab, dir) = setup("bulk-fallback");
    gitlab.set(Conditions {
        graphql_disabled: true,
        ..Conditions::default()
    });
    run_and_check(&gitlab, &dir);
    // Each bulk read asked once (users, the impact's issues and reviews), then the REST
    // path: one lookup and one status per person, and one review list each.
    assert_eq!(gitlab.count(GRAPHQL), 3);
    assert_eq!(gitlab.count(USER_BY_NAME), 12);
    assert_eq!(gitlab.count(STATUS), 12);
    assert_eq!(gitlab.count(REVIEWS), 12);
}
