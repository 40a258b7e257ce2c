//! A coverage issue's impact in bulk through GitLab's GraphQL API, against the fake: the
//! open issues of projects and groups assigned to 150 people in one query per three places
//! of up to 100 people and page, the merge requests awaiting their reviews in one query per
//! 100 people, REST
//! only for someone with more than a page of review requests or without an account, and
//! the same answers through REST where GraphQL is off.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use gitlab_fake::{Conditions, FakeGitlab, Options, Seed};
use secrecy::SecretString;
use teamcadence_core::tracker::{
    IssuePlace, IssueState, IssueTracker, ReviewRequest, TrackedIssue, TrackerError,
};
use teamcadence_gitlab::{ConnectOptions, GitLab, Token};

const BOT_TOKEN: &str = "glpat-impact-bot";
const GRAPHQL: &str = "POST /api/graphql";
const PROJECT_ISSUES: &str = "GET /api/v4/projects/:id/issues";
const GROUP_ISSUES: &str = "GET /api/v4/groups/:id/issues";
const MERGE_REQUESTS: &str = "GET /api/v4/merge_requests";

/// 150 people p001..p150 in the group `team` (the bot reports there), which holds team/web
/// and the subgroup's team/sub/api; `secret/vault` the bot cannot read.
///
/// Issues: each person whose number is not a multiple of 3 has two open issues in team/web,
/// `web N a` and `web N b` (p001's `web 1 a` in milestone 19.8, due 2026-12-01, weight 3,
/// label backend); `pair` is p001's and p002's; p004 has a closed `old 4`; each person whose
/// number is a multiple of 5 has `api N` in team/sub/api; p001 has `secret` in secret/vault.
///
/// Merge requests in team/web: each person whose number is a multiple of 4 is asked to
/// review `review N` (by p001); `pair review` (a draft by p003) asks p002 and p004; the
/// merged `merged 8` asks p008; p149 is asked for 101 reviews, `bulk 1`..`bulk 101`.
fn world() -> String {
    let mut text = String::from(
        "now: 2026-11-20T10:00:00Z\nusers:\n  - { username: bot, tokens: [glpat-impact-bot] }\n",
    );
    for n in 1..=150 {
        text.push_str(&format!("  - {{ username: p{n:03} }}\n"));
    }
    text.push_str(
        "groups:
  - { path: team, members: { bot: reporter } }
  - { path: team/sub }
  - { path: secret }
projects:
  - { path: team/web }
  - { path: team/sub/api }
  - { path: secret/vault }
milestones:
  - { group: team, title: \"19.8\" }
issues:
  - { project: team/web, title: web 1 a, assignees: [p001], milestone: \"19.8\", due_date: 2026-12-01, weight: 3, labels: [backend], created_at: \"2026-11-01T09:00:00Z\" }
  - { project: team/web, title: pair, assignees: [p001, p002] }
  - { project: team/web, title: old 4, assignees: [p004], state: closed }
  - { project: secret/vault, title: secret, assignees: [p001] }
",
    );
    for n in 1..=150 {
        if n % 3 != 0 {
            if n != 1 {
                text.push_str(&format!(
                    "  - {{ project: team/web, title: web {n} a, assignees: [p{n:03}] }}\n"
                ));
            }
            text.push_str(&format!(
                "  - {{ project: team/web, title: web {n} b, assignees: [p{n:03}] }}\n"
            ));
        }
        if n % 5 == 0 {
            text.push_str(&format!(
                "  - {{ project: team/sub/api, title: api {n}, assignees: [p{n:03}] }}\n"
            ));
        }
    }
    text.push_str(
        "merge_requests:
  - { project: team/web, title: pair review, author: p003, reviewers: [p002, p004], draft: true }
  - { project: team/web, title: merged 8, author: p001, reviewers: [p008], state: merged }
",
    );
    for n in (4..=150).step_by(4) {
        text.push_str(&format!(
            "  - {{ project: team/web, title: review {n}, author: p001, reviewers: [p{n:03}] }}\n"
        ));
    }
    for k in 1..=101 {
        text.push_str(&format!(
            "  - {{ project: team/web, title: bulk {k}, author: p001, reviewers: [p149] }}\n"
        ));
    }
    text
}

async fn start(conditions: Conditions) -> FakeGitlab {
    let mut options = Options::new("admin-token");
    options.seed = Some(Seed::from_yaml_str(&world()).expect("the world parses"));
    options.conditions = conditions;
    FakeGitlab::start(options).await.expect("the fake starts")
}

async fn connect(fake: &FakeGitlab) -> GitLab {
    let token = Token::access(SecretString::from(BOT_TOKEN)).expect("a valid token");
    GitLab::connect(&fake.base_url(), token, ConnectOptions::for_tests())
        .await
        .expect("connects")
}

fn counts(fake: &FakeGitlab) -> BTreeMap<String, u64> {
    fake.state().request_counts()
}

fn count(fake: &FakeGitlab, route: &str) -> u64 {
    counts(fake).get(route).copied().unwrap_or(0)
}

fn people() -> Vec<String> {
    (1..=150).map(|n| format!("p{n:03}")).collect()
}

/// The titles of the issues assigned to `who`, sorted.
fn titles_of(issues: &[TrackedIssue], who: &str) -> Vec<String> {
    let mut titles: Vec<String> = issues
        .iter()
        .filter(|issue| issue.assignees.iter().any(|a| a == who))
        .map(|issue| issue.title.clone())
        .collect();
    titles.sort();
    titles
}

fn review_titles(reviews: &Result<Vec<ReviewRequest>, TrackerError>) -> Vec<String> {
    let mut titles: Vec<String> = reviews
        .as_ref()
        .expect("read")
        .iter()
        .map(|review| review.title.clone())
        .collect();
    titles.sort();
    titles
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// What the world says of team/web's issues, worked out from it by hand.
fn check_web_issues(issues: &[TrackedIssue], base: &str) {
    check_web_titles(issues);
    check_first_web_issue(issues, base);
}

/// Whose team/web's issues are: 100 people with two each, and `pair`.
fn check_web_titles(issues: &[TrackedIssue]) {
    assert_eq!(issues.len(), 201);
    assert_eq!(
        titles_of(issues, "p001"),
        strings(&["pair", "web 1 a", "web 1 b"])
    );
    assert_eq!(
        titles_of(issues, "p002"),
        strings(&["pair", "web 2 a", "web 2 b"])
    );
    assert!(titles_of(issues, "p003").is_empty());
    // `old 4` is closed.
    assert_eq!(titles_of(issues, "p004"), strings(&["web 4 a", "web 4 b"]));
    assert_eq!(titles_of(issues, "p150"), Vec::<String>::new());
    assert_eq!(
        titles_of(issues, "p149"),
        strings(&["web 149 a", "web 149 b"])
    );
}

/// `web 1 a`, all of its fields.
fn check_first_web_issue(issues: &[TrackedIssue], base: &str) {
    let first = issues
        .iter()
        .find(|issue| issue.title == "web 1 a")
        .expect("web 1 a");
    // The seed's first issue: iid 1 of team/web.
    let expected = TrackedIssue {
        project: "team/web".into(),
        iid: 1,
        title: "web 1 a".into(),
        description: first.description.clone(),
        state: IssueState::Opened,
        labels: strings(&["backend"]),
        assignees: strings(&["p001"]),
        milestone: Some("19.8".into()),
        due_date: NaiveDate::from_ymd_opt(2026, 12, 1),
        confidential: false,
        web_url: format!("{base}/team/web/-/issues/1"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        closed_at: None,
        weight: Some(3),
        user_notes_count: first.user_notes_count,
        merge_requests_count: first.merge_requests_count,
    };
    assert_eq!(first, &expected);
}

/// What the world says of the group's issues: team/web's and team/sub/api's.
fn check_group_issues(issues: &[TrackedIssue]) {
    // 201 in team/web, 30 in team/sub/api.
    assert_eq!(issues.len(), 231);
    assert_eq!(
        titles_of(issues, "p005"),
        strings(&["api 5", "web 5 a", "web 5 b"])
    );
    assert_eq!(titles_of(issues, "p015"), strings(&["api 15"]));
    assert!(issues.iter().all(|issue| issue.title != "secret"));
    let api = issues
        .iter()
        .find(|issue| issue.title == "api 5")
        .expect("api 5");
    // The first issue seeded in team/sub/api.
    assert_eq!((api.project.as_str(), api.iid), ("team/sub/api", 1));
}

/// What the world says of the review requests of `asked` (people(), then `nobody`).
fn check_reviews(reviews: &[Result<Vec<ReviewRequest>, TrackerError>], base: &str) {
    assert_eq!(reviews.len(), 151);
    assert!(review_titles(&reviews[0]).is_empty());
    let p002 = reviews[1].as_ref().expect("p002");
    assert_eq!(
        p002,
        &[ReviewRequest {
            project: "team/web".into(),
            // The seed's first merge request.
            iid: 1,
            title: "pair review".into(),
            web_url: format!("{base}/team/web/-/merge_requests/1"),
            author: "p003".into(),
            draft: true,
        }]
    );
    assert_eq!(
        review_titles(&reviews[3]),
        strings(&["pair review", "review 4"])
    );
    // `merged 8` is merged.
    assert_eq!(review_titles(&reviews[7]), strings(&["review 8"]));
    assert_eq!(review_titles(&reviews[147]), strings(&["review 148"]));
    let p149 = review_titles(&reviews[148]);
    assert_eq!(p149.len(), 101);
    assert!(p149.iter().all(|title| title.starts_with("bulk ")));
    assert!(review_titles(&reviews[149]).is_empty());
    assert!(review_titles(&reviews[150]).is_empty());
}

fn asked() -> Vec<String> {
    let mut asked = people();
    asked.push("nobody".into());
    asked
}

/// The issues of each of `places` assigned to the 150 people.
async fn issues_in(
    gitlab: &GitLab,
    places: &[IssuePlace],
) -> Vec<Result<Vec<TrackedIssue>, TrackerError>> {
    let wanted: Vec<(IssuePlace, Vec<String>)> = places
        .iter()
        .map(|place| (place.clone(), people()))
        .collect();
    gitlab.list_assigned_issues_in(&wanted).await
}

fn web() -> IssuePlace {
    IssuePlace::Project("team/web".into())
}

fn group() -> IssuePlace {
    IssuePlace::Group("team".into())
}

fn secret() -> IssuePlace {
    IssuePlace::Project("secret/vault".into())
}

/// The message for secret/vault, which the bot cannot read.
fn check_secret(read: &Result<Vec<TrackedIssue>, TrackerError>) {
    match read {
        Err(TrackerError::NotFound(message)) => assert_eq!(
            message,
            "listing the open issues of secret/vault assigned to 100 people: project \
             secret/vault not found, or not visible to this token (404)"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_impact_of_150_people_takes_a_query_per_three_places_of_100_people_and_page() {
    let fake = start(Conditions::default()).await;
    let gitlab = connect(&fake).await;
    let base = fake.base_url();

    let read = issues_in(&gitlab, &[web()]).await;
    check_web_issues(read[0].as_ref().expect("listed"), &base);
    // p001..p100 and p101..p150 in one query; p001..p100 have 135 issues, so a second page.
    assert_eq!(count(&fake, GRAPHQL), 2, "{:?}", counts(&fake));

    let read = issues_in(&gitlab, &[web(), group(), secret()]).await;
    check_web_issues(read[0].as_ref().expect("listed"), &base);
    check_group_issues(read[1].as_ref().expect("listed"));
    check_secret(&read[2]);
    // Six parts of up to 100 people, three a query; then the second pages of team/web's and
    // the group's first 100 (135 and 155 issues).
    assert_eq!(count(&fake, GRAPHQL), 5);

    let reviews = gitlab.list_review_requests_of(&asked()).await;
    check_reviews(&reviews, &base);
    // 151 usernames: two queries. REST only for p149 (two pages of 100) and `nobody`,
    // whom GraphQL does not know.
    assert_eq!(count(&fake, GRAPHQL), 7);
    assert_eq!(count(&fake, MERGE_REQUESTS), 3);
    assert_eq!(count(&fake, PROJECT_ISSUES), 0);
    assert_eq!(count(&fake, GROUP_ISSUES), 0);
    // Nobody asked, nothing asked.
    assert!(gitlab.list_assigned_issues_in(&[]).await.is_empty());
    assert!(gitlab.list_review_requests_of(&[]).await.is_empty());
    assert_eq!(count(&fake, GRAPHQL), 7);
    fake.shutdown().await;
}

#[tokio::test]
async fn on_gitlabs_free_edition_the_issues_are_asked_again_without_their_weight() {
    let fake = start(Conditions {
        graphql_free_edition: true,
        ..Conditions::default()
    })
    .await;
    let gitlab = connect(&fake).await;
    let read = issues_in(&gitlab, &[web()]).await;
    let issues = read[0].as_ref().expect("listed");
    check_web_titles(issues);
    // The Free edition knows no weight: none is read, not even `web 1 a`'s 3.
    assert!(issues.iter().all(|issue| issue.weight.is_none()));
    // The refused query, then it again without the weight and the second page of p001..p100;
    // no REST list per person.
    assert_eq!(count(&fake, GRAPHQL), 3, "{:?}", counts(&fake));
    assert_eq!(count(&fake, PROJECT_ISSUES), 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn without_graphql_rest_answers_the_same() {
    let fake = start(Conditions {
        graphql_disabled: true,
        ..Conditions::default()
    })
    .await;
    let gitlab = connect(&fake).await;
    let base = fake.base_url();
    let read = issues_in(&gitlab, &[web(), group()]).await;
    check_web_issues(read[0].as_ref().expect("listed"), &base);
    check_group_issues(read[1].as_ref().expect("listed"));
    assert_eq!(count(&fake, PROJECT_ISSUES), 150);
    assert_eq!(count(&fake, GROUP_ISSUES), 150);
    let reviews = gitlab.list_review_requests_of(&asked()).await;
    check_reviews(&reviews, &base);
    // One list each, p149's in two pages.
    assert_eq!(count(&fake, MERGE_REQUESTS), 152);
    fake.shutdown().await;
}
