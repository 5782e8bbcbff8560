//! Prometheus metrics. Labels come from small fixed sets (kind, result, reason, resource):
//! never object names or error text, so the series count stays bounded.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindResult {
    pub kind: &'static str,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindReason {
    pub kind: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindStatusReason {
    pub kind: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Resource {
    pub resource: &'static str,
}

pub struct Metrics {
    pub registry: Registry,
    reconciles: Family<KindResult, Counter>,
    errors: Family<KindReason, Counter>,
    duration: Family<Kind, Histogram>,
    objects: Family<Kind, Gauge>,
    writes: Family<Resource, Counter>,
    leader: Gauge,
    paused: Gauge,
    button_unread: Gauge,
    watch_errors: Family<Kind, Counter>,
    remembered: Family<Memo, Gauge>,
    ready: Family<KindStatusReason, Gauge>,
    stalled: Family<KindReason, Gauge>,
    heap: Family<HeapState, Gauge>,
    waiting: Family<Kind, Gauge>,
    /// The state series set so far: one that no object is in any more reads 0, not its last count.
    states_set: std::sync::Mutex<(HashSet<KindStatusReason>, HashSet<KindReason>)>,
    /// Sets the gauges read from the caches when scraped (`on_scrape`), and when it last did.
    on_scrape: std::sync::Mutex<(Option<OnScrape>, Option<Instant>)>,
}

type OnScrape = Box<dyn FnMut(&Metrics) + Send>;

/// Gauges computed when scraped are computed at most this often: a scrape in between reads the
/// last values.
const SCRAPE_REFRESH: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HeapState {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Memo {
    pub memo: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tripreport");
        let reconciles = Family::<KindResult, Counter>::default();
        let errors = Family::<KindReason, Counter>::default();
        let duration = Family::<Kind, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        let objects = Family::<Kind, Gauge>::default();
        let writes = Family::<Resource, Counter>::default();
        let leader = Gauge::default();
        let paused = Gauge::default();
        let button_unread = Gauge::default();
        let watch_errors = Family::<Kind, Counter>::default();
        let remembered = Family::<Memo, Gauge>::default();
        let ready = Family::<KindStatusReason, Gauge>::default();
        let stalled = Family::<KindReason, Gauge>::default();
        let heap = Family::<HeapState, Gauge>::default();
        let waiting = Family::<Kind, Gauge>::default();
        registry.register(
            "reconciles",
            "Reconciles by kind and result (success, error, skipped: not the leader, paused or suspended)",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Failed reconciles by kind and reason",
            errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            duration.clone(),
        );
        registry.register(
            "objects",
            "Objects in the operator's caches, by kind",
            objects.clone(),
        );
        registry.register(
            "writes",
            "Writes the operator made to the API server, by resource",
            writes.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the leader Lease",
            leader.clone(),
        );
        registry.register(
            "paused",
            "1 while the control ConfigMap says paused: \"true\" (no writes at all)",
            paused.clone(),
        );
        registry.register(
            "pause_button_unread",
            "1 until the control ConfigMap has been read once: no writes meanwhile, since the button may be pressed",
            button_unread.clone(),
        );
        registry.register(
            "watch_errors",
            "Failed list or watch requests, by kind (each is retried with backoff)",
            watch_errors.clone(),
        );
        registry.register(
            "remembered",
            "Entries in each of the operator's per-object memos: bounded by the live objects",
            remembered.clone(),
        );
        registry.register(
            "ready",
            "Cached objects by kind and by their Ready condition's status and reason (reasons the operator does not write count as Other; no Ready yet is Unknown/Unset)",
            ready.clone(),
        );
        registry.register(
            "stalled",
            "Cached objects with Stalled=True, by kind and reason: nothing changes for them without a spec change",
            stalled.clone(),
        );
        registry.register(
            "reconciles_waiting",
            "Reconcile requests waiting in the operator's admission queue, by kind: after a start or the big red button's release, the objects not yet handed to a reconcile (0 once caught up)",
            waiting.clone(),
        );
        // Only when the allocator can tell (see `crate::heap`): no series is better than a 0.
        if crate::heap::read().is_some() {
            registry.register(
                "heap_bytes",
                "The allocator's heap: allocated (held by the operator), active (in pages with live allocations), resident (mapped and in memory) and metadata (the allocator's own)",
                heap.clone(),
            );
        }
        // Series that alerts take increase() of exist from the start, at 0.
        for kind in ["ConferenceReport", "TalkRecommendation"] {
            for reason in crate::error::Error::REASONS {
                let _ = errors.get_or_create(&KindReason { kind, reason });
            }
        }
        for kind in ["ConferenceReport", "TalkRecommendation"] {
            for reason in ["InvalidSpec", "SummaryFailed", "SummaryNameTaken"] {
                let _ = stalled.get_or_create(&KindReason { kind, reason });
            }
        }
        for kind in ["ConferenceReport", "TalkRecommendation", "ConfigMap"] {
            let _ = watch_errors.get_or_create(&Kind { kind });
        }
        for kind in ["ConferenceReport", "TalkRecommendation"] {
            let _ = waiting.get_or_create(&Kind { kind });
        }
        Self {
            registry,
            reconciles,
            errors,
            duration,
            objects,
            writes,
            leader,
            paused,
            button_unread,
            watch_errors,
            remembered,
            ready,
            stalled,
            heap,
            waiting,
            states_set: Default::default(),
            on_scrape: Default::default(),
        }
    }
}

/// A count as a gauge's value (saturating: a gauge is an i64).
fn count(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

impl Metrics {
    pub fn reconciled(&self, kind: &'static str, result: &'static str, took: Duration) {
        self.reconciles
            .get_or_create(&KindResult { kind, result })
            .inc();
        self.duration
            .get_or_create(&Kind { kind })
            .observe(took.as_secs_f64());
    }

    pub fn failed(&self, kind: &'static str, reason: &'static str) {
        self.errors
            .get_or_create(&KindReason { kind, reason })
            .inc();
    }

    pub fn wrote(&self, resource: &'static str) {
        self.writes.get_or_create(&Resource { resource }).inc();
    }

    pub fn set_heap(&self, heap: &crate::heap::Heap) {
        for (state, bytes) in [
            ("allocated", heap.allocated),
            ("active", heap.active),
            ("resident", heap.resident),
            ("metadata", heap.metadata),
        ] {
            self.heap
                .get_or_create(&HeapState { state })
                .set(count(bytes));
        }
    }

    pub fn set_objects(&self, kind: &'static str, objects: usize) {
        self.objects
            .get_or_create(&Kind { kind })
            .set(count(objects));
    }

    pub fn set_waiting(&self, kind: &'static str, requests: usize) {
        self.waiting
            .get_or_create(&Kind { kind })
            .set(count(requests));
    }

    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    pub fn set_button_unread(&self, unread: bool) {
        self.button_unread.set(i64::from(unread));
    }

    pub fn set_remembered(&self, memo: &'static str, entries: usize) {
        self.remembered
            .get_or_create(&Memo { memo })
            .set(count(entries));
    }

    /// One kind's objects by state (`controller::states`).
    pub fn set_states(&self, kind: &'static str, states: &crate::controller::states::States) {
        let Ok(mut set) = self.states_set.lock() else {
            return;
        };
        let (ready_set, stalled_set) = &mut *set;
        for key in ready_set.iter().filter(|k| k.kind == kind) {
            if !states.ready.contains_key(&(key.status, key.reason)) {
                self.ready.get_or_create(key).set(0);
            }
        }
        for (&(status, reason), &count) in &states.ready {
            let key = KindStatusReason {
                kind,
                status,
                reason,
            };
            self.ready.get_or_create(&key).set(count);
            ready_set.insert(key);
        }
        for key in stalled_set.iter().filter(|k| k.kind == kind) {
            if !states.stalled.contains_key(key.reason) {
                self.stalled.get_or_create(key).set(0);
            }
        }
        for (&reason, &count) in &states.stalled {
            let key = KindReason { kind, reason };
            self.stalled.get_or_create(&key).set(count);
            stalled_set.insert(key);
        }
    }

    pub fn watch_failed(&self, kind: &'static str) {
        self.watch_errors.get_or_create(&Kind { kind }).inc();
    }

    /// Sets `set` to compute gauges when /metrics is scraped: those that pass over every cached
    /// object cost nothing while nobody reads them (see `controller::housekeeping`).
    pub fn on_scrape(&self, set: impl FnMut(&Metrics) + Send + 'static) {
        if let Ok(mut on_scrape) = self.on_scrape.lock() {
            *on_scrape = (Some(Box::new(set)), None);
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        if let Ok(mut on_scrape) = self.on_scrape.lock() {
            let (set, last) = &mut *on_scrape;
            if let Some(set) = set
                && last.is_none_or(|last| last.elapsed() >= SCRAPE_REFRESH)
            {
                set(self);
                *last = Some(Instant::now());
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
