//! A leader frozen (SIGSTOP) past its term while people keep editing, then woken (SIGCONT):
//! the other replica has taken over meanwhile, and the woken one must not write, not even the
//! reconciles its buffered watch events start before its next renewal tells it that it lost.
//! The fence (controls.rs) closes its gate by the clock, which kept running while it was frozen.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::failover::{Pair, audited_control_plane, writes_outside_their_term};
use crate::support::{LEASE_SECONDS, install_crds};
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

    // People keep editing throughout, so the frozen leader's watches fill with events to act on
    // the moment it wakes.
    let mut pair = Pair::start(
        &cp,
        &dir,
        &ns,
        world.clone(),
        reports,
        (7, Duration::from_millis(50)),
    );

    let mut takeovers = Vec::new();
    let mut frozen_for = Vec::new();
    for _ in 0..rounds {
        let (lead, other, holder) = pair.leader_and_ready_follower().await;
        tokio::time::sleep(random.between(Duration::from_millis(300), Duration::from_secs(2)))
            .await;
        let frozen = Instant::now();
        pair.replicas[lead].send(libc::SIGSTOP);
        pair.until_leading(other, true).await;
        takeovers.push(secs(frozen.elapsed()));
        // The new leader writes while the old one sleeps on a full socket.
        tokio::time::sleep(Duration::from_secs(2)).await;
        pair.replicas[lead].send(libc::SIGCONT);
        frozen_for.push(secs(frozen.elapsed()));
        pair.until_leading(lead, false).await;
        let logs = pair.replicas[lead].logs();
        assert!(!logs.contains("panicked"), "{holder} panicked:\n{logs}");
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
            "edits_during_freezes": edits,
            "audited_writes": total, "writes_outside_their_term": outside.len(),
            "last_thaw_to_consistent_seconds": secs(converged),
        }),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
