//! iCalendar (RFC 5545) reading, for holidays and time off alike: what holiday calendars,
//! HR tools and shared team calendars export. One reader expands recurrences, exceptions and
//! cancellations within bounds; holidays and time off are both dated in the zone of the
//! person they are about.
//!
//! **How a timed span is dated.** All-day events cover their dates wherever the person is.
//! A timed event (with a `TZID`, in UTC with `Z`, or floating, which is read as the
//! person's wall-clock time) covers a day of the person when it covers at least half of
//! that day's core hours, 09:00 to 17:00 in the person's zone (4 of those 8 hours). So an
//! absence from Monday 09:00 to Thursday 17:00 in Los Angeles is Monday to Thursday there,
//! even though it ends on Friday in UTC, and a holiday from 00:00 to 24:00 UTC is one day in
//! Tokyo (09:00 to 24:00 there), not two. An event without a length covers the day it
//! starts on.
//!
//! Each time off entry carries the id of the event it comes from, so that a run after the
//! feed changed updates the same coverage issue instead of opening another:
//! - `UID` for an event that does not recur (as a [`key_part`]: `/`, `#` and `%` escaped);
//! - `UID/YYYY-MM-DD` for an occurrence of a recurring event, the date being the first day the
//!   rule scheduled it on (in the event's `TZID`, else in the configuration's zone). An
//!   occurrence moved through `RECURRENCE-ID` keeps that date, so its issue is updated to the
//!   new days rather than replaced;
//! - followed by `#username` when one event is about several people, each of whom gets an
//!   entry (and so an issue) of their own.
//!
//! An event without a `UID` (which RFC 5545 requires) gets no id, so its entries fall back to
//! [`TimeOff::key`]'s person-and-first-day key, and it cannot be reported as cancelled.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use icalendar::{
    CalendarDateTime, Component, DatePerhapsTime, Event, EventStatus, PartStat, Property,
};

use crate::calendar::Holidays;
use crate::limits::{DateWindow, MAX_ICS_DEPTH, MAX_OCCURRENCES, MAX_RECURRENCE_STEPS};
use crate::record::key_part;
use crate::time_off::TimeOff;

/// No holiday (nor one stretch of time off) lasts longer than a year; a longer event is almost
/// certainly a wrong `DTEND`.
const MAX_EVENT_DAYS: i64 = 366;

/// Why an iCalendar text could not be read (as holidays, or as time off).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    /// The text does not start with `BEGIN:VCALENDAR`.
    #[error(
        "the text is not an iCalendar file (it must start with BEGIN:VCALENDAR); export the \
         calendar as an .ics file and use that"
    )]
    NotACalendar,
    /// The iCalendar parser rejected the text.
    #[error(
        "the iCalendar text could not be parsed: {detail}; fix that line (a folded line counts \
         as one) or export the calendar again"
    )]
    Malformed {
        /// The line the parser stopped at, when it says.
        line: Option<usize>,
        /// What the parser reported, with the lines involved.
        detail: String,
    },
    /// An event has no `DTSTART`, so it has no date.
    #[error(
        "the event {event} has no DTSTART, so its date is unknown; add one (for example \
         DTSTART;VALUE=DATE:20261225) or remove the event"
    )]
    MissingStart {
        /// The event's SUMMARY or UID.
        event: String,
    },
    /// A date property holds something that is not a date.
    #[error(
        "the event {event} has {property} {value:?}, which is not a date (YYYYMMDD) or date-time \
         (YYYYMMDDTHHMMSS, with a trailing Z for UTC); correct the value"
    )]
    InvalidDate {
        /// The event's SUMMARY or UID.
        event: String,
        /// The property holding the value (DTSTART, DTEND, EXDATE, ...).
        property: String,
        /// The value as written.
        value: String,
    },
    /// A `TZID` is not an IANA time zone name.
    #[error(
        "the event {event} uses TZID {tzid:?}, which is not an IANA time zone name; use a name \
         such as Europe/Amsterdam, or make the event an all-day event"
    )]
    UnknownTimezone {
        /// The event's SUMMARY or UID.
        event: String,
        /// The TZID as written.
        tzid: String,
    },
    /// A `DURATION` is not an RFC 5545 duration.
    #[error(
        "the event {event} has DURATION {value:?}, which is not a duration such as P1D or PT8H; \
         correct it or give a DTEND instead"
    )]
    InvalidDuration {
        /// The event's SUMMARY or UID.
        event: String,
        /// The value as written.
        value: String,
    },
    /// An `RRULE` could not be expanded.
    #[error(
        "the event {event} has a recurrence rule that cannot be expanded ({detail}); check its \
         RRULE against RFC 5545 or list the dates as separate events"
    )]
    InvalidRecurrence {
        /// The event's SUMMARY or UID.
        event: String,
        /// What the recurrence library reported.
        detail: String,
    },
    /// An event lasts longer than any holiday or single time off does.
    #[error(
        "the event {event} lasts {days} days, more than the {MAX_EVENT_DAYS} days an event \
         may cover; check its DTEND or DURATION, or split it into shorter events"
    )]
    TooLong {
        /// The event's SUMMARY or UID.
        event: String,
        /// How many days it covers.
        days: i64,
    },
    /// Components are nested deeper than RFC 5545 allows.
    #[error(
        "line {line} opens a component nested {depth} deep, deeper than iCalendar allows \
         ({MAX_ICS_DEPTH}: VCALENDAR > VEVENT > VALARM); close each component with its END line \
         or export the calendar again"
    )]
    TooDeep {
        /// The (unfolded) line of the `BEGIN` that went too deep.
        line: usize,
        /// How deep it would have nested.
        depth: usize,
    },
    /// Expanding the recurring events took more steps than any real calendar needs.
    #[error(
        "expanding the recurring events took more than {MAX_RECURRENCE_STEPS} steps (the \
         bound on recurrence expansion), at the event {event}; give its RRULE an UNTIL or a \
         COUNT, or a later DTSTART"
    )]
    TooManySteps {
        /// The event being expanded when the bound was hit.
        event: String,
    },
    /// The events have more occurrences in the window read than any real calendar.
    #[error(
        "the events have more than {MAX_OCCURRENCES} occurrences between {from} and {until} \
         (the bound on occurrences in the dates read), at the event {event}; remove daily \
         rules or split the calendar"
    )]
    TooManyOccurrences {
        /// The event whose occurrences went past the bound.
        event: String,
        /// The first date read.
        from: NaiveDate,
        /// The last date read.
        until: NaiveDate,
    },
}

/// Refuses components nested deeper than [`MAX_ICS_DEPTH`], before the parser (which
/// recurses once per level) sees them: a hostile file of nested `BEGIN:VEVENT` lines would
/// otherwise overflow the stack. Lines are counted as the parser sees them, unfolded.
fn check_nesting(text: &str) -> Result<(), IcsError> {
    let unfolded = icalendar::parser::unfold(text);
    let mut open: Vec<&str> = Vec::new();
    for (index, line) in unfolded.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some((key, name)) = line.split_once(':') else {
            continue;
        };
        if key.eq_ignore_ascii_case("BEGIN") {
            open.push(name);
            if open.len() > MAX_ICS_DEPTH {
                return Err(IcsError::TooDeep {
                    line: index + 1,
                    depth: open.len(),
                });
            }
        } else if key.eq_ignore_ascii_case("END") && open.last() == Some(&name) {
            // Only an END the parser also takes closes a level; any other fails there.
            open.pop();
        }
    }
    Ok(())
}

/// Condenses the parser's multi-line report (one entry per nested rule, innermost first) to
/// the rules a person can relate to, each with its line.
fn parse_error(raw: &str) -> IcsError {
    let entries: Vec<(usize, &str, &str)> = raw
        .split("\n\n")
        .filter_map(|entry| {
            let mut lines = entry.trim().lines();
            let (_, position) = lines.next()?.split_once("at line ")?;
            let (line, rule) = position.split_once(", in ")?;
            let text = lines.next().unwrap_or_default().trim();
            Some((line.parse().ok()?, rule.trim_end_matches(':'), text))
        })
        .collect();
    let Some(&(line, _, text)) = entries.first() else {
        return IcsError::Malformed {
            line: None,
            detail: raw.trim_start_matches("error: ").trim().to_owned(),
        };
    };
    // nom's own rule names (Tag, Satisfy, ...) are capitalised; the parser's are sentences.
    let rules: Vec<String> = entries
        .iter()
        .filter(|(_, rule, _)| rule.starts_with(|c: char| c.is_lowercase()))
        .map(|(line, rule, text)| format!("{rule} at line {line} ({text:?})"))
        .collect();
    let detail = if rules.is_empty() {
        format!("unexpected text at line {line} ({text:?})")
    } else {
        rules.join(", in ")
    };
    IcsError::Malformed {
        line: Some(line),
        detail,
    }
}

/// A point an event starts at, read in the frame its dates are taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// An all-day date.
    Day(NaiveDate),
    /// A timed point. `at` is in the zone whose wall clock a recurrence keeps: the `TZID`, UTC
    /// for `Z` times, the reading zone for floating times. Its dates are read in `dated_in`:
    /// the `TZID`, else the reading zone.
    Time { at: DateTime<Tz>, dated_in: Tz },
}

impl Anchor {
    fn date(self) -> NaiveDate {
        match self {
            Anchor::Day(date) => date,
            Anchor::Time { at, dated_in } => at.with_timezone(&dated_in).date_naive(),
        }
    }

    /// The zone the dates of an event starting here are read in (none for all-day events).
    fn dated_in(self) -> Option<Tz> {
        match self {
            Anchor::Day(_) => None,
            Anchor::Time { dated_in, .. } => Some(dated_in),
        }
    }

    /// The wall-clock time in `zone` (else in its own), which is how an end is compared with
    /// its start.
    fn local_in(self, zone: Option<Tz>) -> NaiveDateTime {
        match self {
            Anchor::Day(date) => date.and_time(NaiveTime::MIN),
            Anchor::Time { at, dated_in } => {
                at.with_timezone(&zone.unwrap_or(dated_in)).naive_local()
            }
        }
    }
}

/// The zones an iCalendar file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zones {
    /// Where `Z` times are dated for the ids of recurring occurrences (the configuration's
    /// zone for feeds, kept so that ids do not change with the person).
    pub(crate) ids: Tz,
    /// The zone of the person the events are about: floating times are their wall-clock
    /// time, and timed events cover their days.
    pub(crate) person: Tz,
}

impl Zones {
    /// One zone for everything.
    pub(crate) fn both(zone: Tz) -> Self {
        Self {
            ids: zone,
            person: zone,
        }
    }
}

/// An occurrence to leave out (EXDATE, or one replaced through RECURRENCE-ID).
#[derive(Debug, Clone, Copy)]
enum Exclusion {
    Day(NaiveDate),
    /// An instant, in the zone its date is read in.
    Instant(DateTime<Tz>),
}

impl Exclusion {
    fn matches(self, occurrence: &DateTime<icalendar::Tz>, start: Anchor) -> bool {
        match (self, start) {
            (Exclusion::Instant(instant), Anchor::Time { .. }) => {
                occurrence.with_timezone(&Utc) == instant.with_timezone(&Utc)
            }
            // An all-day occurrence is only a date, so a timed exclusion matches by date; a
            // date excludes whatever starts on it.
            _ => self.day(Some(start)) == occurrence_date(occurrence, start),
        }
    }

    /// The first day of the occurrence this names, dated like the occurrences of an event
    /// that starts at `start`.
    fn day(self, start: Option<Anchor>) -> NaiveDate {
        match (self, start.and_then(Anchor::dated_in)) {
            (Exclusion::Day(date), _) => date,
            (Exclusion::Instant(instant), Some(zone)) => instant.with_timezone(&zone).date_naive(),
            (Exclusion::Instant(instant), None) => instant.date_naive(),
        }
    }
}

/// How an event is named in error messages.
pub(crate) fn describe(event: &Event) -> String {
    match (event.get_summary(), event.get_uid()) {
        (Some(summary), _) => format!("{summary:?}"),
        (None, Some(uid)) => format!("with UID {uid:?}"),
        (None, None) => "without SUMMARY or UID".to_owned(),
    }
}

/// Reads a date property (DTSTART, DTEND, ...) of `event`: floating times as the person's
/// wall-clock time, and `Z` times dated (for ids) in `zones.ids`.
fn anchor(event: &Event, property: &Property, zones: Zones) -> Result<Anchor, IcsError> {
    let invalid = || IcsError::InvalidDate {
        event: describe(event),
        property: property.key().to_owned(),
        value: property.value().to_owned(),
    };
    match DatePerhapsTime::from_property(property).ok_or_else(invalid)? {
        DatePerhapsTime::Date(date) => Ok(Anchor::Day(date)),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(time)) => Ok(Anchor::Time {
            at: time.with_timezone(&Tz::UTC),
            dated_in: zones.ids,
        }),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(time)) => {
            local_to_instant(zones.person, time)
                .map(|at| Anchor::Time {
                    at,
                    dated_in: zones.person,
                })
                .ok_or_else(invalid)
        }
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let own_zone: Tz =
                tzid.trim_start_matches('/')
                    .parse()
                    .map_err(|_| IcsError::UnknownTimezone {
                        event: describe(event),
                        tzid: tzid.clone(),
                    })?;
            local_to_instant(own_zone, date_time)
                .map(|at| Anchor::Time {
                    at,
                    dated_in: own_zone,
                })
                .ok_or_else(invalid)
        }
    }
}

/// The instant a wall-clock time names. RFC 5545 reads an ambiguous time (clocks going back)
/// as the first one, and a time skipped by clocks going forward as if the clocks had not moved
/// yet, which lands it just after the gap.
fn local_to_instant(zone: Tz, time: NaiveDateTime) -> Option<DateTime<Tz>> {
    match zone.from_local_datetime(&time) {
        LocalResult::Single(instant) => Some(instant),
        LocalResult::Ambiguous(earliest, _) => Some(earliest),
        LocalResult::None => {
            let day_before = time.checked_sub_signed(TimeDelta::days(1))?;
            let before_gap = zone.from_local_datetime(&day_before).earliest()?;
            let offset = TimeDelta::seconds(i64::from(before_gap.offset().fix().local_minus_utc()));
            Some(zone.from_utc_datetime(&time.checked_sub_signed(offset)?))
        }
    }
}

/// The dates or instants an EXDATE or RECURRENCE-ID property names (EXDATE may list several).
fn exclusions(
    event: &Event,
    property: &Property,
    zones: Zones,
) -> Result<Vec<Exclusion>, IcsError> {
    property
        .value()
        .split(',')
        .map(|value| {
            let mut single = Property::new(property.key(), value.trim());
            for parameter in ["TZID", "VALUE"] {
                if let Some(found) = property.params().get(parameter) {
                    single.add_parameter(parameter, found.value());
                }
            }
            Ok(match anchor(event, &single, zones)? {
                Anchor::Day(date) => Exclusion::Day(date),
                Anchor::Time { at, dated_in } => Exclusion::Instant(at.with_timezone(&dated_in)),
            })
        })
        .collect()
}

/// Parses an RFC 5545 duration (`P1D`, `P2W`, `PT8H30M`, ...); negative ones make no sense
/// for an event's length.
fn parse_duration(value: &str) -> Option<TimeDelta> {
    let rest = value.strip_prefix('+').unwrap_or(value).strip_prefix('P')?;
    let (date_part, time_part) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = TimeDelta::zero();
    let mut read = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        let mut unit_index = 0;
        for character in part.chars() {
            if character.is_ascii_digit() {
                number.push(character);
                continue;
            }
            let position = units[unit_index..]
                .iter()
                .position(|(unit, _)| *unit == character)?;
            let (_, seconds) = units[unit_index + position];
            let amount: i64 = number.parse().ok()?;
            total = total.checked_add(&TimeDelta::try_seconds(amount.checked_mul(seconds)?)?)?;
            number.clear();
            unit_index += position + 1;
        }
        number.is_empty().then_some(())
    };
    read(date_part, &[('W', 7 * 86_400), ('D', 86_400)])?;
    if let Some(time_part) = time_part {
        read(time_part, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    (!(date_part.is_empty() && time_part.is_none())).then_some(total)
}

/// The last date an event covers, given its start.
fn last_date(event: &Event, start: Anchor, zones: Zones) -> Result<NaiveDate, IcsError> {
    let dated_in = start.dated_in();
    let start_local = start.local_in(dated_in);
    let end_local = if let Some(property) = event.properties().get("DTEND") {
        Some(anchor(event, property, zones)?.local_in(dated_in))
    } else if let Some(property) = event.properties().get("DURATION") {
        let duration =
            parse_duration(property.value()).ok_or_else(|| IcsError::InvalidDuration {
                event: describe(event),
                value: property.value().to_owned(),
            })?;
        start_local.checked_add_signed(duration)
    } else {
        None
    };
    // The end is exclusive (an all-day DTEND is the day after; a meeting ending at midnight
    // does not touch the next day). An end at or before the start still covers the start.
    Ok(match end_local {
        Some(end) if end > start_local => (end - TimeDelta::nanoseconds(1)).date(),
        _ => start.date(),
    })
}

/// Reads an RFC 5545 text (what holiday calendars and HR tools export) for [`read_events`].
pub(crate) fn parse_ics(text: &str) -> Result<icalendar::Calendar, IcsError> {
    let first_line = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty());
    if !first_line.is_some_and(|line| line.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err(IcsError::NotACalendar);
    }
    check_nesting(text)?;
    text.parse().map_err(|raw: String| parse_error(&raw))
}

/// One event of an iCalendar file, with the days of each of its occurrences.
#[derive(Debug, Clone)]
pub(crate) struct EventOccurrences<'a> {
    /// The event, or the override of one occurrence of a recurring event.
    pub(crate) event: &'a Event,
    /// Its occurrences in date order; none when every one is excluded or replaced.
    pub(crate) occurrences: Vec<Occurrence>,
}

impl EventOccurrences<'_> {
    /// Whether the event (or the override of one occurrence) is STATUS:CANCELLED.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.event.get_status() == Some(EventStatus::Cancelled)
    }
}

/// The days one occurrence of an event covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Occurrence {
    /// For an occurrence of a recurring event, the first day its rule scheduled it on, which
    /// an occurrence moved through RECURRENCE-ID keeps; `None` for an event that does not
    /// recur.
    pub(crate) scheduled: Option<NaiveDate>,
    /// The first day covered.
    pub(crate) first: NaiveDate,
    /// The last day covered (included).
    pub(crate) last: NaiveDate,
}

impl Occurrence {
    /// Every day covered, in order.
    pub(crate) fn dates(self) -> impl Iterator<Item = NaiveDate> {
        self.first
            .iter_days()
            .take_while(move |date| *date <= self.last)
    }
}

/// Every event of `calendar` with its occurrences that touch `window`: `RRULE`s expanded
/// through the window, without the `EXDATE`s and the occurrences that events with a
/// `RECURRENCE-ID` replace (those come as events of their own).
///
/// The work is bounded whatever the file says: at most [`MAX_RECURRENCE_STEPS`] steps of
/// recurrence expansion (counting those before the window) and [`MAX_OCCURRENCES`]
/// occurrences in the window, for the whole file; past either the file is refused with the
/// bound it hit.
///
/// Floating times are read as `zones.person`'s wall-clock time; the days of every timed
/// occurrence are those of `zones.person` (see the [module documentation](self)). The day
/// a recurring occurrence was scheduled on (its id) is read in the event's `TZID`, else in
/// `zones.ids` for `Z` times.
pub(crate) fn read_events(
    calendar: &icalendar::Calendar,
    zones: Zones,
    window: DateWindow,
) -> Result<Vec<EventOccurrences<'_>>, IcsError> {
    let mut budget = Budget {
        window,
        steps: 0,
        occurrences: 0,
    };
    let events: Vec<&Event> = calendar.events().collect();
    // An event with a RECURRENCE-ID replaces (or, when cancelled, removes) one occurrence
    // of the recurring event with the same UID; that occurrence must not be counted twice.
    let mut overridden: BTreeMap<&str, Vec<Exclusion>> = BTreeMap::new();
    // The event each override belongs to, by UID.
    let mut series: BTreeMap<&str, &Event> = BTreeMap::new();
    for event in &events {
        match (event.get_uid(), event.properties().get("RECURRENCE-ID")) {
            (Some(uid), Some(property)) => overridden
                .entry(uid)
                .or_default()
                .extend(exclusions(event, property, zones)?),
            (Some(uid), None) => {
                series.insert(uid, event);
            }
            (None, _) => {}
        }
    }
    events
        .into_iter()
        .map(|event| {
            let uid = event.get_uid();
            let occurrences = match event.properties().get("RECURRENCE-ID") {
                Some(property) => {
                    // Dated like the occurrence it replaces, so that the two name one day.
                    let replaced_start = uid
                        .and_then(|uid| series.get(uid))
                        .map(|master| start(master, zones))
                        .transpose()?;
                    let replaced = exclusions(event, property, zones)?;
                    let scheduled = replaced
                        .first()
                        .map(|exclusion| exclusion.day(replaced_start));
                    occurrences(event, &[], zones, &mut budget)?
                        .into_iter()
                        .map(|occurrence| Occurrence {
                            scheduled,
                            ..occurrence
                        })
                        .collect()
                }
                None => {
                    let replaced = uid
                        .and_then(|uid| overridden.get(uid))
                        .map_or(&[][..], Vec::as_slice);
                    occurrences(event, replaced, zones, &mut budget)?
                }
            };
            Ok(EventOccurrences { event, occurrences })
        })
        .collect()
}

/// Where `event` starts.
fn start(event: &Event, zones: Zones) -> Result<Anchor, IcsError> {
    let property = event
        .properties()
        .get("DTSTART")
        .ok_or_else(|| IcsError::MissingStart {
            event: describe(event),
        })?;
    anchor(event, property, zones)
}

/// How much of the window and of the bounds a file's expansion has used.
struct Budget {
    window: DateWindow,
    steps: usize,
    occurrences: usize,
}

impl Budget {
    /// Counts one step of recurrence expansion.
    fn step(&mut self, event: &Event) -> Result<(), IcsError> {
        self.steps += 1;
        if self.steps > MAX_RECURRENCE_STEPS {
            return Err(IcsError::TooManySteps {
                event: describe(event),
            });
        }
        Ok(())
    }

    /// Counts `count` more occurrences inside the window.
    fn take(&mut self, event: &Event, count: usize) -> Result<(), IcsError> {
        self.occurrences += count;
        if self.occurrences > MAX_OCCURRENCES {
            return Err(IcsError::TooManyOccurrences {
                event: describe(event),
                from: self.window.from,
                until: self.window.until,
            });
        }
        Ok(())
    }
}

/// Every occurrence of `event` that touches the budget's window, but those `replaced`
/// elsewhere.
fn occurrences(
    event: &Event,
    replaced: &[Exclusion],
    zones: Zones,
    budget: &mut Budget,
) -> Result<Vec<Occurrence>, IcsError> {
    let start = start(event, zones)?;
    let length = (last_date(event, start, zones)? - start.date()).num_days();
    if length >= MAX_EVENT_DAYS {
        return Err(IcsError::TooLong {
            event: describe(event),
            days: length + 1,
        });
    }
    let length = Days::new(u64::try_from(length).unwrap_or(0));

    let mut excluded = replaced.to_vec();
    if let Some(properties) = event.multi_properties().get("EXDATE") {
        for property in properties {
            excluded.extend(exclusions(event, property, zones)?);
        }
    }

    let rule = event.property_value("RRULE");
    let starts = match rule {
        Some(rule) => rule_starts(event, start, rule, &excluded, length, budget)?,
        None if excluded
            .iter()
            .any(|exclusion| exclusion.matches(&to_rrule_time(start), start)) =>
        {
            Vec::new()
        }
        None => vec![(start.date(), to_rrule_time(start).with_timezone(&Utc))],
    };
    let timed = match start {
        Anchor::Day(_) => None,
        Anchor::Time { .. } => Some(exact_length(event, start, zones)?),
    };
    let window = budget.window;
    let found: Vec<Occurrence> = starts
        .into_iter()
        .filter_map(|(scheduled, at)| {
            let (first, last) = match timed {
                None => (scheduled, scheduled.checked_add_days(length)?),
                Some(span) => covered_days(at, span, zones.person)?,
            };
            Some(Occurrence {
                scheduled: rule.is_some().then_some(scheduled),
                first,
                last,
            })
        })
        .filter(|occurrence| window.overlaps(occurrence.first, occurrence.last))
        .collect();
    budget.take(event, found.len())?;
    Ok(found)
}

/// How long a timed event lasts, exactly (RFC 5545 gives every occurrence of a recurring
/// event the exact length of the first); zero without an end.
fn exact_length(event: &Event, start: Anchor, zones: Zones) -> Result<TimeDelta, IcsError> {
    let Anchor::Time { at, dated_in } = start else {
        return Ok(TimeDelta::zero());
    };
    if let Some(property) = event.properties().get("DTEND") {
        let end = match anchor(event, property, zones)? {
            Anchor::Time { at, .. } => at.with_timezone(&Utc),
            // A date as the end of a timed event: midnight starting that day, where it starts.
            Anchor::Day(date) => local_to_instant(dated_in, date.and_time(NaiveTime::MIN))
                .map_or(at.with_timezone(&Utc), |end| end.with_timezone(&Utc)),
        };
        return Ok(end - at.with_timezone(&Utc));
    }
    if let Some(property) = event.properties().get("DURATION") {
        return parse_duration(property.value()).ok_or_else(|| IcsError::InvalidDuration {
            event: describe(event),
            value: property.value().to_owned(),
        });
    }
    Ok(TimeDelta::zero())
}

/// The core hours of a day: a timed span covers a day when it covers at least half of them.
const CORE_HOURS: (u32, u32) = (9, 17);

/// The first and last day of a person in `zone` that a timed span from `start`, `length`
/// long, covers: those whose core hours it covers at least half of (see the [module
/// documentation](self)). A span without length covers the day it starts on; one that
/// covers no day's core hours (an evening, a short appointment) covers none.
fn covered_days(
    start: DateTime<Utc>,
    length: TimeDelta,
    zone: Tz,
) -> Option<(NaiveDate, NaiveDate)> {
    let first_touched = start.with_timezone(&zone).date_naive();
    if length <= TimeDelta::zero() {
        return Some((first_touched, first_touched));
    }
    let end = start.checked_add_signed(length)?;
    let last_touched = (end - TimeDelta::nanoseconds(1))
        .with_timezone(&zone)
        .date_naive();
    let covers_core = |day: NaiveDate| {
        let at = |hour| {
            local_to_instant(zone, day.and_hms_opt(hour, 0, 0)?).map(|t| t.with_timezone(&Utc))
        };
        let (Some(from), Some(until)) = (at(CORE_HOURS.0), at(CORE_HOURS.1)) else {
            return false;
        };
        let half = (until - from) / 2;
        end.min(until) - start.max(from) >= half
    };
    // The event's length was checked against MAX_EVENT_DAYS, so this walk is short.
    let mut covered = first_touched
        .iter_days()
        .take_while(|day| *day <= last_touched)
        .take(MAX_EVENT_DAYS as usize + 2)
        .filter(|day| covers_core(*day));
    let first = covered.next()?;
    Some((first, covered.last().unwrap_or(first)))
}

/// The date an occurrence from the recurrence library falls on, read like its start.
fn occurrence_date(occurrence: &DateTime<icalendar::Tz>, start: Anchor) -> NaiveDate {
    match start.dated_in() {
        Some(zone) => occurrence.with_timezone(&zone).date_naive(),
        None => occurrence.date_naive(),
    }
}

/// The start as the recurrence library wants it. All-day dates become UTC midnight so that
/// the machine's own zone never leaks into the dates.
fn to_rrule_time(start: Anchor) -> DateTime<icalendar::Tz> {
    match start {
        Anchor::Day(date) => icalendar::Tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN)),
        Anchor::Time { at, .. } => at.with_timezone(&icalendar::Tz::Tz(at.timezone())),
    }
}

/// The start dates (as scheduled, for ids) and instants of a recurring event whose
/// occurrences (`length` days after their start) touch the budget's window. The rule is expanded from its start, as RFC 5545 counts, each
/// step counted against the budget, and stops past the window.
fn rule_starts(
    event: &Event,
    start: Anchor,
    rule: &str,
    excluded: &[Exclusion],
    length: Days,
    budget: &mut Budget,
) -> Result<Vec<(NaiveDate, DateTime<Utc>)>, IcsError> {
    let invalid = |detail: String| IcsError::InvalidRecurrence {
        event: describe(event),
        detail,
    };
    // The rrule crate reads an UNTIL without `Z` in the machine's zone (and then rejects it
    // against a zoned start), so UNTIL is read here, in the event's frame, and set directly.
    let mut until = None;
    let mut other_parts = Vec::new();
    for part in rule.split(';').filter(|part| !part.is_empty()) {
        match part.split_once('=') {
            Some((key, value)) if key.eq_ignore_ascii_case("UNTIL") => until = Some(value),
            _ => other_parts.push(part),
        }
    }
    let mut parsed: icalendar::UnvalidatedRRule = other_parts
        .join(";")
        .parse()
        .map_err(|error: icalendar::rrule::RRuleError| invalid(error.to_string()))?;
    if let Some(value) = until {
        let property = Property::new("UNTIL", value);
        // A floating UNTIL is wall-clock time in the zone the rule is expanded in.
        let frame = match start {
            Anchor::Day(_) => Tz::UTC,
            Anchor::Time { at, .. } => at.timezone(),
        };
        let until_time = match (anchor(event, &property, Zones::both(frame))?, start) {
            // All-day starts are at UTC midnight, so this includes the UNTIL day.
            (Anchor::Day(date), Anchor::Day(_)) => date.and_time(NaiveTime::MIN).and_utc(),
            // RFC 5545 wants a date-time here; a date is read as "up to the end of that day".
            (Anchor::Day(date), Anchor::Time { at, .. }) => date
                .succ_opt()
                .and_then(|next| local_to_instant(at.timezone(), next.and_time(NaiveTime::MIN)))
                .map_or(DateTime::<Utc>::MAX_UTC, |next| {
                    next.with_timezone(&Utc) - TimeDelta::seconds(1)
                }),
            (Anchor::Time { at, .. }, _) => at.with_timezone(&Utc),
        };
        parsed = parsed.until(until_time.with_timezone(&icalendar::Tz::UTC));
    }
    // `limit` makes the library give up on a rule that never yields a date (FEB 30th).
    let set = parsed
        .build(to_rrule_time(start))
        .map_err(|error| invalid(error.to_string()))?
        .limit();
    let earliest = budget
        .window
        .from
        .checked_sub_days(length)
        .unwrap_or(NaiveDate::MIN);
    let mut starts = Vec::new();
    for occurrence in &set {
        budget.step(event)?;
        let date = occurrence_date(&occurrence, start);
        if date > budget.window.until {
            break;
        }
        if date >= earliest
            && !excluded
                .iter()
                .any(|exclusion| exclusion.matches(&occurrence, start))
        {
            starts.push((date, occurrence.with_timezone(&Utc)));
        }
    }
    Ok(starts)
}

/// Reads an RFC 5545 iCalendar text (what holiday calendars export) into the holidays of a
/// person in `zone`.
///
/// Every day an event covers becomes a holiday named after its `SUMMARY`: all-day events
/// cover `DTSTART` up to (not including) `DTEND`, timed events the days of `zone` whose core
/// hours they cover at least half of (floating times are `zone`'s wall-clock time). Only the
/// years a config accepts are read ([`DateWindow::accepted`]): `RRULE`s are expanded over
/// them (within the bounds of [`read_events`]), honouring `EXDATE` and moved or cancelled
/// occurrences (`RECURRENCE-ID`). Cancelled events are skipped. When two events fall on the
/// same date, the names are joined.
pub fn holidays_from_ics(text: &str, zone: Tz) -> Result<Holidays, IcsError> {
    let calendar = parse_ics(text)?;
    let mut holidays = Holidays::new();
    for read in read_events(&calendar, Zones::both(zone), DateWindow::accepted())? {
        if read.is_cancelled() {
            continue;
        }
        let name = read.event.get_summary().unwrap_or("Holiday");
        for date in read.occurrences.iter().copied().flat_map(Occurrence::dates) {
            holidays.add(date, name);
        }
    }
    Ok(holidays)
}

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

/// Reads the time off in an iCalendar feed, everyone dated in `mapping.zone`.
///
/// Every event is time off (whether the feed marks it busy or `TRANSP:TRANSPARENT`, as HR
/// exports do) of the people `mapping` finds in it. It covers the person's dates from its
/// start to its end: all-day events up to (not including) `DTEND`, or one day without one;
/// timed events the days whose core hours they cover at least half of (see the [module
/// documentation](self)). Recurring events are expanded the way [`holidays_from_ics`]
/// expands them (over every date a config accepts, honouring `EXDATE` and overrides through
/// `RECURRENCE-ID`); a run reads only the dates it needs, each person in their own zone,
/// with [`time_off_in_window`].
///
/// A text that is not a valid iCalendar file, or an event whose dates cannot be read, is an
/// error for the whole feed, so that no one acts on half of it.
pub fn time_off_from_ics(text: &str, mapping: &FeedMapping) -> Result<FeedTimeOff, IcsError> {
    time_off_in_window(text, mapping, DateWindow::accepted(), |_| mapping.zone)
}

/// Reads the time off in an iCalendar feed as [`time_off_from_ics`] does, keeping only the
/// occurrences that touch `window` (the dates a run looks at), and dating each person's
/// time off in their zone, `zone_of(username)`: recurring events are expanded through the
/// window and no further, within the bounds of [`crate::limits`] (once per zone).
pub fn time_off_in_window(
    text: &str,
    mapping: &FeedMapping,
    window: DateWindow,
    zone_of: impl Fn(&str) -> Tz,
) -> Result<FeedTimeOff, IcsError> {
    let calendar = parse_ics(text)?;
    let mut feed = FeedTimeOff::default();
    // The ids and cancellations are read once, in the configuration's zone; each zone the
    // mapped people live in is read once more for their days. Events come in file order in
    // every reading, so the i-th event of one is the i-th of another.
    let base = read_events(&calendar, Zones::both(mapping.zone), window)?;
    let mut by_zone: BTreeMap<String, Vec<EventOccurrences<'_>>> = BTreeMap::new();
    for (_, username) in mapping.usernames() {
        let zone = zone_of(username);
        if zone != mapping.zone && !by_zone.contains_key(zone.name()) {
            let zones = Zones {
                ids: mapping.zone,
                person: zone,
            };
            by_zone.insert(
                zone.name().to_owned(),
                read_events(&calendar, zones, window)?,
            );
        }
    }
    for (index, read) in base.iter().enumerate() {
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
            if let Some(first) = read.occurrences.first() {
                feed.unmapped.push(format!(
                    "the event {} from {}",
                    describe(event),
                    first.first
                ));
            }
            continue;
        }
        let note = event.get_summary().map(str::to_owned);
        for (person, suffix) in people.iter().zip(suffixes(&people)) {
            let occurrences = by_zone
                .get(zone_of(person).name())
                .and_then(|reads| reads.get(index))
                .map_or(&read.occurrences, |read| &read.occurrences);
            for occurrence in occurrences {
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

/// An iCalendar feed or file that time off is read from when a job runs (not when the config
/// is read, so that a feed that fails to load is a warning for that feed, not a config error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffFeed {
    /// The feed's name in warnings.
    pub name: String,
    /// Where it is read from.
    pub source: FeedSource,
    /// Who each event is about.
    pub mapping: FeedMapping,
}

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    /// An .ics file, relative to the config file's folder.
    File(String),
    /// An https address (plain http only to a loopback host).
    Url(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

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
        // 23:00 UTC after. Every timed event is dated in the person's zone, a day counting
        // when at least 4 of its core hours (09:00-17:00 there) are covered:
        // - the TZID event, Fri 10-23 09:00 CEST to 11-02 00:00 CET, is 10-23..11-01 in
        //   Amsterdam; in Tokyo it starts at 16:00 on 10-23 (1 core hour, not counted) and
        //   ends 08:00 on 11-02 (none), so 10-24..11-01;
        // - the UTC event, 10-22 22:00Z to 11-01 23:00Z, is Amsterdam's 10-23 00:00 to 11-02
        //   00:00, and Tokyo's 10-23 07:00 to 11-02 08:00: 10-23..11-01 in both;
        // - floating times are the person's wall clock: 10-23..11-01 in both.
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
                (d(2026, 10, 24), d(2026, 11, 1)),
                october_23_to_november_1,
                october_23_to_november_1,
            ]
        );
    }

    #[test]
    fn a_timed_span_covers_a_day_when_it_covers_half_of_its_core_hours() {
        // Core hours are 09:00-17:00 in the person's zone; half of them is 4 hours.
        let at = |text: &str| -> DateTime<Utc> { text.parse().unwrap() };
        let hours = TimeDelta::hours;
        // 13:00-17:00 UTC: 4 core hours, the day counts; 13:30-17:00: 3.5, it does not.
        assert_eq!(
            covered_days(at("2027-03-01T13:00:00Z"), hours(4), Tz::UTC),
            Some((d(2027, 3, 1), d(2027, 3, 1)))
        );
        assert_eq!(
            covered_days(at("2027-03-01T13:30:00Z"), TimeDelta::minutes(210), Tz::UTC),
            None
        );
        // Mon 09:00 .. Thu 17:00 in Los Angeles, written in UTC: Mon .. Thu there.
        assert_eq!(
            covered_days(at("2027-03-01T17:00:00Z"), hours(80), America::Los_Angeles),
            Some((d(2027, 3, 1), d(2027, 3, 4)))
        );
        // Across the EU change to summer time (Sun 03-28): Fri 09:00 CET (08:00Z) .. Mon
        // 13:00 CEST (11:00Z, 75 hours later) is Fri .. Mon in Amsterdam (Monday: 09:00-13:00,
        // 4 hours); an hour less ends at 12:00 CEST, 3 hours of Monday: Fri .. Sun.
        assert_eq!(
            covered_days(at("2027-03-26T08:00:00Z"), hours(75), Europe::Amsterdam),
            Some((d(2027, 3, 26), d(2027, 3, 29)))
        );
        assert_eq!(
            covered_days(at("2027-03-26T08:00:00Z"), hours(74), Europe::Amsterdam),
            Some((d(2027, 3, 26), d(2027, 3, 28)))
        );
        // No length: the day it starts on.
        assert_eq!(
            covered_days(at("2027-03-01T23:00:00Z"), TimeDelta::zero(), Asia::Tokyo),
            Some((d(2027, 3, 2), d(2027, 3, 2)))
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
        // In Amsterdam that end is 02:00 on Saturday, before its core hours: still Friday.
        // (Dated by the days it touched, it used to take Saturday too.)
        let feed = read(events, PersonFrom::Summary, Europe::Amsterdam);
        assert_eq!(feed.entries[0].last(), d(2026, 7, 10));
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

    fn dates(holidays: &Holidays) -> Vec<NaiveDate> {
        holidays.iter().map(|(date, _)| date).collect()
    }

    #[test]
    fn ics_all_day_events_end_before_dtend() {
        let text = ics("BEGIN:VEVENT\r\n\
             UID:xmas@example.com\r\n\
             SUMMARY:Christmas break\r\n\
             DTSTART;VALUE=DATE:20261224\r\n\
             DTEND;VALUE=DATE:20261227\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:King's Day\r\n\
             DTSTART;VALUE=DATE:20260427\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Spring break\r\n\
             DTSTART;VALUE=DATE:20260406\r\n\
             DURATION:P2D\r\n\
             END:VEVENT\r\n");
        let holidays = holidays_from_ics(&text, Tz::UTC).unwrap();
        assert_eq!(
            dates(&holidays),
            [
                d(2026, 4, 6),
                d(2026, 4, 7),
                d(2026, 4, 27),
                d(2026, 12, 24),
                d(2026, 12, 25),
                d(2026, 12, 26),
            ]
        );
        assert_eq!(holidays.get(d(2026, 12, 25)), Some("Christmas break"));
        assert_eq!(holidays.get(d(2026, 4, 27)), Some("King's Day"));
    }

    #[test]
    fn ics_yearly_rule_with_exdate_and_until() {
        let text = ics("BEGIN:VEVENT\r\n\
             UID:memorial@example.com\r\n\
             SUMMARY:Memorial Day\r\n\
             DTSTART;VALUE=DATE:20240527\r\n\
             DTEND;VALUE=DATE:20240528\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO\r\n\
             EXDATE;VALUE=DATE:20250526,20270531\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:boxing@example.com\r\n\
             SUMMARY:Boxing Day\r\n\
             DTSTART;VALUE=DATE:20241226\r\n\
             RRULE:FREQ=YEARLY;UNTIL=20261226\r\n\
             END:VEVENT\r\n");
        let holidays = holidays_from_ics(&text, Tz::UTC).unwrap();
        let memorial: Vec<NaiveDate> = holidays
            .iter()
            .filter(|(_, name)| *name == "Memorial Day")
            .map(|(date, _)| date)
            .collect();
        assert_eq!(
            memorial[..3],
            [d(2024, 5, 27), d(2026, 5, 25), d(2028, 5, 29)]
        );
        assert_eq!(
            memorial.last(),
            Some(&d(2100, 5, 31)),
            "expanded through the last year a config accepts"
        );
        assert_eq!(memorial.len(), 77 - 2);
        assert_eq!(holidays.get(d(2025, 5, 26)), None, "EXDATE");
        assert_eq!(
            holidays.get(d(2027, 5, 31)),
            None,
            "second value of the EXDATE list"
        );
        let boxing: Vec<NaiveDate> = holidays
            .iter()
            .filter(|(_, name)| *name == "Boxing Day")
            .map(|(date, _)| date)
            .collect();
        assert_eq!(boxing, [d(2024, 12, 26), d(2025, 12, 26), d(2026, 12, 26)]);
    }

    #[test]
    fn ics_cancelled_events_and_occurrences_are_skipped() {
        let text = ics("BEGIN:VEVENT\r\n\
             UID:cancelled@example.com\r\n\
             SUMMARY:Company offsite day\r\n\
             STATUS:CANCELLED\r\n\
             DTSTART;VALUE=DATE:20260612\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:ff@example.com\r\n\
             SUMMARY:Family and Friends Day\r\n\
             STATUS:CONFIRMED\r\n\
             DTSTART;VALUE=DATE:20260109\r\n\
             RRULE:FREQ=MONTHLY;COUNT=3\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:ff@example.com\r\n\
             RECURRENCE-ID;VALUE=DATE:20260209\r\n\
             SUMMARY:Family and Friends Day\r\n\
             DTSTART;VALUE=DATE:20260213\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             UID:ff@example.com\r\n\
             RECURRENCE-ID;VALUE=DATE:20260309\r\n\
             STATUS:CANCELLED\r\n\
             SUMMARY:Family and Friends Day\r\n\
             DTSTART;VALUE=DATE:20260309\r\n\
             END:VEVENT\r\n");
        let holidays = holidays_from_ics(&text, Tz::UTC).unwrap();
        assert_eq!(dates(&holidays), [d(2026, 1, 9), d(2026, 2, 13)]);
    }

    #[test]
    fn ics_timed_holidays_are_dated_in_the_persons_zone() {
        let text = ics("BEGIN:VEVENT\r\n\
             SUMMARY:New Year's Eve party\r\n\
             DTSTART;TZID=America/New_York:20261231T210000\r\n\
             DTEND;TZID=America/New_York:20261231T235959\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Christmas in Tokyo\r\n\
             DTSTART:20261224T150000Z\r\n\
             DTEND:20261225T150000Z\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Floating until midnight\r\n\
             DTSTART:20260801T090000\r\n\
             DTEND:20260802T000000\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Skipped by the clocks\r\n\
             DTSTART;TZID=Europe/Amsterdam:20260329T023000\r\n\
             END:VEVENT\r\n");
        // The party (21:00-23:59 in New York, 11:00-13:59 in Tokyo) covers no 4 core hours
        // anywhere. Christmas in Tokyo (12-24 15:00Z to 12-25 15:00Z) is 12-25 00:00-24:00
        // there: one day, not the two it touches in UTC; in UTC it covers 2 core hours of
        // 12-24 and 6 of 12-25; in New York (10:00 12-24 to 10:00 12-25) 7 of 12-24 and 1
        // of 12-25. The floating day is 08-01 everywhere. The event without an end falls in
        // the gap of 2026-03-29 (02:30 read as 03:30 CEST, 01:30 UTC): 03-29 in Tokyo and
        // UTC, 21:30 on 03-28 in New York (EDT since 03-08).
        let tokyo = holidays_from_ics(&text, Asia::Tokyo).unwrap();
        assert_eq!(
            dates(&tokyo),
            [d(2026, 3, 29), d(2026, 8, 1), d(2026, 12, 25)]
        );
        assert_eq!(tokyo.get(d(2026, 12, 25)), Some("Christmas in Tokyo"));
        let utc = holidays_from_ics(&text, Tz::UTC).unwrap();
        assert_eq!(
            dates(&utc),
            [d(2026, 3, 29), d(2026, 8, 1), d(2026, 12, 25)]
        );
        let new_york = holidays_from_ics(&text, America::New_York).unwrap();
        assert_eq!(
            dates(&new_york),
            [d(2026, 3, 28), d(2026, 8, 1), d(2026, 12, 24)]
        );
    }

    #[test]
    fn ics_timed_weekly_rule_keeps_its_wall_clock_over_dst() {
        // 10:00-16:00 in Amsterdam is 09:00-15:00 UTC in winter and 08:00-14:00 UTC in
        // summer: the dates stay Sundays on both sides of 2026-03-29 (excepted), in
        // Amsterdam and in UTC (6 and 5 core hours).
        let text = ics("BEGIN:VEVENT\r\n\
             SUMMARY:Company day\r\n\
             DTSTART;TZID=Europe/Amsterdam:20260322T100000\r\n\
             DTEND;TZID=Europe/Amsterdam:20260322T160000\r\n\
             RRULE:FREQ=WEEKLY;UNTIL=20260405T213000Z\r\n\
             EXDATE;TZID=Europe/Amsterdam:20260329T100000\r\n\
             END:VEVENT\r\n");
        for zone in [Europe::Amsterdam, Tz::UTC] {
            let holidays = holidays_from_ics(&text, zone).unwrap();
            assert_eq!(dates(&holidays), [d(2026, 3, 22), d(2026, 4, 5)], "{zone}");
        }
    }

    #[test]
    fn ics_same_date_events_are_joined_and_text_is_unescaped() {
        let text = ics("BEGIN:VEVENT\r\n\
             SUMMARY:Boxing Day\\, UK\r\n\
             DTSTART;VALUE=DATE:20261226\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Second Christmas Day\r\n\
             DTSTART;VALUE=DATE:20261226\r\n\
             END:VEVENT\r\n\
             BEGIN:VTODO\r\n\
             SUMMARY:Not a holiday\r\n\
             DTSTART;VALUE=DATE:20261227\r\n\
             END:VTODO\r\n");
        let holidays = holidays_from_ics(&text, Tz::UTC).unwrap();
        assert_eq!(holidays.len(), 1);
        assert_eq!(
            holidays.get(d(2026, 12, 26)),
            Some("Boxing Day, UK / Second Christmas Day")
        );
        assert_eq!(
            holidays_from_ics(&ics(""), Tz::UTC).unwrap(),
            Holidays::new()
        );
    }

    #[test]
    fn ics_errors_say_what_to_fix() {
        assert_eq!(
            holidays_from_ics("Christmas: 2026-12-25", Tz::UTC),
            Err(IcsError::NotACalendar)
        );
        assert_eq!(holidays_from_ics("", Tz::UTC), Err(IcsError::NotACalendar));

        let unclosed =
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART:20260101\nEND:VCALENDAR\n";
        let error = holidays_from_ics(unclosed, Tz::UTC).unwrap_err();
        assert_eq!(
            error,
            IcsError::Malformed {
                line: Some(5),
                detail: "mismatching end at line 5 (\"END:VCALENDAR\"), in component at line 2 \
                         (\"BEGIN:VEVENT\")"
                    .to_owned()
            }
        );
        assert!(
            error.to_string().contains("export the calendar again"),
            "{error}"
        );

        let no_start = ics("BEGIN:VEVENT\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n");
        let error = holidays_from_ics(&no_start, Tz::UTC).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the event \"Christmas Day\" has no DTSTART, so its date is unknown; add one (for \
             example DTSTART;VALUE=DATE:20261225) or remove the event"
        );

        let bad_date = ics("BEGIN:VEVENT\r\nUID:a@b\r\nDTSTART:2026-12-25\r\nEND:VEVENT\r\n");
        assert_eq!(
            holidays_from_ics(&bad_date, Tz::UTC),
            Err(IcsError::InvalidDate {
                event: "with UID \"a@b\"".to_owned(),
                property: "DTSTART".to_owned(),
                value: "2026-12-25".to_owned(),
            })
        );

        let bad_zone = ics("BEGIN:VEVENT\r\nSUMMARY:x\r\n\
             DTSTART;TZID=W. Europe Standard Time:20261225T090000\r\nEND:VEVENT\r\n");
        assert!(matches!(
            holidays_from_ics(&bad_zone, Tz::UTC),
            Err(IcsError::UnknownTimezone { tzid, .. }) if tzid == "W. Europe Standard Time"
        ));

        let bad_rule = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\n\
             RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            holidays_from_ics(&bad_rule, Tz::UTC),
            Err(IcsError::InvalidRecurrence { detail, .. }) if detail.contains("SOMETIMES")
        ));

        let bad_duration = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\n\
             DURATION:two days\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            holidays_from_ics(&bad_duration, Tz::UTC),
            Err(IcsError::InvalidDuration { .. })
        ));

        let too_long = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20260101\r\n\
             DTEND;VALUE=DATE:20280101\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            holidays_from_ics(&too_long, Tz::UTC),
            Err(IcsError::TooLong { days: 730, .. })
        ));
    }

    #[test]
    fn durations_follow_rfc_5545() {
        assert_eq!(parse_duration("P1D"), Some(TimeDelta::days(1)));
        assert_eq!(parse_duration("P2W"), Some(TimeDelta::days(14)));
        assert_eq!(
            parse_duration("+P1DT8H30M"),
            Some(TimeDelta::hours(32) + TimeDelta::minutes(30))
        );
        assert_eq!(parse_duration("PT15S"), Some(TimeDelta::seconds(15)));
        for invalid in ["", "P", "PT", "1D", "P1H", "PT1D", "-P1D", "P1D2", "PD"] {
            assert_eq!(parse_duration(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn nesting_deeper_than_rfc_5545_is_refused_before_the_parser_recurses() {
        // Deep enough to overflow the parser's stack if it were handed over.
        let deep = ics(&format!(
            "{}{}",
            "BEGIN:VEVENT\r\n".repeat(50_000),
            "END:VEVENT\r\n".repeat(50_000)
        ));
        assert_eq!(
            holidays_from_ics(&deep, Tz::UTC),
            Err(IcsError::TooDeep { line: 6, depth: 4 })
        );
        // Folded lines are unfolded first, as the parser does.
        let folded = ics("BEGIN:VEVENT\r\nBEGIN:VAL\r\n ARM\r\nBEGIN:X\r\n");
        assert_eq!(
            holidays_from_ics(&folded, Tz::UTC),
            Err(IcsError::TooDeep { line: 6, depth: 4 })
        );
        let alarm = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\nBEGIN:VALARM\r\n\
             ACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n",
        );
        assert_eq!(holidays_from_ics(&alarm, Tz::UTC).map(|h| h.len()), Ok(1));
    }

    #[test]
    fn recurrence_is_bounded_by_steps_and_by_occurrences_in_the_window() {
        let daily = |uid: usize, start: &str| {
            format!(
                "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:x{uid}\r\nDTSTART;VALUE=DATE:{start}\r\n\
                 RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
            )
        };
        // A daily rule from two centuries ago is more steps than the bound.
        let endless = ics(&daily(1, "19000101"));
        assert_eq!(
            holidays_from_ics(&endless, Tz::UTC),
            Err(IcsError::TooManySteps {
                event: "\"x1\"".to_owned()
            })
        );
        // A narrow window reads a daily rule only through the window.
        let window = DateWindow {
            from: d(2026, 12, 1),
            until: d(2026, 12, 10),
        };
        let text = ics(&daily(1, "20261101"));
        let calendar = parse_ics(&text).expect("parses");
        let read = read_events(&calendar, Zones::both(Tz::UTC), window).expect("read");
        assert_eq!(read[0].occurrences.len(), 10);
        assert_eq!(read[0].occurrences[0].first, d(2026, 12, 1));
        // Many rules inside a window are more occurrences than the bound.
        let many: String = (0..600).map(|uid| daily(uid, "20261201")).collect();
        let calendar = parse_ics(&ics(&many)).expect("parses");
        assert_eq!(
            read_events(&calendar, Zones::both(Tz::UTC), window).map(|r| r.len()),
            Err(IcsError::TooManyOccurrences {
                event: "\"x500\"".to_owned(),
                from: d(2026, 12, 1),
                until: d(2026, 12, 10)
            })
        );
        // An event outside the window is left out, however far away.
        let far =
            ics("BEGIN:VEVENT\r\nSUMMARY:far\r\nDTSTART;VALUE=DATE:99991231\r\nEND:VEVENT\r\n");
        assert_eq!(holidays_from_ics(&far, Tz::UTC), Ok(Holidays::new()));
    }
}
