//! Reconciling a ConferenceReport: validate, review, gather its valid recommendations, render,
//! publish the summary ConfigMap, write status, and only then say what changed in Events; each
//! write only when something differs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use tracing::{debug, instrument};

use super::listing::{Entry, State};
use super::{Context, Outcome, Reconciled, apply_status, publish, retry_after};
use crate::api::names::REQUESTED_AT_ANNOTATION;
use crate::api::{
    ConferenceReport, ConferenceReportStatus, RecommendationCounts, SummaryRef, TalkRecommendation,
    TalkRecommendationSpec,
};
use crate::conditions::{self, Desired, READY, RECONCILING, REVIEWED, STALLED, SUMMARIZED};
use crate::error::{Error, backoff};
use crate::render;
use crate::review::report_review;
use crate::summary;
use crate::validation::{describe, validate_recommendation, validate_report};

/// A converged report is looked at again this often, as a safety net; it writes nothing then.
const RESYNC: Duration = Duration::from_secs(3600);

const KIND: &str = "ConferenceReport";

#[instrument(skip_all, fields(namespace = report.namespace().unwrap_or_default(), object = report.name_any()))]
pub async fn reconcile(
    report: Arc<ConferenceReport>,
    ctx: Arc<Context>,
) -> Result<Reconciled, Error> {
    ctx.caches_synced().await;
    if report.meta().deletion_timestamp.is_some() {
        // The summary goes with the report through garbage collection.
        return Ok(Reconciled::done(Action::await_change()));
    }
    let namespace = report.namespace().ok_or(Error::MissingField {
        kind: KIND,
        field: "metadata.namespace",
    })?;
    let name = report.name_any();
    let key = super::key(KIND, &*report);
    if report.spec.suspend == Some(true) {
        debug!("suspended; no writes");
        ctx.list(
            &namespace,
            &name,
            entry(&report, HashMap::new(), State::Suspended),
        );
        return Ok(Reconciled::done(Action::await_change()));
    }
    let all = recommendations_of(&ctx, &namespace, &name);
    // Invalid recommendations are neither rendered nor counted: they say so in their own status.
    let valid: Vec<Arc<TalkRecommendation>> = all
        .into_iter()
        .filter(|rec| validate_recommendation(&rec.spec).is_empty())
        .collect();
    let considered = valid
        .iter()
        .map(|rec| (rec.name_any(), rec.meta().generation))
        .collect();
    let basics = basics(&report, valid);

    let problems = validate_report(&report.spec);
    if !problems.is_empty() {
        // The last good summary stays in place; only a valid spec replaces it.
        let message = format!(
            "The spec is invalid: {}. Fix it to publish a new summary.",
            describe(&problems)
        );
        let status = with_conditions(
            &report,
            base_status(&report, &basics),
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
        write_status(&report, &ctx, &key, status).await?;
        ctx.list(
            &namespace,
            &name,
            entry(&report, considered, State::Invalid),
        );
        return Ok(Reconciled::done(Action::await_change()));
    }

    let inputs: Vec<(&str, &TalkRecommendationSpec)> = basics
        .recommendations
        .iter()
        .map(|rec| (rec.meta().name.as_deref().unwrap_or_default(), &rec.spec))
        .collect();
    let rendered = summary::render_report(&name, &report.spec, &inputs);
    let mut owner = report
        .controller_owner_ref(&())
        .ok_or(Error::MissingField {
            kind: KIND,
            field: "metadata.uid",
        })?;
    // The report cannot be deleted in the foreground before its summary is gone.
    owner.block_owner_deletion = Some(true);
    let desired = summary::desired(&name, &namespace, owner, rendered.data(), &rendered.digest);
    let requested_at = report.annotations().get(REQUESTED_AT_ANNOTATION).cloned();
    let published = publish::publish(
        &ctx,
        &report,
        &key,
        &desired,
        &rendered,
        requested_at.as_deref(),
    )
    .await;
    let cm_name = summary::config_map_name(&name);
    match published {
        Ok(()) => {
            write_status(
                &report,
                &ctx,
                &key,
                published_status(&report, &basics, &rendered, &cm_name),
            )
            .await?;
            ctx.record_success(&key);
            let listed = rendered.order[..rendered.included]
                .iter()
                .cloned()
                .collect();
            let state = State::Published {
                config_map: cm_name,
                listed,
                shown: rendered.included,
                total: rendered.total,
            };
            ctx.list(&namespace, &name, entry(&report, considered, state));
            Ok(Reconciled::done(Action::requeue(RESYNC)))
        }
        Err(Error::Halted) => Err(Error::Halted),
        Err(error) if error.is_permanent() => {
            // Never hidden: a condition, a Warning and a metric. Only a failure that can heal
            // from outside is tried again with no change to the report; any other waits for
            // new inputs (or a requested-at), since the same write would fail the same way.
            let status = failed_status(&report, &basics, &error);
            write_status(&report, &ctx, &key, status).await?;
            let message = error.to_string();
            ctx.list(
                &namespace,
                &name,
                entry(&report, considered, State::Failed(message)),
            );
            let action = if error.heals_from_outside() {
                Action::requeue(backoff(ctx.record_failure(&key)))
            } else {
                Action::await_change()
            };
            Ok(match error {
                // Not attempted again: nothing failed this time.
                Error::RefusedBefore(_) => Reconciled {
                    action,
                    outcome: Outcome::Skipped,
                },
                _ => Reconciled {
                    action,
                    outcome: Outcome::Failed(error.reason()),
                },
            })
        }
        Err(error) => {
            // Say that work is under way and why it is taking longer, then retry with backoff.
            write_status(
                &report,
                &ctx,
                &key,
                progressing_status(&report, &basics, &error),
            )
            .await?;
            Err(error)
        }
    }
}

pub fn error_policy(report: Arc<ConferenceReport>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &report, error, &ctx)
}

fn entry(
    report: &ConferenceReport,
    considered: HashMap<String, Option<i64>>,
    state: State,
) -> Entry {
    Entry {
        uid: report.uid().unwrap_or_default(),
        generation: report.meta().generation,
        considered,
        state,
    }
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
    status.conditions = conditions::merge(
        existing,
        desired,
        report.meta().generation,
        &conditions::now(),
    );
    status
}

fn published_status(
    report: &ConferenceReport,
    basics: &Basics,
    rendered: &render::Rendered,
    cm_name: &str,
) -> ConferenceReportStatus {
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
    let mut status = base_status(report, basics);
    status.summarized = true;
    status.summary = Some(SummaryRef {
        config_map_name: cm_name.to_string(),
        digest: rendered.digest.clone(),
    });
    with_conditions(
        report,
        status,
        &[
            Desired::truthy(
                READY,
                "Published",
                format!("The summary is published in ConfigMap {cm_name}."),
            ),
            reviewed_condition(basics),
            Desired::truthy(SUMMARIZED, summarized_reason, summarized_message),
        ],
    )
}

/// The summary cannot be published until someone acts (it is refused as too large, the
/// operator lacks a permission, its name is taken): Stalled, so GitOps tools stop waiting.
fn failed_status(
    report: &ConferenceReport,
    basics: &Basics,
    error: &Error,
) -> ConferenceReportStatus {
    let (reason, message) = match error {
        Error::SummaryNameTaken { .. } => ("SummaryNameTaken", error.to_string()),
        _ => (
            "SummaryFailed",
            format!("The summary could not be published: {error}"),
        ),
    };
    with_conditions(
        report,
        base_status(report, basics),
        &[
            Desired::falsy(READY, reason, &message),
            Desired::truthy(STALLED, reason, &message),
            reviewed_condition(basics),
            Desired::falsy(SUMMARIZED, reason, &message),
        ],
    )
}

fn progressing_status(
    report: &ConferenceReport,
    basics: &Basics,
    error: &Error,
) -> ConferenceReportStatus {
    let message =
        format!("Publishing the summary; the last attempt failed and will be retried: {error}");
    with_conditions(
        report,
        base_status(report, basics),
        &[
            Desired::falsy(READY, "Progressing", &message),
            Desired::truthy(RECONCILING, "Progressing", &message),
            reviewed_condition(basics),
            Desired::new(
                SUMMARIZED,
                None,
                "Progressing",
                "The summary is being published.",
            ),
        ],
    )
}

/// Ready reasons that are a problem a person must see in a Warning.
const WARNED: [&str; 3] = ["InvalidSpec", "SummaryFailed", "SummaryNameTaken"];

/// Server-side apply of the status subresource, only when it differs from what is there; then,
/// and only once it is written, the Events for what changed: a retried write never repeats them.
async fn write_status(
    report: &ConferenceReport,
    ctx: &Context,
    key: &str,
    status: ConferenceReportStatus,
) -> Result<(), Error> {
    if report.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let old_ready = report
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, READY))
        .cloned();
    let new_ready = conditions::find(&status.conditions, READY).cloned();
    let ready = new_ready.as_ref().map(|c| c.reason.as_str());
    apply_status(ctx, report, &status, ready).await?;
    let Some(new_ready) = new_ready else {
        return Ok(());
    };
    let said_before = old_ready
        .as_ref()
        .is_some_and(|c| c.reason == new_ready.reason && c.message == new_ready.message);
    if WARNED.contains(&new_ready.reason.as_str()) {
        if !said_before {
            ctx.warn(report, key, &new_ready.reason, new_ready.message.clone())
                .await;
        }
    } else if old_ready
        .as_ref()
        .is_some_and(|c| WARNED[1..].contains(&c.reason.as_str()))
    {
        ctx.event(
            report,
            EventType::Normal,
            "Recovered",
            new_ready.message.clone(),
        )
        .await;
    }
    Ok(())
}
