//! What the rituals' end-to-end tests share: their GitLab world, a team config, and writes
//! made as the people of that world (a comment, an issue), through the REST API.

#![allow(dead_code, unreachable_pub)]

use std::process::Output;

use serde_json::Value;

use crate::common::{ADMIN_TOKEN, Gitlab};

pub const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/rituals-world.yml"
);
pub const BOT_TOKEN: &str = "glpat-rituals-bot-SECRET-19";
pub const BOB_TOKEN: &str = "glpat-bob-SECRET-2";
pub const ERIN_TOKEN: &str = "glpat-erin-SECRET-3";
pub const PROJECT: &str = "eng/web";

/// The team of the world: Carol works from Los Angeles, Dan is off the week of 2026-11-30.
/// `extra` is added to the team (its ritual sections).
pub fn config(extra: &str) -> String {
    format!(
        "timezone: UTC
milestones:
  source: list
  list:
    - {{ title: \"19.7\", start: 2026-11-14, end: 2026-12-11 }}
    - {{ title: \"19.8\", start: 2026-12-12, end: 2027-01-15 }}
teams:
  - id: web
    name: Web
    project: eng/web
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: pat, name: Pat Product, role: product-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer, timezone: America/Los_Angeles }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer }}
      - {{ username: erin, name: Erin Ember, role: frontend-engineer }}
{extra}time_off:
  - {{ person: dan, from: 2026-11-30, until: 2026-12-04 }}
"
    )
}

/// A JSON request body from field pairs (GitLab takes JSON as well as forms).
fn body(form: &[(&str, &str)]) -> Value {
    form.iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// POSTs a form to an API path (after `/api/v4`) with `token`; returns the JSON answer.
pub fn post(gitlab: &Gitlab, path: &str, token: &str, form: &[(&str, &str)]) -> Value {
    let url = format!("{}/api/v4{path}", gitlab.url());
    gitlab.runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .header("PRIVATE-TOKEN", token)
            .json(&body(form))
            .send()
            .await
            .expect("POST");
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
        response.json::<Value>().await.expect("JSON")
    })
}

/// PUTs a form to an API path as the admin.
pub fn put(gitlab: &Gitlab, path: &str, form: &[(&str, &str)]) -> Value {
    let url = format!("{}/api/v4{path}", gitlab.url());
    gitlab.runtime.block_on(async {
        let response = reqwest::Client::new()
            .put(url)
            .header("PRIVATE-TOKEN", ADMIN_TOKEN)
            .json(&body(form))
            .send()
            .await
            .expect("PUT");
        assert!(
            response.status().is_success(),
            "PUT {path}: {}",
            response.status()
        );
        response.json::<Value>().await.expect("JSON")
    })
}

/// Comments on issue `iid` of the project as the person with `token`.
pub fn comment(gitlab: &Gitlab, iid: u64, token: &str, body: &str) {
    post(
        gitlab,
        &format!("/projects/eng%2Fweb/issues/{iid}/notes"),
        token,
        &[("body", body)],
    );
}

/// Creates the planning issue of milestone `title` as teamcadence's planning job would have
/// (its label and key marker); returns its iid.
pub fn planning_issue(gitlab: &Gitlab, title: &str) -> u64 {
    let description = teamcadence_core::apply::with_marker(
        &format!("The planning of {title}."),
        &format!("planning/web/{title}"),
    );
    let issue = post(
        gitlab,
        "/projects/eng%2Fweb/issues",
        ADMIN_TOKEN,
        &[
            ("title", &format!("Web {title} Planning")),
            ("description", &description),
            ("labels", "teamcadence::planning,Planning Issue"),
        ],
    );
    issue["iid"].as_u64().expect("iid")
}

/// The comments on issue `iid` that teamcadence named `id` in their hidden record.
pub fn named(gitlab: &Gitlab, iid: u64, id: &str) -> Vec<String> {
    gitlab
        .comments(PROJECT, &Value::from(iid))
        .into_iter()
        .filter(|body| teamcadence_core::apply::note_id_in(body).as_deref() == Some(id))
        .collect()
}

/// Starts `count` runs of `job` with `args` at once against the fake, as the bot, and waits
/// for all.
pub fn together(
    gitlab: &Gitlab,
    job: &str,
    config: &str,
    args: &[&str],
    count: usize,
) -> Vec<Output> {
    crate::common::at_once(gitlab, job, config, args, BOT_TOKEN, count)
}

/// Runs `job` with `args` until it succeeds (at most ten times) while the fake fails 30% of
/// requests and loses the answer to 30% of writes; then turns the faults off. A lost answer
/// to deleting the run lock is sent again, but when every attempt fails the lock stays until
/// it lapses (a quarter of an hour): as the run's warning says to, the label is then deleted
/// by hand, so the next run need not wait.
pub fn until_done_under_faults(gitlab: &Gitlab, job: &str, config: &str, args: &[&str]) {
    let faulty = gitlab_fake::Conditions {
        fail_rate: 0.3,
        drop_rate: 0.3,
        ..gitlab_fake::Conditions::default()
    };
    gitlab.set(faulty.clone());
    let mut runs = 0;
    loop {
        runs += 1;
        let output = crate::common::job(gitlab, job, config, args, Some(BOT_TOKEN));
        match output.status.code() {
            Some(0) => break,
            Some(1) if runs < 10 => {
                if crate::common::stdout(&output).contains("could not delete the run lock") {
                    let lock = format!("teamcadence::{job}::run-lock");
                    // The person's own request goes through.
                    gitlab.set(gitlab_fake::Conditions::default());
                    delete(
                        gitlab,
                        &format!("/projects/eng%2Fweb/labels/{}", lock.replace(':', "%3A")),
                    );
                    gitlab.set(faulty.clone());
                }
            }
            other => panic!(
                "{job} exited {other:?} on run {runs}: {}",
                crate::common::stderr(&output)
            ),
        }
    }
    gitlab.set(gitlab_fake::Conditions::default());
    assert!(
        !gitlab.fake.state().fault_log().is_empty(),
        "the runs met faults"
    );
}

/// DELETEs an API path as the admin; one that is gone already is fine.
pub fn delete(gitlab: &Gitlab, path: &str) {
    let url = format!("{}/api/v4{path}", gitlab.url());
    gitlab.runtime.block_on(async {
        let response = reqwest::Client::new()
            .delete(url)
            .header("PRIVATE-TOKEN", ADMIN_TOKEN)
            .send()
            .await
            .expect("DELETE");
        let status = response.status().as_u16();
        assert!(matches!(status, 200..=299 | 404), "DELETE {path}: {status}");
    });
}
