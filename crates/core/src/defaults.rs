//! The default issue templates, compiled into every binary and overridable per team.

use crate::template::Template;

/// A template shipped with teamcadence: its name (the path in this repository) and text.
#[derive(Debug, Clone, Copy)]
pub struct DefaultTemplate {
    /// Path under the repository root, used in error messages.
    pub name: &'static str,
    /// The template's text.
    pub text: &'static str,
}

impl DefaultTemplate {
    /// The template, ready to render.
    pub fn template(&self) -> Template {
        Template::new(self.name, self.text)
    }
}

/// The milestone planning issue.
pub const PLANNING: DefaultTemplate = DefaultTemplate {
    name: "templates/planning.md",
    text: include_str!("../../../templates/planning.md"),
};

/// The PTO coverage issue.
pub const PTO_COVERAGE: DefaultTemplate = DefaultTemplate {
    name: "templates/pto-coverage.md",
    text: include_str!("../../../templates/pto-coverage.md"),
};

/// The developer onboarding issue.
pub const ONBOARDING: DefaultTemplate = DefaultTemplate {
    name: "templates/onboarding.md",
    text: include_str!("../../../templates/onboarding.md"),
};

/// A recurring issue a team declares, when it names no template of its own.
pub const RECURRING: DefaultTemplate = DefaultTemplate {
    name: "templates/recurring.md",
    text: include_str!("../../../templates/recurring.md"),
};

/// The weekly async status update prompt (a comment).
pub const ASYNC_UPDATE: DefaultTemplate = DefaultTemplate {
    name: "templates/async-update.md",
    text: include_str!("../../../templates/async-update.md"),
};

/// The weekly sync meeting's agenda issue.
pub const WEEKLY_SYNC: DefaultTemplate = DefaultTemplate {
    name: "templates/weekly-sync.md",
    text: include_str!("../../../templates/weekly-sync.md"),
};

/// The milestone retrospective issue.
pub const RETROSPECTIVE: DefaultTemplate = DefaultTemplate {
    name: "templates/retrospective.md",
    text: include_str!("../../../templates/retrospective.md"),
};

/// Every default template, for checks that render them all.
pub const ALL: [DefaultTemplate; 7] = [
    PLANNING,
    PTO_COVERAGE,
    ONBOARDING,
    RECURRING,
    ASYNC_UPDATE,
    WEEKLY_SYNC,
    RETROSPECTIVE,
];
