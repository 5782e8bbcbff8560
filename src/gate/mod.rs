//! Who may write, and when: the leader Lease (only the leader writes, `leader.rs`) and the big
//! red button (the control ConfigMap with `paused: "true"` stops every write, `pause.rs`). Both
//! close one gate, checked before every write; when it reopens, every object is reconciled again
//! so nothing missed meanwhile is lost.

mod leader;
mod pause;

pub use leader::Leadership;
pub use pause::follow_pause_button;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::Stream;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::api::names::CONTROL_CONFIG_MAP;
use crate::metrics::Metrics;

pub struct Gate {
    leader: AtomicBool,
    paused: AtomicBool,
    /// The fence: until when (wall clock, ms since the epoch) the last renewal of this replica's
    /// Lease seen keeps it the leader; `u64::MAX` without leader election. A leader that was
    /// frozen (SIGSTOP, a stalled VM) past its term learns it has lost only at its next renewal;
    /// the clock, which kept running meanwhile, closes the gate at once instead.
    lease_until_ms: AtomicU64,
    reopened: watch::Sender<u64>,
    pub metrics: Arc<Metrics>,
}

impl Gate {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        // Closed until the button is read: it may be pressed. That state has its own signal,
        // so `paused` says only what the button says.
        metrics.set_paused(false);
        metrics.set_button_unread(true);
        Self {
            leader: AtomicBool::new(false),
            paused: AtomicBool::new(true),
            lease_until_ms: AtomicU64::new(u64::MAX),
            reopened: watch::Sender::new(0),
            metrics,
        }
    }

    /// Whether the operator may write now: it leads, and nobody pressed the button.
    pub fn may_write(&self) -> bool {
        self.leader.load(Ordering::Acquire)
            && !self.paused.load(Ordering::Acquire)
            && now_ms() < self.lease_until_ms.load(Ordering::Acquire)
    }

    /// Writes are allowed until `until_ms` (wall clock, ms since the epoch) at most, whatever
    /// the Lease manager believes: see `lease_until_ms`.
    pub fn fence(&self, until_ms: u64) {
        let before = self.may_write();
        self.lease_until_ms.store(until_ms, Ordering::Release);
        self.after_change(before);
    }

    pub fn set_leader(&self, leader: bool) {
        let before = self.may_write();
        self.leader.store(leader, Ordering::Release);
        self.metrics.set_leader(leader);
        info!(leader, "leadership changed");
        self.after_change(before);
    }

    pub(super) fn set_paused(&self, paused: bool) {
        let before = self.may_write();
        let was = self.paused.swap(paused, Ordering::AcqRel);
        self.metrics.set_paused(paused);
        self.metrics.set_button_unread(false);
        if was != paused {
            if paused {
                warn!(
                    config_map = CONTROL_CONFIG_MAP,
                    "paused: the operator makes no writes until the control ConfigMap says otherwise"
                );
            } else {
                info!(config_map = CONTROL_CONFIG_MAP, "not paused: writes resume");
            }
        }
        self.after_change(before);
    }

    fn after_change(&self, before: bool) {
        if !before && self.may_write() {
            self.reopened.send_modify(|n| *n += 1);
        }
    }

    /// Yields each time writes become allowed again: feeds the controllers' reconcile-all.
    pub fn reopened(&self) -> impl Stream<Item = ()> + Send + 'static {
        futures::stream::unfold(self.reopened.subscribe(), |mut receiver| async move {
            receiver.changed().await.ok()?;
            Some(((), receiver))
        })
    }
}

pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{FutureExt, StreamExt};

    #[test]
    fn the_gate_opens_only_for_an_unpaused_leader_and_says_when_it_reopens() {
        let gate = Gate::new(Arc::new(Metrics::default()));
        let mut reopened = Box::pin(gate.reopened());
        assert!(!gate.may_write(), "closed until the button has been read");
        gate.set_leader(true);
        assert!(!gate.may_write());
        gate.set_paused(false);
        assert!(gate.may_write());
        assert_eq!(reopened.next().now_or_never(), Some(Some(())));
        gate.set_paused(true);
        assert!(!gate.may_write());
        assert_eq!(
            reopened.next().now_or_never(),
            None,
            "closing is not a reopening"
        );
        gate.set_paused(false);
        assert_eq!(reopened.next().now_or_never(), Some(Some(())));
        gate.set_leader(false);
        assert!(!gate.may_write());
    }

    #[test]
    fn an_unread_button_has_its_own_signal_and_paused_says_only_what_the_button_says() {
        let metrics = Arc::new(Metrics::default());
        let gate = Gate::new(metrics.clone());
        let text = metrics.encode().expect("encode");
        assert!(text.contains("tripreport_pause_button_unread 1"), "{text}");
        assert!(text.contains("tripreport_paused 0"), "{text}");
        assert!(!gate.may_write(), "closed until the button has been read");
        gate.set_paused(true);
        let text = metrics.encode().expect("encode");
        assert!(text.contains("tripreport_pause_button_unread 0"), "{text}");
        assert!(text.contains("tripreport_paused 1"), "{text}");
    }

    #[test]
    fn the_fence_closes_the_gate_when_the_term_runs_out_and_reopens_on_renewal() {
        let gate = Gate::new(Arc::new(Metrics::default()));
        gate.set_leader(true);
        gate.set_paused(false);
        assert!(gate.may_write(), "no fence without leader election");
        let mut reopened = Box::pin(gate.reopened());
        gate.fence(now_ms() - 1);
        assert!(
            !gate.may_write(),
            "the term ran out: a leader that was frozen writes nothing"
        );
        gate.fence(now_ms() + 60_000);
        assert!(gate.may_write());
        assert_eq!(
            reopened.next().now_or_never(),
            Some(Some(())),
            "a renewal after the fence closed reconciles everything"
        );
    }
}
