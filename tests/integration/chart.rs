//! The Helm chart (deploy/helm/tripreport-operator) with the real helm, built from its Go module:
//! `helm lint`; `helm template` with the default and the one-namespace values, each applied with
//! `--dry-run=server`; its RBAC equal to the kustomize install's, rule for rule; its copies of
//! deploy/'s files identical; and an install into the control plane, where the operator, run
//! under the chart's ServiceAccount, converges a sample.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::operator::{fixture, report};
use crate::support::Operator;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CHART: &str = "deploy/helm/tripreport-operator";

fn run(
    program: &Path,
    args: &[&str],
    stdin: Option<&str>,
    kubeconfig: &Path,
) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(ROOT)
        .env("KUBECONFIG", kubeconfig)
        // helm keeps its caches and config under these; the test's own, not the user's.
        .env(
            "HELM_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm/cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm/config"),
        )
        .env(
            "HELM_DATA_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm/data"),
        )
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn helm(cp: &testenv::ControlPlane, args: &[&str]) -> String {
    let helm = testenv::tool("helm").expect("helm (tests/controlplane/build-tools.sh)");
    let (ok, stdout, stderr) = run(&helm, args, None, &cp.kubeconfig_path());
    assert!(ok, "helm {}:\n{stdout}\n{stderr}", args.join(" "));
    stdout
}

fn kubectl(cp: &testenv::ControlPlane, args: &[&str], stdin: Option<&str>) -> String {
    let kubectl = cp.binaries().path("kubectl");
    let (ok, stdout, stderr) = run(&kubectl, args, stdin, &cp.kubeconfig_path());
    assert!(ok, "kubectl {}:\n{stdout}\n{stderr}", args.join(" "));
    stdout
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// The rules of the role `kind`/`name` among `objects`.
fn rules(objects: &[Value], kind: &str, name: &str) -> Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))["rules"]
        .clone()
}

#[tokio::test]
async fn the_chart_lints_renders_for_the_api_server_and_grants_what_kustomize_grants() {
    let f = fixture("chart-render", false).await;
    let cp = f.env.cp;
    let ns = f.env.namespace.as_str();
    let out = helm(cp, &["lint", "--strict", CHART]);
    assert!(
        out.contains("1 chart(s) linted, 0 chart(s) failed"),
        "{out}"
    );

    // The chart's copies of deploy/'s files, so that the two installs cannot drift.
    for (copy, original) in [
        ("crds/tripreports.dev.yaml", "crds/tripreports.dev.yaml"),
        (
            "files/admission-policies.yaml",
            "deploy/admission/policies.yaml",
        ),
        (
            "files/prometheusrule.yaml",
            "deploy/monitoring/prometheusrule.yaml",
        ),
        ("files/dashboard.json", "deploy/monitoring/dashboard.json"),
    ] {
        let read = |p: &str| std::fs::read_to_string(Path::new(ROOT).join(p)).expect(p);
        assert!(
            read(&format!("{CHART}/{copy}")) == read(original),
            "{CHART}/{copy} differs from {original}: copy it again"
        );
    }

    // Rendered into the test's namespace, which exists (the chart does not own its namespace).
    let defaults = helm(cp, &["template", "tr", CHART, "-n", ns, "--include-crds"]);
    let one_namespace = helm(
        cp,
        &[
            "template",
            "tr",
            CHART,
            "-n",
            ns,
            "--set",
            &format!("watchNamespace={ns}"),
        ],
    );
    for rendered in [&defaults, &one_namespace] {
        kubectl(
            cp,
            &["apply", "--dry-run=server", "-f", "-"],
            Some(rendered),
        );
    }

    // RBAC, rule for rule.
    let kustomized = documents(&kubectl(cp, &["kustomize", "deploy/"], None));
    let kustomized_ns = documents(&kubectl(cp, &["kustomize", "deploy/namespaced/"], None));
    let (defaults, one_namespace) = (documents(&defaults), documents(&one_namespace));
    assert_eq!(
        rules(&defaults, "ClusterRole", "tripreport-operator"),
        rules(&kustomized, "ClusterRole", "tripreport-operator")
    );
    assert_eq!(
        rules(&defaults, "Role", "tripreport-operator-leader-election"),
        rules(&kustomized, "Role", "tripreport-operator-leader-election")
    );
    assert_eq!(
        rules(&one_namespace, "Role", "tripreport-operator"),
        rules(&kustomized_ns, "Role", "tripreport-operator")
    );
    assert_eq!(
        rules(
            &one_namespace,
            "Role",
            "tripreport-operator-leader-election"
        ),
        rules(
            &kustomized_ns,
            "Role",
            "tripreport-operator-leader-election"
        )
    );
    assert!(
        !one_namespace.iter().any(|o| o["kind"] == "ClusterRole"),
        "the one-namespace chart grants nothing cluster-wide"
    );

    // The monitoring objects render when asked for, in the release's namespace.
    let monitoring = documents(&helm(
        cp,
        &[
            "template",
            "tr",
            CHART,
            "-n",
            "observability-test",
            "--set",
            "monitoring.serviceMonitor.enabled=true",
            "--set",
            "monitoring.prometheusRule.enabled=true",
            "--set",
            "monitoring.dashboard.enabled=true",
        ],
    ));
    for kind in ["ServiceMonitor", "PrometheusRule", "ConfigMap"] {
        assert!(
            monitoring
                .iter()
                .any(|o| o["kind"] == kind && o["metadata"]["namespace"] == "observability-test"),
            "no {kind} in the release's namespace"
        );
    }
    let dashboard = monitoring
        .iter()
        .find(|o| o["metadata"]["name"] == "tripreport-operator-dashboard")
        .expect("the dashboard ConfigMap");
    assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"], "1");
    let json: Value = serde_json::from_str(
        dashboard["data"]["tripreport-operator.json"]
            .as_str()
            .expect("its JSON"),
    )
    .expect("the dashboard is JSON");
    assert_eq!(json["uid"], "tripreport-operator");
}

#[tokio::test]
async fn installed_by_helm_the_operator_converges_under_the_charts_service_account() {
    let f = fixture("chart-install", false).await;
    let cp = f.env.cp;
    let ns = f.env.namespace.as_str();
    // One namespace, so the release owns nothing cluster-wide that other tests apply too; the
    // admission policies are cluster-scoped and installed by the admission test.
    helm(
        cp,
        &[
            "install",
            "tr",
            CHART,
            "-n",
            ns,
            "--set",
            &format!("watchNamespace={ns}"),
            "--set",
            "admissionPolicy.enabled=false",
            "--wait=false",
        ],
    );
    let listed = helm(cp, &["list", "-n", ns, "-o", "json"]);
    let releases: Value = serde_json::from_str(&listed).expect("helm list -o json");
    assert_eq!(releases[0]["name"], "tr");
    assert_eq!(releases[0]["status"], "deployed");

    // The Pods cannot run here (no kubelet): the test starts the operator as the chart's
    // ServiceAccount, with the chart's RBAC and nothing else.
    let kubeconfig =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{ns}-chart-sa.kubeconfig"));
    cp.write_service_account_kubeconfig(ns, "tripreport-operator", &kubeconfig)
        .await
        .expect("the chart's ServiceAccount");
    let operator = Operator::start_as(&kubeconfig, ns, "chart");
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    let ready = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_eq!(
        ready.data["status"]["observedGeneration"],
        json!(ready.metadata.generation)
    );
    assert!(operator.metric("tripreport_leader").await == 1.0);
    drop(operator);
    helm(cp, &["uninstall", "tr", "-n", ns]);
}
