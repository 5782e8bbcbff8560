//! The two controllers and what they share. One watch per kind fills a cache and only then
//! hands each event to the triggers (`fan_out`), so a reconcile reads caches at least as new as
//! the event that caused it: when an answer is stale, a newer event is already on its way and
//! will trigger another reconcile.
//!
//! Every write first asks the gate (`crate::controls`): only the leader writes, and nobody
//! writes while the big red button is pressed.

mod index;
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
    /// The recommendations naming each report, kept with `recommendations`.
    pub recommendations_by_report: index::RecommendationIndex,
    pub config_maps: Store<ConfigMap>,
    recorder: Recorder,
    reporter: Reporter,
    failures: Mutex<HashMap<String, u32>>,
    /// Per object: the resourceVersion it had when the operator last wrote its status, and what
    /// it wrote (see `apply_status`).
    written: Mutex<HashMap<String, (String, [u8; 32])>>,
    /// resourceVersions of the summaries the operator just applied: their watch events are
    /// its own writes coming back, not a change to react to.
    echoes: Arc<Mutex<std::collections::HashSet<String>>>,
    /// Per summary ("namespace/name"): the resourceVersion the cache showed when the operator
    /// applied it (empty if absent) and the digest applied. Until the summary's next watch event
    /// reaches the cache, a reconcile can see that same old view, and must not apply the same
    /// summary twice; any event about the summary clears the entry (see `run`).
    summaries_applied: Arc<Mutex<HashMap<String, (String, String)>>>,
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

    /// Whether this very summary was already applied over the view `seen` (a resourceVersion,
    /// empty for "absent") the cache still shows.
    fn summary_already_applied(&self, key: &str, seen: &str, digest: &str) -> bool {
        self.summaries_applied
            .lock()
            .is_ok_and(|m| m.get(key).is_some_and(|(v, d)| v == seen && d == digest))
    }

    fn summary_applied(&self, key: String, seen: String, digest: String) {
        if let Ok(mut m) = self.summaries_applied.lock() {
            m.insert(key, (seen, digest));
        }
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

    /// Publishes an Event about `object`. An Event that cannot be written does not fail the
    /// reconcile: the same fact is in the status conditions, which are the source of truth.
    async fn publish<K: Resource<DynamicType = ()>>(
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
            note: Some(event_note(note)),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        let reference = object.object_ref(&());
        let long_name = reference
            .name
            .as_ref()
            .is_some_and(|n| n.len() > MAX_NAME_FOR_RECORDER);
        let result = if long_name {
            publish_long_named(&self.client, &self.reporter, &event, &reference).await
        } else {
            self.recorder.publish(&event, &reference).await
        };
        match result {
            Ok(()) => self.metrics.wrote("events"),
            Err(e) => {
                self.metrics.failed("Event", Error::Kube(e).reason());
                warn!(reason, "could not publish an Event");
            }
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
/// runtime's shared streams give the same order but leave deletions out.) After a watch breaks
/// (a dropped connection, 410 Gone), the relisted objects are handed on once the cache holds the
/// whole new list, with deletions for what disappeared meanwhile. The returned future drives the
/// watch.
fn fan_out<K, const N: usize>(
    api: Api<K>,
    config: watcher::Config,
    shrink: fn(&mut K),
    mut observe: impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static,
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
    let mut listed: Vec<K> = Vec::new();
    let mut before: Vec<Arc<K>> = Vec::new();
    let cache = store.clone();
    let send = |senders: &[futures::channel::mpsc::UnboundedSender<watcher::Event<K>>],
                event: watcher::Event<K>| {
        for sender in senders {
            let _ = sender.unbounded_send(event.clone());
        }
    };
    let driver = watcher(api, config)
        .default_backoff()
        // Who wrote which field is the API server's business, and a large share of each object.
        .modify(move |object: &mut K| {
            object.meta_mut().managed_fields = None;
            shrink(object);
        })
        .reflect(writer)
        .for_each(move |event| {
            // Indexes beside the cache are brought to the cache's view before anyone is told.
            if let Ok(event) = &event {
                observe(event, &cache);
            }
            match event {
                // A (re)list fills the cache only at its end (InitDone): the objects it brings
                // are handed on then, so that what they trigger reads the new list, not the
                // cache as it was before the watch broke.
                // Objects deleted while the watch was broken are not in the new list: they are
                // handed on as deletions, so that nothing that depended on them is left stale.
                Ok(watcher::Event::Init) => {
                    listed.clear();
                    before = cache.state();
                }
                Ok(watcher::Event::InitApply(object)) => listed.push(object),
                Ok(watcher::Event::InitDone) => {
                    let present: std::collections::HashSet<String> =
                        listed.iter().filter_map(|o| o.meta().uid.clone()).collect();
                    for gone in before.drain(..) {
                        if !gone
                            .meta()
                            .uid
                            .as_ref()
                            .is_some_and(|uid| present.contains(uid))
                        {
                            send(&senders, watcher::Event::Delete((*gone).clone()));
                        }
                    }
                    for object in listed.drain(..) {
                        send(&senders, watcher::Event::InitApply(object));
                    }
                    send(&senders, watcher::Event::InitDone);
                }
                Ok(event) => send(&senders, event),
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
    let (report_store, [report_events, report_events_for_recs], report_watch) = fan_out(
        reports,
        watcher::Config::default().any_semantic(),
        |_| {},
        |_, _| {},
    );
    let rec_index = index::RecommendationIndex::default();
    let (rec_store, [rec_events, rec_events_for_reports], rec_watch) = fan_out(
        recommendations,
        watcher::Config::default().any_semantic(),
        |_| {},
        {
            let rec_index = rec_index.clone();
            move |event, cache| rec_index.observe(event, cache)
        },
    );
    // Only the operator's own ConfigMaps: never a cache of every ConfigMap in the cluster.
    let (cm_store, [cm_events], cm_watch) = fan_out(
        config_maps,
        watcher::Config::default()
            .labels(summary::SELECTOR)
            .any_semantic(),
        summary::cached_form,
        |_, _| {},
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
    let summaries_applied: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
    let context = Arc::new(Context {
        recorder: Recorder::new(client.clone(), reporter.clone()),
        reporter,
        client,
        failures: Mutex::default(),
        written: Mutex::default(),
        echoes: echoes.clone(),
        summaries_applied: summaries_applied.clone(),
        reports: report_store.clone(),
        recommendations: rec_store.clone(),
        recommendations_by_report: rec_index.clone(),
        config_maps: cm_store,
        gate: gate.clone(),
        metrics: metrics.clone(),
    });

    let report_controller = Controller::for_stream(report_trigger, report_store.clone())
        // Hand edits and deletions of a summary come back to its report; its own applies do not.
        .owns_stream(touched(cm_events).try_filter(move |cm| {
            // The cache now holds a view newer than any a past apply was based on.
            if let Ok(mut m) = summaries_applied.lock() {
                m.remove(&format!(
                    "{}/{}",
                    cm.metadata.namespace.as_deref().unwrap_or_default(),
                    cm.metadata.name.as_deref().unwrap_or_default()
                ));
            }
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
    let (recs_by_report, rec_cache) = (rec_index.clone(), rec_store.clone());
    let rec_controller = Controller::for_stream(rec_trigger, rec_store.clone())
        .watches_stream(spec_changes(report_events_for_recs), move |report| {
            let namespace = report.meta().namespace.clone().unwrap_or_default();
            let name = report.meta().name.clone().unwrap_or_default();
            recs_by_report
                .recommendations(&rec_cache, &namespace, &name)
                .into_iter()
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

/// The body of a server-side apply. The API server reads it as YAML, which refuses some
/// characters JSON allows raw (DEL, C1 controls, U+FFFE, U+FFFF...): any text a user wrote may
/// hold them, so they are sent escaped (`\uXXXX`), which both read as the same string.
pub fn apply_body(
    value: &impl serde::Serialize,
) -> Result<Box<serde_json::value::RawValue>, Error> {
    let json = serde_json::to_string(value)?;
    let escaped = yaml_safe(&json);
    Ok(serde_json::value::RawValue::from_string(escaped)?)
}

/// JSON text with every character outside YAML's printable set written as a `\u` escape. Such
/// characters can only be inside JSON strings (JSON's own syntax is ASCII), where the escape
/// means the same character.
fn yaml_safe(json: &str) -> String {
    let printable = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if json.chars().all(printable) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if printable(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
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
        &Patch::Apply(apply_body(&patch)?),
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

/// The API server refuses an Event whose note is over 1 KiB; the whole story is in the
/// condition, so a longer note is cut, at a character boundary, and says so.
fn event_note(mut note: String) -> String {
    const MAX: usize = 1024;
    const CUT: &str = " [...]";
    if note.len() > MAX {
        let mut end = MAX - CUT.len();
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push_str(CUT);
    }
    note
}

/// kube-runtime's Recorder names an Event `<object name>.<16 hex digits>`, which passes the
/// 253 characters a name may have when the object's name is longer than this.
const MAX_NAME_FOR_RECORDER: usize = 253 - 17;

/// The Event kube-runtime's Recorder would write, named from a shortened object name, for objects
/// whose names are too long for the Recorder's naming.
async fn publish_long_named(
    client: &Client,
    reporter: &Reporter,
    event: &Event,
    reference: &k8s_openapi::api::core::v1::ObjectReference,
) -> Result<(), kube::Error> {
    use k8s_openapi::api::events::v1::Event as K8sEvent;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
    let now = k8s_openapi::jiff::Timestamp::now();
    let name = reference.name.as_deref().unwrap_or_default();
    let mut prefix = name[..name.len().min(MAX_NAME_FOR_RECORDER)].to_string();
    // A name ends with an alphanumeric character.
    while prefix.ends_with(['.', '-']) {
        prefix.pop();
    }
    let namespace = reference
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let k8s_event = K8sEvent {
        action: Some(event.action.clone()),
        reason: Some(event.reason.clone()),
        event_time: Some(MicroTime(now)),
        regarding: Some(reference.clone()),
        note: event.note.clone(),
        metadata: ObjectMeta {
            namespace: Some(namespace.clone()),
            name: Some(format!("{prefix}.{:x}", now.as_nanosecond())),
            ..Default::default()
        },
        reporting_controller: Some(reporter.controller.clone()),
        reporting_instance: Some(
            reporter
                .instance
                .clone()
                .unwrap_or_else(|| reporter.controller.clone()),
        ),
        type_: Some(
            match event.type_ {
                EventType::Normal => "Normal",
                EventType::Warning => "Warning",
            }
            .to_string(),
        ),
        related: event.secondary.clone(),
        ..Default::default()
    };
    Api::<K8sEvent>::namespaced(client.clone(), &namespace)
        .create(&kube::api::PostParams::default(), &k8s_event)
        .await
        .map(|_| ())
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
fn retry_after<K: Resource<DynamicType = ()> + Send + Sync + 'static>(
    kind: &str,
    object: &Arc<K>,
    error: &Error,
    context: &Arc<Context>,
) -> Action {
    if matches!(error, Error::Halted) {
        // Not a failure: the gate's reopening reconciles everything again.
        return Action::await_change();
    }
    if error.is_permanent() {
        // The same request would fail the same way (the API server refused the status itself,
        // so no condition can say it): never a retry loop. Said in an Event and the log; a
        // change to the object brings a new attempt. A missing permission is retried slowly,
        // since granting it changes no object.
        warn!(
            namespace = object.meta().namespace.as_deref().unwrap_or_default(),
            object = object.meta().name.as_deref().unwrap_or_default(),
            kind,
            reason = error.reason(),
            error = %error,
            "reconcile failed; not retried until the object changes"
        );
        let (object, context, note) = (
            object.clone(),
            context.clone(),
            format!("The status could not be written: {error}"),
        );
        tokio::spawn(async move {
            context
                .publish(&*object, EventType::Warning, "ReconcileFailed", note)
                .await;
        });
        return match error {
            Error::Kube(kube::Error::Api(status)) if status.code == 403 => {
                Action::requeue(Duration::from_secs(300))
            }
            _ => Action::await_change(),
        };
    }
    let key = key(kind, &**object);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_notes_fit_the_api_servers_limit() {
        assert_eq!(event_note("short".into()), "short");
        let long = event_note("é".repeat(1000));
        assert!(
            long.len() <= 1024 && long.ends_with(" [...]"),
            "{}",
            long.len()
        );
        assert_eq!(event_note("a".repeat(1024)).len(), 1024);
    }

    #[test]
    fn apply_bodies_escape_what_yaml_refuses_and_mean_the_same() {
        let value = serde_json::json!({"reviewer": "bob\u{7f}\u{9b}\u{85}\u{fffe}\u{ffff}é🎉\t"});
        let body = apply_body(&value).expect("an apply body");
        let text = body.get();
        assert!(
            text.contains(r"\u007f") && text.contains(r"\u009b") && text.contains(r"\ufffe"),
            "{text}"
        );
        assert!(
            text.chars()
                .all(|c| c.is_ascii() || c == 'é' || c == '🎉' || c == '\u{85}')
        );
        let back: serde_json::Value = serde_json::from_str(text).expect("still JSON");
        assert_eq!(back, value);
        // Nothing to escape: the same text.
        let plain = serde_json::json!({"a": "plain ASCII and ação"});
        assert_eq!(
            apply_body(&plain).expect("a body").get(),
            serde_json::to_string(&plain).expect("JSON")
        );
    }
}
