//! How many objects a controller's queue holds at once. kube-runtime's scheduler takes every
//! request it is handed, and its tables keep the room they grew to: after the full list of a
//! start, about 2.4 KiB a report for good (docs/benchmarks.md). Requests pass here first: at
//! most `limit` distinct objects are handed on at a time, each until its reconcile has ended;
//! the others wait, once each and in order, in a queue of the operator's whose room is let go
//! when it empties. An object is never handed on twice at once, so each one handed on ends in
//! exactly one result and the count stays true. `Admission` is the bookkeeping (pure); `admit`
//! is the stream around it.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

use futures::{Stream, StreamExt, future, stream};
use kube::Resource;
use kube::runtime::controller::{self, Controller};
use kube::runtime::reflector::{ObjectRef, Store};

/// Objects in a controller's scheduler at once: enough that each of its `concurrency` reconciles
/// has the next few waiting, far fewer than a start's full list.
fn limit(concurrency: u16) -> usize {
    4 * usize::from(concurrency.max(4))
}

/// Which objects are handed on, and which wait.
pub struct Admission<T> {
    limit: usize,
    admitted: HashSet<T>,
    waiting: VecDeque<T>,
    queued: HashSet<T>,
    /// Handed on, and asked for again since: handed on once more when its reconcile ends.
    again: HashSet<T>,
}

impl<T: Hash + Eq + Clone> Admission<T> {
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            admitted: HashSet::new(),
            waiting: VecDeque::new(),
            queued: HashSet::new(),
            again: HashSet::new(),
        }
    }

    /// A request for `item`: handed on at once if there is room; otherwise it waits, once
    /// however often it is asked for. If `item` is handed on already, it is handed on again
    /// when that reconcile ends, in the same room. Handed on at once instead, kube-runtime
    /// would run it again after the current reconcile, and the first of the two ends would free
    /// a room the second run still holds.
    pub fn request(&mut self, item: T) -> Option<T> {
        if self.admitted.contains(&item) {
            self.again.insert(item);
            return None;
        }
        if self.queued.contains(&item) {
            return None;
        }
        if self.admitted.len() < self.limit {
            self.admitted.insert(item.clone());
            return Some(item);
        }
        self.queued.insert(item.clone());
        self.waiting.push_back(item);
        None
    }

    /// A reconcile of `item` has ended: `item` again if it was asked for meanwhile; otherwise
    /// its room goes to those that have waited longest.
    pub fn ended(&mut self, item: &T) -> Vec<T> {
        if let Some(again) = self.again.take(item) {
            return vec![again];
        }
        self.admitted.remove(item);
        let mut handed = Vec::new();
        while self.admitted.len() < self.limit {
            let Some(next) = self.waiting.pop_front() else {
                break;
            };
            self.queued.remove(&next);
            self.admitted.insert(next.clone());
            handed.push(next);
        }
        if self.waiting.is_empty() && self.waiting.capacity() > 64 {
            self.waiting = VecDeque::new();
            self.queued = HashSet::new();
        }
        handed
    }

    /// Requests waiting for room.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// `requests` through an [`Admission`] of `limit`, told by `ended` of each reconcile's end;
/// `waiting` is told how many requests wait after each (a gauge: how far a start has got).
pub fn admit<K>(
    requests: impl Stream<Item = ObjectRef<K>> + Send + 'static,
    ended: impl Stream<Item = ObjectRef<K>> + Send + 'static,
    limit: usize,
    mut waiting: impl FnMut(usize) + Send + 'static,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static
where
    K: Resource<DynamicType = ()> + 'static,
{
    enum Step<K: Resource<DynamicType = ()>> {
        Request(ObjectRef<K>),
        Ended(ObjectRef<K>),
    }
    let mut admission = Admission::new(limit);
    stream::select(
        requests.map(|r| Step::Request(bare(&r))),
        ended.map(Step::Ended),
    )
    .flat_map(move |step| {
        let handed = match step {
            Step::Request(r) => admission.request(r).into_iter().collect(),
            Step::Ended(r) => admission.ended(&r),
        };
        waiting(admission.waiting());
        stream::iter(handed)
    })
}

/// The object a controller's result is about, if it names one: every request handed on ends in
/// exactly one result (a reconcile's, or "not found" for an object deleted meanwhile).
pub fn ended<K, A, E, Q>(
    result: &Result<(ObjectRef<K>, A), controller::Error<E, Q>>,
) -> Option<ObjectRef<K>>
where
    K: Resource<DynamicType = ()>,
{
    match result {
        Ok((r, _)) => Some(bare(r)),
        Err(controller::Error::ObjectNotFound(r) | controller::Error::ReconcilerFailed(_, r)) => {
            Some(named(&r.name, r.namespace.as_deref()))
        }
        Err(_) => None,
    }
}

/// Name and namespace only: the queue need not hold a resourceVersion and uid per object.
fn bare<K: Resource<DynamicType = ()>>(r: &ObjectRef<K>) -> ObjectRef<K> {
    named(&r.name, r.namespace.as_deref())
}

fn named<K: Resource<DynamicType = ()>>(name: &str, namespace: Option<&str>) -> ObjectRef<K> {
    let r = ObjectRef::new(name);
    match namespace {
        Some(namespace) => r.within(namespace),
        None => r,
    }
}

/// A controller of the objects in `store`, woken by `requests` through the admission queue,
/// which `ended` tells of each reconcile's end and which tells `waiting` its backlog.
pub fn admitted<K: super::watches::Watched + serde::de::DeserializeOwned>(
    store: Store<K>,
    requests: impl futures::Stream<Item = ObjectRef<K>> + Send + 'static,
    ended: impl futures::Stream<Item = ObjectRef<K>> + Send + 'static,
    waiting: impl FnMut(usize) + Send + 'static,
    concurrency: u16,
) -> Controller<K> {
    let config = kube::runtime::controller::Config::default().concurrency(concurrency);
    Controller::for_stream(stream::empty(), store)
        .reconcile_on(admit(requests, ended, limit(concurrency), waiting))
        .with_config(config)
}

/// Every cached object, on each tick of `ticks` (a resync, the button released).
pub fn all_on<K>(
    ticks: impl Stream<Item = ()> + Send + 'static,
    store: Store<K>,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    ticks.flat_map(move |()| {
        stream::iter(
            store
                .state()
                .iter()
                .map(|o| bare(&ObjectRef::from_obj(&**o)))
                .collect::<Vec<_>>(),
        )
    })
}

/// The objects a trigger stream passes.
pub fn refs<K>(
    objects: impl Stream<Item = Result<K, kube::runtime::watcher::Error>> + Send + 'static,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static
where
    K: Resource<DynamicType = ()> + 'static,
{
    objects.filter_map(|o| future::ready(o.ok().map(|o| ObjectRef::from_obj(&o))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_limit_are_handed_on_and_the_rest_wait_once_in_order() {
        let mut admission = Admission::new(2);
        assert_eq!(admission.request("a"), Some("a"));
        assert_eq!(admission.request("b"), Some("b"));
        assert_eq!(admission.request("c"), None);
        assert_eq!(admission.request("d"), None);
        assert_eq!(admission.request("c"), None, "c waits once");
        assert_eq!(admission.waiting(), 2);
        assert_eq!(admission.ended(&"a"), vec!["c"]);
        assert_eq!(admission.ended(&"b"), vec!["d"]);
        assert_eq!(admission.waiting(), 0);
        // An end of an object not handed on (a run kube-runtime requeued itself after a
        // failure) makes room only if there is some.
        assert_eq!(admission.ended(&"a"), Vec::<&str>::new());
        assert_eq!(admission.request("e"), None);
        assert_eq!(admission.ended(&"c"), vec!["e"]);
    }

    /// kube-runtime runs an object asked for during its reconcile once more afterwards, and
    /// that second run ends too: had the request been handed on, the first end would free the
    /// room while the second run still holds it (seen as one request too few waiting).
    #[test]
    fn an_object_asked_for_while_handed_on_keeps_its_room_and_is_handed_on_at_its_end() {
        let mut admission = Admission::new(1);
        assert_eq!(admission.request("a"), Some("a"));
        assert_eq!(admission.request("b"), None);
        assert_eq!(
            admission.request("a"),
            None,
            "asked for again while handed on"
        );
        assert_eq!(admission.request("a"), None, "once however often");
        assert_eq!(
            admission.ended(&"a"),
            vec!["a"],
            "a runs again, in its own room"
        );
        assert_eq!(admission.waiting(), 1, "b still waits");
        assert_eq!(admission.ended(&"a"), vec!["b"]);
        assert_eq!(admission.waiting(), 0);
    }

    #[test]
    fn nothing_requested_is_lost() {
        let mut admission = Admission::new(3);
        let mut handed: Vec<u32> = (0..1000).filter_map(|i| admission.request(i)).collect();
        let mut running: VecDeque<u32> = handed.iter().copied().collect();
        while let Some(done) = running.pop_front() {
            let next = admission.ended(&done);
            running.extend(next.iter().copied());
            handed.extend(next);
        }
        handed.sort_unstable();
        assert_eq!(handed, (0..1000).collect::<Vec<_>>());
        assert!(
            admission.waiting.capacity() <= 64,
            "the queue's room is let go"
        );
    }

    #[tokio::test]
    async fn the_stream_hands_on_as_reconciles_end() {
        use k8s_openapi::api::core::v1::ConfigMap;
        let (requests, requests_rx) = futures::channel::mpsc::unbounded();
        let (ends, ends_rx) = futures::channel::mpsc::unbounded();
        let mut handed = Box::pin(admit::<ConfigMap>(requests_rx, ends_rx, 1, |_| {}));
        let r = |name: &str| ObjectRef::<ConfigMap>::new(name).within("ns");
        requests.unbounded_send(r("a")).expect("send");
        requests.unbounded_send(r("b")).expect("send");
        assert_eq!(handed.next().await, Some(r("a")));
        let pending = tokio::time::timeout(std::time::Duration::from_millis(50), handed.next());
        assert!(pending.await.is_err(), "b waits for a's end");
        ends.unbounded_send(r("a")).expect("send");
        assert_eq!(handed.next().await, Some(r("b")));
    }

    #[tokio::test]
    async fn the_stream_tells_how_many_wait() {
        use k8s_openapi::api::core::v1::ConfigMap;
        use std::sync::{Arc, Mutex};
        let told = Arc::new(Mutex::new(Vec::new()));
        let (requests, requests_rx) = futures::channel::mpsc::unbounded();
        let (ends, ends_rx) = futures::channel::mpsc::unbounded();
        let record = told.clone();
        let mut handed = Box::pin(admit::<ConfigMap>(requests_rx, ends_rx, 1, move |n| {
            record.lock().expect("lock").push(n);
        }));
        let r = |name: &str| ObjectRef::<ConfigMap>::new(name).within("ns");
        // Until the stream has taken everything sent, then the last count it told.
        let mut last = async || {
            let idle = tokio::time::timeout(std::time::Duration::from_millis(50), handed.next());
            let next = idle.await.ok().flatten();
            (next, told.lock().expect("lock").last().copied())
        };
        for name in ["a", "b", "c", "b"] {
            requests.unbounded_send(r(name)).expect("send");
        }
        assert_eq!(last().await, (Some(r("a")), Some(0)));
        assert_eq!(last().await, (None, Some(2)), "b and c wait, b once");
        ends.unbounded_send(r("a")).expect("send");
        assert_eq!(last().await, (Some(r("b")), Some(1)));
        ends.unbounded_send(r("b")).expect("send");
        assert_eq!(last().await, (Some(r("c")), Some(0)));
    }
}
