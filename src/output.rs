//! How a job's report is printed: text for people, JSON for machines.

use std::fmt::Write;

use chrono::NaiveDate;
use serde_json::{Value, json};
use teamcadence_core::plan::{IssuePlan, JobReport};

/// The report as one JSON document, in the documented shape.
pub fn json(report: &JobReport) -> String {
    let document = json!({
        "issues": report.issues.iter().map(issue_json).collect::<Vec<_>>(),
        "warnings": report.warnings,
        "errors": report.errors,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn issue_json(plan: &IssuePlan) -> Value {
    json!({
        "key": plan.key,
        "action": plan.action.name(),
        "reason": plan.action.reason(),
        "project": plan.project,
        "title": plan.title,
        "description": plan.description,
        "labels": plan.labels,
        "assignees": plan.assignees,
        "milestone": plan.milestone,
        "due_date": plan.due_date.map(|d| d.format("%Y-%m-%d").to_string()),
        "confidential": plan.confidential,
        "web_url": plan.web_url,
        "error": plan.error,
        "follow_ups": plan.done,
    })
}

/// The report for a person: a summary line, each issue's fields, then its full description.
pub fn text(job: &str, today: NaiveDate, dry_run: bool, report: &JobReport) -> String {
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
    for plan in &report.issues {
        let _ = writeln!(out);
        let _ = write!(out, "[{}] {}", plan.action.name(), plan.key);
        if let Some(reason) = plan.action.reason() {
            let _ = write!(out, ": {reason}");
        }
        let _ = writeln!(out);
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
