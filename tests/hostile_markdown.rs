//! End to end: names, notes and titles that hold GitLab references, mentions, links,
//! images and quick actions reach the issues the real binaries create in the fake GitLab as
//! the text people typed, acting on nothing; and hostile templates make `teamcadence check`
//! fail with a clear error (exit 2), never a crash.
//!
//! The fake does not write GitLab's "mentioned in" notes, so the stored titles and
//! descriptions are read with a detector written from GitLab's documentation
//! (`crates/core/tests/support/gfm.rs`), and compared with a team whose data is plain: data
//! may add nothing that GitLab acts on.

mod common;
#[path = "../crates/core/tests/support/gfm.rs"]
mod gfm;

use std::collections::BTreeMap;

use common::{Gitlab, Scratch, job, run, stderr};
use serde_json::Value;

const BOT_TOKEN: &str = "glpat-markdown-bot-SECRET-83";

/// Issue #12 and merge request-like targets exist, and so do `mallory` and the label
/// `hacked`, so that a reference or quick action smuggled in would really take effect.
const WORLD: &str = "users:
  - { username: teamcadence-bot, name: teamcadence bot, tokens: [glpat-markdown-bot-SECRET-83] }
  - { username: alice, name: Alice }
  - { username: bob, name: Bob }
  - { username: carol, name: Carol }
  - { username: dave, name: Dave }
  - { username: amy, name: Amy }
  - { username: ben, name: Ben }
  - { username: cat, name: Cat }
  - { username: dan, name: Dan }
  - { username: mallory, name: Mallory }
groups:
  - path: g
    members: { teamcadence-bot: reporter, alice: developer, bob: developer, carol: developer, dave: developer, amy: developer, ben: developer, cat: developer, dan: developer, mallory: developer }
    labels: [hacked, label]
projects:
  - { path: g/plain }
  - { path: g/hostile }
issues:
  - { project: g/hostile, title: Referenced, description: \"a target for references to #1\" }
";

/// Every form GitLab acts on, in one value.
const HOSTILE: &str = "Eve #1 g/hostile#1 !3 ~label ~\"two words\" %\"m 1\" %19.8 &epic &7 \
     $snippet $5 ^alert#1 *iteration:5 [text](https://evil.example/x) \
     ![img](https://evil.example/i.png) deadbeef12 @mallory @all --> \n/label ~hacked\n/assign @mallory";

/// The forms that fit in a title (GitLab allows 255 characters).
const SHORT: &str =
    "Eve #1 !3 ~label %\"m\" &7 $5 *iteration:5 [t](https://e.x) deadbeef12 @all -->";

/// One team, in its own project, whose free-text fields all hold `value` (`short` where it
/// lands in a title); its people are `a`, `b` and `c` (manager, away, backup).
fn team(id: &str, [a, b, c]: [&str; 3], short: &str, value: &str) -> String {
    let s = serde_json::to_string(short).expect("JSON string");
    let v = serde_json::to_string(value).expect("JSON string");
    format!(
        r#"  - id: {id}
    name: {s}
    project: g/{id}
    labels: ["team::{id}"]
    members:
      - {{ username: {a}, name: {s}, role: engineering-manager }}
      - {{ username: {b}, name: {s}, role: backend-engineer, manager: {a} }}
      - {{ username: {c}, name: Carol, role: backend-engineer, manager: {a} }}
    boards:
      - {{ name: {v}, url: "https://gitlab.example/g/-/boards/1" }}
    planning:
      link_previous: false
      checklists:
        - {{ title: {v}, roles: [backend-engineer], items: [{v}] }}
    responsibilities:
      - {{ name: {v}, priority: HIGH, link: "https://gitlab.example/g/{id}/-/issues", covered_by: [{c}] }}
"#
    )
}

fn config() -> String {
    let note = serde_json::to_string(HOSTILE).expect("JSON string");
    let short = serde_json::to_string(SHORT).expect("JSON string");
    // Mentions are counted by their first letter: the two teams' people share initials.
    format!(
        r#"timezone: Europe/Amsterdam
milestones:
  source: gitlab-release
  anchor: {{ version: "17.0", released: 2024-05-16 }}
teams:
{}{}time_off:
  - {{ person: bob, from: 2027-01-04, until: 2027-01-15, note: Zed Example }}
  - {{ person: ben, from: 2027-01-04, until: 2027-01-15, note: {note} }}
new_hires:
  - {{ username: dave, name: Zed Example, team: plain, role: backend-engineer, start: 2026-12-07, manager: alice }}
  - {{ username: dan, name: {short}, team: hostile, role: backend-engineer, start: 2026-12-07, manager: amy }}
"#,
        team(
            "plain",
            ["alice", "bob", "carol"],
            "Zed Example",
            "Zed Example"
        ),
        team("hostile", ["amy", "ben", "cat"], SHORT, HOSTILE),
    )
}

/// What GitLab would act on in the stored issues of `project`, by the job label, with the
/// titles and descriptions themselves for messages.
fn live(gitlab: &Gitlab, project: &str) -> BTreeMap<String, (BTreeMap<String, usize>, String)> {
    let mut found = BTreeMap::new();
    for issue in gitlab.issues(project) {
        let kind = issue["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .filter_map(Value::as_str)
            .find(|l| l.starts_with("teamcadence::"))
            .unwrap_or("seeded")
            .to_owned();
        let title = issue["title"].as_str().unwrap_or_default();
        let description = issue["description"].as_str().unwrap_or_default();
        let mut references = gfm::live_in_title(title);
        for (text, count) in gfm::live_in_description(description) {
            *references.entry(text).or_default() += count;
        }
        found.insert(kind, (references, format!("{title}\n{description}")));
    }
    found
}

#[test]
fn references_mentions_and_quick_actions_in_data_reach_gitlab_as_text() {
    let dir = Scratch::new(
        "hostile-markdown",
        &[("world.yml", WORLD), ("team.yml", &config())],
    );
    let gitlab = Gitlab::start(&dir.path("world.yml"));
    let config = dir.path("team.yml");
    for (name, today) in [
        ("planning-issue", "2026-12-01"),
        ("pto-coverage", "2026-12-22"),
        ("onboarding-issue", "2026-12-01"),
    ] {
        let output = job(&gitlab, name, &config, &["--today", today], Some(BOT_TOKEN));
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
    }

    let plain = live(&gitlab, "g/plain");
    let hostile = live(&gitlab, "g/hostile");
    for kind in [
        "teamcadence::planning",
        "teamcadence::pto",
        "teamcadence::onboarding",
    ] {
        let (Some((base, _)), Some((found, text))) = (plain.get(kind), hostile.get(kind)) else {
            panic!("both teams have a {kind} issue: {plain:?} {hostile:?}");
        };
        let added = gfm::added(found, base);
        assert!(added.is_empty(), "{kind}: data added {added:?} in:\n{text}");
        // The text is all there, as typed.
        let shown = text.replace(['\\', '\u{200B}'], "");
        let typed = "Eve #1 !3 ~label %\"m\" &7 $5 *iteration:5 [t](https://e.x) deadbeef12";
        assert!(shown.contains(typed), "{kind}: {typed} in {text}");
    }

    // No quick action ran: no label `hacked`, nobody assigned from the data.
    for issue in gitlab.issues("g/hostile") {
        let labels = issue["labels"].to_string();
        assert!(!labels.contains("hacked"), "{labels}");
        let assignees = issue["assignees"].to_string();
        assert!(!assignees.contains("mallory"), "{assignees}");
    }
}

/// A config of two teams whose planning template is `planning.md`: each template problem
/// is met twice, once per team.
const TEMPLATE_CONFIG: &str = "timezone: Europe/Amsterdam
milestones:
  source: gitlab-release
  anchor: { version: \"17.0\", released: 2024-05-16 }
templates:
  planning: planning.md
teams:
  - { id: t, name: T, project: g/p, members: [{ username: alice, name: Alice, role: engineering-manager }] }
  - { id: u, name: U, project: g/q, members: [{ username: bob, name: Bob, role: engineering-manager }] }
";

/// Runs the binary `name` with `args` on [`TEMPLATE_CONFIG`] with `template`, in the scratch
/// folder `folder`: its exit code and stderr.
fn with_template(folder: &str, template: &str, name: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = Scratch::new(
        folder,
        &[("team.yml", TEMPLATE_CONFIG), ("planning.md", template)],
    );
    let config = dir.path("team.yml");
    let mut all = args.to_vec();
    all.extend(["--config", &config, "--today", "2026-12-01"]);
    let output = run(name, &all);
    (output.status.code(), stderr(&output))
}

/// `teamcadence check` with `template`.
fn check(folder: &str, template: &str) -> (Option<i32>, String) {
    with_template(folder, template, "teamcadence", &["check"])
}

/// `planning-issue --dry-run --offline` with `template`.
fn plan_offline(folder: &str, template: &str) -> (Option<i32>, String) {
    with_template(
        folder,
        template,
        "planning-issue",
        &["--dry-run", "--offline"],
    )
}

#[test]
fn hostile_templates_are_refused_with_the_file_and_what_to_do() {
    let deep = format!(
        "---\ntitle: x\n---\n{}x{}",
        "{{#with team}}".repeat(3000),
        "{{/with}}".repeat(3000)
    );
    let (code, err) = check("deep", &deep);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "planning.md:4:561: blocks and parentheses nest more than 40 deep here; flatten the \
             template"
        ),
        "{err}"
    );

    let looping = "---\ntitle: x\n---\n{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}\n";
    let (code, err) = check("looping", looping);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("planning.md: the partial `p` includes itself"),
        "{err}"
    );

    let (code, err) = check("len", "---\ntitle: x\n---\n{{len 5}}\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("planning.md:4:1: `len`: needs a list, an object or a string, got 5"),
        "{err}"
    );

    let unknown = "---\ntitle: x\n---\n{{working_days milestone.start milestone.end \"nobody\"}}\n";
    let (code, err) = check("unknown-person", unknown);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("planning.md:4:1: `working_days`: \"nobody\" is not a member or new hire"),
        "{err}"
    );

    // One problem, printed once, though every issue rendered from the template meets it.
    let (code, err) = check("once", "---\ntitle: x\n---\n{{nosuch}}\n");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.matches("unknown variable `nosuch`").count(), 1, "{err}");
    let (code, err) = plan_offline("once-in-a-job", "---\ntitle: x\n---\n{{nosuch}}\n");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "planning-issue: 1 template problem:\n  planning.md:4:1: unknown variable `nosuch`: the \
         data for this issue has no such value; check its spelling, or guard it with \
         `{{#if nosuch}}...{{/if}}`\nnothing was written\n"
    );

    for (name, template) in [
        ("soup", "{{#if}}{{/each}}{{{{raw}}}}{{> (x)}}((((((}}"),
        ("bytes", "\u{0}\u{FFFD}{{\u{7f}#\u{200B}}}---\n---\n{{"),
        ("front", "---\ntitle: \"{{#if a}}{{#if b}}\"\n---\n{{/if}}"),
    ] {
        let (code, err) = check(name, template);
        assert!(matches!(code, Some(0 | 2)), "{name}: {code:?} {err}");
    }
}
