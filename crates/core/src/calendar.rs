//! Who works on which day: weekends, public holidays (read from iCalendar exports by
//! [`crate::ics`]) and time zones, with one calendar per person.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

/// The weekend most teams have.
pub const DEFAULT_WEEKEND: [Weekday; 2] = [Weekday::Sat, Weekday::Sun];

/// How far the working-day searches look before giving up. Only a weekend of all seven days
/// (which [`WorkingCalendar::try_new`] rejects) or the end of chrono's date range can exhaust
/// it; no run of holidays comes close to ten years.
const SEARCH_LIMIT_DAYS: u32 = 3653;

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
    pub(crate) fn add(&mut self, date: NaiveDate, name: &str) {
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
}
