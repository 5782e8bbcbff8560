//! The summaries of real reports, as readers meet them: the samples (samples/*.yaml) and a French
//! and a Spanish report, rendered through `render_report`, the path the operator and the offline
//! `render` share. Their raw Markdown reads as prose, their scaffolding is in their language,
//! their abstract is a few of their own sentences.

use std::collections::BTreeSet;

use tripreport_operator::api::{ConferenceReportSpec, TalkRecommendationSpec};
use tripreport_operator::decide::summary::render_report;
use tripreport_operator::render::Rendered;
use tripreport_operator::render::locale::Locale;

/// A sample report: its name, its spec and the recommendations (name, spec) that name it.
type Sample = (
    String,
    ConferenceReportSpec,
    Vec<(String, TalkRecommendationSpec)>,
);

/// The samples: each report with the recommendations that name it.
fn samples() -> Vec<Sample> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("samples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut reports = Vec::new();
    let mut recs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a sample");
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                .expect("a YAML document");
            let kind = value["kind"].as_str().unwrap_or_default().to_string();
            let name = value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let spec = value["spec"].clone();
            match kind.as_str() {
                "ConferenceReport" => reports.push((
                    name,
                    serde_yaml_ng::from_value::<ConferenceReportSpec>(spec).expect("a report"),
                )),
                "TalkRecommendation" => recs.push((
                    name,
                    serde_yaml_ng::from_value::<TalkRecommendationSpec>(spec)
                        .expect("a recommendation"),
                )),
                _ => {}
            }
        }
    }
    reports
        .into_iter()
        .map(|(name, spec)| {
            let mine = recs
                .iter()
                .filter(|(_, r)| r.report_ref.name == name)
                .cloned()
                .collect();
            (name, spec, mine)
        })
        .collect()
}

fn render(
    name: &str,
    spec: &ConferenceReportSpec,
    recs: &[(String, TalkRecommendationSpec)],
) -> Rendered {
    let inputs: Vec<(&str, &TalkRecommendationSpec)> =
        recs.iter().map(|(n, r)| (n.as_str(), r)).collect();
    render_report(name, spec, &inputs)
}

/// The words summary.md adds, as the reader sees them: bold labels, the section headings, the
/// rating and review line of each talk, the review and dates facts, the talks' link texts.
fn scaffolding(md: &str, locale: &Locale) -> Vec<String> {
    let m = locale.messages();
    let mut out = Vec::new();
    for line in md.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            out.push(heading.to_string());
        } else if let Some(fact) = line.strip_prefix("- **") {
            let (label, value) = fact.split_once(":** ").unwrap_or((fact, ""));
            out.push(label.to_string());
            if label == m.when || label == m.reviewed {
                out.push(value.to_string());
            }
        } else if line.starts_with('★') || line.starts_with('☆') {
            out.push(line.trim_start_matches(['★', '☆']).to_string());
        } else if line.starts_with("[") && !line.contains("](https://kubernetes.io") {
            for part in line.split("](").filter_map(|p| p.rsplit_once('[')) {
                out.push(part.1.to_string());
            }
        } else if let Some(note) = line.strip_prefix("> **") {
            out.push(note.to_string());
        }
    }
    out
}

/// The English words of the scaffolding that `locale` does not use itself.
fn english_words(locale: &Locale) -> BTreeSet<String> {
    let words = |texts: Vec<(&str, &str)>| -> BTreeSet<String> {
        texts
            .iter()
            .flat_map(|(_, t)| t.split(|c: char| !c.is_alphabetic()))
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let english = words(Locale::for_language("en").messages().texts());
    let own = words(locale.messages().texts());
    english.difference(&own).cloned().collect()
}

fn assert_in_its_language(rendered: &Rendered, tag: &str) {
    let locale = Locale::for_language(tag);
    assert_eq!(rendered.locale, tag);
    let english = english_words(&locale);
    let scaffolding = scaffolding(&rendered.markdown, &locale);
    assert!(scaffolding.len() > 10, "{scaffolding:?}");
    for piece in &scaffolding {
        for word in piece.split(|c: char| !c.is_alphabetic()) {
            assert!(
                !english.contains(&word.to_lowercase()),
                "an English word of scaffolding in the {tag} summary: {word:?} in {piece:?}\n{}",
                rendered.markdown
            );
        }
    }
}

#[test]
fn the_samples_read_as_prose_with_an_abstract_of_their_own_sentences() {
    let samples = samples();
    assert!(samples.len() >= 3);
    for (name, spec, recs) in &samples {
        let r = render(name, spec, recs);
        // Raw, it reads as the author wrote it: no hard breaks, no escapes in ordinary prose.
        assert!(
            !r.markdown.contains('\\'),
            "{name}: a backslash in summary.md:\n{}",
            r.markdown
        );
        let body = spec.body.as_deref().unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&r.json).expect("summary.json");
        let abstract_: Vec<&str> = json["abstract"]
            .as_array()
            .expect("abstract")
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!((3..=5).contains(&abstract_.len()), "{name}: {abstract_:?}");
        for sentence in &abstract_ {
            assert!(
                flat.contains(sentence),
                "{name}: not the body's own: {sentence:?}"
            );
        }
        assert!(!r.language_mismatch, "{name}: {:?}", r.detected_language);
        assert_eq!(
            r.detected_language.as_ref().map(|d| d.tag.as_str()),
            Some(spec.language.split('-').next().unwrap_or_default()),
            "{name}"
        );
    }
}

#[test]
fn the_portuguese_sample_is_in_portuguese() {
    let (name, spec, recs) = samples()
        .into_iter()
        .find(|(_, spec, _)| spec.language == "pt")
        .expect("the Portuguese sample");
    let r = render(&name, &spec, &recs);
    assert_in_its_language(&r, "pt");
    assert!(
        r.markdown
            .contains("- **Quando:** 20\u{2009}–\u{2009}23 de maio de 2019\n"),
        "{}",
        r.markdown
    );
    assert!(r.markdown.contains("- **Participantes:** 7.700\n"));
    assert!(r.markdown.contains("## Em resumo\n"));
}

fn report(language: &str, body: &str) -> ConferenceReportSpec {
    serde_json::from_value(serde_json::json!({
        "title": "KubeCon Europe 2019",
        "conference": {"name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona",
                       "startDate": "2019-05-20", "endDate": "2019-05-23", "attendees": 7700},
        "author": {"name": "Camille"},
        "language": language,
        "body": body,
        "highlights": ["Loki", "Tekton"],
        "review": {"requiredApprovals": 2, "approvals": [{"reviewer": "ana"}]}
    }))
    .expect("a report")
}

fn recommendation(title: &str) -> TalkRecommendationSpec {
    serde_json::from_value(serde_json::json!({
        "reportRef": {"name": "r"},
        "talk": {"title": title, "speakers": ["Tom Wilkie"], "track": "Observability",
                 "videoURL": "https://www.youtube.com/watch?v=CQiawXlgabQ",
                 "slidesURL": "https://example.com/slides.pdf"},
        "rating": 5,
        "reason": "Loki indexe les étiquettes.",
        "review": {"reviewer": "bob", "verdict": "Approved"}
    }))
    .expect("a recommendation")
}

const FRENCH: &str = "Nous sommes allés à la KubeCon de Barcelone pour la première fois cette année.\n\
    La conférence a réuni environ sept mille personnes venues du monde entier.\n\n\
    Les présentations sur l'observabilité étaient les plus utiles pour notre équipe.\n\
    Nous avons appris comment Loki indexe les journaux par étiquettes plutôt que par texte.\n\n\
    Le stand nous a permis de discuter longuement avec des équipes qui exploitent Kubernetes.\n\
    Nous reviendrons l'an prochain avec davantage de collègues et une présentation à proposer.";

const SPANISH: &str = "Fuimos a la KubeCon de Barcelona por primera vez este año con todo el equipo.\n\
    La conferencia reunió a unas siete mil personas llegadas de todo el mundo.\n\n\
    Las charlas sobre observabilidad fueron las más útiles para nuestro trabajo diario.\n\
    Aprendimos cómo Loki indexa los registros por etiquetas en lugar de por texto completo.\n\n\
    En el estand hablamos durante horas con equipos que operan Kubernetes en producción.\n\
    Volveremos el año que viene con más compañeros y una propuesta de charla preparada.";

#[test]
fn a_french_and_a_spanish_report_are_in_their_languages() {
    for (tag, body, when, attendees) in [
        ("fr", FRENCH, "20–23 mai 2019", "7\u{202F}700"),
        ("es", SPANISH, "20–23 de mayo de 2019", "7700"),
    ] {
        let spec = report(tag, body);
        let recs = vec![
            ("loki".to_string(), recommendation("Grafana Loki")),
            ("tekton".to_string(), recommendation("Tekton")),
        ];
        let r = render("r", &spec, &recs);
        assert_in_its_language(&r, tag);
        let m = Locale::for_language(tag);
        let m = m.messages();
        assert!(
            r.markdown.contains(&format!("- **{}:** {when}\n", m.when)),
            "{}",
            r.markdown
        );
        assert!(
            r.markdown
                .contains(&format!("- **{}:** {attendees}\n", m.attendees)),
            "{}",
            r.markdown
        );
        assert!(r.markdown.contains(&format!("## {}\n", m.abstract_heading)));
        assert!(!r.language_mismatch, "{tag}: {:?}", r.detected_language);
        assert!(!r.markdown.contains('\\'), "{}", r.markdown);
    }
}

#[test]
fn a_body_in_another_language_than_declared_is_a_mismatch() {
    let (name, mut spec, recs) = samples()
        .into_iter()
        .find(|(_, spec, _)| spec.language == "pt")
        .expect("the Portuguese sample");
    let declared_pt = render(&name, &spec, &recs);
    spec.language = "en".into();
    let r = render(&name, &spec, &recs);
    assert!(r.language_mismatch);
    // The abstract still reads the body as Portuguese (its stems and stopwords).
    let abstract_of = |r: &Rendered| {
        serde_json::from_str::<serde_json::Value>(&r.json).expect("summary.json")["abstract"]
            .clone()
    };
    assert_eq!(abstract_of(&r), abstract_of(&declared_pt));
    let detected = r.detected_language.expect("detected");
    assert_eq!(detected.tag, "pt");
    // The summary's words follow spec.language all the same.
    assert_eq!(r.locale, "en");
    let mut french = report("de", FRENCH);
    french.language = "de-AT".into();
    assert!(render("r", &french, &[]).language_mismatch);
    // Where the declared language cannot be judged, nothing is claimed.
    french.language = "ja".into();
    assert!(!render("r", &french, &[]).language_mismatch);
}

/// The check above can fail: English scaffolding is seen as English.
#[test]
fn english_scaffolding_is_seen() {
    let (name, mut spec, recs) = samples()
        .into_iter()
        .find(|(_, spec, _)| spec.language == "pt")
        .expect("the Portuguese sample");
    spec.language = "en".into();
    let r = render(&name, &spec, &recs);
    let english = english_words(&Locale::for_language("pt"));
    let seen: BTreeSet<String> = scaffolding(&r.markdown, &Locale::for_language("en"))
        .iter()
        .flat_map(|p| {
            p.split(|c: char| !c.is_alphabetic())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| english.contains(w))
        .collect();
    for word in [
        "conference",
        "where",
        "when",
        "attendees",
        "reviewed",
        "short",
        "highlights",
        "recommended",
        "track",
        "yet",
    ] {
        assert!(seen.contains(word), "{word} not seen in {seen:?}");
    }
}
