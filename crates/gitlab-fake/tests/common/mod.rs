//! Shared setup for the integration tests: a seeded fake and a tiny raw HTTP helper.
#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use gitlab_fake::{Conditions, FakeGitlab, Options, Seed, SeedIssue};
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

/// The admin (`root`) token.
pub(crate) const ADMIN: &str = "admin-token";
/// Alice: maintainer of `acme`.
pub(crate) const ALICE: &str = "alice-token";
/// Bob: developer of `acme/app` only.
pub(crate) const BOB: &str = "bob-token";
/// Olivia: member of nothing (sees only the internal `acme/handbook`).
pub(crate) const OUTSIDER: &str = "outsider-token";
/// A read-only (`read_api`) token of Alice's.
pub(crate) const READ_ONLY: &str = "alice-read-only";
/// The CI job token of a job in `acme/app`.
pub(crate) const JOB: &str = "job-token";

/// The world most tests start from.
pub(crate) const SEED: &str = r###"
now: 2026-11-20T10:00:00Z
users:
  - username: alice
    name: Alice Example
    tokens:
      - alice-token
      - token: alice-read-only
        scopes: [read_api]
  - username: bob
    name: Bob Example
    tokens: [bob-token]
  - username: olivia
    name: Olivia Outsider
    tokens: [outsider-token]
groups:
  - path: acme
    name: ACME
    visibility: internal
    members: { alice: maintainer }
    labels: [team]
  - path: acme/platform
    name: Platform
projects:
  - path: acme/app
    name: App
    members: { bob: developer }
    labels: [planning, bug, "needs review"]
    files:
      .gitlab/issue_templates/dev.md: "## Dev template\n"
  - path: acme/platform/infra
    name: Infra
  - path: acme/secret
    name: Secret
  - path: acme/handbook
    name: Handbook
    visibility: internal
    labels: [docs]
milestones:
  - group: acme
    title: "26.1"
    start_date: 2026-11-01
    due_date: 2026-11-30
  - group: acme
    title: "25.12"
    start_date: 2025-12-01
    due_date: 2025-12-31
    state: closed
  - project: acme/app
    title: App M1
    due_date: 2027-01-15
iterations:
  - group: acme
    start_date: 2026-11-09
    due_date: 2026-11-22
  - group: acme
    start_date: 2026-11-23
    due_date: 2026-12-06
  - group: acme
    start_date: 2026-10-26
    due_date: 2026-11-08
job_tokens:
  - token: job-token
    project: acme/app
    user: alice
"###;

/// The seed above, plus `extra_issues` plain issues in `acme/app`.
pub(crate) fn seed(extra_issues: usize) -> Seed {
    let mut seed = Seed::from_yaml_str(SEED).expect("the test seed parses");
    seed.issues.extend((1..=extra_issues).map(|n| {
        SeedIssue {
            project: "acme/app".to_owned(),
            title: format!("Seeded issue {n}"),
            description: None,
            labels: if n % 2 == 0 {
                vec!["planning".to_owned()]
            } else {
                Vec::new()
            },
            assignees: Vec::new(),
            author: Some("alice".to_owned()),
            milestone: None,
            due_date: None,
            state: None,
            confidential: false,
            weight: None,
            iteration: None,
            issue_type: None,
            created_at: Some(
                chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                    .unwrap()
                    .to_utc()
                    + chrono::Duration::hours(n as i64),
            ),
            closed_at: None,
        }
    }));
    seed
}

/// Starts a fake with the test seed and conditions.
pub(crate) async fn start_with(
    extra_issues: usize,
    conditions: Conditions,
    rng_seed: u64,
) -> FakeGitlab {
    let mut options = Options::new(ADMIN);
    options.seed = Some(seed(extra_issues));
    options.conditions = conditions;
    options.rng_seed = rng_seed;
    FakeGitlab::start(options).await.expect("the fake starts")
}

/// Starts a fake with the test seed and no injected conditions.
pub(crate) async fn start() -> FakeGitlab {
    start_with(0, Conditions::default(), 0).await
}

/// Raw HTTP access to a fake.
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    /// A client for `fake`.
    pub(crate) fn new(fake: &FakeGitlab) -> Self {
        Http {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("client"),
            base: fake.base_url(),
        }
    }

    /// The full URL of `path` (which includes `/api/v4`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with a `PRIVATE-TOKEN` (if any).
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.header("PRIVATE-TOKEN", token),
            None => builder,
        }
    }

    /// GET with a private token.
    pub(crate) async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, Some(token))
            .send()
            .await
            .expect("GET answered")
    }

    /// A JSON-bodied request with a private token.
    pub(crate) async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.request(method, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request answered")
    }

    /// A form-bodied request with a private token (`body` is already urlencoded).
    pub(crate) async fn send_form(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &str,
    ) -> reqwest::Response {
        self.request(method, path, Some(token))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .expect("request answered")
    }
}

/// A response's status and JSON body.
pub(crate) async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// A response header as text ("" when absent).
pub(crate) fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
