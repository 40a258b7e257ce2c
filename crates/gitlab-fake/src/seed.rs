//! The `--seed` file: users (with tokens), groups, projects (members, labels, files),
//! milestones, iterations, issues and CI job tokens to start with, in YAML or JSON.
//! Everything refers to users by username and to groups and projects by full path; the
//! seed is checked as it is applied and every problem names the record and what to fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::store::{
    Issue, IssueState, MilestoneState, Namespace, Owner, Store, UserStatus, Visibility, access,
};

/// Why a seed could not be loaded or applied.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("could not read the seed file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML/JSON or does not match the seed format.
    #[error(
        "the seed file {path} is not a valid seed: {message} (see the crate README for the format)"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A record refers to something missing or holds an impossible value.
    #[error("seed: {0}")]
    Invalid(String),
}

/// Everything a fake GitLab starts with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Freezes the clock at this instant before anything is created.
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    /// Users (the admin `root` always exists with the `--token` token).
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Groups, parents before children.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Projects.
    #[serde(default)]
    pub projects: Vec<SeedProject>,
    /// Project or group milestones.
    #[serde(default)]
    pub milestones: Vec<SeedMilestone>,
    /// Group iterations.
    #[serde(default)]
    pub iterations: Vec<SeedIteration>,
    /// Issues.
    #[serde(default)]
    pub issues: Vec<SeedIssue>,
    /// Merge requests.
    #[serde(default)]
    pub merge_requests: Vec<SeedMergeRequest>,
    /// CI job tokens.
    #[serde(default)]
    pub job_tokens: Vec<SeedJobToken>,
    /// Directory `files_dir` entries are relative to (the seed file's directory).
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// A seeded user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Username.
    pub username: String,
    /// Display name (defaults to the username).
    #[serde(default)]
    pub name: Option<String>,
    /// Email (defaults to `username@example.com`).
    #[serde(default)]
    pub email: Option<String>,
    /// Instance administrator.
    #[serde(default)]
    pub admin: bool,
    /// Access tokens acting as this user.
    #[serde(default)]
    pub tokens: Vec<SeedToken>,
    /// Initial status.
    #[serde(default)]
    pub status: Option<SeedStatus>,
}

/// A token: plain text (scope `api`, plus `sudo` for admins) or with explicit scopes.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum SeedToken {
    /// Just the token text.
    Plain(String),
    /// Token text and scopes.
    Scoped {
        /// Token text.
        token: String,
        /// Scopes (`api`, `read_api`, `sudo`...).
        scopes: Vec<String>,
    },
}

/// A seeded user status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedStatus {
    /// `busy` or `not_set` (default).
    #[serde(default)]
    pub availability: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// Emoji (defaults to `speech_balloon`).
    #[serde(default)]
    pub emoji: Option<String>,
    /// When the status clears itself.
    #[serde(default)]
    pub clear_status_at: Option<DateTime<Utc>>,
}

/// A seeded group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// Full path (`parent/child`); the parent must be listed earlier.
    pub path: String,
    /// Display name (defaults to the last path segment).
    #[serde(default)]
    pub name: Option<String>,
    /// Visibility (default private).
    #[serde(default)]
    pub visibility: Visibility,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Members: username to role (`guest`..`owner`).
    #[serde(default)]
    pub members: BTreeMap<String, String>,
    /// Group labels.
    #[serde(default)]
    pub labels: Vec<SeedLabel>,
}

/// A seeded label: a name, or a name with colour and description.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SeedLabel {
    /// Just the name.
    Name(String),
    /// Name, colour, description.
    Full {
        /// Name.
        name: String,
        /// `#RRGGBB`.
        #[serde(default)]
        color: Option<String>,
        /// Description.
        #[serde(default)]
        description: Option<String>,
    },
}

/// A seeded project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProject {
    /// Full path: a seeded group's path or a username, then the project path.
    pub path: String,
    /// Display name (defaults to the last path segment).
    #[serde(default)]
    pub name: Option<String>,
    /// Visibility (default private).
    #[serde(default)]
    pub visibility: Visibility,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Default branch (default `main`).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Members: username to role.
    #[serde(default)]
    pub members: BTreeMap<String, String>,
    /// Project labels.
    #[serde(default)]
    pub labels: Vec<SeedLabel>,
    /// Files on the default branch: repository path to content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// A directory whose files (recursively) are added on the default branch.
    #[serde(default)]
    pub files_dir: Option<PathBuf>,
}

/// A seeded milestone (exactly one of `project` and `group`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMilestone {
    /// Owning project's full path.
    #[serde(default)]
    pub project: Option<String>,
    /// Owning group's full path.
    #[serde(default)]
    pub group: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// First day.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Last day.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// `active` (default) or `closed`.
    #[serde(default)]
    pub state: Option<String>,
}

/// A seeded iteration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIteration {
    /// Owning group's full path.
    pub group: String,
    /// Title (optional, like automatic cadences).
    #[serde(default)]
    pub title: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub due_date: NaiveDate,
}

/// A seeded issue (quick actions in its description are NOT executed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIssue {
    /// Project full path.
    pub project: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Labels (created in the project when unknown).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Assignee usernames.
    #[serde(default)]
    pub assignees: Vec<String>,
    /// Author username (default `root`).
    #[serde(default)]
    pub author: Option<String>,
    /// Milestone title (project's or its groups').
    #[serde(default)]
    pub milestone: Option<String>,
    /// Due date.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// `opened` (default) or `closed`.
    #[serde(default)]
    pub state: Option<String>,
    /// Confidential.
    #[serde(default)]
    pub confidential: bool,
    /// Weight.
    #[serde(default)]
    pub weight: Option<u64>,
    /// Iteration of a group above the project: its title, or its start date
    /// (`YYYY-MM-DD`) when it has no title.
    #[serde(default)]
    pub iteration: Option<String>,
    /// Issue type (default `issue`).
    #[serde(default)]
    pub issue_type: Option<String>,
    /// Creation time (default: the clock).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Closing time for closed issues (default: creation time).
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

/// A seeded merge request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMergeRequest {
    /// Project full path.
    pub project: String,
    /// Title.
    pub title: String,
    /// Author username (default `root`).
    #[serde(default)]
    pub author: Option<String>,
    /// Usernames asked to review it.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// `opened` (default), `closed`, `merged` or `locked`.
    #[serde(default)]
    pub state: Option<String>,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: bool,
    /// Creation time (default: the clock).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Numbers of the issues of its project it closes when merged: what GitLab records from a
    /// closing pattern (`Closes #12`) in its description, and counts in an issue's
    /// `merge_requests_count`.
    #[serde(default)]
    pub closes_issues: Vec<u64>,
}

/// A seeded CI job token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedJobToken {
    /// The `CI_JOB_TOKEN` text.
    pub token: String,
    /// Project full path the job runs in.
    pub project: String,
    /// User who triggered the pipeline (default `root`).
    #[serde(default)]
    pub user: Option<String>,
    /// Branch the job runs for (default: the project's default branch).
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
}

impl std::fmt::Debug for SeedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedToken::Plain(_) => f.write_str("SeedToken([redacted])"),
            SeedToken::Scoped { scopes, .. } => f
                .debug_struct("SeedToken")
                .field("token", &"[redacted]")
                .field("scopes", scopes)
                .finish(),
        }
    }
}

impl std::fmt::Debug for SeedJobToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedJobToken")
            .field("token", &"[redacted]")
            .field("project", &self.project)
            .field("user", &self.user)
            .field("git_ref", &self.git_ref)
            .finish()
    }
}

const DEFAULT_LABEL_COLOR: &str = "#6699cc";

impl Seed {
    /// Reads a seed file: `.json` as JSON, anything else as YAML.
    pub fn from_path(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_owned(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        let mut seed = if is_json {
            Seed::from_json_str(&text)
        } else {
            Seed::from_yaml_str(&text)
        }
        .map_err(|message| SeedError::Parse {
            path: path.to_owned(),
            message,
        })?;
        seed.base_dir = path.parent().map(Path::to_owned);
        Ok(seed)
    }

    /// Parses a YAML seed.
    pub fn from_yaml_str(text: &str) -> Result<Seed, String> {
        serde_saphyr::from_str(text).map_err(|error| error.to_string())
    }

    /// Parses a JSON seed.
    pub fn from_json_str(text: &str) -> Result<Seed, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// Creates everything the seed describes.
    pub(crate) fn apply(&self, store: &mut Store) -> Result<(), SeedError> {
        if let Some(now) = self.now {
            store.clock.set(Some(now));
        }
        for user in &self.users {
            self.apply_user(store, user)?;
        }
        for group in &self.groups {
            self.apply_group(store, group)?;
        }
        for project in &self.projects {
            self.apply_project(store, project)?;
        }
        for milestone in &self.milestones {
            apply_milestone(store, milestone)?;
        }
        for iteration in &self.iterations {
            let group = find_group(store, &iteration.group, "an iteration")?;
            if iteration.due_date < iteration.start_date {
                return Err(invalid(format!(
                    "iteration in `{}` ends ({}) before it starts ({})",
                    iteration.group, iteration.due_date, iteration.start_date
                )));
            }
            store.create_iteration(
                group,
                iteration.title.clone(),
                iteration.description.clone(),
                iteration.start_date,
                iteration.due_date,
            );
        }
        for issue in &self.issues {
            apply_issue(store, issue)?;
        }
        for mr in &self.merge_requests {
            apply_merge_request(store, mr)?;
        }
        for job in &self.job_tokens {
            let project = find_project(store, &job.project, "a job token")?;
            let user = match &job.user {
                Some(username) => {
                    find_user(store, username, &format!("job token for `{}`", job.project))?
                }
                None => 1,
            };
            let git_ref = job.git_ref.clone().unwrap_or_else(|| {
                store
                    .projects
                    .get(&project)
                    .map(|project| project.default_branch.clone())
                    .unwrap_or_default()
            });
            store.add_job(&job.token, project, user, &git_ref);
        }
        Ok(())
    }

    fn apply_user(&self, store: &mut Store, user: &SeedUser) -> Result<(), SeedError> {
        if store.user_by_username(&user.username).is_some() {
            return Err(invalid(format!(
                "user `{}` is listed twice (or clashes with the built-in `root`)",
                user.username
            )));
        }
        let email = user
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@example.com", user.username));
        let name = user.name.clone().unwrap_or_else(|| user.username.clone());
        let id = store.create_user(&user.username, &name, &email, user.admin);
        for token in &user.tokens {
            let (text, scopes) = match token {
                SeedToken::Plain(text) => {
                    let mut scopes = vec!["api".to_owned()];
                    if user.admin {
                        scopes.push("sudo".to_owned());
                    }
                    (text.clone(), scopes)
                }
                SeedToken::Scoped { token, scopes } => (token.clone(), scopes.clone()),
            };
            if store.tokens.contains_key(&text) || store.job_tokens.contains_key(&text) {
                return Err(invalid(format!(
                    "a token of user `{}` is already used by another user or as the admin token",
                    user.username
                )));
            }
            store.add_token(&text, "seeded", id, scopes);
        }
        if let Some(status) = &user.status {
            let availability = status
                .availability
                .clone()
                .unwrap_or_else(|| "not_set".to_owned());
            if availability != "busy" && availability != "not_set" {
                return Err(invalid(format!(
                    "user `{}` has availability `{availability}`: use `busy` or `not_set`",
                    user.username
                )));
            }
            if let Some(user) = store.users.get_mut(&id) {
                user.status = Some(UserStatus {
                    availability,
                    message: status.message.clone(),
                    emoji: Some(
                        status
                            .emoji
                            .clone()
                            .unwrap_or_else(|| "speech_balloon".to_owned()),
                    ),
                    clear_status_at: status.clear_status_at,
                });
            }
        }
        Ok(())
    }

    fn apply_group(&self, store: &mut Store, group: &SeedGroup) -> Result<(), SeedError> {
        let (parent, path) = match group.path.rsplit_once('/') {
            Some((parent, path)) => (
                Some(find_group(
                    store,
                    parent,
                    &format!("group `{}`", group.path),
                )?),
                path,
            ),
            None => (None, group.path.as_str()),
        };
        if store.namespace_path_taken(parent, path) {
            return Err(invalid(format!(
                "group path `{}` is already taken",
                group.path
            )));
        }
        let name = group.name.clone().unwrap_or_else(|| path.to_owned());
        let id = store.create_group(
            &name,
            path,
            parent,
            group.visibility,
            group.description.as_deref().unwrap_or(""),
        );
        let members = resolve_members(store, &group.members, &format!("group `{}`", group.path))?;
        if let Some(stored) = store.groups.get_mut(&id) {
            stored.members.extend(members);
        }
        for label in &group.labels {
            add_label(store, Owner::Group(id), label);
        }
        Ok(())
    }

    fn apply_project(&self, store: &mut Store, project: &SeedProject) -> Result<(), SeedError> {
        let Some((namespace_path, path)) = project.path.rsplit_once('/') else {
            return Err(invalid(format!(
                "project path `{}` has no namespace: write `group/project` or `username/project`",
                project.path
            )));
        };
        let namespace = if let Some(group) = store.find_group(namespace_path) {
            Namespace::Group(group.id)
        } else if let Some(user) = store.user_by_username(namespace_path) {
            Namespace::User(user.id)
        } else {
            return Err(invalid(format!(
                "project `{}` is in `{namespace_path}`, which is neither a seeded group nor a user: list it under `groups` first",
                project.path
            )));
        };
        if store.project_by_path(&project.path).is_some() {
            return Err(invalid(format!(
                "project `{}` is listed twice",
                project.path
            )));
        }
        let name = project.name.clone().unwrap_or_else(|| path.to_owned());
        let branch = project
            .default_branch
            .clone()
            .unwrap_or_else(|| "main".to_owned());
        let id = store.create_project(
            &name,
            path,
            namespace,
            project.visibility,
            project.description.clone(),
            &branch,
        );
        let members = resolve_members(
            store,
            &project.members,
            &format!("project `{}`", project.path),
        )?;
        if let Some(stored) = store.projects.get_mut(&id) {
            stored.members.extend(members);
            stored.branches.insert(branch.clone());
        }
        for label in &project.labels {
            add_label(store, Owner::Project(id), label);
        }
        for (file_path, content) in &project.files {
            store.put_file(id, &branch, file_path, content.clone().into_bytes(), "Seed");
        }
        if let Some(dir) = &project.files_dir {
            let dir = match &self.base_dir {
                Some(base) if dir.is_relative() => base.join(dir),
                _ => dir.clone(),
            };
            let mut found = Vec::new();
            collect_files(&dir, &dir, &mut found).map_err(|error| {
                invalid(format!(
                    "project `{}`: could not read files_dir {}: {error}",
                    project.path,
                    dir.display()
                ))
            })?;
            for (file_path, content) in found {
                store.put_file(id, &branch, &file_path, content, "Seed");
            }
        }
        Ok(())
    }
}

fn invalid(message: String) -> SeedError {
    SeedError::Invalid(message)
}

fn find_group(store: &Store, path: &str, context: &str) -> Result<u64, SeedError> {
    store.find_group(path).map(|group| group.id).ok_or_else(|| {
        invalid(format!(
            "{context} refers to group `{path}`, which is not seeded: list it under `groups` (parents first)"
        ))
    })
}

fn find_project(store: &Store, path: &str, context: &str) -> Result<u64, SeedError> {
    store.project_by_path(path).map(|project| project.id).ok_or_else(|| {
        invalid(format!(
            "{context} refers to project `{path}`, which is not seeded: list it under `projects`"
        ))
    })
}

fn find_user(store: &Store, username: &str, context: &str) -> Result<u64, SeedError> {
    store
        .user_by_username(username)
        .map(|user| user.id)
        .ok_or_else(|| {
            invalid(format!(
                "{context} refers to user `{username}`, who is not seeded: list them under `users`"
            ))
        })
}

fn resolve_members(
    store: &Store,
    members: &BTreeMap<String, String>,
    context: &str,
) -> Result<Vec<(u64, u32)>, SeedError> {
    members
        .iter()
        .map(|(username, role)| {
            let user = find_user(store, username, context)?;
            let level = access::from_name(role).ok_or_else(|| {
                invalid(format!(
                    "{context} gives `{username}` the role `{role}`: use guest, planner, reporter, developer, maintainer or owner"
                ))
            })?;
            Ok((user, level))
        })
        .collect()
}

fn add_label(store: &mut Store, owner: Owner, label: &SeedLabel) {
    let (name, color, description) = match label {
        SeedLabel::Name(name) => (name.clone(), DEFAULT_LABEL_COLOR.to_owned(), None),
        SeedLabel::Full {
            name,
            color,
            description,
        } => (
            name.clone(),
            color
                .clone()
                .unwrap_or_else(|| DEFAULT_LABEL_COLOR.to_owned()),
            description.clone(),
        ),
    };
    store.create_label(owner, &name, &color, description);
}

fn apply_milestone(store: &mut Store, milestone: &SeedMilestone) -> Result<(), SeedError> {
    let context = format!("milestone `{}`", milestone.title);
    let owner = match (&milestone.project, &milestone.group) {
        (Some(project), None) => Owner::Project(find_project(store, project, &context)?),
        (None, Some(group)) => Owner::Group(find_group(store, group, &context)?),
        _ => {
            return Err(invalid(format!(
                "{context} needs exactly one of `project` and `group`"
            )));
        }
    };
    if store.milestone_title_taken(owner, &milestone.title) {
        return Err(invalid(format!(
            "{context} is listed twice in the same hierarchy"
        )));
    }
    let state = match milestone.state.as_deref() {
        None | Some("active") => MilestoneState::Active,
        Some("closed") => MilestoneState::Closed,
        Some(other) => {
            return Err(invalid(format!(
                "{context} has state `{other}`: use `active` or `closed`"
            )));
        }
    };
    let id = store.create_milestone(
        owner,
        &milestone.title,
        milestone.description.clone(),
        milestone.start_date,
        milestone.due_date,
    );
    if let Some(stored) = store.milestones.get_mut(&id) {
        stored.state = state;
    }
    Ok(())
}

fn apply_merge_request(store: &mut Store, mr: &SeedMergeRequest) -> Result<(), SeedError> {
    let context = format!("merge request `{}`", mr.title);
    let project_id = find_project(store, &mr.project, &context)?;
    let author_id = match &mr.author {
        Some(username) => find_user(store, username, &context)?,
        None => 1,
    };
    let reviewer_ids = mr
        .reviewers
        .iter()
        .map(|username| find_user(store, username, &context))
        .collect::<Result<Vec<u64>, SeedError>>()?;
    let state = mr.state.clone().unwrap_or_else(|| "opened".to_owned());
    if !["opened", "closed", "merged", "locked"].contains(&state.as_str()) {
        return Err(invalid(format!(
            "{context} has state `{state}`: use opened, closed, merged or locked"
        )));
    }
    for iid in &mr.closes_issues {
        if store.issue_by_iid(project_id, *iid).is_none() {
            return Err(invalid(format!(
                "{context} closes #{iid}, which is not an issue of `{}`: name the number of an \
                 issue seeded in the merge request's own project",
                mr.project
            )));
        }
    }
    let created_at = mr.created_at.unwrap_or_else(|| store.clock.now());
    store.insert_merge_request(crate::merge_requests::MergeRequest {
        id: 0,
        iid: 0,
        project_id,
        title: mr.title.clone(),
        author_id,
        reviewer_ids,
        state,
        draft: mr.draft,
        created_at,
        closes_issues: mr.closes_issues.clone(),
    });
    Ok(())
}

fn apply_issue(store: &mut Store, issue: &SeedIssue) -> Result<(), SeedError> {
    let context = format!("issue `{}`", issue.title);
    let project_id = find_project(store, &issue.project, &context)?;
    let author_id = match &issue.author {
        Some(username) => find_user(store, username, &context)?,
        None => 1,
    };
    let assignee_ids = issue
        .assignees
        .iter()
        .map(|username| find_user(store, username, &context))
        .collect::<Result<Vec<u64>, SeedError>>()?;
    let milestone_id = match &issue.milestone {
        Some(title) => {
            let project = store.projects.get(&project_id).cloned();
            let found = project.and_then(|project| {
                store
                    .milestones_for_project(&project)
                    .into_iter()
                    .find(|milestone| &milestone.title == title)
                    .map(|milestone| milestone.id)
            });
            Some(found.ok_or_else(|| {
                invalid(format!(
                    "{context} uses milestone `{title}`, which is neither in `{}` nor in its groups",
                    issue.project
                ))
            })?)
        }
        None => None,
    };
    let iteration_id = match &issue.iteration {
        Some(name) => Some(find_iteration(
            store,
            project_id,
            name,
            &context,
            &issue.project,
        )?),
        None => None,
    };
    let state = match issue.state.as_deref() {
        None | Some("opened") => IssueState::Opened,
        Some("closed") => IssueState::Closed,
        Some(other) => {
            return Err(invalid(format!(
                "{context} has state `{other}`: use `opened` or `closed`"
            )));
        }
    };
    if let Some(project) = store.projects.get(&project_id).cloned() {
        let known: Vec<String> = store
            .labels_for_project(&project)
            .iter()
            .map(|label| label.name.clone())
            .collect();
        for label in &issue.labels {
            if !known.contains(label) {
                store.create_label(Owner::Project(project_id), label, DEFAULT_LABEL_COLOR, None);
            }
        }
    }
    let created_at = issue.created_at.unwrap_or_else(|| store.clock.now());
    let closed_at = (state == IssueState::Closed).then(|| issue.closed_at.unwrap_or(created_at));
    let mut labels = issue.labels.clone();
    labels.sort();
    labels.dedup();
    store.insert_issue(Issue {
        id: 0,
        iid: 0,
        project_id,
        title: issue.title.clone(),
        description: issue.description.clone(),
        state,
        labels,
        assignee_ids,
        author_id,
        milestone_id,
        due_date: issue.due_date,
        confidential: issue.confidential,
        weight: issue.weight,
        iteration_id,
        issue_type: issue
            .issue_type
            .clone()
            .unwrap_or_else(|| "issue".to_owned()),
        discussion_locked: None,
        created_at,
        updated_at: closed_at.unwrap_or(created_at),
        closed_at,
        closed_by_id: closed_at.map(|_| author_id),
    });
    Ok(())
}

/// The iteration `name` of the nearest group above a project that has one: by title, or by
/// start date (`YYYY-MM-DD`) among iterations without a title.
fn find_iteration(
    store: &Store,
    project_id: u64,
    name: &str,
    context: &str,
    project_path: &str,
) -> Result<u64, SeedError> {
    let groups = store
        .projects
        .get(&project_id)
        .map(|project| store.project_groups(project))
        .unwrap_or_default();
    let start = NaiveDate::parse_from_str(name, "%Y-%m-%d").ok();
    for group in groups {
        let found: Vec<u64> = store
            .iterations
            .values()
            .filter(|iteration| iteration.group_id == group)
            .filter(|iteration| match &iteration.title {
                Some(title) => title == name,
                None => Some(iteration.start_date) == start,
            })
            .map(|iteration| iteration.id)
            .collect();
        match found.as_slice() {
            [] => continue,
            [id] => return Ok(*id),
            _ => {
                return Err(invalid(format!(
                    "{context} uses iteration `{name}`, which names {} iterations of the same group: give them distinct titles",
                    found.len()
                )));
            }
        }
    }
    Err(invalid(format!(
        "{context} uses iteration `{name}`, which is not an iteration of a group above `{project_path}`: name a seeded iteration by its title, or by its start date (YYYY-MM-DD) when it has no title"
    )))
}

fn collect_files(
    root: &Path,
    dir: &Path,
    found: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.path());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, found)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|component| component.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            found.push((relative, std::fs::read(&path)?));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
now: 2026-11-20T10:00:00Z
users:
  - username: alice
    tokens: [alice-token]
  - username: outsider
    tokens:
      - token: outsider-ro
        scopes: [read_api]
groups:
  - path: acme
    members: { alice: maintainer }
projects:
  - path: acme/app
    labels: [planning]
    files:
      .gitlab/issue_templates/dev.md: "Hello"
milestones:
  - group: acme
    title: "26.1"
    due_date: 2026-12-01
issues:
  - project: acme/app
    title: Done
    state: closed
    weight: 3
    milestone: "26.1"
job_tokens:
  - token: job-1
    project: acme/app
"#;

    #[test]
    fn yaml_seed_builds_the_world() {
        let seed = Seed::from_yaml_str(YAML).unwrap();
        let mut store = Store::new("http://127.0.0.1:1".to_owned());
        store.create_user("root", "Administrator", "admin@example.com", true);
        seed.apply(&mut store).unwrap();
        let issue = store.issue("acme/app", 1).unwrap();
        assert_eq!(issue.state, IssueState::Closed);
        assert_eq!(issue.weight, Some(3));
        assert!(issue.milestone_id.is_some());
        assert_eq!(
            store.file("acme/app", "main", ".gitlab/issue_templates/dev.md"),
            Some(&b"Hello"[..])
        );
        assert_eq!(store.tokens["outsider-ro"].scopes, vec!["read_api"]);
        assert_eq!(store.clock.now().to_rfc3339(), "2026-11-20T10:00:00+00:00");
    }

    const ITERATIONS: &str = r#"
users:
  - username: alice
groups:
  - path: acme
  - path: acme/platform
  - path: other
projects:
  - path: acme/platform/infra
  - path: alice/notes
iterations:
  - group: acme
    title: Sprint 1
    start_date: 2026-11-09
    due_date: 2026-11-22
  - group: acme
    start_date: 2026-11-23
    due_date: 2026-12-06
  - group: other
    title: Elsewhere
    start_date: 2026-11-09
    due_date: 2026-11-22
issues:
  - project: acme/platform/infra
    title: By title
    iteration: Sprint 1
  - project: acme/platform/infra
    title: By start date
    iteration: "2026-11-23"
  - project: acme/platform/infra
    title: In none
"#;

    fn apply(yaml: &str) -> Result<Store, SeedError> {
        let seed = Seed::from_yaml_str(yaml).unwrap();
        let mut store = Store::new(String::new());
        store.create_user("root", "Administrator", "admin@example.com", true);
        seed.apply(&mut store)?;
        Ok(store)
    }

    #[test]
    fn issues_name_an_iteration_of_a_group_above_by_title_or_start_date() {
        let store = apply(ITERATIONS).unwrap();
        let iteration = |iid: u64| {
            let id = store
                .issue("acme/platform/infra", iid)
                .unwrap()
                .iteration_id?;
            store.iterations().find(|iteration| iteration.id == id)
        };
        let by_title = iteration(1).unwrap();
        assert_eq!(by_title.title.as_deref(), Some("Sprint 1"));
        let by_date = iteration(2).unwrap();
        assert_eq!(
            (
                by_date.title.as_deref(),
                by_date.start_date.to_string().as_str()
            ),
            (None, "2026-11-23")
        );
        assert!(iteration(3).is_none());
    }

    #[test]
    fn an_iteration_outside_the_projects_groups_is_refused() {
        for (project, name) in [
            ("acme/platform/infra", "Elsewhere"),
            ("acme/platform/infra", "Sprint 9"),
            // A titled iteration is named by its title, not its start date.
            ("acme/platform/infra", "2026-11-09"),
            ("alice/notes", "Sprint 1"),
        ] {
            let yaml = format!(
                "{ITERATIONS}  - project: {project}\n    title: Stray\n    iteration: \"{name}\"\n"
            );
            let error = apply(&yaml).unwrap_err().to_string();
            assert_eq!(
                error,
                format!(
                    "seed: issue `Stray` uses iteration `{name}`, which is not an iteration of a \
                     group above `{project}`: name a seeded iteration by its title, or by its \
                     start date (YYYY-MM-DD) when it has no title"
                )
            );
        }
    }

    #[test]
    fn unknown_member_is_named() {
        let seed =
            Seed::from_yaml_str("groups:\n  - path: acme\n    members: { ghost: developer }\n")
                .unwrap();
        let mut store = Store::new(String::new());
        let error = seed.apply(&mut store).unwrap_err().to_string();
        assert!(error.contains("`ghost`"), "{error}");
        assert!(error.contains("list them under `users`"), "{error}");
    }

    #[test]
    fn the_readme_example_is_a_valid_seed() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```yaml\n")
            .expect("the README has a YAML seed")
            + 8;
        let end = start + readme[start..].find("```").unwrap();
        // files_dir points at a directory next to the reader's seed file, not this crate.
        let yaml: String = readme[start..end]
            .lines()
            .filter(|line| !line.trim_start().starts_with("files_dir:"))
            .map(|line| format!("{line}\n"))
            .collect();
        let seed = Seed::from_yaml_str(&yaml).unwrap();
        let mut store = Store::new(String::new());
        store.create_user("root", "Administrator", "admin@example.com", true);
        seed.apply(&mut store).unwrap();
        let issue = store.issue("acme/app", 1).unwrap();
        assert_eq!(issue.state, IssueState::Closed);
        assert!(issue.iteration_id.is_some());
        assert!(
            store
                .labels()
                .any(|label| label.name == "bug" && label.color == "#d9534f")
        );
        assert_eq!(store.job_tokens.len(), 1);
    }

    #[test]
    fn json_seed_files_dir_is_relative_to_the_seed_file() {
        let dir = std::env::temp_dir().join(format!("gitlab-fake-seed-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates/issue_templates")).unwrap();
        std::fs::write(dir.join("templates/issue_templates/dev.md"), "Dev").unwrap();
        std::fs::write(
            dir.join("seed.json"),
            r#"{"users": [{"username": "alice"}], "projects": [{"path": "alice/notes", "files_dir": "templates"}]}"#,
        )
        .unwrap();
        let seed = Seed::from_path(&dir.join("seed.json")).unwrap();
        let mut store = Store::new(String::new());
        seed.apply(&mut store).unwrap();
        assert_eq!(
            store.file("alice/notes", "main", "issue_templates/dev.md"),
            Some(&b"Dev"[..])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_merge_request_closes_only_issues_of_its_own_project() {
        let world = "users:\n  - username: alice\nprojects:\n  - path: alice/app\n  - path: alice/other\n\
                     issues:\n  - { project: alice/other, title: Elsewhere }\n";
        let closing = |iids: &str| {
            format!(
                "{world}merge_requests:\n  - {{ project: alice/app, title: Fix, closes_issues: {iids} }}\n"
            )
        };
        assert!(apply(&closing("[]")).is_ok());
        assert_eq!(
            apply(&closing("[1]")).unwrap_err().to_string(),
            "seed: merge request `Fix` closes #1, which is not an issue of `alice/app`: name the \
             number of an issue seeded in the merge request's own project"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(Seed::from_yaml_str("userz: []\n").is_err());
    }
}
