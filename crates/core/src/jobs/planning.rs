//! The milestone planning issue: the next milestone's dates, boards, checklists, capacity
//! and velocity.
//!
//! The job runs in two steps. [`gather`] reads what only GitLab knows (milestones or
//! iterations, the weight the team closed in past milestones), every team at once; [`plan`]
//! then decides and renders without any I/O.

use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::future::join_all;
use serde::Serialize;
use serde_json::{Value, json};

use super::work::{self, Work};
use super::{Draft, JobError, Plans, days_before, due_from, person_json, team_json, ymd};
use crate::absence::{self, Absence, Absences};
use crate::config::{Config, Milestones};
use crate::milestone::{Milestone, MilestoneSource, PlanningStep};
use crate::plan::{Action, FollowUp, JobReport, push_unique};
use crate::team::{ChecklistItem, IssueScope, Team};
use crate::template::Template;
use crate::tracker::{
    IssueQuery, IssueState, IssueTracker, MilestoneScope, TrackedIteration, TrackedMilestone,
    TrackerError,
};

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::planning";

/// A milestone or iteration, with how GitLab finds the issues in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Its dates and title.
    pub milestone: Milestone,
    /// The last part of its planning issue's key: the milestone's title, or an iteration's
    /// start date (iterations are often untitled, and a title may be added later).
    pub key: String,
    /// The title of the GitLab milestone to set on the planning issue, if any.
    pub gitlab_milestone: Option<String>,
    /// How the issues in it are found.
    pub filter: PeriodFilter,
}

/// How the issues of a period are found in GitLab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodFilter {
    /// By milestone title.
    Milestone(String),
    /// By iteration id.
    Iteration(u64),
}

impl Period {
    /// A milestone of the release calendar, a configured list or GitLab.
    pub fn milestone(milestone: Milestone) -> Self {
        let title = milestone.title().to_owned();
        Period {
            milestone,
            key: title.clone(),
            gitlab_milestone: Some(title.clone()),
            filter: PeriodFilter::Milestone(title),
        }
    }
}

/// The periods around the one being planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The period to plan: the first to start after today.
    pub next: Period,
    /// The period under way today, if any.
    pub current: Option<Period>,
    /// The last period to end before `next` starts: whose planning issue this one follows.
    pub previous: Option<Period>,
    /// The periods that ended before today, most recent first, as many as the velocity
    /// counts: finished work only.
    pub finished: Vec<Period>,
}

/// What GitLab holds about the team's work in one past period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PastWork {
    /// Closed issues with the team's labels.
    pub closed_issues: u32,
    /// Their total weight.
    pub weight: u32,
    /// How many of them have no weight.
    pub unweighted: u32,
}

/// The team's past work, if it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// One entry per period of [`Timeline::finished`], in the same order.
    Read(Vec<PastWork>),
    /// Not read, for this reason.
    NotRead(String),
}

/// What the planning job learned for one team before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The team's periods.
    pub timeline: Timeline,
    /// Its past work.
    pub history: History,
    /// Things a person should know (an undated milestone), one sentence each.
    pub warnings: Vec<String>,
    /// Who is away when, from every source: the same for every team, so shared rather than
    /// copied (an organisation's absences, once per team, would grow with teams x people).
    pub absences: Arc<Absences>,
    /// The team's work: carry-over, slipped deliverables, issues to refine.
    pub work: Work,
    /// What the mid-milestone check-in of the period under way needs, when it is due.
    pub check_in: Option<CheckIn>,
}

/// What the mid-milestone check-in reads: whether the period's planning issue is there to
/// post on, and the team's issues in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    /// Whether the planning issue of the period under way exists and is open.
    pub planning_issue_open: bool,
    /// The team's issues in the period, open and closed.
    pub issues: Vec<crate::tracker::TrackedIssue>,
    /// When they were read.
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// The check-in's day of `milestone`: the configured day from its start, else its middle.
pub fn check_in_day(team: &Team, milestone: &Milestone) -> NaiveDate {
    let length = (milestone.end() - milestone.start()).num_days();
    let offset = team
        .planning
        .work
        .check_in_day
        .map_or(length / 2, |d| i64::from(d).min(length));
    milestone.start() + chrono::Duration::days(offset)
}

/// Reads what the check-in of `current` needs, when it is on and due on `today`.
async fn read_check_in<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    current: Option<&Period>,
    today: NaiveDate,
    planning: &[crate::tracker::TrackedIssue],
) -> Result<Option<CheckIn>, String> {
    let Some(current) = current else {
        return Ok(None);
    };
    let milestone = &current.milestone;
    if !team.planning.work.check_in
        || today < check_in_day(team, milestone)
        || today > milestone.end()
    {
        return Ok(None);
    }
    // Only an open planning issue gets a check-in: without one nothing more is read.
    let wanted = key(team, current);
    if !planning
        .iter()
        .any(|i| crate::apply::key_in(&i.description).as_deref() == Some(wanted.as_str()))
    {
        return Ok(None);
    }
    let mut query = IssueQuery {
        labels: team.planning.velocity.labels.clone(),
        ..IssueQuery::default()
    };
    match &current.filter {
        PeriodFilter::Milestone(title) => query.milestone = Some(title.clone()),
        PeriodFilter::Iteration(id) => query.iteration_id = Some(*id),
    }
    let issues = match &team.planning.velocity.scope {
        IssueScope::Project(path) => tracker.list_issues(path, &query).await,
        IssueScope::Group(path) => tracker.list_group_issues(path, &query).await,
    };
    let mut issues = issues.map_err(|e| {
        format!(
            "{}: could not read the issues of {} for the check-in: {e}",
            team.id,
            milestone.title()
        )
    })?;
    issues.sort_by(|a, b| (&a.project, a.iid).cmp(&(&b.project, b.iid)));
    Ok(Some(CheckIn {
        planning_issue_open: true,
        issues,
        read_at: tracker.current_time(),
    }))
}

/// The check-in note: the share of deliverables closed, those at risk (open, no merge
/// request that closes them, and unassigned or with an assignee away some working day of the
/// rest of the milestone), and the weight burned against the budget the velocity gives the
/// milestone.
fn check_in_note(
    config: &Config,
    team: &Team,
    milestone: &Milestone,
    facts: &Facts,
    check_in: &CheckIn,
    today: NaiveDate,
) -> String {
    use crate::neutralise::markdown;
    let label = &team.planning.work.deliverable_label;
    let deliverables: Vec<&crate::tracker::TrackedIssue> = check_in
        .issues
        .iter()
        .filter(|i| i.labels.contains(label))
        .collect();
    let closed = deliverables
        .iter()
        .filter(|i| i.state == IssueState::Closed)
        .count();
    let share = if deliverables.is_empty() {
        "no deliverables".to_owned()
    } else {
        format!(
            "{closed} of {} closed ({}%)",
            deliverables.len(),
            closed * 100 / deliverables.len()
        )
    };
    let away_days = |who: &str| -> Vec<NaiveDate> {
        let calendar = config.calendars.for_person(who);
        today
            .iter_days()
            .take_while(|d| *d <= milestone.end())
            .filter(|d| calendar.is_working_day(*d) && facts.absences.on(who, *d).is_some())
            .collect()
    };
    let at_risk: Vec<String> = deliverables
        .iter()
        .filter(|i| i.state == IssueState::Opened)
        // A merge request that closes it is work under way, whoever is away. Unknown (the
        // tracker did not say) is not "none": such a deliverable stays in, and says so.
        .filter(|i| i.merge_requests_count.is_none_or(|n| n == 0))
        .filter_map(|i| {
            let why = if i.assignees.is_empty() {
                "unassigned".to_owned()
            } else {
                let away: Vec<String> = i
                    .assignees
                    .iter()
                    .filter_map(|who| {
                        let days = away_days(who);
                        let name = team.member(who).map_or(who.as_str(), |m| m.name.as_str());
                        Some(format!(
                            "{} away {} working day{} from {}",
                            markdown(name),
                            days.len(),
                            if days.len() == 1 { "" } else { "s" },
                            ymd(*days.first()?)
                        ))
                    })
                    .collect();
                if away.is_empty() {
                    return None;
                }
                away.join(", ")
            };
            let merge_requests = match i.merge_requests_count {
                Some(_) => "no merge request",
                None => "merge requests unknown",
            };
            Some(format!(
                "- [{}]({}): {why}; {merge_requests}",
                markdown(&i.title),
                i.web_url
            ))
        })
        .collect();
    let burned: u32 = check_in
        .issues
        .iter()
        .filter(|i| i.state == IssueState::Closed)
        .filter_map(|i| i.weight)
        .sum();
    let rows = capacity_table(config, team, milestone, &facts.absences);
    let counted: u32 = rows
        .iter()
        .map(|r| counted_days(r, team.planning.work.ramp_up_percent))
        .sum();
    let velocity = velocity(
        config,
        team,
        &facts.timeline.finished,
        &facts.history,
        &facts.absences,
    );
    let budget = match velocity.budget(counted) {
        Some(budget) => format!("of a budget of {budget}"),
        None => "(no velocity to give a budget)".to_owned(),
    };
    let mut text = format!(
        "**Mid-milestone check-in of {}, {}.** Deliverables: {share}. Weight burned: {burned} \
         {budget}.\n\n",
        markdown(milestone.title()),
        ymd(today)
    );
    if at_risk.is_empty() {
        text.push_str(
            "No open deliverable without a merge request is unassigned or has its assignee away \
             for the rest of the milestone.\n",
        );
    } else {
        text.push_str(&format!(
            "At risk ({}): open, no merge request that closes it, and unassigned or with the \
             assignee away for part of the rest of the milestone.\n\n{}\n",
            at_risk.len(),
            at_risk.join("\n")
        ));
    }
    text.push_str(&format!(
        "\n_Read from GitLab at {}; posted once per milestone._",
        check_in.read_at.format("%Y-%m-%d %H:%M UTC")
    ));
    text
}

/// Each team's facts, in config order; `Err` says why that team cannot be planned.
pub type TeamFacts = Vec<Result<Facts, String>>;

/// Reads what each team's plan needs from GitLab, every team at once. Without a tracker
/// (a dry run that does not read GitLab) the configured milestone sources still work and
/// the velocity is left out.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
    feed_texts: Vec<Result<String, String>>,
) -> TeamFacts {
    // Who is away: the config, the feeds and everyone's GitLab status, for the capacity.
    let everyone: Vec<&str> = config
        .teams
        .iter()
        .flat_map(|t| t.members.iter().map(|m| m.username.as_str()))
        .collect();
    let away = absence::Facts::gather(tracker, config, today, feed_texts, &everyone).await;
    let (absences, mut absence_warnings) = away.absences(config);
    let absences = Arc::new(absences);
    absence_warnings.splice(0..0, away.read_warnings());
    let teams = gather_teams(tracker, config, today).await;
    teams
        .into_iter()
        .map(|team| {
            team.map(|mut facts| {
                facts.absences = Arc::clone(&absences);
                facts.warnings.extend(absence_warnings.iter().cloned());
                facts
            })
        })
        .collect()
}

/// Each team's milestones and history ([`gather`] without the absences).
async fn gather_teams<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
) -> TeamFacts {
    // Teams often share a project or group: each milestone list is read once per run.
    let mut scopes: Vec<MilestoneScope> = Vec::new();
    if tracker.is_some() {
        for team in &config.teams {
            if let Some(scope) = milestone_scope(config, team)
                && !scopes.contains(&scope)
            {
                scopes.push(scope);
            }
        }
    }
    let lists = join_all(scopes.iter().map(|scope| async move {
        match tracker {
            Some(tracker) => tracker.list_milestones(scope).await,
            None => Ok(Vec::new()),
        }
    }))
    .await;
    let milestones: Vec<(MilestoneScope, Result<Vec<TrackedMilestone>, TrackerError>)> =
        scopes.into_iter().zip(lists).collect();
    // Coverage issues (for the capacity table) and planning issues (for the check-in) are
    // listed once per project, however many teams share it.
    let mut coverage_projects: Vec<&str> = Vec::new();
    let mut planning_projects: Vec<&str> = Vec::new();
    if tracker.is_some() {
        for team in &config.teams {
            if !coverage_projects.contains(&team.pto.project.as_str()) {
                coverage_projects.push(&team.pto.project);
            }
            if !planning_projects.contains(&team.project.as_str()) {
                planning_projects.push(&team.project);
            }
        }
    }
    let shared = Shared {
        coverage: join_all(coverage_projects.iter().map(|p| async move {
            match tracker {
                Some(tracker) => ((*p).to_owned(), work::coverage_issues(tracker, p).await),
                None => ((*p).to_owned(), Ok(work::CoverageListing::default())),
            }
        }))
        .await,
        planning: join_all(planning_projects.iter().map(|p| async move {
            let query = IssueQuery {
                labels: vec![KIND_LABEL.to_owned()],
                state: Some(IssueState::Opened),
                ..IssueQuery::default()
            };
            let listed = match tracker {
                Some(tracker) => tracker
                    .list_issues(p, &query)
                    .await
                    .map_err(|e| format!("could not read the planning issues of {p}: {e}")),
                None => Ok(Vec::new()),
            };
            ((*p).to_owned(), listed)
        }))
        .await,
    };
    let listed = |team: &Team| {
        let scope = milestone_scope(config, team)?;
        milestones
            .iter()
            .find(|(listed, _)| *listed == scope)
            .map(|(_, list)| list)
    };
    let shared = &shared;
    join_all(
        config
            .teams
            .iter()
            .map(|team| gather_team(tracker, config, team, today, listed(team), shared)),
    )
    .await
}

/// Lists read once per project for every team that shares it.
struct Shared {
    /// Open coverage issues, by coverage project.
    coverage: Vec<(String, Result<work::CoverageListing, String>)>,
    /// Open planning issues, by team project.
    planning: Vec<(String, Result<Vec<crate::tracker::TrackedIssue>, String>)>,
}

impl Shared {
    /// The coverage issues of `project` (`None` when they were not read).
    fn coverage(&self, project: &str) -> Result<Option<&work::CoverageListing>, String> {
        match self.coverage.iter().find(|(p, _)| p == project) {
            Some((_, Ok(listing))) => Ok(Some(listing)),
            Some((_, Err(e))) => Err(e.clone()),
            None => Ok(None),
        }
    }

    /// The list of `project` in `lists` (an empty one when it was not read).
    fn of<'a>(
        lists: &'a [(String, Result<Vec<crate::tracker::TrackedIssue>, String>)],
        project: &str,
    ) -> Result<&'a [crate::tracker::TrackedIssue], String> {
        match lists.iter().find(|(p, _)| p == project) {
            Some((_, Ok(list))) => Ok(list),
            Some((_, Err(e))) => Err(e.clone()),
            None => Ok(&[]),
        }
    }
}

/// Whose GitLab milestones a team's plan reads: its source's, or for a configured source
/// its project's (for the milestone's link); none for iterations.
fn milestone_scope(config: &Config, team: &Team) -> Option<MilestoneScope> {
    let project = || MilestoneScope::Project(team.project.clone());
    match config.milestones_of(team) {
        Milestones::Release(_) | Milestones::List(_) => Some(project()),
        Milestones::Gitlab(scope) => Some(scope.clone().unwrap_or_else(project)),
        Milestones::Iterations(_) => None,
    }
}

/// `milestones` is the list of [`milestone_scope`], read by [`gather`] when connected.
async fn gather_team<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    team: &Team,
    today: NaiveDate,
    milestones: Option<&Result<Vec<TrackedMilestone>, TrackerError>>,
    shared: &Shared,
) -> Result<Facts, String> {
    let wanted = team.planning.velocity.milestones as usize;
    let mut warnings = Vec::new();
    let source = config.milestones_of(team);
    let timeline = match (source, tracker) {
        (Milestones::Release(_) | Milestones::List(_), _) => {
            let Some(source) = source.source() else {
                return Err(format!("{}: no milestone source", team.id));
            };
            let mut timeline = configured_timeline(source, today, wanted).ok_or_else(|| {
                format!(
                    "{}: no milestone starts after {}: add the next one to `milestones.list` in {}",
                    team.id,
                    ymd(today),
                    config.file
                )
            })?;
            if let Some(listed) = milestones
                && timeline.next.milestone.web_url().is_none()
            {
                // The link to the milestone, when GitLab has one of that title.
                match listed {
                    Ok(list) => {
                        if let Some(url) = list
                            .iter()
                            .find(|m| m.title == timeline.next.milestone.title())
                            .and_then(|m| m.web_url.clone())
                        {
                            timeline.next.milestone =
                                timeline.next.milestone.clone().with_web_url(url);
                        }
                    }
                    Err(e) => warnings.push(format!(
                        "{}: could not read the milestones of {} for the milestone's link ({e})",
                        team.id, team.project
                    )),
                }
            }
            timeline
        }
        (Milestones::Gitlab(_) | Milestones::Iterations(_), None) => {
            return Err(format!(
                "{}: its milestones come from GitLab (`source: {}`), which this run does not \
                 read: give --gitlab-url and a GITLAB_TOKEN to plan or preview it",
                team.id,
                source.name()
            ));
        }
        (Milestones::Gitlab(_), Some(_)) => {
            let place = match milestone_scope(config, team) {
                Some(MilestoneScope::Group(path)) => format!("group {path}"),
                Some(MilestoneScope::Project(path)) => format!("project {path}"),
                None => String::new(),
            };
            let list = match milestones {
                Some(Ok(list)) => list.as_slice(),
                Some(Err(e)) => {
                    return Err(format!(
                        "{}: could not read the milestones of {place}: {e}",
                        team.id
                    ));
                }
                None => &[],
            };
            let (timeline, undated) = timeline_from_milestones(list, today, wanted)
                .map_err(|e| format!("{}: {e} in {place}", team.id))?;
            warnings.extend(undated.into_iter().map(|w| format!("{}: {w}", team.id)));
            timeline
        }
        (Milestones::Iterations(group), Some(tracker)) => {
            let group = group.clone().unwrap_or_else(|| parent_group(&team.project));
            let list = tracker.list_iterations(&group).await.map_err(|e| {
                format!(
                    "{}: could not read the iterations of group {group}: {e}",
                    team.id
                )
            })?;
            timeline_from_iterations(&list, today, wanted)
                .map_err(|e| format!("{}: {e} in group {group}", team.id))?
        }
    };
    let (history, work) = match tracker {
        None => (
            History::NotRead("this dry run does not read GitLab".to_owned()),
            Work::not_read(team, "this dry run does not read GitLab"),
        ),
        Some(tracker) => {
            // The lists are read only once the issue can be due (its window opens at the
            // latest of these, the draft moved back at most four weeks to a working day): the
            // planning issue is made once, from what they say on that day.
            let soon = today
                >= days_before(
                    timeline.next.milestone.start(),
                    team.planning.create_days_before_start.max(19 + 28),
                );
            // Once the issue exists (a re-run) its lists are history: nothing is read again.
            let next_key = key(team, &timeline.next);
            let made = Shared::of(&shared.planning, &team.project).is_ok_and(|list| {
                list.iter()
                    .any(|i| crate::apply::key_in(&i.description).as_deref() == Some(&next_key))
            });
            // Borrowed, not copied: a shared project's coverage issues, once per team, would
            // grow with teams x people.
            let coverage = shared.coverage(&team.pto.project);
            let work = async {
                if made {
                    Ok(Work::not_read(team, "the planning issue exists"))
                } else if soon {
                    work::gather(tracker, team, &timeline, &coverage).await
                } else {
                    Ok(Work::not_read(team, "the planning issue is not due yet"))
                }
            };
            let (history, work) =
                futures_util::future::join(read_history(tracker, team, &timeline.finished), work)
                    .await;
            (History::Read(history?), work?)
        }
    };
    let check_in = match tracker {
        Some(tracker) => {
            let planning = Shared::of(&shared.planning, &team.project)
                .map_err(|e| format!("{}: {e}", team.id))?;
            read_check_in(tracker, team, timeline.current.as_ref(), today, planning).await?
        }
        None => None,
    };
    Ok(Facts {
        timeline,
        history,
        warnings,
        absences: Arc::default(),
        work,
        check_in,
    })
}

/// Facts for rendering every team's planning template without GitLab, as `teamcadence
/// check` does: the configured milestones, or for teams whose milestones live in GitLab a
/// sample from the release calendar.
pub fn offline_facts(config: &Config, today: NaiveDate) -> TeamFacts {
    let sample = crate::milestone::ReleaseCalendar::default();
    let absences = Arc::new(absence::Facts::default().absences(config).0);
    config
        .teams
        .iter()
        .map(|team| {
            let wanted = team.planning.velocity.milestones as usize;
            let source = config.milestones_of(team).source().unwrap_or(&sample);
            let timeline = configured_timeline(source, today, wanted)
                .ok_or_else(|| format!("{}: no milestone starts after {}", team.id, ymd(today)))?;
            Ok(Facts {
                timeline,
                history: History::NotRead("`teamcadence check` does not read GitLab".to_owned()),
                warnings: Vec::new(),
                absences: Arc::clone(&absences),
                work: Work::not_read(team, "`teamcadence check` does not read GitLab"),
                check_in: None,
            })
        })
        .collect()
}

/// The group a project belongs to: its path without the last part.
fn parent_group(project: &str) -> String {
    project
        .rsplit_once('/')
        .map_or(project, |(group, _)| group)
        .to_owned()
}

/// The periods around `today` from a source the config describes.
fn configured_timeline(
    source: &dyn MilestoneSource,
    today: NaiveDate,
    wanted: usize,
) -> Option<Timeline> {
    let next = source.next_after(today)?;
    let mut finished = Vec::new();
    let mut before = today;
    while finished.len() < wanted {
        let Some(earlier) = source.previous_before(before) else {
            break;
        };
        before = earlier.start();
        finished.push(Period::milestone(earlier));
    }
    Some(Timeline {
        current: source.containing(today).map(Period::milestone),
        previous: source.previous_before(next.start()).map(Period::milestone),
        finished,
        next: Period::milestone(next),
    })
}

/// The periods around `today` among a group's or project's GitLab milestones: the next is
/// the first active milestone to start after today. A milestone without dates is reported,
/// never guessed at. Returns the timeline and a warning per undated active milestone.
pub fn timeline_from_milestones(
    list: &[TrackedMilestone],
    today: NaiveDate,
    wanted: usize,
) -> Result<(Timeline, Vec<String>), String> {
    if list.is_empty() {
        return Err("there are no GitLab milestones: create the next milestone, with a start date and a due date,".to_owned());
    }
    let mut undated = Vec::new();
    let mut dated: Vec<(&TrackedMilestone, Milestone)> = Vec::new();
    for m in list {
        let milestone = match (m.start_date, m.due_date) {
            (Some(start), Some(due)) => Milestone::new(&m.title, start, due, None).ok(),
            _ => None,
        };
        match milestone {
            Some(milestone) => dated.push((
                m,
                match &m.web_url {
                    Some(url) => milestone.with_web_url(url.clone()),
                    None => milestone,
                },
            )),
            None if m.active => undated.push(m.title.clone()),
            None => {}
        }
    }
    dated.sort_by(|a, b| (a.1.start(), a.1.title()).cmp(&(b.1.start(), b.1.title())));
    let undated_note = |titles: &[String]| {
        format!(
            "GitLab milestone{} {} {} no start date or due date (or a due date before the start): \
             set both in GitLab so that teamcadence can plan {}",
            if titles.len() == 1 { "" } else { "s" },
            titles.join(", "),
            if titles.len() == 1 { "has" } else { "have" },
            if titles.len() == 1 { "it" } else { "them" },
        )
    };
    let Some((_, next)) = dated
        .iter()
        .find(|(m, milestone)| m.active && milestone.start() > today)
    else {
        let mut message = format!(
            "no active GitLab milestone starts after {}: create the next milestone, with a start date and a due date,",
            ymd(today)
        );
        if !undated.is_empty() {
            message = format!(
                "{} ({})",
                message.trim_end_matches(','),
                undated_note(&undated)
            );
            message.push(',');
        }
        return Err(message);
    };
    let next = next.clone();
    let current = dated
        .iter()
        .filter(|(_, m)| m.contains(today))
        .max_by_key(|(tracked, m)| (tracked.active, m.start()))
        .map(|(_, m)| Period::milestone(m.clone()));
    let mut by_end: Vec<&Milestone> = dated.iter().map(|(_, m)| m).collect();
    by_end.sort_by_key(|m| std::cmp::Reverse((m.end(), m.start())));
    let previous = by_end
        .iter()
        .find(|m| m.end() < next.start())
        .map(|m| Period::milestone((*m).clone()));
    let finished = by_end
        .iter()
        .filter(|m| m.end() < today)
        .take(wanted)
        .map(|m| Period::milestone((*m).clone()))
        .collect();
    let warnings = if undated.is_empty() {
        Vec::new()
    } else {
        vec![undated_note(&undated)]
    };
    Ok((
        Timeline {
            next: Period::milestone(next),
            current,
            previous,
            finished,
        },
        warnings,
    ))
}

/// The periods around `today` in a group's iteration cadence: the next is the first
/// iteration to start after today.
pub fn timeline_from_iterations(
    list: &[TrackedIteration],
    today: NaiveDate,
    wanted: usize,
) -> Result<Timeline, String> {
    let mut periods: Vec<Period> = list
        .iter()
        .filter_map(|it| {
            let title = it.title.clone().unwrap_or_else(|| {
                format!("Iteration {} to {}", ymd(it.start_date), ymd(it.due_date))
            });
            let milestone = Milestone::new(&title, it.start_date, it.due_date, None).ok()?;
            Some(Period {
                milestone: match &it.web_url {
                    Some(url) => milestone.with_web_url(url.clone()),
                    None => milestone,
                },
                key: format!("iteration-{}", ymd(it.start_date)),
                gitlab_milestone: None,
                filter: PeriodFilter::Iteration(it.id),
            })
        })
        .collect();
    periods.sort_by_key(|p| p.milestone.start());
    let next = periods
        .iter()
        .find(|p| p.milestone.start() > today)
        .cloned()
        .ok_or_else(|| {
            format!(
                "no iteration starts after {}: add upcoming iterations to the cadence (or let it schedule them automatically)",
                ymd(today)
            )
        })?;
    Ok(Timeline {
        current: periods
            .iter()
            .find(|p| p.milestone.contains(today))
            .cloned(),
        previous: periods
            .iter()
            .rev()
            .find(|p| p.milestone.end() < next.milestone.start())
            .cloned(),
        finished: periods
            .iter()
            .rev()
            .filter(|p| p.milestone.end() < today)
            .take(wanted)
            .cloned()
            .collect(),
        next,
    })
}

/// The closed issues of the team in each past period.
async fn read_history<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    finished: &[Period],
) -> Result<Vec<PastWork>, String> {
    let velocity = &team.planning.velocity;
    let counted = finished.iter().take(velocity.milestones as usize);
    let reads = counted.map(|period| async move {
        let mut query = IssueQuery {
            labels: velocity.labels.clone(),
            state: Some(IssueState::Closed),
            ..IssueQuery::default()
        };
        match &period.filter {
            PeriodFilter::Milestone(title) => query.milestone = Some(title.clone()),
            PeriodFilter::Iteration(id) => query.iteration_id = Some(*id),
        }
        let issues = match &velocity.scope {
            IssueScope::Project(path) => tracker.list_issues(path, &query).await,
            IssueScope::Group(path) => tracker.list_group_issues(path, &query).await,
        }
        .map_err(|e| {
            format!(
                "{}: could not read the issues closed in {} for the velocity: {e}",
                team.id,
                period.milestone.title()
            )
        })?;
        Ok::<PastWork, String>(PastWork {
            closed_issues: u32::try_from(issues.len()).unwrap_or(u32::MAX),
            weight: issues.iter().filter_map(|i| i.weight).sum(),
            unweighted: u32::try_from(issues.iter().filter(|i| i.weight.is_none()).count())
                .unwrap_or(u32::MAX),
        })
    });
    join_all(reads).await.into_iter().collect()
}

/// Plans each team's issue for the period after `today`, from the facts [`gather`] read.
///
/// It is due from `create_days_before_start` days before the period starts, or from its
/// first task's day when that is earlier (so that no task is due before the issue exists),
/// until it starts; before that the plan is shown with `skip` and the date it becomes due. The period under
/// way is shown with `skip` too, saying that it started: its issue is never created late.
pub fn plan(config: &Config, today: NaiveDate, facts: &TeamFacts) -> Result<JobReport, JobError> {
    let mut plans = Plans::new(config);
    for (team, facts) in config.teams.iter().zip(facts) {
        let facts = match facts {
            Ok(facts) => facts,
            Err(message) => {
                plans.report.errors.push(message.clone());
                continue;
            }
        };
        // Warnings about the absences are the same for every team: each is said once.
        for warning in &facts.warnings {
            push_unique(&mut plans.report.warnings, warning);
        }
        let timeline = &facts.timeline;
        let milestone = &timeline.next.milestone;
        for absence in team
            .members
            .iter()
            .flat_map(|m| facts.absences.of(&m.username))
        {
            if absence.overlaps(milestone.start(), milestone.end()) {
                for disagreement in absence.disagreements() {
                    push_unique(&mut plans.report.warnings, &disagreement);
                }
            }
        }
        let window_start = days_before(milestone.start(), team.planning.create_days_before_start)
            .min(first_task_day(config, &facts.absences, team, milestone));
        let action = due_from(today, window_start);
        if let Some(plan) = plans.add(draft(
            config,
            team,
            timeline,
            Known {
                history: &facts.history,
                absences: &facts.absences,
                work: &facts.work,
            },
            action,
            today,
        )) {
            plan.record = Some(capacity_record(&capacity_table(
                config,
                team,
                milestone,
                &facts.absences,
            )));
        }
        // The period under way comes after the one to plan, which is what people look for.
        if let Some(current) = &timeline.current {
            let reason = format!(
                "{} started on {}: planning issues are created before a milestone starts, so \
                 this run does not create it",
                current.milestone.title(),
                ymd(current.milestone.start())
            );
            let started = History::NotRead("the milestone has started".to_owned());
            let timeline = Timeline {
                next: current.clone(),
                current: None,
                previous: None,
                finished: Vec::new(),
            };
            let not_read = Work::not_read(team, "the milestone has started");
            // Its check-in, once due, goes to its planning issue as a note posted once.
            let check_in = facts
                .check_in
                .as_ref()
                .filter(|c| c.planning_issue_open)
                .map(|c| check_in_note(config, team, &current.milestone, facts, c, today));
            let action = if check_in.is_some() {
                Action::Exists
            } else {
                Action::Skip(reason)
            };
            if let Some(plan) = plans.add(draft(
                config,
                team,
                &timeline,
                Known {
                    history: &started,
                    absences: &facts.absences,
                    work: &not_read,
                },
                action,
                today,
            )) && let Some(body) = check_in
            {
                // Only the note: the issue's own follow-ups were done when it was made.
                plan.follow_ups = vec![FollowUp::Note {
                    id: format!("check-in:{}", current.key),
                    body,
                }];
            }
        }
    }
    plans.finish()
}

/// What a planning issue is drafted from besides its timeline.
#[derive(Clone, Copy)]
struct Known<'f> {
    history: &'f History,
    absences: &'f Absences,
    work: &'f Work,
}

/// The planning issue of `team` for `timeline.next`.
fn draft<'a>(
    config: &'a Config,
    team: &'a Team,
    timeline: &Timeline,
    known: Known<'_>,
    action: Action,
    today: NaiveDate,
) -> Draft<'a> {
    let Known {
        history,
        absences,
        work,
    } = known;
    let period = &timeline.next;
    let assignees = team
        .members
        .iter()
        .filter(|m| team.planning.assign_roles.contains(&m.role))
        .map(|m| m.username.clone())
        .collect();
    let mut follow_ups = Vec::new();
    if let Some(last) = &timeline.previous {
        let previous_key = key(team, last);
        if team.planning.link_previous {
            follow_ups.push(FollowUp::LinkTo {
                key: previous_key.clone(),
            });
        }
        if team.planning.close_previous {
            follow_ups.push(FollowUp::Close {
                key: previous_key,
                note: format!(
                    "Closed by teamcadence: the planning of {} has moved to its own issue, linked here.",
                    crate::neutralise::markdown(period.milestone.title())
                ),
            });
        }
    }
    // Each coverage issue the capacity table names is linked, whichever issue came first.
    if team.planning.work.link_coverage {
        let milestone = &period.milestone;
        for c in work
            .coverage
            .iter()
            .filter(|c| team.member(&c.person).is_some())
            .filter(|c| c.first <= milestone.end() && milestone.start() <= c.last)
        {
            follow_ups.push(FollowUp::LinkToIssue {
                project: c.issue.project.clone(),
                iid: c.issue.iid,
            });
        }
    }
    let notes = team
        .planning
        .threads
        .iter()
        .map(|thread| {
            // The title is data inside template text: a `{{` in it would be read as a
            // handlebars tag, so its braces become the entity GitLab renders as a brace.
            let title = crate::neutralise::markdown(&thread.title).replace('{', "&lbrace;");
            let text = format!("**{title}**\n\n{}", thread.body);
            (
                format!("thread:{}", thread.title.trim().to_lowercase()),
                Template::new(
                    format!("{}.planning.threads[{}]", team.id, thread.title),
                    text,
                ),
            )
        })
        .collect();
    Draft {
        key: key(team, period),
        action,
        project: &team.project,
        template: &team.templates.planning,
        parts: Vec::new(),
        default_title: None,
        context: context(config, team, timeline, history, absences, work, today),
        labels: vec![&team.planning.labels, &team.labels],
        kind: KIND_LABEL,
        assignees,
        milestone: period.gitlab_milestone.clone(),
        due_date: Some(period.milestone.planning_lock()),
        confidential: team.planning.confidential,
        follow_ups,
        notes,
    }
}

/// The stable key of a team's planning issue for a period.
pub fn key(team: &Team, period: &Period) -> String {
    format!("planning/{}/{}", team.id, period.key)
}

/// The planning tasks of the issue's own checklist, owned by the people it is assigned to:
/// each step with its day, moved to a working day of all of them.
fn general_tasks(
    config: &Config,
    absences: &Absences,
    team: &Team,
    milestone: &Milestone,
) -> Vec<(PlanningStep, NaiveDate)> {
    let owners: Vec<&str> = team
        .members
        .iter()
        .filter(|m| team.planning.assign_roles.contains(&m.role))
        .map(|m| m.username.as_str())
        .collect();
    [
        PlanningStep::Draft,
        PlanningStep::PmPlan,
        PlanningStep::PlanningLock,
    ]
    .into_iter()
    .map(|step| {
        (
            step,
            owners_working_day(config, absences, &owners, milestone.step(step)),
        )
    })
    .collect()
}

/// The day of the issue's first task: its own checklist's or a role checklist's, each on its
/// owner's working day.
fn first_task_day(
    config: &Config,
    absences: &Absences,
    team: &Team,
    milestone: &Milestone,
) -> NaiveDate {
    let general = general_tasks(config, absences, team, milestone)
        .into_iter()
        .map(|(_, day)| day);
    let roles = team.planning.checklists.iter().flat_map(|list| {
        let people: Vec<&str> = team
            .members
            .iter()
            .filter(|m| list.roles.contains(&m.role))
            .map(|m| m.username.as_str())
            .collect();
        list.items
            .iter()
            .filter_map(|item| item.due)
            .flat_map(move |step| {
                let date = milestone.step(step);
                if people.is_empty() {
                    vec![owners_working_day(config, absences, &[], date)]
                } else {
                    people
                        .iter()
                        .map(|who| owners_working_day(config, absences, &[*who], date))
                        .collect()
                }
            })
    });
    general.chain(roles).min().unwrap_or(milestone.start())
}

/// How templates name a planning step.
fn step_name(step: PlanningStep) -> String {
    match step {
        PlanningStep::Draft => "draft",
        PlanningStep::PmPlan => "pm_plan",
        PlanningStep::PlanningLock => "planning_lock",
        PlanningStep::Kickoff => "kickoff",
    }
    .to_owned()
}

/// The last day on or before `date` on which each of `owners` works: no weekend, public
/// holiday or absence of any source (the default calendar when there are none). A task
/// moves earlier, never later, so that it still comes before the step it serves. `date`
/// itself when no such day is found within four weeks (someone away for a month).
fn owners_working_day(
    config: &Config,
    absences: &Absences,
    owners: &[&str],
    date: NaiveDate,
) -> NaiveDate {
    let works = |username: Option<&str>, day: NaiveDate| {
        let calendar = match username {
            Some(who) => config.calendars.for_person(who),
            None => config.calendars.default_calendar(),
        };
        calendar.is_working_day(day) && username.is_none_or(|who| absences.on(who, day).is_none())
    };
    let all_work = |day: NaiveDate| {
        if owners.is_empty() {
            works(None, day)
        } else {
            owners.iter().all(|who| works(Some(who), day))
        }
    };
    let mut day = date;
    for _ in 0..28 {
        if all_work(day) {
            return day;
        }
        match day.pred_opt() {
            Some(earlier) => day = earlier,
            None => break,
        }
    }
    date
}

/// A task's due day as the issue shows it: the date, and whether it had passed on `today`,
/// the day the issue is created (a late or catch-up run), so that nobody reads a past date
/// as a deadline still to meet.
fn deadline(day: NaiveDate, today: NaiveDate) -> Value {
    let passed = day < today;
    json!({
        "date": ymd(day),
        "passed": passed,
        "text": if passed {
            format!("{} (passed when this issue was created on {})", ymd(day), ymd(today))
        } else {
            ymd(day)
        },
    })
}

/// The name of the planning issue's record of the time off its capacity table counted.
const CAPACITY_RECORD: &str = "capacity";
/// Its one field.
const CAPACITY_FIELDS: [&str; 1] = ["absences"];

/// The hidden record of the time off a capacity table counted, one `person/first/last` each
/// (the person encoded, so that no separator can come from data), so that the PTO job knows
/// which time off was known when the milestone was planned.
fn capacity_record(rows: &[Capacity]) -> String {
    let absences: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            row.counted.iter().map(|(first, last)| {
                format!(
                    "{}/{}/{}",
                    crate::record::encode(&row.username),
                    ymd(*first),
                    ymd(*last)
                )
            })
        })
        .collect();
    crate::record::fields(
        CAPACITY_RECORD,
        &[(CAPACITY_FIELDS[0], &absences.join(","))],
    )
}

/// The time off a planning issue's capacity table counted, from its hidden record: (person,
/// first day, last day) each. `None` when the issue has no such record (made before
/// teamcadence wrote one) or it does not read: then nothing is known about what was planned.
pub fn planned_absences(description: &str) -> Option<Vec<(String, NaiveDate, NaiveDate)>> {
    let mut lines = crate::record::lines_from_end(description);
    crate::apply::key_in(description)?;
    lines.next()?;
    let values = crate::record::read_fields(lines.next()?, CAPACITY_RECORD, &CAPACITY_FIELDS)
        .ok()
        .flatten()?;
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    values[0]
        .split(',')
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let mut parts = entry.rsplitn(3, '/');
            let last = date(parts.next()?)?;
            let first = date(parts.next()?)?;
            let person = crate::record::decode(parts.next()?).ok()?;
            Some((person, first, last))
        })
        .collect()
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
    /// Whether this is a new hire's first milestone (they start during it), which the
    /// weight budget counts at the ramp-up fraction.
    pub first_milestone: bool,
    /// The first and last day of each time off counted, for the planning issue's record.
    pub counted: Vec<(NaiveDate, NaiveDate)>,
}

/// One person's capacity over a milestone, counted from `joins` when they join during it:
/// their absences from every source, each day counted once.
fn capacity(
    config: &Config,
    who: Person<'_>,
    milestone: &Milestone,
    absences: &Absences,
) -> Capacity {
    let calendar = config.calendars.for_person(who.username);
    let from = who
        .joins
        .map_or(milestone.start(), |j| j.max(milestone.start()));
    let until = milestone.end();
    let away: Vec<&Absence> = absences
        .of(who.username)
        .iter()
        .filter(|a| a.overlaps(from, until))
        .collect();
    let working_days = calendar.working_days(from, until);
    let time_off_days = absences
        .working_days_off(calendar, who.username, from, until)
        .min(working_days);
    let at_work =
        |d: &NaiveDate| calendar.is_working_day(*d) && absences.on(who.username, *d).is_none();
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= until).collect();

    let mut listed: Vec<(NaiveDate, String)> = days
        .iter()
        .filter(|d| !calendar.is_weekend(**d))
        .filter_map(|d| {
            calendar
                .holiday(*d)
                .map(|name| (*d, format!("{} {name}", ymd(*d))))
        })
        .collect();
    for a in &away {
        let count = a.working_days_within(from, until, calendar);
        let what = match a.note() {
            Some(note) => note,
            None if a.is_recorded() => "Time off".to_owned(),
            None => "Away by GitLab status".to_owned(),
        };
        listed.push((
            a.first(),
            format!(
                "{what} {} to {} ({count} working day{})",
                ymd(a.first()),
                ymd(a.last()),
                if count == 1 { "" } else { "s" }
            ),
        ));
    }
    listed.sort();

    Capacity {
        username: who.username.to_owned(),
        name: who.name.to_owned(),
        role: who.role.to_owned(),
        first_day: days.iter().copied().find(at_work),
        last_day: days.iter().rev().copied().find(at_work),
        working_days,
        time_off_days,
        available_days: working_days - time_off_days,
        absences: listed.into_iter().map(|(_, text)| text).collect(),
        new_hire: who.new_hire,
        first_milestone: who.new_hire && who.joins.is_some_and(|j| j >= milestone.start()),
        counted: away
            .iter()
            .filter(|a| a.is_recorded())
            .map(|a| (a.first(), a.last()))
            .collect(),
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
pub fn capacity_table(
    config: &Config,
    team: &Team,
    milestone: &Milestone,
    absences: &Absences,
) -> Vec<Capacity> {
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
        .map(|who| capacity(config, who, milestone, absences))
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

/// The days a capacity row counts toward the weight budget: its available days, or for a
/// new hire's first milestone `ramp_up` percent of them (rounded to the nearest day).
fn counted_days(row: &Capacity, ramp_up: u32) -> u32 {
    if row.first_milestone {
        (row.available_days * ramp_up + 50) / 100
    } else {
        row.available_days
    }
}

/// What the team's weight budget was computed from, in one sentence.
fn computed_from(rows: &[Capacity], counted: &[u32], ramp_up: u32, velocity: &Velocity) -> String {
    let available: u32 = rows.iter().map(|r| r.available_days).sum();
    let total: u32 = counted.iter().sum();
    let people = rows.len();
    let mut text = format!(
        "{total} counted days: the available days of {people} {}",
        if people == 1 { "person" } else { "people" }
    );
    let hires: Vec<String> = rows
        .iter()
        .zip(counted)
        .filter(|(r, _)| r.first_milestone)
        .map(|(r, c)| format!("{} {c} of {}", r.name, r.available_days))
        .collect();
    if hires.is_empty() {
        text.push_str(&format!(" ({available})"));
    } else {
        text.push_str(&format!(
            " ({available}), new hires' first milestone at {ramp_up}% ({})",
            hires.join(", ")
        ));
    }
    match velocity.per_day {
        Some(per_day) => {
            let titles: Vec<&str> = velocity.periods.iter().map(|p| p.title.as_str()).collect();
            text.push_str(&format!(
                "; velocity {per_day:.2} weight per available day over {}",
                titles.join(", ")
            ));
        }
        None => text.push_str("; no velocity to go by"),
    }
    text.push('.');
    text
}

/// The weight budget split by discipline: each discipline's counted days (a role listed in
/// several disciplines splits its days evenly), its budget and its carried-over weight.
fn disciplines_json(
    team: &Team,
    rows: &[Capacity],
    counted: &[u32],
    velocity: &Velocity,
    work: &Work,
) -> Vec<Value> {
    let disciplines = &team.planning.work.disciplines;
    disciplines
        .iter()
        .map(|d| {
            let days: f64 = rows
                .iter()
                .zip(counted)
                .filter(|(r, _)| d.roles.contains(&r.role))
                .map(|(r, c)| {
                    let shares = disciplines
                        .iter()
                        .filter(|o| o.roles.contains(&r.role))
                        .count();
                    f64::from(*c) / shares.max(1) as f64
                })
                .sum();
            let people = rows.iter().filter(|r| d.roles.contains(&r.role)).count();
            let days_text = if days.fract() == 0.0 {
                format!("{days:.0}")
            } else {
                format!("{days:.1}")
            };
            json!({
                "label": d.label,
                "roles": d.roles.join(", "),
                "people": people,
                "counted_days": days_text,
                "weight_budget": velocity
                    .per_day
                    .map_or_else(|| "-".to_owned(), |p| format!("{:.0}", p * days)),
                "carried_over": work::carried_weight_labelled(work, &d.label),
            })
        })
        .collect()
}

/// The Mermaid chart of the planning issue: the milestone's timeline from the draft to the
/// release and each capacity row's absences; or, for a team larger than the chart's limit
/// or with the chart turned off, none and a sentence why.
fn planning_chart(
    config: &Config,
    team: &Team,
    milestone: &Milestone,
    absences: &Absences,
    rows: &[Capacity],
) -> (Option<crate::mermaid::Gantt>, Option<String>) {
    let settings = &team.planning.work;
    if !settings.gantt {
        return (None, None);
    }
    let people: Vec<work::ChartPerson<'_>> = rows
        .iter()
        .map(|r| work::ChartPerson {
            username: &r.username,
            name: r.name.clone(),
        })
        .collect();
    let until = milestone
        .release()
        .unwrap_or(milestone.end())
        .max(milestone.end());
    let chart = work::chart(
        config,
        absences,
        &format!("{} {}", team.name, milestone.title()),
        Some(milestone),
        &people,
        (milestone.draft_date(), until),
        settings.gantt_max_members,
    );
    let note = chart.is_none().then(|| {
        format!(
            "The team has {} people, more than the {} a chart stays readable for: the capacity \
             table above says who is away when.",
            rows.len(),
            settings.gantt_max_members
        )
    });
    (chart, note)
}

/// One past period's share of the velocity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodVelocity {
    /// The period's title.
    pub title: String,
    /// What the team closed in it.
    pub work: PastWork,
    /// The team's available working days in it, from the configured people and time off.
    pub available_days: u32,
}

/// The team's velocity over past periods and the weight budget it suggests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Velocity {
    /// Each counted period, most recent first.
    pub periods: Vec<PeriodVelocity>,
    /// Weight closed per available working day over all counted periods, when there is a
    /// history to go by.
    pub per_day: Option<f64>,
    /// Why there is no suggestion, when there is none.
    pub note: Option<String>,
}

impl Velocity {
    /// The weight budget for `available_days`, when there is a velocity to go by.
    pub fn budget(&self, available_days: u32) -> Option<u32> {
        self.per_day
            .map(|per_day| (per_day * f64::from(available_days)).round() as u32)
    }
}

/// The team's velocity over the counted past periods. There is no suggestion unless each of
/// the `velocity.milestones` periods before this one is known and had closed issues, and
/// some of them had weight.
pub fn velocity(
    config: &Config,
    team: &Team,
    finished: &[Period],
    history: &History,
    absences: &Absences,
) -> Velocity {
    let wanted = team.planning.velocity.milestones as usize;
    let work = match history {
        History::NotRead(reason) => {
            return Velocity {
                periods: Vec::new(),
                per_day: None,
                note: Some(format!("The velocity was not read: {reason}.")),
            };
        }
        History::Read(work) => work,
    };
    let periods: Vec<PeriodVelocity> = finished
        .iter()
        .zip(work)
        .map(|(period, work)| PeriodVelocity {
            title: period.milestone.title().to_owned(),
            work: *work,
            available_days: capacity_table(config, team, &period.milestone, absences)
                .iter()
                .map(|row| row.available_days)
                .sum(),
        })
        .collect();
    let empty: Vec<&str> = periods
        .iter()
        .filter(|p| p.work.closed_issues == 0)
        .map(|p| p.title.as_str())
        .collect();
    let weight: u32 = periods.iter().map(|p| p.work.weight).sum();
    let days: u32 = periods.iter().map(|p| p.available_days).sum();
    let note = if periods.len() < wanted {
        Some(format!(
            "The history is too short to suggest a weight budget: {} of the {wanted} milestones \
             before this one {} known.",
            periods.len(),
            if periods.len() == 1 { "is" } else { "are" }
        ))
    } else if !empty.is_empty() {
        Some(format!(
            "The history is too short to suggest a weight budget: no issues with the team's \
             labels were closed in {}.",
            empty.join(", ")
        ))
    } else if weight == 0 {
        Some(format!(
            "No weight was closed in the last {wanted} milestones, so no weight budget is \
             suggested: weigh the team's issues to get one."
        ))
    } else if days == 0 {
        Some("The team had no available working days in the last milestones.".to_owned())
    } else {
        None
    };
    Velocity {
        per_day: note.is_none().then(|| f64::from(weight) / f64::from(days)),
        periods,
        note,
    }
}

fn context(
    config: &Config,
    team: &Team,
    timeline: &Timeline,
    history: &History,
    absences: &Absences,
    work: &Work,
    today: NaiveDate,
) -> Value {
    let milestone = &timeline.next.milestone;
    let rows = capacity_table(config, team, milestone, absences);
    let velocity = velocity(config, team, &timeline.finished, history, absences);
    let total_working: u32 = rows.iter().map(|r| r.working_days).sum();
    let total_available: u32 = rows.iter().map(|r| r.available_days).sum();
    let ramp_up = team.planning.work.ramp_up_percent;
    let counted: Vec<u32> = rows.iter().map(|r| counted_days(r, ramp_up)).collect();
    let total_counted: u32 = counted.iter().sum();
    let dash = || "-".to_owned();
    let budget = |days: u32| velocity.budget(days).map_or_else(dash, |b| b.to_string());
    let capacity: Vec<Value> = rows
        .iter()
        .zip(&counted)
        .map(|(r, counted)| {
            let ramp = if r.first_milestone {
                format!(
                    " (first milestone: {ramp_up}% of {} days)",
                    r.available_days
                )
            } else {
                String::new()
            };
            json!({
                "username": r.username,
                "name": if r.new_hire { format!("{} (new hire)", r.name) } else { r.name.clone() },
                "role": r.role,
                "first_day": r.first_day.map(ymd).unwrap_or_else(dash),
                "last_day": r.last_day.map(ymd).unwrap_or_else(dash),
                "working_days": r.working_days,
                "time_off_days": r.time_off_days,
                "available_days": r.available_days,
                "counted_days": counted,
                "ramp_up": ramp.trim_start(),
                "weight_budget": format!("{}{ramp}", budget(*counted)),
                "carried_over": work::carried_weight(work, &r.username),
                "coverage": work
                    .coverage_of(&r.username, milestone.start(), milestone.end())
                    .map(|c| format!("{}#{}", c.issue.project, c.issue.iid))
                    .collect::<Vec<_>>()
                    .join(", "),
                "absences": if r.absences.is_empty() { dash() } else { r.absences.join("; ") },
            })
        })
        .collect();
    let checklists: Vec<Value> = team
        .planning
        .checklists
        .iter()
        .map(|list| {
            let people: Vec<&str> = team
                .members
                .iter()
                .filter(|m| list.roles.contains(&m.role))
                .map(|m| m.username.as_str())
                .collect();
            let due = |item: &ChecklistItem, owners: &[&str]| {
                item.due.map(|step| {
                    deadline(
                        owners_working_day(config, absences, owners, milestone.step(step)),
                        today,
                    )
                })
            };
            let lines: Vec<Value> = list
                .items
                .iter()
                .flat_map(|item| {
                    if people.is_empty() {
                        vec![json!({ "username": null, "text": item.text, "due": due(item, &[]) })]
                    } else {
                        people
                            .iter()
                            .map(|who| {
                                json!({ "username": who, "text": item.text, "due": due(item, &[*who]) })
                            })
                            .collect()
                    }
                })
                .collect();
            json!({ "title": list.title, "roles": list.roles, "lines": lines })
        })
        .collect();
    let two_places = |x: f64| format!("{x:.2}");
    let (gantt, gantt_note) = planning_chart(config, team, milestone, absences, &rows);
    json!({
        "team": team_json(team),
        "milestone": milestone_json(milestone),
        "previous_milestone": timeline.previous.as_ref().map(|p| milestone_json(&p.milestone)),
        "members": team.members.iter().map(person_json).collect::<Vec<_>>(),
        "capacity": capacity,
        "total": {
            "working_days": total_working,
            "time_off_days": total_working - total_available,
            "available_days": total_available,
            "counted_days": total_counted,
            "ramped": total_counted != total_available,
            "weight_budget": velocity.budget(total_counted),
            "computed_from": computed_from(&rows, &counted, ramp_up, &velocity),
        },
        "disciplines": disciplines_json(team, &rows, &counted, &velocity, work),
        "coverage_issues": rows
            .iter()
            .flat_map(|r| {
                work.coverage_of(&r.username, milestone.start(), milestone.end())
                    .map(|c| json!({
                        "name": r.name,
                        "from": ymd(c.first),
                        "until": ymd(c.last),
                        "title": c.issue.title,
                        "web_url": c.issue.web_url,
                    }))
            })
            .collect::<Vec<_>>(),
        "carry_over": work::carry_over_json(work, team),
        "slipped": work::slipped_json(work, team),
        "refinement": work::refinement_json(config, work, team, absences, milestone),
        "snapshot": work::snapshot_json(work),
        "gantt": gantt.as_ref().map(|g| serde_json::to_value(g).unwrap_or(Value::Null)),
        "gantt_note": gantt_note,
        "checklists": checklists,
        "tasks": general_tasks(config, absences, team, milestone)
            .into_iter()
            .map(|(step, day)| (step_name(step), deadline(day, today)))
            .collect::<serde_json::Map<String, Value>>(),
        "velocity": {
            "milestones": velocity.periods.iter().map(|p| json!({
                "title": p.title,
                "closed_issues": p.work.closed_issues,
                "weight": p.work.weight,
                "unweighted": p.work.unweighted,
                "available_days": p.available_days,
                "per_day": if p.available_days == 0 { dash() } else {
                    two_places(f64::from(p.work.weight) / f64::from(p.available_days))
                },
            })).collect::<Vec<_>>(),
            "counted": velocity.periods.len(),
            "per_day": velocity.per_day.map(two_places),
            "suggested": velocity.budget(total_counted),
            "note": velocity.note,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn milestone(title: &str, dates: Option<(&str, &str)>, active: bool) -> TrackedMilestone {
        TrackedMilestone {
            id: 1,
            title: title.to_owned(),
            start_date: dates.map(|(s, _)| d(s)),
            due_date: dates.map(|(_, e)| d(e)),
            active,
            web_url: Some(format!("https://gitlab.example/-/milestones/{title}")),
        }
    }

    fn titles(periods: &[Period]) -> Vec<&str> {
        periods.iter().map(|p| p.milestone.title()).collect()
    }

    #[test]
    fn the_next_gitlab_milestone_is_the_first_active_one_to_start_after_today() {
        let list = [
            milestone("Sprint 4", Some(("2026-12-14", "2026-12-25")), true),
            milestone("Sprint 1", Some(("2026-11-02", "2026-11-13")), false),
            milestone("Sprint 3", Some(("2026-11-30", "2026-12-11")), true),
            milestone("Cancelled", Some(("2026-12-01", "2026-12-05")), false),
            milestone("Sprint 2", Some(("2026-11-16", "2026-11-27")), false),
            milestone("Someday", None, true),
        ];
        let (timeline, warnings) =
            timeline_from_milestones(&list, d("2026-11-20"), 3).expect("a next milestone");
        assert_eq!(timeline.next.milestone.title(), "Sprint 3");
        assert_eq!(timeline.next.key, "Sprint 3");
        assert_eq!(timeline.next.gitlab_milestone.as_deref(), Some("Sprint 3"));
        assert_eq!(
            timeline.next.milestone.web_url(),
            Some("https://gitlab.example/-/milestones/Sprint 3")
        );
        assert_eq!(
            timeline.current.as_ref().map(|p| p.milestone.title()),
            Some("Sprint 2")
        );
        assert_eq!(
            timeline.previous.as_ref().map(|p| p.milestone.title()),
            Some("Sprint 2")
        );
        assert_eq!(titles(&timeline.finished), ["Sprint 1"]);
        assert_eq!(
            warnings,
            [
                "GitLab milestone Someday has no start date or due date (or a due date before the \
              start): set both in GitLab so that teamcadence can plan it"
            ]
        );
    }

    #[test]
    fn missing_or_undated_gitlab_milestones_are_reported_not_guessed() {
        assert_eq!(
            timeline_from_milestones(&[], d("2026-11-20"), 3).unwrap_err(),
            "there are no GitLab milestones: create the next milestone, with a start date and \
             a due date,"
        );
        let undated = [
            milestone("19.8", None, true),
            milestone("19.9", None, true),
            milestone("19.7", Some(("2026-11-14", "2026-12-11")), true),
        ];
        assert_eq!(
            timeline_from_milestones(&undated, d("2026-11-20"), 3).unwrap_err(),
            "no active GitLab milestone starts after 2026-11-20: create the next milestone, \
             with a start date and a due date (GitLab milestones 19.8, 19.9 have no start date \
             or due date (or a due date before the start): set both in GitLab so that \
             teamcadence can plan them),"
        );
    }

    #[test]
    fn the_next_iteration_is_keyed_by_its_start_date() {
        let iteration = |id, title: Option<&str>, start: &str, due: &str| TrackedIteration {
            id,
            title: title.map(str::to_owned),
            start_date: d(start),
            due_date: d(due),
            web_url: None,
        };
        let list = [
            iteration(13, None, "2026-11-30", "2026-12-13"),
            iteration(12, Some("Week 46-47"), "2026-11-16", "2026-11-29"),
            iteration(11, None, "2026-11-02", "2026-11-15"),
        ];
        let timeline = timeline_from_iterations(&list, d("2026-11-20"), 3).expect("next");
        assert_eq!(timeline.next.key, "iteration-2026-11-30");
        assert_eq!(
            timeline.next.milestone.title(),
            "Iteration 2026-11-30 to 2026-12-13"
        );
        assert_eq!(timeline.next.gitlab_milestone, None);
        assert_eq!(timeline.next.filter, PeriodFilter::Iteration(13));
        assert_eq!(
            timeline.previous.as_ref().map(|p| p.milestone.title()),
            Some("Week 46-47")
        );
        assert_eq!(
            titles(&timeline.finished),
            ["Iteration 2026-11-02 to 2026-11-15"]
        );
        assert_eq!(
            timeline_from_iterations(&list, d("2026-12-01"), 3).unwrap_err(),
            "no iteration starts after 2026-12-01: add upcoming iterations to the cadence (or \
             let it schedule them automatically)"
        );
    }

    #[test]
    fn the_release_calendar_gives_the_milestones_before_the_next() {
        let calendar = crate::milestone::ReleaseCalendar::default();
        let timeline = configured_timeline(&calendar, d("2026-12-01"), 3).expect("next");
        assert_eq!(timeline.next.milestone.title(), "19.8");
        assert_eq!(
            timeline.current.map(|p| p.milestone.title().to_owned()),
            Some("19.7".to_owned())
        );
        assert_eq!(
            timeline.previous.as_ref().map(|p| p.milestone.title()),
            Some("19.7")
        );
        assert_eq!(titles(&timeline.finished), ["19.6", "19.5", "19.4"]);
        assert_eq!(parent_group("gitlab-org/create/stage"), "gitlab-org/create");
    }

    struct NoFiles;

    impl crate::config::SourceFiles for NoFiles {
        fn read_to_string(&self, path: &str) -> std::io::Result<String> {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, path))
        }
    }

    /// mia (EM) is off Mon 2026-11-23; the team has a public holiday-free default calendar.
    fn team_config() -> Config {
        let text = "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: g/web
    members:
      - { username: mia, name: M, role: engineering-manager }
      - { username: pat, name: P, role: product-manager }
      - { username: bob, name: B, role: backend-engineer }
time_off:
  - { person: mia, from: 2026-11-23, until: 2026-11-23 }
  - { person: bob, from: 2026-12-14, until: 2026-12-25 }
";
        Config::parse("team.yml", text, &NoFiles).expect("valid config")
    }

    #[test]
    fn a_task_moves_back_to_a_day_every_owner_works() {
        let config = team_config();
        let (absences, _) = absence::of_config(&config, &[], None, &[], |_| false);
        // Mon 2026-11-23: mia is off, so Friday 2026-11-20; pat works that Monday.
        assert_eq!(
            owners_working_day(&config, &absences, &["mia"], d("2026-11-23")),
            d("2026-11-20")
        );
        assert_eq!(
            owners_working_day(&config, &absences, &["pat"], d("2026-11-23")),
            d("2026-11-23")
        );
        assert_eq!(
            owners_working_day(&config, &absences, &["mia", "pat"], d("2026-11-23")),
            d("2026-11-20")
        );
        // A Sunday, for nobody in particular: the Friday before.
        assert_eq!(
            owners_working_day(&config, &absences, &[], d("2026-11-22")),
            d("2026-11-20")
        );
    }

    #[test]
    fn the_issue_is_due_before_its_first_task_and_a_passed_date_says_so() {
        let config = team_config();
        let team = &config.teams[0];
        // 19.8 starts Sat 2026-12-12: draft Mon 2026-11-23, mia's tasks on Fri 2026-11-20.
        let milestone = crate::milestone::ReleaseCalendar::default()
            .milestone_released_in(2027, 1)
            .expect("19.8");
        let (absences, _) = absence::of_config(&config, &[], None, &[], |_| false);
        assert_eq!(
            first_task_day(&config, &absences, team, &milestone),
            d("2026-11-20")
        );
        assert_eq!(
            deadline(d("2026-11-20"), d("2026-11-20"))["text"],
            "2026-11-20"
        );
        assert_eq!(
            deadline(d("2026-11-20"), d("2026-12-01"))["text"],
            "2026-11-20 (passed when this issue was created on 2026-12-01)"
        );
    }

    #[test]
    fn the_capacity_record_reads_back_what_the_table_counted() {
        let config = team_config();
        let team = &config.teams[0];
        let milestone = crate::milestone::ReleaseCalendar::default()
            .milestone_released_in(2027, 1)
            .expect("19.8");
        let (absences, _) = absence::of_config(&config, &[], None, &[], |_| false);
        let record = capacity_record(&capacity_table(&config, team, &milestone, &absences));
        let description = format!(
            "text\n\n{record}\n{}",
            crate::apply::marker("planning/web/19.8")
        );
        assert_eq!(
            planned_absences(&description),
            Some(vec![("bob".to_owned(), d("2026-12-14"), d("2026-12-25"))])
        );
        // Without the record (an issue made before it), or with one that does not read,
        // nothing is known.
        let bare = format!("text\n{}", crate::apply::marker("planning/web/19.8"));
        assert_eq!(planned_absences(&bare), None);
        let forged = format!(
            "<!-- teamcadence:capacity absences=bob/2026-12-14/someday -->\n{}",
            crate::apply::marker("planning/web/19.8")
        );
        assert_eq!(planned_absences(&forged), None);
    }

    #[test]
    fn a_deliverable_with_a_merge_request_is_not_at_risk_and_an_unknown_count_says_so() {
        let config = team_config();
        let team = &config.teams[0];
        // 19.8's check-in on Mon 2026-12-14, the day bob's time off starts.
        let today = d("2026-12-14");
        let timeline = configured_timeline(&crate::milestone::ReleaseCalendar::default(), today, 3)
            .expect("a timeline");
        let milestone = timeline
            .current
            .clone()
            .expect("19.8 is under way")
            .milestone;
        let (absences, _) = absence::of_config(&config, &[], None, &[], |_| false);
        let deliverable =
            |iid: u64, assignee: Option<&str>, merge_requests| crate::tracker::TrackedIssue {
                project: "g/web".to_owned(),
                iid,
                title: format!("Deliverable {iid}"),
                description: String::new(),
                state: IssueState::Opened,
                labels: vec!["Deliverable".to_owned()],
                assignees: assignee.map(str::to_owned).into_iter().collect(),
                milestone: Some("19.8".to_owned()),
                due_date: None,
                confidential: false,
                web_url: format!("https://g/{iid}"),
                created_at: "2026-12-12T08:00:00Z".parse().expect("instant"),
                closed_at: None,
                weight: None,
                user_notes_count: None,
                merge_requests_count: merge_requests,
            };
        let check_in = CheckIn {
            planning_issue_open: true,
            issues: vec![
                deliverable(1, Some("bob"), None),
                deliverable(2, Some("bob"), Some(1)),
                deliverable(3, None, Some(0)),
                deliverable(4, None, Some(2)),
                deliverable(5, Some("pat"), Some(0)),
            ],
            read_at: "2026-12-14T06:00:00Z".parse().expect("instant"),
        };
        let facts = Facts {
            timeline,
            history: History::NotRead("not read in this test".to_owned()),
            warnings: Vec::new(),
            absences: Arc::new(absences),
            work: Work::not_read(team, "not read in this test"),
            check_in: Some(check_in.clone()),
        };
        let note = check_in_note(&config, team, &milestone, &facts, &check_in, today);
        let at_risk: Vec<&str> = note.lines().filter(|l| l.starts_with("- [")).collect();
        // Bob is away Mon 12-14 to Fri 12-25: 10 working days of the rest of 19.8 (no
        // holidays in the default calendar). #2 and #4 have a merge request that closes them;
        // #5's assignee, pat, is not away. #1's count is unknown: still at risk, without
        // claiming it has no merge request.
        assert_eq!(
            at_risk,
            [
                "- [Deliverable 1](https://g/1): B away 10 working days from 2026-12-14; merge \
                 requests unknown",
                "- [Deliverable 3](https://g/3): unassigned; no merge request",
            ],
            "{note}"
        );
    }
}
