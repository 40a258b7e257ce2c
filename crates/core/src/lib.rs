//! The domain of teamcadence: which milestone is next, who works which days, who is away and
//! who covers for them, and what each recurring issue should say.
//!
//! Everything here is a pure function of the configuration, the calendar and the facts a
//! caller hands in. This crate must not do I/O: no network, no GitLab types, no reading files
//! (files the configuration names are read through the [`config::SourceFiles`] port), so the
//! whole planning logic is testable without a server.

pub mod absence;
pub mod apply;
pub mod calendar;
pub mod config;
pub mod defaults;
pub mod ics;
pub mod jobs;
pub mod left_out;
pub mod limits;
pub mod mermaid;
pub mod milestone;
pub mod neutralise;
pub mod plan;
pub mod record;
pub mod rituals;
pub mod run_lock;
pub mod team;
pub mod template;
pub mod time_off;
pub mod tracker;

pub use calendar::{Calendars, Holidays, WorkingCalendar};
pub use config::{Config, ConfigError};
pub use milestone::{Milestone, MilestoneSource, ReleaseCalendar};
pub use plan::{Action, IssuePlan, JobReport};
pub use time_off::TimeOff;
