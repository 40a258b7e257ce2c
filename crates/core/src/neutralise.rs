//! Neutralising data values before they land in an issue.
//!
//! Values such as names, notes and calendar event titles come from people, not from the
//! template author, and GitLab acts on parts of an issue description: it executes quick
//! actions (a line starting with `/`, like `/close`) when the issue is created, notifies
//! everyone mentioned with `@`, and renders HTML and tables. Every data value therefore
//! passes through [`markdown`] (description) or [`inline`] (title, labels, front matter)
//! before it is written anywhere.

/// Zero-width space: placed after `@` it stops GitLab from seeing a mention, yet reads the same.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Mentions that notify a whole group rather than one person.
const MASS_MENTIONS: [&str; 4] = ["all", "here", "everyone", "channel"];

/// Makes a data value safe inside an issue's Markdown description.
///
/// The value ends up on one line, cannot start a quick action, mention anyone, break a
/// table cell, open raw HTML or forge a teamcadence marker comment. Backslashes are
/// escaped too, so a value ending in `\` cannot escape the character the template puts
/// after it (such as a table's `|`). The escapes render as the original text, except
/// inside code spans, where Markdown shows them literally.
pub fn markdown(value: &str) -> String {
    let line = plain(value);
    let mut out = String::with_capacity(line.len() + 8);
    // GitLab's quick-action parser only looks at `/` at the very start of a line; a value
    // may be placed at a line start by the template, so guard its first character.
    if line.starts_with('/') {
        out.push('\\');
    }
    for c in line.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            // A backslash would not help: GitLab finds mentions in the rendered text.
            '@' => {
                out.push('@');
                out.push(ZERO_WIDTH_SPACE);
            }
            c => out.push(c),
        }
    }
    out
}

/// Makes a data value safe as a single-line plain value (issue title, label, front matter).
pub fn plain(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_whitespace() {
            out.push(c);
            continue;
        }
        // A run of whitespace that holds a line break or a tab becomes one space, so the
        // value never spans lines; runs of ordinary spaces are left as they are.
        let mut run = String::from(c);
        while let Some(&next) = chars.peek().filter(|n| n.is_whitespace()) {
            run.push(next);
            chars.next();
        }
        if run.chars().any(breaks_line) {
            out.push(' ');
        } else {
            out.push_str(&run);
        }
    }
    out.trim().to_owned()
}

/// Makes a data value safe in an issue's title and other front matter: [`plain`], and no
/// mention either, since GitLab notifies the people mentioned in a title too.
pub fn inline(value: &str) -> String {
    let line = plain(value);
    let mut out = String::with_capacity(line.len() + 4);
    for c in line.chars() {
        out.push(c);
        if c == '@' {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// Mentions (`@name`) of those of `usernames` that are valid to mention, space-separated,
/// in order; empty when there are none.
pub fn mentions<'a>(usernames: impl IntoIterator<Item = &'a str>) -> String {
    usernames
        .into_iter()
        .filter(|name| is_valid_username(name))
        .map(|name| format!("@{name}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `name` is a valid GitLab username to mention (GitLab's charset: letters, digits, `_`, `-`, `.`; not starting with `-`/`.`; not ending in `.`; and not a mass mention such as `all`/`here`/`everyone`/`channel`, case-insensitive).
pub fn is_valid_username(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    !name.is_empty()
        && name.chars().all(allowed)
        && !name.starts_with(['-', '.'])
        && !name.ends_with('.')
        && !MASS_MENTIONS
            .iter()
            .any(|mass| name.eq_ignore_ascii_case(mass))
}

/// Whether `c` starts a new line somewhere (Markdown, a browser or an editor) or is a tab.
fn breaks_line(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZWSP: &str = "\u{200B}";

    #[test]
    fn a_quick_action_value_cannot_run() {
        assert_eq!(markdown("/close"), "\\/close");
        assert_eq!(markdown("  /assign @me"), format!("\\/assign @{ZWSP}me"));
        assert_eq!(markdown("\t/close"), "\\/close");
    }

    #[test]
    fn a_value_cannot_start_a_new_line() {
        let hostile = "fine\n/label ~x\r\n/close\u{2028}/due today\u{2029}/assign @x\u{85}/lock\u{0B}a\u{0C}b";
        let out = markdown(hostile);
        assert!(!out.contains([
            '\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{0B}', '\u{0C}'
        ]));
        assert_eq!(
            out,
            format!("fine /label ~x /close /due today /assign @{ZWSP}x /lock a b")
        );
    }

    #[test]
    fn mentions_are_broken() {
        assert_eq!(markdown("@all"), format!("@{ZWSP}all"));
        assert_eq!(
            markdown("ping @here and @everyone"),
            format!("ping @{ZWSP}here and @{ZWSP}everyone")
        );
        assert!(!markdown("@@all").contains("@all"));
    }

    #[test]
    fn table_cells_stay_cells() {
        assert_eq!(markdown("a | b"), "a \\| b");
        // A trailing backslash must not escape the template's own cell separator.
        assert_eq!(markdown("a\\"), "a\\\\");
        assert_eq!(markdown("a\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn no_raw_html_or_forged_marker() {
        assert_eq!(
            markdown("<!-- teamcadence:key=x -->"),
            "&lt;!-- teamcadence:key=x -->"
        );
        assert_eq!(markdown("<img src=x>"), "&lt;img src=x>");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        assert_eq!(markdown("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(markdown("2 / 3 done"), "2 / 3 done");
        assert_eq!(markdown("a  b"), "a  b");
        assert_eq!(markdown(""), "");
    }

    #[test]
    fn plain_only_flattens() {
        assert_eq!(plain("  Q3 \n\t planning\r\n"), "Q3 planning");
        assert_eq!(plain("/close @all a|b <x>"), "/close @all a|b <x>");
        assert_eq!(plain("a\u{2028}b\u{2029}c\u{85}d"), "a b c d");
        assert_eq!(plain("a  b"), "a  b");
    }

    #[test]
    fn inline_flattens_and_breaks_mentions() {
        assert_eq!(
            inline("Eve\n/assign @mallory @all"),
            "Eve /assign @\u{200B}mallory @\u{200B}all"
        );
        assert_eq!(inline("Q3 planning"), "Q3 planning");
    }

    #[test]
    fn usernames() {
        for ok in ["ada", "ada.lovelace", "a_b-c", "A1", "x"] {
            assert!(is_valid_username(ok), "{ok} should be valid");
        }
        for bad in [
            "", "all", "ALL", "Here", "everyone", "channel", "-ada", ".ada", "ada.", "a b", "@ada",
            "ada,bob", "adé", "a/b",
        ] {
            assert!(!is_valid_username(bad), "{bad:?} should be invalid");
        }
    }
}
