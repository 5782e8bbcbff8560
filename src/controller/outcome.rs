//! How a reconcile ends: counted in the metrics (a failure the status reports is still a
//! failure), and what follows a failure (`Error::after_failure`): a Warning once per problem and
//! generation, another attempt on the per-object backoff, or a wait for a change.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::Resource;
use kube::runtime::controller::Action;
use tracing::warn;

use super::context::{Context, Outcome, Reconciled, key};
use crate::error::{Error, backoff};

/// Measures a reconcile, and skips it while the gate is closed: the gate's reopening triggers
/// a reconcile of everything, so what is skipped now is not lost.
pub(super) async fn gated_and_counted(
    ctx: &Context,
    kind: &'static str,
    reconcile: impl Future<Output = Result<Reconciled, Error>>,
) -> Result<Action, Error> {
    if !ctx.gate.may_write() {
        ctx.metrics.reconciled(kind, "skipped", Duration::ZERO);
        return Ok(Action::await_change());
    }
    let start = Instant::now();
    let result = reconcile.await;
    let label = match &result {
        Ok(Reconciled {
            outcome: Outcome::Success,
            ..
        }) => "success",
        Ok(Reconciled {
            outcome: Outcome::Skipped,
            ..
        })
        | Err(Error::Halted | Error::RefusedBefore(_)) => "skipped",
        Ok(Reconciled {
            outcome: Outcome::Failed(reason),
            ..
        }) => {
            ctx.metrics.failed(kind, reason);
            "error"
        }
        Err(e) => {
            ctx.metrics.failed(kind, e.reason());
            "error"
        }
    };
    ctx.metrics.reconciled(kind, label, start.elapsed());
    result.map(|r| r.action)
}

/// Shared by both controllers' error policies: back off per object for what may pass (transient
/// errors, and a missing permission, which heals from outside); wait for a change to the object
/// for what would fail the same way again. One Warning per distinct problem per generation.
pub(super) fn retry_after<K: Resource<DynamicType = ()> + Send + Sync + 'static>(
    kind: &str,
    object: &Arc<K>,
    error: &Error,
    context: &Arc<Context>,
) -> Action {
    let after = error.after_failure();
    if !after.warn && !after.retry {
        return Action::await_change();
    }
    let key = key(kind, &**object);
    let retry_in = after.retry.then(|| backoff(context.record_failure(&key)));
    warn!(
        namespace = object.meta().namespace.as_deref().unwrap_or_default(),
        object = object.meta().name.as_deref().unwrap_or_default(),
        kind,
        reason = error.reason(),
        error = %error,
        retry_in = ?retry_in,
        "reconcile failed"
    );
    if after.warn {
        // The API server refused the status itself, so no condition can say it: an Event and
        // the log do.
        let (object, context, note) = (
            object.clone(),
            context.clone(),
            format!("The status could not be written: {error}"),
        );
        tokio::spawn(async move {
            context.warn(&*object, &key, "ReconcileFailed", note).await;
        });
    }
    retry_in.map_or_else(Action::await_change, Action::requeue)
}
