//! `planning-issue`: plans (and, with GitLab, creates) each team's next milestone planning issue.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Create each team's planning issue for the next milestone.
///
/// Reads the config, finds each team's next milestone (from the config's milestone rule, or
/// GitLab's milestones) and creates its planning issue in GitLab when it is due, with the
/// dated planning tasks, the capacity of each member and who is away. An issue that exists
/// already (found by its hidden key) is never created twice. Run it daily from a schedule.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "",
        "  planning-issue --dry-run --offline          # what would be created, GitLab untouched
  GITLAB_TOKEN=glpat-... planning-issue --config teamcadence.yml \\
      --annotations teamcadence-report/annotations.json"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::Planning, &args.common)
}
