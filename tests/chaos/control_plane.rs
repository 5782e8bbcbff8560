//! kube-apiserver, then etcd, killed and started again while reports converge. The operator is
//! not restarted: it must notice its watches broke (dropped connections, and 410 Gone when it
//! resumes from a compacted resourceVersion), list again, and converge.

use std::time::{Duration, Instant};

use crate::support::{LEASE_SECONDS, Operator, install_crds};
use crate::world::{Random, World};
use crate::{OwnControlPlane, record, scale, secs, serial};

async fn restart_during_convergence(component: &str, case: &str) {
    let _serial = serial().await;
    // History compacted every 5 s: a watch resumed after the restart from a resourceVersion
    // older than that is answered 410 Gone, as in a long-lived cluster.
    let cp = OwnControlPlane::start(vec!["--etcd-compaction-interval=5s".into()], vec![]);
    let client = cp.admin_client().await.expect("admin client");
    install_crds(&client).await;
    let ns = cp.create_namespace("chaos").await.expect("namespace");
    let world = World::new(client.clone(), &ns);
    let reports = scale(40, 500);
    let mut random = Random::from_env();
    world.create(0, reports).await;
    let mut operator = Operator::start(&cp, &ns);
    tokio::time::sleep(random.between(Duration::from_millis(300), Duration::from_secs(2))).await;

    // Down for longer than the lease: the operator also loses its leadership meanwhile.
    let down = Duration::from_secs(LEASE_SECONDS + 2);
    cp.stop_component(component, libc::SIGKILL)
        .expect("stop the component");
    tokio::time::sleep(down).await;
    let restart_to_ready = cp
        .start_component(component)
        .await
        .expect("the component starts again");
    let back = Instant::now();
    let writes_at_back = operator.writes().await;

    // How soon the operator writes again: the recovery itself, apart from the convergence work
    // the outage interrupted, which follows it.
    let first_write = async {
        while operator.writes().await <= writes_at_back && back.elapsed() < Duration::from_secs(300)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        back.elapsed()
    };
    let converge = async {
        // Changes made after the restart reach the operator only through watches it
        // re-established.
        world.create(reports, reports + 5).await;
        for k in 0..10 {
            world
                .edit(reports, k * 7)
                .await
                .expect("edit a recommendation");
        }
        world.converge(reports + 5, Duration::from_secs(300)).await
    };
    let (first_write, converged) = tokio::join!(first_write, converge);
    let writes_after_back = operator.writes().await - writes_at_back;
    assert!(
        operator.exited().is_none(),
        "the operator exited instead of recovering:\n{}",
        operator.logs()
    );
    let logs = operator.logs();
    assert!(!logs.contains("panicked"), "the operator panicked:\n{logs}");
    let gone = logs.matches("410").count() + logs.matches("too old resource version").count();
    record(
        case,
        serde_json::json!({
            "reports": reports + 5, "component": component, "killed_with": "SIGKILL",
            "down_seconds": secs(down), "restart_to_ready_seconds": secs(restart_to_ready),
            "back_to_consistent_seconds": secs(converged),
            "back_to_first_write_seconds": secs(first_write),
            "writes_after_back": writes_after_back,
            "operator_restarts": 0,
            "operator_log_lines_mentioning_410": gone,
            "since_back_seconds": secs(back.elapsed()),
        }),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_recovers_from_an_apiserver_restart_without_restarting() {
    restart_during_convergence("kube-apiserver", "apiserver_restart").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_recovers_from_an_etcd_restart_without_restarting() {
    restart_during_convergence("etcd", "etcd_restart").await;
}
