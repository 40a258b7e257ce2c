//! The three jobs: each turns the configuration and a date into issue plans.
//!
//! A job decides what is due on `today` and renders each issue from its template. It never
//! writes anything: applying plans is the adapter's business.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::config::Config;
use crate::plan::{Action, FollowUp, IssuePlan, JobReport, push_unique};
use crate::team::{Member, Team};
use crate::template::{RenderedIssue, Renderer, Template, TemplateError};

pub mod async_updates;
pub mod buddy;
pub mod follow_ups;
pub mod onboarding;
pub mod planning;
pub mod pto;
pub mod recurring;
pub mod retrospective;
pub mod sync;
pub mod touch;
pub mod work;

/// Which plans a job makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// What a scheduled run looks at: things due now, and the next upcoming ones as skips.
    Upcoming,
    /// Every entry in the configuration, past or future, plus a sample where a team has
    /// none, so that `teamcadence check` renders every template with real data.
    Everything,
}

/// Why a job could not plan at all.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// One or more templates do not render; nothing is applied.
    #[error("{} template problem{}:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, render_list(.0))]
    Templates(Vec<TemplateError>),
    /// The input given on the command line or in variables is not usable.
    #[error("{0}")]
    Input(String),
}

fn render_list(errors: &[TemplateError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Formats a date as GitLab and templates expect it.
pub(crate) fn ymd(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The date that is `days` days before `date`, or the first date there is. Config dates are
/// bounded, but dates read from GitLab (a milestone's start) are not, and a run must not
/// panic on one.
pub(crate) fn days_before(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// The date that is `days` days after `date`, or the last date there is (see
/// [`days_before`]).
pub(crate) fn days_after(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The team as templates see it.
pub(crate) fn team_json(team: &Team) -> Value {
    json!({
        "id": team.id,
        "name": team.name,
        "project": team.project,
        "labels": team.labels,
        "boards": team.boards,
        "about": team.about,
    })
}

/// A person as templates see them.
pub(crate) fn person_json(member: &Member) -> Value {
    json!({
        "username": member.username,
        "name": member.name,
        "role": member.role,
        "timezone": member.timezone.name(),
    })
}

/// A person by username, with their details where the configuration knows them.
pub(crate) fn person_by_username(config: &Config, username: &str) -> Value {
    match config.member(username) {
        Some((_, member)) => person_json(member),
        None => json!({ "username": username, "name": username, "role": null, "timezone": null }),
    }
}

/// What a job knows about one issue before it is rendered.
pub(crate) struct Draft<'a> {
    pub(crate) key: String,
    pub(crate) action: Action,
    pub(crate) project: &'a str,
    pub(crate) template: &'a Template,
    /// Templates whose text is appended to the description, in order (no front matter).
    pub(crate) parts: Vec<Template>,
    /// The title when the template gives none (a handlebars template).
    pub(crate) default_title: Option<&'static str>,
    pub(crate) context: Value,
    pub(crate) labels: Vec<&'a [String]>,
    /// The job's kind label, always last.
    pub(crate) kind: &'static str,
    pub(crate) assignees: Vec<String>,
    pub(crate) milestone: Option<String>,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) confidential: bool,
    pub(crate) follow_ups: Vec<FollowUp>,
    /// Comments to post once the issue exists: (name, template rendered with `context`).
    pub(crate) notes: Vec<(String, Template)>,
}

impl Draft<'_> {
    /// Renders the template and merges what the template says with what the job decided:
    /// labels and assignees from both, the template's due date and confidentiality winning.
    pub(crate) fn render(self, renderer: &Renderer) -> Result<IssuePlan, TemplateError> {
        let RenderedIssue {
            title,
            labels: template_labels,
            assignees: template_assignees,
            due_date,
            confidential,
            description,
        } = renderer.render(self.template, &self.context)?;
        let title = if title.trim().is_empty() {
            let Some(default) = self.default_title else {
                return Err(TemplateError::new(
                    self.template,
                    Some(1),
                    None,
                    "the template gives the issue no title: start it with front matter that \
                     has one (`---`, `title: \"...\"`, `---`)"
                        .to_owned(),
                ));
            };
            let default = Template::new(
                format!("the default title of {}", self.template.name()),
                format!("---\ntitle: {default:?}\n---\n"),
            );
            renderer.render(&default, &self.context)?.title
        } else {
            title
        };
        let mut description = description;
        for part in &self.parts {
            let text = renderer.render_text(part, &self.context)?;
            if !text.is_empty() {
                description.push_str("\n\n");
                description.push_str(&text);
            }
        }
        let mut follow_ups = self.follow_ups;
        for (id, template) in &self.notes {
            follow_ups.push(FollowUp::Note {
                id: id.clone(),
                body: renderer.render_text(template, &self.context)?,
            });
        }
        let mut labels = Vec::new();
        for label in self
            .labels
            .iter()
            .flat_map(|l| l.iter())
            .chain(&template_labels)
        {
            push_unique(&mut labels, label);
        }
        push_unique(&mut labels, self.kind);
        let mut assignees = Vec::new();
        for username in template_assignees.iter().chain(&self.assignees) {
            push_unique(&mut assignees, username);
        }
        Ok(IssuePlan {
            key: self.key,
            action: self.action,
            project: self.project.to_owned(),
            title,
            description,
            record: None,
            labels,
            assignees,
            milestone: self.milestone,
            due_date: due_date.or(self.due_date),
            confidential: confidential.unwrap_or(self.confidential),
            web_url: None,
            error: None,
            follow_ups,
            done: Vec::new(),
        })
    }
}

/// A job's plans as they are rendered. Template problems are gathered rather than stopped
/// at, so that one run reports them all.
pub(crate) struct Plans {
    renderer: Renderer,
    /// The report so far; jobs add warnings and errors to it directly.
    pub(crate) report: JobReport,
    template_errors: Vec<TemplateError>,
}

impl Plans {
    pub(crate) fn new(config: &Config) -> Self {
        Plans {
            renderer: Renderer::new(config.calendars.clone()),
            report: JobReport::default(),
            template_errors: Vec::new(),
        }
    }

    /// Renders `draft` into a plan and returns it, or records why it does not render.
    pub(crate) fn add(&mut self, draft: Draft<'_>) -> Option<&mut IssuePlan> {
        match draft.render(&self.renderer) {
            Ok(plan) => {
                self.report.issues.push(plan);
                self.report.issues.last_mut()
            }
            Err(e) => {
                self.template_errors.push(e);
                None
            }
        }
    }

    /// Records a template problem found before rendering.
    pub(crate) fn template_error(&mut self, error: TemplateError) {
        self.template_errors.push(error);
    }

    /// The template problems, each once: every issue rendered from a broken template
    /// meets the same problem, and one line says it.
    fn distinct_template_errors(self) -> Vec<TemplateError> {
        let mut distinct: Vec<TemplateError> = Vec::new();
        for error in self.template_errors {
            if !distinct.contains(&error) {
                distinct.push(error);
            }
        }
        distinct
    }

    pub(crate) fn finish(self) -> Result<JobReport, JobError> {
        if self.template_errors.is_empty() {
            Ok(self.report)
        } else {
            Err(JobError::Templates(self.distinct_template_errors()))
        }
    }
}

/// The action for something due from `window_start` on.
pub(crate) fn due_from(today: NaiveDate, window_start: NaiveDate) -> Action {
    if today >= window_start {
        Action::Create
    } else {
        Action::Skip(format!("not due until {}", ymd(window_start)))
    }
}

/// What `teamcadence check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// How many issues were rendered.
    pub rendered: usize,
    /// Every problem, one paragraph each; empty when all is well.
    pub problems: Vec<String>,
    /// What is valid but probably wrong (time off recorded twice with different dates), one
    /// sentence each.
    pub warnings: Vec<String>,
    /// The template problems among `problems`, with their template and line, so that a
    /// report can point at the template file (a Code Quality report in a merge request).
    pub template_problems: Vec<TemplateError>,
}

/// Renders every template of every team with the configuration's data: each team's next
/// planning issue, every time off and every new hire, and a sample absence and hire for
/// teams that have none, so that a broken template cannot hide until the day it is due.
pub fn check(config: &Config, today: NaiveDate) -> CheckReport {
    let mut report = CheckReport::default();
    // Time off that disagrees with itself is counted once, but someone should correct it.
    let (absences, _) = crate::absence::Facts::default().absences(config);
    report.warnings = absences.iter().flat_map(|a| a.disagreements()).collect();
    let mut record = |result: Result<crate::plan::JobReport, JobError>| match result {
        Ok(job) => {
            report.rendered += job.issues.len();
            report.problems.extend(job.errors);
        }
        // Several jobs and samples render the same templates: each problem is said once.
        Err(JobError::Templates(errors)) => {
            for error in errors {
                let text = error.to_string();
                if !report.problems.contains(&text) {
                    report.problems.push(text);
                    report.template_problems.push(error);
                }
            }
        }
        Err(e) => {
            let text = e.to_string();
            if !report.problems.contains(&text) {
                report.problems.push(text);
            }
        }
    };
    record(planning::plan(
        config,
        today,
        &planning::offline_facts(config, today),
    ));
    record(pto::plan(
        config,
        today,
        Scope::Everything,
        None,
        &pto::Facts::default(),
    ));
    record(recurring::plan(
        config,
        today,
        Scope::Everything,
        &recurring::Facts::default(),
    ));
    // Notes, not issues: they count among the problems, never among the issues rendered.
    let mut notes = Plans::new(config);
    follow_ups::render_samples(&mut notes, config, today);
    record(notes.finish());
    // The rituals' templates, with sample data where GitLab would give it.
    record(async_updates::check(config, today));
    let noon = today
        .and_hms_opt(12, 0, 0)
        .map_or_else(chrono::Utc::now, |t| t.and_utc());
    let no_agendas = config
        .teams
        .iter()
        .map(|_| Ok(sync::TeamFacts::default()))
        .collect();
    record(sync::plan(config, noon, &no_agendas).map(|p| p.report));
    record(
        retrospective::plan(config, today, &retrospective::offline_facts(config, today))
            .map(|p| p.report),
    );
    let no_facts = onboarding::Facts::default();
    record(onboarding::plan(
        config,
        today,
        Scope::Everything,
        None,
        &no_facts,
    ));
    for team in &config.teams {
        let Some(member) = team.members.first() else {
            continue;
        };
        let has_time_off = config
            .time_off
            .iter()
            .any(|t| team.member(t.person()).is_some());
        if !has_time_off {
            let first = days_after(today, 14);
            if let Ok(sample) =
                crate::time_off::TimeOff::new(&member.username, first, days_after(first, 11))
            {
                record(pto::plan(
                    config,
                    today,
                    Scope::Upcoming,
                    Some(sample),
                    &pto::Facts::default(),
                ));
            }
        }
        if !config.new_hires.iter().any(|h| h.team == team.id) {
            let sample = onboarding::ManualHire {
                username: "sample-new-hire".to_owned(),
                start: Some(days_after(today, 7)),
                team: Some(team.id.clone()),
                ..onboarding::ManualHire::default()
            };
            record(onboarding::manual_hire(config, sample).and_then(|hire| {
                onboarding::plan(config, today, Scope::Upcoming, Some(&hire), &no_facts)
            }));
        }
    }
    report
}

/// The plan of `key` in a report, for tests.
#[cfg(test)]
pub(crate) fn plan_for<'a>(report: &'a JobReport, key: &str) -> &'a IssuePlan {
    report
        .issues
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no plan for {key} in {report:#?}"))
}
