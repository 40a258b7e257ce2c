//! `weekly-sync`: creates the weekly sync meeting's agenda issue, and cancels the meeting
//! when its agenda is empty at the lead time before it.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Prepare the weekly sync meeting, or cancel it when nobody has a point.
///
/// Creates each meeting's agenda issue a few days before (default 6). At the meeting time
/// minus the lead time (default one hour before Tuesday 15:00 UTC), an agenda nobody added
/// to (its sections untouched, no comments) cancels the meeting: a note says so, the issue
/// gets a label and is closed; otherwise a note says the meeting is on. Decided from --now
/// (default: the clock), so a schedule that runs late or twice decides once. Run it hourly.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "",
        "  weekly-sync --dry-run --now 2026-12-08T14:00:00Z   # the decision at 14:00 UTC
  GITLAB_TOKEN=glpat-... weekly-sync --config teamcadence.yml"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Decide as at this instant (RFC 3339, for example 2026-12-08T14:00:00Z); default: now,
    /// or noon of --today in the config's zone.
    #[arg(long, value_parser = teamcadence::parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::WeeklySync(args.now), &args.common)
}
