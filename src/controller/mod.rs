//! The two controllers, wired together: one watch per kind fills a cache and only then hands
//! each event to the triggers (`watches::fan_out`), so a reconcile reads caches at least as new
//! as the event that caused it: when an answer is stale, a newer event is already on its way
//! and will trigger another reconcile.
//!
//! Each reconcile reads (the caches), decides (`crate::decide`, pure) and acts (`publish`,
//! `writes`); every write first asks the gate (`crate::gate`): only the leader writes, and
//! nobody writes while the big red button is pressed.

mod admission;
mod applied;
mod bodies;
mod cached_summary;
mod context;
mod event_series;
pub mod events;
mod housekeeping;
mod index;
mod listing;
mod memory;
mod outcome;
mod publish;
mod readings;
mod recommendation;
mod report;
pub mod states;
mod triggers;
mod watches;
mod writes;
mod written;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt as _, future, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Action;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::{self, watcher as watch};
use kube::{Api, Client, Resource};
use tracing::{info, warn};

use crate::api::names::{FIELD_MANAGER, LEASE_NAME, SELECTOR};
use crate::api::{ConferenceReport, TalkRecommendation};
use crate::error::{Error, StartupError};
use crate::gate::{self, Gate};
use crate::http::{self, HttpState};
use crate::metrics::Metrics;
use crate::watch_health::{self, WatchHealth};
use admission::{admitted, all_on, ended, refs};
use cached_summary::{CachedSummary, reports_of_summary};
use context::{Context, Outcome, Reconciled, key};
use listing::Listings;
use memory::{Refusals, Warnings};
use outcome::{gated_and_counted, retry_after};
use triggers::{Deletions, changes, generation, generation_and_annotations, touched};
use watches::{FannedOut, fan_out, fan_out_of};
pub use writes::apply_body;
use writes::write_status;
use written::{Written, arrivals};

/// How the operator runs (from the command line).
pub struct Settings {
    pub namespace: Option<String>,
    pub operator_namespace: String,
    pub http_addr: SocketAddr,
    pub leader_election: bool,
    pub identity: String,
    pub lease_duration: Duration,
    /// Reconciles at once, per controller: bounded, so a burst never floods the API server.
    pub concurrency: u16,
    /// How long a watch may fail before /healthz does.
    pub unhealthy_after: Duration,
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

/// Every report is looked at again this often, as a safety net; a converged one writes nothing
/// then. One timer for all of them, rather than an hourly requeue each, which kube-runtime's
/// scheduler would hold an entry for per report.
const RESYNC: Duration = Duration::from_secs(3600);

/// A tick every `period`, the first one `period` from now.
fn every(period: Duration) -> impl futures::Stream<Item = ()> + Send + Sync + 'static {
    futures::stream::unfold((), move |()| async move {
        tokio::time::sleep(period).await;
        Some(((), ()))
    })
}

async fn reconcile_report(
    report: Arc<ConferenceReport>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    if !ctx.gate.may_write() {
        report::read_ahead(&report, &ctx);
    }
    gated_and_counted(
        &ctx,
        "ConferenceReport",
        report::reconcile(report.clone(), ctx.clone()),
    )
    .await
}

async fn reconcile_recommendation(
    rec: Arc<TalkRecommendation>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    gated_and_counted(
        &ctx,
        "TalkRecommendation",
        recommendation::reconcile(rec.clone(), ctx.clone()),
    )
    .await
}

/// Runs the operator until SIGTERM or Ctrl-C: on either, in-flight reconciles finish, the Lease
/// is released so another replica takes over at once, and the process exits.
pub async fn run(client: Client, settings: Settings) -> Result<(), StartupError> {
    let ns = settings.namespace.as_deref();
    let metrics = Arc::new(Metrics::default());
    let gate = Arc::new(Gate::new(metrics.clone()));
    let health = Arc::new(WatchHealth::new(settings.unhealthy_after));
    let server = http::bind(
        settings.http_addr,
        HttpState {
            metrics: metrics.clone(),
            health: health.clone(),
        },
    )
    .await
    .map_err(|e| StartupError::Http(settings.http_addr, e))?;
    tokio::spawn(async move {
        if let Err(e) = server.await {
            warn!(error = %e, "the HTTP server stopped");
        }
    });
    tokio::spawn(gate::follow_pause_button(
        client.clone(),
        settings.operator_namespace.clone(),
        gate.clone(),
    ));

    let leadership = if settings.leader_election {
        Some(gate::Leadership::start(
            client.clone(),
            settings.operator_namespace.clone(),
            LEASE_NAME,
            settings.identity.clone(),
            settings.lease_duration.as_secs().max(2),
            gate.clone(),
        ))
    } else {
        gate.set_leader(true);
        None
    };

    let reports: Api<ConferenceReport> = api(&client, ns);
    let recommendations: Api<TalkRecommendation> = api(&client, ns);
    // Metadata only: all the operator reads back of a summary (see `cached_summary`).
    let config_maps: Api<PartialObjectMeta<ConfigMap>> = api(&client, ns);
    let reporter = Reporter {
        controller: FIELD_MANAGER.to_string(),
        instance: Some(settings.identity.clone()),
    };
    let watch_health = (health.clone(), metrics.clone());
    let bodies: Arc<bodies::Bodies> = Arc::default();
    let written: Arc<Written> = Arc::default();
    let deletions = housekeeping::Deletions::default();
    // One watch per kind. Each fills its cache, then hands the event to the triggers: a
    // controller's own objects pass only on a new generation (a report's also on annotation
    // changes, for requested-at), so its own status writes do not come back as reconciles; the
    // other kind's pass on creation, spec change and deletion.
    let FannedOut {
        store: report_store,
        synced: reports_synced,
        events: [report_events, report_events_for_recs],
        driver: report_watch,
    } = fan_out(
        reports,
        watch_health.clone(),
        watcher::Config::default().any_semantic(),
        {
            // A report is cached without its body, held apart until it is rendered.
            let bodies = bodies.clone();
            move |report: &mut ConferenceReport| {
                bodies.take(key("ConferenceReport", report), report)
            }
        },
        deletions.counting(arrivals(&written)),
    );
    let rec_index = index::RecommendationIndex::default();
    let FannedOut {
        store: rec_store,
        synced: recs_synced,
        events: [rec_events, rec_events_for_reports],
        driver: rec_watch,
    } = fan_out(
        recommendations,
        watch_health.clone(),
        watcher::Config::default().any_semantic(),
        |_| {},
        deletions.counting({
            let rec_index = rec_index.clone();
            let mut arrived = arrivals(&written);
            move |event, cache| {
                rec_index.observe(event, cache);
                arrived(event, cache);
            }
        }),
    );
    // Only the operator's own ConfigMaps: never a cache of every ConfigMap in the cluster.
    let FannedOut {
        store: cm_store,
        synced: cms_synced,
        events: [cm_events],
        driver: cm_watch,
    } = fan_out_of(
        watch_health::retried(watch(
            config_maps,
            watcher::Config::default().labels(SELECTOR).any_semantic(),
        ))
        .map_ok(cached_summary::cached_event),
        watch_health,
        |_| {},
        |_, _| {},
    );
    tokio::spawn(report_watch);
    tokio::spawn(rec_watch);
    tokio::spawn(cm_watch);
    let report_trigger = changes(report_events, generation_and_annotations, Deletions::Drop);
    let rec_trigger = changes(rec_events, generation, Deletions::Drop);

    let (relisted, relisted_events) = futures::channel::mpsc::unbounded();
    let context = Arc::new(Context {
        recorder: events::Recorder::new(&client, &reporter),
        client,
        failures: Mutex::default(),
        refusals: Refusals::default(),
        warnings: Warnings::default(),
        written: written.clone(),
        bodies,
        readings: readings::Readings::default(),
        listings: Listings::default(),
        relisted,
        reports: report_store.clone(),
        recommendations: rec_store.clone(),
        recommendations_by_report: rec_index.clone(),
        config_maps: cm_store.clone(),
        synced: [reports_synced, recs_synced, cms_synced],
        gate: gate.clone(),
        metrics: metrics.clone(),
    });

    // Hand edits and deletions of a summary come back to its report; its own applies do not.
    let (summary_reports, summary_cache) = (report_store.clone(), cm_store.clone());
    let summary_events = touched(cm_events).filter(move |cm| {
        let echo = cm
            .as_ref()
            .is_ok_and(|cm| written.summary_echo(&summary_cache, cm));
        future::ready(!echo)
    });
    // Every trigger goes through the operator's admission queue (`admission`), which keeps
    // kube-runtime's scheduler to a few objects at a time.
    let waiting = |kind: &'static str| {
        let metrics = metrics.clone();
        move |requests| metrics.set_waiting(kind, requests)
    };
    let summary_reports_of = move |cm: Result<CachedSummary, _>| {
        stream::iter(cm.map_or_else(
            |_| Vec::new(),
            |cm| reports_of_summary(&cm, &summary_reports),
        ))
    };
    let report_requests = stream::select_all([
        refs(report_trigger).boxed(),
        summary_events.flat_map(summary_reports_of).boxed(),
        changes(rec_events_for_reports, generation, Deletions::Pass)
            .filter_map(|rec| {
                future::ready(rec.ok().map(|rec| {
                    let namespace = rec.meta().namespace.clone().unwrap_or_default();
                    ObjectRef::new(&rec.spec.report_ref.name).within(&namespace)
                }))
            })
            .boxed(),
        all_on(gate.reopened(), report_store.clone()).boxed(),
        all_on(every(RESYNC), report_store.clone()).boxed(),
    ]);
    let (report_ends, report_ended) = futures::channel::mpsc::unbounded();
    let report_controller = admitted(
        report_store.clone(),
        report_requests,
        report_ended,
        waiting("ConferenceReport"),
        settings.concurrency,
    );
    // A report's arrival, spec change or deletion concerns the recommendations that name it;
    // so does what its reconcile decided about them.
    let (recs_by_report, rec_cache) = (rec_index.clone(), rec_store.clone());
    let recs_of_report = move |report: Result<ConferenceReport, _>| {
        let recs = report.map_or_else(
            |_| Vec::new(),
            |report| {
                let namespace = report.meta().namespace.clone().unwrap_or_default();
                let name = report.meta().name.clone().unwrap_or_default();
                recs_by_report
                    .recommendations(&rec_cache, &namespace, &name)
                    .into_iter()
                    .map(|rec| ObjectRef::from_obj(&*rec))
                    .collect::<Vec<_>>()
            },
        );
        stream::iter(recs)
    };
    let rec_requests = stream::select_all([
        refs(rec_trigger).boxed(),
        changes(report_events_for_recs, generation, Deletions::Pass)
            .flat_map(recs_of_report)
            .boxed(),
        relisted_events.boxed(),
        all_on(gate.reopened(), rec_store.clone()).boxed(),
    ]);
    let (rec_ends, rec_ended) = futures::channel::mpsc::unbounded();
    let rec_controller = admitted(
        rec_store.clone(),
        rec_requests,
        rec_ended,
        waiting("TalkRecommendation"),
        settings.concurrency,
    );

    tokio::spawn(housekeeping::run(context.clone(), health, deletions));

    info!(namespace = ns.unwrap_or("<all>"), identity = %settings.identity, "tripreport-operator started");
    future::join(
        report_controller
            .shutdown_on_signal()
            .run(reconcile_report, report::error_policy, context.clone())
            .for_each(move |result| {
                if let Some(r) = ended(&result) {
                    let _ = report_ends.unbounded_send(r);
                }
                future::ready(())
            }),
        rec_controller
            .shutdown_on_signal()
            .run(
                reconcile_recommendation,
                recommendation::error_policy,
                context,
            )
            .for_each(move |result| {
                if let Some(r) = ended(&result) {
                    let _ = rec_ends.unbounded_send(r);
                }
                future::ready(())
            }),
    )
    .await;

    if let Some(leadership) = leadership {
        leadership.release().await;
    }
    info!("tripreport-operator stopped");
    Ok(())
}
