//! What the operator remembers between reconciles, per object, so that it neither repeats a
//! write that was refused nor says the same Warning twice. Every memo is keyed by the object
//! ("Kind/namespace/name") and pruned to the live objects (`retain`), so memory stays
//! proportional to what exists. Pure bookkeeping: no I/O.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// A memo's table after its entries are pruned. A hash map keeps the room it grew to: a memo
/// that held an entry for every object while converging (each written status waits for its
/// echo) would hold that table for good, about a KiB per report (docs/benchmarks.md).
pub fn trim<K: Eq + Hash, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 64 && map.capacity() > 4 * map.len() {
        map.shrink_to(2 * map.len());
    }
}

/// A 64-bit hash, where a table keeps only whether something changed or which key it was: far
/// smaller than the strings it stands for. Not a digest: equal hashes may come from different
/// values, so it never decides a write on its own.
pub fn hash64<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A digest of everything a write depends on: the same inputs give the same fingerprint.
pub type Fingerprint = [u8; 32];

pub fn fingerprint(parts: &[&[u8]]) -> Fingerprint {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Writes refused for good: per object and per kind of write, the fingerprint of the inputs
/// that were refused and how the refusal read. The same write over the same inputs is not sent
/// again (it would fail the same way); new inputs or a requested-at make a new fingerprint.
#[derive(Default)]
pub struct Refusals {
    refused: Mutex<HashMap<WriteOf, Refused>>,
}

/// An object's key and the kind of write.
type WriteOf = (String, &'static str);

/// The fingerprint of the refused inputs, and the refusal's message.
type Refused = (Fingerprint, String);

impl Refusals {
    /// The refusal's message, if exactly this write was refused before.
    pub fn refused_before(
        &self,
        key: &str,
        write: &'static str,
        inputs: &Fingerprint,
    ) -> Option<String> {
        let refused = self.refused.lock().ok()?;
        refused
            .get(&(key.to_string(), write))
            .filter(|(f, _)| f == inputs)
            .map(|(_, message)| message.clone())
    }

    pub fn refused(&self, key: &str, write: &'static str, inputs: Fingerprint, message: String) {
        if let Ok(mut refused) = self.refused.lock() {
            refused.insert((key.to_string(), write), (inputs, message));
        }
    }

    /// A write went through: what was refused before no longer describes the object.
    pub fn accepted(&self, key: &str, write: &'static str) {
        if let Ok(mut refused) = self.refused.lock() {
            refused.remove(&(key.to_string(), write));
        }
    }

    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        if let Ok(mut refused) = self.refused.lock() {
            refused.retain(|(key, _), _| live(key));
            trim(&mut refused);
        }
    }

    pub fn len(&self) -> usize {
        self.refused.lock().map(|r| r.len()).unwrap_or_default()
    }
}

/// The Warnings said about each object in its current generation: one Warning per distinct
/// problem (reason and message) per generation, however often the reconcile is retried.
#[derive(Default)]
pub struct Warnings {
    said: Mutex<HashMap<String, Said>>,
}

/// The generation the Warnings were said in, and a hash of each (reason, message).
type Said = (Option<i64>, HashSet<u64>);

impl Warnings {
    /// Whether this Warning is new for the object's generation; if so, it counts as said.
    pub fn first_time(
        &self,
        key: &str,
        generation: Option<i64>,
        reason: &str,
        message: &str,
    ) -> bool {
        let problem = hash64(&(reason, message));
        let Ok(mut said) = self.said.lock() else {
            return true;
        };
        let entry = said.entry(key.to_string()).or_default();
        if entry.0 != generation {
            *entry = (generation, HashSet::new());
        }
        entry.1.insert(problem)
    }

    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        if let Ok(mut said) = self.said.lock() {
            said.retain(|key, _| live(key));
            trim(&mut said);
        }
    }

    pub fn len(&self) -> usize {
        self.said.lock().map(|s| s.len()).unwrap_or_default()
    }
}

/// What the operator wrote, per written object: a status ("Kind/namespace/name") or a summary
/// ("ConfigMap/namespace/name"). One job: while the cache may still show an object as it was
/// before the operator's write, to know that this very write was made, so it is not made twice;
/// and to tell the write's own watch event (its echo) from someone else's change. Each entry
/// names the object it belongs to (a status its own, a summary its report), and goes with it.
#[derive(Default)]
pub struct Written {
    writes: Mutex<HashMap<String, Write>>,
}

struct Write {
    /// The object whose life bounds this entry's.
    owner: String,
    /// The resourceVersion the cache showed when the write was made (empty if absent).
    seen: String,
    /// What was written.
    digest: Fingerprint,
    /// The resourceVersion the write produced.
    produced: String,
}

impl Written {
    /// Whether exactly this was written over the view `seen` the cache still shows.
    pub fn already(&self, key: &str, seen: &str, digest: &Fingerprint) -> bool {
        self.writes.lock().is_ok_and(|w| {
            w.get(key)
                .is_some_and(|w| w.seen == seen && w.digest == *digest)
        })
    }

    pub fn wrote(
        &self,
        key: String,
        owner: String,
        seen: String,
        digest: Fingerprint,
        produced: String,
    ) {
        if let Ok(mut writes) = self.writes.lock() {
            let write = Write {
                owner,
                seen,
                digest,
                produced,
            };
            writes.insert(key, write);
        }
    }

    /// An event about `key` reached the cache, which now shows the object as it is: the entry
    /// ends. True when the event is the operator's own write coming back.
    pub fn echo(&self, key: &str, version: Option<&str>) -> bool {
        let Ok(mut writes) = self.writes.lock() else {
            return false;
        };
        writes
            .remove(key)
            .is_some_and(|w| version.is_some_and(|v| v == w.produced))
    }

    /// Drops the entries of objects that are gone (an echo that never came, a relist that
    /// skipped it, a status whose object was deleted).
    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        if let Ok(mut writes) = self.writes.lock() {
            writes.retain(|_, w| live(&w.owner));
            trim(&mut writes);
        }
    }

    pub fn len(&self) -> usize {
        self.writes.lock().map(|w| w.len()).unwrap_or_default()
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.writes.lock().map(|w| w.capacity()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_holds_for_the_same_inputs_only() {
        let refusals = Refusals::default();
        let a = fingerprint(&[b"ab", b"c"]);
        let b = fingerprint(&[b"a", b"bc"]);
        assert_ne!(a, b);
        refusals.refused("R/ns/x", "summary", a, "too large".into());
        assert_eq!(
            refusals.refused_before("R/ns/x", "summary", &a).as_deref(),
            Some("too large")
        );
        assert_eq!(refusals.refused_before("R/ns/x", "summary", &b), None);
        assert_eq!(refusals.refused_before("R/ns/x", "status", &a), None);
        refusals.accepted("R/ns/x", "summary");
        assert_eq!(refusals.refused_before("R/ns/x", "summary", &a), None);
        refusals.refused("R/ns/x", "summary", a, "x".into());
        refusals.refused("R/ns/y", "summary", a, "x".into());
        refusals.retain(|key| key == "R/ns/y");
        assert_eq!(refusals.len(), 1);
    }

    #[test]
    fn a_warning_is_said_once_per_problem_per_generation() {
        let warnings = Warnings::default();
        assert!(warnings.first_time("k", Some(1), "Forbidden", "m"));
        assert!(!warnings.first_time("k", Some(1), "Forbidden", "m"));
        assert!(warnings.first_time("k", Some(1), "Forbidden", "other"));
        assert!(warnings.first_time("k", Some(2), "Forbidden", "m"));
        assert!(warnings.first_time("j", Some(2), "Forbidden", "m"));
        warnings.retain(|key| key == "j");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn writes_are_known_over_the_view_they_were_made_on_tell_echoes_and_go_with_their_owner() {
        let written = Written::default();
        let (d1, d2) = (fingerprint(&[b"1"]), fingerprint(&[b"2"]));
        let summary = || "ConfigMap/ns/a-summary".to_string();
        written.wrote(summary(), "R/ns/a".into(), "".into(), d1, "7".into());
        assert!(written.already(&summary(), "", &d1));
        assert!(!written.already(&summary(), "", &d2));
        assert!(!written.already(&summary(), "7", &d1), "a newer view");
        assert!(written.echo(&summary(), Some("7")), "its own write");
        assert!(!written.already(&summary(), "", &d1), "the echo ends it");
        written.wrote(summary(), "R/ns/a".into(), "7".into(), d2, "9".into());
        assert!(!written.echo(&summary(), Some("8")), "someone else's edit");
        assert_eq!(written.len(), 0);
        written.wrote(summary(), "R/ns/a".into(), "9".into(), d1, "10".into());
        written.wrote("R/ns/b".into(), "R/ns/b".into(), "3".into(), d1, "4".into());
        written.retain(|owner| owner == "R/ns/b");
        assert_eq!(written.len(), 1);
        assert!(written.already("R/ns/b", "3", &d1));
    }

    /// Converging writes every status and summary at once, and each entry goes with its echo:
    /// the table that held them all must not stay that large for good.
    #[test]
    fn a_memo_lets_go_of_the_room_a_burst_took() {
        let written = Written::default();
        let d = fingerprint(&[b"1"]);
        for i in 0..10_000 {
            let key = format!("R/ns/{i}");
            written.wrote(key.clone(), key, "1".into(), d, "2".into());
        }
        for i in 0..10_000 {
            assert!(written.echo(&format!("R/ns/{i}"), Some("2")));
        }
        written.wrote("R/ns/a".into(), "R/ns/a".into(), "1".into(), d, "2".into());
        written.retain(|_| true);
        assert_eq!(written.len(), 1);
        assert!(written.capacity() < 100, "{}", written.capacity());
        assert!(written.already("R/ns/a", "1", &d));
    }
}
