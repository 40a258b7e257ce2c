//! `recurring-issues`: creates the issues each team declares under `recurring` in the
//! config, one per period, with the rotation's assignee.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Create each team's recurring issues (triage rotations, monthly reviews, ...).
///
/// Reads each team's `recurring` list and creates the issue of every period that is due
/// (weekly, every few weeks, monthly, or per milestone), assigned in turn to the next person
/// of its rotation who is not away on the due date; missed periods are caught up within the
/// `catch_up` window and each issue is linked to the previous period's. An issue that exists
/// already (found by its hidden key) is never created twice. Run it daily from a schedule.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "",
        "  recurring-issues --dry-run --offline        # what would be created, GitLab untouched
  recurring-issues --dry-run --offline --today 2026-12-02"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::Recurring, &args.common)
}
