//! Hidden records: the HTML comments teamcadence writes into issue descriptions and comments
//! so that later runs recognise its work (the key marker, the PTO record, note markers), and
//! the key parts built from data.
//!
//! GitLab hides an HTML comment but keeps it in the stored text. A `-->` inside a value would
//! end the comment early: what follows would be rendered and, on create, a line starting with
//! `/` run as a quick action. A value holding another record's text would make the issue
//! match a key that is not its own. So every value goes through [`encode`], whose output
//! holds only letters, digits, `-._/:` and `%XX` escapes, and every record is read back
//! through the strict parsers here: a record counts only as a whole line of exactly its form.
//!
//! Ordinary keys and note names (`pto/bob/2026-12-21`, `planning/code-creation/19.8`,
//! `onboarding/dave`, `thread:backend`) encode to themselves, so the records of issues made
//! before values were encoded read back the same. Their values were written raw; the parser
//! still accepts such a value (spaces, `@`) as long as it holds nothing that could have
//! ended or opened a comment (`<`, `>`, control characters): decoding leaves it unchanged
//! unless it holds a `%XX` escape.

use percent_encoding::{
    AsciiSet, CONTROLS, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode,
};

/// What [`encode`] leaves as it is: letters, digits and `-._/:`, the characters of today's
/// keys and note names. Everything else, `%` included, becomes `%XX`: no whitespace, `<`,
/// `>` (so no `-->` and no `<!--`), `@`, `~`, `#` or `=` can appear in a record.
const RECORD_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'/')
    .remove(b':');

/// What [`key_part`] escapes: the characters that give a key its structure (`/` between
/// parts, `#` before a person), `%` so that the escaping cannot be forged, and control
/// characters so that a key prints on one line. Spaces stay, so that keys of milestone titles
/// such as `Sprint 3` keep matching the issues made before.
const KEY_PART: &AsciiSet = &CONTROLS.add(b'%').add(b'/').add(b'#');

/// How every record line starts; the record's name follows.
const OPEN: &str = "<!-- teamcadence:";
/// How every record line ends.
const CLOSE: &str = " -->";

/// Why a line that starts like a record is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The line does not end the comment where a record does.
    #[error("it does not end with ` -->`")]
    Unterminated,
    /// A value holds a character a record never holds, or escapes that are not UTF-8.
    #[error("its value {0:?} is not an encoded value")]
    Value(String),
    /// The fields are not exactly the record's.
    #[error("its fields are not {0}")]
    Fields(String),
}

/// Encodes `value` for a hidden record: the result never contains `-->`, `<`, `>`, a
/// newline, whitespace or `<!-- teamcadence:`, and [`decode`] gives `value` back.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, RECORD_VALUE).to_string()
}

/// The value of an encoded record value, or an error when `text` holds what no record value
/// holds (`<`, `>`, control characters) or escapes that are not UTF-8.
pub fn decode(text: &str) -> Result<String, RecordError> {
    if text.chars().any(|c| c == '<' || c == '>' || c.is_control()) {
        return Err(RecordError::Value(text.to_owned()));
    }
    percent_decode_str(text)
        .decode_utf8()
        .map(|value| value.into_owned())
        .map_err(|_| RecordError::Value(text.to_owned()))
}

/// A part of a key taken from data (an iCalendar `UID`, a config id), escaped so that it
/// cannot take the shape of another key: a `UID` of `bob/2026-12-21` becomes
/// `bob%2F2026-12-21`, not bob's config key. Values without `/`, `#`, `%` or control
/// characters stay as they are (non-ASCII text is escaped too).
pub fn key_part(value: &str) -> String {
    utf8_percent_encode(value, KEY_PART).to_string()
}

/// The record line `<!-- teamcadence:NAME=VALUE -->`, `value` encoded.
pub fn marker(name: &str, value: &str) -> String {
    format!("{OPEN}{name}={}{CLOSE}", encode(value))
}

/// The record line `<!-- teamcadence:NAME field=value ... -->`, each value encoded.
pub fn fields(name: &str, fields: &[(&str, &str)]) -> String {
    let mut line = format!("{OPEN}{name}");
    for (field, value) in fields {
        line.push_str(&format!(" {field}={}", encode(value)));
    }
    line.push_str(CLOSE);
    line
}

/// Whether `line` starts like a record of `name` (a marker `NAME=` or fields `NAME `), well
/// formed or not.
pub fn looks_like(line: &str, name: &str) -> bool {
    line.trim()
        .strip_prefix(OPEN)
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.starts_with(['=', ' ']))
}

/// The value of the marker `name` when `line` is one: `Ok(None)` when it does not start
/// like one, an error when it does but is not exactly one.
pub fn read_marker(line: &str, name: &str) -> Result<Option<String>, RecordError> {
    match body(line, name, '=')? {
        // A marker names something: an empty value is no key or note name.
        Some("") => Err(RecordError::Value(String::new())),
        Some(value) => decode(value).map(Some),
        None => Ok(None),
    }
}

/// What is between `<!-- teamcadence:NAME` and its `separator`, and the end ` -->` of
/// `line`: `Ok(None)` when the line does not start so, an error when it does not end so.
fn body<'a>(line: &'a str, name: &str, separator: char) -> Result<Option<&'a str>, RecordError> {
    let Some(rest) = line
        .trim()
        .strip_prefix(OPEN)
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(separator))
    else {
        return Ok(None);
    };
    rest.strip_suffix(CLOSE)
        .map(Some)
        .ok_or(RecordError::Unterminated)
}

/// The fields of the record `name` when `line` is one with exactly the fields `expected`,
/// each once, in any order: their values in the order of `expected`. `Ok(None)` when the
/// line does not start like a record of `name`.
pub fn read_fields(
    line: &str,
    name: &str,
    expected: &[&str],
) -> Result<Option<Vec<String>>, RecordError> {
    let Some(body) = body(line, name, ' ')? else {
        return Ok(None);
    };
    let wrong = || RecordError::Fields(expected.join(", "));
    let mut values: Vec<Option<String>> = vec![None; expected.len()];
    for pair in body.split(' ') {
        let (field, value) = pair.split_once('=').ok_or_else(wrong)?;
        let index = expected
            .iter()
            .position(|e| *e == field)
            .ok_or_else(wrong)?;
        if values[index].replace(decode(value)?).is_some() {
            return Err(wrong());
        }
    }
    values
        .into_iter()
        .map(|v| v.ok_or_else(wrong))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// The lines of `text` that hold something, trimmed, from the last to the first: a record
/// is looked for only where teamcadence puts it, at the end.
pub fn lines_from_end(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .rev()
        .map(str::trim)
        .filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_keys_and_note_names_encode_to_themselves() {
        for key in [
            "pto/bob/2026-12-21",
            "planning/code-creation/19.8",
            "onboarding/dave",
            "planning/web/iteration-2026-11-30",
            "pto/hr-200/2027-04-05",
            "thread:backend",
            "closed-by:planning/web/19.8",
            "dates:2026-12-21..2027-01-01",
        ] {
            assert_eq!(encode(key), key);
        }
        assert_eq!(encode("pto/hr-1@example.com"), "pto/hr-1%40example.com");
        assert_eq!(encode("planning/web/Sprint 3"), "planning/web/Sprint%203");
        assert_eq!(encode("a\n-->"), "a%0A--%3E");
    }

    #[test]
    fn markers_written_before_values_were_encoded_still_read() {
        for (line, value) in [
            (
                "<!-- teamcadence:key=planning/web/Sprint 3 -->",
                "planning/web/Sprint 3",
            ),
            (
                "<!-- teamcadence:key=pto/hr-1@example.com -->",
                "pto/hr-1@example.com",
            ),
            (
                "<!-- teamcadence:note=thread:what went well -->",
                "thread:what went well",
            ),
        ] {
            let name = if line.contains("key=") { "key" } else { "note" };
            assert_eq!(read_marker(line, name), Ok(Some(value.to_owned())));
        }
    }

    #[test]
    fn only_a_whole_line_of_the_form_is_a_marker() {
        assert_eq!(read_marker("plain text", "key"), Ok(None));
        assert_eq!(read_marker("<!-- teamcadence:note=x -->", "key"), Ok(None));
        assert_eq!(read_marker("<!-- teamcadence:keys=x -->", "key"), Ok(None));
        assert_eq!(
            read_marker("<!-- teamcadence:key=x", "key"),
            Err(RecordError::Unterminated)
        );
        assert_eq!(
            read_marker("<!-- teamcadence:key=x --> and more", "key"),
            Err(RecordError::Unterminated)
        );
        assert!(matches!(
            read_marker(
                "<!-- teamcadence:key=a <!-- teamcadence:key=b --> -->",
                "key"
            ),
            Err(RecordError::Value(_))
        ));
        assert!(matches!(
            read_marker("<!-- teamcadence:key=%FF -->", "key"),
            Err(RecordError::Value(_))
        ));
        assert!(matches!(
            read_marker("<!-- teamcadence:key= -->", "key"),
            Err(RecordError::Value(_))
        ));
    }

    #[test]
    fn fields_read_back_only_when_exactly_the_records() {
        let line = fields("pto", &[("person", "bob"), ("source", "feed:hr one")]);
        assert_eq!(
            line,
            "<!-- teamcadence:pto person=bob source=feed:hr%20one -->"
        );
        assert_eq!(
            read_fields(&line, "pto", &["source", "person"]),
            Ok(Some(vec!["feed:hr one".to_owned(), "bob".to_owned()]))
        );
        for wrong in [
            "<!-- teamcadence:pto person=bob -->",
            "<!-- teamcadence:pto person=bob source=x source=y -->",
            "<!-- teamcadence:pto person=bob source=x extra=1 -->",
            "<!-- teamcadence:pto person=bob  source=x -->",
        ] {
            assert!(
                read_fields(wrong, "pto", &["person", "source"]).is_err(),
                "{wrong}"
            );
        }
        assert_eq!(
            read_fields("<!-- teamcadence:key=x -->", "pto", &["a"]),
            Ok(None)
        );
    }

    #[test]
    fn key_parts_escape_only_what_shapes_a_key() {
        assert_eq!(key_part("hr-1@example.com"), "hr-1@example.com");
        assert_eq!(key_part("leave 7"), "leave 7");
        assert_eq!(key_part("bob/2026-12-21"), "bob%2F2026-12-21");
        assert_eq!(key_part("a#b%c\n"), "a%23b%25c%0A");
    }
}
