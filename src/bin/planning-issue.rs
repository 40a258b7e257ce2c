//! `planning-issue`: plans (and, with GitLab, creates) each team's next milestone planning issue.

use std::process::ExitCode;

use clap::Parser;
use teamcadence::{CommonArgs, Job};

/// Create each team's planning issue for the next milestone.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    teamcadence::run(Job::Planning, &args.common)
}
