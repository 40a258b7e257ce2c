//! The raw shape and validation of a team's ritual sections: `async_updates`, `weekly_sync`
//! and `retrospective` (see [`crate::rituals`]). Each is optional; every field has the
//! handbook's default.

use chrono::{NaiveTime, TimeDelta};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Day, Validator, schema_of, strings};
use crate::defaults;
use crate::rituals::{
    AsyncUpdateSettings, DEFAULT_CANCELLED_LABEL, DEFAULT_CC_ROLES, DEFAULT_DELIVERABLE_LABEL,
    DEFAULT_QUESTIONS, DEFAULT_RETRO_LABELS, DEFAULT_SYNC_DAY, DEFAULT_SYNC_DAYS_BEFORE,
    DEFAULT_SYNC_LABELS, DEFAULT_SYNC_LEAD_MINUTES, DEFAULT_SYNC_TIME, DEFAULT_UPDATE_DAY,
    RetrospectiveSettings, Rituals, SyncSettings,
};
use crate::template::Template;

/// The weekly async status updates.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AsyncUpdates")]
pub(super) struct RawAsyncUpdates {
    /// The project whose issues get a prompt; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// The update day, in each person's own time zone; default wed.
    #[schemars(with = "Option<Day>")]
    day: Option<Day>,
    /// Only issues with all of these labels get a prompt (for example `workflow::in dev`);
    /// default: every open issue assigned to a member in the current milestone.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    labels: Vec<Spanned<String>>,
    /// The roles whose members each prompt copies in (`/cc`); default: engineering-manager
    /// and product-manager.
    cc_roles: Option<Vec<String>>,
    /// Whether a weekly summary goes on the current milestone's planning issue; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    summary: Option<bool>,
    /// The prompt's template file (a comment, no front matter); default: the built-in one.
    #[schemars(with = "Option<String>")]
    template: Option<Spanned<String>>,
}

/// The weekly sync meeting.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WeeklySync")]
pub(super) struct RawWeeklySync {
    /// The project its agenda issues are created in; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// The meeting's weekday; default tue.
    #[schemars(with = "Option<Day>")]
    day: Option<Day>,
    /// The meeting's time, `HH:MM` in `timezone`; default 15:00.
    #[schemars(with = "Option<String>")]
    time: Option<Spanned<String>>,
    /// The IANA time zone of the day and time; default UTC.
    #[schemars(with = "Option<String>")]
    timezone: Option<Spanned<String>>,
    /// How many minutes before the meeting an empty agenda cancels it; default 60.
    #[schemars(with = "Option<u32>")]
    lead_minutes: Option<Spanned<u32>>,
    /// How many days before the meeting its agenda issue is created; default 6.
    #[schemars(with = "Option<u32>")]
    create_days_before: Option<Spanned<u32>>,
    /// The agenda issue's labels; default: ["weekly sync"].
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// The label a cancelled meeting's agenda gets; default `meeting::cancelled`.
    #[schemars(with = "Option<String>")]
    cancelled_label: Option<Spanned<String>>,
    /// The agenda's template file; default: the built-in one.
    #[schemars(with = "Option<String>")]
    template: Option<Spanned<String>>,
}

/// The milestone retrospective.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Retrospective")]
pub(super) struct RawRetrospective {
    /// The project it is created in; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// Its labels; default: ["retrospective"].
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// Whether it is confidential; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    confidential: Option<bool>,
    /// The label of the issues whose delivery it reports; default `Deliverable`.
    #[schemars(with = "Option<String>")]
    deliverable_label: Option<Spanned<String>>,
    /// The questions, each opening its own thread; default: the standard four.
    questions: Option<Vec<String>>,
    /// Its template file; default: the built-in one.
    #[schemars(with = "Option<String>")]
    template: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// A team's ritual settings from its three optional sections.
    pub(super) fn rituals(
        &mut self,
        at: &str,
        project: &str,
        updates: Option<RawAsyncUpdates>,
        sync: Option<RawWeeklySync>,
        retro: Option<RawRetrospective>,
    ) -> Rituals {
        let updates = updates.unwrap_or_default();
        let sync = sync.unwrap_or_default();
        let retro = retro.unwrap_or_default();
        let ua = format!("{at}.async_updates");
        let sa = format!("{at}.weekly_sync");
        let ra = format!("{at}.retrospective");
        let async_updates = AsyncUpdateSettings {
            project: self.project_or(updates.project.as_ref(), &ua, project),
            day: updates.day.map_or(DEFAULT_UPDATE_DAY, |d| d.0),
            labels: self.labels(&updates.labels, &format!("{ua}.labels")),
            cc_roles: updates
                .cc_roles
                .unwrap_or_else(|| strings(&DEFAULT_CC_ROLES)),
            summary: updates.summary.unwrap_or(true),
            template: self.template_or(updates.template, &ua, defaults::ASYNC_UPDATE.template()),
        };
        let lead_minutes = self.bounded(
            sync.lead_minutes,
            &format!("{sa}.lead_minutes"),
            DEFAULT_SYNC_LEAD_MINUTES,
            24 * 60,
            "minutes",
        );
        let weekly_sync = SyncSettings {
            project: self.project_or(sync.project.as_ref(), &sa, project),
            day: sync.day.map_or(DEFAULT_SYNC_DAY, |d| d.0),
            time: self.time_of_day(sync.time.as_ref(), &format!("{sa}.time")),
            timezone: match &sync.timezone {
                Some(zone) => self.timezone(zone, format!("{sa}.timezone")),
                None => chrono_tz::Tz::UTC,
            },
            lead: TimeDelta::minutes(i64::from(lead_minutes)),
            create_days_before: self.bounded(
                sync.create_days_before,
                &format!("{sa}.create_days_before"),
                DEFAULT_SYNC_DAYS_BEFORE,
                6,
                "days (the meeting is weekly: one agenda at a time)",
            ),
            labels: match &sync.labels {
                Some(l) => self.labels(l, &format!("{sa}.labels")),
                None => strings(&DEFAULT_SYNC_LABELS),
            },
            cancelled_label: self.one_label(
                sync.cancelled_label.as_ref(),
                &format!("{sa}.cancelled_label"),
                DEFAULT_CANCELLED_LABEL,
            ),
            template: self.template_or(sync.template, &sa, defaults::WEEKLY_SYNC.template()),
        };
        let retrospective = RetrospectiveSettings {
            project: self.project_or(retro.project.as_ref(), &ra, project),
            labels: match &retro.labels {
                Some(l) => self.labels(l, &format!("{ra}.labels")),
                None => strings(&DEFAULT_RETRO_LABELS),
            },
            confidential: retro.confidential.unwrap_or(false),
            deliverable_label: self.one_label(
                retro.deliverable_label.as_ref(),
                &format!("{ra}.deliverable_label"),
                DEFAULT_DELIVERABLE_LABEL,
            ),
            questions: retro
                .questions
                .map(|q| {
                    q.into_iter()
                        .map(|q| q.trim().to_owned())
                        .filter(|q| !q.is_empty())
                        .collect()
                })
                .unwrap_or_else(|| strings(&DEFAULT_QUESTIONS)),
            template: self.template_or(retro.template, &ra, defaults::RETROSPECTIVE.template()),
        };
        Rituals {
            async_updates,
            weekly_sync,
            retrospective,
        }
    }

    /// A count at `field` from 0 to `most` `unit`, or `default` when not given or too large.
    fn bounded(
        &mut self,
        raw: Option<Spanned<u32>>,
        field: &str,
        default: u32,
        most: u32,
        unit: &str,
    ) -> u32 {
        match raw {
            Some(n) if n.value > most => {
                self.problem(
                    Some(n.referenced),
                    field.to_owned(),
                    format!("{} is more than {most} {unit}", n.value),
                    &format!("give a number from 0 to {most}; the default is {default}"),
                );
                default
            }
            Some(n) => n.value,
            None => default,
        }
    }

    fn project_or(&mut self, raw: Option<&Spanned<String>>, at: &str, team: &str) -> String {
        match raw {
            Some(path) => self.project(path, format!("{at}.project")),
            None => team.to_owned(),
        }
    }

    fn one_label(&mut self, raw: Option<&Spanned<String>>, field: &str, default: &str) -> String {
        match raw {
            Some(label) => self
                .labels(std::slice::from_ref(label), field)
                .pop()
                .unwrap_or_else(|| default.to_owned()),
            None => default.to_owned(),
        }
    }

    fn time_of_day(&mut self, raw: Option<&Spanned<String>>, field: &str) -> NaiveTime {
        let (hour, minute) = DEFAULT_SYNC_TIME;
        let default = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
        let Some(raw) = raw else { return default };
        match NaiveTime::parse_from_str(raw.value.trim(), "%H:%M") {
            Ok(time) => time,
            Err(_) => {
                self.problem(
                    Some(raw.referenced),
                    field.to_owned(),
                    format!("`{}` is not a time of day", raw.value),
                    "write it as HH:MM on a 24-hour clock, for example 15:00",
                );
                default
            }
        }
    }

    fn template_or(
        &mut self,
        raw: Option<Spanned<String>>,
        at: &str,
        default: Template,
    ) -> Template {
        let Some(path) = raw else { return default };
        match self.files.read_to_string(&path.value) {
            Ok(text) => Template::new(path.value.clone(), text),
            Err(e) => {
                self.problem(
                    Some(path.referenced),
                    format!("{at}.template"),
                    format!("cannot read template `{}`: {e}", path.value),
                    "template paths are relative to the config file's folder; check that the file exists",
                );
                default
            }
        }
    }
}
