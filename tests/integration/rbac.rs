//! Least privilege, proven: the operator runs under a ServiceAccount granted exactly the rules
//! in deploy/rbac.yaml, and a missing rule shows up as a condition, an Event and a metric.

use std::time::Duration;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};

use crate::operator::{
    Fixture, THREE_TITLES, assert_event, condition, fixture, recommendation, three_talks,
    wait_summary,
};
use crate::support::{Operator, eventually};

/// The rules of deploy/rbac.yaml: the ClusterRole's (reports, recommendations, ConfigMaps,
/// Events) and the Role's (the Lease in the operator's namespace).
fn deploy_rules() -> (Vec<PolicyRule>, Vec<PolicyRule>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac.yaml"))
        .expect("read deploy/rbac.yaml");
    let (mut cluster, mut namespaced) = (Vec::new(), Vec::new());
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let value: serde_json::Value = serde::Deserialize::deserialize(document).expect("YAML");
        match value["kind"].as_str() {
            Some("ClusterRole") => {
                let role: ClusterRole = serde_json::from_value(value).expect("a ClusterRole");
                cluster.extend(role.rules.unwrap_or_default());
            }
            Some("Role") => {
                let role: Role = serde_json::from_value(value).expect("a Role");
                namespaced.extend(role.rules.unwrap_or_default());
            }
            _ => {}
        }
    }
    assert!(
        !cluster.is_empty() && !namespaced.is_empty(),
        "deploy/rbac.yaml has a ClusterRole and a Role"
    );
    (cluster, namespaced)
}

/// Takes `verbs` out of the rules on ConfigMaps.
fn without_config_map_verbs(rules: &mut [PolicyRule], verbs: &[&str]) {
    for rule in rules
        .iter_mut()
        .filter(|r| r.resources.iter().flatten().any(|r| r == "configmaps"))
    {
        rule.verbs.retain(|v| !verbs.contains(&v.as_str()));
    }
}

/// A rule on ConfigMaps: `verbs`, on the one called `name` if given, else on all.
fn config_maps(verbs: &[&str], name: Option<&str>) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec!["".into()]),
        resources: Some(vec!["configmaps".into()]),
        resource_names: name.map(|n| vec![n.to_string()]),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

/// Grants `rules` to the ServiceAccount `operator` in the test namespace. The operator runs with
/// `--namespace` there, so a Role holds the same rules the ClusterRole grants cluster-wide.
async fn grant(f: &Fixture, name: &str, rules: Vec<PolicyRule>) {
    let roles: Api<Role> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    let bindings: Api<RoleBinding> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    let meta = ObjectMeta {
        name: Some(name.to_string()),
        ..Default::default()
    };
    roles
        .create(
            &PostParams::default(),
            &Role {
                metadata: meta.clone(),
                rules: Some(rules),
            },
        )
        .await
        .expect("create the Role");
    bindings
        .create(
            &PostParams::default(),
            &RoleBinding {
                metadata: meta,
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name: name.to_string(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: "operator".into(),
                    namespace: Some(f.env.namespace.clone()),
                    api_group: None,
                }]),
            },
        )
        .await
        .expect("create the RoleBinding");
}

async fn operator_as_service_account(f: &Fixture) -> Operator {
    operator_as_service_account_with(f, &[]).await
}

async fn operator_as_service_account_with(f: &Fixture, env: &[(&str, &str)]) -> Operator {
    let kubeconfig = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-sa.kubeconfig", f.env.namespace));
    f.env
        .cp
        .write_service_account_kubeconfig(&f.env.namespace, "operator", &kubeconfig)
        .await
        .expect("a kubeconfig for the ServiceAccount");
    Operator::start_with_env(&kubeconfig, &f.env.namespace, "operator", env)
}

/// The Events of type Warning with `reason` about the object `name`, each with its count (an
/// Event series counts its repetitions).
async fn warnings(f: &Fixture, name: &str, reason: &str) -> Vec<i32> {
    use k8s_openapi::api::events::v1::Event;
    let events: Api<Event> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    events
        .list(&Default::default())
        .await
        .expect("list Events")
        .items
        .iter()
        .filter(|e| {
            e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
                && e.reason.as_deref() == Some(reason)
                && e.type_.as_deref() == Some("Warning")
        })
        .map(|e| e.series.as_ref().map_or(1, |s| s.count))
        .collect()
}

#[tokio::test]
async fn the_operator_runs_its_whole_lifecycle_with_exactly_the_deploy_rbac() {
    let f = fixture("rbac-lifecycle", false).await;
    let (cluster, namespaced) = deploy_rules();
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    let operator = operator_as_service_account(&f).await;

    three_talks(&f).await;
    f.apply_ok(
        &f.recs,
        recommendation("dangling", "no-such-report", "Nothing", 1),
    )
    .await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.wait_condition(
        &f.reports,
        "kubecon-eu-2019",
        "Ready",
        "True",
        Some("Published"),
    )
    .await;
    f.wait_condition(
        &f.recs,
        "dangling",
        "Ready",
        "False",
        Some("ReportNotFound"),
    )
    .await;
    assert_eq!(
        operator.metric("tripreport_leader").await,
        1.0,
        "{}",
        operator.logs()
    );
    assert_event(&f, "kubecon-eu-2019", "Normal", "SummaryPublished").await;
    assert_event(&f, "dangling", "Warning", "ReportNotFound").await;
    assert_eq!(
        operator
            .metric(
                r#"tripreport_reconcile_errors_total{kind="ConferenceReport",reason="Forbidden"}"#
            )
            .await,
        0.0,
        "{}",
        operator.logs()
    );
    assert!(
        !operator.logs().contains("forbidden"),
        "something was forbidden:\n{}",
        operator.logs()
    );
}

#[tokio::test]
async fn a_missing_rule_is_a_condition_an_event_and_a_metric() {
    let f = fixture("rbac-missing", false).await;
    let (mut cluster, namespaced) = deploy_rules();
    // Take away writing ConfigMaps, keep reading them.
    without_config_map_verbs(&mut cluster, &["create", "patch"]);
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    let operator = operator_as_service_account(&f).await;

    three_talks(&f).await;
    let report = f
        .wait_condition(
            &f.reports,
            "kubecon-eu-2019",
            "Ready",
            "False",
            Some("SummaryFailed"),
        )
        .await;
    let stalled = condition(&report, "Stalled").expect("Stalled, so GitOps tools stop waiting");
    assert_eq!(stalled["reason"], "SummaryFailed");
    let message = stalled["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("forbidden") && message.contains("configmaps"),
        "{message}"
    );
    assert_event(&f, "kubecon-eu-2019", "Warning", "SummaryFailed").await;
    let forbidden = operator
        .metric(r#"tripreport_reconcile_errors_total{kind="ConferenceReport",reason="Forbidden"}"#)
        .await;
    assert!(
        forbidden >= 1.0,
        "the error metric did not count it:\n{}",
        operator.get("/metrics").await.unwrap_or_default().1
    );
    assert!(
        operator
            .metric(r#"tripreport_reconciles_total{kind="ConferenceReport",result="error"}"#)
            .await
            >= 1.0,
        "a failure the status reports is still counted as an error:\n{}",
        operator.get("/metrics").await.unwrap_or_default().1
    );

    // An administrator grants the rule; nobody edits the report. It recovers by itself.
    grant(
        &f,
        "tripreport-operator-configmaps",
        vec![config_maps(&["create", "patch"], None)],
    )
    .await;
    let recovered = f
        .wait_condition(
            &f.reports,
            "kubecon-eu-2019",
            "Ready",
            "True",
            Some("Published"),
        )
        .await;
    assert!(
        condition(&recovered, "Stalled").is_none(),
        "{}",
        recovered.data["status"]
    );
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    assert_event(&f, "kubecon-eu-2019", "Normal", "Recovered").await;
    assert_eq!(
        warnings(&f, "kubecon-eu-2019", "SummaryFailed").await,
        vec![1],
        "one Warning for the one problem, however often it was retried"
    );
}

#[tokio::test]
async fn a_forbidden_status_write_is_one_warning_however_often_it_is_retried() {
    let f = fixture("rbac-status", false).await;
    let (mut cluster, namespaced) = deploy_rules();
    // Take away writing the reports' status.
    for rule in cluster.iter_mut() {
        if let Some(resources) = rule.resources.as_mut() {
            resources.retain(|r| r != "conferencereports/status");
        }
    }
    cluster.retain(|r| r.resources.as_ref().is_none_or(|r| !r.is_empty()));
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    let operator = operator_as_service_account(&f).await;
    three_talks(&f).await;
    assert_event(&f, "kubecon-eu-2019", "Warning", "ReconcileFailed").await;
    // Retried on the backoff (1, 2, 4, 8 s ...): several attempts in 12 s, one Warning.
    eventually(
        "a few more attempts at the status",
        Duration::from_secs(30),
        || async {
            let n = operator
                .metric(
                    r#"tripreport_reconcile_errors_total{kind="ConferenceReport",reason="Forbidden"}"#,
                )
                .await;
            if n >= 3.0 { Ok(()) } else { Err(format!("{n}")) }
        },
    )
    .await;
    assert_eq!(
        warnings(&f, "kubecon-eu-2019", "ReconcileFailed").await,
        vec![1],
        "{}",
        operator.logs()
    );
}

#[tokio::test]
async fn without_the_config_map_watch_the_operator_is_neither_ready_nor_healthy() {
    let f = fixture("rbac-no-cm-watch", false).await;
    let (mut cluster, namespaced) = deploy_rules();
    // ConfigMaps may be written but not listed or watched: the summaries' cache never syncs.
    without_config_map_verbs(&mut cluster, &["list", "watch"]);
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    let operator =
        operator_as_service_account_with(&f, &[("TRIPREPORT_UNHEALTHY_AFTER_SECONDS", "3")]).await;
    eventually(
        "the watch errors to be counted",
        Duration::from_secs(30),
        || async {
            let n = operator
                .metric(r#"tripreport_watch_errors_total{kind="ConfigMap"}"#)
                .await;
            if n >= 1.0 {
                Ok(())
            } else {
                Err(format!("{n}"))
            }
        },
    )
    .await;
    let (code, body) = eventually("/healthz to fail", Duration::from_secs(30), || async {
        match operator.get("/healthz").await {
            Ok((503, body)) => Ok((503, body)),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(body.contains("ConfigMap"), "{code} {body}");
    // The other caches synced, this one never does: not ready, though the leader.
    assert_eq!(
        operator.get("/readyz").await.map(|r| r.0),
        Ok(503),
        "{}",
        operator.logs()
    );
    assert_eq!(operator.metric("tripreport_leader").await, 1.0);
}

#[tokio::test]
async fn readyz_waits_for_the_caches_and_healthz_does_not() {
    let f = fixture("readyz", false).await;
    // No rights yet: the operator cannot list anything, so its caches cannot sync.
    let operator = operator_as_service_account(&f).await;
    eventually("/healthz to answer", Duration::from_secs(30), || async {
        match operator.get("/healthz").await {
            Ok((200, _)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(operator.get("/readyz").await.map(|r| r.0), Ok(503));

    let (cluster, namespaced) = deploy_rules();
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    // The watches retry with backoff and sync once allowed.
    eventually("/readyz to pass", Duration::from_secs(60), || async {
        match operator.get("/readyz").await {
            Ok((200, _)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    // A reconcile counts once it has returned, just after its last write.
    eventually(
        "the reconciles and writes to be counted",
        Duration::from_secs(30),
        || async {
            let (_, metrics) = operator.get("/metrics").await.map_err(|e| e.to_string())?;
            let counted = metrics.contains(
                r#"tripreport_reconciles_total{kind="ConferenceReport",result="success"}"#,
            ) && operator
                .metric(r#"tripreport_writes_total{resource="configmaps"}"#)
                .await
                >= 1.0;
            if counted { Ok(()) } else { Err(metrics) }
        },
    )
    .await;
}

/// How far a start has got is counted: while every reconcile waits (here for the summaries'
/// cache, which cannot sync while ConfigMaps may be listed and watched only by the name of the
/// control ConfigMap), the requests beyond the 16 handed on at `--concurrency 1` wait in the
/// admission queue, and the gauge says how many; once the cache syncs, they drain to 0.
#[tokio::test]
async fn the_requests_that_wait_are_counted_and_drain() {
    let f = fixture("rbac-waiting", false).await;
    for i in 0..40 {
        f.apply(
            &f.recs,
            recommendation(
                &format!("talk-{i}"),
                "not-written-yet",
                &format!("Talk {i}"),
                3,
            ),
        )
        .await
        .expect("apply a recommendation");
    }
    let (mut cluster, namespaced) = deploy_rules();
    without_config_map_verbs(&mut cluster, &["list", "watch"]);
    grant(&f, "tripreport-operator", cluster).await;
    grant(&f, "tripreport-operator-leader-election", namespaced).await;
    // The big red button can be read, so reconciles are let through, to wait for the cache.
    grant(
        &f,
        "tripreport-operator-control",
        vec![config_maps(
            &["list", "watch"],
            Some("tripreport-operator-control"),
        )],
    )
    .await;
    let operator = operator_as_service_account_with(&f, &[("TRIPREPORT_CONCURRENCY", "1")]).await;
    let waiting = |kind: &str| format!(r#"tripreport_reconciles_waiting{{kind="{kind}"}}"#);
    eventually(
        "24 of the 40 recommendations to wait",
        Duration::from_secs(30),
        || async {
            let n = operator.metric(&waiting("TalkRecommendation")).await;
            if n == 24.0 {
                Ok(())
            } else {
                Err(format!("{n}"))
            }
        },
    )
    .await;
    assert_eq!(operator.metric(&waiting("ConferenceReport")).await, 0.0);

    grant(
        &f,
        "tripreport-operator-configmaps",
        vec![config_maps(&["list", "watch"], None)],
    )
    .await;
    f.wait_condition(&f.recs, "talk-39", "Ready", "False", Some("ReportNotFound"))
        .await;
    eventually("the queue to drain", Duration::from_secs(30), || async {
        let n = operator.metric(&waiting("TalkRecommendation")).await;
        if n == 0.0 {
            Ok(())
        } else {
            Err(format!("{n}"))
        }
    })
    .await;
}
