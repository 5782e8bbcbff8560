//! Who may write, and when: the leader Lease (only the leader writes) and the big red button
//! (the `tripreport-operator-control` ConfigMap with `paused: "true"` stops every write). Both
//! close one gate, checked before every write; when it reopens, every object is reconciled again
//! so nothing missed meanwhile is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::{Stream, StreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::utils::Backoff as _;
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

    fn set_paused(&self, paused: bool) {
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

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

/// Follows the control ConfigMap for as long as the operator runs.
pub async fn follow_pause_button(client: Client, namespace: String, gate: Arc<Gate>) {
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={CONTROL_CONFIG_MAP}"));
    let mut events = crate::watch_health::retried(watcher(api, config)).boxed();
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
                    .with_field_manager(format!("{}-{identity}", crate::controller::FIELD_MANAGER))
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
