//! The real binaries against a hostile or broken server on 127.0.0.1: redirects to another
//! origin, answers too large, listings without end, rate limits past the run's deadline, a
//! GitLab URL holding a token. The token must never reach another server, a secret address
//! never an error, and every run must end, within its `--timeout`, saying why.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Scratch, bin, json, stderr};

const TOKEN: &str = "glpat-HOSTILE-TEST-token";

/// One team whose milestones come from GitLab: its first request after the connection check
/// lists `GET /api/v4/projects/eng%2Fweb/milestones`.
const PLANNING: &str = "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    milestones: { source: gitlab }
    members:
      - { username: mia, name: Mia Manager, role: engineering-manager }
";

/// A request as a server saw it.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    /// The request line and headers, as sent.
    head: String,
}

impl Seen {
    /// The path, without the query.
    fn path(&self) -> &str {
        let target = self.head.split(' ').nth(1).unwrap_or_default();
        target.split('?').next().unwrap_or_default()
    }
}

/// What a server answers.
enum Reply {
    /// A status, headers and a body (with its length).
    Answer(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// 200 with `n` bytes of spaces and then `[]`, without announcing a length.
    Streamed(usize),
}

fn ok(body: &str) -> Reply {
    Reply::Answer(
        200,
        vec![("content-type", "application/json".to_owned())],
        body.as_bytes().to_vec(),
    )
}

fn redirect(status: u16, location: String) -> Reply {
    Reply::Answer(status, vec![("location", location)], Vec::new())
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A tiny HTTP/1.1 server on its own threads, recording every request. The handler gets
/// the request and how many requests for the same path came before it.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Server { url, seen }
    }

    /// A server that answers nothing useful: it only records who came.
    fn bystander() -> Server {
        Server::start(|_, _| ok("{}"))
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    fn port(&self) -> &str {
        self.url.rsplit(':').next().unwrap_or_default()
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let seen = Seen {
        at: Instant::now(),
        head,
    };
    let reply = {
        let mut log = log.lock().expect("log");
        let before = log.iter().filter(|s| s.path() == seen.path()).count();
        log.push(seen.clone());
        drop(log);
        handler(&seen, before)
    };
    let _ = match reply {
        Reply::Answer(status, headers, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} Hostile\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (key, value) in headers {
                head.push_str(&format!("{key}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body))
        }
        Reply::Streamed(spaces) => {
            let head = "HTTP/1.1 200 Hostile\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
            let block = vec![b' '; 64 * 1024];
            let mut result = stream.write_all(head.as_bytes());
            let mut sent = 0;
            while result.is_ok() && sent < spaces {
                let n = block.len().min(spaces - sent);
                result = stream.write_all(&block[..n]);
                sent += n;
            }
            result.and_then(|()| stream.write_all(b"[]"))
        }
    };
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// Runs a binary, killing it if it is still running after `limit` (a hang fails the test
/// instead of stalling it).
fn run_bounded(mut command: Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = out.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = err.read_to_end(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let output = Output {
        status,
        stdout: out.join().expect("stdout thread"),
        stderr: err.join().expect("stderr thread"),
    };
    (output, elapsed)
}

/// `planning-issue` against `url` with the token, as of a fixed day, with `extra` flags.
fn planning(dir: &Scratch, url: &str, extra: &[&str]) -> (Output, Duration) {
    let mut command = bin("planning-issue");
    command
        .args(["--config", &dir.path("planning.yml"), "--format", "json"])
        .args(["--today", "2026-11-20", "--gitlab-url", url])
        .args(extra)
        .env("GITLAB_TOKEN", TOKEN)
        .env("TEAMCADENCE_RETRY_BASE_MS", "5");
    run_bounded(command, Duration::from_secs(60))
}

fn planning_config(name: &str) -> Scratch {
    Scratch::new(name, &[("planning.yml", PLANNING)])
}

/// `pto-coverage --dry-run --offline` with one team and the time-off feed at `feed_url`.
fn pto_offline(name: &str, feed_url: &str) -> Output {
    let config = format!(
        "timezone: Europe/Amsterdam
teams:
  - id: web
    name: Web
    project: eng/web
    members:
      - {{ username: mia, name: Mia Manager, role: engineering-manager }}
      - {{ username: bob, name: Bob Baker, role: backend-engineer, manager: mia }}
time_off_feeds:
  - name: hr
    url: {feed_url}
    people: {{ bob@example.com: bob }}
"
    );
    let dir = Scratch::new(name, &[("pto.yml", &config)]);
    let mut command = bin("pto-coverage");
    command
        .args(["--config", &dir.path("pto.yml"), "--format", "json"])
        .args(["--dry-run", "--offline", "--today", "2027-03-01"]);
    run_bounded(command, Duration::from_secs(60)).0
}

/// The user the connection check reads.
const USER: &str = r#"{"id": 1, "username": "bot", "name": "Bot"}"#;

/// Nothing the run printed holds the token.
fn assert_no_token(output: &Output) {
    let printed = format!("{}{}", common::stdout(output), stderr(output));
    assert!(!printed.contains(TOKEN), "{printed}");
}

#[test]
fn a_redirect_of_the_connection_check_is_reported_and_never_followed() {
    for status in [302, 307] {
        let elsewhere = Server::bystander();
        let target = format!("{}/api/v4/user?state=secret-in-query", elsewhere.url);
        let gitlab = Server::start(move |_, _| redirect(status, target.clone()));
        let dir = planning_config(&format!("redirect-{status}"));

        let (output, _) = planning(&dir, &gitlab.url, &[]);

        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&format!(
                "GitLab at {} answered a redirect to {}/api/v4/user: use {} as the GitLab URL \
                 (--gitlab-url, CI_SERVER_URL or `gitlab.url`); teamcadence follows no \
                 redirect, so that the token never goes to an address that was not configured; \
                 nothing was written",
                gitlab.url, elsewhere.url, elsewhere.url
            )),
            "{message}"
        );
        assert!(!message.contains("secret-in-query"), "{message}");
        assert_no_token(&output);
        assert_eq!(gitlab.seen().len(), 1, "only the connection check was sent");
        assert!(
            elsewhere.seen().is_empty(),
            "the other server got {:?}",
            elsewhere.seen()
        );
    }
}

#[test]
fn a_redirect_later_in_the_run_fails_that_work_and_never_reaches_the_other_server() {
    let elsewhere = Server::bystander();
    let target = format!("{}/moved", elsewhere.url);
    let gitlab = Server::start(move |seen, _| match seen.path() {
        "/api/v4/user" => ok(USER),
        _ => redirect(301, target.clone()),
    });
    let dir = planning_config("redirect-later");

    let (output, _) = planning(&dir, &gitlab.url, &["--dry-run"]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = json(&output)["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "answered a redirect to {}/moved: use {} as the GitLab URL",
            elsewhere.url, elsewhere.url
        )),
        "{errors}"
    );
    assert_no_token(&output);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
}

#[test]
fn a_feed_redirected_to_another_origin_is_not_followed_and_its_address_not_shown() {
    let elsewhere = Server::bystander();
    let target = format!("{}/stolen.ics", elsewhere.url);
    let hr = Server::start(move |_, _| redirect(302, target.clone()));
    let output = pto_offline(
        "feed-redirect",
        &format!("{}/private-key-4711/hr.ics", hr.url),
    );

    let warnings = json(&output)["warnings"].to_string();
    assert!(
        warnings.contains(
            "time-off feed \\\"hr\\\" was not read (the server answered a redirect to another \
             address; a feed's redirects are followed only within its own scheme, host and \
             port: put the address it moved to in the config)"
        ),
        "{warnings}"
    );
    let printed = format!("{}{}", common::stdout(&output), stderr(&output));
    assert!(!printed.contains("private-key-4711"), "{printed}");
    assert!(!printed.contains(elsewhere.port()), "{printed}");
    assert_eq!(hr.seen().len(), 1);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
}

#[test]
fn a_feed_redirected_within_its_origin_is_followed() {
    let feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//HR//EN\r\nBEGIN:VEVENT\r\nUID:hr-1\r\n\
                DTSTAMP:20270201T000000Z\r\nDTSTART;VALUE=DATE:20270315\r\n\
                DTEND;VALUE=DATE:20270320\r\nSUMMARY:Time off\r\n\
                ATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let hr = Server::start(move |seen, _| match seen.path() {
        "/old/hr.ics" => redirect(301, "/new/hr.ics".to_owned()),
        _ => Reply::Answer(200, vec![], feed.as_bytes().to_vec()),
    });
    let output = pto_offline("feed-same-origin", &format!("{}/old/hr.ics", hr.url));

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document = json(&output);
    assert!(
        !document["warnings"].to_string().contains("was not read"),
        "{document:#}"
    );
    let paths: Vec<String> = hr.seen().iter().map(|s| s.path().to_owned()).collect();
    assert_eq!(paths, ["/old/hr.ics", "/new/hr.ics"]);
}

#[test]
fn a_gitlab_url_holding_a_token_is_never_echoed() {
    let dir = planning_config("url-with-token");
    for url in [
        "http://127.0.0.1:9/?private_token=glpat-IN-THE-URL",
        "http://bot:glpat-IN-THE-URL@127.0.0.1:9",
        "127.0.0.1:9?private_token=glpat-IN-THE-URL",
    ] {
        for extra in [&[][..], &["--dry-run"][..]] {
            let mut command = bin("planning-issue");
            command
                .args(["--config", &dir.path("planning.yml"), "--gitlab-url", url])
                .args(extra);
            let (output, _) = run_bounded(command, Duration::from_secs(60));
            assert_eq!(output.status.code(), Some(2), "{url}: {}", stderr(&output));
            let printed = format!("{}{}", common::stdout(&output), stderr(&output));
            assert!(printed.contains("invalid GitLab URL"), "{printed}");
            assert!(!printed.contains("glpat-IN-THE-URL"), "{printed}");
        }
    }
}

#[test]
fn the_connection_check_waits_as_retry_after_asks() {
    let gitlab = Server::start(|seen, before| match seen.path() {
        "/api/v4/user" if before == 0 => Reply::Answer(
            429,
            vec![("retry-after", "1".to_owned())],
            b"Retry later".to_vec(),
        ),
        "/api/v4/user" => ok(USER),
        _ => ok("[]"),
    });
    let dir = planning_config("connect-retry-after");

    let (output, _) = planning(&dir, &gitlab.url, &["--dry-run"]);

    let checks: Vec<Instant> = gitlab
        .seen()
        .iter()
        .filter(|s| s.path() == "/api/v4/user")
        .map(|s| s.at)
        .collect();
    assert_eq!(checks.len(), 2, "{}", stderr(&output));
    let waited = checks[1] - checks[0];
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?} after `Retry-After: 1`"
    );
    assert!(
        gitlab
            .seen()
            .iter()
            .any(|s| s.path() == "/api/v4/projects/eng%2Fweb/milestones"),
        "the run went on after the wait: {}",
        stderr(&output)
    );
}

#[test]
fn an_answer_larger_than_32_mib_is_refused() {
    let gitlab = Server::start(|seen, _| match seen.path() {
        "/api/v4/user" => ok(USER),
        _ => Reply::Streamed(40 * 1024 * 1024),
    });
    let dir = planning_config("too-large");

    let (output, _) = planning(&dir, &gitlab.url, &["--dry-run"]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = json(&output)["errors"].to_string();
    assert!(
        errors.contains(
            "GET /api/v4/projects/eng%2Fweb/milestones: the answer is larger than 32 MiB, more \
             than any GitLab answer; it was not read"
        ),
        "{errors}"
    );
}

#[test]
fn a_listing_that_never_ends_fails_after_200_pages() {
    let page: String = format!(
        "[{}]",
        (1..=100)
            .map(|id| format!(r#"{{"id": {id}, "title": "m{id}", "state": "closed"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let gitlab = Server::start(move |seen, before| match seen.path() {
        "/api/v4/user" => ok(USER),
        _ => Reply::Answer(
            200,
            vec![
                ("content-type", "application/json".to_owned()),
                ("x-next-page", (before + 2).to_string()),
            ],
            page.clone().into_bytes(),
        ),
    });
    let dir = planning_config("endless");

    let (output, _) = planning(&dir, &gitlab.url, &["--dry-run", "--timeout", "50s"]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = json(&output)["errors"].to_string();
    assert!(
        errors.contains(
            "GET /api/v4/projects/eng%2Fweb/milestones: stopped after 200 pages of 100: GitLab \
             keeps announcing another page; a partial list is not used, since acting on it \
             could duplicate issues"
        ),
        "{errors}"
    );
    let pages = gitlab
        .seen()
        .iter()
        .filter(|s| s.path() == "/api/v4/projects/eng%2Fweb/milestones")
        .count();
    assert_eq!(pages, 200);
}

#[test]
fn a_retry_after_past_the_deadline_fails_at_once() {
    let gitlab = Server::start(|seen, _| match seen.path() {
        "/api/v4/user" => ok(USER),
        _ => Reply::Answer(
            429,
            vec![("retry-after", "110".to_owned())],
            b"Retry later".to_vec(),
        ),
    });
    let dir = planning_config("retry-after-deadline");
    let report = dir.path("report.json");

    let (output, elapsed) = planning(&dir, &gitlab.url, &["--timeout", "4s", "--report", &report]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    let errors = json(&output)["errors"].to_string();
    assert!(
        errors.contains(
            "GitLab is unavailable (rate limited (429); GitLab asks to wait 110 s, but the run's \
             deadline (--timeout) is in "
        ),
        "{errors}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert!(
        written["errors"].to_string().contains("asks to wait 110 s"),
        "{written:#}"
    );
}

#[test]
fn an_exhausted_rate_limit_past_the_deadline_fails_at_once() {
    let gitlab = Server::start(|seen, _| {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            + 100;
        let limits = vec![
            ("content-type", "application/json".to_owned()),
            ("ratelimit-limit", "600".to_owned()),
            ("ratelimit-remaining", "0".to_owned()),
            ("ratelimit-reset", reset.to_string()),
        ];
        match seen.path() {
            "/api/v4/user" => Reply::Answer(200, limits, USER.as_bytes().to_vec()),
            _ => Reply::Answer(200, limits, b"[]".to_vec()),
        }
    });
    let dir = planning_config("pacing-deadline");

    let (output, elapsed) = planning(&dir, &gitlab.url, &["--dry-run", "--timeout", "4s"]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    let errors = json(&output)["errors"].to_string();
    assert!(
        errors.contains(
            "GitLab's rate limit is running low (0 of 600 requests left until it resets); \
             pacing asks to wait "
        ) && errors.contains("but the run's deadline (--timeout) is in "),
        "{errors}"
    );
    // Only the connection check was sent: the listing failed before it left.
    assert_eq!(gitlab.seen().len(), 1);
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    let dir = planning_config("bad-timeout");
    for timeout in ["0", "soon", "15 minutes"] {
        let mut command = bin("planning-issue");
        command.args([
            "--config",
            &dir.path("planning.yml"),
            "--dry-run",
            "--offline",
            "--timeout",
            timeout,
        ]);
        let (output, _) = run_bounded(command, Duration::from_secs(60));
        assert_eq!(output.status.code(), Some(2), "{timeout}");
        assert!(
            stderr(&output).contains("is not a timeout: write seconds or a number with s, m or h"),
            "{}",
            stderr(&output)
        );
    }
    let mut command = bin("planning-issue");
    command
        .args([
            "--config",
            &dir.path("planning.yml"),
            "--dry-run",
            "--offline",
        ])
        .env("TEAMCADENCE_TIMEOUT", "later");
    let (output, _) = run_bounded(command, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
