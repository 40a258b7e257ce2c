//! `teamcadence check`: validates a config and renders every template with its data, and
//! writes what it found as a Code Quality report when asked.

use std::path::Path;
use std::process::ExitCode;

use chrono::NaiveDate;
use teamcadence_core::config::ConfigError;
use teamcadence_core::jobs;

use crate::reports::{self, Finding, Severity};
use crate::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, load_config, today};

const NAME: &str = "teamcadence check";

/// Checks the config at `config` as on `date` (default today), prints the outcome and, with
/// `codequality`, writes the problems there (`[]` when there are none); the exit code says
/// how it went.
pub fn run(config: &Path, date: Option<NaiveDate>, codequality: Option<&Path>) -> ExitCode {
    let loaded = match load_config(config) {
        Ok(loaded) => loaded,
        Err(e) => {
            let findings = match e.downcast_ref::<ConfigError>() {
                Some(error) => reports::config_findings(config, error),
                None => vec![reports::whole_config_finding(
                    config,
                    &format!("{e:#}"),
                    Severity::Major,
                )],
            };
            write(codequality, &findings);
            return fail(NAME, EXIT_USAGE, &format!("{e:#}"));
        }
    };
    let report = jobs::check(&loaded, today(&loaded, date));
    for warning in &report.warnings {
        eprintln!("{NAME}: warning: {warning}");
    }
    let mut findings: Vec<Finding> = report
        .template_problems
        .iter()
        .map(|problem| reports::template_finding(config, problem))
        .collect();
    let template_texts: Vec<String> = report
        .template_problems
        .iter()
        .map(ToString::to_string)
        .collect();
    findings.extend(
        report
            .problems
            .iter()
            .filter(|problem| !template_texts.contains(problem))
            .map(|problem| reports::whole_config_finding(config, problem, Severity::Major)),
    );
    findings.extend(
        report
            .warnings
            .iter()
            .map(|warning| reports::whole_config_finding(config, warning, Severity::Minor)),
    );
    let written = write(codequality, &findings);
    if !report.problems.is_empty() {
        return fail(
            NAME,
            EXIT_USAGE,
            &format!("{}: {}", config.display(), report.problems.join("\n")),
        );
    }
    println!(
        "{}: ok: {} team{}, {} issue{} rendered from the templates",
        config.display(),
        loaded.teams.len(),
        if loaded.teams.len() == 1 { "" } else { "s" },
        report.rendered,
        if report.rendered == 1 { "" } else { "s" },
    );
    if written {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

/// Writes the Code Quality report when one is asked for; false when it could not be.
fn write(path: Option<&Path>, findings: &[Finding]) -> bool {
    let Some(path) = path else { return true };
    match crate::write_file(path, "Code Quality report", &reports::codequality(findings)) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("{NAME}: {e:#}");
            false
        }
    }
}
