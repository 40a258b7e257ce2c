//! The `recurring` section of a team: its raw shape and its validation into
//! [`RecurringIssue`]s. Kept apart from the rest of the config so that each ritual's settings
//! read (and change) on their own.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Date, Day, Validator, schema_of};
use crate::defaults;
use crate::jobs::recurring::{Assign, Cadence, Edge, MAX_CATCH_UP, RecurringIssue, WeekOfMonth};
use crate::limits::MAX_DAYS;
use crate::template::Template;

/// An issue a team wants on a cadence, such as a triage rotation or a monthly review.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Recurring")]
pub(super) struct RawRecurring {
    /// A short id, unique in the team: letters, digits and dashes; part of each issue's key.
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// What it is called, as templates show it (`{{recurring.name}}`).
    name: String,
    /// When it is due.
    cadence: RawCadence,
    /// Its template, a file relative to the config; default: the built-in
    /// templates/recurring.md.
    #[schemars(with = "Option<String>")]
    template: Option<Spanned<String>>,
    /// The project its issues go in; default: the team's project.
    #[schemars(with = "Option<String>")]
    project: Option<Spanned<String>>,
    /// Labels besides the team's.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    labels: Vec<Spanned<String>>,
    /// Usernames it is assigned to: in turn (see `rotate`), skipping anyone away on the due
    /// date.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    assignees: Vec<Spanned<String>>,
    /// Whether the assignees take turns, one period each (default true); false assigns
    /// everyone at work.
    #[schemars(with = "Option<schema_of::Flag>")]
    rotate: Option<bool>,
    /// With `rotate`: how many people each period; default 1.
    #[schemars(with = "Option<u32>")]
    per_period: Option<Spanned<u32>>,
    /// How many days before its due date an issue is created; default 0.
    #[schemars(with = "Option<u32>")]
    create_days_before: Option<Spanned<u32>>,
    /// How many missed periods before the latest are still created when a run was missed;
    /// default 1, at most 12.
    #[schemars(with = "Option<u32>")]
    catch_up: Option<Spanned<u32>>,
    /// How many days after its due date a missed period (not the latest) is still created;
    /// default 14.
    #[schemars(with = "Option<u32>")]
    catch_up_days: Option<Spanned<u32>>,
    /// No period due before this day gets an issue.
    #[schemars(with = "Option<Date>")]
    start: Option<Spanned<Date>>,
    /// Whether each issue is linked to the previous period's; default true.
    #[schemars(with = "Option<schema_of::Flag>")]
    link_previous: Option<bool>,
    /// Whether the previous period's issue is closed, with a note, when the next one is
    /// created; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    close_previous: Option<bool>,
    /// Whether the issues are confidential; default false.
    #[schemars(with = "Option<schema_of::Flag>")]
    confidential: Option<bool>,
}

/// When a recurring issue is due: `every: week` (with `weekday`, optionally `weeks` and
/// `from`), `every: month` (with `day`, or `weekday` and `nth` or `last`) or `every:
/// milestone` (with `relative_to` and `offset_days`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Cadence")]
struct RawCadence {
    /// The period: week, month or milestone.
    #[schemars(with = "RawEvery")]
    every: Spanned<String>,
    /// With week: every how many weeks; default 1.
    #[schemars(with = "Option<u32>")]
    weeks: Option<Spanned<u32>>,
    /// With week, or month with `nth`/`last`: the day of the week.
    weekday: Option<Day>,
    /// With week and `weeks` above 1: a day in a week it is due in; default 2000-01-03.
    #[schemars(with = "Option<Date>")]
    from: Option<Spanned<Date>>,
    /// With month: the day of the month (1 to 31; the last day in shorter months).
    #[schemars(with = "Option<u32>")]
    day: Option<Spanned<u32>>,
    /// With month and `weekday`: which one in the month, 1 to 4.
    #[schemars(with = "Option<u32>")]
    nth: Option<Spanned<u32>>,
    /// With month and `weekday`: the last one in the month.
    #[schemars(with = "Option<schema_of::Flag>")]
    last: Option<bool>,
    /// With milestone: counted from its `start` or `end`.
    #[schemars(with = "Option<RawEdge>")]
    relative_to: Option<Spanned<String>>,
    /// With milestone: days after (negative: before) that day; default 0.
    #[schemars(with = "Option<i32>")]
    offset_days: Option<Spanned<i32>>,
}

/// The period of a cadence.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "Every")]
#[allow(dead_code)] // only its schema is used
enum RawEvery {
    /// Weekly, or every few weeks.
    #[serde(rename = "week")]
    Week,
    /// Monthly.
    #[serde(rename = "month")]
    Month,
    /// Once per milestone.
    #[serde(rename = "milestone")]
    Milestone,
}

/// Which end of a milestone.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "Edge")]
#[allow(dead_code)] // only its schema is used
enum RawEdge {
    /// Its first day.
    #[serde(rename = "start")]
    Start,
    /// Its last day.
    #[serde(rename = "end")]
    End,
}

impl Validator<'_> {
    /// A team's recurring issues; `at` names the team, `members` every member of any team.
    pub(super) fn recurring(
        &mut self,
        raw: Vec<Spanned<RawRecurring>>,
        at: &str,
        project: &str,
        members: &BTreeSet<String>,
    ) -> Vec<RecurringIssue> {
        let mut ids = BTreeSet::new();
        let mut list = Vec::new();
        for entry in raw {
            let r = entry.value;
            let id = r.id.value.trim().to_owned();
            let rat = format!("{at}.recurring[{id}]");
            let usable = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !usable {
                self.problem(
                    Some(r.id.referenced),
                    format!("{rat}.id"),
                    format!("`{}` is not a usable recurring issue id", r.id.value),
                    "use letters, digits and dashes, for example triage (it appears in issue keys)",
                );
            } else if !ids.insert(id.clone()) {
                self.problem(
                    Some(r.id.referenced),
                    format!("{rat}.id"),
                    format!("recurring issue id `{id}` is used twice in this team"),
                    "give each recurring issue of a team its own id",
                );
            }
            let Some(cadence) = self.cadence(r.cadence, &format!("{rat}.cadence")) else {
                continue;
            };
            let template = match &r.template {
                None => defaults::RECURRING.template(),
                Some(path) => match self.files.read_to_string(&path.value) {
                    Ok(text) => Template::new(path.value.clone(), text),
                    Err(e) => {
                        self.problem(
                            Some(path.referenced),
                            format!("{rat}.template"),
                            format!("cannot read template `{}`: {e}", path.value),
                            "template paths are relative to the config file's folder; check \
                             that the file exists",
                        );
                        continue;
                    }
                },
            };
            let mut people = Vec::new();
            for who in &r.assignees {
                self.known_member(who, format!("{rat}.assignees"), members);
                crate::plan::push_unique(&mut people, &who.value);
            }
            let per_period = match r.per_period {
                Some(n) if n.value == 0 || n.value as usize > people.len().max(1) => {
                    self.problem(
                        Some(n.referenced),
                        format!("{rat}.per_period"),
                        format!(
                            "{} people per period, but {} are listed in `assignees`",
                            n.value,
                            people.len()
                        ),
                        "give a number from 1 to the number of assignees",
                    );
                    1
                }
                Some(n) => n.value as usize,
                None => 1,
            };
            let catch_up = match r.catch_up {
                Some(n) if n.value > MAX_CATCH_UP => {
                    self.problem(
                        Some(n.referenced),
                        format!("{rat}.catch_up"),
                        format!(
                            "{} missed periods is more than the {MAX_CATCH_UP} a run catches up",
                            n.value
                        ),
                        &format!(
                            "give 0 (only the latest period) to {MAX_CATCH_UP}; the default is 1"
                        ),
                    );
                    1
                }
                Some(n) => n.value,
                None => 1,
            };
            list.push(RecurringIssue {
                id,
                name: r.name,
                cadence,
                template,
                project: match &r.project {
                    Some(path) => self.project(path, format!("{rat}.project")),
                    None => project.to_owned(),
                },
                labels: self.labels(&r.labels, &format!("{rat}.labels")),
                assign: if r.rotate.unwrap_or(true) {
                    Assign::Rotate { people, per_period }
                } else {
                    Assign::Everyone(people)
                },
                create_days_before: self.days(
                    r.create_days_before,
                    format!("{rat}.create_days_before"),
                    0,
                ),
                catch_up,
                catch_up_days: self.days(r.catch_up_days, format!("{rat}.catch_up_days"), 14),
                start: r
                    .start
                    .as_ref()
                    .map(|d| self.date(d, format!("{rat}.start"))),
                link_previous: r.link_previous.unwrap_or(true),
                close_previous: r.close_previous.unwrap_or(false),
                confidential: r.confidential.unwrap_or(false),
            });
        }
        list
    }

    /// A cadence, or `None` after reporting why it is not one.
    fn cadence(&mut self, c: RawCadence, field: &str) -> Option<Cadence> {
        let every = c.every.value.trim().to_ascii_lowercase();
        // Each period takes its own fields; another's is a mistake worth naming.
        let given: [(&str, bool); 8] = [
            ("weeks", c.weeks.is_some()),
            ("weekday", c.weekday.is_some()),
            ("from", c.from.is_some()),
            ("day", c.day.is_some()),
            ("nth", c.nth.is_some()),
            ("last", c.last.is_some()),
            ("relative_to", c.relative_to.is_some()),
            ("offset_days", c.offset_days.is_some()),
        ];
        let allowed: &[&str] = match every.as_str() {
            "week" => &["weeks", "weekday", "from"],
            "month" => &["day", "weekday", "nth", "last"],
            "milestone" => &["relative_to", "offset_days"],
            _ => {
                self.problem(
                    Some(c.every.referenced),
                    format!("{field}.every"),
                    format!("`{}` is not a cadence", c.every.value),
                    "use week, month or milestone",
                );
                return None;
            }
        };
        let stray: Vec<&str> = given
            .iter()
            .filter(|(name, set)| *set && !allowed.contains(name))
            .map(|(name, _)| *name)
            .collect();
        if !stray.is_empty() {
            self.problem(
                Some(c.every.referenced),
                field.to_owned(),
                format!("`every: {every}` does not take {}", stray.join(", ")),
                &format!("with `every: {every}` give only {}", allowed.join(", ")),
            );
            return None;
        }
        let wrong = |v: &mut Self, what: String, hint: &str| {
            v.problem(Some(c.every.referenced), field.to_owned(), what, hint);
            None
        };
        match every.as_str() {
            "week" => {
                let Some(Day(weekday)) = c.weekday else {
                    return wrong(
                        self,
                        "a weekly cadence needs its `weekday`".to_owned(),
                        "add `weekday: wed` (mon to sun)",
                    );
                };
                let every = match c.weeks {
                    Some(n) if n.value == 0 || n.value > 52 => {
                        self.problem(
                            Some(n.referenced),
                            format!("{field}.weeks"),
                            format!("every {} weeks is not a cadence", n.value),
                            "give 1 to 52 weeks",
                        );
                        return None;
                    }
                    Some(n) => n.value,
                    None => 1,
                };
                let from = match &c.from {
                    Some(d) => self.date(d, format!("{field}.from")),
                    None => NaiveDate::from_ymd_opt(2000, 1, 3)?,
                };
                Some(Cadence::Weekly {
                    weekday,
                    every,
                    from,
                })
            }
            "month" => match (c.day, c.weekday, c.nth, c.last) {
                (Some(day), None, None, None) if (1..=31).contains(&day.value) => {
                    Some(Cadence::MonthlyOnDay(day.value))
                }
                (Some(day), None, None, None) => {
                    self.problem(
                        Some(day.referenced),
                        format!("{field}.day"),
                        format!("{} is not a day of the month", day.value),
                        "give 1 to 31 (31 means the last day in shorter months)",
                    );
                    None
                }
                (None, Some(Day(weekday)), Some(nth), None) if (1..=4).contains(&nth.value) => {
                    Some(Cadence::MonthlyOnWeekday {
                        week: WeekOfMonth::Nth(nth.value),
                        weekday,
                    })
                }
                (None, Some(Day(weekday)), None, Some(true)) => Some(Cadence::MonthlyOnWeekday {
                    week: WeekOfMonth::Last,
                    weekday,
                }),
                _ => wrong(
                    self,
                    "a monthly cadence needs either `day`, or `weekday` with `nth` (1 to 4) or \
                     `last: true`"
                        .to_owned(),
                    "for example `day: 15`, or `weekday: tue` and `nth: 1`",
                ),
            },
            _ => {
                let edge = match c.relative_to.as_ref().map(|r| r.value.trim()) {
                    None | Some("start") => Edge::Start,
                    Some("end") => Edge::End,
                    Some(other) => {
                        let other = other.to_owned();
                        return wrong(
                            self,
                            format!("`relative_to: {other}` is not an end of a milestone"),
                            "use start or end",
                        );
                    }
                };
                let offset_days = c.offset_days.as_ref().map_or(0, |o| o.value);
                if offset_days.unsigned_abs() > MAX_DAYS {
                    return wrong(
                        self,
                        format!("{offset_days} days is more than the {MAX_DAYS} an offset may be"),
                        "give the days from the milestone's start or end, -366 to 366",
                    );
                }
                Some(Cadence::PerMilestone { edge, offset_days })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, NoFiles};

    fn problems(recurring: &str) -> String {
        let text = format!(
            "teams:
  - id: t
    name: T
    project: g/p
    members:
      - {{ username: ann, name: Ann, role: engineer }}
      - {{ username: bo, name: Bo, role: engineer }}
    recurring:
{recurring}"
        );
        match Config::parse("team.yml", &text, &NoFiles) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_valid_entry_of_each_cadence_parses() {
        for cadence in [
            "{ every: week, weekday: wed }",
            "{ every: week, weeks: 2, weekday: mon, from: 2026-12-07 }",
            "{ every: month, day: 31 }",
            "{ every: month, weekday: tue, nth: 1 }",
            "{ every: month, weekday: fri, last: true }",
            "{ every: milestone, relative_to: end, offset_days: -3 }",
        ] {
            let entry =
                format!("      - {{ id: r, name: R, cadence: {cadence}, assignees: [ann, bo] }}");
            assert_eq!(problems(&entry), "", "{cadence}");
        }
    }

    #[test]
    fn each_mistake_is_named_at_its_field() {
        let cases = [
            (
                "{ id: r, name: R, cadence: { every: fortnight } }",
                "teams[t].recurring[r].cadence.every",
                "`fortnight` is not a cadence",
            ),
            (
                "{ id: r, name: R, cadence: { every: month, weekday: tue, nth: 5 } }",
                "teams[t].recurring[r].cadence",
                "a monthly cadence needs either `day`",
            ),
            (
                "{ id: r, name: R, cadence: { every: week, weekday: mon }, assignees: [ann, zed] }",
                "teams[t].recurring[r].assignees",
                "`zed` is not a member of any team",
            ),
            (
                "{ id: r, name: R, cadence: { every: week, weekday: mon }, assignees: [ann], per_period: 2 }",
                "teams[t].recurring[r].per_period",
                "2 people per period, but 1 are listed",
            ),
            (
                "{ id: r, name: R, cadence: { every: week, weekday: mon }, catch_up: 40 }",
                "teams[t].recurring[r].catch_up",
                "40 missed periods is more than the 12",
            ),
            (
                "{ id: \"a b\", name: R, cadence: { every: week, weekday: mon } }",
                "teams[t].recurring[a b].id",
                "is not a usable recurring issue id",
            ),
            (
                "{ id: r, name: R, cadence: { every: week, weekday: mon }, template: missing.md }",
                "teams[t].recurring[r].template",
                "cannot read template `missing.md`",
            ),
        ];
        for (entry, field, message) in cases {
            let text = problems(&format!("      - {entry}"));
            assert!(text.contains(field), "{entry}: {text}");
            assert!(text.contains(message), "{entry}: {text}");
        }
    }
}
