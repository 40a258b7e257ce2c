//! The adapter against the fake GitLab over a real socket: what GitLab's data becomes in the
//! port's types, the filters it sends, group lists across subgroups and visibility, every
//! page of a long comment thread, issue links, and the errors a person reads.

use chrono::{DateTime, TimeZone, Utc};
use gitlab_fake::{FakeGitlab, Options, Seed};
use secrecy::SecretString;
use teamcadence_core::tracker::{
    IssueEdit, IssueQuery, IssueState, IssueTracker, LinkType, LinkedIssue, TrackedIssue,
    TrackerError,
};
use teamcadence_gitlab::{ConnectOptions, GitLab, Token};

const ADMIN_TOKEN: &str = "admin-token";
/// A Reporter of `team/planning`, `team/sub/infra` and `elsewhere/tool` only.
const BOT_TOKEN: &str = "glpat-bot-token";

const WORLD: &str = r#"
now: 2026-11-20T10:00:00Z
users:
  - username: bot
    tokens: [glpat-bot-token]
groups:
  - path: team
  - path: team/sub
  - path: elsewhere
  - path: hidden
projects:
  - path: team/planning
    members: { bot: reporter }
  - path: team/sub/infra
    members: { bot: reporter }
  - path: team/secret
  - path: elsewhere/tool
    members: { bot: reporter }
milestones:
  - group: team
    title: "17.4"
  - group: team
    title: "17.5"
iterations:
  - group: team
    start_date: 2026-11-09
    due_date: 2026-11-22
  - group: team
    title: Sprint 2
    start_date: 2026-11-23
    due_date: 2026-12-06
issues:
  - project: team/planning
    title: Plan 17.4
    labels: [planning, "team::a"]
    milestone: "17.4"
    state: closed
    weight: 3
    created_at: 2026-11-01T09:00:00Z
    closed_at: 2026-11-10T12:00:00Z
  - project: team/planning
    title: Plan 17.4 draft
    labels: [planning, "team::a"]
    milestone: "17.4"
    created_at: 2026-11-02T09:00:00Z
  - project: team/planning
    title: Plan 17.4 of another team
    labels: [planning]
    milestone: "17.4"
    state: closed
    created_at: 2026-11-03T09:00:00Z
  - project: team/planning
    title: Plan 17.5
    labels: [planning, "team::a"]
    milestone: "17.5"
    state: closed
    created_at: 2026-11-04T09:00:00Z
  - project: team/planning
    title: Sprint work
    iteration: Sprint 2
    created_at: 2026-11-05T09:00:00Z
  - project: team/sub/infra
    title: Infra 17.4
    labels: [planning, "team::a"]
    milestone: "17.4"
    state: closed
    iteration: "2026-11-09"
    weight: 1
    created_at: 2026-11-06T09:00:00Z
  - project: team/secret
    title: Secret plan
    labels: [planning, "team::a"]
    milestone: "17.4"
    state: closed
    created_at: 2026-11-07T09:00:00Z
  - project: elsewhere/tool
    title: Elsewhere
    labels: [planning, "team::a"]
    created_at: 2026-11-08T09:00:00Z
"#;

async fn start() -> FakeGitlab {
    let mut options = Options::new(ADMIN_TOKEN);
    options.seed = Some(Seed::from_yaml_str(WORLD).expect("the test world parses"));
    FakeGitlab::start(options).await.expect("the fake starts")
}

async fn connect(fake: &FakeGitlab, token: &str) -> GitLab {
    let token = Token::access(SecretString::from(token)).expect("a valid token");
    GitLab::connect(&fake.base_url(), token, ConnectOptions::for_tests())
        .await
        .expect("the adapter connects to the fake")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a timestamp")
        .to_utc()
}

/// `project#iid` of each issue, in the order listed.
fn refs(issues: &[TrackedIssue]) -> Vec<String> {
    issues
        .iter()
        .map(|issue| format!("{}#{}", issue.project, issue.iid))
        .collect()
}

fn sprint_work_query(milestone: &str) -> IssueQuery {
    IssueQuery {
        labels: vec!["planning".into(), "team::a".into()],
        state: Some(IssueState::Closed),
        milestone: Some(milestone.into()),
        ..IssueQuery::default()
    }
}

#[tokio::test]
async fn weight_and_closing_time_come_back_from_gitlab() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let all = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap();
    let plan = &all[0];
    assert_eq!(plan.title, "Plan 17.4");
    assert_eq!(plan.weight, Some(3));
    assert_eq!(plan.closed_at, Some(at("2026-11-10T12:00:00Z")));
    let sprint = all.iter().find(|i| i.title == "Sprint work").unwrap();
    assert_eq!((sprint.weight, sprint.closed_at), (None, None));

    // Closing stamps the closing time; reopening clears it.
    let closed = gitlab
        .edit_issue(
            "team/planning",
            sprint.iid,
            &IssueEdit {
                state: Some(IssueState::Closed),
                ..IssueEdit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.state, IssueState::Closed);
    assert_eq!(closed.closed_at, Some(at("2026-11-20T10:00:00Z")));
    let reopened = gitlab
        .edit_issue(
            "team/planning",
            sprint.iid,
            &IssueEdit {
                state: Some(IssueState::Opened),
                ..IssueEdit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reopened.closed_at, None);
}

#[tokio::test]
async fn project_issues_filter_by_milestone_state_and_labels() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let found = gitlab
        .list_issues("team/planning", &sprint_work_query("17.4"))
        .await
        .unwrap();
    assert_eq!(refs(&found), ["team/planning#1"]);
    let found = gitlab
        .list_issues("team/planning", &sprint_work_query("17.5"))
        .await
        .unwrap();
    assert_eq!(refs(&found), ["team/planning#4"]);
    let open = IssueQuery {
        state: Some(IssueState::Opened),
        milestone: Some("17.4".into()),
        ..IssueQuery::default()
    };
    let found = gitlab.list_issues("team/planning", &open).await.unwrap();
    assert_eq!(refs(&found), ["team/planning#2"]);
    let none = gitlab
        .list_issues("team/planning", &sprint_work_query("99.9"))
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn group_issues_include_subgroups_and_only_visible_projects() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let all = gitlab
        .list_group_issues("team", &IssueQuery::default())
        .await
        .unwrap();
    // Oldest first; team/secret is invisible to the bot, elsewhere/tool is another group.
    assert_eq!(
        refs(&all),
        [
            "team/planning#1",
            "team/planning#2",
            "team/planning#3",
            "team/planning#4",
            "team/planning#5",
            "team/sub/infra#1",
        ]
    );
    let infra = &all[5];
    assert_eq!(
        (
            infra.title.as_str(),
            infra.weight,
            infra.milestone.as_deref()
        ),
        ("Infra 17.4", Some(1), Some("17.4"))
    );
    let filtered = gitlab
        .list_group_issues("team", &sprint_work_query("17.4"))
        .await
        .unwrap();
    assert_eq!(refs(&filtered), ["team/planning#1", "team/sub/infra#1"]);
    let after = IssueQuery {
        created_after: Some(at("2026-11-04T12:00:00Z")),
        ..IssueQuery::default()
    };
    let recent = gitlab.list_group_issues("team", &after).await.unwrap();
    assert_eq!(refs(&recent), ["team/planning#5", "team/sub/infra#1"]);

    // The secret project's issue is there for a token that can see it.
    let admin = connect(&fake, ADMIN_TOKEN).await;
    let filtered = admin
        .list_group_issues("team", &sprint_work_query("17.4"))
        .await
        .unwrap();
    assert_eq!(
        refs(&filtered),
        ["team/planning#1", "team/sub/infra#1", "team/secret#1"]
    );
}

#[tokio::test]
async fn issues_filter_by_iteration() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let iterations = connect(&fake, ADMIN_TOKEN)
        .await
        .list_iterations("team")
        .await
        .unwrap();
    let untitled = iterations.iter().find(|i| i.title.is_none()).unwrap().id;
    let sprint_2 = iterations
        .iter()
        .find(|i| i.title.as_deref() == Some("Sprint 2"))
        .unwrap()
        .id;
    let in_iteration = |id| IssueQuery {
        iteration_id: Some(id),
        ..IssueQuery::default()
    };
    let found = gitlab
        .list_group_issues("team", &in_iteration(untitled))
        .await
        .unwrap();
    assert_eq!(refs(&found), ["team/sub/infra#1"]);
    let found = gitlab
        .list_group_issues("team", &in_iteration(sprint_2))
        .await
        .unwrap();
    assert_eq!(refs(&found), ["team/planning#5"]);
    let found = gitlab
        .list_issues("team/planning", &in_iteration(sprint_2))
        .await
        .unwrap();
    assert_eq!(refs(&found), ["team/planning#5"]);
    let found = gitlab
        .list_issues("team/planning", &in_iteration(untitled))
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn notes_come_oldest_first_across_pages() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let start_time = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    // The bot closes the issue (GitLab writes a system note), then 100 comments follow, a
    // minute apart: 101 notes, more than a page of 100.
    gitlab
        .edit_issue(
            "team/planning",
            2,
            &IssueEdit {
                state: Some(IssueState::Closed),
                ..IssueEdit::default()
            },
        )
        .await
        .unwrap();
    for n in 1..=100 {
        fake.state()
            .set_clock(Some(start_time + chrono::Duration::minutes(n)));
        gitlab
            .add_note("team/planning", 2, &format!("Comment {n}"))
            .await
            .unwrap();
    }
    fake.state().reset_counters();

    let notes = gitlab.list_notes("team/planning", 2).await.unwrap();
    assert_eq!(notes.len(), 101);
    assert_eq!(
        (
            notes[0].body.as_str(),
            notes[0].system,
            notes[0].author.as_str()
        ),
        ("closed", true, "bot")
    );
    assert_eq!(notes[0].created_at, start_time);
    for (n, note) in notes.iter().enumerate().skip(1) {
        assert_eq!(note.body, format!("Comment {n}"));
        assert!(!note.system);
        assert_eq!(note.author, "bot");
        assert_eq!(
            note.created_at,
            start_time + chrono::Duration::minutes(n as i64)
        );
    }
    let mut ids: Vec<u64> = notes.iter().map(|note| note.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 101, "every note once");
    assert_eq!(
        fake.state().request_counts()["GET /api/v4/projects/:id/issues/:issue_iid/notes"],
        2,
        "two pages"
    );
}

#[tokio::test]
async fn links_list_what_was_linked_from_either_side() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    assert!(
        gitlab
            .list_links("team/planning", 1)
            .await
            .unwrap()
            .is_empty()
    );
    gitlab
        .link_issues("team/planning", 1, "team/sub/infra", 1, LinkType::Blocks)
        .await
        .unwrap();
    gitlab
        .link_issues("team/planning", 1, "team/planning", 2, LinkType::RelatesTo)
        .await
        .unwrap();
    // A link the bot cannot follow: the other issue is in a project it cannot see.
    connect(&fake, ADMIN_TOKEN)
        .await
        .link_issues("team/planning", 1, "team/secret", 1, LinkType::RelatesTo)
        .await
        .unwrap();

    let linked = |project: &str, iid: u64| LinkedIssue {
        project: project.into(),
        iid,
    };
    let mut links = gitlab.list_links("team/planning", 1).await.unwrap();
    links.sort_by(|a, b| (&a.project, a.iid).cmp(&(&b.project, b.iid)));
    assert_eq!(
        links,
        [linked("team/planning", 2), linked("team/sub/infra", 1)]
    );
    let back = gitlab.list_links("team/sub/infra", 1).await.unwrap();
    assert_eq!(back, [linked("team/planning", 1)]);
}

#[tokio::test]
async fn failures_name_what_was_being_done_and_what_is_missing() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    // A group that does not exist, and one the bot has no project in.
    for group in ["team/nope", "hidden"] {
        let err = gitlab
            .list_group_issues(group, &IssueQuery::default())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            TrackerError::NotFound(format!(
                "listing the issues of the group {group} and its subgroups: group {group} not \
                 found, or not visible to this token (404)"
            ))
        );
    }
    let err = gitlab.list_notes("team/planning", 99).await.unwrap_err();
    assert_eq!(
        err,
        TrackerError::NotFound(
            "reading the comments on team/planning#99: issue #99 in project team/planning not \
             found, or not visible to this token (404)"
                .into()
        )
    );
    let err = gitlab.list_links("team/secret", 1).await.unwrap_err();
    assert_eq!(
        err,
        TrackerError::NotFound(
            "reading the issues linked to team/secret#1: project team/secret not found, or not \
             visible to this token (404)"
                .into()
        )
    );
}

#[tokio::test]
async fn a_label_is_created_once_found_by_name_and_deleted_by_id() {
    let fake = start().await;
    let gitlab = connect(&fake, BOT_TOKEN).await;
    let name = "teamcadence::pto::run-lock";
    let created = gitlab
        .create_label("team/planning", name, "held until then")
        .await
        .expect("created")
        .expect("it was free");
    assert_eq!(
        (created.name.as_str(), created.description.as_str()),
        (name, "held until then")
    );
    // A second creator is told it exists (GitLab's 409), not given an error.
    assert_eq!(
        gitlab.create_label("team/planning", name, "mine").await,
        Ok(None)
    );
    assert_eq!(
        gitlab.find_label("team/planning", name).await,
        Ok(Some(created.clone()))
    );
    assert_eq!(
        gitlab.find_label("team/planning", "no such").await,
        Ok(None)
    );
    for _ in 0..2 {
        // Gone already the second time: what was asked.
        gitlab
            .delete_label("team/planning", created.id)
            .await
            .expect("deleted");
    }
    assert_eq!(gitlab.find_label("team/planning", name).await, Ok(None));

    // A project the token cannot see is an error, never a free or missing lock.
    for result in [
        gitlab
            .create_label("team/secret", name, "x")
            .await
            .map(|_| ()),
        gitlab.find_label("team/secret", name).await.map(|_| ()),
        gitlab.delete_label("team/secret", 1).await,
    ] {
        assert!(
            matches!(&result, Err(TrackerError::NotFound(m)) if m.contains("team/secret")),
            "{result:?}"
        );
    }
}
