//! The onboarding job against the fake GitLab server: the roster's hires inside their
//! window and after their start, hires given by hand in pipeline variables, the
//! suggested buddy, a hire without an account, re-runs, and names and roles written to do
//! harm. The scheduled runs happen on Thursday 2027-04-15 (see tests/fixtures/onboarding.yml
//! for who is who); dates are worked out here from the fixtures, independently of the code
//! under test. The ignored tests are for features being built: issue templates read from the
//! team's project, issues composed of parts, and reminders on overdue issues.

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use common::{Gitlab, issue, job, json, stderr};
use serde_json::{Value, json};

const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/onboarding-world.yml"
);
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/onboarding.yml");
/// The teams of the features being built, each in its own file: today's parser refuses
/// their keys.
const TEMPLATE_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/onboarding-template.yml"
);
const PARTS_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/onboarding-parts.yml"
);
const BOT_TOKEN: &str = "glpat-onboarding-bot-SECRET-47";

/// The day of the scheduled runs.
const TODAY: &str = "2027-04-15";
/// A day when no roster hire is due, so that a manual run creates only its own issue.
const QUIET_DAY: &str = "2027-02-15";
const CREATE: &str = "POST /api/v4/projects/:id/issues";
const COMMENT: &str = "POST /api/v4/projects/:id/issues/:issue_iid/notes";

/// The `nl` holiday calendar of onboarding.yml.
const NL: &[&str] = &["2027-03-29", "2027-04-27", "2027-05-06", "2027-05-17"];
/// What teamcadence puts after an `@` from data so that it mentions nobody.
const ZWSP: char = '\u{200B}';

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// The `n`-th working day after `from`, or before it when `n` is negative: Monday to
/// Friday, not one of `holidays`.
fn working_days_from(from: &str, n: i32, holidays: &[&str]) -> NaiveDate {
    let mut day = d(from);
    let mut left = n.unsigned_abs();
    while left > 0 {
        day = if n > 0 {
            day + Days::new(1)
        } else {
            day - Days::new(1)
        };
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend && !holidays.iter().any(|h| d(h) == day) {
            left -= 1;
        }
    }
    day
}

fn days_after(from: &str, days: u64) -> String {
    (d(from) + Days::new(days)).to_string()
}

/// The scheduled job on `today`.
fn scheduled(gitlab: &Gitlab, today: &str) -> Output {
    job(
        gitlab,
        "onboarding-issue",
        CONFIG,
        &["--today", today],
        Some(BOT_TOKEN),
    )
}

/// The job run by hand, as a manual pipeline runs it: the hire in environment variables.
fn manual(gitlab: &Gitlab, today: &str, variables: &[(&str, &str)]) -> Output {
    let mut command = common::bin("onboarding-issue");
    command
        .args(["--config", CONFIG, "--format", "json", "--today", today])
        .arg("--gitlab-url")
        .arg(gitlab.url())
        .env("TEAMCADENCE_RETRY_BASE_MS", "5")
        .env("GITLAB_TOKEN", BOT_TOKEN)
        .envs(variables.iter().copied());
    command.output().expect("onboarding-issue runs")
}

fn succeeded(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
}

/// The one issue of `project` whose marker carries `key`.
fn stored(gitlab: &Gitlab, project: &str, key: &str) -> Value {
    let mut found = gitlab.by_key(project).remove(key).unwrap_or_default();
    assert_eq!(found.len(), 1, "one issue for {key}: {found:?}");
    found.remove(0)
}

fn description(issue: &Value) -> &str {
    issue["description"].as_str().expect("description")
}

fn usernames(people: &Value) -> Vec<&str> {
    people
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["username"].as_str().expect("username"))
        .collect()
}

/// Who is assigned to a stored issue, sorted by username. The order teamcadence asks for
/// is checked in its report; GitLab's order is a known bug (see
/// `the_new_hire_is_the_first_assignee_gitlab_receives`).
fn assigned(issue: &Value) -> Vec<&str> {
    let mut people = usernames(&issue["assignees"]);
    people.sort_unstable();
    people
}

/// The comments on an issue, oldest first.
fn comments_on(gitlab: &Gitlab, project: &str, issue: &Value) -> Vec<String> {
    gitlab.comments(project, &issue["iid"])
}

/// A comment as GitLab keeps what teamcadence posts: the text, then the comment's hidden
/// marker (the trailing newline trimmed).
fn comment(text: &str, id: &str) -> String {
    format!("{text}\n\n<!-- teamcadence:note={id} -->")
}

/// The (key, action) of every plan in a run's report, in order.
fn actions(report: &Value) -> Vec<(String, String)> {
    report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["key"].as_str().expect("key").to_owned(),
                i["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_hire_inside_the_window_gets_the_issue_with_week_due_dates_from_their_own_calendar() {
    let gitlab = Gitlab::start(WORLD);
    let run = scheduled(&gitlab, TODAY);
    succeeded(&run);
    let report = json(&run);

    // lena starts on Monday 2027-04-19: five working days before, the window opened on
    // Monday 2027-04-12, so it is open today.
    assert!(working_days_from("2027-04-19", -5, NL) <= d(TODAY));
    assert_eq!(issue(&report, "onboarding/lena")["action"], "create");
    let lena = stored(&gitlab, "acme/platform", "onboarding/lena");
    assert_eq!(
        lena["title"],
        "Onboarding Lena Fischer (backend-engineer), starting 2027-04-19"
    );
    assert_eq!(
        issue(&report, "onboarding/lena")["assignees"],
        json!(["lena", "sam", "mia"])
    );
    assert_eq!(assigned(&lena), ["lena", "mia", "sam"]);
    assert_eq!(
        lena["labels"],
        json!(["group::platform", "onboarding", "teamcadence::onboarding"])
    );
    assert_eq!(lena["confidential"], true);
    assert_eq!(lena["state"], "opened");
    assert_eq!(lena["due_date"], days_after("2027-04-19", 30));

    // Each week is due on its fifth working day in lena's calendar, where King's Day,
    // Ascension Day and Whit Monday push weeks 2 to 4 past their Fridays.
    let text = description(&lena);
    for week in 1..=4 {
        let due = working_days_from("2027-04-19", 5 * week - 1, NL);
        let heading = format!("## Week {week} (due {})", due.format("%a %Y-%m-%d"));
        assert!(
            text.lines().any(|line| line == heading),
            "no {heading:?} in:\n{text}"
        );
    }
    assert!(
        !text.contains("(due Fri 2027-04-30)"),
        "week 2 ignores King's Day:\n{text}"
    );
    assert!(
        text.contains("- First day: **Monday 2027-04-19**; this issue is due 2027-05-19"),
        "{text}"
    );
    assert!(text.contains("- Your onboarding buddy: @sam"), "{text}");
    assert!(!text.contains("How the buddy was chosen"), "sam was given");

    assert_eq!(
        comments_on(&gitlab, "acme/platform", &lena),
        [comment(
            "Welcome to Platform, @lena! This issue is your guide to your first four weeks. \
             Your buddy @sam and your manager @mia will help you along: ask anything here in \
             the comments.",
            "welcome"
        )]
    );

    // kai starts on 2027-05-10; Ascension Day is in the five working days before, so his
    // window opens on Friday 2027-04-30.
    let kai = issue(&report, "onboarding/kai");
    assert_eq!(kai["action"], "skip");
    let opens = working_days_from("2027-05-10", -5, NL);
    assert_eq!(opens, d("2027-04-30"));
    assert_eq!(kai["reason"], format!("not due until {opens}"));
    assert!(
        !gitlab
            .by_key("acme/platform")
            .contains_key("onboarding/kai")
    );

    // lena, noah and hugo in Platform's project, eve and yara in Mobile's people project.
    assert_eq!(gitlab.count(CREATE), 5);
}

#[test]
fn a_missed_start_is_caught_up_for_fourteen_days_and_no_longer() {
    let gitlab = Gitlab::start(WORLD);
    let run = scheduled(&gitlab, TODAY);
    succeeded(&run);
    let report = json(&run);

    // hugo started ten days ago: his issue is still created.
    assert_eq!((d(TODAY) - d("2027-04-05")).num_days(), 10);
    assert_eq!(issue(&report, "onboarding/hugo")["action"], "create");
    let hugo = stored(&gitlab, "acme/platform", "onboarding/hugo");
    assert_eq!(
        hugo["title"],
        "Onboarding Hugo Hansen (backend-engineer), starting 2027-04-05"
    );
    assert_eq!(
        issue(&report, "onboarding/hugo")["assignees"],
        json!(["hugo", "oscar", "mia"])
    );
    assert_eq!(assigned(&hugo), ["hugo", "mia", "oscar"]);
    assert_eq!(hugo["due_date"], days_after("2027-04-05", 30));

    // ines started fifteen days ago: too late, so she is not planned at all; nor are the
    // hires of January, except that wendy's overdue issue is reminded on.
    assert_eq!((d(TODAY) - d("2027-03-31")).num_days(), 15);
    assert_eq!(
        actions(&report),
        [
            ("onboarding/lena", "create"),
            ("onboarding/noah", "create"),
            ("onboarding/hugo", "create"),
            ("onboarding/kai", "skip"),
            ("onboarding/eve", "create"),
            ("onboarding/yara", "create"),
            ("onboarding/wendy", "exists"),
        ]
        .map(|(k, a)| (k.to_owned(), a.to_owned()))
    );
    assert!(
        !gitlab
            .by_key("acme/platform")
            .contains_key("onboarding/ines")
    );

    // The day before, her fourteenth, she was still caught up.
    let gitlab = Gitlab::start(WORLD);
    let day_before = scheduled(&gitlab, "2027-04-14");
    succeeded(&day_before);
    assert_eq!(
        issue(&json(&day_before), "onboarding/ines")["action"],
        "create"
    );
    stored(&gitlab, "acme/platform", "onboarding/ines");
}

#[test]
fn a_manual_run_takes_the_hire_from_pipeline_variables_and_refuses_bad_ones_before_writing() {
    let gitlab = Gitlab::start(WORLD);
    let people = [
        ("NEW_HIRE", "bram"),
        ("MANAGER", "nina"),
        ("BUDDY", "omar"),
        ("ROLE", "android-engineer"),
        ("TEAM", "mobile"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut variables = people.to_vec();
        for (name, value) in extra {
            variables.retain(|(n, _)| n != name);
            variables.push((name, value));
        }
        variables
    };

    let missing = manual(&gitlab, QUIET_DAY, &people);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains(
            "the new hire's start date is missing: pass --start-date (or START_DATE) as \
             YYYY-MM-DD"
        ),
        "{}",
        stderr(&missing)
    );

    let malformed = manual(&gitlab, QUIET_DAY, &with(&[("START_DATE", "07/12/2026")]));
    assert_eq!(malformed.status.code(), Some(2));
    let err = stderr(&malformed);
    assert!(err.contains("START_DATE"), "{err}");
    assert!(
        err.contains("`07/12/2026` is not a date: write it as YYYY-MM-DD, for example 2026-12-07"),
        "{err}"
    );

    let stranger = manual(
        &gitlab,
        QUIET_DAY,
        &with(&[("START_DATE", "2027-09-06"), ("MANAGER", "zed")]),
    );
    assert_eq!(stranger.status.code(), Some(2));
    assert!(
        stderr(&stranger).contains(&format!(
            "--manager (MANAGER) `zed` is not a member of any team in {CONFIG}: pass a team \
             member's username"
        )),
        "{}",
        stderr(&stranger)
    );
    assert_eq!(gitlab.count(CREATE), 0, "nothing is written");
    assert_eq!(gitlab.count(COMMENT), 0, "nothing is written");

    // A start months away is not waited for: the issue is created at once, in the team's
    // onboarding project, with the people given.
    let run = manual(&gitlab, QUIET_DAY, &with(&[("START_DATE", "2027-09-06")]));
    succeeded(&run);
    let report = json(&run);
    assert_eq!(issue(&report, "onboarding/bram")["action"], "create");
    assert_eq!(
        issue(&report, "onboarding/lena")["action"],
        "skip",
        "the roster waits for its windows"
    );
    let bram = stored(&gitlab, "acme/people", "onboarding/bram");
    assert_eq!(
        bram["title"],
        "Onboarding bram (android-engineer), starting 2027-09-06"
    );
    assert_eq!(
        issue(&report, "onboarding/bram")["assignees"],
        json!(["bram", "omar", "nina"])
    );
    assert_eq!(assigned(&bram), ["bram", "nina", "omar"]);
    assert_eq!(
        bram["labels"],
        json!([
            "group::mobile",
            "onboarding",
            "people::new-hire",
            "teamcadence::onboarding"
        ])
    );
    assert_eq!(bram["due_date"], days_after("2027-09-06", 30));
    assert_eq!(bram["confidential"], true);
    assert_eq!(gitlab.count(CREATE), 1);
}

#[test]
fn a_suggested_buddy_passes_over_whoever_is_away_or_new_and_the_issue_says_why() {
    let gitlab = Gitlab::start(WORLD);
    let run = scheduled(&gitlab, TODAY);
    succeeded(&run);
    let report = json(&run);

    // noah (New York, starts 2027-04-19) has no buddy. rosa, in his time zone and at the
    // company since 2018, would be chosen, but she is away in his second week; tess, in the
    // same offset, joined on 2027-01-25, after 2027-01-19 (three months before the start).
    // victor, in Chicago an hour away, is next; uma in London has a bank holiday on
    // 2027-05-03, in noah's third week, in which the template gives the buddy tasks (issue
    // 15: only the first two weeks were checked). oscar and sam have King's Day off.
    let noah = stored(&gitlab, "acme/platform", "onboarding/noah");
    assert_eq!(
        issue(&report, "onboarding/noah")["assignees"],
        json!(["noah", "victor", "mia"])
    );
    assert_eq!(assigned(&noah), ["mia", "noah", "victor"]);
    let text = description(&noah);
    assert!(text.contains("- Your onboarding buddy: @victor"), "{text}");
    let start = text
        .find("<details><summary>How the buddy was chosen</summary>")
        .unwrap_or_else(|| panic!("no buddy block in:\n{text}"));
    let block = &text[start..start + text[start..].find("</details>").expect("block end")];
    assert!(
        block.contains(
            "victor was suggested as buddy: on the same team, at the company since 2020-10-05, \
             1 h from the new hire's time zone (America/Chicago), at work on every working day \
             of weeks 1, 2, 3 and 4 (every week with buddy tasks), and buddy to 0 other new \
             hires now."
        ),
        "{block}"
    );
    let passed_over: Vec<&str> = block.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        passed_over,
        [
            "- mia is the manager",
            "- oscar is away on 2027-04-27 (King's Day)",
            "- sam is away on 2027-04-27 (King's Day)",
            "- rosa is away on 2027-04-26 (Family wedding)",
            "- tess joined on 2027-01-25, less than 3 months before the start",
            "- uma is away on 2027-05-03 (Early May bank holiday)",
        ]
    );
    assert_eq!(
        comments_on(&gitlab, "acme/platform", &noah),
        [comment(
            "Welcome to Platform, @noah! This issue is your guide to your first four weeks. \
             Your buddy @victor and your manager @mia will help you along: ask anything here \
             in the comments.",
            "welcome"
        )]
    );
}

#[test]
fn a_hire_without_an_account_is_left_unassigned_and_the_issue_and_the_run_say_so() {
    let gitlab = Gitlab::start(WORLD);
    let run = scheduled(&gitlab, TODAY);
    succeeded(&run);
    let report = json(&run);
    assert_eq!(
        report["warnings"],
        json!(["onboarding/yara: no GitLab account for yara; not assigned"])
    );

    let yara = stored(&gitlab, "acme/people", "onboarding/yara");
    assert_eq!(
        yara["title"],
        "Onboarding Yara Young (android-engineer), starting 2027-04-19"
    );
    assert_eq!(
        issue(&report, "onboarding/yara")["assignees"],
        json!(["yara", "omar", "nina"])
    );
    assert_eq!(assigned(&yara), ["nina", "omar"]);
    assert_eq!(
        comments_on(&gitlab, "acme/people", &yara),
        [
            comment(
                "Yara Young: welcome to Mobile as android-engineer! @omar is your buddy and \
                 @nina your manager; ask anything here.",
                "welcome"
            ),
            comment(
                "teamcadence could not assign yara: there is no GitLab account with that \
                 username yet. Please assign it here once the account exists.",
                "unassigned"
            ),
        ]
    );
}

/// Every issue of the job in the world's onboarding projects, by key, with its comments.
fn onboarding_issues(gitlab: &Gitlab) -> BTreeMap<String, (Value, Vec<String>)> {
    let mut all = BTreeMap::new();
    for project in ["acme/platform", "acme/people"] {
        for (key, mut issues) in gitlab.by_key(project) {
            assert_eq!(issues.len(), 1, "{key} is there once: {issues:?}");
            let issue = issues.remove(0);
            let notes = comments_on(gitlab, project, &issue);
            all.insert(key, (issue["iid"].clone(), notes));
        }
    }
    all
}

#[test]
fn running_again_the_same_day_or_the_next_creates_and_posts_nothing() {
    let gitlab = Gitlab::start(WORLD);
    succeeded(&scheduled(&gitlab, TODAY));
    assert_eq!(gitlab.count(CREATE), 5);
    let first = onboarding_issues(&gitlab);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        [
            "onboarding/eve",
            "onboarding/hugo",
            "onboarding/lena",
            "onboarding/noah",
            "onboarding/wendy",
            "onboarding/xavier",
            "onboarding/yara",
        ]
    );
    let comments = gitlab.count(COMMENT);

    // Nobody's window opens on Friday 2027-04-16 (kai's opens on 2027-04-30).
    for today in [TODAY, "2027-04-16"] {
        let again = scheduled(&gitlab, today);
        succeeded(&again);
        let report = json(&again);
        for key in [
            "onboarding/lena",
            "onboarding/noah",
            "onboarding/hugo",
            "onboarding/eve",
            "onboarding/yara",
        ] {
            assert_eq!(issue(&report, key)["action"], "exists", "{key} on {today}");
        }
        assert_eq!(gitlab.count(CREATE), 5, "on {today}");
        assert_eq!(gitlab.count(COMMENT), comments, "on {today}");
        assert_eq!(onboarding_issues(&gitlab), first, "on {today}");
    }
}

/// The scheduled run (with eve, whose name is made to act) and a manual run whose role is.
fn hostile_runs(gitlab: &Gitlab) -> [Value; 2] {
    let roster = scheduled(gitlab, TODAY);
    succeeded(&roster);
    let by_hand = manual(
        gitlab,
        TODAY,
        &[
            ("NEW_HIRE", "zoe"),
            ("START_DATE", "2027-06-07"),
            ("MANAGER", "nina"),
            ("BUDDY", "omar"),
            (
                "ROLE",
                "engineer\n/label ~hacked\n/assign @mallory\n/close\n@channel",
            ),
            ("TEAM", "mobile"),
        ],
    );
    succeeded(&by_hand);
    [json(&roster), json(&by_hand)]
}

#[test]
fn names_and_roles_cannot_run_quick_actions_or_mention_anyone_in_the_issue() {
    let gitlab = Gitlab::start(WORLD);
    let reports = hostile_runs(&gitlab);

    // One line each, the leading `/` escaped, every `@` followed by a zero-width space, the
    // label reference escaped.
    let name = format!("\\/close Eve /assign @{ZWSP}mallory /label \\~hacked @{ZWSP}all");
    let role = format!("engineer /label \\~hacked /assign @{ZWSP}mallory /close @{ZWSP}channel");
    let cases = [
        (
            "onboarding/eve",
            &reports[0],
            ["eve", "pia", "nina"],
            format!(
                "{name}: welcome to Mobile as ios-engineer! @pia is your buddy and @nina your \
                 manager; ask anything here."
            ),
        ),
        (
            "onboarding/zoe",
            &reports[1],
            ["zoe", "omar", "nina"],
            format!(
                "zoe: welcome to Mobile as {role}! @omar is your buddy and @nina your manager; \
                 ask anything here."
            ),
        ),
    ];
    for (key, report, assignees, welcome) in cases {
        let created = stored(&gitlab, "acme/people", key);
        // A `/close`, `/label ~hacked` or `/assign @mallory` that ran would show here: the
        // fake runs them as GitLab does, and `hacked` and mallory exist.
        assert_eq!(created["state"], "opened", "{key}");
        assert_eq!(
            created["labels"],
            json!([
                "group::mobile",
                "onboarding",
                "people::new-hire",
                "teamcadence::onboarding"
            ]),
            "{key}"
        );
        assert_eq!(issue(report, key)["assignees"], json!(assignees), "{key}");
        let mut people = assignees.to_vec();
        people.sort_unstable();
        assert_eq!(assigned(&created), people, "{key}");
        let title = created["title"].as_str().expect("title");
        assert!(
            title.starts_with("Onboarding ") && !title.contains('\n'),
            "{title}"
        );

        // The comment starts with the data, and is kept whole: nothing in it was a command.
        let notes = comments_on(&gitlab, "acme/people", &created);
        assert_eq!(notes, [comment(&welcome, "welcome")], "{key}");

        let sent = issue(report, key)["description"]
            .as_str()
            .expect("description");
        for text in [sent, description(&created), &notes[0]] {
            assert!(
                !text.lines().any(|line| line.starts_with('/')),
                "{key}: a line starts with `/` in:\n{text}"
            );
            for mention in ["@all", "@channel", "@mallory"] {
                assert!(!text.contains(mention), "{key}: {mention} in:\n{text}");
            }
        }
    }
    let eve = stored(&gitlab, "acme/people", "onboarding/eve");
    assert!(
        description(&eve).contains(&format!("## Welcome, {name}!")),
        "{}",
        description(&eve)
    );
}

#[test]
fn names_and_roles_cannot_mention_anyone_from_the_title() {
    let gitlab = Gitlab::start(WORLD);
    hostile_runs(&gitlab);
    for (key, who) in [("onboarding/eve", "Eve"), ("onboarding/zoe", "zoe")] {
        let created = stored(&gitlab, "acme/people", key);
        let title = created["title"].as_str().expect("title");
        assert!(title.contains(who), "{title}");
        for mention in ["@all", "@channel", "@mallory"] {
            assert!(!title.contains(mention), "{key}: {mention} in {title:?}");
        }
    }
}

#[test]
fn the_new_hire_is_the_first_assignee_gitlab_receives() {
    let gitlab = Gitlab::start(WORLD);
    succeeded(&scheduled(&gitlab, TODAY));
    // The fake keeps assignees in the order of the request, as GitLab stores them.
    for (project, key, people) in [
        (
            "acme/platform",
            "onboarding/lena",
            vec!["lena", "sam", "mia"],
        ),
        (
            "acme/platform",
            "onboarding/noah",
            vec!["noah", "victor", "mia"],
        ),
        ("acme/people", "onboarding/yara", vec!["omar", "nina"]),
    ] {
        let created = stored(&gitlab, project, key);
        assert_eq!(usernames(&created["assignees"]), people, "{key}");
    }
}

#[test]
fn an_issue_template_from_the_project_is_filled_in_like_gitlab_placeholders() {
    let gitlab = Gitlab::start(WORLD);
    let run = job(
        &gitlab,
        "onboarding-issue",
        TEMPLATE_CONFIG,
        &["--today", TODAY],
        Some(BOT_TOKEN),
    );
    succeeded(&run);

    // `.gitlab/issue_templates/Developer onboarding.md` of acme/apps has no front matter:
    // the default title, and the placeholders filled for finn.
    let finn = stored(&gitlab, "acme/apps", "onboarding/finn");
    assert_eq!(
        finn["title"],
        "Onboarding Finn Foster (backend-engineer), starting 2027-04-19"
    );
    assert_eq!(assigned(&finn), ["ana", "ben", "finn"]);
    assert_eq!(
        finn["labels"],
        json!(["group::apps", "onboarding", "teamcadence::onboarding"])
    );
    let due = days_after("2027-04-19", 30);
    assert_eq!(finn["due_date"], due);
    let text = description(&finn);
    for line in [
        "## Hello Finn Foster".to_owned(),
        format!("Welcome to Apps, @finn! You start on 2027-04-19; close this issue by {due}."),
        "- Buddy: @ben".to_owned(),
        "- Manager: @ana".to_owned(),
        "- Read by handlebars too: Finn Foster joins Apps.".to_owned(),
        "- [ ] Clone the Apps monorepo and run its tests".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    assert!(!text.contains("%{"), "a placeholder is left in:\n{text}");
    assert!(
        !text.contains("## Week 1 (due"),
        "the bundled template was used:\n{text}"
    );
}

#[test]
fn parts_chosen_by_role_and_location_follow_the_base_in_order() {
    let gitlab = Gitlab::start(WORLD);
    let run = job(
        &gitlab,
        "onboarding-issue",
        PARTS_CONFIG,
        &["--today", TODAY],
        Some(BOT_TOKEN),
    );
    succeeded(&run);
    let base_end = "- [ ] Hand over: the weekly 1:1 ends, questions still welcome";
    let position = |text: &str, part: &str| {
        assert_eq!(text.matches(part).count(), 1, "{part:?} once in:\n{text}");
        text.find(part).expect("found")
    };

    // gala: backend, in EMEA.
    let gala = stored(&gitlab, "acme/services", "onboarding/gala");
    let text = description(&gala);
    let base = position(text, base_end);
    let backend = position(text, "## Backend onboarding");
    let emea = position(text, "## EMEA onboarding");
    assert!(base < backend && backend < emea, "{text}");
    assert!(text.contains("- [ ] Run the order service locally against its Postgres container"));
    assert!(text.contains("- [ ] Register with the Amsterdam office for a desk and a badge"));
    assert!(!text.contains("Frontend onboarding"), "{text}");
    assert!(!text.contains("Storybook"), "{text}");

    // ivy: frontend, in AMER: the frontend part from the project's issue templates only.
    let ivy = stored(&gitlab, "acme/services", "onboarding/ivy");
    let text = description(&ivy);
    let base = position(text, base_end);
    let frontend = position(text, "## Frontend onboarding");
    assert!(base < frontend, "{text}");
    assert!(text.contains("- [ ] Walk through the Storybook component library with your buddy"));
    assert!(!text.contains("Backend onboarding"), "{text}");
    assert!(!text.contains("EMEA onboarding"), "{text}");
}

#[test]
fn an_overdue_open_onboarding_issue_is_reminded_once() {
    let gitlab = Gitlab::start(WORLD);
    // wendy's issue was due on 2027-02-10 and is still open; xavier's is closed.
    for today in [TODAY, TODAY, "2027-04-16"] {
        succeeded(&scheduled(&gitlab, today));
        let wendy = stored(&gitlab, "acme/platform", "onboarding/wendy");
        assert_eq!(wendy["state"], "opened");
        let notes = comments_on(&gitlab, "acme/platform", &wendy);
        assert_eq!(notes.len(), 1, "one reminder, whatever the runs: {notes:?}");
        assert!(
            notes[0].starts_with("This onboarding issue was due on 2027-02-10"),
            "{}",
            notes[0]
        );
        for assignee in ["@wendy", "@sam", "@mia"] {
            assert!(notes[0].contains(assignee), "{assignee}: {}", notes[0]);
        }
        let xavier = stored(&gitlab, "acme/platform", "onboarding/xavier");
        assert_eq!(
            comments_on(&gitlab, "acme/platform", &xavier),
            Vec::<String>::new()
        );
    }
}
