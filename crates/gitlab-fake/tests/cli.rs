//! The `gitlab-fake` binary: prints its base URL first, serves, refuses non-loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Starts the binary with `args` after `--listen 127.0.0.1:0`, and reads its base URL.
async fn spawn(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitlab-fake"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        line
    })
    .await
    .unwrap();
    let base = first.trim_end().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first:?}");
    (child, base)
}

#[tokio::test]
async fn prints_its_base_url_first_and_serves() {
    let (mut child, base) = spawn(&["--token", "cli-token", "--latency-ms", "1"]).await;
    assert!(!base.ends_with('/'));
    let user: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v4/user"))
        .header("PRIVATE-TOKEN", "cli-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["username"], "root");
    assert_eq!(user["is_admin"], true);
    child.kill().expect("the child is killed");
    child.wait().unwrap();
}

#[tokio::test]
async fn application_limits_and_the_graphql_switch_come_from_the_command_line() {
    let (mut child, base) = spawn(&[
        "--token",
        "cli-token",
        "--issues-create-limit",
        "300",
        "--notes-create-limit",
        "60",
        "--graphql-disabled",
    ])
    .await;
    let client = reqwest::Client::new();
    let conditions: serde_json::Value = client
        .get(format!("{base}/__fake/conditions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conditions["issues_create_limit"], 300);
    assert_eq!(conditions["notes_create_limit"], 60);
    assert_eq!(conditions["graphql_disabled"], true);
    let graphql = client
        .post(format!("{base}/api/graphql"))
        .header("PRIVATE-TOKEN", "cli-token")
        .json(&serde_json::json!({"query": "{ users { nodes { id } } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(graphql.status(), 404);
    child.kill().expect("the child is killed");
    child.wait().unwrap();
}

#[test]
fn refuses_a_non_loopback_address() {
    let output = Command::new(env!("CARGO_BIN_EXE_gitlab-fake"))
        .args(["--listen", "0.0.0.0:0", "--token", "t"])
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no base URL is printed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
}

#[test]
fn a_broken_seed_file_is_named() {
    let dir = std::env::temp_dir().join(format!("gitlab-fake-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.yml");
    std::fs::write(&seed, "projects:\n  - path: ghost/app\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gitlab-fake"))
        .args(["--token", "t", "--seed"])
        .arg(&seed)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ghost/app") && stderr.contains("list it under `groups`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
