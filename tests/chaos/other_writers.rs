//! Another writer over the operator's objects, as a GitOps tool applying its own fields would
//! be: the operator keeps the fields it owns, leaves the others' alone, and answers each
//! intrusion with exactly one write (no fight, no loop).

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use tripreport_operator::api::names;
use tripreport_operator::summary;

use crate::support::{Operator, eventually, install_crds, setup};
use crate::world::{World, report_name};
use crate::{record, scale, serial};

const TOOL: &str = "gitops-tool";

async fn configmap_writes(operator: &Operator) -> f64 {
    operator
        .metric("tripreport_writes_total{resource=\"configmaps\"}")
        .await
}

/// Waits until the operator's writes stop moving for `quiet`; returns the count.
async fn settled(operator: &Operator, quiet: Duration) -> f64 {
    let mut last = operator.writes().await;
    loop {
        tokio::time::sleep(quiet).await;
        let now = operator.writes().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_neither_wins_nor_starts_a_fight() {
    let _serial = serial().await;
    let env = setup("chaos-writers").await;
    install_crds(&env.client).await;
    let world = World::new(env.client.clone(), &env.namespace);
    world.create(0, 1).await;
    let operator = Operator::start(env.cp, &env.namespace);
    world.converge(1, Duration::from_secs(60)).await;
    let name = report_name(0);
    let cm_name = summary::config_map_name(&name);
    let steady = settled(&operator, Duration::from_secs(2)).await;

    // 1. The tool applies the report with a label of its own: the operator, which writes only
    //    the status, has nothing to do.
    world
        .reports
        .patch(
            &name,
            &PatchParams::apply(TOOL),
            &Patch::Apply(json!({
                "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
                "metadata": {"labels": {"argocd.argoproj.io/instance": "team-reports"}}
            })),
        )
        .await
        .expect("the tool labels the report");
    let after_label = settled(&operator, Duration::from_secs(2)).await;
    assert_eq!(
        after_label, steady,
        "a label on the report made the operator write"
    );

    // 2. The tool adds its own label to the summary: not the operator's field, left alone.
    world
        .cms
        .patch(
            &cm_name,
            &PatchParams::apply(TOOL),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"labels": {"team": "platform"}}
            })),
        )
        .await
        .expect("the tool labels the summary");
    let after_cm_label = settled(&operator, Duration::from_secs(2)).await;
    assert_eq!(
        after_cm_label, steady,
        "a foreign label on the summary made the operator write"
    );

    // 3. Without force, the tool cannot take the operator's data: the API server says who owns it.
    let conflict = world
        .cms
        .patch(
            &cm_name,
            &PatchParams::apply(TOOL),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "data": {"summary.md": "edited by the tool"}
            })),
        )
        .await
        .expect_err("a conflict");
    let message = conflict.to_string();
    assert!(
        message.contains("conflict") && message.contains("tripreport-operator"),
        "{message}"
    );

    // 4. With force, it takes the field; the operator takes it back, once per intrusion.
    let rounds = scale(5, 20);
    for round in 0..rounds {
        let before = configmap_writes(&operator).await;
        world
            .cms
            .patch(
                &cm_name,
                &PatchParams::apply(TOOL).force(),
                &Patch::Apply(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"labels": {"team": "platform"}},
                    "data": {"summary.md": format!("edited by the tool, round {round}")}
                })),
            )
            .await
            .expect("the tool forces its data");
        world.converge(1, Duration::from_secs(30)).await;
        settled(&operator, Duration::from_secs(1)).await;
        let after = configmap_writes(&operator).await;
        assert_eq!(after - before, 1.0, "round {round}: ConfigMap writes");
    }
    // The label the tool set is still there: the operator did not touch a field it does not own.
    let cm: ConfigMap = world.cms.get(&cm_name).await.expect("the summary");
    assert_eq!(
        cm.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("platform")
    );

    // 5. Someone removes the operator's own label (which also takes the summary out of the
    //    operator's label-selected watch): it is put back, once.
    let before = configmap_writes(&operator).await;
    world
        .cms
        .patch(
            &cm_name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {names::MANAGED_BY_LABEL: null}}})),
        )
        .await
        .expect("remove the label");
    eventually(
        "the label to be restored",
        Duration::from_secs(30),
        || async {
            let cm: ConfigMap = world.cms.get(&cm_name).await.map_err(|e| e.to_string())?;
            match cm
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(names::MANAGED_BY_LABEL))
            {
                Some(v) if v == names::MANAGED_BY => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    settled(&operator, Duration::from_secs(2)).await;
    assert_eq!(
        configmap_writes(&operator).await - before,
        1.0,
        "writes to restore the label"
    );
    world.consistent(1).await.expect("consistent at the end");
    record(
        "other_writers",
        json!({
            "forced_takeovers": rounds, "operator_writes_per_takeover": 1,
            "foreign_labels_kept": true, "writes_for_foreign_labels": 0,
            "label_removals_restored_with_one_write": true,
        }),
    );
}
