//! Users: `GET /user`, `GET /users` (offset or keyset pagination, `username`, `search`),
//! `GET /users/:id`, `POST /users` (admin), `GET /users/:id/status`, `GET|PUT /user/status`
//! and `POST /users/:id/personal_access_tokens` (admin, to set up tokens through the API).

use axum::extract::{Path, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::app::{ApiRequest, App, created, ok, opt_timestamp, timestamp};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{self, LinkBase, PageRequest};
use crate::store::{Store, User, UserStatus};

/// The user entity GitLab embeds in issues, notes and lists (`UserBasic`).
pub(crate) fn basic_json(store: &Store, user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "public_email": null,
        "name": user.name,
        "state": "active",
        "locked": false,
        "avatar_url": null,
        "web_url": format!("{}/{}", store.base_url, user.username),
    })
}

/// The user entity of `GET /users/:id`; `private` adds what only the user and admins see.
fn full_json(store: &Store, user: &User, private: bool, viewer_is_admin: bool) -> Value {
    let mut value = basic_json(store, user);
    let extra = json!({
        "created_at": timestamp(user.created_at),
        "bio": "",
        "location": "",
        "linkedin": "",
        "twitter": "",
        "discord": "",
        "website_url": "",
        "organization": "",
        "job_title": "",
        "pronouns": null,
        "bot": false,
        "work_information": null,
        "followers": 0,
        "following": 0,
        "is_followed": false,
        "local_time": null,
    });
    merge(&mut value, extra);
    if private {
        merge(
            &mut value,
            json!({
                "last_sign_in_at": timestamp(user.created_at),
                "confirmed_at": timestamp(user.created_at),
                "last_activity_on": user.created_at.date_naive().format("%Y-%m-%d").to_string(),
                "email": user.email,
                "theme_id": 1,
                "color_scheme_id": 1,
                "projects_limit": 100000,
                "current_sign_in_at": timestamp(user.created_at),
                "identities": [],
                "can_create_group": true,
                "can_create_project": true,
                "two_factor_enabled": false,
                "external": false,
                "private_profile": false,
                "commit_email": user.email,
            }),
        );
    }
    if viewer_is_admin {
        merge(&mut value, json!({ "is_admin": user.admin, "note": null }));
    }
    value
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

/// The status entity; an expired `clear_status_at` reads as no status.
fn status_json(status: Option<&UserStatus>, now: DateTime<Utc>) -> Value {
    let live = status.filter(|status| status.clear_status_at.is_none_or(|at| at > now));
    match live {
        Some(status) => json!({
            "emoji": status.emoji,
            "availability": status.availability,
            "message": status.message,
            "message_html": status.message.as_deref().map(html_escape).unwrap_or_default(),
            "clear_status_at": opt_timestamp(status.clear_status_at),
        }),
        None => json!({
            "emoji": null,
            "availability": "not_set",
            "message": null,
            "message_html": "",
            "clear_status_at": null,
        }),
    }
}

/// Text made safe to show as HTML (the fake's stand-in for GitLab's Markdown rendering).
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /user`: the token's user.
pub(crate) async fn current(State(app): State<App>, request: ApiRequest) -> ApiResult {
    let caller = request.caller.user()?;
    let store = app.store();
    let user = store
        .users
        .get(&caller.user_id)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(ok(full_json(&store, user, true, caller.admin)))
}

/// `GET /users`: filter by `username`/`search`; `pagination=keyset` for keyset pages.
pub(crate) async fn list(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let viewer_admin = request.caller.user()?.admin;
    let params = &mut request.params;
    let username = params.string("username");
    let search = params.string("search").map(|text| text.to_lowercase());
    let order_by = params
        .choice(
            "order_by",
            &["id", "name", "username", "created_at", "updated_at"],
        )
        .unwrap_or_else(|| "id".to_owned());
    let sort = params
        .choice("sort", &["asc", "desc"])
        .unwrap_or_else(|| "desc".to_owned());
    let keyset = params.string("pagination").as_deref() == Some("keyset");
    let page = PageRequest::read(params);
    let id_after = params.u64("id_after");
    let id_before = params.u64("id_before");
    let cursor = params.string("cursor");
    params.finish()?;

    let store = app.store();
    let mut users: Vec<&User> = store
        .users
        .values()
        .filter(|user| {
            username
                .as_deref()
                .is_none_or(|wanted| user.username.eq_ignore_ascii_case(wanted))
        })
        .filter(|user| {
            search.as_deref().is_none_or(|needle| {
                user.username.to_lowercase().contains(needle)
                    || user.name.to_lowercase().contains(needle)
                    || (viewer_admin && user.email.to_lowercase().contains(needle))
            })
        })
        .collect();
    users.sort_by_key(|user| sort_key(user, &order_by));
    if sort == "desc" {
        users.reverse();
    }
    let render = |user: &User| {
        if viewer_admin {
            full_json(&store, user, true, true)
        } else {
            basic_json(&store, user)
        }
    };
    let link = LinkBase::new(&store.base_url, &request.path, &request.params, &[]);

    if !keyset {
        return Ok(pagination::offset(&users, page, &link, |user| render(user)));
    }
    // Keyset: resume strictly after the cursor position in the chosen order.
    let position = match cursor {
        Some(cursor) => Some(decode_cursor(&cursor, &order_by)?),
        None => id_after
            .map(|id| (Key::Number(id), id, true))
            .or_else(|| id_before.map(|id| (Key::Number(id), id, false))),
    };
    let descending = sort == "desc";
    let remaining: Vec<&User> = users
        .into_iter()
        .filter(|user| match &position {
            None => true,
            Some((key, id, after)) => {
                let here = sort_key(user, &order_by);
                let there = (key.clone(), *id);
                let beyond = if descending {
                    here < there
                } else {
                    here > there
                };
                if *after {
                    beyond
                } else {
                    !beyond && here != there
                }
            }
        })
        .collect();
    let per_page = page.per_page as usize;
    let items: Vec<Value> = remaining
        .iter()
        .take(per_page)
        .map(|user| render(user))
        .collect();
    let next = (remaining.len() > per_page).then(|| {
        let last = remaining[per_page - 1];
        let cursor = encode_cursor(last, &order_by);
        link.url_with(
            &["cursor", "id_after", "id_before", "page"],
            &[("cursor", cursor)],
        )
    });
    Ok(pagination::keyset(items, next))
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Number(u64),
    Text(String),
}

fn sort_key(user: &User, order_by: &str) -> (Key, u64) {
    let key = match order_by {
        "name" => Key::Text(user.name.clone()),
        "username" => Key::Text(user.username.clone()),
        "created_at" | "updated_at" => Key::Text(timestamp(user.created_at)),
        _ => Key::Number(user.id),
    };
    (key, user.id)
}

fn encode_cursor(user: &User, order_by: &str) -> String {
    let mut cursor = serde_json::Map::new();
    if order_by != "id"
        && let (Key::Text(text), _) = sort_key(user, order_by)
    {
        cursor.insert(order_by.to_owned(), Value::String(text));
    }
    cursor.insert("id".to_owned(), Value::String(user.id.to_string()));
    cursor.insert("_kd".to_owned(), Value::String("n".to_owned()));
    URL_SAFE.encode(Value::Object(cursor).to_string())
}

fn decode_cursor(cursor: &str, order_by: &str) -> Result<(Key, u64, bool), ApiError> {
    let invalid = || ApiError::params(&["cursor is invalid".to_owned()]);
    let bytes = URL_SAFE.decode(cursor.trim()).map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let id = value
        .get("id")
        .and_then(|id| id.as_str().and_then(|id| id.parse().ok()).or(id.as_u64()))
        .ok_or_else(invalid)?;
    let key = if order_by == "id" {
        Key::Number(id)
    } else {
        Key::Text(
            value
                .get(order_by)
                .and_then(Value::as_str)
                .ok_or_else(invalid)?
                .to_owned(),
        )
    };
    let after = value.get("_kd").and_then(Value::as_str) != Some("p");
    Ok((key, id, after))
}

/// `GET /users/:id`.
pub(crate) async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    let caller = request.caller.user()?;
    let store = app.store();
    let user = id
        .parse::<u64>()
        .ok()
        .and_then(|id| store.users.get(&id))
        .ok_or_else(|| ApiError::not_found("User"))?;
    let private = caller.admin || caller.user_id == user.id;
    Ok(ok(full_json(&store, user, private, caller.admin)))
}

/// `GET /users/:id_or_username/status`.
pub(crate) async fn status(
    State(app): State<App>,
    Path(id): Path<String>,
    request: ApiRequest,
) -> ApiResult {
    request.caller.not_job()?;
    let store = app.store();
    let user = store
        .find_user(&id)
        .ok_or_else(|| ApiError::not_found("User"))?;
    Ok(ok(status_json(user.status.as_ref(), store.clock.now())))
}

/// `GET /user/status`: the caller's own status.
pub(crate) async fn own_status(State(app): State<App>, request: ApiRequest) -> ApiResult {
    let caller = request.caller.user()?;
    let store = app.store();
    let user = store
        .users
        .get(&caller.user_id)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(ok(status_json(user.status.as_ref(), store.clock.now())))
}

const CLEAR_AFTER: [(&str, i64); 7] = [
    ("30_minutes", 30),
    ("3_hours", 180),
    ("8_hours", 480),
    ("1_day", 1440),
    ("3_days", 4320),
    ("7_days", 10080),
    ("30_days", 43200),
];

/// `PUT /user/status`: replaces the caller's (or, with `sudo`, another user's) status.
pub(crate) async fn set_status(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let caller_id = request.caller.user()?.user_id;
    let params = &mut request.params;
    let emoji = params.string("emoji").filter(|emoji| !emoji.is_empty());
    let message = params
        .string("message")
        .filter(|message| !message.is_empty());
    let availability = params.choice("availability", &["busy", "not_set"]);
    let allowed: Vec<&str> = CLEAR_AFTER.iter().map(|(name, _)| *name).collect();
    let clear_after = params.choice("clear_status_after", &allowed);
    params.finish()?;
    if message
        .as_ref()
        .is_some_and(|message| message.chars().count() > 100)
    {
        return Err(ApiError::validation(&[(
            "message",
            "is too long (maximum is 100 characters)".to_owned(),
        )]));
    }
    let mut store = app.store();
    let now = store.clock.now();
    let clear_status_at = clear_after.and_then(|name| {
        CLEAR_AFTER
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, minutes)| now + Duration::minutes(*minutes))
    });
    let status = if emoji.is_none() && message.is_none() && availability.is_none() {
        None
    } else {
        Some(UserStatus {
            availability: availability.unwrap_or_else(|| "not_set".to_owned()),
            message,
            emoji: Some(emoji.unwrap_or_else(|| "speech_balloon".to_owned())),
            clear_status_at,
        })
    };
    let user = store
        .users
        .get_mut(&caller_id)
        .ok_or_else(ApiError::unauthorized)?;
    user.status = status.clone();
    Ok(ok(status_json(status.as_ref(), now)))
}

fn valid_username(username: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    !username.is_empty()
        && username.chars().all(allowed)
        && !username.starts_with('-')
        && !username.ends_with('.')
        && !username.ends_with(".git")
        && !username.ends_with(".atom")
}

/// `POST /users` (admin only).
pub(crate) async fn create(State(app): State<App>, mut request: ApiRequest) -> ApiResult {
    let viewer_admin = request.caller.admin()?.admin;
    let params = &mut request.params;
    let email = params.required_string("email");
    let password = params.string("password");
    let reset_password = params.bool("reset_password").unwrap_or(false);
    let random_password = params.bool("force_random_password").unwrap_or(false);
    let name = params.required_string("name");
    let username = params.required_string("username");
    let admin = params.bool("admin").unwrap_or(false);
    params.bool("skip_confirmation");
    if password.is_none() && !reset_password && !random_password {
        params.push_error(
            "password, reset_password, force_random_password are missing, at least one parameter must be provided"
                .to_owned(),
        );
    }
    params.finish()?;
    let (Some(email), Some(name), Some(username)) = (email, name, username) else {
        return Err(ApiError::bad_request(None));
    };
    let mut problems = Vec::new();
    if !email.contains('@') {
        problems.push(("email", "is invalid".to_owned()));
    }
    if !valid_username(&username) {
        problems.push((
            "username",
            "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-' or end in '.', '.git' or '.atom'."
                .to_owned(),
        ));
    }
    if password
        .as_ref()
        .is_some_and(|password| password.chars().count() < 8)
    {
        problems.push((
            "password",
            "is too short (minimum is 8 characters)".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let mut store = app.store();
    if store.user_by_username(&username).is_some() || store.namespace_path_taken(None, &username) {
        return Err(ApiError::conflict("Username has already been taken"));
    }
    if store
        .users
        .values()
        .any(|user| user.email.eq_ignore_ascii_case(&email))
    {
        return Err(ApiError::conflict("Email has already been taken"));
    }
    let id = store.create_user(&username, &name, &email, admin);
    let user = &store.users[&id];
    Ok(created(full_json(&store, user, true, viewer_admin)))
}

const SCOPES: [&str; 8] = [
    "api",
    "read_api",
    "read_user",
    "read_repository",
    "write_repository",
    "sudo",
    "admin_mode",
    "create_runner",
];

/// `POST /users/:id/personal_access_tokens` (admin only): mints a token for a user.
pub(crate) async fn create_token(
    State(app): State<App>,
    Path(id): Path<String>,
    mut request: ApiRequest,
) -> ApiResult {
    request.caller.admin()?;
    let params = &mut request.params;
    let name = params.required_string("name");
    let scopes = params.list("scopes");
    if scopes.as_ref().is_none_or(Vec::is_empty) {
        params.push_error("scopes is missing".to_owned());
    } else if scopes
        .as_ref()
        .is_some_and(|scopes| scopes.iter().any(|scope| !SCOPES.contains(&scope.as_str())))
    {
        params.push_error("scopes does not have a valid value".to_owned());
    }
    let expires_at = params.date("expires_at").flatten();
    params.finish()?;
    let token = app.generate_token();
    let mut store = app.store();
    let user_id = id
        .parse::<u64>()
        .ok()
        .filter(|id| store.users.contains_key(id))
        .ok_or_else(|| ApiError::not_found("User"))?;
    let name = name.unwrap_or_default();
    let scopes = scopes.unwrap_or_default();
    let token_id = store.add_token(&token, &name, user_id, scopes.clone());
    let now = store.clock.now();
    Ok(created(json!({
        "id": token_id,
        "name": name,
        "revoked": false,
        "created_at": timestamp(now),
        "description": null,
        "scopes": scopes,
        "user_id": user_id,
        "last_used_at": null,
        "active": true,
        "expires_at": crate::app::opt_date(expires_at),
        "token": token,
    })))
}
