//! Who may write, and when: the leader Lease (only the leader writes) and the big red button
//! (the `tripreport-operator-control` ConfigMap with `paused: "true"` stops every write). Both
//! close one gate, checked before every write; when it reopens, every object is reconciled again
//! so nothing missed meanwhile is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Api, Client};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::metrics::Metrics;

/// The big red button, in the operator's own namespace.
pub const CONTROL_CONFIG_MAP: &str = "tripreport-operator-control";

pub struct Gate {
    leader: AtomicBool,
    paused: AtomicBool,
    reopened: watch::Sender<u64>,
    pub metrics: Arc<Metrics>,
}

impl Gate {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        metrics.set_paused(true);
        Self {
            leader: AtomicBool::new(false),
            paused: AtomicBool::new(true),
            reopened: watch::Sender::new(0),
            metrics,
        }
    }

    /// Whether the operator may write now: it leads, and nobody pressed the button.
    pub fn may_write(&self) -> bool {
        self.leader.load(Ordering::Acquire) && !self.paused.load(Ordering::Acquire)
    }

    pub fn set_leader(&self, leader: bool) {
        let before = self.may_write();
        self.leader.store(leader, Ordering::Release);
        self.metrics.set_leader(leader);
        info!(leader, "leadership changed");
        self.after_change(before);
    }

    fn set_paused(&self, paused: bool) {
        let before = self.may_write();
        let was = self.paused.swap(paused, Ordering::AcqRel);
        self.metrics.set_paused(paused);
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

/// Follows the control ConfigMap for as long as the operator runs.
pub async fn follow_pause_button(client: Client, namespace: String, gate: Arc<Gate>) {
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={CONTROL_CONFIG_MAP}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut seen = false;
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => seen = false,
            Ok(Event::InitApply(cm) | Event::Apply(cm)) => {
                seen = true;
                gate.set_paused(is_paused(&cm));
            }
            Ok(Event::Delete(_)) => gate.set_paused(false),
            Ok(Event::InitDone) if !seen => gate.set_paused(false),
            Ok(Event::InitDone) => {}
            // The last known state holds; the watch retries with backoff by itself.
            Err(e) => {
                warn!(namespace, config_map = CONTROL_CONFIG_MAP, error = %e, "cannot watch the control ConfigMap")
            }
        }
    }
}

/// Only the exact value "true" pauses: a typo must not silently stop the operator... nor start
/// it, so anything else is reported.
fn is_paused(cm: &ConfigMap) -> bool {
    match cm
        .data
        .as_ref()
        .and_then(|d| d.get("paused"))
        .map(String::as_str)
    {
        Some("true") => true,
        None | Some("false") | Some("") => false,
        Some(other) => {
            warn!(
                value = other,
                config_map = CONTROL_CONFIG_MAP,
                "paused is neither \"true\" nor \"false\"; not pausing"
            );
            false
        }
    }
}

/// The leader-election task: holds, renews and, when told to stop, releases the Lease.
pub struct Leadership {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Leadership {
    /// Competes for the Lease `name` in `namespace` as `identity`, and keeps the gate told.
    /// Failing to reach the Lease (no permission yet, API server away) is retried with backoff:
    /// the replica keeps serving its health endpoints and stays a follower meanwhile.
    pub fn start(
        client: Client,
        namespace: String,
        name: &'static str,
        identity: String,
        seconds: u64,
        gate: Arc<Gate>,
    ) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut failures = 0u32;
            let manager = loop {
                let built = kube_lease_manager::LeaseManagerBuilder::new(client.clone(), name)
                    .with_namespace(&namespace)
                    .with_identity(&identity)
                    .with_duration(seconds)
                    // Renew a third of the way before expiry, as client-go's defaults do.
                    .with_grace((seconds / 3).max(1))
                    .with_field_manager(crate::controller::FIELD_MANAGER)
                    .build();
                tokio::select! {
                    result = built => match result {
                        Ok(manager) => break manager,
                        Err(e) => {
                            let delay = crate::error::backoff(failures);
                            failures = failures.saturating_add(1);
                            gate.metrics.failed("Lease", "LeaseUnavailable");
                            warn!(namespace, lease = name, error = %e, retry_in = ?delay, "cannot use the leader Lease");
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => continue,
                                _ = &mut stopped => return,
                            }
                        }
                    },
                    _ = &mut stopped => return,
                }
            };
            let (mut receiver, manager_task) = manager.watch().await;
            loop {
                gate.set_leader(*receiver.borrow_and_update());
                tokio::select! {
                    changed = receiver.changed() => if changed.is_err() { break },
                    _ = &mut stopped => break,
                }
            }
            gate.set_leader(false);
            // Dropping the receiver tells the lease manager to release the Lease.
            drop(receiver);
            match manager_task.await {
                Ok(Ok(_)) => info!(lease = name, "leader Lease released"),
                Ok(Err(e)) => {
                    warn!(error = %e, "could not release the leader Lease; it expires by itself")
                }
                Err(e) => warn!(error = %e, "the leader-election task failed"),
            }
        });
        Self { stop, task }
    }

    /// Stops competing and releases the Lease if this replica holds it.
    pub async fn release(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

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
    fn only_true_pauses() {
        let cm = |value: &str| ConfigMap {
            data: Some([("paused".to_string(), value.to_string())].into()),
            ..Default::default()
        };
        assert!(is_paused(&cm("true")));
        assert!(!is_paused(&cm("false")));
        assert!(!is_paused(&cm("yes")));
        assert!(!is_paused(&ConfigMap::default()));
    }
}
