//! GitLab's per-user application limits on creating issues and notes, as the fake models
//! them: off by default, set through `/__fake/conditions`, counted per user in fixed
//! one-minute windows of the fake's clock; over the limit, 429 with GitLab's JSON message.

mod common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{ALICE, BOB, Http, start, status_json};

const CREATE_ISSUE: &str = "/api/v4/projects/acme%2Fapp/issues";
const LIMITED: &str = "This endpoint has been requested too many times. Try again later.";

async fn create_issue(http: &Http, token: &str, n: usize) -> (u16, Value) {
    status_json(
        http.request(Method::POST, CREATE_ISSUE, Some(token))
            .json(&json!({ "title": format!("Issue {n}") }))
            .send()
            .await
            .expect("answered"),
    )
    .await
}

async fn set(http: &Http, path: &str, body: Value) -> Value {
    let (status, answer) = status_json(
        http.request(Method::PUT, path, None)
            .json(&body)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn the_301st_issue_of_a_minute_is_refused_and_the_next_minute_allows_again() {
    let fake = start().await;
    let http = Http::new(&fake);
    // The seed freezes the clock at 10:00:00, the start of a window.
    let conditions = set(
        &http,
        "/__fake/conditions",
        json!({"issues_create_limit": 300}),
    )
    .await;
    assert_eq!(conditions["issues_create_limit"], 300);
    assert_eq!(conditions["notes_create_limit"], 0, "off by default");

    for n in 1..=300 {
        let (status, answer) = create_issue(&http, ALICE, n).await;
        assert_eq!(status, 201, "create {n}: {answer}");
    }
    let (status, answer) = create_issue(&http, ALICE, 301).await;
    assert_eq!(status, 429);
    assert_eq!(answer, json!({"message": {"error": LIMITED}}));
    // Counted per user: bob may still create.
    assert_eq!(create_issue(&http, BOB, 1).await.0, 201);
    // 59 seconds on, still the same window.
    set(&http, "/__fake/clock", json!({"advance_secs": 59})).await;
    assert_eq!(create_issue(&http, ALICE, 302).await.0, 429);
    // The next minute starts afresh.
    set(&http, "/__fake/clock", json!({"advance_secs": 1})).await;
    assert_eq!(create_issue(&http, ALICE, 303).await.0, 201);

    // Refused creates stored nothing; they are counted under their route and logged.
    let stored = fake.state().store().issues().count();
    assert_eq!(stored, 302, "300 + bob's + one in the new window");
    let counts = fake.state().request_counts();
    assert_eq!(counts["POST /api/v4/projects/:id/issues"], 304);
    let limited: Vec<_> = fake
        .state()
        .fault_log()
        .into_iter()
        .filter(|event| event.fault == "application_rate_limited")
        .map(|event| event.route)
        .collect();
    assert_eq!(limited, vec!["POST /api/v4/projects/:id/issues"; 2]);
}

#[tokio::test]
async fn notes_have_their_own_limit() {
    let fake = start().await;
    let http = Http::new(&fake);
    assert_eq!(create_issue(&http, ALICE, 1).await.0, 201);
    set(
        &http,
        "/__fake/conditions",
        json!({"notes_create_limit": 2, "issues_create_limit": 0}),
    )
    .await;
    let note = |body: &'static str| {
        http.request(
            Method::POST,
            "/api/v4/projects/acme%2Fapp/issues/1/notes",
            Some(ALICE),
        )
        .json(&json!({ "body": body }))
        .send()
    };
    assert_eq!(note("one").await.unwrap().status(), 201);
    assert_eq!(note("two").await.unwrap().status(), 201);
    let (status, answer) = status_json(note("three").await.unwrap()).await;
    assert_eq!(
        (status, answer),
        (429, json!({"message": {"error": LIMITED}}))
    );
    // Issues are not limited by the notes limit.
    assert_eq!(create_issue(&http, ALICE, 2).await.0, 201);
    // Switching the limit off lets notes through at once.
    set(
        &http,
        "/__fake/conditions",
        json!({"notes_create_limit": 0}),
    )
    .await;
    assert_eq!(note("four").await.unwrap().status(), 201);
}
