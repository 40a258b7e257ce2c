//! Test-only endpoints under `/__fake` (never faulted, throttled or authenticated; the
//! server only listens on loopback): conditions, request counters, the fault log and the
//! clock.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::app::{App, ok, opt_timestamp, timestamp};
use crate::error::ApiError;
use crate::faults::ConditionsPatch;

fn bad_body(problem: impl std::fmt::Display) -> Response {
    ApiError::bad_request_text(format!("invalid /__fake request body: {problem}")).into_response()
}

/// `GET /__fake/conditions`.
pub(crate) async fn conditions(State(app): State<App>) -> Response {
    ok(json!(app.0.faults.conditions()))
}

/// `PUT /__fake/conditions`: partial update, e.g. `{"fail_rate": 0.2, "rng_seed": 7}`.
pub(crate) async fn set_conditions(State(app): State<App>, body: Bytes) -> Response {
    let patch: ConditionsPatch = match serde_json::from_slice(&body) {
        Ok(patch) => patch,
        Err(error) => return bad_body(error),
    };
    match app.0.faults.patch(patch) {
        Ok(conditions) => ok(json!(conditions)),
        Err(problem) => bad_body(problem),
    }
}

/// `GET /__fake/requests`: request counts by `METHOD /api/v4/route/:param`.
pub(crate) async fn requests(State(app): State<App>) -> Response {
    let counters = app
        .0
        .counters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    ok(json!(counters))
}

/// `POST /__fake/reset-counters`.
pub(crate) async fn reset_counters(State(app): State<App>) -> Response {
    app.0
        .counters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    app.0
        .peak_in_flight
        .store(0, std::sync::atomic::Ordering::SeqCst);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /__fake/faults`: the injected faults, in order.
pub(crate) async fn fault_log(State(app): State<App>) -> Response {
    ok(json!(app.0.faults.log()))
}

fn clock_json(app: &App) -> serde_json::Value {
    let store = app.store();
    json!({
        "now": timestamp(store.clock.now()),
        "frozen_at": opt_timestamp(store.clock.fixed()),
    })
}

/// `GET /__fake/clock`.
pub(crate) async fn clock(State(app): State<App>) -> Response {
    ok(clock_json(&app))
}

/// `PUT /__fake/clock`: `{"now": "2026-11-20T10:00:00Z"}`, `{"now": null}` or `{"advance_secs": 60}`.
pub(crate) async fn set_clock(State(app): State<App>, body: Bytes) -> Response {
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return bad_body(error),
    };
    let now = match request.get("now") {
        None => None,
        Some(serde_json::Value::Null) => Some(None),
        Some(serde_json::Value::String(text)) => match DateTime::parse_from_rfc3339(text) {
            Ok(time) => Some(Some(time.with_timezone(&Utc))),
            Err(error) => return bad_body(format!("`now` is not an RFC 3339 time ({error})")),
        },
        Some(_) => return bad_body("`now` must be an RFC 3339 string or null"),
    };
    let advance = match request.get("advance_secs") {
        None => None,
        Some(value) => match value.as_i64() {
            Some(seconds) => Some(seconds),
            None => return bad_body("`advance_secs` must be an integer"),
        },
    };
    {
        let mut store = app.store();
        if let Some(now) = now {
            store.clock.set(now);
        }
        if let Some(seconds) = advance {
            let base = store.clock.now();
            store.clock.set(Some(base + Duration::seconds(seconds)));
        }
    }
    ok(clock_json(&app))
}
