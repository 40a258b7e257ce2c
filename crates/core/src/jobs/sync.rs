//! The weekly sync meeting: an agenda issue per meeting, created a few days before, and at
//! the meeting time minus the lead time a decision: an agenda nobody added to (its sections
//! as the template left them, no comments) cancels the meeting (a note, a label, closed);
//! otherwise a note says the meeting is on.
//!
//! Everything is decided from the instant the run is given (`--now`), so a schedule that
//! runs late or twice decides once: the decision is a named comment, and a run that finds
//! it posted does nothing more.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use futures_util::future::join_all;
use serde_json::json;

use super::touch::{Planned, Step, Target, Touch};
use super::{Draft, JobError, Plans, days_before, team_json, ymd};
use crate::apply::{key_in, note_id_in, with_marker};
use crate::config::Config;
use crate::plan::Action;
use crate::rituals::SyncSettings;
use crate::team::Team;
use crate::tracker::{IssueQuery, IssueState, IssueTracker, TrackedIssue, TrackedNote};

/// The label that marks the agenda issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::weekly-sync";

/// The name of the decision comment on an agenda.
pub const DECISION_NOTE: &str = "sync-decision";

/// How long after its start a meeting may still be decided by a run that comes late.
const DECIDE_UNTIL_AFTER_START: TimeDelta = TimeDelta::hours(24);

/// One meeting of the weekly sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    /// Its date in the meeting's zone.
    pub date: NaiveDate,
    /// When it starts.
    pub start: DateTime<Utc>,
}

/// The meetings that a run at `now` has to do with: those not yet long past, up to a week
/// ahead, earliest first.
pub fn meetings_around(settings: &SyncSettings, now: DateTime<Utc>) -> Vec<Meeting> {
    let today = now.with_timezone(&settings.timezone).date_naive();
    let first = days_before(today, 7);
    first
        .iter_days()
        .take(15)
        .filter(|date| date.weekday() == settings.day)
        .filter_map(|date| {
            // A time that does not exist that day (a clock change) starts at the earliest
            // instant after it that does.
            let local = date.and_time(settings.time);
            let start = settings
                .timezone
                .from_local_datetime(&local)
                .earliest()
                .or_else(|| {
                    settings
                        .timezone
                        .from_local_datetime(&(local + TimeDelta::hours(1)))
                        .earliest()
                })?
                .with_timezone(&Utc);
            Some(Meeting { date, start })
        })
        .filter(|m| now < m.start + DECIDE_UNTIL_AFTER_START)
        .collect()
}

/// The key of a team's agenda issue for the meeting on `date`.
pub fn key(team: &Team, date: NaiveDate) -> String {
    format!("sync/{}/{}", team.id, ymd(date))
}

/// A team's agenda issues, each with its comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamFacts {
    /// The agenda issues of the meetings a run at the instant considers.
    pub agendas: Vec<(TrackedIssue, Vec<TrackedNote>)>,
}

/// Each team's agendas in config order, or why they could not be read.
pub type Facts = Vec<Result<TeamFacts, String>>;

/// Reads each team's agenda issues for the meetings around `now` and their comments.
/// Without a tracker none are known (a preview plans from the config alone).
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    now: DateTime<Utc>,
) -> Facts {
    let reads = config.teams.iter().map(|team| async move {
        let Some(tracker) = tracker else {
            return Ok(TeamFacts::default());
        };
        let settings = &team.rituals.weekly_sync;
        let keys: Vec<String> = meetings_around(settings, now)
            .iter()
            .map(|m| key(team, m.date))
            .collect();
        let query = IssueQuery {
            labels: vec![KIND_LABEL.to_owned()],
            ..IssueQuery::default()
        };
        let issues = tracker
            .list_issues(&settings.project, &query)
            .await
            .map_err(|e| {
                format!(
                    "{}: could not read the agenda issues of {}: {e}",
                    team.id, settings.project
                )
            })?;
        let ours: Vec<TrackedIssue> = issues
            .into_iter()
            .filter(|i| key_in(&i.description).is_some_and(|k| keys.contains(&k)))
            .collect();
        let notes = join_all(
            ours.iter()
                .map(|issue| tracker.list_notes(&issue.project, issue.iid)),
        )
        .await;
        let mut agendas = Vec::new();
        for (issue, notes) in ours.into_iter().zip(notes) {
            let notes = notes.map_err(|e| {
                format!(
                    "{}: could not read the comments of {}#{}: {e}",
                    team.id, issue.project, issue.iid
                )
            })?;
            agendas.push((issue, notes));
        }
        Ok(TeamFacts { agendas })
    });
    join_all(reads).await
}

/// Whether an agenda has points: its description changed from what teamcadence created, or
/// someone commented (teamcadence's own comments do not count).
pub fn has_points(issue: &TrackedIssue, notes: &[TrackedNote], created: &str) -> bool {
    let normal = |text: &str| text.replace("\r\n", "\n").trim_end().to_owned();
    normal(&issue.description) != normal(created)
        || notes
            .iter()
            .any(|n| !n.system && note_id_in(&n.body).is_none())
}

/// Plans each team's agendas and decisions at `now`.
pub fn plan(config: &Config, now: DateTime<Utc>, facts: &Facts) -> Result<Planned, JobError> {
    let mut plans = Plans::new(config);
    let mut touches = Vec::new();
    for (team, team_facts) in config.teams.iter().zip(facts) {
        let team_facts = match team_facts {
            Ok(team_facts) => team_facts,
            Err(message) => {
                plans.report.errors.push(message.clone());
                continue;
            }
        };
        let settings = &team.rituals.weekly_sync;
        let today = now.with_timezone(&settings.timezone).date_naive();
        for meeting in meetings_around(settings, now) {
            let key = key(team, meeting.date);
            let cutoff = meeting.start - settings.lead;
            let found = team_facts
                .agendas
                .iter()
                .filter(|(issue, _)| key_in(&issue.description).as_deref() == Some(key.as_str()))
                .min_by_key(|(issue, _)| (issue.state != IssueState::Opened, issue.created_at));
            let create_from = days_before(meeting.date, settings.create_days_before);
            let action = match (found, now >= cutoff) {
                (Some(_), _) => Action::Exists,
                (None, false) if today >= create_from => Action::Create,
                (None, false) => Action::Skip(format!("not due until {}", ymd(create_from))),
                (None, true) => Action::Skip(
                    "no agenda issue was created for this meeting, so there is nothing to \
                     decide"
                        .to_owned(),
                ),
            };
            let draft = draft(team, settings, &meeting, key.clone(), action);
            let Some(plan) = plans.add(draft) else {
                continue;
            };
            let Some((issue, notes)) = found else {
                continue;
            };
            plan.web_url = Some(issue.web_url.clone());
            if now < cutoff {
                plan.done.push(format!(
                    "the agenda is decided on at {}",
                    cutoff.format("%Y-%m-%d %H:%M UTC")
                ));
                continue;
            }
            if notes
                .iter()
                .any(|n| note_id_in(&n.body).as_deref() == Some(DECISION_NOTE))
            {
                plan.done.push("decided before".to_owned());
                continue;
            }
            let created = with_marker(&plan.description, &key);
            let when = describe(settings, &meeting);
            let steps = if has_points(issue, notes, &created) {
                vec![Step::Note {
                    id: DECISION_NOTE.to_owned(),
                    body: format!(
                        "The agenda has points, so the weekly sync of {when} is on. See you there!"
                    ),
                }]
            } else {
                let mut steps = vec![Step::AddLabels(vec![settings.cancelled_label.clone()])];
                if issue.state == IssueState::Opened {
                    steps.push(Step::Close);
                }
                steps.push(Step::Note {
                    id: DECISION_NOTE.to_owned(),
                    body: format!(
                        "The agenda had no points {} minutes before the meeting, so the weekly \
                         sync of {when} is cancelled. Add your points to the next agenda.",
                        settings.lead.num_minutes()
                    ),
                });
                steps
            };
            touches.push(Touch {
                plan: plans.report.issues.len() - 1,
                target: Target::Issue {
                    project: issue.project.clone(),
                    iid: issue.iid,
                },
                once: Some(DECISION_NOTE.to_owned()),
                steps,
            });
        }
    }
    Ok(Planned {
        report: plans.finish()?,
        touches,
    })
}

/// The meeting's day, time and zone, as the notes say it.
fn describe(settings: &SyncSettings, meeting: &Meeting) -> String {
    format!(
        "{} {} {}",
        meeting.date.format("%a %Y-%m-%d"),
        settings.time.format("%H:%M"),
        settings.timezone.name()
    )
}

/// The agenda issue of `meeting`.
fn draft<'a>(
    team: &'a Team,
    settings: &'a SyncSettings,
    meeting: &Meeting,
    key: String,
    action: Action,
) -> Draft<'a> {
    let cutoff = (meeting.start - settings.lead).with_timezone(&settings.timezone);
    let context = json!({
        "team": team_json(team),
        "meeting": {
            "date": ymd(meeting.date),
            "time": settings.time.format("%H:%M").to_string(),
            "timezone": settings.timezone.name(),
            "cutoff": cutoff.format("%a %Y-%m-%d %H:%M").to_string()
                + " " + settings.timezone.name(),
            "lead_minutes": settings.lead.num_minutes(),
        },
    });
    Draft {
        key,
        action,
        project: &settings.project,
        template: &settings.template,
        parts: Vec::new(),
        default_title: None,
        context,
        labels: vec![&settings.labels, &team.labels],
        kind: KIND_LABEL,
        assignees: Vec::new(),
        milestone: None,
        due_date: Some(meeting.date),
        confidential: false,
        follow_ups: Vec::new(),
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, Weekday};

    use super::*;
    use crate::template::Template;

    fn settings(zone: &str) -> SyncSettings {
        SyncSettings {
            project: "acme/app".to_owned(),
            day: Weekday::Tue,
            time: NaiveTime::from_hms_opt(15, 0, 0).expect("time"),
            timezone: zone.parse().expect("zone"),
            lead: TimeDelta::hours(1),
            create_days_before: 6,
            labels: Vec::new(),
            cancelled_label: "meeting::cancelled".to_owned(),
            template: Template::new("t", ""),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    #[test]
    fn meetings_are_the_weekday_at_the_time_in_the_zone() {
        // Wednesday 2026-12-02: last Tuesday's meeting is over a day ago, the next is on the 8th.
        let meetings = meetings_around(&settings("UTC"), at("2026-12-02T16:00:00Z"));
        assert_eq!(
            meetings,
            [Meeting {
                date: NaiveDate::from_ymd_opt(2026, 12, 8).expect("date"),
                start: at("2026-12-08T15:00:00Z"),
            }]
        );
        // Tuesday 14:30 UTC: today's meeting, and next week's.
        let meetings = meetings_around(&settings("UTC"), at("2026-12-08T14:30:00Z"));
        assert_eq!(meetings.len(), 2);
        assert_eq!(meetings[0].start, at("2026-12-08T15:00:00Z"));
        // 15:00 in Amsterdam in winter is 14:00 UTC.
        let meetings = meetings_around(&settings("Europe/Amsterdam"), at("2026-12-07T10:00:00Z"));
        assert_eq!(meetings[0].start, at("2026-12-08T14:00:00Z"));
    }
}
