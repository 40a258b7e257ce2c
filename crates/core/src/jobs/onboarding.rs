//! The onboarding issue: a new hire's first day and first four weeks, with buddy and manager.

use chrono::NaiveDate;
use futures_util::future::join_all;
use serde_json::json;

use super::{
    Draft, JobError, Plans, Scope, buddy, days_after, due_from, person_by_username, team_json, ymd,
};
use crate::apply::key_in;
use crate::config::Config;
use crate::neutralise::{is_valid_username, mentions};
use crate::plan::{Action, FollowUp, IssuePlan, JobReport};
use crate::team::{NewHire, Team, TemplateSource};
use crate::template::Template;
use crate::tracker::{IssueQuery, IssueState, IssueTracker, TrackedIssue, TrackerError};

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
    /// Where they work from (`LOCATION`); default: the roster's.
    pub location: Option<String>,
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
    // Without one, `plan` gives every hire the team's engineering manager.
    let manager = given
        .manager
        .or_else(|| roster.and_then(|h| h.manager.clone()));
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
        location: given
            .location
            .or_else(|| roster.and_then(|h| h.location.clone())),
        username,
    })
}

/// The GitLab-style placeholders an onboarding template may use, as GitLab users write them
/// in issue templates filled in by hand, with the handlebars expressions they stand for.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("new_team_member", "{{mention hire}}"),
    ("new_team_member_name", "{{hire.name}}"),
    ("buddy", "{{mention buddy}}"),
    ("manager", "{{mention manager}}"),
    ("start_date", "{{hire.start}}"),
    ("due_date", "{{due_date}}"),
    ("role", "{{hire.role}}"),
    ("team", "{{team.name}}"),
];

/// The title of an onboarding issue whose template gives none (a project's issue template
/// has no front matter).
const DEFAULT_TITLE: &str = "Onboarding {{hire.name}} ({{hire.role}}), starting {{hire.start}}";

/// What the job reads from GitLab before it plans.
#[derive(Debug, Default)]
pub struct Facts {
    /// The project issue templates read, by (project, template name): the text, or why not.
    pub issue_templates: Vec<((String, String), Result<String, String>)>,
    /// This job's open issues of each project that reminds on overdue ones, or why they
    /// could not be read.
    pub open: Vec<(String, Result<Vec<TrackedIssue>, String>)>,
    /// What is read about absences beyond the config (the feeds, GitLab statuses), for the
    /// buddy.
    pub away: crate::absence::Facts,
}

impl Facts {
    fn issue_template(&self, project: &str, name: &str) -> Option<&Result<String, String>> {
        self.issue_templates
            .iter()
            .find(|((p, n), _)| p == project && n == name)
            .map(|(_, text)| text)
    }
}

/// The hires a run considers, each with what is due: roster hires from `create_days_before`
/// working days before their start until [`CATCH_UP_DAYS`] after it (every hire, with
/// [`Scope::Everything`]), and `manual`, which is due at once.
fn considered<'a>(
    config: &'a Config,
    today: NaiveDate,
    scope: Scope,
    manual: Option<&'a NewHire>,
) -> Vec<(&'a NewHire, Action)> {
    let mut hires: Vec<(&NewHire, Action)> = config
        .new_hires
        .iter()
        .filter(|h| scope == Scope::Everything || today <= days_after(h.start, CATCH_UP_DAYS))
        .filter(|h| manual.is_none_or(|m| m.username != h.username))
        .filter_map(|hire| {
            let team = config.team(&hire.team)?;
            let window_start = config
                .calendars
                .for_person(&hire.username)
                .sub_working_days(hire.start, team.onboarding.create_days_before);
            Some((hire, due_from(today, window_start)))
        })
        .collect();
    hires.extend(manual.map(|hire| (hire, Action::Create)));
    hires
}

/// What `hire`'s issue is made of: the team's base template, then the parts that fit the
/// hire, in config order.
fn template_sources(team: &Team, hire: &NewHire) -> Vec<TemplateSource> {
    let base = match &team.onboarding.issue_template {
        Some(name) => TemplateSource::IssueTemplate(name.clone()),
        None => TemplateSource::File(team.templates.onboarding.clone()),
    };
    let parts = team
        .onboarding
        .parts
        .iter()
        .filter(|part| part.applies_to(hire))
        .map(|part| part.source.clone());
    std::iter::once(base).chain(parts).collect()
}

/// Reads what planning needs from GitLab: the project issue templates of the hires due now,
/// each once, and (on a scheduled run, without `manual`) the open onboarding issues to
/// remind on. Without a tracker (an offline preview) nothing is read.
pub async fn gather<T: IssueTracker>(
    tracker: Option<&T>,
    config: &Config,
    today: NaiveDate,
    manual: Option<&NewHire>,
    feed_texts: Vec<Result<String, String>>,
) -> Facts {
    // Buddies are suggested among the teammates of hires due now: their absences count.
    let mut teammates: Vec<&str> = Vec::new();
    for (hire, action) in considered(config, today, Scope::Upcoming, manual) {
        if action != Action::Create || hire.buddy.is_some() {
            continue;
        }
        for member in config.team(&hire.team).iter().flat_map(|t| &t.members) {
            if !teammates.contains(&member.username.as_str()) {
                teammates.push(&member.username);
            }
        }
    }
    let Some(tracker) = tracker else {
        let away =
            crate::absence::Facts::gather(tracker, config, today, feed_texts, &teammates).await;
        return Facts {
            away,
            ..Facts::default()
        };
    };
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (hire, action) in considered(config, today, Scope::Upcoming, manual) {
        let Some(team) = config.team(&hire.team) else {
            continue;
        };
        if action != Action::Create {
            continue;
        }
        for source in template_sources(team, hire) {
            if let TemplateSource::IssueTemplate(name) = source {
                let entry = (team.onboarding.project.clone(), name);
                if !wanted.contains(&entry) {
                    wanted.push(entry);
                }
            }
        }
    }
    let texts = join_all(wanted.iter().map(|(project, name)| async move {
        let path = TemplateSource::issue_template_path(name);
        tracker
            .read_file(project, &path, None)
            .await
            .map_err(|e| match e {
                TrackerError::NotFound(_) => {
                    format!("{project} has no issue template `{path}` on its default branch")
                }
                other => format!("cannot read the issue template `{path}` of {project}: {other}"),
            })
    }))
    .await;

    let mut projects: Vec<&str> = Vec::new();
    if manual.is_none() {
        let reads_open =
            |t: &&Team| t.onboarding.remind_overdue || !t.onboarding.follow_ups.is_empty();
        for team in config.teams.iter().filter(reads_open) {
            if !projects.contains(&team.onboarding.project.as_str()) {
                projects.push(&team.onboarding.project);
            }
        }
    }
    let open = join_all(projects.iter().map(|project| async move {
        let query = IssueQuery {
            labels: vec![KIND_LABEL.to_owned()],
            state: Some(IssueState::Opened),
            ..IssueQuery::default()
        };
        let listed = tracker.list_issues(project, &query).await;
        ((*project).to_owned(), listed.map_err(|e| e.to_string()))
    }))
    .await;
    // The people the follow-ups address: their GitLab status counts as their absence too.
    let addressed: Vec<String> = open
        .iter()
        .filter_map(|(_, listed)| listed.as_ref().ok())
        .flatten()
        .filter_map(|issue| {
            let hire = key_in(&issue.description)?
                .strip_prefix("onboarding/")?
                .to_owned();
            let record = super::follow_ups::HireRecord::read(&issue.description)?;
            Some([Some(hire), record.manager, record.buddy])
        })
        .flatten()
        .flatten()
        .collect();
    for person in &addressed {
        if !teammates.contains(&person.as_str()) {
            teammates.push(person);
        }
    }
    let away =
        crate::absence::Facts::gather(Some(tracker), config, today, feed_texts, &teammates).await;
    Facts {
        issue_templates: wanted.into_iter().zip(texts).collect(),
        open,
        away,
    }
}

/// Where the text of a template comes from, in a form ready to render: a project issue
/// template as read by [`gather`], or a stand-in when it was not read (an offline preview, or
/// an issue not due yet).
fn template_text(
    source: &TemplateSource,
    project: &str,
    facts: &Facts,
) -> Result<Template, String> {
    match source {
        TemplateSource::File(template) => Ok(template.clone()),
        TemplateSource::IssueTemplate(name) => {
            let path = TemplateSource::issue_template_path(name);
            let label = format!("{project}:{path}");
            match facts.issue_template(project, name) {
                Some(Ok(text)) => Ok(Template::new(label, text.clone())),
                Some(Err(why)) => Err(why.clone()),
                None => Ok(Template::new(
                    label,
                    format!(
                        "_The issue template `{path}` of {project} is read from GitLab when the issue is created._"
                    ),
                )),
            }
        }
    }
}

/// Plans onboarding issues for the hires `considered` now, from the templates and issues
/// `facts` holds, and (on a scheduled run) one reminder on each overdue onboarding issue.
pub fn plan(
    config: &Config,
    today: NaiveDate,
    scope: Scope,
    manual: Option<&NewHire>,
    facts: &Facts,
) -> Result<JobReport, JobError> {
    let hires = considered(config, today, scope, manual);
    let mut plans = Plans::new(config);
    let (absences, absence_warnings) = facts.away.absences(config);
    if !hires.is_empty() {
        plans.report.warnings.extend(facts.away.read_warnings());
        plans.report.warnings.extend(absence_warnings);
    }
    // Buddies already given, then those suggested in this run, with their hire's start.
    let mut assigned: Vec<(String, NaiveDate)> = config
        .new_hires
        .iter()
        .filter_map(|h| h.buddy.clone().map(|b| (b, h.start)))
        .collect();
    for (hire, action) in hires {
        let Some(team) = config.team(&hire.team) else {
            continue; // validated: every hire names a team
        };
        let calendar = config.calendars.for_person(&hire.username);
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
        // A roster hire without a manager reports to the team's engineering manager.
        let mut hire = hire.clone();
        if hire.manager.is_none() {
            hire.manager = team
                .with_role("engineering-manager")
                .next()
                .map(|m| m.username.clone());
        }
        let hire = &hire;
        let manager = hire.manager.as_deref();
        if manager.is_none() {
            plans.report.warnings.push(format!(
                "onboarding/{}: no manager given and team {} has no engineering-manager",
                hire.username, team.id
            ));
        }
        // The base template and the parts for this hire, in config order.
        let project = &team.onboarding.project;
        let texts: Result<Vec<Template>, String> = template_sources(team, hire)
            .iter()
            .map(|source| template_text(source, project, facts))
            .collect();
        let texts = match texts {
            Ok(texts) => texts,
            Err(why) => {
                plans.report.errors.push(format!(
                    "{}: {why}; add it to the project's default branch or change teams[{}].onboarding; not created",
                    key(&hire.username),
                    team.id
                ));
                continue;
            }
        };
        let mut templates = Vec::with_capacity(texts.len());
        for text in &texts {
            match text.with_placeholders(PLACEHOLDERS) {
                Ok(template) => templates.push(template),
                Err(e) => plans.template_error(e),
            }
        }
        if templates.len() != texts.len() {
            continue;
        }
        let base = templates.remove(0);
        // The buddy must be there in every week the templates give them tasks.
        let suggestion = match &hire.buddy {
            Some(_) => None,
            None => {
                let suggestion = buddy::suggest(
                    config,
                    team,
                    hire,
                    &assigned,
                    &absences,
                    &buddy::buddy_weeks(texts.iter().map(Template::text)),
                );
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
                "location": hire.location,
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
            project,
            template: &base,
            parts: templates,
            default_title: Some(DEFAULT_TITLE),
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
        let record = super::follow_ups::HireRecord {
            start: hire.start,
            manager: manager.map(str::to_owned),
            buddy: buddy.clone(),
            created: today,
        };
        if let Some(plan) = plans.add(draft) {
            plan.record = Some(record.line());
        }
    }
    if manual.is_none() {
        remind_overdue(&mut plans.report, config, today, facts);
        super::follow_ups::add_due(&mut plans, config, today, &absences, &facts.open);
    }
    plans.finish()
}

/// Adds one reminder to each open onboarding issue past its due date: to the plan of its key
/// when this run has one, else as a plan of its own for the issue as it is. The reminder is
/// named after the due date, so it is posted once; moving the due date re-arms it.
fn remind_overdue(report: &mut JobReport, config: &Config, today: NaiveDate, facts: &Facts) {
    for (project, open) in &facts.open {
        // The project may be read only for follow-ups, by teams that asked for no reminder.
        let reminds = config.teams.iter().any(|t| {
            t.onboarding.remind_overdue && t.onboarding.project.eq_ignore_ascii_case(project)
        });
        if !reminds && open.is_ok() {
            continue;
        }
        let issues = match open {
            Ok(issues) => issues,
            Err(e) => {
                report.errors.push(format!(
                    "could not read the open onboarding issues of {project} to remind on \
                     overdue ones: {e}; re-run to try again"
                ));
                continue;
            }
        };
        for issue in issues {
            let Some(due) = issue.due_date.filter(|due| *due < today) else {
                continue;
            };
            let Some(key) = key_in(&issue.description).filter(|k| k.starts_with("onboarding/"))
            else {
                continue;
            };
            let reminder = FollowUp::Note {
                id: format!("overdue:{}", ymd(due)),
                body: reminder(due, &issue.assignees),
            };
            if let Some(plan) = report
                .issues
                .iter_mut()
                .find(|p| p.key == key && p.project == *project)
            {
                plan.follow_ups.push(reminder);
                continue;
            }
            report
                .issues
                .push(IssuePlan::on_existing(&key, project, issue, vec![reminder]));
        }
    }
}

/// The reminder on an onboarding issue still open after `due`, addressed to its assignees.
pub fn reminder(due: NaiveDate, assignees: &[String]) -> String {
    let mentions = mentions(assignees.iter().map(String::as_str));
    let who = if mentions.is_empty() {
        "Please".to_owned()
    } else {
        format!("{mentions}: please")
    };
    format!(
        "This onboarding issue was due on {} and is still open. {who} finish or hand over the \
         remaining tasks and close it, or move the due date if onboarding needs longer.",
        ymd(due)
    )
}

/// The stable key of a new hire's onboarding issue.
pub fn key(username: &str) -> String {
    format!("onboarding/{username}")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::apply::with_marker;
    use crate::config::SourceFiles;
    use crate::jobs::plan_for;

    /// Files next to the config: the template parts.
    struct Parts;

    impl SourceFiles for Parts {
        fn read_to_string(&self, path: &str) -> std::io::Result<String> {
            match path {
                "parts/backend.md" => Ok("## Backend\n\n- [ ] Run the API locally".to_owned()),
                "parts/emea.md" => Ok("## EMEA\n\n- [ ] Join #emea-social".to_owned()),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    path.to_owned(),
                )),
            }
        }
    }

    fn config(onboarding: &str) -> Config {
        let text = format!(
            "teams:
  - id: t
    name: Team
    project: g/p
    members:
      - {{ username: alice, name: A, role: engineering-manager }}
      - {{ username: bob, name: B, role: backend-engineer }}
    onboarding: {onboarding}
new_hires:
  - {{ username: dave, name: Dave, team: t, role: backend-engineer, start: 2026-12-07, buddy: bob, location: EMEA }}
  - {{ username: fay, name: Fay, team: t, role: frontend-engineer, start: 2026-12-07, buddy: bob }}
  - {{ username: gil, name: Gil, team: t, role: backend-engineer, start: 2026-12-08 }}
"
        );
        Config::parse("team.yml", &text, &Parts).expect("valid config")
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn facts_with(template: Result<&str, &str>) -> Facts {
        Facts {
            issue_templates: vec![(
                ("g/p".to_owned(), "Developer onboarding".to_owned()),
                template.map(str::to_owned).map_err(str::to_owned),
            )],
            open: Vec::new(),
            away: Default::default(),
        }
    }

    #[test]
    fn a_project_issue_template_has_its_gitlab_placeholders_filled() {
        let config = config("{ issue_template: Developer onboarding }");
        let template = "Welcome %{new_team_member} (%{new_team_member_name})!\n\
                        Buddy: %{buddy}, manager: %{manager}, from %{start_date} to %{due_date}.\n\
                        /label ~\"onboarding::new\"";
        let report = plan(
            &config,
            date("2026-12-01"),
            Scope::Upcoming,
            None,
            &facts_with(Ok(template)),
        )
        .expect("plans");
        let dave = plan_for(&report, "onboarding/dave");
        assert_eq!(dave.action, Action::Create);
        assert_eq!(
            dave.title,
            "Onboarding Dave (backend-engineer), starting 2026-12-07"
        );
        assert_eq!(
            dave.description,
            "Welcome @dave (Dave)!\nBuddy: @bob, manager: @alice, from 2026-12-07 to 2027-01-06.\n\
             /label ~\"onboarding::new\""
        );
    }

    #[test]
    fn an_issue_template_that_cannot_be_read_stops_that_hire_only() {
        let config = config("{ issue_template: Developer onboarding }");
        let facts = facts_with(Err(
            "g/p has no issue template `.gitlab/issue_templates/Developer onboarding.md` on its default branch",
        ));
        let report =
            plan(&config, date("2026-12-01"), Scope::Upcoming, None, &facts).expect("plans");
        assert!(report.issues.iter().all(|p| p.action != Action::Create));
        assert_eq!(
            report.errors[0],
            "onboarding/dave: g/p has no issue template `.gitlab/issue_templates/Developer \
             onboarding.md` on its default branch; add it to the project's default branch or \
             change teams[t].onboarding; not created"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_a_template_problem_with_its_place() {
        let config = config("{ issue_template: Developer onboarding }");
        let facts = facts_with(Ok("Hello\nWelcome %{new_hire}!"));
        let error = plan(&config, date("2026-12-01"), Scope::Upcoming, None, &facts)
            .expect_err("unknown placeholder");
        let text = error.to_string();
        assert!(
            text.contains("g/p:.gitlab/issue_templates/Developer onboarding.md:2:9"),
            "{text}"
        );
        assert!(text.contains("unknown placeholder `%{new_hire}`"), "{text}");
    }

    #[test]
    fn parts_are_chosen_by_role_and_location_in_config_order() {
        let config = config(
            "{ parts: [
                { file: parts/emea.md, location: EMEA },
                { file: parts/backend.md, role: [backend-engineer, fullstack-engineer] },
                { issue_template: Frontend, role: frontend-engineer } ] }",
        );
        let report = plan(
            &config,
            date("2026-12-01"),
            Scope::Upcoming,
            None,
            &Facts::default(),
        )
        .expect("plans");
        let dave = &plan_for(&report, "onboarding/dave").description;
        let emea = dave.find("## EMEA").expect("EMEA part");
        let backend = dave.find("## Backend").expect("backend part");
        assert!(dave.find("## Week 4").expect("base") < emea && emea < backend);
        assert!(!dave.contains("issue template `.gitlab/issue_templates/Frontend.md`"));
        let fay = &plan_for(&report, "onboarding/fay").description;
        assert!(
            !fay.contains("## EMEA") && !fay.contains("## Backend"),
            "{fay}"
        );
        // Not read offline: the preview says where the text will come from.
        assert!(fay.ends_with(
            "_The issue template `.gitlab/issue_templates/Frontend.md` of g/p is read from \
             GitLab when the issue is created._"
        ));
    }

    #[test]
    fn a_hire_without_a_manager_reports_to_the_teams_engineering_manager() {
        let report = plan(
            &config("{}"),
            date("2026-12-01"),
            Scope::Upcoming,
            None,
            &Facts::default(),
        )
        .expect("plans");
        let gil = plan_for(&report, "onboarding/gil");
        // The manager is not suggested as the buddy as well.
        assert_eq!(gil.assignees, ["gil", "bob", "alice"]);
        assert!(
            gil.description.contains("alice is the manager"),
            "{}",
            gil.description
        );
        assert!(
            report.warnings.iter().all(|w| !w.contains("no manager")),
            "{:?}",
            report.warnings
        );
    }

    fn onboarding_issue(iid: u64, key: &str, due: &str) -> TrackedIssue {
        TrackedIssue {
            project: "g/p".to_owned(),
            iid,
            title: format!("Onboarding {key}"),
            description: with_marker("Welcome!", key),
            state: IssueState::Opened,
            labels: vec![KIND_LABEL.to_owned()],
            assignees: vec!["dave".to_owned(), "alice".to_owned(), "all".to_owned()],
            milestone: None,
            due_date: Some(date(due)),
            confidential: true,
            web_url: format!("https://gitlab.example/g/p/-/issues/{iid}"),
            created_at: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap(),
            closed_at: None,
            weight: None,
            user_notes_count: None,
            merge_requests_count: None,
        }
    }

    #[test]
    fn overdue_open_issues_get_one_reminder_to_their_assignees() {
        let config = config("{}");
        let facts = Facts {
            issue_templates: Vec::new(),
            open: vec![(
                "g/p".to_owned(),
                Ok(vec![
                    onboarding_issue(1, "onboarding/gus", "2026-11-30"),
                    onboarding_issue(2, "onboarding/hal", "2026-12-01"),
                    onboarding_issue(3, "planning/t/19.8", "2026-11-01"),
                ]),
            )],
            away: Default::default(),
        };
        let report =
            plan(&config, date("2026-12-01"), Scope::Upcoming, None, &facts).expect("plans");
        let gus = plan_for(&report, "onboarding/gus");
        assert_eq!(gus.action, Action::Exists);
        assert_eq!(
            gus.follow_ups,
            [FollowUp::Note {
                id: "overdue:2026-11-30".to_owned(),
                body: "This onboarding issue was due on 2026-11-30 and is still open. @dave \
                       @alice: please finish or hand over the remaining tasks and close it, or \
                       move the due date if onboarding needs longer."
                    .to_owned(),
            }]
        );
        // Due today is not overdue; another job's issue is not this job's to remind on.
        assert!(!report.issues.iter().any(|p| p.key == "onboarding/hal"));
        assert!(!report.issues.iter().any(|p| p.key == "planning/t/19.8"));

        // A manual run creates its one issue and reminds nobody.
        let manual = manual_hire(
            &config,
            ManualHire {
                username: "ivy".to_owned(),
                start: Some(date("2027-01-11")),
                ..ManualHire::default()
            },
        )
        .expect("hire");
        let report = plan(
            &config,
            date("2026-12-01"),
            Scope::Upcoming,
            Some(&manual),
            &facts,
        )
        .expect("plans");
        assert!(report.issues.iter().all(|p| {
            p.follow_ups
                .iter()
                .all(|f| !matches!(f, FollowUp::Note { id, .. } if id.starts_with("overdue:")))
        }));
    }
}
