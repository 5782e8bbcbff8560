//! A leader frozen (SIGSTOP) past its term, then woken (SIGCONT) with writes to make: it must
//! not make them, not even the ones its buffered watch events start before its next renewal
//! tells it that it lost. The fence (controls.rs) closes its gate by the clock, which kept
//! running while it was frozen.
//!
//! For the woken replica to have something to write, nobody may have handled the edits it wakes
//! to. Once the other replica has taken over, it is frozen too, just after a renewal of its own;
//! the edits made then are sent, unhandled, to the first replica's watches; the first is woken
//! while the other still holds the Lease, and only once it says it is a follower is the other
//! woken to handle them. The audit must find no write outside its writer's term.
//!
//! Without the fence, the woken replica can write until its renewal fails, and that takes one
//! GET of the Lease: 2 to 5 ms here. Its reconciles reached the gate first in 6 of 12 rounds,
//! so etcd is stalled (SIGSTOP) while it wakes, until its gate has refused them (or for 2 s):
//! the GET waits for etcd, as behind a slow etcd, and the reconciles have nothing to wait for.
//! Each round then catches a missing fence (10 of 10 rounds in 5 runs).
//!
//! Nothing else is edited while the first replica sleeps. With edits meanwhile (the new leader
//! handling them) this case passed with the fence disabled: at 250 ms apart, 70 to 125 kB of
//! events waited in each of its watches, and by the time it had read them its renewal had
//! failed. And a replica is frozen only with no write under way (edits paused, everything
//! converged): a write let through the gate just before a freeze and sent just after it is
//! beyond any gate's reach.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use tripreport_operator::api::TalkRecommendation;

use crate::failover::{Pair, REPLICAS, audited_control_plane, writes_outside_their_term};
use crate::support::{LEASE_SECONDS, eventually, install_crds};
use crate::world::{RECS, Random, World, rec_name};
use crate::{OwnControlPlane, record, scale, secs, serial};

/// Waits until `holder` holds the Lease with at least `left` of its term to run (by its last
/// renewal), that is, just after a renewal; returns when that term ends.
async fn early_in_term(leases: &Api<Lease>, holder: &str, left: Duration) -> SystemTime {
    eventually(
        &format!("{holder} early in its term"),
        Duration::from_secs(LEASE_SECONDS * 5),
        || async {
            let lease = leases
                .get("tripreport-operator")
                .await
                .map_err(|e| e.to_string())?;
            let spec = lease.spec.unwrap_or_default();
            let (Some(renewed), Some(seconds)) =
                (spec.renew_time.clone(), spec.lease_duration_seconds)
            else {
                return Err(format!("no term in the Lease: {spec:?}"));
            };
            let ends = SystemTime::from(renewed.0)
                + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
            let remaining = ends
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            if spec.holder_identity.as_deref() == Some(holder) && remaining >= left {
                Ok(ends)
            } else {
                Err(format!(
                    "holder {:?}, {remaining:?} of its term left",
                    spec.holder_identity
                ))
            }
        },
    )
    .await
}

/// An edit that surely changes something, made as `World::edit` makes them (the same field
/// manager): recommendation `j` of report `i` moves to the next rating. Checks that the API
/// server has it and that no status has caught up with it yet; returns the recommendation's
/// name and new resourceVersion.
async fn rate_next(world: &World, i: usize, j: usize) -> (String, String) {
    let name = rec_name(i, j);
    let before = world.recs.get(&name).await.expect("read a recommendation");
    let rec = world
        .recs
        .patch(
            &name,
            &PatchParams::apply("chaos-user").force(),
            &Patch::Apply(json!({
                "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
                "spec": {"rating": before.spec.rating % 5 + 1}
            })),
        )
        .await
        .expect("edit a recommendation");
    let observed = rec.status.as_ref().and_then(|s| s.observed_generation);
    assert!(
        rec.metadata.generation > before.metadata.generation && observed < rec.metadata.generation,
        "{name}: the edit did not make a new generation for nobody to have handled: generation \
         {:?} -> {:?}, observed {observed:?}",
        before.metadata.generation,
        rec.metadata.generation
    );
    let version = rec.metadata.resource_version.expect("a resourceVersion");
    (name, version)
}

/// Waits until `watch`, opened before the `edits` were made (recommendation names and the
/// resourceVersion each edit made), has received every one of them: the API server hands each
/// event to all the watches open on it at once, so the frozen replicas' sockets then hold them
/// too, ready to be read on waking, with no round trip to the API server.
async fn until_sent_to_watches<W>(mut watch: W, mut edits: BTreeMap<String, String>)
where
    W: futures::Stream<Item = Result<WatchEvent<TalkRecommendation>, kube::Error>> + Unpin,
{
    let waiting = async {
        while !edits.is_empty() {
            match watch.try_next().await {
                Ok(Some(WatchEvent::Modified(rec))) => {
                    if edits.get(&rec.name_any()) == rec.metadata.resource_version.as_ref() {
                        edits.remove(&rec.name_any());
                    }
                }
                Ok(Some(WatchEvent::Error(status))) => panic!("watching the edits: {status:?}"),
                Ok(Some(_)) => {}
                Ok(None) => panic!("the watch of the edits ended; still unseen: {edits:?}"),
                Err(e) => panic!("watching the edits: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the API server sends the edits to its watches within 30 s");
}

/// The reconciles a replica's gate refused so far (both kinds).
async fn skipped(pair: &Pair, i: usize) -> f64 {
    let mut total = 0.0;
    for kind in ["ConferenceReport", "TalkRecommendation"] {
        total += pair.replicas[i]
            .metric(&format!(
                "tripreport_reconciles_total{{kind=\"{kind}\",result=\"skipped\"}}"
            ))
            .await;
    }
    total
}

/// Waits until replica `i`'s gate has refused at least `n` reconciles more than `before`, or
/// `patience` has passed (then the reconciles went through the gate, which only a failing audit
/// will tell); returns how many it refused.
async fn refused_since(pair: &Pair, i: usize, before: f64, n: usize, patience: Duration) -> f64 {
    let start = Instant::now();
    loop {
        let refused = skipped(pair, i).await - before;
        if refused >= n as f64 || start.elapsed() >= patience {
            return refused;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The control plane's etcd, stopped (SIGSTOP) until this is dropped.
struct Stalled(libc::pid_t);

impl Stalled {
    fn etcd(cp: &OwnControlPlane) -> Self {
        let (_, pid) = cp
            .pids()
            .into_iter()
            .find(|(name, _)| *name == "etcd")
            .expect("etcd runs");
        let pid = pid as libc::pid_t;
        // SAFETY: kill(2) on a child of this process.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        Stalled(pid)
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        // SAFETY: kill(2) on a child of this process.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_frozen_past_its_term_writes_nothing_when_it_wakes() {
    let _serial = serial().await;
    let (dir, audit, cp) = audited_control_plane("frozen");
    let client = cp.admin_client().await.expect("admin client");
    install_crds(&client).await;
    let ns = cp
        .create_namespace("chaos-frozen")
        .await
        .expect("namespace");
    let world = Arc::new(World::new(client.clone(), &ns));
    let reports = scale(20, 100);
    let rounds = scale(2, 5);
    // Edits made while both replicas are frozen, each to another report, in each round.
    let unhandled = scale(6, 20);
    let mut random = Random::from_env();
    world.create(0, reports).await;

    // People edit while a leader is awake; the edits pause for the freezes (see the module's
    // comment).
    let mut pair = Pair::start(
        &cp,
        &dir,
        &ns,
        world.clone(),
        reports,
        (7, Duration::from_millis(50)),
    );
    let converging = Duration::from_secs(120);

    let mut takeovers = Vec::new();
    let mut frozen_for = Vec::new();
    let mut other_frozen_for = Vec::new();
    let mut other_term_left = Vec::new();
    let mut woken_to_follower = Vec::new();
    let mut refused = Vec::new();
    let mut stalls = Vec::new();
    for round in 0..rounds {
        let (lead, other, holder) = pair.leader_and_ready_follower().await;
        pair.pause_edits(false).await;
        tokio::time::sleep(random.between(Duration::from_millis(300), Duration::from_secs(2)))
            .await;
        // Frozen with no write under way.
        pair.pause_edits(true).await;
        world.converge(reports, converging).await;
        let refused_before = skipped(&pair, lead).await;
        let frozen = Instant::now();
        pair.replicas[lead].send(libc::SIGSTOP);
        pair.until_leading(other, true).await;
        takeovers.push(secs(frozen.elapsed()));

        // The new leader sleeps too, just after a renewal so its term outlasts what follows,
        // and the next edits are nobody's: they wait, unhandled, in the first one's watches.
        let term_ends = early_in_term(
            &pair.leases,
            REPLICAS[other],
            Duration::from_millis(LEASE_SECONDS * 750),
        )
        .await;
        let other_frozen = Instant::now();
        pair.replicas[other].send(libc::SIGSTOP);
        let from = world
            .recs
            .list_metadata(&ListParams::default().limit(1))
            .await
            .expect("list the recommendations")
            .metadata
            .resource_version
            .expect("a list's resourceVersion");
        let watch = world
            .recs
            .watch(&WatchParams::default(), &from)
            .await
            .expect("watch the recommendations")
            .boxed();
        let mut edits = BTreeMap::new();
        for n in 0..unhandled {
            let (name, version) = rate_next(
                &world,
                (round + n * reports / unhandled) % reports,
                (round + n) % RECS,
            )
            .await;
            edits.insert(name, version);
        }
        until_sent_to_watches(watch, edits).await;

        // The old leader wakes to them, the Lease still the other's, etcd stalled: its renewal
        // waits, its reconciles of the edits have nothing to wait for.
        let stalled = Stalled::etcd(&cp);
        let stall = Instant::now();
        pair.replicas[lead].send(libc::SIGCONT);
        frozen_for.push(secs(frozen.elapsed()));
        other_term_left.push(secs(
            term_ends
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        ));
        let woken = Instant::now();
        refused.push(
            refused_since(
                &pair,
                lead,
                refused_before,
                unhandled,
                Duration::from_secs(2),
            )
            .await,
        );
        drop(stalled);
        stalls.push(secs(stall.elapsed()));
        pair.until_leading(lead, false).await;
        woken_to_follower.push(secs(woken.elapsed()));
        let logs = pair.replicas[lead].logs();
        assert!(!logs.contains("panicked"), "{holder} panicked:\n{logs}");

        // Only then does the other wake, and handle the edits.
        pair.replicas[other].send(libc::SIGCONT);
        other_frozen_for.push(secs(other_frozen.elapsed()));
        world.converge(reports, converging).await;
        let logs = pair.replicas[other].logs();
        assert!(
            !logs.contains("panicked"),
            "{} panicked:\n{logs}",
            REPLICAS[other]
        );
    }
    let edits = pair.stop_edits().await;
    assert!(edits > 0, "no edit went through");
    let converged = world.converge(reports, Duration::from_secs(180)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let terms = pair.terms.clone();
    drop(pair);

    let (outside, total) = writes_outside_their_term(&audit, &terms);
    assert!(total > 0, "no write was audited");
    assert!(
        outside.is_empty(),
        "{} of {total} writes were made by a replica that did not hold the Lease; first: {:#?}",
        outside.len(),
        &outside[..outside.len().min(10)]
    );
    record(
        "frozen_leader",
        serde_json::json!({
            "reports": reports, "freezes": rounds, "lease_seconds": LEASE_SECONDS,
            "frozen_seconds": frozen_for, "takeover_seconds": takeovers,
            "edits_during_freezes": rounds * unhandled, "edits_between_freezes": edits,
            "edits_nobody_handled_at_each_wake": unhandled,
            "new_leader_frozen_seconds": other_frozen_for,
            "new_leader_term_left_at_wake_seconds": other_term_left,
            "wake_to_follower_seconds": woken_to_follower,
            "reconciles_refused_at_wake": refused, "etcd_stalled_seconds": stalls,
            "audited_writes": total, "writes_outside_their_term": outside.len(),
            "last_thaw_to_consistent_seconds": secs(converged),
        }),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
