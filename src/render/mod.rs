//! Rendering a report's summary: pure functions, no I/O.
//!
//! `render` turns a report and its recommendations into the summary ConfigMap's data:
//! `summary.md` for people and `summary.json` for programs (docs/summary-format.md). Both are
//! deterministic, carry user text only escaped (Markdown) or as JSON strings, and together stay
//! within `BUDGET_BYTES` for any input: recommendations that do not fit are left out, lowest in
//! the order first, and both files say so.

mod document;
mod escape;
mod json;
mod links;
pub mod locale;
mod markdown;
mod model;
mod reading;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::api::{ConferenceReportSpec, TalkRecommendationSpec};
use document::Summary;
use locale::Locale;
pub use model::is_web_url;
use model::{Recommendation, Report};
use reading::Reading;
pub use reading::{BodyReading, DetectedLanguage};

/// The data budget of a summary ConfigMap: half the 1 MiB ConfigMap limit.
pub const BUDGET_BYTES: usize = 512 * 1024;
/// Bumped whenever summary.json's shape changes.
pub const SCHEMA_VERSION: u32 = 2;

const MARKDOWN_KEY: &str = "summary.md";
const JSON_KEY: &str = "summary.json";

pub struct ReportInput<'a> {
    /// The report's metadata.name.
    pub name: &'a str,
    pub spec: &'a ConferenceReportSpec,
    /// The report's Reviewed condition.
    pub reviewed: bool,
    /// Distinct approvals that count (the author's own excluded).
    pub approvals_counted: usize,
}

pub struct RecommendationInput<'a> {
    /// The TalkRecommendation's metadata.name.
    pub name: &'a str,
    pub spec: &'a TalkRecommendationSpec,
    /// spec.recommendedBy, or the report author's name when absent.
    pub recommended_by: &'a str,
    /// Approved by a reviewer other than the recommender.
    pub reviewed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Data key "summary.md".
    pub markdown: String,
    /// Data key "summary.json".
    pub json: String,
    /// `digest(&self.data())`.
    pub digest: String,
    /// Recommendations given.
    pub total: usize,
    /// Recommendations rendered: the first `included` in summary order.
    pub included: usize,
    /// The names of the recommendations given, in summary order: the first `included` are in
    /// the summary, the rest were left out.
    pub order: Vec<String>,
    /// Whether the report's body was left out (only when nothing else could fit).
    pub body_omitted: bool,
    /// `markdown.len() + json.len()`, in bytes.
    pub size: usize,
    /// The locale summary.md is written in (BCP 47), after the fallback chain.
    pub locale: String,
    /// The body's language, where there is enough text to tell.
    pub detected_language: Option<DetectedLanguage>,
    /// The body clearly reads as another language than `spec.language`.
    pub language_mismatch: bool,
}

impl Rendered {
    pub fn truncated(&self) -> bool {
        self.included < self.total || self.body_omitted
    }

    /// The ConfigMap's data, keys "summary.json" and "summary.md".
    pub fn data(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (JSON_KEY.to_string(), self.json.clone()),
            (MARKDOWN_KEY.to_string(), self.markdown.clone()),
        ])
    }
}

/// Renders the summary of `report` with `recommendations`, in any order.
pub fn render(report: &ReportInput, recommendations: &[RecommendationInput]) -> Rendered {
    render_read(report, recommendations, &BodyReading::of(report.spec))
}

/// [`render`], with the reading of the report's body already made (`BodyReading::of` its spec).
pub fn render_read(
    report: &ReportInput,
    recommendations: &[RecommendationInput],
    body: &BodyReading,
) -> Rendered {
    let order = in_summary_order(recommendations);
    let summary = summary(report, &order, recommendations.len(), body);
    let (included, body_omitted) = summary.choose();
    let (mut markdown, mut json) = (String::new(), String::new());
    summary.write(included, body_omitted, &mut markdown, &mut json);
    let mut rendered = Rendered {
        size: markdown.len() + json.len(),
        markdown,
        json,
        digest: String::new(),
        total: recommendations.len(),
        included,
        order: order.iter().map(|input| input.name.to_string()).collect(),
        body_omitted,
        locale: summary.locale().tag().to_string(),
        detected_language: summary.reading().detected.clone(),
        language_mismatch: summary.reading().mismatch,
    };
    rendered.digest = digest(&rendered.data());
    rendered
}

/// Everything about the report rendered once, in its locale, with `order`'s talks (the first
/// `total` recommendations in summary order, or as many as can fit).
fn summary(
    report: &ReportInput,
    order: &[&RecommendationInput],
    total: usize,
    body: &BodyReading,
) -> Summary {
    let report = Report::new(report);
    let locale = Locale::for_language(&report.language);
    let reading = Reading::new(
        &report,
        body,
        order.iter().map(|input| input.spec.reason.as_str()),
    );
    let talks = talks_in_order(order, &locale);
    Summary::new(report, reading, locale, talks, total)
}

/// sha256 over the data map: for each (key, value) in key order: key bytes, a 0 byte, value
/// bytes, a 0 byte. Formatted "sha256:<hex>".
pub fn digest(data: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in data {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Summary order: rating, highest first; then title; then name. Names are unique in a
/// namespace, so the remaining keys only make duplicated input come out the same in any order.
fn summary_order(a: &RecommendationInput, b: &RecommendationInput) -> Ordering {
    let (ta, tb) = (&a.spec.talk, &b.spec.talk);
    b.spec
        .rating
        .cmp(&a.spec.rating)
        .then_with(|| ta.title.cmp(&tb.title))
        .then_with(|| a.name.cmp(b.name))
        .then_with(|| a.recommended_by.cmp(b.recommended_by))
        .then_with(|| a.reviewed.cmp(&b.reviewed))
        .then_with(|| a.spec.reason.cmp(&b.spec.reason))
        .then_with(|| ta.speakers.cmp(&tb.speakers))
        .then_with(|| ta.track.cmp(&tb.track))
        .then_with(|| ta.video_url.cmp(&tb.video_url))
        .then_with(|| ta.slides_url.cmp(&tb.slides_url))
}

/// A recommendation rendered once: its Markdown block and its JSON array element.
struct Talk {
    markdown: String,
    json: String,
}

/// The recommendations in summary order, rendered until they alone pass the budget: no later
/// one could ever be included, so 20,000 of them cost a sort, not 20,000 renderings.
fn in_summary_order<'r, 'a>(
    recommendations: &'r [RecommendationInput<'a>],
) -> Vec<&'r RecommendationInput<'a>> {
    let mut order: Vec<&RecommendationInput> = recommendations.iter().collect();
    order.sort_by(|a, b| summary_order(a, b));
    order
}

fn talks_in_order(order: &[&RecommendationInput], locale: &Locale) -> Vec<Talk> {
    let mut talks = Vec::new();
    let mut bytes = 0;
    for &input in order {
        if bytes > BUDGET_BYTES {
            break;
        }
        let rec = Recommendation::new(input);
        let talk = Talk {
            markdown: markdown::talk(&rec, locale),
            json: json::element(&rec),
        };
        // Each also brings a separator: "\n" between Markdown blocks, ",\n" between elements.
        bytes += talk.markdown.len() + 1 + talk.json.len() + 2;
        talks.push(talk);
    }
    talks
}
