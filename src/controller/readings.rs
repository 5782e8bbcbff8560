//! The reading of each report's body (`render::BodyReading`: the abstract, the language check,
//! the projects the body names), kept for the report's uid and generation. It is nearly all of a
//! rendering's cost and depends only on the spec, so the renders that follow with the same spec
//! do not repeat it: a recommendation added or changed, the hourly resync, the big red button's
//! release and a takeover (while a replica may not write, it reads ahead: `report::read_ahead`).
//! A few hundred bytes a report: the abstract's sentences and the projects' counts. Pure
//! bookkeeping: no I/O.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::{Resource, ResourceExt};

use super::memory::trim;
use crate::api::ConferenceReport;
use crate::render::BodyReading;

struct Entry {
    uid: String,
    generation: i64,
    reading: Arc<BodyReading>,
}

/// Each report's body reading, by the report's memo key.
#[derive(Default)]
pub struct Readings(Mutex<HashMap<String, Entry>>);

impl Readings {
    /// The reading of `report`'s body: the one kept for its uid and generation, or else `read`
    /// of it now, then kept (where the report has both; a report without them is read each
    /// time). Read outside the lock: other reports' renders do not wait for this one.
    pub fn reading(
        &self,
        key: &str,
        report: &ConferenceReport,
        read: impl FnOnce(&ConferenceReport) -> BodyReading,
    ) -> Arc<BodyReading> {
        let (Some(uid), Some(generation)) = (report.uid(), report.meta().generation) else {
            return Arc::new(read(report));
        };
        if let Ok(kept) = self.0.lock()
            && let Some(entry) = kept.get(key)
            && entry.uid == uid
            && entry.generation == generation
        {
            return entry.reading.clone();
        }
        let reading = Arc::new(read(report));
        if let Ok(mut kept) = self.0.lock() {
            let entry = Entry {
                uid,
                generation,
                reading: reading.clone(),
            };
            kept.insert(key.to_string(), entry);
        }
        reading
    }

    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        if let Ok(mut kept) = self.0.lock() {
            kept.retain(|key, _| live(key));
            trim(&mut kept);
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().map(|kept| kept.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn report(uid: &str, generation: i64, body: &str) -> ConferenceReport {
        let mut report: ConferenceReport = serde_json::from_value(serde_json::json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
            "metadata": {"name": "r", "namespace": "ns", "uid": uid, "generation": generation},
            "spec": {"title": "T", "conference": {"name": "C", "year": 2019},
                     "author": {"name": "A"}, "language": "en", "body": body}
        }))
        .unwrap_or_else(|e| panic!("a report: {e}"));
        report.meta_mut().generation = Some(generation);
        report
    }

    #[test]
    fn a_body_is_read_once_per_uid_and_generation() {
        let readings = Readings::default();
        let reads = Cell::new(0);
        let read = |r: &ConferenceReport| {
            reads.set(reads.get() + 1);
            BodyReading::of(&r.spec)
        };
        let first = report("u1", 1, "Flux and Argo CD were everywhere.");
        let a = readings.reading("k", &first, read);
        let b = readings.reading("k", &first, read);
        assert_eq!(reads.get(), 1, "the same generation is read once");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, BodyReading::of(&first.spec));

        let edited = report("u1", 2, "Prometheus was everywhere.");
        let c = readings.reading("k", &edited, read);
        assert_eq!(reads.get(), 2, "a new generation is read again");
        assert_eq!(*c, BodyReading::of(&edited.spec));

        let recreated = report("u2", 2, "Flux and Argo CD were everywhere.");
        let d = readings.reading("k", &recreated, read);
        assert_eq!(
            reads.get(),
            3,
            "a report made anew under the same name is read again"
        );
        assert_eq!(*d, BodyReading::of(&recreated.spec));

        readings.retain(|key| key != "k");
        assert_eq!(readings.len(), 0);
    }
}
