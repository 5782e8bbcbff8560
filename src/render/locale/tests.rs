use std::collections::BTreeSet;

use super::*;

const TABLES: [(&str, &Messages); 5] = [
    ("en", &en::MESSAGES),
    ("pt", &pt::MESSAGES),
    ("fr", &fr::MESSAGES),
    ("es", &es::MESSAGES),
    ("de", &de::MESSAGES),
];

fn all(m: &Messages) -> Vec<(&'static str, &'static str)> {
    m.texts()
}

/// The `{name}`s of a text.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

#[test]
fn every_language_has_every_message() {
    let english = all(&en::MESSAGES);
    assert_eq!(english.len(), 40);
    for (language, table) in TABLES {
        let texts = all(table);
        assert_eq!(texts.len(), english.len(), "{language}");
        for ((name, text), (_, english_text)) in texts.iter().zip(&english) {
            assert!(!text.trim().is_empty(), "{language}.{name} is empty");
            assert_eq!(
                placeholders(text),
                placeholders(english_text),
                "{language}.{name}: {text:?}"
            );
        }
    }
}

#[test]
fn translations_are_not_english_left_overs() {
    let english = all(&en::MESSAGES);
    // Words that are the same in the language itself ("Video" in German and Spanish).
    let same_word = [("es", "video"), ("de", "video")];
    for (language, table) in TABLES.into_iter().skip(1) {
        for ((name, text), (_, english_text)) in all(table).iter().zip(&english) {
            let has_words = text
                .replace("{", " {")
                .split_whitespace()
                .any(|w| !w.starts_with('{') && w.chars().any(char::is_alphabetic));
            if has_words && !same_word.contains(&(language, name)) {
                assert_ne!(text, english_text, "{language}.{name}");
            }
        }
    }
}

#[test]
fn messages_fall_back_from_region_to_language_to_english() {
    let cases = [
        ("pt-BR", "pt-BR", &pt::MESSAGES),
        ("pt", "pt", &pt::MESSAGES),
        ("pt-PT", "pt-PT", &pt::MESSAGES),
        ("PT-br", "pt-BR", &pt::MESSAGES),
        ("de-AT", "de-AT", &de::MESSAGES),
        ("fr-CA", "fr-CA", &fr::MESSAGES),
        ("es-419", "es-419", &es::MESSAGES),
        ("en-GB", "en-GB", &en::MESSAGES),
        ("en", "en", &en::MESSAGES),
        // Script, variants and extensions are dropped.
        ("de-Latn-DE-1996-u-nu-arab", "de-DE", &de::MESSAGES),
        // No table: English as a whole.
        ("ja", "en", &en::MESSAGES),
        ("it-IT", "en", &en::MESSAGES),
        ("zz-ZZ", "en", &en::MESSAGES),
        ("und", "en", &en::MESSAGES),
        // Not BCP 47.
        ("", "en", &en::MESSAGES),
        ("x", "en", &en::MESSAGES),
        ("pt_BR", "en", &en::MESSAGES),
        (" pt", "en", &en::MESSAGES),
        ("pt-", "en", &en::MESSAGES),
        ("português", "en", &en::MESSAGES),
    ];
    for (requested, tag, messages) in cases {
        let locale = Locale::for_language(requested);
        assert_eq!(locale.tag(), tag, "{requested:?}");
        assert_eq!(locale.messages(), messages, "{requested:?}");
    }
    // A language without a table formats numbers as English too.
    assert_eq!(Locale::for_language("ja").number(7700), "7,700");
    assert_eq!(Locale::for_language("de-u-nu-arab").number(7700), "7.700");
}

#[test]
fn numbers_follow_cldr() {
    let cases = [
        ("en", 7700, "7,700"),
        ("en", 17_700, "17,700"),
        ("pt", 7700, "7.700"),
        ("pt-BR", -1_234_567, "-1.234.567"),
        // pt-PT, like es, groups only from five digits; its separator is a no-break space.
        ("pt-PT", 7700, "7700"),
        ("pt-PT", 17_700, "17\u{A0}700"),
        ("es", 7700, "7700"),
        ("es", 17_700, "17.700"),
        ("fr", 7700, "7\u{202F}700"),
        ("fr", -17_700, "-17\u{202F}700"),
        ("de", 7700, "7.700"),
        ("de-AT", 7700, "7\u{A0}700"),
        ("de", 0, "0"),
        ("en", -5, "-5"),
        ("en", i64::MIN, "-9,223,372,036,854,775,808"),
    ];
    for (tag, n, expected) in cases {
        assert_eq!(Locale::for_language(tag).number(n), expected, "{tag} {n}");
    }
}

#[test]
fn plural_forms_follow_cldr() {
    let forms = Plural {
        one: "one {n}",
        other: "other {n}",
    };
    let cases = [
        ("fr", 0, "one 0"),
        ("fr", 1, "one 1"),
        ("fr", 2, "other 2"),
        // CLDR's "many" (fr, es, pt) takes the "other" form.
        ("fr", 1_000_000, "other 1\u{202F}000\u{202F}000"),
        ("pt", 0, "one 0"),
        ("pt-BR", 1, "one 1"),
        ("pt-BR", 1_000_000, "other 1.000.000"),
        ("pt-PT", 0, "other 0"),
        ("pt-PT", 1, "one 1"),
        ("es", 0, "other 0"),
        ("es", 1, "one 1"),
        ("en", 0, "other 0"),
        ("en", 1, "one 1"),
        ("en", -1, "one -1"),
        ("de", 1, "one 1"),
        ("de", 2, "other 2"),
    ];
    for (tag, n, expected) in cases {
        assert_eq!(
            Locale::for_language(tag).count(n, &forms, &[]),
            expected,
            "{tag} {n}"
        );
    }
}

#[test]
fn counts_and_fills_placeholders() {
    let en = Locale::for_language("en");
    let m = en.messages();
    assert_eq!(
        en.count(2, &m.review_pending, &[("approvals", "1")]),
        "not yet (1 of 2 required approvals)"
    );
    assert_eq!(en.count(1, &m.review_approved, &[]), "yes (1 approval)");
    let fr = Locale::for_language("fr");
    assert_eq!(
        fr.count(
            12,
            &fr.messages().note_talks_left_out,
            &[("left", "1"), ("kib", "512")]
        ),
        "Ce résumé omet 1 des 12 présentations recommandées pour respecter sa limite de 512 Kio."
    );
    let de = Locale::for_language("de");
    assert_eq!(
        de.count(1, &de.messages().talks_heading, &[]),
        "Empfohlener Vortrag (1)"
    );
    assert_eq!(de.fill(de.messages().rating, &[("rating", "4")]), "4 von 5");
    // Values are not scanned again; unknown and unclosed placeholders stay as written.
    assert_eq!(
        en.fill("{a} {b} {c} {", &[("a", "{b}"), ("b", "x")]),
        "{b} x {c} {"
    );
    assert_eq!(
        en.count(
            3,
            &Plural {
                one: "{n}",
                other: "{n}{n}"
            },
            &[("n", "9")]
        ),
        "33"
    );
}

#[test]
fn years_far_from_ours_are_written_with_their_era() {
    let de = Locale::for_language("de");
    assert_eq!(
        de.dates(Some("0000-01-01"), Some("0000-01-05")).as_deref(),
        Some("1.–5. Januar 1 v. Chr.")
    );
    assert_eq!(de.date("9999-12-31").as_deref(), Some("31. Dezember 9999"));
}
