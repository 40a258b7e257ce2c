//! The configuration file: its raw YAML shape, and its validation into domain types.
//!
//! Input is read in two stages. Serde reads the YAML into `Raw*` structs that mirror the
//! file (unknown keys are errors). [`Config::parse`] then validates everything in one place
//! and reports every problem at once, each with the file, line, column, field and a hint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_saphyr::{Location, Spanned};

use crate::calendar::{Calendars, DEFAULT_WEEKEND, Holidays, WorkingCalendar};
use crate::defaults;
use crate::ics::{FeedMapping, FeedSource, PersonFrom, TimeOffFeed};
use crate::limits::{self, MAX_DAYS, MAX_VELOCITY_MILESTONES};
use crate::milestone::{Milestone, MilestoneList, MilestoneSource, PlanningStep, ReleaseCalendar};
use crate::neutralise::is_valid_username;
use crate::team::{
    Board, Checklist, ChecklistItem, Discipline, IssueScope, Member, NewHire, OnboardingSettings,
    PlanningSettings, Priority, PtoSettings, Responsibility, Team, TeamTemplates, TemplatePart,
    TemplateSource, Thread, VelocitySettings, WorkSettings,
};
use crate::template::Template;
use crate::time_off::{CoverageRule, TimeOff};
use crate::tracker::MilestoneScope;

mod onboarding;
mod recurring;

/// A [`SourceFiles`] without any file, for tests of configs that name none.
#[cfg(test)]
pub(crate) struct NoFiles;

#[cfg(test)]
impl SourceFiles for NoFiles {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            path.to_owned(),
        ))
    }
}
mod rituals;

/// Whether requests to `url` may carry secrets (a token, a private calendar's address): https,
/// or plain http to this machine only.
pub fn may_carry_secrets(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Whether `url`'s host is this machine (127.0.0.0/8, ::1 or `localhost`).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Reads the files a configuration names (holiday calendars, templates, the roster, the time
/// off file).
///
/// Paths are as written in the configuration, relative to the configuration file's folder;
/// the core never touches the file system itself.
pub trait SourceFiles {
    /// The text of the file at `path`.
    fn read_to_string(&self, path: &str) -> std::io::Result<String>;
}

/// A validated configuration: every reference resolved, every date and zone parsed.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file's name as given, for messages.
    pub file: String,
    /// The time zone that decides what "today" is.
    pub timezone: Tz,
    /// The GitLab instance, if one is configured.
    pub gitlab_url: Option<String>,
    /// Requests in flight at once (`gitlab.concurrency`), if configured.
    pub concurrency: Option<usize>,
    /// Issue and comment creations each allowed per minute (`gitlab.writes_per_minute`), if
    /// configured; 0 paces nothing.
    pub writes_per_minute: Option<u32>,
    /// Where milestones come from.
    pub milestones: Milestones,
    /// The teams, in config order.
    pub teams: Vec<Team>,
    /// Recorded time off: the config's in order, then its time off file's.
    pub time_off: Vec<TimeOff>,
    /// iCalendar feeds and files that time off is read from when a job runs.
    pub time_off_feeds: Vec<TimeOffFeed>,
    /// Upcoming new hires, in config order.
    pub new_hires: Vec<NewHire>,
    /// Every member's and new hire's working calendar.
    pub calendars: Arc<Calendars>,
}

/// The configured milestone source.
#[derive(Debug, Clone)]
pub enum Milestones {
    /// GitLab's monthly release calendar, computed.
    Release(ReleaseCalendar),
    /// An explicit list from the configuration.
    List(MilestoneList),
    /// The GitLab milestones of a group or project; `None` means the team's project (whose
    /// list includes its groups' milestones).
    Gitlab(Option<MilestoneScope>),
    /// The iterations of a group; `None` means the group of the team's project.
    Iterations(Option<String>),
}

impl Milestones {
    /// The source to ask for current and next milestones, when it is known without asking
    /// GitLab.
    pub fn source(&self) -> Option<&dyn MilestoneSource> {
        match self {
            Milestones::Release(calendar) => Some(calendar),
            Milestones::List(list) => Some(list),
            Milestones::Gitlab(_) | Milestones::Iterations(_) => None,
        }
    }

    /// The name of the source, as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            Milestones::Release(_) => "gitlab-release",
            Milestones::List(_) => "list",
            Milestones::Gitlab(_) => "gitlab",
            Milestones::Iterations(_) => "iterations",
        }
    }
}

impl Config {
    /// The team with this id.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// The ids of all teams, comma-separated, for messages that ask for one.
    pub fn team_ids(&self) -> String {
        team_ids(&self.teams)
    }

    /// Where `team`'s milestones come from: its own setting, else the config's.
    pub fn milestones_of<'a>(&'a self, team: &'a Team) -> &'a Milestones {
        team.milestones.as_ref().unwrap_or(&self.milestones)
    }

    /// The first team that `username` is a member of, with the member.
    pub fn member(&self, username: &str) -> Option<(&Team, &Member)> {
        self.teams
            .iter()
            .find_map(|team| team.member(username).map(|m| (team, m)))
    }

    /// Reads and validates a configuration. `file` names it in messages; `files` reads the
    /// holiday calendars, templates, roster and time off file it refers to.
    pub fn parse(file: &str, text: &str, files: &dyn SourceFiles) -> Result<Config, ConfigError> {
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            problems: vec![Problem::from_yaml_error(&e)],
        })?;
        let mut v = Validator {
            problems: Vec::new(),
            files,
            team_ids: BTreeSet::new(),
            in_file: None,
        };
        let config = v.config(file, raw);
        if v.problems.is_empty() {
            Ok(config)
        } else {
            // The config file's problems first (`None`), then those of the files it names.
            v.problems
                .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            Err(ConfigError {
                file: file.to_owned(),
                problems: v.problems,
            })
        }
    }
}

/// A file whose shape [`json_schema`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaOf {
    /// The configuration file, teamcadence.yml.
    Config,
    /// A time off file (`time_off_file`).
    TimeOff,
    /// A roster file (`roster`).
    Roster,
}

/// The JSON Schema of a configuration file or of a file it names, as pretty-printed JSON
/// ending in a newline.
///
/// It is generated from the types that read the file, so it cannot drift from them. Draft 7,
/// the dialect editors' YAML support knows best. It checks the file's shape (keys, types,
/// dates, the words a setting accepts); [`Config::parse`] checks the rest (references,
/// zones, files).
pub fn json_schema(of: SchemaOf) -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = match of {
        SchemaOf::Config => generator.into_root_schema_for::<RawConfig>(),
        SchemaOf::TimeOff => generator.into_root_schema_for::<RawTimeOffFile>(),
        SchemaOf::Roster => generator.into_root_schema_for::<RawRoster>(),
    };
    let mut text = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|e| unreachable!("a schema is plain JSON: {e}"));
    text.push('\n');
    text
}

/// One thing wrong in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in, as the configuration names it (the roster, the time off
    /// file); `None` for the configuration file itself.
    pub file: Option<String>,
    /// 1-based line, where known.
    pub line: Option<u32>,
    /// 1-based column, where known.
    pub column: Option<u32>,
    /// Which setting, for example `teams[code-creation].members[alice].manager`; empty when
    /// the YAML itself could not be read there.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Problem {
    fn from_yaml_error(e: &serde_saphyr::Error) -> Problem {
        let text = e.without_snippet().to_string();
        // The crate appends " at line L, column C"; the location is reported separately.
        let message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        let hint = if message.contains("unknown field") {
            "remove the key or fix its spelling; the keys allowed here are listed"
        } else if message.contains("missing field") {
            "add the missing key (see examples/teamcadence.yml for a complete config)"
        } else {
            "fix the YAML at this place (see examples/teamcadence.yml for a complete config)"
        };
        let location = e.location();
        Problem {
            file: None,
            line: location.map(|l| l.line() as u32),
            column: location.map(|l| l.column() as u32),
            field: String::new(),
            message,
            hint: Some(hint.to_owned()),
        }
    }
}

/// A configuration that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The configuration file's name as given.
    pub file: String,
    /// Every problem: the configuration file's in file order, then those of the files it
    /// names (the roster, the time off file), each in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{}: {} problem{} in the configuration; nothing was written",
            self.file,
            count,
            if count == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {}", p.file.as_deref().unwrap_or(&self.file))?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
                if let Some(column) = p.column {
                    write!(f, ":{column}")?;
                }
            }
            if !p.field.is_empty() {
                write!(f, ": {}", p.field)?;
            }
            write!(f, ": {}", p.message)?;
            if let Some(hint) = &p.hint {
                write!(f, "\n    hint: {hint}")?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The raw shape of the file.

/// A date written as `YYYY-MM-DD`, with an error message a person can act on.
#[derive(Debug, Clone, Copy)]
struct Date(NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Date)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a date: write it as YYYY-MM-DD, for example 2026-12-25"
                ))
            })
    }
}

/// A holiday calendar as configured: its listed dates and the iCalendar file it names, whose
/// timed events are dated in the zone of each person who uses the calendar.
#[derive(Debug, Clone)]
struct HolidaySource {
    dates: Holidays,
    ics: Option<String>,
}

impl HolidaySource {
    /// The holidays of a person in `zone`.
    fn in_zone(&self, zone: Tz) -> Holidays {
        let mut holidays = self.dates.clone();
        // The file was read once already, so it reads again; were it not to, its dates
        // would be missing rather than the config failing twice.
        if let Some(Ok(parsed)) = self
            .ics
            .as_deref()
            .map(|text| crate::ics::holidays_from_ics(text, zone))
        {
            holidays.merge(&parsed);
        }
        holidays
    }
}

/// A holiday written as `YYYY-MM-DD` or `YYYY-MM-DD Name of the holiday`.
#[derive(Debug, Clone)]
struct HolidayEntry {
    date: NaiveDate,
    name: Option<String>,
}

impl<'de> Deserialize<'de> for HolidayEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let text = text.trim();
        let (date, name) = text.split_at(text.len().min(10));
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            serde::de::Error::custom(format!(
                "`{text}` is not a holiday: write YYYY-MM-DD, optionally followed by its name, \
                 for example `2026-12-25 Christmas Day`"
            ))
        })?;
        let name = name.trim();
        Ok(HolidayEntry {
            date,
            name: (!name.is_empty()).then(|| name.to_owned()),
        })
    }
}

/// A weekday written as `sat`/`saturday` (any case).
#[derive(Debug, Clone, Copy)]
struct Day(Weekday);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim().parse::<Weekday>().map(Day).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{text}` is not a weekday: use mon, tue, wed, thu, fri, sat or sun"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.trim().to_ascii_uppercase().as_str() {
            "HIGH" => Ok(Priority::High),
            "MEDIUM" => Ok(Priority::Medium),
            "LOW" => Ok(Priority::Low),
            _ => Err(serde::de::Error::custom(format!(
                "`{text}` is not a priority: use HIGH, MEDIUM or LOW"
            ))),
        }
    }
}

/// Schemas for the wrapper types whose text the deserialisers above parse, so that the
/// published schema shows what each accepts instead of a bare string.
mod schema_of {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{Date, Day, HolidayEntry};
    use crate::team::Priority;

    /// A string matching one of `words` in any case, with surrounding spaces: the forms the
    /// deserialisers accept. The `enum` gives editors the words to complete; the pattern
    /// accepts the other spellings.
    fn any_case(description: &str, words: &[&str]) -> Schema {
        let letters = |word: &str| -> String {
            word.chars()
                .map(|c| {
                    let (lower, upper) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
                    if lower == upper {
                        c.to_string()
                    } else {
                        format!("[{lower}{upper}]")
                    }
                })
                .collect()
        };
        let alternatives: Vec<String> = words.iter().map(|w| letters(w)).collect();
        let pattern = format!("^\\s*({})\\s*$", alternatives.join("|"));
        json_schema!({
            "description": description,
            "anyOf": [
                { "type": "string", "enum": words },
                { "type": "string", "pattern": pattern },
            ],
        })
    }

    /// Text that YAML may write as a number: a plain `17.0` or `18.1` is read as its text,
    /// so editors must not flag it.
    pub(super) fn text_or_number(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number"] })
    }

    /// A yes/no setting: the reader takes YAML 1.1's words (`yes`, `on`, `n`, ... in any case)
    /// as well as `true` and `false`, where editors' YAML 1.2 sees text.
    pub(super) struct Flag;

    impl JsonSchema for Flag {
        fn schema_name() -> Cow<'static, str> {
            "Flag".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "anyOf": [
                    { "type": "boolean" },
                    any_case(
                        "true or false; also yes, no, y, n, on or off",
                        &["yes", "no", "y", "n", "on", "off", "true", "false"],
                    ),
                ],
            })
        }
    }

    impl JsonSchema for Date {
        fn schema_name() -> Cow<'static, str> {
            "Date".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A date, YYYY-MM-DD.",
                "type": "string",
                "format": "date",
            })
        }
    }

    impl JsonSchema for HolidayEntry {
        fn schema_name() -> Cow<'static, str> {
            "HolidayEntry".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A holiday: YYYY-MM-DD, optionally followed by its name, \
                                for example `2026-12-25 Christmas Day`.",
                "type": "string",
                "pattern": "^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}",
            })
        }
    }

    impl JsonSchema for Day {
        fn schema_name() -> Cow<'static, str> {
            "Weekday".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            any_case(
                "A weekday: mon..sun or monday..sunday, in any case.",
                &[
                    "mon",
                    "tue",
                    "wed",
                    "thu",
                    "fri",
                    "sat",
                    "sun",
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                ],
            )
        }
    }

    impl JsonSchema for Priority {
        fn schema_name() -> Cow<'static, str> {
            "Priority".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            any_case(
                "How urgent the responsibility is while its owner is away.",
                &["HIGH", "MEDIUM", "LOW"],
            )
        }
    }
}

/// The sources `milestones.source` names; the config reads it as a string and checks it
/// during validation, so this type exists only for the schema.
#[derive(schemars::JsonSchema)]
#[schemars(rename_all = "kebab-case")]
#[allow(dead_code)]
#[schemars(rename = "MilestoneSource")]
enum RawSourceName {
    /// GitLab's monthly release calendar, computed from `anchor`.
    GitlabRelease,
    /// The milestones listed under `list`.
    List,
    /// The GitLab milestones of `group` or `project` (default: the team's project).
    Gitlab,
    /// The iterations of `group` (default: the group of the team's project).
    Iterations,
}

/// Where a feed's events name the person: `person_from`, checked during validation.
#[derive(schemars::JsonSchema)]
#[schemars(rename_all = "kebab-case")]
#[allow(dead_code)]
#[schemars(rename = "PersonFrom")]
enum RawPersonFrom {
    /// The event's attendees (the default).
    Attendee,
    /// The event's organizer.
    Organizer,
    /// The event's summary.
    Summary,
}

/// A teamcadence configuration file (teamcadence.yml). Paths are relative to the file's
/// folder.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "teamcadence configuration")]
#[schemars(rename = "Config")]
struct RawConfig {
    /// The IANA time zone that decides what "today" is, and the zone of people without their
    /// own; default UTC.
    #[schemars(with = "Option<String>")]
    timezone: Option<Spanned<String>>,
    /// The GitLab instance.
    gitlab: Option<RawGitlab>,
    /// Named holiday calendars, for members' and new hires' `holidays`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawHolidays>")]
    holidays: BTreeMap<String, Spanned<RawHolidays>>,
    /// Where milestones come from; default: GitLab's monthly release calendar.
    milestones: Option<RawMilestones>,
    /// Issue templates for every team: files relative to the config.
    templates: Option<RawTemplates>,
    /// The teams.
    #[schemars(with = "Vec<RawTeam>")]
    teams: Vec<Spanned<RawTeam>>,
    /// Recorded time off.
    #[serde(default)]
    #[schemars(with = "Vec<RawTimeOff>")]
    time_off: Vec<Spanned<RawTimeOff>>,
    /// A file of more time off, holding one key, `time_off`.
    #[schemars(with = "Option<String>")]
    time_off_file: Option<Spanned<String>>,
    /// iCalendar feeds and files that time off is read from when a job runs.
    #[serde(default)]
    #[schemars(with = "Vec<RawFeed>")]
    time_off_feeds: Vec<Spanned<RawFeed>>,
    /// Upcoming new hires.
    #[serde(default)]
    #[schemars(with = "Vec<RawNewHire>")]
    new_hires: Vec<Spanned<RawNewHire>>,
    /// A file of more new hires, holding one key, `new_hires`.
    #[schemars(with = "Option<String>")]
    roster: Option<Spanned<String>>,
}

/// A roster file, which HR tooling may own: more new hires, shaped as in the config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "teamcadence roster")]
#[schemars(rename = "Roster")]
struct RawRoster {
    /// Upcoming new hires; they come after the config's own.
    #[schemars(with = "Vec<RawNewHire>")]
    new_hires: Vec<Spanned<RawNewHire>>,
}

/// A time off file, which teams change by merge request: more time off, shaped as in the
/// config.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "teamcadence time off")]
#[schemars(rename = "TimeOffFile")]
struct RawTimeOffFile {
    /// Recorded time off; it comes after the config's own.
    #[schemars(with = "Vec<RawTimeOff>")]
    time_off: Vec<Spanned<RawTimeOff>>,
}

/// The most requests a run keeps in flight at once: more would only run into GitLab's rate
/// limits.
pub const MAX_CONCURRENCY: u32 = 64;

/// The GitLab instance.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Gitlab")]
struct RawGitlab {
    /// Its address, such as https://gitlab.example.com; default: the CI job's instance.
    #[schemars(with = "Option<String>")]
    url: Option<Spanned<String>>,
    /// Requests in flight at once, 1 to 64; default 8. `--concurrency` overrides it.
    #[schemars(with = "Option<u32>", range(min = 1, max = 64))]
    concurrency: Option<Spanned<u32>>,
    /// Issue creations, and comment creations, each allowed per minute: set it to your
    /// instance's `issues_create` / `notes_create` limits (Admin > Settings > Network); 0
    /// paces nothing. Default 300. `--writes-per-minute` overrides it.
    #[schemars(with = "Option<u32>")]
    writes_per_minute: Option<Spanned<u32>>,
}

/// A holiday calendar: listed dates and/or an iCalendar file.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Holidays")]
struct RawHolidays {
    /// Holidays, each YYYY-MM-DD optionally followed by its name.
    #[serde(default)]
    #[schemars(with = "Vec<HolidayEntry>")]
    dates: Vec<Spanned<HolidayEntry>>,
    /// An iCalendar file of holidays, relative to the config.
    #[schemars(with = "Option<String>")]
    ics: Option<Spanned<String>>,
}

/// Where milestones come from.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Milestones")]
struct RawMilestones {
    /// The kind of source.
    #[schemars(with = "RawSourceName")]
    source: Spanned<String>,
    /// With `gitlab-release`: a release and its date, from which the calendar is computed.
    #[schemars(with = "Option<RawAnchor>")]
    anchor: Option<Spanned<RawAnchor>>,
    /// With `list`: the milestones.
    #[schemars(with = "Option<Vec<RawMilestone>>")]
    list: Option<Vec<Spanned<RawMilestone>>>,
    /// With `gitlab` or `iterations`: the group whose milestones or iterations to read.
    #[schemars(with = "Option<String>")]
    group: Option<Spanned<String>>,
    /// With `gitlab`: the project whose milestones to read.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
}

/// A known release of GitLab's monthly calendar.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Anchor")]
struct RawAnchor {
    /// The release version, MAJOR.MINOR, such as "17.0".
    #[schemars(schema_with = "schema_of::text_or_number")]
    version: String,
    /// Its release date.
    #[schemars(with = "Date")]
    released: Spanned<Date>,
}

/// A milestone of an explicit list.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Milestone")]
struct RawMilestone {
    /// Its title, such as "17.8".
    #[schemars(schema_with = "schema_of::text_or_number")]
    title: String,
    /// Its first day.
    #[schemars(with = "Date")]
    start: Spanned<Date>,
    /// Its last day, included.
    #[schemars(with = "Date")]
    end: Spanned<Date>,
    /// Its release date; default: the day after `end`.
    #[schemars(with = "Option<Date>")]
    release: Option<Spanned<Date>>,
    /// A link to it.
    url: Option<String>,
}

/// Issue template files, relative to the config; default: the built-in templates.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Templates")]
struct RawTemplates {
    /// The planning issue's template.
    #[schemars(with = "Option<String>")]
    planning: Option<Spanned<String>>,
    /// The PTO coverage issue's template.
    #[schemars(with = "Option<String>")]
    pto: Option<Spanned<String>>,
    /// The onboarding issue's template.
    #[schemars(with = "Option<String>")]
    onboarding: Option<Spanned<String>>,
}

/// A team.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Team")]
struct RawTeam {
    /// A short id, unique among the teams, used by `--team` and `new_hires[].team`.
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// The team's name, as issues show it.
    name: String,
    /// The team's GitLab project, `group/project`.
    #[schemars(with = "String")]
    project: Spanned<String>,
    /// The team's labels, added to its issues.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    labels: Vec<Spanned<String>>,
    /// The team's members.
    #[schemars(with = "Vec<RawMember>")]
    members: Vec<Spanned<RawMember>>,
    /// Boards linked from the planning issue.
    #[serde(default)]
    boards: Vec<RawBoard>,
    /// How to reach the team (handles, chat channels, pages), shown to new members.
    about: Option<onboarding::RawAbout>,
    /// Duties that need a backup while their owner is away.
    #[serde(default)]
    #[schemars(with = "Vec<RawResponsibility>")]
    responsibilities: Vec<Spanned<RawResponsibility>>,
    /// Where this team's milestones come from; default: the config's `milestones`.
    milestones: Option<RawMilestones>,
    /// The planning issue.
    planning: Option<RawPlanning>,
    /// PTO coverage issues.
    pto: Option<RawPto>,
    /// Onboarding issues.
    onboarding: Option<RawOnboarding>,
    /// Issues the team wants on a cadence of its own, each with its template and rotation.
    #[serde(default)]
    #[schemars(with = "Vec<recurring::RawRecurring>")]
    recurring: Vec<Spanned<recurring::RawRecurring>>,
    /// This team's templates; default: the config's `templates`.
    templates: Option<RawTemplates>,
    /// The weekly async status update prompts.
    async_updates: Option<rituals::RawAsyncUpdates>,
    /// The weekly sync meeting's agenda and cancellation.
    weekly_sync: Option<rituals::RawWeeklySync>,
    /// The milestone retrospective issue.
    retrospective: Option<rituals::RawRetrospective>,
}

/// A team member.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Member")]
struct RawMember {
    /// Their GitLab username, without `@`.
    #[schemars(with = "String")]
    username: Spanned<String>,
    /// Their name.
    name: String,
    /// Their role, such as backend-engineer or engineering-manager.
    role: String,
    /// Their IANA time zone; default: the config's `timezone`.
    #[schemars(with = "Option<String>")]
    timezone: Option<Spanned<String>>,
    /// The name of their holiday calendar, from the config's `holidays`.
    #[schemars(with = "Option<String>")]
    holidays: Option<Spanned<String>>,
    /// The days they do not work; default: sat and sun.
    weekend: Option<Vec<Day>>,
    /// The day they joined.
    #[schemars(with = "Option<Date>")]
    joined: Option<Spanned<Date>>,
    /// Their manager's username.
    #[schemars(with = "Option<String>")]
    manager: Option<Spanned<String>>,
}

/// A board linked from the planning issue.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Board")]
struct RawBoard {
    /// Its name.
    name: String,
    /// Its address.
    url: String,
}

/// A duty that needs a backup while its owner is away.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Responsibility")]
struct RawResponsibility {
    /// Its name.
    name: String,
    /// How urgent it is: HIGH, MEDIUM or LOW.
    priority: Priority,
    /// A link to it.
    link: Option<String>,
    /// Usernames of the people who may cover it, in order of preference.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    covered_by: Vec<Spanned<String>>,
    /// Usernames of its owners; default: everyone on the team.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    owners: Vec<Spanned<String>>,
}

/// The planning issue's settings.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Planning")]
struct RawPlanning {
    /// Its labels; default: ["Planning Issue"].
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// The roles whose members it is assigned to; default: engineering-manager and
    /// product-manager.
    assign: Option<Vec<String>>,
    /// How many days before the milestone starts it is created; default 26.
    #[schemars(with = "Option<u32>")]
    create_days_before_start: Option<Spanned<u32>>,
    /// Whether it is confidential; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    confidential: Option<bool>,
    /// Whether it links to the previous milestone's planning issue; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    link_previous: Option<bool>,
    /// Whether it closes the previous milestone's planning issue, with a note; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    close_previous: Option<bool>,
    /// Per-role task lists; default: the reference's lists.
    checklists: Option<Vec<RawChecklist>>,
    /// Starter discussion threads, posted once each.
    #[serde(default)]
    #[schemars(with = "Vec<RawThread>")]
    threads: Vec<Spanned<RawThread>>,
    /// Where the velocity (closed weight of the last milestones) is read.
    #[schemars(with = "Option<RawVelocity>")]
    velocity: Option<Spanned<RawVelocity>>,
    /// The parts about the team's real work: carry-over, slipped deliverables, refinement,
    /// ramp-up and discipline split of the capacity, the chart, the mid-milestone check-in.
    #[serde(default)]
    work: RawWork,
}

/// The planning issue's parts about the team's work; each is on unless turned off.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Work")]
struct RawWork {
    /// List the open issues of the milestone that is ending; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    carry_over: Option<bool>,
    /// List the deliverables of the last finished milestone not closed within it; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    slipped: Option<bool>,
    /// The label of committed issues; default "Deliverable".
    #[schemars(with = "Option<String>")]
    deliverable_label: Option<Spanned<String>>,
    /// List the next milestone's unweighted issues with suggested refiners; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    refinement: Option<bool>,
    /// Issues suggested to each engineer for refinement, 1 or 2; default 2.
    #[schemars(with = "Option<u32>")]
    refinement_per_person: Option<Spanned<u32>>,
    /// The roles whose members refine; default: everyone the planning issue is not assigned to.
    refinement_roles: Option<Vec<String>>,
    /// The percentage of a new hire's available days their first milestone counts; default 50.
    #[schemars(with = "Option<u32>")]
    ramp_up_percent: Option<Spanned<u32>>,
    /// How the weight budget splits by discipline: a label and the roles doing that work.
    #[serde(default)]
    disciplines: Vec<RawDiscipline>,
    /// Draw the Mermaid chart of the milestone and everyone's absences; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    gantt: Option<bool>,
    /// The most people the chart draws (a larger team gets the table alone); default 15.
    #[schemars(with = "Option<u32>")]
    gantt_max_members: Option<Spanned<u32>>,
    /// Link the coverage issues of time off in the milestone (the capacity table names them);
    /// default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    link_coverage: Option<bool>,
    /// Post a mid-milestone check-in note on the planning issue; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    check_in: Option<bool>,
    /// The check-in's day, counted from the milestone's first day (0); default: the middle.
    #[schemars(with = "Option<u32>")]
    check_in_day: Option<Spanned<u32>>,
}

/// A share of the weight budget.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Discipline")]
struct RawDiscipline {
    /// The label marking its work, for example "frontend".
    label: String,
    /// The roles doing that work; a role in several disciplines splits its days evenly.
    roles: Vec<String>,
}

/// A per-role task list of the planning issue.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Checklist")]
struct RawChecklist {
    /// Its heading.
    title: String,
    /// The roles whose members each get a checkbox per task.
    roles: Vec<String>,
    /// Its tasks.
    items: Vec<RawChecklistItem>,
}

/// A checklist task: its text, or its text and the planning step it is due by.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "ChecklistItem")]
enum RawChecklistItem {
    /// The task's text.
    Text(String),
    /// The task's text and the planning step it is due by.
    Dated(RawDatedItem),
}

/// A task with the planning step it is due by.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DatedItem")]
struct RawDatedItem {
    /// The task's text.
    text: String,
    /// The planning step it is due by; the date moves to a working day of each person.
    due: PlanningStep,
}

/// A starter discussion thread of the planning issue.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Thread")]
struct RawThread {
    /// Its title.
    title: String,
    /// Its text, a template.
    body: String,
}

/// Where the planning issue reads the velocity.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Velocity")]
struct RawVelocity {
    /// The group whose issues count.
    #[schemars(with = "Option<String>")]
    group: Option<Spanned<String>>,
    /// The project whose issues count; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// Only issues with these labels count; default: the team's labels.
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// How many past milestones; default 3.
    #[schemars(with = "Option<u32>")]
    milestones: Option<Spanned<u32>>,
}

/// PTO coverage issues' settings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Pto")]
struct RawPto {
    /// The project they are created in; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// Their labels; default: ["PTO Coverage"].
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// The shortest absence, in consecutive working days, that gets one; default 5.
    #[schemars(with = "Option<u32>")]
    min_working_days: Option<Spanned<u32>>,
    /// How many days before the absence one is created; default 14.
    #[schemars(with = "Option<u32>")]
    create_days_before: Option<Spanned<u32>>,
    /// Whether they are confidential; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    confidential: Option<bool>,
    /// Whether one closes after the person's return; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    close_after_return: Option<bool>,
    /// List the person's open issues in the milestones the time off overlaps and the merge
    /// requests awaiting their review; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    impact: Option<bool>,
    /// Draw the Mermaid chart of the weeks around the time off; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    gantt: Option<bool>,
    /// Link it to the planning issue of each milestone the time off overlaps; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    link_planning: Option<bool>,
}

/// Onboarding issues' settings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Onboarding")]
struct RawOnboarding {
    /// The project they are created in; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// The welcome paragraph, a template.
    welcome: Option<String>,
    /// Their labels; default: ["onboarding"].
    #[schemars(with = "Option<Vec<String>>")]
    labels: Option<Vec<Spanned<String>>>,
    /// How many working days before the start one is created; default 5.
    #[schemars(with = "Option<u32>")]
    create_days_before: Option<Spanned<u32>>,
    /// How many days after the start it is due; default 30.
    #[schemars(with = "Option<u32>")]
    due_days_after_start: Option<Spanned<u32>>,
    /// Whether they are confidential; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    confidential: Option<bool>,
    /// A GitLab issue template of the project to start from, by name.
    #[schemars(with = "Option<String>")]
    issue_template: Option<Spanned<String>>,
    /// Parts appended for the hires they fit, in order.
    #[serde(default)]
    #[schemars(with = "Vec<RawPart>")]
    parts: Vec<Spanned<RawPart>>,
    /// Whether an issue still open after its due date gets one reminder; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    remind_overdue: Option<bool>,
    /// Notes on the open issue on working days counted from the start; default: day 2
    /// (access requests), day 15 (check-in with manager and buddy), day 60 (closed); `[]`
    /// for none.
    #[schemars(with = "Option<Vec<onboarding::RawFollowUp>>")]
    follow_ups: Option<Vec<Spanned<onboarding::RawFollowUp>>>,
}

/// A part of the onboarding issue: a file or an issue template, for the hires it fits.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Part")]
struct RawPart {
    /// A file, relative to the config.
    #[schemars(with = "Option<String>")]
    file: Option<Spanned<String>>,
    /// A GitLab issue template of the project, by name.
    #[schemars(with = "Option<String>")]
    issue_template: Option<Spanned<String>>,
    /// Only for hires with this role, or one of these.
    #[serde(default)]
    role: OneOrMany,
    /// Only for hires at this location, or one of these.
    #[serde(default)]
    location: OneOrMany,
    /// Only for hires of this team, or one of these (team ids).
    #[serde(default)]
    team: OneOrMany,
}

/// A string, or a list of them (`role: backend-engineer` or `role: [a, b]`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
enum OneOrMany {
    /// Not given.
    #[default]
    None,
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(item) => vec![item],
            OneOrMany::Many(items) => items,
        }
    }
}

/// Time off of one person.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TimeOff")]
struct RawTimeOff {
    /// The username of the person away.
    #[schemars(with = "String")]
    person: Spanned<String>,
    /// The first day off.
    #[schemars(with = "Date")]
    from: Spanned<Date>,
    /// The last day off, included.
    #[schemars(with = "Date")]
    until: Spanned<Date>,
    /// A note shown in the coverage issue.
    note: Option<String>,
    /// A stable id, so that a change of dates updates the same issue.
    #[schemars(with = "Option<String>")]
    id: Option<Spanned<String>>,
    /// The day it was requested.
    #[schemars(with = "Option<Date>")]
    requested: Option<Spanned<Date>>,
}

/// An iCalendar feed or file of time off.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Feed")]
struct RawFeed {
    /// Its name, for messages.
    #[schemars(with = "String")]
    name: Spanned<String>,
    /// A file, relative to the config; give `file` or `url`.
    #[schemars(with = "Option<String>")]
    file: Option<Spanned<String>>,
    /// An https address; give `file` or `url`.
    #[schemars(with = "Option<String>")]
    url: Option<Spanned<String>>,
    /// Where an event names the person away; default attendee.
    #[schemars(with = "Option<RawPersonFrom>")]
    person_from: Option<Spanned<String>>,
    /// What the feed names people (email, name) mapped to usernames.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    people: BTreeMap<String, Spanned<String>>,
}

/// An upcoming new hire.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewHire")]
struct RawNewHire {
    /// Their GitLab username, without `@`.
    #[schemars(with = "String")]
    username: Spanned<String>,
    /// Their name.
    name: String,
    /// The id of the team they join.
    #[schemars(with = "String")]
    team: Spanned<String>,
    /// Their role, such as backend-engineer.
    role: String,
    /// Their first day.
    #[schemars(with = "Date")]
    start: Spanned<Date>,
    /// Their manager's username.
    #[schemars(with = "Option<String>")]
    manager: Option<Spanned<String>>,
    /// Their onboarding buddy's username.
    #[schemars(with = "Option<String>")]
    buddy: Option<Spanned<String>>,
    /// Their IANA time zone; default: the config's `timezone`.
    #[schemars(with = "Option<String>")]
    timezone: Option<Spanned<String>>,
    /// The name of their holiday calendar, from the config's `holidays`.
    #[schemars(with = "Option<String>")]
    holidays: Option<Spanned<String>>,
    /// Where they work, matched by onboarding parts' `location`.
    location: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Validation.

/// Default labels and numbers, from the processes in the reference.
const DEFAULT_PLANNING_LABELS: &[&str] = &["Planning Issue"];
const DEFAULT_PLANNING_ASSIGN: &[&str] = &["engineering-manager", "product-manager"];
/// 26 days: a week before the draft (the Monday 19 to 25 days before the start), so that on
/// the day the issue is created none of its tasks is due in the past.
const DEFAULT_PLANNING_DAYS_BEFORE: u32 = 26;
const DEFAULT_VELOCITY_MILESTONES: u32 = 3;
/// The reference's committed-work label.
const DEFAULT_DELIVERABLE_LABEL: &str = "Deliverable";
/// "1-2 issues per engineer" in the reference's refinement assignments.
const DEFAULT_REFINEMENT_PER_PERSON: u32 = 2;
/// A new hire spends much of the first milestone onboarding.
const DEFAULT_RAMP_UP_PERCENT: u32 = 50;
/// Above this many rows a Gantt chart is taller than a screen and stops being read.
const DEFAULT_GANTT_MAX_MEMBERS: u32 = 15;
/// A default checklist task: its text and the planning step it is due by.
type DefaultItem = (&'static str, Option<PlanningStep>);

/// The per-role planning checklists of the reference's planning issues, each task with the
/// planning step it is due by (the reference's "by the 10th" is a day of the month that can
/// fall after the lock it serves, so the capacity is due at the capacity talks instead).
const DEFAULT_CHECKLISTS: &[(&str, &[&str], &[DefaultItem])] = &[
    (
        "Engineering manager",
        &["engineering-manager"],
        &[
            (
                "Post the team's capacity in this issue",
                Some(PlanningStep::Draft),
            ),
            ("Propose maintenance issues", Some(PlanningStep::PmPlan)),
            (
                "Assign the ~Deliverable issues",
                Some(PlanningStep::PlanningLock),
            ),
        ],
    ),
    (
        "Product manager",
        &["product-manager"],
        &[
            (
                "Add the feature issues for the milestone, in priority order",
                Some(PlanningStep::PmPlan),
            ),
            (
                "Apply ~Deliverable to the issues committed to",
                Some(PlanningStep::PmPlan),
            ),
        ],
    ),
    (
        "Engineers",
        &[
            "backend-engineer",
            "frontend-engineer",
            "fullstack-engineer",
            "engineer",
        ],
        &[
            (
                "Review the planned issues and weigh the ones without a weight",
                Some(PlanningStep::PlanningLock),
            ),
            (
                "Check your row in the capacity table and add any time off missing from it",
                Some(PlanningStep::PmPlan),
            ),
        ],
    ),
    (
        "Quality",
        &["quality-engineer", "software-engineer-in-test"],
        &[(
            "Bring the bugs to prioritise into the milestone",
            Some(PlanningStep::PmPlan),
        )],
    ),
];
const DEFAULT_PTO_LABELS: &[&str] = &["PTO Coverage"];
const DEFAULT_PTO_DAYS_BEFORE: u32 = 14;
const DEFAULT_ONBOARDING_LABELS: &[&str] = &["onboarding"];
const DEFAULT_ONBOARDING_DAYS_BEFORE: u32 = 5;
const DEFAULT_ONBOARDING_DUE_DAYS: u32 = 30;
const DEFAULT_WELCOME: &str = "Welcome to {{team.name}}, {{mention hire}}! This issue is your \
guide to your first four weeks. {{#if buddy}}Your buddy {{mention buddy}}{{#if manager}} and \
your manager {{mention manager}}{{/if}}{{else}}{{#if manager}}Your manager \
{{mention manager}}{{/if}}{{/if}} will help you along: ask anything here in the comments.";

struct Validator<'f> {
    problems: Vec<Problem>,
    files: &'f dyn SourceFiles,
    /// The ids of every team in the file, for settings that name teams.
    team_ids: BTreeSet<String>,
    /// The file whose values are being checked, when not the config file itself: the
    /// locations in its `Spanned` values are in that file.
    in_file: Option<String>,
}

/// Entries of one list read from one file: the config (`file: None`) or a file it names.
struct Listed<T> {
    file: Option<String>,
    entries: Vec<Spanned<T>>,
}

impl<T> Listed<T> {
    /// The config's own entries.
    fn in_config(entries: Vec<Spanned<T>>) -> Self {
        Listed {
            file: None,
            entries,
        }
    }
}

impl Validator<'_> {
    fn problem(&mut self, at: Option<Location>, field: String, message: String, hint: &str) {
        self.problems.push(Problem {
            file: self.in_file.clone(),
            line: at.map(|l| l.line() as u32),
            column: at.map(|l| l.column() as u32),
            field,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        });
    }

    fn config(&mut self, file: &str, raw: RawConfig) -> Config {
        let timezone = match &raw.timezone {
            Some(tz) => self.timezone(tz, "timezone".to_owned()),
            None => Tz::UTC,
        };
        let gitlab = raw.gitlab.unwrap_or_default();
        let gitlab_url = gitlab.url.and_then(|url| self.gitlab_url(url));
        let concurrency = gitlab.concurrency.and_then(|n| self.concurrency(n));
        let writes_per_minute = gitlab.writes_per_minute.map(|n| n.value);
        let holidays = self.holidays(&raw.holidays);
        let milestones = self
            .milestones(raw.milestones, "milestones")
            .unwrap_or_else(|| Milestones::Release(ReleaseCalendar::default()));
        let top_templates = self.templates(raw.templates.unwrap_or_default(), "templates", None);

        // Every username on any team, so that managers and backups may sit on another team.
        let all_members: BTreeSet<String> = raw
            .teams
            .iter()
            .flat_map(|t| {
                t.value
                    .members
                    .iter()
                    .map(|m| m.value.username.value.clone())
            })
            .collect();

        self.team_ids = raw
            .teams
            .iter()
            .map(|t| t.value.id.value.trim().to_owned())
            .collect();

        let mut calendars = Calendars::new(WorkingCalendar::new(
            timezone,
            &DEFAULT_WEEKEND,
            Holidays::new(),
        ));
        let mut team_ids = BTreeSet::new();
        let mut teams = Vec::new();
        for raw_team in raw.teams {
            let id_at = raw_team.value.id.referenced;
            let team = self.team(
                raw_team,
                timezone,
                &holidays,
                &all_members,
                &top_templates,
                &mut calendars,
            );
            if !team_ids.insert(team.id.clone()) {
                self.problem(
                    Some(id_at),
                    format!("teams[{}].id", team.id),
                    format!("team id `{}` is used twice", team.id),
                    "give each team its own id",
                );
            }
            teams.push(team);
        }

        let mut time_off_lists = vec![Listed::in_config(raw.time_off)];
        time_off_lists.extend(raw.time_off_file.and_then(|path| {
            self.listed_in_file(
                path,
                "time_off_file",
                "time off file",
                |f: RawTimeOffFile| f.time_off,
            )
        }));
        let time_off = self.time_off(time_off_lists, &all_members);
        let time_off_feeds = self.time_off_feeds(raw.time_off_feeds, &all_members, timezone);
        let mut hire_lists = vec![Listed::in_config(raw.new_hires)];
        hire_lists.extend(raw.roster.and_then(|path| {
            self.listed_in_file(path, "roster", "roster", |r: RawRoster| r.new_hires)
        }));
        let new_hires = self.new_hires(
            hire_lists,
            &teams,
            &all_members,
            timezone,
            &holidays,
            &mut calendars,
        );

        Config {
            file: file.to_owned(),
            timezone,
            gitlab_url,
            concurrency,
            writes_per_minute,
            milestones,
            teams,
            time_off,
            time_off_feeds,
            new_hires,
            calendars: Arc::new(calendars),
        }
    }

    /// The entries of the file at `path`, which the config names at `key` and calls `what`
    /// in messages; `None` when the file cannot be read or is not shaped as `F`.
    fn listed_in_file<F: DeserializeOwned, T>(
        &mut self,
        path: Spanned<String>,
        key: &str,
        what: &str,
        entries: fn(F) -> Vec<Spanned<T>>,
    ) -> Option<Listed<T>> {
        let text = match self.files.read_to_string(&path.value) {
            Ok(text) => text,
            Err(e) => {
                self.problem(
                    Some(path.referenced),
                    key.to_owned(),
                    format!("cannot read the {what} `{}`: {e}", path.value),
                    &format!(
                        "the {what}'s path is relative to the config file's folder; check that \
                         the file exists"
                    ),
                );
                return None;
            }
        };
        match serde_saphyr::from_str::<F>(&text) {
            Ok(raw) => Some(Listed {
                file: Some(path.value),
                entries: entries(raw),
            }),
            Err(e) => {
                self.problems.push(Problem {
                    file: Some(path.value),
                    ..Problem::from_yaml_error(&e)
                });
                None
            }
        }
    }

    /// A date of the config, checked against the years teamcadence accepts; one outside is a
    /// problem at its field (and is kept inside the window so that checks after this one do
    /// no arithmetic on it).
    fn date(&mut self, raw: &Spanned<Date>, field: String) -> NaiveDate {
        self.in_window(raw.value.0, raw.referenced, field)
    }

    fn in_window(&mut self, date: NaiveDate, at: Location, field: String) -> NaiveDate {
        if limits::date_in_window(date) {
            return date;
        }
        self.problem(
            Some(at),
            field,
            limits::date_outside_window(date),
            "check the year; dates are written YYYY-MM-DD, for example 2026-12-25",
        );
        date.clamp(limits::first_date(), limits::last_date())
    }

    /// A count of days at `field`, or `default` when not given; more than
    /// [`limits::MAX_DAYS`] is a problem.
    fn days(&mut self, raw: Option<Spanned<u32>>, field: String, default: u32) -> u32 {
        match raw {
            None => default,
            Some(days) if days.value > MAX_DAYS => {
                self.problem(
                    Some(days.referenced),
                    field,
                    format!(
                        "{} days is more than the {MAX_DAYS} a day count may be",
                        days.value
                    ),
                    &format!(
                        "give a number of days from 0 to {MAX_DAYS}; the default is {default}"
                    ),
                );
                default
            }
            Some(days) => days.value,
        }
    }

    fn timezone(&mut self, raw: &Spanned<String>, field: String) -> Tz {
        match Tz::from_str(raw.value.trim()) {
            Ok(tz) => tz,
            Err(_) => {
                self.problem(
                    Some(raw.referenced),
                    field,
                    format!("unknown time zone `{}`", raw.value),
                    "use an IANA time zone name such as Europe/Amsterdam or America/New_York",
                );
                Tz::UTC
            }
        }
    }

    fn concurrency(&mut self, raw: Spanned<u32>) -> Option<usize> {
        if (1..=MAX_CONCURRENCY).contains(&raw.value) {
            return usize::try_from(raw.value).ok();
        }
        self.problem(
            Some(raw.referenced),
            "gitlab.concurrency".to_owned(),
            format!(
                "{} requests at once is not something teamcadence does",
                raw.value
            ),
            &format!(
                "give a number from 1 to {MAX_CONCURRENCY}; the default, 8, suits gitlab.com and \
                 most instances"
            ),
        );
        None
    }

    fn gitlab_url(&mut self, url: Spanned<String>) -> Option<String> {
        let value = url.value.trim().trim_end_matches('/');
        if value.starts_with("https://") || value.starts_with("http://") {
            Some(value.to_owned())
        } else {
            self.problem(
                Some(url.referenced),
                "gitlab.url".to_owned(),
                format!("`{}` is not a web address", url.value),
                "write the address of your GitLab, for example https://gitlab.com",
            );
            None
        }
    }

    fn holidays(
        &mut self,
        raw: &BTreeMap<String, Spanned<RawHolidays>>,
    ) -> BTreeMap<String, HolidaySource> {
        let mut calendars = BTreeMap::new();
        for (id, entry) in raw {
            let field = format!("holidays.{id}");
            let mut holidays = Holidays::new();
            for day in &entry.value.dates {
                let date = self.in_window(day.value.date, day.referenced, format!("{field}.dates"));
                holidays.insert(
                    date,
                    day.value
                        .name
                        .clone()
                        .unwrap_or_else(|| "Public holiday".to_owned()),
                );
            }
            let mut ics = None;
            if let Some(path) = &entry.value.ics {
                match self.files.read_to_string(&path.value) {
                    // Read here to report a bad file once; each person's days are read in
                    // their own zone when their calendar is built.
                    Ok(text) => match crate::ics::holidays_from_ics(&text, Tz::UTC) {
                        Ok(_) => ics = Some(text),
                        Err(e) => self.problem(
                            Some(path.referenced),
                            format!("{field}.ics"),
                            format!("`{}` is not a usable iCalendar file: {e}", path.value),
                            "export the calendar again as .ics, or list the dates under `dates`",
                        ),
                    },
                    Err(e) => self.problem(
                        Some(path.referenced),
                        format!("{field}.ics"),
                        format!("cannot read `{}`: {e}", path.value),
                        "paths are relative to the config file's folder; check that the file exists",
                    ),
                }
            }
            if entry.value.dates.is_empty() && entry.value.ics.is_none() {
                self.problem(
                    Some(entry.referenced),
                    field,
                    format!("holiday calendar `{id}` has neither `dates` nor `ics`"),
                    "list the dates (`dates: [2026-12-25]`) or name an iCalendar file (`ics: holidays/us.ics`)",
                );
            }
            calendars.insert(
                id.clone(),
                HolidaySource {
                    dates: holidays,
                    ics,
                },
            );
        }
        calendars
    }

    /// The milestone source at `field` (`milestones`, or a team's `teams[x].milestones`);
    /// `None` when not given.
    fn milestones(&mut self, raw: Option<RawMilestones>, field: &str) -> Option<Milestones> {
        let raw = raw?;
        let source = raw.source.value.as_str();
        let at = raw.source.referenced;
        let misplaced: [(&str, bool, &[&str]); 4] = [
            ("anchor", raw.anchor.is_some(), &["gitlab-release"]),
            ("list", raw.list.is_some(), &["list"]),
            ("group", raw.group.is_some(), &["gitlab", "iterations"]),
            ("project", raw.project.is_some(), &["gitlab"]),
        ];
        for (key, given, sources) in misplaced {
            if given && !sources.contains(&source) {
                self.problem(
                    Some(at),
                    format!("{field}.{key}"),
                    format!(
                        "`{key}` is only read with `source: {}`",
                        sources.join("` or `source: ")
                    ),
                    &format!("remove `{key}`, or change `source`"),
                );
            }
        }
        let fallback = || Some(Milestones::Release(ReleaseCalendar::default()));
        match source {
            "gitlab-release" => {
                let Some(anchor) = raw.anchor else {
                    return fallback();
                };
                let released =
                    self.date(&anchor.value.released, format!("{field}.anchor.released"));
                match ReleaseCalendar::new(&anchor.value.version, released) {
                    Ok(calendar) => Some(Milestones::Release(calendar)),
                    Err(e) => {
                        self.problem(
                            Some(anchor.referenced),
                            format!("{field}.anchor"),
                            e.to_string(),
                            "name a real release, for example `{ version: \"17.0\", released: 2024-05-16 }`",
                        );
                        fallback()
                    }
                }
            }
            "list" => {
                let mut milestones = Vec::new();
                let entries = raw.list.unwrap_or_default();
                if entries.is_empty() {
                    self.problem(
                        Some(at),
                        format!("{field}.list"),
                        "`source: list` needs a non-empty `list` of milestones".to_owned(),
                        "add `list: [{ title: \"19.8\", start: 2027-01-16, end: 2027-02-12 }]`",
                    );
                }
                for entry in entries {
                    let m = entry.value;
                    let entry_field = format!("{field}.list[{}]", m.title);
                    let start = self.date(&m.start, format!("{entry_field}.start"));
                    let end = self.date(&m.end, format!("{entry_field}.end"));
                    let release = m
                        .release
                        .as_ref()
                        .map(|d| self.date(d, format!("{entry_field}.release")));
                    match Milestone::new(&m.title, start, end, release) {
                        Ok(milestone) => milestones.push(match m.url {
                            Some(url) => milestone.with_web_url(url),
                            None => milestone,
                        }),
                        Err(e) => self.problem(
                            Some(entry.referenced),
                            entry_field,
                            e.to_string(),
                            "check the milestone's dates: `end` is on or after `start`",
                        ),
                    }
                }
                match MilestoneList::new(milestones) {
                    Ok(list) => Some(Milestones::List(list)),
                    Err(e) => {
                        self.problem(
                            Some(at),
                            format!("{field}.list"),
                            e.to_string(),
                            "each milestone needs its own title and dates that do not overlap another's",
                        );
                        fallback()
                    }
                }
            }
            "gitlab" => {
                if let (Some(_), Some(project)) = (&raw.group, &raw.project) {
                    self.problem(
                        Some(project.referenced),
                        format!("{field}.project"),
                        "give `group` or `project`, not both".to_owned(),
                        "a project's milestones include those of its groups; keep the one the team plans with",
                    );
                }
                let scope = match (raw.group, raw.project) {
                    (Some(group), _) => Some(MilestoneScope::Group(
                        self.group(&group, format!("{field}.group")),
                    )),
                    (None, Some(project)) => Some(MilestoneScope::Project(
                        self.project(&project, format!("{field}.project")),
                    )),
                    (None, None) => None,
                };
                Some(Milestones::Gitlab(scope))
            }
            "iterations" => Some(Milestones::Iterations(
                raw.group
                    .map(|group| self.group(&group, format!("{field}.group"))),
            )),
            other => {
                self.problem(
                    Some(at),
                    format!("{field}.source"),
                    format!("unknown milestone source `{other}`"),
                    "use `gitlab-release` (GitLab's monthly release calendar), `gitlab` (the \
                     group's or project's GitLab milestones), `iterations` (a group's \
                     iteration cadence) or `list` (milestones listed here)",
                );
                fallback()
            }
        }
    }

    /// Resolves template overrides; `fallback` supplies those not overridden here.
    fn templates(
        &mut self,
        raw: RawTemplates,
        field: &str,
        fallback: Option<&TeamTemplates>,
    ) -> TeamTemplates {
        let defaults = || TeamTemplates {
            planning: defaults::PLANNING.template(),
            pto: defaults::PTO_COVERAGE.template(),
            onboarding: defaults::ONBOARDING.template(),
        };
        let mut templates = fallback.cloned().unwrap_or_else(defaults);
        for (name, path, slot) in [
            ("planning", raw.planning, &mut templates.planning),
            ("pto", raw.pto, &mut templates.pto),
            ("onboarding", raw.onboarding, &mut templates.onboarding),
        ] {
            let Some(path) = path else { continue };
            match self.files.read_to_string(&path.value) {
                Ok(text) => *slot = Template::new(path.value.clone(), text),
                Err(e) => self.problem(
                    Some(path.referenced),
                    format!("{field}.{name}"),
                    format!("cannot read template `{}`: {e}", path.value),
                    "template paths are relative to the config file's folder; check that the file exists",
                ),
            }
        }
        templates
    }

    /// The name of a project issue template, as GitLab lists it (the file name without `.md`).
    fn issue_template_name(&mut self, raw: &Spanned<String>, field: String) -> Option<String> {
        let name = raw.value.trim();
        let problem = if name.is_empty() {
            Some("the issue template name is empty")
        } else if name.ends_with(".md") {
            Some("the issue template name ends with `.md`")
        } else if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            Some("the issue template name is a path")
        } else {
            None
        };
        match problem {
            None => Some(name.to_owned()),
            Some(message) => {
                self.problem(
                    Some(raw.referenced),
                    field,
                    format!("{message}: `{}`", raw.value),
                    "write the name GitLab shows in the issue template list: the file name in \
                     .gitlab/issue_templates/ without `.md`, for example `Developer onboarding`",
                );
                None
            }
        }
    }

    /// One part of the onboarding template, with the hires it is for.
    fn template_part(&mut self, raw: Spanned<RawPart>, field: &str) -> Option<TemplatePart> {
        let part = raw.value;
        let source = match (part.file, part.issue_template) {
            (Some(path), None) => match self.files.read_to_string(&path.value) {
                Ok(text) => TemplateSource::File(Template::new(path.value.clone(), text)),
                Err(e) => {
                    self.problem(
                        Some(path.referenced),
                        format!("{field}.file"),
                        format!("cannot read template part `{}`: {e}", path.value),
                        "template paths are relative to the config file's folder; check that \
                         the file exists",
                    );
                    return None;
                }
            },
            (None, Some(name)) => TemplateSource::IssueTemplate(
                self.issue_template_name(&name, format!("{field}.issue_template"))?,
            ),
            _ => {
                self.problem(
                    Some(raw.referenced),
                    field.to_owned(),
                    "a template part needs exactly one of `file` and `issue_template`".to_owned(),
                    "give the part's text as a file next to the config (`file:`) or as the \
                     name of one of the project's issue templates (`issue_template:`)",
                );
                return None;
            }
        };
        let teams = part.team.into_vec();
        for team in &teams {
            if !self.team_ids.contains(team) {
                let known = self.team_ids.iter().cloned().collect::<Vec<_>>().join(", ");
                self.problem(
                    Some(raw.referenced),
                    format!("{field}.team"),
                    format!("unknown team `{team}`"),
                    &format!("use the id of a team in this file: {known}"),
                );
            }
        }
        Some(TemplatePart {
            source,
            roles: part.role.into_vec(),
            locations: part.location.into_vec(),
            teams,
        })
    }

    fn labels(&mut self, raw: &[Spanned<String>], field: &str) -> Vec<String> {
        let mut labels = Vec::new();
        for label in raw {
            let value = label.value.trim();
            if value.is_empty() || value.contains(',') {
                self.problem(
                    Some(label.referenced),
                    field.to_owned(),
                    format!("`{}` is not a usable label", label.value),
                    "labels are non-empty and contain no comma (GitLab splits labels on commas)",
                );
            } else {
                crate::plan::push_unique(&mut labels, value);
            }
        }
        labels
    }

    fn project(&mut self, raw: &Spanned<String>, field: String) -> String {
        let value = raw.value.trim().trim_matches('/');
        if !value.contains('/') || value.split('/').any(str::is_empty) {
            self.problem(
                Some(raw.referenced),
                field,
                format!("`{}` is not a GitLab project path", raw.value),
                "write the project's full path, for example gitlab-org/create-stage",
            );
        }
        value.to_owned()
    }

    fn group(&mut self, raw: &Spanned<String>, field: String) -> String {
        let value = raw.value.trim().trim_matches('/');
        if value.is_empty()
            || value.split('/').any(str::is_empty)
            || value.contains(char::is_whitespace)
        {
            self.problem(
                Some(raw.referenced),
                field,
                format!("`{}` is not a GitLab group path", raw.value),
                "write the group's full path, for example gitlab-org or gitlab-org/create",
            );
        }
        value.to_owned()
    }

    fn username(&mut self, raw: &Spanned<String>, field: String) {
        if !is_valid_username(&raw.value) {
            self.problem(
                Some(raw.referenced),
                field,
                format!("`{}` is not a GitLab username", raw.value),
                "write the username without `@`: letters, digits, `_`, `-` and `.` only",
            );
        }
    }

    fn known_member(&mut self, raw: &Spanned<String>, field: String, members: &BTreeSet<String>) {
        if !members.contains(&raw.value) {
            self.problem(
                Some(raw.referenced),
                field,
                format!("`{}` is not a member of any team", raw.value),
                "use the username of someone listed under a team's `members`",
            );
        }
    }

    fn holiday_calendar(
        &mut self,
        raw: Option<&Spanned<String>>,
        field: String,
        holidays: &BTreeMap<String, HolidaySource>,
        zone: Tz,
    ) -> Holidays {
        let Some(raw) = raw else {
            return Holidays::new();
        };
        match holidays.get(&raw.value) {
            Some(h) => h.in_zone(zone),
            None => {
                let known: Vec<&str> = holidays.keys().map(String::as_str).collect();
                self.problem(
                    Some(raw.referenced),
                    field,
                    format!("unknown holiday calendar `{}`", raw.value),
                    &if known.is_empty() {
                        "define it under the top-level `holidays`".to_owned()
                    } else {
                        format!(
                            "use one of the calendars under `holidays`: {}",
                            known.join(", ")
                        )
                    },
                );
                Holidays::new()
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn team(
        &mut self,
        raw: Spanned<RawTeam>,
        timezone: Tz,
        holidays: &BTreeMap<String, HolidaySource>,
        all_members: &BTreeSet<String>,
        top_templates: &TeamTemplates,
        calendars: &mut Calendars,
    ) -> Team {
        let t = raw.value;
        let id = t.id.value.trim().to_owned();
        let at = format!("teams[{id}]");
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.problem(
                Some(t.id.referenced),
                format!("{at}.id"),
                format!("`{}` is not a usable team id", t.id.value),
                "use letters, digits and dashes, for example code-creation (it appears in issue keys)",
            );
        }
        let project = self.project(&t.project, format!("{at}.project"));
        let labels = self.labels(&t.labels, &format!("{at}.labels"));

        let mut usernames = BTreeSet::new();
        let mut members = Vec::new();
        for m in t.members {
            let m = m.value;
            let mat = format!("{at}.members[{}]", m.username.value);
            self.username(&m.username, format!("{mat}.username"));
            if !usernames.insert(m.username.value.clone()) {
                self.problem(
                    Some(m.username.referenced),
                    format!("{mat}.username"),
                    format!("`{}` is listed twice in this team", m.username.value),
                    "list each member once",
                );
            }
            let member_tz = match &m.timezone {
                Some(tz) => self.timezone(tz, format!("{mat}.timezone")),
                None => timezone,
            };
            let member_holidays = self.holiday_calendar(
                m.holidays.as_ref(),
                format!("{mat}.holidays"),
                holidays,
                member_tz,
            );
            if let Some(manager) = &m.manager {
                self.known_member(manager, format!("{mat}.manager"), all_members);
            }
            let weekend: Vec<Weekday> = match m.weekend {
                Some(days) => days.into_iter().map(|d| d.0).collect(),
                None => DEFAULT_WEEKEND.to_vec(),
            };
            if weekend.len() >= 7 {
                self.problem(
                    Some(m.username.referenced),
                    format!("{mat}.weekend"),
                    "every day of the week is a weekend day".to_owned(),
                    "list only the member's days off, for example [fri, sat]",
                );
            }
            calendars.insert(
                m.username.value.clone(),
                WorkingCalendar::new(member_tz, &weekend, member_holidays),
            );
            members.push(Member {
                username: m.username.value,
                name: m.name,
                role: m.role,
                timezone: member_tz,
                weekend,
                holidays: m.holidays.map(|h| h.value),
                joined: m
                    .joined
                    .as_ref()
                    .map(|d| self.date(d, format!("{mat}.joined"))),
                manager: m.manager.map(|s| s.value),
            });
        }

        let mut responsibilities = Vec::new();
        for r in t.responsibilities {
            let r = r.value;
            let rat = format!("{at}.responsibilities[{}]", r.name);
            for who in &r.covered_by {
                self.known_member(who, format!("{rat}.covered_by"), all_members);
            }
            for who in &r.owners {
                self.known_member(who, format!("{rat}.owners"), all_members);
            }
            responsibilities.push(Responsibility {
                name: r.name,
                priority: r.priority,
                link: r.link,
                covered_by: r.covered_by.into_iter().map(|s| s.value).collect(),
                owners: r.owners.into_iter().map(|s| s.value).collect(),
            });
        }

        let planning = self.planning(t.planning.unwrap_or_default(), &at, &project, &labels);
        let milestones = self.milestones(t.milestones, &format!("{at}.milestones"));

        let pto = match t.pto {
            Some(p) => PtoSettings {
                project: match &p.project {
                    Some(path) => self.project(path, format!("{at}.pto.project")),
                    None => project.clone(),
                },
                labels: match p.labels {
                    Some(l) => self.labels(&l, &format!("{at}.pto.labels")),
                    None => strings(DEFAULT_PTO_LABELS),
                },
                coverage: match p.min_working_days {
                    Some(days) if days.value == 0 => {
                        self.problem(
                            Some(days.referenced),
                            format!("{at}.pto.min_working_days"),
                            "`min_working_days` must be at least 1".to_owned(),
                            "use 1 to open a coverage issue for any time off, or 5 (the default policy)",
                        );
                        CoverageRule::default()
                    }
                    Some(days) => CoverageRule {
                        min_working_days: self.days(
                            Some(days),
                            format!("{at}.pto.min_working_days"),
                            CoverageRule::default().min_working_days,
                        ),
                    },
                    None => CoverageRule::default(),
                },
                create_days_before: self.days(
                    p.create_days_before,
                    format!("{at}.pto.create_days_before"),
                    DEFAULT_PTO_DAYS_BEFORE,
                ),
                confidential: p.confidential.unwrap_or(false),
                close_after_return: p.close_after_return.unwrap_or(false),
                impact: p.impact.unwrap_or(true),
                gantt: p.gantt.unwrap_or(true),
                link_planning: p.link_planning.unwrap_or(true),
            },
            None => PtoSettings {
                project: project.clone(),
                labels: strings(DEFAULT_PTO_LABELS),
                coverage: CoverageRule::default(),
                create_days_before: DEFAULT_PTO_DAYS_BEFORE,
                confidential: false,
                close_after_return: false,
                impact: true,
                gantt: true,
                link_planning: true,
            },
        };

        let own_onboarding_file = t.templates.as_ref().and_then(|t| t.onboarding.as_ref());
        let onboarding = match t.onboarding {
            Some(o) => {
                let issue_template = o.issue_template.as_ref().and_then(|name| {
                    if let Some(file) = own_onboarding_file {
                        self.problem(
                            Some(name.referenced),
                            format!("{at}.onboarding.issue_template"),
                            format!(
                                "both `onboarding.issue_template` and `templates.onboarding` \
                                 (`{}`) name the onboarding template",
                                file.value
                            ),
                            "keep one: the project's issue template or the file",
                        );
                    }
                    self.issue_template_name(name, format!("{at}.onboarding.issue_template"))
                });
                let parts = o
                    .parts
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, part)| {
                        self.template_part(part, &format!("{at}.onboarding.parts[{i}]"))
                    })
                    .collect();
                OnboardingSettings {
                    project: match &o.project {
                        Some(path) => self.project(path, format!("{at}.onboarding.project")),
                        None => project.clone(),
                    },
                    labels: match o.labels {
                        Some(l) => self.labels(&l, &format!("{at}.onboarding.labels")),
                        None => strings(DEFAULT_ONBOARDING_LABELS),
                    },
                    create_days_before: self.days(
                        o.create_days_before,
                        format!("{at}.onboarding.create_days_before"),
                        DEFAULT_ONBOARDING_DAYS_BEFORE,
                    ),
                    due_days_after_start: self.days(
                        o.due_days_after_start,
                        format!("{at}.onboarding.due_days_after_start"),
                        DEFAULT_ONBOARDING_DUE_DAYS,
                    ),
                    welcome: o.welcome.unwrap_or_else(|| DEFAULT_WELCOME.to_owned()),
                    confidential: o.confidential.unwrap_or(true),
                    issue_template,
                    parts,
                    remind_overdue: o.remind_overdue.unwrap_or(true),
                    follow_ups: self
                        .follow_ups(o.follow_ups, &format!("{at}.onboarding.follow_ups")),
                }
            }
            None => OnboardingSettings {
                project: project.clone(),
                labels: strings(DEFAULT_ONBOARDING_LABELS),
                create_days_before: DEFAULT_ONBOARDING_DAYS_BEFORE,
                due_days_after_start: DEFAULT_ONBOARDING_DUE_DAYS,
                welcome: DEFAULT_WELCOME.to_owned(),
                confidential: true,
                issue_template: None,
                parts: Vec::new(),
                remind_overdue: true,
                follow_ups: crate::jobs::follow_ups::defaults(),
            },
        };

        let templates = self.templates(
            t.templates.unwrap_or_default(),
            &format!("{at}.templates"),
            Some(top_templates),
        );
        let recurring = self.recurring(t.recurring, &at, &project, all_members);
        let about = self.about(t.about);
        let rituals = self.rituals(
            &at,
            &project,
            t.async_updates,
            t.weekly_sync,
            t.retrospective,
        );

        Team {
            id,
            name: t.name,
            project,
            labels,
            members,
            boards: t
                .boards
                .into_iter()
                .map(|b| Board {
                    name: b.name,
                    url: b.url,
                })
                .collect(),
            responsibilities,
            milestones,
            planning,
            pto,
            onboarding,
            recurring,
            about,
            templates,
            rituals,
        }
    }

    fn planning(
        &mut self,
        p: RawPlanning,
        at: &str,
        project: &str,
        team_labels: &[String],
    ) -> PlanningSettings {
        let checklists = match p.checklists {
            Some(lists) => lists
                .into_iter()
                .map(|c| Checklist {
                    title: c.title,
                    roles: c.roles,
                    items: c
                        .items
                        .into_iter()
                        .map(|item| match item {
                            RawChecklistItem::Text(text) => ChecklistItem { text, due: None },
                            RawChecklistItem::Dated(item) => ChecklistItem {
                                text: item.text,
                                due: Some(item.due),
                            },
                        })
                        .collect(),
                })
                .collect(),
            None => DEFAULT_CHECKLISTS
                .iter()
                .map(|(title, roles, items)| Checklist {
                    title: (*title).to_owned(),
                    roles: strings(roles),
                    items: items
                        .iter()
                        .map(|(text, due)| ChecklistItem {
                            text: (*text).to_owned(),
                            due: *due,
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut titles = BTreeSet::new();
        let mut threads = Vec::new();
        for thread in p.threads {
            if !titles.insert(thread.value.title.trim().to_lowercase()) {
                self.problem(
                    Some(thread.referenced),
                    format!("{at}.planning.threads[{}]", thread.value.title),
                    format!("thread `{}` is listed twice", thread.value.title),
                    "give each starter thread its own title",
                );
            }
            threads.push(Thread {
                title: thread.value.title,
                body: thread.value.body,
            });
        }
        let velocity = match p.velocity {
            None => VelocitySettings {
                scope: IssueScope::Project(project.to_owned()),
                labels: team_labels.to_vec(),
                milestones: DEFAULT_VELOCITY_MILESTONES,
            },
            Some(raw) => {
                let field = format!("{at}.planning.velocity");
                let v = raw.value;
                let scope = match (v.group, v.project) {
                    (Some(_), Some(extra)) => {
                        self.problem(
                            Some(extra.referenced),
                            format!("{field}.project"),
                            "give `group` or `project`, not both".to_owned(),
                            "`group` counts the issues of all the group's projects",
                        );
                        IssueScope::Project(project.to_owned())
                    }
                    (Some(group), None) => {
                        IssueScope::Group(self.group(&group, format!("{field}.group")))
                    }
                    (None, Some(other)) => {
                        IssueScope::Project(self.project(&other, format!("{field}.project")))
                    }
                    (None, None) => IssueScope::Project(project.to_owned()),
                };
                let milestones = match v.milestones {
                    Some(n) if n.value == 0 => {
                        self.problem(
                            Some(n.referenced),
                            format!("{field}.milestones"),
                            "`milestones` must be at least 1".to_owned(),
                            "the default, 3, averages over the last three milestones",
                        );
                        DEFAULT_VELOCITY_MILESTONES
                    }
                    Some(n) if n.value > MAX_VELOCITY_MILESTONES => {
                        self.problem(
                            Some(n.referenced),
                            format!("{field}.milestones"),
                            format!(
                                "`milestones` is {}, more than the {MAX_VELOCITY_MILESTONES} \
                                 a velocity average may look back over",
                                n.value
                            ),
                            "the default, 3, averages over the last three milestones",
                        );
                        DEFAULT_VELOCITY_MILESTONES
                    }
                    Some(n) => n.value,
                    None => DEFAULT_VELOCITY_MILESTONES,
                };
                VelocitySettings {
                    scope,
                    labels: match v.labels {
                        Some(l) => self.labels(&l, &format!("{field}.labels")),
                        None => team_labels.to_vec(),
                    },
                    milestones,
                }
            }
        };
        PlanningSettings {
            labels: match p.labels {
                Some(l) => self.labels(&l, &format!("{at}.planning.labels")),
                None => strings(DEFAULT_PLANNING_LABELS),
            },
            assign_roles: p.assign.unwrap_or_else(|| strings(DEFAULT_PLANNING_ASSIGN)),
            create_days_before_start: self.days(
                p.create_days_before_start,
                format!("{at}.planning.create_days_before_start"),
                DEFAULT_PLANNING_DAYS_BEFORE,
            ),
            confidential: p.confidential.unwrap_or(false),
            link_previous: p.link_previous.unwrap_or(true),
            close_previous: p.close_previous.unwrap_or(false),
            checklists,
            threads,
            velocity,
            work: self.work(p.work, &format!("{at}.planning.work")),
        }
    }

    fn work(&mut self, w: RawWork, field: &str) -> WorkSettings {
        let mut bounded =
            |raw: Option<Spanned<u32>>, name: &str, range: (u32, u32), default| match raw {
                Some(n) if n.value < range.0 || n.value > range.1 => {
                    self.problem(
                        Some(n.referenced),
                        format!("{field}.{name}"),
                        format!(
                            "`{name}` is {}, outside {} to {}",
                            n.value, range.0, range.1
                        ),
                        &format!(
                            "give a number from {} to {}; the default is {default}",
                            range.0, range.1
                        ),
                    );
                    default
                }
                Some(n) => n.value,
                None => default,
            };
        let refinement_per_person = bounded(
            w.refinement_per_person,
            "refinement_per_person",
            (1, 2),
            DEFAULT_REFINEMENT_PER_PERSON,
        );
        let ramp_up_percent = bounded(
            w.ramp_up_percent,
            "ramp_up_percent",
            (0, 100),
            DEFAULT_RAMP_UP_PERCENT,
        );
        let gantt_max_members = bounded(
            w.gantt_max_members,
            "gantt_max_members",
            (1, 100),
            DEFAULT_GANTT_MAX_MEMBERS,
        );
        let check_in_day = w
            .check_in_day
            .map(|d| bounded(Some(d), "check_in_day", (0, MAX_DAYS), 0));
        let deliverable_label = match w.deliverable_label {
            Some(label) => self
                .labels(
                    std::slice::from_ref(&label),
                    &format!("{field}.deliverable_label"),
                )
                .pop()
                .unwrap_or_else(|| DEFAULT_DELIVERABLE_LABEL.to_owned()),
            None => DEFAULT_DELIVERABLE_LABEL.to_owned(),
        };
        WorkSettings {
            carry_over: w.carry_over.unwrap_or(true),
            slipped: w.slipped.unwrap_or(true),
            deliverable_label,
            refinement: w.refinement.unwrap_or(true),
            refinement_per_person,
            refinement_roles: w.refinement_roles.unwrap_or_default(),
            ramp_up_percent,
            disciplines: w
                .disciplines
                .into_iter()
                .map(|d| Discipline {
                    label: d.label,
                    roles: d.roles,
                })
                .collect(),
            gantt: w.gantt.unwrap_or(true),
            gantt_max_members,
            link_coverage: w.link_coverage.unwrap_or(true),
            check_in: w.check_in.unwrap_or(true),
            check_in_day,
        }
    }

    fn time_off_feeds(
        &mut self,
        raw: Vec<Spanned<RawFeed>>,
        all_members: &BTreeSet<String>,
        timezone: Tz,
    ) -> Vec<TimeOffFeed> {
        let mut names = BTreeSet::new();
        let mut feeds = Vec::new();
        for entry in raw {
            let f = entry.value;
            let at = format!("time_off_feeds[{}]", f.name.value);
            if !names.insert(f.name.value.clone()) {
                self.problem(
                    Some(f.name.referenced),
                    format!("{at}.name"),
                    format!("feed name `{}` is used twice", f.name.value),
                    "give each feed its own name; warnings about a feed name it",
                );
            }
            let source = match (f.file, f.url) {
                (Some(path), None) => Some(FeedSource::File(path.value)),
                (None, Some(url)) => self
                    .feed_url(&url, format!("{at}.url"))
                    .map(FeedSource::Url),
                _ => {
                    self.problem(
                        Some(entry.referenced),
                        at.clone(),
                        "a time off feed needs exactly one of `file` and `url`".to_owned(),
                        "name an .ics file next to the config (`file:`) or the feed's https \
                         address (`url:`)",
                    );
                    None
                }
            };
            let from = match f.person_from.as_ref().map(|p| p.value.trim()) {
                None | Some("attendee") => PersonFrom::Attendee,
                Some("organizer") => PersonFrom::Organizer,
                Some("summary") => PersonFrom::Summary,
                Some(other) => {
                    self.problem(
                        f.person_from.as_ref().map(|p| p.referenced),
                        format!("{at}.person_from"),
                        format!("`{other}` is not a way to find the person of an event"),
                        "use attendee (an attendee's e-mail address), organizer (the \
                         organizer's address) or summary (a name at the start of the title)",
                    );
                    PersonFrom::Attendee
                }
            };
            if f.people.is_empty() {
                self.problem(
                    Some(f.name.referenced),
                    format!("{at}.people"),
                    "the feed maps nobody to a GitLab username".to_owned(),
                    "list who is who: `people: { alice@example.com: alice }` (for summary, \
                     the name the titles start with)",
                );
            }
            let mut people = Vec::new();
            for (value, username) in f.people {
                self.known_member(&username, format!("{at}.people.{value}"), all_members);
                people.push((value, username.value));
            }
            if let Some(source) = source {
                feeds.push(TimeOffFeed {
                    name: f.name.value,
                    source,
                    mapping: FeedMapping {
                        from,
                        people,
                        zone: timezone,
                    },
                });
            }
        }
        feeds
    }

    /// A feed's address: https, or plain http only to this machine (a token-free feed may
    /// still carry private calendars).
    fn feed_url(&mut self, raw: &Spanned<String>, field: String) -> Option<String> {
        let value = raw.value.trim();
        let parsed = url::Url::parse(value).ok();
        let allowed = parsed.as_ref().is_some_and(may_carry_secrets);
        if allowed {
            Some(value.to_owned())
        } else {
            self.problem(
                Some(raw.referenced),
                field,
                format!("`{}` is not an https address", raw.value),
                "feeds are read over https (plain http only from this machine), for example \
                 https://hr.example.com/time-off.ics",
            );
            None
        }
    }

    /// The time off of each list in turn (the config's, then the time off file's), checked
    /// alike; the same time off (the same [`TimeOff::key`]) in two places is listed twice.
    fn time_off(
        &mut self,
        lists: Vec<Listed<RawTimeOff>>,
        all_members: &BTreeSet<String>,
    ) -> Vec<TimeOff> {
        let mut keys = BTreeSet::new();
        let mut list = Vec::new();
        for listed in lists {
            let list_once = match listed.file {
                None => "list each time off once",
                Some(_) => {
                    "list each time off once, in the config's `time_off` or in the time off file"
                }
            };
            self.in_file = listed.file;
            for entry in listed.entries {
                let t = entry.value;
                let at = format!("time_off[{} from {}]", t.person.value, t.from.value.0);
                self.known_member(&t.person, format!("{at}.person"), all_members);
                if let Some(id) = t.id.as_ref().filter(|id| !usable_time_off_id(&id.value)) {
                    self.problem(
                        Some(id.referenced),
                        format!("{at}.id"),
                        format!("{:?} is not a usable time off id", id.value),
                        "write the id on one line, without tabs or other control characters \
                         (it becomes the issue's key)",
                    );
                    continue;
                }
                let from = self.date(&t.from, format!("{at}.from"));
                let until = self.date(&t.until, format!("{at}.until"));
                let requested = t
                    .requested
                    .as_ref()
                    .map(|d| self.date(d, format!("{at}.requested")));
                let time_off = match TimeOff::new(&t.person.value, from, until) {
                    Ok(time_off) => time_off
                        .with_note(t.note)
                        // A key part, so that an id such as `bob/2026-12-21` cannot take the
                        // shape of bob's entry without an id.
                        .with_id(t.id.as_ref().map(|s| crate::record::key_part(&s.value)))
                        .with_requested(requested),
                    Err(_) => {
                        self.problem(
                            Some(t.until.referenced),
                            format!("{at}.until"),
                            format!(
                                "`until` ({}) is before `from` ({})",
                                t.until.value.0, t.from.value.0
                            ),
                            "`until` is the last day off (inclusive) and must be on or after `from`",
                        );
                        continue;
                    }
                };
                if keys.insert(time_off.key()) {
                    list.push(time_off);
                    continue;
                }
                // The key is the id when there is one, else the person and the first day.
                match &t.id {
                    Some(id) => self.problem(
                        Some(id.referenced),
                        format!("{at}.id"),
                        format!("time off id `{}` is listed twice", id.value),
                        &format!("{list_once}; if these are two absences, give each its own id"),
                    ),
                    None => self.problem(
                        Some(t.from.referenced),
                        format!("{at}.from"),
                        format!(
                            "the time off of `{}` from {} is listed twice",
                            t.person.value, t.from.value.0
                        ),
                        list_once,
                    ),
                }
            }
        }
        self.in_file = None;
        list
    }

    /// The new hires of each list in turn (the config's, then the roster's), checked alike;
    /// a username in two lists is listed twice.
    fn new_hires(
        &mut self,
        lists: Vec<Listed<RawNewHire>>,
        teams: &[Team],
        all_members: &BTreeSet<String>,
        timezone: Tz,
        holidays: &BTreeMap<String, HolidaySource>,
        calendars: &mut Calendars,
    ) -> Vec<NewHire> {
        let mut seen = BTreeSet::new();
        let mut hires = Vec::new();
        for list in lists {
            // A roster names teams and members of the config, not of its own file.
            let (twice_hint, teams_in) = match list.file {
                None => ("list each new hire once", "this file"),
                Some(_) => (
                    "list each new hire once, in the config's `new_hires` or in the roster",
                    "the config file",
                ),
            };
            self.in_file = list.file;
            for entry in list.entries {
                let h = entry.value;
                let at = format!("new_hires[{}]", h.username.value);
                self.username(&h.username, format!("{at}.username"));
                if !seen.insert(h.username.value.clone()) {
                    self.problem(
                        Some(h.username.referenced),
                        format!("{at}.username"),
                        format!("new hire `{}` is listed twice", h.username.value),
                        twice_hint,
                    );
                }
                if !teams.iter().any(|t| t.id == h.team.value) {
                    self.problem(
                        Some(h.team.referenced),
                        format!("{at}.team"),
                        format!("unknown team `{}`", h.team.value),
                        &format!("use the id of a team in {teams_in}: {}", team_ids(teams)),
                    );
                }
                for (name, who) in [("manager", &h.manager), ("buddy", &h.buddy)] {
                    if let Some(who) = who {
                        self.known_member(who, format!("{at}.{name}"), all_members);
                    }
                }
                let hire_tz = match &h.timezone {
                    Some(tz) => self.timezone(tz, format!("{at}.timezone")),
                    None => timezone,
                };
                let hire_holidays = self.holiday_calendar(
                    h.holidays.as_ref(),
                    format!("{at}.holidays"),
                    holidays,
                    hire_tz,
                );
                calendars.insert(
                    h.username.value.clone(),
                    WorkingCalendar::new(hire_tz, &DEFAULT_WEEKEND, hire_holidays),
                );
                hires.push(NewHire {
                    username: h.username.value,
                    name: h.name,
                    role: h.role,
                    team: h.team.value,
                    start: self.date(&h.start, format!("{at}.start")),
                    manager: h.manager.map(|s| s.value),
                    buddy: h.buddy.map(|s| s.value),
                    timezone: hire_tz,
                    holidays: h.holidays.map(|s| s.value),
                    location: h
                        .location
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty()),
                });
            }
        }
        self.in_file = None;
        hires
    }
}

fn team_ids(teams: &[Team]) -> String {
    teams
        .iter()
        .map(|t| t.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether a time off `id` can be a key: something other than blanks, on one line, without
/// control characters.
fn usable_time_off_id(id: &str) -> bool {
    !id.trim().is_empty() && !id.chars().any(char::is_control)
}
