//! The planning job against the fake GitLab server, for teams whose milestones come from
//! the release calendar, from GitLab milestones and from iterations, and for two teams whose
//! GitLab milestones are undated or absent. The expected dates, capacities and velocities
//! are worked out here from the fixtures, independently of the code under test.

mod common;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use common::{Gitlab, issue, job, json, stderr};
use serde_json::Value;

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/planning-world.yml"
);
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/planning.yml");
const BOT_TOKEN: &str = "glpat-planning-bot-SECRET-31";

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// Working days from `from` to `until`: Monday to Friday, not a holiday, not time off.
fn available(from: &str, until: &str, holidays: &[&str], off: &[(&str, &str)]) -> u32 {
    let (from, until) = (d(from), d(until));
    let mut count = 0;
    let mut day = from;
    while day <= until {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let holiday = holidays.iter().any(|h| d(h) == day);
        let away = off.iter().any(|(a, b)| d(a) <= day && day <= d(b));
        if !weekend && !holiday && !away {
            count += 1;
        }
        day = day + Days::new(1);
    }
    count
}

/// The planning lock: the Monday on or before the day five days before the start.
fn planning_lock(start: &str) -> String {
    let mut day = d(start) - Days::new(5);
    while day.weekday() != Weekday::Mon {
        day = day - Days::new(1);
    }
    day.to_string()
}

const US: &[&str] = &["2026-09-07", "2026-11-26", "2026-12-25", "2027-01-01"];
const NL: &[&str] = &["2026-12-25", "2026-12-26", "2027-01-01"];

/// The release team's available days in a milestone: alice (US holidays, off 12-28..12-31),
/// bob (NL, off 10-19..10-23), carol (NL, joined 2026-09-21, off 2027-01-04..08).
fn release_team(start: &str, end: &str) -> [u32; 3] {
    let carol_from = if d(start) < d("2026-09-21") {
        "2026-09-21"
    } else {
        start
    };
    [
        available(start, end, US, &[("2026-12-28", "2026-12-31")]),
        available(start, end, NL, &[("2026-10-19", "2026-10-23")]),
        if d(carol_from) > d(end) {
            0
        } else {
            available(carol_from, end, NL, &[("2027-01-04", "2027-01-08")])
        },
    ]
}

fn description(issue: &Value) -> &str {
    issue["description"].as_str().expect("description")
}

/// The one issue of `project` whose marker carries `key`.
fn stored(gitlab: &Gitlab, project: &str, key: &str) -> Value {
    let mut found = gitlab.by_key(project).remove(key).unwrap_or_default();
    assert_eq!(found.len(), 1, "one issue for {key}: {found:?}");
    found.remove(0)
}

fn path(project: &str) -> String {
    project.replace('/', "%2F")
}

#[test]
fn plans_every_source_with_capacity_velocity_and_links_and_a_rerun_writes_nothing() {
    let gitlab = Gitlab::start(WORLD);
    let args = ["--today", "2026-12-01"];
    let first = job(&gitlab, "planning-issue", CONFIG, &args, Some(BOT_TOKEN));
    let report = json(&first);
    let err = stderr(&first);
    assert_eq!(first.status.code(), Some(1), "two teams fail: {err}");

    // The two teams whose GitLab milestones cannot be planned say why; the others go on.
    assert!(
        err.contains(
            "error: undated: no active GitLab milestone starts after 2026-12-01: create the next \
             milestone, with a start date and a due date (GitLab milestones Later, Next have no \
             start date or due date (or a due date before the start): set both in GitLab so \
             that teamcadence can plan them), in project loose/undated"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "error: absent: there are no GitLab milestones: create the next milestone, with a \
             start date and a due date, in project loose/empty"
        ),
        "{err}"
    );
    assert_eq!(report["errors"].as_array().expect("errors").len(), 2);
    assert!(gitlab.issues("loose/undated").is_empty());
    assert!(gitlab.issues("loose/empty").is_empty());
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("sprints: GitLab milestone Backlog has no start date"),
        "{warnings}"
    );

    // The milestones under way are not planned late, and the output says so.
    assert_eq!(
        issue(&report, "planning/release/19.7")["reason"],
        "19.7 started on 2026-11-14: planning issues are created before a milestone starts, so \
         this run does not create it"
    );
    assert_eq!(
        issue(&report, "planning/sprints/Sprint 11")["action"],
        "skip"
    );
    assert_eq!(
        issue(&report, "planning/iter/iteration-2026-11-30")["action"],
        "skip"
    );

    // Release calendar: 19.8, 2026-12-12 to 2027-01-15.
    let release = stored(&gitlab, "acme/create-stage", "planning/release/19.8");
    assert_eq!(release["title"], "Code Creation 19.8 Planning : December");
    assert_eq!(release["milestone"]["title"], "19.8");
    assert_eq!(release["due_date"], planning_lock("2026-12-12"));
    assert_eq!(release["assignees"][0]["username"], "alice");
    assert_eq!(
        release["labels"],
        serde_json::json!([
            "Planning Issue",
            "group::code creation",
            "teamcadence::planning"
        ])
    );
    let text = description(&release);
    assert!(text.contains("| **Planning lock: scope final** | **Mon 2026-12-07** |"));
    assert!(
        text.contains(&format!(
            "| Milestone | [19.8]({}) |",
            release["milestone"]["web_url"]
                .as_str()
                .expect("milestone url")
        )),
        "{text}"
    );
    assert!(text.contains("| Kickoff | Mon 2026-12-14 |"), "{text}");
    assert!(text.contains("| Release | Thu 2027-01-21 |"), "{text}");
    assert!(text.contains("- [Workflow board](https://gitlab.example/groups/acme/-/boards/1)"));
    // Created on 2026-12-01, after 19.8's draft (Mon 2026-11-23): a catch-up run says so.
    assert!(
        text.contains(
            "- [ ] @alice Post the team's capacity in this issue by 2026-11-23 (passed when \
             this issue was created on 2026-12-01)"
        ),
        "{text}"
    );
    assert!(
        text.contains("- [ ] @bob Review the planned issues"),
        "{text}"
    );
    assert!(
        text.contains("- [ ] @carol Review the planned issues"),
        "{text}"
    );

    // Velocity: closed, labelled issues of the group and its subgroup in the three finished
    // milestones, per available day of the team in each.
    let finished = [
        ("19.6", "2026-10-10", "2026-11-13", 4, 3 + 5 + 2, 1),
        ("19.5", "2026-09-12", "2026-10-09", 2, 4 + 6, 0),
        ("19.4", "2026-08-15", "2026-09-11", 2, 1 + 7, 0),
    ];
    let mut weight = 0;
    let mut days = 0;
    for (title, start, end, closed, w, unweighted) in finished {
        let a: u32 = release_team(start, end).iter().sum();
        weight += w;
        days += a;
        let row = format!(
            "| {title} | {closed} | {w} | {unweighted} | {a} | {:.2} |",
            f64::from(w) / f64::from(a)
        );
        assert!(text.contains(&row), "missing {row:?} in:\n{text}");
    }
    let per_day = f64::from(weight) / f64::from(days);
    let next = release_team("2026-12-12", "2027-01-15");
    let total: u32 = next.iter().sum();
    let budget = (per_day * f64::from(total)).round();
    let suggestion = format!(
        "**Suggested weight budget:** {budget} ({per_day:.2} weight per available day over the \
         last 3 milestones, for {total} available days)."
    );
    assert!(
        text.contains(&suggestion),
        "missing {suggestion:?} in:\n{text}"
    );
    for (name, days) in ["Alice Manager", "Bob Backend", "Carol Backend"]
        .iter()
        .zip(next)
    {
        let share = (per_day * f64::from(days)).round();
        let row = format!("| {days} | {share} |");
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no capacity row for {name}"));
        assert!(line.contains(&row), "{name}: {line} lacks {row}");
    }

    // Around the issue: linked to 19.7's planning issue, which is closed with a note, and the
    // starter thread is there once.
    let previous = stored(&gitlab, "acme/create-stage", "planning/release/19.7");
    assert_eq!(previous["state"], "closed");
    let iid = release["iid"].as_u64().expect("iid");
    let previous_iid = previous["iid"].as_u64().expect("iid");
    let links = gitlab.get(&format!(
        "/projects/{}/issues/{iid}/links",
        path("acme/create-stage")
    ));
    assert_eq!(links[0]["iid"].as_u64(), Some(previous_iid), "{links}");
    let closing = gitlab.get(&format!(
        "/projects/{}/issues/{previous_iid}/notes",
        path("acme/create-stage")
    ));
    assert!(
        closing.to_string().contains(
            "Closed by teamcadence: the planning of 19.8 has moved to its own issue, linked here."
        ),
        "{closing}"
    );
    let notes = gitlab.comments("acme/create-stage", &release["iid"]);
    let threads: Vec<&String> = notes
        .iter()
        .filter(|b| b.starts_with("**Backend**"))
        .collect();
    assert_eq!(threads.len(), 1, "{notes:?}");
    assert!(
        threads[0].contains("Backend for 19.8: @bob, @carol"),
        "{}",
        threads[0]
    );

    // GitLab milestones: Sprint 12, 2026-12-07 to 2026-12-18, set on the issue.
    let sprint = stored(&gitlab, "sprinters/app", "planning/sprints/Sprint 12");
    assert_eq!(sprint["milestone"]["title"], "Sprint 12");
    assert_eq!(sprint["due_date"], planning_lock("2026-12-07"));
    let text = description(&sprint);
    let ten = available("2026-11-09", "2026-11-20", &[], &[]);
    for (title, w) in [("Sprint 10", 8), ("Sprint 9", 8), ("Sprint 8", 4)] {
        let row = format!("| {title} | ");
        let line = text
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("no velocity row for {title} in:\n{text}"));
        assert!(
            line.contains(&format!("| {w} | 0 | {} |", 2 * ten)),
            "{line}"
        );
    }
    let sprint_days = 2 * available("2026-12-07", "2026-12-18", &[], &[]);
    let sprint_budget = (20.0 / f64::from(6 * ten) * f64::from(sprint_days)).round();
    assert!(
        text.contains(&format!("**Suggested weight budget:** {sprint_budget} (")),
        "{text}"
    );
    assert_eq!(
        issue(&report, "planning/sprints/Sprint 12")["follow_ups"],
        serde_json::json!(["no issue planning/sprints/Sprint 11 to link to"])
    );

    // Iterations: the one starting 2026-12-14; only two finished iterations to go by.
    let iteration = stored(
        &gitlab,
        "iterators/board",
        "planning/iter/iteration-2026-12-14",
    );
    assert_eq!(iteration["milestone"], Value::Null);
    assert_eq!(iteration["due_date"], planning_lock("2026-12-14"));
    let text = description(&iteration);
    assert!(text.contains("| Cadence 2 | 1 | 3 | 0 |"), "{text}");
    assert!(
        text.contains("| Iteration 2026-11-02 to 2026-11-15 | 1 | 4 | 0 |"),
        "{text}"
    );
    assert!(
        text.contains(
            "The history is too short to suggest a weight budget: 2 of the 3 milestones before \
             this one are known."
        ),
        "{text}"
    );

    // A re-run finds everything done: it writes nothing at all.
    let writes = |gitlab: &Gitlab| {
        [
            "POST /api/v4/projects/:id/issues",
            "POST /api/v4/projects/:id/issues/:issue_iid/notes",
            "POST /api/v4/projects/:id/issues/:issue_iid/links",
            "PUT /api/v4/projects/:id/issues/:issue_iid",
        ]
        .map(|route| gitlab.count(route))
    };
    let before = writes(&gitlab);
    assert_eq!(before[0], 3, "three issues created");
    let second = job(&gitlab, "planning-issue", CONFIG, &args, Some(BOT_TOKEN));
    assert_eq!(second.status.code(), Some(1));
    let again = json(&second);
    for key in [
        "planning/release/19.8",
        "planning/sprints/Sprint 12",
        "planning/iter/iteration-2026-12-14",
    ] {
        assert_eq!(issue(&again, key)["action"], "exists", "{key}");
    }
    assert_eq!(writes(&gitlab), before);
}

#[test]
fn catch_up_creates_inside_the_window_but_never_after_the_start() {
    // The last day before 19.8 starts: the missed issue is still created.
    let gitlab = Gitlab::start(WORLD);
    let late = job(
        &gitlab,
        "planning-issue",
        CONFIG,
        &["--today", "2026-12-11"],
        Some(BOT_TOKEN),
    );
    assert_eq!(
        issue(&json(&late), "planning/release/19.8")["action"],
        "create"
    );
    stored(&gitlab, "acme/create-stage", "planning/release/19.8");

    // The day it starts: too late, and the output says why.
    let gitlab = Gitlab::start(WORLD);
    let too_late = job(
        &gitlab,
        "planning-issue",
        CONFIG,
        &["--today", "2026-12-12"],
        Some(BOT_TOKEN),
    );
    let report = json(&too_late);
    let started = issue(&report, "planning/release/19.8");
    assert_eq!(started["action"], "skip");
    assert_eq!(
        started["reason"],
        "19.8 started on 2026-12-12: planning issues are created before a milestone starts, so \
         this run does not create it"
    );
    assert_eq!(
        // 19.9 starts 2027-01-16: 26 days before is 2026-12-21, before its first task.
        issue(&report, "planning/release/19.9")["reason"],
        "not due until 2026-12-21"
    );
    assert!(
        gitlab
            .by_key("acme/create-stage")
            .keys()
            .all(|key| key == "planning/release/19.7"),
        "nothing new is created"
    );
}

#[test]
fn a_dry_run_without_gitlab_plans_the_configured_sources_and_names_the_others() {
    let output = common::run(
        "planning-issue",
        &[
            "--config",
            CONFIG,
            "--today",
            "2026-12-01",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let release = issue(&report, "planning/release/19.8");
    assert_eq!(release["action"], "create");
    assert!(
        release["description"]
            .as_str()
            .expect("text")
            .contains("The velocity was not read: this dry run does not read GitLab.")
    );
    assert_eq!(
        release["follow_ups"],
        serde_json::json!([
            "would link to planning/release/19.7",
            "would close planning/release/19.7",
            "would post the note \"thread:backend\""
        ])
    );
    let err = stderr(&output);
    for team in ["sprints", "iter", "undated", "absent"] {
        assert!(
            err.contains(&format!(
                "error: {team}: its milestones come from GitLab (`source: "
            )),
            "{team}: {err}"
        );
    }
}
