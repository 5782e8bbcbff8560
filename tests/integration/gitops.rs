//! What GitOps tools make of the operator's objects, judged by their own code: kstatus (Flux's
//! health checks and `wait: true`, and other deploy tools) through the real library, and the
//! Argo CD health checks in deploy/argocd/ through gopher-lua in Argo CD's sandbox. Both run as
//! the Go helpers tests/controlplane/tools builds beside the control plane; every object they
//! judge is read from the API server in the state a user would see.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kube::ResourceExt;
use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use crate::operator::{
    Fixture, THREE_TITLES, condition, fixture, recommendation, report, three_talks, wait_summary,
};
use crate::support::eventually;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A verdict, as both helpers print it.
#[derive(Debug, serde::Deserialize)]
struct Verdict {
    status: String,
    message: String,
}

/// Runs one of the Go helpers with `stdin` on its standard input.
fn run(tool: &str, args: &[&str], stdin: &[u8]) -> Output {
    let path = testenv::shared().binaries().path(tool);
    let mut child = Command::new(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", path.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write to the helper");
    child.wait_with_output().expect("wait for the helper")
}

/// Runs one of the Go helpers on `object` and reads its verdict.
fn judge(tool: &str, args: &[&str], object: &DynamicObject) -> Verdict {
    let json = serde_json::to_vec(object).expect("serialize the object");
    let output = run(tool, args, &json);
    assert!(
        output.status.success(),
        "{tool} {args:?} failed ({}): {}\non {}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&json)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{tool} printed no verdict ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// kstatus's `status.Compute` on the object.
fn kstatus(object: &DynamicObject) -> Verdict {
    judge("kstatus-check", &[], object)
}

fn script(kind: &str) -> String {
    format!("{ROOT}/deploy/argocd/tripreports.dev/{kind}/health.lua")
}

/// The Argo CD health of the object, from deploy/argocd/tripreports.dev/<kind>/health.lua.
fn health(object: &DynamicObject) -> Verdict {
    let kind = &object.types.as_ref().expect("apiVersion and kind").kind;
    judge("lua-health", &[&script(kind)], object)
}

fn message_of(object: &DynamicObject, type_: &str) -> String {
    condition(object, type_)
        .and_then(|c| c["message"].as_str())
        .unwrap_or_else(|| panic!("no {type_} message in {}", object.data["status"]))
        .to_string()
}

/// `kubectl wait --for=condition=Ready <resource>` in the test's namespace.
fn kubectl_wait(f: &Fixture, resource: &str, timeout: &str) -> Output {
    f.env
        .cp
        .kubectl()
        .args(["wait", "--for=condition=Ready", resource])
        .args(["-n", &f.env.namespace, &format!("--timeout={timeout}")])
        .output()
        .expect("run kubectl wait")
}

/// Presses (or releases) the big red button and waits until the operator says so.
async fn big_red_button(f: &Fixture, paused: bool) {
    let operator = f.operator.as_ref().expect("operator");
    let value = if paused { "true" } else { "false" };
    f.config_maps
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("platform-team"),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "tripreport-operator-control"},
                "data": {"paused": value}
            })),
        )
        .await
        .expect("apply the control ConfigMap");
    let want = if paused { 1.0 } else { 0.0 };
    eventually(
        &format!("tripreport_paused to be {want}"),
        Duration::from_secs(10),
        || async {
            let seen = operator.metric("tripreport_paused").await;
            if seen == want {
                Ok(())
            } else {
                Err(format!("{seen}"))
            }
        },
    )
    .await;
}

#[tokio::test]
async fn converged_objects_are_current_for_kstatus_healthy_for_argocd_and_pass_kubectl_wait() {
    let f = fixture("gitops-current", true).await;
    three_talks(&f).await;
    let mut unreviewed = report("unreviewed");
    unreviewed["spec"]["review"] = json!({"requiredApprovals": 1, "approvals": []});
    f.apply_ok(&f.reports, unreviewed).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let published = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let loki = f
        .wait_condition(&f.recs, "loki", "Ready", "True", Some("Resolved"))
        .await;
    let unreviewed = f
        .wait_condition(&f.reports, "unreviewed", "Ready", "True", None)
        .await;

    for object in [&published, &loki, &unreviewed] {
        let verdict = kstatus(object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            ("Current", "Resource is Ready"),
            "{}",
            object.name_any()
        );
    }

    let verdict = health(&published);
    assert_eq!(verdict.status, "Healthy", "{verdict:?}");
    assert_eq!(
        verdict.message,
        "The summary is published in ConfigMap kubecon-eu-2019-summary. \
         3 recommendations (3 approved, 0 pending). Approved by bob (1 of 1 required)."
    );
    let verdict = health(&unreviewed);
    assert_eq!(verdict.status, "Healthy", "{verdict:?}");
    assert_eq!(
        verdict.message,
        "The summary is published in ConfigMap unreviewed-summary. \
         0 recommendations (0 approved, 0 pending). \
         Awaiting approval: 0 of 1 required approvals so far."
    );
    let verdict = health(&loki);
    assert_eq!(verdict.status, "Healthy", "{verdict:?}");
    assert_eq!(
        verdict.message,
        "Listed in the summary of ConferenceReport kubecon-eu-2019. Approved by bob."
    );

    for resource in [
        "conferencereport/kubecon-eu-2019",
        "talkrecommendation/loki",
    ] {
        let output = kubectl_wait(&f, resource, "60s");
        assert!(
            output.status.success(),
            "kubectl wait {resource}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test]
async fn an_invalid_spec_is_failed_for_kstatus_and_degraded_for_argocd() {
    let f = fixture("gitops-invalid", true).await;
    // Valid for the schema, refused by the operator: the start date is not in the year.
    let mut invalid = report("kubecon-eu-2019");
    invalid["spec"]["conference"]["startDate"] = json!("2018-05-20");
    f.apply_ok(&f.reports, invalid).await;
    let mut blank = recommendation("blank", "kubecon-eu-2019", "Blank reason", 3);
    blank["spec"]["reason"] = json!("   ");
    f.apply_ok(&f.recs, blank).await;

    let report = f
        .wait_condition(
            &f.reports,
            "kubecon-eu-2019",
            "Stalled",
            "True",
            Some("InvalidSpec"),
        )
        .await;
    let rec = f
        .wait_condition(&f.recs, "blank", "Stalled", "True", Some("InvalidSpec"))
        .await;
    for object in [&report, &rec] {
        let stalled = message_of(object, "Stalled");
        let verdict = kstatus(object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            ("Failed", stalled.as_str())
        );
        let verdict = health(object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            ("Degraded", stalled.as_str())
        );
    }
    assert!(
        message_of(&report, "Stalled")
            .contains("spec.conference.startDate: 2018-05-20 is not in 2019"),
        "{}",
        message_of(&report, "Stalled")
    );
    assert!(
        message_of(&rec, "Stalled").contains("spec.reason"),
        "{}",
        message_of(&rec, "Stalled")
    );
}

/// A dangling reportRef is Ready=False (ReportNotFound) without Stalled: the operator resolves
/// it by itself once the report exists. kstatus reads a False Ready without Stalled as work in
/// progress, so Flux waits (until its timeout); Argo CD shows it Degraded, by choice (see the
/// script's comment).
#[tokio::test]
async fn a_dangling_report_ref_is_in_progress_for_kstatus_and_degraded_for_argocd() {
    let f = fixture("gitops-dangling", true).await;
    f.apply_ok(
        &f.recs,
        recommendation("loki", "kubecon-eu-2019", "Grafana Loki", 5),
    )
    .await;
    let dangling = f
        .wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportNotFound"))
        .await;
    let ready = message_of(&dangling, "Ready");
    assert!(
        ready.contains("ConferenceReport kubecon-eu-2019 does not exist"),
        "{ready}"
    );
    let verdict = kstatus(&dangling);
    assert_eq!(
        (verdict.status.as_str(), verdict.message.as_str()),
        ("InProgress", ready.as_str())
    );
    let verdict = health(&dangling);
    assert_eq!(
        (verdict.status.as_str(), verdict.message.as_str()),
        ("Degraded", ready.as_str())
    );

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    let resolved = f
        .wait_condition(&f.recs, "loki", "Ready", "True", Some("Resolved"))
        .await;
    assert_eq!(kstatus(&resolved).status, "Current");
    assert_eq!(health(&resolved).status, "Healthy");
}

/// With the operator frozen by the big red button, an edit leaves the status describing the
/// previous generation: InProgress for kstatus, Progressing for Argo CD, and `kubectl wait`
/// does not pass on the stale Ready=True. Releasing the button converges all three.
#[tokio::test]
async fn a_generation_the_operator_has_not_seen_is_in_progress_until_it_catches_up() {
    let f = fixture("gitops-generation", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.apply_ok(
        &f.recs,
        recommendation("loki", "kubecon-eu-2019", "Grafana Loki", 5),
    )
    .await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    f.wait_condition(&f.recs, "loki", "Ready", "True", None)
        .await;

    big_red_button(&f, true).await;
    let mut edited = report("kubecon-eu-2019");
    edited["spec"]["title"] = json!("What we saw at KubeCon Barcelona, revised");
    f.apply_ok(&f.reports, edited).await;
    f.apply_ok(
        &f.recs,
        recommendation("loki", "kubecon-eu-2019", "Grafana Loki", 4),
    )
    .await;
    // A new report the operator has not seen at all: no status yet.
    f.apply_ok(&f.reports, report("unseen")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let stale_report = f.reports.get("kubecon-eu-2019").await.expect("report");
    let stale_rec = f.recs.get("loki").await.expect("recommendation");
    for (object, kind) in [
        (&stale_report, "ConferenceReport"),
        (&stale_rec, "TalkRecommendation"),
    ] {
        assert_eq!(object.metadata.generation, Some(2));
        assert_eq!(
            object.data["status"]["observedGeneration"],
            1,
            "the operator wrote while paused: {}",
            f.operator_logs()
        );
        let verdict = kstatus(object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            (
                "InProgress",
                format!("{kind} generation is 2, but latest observed generation is 1").as_str()
            )
        );
        let verdict = health(object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            (
                "Progressing",
                "Waiting for the operator to reconcile generation 2 \
                 (its status describes generation 1)."
            )
        );
    }
    // kubectl wait compares the condition's observedGeneration with the generation.
    let output = kubectl_wait(&f, "conferencereport/kubecon-eu-2019", "3s");
    assert!(
        !output.status.success(),
        "kubectl wait passed on a stale Ready: {}",
        String::from_utf8_lossy(&output.stdout)
    );

    // Without any status kstatus cannot tell: it calls the object Current. Only the Argo CD
    // check, which knows the operator always writes a status, says it is waiting.
    let unseen = f.reports.get("unseen").await.expect("report");
    assert!(unseen.data.get("status").is_none_or(Value::is_null));
    let verdict = kstatus(&unseen);
    assert_eq!(
        (verdict.status.as_str(), verdict.message.as_str()),
        ("Current", "Resource is current")
    );
    let verdict = health(&unseen);
    assert_eq!(
        (verdict.status.as_str(), verdict.message.as_str()),
        (
            "Progressing",
            "Waiting for the operator to reconcile this report for the first time."
        )
    );

    big_red_button(&f, false).await;
    for (api, name) in [
        (&f.reports, "kubecon-eu-2019"),
        (&f.recs, "loki"),
        (&f.reports, "unseen"),
    ] {
        let object = f.wait_condition(api, name, "Ready", "True", None).await;
        assert_eq!(kstatus(&object).status, "Current", "{name}");
        assert_eq!(health(&object).status, "Healthy", "{name}");
    }
    let output = kubectl_wait(&f, "conferencereport/kubecon-eu-2019", "60s");
    assert!(output.status.success(), "{output:?}");
}

/// spec.suspend is Suspended for Argo CD. The operator writes nothing for a suspended report,
/// not even observedGeneration, so kstatus sees a generation it has not observed.
#[tokio::test]
async fn a_suspended_report_is_suspended_for_argocd() {
    let f = fixture("gitops-suspend", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let mut suspended = report("kubecon-eu-2019");
    suspended["spec"]["suspend"] = json!(true);
    f.apply_ok(&f.reports, suspended).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let object = f.reports.get("kubecon-eu-2019").await.expect("report");
    let verdict = health(&object);
    assert_eq!(verdict.status, "Suspended", "{verdict:?}");
    assert!(
        verdict.message.contains("spec.suspend is true"),
        "{verdict:?}"
    );
    let verdict = kstatus(&object);
    assert_eq!(
        (verdict.status.as_str(), verdict.message.as_str()),
        (
            "InProgress",
            "ConferenceReport generation is 2, but latest observed generation is 1"
        )
    );

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    let resumed = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_eq!(health(&resumed).status, "Healthy");
    assert_eq!(kstatus(&resumed).status, "Current");
}

/// Argo CD and Flux track what they own by label (and Argo CD by annotation, too): a summary
/// carrying the report's would be claimed by, and pruned from, the report's application. The
/// owner reference is what shows it as the report's child instead.
#[tokio::test]
async fn the_summary_carries_none_of_the_reports_labels_or_annotations() {
    let f = fixture("gitops-labels", true).await;
    let mut object = report("kubecon-eu-2019");
    object["metadata"]["labels"] = json!({
        "app.kubernetes.io/instance": "x",
        "kustomize.toolkit.fluxcd.io/name": "y",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    });
    object["metadata"]["annotations"] = json!({
        "argocd.argoproj.io/tracking-id":
            "reports:tripreports.dev/ConferenceReport:ns/kubecon-eu-2019",
    });
    f.apply_ok(&f.reports, object).await;
    let report = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let cm = wait_summary(&f, "kubecon-eu-2019", &[]).await;

    let labels: BTreeMap<String, String> = cm.labels().clone();
    assert_eq!(
        labels,
        BTreeMap::from([
            (
                "app.kubernetes.io/managed-by".to_string(),
                "tripreport-operator".to_string()
            ),
            (
                "tripreports.dev/report".to_string(),
                "kubecon-eu-2019".to_string()
            ),
        ])
    );
    let annotations: BTreeSet<&str> = cm.annotations().keys().map(String::as_str).collect();
    assert_eq!(annotations, BTreeSet::from(["tripreports.dev/digest"]));

    let owners = cm.owner_references();
    assert_eq!(owners.len(), 1, "{owners:?}");
    let owner = &owners[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
            Some(owner.uid.as_str()),
            owner.controller,
            owner.block_owner_deletion,
        ),
        (
            "tripreports.dev/v1alpha1",
            "ConferenceReport",
            "kubecon-eu-2019",
            report.metadata.uid.as_deref(),
            Some(true),
            Some(true),
        )
    );
}

fn snippet() -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/deploy/argocd/argocd-cm.yaml"))
        .expect("read deploy/argocd/argocd-cm.yaml");
    serde_yaml_ng::from_str(&text).expect("deploy/argocd/argocd-cm.yaml is YAML")
}

/// deploy/argocd/argocd-cm.yaml inlines exactly the two scripts, byte for byte.
#[test]
fn the_argocd_cm_snippet_inlines_exactly_the_two_health_scripts() {
    let snippet = snippet();
    assert_eq!(
        (&snippet["kind"], &snippet["metadata"]["name"]),
        (&json!("ConfigMap"), &json!("argocd-cm"))
    );
    let data = snippet["data"].as_object().expect("data");
    let expected: BTreeMap<String, String> = ["ConferenceReport", "TalkRecommendation"]
        .into_iter()
        .map(|kind| {
            (
                format!("resource.customizations.health.tripreports.dev_{kind}"),
                std::fs::read_to_string(script(kind)).expect("read health.lua"),
            )
        })
        .collect();
    let actual: BTreeMap<String, String> = data
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    assert!(
        actual == expected,
        "deploy/argocd/argocd-cm.yaml differs from the health.lua files: regenerate it \
         (each key holds its file, indented by four spaces, as a `|` block)"
    );
}

/// The install command docs/deploy.md gives merges into an argocd-cm that holds settings of its
/// own, and leaves them alone.
#[tokio::test]
async fn the_argocd_cm_snippet_merges_into_an_existing_argocd_cm() {
    let f = fixture("gitops-argocd-cm", false).await;
    let existing = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm"},
        "data": {"url": "https://argocd.example.com", "timeout.reconciliation": "180s"}
    });
    f.config_maps
        .patch(
            "argocd-cm",
            &PatchParams::apply("argocd-install"),
            &Patch::Apply(existing),
        )
        .await
        .expect("create argocd-cm");
    let output = f
        .env
        .cp
        .kubectl()
        .args(["-n", &f.env.namespace, "patch", "configmap", "argocd-cm"])
        .args([
            "--patch-file",
            &format!("{ROOT}/deploy/argocd/argocd-cm.yaml"),
        ])
        .output()
        .expect("run kubectl patch");
    assert!(output.status.success(), "{output:?}");

    let cm = f.config_maps.get("argocd-cm").await.expect("argocd-cm");
    let data = cm.data.expect("data");
    let snippet = snippet();
    let mut expected: BTreeMap<String, String> = snippet["data"]
        .as_object()
        .expect("data")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    expected.insert("url".into(), "https://argocd.example.com".into());
    expected.insert("timeout.reconciliation".into(), "180s".into());
    assert_eq!(data, expected);
}

/// Both judges on states that are hard to bring about for real (a transient error being
/// retried, a summary refused for good, a truncated summary), with the conditions the operator
/// writes for them.
#[tokio::test]
async fn health_and_kstatus_on_states_that_are_hard_to_bring_about() {
    let object = |kind: &str, status: Value| -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": kind,
            "metadata": {"name": "x", "generation": 3},
            "spec": {},
            "status": status,
        }))
        .expect("a DynamicObject")
    };
    let cond = |type_: &str, status: &str, reason: &str, message: &str| {
        json!({"type": type_, "status": status, "reason": reason, "message": message,
               "observedGeneration": 3, "lastTransitionTime": "2019-05-20T09:00:00Z"})
    };
    let retrying = "Publishing the summary; the last attempt failed and will be retried: timeout";
    let refused = "The summary could not be published: forbidden";
    let published = "The summary is published in ConfigMap x-summary.";
    let truncated = "1500 of 2000 recommendations are in ConfigMap x-summary.";
    let listed = "Listed in the summary of ConferenceReport r.";
    let changes = "bob requested changes: cite the talk";
    // (kind, status, Argo CD health, kstatus status)
    let cases = [
        (
            "ConferenceReport",
            json!({"observedGeneration": 3, "conditions": [
                cond("Ready", "False", "Progressing", retrying),
                cond("Reconciling", "True", "Progressing", retrying),
            ]}),
            ("Progressing", retrying.to_string()),
            "InProgress",
        ),
        (
            "ConferenceReport",
            json!({"observedGeneration": 3, "conditions": [
                cond("Ready", "Unknown", "Progressing", "Publishing the summary."),
            ]}),
            ("Progressing", "Publishing the summary.".to_string()),
            "InProgress",
        ),
        (
            "ConferenceReport",
            json!({"observedGeneration": 3, "conditions": [
                cond("Ready", "False", "SummaryFailed", refused),
                cond("Stalled", "True", "SummaryFailed", refused),
            ]}),
            ("Degraded", refused.to_string()),
            "Failed",
        ),
        (
            "ConferenceReport",
            json!({
                "observedGeneration": 3,
                "recommendations": {"total": 2000, "approved": 2000, "pending": 0},
                "conditions": [
                    cond("Ready", "True", "Published", published),
                    cond("Reviewed", "True", "Approved", "No approvals are required."),
                    cond("Summarized", "True", "Truncated", truncated),
                ]
            }),
            (
                "Healthy",
                format!(
                    "{published} 2000 recommendations (2000 approved, 0 pending). \
                     No approvals are required. Truncated: {truncated}"
                ),
            ),
            "Current",
        ),
        (
            "TalkRecommendation",
            json!({"observedGeneration": 3, "conditions": [
                cond("Ready", "True", "Resolved", listed),
                cond("Reviewed", "False", "ChangesRequested", changes),
            ]}),
            ("Healthy", format!("{listed} {changes}")),
            "Current",
        ),
        (
            "TalkRecommendation",
            Value::Null,
            (
                "Progressing",
                "Waiting for the operator to reconcile this recommendation for the first time."
                    .to_string(),
            ),
            // kstatus cannot tell an object without status from a converged one.
            "Current",
        ),
    ];
    for (kind, status, (want_health, want_message), want_kstatus) in cases {
        let object = object(kind, status.clone());
        let verdict = health(&object);
        assert_eq!(
            (verdict.status.as_str(), verdict.message.as_str()),
            (want_health, want_message.as_str()),
            "{kind} with status {status}"
        );
        assert_eq!(
            kstatus(&object).status,
            want_kstatus,
            "kstatus on {kind} with status {status}"
        );
    }

    // The helper's sandbox is Argo CD's: no string library, so a script that would fail in
    // Argo CD fails here too.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let uses_string = dir.join("gitops-uses-string.lua");
    std::fs::write(
        &uses_string,
        "return {status = string.lower(\"Healthy\"), message = \"\"}\n",
    )
    .expect("write a script");
    let script = uses_string.to_str().expect("a UTF-8 path");
    let object = object("ConferenceReport", Value::Null);
    let output = run(
        "lua-health",
        &[script],
        &serde_json::to_vec(&object).expect("JSON"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success()
            && stderr.contains("attempt to index a non-table object(nil) with key 'lower'"),
        "{output:?}"
    );
}
