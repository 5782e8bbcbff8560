//! What the admission policies of deploy/admission/ warn about at apply, told offline: the author
//! among a report's approvers, a recommendation approved by its own recommender. The messages
//! are the policies' own; tests/integration/admission.rs holds both to the same text. Offline the
//! operator's rule for names applies (decide/review.rs), which also folds Unicode forms and
//! drops invisible characters, so it may warn where the policy's ASCII comparison does not.

use super::{Finding, Object, Severity, lines};
use crate::decide::review::same_person;

/// The warning `kubectl apply` would print for `object`, if any.
pub(super) fn at_apply(object: &Object) -> Option<Finding> {
    let spec = &object.value["spec"];
    let (field, message) = if object.kind == "ConferenceReport" {
        let author = spec["author"]["name"].as_str()?;
        let approvals = spec["review"]["approvals"].as_array()?;
        approvals
            .iter()
            .filter_map(|a| a["reviewer"].as_str())
            .any(|reviewer| same_person(reviewer, author))
            .then(|| {
                (
                    "spec.review.approvals",
                    format!(
                        "ConferenceReport {}: the author, {author}, is among spec.review.approvals; an author's own approval does not count toward requiredApprovals",
                        object.name
                    ),
                )
            })?
    } else {
        let by = spec["recommendedBy"].as_str()?;
        let review = &spec["review"];
        let reviewer = review["reviewer"].as_str()?;
        (review["verdict"] == "Approved" && same_person(reviewer, by)).then(|| {
            (
                "spec.review.reviewer",
                format!(
                    "TalkRecommendation {}: it is approved by its own recommender, {by}; a recommender's own review does not count",
                    object.name
                ),
            )
        })?
    };
    Some(Finding {
        file: object.document.file.clone(),
        line: lines::line_of(&object.document.text, object.document.first_line, field),
        field: field.into(),
        message,
        severity: Severity::Warned,
    })
}
