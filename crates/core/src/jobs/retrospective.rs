//! The milestone retrospective: an issue per milestone, opened on the handbook's day (the
//! first Wednesday 11 days or more after the start), saying what was delivered and what
//! slipped (the milestone's closed and open deliverables), asking the standard questions
//! each in a thread of its own, and linked to the milestone's planning issue.

use chrono::NaiveDate;
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::planning::{self, Period, PeriodFilter};
use super::touch::{Planned, Step, Target, Touch};
use super::{Draft, JobError, Plans, days_after, team_json, ymd};
use crate::config::Config;
use crate::neutralise;
use crate::plan::{Action, push_unique};
use crate::team::Team;
use crate::template::Template;
use crate::tracker::{IssueQuery, IssueState, IssueTracker, TrackedIssue};

/// The label that marks retrospective issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::retrospective";

/// How many days after its day a retrospective that was missed is still created.
pub const CATCH_UP_DAYS: u32 = 14;

/// A milestone whose retrospective a run considers, with its deliverables when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The milestone.
    pub period: Period,
    /// Its deliverables, read when the retrospective is due; `None` otherwise.
    pub deliverables: Option<Vec<TrackedIssue>>,
}

/// Each team's candidates in config order (the last finished milestone and the one under
/// way), or why they could not be read; and the warnings of reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Per team.
    pub teams: Vec<Result<Vec<Candidate>, String>>,
    /// Things a person should know.
    pub warnings: Vec<String>,
}

/// Whether the retrospective of `period` is due on `today`, and if not, why.
fn due(period: &Period, today: NaiveDate) -> Result<(), String> {
    let day = period.milestone.retrospective();
    if today < day {
        Err(format!("not due until {}", ymd(day)))
    } else if today > days_after(day, CATCH_UP_DAYS) {
        Err(format!(
            "its day was {}, more than {CATCH_UP_DAYS} days ago: it is not created late",
            ymd(day)
        ))
    } else {
        Ok(())
    }
}

/// Reads each team's milestones and, for a retrospective due, the milestone's deliverables.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
    feed_texts: Vec<Result<String, String>>,
) -> Facts {
    let planning_facts = planning::gather(tracker, config, today, feed_texts).await;
    let mut facts = Facts::default();
    if tracker.is_none() {
        facts.warnings.push(
            "this run does not read GitLab, so the delivered and slipped deliverables are not \
             known: the preview lists none"
                .to_owned(),
        );
    }
    let reads = config
        .teams
        .iter()
        .zip(planning_facts)
        .map(|(team, read)| async move {
            let read = read?;
            let mut periods: Vec<Period> = read
                .timeline
                .finished
                .first()
                .cloned()
                .into_iter()
                .collect();
            periods.extend(read.timeline.current.clone());
            let mut candidates = Vec::new();
            for period in periods {
                let deliverables = match (tracker, due(&period, today)) {
                    (Some(tracker), Ok(())) => Some(deliverables(tracker, team, &period).await?),
                    (None, Ok(())) => Some(Vec::new()),
                    _ => None,
                };
                candidates.push(Candidate {
                    period,
                    deliverables,
                });
            }
            Ok::<_, String>((candidates, read.warnings))
        });
    for read in join_all(reads).await {
        match read {
            Ok((candidates, warnings)) => {
                for warning in warnings {
                    push_unique(&mut facts.warnings, &warning);
                }
                facts.teams.push(Ok(candidates));
            }
            Err(e) => facts.teams.push(Err(e)),
        }
    }
    facts
}

async fn deliverables<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    period: &Period,
) -> Result<Vec<TrackedIssue>, String> {
    let settings = &team.rituals.retrospective;
    let mut labels = vec![settings.deliverable_label.clone()];
    for label in &team.labels {
        push_unique(&mut labels, label);
    }
    let mut query = IssueQuery {
        labels,
        ..IssueQuery::default()
    };
    match &period.filter {
        PeriodFilter::Milestone(title) => query.milestone = Some(title.clone()),
        PeriodFilter::Iteration(id) => query.iteration_id = Some(*id),
    }
    tracker
        .list_issues(&team.project, &query)
        .await
        .map_err(|e| {
            format!(
                "{}: could not read the deliverables of {} in {}: {e}",
                team.id,
                period.milestone.title(),
                team.project
            )
        })
}

/// Facts for rendering every team's retrospective without GitLab, as `teamcadence check`
/// does: the next milestone of the configured source (or the release calendar), with a
/// delivered and a slipped sample deliverable.
pub fn offline_facts(config: &Config, today: NaiveDate) -> Facts {
    let sample = |title: &str, state: IssueState| TrackedIssue {
        project: "sample/project".to_owned(),
        iid: 1,
        title: title.to_owned(),
        description: String::new(),
        state,
        labels: Vec::new(),
        assignees: vec!["sample-user".to_owned()],
        milestone: None,
        due_date: None,
        confidential: false,
        web_url: "https://gitlab.example.com/sample/project/-/issues/1".to_owned(),
        created_at: chrono::DateTime::UNIX_EPOCH,
        closed_at: None,
        weight: None,
        user_notes_count: None,
        merge_requests_count: None,
    };
    let teams = planning::offline_facts(config, today)
        .into_iter()
        .map(|read| {
            let read = read?;
            Ok(vec![Candidate {
                period: read.timeline.next,
                deliverables: Some(vec![
                    sample("A sample delivered issue", IssueState::Closed),
                    sample("A sample slipped issue", IssueState::Opened),
                ]),
            }])
        })
        .collect();
    Facts {
        teams,
        warnings: Vec::new(),
    }
}

/// The key of a team's retrospective issue for a period.
pub fn key(team: &Team, period: &Period) -> String {
    format!("retrospective/{}/{}", team.id, period.key)
}

/// Plans each team's retrospective issues on `today`.
pub fn plan(config: &Config, today: NaiveDate, facts: &Facts) -> Result<Planned, JobError> {
    let mut plans = Plans::new(config);
    plans.report.warnings.extend(facts.warnings.iter().cloned());
    let mut touches = Vec::new();
    for (team, candidates) in config.teams.iter().zip(&facts.teams) {
        let candidates = match candidates {
            Ok(candidates) => candidates,
            Err(message) => {
                plans.report.errors.push(message.clone());
                continue;
            }
        };
        for candidate in candidates {
            let action = match (&candidate.deliverables, due(&candidate.period, today)) {
                (Some(_), Ok(())) => Action::Create,
                (_, Err(reason)) => Action::Skip(reason),
                (None, Ok(())) => Action::Skip("its deliverables were not read".to_owned()),
            };
            let due_now = action == Action::Create;
            let deliverables = candidate.deliverables.as_deref().unwrap_or_default();
            if plans
                .add(draft(team, &candidate.period, deliverables, action))
                .is_none()
            {
                continue;
            }
            if due_now {
                let settings = &team.rituals.retrospective;
                touches.push(Touch {
                    plan: plans.report.issues.len() - 1,
                    target: Target::Key {
                        project: settings.project.clone(),
                        kind_label: KIND_LABEL.to_owned(),
                        key: key(team, &candidate.period),
                    },
                    once: None,
                    steps: vec![Step::LinkTo(Target::Key {
                        project: team.project.clone(),
                        kind_label: planning::KIND_LABEL.to_owned(),
                        key: planning::key(team, &candidate.period),
                    })],
                });
            }
        }
    }
    Ok(Planned {
        report: plans.finish()?,
        touches,
    })
}

fn issue_json(issue: &TrackedIssue) -> Value {
    json!({
        "title": issue.title,
        "web_url": issue.web_url,
        "assignees": issue.assignees,
    })
}

/// The retrospective issue of `period`.
fn draft<'a>(
    team: &'a Team,
    period: &Period,
    deliverables: &[TrackedIssue],
    action: Action,
) -> Draft<'a> {
    let settings = &team.rituals.retrospective;
    let (delivered, slipped): (Vec<&TrackedIssue>, Vec<&TrackedIssue>) = deliverables
        .iter()
        .partition(|i| i.state == IssueState::Closed);
    let context = json!({
        "team": team_json(team),
        "milestone": planning::milestone_json(&period.milestone),
        "deliverable_label": settings.deliverable_label,
        "delivered": delivered.iter().map(|i| issue_json(i)).collect::<Vec<_>>(),
        "slipped": slipped.iter().map(|i| issue_json(i)).collect::<Vec<_>>(),
        "questions": settings.questions,
        "planning_issue": planning::key(team, period),
    });
    let notes = settings
        .questions
        .iter()
        .enumerate()
        .map(|(n, question)| {
            // The question is data inside template text: a `{{` in it would be read as a
            // handlebars tag, so its braces become the entity GitLab renders as a brace.
            let text = neutralise::markdown(question).replace('{', "&lbrace;");
            (
                format!("question:{}", n + 1),
                Template::new(
                    format!("{}.retrospective.questions[{n}]", team.id),
                    format!("**{text}**\n\nReply in this thread."),
                ),
            )
        })
        .collect();
    Draft {
        key: key(team, period),
        action,
        project: &settings.project,
        template: &settings.template,
        parts: Vec::new(),
        default_title: None,
        context,
        labels: vec![&settings.labels, &team.labels],
        kind: KIND_LABEL,
        assignees: Vec::new(),
        milestone: period.gitlab_milestone.clone(),
        due_date: None,
        confidential: settings.confidential,
        follow_ups: Vec::new(),
        notes,
    }
}
