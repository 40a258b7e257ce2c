//! The milestone planning issue: the next milestone's dates, boards, checklists and capacity.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Draft, JobError, Plans, days_before, due_from, person_json, team_json, ymd};
use crate::config::Config;
use crate::milestone::Milestone;
use crate::plan::JobReport;
use crate::team::Team;

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::planning";
/// Plans each team's issue for the milestone after `today`.
///
/// It is due from `create_days_before_start` days before the milestone starts until it
/// starts; before that the plan is shown with `skip` and the date it becomes due.
pub fn plan(config: &Config, today: NaiveDate) -> Result<JobReport, JobError> {
    let source = config.milestones.source();
    let mut plans = Plans::new(config);
    for team in &config.teams {
        let Some(milestone) = source.next_after(today) else {
            plans.report.errors.push(format!(
                "{}: no milestone starts after {}: add the next one to `milestones.list` in {}",
                team.id,
                ymd(today),
                config.file
            ));
            continue;
        };
        let previous = source.previous_before(milestone.start());
        let window_start = days_before(milestone.start(), team.planning.create_days_before_start);
        let action = due_from(today, window_start);
        let assignees = team
            .members
            .iter()
            .filter(|m| team.planning.assign_roles.contains(&m.role))
            .map(|m| m.username.clone())
            .collect();
        let draft = Draft {
            key: key(team, &milestone),
            action,
            project: &team.project,
            template: &team.templates.planning,
            context: context(config, team, &milestone, previous.as_ref()),
            labels: vec![&team.planning.labels, &team.labels],
            kind: KIND_LABEL,
            assignees,
            milestone: Some(milestone.title().to_owned()),
            due_date: Some(milestone.planning_lock()),
            confidential: team.planning.confidential,
        };
        plans.add(draft);
    }
    plans.finish()
}

/// The stable key of a team's planning issue for a milestone.
pub fn key(team: &Team, milestone: &Milestone) -> String {
    format!("planning/{}/{}", team.id, milestone.title())
}

/// One row of the capacity table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    /// GitLab username.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
    /// First day the person works in the milestone, if any.
    pub first_day: Option<NaiveDate>,
    /// Last day the person works in the milestone, if any.
    pub last_day: Option<NaiveDate>,
    /// Working days in the milestone (weekends and holidays excluded; from the start date for
    /// people who join during it).
    pub working_days: u32,
    /// Working days of time off inside the milestone.
    pub time_off_days: u32,
    /// Working days the person is available: `working_days - time_off_days`.
    pub available_days: u32,
    /// Holidays and time off inside the milestone, in date order, one phrase each.
    pub absences: Vec<String>,
    /// Whether the person is a new hire starting during or before the milestone.
    pub new_hire: bool,
}

/// One person's capacity over a milestone, counted from `joins` when they join during it.
fn capacity(config: &Config, who: Person<'_>, milestone: &Milestone) -> Capacity {
    let calendar = config.calendars.for_person(who.username);
    let from = who
        .joins
        .map_or(milestone.start(), |j| j.max(milestone.start()));
    let until = milestone.end();
    let time_off: Vec<_> = config
        .time_off
        .iter()
        .filter(|t| t.person() == who.username && t.overlaps(from, until))
        .collect();
    let working_days = calendar.working_days(from, until);
    let time_off_days = time_off
        .iter()
        .map(|t| t.working_days_within(from, until, calendar))
        .sum::<u32>()
        .min(working_days);
    let at_work =
        |d: &NaiveDate| calendar.is_working_day(*d) && !time_off.iter().any(|t| t.contains(*d));
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= until).collect();

    let mut absences: Vec<(NaiveDate, String)> = days
        .iter()
        .filter(|d| !calendar.is_weekend(**d))
        .filter_map(|d| {
            calendar
                .holiday(*d)
                .map(|name| (*d, format!("{} {name}", ymd(*d))))
        })
        .collect();
    for t in &time_off {
        let count = t.working_days_within(from, until, calendar);
        absences.push((
            t.first(),
            format!(
                "{} {} to {} ({count} working day{})",
                t.note().unwrap_or("Time off"),
                ymd(t.first()),
                ymd(t.last()),
                if count == 1 { "" } else { "s" }
            ),
        ));
    }
    absences.sort();

    Capacity {
        username: who.username.to_owned(),
        name: who.name.to_owned(),
        role: who.role.to_owned(),
        first_day: days.iter().copied().find(at_work),
        last_day: days.iter().rev().copied().find(at_work),
        working_days,
        time_off_days,
        available_days: working_days - time_off_days,
        absences: absences.into_iter().map(|(_, text)| text).collect(),
        new_hire: who.new_hire,
    }
}

/// Who a capacity row is about.
#[derive(Clone, Copy)]
struct Person<'a> {
    username: &'a str,
    name: &'a str,
    role: &'a str,
    joins: Option<NaiveDate>,
    new_hire: bool,
}

/// The capacity table of a team over a milestone: members, then new hires who start before
/// it ends.
pub fn capacity_table(config: &Config, team: &Team, milestone: &Milestone) -> Vec<Capacity> {
    let members = team.members.iter().map(|m| Person {
        username: &m.username,
        name: &m.name,
        role: &m.role,
        joins: m.joined,
        new_hire: false,
    });
    let hires = config
        .new_hires
        .iter()
        .filter(|h| h.team == team.id && h.start <= milestone.end())
        .filter(|h| team.member(&h.username).is_none())
        .map(|h| Person {
            username: &h.username,
            name: &h.name,
            role: &h.role,
            joins: Some(h.start),
            new_hire: true,
        });
    members
        .chain(hires)
        .map(|who| capacity(config, who, milestone))
        .collect()
}

/// A milestone as templates see it, with the planning timeline around it.
pub(crate) fn milestone_json(milestone: &Milestone) -> Value {
    json!({
        "title": milestone.title(),
        "start": ymd(milestone.start()),
        "end": ymd(milestone.end()),
        "release": milestone.release().map(ymd),
        "web_url": milestone.web_url(),
        "draft_date": ymd(milestone.draft_date()),
        "pm_plan_date": ymd(milestone.pm_plan_date()),
        "planning_lock": ymd(milestone.planning_lock()),
        "kickoff": ymd(milestone.kickoff()),
        "retrospective": ymd(milestone.retrospective()),
    })
}

fn context(
    config: &Config,
    team: &Team,
    milestone: &Milestone,
    previous: Option<&Milestone>,
) -> Value {
    let rows = capacity_table(config, team, milestone);
    let total_working: u32 = rows.iter().map(|r| r.working_days).sum();
    let total_available: u32 = rows.iter().map(|r| r.available_days).sum();
    let capacity: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "username": r.username,
                "name": if r.new_hire { format!("{} (new hire)", r.name) } else { r.name.clone() },
                "role": r.role,
                "first_day": r.first_day.map(ymd).unwrap_or_else(|| "-".to_owned()),
                "last_day": r.last_day.map(ymd).unwrap_or_else(|| "-".to_owned()),
                "working_days": r.working_days,
                "time_off_days": r.time_off_days,
                "available_days": r.available_days,
                "absences": if r.absences.is_empty() { "-".to_owned() } else { r.absences.join("; ") },
            })
        })
        .collect();
    json!({
        "team": team_json(team),
        "milestone": milestone_json(milestone),
        "previous_milestone": previous.map(milestone_json),
        "members": team.members.iter().map(person_json).collect::<Vec<_>>(),
        "capacity": capacity,
        "total": {
            "working_days": total_working,
            "time_off_days": total_working - total_available,
            "available_days": total_available,
        },
    })
}
