//! Helpers shared by the end-to-end tests: the built binaries with a clean environment,
//! their output, and scratch folders.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use serde_json::Value;

/// The fake's admin token, for setting up and reading back; never given to the jobs.
pub const ADMIN_TOKEN: &str = "admin-token-not-for-jobs";

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/teamcadence.yml");

pub fn bin(name: &str) -> Command {
    let path = match name {
        "planning-issue" => env!("CARGO_BIN_EXE_planning-issue"),
        "onboarding-issue" => env!("CARGO_BIN_EXE_onboarding-issue"),
        "pto-coverage" => env!("CARGO_BIN_EXE_pto-coverage"),
        "recurring-issues" => env!("CARGO_BIN_EXE_recurring-issues"),
        "teamcadence" => env!("CARGO_BIN_EXE_teamcadence"),
        "async-updates" => env!("CARGO_BIN_EXE_async-updates"),
        "weekly-sync" => env!("CARGO_BIN_EXE_weekly-sync"),
        "retrospective" => env!("CARGO_BIN_EXE_retrospective"),
        other => panic!("no binary {other}"),
    };
    let mut command = Command::new(path);
    // A developer's or CI's environment must not leak into the runs under test.
    for var in [
        "TEAMCADENCE_CONFIG",
        "NEW_HIRE",
        "START_DATE",
        "MANAGER",
        "BUDDY",
        "ROLE",
        "TEAM",
        "PTO_PERSON",
        "PTO_FROM",
        "PTO_UNTIL",
        "CI_SERVER_URL",
        "GITLAB_TOKEN",
        "GITLAB_TOKEN_FILE",
        "CI_JOB_TOKEN",
        "TEAMCADENCE_LOG",
        "TEAMCADENCE_REPORT",
        "TEAMCADENCE_ANNOTATIONS",
        "TEAMCADENCE_CODEQUALITY",
        "TEAMCADENCE_TIMEOUT",
        "GITLAB_CI",
        "LOCATION",
    ] {
        command.env_remove(var);
    }
    command
}

pub fn run(name: &str, args: &[&str]) -> Output {
    bin(name).args(args).output().expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// A scratch folder with a config and the files it names.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("teamcadence-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> String {
        self.0.join(file).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn in_dir(dir: &Path, name: &str, args: &[&str]) -> Output {
    bin(name)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

/// The issue with this key in a job's JSON output.
pub fn issue<'a>(document: &'a Value, key: &str) -> &'a Value {
    document["issues"]
        .as_array()
        .expect("issues array")
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no issue {key} in {document:#}"))
}

/// The keys of the issues of a job's JSON output planned with `action`, in order.
pub fn keys(document: &Value, action: &str) -> Vec<String> {
    document["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["action"] == action)
        .map(|i| i["key"].as_str().expect("key").to_owned())
        .collect()
}

/// The usernames an issue read from the fake is assigned to.
pub fn assignees(issue: &Value) -> Vec<String> {
    issue["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .map(|a| a["username"].as_str().expect("username").to_owned())
        .collect()
}

/// A fake GitLab running on its own runtime for the length of a test.
pub struct Gitlab {
    pub runtime: tokio::runtime::Runtime,
    pub fake: FakeGitlab,
}

impl Gitlab {
    /// Starts the fake seeded from the YAML file at `world`.
    pub fn start(world: &str) -> Gitlab {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut options = Options::new(ADMIN_TOKEN);
        options.seed = Some(Seed::from_path(std::path::Path::new(world)).expect("seed"));
        let fake = runtime
            .block_on(FakeGitlab::start(options))
            .expect("fake starts");
        Gitlab { runtime, fake }
    }

    pub fn url(&self) -> String {
        self.fake.base_url()
    }

    pub fn set(&self, conditions: Conditions) {
        self.fake
            .state()
            .set_conditions(conditions)
            .expect("conditions");
    }

    pub fn count(&self, route: &str) -> u64 {
        self.fake
            .state()
            .request_counts()
            .get(route)
            .copied()
            .unwrap_or(0)
    }

    /// Every issue of a project, read back through the REST API as any client would.
    pub fn issues(&self, project: &str) -> Vec<Value> {
        let url = format!(
            "{}/api/v4/projects/{}/issues?per_page=100&scope=all",
            self.url(),
            project.replace('/', "%2F")
        );
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(url)
                .header("PRIVATE-TOKEN", ADMIN_TOKEN)
                .send()
                .await
                .expect("GET issues");
            assert_eq!(response.status(), 200);
            response.json::<Vec<Value>>().await.expect("issues JSON")
        })
    }

    /// Any API path (after `/api/v4`), read as the admin.
    pub fn get(&self, path: &str) -> Value {
        let url = format!("{}/api/v4{path}", self.url());
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(url)
                .header("PRIVATE-TOKEN", ADMIN_TOKEN)
                .send()
                .await
                .expect("GET");
            assert_eq!(response.status(), 200, "GET {path}");
            response.json::<Value>().await.expect("JSON")
        })
    }

    /// The bodies of the comments on an issue, oldest first.
    pub fn comments(&self, project: &str, iid: &Value) -> Vec<String> {
        let notes = self.get(&format!(
            "/projects/{}/issues/{iid}/notes?sort=asc&per_page=100",
            project.replace('/', "%2F"),
        ));
        notes
            .as_array()
            .expect("notes")
            .iter()
            .map(|n| n["body"].as_str().expect("body").to_owned())
            .collect()
    }

    /// Issues of a project by the key in their marker.
    pub fn by_key(&self, project: &str) -> BTreeMap<String, Vec<Value>> {
        let mut keys: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for issue in self.issues(project) {
            let description = issue["description"].as_str().unwrap_or_default();
            if let Some(key) = teamcadence_core::apply::key_in(description) {
                keys.entry(key.to_owned()).or_default().push(issue);
            }
        }
        keys
    }
}

/// Runs a job binary against the fake with a token.
pub fn job(
    gitlab: &Gitlab,
    name: &str,
    config: &str,
    args: &[&str],
    token: Option<&str>,
) -> Output {
    let mut command = bin(name);
    command
        .args(["--config", config, "--format", "json", "--gitlab-url"])
        .arg(gitlab.url())
        .args(args)
        .env("TEAMCADENCE_RETRY_BASE_MS", "5");
    if let Some(token) = token {
        command.env("GITLAB_TOKEN", token);
    }
    command.output().expect("job runs")
}

pub fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}); stderr: {}", stderr(output)))
}

/// A config of one team, Web, of seven engineers and their manager, whose coverage issues go
/// to `eng/pto-coverage` (30 days ahead, from one working day) with one responsibility,
/// Triage, owned by bob and covered by carol then dan: `top` goes before `teams`, `time_off`
/// (YAML list items) after. The people are in `tests/fixtures/pto-world.yml`.
#[allow(dead_code)]
pub fn team_of_seven(top: &str, time_off: &str) -> String {
    format!(
        "timezone: Europe/Amsterdam
{top}teams:
  - id: web
    name: Web
    project: eng/web
    pto: {{ project: eng/pto-coverage, min_working_days: 1, create_days_before: 30 }}
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, manager: mia }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer, manager: mia }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer, manager: mia }}
      - {{ username: erin, name: Erin Elliott, role: backend-engineer, manager: mia }}
      - {{ username: finn, name: Finn Foster, role: backend-engineer, manager: mia }}
      - {{ username: gus, name: Gus Garcia, role: backend-engineer, manager: mia }}
      - {{ username: ivy, name: Ivy Irwin, role: backend-engineer, manager: mia }}
    responsibilities:
      - {{ name: Triage, priority: HIGH, owners: [bob], covered_by: [carol, dan] }}
time_off:
{time_off}"
    )
}

/// Runs a job binary until it exits 0 (faults make runs fail; each re-run finishes the
/// rest), at most `max_runs` times; a panic (exit 101) fails at once.
pub fn until_it_succeeds(
    gitlab: &Gitlab,
    name: &str,
    config: &str,
    args: &[&str],
    token: &str,
    max_runs: usize,
) -> usize {
    for runs in 1..=max_runs {
        let output = job(gitlab, name, config, args, Some(token));
        assert_ne!(output.status.code(), Some(101), "{}", stderr(&output));
        if output.status.code() == Some(0) {
            return runs;
        }
    }
    panic!("{name} still failing after {max_runs} runs");
}

/// Starts `count` runs of a job binary at once against the fake and waits for all of them.
pub fn at_once(
    gitlab: &Gitlab,
    name: &str,
    config: &str,
    args: &[&str],
    token: &str,
    count: usize,
) -> Vec<Output> {
    let children: Vec<_> = (0..count)
        .map(|_| {
            bin(name)
                .args(["--config", config, "--format", "json", "--gitlab-url"])
                .arg(gitlab.url())
                .args(args)
                .env("GITLAB_TOKEN", token)
                .env("TEAMCADENCE_RETRY_BASE_MS", "5")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait"))
        .collect()
}
