//! Time off: who is away when, how long the absence really is once holidays are counted, and
//! when it needs a coverage issue or the manager's exception.

use chrono::NaiveDate;

use crate::calendar::WorkingCalendar;
use crate::milestone::Milestone;

/// How far a run is followed over weekends and holidays. Only a weekend of the whole week
/// could make it endless; no real run of holidays is near ten years.
const RUN_SEARCH_LIMIT_DAYS: u32 = 3653;

/// One person's time off, from `first` to `last` (both included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOff {
    person: String,
    first: NaiveDate,
    last: NaiveDate,
    note: Option<String>,
    id: Option<String>,
    requested: Option<NaiveDate>,
}

impl TimeOff {
    /// Time off of `person` from `first` to `last`, both included.
    pub fn new(
        person: impl Into<String>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Self, TimeOffError> {
        let person = person.into();
        if person.trim().is_empty() {
            return Err(TimeOffError::NoPerson { first, last });
        }
        if last < first {
            return Err(TimeOffError::LastBeforeFirst {
                person,
                first,
                last,
            });
        }
        Ok(Self {
            person,
            first,
            last,
            note: None,
            id: None,
            requested: None,
        })
    }

    /// The same time off with a note (for example "parental leave").
    pub fn with_note(self, note: Option<String>) -> Self {
        Self { note, ..self }
    }

    /// The same time off with the id it has in the system it comes from, written as a key
    /// ([`crate::record::key_part`] of each value taken from data), since [`TimeOff::key`]
    /// is built from it as it is.
    pub fn with_id(self, id: Option<String>) -> Self {
        Self { id, ..self }
    }

    /// The same time off with the day it was requested.
    pub fn with_requested(self, requested: Option<NaiveDate>) -> Self {
        Self { requested, ..self }
    }

    /// The username of the person who is away.
    pub fn person(&self) -> &str {
        &self.person
    }

    /// The first day away.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// The last day away (included).
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// A note about the time off, if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The id in the system the time off comes from, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The day the time off was requested, if known.
    pub fn requested(&self) -> Option<NaiveDate> {
        self.requested
    }

    /// Stable key: `pto/{id}` when an id is set, else `pto/{person}/{first}` (so moving the last day keeps the key).
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => format!("pto/{id}"),
            None => format!("pto/{}/{}", self.person, self.first),
        }
    }

    /// Whether the person is away on `date`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }

    /// Whether the time off shares a day with from..=until (never when until < from).
    pub fn overlaps(&self, from: NaiveDate, until: NaiveDate) -> bool {
        from <= until && self.first <= until && from <= self.last
    }

    /// Working days (per the person's calendar) inside the time off.
    pub fn working_days(&self, calendar: &WorkingCalendar) -> u32 {
        calendar.working_days(self.first, self.last)
    }

    /// Working days of the time off that fall inside from..=until.
    pub fn working_days_within(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        calendar: &WorkingCalendar,
    ) -> u32 {
        calendar.working_days(from.max(self.first), until.min(self.last))
    }

    /// The consecutive absence: every weekday inside the time off (working day or holiday) counts; then it extends outward over adjacent holidays, bridging weekends; weekend days never count.
    ///
    /// Time off of only weekend days, without adjacent holidays, is a run of 0 days over the
    /// time off itself.
    pub fn run(&self, calendar: &WorkingCalendar) -> AbsenceRun {
        let mut counted = Counted::default();
        let inside = calendar.non_weekend_days(self.first, self.last);
        if inside > 0 {
            // A weekday exists in the range, so both searches stop within a week.
            let first = self
                .first
                .iter_days()
                .find(|date| !calendar.is_weekend(*date));
            let last = self
                .last
                .iter_days()
                .rev()
                .find(|date| !calendar.is_weekend(*date));
            if let (Some(first), Some(last)) = (first, last) {
                counted = Counted {
                    days: inside,
                    first: Some(first),
                    last: Some(last),
                };
            }
        }
        let limit = RUN_SEARCH_LIMIT_DAYS as usize;
        counted.extend_over_holidays(self.first.iter_days().rev().skip(1).take(limit), calendar);
        counted.extend_over_holidays(self.last.iter_days().skip(1).take(limit), calendar);
        AbsenceRun {
            first: counted.first.unwrap_or(self.first),
            last: counted.last.unwrap_or(self.last),
            days: counted.days,
        }
    }

    /// Time off longer than 5 days (run.days > 5) recorded after the planning lock of
    /// `milestone` (the milestone its first day falls in) needs the manager's exception.
    /// "Recorded" is `requested`, or `today` when unknown. The PTO job asks only about time
    /// off missing from the milestone's planning issue: what its capacity table counted was
    /// known when the milestone was planned, however late the job runs.
    ///
    /// Recording it on the lock day itself is still in time.
    pub fn needs_lock_exception(
        &self,
        calendar: &WorkingCalendar,
        milestone: &Milestone,
        today: NaiveDate,
    ) -> bool {
        let recorded = self.requested.unwrap_or(today);
        recorded > milestone.planning_lock() && self.run(calendar).days > 5
    }
}

/// The counted days of a run so far.
#[derive(Debug, Default)]
struct Counted {
    days: u32,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

impl Counted {
    fn add(&mut self, date: NaiveDate) {
        self.days += 1;
        self.first = Some(self.first.map_or(date, |first| first.min(date)));
        self.last = Some(self.last.map_or(date, |last| last.max(date)));
    }

    /// Counts the holidays met walking away from the time off, stepping over weekend days,
    /// until the first working day.
    fn extend_over_holidays(
        &mut self,
        outward: impl Iterator<Item = NaiveDate>,
        calendar: &WorkingCalendar,
    ) {
        for date in outward {
            if calendar.is_weekend(date) {
                continue;
            }
            if calendar.holiday(date).is_none() {
                break;
            }
            self.add(date);
        }
    }
}

/// A consecutive absence as a coverage rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AbsenceRun {
    /// The earliest counted day.
    pub first: NaiveDate,
    /// The latest counted day.
    pub last: NaiveDate,
    /// The counted days: weekdays, holidays included, weekends not.
    pub days: u32,
}

/// Why time off could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeOffError {
    /// The last day comes before the first.
    #[error(
        "the time off of {person} ends on {last}, before it starts on {first}; check the dates \
         (the last day is included)"
    )]
    LastBeforeFirst {
        /// Who is away.
        person: String,
        /// The first day.
        first: NaiveDate,
        /// The last day.
        last: NaiveDate,
    },
    /// No person was named.
    #[error("the time off from {first} to {last} names no person; add the username of who is away")]
    NoPerson {
        /// The first day.
        first: NaiveDate,
        /// The last day.
        last: NaiveDate,
    },
}

/// When a coverage issue is expected (default 5+ consecutive working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageRule {
    /// The shortest run (in counted days) that needs a coverage issue.
    pub min_working_days: u32,
}

impl Default for CoverageRule {
    fn default() -> Self {
        Self {
            min_working_days: 5,
        }
    }
}

impl CoverageRule {
    /// Whether an absence this long is expected to have a coverage issue.
    pub fn requires_coverage(&self, run: &AbsenceRun) -> bool {
        run.days >= self.min_working_days
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DEFAULT_WEEKEND, Holidays};
    use chrono::Weekday;
    use chrono_tz::Tz;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn off(first: NaiveDate, last: NaiveDate) -> TimeOff {
        TimeOff::new("alex", first, last).unwrap()
    }

    fn run(first: NaiveDate, last: NaiveDate, days: u32) -> AbsenceRun {
        AbsenceRun { first, last, days }
    }

    /// Fri 2026-12-25 and Fri 2027-01-01 are holidays; Sat 12-26 is one too.
    fn year_end() -> WorkingCalendar {
        let mut holidays = Holidays::new();
        holidays.insert(d(2026, 12, 25), "Christmas Day");
        holidays.insert(d(2026, 12, 26), "Boxing Day");
        holidays.insert(d(2027, 1, 1), "New Year's Day");
        WorkingCalendar::new(Tz::UTC, &DEFAULT_WEEKEND, holidays)
    }

    #[test]
    fn new_rejects_reversed_dates_and_a_missing_person() {
        assert_eq!(
            TimeOff::new("alex", d(2026, 1, 2), d(2026, 1, 1)),
            Err(TimeOffError::LastBeforeFirst {
                person: "alex".into(),
                first: d(2026, 1, 2),
                last: d(2026, 1, 1),
            })
        );
        assert_eq!(
            TimeOff::new("alex", d(2026, 1, 2), d(2026, 1, 1))
                .unwrap_err()
                .to_string(),
            "the time off of alex ends on 2026-01-01, before it starts on 2026-01-02; check the \
             dates (the last day is included)"
        );
        assert!(matches!(
            TimeOff::new("", d(2026, 1, 1), d(2026, 1, 1)),
            Err(TimeOffError::NoPerson { .. })
        ));
        assert!(TimeOff::new("alex", d(2026, 1, 1), d(2026, 1, 1)).is_ok());
    }

    #[test]
    fn key_prefers_the_id_and_ignores_the_last_day() {
        let time_off = off(d(2026, 7, 6), d(2026, 7, 10));
        assert_eq!(time_off.key(), "pto/alex/2026-07-06");
        assert_eq!(off(d(2026, 7, 6), d(2026, 7, 17)).key(), time_off.key());
        let with_id = time_off
            .with_id(Some("hr-123".into()))
            .with_note(Some("Holiday in Lisbon".into()))
            .with_requested(Some(d(2026, 5, 1)));
        assert_eq!(with_id.key(), "pto/hr-123");
        assert_eq!(with_id.id(), Some("hr-123"));
        assert_eq!(with_id.note(), Some("Holiday in Lisbon"));
        assert_eq!(with_id.requested(), Some(d(2026, 5, 1)));
        assert_eq!(with_id.person(), "alex");
        assert_eq!(
            (with_id.first(), with_id.last()),
            (d(2026, 7, 6), d(2026, 7, 10))
        );
    }

    #[test]
    fn contains_and_overlaps_include_both_ends() {
        let time_off = off(d(2026, 7, 6), d(2026, 7, 10));
        assert!(time_off.contains(d(2026, 7, 6)));
        assert!(time_off.contains(d(2026, 7, 10)));
        assert!(!time_off.contains(d(2026, 7, 5)));
        assert!(!time_off.contains(d(2026, 7, 11)));
        assert!(time_off.overlaps(d(2026, 7, 1), d(2026, 7, 6)));
        assert!(time_off.overlaps(d(2026, 7, 10), d(2026, 7, 20)));
        assert!(time_off.overlaps(d(2026, 7, 7), d(2026, 7, 8)));
        assert!(time_off.overlaps(d(2026, 7, 1), d(2026, 7, 31)));
        assert!(!time_off.overlaps(d(2026, 7, 1), d(2026, 7, 5)));
        assert!(!time_off.overlaps(d(2026, 7, 11), d(2026, 7, 20)));
        assert!(
            !time_off.overlaps(d(2026, 7, 8), d(2026, 7, 7)),
            "empty range"
        );
    }

    #[test]
    fn working_days_follow_the_persons_calendar() {
        let calendar = year_end();
        // Mon 12-21 .. Sun 01-03: 10 weekdays, 2 of them holidays.
        let time_off = off(d(2026, 12, 21), d(2027, 1, 3));
        assert_eq!(time_off.working_days(&calendar), 8);
        assert_eq!(
            time_off.working_days_within(d(2026, 12, 1), d(2026, 12, 31), &calendar),
            8
        );
        assert_eq!(
            time_off.working_days_within(d(2026, 12, 23), d(2026, 12, 28), &calendar),
            3
        );
        assert_eq!(
            time_off.working_days_within(d(2027, 1, 1), d(2027, 1, 31), &calendar),
            0
        );
        assert_eq!(
            time_off.working_days_within(d(2027, 2, 1), d(2027, 2, 28), &calendar),
            0
        );
        let fri_sat = WorkingCalendar::new(Tz::UTC, &[Weekday::Fri, Weekday::Sat], Holidays::new());
        assert_eq!(
            off(d(2026, 12, 20), d(2026, 12, 26)).working_days(&fri_sat),
            5
        );
    }

    #[test]
    fn run_counts_holidays_inside_the_time_off() {
        // Mon 12-21 .. Thu 12-24 with Fri 12-25 a holiday: five days.
        let absence = off(d(2026, 12, 21), d(2026, 12, 24)).run(&year_end());
        assert_eq!(absence, run(d(2026, 12, 21), d(2026, 12, 25), 5));
        assert!(CoverageRule::default().requires_coverage(&absence));
        // Without the holiday the same time off is four days.
        let plain = WorkingCalendar::new(Tz::UTC, &DEFAULT_WEEKEND, Holidays::new());
        let absence = off(d(2026, 12, 21), d(2026, 12, 24)).run(&plain);
        assert_eq!(absence, run(d(2026, 12, 21), d(2026, 12, 24), 4));
        assert!(!CoverageRule::default().requires_coverage(&absence));
    }

    #[test]
    fn run_bridges_weekends_to_adjacent_holidays() {
        // Mon 12-28 .. Thu 12-31: back over the weekend to Fri 12-25 (Sat 12-26 is a holiday
        // on a weekend and does not count), forward to Fri 01-01.
        let absence = off(d(2026, 12, 28), d(2026, 12, 31)).run(&year_end());
        assert_eq!(absence, run(d(2026, 12, 25), d(2027, 1, 1), 6));
    }

    #[test]
    fn run_does_not_count_weekends() {
        let calendar = year_end();
        // Tue 2026-12-01 .. Mon 12-07: the weekend inside and the Sunday/Saturday around it
        // add nothing.
        let absence = off(d(2026, 11, 28), d(2026, 12, 6)).run(&calendar);
        assert_eq!(absence, run(d(2026, 11, 30), d(2026, 12, 4), 5));
        let absence = off(d(2026, 12, 1), d(2026, 12, 7)).run(&calendar);
        assert_eq!(absence, run(d(2026, 12, 1), d(2026, 12, 7), 5));
        // Only a weekend: nothing counted.
        let absence = off(d(2026, 12, 5), d(2026, 12, 6)).run(&calendar);
        assert_eq!(absence, run(d(2026, 12, 5), d(2026, 12, 6), 0));
        // Only the Christmas weekend: the holiday Friday before counts.
        let absence = off(d(2026, 12, 26), d(2026, 12, 27)).run(&calendar);
        assert_eq!(absence, run(d(2026, 12, 25), d(2026, 12, 25), 1));
    }

    #[test]
    fn run_uses_the_persons_weekend() {
        // With a Fri/Sat weekend, Sunday is a weekday and Christmas (a Friday) is weekend.
        let mut holidays = Holidays::new();
        holidays.insert(d(2026, 12, 25), "Christmas Day");
        holidays.insert(d(2026, 12, 27), "Company day");
        let calendar = WorkingCalendar::new(Tz::UTC, &[Weekday::Fri, Weekday::Sat], holidays);
        // Mon 12-21 .. Thu 12-24, then over Fri/Sat to the Sunday holiday.
        let absence = off(d(2026, 12, 21), d(2026, 12, 24)).run(&calendar);
        assert_eq!(absence, run(d(2026, 12, 21), d(2026, 12, 27), 5));
    }

    #[test]
    fn a_whole_week_weekend_ends_the_run_search() {
        let every_day = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let calendar = WorkingCalendar::new(Tz::UTC, &every_day, Holidays::new());
        let absence = off(d(2026, 12, 21), d(2026, 12, 24)).run(&calendar);
        assert_eq!(absence, run(d(2026, 12, 21), d(2026, 12, 24), 0));
    }

    #[test]
    fn coverage_rule_threshold_is_inclusive() {
        let rule = CoverageRule::default();
        assert_eq!(rule.min_working_days, 5);
        let absence = |days| run(d(2026, 1, 5), d(2026, 1, 9), days);
        assert!(!rule.requires_coverage(&absence(4)));
        assert!(rule.requires_coverage(&absence(5)));
        let strict = CoverageRule {
            min_working_days: 3,
        };
        assert!(strict.requires_coverage(&absence(3)));
        assert!(!strict.requires_coverage(&absence(2)));
    }

    #[test]
    fn long_time_off_recorded_after_the_lock_needs_an_exception() {
        let calendar = year_end();
        // 17.8 (2024-12-14 .. 2025-01-10) locks on Monday 2024-12-09; a milestone over
        // the 2026 year end, locking on Monday 2026-12-07:
        let milestone = Milestone::new("19.8", d(2026, 12, 12), d(2027, 1, 8), None).unwrap();
        assert_eq!(milestone.planning_lock(), d(2026, 12, 7));
        // Six counted days (the example above).
        let long = off(d(2026, 12, 28), d(2026, 12, 31));
        assert!(long.needs_lock_exception(&calendar, &milestone, d(2026, 12, 8)));
        assert!(!long.needs_lock_exception(&calendar, &milestone, d(2026, 12, 7)));
        assert!(!long.needs_lock_exception(&calendar, &milestone, d(2026, 11, 30)));
        // The request date wins over today.
        let requested_early = long.clone().with_requested(Some(d(2026, 11, 2)));
        assert!(!requested_early.needs_lock_exception(&calendar, &milestone, d(2026, 12, 20)));
        let requested_late = long.with_requested(Some(d(2026, 12, 10)));
        assert!(requested_late.needs_lock_exception(&calendar, &milestone, d(2026, 11, 1)));
        // Five days is not longer than five.
        let five = off(d(2026, 12, 21), d(2026, 12, 24));
        assert!(!five.needs_lock_exception(&calendar, &milestone, d(2026, 12, 20)));
    }
}
