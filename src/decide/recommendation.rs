//! What a TalkRecommendation's status should be: Reviewed from its review, Ready from whether it
//! is valid, whether its report exists, and what the report's last reconcile decided about it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Resource;

use super::conditions::{self, Announcement, Desired, READY, REVIEWED, STALLED};
use super::review::recommendation_review;
use super::validation::{describe, validate_recommendation};
use crate::api::{ConferenceReport, TalkRecommendation, TalkRecommendationStatus};

/// What a recommendation may say of its report's summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The report has not yet been reconciled with this recommendation as it is now: its
    /// reconcile will tell (see [`Listings::set`]).
    Wait,
    Suspended,
    Invalid,
    Failed(String),
    Listed {
        config_map: String,
    },
    LeftOut {
        config_map: String,
        shown: usize,
        total: usize,
    },
}

pub enum Decision {
    /// The report's reconcile has not taken this recommendation in yet; when it does, it hands
    /// the recommendation a new reconcile.
    Wait,
    /// This status, and what to say once it is written.
    Status {
        status: TalkRecommendationStatus,
        say: Option<Announcement>,
    },
}

/// Decides for `rec` in `namespace`, given its report (from the cache, if it exists) with the
/// verdict of the report's last reconcile on it, at time `now`.
pub fn decide(
    rec: &TalkRecommendation,
    namespace: &str,
    report: Option<(&ConferenceReport, Verdict)>,
    now: &Time,
) -> Decision {
    let report_name = &rec.spec.report_ref.name;
    let recommended_by = rec
        .spec
        .recommended_by
        .as_deref()
        .or(report.as_ref().map(|(r, _)| r.spec.author.name.as_str()));
    let review = recommendation_review(&rec.spec, recommended_by);
    let reviewed = Desired::new(
        REVIEWED,
        Some(review.reviewed),
        review.reason,
        review.message.clone(),
    );
    let problems = validate_recommendation(&rec.spec);
    let desired = if !problems.is_empty() {
        let message = format!("The spec is invalid: {}.", describe(&problems));
        vec![
            Desired::falsy(READY, "InvalidSpec", &message),
            Desired::truthy(STALLED, "InvalidSpec", &message),
            reviewed,
        ]
    } else if let Some((_, verdict)) = report {
        match ready(report_name, verdict) {
            Some(ready) => ready.into_iter().chain([reviewed]).collect(),
            None => return Decision::Wait,
        }
    } else {
        let message = format!(
            "ConferenceReport {report_name} does not exist in namespace {namespace}; this resolves by itself once it is created."
        );
        vec![Desired::falsy(READY, "ReportNotFound", &message), reviewed]
    };
    let existing = rec
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let status = TalkRecommendationStatus {
        observed_generation: rec.meta().generation,
        reviewed: review.reviewed,
        conditions: conditions::merge(existing, &desired, rec.meta().generation, now),
    };
    let say = conditions::announce(existing, &status.conditions, &WARNED, &[]);
    Decision::Status { status, say }
}

/// Ready reasons worth a Warning: invalid input and a dangling reference.
const WARNED: [&str; 2] = ["InvalidSpec", "ReportNotFound"];

/// The Ready condition from what the report's last reconcile decided; None while it has not
/// decided on this recommendation.
fn ready(report: &str, verdict: Verdict) -> Option<Vec<Desired>> {
    Some(match verdict {
        Verdict::Wait => return None,
        Verdict::Listed { .. } => vec![Desired::truthy(
            READY,
            "Resolved",
            format!("Listed in the summary of ConferenceReport {report}."),
        )],
        Verdict::LeftOut {
            config_map,
            shown,
            total,
        } => {
            // Nothing is wrong with the recommendation, and the report's own Summarized is True
            // with the same reason: Ready, with a message that says it is not shown.
            vec![Desired::truthy(
                READY,
                "Truncated",
                format!(
                    "Left out of the summary of ConferenceReport {report} (ConfigMap {config_map}): it shows {shown} of {total} recommendations, by rating and then title, within its size budget."
                ),
            )]
        }
        Verdict::Suspended => vec![Desired::falsy(
            READY,
            "ReportSuspended",
            format!(
                "ConferenceReport {report} is suspended: its summary is not updated until spec.suspend is set back, so it may not show this recommendation as it is."
            ),
        )],
        Verdict::Invalid => vec![Desired::falsy(
            READY,
            "ReportInvalid",
            format!(
                "ConferenceReport {report} has an invalid spec, so its summary is not updated; this recommendation is listed once the report is fixed."
            ),
        )],
        Verdict::Failed(why) => vec![Desired::falsy(
            READY,
            "SummaryFailed",
            format!(
                "The summary of ConferenceReport {report} could not be published, so this recommendation is not in it: {why}"
            ),
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(verdict: Verdict) -> Vec<(String, String, String)> {
        ready("r", verdict)
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                (
                    d.type_.to_string(),
                    format!("{:?}", d.status),
                    d.reason.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn ready_is_true_only_when_the_summary_lists_the_recommendation() {
        assert_eq!(ready("r", Verdict::Wait), None);
        assert_eq!(
            said(Verdict::Listed {
                config_map: "r-summary".into()
            }),
            [("Ready".into(), "Some(true)".into(), "Resolved".into())]
        );
        for (verdict, reason) in [
            (Verdict::Suspended, "ReportSuspended"),
            (Verdict::Invalid, "ReportInvalid"),
            (Verdict::Failed("too large".into()), "SummaryFailed"),
        ] {
            assert_eq!(
                said(verdict),
                [("Ready".into(), "Some(false)".into(), reason.into())]
            );
        }
        let left_out = ready(
            "r",
            Verdict::LeftOut {
                config_map: "r-summary".into(),
                shown: 3,
                total: 10,
            },
        )
        .unwrap_or_default();
        assert_eq!(left_out.len(), 1);
        assert_eq!(left_out[0].reason, "Truncated");
        assert!(
            left_out[0].message.starts_with("Left out") && left_out[0].message.contains("3 of 10"),
            "{}",
            left_out[0].message
        );
    }
}
