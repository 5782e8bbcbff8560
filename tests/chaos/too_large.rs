//! The API server refusing a write as too large. The renderer keeps every summary within its
//! budget (512 KiB), far from the API server's 1 MiB ConfigMap limit, so the refusal is provoked
//! where a real cluster can still give it: etcd configured with a smaller request limit
//! (`--max-request-bytes`, as some managed clusters are). The operator must call it permanent,
//! say so in the report's conditions, and not retry in a loop.

use std::time::Duration;

use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use tripreport_operator::api::{ConferenceReport, TalkRecommendation};

use crate::support::{Operator, eventually, install_crds};
use crate::{OwnControlPlane, record, serial};

/// etcd's limit for one request here: well above any report or recommendation, below the
/// summary of a long report with many long recommendations.
const ETCD_LIMIT: usize = 128 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_refused_as_too_large_is_a_permanent_failure_shown_once() {
    let _serial = serial().await;
    let cp = OwnControlPlane::start(vec![], vec![format!("--max-request-bytes={ETCD_LIMIT}")]);
    let client = cp.admin_client().await.expect("admin client");
    install_crds(&client).await;
    let ns = cp.create_namespace("chaos-large").await.expect("namespace");
    let reports: kube::Api<ConferenceReport> = kube::Api::namespaced(client.clone(), &ns);
    let recs: kube::Api<TalkRecommendation> = kube::Api::namespaced(client.clone(), &ns);
    let report: ConferenceReport = serde_json::from_value(json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
        "metadata": {"name": "long-report"},
        "spec": {
            "title": "A very long report",
            "conference": {"name": "KubeCon", "year": 2024, "city": "Paris"},
            "author": {"name": "Jane Doe"},
            "language": "en",
            "body": "A long account of every talk. ".repeat(1000),
            "review": {"requiredApprovals": 0}
        }
    }))
    .expect("a report");
    reports
        .create(&PostParams::default(), &report)
        .await
        .expect("the report itself is within the limit");
    for j in 0..50 {
        let rec: TalkRecommendation = serde_json::from_value(json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
            "metadata": {"name": format!("talk-{j:02}")},
            "spec": {"reportRef": {"name": "long-report"},
                     "talk": {"title": format!("Talk {j}")}, "rating": 5,
                     "reason": "Why it matters, at length. ".repeat(70)}
        }))
        .expect("a recommendation");
        recs.create(&PostParams::default(), &rec)
            .await
            .expect("each recommendation is within the limit");
    }
    let operator = Operator::start(&cp, &ns);
    let ready = eventually(
        "the report to say its summary failed",
        Duration::from_secs(60),
        || async {
            let report = reports
                .get("long-report")
                .await
                .map_err(|e| e.to_string())?;
            let conditions = report.status.map(|s| s.conditions).unwrap_or_default();
            let ready = conditions.iter().find(|c| c.type_ == "Ready").cloned();
            let stalled = conditions.iter().find(|c| c.type_ == "Stalled").cloned();
            match (ready, stalled) {
                (Some(r), Some(s))
                    if r.status == "False" && r.reason == "SummaryFailed" && s.status == "True" =>
                {
                    Ok(r)
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert!(
        ready.message.contains("too large"),
        "the condition names the cause: {}",
        ready.message
    );
    // Not retried in a loop: one failed attempt, and it stays one.
    let errors = "tripreport_reconcile_errors_total{kind=\"ConferenceReport\",reason=\"TooLarge\"}";
    let first = operator.metric(errors).await;
    // A reconcile with the same inputs, as a GitOps tool's tracking annotation or a
    // recommendation's late list event gives: the refused write is not sent again.
    let reconciles = || async {
        let mut sum = 0.0;
        for result in ["success", "skipped", "error"] {
            let sample = format!(
                "tripreport_reconciles_total{{kind=\"ConferenceReport\",result=\"{result}\"}}"
            );
            sum += operator.metric(&sample).await;
        }
        sum
    };
    let before = reconciles().await;
    reports
        .patch(
            "long-report",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"annotations": {"example.com/tracked-by": "gitops"}}}),
            ),
        )
        .await
        .expect("annotate the report");
    eventually(
        "a reconcile of the annotated report",
        Duration::from_secs(30),
        || async {
            let now = reconciles().await;
            if now > before {
                Ok(())
            } else {
                Err(format!("{now} reconciles"))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    let later = operator.metric(errors).await;
    assert_eq!(
        (first, later),
        (1.0, 1.0),
        "failed attempts, then after a reconcile with the same inputs and 15 s; its metrics:\n{}\nits log:\n{}",
        operator
            .get("/metrics")
            .await
            .map(|(_, body)| body)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("tripreport_"))
            .collect::<Vec<_>>()
            .join("\n"),
        operator.logs()
    );

    // A person acts (shortens the report): it publishes and recovers on its own.
    reports
        .patch(
            "long-report",
            &PatchParams::apply("chaos-user").force(),
            &Patch::Apply(json!({
                "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
                "spec": {"title": "A very long report", "conference": {"name": "KubeCon", "year": 2024, "city": "Paris"},
                         "author": {"name": "Jane Doe"}, "language": "en", "body": "Shortened.", "review": {"requiredApprovals": 0}}
            })),
        )
        .await
        .expect("shorten the body");
    for j in 10..50 {
        recs.delete(&format!("talk-{j:02}"), &Default::default())
            .await
            .expect("delete a recommendation");
    }
    eventually(
        "the report to be Ready",
        Duration::from_secs(60),
        || async {
            let report = reports
                .get("long-report")
                .await
                .map_err(|e| e.to_string())?;
            let conditions = report.status.map(|s| s.conditions).unwrap_or_default();
            match conditions.iter().find(|c| c.type_ == "Ready") {
                Some(c) if c.status == "True" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    record(
        "too_large",
        json!({
            "etcd_max_request_bytes": ETCD_LIMIT,
            "condition": {"type": "Ready", "status": "False", "reason": ready.reason, "message": ready.message},
            "failed_attempts_in_15_seconds": later,
            "recovered_after_the_spec_was_shortened": true,
        }),
    );
}
