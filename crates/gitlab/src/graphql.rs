//! Users in bulk through GitLab's GraphQL API: one `users(usernames:)` query resolves 100
//! usernames, with their statuses, where the REST API needs a request per user and another
//! per status.
//!
//! Only the query and its answer here; what to do with the users (caching, falling back to
//! REST) is the adapter's ([`crate::tracker`]). A query changes nothing, so the request layer
//! retries it as a read.
//! <https://docs.gitlab.com/api/graphql/reference/#queryusers>

use futures_util::future::join_all;
use gitlab::api::ApiError;
use serde::{Deserialize, Serialize};
use teamcadence_core::tracker::{TrackedUser, TrackerError};

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
struct Document<'a> {
    query: &'static str,
    variables: Variables<'a>,
}

#[derive(Serialize)]
struct Variables<'a> {
    usernames: &'a [String],
    after: Option<&'a str>,
}

/// The answer: `data`, and `errors` when the query could not run (with status 200).
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<QueryError>,
}

#[derive(Deserialize)]
struct QueryError {
    message: String,
}

#[derive(Deserialize)]
struct Data {
    users: Option<Connection>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    nodes: Vec<Option<Node>>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
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
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES_PER_BATCH {
        let document = Document {
            query: USERS_QUERY,
            variables: Variables {
                usernames,
                after: after.as_deref(),
            },
        };
        let body =
            serde_json::to_vec(&document).map_err(|e| BulkFailure::Failed(doing.unbuildable(e)))?;
        let answer = transport
            .graphql_query(body)
            .await
            .map_err(|e| failure(e, &doing))?;
        let (users, next) = read_page(answer.body(), usernames)?;
        found.extend(users);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return Ok(found),
        }
    }
    Err(BulkFailure::Unusable(format!(
        "more than {MAX_PAGES_PER_BATCH} pages announced for {} usernames",
        usernames.len()
    )))
}

/// The users of one page of the answer that were asked for, and the cursor of the next
/// page if there is one; [`BulkFailure::Unusable`] when GitLab answered 200 with `errors`
/// (the query could not run, for example on a version without a field) or something else
/// than the documented shape.
fn read_page(
    body: &[u8],
    usernames: &[String],
) -> Result<(Vec<BulkUser>, Option<String>), BulkFailure> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| BulkFailure::Unusable(format!("an answer not as documented ({e})")))?;
    if let Some(error) = answer.errors.first() {
        return Err(BulkFailure::Unusable(format!(
            "the query failed: {}",
            error.message
        )));
    }
    let connection = answer
        .data
        .and_then(|data| data.users)
        .ok_or_else(|| BulkFailure::Unusable("an answer without `users`".to_owned()))?;
    let mut found = Vec::new();
    for node in connection.nodes.into_iter().flatten() {
        // Only users asked for: the answer is matched to usernames by name.
        if usernames
            .iter()
            .any(|asked| asked.eq_ignore_ascii_case(&node.username))
        {
            found.push(BulkUser::try_from(node).map_err(BulkFailure::Unusable)?);
        }
    }
    let next = match connection.page_info {
        PageInfo {
            has_next_page: true,
            end_cursor: Some(cursor),
        } => Some(cursor),
        _ => None,
    };
    Ok((found, next))
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
        let answer: Answer = serde_json::from_str(
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

    #[test]
    fn the_query_asks_a_full_page() {
        assert!(USERS_QUERY.contains("first: 100"));
        assert_eq!(BATCH, 100);
    }
}
