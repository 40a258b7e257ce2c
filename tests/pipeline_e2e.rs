//! teamcadence in GitLab CI, end to end. gitlab-ci-local runs this project's release job,
//! which publishes the binaries to gitlab-fake's package registry, then a team's project set
//! up as the README's "Use it in your GitLab" section says: its `spec: inputs` + `include:`, the
//! `GITLAB_TOKEN` variable and a daily schedule. Its jobs download the binaries and write to
//! the fake, in a schedule, a "Run pipeline" with inputs and a merge request. Both CI
//! configurations are also checked against GitLab's CI schema, and the README's include
//! against the release tags the project's pipeline publishes.
//!
//! The tools (gitlab-ci-local from npm, check-jsonschema from PyPI) are installed into
//! `tests/pipeline/` by `tests/pipeline/setup`, which runs here when they are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::Value;

mod common;

use common::{Gitlab, Scratch};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/pipeline-world.yml"
);
/// The team's project access token, stored as the masked `GITLAB_TOKEN` variable.
const TEAM_TOKEN: &str = "glpat-team-bot-SECRET-51";
/// The CI_JOB_TOKEN of teamcadence's own release job.
const RELEASE_JOB_TOKEN: &str = "glcbt-release-SECRET-3a";
const TEAM_PROJECT: &str = "acme/team-app";
const BINARIES: [&str; 8] = [
    "teamcadence",
    "planning-issue",
    "onboarding-issue",
    "pto-coverage",
    "recurring-issues",
    "async-updates",
    "weekly-sync",
    "retrospective",
];

/// The installed tools: (gitlab-ci-local, check-jsonschema).
fn tools() -> &'static (PathBuf, PathBuf) {
    static TOOLS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let dir = Path::new(ROOT).join("tests/pipeline");
        let output = Command::new("bash")
            .arg(dir.join("setup"))
            .output()
            .expect("bash runs tests/pipeline/setup");
        assert!(
            output.status.success(),
            "tests/pipeline/setup failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (
            dir.join("node_modules/.bin/gitlab-ci-local"),
            dir.join(".venv/bin/check-jsonschema"),
        )
    })
}

/// The fenced block that follows `<!-- MARKER -->` in the README.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let after = readme
        .split_once(&format!("<!-- {marker} -->"))
        .unwrap_or_else(|| panic!("README has no <!-- {marker} --> block"))
        .1;
    let body = after
        .trim_start()
        .strip_prefix("```yaml\n")
        .expect("a ```yaml block follows the marker");
    body.split_once("```").expect("the block ends").0.to_owned()
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A git repository at `dir` holding `copied` (files of this repository, modes kept) and
/// `files`, committed on `main`, whose `origin` is `project` on the GitLab at `server`
/// (gitlab-ci-local derives `CI_SERVER_URL`, `CI_API_V4_URL` and `CI_PROJECT_PATH` from it).
fn repository(dir: &Path, copied: &[&str], files: &[(&str, &str)], server: &str, project: &str) {
    for path in copied {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(Path::new(ROOT).join(path), target).expect("copy");
    }
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "--message", "Initial commit"]);
    let origin = format!("{server}/{project}.git");
    git(dir, &["remote", "add", "origin", &origin]);
    git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(
        dir,
        &[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/main",
        ],
    );
}

/// Runs gitlab-ci-local in `dir` with the shell executor (no container engine here), with
/// `variables` as the pipeline's or project's CI/CD variables. The environment is cleared
/// so that nothing of the developer's leaks in, and `HOME` is the scratch folder's own.
fn gitlab_ci_local(dir: &Path, args: &[&str], variables: &[(&str, &str)]) -> Output {
    let home = dir.join("../home");
    std::fs::create_dir_all(&home).expect("home");
    let tmp = dir.join("../tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut command = Command::new(&tools().0);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        // The jobs' temporary files land here, where the test can see what they leave.
        .env("TMPDIR", &tmp)
        .env("NO_COLOR", "1")
        .env("TEAMCADENCE_RETRY_BASE_MS", "5")
        .args(["--force-shell-executor", "--no-color"])
        .args(args)
        // Set in every GitLab job; gitlab-ci-local says "false".
        .args(["--variable", "GITLAB_CI=true"]);
    for (name, value) in variables {
        command.arg("--variable").arg(format!("{name}={value}"));
    }
    command.output().expect("gitlab-ci-local runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The jobs gitlab-ci-local lists for a pipeline with `variables`.
fn listed_jobs(dir: &Path, variables: &[(&str, &str)]) -> Vec<String> {
    let output = gitlab_ci_local(dir, &["--list"], variables);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("name "));
    lines.next();
    lines
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// This project as its pipeline sees it (the pipeline, the publish script, Cargo.toml), in
/// a repository of `scratch` whose origin is teamcadence/teamcadence on the fake.
fn teamcadence_repository(scratch: &Scratch, gitlab: &Gitlab) -> PathBuf {
    let dir = scratch.0.join("teamcadence");
    repository(
        &dir,
        &[".gitlab-ci.yml", ".ci/publish-binaries", "Cargo.toml"],
        &[],
        &gitlab.url(),
        "teamcadence/teamcadence",
    );
    dir
}

/// Runs this project's `publish-binaries` job in `dir` as a pipeline of the tag `tag` would,
/// with the release pipeline's job token.
fn publish_job(dir: &Path, tag: &str) -> Output {
    gitlab_ci_local(
        dir,
        &["publish-binaries"],
        &[
            ("CI_COMMIT_TAG", tag),
            ("CI_COMMIT_BRANCH", ""),
            ("CI_PROJECT_ID", "teamcadence%2Fteamcadence"),
            ("CI_JOB_TOKEN", RELEASE_JOB_TOKEN),
        ],
    )
}

/// Puts this repository's component where gitlab-ci-local finds the include of
/// `teamcadence/teamcadence/teamcadence@VERSION` in the repository at `dir`: GitLab resolves
/// it from the teamcadence project at that tag, gitlab-ci-local from its include cache,
/// where it would have fetched it (the fake serves no git).
fn publish_component(dir: &Path) {
    let cached = dir.join(format!(
        ".gitlab-ci-local/includes/127.0.0.1/teamcadence/teamcadence/{VERSION}/templates/teamcadence.yml",
    ));
    std::fs::create_dir_all(cached.parent().expect("parent")).expect("mkdir");
    let component = std::fs::read_to_string(Path::new(ROOT).join("templates/teamcadence.yml"))
        .expect("component");
    // GitLab interpolates `$[[ component.version ]]` with the released version the include
    // resolved to; gitlab-ci-local 4.60.1 knows only `$[[ inputs.* ]]`, so it is done here.
    assert!(component.contains("$[[ component.version ]]"));
    let released = component.replace("$[[ component.version ]]", VERSION);
    std::fs::write(cached, released).expect("component");
}

/// The team's `.gitlab-ci.yml` as a pipeline with `inputs` sees it: GitLab's "Run pipeline"
/// form or a schedule's inputs replace the header's defaults. gitlab-ci-local 4.60.1 takes
/// no pipeline inputs but interpolates the header's defaults, so the values become the
/// defaults (the header is written back as JSON, which is YAML).
fn with_inputs(consumer: &str, inputs: &[(&str, Value)]) -> String {
    let (header, body) = consumer
        .split_once("\n---\n")
        .expect("the README's .gitlab-ci.yml has a spec header");
    let mut spec: Value = serde_saphyr::from_str(header).expect("the header is YAML");
    for (name, value) in inputs {
        let input = spec["spec"]["inputs"]
            .get_mut(*name)
            .unwrap_or_else(|| panic!("the README's header has no input {name}"));
        input["default"] = value.clone();
    }
    format!("{spec}\n---\n{body}")
}

/// Writes the team's `.gitlab-ci.yml` for a pipeline with `inputs` (uncommitted, as gitlab-ci-local
/// reads the work tree).
fn set_inputs(team: &Path, consumer: &str, inputs: &[(&str, Value)]) {
    std::fs::write(team.join(".gitlab-ci.yml"), with_inputs(consumer, inputs)).expect("write");
}

/// The JSON report a job left as its artifact.
fn report(dir: &Path, job: &str, file: &str) -> Value {
    let path = dir.join(format!(
        ".gitlab-ci-local/artifacts/{job}/teamcadence-report/{file}"
    ));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{job}'s report {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the report is JSON")
}

fn actions(report: &Value) -> Vec<(String, String)> {
    report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["key"].as_str().expect("key").to_owned(),
                i["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect()
}

/// The team's config, dated around `today` so that the planning issue, a roster hire's
/// onboarding issue and a time off's coverage issue are all due when the schedule runs.
fn team_config(today: NaiveDate) -> String {
    let day = |n: i64| {
        let date = if n >= 0 {
            today.checked_add_days(Days::new(n.unsigned_abs()))
        } else {
            today.checked_sub_days(Days::new(n.unsigned_abs()))
        };
        date.expect("date").format("%Y-%m-%d").to_string()
    };
    // The hire starts on a weekday two to four days from now: within 5 working days.
    let mut start = today.checked_add_days(Days::new(2)).expect("date");
    while matches!(start.weekday(), Weekday::Sat | Weekday::Sun) {
        start = start.succ_opt().expect("date");
    }
    format!(
        r#"timezone: UTC
milestones:
  source: list
  list:
    - {{ title: "2.0", start: {previous_start}, end: {previous_end} }}
    - {{ title: "2.1", start: {next_start}, end: {next_end} }}
teams:
  - id: app
    name: App
    project: {TEAM_PROJECT}
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager, joined: 2020-01-06 }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, joined: 2021-03-01, manager: mia }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer, joined: 2022-05-02, manager: mia }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer, joined: 2023-09-04, manager: mia }}
    responsibilities:
      - {{ name: Reviews, priority: HIGH, covered_by: [carol, dan] }}
time_off:
  - {{ id: bob-away, person: bob, from: {away_from}, until: {away_until}, note: Two weeks off }}
new_hires:
  - {{ username: nina, name: Nina New, team: app, role: backend-engineer, start: {hire_start}, manager: mia }}
"#,
        previous_start = day(-23),
        previous_end = day(6),
        next_start = day(7),
        next_end = day(37),
        away_from = day(7),
        away_until = day(20),
        hire_start = start.format("%Y-%m-%d"),
    )
}

/// Strips the built binaries into `dir` (the release build strips them too), as the release
/// pipeline's build job leaves them in `dist/`.
fn release_binaries(dir: &Path) {
    std::fs::create_dir_all(dir).expect("dist");
    let built = Path::new(env!("CARGO_BIN_EXE_teamcadence"))
        .parent()
        .expect("target dir")
        .to_owned();
    for binary in BINARIES {
        let output = Command::new("strip")
            .arg("-o")
            .arg(dir.join(binary))
            .arg(built.join(binary))
            .output()
            .expect("strip runs (binutils)");
        assert!(output.status.success(), "strip {binary}: {}", text(&output));
    }
}

#[test]
fn readme_setup_runs_scheduled_manual_and_merge_request_pipelines_against_gitlab() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("pipeline", &[]);

    // teamcadence's own release pipeline, on the tag of this version: its publish job
    // uploads the binaries to the project's package registry with its job token.
    let release = teamcadence_repository(&scratch, &gitlab);
    release_binaries(&release.join("dist"));
    let published = publish_job(&release, VERSION);
    assert!(published.status.success(), "{}", text(&published));
    assert!(!text(&published).contains(RELEASE_JOB_TOKEN));
    let archive = format!("teamcadence-{VERSION}-x86_64-linux.tar.gz");
    {
        let store = gitlab.fake.state();
        let store = store.store();
        assert!(
            store
                .package_file("teamcadence/teamcadence", "teamcadence", VERSION, &archive)
                .is_some_and(|bytes| bytes.len() > 1_000_000),
            "the archive is in the package registry"
        );
    }

    // The release job's asset links point at what the publish job uploaded.
    let links = release_links(&gitlab.url(), VERSION);
    assert_eq!(links.len(), 2, "{links:?}");
    for (name, url) in &links {
        let path = url
            .strip_prefix(&format!(
                "{}/api/v4/projects/teamcadence%2Fteamcadence/packages/generic/teamcadence/{VERSION}/",
                gitlab.url()
            ))
            .unwrap_or_else(|| panic!("{name}: {url}"));
        assert_eq!(path, name);
        let store = gitlab.fake.state();
        assert!(
            store
                .store()
                .package_file("teamcadence/teamcadence", "teamcadence", VERSION, path)
                .is_some(),
            "{url} is published"
        );
    }
    assert_eq!(links[0].0, archive);

    // The team's project, set up as the README says: its .gitlab-ci.yml is the README's.
    let consumer = readme_block("teamcadence-ci:include");
    assert!(
        consumer.contains(&format!("/teamcadence@{VERSION}\n")),
        "the README's include pins this version ({VERSION}):\n{consumer}"
    );
    let team = scratch.0.join("team-app");
    let today = chrono::Utc::now().date_naive();
    repository(
        &team,
        &[],
        &[
            (".gitlab-ci.yml", &consumer),
            ("teamcadence.yml", &team_config(today)),
        ],
        &gitlab.url(),
        TEAM_PROJECT,
    );
    publish_component(&team);

    let token = ("GITLAB_TOKEN", TEAM_TOKEN);
    let schedule = [token, ("CI_PIPELINE_SOURCE", "schedule")];
    let all = [
        "teamcadence-planning",
        "teamcadence-onboarding",
        "teamcadence-pto",
        "teamcadence-recurring",
    ];
    let none = Vec::<String>::new();
    // The project's other schedules keep `jobs` at `none`: no teamcadence job.
    assert_eq!(listed_jobs(&team, &schedule), none);
    let push = [token, ("CI_PIPELINE_SOURCE", "push")];
    assert_eq!(listed_jobs(&team, &push), none);
    // Each schedule names its jobs.
    set_inputs(&team, &consumer, &[("jobs", "pto".into())]);
    assert_eq!(listed_jobs(&team, &schedule), ["teamcadence-pto"]);
    set_inputs(&team, &consumer, &[("jobs", "daily".into())]);
    assert_eq!(listed_jobs(&team, &schedule), all);
    // Where pipeline variables are allowed they still work: a schedule variable turns a job
    // off, and a "Run pipeline" with PTO_PERSON runs only the PTO job.
    let pto_off = [
        token,
        ("CI_PIPELINE_SOURCE", "schedule"),
        ("TEAMCADENCE_PTO", "false"),
    ];
    assert_eq!(listed_jobs(&team, &pto_off), [all[0], all[1], all[3]]);
    let absence = [token, ("CI_PIPELINE_SOURCE", "web"), ("PTO_PERSON", "bob")];
    assert_eq!(listed_jobs(&team, &absence), ["teamcadence-pto"]);

    // The daily schedule creates what is due: planning, onboarding and coverage issues.
    let run = gitlab_ci_local(&team, &[], &schedule);
    let log = text(&run);
    assert!(run.status.success(), "{log}");
    assert!(log.contains(&format!("Downloading {archive}")), "{log}");
    assert!(
        log.contains(&format!("{archive}: OK")),
        "checksum checked: {log}"
    );
    assert!(!log.contains(TEAM_TOKEN), "the token never shows in a log");
    // A shell-executor runner keeps its temporary folder: the downloaded binaries (about
    // 400 MB a job) are gone when the jobs end.
    let left: Vec<_> = std::fs::read_dir(team.join("../tmp"))
        .expect("tmp")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert!(left.is_empty(), "the jobs left {left:?} in TMPDIR");
    // gitlab-ci-local pads job names to the longest in the pipeline.
    assert!(
        regex::Regex::new(r"teamcadence-planning +> planning-issue on ")
            .expect("regex")
            .is_match(&log),
        "the summary leads the job's output: {log}"
    );
    assert!(
        log.contains(":teamcadence_issue_1[collapsed=true]\r\x1b[0K[create] planning/app/2.1"),
        "each issue is a collapsed section: {log}"
    );
    let keys: Vec<String> = gitlab.by_key(TEAM_PROJECT).into_keys().collect();
    assert_eq!(
        keys,
        [
            "onboarding/nina".to_owned(),
            "planning/app/2.1".to_owned(),
            "pto/bob-away".to_owned(),
        ],
        "{log}"
    );
    let created = gitlab.count("POST /api/v4/projects/:id/issues");
    assert_eq!(created, 3);
    assert!(
        actions(&report(&team, "teamcadence-planning", "planning.json"))
            .contains(&("planning/app/2.1".to_owned(), "create".to_owned()))
    );
    assert_eq!(
        actions(&report(&team, "teamcadence-pto", "pto.json"))[0].1,
        "create"
    );

    // The schedule again, as a retried pipeline would: nothing new.
    let again = gitlab_ci_local(&team, &[], &schedule);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(gitlab.count("POST /api/v4/projects/:id/issues"), created);
    assert_eq!(
        actions(&report(&team, "teamcadence-onboarding", "onboarding.json")),
        [("onboarding/nina".to_owned(), "exists".to_owned())]
    );

    // "Run pipeline" with the form's inputs, a new hire and an absence: that hire's
    // onboarding issue and that absence's coverage issue, and no other job.
    let day = |n: u64| {
        today
            .checked_add_days(Days::new(n))
            .expect("date")
            .format("%Y-%m-%d")
            .to_string()
    };
    let (hire_start, dan_from, dan_until) = (day(14), day(42), day(53));
    set_inputs(
        &team,
        &consumer,
        &[
            ("new_hire", "zed".into()),
            ("start_date", hire_start.as_str().into()),
            ("buddy", "carol".into()),
            ("pto_person", "dan".into()),
            ("pto_from", dan_from.as_str().into()),
            ("pto_until", dan_until.as_str().into()),
        ],
    );
    let manual = [token, ("CI_PIPELINE_SOURCE", "web")];
    assert_eq!(listed_jobs(&team, &manual), all[1..3]);
    let by_hand = gitlab_ci_local(&team, &[], &manual);
    assert!(by_hand.status.success(), "{}", text(&by_hand));
    assert_eq!(
        gitlab.count("POST /api/v4/projects/:id/issues"),
        created + 2,
        "{}",
        text(&by_hand)
    );
    let issues = gitlab.by_key(TEAM_PROJECT);
    let zed = &issues["onboarding/zed"];
    assert_eq!(zed.len(), 1);
    assert!(
        zed[0]["title"]
            .as_str()
            .is_some_and(|t| t.contains(&hire_start)),
        "{zed:?}"
    );
    let dan: Vec<&String> = issues.keys().filter(|k| k.starts_with("pto/dan")).collect();
    assert_eq!(dan.len(), 1, "{:?}", issues.keys());

    // The same form with dry_run ticked: the jobs run and write nothing.
    set_inputs(
        &team,
        &consumer,
        &[
            ("new_hire", "yan".into()),
            ("start_date", hire_start.as_str().into()),
            ("dry_run", true.into()),
        ],
    );
    assert_eq!(listed_jobs(&team, &manual), ["teamcadence-onboarding"]);
    let dry = gitlab_ci_local(&team, &[], &manual);
    assert!(dry.status.success(), "{}", text(&dry));
    assert_eq!(
        gitlab.count("POST /api/v4/projects/:id/issues"),
        created + 2
    );
    std::fs::write(team.join(".gitlab-ci.yml"), &consumer).expect("write");

    // A merge request that changes the config: the check and a preview, and not one API
    // request but the binaries' download.
    git(&team, &["checkout", "--quiet", "-b", "more-time-off"]);
    let carol_from = today.checked_add_days(Days::new(28)).expect("date");
    let carol_until = today.checked_add_days(Days::new(35)).expect("date");
    let config = team_config(today).replace(
        "new_hires:",
        &format!(
            "  - {{ id: carol-away, person: carol, from: {carol_from}, until: {carol_until} }}\nnew_hires:"
        ),
    );
    std::fs::write(team.join("teamcadence.yml"), config).expect("config");
    git(
        &team,
        &[
            "commit",
            "--quiet",
            "--all",
            "--message",
            "Carol's time off",
        ],
    );
    let merge_request = [token, ("CI_PIPELINE_SOURCE", "merge_request_event")];
    assert_eq!(listed_jobs(&team, &merge_request), ["teamcadence-check"]);
    // The same branch in a branch pipeline: the check runs there when the branch has no merge
    // request, and not twice when it has one.
    let branch = [
        token,
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", "more-time-off"),
    ];
    assert_eq!(listed_jobs(&team, &branch), ["teamcadence-check"]);
    let branch_with_mr = [
        token,
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", "more-time-off"),
        ("CI_OPEN_MERGE_REQUESTS", "acme/team-app!7"),
    ];
    assert_eq!(listed_jobs(&team, &branch_with_mr), none);
    // The test's own read of the issues comes before the count, so that the count is the
    // pipeline's alone.
    let issues_before = gitlab.by_key(TEAM_PROJECT).len();
    let api_before = api_requests(&gitlab);
    let checked = gitlab_ci_local(&team, &[], &merge_request);
    let log = text(&checked);
    assert!(checked.status.success(), "{log}");
    assert!(log.contains("teamcadence.yml: ok: 1 team"), "{log}");
    assert!(!log.contains(TEAM_TOKEN), "{log}");
    // The check never talks to the GitLab API (it runs without the token, --offline): not a
    // read, not a write; only the binaries come from the package registry.
    assert_eq!(api_requests(&gitlab), api_before, "{log}");
    let preview = report(&team, "teamcadence-check", "pto-preview.json");
    assert!(
        actions(&preview).contains(&("pto/carol-away".to_owned(), "skip".to_owned())),
        "{preview:#}"
    );
    assert_eq!(gitlab.by_key(TEAM_PROJECT).len(), issues_before);
    assert_eq!(issues_before, 5);
}

/// Requests to the fake's API, reads and writes, but for the package registry's downloads.
fn api_requests(gitlab: &Gitlab) -> u64 {
    gitlab
        .fake
        .state()
        .request_counts()
        .iter()
        .filter(|(route, _)| !route.contains("/packages/generic/"))
        .map(|(_, count)| count)
        .sum()
}

/// check-jsonschema's verdict on `files` against GitLab's CI schema (its vendored copy of
/// GitLab's `ci.json`, which knows `spec:` headers and `!reference` tags).
fn gitlab_schema_check(files: &[PathBuf]) -> Output {
    Command::new(&tools().1)
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .args(["--data-transform", "gitlab-ci"])
        .args(files)
        .output()
        .expect("check-jsonschema runs")
}

#[test]
fn both_ci_configurations_pass_gitlabs_ci_schema() {
    // GitLab checks a component's `spec:` header as it is, and its configuration once the
    // inputs are interpolated: here, as the README's team pipeline with a manual run's inputs
    // filled in, expanded by gitlab-ci-local.
    let scratch = Scratch::new("schema", &[]);
    let team = scratch.0.join("team-app");
    let consumer = readme_block("teamcadence-ci:include");
    let filled = with_inputs(
        &consumer,
        &[
            ("jobs", "daily".into()),
            ("new_hire", "zed".into()),
            ("start_date", "2030-01-07".into()),
            ("manager", "mia".into()),
            ("buddy", "carol".into()),
            ("role", "backend-engineer".into()),
            ("team", "app".into()),
            ("location", "EMEA".into()),
            ("pto_person", "dan".into()),
            ("pto_from", "2030-02-04".into()),
            ("pto_until", "2030-02-15".into()),
            ("dry_run", true.into()),
        ],
    );
    repository(
        &team,
        &[],
        &[(".gitlab-ci.yml", &filled)],
        "http://127.0.0.1:1",
        TEAM_PROJECT,
    );
    publish_component(&team);
    let expanded = preview(&team);
    let jobs: Value = serde_saphyr::from_str(&expanded).expect("the expanded config is YAML");
    let names = [
        "teamcadence-planning",
        "teamcadence-onboarding",
        "teamcadence-pto",
        "teamcadence-check",
    ];
    for name in names {
        let job = &jobs[name];
        // Each job starts at once, whatever the team's other stages do.
        assert_eq!(job["needs"], serde_json::json!([]), "{name}: {job:#}");
        assert_eq!(
            job["image"]["name"],
            format!("$CI_REGISTRY/teamcadence/teamcadence:{VERSION}"),
            "{name}"
        );
        // Its variables are its own, and all TEAMCADENCE_*: nothing reaches other jobs.
        let variables = job["variables"].as_object().expect("variables");
        for variable in variables.keys() {
            assert!(variable.starts_with("TEAMCADENCE_"), "{name}: {variable}");
        }
        assert_eq!(variables["TEAMCADENCE_NEW_HIRE"], "zed", "{name}");
        assert_eq!(variables["TEAMCADENCE_PTO_UNTIL"], "2030-02-15", "{name}");
        assert_eq!(variables["TEAMCADENCE_DRY_RUN"], "true", "{name}");
    }
    for writer in &names[..3] {
        let job = &jobs[writer];
        assert_eq!(job["resource_group"], "teamcadence", "{writer}: {job:#}");
        assert_eq!(job["interruptible"], false, "{writer}: {job:#}");
        assert_eq!(job["artifacts"]["when"], "always", "{writer}: {job:#}");
        assert_eq!(
            job["artifacts"]["paths"],
            serde_json::json!(["teamcadence-report/"]),
            "{writer}: {job:#}"
        );
        assert_eq!(
            job["artifacts"]["reports"]["annotations"], "teamcadence-report/annotations.json",
            "{writer}"
        );
        assert_eq!(
            job["variables"]["TEAMCADENCE_ANNOTATIONS"],
            "teamcadence-report/annotations.json"
        );
    }
    // The check only reads: a newer pipeline may cancel it, and it waits for no writer.
    let check = &jobs["teamcadence-check"];
    assert_eq!(check["interruptible"], true);
    assert_eq!(check["resource_group"], Value::Null);
    assert_eq!(
        check["artifacts"]["reports"]["codequality"],
        "teamcadence-report/codequality.json"
    );
    assert_eq!(
        check["variables"]["TEAMCADENCE_CODEQUALITY"],
        "teamcadence-report/codequality.json"
    );

    // The job names follow the `job_prefix` input.
    let prefixed = scratch.0.join("prefixed");
    let renamed = filled.replace(
        "      config: teamcadence.yml\n",
        "      config: teamcadence.yml\n      job_prefix: cadence-\n",
    );
    assert_ne!(renamed, filled);
    repository(
        &prefixed,
        &[],
        &[(".gitlab-ci.yml", &renamed)],
        "http://127.0.0.1:1",
        TEAM_PROJECT,
    );
    publish_component(&prefixed);
    let renamed_jobs: Value =
        serde_saphyr::from_str(&preview(&prefixed)).expect("the expanded config is YAML");
    let mut keys: Vec<&String> = renamed_jobs
        .as_object()
        .expect("jobs")
        .keys()
        .filter(|k| k.contains("cadence"))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "cadence-async-updates",
            "cadence-check",
            "cadence-onboarding",
            "cadence-planning",
            "cadence-pto",
            "cadence-recurring",
            "cadence-retrospective",
            "cadence-weekly-sync",
        ]
    );

    let component = std::fs::read_to_string(Path::new(ROOT).join("templates/teamcadence.yml"))
        .expect("component");
    let (header, body) = component
        .split_once("\n---\n")
        .expect("a spec header, then `---`, then the configuration");
    // No global keyword: every top-level key is one of the component's (prefixed) jobs.
    let configuration: Value = serde_saphyr::from_str(body).expect("the component is YAML");
    for key in configuration.as_object().expect("a mapping").keys() {
        assert!(
            key.starts_with("$[[ inputs.job_prefix ]]")
                || key.starts_with(".$[[ inputs.job_prefix ]]"),
            "a global keyword or an unprefixed job: {key}"
        );
    }
    // Every input says what it is for: the Catalog page and the include's reader see it.
    let spec: Value = serde_saphyr::from_str(header).expect("the header is YAML");
    for (name, input) in spec["spec"]["inputs"].as_object().expect("inputs") {
        assert!(input["description"].is_string(), "{name}");
    }
    let (consumer_spec, consumer_body) = consumer
        .split_once("\n---\n")
        .expect("a header, then the include");
    let files = [
        ("component-spec.yml", header),
        ("team-pipeline.yml", expanded.as_str()),
        ("readme-spec.yml", consumer_spec),
        ("readme-include.yml", consumer_body),
        // The check can fail: a misspelt keyword and a `when` GitLab does not know.
        ("broken.yml", "job:\n  scripts: [echo]\n  when: sometimes\n"),
    ];
    for (name, text) in files {
        std::fs::write(scratch.0.join(name), text).expect("write");
    }
    let checked = gitlab_schema_check(&[
        scratch.0.join("component-spec.yml"),
        scratch.0.join("team-pipeline.yml"),
        scratch.0.join("readme-spec.yml"),
        scratch.0.join("readme-include.yml"),
        Path::new(ROOT).join(".gitlab-ci.yml"),
    ]);
    assert!(checked.status.success(), "{}", text(&checked));

    let broken = gitlab_schema_check(&[scratch.0.join("broken.yml")]);
    assert!(!broken.status.success(), "{}", text(&broken));
}

/// The configuration gitlab-ci-local expands in `dir` (includes and inputs resolved).
fn preview(dir: &Path) -> String {
    let preview = gitlab_ci_local(dir, &["--preview"], &[]);
    assert!(preview.status.success(), "{}", text(&preview));
    // The expanded configuration follows gitlab-ci-local's warnings and a `---`.
    let stdout = String::from_utf8_lossy(&preview.stdout).into_owned();
    stdout
        .split_once("---\n")
        .map_or(stdout.as_str(), |(_, config)| config)
        .to_owned()
}

/// The release tags this project's pipeline publishes: the pattern of its `workflow:` rule
/// for tags, which its `release` job's rule must repeat.
fn release_tag_pattern() -> regex::Regex {
    let pipeline = std::fs::read_to_string(Path::new(ROOT).join(".gitlab-ci.yml")).expect("ci");
    let pipeline: Value = serde_saphyr::from_str(&pipeline).expect("the pipeline is YAML");
    let tag_rule = |rules: &Value| -> String {
        rules
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|rule| rule["if"].as_str())
            .find_map(|condition| condition.strip_prefix("$CI_COMMIT_TAG =~ /"))
            .and_then(|pattern| pattern.strip_suffix('/'))
            .expect("a `$CI_COMMIT_TAG =~ /.../` rule")
            .to_owned()
    };
    let workflow = tag_rule(&pipeline["workflow"]["rules"]);
    assert_eq!(tag_rule(&pipeline["release"]["rules"]), workflow);
    assert_eq!(pipeline["release"]["release"]["tag_name"], "$CI_COMMIT_TAG");
    regex::Regex::new(&workflow).expect("the tag pattern is a regex")
}

/// The release job's asset links (name, URL) for the tag `tag` of teamcadence/teamcadence
/// on the GitLab at `server`, its variables expanded as GitLab would.
fn release_links(server: &str, tag: &str) -> Vec<(String, String)> {
    let pipeline = std::fs::read_to_string(Path::new(ROOT).join(".gitlab-ci.yml")).expect("ci");
    let pipeline: Value = serde_saphyr::from_str(&pipeline).expect("the pipeline is YAML");
    let job = &pipeline["release"];
    let expand = |text: &str| {
        let mut text = text.to_owned();
        for (name, value) in job["variables"].as_object().expect("variables") {
            text = text.replace(&format!("${name}"), value.as_str().expect("a string"));
        }
        text.replace("$CI_API_V4_URL", &format!("{server}/api/v4"))
            .replace("$CI_PROJECT_ID", "teamcadence%2Fteamcadence")
            .replace("$CI_COMMIT_TAG", tag)
    };
    job["release"]["assets"]["links"]
        .as_array()
        .expect("asset links")
        .iter()
        .map(|link| {
            (
                expand(link["name"].as_str().expect("name")),
                expand(link["url"].as_str().expect("url")),
            )
        })
        .collect()
}

#[test]
fn readme_include_names_a_release_tag_the_pipeline_publishes() {
    let consumer = readme_block("teamcadence-ci:include");
    let reference = consumer
        .lines()
        .find_map(|line| line.trim().strip_prefix("- component: "))
        .expect("an include: component: line");
    let (path, version) = reference.split_once('@').expect("COMPONENT@VERSION");
    assert_eq!(path, "$CI_SERVER_FQDN/teamcadence/teamcadence/teamcadence");
    let tags = release_tag_pattern();
    assert!(
        tags.is_match(version),
        "the README includes @{version}, but the pipeline releases only tags matching {tags}"
    );
    assert_eq!(version, VERSION, "the README pins this release");
    // The Catalog wants bare semantic versions; a `v` prefix is not one.
    assert!(!tags.is_match(&format!("v{VERSION}")));
    assert!(!tags.is_match("1.2"));
}

#[test]
fn this_projects_pipeline_checks_every_change_and_releases_from_main_and_tags() {
    let gitlab = Gitlab::start(WORLD);
    let scratch = Scratch::new("own-pipeline", &[]);
    let dir = teamcadence_repository(&scratch, &gitlab);
    let checks = ["fmt", "clippy", "test"];
    let release = [
        "fmt",
        "clippy",
        "test",
        "build-binaries",
        "publish-binaries",
        "publish-image",
    ];
    let merge_request = [
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_COMMIT_BRANCH", ""),
    ];
    assert_eq!(listed_jobs(&dir, &merge_request), checks);
    let main = [("CI_PIPELINE_SOURCE", "push"), ("CI_COMMIT_BRANCH", "main")];
    assert_eq!(listed_jobs(&dir, &main), release);
    let tag = [
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", ""),
        ("CI_COMMIT_TAG", "1.2.3"),
    ];
    let mut released = release.to_vec();
    released.push("release");
    assert_eq!(listed_jobs(&dir, &tag), released);
    // A tag the Catalog would not take gets no GitLab release (GitLab starts no pipeline for
    // it at all, by `workflow:rules`, which gitlab-ci-local does not apply).
    let v_tag = [
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", ""),
        ("CI_COMMIT_TAG", "v1.2.3"),
    ];
    assert_eq!(listed_jobs(&dir, &v_tag), release);
    // (gitlab-ci-local does not apply `workflow:rules`, so a push to another branch, where
    // GitLab starts no pipeline, cannot be shown here.)
    let other_branch = [("CI_PIPELINE_SOURCE", "push"), ("CI_COMMIT_BRANCH", "wip")];
    assert_eq!(listed_jobs(&dir, &other_branch), checks);

    // A tag that is not Cargo.toml's version publishes nothing.
    std::fs::create_dir_all(dir.join("dist")).expect("dist");
    let wrong_tag = publish_job(&dir, "9.9.9");
    assert!(!wrong_tag.status.success(), "{}", text(&wrong_tag));
    assert!(
        text(&wrong_tag).contains(&format!(
            "tag 9.9.9 does not match Cargo.toml's version {VERSION}"
        )),
        "{}",
        text(&wrong_tag)
    );
    assert_eq!(
        gitlab.count(
            "PUT /api/v4/projects/:id/packages/generic/:package_name/:package_version/:file_name"
        ),
        0
    );
}
