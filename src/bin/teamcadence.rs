//! `teamcadence`: commands around the jobs; `check` validates a config and renders every
//! template with its data.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use teamcadence::{EXIT_OK, EXIT_USAGE, fail, load_config, parse_date, today};
use teamcadence_core::config::{SchemaOf, json_schema};
use teamcadence_core::jobs;

/// teamcadence: recurring GitLab issues for engineering teams.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the config and render every template with its data; exit 2 on any problem.
    Check {
        /// The teamcadence config file.
        #[arg(long, env = "TEAMCADENCE_CONFIG", default_value = "teamcadence.yml")]
        config: PathBuf,
        /// Render as on this date (YYYY-MM-DD); default: today in the config's time zone.
        #[arg(long, value_parser = parse_date)]
        today: Option<NaiveDate>,
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
            today: date,
        } => {
            let loaded = match load_config(&config) {
                Ok(loaded) => loaded,
                Err(e) => return fail("teamcadence check", EXIT_USAGE, &format!("{e:#}")),
            };
            let report = jobs::check(&loaded, today(&loaded, date));
            for warning in &report.warnings {
                eprintln!("teamcadence check: warning: {warning}");
            }
            if report.problems.is_empty() {
                println!(
                    "{}: ok: {} team{}, {} issue{} rendered from the templates",
                    config.display(),
                    loaded.teams.len(),
                    if loaded.teams.len() == 1 { "" } else { "s" },
                    report.rendered,
                    if report.rendered == 1 { "" } else { "s" },
                );
                ExitCode::from(EXIT_OK)
            } else {
                fail(
                    "teamcadence check",
                    EXIT_USAGE,
                    &format!("{}: {}", config.display(), report.problems.join("\n")),
                )
            }
        }
    }
}
