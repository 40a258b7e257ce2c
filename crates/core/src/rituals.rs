//! The settings of the team rituals beyond the three issue jobs: weekly async status updates,
//! the weekly sync meeting and the milestone retrospective, as validated from a team's
//! `async_updates`, `weekly_sync` and `retrospective` sections (each optional, with the
//! handbook's defaults).

use chrono::{NaiveTime, TimeDelta, Weekday};
use chrono_tz::Tz;

use crate::template::Template;

/// A team's ritual settings.
#[derive(Debug, Clone)]
pub struct Rituals {
    /// The weekly async status updates.
    pub async_updates: AsyncUpdateSettings,
    /// The weekly sync meeting.
    pub weekly_sync: SyncSettings,
    /// The milestone retrospective.
    pub retrospective: RetrospectiveSettings,
}

/// How the weekly async status update prompts are posted.
#[derive(Debug, Clone)]
pub struct AsyncUpdateSettings {
    /// The project whose issues get a prompt.
    pub project: String,
    /// The update day, in each person's own time zone (the handbook's: Wednesday).
    pub day: Weekday,
    /// Only issues carrying all of these labels get a prompt (none: every issue).
    pub labels: Vec<String>,
    /// The roles whose members each prompt copies in (`/cc`).
    pub cc_roles: Vec<String>,
    /// Whether a weekly summary is posted on the current milestone's planning issue.
    pub summary: bool,
    /// The prompt's template (a comment: no front matter).
    pub template: Template,
}

/// When and how the weekly sync meeting's agenda is made and the meeting kept or cancelled.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// The project the agenda issues are created in.
    pub project: String,
    /// The meeting's weekday.
    pub day: Weekday,
    /// The meeting's time of day, in `timezone`.
    pub time: NaiveTime,
    /// The zone of the day and time.
    pub timezone: Tz,
    /// How long before the meeting an empty agenda cancels it.
    pub lead: TimeDelta,
    /// How many days before the meeting its agenda issue is created.
    pub create_days_before: u32,
    /// The agenda issue's labels.
    pub labels: Vec<String>,
    /// The label a cancelled meeting's agenda gets.
    pub cancelled_label: String,
    /// The agenda issue's template.
    pub template: Template,
}

/// How the milestone retrospective issue is made.
#[derive(Debug, Clone)]
pub struct RetrospectiveSettings {
    /// The project it is created in.
    pub project: String,
    /// Its labels.
    pub labels: Vec<String>,
    /// Whether it is confidential.
    pub confidential: bool,
    /// The label of the issues whose delivery it reports.
    pub deliverable_label: String,
    /// The questions, each opening a thread of its own.
    pub questions: Vec<String>,
    /// Its template.
    pub template: Template,
}

/// The default update day: the handbook's Wednesday.
pub const DEFAULT_UPDATE_DAY: Weekday = Weekday::Wed;
/// The roles a prompt copies in by default: the engineering and product managers.
pub const DEFAULT_CC_ROLES: [&str; 2] = ["engineering-manager", "product-manager"];
/// The default meeting day: Tuesday.
pub const DEFAULT_SYNC_DAY: Weekday = Weekday::Tue;
/// The default meeting time: 15:00 (UTC by default).
pub const DEFAULT_SYNC_TIME: (u32, u32) = (15, 0);
/// The default lead time, in minutes: an hour.
pub const DEFAULT_SYNC_LEAD_MINUTES: u32 = 60;
/// How many days before the meeting its agenda is created by default.
pub const DEFAULT_SYNC_DAYS_BEFORE: u32 = 6;
/// The agenda issue's default labels.
pub const DEFAULT_SYNC_LABELS: [&str; 1] = ["weekly sync"];
/// The label of a cancelled meeting's agenda by default.
pub const DEFAULT_CANCELLED_LABEL: &str = "meeting::cancelled";
/// The retrospective issue's default labels.
pub const DEFAULT_RETRO_LABELS: [&str; 1] = ["retrospective"];
/// The label of deliverables by default.
pub const DEFAULT_DELIVERABLE_LABEL: &str = "Deliverable";
/// The standard retrospective questions.
pub const DEFAULT_QUESTIONS: [&str; 4] = [
    "What went well this milestone?",
    "What didn't go well this milestone?",
    "What can we improve going forward?",
    "What praise do you have for the team?",
];
