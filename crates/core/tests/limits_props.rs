//! Properties of the limits, in process: whatever bytes a config, a file it names or an
//! iCalendar feed holds, and whatever numbers and dates its date fields hold, reading and
//! planning end in a value or an error, never a panic.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use teamcadence_core::config::{Config, SourceFiles};
use teamcadence_core::ics::{FeedMapping, PersonFrom, time_off_from_ics};
use teamcadence_core::jobs::{Scope, onboarding, planning, pto};
use teamcadence_core::tracker::Offline;

/// Files held in memory, as a config folder would hold them.
#[derive(Default)]
struct Files(BTreeMap<String, String>);

impl SourceFiles for Files {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// Parses `text` and, when it is a usable config, plans all three jobs on `today` without
/// GitLab, feeding `feed` as every time off feed's text.
fn parse_and_plan(text: &str, files: &Files, today: NaiveDate, feed: &str) {
    let Ok(config) = Config::parse("team.yml", text, files) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let facts = planning::gather(None::<&Offline>, &config, today, Vec::new()).await;
        let _ = planning::plan(&config, today, &facts);
        let facts = onboarding::gather(None::<&Offline>, &config, today, None, Vec::new()).await;
        for scope in [Scope::Upcoming, Scope::Everything] {
            let _ = onboarding::plan(&config, today, scope, None, &facts);
        }
        let feeds = config
            .time_off_feeds
            .iter()
            .map(|_| Ok(feed.to_owned()))
            .collect();
        let facts = pto::gather(None::<&Offline>, &config, today, None, feeds).await;
        for scope in [Scope::Upcoming, Scope::Everything] {
            let _ = pto::plan(&config, today, scope, None, &facts);
        }
    });
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
}

/// A date as a config may hold it, in or far outside the accepted years, sometimes not a
/// date at all.
fn any_date() -> impl Strategy<Value = String> {
    // Mostly accepted dates, so that many configs get as far as planning.
    prop_oneof![
        20 => (2000i32..2101, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => (-300_000i32..300_000, 1u32..13, 1u32..32)
            .prop_map(|(y, m, d)| format!("{y:+}-{m:02}-{d:02}")),
        1 => Just("9999-12-31".to_owned()),
        1 => Just("-0001-01-01".to_owned()),
        1 => Just("+10000-01-01".to_owned()),
        2 => Just("2100-12-31".to_owned()),
        2 => Just("2000-01-01".to_owned()),
    ]
}

/// A day count as a config may hold it.
fn any_days() -> impl Strategy<Value = u64> {
    prop_oneof![
        20 => 0u64..=366,
        1 => Just(u64::from(u32::MAX)),
        1 => any::<u32>().prop_map(u64::from),
    ]
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n\
SUMMARY:bob away\r\nDTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261219\r\n\
ATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn mapping() -> FeedMapping {
    FeedMapping {
        from: PersonFrom::Attendee,
        people: vec![("bob@example.com".to_owned(), "bob".to_owned())],
        zone: chrono_tz::Tz::UTC,
    }
}

/// Lines an iCalendar file is made of, hostile ones included, to shuffle into files that get
/// past the first line and into the parser and the recurrence expansion.
fn ics_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("BEGIN:VEVENT".to_owned()),
        Just("END:VEVENT".to_owned()),
        Just("BEGIN:VALARM".to_owned()),
        Just("END:VALARM".to_owned()),
        Just("UID:x".to_owned()),
        Just("SUMMARY:bob".to_owned()),
        Just("ATTENDEE:mailto:bob@example.com".to_owned()),
        Just("RRULE:FREQ=DAILY".to_owned()),
        Just("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".to_owned()),
        Just("RRULE:FREQ=SECONDLY".to_owned()),
        Just("STATUS:CANCELLED".to_owned()),
        Just(" folded".to_owned()),
        "(DTSTART|DTEND|EXDATE|RECURRENCE-ID|RDATE);VALUE=DATE:[0-9]{8}".prop_map(|s| s),
        "(DTSTART|DTEND|RECURRENCE-ID)(;TZID=[A-Za-z/]{0,20})?:[0-9]{8}T[0-9]{6}Z?"
            .prop_map(|s| s),
        "DURATION:[+-]?P[0-9WDTHMS]{0,12}".prop_map(|s| s),
        "RRULE:FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY);(COUNT=[0-9]{1,6}|UNTIL=[0-9]{8}|INTERVAL=[0-9]{1,4}|BYDAY=-?[0-9]{0,2}(MO|SU))"
            .prop_map(|s| s),
        "[A-Z-]{1,10}:[ -~]{0,20}".prop_map(|s| s),
    ]
}

fn ics_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(ics_line(), 0..30).prop_map(|lines| {
        format!(
            "BEGIN:VCALENDAR\r\n{}\r\nEND:VCALENDAR\r\n",
            lines.join("\r\n")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_bytes_as_a_config_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        parse_and_plan(&text, &Files::default(), today(), FEED);
    }

    #[test]
    fn any_bytes_as_ics_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = teamcadence_core::ics::holidays_from_ics(&text, chrono_tz::Tz::UTC);
        let _ = time_off_from_ics(&text, &mapping());
        // Past the first line, so that the parser and the expansion see the rest.
        let text = format!("BEGIN:VCALENDAR\r\n{text}");
        let _ = teamcadence_core::ics::holidays_from_ics(&text, chrono_tz::Tz::UTC);
        let _ = time_off_from_ics(&text, &mapping());
    }

    #[test]
    fn any_ics_made_of_calendar_lines_is_read_or_refused(text in ics_text()) {
        let _ = teamcadence_core::ics::holidays_from_ics(&text, chrono_tz::Tz::UTC);
        let _ = time_off_from_ics(&text, &mapping());
        let files = Files([("h.ics".to_owned(), text.clone())].into());
        let config = format!(
            "holidays:\n  h: {{ ics: h.ics }}\n{TEAM_WITH_FEED}"
        );
        parse_and_plan(&config, &files, today(), &text);
    }

    #[test]
    fn any_numbers_and_dates_in_the_date_fields_never_panic(
        dates in proptest::collection::vec(any_date(), 9),
        days in proptest::collection::vec(any_days(), 5),
        today in any_date(),
    ) {
        let config = format!(
            "milestones:\n  source: list\n  list:\n    - {{ title: \"1\", start: \"{}\", end: \"{}\", release: \"{}\" }}\n\
             holidays:\n  h: {{ dates: [\"{}\"] }}\n\
             teams:\n  - id: t\n    name: T\n    project: g/p\n\
             \x20   planning: {{ create_days_before_start: {} }}\n\
             \x20   pto: {{ create_days_before: {}, min_working_days: {} }}\n\
             \x20   onboarding: {{ create_days_before: {}, due_days_after_start: {} }}\n\
             \x20   members:\n\
             \x20     - {{ username: alice, name: A, role: engineering-manager, joined: \"{}\", holidays: h }}\n\
             \x20     - {{ username: bob, name: B, role: backend-engineer, manager: alice }}\n\
             time_off:\n  - {{ person: bob, from: \"{}\", until: \"{}\", requested: \"{}\" }}\n\
             new_hires:\n  - {{ username: dave, name: D, team: t, role: backend-engineer, start: \"{}\" }}\n",
            dates[0], dates[1], dates[2], dates[3], days[0], days[1], days[2].max(1), days[3],
            days[4], dates[4], dates[5], dates[6], dates[7], dates[8],
        );
        // `today` comes from --today, which the command line holds to the accepted years;
        // the core must still not panic on any date it is handed.
        let today = NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap_or(NaiveDate::MAX);
        parse_and_plan(&config, &Files::default(), today, FEED);
    }
}

const TEAM_WITH_FEED: &str = "teams:
  - id: t
    name: T
    project: g/p
    members:
      - { username: alice, name: Alice, role: engineering-manager, holidays: h }
      - { username: bob, name: Bob, role: backend-engineer, manager: alice, holidays: h }
time_off_feeds:
  - { name: hr, file: feed.ics, people: { bob@example.com: bob } }
";
