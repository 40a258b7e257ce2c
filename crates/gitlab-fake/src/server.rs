//! Starting and stopping the fake: the route table, a loopback-only listener, and an accept
//! loop that serves each connection itself so that a lost response can really close the
//! connection without a byte of answer.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::app::{App, Shared};
use crate::error::ApiError;
use crate::faults::{Conditions, FaultEvent, Faults};
use crate::seed::Seed;
use crate::store::Store;
use crate::{
    control, faults, files, graphql, groups, issues, iterations, jobs, labels, links,
    merge_requests, milestones, notes, packages, projects, users,
};

/// How to start a fake GitLab.
#[derive(Clone)]
pub struct Options {
    /// Address to bind; must be loopback. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Token of the built-in administrator `root` (scopes `api` and `sudo`).
    pub admin_token: String,
    /// Users, groups, projects, files, milestones, iterations, issues and tokens to start with.
    pub seed: Option<Seed>,
    /// Injected latency, failures, lost responses and rate limits.
    pub conditions: Conditions,
    /// Seed of the fault sequence and of generated tokens.
    pub rng_seed: u64,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("listen", &self.listen)
            .field("admin_token", &"[redacted]")
            .field("seed", &self.seed)
            .field("conditions", &self.conditions)
            .field("rng_seed", &self.rng_seed)
            .finish()
    }
}

impl Options {
    /// Options for a server on `127.0.0.1:0` with the given admin token and nothing else.
    pub fn new(admin_token: impl Into<String>) -> Self {
        Options {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin_token: admin_token.into(),
            seed: None,
            conditions: Conditions::default(),
            rng_seed: 0,
        }
    }
}

/// A running fake GitLab.
#[derive(Debug)]
pub struct FakeGitlab {
    base_url: String,
    state: StateHandle,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FakeGitlab {
    /// Binds the listener, applies the seed and starts serving in the background.
    pub async fn start(options: Options) -> io::Result<FakeGitlab> {
        if !options.listen.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to listen on {}: the fake GitLab only binds loopback addresses (127.0.0.1, ::1) because it accepts well-known test tokens",
                    options.listen
                ),
            ));
        }
        if options.admin_token.trim().is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the admin token is empty: pass a non-empty token (--token)",
            ));
        }
        options
            .conditions
            .validate()
            .map_err(|problem| io::Error::new(io::ErrorKind::InvalidInput, problem))?;
        let listener = TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let base_url = match address {
            SocketAddr::V4(v4) => format!("http://{}:{}", v4.ip(), v4.port()),
            SocketAddr::V6(v6) => format!("http://[{}]:{}", v6.ip(), v6.port()),
        };

        let mut store = Store::new(base_url.clone());
        let root = store.create_user("root", "Administrator", "admin@example.com", true);
        store.add_token(
            &options.admin_token,
            "admin",
            root,
            vec!["api".to_owned(), "sudo".to_owned()],
        );
        if let Some(seed) = &options.seed {
            seed.apply(&mut store)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
        }

        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: Faults::new(options.conditions.clone(), options.rng_seed),
            counters: Mutex::new(BTreeMap::new()),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            token_rng: Mutex::new(fastrand::Rng::with_seed(options.rng_seed ^ 0x5eed_70c3)),
        });
        let app = App(shared.clone());
        let router = router(app);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, router, stopped));
        Ok(FakeGitlab {
            base_url,
            state: StateHandle { shared },
            stop,
            task: Some(task),
        })
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:41233` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// `host:port`, the form `gitlab::GitlabBuilder::new` takes.
    pub fn host(&self) -> String {
        self.base_url.trim_start_matches("http://").to_owned()
    }

    /// A handle to inspect and steer the state directly from tests.
    pub fn state(&self) -> StateHandle {
        self.state.clone()
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeGitlab {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Direct access to a running fake's state, for assertions and setup in tests.
#[derive(Debug, Clone)]
pub struct StateHandle {
    shared: Arc<Shared>,
}

impl StateHandle {
    /// Locks the store to read (or, carefully, change) GitLab's data.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Requests seen since start (or the last reset), by `METHOD /api/v4/route/:param`.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the request counters (and the peak of requests in flight).
    pub fn reset_counters(&self) {
        self.shared
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.shared.peak_in_flight.store(0, Ordering::SeqCst);
    }

    /// The most API requests handled at once since start (or the last reset): one for a
    /// client that waits for each answer before it asks again.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }

    /// The conditions in force.
    pub fn conditions(&self) -> Conditions {
        self.shared.faults.conditions()
    }

    /// Replaces the conditions; fails if a rate is not a probability or the window is 0.
    pub fn set_conditions(&self, conditions: Conditions) -> Result<(), String> {
        self.shared.faults.set_conditions(conditions)
    }

    /// Restarts the fault sequence from `seed` and clears the fault log.
    pub fn reseed(&self, seed: u64) {
        self.shared.faults.reseed(seed);
    }

    /// The faults injected so far, in order.
    pub fn fault_log(&self) -> Vec<FaultEvent> {
        self.shared.faults.log()
    }

    /// Freezes the clock at `time` (`None` returns to wall time).
    pub fn set_clock(&self, time: Option<chrono::DateTime<chrono::Utc>>) {
        self.store().clock.set(time);
    }
}

/// Per-connection context every request carries, so a handler can drop its connection.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// The client's address.
    pub(crate) peer: SocketAddr,
    close: Arc<Notify>,
}

impl Connection {
    /// Closes the connection without answering the request in flight.
    pub(crate) fn close(&self) {
        self.close.notify_one();
    }
}

async fn serve(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let router = router.clone();
                connections.spawn(serve_connection(stream, peer, router));
            }
        }
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(stream: tokio::net::TcpStream, peer: SocketAddr, router: Router) {
    let connection = Connection {
        peer,
        close: Arc::new(Notify::new()),
    };
    let close = connection.close.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(connection.clone());
        let router = router.clone();
        async move {
            let response: Result<Response, Infallible> =
                router.oneshot(request.map(Body::new)).await;
            response
        }
    });
    let serving = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = serving => {}
        _ = close.notified() => {}
    }
}

async fn no_route() -> Response {
    ApiError::no_route().into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::message(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "405 Method Not Allowed",
    )
    .into_response()
}

/// The route table: GitLab's paths under `/api/v4`, and the test-only `/__fake` endpoints.
fn router(app: App) -> Router {
    let api = Router::new()
        .route("/api/graphql", post(graphql::execute))
        .route("/api/v4/user", get(users::current))
        .route(
            "/api/v4/user/status",
            get(users::own_status).put(users::set_status),
        )
        .route("/api/v4/job", get(jobs::current))
        .route("/api/v4/users", get(users::list).post(users::create))
        .route("/api/v4/users/{id}", get(users::show))
        .route("/api/v4/users/{id}/status", get(users::status))
        .route(
            "/api/v4/users/{id}/personal_access_tokens",
            post(users::create_token),
        )
        .route("/api/v4/merge_requests", get(merge_requests::list))
        .route("/api/v4/groups", post(groups::create))
        .route("/api/v4/groups/{id}", get(groups::show))
        .route("/api/v4/groups/{id}/members", post(groups::add_member))
        .route(
            "/api/v4/groups/{id}/milestones",
            get(milestones::list_group).post(milestones::create_group),
        )
        .route(
            "/api/v4/groups/{id}/milestones/{milestone_id}",
            get(milestones::show_group).put(milestones::update_group),
        )
        .route("/api/v4/groups/{id}/issues", get(issues::list_group))
        .route(
            "/api/v4/groups/{id}/iterations",
            get(iterations::list).post(iterations::create),
        )
        .route("/api/v4/projects", post(projects::create))
        .route("/api/v4/projects/{id}", get(projects::show))
        .route("/api/v4/projects/{id}/members", post(projects::add_member))
        .route(
            "/api/v4/projects/{id}/labels",
            get(labels::list).post(labels::create),
        )
        .route(
            "/api/v4/projects/{id}/labels/{label_id}",
            get(labels::show).delete(labels::delete),
        )
        .route(
            "/api/v4/projects/{id}/milestones",
            get(milestones::list_project).post(milestones::create_project),
        )
        .route(
            "/api/v4/projects/{id}/milestones/{milestone_id}",
            get(milestones::show_project).put(milestones::update_project),
        )
        .route(
            "/api/v4/projects/{id}/issues",
            get(issues::list).post(issues::create),
        )
        .route(
            "/api/v4/projects/{id}/issues/{issue_iid}",
            get(issues::show).put(issues::update),
        )
        .route(
            "/api/v4/projects/{id}/issues/{issue_iid}/notes",
            get(notes::list).post(notes::create),
        )
        .route(
            "/api/v4/projects/{id}/issues/{issue_iid}/notes/{note_id}",
            delete(notes::delete),
        )
        .route(
            "/api/v4/projects/{id}/issues/{issue_iid}/links",
            get(links::list).post(links::create),
        )
        .route(
            "/api/v4/projects/{id}/repository/files/{file_path}/raw",
            get(files::raw),
        )
        .route(
            "/api/v4/projects/{id}/repository/files/{file_path}",
            get(files::show).post(files::create).put(files::update),
        )
        // The upload handler reads its body itself, up to `packages::UPLOAD_LIMIT` (200 MiB):
        // axum's 2 MB `DefaultBodyLimit` only binds body extractors, which it does not use.
        .route(
            "/api/v4/projects/{id}/packages/generic/{package_name}/{package_version}/{file_name}",
            get(packages::download).put(packages::upload),
        )
        .route(
            "/__fake/conditions",
            get(control::conditions).put(control::set_conditions),
        )
        .route("/__fake/requests", get(control::requests))
        .route("/__fake/reset-counters", post(control::reset_counters))
        .route("/__fake/faults", get(control::fault_log))
        .route("/__fake/clock", get(control::clock).put(control::set_clock))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed);
    api.layer(axum::middleware::from_fn_with_state(
        app.clone(),
        faults::guard,
    ))
    .with_state(app)
}
