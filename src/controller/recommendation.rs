//! Reconciling a TalkRecommendation: resolve its report, compute Reviewed, write status.

use std::sync::Arc;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use tracing::instrument;

use super::report::now;
use super::{Context, apply_status, retry_after};
use crate::api::{ConferenceReport, TalkRecommendation, TalkRecommendationStatus};
use crate::conditions::{self, Desired, READY, REVIEWED, STALLED};
use crate::error::Error;
use crate::review::recommendation_review;
use crate::validation::{describe, validate_recommendation};

const KIND: &str = "TalkRecommendation";

#[instrument(skip_all, fields(namespace = rec.namespace().unwrap_or_default(), object = rec.name_any()))]
pub async fn reconcile(rec: Arc<TalkRecommendation>, ctx: Arc<Context>) -> Result<Action, Error> {
    ctx.caches_synced().await;
    if rec.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = rec.namespace().ok_or(Error::MissingField {
        kind: KIND,
        field: "metadata.namespace",
    })?;
    let report_name = &rec.spec.report_ref.name;
    // From the cache: a report's arrival or deletion reaches the cache before it triggers
    // this reconcile, so a stale answer here is always followed by a reconcile with a fresh one.
    let report = ctx.reports.get(
        &kube::runtime::reflector::ObjectRef::<ConferenceReport>::new(report_name)
            .within(&namespace),
    );
    // A suspended report freezes its recommendations' status too: no writes for it.
    if report
        .as_ref()
        .is_some_and(|r| r.spec.suspend == Some(true))
    {
        return Ok(Action::await_change());
    }
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

    let (desired, warning) = if !problems.is_empty() {
        let message = format!("The spec is invalid: {}.", describe(&problems));
        (
            vec![
                Desired::falsy(READY, "InvalidSpec", &message),
                Desired::truthy(STALLED, "InvalidSpec", &message),
                reviewed,
            ],
            Some(("InvalidSpec", message)),
        )
    } else if report.is_none() {
        let message = format!(
            "ConferenceReport {report_name} does not exist in namespace {namespace}; this resolves by itself once it is created."
        );
        (
            vec![Desired::falsy(READY, "ReportNotFound", &message), reviewed],
            Some(("ReportNotFound", message)),
        )
    } else {
        (
            vec![
                Desired::truthy(
                    READY,
                    "Resolved",
                    format!("Listed in the summary of ConferenceReport {report_name}."),
                ),
                reviewed,
            ],
            None,
        )
    };

    let existing = rec
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let status = TalkRecommendationStatus {
        observed_generation: rec.meta().generation,
        reviewed: review.reviewed,
        conditions: conditions::merge(existing, &desired, rec.meta().generation, &now()),
    };
    if rec.status.as_ref() != Some(&status) {
        if let Some((reason, message)) = warning {
            let already_said = conditions::find(existing, READY)
                .is_some_and(|c| c.reason == reason && c.message == message);
            if !already_said {
                ctx.publish(&*rec, EventType::Warning, reason, message)
                    .await;
            }
        }
        let ready = conditions::find(&status.conditions, READY).map(|c| c.reason.as_str());
        apply_status(&ctx, &*rec, &status, ready).await?;
    }
    ctx.record_success(&super::key(KIND, &*rec));
    Ok(Action::await_change())
}

pub fn error_policy(rec: Arc<TalkRecommendation>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &rec, error, &ctx)
}
