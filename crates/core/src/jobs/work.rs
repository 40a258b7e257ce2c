//! The team's real work as the planning issue shows it: the open issues of the milestone that
//! is ending (carry-over), the deliverables of the last finished milestone that were not
//! closed within it (slipped), the next milestone's unweighted issues with suggested refiners,
//! and the Mermaid chart of who is away around a milestone or a time off.
//!
//! [`gather`] reads the lists once, at the time it records; everything else is pure.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::future::join_all;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::planning::{Period, PeriodFilter, Timeline};
use super::ymd;
use crate::absence::Absences;
use crate::config::Config;
use crate::mermaid::{Bar, BarKind, Gantt, Section};
use crate::milestone::Milestone;
use crate::team::{IssueScope, Team};
use crate::tracker::{IssueQuery, IssueState, IssueTracker, TrackedIssue};

/// What a query value of a live list's address encodes: all but RFC 3986's unreserved
/// characters, so that `19.8` stays readable and `::`, `&`, `#` cannot end the value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The label scope GitLab's workflow labels share.
const WORKFLOW_PREFIX: &str = "workflow::";

/// One list of issues read for the planning issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Read from GitLab.
    Read {
        /// The period whose issues were listed.
        period: Period,
        /// The issues, in the order GitLab gave them.
        issues: Vec<TrackedIssue>,
    },
    /// Not read, for this reason (a dry run, no such milestone).
    NotRead(String),
    /// Turned off in the team's config.
    Off,
}

/// The lists of the team's work, read at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// When they were read, by the tracker's clock (`None`: not read).
    pub read_at: Option<DateTime<Utc>>,
    /// Where the live lists are, the instance's web address (`None`: unknown).
    pub web_root: Option<String>,
    /// The open issues of the milestone that is ending.
    pub carry_over: Listing,
    /// The deliverables of the last finished milestone, open or closed after it ended.
    pub slipped: Listing,
    /// The next milestone's open issues without a weight.
    pub unrefined: Listing,
    /// The open coverage issues of the team's members: whose, which days, which issue.
    pub coverage: Vec<Coverage>,
}

/// An open coverage issue, as the planning issue names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Who is away.
    pub person: String,
    /// First day off.
    pub first: NaiveDate,
    /// Last day off.
    pub last: NaiveDate,
    /// The coverage issue.
    pub issue: TrackedIssue,
}

impl Work {
    /// The coverage issues of `username` whose time off overlaps `from..=until`.
    pub fn coverage_of<'a>(
        &'a self,
        username: &'a str,
        from: NaiveDate,
        until: NaiveDate,
    ) -> impl Iterator<Item = &'a Coverage> + 'a {
        self.coverage
            .iter()
            .filter(move |c| c.person == username && c.first <= until && from <= c.last)
    }
}

impl Work {
    /// No list read, each for `reason`.
    pub fn not_read(team: &Team, reason: &str) -> Work {
        let settings = &team.planning.work;
        let list = |on: bool| {
            if on {
                Listing::NotRead(reason.to_owned())
            } else {
                Listing::Off
            }
        };
        Work {
            read_at: None,
            web_root: None,
            carry_over: list(settings.carry_over),
            slipped: list(settings.slipped),
            unrefined: list(settings.refinement),
            coverage: Vec::new(),
        }
    }
}

/// The issues of `team`'s scope in `period` matching `labels` and `state`.
async fn list<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    period: &Period,
    labels: Vec<String>,
    state: Option<IssueState>,
) -> Result<Vec<TrackedIssue>, String> {
    let mut query = IssueQuery {
        labels,
        state,
        ..IssueQuery::default()
    };
    match &period.filter {
        PeriodFilter::Milestone(title) => query.milestone = Some(title.clone()),
        PeriodFilter::Iteration(id) => query.iteration_id = Some(*id),
    }
    match &team.planning.velocity.scope {
        IssueScope::Project(path) => tracker.list_issues(path, &query).await,
        IssueScope::Group(path) => tracker.list_group_issues(path, &query).await,
    }
    .map_err(|e| {
        format!(
            "{}: could not read the issues of {}: {e}",
            team.id,
            period.milestone.title()
        )
    })
}

/// Reads the team's lists: carry-over from the period before the next one, slipped
/// deliverables from the last finished one, refinement from the next one.
pub async fn gather<T: IssueTracker>(
    tracker: &T,
    team: &Team,
    timeline: &Timeline,
    coverage: &Result<Option<&CoverageListing>, String>,
) -> Result<Work, String> {
    let settings = &team.planning.work;
    let labels = &team.planning.velocity.labels;
    let mut deliverables = labels.clone();
    crate::plan::push_unique(&mut deliverables, &settings.deliverable_label);
    let wanted = [
        (
            settings.carry_over,
            timeline.previous.as_ref(),
            labels.clone(),
            Some(IssueState::Opened),
        ),
        (
            settings.slipped,
            timeline.finished.first(),
            deliverables,
            None,
        ),
        (
            settings.refinement,
            Some(&timeline.next),
            labels.clone(),
            Some(IssueState::Opened),
        ),
    ];
    let reads = wanted
        .into_iter()
        .map(|(on, period, labels, state)| async move {
            match (on, period) {
                (false, _) => Ok::<Listing, String>(Listing::Off),
                (true, None) => Ok(Listing::NotRead(
                    "there is no such milestone before the one planned".to_owned(),
                )),
                (true, Some(period)) => {
                    // Oldest first, whatever order GitLab lists in: suggestions stay stable.
                    let mut issues = list(tracker, team, period, labels, state).await?;
                    issues.sort_by(|a, b| (&a.project, a.iid).cmp(&(&b.project, b.iid)));
                    Ok(Listing::Read {
                        period: period.clone(),
                        issues,
                    })
                }
            }
        });
    let lists = join_all(reads).await;
    // Only the team's members' coverage issues: those of other teams (in a shared project)
    // are not this team's, and keeping them would grow with teams x people.
    let coverage = coverage
        .as_ref()
        .map_err(|e| format!("{}: {e}", team.id))?
        .map(|listing| listing.of_team(team))
        .unwrap_or_default();
    let mut lists = lists.into_iter();
    let mut next = || lists.next().unwrap_or(Ok(Listing::Off));
    let (carry_over, slipped, unrefined) = (next()?, next()?, next()?);
    Ok(Work {
        read_at: Some(tracker.current_time()),
        web_root: tracker.web_root(),
        carry_over,
        coverage,
        slipped: match slipped {
            Listing::Read { period, issues } => {
                let end = period.milestone.end();
                let issues = issues
                    .into_iter()
                    .filter(|i| slipped_past(i, end))
                    .collect();
                Listing::Read { period, issues }
            }
            other => other,
        },
        unrefined: match unrefined {
            Listing::Read { period, issues } => Listing::Read {
                period,
                issues: issues.into_iter().filter(|i| i.weight.is_none()).collect(),
            },
            other => other,
        },
    })
}

/// The open coverage issues of `project`, as [`gather`] takes them: listed once per project
/// however many teams share it.
pub async fn coverage_issues<T: IssueTracker>(
    tracker: &T,
    project: &str,
) -> Result<CoverageListing, String> {
    let query = IssueQuery {
        labels: vec![super::pto::KIND_LABEL.to_owned()],
        state: Some(IssueState::Opened),
        ..IssueQuery::default()
    };
    tracker
        .list_issues(project, &query)
        .await
        .map(CoverageListing::new)
        .map_err(|e| format!("could not read the coverage issues of {project}: {e}"))
}

/// A project's open coverage issues, each one's record read once, with where each person's
/// are: every team sharing the project takes its members' without reading all again.
#[derive(Debug, Default)]
pub struct CoverageListing {
    /// The issues with a readable record, in listing order.
    issues: Vec<Coverage>,
    /// Positions in `issues` of each person's.
    by_person: HashMap<String, Vec<usize>>,
}

impl CoverageListing {
    /// Reads the record of each of `issues`; one without a readable record is left out.
    /// A planning issue names a coverage issue by its place, title and address: the
    /// description, read for its record, is not kept (thousands of them at once, otherwise).
    pub fn new(issues: Vec<TrackedIssue>) -> Self {
        let mut listing = CoverageListing::default();
        for mut issue in issues {
            let Some((person, first, last)) = super::pto::coverage_of(&issue.description) else {
                continue;
            };
            issue.description = String::new();
            listing
                .by_person
                .entry(person.clone())
                .or_default()
                .push(listing.issues.len());
            listing.issues.push(Coverage {
                person,
                first,
                last,
                issue,
            });
        }
        listing
    }

    /// The coverage issues of `team`'s members, in listing order.
    pub fn of_team(&self, team: &Team) -> Vec<Coverage> {
        let mut at: Vec<usize> = team
            .members
            .iter()
            .filter_map(|member| self.by_person.get(&member.username))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|n| self.issues[n].clone()).collect()
    }
}

/// Whether an issue was not closed by the end of the milestone that ended on `end`: open, or
/// closed on a later day (by UTC; a close late on the last day still counts as in time).
fn slipped_past(issue: &TrackedIssue, end: NaiveDate) -> bool {
    match issue.state {
        IssueState::Opened => true,
        IssueState::Closed => issue
            .closed_at
            .is_none_or(|closed| closed.date_naive() > end),
    }
}

/// The address of GitLab's live issue list of the team's scope in `period`.
fn search_url(root: &str, team: &Team, period: &Period, labels: &[String], state: &str) -> String {
    let encode = |text: &str| utf8_percent_encode(text, QUERY_VALUE).to_string();
    let place = match &team.planning.velocity.scope {
        IssueScope::Project(path) => path.clone(),
        IssueScope::Group(path) => format!("groups/{path}"),
    };
    let mut url = format!(
        "{}/{place}/-/issues?state={state}",
        root.trim_end_matches('/')
    );
    match &period.filter {
        PeriodFilter::Milestone(title) => {
            url.push_str(&format!("&milestone_title={}", encode(title)));
        }
        PeriodFilter::Iteration(id) => url.push_str(&format!("&iteration_id={id}")),
    }
    for label in labels {
        url.push_str(&format!("&label_name%5B%5D={}", encode(label)));
    }
    url
}

/// The label of `issue` in GitLab's `workflow::` scope, without the scope, if any.
fn workflow(issue: &TrackedIssue) -> Option<String> {
    issue
        .labels
        .iter()
        .find_map(|l| l.strip_prefix(WORKFLOW_PREFIX))
        .map(str::to_owned)
}

/// An issue as the planning issue's lists show it.
fn issue_json(issue: &TrackedIssue, team: &Team) -> Value {
    let name = |username: &String| {
        team.member(username)
            .map_or_else(|| username.clone(), |m| m.name.clone())
    };
    json!({
        "title": issue.title,
        "web_url": issue.web_url,
        "weight": issue.weight.map_or_else(|| "-".to_owned(), |w| w.to_string()),
        "workflow": workflow(issue).unwrap_or_else(|| "-".to_owned()),
        "assignees": issue.assignees.iter().map(name).collect::<Vec<_>>().join(", "),
        "state": match (issue.state, issue.closed_at) {
            (IssueState::Opened, _) => "open".to_owned(),
            (IssueState::Closed, Some(at)) => format!("closed {}", ymd(at.date_naive())),
            (IssueState::Closed, None) => "closed".to_owned(),
        },
    })
}

/// The sum of the issues' weights.
fn weight_of<'a>(issues: impl IntoIterator<Item = &'a TrackedIssue>) -> u32 {
    issues.into_iter().filter_map(|i| i.weight).sum()
}

/// The weight of `work`'s carry-over assigned to `username` (each issue counted once per
/// person): what the next milestone's budget loses to it.
pub fn carried_weight(work: &Work, username: &str) -> u32 {
    carried_where(work, |i| i.assignees.iter().any(|a| a == username))
}

/// The weight of `work`'s carry-over carrying `label`.
pub fn carried_weight_labelled(work: &Work, label: &str) -> u32 {
    carried_where(work, |i| i.labels.iter().any(|l| l == label))
}

/// The weight of the carry-over issues that `pick` keeps (none when it was not read).
fn carried_where(work: &Work, pick: impl Fn(&&TrackedIssue) -> bool) -> u32 {
    match &work.carry_over {
        Listing::Read { issues, .. } => weight_of(issues.iter().filter(pick)),
        _ => 0,
    }
}

/// What the templates see of a list that was not read, or was turned off.
fn unread(listing: &Listing) -> Option<Value> {
    match listing {
        Listing::Off => Some(Value::Null),
        Listing::NotRead(reason) => Some(json!({
            "read": false,
            "note": format!("Not listed: {reason}."),
            "milestone": Value::Null,
            "issues": [],
            "people": [],
            "count": 0,
            "weight": 0,
            "search_url": Value::Null,
        })),
        Listing::Read { .. } => None,
    }
}

/// The carry-over as templates see it: per assignee (team order, then others, then
/// unassigned), each issue with weight and workflow label, and the totals.
pub fn carry_over_json(work: &Work, team: &Team) -> Value {
    if let Some(value) = unread(&work.carry_over) {
        return value;
    }
    let Listing::Read { period, issues } = &work.carry_over else {
        return Value::Null;
    };
    let mut owners: Vec<String> = team.members.iter().map(|m| m.username.clone()).collect();
    for issue in issues {
        for who in &issue.assignees {
            crate::plan::push_unique(&mut owners, who);
        }
    }
    let mut people: Vec<Value> = owners
        .iter()
        .filter_map(|who| {
            let theirs: Vec<&TrackedIssue> = issues
                .iter()
                .filter(|i| i.assignees.iter().any(|a| a == who))
                .collect();
            (!theirs.is_empty()).then(|| {
                json!({
                    "username": who,
                    "name": team.member(who).map_or(who.as_str(), |m| m.name.as_str()),
                    "count": theirs.len(),
                    "weight": weight_of(theirs.iter().copied()),
                    "issues": theirs.iter().map(|i| issue_json(i, team)).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    let unassigned: Vec<&TrackedIssue> = issues.iter().filter(|i| i.assignees.is_empty()).collect();
    if !unassigned.is_empty() {
        people.push(json!({
            "username": Value::Null,
            "name": "Unassigned",
            "count": unassigned.len(),
            "weight": weight_of(unassigned.iter().copied()),
            "issues": unassigned.iter().map(|i| issue_json(i, team)).collect::<Vec<_>>(),
        }));
    }
    json!({
        "read": true,
        "note": Value::Null,
        "milestone": period.milestone.title(),
        "people": people,
        "count": issues.len(),
        "weight": weight_of(issues),
        "unweighted": issues.iter().filter(|i| i.weight.is_none()).count(),
        "search_url": work.web_root.as_deref().map(|root| {
            search_url(root, team, period, &team.planning.velocity.labels, "opened")
        }),
    })
}

/// The slipped deliverables as templates see them.
pub fn slipped_json(work: &Work, team: &Team) -> Value {
    if let Some(value) = unread(&work.slipped) {
        return value;
    }
    let Listing::Read { period, issues } = &work.slipped else {
        return Value::Null;
    };
    let mut labels = team.planning.velocity.labels.clone();
    crate::plan::push_unique(&mut labels, &team.planning.work.deliverable_label);
    json!({
        "read": true,
        "note": Value::Null,
        "milestone": period.milestone.title(),
        "milestone_end": ymd(period.milestone.end()),
        "label": team.planning.work.deliverable_label,
        "issues": issues.iter().map(|i| issue_json(i, team)).collect::<Vec<_>>(),
        "count": issues.len(),
        "open": issues.iter().filter(|i| i.state == IssueState::Opened).count(),
        "weight": weight_of(issues),
        "search_url": work.web_root.as_deref().map(|root| search_url(root, team, period, &labels, "all")),
    })
}

/// The days refinement happens in before `milestone`: from the draft (capacity talks) to a
/// week before the milestone that is ending ends, when the reference has it done.
pub fn refinement_window(milestone: &Milestone) -> (NaiveDate, NaiveDate) {
    let until = milestone.start() - Duration::days(8);
    let from = milestone.draft_date().min(until);
    (from, until)
}

/// The people who refine: members in the refinement roles (by default everyone the
/// planning issue is not assigned to), with whether each is away for most of the window.
fn refiners<'a>(
    config: &Config,
    team: &'a Team,
    absences: &Absences,
    window: (NaiveDate, NaiveDate),
) -> Vec<(&'a crate::team::Member, bool)> {
    let roles = &team.planning.work.refinement_roles;
    team.members
        .iter()
        .filter(|m| {
            if roles.is_empty() {
                !team.planning.assign_roles.contains(&m.role)
            } else {
                roles.contains(&m.role)
            }
        })
        .map(|m| {
            let calendar = config.calendars.for_person(&m.username);
            let days = calendar.working_days(window.0, window.1);
            let off = absences.working_days_off(calendar, &m.username, window.0, window.1);
            (m, off * 2 > days)
        })
        .collect()
}

/// Suggests who refines which unweighted issue: at most `refinement_per_person` each, never
/// someone away for most of the refinement window; an issue's own assignee first when they
/// may take it, else whoever has the fewest so far (team order breaks ties). Returns the
/// username suggested for each issue, `None` when everyone is full.
pub fn suggest_refiners(
    config: &Config,
    team: &Team,
    absences: &Absences,
    milestone: &Milestone,
    issues: &[TrackedIssue],
) -> Vec<Option<String>> {
    let window = refinement_window(milestone);
    let people: Vec<&str> = refiners(config, team, absences, window)
        .into_iter()
        .filter(|(_, away)| !away)
        .map(|(m, _)| m.username.as_str())
        .collect();
    let most = team.planning.work.refinement_per_person as usize;
    let mut load = vec![0usize; people.len()];
    issues
        .iter()
        .map(|issue| {
            let own = people
                .iter()
                .position(|p| issue.assignees.iter().any(|a| a == p))
                .filter(|i| load[*i] < most);
            let pick = own.or_else(|| {
                (0..people.len())
                    .filter(|i| load[*i] < most)
                    .min_by_key(|i| (load[*i], *i))
            })?;
            load[pick] += 1;
            Some(people[pick].to_owned())
        })
        .collect()
}

/// The refinement list as templates see it.
pub fn refinement_json(
    config: &Config,
    work: &Work,
    team: &Team,
    absences: &Absences,
    milestone: &Milestone,
) -> Value {
    if let Some(value) = unread(&work.unrefined) {
        return value;
    }
    let Listing::Read { period, issues } = &work.unrefined else {
        return Value::Null;
    };
    let window = refinement_window(milestone);
    let suggested = suggest_refiners(config, team, absences, milestone, issues);
    let name = |who: &str| team.member(who).map_or(who, |m| m.name.as_str()).to_owned();
    let away: Vec<String> = refiners(config, team, absences, window)
        .into_iter()
        .filter(|(_, away)| *away)
        .map(|(m, _)| m.name.clone())
        .collect();
    let rows: Vec<Value> = issues
        .iter()
        .zip(&suggested)
        .map(|(issue, who)| {
            let mut row = issue_json(issue, team);
            row["refiner"] = json!(who.as_deref().map_or_else(|| "-".to_owned(), name));
            row["refiner_username"] = json!(who);
            row
        })
        .collect();
    json!({
        "read": true,
        "note": Value::Null,
        "milestone": period.milestone.title(),
        "from": ymd(window.0),
        "until": ymd(window.1),
        "issues": rows,
        "count": issues.len(),
        "away": away.join(", "),
        "search_url": work.web_root.as_deref().map(|root| {
            search_url(root, team, period, &team.planning.velocity.labels, "opened")
                + "&weight=None"
        }),
    })
}

/// When the lists were read, as the snapshot notice says it.
/// `null` when no list was read (all turned off, or not read).
pub fn snapshot_json(work: &Work) -> Value {
    let read = |l: &Listing| matches!(l, Listing::Read { .. });
    let any = read(&work.carry_over) || read(&work.slipped) || read(&work.unrefined);
    match work.read_at {
        Some(at) if any => json!({ "read_at": at.format("%Y-%m-%d %H:%M UTC").to_string() }),
        _ => Value::Null,
    }
}

/// A person a chart has a row for.
pub struct ChartPerson<'a> {
    /// Username, for their calendar and absences.
    pub username: &'a str,
    /// What the row is called.
    pub name: String,
}

/// The chart of `milestone`'s timeline (when given) and each person's time off, holidays
/// and GitLab-status absences within `from..=until`. `None` when there are more people than
/// `max` rows stay readable for.
pub fn chart(
    config: &Config,
    absences: &Absences,
    title: &str,
    milestone: Option<&Milestone>,
    people: &[ChartPerson<'_>],
    (from, until): (NaiveDate, NaiveDate),
    max: u32,
) -> Option<Gantt> {
    if people.len() > max as usize {
        return None;
    }
    let days = |a: NaiveDate, b: NaiveDate| u32::try_from((b - a).num_days() + 1).unwrap_or(0);
    let mut sections = Vec::new();
    if let Some(m) = milestone {
        let mut bars = vec![
            Bar {
                kind: BarKind::PlanningLock,
                start: m.planning_lock(),
                days: 0,
            },
            Bar {
                kind: BarKind::Milestone,
                start: m.start(),
                days: days(m.start(), m.end()),
            },
            Bar {
                kind: BarKind::Kickoff,
                start: m.kickoff(),
                days: 0,
            },
            Bar {
                kind: BarKind::CutOff,
                start: m.end(),
                days: 0,
            },
        ];
        if let Some(release) = m.release() {
            bars.push(Bar {
                kind: BarKind::Release,
                start: release,
                days: 0,
            });
        }
        sections.push(Section {
            name: format!("Milestone {}", m.title()),
            bars,
        });
    }
    for person in people {
        let calendar = config.calendars.for_person(person.username);
        let mut bars: Vec<Bar> = absences
            .of(person.username)
            .iter()
            .filter(|a| a.overlaps(from, until))
            .map(|a| {
                let start = a.first().max(from);
                Bar {
                    kind: if a.is_recorded() {
                        BarKind::TimeOff
                    } else {
                        BarKind::Away
                    },
                    start,
                    days: days(start, a.last().min(until)),
                }
            })
            .collect();
        // A holiday inside someone's time off adds nothing to the picture.
        bars.extend(
            from.iter_days()
                .take_while(|d| *d <= until)
                .filter(|d| !calendar.is_weekend(*d) && calendar.holiday(*d).is_some())
                .filter(|d| absences.on(person.username, *d).is_none())
                .map(|d| Bar {
                    kind: BarKind::Holiday,
                    start: d,
                    days: 1,
                }),
        );
        bars.sort_by_key(|b| b.start);
        sections.push(Section {
            name: person.name.clone(),
            bars,
        });
    }
    Some(Gantt {
        title: title.to_owned(),
        sections,
    })
}
