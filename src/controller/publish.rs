//! Writing a report's summary ConfigMap: only when what stands differs from the rendering, only
//! where the name is the operator's own, and never twice over the same inputs once refused for
//! good.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::PatchParams;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};
use tracing::info;

use super::Context;
use super::cached_summary::{CachedSummary, content_of};
use super::memory::fingerprint;
use crate::api::ConferenceReport;
use crate::api::names::FIELD_MANAGER;
use crate::error::Error;
use crate::render::Rendered;
use crate::summary;

/// The kind of write, for the memo of refusals.
const WRITE: &str = "summary";

/// Applies `desired` (the rendering `rendered` of `report`) unless the summary already holds
/// it. `requested_at` is the report's requested-at annotation: a new value makes a new attempt
/// at a write refused before.
pub async fn publish(
    ctx: &Context,
    report: &ConferenceReport,
    report_key: &str,
    desired: &ConfigMap,
    rendered: &Rendered,
    requested_at: Option<&str>,
) -> Result<(), Error> {
    let namespace = desired.namespace().unwrap_or_default();
    let cm_name = desired.name_any();
    let summary_ref = ObjectRef::<CachedSummary>::new(&cm_name).within(&namespace);
    let existing = ctx.config_maps.get(&summary_ref);
    if existing.as_ref().is_some_and(|cm| cm.up_to_date(desired)) {
        ctx.refusals.accepted(report_key, WRITE);
        return Ok(());
    }
    let seen = existing
        .as_ref()
        .and_then(|cm| cm.resource_version())
        .unwrap_or_default();
    let summary_key = super::key("ConfigMap", desired);
    let digest = fingerprint(&[rendered.digest.as_bytes()]);
    if ctx.written.already(&summary_key, &seen, &digest) {
        return Ok(());
    }
    let body = super::apply_body(desired)?;
    let inputs = fingerprint(&[
        body.get().as_bytes(),
        requested_at.unwrap_or_default().as_bytes(),
    ]);
    if let Some(message) = ctx.refusals.refused_before(report_key, WRITE, &inputs) {
        return Err(Error::RefusedBefore(message));
    }
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
    ctx.writable()?;
    // Its echo can come through the watch before its answer: then only its content tells it.
    ctx.written.sending(
        summary_key.clone(),
        report_key.to_string(),
        seen.clone(),
        digest,
        content_of(desired),
    );
    let produced = match write(ctx, &api, report, desired, &body, existing.is_none()).await {
        Ok(produced) => produced,
        Err(error) => {
            ctx.written.failed(&summary_key);
            if error.is_permanent() && !error.heals_from_outside() {
                ctx.refusals
                    .refused(report_key, WRITE, inputs, error.to_string());
            }
            return Err(error);
        }
    };
    ctx.refusals.accepted(report_key, WRITE);
    let cache_moved = || {
        ctx.config_maps
            .get(&summary_ref)
            .and_then(|cm| cm.resource_version())
            .unwrap_or_default()
            != seen
    };
    ctx.written.wrote(
        summary_key,
        report_key.to_string(),
        seen.clone(),
        digest,
        produced,
        cache_moved,
    );
    ctx.metrics.wrote("configmaps");
    let what = match &existing {
        None => "published",
        Some(cm) if cm.annotated(&rendered.digest) => "restored",
        Some(_) => "updated",
    };
    info!(config_map = %cm_name, digest = %rendered.digest, bytes = rendered.size, "summary {what}");
    // Said once per write: the write is not repeated, so neither is this Event.
    ctx.event(
        report,
        EventType::Normal,
        "SummaryPublished",
        format!(
            "Summary {what} in ConfigMap {cm_name} ({} bytes, {})",
            rendered.size, rendered.digest
        ),
    )
    .await;
    Ok(())
}

/// No object ever has this resourceVersion: etcd's first write is revision 2. As a precondition
/// of an apply, it makes the apply a create that fails with 409 if anything stands under the
/// name (the API server checks a resourceVersion only against an existing object).
const ABSENT: &str = "1";

/// Applies `body`. With `first` (the cache holds no summary under this name), the apply only
/// creates: the cache holds only ConfigMaps with the operator's label, so one of someone else's
/// may stand under this name, and is never written or adopted. Only then is the name looked
/// up: one of ours whose label was removed by hand is ours still, and gets it back. Gives the
/// summary's resourceVersion after the write.
async fn write(
    ctx: &Context,
    api: &Api<ConfigMap>,
    report: &ConferenceReport,
    desired: &ConfigMap,
    body: &serde_json::value::RawValue,
    first: bool,
) -> Result<String, Error> {
    let name = desired.name_any();
    let namespace = desired.namespace().unwrap_or_default();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    if first {
        let mut create = desired.clone();
        create.metadata.resource_version = Some(ABSENT.into());
        let conflict = match apply(
            ctx,
            &namespace,
            &name,
            &params,
            &super::apply_body(&create)?,
        )
        .await
        {
            Err(kube::Error::Api(status)) if status.code == 409 => status,
            other => return other.map_err(Error::Kube),
        };
        match api.get_metadata_opt(&name).await? {
            Some(other)
                if summary::is_ours(
                    &other.metadata,
                    report.uid().as_deref().unwrap_or_default(),
                ) => {}
            Some(_) => return Err(Error::SummaryNameTaken { name }),
            // Deleted since: the next attempt creates it.
            None => return Err(Error::Kube(kube::Error::Api(conflict))),
        }
        ctx.writable()?;
    }
    Ok(apply(ctx, &namespace, &name, &params, body).await?)
}

async fn apply(
    ctx: &Context,
    namespace: &str,
    name: &str,
    params: &PatchParams,
    body: &serde_json::value::RawValue,
) -> Result<String, kube::Error> {
    super::applied::apply::<ConfigMap>(&ctx.client, namespace, name, None, params, body).await
}
