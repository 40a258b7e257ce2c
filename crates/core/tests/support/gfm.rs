//! What GitLab would act on in an issue's title or description, read independently of
//! teamcadence's neutraliser, for tests. Written from GitLab's documentation
//! (`doc/user/markdown.md`, "GitLab-specific references"; `doc/user/project/quick_actions.md`):
//! quick actions, `@` mentions, `#1` issues (also `group/project#1`), `!1` merge requests,
//! `~label` and `~"two words"`, `%milestone` and `%"19.8"`, `&1` epics, `$1` snippets,
//! `^alert#1`, `*iteration:1`, `[text](url)` links and `![alt](url)` images, and `-->`,
//! which would end a hidden comment. In a description, Markdown's backslash escape keeps
//! GitLab's reference characters (`$ % # & @ ! ~ ^`) and brackets literal (GitLab 14.0,
//! "Escaped markdown not interpreted as shortcuts"); a title is not Markdown, so there a
//! backslash escapes nothing.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

/// Stands for a character a backslash made literal.
const LITERAL: char = '\u{E000}';

/// The patterns of what GitLab links, mentions or loads, as written in its documentation.
fn references() -> &'static [Regex] {
    static PATTERNS: OnceLock<Vec<Regex>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            r"(?:^|[^A-Za-z0-9_])(@[A-Za-z0-9_])",
            r"(#\d)",
            r"(!\d)",
            r"(~[\w]|~\x22)",
            r"(%[\w]|%\x22)",
            r"(&\d)",
            r"(\$\d)",
            r"(\^alert)",
            r"(?i)(\*iteration:)",
            r"(!\[)",
            r"(\[[^\]\n]*\]\()",
            r"(-->)",
        ]
        .iter()
        .map(|p| Regex::new(p).expect("pattern"))
        .collect()
    })
}

/// Every live reference, mention, link, image and `-->` in `text`, by matched text.
fn matches(text: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for pattern in references() {
        for captures in pattern.captures_iter(text) {
            let mut matched = captures.get(1).expect("group").as_str().to_owned();
            // A link is counted as one, whatever its text: the template writes some.
            if matched.ends_with("](") {
                matched = "[..](".to_owned();
            }
            *found.entry(matched).or_default() += 1;
        }
    }
    found
}

/// `text` with each backslash-escaped reference character or bracket (and the backslash)
/// replaced by [`LITERAL`]; other escapes only lose their backslash, as in Markdown.
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(next) if "$%#&@!~^[]\\".contains(next) => {
                out.push(LITERAL);
                out.push(LITERAL);
            }
            Some(next) if next.is_ascii_punctuation() => out.push(next),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// What GitLab would act on in a description: each live pattern with its count, and each
/// line that starts a quick action. The hidden teamcadence records are left out: they are
/// comments, never rendered.
pub fn live_in_description(text: &str) -> BTreeMap<String, usize> {
    let shown: Vec<&str> = text
        .lines()
        .filter(|line| !(line.starts_with("<!-- teamcadence:") && line.ends_with(" -->")))
        .collect();
    let mut found = matches(&unescaped(&shown.join("\n")));
    for line in shown {
        if line.trim_start().starts_with('/') {
            *found.entry(format!("quick action: {line}")).or_default() += 1;
        }
    }
    found
}

/// What GitLab would act on in a title (no Markdown, so no escapes either).
pub fn live_in_title(text: &str) -> BTreeMap<String, usize> {
    let mut found = matches(text);
    if text.contains(['\n', '\r']) {
        *found.entry("line break".to_owned()).or_default() += 1;
    }
    found
}

/// What `hostile` has that `baseline` does not: the references data added.
pub fn added(hostile: &BTreeMap<String, usize>, baseline: &BTreeMap<String, usize>) -> Vec<String> {
    hostile
        .iter()
        .filter(|(text, count)| baseline.get(*text).copied().unwrap_or(0) < **count)
        .map(|(text, count)| format!("{text:?} x{count}"))
        .collect()
}

#[test]
fn the_detector_reads_gitlab_references() {
    let live = live_in_description(
        "see #1 g/p#2 !3 ~a ~\"b c\" %m %\"1\" &4 $5 ^alert#6 *Iteration:7 [t](u) ![i](u) @ada\n  /close\n-->",
    );
    for expected in [
        "#1",
        "#2",
        "!3",
        "~a",
        "~\"",
        "%m",
        "%\"",
        "&4",
        "$5",
        "^alert",
        "*Iteration:",
        "![",
        "@a",
        "-->",
        "[..](",
    ] {
        assert!(live.contains_key(expected), "{expected} in {live:?}");
    }
    assert!(live.contains_key("quick action:   /close"));
    let escaped = live_in_description(r"\#1 \!3 \~a \%m \&4 \$5 \[t\](u) \!\[i\](u) a@b.c \\");
    assert!(escaped.is_empty(), "{escaped:?}");
    assert!(live_in_description("\\\\#1").contains_key("#1"));
    assert!(live_in_title(r"\#1").contains_key("#1"));
    assert!(live_in_title("#\u{200B}1 @\u{200B}all").is_empty());
}
