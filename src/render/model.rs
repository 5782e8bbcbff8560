//! The published data: the report and its recommendations with user text cleaned (see
//! `escape::clean_line` and `escape::clean_text`) and cut to the API's bounds. summary.json is
//! these structs serialized; summary.md is rendered from them, so both say the same thing.
//!
//! Optional scalars absent from the spec are left out of the JSON; lists are always present
//! (empty when absent), so programs can iterate without checking.

use serde::Serialize;

use super::escape::{clean_line, clean_text};
use super::{RecommendationInput, ReportInput};
use crate::api::ConferenceReportSpec;

/// The CRD's bounds, in characters. The API server enforces them; they are applied again here
/// (only an outdated CRD could let longer text through) so the budget holds for any input.
mod bounds {
    pub const NAME: usize = 253;
    pub const TITLE: usize = 200;
    pub const CONFERENCE_NAME: usize = 200;
    pub const PLACE: usize = 100;
    pub const DATE: usize = 10;
    pub const PERSON: usize = 100;
    pub const LANGUAGE: usize = 35;
    pub const HIGHLIGHTS: usize = 50;
    pub const HIGHLIGHT: usize = 500;
    pub const THEMES: usize = 20;
    pub const THEME: usize = 63;
    pub const TALK_TITLE: usize = 300;
    pub const SPEAKERS: usize = 10;
    pub const TRACK: usize = 100;
    pub const URL: usize = 2048;
    pub const REASON: usize = 2000;
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    pub name: String,
    pub title: String,
    pub conference: Conference,
    pub author: Author,
    pub language: String,
    pub highlights: Vec<String>,
    pub themes: Vec<String>,
    /// Absent when the spec has none, or when it is left out to stay within the budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub review: Review,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Conference {
    pub name: String,
    pub year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendees: Option<i64>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Author {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Review {
    pub reviewed: bool,
    /// Distinct approvals that count (the author's own excluded).
    pub approvals: usize,
    pub required_approvals: i32,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Recommendation {
    pub name: String,
    pub title: String,
    pub speakers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    /// Only an http or https URL is published.
    #[serde(rename = "videoURL", skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(rename = "slidesURL", skip_serializing_if = "Option::is_none")]
    pub slides_url: Option<String>,
    pub rating: i32,
    pub reason: String,
    pub recommended_by: String,
    pub reviewed: bool,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(super) struct Truncation {
    pub total: usize,
    pub included: usize,
    pub body_omitted: bool,
    pub budget_bytes: usize,
}

/// At most `max` characters of `s`.
fn clip(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(end, _)| &s[..end])
}

/// The report's `spec.language` as the summary shows it.
pub(super) fn language(spec: &ConferenceReportSpec) -> String {
    line(&spec.language, bounds::LANGUAGE)
}

/// The report's body as the summary shows it.
pub(super) fn body(spec: &ConferenceReportSpec) -> Option<String> {
    spec.body.as_deref().map(clean_text)
}

fn line(s: &str, max: usize) -> String {
    clean_line(clip(s, max))
}

fn lines(items: &[String], max_items: usize, max: usize) -> Vec<String> {
    items.iter().take(max_items).map(|s| line(s, max)).collect()
}

fn web_url(url: Option<&String>) -> Option<String> {
    let url = clip(url?, bounds::URL);
    is_web_url(url).then(|| clean_line(url))
}

impl Report {
    pub fn new(input: &ReportInput) -> Self {
        let spec = input.spec;
        let conference = &spec.conference;
        let optional = |s: &Option<String>, max| s.as_deref().map(|s| line(s, max));
        Report {
            name: line(input.name, bounds::NAME),
            title: line(&spec.title, bounds::TITLE),
            conference: Conference {
                name: line(&conference.name, bounds::CONFERENCE_NAME),
                year: conference.year,
                city: optional(&conference.city, bounds::PLACE),
                country: optional(&conference.country, bounds::PLACE),
                start_date: optional(&conference.start_date, bounds::DATE),
                end_date: optional(&conference.end_date, bounds::DATE),
                attendees: conference.attendees,
            },
            author: Author {
                name: line(&spec.author.name, bounds::PERSON),
                organization: optional(&spec.author.organization, bounds::PERSON),
            },
            language: language(spec),
            highlights: lines(
                spec.highlights.as_deref().unwrap_or_default(),
                bounds::HIGHLIGHTS,
                bounds::HIGHLIGHT,
            ),
            themes: lines(
                spec.themes.as_deref().unwrap_or_default(),
                bounds::THEMES,
                bounds::THEME,
            ),
            // Not cut: a body too large for the budget is left out whole, and the summary says so.
            body: body(spec),
            review: Review {
                reviewed: input.reviewed,
                approvals: input.approvals_counted,
                // The API's default when the report has no review section (as review.rs reads it).
                required_approvals: spec
                    .review
                    .as_ref()
                    .map_or(1, |r| r.required_approvals.max(0)),
            },
        }
    }
}

impl Recommendation {
    pub fn new(input: &RecommendationInput) -> Self {
        let spec = input.spec;
        let talk = &spec.talk;
        Recommendation {
            name: line(input.name, bounds::NAME),
            title: line(&talk.title, bounds::TALK_TITLE),
            speakers: lines(&talk.speakers, bounds::SPEAKERS, bounds::PERSON),
            track: talk.track.as_deref().map(|t| line(t, bounds::TRACK)),
            video_url: web_url(talk.video_url.as_ref()),
            slides_url: web_url(talk.slides_url.as_ref()),
            rating: spec.rating,
            reason: clean_text(clip(&spec.reason, bounds::REASON)),
            recommended_by: line(input.recommended_by, bounds::PERSON),
            reviewed: input.reviewed,
        }
    }
}

/// Whether a URL uses a scheme the summary may link to.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") && url.len() > 7)
        || (lower.starts_with("https://") && url.len() > 8)
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("😀😀😀", 2), "😀😀");
        assert_eq!(clip("ab", 2), "ab");
        assert_eq!(clip("ab", 0), "");
    }
}
