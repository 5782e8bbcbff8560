//! The two controllers and what they share. Each reconcile reads what it decides on (the report's
//! recommendations, its summary, a recommendation's report) from the API server, not from a
//! watch cache another stream fills: a cache can lag behind the event that triggered the
//! reconcile, and a decision made on it could leave a stale summary with nothing to retrigger it.

mod recommendation;
mod report;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, future};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use kube::runtime::Controller;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client, Resource};
use tracing::{info, warn};

use crate::api::{ConferenceReport, TalkRecommendation};
use crate::error::{Error, backoff};
use crate::summary;

/// The field manager of every write: one, so server-side apply knows what the operator owns.
pub const FIELD_MANAGER: &str = "tripreport-operator";

pub struct Context {
    pub client: Client,
    recorder: Recorder,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    async fn publish<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        // An Event that cannot be written must not fail the reconcile: the same fact is in the
        // status conditions, which are the source of truth.
        if let Err(e) = self.recorder.publish(&event, &object.object_ref(&())).await {
            warn!(reason, error = %e, "could not publish an Event");
        }
    }

    fn record_success(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    fn record_failure(&self, key: &str) -> u32 {
        match self.failures.lock() {
            Ok(mut failures) => {
                let n = failures.entry(key.to_string()).or_default();
                *n = n.saturating_add(1);
                *n - 1
            }
            Err(_) => 0,
        }
    }
}

fn key<K: Resource>(kind: &str, object: &K) -> String {
    format!(
        "{kind}/{}/{}",
        object.meta().namespace.as_deref().unwrap_or_default(),
        object.meta().name.as_deref().unwrap_or_default()
    )
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Runs both controllers until SIGTERM or Ctrl-C. `namespace` limits them to one namespace.
pub async fn run(client: Client, namespace: Option<String>) -> Result<(), Error> {
    let ns = namespace.as_deref();
    let reports: Api<ConferenceReport> = api(&client, ns);
    let recommendations: Api<TalkRecommendation> = api(&client, ns);
    let config_maps: Api<ConfigMap> = api(&client, ns);

    let reporter = Reporter {
        controller: FIELD_MANAGER.to_string(),
        instance: std::env::var("POD_NAME").ok(),
    };
    let context = Arc::new(Context {
        recorder: Recorder::new(client.clone(), reporter),
        client,
        failures: Mutex::default(),
    });

    let report_controller =
        Controller::new(reports.clone(), watcher::Config::default().any_semantic())
            // Only the operator's own ConfigMaps: never a cache of every ConfigMap in the cluster.
            .owns(
                config_maps,
                watcher::Config::default()
                    .labels(summary::SELECTOR)
                    .any_semantic(),
            )
            .watches(
                recommendations.clone(),
                watcher::Config::default().any_semantic(),
                |rec| {
                    let namespace = rec.meta().namespace.clone().unwrap_or_default();
                    Some(ObjectRef::new(&rec.spec.report_ref.name).within(&namespace))
                },
            )
            .shutdown_on_signal()
            .run(report::reconcile, report::error_policy, context.clone())
            .for_each(|_| future::ready(()));

    let rec_controller =
        Controller::new(recommendations, watcher::Config::default().any_semantic());
    // A report's arrival, change or deletion concerns the recommendations that reference it.
    let recs_by_report = rec_controller.store();
    let rec_controller = rec_controller
        .watches(
            reports,
            watcher::Config::default().any_semantic(),
            move |report| {
                let namespace = report.meta().namespace.clone();
                let name = report.meta().name.clone().unwrap_or_default();
                recs_by_report
                    .state()
                    .into_iter()
                    .filter(|rec| {
                        rec.meta().namespace == namespace && rec.spec.report_ref.name == name
                    })
                    .map(|rec| ObjectRef::from_obj(&*rec))
                    .collect::<Vec<_>>()
            },
        )
        .shutdown_on_signal()
        .run(
            recommendation::reconcile,
            recommendation::error_policy,
            context,
        )
        .for_each(|_| future::ready(()));

    info!(
        namespace = ns.unwrap_or("<all>"),
        "tripreport-operator started"
    );
    future::join(report_controller, rec_controller).await;
    info!("tripreport-operator stopped");
    Ok(())
}

/// Server-side apply of `status` to the status subresource of `object`, as the one field manager.
async fn apply_status<K>(
    ctx: &Context,
    object: &K,
    status: &impl serde::Serialize,
    ready: Option<&str>,
) -> Result<(), Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    let name = object.meta().name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    info!(ready, "status written");
    Ok(())
}

/// Shared by both controllers' error policies: back off per object, for transient errors only.
fn retry_after<K: Resource>(
    kind: &str,
    object: &K,
    error: &Error,
    context: &Context,
) -> kube::runtime::controller::Action {
    let key = key(kind, object);
    let failures = context.record_failure(&key);
    let delay = backoff(failures);
    warn!(
        namespace = object.meta().namespace.as_deref().unwrap_or_default(),
        name = object.meta().name.as_deref().unwrap_or_default(),
        kind,
        reason = error.reason(),
        error = %error,
        retry_in = ?delay,
        "reconcile failed"
    );
    kube::runtime::controller::Action::requeue(delay)
}
