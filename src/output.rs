//! How a job's report is printed: text for people, JSON for machines.

use std::fmt::Write;

use chrono::NaiveDate;
use serde::Serialize;
use teamcadence_core::plan::{IssuePlan, JobReport};

/// The report as one JSON document, in the documented shape.
pub fn json(report: &JobReport) -> String {
    let mut text = serde_json::to_string_pretty(&Document::of(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the report as [`json`] does, straight to `out`: an organisation's report is not
/// held in memory a second time.
pub fn write_json(report: &JobReport, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document::of(report)).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The JSON document, borrowing from the report. Fields are in alphabetical order, the order
/// the document has always had.
#[derive(Serialize)]
struct Document<'a> {
    errors: &'a [String],
    issues: Vec<IssueJson<'a>>,
    warnings: &'a [String],
}

impl<'a> Document<'a> {
    fn of(report: &'a JobReport) -> Self {
        Self {
            errors: &report.errors,
            issues: report.issues.iter().map(IssueJson::of).collect(),
            warnings: &report.warnings,
        }
    }
}

/// One issue of the document.
#[derive(Serialize)]
struct IssueJson<'a> {
    action: &'a str,
    assignees: &'a [String],
    confidential: bool,
    description: &'a str,
    due_date: Option<String>,
    error: Option<&'a str>,
    follow_ups: &'a [String],
    key: &'a str,
    labels: &'a [String],
    milestone: Option<&'a str>,
    project: &'a str,
    reason: Option<&'a str>,
    title: &'a str,
    web_url: Option<&'a str>,
}

impl<'a> IssueJson<'a> {
    fn of(plan: &'a IssuePlan) -> Self {
        Self {
            action: plan.action.name(),
            assignees: &plan.assignees,
            confidential: plan.confidential,
            description: &plan.description,
            due_date: plan.due_date.map(|d| d.format("%Y-%m-%d").to_string()),
            error: plan.error.as_deref(),
            follow_ups: &plan.done,
            key: &plan.key,
            labels: &plan.labels,
            milestone: plan.milestone.as_deref(),
            project: &plan.project,
            reason: plan.action.reason(),
            title: &plan.title,
            web_url: plan.web_url.as_deref(),
        }
    }
}

/// How the text report is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Everything in full, for a terminal.
    Plain,
    /// For a GitLab CI job log: each issue is a collapsed log section under a one-line
    /// heading, so the summary, the headings and the warnings are what a reader sees first.
    /// `now` (unix seconds) stamps the sections, as GitLab's section markers require.
    GitLabSections {
        /// Seconds since the epoch when the report is printed.
        now: i64,
    },
}

/// The report for a person: a summary line, each issue's fields, then its full description.
pub fn text(
    job: &str,
    today: NaiveDate,
    dry_run: bool,
    report: &JobReport,
    style: Style,
) -> String {
    let mut out = String::new();
    let count = report.issues.len();
    let tally = |wanted: &str, failed: bool| {
        report
            .issues
            .iter()
            .filter(|p| p.action.name() == wanted && p.error.is_some() == failed)
            .count()
    };
    let _ = writeln!(
        out,
        "{job} on {today}: {} {}, {} already exist{}, {} skipped, {} failed{}",
        tally("create", false),
        if dry_run { "to create" } else { "created" },
        tally("exists", false),
        if tally("exists", false) == 1 { "s" } else { "" },
        tally("skip", false),
        report.issues.iter().filter(|p| p.error.is_some()).count(),
        if dry_run {
            " (dry run: nothing is written)"
        } else {
            ""
        },
    );
    if count == 0 {
        let _ = writeln!(out, "nothing upcoming in the config");
    }
    for (index, plan) in report.issues.iter().enumerate() {
        let mut heading = format!("[{}] {}", plan.action.name(), plan.key);
        if let Some(reason) = plan.action.reason() {
            let _ = write!(heading, ": {reason}");
        }
        // GitLab section names allow letters, digits, `_`, `.` and `-` only.
        let section = format!("teamcadence_issue_{}", index + 1);
        match style {
            Style::Plain => {
                let _ = writeln!(out);
                let _ = writeln!(out, "{heading}");
            }
            Style::GitLabSections { now } => {
                let _ = writeln!(
                    out,
                    "\x1b[0Ksection_start:{now}:{section}[collapsed=true]\r\x1b[0K{heading}"
                );
            }
        }
        let none = || "-".to_owned();
        let fields = [
            ("project", plan.project.clone()),
            ("title", plan.title.clone()),
            ("labels", list_or_dash(&plan.labels)),
            ("assignees", list_or_dash(&plan.assignees)),
            ("milestone", plan.milestone.clone().unwrap_or_else(none)),
            (
                "due date",
                plan.due_date.map(|d| d.to_string()).unwrap_or_else(none),
            ),
            (
                "confidential",
                if plan.confidential { "yes" } else { "no" }.to_owned(),
            ),
        ];
        for (name, value) in fields {
            let _ = writeln!(out, "  {:<13} {value}", format!("{name}:"));
        }
        if let Some(url) = &plan.web_url {
            let _ = writeln!(out, "  {:<13} {url}", "web_url:");
        }
        for done in &plan.done {
            let _ = writeln!(out, "  {:<13} {done}", "follow-up:");
        }
        if let Some(error) = &plan.error {
            let _ = writeln!(out, "  {:<13} {error}", "FAILED:");
        }
        let _ = writeln!(out, "----- description -----");
        let _ = writeln!(out, "{}", plan.description.trim_end());
        let _ = writeln!(out, "----- end of {} -----", plan.key);
        if let Style::GitLabSections { now } = style {
            let _ = writeln!(out, "\x1b[0Ksection_end:{now}:{section}\r\x1b[0K");
        }
    }
    for (heading, lines) in [("warnings", &report.warnings), ("errors", &report.errors)] {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{heading}:");
            for line in lines {
                let _ = writeln!(out, "  - {line}");
            }
        }
    }
    out
}

fn list_or_dash(list: &[String]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use teamcadence_core::plan::{Action, IssuePlan};

    use super::*;

    fn report() -> JobReport {
        let plan = |key: &str, action: Action| {
            IssuePlan::bare(
                key.to_owned(),
                action,
                "acme/app".to_owned(),
                format!("Issue {key}"),
                format!("Body of {key}\n"),
            )
        };
        JobReport {
            issues: vec![
                plan("pto/bob/2026-12-21", Action::Create),
                plan("pto/carol/2027-01-04", Action::Exists),
            ],
            warnings: vec!["bob has no backup".to_owned()],
            errors: Vec::new(),
        }
    }

    #[test]
    fn gitlab_sections_fold_each_issue_under_its_heading() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
        let text = text(
            "pto-coverage",
            today,
            false,
            &report(),
            Style::GitLabSections { now: 1_795_000_000 },
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "pto-coverage on 2026-11-21: 1 created, 1 already exists, 0 skipped, 0 failed"
        );
        assert_eq!(
            lines[1],
            "\x1b[0Ksection_start:1795000000:teamcadence_issue_1[collapsed=true]\r\x1b[0K\
             [create] pto/bob/2026-12-21"
        );
        let end = lines
            .iter()
            .position(|l| *l == "\x1b[0Ksection_end:1795000000:teamcadence_issue_1\r\x1b[0K")
            .expect("the first section ends");
        assert!(
            lines[1..end].contains(&"Body of pto/bob/2026-12-21"),
            "{text}"
        );
        assert!(
            lines[end + 1].starts_with("\x1b[0Ksection_start:1795000000:teamcadence_issue_2["),
            "{text}"
        );
        // Warnings stay outside every section, where the reader sees them.
        let last_end = text.rfind("section_end").expect("sections end");
        assert!(
            text.rfind("bob has no backup").expect("warning") > last_end,
            "{text}"
        );
    }

    #[test]
    fn plain_text_has_no_section_markers() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
        let text = text("pto-coverage", today, false, &report(), Style::Plain);
        assert!(!text.contains("section_"), "{text}");
        assert!(text.contains("\n[create] pto/bob/2026-12-21\n"), "{text}");
    }
}
