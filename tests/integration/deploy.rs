//! The install manifests (deploy/) against the real API server: every object they hold passes
//! the API server's validation and admission, the Pods their Deployment would create meet Pod
//! Security "restricted" (and a non-compliant one is refused, so the check can fail), the RBAC
//! stays least-privilege, and the one-namespace variant's Roles are enough to run the operator.
//!
//! The shared control plane is shared with every other test: the only objects made for real
//! outside test namespaces are the Namespaces `tripreport-system` and `tripreports` and the
//! ServiceAccount `tripreport-system/tripreport-operator` (identical for both variants, applied
//! server-side so concurrent tests agree); everything else is a server-side dry run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role, RoleBinding};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::operator::{THREE_TITLES, fixture, three_talks, wait_summary};
use crate::support::eventually;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const OPERATOR_NAMESPACE: &str = "tripreport-system";
/// The namespace deploy/namespaced/ serves as shipped.
const SERVED_NAMESPACE: &str = "tripreports";

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the built kubectl (admin) with `args`, feeding `stdin` if given.
fn kubectl(cp: &testenv::ControlPlane, args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = cp.kubectl();
    command
        .args(args)
        .current_dir(ROOT)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run kubectl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("kubectl's stdin")
            .write_all(input.as_bytes())
            .expect("write to kubectl");
    }
    let output = child.wait_with_output().expect("wait for kubectl");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn kubectl_ok(cp: &testenv::ControlPlane, args: &[&str], stdin: Option<&str>) -> String {
    let run = kubectl(cp, args, stdin);
    assert!(
        run.ok,
        "kubectl {} failed:\n{}\n{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
    run.stdout
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| serde::Deserialize::deserialize(document).expect("YAML"))
        .filter(|value: &Value| !value.is_null())
        .collect()
}

/// What `kubectl kustomize <dir>` renders: the objects `kubectl apply -k <dir>` would send.
fn render(cp: &testenv::ControlPlane, dir: &str) -> Vec<Value> {
    yaml_documents(&kubectl_ok(cp, &["kustomize", dir], None))
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the rendered manifests"))
}

fn numbers_as_floats(value: Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_floats).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `resource[.group]/name`, as kubectl prints it.
fn printed_name(object: &Value) -> String {
    let kind = object["kind"].as_str().expect("a kind").to_lowercase();
    let group = object["apiVersion"]
        .as_str()
        .expect("an apiVersion")
        .rsplit_once('/')
        .map(|(group, _)| format!(".{group}"))
        .unwrap_or_default();
    let name = object["metadata"]["name"].as_str().expect("a name");
    format!("{kind}{group}/{name}")
}

/// Makes the objects every later request depends on real, idempotently and identically for
/// every test: server-side apply, so two tests doing it at once do not race on a create.
fn apply_for_real(cp: &testenv::ControlPlane, objects: Vec<Value>) {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    kubectl_ok(
        cp,
        &[
            "apply",
            "--server-side",
            "--field-manager=deploy-tests",
            "-f",
            "-",
        ],
        Some(&list.to_string()),
    );
}

/// `kubectl apply -k <dir> --dry-run=server` passes, and names every rendered object (exactly
/// `expected`, as `kind/name` strings) as accepted by the server.
fn dry_run_apply(cp: &testenv::ControlPlane, dir: &str, objects: &[Value], expected: &[&str]) {
    let printed: BTreeSet<String> = objects.iter().map(printed_name).collect();
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(printed, expected, "{dir} renders exactly these objects");

    let stdout = kubectl_ok(cp, &["apply", "-k", dir, "--dry-run=server"], None);
    for name in &expected {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{name} ")) && l.ends_with("(server dry run)")),
            "kubectl apply -k {dir} --dry-run=server did not report {name}:\n{stdout}"
        );
    }
}

/// A Pod made from the Deployment's template, as the ReplicaSet controller would make it.
fn pod_from_template(deployment: &Value, name: &str) -> Value {
    let template = &deployment["spec"]["template"];
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": deployment["metadata"]["namespace"],
            "labels": template["metadata"]["labels"],
        },
        "spec": template["spec"],
    })
}

/// The Deployment's Pods are admitted by Pod Security "restricted" (enforced on the namespace),
/// and Pods that break it are refused, naming the rule: the check can fail.
fn assert_pods_meet_restricted(cp: &testenv::ControlPlane, deployment: &Value) {
    let pod = pod_from_template(deployment, "deploy-test-restricted");
    let run = kubectl(
        cp,
        &["create", "--dry-run=server", "-f", "-"],
        Some(&pod.to_string()),
    );
    assert!(
        run.ok && run.stdout.contains("created (server dry run)"),
        "the Deployment's Pod was refused:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("PodSecurity"),
        "PodSecurity warned about the Deployment's Pod:\n{}",
        run.stderr
    );

    type Breach = fn(&mut Value);
    let breaches: [(&str, Breach, &str); 3] = [
        (
            "runAsNonRoot removed",
            |pod| {
                pod["spec"]["securityContext"]
                    .as_object_mut()
                    .expect("a pod securityContext")
                    .remove("runAsNonRoot");
                for c in pod["spec"]["containers"]
                    .as_array_mut()
                    .expect("containers")
                {
                    if let Some(sc) = c["securityContext"].as_object_mut() {
                        sc.remove("runAsNonRoot");
                    }
                }
            },
            "runAsNonRoot != true",
        ),
        (
            "a capability added",
            |pod| {
                pod["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] =
                    json!(["NET_ADMIN"]);
            },
            "unrestricted capabilities",
        ),
        (
            "no seccomp profile",
            |pod| {
                pod["spec"]["securityContext"]
                    .as_object_mut()
                    .expect("a pod securityContext")
                    .remove("seccompProfile");
            },
            "seccompProfile",
        ),
    ];
    for (what, breach, rule) in breaches {
        let mut pod = pod_from_template(deployment, "deploy-test-breach");
        breach(&mut pod);
        let run = kubectl(
            cp,
            &["create", "--dry-run=server", "-f", "-"],
            Some(&pod.to_string()),
        );
        assert!(
            !run.ok
                && run
                    .stderr
                    .contains(r#"violates PodSecurity "restricted:latest""#)
                && run.stderr.contains(rule),
            "a Pod with {what} was not refused by PodSecurity for {rule:?}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// Consistency the API server does not check: selectors, ports and names that must agree.
fn assert_operator_objects_agree(objects: &[Value]) {
    let deployment = find(objects, "Deployment", "tripreport-operator");
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        selector,
        &json!({"app.kubernetes.io/name": "tripreport-operator"})
    );
    for (key, value) in selector.as_object().expect("matchLabels") {
        assert_eq!(&pod_labels[key], value, "the template carries the selector");
    }
    assert_eq!(deployment["spec"]["replicas"], 2);
    let spec = &deployment["spec"]["template"]["spec"];
    assert_eq!(spec["serviceAccountName"], "tripreport-operator");
    assert_eq!(spec["automountServiceAccountToken"], true);
    let container = &spec["containers"][0];
    assert_eq!(
        container["image"],
        "ghcr.io/tripreports/tripreport-operator:0.1.0"
    );
    assert_eq!(container["args"], json!(["run", "--log-format=json"]));
    let env: BTreeMap<&str, &Value> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| (e["name"].as_str().expect("an env name"), e))
        .collect();
    assert_eq!(
        env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.name"
    );
    assert_eq!(
        env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.namespace"
    );
    // The operator listens on 0.0.0.0:8080 by default; probes and the Service use that port.
    assert_eq!(
        container["ports"],
        json!([{"name": "http-metrics", "containerPort": 8080, "protocol": "TCP"}])
    );
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(container[probe]["httpGet"]["port"], "http-metrics");
    }

    let service = find(objects, "Service", "tripreport-operator-metrics");
    assert_eq!(&service["spec"]["selector"], selector);
    assert_eq!(
        service["spec"]["ports"],
        json!([{"name": "http-metrics", "port": 8080, "targetPort": "http-metrics", "protocol": "TCP"}])
    );
    let pdb = find(objects, "PodDisruptionBudget", "tripreport-operator");
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], selector);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let policy = find(objects, "NetworkPolicy", "tripreport-operator");
    assert_eq!(&policy["spec"]["podSelector"]["matchLabels"], selector);
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    let ingress_ports: Vec<&Value> = policy["spec"]["ingress"]
        .as_array()
        .expect("ingress rules")
        .iter()
        .flat_map(|r| r["ports"].as_array().expect("ports on every ingress rule"))
        .collect();
    assert_eq!(ingress_ports, [&json!({"protocol": "TCP", "port": 8080})]);
    let egress_ports: BTreeSet<String> = policy["spec"]["egress"]
        .as_array()
        .expect("egress rules")
        .iter()
        .flat_map(|r| r["ports"].as_array().expect("ports on every egress rule"))
        .map(|p| format!("{}/{}", p["protocol"].as_str().unwrap_or("?"), p["port"]))
        .collect();
    assert_eq!(
        egress_ports,
        BTreeSet::from(["TCP/443", "TCP/6443", "UDP/53", "TCP/53"].map(String::from)),
        "egress only to the API server and DNS"
    );

    let control = find(objects, "ConfigMap", "tripreport-operator-control");
    assert_eq!(control["metadata"]["namespace"], OPERATOR_NAMESPACE);
    // No data: a re-apply must never release a pressed button.
    assert!(control.get("data").is_none(), "{control}");

    let namespace = find(objects, "Namespace", OPERATOR_NAMESPACE);
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    for object in objects {
        let labels = &object["metadata"]["labels"];
        assert_eq!(
            (
                &labels["app.kubernetes.io/name"],
                &labels["app.kubernetes.io/part-of"]
            ),
            (&json!("tripreport-operator"), &json!("tripreport-operator")),
            "{} lacks the app.kubernetes.io labels",
            printed_name(object)
        );
    }
    // Every binding names the operator's ServiceAccount, wherever its role is.
    for binding in objects
        .iter()
        .filter(|o| o["kind"] == "RoleBinding" || o["kind"] == "ClusterRoleBinding")
    {
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "tripreport-operator", "namespace": OPERATOR_NAMESPACE}]),
            "{}",
            printed_name(binding)
        );
        let role = find(
            objects,
            binding["roleRef"]["kind"].as_str().expect("a roleRef kind"),
            binding["roleRef"]["name"].as_str().expect("a roleRef name"),
        );
        if binding["kind"] == "RoleBinding" {
            assert_eq!(
                role["metadata"]["namespace"],
                binding["metadata"]["namespace"],
                "{} binds a Role of its own namespace",
                printed_name(binding)
            );
        }
    }
}

/// The operator's own objects, and the prerequisites made real: its namespace (labelled
/// restricted, so PodSecurity enforces on the Pod dry runs) and its ServiceAccount (the
/// ServiceAccount admission plugin refuses a Pod whose account does not exist, dry run or not).
fn make_prerequisites_real(cp: &testenv::ControlPlane, objects: &[Value]) {
    apply_for_real(
        cp,
        vec![
            find(objects, "Namespace", OPERATOR_NAMESPACE).clone(),
            find(objects, "ServiceAccount", "tripreport-operator").clone(),
        ],
    );
}

#[tokio::test]
async fn the_cluster_wide_install_is_accepted_by_the_api_server() {
    let cp = testenv::shared();
    let objects = render(cp, "deploy/");
    assert_operator_objects_agree(&objects);
    make_prerequisites_real(cp, &objects);
    dry_run_apply(
        cp,
        "deploy/",
        &objects,
        &[
            "namespace/tripreport-system",
            "customresourcedefinition.apiextensions.k8s.io/conferencereports.tripreports.dev",
            "customresourcedefinition.apiextensions.k8s.io/talkrecommendations.tripreports.dev",
            "serviceaccount/tripreport-operator",
            "clusterrole.rbac.authorization.k8s.io/tripreport-operator",
            "clusterrolebinding.rbac.authorization.k8s.io/tripreport-operator",
            "role.rbac.authorization.k8s.io/tripreport-operator-leader-election",
            "rolebinding.rbac.authorization.k8s.io/tripreport-operator-leader-election",
            "configmap/tripreport-operator-control",
            "service/tripreport-operator-metrics",
            "deployment.apps/tripreport-operator",
            "poddisruptionbudget.policy/tripreport-operator",
            "networkpolicy.networking.k8s.io/tripreport-operator",
            "validatingadmissionpolicy.admissionregistration.k8s.io/tripreports.dev-author-approval",
            "validatingadmissionpolicy.admissionregistration.k8s.io/tripreports.dev-self-review",
            "validatingadmissionpolicybinding.admissionregistration.k8s.io/tripreports.dev-author-approval",
            "validatingadmissionpolicybinding.admissionregistration.k8s.io/tripreports.dev-self-review",
        ],
    );
    // The CRDs in deploy/ are crds/ itself, not a copy.
    let crds = yaml_documents(
        &std::fs::read_to_string(format!("{ROOT}/crds/tripreports.dev.yaml")).expect("crds/"),
    );
    for crd in &crds {
        let mut rendered = find(
            &objects,
            "CustomResourceDefinition",
            crd["metadata"]["name"].as_str().expect("a CRD name"),
        )
        .clone();
        rendered["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("labels");
        // kustomize writes `maximum: 2100.0` as `2100`: the same number to the API server.
        assert_eq!(
            numbers_as_floats(rendered),
            numbers_as_floats(crd.clone()),
            "deploy/ renders crds/ unchanged but for labels"
        );
    }
    // crds/ is a kustomization for deploy/, and still a plain directory of manifests.
    kubectl_ok(cp, &["apply", "--dry-run=server", "-f", "crds/"], None);
    kubectl_ok(
        cp,
        &["apply", "--server-side", "--dry-run=server", "-k", "crds/"],
        None,
    );
    assert_pods_meet_restricted(cp, find(&objects, "Deployment", "tripreport-operator"));
}

#[tokio::test]
async fn the_namespaced_install_is_accepted_by_the_api_server() {
    let cp = testenv::shared();
    let objects = render(cp, "deploy/namespaced/");
    assert_operator_objects_agree(&objects);

    // One place sets the served namespace: the operator's TRIPREPORT_NAMESPACE (its
    // `--namespace`), copied to the Role and RoleBinding there.
    let deployment = find(&objects, "Deployment", "tripreport-operator");
    let served = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "TRIPREPORT_NAMESPACE")
        .expect("TRIPREPORT_NAMESPACE is set")["value"]
        .clone();
    assert_eq!(served, SERVED_NAMESPACE);
    for kind in ["Role", "RoleBinding"] {
        assert_eq!(
            find(&objects, kind, "tripreport-operator")["metadata"]["namespace"],
            served,
            "the {kind} is in the served namespace"
        );
    }
    // No cluster-wide rights, no CRDs: those are an admin's, installed beforehand.
    let cluster_scoped: Vec<String> = objects
        .iter()
        .filter(|o| o["metadata"]["namespace"].is_null())
        .map(printed_name)
        .collect();
    assert_eq!(cluster_scoped, ["namespace/tripreport-system"]);
    // The served Role grants exactly what the ClusterRole grants cluster-wide.
    let served_role: Role =
        serde_json::from_value(find(&objects, "Role", "tripreport-operator").clone())
            .expect("a Role");
    let (cluster_rules, _) = rbac_file("deploy/rbac.yaml");
    assert_eq!(
        grants(&served_role.rules.unwrap_or_default()),
        grants(&cluster_rules)
    );

    make_prerequisites_real(cp, &objects);
    // The namespace it serves is the user's; it exists before the operator is installed.
    apply_for_real(
        cp,
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SERVED_NAMESPACE}}),
        ],
    );
    dry_run_apply(
        cp,
        "deploy/namespaced/",
        &objects,
        &[
            "namespace/tripreport-system",
            "serviceaccount/tripreport-operator",
            "role.rbac.authorization.k8s.io/tripreport-operator",
            "rolebinding.rbac.authorization.k8s.io/tripreport-operator",
            "role.rbac.authorization.k8s.io/tripreport-operator-leader-election",
            "rolebinding.rbac.authorization.k8s.io/tripreport-operator-leader-election",
            "configmap/tripreport-operator-control",
            "service/tripreport-operator-metrics",
            "deployment.apps/tripreport-operator",
            "poddisruptionbudget.policy/tripreport-operator",
            "networkpolicy.networking.k8s.io/tripreport-operator",
        ],
    );
    assert_pods_meet_restricted(cp, deployment);
}

/// The ClusterRole's rules (or the served Role's) and the operator-namespace Role's rules.
fn rbac_file(path: &str) -> (Vec<PolicyRule>, Vec<PolicyRule>) {
    let text = std::fs::read_to_string(format!("{ROOT}/{path}")).expect("read the RBAC file");
    let (mut main, mut own) = (Vec::new(), Vec::new());
    for value in yaml_documents(&text) {
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match (kind.as_str(), name.as_str()) {
            ("ClusterRole", "tripreport-operator") | ("Role", "tripreport-operator") => {
                let rules = if kind == "ClusterRole" {
                    serde_json::from_value::<ClusterRole>(value)
                        .expect("a ClusterRole")
                        .rules
                } else {
                    serde_json::from_value::<Role>(value).expect("a Role").rules
                };
                main.extend(rules.unwrap_or_default());
            }
            ("Role", "tripreport-operator-leader-election") => {
                own.extend(
                    serde_json::from_value::<Role>(value)
                        .expect("a Role")
                        .rules
                        .unwrap_or_default(),
                );
            }
            ("ClusterRole" | "Role", _) => panic!("{path}: unexpected {kind} {name}"),
            _ => {}
        }
    }
    (main, own)
}

/// Every (group, resource, resourceNames) a set of rules reaches, with the verbs granted on it.
fn grants(rules: &[PolicyRule]) -> BTreeMap<(String, String, Vec<String>), BTreeSet<String>> {
    let mut out: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for rule in rules {
        let names = rule.resource_names.clone().unwrap_or_default();
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                out.entry((group.clone(), resource.clone(), names.clone()))
                    .or_default()
                    .extend(rule.verbs.iter().cloned());
            }
        }
    }
    out
}

fn table(
    rows: &[(&str, &str, &[&str], &[&str])],
) -> BTreeMap<(String, String, Vec<String>), BTreeSet<String>> {
    rows.iter()
        .map(|(group, resource, names, verbs)| {
            (
                (
                    group.to_string(),
                    resource.to_string(),
                    names.iter().map(|s| s.to_string()).collect(),
                ),
                verbs.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

/// The shape every rule must have, whatever it grants.
fn assert_least_privilege(path: &str, rules: &[PolicyRule]) {
    const WRITES: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];
    for rule in rules {
        let all = rule
            .api_groups
            .iter()
            .chain(rule.resources.iter())
            .chain(rule.resource_names.iter())
            .flatten()
            .chain(rule.verbs.iter());
        for word in all {
            assert!(!word.contains('*'), "{path}: a wildcard in {rule:?}");
        }
        assert!(
            rule.non_resource_urls.is_none(),
            "{path}: non-resource URLs in {rule:?}"
        );
        assert!(
            !rule.verbs.iter().any(|v| {
                [
                    "escalate",
                    "bind",
                    "impersonate",
                    "delete",
                    "deletecollection",
                ]
                .contains(&v.as_str())
            }),
            "{path}: {rule:?}"
        );
        let groups = rule.api_groups.clone().unwrap_or_default();
        let writes = rule.verbs.iter().any(|v| WRITES.contains(&v.as_str()));
        for resource in rule.resources.iter().flatten() {
            let base = resource.split('/').next().unwrap_or_default();
            assert!(
                base != "secrets",
                "{path}: the operator never reads Secrets: {rule:?}"
            );
            if base == "customresourcedefinitions"
                || groups.iter().any(|g| g == "apiextensions.k8s.io")
            {
                assert!(!writes, "{path}: no writes to CRDs: {rule:?}");
            }
            if groups.iter().any(|g| g == "tripreports.dev") && writes {
                // Status only through /status; `update` on finalizers only for
                // blockOwnerDeletion (OwnerReferencesPermissionEnforcement).
                assert!(
                    resource.ends_with("/status") && rule.verbs == ["patch"]
                        || resource == "conferencereports/finalizers" && rule.verbs == ["update"],
                    "{path}: the operator writes its resources only through /status: {rule:?}"
                );
            }
        }
    }
}

#[test]
fn the_rbac_is_least_privilege() {
    let cluster_wide = table(&[
        (
            "tripreports.dev",
            "conferencereports",
            &[],
            &["get", "list", "watch"],
        ),
        (
            "tripreports.dev",
            "talkrecommendations",
            &[],
            &["get", "list", "watch"],
        ),
        (
            "tripreports.dev",
            "conferencereports/status",
            &[],
            &["patch"],
        ),
        (
            "tripreports.dev",
            "talkrecommendations/status",
            &[],
            &["patch"],
        ),
        (
            "tripreports.dev",
            "conferencereports/finalizers",
            &[],
            &["update"],
        ),
        (
            "",
            "configmaps",
            &[],
            &["get", "list", "watch", "create", "patch"],
        ),
        ("events.k8s.io", "events", &[], &["create", "patch"]),
    ]);
    let leases = [
        (
            "coordination.k8s.io",
            "leases",
            &[] as &[&str],
            &["create"] as &[&str],
        ),
        (
            "coordination.k8s.io",
            "leases",
            &["tripreport-operator"],
            &["get", "list", "watch", "patch"],
        ),
    ];
    let mut namespaced_own = leases.to_vec();
    namespaced_own.push((
        "",
        "configmaps",
        &["tripreport-operator-control"],
        &["get", "list", "watch"],
    ));

    let (main, own) = rbac_file("deploy/rbac.yaml");
    assert_least_privilege("deploy/rbac.yaml", &main);
    assert_least_privilege("deploy/rbac.yaml", &own);
    assert_eq!(grants(&main), cluster_wide, "the ClusterRole");
    assert_eq!(grants(&own), table(&leases), "the leader-election Role");

    let (served, own) = rbac_file("deploy/namespaced/rbac.yaml");
    assert_least_privilege("deploy/namespaced/rbac.yaml", &served);
    assert_least_privilege("deploy/namespaced/rbac.yaml", &own);
    assert_eq!(grants(&served), cluster_wide, "the served namespace's Role");
    assert_eq!(
        grants(&own),
        table(&namespaced_own),
        "the operator namespace's Role"
    );
}

/// The operator, run with exactly the namespaced variant's Roles, moved into two fresh
/// namespaces: it reconciles in the one it serves and leads and obeys the big red button in its
/// own, which it may read only by name.
#[tokio::test]
async fn the_namespaced_roles_are_enough_to_run_the_operator() {
    let f = fixture("deploy-served", false).await;
    let cp = f.env.cp;
    let served = f.env.namespace.clone();
    let own = cp
        .create_namespace("deploy-operator")
        .await
        .expect("the operator's namespace");
    let objects = render(cp, "deploy/namespaced/");
    let moved = |namespace: &Value| {
        if namespace.as_str() == Some(SERVED_NAMESPACE) {
            served.clone()
        } else {
            assert_eq!(namespace, OPERATOR_NAMESPACE);
            own.clone()
        }
    };
    for kind in ["Role", "RoleBinding"] {
        for object in objects.iter().filter(|o| o["kind"] == kind) {
            let mut object = object.clone();
            let namespace = moved(&object["metadata"]["namespace"]);
            object["metadata"]["namespace"] = json!(namespace);
            for subject in object["subjects"].as_array_mut().into_iter().flatten() {
                subject["namespace"] = json!(own);
            }
            if kind == "Role" {
                let role: Role = serde_json::from_value(object).expect("a Role");
                Api::<Role>::namespaced(f.env.client.clone(), &namespace)
                    .create(&PostParams::default(), &role)
                    .await
                    .expect("create the Role");
            } else {
                let binding: RoleBinding = serde_json::from_value(object).expect("a RoleBinding");
                Api::<RoleBinding>::namespaced(f.env.client.clone(), &namespace)
                    .create(&PostParams::default(), &binding)
                    .await
                    .expect("create the RoleBinding");
            }
        }
    }
    let mut control: ConfigMap =
        serde_json::from_value(find(&objects, "ConfigMap", "tripreport-operator-control").clone())
            .expect("a ConfigMap");
    control.metadata.namespace = Some(own.clone());
    control.metadata.annotations = None;
    let controls: Api<ConfigMap> = Api::namespaced(f.env.client.clone(), &own);
    controls
        .create(&PostParams::default(), &control)
        .await
        .expect("create the control ConfigMap");
    let kubeconfig =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{own}-sa.kubeconfig"));
    cp.write_service_account_kubeconfig(&own, "tripreport-operator", &kubeconfig)
        .await
        .expect("a kubeconfig for the ServiceAccount");

    let operator = NamespacedOperator::start(&kubeconfig, &served, &own);
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.wait_condition(
        &f.reports,
        "kubecon-eu-2019",
        "Ready",
        "True",
        Some("Published"),
    )
    .await;
    assert_eq!(
        operator.metric("tripreport_leader").await,
        1.0,
        "{}",
        operator.logs()
    );

    // The big red button, read through the Role's name-restricted rule.
    controls
        .patch(
            "tripreport-operator-control",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"paused": "true"}})),
        )
        .await
        .expect("press the button");
    eventually("the operator to pause", Duration::from_secs(30), || async {
        let paused = operator.metric("tripreport_paused").await;
        if paused == 1.0 {
            Ok(())
        } else {
            Err(format!("tripreport_paused {paused}"))
        }
    })
    .await;
    let logs = operator.logs();
    assert!(
        !logs.to_lowercase().contains("forbidden"),
        "something was forbidden:\n{logs}"
    );
}

/// `tripreport-operator run --namespace <served> --operator-namespace <own>`, as the namespaced
/// Deployment runs it; killed when dropped.
struct NamespacedOperator {
    child: std::process::Child,
    log: std::path::PathBuf,
    http: std::net::SocketAddr,
}

impl NamespacedOperator {
    fn start(kubeconfig: &std::path::Path, served: &str, own: &str) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("operator-logs");
        std::fs::create_dir_all(&dir).expect("create the operator log directory");
        let log = dir.join(format!("{own}.log"));
        let out = std::fs::File::create(&log).expect("create the operator log");
        let err = out.try_clone().expect("clone the log handle");
        let http = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tripreport-operator"));
        command
            .args(["run", "--namespace", served, "--operator-namespace", own])
            .args([
                "--identity",
                "deploy-test",
                "--http-addr",
                &http.to_string(),
            ])
            .env("KUBECONFIG", kubeconfig)
            .env_remove("TRIPREPORT_NAMESPACE")
            .env_remove("POD_NAMESPACE")
            .env_remove("POD_NAME")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        testenv::die_with_this_thread(&mut command);
        let child = command.spawn().expect("start tripreport-operator");
        NamespacedOperator { child, log, http }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One sample of /metrics; 0 when absent or unreachable.
    async fn metric(&self, sample: &str) -> f64 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut stream) = tokio::net::TcpStream::connect(self.http).await else {
            return 0.0;
        };
        let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        let mut response = String::new();
        if stream.write_all(request.as_bytes()).await.is_err()
            || stream.read_to_string(&mut response).await.is_err()
        {
            return 0.0;
        }
        response
            .lines()
            .find_map(|line| {
                line.strip_prefix(sample)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }
}

impl Drop for NamespacedOperator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
