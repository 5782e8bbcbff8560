//! The operator's watches: one per kind, each filling a cache and then handing its events to the
//! controllers' triggers, in that order, so whatever an event triggers reads a cache at least as
//! new as the event. Failures are counted, timed (see `watch_health`) and retried quickly.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, future};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Resource};
use tracing::warn;

use crate::metrics::Metrics;
use crate::watch_health::{self, WatchHealth};

/// Waits until `store` holds a full list. kube-runtime's readiness signal wakes only the last
/// of several concurrent waiters (its controller waits too), so ask again every 100 ms.
pub async fn synced<K>(store: &kube::runtime::reflector::Store<K>) -> bool
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

pub type Events<K> = futures::channel::mpsc::UnboundedReceiver<watcher::Event<K>>;

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
    let driver = watcher(api, config)
        .backoff(watch_health::backoff())
        // Who wrote which field is the API server's business, and a large share of each object.
        .modify(move |object: &mut K| {
            object.meta_mut().managed_fields = None;
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
pub fn applied<K: Send + 'static>(
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
pub fn touched<K: Send + 'static>(
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
pub fn spec_changes<K>(
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
