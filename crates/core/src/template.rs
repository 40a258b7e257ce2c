//! Issue templates: Markdown with optional YAML front matter, rendered by handlebars in
//! strict mode with teamcadence's helpers.
//!
//! A template looks like this:
//!
//! ```text
//! ---
//! title: "{{team.name}} {{milestone.title}} Planning"
//! labels: ["Planning Issue", "{{team.label}}"]
//! assignees: ["{{manager.username}}"]
//! due_date: "{{milestone.planning_lock}}"
//! confidential: false
//! ---
//! ## Overview
//! Owner: {{mention manager}}
//! /label ~"written in the template"
//! ```
//!
//! Templates are trusted (they live in the team's repository); the data they are rendered
//! with is not. So every `{{value}}` in the body passes through [`neutralise::markdown`], the
//! title's through [`neutralise::inline`] and the other front matter values through
//! [`neutralise::plain`], while text written in the template itself, quick actions,
//! mentions and references included, is left alone. `{{{value}}}` (three braces) is
//! neutralised the same way: no data reaches an issue as Markdown. Helpers that write
//! Markdown themselves (`mention`, `table`, `join`) neutralise the data they put in it.
//!
//! Blocks, sub-expressions and partials may nest 40 deep together, and a partial may not
//! include itself: handlebars would otherwise exhaust the stack on a hostile template.
//!
//! Helpers, besides the handlebars built-ins (`if`, `unless`, `each`, `with`, `lookup`,
//! `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `and`, `or`, `not`). Dates are `YYYY-MM-DD`
//! strings in and out:
//!
//! | helper | result |
//! | --- | --- |
//! | `date d [format]` | `d` formatted with chrono's strftime `format` (default `%Y-%m-%d`) |
//! | `add_days d n` | `d` plus `n` calendar days (`n` may be negative) |
//! | `add_working_days d n [username]` | the `n`-th working day after `d` in that person's calendar (the default calendar without one) |
//! | `working_days from until [username]` | how many working days `from..=until` holds |
//! | `monday_before d n` | the Monday on or before `d` minus `n` days |
//! | `len list` | how many items a list (or fields an object, characters a string) holds; null is 0 |
//! | `mention user` | `@username` (a username or an object with `username`); empty for null |
//! | `mentions list` | each user of `list` mentioned, joined with `, ` |
//! | `table rows "Header=field" ...` | a Markdown table, one row per item of `rows` |
//! | `with_role list role` | the items of `list` whose `role` is `role` |
//! | `join list [separator]` | the non-empty items of `list`, neutralised, joined with `separator` (default `, `) |

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use chrono::format::StrftimeItems;
use handlebars::template::Template as Compiled;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, Renderable, ScopedJson, StringOutput,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::calendar::{self, Calendars, WorkingCalendar};
use crate::neutralise;

mod nesting;

/// The keys a template's front matter may set, in the order they are documented.
const FRONT_MATTER_KEYS: &str = "title, labels, assignees, due_date, confidential";

/// A named template text (name = its file path or the default template's name, used in errors).
/// Clones share the text: every team of an organisation holds the same default templates.
#[derive(Debug, Clone)]
pub struct Template {
    name: Arc<str>,
    text: Arc<str>,
}

impl Template {
    /// A template called `name` (shown in every error about it) with the given text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: Arc::from(name.into()),
            text: Arc::from(text.into()),
        }
    }

    /// The name errors refer to the template by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template's text, front matter included.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The template with GitLab-style placeholders (`%{name}`, as in GitLab's own description
    /// templates) turned into the handlebars expressions `known` maps them to, so that a
    /// template written for people filling it in by hand works unchanged. Lines and columns
    /// before a placeholder stay where they were, so errors still point into the file. A
    /// placeholder not in `known` is an error naming it and the ones there are.
    pub fn with_placeholders(&self, known: &[(&str, &str)]) -> Result<Template, TemplateError> {
        let mut text = String::with_capacity(self.text.len());
        for (index, line) in self.text.split_inclusive('\n').enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("%{") {
                let Some(length) = rest[at + 2..].find('}') else {
                    break;
                };
                let name = &rest[at + 2..at + 2 + length];
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    // Not a placeholder (`%{` in prose or code): leave it as written.
                    text.push_str(&rest[..at + 2]);
                    rest = &rest[at + 2..];
                    continue;
                }
                let Some((_, expression)) =
                    known.iter().find(|(placeholder, _)| *placeholder == name)
                else {
                    let column = line.len() - rest.len() + at + 1;
                    let names: Vec<String> =
                        known.iter().map(|(p, _)| format!("%{{{p}}}")).collect();
                    return Err(TemplateError::new(
                        self,
                        Some(index + 1),
                        Some(column),
                        format!(
                            "unknown placeholder `%{{{name}}}`; the placeholders filled in are {}",
                            names.join(", ")
                        ),
                    ));
                };
                text.push_str(&rest[..at]);
                text.push_str(expression);
                rest = &rest[at + 2 + length + 1..];
            }
            text.push_str(rest);
        }
        Ok(Template::new(self.name.to_string(), text))
    }
}

/// What a rendered template says about the issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedIssue {
    /// Issue title, on one line; empty when the template has no front matter title.
    pub title: String,
    /// Labels in template order; items that rendered empty are left out.
    pub labels: Vec<String>,
    /// Usernames to assign in template order; items that rendered empty are left out.
    pub assignees: Vec<String>,
    /// Due date, when the template sets one that renders non-empty.
    pub due_date: Option<NaiveDate>,
    /// Whether the issue is confidential, when the template says (an empty value says nothing).
    pub confidential: Option<bool>,
    /// Markdown description: the rendered body without leading blank lines or trailing whitespace.
    pub description: String,
}

/// A template that does not parse or render, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", place(.template, .line, .column))]
pub struct TemplateError {
    /// Name of the template.
    pub template: String,
    /// Line in the template file (1-based, front matter included), when known.
    pub line: Option<usize>,
    /// Column in that line (1-based), when known.
    pub column: Option<usize>,
    /// What is wrong and what to do about it.
    pub message: String,
}

/// `name:line:column`, or as much of it as is known.
fn place(template: &str, line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{template}:{line}:{column}"),
        (Some(line), None) => format!("{template}:{line}"),
        _ => template.to_owned(),
    }
}

impl TemplateError {
    pub(crate) fn new(
        template: &Template,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    ) -> Self {
        Self {
            template: template.name.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Renders issue templates with teamcadence's helpers and neutralisation.
pub struct Renderer {
    /// Escapes values with Markdown rules, for the body.
    body: Handlebars<'static>,
    /// Escapes values with title rules (no mention, no reference), for the title.
    title: Handlebars<'static>,
    /// Only flattens values, for the front matter's other strings: labels, usernames, dates
    /// and flags are sent to GitLab as fields, never read as Markdown.
    fields: Handlebars<'static>,
    /// Each handlebars text parsed, checked and neutralised once, by its text: an
    /// organisation's run renders the same few templates thousands of times, and parsing
    /// took nine tenths of a run's time.
    compiled: Mutex<HashMap<String, Arc<Compiled>>>,
}

impl Renderer {
    /// A renderer whose working-day helpers use `calendars`.
    pub fn new(calendars: Arc<Calendars>) -> Self {
        Self {
            body: registry(&calendars, neutralise::markdown),
            title: registry(&calendars, neutralise::inline),
            fields: registry(&calendars, neutralise::plain),
            compiled: Mutex::default(),
        }
    }

    /// Renders `template` with `context`, checking what the front matter says about the issue.
    pub fn render(
        &self,
        template: &Template,
        context: &Value,
    ) -> Result<RenderedIssue, TemplateError> {
        let parts = split_front_matter(template)?;
        let front = match parts.front_matter {
            Some(yaml) => parse_front_matter(template, yaml)?,
            None => FrontMatter::default(),
        };
        let origin = Origin::Body(parts.body_line);
        // Handlebars renders from its own copy of the context: one for the whole issue.
        let context = wrap(template, context, &origin)?;
        let issue = self.render_front_matter(template, front, &context)?;
        let body = self.render_checked(&self.body, template, parts.body, &context, &origin)?;
        Ok(RenderedIssue {
            description: body.trim_start_matches(['\n', '\r']).trim_end().to_owned(),
            ..issue
        })
    }

    /// Renders all of `template` as Markdown, without front matter: for short texts such as
    /// comments.
    pub fn render_text(
        &self,
        template: &Template,
        context: &Value,
    ) -> Result<String, TemplateError> {
        let origin = Origin::Body(0);
        self.render_checked(
            &self.body,
            template,
            template.text(),
            &wrap(template, context, &origin)?,
            &origin,
        )
        .map(|text| text.trim().to_owned())
    }

    fn render_front_matter(
        &self,
        template: &Template,
        front: FrontMatter,
        context: &Context,
    ) -> Result<RenderedIssue, TemplateError> {
        let render = |key: &'static str, value: &Spanned<String>| {
            let registry = if key == "title" {
                &self.title
            } else {
                &self.fields
            };
            let origin = Origin::FrontMatter(key, value);
            self.render_checked(registry, template, &value.value, context, &origin)
                .map(|text| neutralise::plain(&text))
        };
        let wrong = |value: &Spanned<String>, message: String| {
            let (line, column) = yaml_position(value);
            TemplateError::new(template, line, column, message)
        };

        let title = match &front.title {
            Some(title) => render("title", title)?,
            None => String::new(),
        };
        let mut labels = Vec::new();
        for item in front.labels.iter().flatten() {
            let label = render("labels", item)?;
            if label.contains(',') {
                return Err(wrong(
                    item,
                    format!(
                        "label {label:?} contains a comma, and GitLab would split it into two \
                         labels; take the comma out of the label or the data it comes from"
                    ),
                ));
            }
            if !label.is_empty() {
                labels.push(label);
            }
        }
        let mut assignees = Vec::new();
        for item in front.assignees.iter().flatten() {
            let username = render("assignees", item)?;
            if username.is_empty() {
                continue;
            }
            if !neutralise::is_valid_username(&username) {
                return Err(wrong(
                    item,
                    format!(
                        "assignee {username:?} is not a GitLab username (letters, digits, `_`, \
                         `-`, `.`, written without `@`; never all, here, everyone or channel); \
                         check the template and the data it uses"
                    ),
                ));
            }
            assignees.push(username);
        }
        let due_date = match &front.due_date {
            Some(value) => {
                let text = render("due_date", value)?;
                if text.is_empty() {
                    None
                } else {
                    Some(parse_date(&text).ok_or_else(|| {
                        wrong(
                            value,
                            format!(
                                "due_date rendered to {text:?}, which is not a date; it must \
                                 render to YYYY-MM-DD (for example \"2025-03-31\") or to nothing"
                            ),
                        )
                    })?)
                }
            }
            None => None,
        };
        let confidential = match front.confidential {
            None => None,
            Some(Spanned {
                value: Confidential::Bool(flag),
                ..
            }) => Some(flag),
            Some(Spanned {
                value: Confidential::Text(text),
                referenced,
                defined,
            }) => {
                let value = Spanned::new(text, referenced, defined);
                match render("confidential", &value)?.as_str() {
                    "" => None,
                    "true" => Some(true),
                    "false" => Some(false),
                    other => {
                        return Err(wrong(
                            &value,
                            format!(
                                "confidential rendered to {other:?}; it must be true or false \
                                 (or render to nothing to leave the issue's default)"
                            ),
                        ));
                    }
                }
            }
        };
        Ok(RenderedIssue {
            title,
            labels,
            assignees,
            due_date,
            confidential,
            description: String::new(),
        })
    }
}

/// A template cut in two: the YAML between the `---` lines, and the Markdown body after.
struct Parts<'a> {
    front_matter: Option<&'a str>,
    body: &'a str,
    /// File line number of the body's first line minus one.
    body_line: usize,
}

/// Finds the front matter: a first line `---`, up to the next line `---`.
fn split_front_matter(template: &Template) -> Result<Parts<'_>, TemplateError> {
    let text = template.text();
    let is_delimiter = |line: &str| line.trim_end() == "---";
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if is_delimiter(first) => {}
        _ => {
            return Ok(Parts {
                front_matter: None,
                body: text,
                body_line: 0,
            });
        }
    }
    let yaml_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if is_delimiter(line) {
            return Ok(Parts {
                front_matter: Some(&text[yaml_start..offset]),
                body: &text[offset + line.len()..],
                // The opening line, the YAML lines before this one, and this line.
                body_line: index + 2,
            });
        }
        offset += line.len();
    }
    Err(TemplateError::new(
        template,
        Some(1),
        Some(1),
        "the front matter opened here is never closed; end it with a line `---` before the \
         issue's text"
            .to_owned(),
    ))
}

/// The front matter as written: each string is still a handlebars template.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Option<Spanned<String>>,
    labels: Option<Vec<Spanned<String>>>,
    assignees: Option<Vec<Spanned<String>>>,
    due_date: Option<Spanned<String>>,
    confidential: Option<Spanned<Confidential>>,
}

/// `confidential:` may be a YAML bool or a string that renders to `true` or `false`.
#[derive(Debug)]
enum Confidential {
    Bool(bool),
    Text(String),
}

impl<'de> Deserialize<'de> for Confidential {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Confidential;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false, or a string that renders to one of them")
            }
            fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Confidential, E> {
                Ok(Confidential::Bool(flag))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Confidential, E> {
                Ok(Confidential::Text(text.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn parse_front_matter(template: &Template, yaml: &str) -> Result<FrontMatter, TemplateError> {
    if yaml.trim().is_empty() {
        return Ok(FrontMatter::default());
    }
    serde_saphyr::from_str(yaml).map_err(|e| {
        let location = e.location();
        let rendered = e.render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
        // The location is reported in front matter lines; the error gives file lines instead.
        let reason = strip_location(&rendered);
        let message = match reason.strip_prefix("unknown field ") {
            Some(rest) => {
                let key = rest.split(',').next().unwrap_or(rest);
                format!(
                    "unknown front matter key {key}; the keys are {FRONT_MATTER_KEYS}: \
                     remove it or fix its spelling"
                )
            }
            None => format!(
                "the front matter is not valid: {reason}; it is YAML with the keys \
                 {FRONT_MATTER_KEYS}, and a value containing `{{{{` must be quoted \
                 (title: \"{{{{team.name}}}} planning\")"
            ),
        };
        TemplateError::new(
            template,
            location.map(|l| file_line(l.line())),
            location.map(|l| l.column() as usize),
            message,
        )
    })
}

/// `message` without a trailing ` at line N, column M`.
fn strip_location(message: &str) -> &str {
    let Some(at) = message.rfind(" at line ") else {
        return message;
    };
    let rest = &message[at + " at line ".len()..];
    let is_location = rest.split_once(", column ").is_some_and(|(line, column)| {
        [line, column]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if is_location { &message[..at] } else { message }
}

/// A front matter line number (1 = the line after the opening `---`) as a file line number.
fn file_line(yaml_line: u64) -> usize {
    yaml_line as usize + 1
}

/// Where a front matter value starts in the file.
fn yaml_position(value: &Spanned<String>) -> (Option<usize>, Option<usize>) {
    let at = value.referenced;
    if at.line() == 0 {
        (None, None)
    } else {
        (Some(file_line(at.line())), Some(at.column() as usize))
    }
}

/// Which part of the file a handlebars template came from, to place its errors in the file.
enum Origin<'a> {
    /// The body, which starts after this many file lines.
    Body(usize),
    /// A front matter value, under this key.
    FrontMatter(&'static str, &'a Spanned<String>),
}

impl Renderer {
    /// Renders one handlebars `text` of `template` with `registry`: checked against the
    /// nesting limits first (handlebars recurses per level and would exhaust the stack), with
    /// `{{{x}}}` neutralised like `{{x}}`, and every error placed in the template file.
    fn render_checked(
        &self,
        registry: &Handlebars<'static>,
        template: &Template,
        text: &str,
        context: &Context,
        origin: &Origin<'_>,
    ) -> Result<String, TemplateError> {
        let compiled = self.compiled(template, text, origin)?;
        render_compiled(registry, &compiled, context)
            .map_err(|e| handlebars_error(template, e, origin))
    }

    /// `text` parsed, checked and neutralised: from the cache when it was before. A text
    /// that does not parse is not kept, so each render says why.
    fn compiled(
        &self,
        template: &Template,
        text: &str,
        origin: &Origin<'_>,
    ) -> Result<Arc<Compiled>, TemplateError> {
        let cached = self
            .compiled
            .lock()
            .ok()
            .and_then(|cache| cache.get(text).cloned());
        if let Some(compiled) = cached {
            return Ok(compiled);
        }
        let too_deep = |problem: nesting::Problem| {
            let position = problem.offset.map(|offset| line_and_column(text, offset));
            place_error(template, origin, position, problem.message)
        };
        nesting::scan(text).map_err(too_deep)?;
        let mut compiled =
            Compiled::compile(text).map_err(|e| handlebars_error(template, e.into(), origin))?;
        nesting::check_partials(&compiled).map_err(too_deep)?;
        nesting::neutralise_triple_braces(&mut compiled);
        let compiled = Arc::new(compiled);
        if let Ok(mut cache) = self.compiled.lock() {
            cache.insert(text.to_owned(), Arc::clone(&compiled));
        }
        Ok(compiled)
    }
}

/// `context` as handlebars renders from it (its own copy).
fn wrap(
    template: &Template,
    context: &Value,
    origin: &Origin<'_>,
) -> Result<Context, TemplateError> {
    Context::wraps(context).map_err(|e| handlebars_error(template, e, origin))
}

/// What `Handlebars::render_template` does, for a template already parsed.
fn render_compiled(
    registry: &Handlebars<'static>,
    compiled: &Compiled,
    context: &Context,
) -> Result<String, RenderError> {
    let mut render_context = RenderContext::new(None);
    let mut out = StringOutput::new();
    compiled.render(registry, context, &mut render_context, &mut out)?;
    out.into_string()
        .map_err(|e| RenderErrorReason::Other(format!("the output is not UTF-8: {e}")).into())
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(1, |last| last.chars().count() + 1);
    (line, column)
}

/// Turns a handlebars error into one that names the template, the file line and a remedy.
fn handlebars_error(template: &Template, error: RenderError, origin: &Origin<'_>) -> TemplateError {
    let (position, message) = match error.reason() {
        RenderErrorReason::TemplateError(syntax) => (
            syntax.pos(),
            format!(
                "{}; check that every `{{{{` has its `}}}}` and every `{{{{#block}}}}` its \
                 `{{{{/block}}}}`",
                syntax.reason()
            ),
        ),
        reason => (error.line_no.zip(error.column_no), explain(reason)),
    };
    place_error(template, origin, position, message)
}

/// An error at `position` (line and column) of the handlebars text that `origin` names.
fn place_error(
    template: &Template,
    origin: &Origin<'_>,
    position: Option<(usize, usize)>,
    message: String,
) -> TemplateError {
    match origin {
        Origin::Body(offset) => TemplateError::new(
            template,
            position.map(|(line, _)| line + offset),
            position.map(|(_, column)| column),
            message,
        ),
        Origin::FrontMatter(key, value) => {
            let (line, column) = yaml_position(value);
            TemplateError::new(template, line, column, format!("in `{key}`: {message}"))
        }
    }
}

/// Says what a handlebars failure means for a template author.
fn explain(reason: &RenderErrorReason) -> String {
    match reason {
        RenderErrorReason::MissingVariable(Some(path)) => format!(
            "unknown variable `{path}`: the data for this issue has no such value; check its \
             spelling, or guard it with `{{{{#if {path}}}}}...{{{{/if}}}}`"
        ),
        RenderErrorReason::MissingVariable(None) => "a value the template asks for is missing \
             from the data for this issue; check the names it uses"
            .to_owned(),
        RenderErrorReason::HelperNotFound(name) => format!(
            "unknown helper `{name}`; the helpers are date, add_days, add_working_days, \
             working_days, monday_before, mention, mentions, table, with_role, join, mermaid and the \
             handlebars built-ins"
        ),
        RenderErrorReason::ParamNotFoundForIndex(helper, index) => format!(
            "`{helper}` needs a value for its parameter {}, and that value is missing; check \
             the names it uses",
            index + 1
        ),
        RenderErrorReason::ParamNotFoundForName(helper, name) => format!(
            "`{helper}` needs a value for its parameter `{name}`, and that value is missing; \
             check the names it uses"
        ),
        RenderErrorReason::Other(message) => message.clone(),
        other => other.to_string(),
    }
}

/// A handlebars registry in strict mode with teamcadence's helpers and `escape` for values.
fn registry(calendars: &Arc<Calendars>, escape: fn(&str) -> String) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(escape);

    registry.register_helper("date", value_helper(date_helper));
    registry.register_helper("add_days", value_helper(add_days_helper));
    let cals = Arc::clone(calendars);
    registry.register_helper(
        "add_working_days",
        value_helper(move |h| add_working_days_helper(h, &cals)),
    );
    let cals = Arc::clone(calendars);
    registry.register_helper(
        "working_days",
        value_helper(move |h| working_days_helper(h, &cals)),
    );
    registry.register_helper("monday_before", value_helper(monday_before_helper));
    // Handlebars' own `len` answers 0 for anything that is not a list, which hides mistakes.
    registry.register_helper("len", value_helper(len_helper));
    registry.register_helper("with_role", value_helper(with_role_helper));
    registry.register_helper("mention", raw_helper(|h, _| mention_helper(h)));
    registry.register_helper("mentions", raw_helper(|h, _| mentions_helper(h)));
    registry.register_helper("table", raw_helper(|h, _| table_helper(h)));
    registry.register_helper("join", raw_helper(join_helper));
    registry.register_helper("mermaid", raw_helper(|h, _| mermaid_helper(h)));
    registry
}

type ValueFn = dyn Fn(&Helper<'_>) -> Result<Value, RenderError> + Send + Sync;

/// A helper that returns a value; handlebars neutralises it like any other value.
struct ValueHelper(Box<ValueFn>);

fn value_helper(
    f: impl Fn(&Helper<'_>) -> Result<Value, RenderError> + Send + Sync + 'static,
) -> Box<ValueHelper> {
    Box::new(ValueHelper(Box::new(f)))
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        (self.0)(h).map(ScopedJson::Derived)
    }
}

type RawFn =
    dyn Fn(&Helper<'_>, &dyn Fn(&str) -> String) -> Result<String, RenderError> + Send + Sync;

/// A helper that writes Markdown itself: handlebars would otherwise escape its output
/// (breaking `@` of a mention and the `|` of a table), so it neutralises data on its own.
struct RawHelper(Box<RawFn>);

fn raw_helper(
    f: impl Fn(&Helper<'_>, &dyn Fn(&str) -> String) -> Result<String, RenderError>
    + Send
    + Sync
    + 'static,
) -> Box<RawHelper> {
    Box::new(RawHelper(Box::new(f)))
}

impl HelperDef for RawHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        // Always the registry's neutraliser: data never reaches the issue unescaped, even
        // where a template asks for no escaping.
        let text = (self.0)(h, registry.get_escape_fn())?;
        out.write(&text)?;
        Ok(())
    }
}

/// An error a helper raises, with the helper's usage appended.
fn helper_error(h: &Helper<'_>, usage: &str, problem: String) -> RenderError {
    RenderErrorReason::Other(format!("`{}`: {problem} (usage: {usage})", h.name())).into()
}

/// Checks the number of parameters a helper got against what it takes.
fn check_arity(h: &Helper<'_>, usage: &str, min: usize, max: usize) -> Result<(), RenderError> {
    let count = h.params().len();
    if count < min || count > max {
        let wanted = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(helper_error(
            h,
            usage,
            format!("takes {wanted} parameters, got {count}"),
        ));
    }
    Ok(())
}

/// Parameter `index`; a variable missing from the data is an error (strict mode), as it
/// would be in `{{variable}}`, even though handlebars leaves that to each helper.
fn param<'a>(h: &'a Helper<'_>, index: usize) -> Result<Option<&'a Value>, RenderError> {
    match h.param(index) {
        None => Ok(None),
        Some(p) if p.is_value_missing() => {
            Err(RenderErrorReason::MissingVariable(p.relative_path().cloned()).into())
        }
        Some(p) => Ok(Some(p.value())),
    }
}

/// Parameter `index`, which `check_arity` has made sure is there.
fn required<'a>(h: &'a Helper<'_>, index: usize) -> Result<&'a Value, RenderError> {
    Ok(param(h, index)?.unwrap_or(&Value::Null))
}

/// A strict `YYYY-MM-DD` date.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

fn date_param(h: &Helper<'_>, index: usize, usage: &str) -> Result<NaiveDate, RenderError> {
    let value = required(h, index)?;
    value.as_str().and_then(parse_date).ok_or_else(|| {
        helper_error(
            h,
            usage,
            format!(
                "parameter {} must be a date written YYYY-MM-DD, got {value}",
                index + 1
            ),
        )
    })
}

fn integer_param(h: &Helper<'_>, index: usize, usage: &str) -> Result<i64, RenderError> {
    let value = required(h, index)?;
    let number = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    number.ok_or_else(|| {
        helper_error(
            h,
            usage,
            format!(
                "parameter {} must be a whole number, got {value}",
                index + 1
            ),
        )
    })
}

fn days_param(h: &Helper<'_>, index: usize, usage: &str) -> Result<u32, RenderError> {
    let days = integer_param(h, index, usage)?;
    u32::try_from(days).map_err(|_| {
        helper_error(
            h,
            usage,
            format!(
                "parameter {} must be a number of days from 0 up, got {days}",
                index + 1
            ),
        )
    })
}

fn date_value(date: NaiveDate) -> Value {
    Value::String(date.format("%Y-%m-%d").to_string())
}

const DATE_USAGE: &str = "{{date d \"%B %-d\"}}";

fn date_helper(h: &Helper<'_>) -> Result<Value, RenderError> {
    check_arity(h, DATE_USAGE, 1, 2)?;
    let date = date_param(h, 0, DATE_USAGE)?;
    let format = match param(h, 1)? {
        None => "%Y-%m-%d",
        Some(Value::String(format)) => format,
        Some(other) => {
            return Err(helper_error(
                h,
                DATE_USAGE,
                format!("the format must be a string, got {other}"),
            ));
        }
    };
    let bad_format = || {
        helper_error(
            h,
            DATE_USAGE,
            format!(
                "{format:?} is not a date format; use chrono strftime fields for dates, such \
                 as %Y %m %d %B %b %A %a %-d (no times or zones)"
            ),
        )
    };
    let items = StrftimeItems::new(format)
        .parse()
        .map_err(|_| bad_format())?;
    let mut text = String::new();
    // Fields a date cannot fill (hours, zones) make the formatting fail rather than panic.
    write!(text, "{}", date.format_with_items(items.iter())).map_err(|_| bad_format())?;
    Ok(Value::String(text))
}

const ADD_DAYS_USAGE: &str = "{{add_days d 7}}";

fn add_days_helper(h: &Helper<'_>) -> Result<Value, RenderError> {
    check_arity(h, ADD_DAYS_USAGE, 2, 2)?;
    let date = date_param(h, 0, ADD_DAYS_USAGE)?;
    let days = integer_param(h, 1, ADD_DAYS_USAGE)?;
    chrono::TimeDelta::try_days(days)
        .and_then(|delta| date.checked_add_signed(delta))
        .map(date_value)
        .ok_or_else(|| {
            helper_error(
                h,
                ADD_DAYS_USAGE,
                format!("{date} plus {days} days is out of range"),
            )
        })
}

/// The calendar of the person named by optional parameter `index`, or the default one.
fn calendar_param<'c>(
    h: &Helper<'_>,
    index: usize,
    calendars: &'c Calendars,
    usage: &str,
) -> Result<&'c WorkingCalendar, RenderError> {
    match username_of(param(h, index)?.unwrap_or(&Value::Null)) {
        // Everyone in the config (members and new hires) has a calendar; anyone else is a
        // mistake that would silently count the default calendar's days.
        Ok(Some(username)) => calendars
            .people()
            .find(|(name, _)| *name == username)
            .map(|(_, calendar)| calendar)
            .ok_or_else(|| {
                helper_error(
                    h,
                    usage,
                    format!(
                        "{username:?} is not a member or new hire in the config, so there is \
                         no calendar of theirs; pass the username of someone in the config, or \
                         leave parameter {} out for the default calendar",
                        index + 1
                    ),
                )
            }),
        Ok(None) => Ok(calendars.default_calendar()),
        Err(value) => Err(helper_error(
            h,
            usage,
            format!(
                "parameter {} must be a username or a person with a `username`, got {value}",
                index + 1
            ),
        )),
    }
}

const ADD_WORKING_DAYS_USAGE: &str = "{{add_working_days d 3 person.username}}";

fn add_working_days_helper(h: &Helper<'_>, calendars: &Calendars) -> Result<Value, RenderError> {
    let usage = ADD_WORKING_DAYS_USAGE;
    check_arity(h, usage, 2, 3)?;
    let date = date_param(h, 0, usage)?;
    let days = days_param(h, 1, usage)?;
    let calendar = calendar_param(h, 2, calendars, usage)?;
    Ok(date_value(calendar.add_working_days(date, days)))
}

const WORKING_DAYS_USAGE: &str = "{{working_days from until person.username}}";

fn working_days_helper(h: &Helper<'_>, calendars: &Calendars) -> Result<Value, RenderError> {
    let usage = WORKING_DAYS_USAGE;
    check_arity(h, usage, 2, 3)?;
    let from = date_param(h, 0, usage)?;
    let until = date_param(h, 1, usage)?;
    let calendar = calendar_param(h, 2, calendars, usage)?;
    Ok(Value::from(calendar.working_days(from, until)))
}

const MONDAY_BEFORE_USAGE: &str = "{{monday_before d 14}}";

fn monday_before_helper(h: &Helper<'_>) -> Result<Value, RenderError> {
    check_arity(h, MONDAY_BEFORE_USAGE, 2, 2)?;
    let date = date_param(h, 0, MONDAY_BEFORE_USAGE)?;
    let days = days_param(h, 1, MONDAY_BEFORE_USAGE)?;
    Ok(date_value(calendar::monday_before(date, days)))
}

const LEN_USAGE: &str = "{{len members}}";

fn len_helper(h: &Helper<'_>) -> Result<Value, RenderError> {
    check_arity(h, LEN_USAGE, 1, 1)?;
    let count = match required(h, 0)? {
        Value::Array(items) => items.len(),
        Value::Object(fields) => fields.len(),
        Value::String(text) => text.chars().count(),
        Value::Null => 0,
        other => {
            return Err(helper_error(
                h,
                LEN_USAGE,
                format!("needs a list, an object or a string, got {other}"),
            ));
        }
    };
    Ok(Value::from(count))
}

const WITH_ROLE_USAGE: &str = "{{#each (with_role members \"engineering-manager\")}}";

fn with_role_helper(h: &Helper<'_>) -> Result<Value, RenderError> {
    check_arity(h, WITH_ROLE_USAGE, 2, 2)?;
    let items = list_param(h, 0, WITH_ROLE_USAGE)?;
    let Some(role) = required(h, 1)?.as_str() else {
        return Err(helper_error(
            h,
            WITH_ROLE_USAGE,
            "the role must be a string".to_owned(),
        ));
    };
    let matching = items
        .iter()
        .filter(|item| item.get("role").and_then(Value::as_str) == Some(role))
        .cloned()
        .collect();
    Ok(Value::Array(matching))
}

/// A list parameter; null counts as an empty list.
fn list_param<'a>(
    h: &'a Helper<'_>,
    index: usize,
    usage: &str,
) -> Result<&'a [Value], RenderError> {
    match required(h, index)? {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        other => Err(helper_error(
            h,
            usage,
            format!("parameter {} must be a list, got {other}", index + 1),
        )),
    }
}

/// The username in `value` (a string, or an object with a `username`): `None` when null or
/// empty, `Err(value)` when it is something else. Not yet checked for validity.
fn username_of(value: &Value) -> Result<Option<&str>, &Value> {
    match value {
        Value::Null => Ok(None),
        Value::String(name) if name.trim().is_empty() => Ok(None),
        Value::String(name) => Ok(Some(name.trim())),
        Value::Object(fields) => match fields.get("username") {
            Some(inner @ (Value::Null | Value::String(_))) => username_of(inner),
            _ => Err(value),
        },
        other => Err(other),
    }
}

/// `@username` for a value naming a person, empty for nobody, an error for anything else.
fn mention(h: &Helper<'_>, usage: &str, value: &Value) -> Result<String, RenderError> {
    match username_of(value) {
        Ok(None) => Ok(String::new()),
        Ok(Some(name)) if neutralise::is_valid_username(name) => Ok(format!("@{name}")),
        Ok(Some(name)) => Err(helper_error(
            h,
            usage,
            format!(
                "{name:?} is not a GitLab username (letters, digits, `_`, `-`, `.`; mass \
                 mentions such as all or here are refused); fix the data it comes from"
            ),
        )),
        Err(other) => Err(helper_error(
            h,
            usage,
            format!("needs a username or a person with a `username`, got {other}"),
        )),
    }
}

const MENTION_USAGE: &str = "{{mention manager}} or {{mention manager.username}}";

fn mention_helper(h: &Helper<'_>) -> Result<String, RenderError> {
    check_arity(h, MENTION_USAGE, 1, 1)?;
    mention(h, MENTION_USAGE, required(h, 0)?)
}

const MENTIONS_USAGE: &str = "{{mentions team.members}}";

fn mentions_helper(h: &Helper<'_>) -> Result<String, RenderError> {
    check_arity(h, MENTIONS_USAGE, 1, 1)?;
    let mut mentions = Vec::new();
    for item in list_param(h, 0, MENTIONS_USAGE)? {
        let mention = mention(h, MENTIONS_USAGE, item)?;
        if !mention.is_empty() {
            mentions.push(mention);
        }
    }
    Ok(mentions.join(", "))
}

const JOIN_USAGE: &str = "{{join labels \", \"}}";

fn join_helper(h: &Helper<'_>, escape: &dyn Fn(&str) -> String) -> Result<String, RenderError> {
    check_arity(h, JOIN_USAGE, 1, 2)?;
    let separator = match param(h, 1)? {
        None => ", ",
        Some(Value::String(separator)) => separator,
        Some(other) => {
            return Err(helper_error(
                h,
                JOIN_USAGE,
                format!("the separator must be a string, got {other}"),
            ));
        }
    };
    let mut items = Vec::new();
    for item in list_param(h, 0, JOIN_USAGE)? {
        let text = match item {
            Value::Null => continue,
            Value::String(text) => escape(text),
            Value::Number(_) | Value::Bool(_) => item.to_string(),
            other => {
                return Err(helper_error(
                    h,
                    JOIN_USAGE,
                    format!("can only join strings and numbers, got {other}"),
                ));
            }
        };
        if !text.is_empty() {
            items.push(text);
        }
    }
    Ok(items.join(separator))
}

const MERMAID_USAGE: &str = "{{#if gantt}}{{mermaid gantt}}{{/if}}";

/// A chart the job computed (see [`crate::mermaid::Gantt`]) as a Mermaid block; its labels
/// are neutralised for Mermaid there, since a code block is out of Markdown's reach.
fn mermaid_helper(h: &Helper<'_>) -> Result<String, RenderError> {
    check_arity(h, MERMAID_USAGE, 1, 1)?;
    let value = required(h, 0)?;
    if value.is_null() {
        return Ok(String::new());
    }
    let chart: crate::mermaid::Gantt = serde_json::from_value(value.clone()).map_err(|e| {
        helper_error(
            h,
            MERMAID_USAGE,
            format!("its value is not a chart teamcadence drew ({e}); pass `gantt` itself"),
        )
    })?;
    Ok(chart.render())
}

const TABLE_USAGE: &str = "{{table people \"Name=name\" \"Backup=backup.username\"}}";

fn table_helper(h: &Helper<'_>) -> Result<String, RenderError> {
    if h.params().len() < 2 {
        return Err(helper_error(
            h,
            TABLE_USAGE,
            "needs a list of rows and at least one \"Header=field\" column".to_owned(),
        ));
    }
    let rows = list_param(h, 0, TABLE_USAGE)?;
    let mut columns = Vec::new();
    for index in 1..h.params().len() {
        let column = required(h, index)?
            .as_str()
            .and_then(|spec| spec.rsplit_once('='))
            .filter(|(_, field)| !field.trim().is_empty());
        let Some((header, field)) = column else {
            return Err(helper_error(
                h,
                TABLE_USAGE,
                format!(
                    "column {index} must be a string \"Header=field\", got {}",
                    required(h, index)?
                ),
            ));
        };
        columns.push((neutralise::markdown(header), field.trim()));
    }

    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |", cells.join(" | "))
    };
    let mut lines = vec![
        line(&mut columns.iter().map(|(header, _)| header.clone())),
        line(&mut columns.iter().map(|_| "---".to_owned())),
    ];
    for (number, row) in rows.iter().enumerate() {
        let mut cells = Vec::new();
        for (_, field) in &columns {
            let value = field_of(row, field).ok_or_else(|| {
                helper_error(
                    h,
                    TABLE_USAGE,
                    format!("row {} has no field `{field}`", number + 1),
                )
            })?;
            cells.push(cell(value).ok_or_else(|| {
                helper_error(
                    h,
                    TABLE_USAGE,
                    format!(
                        "row {}'s `{field}` is {value}, which does not fit in a cell; name \
                         one of its fields, such as `{field}.name`",
                        number + 1
                    ),
                )
            })?);
        }
        lines.push(line(&mut cells.into_iter()));
    }
    Ok(lines.join("\n"))
}

/// The value at a dotted `path` in `row` (`this` is the row itself); a path through null
/// is null, so an optional person (`backup.username`) leaves an empty cell.
fn field_of<'a>(row: &'a Value, path: &str) -> Option<&'a Value> {
    if path == "this" {
        return Some(row);
    }
    path.split('.').try_fold(row, |value, segment| match value {
        Value::Object(fields) => fields.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        Value::Null => Some(&Value::Null),
        _ => None,
    })
}

/// A value as the text of a table cell; `None` for what has no obvious text (an object).
fn cell(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::String(text) => Some(neutralise::markdown(text)),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        Value::Array(items) => {
            let cells: Option<Vec<String>> = items.iter().map(cell).collect();
            Some(
                cells?
                    .into_iter()
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DEFAULT_WEEKEND, Holidays};
    use chrono::Weekday;
    use serde_json::json;

    #[test]
    fn gitlab_placeholders_become_expressions_and_other_percent_braces_stay() {
        let known = [("buddy", "{{mention buddy}}"), ("due_date", "{{due}}")];
        let template = Template::new(
            "t.md",
            "Buddy: %{buddy}, due %{due_date}.\nprintf(\"%{ x }\") and 100%{} stay.\n",
        );
        let converted = template
            .with_placeholders(&known)
            .expect("known placeholders");
        assert_eq!(
            converted.text(),
            "Buddy: {{mention buddy}}, due {{due}}.\nprintf(\"%{ x }\") and 100%{} stay.\n"
        );
        let error = Template::new("t.md", "ok\n  see %{manager}\n")
            .with_placeholders(&known)
            .expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "t.md:2:7: unknown placeholder `%{manager}`; the placeholders filled in are \
             %{buddy}, %{due_date}"
        );
    }

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("test dates are valid")
    }

    /// Easter Monday 2025 is a holiday; `ada` works Sunday to Thursday with no holidays.
    fn renderer() -> Renderer {
        let mut holidays = Holidays::new();
        holidays.insert(date("2025-04-21"), "Easter Monday");
        let mut calendars = Calendars::new(WorkingCalendar::new(
            chrono_tz::Europe::Berlin,
            &DEFAULT_WEEKEND,
            holidays,
        ));
        calendars.insert(
            "ada",
            WorkingCalendar::new(
                chrono_tz::Asia::Jerusalem,
                &[Weekday::Fri, Weekday::Sat],
                Holidays::new(),
            ),
        );
        Renderer::new(Arc::new(calendars))
    }

    fn render(text: &str, context: &Value) -> Result<RenderedIssue, TemplateError> {
        renderer().render(&Template::new("planning.md", text), context)
    }

    fn body(text: &str, context: &Value) -> String {
        render(text, context)
            .unwrap_or_else(|e| panic!("{e}"))
            .description
    }

    fn error(text: &str, context: &Value) -> String {
        match render(text, context) {
            Ok(issue) => panic!("expected an error, got {issue:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// Shows the zero-width spaces that neutralise mentions, so snapshots can be read.
    fn visible(text: &str) -> String {
        text.replace('\u{200B}', "{ZWSP}")
    }

    /// The number of cells in a table line: `|` not escaped by a backslash, minus one.
    fn cells(line: &str) -> usize {
        let mut count = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' => escaped = !escaped,
                '|' if !escaped => count += 1,
                _ => escaped = false,
            }
            if c != '\\' {
                escaped = false;
            }
        }
        count - 1
    }

    const SAMPLE: &str = r#"---
title: "{{team.name}} {{milestone.title}} Planning : {{date milestone.start \"%B\"}}"
labels: ["Planning Issue", "{{team.label}}", "{{#if milestone.extra_label}}{{milestone.extra_label}}{{/if}}"]
assignees: ["{{manager.username}}", '{{#each (with_role members "engineering-manager")}}{{username}}{{/each}}']
due_date: "{{milestone.planning_lock}}"
confidential: false
---
## Overview

Planning for {{milestone.title}}, which starts on {{date milestone.start "%A %-d %B"}}.
Owner: {{mention manager}}. Everyone: {{mentions members}}.
Managers: {{#each (with_role members "engineering-manager")}}{{mention this}} ({{name}}){{/each}}

Planning locks on {{milestone.planning_lock}}, {{working_days milestone.start milestone.planning_lock}} working days in; feedback by {{add_working_days milestone.planning_lock 2}}.

### Notes
{{milestone.note}}
{{#each members}}
- {{name}}: {{note}}
{{/each}}

### Team
{{table members "Name=name" "Role=role" "Note=note" "Backup=backup.username" "Days=days"}}

/label ~"written in the template"
"#;

    fn hostile_context() -> Value {
        json!({
            "team": {"name": "Code\nCreation", "label": "group::code creation"},
            "manager": {"username": "grace", "name": "Grace"},
            "milestone": {
                "title": "19.8",
                "start": "2025-04-14",
                "planning_lock": "2025-04-25",
                "extra_label": null,
                "note": "/close",
            },
            "members": [
                {"username": "grace", "name": "@all", "role": "engineering-manager",
                 "note": "  /assign @me", "backup": {"username": "ada"}, "days": 3},
                {"username": "ada", "name": "Ada | Lovelace", "role": "backend",
                 "note": "ok\n/label ~x", "backup": null, "days": 4.5},
                {"username": "linus", "name": "<!-- teamcadence:key=x -->", "role": "frontend",
                 "note": "ping @here\u{2028}/due tomorrow\\", "backup": {"username": "grace"},
                 "days": true},
            ],
        })
    }

    #[test]
    fn hostile_data_cannot_act_on_the_issue() {
        let issue = render(SAMPLE, &hostile_context()).unwrap_or_else(|e| panic!("{e}"));
        let description = &issue.description;

        let slash_lines: Vec<&str> = description
            .lines()
            .filter(|line| line.trim_start().starts_with('/'))
            .collect();
        assert_eq!(slash_lines, [r#"/label ~"written in the template""#]);
        assert!(!description.contains("@all"));
        assert!(!description.contains("@here"));
        assert!(!description.contains("@me"));
        assert!(!description.contains("<!--"));
        assert!(
            description.contains("@grace"),
            "mention must stay a mention"
        );

        let table: Vec<&str> = description
            .lines()
            .filter(|line| line.starts_with('|'))
            .collect();
        assert_eq!(table.len(), 2 + 3);
        for line in &table {
            assert_eq!(cells(line), 5, "{line}");
        }

        assert_eq!(issue.title, "Code Creation 19.8 Planning : April");
        assert_eq!(issue.labels, ["Planning Issue", "group::code creation"]);
        assert_eq!(issue.assignees, ["grace", "grace"]);
        assert_eq!(issue.due_date, Some(date("2025-04-25")));
        assert_eq!(issue.confidential, Some(false));
        insta::assert_snapshot!("hostile_description", visible(description));
    }

    #[test]
    fn no_front_matter_is_body_only() {
        let issue = render("Hello {{name}}\n", &json!({"name": "Ada"})).unwrap();
        assert_eq!(
            issue,
            RenderedIssue {
                title: String::new(),
                labels: vec![],
                assignees: vec![],
                due_date: None,
                confidential: None,
                description: "Hello Ada".to_owned(),
            }
        );
    }

    #[test]
    fn front_matter_values_are_one_line_and_mention_nobody() {
        let text = "---\ntitle: \"{{t}}\"\nlabels: [\"{{l}}\", \"{{join list \\\"-\\\"}}\"]\n---\n";
        let issue = render(
            text,
            &json!({"t": "/close @all <b>\n|x|", "l": "a\tb", "list": ["x", "y"]}),
        )
        .unwrap();
        // GitLab notifies the people mentioned in a title; a title is not Markdown, so only
        // the mention is broken.
        assert_eq!(issue.title, "/close @\u{200B}all <b> |x|");
        assert_eq!(issue.labels, ["a b", "x-y"]);
    }

    #[test]
    fn triple_braces_neutralise_too() {
        let context = json!({"link": "[docs](https://example.com/a|b)", "who": ["@x"]});
        assert_eq!(
            body(
                "{{{link}}} {{link}} {{#if link}}{{{link}}}{{/if}}",
                &context
            ),
            [r"\[docs\](https://example.com/a\|b)"; 3].join(" ")
        );
        assert_eq!(
            body(
                "{{{join who}}} {{join who}} {{~{mention \"ada\"}~}}",
                &context
            ),
            "@\u{200B}x @\u{200B}x@ada"
        );
    }

    #[test]
    fn a_value_at_a_line_start_cannot_be_a_quick_action() {
        let context = json!({"empty": "", "note": "/close", "spaced": " \n /lock"});
        assert_eq!(
            body("{{empty}}{{note}}\n{{spaced}}", &context),
            "\\/close\n\\/lock"
        );
    }

    #[test]
    fn unknown_variable_names_template_line_and_column() {
        let text = "---\ntitle: \"x\"\n---\n## Overview\n\nPlanning for {{milestone.titel}}.\n";
        assert_eq!(
            error(text, &json!({"milestone": {"title": "19.8"}})),
            "planning.md:6:14: unknown variable `milestone.titel`: the data for this issue \
             has no such value; check its spelling, or guard it with \
             `{{#if milestone.titel}}...{{/if}}`"
        );
    }

    #[test]
    fn unknown_variable_inside_a_block_and_in_a_helper() {
        let text = "---\n---\n{{#each people}}\n  - {{nmae}}\n{{/each}}\n";
        let err = render(text, &json!({"people": [{"name": "Ada"}]})).unwrap_err();
        assert_eq!((err.line, err.column), (Some(4), Some(5)));
        let err = render("\n{{date milestone.begin}}", &json!({"milestone": {}})).unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(1)));
        assert!(err.message.contains("`milestone.begin`"), "{}", err.message);
    }

    #[test]
    fn strict_mode_and_conditionals() {
        let context = json!({"backup": null, "people": []});
        // `if` tests a missing value without complaint, and a null value renders as nothing.
        assert_eq!(
            body("{{#if absent}}a{{else}}b{{/if}}[{{backup}}]", &context),
            "b[]"
        );
        // A branch that does not run is not checked.
        assert_eq!(
            body("{{#each people}}{{absent}}{{/each}}ok", &context),
            "ok"
        );
        // But a path through null is missing, and so is a missing operand of `eq`.
        assert!(render("{{backup.username}}", &context).is_err());
        assert!(render("{{#if (eq absent 1)}}x{{/if}}", &context).is_err());
    }

    #[test]
    fn syntax_error_names_the_file_line() {
        assert_eq!(
            error(
                "---\ntitle: x\n---\n{{#if a}}\nx\n{{/each}}\n",
                &json!({"a": true})
            ),
            "planning.md:6:1: helper \"if\" was opened, but \"each\" is closing; check that \
             every `{{` has its `}}` and every `{{#block}}` its `{{/block}}`"
        );
    }

    #[test]
    fn unknown_front_matter_key() {
        assert_eq!(
            error("---\ntitle: x\nmilestone: \"19.8\"\n---\n", &json!({})),
            "planning.md:3:1: unknown front matter key `milestone`; the keys are title, \
             labels, assignees, due_date, confidential: remove it or fix its spelling"
        );
    }

    #[test]
    fn unquoted_handlebars_in_front_matter() {
        let message = error("---\ntitle: {{team.name}}\n---\n", &json!({}));
        assert!(message.starts_with("planning.md:2:8: the front matter is not valid: "));
        assert!(message.contains("must be quoted"), "{message}");
    }

    #[test]
    fn front_matter_value_errors_point_at_the_value() {
        assert_eq!(
            error(
                "---\nlabels:\n  - a\n  - \"{{tema.label}}\"\n---\n",
                &json!({})
            ),
            "planning.md:4:5: in `labels`: unknown variable `tema.label`: the data for this \
             issue has no such value; check its spelling, or guard it with \
             `{{#if tema.label}}...{{/if}}`"
        );
    }

    #[test]
    fn unclosed_front_matter() {
        assert_eq!(
            error("---\ntitle: x\n", &json!({})),
            "planning.md:1:1: the front matter opened here is never closed; end it with a \
             line `---` before the issue's text"
        );
    }

    #[test]
    fn bad_due_date() {
        assert_eq!(
            error(
                "---\ndue_date: \"{{day}}\"\n---\n",
                &json!({"day": "31/03/2025"})
            ),
            "planning.md:2:11: due_date rendered to \"31/03/2025\", which is not a date; it \
             must render to YYYY-MM-DD (for example \"2025-03-31\") or to nothing"
        );
        assert!(render("---\ndue_date: \"2025-02-30\"\n---\n", &json!({})).is_err());
        let none = render("---\ndue_date: \"{{day}}\"\n---\n", &json!({"day": null})).unwrap();
        assert_eq!(none.due_date, None);
    }

    #[test]
    fn label_with_a_comma_and_bad_assignees() {
        assert_eq!(
            error("---\nlabels: [\"{{l}}\"]\n---\n", &json!({"l": "a,b"})),
            "planning.md:2:10: label \"a,b\" contains a comma, and GitLab would split it into \
             two labels; take the comma out of the label or the data it comes from"
        );
        for bad in ["all", "@ada", "a b"] {
            let message = error("---\nassignees: [\"{{u}}\"]\n---\n", &json!({"u": bad}));
            assert!(message.contains("is not a GitLab username"), "{message}");
        }
        let empty = render("---\nassignees: [\"{{u}}\"]\n---\n", &json!({"u": ""})).unwrap();
        assert!(empty.assignees.is_empty());
    }

    #[test]
    fn confidential_from_a_string() {
        let text = "---\nconfidential: \"{{#if secret}}true{{else}}false{{/if}}\"\n---\n";
        let issue = render(text, &json!({"secret": true})).unwrap();
        assert_eq!(issue.confidential, Some(true));
        let message = error("---\nconfidential: \"yes\"\n---\n", &json!({}));
        assert!(message.starts_with("planning.md:2:15: confidential rendered to \"yes\""));
    }

    #[test]
    fn mention_refuses_mass_mentions() {
        assert_eq!(
            error("Owner: {{mention owner}}", &json!({"owner": "all"})),
            "planning.md:1:8: `mention`: \"all\" is not a GitLab username (letters, digits, \
             `_`, `-`, `.`; mass mentions such as all or here are refused); fix the data it \
             comes from (usage: {{mention manager}} or {{mention manager.username}})"
        );
        assert!(render("{{mention owner}}", &json!({"owner": "a b"})).is_err());
        assert!(render("{{mention owner}}", &json!({"owner": 3})).is_err());
        assert!(render("{{mentions owners}}", &json!({"owners": ["ada", "here"]})).is_err());
    }

    #[test]
    fn mentions() {
        let context = json!({
            "owner": {"username": "ada"}, "nobody": null, "blank": "",
            "team": [{"username": "ada"}, "grace", null],
        });
        assert_eq!(
            body(
                "{{mention owner}} {{mention owner.username}} [{{mention nobody}}{{mention blank}}] {{mentions team}} [{{mentions nobody}}]",
                &context
            ),
            "@ada @ada [] @ada, @grace []"
        );
    }

    #[test]
    fn date_helpers() {
        let context = json!({"d": "2025-04-17"});
        let cases = [
            ("{{date d}}", "2025-04-17"),
            ("{{date d \"%A %-d %B %Y\"}}", "Thursday 17 April 2025"),
            ("{{add_days d 14}}", "2025-05-01"),
            ("{{add_days d -17}}", "2025-03-31"),
            ("{{add_days \"2025-12-30\" 3}}", "2026-01-02"),
            // Friday 18 is one, the weekend and Easter Monday do not count, Tuesday 22 is two.
            ("{{add_working_days d 2}}", "2025-04-22"),
            ("{{add_working_days d 0}}", "2025-04-17"),
            ("{{add_working_days \"2025-04-19\" 0}}", "2025-04-22"),
            // Ada works Sunday to Thursday and has no Easter Monday.
            ("{{add_working_days d 2 \"ada\"}}", "2025-04-21"),
            ("{{add_working_days d 2 person}}", "2025-04-21"),
            ("{{working_days \"2025-04-14\" \"2025-04-25\"}}", "9"),
            ("{{working_days \"2025-04-18\" \"2025-04-21\"}}", "1"),
            (
                "{{working_days \"2025-04-18\" \"2025-04-21\" \"ada\"}}",
                "2",
            ),
            ("{{monday_before \"2025-04-23\" 7}}", "2025-04-14"),
            ("{{monday_before \"2025-04-21\" 0}}", "2025-04-21"),
            ("{{date (add_working_days d 2) \"%a %-d\"}}", "Tue 22"),
            ("{{#if (gt (working_days d d) 0)}}working{{/if}}", "working"),
        ];
        for (text, expected) in cases {
            let context = json!({"d": context["d"], "person": {"username": "ada"}});
            assert_eq!(body(text, &context), expected, "{text}");
        }
    }

    #[test]
    fn date_helper_errors() {
        let context = json!({"d": "17.04.2025", "ok": "2025-04-17"});
        assert_eq!(
            error("\n\n  {{date d}}", &context),
            "planning.md:3:3: `date`: parameter 1 must be a date written YYYY-MM-DD, got \
             \"17.04.2025\" (usage: {{date d \"%B %-d\"}})"
        );
        assert!(error("{{date ok \"%H:%M\"}}", &context).contains("is not a date format"));
        assert!(error("{{add_working_days ok -1}}", &context).contains("from 0 up"));
        assert!(error("{{add_days ok}}", &context).contains("takes 2 parameters, got 1"));
        assert!(error("{{working_days ok ok 3}}", &context).contains("must be a username"));
    }

    #[test]
    fn working_days_of_someone_not_in_the_config_is_an_error() {
        let context = json!({"ok": "2025-04-17", "who": {"username": "nobody"}});
        assert_eq!(
            error("x\n{{working_days ok ok \"nobody\"}}", &context),
            "planning.md:2:1: `working_days`: \"nobody\" is not a member or new hire in the \
             config, so there is no calendar of theirs; pass the username of someone in the \
             config, or leave parameter 3 out for the default calendar (usage: \
             {{working_days from until person.username}})"
        );
        assert!(
            error("{{add_working_days ok 1 who}}", &context).starts_with(
                "planning.md:1:1: `add_working_days`: \"nobody\" is not a member or new hire"
            )
        );
    }

    #[test]
    fn len_counts_lists_and_refuses_the_rest() {
        let context = json!({"list": [1, 2, 3], "none": null, "word": "héllo", "map": {"a": 1}});
        assert_eq!(
            body(
                "{{len list}} {{len none}} {{len word}} {{len map}}",
                &context
            ),
            "3 0 5 1"
        );
        assert_eq!(
            error("{{len 5}}", &context),
            "planning.md:1:1: `len`: needs a list, an object or a string, got 5 (usage: \
             {{len members}})"
        );
        assert!(error("{{len absent}}", &context).contains("unknown variable `absent`"));
    }

    #[test]
    fn deep_nesting_is_refused_before_it_overflows() {
        let deep = |n: usize| format!("{}x{}", "{{#if a}}".repeat(n), "{{/if}}".repeat(n));
        let context = json!({"a": true});
        assert_eq!(body(&deep(40), &context), "x");
        assert_eq!(
            error(&format!("---\ntitle: t\n---\n{}", deep(5000)), &context),
            "planning.md:4:361: blocks and parentheses nest more than 40 deep here; flatten \
             the template: close blocks sooner, split long conditions, or move repeated parts \
             out of nested partials"
        );
        let parens = format!(
            "{{{{len {}list{}}}}}",
            "(with_role ".repeat(3000),
            " \"x\")".repeat(3000)
        );
        assert!(error(&parens, &json!({"list": []})).contains("nest more than 40 deep"));
        // In the front matter too, and in text of a raw block or comment it is only text.
        let message = error(&format!("---\ntitle: \"{}\"\n---\n", deep(100)), &context);
        assert!(
            message.starts_with("planning.md:2:8: in `title`: blocks"),
            "{message}"
        );
        let raw = format!(
            "{{{{{{{{raw}}}}}}}}{}{{{{{{{{/raw}}}}}}}}{{{{!-- {} --}}}}",
            deep(50),
            deep(50)
        );
        assert_eq!(body(&raw, &context), deep(50));
    }

    #[test]
    fn partials_that_never_finish_are_refused() {
        let context = json!({});
        let looping = "{{#*inline \"p\"}}{{> p}}{{/inline}}\n{{> p}}";
        assert_eq!(
            error(looping, &context),
            "planning.md: the partial `p` includes itself, directly or through other partials, \
             so it would never finish; remove the `{{> p}}` inside it"
        );
        let mutual =
            "{{#*inline \"a\"}}{{> b}}{{/inline}}{{#*inline \"b\"}}{{> a}}{{/inline}}{{> a}}";
        assert!(error(mutual, &context).contains("includes itself"));
        // A chain of partials counts its depth expanded.
        let mut chain = String::new();
        for i in 0..60 {
            chain.push_str(&format!(
                "{{{{#*inline \"p{i}\"}}}}{{{{> p{}}}}}{{{{/inline}}}}",
                i + 1
            ));
        }
        chain.push_str("{{#*inline \"p60\"}}end{{/inline}}{{> p0}}");
        assert!(error(&chain, &context).contains("nest 61 deep once each partial is expanded"));
        let fine = "{{#*inline \"p\"}}[{{this}}]{{/inline}}{{#each list}}{{> p}}{{/each}}";
        assert_eq!(body(fine, &json!({"list": ["a#1"]})), r"[a\#1]");
        assert!(
            error("{{> (lookup this \"n\")}}", &json!({"n": "p"})).contains("write the name out")
        );
    }

    #[test]
    fn table_and_lists() {
        let context = json!({
            "members": [
                {"name": "Ada | L", "role": "engineering-manager", "tags": ["a", "b|c"], "n": 2},
                {"name": "Grace", "role": "backend", "tags": [], "n": null},
            ],
            "words": ["x", "", null, "y|z", 3],
        });
        assert_eq!(
            body(
                "{{table members \"Who=name\" \"Tags=tags\" \"N=n\"}}\n\n{{join words \" / \"}}\n{{#each (with_role members \"backend\")}}{{name}}{{/each}}",
                &context
            ),
            "| Who | Tags | N |\n| --- | --- | --- |\n| Ada \\| L | a, b\\|c | 2 |\n| Grace |  |  |\n\nx / y\\|z / 3\nGrace"
        );
        assert!(
            error("{{table members \"Who=nmae\"}}", &context).contains("row 1 has no field `nmae`")
        );
        assert!(error("{{table members \"Who\"}}", &context).contains("\"Header=field\""));
        assert_eq!(
            body("{{table nobody \"Who=name\"}}", &json!({"nobody": null})),
            "| Who |\n| --- |"
        );
    }

    #[test]
    fn error_display_without_position() {
        let err = TemplateError {
            template: "default/onboarding".to_owned(),
            line: None,
            column: None,
            message: "something".to_owned(),
        };
        assert_eq!(err.to_string(), "default/onboarding: something");
    }
}
