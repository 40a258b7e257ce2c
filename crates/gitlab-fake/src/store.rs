//! The fake's whole state: users, tokens, groups, projects, labels, milestones, iterations,
//! issues, notes, links, repository files and generic packages, with GitLab's id/iid numbering, its
//! visibility and role rules, and a settable clock. Handlers and the seed both go through
//! the creation methods here so that both build the same shapes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

/// Role levels as GitLab numbers them (`access_level`).
pub mod access {
    /// No access.
    pub const NONE: u32 = 0;
    /// Guest.
    pub const GUEST: u32 = 10;
    /// Planner (GitLab 17.7+): may manage issues, labels and milestones.
    pub const PLANNER: u32 = 15;
    /// Reporter.
    pub const REPORTER: u32 = 20;
    /// Developer: may also push (create repository files).
    pub const DEVELOPER: u32 = 30;
    /// Maintainer.
    pub const MAINTAINER: u32 = 40;
    /// Owner.
    pub const OWNER: u32 = 50;

    /// The level for a role name (`guest`, `planner`, `reporter`, `developer`, `maintainer`, `owner`).
    pub fn from_name(name: &str) -> Option<u32> {
        match name.to_ascii_lowercase().as_str() {
            "guest" => Some(GUEST),
            "planner" => Some(PLANNER),
            "reporter" => Some(REPORTER),
            "developer" => Some(DEVELOPER),
            "maintainer" => Some(MAINTAINER),
            "owner" => Some(OWNER),
            _ => None,
        }
    }
}

/// Who may see a group or project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Members (and admins) only.
    #[default]
    Private,
    /// Any signed-in user.
    Internal,
    /// Everyone, even without a token.
    Public,
}

impl Visibility {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }

    /// Parses the API spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "private" => Some(Visibility::Private),
            "internal" => Some(Visibility::Internal),
            "public" => Some(Visibility::Public),
            _ => None,
        }
    }
}

/// A user account.
#[derive(Debug, Clone)]
pub struct User {
    /// Numeric id.
    pub id: u64,
    /// Unique handle (`@username`).
    pub username: String,
    /// Display name.
    pub name: String,
    /// Primary email.
    pub email: String,
    /// Whether the user is an instance administrator.
    pub admin: bool,
    /// Id of the user's personal namespace.
    pub namespace_id: u64,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The user's status (availability, message, emoji), if set.
    pub status: Option<UserStatus>,
}

/// A user's status as `PUT /user/status` sets it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserStatus {
    /// `busy` or `not_set`.
    pub availability: String,
    /// Free-text message.
    pub message: Option<String>,
    /// Emoji name (GitLab defaults it to `speech_balloon`).
    pub emoji: Option<String>,
    /// When GitLab clears the status by itself.
    pub clear_status_at: Option<DateTime<Utc>>,
}

/// A personal, project or OAuth access token's grant (the token text is the map key).
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// Token id (as `POST /users/:id/personal_access_tokens` reports it).
    pub id: u64,
    /// Token name.
    pub name: String,
    /// The user the token acts as.
    pub user_id: u64,
    /// Scopes: `api`, `read_api`, `read_user`, `sudo`...
    pub scopes: Vec<String>,
}

/// A CI job whose `CI_JOB_TOKEN` authenticates API calls.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job id.
    pub id: u64,
    /// Project the job runs in.
    pub project_id: u64,
    /// User who triggered the pipeline.
    pub user_id: u64,
    /// Job name.
    pub name: String,
    /// Stage name.
    pub stage: String,
    /// Branch or tag the job runs for.
    pub git_ref: String,
    /// Pipeline id.
    pub pipeline_id: u64,
    /// Pipeline source (`schedule`, `push`...).
    pub pipeline_source: String,
    /// When the job was created.
    pub created_at: DateTime<Utc>,
}

/// A group (a namespace that holds projects and subgroups).
#[derive(Debug, Clone)]
pub struct Group {
    /// Numeric id (also its namespace id).
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Last path segment.
    pub path: String,
    /// Parent group, for subgroups.
    pub parent_id: Option<u64>,
    /// Who may see it.
    pub visibility: Visibility,
    /// Description.
    pub description: String,
    /// Direct members: user id to access level.
    pub members: BTreeMap<u64, u32>,
    /// When the group was created.
    pub created_at: DateTime<Utc>,
}

/// Where a project lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// In a group (id).
    Group(u64),
    /// In a user's personal namespace (user id).
    User(u64),
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Numeric id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Last path segment.
    pub path: String,
    /// Owning namespace.
    pub namespace: Namespace,
    /// Who may see it.
    pub visibility: Visibility,
    /// Description.
    pub description: Option<String>,
    /// Default branch name.
    pub default_branch: String,
    /// Branches that exist (empty for an empty repository).
    pub branches: BTreeSet<String>,
    /// Direct members: user id to access level.
    pub members: BTreeMap<u64, u32>,
    /// When the project was created.
    pub created_at: DateTime<Utc>,
}

/// What a label or milestone belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A project (id).
    Project(u64),
    /// A group (id).
    Group(u64),
}

/// A label.
#[derive(Debug, Clone)]
pub struct Label {
    /// Numeric id.
    pub id: u64,
    /// Title (what issues carry).
    pub name: String,
    /// `#RRGGBB` colour.
    pub color: String,
    /// Description.
    pub description: Option<String>,
    /// Project or group label.
    pub owner: Owner,
}

/// A milestone's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneState {
    /// Open.
    Active,
    /// Closed.
    Closed,
}

impl MilestoneState {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneState::Active => "active",
            MilestoneState::Closed => "closed",
        }
    }
}

/// A project or group milestone.
#[derive(Debug, Clone)]
pub struct Milestone {
    /// Global id (what `milestone_id` means).
    pub id: u64,
    /// Number within the project or group.
    pub iid: u64,
    /// Project or group milestone.
    pub owner: Owner,
    /// Title (unique within the hierarchy).
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Open or closed.
    pub state: MilestoneState,
    /// First day.
    pub start_date: Option<NaiveDate>,
    /// Last day.
    pub due_date: Option<NaiveDate>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A group iteration (sprint).
#[derive(Debug, Clone)]
pub struct Iteration {
    /// Global id.
    pub id: u64,
    /// Number within the group.
    pub iid: u64,
    /// Position in the group's cadence.
    pub sequence: u64,
    /// Owning group.
    pub group_id: u64,
    /// Optional title (automatic cadences leave it empty).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub due_date: NaiveDate,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Iteration {
    /// GitLab's numeric state on a given day: 1 upcoming, 2 current, 3 closed.
    pub fn state_on(&self, today: NaiveDate) -> u8 {
        if self.start_date > today {
            1
        } else if self.due_date >= today {
            2
        } else {
            3
        }
    }
}

/// An issue's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Open.
    Opened,
    /// Closed.
    Closed,
}

impl IssueState {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Opened => "opened",
            IssueState::Closed => "closed",
        }
    }
}

/// An issue.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Global id.
    pub id: u64,
    /// Number within the project.
    pub iid: u64,
    /// Owning project.
    pub project_id: u64,
    /// Title.
    pub title: String,
    /// Description as stored (quick actions removed).
    pub description: Option<String>,
    /// Open or closed.
    pub state: IssueState,
    /// Label titles, sorted.
    pub labels: Vec<String>,
    /// Assigned users.
    pub assignee_ids: Vec<u64>,
    /// Author.
    pub author_id: u64,
    /// Milestone.
    pub milestone_id: Option<u64>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Confidential flag.
    pub confidential: bool,
    /// Weight.
    pub weight: Option<u64>,
    /// Iteration (of a group above the project).
    pub iteration_id: Option<u64>,
    /// `issue`, `incident`, `test_case` or `task`.
    pub issue_type: String,
    /// Whether discussion is locked.
    pub discussion_locked: Option<bool>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it.
    pub closed_by_id: Option<u64>,
}

/// A comment (or system note) on an issue.
#[derive(Debug, Clone)]
pub struct Note {
    /// Global id.
    pub id: u64,
    /// Issue it belongs to.
    pub issue_id: u64,
    /// Text (quick actions removed).
    pub body: String,
    /// Author.
    pub author_id: u64,
    /// Whether GitLab wrote it (e.g. "closed").
    pub system: bool,
    /// Internal (confidential) note.
    pub internal: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The kind of relation between two issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// Plain relation.
    RelatesTo,
    /// Source blocks target.
    Blocks,
    /// Source is blocked by target.
    IsBlockedBy,
}

impl LinkType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::RelatesTo => "relates_to",
            LinkType::Blocks => "blocks",
            LinkType::IsBlockedBy => "is_blocked_by",
        }
    }

    /// The same link seen from the other issue.
    pub fn inverse(self) -> Self {
        match self {
            LinkType::RelatesTo => LinkType::RelatesTo,
            LinkType::Blocks => LinkType::IsBlockedBy,
            LinkType::IsBlockedBy => LinkType::Blocks,
        }
    }

    /// Parses the API spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "relates_to" => Some(LinkType::RelatesTo),
            "blocks" => Some(LinkType::Blocks),
            "is_blocked_by" => Some(LinkType::IsBlockedBy),
            _ => None,
        }
    }
}

/// A link between two issues.
#[derive(Debug, Clone)]
pub struct IssueLink {
    /// Link id (`issue_link_id`).
    pub id: u64,
    /// Issue the link was created from.
    pub source_issue_id: u64,
    /// Issue it points at.
    pub target_issue_id: u64,
    /// Relation, seen from the source.
    pub link_type: LinkType,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A file in a project's repository, on one branch.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// File id (stands in for the blob id).
    pub id: u64,
    /// Raw content.
    pub content: Vec<u8>,
    /// Message of the commit that last wrote it.
    pub commit_message: String,
}

/// A generic package: a name and version in one project, with every file uploaded to it.
#[derive(Debug, Clone)]
pub struct Package {
    /// Package id.
    pub id: u64,
    /// Project the package belongs to.
    pub project_id: u64,
    /// Package name (case-sensitive, like GitLab's lookup).
    pub name: String,
    /// Package version.
    pub version: String,
    /// Every upload, oldest first. GitLab keeps duplicate file names by default and
    /// serves the most recent one, so a re-upload is appended rather than replacing.
    pub files: Vec<PackageFile>,
    /// Creation time (the first upload).
    pub created_at: DateTime<Utc>,
}

impl Package {
    /// The most recent upload of `file_name`, the one GitLab serves.
    pub fn latest_file(&self, file_name: &str) -> Option<&PackageFile> {
        self.files
            .iter()
            .rev()
            .find(|file| file.file_name == file_name)
    }
}

/// One uploaded file of a generic package.
#[derive(Clone)]
pub struct PackageFile {
    /// Package file id.
    pub id: u64,
    /// File name as sent in the URL.
    pub file_name: String,
    /// Raw content.
    pub content: Vec<u8>,
    /// Who uploaded it (for a job token, the job's user).
    pub uploader_id: u64,
    /// Upload time.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for PackageFile {
    // Package files are release binaries of tens of megabytes: show their size, not their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageFile")
            .field("id", &self.id)
            .field("file_name", &self.file_name)
            .field("size", &self.content.len())
            .field("uploader_id", &self.uploader_id)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The clock that stamps `created_at`/`updated_at`; frozen when set, wall time otherwise.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    /// The current time, to the millisecond like GitLab's timestamps.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now).trunc_subsecs(3)
    }

    /// Today's date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Freezes the clock at `time`, or returns to wall time with `None`.
    pub fn set(&mut self, time: Option<DateTime<Utc>>) {
        self.fixed = time;
    }

    /// The frozen time, if any.
    pub fn fixed(&self) -> Option<DateTime<Utc>> {
        self.fixed
    }
}

#[derive(Debug, Default)]
struct Sequences {
    user: u64,
    namespace: u64,
    project: u64,
    label: u64,
    milestone: u64,
    iteration: u64,
    issue: u64,
    note: u64,
    link: u64,
    merge_request: u64,
    file: u64,
    token: u64,
    job: u64,
    package: u64,
    package_file: u64,
}

fn bump(counter: &mut u64) -> u64 {
    *counter += 1;
    *counter
}

/// All state of the fake GitLab. Read it in tests through [`crate::StateHandle::store`].
#[derive(Default)]
pub struct Store {
    pub(crate) base_url: String,
    pub(crate) clock: Clock,
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) tokens: HashMap<String, TokenGrant>,
    pub(crate) job_tokens: HashMap<String, u64>,
    pub(crate) jobs: BTreeMap<u64, Job>,
    pub(crate) groups: BTreeMap<u64, Group>,
    pub(crate) projects: BTreeMap<u64, Project>,
    pub(crate) labels: BTreeMap<u64, Label>,
    pub(crate) milestones: BTreeMap<u64, Milestone>,
    pub(crate) iterations: BTreeMap<u64, Iteration>,
    pub(crate) issues: BTreeMap<u64, Issue>,
    pub(crate) notes: BTreeMap<u64, Note>,
    pub(crate) links: BTreeMap<u64, IssueLink>,
    pub(crate) merge_requests: BTreeMap<u64, crate::merge_requests::MergeRequest>,
    pub(crate) files: BTreeMap<(u64, String, String), RepoFile>,
    pub(crate) packages: BTreeMap<u64, Package>,
    next_iid: HashMap<(char, u64), u64>,
    seq: Sequences,
}

impl std::fmt::Debug for Store {
    // Tokens are the keys of two maps: show how many there are, never what they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("base_url", &self.base_url)
            .field("clock", &self.clock)
            .field("users", &self.users.len())
            .field("tokens", &self.tokens.len())
            .field("job_tokens", &self.job_tokens.len())
            .field("groups", &self.groups.len())
            .field("projects", &self.projects.len())
            .field("issues", &self.issues.len())
            .field("notes", &self.notes.len())
            .field("links", &self.links.len())
            .field("packages", &self.packages.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    pub(crate) fn new(base_url: String) -> Self {
        Store {
            base_url,
            ..Store::default()
        }
    }

    // ----- public, read-only views for tests -----

    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The clock stamping new records.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// All users, by id.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// A user by username (case-insensitive, like GitLab).
    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        self.users
            .values()
            .find(|user| user.username.eq_ignore_ascii_case(username))
    }

    /// All groups, by id.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// All projects, by id.
    pub fn projects(&self) -> impl Iterator<Item = &Project> {
        self.projects.values()
    }

    /// A project by its full path (`group/sub/project`).
    pub fn project_by_path(&self, full_path: &str) -> Option<&Project> {
        self.projects.values().find(|project| {
            self.project_full_path(project)
                .eq_ignore_ascii_case(full_path)
        })
    }

    /// All issues, by id.
    pub fn issues(&self) -> impl Iterator<Item = &Issue> {
        self.issues.values()
    }

    /// The issues of one project (by full path), by iid.
    pub fn project_issues(&self, full_path: &str) -> Vec<&Issue> {
        let Some(project) = self.project_by_path(full_path) else {
            return Vec::new();
        };
        let mut issues: Vec<&Issue> = self
            .issues
            .values()
            .filter(|issue| issue.project_id == project.id)
            .collect();
        issues.sort_by_key(|issue| issue.iid);
        issues
    }

    /// One issue by project full path and iid.
    pub fn issue(&self, full_path: &str, iid: u64) -> Option<&Issue> {
        let project = self.project_by_path(full_path)?;
        self.issue_by_iid(project.id, iid)
    }

    /// The notes of an issue (by issue id), oldest first.
    pub fn notes_of(&self, issue_id: u64) -> Vec<&Note> {
        self.notes
            .values()
            .filter(|note| note.issue_id == issue_id)
            .collect()
    }

    /// All issue links, by id.
    pub fn links(&self) -> impl Iterator<Item = &IssueLink> {
        self.links.values()
    }

    /// All milestones, by id.
    pub fn milestones(&self) -> impl Iterator<Item = &Milestone> {
        self.milestones.values()
    }

    /// All iterations, by id.
    pub fn iterations(&self) -> impl Iterator<Item = &Iteration> {
        self.iterations.values()
    }

    /// All labels, by id.
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        self.labels.values()
    }

    /// A repository file's content (project full path, branch, file path).
    pub fn file(&self, full_path: &str, branch: &str, path: &str) -> Option<&[u8]> {
        let project = self.project_by_path(full_path)?;
        self.files
            .get(&(project.id, branch.to_owned(), path.to_owned()))
            .map(|file| file.content.as_slice())
    }

    /// All generic packages, by id.
    pub fn packages(&self) -> impl Iterator<Item = &Package> {
        self.packages.values()
    }

    /// The content GitLab would serve for a generic package file (project full path,
    /// package name, version, file name): the most recent upload of that name.
    pub fn package_file(
        &self,
        full_path: &str,
        name: &str,
        version: &str,
        file_name: &str,
    ) -> Option<&[u8]> {
        let project = self.project_by_path(full_path)?;
        self.package(project.id, name, version)?
            .latest_file(file_name)
            .map(|file| file.content.as_slice())
    }

    // ----- paths and lookups -----

    /// A group's full path (`parent/child`).
    pub fn group_full_path(&self, group: &Group) -> String {
        let mut segments = vec![group.path.clone()];
        let mut parent = group.parent_id;
        while let Some(id) = parent {
            let Some(ancestor) = self.groups.get(&id) else {
                break;
            };
            segments.push(ancestor.path.clone());
            parent = ancestor.parent_id;
        }
        segments.reverse();
        segments.join("/")
    }

    /// A group's full name (`Parent / Child`).
    pub(crate) fn group_full_name(&self, group: &Group) -> String {
        let mut names = vec![group.name.clone()];
        let mut parent = group.parent_id;
        while let Some(id) = parent {
            let Some(ancestor) = self.groups.get(&id) else {
                break;
            };
            names.push(ancestor.name.clone());
            parent = ancestor.parent_id;
        }
        names.reverse();
        names.join(" / ")
    }

    /// The full path of a project's namespace.
    pub(crate) fn namespace_full_path(&self, namespace: Namespace) -> String {
        match namespace {
            Namespace::Group(id) => self
                .groups
                .get(&id)
                .map(|group| self.group_full_path(group))
                .unwrap_or_default(),
            Namespace::User(id) => self
                .users
                .get(&id)
                .map(|user| user.username.clone())
                .unwrap_or_default(),
        }
    }

    /// A project's full path (`group/project`).
    pub fn project_full_path(&self, project: &Project) -> String {
        format!(
            "{}/{}",
            self.namespace_full_path(project.namespace),
            project.path
        )
    }

    /// A group found by numeric id or full path.
    pub(crate) fn find_group(&self, id_or_path: &str) -> Option<&Group> {
        if let Ok(id) = id_or_path.parse::<u64>() {
            return self.groups.get(&id);
        }
        self.groups
            .values()
            .find(|group| self.group_full_path(group).eq_ignore_ascii_case(id_or_path))
    }

    /// A project found by numeric id or full path.
    pub(crate) fn find_project(&self, id_or_path: &str) -> Option<&Project> {
        if let Ok(id) = id_or_path.parse::<u64>() {
            return self.projects.get(&id);
        }
        self.project_by_path(id_or_path)
    }

    /// A user found by numeric id or username.
    pub(crate) fn find_user(&self, id_or_username: &str) -> Option<&User> {
        if let Ok(id) = id_or_username.parse::<u64>() {
            return self.users.get(&id);
        }
        self.user_by_username(id_or_username.trim_start_matches('@'))
    }

    /// An issue by project id and iid.
    pub(crate) fn issue_by_iid(&self, project_id: u64, iid: u64) -> Option<&Issue> {
        self.issues
            .values()
            .find(|issue| issue.project_id == project_id && issue.iid == iid)
    }

    /// A project's generic package by exact name and version.
    pub(crate) fn package(&self, project_id: u64, name: &str, version: &str) -> Option<&Package> {
        self.packages.values().find(|package| {
            package.project_id == project_id && package.name == name && package.version == version
        })
    }

    /// A group and its ancestors, nearest first.
    pub(crate) fn group_chain(&self, group_id: u64) -> Vec<u64> {
        let mut chain = Vec::new();
        let mut next = Some(group_id);
        while let Some(id) = next {
            if chain.contains(&id) {
                break;
            }
            chain.push(id);
            next = self.groups.get(&id).and_then(|group| group.parent_id);
        }
        chain
    }

    /// The groups a project sits in, nearest first (empty for a personal project).
    pub(crate) fn project_groups(&self, project: &Project) -> Vec<u64> {
        match project.namespace {
            Namespace::Group(id) => self.group_chain(id),
            Namespace::User(_) => Vec::new(),
        }
    }

    /// Labels usable in a project: its own and its groups', by title.
    pub(crate) fn labels_for_project(&self, project: &Project) -> Vec<&Label> {
        let groups = self.project_groups(project);
        self.labels
            .values()
            .filter(|label| match label.owner {
                Owner::Project(id) => id == project.id,
                Owner::Group(id) => groups.contains(&id),
            })
            .collect()
    }

    /// Milestones usable in a project: its own and its groups'.
    pub(crate) fn milestones_for_project(&self, project: &Project) -> Vec<&Milestone> {
        let groups = self.project_groups(project);
        self.milestones
            .values()
            .filter(|milestone| match milestone.owner {
                Owner::Project(id) => id == project.id,
                Owner::Group(id) => groups.contains(&id),
            })
            .collect()
    }

    // ----- permissions -----

    fn is_admin(&self, user_id: Option<u64>) -> bool {
        user_id
            .and_then(|id| self.users.get(&id))
            .is_some_and(|user| user.admin)
    }

    /// A user's effective level in a group (own membership or inherited from ancestors).
    pub(crate) fn group_access(&self, user_id: Option<u64>, group_id: u64) -> u32 {
        let Some(user_id) = user_id else {
            return access::NONE;
        };
        if self.is_admin(Some(user_id)) {
            return access::OWNER;
        }
        self.group_chain(group_id)
            .iter()
            .filter_map(|id| self.groups.get(id))
            .filter_map(|group| group.members.get(&user_id).copied())
            .max()
            .unwrap_or(access::NONE)
    }

    /// A user's effective level in a project (project, group and personal-namespace ownership).
    pub(crate) fn project_access(&self, user_id: Option<u64>, project: &Project) -> u32 {
        let Some(user_id) = user_id else {
            return access::NONE;
        };
        if self.is_admin(Some(user_id)) {
            return access::OWNER;
        }
        let own = project
            .members
            .get(&user_id)
            .copied()
            .unwrap_or(access::NONE);
        let inherited = match project.namespace {
            Namespace::Group(id) => self.group_access(Some(user_id), id),
            Namespace::User(owner) if owner == user_id => access::OWNER,
            Namespace::User(_) => access::NONE,
        };
        own.max(inherited)
    }

    /// Whether a user (or an anonymous caller, `None`) can see a project.
    pub(crate) fn can_read_project(&self, user_id: Option<u64>, project: &Project) -> bool {
        match project.visibility {
            Visibility::Public => true,
            Visibility::Internal if user_id.is_some() => true,
            _ => self.project_access(user_id, project) >= access::GUEST,
        }
    }

    /// Whether a user (or an anonymous caller) can see a group.
    pub(crate) fn can_read_group(&self, user_id: Option<u64>, group: &Group) -> bool {
        match group.visibility {
            Visibility::Public => true,
            Visibility::Internal if user_id.is_some() => true,
            _ => {
                self.group_access(user_id, group.id) >= access::GUEST
                    || self.projects.values().any(|project| {
                        self.project_groups(project).contains(&group.id)
                            && project.members.contains_key(&user_id.unwrap_or(0))
                    })
            }
        }
    }

    /// Whether a user can see an issue (confidential ones need Planner+, authorship or assignment).
    pub(crate) fn can_read_issue(&self, user_id: Option<u64>, issue: &Issue) -> bool {
        let Some(project) = self.projects.get(&issue.project_id) else {
            return false;
        };
        if !self.can_read_project(user_id, project) {
            return false;
        }
        if !issue.confidential {
            return true;
        }
        let Some(user) = user_id else {
            return false;
        };
        issue.author_id == user
            || issue.assignee_ids.contains(&user)
            || self.project_access(user_id, project) >= access::PLANNER
    }

    // ----- creation -----

    /// The next iid for a kind of record (`'i'` issue, `'m'`/`'g'` milestone, `'t'` iteration).
    pub(crate) fn next_iid(&mut self, kind: char, scope: u64) -> u64 {
        let next = self.next_iid.entry((kind, scope)).or_insert(0);
        *next += 1;
        *next
    }

    /// Creates a user and their personal namespace.
    pub(crate) fn create_user(
        &mut self,
        username: &str,
        name: &str,
        email: &str,
        admin: bool,
    ) -> u64 {
        let id = bump(&mut self.seq.user);
        let namespace_id = bump(&mut self.seq.namespace);
        let created_at = self.clock.now();
        self.users.insert(
            id,
            User {
                id,
                username: username.to_owned(),
                name: name.to_owned(),
                email: email.to_owned(),
                admin,
                namespace_id,
                created_at,
                status: None,
            },
        );
        id
    }

    /// Registers an access token for a user.
    pub(crate) fn add_token(
        &mut self,
        token: &str,
        name: &str,
        user_id: u64,
        scopes: Vec<String>,
    ) -> u64 {
        let id = bump(&mut self.seq.token);
        self.tokens.insert(
            token.to_owned(),
            TokenGrant {
                id,
                name: name.to_owned(),
                user_id,
                scopes,
            },
        );
        id
    }

    /// Registers a CI job and its job token.
    pub(crate) fn add_job(
        &mut self,
        token: &str,
        project_id: u64,
        user_id: u64,
        git_ref: &str,
    ) -> u64 {
        let id = bump(&mut self.seq.job);
        let created_at = self.clock.now();
        self.jobs.insert(
            id,
            Job {
                id,
                project_id,
                user_id,
                name: "teamcadence".to_owned(),
                stage: "deploy".to_owned(),
                git_ref: git_ref.to_owned(),
                pipeline_id: 1000 + id,
                pipeline_source: "schedule".to_owned(),
                created_at,
            },
        );
        self.job_tokens.insert(token.to_owned(), id);
        id
    }

    /// Creates a group.
    pub(crate) fn create_group(
        &mut self,
        name: &str,
        path: &str,
        parent_id: Option<u64>,
        visibility: Visibility,
        description: &str,
    ) -> u64 {
        let id = bump(&mut self.seq.namespace);
        let created_at = self.clock.now();
        self.groups.insert(
            id,
            Group {
                id,
                name: name.to_owned(),
                path: path.to_owned(),
                parent_id,
                visibility,
                description: description.to_owned(),
                members: BTreeMap::new(),
                created_at,
            },
        );
        id
    }

    /// Whether a namespace path is free under a parent (top level also clashes with usernames).
    pub(crate) fn namespace_path_taken(&self, parent_id: Option<u64>, path: &str) -> bool {
        let group_clash = self
            .groups
            .values()
            .any(|group| group.parent_id == parent_id && group.path.eq_ignore_ascii_case(path));
        let user_clash = parent_id.is_none() && self.user_by_username(path).is_some();
        group_clash || user_clash
    }

    /// Creates a project.
    pub(crate) fn create_project(
        &mut self,
        name: &str,
        path: &str,
        namespace: Namespace,
        visibility: Visibility,
        description: Option<String>,
        default_branch: &str,
    ) -> u64 {
        let id = bump(&mut self.seq.project);
        let created_at = self.clock.now();
        self.projects.insert(
            id,
            Project {
                id,
                name: name.to_owned(),
                path: path.to_owned(),
                namespace,
                visibility,
                description,
                default_branch: default_branch.to_owned(),
                branches: BTreeSet::new(),
                members: BTreeMap::new(),
                created_at,
            },
        );
        id
    }

    /// Creates a label.
    pub(crate) fn create_label(
        &mut self,
        owner: Owner,
        name: &str,
        color: &str,
        description: Option<String>,
    ) -> u64 {
        let id = bump(&mut self.seq.label);
        self.labels.insert(
            id,
            Label {
                id,
                name: name.to_owned(),
                color: color.to_owned(),
                description,
                owner,
            },
        );
        id
    }

    /// Creates a milestone.
    pub(crate) fn create_milestone(
        &mut self,
        owner: Owner,
        title: &str,
        description: Option<String>,
        start_date: Option<NaiveDate>,
        due_date: Option<NaiveDate>,
    ) -> u64 {
        let id = bump(&mut self.seq.milestone);
        let iid = match owner {
            Owner::Project(project) => self.next_iid('m', project),
            Owner::Group(group) => self.next_iid('g', group),
        };
        let now = self.clock.now();
        self.milestones.insert(
            id,
            Milestone {
                id,
                iid,
                owner,
                title: title.to_owned(),
                description,
                state: MilestoneState::Active,
                start_date,
                due_date,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    /// Whether a milestone title is already used in the hierarchy of `owner`.
    pub(crate) fn milestone_title_taken(&self, owner: Owner, title: &str) -> bool {
        let groups = match owner {
            Owner::Project(id) => self
                .projects
                .get(&id)
                .map(|project| self.project_groups(project))
                .unwrap_or_default(),
            Owner::Group(id) => self.group_chain(id),
        };
        self.milestones.values().any(|milestone| {
            milestone.title == title
                && match milestone.owner {
                    other if other == owner => true,
                    Owner::Group(id) => groups.contains(&id),
                    Owner::Project(_) => false,
                }
        })
    }

    /// Creates an iteration.
    pub(crate) fn create_iteration(
        &mut self,
        group_id: u64,
        title: Option<String>,
        description: Option<String>,
        start_date: NaiveDate,
        due_date: NaiveDate,
    ) -> u64 {
        let id = bump(&mut self.seq.iteration);
        let iid = self.next_iid('t', group_id);
        let now = self.clock.now();
        self.iterations.insert(
            id,
            Iteration {
                id,
                iid,
                sequence: iid,
                group_id,
                title,
                description,
                start_date,
                due_date,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    /// Stores a fully built issue, assigning its id and iid.
    pub(crate) fn insert_issue(&mut self, mut issue: Issue) -> u64 {
        issue.id = bump(&mut self.seq.issue);
        issue.iid = self.next_iid('i', issue.project_id);
        let id = issue.id;
        self.issues.insert(id, issue);
        id
    }

    /// Stores a merge request, assigning its id and iid.
    pub(crate) fn insert_merge_request(
        &mut self,
        mut mr: crate::merge_requests::MergeRequest,
    ) -> u64 {
        mr.id = bump(&mut self.seq.merge_request);
        mr.iid = self.next_iid('m', mr.project_id);
        let id = mr.id;
        self.merge_requests.insert(id, mr);
        id
    }

    /// Adds a note to an issue.
    pub(crate) fn add_note(
        &mut self,
        issue_id: u64,
        author_id: u64,
        body: &str,
        system: bool,
        internal: bool,
    ) -> u64 {
        let id = bump(&mut self.seq.note);
        let now = self.clock.now();
        self.notes.insert(
            id,
            Note {
                id,
                issue_id,
                body: body.to_owned(),
                author_id,
                system,
                internal,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    /// Links two issues.
    pub(crate) fn add_link(
        &mut self,
        source_issue_id: u64,
        target_issue_id: u64,
        link_type: LinkType,
    ) -> u64 {
        let id = bump(&mut self.seq.link);
        let created_at = self.clock.now();
        self.links.insert(
            id,
            IssueLink {
                id,
                source_issue_id,
                target_issue_id,
                link_type,
                created_at,
            },
        );
        id
    }

    /// Writes a repository file on a branch, creating the branch if needed.
    pub(crate) fn put_file(
        &mut self,
        project_id: u64,
        branch: &str,
        path: &str,
        content: Vec<u8>,
        commit_message: &str,
    ) {
        let id = bump(&mut self.seq.file);
        if let Some(project) = self.projects.get_mut(&project_id) {
            project.branches.insert(branch.to_owned());
        }
        self.files.insert(
            (project_id, branch.to_owned(), path.to_owned()),
            RepoFile {
                id,
                content,
                commit_message: commit_message.to_owned(),
            },
        );
    }

    /// Adds a file to a generic package, creating the package on its first file like
    /// GitLab's `find_or_create`. A file name already in the package is kept and the new
    /// upload is added after it (GitLab's default "allow duplicates" setting).
    pub(crate) fn add_package_file(
        &mut self,
        project_id: u64,
        name: &str,
        version: &str,
        file_name: &str,
        content: Vec<u8>,
        uploader_id: u64,
    ) -> u64 {
        let now = self.clock.now();
        let existing = self
            .package(project_id, name, version)
            .map(|package| package.id);
        let package_id = existing.unwrap_or_else(|| {
            let id = bump(&mut self.seq.package);
            self.packages.insert(
                id,
                Package {
                    id,
                    project_id,
                    name: name.to_owned(),
                    version: version.to_owned(),
                    files: Vec::new(),
                    created_at: now,
                },
            );
            id
        });
        let id = bump(&mut self.seq.package_file);
        if let Some(package) = self.packages.get_mut(&package_id) {
            package.files.push(PackageFile {
                id,
                file_name: file_name.to_owned(),
                content,
                uploader_id,
                created_at: now,
            });
        }
        id
    }

    /// Copies every file of one branch to a new branch.
    pub(crate) fn create_branch(&mut self, project_id: u64, from: &str, to: &str) {
        let copies: Vec<((u64, String, String), RepoFile)> = self
            .files
            .iter()
            .filter(|((project, branch, _), _)| *project == project_id && branch == from)
            .map(|((project, _, path), file)| {
                ((*project, to.to_owned(), path.clone()), file.clone())
            })
            .collect();
        self.files.extend(copies);
        if let Some(project) = self.projects.get_mut(&project_id) {
            project.branches.insert(to.to_owned());
        }
    }
}
