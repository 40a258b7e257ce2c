//! The fake as the real `gitlab` crate (0.1905, async client) sees it: client construction,
//! issue creation with form bodies, offset and keyset pagination, and the error mapping
//! for 401, 403, 404 and 429.

mod common;

use chrono::NaiveDate;
use gitlab::api::projects::issues::{CreateIssue, Issue, Issues};
use gitlab::api::projects::repository::files::FileRaw;
use gitlab::api::users::{CreateUser, NewUserPassword, Users};
use gitlab::api::{self, ApiError, AsyncQuery, Pagination};
use gitlab::{AsyncGitlab, GitlabBuilder};
use gitlab_fake::{Conditions, FakeGitlab};
use serde_json::Value;

use common::{ADMIN, ALICE, BOB, JOB, OUTSIDER, start, start_with};

async fn client(fake: &FakeGitlab, token: &str) -> AsyncGitlab {
    GitlabBuilder::new(fake.host(), token)
        .insecure()
        .build_async()
        .await
        .expect("the gitlab client builds against the fake (GET /api/v4/user)")
}

fn user_id(fake: &FakeGitlab, username: &str) -> u64 {
    fake.state().store().user_by_username(username).unwrap().id
}

#[tokio::test]
async fn client_build_checks_the_token() {
    let fake = start().await;
    client(&fake, ADMIN).await;
    client(&fake, ALICE).await;
    let oauth = GitlabBuilder::new(fake.host(), ALICE)
        .insecure()
        .oauth2_token()
        .build_async()
        .await;
    assert!(oauth.is_ok(), "Authorization: Bearer is accepted");
    let wrong = GitlabBuilder::new(fake.host(), "not-a-token")
        .insecure()
        .build_async()
        .await;
    let error = wrong
        .expect_err("a wrong token must fail the client build")
        .to_string();
    assert!(error.contains("401"), "{error}");
    let counts = fake.state().request_counts();
    assert_eq!(counts["GET /api/v4/user"], 4);
}

#[tokio::test]
async fn created_issue_carries_its_metadata_and_reads_back() {
    let fake = start().await;
    let gitlab = client(&fake, ALICE).await;
    let milestone = fake
        .state()
        .store()
        .milestones()
        .find(|milestone| milestone.title == "26.1")
        .unwrap()
        .id;
    let (alice, bob) = (user_id(&fake, "alice"), user_id(&fake, "bob"));
    let endpoint = CreateIssue::builder()
        .project("acme/app")
        .title("Plan 26.1")
        .description("Agenda")
        .labels(["planning", "brand new"])
        .assignee_ids([alice, bob].into_iter())
        .milestone_id(milestone)
        .due_date(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
        .confidential(true)
        .build()
        .unwrap();
    let created: Value = endpoint.query_async(&gitlab).await.unwrap();
    assert_eq!(created["title"], "Plan 26.1");
    assert_eq!(
        created["labels"],
        serde_json::json!(["brand new", "planning"])
    );
    assert_eq!(created["milestone"]["title"], "26.1");
    assert_eq!(
        created["milestone"]["group_id"],
        serde_json::json!(milestone_group(&fake))
    );
    assert_eq!(created["due_date"], "2026-11-27");
    assert_eq!(created["confidential"], true);
    assert_eq!(created["assignees"].as_array().unwrap().len(), 2);
    assert_eq!(created["assignee"]["username"], "alice");
    assert_eq!(created["author"]["username"], "alice");
    assert_eq!(created["state"], "opened");
    assert_eq!(created["created_at"], "2026-11-20T10:00:00.000Z");
    let iid = created["iid"].as_u64().unwrap();
    assert_eq!(created["references"]["full"], format!("acme/app#{iid}"));
    assert_eq!(
        created["web_url"],
        format!("{}/acme/app/-/issues/{iid}", fake.base_url())
    );

    let read: Value = Issue::builder()
        .project("acme/app")
        .issue(iid)
        .build()
        .unwrap()
        .query_async(&gitlab)
        .await
        .unwrap();
    assert_eq!(read["id"], created["id"]);
    assert_eq!(read["labels"], created["labels"]);
    assert_eq!(read["due_date"], created["due_date"]);

    // The unknown label was created in the project, as GitLab does.
    let state = fake.state();
    let store = state.store();
    assert!(store.labels().any(|label| label.name == "brand new"));
    assert_eq!(
        store.issue("acme/app", iid).unwrap().assignee_ids,
        vec![alice, bob]
    );
}

fn milestone_group(fake: &FakeGitlab) -> u64 {
    fake.state()
        .store()
        .groups()
        .find(|group| group.path == "acme")
        .unwrap()
        .id
}

#[tokio::test]
async fn paged_all_follows_offset_pages_over_a_hundred_issues() {
    let fake = start_with(250, Conditions::default(), 0).await;
    let gitlab = client(&fake, ALICE).await;
    fake.state().reset_counters();
    let issues: Vec<Value> = api::paged(
        Issues::builder().project("acme/app").build().unwrap(),
        Pagination::All,
    )
    .query_async(&gitlab)
    .await
    .unwrap();
    assert_eq!(issues.len(), 250);
    // Newest first by default (created_at desc).
    assert_eq!(issues[0]["title"], "Seeded issue 250");
    assert_eq!(issues[249]["title"], "Seeded issue 1");
    let mut iids: Vec<u64> = issues
        .iter()
        .map(|issue| issue["iid"].as_u64().unwrap())
        .collect();
    iids.sort_unstable();
    iids.dedup();
    assert_eq!(iids.len(), 250, "no issue twice, none missing");
    // 100 + 100 + 50: three pages, stopping at the short one.
    assert_eq!(
        fake.state().request_counts()["GET /api/v4/projects/:id/issues"],
        3
    );

    let planning: Vec<Value> = api::paged(
        Issues::builder()
            .project("acme/app")
            .label("planning")
            .build()
            .unwrap(),
        Pagination::All,
    )
    .query_async(&gitlab)
    .await
    .unwrap();
    assert_eq!(planning.len(), 125);
}

#[tokio::test]
async fn users_are_listed_with_keyset_pagination() {
    let fake = start().await;
    let gitlab = client(&fake, ADMIN).await;
    for n in 0..4 {
        let _: Value = CreateUser::builder()
            .name(format!("User {n}"))
            .username(format!("user{n}"))
            .email(format!("user{n}@example.com"))
            .password(NewUserPassword::Random)
            .build()
            .unwrap()
            .query_async(&gitlab)
            .await
            .unwrap();
    }
    fake.state().reset_counters();
    let users: Vec<Value> = api::paged(
        Users::builder().build().unwrap(),
        Pagination::AllPerPageLimit(2),
    )
    .query_async(&gitlab)
    .await
    .unwrap();
    // root, alice, bob, olivia and the four new users; GitLab orders users by id, newest first.
    let ids: Vec<u64> = users
        .iter()
        .map(|user| user["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(fake.state().request_counts()["GET /api/v4/users"], 4);

    let found: Vec<Value> = Users::builder()
        .username("BOB")
        .build()
        .unwrap()
        .query_async(&gitlab)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["username"], "bob");
}

#[tokio::test]
async fn an_invisible_project_is_not_found() {
    let fake = start().await;
    let gitlab = client(&fake, OUTSIDER).await;
    let result: Result<Value, _> = gitlab::api::projects::Project::builder()
        .project("acme/secret")
        .build()
        .unwrap()
        .query_async(&gitlab)
        .await;
    match result {
        Err(ApiError::GitlabWithStatus { status, msg }) => {
            assert_eq!(status.as_u16(), 404);
            assert_eq!(msg, "404 Project Not Found");
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    // Bob, a member, sees his project.
    let bob = client(&fake, BOB).await;
    let project: Value = gitlab::api::projects::Project::builder()
        .project("acme/app")
        .build()
        .unwrap()
        .query_async(&bob)
        .await
        .unwrap();
    assert_eq!(project["path_with_namespace"], "acme/app");
}

#[tokio::test]
async fn a_job_token_reads_files_but_cannot_create_issues() {
    let fake = start().await;
    let job = GitlabBuilder::new_with_job_token(fake.host(), JOB)
        .insecure()
        .build_async()
        .await
        .expect("a job token client builds (GET /api/v4/job)");
    let template = api::raw(
        FileRaw::builder()
            .project("acme/app")
            .file_path(".gitlab/issue_templates/dev.md")
            .ref_("main")
            .build()
            .unwrap(),
    )
    .query_async(&job)
    .await
    .unwrap();
    assert_eq!(template, b"## Dev template\n");

    let result: Result<Value, _> = CreateIssue::builder()
        .project("acme/app")
        .title("From CI")
        .build()
        .unwrap()
        .query_async(&job)
        .await;
    match result {
        Err(ApiError::GitlabWithStatus { status, msg }) => {
            assert_eq!(status.as_u16(), 403);
            assert_eq!(msg, "403 Forbidden");
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    assert_eq!(fake.state().store().issues().count(), 0);
    assert_eq!(fake.state().request_counts()["GET /api/v4/job"], 1);
}

#[tokio::test]
async fn too_many_requests_maps_to_rate_limited() {
    let conditions = Conditions {
        rate_limit: 3,
        rate_limit_window_secs: 600,
        ..Conditions::default()
    };
    let fake = start_with(0, conditions, 0).await;
    let gitlab = client(&fake, ALICE).await; // request 1
    let project = || {
        gitlab::api::projects::Project::builder()
            .project("acme/app")
            .build()
            .unwrap()
    };
    let _: Value = project().query_async(&gitlab).await.unwrap(); // 2
    let _: Value = project().query_async(&gitlab).await.unwrap(); // 3
    let result: Result<Value, _> = project().query_async(&gitlab).await; // 4: over the limit
    match result {
        Err(ApiError::GitlabRateLimited {
            rl_limit,
            rl_name,
            rl_observed,
            rl_remaining,
            retry_after,
            ..
        }) => {
            assert_eq!(rl_limit, 3);
            assert_eq!(rl_name, "throttle_authenticated_api");
            assert_eq!(rl_observed, 4);
            assert_eq!(rl_remaining, 0);
            assert!(retry_after.as_secs() >= 1 && retry_after.as_secs() <= 600);
        }
        other => panic!("expected GitlabRateLimited, got {other:?}"),
    }
    // Another token has its own budget.
    let bob = client(&fake, BOB).await;
    let _: Value = project().query_async(&bob).await.unwrap();
}
