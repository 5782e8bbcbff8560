//! Report bodies, held only until their report is rendered. A body is most of a report's size
//! (up to 32 KiB), and the operator needs it only to render the summary. The watch takes each
//! body out of the report before it is cached and keeps it here; once the report's current
//! generation is rendered, the body is let go. A later render of the same generation (one of
//! its recommendations changed, the hourly resync) reads the report from the API server again.
//! A new generation arrives with its body through the watch, so converging never reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::Resource;

use crate::api::ConferenceReport;

enum Body {
    /// The report's body (None where it has none), waiting for its render.
    Held(Option<Arc<str>>),
    /// This generation was rendered; its body is read from the API server if needed again.
    Released,
}

struct Entry {
    generation: Option<i64>,
    body: Body,
}

/// Each report's body, by the report's memo key, for the generation that brought it.
#[derive(Default)]
pub struct Bodies(Mutex<HashMap<String, Entry>>);

impl Bodies {
    /// Takes the body out of a report the watch brings, before it is cached. It is kept unless
    /// this generation's is already here or was released: a status write echoes through the
    /// watch with the same spec, and must not bring back what was let go.
    pub fn take(&self, key: String, report: &mut ConferenceReport) {
        let body = report.spec.body.take();
        let generation = report.meta().generation;
        let Ok(mut entries) = self.0.lock() else {
            // A poisoned memo holds nothing: every render then reads its report.
            return;
        };
        match entries.get(&key) {
            Some(entry) if entry.generation == generation => {}
            _ => {
                let body = Body::Held(body.map(Arc::from));
                entries.insert(key, Entry { generation, body });
            }
        }
    }

    /// The body of the report at `generation`, if it is held: `Some(None)` for a report with
    /// no body, `None` when it must be read from the API server.
    pub fn get(&self, key: &str, generation: Option<i64>) -> Option<Option<Arc<str>>> {
        let entries = self.0.lock().ok()?;
        match entries.get(key) {
            Some(Entry {
                generation: held,
                body: Body::Held(body),
            }) if *held == generation => Some(body.clone()),
            _ => None,
        }
    }

    /// Lets go of the body of `generation`, rendered. A newer one, already taken from the
    /// watch, stays: its render is still to come.
    pub fn release(&self, key: &str, generation: Option<i64>) {
        if let Ok(mut entries) = self.0.lock()
            && let Some(entry) = entries.get_mut(key)
            && entry.generation == generation
        {
            entry.body = Body::Released;
        }
    }

    /// Keeps only the reports for which `exists` holds.
    pub fn retain(&self, exists: impl Fn(&str) -> bool) {
        if let Ok(mut entries) = self.0.lock() {
            entries.retain(|key, _| exists(key));
            super::memory::trim(&mut entries);
        }
    }

    /// How many bodies are held, waiting for a render.
    pub fn held(&self) -> usize {
        self.0.lock().map_or(0, |entries| {
            entries
                .values()
                .filter(|e| matches!(e.body, Body::Held(_)))
                .count()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(generation: i64, body: &str) -> ConferenceReport {
        serde_json::from_value(json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
            "metadata": {"name": "kubecon", "namespace": "team", "generation": generation},
            "spec": {"title": "KubeCon", "language": "en", "author": {"name": "Ana"},
                     "body": body, "conference": {"name": "KubeCon", "year": 2019},
                     "review": {"requiredApprovals": 0}}
        }))
        .expect("a report")
    }

    #[test]
    fn a_body_leaves_the_cached_report_and_is_held_until_released() {
        let bodies = Bodies::default();
        let mut cached = report(1, "We went to Barcelona.");
        bodies.take("k".into(), &mut cached);
        assert_eq!(cached.spec.body, None, "the cache never holds a body");
        assert_eq!(
            bodies.get("k", Some(1)).flatten().as_deref(),
            Some("We went to Barcelona.")
        );
        assert_eq!(bodies.held(), 1);
        assert_eq!(bodies.get("k", Some(2)), None, "only for its generation");

        bodies.release("k", Some(1));
        assert_eq!(bodies.get("k", Some(1)), None, "read again when needed");
        assert_eq!(bodies.held(), 0);
    }

    #[test]
    fn the_echo_of_a_status_write_does_not_bring_a_released_body_back() {
        let bodies = Bodies::default();
        bodies.take("k".into(), &mut report(1, "First."));
        bodies.release("k", Some(1));
        let mut echo = report(1, "First.");
        bodies.take("k".into(), &mut echo);
        assert_eq!(echo.spec.body, None);
        assert_eq!(bodies.held(), 0);
    }

    #[test]
    fn a_new_generation_is_held_and_an_older_release_leaves_it() {
        let bodies = Bodies::default();
        bodies.take("k".into(), &mut report(1, "First."));
        bodies.take("k".into(), &mut report(2, "Second."));
        // The render of generation 1 ends after generation 2 arrived.
        bodies.release("k", Some(1));
        assert_eq!(
            bodies.get("k", Some(2)).flatten().as_deref(),
            Some("Second.")
        );
        bodies.retain(|key| key != "k");
        assert_eq!(bodies.held(), 0, "a deleted report's body goes");
    }
}
