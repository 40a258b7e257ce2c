//! `teamcadence`: commands around the jobs; `check` validates a config and renders every
//! template with its data.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use teamcadence::{EXIT_OK, parse_date};
use teamcadence_core::config::{SchemaOf, json_schema};

/// Commands around teamcadence's jobs: check a config before it is merged.
///
/// teamcadence turns a team's recurring GitLab rituals into issues: planning, onboarding and
/// PTO coverage. This binary holds the commands that write no issue.
#[derive(Debug, Parser)]
#[command(version, after_help = teamcadence::help::TEAMCADENCE_AFTER_HELP)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the config and render every template with its data; exit 2 on any problem.
    ///
    /// Reads the config and the files it names (roster, time off, templates), then renders
    /// every template of every team with that data, and a sample absence and hire for teams
    /// that have none, so a broken template shows in the merge request that breaks it, not on
    /// the day it is due. Contacts no GitLab and writes no issue.
    #[command(after_help = teamcadence::help::CHECK_AFTER_HELP)]
    Check {
        /// The teamcadence config file.
        #[arg(long, env = "TEAMCADENCE_CONFIG", default_value = "teamcadence.yml")]
        config: PathBuf,
        /// Render as on this date (YYYY-MM-DD); default: today in the config's time zone.
        #[arg(long, value_parser = parse_date)]
        today: Option<NaiveDate>,
        /// Also write the problems as GitLab's Code Quality report to this file, whatever
        /// the outcome (`[]` when all is well): with `artifacts: reports: codequality` a merge
        /// request shows each on its line of the config.
        #[arg(long, env = "TEAMCADENCE_CODEQUALITY")]
        codequality: Option<PathBuf>,
    },
    /// Print the JSON Schema of the config file (or of a time off or roster file it names),
    /// for editors and other checkers.
    Schema {
        /// Which file's schema.
        #[arg(default_value = "config", value_parser = ["config", "time-off", "roster"])]
        file: String,
    },
}

fn main() -> ExitCode {
    match Args::parse().command {
        Command::Schema { file } => {
            let of = match file.as_str() {
                "time-off" => SchemaOf::TimeOff,
                "roster" => SchemaOf::Roster,
                _ => SchemaOf::Config,
            };
            print!("{}", json_schema(of));
            ExitCode::from(EXIT_OK)
        }
        Command::Check {
            config,
            today,
            codequality,
        } => teamcadence::check::run(&config, today, codequality.as_deref()),
    }
}
