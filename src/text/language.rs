//! The body's language, detected with whatlang and checked against the declared `spec.language`.
//!
//! The limits below were measured on every window of 2 to 16 consecutive words of the fixtures
//! (tests/corpus/languages), the seed reports and a set of jargon-heavy sentences (about 140,000
//! texts). whatlang's confidence is the margin between its two best candidates scaled by the
//! text's length; a confidently wrong answer (>= 0.95) only occurred below 70 letters, in
//! fragments such as "private clouds - Container - Service mesh - Microservices".

use std::sync::LazyLock;

use whatlang::{Detector, Lang, Script};

/// Below this many letters (after project names are masked) there is too little text to say.
/// 80 leaves a margin over the longest confidently wrong window measured (69 letters).
pub const MIN_LETTERS: usize = 80;

/// The confidence from which a detection that differs from the declared language is reported.
/// Above whatlang's own "reliable" cut (0.9): the highest confidence of a wrong answer measured
/// at >= 80 letters was 0.94.
pub const THRESHOLD: f64 = 0.95;

/// What whatlang may answer for Latin-script text: the five languages the summary is written in
/// (en, pt, fr, es, de) and their nearest Latin-script neighbours, Italian and Catalan (Romance,
/// next to pt/es/fr) and Dutch (between English and German), so a report really written in one
/// of those is named as such instead of being forced into a supported language. Wider lists
/// (Romanian, the Scandinavian languages, Afrikaans, Latin...) were measured: above the limits
/// there was no wrong answer left for them to remove, and they lowered right answers' confidence.
const ALLOWED: [Lang; 8] = [
    Lang::Eng,
    Lang::Por,
    Lang::Fra,
    Lang::Spa,
    Lang::Deu,
    Lang::Ita,
    Lang::Cat,
    Lang::Nld,
];

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| Detector::with_allowlist(ALLOWED.to_vec()));

/// A detected language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detected {
    /// ISO 639-1 (BCP 47 primary subtag), e.g. "pt".
    pub tag: &'static str,
    /// 0.0 to 1.0, rounded to 2 decimals so that the published value is stable.
    pub confidence: f64,
    /// whatlang's own judgement (confidence above 0.9).
    pub reliable: bool,
}

/// The language of `text` (prose already stripped of code and URLs by the caller; project
/// names are masked here). None below [`MIN_LETTERS`] letters after masking.
pub fn detect(text: &str) -> Option<Detected> {
    let masked = super::projects::mask(text);
    if masked.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return None;
    }
    // The allowlist only concerns Latin script. Elsewhere it would answer nothing (Cyrillic) or
    // "ja" for any Han text, so other scripts get the whole set: Russian declared "en" is seen.
    let info = match whatlang::detect_script(&masked)? {
        Script::Latin => DETECTOR.detect(&masked),
        _ => whatlang::detect(&masked),
    }?;
    Some(Detected {
        tag: tag(info.lang()),
        confidence: (info.confidence() * 100.0).round() / 100.0,
        reliable: info.is_reliable(),
    })
}

/// Whether `detected` clearly contradicts the declared BCP 47 tag (e.g. "pt-BR"): a different
/// primary subtag, reliable, confidence >= [`THRESHOLD`], and a declared language the detector
/// may answer (for any other, say "ja" or "ru", it cannot judge: false).
pub fn contradicts(declared: &str, detected: &Detected) -> bool {
    let primary = declared.split(['-', '_']).next().unwrap_or_default().trim();
    let judged = ALLOWED
        .iter()
        .any(|&l| tag(l).eq_ignore_ascii_case(primary));
    judged
        && detected.reliable
        && detected.confidence >= THRESHOLD
        && !detected.tag.eq_ignore_ascii_case(primary)
}

/// whatlang's ISO 639-3 codes, each followed by its ISO 639-1 code (all of them have one).
const ISO_639_1: &str = "epo eo eng en rus ru cmn zh spa es por pt ita it ben bn fra fr \
    deu de ukr uk kat ka ara ar hin hi jpn ja heb he yid yi pol pl amh am jav jv kor ko nob nb \
    dan da swe sv fin fi tur tr nld nl hun hu ces cs ell el bul bg bel be mar mr kan kn ron ro \
    slv sl hrv hr srp sr mkd mk lit lt lav lv est et tam ta vie vi urd ur tha th guj gu uzb uz \
    pan pa aze az ind id tel te pes fa mal ml ori or mya my nep ne sin si khm km tuk tk aka ak \
    zul zu sna sn afr af lat la slk sk cat ca tgl tl hye hy cym cy";

fn tag(lang: Lang) -> &'static str {
    let mut codes = ISO_639_1.split_whitespace();
    while let (Some(three), Some(two)) = (codes.next(), codes.next()) {
        if three == lang.code() {
            return two;
        }
    }
    // BCP 47 uses the ISO 639-3 code where there is no two-letter one.
    lang.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: [(&str, &str); 5] = [
        ("en", include_str!("../../tests/corpus/languages/en.txt")),
        ("pt", include_str!("../../tests/corpus/languages/pt.txt")),
        ("fr", include_str!("../../tests/corpus/languages/fr.txt")),
        ("es", include_str!("../../tests/corpus/languages/es.txt")),
        ("de", include_str!("../../tests/corpus/languages/de.txt")),
    ];

    /// Each fixture file's lines joined five by five.
    fn paragraphs() -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (lang, text) in FIXTURES {
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines.len() >= 35, "{lang}: {} lines", lines.len());
            out.extend(lines.chunks(5).map(|c| (lang, c.join(" "))));
        }
        out
    }

    fn regional(lang: &str) -> &'static str {
        match lang {
            "en" => "en-GB",
            "pt" => "pt-BR",
            "fr" => "fr-CA",
            "es" => "es-419",
            _ => "de-AT",
        }
    }

    #[test]
    fn paragraphs_are_detected_as_their_language() {
        for (lang, text) in paragraphs() {
            let got = detect(&text);
            assert_eq!(got.map(|d| d.tag), Some(lang), "{got:?}: {text}");
            let d = got.expect("detected");
            assert!(d.reliable && d.confidence >= THRESHOLD, "{d:?}: {text}");
        }
    }

    #[test]
    fn no_fixture_line_contradicts_its_own_language() {
        for (lang, text) in FIXTURES {
            for line in text.lines() {
                if let Some(d) = detect(line) {
                    assert!(!contradicts(lang, &d), "{lang} {d:?}: {line}");
                    assert!(!contradicts(regional(lang), &d), "{lang} {d:?}: {line}");
                    let upper = lang.to_ascii_uppercase();
                    assert!(!contradicts(&upper, &d), "{upper} {d:?}: {line}");
                }
            }
        }
    }

    #[test]
    fn a_wrong_declaration_is_flagged() {
        for (lang, text) in paragraphs() {
            let d = detect(&text).expect("detected");
            for (other, _) in FIXTURES.iter().filter(|(l, _)| *l != lang) {
                assert!(contradicts(other, &d), "{lang} declared {other}: {d:?}");
                assert!(
                    contradicts(regional(other), &d),
                    "{lang} declared {other}: {d:?}"
                );
            }
        }
    }

    #[test]
    fn regional_variants_and_unjudged_languages() {
        let en = Detected {
            tag: "en",
            confidence: 1.0,
            reliable: true,
        };
        assert!(!contradicts("en-GB", &en));
        assert!(!contradicts("en_US", &en));
        assert!(contradicts("pt-BR", &en));
        assert!(!contradicts(
            "pt-BR",
            &Detected {
                confidence: 0.94,
                ..en
            }
        ));
        assert!(!contradicts(
            "pt-BR",
            &Detected {
                reliable: false,
                ..en
            }
        ));
        for (_, text) in paragraphs() {
            let d = detect(&text).expect("detected");
            for declared in ["ja", "ja-JP", "ru", "zh-Hant", "", "x"] {
                assert!(!contradicts(declared, &d), "{declared}: {d:?}");
            }
        }
    }

    #[test]
    fn project_names_alone_are_too_little_text() {
        let names = "Kubernetes, Prometheus, Grafana, Helm, Flux, Argo CD, Istio, Linkerd, \
                     Envoy, Jaeger, Fluentd, OpenTelemetry, Cilium, Falco, Harbor.";
        assert!(names.chars().filter(|c| c.is_alphabetic()).count() >= MIN_LETTERS);
        assert_eq!(detect(names), None);
        assert_eq!(detect("The keynote was great."), None);
        assert_eq!(detect(""), None);
    }

    #[test]
    fn other_scripts_are_named_not_forced_into_the_allowlist() {
        let ru = "Мы впервые поехали на конференцию всей командой и провели у стенда почти всю \
                  неделю, разговаривая с инженерами из разных стран.";
        let d = detect(ru).expect("detected");
        assert_eq!(d.tag, "ru");
        assert!(contradicts("en", &d));
        assert!(
            !contradicts("ru", &d),
            "ru is outside the allowlist: not judged"
        );
    }

    #[test]
    fn deterministic_and_rounded() {
        for (_, text) in paragraphs() {
            let d = detect(&text).expect("detected");
            assert_eq!(Some(d), detect(&text));
            assert_eq!((d.confidence * 100.0).round() / 100.0, d.confidence);
        }
    }

    #[test]
    fn every_whatlang_language_has_a_two_letter_tag() {
        for &lang in Lang::all() {
            assert_eq!(tag(lang).len(), 2, "{lang:?}");
        }
        assert_eq!(tag(Lang::Por), "pt");
        assert_eq!(tag(Lang::Cmn), "zh");
    }
}
