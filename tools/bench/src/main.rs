//! teamcadence's benchmark: builds an organisation of N people on an in-process gitlab-fake
//! with per-request latency, runs the real job binaries against it (the PTO coverage job,
//! its no-op re-run, then the planning job) and prints, for each run, the wall time, the
//! requests by route, the requests per created issue, the process's peak memory and the
//! lower bound `requests x latency / concurrency`.
//!
//! It measures; it does not judge. It binds only 127.0.0.1, every run has a time limit and
//! the organisation's size is capped. Build the binaries first:
//! `cargo build --release --bins`, then `cargo run --release -p teamcadence-bench -- --people 100`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use serde_json::{Value, json};

/// The fake's admin token: the bench reads counts through the library, never with it.
const ADMIN_TOKEN: &str = "bench-admin-token";
/// The jobs' token, a Reporter of the organisation's group.
const BOT_TOKEN: &str = "glpat-bench-bot-token";
/// The group every team's project lives in.
const GROUP: &str = "org";
/// The day the jobs run: every time off below is within its coverage issue's creation
/// window (14 days before the first day off) and the next release milestone is within the
/// planning job's (26 days before its start).
const TODAY: &str = "2027-03-02";
/// The fake's frozen clock, on `TODAY`.
const NOW: &str = "2027-03-02T08:00:00Z";
/// Two weeks of time off, Monday to Friday (5 working days each): people alternate between
/// them so that each team keeps backups at work.
const TIME_OFF_WEEKS: [(&str, &str); 2] =
    [("2027-03-08", "2027-03-12"), ("2027-03-15", "2027-03-19")];
/// The largest organisation the bench builds: it keeps the seed and the runs bounded.
const MAX_PEOPLE: usize = 20_000;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "teamcadence-bench",
    about = "Runs teamcadence's jobs for an organisation of N people against gitlab-fake with latency and prints wall time, requests, peak memory and the lower bound",
    after_help = "Build the binaries first: cargo build --release --bins"
)]
struct Args {
    /// People in the organisation, each with one time off that needs a coverage issue.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_PEOPLE as u64))]
    people: u64,
    /// People per team (one project per team).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    team_size: u64,
    /// Latency the fake adds to every API request, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Requests the jobs may have in flight at once: passed to them as `--concurrency`, and
    /// used for the lower bound.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    concurrency: u64,
    /// Issue and comment creations per minute the jobs pace themselves to, passed as
    /// `--writes-per-minute`; 0 (the default here, as the fake limits nothing unless told)
    /// paces nothing.
    #[arg(long, default_value_t = 0)]
    writes_per_minute: u32,
    /// The fake's per-user issue creation limit per minute (GitLab's `issues_create_limit`);
    /// 0, the default, limits nothing. With a limit the fake's clock runs from its seeded
    /// instant at the pace of the wall clock, so its minutes pass.
    #[arg(long, default_value_t = 0)]
    issues_create_limit: u32,
    /// The fake's per-user note creation limit per minute (`notes_create_limit`); 0: none.
    #[arg(long, default_value_t = 0)]
    notes_create_limit: u32,
    /// Whether coverage issues list the person's open issues and the merge requests awaiting
    /// their review (`pto.impact`): on, as in the product; `--coverage-impact false` measures
    /// without them, as issue 17's first measurement did.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    coverage_impact: bool,
    /// Where coverage issues go: one project shared by every team (as in the example config,
    /// and what issue 17 measured) or each team's own project.
    #[arg(long, value_enum, default_value_t = PtoProjects::Shared)]
    pto_projects: PtoProjects,
    /// Directory holding the built `pto-coverage` and `planning-issue`.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Longest a single run may take before it is killed and the bench fails.
    #[arg(long, default_value_t = 900)]
    run_timeout_secs: u64,
    /// How often the child's peak memory (VmHWM in /proc/<pid>/status) is sampled.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    sample_ms: u64,
}

/// Where the organisation's coverage issues go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PtoProjects {
    /// One project for every team's coverage issues.
    Shared,
    /// Each team's own project.
    PerTeam,
}

/// The project of every coverage issue with `--pto-projects shared`.
const PTO_PROJECT: &str = "org/pto-coverage";

/// One job run and what the fake and the process showed of it.
struct Measurement {
    label: &'static str,
    wall: Duration,
    /// The job's CPU time (user and system), when /proc tells.
    cpu: Option<Duration>,
    requests: BTreeMap<String, u64>,
    created: usize,
    peak_kib: Option<u64>,
    /// 429 answers for the per-user issue and note creation limits.
    limited: usize,
}

fn main() -> std::process::ExitCode {
    // The error alone, without a backtrace, whatever RUST_BACKTRACE says: it names what to do.
    match bench(&Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("teamcadence-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Builds the organisation, starts the fake and measures the three runs.
fn bench(args: &Args) -> Result<()> {
    let binaries = ["pto-coverage", "planning-issue"].map(|name| args.bin_dir.join(name));
    for path in &binaries {
        if !path.is_file() {
            bail!(
                "{} is missing: build the binaries first with `cargo build --release --bins` \
                 (or pass --bin-dir to where they are)",
                path.display()
            );
        }
    }
    let [pto, planning] = binaries;

    let people = usize::try_from(args.people).context("--people")?;
    let team_size = usize::try_from(args.team_size).context("--team-size")?;
    let org = Organisation::new(people, team_size, args.pto_projects, args.coverage_impact);
    let scratch = ScratchDir::new()?;
    let config = scratch.0.join("teamcadence.yml");
    std::fs::write(&config, org.config()).context("writing the config")?;
    let seed = Seed::from_json_str(&org.seed().to_string())
        .map_err(|e| anyhow::anyhow!("the generated seed is refused: {e}"))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the fake's runtime")?;
    let mut options = Options::new(ADMIN_TOKEN);
    options.seed = Some(seed);
    options.conditions = Conditions {
        latency_ms: args.latency_ms,
        issues_create_limit: args.issues_create_limit,
        notes_create_limit: args.notes_create_limit,
        ..Conditions::default()
    };
    let fake = runtime
        .block_on(FakeGitlab::start(options))
        .context("starting gitlab-fake on 127.0.0.1")?;

    println!(
        "teamcadence-bench: {people} people in {} teams of up to {team_size}, coverage issues in \
         {}, latency {} ms per request, concurrency {} (for the lower bound), binaries from {}",
        org.teams.len(),
        match args.pto_projects {
            PtoProjects::Shared => PTO_PROJECT,
            PtoProjects::PerTeam => "each team's project",
        },
        args.latency_ms,
        args.concurrency,
        args.bin_dir.display()
    );
    let runs: [(&'static str, &Path); 3] = [
        ("pto-coverage (first run)", &pto),
        ("pto-coverage (no-op re-run)", &pto),
        ("planning-issue (first run)", &planning),
    ];
    let mut measured = Vec::new();
    for (label, binary) in runs {
        let measurement = measure(args, &fake, &scratch.0, &config, label, binary)?;
        print!("{}", measurement.report(args.latency_ms, args.concurrency));
        measured.push(measurement);
    }
    runtime.block_on(fake.shutdown());
    print!("{}", targets(args, &measured));
    Ok(())
}

/// Issue 17's targets, each with what was measured against it. Printed, not asserted: the
/// numbers depend on the machine.
fn targets(args: &Args, runs: &[Measurement]) -> String {
    let [first, rerun, _planning] = runs else {
        return String::new();
    };
    let people = args.people;
    let first_total: u64 = first.requests.values().sum();
    let rerun_total: u64 = rerun.requests.values().sum();
    let bound = first_total as f64 * args.latency_ms as f64 / args.concurrency as f64 / 1000.0;
    let ratio = first.wall.as_secs_f64() / bound.max(f64::EPSILON);
    let per_issue = first_total as f64 / first.created.max(1) as f64;
    let rerun_cap = people.div_ceil(100) + 10;
    let peak_mb = |m: &Measurement| m.peak_kib.map(|kib| kib as f64 * 1024.0 / 1e6);
    let peak = runs.iter().filter_map(peak_mb).fold(0.0_f64, f64::max);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ntargets (issue 17, stated for N=2000; this run has N={people})"
    );
    if args.writes_per_minute == 0 {
        let _ = writeln!(
            out,
            "  first run within 1.5x of the lower bound      {ratio:.2}x          {}",
            verdict(ratio <= 1.5)
        );
    } else {
        let _ = writeln!(
            out,
            "  first run against the lower bound: not judged, the writes are paced to {} a minute",
            args.writes_per_minute
        );
    }
    let _ = writeln!(
        out,
        "  at most 2.1 requests per created issue         {per_issue:.2}          {}",
        verdict(per_issue <= 2.1)
    );
    let _ = writeln!(
        out,
        "  no-op re-run at most ceil(N/100)+10 = {rerun_cap} requests   {rerun_total}            {}",
        verdict(rerun_total <= rerun_cap)
    );
    let _ = writeln!(
        out,
        "  no-op re-run under 3 s                         {:.2} s        {}",
        rerun.wall.as_secs_f64(),
        verdict(rerun.wall < Duration::from_secs(3))
    );
    if let Some(cpu) = rerun.cpu {
        let _ = writeln!(
            out,
            "  no-op re-run CPU time (compare N and 2N: at most 2.5x)   {:.3} s",
            cpu.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "  peak memory under 40 MB                        {peak:.1} MB      {}",
        verdict(peak < 40.0)
    );
    if args.issues_create_limit > 0 {
        let limit = u64::from(args.issues_create_limit);
        let creates = first.created as u64;
        // Fixed minute windows let `limit` creates through per minute: the last of them
        // goes in minute ceil(creates / limit), at least that many minutes less one after
        // the first; creates / limit minutes is the rate the limit allows.
        let windows = Duration::from_secs(60 * (creates.div_ceil(limit).saturating_sub(1)));
        let rate = Duration::from_secs_f64(creates as f64 * 60.0 / limit as f64);
        let _ = writeln!(
            out,
            "  with {limit} creates a minute allowed: {creates} creates, {} answers 429, {:.0} s \
             (the limit imposes {:.0} s by its windows, {:.0} s by its rate: {:.2}x / {:.2}x)  {}",
            first.limited,
            first.wall.as_secs_f64(),
            windows.as_secs_f64(),
            rate.as_secs_f64(),
            first.wall.as_secs_f64() / windows.as_secs_f64().max(1.0),
            first.wall.as_secs_f64() / rate.as_secs_f64().max(1.0),
            verdict(first.limited == 0 && first.wall.as_secs_f64() <= 1.1 * rate.as_secs_f64())
        );
    }
    out
}

/// The CPU time (user and system) of this process's children that have been waited for:
/// the `cutime` and `cstime` fields of /proc/self/stat, in clock ticks of 1/100 s (Linux's
/// USER_HZ).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Field 16 (cutime) and 17 (cstime); the first field after the name is field 3.
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs one job against the fake and collects its numbers.
fn measure(
    args: &Args,
    fake: &FakeGitlab,
    scratch: &Path,
    config: &Path,
    label: &'static str,
    binary: &Path,
) -> Result<Measurement> {
    let state = fake.state();
    state.reset_counters();
    let limited_before = limited(fake);
    // With creation limits, the fake's frozen clock is moved on with the wall clock, so
    // that its minute windows pass as they would on a real GitLab.
    let ticking =
        (args.issues_create_limit > 0 || args.notes_create_limit > 0).then(|| Ticker::start(fake));
    let before = state.store().issues().count();
    let name = binary.file_name().and_then(|n| n.to_str()).unwrap_or("job");
    // Output goes to files: a full pipe would stall the child while it is being sampled.
    let stdout = std::fs::File::create(scratch.join(format!("{name}.stdout")))?;
    let stderr_path = scratch.join(format!("{name}.stderr"));
    let stderr = std::fs::File::create(&stderr_path)?;

    let cpu_before = children_cpu();
    let started = Instant::now();
    // `TEAMCADENCE_BENCH_WRAP="valgrind --tool=massif"` runs each job under a profiler.
    let wrap = std::env::var("TEAMCADENCE_BENCH_WRAP").unwrap_or_default();
    let mut wrap = wrap.split_whitespace();
    let mut command = match wrap.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(wrap).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    let mut child = command
        .env_clear()
        .env("GITLAB_TOKEN", BOT_TOKEN)
        .arg("--config")
        .arg(config)
        .args(["--gitlab-url", &fake.base_url(), "--today", TODAY])
        .args(["--format", "json"])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args(["--writes-per-minute", &args.writes_per_minute.to_string()])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let (status, peak_kib) = wait_sampling(
        &mut child,
        Duration::from_secs(args.run_timeout_secs),
        Duration::from_millis(args.sample_ms),
    )
    .with_context(|| format!("running {label}"))?;
    let wall = started.elapsed();
    drop(ticking);
    let cpu = children_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    if !status.success() {
        let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        bail!(
            "{label} failed ({status}); the end of its stderr:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let created = state.store().issues().count().saturating_sub(before);
    Ok(Measurement {
        label,
        wall,
        cpu,
        requests: state.request_counts(),
        created,
        peak_kib,
        limited: limited(fake).saturating_sub(limited_before),
    })
}

/// How many requests the fake refused for its per-user creation limits so far.
fn limited(fake: &FakeGitlab) -> usize {
    fake.state()
        .fault_log()
        .iter()
        .filter(|event| event.fault == "application_rate_limited")
        .count()
}

/// Moves the fake's frozen clock on from where it stands, at the wall clock's pace, until
/// dropped.
struct Ticker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(fake: &FakeGitlab) -> Ticker {
        let state = fake.state();
        let from = state.store().clock().now();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let began = Instant::now();
        let thread = std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
                let elapsed = chrono::Duration::from_std(began.elapsed()).unwrap_or_default();
                state.set_clock(Some(from + elapsed));
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Ticker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for `child`, reading its peak resident memory (VmHWM, which only grows) from
/// /proc every `every`; kills it after `limit`. The peak is the last value read, so a rise
/// in the final `every` before exit is missed.
fn wait_sampling(
    child: &mut std::process::Child,
    limit: Duration,
    every: Duration,
) -> Result<(ExitStatus, Option<u64>)> {
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let started = Instant::now();
    let mut peak = None;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, peak));
        }
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|text| vm_hwm_kib(&text))
        {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        if started.elapsed() > limit {
            child.kill()?;
            child.wait()?;
            bail!("killed after {} s (--run-timeout-secs)", limit.as_secs());
        }
        std::thread::sleep(every);
    }
}

/// The `VmHWM:  1234 kB` line of a /proc status file, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Measurement {
    /// The lines printed for this run.
    fn report(&self, latency_ms: u64, concurrency: u64) -> String {
        let total: u64 = self.requests.values().sum();
        let bound = Duration::from_millis(total * latency_ms / concurrency);
        let mut out = String::new();
        let peak = self.peak_kib.map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
        );
        let _ = writeln!(out, "\n{}", self.label);
        let _ = writeln!(out, "  wall time        {:.2} s", self.wall.as_secs_f64());
        if let Some(cpu) = self.cpu {
            let _ = writeln!(
                out,
                "  CPU time         {:.2} s (user and system)",
                cpu.as_secs_f64()
            );
        }
        let _ = writeln!(
            out,
            "  lower bound      {:.2} s  ({total} requests x {latency_ms} ms / {concurrency}); wall is {:.1}x",
            bound.as_secs_f64(),
            if bound.is_zero() {
                0.0
            } else {
                self.wall.as_secs_f64() / bound.as_secs_f64()
            }
        );
        let per_issue = if self.created == 0 {
            "-".to_owned()
        } else {
            format!("{:.2}", total as f64 / self.created as f64)
        };
        let _ = writeln!(
            out,
            "  requests         {total} total, {} issues created, {per_issue} per created issue",
            self.created
        );
        let _ = writeln!(out, "  peak memory      {peak} (VmHWM, sampled)");
        let _ = writeln!(
            out,
            "  429 answers      {} for the per-user creation limits",
            self.limited
        );
        let mut routes: Vec<(&String, &u64)> = self.requests.iter().collect();
        routes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (route, count) in routes {
            let _ = writeln!(out, "    {count:>7}  {route}");
        }
        out
    }
}

/// The organisation: teams of people, each person with one time off.
struct Organisation {
    /// Each team's usernames; the first is its engineering manager, the second its product
    /// manager.
    teams: Vec<Vec<String>>,
    /// Where coverage issues go.
    pto: PtoProjects,
    /// Whether coverage issues list the person's work (`pto.impact`).
    impact: bool,
}

impl Organisation {
    fn new(people: usize, team_size: usize, pto: PtoProjects, impact: bool) -> Organisation {
        let names: Vec<String> = (1..=people).map(|i| format!("u{i:05}")).collect();
        Organisation {
            teams: names.chunks(team_size).map(<[String]>::to_vec).collect(),
            pto,
            impact,
        }
    }

    fn project(team: usize) -> String {
        format!("{GROUP}/team-{:04}", team + 1)
    }

    /// The gitlab-fake seed: the bot, everyone, one group, one project per team.
    fn seed(&self) -> Value {
        let mut users = vec![json!({
            "username": "teamcadence-bot",
            "name": "teamcadence bot",
            "tokens": [BOT_TOKEN],
        })];
        let mut members = serde_json::Map::new();
        members.insert("teamcadence-bot".to_owned(), json!("reporter"));
        for name in self.teams.iter().flatten() {
            users.push(json!({ "username": name, "name": format!("Person {name}") }));
            members.insert(name.clone(), json!("developer"));
        }
        let mut projects: Vec<Value> = (0..self.teams.len())
            .map(|t| json!({ "path": Organisation::project(t) }))
            .collect();
        if self.pto == PtoProjects::Shared {
            projects.push(json!({ "path": PTO_PROJECT }));
        }
        json!({
            "now": NOW,
            "users": users,
            "groups": [{ "path": GROUP, "members": members }],
            "projects": projects,
        })
    }

    /// The teamcadence config: every team with its members and a responsibility, and each
    /// person's time off (one of two weeks, alternating).
    fn config(&self) -> String {
        let mut out = String::from("timezone: Europe/Amsterdam\nteams:\n");
        for (t, team) in self.teams.iter().enumerate() {
            let _ = writeln!(out, "  - id: team-{:04}", t + 1);
            let _ = writeln!(out, "    name: Team {}", t + 1);
            let _ = writeln!(out, "    project: {}", Organisation::project(t));
            match self.pto {
                PtoProjects::Shared => {
                    let _ = writeln!(
                        out,
                        "    pto: {{ project: {PTO_PROJECT}, impact: {} }}",
                        self.impact
                    );
                }
                PtoProjects::PerTeam => {
                    let _ = writeln!(out, "    pto: {{ impact: {} }}", self.impact);
                }
            }
            out.push_str("    members:\n");
            for (i, name) in team.iter().enumerate() {
                let role = match i {
                    0 => "engineering-manager",
                    1 => "product-manager",
                    _ => "backend-engineer",
                };
                let manager = if i == 0 {
                    String::new()
                } else {
                    format!(", manager: {}", team[0])
                };
                let _ = writeln!(
                    out,
                    "      - {{ username: {name}, name: Person {name}, role: {role}{manager} }}"
                );
            }
            if team.len() >= 4 {
                let _ = writeln!(
                    out,
                    "    responsibilities:\n      - {{ name: Triage, priority: HIGH, owners: [{}], covered_by: [{}] }}",
                    team[2],
                    team[3..].join(", ")
                );
            }
        }
        out.push_str("time_off:\n");
        for (i, name) in self.teams.iter().flatten().enumerate() {
            let (from, until) = TIME_OFF_WEEKS[i % TIME_OFF_WEEKS.len()];
            let _ = writeln!(
                out,
                "  - {{ person: {name}, from: {from}, until: {until} }}"
            );
        }
        out
    }
}

/// A folder for the config and the jobs' output, removed when the bench ends.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        let dir = std::env::temp_dir().join(format!("teamcadence-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peak_from_a_proc_status_file() {
        let status =
            "Name:\tpto-coverage\nVmPeak:\t  20000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 9000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(12345));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }
}
