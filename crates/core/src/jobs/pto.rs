//! The PTO coverage issue: who covers which responsibility while someone is away.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{
    Draft, JobError, Plans, Scope, days_before, due_from, person_by_username, person_json,
    team_json, ymd,
};
use crate::config::Config;
use crate::jobs::planning::milestone_json;
use crate::plan::{Action, JobReport, push_unique};
use crate::team::{Member, Team};
use crate::time_off::TimeOff;

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::pto";
/// Checks time off given on the command line (or in pipeline variables) against the config.
pub fn manual_time_off(
    config: &Config,
    person: &str,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<TimeOff, JobError> {
    if config.member(person).is_none() {
        return Err(JobError::Input(format!(
            "`{person}` is not a member of any team in {}: pass the GitLab username of a team member",
            config.file
        )));
    }
    TimeOff::new(person, from, until).map_err(|_| {
        JobError::Input(format!(
            "the last day off ({}) is before the first ({}): pass --until on or after --from",
            ymd(until),
            ymd(from)
        ))
    })
}

/// Plans coverage issues: for each recorded time off that has not ended (every one, with
/// [`Scope::Everything`]), in the config or read from its `feeds`, and for `manual`, which is
/// always due. Everyone's time off, from any source, keeps them from being chosen as a backup.
///
/// An issue is due from `create_days_before` days before the first day off until the last,
/// when the time off needs coverage under the team's rule.
pub fn plan(
    config: &Config,
    today: NaiveDate,
    scope: Scope,
    manual: Option<TimeOff>,
    feeds: &[TimeOff],
) -> Result<JobReport, JobError> {
    let mut entries: Vec<(&TimeOff, bool)> = config
        .time_off
        .iter()
        .chain(feeds)
        .filter(|t| scope == Scope::Everything || t.last() >= today)
        .map(|t| (t, false))
        .collect();
    if let Some(manual) = &manual {
        // The same time off given by hand replaces its config entry rather than doubling it.
        entries.retain(|(t, _)| t.key() != manual.key());
        entries.push((manual, true));
    }
    entries.sort_by(|(a, _), (b, _)| (a.first(), a.person()).cmp(&(b.first(), b.person())));

    let everyone_away: Vec<&TimeOff> = config
        .time_off
        .iter()
        .chain(feeds)
        .chain(manual.as_ref())
        .collect();
    let mut duties = Duties::default();
    let mut plans = Plans::new(config);
    for (time_off, is_manual) in entries {
        let Some((team, member)) = config.member(time_off.person()) else {
            continue; // validated: every person is a member
        };
        let calendar = config.calendars.for_person(member.username.as_str());
        let run = time_off.run(calendar);
        let required = is_manual || team.pto.coverage.requires_coverage(&run);
        let window_start = days_before(time_off.first(), team.pto.create_days_before);
        let action = if !required {
            Action::Skip(format!(
                "{} consecutive working day{} off; a coverage issue is expected from {}",
                run.days,
                if run.days == 1 { "" } else { "s" },
                team.pto.coverage.min_working_days
            ))
        } else if is_manual {
            Action::Create
        } else {
            due_from(today, window_start)
        };

        let rows = backups(config, team, member, time_off, &everyone_away, &mut duties);
        let manager = member.manager.as_deref();
        let mut backup_names = Vec::new();
        for row in &rows {
            for backup in [&row.primary, &row.secondary].into_iter().flatten() {
                push_unique(&mut backup_names, backup);
            }
        }
        let mut assignees = vec![member.username.clone()];
        assignees.extend(backup_names.iter().cloned());
        for row in rows.iter().filter(|r| r.primary.is_none()) {
            plans.report.warnings.push(format!(
                "{}: nobody who can cover \"{}\" is available from {} to {}; {}",
                time_off.key(),
                row.name,
                ymd(time_off.first()),
                ymd(time_off.last()),
                match manager {
                    Some(m) => format!("assigned to the manager, {m}"),
                    None => "and no manager is configured".to_owned(),
                }
            ));
            if let Some(m) = manager {
                push_unique(&mut assignees, m);
            }
        }

        // Milestones read from GitLab are not known here yet: the lock rule uses the
        // configured calendar or list.
        let milestone = config
            .milestones_of(team)
            .source()
            .and_then(|source| source.containing(time_off.first()));
        let lock_exception = milestone
            .as_ref()
            .filter(|m| time_off.needs_lock_exception(calendar, m, today))
            .map(|m| {
                json!({
                    "milestone": milestone_json(m),
                    "recorded": ymd(time_off.requested().unwrap_or(today)),
                })
            });
        let context = json!({
            "person": person_json(member),
            "manager": manager.map(|m| person_by_username(config, m)),
            "team": team_json(team),
            "time_off": {
                "key": time_off.key(),
                "from": ymd(time_off.first()),
                "until": ymd(time_off.last()),
                "note": time_off.note(),
                "working_days": time_off.working_days(calendar),
                "run": { "first": ymd(run.first), "last": ymd(run.last), "days": run.days },
            },
            "coverage_required": required,
            "min_working_days": team.pto.coverage.min_working_days,
            "responsibilities": rows.iter().map(|r| r.to_json(config)).collect::<Vec<_>>(),
            "backups": backup_names.iter().map(|u| person_by_username(config, u)).collect::<Vec<_>>(),
            "milestone": milestone.as_ref().map(milestone_json),
            "lock_exception": lock_exception,
        });
        let draft = Draft {
            key: time_off.key(),
            action,
            project: &team.pto.project,
            template: &team.templates.pto,
            parts: Vec::new(),
            default_title: None,
            context,
            labels: vec![&team.pto.labels, &team.labels],
            kind: KIND_LABEL,
            assignees,
            milestone: None,
            due_date: Some(time_off.first()),
            confidential: team.pto.confidential,
            follow_ups: Vec::new(),
            notes: Vec::new(),
        };
        plans.add(draft);
    }
    plans.finish()
}

/// One responsibility with the backups chosen for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    /// What the duty is.
    pub name: String,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub priority: &'static str,
    /// Where it is tracked.
    pub link: Option<String>,
    /// First backup, if anyone is available.
    pub primary: Option<String>,
    /// Second backup, if a second person is available.
    pub secondary: Option<String>,
}

impl CoverageRow {
    fn to_json(&self, config: &Config) -> Value {
        json!({
            "name": self.name,
            "priority": self.priority,
            "link": self.link,
            "primary": self.primary.as_deref().map(|u| person_by_username(config, u)),
            "secondary": self.secondary.as_deref().map(|u| person_by_username(config, u)),
        })
    }
}

/// Coverage duties already handed out in this run, so that load is spread.
#[derive(Debug, Default)]
struct Duties(BTreeMap<String, Vec<(NaiveDate, NaiveDate)>>);

impl Duties {
    fn load(&self, username: &str, from: NaiveDate, until: NaiveDate) -> usize {
        self.0.get(username).map_or(0, |periods| {
            periods
                .iter()
                .filter(|(f, u)| *f <= until && *u >= from)
                .count()
        })
    }

    fn add(&mut self, username: &str, from: NaiveDate, until: NaiveDate) {
        self.0
            .entry(username.to_owned())
            .or_default()
            .push((from, until));
    }
}

/// Chooses backups for each of `member`'s responsibilities: people who can cover it and are
/// at work on every working day of the time off, the least loaded first, then in the
/// order the config lists them.
fn backups(
    config: &Config,
    team: &Team,
    member: &Member,
    time_off: &TimeOff,
    everyone_away: &[&TimeOff],
    duties: &mut Duties,
) -> Vec<CoverageRow> {
    let person_calendar = config.calendars.for_person(&member.username);
    let days_to_cover: Vec<NaiveDate> = time_off
        .first()
        .iter_days()
        .take_while(|d| *d <= time_off.last())
        .filter(|d| person_calendar.is_working_day(*d))
        .collect();
    let is_there = |username: &str| {
        let calendar = config.calendars.for_person(username);
        days_to_cover.iter().all(|d| {
            calendar.is_working_day(*d)
                && !everyone_away
                    .iter()
                    .any(|t| t.person() == username && t.contains(*d))
        })
    };
    let (from, until) = (time_off.first(), time_off.last());
    team.responsibilities_of(&member.username)
        .map(|r| {
            let mut candidates: Vec<(usize, usize, &str)> = r
                .covered_by
                .iter()
                .enumerate()
                .filter(|(_, u)| u.as_str() != member.username && is_there(u))
                .map(|(order, u)| (duties.load(u, from, until), order, u.as_str()))
                .collect();
            candidates.sort();
            let mut chosen = candidates.into_iter().map(|(_, _, u)| u.to_owned());
            let primary = chosen.next();
            let secondary = chosen.next();
            for backup in [&primary, &secondary].into_iter().flatten() {
                duties.add(backup, from, until);
            }
            CoverageRow {
                name: r.name.clone(),
                priority: r.priority.as_str(),
                link: r.link.clone(),
                primary,
                secondary,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceFiles;
    use crate::ics_time_off::{FeedMapping, PersonFrom, time_off_from_ics};

    struct NoFiles;

    impl SourceFiles for NoFiles {
        fn read_to_string(&self, path: &str) -> std::io::Result<String> {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                path.to_owned(),
            ))
        }
    }

    fn config() -> Config {
        let text = "timezone: Europe/Amsterdam
teams:
  - id: t
    name: Team
    project: g/p
    members:
      - { username: alice, name: A, role: engineering-manager }
      - { username: bob, name: B, role: backend-engineer, manager: alice }
      - { username: carol, name: C, role: backend-engineer, manager: alice }
      - { username: dan, name: D, role: backend-engineer, manager: alice }
    responsibilities:
      - { name: Triage, priority: HIGH, owners: [bob], covered_by: [carol, dan] }
";
        Config::parse("team.yml", text, &NoFiles).expect("valid config")
    }

    /// bob's two weeks off, and carol off on one day in the middle of them.
    const FEED: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:hr-1001\r
DTSTAMP:20261101T000000Z\r
DTSTART;VALUE=DATE:20261207\r
DTEND;VALUE=DATE:20261219\r
SUMMARY:Vacation\r
ATTENDEE:mailto:bob@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:hr-1002\r
DTSTAMP:20261101T000000Z\r
DTSTART;VALUE=DATE:20261210\r
SUMMARY:Dentist\r
ATTENDEE:mailto:carol@example.com\r
END:VEVENT\r
END:VCALENDAR\r
";

    #[test]
    fn time_off_from_a_feed_gets_an_issue_keyed_by_its_event_and_keeps_the_absent_off_backup() {
        let config = config();
        let mapping = FeedMapping {
            from: PersonFrom::Attendee,
            people: vec![
                ("bob@example.com".to_owned(), "bob".to_owned()),
                ("carol@example.com".to_owned(), "carol".to_owned()),
            ],
            zone: config.timezone,
        };
        let feed = time_off_from_ics(FEED, &mapping).expect("feed parses");
        let report = plan(
            &config,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
            Scope::Upcoming,
            None,
            &feed.entries,
        )
        .expect("plans");
        let bob = report
            .issues
            .iter()
            .find(|p| p.key == "pto/hr-1001")
            .unwrap_or_else(|| panic!("no issue for bob's event in {report:?}"));
        assert_eq!(bob.action, Action::Create);
        // carol is away on one of bob's days, so dan covers triage.
        assert_eq!(bob.assignees, ["bob", "dan"]);
        // carol's single day needs no coverage issue.
        let carol = report.issues.iter().find(|p| p.key == "pto/hr-1002");
        assert!(
            carol.is_none_or(|p| matches!(p.action, Action::Skip(_))),
            "{carol:?}"
        );
    }
}
