//! What each report's last reconcile decided about its recommendations: whether its summary
//! lists them, left them out, or is not being written (the report is suspended, invalid, or its
//! summary failed). A recommendation's Ready condition is judged from here, so that it says
//! only what is true of the summary. Kept in memory, filled by the report reconciles (which
//! run for every report at start-up and on every takeover) and pruned to the live reports.
//! Pure: no I/O.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

pub use crate::decide::recommendation::Verdict;

/// A report's state, as far as its recommendations are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Suspended,
    Invalid,
    /// The summary could not be published; the refusal as the report's condition says it.
    Failed(String),
    Published {
        config_map: String,
        /// The recommendations the summary lists.
        listed: ByName<()>,
        shown: usize,
        total: usize,
    },
}

/// One report's entry: which report (uid and generation) it describes, and the generation of
/// each valid recommendation its rendering took in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub uid: String,
    pub generation: Option<i64>,
    pub considered: ByName<Option<i64>>,
    pub state: State,
}

/// A small map from recommendation names, as a sorted vector: a report's lists are mostly a
/// few names, and a B-tree leaf keeps room for 11 however few there are, a hash table for a
/// power of two (about 1 KiB a report in all, docs/benchmarks.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByName<V>(Vec<(String, V)>);

impl<V> ByName<V> {
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|at| &self.0[at].1)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(n, _)| n)
    }
}

impl<V> FromIterator<(String, V)> for ByName<V> {
    /// The last value given for a name wins, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, V)>>(pairs: I) -> Self {
        let mut pairs: Vec<(String, V)> = pairs.into_iter().collect();
        pairs.reverse();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, earlier| later.0 == earlier.0);
        pairs.shrink_to_fit();
        Self(pairs)
    }
}

impl FromIterator<String> for ByName<()> {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> Self {
        names.into_iter().map(|n| (n, ())).collect()
    }
}

/// (namespace, report name).
type Key = (String, String);

#[derive(Default)]
pub struct Listings {
    entries: RwLock<HashMap<Key, Entry>>,
}

/// Which recommendations of a report may now judge differently.
#[derive(Debug, PartialEq, Eq)]
pub enum Changed {
    None,
    /// These, by name.
    Some(Vec<String>),
    /// Every recommendation of the report.
    All,
}

impl Listings {
    /// Records a report's entry and says whose verdict may have changed.
    pub fn set(&self, namespace: &str, report: &str, entry: Entry) -> Changed {
        let Ok(mut entries) = self.entries.write() else {
            return Changed::All;
        };
        let key = (namespace.to_string(), report.to_string());
        let old = entries.insert(key, entry.clone());
        match old {
            Some(old) if old == entry => Changed::None,
            Some(old)
                if old.uid == entry.uid
                    && old.generation == entry.generation
                    && same_kind(&old.state, &entry.state) =>
            {
                let names: BTreeSet<&String> = old
                    .considered
                    .names()
                    .chain(entry.considered.names())
                    .collect();
                let changed: Vec<String> = names
                    .into_iter()
                    // A recommendation waiting for a rendering of its new generation must hear
                    // of it even when its verdict stays the same.
                    .filter(|name| {
                        judge(&old, name) != judge(&entry, name)
                            || old.considered.get(name) != entry.considered.get(name)
                    })
                    .cloned()
                    .collect();
                Changed::Some(changed)
            }
            _ => Changed::All,
        }
    }

    /// The verdict for the recommendation `rec` (at `rec_generation`) on the report
    /// `namespace/report` as the cache shows it (`uid`, `generation`).
    pub fn verdict(
        &self,
        namespace: &str,
        report: &str,
        uid: &str,
        generation: Option<i64>,
        rec: &str,
        rec_generation: Option<i64>,
    ) -> Verdict {
        let Ok(entries) = self.entries.read() else {
            return Verdict::Wait;
        };
        let Some(entry) = entries.get(&(namespace.to_string(), report.to_string())) else {
            return Verdict::Wait;
        };
        if entry.uid != uid || entry.generation != generation {
            return Verdict::Wait;
        }
        match &entry.state {
            State::Suspended | State::Invalid | State::Failed(_) => judge(entry, rec),
            State::Published { .. } => match entry.considered.get(rec) {
                Some(seen) if *seen == rec_generation => judge(entry, rec),
                _ => Verdict::Wait,
            },
        }
    }

    pub fn retain(&self, live: impl Fn(&str, &str) -> bool) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|(namespace, name), _| live(namespace, name));
            super::memory::trim(&mut entries);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or_default()
    }
}

fn same_kind(a: &State, b: &State) -> bool {
    match (a, b) {
        (State::Published { config_map: x, .. }, State::Published { config_map: y, .. }) => x == y,
        _ => a == b,
    }
}

fn judge(entry: &Entry, rec: &str) -> Verdict {
    match &entry.state {
        State::Suspended => Verdict::Suspended,
        State::Invalid => Verdict::Invalid,
        State::Failed(message) => Verdict::Failed(message.clone()),
        State::Published {
            config_map,
            listed,
            shown,
            total,
        } => {
            if listed.contains(rec) {
                Verdict::Listed {
                    config_map: config_map.clone(),
                }
            } else if entry.considered.contains(rec) {
                Verdict::LeftOut {
                    config_map: config_map.clone(),
                    shown: *shown,
                    total: *total,
                }
            } else {
                Verdict::Wait
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(listed: &[&str], considered: &[(&str, i64)]) -> Entry {
        Entry {
            uid: "u1".into(),
            generation: Some(1),
            considered: considered
                .iter()
                .map(|(n, g)| (n.to_string(), Some(*g)))
                .collect(),
            state: State::Published {
                config_map: "r-summary".into(),
                listed: listed.iter().map(|n| n.to_string()).collect(),
                shown: listed.len(),
                total: considered.len(),
            },
        }
    }

    #[test]
    fn by_name_finds_each_name_and_keeps_its_last_value() {
        let seen: ByName<Option<i64>> = [("b", 1), ("a", 2), ("c", 3), ("a", 4)]
            .into_iter()
            .map(|(n, g)| (n.to_string(), Some(g)))
            .collect();
        assert_eq!(seen.names().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(seen.get("a"), Some(&Some(4)));
        assert_eq!(seen.get("c"), Some(&Some(3)));
        assert_eq!(seen.get("d"), None);
        let listed: ByName<()> = ["z".to_string(), "y".to_string()].into_iter().collect();
        assert!(listed.contains("y") && listed.contains("z") && !listed.contains("x"));
    }

    #[test]
    fn a_recommendation_waits_for_a_rendering_of_itself_as_it_is() {
        let listings = Listings::default();
        let v = |rec: &str, g: i64| listings.verdict("ns", "r", "u1", Some(1), rec, Some(g));
        assert_eq!(v("a", 1), Verdict::Wait, "no entry yet");
        listings.set("ns", "r", published(&["a"], &[("a", 1), ("b", 1)]));
        assert_eq!(
            v("a", 1),
            Verdict::Listed {
                config_map: "r-summary".into()
            }
        );
        assert_eq!(
            v("b", 1),
            Verdict::LeftOut {
                config_map: "r-summary".into(),
                shown: 1,
                total: 2
            }
        );
        assert_eq!(v("a", 2), Verdict::Wait, "a newer generation than rendered");
        assert_eq!(v("c", 1), Verdict::Wait, "not rendered at all yet");
        assert_eq!(
            listings.verdict("ns", "r", "u2", Some(1), "a", Some(1)),
            Verdict::Wait,
            "another report of the same name"
        );
        assert_eq!(
            listings.verdict("ns", "r", "u1", Some(2), "a", Some(1)),
            Verdict::Wait,
            "the report changed since"
        );
    }

    #[test]
    fn a_report_not_written_tells_every_recommendation_at_once() {
        let listings = Listings::default();
        listings.set("ns", "r", published(&["a"], &[("a", 1)]));
        let mut failed = published(&[], &[]);
        failed.state = State::Failed("too large".into());
        assert_eq!(listings.set("ns", "r", failed), Changed::All);
        assert_eq!(
            listings.verdict("ns", "r", "u1", Some(1), "z", Some(9)),
            Verdict::Failed("too large".into())
        );
    }

    #[test]
    fn only_the_recommendations_whose_verdict_changed_are_named() {
        let listings = Listings::default();
        listings.set("ns", "r", published(&["a", "b"], &[("a", 1), ("b", 1)]));
        assert_eq!(
            listings.set("ns", "r", published(&["a", "b"], &[("a", 1), ("b", 1)])),
            Changed::None
        );
        // c arrives and pushes b out.
        assert_eq!(
            listings.set(
                "ns",
                "r",
                published(&["a", "c"], &[("a", 1), ("b", 1), ("c", 1)])
            ),
            Changed::Some(vec!["b".into(), "c".into()])
        );
        // a is edited: still listed, but it waits for the rendering of its new generation.
        assert_eq!(
            listings.set(
                "ns",
                "r",
                published(&["a", "c"], &[("a", 2), ("b", 1), ("c", 1)])
            ),
            Changed::Some(vec!["a".into()])
        );
        listings.retain(|_, name| name != "r");
        assert_eq!(listings.len(), 0);
    }
}
