//! Issue 18: the planning issue reads the team's real work from GitLab. A team's issues
//! spread over three milestones (19.6 finished, 19.7 under way, 19.8 to plan) with weights,
//! `~Deliverable`, one closed late, unweighted ones and one assigned to someone away; every
//! list and number the issue shows is worked out by hand below from that seed. The Mermaid
//! chart is parsed with Mermaid's own parser under Node (tools/mermaid-check).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use common::{Gitlab, Scratch, issue, job, json, stderr};

const BOT: &str = "glpat-work-bot-SECRET-18";

/// Release calendar: 19.4 2026-08-15..09-11, 19.5 09-12..10-09, 19.6 10-10..11-13,
/// 19.7 11-14..12-11, 19.8 12-12..2027-01-15 (released 01-21). On 2026-11-20, 19.8 is
/// planned, 19.7 is the one ending (carry-over), 19.6 the last finished (slipped).
const WORLD: &str = r#"
users:
  - { username: bot, name: Bot, tokens: [glpat-work-bot-SECRET-18] }
  - { username: em, name: Emma Manager }
  - { username: ana, name: Ana }
  - { username: ben, name: Ben Front }
  - { username: cai, name: Cai Full }
  - { username: dev, name: Dev Away }
groups:
  - { path: acme, members: { bot: reporter, em: developer, ana: developer, ben: developer, cai: developer, dev: developer } }
projects:
  - { path: acme/web }
  - { path: acme/big }
milestones:
  - { group: acme, title: "19.4", start_date: 2026-08-15, due_date: 2026-09-11, state: closed }
  - { group: acme, title: "19.5", start_date: 2026-09-12, due_date: 2026-10-09, state: closed }
  - { group: acme, title: "19.6", start_date: 2026-10-10, due_date: 2026-11-13, state: closed }
  - { group: acme, title: "19.7", start_date: 2026-11-14, due_date: 2026-12-11 }
  - { group: acme, title: "19.8", start_date: 2026-12-12, due_date: 2027-01-15 }
  - { group: acme, title: "19.9", start_date: 2027-01-16, due_date: 2027-02-12 }
issues:
  # 19.4 and 19.5: closed weight 25 and 24 (velocity only).
  - { project: acme/web, title: "Old 19.4", labels: ["group::web"], milestone: "19.4", state: closed, weight: 25 }
  - { project: acme/web, title: "Old 19.5", labels: ["group::web"], milestone: "19.5", state: closed, weight: 24 }
  # 19.6, finished on 2026-11-13: closed weight 3 + 8 + 5 = 16.
  - { project: acme/web, title: "Ship search", labels: ["group::web", "Deliverable"], assignees: [ben], milestone: "19.6", state: closed, weight: 3, closed_at: "2026-11-16T10:00:00Z" }
  - { project: acme/web, title: "Export CSV", labels: ["group::web", "Deliverable"], assignees: [dev], milestone: "19.6", weight: 5 }
  - { project: acme/web, title: "On time", labels: ["group::web", "Deliverable"], assignees: [ana], milestone: "19.6", state: closed, weight: 8, closed_at: "2026-11-13T15:00:00Z" }
  - { project: acme/web, title: "Fix bug", labels: ["group::web"], milestone: "19.6", state: closed, weight: 5, closed_at: "2026-11-02T09:00:00Z" }
  - { project: acme/web, title: "Unweighted closed", labels: ["group::web"], milestone: "19.6", state: closed, closed_at: "2026-11-03T09:00:00Z" }
  - { project: acme/web, title: "Other team's deliverable", labels: ["group::other", "Deliverable"], milestone: "19.6" }
  # 19.7, under way: five open issues of the team carry over.
  - { project: acme/web, title: "Refactor API", labels: ["group::web", "backend", "workflow::in dev"], assignees: [ana], milestone: "19.7", weight: 3 }
  - { project: acme/web, title: "Fix layout", labels: ["group::web", "frontend", "workflow::in review"], assignees: [ben], milestone: "19.7", weight: 2 }
  - { project: acme/web, title: "Unweighted chore", labels: ["group::web"], assignees: [ana], milestone: "19.7" }
  - { project: acme/web, title: "Pair task", labels: ["group::web", "frontend"], assignees: [cai, ben], milestone: "19.7", weight: 4 }
  - { project: acme/web, title: "Orphan", labels: ["group::web"], milestone: "19.7", weight: 1 }
  - { project: acme/web, title: "Done already", labels: ["group::web"], assignees: [ana], milestone: "19.7", state: closed, weight: 7 }
  - { project: acme/web, title: "Other team's open", labels: ["group::other"], milestone: "19.7", weight: 9 }
  # 19.8, to plan: seven unweighted issues to refine, one weighted.
  - { project: acme/web, title: "Design settings", labels: ["group::web"], assignees: [dev], milestone: "19.8" }
  - { project: acme/web, title: "Spike caching", labels: ["group::web"], assignees: [cai], milestone: "19.8" }
  - { project: acme/web, title: "Audit logs", labels: ["group::web"], milestone: "19.8" }
  - { project: acme/web, title: "Weighted one", labels: ["group::web"], milestone: "19.8", weight: 2 }
  - { project: acme/web, title: "More", labels: ["group::web"], milestone: "19.8" }
  - { project: acme/web, title: "Even more", labels: ["group::web"], milestone: "19.8" }
  - { project: acme/web, title: "Too many", labels: ["group::web"], milestone: "19.8" }
  - { project: acme/web, title: "Last one", labels: ["group::web"], milestone: "19.8" }
"#;

/// What the coverage test adds to [`WORLD`]: the planning issue of 19.8, Cai's work around
/// the time off of [`config_pto`] (2027-01-11 to 01-22, in 19.8 and 19.9) and merge
/// requests. Issues #1-#23 are [`WORLD`]'s; these are #24-#29.
const WORLD_PTO_EXTRA: &str = r#"
  - project: acme/web
    title: "Web 19.8 Planning : December"
    labels: ["Planning Issue", "teamcadence::planning"]
    description: "Planning of 19.8\n\n<!-- teamcadence:key=planning/web/19.8 -->\n"
    milestone: "19.8"
  - { project: acme/web, title: "Due while away", labels: ["group::web"], assignees: [cai], milestone: "19.8", due_date: 2027-01-12, weight: 2 }
  - { project: acme/web, title: "Due later", labels: ["group::web"], assignees: [cai], milestone: "19.9", due_date: 2027-02-01 }
  - { project: acme/web, title: "Unplanned but due", assignees: [cai], due_date: 2027-01-20 }
  - { project: acme/web, title: "Closed in 19.8", assignees: [cai], milestone: "19.8", state: closed }
  - { project: acme/web, title: "Not mine", assignees: [ben], milestone: "19.8", due_date: 2027-01-12 }
merge_requests:
  - { project: acme/web, title: "Add cache layer", author: ana, reviewers: [cai] }
  - { project: acme/web, title: "Draft: docs", author: ben, reviewers: [cai, ana], draft: true }
  - { project: acme/web, title: "Merged one", author: ana, reviewers: [cai], state: merged }
  - { project: acme/web, title: "Someone else's review", author: ana, reviewers: [ben] }
"#;

/// Ana's name has quotes, a colon and non-Latin letters: the chart must still parse.
const CONFIG: &str = r#"
timezone: UTC
teams:
  - id: web
    name: Web
    project: acme/web
    labels: ["group::web"]
    members:
      - { username: em, name: Emma Manager, role: engineering-manager }
      - { username: ana, name: "Ana \"Zoë\" Łukasz: 李 #1", role: backend-engineer }
      - { username: ben, name: Ben Front, role: frontend-engineer }
      - { username: cai, name: Cai Full, role: fullstack-engineer }
      - { username: dev, name: Dev Away, role: backend-engineer }
    planning:
      work:
        disciplines:
          - { label: frontend, roles: [frontend-engineer, fullstack-engineer] }
          - { label: backend, roles: [backend-engineer, fullstack-engineer] }
  - id: big
    name: Big
    project: acme/big
    labels: ["group::big"]
    members:
      - { username: m01, name: M01, role: backend-engineer }
      - { username: m02, name: M02, role: backend-engineer }
      - { username: m03, name: M03, role: backend-engineer }
      - { username: m04, name: M04, role: backend-engineer }
      - { username: m05, name: M05, role: backend-engineer }
      - { username: m06, name: M06, role: backend-engineer }
      - { username: m07, name: M07, role: backend-engineer }
      - { username: m08, name: M08, role: backend-engineer }
      - { username: m09, name: M09, role: backend-engineer }
      - { username: m10, name: M10, role: backend-engineer }
      - { username: m11, name: M11, role: backend-engineer }
      - { username: m12, name: M12, role: backend-engineer }
      - { username: m13, name: M13, role: backend-engineer }
      - { username: m14, name: M14, role: backend-engineer }
      - { username: m15, name: M15, role: backend-engineer }
      - { username: m16, name: M16, role: backend-engineer }
    planning:
      work: { carry_over: false, slipped: false, refinement: false }
new_hires:
  - { username: nia, name: Nia New, team: web, role: frontend-engineer, start: 2026-12-14 }
time_off:
  # The whole refinement window of 19.8 (Monday 2026-11-23 to Friday 2026-12-04).
  - { person: dev, from: 2026-11-23, until: 2026-12-04 }
  # Four working days inside 19.8.
  - { person: ana, from: 2026-12-21, until: 2026-12-24 }
"#;

/// [`CONFIG`] with Cai away 2027-01-11 to 01-22: ten working days, a coverage issue due.
fn config_pto() -> String {
    CONFIG.replace(
        "time_off:\n",
        "time_off:\n  - { person: cai, from: 2027-01-11, until: 2027-01-22 }\n",
    )
}

/// Runs the planning job on 2026-11-20 and returns the planned web and big issues' descriptions.
fn planned() -> (String, String) {
    let gitlab = Gitlab::start(&world_file());
    let scratch = Scratch::new("work-in-planning", &[("teamcadence.yml", CONFIG)]);
    let output = job(
        &gitlab,
        "planning-issue",
        &scratch.path("teamcadence.yml"),
        &["--today", "2026-11-20", "--dry-run"],
        Some(BOT),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document = json(&output);
    let text = |key: &str| {
        issue(&document, key)["description"]
            .as_str()
            .expect("description")
            .to_owned()
    };
    (text("planning/web/19.8"), text("planning/big/19.8"))
}

/// Runs the job binary `name` as the bot on `today`, which must succeed.
fn run_on(gitlab: &Gitlab, name: &str, config: &str, today: &str) {
    let output = job(gitlab, name, config, &["--today", today], Some(BOT));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// The seed as a file, since the fake reads its world from one.
fn world_file() -> String {
    write_world("plain", WORLD.to_owned())
}

/// `text` written to a file of its own (tests run in parallel).
fn write_world(name: &str, text: String) -> String {
    let path = std::env::temp_dir().join(format!(
        "teamcadence-work-world-{}-{name}.yml",
        std::process::id()
    ));
    std::fs::write(&path, text).expect("world");
    path.display().to_string()
}

/// The lines of `text` from the one starting with `from` up to the next blank line.
fn block<'a>(text: &'a str, from: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(from))
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

/// The capacity table's row of the person whose name cell starts with `name`.
fn row<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| {
            l.starts_with(&format!("| {name}")) && l.contains("-engineer |")
                || l.starts_with(&format!("| {name} |"))
        })
        .unwrap_or_else(|| panic!("no row for {name} in\n{text}"))
}

#[test]
fn the_planning_issue_lists_carry_over_slipped_deliverables_and_refinement_from_gitlab() {
    let (web, _) = planned();

    // Snapshot notice with the time of reading.
    assert!(
        web.contains("> **Snapshot:** the lists below were read from GitLab at 20"),
        "{web}"
    );

    // Carry-over from 19.7: Refactor API (ana, 3), Fix layout (ben, 2), Unweighted chore
    // (ana), Pair task (cai + ben, 4), Orphan (unassigned, 1): 5 issues, weight 10.
    assert!(
        web.contains(
            "## Carry-over from 19.7\n\n5 open issues, weight 10 (1 unweighted), will slip into 19.8"
        ),
        "{web}"
    );
    assert!(!web.contains("**Emma Manager**"), "em carries nothing");
    assert!(
        web.contains("**Ana \"Zoë\" Łukasz: 李 \\#1**: 2 open, weight 3"),
        "{web}"
    );
    assert!(web.contains("**Ben Front**: 2 open, weight 6"), "{web}");
    assert!(web.contains("**Cai Full**: 1 open, weight 4"), "{web}");
    assert!(web.contains("**Unassigned**: 1 open, weight 1"), "{web}");
    assert!(web.contains("| Refactor API | 3 | in dev |"), "{web}");
    assert!(web.contains("| Fix layout | 2 | in review |"), "{web}");
    assert!(web.contains("| Unweighted chore | - | - |"), "{web}");
    assert!(
        !web.contains("Done already") && !web.contains("Other team"),
        "{web}"
    );
    // The live list of 19.7's open issues (escaped as every value; CommonMark unescapes
    // punctuation in a link's destination).
    assert!(
        web.contains(
            "[Live list](http://127.0.0.1:"
        ) && web.contains(
            "/acme/web/-/issues?state=opened\\&milestone_title=19.7\\&label_name\\%5B\\%5D=group\\%3A\\%3Aweb)"
        ),
        "{web}"
    );

    // Slipped deliverables of 19.6 (ended 2026-11-13): Ship search closed late on 11-16,
    // Export CSV still open; On time closed on the last day is not slipped.
    let slipped = block(&web, "## Slipped deliverables of 19.6");
    assert!(
        web.contains(
            "2 ~\"Deliverable\" issues were not closed by 2026-11-13 (1 still open, weight 8)."
        ),
        "{web}"
    );
    let slipped_items: Vec<&str> = web
        .lines()
        .skip_while(|l| !l.starts_with("## Slipped deliverables"))
        .filter(|l| l.starts_with("- ["))
        .take(2)
        .collect();
    assert_eq!(slipped_items.len(), 2, "{slipped:?}");
    assert!(
        slipped_items[0].starts_with("- [Ship search]("),
        "{slipped_items:?}"
    );
    assert!(slipped_items[0].ends_with("): closed 2026-11-16, weight 3, Ben Front"));
    assert!(slipped_items[1].starts_with("- [Export CSV]("));
    assert!(slipped_items[1].ends_with("): open, weight 5, Dev Away"));
    assert!(!web.contains("[On time]"), "{web}");

    // Refinement of 19.8: seven unweighted issues; refiners ana, ben, cai (dev is away for
    // the whole window, em gets the planning issue), two each, own assignee first.
    assert!(
        web.contains(
            "7 issues already in 19.8 have no weight. Suggested refiners, to be done between \
             2026-11-23 and 2026-12-04 (not Dev Away: away for most of it):"
        ),
        "{web}"
    );
    let refinement: Vec<&str> = web.lines().filter(|l| l.starts_with("- [ ] [")).collect();
    let expected = [
        ("Design settings", "@ana"),
        ("Spike caching", "@cai"),
        ("Audit logs", "@ben"),
        ("More", "@ana"),
        ("Even more", "@ben"),
        ("Too many", "@cai"),
        ("Last one", "nobody free"),
    ];
    assert_eq!(refinement.len(), expected.len(), "{refinement:#?}");
    for (line, (title, who)) in refinement.iter().zip(expected) {
        assert!(line.starts_with(&format!("- [ ] [{title}](")), "{line}");
        assert!(line.ends_with(&format!("): {who}")), "{line}");
    }
    assert!(!web.contains("[Weighted one]"), "{web}");
}

#[test]
fn the_capacity_counts_ramp_up_splits_by_discipline_and_names_what_it_carries() {
    let (web, _) = planned();
    // 19.8 has 25 working days (2026-12-14 to 2027-01-15, no holidays). Velocity: 16 + 24 +
    // 25 = 65 weight over 5 people x (25 + 20 + 20) = 325 days: 0.20 a day. Nia starts on
    // 12-14: her first milestone counts 50% of 25 = 12.5, rounded to 13 days.
    assert_eq!(
        row(&web, "Emma Manager"),
        "| Emma Manager | engineering-manager | 2026-12-14 | 2027-01-15 | 25 | 0 | 25 | 5 | - | 0 |  |"
    );
    assert!(
        row(&web, "Ana").ends_with(
            "| 25 | 4 | 21 | 4 | Time off 2026-12-21 to 2026-12-24 (4 working days) | 3 |  |"
        ),
        "{}",
        row(&web, "Ana")
    );
    assert_eq!(
        row(&web, "Ben Front"),
        "| Ben Front | frontend-engineer | 2026-12-14 | 2027-01-15 | 25 | 0 | 25 | 5 | - | 6 |  |"
    );
    assert_eq!(
        row(&web, "Cai Full"),
        "| Cai Full | fullstack-engineer | 2026-12-14 | 2027-01-15 | 25 | 0 | 25 | 5 | - | 4 |  |"
    );
    assert_eq!(
        row(&web, "Nia New (new hire)"),
        "| Nia New (new hire) | frontend-engineer | 2026-12-14 | 2027-01-15 | 25 | 0 | 25 | 3 (first milestone: 50\\% of 25 days) | - | 0 |  |"
    );
    // Available 25 x 4 + 21 + 25 = 146; counted 146 - 25 + 13 = 134; budget 0.2 x 134 = 26.8.
    assert!(
        web.contains(
            "**Team total:** 146 available of 150 working days (4 days of time off). The weight \
             budget is computed from 134 counted days: the available days of 6 people (146), new \
             hires' first milestone at 50\\% (Nia New 13 of 25); velocity 0.20 weight per \
             available day over 19.6, 19.5, 19.4."
        ),
        "{web}"
    );
    assert!(web.contains("**Suggested weight budget:** 27 (0.20 weight per available day over the last 3 milestones, for 134 counted days)."), "{web}");
    // Frontend: Ben 25 + Cai 25 / 2 + Nia 13 = 50.5 days, budget 10.1; carried Fix layout 2
    // + Pair task 4. Backend: Ana 21 + Dev 25 + Cai 12.5 = 58.5, budget 11.7; Refactor API 3.
    assert!(
        web.contains("| frontend | frontend-engineer, fullstack-engineer | 3 | 50.5 | 10 | 6 |"),
        "{web}"
    );
    assert!(
        web.contains("| backend | backend-engineer, fullstack-engineer | 3 | 58.5 | 12 | 3 |"),
        "{web}"
    );
}

#[test]
fn the_chart_shows_the_timeline_and_absences_and_a_large_team_gets_the_table() {
    let (web, big) = planned();
    let chart = block(&web, "```mermaid").join("\n");
    insta::assert_snapshot!("planning_chart", chart);
    // Big turned its lists off: no section, and no snapshot notice with nothing to qualify.
    for heading in [
        "## Carry-over",
        "## Slipped deliverables",
        "## Refinement",
        "**Snapshot:**",
    ] {
        assert!(!big.contains(heading), "{heading} in\n{big}");
    }
    // 16 people are more than the 15 a chart is drawn for.
    assert!(!big.contains("```mermaid"), "{big}");
    assert!(
        big.contains("The team has 16 people, more than the 15 a chart stays readable for: the capacity table above says who is away when."),
        "{big}"
    );
    mermaid_parses(&web);
}

#[test]
fn the_coverage_issue_lists_the_work_left_behind_and_links_both_ways_with_planning() {
    let gitlab = Gitlab::start(&write_world("pto", format!("{WORLD}{WORLD_PTO_EXTRA}")));
    let scratch = Scratch::new("work-coverage", &[("teamcadence.yml", &config_pto())]);
    let config = scratch.path("teamcadence.yml");

    // 2026-12-21: the coverage issue is due (from 19.8's planning lock, 12-07).
    run_on(&gitlab, "pto-coverage", &config, "2026-12-21");
    let coverage = &gitlab.by_key("acme/web")["pto/cai/2027-01-11"][0];
    let iid = coverage["iid"].as_u64().expect("iid");
    assert_eq!(iid, 30, "after the 29 seeded issues");
    let text = coverage["description"].as_str().expect("description");

    // Cai's open issues in 19.8 and 19.9 or due while away, oldest first; Pair task (19.7,
    // no due date), the closed one and Ben's are not hers to hand over.
    assert!(
        text.contains(
            "Open issues in 19.8, 19.9 or due while away: move each to the coverage tasks or \
             the parked tasks below. **2 fall due during the time off.**"
        ),
        "{text}"
    );
    let items: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("## Impact on Cai Full's work"))
        .take_while(|l| !l.starts_with("## Coverage tasks"))
        .filter(|l| l.starts_with("- ["))
        .collect();
    let url = |kind: &str, n: u64| format!("{}/acme/web/-/{kind}/{n}", gitlab.url());
    let expected = [
        format!("- [Spike caching]({}) (19.8)", url("issues", 17)),
        format!(
            "- [Due while away]({}) (19.8), due **2027-01-12, while away**",
            url("issues", 25)
        ),
        format!(
            "- [Due later]({}) (19.9), due 2027-02-01",
            url("issues", 26)
        ),
        format!(
            "- [Unplanned but due]({}), due **2027-01-20, while away**",
            url("issues", 27)
        ),
        format!("- [Add cache layer]({}) by ana", url("merge_requests", 1)),
        format!(
            "- [Draft: docs]({}) by ben (draft)",
            url("merge_requests", 2)
        ),
    ];
    assert_eq!(items, expected, "{text}");

    // The weeks around it: from the Monday a week before to the Sunday a week after.
    let chart = block(text, "```mermaid").join("\n");
    assert_eq!(
        chart,
        "```mermaid\ngantt\n    title Coverage for Cai Full\n    dateFormat YYYY-MM-DD\n    \
         axisFormat %m-%d\n    section Cai Full (away)\n    Time off :crit, 2027-01-11, 12d\n    \
         section Emma Manager\n    section Ana \u{201D}Zoë\u{201D} Łukasz\u{A789} 李 \u{FF03}1\n    \
         section Ben Front\n    section Dev Away\n```"
    );
    mermaid_parses(text);

    // It is linked to 19.8's planning issue (#24), the one that exists.
    let linked = |iid: u64| -> Vec<u64> {
        let mut list: Vec<u64> = gitlab
            .get(&format!("/projects/acme%2Fweb/issues/{iid}/links"))
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["iid"].as_u64().expect("iid"))
            .collect();
        list.sort_unstable();
        list
    };
    assert_eq!(linked(30), [24]);
    assert!(
        text.contains(&format!("Planning: [19.8]({}) (linked", url("issues", 24))),
        "{text}"
    );

    // 2026-12-22: 19.9's planning issue is created; its capacity row names the coverage issue
    // and it links to it, so the coverage issue is linked to both planning issues.
    run_on(&gitlab, "planning-issue", &config, "2026-12-22");
    let planning = &gitlab.by_key("acme/web")["planning/web/19.9"][0];
    assert_eq!(planning["iid"], 31);
    let plan_text = planning["description"].as_str().expect("description");
    let cai_row = row(plan_text, "Cai Full");
    assert!(cai_row.ends_with(" | acme/web\\#30 |"), "{cai_row}");
    assert!(
        plan_text.contains(&format!(
            "Coverage issues (linked): Cai Full [2027-01-11 to 2027-01-22]({})",
            url("issues", 30)
        )),
        "{plan_text}"
    );
    assert_eq!(linked(30), [24, 31]);

    // The fake lists merge requests as GitLab does: the caller's own unless `scope=all`,
    // every state unless asked, newest first.
    assert_eq!(gitlab.get("/merge_requests"), serde_json::json!([]));
    let titles: Vec<String> = gitlab
        .get("/merge_requests?scope=all&reviewer_username=cai")
        .as_array()
        .expect("list")
        .iter()
        .map(|mr| mr["title"].as_str().expect("title").to_owned())
        .collect();
    assert_eq!(titles, ["Merged one", "Draft: docs", "Add cache layer"]);
}

/// Two teams whose coverage issues share one project, `acme/pto`, on the release calendar of
/// [`WORLD`]; nothing else is seeded, so each team's first issue is its #1.
const TWO_TEAMS_WORLD: &str = r#"
users:
  - { username: bot, name: Bot, tokens: [glpat-work-bot-SECRET-18] }
  - { username: ana, name: Ana Web }
  - { username: wes, name: Wes Web }
  - { username: bo, name: Bo App }
  - { username: abe, name: Abe App }
groups:
  - { path: acme, members: { bot: reporter, ana: developer, wes: developer, bo: developer, abe: developer } }
projects:
  - { path: acme/web }
  - { path: acme/app }
  - { path: acme/pto }
milestones:
  - { group: acme, title: "19.6", start_date: 2026-10-10, due_date: 2026-11-13, state: closed }
  - { group: acme, title: "19.7", start_date: 2026-11-14, due_date: 2026-12-11, state: closed }
  - { group: acme, title: "19.8", start_date: 2026-12-12, due_date: 2027-01-15 }
  - { group: acme, title: "19.9", start_date: 2027-01-16, due_date: 2027-02-12 }
"#;

/// Web and App, two backend engineers each, their coverage issues in the shared `acme/pto`,
/// each with one member away across 19.8 and 19.9: Ana (web) 2027-01-11 to 01-22, Bo (app)
/// 2027-01-04 to 01-22.
fn two_teams_config() -> String {
    let team = |id: &str, name: &str, members: [(&str, &str); 2]| {
        let members: String = members
            .iter()
            .map(|(user, name)| {
                format!("      - {{ username: {user}, name: {name}, role: backend-engineer }}\n")
            })
            .collect();
        format!(
            "  - id: {id}\n    name: {name}\n    project: acme/{id}\n    labels: [\"group::{id}\"]\n    \
             pto: {{ project: acme/pto }}\n    members:\n{members}"
        )
    };
    format!(
        "timezone: UTC\nteams:\n{}{}time_off:\n  - {{ person: ana, from: 2027-01-11, until: \
         2027-01-22 }}\n  - {{ person: bo, from: 2027-01-04, until: 2027-01-22 }}\n",
        team("web", "Web", [("ana", "Ana Web"), ("wes", "Wes Web")]),
        team("app", "App", [("bo", "Bo App"), ("abe", "Abe App")]),
    )
}

#[test]
fn each_planning_issue_links_only_its_own_teams_coverage_issues() {
    let gitlab = Gitlab::start(&write_world("two-teams", TWO_TEAMS_WORLD.to_owned()));
    let scratch = Scratch::new(
        "work-two-teams",
        &[("teamcadence.yml", &two_teams_config())],
    );
    let config = scratch.path("teamcadence.yml");
    // 2026-12-21: both coverage issues are due (each first day off is in 19.8, whose
    // planning lock, 12-07, is past); no planning issue exists yet to link them to.
    run_on(&gitlab, "pto-coverage", &config, "2026-12-21");
    let coverage = gitlab.by_key("acme/pto");
    let iid_of = |key: &str| coverage[key][0]["iid"].as_u64().expect("iid");
    let (ana, bo) = (iid_of("pto/ana/2027-01-11"), iid_of("pto/bo/2027-01-04"));
    assert_eq!(coverage.len(), 2, "{coverage:#?}");

    // 2026-12-22: each team's 19.9 planning issue, the first issue of its project.
    run_on(&gitlab, "planning-issue", &config, "2026-12-22");
    let url = |project: &str, n: u64| format!("{}/{project}/-/issues/{n}", gitlab.url());
    let linked = |project: &str, n: u64| -> Vec<String> {
        let mut list: Vec<String> = gitlab
            .get(&format!(
                "/projects/{}/issues/{n}/links",
                project.replace('/', "%2F")
            ))
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["web_url"].as_str().expect("web_url").to_owned())
            .collect();
        list.sort_unstable();
        list
    };
    for (team, project, own, own_iid, own_dates, other, other_iid) in [
        (
            "web",
            "acme/web",
            "Ana Web",
            ana,
            "2027-01-11 to 2027-01-22",
            "Bo App",
            bo,
        ),
        (
            "app",
            "acme/app",
            "Bo App",
            bo,
            "2027-01-04 to 2027-01-22",
            "Ana Web",
            ana,
        ),
    ] {
        let planning = &gitlab.by_key(project)[&format!("planning/{team}/19.9")][0];
        assert_eq!(planning["iid"], 1, "{team}");
        let text = planning["description"].as_str().expect("description");
        // Linked to its own member's coverage issue only, and that one back to it only.
        assert_eq!(linked(project, 1), [url("acme/pto", own_iid)], "{team}");
        assert_eq!(linked("acme/pto", own_iid), [url(project, 1)], "{team}");
        // Its capacity row and the coverage line name that issue, and nothing of the other's.
        assert!(
            row(text, own).ends_with(&format!(" | acme/pto\\#{own_iid} |")),
            "{}",
            row(text, own)
        );
        assert!(
            text.contains(&format!(
                "Coverage issues (linked): {own} [{own_dates}]({})",
                url("acme/pto", own_iid)
            )),
            "{text}"
        );
        assert!(!text.contains(other), "{other} in {team}'s:\n{text}");
        assert!(
            !text.contains(&format!("acme/pto\\#{other_iid}")),
            "{team}:\n{text}"
        );
        assert!(
            !text.contains(&url("acme/pto", other_iid)),
            "{team}:\n{text}"
        );
    }
}

/// What the check-in test adds to [`WORLD`]: 19.7's planning issue, its deliverables and a
/// merge request that closes one. Issues #1-#23 are [`WORLD`]'s; these are #24-#29.
const WORLD_CHECK_IN_EXTRA: &str = r#"
  - project: acme/web
    title: "Web 19.7 Planning : November"
    labels: ["Planning Issue", "teamcadence::planning"]
    description: "Planning of 19.7\n\n<!-- teamcadence:key=planning/web/19.7 -->\n"
    milestone: "19.7"
  - { project: acme/web, title: "Deliver A", labels: ["group::web", "Deliverable"], assignees: [ana], milestone: "19.7", state: closed, weight: 5 }
  - { project: acme/web, title: "Deliver B", labels: ["group::web", "Deliverable"], assignees: [dev], milestone: "19.7", weight: 3 }
  - { project: acme/web, title: "Deliver C", labels: ["group::web", "Deliverable"], assignees: [ben], milestone: "19.7", weight: 2 }
  - { project: acme/web, title: "Deliver D", labels: ["group::web", "Deliverable"], milestone: "19.7" }
  - { project: acme/web, title: "Deliver E", labels: ["group::web", "Deliverable"], assignees: [dev], milestone: "19.7" }
merge_requests:
  - { project: acme/web, title: "Deliver B, almost", author: dev, closes_issues: [26] }
"#;

#[test]
fn the_mid_milestone_check_in_is_posted_once_on_its_day() {
    let gitlab = Gitlab::start(&write_world(
        "check-in",
        format!("{WORLD}{WORLD_CHECK_IN_EXTRA}"),
    ));
    let scratch = Scratch::new("work-check-in", &[("teamcadence.yml", CONFIG)]);
    let config = scratch.path("teamcadence.yml");
    let check_ins = || -> Vec<String> {
        gitlab
            .comments("acme/web", &serde_json::json!(24))
            .into_iter()
            .filter(|c| c.contains("Mid-milestone check-in"))
            .collect()
    };
    // 19.7 runs 2026-11-14 to 12-11: its middle is 11-14 + 27 / 2 = 13 days, 11-27.
    for (today, expected) in [("2026-11-26", 0), ("2026-11-27", 1), ("2026-11-28", 1)] {
        run_on(&gitlab, "planning-issue", &config, today);
        assert_eq!(check_ins().len(), expected, "on {today}");
    }
    // Deliverables A #25 (closed), B #26 (Dev, away 11-27 and 11-30 to 12-04, but a merge
    // request closes it: work under way), C #27 (Ben, not away), D #28 (nobody, no merge
    // request), E #29 (Dev, no merge request): 1 of 5 closed, D and E at risk. Dev's days
    // away from 11-27 to 12-11: Fri 11-27 and Mon 11-30 to Fri 12-04, 6 working days.
    // Burned: Done already 7 + Deliver A 5. Budget: 0.2 a day x (4 x 20 + Dev's 10) = 18.
    let url = |n: u64| format!("{}/acme/web/-/issues/{n}", gitlab.url());
    let note = &check_ins()[0];
    let expected = format!(
        "**Mid-milestone check-in of 19.7, 2026-11-27.** Deliverables: 1 of 5 closed (20%). \
         Weight burned: 12 of a budget of 18.\n\nAt risk (2): open, no merge request that \
         closes it, and unassigned or with the assignee away for part of the rest of the \
         milestone.\n\n- [Deliver D]({}): unassigned; no merge request\n- [Deliver E]({}): \
         Dev Away away 6 working days from 2026-11-27; no merge request\n\n_Read from \
         GitLab at ",
        url(28),
        url(29)
    );
    assert!(note.starts_with(&expected), "{note}\n---\n{expected}");
    assert!(note.contains("; posted once per milestone._"), "{note}");
}

#[test]
fn mermaid_labels_with_quotes_colons_hashes_and_non_latin_letters_parse() {
    use teamcadence_core::mermaid::{Bar, BarKind, Gantt, Section};
    let day = |text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
    let hostile = [
        "Ana \"Zoë\" O'Brien: 李雷 #1",
        "x ; section y",
        "%%{init: {'theme':'dark'}}%%",
        "```\n/close @all",
        "title: click call alert(1)",
        "Ωμέγα <b>bold</b> & ünïcödé",
    ];
    let chart = Gantt {
        title: "Coverage: \"19.8\" #7 %% x".to_owned(),
        sections: hostile
            .iter()
            .map(|name| Section {
                name: (*name).to_owned(),
                bars: vec![Bar {
                    kind: BarKind::TimeOff,
                    start: day("2026-12-21"),
                    days: 4,
                }],
            })
            .collect(),
    };
    let rendered = chart.render();
    assert_eq!(rendered.matches("```").count(), 2, "{rendered}");
    assert_eq!(
        rendered.lines().count(),
        5 + 2 * hostile.len() + 1,
        "{rendered}"
    );
    mermaid_parses(&rendered);
}

/// Parses every Mermaid block of `markdown` with Mermaid's own parser (tools/mermaid-check).
/// Without Node on the machine the check is skipped, loudly; the npm packages are installed
/// on first use (`.ci/run` installs them beforehand).
fn mermaid_parses(markdown: &str) {
    static INSTALL: Mutex<()> = Mutex::new(());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/mermaid-check");
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!(
            "\n!!!!!!!! SKIPPED: the Mermaid parse check needs Node.js (`node` is not on PATH); \
             install nodejs and npm to run it !!!!!!!!\n"
        );
        return;
    }
    {
        let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        if !dir.join("node_modules/mermaid").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("npm runs");
            assert!(status.success(), "npm ci in {} failed", dir.display());
        }
    }
    let mut child = Command::new("node")
        .arg("check.mjs")
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(markdown.as_bytes()).expect("write");
    }
    let output = child.wait_with_output().expect("node ends");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Mermaid does not parse:\n{said}\n{markdown}"
    );
}
