//! The bounds teamcadence puts on what it reads, in one place, so that no input (a config, a
//! file it names, an iCalendar feed) can make a run overflow, recurse without end or work
//! without end. Each bound is reported by name when it is hit.

use chrono::NaiveDate;

/// The first year a date in the configuration (or `--today`) may fall in.
///
/// Teams plan in the present: nothing teamcadence creates is due decades away or long ago.
/// A window of a century each side of "now" is generous for any real date, small enough
/// that every day or week count (bounded by [`MAX_DAYS`]) added to it stays well inside
/// chrono's range, and GitLab stores due dates as four-digit years.
pub const FIRST_YEAR: i32 = 2000;

/// The last year a date in the configuration (or `--today`) may fall in; see [`FIRST_YEAR`].
pub const LAST_YEAR: i32 = 2100;

/// The largest day count a setting may give (`create_days_before`, `due_days_after_start`,
/// `min_working_days`, ...): a year, longer than any notice or onboarding period, and small
/// enough that date arithmetic on dates inside the window cannot overflow.
pub const MAX_DAYS: u32 = 366;

/// The largest number of milestones a velocity average may look back over: two years of
/// monthly milestones, each one a request to GitLab.
pub const MAX_VELOCITY_MILESTONES: u32 = 24;

/// The largest file teamcadence reads (the config, the files it names, a feed): far above
/// any real config, roster or calendar, and a bound on the memory a mistaken path such as
/// `/dev/zero` can take.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// How deep iCalendar components may nest: `VCALENDAR` > `VEVENT` (or `VTIMEZONE`) >
/// `VALARM` (or `STANDARD`/`DAYLIGHT`) is as deep as RFC 5545 goes. Checked before the
/// parser, which recurses once per level.
pub const MAX_ICS_DEPTH: usize = 3;

/// How many steps the expansion of one file's recurring events may take, counting the
/// occurrences before the window it needs (a rule is expanded from its start). A weekly rule
/// since 2000 takes about 5 500; a hostile file of daily rules hits this bound instead of
/// taking seconds and memory.
pub const MAX_RECURRENCE_STEPS: usize = 50_000;

/// How many occurrences one file's events may have inside the window a run needs. A team
/// calendar has a few hundred; past this the file is refused rather than half-read.
pub const MAX_OCCURRENCES: usize = 5_000;

/// The first date the configuration accepts.
pub fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The last date the configuration accepts.
pub fn last_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Whether `date` is inside the window of years dates may be in.
pub fn date_in_window(date: NaiveDate) -> bool {
    (first_date()..=last_date()).contains(&date)
}

/// Says which window `date` is outside of, for an error message.
pub fn date_outside_window(date: NaiveDate) -> String {
    format!(
        "{} is outside the years teamcadence accepts ({FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31)",
        date.format("%Y-%m-%d")
    )
}

/// The span of dates a run looks at, to which recurring events are expanded and outside of
/// which events are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    /// The first date looked at.
    pub from: NaiveDate,
    /// The last date looked at (included).
    pub until: NaiveDate,
}

impl DateWindow {
    /// Every date the configuration accepts: for holiday calendars, read before the run
    /// knows its date.
    pub fn accepted() -> Self {
        DateWindow {
            from: first_date(),
            until: last_date(),
        }
    }

    /// From `before` days before `today` to `after` days after it (clamped to chrono's range).
    pub fn around(today: NaiveDate, before: u32, after: u32) -> Self {
        DateWindow {
            from: today
                .checked_sub_days(chrono::Days::new(u64::from(before)))
                .unwrap_or(NaiveDate::MIN),
            until: today
                .checked_add_days(chrono::Days::new(u64::from(after)))
                .unwrap_or(NaiveDate::MAX),
        }
    }

    /// Whether any day of `first..=last` is inside the window.
    pub fn overlaps(&self, first: NaiveDate, last: NaiveDate) -> bool {
        first <= self.until && last >= self.from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_holds_its_ends_and_nothing_past_them() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert!(date_in_window(d(2000, 1, 1)));
        assert!(date_in_window(d(2100, 12, 31)));
        assert!(!date_in_window(d(1999, 12, 31)));
        assert!(!date_in_window(d(2101, 1, 1)));
        assert_eq!(
            date_outside_window(d(9999, 12, 31)),
            "9999-12-31 is outside the years teamcadence accepts (2000-01-01 to 2100-12-31)"
        );
    }

    #[test]
    fn a_window_around_the_ends_of_time_does_not_overflow() {
        let window = DateWindow::around(NaiveDate::MAX, u32::MAX, u32::MAX);
        assert_eq!(window.until, NaiveDate::MAX);
        let window = DateWindow::around(NaiveDate::MIN, u32::MAX, u32::MAX);
        assert_eq!(window.from, NaiveDate::MIN);
    }
}
