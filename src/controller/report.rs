//! Reconciling a ConferenceReport: validate, review, gather its recommendations, render, publish
//! the summary ConfigMap, and write status, each write only when something differs.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, Resource, ResourceExt};
use tracing::{debug, info, instrument};

use super::{Context, FIELD_MANAGER, apply_status, retry_after};
use crate::api::{
    ConferenceReport, ConferenceReportStatus, RecommendationCounts, SummaryRef, TalkRecommendation,
    TalkRecommendationSpec,
};
use crate::conditions::{self, Desired, READY, RECONCILING, REVIEWED, STALLED, SUMMARIZED};
use crate::error::Error;
use crate::render;
use crate::review::report_review;
use crate::summary;
use crate::validation::{describe, validate_report};

pub const REQUESTED_AT_ANNOTATION: &str = "tripreports.dev/requested-at";
/// A converged report is looked at again this often, as a safety net; it writes nothing then.
const RESYNC: Duration = Duration::from_secs(3600);

const KIND: &str = "ConferenceReport";

#[instrument(skip_all, fields(namespace = report.namespace().unwrap_or_default(), object = report.name_any()))]
pub async fn reconcile(report: Arc<ConferenceReport>, ctx: Arc<Context>) -> Result<Action, Error> {
    ctx.caches_synced().await;
    if report.meta().deletion_timestamp.is_some() {
        // The summary goes with the report through garbage collection.
        return Ok(Action::await_change());
    }
    if report.spec.suspend == Some(true) {
        debug!("suspended; no writes");
        return Ok(Action::await_change());
    }
    let namespace = report.namespace().ok_or(Error::MissingField {
        kind: KIND,
        field: "metadata.namespace",
    })?;
    let name = report.name_any();
    let outcome = publish_and_describe(&report, &ctx, &namespace, &name).await;
    let (status, action) = match outcome {
        Ok(plan) => plan,
        Err(error) => {
            // The status still counts the recommendations; if even they cannot be read, retry.
            if matches!(error, Error::Halted) {
                return Err(error);
            }
            let recommendations = recommendations_of(&ctx, &namespace, &name);
            if error.is_permanent() {
                // Never hidden: a condition and an Event (see write_status), and a metric.
                ctx.metrics.failed(KIND, error.reason());
                (
                    failed_status(&report, recommendations, &error),
                    Action::await_change(),
                )
            } else {
                // Say that work is under way and why it is taking longer, then retry with backoff.
                write_status(
                    &report,
                    &ctx,
                    progressing_status(&report, recommendations, &error),
                )
                .await?;
                return Err(error);
            }
        }
    };
    write_status(&report, &ctx, status).await?;
    ctx.record_success(&super::key(KIND, &*report));
    Ok(action)
}

pub fn error_policy(report: Arc<ConferenceReport>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &report, error, &ctx)
}

/// The inputs a report's status is computed from that don't depend on the summary.
struct Basics {
    review: crate::review::ReviewOutcome,
    counts: RecommendationCounts,
    recommendations: Vec<Arc<TalkRecommendation>>,
}

/// The report's recommendations, from the cache (as new as the event that triggered this
/// reconcile; a newer change triggers another).
fn recommendations_of(ctx: &Context, namespace: &str, name: &str) -> Vec<Arc<TalkRecommendation>> {
    ctx.recommendations_by_report
        .recommendations(&ctx.recommendations, namespace, name)
}

fn basics(report: &ConferenceReport, mut recommendations: Vec<Arc<TalkRecommendation>>) -> Basics {
    // The cache's order is arbitrary; the renderer sorts, this keeps everything else stable.
    recommendations.sort_by_key(|rec| rec.name_any());
    let approved = recommendations
        .iter()
        .filter(|rec| summary::recommendation_reviewed(&report.spec, &rec.spec))
        .count();
    let total = recommendations.len();
    Basics {
        review: report_review(&report.spec),
        counts: RecommendationCounts {
            total: clamp(total),
            approved: clamp(approved),
            pending: clamp(total - approved),
        },
        recommendations,
    }
}

fn clamp(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn reviewed_condition(basics: &Basics) -> Desired {
    Desired::new(
        REVIEWED,
        Some(basics.review.reviewed),
        basics.review.reason,
        basics.review.message.clone(),
    )
}

/// A status with everything but the conditions filled from the report and its inputs.
fn base_status(report: &ConferenceReport, basics: &Basics) -> ConferenceReportStatus {
    let previous = report.status.clone().unwrap_or_default();
    ConferenceReportStatus {
        observed_generation: report.meta().generation,
        reviewed: basics.review.reviewed,
        summarized: false,
        recommendations: Some(basics.counts.clone()),
        // The last published summary stays named until a new one replaces it.
        summary: previous.summary,
        last_handled_reconcile_at: report
            .annotations()
            .get(REQUESTED_AT_ANNOTATION)
            .cloned()
            .or(previous.last_handled_reconcile_at),
        conditions: Vec::new(),
    }
}

fn with_conditions(
    report: &ConferenceReport,
    mut status: ConferenceReportStatus,
    desired: &[Desired],
) -> ConferenceReportStatus {
    let existing = report
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    status.conditions = conditions::merge(existing, desired, report.meta().generation, &now());
    status
}

/// Whole seconds: the API server stores no more, so a re-read status compares equal.
pub(super) fn now() -> Time {
    let seconds = k8s_openapi::jiff::Timestamp::now().as_second();
    Time(
        k8s_openapi::jiff::Timestamp::from_second(seconds)
            .unwrap_or_else(|_| k8s_openapi::jiff::Timestamp::now()),
    )
}

/// Validates, renders and publishes; returns the status to write.
async fn publish_and_describe(
    report: &ConferenceReport,
    ctx: &Context,
    namespace: &str,
    name: &str,
) -> Result<(ConferenceReportStatus, Action), Error> {
    let basics = basics(report, recommendations_of(ctx, namespace, name));
    let problems = validate_report(&report.spec);
    if !problems.is_empty() {
        // The last good summary stays in place; only a valid spec replaces it.
        let message = format!(
            "The spec is invalid: {}. Fix it to publish a new summary.",
            describe(&problems)
        );
        let status = with_conditions(
            report,
            base_status(report, &basics),
            &[
                Desired::falsy(READY, "InvalidSpec", &message),
                Desired::truthy(STALLED, "InvalidSpec", &message),
                reviewed_condition(&basics),
                Desired::falsy(
                    SUMMARIZED,
                    "InvalidSpec",
                    "The summary is not updated while the spec is invalid; the last good one is kept.",
                ),
            ],
        );
        if changed_condition(report, READY, "InvalidSpec", &message) {
            ctx.publish(report, EventType::Warning, "InvalidSpec", message)
                .await;
        }
        return Ok((status, Action::await_change()));
    }

    let inputs: Vec<(&str, &TalkRecommendationSpec)> = basics
        .recommendations
        .iter()
        .map(|rec| (rec.meta().name.as_deref().unwrap_or_default(), &rec.spec))
        .collect();
    let rendered = summary::render_report(name, &report.spec, &inputs);
    let mut owner = report
        .controller_owner_ref(&())
        .ok_or(Error::MissingField {
            kind: KIND,
            field: "metadata.uid",
        })?;
    // The report cannot be deleted in the foreground before its summary is gone.
    owner.block_owner_deletion = Some(true);
    let desired = summary::desired(name, namespace, owner, rendered.data(), &rendered.digest);
    let cm_name = summary::config_map_name(name);
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), namespace);
    let existing = ctx
        .config_maps
        .get(&kube::runtime::reflector::ObjectRef::<ConfigMap>::new(&cm_name).within(namespace));
    let seen = existing
        .as_ref()
        .and_then(|cm| cm.metadata.resource_version.clone())
        .unwrap_or_default();
    let memo_key = format!("{namespace}/{cm_name}");
    if !existing
        .as_ref()
        .is_some_and(|cm| summary::up_to_date(cm, &desired))
        && !ctx.summary_already_applied(&memo_key, &seen, &rendered.digest)
    {
        ctx.writable()?;
        let applied = api
            .patch(
                &cm_name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(super::apply_body(&desired)?),
            )
            .await?;
        ctx.expect_echo(&applied);
        ctx.summary_applied(memo_key, seen, rendered.digest.clone());
        ctx.metrics.wrote("configmaps");
        let what = match &existing {
            None => "published",
            Some(cm)
                if cm.annotations().get(summary::DIGEST_ANNOTATION) == Some(&rendered.digest) =>
            {
                "restored"
            }
            Some(_) => "updated",
        };
        info!(config_map = %cm_name, digest = %rendered.digest, bytes = rendered.size, "summary {what}");
        ctx.publish(
            report,
            EventType::Normal,
            "SummaryPublished",
            format!(
                "Summary {what} in ConfigMap {cm_name} ({} bytes, {})",
                rendered.size, rendered.digest
            ),
        )
        .await;
    }

    let (summarized_reason, summarized_message) = if rendered.truncated() {
        let mut message = format!(
            "{} of {} recommendations are in ConfigMap {cm_name}: all of them would pass the budget of {} bytes ({} bytes rendered).",
            rendered.included,
            rendered.total,
            render::BUDGET_BYTES,
            rendered.size
        );
        if rendered.body_omitted {
            message.push_str(" The report's body is left out too.");
        }
        ("Truncated", message)
    } else {
        (
            "Published",
            format!(
                "ConfigMap {cm_name} holds the summary of this generation and its {} recommendations.",
                rendered.total
            ),
        )
    };
    let mut status = base_status(report, &basics);
    status.summarized = true;
    status.summary = Some(SummaryRef {
        config_map_name: cm_name.clone(),
        digest: rendered.digest.clone(),
    });
    let status = with_conditions(
        report,
        status,
        &[
            Desired::truthy(
                READY,
                "Published",
                format!("The summary is published in ConfigMap {cm_name}."),
            ),
            reviewed_condition(&basics),
            Desired::truthy(SUMMARIZED, summarized_reason, summarized_message),
        ],
    );
    Ok((status, Action::requeue(RESYNC)))
}

/// Whether the condition `type_` does not already say `reason` and `message`: Events are for
/// changes, never one per no-op reconcile.
fn changed_condition(report: &ConferenceReport, type_: &str, reason: &str, message: &str) -> bool {
    let existing = report
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    conditions::find(existing, type_).is_none_or(|c| c.reason != reason || c.message != message)
}

/// The summary cannot be published until a person acts (e.g. it is refused as too large, or the
/// operator lacks a permission): Stalled, so GitOps tools stop waiting.
fn failed_status(
    report: &ConferenceReport,
    recommendations: Vec<Arc<TalkRecommendation>>,
    error: &Error,
) -> ConferenceReportStatus {
    let basics = basics(report, recommendations);
    let message = format!("The summary could not be published: {error}");
    with_conditions(
        report,
        base_status(report, &basics),
        &[
            Desired::falsy(READY, "SummaryFailed", &message),
            Desired::truthy(STALLED, "SummaryFailed", &message),
            reviewed_condition(&basics),
            Desired::falsy(SUMMARIZED, "SummaryFailed", &message),
        ],
    )
}

fn progressing_status(
    report: &ConferenceReport,
    recommendations: Vec<Arc<TalkRecommendation>>,
    error: &Error,
) -> ConferenceReportStatus {
    let basics = basics(report, recommendations);
    let message =
        format!("Publishing the summary; the last attempt failed and will be retried: {error}");
    with_conditions(
        report,
        base_status(report, &basics),
        &[
            Desired::falsy(READY, "Progressing", &message),
            Desired::truthy(RECONCILING, "Progressing", &message),
            reviewed_condition(&basics),
            Desired::new(
                SUMMARIZED,
                None,
                "Progressing",
                "The summary is being published.",
            ),
        ],
    )
}

/// Server-side apply of the status subresource, only when it differs from what is there.
async fn write_status(
    report: &ConferenceReport,
    ctx: &Context,
    status: ConferenceReportStatus,
) -> Result<(), Error> {
    if report.status.as_ref() == Some(&status) {
        return Ok(());
    }
    // Events for a failure to publish and for the recovery from it; the InvalidSpec Warning is
    // published where the spec is judged.
    let old_ready = report
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, READY));
    if let Some(new_ready) = conditions::find(&status.conditions, READY) {
        if new_ready.reason == "SummaryFailed"
            && changed_condition(report, READY, "SummaryFailed", &new_ready.message)
        {
            let note = new_ready.message.clone();
            ctx.publish(report, EventType::Warning, "SummaryFailed", note)
                .await;
        } else if new_ready.reason != "SummaryFailed"
            && old_ready.is_some_and(|c| c.reason == "SummaryFailed")
        {
            let note = new_ready.message.clone();
            ctx.publish(report, EventType::Normal, "Recovered", note)
                .await;
        }
    }
    let ready = conditions::find(&status.conditions, READY).map(|c| c.reason.as_str());
    apply_status(ctx, report, &status, ready).await
}
