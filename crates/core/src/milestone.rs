//! Milestones and where they come from: GitLab's monthly release calendar or an explicit list,
//! with the planning timeline of each milestone.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::calendar::monday_before;

/// A milestone (or iteration): a titled span of dates, usually ending in a release.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Milestone {
    title: String,
    start: NaiveDate,
    end: NaiveDate,
    release: Option<NaiveDate>,
    web_url: Option<String>,
}

impl Milestone {
    /// A milestone from `start` to `end` (both included); the title must not be blank.
    pub fn new(
        title: impl Into<String>,
        start: NaiveDate,
        end: NaiveDate,
        release: Option<NaiveDate>,
    ) -> Result<Self, MilestoneError> {
        let title = title.into();
        if title.trim().is_empty() {
            return Err(MilestoneError::EmptyTitle { start, end });
        }
        if end < start {
            return Err(MilestoneError::EndBeforeStart { title, start, end });
        }
        Ok(Self {
            title,
            start,
            end,
            release,
            web_url: None,
        })
    }

    /// The same milestone with a link to its page in GitLab.
    pub fn with_web_url(self, url: impl Into<String>) -> Self {
        Self {
            web_url: Some(url.into()),
            ..self
        }
    }

    /// The title, such as `17.8`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The first day of the milestone.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The last day of the milestone (for releases, the code cut-off).
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// The day the milestone is released, when it has a release.
    pub fn release(&self) -> Option<NaiveDate> {
        self.release
    }

    /// The milestone's page in GitLab, when known.
    pub fn web_url(&self) -> Option<&str> {
        self.web_url.as_deref()
    }

    /// Whether `date` lies within start..=end.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// The Monday 19 days before the start: the draft plan and capacity talks.
    pub fn draft_date(&self) -> NaiveDate {
        monday_before(self.start, 19)
    }

    /// The Monday 12 days before the start: the PM's plan, `~Deliverable` applied.
    pub fn pm_plan_date(&self) -> NaiveDate {
        monday_before(self.start, 12)
    }

    /// The Monday 5 days before the start: scope is final.
    pub fn planning_lock(&self) -> NaiveDate {
        monday_before(self.start, 5)
    }

    /// The first Monday strictly after the start.
    pub fn kickoff(&self) -> NaiveDate {
        let days = 7 - u64::from(self.start.weekday().num_days_from_monday());
        self.start
            .checked_add_days(Days::new(days))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The first Wednesday on or after start + 11 days: when the retrospective issue opens.
    pub fn retrospective(&self) -> NaiveDate {
        let Some(earliest) = self.start.checked_add_days(Days::new(11)) else {
            return NaiveDate::MAX;
        };
        let wait = (7 + Weekday::Wed.num_days_from_monday()
            - earliest.weekday().num_days_from_monday())
            % 7;
        earliest
            .checked_add_days(Days::new(u64::from(wait)))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// A step of the planning timeline a task can be due at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PlanningStep {
    /// The draft plan and capacity talks ([`Milestone::draft_date`]).
    Draft,
    /// The PM's plan, `~Deliverable` applied ([`Milestone::pm_plan_date`]).
    PmPlan,
    /// Scope final ([`Milestone::planning_lock`]).
    PlanningLock,
    /// The kickoff ([`Milestone::kickoff`]).
    Kickoff,
}

impl Milestone {
    /// The day of a step of this milestone's planning timeline.
    pub fn step(&self, step: PlanningStep) -> NaiveDate {
        match step {
            PlanningStep::Draft => self.draft_date(),
            PlanningStep::PmPlan => self.pm_plan_date(),
            PlanningStep::PlanningLock => self.planning_lock(),
            PlanningStep::Kickoff => self.kickoff(),
        }
    }
}

/// Why a milestone or a source of milestones could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MilestoneError {
    /// The title is empty or only whitespace.
    #[error("the milestone from {start} to {end} has no title; give it one, such as \"17.8\"")]
    EmptyTitle {
        /// The first day.
        start: NaiveDate,
        /// The last day.
        end: NaiveDate,
    },
    /// The end comes before the start.
    #[error(
        "milestone {title:?} ends on {end}, before it starts on {start}; check the two dates \
         (the end is the last day, included)"
    )]
    EndBeforeStart {
        /// The milestone's title.
        title: String,
        /// The first day.
        start: NaiveDate,
        /// The last day.
        end: NaiveDate,
    },
    /// A release version is not `MAJOR.MINOR`.
    #[error("release version {version:?} is not MAJOR.MINOR; write it like \"17.0\"")]
    InvalidVersion {
        /// The version as written.
        version: String,
    },
    /// A release version's minor is above 11.
    #[error(
        "release version {version:?} has minor {minor}, but a major has twelve monthly minors \
         (0 to 11) before the next major; check the version"
    )]
    MinorOutOfRange {
        /// The version as written.
        version: String,
        /// Its minor number.
        minor: u32,
    },
    /// The anchor date is not a release day.
    #[error(
        "{released} is not a release day: releases are on the third Thursday of the month \
         from November 2023 and on the 22nd before ({expected} that month); anchor on a \
         release day, such as 17.0 on 2024-05-16"
    )]
    NotAReleaseDay {
        /// The date given.
        released: NaiveDate,
        /// The third Thursday of that month.
        expected: NaiveDate,
    },
    /// The anchor is older than the release calendar's known history.
    #[error(
        "{released} is before May 2023: the release calendar knows GitLab's release dates \
         from 16.0 (released 2023-05-22) on; anchor on a later release, such as 17.0 on \
         2024-05-16, or list older milestones under `milestones.list`"
    )]
    BeforeHistory {
        /// The date given.
        released: NaiveDate,
    },
    /// Two milestones of a list share days.
    #[error(
        "milestones {first:?} ({first_start} to {first_end}) and {second:?} ({second_start} to \
         {second_end}) overlap; every date may belong to one milestone only, so move one of them"
    )]
    Overlap {
        /// The title of the one that starts first.
        first: String,
        /// Its first day.
        first_start: NaiveDate,
        /// Its last day.
        first_end: NaiveDate,
        /// The title of the other.
        second: String,
        /// Its first day.
        second_start: NaiveDate,
        /// Its last day.
        second_end: NaiveDate,
    },
    /// Two milestones of a list have the same title.
    #[error("two milestones are titled {title:?}; titles must be unique, so rename one")]
    DuplicateTitle {
        /// The title used twice.
        title: String,
    },
}

/// Where milestones come from (the release calendar, a list, later GitLab milestones/iterations).
pub trait MilestoneSource {
    /// The milestone `date` belongs to, if any.
    fn containing(&self, date: NaiveDate) -> Option<Milestone>;
    /// The first milestone that starts after `date`.
    fn next_after(&self, date: NaiveDate) -> Option<Milestone>;
    /// The last milestone that ends before `date`.
    fn previous_before(&self, date: NaiveDate) -> Option<Milestone>;
}

/// GitLab's monthly release calendar, with the rule's history.
///
/// From 16.6 (released 2023-11-16) GitLab releases on the third Thursday of every month and
/// the milestone ends on the cut-off Friday before it. Before that, from 16.0 (May 2023, the
/// first release checked against GitLab's own milestones) to 16.5, GitLab released on the
/// 22nd and the milestone ran from the 18th of the month before to the 17th (16.0: 2023-04-18
/// to 2023-05-17, released 2023-05-22); 16.6 ran from 2023-10-18 to 2023-11-10. Milestones
/// released before May 2023 are not modelled: lookups give none and an anchor there is
/// refused. The dates are GitLab's whatever the anchor: an anchor only renumbers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseCalendar {
    /// `year * 12 + month0` of the month where the version number is 0.0. Counting versions
    /// as `major * 12 + minor` from there makes the May major bump fall out of the arithmetic.
    zero_month: i64,
}

impl ReleaseCalendar {
    /// Anchored on a known release, e.g. ("17.0", 2024-05-16). Minor must be 0..=11; the major bumps in the month where minor is 0 (derived: anchor month - minor).
    pub fn new(version: &str, released: NaiveDate) -> Result<Self, MilestoneError> {
        let invalid = || MilestoneError::InvalidVersion {
            version: version.to_owned(),
        };
        let (major, minor) = version.trim().split_once('.').ok_or_else(invalid)?;
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(major) || !all_digits(minor) {
            return Err(invalid());
        }
        let major: u32 = major.parse().map_err(|_| invalid())?;
        let minor: u32 = minor.parse().map_err(|_| invalid())?;
        if minor > 11 {
            return Err(MilestoneError::MinorOutOfRange {
                version: version.to_owned(),
                minor,
            });
        }
        if month_index(released.year(), released.month()) < first_known_month() {
            return Err(MilestoneError::BeforeHistory { released });
        }
        let expected = Self::release_date(released.year(), released.month());
        if released != expected {
            return Err(MilestoneError::NotAReleaseDay { released, expected });
        }
        Ok(Self {
            zero_month: month_index(released.year(), released.month())
                - (i64::from(major) * 12 + i64::from(minor)),
        })
    }

    /// The release day of the month: the third Thursday from November 2023 (16.6), the 22nd
    /// before.
    ///
    /// # Panics
    ///
    /// If `month` is not 1..=12 or the year is outside chrono's range.
    pub fn release_date(year: i32, month: u32) -> NaiveDate {
        release_day(year, month)
            .unwrap_or_else(|| panic!("{year}-{month} is not a month chrono can represent"))
    }

    /// The milestone released in that month: it ends on the code cut-off (the Friday before
    /// the release; the 17th before 16.6) and starts the day after the previous one ends.
    pub fn milestone_released_in(&self, year: i32, month: u32) -> Option<Milestone> {
        if !(1..=12).contains(&month) {
            return None;
        }
        self.milestone_at(month_index(year, month))
    }

    /// The milestone released in the month `index` (see [`month_index`]).
    fn milestone_at(&self, index: i64) -> Option<Milestone> {
        if index < first_known_month() {
            return None;
        }
        let number = u32::try_from(index - self.zero_month).ok()?;
        let (year, month) = month_of(index)?;
        let release = release_day(year, month)?;
        let end = end_of_month_milestone(index)?;
        let start = end_of_month_milestone(index - 1)?.succ_opt()?;
        let title = format!("{}.{}", number / 12, number % 12);
        Milestone::new(title, start, end, Some(release)).ok()
    }

    /// The month whose milestone contains `date`: its own month until the cut-off, then the
    /// next one.
    fn month_containing(date: NaiveDate) -> Option<i64> {
        let index = month_index(date.year(), date.month());
        let end = end_of_month_milestone(index)?;
        Some(if date <= end { index } else { index + 1 })
    }
}

impl Default for ReleaseCalendar {
    /// 17.0, released on 2024-05-16.
    fn default() -> Self {
        Self {
            zero_month: month_index(2024, 5) - 17 * 12,
        }
    }
}

impl MilestoneSource for ReleaseCalendar {
    fn containing(&self, date: NaiveDate) -> Option<Milestone> {
        self.milestone_at(Self::month_containing(date)?)
    }

    fn next_after(&self, date: NaiveDate) -> Option<Milestone> {
        let index = Self::month_containing(date)? + 1;
        // Before 0.0 (or the known history) there is nothing, but the first milestone after
        // it is still "next".
        self.milestone_at(index.max(self.zero_month).max(first_known_month()))
    }

    fn previous_before(&self, date: NaiveDate) -> Option<Milestone> {
        self.milestone_at(Self::month_containing(date)? - 1)
    }
}

/// Months counted from year 0, so that month arithmetic crosses years for free.
fn month_index(year: i32, month: u32) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

/// The (year, month) of a [`month_index`].
fn month_of(index: i64) -> Option<(i32, u32)> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Some((year, month))
}

/// The first month whose milestone the calendar knows: May 2023, 16.0.
fn first_known_month() -> i64 {
    month_index(2023, 5)
}

/// The first month released on the third Thursday: November 2023, 16.6.
fn first_third_thursday_month() -> i64 {
    month_index(2023, 11)
}

/// The release day of a month under the rule of its time (see [`ReleaseCalendar`]).
fn release_day(year: i32, month: u32) -> Option<NaiveDate> {
    if month_index(year, month) < first_third_thursday_month() {
        NaiveDate::from_ymd_opt(year, month, 22)
    } else {
        third_thursday(year, month)
    }
}

/// The last day of the milestone released in the month `index`: the cut-off Friday before
/// the release, or the 17th while releases were on the 22nd.
fn end_of_month_milestone(index: i64) -> Option<NaiveDate> {
    let (year, month) = month_of(index)?;
    if index < first_third_thursday_month() {
        NaiveDate::from_ymd_opt(year, month, 17)
    } else {
        cut_off(third_thursday(year, month)?)
    }
}

fn third_thursday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Thu, 3)
}

/// The code cut-off: the Friday before a (Thursday) release.
fn cut_off(release: NaiveDate) -> Option<NaiveDate> {
    release.checked_sub_days(Days::new(6))
}

/// An explicit list of milestones (from the config or, later, GitLab).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneList {
    /// Sorted by start; no two overlap, so the ends are sorted too.
    milestones: Vec<Milestone>,
}

impl MilestoneList {
    /// The milestones in any order; rejects overlaps and duplicate titles.
    pub fn new(mut milestones: Vec<Milestone>) -> Result<Self, MilestoneError> {
        milestones.sort_by_key(|milestone| milestone.start);
        for pair in milestones.windows(2) {
            let [first, second] = pair else { continue };
            if second.start <= first.end {
                return Err(MilestoneError::Overlap {
                    first: first.title.clone(),
                    first_start: first.start,
                    first_end: first.end,
                    second: second.title.clone(),
                    second_start: second.start,
                    second_end: second.end,
                });
            }
        }
        let mut titles: Vec<&str> = milestones.iter().map(Milestone::title).collect();
        titles.sort_unstable();
        if let Some(pair) = titles.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(MilestoneError::DuplicateTitle {
                title: pair[0].to_owned(),
            });
        }
        Ok(Self { milestones })
    }

    /// The milestones, by start date.
    pub fn milestones(&self) -> &[Milestone] {
        &self.milestones
    }
}

impl MilestoneSource for MilestoneList {
    fn containing(&self, date: NaiveDate) -> Option<Milestone> {
        let started = self.milestones.partition_point(|m| m.start <= date);
        let candidate = self.milestones[..started].last()?;
        candidate.contains(date).then(|| candidate.clone())
    }

    fn next_after(&self, date: NaiveDate) -> Option<Milestone> {
        let started = self.milestones.partition_point(|m| m.start <= date);
        self.milestones.get(started).cloned()
    }

    fn previous_before(&self, date: NaiveDate) -> Option<Milestone> {
        let ended = self.milestones.partition_point(|m| m.end < date);
        self.milestones[..ended].last().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    /// (title, start, end, release) of a milestone.
    fn parts(milestone: &Milestone) -> (&str, NaiveDate, NaiveDate, Option<NaiveDate>) {
        (
            milestone.title(),
            milestone.start(),
            milestone.end(),
            milestone.release(),
        )
    }

    fn released_in(year: i32, month: u32) -> Milestone {
        ReleaseCalendar::default()
            .milestone_released_in(year, month)
            .unwrap()
    }

    #[test]
    fn new_rejects_blank_titles_and_reversed_dates() {
        assert_eq!(
            Milestone::new(" ", d(2026, 1, 1), d(2026, 1, 2), None),
            Err(MilestoneError::EmptyTitle {
                start: d(2026, 1, 1),
                end: d(2026, 1, 2)
            })
        );
        let error = Milestone::new("Sprint 4", d(2026, 1, 2), d(2026, 1, 1), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "milestone \"Sprint 4\" ends on 2026-01-01, before it starts on 2026-01-02; check the \
             two dates (the end is the last day, included)"
        );
        let one_day = Milestone::new("Hackathon", d(2026, 1, 2), d(2026, 1, 2), None).unwrap();
        assert!(one_day.contains(d(2026, 1, 2)));
        assert!(!one_day.contains(d(2026, 1, 1)));
        assert!(!one_day.contains(d(2026, 1, 3)));
        assert_eq!(one_day.web_url(), None);
        let linked = one_day.with_web_url("https://gitlab.com/groups/g/-/milestones/7");
        assert_eq!(
            linked.web_url(),
            Some("https://gitlab.com/groups/g/-/milestones/7")
        );
    }

    #[test]
    fn release_day_is_the_third_thursday() {
        assert_eq!(ReleaseCalendar::release_date(2024, 5), d(2024, 5, 16));
        assert_eq!(ReleaseCalendar::release_date(2025, 1), d(2025, 1, 16));
        assert_eq!(ReleaseCalendar::release_date(2026, 3), d(2026, 3, 19));
        assert_eq!(ReleaseCalendar::release_date(2026, 8), d(2026, 8, 20));
        // A month starting on a Thursday, and one starting on a Friday.
        assert_eq!(ReleaseCalendar::release_date(2026, 1), d(2026, 1, 15));
        assert_eq!(ReleaseCalendar::release_date(2026, 5), d(2026, 5, 21));
    }

    #[test]
    fn release_calendar_gives_the_real_milestones() {
        assert_eq!(
            parts(&released_in(2025, 1)),
            (
                "17.8",
                d(2024, 12, 14),
                d(2025, 1, 10),
                Some(d(2025, 1, 16))
            )
        );
        assert_eq!(
            parts(&released_in(2026, 3)),
            (
                "18.10",
                d(2026, 2, 14),
                d(2026, 3, 13),
                Some(d(2026, 3, 19))
            )
        );
        assert_eq!(
            parts(&released_in(2026, 8)),
            ("19.3", d(2026, 7, 11), d(2026, 8, 14), Some(d(2026, 8, 20)))
        );
    }

    #[test]
    fn before_16_6_gitlab_released_on_the_22nd() {
        // Hand-worked from GitLab's milestones: 18th to 17th, release on the 22nd.
        assert_eq!(
            parts(&released_in(2023, 5)),
            ("16.0", d(2023, 4, 18), d(2023, 5, 17), Some(d(2023, 5, 22)))
        );
        assert_eq!(
            parts(&released_in(2023, 10)),
            (
                "16.5",
                d(2023, 9, 18),
                d(2023, 10, 17),
                Some(d(2023, 10, 22))
            )
        );
        // The first third-Thursday release: it starts where 16.5 ended.
        assert_eq!(
            parts(&released_in(2023, 11)),
            (
                "16.6",
                d(2023, 10, 18),
                d(2023, 11, 10),
                Some(d(2023, 11, 16))
            )
        );
        assert_eq!(
            parts(&released_in(2023, 12)),
            (
                "16.7",
                d(2023, 11, 11),
                d(2023, 12, 15),
                Some(d(2023, 12, 21))
            )
        );
        assert_eq!(ReleaseCalendar::release_date(2023, 8), d(2023, 8, 22));
        let calendar = ReleaseCalendar::default();
        assert_eq!(calendar.containing(d(2023, 5, 17)).unwrap().title(), "16.0");
        assert_eq!(calendar.containing(d(2023, 5, 18)).unwrap().title(), "16.1");
        assert_eq!(
            calendar.containing(d(2023, 10, 18)).unwrap().title(),
            "16.6"
        );
        assert_eq!(
            calendar.containing(d(2023, 11, 10)).unwrap().title(),
            "16.6"
        );
        assert_eq!(
            calendar.containing(d(2023, 11, 11)).unwrap().title(),
            "16.7"
        );
        assert_eq!(
            calendar.previous_before(d(2023, 10, 18)).unwrap().title(),
            "16.5"
        );
        assert_eq!(
            calendar.next_after(d(2023, 10, 17)).unwrap().title(),
            "16.6"
        );
        // 22nd-era anchors are release days too.
        assert_eq!(
            ReleaseCalendar::new("16.0", d(2023, 5, 22)),
            Ok(ReleaseCalendar::default())
        );
        assert!(matches!(
            ReleaseCalendar::new("16.0", d(2023, 5, 18)),
            Err(MilestoneError::NotAReleaseDay { .. })
        ));
    }

    #[test]
    fn before_16_0_the_calendar_refuses_rather_than_guesses() {
        let calendar = ReleaseCalendar::default();
        assert_eq!(calendar.milestone_released_in(2023, 4), None);
        assert_eq!(calendar.containing(d(2023, 4, 17)), None);
        assert_eq!(calendar.previous_before(d(2023, 4, 18)), None);
        assert_eq!(calendar.next_after(d(2022, 6, 1)).unwrap().title(), "16.0");
        let error = ReleaseCalendar::new("15.0", d(2022, 5, 22)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "2022-05-22 is before May 2023: the release calendar knows GitLab's release dates \
             from 16.0 (released 2023-05-22) on; anchor on a later release, such as 17.0 on \
             2024-05-16, or list older milestones under `milestones.list`"
        );
    }

    #[test]
    fn majors_bump_every_may_and_years_roll_over() {
        assert_eq!(released_in(2024, 5).title(), "17.0");
        assert_eq!(released_in(2025, 4).title(), "17.11");
        assert_eq!(released_in(2025, 5).title(), "18.0");
        assert_eq!(released_in(2026, 4).title(), "18.11");
        assert_eq!(released_in(2026, 5).title(), "19.0");
        assert_eq!(
            parts(&released_in(2026, 5)),
            ("19.0", d(2026, 4, 11), d(2026, 5, 15), Some(d(2026, 5, 21)))
        );
        // December and January: the December milestone starts in November, January's in
        // December.
        assert_eq!(
            parts(&released_in(2025, 12)),
            (
                "18.7",
                d(2025, 11, 15),
                d(2025, 12, 12),
                Some(d(2025, 12, 18))
            )
        );
        assert_eq!(
            parts(&released_in(2026, 1)),
            ("18.8", d(2025, 12, 13), d(2026, 1, 9), Some(d(2026, 1, 15)))
        );
        assert_eq!(released_in(2023, 5).title(), "16.0");
        assert_eq!(released_in(2031, 5).title(), "24.0");
    }

    #[test]
    fn consecutive_release_milestones_tile_the_calendar() {
        let calendar = ReleaseCalendar::default();
        let mut previous = calendar.milestone_released_in(2023, 12).unwrap();
        for index in month_index(2024, 1)..month_index(2031, 1) {
            let (year, month) = month_of(index).unwrap();
            let milestone = calendar.milestone_released_in(year, month).unwrap();
            assert_eq!(milestone.start(), previous.end().succ_opt().unwrap());
            assert_eq!(milestone.start().weekday(), Weekday::Sat);
            assert_eq!(milestone.end().weekday(), Weekday::Fri);
            assert!(milestone.release().unwrap() > milestone.end());
            previous = milestone;
        }
    }

    #[test]
    fn a_custom_anchor_shifts_the_versions() {
        // A product that released 3.4 in January 2026 released 4.0 in September 2026.
        let calendar = ReleaseCalendar::new("3.4", d(2026, 1, 15)).unwrap();
        let january = calendar.milestone_released_in(2026, 1).unwrap();
        assert_eq!(
            parts(&january),
            ("3.4", d(2025, 12, 13), d(2026, 1, 9), Some(d(2026, 1, 15)))
        );
        assert_eq!(
            calendar.milestone_released_in(2026, 8).unwrap().title(),
            "3.11"
        );
        assert_eq!(
            calendar.milestone_released_in(2026, 9).unwrap().title(),
            "4.0"
        );
        assert_eq!(
            calendar.milestone_released_in(2025, 9).unwrap().title(),
            "3.0"
        );
        assert_eq!(
            calendar.milestone_released_in(2025, 8).unwrap().title(),
            "2.11"
        );
        assert_eq!(
            ReleaseCalendar::new("17.0", d(2024, 5, 16)),
            Ok(ReleaseCalendar::default())
        );
    }

    #[test]
    fn nothing_before_zero_or_outside_the_months() {
        let calendar = ReleaseCalendar::new("0.1", d(2026, 2, 19)).unwrap();
        assert_eq!(
            calendar.milestone_released_in(2026, 1).unwrap().title(),
            "0.0"
        );
        assert_eq!(calendar.milestone_released_in(2025, 12), None);
        assert_eq!(calendar.milestone_released_in(2026, 13), None);
        assert_eq!(calendar.milestone_released_in(2026, 0), None);
        assert_eq!(calendar.containing(d(2025, 12, 12)), None);
        assert_eq!(
            calendar.next_after(d(2025, 6, 1)).unwrap().title(),
            "0.0",
            "the first milestone is next for any date before it"
        );
        assert_eq!(calendar.previous_before(d(2026, 1, 9)), None);
        assert_eq!(
            calendar.previous_before(d(2026, 1, 10)).unwrap().title(),
            "0.0"
        );
    }

    #[test]
    fn release_calendar_anchor_must_be_a_release() {
        assert_eq!(
            ReleaseCalendar::new("17", d(2024, 5, 16)),
            Err(MilestoneError::InvalidVersion {
                version: "17".into()
            })
        );
        for version in ["v17.0", "17.0.1", "17.", ".3", "17.-1", "a.b"] {
            assert!(
                matches!(
                    ReleaseCalendar::new(version, d(2024, 5, 16)),
                    Err(MilestoneError::InvalidVersion { .. })
                ),
                "{version}"
            );
        }
        assert_eq!(
            ReleaseCalendar::new("17.12", d(2024, 5, 16)),
            Err(MilestoneError::MinorOutOfRange {
                version: "17.12".into(),
                minor: 12
            })
        );
        // The milestone's start date instead of its release.
        let error = ReleaseCalendar::new("17.8", d(2024, 12, 14)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "2024-12-14 is not a release day: releases are on the third Thursday of the month \
             from November 2023 and on the 22nd before (2024-12-19 that month); anchor on a \
             release day, such as 17.0 on 2024-05-16"
        );
    }

    #[test]
    fn release_calendar_lookups_at_the_boundaries() {
        let calendar = ReleaseCalendar::default();
        // 18.10 runs Sat 2026-02-14 .. Fri 2026-03-13 (cut-off).
        for date in [
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 3, 1),
            d(2026, 3, 13),
        ] {
            assert_eq!(
                calendar.containing(date).unwrap().title(),
                "18.10",
                "{date}"
            );
        }
        assert_eq!(calendar.containing(d(2026, 2, 13)).unwrap().title(), "18.9");
        assert_eq!(
            calendar.containing(d(2026, 3, 14)).unwrap().title(),
            "18.11"
        );
        assert_eq!(
            calendar.containing(d(2026, 3, 19)).unwrap().title(),
            "18.11",
            "release day belongs to the next milestone"
        );

        assert_eq!(
            calendar.next_after(d(2026, 3, 13)).unwrap().title(),
            "18.11"
        );
        assert_eq!(calendar.next_after(d(2026, 3, 14)).unwrap().title(), "19.0");
        assert_eq!(
            calendar.next_after(d(2026, 2, 13)).unwrap().title(),
            "18.10"
        );
        assert_eq!(
            calendar.previous_before(d(2026, 3, 14)).unwrap().title(),
            "18.10"
        );
        assert_eq!(
            calendar.previous_before(d(2026, 3, 13)).unwrap().title(),
            "18.9"
        );
        assert_eq!(
            calendar.previous_before(d(2026, 2, 14)).unwrap().title(),
            "18.9"
        );

        // Across the year end: 17.8 runs 2024-12-14 .. 2025-01-10.
        assert_eq!(
            calendar.containing(d(2024, 12, 31)).unwrap().title(),
            "17.8"
        );
        assert_eq!(calendar.containing(d(2025, 1, 1)).unwrap().title(), "17.8");
        assert_eq!(calendar.containing(d(2025, 1, 11)).unwrap().title(), "17.9");
        assert_eq!(
            calendar.next_after(d(2024, 12, 31)).unwrap().title(),
            "17.9"
        );
        assert_eq!(
            calendar.previous_before(d(2025, 1, 1)).unwrap().title(),
            "17.7"
        );
    }

    #[test]
    fn planning_timeline_of_17_8() {
        let milestone = released_in(2025, 1);
        assert_eq!(milestone.draft_date(), d(2024, 11, 25));
        assert_eq!(milestone.pm_plan_date(), d(2024, 12, 2));
        assert_eq!(milestone.planning_lock(), d(2024, 12, 9));
        assert_eq!(milestone.kickoff(), d(2024, 12, 16));
        assert_eq!(milestone.retrospective(), d(2024, 12, 25));
    }

    #[test]
    fn planning_timeline_of_a_milestone_starting_on_a_monday() {
        let milestone = Milestone::new("Sprint 9", d(2026, 6, 1), d(2026, 6, 12), None).unwrap();
        // Monday 2026-06-01: 19 days before is Wed 05-13, 12 before Wed 05-20, 5 before
        // Wed 05-27; kickoff is the next Monday, not the start itself.
        assert_eq!(milestone.draft_date(), d(2026, 5, 11));
        assert_eq!(milestone.pm_plan_date(), d(2026, 5, 18));
        assert_eq!(milestone.planning_lock(), d(2026, 5, 25));
        assert_eq!(milestone.kickoff(), d(2026, 6, 8));
        // start + 11 is Friday 06-12; the next Wednesday is 06-17.
        assert_eq!(milestone.retrospective(), d(2026, 6, 17));
        let wednesday = Milestone::new("W", d(2026, 6, 3), d(2026, 6, 30), None).unwrap();
        assert_eq!(wednesday.kickoff(), d(2026, 6, 8));
        // start + 11 is Sunday 06-14.
        assert_eq!(wednesday.retrospective(), d(2026, 6, 17));
        let sunday = Milestone::new("S", d(2026, 6, 7), d(2026, 6, 30), None).unwrap();
        assert_eq!(sunday.kickoff(), d(2026, 6, 8));
        // start + 11 is Thursday 06-18.
        assert_eq!(sunday.retrospective(), d(2026, 6, 24));
    }

    #[test]
    fn planning_timeline_at_the_end_of_the_date_range_saturates() {
        let milestone = Milestone::new("Last", NaiveDate::MAX, NaiveDate::MAX, None).unwrap();
        assert_eq!(milestone.kickoff(), NaiveDate::MAX);
        assert_eq!(milestone.retrospective(), NaiveDate::MAX);
    }

    fn sprint(title: &str, start: NaiveDate, end: NaiveDate) -> Milestone {
        Milestone::new(title, start, end, None).unwrap()
    }

    #[test]
    fn milestone_list_sorts_and_rejects_overlaps_and_duplicates() {
        let list = MilestoneList::new(vec![
            sprint("B", d(2026, 1, 15), d(2026, 1, 28)),
            sprint("A", d(2026, 1, 1), d(2026, 1, 14)),
        ])
        .unwrap();
        let titles: Vec<&str> = list.milestones().iter().map(Milestone::title).collect();
        assert_eq!(titles, ["A", "B"]);

        let error = MilestoneList::new(vec![
            sprint("B", d(2026, 1, 14), d(2026, 1, 28)),
            sprint("A", d(2026, 1, 1), d(2026, 1, 14)),
        ])
        .unwrap_err();
        assert_eq!(
            error,
            MilestoneError::Overlap {
                first: "A".into(),
                first_start: d(2026, 1, 1),
                first_end: d(2026, 1, 14),
                second: "B".into(),
                second_start: d(2026, 1, 14),
                second_end: d(2026, 1, 28),
            }
        );
        assert_eq!(
            MilestoneList::new(vec![
                sprint("A", d(2026, 1, 1), d(2026, 1, 14)),
                sprint("A", d(2026, 2, 1), d(2026, 2, 14)),
            ])
            .unwrap_err(),
            MilestoneError::DuplicateTitle { title: "A".into() }
        );
        assert!(
            MilestoneList::new(Vec::new())
                .unwrap()
                .milestones()
                .is_empty()
        );
    }

    #[test]
    fn milestone_list_lookups_with_gaps() {
        // A: 01-01..01-14, gap 01-15..01-19, B: 01-20..02-02, C: 02-03..02-16.
        let list = MilestoneList::new(vec![
            sprint("C", d(2026, 2, 3), d(2026, 2, 16)),
            sprint("A", d(2026, 1, 1), d(2026, 1, 14)),
            sprint("B", d(2026, 1, 20), d(2026, 2, 2)),
        ])
        .unwrap();
        let title = |milestone: Option<Milestone>| milestone.map(|m| m.title().to_owned());
        assert_eq!(title(list.containing(d(2025, 12, 31))), None);
        assert_eq!(title(list.containing(d(2026, 1, 1))).as_deref(), Some("A"));
        assert_eq!(title(list.containing(d(2026, 1, 14))).as_deref(), Some("A"));
        assert_eq!(title(list.containing(d(2026, 1, 15))), None);
        assert_eq!(title(list.containing(d(2026, 2, 2))).as_deref(), Some("B"));
        assert_eq!(title(list.containing(d(2026, 2, 3))).as_deref(), Some("C"));
        assert_eq!(title(list.containing(d(2026, 2, 17))), None);

        assert_eq!(
            title(list.next_after(d(2025, 12, 31))).as_deref(),
            Some("A")
        );
        assert_eq!(title(list.next_after(d(2026, 1, 1))).as_deref(), Some("B"));
        assert_eq!(title(list.next_after(d(2026, 1, 19))).as_deref(), Some("B"));
        assert_eq!(title(list.next_after(d(2026, 1, 20))).as_deref(), Some("C"));
        assert_eq!(title(list.next_after(d(2026, 2, 3))), None);

        assert_eq!(title(list.previous_before(d(2026, 1, 14))), None);
        assert_eq!(
            title(list.previous_before(d(2026, 1, 15))).as_deref(),
            Some("A")
        );
        assert_eq!(
            title(list.previous_before(d(2026, 2, 2))).as_deref(),
            Some("A")
        );
        assert_eq!(
            title(list.previous_before(d(2026, 2, 3))).as_deref(),
            Some("B")
        );
        assert_eq!(
            title(list.previous_before(d(2027, 1, 1))).as_deref(),
            Some("C")
        );
    }

    #[test]
    fn milestones_serialize_with_their_dates() {
        let milestone = released_in(2025, 1).with_web_url("https://example.com/17.8");
        assert_eq!(
            serde_json::to_value(&milestone).unwrap(),
            serde_json::json!({
                "title": "17.8",
                "start": "2024-12-14",
                "end": "2025-01-10",
                "release": "2025-01-16",
                "web_url": "https://example.com/17.8",
            })
        );
    }
}
