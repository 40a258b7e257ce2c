//! Helpers shared by the end-to-end tests: the built binaries with a clean environment,
//! their output, and scratch folders.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/teamcadence.yml");

pub fn bin(name: &str) -> Command {
    let path = match name {
        "planning-issue" => env!("CARGO_BIN_EXE_planning-issue"),
        "onboarding-issue" => env!("CARGO_BIN_EXE_onboarding-issue"),
        "pto-coverage" => env!("CARGO_BIN_EXE_pto-coverage"),
        "teamcadence" => env!("CARGO_BIN_EXE_teamcadence"),
        other => panic!("no binary {other}"),
    };
    let mut command = Command::new(path);
    // A developer's or CI's environment must not leak into the runs under test.
    for var in [
        "TEAMCADENCE_CONFIG",
        "NEW_HIRE",
        "START_DATE",
        "MANAGER",
        "BUDDY",
        "ROLE",
        "TEAM",
        "PTO_PERSON",
        "PTO_FROM",
        "PTO_UNTIL",
        "CI_SERVER_URL",
        "GITLAB_TOKEN",
        "GITLAB_TOKEN_FILE",
        "CI_JOB_TOKEN",
        "TEAMCADENCE_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

pub fn run(name: &str, args: &[&str]) -> Output {
    bin(name).args(args).output().expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// A scratch folder with a config and the files it names.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("teamcadence-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> String {
        self.0.join(file).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn in_dir(dir: &Path, name: &str, args: &[&str]) -> Output {
    bin(name)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

/// The issue with this key in a job's JSON output.
pub fn issue<'a>(document: &'a Value, key: &str) -> &'a Value {
    document["issues"]
        .as_array()
        .expect("issues array")
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no issue {key} in {document:#}"))
}
