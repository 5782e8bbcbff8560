//! The operator killed with SIGKILL at random moments while reports converge and people keep
//! editing, then started again: nothing is lost, nothing is left half done.

use std::time::{Duration, Instant};

use crate::support::{Operator, install_crds, setup};
use crate::world::{Random, World};
use crate::{record, scale, secs, serial};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_it_converges_with_nothing_lost() {
    let _serial = serial().await;
    let env = setup("chaos-crash").await;
    install_crds(&env.client).await;
    let world = World::new(env.client.clone(), &env.namespace);
    let (reports, kills) = (scale(40, 500), scale(3, 20));
    let mut random = Random::from_env();

    // Half the reports exist before the operator starts; the rest arrive between kills.
    let upfront = reports / 2;
    world.create(0, upfront).await;
    let mut operator = Operator::start(env.cp, &env.namespace);
    let mut created = upfront;
    let mut edits = 0;
    let mut lives = Vec::new();
    for kill in 0..kills {
        let batch = (reports - upfront) / kills + usize::from(kill < (reports - upfront) % kills);
        world.create(created, created + batch).await;
        created += batch;
        let life = random.between(Duration::from_millis(200), Duration::from_millis(2500));
        let deadline = Instant::now() + life;
        while Instant::now() < deadline {
            world
                .edit(created, random.next() as usize)
                .await
                .expect("edit a recommendation");
            edits += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            operator.exited().is_none(),
            "the operator exited on its own before kill {kill}:\n{}",
            operator.logs()
        );
        operator.signal(libc::SIGKILL);
        let logs = operator.logs();
        assert!(!logs.contains("panicked"), "the operator panicked:\n{logs}");
        lives.push(secs(life));
        operator = Operator::start(env.cp, &env.namespace);
    }
    assert_eq!(created, reports);
    let converged = world.converge(reports, Duration::from_secs(300)).await;

    // Converged means quiet: no write goes on after it (a hot loop would show here).
    let quiet = Duration::from_secs(5);
    let before = operator.writes().await;
    tokio::time::sleep(quiet).await;
    let after = operator.writes().await;
    assert_eq!(
        after,
        before,
        "the operator kept writing after convergence:\n{}",
        operator.logs()
    );
    world
        .consistent(reports)
        .await
        .expect("still consistent after the quiet window");
    let logs = operator.logs();
    assert!(!logs.contains("panicked"), "the operator panicked:\n{logs}");
    record(
        "operator_sigkill",
        serde_json::json!({
            "reports": reports, "recommendations": reports * crate::world::RECS,
            "kills": kills, "edits_during_kills": edits, "lives_seconds": lives,
            "last_start_to_consistent_seconds": secs(converged),
            "writes_after_restart_until_consistent": before,
            "writes_in_quiet_window": after - before,
        }),
    );
}
