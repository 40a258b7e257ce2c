//! Property tests: whatever text a person puts in a name, a note or a summary, the issues
//! rendered from the default templates act on nothing (no quick action, mention, reference,
//! link, image or `-->` that the template did not write), and whatever bytes a team's
//! template holds, rendering returns a result or an error, never a panic or an abort.

#[path = "support/gfm.rs"]
mod gfm;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::json;
use teamcadence_core::config::{Config, SourceFiles};
use teamcadence_core::jobs::{self, Scope};
use teamcadence_core::plan::FollowUp;
use teamcadence_core::template::{Renderer, Template};
use teamcadence_core::{Calendars, Holidays, WorkingCalendar};

/// No files besides the config.
struct NoFiles;

impl SourceFiles for NoFiles {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            path.to_owned(),
        ))
    }
}

/// A config whose every free-text field (team, member and hire names, a time-off note, a
/// responsibility, a checklist line, a board name, a thread title) holds `value`.
fn config_with(value: &str) -> Option<Config> {
    let v = serde_json::to_string(value).expect("JSON string");
    let text = format!(
        r#"timezone: Europe/Amsterdam
milestones:
  source: gitlab-release
  anchor: {{ version: "17.0", released: 2024-05-16 }}
teams:
  - id: team
    name: {v}
    project: g/p
    labels: ["group::x"]
    members:
      - {{ username: alice, name: {v}, role: engineering-manager }}
      - {{ username: bob, name: {v}, role: backend-engineer, manager: alice }}
      - {{ username: carol, name: Carol, role: backend-engineer, manager: alice }}
    boards:
      - {{ name: {v}, url: "https://gitlab.example/g/-/boards/1" }}
    planning:
      threads:
        - {{ title: {v}, body: "Backend: {{{{mentions (with_role members \"backend-engineer\")}}}}" }}
      checklists:
        - {{ title: {v}, roles: [backend-engineer], items: [{v}] }}
    responsibilities:
      - {{ name: {v}, priority: HIGH, link: "https://gitlab.example/g/p/-/issues", covered_by: [carol] }}
time_off:
  - {{ person: bob, from: 2026-12-14, until: 2026-12-24, note: {v} }}
new_hires:
  - {{ username: dave, name: {v}, team: team, role: backend-engineer, start: 2026-12-07, manager: alice }}
"#
    );
    Config::parse("team.yml", &text, &NoFiles).ok()
}

/// Every title and every Markdown text (descriptions, comments) the three jobs plan.
fn rendered(config: &Config) -> (Vec<String>, Vec<String>) {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let reports = [
        jobs::planning::plan(config, today, &jobs::planning::offline_facts(config, today)),
        jobs::pto::plan(
            config,
            today,
            Scope::Everything,
            None,
            &jobs::pto::Facts::default(),
        ),
        jobs::onboarding::plan(
            config,
            today,
            Scope::Everything,
            None,
            &jobs::onboarding::Facts::default(),
        ),
    ];
    let (mut titles, mut texts) = (Vec::new(), Vec::new());
    for report in reports {
        let report = report.unwrap_or_else(|e| panic!("data alone never breaks a template: {e}"));
        for plan in report.issues {
            titles.push(plan.title);
            texts.push(plan.description);
            for follow_up in plan.follow_ups {
                match follow_up {
                    FollowUp::Note { body, .. } => texts.push(body),
                    FollowUp::Close { note, .. } => texts.push(note),
                    _ => {}
                }
            }
        }
    }
    (titles, texts)
}

/// What GitLab would act on, over all titles and all texts.
fn live(config: &Config) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let (titles, texts) = rendered(config);
    let mut in_titles = BTreeMap::new();
    for found in titles.iter().map(|t| gfm::live_in_title(t)) {
        for (text, count) in found {
            *in_titles.entry(text).or_default() += count;
        }
    }
    let mut in_texts = BTreeMap::new();
    for found in texts.iter().map(|t| gfm::live_in_description(t)) {
        for (text, count) in found {
            *in_texts.entry(text).or_default() += count;
        }
    }
    (in_titles, in_texts)
}

/// What the templates themselves write, with a plain value in every field.
fn baseline() -> &'static (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    static BASELINE: OnceLock<(BTreeMap<String, usize>, BTreeMap<String, usize>)> = OnceLock::new();
    BASELINE.get_or_init(|| live(&config_with("Zed Example").expect("plain config")))
}

/// Pieces that GitLab acts on, to build hostile values from.
const HOSTILE: &[&str] = &[
    "#12",
    "group/project#12",
    "!3",
    "~label",
    "~\"two words\"",
    "%\"19.8\"",
    "%19.8",
    "&epic",
    "&7",
    "$snippet",
    "$5",
    "^alert#1",
    "*iteration:5",
    "[text](https://e.x)",
    "![img](https://e.x/i.png)",
    "\n/close",
    "/assign @mallory",
    "@all",
    "-->",
    "<!--",
    "\\",
    "`",
    "|",
    "]",
    "(",
    "\u{2028}",
    " ",
    "https://e.x/#12",
    "deadbeef12",
];

fn hostile_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(HOSTILE).prop_map(str::to_owned),
        1 => "[a-z0-9 ]{0,4}",
        1 => any::<String>().prop_map(|s| s.chars().take(6).collect::<String>()),
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn data_never_acts_on_the_issue(value in hostile_value()) {
        let Some(hostile) = config_with(&value) else {
            // The config refuses the value (an empty name, say): nothing is rendered.
            return Ok(());
        };
        let (titles, texts) = live(&hostile);
        let (base_titles, base_texts) = baseline();
        let added_to_titles = gfm::added(&titles, base_titles);
        let added_to_texts = gfm::added(&texts, base_texts);
        prop_assert!(added_to_titles.is_empty(), "titles: {added_to_titles:?}");
        prop_assert!(added_to_texts.is_empty(), "descriptions: {added_to_texts:?}");
    }

    #[test]
    fn any_template_renders_or_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        render_any(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn any_handlebars_soup_renders_or_fails_cleanly(pieces in proptest::collection::vec(
        proptest::sample::select(&[
            "{{#if a}}", "{{/if}}", "{{#each list}}", "{{/each}}", "{{else}}", "{{> p}}",
            "{{#*inline \"p\"}}", "{{/inline}}", "{{{a}}}", "{{len (with_role list \"x\")}}",
            "(", ")", "{{", "}}", "---\n", "title: \"", "\"\n", "{{working_days a a \"x\"}}",
            "{{{{raw}}}}", "{{{{/raw}}}}", "{{!--", "--}}", "\\{{", "x", "\n",
        ][..]),
        0..80,
    )) {
        render_any(&pieces.concat());
    }
}

/// Renders `text` as a template with some data; any outcome but a panic is fine.
fn render_any(text: &str) {
    let calendars = Calendars::new(WorkingCalendar::new(
        chrono_tz::Europe::Berlin,
        &[chrono::Weekday::Sat, chrono::Weekday::Sun],
        Holidays::new(),
    ));
    let renderer = Renderer::new(Arc::new(calendars));
    let data = json!({"a": "2026-01-05", "list": [{"role": "x", "name": "#1"}]});
    let _ = renderer.render(&Template::new("hostile.md", text), &data);
    let _ = renderer.render_text(&Template::new("hostile.md", text), &data);
}

#[test]
fn thousands_of_nested_blocks_are_an_error_not_an_abort() {
    let deep = format!(
        "{}x{}",
        "{{#with a}}".repeat(3000),
        "{{/with}}".repeat(3000)
    );
    let calendars = Calendars::new(WorkingCalendar::new(
        chrono_tz::Europe::Berlin,
        &[chrono::Weekday::Sat, chrono::Weekday::Sun],
        Holidays::new(),
    ));
    let error = Renderer::new(Arc::new(calendars))
        .render(&Template::new("team/planning.md", &deep), &json!({"a": {}}))
        .expect_err("too deep");
    assert_eq!(
        error.to_string(),
        "team/planning.md:1:441: blocks and parentheses nest more than 40 deep here; flatten \
         the template: close blocks sooner, split long conditions, or move repeated parts out \
         of nested partials"
    );
}
