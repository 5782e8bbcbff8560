//! Writing Events: notes cut to the API server's limit, names kube-runtime's Recorder would
//! make too long shortened, and Recorders sharded by object.

use std::hash::{Hash as _, Hasher as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Client;
use kube::api::Api;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// kube-runtime's Recorder scans its whole cache of recent Events (six minutes' worth), under one
/// write lock, on every publish. That is O(N) per Event and O(N²) over a full resync of N reports:
/// 5.9 % of the operator's CPU at N = 10,000 (docs/profile-10000.svg), with every reconciler that
/// publishes waiting on the lock meanwhile. Sharded by object, each cache holds about N/64 Events.
/// An object's Events always go to the same shard, so its series form exactly as before.
///
/// The Recorder drops Events older than its six minutes only when it publishes again, so after
/// a burst (a first convergence, a resync) a quiet shard would hold its Events for good: 3 KiB a
/// report. A shard quiet for longer than that window is given a new, empty Recorder, as
/// client-go's recorder forgets on a timer: everything dropped was past the window anyway.
pub struct Recorders {
    client: Client,
    reporter: Reporter,
    shards: Vec<Mutex<Shard>>,
}

struct Shard {
    recorder: Recorder,
    /// The last publish since this Recorder was made, if any.
    last: Option<Instant>,
}

/// kube-runtime's `CACHE_TTL`: how long its Recorder keeps an Event to count repeats in a series.
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

impl Recorders {
    pub const SHARDS: usize = 64;

    pub fn new(client: &Client, reporter: &Reporter) -> Self {
        Recorders {
            client: client.clone(),
            reporter: reporter.clone(),
            shards: (0..Self::SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        recorder: Recorder::new(client.clone(), reporter.clone()),
                        last: None,
                    })
                })
                .collect(),
        }
    }

    /// The Recorder for `reference`'s Events, about to publish one.
    pub fn for_object(&self, reference: &ObjectReference) -> Recorder {
        let mut shard = lock(&self.shards[shard(reference, self.shards.len())]);
        shard.last = Some(Instant::now());
        shard.recorder.clone()
    }

    /// Gives every shard that has published nothing for longer than the series window a new
    /// Recorder, so that the old one's Events are freed. Returns how many were renewed.
    pub fn forget_quiet(&self, now: Instant) -> usize {
        let mut renewed = 0;
        for shard in &self.shards {
            let mut shard = lock(shard);
            if shard
                .last
                .is_some_and(|last| now.saturating_duration_since(last) > SERIES_WINDOW)
            {
                *shard = Shard {
                    recorder: Recorder::new(self.client.clone(), self.reporter.clone()),
                    last: None,
                };
                renewed += 1;
            }
        }
        renewed
    }
}

/// A shard's lock, even if a holder panicked: a shard holds nothing a panic can leave half-made.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which of `shards` an object's Events go to: by kind, namespace and name, the identity the
/// Recorder's own cache key starts from.
fn shard(reference: &ObjectReference, shards: usize) -> usize {
    // SipHash with fixed keys: the same shard for an object for the process's whole life.
    let mut hasher = std::hash::DefaultHasher::new();
    (&reference.kind, &reference.namespace, &reference.name).hash(&mut hasher);
    (hasher.finish() % shards.max(1) as u64) as usize
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

/// kube-runtime's Recorder names an Event `<object name>.<16 hex digits>`, which passes the
/// 253 characters a name may have when the object's name is longer than this.
pub const MAX_NAME_FOR_RECORDER: usize = 253 - 17;

/// The Event kube-runtime's Recorder would write, named from a shortened object name, for objects
/// whose names are too long for the Recorder's naming.
pub async fn publish_long_named(
    client: &Client,
    reporter: &Reporter,
    event: &Event,
    reference: &ObjectReference,
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

    fn reference(name: &str) -> ObjectReference {
        ObjectReference {
            kind: Some("ConferenceReport".into()),
            namespace: Some("team-a".into()),
            name: Some(name.into()),
            ..ObjectReference::default()
        }
    }

    #[test]
    fn an_objects_events_always_go_to_one_shard_and_objects_spread_evenly() {
        let shards = Recorders::SHARDS;
        assert_eq!(
            shard(&reference("a"), shards),
            shard(&reference("a"), shards)
        );
        let mut counts = vec![0usize; shards];
        for i in 0..10_000 {
            counts[shard(&reference(&format!("report-{i:05}")), shards)] += 1;
        }
        // About 156 each: no shard holds twice its share, or half of it.
        let (lowest, highest) = (counts.iter().min(), counts.iter().max());
        assert!(
            lowest.is_some_and(|&c| c > 78) && highest.is_some_and(|&c| c < 312),
            "{counts:?}"
        );
    }

    #[tokio::test]
    async fn a_shard_quiet_for_longer_than_the_series_window_gets_a_new_recorder() {
        let config = kube::Config::new("http://127.0.0.1:9".parse().expect("a URL"));
        let client = Client::try_from(config).expect("a client that never connects");
        let reporter = Reporter {
            controller: "test".into(),
            instance: None,
        };
        let recorders = Recorders::new(&client, &reporter);
        let start = Instant::now();
        assert_eq!(recorders.forget_quiet(start), 0, "none has published");
        let _ = recorders.for_object(&reference("a"));
        let _ = recorders.for_object(&reference("a"));
        assert_eq!(
            recorders.forget_quiet(start + Duration::from_secs(5 * 60)),
            0,
            "its Events may still count in a series"
        );
        let after = start + SERIES_WINDOW + Duration::from_secs(60);
        assert_eq!(recorders.forget_quiet(after), 1);
        assert_eq!(recorders.forget_quiet(after), 0, "renewed once");
    }
}
