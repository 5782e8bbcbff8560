//! What the two controllers share while they run: the caches, the per-object memos, the gate,
//! and the ways out to the cluster that are not a reconcile's own writes (Events, relisting
//! recommendations). Memos are pruned to the live objects after deletions (`housekeeping`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::channel::mpsc::UnboundedSender;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource, ResourceExt};
use tracing::warn;

use super::events;
use super::index::RecommendationIndex;
use super::listing::{Changed, Entry, Listings};
use super::memory::{Refusals, Warnings};
use super::watches::Synced;
use super::written::Written;
use crate::api::{ConferenceReport, TalkRecommendation};
use crate::decide::conditions::Announcement;
use crate::error::Error;
use crate::gate::Gate;
use crate::metrics::Metrics;

pub struct Context {
    pub client: Client,
    /// Caches, each filled by its watch before that watch's event triggers any reconcile, so a
    /// reconcile never sees a cache older than the event that caused it (see `fan_out`).
    pub reports: Store<ConferenceReport>,
    pub recommendations: Store<TalkRecommendation>,
    /// The recommendations naming each report, kept with `recommendations`.
    pub recommendations_by_report: RecommendationIndex,
    pub config_maps: Store<super::cached_summary::CachedSummary>,
    /// Whether each of the three caches, and what is kept beside it, holds a full list.
    pub(super) synced: [Synced; 3],
    pub(super) recorder: super::events::Recorder,
    pub(super) failures: Mutex<HashMap<String, u32>>,
    /// Writes refused for good, not to be sent again over the same inputs.
    pub(super) refusals: Refusals,
    /// Warnings said per object and generation.
    pub(super) warnings: Warnings,
    /// What the operator wrote, over which view, and which echoes to expect.
    pub(super) written: Arc<Written>,
    /// Report bodies not yet rendered (the cache holds reports without them).
    pub(super) bodies: Arc<super::bodies::Bodies>,
    /// The reading of each report's body, for its generation.
    pub(super) readings: super::readings::Readings,
    /// What each report's last reconcile decided about its recommendations.
    pub(super) listings: Listings,
    /// Recommendations whose report's decision about them changed: reconciled again.
    pub(super) relisted: UnboundedSender<ObjectRef<TalkRecommendation>>,
    pub(super) gate: Arc<Gate>,
    pub(super) metrics: Arc<Metrics>,
}

/// How a reconcile ended, for the metrics: a failure the status reports is still a failure.
pub enum Outcome {
    Success,
    Failed(&'static str),
    /// Nothing attempted: the same write was refused before.
    Skipped,
}

pub struct Reconciled {
    pub(super) action: Action,
    pub(super) outcome: Outcome,
}

impl Reconciled {
    pub(super) fn done(action: Action) -> Self {
        Self {
            action,
            outcome: Outcome::Success,
        }
    }
}

impl Context {
    /// Until every cache holds its first full list, an absent object may only be not yet seen.
    pub(super) async fn caches_synced(&self) {
        for synced in &self.synced {
            synced.wait().await;
        }
    }

    /// Checked right before every write, so the button stops writes mid-reconcile too.
    pub(super) fn writable(&self) -> Result<(), Error> {
        if self.gate.may_write() {
            Ok(())
        } else {
            Err(Error::Halted)
        }
    }

    /// Records a report's decision about its recommendations, and reconciles those on whom it
    /// changed.
    pub(super) fn list(&self, namespace: &str, report: &str, entry: Entry) {
        let names = match self.listings.set(namespace, report, entry) {
            Changed::None => return,
            Changed::Some(names) => names,
            Changed::All => self
                .recommendations_by_report
                .recommendations(&self.recommendations, namespace, report)
                .iter()
                .map(|rec| rec.name_any())
                .collect(),
        };
        for name in names {
            let _ = self
                .relisted
                .unbounded_send(ObjectRef::new(&name).within(namespace));
        }
    }

    /// A Warning about `object` (whose memo key is `key`), unless this very problem was already
    /// said in the object's current generation.
    pub(super) async fn warn<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        key: &str,
        reason: &str,
        note: String,
    ) {
        if self
            .warnings
            .first_time(key, object.meta().generation, reason, &note)
        {
            self.event(object, EventType::Warning, reason, note).await;
        }
    }

    /// Says what a decision announced about `object`: a Warning once per problem and
    /// generation, or a Normal Event.
    pub(super) async fn say<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        key: &str,
        say: Announcement,
    ) {
        if say.warning {
            self.warn(object, key, &say.reason, say.message).await;
        } else {
            self.event(object, EventType::Normal, &say.reason, say.message)
                .await;
        }
    }

    /// Writes an Event about `object`. An Event that cannot be written does not fail the
    /// reconcile: the same fact is in the status conditions, which are the source of truth.
    pub(super) async fn event<K: Resource<DynamicType = ()>>(
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
            note: Some(events::event_note(note)),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        let reference = object.object_ref(&());
        let result = self.recorder.publish(&event, &reference).await;
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
    pub(super) fn forget_deleted(&self) {
        let report_exists = |namespace: &str, name: &str| {
            self.reports
                .get(&ObjectRef::new(name).within(namespace))
                .is_some()
        };
        let exists = |key: &str| {
            let mut parts = key.splitn(3, '/');
            let (Some(kind), Some(namespace), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            match kind {
                "ConferenceReport" => report_exists(namespace, name),
                "TalkRecommendation" => self
                    .recommendations
                    .get(&ObjectRef::new(name).within(namespace))
                    .is_some(),
                _ => false,
            }
        };
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|key, _| exists(key));
            super::memory::trim(&mut failures);
        }
        self.refusals.retain(exists);
        self.warnings.retain(exists);
        self.written.retain(exists);
        self.listings.retain(report_exists);
        self.bodies.retain(exists);
        self.readings.retain(exists);
    }

    /// The gauges of how much each memo holds.
    pub(super) fn set_remembered_gauges(&self) {
        self.metrics.set_remembered("bodies", self.bodies.held());
        self.metrics.set_remembered("readings", self.readings.len());
        self.metrics.set_remembered("written", self.written.len());
        self.metrics.set_remembered(
            "failures",
            self.failures.lock().map(|m| m.len()).unwrap_or_default(),
        );
        self.metrics.set_remembered("refusals", self.refusals.len());
        self.metrics.set_remembered("warnings", self.warnings.len());
        self.metrics.set_remembered("listings", self.listings.len());
    }

    pub(super) fn record_success(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    pub(super) fn record_failure(&self, key: &str) -> u32 {
        match self.failures.lock() {
            Ok(mut failures) => {
                let n = failures.entry(key.to_string()).or_default();
                *n = n.saturating_add(1);
                *n - 1
            }
            Err(_) => 0,
        }
    }

    /// The resourceVersion the cache shows for the report or recommendation `name`.
    pub(super) fn cached_version(&self, kind: &str, namespace: &str, name: &str) -> Option<String> {
        match kind {
            "ConferenceReport" => self
                .reports
                .get(&ObjectRef::new(name).within(namespace))?
                .resource_version(),
            "TalkRecommendation" => self
                .recommendations
                .get(&ObjectRef::new(name).within(namespace))?
                .resource_version(),
            _ => None,
        }
    }
}

pub(super) fn key<K: Resource>(kind: &str, object: &K) -> String {
    format!(
        "{kind}/{}/{}",
        object.meta().namespace.as_deref().unwrap_or_default(),
        object.meta().name.as_deref().unwrap_or_default()
    )
}
