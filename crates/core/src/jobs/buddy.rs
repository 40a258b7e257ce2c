//! Choosing an onboarding buddy when none is given: a teammate with some tenure, in a near
//! time zone, at work in every week the onboarding template gives the buddy tasks (weeks 1
//! to 4 in the default template), and not already busy being a buddy. Who is away comes from
//! the one model of absence ([`crate::absence`]). The choice and the reasons for it go into
//! the issue.

use chrono::{Days, Months, NaiveDate, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::absence::Absences;
use crate::config::Config;
use crate::jobs::ymd;
use crate::team::{Member, NewHire, Team};

/// How long someone has been at the company before they can be a buddy.
pub const MIN_TENURE_MONTHS: u32 = 3;
/// How many calendar days from the start date the buddy must be around for.
pub const FIRST_WEEKS_DAYS: u64 = 14;
/// How long a buddy stays busy with a hire, in calendar days from the start date.
pub const ONBOARDING_DAYS: u64 = 30;

/// The buddy chosen for a hire, with why; or why nobody could be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The buddy's username, when someone qualifies.
    pub buddy: Option<String>,
    /// Why they were chosen, or why nobody was, in one sentence.
    pub reason: String,
    /// Why each other teammate was passed over, one phrase each, in team order.
    pub passed_over: Vec<String>,
}

/// A teammate who could be the buddy.
struct Candidate<'a> {
    member: &'a Member,
    /// Minutes between the candidate's and the hire's UTC offsets on the start date.
    distance: i32,
    /// New hires they are buddy to whose first month overlaps this hire's first two weeks.
    load: usize,
}

/// The weeks (1 to 4) in which an onboarding template gives the buddy tasks: those whose
/// `## Week N` section holds a `### Buddy` part with a task (`- [ ]`). A template without
/// that structure gets the handbook's rule: the first two weeks.
pub fn buddy_weeks<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u32> {
    let mut weeks = Vec::new();
    for text in texts {
        let (mut week, mut in_buddy) = (None, false);
        for line in text.lines().map(str::trim) {
            if let Some(heading) = line.strip_prefix("## ") {
                week = heading
                    .strip_prefix("Week ")
                    .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| (1..=4).contains(n));
                in_buddy = false;
            } else if let Some(heading) = line.strip_prefix("### ") {
                in_buddy = heading.trim().eq_ignore_ascii_case("buddy");
            } else if in_buddy
                && line.starts_with("- [")
                && let Some(n) = week
                && !weeks.contains(&n)
            {
                weeks.push(n);
            }
        }
    }
    if weeks.is_empty() {
        weeks = vec![1, 2];
    }
    weeks.sort_unstable();
    weeks
}

/// The working days of `hire` in `weeks` (week N: the 5 working days from the 5(N-1)th
/// working day after the start, as the onboarding issue dates them).
fn days_of_weeks(config: &Config, hire: &NewHire, weeks: &[u32]) -> Vec<NaiveDate> {
    let calendar = config.calendars.for_person(&hire.username);
    let mut days = Vec::new();
    for n in weeks {
        let first = calendar.add_working_days(hire.start, 5 * (n - 1));
        let last = calendar.add_working_days(hire.start, 5 * n - 1);
        for day in first.iter_days().take_while(|d| *d <= last).take(366) {
            if calendar.is_working_day(day) && !days.contains(&day) {
                days.push(day);
            }
        }
    }
    days
}

/// "weeks 1 and 2", "weeks 1, 2, 3 and 4", "week 3".
fn describe_weeks(weeks: &[u32]) -> String {
    let names: Vec<String> = weeks.iter().map(u32::to_string).collect();
    match names.as_slice() {
        [one] => format!("week {one}"),
        [init @ .., last] => format!("weeks {} and {last}", init.join(", ")),
        [] => "no week".to_owned(),
    }
}

/// Suggests a buddy for `hire` among the members of `team`. `assigned` are the buddies of
/// other hires (given or suggested earlier in the run), with those hires' start dates. The
/// buddy must be at work on every working day of `weeks` (see [`buddy_weeks`]), by
/// `absences`, the holidays and the weekends.
pub fn suggest(
    config: &Config,
    team: &Team,
    hire: &NewHire,
    assigned: &[(String, NaiveDate)],
    absences: &Absences,
    weeks: &[u32],
) -> Suggestion {
    let first_weeks = days_of_weeks(config, hire, weeks);
    let weeks_text = describe_weeks(weeks);
    let tenure_since = hire
        .start
        .checked_sub_months(Months::new(MIN_TENURE_MONTHS))
        .unwrap_or(hire.start);
    let hire_offset = offset_minutes(hire.timezone, hire.start);

    let mut passed_over = Vec::new();
    let mut candidates = Vec::new();
    for member in &team.members {
        if member.username == hire.username {
            continue;
        }
        if hire.manager.as_deref() == Some(member.username.as_str()) {
            passed_over.push(format!("{} is the manager", member.username));
            continue;
        }
        if let Some(joined) = member.joined
            && joined > tenure_since
        {
            passed_over.push(format!(
                "{} joined on {}, less than {MIN_TENURE_MONTHS} months before the start",
                member.username,
                ymd(joined)
            ));
            continue;
        }
        if let Some((day, why)) = first_weeks.iter().find_map(|day| {
            absences
                .away(&config.calendars, &member.username, *day)
                .map(|away| (*day, away.reason()))
        }) {
            passed_over.push(format!(
                "{} is away on {} ({why})",
                member.username,
                ymd(day)
            ));
            continue;
        }
        // Another hire's first month overlapping this one's first two weeks.
        let load = assigned
            .iter()
            .filter(|(buddy, start)| {
                *buddy == member.username
                    && *start <= later(hire.start, FIRST_WEEKS_DAYS)
                    && hire.start <= later(*start, ONBOARDING_DAYS)
            })
            .count();
        candidates.push(Candidate {
            member,
            distance: (offset_minutes(member.timezone, hire.start) - hire_offset).abs(),
            load,
        });
    }
    candidates.sort_by(|a, b| {
        (a.distance, a.load, &a.member.username).cmp(&(b.distance, b.load, &b.member.username))
    });
    let Some(chosen) = candidates.first() else {
        return Suggestion {
            buddy: None,
            reason: format!(
                "No buddy could be suggested: nobody in {} has been at the company for \
                 {MIN_TENURE_MONTHS} months and is at work in {weeks_text} (every week with \
                 buddy tasks); the manager is assigned until someone is chosen",
                team.name
            ),
            passed_over,
        };
    };
    for other in &candidates[1..] {
        passed_over.push(format!(
            "{} is {} from the new hire's time zone and buddy to {} other new hire{}{}",
            other.member.username,
            hours(other.distance),
            other.load,
            if other.load == 1 { "" } else { "s" },
            if (other.distance, other.load) == (chosen.distance, chosen.load) {
                " (a tie, settled by username)"
            } else {
                ""
            }
        ));
    }
    Suggestion {
        buddy: Some(chosen.member.username.clone()),
        reason: format!(
            "{} was suggested as buddy: on the same team{}, {} from the new hire's time zone \
             ({}), at work on every working day of {weeks_text} (every week with buddy tasks), \
             and buddy to {} other new hire{} now",
            chosen.member.username,
            chosen
                .member
                .joined
                .map(|j| format!(", at the company since {}", ymd(j)))
                .unwrap_or_default(),
            hours(chosen.distance),
            chosen.member.timezone.name(),
            chosen.load,
            if chosen.load == 1 { "" } else { "s" }
        ),
        passed_over,
    }
}

/// The UTC offset of `zone` at noon on `date`, in minutes.
fn offset_minutes(zone: Tz, date: NaiveDate) -> i32 {
    let noon = date.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
    zone.from_utc_datetime(&noon)
        .offset()
        .fix()
        .local_minus_utc()
        / 60
}

/// Minutes as "0 h", "6 h" or "5.5 h".
fn hours(minutes: i32) -> String {
    if minutes % 60 == 0 {
        format!("{} h", minutes / 60)
    } else {
        format!("{:.1} h", f64::from(minutes) / 60.0)
    }
}

/// `days` after `date`, or the last date there is: no start date may make this panic.
fn later(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceFiles;

    struct NoFiles;

    impl SourceFiles for NoFiles {
        fn read_to_string(&self, path: &str) -> std::io::Result<String> {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                path.to_owned(),
            ))
        }
    }

    const TEAM: &str = "holidays:
  nl: { dates: [2026-12-25 Christmas Day] }
teams:
  - id: t
    name: Team
    project: g/p
    members:
      - { username: alice, name: A, role: engineering-manager, timezone: Europe/Amsterdam, joined: 2020-01-06 }
      - { username: bob, name: B, role: backend-engineer, timezone: Europe/Amsterdam, joined: 2021-06-01 }
      - { username: carol, name: C, role: backend-engineer, timezone: Europe/Amsterdam, joined: 2024-02-12, holidays: nl }
      - { username: erin, name: E, role: frontend-engineer, timezone: America/New_York, joined: 2023-09-18 }
      - { username: heidi, name: H, role: backend-engineer, timezone: Europe/Amsterdam, joined: 2026-10-01 }
";

    fn config(extra: &str) -> Config {
        Config::parse("team.yml", &format!("{TEAM}{extra}"), &NoFiles).expect("valid config")
    }

    fn config_without_time_off() -> Config {
        config("")
    }

    /// `suggest` over the first two weeks, the config's absences only.
    fn suggest(
        config: &Config,
        team: &Team,
        hire: &NewHire,
        assigned: &[(String, NaiveDate)],
    ) -> Suggestion {
        let (absences, _) = crate::absence::Facts::default().absences(config);
        super::suggest(config, team, hire, assigned, &absences, &[1, 2])
    }

    fn hire(start: &str) -> NewHire {
        NewHire {
            username: "dave".to_owned(),
            name: "Dave".to_owned(),
            role: "backend-engineer".to_owned(),
            team: "t".to_owned(),
            start: NaiveDate::parse_from_str(start, "%Y-%m-%d").expect("date"),
            manager: Some("alice".to_owned()),
            buddy: None,
            timezone: "Europe/Amsterdam".parse().expect("zone"),
            holidays: None,
            location: None,
        }
    }

    #[test]
    fn the_nearest_teammate_with_tenure_who_is_around_is_chosen() {
        let config = config("");
        let s = suggest(&config, &config.teams[0], &hire("2026-12-07"), &[]);
        assert_eq!(s.buddy.as_deref(), Some("bob"));
        assert_eq!(
            s.passed_over,
            [
                "alice is the manager",
                "heidi joined on 2026-10-01, less than 3 months before the start",
                "carol is 0 h from the new hire's time zone and buddy to 0 other new hires (a \
                 tie, settled by username)",
                "erin is 6 h from the new hire's time zone and buddy to 0 other new hires",
            ]
        );
    }

    #[test]
    fn someone_away_in_the_first_two_weeks_or_already_a_buddy_is_passed_over() {
        let config = config(
            "time_off:\n  - { person: bob, from: 2026-12-17, until: 2026-12-18, note: Dentist }\n",
        );
        let team = &config.teams[0];
        let s = suggest(&config, team, &hire("2026-12-07"), &[]);
        assert_eq!(s.buddy.as_deref(), Some("carol"));
        assert!(
            s.passed_over
                .contains(&"bob is away on 2026-12-17 (Dentist)".to_owned()),
            "{:?}",
            s.passed_over
        );
        // Christmas in carol's calendar falls in the first two weeks of a later start.
        let later = suggest(&config, team, &hire("2026-12-21"), &[]);
        assert!(
            later
                .passed_over
                .contains(&"carol is away on 2026-12-25 (Christmas Day)".to_owned()),
            "{:?}",
            later.passed_over
        );
        assert_eq!(later.buddy.as_deref(), Some("bob"));
        // Being buddy to a hire who started a week earlier counts against bob; nearness
        // of time zone still comes first.
        let start = NaiveDate::from_ymd_opt(2026, 12, 14).expect("date");
        let busy = suggest(
            &config,
            team,
            &hire("2026-12-21"),
            &[("bob".to_owned(), start)],
        );
        assert_eq!(busy.buddy.as_deref(), Some("bob"));
        let free = config_without_time_off();
        let start = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let balanced = suggest(
            &free,
            &free.teams[0],
            &hire("2026-12-07"),
            &[("bob".to_owned(), start)],
        );
        assert_eq!(balanced.buddy.as_deref(), Some("carol"));
        assert!(
            balanced.passed_over.contains(
                &"bob is 0 h from the new hire's time zone and buddy to 1 other new hire"
                    .to_owned()
            ),
            "{:?}",
            balanced.passed_over
        );
    }

    #[test]
    fn nobody_suitable_is_said_so() {
        let config = config(
            "time_off:\n  - { person: bob, from: 2026-12-07, until: 2026-12-08 }\n  - { person: carol, from: 2026-12-07, until: 2026-12-08 }\n  - { person: erin, from: 2026-12-07, until: 2026-12-08 }\n",
        );
        let s = suggest(&config, &config.teams[0], &hire("2026-12-07"), &[]);
        assert_eq!(s.buddy, None);
        assert!(
            s.reason.starts_with("No buddy could be suggested"),
            "{}",
            s.reason
        );
        assert_eq!(s.passed_over.len(), 5);
    }
}
