//! What the operator wrote and has not yet seen come back through its watch. Pure bookkeeping:
//! no I/O.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use super::cached_summary::CachedSummary;
use super::context::key;
use super::memory::{Fingerprint, trim};

/// What the operator wrote, per written object: a status ("Kind/namespace/name") or a summary
/// ("ConfigMap/namespace/name"). One job: while the cache may still show an object as it was
/// before the operator's write, to know that this very write was made, so it is not made twice;
/// and to tell the write's own watch event (its echo) from someone else's change. An entry ends
/// once the cache shows the object past the write, so at rest the table is empty; one whose echo
/// never came goes with the object it belongs to (a status its own, a summary its report).
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
    state: State,
}

enum State {
    /// Sent and not yet answered. Its echo can arrive before its answer; then only its content
    /// tells it from someone else's change.
    Sent { content: Fingerprint, echoed: bool },
    /// Answered: the write produced this resourceVersion.
    Made { produced: String },
}

impl Written {
    /// Whether exactly this was written over the view `seen` the cache still shows.
    pub fn already(&self, key: &str, seen: &str, digest: &Fingerprint) -> bool {
        self.lock(|writes| {
            writes
                .get(key)
                .is_some_and(|w| w.seen == seen && w.digest == *digest)
        })
        .unwrap_or(false)
    }

    /// A write about to be sent whose echo shows `content` (a summary's: `echo` needs it).
    pub fn sending(
        &self,
        key: String,
        owner: String,
        seen: String,
        digest: Fingerprint,
        content: Fingerprint,
    ) {
        let state = State::Sent {
            content,
            echoed: false,
        };
        self.lock(|writes| {
            writes.insert(
                key,
                Write {
                    owner,
                    seen,
                    digest,
                    state,
                },
            )
        });
    }

    /// The write was answered: it produced `produced`. If its echo has come already, nothing is
    /// left to expect. A status's entry ends too if `cache_moved` says the cache shows the object
    /// past `seen`: its observer, which only ends entries, may have run. (`cache_moved` is asked
    /// under this memo's lock, which `echo` and `arrived` take after the cache is updated: an
    /// echo is either seen there or finds the entry.) A summary sent and not yet echoed keeps its
    /// entry even then: its observer runs in another task, after the cache, and must still tell
    /// the echo as the operator's own.
    pub fn wrote(
        &self,
        key: String,
        owner: String,
        seen: String,
        digest: Fingerprint,
        produced: String,
        cache_moved: impl FnOnce() -> bool,
    ) {
        self.lock(|writes| {
            let (echoed, observed_later) = match writes.get(&key).map(|w| &w.state) {
                Some(State::Sent { echoed, .. }) => (*echoed, !*echoed),
                _ => (false, false),
            };
            if echoed || (!observed_later && cache_moved()) {
                writes.remove(&key);
            } else {
                let state = State::Made { produced };
                writes.insert(
                    key,
                    Write {
                        owner,
                        seen,
                        digest,
                        state,
                    },
                );
            }
        });
    }

    /// The write failed: nothing of it is to come back.
    pub fn failed(&self, key: &str) {
        self.lock(|writes| writes.remove(key));
    }

    /// An event about `key` reached the cache, which now shows the object at `version` with
    /// `content` (none: it was deleted). True when the event is the operator's own write coming
    /// back: the answered write's resourceVersion, or, before the answer, the content it sends.
    /// A deletion never is. An answered write's entry ends with any event.
    pub fn echo(
        &self,
        key: &str,
        version: Option<&str>,
        content: impl FnOnce() -> Option<Fingerprint>,
    ) -> bool {
        self.lock(|writes| match writes.get_mut(key).map(|w| &mut w.state) {
            None => false,
            Some(State::Sent {
                content: sent,
                echoed,
            }) => {
                let own = content() == Some(*sent);
                *echoed |= own;
                own
            }
            Some(State::Made { produced }) => {
                let own = version.is_some_and(|v| v == produced);
                writes.remove(key);
                own
            }
        })
        .unwrap_or(false)
    }

    /// Whether the event that brought `summary` into `cache` is the operator's own apply of it
    /// coming back (see `echo`). The cache no longer holds a deleted summary: it has no content.
    pub fn summary_echo(&self, cache: &Store<CachedSummary>, summary: &CachedSummary) -> bool {
        let content = || {
            cache
                .get(&ObjectRef::from_obj(summary))
                .map(|_| summary.content())
        };
        self.echo(
            &key("ConfigMap", summary),
            summary.resource_version().as_deref(),
            content,
        )
    }

    /// An event about `key` reached the cache: an answered write's entry ends.
    pub fn arrived(&self, key: &str) {
        self.lock(|writes| {
            if writes
                .get(key)
                .is_some_and(|w| matches!(w.state, State::Made { .. }))
            {
                writes.remove(key);
            }
        });
    }

    /// Drops the entries of objects that are gone (an echo that never came, a relist that
    /// skipped it, a status whose object was deleted).
    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        self.lock(|writes| {
            writes.retain(|_, w| live(&w.owner));
            trim(writes);
        });
    }

    pub fn len(&self) -> usize {
        self.lock(|writes| writes.len()).unwrap_or_default()
    }

    /// `f` over the table; `None` if a holder of the lock panicked.
    fn lock<T>(&self, f: impl FnOnce(&mut HashMap<String, Write>) -> T) -> Option<T> {
        self.writes.lock().ok().map(|mut writes| f(&mut writes))
    }
}

/// An observer of a kind's watch (`watches::fan_out`), called once the cache holds the event:
/// an object's change or deletion ends what was expected of the operator's status write to it.
pub fn arrivals<K>(
    written: &Arc<Written>,
) -> impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static
where
    K: Resource<DynamicType = ()>,
{
    let written = written.clone();
    move |event, _| {
        if let watcher::Event::Apply(object) | watcher::Event::Delete(object) = event {
            written.arrived(&key(&K::kind(&()), object));
        }
    }
}

#[cfg(test)]
mod tests;
