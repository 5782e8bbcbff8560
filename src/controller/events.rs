//! Writing Events: one Recorder for the operator, which counts an Event repeated about an
//! unchanged object as a series on one Event, as kube-runtime's and client-go's do, and remembers
//! only a few hundred bytes per recent Event (see `event_series`).

use std::sync::Mutex;
use std::time::Instant;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Reporter};

use super::event_series::{Next, Recent, event_name, series_key};

pub struct Recorder {
    client: Client,
    reporter: Reporter,
    /// Locked only to look up or record, never across a request.
    recent: Mutex<Recent>,
}

impl Recorder {
    pub fn new(client: &Client, reporter: &Reporter) -> Self {
        Recorder {
            client: client.clone(),
            reporter: reporter.clone(),
            recent: Mutex::default(),
        }
    }

    /// Writes `event` about `regarding`: a new Event, or one more in the count of the same
    /// Event written in the last six minutes. A repeat whose Event is gone (deleted, or past the
    /// API server's TTL) is written as a new one.
    pub async fn publish(
        &self,
        event: &Event,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let key = series_key(event, regarding);
        let next = lock(&self.recent).next(&key, Instant::now());
        let namespace = regarding.namespace.as_deref().unwrap_or("default");
        let events: Api<K8sEvent> = Api::namespaced(self.client.clone(), namespace);
        let (name, count) = match next {
            Next::Repeat { name, count } => match self.repeat(&events, &name, count).await {
                Ok(()) => (name, count),
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    (self.create(&events, event, regarding).await?, 1)
                }
                Err(e) => return Err(e),
            },
            Next::Create => (self.create(&events, event, regarding).await?, 1),
        };
        lock(&self.recent).written(key, name, count, Instant::now());
        Ok(())
    }

    /// Forgets the Events too old to count a repeat. Returns how many.
    pub fn forget_old(&self, now: Instant) -> usize {
        lock(&self.recent).forget_old(now)
    }

    /// A merge patch of the series alone: what changes on a repeat.
    async fn repeat(
        &self,
        events: &Api<K8sEvent>,
        name: &str,
        count: i32,
    ) -> Result<(), kube::Error> {
        let series = EventSeries {
            count,
            last_observed_time: MicroTime(k8s_openapi::jiff::Timestamp::now()),
        };
        let patch = serde_json::json!({ "series": series });
        events
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }

    /// Creates the Event kube-runtime's Recorder would, and returns its name.
    async fn create(
        &self,
        events: &Api<K8sEvent>,
        event: &Event,
        regarding: &ObjectReference,
    ) -> Result<Box<str>, kube::Error> {
        let now = k8s_openapi::jiff::Timestamp::now();
        let object = regarding
            .name
            .as_deref()
            .unwrap_or(&self.reporter.controller);
        let name = event_name(object, now.as_nanosecond());
        let k8s_event = K8sEvent {
            action: Some(event.action.clone()),
            reason: Some(event.reason.clone()),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            note: event.note.clone(),
            metadata: ObjectMeta {
                namespace: regarding.namespace.clone(),
                name: Some(name.clone()),
                ..Default::default()
            },
            reporting_controller: Some(self.reporter.controller.clone()),
            reporting_instance: Some(
                self.reporter
                    .instance
                    .clone()
                    .unwrap_or_else(|| self.reporter.controller.clone()),
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
        events.create(&PostParams::default(), &k8s_event).await?;
        Ok(name.into_boxed_str())
    }
}

/// The lock, even if a holder panicked: what it guards is whole after every call.
fn lock(recent: &Mutex<Recent>) -> std::sync::MutexGuard<'_, Recent> {
    recent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The API server refuses an Event whose note is over 1 KiB; the whole story is in the
/// condition, so a longer note is cut, at a character boundary, and says so.
pub fn event_note(mut note: String) -> String {
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
}
