//! Reconciling a ConferenceReport: read its recommendations (from the caches), decide its summary
//! and status (`decide::report`), then act: publish the summary if it differs, write the status
//! that follows from how that went, and only then say what changed in Events.

use std::collections::HashMap;
use std::sync::Arc;

use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use tracing::{debug, instrument};

use super::listing::{Entry, State};
use super::{Context, Outcome, Reconciled, publish, retry_after, write_status};
use crate::api::names::REQUESTED_AT_ANNOTATION;
use crate::api::{ConferenceReport, ConferenceReportStatus};
use crate::decide::conditions::{self, READY};
use crate::decide::report::{Considered, Decision, RECOVERED_FROM, WARNED, decide_reading};
use crate::decide::validation::validate_report;
use crate::error::{Error, backoff};
use crate::render::BodyReading;

const KIND: &str = "ConferenceReport";

/// The Warning for a body written in another language than `spec.language` (shared/API.md).
const LANGUAGE_MISMATCH: &str = "LanguageMismatch";

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
    // The generation whose body is let go once this reconcile has settled it.
    let generation = report.meta().generation;
    let report = if report.spec.suspend == Some(true) {
        report
    } else {
        match whole(&ctx, report, &key).await? {
            Some(report) => report,
            // Deleted meanwhile: its deletion is on its way through the watch.
            None => return Ok(Reconciled::done(Action::await_change())),
        }
    };

    // Read: its recommendations, from the cache (as new as the event that triggered this
    // reconcile; a newer change triggers another).
    let recommendations =
        ctx.recommendations_by_report
            .recommendations(&ctx.recommendations, &namespace, &name);

    // Decide.
    let now = conditions::now();
    let read = |report: &ConferenceReport| {
        ctx.readings
            .reading(&key, report, |r| BodyReading::of(&r.spec))
    };
    let publish = match decide_reading(&report, recommendations, &now, read)? {
        Decision::Suspended => {
            debug!("suspended; no writes");
            ctx.bodies.release(&key, generation);
            ctx.list(
                &namespace,
                &name,
                entry(&report, HashMap::new(), State::Suspended),
            );
            return Ok(Reconciled::done(Action::await_change()));
        }
        Decision::Invalid { status, considered } => {
            // The last good summary stays in place; only a valid spec replaces it.
            write(&ctx, &report, &key, status).await?;
            ctx.bodies.release(&key, generation);
            ctx.list(
                &namespace,
                &name,
                entry(&report, considered, State::Invalid),
            );
            return Ok(Reconciled::done(Action::await_change()));
        }
        Decision::Publish(publish) => publish,
    };

    // Act: the summary, then the status that follows from it.
    let requested_at = report.annotations().get(REQUESTED_AT_ANNOTATION).cloned();
    let published = publish::publish(
        &ctx,
        &report,
        &key,
        &publish.desired,
        &publish.rendered,
        requested_at.as_deref(),
    )
    .await;
    let considered = publish.considered.clone();
    match published {
        Ok(()) => {
            let language_warning = publish.language_warning(&report);
            write(&ctx, &report, &key, publish.published(&report, &now)).await?;
            if let Some(mismatch) = language_warning {
                // Once per generation: the memo of Warnings says it only the first time.
                ctx.warn(&*report, &key, LANGUAGE_MISMATCH, mismatch).await;
            }
            ctx.record_success(&key);
            ctx.bodies.release(&key, generation);
            let rendered = &publish.rendered;
            let state = State::Published {
                config_map: publish.config_map.clone(),
                listed: rendered.order[..rendered.included]
                    .iter()
                    .cloned()
                    .collect(),
                shown: rendered.included,
                total: rendered.total,
            };
            ctx.list(&namespace, &name, entry(&report, considered, state));
            // Looked at again on a change, or at the hourly resync (`super::RESYNC`).
            Ok(Reconciled::done(Action::await_change()))
        }
        Err(Error::Halted) => Err(Error::Halted),
        Err(error) if error.is_permanent() => {
            // Never hidden: a condition, a Warning and a metric. Only a failure that can heal
            // from outside is tried again with no change to the report; any other waits for
            // new inputs (or a requested-at), since the same write would fail the same way.
            write(&ctx, &report, &key, publish.failed(&report, &error, &now)).await?;
            ctx.bodies.release(&key, generation);
            let state = State::Failed(error.to_string());
            ctx.list(&namespace, &name, entry(&report, considered, state));
            let action = if error.heals_from_outside() {
                Action::requeue(backoff(ctx.record_failure(&key)))
            } else {
                Action::await_change()
            };
            let outcome = match error {
                // Not attempted again: nothing failed this time.
                Error::RefusedBefore(_) => Outcome::Skipped,
                _ => Outcome::Failed(error.reason()),
            };
            Ok(Reconciled { action, outcome })
        }
        Err(error) => {
            // Say that work is under way and why it is taking longer, then retry with backoff.
            write(
                &ctx,
                &report,
                &key,
                publish.progressing(&report, &error, &now),
            )
            .await?;
            Err(error)
        }
    }
}

/// While this replica may not write (the big red button, the button not yet read, another
/// replica leading), it still reads the body of a report waiting for its render, and keeps the
/// reading for its generation: it writes nothing, and the release, or a takeover, then has only
/// to render and write. Only a body the watch brought and still holds is read: nothing is asked
/// of the API server meanwhile.
pub fn read_ahead(report: &ConferenceReport, ctx: &Context) {
    if report.spec.suspend == Some(true) || !validate_report(&report.spec).is_empty() {
        return;
    }
    let key = super::key(KIND, report);
    let Some(body) = ctx.bodies.get(&key, report.meta().generation) else {
        return;
    };
    ctx.readings.reading(&key, report, |report| {
        let mut spec = report.spec.clone();
        spec.body = body.map(|b| b.to_string());
        BodyReading::of(&spec)
    });
}

/// The report with its body: the one held since the watch brought this generation, or else
/// the report as the API server has it now (None if it is gone).
async fn whole(
    ctx: &Context,
    cached: Arc<ConferenceReport>,
    key: &str,
) -> Result<Option<Arc<ConferenceReport>>, Error> {
    if let Some(body) = ctx.bodies.get(key, cached.meta().generation) {
        let mut report = (*cached).clone();
        report.spec.body = body.map(|b| b.to_string());
        return Ok(Some(Arc::new(report)));
    }
    let namespace = cached.namespace().unwrap_or_default();
    let api: Api<ConferenceReport> = Api::namespaced(ctx.client.clone(), &namespace);
    let read = api.get_opt(&cached.name_any()).await.map_err(Error::Kube)?;
    Ok(read.map(|mut report| {
        report.meta_mut().managed_fields = None;
        Arc::new(report)
    }))
}

pub fn error_policy(report: Arc<ConferenceReport>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &report, error, &ctx)
}

/// The report's status, if it differs, and then what its change of Ready announces.
async fn write(
    ctx: &Context,
    report: &ConferenceReport,
    key: &str,
    status: ConferenceReportStatus,
) -> Result<(), Error> {
    let existing = report
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let say = conditions::announce(existing, &status.conditions, &WARNED, &RECOVERED_FROM);
    let ready = conditions::find(&status.conditions, READY).map(|c| c.reason.clone());
    write_status(
        ctx,
        report,
        key,
        report.status.as_ref(),
        &status,
        ready.as_deref(),
        say,
    )
    .await
}

fn entry(report: &ConferenceReport, considered: Considered, state: State) -> Entry {
    Entry {
        uid: report.uid().unwrap_or_default(),
        generation: report.meta().generation,
        considered: considered.into_iter().collect(),
        state,
    }
}
