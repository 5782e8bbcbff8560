//! The allocator's own account of the heap. RSS alone cannot tell what the operator holds from
//! pages the allocator keeps around half-used (fragmentation) or for its own books; jemalloc can,
//! and the operator exports it as `tripreport_heap_bytes` (docs/operations.md).

/// jemalloc's counters, in bytes, as of the last [`read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heap {
    /// Held by the operator: the sum of its live allocations.
    pub allocated: u64,
    /// In pages that hold at least one live allocation: `allocated` plus the free room in them.
    pub active: u64,
    /// Mapped and resident: active pages, the allocator's metadata, and freed pages not yet
    /// returned to the system.
    pub resident: u64,
    /// The allocator's own books.
    pub metadata: u64,
}

/// Reads the counters. None when the operator was built without jemalloc (`--no-default-
/// features`) or its statistics cannot be read.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
pub fn read() -> Option<Heap> {
    use tikv_jemalloc_ctl::{epoch, stats};
    // jemalloc caches its statistics; advancing the epoch refreshes them.
    epoch::advance().ok()?;
    let bytes = |value: usize| u64::try_from(value).ok();
    Some(Heap {
        allocated: bytes(stats::allocated::read().ok()?)?,
        active: bytes(stats::active::read().ok()?)?,
        resident: bytes(stats::resident::read().ok()?)?,
        metadata: bytes(stats::metadata::read().ok()?)?,
    })
}

#[cfg(not(all(feature = "jemalloc", not(target_env = "msvc"))))]
pub fn read() -> Option<Heap> {
    None
}

#[cfg(all(test, feature = "jemalloc", not(target_env = "msvc")))]
mod tests {
    use super::*;

    /// The unit tests run on the system allocator, so jemalloc's counters only show that they
    /// can be read and hang together; the integration test reads the operator's.
    #[test]
    fn the_counters_are_read_and_hang_together() {
        let heap = read().expect("jemalloc's statistics");
        assert!(heap.allocated <= heap.active, "{heap:?}");
        assert!(heap.active <= heap.resident, "{heap:?}");
    }
}
