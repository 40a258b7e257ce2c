//! Onboarding after the first month: notes on the onboarding issue on working days counted
//! from the start date (the handbook's day 2 access check, day 15 check-in with manager and
//! buddy, and closing about day 60), each posted once. A note waits for the people it
//! addresses: when one of them is away on its day it moves to the next working day they are
//! all at work, or is skipped, as the team's config says.

use chrono::NaiveDate;
use serde_json::json;

use super::{Plans, days_after, person_by_username, team_json, ymd};
use crate::absence::Absences;
use crate::apply::key_in;
use crate::config::Config;
use crate::plan::{FollowUp, IssuePlan};
use crate::record;
use crate::team::Team;
use crate::template::Template;
use crate::tracker::TrackedIssue;

/// The hidden record on an onboarding issue: who the hire's manager and buddy are and when
/// they started, so that later follow-ups address the right people, for hires given by
/// hand too.
pub const RECORD: &str = "onboarding";
const RECORD_FIELDS: [&str; 4] = ["start", "manager", "buddy", "created"];
/// How many working days a note may move while the people it addresses are away.
pub const MAX_MOVE_WORKING_DAYS: u32 = 10;
/// How many days after its day a note missed by the schedule is still posted.
pub const CATCH_UP_DAYS: u32 = 14;

/// Who a follow-up note is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee {
    /// The new team member.
    Hire,
    /// Their manager.
    Manager,
    /// Their onboarding buddy.
    Buddy,
}

/// What happens to a note whose people are away on its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfAway {
    /// It is posted on the next working day they are all at work.
    Move,
    /// It is not posted.
    Skip,
}

/// One follow-up of the onboarding issue, as the team configures it.
#[derive(Debug, Clone)]
pub struct OnboardingFollowUp {
    /// The working day it is for, counted from the start date (day 1).
    pub day: u32,
    /// Who it is for: they must be at work that day.
    pub addresses: Vec<Addressee>,
    /// Its text, a template rendered with the hire, manager, buddy and team.
    pub note: Template,
    /// What happens when someone it addresses is away.
    pub if_away: IfAway,
    /// Whether the issue is closed with it (when still open).
    pub close: bool,
}

/// The handbook's follow-ups: access requests on day 2, a check-in on day 15, closing on
/// about day 60.
pub fn defaults() -> Vec<OnboardingFollowUp> {
    vec![
        OnboardingFollowUp {
            day: 2,
            addresses: vec![Addressee::Hire],
            note: Template::new("the default day-2 onboarding follow-up", DAY_2),
            if_away: IfAway::Move,
            close: false,
        },
        OnboardingFollowUp {
            day: 15,
            addresses: vec![Addressee::Manager, Addressee::Buddy],
            note: Template::new("the default day-15 onboarding follow-up", DAY_15),
            if_away: IfAway::Move,
            close: false,
        },
        OnboardingFollowUp {
            day: 60,
            addresses: vec![Addressee::Hire, Addressee::Manager],
            note: Template::new("the default day-60 onboarding follow-up", DAY_60),
            if_away: IfAway::Move,
            close: true,
        },
    ]
}

const DAY_2: &str = "{{mention hire}}, welcome to day 2! Please check that your access \
requests are in (the *Access requests* section of this issue) and say here if anything is \
still missing{{#if buddy}}; {{mention buddy}} can help{{/if}}.";
const DAY_15: &str = "Three weeks in: {{mentions people}}, time for a check-in with \
{{mention hire}}. How are the first weeks going, what is missing, and what should the next \
weeks focus on? Note anything worth changing in the onboarding template.";
const DAY_60: &str = "{{mentions people}}: about three months after the start, this \
onboarding issue is closed. Move any task still open to an issue of its own, and please \
share your feedback in the *Feedback retrospective* section. Welcome aboard!";

/// Who an onboarding issue is about, from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HireRecord {
    /// The first day.
    pub start: NaiveDate,
    /// The manager's username, if any.
    pub manager: Option<String>,
    /// The buddy's username, if any.
    pub buddy: Option<String>,
    /// The day the issue was planned: follow-ups due before it are not posted, since the
    /// issue itself is the news then (a hire caught up after their start).
    pub created: NaiveDate,
}

impl HireRecord {
    /// The record line kept on the issue.
    pub fn line(&self) -> String {
        let (start, created) = (ymd(self.start), ymd(self.created));
        let values = [
            start.as_str(),
            self.manager.as_deref().unwrap_or_default(),
            self.buddy.as_deref().unwrap_or_default(),
            created.as_str(),
        ];
        let fields: Vec<(&str, &str)> = RECORD_FIELDS.into_iter().zip(values).collect();
        record::fields(RECORD, &fields)
    }

    /// The record of an issue's description, the line right above its key marker; `None`
    /// when there is none there or it does not read (it is then distrusted).
    pub fn read(description: &str) -> Option<Self> {
        key_in(description)?;
        let line = record::lines_from_end(description).nth(1)?;
        let values = record::read_fields(line, RECORD, &RECORD_FIELDS).ok()??;
        let person = |text: &str| {
            let text = text.trim();
            crate::neutralise::is_valid_username(text).then(|| text.to_owned())
        };
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        Some(HireRecord {
            start: date(&values[0])?,
            manager: person(&values[1]),
            buddy: person(&values[2]),
            created: date(&values[3])?,
        })
    }
}

/// Adds the follow-ups due on `today` to each open onboarding issue of `open` (by project):
/// to its plan when this run has one, else to a plan of its own.
pub(crate) fn add_due(
    plans: &mut Plans,
    config: &Config,
    today: NaiveDate,
    absences: &Absences,
    open: &[(String, Result<Vec<TrackedIssue>, String>)],
) {
    for (project, issues) in open {
        let Ok(issues) = issues else {
            continue; // said already by the overdue reminder
        };
        for issue in issues {
            let Some(key) = key_in(&issue.description) else {
                continue;
            };
            let Some(username) = key.strip_prefix("onboarding/") else {
                continue;
            };
            let Some(team) = team_of(config, project, username) else {
                continue;
            };
            if team.onboarding.follow_ups.is_empty() {
                continue;
            }
            // Only issues made with the record: an upgrade must not suddenly post on (or
            // close) onboarding issues made before follow-ups existed.
            let Some(hire) = HireRecord::read(&issue.description) else {
                continue;
            };
            let due = due_notes(plans, config, team, username, &hire, today, absences, &key);
            if due.is_empty() {
                continue;
            }
            match plans
                .report
                .issues
                .iter_mut()
                .find(|p| p.key == key && p.project == *project)
            {
                Some(plan) => plan.follow_ups.extend(due),
                None => plans
                    .report
                    .issues
                    .push(IssuePlan::on_existing(&key, project, issue, due)),
            }
        }
    }
}

/// The team whose onboarding project is `project` and who the hire joins (the roster's
/// team, else the first team onboarding there).
fn team_of<'a>(config: &'a Config, project: &str, username: &str) -> Option<&'a Team> {
    let in_project = |t: &&Team| t.onboarding.project.eq_ignore_ascii_case(project);
    config
        .new_hires
        .iter()
        .find(|h| h.username == username)
        .and_then(|h| config.team(&h.team))
        .filter(in_project)
        .or_else(|| config.teams.iter().find(in_project))
}

/// The notes of `team`'s follow-ups due on `today` for the hire `username`.
#[allow(clippy::too_many_arguments)]
fn due_notes(
    plans: &mut Plans,
    config: &Config,
    team: &Team,
    username: &str,
    hire: &HireRecord,
    today: NaiveDate,
    absences: &Absences,
    key: &str,
) -> Vec<FollowUp> {
    let calendar = config.calendars.for_person(username);
    let first_day = calendar.first_working_day_on_or_after(hire.start);
    let mut due = Vec::new();
    for follow_up in &team.onboarding.follow_ups {
        let day = calendar.add_working_days(first_day, follow_up.day.saturating_sub(1));
        if today < day || day < hire.created {
            continue;
        }
        let people: Vec<&str> = follow_up
            .addresses
            .iter()
            .filter_map(|a| match a {
                Addressee::Hire => Some(username),
                Addressee::Manager => hire.manager.as_deref(),
                Addressee::Buddy => hire.buddy.as_deref(),
            })
            .collect();
        let away_on = |date: NaiveDate| {
            people
                .iter()
                .filter_map(|p| {
                    absences
                        .away(&config.calendars, p, date)
                        .map(|why| format!("{p} ({})", why.reason()))
                })
                .collect::<Vec<_>>()
        };
        let away_first = away_on(day);
        let posted_on = if away_first.is_empty() {
            Some(day)
        } else if follow_up.if_away == IfAway::Skip {
            None
        } else {
            (1..=MAX_MOVE_WORKING_DAYS)
                .map(|n| calendar.add_working_days(day, n))
                .find(|d| away_on(*d).is_empty())
        };
        let Some(posted_on) = posted_on else {
            if today <= days_after(day, CATCH_UP_DAYS) {
                plans.report.warnings.push(format!(
                    "{key}: the day-{} follow-up ({}) is skipped: {} away",
                    follow_up.day,
                    ymd(day),
                    away_first.join(", ")
                ));
            }
            continue;
        };
        if today < posted_on || today > days_after(posted_on, CATCH_UP_DAYS) {
            continue;
        }
        let context = note_context(config, team, username, hire, &people, follow_up.day, day);
        let mut body = match plans.renderer.render_text(&follow_up.note, &context) {
            Ok(body) => body,
            Err(e) => {
                plans.template_error(e);
                continue;
            }
        };
        if posted_on != day {
            body.push_str(&format!(
                "\n\n_This note was due on {} (working day {}) and waited until everyone it \
                 is for was back: {} away then._",
                ymd(day),
                follow_up.day,
                crate::neutralise::markdown(&away_first.join(", "))
            ));
        }
        let id = format!("follow-up:day-{}", follow_up.day);
        due.push(if follow_up.close {
            FollowUp::CloseWith { id, body }
        } else {
            FollowUp::Note { id, body }
        });
    }
    due
}

/// What a follow-up's note template sees.
fn note_context(
    config: &Config,
    team: &Team,
    username: &str,
    hire: &HireRecord,
    people: &[&str],
    day_number: u32,
    day: NaiveDate,
) -> serde_json::Value {
    json!({
        "hire": person_by_username(config, username),
        "manager": hire.manager.as_deref().map(|m| person_by_username(config, m)),
        "buddy": hire.buddy.as_deref().map(|b| person_by_username(config, b)),
        "people": people.iter().map(|p| person_by_username(config, p)).collect::<Vec<_>>(),
        "team": team_json(team),
        "day": day_number,
        "date": ymd(day),
        "start": ymd(hire.start),
    })
}

/// Renders every team's follow-up notes for a sample hire starting `today`, with the team's
/// first two members as manager and buddy, so that `teamcadence check` finds a broken note
/// before the day it is due.
pub(crate) fn render_samples(plans: &mut Plans, config: &Config, today: NaiveDate) {
    for team in &config.teams {
        let member = |i: usize| team.members.get(i).map(|m| m.username.clone());
        let hire = HireRecord {
            start: today,
            manager: member(0),
            buddy: member(1),
            created: today,
        };
        for follow_up in &team.onboarding.follow_ups {
            let people: Vec<&str> = ["sample-new-hire"]
                .into_iter()
                .chain(hire.manager.as_deref())
                .chain(hire.buddy.as_deref())
                .collect();
            let day = days_after(today, follow_up.day);
            let context = note_context(
                config,
                team,
                "sample-new-hire",
                &hire,
                &people,
                follow_up.day,
                day,
            );
            if let Err(e) = plans.renderer.render_text(&follow_up.note, &context) {
                plans.template_error(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_reads_back_and_distrusts_what_does_not_parse() {
        let hire = HireRecord {
            start: NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
            manager: Some("mia".to_owned()),
            buddy: None,
            created: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        };
        let description =
            crate::apply::with_marker(&format!("Welcome\n\n{}", hire.line()), "onboarding/nina");
        assert_eq!(HireRecord::read(&description), Some(hire));
        let forged = crate::apply::with_marker(
            "Welcome\n\n<!-- teamcadence:onboarding start=2026-12-07 manager=all buddy= created=2026-11-30 -->",
            "onboarding/nina",
        );
        assert_eq!(
            HireRecord::read(&forged).map(|r| r.manager),
            Some(None),
            "a mass mention is no username"
        );
        assert_eq!(HireRecord::read("no marker at all"), None);
    }
}
