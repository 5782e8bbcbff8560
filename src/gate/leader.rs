//! Leader election: this replica competes for the Lease, and a fence ends its right to write with
//! the last renewal it saw plus the lease duration, by the clock.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use kube::runtime::utils::Backoff as _;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Api, Client};
use tracing::{info, warn};

use super::Gate;
use crate::api::names::FIELD_MANAGER;

/// When a Lease last renewed by `identity` stops making it the leader (ms since the epoch), with
/// `margin_ms` to spare; 0 when the Lease names someone else or says nothing usable.
fn lease_deadline_ms(lease: &Lease, identity: &str, margin_ms: u64) -> u64 {
    let Some(spec) = lease.spec.as_ref() else {
        return 0;
    };
    if spec.holder_identity.as_deref() != Some(identity) {
        return 0;
    }
    let (Some(renewed), Some(seconds)) = (spec.renew_time.as_ref(), spec.lease_duration_seconds)
    else {
        return 0;
    };
    let renewed_ms = u64::try_from(renewed.0.as_millisecond()).unwrap_or(0);
    let duration_ms = u64::try_from(seconds).unwrap_or(0).saturating_mul(1000);
    (renewed_ms + duration_ms).saturating_sub(margin_ms)
}

/// Follows this replica's own Lease and moves the gate's fence to each renewal it sees.
async fn follow_own_lease(
    client: Client,
    namespace: String,
    name: &'static str,
    identity: String,
    seconds: u64,
    gate: Arc<Gate>,
) {
    let api: Api<Lease> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    // Another replica may take over once the term has run out by its own clock: stop a little
    // before, for clock skew between nodes and a write already on its way. Not more: renewals
    // come a third of the lease before expiry, and one later than the margin closes the gate.
    let margin_ms = (seconds * 1000 / 8).min(500);
    let mut events = crate::watch_health::retried(watcher(api, config)).boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::InitApply(lease) | Event::Apply(lease)) => {
                gate.fence(lease_deadline_ms(&lease, &identity, margin_ms));
            }
            Ok(Event::Delete(_)) => gate.fence(0),
            Ok(Event::Init | Event::InitDone) => {}
            // Meanwhile the fence stays where the last renewal put it, and runs out on time.
            Err(e) => warn!(namespace, lease = name, error = %e, "cannot watch the leader Lease"),
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
        // No write before a renewal of this replica's own has been seen on the Lease.
        gate.fence(0);
        let fence = tokio::spawn(follow_own_lease(
            client.clone(),
            namespace.clone(),
            name,
            identity.clone(),
            seconds,
            gate.clone(),
        ));
        let task = tokio::spawn(async move {
            // The watches' quick backoff: a Lease that cannot be reached is tried again every
            // 1.5 to 3 s at most, so a replica leads, and writes, soon after the API server is
            // back. (`manager.watch()` would retry its renewals up to 30 s apart.)
            let mut retry = crate::watch_health::backoff();
            let manager = loop {
                let built = kube_lease_manager::LeaseManagerBuilder::new(client.clone(), name)
                    .with_namespace(&namespace)
                    .with_identity(&identity)
                    .with_duration(seconds)
                    // Renew a third of the way before expiry, as client-go's defaults do.
                    .with_grace((seconds / 3).max(1))
                    // One field manager per replica: taking the Lease is a server-side apply
                    // that must conflict when another replica took it first. With one manager
                    // for all, two replicas could both take a free Lease at the same moment.
                    .with_field_manager(format!("{FIELD_MANAGER}-{identity}"))
                    .build();
                tokio::select! {
                    result = built => match result {
                        Ok(manager) => break manager,
                        Err(e) => {
                            let delay = retry.next().unwrap_or(std::time::Duration::from_secs(1));
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
            retry.reset();
            loop {
                tokio::select! {
                    changed = manager.changed() => match changed {
                        Ok(leader) => {
                            retry.reset();
                            gate.set_leader(leader);
                        }
                        Err(e) => {
                            gate.metrics.failed("Lease", "LeaseUnavailable");
                            let delay = retry.next().unwrap_or(std::time::Duration::from_secs(1));
                            warn!(namespace, lease = name, error = %e, retry_in = ?delay, "cannot renew the leader Lease");
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => {}
                                _ = &mut stopped => break,
                            }
                        }
                    },
                    _ = &mut stopped => break,
                }
            }
            gate.set_leader(false);
            fence.abort();
            match manager.release().await {
                Ok(()) => info!(lease = name, "leader Lease released"),
                Err(e) => {
                    warn!(error = %e, "could not release the leader Lease; it expires by itself")
                }
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

    #[test]
    fn a_lease_fences_only_its_holder_and_until_its_term_ends() {
        let lease = |holder: &str| -> Lease {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "tripreport-operator"},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15,
                         "renewTime": "2026-12-02T10:00:00.000000Z"}
            }))
            .expect("a Lease")
        };
        let renewed = 1_796_205_600_000; // 2026-12-02T10:00:00Z
        assert_eq!(lease_deadline_ms(&lease("a"), "a", 1000), renewed + 14_000);
        assert_eq!(lease_deadline_ms(&lease("b"), "a", 1000), 0);
        assert_eq!(lease_deadline_ms(&Lease::default(), "a", 1000), 0);
    }
}
