//! What a team sees without reading a job log: each binary's `--help` (the environment it
//! reads, its exit codes, an example), the job page's annotations linking the issues a job
//! wrote, and `teamcadence check`'s Code Quality report in a merge request.
//! The variables each binary reads are listed here by hand from the code (`env = ...` of the
//! arguments, `std::env::var` in src/ and crates/gitlab).

mod common;

use common::{Gitlab, Scratch, job, run, stderr, stdout};
use serde_json::{Value, json};

/// What every job binary reads: its flags' variables, the token and address variables, the
/// log, colour and CI variables.
const JOB_ENV: &[&str] = &[
    "TEAMCADENCE_CONFIG",
    "TEAMCADENCE_REPORT",
    "TEAMCADENCE_ANNOTATIONS",
    "TEAMCADENCE_TIMEOUT",
    "CI_SERVER_URL",
    "GITLAB_TOKEN",
    "GITLAB_TOKEN_FILE",
    "CI_JOB_TOKEN",
    "GITLAB_CI",
    "TEAMCADENCE_LOG",
    "NO_COLOR",
    "TEAMCADENCE_RETRY_BASE_MS",
];

fn help(args: &[&str]) -> String {
    let output = run(args[0], &args[1..]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

fn assert_mentions(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "`{word}` missing from:\n{text}");
    }
}

/// The exit codes, each on its own line with what it means.
fn assert_exit_codes(text: &str) {
    assert!(text.contains("Exit codes:"), "{text}");
    for code in ["  0  ", "  1  ", "  2  "] {
        assert!(
            text.lines().any(|line| line.starts_with(code)),
            "exit code `{code}` missing from:\n{text}"
        );
    }
    assert!(text.contains("nothing was written"), "{text}");
}

#[test]
fn every_job_binarys_help_names_the_environment_it_reads_its_exit_codes_and_an_example() {
    let own: [(&str, &[&str]); 3] = [
        ("planning-issue", &[]),
        (
            "onboarding-issue",
            &[
                "NEW_HIRE",
                "START_DATE",
                "MANAGER",
                "BUDDY",
                "ROLE",
                "TEAM",
                "LOCATION",
            ],
        ),
        ("pto-coverage", &["PTO_PERSON", "PTO_FROM", "PTO_UNTIL"]),
    ];
    for (binary, own_env) in own {
        let text = help(&[binary, "--help"]);
        assert_mentions(&text, JOB_ENV);
        assert!(
            text.contains("\nEnvironment:\n  TEAMCADENCE_CONFIG "),
            "{text}"
        );
        assert_mentions(&text, own_env);
        assert_exit_codes(&text);
        assert!(text.contains(&format!("Examples:\n  {binary} ")), "{text}");
        assert_mentions(&text, &["--annotations <ANNOTATIONS>"]);
        // What the binary does, not the package's description.
        assert!(!text.contains("Turns an engineering team's"), "{text}");
    }
    assert!(help(&["planning-issue", "--help"]).starts_with("Create each team's planning issue"));
    assert!(help(&["onboarding-issue", "--help"]).starts_with("Create onboarding issues"));
    assert!(help(&["pto-coverage", "--help"]).starts_with("Create PTO coverage issues"));
}

#[test]
fn teamcadence_and_its_check_say_what_they_read_and_how_they_exit() {
    let text = help(&["teamcadence", "--help"]);
    assert_exit_codes(&text);
    assert!(!text.contains("Turns an engineering team's"), "{text}");
    assert_mentions(
        &text,
        &["planning-issue", "onboarding-issue", "pto-coverage"],
    );

    let text = help(&["teamcadence", "check", "--help"]);
    assert_mentions(
        &text,
        &[
            "TEAMCADENCE_CONFIG",
            "TEAMCADENCE_CODEQUALITY",
            "--codequality <CODEQUALITY>",
            "Examples:\n  teamcadence check ",
        ],
    );
    assert_exit_codes(&text);
}

// ---------------------------------------------------------------------------------------
// Annotations: the job page links each issue.

const PTO_WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pto-world.yml");
const PTO_TOKEN: &str = "glpat-pto-bot-SECRET-61";

/// One team, erin away for two weeks from Monday 2027-03-08 (due 14 days before).
const PTO_CONFIG: &str = "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    pto: { project: eng/pto-coverage }
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
      - { username: erin, name: Erin Elliott, role: backend-engineer, manager: mia }
      - { username: finn, name: Finn Foster, role: backend-engineer, manager: mia }
    responsibilities:
      - { name: Reviews, priority: MEDIUM, owners: [erin], covered_by: [finn] }
time_off:
  - { id: leave-7, person: erin, from: 2027-03-08, until: 2027-03-19, note: Ski trip }
";

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {text}"))
}

#[test]
fn the_annotations_link_each_issue_created_and_then_found() {
    let gitlab = Gitlab::start(PTO_WORLD);
    let scratch = Scratch::new("annotations", &[("teamcadence.yml", PTO_CONFIG)]);
    let annotations = scratch.path("out/annotations.json");
    let args = ["--today", "2027-02-25", "--annotations", &annotations];

    let config = scratch.path("teamcadence.yml");
    let run_job = || job(&gitlab, "pto-coverage", &config, &args, Some(PTO_TOKEN));

    let first = run_job();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let issues = gitlab.issues("eng/pto-coverage");
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let title = issues[0]["title"].as_str().expect("title");
    let url = issues[0]["web_url"].as_str().expect("web_url");
    assert!(url.starts_with("http"), "{url}");
    assert_eq!(
        read_json(&annotations),
        json!({"pto-coverage issues": [
            {"external_link": {"label": format!("created: {title}"), "url": url}}
        ]})
    );

    // A rerun creates nothing and links the issue it found.
    let again = run_job();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        read_json(&annotations),
        json!({"pto-coverage issues": [
            {"external_link": {"label": format!("exists: {title}"), "url": url}}
        ]})
    );
}

#[test]
fn the_annotations_are_written_when_the_run_stops_early() {
    let scratch = Scratch::new("annotations-early", &[("teamcadence.yml", PTO_CONFIG)]);
    let annotations = scratch.path("annotations.json");
    // No token: a usage error before anything is written; the file still says so.
    let output = run(
        "planning-issue",
        &[
            "--config",
            &scratch.path("teamcadence.yml"),
            "--gitlab-url",
            "https://gitlab.example.com",
            "--annotations",
            &annotations,
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        read_json(&annotations),
        json!({"planning-issue issues": []})
    );
}

// ---------------------------------------------------------------------------------------
// Code Quality: `teamcadence check` in a merge request.

/// A config whose third line holds an unknown key.
const BROKEN: &str = "timezone: Europe/Amsterdam
teams:
  - id: web
    nmae: Web
    project: eng/web
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
";

fn check(dir: &std::path::Path, config: &str, codequality: &str) -> std::process::Output {
    common::in_dir(
        dir,
        "teamcadence",
        &["check", "--config", config, "--codequality", codequality],
    )
}

#[test]
fn a_broken_config_becomes_a_code_quality_finding_on_its_line() {
    let scratch = Scratch::new("codequality", &[("ci/teamcadence.yml", BROKEN)]);
    let output = check(&scratch.0, "./ci/teamcadence.yml", "report/cq.json");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = read_json(&scratch.path("report/cq.json"));
    let findings = report.as_array().expect("a JSON array");
    assert_eq!(findings.len(), 1, "{report:#}");
    let finding = &findings[0];
    assert_eq!(finding["location"]["path"], "ci/teamcadence.yml");
    assert_eq!(finding["location"]["lines"]["begin"], 4);
    assert_eq!(finding["severity"], "major");
    assert_eq!(finding["check_name"], "teamcadence/config");
    let description = finding["description"].as_str().expect("description");
    assert!(
        description.contains("unknown field `nmae`"),
        "{description}"
    );
    let fingerprint = finding["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 16, "{fingerprint}");
    let keys: Vec<&String> = finding.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "check_name",
            "description",
            "fingerprint",
            "location",
            "severity"
        ]
    );

    // The same problem has the same fingerprint on the next run, even a line further down.
    let moved = format!("# the team's config\n{BROKEN}");
    std::fs::write(scratch.path("ci/teamcadence.yml"), moved).expect("write");
    let output = check(&scratch.0, "ci/teamcadence.yml", "report/cq.json");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let again = read_json(&scratch.path("report/cq.json"));
    assert_eq!(again[0]["location"]["lines"]["begin"], 5);
    assert_eq!(again[0]["fingerprint"], fingerprint);
}

#[test]
fn a_template_problem_is_found_on_the_templates_line() {
    let config = "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    templates: { planning: templates/planning.md }
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
";
    let template = "---\ntitle: Planning\n---\nHello\n\nThis is {{ no_such_variable }}.\n";
    let scratch = Scratch::new(
        "codequality-template",
        &[
            ("teamcadence.yml", config),
            ("templates/planning.md", template),
        ],
    );
    let output = check(&scratch.0, "teamcadence.yml", "cq.json");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = read_json(&scratch.path("cq.json"));
    let finding = &report[0];
    assert_eq!(
        finding["location"]["path"], "templates/planning.md",
        "{report:#}"
    );
    assert_eq!(finding["location"]["lines"]["begin"], 6, "{report:#}");
    assert_eq!(finding["severity"], "major");
    assert_eq!(finding["check_name"], "teamcadence/template");
}

#[test]
fn a_valid_config_gives_an_empty_code_quality_report() {
    let scratch = Scratch::new("codequality-ok", &[("teamcadence.yml", PTO_CONFIG)]);
    let output = check(&scratch.0, "teamcadence.yml", "cq.json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read_json(&scratch.path("cq.json")), json!([]));
}

#[test]
fn a_warning_is_a_minor_finding_and_the_check_still_passes() {
    // erin's time off recorded twice, with dates that overlap but differ.
    let config = format!(
        "{PTO_CONFIG}  - {{ person: erin, from: 2027-03-10, until: 2027-03-22, note: Ski trip }}\n"
    );
    let scratch = Scratch::new("codequality-warning", &[("teamcadence.yml", &config)]);
    let output = check(&scratch.0, "teamcadence.yml", "cq.json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = read_json(&scratch.path("cq.json"));
    let findings = report.as_array().expect("a JSON array");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["severity"], "minor");
    assert_eq!(findings[0]["check_name"], "teamcadence/warning");
    assert_eq!(findings[0]["location"]["path"], "teamcadence.yml");
    assert_eq!(findings[0]["location"]["lines"]["begin"], 1);
    let description = findings[0]["description"].as_str().expect("description");
    assert!(
        description.contains("the time off of erin disagrees"),
        "{description}"
    );
}
