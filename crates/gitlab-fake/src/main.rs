//! `gitlab-fake`: runs the fake GitLab until killed, printing its base URL as the first
//! line on stdout so that scripts can read it (`--listen 127.0.0.1:0` picks a free port).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};

/// A faithful in-memory fake of GitLab's REST API v4 for tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "gitlab-fake", version)]
struct Args {
    /// Loopback address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Token of the built-in administrator `root`.
    #[arg(long, env = "GITLAB_FAKE_TOKEN", hide_env_values = true)]
    token: String,
    /// Seed file (YAML, or JSON when it ends in .json) with users, projects, issues...
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Milliseconds added to every API request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Probability (0..=1) of answering 500/502/503 before handling a request.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Probability (0..=1) of losing the answer to a stored write (502 or closed connection).
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Requests allowed per token per window (0: no limit).
    #[arg(long, default_value_t = 0)]
    rate_limit: u32,
    /// Length of the rate-limit window in seconds.
    #[arg(long, default_value_t = 60)]
    rate_limit_window_secs: u64,
    /// Issues one user may create per minute, as GitLab's `issues_create_limit` admin
    /// setting (0: no limit); the next one answers 429.
    #[arg(long, default_value_t = 0)]
    issues_create_limit: u32,
    /// Notes one user may create per minute, as GitLab's `notes_create_limit` (0: no limit).
    #[arg(long, default_value_t = 0)]
    notes_create_limit: u32,
    /// Answer `POST /api/graphql` with 404, as an instance without GitLab's GraphQL API.
    #[arg(long)]
    graphql_disabled: bool,
    /// Answer GraphQL as GitLab's Free edition: `Issue` has no `weight`.
    #[arg(long)]
    graphql_free_edition: bool,
    /// Seed of the fault sequence (same seed, same faults).
    #[arg(long, default_value_t = 0)]
    seed_rng: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => Some(Seed::from_path(path).with_context(|| {
            format!("loading the seed file {} given with --seed", path.display())
        })?),
        None => None,
    };
    let options = Options {
        listen: args.listen,
        admin_token: args.token,
        seed,
        conditions: Conditions {
            latency_ms: args.latency_ms,
            fail_rate: args.fail_rate,
            drop_rate: args.drop_rate,
            rate_limit: args.rate_limit,
            rate_limit_window_secs: args.rate_limit_window_secs,
            issues_create_limit: args.issues_create_limit,
            notes_create_limit: args.notes_create_limit,
            graphql_disabled: args.graphql_disabled,
            graphql_free_edition: args.graphql_free_edition,
        },
        rng_seed: args.seed_rng,
    };
    let fake = FakeGitlab::start(options)
        .await
        .with_context(|| format!("starting the fake GitLab on {}", args.listen))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", fake.base_url()).context("writing the base URL to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);
    eprintln!(
        "gitlab-fake: serving GitLab API v4 at {}/api/v4 until killed",
        fake.base_url()
    );
    std::future::pending::<()>().await;
    Ok(())
}
