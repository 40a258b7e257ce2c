//! What GitLab silently leaves out of an issue, as the fake must model it.
//!
//! GitLab's `IssuableBaseService#filter_params` (app/services/issuable_base_service.rb):
//! - without `set_issue_metadata` it deletes `assignee_ids`, `due_date`, the labels and the
//!   milestone; `IssuePolicy` grants `set_issue_metadata` with `admin_issue` (Planner and up)
//!   and, on an issue not yet persisted, to any project member (`rule { ~persisted &
//!   is_project_member & can?(:guest_access) }`, gitlab-org/gitlab!62816, GitLab 14.0): a
//!   Guest sets metadata when creating an issue but not when editing it, a non-member never;
//! - `confidential` is kept on create for anyone who may create the issue (`rule {
//!   ~persisted & can?(:create_issue) }.enable :set_confidentiality`);
//! - `filter_assignees_using_checks` keeps the assignees who `can?(:read_issue)` the project;
//!   when none of a non-empty list can, it deletes the parameter, so an edit keeps the
//!   assignees the issue had.

mod common;

use common::{ADMIN, Http, status_json};
use gitlab_fake::{FakeGitlab, Options, Seed};
use reqwest::Method;
use serde_json::{Value, json};

const PLANNER: &str = "pat-token";
const GUEST: &str = "gina-token";
const OUTSIDER: &str = "olivia-token";

const WORLD: &str = r"
now: 2027-03-01T10:00:00Z
users:
  - { username: pat, tokens: [pat-token] }
  - { username: gina, tokens: [gina-token] }
  - { username: olivia, tokens: [olivia-token] }
  - { username: bob }
  - { username: finn }
groups:
  - path: eng
    members: { pat: planner, gina: guest, bob: developer }
projects:
  - { path: eng/pto, labels: [pto] }
  - { path: eng/open, visibility: internal, labels: [pto] }
";

async fn start() -> (FakeGitlab, Http) {
    let mut options = Options::new(ADMIN);
    options.seed = Some(Seed::from_yaml_str(WORLD).expect("seed"));
    let fake = FakeGitlab::start(options).await.expect("the fake starts");
    let http = Http::new(&fake);
    (fake, http)
}

async fn user_id(http: &Http, username: &str) -> u64 {
    let (_, users) = status_json(
        http.get(&format!("/api/v4/users?username={username}"), ADMIN)
            .await,
    )
    .await;
    users[0]["id"].as_u64().expect("user id")
}

fn usernames(issue: &Value) -> Vec<&str> {
    issue["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .map(|a| a["username"].as_str().expect("username"))
        .collect()
}

async fn send(http: &Http, method: Method, path: &str, token: &str, body: Value) -> Value {
    let (status, issue) = status_json(http.send_json(method, path, token, &body).await).await;
    assert!(status == 200 || status == 201, "{status}: {issue}");
    issue
}

#[tokio::test]
async fn an_assignee_who_cannot_see_a_private_project_is_dropped_and_an_edit_keeps_the_rest() {
    let (_fake, http) = start().await;
    let (bob, finn) = (user_id(&http, "bob").await, user_id(&http, "finn").await);
    let issues = "/api/v4/projects/eng%2Fpto/issues";
    let body = json!({"title": "Coverage", "labels": "pto", "assignee_ids": [bob, finn]});
    let issue = send(&http, Method::POST, issues, PLANNER, body).await;
    assert_eq!(usernames(&issue), ["bob"], "finn is not a member: {issue}");
    assert_eq!(issue["labels"], json!(["pto"]));

    // Only finn asked: nobody asked can see it, so GitLab deletes the parameter.
    let edit = format!("{issues}/{}", issue["iid"]);
    let body = json!({"assignee_ids": [finn], "title": "Coverage 2"});
    let edited = send(&http, Method::PUT, &edit, PLANNER, body).await;
    assert_eq!(edited["title"], "Coverage 2");
    assert_eq!(usernames(&edited), ["bob"], "{edited}");
    // With one asked who can see it, the others are dropped and the list is replaced.
    let body = json!({"assignee_ids": [finn, bob]});
    let edited = send(&http, Method::PUT, &edit, PLANNER, body).await;
    assert_eq!(usernames(&edited), ["bob"], "{edited}");
}

#[tokio::test]
async fn a_guest_sets_metadata_when_creating_but_not_when_editing() {
    let (_fake, http) = start().await;
    let bob = user_id(&http, "bob").await;
    let issues = "/api/v4/projects/eng%2Fpto/issues";
    let body = json!({
        "title": "Coverage", "labels": "pto", "assignee_ids": [bob], "due_date": "2027-03-15"
    });
    let issue = send(&http, Method::POST, issues, GUEST, body).await;
    assert_eq!(issue["labels"], json!(["pto"]));
    assert_eq!(usernames(&issue), ["bob"]);
    assert_eq!(issue["due_date"], "2027-03-15");

    // The author may edit the issue, but its metadata is ignored without a word.
    let edit = format!("{issues}/{}", issue["iid"]);
    let body = json!({
        "title": "Coverage moved", "assignee_ids": [0], "due_date": "2027-03-22",
        "add_labels": "later", "confidential": true
    });
    let edited = send(&http, Method::PUT, &edit, GUEST, body).await;
    assert_eq!(edited["title"], "Coverage moved");
    assert_eq!(edited["due_date"], "2027-03-15");
    assert_eq!(usernames(&edited), ["bob"]);
    assert_eq!(edited["labels"], json!(["pto"]));
    assert_eq!(edited["confidential"], false);
}

#[tokio::test]
async fn a_non_member_creates_an_issue_without_metadata_but_confidential() {
    let (_fake, http) = start().await;
    let bob = user_id(&http, "bob").await;
    let body = json!({
        "title": "Coverage", "labels": "pto", "assignee_ids": [bob], "due_date": "2027-03-15",
        "confidential": true, "description": "Away\n/label ~pto\n/due tomorrow"
    });
    let issue = send(
        &http,
        Method::POST,
        "/api/v4/projects/eng%2Fopen/issues",
        OUTSIDER,
        body,
    )
    .await;
    assert_eq!(issue["labels"], json!([]));
    assert_eq!(usernames(&issue), Vec::<&str>::new());
    assert_eq!(issue["due_date"], Value::Null);
    assert_eq!(issue["confidential"], true);
    assert_eq!(issue["description"], "Away");
}
