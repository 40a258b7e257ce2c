//! The config's JSON Schema (and those of the time off and roster files it names): the
//! committed files are the ones `teamcadence schema` prints, every config in the repository
//! fits it (checked by an independent validator, the `jsonschema`
//! crate), what `teamcadence check` accepts fits it, and what the config reader refuses for
//! its shape (an unknown key, a wrong type) the schema refuses too.

mod common;

use std::path::{Path, PathBuf};

use common::{Scratch, in_dir, run, stderr, stdout};
use serde_json::Value;

/// Each file kind `teamcadence schema` takes, with where its schema is committed, relative
/// to the repository.
const SCHEMAS: [(&str, &str); 3] = [
    ("config", "schema/teamcadence.schema.json"),
    ("time-off", "schema/time-off.schema.json"),
    ("roster", "schema/roster.schema.json"),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The schema of a file kind (`config`, `time-off`, `roster`) as `teamcadence schema` prints
/// it.
fn generated(kind: &str) -> String {
    let output = run("teamcadence", &["schema", kind]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

fn validator() -> jsonschema::Validator {
    validator_of("config")
}

fn validator_of(kind: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&generated(kind)).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is a valid draft 7 schema")
}

/// A YAML document as the JSON value an editor's YAML support would check.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

/// The schema's complaints about `document`, one line each; empty when it fits.
fn complaints(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            found.push(path);
        }
    }
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    for (kind, path) in SCHEMAS {
        let committed = std::fs::read_to_string(repo().join(path)).unwrap_or_default();
        assert!(
            committed == generated(kind),
            "{path} differs from the schema generated from the config's types; regenerate \
             it with `cargo run --bin teamcadence -- schema {kind} > {path}` and commit it"
        );
    }
    // Without an argument, the config's.
    assert_eq!(
        stdout(&run("teamcadence", &["schema"])),
        generated("config")
    );
}

#[test]
fn schema_of_an_unknown_kind_is_a_usage_error() {
    let output = run("teamcadence", &["schema", "hires"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("[possible values: config, time-off, roster]"));
}

#[test]
fn example_names_the_committed_schema_on_its_first_line() {
    let example = std::fs::read_to_string(common::EXAMPLE).expect("example");
    assert_eq!(
        example.lines().next(),
        Some("# yaml-language-server: $schema=../schema/teamcadence.schema.json")
    );
}

#[test]
fn schema_describes_the_config_for_editors() {
    let schema: Value = serde_json::from_str(&generated("config")).expect("JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    // Unknown keys are errors for the reader, so for the schema too, at every level.
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["definitions"]["Team"]["additionalProperties"], false);
    assert_eq!(
        schema["definitions"]["Member"]["additionalProperties"],
        false
    );
    assert_eq!(schema["required"], serde_json::json!(["teams"]));
    assert_eq!(
        schema["definitions"]["Date"],
        serde_json::json!({"description": "A date, YYYY-MM-DD.", "type": "string", "format": "date"})
    );
    // Doc comments of the raw types are the descriptions editors show.
    assert_eq!(
        schema["definitions"]["Pto"]["properties"]["min_working_days"]["description"],
        "The shortest absence, in consecutive working days, that gets one; default 5."
    );
    let sources: Vec<&str> = schema["definitions"]["MilestoneSource"]["oneOf"]
        .as_array()
        .expect("one entry per source")
        .iter()
        .map(|s| s["const"].as_str().expect("a word"))
        .collect();
    assert_eq!(sources, ["gitlab-release", "list", "gitlab", "iterations"]);
}

/// The reader takes YAML 1.1's yes/no words for a flag, which editors' YAML 1.2 reads as
/// text: the schema takes them as text too, and no other text.
#[test]
fn flags_take_the_words_the_reader_takes() {
    let validator = validator();
    let with_flag = |flag: Value| {
        serde_json::json!({"teams": [{"id": "a", "name": "A", "project": "g/a", "members": [],
            "planning": {"link_previous": flag}}]})
    };
    for fits in [
        Value::Bool(false),
        "yes".into(),
        "On".into(),
        "N".into(),
        "FALSE".into(),
    ] {
        let problems = complaints(&validator, &with_flag(fits.clone()));
        assert!(problems.is_empty(), "{fits}: {problems:#?}");
    }
    for fails in ["maybe".into(), "1".into(), Value::from(1)] {
        assert!(
            !complaints(&validator, &with_flag(fails.clone())).is_empty(),
            "{fails}"
        );
    }
}

/// Every teamcadence config, time off file and roster in the repository fits its schema.
/// Files are told apart by their top-level keys: a config has `teams`, a gitlab-fake world
/// has `users`, a time off file has only `time_off`, a roster only `new_hires`; any other
/// YAML file fails here so that it gets classified.
#[test]
fn every_example_and_fixture_config_fits_the_schema() {
    let validator = validator();
    let time_off = validator_of("time-off");
    let roster = validator_of("roster");
    let only = |document: &Value, key: &str| {
        document
            .as_object()
            .is_some_and(|o| o.len() == 1 && o.contains_key(key))
    };
    let mut files = Vec::new();
    yaml_files(&repo().join("examples"), &mut files);
    yaml_files(&repo().join("tests/fixtures"), &mut files);
    files.sort();
    let mut configs = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let document = yaml(&text);
        let name = file
            .strip_prefix(repo())
            .expect("in the repo")
            .display()
            .to_string();
        if document.get("teams").is_some() {
            let problems = complaints(&validator, &document);
            assert!(
                problems.is_empty(),
                "{name} does not fit the schema: {problems:#?}"
            );
            configs.push(name);
        } else if only(&document, "time_off") || only(&document, "new_hires") {
            let schema = if only(&document, "time_off") {
                &time_off
            } else {
                &roster
            };
            let problems = complaints(schema, &document);
            assert!(
                problems.is_empty(),
                "{name} does not fit the schema: {problems:#?}"
            );
            configs.push(name);
        } else {
            assert!(
                document.get("users").is_some(),
                "{name}: neither a config, a time off file, a roster nor a fake world"
            );
        }
    }
    // Written by hand, so that a change to the classification cannot skip them silently.
    for expected in [
        "examples/teamcadence.yml",
        "tests/fixtures/hostile/teamcadence.yml",
        "tests/fixtures/hostile/time-off.yml",
        "tests/fixtures/onboarding-parts.yml",
        "tests/fixtures/onboarding-template.yml",
        "tests/fixtures/onboarding.yml",
        "tests/fixtures/planning.yml",
    ] {
        assert!(
            configs.iter().any(|c| c == expected),
            "{expected} was not checked"
        );
    }
}

/// A config with every union form the reader accepts: `check` takes it, and so does the
/// schema.
const EVERY_FORM: &str = r#"
timezone: Europe/Amsterdam
gitlab: { url: "https://gitlab.example.com" }
holidays:
  nl: { dates: [2026-12-25 Christmas Day, 2026-12-26] }
  us: { ics: us.ics }
  both: { dates: ["2027-01-01"], ics: us.ics }
milestones:
  source: list
  list:
    - { title: "18.0", start: 2026-12-01, end: 2026-12-31, release: 2027-01-02 }
    - { title: 18.1, start: 2027-01-01, end: 2027-01-31 }
teams:
  - id: one
    name: One
    project: group/one
    members:
      - { username: alice, name: Alice, role: engineering-manager, weekend: [Fri, SATURDAY], holidays: us }
      - { username: bob, name: Bob, role: backend-engineer, weekend: [sun], holidays: nl, manager: alice }
    responsibilities:
      - { name: Triage, priority: high, covered_by: [bob] }
      - { name: Reviews, priority: LOW, owners: [bob], covered_by: [alice] }
    planning:
      link_previous: yes
      close_previous: Off
      confidential: false
      checklists:
        - title: Everyone
          roles: [engineering-manager, backend-engineer]
          items: ["Read the plan", { text: "Post capacity", due: draft }, { text: Weigh, due: planning_lock }]
    onboarding:
      parts:
        - { file: part.md, role: backend-engineer }
        - { file: part.md, role: [backend-engineer, engineering-manager], location: EMEA, team: [one] }
  - id: two
    name: Two
    project: group/two
    milestones: { source: gitlab-release, anchor: { version: 17.0, released: 2024-05-16 } }
    members:
      - { username: carol, name: Carol, role: backend-engineer }
time_off_feeds:
  - { name: hr, file: feed.ics, person_from: organizer, people: { carol@example.com: carol } }
time_off:
  - { person: bob, from: 2027-01-04, until: 2027-01-15, note: Ski, id: ski, requested: 2026-12-01 }
new_hires:
  - { username: dave, name: Dave, team: one, role: backend-engineer, start: 2027-01-11, manager: alice, buddy: bob, location: EMEA }
"#;

const CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n";

#[test]
fn every_form_the_reader_accepts_fits_the_schema() {
    let scratch = Scratch::new(
        "schema-forms",
        &[
            ("teamcadence.yml", EVERY_FORM),
            ("us.ics", CALENDAR),
            ("feed.ics", CALENDAR),
            ("part.md", "## Backend\n\n- [ ] Set up the project\n"),
        ],
    );
    let check = in_dir(
        &scratch.0,
        "teamcadence",
        &["check", "--today", "2026-11-20"],
    );
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let problems = complaints(&validator(), &yaml(EVERY_FORM));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Changes to the example that the reader refuses for their shape; the schema refuses each.
#[test]
fn unknown_keys_and_wrong_types_fail_the_schema() {
    let validator = validator();
    let example = std::fs::read_to_string(common::EXAMPLE).expect("example");
    let holidays =
        std::fs::read_to_string(repo().join("examples/holidays/us.ics")).expect("calendar");
    let checked = |config: &str| {
        let scratch = Scratch::new(
            "schema-refused",
            &[("teamcadence.yml", config), ("holidays/us.ics", &holidays)],
        );
        in_dir(
            &scratch.0,
            "teamcadence",
            &["check", "--today", "2026-11-20"],
        )
    };
    assert_eq!(checked(&example).status.code(), Some(0));
    assert!(complaints(&validator, &yaml(&example)).is_empty());
    let cases = [
        // An unknown key at the top and inside a team's member.
        (
            "timezone: Europe/Amsterdam",
            "timezone: Europe/Amsterdam\ncolour: blue",
        ),
        (
            "role: quality-engineer,",
            "role: quality-engineer, shoe_size: 44,",
        ),
        // A number where the reader wants one, given as a word.
        (
            "create_days_before_start: 26",
            "create_days_before_start: soon",
        ),
        // Not a date, not a day, not a priority, not a source.
        ("from: 2026-11-30", "from: 2026-11-31"),
        (
            "joined: 2023-04-03 }",
            "joined: 2023-04-03, weekend: [someday] }",
        ),
        ("priority: HIGH", "priority: URGENT"),
        ("source: gitlab-release", "source: monthly"),
        // A list where the reader wants a map, and a map where it wants text.
        ("close_after_return: false", "close_after_return: [no]"),
        ("name: Code Creation", "name: { first: Code }"),
    ];
    for (from, to) in cases {
        assert!(example.contains(from), "the example no longer has `{from}`");
        let changed = example.replacen(from, to, 1);
        assert!(
            !complaints(&validator, &yaml(&changed)).is_empty(),
            "the schema accepts `{to}`"
        );
        // The reader refuses it too: the schema is no stricter than the reader here.
        assert_eq!(
            checked(&changed).status.code(),
            Some(2),
            "check accepts `{to}`"
        );
    }
}

/// The files a config names have schemas of their own, as strict as the config's.
#[test]
fn time_off_and_roster_files_have_their_own_schema() {
    let time_off = validator_of("time-off");
    let roster = validator_of("roster");
    let entry = "time_off:\n  - { person: bob, from: 2027-02-15, until: 2027-02-19, note: Ski }\n";
    assert!(complaints(&time_off, &yaml(entry)).is_empty());
    assert!(!complaints(&time_off, &yaml(&format!("{entry}teams: []\n"))).is_empty());
    assert!(!complaints(&time_off, &yaml(&entry.replace("until", "to"))).is_empty());
    let hire = "new_hires:\n  - { username: ivan, name: Ivan, team: one, role: engineer, start: 2027-01-11 }\n";
    assert!(complaints(&roster, &yaml(hire)).is_empty());
    assert!(!complaints(&roster, &yaml(&hire.replace("2027-01-11", "next monday"))).is_empty());
    assert!(!complaints(&roster, &yaml(&hire.replace(", start: 2027-01-11", ""))).is_empty());
}
