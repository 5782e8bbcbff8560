//! Rendering a report's summary: pure functions, no I/O.
//!
//! `render` turns a report and its recommendations into the summary ConfigMap's data:
//! `summary.md` for people and `summary.json` for programs (docs/summary-format.md). Both are
//! deterministic, carry user text only escaped (Markdown) or as JSON strings, and together stay
//! within `BUDGET_BYTES` for any input: recommendations that do not fit are left out, lowest in
//! the order first, and both files say so.

mod escape;
mod json;
mod markdown;
mod model;
#[cfg(test)]
mod tests;

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter;

use sha2::{Digest as _, Sha256};

use crate::api::{ConferenceReportSpec, TalkRecommendationSpec};
pub use model::is_web_url;
use model::{Recommendation, Report, Truncation};

/// The data budget of a summary ConfigMap: half the 1 MiB ConfigMap limit.
pub const BUDGET_BYTES: usize = 512 * 1024;
/// Bumped whenever summary.json's shape changes.
pub const SCHEMA_VERSION: u32 = 1;

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
    let order = in_summary_order(recommendations);
    let summary = Summary::new(
        Report::new(report),
        talks_in_order(&order),
        recommendations.len(),
    );
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
    };
    rendered.digest = digest(&rendered.data());
    rendered
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

fn talks_in_order(order: &[&RecommendationInput]) -> Vec<Talk> {
    let mut talks = Vec::new();
    let mut bytes = 0;
    for &input in order {
        if bytes > BUDGET_BYTES {
            break;
        }
        let rec = Recommendation::new(input);
        let talk = Talk {
            markdown: markdown::talk(&rec),
            json: json::element(&rec),
        };
        // Each also brings a separator: "\n" between Markdown blocks, ",\n" between elements.
        bytes += talk.markdown.len() + 1 + talk.json.len() + 2;
        talks.push(talk);
    }
    talks
}

/// Everything rendered once, ready to be put together for any number of included talks.
struct Summary {
    total: usize,
    report: Report,
    /// Markdown: the title and facts.
    head: String,
    /// Markdown: highlights and themes.
    lists: Vec<String>,
    /// Markdown: the report's text.
    body: Option<String>,
    report_json: String,
    /// The report's JSON without the body, made only when it is needed.
    bare_report_json: OnceCell<String>,
    talks: Vec<Talk>,
}

impl Summary {
    fn new(report: Report, talks: Vec<Talk>, total: usize) -> Self {
        Summary {
            total,
            head: markdown::head(&report),
            lists: [markdown::highlights(&report), markdown::themes(&report)]
                .into_iter()
                .flatten()
                .collect(),
            body: markdown::body(&report),
            report_json: json::pretty(&report, 1),
            bare_report_json: OnceCell::new(),
            report,
            talks,
        }
    }

    fn report_json(&self, body_omitted: bool) -> &str {
        if !body_omitted {
            return &self.report_json;
        }
        self.bare_report_json.get_or_init(|| {
            let bare = Report {
                body: None,
                ..self.report.clone()
            };
            json::pretty(&bare, 1)
        })
    }

    /// Writes both files, with the first `included` talks, into `md` and `json` (cleared first).
    fn write(&self, included: usize, body_omitted: bool, md: &mut String, json: &mut String) {
        let talks = &self.talks[..included];
        let note = markdown::note(self.total, included, body_omitted);
        let heading = markdown::talks_heading(self.total, included);
        let body = if body_omitted {
            None
        } else {
            self.body.as_deref()
        };
        let blocks = iter::once(self.head.as_str())
            .chain(note.as_deref())
            .chain(self.lists.iter().map(String::as_str))
            .chain(heading.as_deref())
            .chain(talks.iter().map(|t| t.markdown.as_str()))
            .chain(body);
        md.clear();
        for (i, block) in blocks.enumerate() {
            if i > 0 {
                md.push('\n');
            }
            md.push_str(block);
        }
        let truncation = Truncation {
            total: self.total,
            included,
            body_omitted,
            budget_bytes: BUDGET_BYTES,
        };
        json::write_document(
            json,
            self.report_json(body_omitted),
            talks.iter().map(|t| t.json.as_str()),
            &truncation,
        );
    }

    fn size(&self, included: usize, body_omitted: bool, scratch: &mut (String, String)) -> usize {
        self.write(included, body_omitted, &mut scratch.0, &mut scratch.1);
        scratch.0.len() + scratch.1.len()
    }

    /// How many talks to include, and whether the body must go: everything if it fits, else the
    /// longest prefix of talks that fits with the body, else without it.
    fn choose(&self) -> (usize, bool) {
        let scratch = &mut (String::new(), String::new());
        if self.talks.len() == self.total && self.size(self.total, false, scratch) <= BUDGET_BYTES {
            return (self.total, false);
        }
        // From here the note is always there (something is left out).
        let with_body = self.talks.len().min(self.total.saturating_sub(1));
        if let Some(included) = self.largest_fitting(with_body, false, scratch) {
            return (included, false);
        }
        // Only a body beyond the API's bound can get here: every other field is cut to its bound,
        // and all of them at their bounds fit with room to spare.
        (
            self.largest_fitting(self.talks.len(), true, scratch)
                .unwrap_or(0),
            true,
        )
    }

    /// The largest number of talks up to `max` that fits, by binary search: with the note
    /// present, each further talk adds its block and element (dozens of bytes at least) and
    /// changes the counts by a digit at most, so the size grows with the number included.
    fn largest_fitting(
        &self,
        max: usize,
        body_omitted: bool,
        scratch: &mut (String, String),
    ) -> Option<usize> {
        if self.size(0, body_omitted, scratch) > BUDGET_BYTES {
            return None;
        }
        let (mut fits, mut too_many) = (0, max + 1);
        while too_many - fits > 1 {
            let mid = fits + (too_many - fits) / 2;
            if self.size(mid, body_omitted, scratch) <= BUDGET_BYTES {
                fits = mid;
            } else {
                too_many = mid;
            }
        }
        Some(fits)
    }
}
