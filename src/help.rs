//! The closing part of each binary's `--help`: the environment it reads, its exit codes and
//! an example, so that a team setting up a CI job finds every knob in one place.

/// The variables every job binary reads, one `name  meaning` line each.
const JOB_ENV: &str = "  TEAMCADENCE_CONFIG         the config file, as --config
  TEAMCADENCE_REPORT         as --report
  TEAMCADENCE_ANNOTATIONS    as --annotations
  TEAMCADENCE_TIMEOUT        as --timeout
  CI_SERVER_URL              the GitLab instance when --gitlab-url is not given (GitLab CI
                             sets it)
  GITLAB_TOKEN               the token that writes issues: a project or group access token
                             with the Reporter (or Planner) role and the `api` scope
  GITLAB_TOKEN_FILE          a file holding that token, read when GITLAB_TOKEN is not set
  CI_JOB_TOKEN               the job's own token, tried last: GitLab lets it create no
                             issue, so a writing job needs GITLAB_TOKEN
  GITLAB_CI                  `true` (GitLab CI sets it): folds each issue of the text output
                             into a collapsed log section
  TEAMCADENCE_LOG            log level on stderr: error, warn (default), info, debug, trace
  NO_COLOR, CI               set: logs without colours
  TEAMCADENCE_RETRY_BASE_MS  the first wait before retrying GitLab, in milliseconds
                             (default 500); tests shorten it";

/// What the exit code says, the same for every binary.
const EXIT_CODES: &str = "\
Exit codes:
  0  the run did what was due (nothing due is fine too)
  1  some work failed (GitLab unreachable, an issue not written); the output says which
  2  bad usage, config, template or token; nothing was written";

/// The text after a job binary's options: the common variables, then the binary's own
/// (`own_env`, lines in the same layout, may be empty), the exit codes and `examples`.
pub fn job_after_help(own_env: &str, examples: &str) -> String {
    let own = if own_env.is_empty() {
        String::new()
    } else {
        format!("\n{own_env}")
    };
    format!("Environment:\n{JOB_ENV}{own}\n\n{EXIT_CODES}\n\nExamples:\n{examples}")
}

/// The text after `teamcadence check`'s options.
pub const CHECK_AFTER_HELP: &str = "\
Environment:
  TEAMCADENCE_CONFIG       the config file, as --config
  TEAMCADENCE_CODEQUALITY  as --codequality

Exit codes:
  0  the config is valid and every template renders
  1  the config is valid but the Code Quality report could not be written
  2  a problem in the config or a template (each one is printed); nothing was written

Examples:
  teamcadence check --config teamcadence.yml
  teamcadence check --codequality teamcadence-report/codequality.json";

/// The text after `teamcadence`'s own options.
pub const TEAMCADENCE_AFTER_HELP: &str = "\
The jobs themselves are the binaries planning-issue, onboarding-issue, pto-coverage and
recurring-issues, and the rituals async-updates, weekly-sync and retrospective; run each with
--help. Each command's --help lists the variables it reads.

Exit codes:
  0  the command did what it was asked
  1  a result file could not be written; the output says which
  2  bad usage, or a problem in the config or a template; nothing was written

Examples:
  teamcadence check --config teamcadence.yml
  teamcadence schema > schema/teamcadence.schema.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binarys_own_variables_follow_the_common_ones() {
        let text = job_after_help("  PTO_PERSON  as --person", "  pto-coverage --dry-run");
        let common = text.find("GITLAB_TOKEN ").expect("common variables");
        let own = text.find("PTO_PERSON").expect("own variables");
        let exits = text.find("Exit codes:").expect("exit codes");
        assert!(common < own && own < exits, "{text}");
        assert!(
            text.ends_with("Examples:\n  pto-coverage --dry-run"),
            "{text}"
        );
        // Rust's line continuation must not eat the first variable's indent.
        assert!(
            text.starts_with("Environment:\n  TEAMCADENCE_CONFIG "),
            "{text}"
        );
    }
}
