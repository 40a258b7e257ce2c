//! `async-updates`: posts the weekly async status update prompts, and the week's summary on
//! the planning issue.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Ask for the weekly async status updates.
///
/// On the team's update day (Wednesday by default, in each person's own time zone) posts a
/// prompt in the handbook's format on each open issue of the current milestone assigned to a
/// team member, except when its assignees are away that day or one of them already posted
/// an update that week. Each issue gets one prompt a week, however often this runs. Once the
/// update day is over for everyone, a summary goes on the milestone's planning issue. Run it
/// hourly or daily from a schedule.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "",
        "  async-updates --dry-run --now 2026-12-02T09:00:00Z   # what would be posted then
  GITLAB_TOKEN=glpat-... async-updates --config teamcadence.yml"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Decide as at this instant (RFC 3339, for example 2026-12-02T09:00:00Z); default: now,
    /// or noon of --today in the config's zone.
    #[arg(long, value_parser = teamcadence::parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::AsyncUpdates(args.now), &args.common)
}
