//! End-to-end tests of the job binaries on the bundled example and on hostile configs: the
//! real executables, their flags, environment fallbacks, output formats and exit codes.

use serde_json::Value;

mod common;

use common::{EXAMPLE, Scratch, bin, in_dir, issue, run, stderr, stdout};

fn json_run(name: &str, args: &[&str]) -> Value {
    json_run_with_env(name, args, &[])
}

/// A dry-run on the example in JSON, with pipeline variables set as a manual pipeline would.
fn json_run_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["--config", EXAMPLE, "--dry-run", "--format", "json"];
    all.extend_from_slice(args);
    let output = bin(name)
        .args(&all)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("one JSON document on stdout")
}

fn keys(document: &Value) -> Vec<String> {
    document["issues"]
        .as_array()
        .expect("issues array")
        .iter()
        .map(|i| i["key"].as_str().expect("key").to_owned())
        .collect()
}

#[test]
fn planning_dry_run_shows_next_milestone_as_skip_before_its_window() {
    let output = run(
        "planning-issue",
        &["--config", EXAMPLE, "--dry-run", "--today", "2026-11-15"],
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("[skip] planning/code-creation/19.8: not due until 2026-11-16"),
        "{text}"
    );
    assert!(
        text.contains("Code Creation 19.8 Planning : December"),
        "{text}"
    );
    assert!(
        text.contains("labels:       Planning Issue, group::code creation, teamcadence::planning"),
        "{text}"
    );
    assert!(text.contains("assignees:    alice, frank"), "{text}");
    assert!(text.contains("due date:     2026-12-07"), "{text}");
    assert!(text.contains("## Capacity"), "{text}");
}

#[test]
fn planning_is_due_from_26_days_before_start_until_it_starts() {
    // 19.8 starts Sat 2026-12-12: 26 days before is Mon 2026-11-16, a week before the draft
    // (Mon 2026-11-23).
    for (today, action) in [
        ("2026-11-15", "skip"),
        ("2026-11-16", "create"),
        ("2026-12-11", "create"),
    ] {
        let document = json_run("planning-issue", &["--today", today]);
        let plan = issue(&document, "planning/code-creation/19.8");
        assert_eq!(plan["action"], action, "on {today}");
    }
    // Once 19.8 has started, the next one is 19.9 (starts 2027-01-16, due from 2026-12-21).
    let document = json_run("planning-issue", &["--today", "2026-12-12"]);
    let plan = issue(&document, "planning/code-creation/19.9");
    assert_eq!(plan["action"], "skip");
    assert_eq!(plan["reason"], "not due until 2026-12-21");
}

#[test]
fn planning_json_has_the_documented_shape() {
    let document = json_run("planning-issue", &["--today", "2026-12-01"]);
    let plan = issue(&document, "planning/code-creation/19.8");
    for field in [
        "key",
        "action",
        "project",
        "title",
        "description",
        "labels",
        "assignees",
        "milestone",
        "due_date",
        "confidential",
        "web_url",
    ] {
        assert!(plan.get(field).is_some(), "missing {field} in {plan:#}");
    }
    assert_eq!(plan["action"], "create");
    assert_eq!(plan["project"], "gitlab-org/create-stage");
    assert_eq!(plan["title"], "Code Creation 19.8 Planning : December");
    assert_eq!(plan["milestone"], "19.8");
    assert_eq!(plan["due_date"], "2026-12-07");
    assert_eq!(plan["confidential"], false);
    assert_eq!(plan["web_url"], Value::Null);
    assert_eq!(
        plan["labels"],
        serde_json::json!([
            "Planning Issue",
            "group::code creation",
            "teamcadence::planning"
        ])
    );
    assert!(document["warnings"].is_array());
}

#[test]
fn planning_capacity_counts_holidays_and_time_off_per_person() {
    let document = json_run("planning-issue", &["--today", "2026-12-01"]);
    let description = issue(&document, "planning/code-creation/19.8")["description"]
        .as_str()
        .expect("description")
        .to_owned();
    let row = |name: &str| -> Vec<String> {
        description
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row for {name} in\n{description}"))
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    // 19.8 runs Sat 2026-12-12 to Fri 2027-01-15: 25 weekdays.
    // Bob (nl): holidays 12-25, 01-01 on weekdays -> 23 working days; off 12-21..01-01 ->
    // 12-21..24 and 12-28..31 = 8 working days; available 15.
    let bob = row("Bob Builder");
    assert_eq!(&bob[5..8], ["23", "8", "15"], "{bob:?}");
    // Alice (us): 12-25 and 01-01 -> 23 working days, no time off.
    let alice = row("Alice Example");
    assert_eq!(&alice[5..8], ["23", "0", "23"], "{alice:?}");
    // Grace (nl): off 01-04..01-15 = 10 working days of 23; her first day is 12-14, the last
    // day she works is 12-31.
    let grace = row("Grace Quality");
    assert_eq!(
        &grace[3..8],
        ["2026-12-14", "2026-12-31", "23", "10", "13"],
        "{grace:?}"
    );
    // Dave starts 2026-12-07, before the milestone: a full new-hire row.
    let dave = row("Dave New (new hire)");
    assert_eq!(&dave[5..8], ["23", "0", "23"], "{dave:?}");
}

#[test]
fn pto_dry_run_plans_due_coverage_and_skips_short_time_off() {
    let document = json_run("pto-coverage", &["--today", "2026-11-20"]);
    assert_eq!(
        keys(&document),
        [
            "pto/erin/2026-11-30",
            "pto/bob/2026-12-21",
            "pto/carol/2026-12-28",
            "pto/grace/2027-01-04"
        ]
    );
    let erin = issue(&document, "pto/erin/2026-11-30");
    assert_eq!(erin["action"], "create");
    assert_eq!(
        erin["title"],
        "Coverage for Erin Frontend from 2026-11-30 until 2026-12-04"
    );
    assert_eq!(erin["project"], "engineering-division/pto-coverage");
    assert_eq!(erin["due_date"], "2026-11-30");
    let bob = issue(&document, "pto/bob/2026-12-21");
    assert_eq!(bob["action"], "skip");
    assert_eq!(bob["reason"], "not due until 2026-12-07");
    // Carol is off three days; the Christmas holiday before the weekend makes four: no issue.
    // The reason names the holiday it counted (issue 15: it used to say "4 consecutive
    // working days" where the issue and the capacity table said 3).
    let carol = issue(&document, "pto/carol/2026-12-28");
    assert_eq!(
        carol["reason"],
        "4 days away in a row, 3 working days off and the holiday Christmas Day (2026-12-25); \
         a coverage issue is expected from 5 days away in a row"
    );
}

#[test]
fn pto_backups_skip_people_who_are_away() {
    let document = json_run("pto-coverage", &["--today", "2026-12-07"]);
    let bob = issue(&document, "pto/bob/2026-12-21");
    assert_eq!(bob["action"], "create");
    let description = bob["description"].as_str().expect("description");
    // Carol could cover triage first, but she is off 12-28..12-30, inside Bob's time off.
    let triage = description
        .lines()
        .find(|l| l.contains("| Triage rotation |"))
        .expect("triage row");
    assert!(!triage.contains("carol"), "{triage}");
    assert!(triage.contains("@heidi"), "{triage}");
    // Triage: heidi then erin; the Web IDE reviews: only heidi is left (carol away).
    assert_eq!(
        bob["assignees"],
        serde_json::json!(["bob", "heidi", "erin"])
    );
    let reviews = description
        .lines()
        .find(|l| l.contains("| Web IDE merge request reviews |"))
        .expect("reviews row");
    assert!(reviews.contains("| @heidi | - |"), "{reviews}");
}

#[test]
fn pto_manual_absence_from_flags_and_env_is_created_at_once() {
    let from_flags = json_run(
        "pto-coverage",
        &[
            "--today",
            "2026-11-20",
            "--person",
            "heidi",
            "--from",
            "2027-03-01",
            "--until",
            "2027-03-02",
        ],
    );
    let plan = issue(&from_flags, "pto/heidi/2027-03-01");
    assert_eq!(plan["action"], "create");

    let from_env = json_run_with_env(
        "pto-coverage",
        &["--today", "2026-11-20"],
        &[
            ("PTO_PERSON", "heidi"),
            ("PTO_FROM", "2027-03-01"),
            ("PTO_UNTIL", "2027-03-02"),
        ],
    );
    assert_eq!(issue(&from_env, "pto/heidi/2027-03-01"), plan);
}

#[test]
fn pto_manual_input_errors_are_usage_errors() {
    let partial = run(
        "pto-coverage",
        &["--config", EXAMPLE, "--dry-run", "--person", "heidi"],
    );
    assert_eq!(partial.status.code(), Some(2));
    assert!(stderr(&partial).contains("needs all of --person, --from and --until"));
    assert!(stdout(&partial).is_empty());

    let stranger = run(
        "pto-coverage",
        &[
            "--config",
            EXAMPLE,
            "--dry-run",
            "--person",
            "mallory",
            "--from",
            "2027-03-01",
            "--until",
            "2027-03-02",
        ],
    );
    assert_eq!(stranger.status.code(), Some(2));
    assert!(
        stderr(&stranger).contains("`mallory` is not a member of any team"),
        "{}",
        stderr(&stranger)
    );

    let backwards = run(
        "pto-coverage",
        &[
            "--config",
            EXAMPLE,
            "--dry-run",
            "--person",
            "heidi",
            "--from",
            "2027-03-05",
            "--until",
            "2027-03-02",
        ],
    );
    assert_eq!(backwards.status.code(), Some(2));
    assert!(
        stderr(&backwards)
            .contains("the last day off (2027-03-02) is before the first (2027-03-05)")
    );
}

#[test]
fn onboarding_roster_hire_is_due_five_working_days_before_start() {
    // Dave starts Mon 2026-12-07; five working days before is Mon 2026-11-30.
    let before = json_run("onboarding-issue", &["--today", "2026-11-27"]);
    let plan = issue(&before, "onboarding/dave");
    assert_eq!(plan["action"], "skip");
    assert_eq!(plan["reason"], "not due until 2026-11-30");

    let due = json_run("onboarding-issue", &["--today", "2026-11-30"]);
    let plan = issue(&due, "onboarding/dave");
    assert_eq!(plan["action"], "create");
    assert_eq!(
        plan["title"],
        "Onboarding Dave New (backend-engineer), starting 2026-12-07"
    );
    // The default template gives the buddy tasks in weeks 1 to 4 (12-07 .. 01-04 with the
    // NL Christmas days): bob (Winter break from 12-21), carol (12-28) and grace (01-04)
    // are away in them, so heidi, who has just passed 3 months, is the buddy (issue 15: bob
    // was, checked over weeks 1-2 only).
    assert_eq!(
        plan["assignees"],
        serde_json::json!(["dave", "heidi", "alice"])
    );
    assert_eq!(
        plan["labels"],
        serde_json::json!([
            "onboarding",
            "group::code creation",
            "teamcadence::onboarding"
        ])
    );
    assert_eq!(plan["confidential"], true);
    assert_eq!(plan["due_date"], "2027-01-06");

    // Caught up until 14 days after the start; gone after that.
    let late = json_run("onboarding-issue", &["--today", "2026-12-21"]);
    assert_eq!(issue(&late, "onboarding/dave")["action"], "create");
    let gone = json_run("onboarding-issue", &["--today", "2026-12-22"]);
    assert!(keys(&gone).is_empty(), "{gone:#}");
}

#[test]
fn onboarding_weeks_carry_working_day_due_dates() {
    let document = json_run("onboarding-issue", &["--today", "2026-12-01"]);
    let description = issue(&document, "onboarding/dave")["description"]
        .as_str()
        .expect("description")
        .to_owned();
    // Dave (nl holidays) starts Mon 12-07; week N is due on the (5N-1)th working day after
    // it: Fri 12-11, Fri 12-18, then Mon 12-28 (the 25th is a holiday) and Tue 01-05 (the
    // 1st is one too).
    for expected in [
        "## Week 1 (due Fri 2026-12-11)",
        "## Week 2 (due Fri 2026-12-18)",
        "## Week 3 (due Mon 2026-12-28)",
        "## Week 4 (due Tue 2027-01-05)",
    ] {
        assert!(
            description.contains(expected),
            "{expected} missing in\n{description}"
        );
    }
}

#[test]
fn onboarding_manual_hire_from_env_is_created_at_once() {
    let document = json_run_with_env(
        "onboarding-issue",
        &["--today", "2026-11-20"],
        &[
            ("NEW_HIRE", "zed"),
            ("START_DATE", "2027-02-01"),
            ("BUDDY", "carol"),
            // Left blank in the "Run pipeline" form: not given.
            ("MANAGER", ""),
        ],
    );
    // A scheduled pipeline sees the form's variables too, all blank: nothing given by hand.
    let blank = [
        ("NEW_HIRE", ""),
        ("START_DATE", ""),
        ("PTO_PERSON", " "),
        ("PTO_FROM", ""),
        ("PTO_UNTIL", ""),
    ];
    let scheduled = json_run_with_env("onboarding-issue", &["--today", "2026-11-20"], &blank);
    assert!(
        !keys(&scheduled).contains(&"onboarding/zed".to_owned()),
        "{scheduled:#}"
    );
    let scheduled = json_run_with_env("pto-coverage", &["--today", "2026-11-20"], &blank);
    assert!(!keys(&scheduled).is_empty(), "{scheduled:#}");
    let plan = issue(&document, "onboarding/zed");
    assert_eq!(plan["action"], "create");
    assert_eq!(
        plan["assignees"],
        serde_json::json!(["zed", "carol", "alice"])
    );
    assert_eq!(
        plan["title"],
        "Onboarding zed (engineer), starting 2027-02-01"
    );
}

#[test]
fn onboarding_manual_hire_bad_input_is_a_usage_error() {
    for (args, message) in [
        (
            vec!["--new-hire", "zed"],
            "the new hire's start date is missing: pass --start-date",
        ),
        (
            vec!["--new-hire", "@all x", "--start-date", "2027-02-01"],
            "is not a GitLab username",
        ),
        (
            vec![
                "--new-hire",
                "zed",
                "--start-date",
                "2027-02-01",
                "--buddy",
                "nobody",
            ],
            "--buddy (BUDDY) `nobody` is not a member of any team",
        ),
        (vec!["--start-date", "2027-02-01"], "without --new-hire"),
    ] {
        let mut all = vec!["--config", EXAMPLE, "--dry-run"];
        all.extend(args);
        let output = run("onboarding-issue", &all);
        assert_eq!(output.status.code(), Some(2), "{all:?}");
        assert!(
            stderr(&output).contains(message),
            "{all:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{all:?}");
    }
    let bad_date = run(
        "onboarding-issue",
        &[
            "--config",
            EXAMPLE,
            "--dry-run",
            "--new-hire",
            "zed",
            "--start-date",
            "07/12/2026",
        ],
    );
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(
        stderr(&bad_date).contains(
            "--start-date (START_DATE): `07/12/2026` is not a date: write it as YYYY-MM-DD"
        ),
        "{}",
        stderr(&bad_date)
    );
}

#[test]
fn check_renders_every_template_on_the_example() {
    let output = run(
        "teamcadence",
        &["check", "--config", EXAMPLE, "--today", "2026-11-20"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    // 2 planning (19.7 under way, shown as a skip, and 19.8) + 4 time off + 1 roster hire
    // + 2 recurring issues (the triage rotation's week and the release post check), and the
    // rituals: a sample async update prompt, the agenda of the sync on Tuesday 2026-11-24 and
    // the retrospective of 19.8.
    assert!(text.contains("ok: 1 team, 12 issues rendered"), "{text}");
}

#[test]
fn config_from_env_variable_is_used() {
    let output = bin("planning-issue")
        .args(["--dry-run", "--today", "2026-11-20"])
        .env("TEAMCADENCE_CONFIG", EXAMPLE)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn missing_config_file_says_what_to_do() {
    let output = run(
        "planning-issue",
        &["--config", "/nonexistent/teamcadence.yml", "--dry-run"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(
        "cannot read the config file /nonexistent/teamcadence.yml: pass --config PATH or set TEAMCADENCE_CONFIG"
    ));
    assert!(stdout(&output).is_empty());
}

const HOSTILE: &str = r#"
timezone: Europe/Amsterdam
teams:
  - id: hostile
    name: "Team @all"
    project: group/project
    members:
      - { username: alice, name: "Alice @all", role: engineering-manager }
      - { username: bob, name: "/close", role: backend-engineer, manager: alice }
      - { username: carol, name: "Carol | Pipe", role: backend-engineer, manager: alice }
    responsibilities:
      - { name: "Triage | rotation\n/label ~x", priority: HIGH, covered_by: [carol], link: "<!-- teamcadence:key=planning/other/1.0 -->" }
time_off:
  - { person: bob, from: 2026-12-01, until: 2026-12-10, note: "back soon\n/assign @mallory\n@here" }
new_hires:
  - { username: dave, name: "@all /close", team: hostile, role: "/unassign", start: 2026-12-07, manager: alice }
"#;

#[test]
fn hostile_values_cannot_inject_quick_actions_mentions_or_break_tables() {
    let scratch = Scratch::new("hostile", &[("teamcadence.yml", HOSTILE)]);
    for job in ["planning-issue", "pto-coverage", "onboarding-issue"] {
        let output = in_dir(
            &scratch.0,
            job,
            &["--dry-run", "--format", "json", "--today", "2026-11-30"],
        );
        assert_eq!(output.status.code(), Some(0), "{job}: {}", stderr(&output));
        let document: Value = serde_json::from_str(&stdout(&output)).expect("json");
        for plan in document["issues"].as_array().expect("issues") {
            let description = plan["description"].as_str().expect("description");
            for line in description.lines() {
                assert!(
                    !line.trim_start().starts_with('/'),
                    "{job}: quick action line {line:?}"
                );
                assert!(!line.contains("<!--"), "{job}: forged marker in {line:?}");
            }
            for mass in ["@all", "@here", "@mallory"] {
                assert!(
                    !description.contains(mass),
                    "{job}: {mass} in\n{description}"
                );
            }
            // Every table row keeps its header's number of cells.
            let mut columns = None;
            for line in description.lines() {
                if line.starts_with('|') {
                    let cells = line.replace("\\|", "").matches('|').count();
                    match columns {
                        None => columns = Some(cells),
                        Some(n) => assert_eq!(n, cells, "{job}: broken table row {line:?}"),
                    }
                } else {
                    columns = None;
                }
            }
        }
    }
}

#[test]
fn invalid_config_reports_every_problem_and_plans_nothing() {
    let config = r#"
timezone: Mars/Olympus
holidays:
  nl: { dates: [2026-12-25] }
teams:
  - id: code-creation
    name: Code Creation
    project: create-stage
    members:
      - { username: alice, name: Alice, role: engineering-manager, timezone: Europe/Amsterdm }
      - { username: bob, name: Bob, role: backend-engineer, manager: alicia, holidays: de }
time_off:
  - { person: bob, from: 2026-12-21, until: 2026-12-01 }
new_hires:
  - { username: dave, name: Dave, team: code-creaton, role: backend-engineer, start: 2026-12-07 }
"#;
    let scratch = Scratch::new("invalid", &[("teamcadence.yml", config)]);
    let output = in_dir(&scratch.0, "planning-issue", &["--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).is_empty(),
        "nothing may be planned: {}",
        stdout(&output)
    );
    let expected = "\
planning-issue: teamcadence.yml: 7 problems in the configuration; nothing was written
  teamcadence.yml:2:11: timezone: unknown time zone `Mars/Olympus`
    hint: use an IANA time zone name such as Europe/Amsterdam or America/New_York
  teamcadence.yml:8:14: teams[code-creation].project: `create-stage` is not a GitLab project path
    hint: write the project's full path, for example gitlab-org/create-stage
  teamcadence.yml:10:78: teams[code-creation].members[alice].timezone: unknown time zone `Europe/Amsterdm`
    hint: use an IANA time zone name such as Europe/Amsterdam or America/New_York
  teamcadence.yml:11:70: teams[code-creation].members[bob].manager: `alicia` is not a member of any team
    hint: use the username of someone listed under a team's `members`
  teamcadence.yml:11:88: teams[code-creation].members[bob].holidays: unknown holiday calendar `de`
    hint: use one of the calendars under `holidays`: nl
  teamcadence.yml:13:45: time_off[bob from 2026-12-21].until: `until` (2026-12-01) is before `from` (2026-12-21)
    hint: `until` is the last day off (inclusive) and must be on or after `from`
  teamcadence.yml:15:41: new_hires[dave].team: unknown team `code-creaton`
    hint: use the id of a team in this file: code-creation
";
    assert_eq!(stderr(&output), expected);
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let config = "teams:\n  - id: a\n    name: A\n    project: g/p\n    membres: []\n";
    let scratch = Scratch::new("unknown-key", &[("teamcadence.yml", config)]);
    let output = in_dir(&scratch.0, "pto-coverage", &["--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.starts_with(
            "pto-coverage: teamcadence.yml: 1 problem in the configuration; nothing was written\n  teamcadence.yml:5:5: unknown field `membres`, expected one of"
        ),
        "{text}"
    );
    assert!(
        text.contains("hint: remove the key or fix its spelling"),
        "{text}"
    );
}

#[test]
fn template_that_does_not_render_fails_check_and_jobs_with_its_line() {
    let template =
        "---\ntitle: \"{{team.name}} planning\"\n---\n## Overview\n\nStarts {{milestone.begin}}\n";
    let config = "templates: { planning: custom/planning.md }\nteams:\n  - id: a\n    name: A\n    project: g/p\n    members: [{ username: alice, name: Alice, role: engineering-manager }]\n";
    let scratch = Scratch::new(
        "bad-template",
        &[
            ("teamcadence.yml", config),
            ("custom/planning.md", template),
        ],
    );
    let check = in_dir(
        &scratch.0,
        "teamcadence",
        &["check", "--today", "2026-11-20"],
    );
    assert_eq!(check.status.code(), Some(2));
    let text = stderr(&check);
    assert!(text.contains("custom/planning.md:6:"), "{text}");
    assert!(text.contains("milestone.begin"), "{text}");

    let job = in_dir(
        &scratch.0,
        "planning-issue",
        &["--dry-run", "--today", "2026-11-20"],
    );
    assert_eq!(job.status.code(), Some(2));
    assert!(
        stderr(&job).contains("custom/planning.md:6:"),
        "{}",
        stderr(&job)
    );
    assert!(stderr(&job).contains("nothing was written"));
    assert!(stdout(&job).is_empty());

    // A template path that does not exist is a config problem naming the key.
    let missing = Scratch::new(
        "missing-template",
        &[(
            "teamcadence.yml",
            &config.replace("custom/planning.md", "custom/nope.md"),
        )],
    );
    let output = in_dir(&missing.0, "teamcadence", &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "teamcadence.yml:1:24: templates.planning: cannot read template `custom/nope.md`"
        ),
        "{}",
        stderr(&output)
    );
    let _ = scratch.path("teamcadence.yml");
}

#[test]
fn writing_needs_a_gitlab_to_write_to() {
    let output = run(
        "planning-issue",
        &["--config", EXAMPLE, "--today", "2026-11-20"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains(
            "no GitLab to write to: pass --gitlab-url, or set CI_SERVER_URL or `gitlab.url` in the config (or run with --dry-run); nothing was written"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plain_http_to_another_machine_is_refused_before_the_token_leaves() {
    let output = bin("planning-issue")
        .args([
            "--config",
            EXAMPLE,
            "--today",
            "2026-11-30",
            "--gitlab-url",
            "http://gitlab.example.com",
        ])
        .env("GITLAB_TOKEN", "glpat-never-SECRET-sent")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let text = stderr(&output);
    assert!(
        text.contains("refusing plain http for http://gitlab.example.com"),
        "{text}"
    );
    assert!(text.contains("use https://"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[test]
fn report_file_holds_the_json_document_beside_the_text_output() {
    let scratch = Scratch::new("report", &[]);
    let report = scratch.path("out/report.json");
    let output = run(
        "planning-issue",
        &[
            "--config",
            EXAMPLE,
            "--dry-run",
            "--today",
            "2026-11-30",
            "--report",
            &report,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(stdout(&output).starts_with("planning-issue on 2026-11-30: 1 to create"));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("the report is JSON");
    assert_eq!(
        written,
        json_run("planning-issue", &["--today", "2026-11-30"]),
        "the report is the --format json document"
    );
}

#[test]
fn report_file_is_written_when_the_run_stops_on_a_config_error() {
    let scratch = Scratch::new("report-error", &[("teamcadence.yml", "teams: nope\n")]);
    let report = scratch.path("report.json");
    let output = bin("pto-coverage")
        .args(["--config", &scratch.path("teamcadence.yml"), "--dry-run"])
        .env("TEAMCADENCE_REPORT", &report)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("the report is JSON");
    assert_eq!(written["issues"], serde_json::json!([]));
    let error = written["errors"][0].as_str().expect("one error");
    assert!(error.contains("teamcadence.yml"), "{error}");
    assert!(stderr(&output).contains(error.lines().next().expect("a line")));
}

#[test]
fn offline_dry_run_never_contacts_gitlab_whatever_the_environment_holds() {
    // Nothing listens on port 9 of this machine: reading GitLab would fail the run.
    let env = [
        ("CI_SERVER_URL", "http://127.0.0.1:9"),
        ("GITLAB_TOKEN", "glpat-unused-SECRET"),
        ("TEAMCADENCE_RETRY_BASE_MS", "1"),
    ];
    let online = bin("planning-issue")
        .args(["--config", EXAMPLE, "--dry-run", "--today", "2026-11-30"])
        .envs(env)
        .output()
        .expect("runs");
    assert_eq!(online.status.code(), Some(1), "{}", stderr(&online));

    let offline = json_run_with_env(
        "planning-issue",
        &["--today", "2026-11-30", "--offline"],
        &env,
    );
    assert_eq!(
        issue(&offline, "planning/code-creation/19.8")["action"],
        "create"
    );
    assert_eq!(offline["warnings"], serde_json::json!([]));

    let without_dry_run = run("planning-issue", &["--config", EXAMPLE, "--offline"]);
    assert_eq!(without_dry_run.status.code(), Some(2));
    assert!(
        stderr(&without_dry_run).contains("--dry-run"),
        "{}",
        stderr(&without_dry_run)
    );
}

#[test]
fn in_a_gitlab_job_each_issue_is_a_collapsed_log_section() {
    let output = bin("planning-issue")
        .args(["--config", EXAMPLE, "--dry-run", "--today", "2026-11-30"])
        .env("GITLAB_CI", "true")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("[collapsed=true]\r\x1b[0K[create] planning/code-creation/19.8\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("section_start:").count(),
        text.matches("section_end:").count()
    );
}
