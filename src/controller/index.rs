//! Which recommendations name which report, kept beside the recommendations' cache. A report's
//! reconcile and the mapping of a report's change to its recommendations look their
//! recommendations up here instead of scanning the whole cache: with N reports and 3N
//! recommendations a scan per report is O(N²), 52 s of CPU at N = 10,000 (docs/benchmarks.md).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use crate::api::TalkRecommendation;

/// A (namespace, name) pair, hashed: the index holds one string per recommendation, its name,
/// and no copies of keys (which were most of its size, 0.9 KiB a report at N = 2,000). Two
/// pairs with the same hash would share a list; `recommendations` reads each one's report from
/// the cache, so that costs a lookup, never a wrong answer.
type Key = u64;

fn key(namespace: &str, name: &str) -> Key {
    super::memory::hash64(&(namespace, name))
}

#[derive(Default)]
struct Inner {
    /// (namespace, report name) to the names of the recommendations naming it, in order.
    by_report: HashMap<Key, Vec<String>>,
    /// (namespace, recommendation name) to the (namespace, report name) it names.
    report_of: HashMap<Key, Key>,
}

impl Inner {
    fn insert(&mut self, rec: &TalkRecommendation) {
        let namespace = rec.namespace().unwrap_or_default();
        let name = rec.name_any();
        let report = key(&namespace, &rec.spec.report_ref.name);
        if let Some(old) = self.report_of.insert(key(&namespace, &name), report) {
            if old == report {
                return;
            }
            self.forget(old, &name);
        }
        let names = self.by_report.entry(report).or_default();
        if let Err(at) = names.binary_search(&name) {
            names.insert(at, name);
        }
    }

    fn remove(&mut self, rec: &TalkRecommendation) {
        let namespace = rec.namespace().unwrap_or_default();
        let name = rec.name_any();
        if let Some(report) = self.report_of.remove(&key(&namespace, &name)) {
            self.forget(report, &name);
        }
    }

    fn forget(&mut self, report: Key, name: &str) {
        if let Some(names) = self.by_report.get_mut(&report) {
            if let Ok(at) = names.binary_search_by(|n| n.as_str().cmp(name)) {
                names.remove(at);
            }
            if names.is_empty() {
                self.by_report.remove(&report);
            }
        }
    }
}

/// Cheap to clone: every clone is the same index.
#[derive(Clone, Default)]
pub struct RecommendationIndex(Arc<RwLock<Inner>>);

impl RecommendationIndex {
    /// Follows one event of the recommendations' watch, after the cache has taken it. A (re)list
    /// is taken whole at its end (`InitDone`), from the cache, which then holds the new list.
    pub fn observe(
        &self,
        event: &watcher::Event<TalkRecommendation>,
        cache: &Store<TalkRecommendation>,
    ) {
        let Ok(mut inner) = self.0.write() else {
            return;
        };
        match event {
            watcher::Event::Apply(rec) => inner.insert(rec),
            watcher::Event::Delete(rec) => inner.remove(rec),
            watcher::Event::InitDone => {
                *inner = Inner::default();
                for rec in cache.state() {
                    inner.insert(&rec);
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    /// The recommendations in `namespace` that name the report `report`, by name order (and,
    /// were two keys' hashes ever equal, those of the other key too).
    pub fn names(&self, namespace: &str, report: &str) -> Vec<String> {
        self.0
            .read()
            .ok()
            .and_then(|inner| inner.by_report.get(&key(namespace, report)).cloned())
            .unwrap_or_default()
    }

    /// Those recommendations as the cache holds them (any the cache no longer has are left out).
    pub fn recommendations(
        &self,
        cache: &Store<TalkRecommendation>,
        namespace: &str,
        report: &str,
    ) -> Vec<Arc<TalkRecommendation>> {
        self.names(namespace, report)
            .into_iter()
            .filter_map(|name| cache.get(&ObjectRef::new(&name).within(namespace)))
            .filter(|rec| rec.spec.report_ref.name == report)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::reflector;
    use serde_json::json;

    fn rec(name: &str, report: &str) -> TalkRecommendation {
        serde_json::from_value(json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
            "metadata": {"name": name, "namespace": "team"},
            "spec": {"reportRef": {"name": report}, "talk": {"title": "A talk"}, "rating": 3,
                     "reason": "Worth it."}
        }))
        .expect("a recommendation")
    }

    #[test]
    fn follows_applies_deletions_moves_and_relists() {
        let (cache, mut writer) = reflector::store::<TalkRecommendation>();
        let index = RecommendationIndex::default();
        let mut event = |e: watcher::Event<TalkRecommendation>| {
            writer.apply_watcher_event(&e);
            index.observe(&e, &cache);
        };
        event(watcher::Event::Init);
        event(watcher::Event::InitDone);
        event(watcher::Event::Apply(rec("b", "kubecon")));
        event(watcher::Event::Apply(rec("a", "kubecon")));
        event(watcher::Event::Apply(rec("c", "devconf")));
        assert_eq!(index.names("team", "kubecon"), ["a", "b"]);
        assert_eq!(index.names("other", "kubecon"), Vec::<String>::new());
        event(watcher::Event::Apply(rec("b", "devconf")));
        assert_eq!(index.names("team", "kubecon"), ["a"]);
        assert_eq!(index.names("team", "devconf"), ["b", "c"]);
        event(watcher::Event::Delete(rec("c", "devconf")));
        assert_eq!(index.names("team", "devconf"), ["b"]);
        assert_eq!(
            index
                .recommendations(&cache, "team", "devconf")
                .iter()
                .map(|r| r.name_any())
                .collect::<Vec<_>>(),
            ["b"]
        );
        // A relist replaces everything: "a" disappeared meanwhile, "d" appeared.
        event(watcher::Event::Init);
        event(watcher::Event::InitApply(rec("b", "devconf")));
        event(watcher::Event::InitApply(rec("d", "kubecon")));
        event(watcher::Event::InitDone);
        assert_eq!(index.names("team", "kubecon"), ["d"]);
        assert_eq!(index.names("team", "devconf"), ["b"]);
        // Were the index ever wrong (two keys of the same hash), the cache has the last word.
        writer.apply_watcher_event(&watcher::Event::Apply(rec("b", "kubecon")));
        assert_eq!(index.names("team", "devconf"), ["b"]);
        assert!(index.recommendations(&cache, "team", "devconf").is_empty());
    }
}
