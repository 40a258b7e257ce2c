//! Time off read from iCalendar (RFC 5545) feeds, which is how HR tools and shared team
//! calendars export it: which days each event covers, who it is about, and which events the
//! feed has cancelled.
//!
//! Each entry carries the id of the event it comes from, so that a run after the feed changed
//! updates the same coverage issue instead of opening another:
//! - `UID` for an event that does not recur (as a [`key_part`]: `/`, `#` and `%` escaped);
//! - `UID/YYYY-MM-DD` for an occurrence of a recurring event, the date being the first day the
//!   rule scheduled it on. An occurrence moved through `RECURRENCE-ID` keeps that date, so its
//!   issue is updated to the new days rather than replaced;
//! - followed by `#username` when one event is about several people, each of whom gets an
//!   entry (and so an issue) of their own.
//!
//! An event without a `UID` (which RFC 5545 requires) gets no id, so its entries fall back to
//! [`TimeOff::key`]'s person-and-first-day key, and it cannot be reported as cancelled.

use chrono_tz::Tz;
use icalendar::{Component, Event, PartStat};

use crate::calendar::{IcsError, Occurrence, describe, parse_ics, read_events};
use crate::limits::DateWindow;
use crate::record::key_part;
use crate::time_off::TimeOff;

/// How a feed's events name the person who is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonFrom {
    /// Every `ATTENDEE` whose address is mapped, except those who declined: an event with
    /// several of them is time off for each.
    Attendee,
    /// The `ORGANIZER`: the person who put the time off in the calendar.
    Organizer,
    /// A name at the start of the `SUMMARY`, as in "Alice Example - vacation".
    Summary,
}

/// How to read one feed: where its events name the person, who that is in GitLab, and the
/// zone its times without a `TZID` are read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMapping {
    /// Where the events name the person who is away.
    pub from: PersonFrom,
    /// What the feed names people by, matched case-insensitively, with each one's GitLab
    /// username: e-mail addresses for [`PersonFrom::Attendee`] and [`PersonFrom::Organizer`]
    /// (`mailto:` is ignored), names for [`PersonFrom::Summary`] (matched at the start of the
    /// summary, followed by anything but a letter: "Alice Example: OOO"). A blank username
    /// maps no one.
    pub people: Vec<(String, String)>,
    /// The zone floating times are read in and `Z` times are dated in (the configuration's
    /// zone); times with a `TZID` are dated in that zone, and all-day dates are dates anywhere.
    pub zone: Tz,
}

/// What one feed says about time off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedTimeOff {
    /// The time off, each with the id described in the [module documentation](self) and the
    /// event's `SUMMARY` as its note, in the order of the feed.
    pub entries: Vec<TimeOff>,
    /// The ids (same scheme) of the events and single occurrences the feed marks
    /// `STATUS:CANCELLED`, sorted, so that their issues can be closed. A cancelled recurring
    /// event lists each of its occurrences.
    pub cancelled: Vec<String>,
    /// One line for each event whose person could not be mapped (its summary and first day),
    /// for a warning.
    pub unmapped: Vec<String>,
}

/// Reads the time off in an iCalendar feed.
///
/// Every event is time off (whether the feed marks it busy or `TRANSP:TRANSPARENT`, as HR
/// exports do) of the people `mapping` finds in it. It covers the local dates from its start
/// to its end: all-day events up to (not including) `DTEND`, or one day without one; timed
/// events the dates they touch in their `TZID`, else in `mapping.zone`, where an end at 00:00
/// does not touch that day. Recurring events are expanded the way
/// [`Holidays::from_ics`](crate::calendar::Holidays::from_ics) expands them (over every
/// date a config accepts, honouring `EXDATE` and overrides through `RECURRENCE-ID`); a run
/// reads only the dates it needs with [`time_off_in_window`].
///
/// A text that is not a valid iCalendar file, or an event whose dates cannot be read, is an
/// error for the whole feed, so that no one acts on half of it.
pub fn time_off_from_ics(text: &str, mapping: &FeedMapping) -> Result<FeedTimeOff, IcsError> {
    time_off_in_window(text, mapping, DateWindow::accepted())
}

/// Reads the time off in an iCalendar feed as [`time_off_from_ics`] does, keeping only the
/// occurrences that touch `window` (the dates a run looks at): recurring events are expanded
/// through the window and no further, within the bounds of [`crate::limits`].
pub fn time_off_in_window(
    text: &str,
    mapping: &FeedMapping,
    window: DateWindow,
) -> Result<FeedTimeOff, IcsError> {
    let calendar = parse_ics(text)?;
    let mut feed = FeedTimeOff::default();
    for read in read_events(&calendar, mapping.zone, window)? {
        let Some(first) = read.occurrences.first() else {
            continue;
        };
        let event = read.event;
        let people = mapping.people_in(event);
        let uid = event.get_uid();
        if read.is_cancelled() {
            // Nobody to name is no reason to keep an issue open: the plain id still finds it.
            for occurrence in &read.occurrences {
                for suffix in suffixes(&people) {
                    feed.cancelled
                        .extend(uid.map(|uid| occurrence_id(uid, occurrence, suffix)));
                }
            }
            continue;
        }
        if people.is_empty() {
            feed.unmapped.push(format!(
                "the event {} from {}",
                describe(event),
                first.first
            ));
            continue;
        }
        let note = event.get_summary().map(str::to_owned);
        for occurrence in &read.occurrences {
            for (person, suffix) in people.iter().zip(suffixes(&people)) {
                // Occurrences never end before they start and blank usernames map no one,
                // so every entry can be built.
                if let Ok(entry) = TimeOff::new(*person, occurrence.first, occurrence.last) {
                    let id = uid.map(|uid| occurrence_id(uid, occurrence, suffix));
                    feed.entries.push(entry.with_id(id).with_note(note.clone()));
                }
            }
        }
    }
    feed.cancelled.sort();
    feed.cancelled.dedup();
    Ok(feed)
}

impl FeedMapping {
    /// The usernames of the people `event` is about, each once, in the order the event names
    /// them.
    fn people_in(&self, event: &Event) -> Vec<&str> {
        let mut people: Vec<&str> = match self.from {
            PersonFrom::Attendee => event
                .get_attendees()
                .iter()
                .filter(|attendee| attendee.part_stat != Some(PartStat::Declined))
                .filter_map(|attendee| self.by_address(&attendee.cal_address))
                .collect(),
            PersonFrom::Organizer => event
                .property_value("ORGANIZER")
                .and_then(|organizer| self.by_address(organizer))
                .into_iter()
                .collect(),
            PersonFrom::Summary => event
                .get_summary()
                .and_then(|summary| self.by_summary(summary))
                .into_iter()
                .collect(),
        };
        let mut seen = Vec::new();
        people.retain(|person| {
            let first_time = !seen.contains(person);
            seen.push(*person);
            first_time
        });
        people
    }

    /// The username mapped to a calendar address such as `mailto:alice@example.com`.
    fn by_address(&self, address: &str) -> Option<&str> {
        let address = plain_address(address);
        self.usernames()
            .find(|(mapped, _)| plain_address(mapped) == address)
            .map(|(_, username)| username)
    }

    /// The username of the longest mapped name the summary starts with, so that "Alice
    /// Example" wins over "Alice" and "Alicia" matches neither.
    fn by_summary(&self, summary: &str) -> Option<&str> {
        let summary = summary.trim_start().to_lowercase();
        self.usernames()
            .map(|(name, username)| (name.trim().to_lowercase(), username))
            .filter(|(name, _)| {
                !name.is_empty()
                    && summary
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| !rest.starts_with(char::is_alphabetic))
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, username)| username)
    }

    /// The mapped values with their usernames, without blank usernames.
    fn usernames(&self) -> impl Iterator<Item = (&str, &str)> {
        self.people
            .iter()
            .map(|(value, username)| (value.as_str(), username.trim()))
            .filter(|(_, username)| !username.is_empty())
    }
}

/// An e-mail address as compared: without `mailto:`, surrounding space and case.
fn plain_address(address: &str) -> String {
    let address = address.trim();
    let without_scheme = match address.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &address[7..],
        _ => address,
    };
    without_scheme.trim().to_lowercase()
}

/// The `#username` suffix of each person's id: only an event about several people needs one,
/// so that the usual event keeps the plain id (and a cancelled event that names no one still
/// gets its plain id).
fn suffixes<'a>(people: &[&'a str]) -> Vec<Option<&'a str>> {
    match people {
        [_, _, ..] => people.iter().copied().map(Some).collect(),
        _ => vec![None],
    }
}

/// The id of one occurrence of the event `uid`, for the person named by `suffix`. The `UID`
/// and the person are key parts, so that a `UID` holding `/` or `#` cannot take the shape of
/// another event's or a config entry's key.
fn occurrence_id(uid: &str, occurrence: &Occurrence, suffix: Option<&str>) -> String {
    let uid = key_part(uid);
    let id = match occurrence.scheduled {
        Some(day) => format!("{uid}/{day}"),
        None => uid,
    };
    match suffix {
        Some(person) => format!("{id}#{}", key_part(person)),
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::{Asia, Europe};

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn ics(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    /// A VEVENT with these properties.
    fn event(properties: &[&str]) -> String {
        format!(
            "BEGIN:VEVENT\r\n{}\r\nEND:VEVENT\r\n",
            properties.join("\r\n")
        )
    }

    fn mapping(from: PersonFrom, zone: Tz) -> FeedMapping {
        FeedMapping {
            from,
            people: vec![
                ("alice@example.com".to_owned(), "alice".to_owned()),
                ("bob@example.com".to_owned(), "bob".to_owned()),
                ("Alice Example".to_owned(), "alice".to_owned()),
                ("Al".to_owned(), "al".to_owned()),
                ("Bob".to_owned(), "bob".to_owned()),
                ("nobody@example.com".to_owned(), " ".to_owned()),
            ],
            zone,
        }
    }

    fn read(events: &str, from: PersonFrom, zone: Tz) -> FeedTimeOff {
        time_off_from_ics(&ics(events), &mapping(from, zone)).unwrap()
    }

    /// Each entry as "id: person first..last".
    fn entries(feed: &FeedTimeOff) -> Vec<String> {
        feed.entries
            .iter()
            .map(|entry| {
                let id = entry.id().unwrap_or("(no id)");
                let (person, first, last) = (entry.person(), entry.first(), entry.last());
                format!("{id}: {person} {first}..{last}")
            })
            .collect()
    }

    #[test]
    fn all_day_events_cover_every_day_before_dtend() {
        let feed = read(
            "BEGIN:VEVENT\r\n\
             UID:hr-1@example.com\r\n\
             SUMMARY:Alice Example - vacation\r\n\
             TRANSP:TRANSPARENT\r\n\
             DTSTART;VALUE=DATE:20260706\r\n\
             DTEND;VALUE=DATE:20260718\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:hr-2@example.com\r\n\
             SUMMARY:Bob: dentist\r\n\
             DTSTART;VALUE=DATE:20260710\r\n\
             END:VEVENT\r\n",
            PersonFrom::Summary,
            Tz::UTC,
        );
        assert_eq!(
            entries(&feed),
            [
                "hr-1@example.com: alice 2026-07-06..2026-07-17",
                "hr-2@example.com: bob 2026-07-10..2026-07-10"
            ]
        );
        assert_eq!(feed.entries[0].note(), Some("Alice Example - vacation"));
        assert_eq!(feed.entries[0].key(), "pto/hr-1@example.com");
        assert!(feed.cancelled.is_empty() && feed.unmapped.is_empty());
    }

    #[test]
    fn timed_events_across_a_dst_change_are_dated_in_their_zone() {
        // Amsterdam leaves summer time on 2026-10-25, so its midnight is 22:00 UTC before and
        // 23:00 UTC after. The event with a TZID is dated there whatever the feed's zone (in
        // Tokyo it would reach into 2026-11-02); UTC times are dated in the feed's zone (in UTC
        // the second would start on 2026-10-22); floating times are wall-clock time there.
        let events = [
            event(&[
                "UID:tzid",
                "SUMMARY:Alice Example - trip",
                "DTSTART;TZID=Europe/Amsterdam:20261023T090000",
                "DTEND;TZID=Europe/Amsterdam:20261102T000000",
            ]),
            event(&[
                "UID:utc",
                "SUMMARY:Bob - trip",
                "DTSTART:20261022T220000Z",
                "DTEND:20261101T230000Z",
            ]),
            event(&[
                "UID:floating",
                "SUMMARY:Al - trip",
                "DTSTART:20261023T000000",
                "DTEND:20261102T000000",
            ]),
        ]
        .concat();
        let dates = |zone| {
            read(&events, PersonFrom::Summary, zone)
                .entries
                .iter()
                .map(|entry| (entry.first(), entry.last()))
                .collect::<Vec<_>>()
        };
        let october_23_to_november_1 = (d(2026, 10, 23), d(2026, 11, 1));
        assert_eq!(dates(Europe::Amsterdam), [october_23_to_november_1; 3]);
        assert_eq!(
            dates(Asia::Tokyo),
            [
                october_23_to_november_1,
                (d(2026, 10, 23), d(2026, 11, 2)),
                october_23_to_november_1,
            ]
        );
    }

    #[test]
    fn a_timed_event_ending_at_midnight_does_not_cover_that_day() {
        let events = "BEGIN:VEVENT\r\n\
             UID:midnight\r\n\
             SUMMARY:Bob - off\r\n\
             DTSTART:20260706T080000Z\r\n\
             DTEND:20260711T000000Z\r\n\
             END:VEVENT\r\n";
        let feed = read(events, PersonFrom::Summary, Tz::UTC);
        assert_eq!(entries(&feed), ["midnight: bob 2026-07-06..2026-07-10"]);
        // In Amsterdam that end is 02:00 on Saturday, which is then a day away too.
        let feed = read(events, PersonFrom::Summary, Europe::Amsterdam);
        assert_eq!(feed.entries[0].last(), d(2026, 7, 11));
    }

    #[test]
    fn a_weekly_rule_skips_exdates_and_a_moved_occurrence_keeps_its_id() {
        // Fridays off in July; the 10th is skipped and the 17th moves to Thursday the 16th.
        let feed = read(
            "BEGIN:VEVENT\r\n\
             UID:fridays\r\n\
             SUMMARY:Alice Example - part-time\r\n\
             DTSTART;TZID=Europe/Berlin:20260703T090000\r\n\
             DTEND;TZID=Europe/Berlin:20260703T170000\r\n\
             RRULE:FREQ=WEEKLY;COUNT=4\r\n\
             EXDATE;TZID=Europe/Berlin:20260710T090000\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:fridays\r\n\
             RECURRENCE-ID;TZID=Europe/Berlin:20260717T090000\r\n\
             SUMMARY:Alice Example - part-time (moved)\r\n\
             DTSTART;TZID=Europe/Berlin:20260716T090000\r\n\
             DTEND;TZID=Europe/Berlin:20260716T170000\r\n\
             END:VEVENT\r\n",
            PersonFrom::Summary,
            Tz::UTC,
        );
        assert_eq!(
            entries(&feed),
            [
                "fridays/2026-07-03: alice 2026-07-03..2026-07-03",
                "fridays/2026-07-24: alice 2026-07-24..2026-07-24",
                "fridays/2026-07-17: alice 2026-07-16..2026-07-16"
            ]
        );
        assert_eq!(
            feed.entries[2].note(),
            Some("Alice Example - part-time (moved)")
        );
    }

    #[test]
    fn cancelled_events_and_occurrences_are_listed_for_closing() {
        let feed = read(
            "BEGIN:VEVENT\r\n\
             UID:called-off\r\n\
             SUMMARY:Bob - conference\r\n\
             STATUS:CANCELLED\r\n\
             DTSTART;VALUE=DATE:20260901\r\n\
             DTEND;VALUE=DATE:20260905\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:mondays\r\n\
             SUMMARY:Alice Example - course\r\n\
             DTSTART;VALUE=DATE:20260907\r\n\
             RRULE:FREQ=WEEKLY;COUNT=3\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:mondays\r\n\
             RECURRENCE-ID;VALUE=DATE:20260914\r\n\
             STATUS:CANCELLED\r\n\
             SUMMARY:Alice Example - course\r\n\
             DTSTART;VALUE=DATE:20260914\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:series-off\r\n\
             SUMMARY:Someone else - course\r\n\
             STATUS:CANCELLED\r\n\
             DTSTART;VALUE=DATE:20261001\r\n\
             RRULE:FREQ=MONTHLY;COUNT=2\r\n\
             END:VEVENT\r\n",
            PersonFrom::Summary,
            Tz::UTC,
        );
        assert_eq!(
            feed.cancelled,
            [
                "called-off",
                "mondays/2026-09-14",
                "series-off/2026-10-01",
                "series-off/2026-11-01",
            ]
        );
        assert_eq!(
            entries(&feed),
            [
                "mondays/2026-09-07: alice 2026-09-07..2026-09-07",
                "mondays/2026-09-21: alice 2026-09-21..2026-09-21"
            ]
        );
        assert!(
            feed.unmapped.is_empty(),
            "a cancelled event needs no person"
        );
    }

    #[test]
    fn attendees_map_every_person_and_several_get_an_id_each() {
        let feed = read(
            "BEGIN:VEVENT\r\n\
             UID:offsite\r\n\
             SUMMARY:Team offsite\r\n\
             DTSTART;VALUE=DATE:20260601\r\n\
             ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED:mailto:carol@example.com\r\n\
             ATTENDEE;CN=Alice:MAILTO:Alice@Example.com\r\n\
             ATTENDEE;PARTSTAT=DECLINED:mailto:nobody@example.com\r\n\
             ATTENDEE:mailto:bob@example.com\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:leave\r\n\
             SUMMARY:Parental leave\r\n\
             DTSTART;VALUE=DATE:20260602\r\n\
             ATTENDEE;PARTSTAT=DECLINED:mailto:alice@example.com\r\n\
             ATTENDEE:mailto:bob@example.com\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:stranger\r\n\
             SUMMARY:Vacation\r\n\
             DTSTART;VALUE=DATE:20260603\r\n\
             ATTENDEE:mailto:carol@example.com\r\n\
             ATTENDEE:mailto:nobody@example.com\r\n\
             END:VEVENT\r\n",
            PersonFrom::Attendee,
            Tz::UTC,
        );
        assert_eq!(
            entries(&feed),
            [
                "offsite#alice: alice 2026-06-01..2026-06-01",
                "offsite#bob: bob 2026-06-01..2026-06-01",
                "leave: bob 2026-06-02..2026-06-02"
            ]
        );
        assert_eq!(feed.unmapped, ["the event \"Vacation\" from 2026-06-03"]);
    }

    #[test]
    fn the_organizer_names_the_person() {
        let feed = read(
            "BEGIN:VEVENT\r\n\
             UID:ooo\r\n\
             SUMMARY:OOO\r\n\
             DTSTART;VALUE=DATE:20260803\r\n\
             ORGANIZER;CN=Bob:mailto:bob@example.com\r\n\
             ATTENDEE:mailto:alice@example.com\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:no-organizer\r\n\
             DTSTART;VALUE=DATE:20260804\r\n\
             ATTENDEE:mailto:alice@example.com\r\n\
             END:VEVENT\r\n",
            PersonFrom::Organizer,
            Tz::UTC,
        );
        assert_eq!(entries(&feed), ["ooo: bob 2026-08-03..2026-08-03"]);
        assert_eq!(
            feed.unmapped,
            ["the event with UID \"no-organizer\" from 2026-08-04"]
        );
    }

    #[test]
    fn a_name_at_the_start_of_the_summary_names_the_person() {
        let on_august_3 = |uid: &str, summary: &str| {
            let (uid, summary) = (format!("UID:{uid}"), format!("SUMMARY:{summary}"));
            event(&[&uid, &summary, "DTSTART;VALUE=DATE:20260803"])
        };
        let events = [
            on_august_3("dash", "Alice Example - vacation"),
            on_august_3("colon", "alice example: OOO"),
            on_august_3("exact", "BOB"),
            on_august_3("short", "Al (sick)"),
            on_august_3("longer-name", "Alicia - vacation"),
            on_august_3("inside", "Vacation of Bob"),
        ]
        .concat();
        let feed = read(&events, PersonFrom::Summary, Tz::UTC);
        let people: Vec<_> = feed
            .entries
            .iter()
            .map(|entry| (entry.id().unwrap(), entry.person()))
            .collect();
        assert_eq!(
            people,
            [
                ("dash", "alice"),
                ("colon", "alice"),
                ("exact", "bob"),
                ("short", "al")
            ]
        );
        assert_eq!(
            feed.unmapped,
            [
                "the event \"Alicia - vacation\" from 2026-08-03",
                "the event \"Vacation of Bob\" from 2026-08-03",
            ]
        );
    }

    #[test]
    fn malformed_feeds_are_errors() {
        let mapping = mapping(PersonFrom::Summary, Tz::UTC);
        assert_eq!(
            time_off_from_ics("<html>Sign in</html>", &mapping),
            Err(IcsError::NotACalendar)
        );
        let unclosed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Bob - off\r\nEND:VCALENDAR\r\n";
        assert!(matches!(
            time_off_from_ics(unclosed, &mapping),
            Err(IcsError::Malformed { line: Some(4), .. })
        ));
        let no_start = ics("BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Bob - off\r\nEND:VEVENT\r\n");
        let error = time_off_from_ics(&no_start, &mapping).unwrap_err();
        assert_eq!(
            error,
            IcsError::MissingStart {
                event: "\"Bob - off\"".to_owned()
            }
        );
        assert!(error.to_string().contains("add one"), "{error}");
    }
}
