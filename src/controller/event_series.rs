//! Which Events form a series, and what is remembered of them: the pure part of the Recorder.
//!
//! kube-runtime's Recorder remembers every Event it wrote in the last six minutes, whole (about
//! 2.5 KiB: the Event, its note and two copies of the object reference), to count repeats. After
//! a first convergence at N = 10,000 that was about 25 MiB, held for those six minutes. What a
//! repeat needs is only the Event's name and count, kept here under a key of the same fields.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};

/// How long a written Event may still count a repeat: kube-runtime's and client-go's six minutes.
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

/// kube-runtime's Recorder names an Event `<object name>.<16 hex digits>`, which passes the 253
/// characters a name may have when the object's name is longer than this.
pub const MAX_NAME_PREFIX: usize = 253 - 17;

/// What makes two Events one series: kube-runtime's key (type, action, reason, the regarding and
/// related references whole, resourceVersion included; the reporter is the Recorder's own), as
/// one string of those fields.
pub fn series_key(event: &Event, regarding: &ObjectReference) -> Box<str> {
    let mut key = String::with_capacity(160);
    key.push(match event.type_ {
        EventType::Normal => 'N',
        EventType::Warning => 'W',
    });
    for part in [event.action.as_str(), event.reason.as_str()] {
        key.push('\0');
        key.push_str(part);
    }
    push_reference(&mut key, regarding);
    if let Some(related) = &event.secondary {
        push_reference(&mut key, related);
    }
    key.into_boxed_str()
}

fn push_reference(key: &mut String, reference: &ObjectReference) {
    for part in [
        &reference.api_version,
        &reference.kind,
        &reference.namespace,
        &reference.name,
        &reference.uid,
        &reference.resource_version,
        &reference.field_path,
    ] {
        key.push('\0');
        key.push_str(part.as_deref().unwrap_or_default());
    }
}

/// The name of a new Event about an object named `object` (the controller's name for an object
/// without one), written at `nanos` since the epoch: as kube-runtime names it, with the object's
/// name cut so that the whole fits in 253 characters and still ends in an alphanumeric one.
pub fn event_name(object: &str, nanos: i128) -> String {
    let mut end = object.len().min(MAX_NAME_PREFIX);
    while !object.is_char_boundary(end) {
        end -= 1;
    }
    let prefix = object[..end].trim_end_matches(['.', '-']);
    format!("{prefix}.{nanos:x}")
}

/// A written Event that a repeat may still count on.
#[derive(Debug)]
struct Seen {
    name: Box<str>,
    count: i32,
    last: Instant,
}

/// The Events written in the last `SERIES_WINDOW`, by series key.
#[derive(Debug, Default)]
pub struct Recent {
    seen: HashMap<Box<str>, Seen>,
}

/// How to write the next Event of a series.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A new Event: none of this series was written in the window.
    Create,
    /// Count one more on the Event named `name`: `count` is its new count (2 for the first repeat,
    /// as the API's EventSeries counts the first occurrence too).
    Repeat { name: Box<str>, count: i32 },
}

impl Recent {
    pub fn next(&self, key: &str, now: Instant) -> Next {
        match self.seen.get(key) {
            Some(seen) if within_window(seen.last, now) => Next::Repeat {
                name: seen.name.clone(),
                count: seen.count.saturating_add(1),
            },
            _ => Next::Create,
        }
    }

    /// Remembers that the Event `name` of series `key` was written with `count` at `now`.
    pub fn written(&mut self, key: Box<str>, name: Box<str>, count: i32, now: Instant) {
        self.seen.insert(
            key,
            Seen {
                name,
                count,
                last: now,
            },
        );
    }

    /// Forgets the series past the window, and lets the map's room go once it is mostly empty
    /// (a burst, such as a first convergence, grows it). Returns how many were forgotten.
    pub fn forget_old(&mut self, now: Instant) -> usize {
        let before = self.seen.len();
        self.seen.retain(|_, seen| within_window(seen.last, now));
        if self.seen.len() < self.seen.capacity() / 4 {
            self.seen.shrink_to_fit();
        }
        before - self.seen.len()
    }
}

fn within_window(last: Instant, now: Instant) -> bool {
    now.saturating_duration_since(last) < SERIES_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str, resource_version: &str) -> ObjectReference {
        ObjectReference {
            api_version: Some("tripreports.dev/v1alpha1".into()),
            kind: Some("ConferenceReport".into()),
            namespace: Some("team-a".into()),
            name: Some(name.into()),
            uid: Some("0b7c".into()),
            resource_version: Some(resource_version.into()),
            ..ObjectReference::default()
        }
    }

    fn event(type_: EventType, reason: &str, note: &str) -> Event {
        Event {
            type_,
            reason: reason.into(),
            note: Some(note.into()),
            action: "Reconcile".into(),
            secondary: None,
        }
    }

    #[test]
    fn a_series_is_the_same_type_reason_and_object_version_whatever_the_note() {
        let warning = |reason, note, rv| {
            series_key(
                &event(EventType::Warning, reason, note),
                &reference("r", rv),
            )
        };
        assert_eq!(warning("Failed", "one", "7"), warning("Failed", "two", "7"));
        assert_ne!(warning("Failed", "one", "7"), warning("Other", "one", "7"));
        assert_ne!(warning("Failed", "one", "7"), warning("Failed", "one", "8"));
        assert_ne!(
            warning("Failed", "one", "7"),
            series_key(
                &event(EventType::Normal, "Failed", "one"),
                &reference("r", "7")
            )
        );
        // Fields are separated: "ab" + "c" is not "a" + "bc".
        assert_ne!(
            series_key(
                &event(EventType::Normal, "Failed", ""),
                &reference("ab", "c")
            ),
            series_key(
                &event(EventType::Normal, "Failed", ""),
                &reference("a", "bc")
            )
        );
    }

    #[test]
    fn a_repeat_in_the_window_counts_on_the_same_event_and_a_later_one_starts_anew() {
        let mut recent = Recent::default();
        let start = Instant::now();
        assert_eq!(recent.next("k", start), Next::Create);
        recent.written("k".into(), "r.1".into(), 1, start);
        let soon = start + Duration::from_secs(60);
        assert_eq!(
            recent.next("k", soon),
            Next::Repeat {
                name: "r.1".into(),
                count: 2
            }
        );
        recent.written("k".into(), "r.1".into(), 2, soon);
        // The window runs from the last repeat.
        let later = soon + SERIES_WINDOW - Duration::from_secs(1);
        assert_eq!(
            recent.next("k", later),
            Next::Repeat {
                name: "r.1".into(),
                count: 3
            }
        );
        assert_eq!(recent.next("k", soon + SERIES_WINDOW), Next::Create);
    }

    #[test]
    fn series_past_the_window_are_forgotten_and_their_room_let_go() {
        let mut recent = Recent::default();
        let start = Instant::now();
        for i in 0..1000 {
            recent.written(format!("old-{i}").into(), "n".into(), 1, start);
        }
        let now = start + SERIES_WINDOW;
        recent.written("new".into(), "n".into(), 1, now);
        assert_eq!(recent.forget_old(now), 1000);
        assert_eq!(recent.seen.len(), 1);
        assert!(recent.seen.capacity() < 100, "{}", recent.seen.capacity());
        assert_eq!(recent.forget_old(now), 0);
    }

    #[test]
    fn names_fit_in_253_characters_and_end_alphanumeric() {
        assert_eq!(event_name("kubecon-eu-2019", 255), "kubecon-eu-2019.ff");
        let long = format!("{}-.{}", "a".repeat(MAX_NAME_PREFIX - 2), "b".repeat(30));
        let name = event_name(&long, i128::from(u64::MAX));
        assert_eq!(name.len(), MAX_NAME_PREFIX - 2 + 17, "{name}");
        assert!(name.starts_with(&"a".repeat(MAX_NAME_PREFIX - 2)));
        assert!(name.ends_with(".ffffffffffffffff"));
    }
}
