//! The fake's GraphQL subset (`POST /api/graphql`, `users`): lookup by usernames and ids,
//! unknown usernames left out, statuses, pagination as GitLab's (at most 100 a page, opaque
//! cursors), errors in the body, authentication and request counting.

mod common;

use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use reqwest::Method;
use serde_json::{Value, json};

use common::{ADMIN, ALICE, Http, JOB, READ_ONLY, start, status_json};

const USERS: &str = r#"query($names: [String!], $first: Int, $after: String) {
  users(usernames: $names, first: $first, after: $after) {
    nodes { id username name state status { availability message messageHtml emoji } }
    edges { cursor node { username } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Runs `query` with `variables` as `token` (`None`: no token), via `PRIVATE-TOKEN`.
async fn graphql(http: &Http, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    status_json(
        http.request(Method::POST, "/api/graphql", token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("answered"),
    )
    .await
}

fn usernames(answer: &Value) -> Vec<&str> {
    answer["data"]["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["username"].as_str().expect("username"))
        .collect()
}

#[tokio::test]
async fn users_by_username_leave_unknown_ones_out_and_carry_statuses() {
    let fake = start().await;
    let http = Http::new(&fake);
    http.send_json(
        Method::PUT,
        "/api/v4/user/status",
        ALICE,
        &json!({"availability": "busy", "message": "OOO <back> Monday", "emoji": "palm_tree"}),
    )
    .await;
    let (status, answer) = graphql(
        &http,
        Some(ALICE),
        USERS,
        json!({"names": ["ALICE", "bob", "nobody-here"]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    // Newest first; the unknown username is simply not there; case does not matter.
    assert_eq!(usernames(&answer), ["bob", "alice"]);
    let nodes = &answer["data"]["users"]["nodes"];
    assert_eq!(
        nodes[1],
        json!({
            "id": "gid://gitlab/User/2",
            "username": "alice",
            "name": "Alice Example",
            "state": "active",
            "status": {
                "availability": "BUSY",
                "message": "OOO <back> Monday",
                "messageHtml": "OOO &lt;back&gt; Monday",
                "emoji": "palm_tree",
            },
        })
    );
    // No status at all is null, not an empty status.
    assert_eq!(nodes[0]["status"], Value::Null);
    assert_eq!(
        answer["data"]["users"]["pageInfo"]["hasNextPage"],
        json!(false)
    );

    // By global id.
    let (_, by_id) = graphql(
        &http,
        Some(ALICE),
        r#"{ users(ids: ["gid://gitlab/User/3"]) { nodes { username } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(usernames(&by_id), ["bob"]);
    assert_eq!(
        fake.state().request_counts()["POST /api/graphql"],
        2,
        "counted as other routes are"
    );
}

#[tokio::test]
async fn pages_hold_at_most_100_and_cursors_lead_on() {
    let mut seed = String::from("users:\n");
    for n in 1..=130 {
        seed.push_str(&format!("  - username: user{n:03}\n"));
    }
    let mut options = Options::new(ADMIN);
    options.seed = Some(Seed::from_yaml_str(&seed).expect("seed"));
    let fake = FakeGitlab::start(options).await.expect("starts");
    let http = Http::new(&fake);
    let all: Vec<String> = (1..=130).map(|n| format!("user{n:03}")).collect();

    // Asking for more than 100 gets 100, as GitLab's max_page_size.
    let (_, first) = graphql(
        &http,
        Some(ADMIN),
        USERS,
        json!({"names": all, "first": 500}),
    )
    .await;
    let page = usernames(&first);
    assert_eq!(page.len(), 100);
    assert_eq!((page[0], page[99]), ("user130", "user031"));
    let info = &first["data"]["users"]["pageInfo"];
    assert_eq!(info["hasNextPage"], json!(true));
    let last_edge = &first["data"]["users"]["edges"][99];
    assert_eq!(last_edge["node"]["username"], "user031");
    assert_eq!(last_edge["cursor"], info["endCursor"]);

    let (_, second) = graphql(
        &http,
        Some(ADMIN),
        USERS,
        json!({"names": all, "first": 100, "after": info["endCursor"]}),
    )
    .await;
    let page = usernames(&second);
    assert_eq!(page.len(), 30);
    assert_eq!((page[0], page[29]), ("user030", "user001"));
    assert_eq!(
        second["data"]["users"]["pageInfo"]["hasNextPage"],
        json!(false)
    );

    // A small page size works as well.
    let (_, small) = graphql(
        &http,
        Some(ADMIN),
        USERS,
        json!({"names": ["user001", "user002", "user003"], "first": 2}),
    )
    .await;
    assert_eq!(usernames(&small), ["user003", "user002"]);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_query_that_cannot_run_answers_200_with_errors() {
    let fake = start().await;
    let http = Http::new(&fake);
    let (status, answer) = graphql(
        &http,
        Some(ALICE),
        r#"{ users(usernames: ["alice"], ids: ["gid://gitlab/User/2"]) { nodes { id } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0]["message"],
        "Provide either a list of usernames or ids"
    );
    let (status, answer) = graphql(&http, Some(ALICE), "{ nosuchfield }", json!({})).await;
    assert_eq!(status, 200);
    assert!(answer["errors"][0]["message"].is_string(), "{answer}");
    let (status, answer) = graphql(
        &http,
        Some(ALICE),
        r#"{ users(usernames: ["alice"], after: "garbage") { nodes { id } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0]["message"],
        "Please provide a valid cursor"
    );
}

#[tokio::test]
async fn only_a_valid_token_may_query() {
    let fake = start().await;
    let http = Http::new(&fake);
    let query = r#"{ users(usernames: ["alice"]) { nodes { username } } }"#;
    let refused = json!({"errors": [{"message": "Invalid token"}]});
    assert_eq!(
        graphql(&http, None, query, json!({})).await,
        (401, refused.clone())
    );
    assert_eq!(
        graphql(&http, Some("wrong-token"), query, json!({})).await,
        (401, refused.clone())
    );
    let job = http
        .request(Method::POST, "/api/graphql", None)
        .header("JOB-TOKEN", JOB)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(job).await, (401, refused));
    // `Authorization: Bearer` and a read-only token both do.
    let bearer = http
        .request(Method::POST, "/api/graphql", None)
        .header("Authorization", format!("Bearer {ALICE}"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let (status, answer) = status_json(bearer).await;
    assert_eq!((status, usernames(&answer)), (200, vec!["alice"]));
    let (status, answer) = graphql(&http, Some(READ_ONLY), query, json!({})).await;
    assert_eq!((status, usernames(&answer)), (200, vec!["alice"]));
    assert_eq!(
        fake.state().request_counts()["POST /api/graphql"],
        5,
        "refused requests are counted too"
    );
    // Queries are not writes: a drop rate of 1 loses nothing.
    fake.state()
        .set_conditions(Conditions {
            drop_rate: 1.0,
            ..Conditions::default()
        })
        .unwrap();
    let (status, _) = graphql(&http, Some(ALICE), query, json!({})).await;
    assert_eq!(status, 200);
}
