//! `onboarding-issue`: plans onboarding issues for the roster's new hires, or for one given by
//! hand (a manual pipeline passes them as variables).

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, EXIT_USAGE, Job, given, given_date};
use teamcadence_core::jobs::onboarding::ManualHire;

/// Create onboarding issues for new hires.
///
/// Reads the config's roster and creates an onboarding issue for each new hire whose start
/// is near, assigned to the hire, their manager and their buddy. With --new-hire (or
/// NEW_HIRE, from a manual pipeline) it creates the issue for that one person now. An issue
/// that exists already (found by its hidden key) is never created twice.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "  NEW_HIRE, START_DATE, MANAGER, BUDDY, ROLE, TEAM, LOCATION
                             one new hire given by hand, as --new-hire, --start-date,
                             --manager, --buddy, --role, --team, --location (a manual
                             pipeline's variables); empty counts as not given",
        "  onboarding-issue --dry-run --offline
  onboarding-issue --new-hire dana --start-date 2026-12-07 --buddy erin"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Create the issue for this new hire now (GitLab username).
    #[arg(long, env = "NEW_HIRE")]
    new_hire: Option<String>,
    /// The new hire's first day (YYYY-MM-DD).
    #[arg(long, env = "START_DATE", value_name = "YYYY-MM-DD")]
    start_date: Option<String>,
    /// Their manager's username (default: the roster's, else the team's engineering manager).
    #[arg(long, env = "MANAGER")]
    manager: Option<String>,
    /// Their onboarding buddy's username.
    #[arg(long, env = "BUDDY")]
    buddy: Option<String>,
    /// Their role (default: the roster's, else `engineer`).
    #[arg(long, env = "ROLE")]
    role: Option<String>,
    /// The team they join (needed only when the config has several teams).
    #[arg(long, env = "TEAM")]
    team: Option<String>,
    /// Where they work from, for example EMEA (default: the roster's); picks template parts.
    #[arg(long, env = "LOCATION")]
    location: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let start_date = match given_date("--start-date (START_DATE)", args.start_date) {
        Ok(date) => date,
        Err(message) => return teamcadence::fail("onboarding-issue", EXIT_USAGE, &message),
    };
    let manual = match given(args.new_hire) {
        Some(username) => Some(ManualHire {
            username,
            start: start_date,
            manager: given(args.manager),
            buddy: given(args.buddy),
            role: given(args.role),
            team: given(args.team),
            location: given(args.location),
        }),
        None if start_date.is_some() => {
            return teamcadence::fail(
                "onboarding-issue",
                EXIT_USAGE,
                "--start-date (START_DATE) was given without --new-hire (NEW_HIRE): pass both",
            );
        }
        None => None,
    };
    teamcadence::run(Job::Onboarding(manual), &args.common)
}
