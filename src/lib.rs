//! The command-line edge of teamcadence: arguments, reading files, printing results.
//!
//! Each binary parses its arguments, builds a [`Job`] and hands it to [`run`]; everything
//! the jobs decide lives in `teamcadence-core`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use teamcadence_core::apply::{ApplyOptions, apply};
use teamcadence_core::config::{Config, SourceFiles};
use teamcadence_core::ics::FeedSource;
use teamcadence_core::jobs::touch::{self, Planned};
use teamcadence_core::jobs::{self, JobError, Scope};
use teamcadence_core::limits;
use teamcadence_core::plan::{Action, JobReport};
use teamcadence_core::run_lock::LockSettings;
use teamcadence_gitlab::{
    ConnectError, ConnectOptions, DEFAULT_CONCURRENCY, DEFAULT_WRITES_PER_MINUTE, GitLab,
    ServerUrl, Token, fetch_feed, resolve_url,
};

pub mod check;
pub mod help;
pub mod logging;
pub mod output;
pub mod reports;

/// Exit code: the run did what was due (nothing due is fine too).
pub const EXIT_OK: u8 = 0;
/// Exit code: some work failed; the output says which.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad usage or configuration; nothing was written.
pub const EXIT_USAGE: u8 = 2;

/// Flags every job binary takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// The teamcadence config file.
    #[arg(long, env = "TEAMCADENCE_CONFIG", default_value = "teamcadence.yml")]
    pub config: PathBuf,
    /// Decide what is due as on this date (YYYY-MM-DD); default: today in the config's
    /// time zone. Lets a missed day be caught up and makes runs reproducible.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    /// Compute and print the plan; write nothing. GitLab is still read when a URL and a token
    /// are given, to show what exists already.
    #[arg(long)]
    pub dry_run: bool,
    /// Output for people (`text`) or machines (`json`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The GitLab instance (default: `CI_SERVER_URL`, then `gitlab.url` in the config). The
    /// token comes from `GITLAB_TOKEN` or the file named by `GITLAB_TOKEN_FILE`.
    #[arg(long)]
    pub gitlab_url: Option<String>,
    /// With --dry-run: plan from the config alone and never contact GitLab, whatever URL or
    /// token the environment holds (a merge request's preview).
    #[arg(long, requires = "dry_run")]
    pub offline: bool,
    /// Also write the report as JSON (the `--format json` document) to this file, whatever
    /// the outcome: a CI job's artifact.
    #[arg(long, env = "TEAMCADENCE_REPORT")]
    pub report: Option<PathBuf>,
    /// Also write GitLab's annotations report to this file, whatever the outcome: with
    /// `artifacts: reports: annotations` the job page links each issue created, updated or
    /// found.
    #[arg(long, env = "TEAMCADENCE_ANNOTATIONS")]
    pub annotations: Option<PathBuf>,
    /// The longest the run may take (seconds, or with a unit: `90s`, `15m`, `1h`). A wait
    /// for GitLab (rate limit, retry) that would end past it fails at once, and the report
    /// lists what was not done. The default fits within GitLab's 60-minute job timeout.
    #[arg(long, env = "TEAMCADENCE_TIMEOUT", default_value = "15m", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Requests to GitLab in flight at once, 1 to 64 (default: `gitlab.concurrency` in the
    /// config, else 8).
    #[arg(long, env = "TEAMCADENCE_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,
    /// Issue creations, and comment creations, each made per minute at most, to stay within
    /// the instance's `issues_create` / `notes_create` limits; 0 paces nothing (default:
    /// `gitlab.writes_per_minute` in the config, else 300).
    #[arg(long, env = "TEAMCADENCE_WRITES_PER_MINUTE")]
    pub writes_per_minute: Option<u32>,
}

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable summary followed by each issue in full.
    Text,
    /// One JSON document: `{"issues": [...], "warnings": [...], "errors": [...]}`.
    Json,
}

/// Parses a `YYYY-MM-DD` argument, in the years a config accepts (so that no date given by
/// hand can overflow the jobs' date arithmetic).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        format!("`{text}` is not a date: write it as YYYY-MM-DD, for example 2026-12-07")
    })?;
    if limits::date_in_window(date) {
        Ok(date)
    } else {
        Err(limits::date_outside_window(date))
    }
}

/// Parses a `--now` argument: an RFC 3339 instant such as `2026-12-08T14:00:00Z` or
/// `2026-12-08T15:00:00+01:00`, in the years a config accepts.
pub fn parse_now(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let instant = chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| {
            format!(
                "`{text}` is not an instant: write it as RFC 3339, for example \
                 2026-12-08T14:00:00Z or 2026-12-08T15:00:00+01:00"
            )
        })?
        .with_timezone(&chrono::Utc);
    let date = instant.date_naive();
    if limits::date_in_window(date) {
        Ok(instant)
    } else {
        Err(limits::date_outside_window(date))
    }
}

/// Parses a `--timeout`: whole seconds (`900`), or a number with a unit `s`, `m` or `h`
/// (`90s`, `15m`, `1h`); more than zero and at most a day.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let (number, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, "s"),
    };
    let seconds_per = match unit.trim() {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        _ => None,
    };
    let seconds = seconds_per
        .zip(number.parse::<u64>().ok())
        .and_then(|(per, n)| n.checked_mul(per))
        .filter(|seconds| (1..=24 * 3600).contains(seconds));
    seconds.map(Duration::from_secs).ok_or_else(|| {
        format!(
            "`{text}` is not a timeout: write seconds or a number with s, m or h, such as 900, \
             90s, 15m or 1h (at most 24h)"
        )
    })
}

/// A value given by hand for a manual pipeline: blank counts as not given, since GitLab's
/// "Run pipeline" form passes a variable left empty as `""`.
pub fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A date given by hand for a manual pipeline (see [`given`]), named `what` in messages.
pub fn given_date(what: &str, value: Option<String>) -> Result<Option<NaiveDate>, String> {
    given(value)
        .map(|text| parse_date(&text).map_err(|problem| format!("{what}: {problem}")))
        .transpose()
}

/// Reads the files a config names, relative to the config file's folder.
#[derive(Debug, Clone)]
pub struct ConfigDir(PathBuf);

impl ConfigDir {
    /// The folder holding `config_file`.
    pub fn of(config_file: &Path) -> Self {
        ConfigDir(
            config_file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        )
    }
}

impl SourceFiles for ConfigDir {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        read_bounded(&self.0.join(path))
    }
}

/// The text of the file at `path`, refused past [`limits::MAX_FILE_BYTES`]: a path to an
/// endless file (`/dev/zero`, a pipe) or a huge one must not take the runner's memory.
pub fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "the file is larger than {} MiB, the most teamcadence reads from one file",
                limits::MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text; save it as UTF-8",
        )
    })
}

/// Reads and validates the config file.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text = read_bounded(path).with_context(|| {
        format!(
            "cannot read the config file {}: pass --config PATH or set TEAMCADENCE_CONFIG",
            path.display()
        )
    })?;
    Ok(Config::parse(
        &path.display().to_string(),
        &text,
        &ConfigDir::of(path),
    )?)
}

/// Today in the config's time zone, unless `--today` says otherwise.
pub fn today(config: &Config, given: Option<NaiveDate>) -> NaiveDate {
    given.unwrap_or_else(|| date_in(config.timezone, chrono::Utc::now()))
}

/// The calendar date in `zone` at the instant `now`: what "today" means for a team there.
pub fn date_in(zone: chrono_tz::Tz, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// The instant a run decides at: `--now`, else noon of `--today` in the config's zone, else
/// the clock.
pub fn instant(
    config: &Config,
    today: Option<NaiveDate>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    now.or_else(|| {
        let noon = today?.and_hms_opt(12, 0, 0)?;
        config
            .timezone
            .from_local_datetime(&noon)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    })
    .unwrap_or_else(chrono::Utc::now)
}

/// Which job to run, with the input given by hand, if any.
#[derive(Debug, Clone)]
pub enum Job {
    /// The milestone planning issue of every team.
    Planning,
    /// Onboarding issues, with one hire given by hand.
    Onboarding(Option<jobs::onboarding::ManualHire>),
    /// PTO coverage issues, with one absence given by hand: (person, from, until).
    PtoCoverage(Option<(String, NaiveDate, NaiveDate)>),
    /// The teams' own recurring issues.
    Recurring,
    /// The weekly async status update prompts, decided at the instant given (`--now`).
    AsyncUpdates(Option<chrono::DateTime<chrono::Utc>>),
    /// The weekly sync's agenda and decision, decided at the instant given (`--now`).
    WeeklySync(Option<chrono::DateTime<chrono::Utc>>),
    /// The milestone retrospective issue.
    Retrospective,
}

impl Job {
    /// The binary's name, used in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Planning => "planning-issue",
            Job::Onboarding(_) => "onboarding-issue",
            Job::PtoCoverage(_) => "pto-coverage",
            Job::Recurring => "recurring-issues",
            Job::AsyncUpdates(_) => "async-updates",
            Job::WeeklySync(_) => "weekly-sync",
            Job::Retrospective => "retrospective",
        }
    }

    /// The label that marks this job's issues in GitLab.
    pub fn kind_label(&self) -> &'static str {
        match self {
            Job::Planning => jobs::planning::KIND_LABEL,
            Job::Onboarding(_) => jobs::onboarding::KIND_LABEL,
            Job::PtoCoverage(_) => jobs::pto::KIND_LABEL,
            Job::Recurring => jobs::recurring::KIND_LABEL,
            Job::AsyncUpdates(_) => jobs::async_updates::KIND_LABEL,
            Job::WeeklySync(_) => jobs::sync::KIND_LABEL,
            Job::Retrospective => jobs::retrospective::KIND_LABEL,
        }
    }

    /// The instant given by hand (`--now`), for the jobs that decide by the hour.
    pub fn now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Job::AsyncUpdates(now) | Job::WeeklySync(now) => *now,
            _ => None,
        }
    }

    /// Reads what the job needs from GitLab (when connected) and plans.
    async fn plan(
        self,
        run: &Run<'_>,
        now: chrono::DateTime<chrono::Utc>,
        gitlab: Option<&GitLab>,
    ) -> Result<Planned, JobError> {
        let Run {
            config,
            files,
            today,
            deadline,
            ..
        } = *run;
        let plain = |report: JobReport| Planned {
            report,
            touches: Vec::new(),
        };
        match self {
            Job::AsyncUpdates(_) => {
                let feeds = read_feeds(config, files, deadline).await;
                let facts = jobs::async_updates::gather(gitlab, config, now, feeds).await;
                jobs::async_updates::plan(config, now, &facts)
            }
            Job::WeeklySync(_) => {
                let facts = jobs::sync::gather(gitlab, config, now).await;
                jobs::sync::plan(config, now, &facts)
            }
            Job::Retrospective => {
                let feeds = read_feeds(config, files, deadline).await;
                let facts = jobs::retrospective::gather(gitlab, config, today, feeds).await;
                jobs::retrospective::plan(config, today, &facts)
            }
            Job::Planning => {
                let feeds = read_feeds(config, files, deadline).await;
                let facts = jobs::planning::gather(gitlab, config, today, feeds).await;
                jobs::planning::plan(config, today, &facts).map(plain)
            }
            Job::Onboarding(manual) => {
                let hire = manual
                    .map(|m| jobs::onboarding::manual_hire(config, m))
                    .transpose()?;
                let feeds = read_feeds(config, files, deadline).await;
                let facts =
                    jobs::onboarding::gather(gitlab, config, today, hire.as_ref(), feeds).await;
                jobs::onboarding::plan(config, today, Scope::Upcoming, hire.as_ref(), &facts)
                    .map(plain)
            }
            Job::PtoCoverage(manual) => {
                let time_off = manual
                    .map(|(person, from, until)| {
                        jobs::pto::manual_time_off(config, &person, from, until)
                    })
                    .transpose()?;
                let feeds = read_feeds(config, files, deadline).await;
                let facts =
                    jobs::pto::gather(gitlab, config, today, time_off.as_ref(), feeds).await;
                jobs::pto::plan(config, today, Scope::Upcoming, time_off, &facts).map(plain)
            }
            Job::Recurring => {
                let feeds = read_feeds(config, files, deadline).await;
                let facts = jobs::recurring::gather(gitlab, config, today, feeds).await;
                jobs::recurring::plan(config, today, Scope::Upcoming, &facts).map(plain)
            }
        }
    }
}

/// The text of each of the config's time-off feeds, in order, or why it could not be read:
/// files relative to the config file's folder, addresses over https, given up at `deadline`.
async fn read_feeds(
    config: &Config,
    files: &ConfigDir,
    deadline: Instant,
) -> Vec<Result<String, String>> {
    let reads = config.time_off_feeds.iter().map(|feed| async move {
        match &feed.source {
            FeedSource::File(path) => files
                .read_to_string(path)
                .map_err(|e| format!("cannot read the file {path}: {e}")),
            FeedSource::Url(url) => fetch_feed(url, Some(deadline)).await,
        }
    });
    futures_util::future::join_all(reads).await
}

/// Runs a job end to end and returns the process exit code. Errors go to stderr, results to
/// stdout, and with `--report` the JSON report to its file, even when the run stops early.
pub fn run(job: Job, args: &CommonArgs) -> ExitCode {
    logging::init();
    let deadline = Instant::now() + args.timeout;
    let name = job.name();
    let (today, report) = match planned_and_applied(job, args, deadline) {
        Ok(done) => done,
        Err((code, message)) => {
            let report = JobReport {
                errors: vec![message.clone()],
                ..JobReport::default()
            };
            for e in write_files(name, args, &report) {
                eprintln!("{name}: {e:#}");
            }
            return fail(name, code, &message);
        }
    };

    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let printed = match args.format {
        Format::Text => {
            let sections = std::env::var("GITLAB_CI").is_ok_and(|v| v == "true");
            let style = if sections {
                output::Style::GitLabSections {
                    now: chrono::Utc::now().timestamp(),
                }
            } else {
                output::Style::Plain
            };
            stdout.write_all(output::text(name, today, args.dry_run, &report, style).as_bytes())
        }
        Format::Json => output::write_json(&report, &mut stdout),
    };
    if let Err(e) = printed.and_then(|()| stdout.flush()) {
        eprintln!("{name}: cannot write the output: {e}");
        return ExitCode::from(EXIT_FAILED);
    }
    drop(stdout);
    let mut failed = !report.errors.is_empty();
    for e in write_files(name, args, &report) {
        eprintln!("{name}: {e:#}");
        failed = true;
    }
    for error in &report.errors {
        eprintln!("{name}: error: {error}");
    }
    if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// Loads the config, connects to GitLab when there is one to use, plans and applies: the day
/// it ran for and its report, or an exit code and why the run stopped before writing.
fn planned_and_applied(
    job: Job,
    args: &CommonArgs,
    deadline: Instant,
) -> Result<(NaiveDate, JobReport), (u8, String)> {
    let kind_label = job.kind_label();
    let config = load_config(&args.config).map_err(|e| (EXIT_USAGE, format!("{e:#}")))?;
    let now = instant(&config, args.today, job.now());
    let today = match (args.today, job.now()) {
        (None, Some(now)) => date_in(config.timezone, now),
        (given, _) => today(&config, given),
    };

    let env = |var: &str| std::env::var(var).ok();
    let url = resolve_url(
        args.gitlab_url.as_deref(),
        &env,
        config.gitlab_url.as_deref(),
    );
    let mut notes = Vec::new();
    let connection = match url {
        _ if args.offline => None,
        None if args.dry_run => None,
        None => {
            return Err((
                EXIT_USAGE,
                "no GitLab to write to: pass --gitlab-url, or set CI_SERVER_URL or `gitlab.url` \
                 in the config (or run with --dry-run); nothing was written"
                    .to_owned(),
            ));
        }
        Some(url) => {
            // The URL is checked first, so that whatever it holds (a query with a token) is
            // never echoed, in an error or in the note below.
            let server = ServerUrl::parse(&url)
                .map_err(|e| (EXIT_USAGE, format!("{e}; nothing was written")))?;
            match Token::from_env(&env, true) {
                Ok(token) => Some((url, token)),
                Err(ConnectError::MissingToken) if args.dry_run => {
                    notes.push(format!(
                        "GitLab at {server} was not read: no GITLAB_TOKEN, so existing issues \
                         are not known"
                    ));
                    None
                }
                Err(e) => return Err((EXIT_USAGE, format!("{e}; nothing was written"))),
            }
        }
    };
    let budget = Budget::of(args, &config);
    let options = ApplyOptions {
        kind_label: kind_label.to_owned(),
        dry_run: args.dry_run,
        create_attempts: 3,
        lock: lock_settings(args.timeout),
        concurrency: budget.concurrency,
    };
    let files = ConfigDir::of(&args.config);
    let run = Run {
        config: &config,
        files: &files,
        today,
        now,
        options: &options,
        timeout: args.timeout,
        deadline,
        budget,
    };
    let mut report = plan_and_apply(job, &run, connection)?;
    report.warnings.extend(notes);
    Ok((today, report))
}

/// Writes the files asked for (`--report`, `--annotations`) and returns why any could not
/// be written.
fn write_files(job: &str, args: &CommonArgs, report: &JobReport) -> Vec<anyhow::Error> {
    // Each file is written as it is serialised: an organisation's report is several MB,
    // and is not held in memory a second time.
    let report_file = args
        .report
        .as_ref()
        .map(|path| write_file_with(path, "report", |out| output::write_json(report, out)));
    let annotations = args.annotations.as_ref().map(|path| {
        write_file_with(path, "annotations", |out| {
            reports::write_annotations(job, report, out)
        })
    });
    [report_file, annotations]
        .into_iter()
        .flatten()
        .filter_map(Result::err)
        .collect()
}

/// Writes `text` to `path` (a result file called `what` in messages), creating its folder.
pub fn write_file(path: &Path, what: &str, text: &str) -> anyhow::Result<()> {
    write_file_with(path, what, |out| out.write_all(text.as_bytes()))
}

/// Writes what `write` writes to `path` (a result file called `what` in messages), through
/// a buffer, creating its folder.
fn write_file_with(
    path: &Path,
    what: &str,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| {
            format!(
                "cannot create the folder {} for the {what}",
                folder.display()
            )
        })?;
    }
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot write the {what} {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    write(&mut out)
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write the {what} {}", path.display()))
}

/// Connects to GitLab (when there is one to read), plans the job and applies the plans. A
/// connection problem is an exit code and a message (a bad token or address is a usage error,
/// an unreachable GitLab failed work); so is a template problem, found before any write.
fn plan_and_apply(
    job: Job,
    run: &Run<'_>,
    connection: Option<(String, Token)>,
) -> Result<JobReport, (u8, String)> {
    let Run {
        now,
        options,
        timeout,
        deadline,
        budget,
        ..
    } = *run;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (EXIT_FAILED, format!("cannot start the async runtime: {e}")))?;
    let work = async {
        let gitlab = match connection {
            None => None,
            Some((url, token)) => Some(
                GitLab::connect(&url, token, connect_options(deadline, budget))
                    .await
                    .map_err(|e| {
                        let code = match e {
                            ConnectError::Unreachable { .. } | ConnectError::Unexpected { .. } => {
                                EXIT_FAILED
                            }
                            _ => EXIT_USAGE,
                        };
                        (code, format!("{e}; nothing was written"))
                    })?,
            ),
        };
        let Planned {
            mut report,
            touches,
        } = job
            .plan(run, now, gitlab.as_ref())
            .await
            .map_err(|e| (EXIT_USAGE, format!("{e}\nnothing was written")))?;
        match &gitlab {
            Some(gitlab) => {
                apply(gitlab, &mut report, options).await;
                touch::apply(gitlab, &mut report, &touches, options).await;
            }
            None => {
                for plan in &mut report.issues {
                    if matches!(plan.action, Action::Create | Action::Exists) {
                        plan.preview_follow_ups();
                    }
                }
                touch::preview(&mut report, &touches);
            }
        }
        Ok(report)
    };
    // Every wait for GitLab or a feed already ends at the deadline; this only catches work
    // that would not, so that nothing outlives the job's budget by more than the grace.
    let guard = tokio::time::Instant::from_std(deadline + DEADLINE_GRACE);
    runtime.block_on(async {
        tokio::time::timeout_at(guard, work)
            .await
            .unwrap_or_else(|_| {
                Err((
                    EXIT_FAILED,
                    format!(
                        "the run did not finish within its deadline (--timeout {} s) and was \
                     stopped; what it did before is in GitLab, and a rerun does the rest",
                        timeout.as_secs()
                    ),
                ))
            })
    })
}

/// How a run waits for and holds the run lock: it never waits for another run longer than
/// half its own time, and its lock lapses soon after the run is stopped at the latest (its
/// deadline and grace, plus a minute for clocks that differ), so a killed job holds up the
/// next run no longer than it could have run itself.
fn lock_settings(timeout: Duration) -> LockSettings {
    let default = LockSettings::default();
    let held = timeout + DEADLINE_GRACE + Duration::from_secs(60);
    LockSettings {
        wait: default.wait.min(timeout / 2),
        lapse_after: chrono::TimeDelta::from_std(held).unwrap_or(default.lapse_after),
    }
}

/// How long past its deadline a run may take to wind down (report the requests that the
/// deadline failed) before it is stopped.
const DEADLINE_GRACE: Duration = Duration::from_secs(10);

/// What one run works with, besides the job and the connection.
#[derive(Clone, Copy)]
struct Run<'a> {
    config: &'a Config,
    files: &'a ConfigDir,
    today: NaiveDate,
    /// The instant the hour-bound jobs decide at.
    now: chrono::DateTime<chrono::Utc>,
    options: &'a ApplyOptions,
    timeout: Duration,
    deadline: Instant,
    budget: Budget,
}

/// How much of GitLab a run may use at once: the flags, else the config, else the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Budget {
    /// Requests in flight at once.
    concurrency: usize,
    /// Issue and comment creations per minute; 0 paces nothing.
    writes_per_minute: u32,
}

impl Budget {
    fn of(args: &CommonArgs, config: &Config) -> Self {
        Self {
            concurrency: args
                .concurrency
                .and_then(|n| usize::try_from(n).ok())
                .or(config.concurrency)
                .unwrap_or(DEFAULT_CONCURRENCY),
            writes_per_minute: args
                .writes_per_minute
                .or(config.writes_per_minute)
                .unwrap_or(DEFAULT_WRITES_PER_MINUTE),
        }
    }
}

/// How patient the GitLab connection is, with the run's deadline.
/// `TEAMCADENCE_RETRY_BASE_MS` shortens the backoff between retries (tests and impatient
/// local runs use it).
fn connect_options(deadline: Instant, budget: Budget) -> ConnectOptions {
    let mut options = ConnectOptions {
        deadline: Some(deadline),
        max_in_flight: budget.concurrency,
        writes_per_minute: Some(budget.writes_per_minute).filter(|&n| n > 0),
        ..ConnectOptions::default()
    };
    if let Some(ms) = std::env::var("TEAMCADENCE_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        options.backoff_base = Duration::from_millis(ms);
        options.backoff_max = Duration::from_millis(ms.saturating_mul(20));
    }
    options
}

/// Prints `message` on stderr and returns `code`.
pub fn fail(name: &str, code: u8, message: &str) -> ExitCode {
    eprintln!("{name}: {message}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn today_is_the_date_in_the_configs_zone() {
        let late_evening_utc = "2026-11-20T23:30:00Z".parse().expect("instant");
        let amsterdam: chrono_tz::Tz = "Europe/Amsterdam".parse().expect("zone");
        let new_york: chrono_tz::Tz = "America/New_York".parse().expect("zone");
        assert_eq!(date_in(amsterdam, late_evening_utc), ymd(2026, 11, 21));
        assert_eq!(date_in(new_york, late_evening_utc), ymd(2026, 11, 20));
    }

    #[test]
    fn the_run_lock_lapses_soon_after_the_run_is_stopped() {
        // 15 minutes: the default 2-minute wait, held 15 min + 10 s grace + 1 min.
        let settings = lock_settings(Duration::from_secs(900));
        assert_eq!(settings.wait, Duration::from_secs(120));
        assert_eq!(settings.lapse_after, chrono::TimeDelta::seconds(970));
        // A one-minute run waits half of it at most.
        let settings = lock_settings(Duration::from_secs(60));
        assert_eq!(settings.wait, Duration::from_secs(30));
        assert_eq!(settings.lapse_after, chrono::TimeDelta::seconds(130));
    }

    #[test]
    fn timeouts_take_seconds_or_a_unit() {
        assert_eq!(parse_timeout("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout(" 15m "), Ok(Duration::from_secs(900)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        for bad in [
            "",
            "0",
            "15 minutes",
            "-5",
            "1.5m",
            "25h",
            "m",
            "99999999999999999999h",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_timeout("soon"),
            Err(
                "`soon` is not a timeout: write seconds or a number with s, m or h, such as \
                 900, 90s, 15m or 1h (at most 24h)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn dates_are_parsed_strictly() {
        assert_eq!(parse_date("2026-12-07"), Ok(ymd(2026, 12, 7)));
        assert_eq!(
            parse_date("07/12/2026"),
            Err(
                "`07/12/2026` is not a date: write it as YYYY-MM-DD, for example 2026-12-07"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_date("9999-12-31"),
            Err(
                "9999-12-31 is outside the years teamcadence accepts (2000-01-01 to 2100-12-31)"
                    .to_owned()
            )
        );
    }
}
