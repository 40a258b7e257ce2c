//! Who works on which day: weekends, public holidays (also read from iCalendar exports) and
//! time zones, with one calendar per person.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, Event, EventStatus, Property};

use crate::limits::{DateWindow, MAX_ICS_DEPTH, MAX_OCCURRENCES, MAX_RECURRENCE_STEPS};

/// The weekend most teams have.
pub const DEFAULT_WEEKEND: [Weekday; 2] = [Weekday::Sat, Weekday::Sun];

/// How far the working-day searches look before giving up. Only a weekend of all seven days
/// (which [`WorkingCalendar::try_new`] rejects) or the end of chrono's date range can exhaust
/// it; no run of holidays comes close to ten years.
const SEARCH_LIMIT_DAYS: u32 = 3653;

/// No holiday (nor one stretch of time off) lasts longer than a year; a longer event is almost
/// certainly a wrong `DTEND`.
const MAX_EVENT_DAYS: i64 = 366;

/// A named holiday calendar: dates with a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    days: BTreeMap<NaiveDate, String>,
}

impl Holidays {
    /// An empty holiday calendar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the holiday on `date`, replacing any name it had.
    pub fn insert(&mut self, date: NaiveDate, name: impl Into<String>) {
        self.days.insert(date, name.into());
    }

    /// Parses an RFC 5545 iCalendar text (what holiday calendars export) into dates.
    ///
    /// Every day an event covers becomes a holiday named after its `SUMMARY`: all-day events
    /// cover `DTSTART` up to (not including) `DTEND`, timed events the dates they touch in
    /// their own `TZID` (UTC for `Z`, floating times as written). Only the years a config
    /// accepts are read ([`DateWindow::accepted`]): `RRULE`s are expanded over them (within
    /// the bounds of [`read_events`]), honouring `EXDATE` and moved or cancelled occurrences
    /// (`RECURRENCE-ID`). Cancelled events are skipped. When two events fall on the same date,
    /// the names are joined.
    pub fn from_ics(text: &str) -> Result<Self, IcsError> {
        let calendar = parse_ics(text)?;
        let mut holidays = Self::new();
        // A holiday calendar belongs to no zone: `Z` times are dated in UTC and floating times
        // keep the date they are written with.
        for read in read_events(&calendar, Tz::UTC, DateWindow::accepted())? {
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

    /// Adds every holiday of `other`; where both have the same date, the names are joined.
    pub fn merge(&mut self, other: &Holidays) {
        for (date, name) in other.iter() {
            self.add(date, name);
        }
    }

    /// The name of the holiday on `date`, if there is one.
    pub fn get(&self, date: NaiveDate) -> Option<&str> {
        self.days.get(&date).map(String::as_str)
    }

    /// The holidays in date order.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.days.iter().map(|(date, name)| (*date, name.as_str()))
    }

    /// How many dates are holidays.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether there are no holidays at all.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Adds a holiday, keeping the name already on that date: two calendars (or two events)
    /// naming the same day should both stay visible.
    fn add(&mut self, date: NaiveDate, name: &str) {
        match self.days.get_mut(&date) {
            None => {
                self.days.insert(date, name.to_owned());
            }
            Some(existing) => {
                if !existing.split(" / ").any(|part| part == name) {
                    existing.push_str(" / ");
                    existing.push_str(name);
                }
            }
        }
    }

    fn dates_within(&self, from: NaiveDate, until: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        self.days.range(from..=until).map(|(date, _)| *date)
    }
}

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

/// Reads a date property (DTSTART, DTEND, ...) of `event`: floating times in `zone`, and `Z`
/// times dated in it.
fn anchor(event: &Event, property: &Property, zone: Tz) -> Result<Anchor, IcsError> {
    let invalid = || IcsError::InvalidDate {
        event: describe(event),
        property: property.key().to_owned(),
        value: property.value().to_owned(),
    };
    match DatePerhapsTime::from_property(property).ok_or_else(invalid)? {
        DatePerhapsTime::Date(date) => Ok(Anchor::Day(date)),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(time)) => Ok(Anchor::Time {
            at: time.with_timezone(&Tz::UTC),
            dated_in: zone,
        }),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(time)) => local_to_instant(zone, time)
            .map(|at| Anchor::Time { at, dated_in: zone })
            .ok_or_else(invalid),
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
fn exclusions(event: &Event, property: &Property, zone: Tz) -> Result<Vec<Exclusion>, IcsError> {
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
            Ok(match anchor(event, &single, zone)? {
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
fn last_date(event: &Event, start: Anchor, zone: Tz) -> Result<NaiveDate, IcsError> {
    let dated_in = start.dated_in();
    let start_local = start.local_in(dated_in);
    let end_local = if let Some(property) = event.properties().get("DTEND") {
        Some(anchor(event, property, zone)?.local_in(dated_in))
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
/// Floating times are read in `zone`, and `Z` times are dated in it; times with a `TZID` are
/// dated in that zone.
pub(crate) fn read_events(
    calendar: &icalendar::Calendar,
    zone: Tz,
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
                .extend(exclusions(event, property, zone)?),
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
                        .map(|master| start(master, zone))
                        .transpose()?;
                    let replaced = exclusions(event, property, zone)?;
                    let scheduled = replaced
                        .first()
                        .map(|exclusion| exclusion.day(replaced_start));
                    occurrences(event, &[], zone, &mut budget)?
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
                    occurrences(event, replaced, zone, &mut budget)?
                }
            };
            Ok(EventOccurrences { event, occurrences })
        })
        .collect()
}

/// Where `event` starts.
fn start(event: &Event, zone: Tz) -> Result<Anchor, IcsError> {
    let property = event
        .properties()
        .get("DTSTART")
        .ok_or_else(|| IcsError::MissingStart {
            event: describe(event),
        })?;
    anchor(event, property, zone)
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
    zone: Tz,
    budget: &mut Budget,
) -> Result<Vec<Occurrence>, IcsError> {
    let start = start(event, zone)?;
    let length = (last_date(event, start, zone)? - start.date()).num_days();
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
            excluded.extend(exclusions(event, property, zone)?);
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
        None => vec![start.date()],
    };
    let window = budget.window;
    let found: Vec<Occurrence> = starts
        .into_iter()
        .filter_map(|first| {
            Some(Occurrence {
                scheduled: rule.is_some().then_some(first),
                first,
                last: first.checked_add_days(length)?,
            })
        })
        .filter(|occurrence| window.overlaps(occurrence.first, occurrence.last))
        .collect();
    budget.take(event, found.len())?;
    Ok(found)
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

/// The start dates of a recurring event whose occurrences (`length` days after their start)
/// touch the budget's window. The rule is expanded from its start, as RFC 5545 counts, each
/// step counted against the budget, and stops past the window.
fn rule_starts(
    event: &Event,
    start: Anchor,
    rule: &str,
    excluded: &[Exclusion],
    length: Days,
    budget: &mut Budget,
) -> Result<Vec<NaiveDate>, IcsError> {
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
        let until_time = match (anchor(event, &property, frame)?, start) {
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
            starts.push(date);
        }
    }
    Ok(starts)
}

/// Why a working calendar cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Every day of the week was given as a weekend day.
    #[error(
        "all seven days of the week are weekend days, which leaves no working day; list only \
         the days off, for example [Sat, Sun]"
    )]
    NoWorkingWeekday,
}

/// One person's (or team's) working days: a time zone, the weekend and the holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    timezone: Tz,
    /// Indexed by days from Monday.
    weekend: [bool; 7],
    holidays: Holidays,
}

impl WorkingCalendar {
    /// A calendar with these weekend days and holidays.
    ///
    /// A weekend of all seven days leaves no working day: the searches below then give up
    /// after about ten years and return the date they started from. Use
    /// [`WorkingCalendar::try_new`] where the weekend comes from user input.
    pub fn new(timezone: Tz, weekend: &[Weekday], holidays: Holidays) -> Self {
        let mut days = [false; 7];
        for day in weekend {
            days[day.num_days_from_monday() as usize] = true;
        }
        Self {
            timezone,
            weekend: days,
            holidays,
        }
    }

    /// Like [`WorkingCalendar::new`], but rejects a weekend that covers the whole week.
    pub fn try_new(
        timezone: Tz,
        weekend: &[Weekday],
        holidays: Holidays,
    ) -> Result<Self, CalendarError> {
        let calendar = Self::new(timezone, weekend, holidays);
        if calendar.weekend.iter().all(|&off| off) {
            return Err(CalendarError::NoWorkingWeekday);
        }
        Ok(calendar)
    }

    /// The zone the person lives in.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> Vec<Weekday> {
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .filter(|day| self.weekend[day.num_days_from_monday() as usize])
        .collect()
    }

    /// The holidays of this calendar.
    pub fn holidays(&self) -> &Holidays {
        &self.holidays
    }

    /// Whether `date` falls on a weekend day.
    pub fn is_weekend(&self, date: NaiveDate) -> bool {
        self.weekend[date.weekday().num_days_from_monday() as usize]
    }

    /// The name of the holiday on `date`, if it is one.
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(date)
    }

    /// Whether `date` is neither a weekend day nor a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !self.is_weekend(date) && self.holiday(date).is_none()
    }

    /// Working days in from..=until (0 when until < from).
    pub fn working_days(&self, from: NaiveDate, until: NaiveDate) -> u32 {
        if until < from {
            return 0;
        }
        let holidays_on_weekdays = self
            .holidays
            .dates_within(from, until)
            .filter(|date| !self.is_weekend(*date))
            .count();
        self.non_weekend_days(from, until)
            .saturating_sub(u32::try_from(holidays_on_weekdays).unwrap_or(u32::MAX))
    }

    /// Days in from..=until that are not weekend days, holidays included (0 when until < from).
    pub fn non_weekend_days(&self, from: NaiveDate, until: NaiveDate) -> u32 {
        if until < from {
            return 0;
        }
        // Counted by whole weeks so that a range of any length costs the same.
        let total = (until - from).num_days() + 1;
        let weekdays_per_week = self.weekend.iter().filter(|&&off| !off).count() as i64;
        let first = i64::from(from.weekday().num_days_from_monday());
        let in_remainder = (0..total % 7)
            .filter(|offset| !self.weekend[((first + offset) % 7) as usize])
            .count() as i64;
        u32::try_from(total / 7 * weekdays_per_week + in_remainder).unwrap_or(u32::MAX)
    }

    /// The n-th working day after `date` (date itself not counted); n = 0 gives `date` if it is a working day, else the next working day.
    ///
    /// Where no further working day can be found (see [`WorkingCalendar::new`]), this stops at
    /// the last one it reached.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.first_working_day_on_or_after(date);
        }
        let mut reached = date;
        for _ in 0..n {
            match self.next_working_day(reached, Direction::Forward) {
                Some(next) => reached = next,
                None => break,
            }
        }
        reached
    }

    /// The n-th working day before `date` (mirror of add_working_days).
    pub fn sub_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.last_working_day_on_or_before(date);
        }
        let mut reached = date;
        for _ in 0..n {
            match self.next_working_day(reached, Direction::Backward) {
                Some(previous) => reached = previous,
                None => break,
            }
        }
        reached
    }

    /// `date` if it is a working day, else the next one (or `date` when none can be found).
    pub fn first_working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            return date;
        }
        self.next_working_day(date, Direction::Forward)
            .unwrap_or(date)
    }

    /// `date` if it is a working day, else the previous one (or `date` when none can be found).
    pub fn last_working_day_on_or_before(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            return date;
        }
        self.next_working_day(date, Direction::Backward)
            .unwrap_or(date)
    }

    /// The calendar date in this calendar's zone at an instant (handles DST).
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.timezone).date_naive()
    }

    /// The closest working day strictly after (or before) `date`, within the search limit.
    fn next_working_day(&self, date: NaiveDate, direction: Direction) -> Option<NaiveDate> {
        let mut current = date;
        for _ in 0..SEARCH_LIMIT_DAYS {
            current = match direction {
                Direction::Forward => current.succ_opt()?,
                Direction::Backward => current.pred_opt()?,
            };
            if self.is_working_day(current) {
                return Some(current);
            }
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

/// The Monday on or before `date`.
pub fn monday_on_or_before(date: NaiveDate) -> NaiveDate {
    let since_monday = Days::new(u64::from(date.weekday().num_days_from_monday()));
    date.checked_sub_days(since_monday)
        .unwrap_or(NaiveDate::MIN)
}

/// "The Monday N days before" of the planning timeline: monday_on_or_before(date - days).
pub fn monday_before(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(days)))
        .map_or(NaiveDate::MIN, monday_on_or_before)
}

/// Every person's calendar, with a default for people without one.
#[derive(Debug, Clone)]
pub struct Calendars {
    default: WorkingCalendar,
    people: BTreeMap<String, WorkingCalendar>,
}

impl Calendars {
    /// Calendars where everyone uses `default` until given their own.
    pub fn new(default: WorkingCalendar) -> Self {
        Self {
            default,
            people: BTreeMap::new(),
        }
    }

    /// Gives `username` their own calendar.
    pub fn insert(&mut self, username: impl Into<String>, calendar: WorkingCalendar) {
        self.people.insert(username.into(), calendar);
    }

    /// The calendar of `username`, or the default one if they have none.
    pub fn for_person(&self, username: &str) -> &WorkingCalendar {
        self.people.get(username).unwrap_or(&self.default)
    }

    /// The calendar of people without their own.
    pub fn default_calendar(&self) -> &WorkingCalendar {
        &self.default
    }

    /// The people with a calendar of their own, by username.
    pub fn people(&self) -> impl Iterator<Item = (&str, &WorkingCalendar)> {
        self.people
            .iter()
            .map(|(name, calendar)| (name.as_str(), calendar))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn holidays(days: &[(NaiveDate, &str)]) -> Holidays {
        let mut holidays = Holidays::new();
        for (date, name) in days {
            holidays.insert(*date, *name);
        }
        holidays
    }

    /// Christmas 2026 (a Friday), Boxing Day (a Saturday) and New Year 2027 (a Friday).
    fn year_end() -> WorkingCalendar {
        WorkingCalendar::new(
            Tz::UTC,
            &DEFAULT_WEEKEND,
            holidays(&[
                (d(2026, 12, 25), "Christmas Day"),
                (d(2026, 12, 26), "Boxing Day"),
                (d(2027, 1, 1), "New Year's Day"),
            ]),
        )
    }

    fn ics(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    fn dates(holidays: &Holidays) -> Vec<NaiveDate> {
        holidays.iter().map(|(date, _)| date).collect()
    }

    #[test]
    fn holidays_insert_replaces_and_merge_joins_names() {
        let mut mine = holidays(&[(d(2026, 5, 5), "Liberation Day"), (d(2026, 12, 25), "Xmas")]);
        mine.insert(d(2026, 12, 25), "Christmas Day");
        assert_eq!(mine.get(d(2026, 12, 25)), Some("Christmas Day"));

        let company = holidays(&[
            (d(2026, 12, 25), "Christmas Day"),
            (d(2026, 5, 5), "Company day"),
            (d(2026, 8, 14), "Family and Friends Day"),
        ]);
        mine.merge(&company);
        assert_eq!(mine.len(), 3);
        assert_eq!(
            mine.get(d(2026, 5, 5)),
            Some("Liberation Day / Company day")
        );
        assert_eq!(mine.get(d(2026, 12, 25)), Some("Christmas Day"));
        assert_eq!(mine.get(d(2026, 8, 14)), Some("Family and Friends Day"));
        assert_eq!(mine.get(d(2026, 8, 15)), None);
        assert_eq!(
            dates(&mine),
            [d(2026, 5, 5), d(2026, 8, 14), d(2026, 12, 25)],
            "iterates in date order"
        );
        assert!(Holidays::new().is_empty());
        assert!(!mine.is_empty());
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let calendar = year_end();
        // Mon 12-21 .. Sun 01-03: ten weekdays, two of them holidays (Boxing Day is a Saturday).
        assert_eq!(calendar.working_days(d(2026, 12, 21), d(2027, 1, 3)), 8);
        assert_eq!(
            calendar.non_weekend_days(d(2026, 12, 21), d(2027, 1, 3)),
            10
        );
        assert_eq!(calendar.working_days(d(2026, 12, 25), d(2026, 12, 27)), 0);
        assert_eq!(calendar.working_days(d(2026, 12, 24), d(2026, 12, 24)), 1);
        assert_eq!(calendar.working_days(d(2026, 12, 24), d(2026, 12, 23)), 0);
        assert!(calendar.is_working_day(d(2026, 12, 24)));
        assert!(!calendar.is_working_day(d(2026, 12, 25)));
        assert!(!calendar.is_working_day(d(2026, 12, 27)));
        assert!(calendar.is_weekend(d(2026, 12, 26)));
        assert_eq!(calendar.holiday(d(2026, 12, 26)), Some("Boxing Day"));
        assert_eq!(calendar.holiday(d(2026, 12, 24)), None);
    }

    #[test]
    fn working_day_count_matches_a_day_by_day_count() {
        let calendars = [
            year_end(),
            WorkingCalendar::new(Tz::UTC, &[Weekday::Fri, Weekday::Sat], Holidays::new()),
            WorkingCalendar::new(
                Tz::UTC,
                &[Weekday::Sun],
                holidays(&[(d(2026, 12, 27), "x")]),
            ),
        ];
        let start = d(2026, 12, 10);
        for calendar in &calendars {
            for first in 0..12 {
                for length in 0..30 {
                    let from = start + Days::new(first);
                    let until = from + Days::new(length);
                    let by_day = from
                        .iter_days()
                        .take_while(|date| *date <= until)
                        .filter(|date| calendar.is_working_day(*date))
                        .count();
                    assert_eq!(
                        calendar.working_days(from, until) as usize,
                        by_day,
                        "{from}..={until} in {calendar:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn adding_working_days_skips_weekends_and_holidays() {
        let calendar = year_end();
        assert_eq!(
            calendar.add_working_days(d(2026, 12, 24), 0),
            d(2026, 12, 24)
        );
        assert_eq!(
            calendar.add_working_days(d(2026, 12, 24), 1),
            d(2026, 12, 28)
        );
        assert_eq!(
            calendar.add_working_days(d(2026, 12, 25), 0),
            d(2026, 12, 28)
        );
        assert_eq!(calendar.add_working_days(d(2026, 12, 31), 1), d(2027, 1, 4));
        assert_eq!(
            calendar.add_working_days(d(2026, 12, 21), 10),
            d(2027, 1, 6)
        );
        assert_eq!(calendar.sub_working_days(d(2027, 1, 4), 1), d(2026, 12, 31));
        assert_eq!(
            calendar.sub_working_days(d(2026, 12, 28), 1),
            d(2026, 12, 24)
        );
        assert_eq!(
            calendar.sub_working_days(d(2026, 12, 27), 0),
            d(2026, 12, 24)
        );
        assert_eq!(
            calendar.sub_working_days(d(2027, 1, 6), 10),
            d(2026, 12, 21)
        );
        assert_eq!(
            calendar.first_working_day_on_or_after(d(2026, 12, 25)),
            d(2026, 12, 28)
        );
        assert_eq!(
            calendar.first_working_day_on_or_after(d(2026, 12, 28)),
            d(2026, 12, 28)
        );
        assert_eq!(
            calendar.last_working_day_on_or_before(d(2027, 1, 3)),
            d(2026, 12, 31)
        );
        assert_eq!(
            calendar.last_working_day_on_or_before(d(2026, 12, 31)),
            d(2026, 12, 31)
        );
    }

    #[test]
    fn a_friday_saturday_weekend_works_on_sunday() {
        let calendar = WorkingCalendar::new(
            Asia::Jerusalem,
            &[Weekday::Fri, Weekday::Sat],
            Holidays::new(),
        );
        assert_eq!(calendar.weekend(), [Weekday::Fri, Weekday::Sat]);
        assert!(calendar.is_working_day(d(2026, 6, 14)), "a Sunday");
        assert!(!calendar.is_working_day(d(2026, 6, 12)), "a Friday");
        // Thu 06-11 + 1 skips Fri and Sat.
        assert_eq!(calendar.add_working_days(d(2026, 6, 11), 1), d(2026, 6, 14));
        assert_eq!(calendar.sub_working_days(d(2026, 6, 14), 1), d(2026, 6, 11));
        assert_eq!(calendar.working_days(d(2026, 6, 8), d(2026, 6, 14)), 5);
        assert_eq!(calendar.working_days(d(2026, 6, 12), d(2026, 6, 13)), 0);
    }

    #[test]
    fn a_weekend_of_the_whole_week_is_rejected_or_stops_the_search() {
        let every_day = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        assert_eq!(
            WorkingCalendar::try_new(Tz::UTC, &every_day, Holidays::new()).unwrap_err(),
            CalendarError::NoWorkingWeekday
        );
        assert!(WorkingCalendar::try_new(Tz::UTC, &DEFAULT_WEEKEND, Holidays::new()).is_ok());

        let calendar = WorkingCalendar::new(Tz::UTC, &every_day, Holidays::new());
        assert_eq!(
            calendar.add_working_days(d(2026, 1, 1), u32::MAX),
            d(2026, 1, 1)
        );
        assert_eq!(calendar.sub_working_days(d(2026, 1, 1), 3), d(2026, 1, 1));
        assert_eq!(
            calendar.first_working_day_on_or_after(d(2026, 1, 1)),
            d(2026, 1, 1)
        );
        assert_eq!(calendar.working_days(d(2026, 1, 1), d(2026, 12, 31)), 0);
    }

    #[test]
    fn searches_stop_at_the_end_of_the_date_range() {
        let calendar = year_end();
        assert_eq!(calendar.add_working_days(NaiveDate::MAX, 2), NaiveDate::MAX);
        assert_eq!(calendar.sub_working_days(NaiveDate::MIN, 2), NaiveDate::MIN);
    }

    #[test]
    fn local_date_follows_the_us_dst_switches() {
        let new_york = WorkingCalendar::new(America::New_York, &DEFAULT_WEEKEND, Holidays::new());
        // Before 2026-03-08 New York is UTC-5, after it UTC-4: 04:30 UTC is 23:30 the day
        // before in winter, 00:30 the same day in summer.
        assert_eq!(
            new_york.local_date(utc("2026-03-07T04:30:00Z")),
            d(2026, 3, 6)
        );
        assert_eq!(
            new_york.local_date(utc("2026-03-08T04:59:00Z")),
            d(2026, 3, 7)
        );
        assert_eq!(
            new_york.local_date(utc("2026-03-08T05:00:00Z")),
            d(2026, 3, 8)
        );
        assert_eq!(
            new_york.local_date(utc("2026-03-09T04:30:00Z")),
            d(2026, 3, 9)
        );
        // Back to UTC-5 on 2026-11-01.
        assert_eq!(
            new_york.local_date(utc("2026-11-01T04:30:00Z")),
            d(2026, 11, 1)
        );
        assert_eq!(
            new_york.local_date(utc("2026-11-02T04:30:00Z")),
            d(2026, 11, 1)
        );
    }

    #[test]
    fn local_date_follows_the_eu_dst_switches() {
        let amsterdam = WorkingCalendar::new(Europe::Amsterdam, &DEFAULT_WEEKEND, Holidays::new());
        // UTC+1 before 2026-03-29, UTC+2 until 2026-10-25: 22:30 UTC is the same day in
        // winter and the next day in summer.
        assert_eq!(
            amsterdam.local_date(utc("2026-03-28T22:30:00Z")),
            d(2026, 3, 28)
        );
        assert_eq!(
            amsterdam.local_date(utc("2026-03-29T22:30:00Z")),
            d(2026, 3, 30)
        );
        assert_eq!(
            amsterdam.local_date(utc("2026-10-24T22:30:00Z")),
            d(2026, 10, 25)
        );
        assert_eq!(
            amsterdam.local_date(utc("2026-10-25T22:30:00Z")),
            d(2026, 10, 25)
        );
        assert_eq!(amsterdam.timezone(), Europe::Amsterdam);
    }

    #[test]
    fn the_same_instant_is_a_different_date_in_tokyo_and_new_york() {
        let tokyo = WorkingCalendar::new(Asia::Tokyo, &DEFAULT_WEEKEND, Holidays::new());
        let new_york = WorkingCalendar::new(America::New_York, &DEFAULT_WEEKEND, Holidays::new());
        let instant = utc("2026-06-16T00:30:00Z");
        assert_eq!(tokyo.local_date(instant), d(2026, 6, 16));
        assert_eq!(new_york.local_date(instant), d(2026, 6, 15));
        let instant = utc("2026-06-15T23:30:00Z");
        assert_eq!(tokyo.local_date(instant), d(2026, 6, 16));
        assert_eq!(new_york.local_date(instant), d(2026, 6, 15));
    }

    #[test]
    fn working_days_over_a_dst_change_are_whole_days() {
        let amsterdam = WorkingCalendar::new(Europe::Amsterdam, &DEFAULT_WEEKEND, Holidays::new());
        let new_york = WorkingCalendar::new(America::New_York, &DEFAULT_WEEKEND, Holidays::new());
        // Mon 03-23 .. Fri 04-03 (EU switch on Sun 03-29), and around the US switches.
        assert_eq!(amsterdam.working_days(d(2026, 3, 23), d(2026, 4, 3)), 10);
        assert_eq!(
            amsterdam.add_working_days(d(2026, 3, 27), 1),
            d(2026, 3, 30)
        );
        assert_eq!(amsterdam.working_days(d(2026, 10, 19), d(2026, 10, 30)), 10);
        assert_eq!(new_york.working_days(d(2026, 3, 2), d(2026, 3, 13)), 10);
        assert_eq!(
            new_york.add_working_days(d(2026, 10, 30), 1),
            d(2026, 11, 2)
        );
    }

    #[test]
    fn monday_helpers_follow_the_planning_timeline() {
        // 17.8 starts on Saturday 2024-12-14.
        assert_eq!(monday_on_or_before(d(2024, 12, 14)), d(2024, 12, 9));
        assert_eq!(monday_on_or_before(d(2024, 12, 9)), d(2024, 12, 9));
        assert_eq!(monday_on_or_before(d(2024, 12, 15)), d(2024, 12, 9));
        assert_eq!(monday_before(d(2024, 12, 14), 19), d(2024, 11, 25));
        assert_eq!(monday_before(d(2024, 12, 14), 12), d(2024, 12, 2));
        assert_eq!(monday_before(d(2024, 12, 14), 5), d(2024, 12, 9));
        assert_eq!(monday_before(d(2024, 12, 14), u32::MAX), NaiveDate::MIN);
    }

    #[test]
    fn people_without_a_calendar_get_the_default() {
        let mut calendars = Calendars::new(WorkingCalendar::new(
            Tz::UTC,
            &DEFAULT_WEEKEND,
            Holidays::new(),
        ));
        let tokyo = WorkingCalendar::new(Asia::Tokyo, &DEFAULT_WEEKEND, Holidays::new());
        calendars.insert("kenji", tokyo.clone());
        assert_eq!(calendars.for_person("kenji"), &tokyo);
        assert_eq!(calendars.for_person("alex").timezone(), Tz::UTC);
        assert_eq!(calendars.default_calendar().timezone(), Tz::UTC);
        assert_eq!(
            calendars.people().map(|(name, _)| name).collect::<Vec<_>>(),
            ["kenji"]
        );
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
        let holidays = Holidays::from_ics(&text).unwrap();
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
        let holidays = Holidays::from_ics(&text).unwrap();
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
        let holidays = Holidays::from_ics(&text).unwrap();
        assert_eq!(dates(&holidays), [d(2026, 1, 9), d(2026, 2, 13)]);
    }

    #[test]
    fn ics_timed_events_use_their_own_zone() {
        let text = ics("BEGIN:VEVENT\r\n\
             SUMMARY:New Year's Eve party\r\n\
             DTSTART;TZID=America/New_York:20261231T210000\r\n\
             DTEND;TZID=America/New_York:20261231T235959\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Tokyo new year\r\n\
             DTSTART;TZID=Asia/Tokyo:20260101T080000\r\n\
             DTEND;TZID=Asia/Tokyo:20260101T120000\r\n\
             END:VEVENT\r\n\
             BEGIN:VEVENT\r\n\
             SUMMARY:Across midnight UTC\r\n\
             DTSTART:20260704T230000Z\r\n\
             DTEND:20260705T010000Z\r\n\
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
        let holidays = Holidays::from_ics(&text).unwrap();
        // In UTC the New York party would be on 2027-01-01 and Tokyo's on 2025-12-31.
        assert_eq!(
            dates(&holidays),
            [
                d(2026, 1, 1),
                d(2026, 3, 29),
                d(2026, 7, 4),
                d(2026, 7, 5),
                d(2026, 8, 1),
                d(2026, 12, 31),
            ]
        );
        assert_eq!(holidays.get(d(2026, 1, 1)), Some("Tokyo new year"));
    }

    #[test]
    fn ics_timed_weekly_rule_keeps_its_wall_clock_over_dst() {
        // 23:30 in Amsterdam is 22:30 UTC in winter and 21:30 UTC in summer: the dates must
        // stay Sundays on both sides of 2026-03-29.
        let text = ics("BEGIN:VEVENT\r\n\
             SUMMARY:Late maintenance\r\n\
             DTSTART;TZID=Europe/Amsterdam:20260322T233000\r\n\
             DTEND;TZID=Europe/Amsterdam:20260322T235900\r\n\
             RRULE:FREQ=WEEKLY;UNTIL=20260405T213000Z\r\n\
             EXDATE;TZID=Europe/Amsterdam:20260329T233000\r\n\
             END:VEVENT\r\n");
        let holidays = Holidays::from_ics(&text).unwrap();
        assert_eq!(dates(&holidays), [d(2026, 3, 22), d(2026, 4, 5)]);
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
        let holidays = Holidays::from_ics(&text).unwrap();
        assert_eq!(holidays.len(), 1);
        assert_eq!(
            holidays.get(d(2026, 12, 26)),
            Some("Boxing Day, UK / Second Christmas Day")
        );
        assert_eq!(Holidays::from_ics(&ics("")).unwrap(), Holidays::new());
    }

    #[test]
    fn ics_errors_say_what_to_fix() {
        assert_eq!(
            Holidays::from_ics("Christmas: 2026-12-25"),
            Err(IcsError::NotACalendar)
        );
        assert_eq!(Holidays::from_ics(""), Err(IcsError::NotACalendar));

        let unclosed =
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART:20260101\nEND:VCALENDAR\n";
        let error = Holidays::from_ics(unclosed).unwrap_err();
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
        let error = Holidays::from_ics(&no_start).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the event \"Christmas Day\" has no DTSTART, so its date is unknown; add one (for \
             example DTSTART;VALUE=DATE:20261225) or remove the event"
        );

        let bad_date = ics("BEGIN:VEVENT\r\nUID:a@b\r\nDTSTART:2026-12-25\r\nEND:VEVENT\r\n");
        assert_eq!(
            Holidays::from_ics(&bad_date),
            Err(IcsError::InvalidDate {
                event: "with UID \"a@b\"".to_owned(),
                property: "DTSTART".to_owned(),
                value: "2026-12-25".to_owned(),
            })
        );

        let bad_zone = ics("BEGIN:VEVENT\r\nSUMMARY:x\r\n\
             DTSTART;TZID=W. Europe Standard Time:20261225T090000\r\nEND:VEVENT\r\n");
        assert!(matches!(
            Holidays::from_ics(&bad_zone),
            Err(IcsError::UnknownTimezone { tzid, .. }) if tzid == "W. Europe Standard Time"
        ));

        let bad_rule = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\n\
             RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            Holidays::from_ics(&bad_rule),
            Err(IcsError::InvalidRecurrence { detail, .. }) if detail.contains("SOMETIMES")
        ));

        let bad_duration = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\n\
             DURATION:two days\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            Holidays::from_ics(&bad_duration),
            Err(IcsError::InvalidDuration { .. })
        ));

        let too_long = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20260101\r\n\
             DTEND;VALUE=DATE:20280101\r\nEND:VEVENT\r\n",
        );
        assert!(matches!(
            Holidays::from_ics(&too_long),
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
            Holidays::from_ics(&deep),
            Err(IcsError::TooDeep { line: 6, depth: 4 })
        );
        // Folded lines are unfolded first, as the parser does.
        let folded = ics("BEGIN:VEVENT\r\nBEGIN:VAL\r\n ARM\r\nBEGIN:X\r\n");
        assert_eq!(
            Holidays::from_ics(&folded),
            Err(IcsError::TooDeep { line: 6, depth: 4 })
        );
        let alarm = ics(
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART;VALUE=DATE:20261225\r\nBEGIN:VALARM\r\n\
             ACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n",
        );
        assert_eq!(Holidays::from_ics(&alarm).map(|h| h.len()), Ok(1));
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
            Holidays::from_ics(&endless),
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
        let read = read_events(&calendar, Tz::UTC, window).expect("read");
        assert_eq!(read[0].occurrences.len(), 10);
        assert_eq!(read[0].occurrences[0].first, d(2026, 12, 1));
        // Many rules inside a window are more occurrences than the bound.
        let many: String = (0..600).map(|uid| daily(uid, "20261201")).collect();
        let calendar = parse_ics(&ics(&many)).expect("parses");
        assert_eq!(
            read_events(&calendar, Tz::UTC, window).map(|r| r.len()),
            Err(IcsError::TooManyOccurrences {
                event: "\"x500\"".to_owned(),
                from: d(2026, 12, 1),
                until: d(2026, 12, 10)
            })
        );
        // An event outside the window is left out, however far away.
        let far =
            ics("BEGIN:VEVENT\r\nSUMMARY:far\r\nDTSTART;VALUE=DATE:99991231\r\nEND:VEVENT\r\n");
        assert_eq!(Holidays::from_ics(&far), Ok(Holidays::new()));
    }
}
