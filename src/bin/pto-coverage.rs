//! `pto-coverage`: plans coverage issues for recorded time off, or for one absence given by
//! hand (a manual pipeline passes it as variables).

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, EXIT_USAGE, Job, given, given_date};

/// Create PTO coverage issues, with backups who are not away themselves.
///
/// Reads the time off the config records (files, calendar feeds) and creates a coverage
/// issue for each absence that starts soon, naming backups who are not away themselves.
/// With --person, --from and --until (or PTO_PERSON, PTO_FROM, PTO_UNTIL, from a manual
/// pipeline) it creates the issue for that absence now. An issue that exists already (found
/// by its hidden key) is never created twice.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = teamcadence::help::job_after_help(
        "  PTO_PERSON, PTO_FROM, PTO_UNTIL
                             one absence given by hand, as --person, --from, --until (a
                             manual pipeline's variables); empty counts as not given",
        "  pto-coverage --dry-run --offline
  pto-coverage --person bob --from 2026-12-21 --until 2027-01-01"
    )
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Create the coverage issue for this person's time off now (GitLab username).
    #[arg(long, env = "PTO_PERSON")]
    person: Option<String>,
    /// First day off (YYYY-MM-DD).
    #[arg(long, env = "PTO_FROM", value_name = "YYYY-MM-DD")]
    from: Option<String>,
    /// Last day off, inclusive (YYYY-MM-DD).
    #[arg(long, env = "PTO_UNTIL", value_name = "YYYY-MM-DD")]
    until: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let dates = given_date("--from (PTO_FROM)", args.from)
        .and_then(|from| Ok((from, given_date("--until (PTO_UNTIL)", args.until)?)));
    let (from, until) = match dates {
        Ok(dates) => dates,
        Err(message) => return teamcadence::fail("pto-coverage", EXIT_USAGE, &message),
    };
    let manual = match (given(args.person), from, until) {
        (Some(person), Some(from), Some(until)) => Some((person, from, until)),
        (None, None, None) => None,
        _ => {
            return teamcadence::fail(
                "pto-coverage",
                EXIT_USAGE,
                "time off given by hand needs all of --person, --from and --until (PTO_PERSON, PTO_FROM, PTO_UNTIL)",
            );
        }
    };
    teamcadence::run(Job::PtoCoverage(manual), &args.common)
}
