//! The operator's watches: one per kind, each filling a cache and then handing its events to the
//! controllers' triggers, in that order, so whatever an event triggers reads a cache at least as
//! new as the event. Failures are counted, timed (see `watch_health`) and retried quickly.

use std::sync::Arc;

use futures::{StreamExt, future};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Resource};
use tracing::warn;

use crate::api::names::LAST_APPLIED;
use crate::metrics::Metrics;
use crate::watch_health::{self, WatchHealth};

/// Whether a fanned-out watch's cache, and every index kept beside it, holds a full list. The
/// cache's own readiness comes too early: it is set when the cache takes the list, before the
/// indexes do, and a reconcile woken by it could read an index still empty (a report with 5,000
/// recommendations was once published with none). This one is set once `observe` has taken the
/// list as well. Cheap to clone; any number of tasks may wait.
#[derive(Clone)]
pub struct Synced(tokio::sync::watch::Receiver<bool>);

impl Synced {
    /// Waits until the first full list has been taken; false if the watch is gone for good.
    pub async fn wait(&self) -> bool {
        self.0.clone().wait_for(|synced| *synced).await.is_ok()
    }

    pub fn is_synced(&self) -> bool {
        *self.0.borrow()
    }
}

/// What a watch can follow: a kind the API server lists and watches, cached and handed on.
pub trait Watched:
    Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static
{
}

impl<K> Watched for K where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static
{
}

pub type Events<K> = futures::channel::mpsc::UnboundedReceiver<watcher::Event<K>>;

/// A fanned-out watch: its cache, whether that holds a full list, the events for each consumer,
/// and the future that drives the watch.
pub struct FannedOut<K: Watched, const N: usize> {
    pub store: Store<K>,
    pub synced: Synced,
    pub events: [Events<K>; N],
    pub driver: futures::future::BoxFuture<'static, ()>,
}

/// One watch of `api`, reflected into a cache, whose events are then handed to `N` consumers, in
/// that order: whatever an event triggers reads a cache at least as new as the event. (kube-
/// runtime's shared streams give the same order but leave deletions out.) After a watch breaks
/// (a dropped connection, 410 Gone), the relisted objects are handed on once the cache holds the
/// whole new list, with deletions for what disappeared meanwhile. The returned future drives the
/// watch.
pub fn fan_out<K, const N: usize>(
    api: Api<K>,
    health: (Arc<WatchHealth>, Arc<Metrics>),
    config: watcher::Config,
    shrink: impl FnMut(&mut K) + Send + 'static,
    observe: impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static,
) -> FannedOut<K, N>
where
    K: Watched + serde::de::DeserializeOwned,
{
    let events = watch_health::retried(watcher(api, config));
    fan_out_of(events, health, shrink, observe)
}

/// [`fan_out`] over any stream of watch events: a watch of whole objects, one of metadata only
/// (the summaries'), or a test's.
pub fn fan_out_of<K, const N: usize>(
    events: impl futures::Stream<Item = watcher::Result<watcher::Event<K>>> + Send + 'static,
    health: (Arc<WatchHealth>, Arc<Metrics>),
    mut shrink: impl FnMut(&mut K) + Send + 'static,
    mut observe: impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static,
) -> FannedOut<K, N>
where
    K: Watched,
{
    let (store, writer) = reflector::store();
    let (synced_sender, synced) = tokio::sync::watch::channel(false);
    let mut senders = Vec::with_capacity(N);
    let receivers: [Events<K>; N] = std::array::from_fn(|_| {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        senders.push(sender);
        receiver
    });
    let kind: &'static str = match K::kind(&()).as_ref() {
        "ConferenceReport" => "ConferenceReport",
        "TalkRecommendation" => "TalkRecommendation",
        _ => "ConfigMap",
    };
    let (health, metrics) = health;
    let mut listed: Vec<K> = Vec::new();
    let mut before: Vec<Arc<K>> = Vec::new();
    let cache = store.clone();
    let send = |senders: &[futures::channel::mpsc::UnboundedSender<watcher::Event<K>>],
                event: watcher::Event<K>| {
        for sender in senders {
            let _ = sender.unbounded_send(event.clone());
        }
    };
    let driver = events
        // Who wrote which field is the API server's business, and a large share of each object;
        // kubectl's copy of what it applied is as large as the object itself.
        .modify(move |object: &mut K| {
            let meta = object.meta_mut();
            meta.managed_fields = None;
            if let Some(annotations) = meta.annotations.as_mut() {
                annotations.remove(LAST_APPLIED);
            }
            shrink(object);
        })
        .reflect(writer)
        .for_each(move |event| {
            // Indexes beside the cache are brought to the cache's view before anyone is told.
            match &event {
                Ok(event) => {
                    // Init comes before the list request it starts: only what follows it shows
                    // that the watch works.
                    if !matches!(event, watcher::Event::Init) {
                        health.worked(kind);
                    }
                    observe(event, &cache);
                }
                Err(_) => {
                    health.failed(kind);
                    metrics.watch_failed(kind);
                }
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
                    for gone in std::mem::take(&mut before) {
                        if !gone
                            .meta()
                            .uid
                            .as_ref()
                            .is_some_and(|uid| present.contains(uid))
                        {
                            send(&senders, watcher::Event::Delete((*gone).clone()));
                        }
                    }
                    // Taken, not drained: a drained list keeps its room for good.
                    for object in std::mem::take(&mut listed) {
                        send(&senders, watcher::Event::InitApply(object));
                    }
                    send(&senders, watcher::Event::InitDone);
                    // Only now do the cache and its indexes both hold the list.
                    synced_sender.send_if_modified(|synced| !std::mem::replace(synced, true));
                }
                Ok(event) => send(&senders, event),
                // The watch retries with backoff by itself; say so once per failure.
                Err(e) => warn!(kind, error = %e, "watch failed; retrying"),
            }
            future::ready(())
        });
    FannedOut {
        store,
        synced: Synced(synced),
        events: receivers,
        driver: Box::pin(driver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TalkRecommendation;
    use crate::controller::index::RecommendationIndex;
    use kube::ResourceExt;
    use std::sync::Mutex;
    use std::time::Duration;

    fn rec(name: &str) -> TalkRecommendation {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
            "metadata": {"name": name, "namespace": "team", "uid": name},
            "spec": {"reportRef": {"name": "kubecon"}, "talk": {"title": "A talk"}, "rating": 3,
                     "reason": "Worth it."}
        }))
        .expect("a recommendation")
    }

    /// kubectl's client-side apply (and Argo CD's) leaves a copy of the whole object among its
    /// annotations, a report's body too: the cache keeps neither that copy nor managedFields,
    /// and every other annotation stays.
    #[tokio::test]
    async fn the_cache_keeps_no_copy_of_what_kubectl_applied() {
        let mut applied = rec("a");
        applied.meta_mut().annotations = Some(
            [
                (
                    LAST_APPLIED.to_string(),
                    "{\"spec\": \"the whole object\"}".to_string(),
                ),
                ("team".to_string(), "platform".to_string()),
            ]
            .into(),
        );
        applied.meta_mut().managed_fields = Some(vec![Default::default()]);
        let events = futures::stream::iter([
            Ok(watcher::Event::Init),
            Ok(watcher::Event::InitApply(applied)),
            Ok(watcher::Event::InitDone),
        ]);
        let health = (
            Arc::new(WatchHealth::new(Duration::from_secs(60))),
            Arc::new(Metrics::default()),
        );
        let FannedOut {
            store: cache,
            events: [mut triggers],
            driver,
            ..
        } = fan_out_of::<TalkRecommendation, 1>(events, health, |_| {}, |_, _| {});
        driver.await;
        let cached = cache.state();
        let handed = match triggers.try_recv() {
            Ok(watcher::Event::InitApply(o)) => o,
            other => panic!("expected the listed object, got {other:?}"),
        };
        for object in [&*cached[0], &handed] {
            assert_eq!(
                object.annotations().keys().collect::<Vec<_>>(),
                ["team"],
                "annotations kept"
            );
            assert!(object.meta().managed_fields.is_none());
        }
    }

    /// A reconcile that waits for `Synced` must find the index holding the list: the signal
    /// comes after the index has taken it, never between the cache and the index.
    #[tokio::test]
    async fn synced_only_once_the_index_beside_the_cache_holds_the_list() {
        let list = ["a", "b", "c"].map(|name| Ok(watcher::Event::InitApply(rec(name))));
        let events = futures::stream::iter(
            [Ok(watcher::Event::Init)]
                .into_iter()
                .chain(list)
                .chain([Ok(watcher::Event::InitDone)]),
        );
        let index = RecommendationIndex::default();
        // What a reconcile woken by `Synced` would have read from the index, at each moment
        // `Synced` said yes.
        let probe: Arc<Mutex<Option<Synced>>> = Arc::default();
        let read_when_synced: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let health = (
            Arc::new(WatchHealth::new(Duration::from_secs(60))),
            Arc::new(Metrics::default()),
        );
        let FannedOut {
            store: cache,
            synced,
            events: [mut triggers],
            driver,
        } = fan_out_of::<TalkRecommendation, 1>(events, health, |_| {}, {
            let (index, probe, read) = (index.clone(), probe.clone(), read_when_synced.clone());
            move |event, cache| {
                // Before the index takes the event: a waiter woken now reads this index.
                if probe
                    .lock()
                    .unwrap()
                    .as_ref()
                    .is_some_and(Synced::is_synced)
                {
                    read.lock().unwrap().push(index.names("team", "kubecon"));
                }
                index.observe(event, cache);
            }
        });
        *probe.lock().unwrap() = Some(synced.clone());
        assert!(!synced.is_synced(), "nothing listed yet");
        driver.await;
        assert!(synced.wait().await && synced.is_synced());
        assert_eq!(cache.len(), 3);
        assert_eq!(index.names("team", "kubecon"), ["a", "b", "c"]);
        assert!(
            read_when_synced.lock().unwrap().is_empty(),
            "synced while the index was still empty: {:?}",
            read_when_synced.lock().unwrap()
        );
        // The list reached the triggers whole, after the cache and the index.
        let mut handed = Vec::new();
        while let Ok(event) = triggers.try_recv() {
            handed.push(match event {
                watcher::Event::InitApply(o) => o.name_any(),
                watcher::Event::InitDone => "done".into(),
                _ => "other".into(),
            });
        }
        assert_eq!(handed, ["a", "b", "c", "done"]);
    }
}
