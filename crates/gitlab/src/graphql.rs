//! Reads in bulk through GitLab's GraphQL API, where the REST API needs a request per
//! person: users with their statuses (one `users(usernames:)` query resolves 100 usernames,
//! where REST needs a request per user and another per status), the open issues of a project
//! or group assigned to any of 100 people (`issues(or: { assigneeUsernames: })`), and the
//! merge requests awaiting the review of each of 100 people
//! (`users { reviewRequestedMergeRequests }`).
//!
//! Only the queries and their answers here; what to do with them (caching, falling back to
//! REST) is the adapter's ([`crate::tracker`]). A query changes nothing, so the request layer
//! retries it as a read.
//! <https://docs.gitlab.com/api/graphql/reference/#queryusers>
//! <https://docs.gitlab.com/api/graphql/reference/#projectissues>
//! <https://docs.gitlab.com/api/graphql/reference/#groupissues>
//! <https://docs.gitlab.com/api/graphql/reference/#usercorereviewrequestedmergerequests>

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::join_all;
use gitlab::api::ApiError;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use teamcadence_core::tracker::{
    IssuePlace, IssueState, ReviewRequest, TrackedIssue, TrackedUser, TrackerError,
};

use crate::errors::{Doing, Place, gitlab_message};
use crate::transport::{Transport, TransportError};

/// Usernames asked per query: GitLab's largest GraphQL page, so one batch is one page.
pub(crate) const BATCH: usize = 100;

/// Pages one batch may read: 100 usernames fit one page of 100, so a GitLab announcing
/// more pages than this misbehaves.
const MAX_PAGES_PER_BATCH: usize = 3;

/// The query: users by username, with what the port needs of each.
const USERS_QUERY: &str = "query($usernames: [String!], $after: String) { users(usernames: \
    $usernames, first: 100, after: $after) { nodes { id username name status { availability \
    message emoji } } pageInfo { hasNextPage endCursor } } }";

/// Rounds of pages the issues of a place may take: 100 pages of 100 issues for 100 people.
/// Past it, the per-person REST lists (each with its own bound) answer instead.
const MAX_ISSUE_PAGES: usize = 100;

/// Places (of up to [`BATCH`] people each) asked in one query. GitLab limits a query's
/// complexity to 250 for a signed-in user; one place's page of 100 issues with the fields
/// below counts about 60, so three leave a margin.
/// <https://docs.gitlab.com/api/graphql/#maximum-query-complexity>
const PLACES_PER_QUERY: usize = 3;

/// What the port needs of an issue in an impact list: one page of a place's issues, which
/// each place of a query spreads into its `issues` connection.
const ISSUE_PAGE: &str = "fragment page on IssueConnection { nodes { iid title webUrl state \
    dueDate weight confidential createdAt closedAt reference(full: true) milestone { title } \
    assignees { nodes { username } } labels { nodes { title } } } \
    pageInfo { hasNextPage endCursor } }";

/// [`ISSUE_PAGE`], without the issue weight when `weight` is false.
fn issue_page(weight: bool) -> std::borrow::Cow<'static, str> {
    if weight {
        ISSUE_PAGE.into()
    } else {
        ISSUE_PAGE.replacen(" weight", "", 1).into()
    }
}

/// Whether a refused query's `why` says the instance's `Issue` has no `weight`, as
/// graphql-ruby words it on GitLab's Free edition.
fn lacks_weight(why: &str) -> bool {
    why.contains("Field 'weight' doesn't exist")
}

/// The open merge requests asking each user for a review: one page of 100 each; a user with
/// more is read through REST.
const REVIEWS_QUERY: &str = "query($usernames: [String!], $after: String) { users(usernames: \
    $usernames, first: 100, after: $after) { nodes { username \
    reviewRequestedMergeRequests(state: opened, first: 100) { nodes { iid title webUrl draft \
    author { username } project { fullPath } } pageInfo { hasNextPage } } } \
    pageInfo { hasNextPage endCursor } } }";

/// The prefix of a user's global id.
const USER_GID: &str = "gid://gitlab/User/";

/// A user as the `users` query answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BulkUser {
    /// The user.
    pub(crate) user: TrackedUser,
    /// Their status, `None` when they have none.
    pub(crate) status: Option<BulkStatus>,
}

/// A status as GraphQL gives it: without the date it clears (the type has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BulkStatus {
    /// Availability `BUSY`.
    pub(crate) busy: bool,
    /// The message, when one is set.
    pub(crate) message: Option<String>,
}

impl BulkStatus {
    /// Whether the status says something the domain may act on (busy, or a message), so
    /// that its clear date must be read through REST.
    pub(crate) fn needs_clear_date(&self) -> bool {
        self.busy || self.message.is_some()
    }
}

/// The merge requests awaiting one user's review, as the `users` query answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BulkReviews {
    /// The user, as GitLab spells the username.
    pub(crate) username: String,
    /// Their review requests; `None` when they have more than one page of them, so that the
    /// REST list must answer for them.
    pub(crate) reviews: Option<Vec<ReviewRequest>>,
}

/// Why the bulk lookup did not give users.
#[derive(Debug)]
pub(crate) enum BulkFailure {
    /// The GraphQL endpoint cannot be used here (missing, refused, an answer not as
    /// documented): the per-user REST lookups answer instead.
    Unusable(String),
    /// GitLab is unavailable, or its answer was lost: REST would fail alike.
    Failed(TrackerError),
}

/// The query's body.
#[derive(Serialize)]
struct Document {
    query: String,
    variables: Value,
}

/// The answer: `data`, and `errors` when the query could not run (with status 200).
#[derive(Deserialize)]
struct Answer<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<QueryError>,
}

#[derive(Deserialize)]
struct QueryError {
    message: String,
}

#[derive(Deserialize)]
struct Data {
    users: Option<Connection<Node>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<N> {
    nodes: Vec<Option<N>>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

impl PageInfo {
    /// The cursor of the next page, if there is one.
    fn next(self) -> Option<String> {
        match self {
            PageInfo {
                has_next_page: true,
                end_cursor: Some(cursor),
            } => Some(cursor),
            _ => None,
        }
    }
}

/// A project's or group's issues, under its alias in the `data` of an issues query
/// (`null` when there is none the token can read).
#[derive(Deserialize)]
struct PlaceIssues {
    issues: Connection<IssueNode>,
}

/// An `Issue` node.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueNode {
    iid: String,
    title: String,
    web_url: String,
    state: String,
    due_date: Option<String>,
    weight: Option<u32>,
    confidential: bool,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    /// `group/project#12`.
    reference: String,
    milestone: Option<Titled>,
    assignees: Option<Nodes<Username>>,
    labels: Option<Nodes<Titled>>,
}

/// A connection read for its first page of nodes only.
#[derive(Deserialize)]
struct Nodes<N> {
    nodes: Vec<Option<N>>,
}

#[derive(Deserialize)]
struct Titled {
    title: String,
}

#[derive(Deserialize)]
struct Username {
    username: String,
}

/// The `data` of the reviews query.
#[derive(Deserialize)]
struct ReviewsData {
    users: Option<Connection<Reviewer>>,
}

/// A `UserCore` node with the merge requests awaiting their review.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reviewer {
    username: String,
    review_requested_merge_requests: Option<Connection<MergeRequestNode>>,
}

/// A `MergeRequest` node.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MergeRequestNode {
    iid: String,
    title: String,
    web_url: String,
    draft: bool,
    author: Option<Username>,
    project: ProjectPath,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectPath {
    full_path: String,
}

/// A `UserCore` node.
#[derive(Deserialize)]
struct Node {
    id: String,
    username: String,
    name: String,
    #[serde(default)]
    status: Option<Status>,
}

/// A `UserStatus`.
#[derive(Deserialize)]
struct Status {
    availability: String,
    #[serde(default)]
    message: Option<String>,
}

impl TryFrom<Node> for BulkUser {
    type Error = String;

    fn try_from(node: Node) -> Result<Self, String> {
        let id = node
            .id
            .strip_prefix(USER_GID)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("a user id `{}` that is not a user's global id", node.id))?;
        Ok(Self {
            user: TrackedUser {
                id,
                username: node.username,
                name: node.name,
            },
            status: node.status.map(|status| BulkStatus {
                busy: status.availability == "BUSY",
                message: status.message.filter(|m| !m.trim().is_empty()),
            }),
        })
    }
}

impl TryFrom<IssueNode> for TrackedIssue {
    type Error = String;

    fn try_from(node: IssueNode) -> Result<Self, String> {
        let project = node
            .reference
            .rsplit_once('#')
            .map(|(project, _)| project)
            .filter(|project| !project.is_empty())
            .ok_or_else(|| format!("an issue reference `{}` without a project", node.reference))?
            .to_owned();
        let iid = node
            .iid
            .parse()
            .map_err(|_| format!("an issue iid `{}` that is not a number", node.iid))?;
        let state = match node.state.as_str() {
            "opened" => IssueState::Opened,
            "closed" => IssueState::Closed,
            other => return Err(format!("an issue state `{other}`")),
        };
        let due_date = node.due_date.as_deref().map(due_date).transpose()?;
        Ok(Self {
            project,
            iid,
            title: node.title,
            // Not asked for: an impact list shows none.
            description: String::new(),
            state,
            labels: titles(node.labels),
            assignees: node
                .assignees
                .map(|a| a.nodes.into_iter().flatten().map(|u| u.username).collect())
                .unwrap_or_default(),
            milestone: node.milestone.map(|m| m.title),
            due_date,
            confidential: node.confidential,
            web_url: node.web_url,
            created_at: node.created_at,
            closed_at: node.closed_at,
            weight: node.weight,
            user_notes_count: None,
            // Not asked for: the check-in reads it from the REST listing.
            merge_requests_count: None,
        })
    }
}

/// A due date as `Issue.dueDate` gives it: a `Time` that holds a date (`2026-11-25`), or a
/// full timestamp, whose own date counts.
fn due_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|at| at.date_naive())
        })
        .ok_or_else(|| format!("a due date `{text}` that is not a date"))
}

/// The titles of a label connection's nodes.
fn titles(labels: Option<Nodes<Titled>>) -> Vec<String> {
    labels
        .map(|l| l.nodes.into_iter().flatten().map(|l| l.title).collect())
        .unwrap_or_default()
}

impl TryFrom<MergeRequestNode> for ReviewRequest {
    type Error = String;

    fn try_from(node: MergeRequestNode) -> Result<Self, String> {
        let iid = node
            .iid
            .parse()
            .map_err(|_| format!("a merge request iid `{}` that is not a number", node.iid))?;
        let author = node
            .author
            .ok_or_else(|| format!("a merge request without an author ({})", node.web_url))?;
        Ok(Self {
            project: node.project.full_path,
            iid,
            title: node.title,
            web_url: node.web_url,
            author: author.username,
            draft: node.draft,
        })
    }
}

/// The users of `usernames` GitLab knows, in batches of [`BATCH`] sent together; usernames
/// without an account are not in the answer.
pub(crate) async fn users(
    transport: &Transport,
    usernames: &[String],
) -> Result<Vec<BulkUser>, BulkFailure> {
    let batches = join_all(
        usernames
            .chunks(BATCH)
            .map(|batch| batch_users(transport, batch)),
    )
    .await;
    let mut found = Vec::with_capacity(usernames.len());
    for batch in batches {
        found.extend(batch?);
    }
    Ok(found)
}

/// The users of one batch, across its pages.
async fn batch_users(
    transport: &Transport,
    usernames: &[String],
) -> Result<Vec<BulkUser>, BulkFailure> {
    let doing = Doing::read(
        format!("looking up {} GitLab users", usernames.len()),
        Place::Instance,
    );
    let pages = Pages {
        transport,
        doing: &doing,
        query: USERS_QUERY,
        max: MAX_PAGES_PER_BATCH,
    };
    pages
        .read(
            |after| json!({ "usernames": usernames, "after": after }),
            |body| read_page(body, usernames),
        )
        .await
}

/// The users of one page of the answer that were asked for, and the cursor of the next
/// page if there is one; [`BulkFailure::Unusable`] when GitLab answered 200 with `errors`
/// (the query could not run, for example on a version without a field) or something else
/// than the documented shape.
fn read_page(
    body: &[u8],
    usernames: &[String],
) -> Result<(Vec<BulkUser>, Option<String>), BulkFailure> {
    let data: Data = parse(body)?;
    let connection = data
        .users
        .ok_or_else(|| BulkFailure::Unusable("an answer without `users`".to_owned()))?;
    let mut found = Vec::new();
    for node in connection.nodes.into_iter().flatten() {
        // Only users asked for: the answer is matched to usernames by name.
        if asked_for(usernames, &node.username) {
            found.push(BulkUser::try_from(node).map_err(BulkFailure::Unusable)?);
        }
    }
    Ok((found, connection.page_info.next()))
}

/// Whether `username` is one of `usernames` (GitLab's usernames compare case-insensitively).
fn asked_for(usernames: &[String], username: &str) -> bool {
    usernames
        .iter()
        .any(|asked| asked.eq_ignore_ascii_case(username))
}

/// Up to [`BATCH`] people of one place whose issues are asked, and where.
struct Part<'a> {
    /// The index of the place in what was asked.
    place: usize,
    /// `project` or `group`.
    field: &'static str,
    /// Its full path.
    path: &'a str,
    /// The people.
    usernames: &'a [String],
    /// What reading it is, for errors.
    doing: Doing<'a>,
}

/// A part's page of issues, and the cursor of its next page; or why it could not be read.
type PartPage = Result<(Vec<TrackedIssue>, Option<String>), TrackerError>;

/// For each place, the open issues there assigned to any of its usernames, each once:
/// [`BATCH`] people of a place to a part, [`PLACES_PER_QUERY`] parts to a query, the queries
/// sent together, then again for the parts with a next page. A place whose read fails has
/// that error; `Err` (why) when GraphQL cannot be used here at all.
pub(crate) async fn assigned_issues(
    transport: &Transport,
    wanted: &[(IssuePlace, Vec<String>)],
) -> Result<Vec<Result<Vec<TrackedIssue>, TrackerError>>, String> {
    let parts: Vec<Part<'_>> = wanted
        .iter()
        .enumerate()
        .flat_map(|(place, (at, usernames))| {
            usernames
                .chunks(BATCH)
                .map(move |usernames| Part::new(place, at, usernames))
        })
        .collect();
    let mut found: Vec<Result<Vec<TrackedIssue>, TrackerError>> =
        wanted.iter().map(|_| Ok(Vec::new())).collect();
    let mut pending: Vec<(&Part<'_>, Option<String>)> =
        parts.iter().map(|part| (part, None)).collect();
    let mut weight = true;
    for round in 0..MAX_ISSUE_PAGES {
        if pending.is_empty() {
            return Ok(found.into_iter().map(|list| list.map(unique)).collect());
        }
        let queries: Vec<&[(&Part<'_>, Option<String>)]> =
            pending.chunks(PLACES_PER_QUERY).collect();
        let mut answers = Vec::with_capacity(queries.len());
        let mut rest = &queries[..];
        if round == 0 {
            // The first query goes alone: GitLab's Free edition has no issue weight (an EE
            // field) and refuses a query that asks for it, so only one is refused before
            // the rest go without it.
            let mut first = query_parts(transport, queries[0], weight).await;
            if matches!(&first, Err(BulkFailure::Unusable(why)) if lacks_weight(why)) {
                weight = false;
                first = query_parts(transport, queries[0], weight).await;
            }
            answers.push(first);
            rest = &queries[1..];
        }
        answers.extend(
            join_all(
                rest.iter()
                    .map(|asked| query_parts(transport, asked, weight)),
            )
            .await,
        );
        let mut next = Vec::new();
        for (asked, answer) in queries.into_iter().zip(answers) {
            let pages = match answer {
                Ok(pages) => pages,
                Err(BulkFailure::Unusable(why)) => return Err(why),
                Err(BulkFailure::Failed(error)) => {
                    asked.iter().map(|_| Err(error.clone())).collect()
                }
            };
            for ((part, _), page) in asked.iter().zip(pages) {
                match (page, &mut found[part.place]) {
                    (_, Err(_)) => {}
                    (Err(error), slot) => *slot = Err(error),
                    (Ok((issues, cursor)), Ok(list)) => {
                        list.extend(issues);
                        if cursor.is_some() {
                            next.push((*part, cursor));
                        }
                    }
                }
            }
        }
        pending = next
            .into_iter()
            .filter(|(part, _)| found[part.place].is_ok())
            .collect();
    }
    Err(format!(
        "more than {MAX_ISSUE_PAGES} pages of issues announced"
    ))
}

impl<'a> Part<'a> {
    fn new(place: usize, at: &'a IssuePlace, usernames: &'a [String]) -> Self {
        let (field, path, doing) = match at {
            IssuePlace::Project(path) => (
                "project",
                path,
                Doing::read(
                    format!(
                        "listing the open issues of {path} assigned to {} people",
                        usernames.len()
                    ),
                    Place::Project(path),
                ),
            ),
            IssuePlace::Group(path) => (
                "group",
                path,
                Doing::read(
                    format!(
                        "listing the open issues of the group {path} assigned to {} people",
                        usernames.len()
                    ),
                    Place::Group(path),
                ),
            ),
        };
        Self {
            place,
            field,
            path,
            usernames,
            doing,
        }
    }
}

/// The issues `Issue` lists hold once each: an issue assigned to people of two parts comes
/// twice.
fn unique(issues: Vec<TrackedIssue>) -> Vec<TrackedIssue> {
    let mut seen = HashSet::new();
    issues
        .into_iter()
        .filter(|issue| seen.insert((issue.project.clone(), issue.iid)))
        .collect()
}

/// One query for the next page of each of `asked` (a part and the cursor its page starts
/// after): each part's page, or why it could not be read.
async fn query_parts(
    transport: &Transport,
    asked: &[(&Part<'_>, Option<String>)],
    weight: bool,
) -> Result<Vec<PartPage>, BulkFailure> {
    let (query, variables) = parts_query(asked, weight);
    let paths: Vec<&str> = asked.iter().map(|(part, _)| part.path).collect();
    let people: usize = asked.iter().map(|(part, _)| part.usernames.len()).sum();
    let doing = Doing::read(
        format!(
            "listing the open issues of {} assigned to {people} people",
            paths.join(", ")
        ),
        Place::Instance,
    );
    let body = serde_json::to_vec(&Document { query, variables })
        .map_err(|e| BulkFailure::Failed(doing.unbuildable(e)))?;
    let answer = transport
        .graphql_query(body)
        .await
        .map_err(|e| failure(e, &doing))?;
    read_parts(answer.body(), asked)
}

/// The query and variables for the pages of `asked`: place `n` under the alias `pN`.
fn parts_query(asked: &[(&Part<'_>, Option<String>)], weight: bool) -> (String, Value) {
    let mut declared = Vec::new();
    let mut fields = Vec::new();
    let mut variables = serde_json::Map::new();
    for (n, (part, after)) in asked.iter().enumerate() {
        declared.push(format!(
            "$path{n}: ID!, $names{n}: [String!], $after{n}: String"
        ));
        let subgroups = if part.field == "group" {
            "includeSubgroups: true, "
        } else {
            ""
        };
        fields.push(format!(
            "p{n}: {}(fullPath: $path{n}) {{ issues({subgroups}state: opened, or: {{ \
             assigneeUsernames: $names{n} }}, first: 100, after: $after{n}) {{ ...page }} }}",
            part.field
        ));
        variables.insert(format!("path{n}"), json!(part.path));
        variables.insert(format!("names{n}"), json!(part.usernames));
        variables.insert(format!("after{n}"), json!(after));
    }
    let query = format!(
        "query({}) {{ {} }} {}",
        declared.join(", "),
        fields.join(" "),
        issue_page(weight)
    );
    (query, Value::Object(variables))
}

/// Each asked part's page: the issues assigned to one of its people (a GitLab that ignored
/// the `or` filter answers others too) and the cursor of its next page. A place that is not
/// there is GitLab's 404 for it, which REST would answer as well.
fn read_parts(
    body: &[u8],
    asked: &[(&Part<'_>, Option<String>)],
) -> Result<Vec<PartPage>, BulkFailure> {
    let mut data: HashMap<String, Option<PlaceIssues>> = parse(body)?;
    let mut pages = Vec::with_capacity(asked.len());
    for (n, (part, _)) in asked.iter().enumerate() {
        let alias = format!("p{n}");
        let Some(place) = data
            .remove(&alias)
            .ok_or_else(|| BulkFailure::Unusable(format!("an answer without `{alias}`")))?
        else {
            pages.push(Err(part.doing.status(StatusCode::NOT_FOUND, None)));
            continue;
        };
        let mut issues = Vec::new();
        for node in place.issues.nodes.into_iter().flatten() {
            let issue = TrackedIssue::try_from(node).map_err(BulkFailure::Unusable)?;
            if issue.assignees.iter().any(|a| asked_for(part.usernames, a)) {
                issues.push(issue);
            }
        }
        pages.push(Ok((issues, place.issues.page_info.next())));
    }
    Ok(pages)
}

/// The merge requests awaiting the review of each of `usernames` GitLab knows, in batches of
/// [`BATCH`] sent together; usernames without an account are not in the answer.
pub(crate) async fn review_requests(
    transport: &Transport,
    usernames: &[String],
) -> Result<Vec<BulkReviews>, BulkFailure> {
    let batches = join_all(
        usernames
            .chunks(BATCH)
            .map(|batch| batch_reviews(transport, batch)),
    )
    .await;
    let mut found = Vec::with_capacity(usernames.len());
    for batch in batches {
        found.extend(batch?);
    }
    Ok(found)
}

/// The review requests of one batch's users, across pages of users.
async fn batch_reviews(
    transport: &Transport,
    usernames: &[String],
) -> Result<Vec<BulkReviews>, BulkFailure> {
    let doing = Doing::read(
        format!(
            "listing the open merge requests that ask {} people for a review",
            usernames.len()
        ),
        Place::Instance,
    );
    let pages = Pages {
        transport,
        doing: &doing,
        query: REVIEWS_QUERY,
        max: MAX_PAGES_PER_BATCH,
    };
    pages
        .read(
            |after| json!({ "usernames": usernames, "after": after }),
            |body| read_reviews(body, usernames),
        )
        .await
}

/// The review requests of the users of one page that were asked for, and the cursor of the
/// next page of users if there is one.
fn read_reviews(
    body: &[u8],
    usernames: &[String],
) -> Result<(Vec<BulkReviews>, Option<String>), BulkFailure> {
    let data: ReviewsData = parse(body)?;
    let connection = data
        .users
        .ok_or_else(|| BulkFailure::Unusable("an answer without `users`".to_owned()))?;
    let mut found = Vec::new();
    for node in connection.nodes.into_iter().flatten() {
        if !asked_for(usernames, &node.username) {
            continue;
        }
        let reviews = match node.review_requested_merge_requests {
            Some(requests) if !requests.page_info.has_next_page => Some(
                requests
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(ReviewRequest::try_from)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(BulkFailure::Unusable)?,
            ),
            // More than a page, or none said: REST lists them all.
            _ => None,
        };
        found.push(BulkReviews {
            username: node.username,
            reviews,
        });
    }
    Ok((found, connection.page_info.next()))
}

/// One query, read page after page.
struct Pages<'a> {
    transport: &'a Transport,
    doing: &'a Doing<'a>,
    query: &'static str,
    /// Pages the query may read: past it, GitLab misbehaves or the REST path must answer.
    max: usize,
}

impl Pages<'_> {
    /// Everything `read` finds in each page, asking the next with `variables(cursor)` until
    /// a page has no next one.
    async fn read<T>(
        &self,
        variables: impl Fn(Option<&str>) -> Value,
        read: impl Fn(&[u8]) -> Result<(Vec<T>, Option<String>), BulkFailure>,
    ) -> Result<Vec<T>, BulkFailure> {
        let doing = self.doing;
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..self.max {
            let document = Document {
                query: self.query.to_owned(),
                variables: variables(after.as_deref()),
            };
            let body = serde_json::to_vec(&document)
                .map_err(|e| BulkFailure::Failed(doing.unbuildable(e)))?;
            let answer = self
                .transport
                .graphql_query(body)
                .await
                .map_err(|e| failure(e, doing))?;
            let (page, next) = read(answer.body())?;
            found.extend(page);
            match next {
                Some(cursor) => after = Some(cursor),
                None => return Ok(found),
            }
        }
        Err(BulkFailure::Unusable(format!(
            "more than {} pages announced",
            self.max
        )))
    }
}

/// The `data` of an answer; [`BulkFailure::Unusable`] when GitLab answered 200 with
/// `errors` (the query could not run, for example on a version without a field), without
/// `data`, or something else than the documented shape.
fn parse<D: DeserializeOwned>(body: &[u8]) -> Result<D, BulkFailure> {
    let answer: Answer<D> = serde_json::from_slice(body)
        .map_err(|e| BulkFailure::Unusable(format!("an answer not as documented ({e})")))?;
    if let Some(error) = answer.errors.first() {
        return Err(BulkFailure::Unusable(format!(
            "the query failed: {}",
            error.message
        )));
    }
    answer
        .data
        .ok_or_else(|| BulkFailure::Unusable("an answer without `data`".to_owned()))
}

/// Sorts a failed query into "use REST instead" (GitLab refused or lacks the endpoint) and
/// "failed" (GitLab unavailable or the answer lost, which REST would meet as well).
fn failure(error: ApiError<TransportError>, doing: &Doing<'_>) -> BulkFailure {
    match error {
        ApiError::Client {
            source: TransportError::Status { status, body, .. },
        } => BulkFailure::Unusable(format!(
            "GitLab answered {status}{}",
            gitlab_message(&body)
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        other => BulkFailure::Failed(doing.fail(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_become_users_with_statuses() {
        let answer: Answer<Data> = serde_json::from_str(
            r#"{"data":{"users":{"nodes":[
                {"id":"gid://gitlab/User/7","username":"ana","name":"Ana","status":null},
                {"id":"gid://gitlab/User/8","username":"bo","name":"Bo",
                 "status":{"availability":"BUSY","message":" ","emoji":"palm_tree"}},
                {"id":"gid://gitlab/User/9","username":"cy","name":"Cy",
                 "status":{"availability":"NOT_SET","message":"OOO","emoji":null}},
                null],
              "pageInfo":{"hasNextPage":false,"endCursor":null}}}}"#,
        )
        .unwrap();
        let users: Vec<BulkUser> = answer
            .data
            .unwrap()
            .users
            .unwrap()
            .nodes
            .into_iter()
            .flatten()
            .map(|node| BulkUser::try_from(node).unwrap())
            .collect();
        assert_eq!(users[0].user.id, 7);
        assert_eq!(users[0].status, None);
        let busy = users[1].status.clone().unwrap();
        assert_eq!((busy.busy, busy.message.clone()), (true, None));
        assert!(busy.needs_clear_date());
        let ooo = users[2].status.clone().unwrap();
        assert_eq!((ooo.busy, ooo.message.as_deref()), (false, Some("OOO")));
        assert!(ooo.needs_clear_date());
        assert!(
            !BulkStatus {
                busy: false,
                message: None
            }
            .needs_clear_date()
        );
    }

    fn unusable(body: &str) -> String {
        match read_page(body.as_bytes(), &["ana".to_owned()]) {
            Err(BulkFailure::Unusable(why)) => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_and_odd_answers_make_graphql_unusable_so_rest_answers() {
        assert_eq!(
            unusable(r#"{"errors":[{"message":"Field 'users' doesn't exist on type 'Query'"}]}"#),
            "the query failed: Field 'users' doesn't exist on type 'Query'"
        );
        // Partial data with errors is not trusted either.
        let partial = r#"{"data":{"users":{"nodes":[],"pageInfo":{"hasNextPage":false}}},
            "errors":[{"message":"Timeout on users"}]}"#;
        assert_eq!(unusable(partial), "the query failed: Timeout on users");
        assert!(unusable("<html>sign in</html>").starts_with("an answer not as documented"));
        assert_eq!(
            unusable(r#"{"data":{"users":null}}"#),
            "an answer without `users`"
        );
    }

    #[test]
    fn a_page_keeps_the_users_asked_for_and_says_where_the_next_starts() {
        let body = r#"{"data":{"users":{"nodes":[
            {"id":"gid://gitlab/User/7","username":"Ana","name":"Ana"},
            {"id":"gid://gitlab/User/8","username":"mallory","name":"M"}],
            "pageInfo":{"hasNextPage":true,"endCursor":"abc"}}}}"#;
        let (users, next) = read_page(body.as_bytes(), &["ana".to_owned()]).unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].user.id, 7);
        assert_eq!(next.as_deref(), Some("abc"));
    }

    #[test]
    fn a_node_without_a_user_gid_is_refused() {
        let node = Node {
            id: "gid://gitlab/Project/7".into(),
            username: "x".into(),
            name: "x".into(),
            status: None,
        };
        assert!(BulkUser::try_from(node).unwrap_err().contains("Project/7"));
    }

    const ISSUE_NODE: &str = r#"{"iid":"12","title":"Fix","webUrl":"https://gl.example/g/p/-/issues/12",
        "state":"opened","dueDate":"2026-12-01","weight":2,"confidential":true,
        "createdAt":"2026-11-01T09:00:00Z","closedAt":null,"reference":"g/sub/p#12",
        "milestone":{"title":"19.8"},"assignees":{"nodes":[{"username":"ana"},null]},
        "labels":{"nodes":[{"title":"backend"}]}}"#;

    fn issue_page(nodes: &str, next: &str) -> String {
        format!(r#"{{"data":{{"p0":{{"issues":{{"nodes":[{nodes}],"pageInfo":{next}}}}}}}}}"#)
    }

    /// The one page `body` answers for the people `names` of the group `g`.
    fn group_page(body: &str, names: &[String]) -> PartPage {
        let place = IssuePlace::Group("g".into());
        let part = Part::new(0, &place, names);
        match read_parts(body.as_bytes(), &[(&part, None)]) {
            Ok(mut pages) => pages.remove(0),
            Err(BulkFailure::Unusable(why)) => panic!("unusable: {why}"),
            Err(BulkFailure::Failed(error)) => panic!("failed: {error}"),
        }
    }

    #[test]
    fn issue_nodes_become_tracked_issues_of_the_people_asked() {
        let other = ISSUE_NODE
            .replace(r#""iid":"12""#, r#""iid":"13""#)
            .replace("ana", "mallory");
        let body = issue_page(
            &format!("{ISSUE_NODE},{other},null"),
            r#"{"hasNextPage":true,"endCursor":"c2"}"#,
        );
        let (issues, next) = group_page(&body, &["ANA".to_owned()]).unwrap();
        // mallory's issue was not asked for (a GitLab ignoring `or` sends it).
        assert_eq!(issues.len(), 1);
        let issue = &issues[0];
        assert_eq!((issue.project.as_str(), issue.iid), ("g/sub/p", 12));
        assert_eq!(issue.state, IssueState::Opened);
        assert_eq!(issue.due_date, NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(issue.weight, Some(2));
        assert!(issue.confidential);
        assert_eq!(issue.milestone.as_deref(), Some("19.8"));
        assert_eq!(
            (issue.assignees.clone(), issue.labels.clone()),
            (vec!["ana".to_owned()], vec!["backend".to_owned()])
        );
        assert_eq!(issue.user_notes_count, None);
        assert_eq!(next.as_deref(), Some("c2"));
    }

    #[test]
    fn due_dates_come_as_dates_or_timestamps() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1);
        assert_eq!(due_date("2026-12-01").ok(), day);
        assert_eq!(due_date("2026-12-01T00:00:00Z").ok(), day);
        assert_eq!(due_date("2026-12-01T00:00:00+02:00").ok(), day);
        assert_eq!(
            due_date("soon").unwrap_err(),
            "a due date `soon` that is not a date"
        );
    }

    #[test]
    fn a_place_the_token_cannot_read_is_not_found() {
        match group_page(r#"{"data":{"p0":null}}"#, &["ana".to_owned()]) {
            Err(TrackerError::NotFound(message)) => assert_eq!(
                message,
                "listing the open issues of the group g assigned to 1 people: group g not \
                 found, or not visible to this token (404)"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn odd_issue_nodes_and_missing_places_make_graphql_unusable() {
        let place = IssuePlace::Group("g".into());
        let names = ["ana".to_owned()];
        let part = Part::new(0, &place, &names);
        let unusable = |body: &str| match read_parts(body.as_bytes(), &[(&part, None)]) {
            Err(BulkFailure::Unusable(why)) => why,
            other => panic!("{:?}", other.map(|pages| pages.len())),
        };
        for (from, to, why) in [
            (
                r#""g/sub/p#12""#,
                r##""#12""##,
                "an issue reference `#12` without a project",
            ),
            (
                r#""iid":"12""#,
                r#""iid":"x""#,
                "an issue iid `x` that is not a number",
            ),
            (
                r#""state":"opened""#,
                r#""state":"locked""#,
                "an issue state `locked`",
            ),
        ] {
            let body = issue_page(&ISSUE_NODE.replace(from, to), r#"{"hasNextPage":false}"#);
            assert_eq!(unusable(&body), why);
        }
        assert_eq!(unusable(r#"{"data":{}}"#), "an answer without `p0`");
    }

    #[test]
    fn a_query_asks_each_place_under_its_alias_with_its_own_cursor() {
        let (web, group) = (
            IssuePlace::Project("g/web".into()),
            IssuePlace::Group("g".into()),
        );
        let (ana, bo) = (["ana".to_owned()], ["bo".to_owned()]);
        let parts = [Part::new(0, &web, &ana), Part::new(1, &group, &bo)];
        let (query, variables) = parts_query(
            &[(&parts[0], None), (&parts[1], Some("c1".to_owned()))],
            true,
        );
        assert_eq!(
            query,
            format!(
                "query($path0: ID!, $names0: [String!], $after0: String, $path1: ID!, $names1: \
                 [String!], $after1: String) {{ p0: project(fullPath: $path0) {{ issues(state: \
                 opened, or: {{ assigneeUsernames: $names0 }}, first: 100, after: $after0) {{ \
                 ...page }} }} p1: group(fullPath: $path1) {{ issues(includeSubgroups: true, \
                 state: opened, or: {{ assigneeUsernames: $names1 }}, first: 100, after: \
                 $after1) {{ ...page }} }} }} {ISSUE_PAGE}"
            )
        );
        assert_eq!(
            variables,
            json!({"path0": "g/web", "names0": ["ana"], "after0": null,
                   "path1": "g", "names1": ["bo"], "after1": "c1"})
        );
    }

    #[test]
    fn without_the_weight_the_page_asks_for_everything_else() {
        let (query, _) = parts_query(
            &[(&Part::new(0, &IssuePlace::Group("g".into()), &[]), None)],
            false,
        );
        assert!(
            query.ends_with(
                "fragment page on IssueConnection { nodes { iid title webUrl state dueDate \
             confidential createdAt closedAt reference(full: true) milestone { title } \
             assignees { nodes { username } } labels { nodes { title } } } pageInfo { \
             hasNextPage endCursor } }"
            ),
            "{query}"
        );
        assert!(lacks_weight(
            "the query failed: Field 'weight' doesn't exist on type 'Issue'"
        ));
        assert!(!lacks_weight("the query failed: Invalid token"));
    }

    #[test]
    fn reviews_of_a_user_with_more_than_a_page_are_left_to_rest() {
        let body = r#"{"data":{"users":{"nodes":[
            {"username":"Ana","reviewRequestedMergeRequests":{"nodes":[
              {"iid":"4","title":"Cache","webUrl":"https://gl.example/g/p/-/merge_requests/4",
               "draft":true,"author":{"username":"bo"},"project":{"fullPath":"g/p"}}],
              "pageInfo":{"hasNextPage":false}}},
            {"username":"bo","reviewRequestedMergeRequests":{"nodes":[],
              "pageInfo":{"hasNextPage":true}}},
            {"username":"mallory","reviewRequestedMergeRequests":null}],
            "pageInfo":{"hasNextPage":false,"endCursor":null}}}}"#;
        let asked = ["ana".to_owned(), "bo".to_owned()];
        let (found, next) = read_reviews(body.as_bytes(), &asked).unwrap();
        assert_eq!(next, None);
        assert_eq!(
            found,
            [
                BulkReviews {
                    username: "Ana".into(),
                    reviews: Some(vec![ReviewRequest {
                        project: "g/p".into(),
                        iid: 4,
                        title: "Cache".into(),
                        web_url: "https://gl.example/g/p/-/merge_requests/4".into(),
                        author: "bo".into(),
                        draft: true,
                    }]),
                },
                BulkReviews {
                    username: "bo".into(),
                    reviews: None,
                },
            ]
        );
    }

    #[test]
    fn the_queries_ask_full_pages_with_the_documented_fields() {
        assert!(ISSUE_PAGE.contains("reference(full: true)"));
        assert!(REVIEWS_QUERY.contains("reviewRequestedMergeRequests(state: opened, first: 100)"));
    }

    #[test]
    fn the_query_asks_a_full_page() {
        assert!(USERS_QUERY.contains("first: 100"));
        assert_eq!(BATCH, 100);
    }
}
