//! The request layer over real HTTP: retries of reads, no blind retry of writes, 429 waits,
//! timeouts, pagination and connect errors, against a tiny scripted HTTP server on
//! 127.0.0.1. (Behaviour of GitLab itself is tested against the fake GitLab elsewhere.)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use teamcadence_core::tracker::{IssueQuery, IssueState, IssueTracker, NewIssue, TrackerError};
use teamcadence_gitlab::{ConnectError, ConnectOptions, GitLab, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "glpat-TESTTOKEN-do-not-leak";

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    token: Option<String>,
    body: String,
}

impl Seen {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Whether the query has exactly this `key=value` pair (as sent, URL-encoded).
    fn has(&self, pair: &str) -> bool {
        let query = self
            .target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        query.split('&').any(|p| p == pair)
    }
}

/// What the server does with a request.
enum Reply {
    /// Answer with a status, extra headers and a body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Never answer.
    Hang,
}

fn json(status: u16, body: &str) -> Reply {
    Reply::Answer(status, vec![], body.to_owned())
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A scripted HTTP/1.1 server: `/api/v4/user` answers a user (for the connection check);
/// everything else goes to the handler with how many requests of the same method and path
/// came before. Records every request.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                tokio::spawn(async move { serve(stream, handler, log).await });
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests other than the connection check.
    fn calls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path() != "/api/v4/user")
            .collect()
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, log: Arc<Mutex<Vec<Seen>>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let seen = Seen {
        method,
        target,
        token: header("private-token"),
        body: String::from_utf8_lossy(&buffer[head_end..head_end + length]).into_owned(),
    };
    let reply = if seen.path() == "/api/v4/user" {
        json(200, r#"{"id": 1, "username": "bot", "name": "Bot"}"#)
    } else {
        let log = log.lock().unwrap();
        let before = log
            .iter()
            .filter(|s| s.method == seen.method && s.path() == seen.path())
            .count();
        drop(log);
        handler(&seen, before)
    };
    log.lock().unwrap().push(seen);
    match reply {
        Reply::Answer(status, headers, body) => {
            let mut response = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            if !headers.iter().any(|(k, _)| *k == "content-type") {
                response.push_str("content-type: application/json\r\n");
            }
            for (key, value) in headers {
                response.push_str(&format!("{key}: {value}\r\n"));
            }
            response.push_str("\r\n");
            response.push_str(&body);
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Drop => drop(stream),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
}

fn token() -> Token {
    Token::access(SecretString::from(TOKEN)).unwrap()
}

async fn connect(server: &Server) -> GitLab {
    GitLab::connect(&server.url, token(), ConnectOptions::for_tests())
        .await
        .unwrap()
}

fn issue_json(iid: u64) -> String {
    format!(
        r##"{{"id": {iid}, "iid": {iid}, "project_id": 1, "title": "Issue {iid}",
            "description": null, "state": "opened", "labels": ["planning"], "assignees": [],
            "milestone": null, "due_date": null, "confidential": false,
            "web_url": "http://127.0.0.1/team/planning/-/issues/{iid}",
            "references": {{"short": "#{iid}", "relative": "#{iid}", "full": "team/planning#{iid}"}},
            "created_at": "2024-08-01T09:00:00Z"}}"##
    )
}

fn issues_json(iids: std::ops::RangeInclusive<u64>) -> String {
    let issues: Vec<String> = iids.map(issue_json).collect();
    format!("[{}]", issues.join(","))
}

fn new_issue() -> NewIssue {
    NewIssue {
        project: "team/planning".into(),
        title: "Plan 17.4".into(),
        description: "Agenda".into(),
        labels: vec!["planning".into()],
        assignees: vec![],
        milestone: None,
        due_date: None,
        confidential: false,
    }
}

#[tokio::test]
async fn a_read_is_retried_after_503s() {
    let server = Server::start(|_, n| match n {
        0 | 1 => json(503, r#"{"message": "503 Service Unavailable"}"#),
        _ => json(200, &issues_json(1..=1)),
    })
    .await;
    let gitlab = connect(&server).await;
    let issues = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].project, "team/planning");
    let calls = server.calls();
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert!(
        calls
            .iter()
            .all(|c| c.path() == "/api/v4/projects/team%2Fplanning/issues")
    );
    // The token travels in its header.
    assert!(calls.iter().all(|c| c.token.as_deref() == Some(TOKEN)));
}

#[tokio::test]
async fn a_read_gives_up_after_its_attempts() {
    let server = Server::start(|_, _| json(502, "")).await;
    let gitlab = connect(&server).await;
    let err = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, TrackerError::Unavailable(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "listing the issues of team/planning: GitLab is unavailable (GitLab answered 502 Bad \
         Gateway, after 4 attempts); try again later"
    );
    assert_eq!(server.calls().len(), 4);
}

#[tokio::test]
async fn a_write_answered_502_is_uncertain_and_not_retried() {
    let server = Server::start(|_, _| json(502, "")).await;
    let gitlab = connect(&server).await;
    let err = gitlab.create_issue(&new_issue()).await.unwrap_err();
    assert!(matches!(err, TrackerError::Uncertain(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("creating the issue `Plan 17.4` in team/planning: ")
    );
    let calls = server.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].method, "POST");
}

#[tokio::test]
async fn a_lock_label_delete_whose_answer_is_lost_is_sent_again() {
    // The first answer is lost (502 after GitLab may have deleted it), the second finds the
    // label gone: the lock is released, not left to lapse.
    let server = Server::start(|_, n| match n {
        0 => json(502, ""),
        _ => json(404, r#"{"message": "404 Label Not Found"}"#),
    })
    .await;
    let gitlab = connect(&server).await;
    gitlab
        .delete_label("team/planning", 42)
        .await
        .expect("a label already gone is deleted");
    let calls = server.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(calls.iter().all(|c| c.method == "DELETE"));
}

#[tokio::test]
async fn a_write_whose_connection_drops_is_uncertain() {
    let server = Server::start(|_, _| Reply::Drop).await;
    let gitlab = connect(&server).await;
    let err = gitlab
        .add_note("team/planning", 3, "hello")
        .await
        .unwrap_err();
    assert!(matches!(err, TrackerError::Uncertain(_)), "{err:?}");
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn a_write_without_answer_times_out_as_uncertain() {
    let server = Server::start(|_, _| Reply::Hang).await;
    let options = ConnectOptions {
        request_timeout: Duration::from_millis(300),
        ..ConnectOptions::for_tests()
    };
    let gitlab = GitLab::connect(&server.url, token(), options)
        .await
        .unwrap();
    let started = Instant::now();
    let err = gitlab.create_issue(&new_issue()).await.unwrap_err();
    assert!(matches!(err, TrackerError::Uncertain(_)), "{err:?}");
    assert!(err.to_string().contains("no answer within 0.3 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn a_429_waits_retry_after_then_succeeds_even_for_a_write() {
    let server = Server::start(|_, n| match n {
        0 => Reply::Answer(
            429,
            vec![
                ("content-type", "text/plain".into()),
                ("retry-after", "1".into()),
                ("ratelimit-name", "throttle_authenticated_api".into()),
            ],
            "Retry later".into(),
        ),
        _ => json(201, &issue_json(7)),
    })
    .await;
    let gitlab = connect(&server).await;
    let started = Instant::now();
    let created = gitlab.create_issue(&new_issue()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(created.issue.iid, 7);
    let calls = server.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.method == "POST"));
    assert!(
        calls[1].body.contains("title=Plan+17.4"),
        "{}",
        calls[1].body
    );
}

#[tokio::test]
async fn rate_limit_waits_spend_neither_attempts_nor_the_retry_budget() {
    // Six 429s, more than the 4 attempts a request has and the 2 retries the run has left:
    // waiting as GitLab asks is not failing.
    let server = Server::start(|_, n| {
        if n < 6 {
            Reply::Answer(429, vec![("retry-after", "0".into())], "Retry later".into())
        } else {
            json(200, "[]")
        }
    })
    .await;
    let options = ConnectOptions {
        retry_budget: 2,
        ..ConnectOptions::for_tests()
    };
    let gitlab = GitLab::connect(&server.url, token(), options)
        .await
        .unwrap();
    let listed = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap();
    assert!(listed.is_empty());
    // Six 429s, then the answer.
    assert_eq!(server.calls().len(), 7);

    // A GitLab that never stops asking to wait is given up after a bound.
    let stubborn = Server::start(|_, _| {
        Reply::Answer(429, vec![("retry-after", "0".into())], "Retry later".into())
    })
    .await;
    let gitlab = connect(&stubborn).await;
    let err = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("still after waiting 10 times"),
        "{err}"
    );
}

#[tokio::test]
async fn a_429_asking_too_long_a_wait_is_unavailable() {
    let server = Server::start(|_, _| {
        Reply::Answer(
            429,
            vec![("retry-after", "3600".into())],
            "Retry later".into(),
        )
    })
    .await;
    let gitlab = connect(&server).await;
    let err = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, TrackerError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("asks to wait 3600 s"), "{err}");
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn an_exhausted_rate_limit_window_paces_the_next_request() {
    let server = Server::start(|_, n| {
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 2;
        let headers = match n {
            0 => vec![
                ("ratelimit-limit", "10".to_owned()),
                ("ratelimit-remaining", "0".to_owned()),
                ("ratelimit-reset", reset.to_string()),
            ],
            _ => vec![],
        };
        Reply::Answer(200, headers, issues_json(1..=1))
    })
    .await;
    let gitlab = connect(&server).await;
    gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap();
    let started = Instant::now();
    gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap();
    // It waited for the window to reset (1 to 2 s, by the seconds' rounding).
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.calls().len(), 2);
}

#[tokio::test]
async fn all_pages_are_read() {
    let server = Server::start(|seen, _| {
        if seen.has("page=1") {
            json(200, &issues_json(1..=100))
        } else {
            json(200, &issues_json(101..=101))
        }
    })
    .await;
    let gitlab = connect(&server).await;
    let query = IssueQuery {
        labels: vec!["planning".into(), "team::a".into()],
        state: Some(IssueState::Opened),
        created_after: None,
        milestone: Some("17.4 & later".into()),
        iteration_id: Some(7),
        last_line_only: false,
    };
    let issues = gitlab.list_issues("team/planning", &query).await.unwrap();
    assert_eq!(issues.len(), 101);
    let calls = server.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    for (call, page) in calls.iter().zip(["page=1", "page=2"]) {
        for pair in [
            "per_page=100",
            page,
            "state=opened",
            "labels=planning%2Cteam%3A%3Aa",
            "milestone=17.4+%26+later",
            "iteration_id=7",
            "order_by=created_at",
            "sort=asc",
        ] {
            assert!(call.has(pair), "{pair} in {}", call.target);
        }
    }
}

#[tokio::test]
async fn create_resolves_assignees_and_milestone() {
    let server = Server::start(|seen, _| match seen.path() {
        "/api/v4/users" if seen.has("username=alice") => json(
            200,
            r#"[{"id": 5, "username": "alice", "name": "Alice", "state": "active"}]"#,
        ),
        "/api/v4/users" => json(200, "[]"),
        "/api/v4/projects/team%2Fplanning/milestones" => json(
            200,
            r#"[{"id": 12, "iid": 1, "group_id": 2, "title": "17.4", "state": "active",
                 "start_date": null, "due_date": null, "web_url": null}]"#,
        ),
        "/api/v4/projects/team%2Fplanning/issues" => json(201, &issue_json(9)),
        other => json(404, &format!(r#"{{"message": "404 {other} Not Found"}}"#)),
    })
    .await;
    let gitlab = connect(&server).await;
    let issue = NewIssue {
        assignees: vec!["alice".into(), "ghost".into(), "Alice".into()],
        milestone: Some("17.4".into()),
        ..new_issue()
    };
    let created = gitlab.create_issue(&issue).await.unwrap();
    assert_eq!(created.unknown_assignees, ["ghost"]);
    assert_eq!(created.unknown_milestone, None);
    let post = server
        .calls()
        .into_iter()
        .find(|c| c.method == "POST")
        .unwrap();
    assert!(post.body.contains("assignee_ids%5B%5D=5"), "{}", post.body);
    assert!(post.body.contains("milestone_id=12"), "{}", post.body);
    // Users are looked up once per adapter.
    gitlab.create_issue(&issue).await.unwrap();
    let user_lookups = server
        .calls()
        .iter()
        .filter(|c| c.path() == "/api/v4/users")
        .count();
    assert_eq!(user_lookups, 2);
}

#[tokio::test]
async fn unknown_milestone_is_reported() {
    let server = Server::start(|seen, _| match seen.path() {
        "/api/v4/projects/team%2Fplanning/milestones" => json(200, "[]"),
        _ => json(201, &issue_json(9)),
    })
    .await;
    let gitlab = connect(&server).await;
    let issue = NewIssue {
        milestone: Some("99.9".into()),
        ..new_issue()
    };
    let created = gitlab.create_issue(&issue).await.unwrap();
    assert_eq!(created.unknown_milestone.as_deref(), Some("99.9"));
    let post = server
        .calls()
        .into_iter()
        .find(|c| c.method == "POST")
        .unwrap();
    assert!(!post.body.contains("milestone_id"), "{}", post.body);
}

#[tokio::test]
async fn not_found_names_the_project() {
    let server = Server::start(|_, _| json(404, r#"{"message": "404 Project Not Found"}"#)).await;
    let gitlab = connect(&server).await;
    let err = gitlab
        .list_issues("team/missing", &IssueQuery::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TrackerError::NotFound(
            "listing the issues of team/missing: project team/missing not found, or not \
             visible to this token (404)"
                .into()
        )
    );
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn a_rejected_token_fails_connect_without_leaking_it() {
    let listener_server = Server::start(|_, _| json(500, "")).await;
    // A server whose /api/v4/user answers 401.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let body = r#"{"message":"401 Unauthorized"}"#;
                let response = format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    let err = GitLab::connect(&url, token(), ConnectOptions::for_tests())
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "GitLab at {url} rejected the token (401): it is invalid, expired or revoked; \
             create a new access token with the `api` scope and set GITLAB_TOKEN"
        )
    );
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }

    // Nor does a connected adapter, or its errors, show it.
    let gitlab = connect(&listener_server).await;
    let failure = gitlab
        .list_issues("team/planning", &IssueQuery::default())
        .await
        .unwrap_err();
    for text in [
        format!("{gitlab:?}"),
        format!("{failure:?}"),
        failure.to_string(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test]
async fn nothing_listening_is_unreachable_after_retries() {
    // Bind then drop to get a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = GitLab::connect(
        &format!("http://127.0.0.1:{port}"),
        token(),
        ConnectOptions::for_tests(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_any_request() {
    let err = GitLab::connect(
        "http://gitlab.example.com",
        token(),
        ConnectOptions::for_tests(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConnectError::InsecureUrl { .. }), "{err:?}");
}
