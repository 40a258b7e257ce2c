//! The PTO coverage job against the fake GitLab server, with time off from the config and
//! from an iCalendar file: backups who are really there, a recurring event with an
//! exception, a cancelled event, an event across a change to summer time, time off that
//! moves or is cancelled later, the person's return, re-runs, and feeds that cannot be read.
//! Who is who is in tests/fixtures/pto-world.yml and `config` below; the expected dates and
//! backups are worked out here by hand from them. The team has no holidays, so working days
//! are Monday to Friday, and issues are due 14 days before the first day off, or at the
//! planning lock of the release milestone it falls in when that is earlier.

mod common;

use std::process::Output;

use common::{Gitlab, Scratch, assignees, issue, job, json, keys, stderr};
use serde_json::Value;

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pto-world.yml");
const BOT_TOKEN: &str = "glpat-pto-bot-SECRET-61";
const PROJECT: &str = "eng/pto-coverage";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const EDIT: &str = "PUT /api/v4/projects/:id/issues/:issue_iid";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";

/// The team. Triage is bob's (carol, dan, erin and finn can cover it), reviews are bob's and
/// erin's (dan and finn), on-call is gus's (ivy and finn). `time_off` and `feeds` are the
/// config's entries and feeds, already indented.
fn config(time_off: &str, feeds: &str) -> String {
    format!(
        "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    pto: {{ project: eng/pto-coverage }}
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
      - {{ name: Triage, priority: HIGH, owners: [bob], covered_by: [carol, dan, erin, finn] }}
      - {{ name: Reviews, priority: MEDIUM, owners: [bob, erin], covered_by: [dan, finn] }}
      - {{ name: On-call, priority: HIGH, owners: [gus], covered_by: [ivy, finn] }}
time_off:
{time_off}time_off_feeds:
{feeds}"
    )
}

/// erin's ski trip, with an id so that its issue survives a change of first day.
const ERIN: &str =
    "  - { id: leave-7, person: erin, from: 2027-03-08, until: 2027-03-19, note: Ski trip }\n";
/// The HR feed, read from hr.ics next to the config.
const HR_FILE: &str = "  - name: hr
    file: hr.ics
    people: { bob@example.com: bob, carol@example.com: carol, dan@example.com: dan, gus@example.com: gus }
";

/// One all-day event of the HR feed, `until` included.
fn all_day(uid: &str, who: &str, from: &str, until_excluded: &str, extra: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20270201T000000Z\r\nDTSTART;VALUE=DATE:{from}\r\n\
         DTEND;VALUE=DATE:{until_excluded}\r\nSUMMARY:Time off\r\nATTENDEE:mailto:{who}@example.com\r\n\
         {extra}END:VEVENT\r\n"
    )
}

/// The HR feed: `bob` is bob's vacation event (changed by some tests), and around it
/// - carol's dentist appointment on Wednesday 2027-03-17, in the middle of bob's time off;
/// - dan's vacation over the same two weeks, cancelled (so dan is there after all);
/// - gus's trip from Friday 2027-03-26 09:00 to Monday 2027-04-05 13:00 Amsterdam time,
///   written in UTC across the change to summer time on 2027-03-28 (an hour later in UTC
///   before it than after: a wrong offset ends it at 12:00, which covers only 3 of Monday's
///   core hours, 09:00-17:00, and so loses Monday);
/// - carol's four-weekly leave weeks from Monday 2027-04-05, of which the one from
///   2027-05-03 is excepted.
fn hr_feed(bob: &str) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//HR//EN\r\n");
    text.push_str(bob);
    text.push_str(&all_day("hr-101", "carol", "20270317", "20270318", ""));
    text.push_str(&all_day(
        "hr-300",
        "dan",
        "20270315",
        "20270327",
        "STATUS:CANCELLED\r\n",
    ));
    text.push_str(
        "BEGIN:VEVENT\r\nUID:hr-400\r\nDTSTAMP:20270201T000000Z\r\nDTSTART:20270326T080000Z\r\n\
         DTEND:20270405T110000Z\r\nSUMMARY:Trip\r\nATTENDEE:mailto:gus@example.com\r\nEND:VEVENT\r\n",
    );
    text.push_str(&all_day(
        "hr-200",
        "carol",
        "20270405",
        "20270410",
        "RRULE:FREQ=WEEKLY;INTERVAL=4;COUNT=3\r\nEXDATE;VALUE=DATE:20270503\r\n",
    ));
    text.push_str("END:VCALENDAR\r\n");
    text
}

/// bob's two weeks, Monday 2027-03-15 to Friday 2027-03-26, with a title that tries quick
/// actions and a mass mention.
fn bob_vacation() -> String {
    all_day("hr-100", "bob", "20270315", "20270327", "").replace(
        "SUMMARY:Time off",
        "SUMMARY:Vacation\\n/close\\n/label ~hacked\\n@all",
    )
}

/// A scratch folder with the config and the feed.
fn scratch(name: &str, time_off: &str, feeds: &str, hr: &str) -> Scratch {
    Scratch::new(
        name,
        &[("pto.yml", &config(time_off, feeds)), ("hr.ics", hr)],
    )
}

/// The scheduled job on `today`, reading the config in `dir`.
fn scheduled(gitlab: &Gitlab, dir: &Scratch, today: &str) -> Output {
    let output = job(
        gitlab,
        "pto-coverage",
        &dir.path("pto.yml"),
        &["--today", today],
        Some(BOT_TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

/// Rewrites a file of the scratch folder, as a merge request or the HR tool would.
fn rewrite(dir: &Scratch, file: &str, text: &str) {
    std::fs::write(dir.path(file), text).expect("write");
}

/// The open and closed issues of the coverage project by key.
fn by_key(gitlab: &Gitlab, key: &str) -> Vec<Value> {
    gitlab.by_key(PROJECT).remove(key).unwrap_or_default()
}

fn only(gitlab: &Gitlab, key: &str) -> Value {
    let issues = by_key(gitlab, key);
    assert_eq!(issues.len(), 1, "one issue for {key}: {issues:#?}");
    issues.into_iter().next().expect("issue")
}

#[test]
fn config_and_calendar_time_off_get_issues_with_backups_who_are_there_and_reruns_add_nothing() {
    let gitlab = Gitlab::start(WORLD);
    let dir = scratch("backups", ERIN, HR_FILE, &hr_feed(&bob_vacation()));

    // Monday 2027-03-01: erin's (from 03-08) and bob's (from 03-15) issues are due.
    let first = json(&scheduled(&gitlab, &dir, "2027-03-01"));
    assert_eq!(
        keys(&first, "create"),
        ["pto/leave-7", "pto/hr-100"],
        "{first:#}"
    );
    // gus's trip and carol's first leave week are not due yet; the excepted week and the
    // cancelled event are not there at all, nor carol's single day. Both fall in 19.11
    // (2027-03-13 to 2027-04-09), whose planning lock, Monday 2027-03-08, comes before 14
    // days ahead of them (2027-03-12, 2027-03-22); carol's leave from 2027-05-31 falls in
    // 20.1 (2027-05-15 to 2027-06-11), locked Monday 2027-05-10, before 2027-05-17.
    assert_eq!(
        issue(&first, "pto/hr-400")["reason"],
        "not due until 2027-03-08"
    );
    assert_eq!(
        issue(&first, "pto/hr-200/2027-04-05")["reason"],
        "not due until 2027-03-08"
    );
    assert_eq!(
        issue(&first, "pto/hr-200/2027-05-31")["reason"],
        "not due until 2027-05-10"
    );
    for absent in ["pto/hr-200/2027-05-03", "pto/hr-300", "pto/hr-101"] {
        assert!(
            first["issues"]
                .as_array()
                .expect("issues")
                .iter()
                .all(|i| i["key"] != absent),
            "{absent} in {first:#}"
        );
    }

    // erin's reviews: dan and finn. bob's triage: carol (first in the list) is at the dentist
    // on one of his days and erin is away too, so dan and finn; dan's cancelled vacation
    // does not keep him away.
    let erin = only(&gitlab, "pto/leave-7");
    assert_eq!(
        erin["title"],
        "Coverage for Erin Elliott from 2027-03-08 until 2027-03-19"
    );
    assert_eq!(assignees(&erin), ["erin", "dan", "finn"]);
    let bob = only(&gitlab, "pto/hr-100");
    assert_eq!(
        bob["title"],
        "Coverage for Bob Baker from 2027-03-15 until 2027-03-26"
    );
    assert_eq!(bob["due_date"], "2027-03-15");
    assert_eq!(assignees(&bob), ["bob", "dan", "finn"]);
    let table = bob["description"].as_str().expect("description");
    assert!(
        table.contains("| HIGH | Triage | - | @dan | @finn |"),
        "{table}"
    );
    assert!(
        table.contains("| MEDIUM | Reviews | - | @dan | @finn |"),
        "{table}"
    );
    // The calendar title's quick actions and mention did nothing.
    assert_eq!(bob["state"], "opened");
    assert!(
        bob["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .all(|l| l != "hacked")
    );
    assert!(!table.contains("@all"), "{table}");
    let comments = gitlab.comments(PROJECT, &bob["iid"]);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].starts_with("**Retrospective.**"),
        "{comments:?}"
    );

    // Re-runs, the same day and the next, create and post nothing.
    let (creates, comments) = (gitlab.count(CREATE), gitlab.count(COMMENT));
    for today in ["2027-03-01", "2027-03-02"] {
        let again = json(&scheduled(&gitlab, &dir, today));
        assert!(keys(&again, "create").is_empty(), "{again:#}");
    }
    assert_eq!(gitlab.count(CREATE), creates);
    assert_eq!(gitlab.count(COMMENT), comments);

    // Friday 2027-03-12, after 19.11's lock (2027-03-08): gus's trip and carol's first leave
    // week (from 04-05), both in 19.11, are due; the later week is not. gus's trip ends on
    // Monday 2027-04-05 in Amsterdam. ivy's busy status is for today only, so she covers
    // on-call.
    let later = json(&scheduled(&gitlab, &dir, "2027-03-12"));
    assert_eq!(
        keys(&later, "create"),
        ["pto/hr-400", "pto/hr-200/2027-04-05"],
        "{later:#}"
    );
    let gus = only(&gitlab, "pto/hr-400");
    assert_eq!(
        gus["title"],
        "Coverage for Gus Garcia from 2027-03-26 until 2027-04-05"
    );
    assert_eq!(assignees(&gus), ["gus", "ivy", "finn"]);
    assert_eq!(
        only(&gitlab, "pto/hr-200/2027-04-05")["title"],
        "Coverage for Carol Chen from 2027-04-05 until 2027-04-09"
    );
    assert_eq!(
        issue(&later, "pto/hr-200/2027-05-31")["action"],
        "skip",
        "{later:#}"
    );
}

#[test]
fn a_gitlab_status_saying_busy_keeps_a_member_off_the_backups() {
    let gitlab = Gitlab::start(WORLD);
    let dir = scratch("status", "  []\n", "  []\n", "");
    // gus is off today and tomorrow, given by hand in a manual pipeline; ivy set herself
    // busy, so finn covers on-call alone.
    let manual = common::bin("pto-coverage")
        .args(["--config", &dir.path("pto.yml"), "--format", "json"])
        .args(["--gitlab-url", &gitlab.url(), "--today", "2027-03-01"])
        .env("GITLAB_TOKEN", BOT_TOKEN)
        .env("PTO_PERSON", "gus")
        .env("PTO_FROM", "2027-03-01")
        .env("PTO_UNTIL", "2027-03-02")
        .output()
        .expect("runs");
    assert_eq!(manual.status.code(), Some(0), "{}", stderr(&manual));
    let gus = only(&gitlab, "pto/gus/2027-03-01");
    assert_eq!(assignees(&gus), ["gus", "finn"], "ivy is busy: {gus:#}");
}

#[test]
fn moved_time_off_updates_its_issue_and_says_what_changed() {
    let gitlab = Gitlab::start(WORLD);
    let dir = scratch("moved", ERIN, HR_FILE, &hr_feed(&bob_vacation()));
    scheduled(&gitlab, &dir, "2027-03-01");
    let (bob_iid, erin_iid) = (
        only(&gitlab, "pto/hr-100")["iid"].clone(),
        only(&gitlab, "pto/leave-7")["iid"].clone(),
    );

    // The HR tool moves bob's return to Wednesday 2027-03-31; erin starts two days later.
    let longer = all_day("hr-100", "bob", "20270315", "20270401", "");
    rewrite(&dir, "hr.ics", &hr_feed(&longer));
    let erin_later =
        "  - { id: leave-7, person: erin, from: 2027-03-10, until: 2027-03-19, note: Ski trip }\n";
    rewrite(&dir, "pto.yml", &config(erin_later, HR_FILE));
    let run = json(&scheduled(&gitlab, &dir, "2027-03-02"));
    assert_eq!(
        keys(&run, "update"),
        ["pto/leave-7", "pto/hr-100"],
        "{run:#}"
    );
    assert!(keys(&run, "create").is_empty());

    let bob = only(&gitlab, "pto/hr-100");
    assert_eq!(bob["iid"], bob_iid, "the same issue, updated");
    assert_eq!(
        bob["title"],
        "Coverage for Bob Baker from 2027-03-15 until 2027-03-31"
    );
    let text = bob["description"].as_str().expect("description");
    assert!(
        text.contains("**Mon 2027-03-15** until **Wed 2027-03-31** (")
            && text.contains("): 13 working days off.")
    );
    let notes = gitlab.comments(PROJECT, &bob_iid);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "The time off changed in the calendar feed \"hr\": it was 2027-03-15 until \
             2027-03-26, it is now 2027-03-15 until 2027-03-31."
        )),
        "{notes:?}"
    );
    let erin = only(&gitlab, "pto/leave-7");
    assert_eq!(erin["iid"], erin_iid);
    assert_eq!(erin["due_date"], "2027-03-10");
    assert_eq!(
        erin["title"],
        "Coverage for Erin Elliott from 2027-03-10 until 2027-03-19"
    );

    // Again: nothing more to change or say.
    let (edits, comments) = (gitlab.count(EDIT), gitlab.count(COMMENT));
    let again = json(&scheduled(&gitlab, &dir, "2027-03-02"));
    assert!(keys(&again, "update").is_empty(), "{again:#}");
    assert_eq!(
        (gitlab.count(EDIT), gitlab.count(COMMENT)),
        (edits, comments)
    );
}

#[test]
fn cancelled_time_off_closes_its_issue_and_the_return_gets_a_note() {
    let gitlab = Gitlab::start(WORLD);
    let dir = scratch("cancelled", ERIN, HR_FILE, &hr_feed(&bob_vacation()));
    scheduled(&gitlab, &dir, "2027-03-01");

    // bob's vacation is cancelled in the HR tool: the issue gets a note and is closed.
    let cancelled = bob_vacation().replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT");
    rewrite(&dir, "hr.ics", &hr_feed(&cancelled));
    scheduled(&gitlab, &dir, "2027-03-03");
    let bob = only(&gitlab, "pto/hr-100");
    assert_eq!(bob["state"], "closed");
    let notes = gitlab.comments(PROJECT, &bob["iid"]);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "The time off from 2027-03-15 until 2027-03-26 was cancelled in its source \
             (calendar feed hr)"
        )),
        "{notes:?}"
    );

    // erin is back on Monday 2027-03-22: a note asks her to sync with her backups, once.
    for today in ["2027-03-22", "2027-03-23"] {
        scheduled(&gitlab, &dir, today);
    }
    let erin = only(&gitlab, "pto/leave-7");
    let back: Vec<String> = gitlab
        .comments(PROJECT, &erin["iid"])
        .into_iter()
        .filter(|n| n.starts_with("Welcome back"))
        .collect();
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(back[0].contains("(@dan @finn)"), "{back:?}");
    assert_eq!(
        erin["state"], "opened",
        "closing after the return is not the default"
    );

    // erin's entry removed from the config after her return changes nothing: that is
    // tidying up, not a cancellation.
    let (creates, edits) = (gitlab.count(CREATE), gitlab.count(EDIT));
    rewrite(&dir, "pto.yml", &config("  []\n", HR_FILE));
    scheduled(&gitlab, &dir, "2027-03-24");
    assert_eq!(only(&gitlab, "pto/leave-7")["state"], "opened");
    assert_eq!((gitlab.count(CREATE), gitlab.count(EDIT)), (creates, edits));
}

#[test]
fn a_feed_that_cannot_be_read_is_a_warning_and_creates_or_closes_nothing() {
    let gitlab = Gitlab::start(WORLD);
    let dir = scratch("broken", "", HR_FILE, &hr_feed(&bob_vacation()));
    scheduled(&gitlab, &dir, "2027-03-01");
    assert_eq!(only(&gitlab, "pto/hr-100")["state"], "opened");
    let (creates, edits, comments) = (
        gitlab.count(CREATE),
        gitlab.count(EDIT),
        gitlab.count(COMMENT),
    );

    // A malformed file: bob's issue stays open, and the warning names the feed.
    rewrite(
        &dir,
        "hr.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:yesterday\r\n",
    );
    let malformed = json(&scheduled(&gitlab, &dir, "2027-03-02"));
    let warnings = malformed["warnings"].to_string();
    assert!(
        warnings.contains("time-off feed \\\"hr\\\" was not read ("),
        "{warnings}"
    );
    assert!(
        warnings.contains("nothing is created or closed from it this run"),
        "{warnings}"
    );

    // An address nobody answers at: the same, and the address is not printed.
    let unreachable = "  - name: hr
    url: http://127.0.0.1:9/private-key-4711/hr.ics
    people: { bob@example.com: bob }
";
    rewrite(&dir, "pto.yml", &config("  []\n", unreachable));
    let output = scheduled(&gitlab, &dir, "2027-03-02");
    let document = json(&output);
    let warnings = document["warnings"].to_string();
    assert!(
        warnings.contains("time-off feed \\\"hr\\\" was not read ("),
        "{warnings}"
    );
    assert!(!warnings.contains("private-key-4711"), "{warnings}");
    assert!(!stderr(&output).contains("private-key-4711"));

    assert_eq!(only(&gitlab, "pto/hr-100")["state"], "opened");
    assert_eq!(
        (
            gitlab.count(CREATE),
            gitlab.count(EDIT),
            gitlab.count(COMMENT)
        ),
        (creates, edits, comments)
    );
}
