//! Hostile and careless input against the limits: numbers and dates that would overflow date
//! arithmetic, nested and endless iCalendar files, endless files. Every case ends with a clear
//! error naming the file and field (exit 2, the report written) or a warning naming the bound
//! it hit, never a panic, an abort or a run that takes the machine's time and memory.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::{Scratch, bin, stderr, stdout};
use proptest::prelude::*;
use serde_json::Value;

const TEAM: &str = "\
timezone: Europe/Amsterdam
teams:
  - id: t
    name: T
    project: g/p
    members:
      - { username: alice, name: Alice, role: engineering-manager }
      - { username: bob, name: Bob, role: backend-engineer, manager: alice }
";

const JOBS: [&str; 3] = ["planning-issue", "onboarding-issue", "pto-coverage"];

/// Runs `job` on the scratch folder's `teamcadence.yml` as a merge request preview would.
fn preview(scratch: &Scratch, job: &str, extra: &[&str]) -> Output {
    bin(job)
        .current_dir(&scratch.0)
        .args([
            "--config",
            "teamcadence.yml",
            "--dry-run",
            "--offline",
            "--today",
            "2026-12-01",
            "--report",
            "report.json",
        ])
        .args(extra)
        .output()
        .expect("binary runs")
}

/// The report the run wrote.
fn report(scratch: &Scratch) -> Value {
    let text = std::fs::read_to_string(scratch.0.join("report.json")).expect("report written");
    serde_json::from_str(&text).expect("report is JSON")
}

/// Asserts a usage error: exit 2, no panic, the message on stderr and in the report.
fn assert_refused(scratch: &Scratch, output: &Output, expected: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    for word in ["panicked", "overflow", "stack"] {
        assert!(!err.contains(word), "{word} in {err}");
    }
    for text in expected {
        assert!(err.contains(text), "expected {text:?} in {err}");
    }
    let errors = report(scratch)["errors"].to_string();
    assert!(errors.contains(expected[0]), "{errors}");
}

#[test]
fn day_counts_that_would_overflow_dates_are_problems_at_their_fields() {
    let config = format!(
        "{TEAM}    planning: {{ create_days_before_start: 4294967295 }}\n    \
         pto: {{ create_days_before: 4000000000 }}\n    \
         onboarding: {{ create_days_before: 367, due_days_after_start: 4294967295 }}\n\
         new_hires:\n  - {{ username: dave, name: Dave, team: t, role: backend-engineer, \
         start: 2026-12-07 }}\n"
    );
    let scratch = Scratch::new("limits-days", &[("teamcadence.yml", &config)]);
    for job in JOBS {
        let output = preview(&scratch, job, &[]);
        assert_refused(
            &scratch,
            &output,
            &[
                "teamcadence.yml:9:43: teams[t].planning.create_days_before_start: 4294967295 \
                 days is more than the 366 a day count may be",
                "teamcadence.yml:10:32: teams[t].pto.create_days_before: 4000000000 days",
                "teamcadence.yml:11:39: teams[t].onboarding.create_days_before: 367 days",
                "teams[t].onboarding.due_days_after_start: 4294967295 days",
                "nothing was written",
            ],
        );
    }
}

#[test]
fn dates_outside_the_accepted_years_are_blamed_on_the_config_field() {
    for date in ["-0001-01-01", "+10000-01-01", "9999-12-31", "1999-12-31"] {
        let config = format!(
            "{TEAM}new_hires:\n  - {{ username: dave, name: Dave, team: t, role: backend-engineer, start: \"{date}\" }}\n\
             time_off:\n  - {{ person: bob, from: 2026-12-21, until: \"{date}\" }}\n"
        );
        let scratch = Scratch::new("limits-dates", &[("teamcadence.yml", &config)]);
        for job in ["onboarding-issue", "pto-coverage"] {
            let output = preview(&scratch, job, &[]);
            assert_refused(
                &scratch,
                &output,
                &[
                    &format!(
                        "teamcadence.yml:10:75: new_hires[dave].start: {date} is outside the \
                         years teamcadence accepts (2000-01-01 to 2100-12-31)"
                    ),
                    "teamcadence.yml:12:45: time_off[bob from 2026-12-21].until",
                ],
            );
            assert!(!stderr(&output).contains("template"), "{}", stderr(&output));
        }
    }
}

#[test]
fn a_today_outside_the_accepted_years_is_refused() {
    let scratch = Scratch::new("limits-today", &[("teamcadence.yml", TEAM)]);
    let output = bin("planning-issue")
        .current_dir(&scratch.0)
        .args(["--config", "teamcadence.yml", "--dry-run", "--offline"])
        .args(["--today", "9999-12-31"])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("9999-12-31 is outside the years teamcadence accepts"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `depth` nested events: far more than the parser's stack would survive.
fn nested_events(depth: usize) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{}{}END:VCALENDAR\r\n",
        "BEGIN:VEVENT\r\n".repeat(depth),
        "END:VEVENT\r\n".repeat(depth)
    )
}

#[test]
fn nested_events_in_a_holiday_calendar_are_a_config_problem_not_an_abort() {
    let config = TEAM.replace("teams:", "holidays:\n  x: { ics: nested.ics }\nteams:");
    let nested = nested_events(100_000);
    let scratch = Scratch::new(
        "limits-nested-holidays",
        &[("teamcadence.yml", &config), ("nested.ics", &nested)],
    );
    let output = preview(&scratch, "planning-issue", &[]);
    assert_refused(
        &scratch,
        &output,
        &[
            "teamcadence.yml:3:13: holidays.x.ics: `nested.ics` is not a usable iCalendar file: \
             line 5 opens a component nested 4 deep, deeper than iCalendar allows (3: \
             VCALENDAR > VEVENT > VALARM)",
        ],
    );
}

const FEED: &str =
    "time_off_feeds:\n  - { name: hr, file: feed.ics, people: { bob@example.com: bob } }\n";

/// Runs pto-coverage on `feed` and returns the run's warnings, after checking it ended well.
fn feed_warnings(name: &str, feed: &str) -> (String, Duration) {
    let config = format!("{TEAM}{FEED}");
    let scratch = Scratch::new(name, &[("teamcadence.yml", &config), ("feed.ics", feed)]);
    let started = Instant::now();
    let output = preview(&scratch, "pto-coverage", &["--format", "json"]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).expect("json");
    (document["warnings"].to_string(), took)
}

#[test]
fn nested_events_in_a_feed_leave_the_feed_unread_with_a_warning() {
    let (warnings, _) = feed_warnings("limits-nested-feed", &nested_events(100_000));
    assert!(
        warnings.contains(
            "time-off feed \\\"hr\\\" was not read (line 5 opens a component nested 4 deep"
        ),
        "{warnings}"
    );
}

#[test]
fn endless_daily_rules_in_a_feed_stop_at_a_named_bound() {
    let events: String = (0..100)
        .map(|i| {
            format!(
                "BEGIN:VEVENT\r\nUID:e{i}\r\nSUMMARY:bob away\r\nDTSTART;VALUE=DATE:20200101\r\n\
                 RRULE:FREQ=DAILY\r\nATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\n"
            )
        })
        .collect();
    let feed = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n");
    let (warnings, took) = feed_warnings("limits-rrule-feed", &feed);
    // Read from a year before 2026-12-01 to two years after it, and no further.
    assert!(
        warnings.contains(
            "the events have more than 5000 occurrences between 2025-11-30 and 2028-12-02 (the \
             bound on occurrences in the dates read)"
        ),
        "{warnings}"
    );
    // Without the bounds this took minutes; with them it is a fraction of a second.
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // One rule from long ago is stopped by the bound on expansion steps instead.
    let ancient = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:old\r\nSUMMARY:bob \
                   away\r\nDTSTART;VALUE=DATE:18000101\r\nRRULE:FREQ=DAILY\r\n\
                   ATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (warnings, _) = feed_warnings("limits-ancient-feed", ancient);
    assert!(
        warnings.contains(
            "expanding the recurring events took more than 50000 steps (the bound on \
             recurrence expansion)"
        ),
        "{warnings}"
    );
}

#[cfg(unix)]
#[test]
fn an_endless_file_is_refused_at_the_size_bound() {
    const TOO_LARGE: &str =
        "the file is larger than 8 MiB, the most teamcadence reads from one file";
    let scratch = Scratch::new("limits-endless-config", &[("teamcadence.yml", TEAM)]);
    let output = bin("pto-coverage")
        .current_dir(&scratch.0)
        .args(["--config", "/dev/zero", "--dry-run", "--offline"])
        .args(["--report", "report.json"])
        .output()
        .expect("runs");
    assert_refused(
        &scratch,
        &output,
        &["cannot read the config file /dev/zero", TOO_LARGE],
    );

    let named = [
        (
            "time_off_file: /dev/zero\n",
            "time_off_file: cannot read the time off file `/dev/zero`",
        ),
        (
            "roster: /dev/zero\n",
            "roster: cannot read the roster `/dev/zero`",
        ),
        (
            "templates: { pto: /dev/zero }\n",
            "templates.pto: cannot read template `/dev/zero`",
        ),
        (
            "holidays:\n  x: { ics: /dev/zero }\n",
            "holidays.x.ics: cannot read `/dev/zero`",
        ),
    ];
    for (setting, expected) in named {
        let config = format!("{TEAM}{setting}");
        let scratch = Scratch::new("limits-endless-named", &[("teamcadence.yml", &config)]);
        let output = preview(&scratch, "pto-coverage", &[]);
        assert_refused(&scratch, &output, &[expected, TOO_LARGE]);
    }

    // A feed file is read when the job runs: an unread feed is a warning naming the bound.
    let config = format!(
        "{TEAM}time_off_feeds:\n  - {{ name: hr, file: /dev/zero, people: {{ bob@example.com: bob }} }}\n"
    );
    let scratch = Scratch::new("limits-endless-feed", &[("teamcadence.yml", &config)]);
    let output = preview(&scratch, "pto-coverage", &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(TOO_LARGE), "{}", stdout(&output));
}

proptest! {
    // Each case runs a binary: a few cases, with the in-process properties of the core
    // (crates/core/tests/limits_props.rs) covering many more inputs.
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn any_bytes_as_a_config_or_a_feed_end_in_exit_0_or_2(
        config in proptest::collection::vec(any::<u8>(), 0..400),
        feed in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let scratch = Scratch::new("limits-bytes", &[("teamcadence.yml", "")]);
        std::fs::write(scratch.0.join("teamcadence.yml"), &config).expect("write");
        let output = preview(&scratch, "pto-coverage", &[]);
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        prop_assert!(matches!(output.status.code(), Some(0 | 2)), "{err}");
        prop_assert!(!err.contains("panicked"), "{err}");
        let with_feed = format!("{TEAM}{FEED}");
        std::fs::write(scratch.0.join("teamcadence.yml"), with_feed).expect("write");
        let mut ics = b"BEGIN:VCALENDAR\r\n".to_vec();
        ics.extend(&feed);
        std::fs::write(scratch.0.join("feed.ics"), ics).expect("write");
        let output = preview(&scratch, "pto-coverage", &[]);
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        prop_assert_eq!(output.status.code(), Some(0), "{}", err);
        prop_assert!(!err.contains("panicked"), "{}", err);
    }
}
