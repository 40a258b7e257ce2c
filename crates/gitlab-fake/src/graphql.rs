//! `POST /api/graphql`: the subset of GitLab's GraphQL API teamcadence reads, users in bulk.
//!
//! `users(ids:, usernames:, first:, after:)` answers a `UserCoreConnection` (`nodes`, `edges`,
//! `pageInfo`) of `UserCore` objects with `id` (a global id, `gid://gitlab/User/N`),
//! `username`, `name`, `state`, `webUrl` and `status` (`UserStatus`: `availability`
//! `NOT_SET`/`BUSY`, `message`, `messageHtml`, `emoji`; `null` when the user has none, as
//! GitLab's type has no clear date). As GitLab: usernames match case-insensitively and ones
//! without an account are left out, newest users come first, a page holds at most 100
//! (a larger `first` is cut silently, as graphql-ruby's `max_page_size` does), cursors are
//! opaque, and a query that cannot run answers 200 with `errors`.
//!
//! Authentication is the REST API's (`PRIVATE-TOKEN`, `Authorization: Bearer`); like the
//! fake's `GET /users`, it refuses callers without a valid personal token, here with GitLab
//! GraphQL's own 401 body `{"errors":[{"message":"Invalid token"}]}`.
//! <https://docs.gitlab.com/api/graphql/reference/#queryusers>

use std::sync::OnceLock;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, ID, Object, Schema, SimpleObject,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::app::{App, json};
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{Store, User};
use crate::users::html_escape;

/// GitLab's largest GraphQL page (`GITLAB_GRAPHQL_MAX_PAGE_SIZE`, 100 by default).
const MAX_PAGE_SIZE: usize = 100;

/// The prefix of a user's global id.
const USER_GID: &str = "gid://gitlab/User/";

/// The schema of the subset: queries only.
type FakeSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Built once: building walks every type.
fn schema() -> &'static FakeSchema {
    static SCHEMA: OnceLock<FakeSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::build(Query, EmptyMutation, EmptySubscription).finish())
}

/// `POST /api/graphql` with `{"query": ..., "variables": ..., "operationName": ...}`.
pub(crate) async fn execute(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if app.0.faults.conditions().graphql_disabled {
        return ApiError::no_route().into_response();
    }
    let authenticated = {
        let store = app.store();
        // A query reads: a `read_api` token may run it, as GitLab allows.
        auth::authenticate(&store, &Method::GET, &headers, &mut Params::default()).ok()
    };
    if !matches!(authenticated, Some(Caller::User(_))) {
        return errors(StatusCode::UNAUTHORIZED, "Invalid token");
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Unexpected end of document or invalid JSON: {error}"),
            );
        }
    };
    let answer = schema().execute(request.data(app)).await;
    match serde_json::to_value(&answer) {
        Ok(value) => json(StatusCode::OK, value),
        Err(error) => errors(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// GitLab GraphQL's error answer outside a query's execution.
fn errors(status: StatusCode, message: &str) -> Response {
    json(status, json!({ "errors": [{ "message": message }] }))
}

/// The root query type.
pub(crate) struct Query;

/// `AvailabilityEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "AvailabilityEnum")]
enum Availability {
    /// Not set.
    NotSet,
    /// Busy.
    Busy,
}

/// `UserState`: only active users exist in the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "UserState")]
enum UserState {
    /// An active user.
    #[graphql(name = "active")]
    Active,
}

/// `UserStatus`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "UserStatus")]
struct Status {
    /// Whether the user is busy.
    availability: Availability,
    /// The message.
    message: Option<String>,
    /// The message rendered.
    message_html: Option<String>,
    /// The emoji's name.
    emoji: Option<String>,
}

/// `UserCore`: the user type of the `users` query.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "UserCore")]
struct UserNode {
    /// Global id.
    id: ID,
    /// Username.
    username: String,
    /// Display name.
    name: String,
    /// Account state.
    state: UserState,
    /// The user's web page.
    web_url: String,
    /// The live status, `null` when none.
    status: Option<Status>,
}

#[Object]
impl Query {
    /// Users by username or global id (or all), newest first, as GitLab's `Query.users`.
    async fn users(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        usernames: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, UserNode>> {
        if ids.is_some() && usernames.is_some() {
            return Err("Provide either a list of usernames or ids".into());
        }
        let limit = match first {
            Some(first) if first < 0 => {
                return Err("Argument 'first' must be greater than or equal to 0".into());
            }
            Some(first) => usize::try_from(first).unwrap_or(0).min(MAX_PAGE_SIZE),
            None => MAX_PAGE_SIZE,
        };
        let ids = match ids {
            Some(ids) => Some(
                ids.iter()
                    .map(|id| {
                        id.strip_prefix(USER_GID)
                            .and_then(|n| n.parse::<u64>().ok())
                            .ok_or_else(|| {
                                async_graphql::Error::new(format!(
                                    "\"{}\" does not represent an instance of User",
                                    id.as_str()
                                ))
                            })
                    })
                    .collect::<Result<Vec<u64>, _>>()?,
            ),
            None => None,
        };
        let after_id = match after {
            Some(cursor) => Some(
                decode_cursor(&cursor)
                    .ok_or_else(|| async_graphql::Error::new("Please provide a valid cursor"))?,
            ),
            None => None,
        };
        let app = ctx.data::<App>()?;
        let store = app.store();
        let now = store.clock.now();
        let mut users: Vec<&User> = store
            .users
            .values()
            .filter(|user| ids.as_ref().is_none_or(|ids| ids.contains(&user.id)))
            .filter(|user| {
                usernames.as_ref().is_none_or(|names| {
                    names
                        .iter()
                        .any(|name| name.eq_ignore_ascii_case(&user.username))
                })
            })
            .filter(|user| after_id.is_none_or(|after| user.id < after))
            .collect();
        // Newest first (GitLab's `created_desc`); ids grow with creation.
        users.sort_by_key(|user| std::cmp::Reverse(user.id));
        let has_next_page = users.len() > limit;
        let mut connection = Connection::new(after_id.is_some(), has_next_page);
        connection.edges.extend(
            users
                .into_iter()
                .take(limit)
                .map(|user| Edge::new(encode_cursor(user.id), node(&store, user, now))),
        );
        Ok(connection)
    }
}

/// A user as the query answers them, with their status if it is set and has not expired.
fn node(store: &Store, user: &User, now: DateTime<Utc>) -> UserNode {
    let status = user
        .status
        .as_ref()
        .filter(|status| status.clear_status_at.is_none_or(|at| at > now))
        .map(|status| Status {
            availability: if status.availability == "busy" {
                Availability::Busy
            } else {
                Availability::NotSet
            },
            message: status.message.clone(),
            message_html: status.message.as_deref().map(html_escape),
            emoji: status.emoji.clone(),
        });
    UserNode {
        id: ID(format!("{USER_GID}{}", user.id)),
        username: user.username.clone(),
        name: user.name.clone(),
        state: UserState::Active,
        web_url: format!("{}/{}", store.base_url, user.username),
        status,
    }
}

/// A cursor as GitLab's keyset cursors are made: base64 of `{"id":"N"}`.
fn encode_cursor(id: u64) -> String {
    STANDARD.encode(json!({ "id": id.to_string() }).to_string())
}

/// The user id a cursor points after, if it is one of ours.
fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(encode_cursor(42), "eyJpZCI6IjQyIn0=");
        assert_eq!(decode_cursor("eyJpZCI6IjQyIn0="), Some(42));
        assert_eq!(decode_cursor("not a cursor"), None);
    }
}
