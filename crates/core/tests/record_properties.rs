//! Properties of the hidden records, for any value: encoding round-trips and never yields
//! what could end a comment or open a record; a description or comment written with a record
//! reads back exactly its value; and a key is read only from the description's last line
//! when that line is a well-formed marker.

use proptest::prelude::*;
use teamcadence_core::apply::{key_in, marker, note_id_in, with_marker};
use teamcadence_core::record::{decode, encode, fields, key_part, read_fields};

/// Strings built from the pieces an attacker would use, and any other text.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("-->".to_owned()),
        Just("<!--".to_owned()),
        Just("<!-- teamcadence:key=".to_owned()),
        Just("<!-- teamcadence:note=".to_owned()),
        Just(" -->".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("/label ~x".to_owned()),
        Just("@all".to_owned()),
        Just("%".to_owned()),
        Just("%2F".to_owned()),
        Just("pto/bob/2026-12-21".to_owned()),
        Just(" ".to_owned()),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

/// A line that holds something and is not a key marker.
fn not_a_marker_line() -> impl Strategy<Value = String> {
    hostile().prop_filter("a line that holds something and is no marker", |line| {
        let line = line.trim();
        !line.is_empty()
            && !line.contains('\n')
            && !line.contains('\r')
            && !line.starts_with("<!--")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encoding_round_trips_and_holds_nothing_that_ends_or_opens_a_comment(value in hostile()) {
        let encoded = encode(&value);
        for forbidden in ["-->", "<", ">", "\n", "\r", "<!-- teamcadence:"] {
            prop_assert!(!encoded.contains(forbidden), "{encoded:?} holds {forbidden:?}");
        }
        prop_assert!(!encoded.chars().any(char::is_whitespace), "{encoded:?}");
        prop_assert_eq!(decode(&encoded), Ok(value));
    }

    #[test]
    fn a_description_with_any_data_reads_back_exactly_its_key(
        description in hostile(),
        key in hostile().prop_filter("a key", |k| !k.is_empty()),
        person in hostile().prop_filter("a value", |v| !v.is_empty()),
    ) {
        let record = fields("pto", &[("person", &person), ("source", &description)]);
        let text = with_marker(&format!("{description}\n\n{record}"), &key);
        prop_assert_eq!(key_in(&text), Some(key.clone()));
        prop_assert_eq!(key_in(&with_marker(&description, &key)), Some(key.clone()));
        // The record line right above the marker reads back too.
        let above = text.lines().rev().filter(|l| !l.trim().is_empty()).nth(1).unwrap_or("");
        prop_assert_eq!(
            read_fields(above, "pto", &["person", "source"]),
            Ok(Some(vec![person, description.clone()]))
        );
        let note = format!("{description}\n\n{}\n", teamcadence_core::record::marker("note", &key));
        prop_assert_eq!(note_id_in(&note), Some(key));
    }

    #[test]
    fn a_key_is_read_only_from_the_last_line_when_it_is_a_marker(
        before in hostile(),
        forged in hostile().prop_filter("a key", |k| !k.is_empty()),
        key in hostile().prop_filter("a key", |k| !k.is_empty()),
        after in not_a_marker_line(),
    ) {
        // A forged marker inside the text before the real one is never the key.
        let text = format!("{before}\n{}\n{}\n", marker(&forged), marker(&key));
        prop_assert_eq!(key_in(&text), Some(key.clone()));
        // Anything after the marker means the description has no key any more.
        let edited = format!("{text}{after}\n");
        prop_assert_eq!(key_in(&edited), None);
        // One line of raw data in a marker's place is read only when it holds nothing that
        // could have ended or opened a comment.
        let raw = format!("<!-- teamcadence:key={} -->", before.replace('\n', " "));
        if let Some(read) = key_in(&raw) {
            prop_assert!(!raw[4..raw.len() - 3].contains(['<', '>', '\r']), "{raw:?} read as {read:?}");
        }
    }

    #[test]
    fn a_key_part_cannot_take_the_shape_of_another_key(value in hostile()) {
        let part = key_part(&value);
        prop_assert!(!part.contains(['/', '#', '\n', '\r']), "{part:?}");
        prop_assert!(!part.chars().any(char::is_control), "{part:?}");
        // `pto/{part}` has one `/`, a config key without an id (`pto/bob/2026-12-21`) two.
        prop_assert_eq!(format!("pto/{part}").matches('/').count(), 1);
    }
}

#[test]
fn a_marker_that_does_not_read_is_reported_and_not_trusted() {
    use teamcadence_core::apply::marker_problem;

    let good = with_marker("Text", "pto/bob/2026-12-21");
    assert_eq!(marker_problem(&good), None);
    assert_eq!(marker_problem("No marker at all"), None);

    // Written by a version that did not encode: a `UID` holding another issue's marker.
    let forged =
        "Text\n\n<!-- teamcadence:key=pto/x <!-- teamcadence:key=pto/bob/2026-12-21 --> -->\n";
    assert_eq!(key_in(forged), None);
    assert_eq!(
        marker_problem(forged).as_deref(),
        Some(
            "its teamcadence key marker does not read (its value \"pto/x <!-- \
             teamcadence:key=pto/bob/2026-12-21 -->\" is not an encoded value), so \
             teamcadence does not know it as its issue; restore the marker's last line as \
             teamcadence wrote it"
        )
    );

    // A person wrote below the marker.
    let edited = format!("{good}\nThanks!\n");
    assert_eq!(key_in(&edited), None);
    assert_eq!(
        marker_problem(&edited).as_deref(),
        Some(
            "it has a teamcadence key marker that is not the last line of its description, \
             which is ignored; move the marker back to the end"
        )
    );
}
