//! The configuration's error messages, pinned: each names the file, line, column and field,
//! says what is wrong and what to do.

use std::collections::BTreeMap;

use teamcadence_core::config::{Config, ConfigError, Milestones, SourceFiles};
use teamcadence_core::ics::FeedSource;
use teamcadence_core::ics::PersonFrom;

/// Files held in memory, as a config folder would hold them.
#[derive(Default)]
struct Files(BTreeMap<&'static str, &'static str>);

impl SourceFiles for Files {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        self.0
            .get(path)
            .map(|text| (*text).to_owned())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

const TEAM: &str = "teams:
  - id: a
    name: A
    project: g/p
    members:
      - { username: alice, name: Alice, role: engineering-manager }
";

fn error(text: &str, files: &Files) -> String {
    match Config::parse("team.yml", text, files) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(ConfigError { .. }) => Config::parse("team.yml", text, files)
            .expect_err("error")
            .to_string(),
    }
}

#[test]
fn a_minimal_config_gets_the_documented_defaults() {
    let config = Config::parse("team.yml", TEAM, &Files::default()).expect("valid");
    assert_eq!(config.timezone, chrono_tz::Tz::UTC);
    assert!(matches!(config.milestones, Milestones::Release(_)));
    let team = &config.teams[0];
    assert_eq!(team.planning.labels, ["Planning Issue"]);
    assert_eq!(
        team.planning.assign_roles,
        ["engineering-manager", "product-manager"]
    );
    assert_eq!(team.planning.create_days_before_start, 26);
    assert_eq!(team.pto.project, "g/p");
    assert_eq!(team.pto.coverage.min_working_days, 5);
    assert_eq!(team.pto.create_days_before, 14);
    assert_eq!(team.onboarding.create_days_before, 5);
    assert_eq!(team.onboarding.due_days_after_start, 30);
    assert!(team.onboarding.confidential);
    assert_eq!(team.templates.planning.name(), "templates/planning.md");
}

#[test]
fn bad_dates_say_how_to_write_one() {
    let text =
        format!("{TEAM}time_off:\n  - {{ person: alice, from: 2026-13-01, until: 2026-12-02 }}\n");
    assert_eq!(
        error(&text, &Files::default()),
        "team.yml: 1 problem in the configuration; nothing was written
  team.yml:8:28: `2026-13-01` is not a date: write it as YYYY-MM-DD, for example 2026-12-25
    hint: fix the YAML at this place (see examples/teamcadence.yml for a complete config)"
    );
}

#[test]
fn holiday_calendars_must_exist_and_parse() {
    let text = format!(
        "holidays:\n  empty: {{}}\n  broken: {{ ics: broken.ics }}\n  gone: {{ ics: gone.ics }}\n{TEAM}"
    );
    let files = Files(BTreeMap::from([(
        "broken.ics",
        "BEGIN:VCALENDAR\nthis is not ics\n",
    )]));
    let text = error(&text, &files);
    assert!(
        text.starts_with("team.yml: 3 problems in the configuration; nothing was written\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  team.yml:2:10: holidays.empty: holiday calendar `empty` has neither `dates` nor `ics`
    hint: list the dates (`dates: [2026-12-25]`) or name an iCalendar file (`ics: holidays/us.ics`)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  team.yml:3:18: holidays.broken.ics: `broken.ics` is not a usable iCalendar file: "
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  team.yml:4:16: holidays.gone.ics: cannot read `gone.ics`: no such file
    hint: paths are relative to the config file's folder; check that the file exists"
        ),
        "{text}"
    );
}

#[test]
fn milestone_lists_are_checked() {
    let overlapping = format!(
        "milestones:\n  source: list\n  list:\n    - {{ title: \"1.0\", start: 2027-01-01, end: 2027-01-31 }}\n    - {{ title: \"1.1\", start: 2027-01-20, end: 2027-02-28 }}\n{TEAM}"
    );
    let text = error(&overlapping, &Files::default());
    assert!(text.contains("team.yml:2:11: milestones.list: "), "{text}");
    assert!(text.contains("overlap"), "{text}");

    let backwards = format!(
        "milestones:\n  source: list\n  list:\n    - {{ title: \"1.0\", start: 2027-01-31, end: 2027-01-01 }}\n{TEAM}"
    );
    let text = error(&backwards, &Files::default());
    assert!(
        text.contains("team.yml:4:7: milestones.list[1.0]: "),
        "{text}"
    );
    assert!(text.contains("hint: check the milestone's dates"), "{text}");

    let unknown = format!("milestones: {{ source: jira }}\n{TEAM}");
    assert_eq!(
        error(&unknown, &Files::default()),
        "team.yml: 1 problem in the configuration; nothing was written
  team.yml:1:23: milestones.source: unknown milestone source `jira`
    hint: use `gitlab-release` (GitLab's monthly release calendar), `gitlab` (the group's or project's GitLab milestones), `iterations` (a group's iteration cadence) or `list` (milestones listed here)"
    );

    let not_a_release = format!(
        "milestones: {{ source: gitlab-release, anchor: {{ version: \"17.0\", released: 2024-05-17 }} }}\n{TEAM}"
    );
    let text = error(&not_a_release, &Files::default());
    assert!(
        text.contains("team.yml:1:47: milestones.anchor: "),
        "{text}"
    );
}

#[test]
fn gitlab_milestone_and_planning_settings_are_checked() {
    let text = "milestones: { source: gitlab, group: gitlab-org, project: gitlab-org/p, anchor: { version: \"17.0\", released: 2024-05-16 } }
teams:
  - id: a
    name: A
    project: g/p
    members:
      - { username: alice, name: Alice, role: engineering-manager }
    milestones: { source: iterations, group: \"bad group\" }
    planning:
      threads:
        - { title: Backend, body: hi }
        - { title: backend, body: again }
      velocity: { group: g, project: g/p, milestones: 0 }
";
    let message = error(text, &Files::default());
    for expected in [
        "team.yml:1:23: milestones.anchor: `anchor` is only read with `source: gitlab-release`\n    hint: remove `anchor`, or change `source`",
        "team.yml:1:59: milestones.project: give `group` or `project`, not both",
        "team.yml:8:46: teams[a].milestones.group: `bad group` is not a GitLab group path",
        "team.yml:12:11: teams[a].planning.threads[backend]: thread `backend` is listed twice",
        "team.yml:13:38: teams[a].planning.velocity.project: give `group` or `project`, not both",
        "team.yml:13:55: teams[a].planning.velocity.milestones: `milestones` must be at least 1",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
    assert!(message.starts_with("team.yml: 6 problems"), "{message}");

    let good = "milestones: { source: gitlab, group: gitlab-org }
teams:
  - id: a
    name: A
    project: g/p
    members:
      - { username: alice, name: Alice, role: engineering-manager }
    milestones: { source: iterations }
";
    let config = Config::parse("team.yml", good, &Files::default()).expect("valid");
    assert_eq!(config.milestones.name(), "gitlab");
    assert_eq!(config.milestones_of(&config.teams[0]).name(), "iterations");
}

#[test]
fn team_settings_are_checked() {
    let text = "teams:
  - id: a
    name: A
    project: g/p
    labels: [\"one, two\"]
    members:
      - { username: alice, name: Alice, role: engineering-manager, weekend: [mon, tue, wed, thu, fri, sat, sun] }
      - { username: \"@bob\", name: Bob, role: backend-engineer }
      - { username: alice, name: Alice again, role: backend-engineer }
    pto: { min_working_days: 0 }
    responsibilities:
      - { name: Triage, priority: URGENT, covered_by: [alice] }
  - id: a
    name: A again
    project: g/q
    members: []
";
    let message = error(text, &Files::default());
    // The priority is a parse error: serde stops there, before validation.
    assert_eq!(
        message,
        "team.yml: 1 problem in the configuration; nothing was written
  team.yml:12:35: `URGENT` is not a priority: use HIGH, MEDIUM or LOW
    hint: fix the YAML at this place (see examples/teamcadence.yml for a complete config)"
    );
    let message = error(&text.replace("URGENT", "HIGH"), &Files::default());
    for expected in [
        "team.yml:5:14: teams[a].labels: `one, two` is not a usable label\n    hint: labels are non-empty and contain no comma (GitLab splits labels on commas)",
        "team.yml:7:21: teams[a].members[alice].weekend: every day of the week is a weekend day",
        "team.yml:8:21: teams[a].members[@bob].username: `@bob` is not a GitLab username\n    hint: write the username without `@`: letters, digits, `_`, `-` and `.` only",
        "team.yml:9:21: teams[a].members[alice].username: `alice` is listed twice in this team",
        "team.yml:10:30: teams[a].pto.min_working_days: `min_working_days` must be at least 1",
        "team.yml:13:9: teams[a].id: team id `a` is used twice\n    hint: give each team its own id",
    ] {
        assert!(
            message.contains(expected),
            "missing:\n{expected}\nin:\n{message}"
        );
    }
}

#[test]
fn mass_mention_usernames_are_refused() {
    let text = TEAM.replace("username: alice", "username: all");
    let message = error(&text, &Files::default());
    assert!(
        message.contains("teams[a].members[all].username: `all` is not a GitLab username"),
        "{message}"
    );
}

#[test]
fn onboarding_templates_and_parts_are_checked() {
    let text = format!(
        "{TEAM}    templates: {{ onboarding: mine.md }}
    onboarding:
      issue_template: Developer onboarding.md
      parts:
        - {{ role: backend-engineer }}
        - {{ file: gone.md }}
        - {{ issue_template: Frontend, team: [a, b] }}
"
    );
    let files = Files(BTreeMap::from([("mine.md", "---\ntitle: Mine\n---\n")]));
    let text = error(&text, &files);
    assert!(
        text.starts_with("team.yml: 5 problems in the configuration; nothing was written\n"),
        "{text}"
    );
    for expected in [
        "  team.yml:9:23: teams[a].onboarding.issue_template: both `onboarding.issue_template` \
         and `templates.onboarding` (`mine.md`) name the onboarding template\n    hint: keep one",
        "  team.yml:9:23: teams[a].onboarding.issue_template: the issue template name ends with \
         `.md`: `Developer onboarding.md`\n    hint: write the name GitLab shows",
        "  team.yml:11:11: teams[a].onboarding.parts[0]: a template part needs exactly one of \
         `file` and `issue_template`",
        "  team.yml:12:19: teams[a].onboarding.parts[1].file: cannot read template part \
         `gone.md`: no such file",
        "  team.yml:13:11: teams[a].onboarding.parts[2].team: unknown team `b`\n    hint: use \
         the id of a team in this file: a",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// A config with one hire of its own and a roster that HR tooling writes.
fn with_roster(roster_key: &str) -> String {
    format!(
        "{TEAM}new_hires:
  - {{ username: dave, name: Dave, team: a, role: backend-engineer, start: 2026-12-07 }}
{roster_key}"
    )
}

#[test]
fn roster_hires_come_after_the_configs_own() {
    let text = format!(
        "holidays:\n  nl: {{ dates: [2026-12-25] }}\n{}",
        with_roster("roster: hires.yml\n")
    );
    let files = Files(BTreeMap::from([(
        "hires.yml",
        "new_hires:
  - { username: erin, name: Erin, team: a, role: frontend-engineer, start: 2026-12-14, manager: alice, timezone: Europe/Amsterdam, holidays: nl }
",
    )]));
    let config = Config::parse("team.yml", &text, &files).expect("valid");
    let usernames: Vec<&str> = config
        .new_hires
        .iter()
        .map(|h| h.username.as_str())
        .collect();
    assert_eq!(usernames, ["dave", "erin"]);
    let erin = &config.new_hires[1];
    assert_eq!(erin.team, "a");
    assert_eq!(erin.manager.as_deref(), Some("alice"));
    assert_eq!(erin.start.to_string(), "2026-12-14");
    // Validated like the config's hires, so the roster's hire has a working calendar.
    let calendar = config.calendars.for_person("erin");
    assert_eq!(calendar.timezone(), chrono_tz::Europe::Amsterdam);
    assert_eq!(calendar.holidays().len(), 1);
}

#[test]
fn a_hire_in_the_config_and_the_roster_is_listed_twice() {
    let files = Files(BTreeMap::from([(
        "hires.yml",
        "new_hires:
  - { username: dave, name: Dave, team: a, role: backend-engineer, start: 2026-12-07 }
",
    )]));
    assert_eq!(
        error(&with_roster("roster: hires.yml\n"), &files),
        "team.yml: 1 problem in the configuration; nothing was written
  hires.yml:2:17: new_hires[dave].username: new hire `dave` is listed twice
    hint: list each new hire once, in the config's `new_hires` or in the roster"
    );
}

#[test]
fn a_roster_problem_names_the_roster_and_its_line() {
    let text = with_roster("roster: hires.yml\n")
        .replace("start: 2026-12-07 }", "start: 2026-12-07, manager: zed }");
    let files = Files(BTreeMap::from([(
        "hires.yml",
        "new_hires:
  - username: bob
    name: Bob
    team: creation
    role: backend-engineer
    start: 2026-12-07
",
    )]));
    // Every problem at once, the config's first.
    assert_eq!(
        error(&text, &files),
        "team.yml: 2 problems in the configuration; nothing was written
  team.yml:8:96: new_hires[dave].manager: `zed` is not a member of any team
    hint: use the username of someone listed under a team's `members`
  hires.yml:4:11: new_hires[bob].team: unknown team `creation`
    hint: use the id of a team in the config file: a"
    );
}

#[test]
fn a_yaml_error_in_the_roster_names_the_roster() {
    let unknown_key = Files(BTreeMap::from([(
        "hires.yml",
        "new_hires:
  - username: bob
    name: Bob
    team: a
    role: backend-engineer
    start: 2026-12-07
    salary: 100
",
    )]));
    // The roster cannot be read, yet the config's own problems are still reported.
    let text = with_roster("roster: hires.yml\n")
        .replace("start: 2026-12-07 }", "start: 2026-12-07, manager: zed }");
    assert_eq!(
        error(&text, &unknown_key),
        "team.yml: 2 problems in the configuration; nothing was written
  team.yml:8:96: new_hires[dave].manager: `zed` is not a member of any team
    hint: use the username of someone listed under a team's `members`
  hires.yml:7:5: unknown field `salary`, expected one of username, name, team, role, start, manager, buddy, timezone, holidays, location
    hint: remove the key or fix its spelling; the keys allowed here are listed"
    );

    let bad_date = Files(BTreeMap::from([(
        "hires.yml",
        "new_hires:
  - { username: bob, name: Bob, team: a, role: backend-engineer, start: 2026-12-32 }
",
    )]));
    assert_eq!(
        error(&with_roster("roster: hires.yml\n"), &bad_date),
        "team.yml: 1 problem in the configuration; nothing was written
  hires.yml:2:73: `2026-12-32` is not a date: write it as YYYY-MM-DD, for example 2026-12-25
    hint: fix the YAML at this place (see examples/teamcadence.yml for a complete config)"
    );

    let bare_list = Files(BTreeMap::from([("hires.yml", "- { username: bob }\n")]));
    let message = error(&with_roster("roster: hires.yml\n"), &bare_list);
    assert!(
        message.contains("\n  hires.yml:1:1: expected mapping start\n"),
        "{message}"
    );
}

#[test]
fn an_unreadable_roster_is_reported_at_its_key() {
    assert_eq!(
        error(
            &with_roster("roster: people/hires.yml\n"),
            &Files::default()
        ),
        "team.yml: 1 problem in the configuration; nothing was written
  team.yml:9:9: roster: cannot read the roster `people/hires.yml`: no such file
    hint: the roster's path is relative to the config file's folder; check that the file exists"
    );
}

#[test]
fn the_same_time_off_twice_is_listed_twice() {
    // The same key: the same id, or the same person and first day.
    let text = format!(
        "{TEAM}time_off:
  - {{ person: alice, from: 2026-12-21, until: 2026-12-24 }}
  - {{ person: alice, from: 2026-12-21, until: 2026-12-31, note: Longer }}
  - {{ person: alice, from: 2027-01-04, until: 2027-01-08, id: hr-1 }}
  - {{ person: alice, from: 2027-02-01, until: 2027-02-05, id: hr-1 }}
  - {{ person: alice, from: 2027-01-04, until: 2027-01-08 }}
"
    );
    assert_eq!(
        error(&text, &Files::default()),
        "team.yml: 2 problems in the configuration; nothing was written
  team.yml:9:28: time_off[alice from 2026-12-21].from: the time off of `alice` from 2026-12-21 is listed twice
    hint: list each time off once
  team.yml:11:63: time_off[alice from 2027-02-01].id: time off id `hr-1` is listed twice
    hint: list each time off once; if these are two absences, give each its own id"
    );
}

/// A config with time off of its own and a time off file that teams change by merge request.
fn with_time_off_file(time_off_file_key: &str) -> String {
    format!(
        "{TEAM}time_off:
  - {{ person: alice, from: 2026-12-21, until: 2026-12-24, note: Winter break }}
{time_off_file_key}"
    )
}

#[test]
fn time_off_file_entries_come_after_the_configs_own() {
    let files = Files(BTreeMap::from([(
        "time-off.yml",
        "time_off:
  - { person: alice, from: 2027-01-04, until: 2027-01-15, note: Conference, id: hr-7, requested: 2026-12-01 }
  - { person: alice, from: 2027-02-01, until: 2027-02-01 }
",
    )]));
    let text = with_time_off_file("time_off_file: time-off.yml\n");
    let config = Config::parse("team.yml", &text, &files).expect("valid");
    let days: Vec<String> = config
        .time_off
        .iter()
        .map(|t| format!("{} {}..{}", t.person(), t.first(), t.last()))
        .collect();
    assert_eq!(
        days,
        [
            "alice 2026-12-21..2026-12-24",
            "alice 2027-01-04..2027-01-15",
            "alice 2027-02-01..2027-02-01"
        ]
    );
    // Read like the config's entries, every field kept.
    let conference = &config.time_off[1];
    assert_eq!(conference.note(), Some("Conference"));
    assert_eq!(conference.id(), Some("hr-7"));
    assert_eq!(
        conference.requested().map(|d| d.to_string()).as_deref(),
        Some("2026-12-01")
    );
}

#[test]
fn a_time_off_file_problem_names_the_file_and_its_line() {
    let text =
        with_time_off_file("time_off_file: time-off.yml\n").replace("person: alice", "person: zed");
    let files = Files(BTreeMap::from([(
        "time-off.yml",
        "time_off:
  - person: bob
    from: 2027-01-04
    until: 2027-01-08
  - { person: alice, from: 2027-02-05, until: 2027-02-01 }
",
    )]));
    // Every problem at once, the config's first.
    assert_eq!(
        error(&text, &files),
        "team.yml: 3 problems in the configuration; nothing was written
  team.yml:8:15: time_off[zed from 2026-12-21].person: `zed` is not a member of any team
    hint: use the username of someone listed under a team's `members`
  time-off.yml:2:13: time_off[bob from 2027-01-04].person: `bob` is not a member of any team
    hint: use the username of someone listed under a team's `members`
  time-off.yml:5:47: time_off[alice from 2027-02-05].until: `until` (2027-02-01) is before `from` (2027-02-05)
    hint: `until` is the last day off (inclusive) and must be on or after `from`"
    );
}

#[test]
fn a_yaml_error_in_the_time_off_file_names_the_file() {
    let unknown_key = Files(BTreeMap::from([(
        "time-off.yml",
        "time_off:
  - person: alice
    from: 2027-01-04
    until: 2027-01-08
    reason: Conference
",
    )]));
    assert_eq!(
        error(
            &with_time_off_file("time_off_file: time-off.yml\n"),
            &unknown_key
        ),
        "team.yml: 1 problem in the configuration; nothing was written
  time-off.yml:5:5: unknown field `reason`, expected one of person, from, until, note, id, requested
    hint: remove the key or fix its spelling; the keys allowed here are listed"
    );
}

#[test]
fn an_unreadable_time_off_file_is_reported_at_its_key() {
    assert_eq!(
        error(
            &with_time_off_file("time_off_file: people/time-off.yml\n"),
            &Files::default()
        ),
        "team.yml: 1 problem in the configuration; nothing was written
  team.yml:9:16: time_off_file: cannot read the time off file `people/time-off.yml`: no such file
    hint: the time off file's path is relative to the config file's folder; check that the file exists"
    );
}

#[test]
fn time_off_in_the_config_and_the_time_off_file_is_listed_twice() {
    let text = format!(
        "{TEAM}time_off:
  - {{ person: alice, from: 2026-12-21, until: 2026-12-24, note: Winter break }}
  - {{ person: alice, from: 2027-01-04, until: 2027-01-08, id: hr-1 }}
time_off_file: time-off.yml
"
    );
    let files = Files(BTreeMap::from([(
        "time-off.yml",
        "time_off:
  - { person: alice, from: 2026-12-21, until: 2026-12-31 }
  - { person: alice, from: 2027-03-01, until: 2027-03-05, id: hr-1 }
",
    )]));
    // The second place is named: the file, after the config.
    assert_eq!(
        error(&text, &files),
        "team.yml: 2 problems in the configuration; nothing was written
  time-off.yml:2:28: time_off[alice from 2026-12-21].from: the time off of `alice` from 2026-12-21 is listed twice
    hint: list each time off once, in the config's `time_off` or in the time off file
  time-off.yml:3:63: time_off[alice from 2027-03-01].id: time off id `hr-1` is listed twice
    hint: list each time off once, in the config's `time_off` or in the time off file; if these are two absences, give each its own id"
    );
}

#[test]
fn time_off_feeds_are_read_from_https_or_files_and_map_to_members() {
    let text = format!(
        "timezone: Europe/Amsterdam\n{TEAM}time_off_feeds:
  - {{ name: hr, url: https://hr.example.com/ooo.ics, people: {{ alice@example.com: alice }} }}
  - {{ name: team, file: pto/team.ics, person_from: summary, people: {{ Alice Example: alice }} }}
"
    );
    let config = Config::parse("team.yml", &text, &Files::default()).expect("valid");
    let feeds = &config.time_off_feeds;
    assert_eq!(feeds.len(), 2);
    assert_eq!(
        feeds[0].source,
        FeedSource::Url("https://hr.example.com/ooo.ics".to_owned())
    );
    assert_eq!(feeds[0].mapping.from, PersonFrom::Attendee);
    assert_eq!(feeds[1].source, FeedSource::File("pto/team.ics".to_owned()));
    assert_eq!(feeds[1].mapping.from, PersonFrom::Summary);
    assert_eq!(
        feeds[1].mapping.people,
        [("Alice Example".to_owned(), "alice".to_owned())]
    );
    assert_eq!(feeds[1].mapping.zone, chrono_tz::Europe::Amsterdam);
}

#[test]
fn time_off_feeds_are_checked() {
    let text = format!(
        "{TEAM}time_off_feeds:
  - {{ name: hr, url: http://hr.example.com/ooo.ics, people: {{ a@example.com: alice }} }}
  - {{ name: local, url: http://127.0.0.1:8080/ooo.ics, people: {{ a@example.com: alice }} }}
  - {{ name: both, file: a.ics, url: https://x.example/a.ics, people: {{ a@example.com: alice }} }}
  - {{ name: who, file: b.ics, person_from: title, people: {{ b@example.com: bob }} }}
  - {{ name: nobody, file: c.ics }}
"
    );
    let text = error(&text, &Files::default());
    for expected in [
        "team.yml:8:22: time_off_feeds[hr].url: `http://hr.example.com/ooo.ics` is not an https address",
        "team.yml:10:5: time_off_feeds[both]: a time off feed needs exactly one of `file` and `url`",
        "team.yml:11:44: time_off_feeds[who].person_from: `title` is not a way to find the person of an event",
        "time_off_feeds[who].people.b@example.com: `bob` is not a member of any team",
        "team.yml:12:13: time_off_feeds[nobody].people: the feed maps nobody to a GitLab username",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("time_off_feeds[local]"), "{text}");
}
