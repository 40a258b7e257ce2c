//! `retrospective`: opens each team's milestone retrospective issue on its day.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Open the milestone retrospective issue.
///
/// On the first Wednesday 11 days or more after a milestone starts, creates its
/// retrospective issue: what was delivered and what slipped (the milestone's closed and
/// open `Deliverable` issues), the standard questions each in its own thread, linked to the
/// milestone's planning issue. A missed day is caught up within two weeks. An issue that
/// exists already (found by its hidden key) is never created twice. Run it daily.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "",
        "  retrospective --dry-run --offline --today 2026-12-23
  GITLAB_TOKEN=glpat-... retrospective --config teamcadence.yml"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::Retrospective, &args.common)
}
