//! A faithful, stateful, in-memory fake of the parts of GitLab's REST API v4 that
//! teamcadence uses (users and statuses, groups, projects, labels, milestones, iterations,
//! issues with quick actions, notes, issue links, repository files, generic packages, CI
//! job tokens) and of its GraphQL API (users in bulk), for end-to-end tests and benchmarks
//! where a real GitLab cannot run.
//!
//! It answers like GitLab's documentation says: the same JSON shapes, error bodies,
//! pagination headers, token kinds and visibility rules (an invisible project is a 404).
//! It can also misbehave on purpose, deterministically from a seed: latency, 5xx answers,
//! lost responses to stored writes, and GitLab's 429 throttle. It must never listen on a
//! non-loopback address and never log a token.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use gitlab_fake::{FakeGitlab, Options};
//! let fake = FakeGitlab::start(Options::new("admin-token")).await?;
//! println!("{}", fake.base_url());
//! fake.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod app;
mod auth;
mod control;
mod error;
mod faults;
mod files;
mod graphql;
mod groups;
mod issues;
mod iterations;
mod jobs;
mod labels;
mod links;
mod merge_requests;
mod milestones;
mod notes;
mod packages;
mod pagination;
mod params;
mod projects;
mod quick_actions;
mod seed;
mod server;
pub mod store;
mod users;

pub use faults::{Conditions, FaultEvent};
pub use seed::{
    Seed, SeedError, SeedGroup, SeedIssue, SeedIteration, SeedJobToken, SeedLabel, SeedMilestone,
    SeedProject, SeedStatus, SeedToken, SeedUser,
};
pub use server::{FakeGitlab, Options, StateHandle};
