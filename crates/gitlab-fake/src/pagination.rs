//! GitLab's list pagination. Offset mode answers `x-next-page`, `x-page`, `x-per-page`,
//! `x-prev-page`, `x-total`, `x-total-pages` (empty strings where there is no page) and a
//! `Link` header with `prev`/`next`/`first`/`last` absolute URLs that repeat the request's
//! parameters (including the route's, like GitLab's `id=...`) sorted by name. Keyset mode
//! answers only `Link: <...>; rel="next"`, absent on the last page.

use axum::http::header::LINK;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::params::{CREDENTIAL_PARAMS, Params};

/// Default page size.
pub(crate) const DEFAULT_PER_PAGE: u64 = 20;
/// Largest page size GitLab serves.
pub(crate) const MAX_PER_PAGE: u64 = 100;
/// Above this many results GitLab stops counting (no `x-total`, `x-total-pages`, `last`).
const COUNT_LIMIT: u64 = 10_000;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    /// 1-based page number.
    pub(crate) page: u64,
    /// Items per page (1..=100).
    pub(crate) per_page: u64,
}

impl PageRequest {
    /// Reads `page` and `per_page` (0 or absent means the default; above 100 is clamped).
    pub(crate) fn read(params: &mut Params) -> Self {
        let page = params.u64("page").filter(|page| *page > 0).unwrap_or(1);
        let per_page = match params.u64("per_page") {
            None | Some(0) => DEFAULT_PER_PAGE,
            Some(size) => size.min(MAX_PER_PAGE),
        };
        PageRequest { page, per_page }
    }
}

/// What `Link` URLs are built from.
#[derive(Debug, Clone)]
pub(crate) struct LinkBase {
    url: String,
    pairs: Vec<(String, String)>,
}

impl LinkBase {
    /// `base_url` + request `path`, the request's query and the route parameters.
    pub(crate) fn new(
        base_url: &str,
        path: &str,
        params: &Params,
        route: &[(&str, String)],
    ) -> Self {
        let mut pairs: Vec<(String, String)> = route
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect();
        for (key, value) in params.query_pairs() {
            let is_route = route.iter().any(|(name, _)| name == key);
            if !is_route && !CREDENTIAL_PARAMS.contains(&key.as_str()) {
                pairs.push((key.clone(), value.clone()));
            }
        }
        LinkBase {
            url: format!("{base_url}{path}"),
            pairs,
        }
    }

    /// The URL with `replace` set (other pairs of those names dropped), keys sorted.
    pub(crate) fn url_with(&self, drop: &[&str], replace: &[(&str, String)]) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(key, _)| {
                !drop.contains(&key.as_str()) && !replace.iter().any(|(name, _)| name == key)
            })
            .cloned()
            .collect();
        pairs.extend(
            replace
                .iter()
                .map(|(key, value)| ((*key).to_owned(), value.clone())),
        );
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{}", self.url, query)
    }
}

fn header(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(name, value);
    }
}

/// Answers one offset page of `items` with GitLab's pagination headers; only the items
/// on the page are rendered.
pub(crate) fn offset<T>(
    items: &[T],
    page: PageRequest,
    link: &LinkBase,
    render: impl Fn(&T) -> Value,
) -> Response {
    let total = items.len() as u64;
    let PageRequest { page, per_page } = page;
    let total_pages = total.div_ceil(per_page).max(1);
    let counted = total <= COUNT_LIMIT;
    let start = (page - 1).saturating_mul(per_page);
    let slice: Vec<Value> = items
        .iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(per_page as usize)
        .map(render)
        .collect();
    let has_next = start.saturating_add(per_page) < total;

    let mut headers = HeaderMap::new();
    let next = if has_next {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let prev = if page > 1 {
        (page - 1).to_string()
    } else {
        String::new()
    };
    header(&mut headers, "x-next-page", next);
    header(&mut headers, "x-page", page.to_string());
    header(&mut headers, "x-per-page", per_page.to_string());
    header(&mut headers, "x-prev-page", prev);
    if counted {
        header(&mut headers, "x-total", total.to_string());
        header(&mut headers, "x-total-pages", total_pages.to_string());
    }

    let url = |number: u64| {
        link.url_with(
            &[],
            &[
                ("page", number.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", url(page - 1)));
    }
    if has_next {
        links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
    }
    links.push(format!("<{}>; rel=\"first\"", url(1)));
    if counted {
        links.push(format!("<{}>; rel=\"last\"", url(total_pages)));
    }
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert(LINK, value);
    }
    (StatusCode::OK, headers, axum::Json(Value::Array(slice))).into_response()
}

/// Answers one keyset page: `next_url` (if any) becomes `Link: <next_url>; rel="next"`.
pub(crate) fn keyset(items: Vec<Value>, next_url: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(url) = next_url
        && let Ok(value) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\""))
    {
        headers.insert(LINK, value);
    }
    (StatusCode::OK, headers, axum::Json(Value::Array(items))).into_response()
}
