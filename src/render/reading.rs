//! What the summary says about the text itself, beyond restating it: the abstract, the projects
//! it names, and the language its body is written in (text/).

use serde::Serialize;

use super::model::Report;
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

impl Reading {
    /// Reads the report's body and highlights, and the recommendations' `reasons`.
    pub fn new<'a>(report: &'a Report, reasons: impl Iterator<Item = &'a str>) -> Self {
        let body = report.body.as_deref().unwrap_or_default();
        let detection = language::detect(&text::prose_for_detection(body));
        let mismatch = detection
            .as_ref()
            .is_some_and(|d| language::contradicts(&report.language, d));
        // The abstract reads the body in its own language: the detected one where it clearly
        // is not spec.language's.
        let body_language = match &detection {
            Some(d) if mismatch => d.tag,
            _ => report.language.as_str(),
        };
        let abstract_ = text::abstract_of(body, body_language);
        let texts = std::iter::once(body)
            .chain(report.highlights.iter().map(String::as_str))
            .chain(reasons);
        let mentions = projects::mentioned(texts);
        Reading {
            abstract_,
            projects_json: mentions
                .iter()
                .map(|m| Project {
                    name: m.name,
                    url: m.url,
                    mentions: m.mentions,
                })
                .collect(),
            projects: mentions,
            mismatch,
            detected: detection.map(|d| DetectedLanguage {
                tag: d.tag.to_string(),
                confidence: d.confidence,
            }),
        }
    }
}
