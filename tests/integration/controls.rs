//! The controls a platform team relies on: suspend, the big red button, reconcile on demand,
//! and leader election between replicas.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::operator::{THREE_TITLES, fixture, recommendation, report, three_talks, wait_summary};
use crate::support::{LEASE_SECONDS, Operator, eventually};

/// The summary's titles in order, read once.
async fn titles(config_maps: &Api<ConfigMap>, name: &str) -> Vec<String> {
    let cm = config_maps.get(name).await.expect("the summary");
    let json: serde_json::Value =
        serde_json::from_str(&cm.data.expect("data")["summary.json"]).expect("summary.json");
    json["recommendations"]
        .as_array()
        .expect("recommendations")
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

const REORDERED: [&str; 3] = [
    "Grafana Loki: like Prometheus, but for logs",
    "Inside the controllers of the control plane",
    "Canary releases with Argo",
];

fn promote_controllers() -> serde_json::Value {
    recommendation(
        "controllers",
        "kubecon-eu-2019",
        "Inside the controllers of the control plane",
        5,
    )
}

#[tokio::test]
async fn suspend_stops_writes_and_resuming_converges() {
    let f = fixture("suspend", true).await;
    let operator = f.operator.as_ref().expect("operator");
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;

    let mut suspended = report("kubecon-eu-2019");
    suspended["spec"]["suspend"] = json!(true);
    f.apply_ok(&f.reports, suspended).await;
    // Let the operator see the suspension before measuring: its recommendations say so.
    f.wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportSuspended"))
        .await;
    let report_writes = || async {
        operator
            .metric(r#"tripreport_writes_total{resource="configmaps"}"#)
            .await
            + operator
                .metric(r#"tripreport_writes_total{resource="conferencereports/status"}"#)
                .await
    };
    let before = report_writes().await;
    f.apply_ok(&f.recs, promote_controllers()).await;
    // The recommendation is an object of its own: its edit is taken in, and it says why the
    // summary does not show it yet.
    eventually(
        "the edited recommendation to say ReportSuspended for generation 2",
        Duration::from_secs(30),
        || async {
            let rec = f.recs.get("controllers").await.map_err(|e| e.to_string())?;
            let status = &rec.data["status"];
            let ready = status["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                .cloned()
                .unwrap_or_default();
            if status["observedGeneration"] == json!(2) && ready["reason"] == "ReportSuspended" {
                Ok(())
            } else {
                Err(format!("{status}"))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        report_writes().await,
        before,
        "a suspended report or its summary was written to:\n{}",
        f.operator_logs()
    );
    assert_eq!(
        titles(&f.config_maps, "kubecon-eu-2019-summary").await,
        THREE_TITLES
    );

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    wait_summary(&f, "kubecon-eu-2019", &REORDERED).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
}

#[tokio::test]
async fn the_big_red_button_stops_every_write_and_releasing_it_converges() {
    let f = fixture("paused", true).await;
    let operator = f.operator.as_ref().expect("operator");
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    assert_eq!(operator.metric("tripreport_paused").await, 0.0);

    let button: Api<ConfigMap> = f.config_maps.clone();
    let press = |paused: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "tripreport-operator-control"}, "data": {"paused": paused}})
    };
    let pressed = Instant::now();
    button
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("platform-team"),
            &Patch::Apply(press("true")),
        )
        .await
        .expect("press the button");
    eventually(
        "the operator to say it is paused",
        Duration::from_secs(10),
        || async {
            if operator.metric("tripreport_paused").await == 1.0 {
                Ok(())
            } else {
                Err("not paused".to_string())
            }
        },
    )
    .await;
    println!(
        "paused {:?} after the button was pressed",
        pressed.elapsed()
    );
    assert!(
        pressed.elapsed() < Duration::from_secs(1),
        "pausing took {:?}",
        pressed.elapsed()
    );

    // Everything that would normally cause writes: an edit, a new object, a deleted summary.
    let writes = operator.writes().await;
    f.apply_ok(&f.recs, promote_controllers()).await;
    f.apply_ok(
        &f.recs,
        recommendation("late", "kubecon-eu-2019", "A late addition", 1),
    )
    .await;
    f.config_maps
        .delete("kubecon-eu-2019-summary", &DeleteParams::default())
        .await
        .expect("delete the summary");
    // A new report is read while nothing is written, so that the release has only to write.
    let readings = r#"tripreport_remembered{memo="readings"}"#;
    f.apply_ok(&f.reports, report("written-while-paused")).await;
    eventually(
        "the new report's body to be read while paused",
        Duration::from_secs(15),
        || async {
            match operator.metric(readings).await {
                2.0 => Ok(()),
                n => Err(format!("{n} readings kept")),
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        operator.writes().await,
        writes,
        "writes while paused:\n{}",
        f.operator_logs()
    );
    assert!(
        f.config_maps
            .get_opt("kubecon-eu-2019-summary")
            .await
            .expect("get")
            .is_none()
    );
    let late = f.recs.get("late").await.expect("the late recommendation");
    assert!(
        late.data.get("status").is_none_or(|s| s.is_null()),
        "status written while paused: {:?}",
        late.data["status"]
    );

    button
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("platform-team"),
            &Patch::Apply(press("false")),
        )
        .await
        .expect("release the button");
    let mut converged = REORDERED.to_vec();
    converged.push("A late addition");
    wait_summary(&f, "kubecon-eu-2019", &converged).await;
    f.wait_condition(&f.recs, "late", "Ready", "True", None)
        .await;
    wait_summary(&f, "written-while-paused", &[]).await;
    assert_eq!(operator.metric(readings).await, 2.0, "read once, before");
}

#[tokio::test]
async fn a_reconcile_request_is_recorded_in_the_status() {
    let f = fixture("requested-at", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let mut requested = report("kubecon-eu-2019");
    requested["metadata"]["annotations"] =
        json!({"tripreports.dev/requested-at": "2026-11-22T10:00:00Z"});
    f.apply_ok(&f.reports, requested).await;
    eventually(
        "lastHandledReconcileAt to be recorded",
        Duration::from_secs(30),
        || async {
            let object = f
                .reports
                .get("kubecon-eu-2019")
                .await
                .map_err(|e| e.to_string())?;
            let handled = &object.data["status"]["lastHandledReconcileAt"];
            if handled == "2026-11-22T10:00:00Z" {
                Ok(())
            } else {
                Err(handled.to_string())
            }
        },
    )
    .await;
}

async fn leader_of(leases: &Api<Lease>) -> Option<String> {
    leases
        .get_opt("tripreport-operator")
        .await
        .ok()
        .flatten()
        .and_then(|l| l.spec?.holder_identity)
}

#[tokio::test]
async fn only_the_leader_writes_and_a_killed_leader_is_replaced_within_the_lease() {
    let f = fixture("failover", false).await;
    let kubeconfig = f.env.cp.kubeconfig_path();
    let mut replicas = [
        Operator::start_as(&kubeconfig, &f.env.namespace, "replica-a"),
        Operator::start_as(&kubeconfig, &f.env.namespace, "replica-b"),
    ];
    let leases: Api<Lease> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    let leader = eventually(
        "a leader to be elected",
        Duration::from_secs(30),
        || async {
            leader_of(&leases)
                .await
                .ok_or_else(|| "no holder".to_string())
        },
    )
    .await;
    let (lead, follow) = if leader == "replica-a" {
        (0, 1)
    } else {
        (1, 0)
    };

    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_eq!(replicas[lead].metric("tripreport_leader").await, 1.0);
    assert_eq!(replicas[follow].metric("tripreport_leader").await, 0.0);
    // A write counts just after it returns: wait for the leader's to be counted.
    let leader_replica = &replicas[lead];
    eventually(
        "the leader's writes to be counted",
        Duration::from_secs(10),
        || async {
            let writes = leader_replica.writes().await;
            if writes > 0.0 {
                Ok(())
            } else {
                Err(format!("{writes}"))
            }
        },
    )
    .await;
    assert_eq!(
        replicas[follow].writes().await,
        0.0,
        "the follower wrote:\n{}",
        replicas[follow].logs()
    );
    // The follower's caches are warm: it is ready to lead.
    let follower = &replicas[follow];
    eventually(
        "the follower to be ready",
        Duration::from_secs(10),
        || async {
            match follower.get("/readyz").await {
                Ok((200, _)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;

    let killed = Instant::now();
    replicas[lead].signal(libc::SIGKILL);
    let survivor = &replicas[follow];
    eventually(
        "the follower to take over",
        Duration::from_secs(LEASE_SECONDS * 4),
        || async {
            if survivor.metric("tripreport_leader").await == 1.0 {
                Ok(())
            } else {
                Err("not yet".to_string())
            }
        },
    )
    .await;
    let takeover = killed.elapsed();
    println!("takeover {takeover:?} after SIGKILL of the leader (lease {LEASE_SECONDS}s)");
    f.apply_ok(&f.recs, promote_controllers()).await;
    wait_summary(&f, "kubecon-eu-2019", &REORDERED).await;
}

#[tokio::test]
async fn sigterm_makes_the_leader_release_the_lease_and_exit() {
    let f = fixture("sigterm", false).await;
    let kubeconfig = f.env.cp.kubeconfig_path();
    let mut only = Operator::start_as(&kubeconfig, &f.env.namespace, "replica-a");
    let leases: Api<Lease> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    eventually("replica-a to lead", Duration::from_secs(30), || async {
        match leader_of(&leases).await.as_deref() {
            Some("replica-a") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let status = only
        .signal(libc::SIGTERM)
        .expect("the operator exits on SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert_eq!(leader_of(&leases).await, None, "the Lease was not released");

    // A new replica takes it at once, not after the old lease would have expired.
    let started = Instant::now();
    let next = Operator::start_as(&kubeconfig, &f.env.namespace, "replica-b");
    eventually("replica-b to lead", Duration::from_secs(30), || async {
        if next.metric("tripreport_leader").await == 1.0 {
            Ok(())
        } else {
            Err("not yet".to_string())
        }
    })
    .await;
    println!("replica-b led {:?} after starting", started.elapsed());
}

/// `--log-format json`: one JSON object per line, each line about an object naming it.
#[tokio::test]
async fn json_logs_name_the_object_on_every_line_about_it() {
    let f = fixture("json-logs", false).await;
    let operator = Operator::start_with_env(
        &f.env.cp.kubeconfig_path(),
        &f.env.namespace,
        "operator",
        &[("TRIPREPORT_LOG_FORMAT", "json")],
    );
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let logs = operator.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let about_report: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["message"] == "status written"
                || l["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("summary "))
        })
        .filter(|l| l["span"]["object"] == "kubecon-eu-2019")
        .collect();
    assert!(about_report.len() >= 2, "{logs}");
    for line in about_report {
        assert_eq!(
            line["span"]["namespace"],
            f.env.namespace.as_str(),
            "{line}"
        );
    }
}
