//! The two controllers and what they share. One watch per kind fills a cache and only then
//! hands each event to the triggers (`fan_out`), so a reconcile reads caches at least as new as
//! the event that caused it: when an answer is stale, a newer event is already on its way and
//! will trigger another reconcile.
//!
//! Every write first asks the gate (`crate::controls`): only the leader writes, and nobody
//! writes while the big red button is pressed.

mod recommendation;
mod report;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, future};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::utils::Predicate as _;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{Controller, WatchStreamExt, predicates};
use kube::{Api, Client, Resource};
use tracing::{info, warn};

use crate::api::{ConferenceReport, TalkRecommendation};
use crate::controls::{self, Gate};
use crate::error::{Error, backoff};
use crate::http::{self, HttpState};
use crate::metrics::Metrics;
use crate::summary;

/// The field manager of every write: one, so server-side apply knows what the operator owns.
pub const FIELD_MANAGER: &str = "tripreport-operator";
/// The leader-election Lease, in the operator's namespace.
pub const LEASE_NAME: &str = "tripreport-operator";

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
}

pub struct Context {
    pub client: Client,
    /// Caches, each filled by its watch before that watch's event triggers any reconcile, so a
    /// reconcile never sees a cache older than the event that caused it (see `fan_out`).
    pub reports: Store<ConferenceReport>,
    pub recommendations: Store<TalkRecommendation>,
    pub config_maps: Store<ConfigMap>,
    /// Events go to a queue that `send_events` drains: they never delay a reconcile's status.
    events: tokio::sync::mpsc::Sender<(Event, k8s_openapi::api::core::v1::ObjectReference)>,
    failures: Mutex<HashMap<String, u32>>,
    /// Per object: the resourceVersion it had when the operator last wrote its status, and what
    /// it wrote (see `apply_status`).
    written: Mutex<HashMap<String, (String, [u8; 32])>>,
    /// resourceVersions of the summaries the operator just applied: their watch events are
    /// its own writes coming back, not a change to react to.
    echoes: Arc<Mutex<std::collections::HashSet<String>>>,
    gate: Arc<Gate>,
    metrics: Arc<Metrics>,
}

impl Context {
    /// Until every cache holds its first full list, an absent object may only be not yet seen.
    async fn caches_synced(&self) {
        synced(&self.reports).await;
        synced(&self.recommendations).await;
        synced(&self.config_maps).await;
    }

    fn expect_echo(&self, applied: &ConfigMap) {
        if let (Some(version), Ok(mut echoes)) = (
            applied.metadata.resource_version.clone(),
            self.echoes.lock(),
        ) {
            echoes.insert(version);
        }
    }

    /// Checked right before every write, so the button stops writes mid-reconcile too.
    fn writable(&self) -> Result<(), Error> {
        if self.gate.may_write() {
            Ok(())
        } else {
            Err(Error::Halted)
        }
    }

    /// Queues an Event about `object`. Events are told, not awaited: the status conditions are
    /// the source of truth, and an Event must not stand between a reconcile and its status write.
    fn publish<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        if self.writable().is_err() {
            return;
        }
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        if self
            .events
            .try_send((event, object.object_ref(&())))
            .is_err()
        {
            // Full only when the API server has refused or stalled thousands of Events: the
            // same facts are in the conditions, and the metric shows what was dropped.
            self.metrics.failed("Event", "QueueFull");
            warn!(reason, "the Event queue is full; an Event was dropped");
        }
    }

    /// Drops what is remembered of objects that are gone, so the memory stays proportional to
    /// the objects that exist.
    fn forget_deleted(&self) {
        let exists = |key: &str| {
            let mut parts = key.splitn(3, '/');
            let (Some(kind), Some(namespace), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            match kind {
                "ConferenceReport" => self
                    .reports
                    .get(&ObjectRef::new(name).within(namespace))
                    .is_some(),
                "TalkRecommendation" => self
                    .recommendations
                    .get(&ObjectRef::new(name).within(namespace))
                    .is_some(),
                _ => false,
            }
        };
        if let Ok(mut written) = self.written.lock() {
            written.retain(|key, _| exists(key));
        }
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|key, _| exists(key));
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

/// Waits until `store` holds a full list. kube-runtime's readiness signal wakes only the last
/// of several concurrent waiters (its controller waits too), so ask again every 100 ms.
async fn synced<K>(store: &kube::runtime::reflector::Store<K>) -> bool
where
    K: kube::runtime::reflector::Lookup + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    loop {
        match tokio::time::timeout(Duration::from_millis(100), store.wait_until_ready()).await {
            Ok(result) => return result.is_ok(),
            Err(_) => continue,
        }
    }
}

type Events<K> = futures::channel::mpsc::UnboundedReceiver<watcher::Event<K>>;

/// One watch of `api`, reflected into a cache, whose events are then handed to `N` consumers, in
/// that order: whatever an event triggers reads a cache at least as new as the event. (kube-
/// runtime's shared streams give the same order but leave deletions out.) The returned future
/// drives the watch.
fn fan_out<K, const N: usize>(
    api: Api<K>,
    config: watcher::Config,
    shrink: fn(&mut K),
) -> (
    Store<K>,
    [Events<K>; N],
    impl Future<Output = ()> + Send + 'static,
)
where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let mut senders = Vec::with_capacity(N);
    let receivers: [Events<K>; N] = std::array::from_fn(|_| {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        senders.push(sender);
        receiver
    });
    let kind = K::kind(&()).to_string();
    let driver = watcher(api, config)
        .default_backoff()
        // Who wrote which field is the API server's business, and a large share of each object.
        .modify(move |object: &mut K| {
            object.meta_mut().managed_fields = None;
            shrink(object);
        })
        .reflect(writer)
        .for_each(move |event| {
            match event {
                Ok(event) => {
                    for sender in &senders {
                        let _ = sender.unbounded_send(event.clone());
                    }
                }
                // The watch retries with backoff by itself; say so once per failure.
                Err(e) => warn!(kind, error = %e, "watch failed; retrying"),
            }
            future::ready(())
        });
    (store, receivers, driver)
}

/// The created or changed objects of a fanned-out watch, as a controller trigger.
fn applied<K: Send + 'static>(
    events: Events<K>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static {
    events.flat_map(|event| {
        let objects = match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => vec![Ok(o)],
            _ => Vec::new(),
        };
        futures::stream::iter(objects)
    })
}

/// Created, changed or deleted objects of a fanned-out watch.
fn touched<K: Send + 'static>(
    events: Events<K>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static {
    events.flat_map(|event| {
        let objects = match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) | watcher::Event::Delete(o) => {
                vec![Ok(o)]
            }
            _ => Vec::new(),
        };
        futures::stream::iter(objects)
    })
}

/// The objects whose spec changed (a new generation), or that were created or deleted: what can
/// change another object's reconcile. Status-only updates are dropped.
fn spec_changes<K>(
    events: Events<K>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: Resource + Send + 'static,
{
    let mut generations: HashMap<String, Option<i64>> = HashMap::new();
    events.flat_map(move |event| {
        let changed: Vec<Result<K, watcher::Error>> = match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                let uid = o.meta().uid.clone().unwrap_or_default();
                let generation = o.meta().generation;
                if generations.insert(uid, generation) == Some(generation) {
                    Vec::new()
                } else {
                    vec![Ok(o)]
                }
            }
            watcher::Event::Delete(o) => {
                generations.remove(o.meta().uid.as_deref().unwrap_or_default());
                vec![Ok(o)]
            }
            _ => Vec::new(),
        };
        futures::stream::iter(changed)
    })
}

fn controller_config(concurrency: u16) -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(concurrency)
}

/// Measures a reconcile, and skips it while the gate is closed: the gate's reopening triggers
/// a reconcile of everything, so what is skipped now is not lost.
async fn timed(
    ctx: &Context,
    kind: &'static str,
    reconcile: impl Future<Output = Result<Action, Error>>,
) -> Result<Action, Error> {
    if !ctx.gate.may_write() {
        ctx.metrics.reconciled(kind, "skipped", Duration::ZERO);
        return Ok(Action::await_change());
    }
    let start = Instant::now();
    let result = reconcile.await;
    let label = match &result {
        Ok(_) => "success",
        Err(Error::Halted) => "skipped",
        Err(e) => {
            ctx.metrics.failed(kind, e.reason());
            "error"
        }
    };
    ctx.metrics.reconciled(kind, label, start.elapsed());
    result
}

async fn reconcile_report(
    report: Arc<ConferenceReport>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    timed(
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
    timed(
        &ctx,
        "TalkRecommendation",
        recommendation::reconcile(rec.clone(), ctx.clone()),
    )
    .await
}

/// Runs the operator until SIGTERM or Ctrl-C: on either, in-flight reconciles finish, the Lease
/// is released so another replica takes over at once, and the process exits.
pub async fn run(client: Client, settings: Settings) -> Result<(), Error> {
    let ns = settings.namespace.as_deref();
    let metrics = Arc::new(Metrics::default());
    let gate = Arc::new(Gate::new(metrics.clone()));
    let ready = Arc::new(AtomicBool::new(false));
    let server = http::bind(
        settings.http_addr,
        HttpState {
            metrics: metrics.clone(),
            ready: ready.clone(),
        },
    )
    .await
    .map_err(|e| Error::Http(settings.http_addr, e))?;
    tokio::spawn(async move {
        if let Err(e) = server.await {
            warn!(error = %e, "the HTTP server stopped");
        }
    });
    tokio::spawn(controls::follow_pause_button(
        client.clone(),
        settings.operator_namespace.clone(),
        gate.clone(),
    ));

    let leadership = if settings.leader_election {
        Some(controls::Leadership::start(
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
    let config_maps: Api<ConfigMap> = api(&client, ns);
    let reporter = Reporter {
        controller: FIELD_MANAGER.to_string(),
        instance: Some(settings.identity.clone()),
    };
    // One watch per kind. Each fills its cache, then hands the event to the triggers: a
    // controller's own objects pass only on a new generation (a report's also on annotation
    // changes, for requested-at), so its own status writes do not come back as reconciles; the
    // other kind's pass on creation, spec change and deletion.
    let (report_store, [report_events, report_events_for_recs], report_watch) =
        fan_out(reports, watcher::Config::default().any_semantic(), |_| {});
    let (rec_store, [rec_events, rec_events_for_reports], rec_watch) = fan_out(
        recommendations,
        watcher::Config::default().any_semantic(),
        |_| {},
    );
    // Only the operator's own ConfigMaps: never a cache of every ConfigMap in the cluster.
    let (cm_store, [cm_events], cm_watch) = fan_out(
        config_maps,
        watcher::Config::default()
            .labels(summary::SELECTOR)
            .any_semantic(),
        summary::cached_form,
    );
    tokio::spawn(report_watch);
    tokio::spawn(rec_watch);
    tokio::spawn(cm_watch);
    let report_trigger = applied(report_events).predicate_filter(
        (predicates::generation as fn(&ConferenceReport) -> Option<u64>)
            .combine(predicates::annotations),
        Default::default(),
    );
    let rec_trigger =
        applied(rec_events).predicate_filter(predicates::generation, Default::default());

    let echoes: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
    let (events, queued_events) = tokio::sync::mpsc::channel(EVENT_QUEUE);
    tokio::spawn(send_events(
        Recorder::new(client.clone(), reporter),
        queued_events,
        gate.clone(),
        metrics.clone(),
    ));
    let context = Arc::new(Context {
        events,
        client,
        failures: Mutex::default(),
        written: Mutex::default(),
        echoes: echoes.clone(),
        reports: report_store.clone(),
        recommendations: rec_store.clone(),
        config_maps: cm_store,
        gate: gate.clone(),
        metrics: metrics.clone(),
    });

    let report_controller = Controller::for_stream(report_trigger, report_store.clone())
        // Hand edits and deletions of a summary come back to its report; its own applies do not.
        .owns_stream(touched(cm_events).try_filter(move |cm| {
            let echo = cm
                .metadata
                .resource_version
                .as_ref()
                .is_some_and(|v| echoes.lock().is_ok_and(|mut e| e.remove(v)));
            future::ready(!echo)
        }))
        .watches_stream(spec_changes(rec_events_for_reports), |rec| {
            let namespace = rec.meta().namespace.clone().unwrap_or_default();
            Some(ObjectRef::new(&rec.spec.report_ref.name).within(&namespace))
        })
        .reconcile_all_on(gate.reopened())
        .with_config(controller_config(settings.concurrency));
    // A report's arrival, spec change or deletion concerns the recommendations that name it.
    let recs_by_report = rec_store.clone();
    let rec_controller = Controller::for_stream(rec_trigger, rec_store.clone())
        .watches_stream(spec_changes(report_events_for_recs), move |report| {
            let namespace = report.meta().namespace.clone();
            let name = report.meta().name.clone().unwrap_or_default();
            recs_by_report
                .state()
                .into_iter()
                .filter(|rec| rec.meta().namespace == namespace && rec.spec.report_ref.name == name)
                .map(|rec| ObjectRef::from_obj(&*rec))
                .collect::<Vec<_>>()
        })
        .reconcile_all_on(gate.reopened())
        .with_config(controller_config(settings.concurrency));

    let housekeeping = context.clone();
    tokio::spawn(async move {
        // Ready once both caches hold a full list: a follower is then ready to lead at once.
        let synced = synced(&report_store).await && synced(&rec_store).await;
        ready.store(synced, Ordering::Release);
        if synced {
            info!("caches synced; ready");
        }
        loop {
            metrics.set_objects("ConferenceReport", report_store.len());
            metrics.set_objects("TalkRecommendation", rec_store.len());
            housekeeping.forget_deleted();
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });

    info!(namespace = ns.unwrap_or("<all>"), identity = %settings.identity, "tripreport-operator started");
    future::join(
        report_controller
            .shutdown_on_signal()
            .run(reconcile_report, report::error_policy, context.clone())
            .for_each(|_| future::ready(())),
        rec_controller
            .shutdown_on_signal()
            .run(
                reconcile_recommendation,
                recommendation::error_policy,
                context,
            )
            .for_each(|_| future::ready(())),
    )
    .await;

    if let Some(leadership) = leadership {
        leadership.release().await;
    }
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
    let key = format!("{}/{namespace}/{name}", K::kind(&()));
    let version = object.meta().resource_version.clone().unwrap_or_default();
    let essence = status_essence(status);
    // The watch cache can still show the object as it was before our last write; the same
    // status computed again from that old view must not be written twice.
    let already_written = ctx.written.lock().is_ok_and(|w| {
        w.get(&key)
            .is_some_and(|(v, e)| *v == version && *e == essence)
    });
    if already_written {
        return Ok(());
    }
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    ctx.writable()?;
    api.patch_status(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    if let Ok(mut written) = ctx.written.lock() {
        written.insert(key, (version, essence));
    }
    ctx.metrics.wrote(status_resource::<K>());
    info!(ready, "status written");
    Ok(())
}

/// The digest of a status without its transition times, which a stale view recomputes as
/// "now". A digest, not the status: one is kept per object, for every object.
fn status_essence(status: &impl serde::Serialize) -> [u8; 32] {
    use sha2::Digest as _;
    let mut value = serde_json::to_value(status).unwrap_or_default();
    if let Some(conditions) = value.get_mut("conditions").and_then(|c| c.as_array_mut()) {
        for condition in conditions {
            if let Some(fields) = condition.as_object_mut() {
                fields.remove("lastTransitionTime");
            }
        }
    }
    sha2::Sha256::digest(value.to_string().as_bytes()).into()
}

/// Events waiting to be written; past this, new ones are dropped and counted.
const EVENT_QUEUE: usize = 8192;
/// Events written at once: few, so they do not compete with reconciles for the API server.
const EVENT_CONCURRENCY: usize = 2;

/// Writes queued Events, a few at a time, while the gate allows writes.
async fn send_events(
    recorder: Recorder,
    events: tokio::sync::mpsc::Receiver<(Event, k8s_openapi::api::core::v1::ObjectReference)>,
    gate: Arc<Gate>,
    metrics: Arc<Metrics>,
) {
    tokio_stream_from(events)
        .for_each_concurrent(EVENT_CONCURRENCY, |(event, reference)| {
            let (recorder, gate, metrics) = (&recorder, &gate, &metrics);
            async move {
                if !gate.may_write() {
                    return;
                }
                match recorder.publish(&event, &reference).await {
                    Ok(()) => metrics.wrote("events"),
                    Err(e) => {
                        metrics.failed("Event", Error::Kube(e).reason());
                        warn!(reason = %event.reason, "could not publish an Event");
                    }
                }
            }
        })
        .await;
}

/// A receiver as a stream, without another crate for it.
fn tokio_stream_from<T>(
    mut receiver: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

/// The metric label for a kind's status subresource.
fn status_resource<K: Resource<DynamicType = ()>>() -> &'static str {
    if K::kind(&()) == "ConferenceReport" {
        "conferencereports/status"
    } else {
        "talkrecommendations/status"
    }
}

/// Shared by both controllers' error policies: back off per object, for transient errors only.
fn retry_after<K: Resource>(kind: &str, object: &K, error: &Error, context: &Context) -> Action {
    if matches!(error, Error::Halted) {
        // Not a failure: the gate's reopening reconciles everything again.
        return Action::await_change();
    }
    let key = key(kind, object);
    let failures = context.record_failure(&key);
    let delay = backoff(failures);
    warn!(
        namespace = object.meta().namespace.as_deref().unwrap_or_default(),
        object = object.meta().name.as_deref().unwrap_or_default(),
        kind,
        reason = error.reason(),
        error = %error,
        retry_in = ?delay,
        "reconcile failed"
    );
    Action::requeue(delay)
}
