//! Request parameters as GitLab (Grape) sees them: query string and body merged, the body
//! either JSON or `application/x-www-form-urlencoded`, `name[]` keys collected into arrays,
//! and values coerced per parameter with Grape's error wording (`x is invalid`,
//! `x is missing`, `x does not have a valid value`), all problems reported at once.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use crate::error::ApiError;

/// Query parameters that carry credentials and are never echoed back (e.g. in `Link`).
pub(crate) const CREDENTIAL_PARAMS: [&str; 3] = ["private_token", "access_token", "job_token"];

/// The merged parameters of one request, plus the problems found while reading them.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: BTreeMap<String, Value>,
    query: Vec<(String, String)>,
    errors: Vec<String>,
}

impl Params {
    /// Reads the query string and body; the body wins over the query for the same name.
    pub(crate) fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, ApiError> {
        let mut params = Params::default();
        if let Some(query) = query {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
                .map_err(|_| ApiError::bad_request(Some("malformed query string")))?;
            for (key, value) in &pairs {
                params.insert_form(key, value);
            }
            params.query = pairs;
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        let is_json = content_type
            .map(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            .unwrap_or(false);
        if is_json {
            let value: Value = serde_json::from_slice(body)
                .map_err(|_| ApiError::bad_request(Some("the body is not valid JSON")))?;
            let Value::Object(object) = value else {
                return Err(ApiError::bad_request(Some(
                    "the JSON body must be an object",
                )));
            };
            for (key, value) in object {
                let key = key.strip_suffix("[]").map(str::to_owned).unwrap_or(key);
                params.values.insert(key, value);
            }
        } else {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|_| ApiError::bad_request(Some("malformed form body")))?;
            let mut arrays_seen: Vec<String> = Vec::new();
            for (key, value) in &pairs {
                // A body array replaces a query array of the same name rather than extending it.
                if let Some(base) = key.strip_suffix("[]")
                    && !arrays_seen.iter().any(|seen| seen == base)
                {
                    arrays_seen.push(base.to_owned());
                    params.values.remove(base);
                }
                params.insert_form(key, value);
            }
        }
        Ok(params)
    }

    fn insert_form(&mut self, key: &str, value: &str) {
        let value = Value::String(value.to_owned());
        match key.strip_suffix("[]") {
            Some(base) => {
                let entry = self
                    .values
                    .entry(base.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                match entry {
                    Value::Array(items) => items.push(value),
                    other => *other = Value::Array(vec![value]),
                }
            }
            None => {
                self.values.insert(key.to_owned(), value);
            }
        }
    }

    /// The query string pairs as received, for building `Link` headers.
    pub(crate) fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// Whether the parameter was sent at all (even empty or null).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Removes a parameter (used for `sudo` and credentials once consumed).
    pub(crate) fn take(&mut self, key: &str) -> Option<String> {
        let value = self.string(key);
        self.values.remove(key);
        value
    }

    /// A scalar parameter as text; arrays, objects and `null` give `None`.
    pub(crate) fn string(&self, key: &str) -> Option<String> {
        match self.values.get(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// A required text parameter: records `key is missing` when absent.
    pub(crate) fn required_string(&mut self, key: &str) -> Option<String> {
        let value = self.string(key);
        if value.is_none() {
            self.errors.push(format!("{key} is missing"));
        }
        value
    }

    /// Records a problem found by a handler so that it is reported with the others.
    pub(crate) fn push_error(&mut self, error: String) {
        self.errors.push(error);
    }

    /// A boolean parameter with Grape's accepted spellings; anything else is `key is invalid`.
    pub(crate) fn bool(&mut self, key: &str) -> Option<bool> {
        let parsed = match self.values.get(key)? {
            Value::Bool(flag) => Some(*flag),
            Value::Null => return None,
            Value::Number(number) => match number.as_u64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(text) if text.is_empty() => return None,
            Value::String(text) => parse_bool(text),
            _ => None,
        };
        if parsed.is_none() {
            self.errors.push(format!("{key} is invalid"));
        }
        parsed
    }

    /// A non-negative integer parameter; anything else is `key is invalid`.
    pub(crate) fn u64(&mut self, key: &str) -> Option<u64> {
        self.nullable_u64(key).flatten()
    }

    /// An integer parameter that may be sent empty or `null` to clear a value:
    /// `None` when absent, `Some(None)` when cleared.
    pub(crate) fn nullable_u64(&mut self, key: &str) -> Option<Option<u64>> {
        let parsed = match self.values.get(key)? {
            Value::Null => return Some(None),
            Value::Number(number) => number.as_u64(),
            Value::String(text) if text.trim().is_empty() => return Some(None),
            Value::String(text) => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.errors.push(format!("{key} is invalid"));
            return None;
        }
        Some(parsed)
    }

    /// A date parameter (`YYYY-MM-DD`); empty or `null` clears: `Some(None)`.
    pub(crate) fn date(&mut self, key: &str) -> Option<Option<NaiveDate>> {
        let parsed = match self.values.get(key)? {
            Value::Null => return Some(None),
            Value::String(text) if text.trim().is_empty() => return Some(None),
            Value::String(text) => parse_date(text.trim()),
            _ => None,
        };
        if parsed.is_none() {
            self.errors.push(format!("{key} is invalid"));
            return None;
        }
        Some(parsed)
    }

    /// A date-time parameter (ISO 8601; a bare date means midnight UTC).
    pub(crate) fn datetime(&mut self, key: &str) -> Option<DateTime<Utc>> {
        let parsed = match self.values.get(key)? {
            Value::String(text) => parse_datetime(text.trim()),
            Value::Null => return None,
            _ => None,
        };
        if parsed.is_none() {
            self.errors.push(format!("{key} is invalid"));
        }
        parsed
    }

    /// A parameter restricted to some values; others give `key does not have a valid value`.
    pub(crate) fn choice(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(key)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.errors
                .push(format!("{key} does not have a valid value"));
            None
        }
    }

    /// A list parameter: a JSON/`[]` array, or a comma-separated string (blank items dropped).
    pub(crate) fn list(&self, key: &str) -> Option<Vec<String>> {
        let items = match self.values.get(key)? {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match item {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
                .flat_map(|text| split_commas(&text))
                .collect(),
            Value::String(text) => split_commas(text),
            Value::Number(number) => vec![number.to_string()],
            Value::Null => Vec::new(),
            _ => Vec::new(),
        };
        Some(items)
    }

    /// A list of ids (array or comma-separated); a non-integer item is `key is invalid`.
    pub(crate) fn u64_list(&mut self, key: &str) -> Option<Vec<u64>> {
        let items = self.list(key)?;
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            match item.parse::<u64>() {
                Ok(id) => ids.push(id),
                Err(_) => {
                    self.errors.push(format!("{key} is invalid"));
                    return None;
                }
            }
        }
        Some(ids)
    }

    /// Fails with every recorded problem, joined like Grape does.
    pub(crate) fn finish(&mut self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::params(&std::mem::take(&mut self.errors)))
        }
    }
}

fn split_commas(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Grape's boolean spellings.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD`, also accepting a date-time whose date part is that.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    let (date, rest) = text.split_at_checked(10)?;
    if rest.starts_with('T') || rest.starts_with(' ') {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
    } else {
        None
    }
}

/// ISO 8601 date-time; without a zone it is UTC; a bare date is midnight UTC.
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_arrays_and_commas_are_lists() {
        let params = Params::parse(
            None,
            Some("application/x-www-form-urlencoded"),
            b"labels=a%2Cb&assignee_ids%5B%5D=3&assignee_ids%5B%5D=4",
        )
        .unwrap();
        assert_eq!(params.list("labels").unwrap(), vec!["a", "b"]);
        assert_eq!(params.list("assignee_ids").unwrap(), vec!["3", "4"]);
    }

    #[test]
    fn json_body_wins_over_query() {
        let params = Params::parse(
            Some("title=from-query&state=opened"),
            Some("application/json"),
            br#"{"title": "from-body", "confidential": true}"#,
        )
        .unwrap();
        assert_eq!(params.string("title").unwrap(), "from-body");
        assert_eq!(params.string("state").unwrap(), "opened");
    }

    #[test]
    fn bad_types_are_reported_together() {
        let mut params =
            Params::parse(Some("confidential=maybe&due_date=notadate"), None, b"").unwrap();
        assert_eq!(params.bool("confidential"), None);
        assert_eq!(params.date("due_date"), None);
        let error = params.finish().unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn dates_accept_iso_forms() {
        assert_eq!(
            parse_date("2026-11-20"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert_eq!(
            parse_date("2026-11-20T10:00:00Z"),
            NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert_eq!(parse_date("notadate"), None);
        assert!(parse_datetime("2026-11-20T10:00:00.000Z").is_some());
        assert!(parse_datetime("2026-11-20").is_some());
    }
}
