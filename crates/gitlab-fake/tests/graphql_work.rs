//! The fake's GraphQL issues and review requests: `project`/`group(fullPath:)` (`null` when
//! the caller cannot read it), their `issues(state:, or: { assigneeUsernames: })` newest
//! first with opaque cursors, a group's `includeSubgroups`, the `Issue` fields teamcadence
//! reads, and `UserCore.reviewRequestedMergeRequests` answering what REST's
//! `GET /merge_requests?reviewer_username=` answers.

mod common;

use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use reqwest::Method;
use serde_json::{Value, json};

use common::{Http, status_json};

const ADMIN: &str = "admin-token";
const VIEWER: &str = "viewer-token";

/// The viewer reports in `acme` (so reads acme/web and acme/sub/api), not in `secret`.
/// acme/web: #1 W1 (ana, 19.8, due 12-01, weight 3, backend), #2 W2 (ana, ben), #3 W3
/// closed (ana), #4 W4 (cy), #5 W5 (nobody); acme/sub/api #1 A1 (ben); secret/vault #1 S1
/// (ana). Merge requests: acme/web !1 MR1 (ben asks ana), !2 MR2 (draft, cy asks ana and
/// ben), !3 MR3 (merged, asks ana); secret/vault !1 MR4 (asks ana).
const WORLD: &str = r#"
now: 2026-11-20T10:00:00Z
users:
  - { username: viewer, tokens: [viewer-token] }
  - { username: ana, name: Ana }
  - { username: ben, name: Ben }
  - { username: cy, name: Cy }
groups:
  - { path: acme, members: { viewer: reporter } }
  - { path: acme/sub }
  - { path: secret }
projects:
  - { path: acme/web }
  - { path: acme/sub/api }
  - { path: secret/vault, members: { ana: developer } }
milestones:
  - { group: acme, title: "19.8" }
issues:
  - { project: acme/web, title: W1, assignees: [ana], milestone: "19.8", due_date: 2026-12-01, weight: 3, labels: [backend], created_at: "2026-11-01T09:00:00Z" }
  - { project: acme/web, title: W2, assignees: [ana, ben], created_at: "2026-11-02T09:00:00Z" }
  - { project: acme/web, title: W3, assignees: [ana], state: closed, created_at: "2026-11-03T09:00:00Z" }
  - { project: acme/web, title: W4, assignees: [cy], created_at: "2026-11-04T09:00:00Z" }
  - { project: acme/web, title: W5, created_at: "2026-11-05T09:00:00Z" }
  - { project: acme/sub/api, title: A1, assignees: [ben], created_at: "2026-11-06T09:00:00Z" }
  - { project: secret/vault, title: S1, assignees: [ana], created_at: "2026-11-07T09:00:00Z" }
merge_requests:
  - { project: acme/web, title: MR1, author: ben, reviewers: [ana], created_at: "2026-11-10T09:00:00Z" }
  - { project: acme/web, title: MR2, author: cy, reviewers: [ana, ben], draft: true, created_at: "2026-11-11T09:00:00Z" }
  - { project: acme/web, title: MR3, author: ben, reviewers: [ana], state: merged, created_at: "2026-11-12T09:00:00Z" }
  - { project: secret/vault, title: MR4, author: ana, reviewers: [ana], created_at: "2026-11-13T09:00:00Z" }
"#;

const PROJECT_ISSUES: &str = r#"query($path: ID!, $names: [String!], $first: Int, $after: String) {
  project(fullPath: $path) {
    fullPath
    issues(state: opened, or: { assigneeUsernames: $names }, first: $first, after: $after) {
      nodes { iid title webUrl state dueDate weight confidential createdAt closedAt
              reference(full: true) short: reference milestone { title }
              assignees { nodes { username } } labels { nodes { title } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"#;

const GROUP_ISSUES: &str = r#"query($path: ID!, $names: [String!], $subgroups: Boolean) {
  group(fullPath: $path) {
    issues(includeSubgroups: $subgroups, state: opened, or: { assigneeUsernames: $names }) {
      nodes { title reference(full: true) }
    }
  }
}"#;

const REVIEWS: &str = r#"query($names: [String!]) {
  users(usernames: $names) {
    nodes {
      username
      reviewRequestedMergeRequests(state: opened) {
        nodes { iid title webUrl draft author { username } project { fullPath } }
        pageInfo { hasNextPage }
      }
    }
  }
}"#;

async fn start() -> FakeGitlab {
    let mut options = Options::new(ADMIN);
    options.seed = Some(Seed::from_yaml_str(WORLD).expect("the world parses"));
    FakeGitlab::start(options).await.expect("the fake starts")
}

/// The viewer's query, answered: its status and body.
async fn post(http: &Http, query: &str, variables: Value) -> (u16, Value) {
    status_json(
        http.request(Method::POST, "/api/graphql", Some(VIEWER))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("answered"),
    )
    .await
}

async fn graphql(http: &Http, query: &str, variables: Value) -> Value {
    let (status, answer) = post(http, query, variables).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    answer
}

fn field<'a>(nodes: &'a Value, name: &str) -> Vec<&'a str> {
    nodes
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node[name].as_str().expect(name))
        .collect()
}

#[tokio::test]
async fn project_issues_assigned_to_any_of_some_people_newest_first_with_their_fields() {
    let fake = start().await;
    let http = Http::new(&fake);
    let answer = graphql(
        &http,
        PROJECT_ISSUES,
        json!({"path": "ACME/web", "names": ["ANA", "ben", "nobody"]}),
    )
    .await;
    let project = &answer["data"]["project"];
    assert_eq!(project["fullPath"], "acme/web");
    let nodes = &project["issues"]["nodes"];
    // W3 is closed, W4 is cy's, W5 nobody's.
    assert_eq!(field(nodes, "title"), ["W2", "W1"]);
    let base = fake.base_url();
    assert_eq!(
        nodes[1],
        json!({
            "iid": "1",
            "title": "W1",
            "webUrl": format!("{base}/acme/web/-/issues/1"),
            "state": "opened",
            "dueDate": "2026-12-01",
            "weight": 3,
            "confidential": false,
            "createdAt": "2026-11-01T09:00:00Z",
            "closedAt": null,
            "reference": "acme/web#1",
            "short": "#1",
            "milestone": { "title": "19.8" },
            "assignees": { "nodes": [{ "username": "ana" }] },
            "labels": { "nodes": [{ "title": "backend" }] },
        })
    );
    assert_eq!(
        nodes[0]["assignees"]["nodes"],
        json!([{ "username": "ana" }, { "username": "ben" }])
    );
    assert_eq!(nodes[0]["milestone"], Value::Null);
    fake.shutdown().await;
}

#[tokio::test]
async fn issue_pages_follow_their_cursors() {
    let fake = start().await;
    let http = Http::new(&fake);
    let names = json!(["ana", "ben", "cy"]);
    let first = graphql(
        &http,
        PROJECT_ISSUES,
        json!({"path": "acme/web", "names": names, "first": 2}),
    )
    .await;
    let issues = &first["data"]["project"]["issues"];
    assert_eq!(field(&issues["nodes"], "title"), ["W4", "W2"]);
    assert_eq!(issues["pageInfo"]["hasNextPage"], true);
    let second = graphql(
        &http,
        PROJECT_ISSUES,
        json!({"path": "acme/web", "names": names, "first": 2,
               "after": issues["pageInfo"]["endCursor"]}),
    )
    .await;
    let issues = &second["data"]["project"]["issues"];
    assert_eq!(field(&issues["nodes"], "title"), ["W1"]);
    assert_eq!(issues["pageInfo"]["hasNextPage"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn group_issues_take_subgroups_only_when_asked() {
    let fake = start().await;
    let http = Http::new(&fake);
    let names = json!(["ana", "ben"]);
    let direct = graphql(&http, GROUP_ISSUES, json!({"path": "acme", "names": names})).await;
    assert_eq!(
        field(&direct["data"]["group"]["issues"]["nodes"], "reference"),
        ["acme/web#2", "acme/web#1"]
    );
    let deep = graphql(
        &http,
        GROUP_ISSUES,
        json!({"path": "acme", "names": names, "subgroups": true}),
    )
    .await;
    assert_eq!(
        field(&deep["data"]["group"]["issues"]["nodes"], "reference"),
        ["acme/sub/api#1", "acme/web#2", "acme/web#1"]
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn places_the_caller_cannot_read_are_null() {
    let fake = start().await;
    let http = Http::new(&fake);
    for path in ["secret/vault", "acme/nothing"] {
        let answer = graphql(
            &http,
            PROJECT_ISSUES,
            json!({"path": path, "names": ["ana"]}),
        )
        .await;
        assert_eq!(answer["data"]["project"], Value::Null, "{path}");
    }
    for path in ["secret", "nothing"] {
        let answer = graphql(&http, GROUP_ISSUES, json!({"path": path, "names": ["ana"]})).await;
        assert_eq!(answer["data"]["group"], Value::Null, "{path}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn review_requests_are_the_ones_rest_lists() {
    let fake = start().await;
    let http = Http::new(&fake);
    let answer = graphql(&http, REVIEWS, json!({"names": ["ana", "BEN", "cy"]})).await;
    let users = &answer["data"]["users"]["nodes"];
    // Newest users first: cy, ben, ana.
    assert_eq!(field(users, "username"), ["cy", "ben", "ana"]);
    let base = fake.base_url();
    // ana: MR3 is merged, MR4 in a project the viewer cannot read.
    assert_eq!(
        users[2]["reviewRequestedMergeRequests"],
        json!({
            "nodes": [
                { "iid": "2", "title": "MR2", "webUrl": format!("{base}/acme/web/-/merge_requests/2"),
                  "draft": true, "author": { "username": "cy" }, "project": { "fullPath": "acme/web" } },
                { "iid": "1", "title": "MR1", "webUrl": format!("{base}/acme/web/-/merge_requests/1"),
                  "draft": false, "author": { "username": "ben" }, "project": { "fullPath": "acme/web" } },
            ],
            "pageInfo": { "hasNextPage": false },
        })
    );
    assert_eq!(
        field(&users[1]["reviewRequestedMergeRequests"]["nodes"], "title"),
        ["MR2"]
    );
    assert!(field(&users[0]["reviewRequestedMergeRequests"]["nodes"], "title").is_empty());

    // REST answers the same for each.
    for (n, name) in [(2, "ana"), (1, "ben"), (0, "cy")] {
        let (status, listed) = status_json(
            http.get(
                &format!("/api/v4/merge_requests?scope=all&state=opened&reviewer_username={name}"),
                VIEWER,
            )
            .await,
        )
        .await;
        assert_eq!(status, 200);
        let rest: Vec<(String, &str)> = listed
            .as_array()
            .expect("list")
            .iter()
            .map(|mr| (mr["iid"].to_string(), mr["web_url"].as_str().expect("url")))
            .collect();
        let graphql: Vec<(String, &str)> = users[n]["reviewRequestedMergeRequests"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|mr| {
                let iid = mr["iid"].as_str().expect("iid").to_owned();
                (iid, mr["webUrl"].as_str().expect("url"))
            })
            .collect();
        assert_eq!(graphql, rest, "{name}");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn the_free_edition_refuses_a_query_that_asks_for_the_weight() {
    let fake = start().await;
    fake.state()
        .set_conditions(Conditions {
            graphql_free_edition: true,
            ..Conditions::default()
        })
        .expect("conditions");
    let http = Http::new(&fake);
    let names = json!({"path": "acme/web", "names": ["ana"]});
    let (status, answer) = post(&http, PROJECT_ISSUES, names.clone()).await;
    // graphql-ruby's validation error, with nothing run: status 200, no `data`.
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0]["message"],
        "Field 'weight' doesn't exist on type 'Issue'"
    );
    assert!(answer.get("data").is_none(), "{answer}");
    // The same query without the weight runs.
    let without = PROJECT_ISSUES.replacen(" weight", "", 1);
    let answer = graphql(&http, &without, names).await;
    assert_eq!(
        field(&answer["data"]["project"]["issues"]["nodes"], "title"),
        ["W2", "W1"]
    );
}
