//! Reconciling a TalkRecommendation: read its report and the report's last decision about it
//! (from the caches and `listing`), decide its status (`decide::recommendation`), write it if
//! it differs, then say what went wrong.

use std::sync::Arc;

use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use tracing::{debug, instrument};

use super::{Context, Reconciled, retry_after, write_status};
use crate::api::{ConferenceReport, TalkRecommendation};
use crate::decide::conditions::{self, READY};
use crate::decide::recommendation::{Decision, decide};
use crate::error::Error;

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

    // Read. From the cache: a report's arrival or deletion reaches the cache before it triggers
    // this reconcile, so a stale answer here is always followed by a reconcile with a fresh one.
    let report_name = &rec.spec.report_ref.name;
    let report = ctx
        .reports
        .get(&ObjectRef::<ConferenceReport>::new(report_name).within(&namespace));
    let verdict = report.as_ref().map(|report| {
        ctx.listings.verdict(
            &namespace,
            report_name,
            &report.uid().unwrap_or_default(),
            report.meta().generation,
            &rec.name_any(),
            rec.meta().generation,
        )
    });

    // Decide.
    let inputs = report.as_deref().zip(verdict);
    let (status, say) = match decide(&rec, &namespace, inputs, &conditions::now()) {
        Decision::Status { status, say } => (status, say),
        Decision::Wait => {
            // When the report's reconcile takes this recommendation in, it hands it a new
            // reconcile (`Context::list`).
            debug!(report = %report_name, "waiting for the report's reconcile");
            return Ok(Reconciled::done(Action::await_change()));
        }
    };

    // Act.
    let key = super::key(KIND, &*rec);
    let ready = conditions::find(&status.conditions, READY).map(|c| c.reason.clone());
    write_status(
        &ctx,
        &*rec,
        &key,
        rec.status.as_ref(),
        &status,
        ready.as_deref(),
        say,
    )
    .await?;
    ctx.record_success(&key);
    Ok(Reconciled::done(Action::await_change()))
}

pub fn error_policy(rec: Arc<TalkRecommendation>, error: &Error, ctx: Arc<Context>) -> Action {
    retry_after(KIND, &rec, error, &ctx)
}
