//! Weekly async status updates: on the team's update day (Wednesday by default, in each
//! person's own time zone), a prompt in the handbook's format on each open issue of the
//! current milestone assigned to a team member, and after the day a summary on the
//! milestone's planning issue.
//!
//! [`gather`] reads the milestone, who is away, the issues and their comments; [`plan`]
//! decides from them and the instant of the run, without I/O. Each prompt is named by the
//! ISO week in its hidden record, so an issue gets one prompt a week however often the job
//! runs; an issue whose assignee already posted an update that week gets none, and neither
//! does one whose assignees are all away that day.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use futures_util::future::join_all;
use serde_json::json;

use super::planning::{self, PeriodFilter};
use super::touch::{Planned, Step, Target, Touch};
use super::{JobError, days_before, team_json, ymd};
use crate::absence::Absences;
use crate::config::Config;
use crate::neutralise;
use crate::plan::{Action, IssuePlan, push_unique};
use crate::team::{Member, Team};
use crate::template::{Renderer, TemplateError};
use crate::tracker::{IssueQuery, IssueState, IssueTracker, TrackedIssue, TrackedNote};

/// The label of this job's run lock (it creates no issues of its own).
pub const KIND_LABEL: &str = "teamcadence::async-updates";

/// The heading that starts a status update, as the handbook writes it.
pub const HEADING: &str = "## Async Status Update";

/// What one team's prompts are decided from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamFacts {
    /// The milestone (or iteration) under way, if any.
    pub period: Option<planning::Period>,
    /// The open issues of that milestone with the configured labels, assigned to a member of
    /// the team, each with its comments, oldest first.
    pub issues: Vec<(TrackedIssue, Vec<TrackedNote>)>,
    /// Whether the issues were read (a run that does not read GitLab knows none).
    pub read: bool,
}

/// What the job read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Each team's facts in config order, or why they could not be read.
    pub teams: Vec<Result<TeamFacts, String>>,
    /// Who is away when, from every source.
    pub absences: std::sync::Arc<Absences>,
    /// Things a person should know, one sentence each.
    pub warnings: Vec<String>,
}

/// The calendar date of `member` at `now`.
fn local_date(member: &Member, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&member.timezone).date_naive()
}

/// The ISO week of `date`, as names and keys show it: `2026-W49`.
pub fn iso_week(date: NaiveDate) -> String {
    date.format("%G-W%V").to_string()
}

/// The Monday of `date`'s week.
fn monday_of(date: NaiveDate) -> NaiveDate {
    days_before(date, date.weekday().num_days_from_monday())
}

/// The most recent update day strictly before `today`.
fn last_update_day(today: NaiveDate, day: Weekday) -> NaiveDate {
    let back = (7 + today.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
    days_before(today, if back == 0 { 7 } else { back })
}

/// Reads the milestone under way, who is away, and each team's issues and their comments.
/// Without a tracker nothing can be read: the issues live in GitLab.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    now: DateTime<Utc>,
    feed_texts: Vec<Result<String, String>>,
) -> Facts {
    let today = now.with_timezone(&config.timezone).date_naive();
    let planning_facts = planning::gather(tracker, config, today, feed_texts).await;
    let mut facts = Facts::default();
    let Some(tracker) = tracker else {
        facts.warnings.push(
            "the issues to prompt live in GitLab, which this run does not read: give \
             --gitlab-url and a GITLAB_TOKEN to preview the prompts"
                .to_owned(),
        );
        for read in planning_facts {
            facts.teams.push(read.map(|read| TeamFacts {
                period: read.timeline.current,
                issues: Vec::new(),
                read: false,
            }));
        }
        return facts;
    };
    let reads = config.teams.iter().zip(planning_facts).map(|(team, read)| {
        let absences = read.as_ref().ok().map(|f| f.absences.clone());
        let warnings = read
            .as_ref()
            .map(|f| f.warnings.clone())
            .unwrap_or_default();
        async move {
            let team_facts = match read {
                Ok(read) => gather_team(tracker, team, read.timeline.current).await,
                Err(e) => Err(e),
            };
            (team_facts, absences, warnings)
        }
    });
    for (team_facts, absences, warnings) in join_all(reads).await {
        if let Some(absences) = absences {
            facts.absences = absences;
        }
        for warning in warnings {
            push_unique(&mut facts.warnings, &warning);
        }
        facts.teams.push(team_facts);
    }
    facts
}

async fn gather_team<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    period: Option<planning::Period>,
) -> Result<TeamFacts, String> {
    let Some(current) = &period else {
        return Ok(TeamFacts {
            period,
            issues: Vec::new(),
            read: true,
        });
    };
    let settings = &team.rituals.async_updates;
    let mut query = IssueQuery {
        labels: settings.labels.clone(),
        state: Some(IssueState::Opened),
        ..IssueQuery::default()
    };
    match &current.filter {
        PeriodFilter::Milestone(title) => query.milestone = Some(title.clone()),
        PeriodFilter::Iteration(id) => query.iteration_id = Some(*id),
    }
    let issues = tracker
        .list_issues(&settings.project, &query)
        .await
        .map_err(|e| {
            format!(
                "{}: could not read the issues of {} in {}: {e}",
                team.id,
                settings.project,
                current.milestone.title()
            )
        })?;
    let ours: Vec<TrackedIssue> = issues
        .into_iter()
        .filter(|i| i.assignees.iter().any(|a| team.member(a).is_some()))
        .collect();
    let notes = join_all(ours.iter().map(|issue| async move {
        tracker
            .list_notes(&issue.project, issue.iid)
            .await
            .map_err(|e| {
                format!(
                    "{}: could not read the comments of {}#{}: {e}",
                    team.id, issue.project, issue.iid
                )
            })
    }))
    .await;
    let mut issues = Vec::new();
    for (issue, notes) in ours.into_iter().zip(notes) {
        issues.push((issue, notes?));
    }
    Ok(TeamFacts {
        period,
        issues,
        read: true,
    })
}

/// When `member` posted a status update on an issue in the week of `day` (their own week),
/// if they did: a comment of theirs starting a line with the handbook's heading.
fn update_by(notes: &[TrackedNote], member: &Member, day: NaiveDate) -> Option<NaiveDate> {
    let monday = monday_of(day);
    notes
        .iter()
        .filter(|n| !n.system && n.author == member.username)
        .filter(|n| {
            n.body.lines().any(|line| {
                line.trim_start()
                    .to_ascii_lowercase()
                    .starts_with(&HEADING.to_ascii_lowercase())
            })
        })
        .map(|n| n.created_at.with_timezone(&member.timezone).date_naive())
        .find(|posted| *posted >= monday && *posted < monday + TimeDelta::days(7))
}

/// Plans the prompts due at `now` and the summaries of last week's update day.
pub fn plan(config: &Config, now: DateTime<Utc>, facts: &Facts) -> Result<Planned, JobError> {
    let renderer = Renderer::new(config.calendars.clone());
    let mut planned = Planned::default();
    planned
        .report
        .warnings
        .extend(facts.warnings.iter().cloned());
    let mut template_errors: Vec<TemplateError> = Vec::new();
    for (team, team_facts) in config.teams.iter().zip(&facts.teams) {
        let team_facts = match team_facts {
            Ok(team_facts) => team_facts,
            Err(message) => {
                planned.report.errors.push(message.clone());
                continue;
            }
        };
        let Some(period) = &team_facts.period else {
            planned.report.warnings.push(format!(
                "{}: no milestone is under way, so no issue is asked for a status update",
                team.id
            ));
            continue;
        };
        for (issue, notes) in &team_facts.issues {
            match prompt(
                config,
                team,
                period,
                issue,
                notes,
                &facts.absences,
                now,
                &renderer,
            ) {
                Ok((plan, note)) => {
                    if let Some(step) = note {
                        planned.touches.push(Touch {
                            plan: planned.report.issues.len(),
                            target: Target::Issue {
                                project: issue.project.clone(),
                                iid: issue.iid,
                            },
                            once: None,
                            steps: vec![step],
                        });
                    }
                    planned.report.issues.push(plan);
                }
                Err(e) => {
                    if !template_errors.contains(&e) {
                        template_errors.push(e);
                    }
                }
            }
        }
        if let Some((plan, touch)) = summary(config, team, period, team_facts, &facts.absences, now)
        {
            planned.touches.push(Touch {
                plan: planned.report.issues.len(),
                ..touch
            });
            planned.report.issues.push(plan);
        }
    }
    if template_errors.is_empty() {
        Ok(planned)
    } else {
        Err(JobError::Templates(template_errors))
    }
}

/// The plan for one issue: a prompt due now (its plan and comment), or a skip saying why not.
#[allow(clippy::too_many_arguments)]
fn prompt(
    config: &Config,
    team: &Team,
    period: &planning::Period,
    issue: &TrackedIssue,
    notes: &[TrackedNote],
    absences: &Absences,
    now: DateTime<Utc>,
    renderer: &Renderer,
) -> Result<(IssuePlan, Option<Step>), TemplateError> {
    let settings = &team.rituals.async_updates;
    let members: Vec<&Member> = issue
        .assignees
        .iter()
        .filter_map(|a| team.member(a))
        .collect();
    let on_day: Vec<(&Member, NaiveDate)> = members
        .iter()
        .map(|m| (*m, local_date(m, now)))
        .filter(|(_, date)| date.weekday() == settings.day)
        .collect();
    let config_day = now.with_timezone(&config.timezone).date_naive();
    let day = on_day.first().map_or(config_day, |(_, d)| *d);
    let week = iso_week(day);
    let key = format!("async-update/{}#{}/{week}", issue.project, issue.iid);
    let mut plan = IssuePlan::on_existing(&key, &issue.project, issue, Vec::new());
    plan.description = String::new();
    let skip = |mut plan: IssuePlan, reason: String| {
        plan.action = Action::Skip(reason);
        Ok((plan, None))
    };
    if on_day.is_empty() {
        let names: Vec<String> = members
            .iter()
            .map(|m| format!("{} for {}", local_date(m, now).format("%A"), m.username))
            .collect();
        return skip(
            plan,
            format!(
                "the update day is {}; it is {}",
                weekday_name(settings.day),
                names.join(", ")
            ),
        );
    }
    if let Some((who, posted)) = members
        .iter()
        .find_map(|m| update_by(notes, m, day).map(|posted| (m, posted)))
    {
        return skip(
            plan,
            format!(
                "{} posted an update on {} this week",
                who.username,
                ymd(posted)
            ),
        );
    }
    let (present, away): (Vec<_>, Vec<_>) = on_day.iter().partition(|(m, date)| {
        absences
            .away(&config.calendars, &m.username, *date)
            .is_none()
    });
    if present.is_empty() {
        let why: Vec<String> = away
            .iter()
            .map(|(m, date)| {
                let reason = absences
                    .away(&config.calendars, &m.username, *date)
                    .map(|a| a.reason())
                    .unwrap_or_default();
                format!("{} is away on {} ({reason})", m.username, ymd(*date))
            })
            .collect();
        return skip(plan, why.join("; "));
    }
    let assignees: Vec<&str> = present.iter().map(|(m, _)| m.username.as_str()).collect();
    let mut cc: Vec<&str> = Vec::new();
    for role in &settings.cc_roles {
        for member in team.with_role(role) {
            if !cc.contains(&member.username.as_str()) && !assignees.contains(&&*member.username) {
                cc.push(&member.username);
            }
        }
    }
    let context = json!({
        "team": team_json(team),
        "day": ymd(day),
        "week": week,
        "assignees": assignees,
        "cc": cc,
        "milestone": period.milestone.title(),
        "issue": { "title": issue.title, "web_url": issue.web_url },
    });
    let body = renderer.render_text(&settings.template, &context)?;
    plan.description.clone_from(&body);
    plan.action = Action::Exists;
    Ok((
        plan,
        Some(Step::Note {
            id: format!("async-update:{week}"),
            body,
        }),
    ))
}

/// Renders each team's prompt with sample data, as `teamcadence check` does: one plan per
/// team, skipped.
pub fn check(config: &Config, today: NaiveDate) -> Result<crate::plan::JobReport, JobError> {
    let renderer = Renderer::new(config.calendars.clone());
    let mut report = crate::plan::JobReport::default();
    let mut errors: Vec<TemplateError> = Vec::new();
    for team in &config.teams {
        let settings = &team.rituals.async_updates;
        let assignees: Vec<&str> = team
            .members
            .iter()
            .take(1)
            .map(|m| m.username.as_str())
            .collect();
        let cc: Vec<&str> = settings
            .cc_roles
            .iter()
            .flat_map(|role| team.with_role(role))
            .map(|m| m.username.as_str())
            .collect();
        let context = json!({
            "team": team_json(team),
            "day": ymd(today),
            "week": iso_week(today),
            "assignees": assignees,
            "cc": cc,
            "milestone": "19.8",
            "issue": { "title": "A sample issue", "web_url": "https://gitlab.example.com/sample/project/-/issues/1" },
        });
        match renderer.render_text(&settings.template, &context) {
            Ok(body) => report.issues.push(comment_plan(
                format!("async-update/{}/sample", team.id),
                &settings.project,
                "A sample issue".to_owned(),
                body,
                Action::Skip("a sample prompt".to_owned()),
            )),
            Err(e) if !errors.contains(&e) => errors.push(e),
            Err(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(JobError::Templates(errors))
    }
}

/// Appends a `###` section of the summary: `head` and `lines`, or `none` when there are no
/// lines.
fn section(body: &mut String, heading: &str, head: &str, lines: &[String], none: &str) {
    body.push_str(&format!("### {heading}\n\n"));
    if lines.is_empty() {
        body.push_str(none);
    } else {
        body.push_str(head);
        body.push_str(&lines.join("\n"));
    }
    body.push_str("\n\n");
}

/// A plan that shows a comment (`body`) about to go on an existing issue.
fn comment_plan(
    key: String,
    project: &str,
    title: String,
    body: String,
    action: Action,
) -> IssuePlan {
    IssuePlan::bare(key, action, project.to_owned(), title, body)
}

/// The weekday's name in English, as people write it.
fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The summary of the last update day, once it is over for every member: which issues got
/// an update, which did not, and who was away. It goes on the planning issue of the
/// milestone under way.
fn summary(
    config: &Config,
    team: &Team,
    period: &planning::Period,
    facts: &TeamFacts,
    absences: &Absences,
    now: DateTime<Utc>,
) -> Option<(IssuePlan, Touch)> {
    let settings = &team.rituals.async_updates;
    if !settings.summary || !facts.read {
        return None;
    }
    let today = now.with_timezone(&config.timezone).date_naive();
    let day = last_update_day(today, settings.day);
    // Someone still on the update day (or before it) may yet post: the summary waits.
    if team.members.iter().any(|m| local_date(m, now) <= day) {
        return None;
    }
    let week = iso_week(day);
    let mut updated = Vec::new();
    let mut missing = Vec::new();
    for (issue, notes) in &facts.issues {
        let members: Vec<&Member> = issue
            .assignees
            .iter()
            .filter_map(|a| team.member(a))
            .collect();
        let title = neutralise::markdown(&issue.title);
        let url = neutralise::markdown(&issue.web_url);
        let names = members
            .iter()
            .map(|m| neutralise::markdown(&m.username))
            .collect::<Vec<_>>()
            .join(", ");
        match members
            .iter()
            .find_map(|m| update_by(notes, m, day).map(|posted| (m, posted)))
        {
            Some((who, posted)) => updated.push(format!(
                "| {title} | {url} | {} | {} |",
                neutralise::markdown(&who.username),
                ymd(posted)
            )),
            None => missing.push(format!("| {title} | {url} | {names} |")),
        }
    }
    let away: Vec<String> = team
        .members
        .iter()
        .filter_map(|m| {
            absences.away(&config.calendars, &m.username, day).map(|a| {
                format!(
                    "- {} ({})",
                    neutralise::markdown(&m.name),
                    neutralise::markdown(&a.reason())
                )
            })
        })
        .collect();
    let mut body = format!(
        "## Async status updates, week {week}\n\nThe update day was {} {}.\n\n",
        weekday_name(settings.day),
        ymd(day)
    );
    section(
        &mut body,
        "Updated",
        "| Issue | Link | By | On |\n|---|---|---|---|\n",
        &updated,
        "_No issue got an update._",
    );
    section(
        &mut body,
        "Not updated",
        "| Issue | Link | Assignees |\n|---|---|---|\n",
        &missing,
        "_Every issue got an update._",
    );
    section(&mut body, "Away on the update day", "", &away, "_Nobody._");
    let planning_key = planning::key(team, period);
    let mut plan = comment_plan(
        format!("async-summary/{}/{week}", team.id),
        &team.project,
        format!("the planning issue {planning_key}"),
        body.clone(),
        Action::Exists,
    );
    plan.milestone = Some(period.milestone.title().to_owned());
    let touch = Touch {
        plan: 0,
        target: Target::Key {
            project: team.project.clone(),
            kind_label: planning::KIND_LABEL.to_owned(),
            key: planning_key,
        },
        once: None,
        steps: vec![Step::Note {
            id: format!("async-summary:{week}"),
            body,
        }],
    };
    Some((plan, touch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn weeks_and_update_days_are_counted_by_hand() {
        assert_eq!(iso_week(d(2026, 12, 2)), "2026-W49");
        // 2027-01-01 is a Friday of ISO week 53 of 2026.
        assert_eq!(iso_week(d(2027, 1, 1)), "2026-W53");
        assert_eq!(monday_of(d(2026, 12, 2)), d(2026, 11, 30));
        // On Thursday the last update day is the day before; on Wednesday, a week before.
        assert_eq!(
            last_update_day(d(2026, 12, 3), Weekday::Wed),
            d(2026, 12, 2)
        );
        assert_eq!(
            last_update_day(d(2026, 12, 2), Weekday::Wed),
            d(2026, 11, 25)
        );
        assert_eq!(
            last_update_day(d(2026, 12, 7), Weekday::Wed),
            d(2026, 12, 2)
        );
    }
}
