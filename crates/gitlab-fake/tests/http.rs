//! The fake over raw HTTP: exact pagination headers, body encodings, encoded paths, error
//! shapes, quick actions, setup through the API, and the injected conditions.

mod common;

use std::time::Duration;

use gitlab_fake::Conditions;
use reqwest::Method;
use serde_json::{Value, json};

use common::{
    ADMIN, ALICE, BOB, Http, JOB, OUTSIDER, READ_ONLY, header, start, start_with, status_json,
};

#[tokio::test]
async fn offset_pagination_headers_match_gitlab() {
    let fake = start_with(45, Conditions::default(), 0).await;
    let http = Http::new(&fake);
    let base = format!("{}/api/v4/projects/acme%2Fapp/issues", fake.base_url());

    let first = http
        .get(
            "/api/v4/projects/acme%2Fapp/issues?state=opened&per_page=20",
            ALICE,
        )
        .await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "x-page"), "1");
    assert_eq!(header(&first, "x-per-page"), "20");
    assert_eq!(header(&first, "x-prev-page"), "");
    assert_eq!(header(&first, "x-next-page"), "2");
    assert_eq!(header(&first, "x-total"), "45");
    assert_eq!(header(&first, "x-total-pages"), "3");
    assert!(
        first.headers().contains_key("x-prev-page"),
        "present even when empty"
    );
    assert_eq!(
        header(&first, "link"),
        format!(
            "<{base}?id=acme%2Fapp&page=2&per_page=20&state=opened>; rel=\"next\", \
             <{base}?id=acme%2Fapp&page=1&per_page=20&state=opened>; rel=\"first\", \
             <{base}?id=acme%2Fapp&page=3&per_page=20&state=opened>; rel=\"last\""
        )
    );
    let (_, body) = status_json(first).await;
    assert_eq!(body.as_array().unwrap().len(), 20);

    let middle = http
        .get(
            "/api/v4/projects/acme%2Fapp/issues?state=opened&per_page=20&page=2",
            ALICE,
        )
        .await;
    assert_eq!(header(&middle, "x-prev-page"), "1");
    assert_eq!(header(&middle, "x-next-page"), "3");
    let link = header(&middle, "link");
    assert!(link.starts_with(&format!(
        "<{base}?id=acme%2Fapp&page=1&per_page=20&state=opened>; rel=\"prev\", "
    )));

    let last = http
        .get(
            "/api/v4/projects/acme%2Fapp/issues?state=opened&per_page=20&page=3",
            ALICE,
        )
        .await;
    assert_eq!(header(&last, "x-next-page"), "");
    assert_eq!(header(&last, "x-prev-page"), "2");
    let link = header(&last, "link");
    assert!(
        link.contains("rel=\"prev\"")
            && link.contains("rel=\"first\"")
            && link.contains("rel=\"last\"")
    );
    assert!(!link.contains("rel=\"next\""));
    let (_, body) = status_json(last).await;
    assert_eq!(body.as_array().unwrap().len(), 5);

    // per_page is capped at 100; the default is 20.
    let capped = http
        .get("/api/v4/projects/acme%2Fapp/issues?per_page=500", ALICE)
        .await;
    assert_eq!(header(&capped, "x-per-page"), "100");
    assert_eq!(header(&capped, "x-total-pages"), "1");
    let default = http.get("/api/v4/projects/1/issues", ALICE).await;
    assert_eq!(header(&default, "x-per-page"), "20");

    // An empty list still has one page.
    let empty = http
        .get("/api/v4/projects/acme%2Fapp/issues?labels=nothing", ALICE)
        .await;
    assert_eq!(header(&empty, "x-total"), "0");
    assert_eq!(header(&empty, "x-total-pages"), "1");
    assert_eq!(header(&empty, "x-next-page"), "");
}

#[tokio::test]
async fn keyset_users_link_is_absolute_and_absent_on_the_last_page() {
    let fake = start().await;
    let http = Http::new(&fake);
    let page = http
        .get(
            "/api/v4/users?pagination=keyset&per_page=3&order_by=id&sort=asc",
            ADMIN,
        )
        .await;
    let link = header(&page, "link");
    let prefix = format!("<{}/api/v4/users?cursor=", fake.base_url());
    assert!(link.starts_with(&prefix), "{link}");
    assert!(
        link.ends_with("&order_by=id&pagination=keyset&per_page=3&sort=asc>; rel=\"next\""),
        "{link}"
    );
    assert!(!page.headers().contains_key("x-total"));
    let (_, users) = status_json(page).await;
    let ids: Vec<u64> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3]);

    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let last = http
        .request(
            Method::GET,
            next.trim_start_matches(&fake.base_url()),
            Some(ADMIN),
        )
        .send()
        .await
        .unwrap();
    assert!(!last.headers().contains_key("link"));
    let (_, users) = status_json(last).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["username"], "olivia");

    // The projects-style `id_after` works too.
    let after = http
        .get(
            "/api/v4/users?pagination=keyset&per_page=10&order_by=id&sort=asc&id_after=2",
            ADMIN,
        )
        .await;
    let (_, users) = status_json(after).await;
    assert_eq!(users.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn json_form_and_query_parameters_are_all_accepted() {
    let fake = start().await;
    let http = Http::new(&fake);
    let path = "/api/v4/projects/acme%2Fapp/issues";
    let bob = fake.state().store().user_by_username("bob").unwrap().id;

    let (status, json_issue) = status_json(
        http.send_json(
            Method::POST,
            path,
            ALICE,
            &json!({"title": "JSON", "labels": "bug,planning", "assignee_ids": [bob], "confidential": true, "weight": 3}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{json_issue}");
    assert_eq!(json_issue["labels"], json!(["bug", "planning"]));
    assert_eq!(json_issue["assignees"][0]["username"], "bob");
    assert_eq!(json_issue["weight"], 3);

    let (status, form_issue) = status_json(
        http.send_form(
            Method::POST,
            path,
            ALICE,
            &format!("title=Form+body&labels=a%2Cb&assignee_ids%5B%5D={bob}&due_date=2026-12-01&confidential=false"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{form_issue}");
    assert_eq!(form_issue["title"], "Form body");
    assert_eq!(form_issue["labels"], json!(["a", "b"]));
    assert_eq!(form_issue["due_date"], "2026-12-01");
    assert_eq!(form_issue["confidential"], false);

    let (status, query_issue) = status_json(
        http.request(
            Method::POST,
            &format!("{path}?title=Query&assignee_id={bob}"),
            Some(ALICE),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{query_issue}");
    assert_eq!(query_issue["title"], "Query");
    assert_eq!(query_issue["assignee"]["username"], "bob");

    // Edit with labels, add_labels and remove_labels, then close with a form body.
    let iid = json_issue["iid"].as_u64().unwrap();
    let edit = format!("{path}/{iid}");
    let (status, edited) = status_json(
        http.send_json(
            Method::PUT,
            &edit,
            ALICE,
            &json!({"add_labels": "team", "remove_labels": "bug"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["labels"], json!(["planning", "team"]));
    let (status, closed) = status_json(
        http.send_form(Method::PUT, &edit, ALICE, "state_event=close")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["closed_by"]["username"], "alice");
    assert_eq!(closed["closed_at"], "2026-11-20T10:00:00.000Z");
    let (_, notes) = status_json(http.get(&format!("{edit}/notes"), ALICE).await).await;
    assert_eq!(notes[0]["body"], "closed");
    assert_eq!(notes[0]["system"], true);
}

#[tokio::test]
async fn encoded_project_group_and_file_paths() {
    let fake = start().await;
    let http = Http::new(&fake);
    for path in [
        "/api/v4/projects/acme%2Fapp",
        "/api/v4/projects/1",
        "/api/v4/projects/ACME%2FApp",
    ] {
        let (status, project) = status_json(http.get(path, ALICE).await).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(project["path_with_namespace"], "acme/app");
    }
    let (status, infra) = status_json(
        http.get("/api/v4/projects/acme%2Fplatform%2Finfra", ALICE)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(infra["namespace"]["full_path"], "acme/platform");
    let (status, group) =
        status_json(http.get("/api/v4/groups/acme%2Fplatform", ALICE).await).await;
    assert_eq!(status, 200);
    assert_eq!(group["full_path"], "acme/platform");
    assert_eq!(group["projects"][0]["path"], "infra");

    let raw = http
        .get("/api/v4/projects/acme%2Fapp/repository/files/.gitlab%2Fissue_templates%2Fdev.md/raw?ref=main", BOB)
        .await;
    assert_eq!(raw.status(), 200);
    assert_eq!(
        header(&raw, "x-gitlab-file-path"),
        ".gitlab/issue_templates/dev.md"
    );
    assert_eq!(raw.text().await.unwrap(), "## Dev template\n");

    let (status, body) = status_json(
        http.get(
            "/api/v4/projects/acme%2Fapp/repository/files/missing.md/raw?ref=main",
            BOB,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"message": "404 File Not Found"}))
    );
    let (status, body) = status_json(
        http.get("/api/v4/projects/acme%2Fapp/repository/files/.gitlab%2Fissue_templates%2Fdev.md/raw?ref=nope", BOB)
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"message": "404 Commit Not Found"}))
    );

    // Creating a file, then creating it again.
    let file = "/api/v4/projects/acme%2Fapp/repository/files/docs%2Fnew.md";
    let body = json!({"branch": "main", "content": "hi", "commit_message": "Add"});
    let (status, created) = status_json(http.send_json(Method::POST, file, BOB, &body).await).await;
    assert_eq!(
        (status, created),
        (201, json!({"file_path": "docs/new.md", "branch": "main"}))
    );
    let (status, again) = status_json(http.send_json(Method::POST, file, BOB, &body).await).await;
    assert_eq!(
        (status, again),
        (
            400,
            json!({"message": "A file with this name already exists"})
        )
    );

    // The job token reads files of its project, over the JOB-TOKEN header.
    let raw = http
        .request(
            Method::GET,
            "/api/v4/projects/acme%2Fapp/repository/files/docs%2Fnew.md/raw",
            None,
        )
        .header("JOB-TOKEN", JOB)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.text().await.unwrap(), "hi");
}

#[tokio::test]
async fn errors_have_gitlab_shapes() {
    let fake = start().await;
    let http = Http::new(&fake);
    let issues = "/api/v4/projects/acme%2Fapp/issues";
    let unauthorized = json!({"message": "401 Unauthorized"});

    assert_eq!(
        status_json(http.get("/api/v4/user", "wrong").await).await,
        (401, unauthorized.clone())
    );
    let anonymous = http
        .request(Method::GET, "/api/v4/user", None)
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(anonymous).await, (401, unauthorized.clone()));
    let bearer = http
        .request(Method::GET, "/api/v4/user", None)
        .header("Authorization", format!("Bearer {ALICE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(bearer).await.1["username"], "alice");

    let blank = http
        .send_json(Method::POST, issues, ALICE, &json!({"title": ""}))
        .await;
    assert_eq!(
        status_json(blank).await,
        (400, json!({"message": {"title": ["can't be blank"]}}))
    );
    let long = http
        .send_json(
            Method::POST,
            issues,
            ALICE,
            &json!({"title": "x".repeat(256)}),
        )
        .await;
    assert_eq!(
        status_json(long).await,
        (
            400,
            json!({"message": {"title": ["is too long (maximum is 255 characters)"]}})
        )
    );
    let missing = http
        .send_json(
            Method::POST,
            issues,
            ALICE,
            &json!({"description": "no title"}),
        )
        .await;
    assert_eq!(
        status_json(missing).await,
        (400, json!({"error": "title is missing"}))
    );
    let bad_types = http
        .send_form(
            Method::POST,
            issues,
            ALICE,
            "title=T&confidential=maybe&due_date=notadate",
        )
        .await;
    assert_eq!(
        status_json(bad_types).await,
        (
            400,
            json!({"error": "due_date is invalid, confidential is invalid"})
        )
    );
    let bad_date = http
        .send_json(
            Method::POST,
            issues,
            ALICE,
            &json!({"title": "T", "due_date": "notadate"}),
        )
        .await;
    assert_eq!(
        status_json(bad_date).await,
        (400, json!({"error": "due_date is invalid"}))
    );

    let hidden = http
        .get("/api/v4/projects/acme%2Fsecret/issues", OUTSIDER)
        .await;
    assert_eq!(
        status_json(hidden).await,
        (404, json!({"message": "404 Project Not Found"}))
    );
    let hidden_write = http
        .send_json(
            Method::POST,
            "/api/v4/projects/acme%2Fsecret/issues",
            OUTSIDER,
            &json!({"title": "x"}),
        )
        .await;
    assert_eq!(status_json(hidden_write).await.0, 404);
    let no_issue = http
        .get("/api/v4/projects/acme%2Fapp/issues/999", ALICE)
        .await;
    assert_eq!(
        status_json(no_issue).await,
        (404, json!({"message": "404 Not found"}))
    );
    let no_route = http.get("/api/v4/nothing-here", ALICE).await;
    assert_eq!(
        status_json(no_route).await,
        (404, json!({"error": "404 Not Found"}))
    );

    let not_admin = http
        .send_json(Method::POST, "/api/v4/users", ALICE, &json!({"username": "x", "name": "X", "email": "x@example.com", "password": "password123"}))
        .await;
    assert_eq!(
        status_json(not_admin).await,
        (403, json!({"message": "403 Forbidden"}))
    );
    let read_only = http
        .send_json(Method::POST, issues, READ_ONLY, &json!({"title": "x"}))
        .await;
    let (status, body) = status_json(read_only).await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("insufficient_scope"))
    );
    assert_eq!(http.get(issues, READ_ONLY).await.status(), 200);

    // Job tokens: no issues, notes, users, milestones or labels.
    for path in [
        "/api/v4/users",
        "/api/v4/projects/acme%2Fapp/milestones",
        "/api/v4/projects/acme%2Fapp/labels",
        "/api/v4/user",
    ] {
        let response = http
            .request(Method::GET, path, None)
            .header("JOB-TOKEN", JOB)
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_json(response).await,
            (403, json!({"message": "403 Forbidden"})),
            "{path}"
        );
    }
    let job_issue = http
        .request(Method::POST, issues, None)
        .header("JOB-TOKEN", JOB)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_json(job_issue).await,
        (403, json!({"message": "403 Forbidden"}))
    );
    let job = http
        .request(Method::GET, "/api/v4/job", None)
        .header("JOB-TOKEN", JOB)
        .send()
        .await
        .unwrap();
    let (status, job) = status_json(job).await;
    assert_eq!(status, 200);
    assert_eq!(job["user"]["username"], "alice");
    assert_eq!(job["pipeline"]["source"], "schedule");
    assert_eq!(http.get("/api/v4/job", ALICE).await.status(), 401);
    let bad_job = http
        .request(Method::GET, "/api/v4/job", None)
        .header("JOB-TOKEN", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(bad_job).await, (401, unauthorized));
}

#[tokio::test]
async fn quick_actions_run_on_create_and_neutralised_ones_do_not() {
    let fake = start().await;
    let http = Http::new(&fake);
    let issues = "/api/v4/projects/acme%2Fapp/issues";
    let description = "Intro\n\
        /label ~bug ~\"needs review\" ~unknown\n\
        /assign @bob\n\
        /due 2026-12-24\n\
        /milestone %\"26.1\"\n\
        /weight 5\n\
        /confidential\n\
        /close\n \
        /label ~planning\n\
        `/assign @alice`\n\
        \\/unassign\n\
        ```\n/title Not a title\n```\n\
        Outro";
    let (status, issue) = status_json(
        http.send_json(
            Method::POST,
            issues,
            ALICE,
            &json!({"title": "Quick", "description": description}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{issue}");
    assert_eq!(issue["labels"], json!(["bug", "needs review"]));
    assert_eq!(issue["assignees"][0]["username"], "bob");
    assert_eq!(issue["due_date"], "2026-12-24");
    assert_eq!(issue["milestone"]["title"], "26.1");
    assert_eq!(issue["weight"], 5);
    assert_eq!(issue["confidential"], true);
    assert_eq!(
        issue["state"], "opened",
        "/close does not run on a new issue in GitLab"
    );
    assert_eq!(issue["title"], "Quick");
    assert_eq!(
        issue["description"],
        "Intro\n /label ~planning\n`/assign @alice`\n\\/unassign\n```\n/title Not a title\n```\nOutro"
    );

    // A user below Planner gets no metadata, neither from parameters nor from commands.
    let (status, guest_issue) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/projects/acme%2Fhandbook/issues",
            OUTSIDER,
            &json!({"title": "Typo", "labels": "docs", "description": "Fix it\n/label ~docs\n/due tomorrow"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{guest_issue}");
    assert_eq!(guest_issue["labels"], json!([]));
    assert_eq!(guest_issue["due_date"], Value::Null);
    assert_eq!(guest_issue["description"], "Fix it");

    // Editing the description runs commands against the existing issue.
    let iid = issue["iid"].as_u64().unwrap();
    let edit = format!("{issues}/{iid}");
    let (_, edited) = status_json(
        http.send_json(
            Method::PUT,
            &edit,
            ALICE,
            &json!({"description": "Done\n/close\n/unlabel ~bug"}),
        )
        .await,
    )
    .await;
    assert_eq!(edited["state"], "closed");
    assert_eq!(edited["labels"], json!(["needs review"]));
    assert_eq!(edited["description"], "Done");

    // A note made only of commands is not stored: 202 with the changes.
    let notes = format!("{edit}/notes");
    let (status, accepted) = status_json(
        http.send_json(Method::POST, &notes, ALICE, &json!({"body": "/reopen"}))
            .await,
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["commands_changes"]["state_event"], "reopen");
    let (status, note) = status_json(
        http.send_json(
            Method::POST,
            &notes,
            BOB,
            &json!({"body": "Looks good\n /close"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(note["body"], "Looks good\n /close");
    assert_eq!(note["system"], false);
    assert_eq!(note["author"]["username"], "bob");
    let (_, reread) = status_json(http.get(&edit, ALICE).await).await;
    assert_eq!(reread["state"], "opened");
    assert_eq!(reread["user_notes_count"], 1);
}

#[tokio::test]
async fn issue_list_filters_and_ordering() {
    let fake = start_with(6, Conditions::default(), 0).await;
    let http = Http::new(&fake);
    let list = |query: &str| format!("/api/v4/projects/acme%2Fapp/issues?{query}");
    let titles = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|issue| issue["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, body) = status_json(
        http.get(&list("order_by=created_at&sort=asc&per_page=3"), ALICE)
            .await,
    )
    .await;
    assert_eq!(
        titles(&body),
        vec!["Seeded issue 1", "Seeded issue 2", "Seeded issue 3"]
    );
    let (_, body) = status_json(http.get(&list("labels=planning"), ALICE).await).await;
    assert_eq!(
        titles(&body),
        vec!["Seeded issue 6", "Seeded issue 4", "Seeded issue 2"]
    );
    let (_, body) = status_json(http.get(&list("labels=planning,bug"), ALICE).await).await;
    assert!(titles(&body).is_empty(), "an issue must carry all labels");
    let (_, body) = status_json(http.get(&list("labels=None"), ALICE).await).await;
    assert_eq!(titles(&body).len(), 3);
    let (_, body) = status_json(
        http.get(
            &list("created_after=2026-01-01T03:00:00Z&created_before=2026-01-01T05:00:00.000Z"),
            ALICE,
        )
        .await,
    )
    .await;
    assert_eq!(
        titles(&body),
        vec!["Seeded issue 5", "Seeded issue 4", "Seeded issue 3"]
    );
    let (_, body) = status_json(http.get(&list("search=issue+6&in=title"), ALICE).await).await;
    assert_eq!(titles(&body), vec!["Seeded issue 6"]);
    let (status, body) = status_json(http.get(&list("in=body"), ALICE).await).await;
    assert_eq!(
        (status, body),
        (400, json!({"error": "in does not have a valid value"}))
    );

    http.send_json(
        Method::PUT,
        "/api/v4/projects/acme%2Fapp/issues/2",
        ALICE,
        &json!({"state_event": "close"}),
    )
    .await;
    let (_, closed) = status_json(http.get(&list("state=closed"), ALICE).await).await;
    assert_eq!(titles(&closed), vec!["Seeded issue 2"]);
    let (_, opened) = status_json(http.get(&list("state=opened"), ALICE).await).await;
    assert_eq!(titles(&opened).len(), 5);
    let (_, by_update) = status_json(http.get(&list("order_by=updated_at"), ALICE).await).await;
    assert_eq!(titles(&by_update)[0], "Seeded issue 2");

    let milestone = fake
        .state()
        .store()
        .milestones()
        .find(|m| m.title == "26.1")
        .unwrap()
        .id;
    http.send_json(
        Method::PUT,
        "/api/v4/projects/acme%2Fapp/issues/3",
        ALICE,
        &json!({"milestone_id": milestone}),
    )
    .await;
    let (_, body) = status_json(http.get(&list("milestone=26.1"), ALICE).await).await;
    assert_eq!(titles(&body), vec!["Seeded issue 3"]);
    let (_, body) = status_json(http.get(&list("milestone=None"), ALICE).await).await;
    assert_eq!(titles(&body).len(), 5);
}

#[tokio::test]
async fn milestones_iterations_and_statuses() {
    let fake = start().await;
    let http = Http::new(&fake);
    let (_, own) = status_json(
        http.get("/api/v4/projects/acme%2Fapp/milestones", ALICE)
            .await,
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["title"], "App M1");
    assert_eq!(own[0]["project_id"], 1);
    let (_, all) = status_json(
        http.get(
            "/api/v4/projects/acme%2Fapp/milestones?include_ancestors=true&state=active",
            ALICE,
        )
        .await,
    )
    .await;
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["26.1", "App M1"]);
    assert!(all[0]["group_id"].is_u64());
    assert_eq!(all[0]["expired"], false);
    assert_eq!(all[0]["start_date"], "2026-11-01");
    assert!(
        all[0]["web_url"]
            .as_str()
            .unwrap()
            .ends_with("/groups/acme/-/milestones/1")
    );
    let (_, closed) = status_json(
        http.get("/api/v4/groups/acme/milestones?state=closed", ALICE)
            .await,
    )
    .await;
    assert_eq!(closed[0]["title"], "25.12");
    assert_eq!(closed[0]["expired"], true);

    let (status, created) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/groups/acme/milestones",
            ALICE,
            &json!({"title": "26.2", "start_date": "2026-12-01", "due_date": "2026-12-31"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let duplicate = http
        .send_json(
            Method::POST,
            "/api/v4/projects/acme%2Fapp/milestones",
            ALICE,
            &json!({"title": "26.2"}),
        )
        .await;
    assert_eq!(
        status_json(duplicate).await,
        (
            400,
            json!({"message": {"title": ["already being used for another group or project milestone."]}})
        )
    );
    let id = created["id"].as_u64().unwrap();
    let (_, closed) = status_json(
        http.send_json(
            Method::PUT,
            &format!("/api/v4/groups/acme/milestones/{id}"),
            ALICE,
            &json!({"state_event": "close"}),
        )
        .await,
    )
    .await;
    assert_eq!(closed["state"], "closed");
    let by_title = http
        .get("/api/v4/groups/acme/milestones?title=26.2", BOB)
        .await;
    assert_eq!(status_json(by_title).await.1[0]["state"], "closed");

    // Iteration states follow the clock (frozen at 2026-11-20 by the seed).
    let (_, iterations) =
        status_json(http.get("/api/v4/groups/acme/iterations", ALICE).await).await;
    let states: Vec<u64> = iterations
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_u64().unwrap())
        .collect();
    assert_eq!(states, vec![3, 2, 1]);
    let (_, current) = status_json(
        http.get("/api/v4/groups/acme/iterations?state=current", ALICE)
            .await,
    )
    .await;
    assert_eq!(current[0]["start_date"], "2026-11-09");
    let moved = http
        .request(Method::PUT, "/__fake/clock", None)
        .json(&json!({"now": "2026-11-25T08:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let (_, opened) = status_json(
        http.get("/api/v4/groups/acme/iterations?state=opened", ALICE)
            .await,
    )
    .await;
    assert_eq!(opened.as_array().unwrap().len(), 1);
    let overlap = http
        .send_json(
            Method::POST,
            "/api/v4/groups/acme/iterations",
            ALICE,
            &json!({"start_date": "2026-12-01", "due_date": "2026-12-14"}),
        )
        .await;
    assert_eq!(overlap.status(), 400);
    let (status, added) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/groups/acme/iterations",
            ALICE,
            &json!({"title": "Sprint 9", "start_date": "2026-12-07", "due_date": "2026-12-20"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &added["state"], &added["title"]),
        (201, &json!(1), &json!("Sprint 9"))
    );

    // Status: an admin sets Bob's with sudo; a non-admin cannot use sudo.
    let (status, set) = status_json(
        http.send_form(
            Method::PUT,
            "/api/v4/user/status?sudo=bob",
            ADMIN,
            "availability=busy&message=On+leave&clear_status_after=3_days",
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["emoji"], "speech_balloon");
    let (_, bob) = status_json(http.get("/api/v4/users/bob/status", ALICE).await).await;
    assert_eq!(bob["availability"], "busy");
    assert_eq!(bob["message"], "On leave");
    assert_eq!(bob["clear_status_at"], "2026-11-28T08:00:00.000Z");
    let (_, alice) = status_json(http.get("/api/v4/users/2/status", ALICE).await).await;
    assert_eq!(alice["availability"], "not_set");
    let sudo = http
        .send_form(
            Method::PUT,
            "/api/v4/user/status",
            ALICE,
            "sudo=bob&availability=busy",
        )
        .await;
    assert_eq!(
        status_json(sudo).await,
        (
            403,
            json!({"message": "403 Forbidden - Must be admin to use sudo"})
        )
    );
}

#[tokio::test]
async fn issue_links_and_duplicates() {
    let fake = start_with(3, Conditions::default(), 0).await;
    let http = Http::new(&fake);
    let links = "/api/v4/projects/acme%2Fapp/issues/1/links";
    let (status, link) = status_json(
        http.send_form(
            Method::POST,
            links,
            ALICE,
            "target_project_id=acme%2Fapp&target_issue_iid=2&link_type=blocks",
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["source_issue"]["iid"], 1);
    assert_eq!(link["target_issue"]["iid"], 2);
    assert_eq!(link["link_type"], "blocks");
    let again = http
        .send_form(
            Method::POST,
            "/api/v4/projects/acme%2Fapp/issues/2/links",
            ALICE,
            "target_project_id=1&target_issue_iid=1",
        )
        .await;
    assert_eq!(
        status_json(again).await,
        (409, json!({"message": "Issue(s) already assigned"}))
    );
    let (_, from_target) = status_json(
        http.get("/api/v4/projects/acme%2Fapp/issues/2/links", ALICE)
            .await,
    )
    .await;
    assert_eq!(from_target[0]["iid"], 1);
    assert_eq!(from_target[0]["link_type"], "is_blocked_by");
    assert!(from_target[0]["issue_link_id"].is_u64());
    assert_eq!(fake.state().store().links().count(), 1);
}

#[tokio::test]
async fn merge_requests_count_counts_the_merge_requests_that_close_the_issue() {
    let yaml = format!(
        "{}{}",
        common::SEED,
        r#"
issues:
  - { project: acme/app, title: Two close it }
  - { project: acme/app, title: None closes it }
  - { project: acme/app, title: A closed one closes it }
  - { project: acme/platform/infra, title: Infra's number 1 }
merge_requests:
  - { project: acme/app, title: Fix it, closes_issues: [1] }
  - { project: acme/app, title: Abandoned fix, state: closed, closes_issues: [1, 3] }
  - { project: acme/app, title: Unrelated }
  - { project: acme/platform/infra, title: Infra fix, closes_issues: [1] }
"#
    );
    let mut options = gitlab_fake::Options::new(ADMIN);
    options.seed = Some(gitlab_fake::Seed::from_yaml_str(&yaml).unwrap());
    let fake = gitlab_fake::FakeGitlab::start(options).await.unwrap();
    let http = Http::new(&fake);
    // By hand: app#1 is closed by "Fix it" and "Abandoned fix" (GitLab keeps the record of a
    // closed merge request); app#2 by none ("Unrelated" names no issue); app#3 by "Abandoned
    // fix"; infra's #1 only by "Infra fix", app's "Fix it" naming #1 of its own project.
    let (_, list) = status_json(
        http.get(
            "/api/v4/projects/acme%2Fapp/issues?order_by=created_at&sort=asc",
            ALICE,
        )
        .await,
    )
    .await;
    let counts: Vec<(u64, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["iid"].as_u64().unwrap(),
                i["merge_requests_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(1, 2), (2, 0), (3, 1)]);
    let (_, infra) = status_json(
        http.get("/api/v4/projects/acme%2Fplatform%2Finfra/issues/1", ALICE)
            .await,
    )
    .await;
    assert_eq!(infra["merge_requests_count"], 1);
}

#[tokio::test]
async fn setup_through_plain_api_calls() {
    let fake = start().await;
    let http = Http::new(&fake);
    let (status, carol) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/users",
            ADMIN,
            &json!({"username": "carol", "name": "Carol", "email": "carol@example.com", "password": "correct-horse"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{carol}");
    let carol_id = carol["id"].as_u64().unwrap();
    let taken = http
        .send_json(Method::POST, "/api/v4/users", ADMIN, &json!({"username": "carol", "name": "C", "email": "c2@example.com", "password": "correct-horse"}))
        .await;
    assert_eq!(
        status_json(taken).await,
        (409, json!({"message": "Username has already been taken"}))
    );
    let (status, token) = status_json(
        http.send_json(
            Method::POST,
            &format!("/api/v4/users/{carol_id}/personal_access_tokens"),
            ADMIN,
            &json!({"name": "ci", "scopes": ["api"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let carol_token = token["token"].as_str().unwrap().to_owned();
    assert!(carol_token.starts_with("glpat-"));

    let (status, group) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/groups",
            &carol_token,
            &json!({"name": "Team", "path": "team"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, project) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/projects",
            &carol_token,
            &json!({"name": "Rituals", "namespace_id": group["id"], "initialize_with_readme": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{project}");
    assert_eq!(project["path_with_namespace"], "team/rituals");
    let (status, _) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/projects/team%2Frituals/members",
            &carol_token,
            &json!({"user_id": 3, "access_level": 30}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let readme = http
        .get(
            "/api/v4/projects/team%2Frituals/repository/files/README.md/raw",
            BOB,
        )
        .await;
    assert_eq!(readme.text().await.unwrap(), "# Rituals\n");
    let outsider = http.get("/api/v4/projects/team%2Frituals", OUTSIDER).await;
    assert_eq!(outsider.status(), 404);
    let (status, issue) = status_json(
        http.send_json(
            Method::POST,
            "/api/v4/projects/team%2Frituals/issues",
            BOB,
            &json!({"title": "Hello"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, &issue["author"]["username"]), (201, &json!("bob")));
}

#[tokio::test]
async fn a_lost_response_still_stores_the_write() {
    let conditions = Conditions {
        drop_rate: 1.0,
        ..Conditions::default()
    };
    let fake = start_with(0, conditions, 1).await;
    let http = Http::new(&fake);
    let mut bad_gateways = 0;
    let mut closed = 0;
    for n in 0..8 {
        let result = http
            .request(
                Method::POST,
                "/api/v4/projects/acme%2Fapp/issues",
                Some(ALICE),
            )
            .json(&json!({"title": format!("Lost {n}")}))
            .send()
            .await;
        match result {
            Ok(response) => {
                assert_eq!(response.status(), 502);
                bad_gateways += 1;
            }
            Err(error) => {
                assert!(
                    !error.is_timeout(),
                    "the connection must close, not hang: {error}"
                );
                closed += 1;
            }
        }
    }
    assert!(
        bad_gateways > 0 && closed > 0,
        "502s: {bad_gateways}, closed: {closed}"
    );
    assert_eq!(
        fake.state().store().issues().count(),
        8,
        "every write was stored"
    );
    // Reads are never dropped.
    assert_eq!(
        http.get("/api/v4/projects/acme%2Fapp/issues", ALICE)
            .await
            .status(),
        200
    );
    let log = fake.state().fault_log();
    assert_eq!(log.len(), 8);
    assert!(
        log.iter()
            .all(|event| event.route == "POST /api/v4/projects/:id/issues")
    );
}

async fn statuses(seed: u64) -> (Vec<u16>, Vec<gitlab_fake::FaultEvent>) {
    let conditions = Conditions {
        fail_rate: 0.4,
        ..Conditions::default()
    };
    let fake = start_with(0, conditions, seed).await;
    let http = Http::new(&fake);
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(
            http.get("/api/v4/projects/acme%2Fapp", ALICE)
                .await
                .status()
                .as_u16(),
        );
    }
    (statuses, fake.state().fault_log())
}

#[tokio::test]
async fn the_fault_sequence_replays_from_its_seed() {
    let (first, first_log) = statuses(42).await;
    let (second, second_log) = statuses(42).await;
    let (other, _) = statuses(43).await;
    assert_eq!(first, second);
    assert_eq!(first_log, second_log);
    assert_ne!(first, other);
    assert!(first.contains(&200));
    assert!(
        first
            .iter()
            .all(|status| [200, 500, 502, 503].contains(status))
    );
    assert!(first.iter().any(|status| *status >= 500));
}

#[tokio::test]
async fn conditions_change_at_runtime_and_count_routes() {
    let fake = start().await;
    let http = Http::new(&fake);
    http.get("/api/v4/projects/acme%2Fapp/issues", ALICE).await;
    http.get("/api/v4/projects/1/issues", ALICE).await;
    http.send_json(
        Method::POST,
        "/api/v4/projects/1/issues",
        ALICE,
        &json!({"title": "x"}),
    )
    .await;
    let (_, counts) = status_json(
        http.request(Method::GET, "/__fake/requests", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(counts["GET /api/v4/projects/:id/issues"], 2);
    assert_eq!(counts["POST /api/v4/projects/:id/issues"], 1);
    let reset = http
        .request(Method::POST, "/__fake/reset-counters", None)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(fake.state().request_counts().is_empty());

    let (status, conditions) = status_json(
        http.request(Method::PUT, "/__fake/conditions", None)
            .json(&json!({"fail_rate": 1.0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &conditions["fail_rate"]), (200, &json!(1.0)));
    assert!(
        http.get("/api/v4/user", ALICE)
            .await
            .status()
            .is_server_error()
    );
    let refused = http
        .request(Method::PUT, "/__fake/conditions", None)
        .json(&json!({"drop_rate": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    fake.state().set_conditions(Conditions::default()).unwrap();
    assert_eq!(http.get("/api/v4/user", ALICE).await.status(), 200);
}

#[tokio::test]
async fn the_throttle_answers_like_rack_attack() {
    let window = 3;
    let conditions = Conditions {
        rate_limit: 2,
        rate_limit_window_secs: window,
        ..Conditions::default()
    };
    let fake = start_with(0, conditions, 0).await;
    let http = Http::new(&fake);
    // Start at the beginning of a window so the three requests share it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into_window = now.as_millis() % (u128::from(window) * 1000);
    tokio::time::sleep(Duration::from_millis(
        (u128::from(window) * 1000 - into_window) as u64 + 20,
    ))
    .await;

    let first = http.get("/api/v4/user", ALICE).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "ratelimit-limit"), "2");
    assert_eq!(header(&first, "ratelimit-remaining"), "1");
    assert_eq!(
        header(&first, "ratelimit-name"),
        "throttle_authenticated_api"
    );
    assert!(!first.headers().contains_key("retry-after"));
    assert_eq!(http.get("/api/v4/user", ALICE).await.status(), 200);
    let third = http.get("/api/v4/user", ALICE).await;
    assert_eq!(third.status(), 429);
    assert_eq!(header(&third, "content-type"), "text/plain");
    assert_eq!(header(&third, "ratelimit-observed"), "3");
    assert_eq!(header(&third, "ratelimit-remaining"), "0");
    let reset: u64 = header(&third, "ratelimit-reset").parse().unwrap();
    assert_eq!(reset % window, 0);
    assert!(header(&third, "ratelimit-resettime").ends_with(" GMT"));
    let retry_after: u64 = header(&third, "retry-after").parse().unwrap();
    assert!((1..=window).contains(&retry_after));
    assert_eq!(third.text().await.unwrap(), "Retry later\n");

    // The next window starts afresh.
    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(100)).await;
    assert_eq!(http.get("/api/v4/user", ALICE).await.status(), 200);
}

#[tokio::test]
async fn fake_endpoints_ignore_faults_and_the_clock_is_settable() {
    let conditions = Conditions {
        fail_rate: 1.0,
        ..Conditions::default()
    };
    let fake = start_with(0, conditions, 0).await;
    let http = Http::new(&fake);
    let (status, clock) = status_json(
        http.request(Method::GET, "/__fake/clock", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(clock["frozen_at"], "2026-11-20T10:00:00.000Z");
    let (_, advanced) = status_json(
        http.request(Method::PUT, "/__fake/clock", None)
            .json(&json!({"advance_secs": 90}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(advanced["now"], "2026-11-20T10:01:30.000Z");
    assert!(
        http.get("/api/v4/user", ALICE)
            .await
            .status()
            .is_server_error()
    );
}

#[tokio::test]
async fn tokens_never_show_in_debug_output_and_shutdown_closes_the_port() {
    let mut options = gitlab_fake::Options::new(ADMIN);
    options.seed = Some(common::seed(0));
    let printed_options = format!("{options:?}");
    let fake = gitlab_fake::FakeGitlab::start(options).await.unwrap();
    let http = Http::new(&fake);
    // Exercise the rate limiter's state too.
    fake.state()
        .set_conditions(Conditions {
            rate_limit: 100,
            ..Conditions::default()
        })
        .unwrap();
    assert_eq!(http.get("/api/v4/user", ALICE).await.status(), 200);
    let printed = format!("{printed_options} {fake:?} {:?}", fake.state().store());
    for token in [ADMIN, ALICE, BOB, OUTSIDER, READ_ONLY, JOB] {
        assert!(
            !printed.contains(token),
            "{token} leaked into Debug output: {printed}"
        );
    }

    let url = http.url("/api/v4/user");
    fake.shutdown().await;
    let after = reqwest::Client::new()
        .get(url)
        .header("PRIVATE-TOKEN", ALICE)
        .send()
        .await;
    assert!(after.is_err(), "the port is closed after shutdown");
}
