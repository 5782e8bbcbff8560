//! summary.json: byte for byte what `serde_json::to_string_pretty` gives for the whole document
//! (plus a newline), but put together from pieces serialized once, so that fitting the budget
//! never serializes a recommendation twice.

use serde::Serialize;

use super::SCHEMA_VERSION;
use super::model::{Recommendation, Truncation};

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

/// Writes the document into `out` (cleared first): `report` is the report's `pretty(_, 1)`,
/// `elements` the recommendations' `element`s.
pub(super) fn write_document<'a>(
    out: &mut String,
    report: &str,
    elements: impl Iterator<Item = &'a str>,
    truncation: &Truncation,
) {
    out.clear();
    out.push_str("{\n  \"schemaVersion\": ");
    out.push_str(&SCHEMA_VERSION.to_string());
    out.push_str(",\n  \"report\": ");
    out.push_str(report);
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
