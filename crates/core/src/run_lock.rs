//! A run lock per project and job that GitLab arbitrates, so that overlapping runs of one job
//! (a scheduled run and a manual one, a re-run started while the first still writes) take
//! turns writing instead of each creating the same issues and posting the same notes.
//!
//! The lock is a project label named after the job's kind label
//! (`teamcadence::pto::run-lock`). GitLab creates a label atomically: a second creator of the
//! same name gets `409 Label already exists`, so exactly one run holds the lock. Its
//! description says until when it holds, so the lock of a run that was killed lapses; the run
//! that holds it deletes it (by id) when it is done. A run that finds the lock held waits a
//! bounded time, then gives up on that project, writing nothing there, and says that a re-run
//! will finish. Dry runs take no lock: they write nothing.
//!
//! Why a lock rather than re-checking each key right before creating it: a re-check costs a
//! request per created issue and still leaves a window between the check and the create (runs
//! started together check at the same moment), while the lock costs two requests per project
//! and run (create and delete the label) and closes the window: the run holding it lists the
//! issues and notes after the previous holder finished, so it sees every issue and note that
//! run wrote. Runs that overlap therefore create no extra issue at all and never post a note
//! twice, as long as each run finishes within [`LockSettings::lapse_after`]. The check for
//! duplicates after creating (in [`crate::apply`]) stays as the safety net for a lock that
//! lapsed, or a tracker that refuses to create labels (then the run goes on unlocked and says
//! so).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::tracker::{IssueTracker, TrackedLabel, TrackerError};

/// The first pause before asking again for a held lock; pauses double up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// The longest pause between two attempts at a held lock.
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// Attempts that do not pause (the lock was released or lapsed just then, or the answer to
/// creating it was lost) before a run gives up: each one means another run is busy with it.
const MAX_QUICK_RETRIES: u32 = 8;
/// The words before the expiry in a lock's description.
const HELD_UNTIL: &str = "held until ";

/// How long a run waits for another run's lock, and how long its own lock lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockSettings {
    /// How long to wait for another run's lock before giving up on the project.
    pub wait: Duration,
    /// How long a lock holds when its run never deletes it (the job was killed): it must be
    /// longer than any run takes, or a run still writing loses its lock to the next.
    pub lapse_after: TimeDelta,
}

impl Default for LockSettings {
    /// Two minutes of waiting (a run of a few dozen issues takes seconds), and a lapse after
    /// an hour, GitLab's default job timeout, so a killed job blocks re-runs no longer than
    /// a job can run.
    fn default() -> Self {
        LockSettings {
            wait: Duration::from_secs(120),
            lapse_after: TimeDelta::hours(1),
        }
    }
}

/// What a run got when it asked for the lock.
#[derive(Debug)]
pub enum Claim {
    /// The run holds the lock and may write.
    Held(RunLock),
    /// The tracker refused to create the lock label (the token may not manage labels): the
    /// run goes on unlocked, with this warning.
    Unlocked(String),
}

/// A lock this run holds; [`RunLock::release`] deletes it.
#[derive(Debug)]
pub struct RunLock {
    project: String,
    label: TrackedLabel,
    /// Warnings for the report: a lapsed lock of another run that was taken over.
    pub warnings: Vec<String>,
}

/// The name of the lock label of a job's runs, from its kind label.
pub fn lock_name(kind_label: &str) -> String {
    format!("{kind_label}::run-lock")
}

/// The lock label's description: who holds it, until when (to the nanosecond, so that it
/// also tells this run's lock from another's), and what a person may do with it.
fn description(kind_label: &str, until: DateTime<Utc>) -> String {
    format!(
        "teamcadence run lock: {HELD_UNTIL}{} by a run writing {kind_label} issues, and deleted \
         when that run ends. Delete it by hand only if no such run is going.",
        until.to_rfc3339_opts(SecondsFormat::Nanos, true)
    )
}

/// Until when a lock label holds; `None` for a description that does not say (not made by
/// teamcadence, or edited): such a lock is not trusted to be held.
fn held_until(label: &TrackedLabel) -> Option<DateTime<Utc>> {
    let (_, rest) = label.description.split_once(HELD_UNTIL)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Takes the lock of `kind_label`'s runs in `project`, waiting up to `settings.wait` for
/// another run that holds it. `Err` says why the run may not write to the project (another
/// run kept the lock, or GitLab could not be asked): nothing was written there.
pub async fn claim<T: IssueTracker>(
    tracker: &T,
    project: &str,
    kind_label: &str,
    settings: &LockSettings,
) -> Result<Claim, String> {
    let name = lock_name(kind_label);
    let started = tracker.current_time();
    let mut pause = FIRST_PAUSE;
    let mut quick_retries = 0;
    let mut warnings = Vec::new();
    // The other run's lock as last read, to know when it lapses without reading it each time.
    let mut holder: Option<(TrackedLabel, Option<DateTime<Utc>>)> = None;
    // Rounds are bounded by the wait (each pauses at least FIRST_PAUSE) and by the quick retries.
    let rounds =
        settings.wait.as_millis() / FIRST_PAUSE.as_millis() + u128::from(MAX_QUICK_RETRIES) + 1;
    for _ in 0..rounds {
        let now = tracker.current_time();
        let mine = description(kind_label, now + settings.lapse_after);
        match tracker.create_label(project, &name, &mine).await {
            Ok(Some(label)) => return Ok(Claim::Held(RunLock::new(project, label, warnings))),
            Ok(None) => {}
            Err(TrackerError::Uncertain(_)) => {
                // The label may have been made: it is this run's if it carries its description.
                match find(tracker, project, &name).await? {
                    Some(label) if label.description == mine => {
                        return Ok(Claim::Held(RunLock::new(project, label, warnings)));
                    }
                    Some(_) => {}
                    None if quick_retry(&mut quick_retries) => continue,
                    None => break,
                }
            }
            Err(TrackerError::Forbidden(e) | TrackerError::Invalid(e)) => {
                return Ok(Claim::Unlocked(format!(
                    "{project}: could not take the run lock (the label `{name}`: {e}), so this \
                     run wrote without it; runs that overlap may then create an issue twice \
                     and close the newer one. Let the token manage labels to avoid that"
                )));
            }
            Err(e) => {
                return Err(format!(
                    "could not take the run lock of {project} (the label `{name}`): {e}; \
                     nothing was written there, re-run to finish"
                ));
            }
        }
        // Another run holds it. Read its lock when first met and whenever the one read has
        // lapsed (it may have been replaced by a fresh one).
        let lapsed = holder
            .as_ref()
            .is_none_or(|(_, until)| until.is_none_or(|until| until <= now));
        if lapsed {
            match find(tracker, project, &name).await? {
                // Deleted since: its run ended. Ask again at once.
                None if quick_retry(&mut quick_retries) => {
                    holder = None;
                    continue;
                }
                None => break,
                Some(label) => {
                    let until = held_until(&label);
                    if until.is_none_or(|until| until <= now) {
                        // A run that was killed, or a label that does not say until when:
                        // delete that very label (by id: a fresh lock made meanwhile has
                        // another) and ask again.
                        tracker.delete_label(project, label.id).await.map_err(|e| {
                            format!(
                                "could not delete the lapsed run lock of {project} (the \
                                 label `{name}`): {e}; nothing was written there: delete the \
                                 label and re-run"
                            )
                        })?;
                        warnings.push(format!(
                            "{project}: took over the run lock `{name}`, which {}; the run that \
                             held it did not end normally",
                            match until {
                                Some(until) => format!("lapsed at {until}"),
                                None => "did not say until when it holds".to_owned(),
                            }
                        ));
                        holder = None;
                        if quick_retry(&mut quick_retries) {
                            continue;
                        }
                        break;
                    }
                    holder = Some((label, until));
                }
            }
        }
        if tracker.current_time() - started
            >= TimeDelta::from_std(settings.wait).unwrap_or(TimeDelta::MAX)
        {
            break;
        }
        tracker.sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    let until = holder
        .and_then(|(_, until)| until)
        .map(|until| format!(" until {until}"))
        .unwrap_or_default();
    Err(format!(
        "another run of this job is writing to {project} (it holds the label `{name}`{until}); \
         this run waited {} s for it and wrote nothing there: re-run when it is done to finish, \
         or delete that label if no run is going",
        (tracker.current_time() - started).num_seconds()
    ))
}

/// Counts a retry that does not pause; `false` once there were too many.
fn quick_retry(count: &mut u32) -> bool {
    *count += 1;
    *count <= MAX_QUICK_RETRIES
}

/// The lock label, if there is one; a failure to read it is the run's failure on the project.
async fn find<T: IssueTracker>(
    tracker: &T,
    project: &str,
    name: &str,
) -> Result<Option<TrackedLabel>, String> {
    tracker.find_label(project, name).await.map_err(|e| {
        format!(
            "could not read the run lock of {project} (the label `{name}`): {e}; nothing was \
             written there, re-run to finish"
        )
    })
}

impl RunLock {
    fn new(project: &str, label: TrackedLabel, warnings: Vec<String>) -> Self {
        RunLock {
            project: project.to_owned(),
            label,
            warnings,
        }
    }

    /// Deletes the lock, so the next run need not wait. `Err` is a warning: the lock lapses
    /// by itself.
    pub async fn release<T: IssueTracker>(self, tracker: &T) -> Result<(), String> {
        tracker
            .delete_label(&self.project, self.label.id)
            .await
            .map_err(|e| {
                let until = held_until(&self.label)
                    .map(|until| format!(" at {until}"))
                    .unwrap_or_default();
                format!(
                    "{}: could not delete the run lock `{}` ({e}); it lapses{until}, and runs \
                     until then wait for it: delete the label to let them go on",
                    self.project, self.label.name
                )
            })
    }
}
