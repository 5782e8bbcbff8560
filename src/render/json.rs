//! summary.json: byte for byte what `serde_json::to_string_pretty` gives for the whole document
//! (plus a newline), but put together from pieces serialized once, so that fitting the budget
//! never serializes a recommendation twice.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::model::{Recommendation, Truncation};
use super::reading::Reading;

/// `value` pretty-printed as it appears nested `level` levels deep: serde_json indents by two
/// spaces per level, and no line break can be inside a JSON string, so indenting every line
/// after the first is exact.
pub(super) fn pretty<T: Serialize>(value: &T, level: usize) -> String {
    // Our structs hold only strings, numbers, booleans and lists of them, which serde_json
    // always serializes; "null" would keep the document valid JSON should that ever change.
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    if level == 0 {
        return text;
    }
    text.replace('\n', &format!("\n{}", "  ".repeat(level)))
}

/// A recommendation as an element of the top-level `recommendations` array.
pub(super) fn element(rec: &Recommendation) -> String {
    format!("    {}", pretty(rec, 2))
}

/// What summary.json v2 adds after the report, pretty-printed one level deep as one piece:
/// `"abstract": [...], "projects": [...], "detectedLanguage": {...} | null` (no outer braces).
pub(super) fn reading(reading: &Reading) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields<'a> {
        r#abstract: &'a [String],
        projects: &'a [super::reading::Project],
        detected_language: &'a Option<super::reading::DetectedLanguage>,
    }
    let fields = Fields {
        r#abstract: &reading.abstract_,
        projects: &reading.projects_json,
        detected_language: &reading.detected,
    };
    let object = pretty(&fields, 0);
    // The object's members, each line already indented by one level: drop "{\n" and "\n}".
    object
        .strip_prefix("{\n")
        .and_then(|o| o.strip_suffix("\n}"))
        .unwrap_or_default()
        .to_string()
}

/// The pieces of the document that do not depend on how many talks are included.
pub(super) struct Pieces<'a> {
    /// `pretty(locale tag, 1)`.
    pub locale: &'a str,
    /// The report's `pretty(_, 1)`.
    pub report: &'a str,
    /// `reading(_)`.
    pub reading: &'a str,
}

/// Writes the document into `out` (cleared first), with the recommendations' `element`s.
pub(super) fn write_document<'a>(
    out: &mut String,
    pieces: Pieces,
    elements: impl Iterator<Item = &'a str>,
    truncation: &Truncation,
) {
    out.clear();
    out.push_str("{\n  \"schemaVersion\": ");
    out.push_str(&SCHEMA_VERSION.to_string());
    out.push_str(",\n  \"locale\": ");
    out.push_str(pieces.locale);
    out.push_str(",\n  \"report\": ");
    out.push_str(pieces.report);
    out.push_str(",\n");
    out.push_str(pieces.reading);
    out.push_str(",\n  \"recommendations\": [");
    let mut empty = true;
    for element in elements {
        out.push_str(if empty { "\n" } else { ",\n" });
        out.push_str(element);
        empty = false;
    }
    out.push_str(if empty { "]" } else { "\n  ]" });
    out.push_str(",\n  \"truncation\": ");
    out.push_str(&pretty(truncation, 1));
    out.push_str("\n}\n");
}
