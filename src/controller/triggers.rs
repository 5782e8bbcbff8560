//! Which of a watch's events wake a reconcile. A controller's own status writes come back as
//! events; only a change of what a reconcile reads (a new generation, for a report also its
//! annotations) passes.
//!
//! kube-runtime's `predicate_filter` does this with a map keyed by each object's name,
//! namespace and uid, and keeps a deleted object's entry for an hour: about 200 bytes an
//! object, for every object (the heaptrack run in docs/benchmarks.md). Here one entry is two
//! 64-bit hashes, and a deletion removes it.

use std::collections::HashMap;

use futures::StreamExt;
use kube::Resource;
use kube::runtime::watcher;

use super::memory::{hash64, trim};
use super::watches::Events;

/// What a reconcile of an object reads from it beyond its spec: its generation.
pub fn generation<K: Resource>(object: &K) -> u64 {
    hash64(&object.meta().generation)
}

/// Its generation and its annotations (a report's requested-at asks for a new attempt).
pub fn generation_and_annotations<K: Resource>(object: &K) -> u64 {
    hash64(&(object.meta().generation, &object.meta().annotations))
}

/// Whether a deletion wakes a reconcile: another kind's deletion can change this one's (a
/// report's, its recommendations'), an object's own deletion needs none (its children go by
/// garbage collection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletions {
    Pass,
    Drop,
}

/// The objects created, or whose `property` changed, and with `Deletions::Pass` those
/// deleted. Only the last property of each live object is kept, by uid.
pub fn changes<K>(
    events: Events<K>,
    property: fn(&K) -> u64,
    deletions: Deletions,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: Resource + Send + 'static,
{
    let mut seen: HashMap<u64, u64> = HashMap::new();
    events.flat_map(move |event| {
        let uid = |object: &K| hash64(object.meta().uid.as_deref().unwrap_or_default());
        let passed = match event {
            watcher::Event::Apply(object) | watcher::Event::InitApply(object) => {
                let value = property(&object);
                (seen.insert(uid(&object), value) != Some(value)).then_some(object)
            }
            watcher::Event::Delete(object) => {
                seen.remove(&uid(&object));
                trim(&mut seen);
                (deletions == Deletions::Pass).then_some(object)
            }
            watcher::Event::Init | watcher::Event::InitDone => None,
        };
        futures::stream::iter(passed.map(Ok))
    })
}

/// Created, changed or deleted objects of a fanned-out watch.
pub fn touched<K: Send + 'static>(
    events: Events<K>,
) -> impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static {
    events.flat_map(|event| {
        let object = match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) | watcher::Event::Delete(o) => {
                Some(Ok(o))
            }
            _ => None,
        };
        futures::stream::iter(object)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ConferenceReport;
    use crate::api::names::REQUESTED_AT_ANNOTATION;
    use kube::ResourceExt;

    fn report(uid: &str, generation: i64, requested_at: Option<&str>) -> ConferenceReport {
        let mut report: ConferenceReport = serde_json::from_value(serde_json::json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
            "metadata": {"name": "kubecon", "namespace": "team", "uid": uid,
                         "generation": generation},
            "spec": {"title": "KubeCon", "conference": {"name": "KubeCon", "year": 2019},
                     "author": {"name": "Ana"}, "language": "en", "body": "We went."}
        }))
        .expect("a report");
        if let Some(at) = requested_at {
            report
                .annotations_mut()
                .insert(REQUESTED_AT_ANNOTATION.into(), at.into());
        }
        report
    }

    /// What passes of `events`, as (uid, generation) pairs.
    async fn passed(
        events: Vec<watcher::Event<ConferenceReport>>,
        property: fn(&ConferenceReport) -> u64,
        deletions: Deletions,
    ) -> Vec<(String, i64)> {
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        for event in events {
            sender.unbounded_send(event).expect("an open channel");
        }
        drop(sender);
        changes(receiver, property, deletions)
            .map(|r| {
                let r = r.expect("no error");
                (
                    r.uid().unwrap_or_default(),
                    r.meta().generation.unwrap_or_default(),
                )
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn only_a_new_generation_a_deletion_or_a_new_object_passes() {
        use watcher::Event::{Apply, Delete, InitApply, InitDone};
        let events = vec![
            InitApply(report("a", 1, None)),
            InitDone,
            // Its own status write, then a relist after a broken watch: nothing new.
            Apply(report("a", 1, None)),
            InitApply(report("a", 1, None)),
            Apply(report("a", 2, None)),
            Delete(report("a", 2, None)),
            // The same name created again is another object.
            Apply(report("b", 1, None)),
        ];
        assert_eq!(
            passed(events.clone(), generation, Deletions::Pass).await,
            [
                ("a".into(), 1),
                ("a".into(), 2),
                ("a".into(), 2),
                ("b".into(), 1)
            ]
        );
        assert_eq!(
            passed(events, generation, Deletions::Drop).await,
            [("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]
        );
    }

    #[tokio::test]
    async fn a_deleted_object_is_forgotten() {
        use watcher::Event::{Apply, Delete};
        // Were "a" still remembered at generation 1 after its deletion, its return (a relist
        // that saw it again) would not pass.
        let events = vec![
            Apply(report("a", 1, None)),
            Delete(report("a", 1, None)),
            Apply(report("a", 1, None)),
        ];
        assert_eq!(
            passed(events, generation, Deletions::Drop).await,
            [("a".into(), 1), ("a".into(), 1)]
        );
    }

    #[tokio::test]
    async fn a_report_passes_on_a_new_requested_at() {
        use watcher::Event::Apply;
        let events = vec![
            Apply(report("a", 1, None)),
            Apply(report("a", 1, Some("2026-01-01T00:00:00Z"))),
            Apply(report("a", 1, Some("2026-01-01T00:00:00Z"))),
            Apply(report("a", 1, Some("2026-01-02T00:00:00Z"))),
        ];
        assert_eq!(
            passed(events.clone(), generation_and_annotations, Deletions::Drop)
                .await
                .len(),
            3
        );
        assert_eq!(passed(events, generation, Deletions::Drop).await.len(), 1);
    }
}
