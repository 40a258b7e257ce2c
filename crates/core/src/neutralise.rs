//! Neutralising data values before they land in an issue.
//!
//! Values such as names, notes and calendar event titles come from people, not from the
//! template author, and GitLab acts on parts of an issue's title and description: it executes
//! quick actions (a line starting with `/`, like `/close`) when the issue is created, notifies
//! everyone mentioned with `@`, turns GitLab Flavored Markdown references (`#12`,
//! `group/project#12`, `!3`, `~label`, `%"19.8"`, `&7`, `$5`, `^alert#1`, `*iteration:5`,
//! commit SHAs) into links and writes "mentioned in" notes on what they point at, and renders
//! links and images (`[text](url)`, `![alt](url)`, loaded by every reader's browser). Every
//! data value therefore passes through [`markdown`] (description) or [`inline`] (title)
//! before it is written anywhere, so that it reads as the text a person typed and does none
//! of that. Only what the template itself writes acts.
//!
//! What this relies on in GitLab (checked against its source, `lib/banzai`):
//! - In a description, a backslash before one of GitLab's reference characters
//!   (`$ % # & @ ! ~ ^`) stops the reference: `MarkdownPreEscapeFilter` /
//!   `EscapedCharFilter` (GitLab 14.0 and later) keep the escaped character out of reference
//!   matching, and it still renders as the bare character, inside link destinations too.
//! - A title is not Markdown (`IssuableTitlePipeline` runs the reference filters without a
//!   Markdown step), so a backslash would show there; a zero-width space after the sigil
//!   breaks the reference patterns (`#(?<issue>\d+)`, `~"name"`, ...) instead, and reads the
//!   same. Mentions get the zero-width space in both places, as they always have here.
//! - `*` is not among the characters GitLab honours a backslash for, so `*iteration:` gets a
//!   zero-width space after its `*`; and a commit SHA is 7 to 40 hex digits
//!   (`Commit.reference_pattern`, `\h{7,40}`), which no escape covers, so a run of 7 or more
//!   hex digits gets a zero-width space after every 6th. A value that is a bare web address
//!   keeps its digits: GitLab autolinks it (or the template puts it in a link destination),
//!   and neither link text nor an address is searched for references.
//! - Link and image syntax needs `[`: an escaped `\[` (plain CommonMark) never opens one, nor
//!   a `[vulnerability:1]`-style reference.

/// Zero-width space: placed after a sigil it stops GitLab from seeing a mention or a
/// reference, yet reads the same.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Mentions that notify a whole group rather than one person.
const MASS_MENTIONS: [&str; 4] = ["all", "here", "everyone", "channel"];

/// GitLab's reference characters that a backslash neutralises in a description
/// (`Banzai::Filter::EscapedCharFilter::REFERENCE_CHARS`, less `@`, which gets a zero-width
/// space so that mentions stay broken on any GitLab version).
const BACKSLASH_SIGILS: [char; 7] = ['$', '%', '#', '&', '!', '~', '^'];

/// The characters that start a GitLab reference or mention in a title.
const TITLE_SIGILS: [char; 8] = ['@', '$', '%', '#', '&', '!', '~', '^'];

/// Commit SHAs that GitLab links are at least this many hex digits long.
const SHA_MIN: usize = 7;

/// Makes a data value safe inside an issue's Markdown description.
///
/// The value ends up on one line, cannot start a quick action, mention anyone, reference an
/// issue, merge request, label, milestone, epic, snippet, iteration or commit, open a link
/// or an image, break a table cell, open raw HTML, end an HTML comment or forge a
/// teamcadence marker comment.
/// Backslashes are escaped too, so a value ending in `\` cannot escape the character the
/// template puts after it (such as a table's `|`). The escapes render as the original text,
/// except inside code spans, where Markdown shows them literally.
pub fn markdown(value: &str) -> String {
    let line = plain(value);
    let address = is_web_address(&line);
    let mut out = String::with_capacity(line.len() + 8);
    // GitLab's quick-action parser only looks at `/` at the very start of a line; a value
    // may be placed at a line start by the template, so guard its first character.
    if line.starts_with('/') {
        out.push('\\');
    }
    let chars: Vec<char> = line.chars().collect();
    let mut hex_run = 0;
    for (index, &c) in chars.iter().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            // So that no value holds `-->`, which would end a comment the template opened.
            '>' => out.push_str("&gt;"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            // In an address a zero-width space would change the link; the backslash works
            // there (GitLab 14.0+), and the autolink's text is not searched for mentions.
            '@' if address => out.push_str("\\@"),
            '@' => {
                out.push('@');
                out.push(ZERO_WIDTH_SPACE);
            }
            c if BACKSLASH_SIGILS.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => {
                out.push(c);
                if c == '*' && starts_iteration(&chars[index + 1..]) {
                    out.push(ZERO_WIDTH_SPACE);
                }
            }
        }
        let next = chars.get(index + 1).copied();
        if !address && ends_sha_segment(&mut hex_run, c, next) {
            out.push(ZERO_WIDTH_SPACE);
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

/// Makes a data value safe in an issue's title: [`plain`], and no mention or reference
/// either, since GitLab links references and notifies the people mentioned in a title too.
/// A title is not Markdown, so zero-width spaces do the work that escapes do in
/// [`markdown`]; links are not rendered in a title, but `](` is split all the same so that
/// the text never reads as one.
pub fn inline(value: &str) -> String {
    let line = plain(value);
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut hex_run = 0;
    for (index, &c) in chars.iter().enumerate() {
        out.push(c);
        let next = chars.get(index + 1).copied();
        let breaks = TITLE_SIGILS.contains(&c)
            || (c == '*' && starts_iteration(&chars[index + 1..]))
            || (c == ']' && next == Some('('))
            || (c == '-' && next == Some('>'))
            || ends_sha_segment(&mut hex_run, c, next);
        if breaks {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// Whether `rest` (what follows a `*`) makes it an iteration reference, `*iteration:`.
fn starts_iteration(rest: &[char]) -> bool {
    const WORD: &str = "iteration:";
    rest.len() >= WORD.len()
        && rest
            .iter()
            .zip(WORD.chars())
            .all(|(c, w)| c.eq_ignore_ascii_case(&w))
}

/// Counts `c` into the current run of hex digits and says whether a zero-width space must
/// follow it so that no run of [`SHA_MIN`] hex digits, a possible commit SHA, remains.
fn ends_sha_segment(hex_run: &mut usize, c: char, next: Option<char>) -> bool {
    if !c.is_ascii_hexdigit() {
        *hex_run = 0;
        return false;
    }
    *hex_run += 1;
    if *hex_run == SHA_MIN - 1 && next.is_some_and(|n| n.is_ascii_hexdigit()) {
        *hex_run = 0;
        return true;
    }
    false
}

/// Whether `line` is one bare web address, which GitLab turns into a link as a whole.
fn is_web_address(line: &str) -> bool {
    let has_prefix = |p: &str| {
        line.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    let rest = if has_prefix("https://") {
        &line[8..]
    } else if has_prefix("http://") {
        &line[7..]
    } else {
        return false;
    };
    // RFC 3986's characters, less the parentheses that would end a link destination early.
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'*+,;=%".contains(c))
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
pub(crate) fn breaks_line(c: char) -> bool {
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
            format!("fine /label \\~x /close /due today /assign @{ZWSP}x /lock a b")
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
            r"&lt;\!-- teamcadence:key=x --&gt;"
        );
        assert_eq!(markdown("<img src=x>"), "&lt;img src=x&gt;");
    }

    #[test]
    fn gitlab_references_are_escaped_in_a_description() {
        let cases = [
            (
                "see #12 and group/project#12",
                r"see \#12 and group/project\#12",
            ),
            ("!3 ~label ~\"two words\"", r#"\!3 \~label \~"two words""#),
            (
                "%\"19.8\" %19.8 &epic &7 $snippet $5",
                r#"\%"19.8" \%19.8 \&epic \&7 \$snippet \$5"#,
            ),
            ("^alert#1", r"\^alert\#1"),
            ("[text](https://e.x)", r"\[text\](https://e.x)"),
            ("![img](https://e.x/i.png)", r"\!\[img\](https://e.x/i.png)"),
            (
                "[vulnerability:1] [[wiki]]",
                r"\[vulnerability:1\] \[\[wiki\]\]",
            ),
            ("&amp; 100%", r"\&amp; 100\%"),
        ];
        for (value, expected) in cases {
            assert_eq!(markdown(value), expected, "{value}");
        }
    }

    #[test]
    fn iterations_and_commit_shas_are_broken() {
        assert_eq!(
            markdown("*iteration:5 *Iteration:\"x\" *bold*"),
            format!("*{ZWSP}iteration:5 *{ZWSP}Iteration:\"x\" *bold*")
        );
        assert_eq!(markdown("fix deadbeef1"), format!("fix deadbe{ZWSP}ef1"));
        assert_eq!(
            markdown("9ba12248b3c4d5e6f708192a3b4c5d6e7f809102"),
            format!("9ba122{ZWSP}48b3c4{ZWSP}d5e6f7{ZWSP}08192a{ZWSP}3b4c5d{ZWSP}6e7f80{ZWSP}9102")
        );
        // Six hex digits are no SHA, and words with other letters are left alone.
        assert_eq!(markdown("abcdef 123456 decadent"), "abcdef 123456 decadent");
        assert_eq!(inline("deadbeef1"), format!("deadbe{ZWSP}ef1"));
    }

    #[test]
    fn a_bare_web_address_keeps_working_as_a_link() {
        // Link destinations and autolinks are not searched for references; a backslash is
        // removed from a destination, while a zero-width space would change the address.
        assert_eq!(
            markdown("https://gitlab.com/g/-/boards/1234567?label_name[]=a%20b&x=1#top"),
            r"https://gitlab.com/g/-/boards/1234567?label_name\[\]=a\%20b\&x=1\#top"
        );
        assert_eq!(markdown("http://u@h/"), r"http://u\@h/");
        // Not an address: a space, or parentheses that could end a destination.
        assert_eq!(
            markdown("https://x/ deadbeef1"),
            format!("https://x/ deadbe{ZWSP}ef1")
        );
        assert_eq!(
            markdown("https://x/a)deadbeef1"),
            format!("https://x/a)deadbe{ZWSP}ef1")
        );
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
    fn inline_breaks_references_without_backslashes() {
        assert_eq!(
            inline("#12 g/p#12 !3 ~x ~\"a b\" %19.8 %\"m\" &7 $5 ^alert"),
            format!(
                "#{ZWSP}12 g/p#{ZWSP}12 !{ZWSP}3 ~{ZWSP}x ~{ZWSP}\"a b\" %{ZWSP}19.8 \
                 %{ZWSP}\"m\" &{ZWSP}7 ${ZWSP}5 ^{ZWSP}alert"
            )
        );
        assert_eq!(
            inline("[t](u) *iteration:1 -->"),
            format!("[t]{ZWSP}(u) *{ZWSP}iteration:1 --{ZWSP}>")
        );
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
