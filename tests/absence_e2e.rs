//! One truth about who is away (issue 15): the PTO, planning and onboarding jobs and
//! `teamcadence check`, run as binaries against the fake GitLab server, agree about time off
//! from the config, the time off file, feeds and GitLab statuses. Every expected number is
//! worked out by hand in the comments from the calendar: March 2027 starts on a Monday, the
//! US moves to summer time on 2027-03-14 and the EU on 2027-03-28.

mod common;

use std::process::Output;

use common::{Gitlab, Scratch, assignees, issue, job, json, keys, stderr};
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/absence-world.yml"
);
const BOT_TOKEN: &str = "glpat-absence-bot-SECRET-15";
const PTO: &str = "eng/pto-coverage";

/// A config: one team whose members are `members` (lines, indented), a milestone from
/// `start` to `end`, and `top` (top-level keys: holidays, time_off, feeds, new hires).
/// bob's triage can be covered by carol and dan, and by erin and gus when they are members,
/// in that order.
fn config(members: &str, milestone: (&str, &str), top: &str) -> String {
    let covered: Vec<&str> = ["carol", "dan", "erin", "gus"]
        .into_iter()
        .filter(|who| members.contains(&format!("username: {who},")))
        .collect();
    let covered = covered.join(", ");
    let (start, end) = milestone;
    format!(
        "timezone: Europe/Amsterdam
milestones: {{ source: list, list: [ {{ title: \"27.1\", start: {start}, end: {end} }} ] }}
teams:
  - id: web
    name: Web
    project: eng/web
    pto: {{ project: eng/pto-coverage, create_days_before: 14 }}
    onboarding: {{ project: eng/onboarding, create_days_before: 10 }}
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, manager: mia }}
{members}    responsibilities:
      - {{ name: Triage, priority: HIGH, owners: [bob], covered_by: [{covered}] }}
{top}"
    )
}

/// Members beside mia and bob, all in Amsterdam.
const TEAM: &str =
    "      - { username: carol, name: Carol Chen, role: backend-engineer, manager: mia }
      - { username: dan, name: Dan Dorsey, role: backend-engineer, manager: mia }
";

/// The HR feed, read from hr.ics next to the config; bob, carol and dan by attendee address.
const HR_FEED: &str = "time_off_feeds:
  - name: hr
    file: hr.ics
    people: { bob@example.com: bob, carol@example.com: carol, dan@example.com: dan }
";

/// The HR feed of teams with erin.
fn hr_feed_with_erin() -> String {
    HR_FEED.replace(
        "dan@example.com: dan }",
        "dan@example.com: dan, erin@example.com: erin }",
    )
}

/// An iCalendar file holding `events`.
fn calendar(events: &[String]) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{}END:VCALENDAR\r\n",
        events.concat()
    )
}

/// One event about `who`, with these extra properties (dates included).
fn event(uid: &str, who: &str, summary: &str, properties: &[&str]) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nSUMMARY:{summary}\r\n\
         ATTENDEE:mailto:{who}@example.com\r\n{}\r\nEND:VEVENT\r\n",
        properties.join("\r\n")
    )
}

/// An all-day event from `from` until the day before `until_excluded`.
fn all_day(uid: &str, who: &str, summary: &str, from: &str, until_excluded: &str) -> String {
    let (start, end) = (
        format!("DTSTART;VALUE=DATE:{from}"),
        format!("DTEND;VALUE=DATE:{until_excluded}"),
    );
    event(uid, who, summary, &[&start, &end])
}

/// Runs `name` on `today` with the config in `dir`, expecting success.
fn run(gitlab: &Gitlab, name: &str, dir: &Scratch, today: &str) -> Value {
    let output = job(
        gitlab,
        name,
        &dir.path("team.yml"),
        &["--today", today],
        Some(BOT_TOKEN),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("text").to_owned())
        .collect()
}

/// The cells of `name`'s row of the capacity table in a planning issue's description:
/// member, role, first day, last day, working days, time off, available, budget, absences.
fn capacity_row(report: &Value, name: &str) -> Vec<String> {
    let plan = &report["issues"][0];
    let description = plan["description"].as_str().expect("description");
    let line = description
        .lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("no row for {name} in {description}"));
    line.trim_matches('|')
        .split(" | ")
        .map(|cell| cell.trim().to_owned())
        .collect()
}

/// (working days, time off, available) of `name`'s row.
fn days(report: &Value, name: &str) -> (String, String, String) {
    let row = capacity_row(report, name);
    (row[4].clone(), row[5].clone(), row[6].clone())
}

fn strings(values: [&str; 3]) -> (String, String, String) {
    (values[0].into(), values[1].into(), values[2].into())
}

fn scratch(name: &str, config: &str, files: &[(&str, &str)]) -> Scratch {
    let mut all = vec![("team.yml", config)];
    all.extend_from_slice(files);
    Scratch::new(name, &all)
}

#[test]
fn a_recurring_friday_off_does_not_hide_a_two_week_vacation() {
    // Two feeds: "cal" (listed first) has bob's Fridays off from 2027-03-05, weekly, 8
    // times; "hr" has his vacation Mon 03-15 .. Fri 03-26. The Friday 03-19 and 03-26
    // occurrences lie inside the vacation, and Fri 03-12 touches it over the weekend: one
    // absence Fri 03-12 .. Fri 03-26 = 1 + 10 = 11 working days, keyed by its earliest part
    // (the 03-12 occurrence). Due 14 days before 03-12, on 02-26.
    let feeds = "time_off_feeds:
  - name: cal
    file: cal.ics
    people: { bob@example.com: bob }
  - name: hr
    file: hr.ics
    people: { bob@example.com: bob }
";
    let fridays = calendar(&[event(
        "fri",
        "bob",
        "Friday off",
        &["DTSTART;VALUE=DATE:20270305", "RRULE:FREQ=WEEKLY;COUNT=8"],
    )]);
    let hr = calendar(&[all_day("hr-100", "bob", "Vacation", "20270315", "20270327")]);
    let text = config(TEAM, ("2027-03-01", "2027-03-26"), feeds);
    let dir = scratch("friday", &text, &[("cal.ics", &fridays), ("hr.ics", &hr)]);
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "pto-coverage", &dir, "2027-03-01");
    assert_eq!(
        keys(&report, "create"),
        ["pto/fri/2027-03-12"],
        "{report:#}"
    );
    let plan = issue(&report, "pto/fri/2027-03-12");
    assert_eq!(
        plan["title"],
        "Coverage for Bob Baker from 2027-03-12 until 2027-03-26"
    );
    let description = plan["description"].as_str().expect("description");
    assert!(description.contains("11 working days"), "{description}");
    // The Fridays inside the vacation disagree with it: said, not dropped.
    let said = warnings(&report);
    assert!(
        said.iter().any(|w| w.contains("disagrees")
            && w.contains("\"Friday off\"")
            && w.contains("2027-03-15 to 2027-03-26")),
        "{said:#?}"
    );
}

#[test]
fn a_one_day_config_entry_does_not_hide_a_three_week_feed_vacation() {
    // The config has bob's dentist on Wed 03-03; the HR feed his vacation Mon 03-01 ..
    // Fri 03-19: one absence of 15 working days, keyed by the earliest part (hr-7). Due
    // 14 days before 03-01, on 02-15.
    let top = format!(
        "time_off:\n  - {{ person: bob, from: 2027-03-03, until: 2027-03-03, note: Dentist }}\n{HR_FEED}"
    );
    let hr = calendar(&[all_day("hr-7", "bob", "Vacation", "20270301", "20270320")]);
    let dir = scratch(
        "dentist",
        &config(TEAM, ("2027-03-01", "2027-03-26"), &top),
        &[("hr.ics", &hr)],
    );
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "pto-coverage", &dir, "2027-02-15");
    assert_eq!(keys(&report, "create"), ["pto/hr-7"], "{report:#}");
    let stored = gitlab.by_key(PTO).remove("pto/hr-7").expect("issue");
    assert_eq!(
        stored[0]["title"],
        "Coverage for Bob Baker from 2027-03-01 until 2027-03-19"
    );
    // Both sources are in the issue's record.
    let description = stored[0]["description"].as_str().expect("description");
    assert!(
        description.contains("source=config%0Afeed:hr"),
        "{description}"
    );
    assert!(
        warnings(&report)
            .iter()
            .any(|w| w.contains("\"Dentist\" in the teamcadence config (2027-03-03)")),
        "{report:#}"
    );
    // The next day the same absence is the same issue.
    let again = run(&gitlab, "pto-coverage", &dir, "2027-02-16");
    assert!(keys(&again, "create").is_empty(), "{again:#}");
    assert_eq!(gitlab.by_key(PTO).len(), 1);
}

/// The planning config for the capacity findings: bob with two overlapping entries, and
/// `extra` top-level keys.
fn overlapping(extra: &str) -> String {
    config(
        TEAM,
        ("2027-03-01", "2027-03-26"),
        &format!(
            "time_off:
  - {{ person: bob, from: 2027-03-01, until: 2027-03-19, note: Vacation }}
  - {{ person: bob, from: 2027-03-08, until: 2027-03-11, note: Conference }}
{extra}"
        ),
    )
}

#[test]
fn overlapping_time_off_is_counted_once_and_check_says_the_entries_disagree() {
    // Milestone Mon 03-01 .. Fri 03-26: 20 working days. bob's vacation 03-01..03-19 is 15
    // of them; the conference 03-08..03-11 (4) lies inside it: 15 days off, not 19, so 5
    // available.
    let dir = scratch("overlap", &overlapping(""), &[]);
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "planning-issue", &dir, "2027-02-22");
    assert_eq!(days(&report, "Bob Baker"), strings(["20", "15", "5"]));
    assert!(
        warnings(&report).iter().any(|w| w.contains("disagrees")),
        "{report:#}"
    );
    // `teamcadence check` accepts the config (exit 0) and says so on stderr.
    let output: Output = common::bin("teamcadence")
        .args(["check", "--config", &dir.path("team.yml")])
        .args(["--today", "2027-02-22"])
        .output()
        .expect("check runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains(
            "warning: the time off of bob disagrees between \"Vacation\" in the \
             teamcadence config (2027-03-01 to 2027-03-19) and \"Conference\" in the \
             teamcadence config (2027-03-08 to 2027-03-11)"
        ),
        "{said}"
    );
}

#[test]
fn time_off_from_a_feed_counts_in_the_capacity_table() {
    // dan's HR vacation Mon 03-15 .. Fri 03-19: 5 of the 20 working days.
    let hr = calendar(&[all_day("hr-9", "dan", "Vacation", "20270315", "20270320")]);
    let dir = scratch(
        "feed-capacity",
        &config(TEAM, ("2027-03-01", "2027-03-26"), HR_FEED),
        &[("hr.ics", &hr)],
    );
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "planning-issue", &dir, "2027-02-22");
    assert_eq!(days(&report, "Dan Dorsey"), strings(["20", "5", "15"]));
    assert_eq!(
        capacity_row(&report, "Dan Dorsey")[8],
        "Vacation 2027-03-15 to 2027-03-19 (5 working days)"
    );
}

#[test]
fn adjacent_entries_are_one_absence_that_needs_coverage() {
    // Mon 03-01 .. Wed 03-03 and Thu 03-04 .. Fri 03-05: 3 + 2 = 5 working days in a row,
    // the threshold. Keyed by the first entry; due 14 days before 03-01.
    let top = "time_off:
  - { person: bob, from: 2027-03-01, until: 2027-03-03 }
  - { person: bob, from: 2027-03-04, until: 2027-03-05 }
";
    let dir = scratch(
        "adjacent",
        &config(TEAM, ("2027-03-01", "2027-03-26"), top),
        &[],
    );
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "pto-coverage", &dir, "2027-02-15");
    assert_eq!(
        keys(&report, "create"),
        ["pto/bob/2027-03-01"],
        "{report:#}"
    );
    assert_eq!(
        issue(&report, "pto/bob/2027-03-01")["title"],
        "Coverage for Bob Baker from 2027-03-01 until 2027-03-05"
    );
}

#[test]
fn feed_times_and_holiday_files_are_dated_in_the_persons_zone() {
    // erin lives in Los Angeles (PST, UTC-8, until 03-14). Her feed event runs from
    // 2027-03-01T17:00Z to 2027-03-05T01:00Z: Mon 09:00 to Thu 17:00 there, 4 working days,
    // under the threshold. Dated in Amsterdam (18:00 Mon to 02:00 Fri) it was Mon-Fri, 5.
    // Her second event, all day Mon 03-15 .. Fri 03-19, is 5 days and gets an issue.
    // kenji lives in Tokyo; his holiday file has "Tokyo day" from 2027-03-22T15:00Z to
    // 2027-03-23T15:00Z: all of Tue 03-23 in Tokyo. Dated in UTC it marked Mon 03-22 too.
    let members = format!(
        "{TEAM}      - {{ username: erin, name: Erin Elliott, role: backend-engineer, timezone: America/Los_Angeles }}
      - {{ username: kenji, name: Kenji Kato, role: backend-engineer, timezone: Asia/Tokyo, holidays: jp }}
"
    );
    let top = format!(
        "holidays:\n  jp: {{ ics: jp.ics }}\n{}",
        hr_feed_with_erin()
    );
    let hr = calendar(&[
        event(
            "hr-la",
            "erin",
            "Trip",
            &["DTSTART:20270301T170000Z", "DTEND:20270305T010000Z"],
        ),
        all_day("hr-la-2", "erin", "Vacation", "20270315", "20270320"),
    ]);
    let jp = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n\
              UID:jp-1\r\nSUMMARY:Tokyo day\r\nDTSTART:20270322T150000Z\r\n\
              DTEND:20270323T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let dir = scratch(
        "zones",
        &config(&members, ("2027-03-01", "2027-03-26"), &top),
        &[("hr.ics", &hr), ("jp.ics", jp)],
    );
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "pto-coverage", &dir, "2027-02-20");
    // hr-la is under the threshold and only in a feed: not listed at all.
    assert_eq!(keys(&report, "create"), Vec::<String>::new(), "{report:#}");
    assert!(
        report["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .all(|i| i["key"] != "pto/hr-la"),
        "{report:#}"
    );
    // Due on the earlier of 14 days before Mon 03-15 (Mon 03-01) and the planning lock of
    // the listed milestone it falls in (starts Mon 03-01: lock the Monday 5 days before,
    // Mon 2027-02-22).
    assert_eq!(
        issue(&report, "pto/hr-la-2")["reason"],
        "not due until 2027-02-22"
    );
    // The capacity table: erin 20 days, 4 + 5 off, 11 available; kenji 20 weekdays with
    // one holiday: 19 working days, all available.
    let planning = run(&gitlab, "planning-issue", &dir, "2027-02-22");
    assert_eq!(days(&planning, "Erin Elliott"), strings(["20", "9", "11"]));
    assert_eq!(days(&planning, "Kenji Kato"), strings(["19", "0", "19"]));
    assert_eq!(
        capacity_row(&planning, "Kenji Kato")[8],
        "2027-03-23 Tokyo day"
    );
}

#[test]
fn every_message_about_an_absence_gives_the_same_numbers_and_names_its_holidays() {
    // bob is off Tue 03-23 .. Thu 03-25 (3 working days); Fri 03-26 is Good Friday in his
    // calendar, so the run is 4 days: under the threshold of 5. The skip says both numbers
    // and names the holiday; the capacity table counts the same 3 days off.
    let members = TEAM.to_owned();
    let top = "holidays:
  nl: { dates: [2027-03-26 Good Friday] }
time_off:
  - { person: bob, from: 2027-03-23, until: 2027-03-25, note: Short trip }
";
    let text = config(&members, ("2027-03-01", "2027-03-26"), top).replace(
        "manager: mia }\n      - { username: carol",
        "manager: mia, holidays: nl }\n      - { username: carol",
    );
    assert!(text.contains("holidays: nl }"), "{text}");
    let dir = scratch("messages", &text, &[]);
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "pto-coverage", &dir, "2027-03-15");
    assert_eq!(
        issue(&report, "pto/bob/2027-03-23")["reason"],
        "4 days away in a row, 3 working days off and the holiday Good Friday (2027-03-26); \
         a coverage issue is expected from 5 days away in a row"
    );
    let planning = run(&gitlab, "planning-issue", &dir, "2027-02-22");
    // 20 weekdays, Good Friday off: 19 working days, 3 of them time off.
    assert_eq!(days(&planning, "Bob Baker"), strings(["19", "3", "16"]));
    assert_eq!(
        capacity_row(&planning, "Bob Baker")[8],
        "Short trip 2027-03-23 to 2027-03-25 (3 working days); 2027-03-26 Good Friday"
    );
}

#[test]
fn the_buddy_must_be_there_in_every_week_with_buddy_tasks() {
    // nina starts Mon 2027-03-01; the default template gives the buddy tasks in weeks 1 to 4
    // (03-01 .. 03-26). bob (first by name among equals) is away 03-15 .. 03-26, weeks 3 and
    // 4: carol is suggested. Checked over weeks 1-2 only, bob was.
    let top = "time_off:
  - { person: bob, from: 2027-03-15, until: 2027-03-26, note: Vacation }
new_hires:
  - { username: nina, name: Nina Novak, team: web, role: backend-engineer, start: 2027-03-01, manager: mia }
";
    let dir = scratch(
        "buddy",
        &config(TEAM, ("2027-03-01", "2027-03-26"), top),
        &[],
    );
    let gitlab = Gitlab::start(WORLD);
    let report = run(&gitlab, "onboarding-issue", &dir, "2027-02-22");
    let plan = issue(&report, "onboarding/nina");
    assert_eq!(plan["action"], "create", "{report:#}");
    assert_eq!(
        plan["assignees"],
        serde_json::json!(["nina", "carol", "mia"])
    );
    let description = plan["description"].as_str().expect("description");
    assert!(
        description.contains("bob is away on 2027-03-15 (Vacation)"),
        "{description}"
    );
    assert!(
        description.contains("at work on every working day of weeks 1, 2, 3 and 4"),
        "{description}"
    );
}

#[test]
fn capacity_coverage_backups_and_buddy_agree_across_sources_zones_and_a_dst_change() {
    // The team: bob, dan, gus in Amsterdam; carol and erin in New York. Milestone 27.1 runs
    // Mon 03-15 .. Fri 04-09: 20 working days; nothing is a holiday. Today is Mon 03-08.
    //
    // bob: config Mon 03-22 .. Wed 03-24 ("Trip"), time off file Thu 03-25 .. Fri 03-26,
    //   and the feed's timed event 2027-03-29T07:00Z .. 2027-03-31T15:00Z, which is Mon 09:00
    //   .. Wed 17:00 in Amsterdam after its change to summer time on 03-28: one absence
    //   Mon 03-22 .. Wed 03-31 = 5 + 3 = 8 working days, keyed by the config entry.
    //   Due 14 days before 03-22: today.
    // carol: the feed's weekly Wednesday 09:00-17:00 New York (across the US change on
    //   03-14): Wednesdays 03-17, 03-24, 03-31, 04-07 in the milestone = 4 days.
    // dan: a vacation 03-22 .. 03-26 in the feed, cancelled: at work.
    // gus: GitLab status "OOO until April", clearing 2027-04-02: away today .. Fri 04-02,
    //   of which Mon 03-15 .. Fri 04-02 = 15 working days in the milestone.
    // erin: nothing.
    //
    // Backups for bob's triage (carol, dan, erin, gus in that order): carol is out on Wed
    // 03-24, gus by his status, so dan and erin.
    // Buddy for nina (Amsterdam, starting Mon 03-15, weeks 1-4 = 03-15 .. 04-09): bob is
    // away 03-22, carol 03-17, gus 03-15; dan (0 h) wins over erin (5 h: New York is on
    // summer time from 03-14, Amsterdam not until 03-28).
    let members = "      - { username: carol, name: Carol Chen, role: backend-engineer, manager: mia, timezone: America/New_York }
      - { username: dan, name: Dan Dorsey, role: backend-engineer, manager: mia }
      - { username: erin, name: Erin Elliott, role: backend-engineer, manager: mia, timezone: America/New_York }
      - { username: gus, name: Gus Garcia, role: backend-engineer, manager: mia }
";
    let top = format!(
        "time_off:
  - {{ person: bob, from: 2027-03-22, until: 2027-03-24, note: Trip }}
time_off_file: time-off.yml
{}new_hires:
  - {{ username: nina, name: Nina Novak, team: web, role: backend-engineer, start: 2027-03-15, manager: mia }}
",
        hr_feed_with_erin()
    );
    let file = "time_off:\n  - { person: bob, from: 2027-03-25, until: 2027-03-26, note: Trip extended }\n";
    let mut cancelled = all_day("hr-dan", "dan", "Vacation", "20270322", "20270327");
    cancelled = cancelled.replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT");
    let hr = calendar(&[
        event(
            "hr-bob",
            "bob",
            "Trip end",
            &["DTSTART:20270329T070000Z", "DTEND:20270331T150000Z"],
        ),
        event(
            "wed",
            "carol",
            "Wednesday off",
            &[
                "DTSTART;TZID=America/New_York:20270303T090000",
                "DTEND;TZID=America/New_York:20270303T170000",
                "RRULE:FREQ=WEEKLY;COUNT=6",
            ],
        ),
        cancelled,
    ]);
    let dir = scratch(
        "agree",
        &config(members, ("2027-03-15", "2027-04-09"), &top),
        &[("time-off.yml", file), ("hr.ics", &hr)],
    );
    let gitlab = Gitlab::start(WORLD);

    let pto = run(&gitlab, "pto-coverage", &dir, "2027-03-08");
    assert_eq!(keys(&pto, "create"), ["pto/bob/2027-03-22"], "{pto:#}");
    let bob = gitlab
        .by_key(PTO)
        .remove("pto/bob/2027-03-22")
        .expect("issue");
    assert_eq!(
        bob[0]["title"],
        "Coverage for Bob Baker from 2027-03-22 until 2027-03-31"
    );
    assert_eq!(assignees(&bob[0]), ["bob", "dan", "erin"]);
    let description = bob[0]["description"].as_str().expect("description");
    assert!(description.contains("8 working days"), "{description}");
    assert!(
        description.contains("| HIGH | Triage | - | @dan | @erin |"),
        "{description}"
    );

    let planning = run(&gitlab, "planning-issue", &dir, "2027-03-08");
    assert_eq!(days(&planning, "Bob Baker"), strings(["20", "8", "12"]));
    assert_eq!(days(&planning, "Carol Chen"), strings(["20", "4", "16"]));
    assert_eq!(days(&planning, "Dan Dorsey"), strings(["20", "0", "20"]));
    assert_eq!(days(&planning, "Erin Elliott"), strings(["20", "0", "20"]));
    assert_eq!(days(&planning, "Gus Garcia"), strings(["20", "15", "5"]));

    let onboarding = run(&gitlab, "onboarding-issue", &dir, "2027-03-08");
    let plan = issue(&onboarding, "onboarding/nina");
    assert_eq!(
        plan["assignees"],
        serde_json::json!(["nina", "dan", "mia"]),
        "{onboarding:#}"
    );
    let description = plan["description"].as_str().expect("description");
    for passed in [
        "bob is away on 2027-03-22 (Trip / Trip extended / Trip end)",
        "carol is away on 2027-03-17 (Wednesday off)",
        "gus is away on 2027-03-15 (OOO until April)",
        "erin is 5 h from the new hire's time zone",
    ] {
        assert!(description.contains(passed), "{passed} in {description}");
    }
}
