//! Teams, their members, responsibilities and new hires, as validated from the configuration.

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use crate::template::Template;
use crate::time_off::CoverageRule;

/// A team that teamcadence plans for.
#[derive(Debug, Clone)]
pub struct Team {
    /// Short stable identifier used in issue keys, for example `code-creation`.
    pub id: String,
    /// Display name, for example `Code Creation`.
    pub name: String,
    /// Full path of the team's GitLab project.
    pub project: String,
    /// Labels every issue of this team carries (for example `group::code creation`).
    pub labels: Vec<String>,
    /// Current members.
    pub members: Vec<Member>,
    /// Issue board links shown in the planning issue.
    pub boards: Vec<Board>,
    /// Duties that need a backup while their owner is away.
    pub responsibilities: Vec<Responsibility>,
    /// Where this team's milestones come from, when not from the config's `milestones`.
    pub milestones: Option<crate::config::Milestones>,
    /// How the planning issue is made.
    pub planning: PlanningSettings,
    /// How PTO coverage issues are made.
    pub pto: PtoSettings,
    /// How onboarding issues are made.
    pub onboarding: OnboardingSettings,
    /// The team's own recurring issues.
    pub recurring: Vec<crate::jobs::recurring::RecurringIssue>,
    /// How to reach the team: what onboarding issues tell a new member.
    pub about: About,
    /// The templates this team's issues are rendered from.
    pub templates: TeamTemplates,
    /// The weekly async updates, the weekly sync and the retrospective.
    pub rituals: crate::rituals::Rituals,
}

impl Team {
    /// The member with this username, if any.
    pub fn member(&self, username: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.username == username)
    }

    /// Members whose role is `role`, in config order.
    pub fn with_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.members.iter().filter(move |m| m.role == role)
    }

    /// Responsibilities `username` holds: those naming them as owner, and team-wide ones
    /// (no owners listed).
    pub fn responsibilities_of<'a>(
        &'a self,
        username: &'a str,
    ) -> impl Iterator<Item = &'a Responsibility> + 'a {
        self.responsibilities
            .iter()
            .filter(move |r| r.owners.is_empty() || r.owners.iter().any(|o| o == username))
    }
}

/// How to reach a team and where it writes things down.
#[derive(Debug, Clone, Default, Serialize)]
pub struct About {
    /// The team's GitLab group handles, such as `@gitlab-org/code-creation`.
    pub handles: Vec<String>,
    /// Its chat channels, such as `#g_code-creation`.
    pub chat_channels: Vec<String>,
    /// Links to its pages (handbook, team page, runbooks).
    pub pages: Vec<Board>,
}

/// A person on a team.
#[derive(Debug, Clone)]
pub struct Member {
    /// GitLab username, without `@`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role, for example `engineering-manager` or `backend-engineer`.
    pub role: String,
    /// The member's IANA time zone.
    pub timezone: Tz,
    /// Which days are the member's weekend.
    pub weekend: Vec<Weekday>,
    /// Id of the holiday calendar the member observes, if any.
    pub holidays: Option<String>,
    /// First day at the company.
    pub joined: Option<NaiveDate>,
    /// Username of the member's manager.
    pub manager: Option<String>,
}

/// A link to an issue board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// What the board shows, for example `Workflow board`.
    pub name: String,
    /// Its address.
    pub url: String,
}

/// How urgent a responsibility is while its owner is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    /// Must be covered every day.
    High,
    /// Should be covered.
    Medium,
    /// Can wait or be parked.
    Low,
}

impl Priority {
    /// The spelling used in configs and issues: `HIGH`, `MEDIUM`, `LOW`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "HIGH",
            Priority::Medium => "MEDIUM",
            Priority::Low => "LOW",
        }
    }
}

/// A duty that someone must pick up while its owner is away.
#[derive(Debug, Clone)]
pub struct Responsibility {
    /// What the duty is, for example `Triage rotation`.
    pub name: String,
    /// How urgent it is.
    pub priority: Priority,
    /// Where it is tracked.
    pub link: Option<String>,
    /// Usernames who can cover it, in order of preference.
    pub covered_by: Vec<String>,
    /// Usernames who hold it; empty means the whole team shares it.
    pub owners: Vec<String>,
}

/// Settings of the planning job for one team.
#[derive(Debug, Clone)]
pub struct PlanningSettings {
    /// Labels of the planning issue.
    pub labels: Vec<String>,
    /// Roles whose members are assigned the planning issue.
    pub assign_roles: Vec<String>,
    /// How many days before a milestone starts its planning issue is due.
    pub create_days_before_start: u32,
    /// Whether the planning issue is confidential.
    pub confidential: bool,
    /// Whether the issue is linked to the previous milestone's planning issue.
    pub link_previous: bool,
    /// Whether the previous milestone's planning issue is closed, with a note.
    pub close_previous: bool,
    /// Per-role checklists, in order.
    pub checklists: Vec<Checklist>,
    /// Starter discussion threads, posted once each as comments on the new issue.
    pub threads: Vec<Thread>,
    /// How the team's velocity is measured.
    pub velocity: VelocitySettings,
    /// Which parts about the team's work the issue shows, and how they are counted.
    pub work: WorkSettings,
}

/// The planning issue's parts about the team's real work (issue 18): each can be turned off,
/// and the team's template decides where and whether each shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSettings {
    /// Whether the open issues of the milestone that is ending are listed (carry-over).
    pub carry_over: bool,
    /// Whether the deliverables of the last finished milestone not closed within it are listed.
    pub slipped: bool,
    /// The label that marks a committed issue.
    pub deliverable_label: String,
    /// Whether the next milestone's unweighted issues are listed with suggested refiners.
    pub refinement: bool,
    /// How many issues each engineer is suggested to refine (1 or 2).
    pub refinement_per_person: u32,
    /// The roles whose members refine; empty: everyone the planning issue is not assigned to.
    pub refinement_roles: Vec<String>,
    /// The share, in percent, of a new hire's available days their first milestone counts.
    pub ramp_up_percent: u32,
    /// How the weight budget splits by discipline, when the team labels work that way.
    pub disciplines: Vec<Discipline>,
    /// Whether the Mermaid chart of the milestone and the absences is drawn.
    pub gantt: bool,
    /// The most people the chart draws; a larger team gets the capacity table alone.
    pub gantt_max_members: u32,
    /// Whether the issue links the coverage issues of time off in the milestone.
    pub link_coverage: bool,
    /// Whether a mid-milestone check-in note is posted on the planning issue.
    pub check_in: bool,
    /// The day of the check-in, counted from the milestone's start (0 is the first day);
    /// `None`: the middle of the milestone.
    pub check_in_day: Option<u32>,
}

/// A share of the weight budget: the work carrying `label`, done by people in `roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discipline {
    /// The label that marks its work (for example `frontend`).
    pub label: String,
    /// The roles whose available days count toward it; a role listed in several
    /// disciplines splits its days evenly between them (fullstack).
    pub roles: Vec<String>,
}

/// A checklist for the people in some roles; each item gets one checkbox per person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    /// Heading, for example "Engineering manager".
    pub title: String,
    /// Roles whose members the items are for.
    pub roles: Vec<String>,
    /// The tasks.
    pub items: Vec<ChecklistItem>,
}

/// One task of a checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    /// What to do.
    pub text: String,
    /// The step of the planning timeline it is due by, if it has a date: the date is computed
    /// for each milestone and moved to a working day of each person the task is for.
    pub due: Option<crate::milestone::PlanningStep>,
}

/// A starter discussion thread on the planning issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// Its name: the thread's heading, and what makes it unique on the issue.
    pub title: String,
    /// Its text, a handlebars template rendered with the planning issue's data.
    pub body: String,
}

/// Where a team's finished work is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueScope {
    /// The issues of one project (full path).
    Project(String),
    /// The issues of a group's projects, subgroups included (full path).
    Group(String),
}

/// How a team's velocity is measured: closed weight per working day in past milestones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VelocitySettings {
    /// Where the team's issues are.
    pub scope: IssueScope,
    /// Labels the team's issues carry (all of them); by default the team's labels.
    pub labels: Vec<String>,
    /// How many past milestones are counted; fewer than this is too short a history.
    pub milestones: u32,
}

/// Settings of the PTO coverage job for one team.
#[derive(Debug, Clone)]
pub struct PtoSettings {
    /// Project that holds the coverage issues (shared so that managers see them together).
    pub project: String,
    /// Labels of coverage issues.
    pub labels: Vec<String>,
    /// When time off needs a coverage issue.
    pub coverage: CoverageRule,
    /// How many days before the first day off the coverage issue is due.
    pub create_days_before: u32,
    /// Whether coverage issues are confidential.
    pub confidential: bool,
    /// Whether the coverage issue is closed once the person is back (after the note asking
    /// them to sync with their backups).
    pub close_after_return: bool,
    /// Whether the issue lists the person's open issues and review requests (impact).
    pub impact: bool,
    /// Whether the issue draws the Mermaid chart of the weeks around the time off.
    pub gantt: bool,
    /// Whether the issue is linked to the planning issue of each milestone it overlaps.
    pub link_planning: bool,
}

/// Settings of the onboarding job for one team.
#[derive(Debug, Clone)]
pub struct OnboardingSettings {
    /// Project that holds the onboarding issues.
    pub project: String,
    /// Labels of onboarding issues.
    pub labels: Vec<String>,
    /// How many working days before the start date the onboarding issue is due.
    pub create_days_before: u32,
    /// The issue's due date, in days after the start date.
    pub due_days_after_start: u32,
    /// The welcome comment posted once on the issue (a template; empty for none).
    pub welcome: String,
    /// Whether onboarding issues are confidential.
    pub confidential: bool,
    /// The project's own issue template to start from (a name in `.gitlab/issue_templates/`,
    /// read from GitLab when the job runs) instead of `templates.onboarding`.
    pub issue_template: Option<String>,
    /// Parts appended to the base template for the hires they apply to, in config order.
    pub parts: Vec<TemplatePart>,
    /// Whether a scheduled run reminds, once, on onboarding issues still open after their
    /// due date.
    pub remind_overdue: bool,
    /// Notes posted on the open onboarding issue on working days counted from the start.
    pub follow_ups: Vec<crate::jobs::follow_ups::OnboardingFollowUp>,
}

/// Where an onboarding template comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// A file next to the config, read when the config is.
    File(Template),
    /// `.gitlab/issue_templates/<name>.md` in the onboarding project, read from GitLab.
    IssueTemplate(String),
}

impl TemplateSource {
    /// The path of a project issue template called `name`.
    pub fn issue_template_path(name: &str) -> String {
        format!(".gitlab/issue_templates/{name}.md")
    }
}

/// A piece of the onboarding issue for some hires only: those whose role, location and team
/// are each among the listed ones (an empty list accepts anything).
#[derive(Debug, Clone)]
pub struct TemplatePart {
    /// The part's text.
    pub source: TemplateSource,
    /// Roles it applies to.
    pub roles: Vec<String>,
    /// Locations it applies to.
    pub locations: Vec<String>,
    /// Team ids it applies to.
    pub teams: Vec<String>,
}

impl TemplatePart {
    /// Whether the part belongs in `hire`'s issue.
    pub fn applies_to(&self, hire: &NewHire) -> bool {
        let accepts = |list: &[String], value: Option<&str>| {
            list.is_empty()
                || value
                    .is_some_and(|value| list.iter().any(|item| item.eq_ignore_ascii_case(value)))
        };
        accepts(&self.roles, Some(&hire.role))
            && accepts(&self.locations, hire.location.as_deref())
            && accepts(&self.teams, Some(&hire.team))
    }
}

/// The templates one team's issues are rendered from (the defaults, or the team's own).
#[derive(Debug, Clone)]
pub struct TeamTemplates {
    /// The milestone planning issue.
    pub planning: Template,
    /// The PTO coverage issue.
    pub pto: Template,
    /// The onboarding issue.
    pub onboarding: Template,
}

/// Someone joining a team.
#[derive(Debug, Clone)]
pub struct NewHire {
    /// GitLab username (the account may not exist yet).
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role, for example `backend-engineer`.
    pub role: String,
    /// Id of the team they join.
    pub team: String,
    /// First day at work.
    pub start: NaiveDate,
    /// Username of their manager.
    pub manager: Option<String>,
    /// Username of their onboarding buddy.
    pub buddy: Option<String>,
    /// Their IANA time zone.
    pub timezone: Tz,
    /// Id of the holiday calendar they observe, if any.
    pub holidays: Option<String>,
    /// Where they work from (for example `EMEA`), which picks onboarding template parts.
    pub location: Option<String>,
}
