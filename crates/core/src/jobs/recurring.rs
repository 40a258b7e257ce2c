//! Recurring issues a team declares itself: a template, a cadence, a project and a rotation
//! of assignees. Each period's issue has a stable key (`recurring/TEAM/ID/PERIOD`), so it
//! exists once however often the job runs; missed periods are caught up within a window, and
//! whoever is away on the due date is skipped in the rotation, which the issue says.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::{Draft, JobError, Plans, Scope, days_after, person_by_username, team_json, ymd};
use crate::absence::Absences;
use crate::config::{Config, Milestones};
use crate::milestone::{Milestone, MilestoneSource, ReleaseCalendar};
use crate::plan::{Action, FollowUp, JobReport};
use crate::team::Team;
use crate::template::Template;
use crate::tracker::{IssueTracker, MilestoneScope};

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::recurring";
/// The most missed periods a run catches up (`catch_up`): a long pause never floods a
/// project with issues.
pub const MAX_CATCH_UP: u32 = 12;
/// The most periods a cadence is walked back over in one computation.
const MAX_STEPS: usize = 64;
/// The Monday from which "every N weeks" counts when no `from` date is given.
const WEEK_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 3) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// Which week of the month a monthly cadence falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekOfMonth {
    /// The first (1) to fourth (4) such weekday of the month.
    Nth(u32),
    /// The last such weekday of the month.
    Last,
}

/// Which end of a milestone a per-milestone cadence counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Its first day.
    Start,
    /// Its last day.
    End,
}

/// When a recurring issue is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    /// On `weekday` every `every` weeks, counted from the week of `from`.
    Weekly {
        /// The day of the week it is due.
        weekday: Weekday,
        /// Every how many weeks (1 is every week).
        every: u32,
        /// The Monday of a week it is due in.
        from: NaiveDate,
    },
    /// On this day of every month; in shorter months, on the last day.
    MonthlyOnDay(u32),
    /// On the n-th (or last) `weekday` of every month.
    MonthlyOnWeekday {
        /// Which one in the month.
        week: WeekOfMonth,
        /// The day of the week.
        weekday: Weekday,
    },
    /// Once per milestone, `offset_days` after (negative: before) its start or end.
    PerMilestone {
        /// Which end of the milestone.
        edge: Edge,
        /// Days from that end.
        offset_days: i32,
    },
}

/// One period of a cadence: its issue's key part, its due date and its place in the rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The last part of the issue's key: `2026-W49`, `2026-12` or a milestone's title.
    pub key: String,
    /// The day it is due.
    pub due: NaiveDate,
    /// A number that grows by one per period: whose turn it is in the rotation.
    pub ordinal: i64,
    /// The milestone, for a per-milestone cadence.
    pub milestone: Option<Milestone>,
}

impl Cadence {
    /// Every-week on `weekday` (the commonest cadence).
    pub fn weekly(weekday: Weekday) -> Self {
        Cadence::Weekly {
            weekday,
            every: 1,
            from: WEEK_EPOCH,
        }
    }

    /// Whether the cadence needs milestones.
    pub fn per_milestone(&self) -> bool {
        matches!(self, Cadence::PerMilestone { .. })
    }

    /// The last `count` occurrences due on or before `until`, oldest first. `milestones` are
    /// the team's milestones (sorted or not), used by a per-milestone cadence only.
    pub fn occurrences_until(
        &self,
        until: NaiveDate,
        count: usize,
        milestones: &[Milestone],
    ) -> Vec<Occurrence> {
        let count = count.min(MAX_STEPS);
        let mut found = Vec::with_capacity(count);
        match *self {
            Cadence::Weekly {
                weekday,
                every,
                from,
            } => {
                let every = i64::from(every.max(1));
                let base = crate::calendar::monday_on_or_before(from);
                let mut week = weeks_between(base, until);
                week -= week.rem_euclid(every);
                while found.len() < count {
                    let Some(due) = week_day(base, week, weekday) else {
                        break;
                    };
                    if due <= until {
                        found.push(Occurrence {
                            key: due.format("%G-W%V").to_string(),
                            due,
                            ordinal: week.div_euclid(every),
                            milestone: None,
                        });
                    }
                    week -= every;
                }
            }
            Cadence::MonthlyOnDay(_) | Cadence::MonthlyOnWeekday { .. } => {
                let mut month = month_index(until);
                while found.len() < count {
                    let Some(due) = self.due_in_month(month) else {
                        break;
                    };
                    if due <= until {
                        found.push(Occurrence {
                            key: due.format("%Y-%m").to_string(),
                            due,
                            ordinal: month,
                            milestone: None,
                        });
                    }
                    month -= 1;
                }
            }
            Cadence::PerMilestone { edge, offset_days } => {
                let mut dated: Vec<(NaiveDate, &Milestone)> = milestones
                    .iter()
                    .filter_map(|m| Some((milestone_due(m, edge, offset_days)?, m)))
                    .filter(|(due, _)| *due <= until)
                    .collect();
                dated.sort_by_key(|(due, m)| (*due, m.start()));
                for (due, milestone) in dated.into_iter().rev().take(count) {
                    found.push(Occurrence {
                        key: milestone.title().to_owned(),
                        due,
                        ordinal: month_index(milestone.start()),
                        milestone: Some(milestone.clone()),
                    });
                }
            }
        }
        found.reverse();
        found
    }

    /// The first occurrence due after `date`, if there is one (a per-milestone cadence needs
    /// a milestone that ends late enough).
    pub fn next_after(&self, date: NaiveDate, milestones: &[Milestone]) -> Option<Occurrence> {
        let ahead = match self {
            Cadence::Weekly { every, .. } => 7 * u64::from(*every) + 7,
            Cadence::MonthlyOnDay(_) | Cadence::MonthlyOnWeekday { .. } => 62,
            Cadence::PerMilestone { .. } => 3 * 366,
        };
        let until = date.checked_add_days(Days::new(ahead))?;
        self.occurrences_until(until, MAX_STEPS, milestones)
            .into_iter()
            .find(|o| o.due > date)
    }

    /// The due date in the month of [`month_index`] `month`, for a monthly cadence.
    fn due_in_month(&self, month: i64) -> Option<NaiveDate> {
        let year = i32::try_from(month.div_euclid(12)).ok()?;
        let number = u32::try_from(month.rem_euclid(12)).ok()? + 1;
        let first = NaiveDate::from_ymd_opt(year, number, 1)?;
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        match *self {
            Cadence::MonthlyOnDay(day) => {
                NaiveDate::from_ymd_opt(year, number, day.clamp(1, last.day()))
            }
            Cadence::MonthlyOnWeekday { week, weekday } => match week {
                WeekOfMonth::Nth(n) => {
                    let ahead = (7 + weekday.num_days_from_monday()
                        - first.weekday().num_days_from_monday())
                        % 7;
                    first.checked_add_days(Days::new(u64::from(ahead + 7 * (n.clamp(1, 4) - 1))))
                }
                WeekOfMonth::Last => {
                    let back = (7 + last.weekday().num_days_from_monday()
                        - weekday.num_days_from_monday())
                        % 7;
                    last.checked_sub_days(Days::new(u64::from(back)))
                }
            },
            _ => None,
        }
    }
}

/// Whole weeks from the Monday `base` to the week holding `date` (negative before it).
fn weeks_between(base: NaiveDate, date: NaiveDate) -> i64 {
    (crate::calendar::monday_on_or_before(date) - base)
        .num_days()
        .div_euclid(7)
}

/// The `weekday` of the week `week` weeks after the Monday `base`.
fn week_day(base: NaiveDate, week: i64, weekday: Weekday) -> Option<NaiveDate> {
    let days = week
        .checked_mul(7)?
        .checked_add(i64::from(weekday.num_days_from_monday()))?;
    base.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

/// Months counted from year 0: consecutive months differ by one.
fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

/// The due date of a per-milestone occurrence.
fn milestone_due(milestone: &Milestone, edge: Edge, offset_days: i32) -> Option<NaiveDate> {
    let from = match edge {
        Edge::Start => milestone.start(),
        Edge::End => milestone.end(),
    };
    from.checked_add_signed(chrono::TimeDelta::try_days(i64::from(offset_days))?)
}

/// Who is assigned a recurring issue, and whom the rotation passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assign {
    /// Everyone listed, except those away on the due date.
    Everyone(Vec<String>),
    /// `per_period` people in turn, each period starting one further along the list; someone
    /// away on the due date is skipped and the next takes the turn.
    Rotate {
        /// The people, in rotation order.
        people: Vec<String>,
        /// How many are assigned each period.
        per_period: usize,
    },
}

/// The assignees of one period, and who was skipped because they are away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turn {
    /// Usernames assigned, in order.
    pub assignees: Vec<String>,
    /// Whose turn it was but who is away on the due date: (username, why).
    pub skipped: Vec<(String, String)>,
}

/// Whose turn period `ordinal` is, skipping anyone `away` (which says why, or `None` when
/// they are at work) on the due date.
pub fn turn(assign: &Assign, ordinal: i64, away: impl Fn(&str) -> Option<String>) -> Turn {
    let (people, wanted, first) = match assign {
        Assign::Everyone(people) => (people, people.len(), 0),
        Assign::Rotate { people, per_period } => {
            let len = i64::try_from(people.len()).unwrap_or(i64::MAX).max(1);
            let start = usize::try_from(ordinal.rem_euclid(len)).unwrap_or(0);
            (people, (*per_period).clamp(1, people.len().max(1)), start)
        }
    };
    let mut turn = Turn::default();
    for offset in 0..people.len() {
        if turn.assignees.len() >= wanted {
            break;
        }
        let person = &people[(first + offset) % people.len()];
        match away(person) {
            Some(why) => turn.skipped.push((person.clone(), why)),
            None => turn.assignees.push(person.clone()),
        }
    }
    turn
}

/// A recurring issue, as a team declares it in its config.
#[derive(Debug, Clone)]
pub struct RecurringIssue {
    /// A short id, unique in the team: part of each issue's key.
    pub id: String,
    /// What it is called, for templates (`Triage rotation`).
    pub name: String,
    /// When it is due.
    pub cadence: Cadence,
    /// The template its issues are rendered from.
    pub template: Template,
    /// The project its issues go in.
    pub project: String,
    /// Labels besides the team's.
    pub labels: Vec<String>,
    /// Who is assigned.
    pub assign: Assign,
    /// How many days before the due date the issue is created.
    pub create_days_before: u32,
    /// How many missed periods before the latest one are still created.
    pub catch_up: u32,
    /// How many days after its due date a missed period (not the latest) is still created.
    pub catch_up_days: u32,
    /// No period due before this day is created.
    pub start: Option<NaiveDate>,
    /// Whether each issue is linked to the previous period's.
    pub link_previous: bool,
    /// Whether the previous period's issue is closed, with a note, once the next exists.
    pub close_previous: bool,
    /// Whether the issues are confidential.
    pub confidential: bool,
}

/// What the job reads before it plans.
#[derive(Debug, Default)]
pub struct Facts {
    /// Each team's milestones, by team id, for per-milestone cadences: or why not read.
    pub milestones: Vec<(String, Result<Vec<Milestone>, String>)>,
    /// Who is away beyond the config (feeds, GitLab statuses).
    pub away: crate::absence::Facts,
}

impl Facts {
    fn milestones_of(&self, team: &str) -> Option<&Result<Vec<Milestone>, String>> {
        self.milestones
            .iter()
            .find(|(id, _)| id == team)
            .map(|(_, list)| list)
    }
}

/// The milestones of a configured source around `today`: a year back, three ahead.
fn configured_milestones(source: &dyn MilestoneSource, today: NaiveDate) -> Vec<Milestone> {
    let mut list: Vec<Milestone> = Vec::new();
    let mut before = today;
    for _ in 0..14 {
        let Some(earlier) = source.previous_before(before) else {
            break;
        };
        before = earlier.start();
        list.push(earlier);
    }
    list.extend(source.containing(today));
    let mut after = today;
    for _ in 0..3 {
        let Some(later) = source.next_after(after) else {
            break;
        };
        after = later.start();
        list.push(later);
    }
    list.sort_by_key(Milestone::start);
    list.dedup_by(|a, b| a.title() == b.title());
    list
}

/// Reads what planning needs: the milestones of teams with a per-milestone cadence (from
/// GitLab when that is their source) and everyone's absences.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
    feed_texts: Vec<Result<String, String>>,
) -> Facts {
    let people: Vec<&str> = config
        .teams
        .iter()
        .flat_map(|t| &t.recurring)
        .flat_map(|r| match &r.assign {
            Assign::Everyone(people) | Assign::Rotate { people, .. } => people,
        })
        .map(String::as_str)
        .collect();
    let away = crate::absence::Facts::gather(tracker, config, today, feed_texts, &people).await;
    let wanted = config
        .teams
        .iter()
        .filter(|t| t.recurring.iter().any(|r| r.cadence.per_milestone()));
    let milestones = join_all(wanted.map(|team| async move {
        (
            team.id.clone(),
            team_milestones(tracker, config, team, today).await,
        )
    }))
    .await;
    Facts { milestones, away }
}

/// A team's milestones around `today`, from its source.
async fn team_milestones<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    team: &Team,
    today: NaiveDate,
) -> Result<Vec<Milestone>, String> {
    let source = config.milestones_of(team);
    if let Some(configured) = source.source() {
        return Ok(configured_milestones(configured, today));
    }
    let Some(tracker) = tracker else {
        return Err(format!(
            "its milestones come from GitLab (`source: {}`), which this run does not read: \
             give --gitlab-url and a GITLAB_TOKEN",
            source.name()
        ));
    };
    match source {
        Milestones::Iterations(group) => {
            let group = group.clone().unwrap_or_else(|| {
                team.project
                    .rsplit_once('/')
                    .map_or(team.project.as_str(), |(g, _)| g)
                    .to_owned()
            });
            let list = tracker
                .list_iterations(&group)
                .await
                .map_err(|e| format!("could not read the iterations of group {group}: {e}"))?;
            Ok(list
                .into_iter()
                .filter_map(|i| {
                    let title = i.title.unwrap_or_else(|| ymd(i.start_date));
                    Milestone::new(&title, i.start_date, i.due_date, None).ok()
                })
                .collect())
        }
        _ => {
            let scope = match source {
                Milestones::Gitlab(Some(scope)) => scope.clone(),
                _ => MilestoneScope::Project(team.project.clone()),
            };
            let list = tracker
                .list_milestones(&scope)
                .await
                .map_err(|e| format!("could not read the milestones: {e}"))?;
            Ok(list
                .into_iter()
                .filter_map(|m| Milestone::new(&m.title, m.start_date?, m.due_date?, None).ok())
                .collect())
        }
    }
}

/// The stable key of one period's issue.
pub fn key(team: &Team, recurring: &RecurringIssue, period: &str) -> String {
    format!(
        "recurring/{}/{}/{}",
        team.id,
        recurring.id,
        crate::record::key_part(period)
    )
}

/// Plans each recurring issue's periods due now (the latest, and up to `catch_up` missed
/// ones before it) and the next one as a skip; with [`Scope::Everything`] (`teamcadence
/// check`) the latest or next period of each, so that every template is rendered.
pub fn plan(
    config: &Config,
    today: NaiveDate,
    scope: Scope,
    facts: &Facts,
) -> Result<JobReport, JobError> {
    let mut plans = Plans::new(config);
    let (absences, absence_warnings) = facts.away.absences(config);
    if config.teams.iter().any(|t| !t.recurring.is_empty()) {
        plans.report.warnings.extend(facts.away.read_warnings());
        plans.report.warnings.extend(absence_warnings);
    }
    let sample = ReleaseCalendar::default();
    for team in &config.teams {
        for recurring in &team.recurring {
            let milestones: Vec<Milestone> = if !recurring.cadence.per_milestone() {
                Vec::new()
            } else {
                match (facts.milestones_of(&team.id), scope) {
                    (Some(Ok(list)), _) => list.clone(),
                    (_, Scope::Everything) => configured_milestones(&sample, today),
                    (Some(Err(why)), Scope::Upcoming) => {
                        plans.report.errors.push(format!(
                            "recurring/{}/{}: {why}; nothing planned",
                            team.id, recurring.id
                        ));
                        continue;
                    }
                    (None, Scope::Upcoming) => Vec::new(),
                }
            };
            let horizon = days_after(today, recurring.create_days_before);
            let wanted = match scope {
                Scope::Upcoming => recurring.catch_up.min(MAX_CATCH_UP) as usize + 1,
                Scope::Everything => 1,
            };
            let mut due: Vec<Occurrence> = recurring
                .cadence
                .occurrences_until(horizon, wanted, &milestones)
                .into_iter()
                .filter(|o| recurring.start.is_none_or(|start| o.due >= start))
                .collect();
            // The latest period is this one, however late the run; an older one is caught
            // up only while it is recent, so a first run or a long pause floods nobody.
            if let Some((latest, missed)) = due.split_last_mut()
                && scope == Scope::Upcoming
            {
                let recent = super::days_before(today, recurring.catch_up_days);
                let kept: Vec<Occurrence> =
                    missed.iter().filter(|o| o.due >= recent).cloned().collect();
                let latest = latest.clone();
                due = kept;
                due.push(latest);
            }
            let next = recurring.cadence.next_after(horizon, &milestones);
            if scope == Scope::Everything && due.is_empty() {
                due.extend(next.clone());
            }
            let mut periods: Vec<(Occurrence, Action)> =
                due.into_iter().map(|o| (o, Action::Create)).collect();
            if scope == Scope::Upcoming
                && let Some(next) = next
            {
                let create_on = super::days_before(next.due, recurring.create_days_before);
                periods.push((
                    next,
                    Action::Skip(format!("not due until {}", ymd(create_on))),
                ));
            }
            for (occurrence, action) in periods {
                add_period(
                    &mut plans,
                    config,
                    team,
                    recurring,
                    &milestones,
                    &absences,
                    occurrence,
                    action,
                );
            }
        }
    }
    plans.finish()
}

/// Renders the plan of one period.
#[allow(clippy::too_many_arguments)]
fn add_period(
    plans: &mut Plans,
    config: &Config,
    team: &Team,
    recurring: &RecurringIssue,
    milestones: &[Milestone],
    absences: &Absences,
    occurrence: Occurrence,
    action: Action,
) {
    let away = |person: &str| {
        absences
            .away(&config.calendars, person, occurrence.due)
            .map(|why| why.reason())
    };
    let turn = turn(&recurring.assign, occurrence.ordinal, away);
    let previous = recurring
        .cadence
        .occurrences_until(
            occurrence.due.pred_opt().unwrap_or(occurrence.due),
            1,
            milestones,
        )
        .pop()
        .filter(|p| p.due < occurrence.due)
        .filter(|p| recurring.start.is_none_or(|start| p.due >= start));
    let this_key = key(team, recurring, &occurrence.key);
    let mut follow_ups = Vec::new();
    if let Some(previous) = &previous {
        let previous_key = key(team, recurring, &previous.key);
        if recurring.link_previous {
            follow_ups.push(FollowUp::LinkTo {
                key: previous_key.clone(),
            });
        }
        if recurring.close_previous && action == Action::Create {
            follow_ups.push(FollowUp::Close {
                key: previous_key,
                note: format!(
                    "The {} of the next period ({}) is open; this one is closed.",
                    crate::neutralise::markdown(&recurring.name),
                    crate::neutralise::markdown(&occurrence.key),
                ),
            });
        }
    }
    let people: Vec<Value> = match &recurring.assign {
        Assign::Everyone(people) | Assign::Rotate { people, .. } => people
            .iter()
            .map(|p| person_by_username(config, p))
            .collect(),
    };
    let context = json!({
        "team": team_json(team),
        "recurring": { "id": recurring.id, "name": recurring.name },
        "period": {
            "key": occurrence.key,
            "due": ymd(occurrence.due),
        },
        "milestone": occurrence.milestone.as_ref().map(super::planning::milestone_json),
        "previous": previous.as_ref().map(|p| json!({ "key": p.key, "due": ymd(p.due) })),
        "assignees": turn.assignees.iter().map(|p| person_by_username(config, p)).collect::<Vec<_>>(),
        "rotation": {
            "people": people,
            "skipped": turn.skipped.iter().map(|(who, why)| {
                let mut person = person_by_username(config, who);
                person["reason"] = Value::String(why.clone());
                person
            }).collect::<Vec<_>>(),
        },
    });
    if turn.assignees.is_empty() && !people.is_empty() {
        plans.report.warnings.push(format!(
            "{this_key}: everyone in the rotation is away on {}; nobody is assigned",
            ymd(occurrence.due)
        ));
    }
    let draft = Draft {
        key: this_key,
        action,
        project: &recurring.project,
        template: &recurring.template,
        parts: vec![Template::new(
            "the rotation note of a recurring issue",
            ROTATION_NOTE,
        )],
        default_title: Some(DEFAULT_TITLE),
        context,
        labels: vec![&recurring.labels, &team.labels],
        kind: KIND_LABEL,
        assignees: turn.assignees,
        milestone: None,
        due_date: Some(occurrence.due),
        confidential: recurring.confidential,
        follow_ups,
        notes: Vec::new(),
    };
    plans.add(draft);
}

/// The title of a recurring issue whose template gives none.
const DEFAULT_TITLE: &str = "{{recurring.name}}: {{period.key}}";

/// Appended to every recurring issue, whatever its template: who was skipped and why, so
/// that the rotation's choice is visible where it is acted on. Empty when nobody was.
const ROTATION_NOTE: &str = "{{#if rotation.skipped}}_Rotation:_ {{#each rotation.skipped}}\
{{this.name}} ({{this.username}}) is away on {{date ../period.due}} ({{this.reason}}) and was \
skipped. {{/each}}{{/if}}";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn dues(cadence: &Cadence, until: &str, count: usize) -> Vec<String> {
        cadence
            .occurrences_until(date(until), count, &[])
            .iter()
            .map(|o| format!("{} {}", o.key, o.due))
            .collect()
    }

    #[test]
    fn weekly_on_wednesday_worked_by_hand() {
        // 2026-12-02 is a Wednesday; 2026-12-01 a Tuesday.
        let wed = Cadence::weekly(Weekday::Wed);
        assert_eq!(
            dues(&wed, "2026-12-02", 2),
            ["2026-W48 2026-11-25", "2026-W49 2026-12-02"]
        );
        assert_eq!(dues(&wed, "2026-12-01", 1), ["2026-W48 2026-11-25"]);
        assert_eq!(
            wed.next_after(date("2026-12-02"), &[]).map(|o| o.due),
            Some(date("2026-12-09"))
        );
    }

    #[test]
    fn every_two_weeks_counts_from_the_given_week() {
        // From the week of Monday 2026-11-30: due Mondays 11-30, 12-14, 12-28.
        let fortnightly = Cadence::Weekly {
            weekday: Weekday::Mon,
            every: 2,
            from: date("2026-12-02"),
        };
        assert_eq!(
            dues(&fortnightly, "2026-12-27", 2),
            ["2026-W49 2026-11-30", "2026-W51 2026-12-14"]
        );
        assert_eq!(dues(&fortnightly, "2026-12-28", 1), ["2026-W53 2026-12-28"]);
    }

    #[test]
    fn monthly_on_a_day_and_on_a_weekday_worked_by_hand() {
        let on_31 = Cadence::MonthlyOnDay(31);
        // February 2027 has 28 days.
        assert_eq!(
            dues(&on_31, "2027-03-30", 3),
            [
                "2026-12 2026-12-31",
                "2027-01 2027-01-31",
                "2027-02 2027-02-28"
            ]
        );
        // The first Tuesday of December 2026 is the 1st; the last Friday is the 25th.
        let first_tuesday = Cadence::MonthlyOnWeekday {
            week: WeekOfMonth::Nth(1),
            weekday: Weekday::Tue,
        };
        assert_eq!(
            dues(&first_tuesday, "2026-12-31", 1),
            ["2026-12 2026-12-01"]
        );
        let third_thursday = Cadence::MonthlyOnWeekday {
            week: WeekOfMonth::Nth(3),
            weekday: Weekday::Thu,
        };
        assert_eq!(
            dues(&third_thursday, "2027-01-31", 1),
            ["2027-01 2027-01-21"]
        );
        let last_friday = Cadence::MonthlyOnWeekday {
            week: WeekOfMonth::Last,
            weekday: Weekday::Fri,
        };
        assert_eq!(dues(&last_friday, "2026-12-31", 1), ["2026-12 2026-12-25"]);
    }

    #[test]
    fn per_milestone_counts_from_its_start_or_end() {
        let milestones = [
            Milestone::new("19.7", date("2026-11-14"), date("2026-12-11"), None).expect("m"),
            Milestone::new("19.8", date("2026-12-12"), date("2027-01-15"), None).expect("m"),
        ];
        // The Wednesday 11 days after 19.7's start: 2026-11-25.
        let retro = Cadence::PerMilestone {
            edge: Edge::Start,
            offset_days: 11,
        };
        let found = retro.occurrences_until(date("2026-12-23"), 5, &milestones);
        let got: Vec<(&str, NaiveDate)> = found.iter().map(|o| (o.key.as_str(), o.due)).collect();
        assert_eq!(
            got,
            [("19.7", date("2026-11-25")), ("19.8", date("2026-12-23"))]
        );
        let before_end = Cadence::PerMilestone {
            edge: Edge::End,
            offset_days: -2,
        };
        let found = before_end.occurrences_until(date("2026-12-10"), 5, &milestones);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].due, date("2026-12-09"));
    }

    #[test]
    fn the_rotation_skips_whoever_is_away_and_says_why() {
        let assign = Assign::Rotate {
            people: vec!["ann".into(), "bo".into(), "cy".into()],
            per_period: 1,
        };
        let nobody = |_: &str| None;
        assert_eq!(turn(&assign, 0, nobody).assignees, ["ann"]);
        assert_eq!(turn(&assign, 4, nobody).assignees, ["bo"]);
        assert_eq!(turn(&assign, -1, nobody).assignees, ["cy"]);
        let bo_away = |who: &str| (who == "bo").then(|| "time off".to_owned());
        let got = turn(&assign, 1, bo_away);
        assert_eq!(got.assignees, ["cy"]);
        assert_eq!(got.skipped, [("bo".to_owned(), "time off".to_owned())]);
        let everyone = Assign::Everyone(vec!["ann".into(), "bo".into()]);
        assert_eq!(turn(&everyone, 7, bo_away).assignees, ["ann"]);
    }

    fn weekday() -> impl Strategy<Value = Weekday> {
        (0u8..7).prop_map(|n| Weekday::try_from(n).expect("weekday"))
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..36_500).prop_map(|d| date("2000-01-01") + chrono::TimeDelta::days(d))
    }

    /// Whether `day` is a due date of `cadence`, by its definition rather than by stepping.
    fn is_due(cadence: &Cadence, day: NaiveDate) -> bool {
        match *cadence {
            Cadence::Weekly {
                weekday,
                every,
                from,
            } => {
                let weeks = (crate::calendar::monday_on_or_before(day)
                    - crate::calendar::monday_on_or_before(from))
                .num_days()
                    / 7;
                day.weekday() == weekday && weeks.rem_euclid(i64::from(every)) == 0
            }
            Cadence::MonthlyOnDay(d) => {
                let last = (day + chrono::TimeDelta::days(1)).day() == 1;
                day.day() == d || (last && day.day() < d)
            }
            Cadence::MonthlyOnWeekday { week, weekday } => {
                day.weekday() == weekday
                    && match week {
                        WeekOfMonth::Nth(n) => (day.day() - 1) / 7 + 1 == n,
                        WeekOfMonth::Last => {
                            (day + chrono::TimeDelta::days(7)).month() != day.month()
                        }
                    }
            }
            Cadence::PerMilestone { .. } => false,
        }
    }

    fn calendar_cadence() -> impl Strategy<Value = Cadence> {
        prop_oneof![
            (weekday(), 1u32..6, any_date()).prop_map(|(weekday, every, from)| Cadence::Weekly {
                weekday,
                every,
                from
            }),
            (1u32..=31).prop_map(Cadence::MonthlyOnDay),
            (weekday(), 0u32..5).prop_map(|(weekday, n)| Cadence::MonthlyOnWeekday {
                week: if n == 0 {
                    WeekOfMonth::Last
                } else {
                    WeekOfMonth::Nth(n)
                },
                weekday
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The occurrences are due dates, in order, none after `until`, and none is missed
        /// between the oldest and `until`.
        #[test]
        fn occurrences_are_exactly_the_due_dates(cadence in calendar_cadence(), until in any_date(), count in 1usize..6) {
            let found = cadence.occurrences_until(until, count, &[]);
            prop_assert_eq!(found.len(), count);
            for o in &found {
                prop_assert!(o.due <= until);
                prop_assert!(is_due(&cadence, o.due), "{:?} {}", cadence, o.due);
            }
            for pair in found.windows(2) {
                prop_assert!(pair[0].due < pair[1].due);
                prop_assert_eq!(pair[0].ordinal + 1, pair[1].ordinal);
                prop_assert_ne!(&pair[0].key, &pair[1].key);
            }
            let oldest = found[0].due;
            let all_due = oldest.iter_days().take_while(|d| *d <= until).filter(|d| is_due(&cadence, *d)).count();
            prop_assert_eq!(all_due, count);
            let next = cadence.next_after(until, &[]).expect("next");
            prop_assert!(next.due > until && is_due(&cadence, next.due));
            prop_assert_eq!(found[count - 1].ordinal + 1, next.ordinal);
        }

        /// A rotation assigns people at work only, as many as asked when enough are, and
        /// passes over only people who are away.
        #[test]
        fn rotation_assigns_only_people_at_work(away in proptest::collection::vec(any::<bool>(), 1..6), ordinal in -100i64..100, per in 1usize..4) {
            let people: Vec<String> = (0..away.len()).map(|i| format!("p{i}")).collect();
            let assign = Assign::Rotate { people: people.clone(), per_period: per };
            let is_away = |who: &str| {
                let i = people.iter().position(|p| p == who).expect("listed");
                away[i].then(|| "away".to_owned())
            };
            let got = turn(&assign, ordinal, is_away);
            let at_work = away.iter().filter(|a| !**a).count();
            prop_assert_eq!(got.assignees.len(), per.min(people.len()).min(at_work));
            prop_assert!(got.assignees.iter().all(|p| is_away(p).is_none()));
            prop_assert!(got.skipped.iter().all(|(p, _)| is_away(p).is_some()));
        }
    }
}
