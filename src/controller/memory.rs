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
}
