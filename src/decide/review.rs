//! Who has reviewed what: the Reviewed condition of reports and recommendations. Pure logic.

use std::collections::BTreeSet;

use crate::api::{ConferenceReportSpec, TalkRecommendationSpec, Verdict};

pub const APPROVED: &str = "Approved";
pub const AWAITING_APPROVAL: &str = "AwaitingApproval";
pub const CHANGES_REQUESTED: &str = "ChangesRequested";

/// The outcome of a review, ready to become the Reviewed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewOutcome {
    pub reviewed: bool,
    pub reason: &'static str,
    pub message: String,
    /// Approvals that count (distinct reviewers, not the author or recommender).
    pub counted: usize,
}

/// People are named by free text; "Jane Doe", " jane doe " and "Jane\u{200B} Doe" are the same
/// person, and a name that is only blanks or invisible characters is nobody.
pub fn same_person(a: &str, b: &str) -> bool {
    let a = normalize(a);
    !a.is_empty() && a == normalize(b)
}

/// A name as a person reads it: compatibility-normalized (NFKC, so a precomposed "é" and "e"
/// with a combining accent are one letter), without the characters Unicode says are invisible
/// (Default_Ignorable_Code_Point), blanks collapsed, lower case.
fn normalize(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let visible: String = name.nfkc().filter(|c| !default_ignorable(*c)).collect();
    visible
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): zero-width spaces and
/// joiners, direction marks, variation selectors, the BOM, soft hyphens and the like.
fn default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Reviewed for a report: distinct approvals, not counting the author's own, must reach
/// `requiredApprovals` (1 when the report has no review section).
pub fn report_review(spec: &ConferenceReportSpec) -> ReviewOutcome {
    let required = spec
        .review
        .as_ref()
        .map_or(1, |r| r.required_approvals.max(0)) as usize;
    let approvals = spec
        .review
        .as_ref()
        .map(|r| r.approvals.as_slice())
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut counted = Vec::new();
    let mut self_approved = false;
    for approval in approvals {
        let reviewer = normalize(&approval.reviewer);
        if reviewer.is_empty() {
            // Nobody: validation reports the blank name; it approves nothing.
            continue;
        }
        if same_person(&approval.reviewer, &spec.author.name) {
            self_approved = true;
        } else if seen.insert(reviewer) {
            counted.push(approval.reviewer.trim());
        }
    }
    let reviewed = counted.len() >= required;
    let mut message = if required == 0 {
        "No approvals are required.".to_string()
    } else if reviewed {
        format!(
            "Approved by {} ({} of {} required).",
            counted.join(", "),
            counted.len(),
            required
        )
    } else {
        format!(
            "{} of {} required approvals so far.",
            counted.len(),
            required
        )
    };
    if self_approved {
        message.push_str(&format!(
            " The approval by {} is ignored: the author cannot approve their own report.",
            spec.author.name.trim()
        ));
    }
    ReviewOutcome {
        reviewed,
        reason: if reviewed {
            APPROVED
        } else {
            AWAITING_APPROVAL
        },
        message,
        counted: counted.len(),
    }
}

/// Reviewed for a recommendation: an `Approved` verdict by someone other than the recommender.
/// `recommended_by` is `spec.recommendedBy`, or the report author's name when that is absent
/// (None while the report is unknown).
pub fn recommendation_review(
    spec: &TalkRecommendationSpec,
    recommended_by: Option<&str>,
) -> ReviewOutcome {
    let outcome = |reviewed, reason, message: String| ReviewOutcome {
        reviewed,
        reason,
        message,
        counted: usize::from(reviewed),
    };
    let Some(review) = &spec.review else {
        return outcome(false, AWAITING_APPROVAL, "Not reviewed yet.".into());
    };
    let reviewer = review.reviewer.trim();
    if normalize(reviewer).is_empty() {
        return outcome(
            false,
            AWAITING_APPROVAL,
            "The review names no reviewer.".into(),
        );
    }
    match review.verdict {
        Verdict::ChangesRequested => {
            let comment = review
                .comment
                .as_deref()
                .map(|c| format!(": {}", c.trim()))
                .unwrap_or_default();
            outcome(
                false,
                CHANGES_REQUESTED,
                format!("{reviewer} requested changes{comment}"),
            )
        }
        Verdict::Approved => match recommended_by {
            Some(by) if same_person(by, reviewer) => outcome(
                false,
                AWAITING_APPROVAL,
                format!(
                    "The approval by {reviewer} is ignored: it must come from someone other than the person who recommended the talk."
                ),
            ),
            _ => outcome(true, APPROVED, format!("Approved by {reviewer}.")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Approval, Author, Conference, ReportRef, Review, Talk, TalkReview};

    #[test]
    fn names_that_read_the_same_are_the_same_person() {
        assert!(same_person("José Silva", "Jose\u{301} Silva"));
        assert!(same_person("Jane Doe", "Jane\u{200B} Doe"));
        assert!(same_person("Jane Doe", "\u{FEFF}jane  doe "));
        assert!(same_person("Ｊａｎｅ", "jane"));
        assert!(!same_person("Jane Doe", "John Doe"));
        // A blank or invisible name is nobody, not everybody.
        assert!(!same_person("   ", "\u{200B}"));
    }

    #[test]
    fn a_blank_reviewer_approves_nothing() {
        let spec = report(Some(1), &["   ", "\u{200B}"]);
        let outcome = report_review(&spec);
        assert!(!outcome.reviewed);
        assert_eq!(outcome.counted, 0);
        let twice = report(Some(2), &["José", "Jose\u{301}"]);
        assert_eq!(
            report_review(&twice).counted,
            1,
            "one person, written two ways"
        );
    }

    fn report(required: Option<i32>, reviewers: &[&str]) -> ConferenceReportSpec {
        ConferenceReportSpec {
            title: "What we saw".into(),
            conference: Conference {
                name: "KubeCon".into(),
                year: 2019,
                ..Default::default()
            },
            author: Author {
                name: "Jane Doe".into(),
                organization: None,
            },
            language: "en".into(),
            body: None,
            highlights: None,
            themes: None,
            review: required.map(|required_approvals| Review {
                required_approvals,
                approvals: reviewers
                    .iter()
                    .map(|r| Approval {
                        reviewer: r.to_string(),
                        comment: None,
                    })
                    .collect(),
            }),
            suspend: None,
        }
    }

    #[test]
    fn approvals_by_others_reach_the_requirement() {
        let outcome = report_review(&report(Some(2), &["bob", "alice"]));
        assert!(outcome.reviewed);
        assert_eq!(outcome.reason, APPROVED);
        assert_eq!(outcome.message, "Approved by bob, alice (2 of 2 required).");
    }

    #[test]
    fn a_self_approval_is_ignored_and_the_message_says_why() {
        let outcome = report_review(&report(Some(1), &[" jane  DOE "]));
        assert!(!outcome.reviewed);
        assert_eq!(outcome.reason, AWAITING_APPROVAL);
        assert_eq!(
            outcome.message,
            "0 of 1 required approvals so far. The approval by Jane Doe is ignored: the author cannot approve their own report."
        );
    }

    #[test]
    fn the_same_reviewer_written_twice_counts_once() {
        let outcome = report_review(&report(Some(2), &["Bob", "bob "]));
        assert!(!outcome.reviewed);
        assert_eq!(outcome.counted, 1);
    }

    #[test]
    fn no_review_section_needs_one_approval_and_zero_needs_none() {
        assert!(!report_review(&report(None, &[])).reviewed);
        let none_needed = report_review(&report(Some(0), &[]));
        assert!(none_needed.reviewed);
        assert_eq!(none_needed.message, "No approvals are required.");
    }

    fn recommendation(review: Option<(&str, Verdict)>) -> TalkRecommendationSpec {
        TalkRecommendationSpec {
            report_ref: ReportRef { name: "r".into() },
            talk: Talk {
                title: "Loki".into(),
                ..Default::default()
            },
            rating: 5,
            reason: "Cheap logs".into(),
            recommended_by: None,
            review: review.map(|(reviewer, verdict)| TalkReview {
                reviewer: reviewer.into(),
                verdict,
                comment: Some("add the video".into()),
            }),
        }
    }

    #[test]
    fn a_recommendation_is_reviewed_only_when_someone_else_approves_it() {
        assert!(
            recommendation_review(
                &recommendation(Some(("bob", Verdict::Approved))),
                Some("Jane Doe")
            )
            .reviewed
        );
        let own = recommendation_review(
            &recommendation(Some(("jane doe", Verdict::Approved))),
            Some("Jane Doe"),
        );
        assert!(!own.reviewed);
        assert!(own.message.contains("is ignored"), "{}", own.message);
        let changes = recommendation_review(
            &recommendation(Some(("bob", Verdict::ChangesRequested))),
            Some("Jane"),
        );
        assert_eq!(
            (changes.reviewed, changes.reason),
            (false, CHANGES_REQUESTED)
        );
        assert_eq!(changes.message, "bob requested changes: add the video");
        let none = recommendation_review(&recommendation(None), None);
        assert_eq!((none.reviewed, none.reason), (false, AWAITING_APPROVAL));
    }
}
