//! What the operator does besides reconciling: it says when it is ready, sweeps the memos of
//! deleted objects, forgets Events too old to count a repeat, and computes the gauges read from
//! its caches and memos when /metrics is scraped.
//!
//! Each of these passes over every cached object or memo entry. On a timer, every 5 seconds,
//! they cost in proportion to the objects times the time, which made the operator's CPU grow
//! faster than N (docs/benchmarks.md, "Housekeeping in proportion to what changed"). Now a sweep
//! runs when a watch has seen a deletion (and every `SWEEP_AT_LEAST` as a safety net, for an
//! entry a reconcile made after its object's deletion went by), and the gauges are computed when
//! someone reads them, at most once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use tracing::info;

use super::Context;
use super::states::States;
use super::watches::Synced;
use crate::metrics::Metrics;
use crate::watch_health::WatchHealth;

/// How often the loop looks: for Events too old to count, and for deletions to sweep after.
const TICK: Duration = Duration::from_secs(5);

/// The longest a memo entry of a deleted object may stay when no deletion is seen after it.
const SWEEP_AT_LEAST: Duration = Duration::from_secs(60);

/// How many deletions the watches have seen (a relist counts as one: objects deleted while a
/// watch was broken are not seen one by one). Cheap to clone.
#[derive(Clone, Default)]
pub struct Deletions(Arc<AtomicU64>);

impl Deletions {
    /// `observe`, which also counts the deletions among the events it is given.
    pub fn counting<K>(
        &self,
        mut observe: impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static,
    ) -> impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static
    where
        K: kube::Resource<DynamicType = ()> + 'static,
    {
        let seen = self.0.clone();
        move |event, cache| {
            if matches!(event, watcher::Event::Delete(_) | watcher::Event::InitDone) {
                seen.fetch_add(1, Ordering::Relaxed);
            }
            observe(event, cache);
        }
    }

    fn seen(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Whether the memos are to be swept now: a deletion was seen since the last sweep, or that was
/// `SWEEP_AT_LEAST` ago.
fn sweep_due(seen: u64, at_last_sweep: u64, since_last_sweep: Duration) -> bool {
    seen != at_last_sweep || since_last_sweep >= SWEEP_AT_LEAST
}

/// Ready once every cache holds a full list, then sweeps and forgets until the process ends.
/// The gauges are left to /metrics (`Metrics::on_scrape`).
pub async fn run(context: Arc<Context>, health: Arc<WatchHealth>, deletions: Deletions) {
    // Weak: the metrics are the context's, and must not keep it alive.
    let gauges = Arc::downgrade(&context);
    context.metrics.on_scrape(move |metrics| {
        if let Some(context) = gauges.upgrade() {
            set_gauges(&context, metrics);
        }
    });
    // Ready once every cache a reconcile waits for holds a full list: a follower is then ready
    // to lead at once.
    context.caches_synced().await;
    if context.synced.iter().all(Synced::is_synced) {
        health.set_ready();
        info!("caches synced; ready");
    }
    let mut last_sweep = (deletions.seen(), Instant::now());
    loop {
        let seen = deletions.seen();
        if sweep_due(seen, last_sweep.0, last_sweep.1.elapsed()) {
            context.forget_deleted();
            last_sweep = (seen, Instant::now());
        }
        context.recorder.forget_old(Instant::now());
        tokio::time::sleep(TICK).await;
    }
}

/// The gauges of objects, their states, the heap and the memos' sizes. Objects are counted
/// only once the caches hold a full list: before, a count would say there are none.
fn set_gauges(context: &Context, metrics: &Metrics) {
    if let Some(heap) = crate::heap::read() {
        metrics.set_heap(&heap);
    }
    context.set_remembered_gauges();
    if !context.synced.iter().all(Synced::is_synced) {
        return;
    }
    metrics.set_objects("ConferenceReport", context.reports.len());
    metrics.set_objects("TalkRecommendation", context.recommendations.len());
    let reports = context.reports.state();
    let conditions = reports
        .iter()
        .map(|r| r.status.as_ref().map_or(&[][..], |s| &s.conditions[..]));
    metrics.set_states("ConferenceReport", &States::count(conditions));
    let recs = context.recommendations.state();
    let conditions = recs
        .iter()
        .map(|r| r.status.as_ref().map_or(&[][..], |s| &s.conditions[..]));
    metrics.set_states("TalkRecommendation", &States::count(conditions));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TalkRecommendation;

    #[test]
    fn a_sweep_follows_a_deletion_or_a_minute() {
        let deletions = Deletions::default();
        let mut observe = deletions.counting::<TalkRecommendation>(|_, _| {});
        let (cache, _writer) = kube::runtime::reflector::store::<TalkRecommendation>();
        let rec: TalkRecommendation = serde_json::from_value(serde_json::json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
            "metadata": {"name": "loki", "namespace": "team"},
            "spec": {"reportRef": {"name": "kubecon"}, "talk": {"title": "A talk"}, "rating": 3,
                     "reason": "Worth it."}
        }))
        .expect("a recommendation");
        observe(&watcher::Event::Apply(rec.clone()), &cache);
        observe(&watcher::Event::Init, &cache);
        assert_eq!(deletions.seen(), 0, "changes and the start of a relist");
        assert!(!sweep_due(deletions.seen(), 0, TICK));
        observe(&watcher::Event::Delete(rec), &cache);
        assert!(sweep_due(deletions.seen(), 0, TICK), "a deletion");
        observe(&watcher::Event::InitDone, &cache);
        assert_eq!(deletions.seen(), 2, "a relist may hide deletions");
        assert!(!sweep_due(2, 2, TICK));
        assert!(sweep_due(2, 2, SWEEP_AT_LEAST), "the safety net");
    }
}
