//! What the summary says about the text itself, beyond restating it: the abstract, the projects
//! it names, and the language its body is written in (text/).

use serde::Serialize;

use super::model::{self, Report};
use crate::api::ConferenceReportSpec;
use crate::text::{self, language, projects};

/// summary.json's `detectedLanguage`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct DetectedLanguage {
    /// ISO 639-1.
    pub tag: String,
    /// 0 to 1, rounded to two decimals.
    pub confidence: f64,
}

// The confidence is rounded and never NaN, so equality is total.
impl Eq for DetectedLanguage {}

/// An element of summary.json's `projects`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(super) struct Project {
    pub name: &'static str,
    pub url: &'static str,
    pub mentions: usize,
}

pub(super) struct Reading {
    /// Sentences of the body, verbatim, in its order; empty for a short body.
    pub abstract_: Vec<String>,
    pub projects: Vec<projects::Mention>,
    pub projects_json: Vec<Project>,
    pub detected: Option<DetectedLanguage>,
    /// The body clearly reads as another language than `spec.language`.
    pub mismatch: bool,
}

/// What reading the body gives, apart from the rest of the report: its abstract, its language
/// and the projects it names. Nearly all of a rendering's cost, and the same for every rendering
/// of the same spec, so the operator keeps it per report generation (controller/readings.rs):
/// a new recommendation or the hourly resync renders again without reading the body again.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyReading {
    abstract_: Vec<String>,
    mentions: Vec<projects::Mention>,
    detected: Option<DetectedLanguage>,
    mismatch: bool,
}

impl BodyReading {
    /// Reads the body of `spec`, as the summary shows it, in `spec.language`.
    pub fn of(spec: &ConferenceReportSpec) -> Self {
        Self::new(
            model::body(spec).as_deref().unwrap_or_default(),
            &model::language(spec),
        )
    }

    fn new(body: &str, declared: &str) -> Self {
        let detection = language::detect(&text::prose_for_detection(body));
        let mismatch = detection
            .as_ref()
            .is_some_and(|d| language::contradicts(declared, d));
        // The abstract reads the body in its own language: the detected one where it clearly
        // is not spec.language's.
        let body_language = match &detection {
            Some(d) if mismatch => d.tag,
            _ => declared,
        };
        BodyReading {
            abstract_: text::abstract_of(body, body_language),
            mentions: projects::mentioned([body]),
            mismatch,
            detected: detection.map(|d| DetectedLanguage {
                tag: d.tag.to_string(),
                confidence: d.confidence,
            }),
        }
    }
}

impl Reading {
    /// The reading of `report`: its body's (`body`, read from the same spec), and the projects
    /// its highlights and the recommendations' `reasons` name.
    pub fn new<'a>(
        report: &'a Report,
        body: &BodyReading,
        reasons: impl Iterator<Item = &'a str>,
    ) -> Self {
        let others =
            projects::mentioned(report.highlights.iter().map(String::as_str).chain(reasons));
        let mentions = projects::together(&body.mentions, &others);
        Reading {
            abstract_: body.abstract_.clone(),
            projects_json: mentions
                .iter()
                .map(|m| Project {
                    name: m.name,
                    url: m.url,
                    mentions: m.mentions,
                })
                .collect(),
            projects: mentions,
            mismatch: body.mismatch,
            detected: body.detected.clone(),
        }
    }
}
