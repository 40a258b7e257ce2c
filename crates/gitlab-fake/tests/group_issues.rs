//! The group issue list, issue iterations (seeded, shown and filtered) and the notes list's
//! order and pagination, over raw HTTP.

mod common;

use gitlab_fake::{FakeGitlab, Options, Seed};
use reqwest::Method;
use serde_json::{Value, json};

use common::{ADMIN, ALICE, BOB, Http, JOB, OUTSIDER, SEED, header, status_json};

/// Issues across the test world's projects, plus a group and project outside `acme`.
const EXTRA: &str = r#"
groups:
  - path: other
    visibility: public
projects:
  - path: other/tool
    visibility: public
issues:
  - project: acme/app
    title: App sprint
    labels: [planning]
    milestone: "26.1"
    iteration: "2026-11-09"
    created_at: 2026-11-01T09:00:00Z
  - project: acme/platform/infra
    title: Infra sprint
    labels: [planning]
    milestone: "26.1"
    iteration: "2026-11-09"
    state: closed
    created_at: 2026-11-02T09:00:00Z
  - project: acme/platform/infra
    title: Infra open
    labels: [planning]
    milestone: "26.1"
    created_at: 2026-11-03T09:00:00Z
  - project: acme/secret
    title: Secret
    labels: [planning]
    created_at: 2026-11-04T09:00:00Z
  - project: acme/handbook
    title: Handbook
    iteration: "2026-11-23"
    created_at: 2026-11-05T09:00:00Z
  - project: other/tool
    title: Elsewhere
    labels: [planning]
    created_at: 2026-11-06T09:00:00Z
"#;

async fn start() -> FakeGitlab {
    let mut seed = Seed::from_yaml_str(SEED).expect("the test seed parses");
    let extra = Seed::from_yaml_str(EXTRA).expect("the extra seed parses");
    seed.groups.extend(extra.groups);
    seed.projects.extend(extra.projects);
    seed.issues.extend(extra.issues);
    let mut options = Options::new(ADMIN);
    options.seed = Some(seed);
    FakeGitlab::start(options).await.expect("the fake starts")
}

fn titles(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|issue| issue["title"].as_str().unwrap())
        .collect()
}

/// The id of the seeded `acme` iteration that starts on `start`.
fn iteration_id(fake: &FakeGitlab, start: &str) -> u64 {
    fake.state()
        .store()
        .iterations()
        .find(|iteration| iteration.start_date.to_string() == start)
        .unwrap()
        .id
}

#[tokio::test]
async fn group_issues_span_subgroups_and_only_what_the_caller_can_read() {
    let fake = start().await;
    let http = Http::new(&fake);
    let list = |group: &str, query: &str| format!("/api/v4/groups/{group}/issues?{query}");
    let asc = "order_by=created_at&sort=asc";

    // Alice (maintainer of acme) reads every acme project, subgroups' included; not other/.
    let (status, body) = status_json(http.get(&list("acme", asc), ALICE).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        titles(&body),
        [
            "App sprint",
            "Infra sprint",
            "Infra open",
            "Secret",
            "Handbook"
        ]
    );
    assert_eq!(
        body[1]["references"]["full"], "acme/platform/infra#1",
        "issues name their own project"
    );
    // Bob is a developer of acme/app only: the internal handbook too, nothing private else.
    let (_, body) = status_json(http.get(&list("acme", asc), BOB).await).await;
    assert_eq!(titles(&body), ["App sprint", "Handbook"]);
    // The group by id, and the subgroup alone.
    let platform = fake
        .state()
        .store()
        .groups()
        .find(|group| group.path == "platform")
        .unwrap()
        .id;
    let (_, body) = status_json(http.get(&list(&platform.to_string(), asc), ALICE).await).await;
    assert_eq!(titles(&body), ["Infra sprint", "Infra open"]);
    let (_, body) = status_json(http.get(&list("acme%2Fplatform", asc), ALICE).await).await;
    assert_eq!(titles(&body), ["Infra sprint", "Infra open"]);
    // An outsider sees the internal group's internal project, and not the private subgroup.
    let (_, body) = status_json(http.get(&list("acme", asc), OUTSIDER).await).await;
    assert_eq!(titles(&body), ["Handbook"]);
    for token in [OUTSIDER, BOB] {
        assert_eq!(
            status_json(http.get(&list("acme%2Fplatform", asc), token).await).await,
            (404, json!({"message": "404 Group Not Found"}))
        );
    }
    assert_eq!(
        status_json(http.get(&list("nope", asc), ALICE).await).await,
        (404, json!({"message": "404 Group Not Found"}))
    );
    // Job tokens cannot list issues, here as in projects.
    let job = http
        .request(Method::GET, &list("acme", asc), None)
        .header("JOB-TOKEN", JOB)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_json(job).await,
        (403, json!({"message": "403 Forbidden"}))
    );
    // A public group is readable without a token.
    let anonymous = http
        .request(Method::GET, &list("other", asc), None)
        .send()
        .await
        .unwrap();
    assert_eq!(titles(&status_json(anonymous).await.1), ["Elsewhere"]);
}

#[tokio::test]
async fn group_issues_filter_and_paginate_like_the_project_list() {
    let fake = start().await;
    let http = Http::new(&fake);
    let list = |query: &str| format!("/api/v4/groups/acme/issues?{query}");
    let sprint = iteration_id(&fake, "2026-11-09");

    let (_, body) = status_json(
        http.get(&list("labels=planning&state=closed&milestone=26.1"), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["Infra sprint"]);
    let (_, body) = status_json(
        http.get(&list("labels=planning&state=opened&sort=asc"), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["App sprint", "Infra open", "Secret"]);
    let (_, body) = status_json(
        http.get(&list(&format!("iteration_id={sprint}&sort=asc")), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["App sprint", "Infra sprint"]);
    let (_, body) = status_json(http.get(&list("iteration_id=None&sort=asc"), ALICE).await).await;
    assert_eq!(titles(&body), ["Infra open", "Secret"]);
    let (_, body) = status_json(http.get(&list("iteration_id=Any&sort=asc"), ALICE).await).await;
    assert_eq!(titles(&body), ["App sprint", "Infra sprint", "Handbook"]);
    // The seed's clock (2026-11-20) is inside the 2026-11-09 iteration.
    let (_, body) = status_json(
        http.get(&list("iteration_id=current&sort=asc"), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["App sprint", "Infra sprint"]);
    let (_, body) = status_json(
        http.get(&list("created_after=2026-11-03T00:00:00Z&sort=asc"), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["Infra open", "Secret", "Handbook"]);
    assert_eq!(
        status_json(http.get(&list("iteration_id=soon"), ALICE).await).await,
        (400, json!({"error": "iteration_id is invalid"}))
    );
    assert_eq!(
        status_json(
            http.get(&list("iteration_id=1&iteration_title=Sprint"), ALICE)
                .await
        )
        .await,
        (
            400,
            json!({"error": "iteration_id, iteration_title are mutually exclusive"})
        )
    );

    let first = http
        .get(&list("per_page=2&order_by=created_at&sort=asc"), ALICE)
        .await;
    assert_eq!(header(&first, "x-total"), "5");
    assert_eq!(header(&first, "x-total-pages"), "3");
    assert_eq!(header(&first, "x-next-page"), "2");
    let base = format!("{}/api/v4/groups/acme/issues", fake.base_url());
    assert_eq!(
        header(&first, "link"),
        format!(
            "<{base}?id=acme&order_by=created_at&page=2&per_page=2&sort=asc>; rel=\"next\", \
             <{base}?id=acme&order_by=created_at&page=1&per_page=2&sort=asc>; rel=\"first\", \
             <{base}?id=acme&order_by=created_at&page=3&per_page=2&sort=asc>; rel=\"last\""
        )
    );
    let last = http
        .get(
            &list("per_page=2&page=3&order_by=created_at&sort=asc"),
            ALICE,
        )
        .await;
    assert_eq!(header(&last, "x-next-page"), "");
    assert_eq!(titles(&status_json(last).await.1), ["Handbook"]);
    let counts = fake.state().request_counts();
    assert!(counts["GET /api/v4/groups/:id/issues"] >= 10, "{counts:?}");
}

#[tokio::test]
async fn issues_show_their_iteration_and_the_project_list_filters_on_it() {
    let fake = start().await;
    let http = Http::new(&fake);
    let sprint = iteration_id(&fake, "2026-11-09");
    let (_, issue) = status_json(
        http.get("/api/v4/projects/acme%2Fapp/issues/1", ALICE)
            .await,
    )
    .await;
    let acme = fake.state().store().groups().next().unwrap().id;
    let iteration = &issue["iteration"];
    assert_eq!(iteration["id"], sprint);
    assert!(iteration["iid"].is_u64(), "{iteration}");
    assert_eq!(iteration["group_id"], acme);
    assert_eq!(iteration["title"], Value::Null);
    assert_eq!(iteration["start_date"], "2026-11-09");
    assert_eq!(iteration["due_date"], "2026-11-22");
    assert_eq!(iteration["state"], 2, "current on the seed's clock");
    assert_eq!(
        iteration["web_url"],
        format!("{}/groups/acme/-/iterations/{sprint}", fake.base_url())
    );

    let list = |query: &str| format!("/api/v4/projects/acme%2Fplatform%2Finfra/issues?{query}");
    let (_, body) = status_json(
        http.get(&list(&format!("iteration_id={sprint}")), ALICE)
            .await,
    )
    .await;
    assert_eq!(titles(&body), ["Infra sprint"]);
    assert_eq!(body[0]["iteration"]["id"], sprint);
    let (_, body) = status_json(http.get(&list("iteration_id=None"), ALICE).await).await;
    assert_eq!(titles(&body), ["Infra open"]);
    assert_eq!(body[0]["iteration"], Value::Null);
}

#[tokio::test]
async fn notes_sort_by_creation_and_paginate() {
    let fake = start().await;
    let http = Http::new(&fake);
    let notes = "/api/v4/projects/acme%2Fapp/issues/1/notes";
    for n in 1..=4 {
        // Admins may backdate notes: the last one posted is the oldest.
        let created_at = if n == 4 {
            "2026-11-19T08:00:00Z".to_owned()
        } else {
            format!("2026-11-20T1{n}:00:00Z")
        };
        let (status, _) = status_json(
            http.send_json(
                Method::POST,
                notes,
                ADMIN,
                &json!({"body": format!("Note {n}"), "created_at": created_at}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 201);
    }
    let bodies = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|note| note["body"].as_str().unwrap().to_owned())
            .collect()
    };
    // GitLab's default: newest first.
    let (_, body) = status_json(http.get(notes, ALICE).await).await;
    assert_eq!(bodies(&body), ["Note 3", "Note 2", "Note 1", "Note 4"]);
    let first = http
        .get(
            &format!("{notes}?sort=asc&order_by=created_at&per_page=3"),
            ALICE,
        )
        .await;
    assert_eq!(header(&first, "x-total"), "4");
    assert_eq!(header(&first, "x-next-page"), "2");
    let base = format!("{}{notes}", fake.base_url());
    assert!(
        header(&first, "link").starts_with(&format!(
            "<{base}?id=acme%2Fapp&noteable_id=1&order_by=created_at&page=2&per_page=3&sort=asc>; \
             rel=\"next\""
        )),
        "{}",
        header(&first, "link")
    );
    assert_eq!(
        bodies(&status_json(first).await.1),
        ["Note 4", "Note 1", "Note 2"]
    );
    let second = http
        .get(
            &format!("{notes}?sort=asc&order_by=created_at&per_page=3&page=2"),
            ALICE,
        )
        .await;
    assert_eq!(header(&second, "x-next-page"), "");
    let (_, body) = status_json(second).await;
    assert_eq!(bodies(&body), ["Note 3"]);
    assert_eq!(body[0]["author"]["username"], "root");
    assert_eq!(body[0]["system"], false);
    assert_eq!(body[0]["created_at"], "2026-11-20T13:00:00.000Z");
}
