//! Users and statuses in bulk through GitLab's GraphQL API, against the fake: the same
//! answers as the per-user REST calls, 100 usernames a query, the users remembered for later
//! creates, REST for what GraphQL does not say (clear dates, usernames it does not return),
//! and a query retried as a read when GitLab fails.

use chrono::{TimeZone, Utc};
use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use secrecy::SecretString;
use teamcadence_core::tracker::{IssueTracker, NewIssue, TrackerError, UserStatus};
use teamcadence_gitlab::{ConnectOptions, GitLab, Token};

const BOT_TOKEN: &str = "glpat-bulk-bot";
const GRAPHQL: &str = "POST /api/graphql";
const USER_BY_NAME: &str = "GET /api/v4/users";
const STATUS: &str = "GET /api/v4/users/:id/status";

/// ana has no status; ben is busy until 2026-11-25 12:00 UTC; cy says OOO without a date;
/// dee only shows an emoji; eve's status expired yesterday; u001..u120 fill pages.
fn world() -> String {
    let mut text = String::from(
        "now: 2026-11-20T10:00:00Z
users:
  - { username: bot, tokens: [glpat-bulk-bot] }
  - { username: ana, name: Ana }
  - { username: ben, name: Ben, status: { availability: busy, message: Conference, clear_status_at: 2026-11-25T12:00:00Z } }
  - { username: cy, name: Cy, status: { message: OOO } }
  - { username: dee, name: Dee, status: { emoji: coffee } }
  - { username: eve, name: Eve, status: { availability: busy, clear_status_at: 2026-11-19T00:00:00Z } }
",
    );
    for n in 1..=120 {
        text.push_str(&format!("  - {{ username: u{n:03} }}\n"));
    }
    text.push_str(
        "groups:\n  - { path: team, members: { ana: developer, u007: developer } }\nprojects:\n  - { path: team/planning, members: { bot: reporter } }\n",
    );
    text
}

async fn start() -> FakeGitlab {
    let mut options = Options::new("admin-token");
    options.seed = Some(Seed::from_yaml_str(&world()).expect("the world parses"));
    FakeGitlab::start(options).await.expect("the fake starts")
}

async fn connect(fake: &FakeGitlab) -> GitLab {
    let token = Token::access(SecretString::from(BOT_TOKEN)).expect("a valid token");
    GitLab::connect(&fake.base_url(), token, ConnectOptions::for_tests())
        .await
        .expect("connects")
}

fn count(fake: &FakeGitlab, route: &str) -> u64 {
    fake.state()
        .request_counts()
        .get(route)
        .copied()
        .unwrap_or(0)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn statuses_in_bulk_answer_as_rest_does_with_one_query() {
    let fake = start().await;
    let gitlab = connect(&fake).await;
    let asked = names(&["ana", "BEN", "cy", "dee", "eve", "nobody"]);
    let bulk: Vec<Option<UserStatus>> = gitlab
        .user_statuses(&asked)
        .await
        .into_iter()
        .map(|status| status.expect("read"))
        .collect();
    let busy_ben = UserStatus {
        busy: true,
        message: Some("Conference".into()),
        clear_status_at: Some(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()),
    };
    let ooo_cy = UserStatus {
        busy: false,
        message: Some("OOO".into()),
        clear_status_at: None,
    };
    assert_eq!(
        bulk,
        [
            Some(UserStatus::default()),
            Some(busy_ben),
            Some(ooo_cy),
            Some(UserStatus::default()),
            Some(UserStatus::default()),
            None,
        ]
    );
    // One query; REST only for the two statuses that say something (their clear date) and
    // the username GraphQL did not return.
    assert_eq!(count(&fake, GRAPHQL), 1);
    assert_eq!(count(&fake, STATUS), 2);
    assert_eq!(count(&fake, USER_BY_NAME), 1);

    // The same as the per-user REST calls say.
    for (name, status) in asked.iter().zip(&bulk) {
        assert_eq!(&gitlab.user_status(name).await.unwrap(), status, "{name}");
    }
}

#[tokio::test]
async fn users_are_resolved_100_a_query_and_remembered_for_creates() {
    let fake = start().await;
    let gitlab = connect(&fake).await;
    let mut asked: Vec<String> = (1..=120).map(|n| format!("u{n:03}")).collect();
    asked.extend(names(&["Ana", "nobody", "ana"]));
    let found = gitlab.users(&asked).await.expect("resolved");
    assert_eq!(found.len(), 123);
    assert_eq!(found[0].as_ref().map(|u| u.username.as_str()), Some("u001"));
    assert_eq!(
        found[119].as_ref().map(|u| u.username.as_str()),
        Some("u120")
    );
    let ana = found[120].clone().expect("ana");
    assert_eq!((ana.username.as_str(), ana.name.as_str()), ("ana", "Ana"));
    assert_eq!(found[121], None);
    assert_eq!(found[122], Some(ana));
    // 122 distinct usernames: two queries of at most 100; the unknown one asked through REST.
    assert_eq!(count(&fake, GRAPHQL), 2);
    assert_eq!(count(&fake, USER_BY_NAME), 1);

    // Creating an issue assigned to them looks no one up again, nor does asking again.
    let created = gitlab
        .create_issue(&NewIssue {
            project: "team/planning".into(),
            title: "Assigned".into(),
            description: String::new(),
            labels: vec![],
            assignees: names(&["ana", "u007", "nobody"]),
            milestone: None,
            due_date: None,
            confidential: false,
        })
        .await
        .expect("created");
    assert_eq!(created.issue.assignees, ["ana", "u007"]);
    assert_eq!(created.unknown_assignees, ["nobody"]);
    gitlab.users(&asked).await.expect("resolved");
    assert_eq!(count(&fake, GRAPHQL), 2);
    assert_eq!(count(&fake, USER_BY_NAME), 1);
}

#[tokio::test]
async fn a_failing_query_is_retried_as_a_read_and_never_uncertain() {
    let fake = start().await;
    let gitlab = connect(&fake).await;
    fake.state()
        .set_conditions(Conditions {
            fail_rate: 1.0,
            ..Conditions::default()
        })
        .unwrap();
    let statuses = gitlab.user_statuses(&names(&["ana", "ben"])).await;
    for status in statuses {
        match status {
            Err(TrackerError::Unavailable(message)) => {
                assert!(message.contains("after 4 attempts"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
    // Sent again as a read is (4 attempts), where a write's lost answer is not resent; and
    // not handed to REST, which would fail alike.
    assert_eq!(count(&fake, GRAPHQL), 4);
    assert_eq!(count(&fake, USER_BY_NAME), 0);
    assert!(gitlab.users(&names(&["ana"])).await.is_err());
}
