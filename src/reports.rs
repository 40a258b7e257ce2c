//! Result files GitLab shows by itself: the job page's annotations (a link to each issue a
//! job wrote or found) and a Code Quality report of `teamcadence check`'s problems, shown on
//! the changed lines of a merge request.

use std::hash::Hasher;
use std::path::{Component, Path, PathBuf};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};
use teamcadence_core::config::ConfigError;
use teamcadence_core::plan::{Action, JobReport};
use teamcadence_core::template::TemplateError;

/// The job's `artifacts:reports:annotations` document: one section named after the job,
/// listing an `external_link` (`{label, url}`) for each issue that has an address, in the
/// report's order. A run that stopped early has an empty section.
pub fn annotations(job: &str, report: &JobReport) -> String {
    let mut out = Vec::new();
    // Writing to memory does not fail.
    let _ = write_annotations(job, report, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes [`annotations`] to `out` as each link is made, not first as a whole in memory.
pub fn write_annotations(
    job: &str,
    report: &JobReport,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let document = Annotations {
        section: format!("{job} issues"),
        report,
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The annotations document, serialised from the report as it is written.
struct Annotations<'a> {
    section: String,
    report: &'a JobReport,
}

impl Serialize for Annotations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let links = Links(self.report);
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&self.section, &links)?;
        map.end()
    }
}

/// The section's links, one per issue with an address.
struct Links<'a>(&'a JobReport);

impl Serialize for Links<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.issues.iter().filter_map(|plan| {
            let url = plan.web_url.as_ref()?;
            let done = match (&plan.action, plan.error.is_some()) {
                (_, true) => "failed",
                (Action::Create, false) => "created",
                (Action::Update, false) => "updated",
                (Action::Exists, false) => "exists",
                (Action::Skip(_), false) => "skipped",
            };
            Some(json!({
                "external_link": {"label": format!("{done}: {}", plan.title), "url": url}
            }))
        }))
    }
}

/// How much a Code Quality finding matters, in GitLab's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the config from being used (`major`).
    Major,
    /// Valid but probably wrong (`minor`).
    Minor,
}

/// One finding of a Code Quality report, placed in a file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the repository root, `/`-separated.
    pub path: String,
    /// The 1-based line the finding is on (1 when unknown).
    pub line: u32,
    /// Which setting, or the template; may be empty.
    pub field: String,
    /// What is wrong, and what to do about it.
    pub message: String,
    /// Which kind of check found it (`teamcadence/config`, `teamcadence/template`, ...).
    pub check_name: &'static str,
    /// How much it matters.
    pub severity: Severity,
}

/// The findings as GitLab's Code Quality report: a JSON array of `{description, check_name,
/// fingerprint, severity, location: {path, lines: {begin}}}`; `[]` when there are none.
pub fn codequality(findings: &[Finding]) -> String {
    let entries: Vec<Value> = findings
        .iter()
        .map(|f| {
            let description = if f.field.is_empty() {
                f.message.clone()
            } else {
                format!("{}: {}", f.field, f.message)
            };
            json!({
                "description": description,
                "check_name": f.check_name,
                "fingerprint": fingerprint(f),
                "severity": match f.severity {
                    Severity::Major => "major",
                    Severity::Minor => "minor",
                },
                "location": {"path": f.path, "lines": {"begin": f.line}},
            })
        })
        .collect();
    pretty(&Value::Array(entries))
}

/// A stable identity for a finding, so that GitLab can tell a problem a merge request fixes
/// from one it brings: FNV-1a of the path, field and message (not the line, which moves when
/// lines are added above). FNV is fixed by its specification, unlike std's hasher.
fn fingerprint(finding: &Finding) -> String {
    let mut hasher = fnv::FnvHasher::default();
    for part in [&finding.path, &finding.field, &finding.message] {
        hasher.write(part.as_bytes());
        // A separator no text contains, so that ("ab", "c") and ("a", "bc") differ.
        hasher.write(&[0xff]);
    }
    format!("{:016x}", hasher.finish())
}

/// The findings of a config that cannot be used: each problem in the config file or in the
/// file it names (the roster), relative to the config file's folder.
pub fn config_findings(config_path: &Path, error: &ConfigError) -> Vec<Finding> {
    error
        .problems
        .iter()
        .map(|p| {
            let path = match &p.file {
                Some(file) => repository_path(&folder_of(config_path).join(file)),
                None => repository_path(config_path),
            };
            let message = match &p.hint {
                Some(hint) => format!("{} (hint: {hint})", p.message),
                None => p.message.clone(),
            };
            Finding {
                path,
                line: p.line.unwrap_or(1).max(1),
                field: p.field.clone(),
                message,
                check_name: "teamcadence/config",
                severity: Severity::Major,
            }
        })
        .collect()
}

/// A template problem, in the template's file when the config names one (template paths are
/// relative to the config file's folder), else on the config file's first line (a built-in
/// template or a GitLab issue template has no file in the repository).
pub fn template_finding(config_path: &Path, error: &TemplateError) -> Finding {
    let file = folder_of(config_path).join(&error.template);
    let (path, line) = if file.is_file() {
        let line = error.line.and_then(|l| u32::try_from(l).ok()).unwrap_or(1);
        (repository_path(&file), line.max(1))
    } else {
        (repository_path(config_path), 1)
    };
    Finding {
        path,
        line,
        field: error.template.clone(),
        message: error.message.clone(),
        check_name: "teamcadence/template",
        severity: Severity::Major,
    }
}

/// A finding about the whole config, on its first line.
pub fn whole_config_finding(config_path: &Path, message: &str, severity: Severity) -> Finding {
    Finding {
        path: repository_path(config_path),
        line: 1,
        field: String::new(),
        message: message.to_owned(),
        check_name: match severity {
            Severity::Major => "teamcadence/check",
            Severity::Minor => "teamcadence/warning",
        },
        severity,
    }
}

/// The folder of a file path (empty for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `path` as GitLab expects it in a Code Quality report: relative to the repository root
/// (the working directory, where CI jobs run), `/`-separated, without `.` and with `..`
/// resolved where it can be (`./ci/../teamcadence.yml` is `teamcadence.yml`).
pub fn repository_path(path: &Path) -> String {
    let relative = match std::env::current_dir() {
        Ok(root) if path.is_absolute() => path.strip_prefix(&root).unwrap_or(path),
        _ => path,
    };
    let mut parts: Vec<String> = Vec::new();
    for component in relative.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|last| last != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::RootDir | Component::Prefix(_) => parts.push(String::new()),
        }
    }
    parts.join("/")
}

fn pretty(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_relative_to_the_repository() {
        assert_eq!(
            repository_path(Path::new("teamcadence.yml")),
            "teamcadence.yml"
        );
        assert_eq!(
            repository_path(Path::new("./ci/../config/teamcadence.yml")),
            "config/teamcadence.yml"
        );
        assert_eq!(repository_path(Path::new("../x.yml")), "../x.yml");
        let inside = std::env::current_dir().expect("cwd").join("a/b.yml");
        assert_eq!(repository_path(&inside), "a/b.yml");
    }

    #[test]
    fn fingerprints_tell_fields_apart_but_not_lines() {
        let finding = |field: &str, message: &str, line| Finding {
            path: "teamcadence.yml".to_owned(),
            line,
            field: field.to_owned(),
            message: message.to_owned(),
            check_name: "teamcadence/config",
            severity: Severity::Major,
        };
        assert_eq!(
            fingerprint(&finding("ab", "c", 3)),
            fingerprint(&finding("ab", "c", 9))
        );
        assert_ne!(
            fingerprint(&finding("ab", "c", 3)),
            fingerprint(&finding("a", "bc", 3))
        );
        // FNV-1a 64 of the empty input is its offset basis: the hash is the specified one.
        assert_eq!(
            format!("{:016x}", fnv::FnvHasher::default().finish()),
            "cbf29ce484222325"
        );
    }
}
