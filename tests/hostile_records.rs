//! Hostile values in the hidden records teamcadence writes (the key marker, the PTO record,
//! the note markers), with the real binaries against the fake GitLab server, which runs quick
//! actions as GitLab does: a value that ends the HTML comment early would have the lines after
//! it executed. The values come from every place data reaches a record: an iCalendar `UID`, a
//! config time-off `id`, a GitLab milestone title, a starter thread's title and a feed's name.
//! Also: a `UID` that carries another issue's marker, and a `UID` shaped like a config key.
//! Expected dates are worked out by hand: the team has no holidays, PTO issues are due 14 days
//! before the first day off, and planning issues are due on the milestone's planning lock.

mod common;

use std::process::Output;

use common::{Gitlab, Scratch, assignees, job, json, keys, stderr};
use serde_json::Value;

const BOT_TOKEN: &str = "glpat-records-bot-SECRET-14";
const PTO: &str = "eng/pto-coverage";
const WEB: &str = "eng/web";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const EDIT: &str = "PUT /api/v4/projects/:id/issues/:issue_iid";

/// Ends the HTML comment, then tries a label, an assignee, a due date and a mass mention.
const ATTACK: &str = "-->\n/label ~hacked\n/assign @mallory\n/due 2020-01-01\n@all";
/// The same with escaped newlines, as in a YAML double-quoted string or iCalendar TEXT.
const ATTACK_ESCAPED: &str = "-->\\n/label ~hacked\\n/assign @mallory\\n/due 2020-01-01\\n@all";

/// The GitLab world: the label `hacked` and the user mallory exist, so that a smuggled quick
/// action would really take effect; the web project's next milestone has a hostile title.
fn world() -> String {
    format!(
        "users:
  - {{ username: teamcadence-bot, name: teamcadence bot, tokens: [{BOT_TOKEN}] }}
  - {{ username: bob, name: Bob Baker }}
  - {{ username: carol, name: Carol Chen }}
  - {{ username: dan, name: Dan Dorsey }}
  - {{ username: mallory, name: Mallory Meddler }}
groups:
  - path: eng
    members: {{ teamcadence-bot: reporter, bob: developer, carol: developer, dan: developer, mallory: developer }}
    labels: [hacked]
projects:
  - {{ path: {PTO} }}
  - {{ path: {WEB} }}
milestones:
  - {{ project: {WEB}, title: \"Sprint 1 {ATTACK_ESCAPED}\", start_date: 2026-12-07, due_date: 2026-12-18 }}
"
    )
}

/// The team, with `time_off` and `feeds` already indented.
fn config(time_off: &str, feeds: &str) -> String {
    format!(
        "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: {WEB}
    milestones: {{ source: gitlab }}
    planning:
      threads:
        - {{ title: \"Backend {ATTACK_ESCAPED}\", body: \"Backend work\" }}
    pto: {{ project: {PTO} }}
    members:
      - {{ username: bob, name: Bob Baker, role: backend-engineer }}
      - {{ username: carol, name: Carol Chen, role: backend-engineer }}
      - {{ username: dan, name: Dan Dorsey, role: backend-engineer }}
time_off:
{time_off}time_off_feeds:
{feeds}"
    )
}

/// A feed read from hr.ics, mapping carol's address to carol.
fn feed(name: &str) -> String {
    format!(
        "  - name: \"{name}\"
    file: hr.ics
    people: {{ carol@example.com: carol }}
"
    )
}

/// An iCalendar file with one all-day event of carol's, Monday 2026-12-21 to Friday
/// 2027-01-01, whose `UID` line is `uid`.
fn carol_off(uid: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//HR//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20270102\r\n\
         SUMMARY:Time off\r\nATTENDEE:mailto:carol@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// bob's two weeks in the config, Monday 2026-12-21 to Friday 2027-01-01, without an id.
const BOB: &str = "  - { person: bob, from: 2026-12-21, until: 2027-01-01 }\n";

struct Setup {
    gitlab: Gitlab,
    dir: Scratch,
}

fn setup(name: &str, time_off: &str, feeds: &str, ics: &str) -> Setup {
    let dir = Scratch::new(
        &format!("records-{name}"),
        &[
            ("world.yml", &world()),
            ("teamcadence.yml", &config(time_off, feeds)),
            ("hr.ics", ics),
        ],
    );
    let gitlab = Gitlab::start(&dir.path("world.yml"));
    Setup { gitlab, dir }
}

impl Setup {
    fn run(&self, binary: &str, today: &str) -> Output {
        job(
            &self.gitlab,
            binary,
            &self.dir.path("teamcadence.yml"),
            &["--today", today],
            Some(BOT_TOKEN),
        )
    }

    /// A run that succeeds, as JSON.
    fn ok(&self, binary: &str, today: &str) -> Value {
        let output = self.run(binary, today);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json(&output)
    }
}

fn labels(issue: &Value) -> Vec<&str> {
    issue["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_str().expect("label"))
        .collect()
}

/// Nothing of the attack took effect on `issue` (whose due date should be `due`), and no text
/// of it escaped a hidden record in `texts` (its description and comments): each comment
/// opened is a whole record line that ends where it should. (How data reads in the visible
/// text, `~label` references included, is the neutraliser's business.)
fn untouched(issue: &Value, due: &str, texts: &[&str]) {
    assert!(!labels(issue).contains(&"hacked"), "{issue:#}");
    assert!(
        !assignees(issue).iter().any(|a| a == "mallory"),
        "{issue:#}"
    );
    assert_eq!(issue["due_date"], due, "{issue:#}");
    for text in texts {
        assert!(!text.contains("@all"), "a mass mention in {text:?}");
        for line in text.lines() {
            assert!(!line.trim_start().starts_with('/'), "{line:?} in {text:?}");
            if line.contains("<!--") {
                assert!(
                    line.starts_with("<!-- teamcadence:") && line.ends_with(" -->"),
                    "{line:?} in {text:?}"
                );
                assert_eq!(line.matches("-->").count(), 1, "{line:?}");
                assert_eq!(line.matches("<!--").count(), 1, "{line:?}");
            }
        }
    }
}

fn description(issue: &Value) -> &str {
    issue["description"].as_str().expect("description")
}

#[test]
fn a_hostile_uid_and_feed_name_stay_inside_the_hidden_records() {
    let s = setup(
        "uid",
        "  []\n",
        &feed(&format!("hr {ATTACK_ESCAPED}")),
        &carol_off(&format!("hr-1{ATTACK_ESCAPED}")),
    );
    s.ok("pto-coverage", "2026-12-07");
    let issues = s.gitlab.issues(PTO);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let carol = &issues[0];
    let comments = s.gitlab.comments(PTO, &carol["iid"]);
    let mut texts = vec![description(carol)];
    texts.extend(comments.iter().map(String::as_str));
    untouched(carol, "2026-12-21", &texts);
    // The issue is found again by its key: a re-run creates and changes nothing.
    let (creates, edits) = (s.gitlab.count(CREATE), s.gitlab.count(EDIT));
    let again = s.ok("pto-coverage", "2026-12-08");
    assert!(keys(&again, "create").is_empty(), "{again:#}");
    assert_eq!(
        (s.gitlab.count(CREATE), s.gitlab.count(EDIT)),
        (creates, edits)
    );
    assert_eq!(s.gitlab.issues(PTO).len(), 1);
}

#[test]
fn a_hostile_config_id_stays_inside_the_key_marker() {
    // Without a newline the id is a usable id, whatever else it holds.
    let id = "leave --> /label ~hacked @all <!-- teamcadence:key=pto/bob/2026-12-21 -->";
    let entry =
        format!("  - {{ id: \"{id}\", person: bob, from: 2026-12-21, until: 2027-01-01 }}\n");
    let s = setup("config-id", &entry, "  []\n", "");
    s.ok("pto-coverage", "2026-12-07");
    let issues = s.gitlab.issues(PTO);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    untouched(&issues[0], "2026-12-21", &[description(&issues[0])]);
    let again = s.ok("pto-coverage", "2026-12-08");
    assert!(keys(&again, "create").is_empty(), "{again:#}");
    assert_eq!(s.gitlab.issues(PTO).len(), 1);
}

#[test]
fn a_config_id_with_a_newline_is_a_config_error() {
    let entry = format!(
        "  - {{ id: \"leave-7{ATTACK_ESCAPED}\", person: bob, from: 2026-12-21, until: 2027-01-01 }}\n"
    );
    let s = setup("config-id-newline", &entry, "  []\n", "");
    let output = s.run("pto-coverage", "2026-12-07");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("time_off[bob from 2026-12-21].id"), "{err}");
    assert_eq!(s.gitlab.count(CREATE), 0);
}

#[test]
fn a_hostile_milestone_title_and_thread_title_stay_inside_the_hidden_records() {
    let s = setup("planning", "  []\n", "  []\n", "");
    let report = s.ok("planning-issue", "2026-12-01");
    let issues = s.gitlab.issues(WEB);
    assert_eq!(issues.len(), 1, "{issues:#?} {report:#}");
    let plan = &issues[0];
    let comments = s.gitlab.comments(WEB, &plan["iid"]);
    assert_eq!(comments.len(), 1, "the starter thread: {comments:?}");
    let mut texts = vec![description(plan)];
    texts.extend(comments.iter().map(String::as_str));
    // The planning lock of a milestone starting on Monday 2026-12-07: the Monday on or before
    // Wednesday 2026-12-02, 5 days before the start.
    untouched(plan, "2026-11-30", &texts);
    // The key is the milestone's title, and the issue is found by it again.
    let key = format!("planning/web/Sprint 1 {ATTACK}");
    assert_eq!(s.gitlab.by_key(WEB).keys().collect::<Vec<_>>(), [&key]);
    let (creates, comments) = (s.gitlab.count(CREATE), comments.len());
    let again = s.ok("planning-issue", "2026-12-02");
    assert!(keys(&again, "create").is_empty(), "{again:#}");
    assert_eq!(s.gitlab.count(CREATE), creates);
    assert_eq!(s.gitlab.comments(WEB, &plan["iid"]).len(), comments);
}

#[test]
fn a_uid_carrying_another_issues_marker_never_matches_that_key() {
    let forged = "x <!-- teamcadence:key=pto/bob/2026-12-21 -->";
    let s = setup("forged", BOB, &feed("hr"), &carol_off(forged));
    for today in ["2026-12-07", "2026-12-08", "2026-12-09"] {
        s.ok("pto-coverage", today);
        let issues = s.gitlab.issues(PTO);
        let mut titles: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| {
                (
                    i["title"].as_str().expect("title"),
                    i["state"].as_str().expect("state"),
                )
            })
            .collect();
        titles.sort();
        assert_eq!(
            titles,
            [
                (
                    "Coverage for Bob Baker from 2026-12-21 until 2027-01-01",
                    "opened"
                ),
                (
                    "Coverage for Carol Chen from 2026-12-21 until 2027-01-01",
                    "opened"
                ),
            ],
            "on {today}"
        );
    }
    assert_eq!(s.gitlab.count(CREATE), 2);
    let keys = s.gitlab.by_key(PTO);
    assert_eq!(keys["pto/bob/2026-12-21"].len(), 1);
    assert_eq!(
        keys[&format!("pto/{}", forged.replace('/', "%2F"))].len(),
        1
    );
}

#[test]
fn a_uid_shaped_like_a_config_key_gets_its_own_issue() {
    let s = setup("collision", BOB, &feed("hr"), &carol_off("bob/2026-12-21"));
    let first = s.ok("pto-coverage", "2026-12-07");
    let mut created = keys(&first, "create");
    created.sort();
    assert_eq!(created, ["pto/bob%2F2026-12-21", "pto/bob/2026-12-21"]);
    for today in ["2026-12-08", "2026-12-09"] {
        let again = s.ok("pto-coverage", today);
        assert!(keys(&again, "create").is_empty(), "{again:#}");
    }
    assert_eq!(s.gitlab.count(CREATE), 2);
    let issues = s.gitlab.issues(PTO);
    assert!(issues.iter().all(|i| i["state"] == "opened"), "{issues:#?}");
    let by_key = s.gitlab.by_key(PTO);
    assert_eq!(
        by_key["pto/bob/2026-12-21"][0]["title"],
        "Coverage for Bob Baker from 2026-12-21 until 2027-01-01"
    );
    assert_eq!(
        by_key["pto/bob%2F2026-12-21"][0]["title"],
        "Coverage for Carol Chen from 2026-12-21 until 2027-01-01"
    );
}
