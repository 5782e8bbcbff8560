//! A leader frozen (SIGSTOP) past its term while people keep editing, then woken (SIGCONT):
//! the other replica has taken over meanwhile, and the woken one must not write, not even the
//! reconciles its buffered watch events start before its next renewal tells it that it lost.
//! The fence (controls.rs) closes its gate by the clock, which kept running while it was frozen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use crate::failover::{
    REPLICAS, Terms, audited_control_plane, follow_lease, leader, writes_outside_their_term,
};
use crate::support::{LEASE_SECONDS, Operator, eventually, install_crds};
use crate::world::{Random, World};
use crate::{record, scale, secs, serial};

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
    let mut random = Random::from_env();
    world.create(0, reports).await;

    let kubeconfig = |replica: &str| {
        let path = dir.join(format!("{replica}.kubeconfig"));
        cp.write_user_kubeconfig(&crate::failover::user(replica), &["system:masters"], &path)
            .expect("a replica's kubeconfig");
        path
    };
    let kubeconfigs = [kubeconfig(REPLICAS[0]), kubeconfig(REPLICAS[1])];
    let replicas = [
        Operator::start_as(&kubeconfigs[0], &ns, REPLICAS[0]),
        Operator::start_as(&kubeconfigs[1], &ns, REPLICAS[1]),
    ];
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    let terms: Terms = Arc::default();
    let follower = follow_lease(leases.clone(), terms.clone());

    // People keep editing throughout, so the frozen leader's watches fill with events to act on
    // the moment it wakes.
    let stop = Arc::new(AtomicBool::new(false));
    let edits = Arc::new(AtomicUsize::new(0));
    let churn = {
        let (world, stop, edits) = (world.clone(), stop.clone(), edits.clone());
        tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                if world.edit(reports, k * 7).await.is_ok() {
                    edits.fetch_add(1, Ordering::Relaxed);
                }
                k += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let mut takeovers = Vec::new();
    let mut frozen_for = Vec::new();
    for _ in 0..rounds {
        let holder = eventually(
            "a leader",
            Duration::from_secs(LEASE_SECONDS * 5),
            || async { leader(&leases).await.ok_or_else(|| "none".to_string()) },
        )
        .await;
        let lead = REPLICAS
            .iter()
            .position(|r| *r == holder)
            .unwrap_or_else(|| panic!("an unknown leader {holder}"));
        let other = 1 - lead;
        eventually(
            "the follower to be ready",
            Duration::from_secs(30),
            || async {
                match replicas[other].get("/readyz").await {
                    Ok((200, _)) => Ok(()),
                    r => Err(format!("{r:?}")),
                }
            },
        )
        .await;
        tokio::time::sleep(random.between(Duration::from_millis(300), Duration::from_secs(2)))
            .await;
        let frozen = Instant::now();
        replicas[lead].send(libc::SIGSTOP);
        eventually(
            "the other replica to take over",
            Duration::from_secs(LEASE_SECONDS * 5),
            || async {
                if replicas[other].metric("tripreport_leader").await == 1.0 {
                    Ok(())
                } else {
                    Err("not yet".to_string())
                }
            },
        )
        .await;
        takeovers.push(secs(frozen.elapsed()));
        // The new leader writes while the old one sleeps on a full socket.
        tokio::time::sleep(Duration::from_secs(2)).await;
        replicas[lead].send(libc::SIGCONT);
        frozen_for.push(secs(frozen.elapsed()));
        eventually(
            "the woken replica to know it lost",
            Duration::from_secs(LEASE_SECONDS * 3),
            || async {
                match replicas[lead].metric("tripreport_leader").await {
                    0.0 => Ok(()),
                    v => Err(format!("tripreport_leader {v}")),
                }
            },
        )
        .await;
        let logs = replicas[lead].logs();
        assert!(!logs.contains("panicked"), "{holder} panicked:\n{logs}");
    }
    stop.store(true, Ordering::Relaxed);
    let _ = churn.await;
    assert!(edits.load(Ordering::Relaxed) > 0, "no edit went through");
    let converged = world.converge(reports, Duration::from_secs(180)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    follower.abort();

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
            "edits_during_freezes": edits.load(Ordering::Relaxed),
            "audited_writes": total, "writes_outside_their_term": outside.len(),
            "last_thaw_to_consistent_seconds": secs(converged),
        }),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
