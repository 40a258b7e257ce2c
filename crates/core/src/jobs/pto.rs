//! The PTO coverage issue: who covers which responsibility while someone is away.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use futures_util::future::join_all;

use super::{
    Draft, JobError, Plans, Scope, days_before, due_from, person_by_username, person_json,
    team_json, ymd,
};
use crate::absence::{self, Absence, Absences, Source};
use crate::apply::{self, key_in};
use crate::config::Config;
use crate::ics::FeedTimeOff;
use crate::jobs::planning::milestone_json;
use crate::milestone::Milestone;
use crate::neutralise::{self, mentions};
use crate::plan::{Action, FollowUp, IssuePlan, JobReport, push_unique};
use crate::record;
use crate::team::IssueScope;
use crate::team::{Member, Team};
use crate::template::Template;
use crate::time_off::TimeOff;
use crate::tracker::{
    IssuePlace, IssueQuery, IssueState, IssueTracker, ReviewRequest, TrackedIssue,
};

/// The label that marks this job's issues, so that later runs find them again.
pub const KIND_LABEL: &str = "teamcadence::pto";
/// The comment that opens the retrospective thread of a coverage issue.
const RETROSPECTIVE: &str = "**Retrospective.** Reply to this thread with what went well and \
what did not while {{person.name}} was away, so that the next coverage goes better.";

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

/// What the job reads before it plans: the feeds' time off, the coverage issues already
/// open, and who GitLab says is away now. [`gather`] fills it in; without GitLab (a dry run
/// without a token, `teamcadence check`) only the feeds are known.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Each configured feed by name, in config order: its time off, or why it could not be
    /// read (a warning; nothing is created or closed from that feed).
    pub feeds: Vec<(String, Result<FeedTimeOff, String>)>,
    /// The open coverage issues of each coverage project, or why they could not be listed.
    pub open: Vec<(String, Result<Vec<TrackedIssue>, String>)>,
    /// The planning issues of each team project (their capacity records say which time off
    /// was known when a milestone was planned), or why they could not be listed.
    pub planning: Vec<(String, Result<Vec<TrackedIssue>, String>)>,
    /// People whose GitLab status says they are away (busy, or "OOO"), from today until the
    /// status clears, or today only when it has no clear date.
    pub away_by_status: Vec<TimeOff>,
    /// What could not be read, one sentence each.
    pub warnings: Vec<String>,
    /// The open issues and review requests of each person whose coverage issue is due, by
    /// username, or why they could not be read.
    pub impact: Vec<(String, Result<Impact, String>)>,
    /// When the impact was read, by the tracker's clock.
    pub read_at: Option<DateTime<Utc>>,
}

/// What a person leaves behind while away: their open issues and the merge requests that
/// wait for their review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Their open issues in the team's projects.
    pub issues: Vec<TrackedIssue>,
    /// Open merge requests asking them for a review.
    pub reviews: Vec<ReviewRequest>,
}

/// Reads the impact of each of `impacted` in bulk: one read of the open issues assigned to
/// them, place by place, and one of the merge requests awaiting their reviews, so that the
/// requests grow with the tracker's batches, not with the people. A failed read of a
/// place's issues marks each of its people with the error, as does a failed read of
/// someone's reviews for them alone.
async fn read_impacts<T: IssueTracker>(
    tracker: &T,
    impacted: &[(&str, IssuePlace)],
) -> Vec<(String, Result<Impact, String>)> {
    // Each place once, with its people; `at[n]` is the place of `impacted[n]`.
    let mut places: Vec<(IssuePlace, Vec<String>)> = Vec::new();
    let mut at = Vec::with_capacity(impacted.len());
    for (who, place) in impacted {
        let index = match places.iter().position(|(known, _)| known == place) {
            Some(index) => index,
            None => {
                places.push((place.clone(), Vec::new()));
                places.len() - 1
            }
        };
        places[index].1.push((*who).to_owned());
        at.push(index);
    }
    let everyone: Vec<String> = impacted.iter().map(|(who, _)| (*who).to_owned()).collect();
    let (issues, reviews) = futures_util::future::join(
        tracker.list_assigned_issues_in(&places),
        tracker.list_review_requests_of(&everyone),
    )
    .await;
    let issues: Vec<Result<Vec<TrackedIssue>, String>> = issues
        .into_iter()
        .map(|listed| listed.map_err(|e| e.to_string()))
        .collect();
    impacted
        .iter()
        .zip(at)
        .zip(reviews)
        .map(|(((who, _), place), reviews)| {
            let impact = issues[place]
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|listed| {
                    let mut issues: Vec<TrackedIssue> = listed
                        .iter()
                        .filter(|issue| issue.assignees.iter().any(|a| a.eq_ignore_ascii_case(who)))
                        .cloned()
                        .collect();
                    issues.sort_by(|a, b| (&a.project, a.iid).cmp(&(&b.project, b.iid)));
                    let mut reviews = reviews.map_err(|e| e.to_string())?;
                    reviews.sort_by(|a, b| (&a.project, a.iid).cmp(&(&b.project, b.iid)));
                    Ok(Impact { issues, reviews })
                });
            ((*who).to_owned(), impact)
        })
        .collect()
}

/// Reads what [`plan`] needs beyond the config. `feed_texts` are the texts of the config's
/// `time_off_feeds`, in order, or why each could not be loaded (the caller fetches them:
/// files and https are the command line's business). With a `tracker`, lists the open
/// coverage issues and reads the GitLab status of everyone who might be chosen as a backup
/// for time off that is due.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
    manual: Option<&TimeOff>,
    feed_texts: Vec<Result<String, String>>,
) -> Facts {
    let feeds = absence::read_feeds(config, feed_texts, today);
    let mut facts = Facts {
        feeds,
        ..Facts::default()
    };
    let Some(tracker) = tracker else {
        return facts;
    };

    let mut projects: Vec<&str> = Vec::new();
    for team in &config.teams {
        if !projects.contains(&team.pto.project.as_str()) {
            projects.push(&team.pto.project);
        }
    }
    facts.open = join_all(projects.iter().map(|project| async move {
        let query = IssueQuery {
            labels: vec![KIND_LABEL.to_owned()],
            state: Some(IssueState::Opened),
            ..IssueQuery::default()
        };
        let listed = tracker.list_issues(project, &query).await;
        ((*project).to_owned(), listed.map_err(|e| e.to_string()))
    }))
    .await;

    // Only time off whose issue is to be written (due and not there yet, or moved) needs
    // more: the GitLab status of its possible backups, and the planning issues of its team
    // (whose capacity record says whether the milestone was planned with it). A run that
    // finds every issue in place reads nothing more.
    let ToBeWritten {
        candidates,
        team_projects,
        impacted,
    } = to_be_written(config, &facts, manual, today);
    facts.planning = join_all(team_projects.iter().map(|project| async move {
        let query = IssueQuery {
            labels: vec![crate::jobs::planning::KIND_LABEL.to_owned()],
            state: None,
            ..IssueQuery::default()
        };
        let listed = tracker.list_issues(project, &query).await;
        ((*project).to_owned(), listed.map_err(|e| e.to_string()))
    }))
    .await;
    let (away, warnings) = absence::read_statuses(tracker, config, &candidates, today).await;
    facts.away_by_status = away;
    facts.warnings.extend(warnings);
    facts.read_at = Some(tracker.current_time());
    facts.impact = read_impacts(tracker, &impacted).await;
    facts
}

/// What [`gather`] reads more for the time off whose coverage issue is written this run.
struct ToBeWritten<'a> {
    /// Who might be chosen as a backup.
    candidates: Vec<&'a str>,
    /// The projects of the teams whose planning issues may say whether it was planned for.
    team_projects: Vec<&'a str>,
    /// Whose work the issue lists, and where it is.
    impacted: Vec<(&'a str, IssuePlace)>,
}

/// For the time off whose coverage issue is to be written this run (due and not open yet,
/// or moved since it was written), what [`gather`] reads more: a run that finds every issue
/// in place reads nothing more.
fn to_be_written<'a>(
    config: &'a Config,
    facts: &Facts,
    manual: Option<&TimeOff>,
    today: NaiveDate,
) -> ToBeWritten<'a> {
    let (absences, _) = absences(config, facts, manual);
    let open = OpenIssues::of(facts);
    let mut candidates: Vec<&str> = Vec::new();
    let mut team_projects: Vec<&str> = Vec::new();
    let mut impacted: Vec<(&str, IssuePlace)> = Vec::new();
    for time_off in absences.iter().filter(|a| a.is_recorded()) {
        let Some((team, member)) = config.member(time_off.person()) else {
            continue;
        };
        let due =
            time_off.is_manual() || coverage_window_start(config, team, &time_off.span()) <= today;
        if !due || time_off.last() < today {
            continue;
        }
        if let Some(issue) = open.get(&team.pto.project, time_off.key())
            && !moved_since(issue, time_off)
        {
            continue;
        }
        // The planning issue only tells whether long time off recorded after the planning
        // lock was planned for (and so needs no exception): other time off needs no look.
        let span = time_off.span();
        let calendar = config.calendars.for_person(member.username.as_str());
        let late = config
            .milestones_of(team)
            .source()
            .and_then(|source| source.containing(span.first()))
            .is_some_and(|m| span.needs_lock_exception(calendar, &m, today));
        if late {
            push_unique_str(&mut team_projects, &team.project);
        }
        if team.pto.impact && !impacted.iter().any(|(who, _)| *who == member.username) {
            let place = match &team.planning.velocity.scope {
                IssueScope::Project(path) => IssuePlace::Project(path.clone()),
                IssueScope::Group(path) => IssuePlace::Group(path.clone()),
            };
            impacted.push((&member.username, place));
        }
        for responsibility in team.responsibilities_of(&member.username) {
            for username in &responsibility.covered_by {
                push_unique_str(&mut candidates, username);
            }
        }
    }
    ToBeWritten {
        candidates,
        team_projects,
        impacted,
    }
}

/// Adds `value` to `list` unless it is there.
fn push_unique_str<'a>(list: &mut Vec<&'a str>, value: &'a str) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The open coverage issues as listed, by project and key (the oldest of a key), so that
/// each absence finds its issue without going through the list.
struct OpenIssues<'a> {
    by_key: HashMap<(&'a str, String), &'a TrackedIssue>,
}

impl<'a> OpenIssues<'a> {
    fn of(facts: &'a Facts) -> Self {
        let mut by_key: HashMap<(&str, String), &TrackedIssue> = HashMap::new();
        for (project, listed) in &facts.open {
            for issue in listed.iter().flatten() {
                let Some(key) = key_in(&issue.description) else {
                    continue;
                };
                let older = |other: &TrackedIssue| {
                    (issue.created_at, issue.iid) < (other.created_at, other.iid)
                };
                by_key
                    .entry((project.as_str(), key))
                    .and_modify(|kept| {
                        if older(kept) {
                            *kept = issue;
                        }
                    })
                    .or_insert(issue);
            }
        }
        Self { by_key }
    }

    /// The open coverage issue of `key` in `project`.
    fn get(&self, project: &str, key: &str) -> Option<&'a TrackedIssue> {
        self.by_key.get(&(project, key.to_owned())).copied()
    }
}

/// Whether the time off an open issue records is not `absence`'s any more (or the record
/// does not read, so the issue is looked at again).
fn moved_since(issue: &TrackedIssue, absence: &Absence) -> bool {
    match Record::read(&issue.description) {
        Ok(Some(record)) => (record.first, record.last) != (absence.first(), absence.last()),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// The milestones of `team`'s configured source that `first..=last` overlaps, in order
/// (none for milestones read from GitLab, which this job does not read).
fn overlapped(config: &Config, team: &Team, first: NaiveDate, last: NaiveDate) -> Vec<Milestone> {
    let Some(source) = config.milestones_of(team).source() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut next = source
        .containing(first)
        .or_else(|| source.next_after(first));
    // A time off is at most a few months long: a dozen milestones bound the walk.
    while let Some(m) = next.filter(|m| m.start() <= last) {
        if found.len() >= 12 {
            break;
        }
        next = source.next_after(m.start());
        found.push(m);
    }
    found
}

/// The coverage issue's impact section: the person's open issues in the overlapped
/// milestones or due while away (due dates inside the time off marked), and the merge
/// requests awaiting their review. `null` when turned off.
fn impact_json(
    facts: &Facts,
    team: &Team,
    person: &str,
    time_off: &TimeOff,
    milestones: &[Milestone],
) -> Value {
    if !team.pto.impact {
        return Value::Null;
    }
    let titles: Vec<&str> = milestones.iter().map(Milestone::title).collect();
    let read = facts
        .impact
        .iter()
        .find(|(who, _)| who == person)
        .map(|(_, r)| r);
    let impact = match read {
        Some(Ok(impact)) => impact,
        Some(Err(e)) => {
            let stop = if e.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            return json!({ "read": false, "note": format!("Not listed: {e}{stop}") });
        }
        None => {
            return json!({
                "read": false,
                "note": "Not listed: this run did not read GitLab for it.",
            });
        }
    };
    let inside = |date: NaiveDate| time_off.first() <= date && date <= time_off.last();
    let issues: Vec<Value> = impact
        .issues
        .iter()
        .filter(|i| {
            i.milestone.as_deref().is_some_and(|m| titles.contains(&m))
                || i.due_date.is_some_and(inside)
        })
        .map(|i| {
            json!({
                "title": i.title,
                "web_url": i.web_url,
                "milestone": i.milestone,
                "due_date": i.due_date.map(ymd),
                "due_inside": i.due_date.is_some_and(inside),
                "weight": i.weight,
            })
        })
        .collect();
    let reviews: Vec<Value> = impact
        .reviews
        .iter()
        .map(|r| {
            json!({
                "title": r.title,
                "web_url": r.web_url,
                "author": r.author,
                "draft": r.draft,
            })
        })
        .collect();
    json!({
        "read": true,
        "note": Value::Null,
        "milestones": titles.join(", "),
        "issues": issues,
        "due_inside": issues.iter().filter(|i| i["due_inside"] == true).count(),
        "reviews": reviews,
        "read_at": facts.read_at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
    })
}

/// The chart of the weeks around a time off: from the Monday of the week before to the
/// Sunday of the week after, with the person, then the backups, then the rest of the team.
fn coverage_chart(
    config: &Config,
    team: &Team,
    person: &Member,
    backups: &[String],
    time_off: &TimeOff,
    absences: &Absences,
) -> Option<crate::mermaid::Gantt> {
    if !team.pto.gantt {
        return None;
    }
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let from = monday(time_off.first()) - Duration::days(7);
    let until = monday(time_off.last()) + Duration::days(13);
    let name_of = |who: &str| {
        config
            .member(who)
            .map_or_else(|| who.to_owned(), |(_, m)| m.name.clone())
    };
    let mut people = vec![super::work::ChartPerson {
        username: &person.username,
        name: format!("{} (away)", person.name),
    }];
    for backup in backups {
        people.push(super::work::ChartPerson {
            username: backup,
            name: format!("{} (backup)", name_of(backup)),
        });
    }
    for member in &team.members {
        if member.username != person.username && !backups.contains(&member.username) {
            people.push(super::work::ChartPerson {
                username: &member.username,
                name: member.name.clone(),
            });
        }
    }
    super::work::chart(
        config,
        absences,
        &format!("Coverage for {}", person.name),
        None,
        &people,
        (from, until),
        team.planning.work.gantt_max_members,
    )
}

/// The planning issues of `team` for `milestones` that `facts` listed: (milestone title,
/// issue) each.
fn planning_issues<'a>(
    facts: &'a Facts,
    team: &Team,
    milestones: &[Milestone],
) -> Vec<(String, &'a TrackedIssue)> {
    let Some((_, Ok(listed))) = facts.planning.iter().find(|(p, _)| *p == team.project) else {
        return Vec::new();
    };
    milestones
        .iter()
        .filter_map(|m| {
            let key = crate::jobs::planning::key(
                team,
                &crate::jobs::planning::Period::milestone(m.clone()),
            );
            listed
                .iter()
                .filter(|issue| key_in(&issue.description).as_deref() == Some(key.as_str()))
                .min_by_key(|issue| (issue.created_at, issue.iid))
                .map(|issue| (m.title().to_owned(), issue))
        })
        .collect()
}

/// The person, first and last day a coverage issue was made for, from its hidden record;
/// `None` when it has none or it does not read.
pub fn coverage_of(description: &str) -> Option<(String, NaiveDate, NaiveDate)> {
    let record = Record::read(description).ok().flatten()?;
    Some((record.person, record.first, record.last))
}

/// Every person's absences from the config, the feeds that loaded, `manual` and the GitLab
/// statuses, merged (see [`crate::absence`]); an absence keeps the key of a part whose
/// coverage issue is open. With the warnings about feed entries left out for their key.
fn absences(config: &Config, facts: &Facts, manual: Option<&TimeOff>) -> (Absences, Vec<String>) {
    let open: BTreeSet<String> = facts
        .open
        .iter()
        .filter_map(|(_, listed)| listed.as_ref().ok())
        .flatten()
        .filter_map(|issue| key_in(&issue.description))
        .collect();
    absence::of_config(config, &facts.feeds, manual, &facts.away_by_status, |key| {
        open.contains(key)
    })
}

/// What a coverage issue records about the time off it was made for, in a hidden line of its
/// description, so that a later run can tell what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    person: String,
    first: NaiveDate,
    last: NaiveDate,
    source: String,
}

/// The name of the record.
const RECORD: &str = "pto";
/// Its fields, in the order they are written.
const RECORD_FIELDS: [&str; 4] = ["person", "from", "until", "source"];

/// How the sources of one record are separated in its `source` field (a record value is
/// encoded, so a newline is safe there and appears in no source's tag).
const SOURCE_SEPARATOR: char = '\n';

impl Record {
    fn of(absence: &Absence) -> Self {
        let tags: Vec<String> = absence
            .sources()
            .into_iter()
            .filter(|s| s.is_recorded())
            .map(Source::tag)
            .collect();
        Record {
            person: absence.person().to_owned(),
            first: absence.first(),
            last: absence.last(),
            source: tags.join(&SOURCE_SEPARATOR.to_string()),
        }
    }

    /// The tags of the sources the time off was recorded in.
    fn sources(&self) -> impl Iterator<Item = &str> {
        self.source.split(SOURCE_SEPARATOR)
    }

    fn line(&self) -> String {
        let (from, until) = (ymd(self.first), ymd(self.last));
        let values = [self.person.as_str(), &from, &until, &self.source];
        let fields: Vec<(&str, &str)> = RECORD_FIELDS.into_iter().zip(values).collect();
        record::fields(RECORD, &fields)
    }

    /// The record of an issue's description: the line right above its key marker, when it
    /// is exactly a record. `Ok(None)` when there is none there (issues made before
    /// teamcadence recorded the dates); an error when one is there but does not read.
    fn read(description: &str) -> Result<Option<Self>, String> {
        let mut lines = record::lines_from_end(description);
        if key_in(description).is_none() || lines.next().is_none() {
            return Ok(None);
        }
        let Some(line) = lines.next() else {
            return Ok(None);
        };
        let why = |e: record::RecordError| format!("its PTO record does not read ({e})");
        let Some(values) = record::read_fields(line, RECORD, &RECORD_FIELDS).map_err(why)? else {
            return Ok(None);
        };
        let date = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("its PTO record has {text:?} for a date"))
        };
        Ok(Some(Record {
            person: values[0].clone(),
            first: date(&values[1])?,
            last: date(&values[2])?,
            source: values[3].clone(),
        }))
    }
}

/// Plans coverage issues: for each recorded time off that has not ended (every one, with
/// [`Scope::Everything`]), in the config or read from its feeds, and for `manual`, which is
/// always due. Everyone's time off, from any source, and a GitLab status saying someone is
/// away keep them from being chosen as a backup.
///
/// An issue is due from `create_days_before` days before the first day off until the last,
/// when the time off needs coverage under the team's rule. An open issue whose time off
/// moved is updated, with a note saying what changed; one whose time off is no longer
/// recorded (and whose source was read) gets a note and is closed; once the person is back,
/// a note asks them to sync with their backups.
pub fn plan(
    config: &Config,
    today: NaiveDate,
    scope: Scope,
    manual: Option<TimeOff>,
    facts: &Facts,
) -> Result<JobReport, JobError> {
    let mut plans = Plans::new(config);
    plans.report.warnings.extend(facts.warnings.iter().cloned());
    for (name, feed) in &facts.feeds {
        match feed {
            Err(e) => plans.report.warnings.push(format!(
                "time-off feed \"{name}\" was not read ({e}); nothing is created or closed \
                 from it this run"
            )),
            Ok(feed) if !feed.unmapped.is_empty() => plans.report.warnings.push(format!(
                "time-off feed \"{name}\": nobody in its `people` for {}; add them there if they \
                 are team members",
                feed.unmapped.join(", ")
            )),
            Ok(_) => {}
        }
    }
    for (name, project) in facts
        .open
        .iter()
        .filter_map(|(p, l)| Some((p, l.as_ref().err()?)))
    {
        plans.report.warnings.push(format!(
            "could not list the open coverage issues of {name} ({project}); changed, cancelled \
             and finished time off is looked at again next run"
        ));
    }

    for (project, e) in facts
        .planning
        .iter()
        .filter_map(|(p, l)| Some((p, l.as_ref().err()?)))
    {
        plans.report.warnings.push(format!(
            "could not list the planning issues of {project} ({e}); whether time off was known \
             when its milestone was planned is judged by the day it was recorded this run"
        ));
    }
    let (absences, collisions) = absences(config, facts, manual.as_ref());
    let open = OpenIssues::of(facts);
    plans.report.warnings.extend(collisions);
    plans.report.warnings.extend(unread_records(facts));
    let mut entries: Vec<&Absence> = absences
        .iter()
        .filter(|a| a.is_recorded())
        .filter(|a| a.is_manual() || scope == Scope::Everything || a.last() >= today)
        .collect();
    entries.sort_by(|a, b| (a.first(), a.person()).cmp(&(b.first(), b.person())));

    let mut duties = Duties::default();
    for absence in entries {
        // Two sources that disagree about an absence someone still plans for are said once.
        for disagreement in absence.disagreements() {
            push_unique(&mut plans.report.warnings, &disagreement);
        }
        let span = absence.span();
        let time_off = &span;
        let key = absence.key().to_owned();
        let is_manual = absence.is_manual();
        let Some((team, member)) = config.member(time_off.person()) else {
            continue; // validated: every person is a member
        };
        let calendar = config.calendars.for_person(member.username.as_str());
        let tally = absence.tally(calendar);
        let run = tally.run;
        let required = is_manual || team.pto.coverage.requires_coverage(&run);
        let existing = open.get(&team.pto.project, &key);
        let earlier = existing.and_then(|issue| Record::read(&issue.description).ok().flatten());
        let moved = earlier
            .as_ref()
            .filter(|r| (r.first, r.last) != (time_off.first(), time_off.last()));
        let window_start = coverage_window_start(config, team, time_off);
        let action = if moved.is_some() {
            Action::Update
        } else if !required {
            let only_feeds = absence
                .sources()
                .iter()
                .filter(|s| s.is_recorded())
                .all(|s| matches!(s, Source::Feed(_)));
            if only_feeds && existing.is_none() {
                // Feeds hold every day off, recurring ones for years: only what may need an
                // issue is listed.
                continue;
            }
            Action::Skip(format!(
                "{}; a coverage issue is expected from {} days away in a row",
                tally.sentence(),
                team.pto.coverage.min_working_days
            ))
        } else if is_manual {
            Action::Create
        } else {
            match due_from(today, window_start) {
                // Listed open this run, and unchanged: nothing to create or edit.
                Action::Create if existing.is_some() => Action::Exists,
                action => action,
            }
        };

        let rows = backups(config, team, member, time_off, &absences, &mut duties);
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
                key,
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
        let planned = milestone
            .as_ref()
            .and_then(|m| planned_absences(facts, team, m));
        let listed = planned.as_ref().is_some_and(|list| {
            list.iter().any(|(person, first, last)| {
                person == time_off.person()
                    && *first <= time_off.first()
                    && time_off.last() <= *last
            })
        });
        let lock_exception = milestone
            .as_ref()
            .filter(|m| !listed && time_off.needs_lock_exception(calendar, m, today))
            .map(|m| {
                json!({
                    "milestone": milestone_json(m),
                    "recorded": ymd(time_off.requested().unwrap_or(today)),
                    "planning_issue": planned.is_some(),
                })
            });
        let overlaps = overlapped(config, team, time_off.first(), time_off.last());
        let chart = coverage_chart(config, team, member, &backup_names, time_off, &absences);
        let planning = planning_issues(facts, team, &overlaps);
        let context = json!({
            "person": person_json(member),
            "manager": manager.map(|m| person_by_username(config, m)),
            "team": team_json(team),
            "time_off": {
                "key": key,
                "from": ymd(time_off.first()),
                "until": ymd(time_off.last()),
                "note": time_off.note(),
                "working_days": tally.working_days,
                "run": { "first": ymd(run.first), "last": ymd(run.last), "days": run.days },
                "holidays": tally.holidays.iter().map(|(date, name)| json!({
                    "date": ymd(*date),
                    "name": name,
                })).collect::<Vec<_>>(),
                "counted": tally.sentence(),
                "sources": absence.sources().iter().filter(|s| s.is_recorded()).map(|s| s.describe()).collect::<Vec<_>>(),
            },
            "coverage_required": required,
            "min_working_days": team.pto.coverage.min_working_days,
            "responsibilities": rows.iter().map(|r| r.to_json(config)).collect::<Vec<_>>(),
            "backups": backup_names.iter().map(|u| person_by_username(config, u)).collect::<Vec<_>>(),
            "milestone": milestone.as_ref().map(milestone_json),
            "lock_exception": lock_exception,
            "impact": impact_json(facts, team, &member.username, time_off, &overlaps),
            "gantt": chart.as_ref().map(|g| serde_json::to_value(g).unwrap_or(Value::Null)),
            "planning_issues": planning.iter().map(|(title, issue)| json!({
                "milestone": title,
                "title": issue.title,
                "web_url": issue.web_url,
            })).collect::<Vec<_>>(),
        });
        let mut follow_ups = moved
            .map(|earlier| {
                vec![FollowUp::Note {
                    id: format!("dates:{}..{}", ymd(time_off.first()), ymd(time_off.last())),
                    body: moved_note(earlier, absence),
                }]
            })
            .unwrap_or_default();
        if team.pto.link_planning {
            follow_ups.extend(planning.iter().map(|(_, issue)| FollowUp::LinkToIssue {
                project: issue.project.clone(),
                iid: issue.iid,
            }));
        }
        let draft = Draft {
            key: key.clone(),
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
            follow_ups,
            notes: vec![(
                "retrospective".to_owned(),
                Template::new(
                    "the retrospective thread".to_owned(),
                    RETROSPECTIVE.to_owned(),
                ),
            )],
        };
        if let Some(plan) = plans.add(draft) {
            if let (Some(issue), Some(_)) = (existing, moved) {
                // Boxes people ticked stay ticked.
                plan.description = keep_ticked(&issue.description, &plan.description);
            }
            if let Some(issue) = existing {
                // Found in this run's listing: its address is known, and what the listing
                // shows posted needs no second look.
                plan.web_url = Some(issue.web_url.clone());
                apply::drop_posted_notes(plan, issue);
            }
            plan.record = Some(Record::of(absence).line());
        }
    }
    if scope == Scope::Upcoming {
        follow_up_open_issues(config, today, facts, &absences, &mut plans.report);
    }
    plans.finish()
}

/// The day a coverage issue becomes due: the earlier of the planning lock of the milestone
/// its first day falls in (coverage is known when the milestone is planned) and
/// `create_days_before` days before the first day off. Milestones read from GitLab are not
/// known here: for them only the second counts.
fn coverage_window_start(config: &Config, team: &Team, time_off: &TimeOff) -> NaiveDate {
    let notice = days_before(time_off.first(), team.pto.create_days_before);
    config
        .milestones_of(team)
        .source()
        .and_then(|source| source.containing(time_off.first()))
        .map_or(notice, |m| notice.min(m.planning_lock()))
}

/// The time off the capacity table of `team`'s planning issue for `milestone` counted, when
/// that issue was read and carries the record.
fn planned_absences(
    facts: &Facts,
    team: &Team,
    milestone: &crate::milestone::Milestone,
) -> Option<Vec<(String, NaiveDate, NaiveDate)>> {
    let key = crate::jobs::planning::key(
        team,
        &crate::jobs::planning::Period::milestone(milestone.clone()),
    );
    let (_, listed) = facts.planning.iter().find(|(p, _)| *p == team.project)?;
    let issue = listed
        .as_ref()
        .ok()?
        .iter()
        .find(|issue| key_in(&issue.description).as_deref() == Some(key.as_str()))?;
    crate::jobs::planning::planned_absences(&issue.description)
}

/// Warnings for the open coverage issues whose PTO record does not read: what they record is
/// not trusted, so their time off is not followed up until the record is restored.
fn unread_records(facts: &Facts) -> Vec<String> {
    let mut warnings = Vec::new();
    for (project, listed) in &facts.open {
        for issue in listed.iter().flatten() {
            if let Err(why) = Record::read(&issue.description) {
                warnings.push(format!(
                    "{project}#{}: {why}, so teamcadence does not follow it up; restore the \
                     record's line as teamcadence wrote it",
                    issue.iid
                ));
            }
        }
    }
    warnings
}

/// The note on an issue whose time off moved (or grew, as parts joined it).
fn moved_note(earlier: &Record, now: &Absence) -> String {
    let sources: Vec<String> = now
        .sources()
        .into_iter()
        .filter(|s| s.is_recorded())
        .map(Source::describe)
        .collect();
    format!(
        "The time off changed in {}: it was {} until {}, it is now {} until {}. teamcadence \
         updated the title, the due date and the responsibilities table (and the backups, \
         who must be there on the new days).",
        sources.join(" and "),
        ymd(earlier.first),
        ymd(earlier.last),
        ymd(now.first()),
        ymd(now.last())
    )
}

/// `new` with each task `- [ ] text` ticked where `old` has the same task ticked.
fn keep_ticked(old: &str, new: &str) -> String {
    let ticked: Vec<&str> = old
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            line.strip_prefix("- [x] ")
                .or_else(|| line.strip_prefix("- [X] "))
        })
        .collect();
    let mut kept: Vec<String> = new
        .lines()
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            match line.trim_start().strip_prefix("- [ ] ") {
                Some(task) if ticked.contains(&task) => format!("{}- [x] {task}", &line[..indent]),
                _ => line.to_owned(),
            }
        })
        .collect();
    if new.ends_with('\n') {
        kept.push(String::new());
    }
    kept.join("\n")
}

/// Follow-ups on open coverage issues that no plan of this run stands for: a note once the
/// person is back (and closing, where the team wants that), or a note and closing when the
/// time off is no longer recorded in a source that was read.
fn follow_up_open_issues(
    config: &Config,
    today: NaiveDate,
    facts: &Facts,
    absences: &Absences,
    report: &mut JobReport,
) {
    let loaded: Vec<String> = facts
        .feeds
        .iter()
        .filter(|(_, feed)| feed.is_ok())
        .map(|(name, _)| Source::Feed(name.clone()).tag())
        .collect();
    // Looked up once per open issue: by key, not by going through every absence or plan.
    let mut recorded: HashMap<&str, &Absence> = HashMap::new();
    let mut by_part_key: HashMap<String, &Absence> = HashMap::new();
    for absence in absences.iter() {
        if absence.is_recorded() {
            recorded.entry(absence.key()).or_insert(absence);
        }
        for part in absence.part_keys() {
            by_part_key.entry(part).or_insert(absence);
        }
    }
    let mut planned: HashMap<(String, String), usize> = report
        .issues
        .iter()
        .enumerate()
        .map(|(at, plan)| ((plan.project.clone(), plan.key.clone()), at))
        .collect();
    for (project, listed) in &facts.open {
        let Ok(issues) = listed else {
            continue;
        };
        for issue in issues {
            let Some(key) = key_in(&issue.description).filter(|k| k.starts_with("pto/")) else {
                continue;
            };
            // Issues made before teamcadence recorded the dates are left as they are.
            let Ok(Some(record)) = Record::read(&issue.description) else {
                continue;
            };
            let entry = recorded.get(key.as_str()).copied();
            // A part of a longer absence whose issue has another key: that issue covers it.
            let merged = by_part_key
                .get(&key)
                .copied()
                .filter(|a| entry.is_none() && a.key() != key);
            let last = entry.map_or(record.last, Absence::last);
            let person = entry.map_or(record.person.as_str(), Absence::person);
            let closing = config
                .member(person)
                .is_some_and(|(team, _)| team.pto.close_after_return);
            let back_on = config
                .calendars
                .for_person(person)
                .add_working_days(last, 1);
            let follow_up = if today >= back_on {
                let body = back_note(person, &issue.assignees, closing);
                if closing {
                    FollowUp::CloseWith {
                        id: "back".to_owned(),
                        body,
                    }
                } else {
                    FollowUp::Note {
                        id: "back".to_owned(),
                        body,
                    }
                }
            } else if let Some(merged) = merged {
                FollowUp::CloseWith {
                    id: "merged".to_owned(),
                    body: merged_note(&record, merged, &issue.assignees),
                }
            } else if entry.is_none()
                && record
                    .sources()
                    .all(|tag| tag == "config" || loaded.iter().any(|l| l == tag))
            {
                let cancelled = facts
                    .feeds
                    .iter()
                    .filter_map(|(_, feed)| feed.as_ref().ok())
                    .any(|feed| feed.cancelled.iter().any(|c| format!("pto/{c}") == key));
                FollowUp::CloseWith {
                    id: "cancelled".to_owned(),
                    body: cancelled_note(&record, cancelled, &issue.assignees),
                }
            } else {
                continue;
            };
            match planned.get(&(project.clone(), key.clone())) {
                Some(&at) => report.issues[at].follow_ups.push(follow_up),
                None => {
                    planned.insert((project.clone(), key.clone()), report.issues.len());
                    report.issues.push(IssuePlan::on_existing(
                        &key,
                        project,
                        issue,
                        vec![follow_up],
                    ));
                }
            }
        }
    }
}

/// The note on an issue whose time off became part of a longer absence with its own issue.
fn merged_note(record: &Record, absence: &Absence, assignees: &[String]) -> String {
    format!(
        "The time off from {} until {} is now part of a longer absence, from {} until {}, \
         whose coverage issue (key `{}`) covers it: teamcadence closes this one. {}",
        ymd(record.first),
        ymd(record.last),
        ymd(absence.first()),
        ymd(absence.last()),
        neutralise::plain(absence.key()),
        mentions(assignees.iter().map(String::as_str)),
    )
}

/// The note once `person` is back, to the backups among `assignees`.
fn back_note(person: &str, assignees: &[String], closing: bool) -> String {
    let backups = mentions(
        assignees
            .iter()
            .map(String::as_str)
            .filter(|a| *a != person),
    );
    let who = mentions([person]);
    let mut body = if backups.is_empty() {
        format!(
            "Welcome back, {who}! Please review the coverage tasks and the retrospective thread."
        )
    } else {
        format!(
            "Welcome back, {who}! Please sync with your backups ({backups}) on what happened \
             while you were away, take your work back, and review the retrospective thread."
        )
    };
    if closing {
        body.push_str(" teamcadence closes this issue now; reopen it if something is left.");
    } else {
        body.push_str(" Close this issue when the closing tasks are done.");
    }
    body
}

/// The note on an issue whose time off is no longer recorded.
fn cancelled_note(record: &Record, cancelled: bool, assignees: &[String]) -> String {
    let how = if cancelled {
        "was cancelled".to_owned()
    } else {
        "is no longer recorded".to_owned()
    };
    format!(
        "The time off from {} until {} {how} in its source ({}), so no coverage is needed: \
         teamcadence closes this issue. {} If this is a mistake, record the time off again and \
         reopen this issue.",
        ymd(record.first),
        ymd(record.last),
        record
            .sources()
            .map(|tag| match tag.strip_prefix("feed:") {
                Some(feed) => format!("calendar feed {}", neutralise::markdown(feed)),
                None => "the teamcadence config".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(" and "),
        mentions(assignees.iter().map(String::as_str)),
    )
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
    absences: &Absences,
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
        days_to_cover
            .iter()
            .all(|d| calendar.is_working_day(*d) && absences.on(username, *d).is_none())
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
mod impact_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceFiles;
    use crate::ics::{FeedMapping, PersonFrom, time_off_from_ics};
    use crate::jobs::plan_for;

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

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn hr_feed(config: &Config, text: &str) -> Facts {
        let mapping = FeedMapping {
            from: PersonFrom::Attendee,
            people: vec![
                ("bob@example.com".to_owned(), "bob".to_owned()),
                ("carol@example.com".to_owned(), "carol".to_owned()),
            ],
            zone: config.timezone,
        };
        let feed = time_off_from_ics(text, &mapping).expect("feed parses");
        Facts {
            feeds: vec![("hr".to_owned(), Ok(feed))],
            ..Facts::default()
        }
    }

    /// An open coverage issue in g/p as an earlier run left it.
    fn open_issue_for(key: &str, record: &Record, description: &str) -> TrackedIssue {
        TrackedIssue {
            project: "g/p".to_owned(),
            iid: 7,
            title: "Coverage".to_owned(),
            description: format!(
                "{description}\n\n{}\n\n{}",
                record.line(),
                crate::apply::marker(key)
            ),
            state: IssueState::Opened,
            labels: vec![KIND_LABEL.to_owned()],
            assignees: vec!["bob".to_owned(), "dan".to_owned()],
            milestone: None,
            due_date: Some(record.first),
            confidential: false,
            web_url: "https://gitlab.example/g/p/-/issues/7".to_owned(),
            created_at: "2026-11-20T08:00:00Z".parse().expect("instant"),
            closed_at: None,
            weight: None,
            user_notes_count: None,
            merge_requests_count: None,
        }
    }

    #[test]
    fn a_team_takes_its_members_coverage_issues_from_a_shared_listing_in_listing_order() {
        let config = config();
        let of = |person: &str, iid: u64| TrackedIssue {
            iid,
            ..open_issue_for(
                &format!("pto/{person}"),
                &Record {
                    person: person.to_owned(),
                    ..record("2026-12-07", "2026-12-18", "config")
                },
                "Coverage",
            )
        };
        let unrecorded = TrackedIssue {
            iid: 6,
            description: "No record here.".to_owned(),
            ..of("dan", 6)
        };
        // carol's (#3), another team's zed (#5), one without a record (#6), bob's (#7).
        let listing = super::super::work::CoverageListing::new(vec![
            of("carol", 3),
            of("zed", 5),
            unrecorded,
            of("bob", 7),
        ]);
        let taken = listing.of_team(&config.teams[0]);
        let seen: Vec<(&str, u64)> = taken
            .iter()
            .map(|c| (c.person.as_str(), c.issue.iid))
            .collect();
        assert_eq!(seen, [("carol", 3), ("bob", 7)]);
        assert_eq!(
            (taken[1].first, taken[1].last),
            (date("2026-12-07"), date("2026-12-18"))
        );
    }

    fn record(first: &str, last: &str, source: &str) -> Record {
        Record {
            person: "bob".to_owned(),
            first: date(first),
            last: date(last),
            source: source.to_owned(),
        }
    }

    /// `facts` with `issue` open in g/p.
    fn with_open(issue: TrackedIssue, facts: Facts) -> Facts {
        Facts {
            open: vec![("g/p".to_owned(), Ok(vec![issue]))],
            ..facts
        }
    }

    #[test]
    fn a_part_with_its_own_open_issue_keeps_the_key_and_a_merged_issue_is_closed_saying_where_it_went()
     {
        // bob's config entries Mon 12-14 .. Wed 12-16 (already with an issue, from when it
        // stood alone) and Thu 12-17 .. Fri 12-18 (with an issue too) are one absence now.
        // It keeps the key of the earliest part with an open issue, pto/bob/2026-12-14,
        // grows to Fri 12-18 (an update with a note), and the issue of the later part is
        // closed, saying which absence covers it.
        let text = "timezone: Europe/Amsterdam
teams:
  - id: t
    name: Team
    project: g/p
    members:
      - { username: bob, name: B, role: backend-engineer }
      - { username: carol, name: C, role: backend-engineer }
    responsibilities:
      - { name: Triage, priority: HIGH, owners: [bob], covered_by: [carol] }
time_off:
  - { person: bob, from: 2026-12-14, until: 2026-12-16 }
  - { person: bob, from: 2026-12-17, until: 2026-12-18 }
";
        let config = Config::parse("team.yml", text, &NoFiles).expect("valid config");
        let early = open_issue_for(
            "pto/bob/2026-12-14",
            &record("2026-12-14", "2026-12-16", "config"),
            "Coverage",
        );
        let mut late = open_issue_for(
            "pto/bob/2026-12-17",
            &record("2026-12-17", "2026-12-18", "config"),
            "Coverage",
        );
        late.iid = 8;
        let facts = Facts {
            open: vec![("g/p".to_owned(), Ok(vec![early, late]))],
            ..Facts::default()
        };
        let report = plan(&config, date("2026-12-01"), Scope::Upcoming, None, &facts).unwrap();
        let kept = plan_for(&report, "pto/bob/2026-12-14");
        assert_eq!(kept.action, Action::Update);
        assert_eq!(kept.due_date, Some(date("2026-12-14")));
        let merged = plan_for(&report, "pto/bob/2026-12-17");
        let [FollowUp::CloseWith { id, body }] = merged.follow_ups.as_slice() else {
            panic!("{:?}", merged.follow_ups);
        };
        assert_eq!(id, "merged");
        assert!(
            body.starts_with(
                "The time off from 2026-12-17 until 2026-12-18 is now part of a longer \
                 absence, from 2026-12-14 until 2026-12-18, whose coverage issue (key \
                 `pto/bob/2026-12-14`) covers it"
            ),
            "{body}"
        );
    }

    #[test]
    fn a_feed_event_whose_key_is_taken_is_left_out_with_a_warning() {
        // carol's weekly leave has the UID `bob`: its first occurrence's key is that of bob's
        // time off in the config without an id.
        let text = "timezone: Europe/Amsterdam
teams:
  - id: t
    name: Team
    project: g/p
    members:
      - { username: bob, name: B, role: backend-engineer }
      - { username: carol, name: C, role: backend-engineer }
time_off:
  - { person: bob, from: 2026-12-07, until: 2026-12-18 }
";
        let config = Config::parse("team.yml", text, &NoFiles).expect("valid config");
        let feed = FEED.replace(
            "UID:hr-1002\r\n",
            "UID:bob\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\n",
        );
        let feed = feed.replace(
            "DTSTART;VALUE=DATE:20261210\r\n",
            "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261212\r\n",
        );
        let facts = hr_feed(&config, &feed);
        let report =
            plan(&config, date("2026-11-30"), Scope::Upcoming, None, &facts).expect("plans");
        let taken: Vec<&IssuePlan> = report
            .issues
            .iter()
            .filter(|p| p.key == "pto/bob/2026-12-07")
            .collect();
        assert_eq!(taken.len(), 1, "{report:#?}");
        assert_eq!(taken[0].assignees[0], "bob");
        assert_eq!(
            plan_for(&report, "pto/bob/2026-12-14").assignees[0],
            "carol"
        );
        assert!(
            report.warnings.contains(
                &"time-off feed \"hr\": the time off of carol from 2026-12-07 has the key \
                  pto/bob/2026-12-07 of time off in the teamcadence config; it is left out (give \
                  the event another UID)"
                    .to_owned()
            ),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn a_record_holding_any_source_reads_back_and_one_that_does_not_read_is_reported() {
        let hostile = record("2026-12-07", "2026-12-18", "feed:hr -->\n/label ~x @all");
        let line = hostile.line();
        assert!(
            !line.contains('\n') && line.matches("-->").count() == 1,
            "{line}"
        );
        let issue = open_issue_for("pto/hr-1001", &hostile, "Text");
        assert_eq!(Record::read(&issue.description), Ok(Some(hostile)));

        let config = config();
        let mut broken = open_issue_for(
            "pto/hr-1001",
            &record("2026-12-07", "2026-12-18", "config"),
            "",
        );
        broken.description = broken.description.replace(" until=2026-12-18", "");
        let facts = with_open(broken, Facts::default());
        let report =
            plan(&config, date("2026-12-21"), Scope::Upcoming, None, &facts).expect("plans");
        assert_eq!(
            report.warnings,
            [
                "g/p#7: its PTO record does not read (its fields are not person, from, until, \
              source), so teamcadence does not follow it up; restore the record's line as \
              teamcadence wrote it"
            ]
        );
        assert!(report.issues.is_empty(), "{report:#?}");
    }

    #[test]
    fn time_off_from_a_feed_gets_an_issue_keyed_by_its_event_and_keeps_the_absent_off_backup() {
        let config = config();
        let facts = hr_feed(&config, FEED);
        let report =
            plan(&config, date("2026-11-25"), Scope::Upcoming, None, &facts).expect("plans");
        let bob = plan_for(&report, "pto/hr-1001");
        assert_eq!(bob.action, Action::Create);
        // carol is away on one of bob's days, so dan covers triage.
        assert_eq!(bob.assignees, ["bob", "dan"]);
        assert_eq!(
            bob.record.as_deref(),
            Some(
                "<!-- teamcadence:pto person=bob from=2026-12-07 until=2026-12-18 source=feed:hr -->"
            )
        );
        // carol's single day needs no coverage issue, and a feed's short days are not listed.
        assert!(!report.issues.iter().any(|p| p.key == "pto/hr-1002"));
    }

    #[test]
    fn a_gitlab_status_saying_away_keeps_a_member_off_the_backups() {
        let config = config();
        let mut facts = Facts::default();
        facts
            .away_by_status
            .push(TimeOff::new("carol", date("2026-12-07"), date("2026-12-07")).expect("time off"));
        let manual = TimeOff::new("bob", date("2026-12-07"), date("2026-12-08")).expect("time off");
        let report = plan(
            &config,
            date("2026-12-07"),
            Scope::Upcoming,
            Some(manual),
            &facts,
        )
        .expect("plans");
        assert_eq!(
            plan_for(&report, "pto/bob/2026-12-07").assignees,
            ["bob", "dan"]
        );
        // Without the status, carol comes first in the config.
        let manual = TimeOff::new("bob", date("2026-12-07"), date("2026-12-08")).expect("time off");
        let report = plan(
            &config,
            date("2026-12-07"),
            Scope::Upcoming,
            Some(manual),
            &Facts::default(),
        )
        .expect("plans");
        assert_eq!(
            plan_for(&report, "pto/bob/2026-12-07").assignees,
            ["bob", "carol", "dan"]
        );
    }

    #[test]
    fn a_status_is_away_when_busy_or_ooo_until_it_clears() {
        let zone: chrono_tz::Tz = "Europe/Amsterdam".parse().expect("zone");
        let today = date("2026-12-01");
        let status = |busy: bool, message: &str, clears: Option<&str>| crate::tracker::UserStatus {
            busy,
            message: Some(message.to_owned()),
            clear_status_at: clears.map(|c| c.parse().expect("instant")),
        };
        assert_eq!(
            absence::away_until(&status(true, "", None), today, zone),
            Some(today)
        );
        assert_eq!(
            absence::away_until(
                &status(false, "OOO until Friday", Some("2026-12-04T23:30:00Z")),
                today,
                zone
            ),
            Some(date("2026-12-05")),
            "the clear date is read in the team's zone"
        );
        assert_eq!(
            absence::away_until(&status(false, "Out of office", None), today, zone),
            Some(today)
        );
        assert_eq!(
            absence::away_until(
                &status(false, "Looking at the cooool bug", None),
                today,
                zone
            ),
            None
        );
    }

    #[test]
    fn moved_time_off_updates_its_issue_keeping_ticked_boxes_and_says_what_changed() {
        let config = config();
        let earlier = open_issue_for(
            "pto/hr-1001",
            &record("2026-12-07", "2026-12-11", "feed:hr"),
            "- [x] Point your email auto-responder at this issue\n- [ ] Close this issue",
        );
        let facts = with_open(earlier, hr_feed(&config, FEED));
        let report =
            plan(&config, date("2026-11-25"), Scope::Upcoming, None, &facts).expect("plans");
        let bob = plan_for(&report, "pto/hr-1001");
        assert_eq!(bob.action, Action::Update);
        assert!(bob.title.contains("2026-12-18"), "{}", bob.title);
        assert!(
            bob.description
                .contains("- [x] Point your email auto-responder at this issue")
        );
        assert!(bob.description.contains("- [ ] Close this issue"));
        assert_eq!(
            bob.follow_ups[..1],
            [FollowUp::Note {
                id: "dates:2026-12-07..2026-12-18".to_owned(),
                body: "The time off changed in the calendar feed \"hr\": it was 2026-12-07 until \
                       2026-12-11, it is now 2026-12-07 until 2026-12-18. teamcadence updated the \
                       title, the due date and the responsibilities table (and the backups, who \
                       must be there on the new days)."
                    .to_owned()
            }]
        );

        // The same dates as recorded: nothing to update.
        let same = open_issue_for(
            "pto/hr-1001",
            &record("2026-12-07", "2026-12-18", "feed:hr"),
            "",
        );
        let facts = with_open(same, hr_feed(&config, FEED));
        let report =
            plan(&config, date("2026-11-25"), Scope::Upcoming, None, &facts).expect("plans");
        let bob = plan_for(&report, "pto/hr-1001");
        assert_eq!(bob.action, Action::Exists, "listed open and unchanged");
        // The issue claims no comments (it was not made by this version), so whether the
        // retrospective thread is there is looked up when applying.
        let ids: Vec<String> = bob.follow_ups.iter().map(FollowUp::describe).collect();
        assert_eq!(ids, ["post the note \"retrospective\""]);

        // Made by this version, it claims the thread its creating run posted right after; with
        // that many comments on it, the listing alone says the thread is there.
        let mut claimed = open_issue_for(
            "pto/hr-1001",
            &record("2026-12-07", "2026-12-18", "feed:hr"),
            "Coverage\n\n<!-- teamcadence:notes=retrospective -->",
        );
        for (count, expected) in [(Some(1), 0), (Some(0), 1), (None, 1)] {
            claimed.user_notes_count = count;
            let facts = with_open(claimed.clone(), hr_feed(&config, FEED));
            let report =
                plan(&config, date("2026-11-25"), Scope::Upcoming, None, &facts).expect("plans");
            let bob = plan_for(&report, "pto/hr-1001");
            assert_eq!(bob.action, Action::Exists);
            assert_eq!(bob.follow_ups.len(), expected, "{count:?} comments");
        }
    }

    #[test]
    fn time_off_gone_from_a_source_that_was_read_closes_its_issue_and_a_failed_feed_closes_nothing()
    {
        let config = config();
        let gone = open_issue_for(
            "pto/hr-0999",
            &record("2026-12-14", "2026-12-24", "feed:hr"),
            "",
        );
        let facts = with_open(gone.clone(), hr_feed(&config, FEED));
        let report =
            plan(&config, date("2026-11-25"), Scope::Upcoming, None, &facts).expect("plans");
        let closing = plan_for(&report, "pto/hr-0999");
        assert_eq!(closing.action, Action::Exists);
        match closing.follow_ups.as_slice() {
            [FollowUp::CloseWith { id, body }] => {
                assert_eq!(id, "cancelled");
                assert!(body.starts_with("The time off from 2026-12-14 until 2026-12-24 is no longer recorded in its source (calendar feed hr)"), "{body}");
                assert!(body.contains("@bob @dan"), "{body}");
            }
            other => panic!("{other:?}"),
        }

        let failed = with_open(
            gone,
            Facts {
                feeds: vec![("hr".to_owned(), Err("connection refused".to_owned()))],
                ..Facts::default()
            },
        );
        let report =
            plan(&config, date("2026-11-25"), Scope::Upcoming, None, &failed).expect("plans");
        assert!(
            report.issues.iter().all(|p| p.follow_ups.is_empty()),
            "{report:#?}"
        );
        assert!(
            report.warnings.iter().any(|w| w
                == "time-off feed \"hr\" was not read (connection refused); nothing is created or \
                    closed from it this run"),
            "{:?}",
            report.warnings
        );
    }

    /// bob's issue for his time off from 2026-11-09 to Friday 2026-11-20, still open.
    fn bobs_two_weeks_open(source: &str) -> Facts {
        let issue = open_issue_for(
            "pto/bob/2026-11-09",
            &record("2026-11-09", "2026-11-20", source),
            "",
        );
        with_open(issue, Facts::default())
    }

    #[test]
    fn once_the_person_is_back_a_note_asks_them_to_sync_with_their_backups() {
        let config = config();
        let facts = bobs_two_weeks_open("manual");
        // Friday the 20th is the last day off: nothing yet on Sunday, a note on Monday.
        let sunday =
            plan(&config, date("2026-11-22"), Scope::Upcoming, None, &facts).expect("plans");
        assert!(sunday.issues.is_empty(), "{sunday:#?}");
        let monday =
            plan(&config, date("2026-11-23"), Scope::Upcoming, None, &facts).expect("plans");
        assert_eq!(
            plan_for(&monday, "pto/bob/2026-11-09").follow_ups,
            [FollowUp::Note {
                id: "back".to_owned(),
                body: "Welcome back, @bob! Please sync with your backups (@dan) on what happened \
                       while you were away, take your work back, and review the retrospective \
                       thread. Close this issue when the closing tasks are done."
                    .to_owned()
            }]
        );
    }

    #[test]
    fn a_team_that_closes_after_the_return_gets_the_note_and_the_issue_closed() {
        let text = "timezone: Europe/Amsterdam
teams:
  - id: t
    name: Team
    project: g/p
    pto: { close_after_return: true }
    members:
      - { username: bob, name: B, role: backend-engineer }
";
        let config = Config::parse("team.yml", text, &NoFiles).expect("valid config");
        let facts = bobs_two_weeks_open("config");
        let monday =
            plan(&config, date("2026-11-23"), Scope::Upcoming, None, &facts).expect("plans");
        match plan_for(&monday, "pto/bob/2026-11-09")
            .follow_ups
            .as_slice()
        {
            [FollowUp::CloseWith { id, body }] => {
                assert_eq!(id, "back");
                assert!(
                    body.ends_with(
                        "teamcadence closes this issue now; reopen it if something is left."
                    ),
                    "{body}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ticked_boxes_are_carried_by_their_text() {
        let old = "- [x] a\n  - [X] b\n- [ ] c\n";
        let new = "- [ ] a\n  - [ ] b\n- [ ] c\n- [ ] d\n";
        assert_eq!(
            keep_ticked(old, new),
            "- [x] a\n  - [x] b\n- [ ] c\n- [ ] d\n"
        );
    }
}
