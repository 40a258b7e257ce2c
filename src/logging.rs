//! Logs on stderr, one event per line; results go to stdout.
//!
//! `TEAMCADENCE_LOG` sets the level (`error`, `warn`, `info`, `debug`, `trace`; default
//! `warn`) of teamcadence's own crates only. Other crates stay at `warn` whatever it says, so
//! that no level can print an HTTP header, and with it a token. `NO_COLOR` turns colours off.

use tracing_subscriber::EnvFilter;

/// Our crates, whose level `TEAMCADENCE_LOG` sets.
const OUR_CRATES: [&str; 3] = ["teamcadence", "teamcadence_core", "teamcadence_gitlab"];

/// Installs the stderr logger; a second call does nothing.
pub fn init() {
    let level = std::env::var("TEAMCADENCE_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::WARN);
    let mut filter = EnvFilter::new("warn");
    for krate in OUR_CRATES {
        if let Ok(directive) = format!("{krate}={level}").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::env::var_os("CI").is_none())
        .with_target(false)
        .try_init();
}
