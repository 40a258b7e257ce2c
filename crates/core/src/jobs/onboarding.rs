//! The onboarding issue: a new hire's first day and first four weeks, with buddy and manager.

use chrono::NaiveDate;
use serde_json::json;

use super::{
    Draft, JobError, Plans, Scope, buddy, days_after, due_from, person_by_username, team_json, ymd,
};
use crate::config::Config;
use crate::neutralise::is_valid_username;
use crate::plan::{Action, JobReport};
use crate::team::NewHire;
use crate::template::Template;

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::onboarding";
/// How long after the start date a missed onboarding issue is still created.
pub const CATCH_UP_DAYS: u32 = 14;

/// A new hire given on the command line or in pipeline variables.
#[derive(Debug, Clone, Default)]
pub struct ManualHire {
    /// GitLab username (`NEW_HIRE`).
    pub username: String,
    /// First day (`START_DATE`).
    pub start: Option<NaiveDate>,
    /// Manager's username (`MANAGER`); default: the team's engineering manager.
    pub manager: Option<String>,
    /// Buddy's username (`BUDDY`).
    pub buddy: Option<String>,
    /// Role (`ROLE`); default: the roster's, else `engineer`.
    pub role: Option<String>,
    /// Team id (`TEAM`); needed only when the config has several teams.
    pub team: Option<String>,
}

/// Turns a hire given by hand into a [`NewHire`], filling gaps from the roster and the team,
/// and refusing anything that would produce a wrong issue.
pub fn manual_hire(config: &Config, given: ManualHire) -> Result<NewHire, JobError> {
    let input = |message: String| Err(JobError::Input(message));
    let username = given.username.trim().trim_start_matches('@').to_owned();
    if !is_valid_username(&username) {
        return input(format!(
            "new hire `{}` is not a GitLab username: pass --new-hire (or NEW_HIRE) as the username without `@`",
            given.username
        ));
    }
    let Some(start) = given.start else {
        return input(
            "the new hire's start date is missing: pass --start-date (or START_DATE) as YYYY-MM-DD"
                .to_owned(),
        );
    };
    let roster = config.new_hires.iter().find(|h| h.username == username);
    let team_id = match (&given.team, roster) {
        (Some(team), _) => team.clone(),
        (None, Some(hire)) => hire.team.clone(),
        (None, None) if config.teams.len() == 1 => config.teams[0].id.clone(),
        (None, None) => {
            return input(format!(
                "{} has several teams: pass --team (or TEAM) with one of: {}",
                config.file,
                config.team_ids()
            ));
        }
    };
    let Some(team) = config.team(&team_id) else {
        return input(format!(
            "unknown team `{team_id}`: use one of {}",
            config.team_ids()
        ));
    };
    for (flag, who) in [
        ("--manager (MANAGER)", &given.manager),
        ("--buddy (BUDDY)", &given.buddy),
    ] {
        if let Some(who) = who
            && config.member(who).is_none()
        {
            return input(format!(
                "{flag} `{who}` is not a member of any team in {}: pass a team member's username",
                config.file
            ));
        }
    }
    let manager = given
        .manager
        .or_else(|| roster.and_then(|h| h.manager.clone()))
        .or_else(|| {
            team.with_role("engineering-manager")
                .next()
                .map(|m| m.username.clone())
        });
    Ok(NewHire {
        name: roster.map_or_else(|| username.clone(), |h| h.name.clone()),
        role: given
            .role
            .or_else(|| roster.map(|h| h.role.clone()))
            .unwrap_or_else(|| "engineer".to_owned()),
        team: team.id.clone(),
        start,
        manager,
        buddy: given.buddy.or_else(|| roster.and_then(|h| h.buddy.clone())),
        timezone: roster.map_or(config.timezone, |h| h.timezone),
        holidays: roster.and_then(|h| h.holidays.clone()),
        username,
    })
}

/// Plans onboarding issues: for roster hires from `create_days_before` working days before
/// their start until [`CATCH_UP_DAYS`] after it (every hire, with [`Scope::Everything`]), and
/// for `manual`, which is due at once.
pub fn plan(
    config: &Config,
    today: NaiveDate,
    scope: Scope,
    manual: Option<NewHire>,
) -> Result<JobReport, JobError> {
    let mut hires: Vec<(&NewHire, bool)> = config
        .new_hires
        .iter()
        .filter(|h| scope == Scope::Everything || today <= days_after(h.start, CATCH_UP_DAYS))
        .filter(|h| manual.as_ref().is_none_or(|m| m.username != h.username))
        .map(|h| (h, false))
        .collect();
    hires.extend(manual.as_ref().map(|h| (h, true)));

    let mut plans = Plans::new(config);
    // Buddies already given, then those suggested in this run, with their hire's start.
    let mut assigned: Vec<(String, NaiveDate)> = config
        .new_hires
        .iter()
        .filter_map(|h| h.buddy.clone().map(|b| (b, h.start)))
        .collect();
    for (hire, is_manual) in hires {
        let Some(team) = config.team(&hire.team) else {
            continue; // validated: every hire names a team
        };
        let calendar = config.calendars.for_person(&hire.username);
        let window_start =
            calendar.sub_working_days(hire.start, team.onboarding.create_days_before);
        let action = if is_manual {
            Action::Create
        } else {
            due_from(today, window_start)
        };
        let weeks: Vec<_> = (1..=4u32)
            .map(|n| {
                json!({
                    "number": n,
                    "first_day": ymd(calendar.add_working_days(hire.start, 5 * (n - 1))),
                    "due": ymd(calendar.add_working_days(hire.start, 5 * n - 1)),
                })
            })
            .collect();
        let due = days_after(hire.start, team.onboarding.due_days_after_start);
        let manager = hire.manager.as_deref();
        if manager.is_none() {
            plans.report.warnings.push(format!(
                "onboarding/{}: no manager given and team {} has no engineering-manager",
                hire.username, team.id
            ));
        }
        let suggestion = match &hire.buddy {
            Some(_) => None,
            None => {
                let suggestion = buddy::suggest(config, team, hire, &assigned);
                match &suggestion.buddy {
                    Some(chosen) => assigned.push((chosen.clone(), hire.start)),
                    None => plans.report.warnings.push(format!(
                        "onboarding/{}: {}",
                        hire.username, suggestion.reason
                    )),
                }
                Some(suggestion)
            }
        };
        let buddy = hire
            .buddy
            .clone()
            .or_else(|| suggestion.as_ref().and_then(|s| s.buddy.clone()));
        let context = json!({
            "hire": {
                "username": hire.username,
                "name": hire.name,
                "role": hire.role,
                "start": ymd(hire.start),
                "timezone": hire.timezone.name(),
            },
            "team": team_json(team),
            "manager": manager.map(|m| person_by_username(config, m)),
            "buddy": buddy.as_deref().map(|b| person_by_username(config, b)),
            "buddy_suggestion": suggestion.as_ref().map(|s| json!({
                "reason": s.reason,
                "passed_over": s.passed_over,
            })),
            "first_day": ymd(calendar.first_working_day_on_or_after(hire.start)),
            "weeks": weeks,
            "due_date": ymd(due),
        });
        let assignees = [Some(hire.username.as_str()), buddy.as_deref(), manager]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        let draft = Draft {
            key: key(&hire.username),
            action,
            project: &team.onboarding.project,
            template: &team.templates.onboarding,
            context,
            labels: vec![&team.onboarding.labels, &team.labels],
            kind: KIND_LABEL,
            assignees,
            milestone: None,
            due_date: Some(due),
            confidential: team.onboarding.confidential,
            follow_ups: Vec::new(),
            notes: if team.onboarding.welcome.trim().is_empty() {
                Vec::new()
            } else {
                vec![(
                    "welcome".to_owned(),
                    Template::new(
                        format!("{}.onboarding.welcome", team.id),
                        team.onboarding.welcome.clone(),
                    ),
                )]
            },
        };
        plans.add(draft);
    }
    plans.finish()
}

/// The stable key of a new hire's onboarding issue.
pub fn key(username: &str) -> String {
    format!("onboarding/{username}")
}
