//! Reconciling a TalkRecommendation: resolve its report, judge from the report's last reconcile
//! whether its summary lists it (see `listing`), compute Reviewed, write status, then say what
//! went wrong in a Warning.

use std::sync::Arc;

use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use tracing::{debug, instrument};

use super::listing::Verdict;
use super::{Context, Reconciled, apply_status, retry_after};
use crate::api::{ConferenceReport, TalkRecommendation, TalkRecommendationStatus};
use crate::conditions::{self, Desired, READY, REVIEWED, STALLED};
use crate::error::Error;
use crate::review::recommendation_review;
use crate::validation::{describe, validate_recommendation};

const KIND: &str = "TalkRecommendation";

#[instrument(skip_all, fields(namespace = rec.namespace().unwrap_or_default(), object = rec.name_any()))]
pub async fn reconcile(
    rec: Arc<TalkRecommendation>,
    ctx: Arc<Context>,
) -> Result<Reconciled, Error> {
    ctx.caches_synced().await;
    if rec.meta().deletion_timestamp.is_some() {
        return Ok(Reconciled::done(Action::await_change()));
    }
    let namespace = rec.namespace().ok_or(Error::MissingField {
        kind: KIND,
        field: "metadata.namespace",
    })?;
    let report_name = &rec.spec.report_ref.name;
    // From the cache: a report's arrival or deletion reaches the cache before it triggers
    // this reconcile, so a stale answer here is always followed by a reconcile with a fresh one.
    let report = ctx
        .reports
        .get(&ObjectRef::<ConferenceReport>::new(report_name).within(&namespace));
    let recommended_by = rec
        .spec
        .recommended_by
        .as_deref()
        .or(report.as_ref().map(|r| r.spec.author.name.as_str()));
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
    } else if let Some(report) = report {
        let verdict = ctx.listings.verdict(
            &namespace,
            report_name,
            &report.uid().unwrap_or_default(),
            report.meta().generation,
            &rec.name_any(),
            rec.meta().generation,
        );
        match ready(report_name, verdict) {
            Some(ready) => ready.into_iter().chain([reviewed]).collect(),
            None => {
                // The report's reconcile has not taken this recommendation in yet; when it
                // does, it hands this recommendation a new reconcile (`Context::list`).
                debug!(report = %report_name, "waiting for the report's reconcile");
                return Ok(Reconciled::done(Action::await_change()));
            }
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
        conditions: conditions::merge(
            existing,
            &desired,
            rec.meta().generation,
            &conditions::now(),
        ),
    };
    if rec.status.as_ref() != Some(&status) {
        let new_ready = conditions::find(&status.conditions, READY).cloned();
        apply_status(
            &ctx,
            &*rec,
            &status,
            new_ready.as_ref().map(|c| c.reason.as_str()),
        )
        .await?;
        // Only once written, so a retried write never repeats it.
        if let Some(c) = new_ready.filter(|c| WARNED.contains(&c.reason.as_str())) {
            let already_said = conditions::find(existing, READY)
                .is_some_and(|old| old.reason == c.reason && old.message == c.message);
            if !already_said {
                ctx.warn(&*rec, &super::key(KIND, &*rec), &c.reason, c.message)
                    .await;
            }
        }
    }
    ctx.record_success(&super::key(KIND, &*rec));
    Ok(Reconciled::done(Action::await_change()))
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

pub fn error_policy(rec: Arc<TalkRecommendation>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &rec, error, &ctx)
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
