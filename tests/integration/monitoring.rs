//! deploy/monitoring/ proven with the real tools: promtool checks the PrometheusRule's alerts and
//! runs their unit tests (tests/monitoring/rules-test.yaml), every alert has a runbook, the
//! dashboard's queries parse as PromQL and name only metrics a real operator's /metrics exports,
//! the objects-by-state gauges follow a report from InvalidSpec to Published, and the heap
//! gauges account for the process's resident memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::operator::{fixture, report};
use crate::support::eventually;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let promtool = testenv::tool("promtool").expect("promtool (tests/controlplane/build-tools.sh)");
    let output = Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(path)).expect(path);
    serde_yaml_ng::from_str(&text).expect(path)
}

/// A scratch directory holding the PrometheusRule's spec as a plain rule file (what promtool
/// reads), `rules`, and the unit tests beside it.
fn rules_dir(name: &str, rules: &Value) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(
        dir.join("rules.yaml"),
        serde_yaml_ng::to_string(rules).expect("YAML"),
    )
    .expect("write rules.yaml");
    std::fs::copy(
        Path::new(ROOT).join("tests/monitoring/rules-test.yaml"),
        dir.join("rules-test.yaml"),
    )
    .expect("copy the rule tests");
    dir
}

fn alerts(spec: &Value) -> Vec<&Value> {
    spec["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter(|r| r.get("alert").is_some())
        .collect()
}

#[test]
fn promtool_checks_the_alerts_and_their_unit_tests_pass() {
    let rule = yaml("deploy/monitoring/prometheusrule.yaml");
    let spec = &rule["spec"];
    let dir = rules_dir("promtool-rules", spec);
    let (ok, out) = promtool(&["check", "rules", "rules.yaml"], &dir);
    assert!(ok, "promtool check rules:\n{out}");
    let count = alerts(spec).len();
    assert!(
        out.contains(&format!("SUCCESS: {count} rules found")),
        "{out}"
    );
    let (ok, out) = promtool(&["test", "rules", "rules-test.yaml"], &dir);
    assert!(ok, "promtool test rules:\n{out}");

    // Each alert is tested both ways: fed series that make it fire, and series that must not.
    let tests = yaml("tests/monitoring/rules-test.yaml");
    let cases: Vec<&Value> = tests["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["alert_rule_test"].as_array().into_iter().flatten())
        .collect();
    let operations = std::fs::read_to_string(Path::new(ROOT).join("docs/operations.md"))
        .expect("docs/operations.md");
    for alert in alerts(spec) {
        let name = alert["alert"].as_str().expect("a name");
        let of = |firing: bool| {
            cases.iter().any(|c| {
                c["alertname"] == name
                    && c["exp_alerts"]
                        .as_array()
                        .is_some_and(|a| a.is_empty() != firing)
            })
        };
        assert!(of(true), "{name}: no test expects it to fire");
        assert!(of(false), "{name}: no test expects it to stay silent");
        let annotations = &alert["annotations"];
        for key in ["summary", "description", "runbook"] {
            assert!(
                annotations[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no {key}"
            );
        }
        // The runbook is a section of docs/operations.md, under the alert's name.
        assert_eq!(
            annotations["runbook"].as_str(),
            Some(format!("docs/operations.md#{}", name.to_lowercase()).as_str())
        );
        assert!(
            operations.contains(&format!("\n#### {name}\n")),
            "docs/operations.md has no runbook section for {name}"
        );
    }

    // The tests bite: with every `for` far longer, the alerts expected to fire do not.
    let mut slow = spec.clone();
    for group in slow["groups"].as_array_mut().into_iter().flatten() {
        for rule in group["rules"].as_array_mut().into_iter().flatten() {
            rule["for"] = json!("1000h");
        }
    }
    let dir = rules_dir("promtool-rules-slow", &slow);
    let (ok, out) = promtool(&["test", "rules", "rules-test.yaml"], &dir);
    assert!(
        !ok,
        "the rule tests pass even with alerts that never fire:\n{out}"
    );
}

/// Metric names (`tripreport_...`) in a PromQL expression.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("tripreport_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// The sample names a /metrics text exports, from its `# TYPE` lines (an empty family still has
/// one): counters end in `_total`, histograms give `_bucket`, `_sum` and `_count`.
fn exported(metrics: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        match kind {
            "counter" => {
                names.insert(format!("{}_total", name.trim_end_matches("_total")));
            }
            "histogram" => {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
            _ => {
                names.insert(name.to_string());
            }
        }
    }
    names
}

#[test]
fn metric_names_are_read_from_type_lines() {
    let text = "# TYPE tripreport_reconciles counter\n# TYPE tripreport_leader gauge\n# TYPE tripreport_reconcile_duration_seconds histogram\n";
    let names = exported(text);
    assert!(names.contains("tripreport_reconciles_total"));
    assert!(names.contains("tripreport_leader"));
    assert!(names.contains("tripreport_reconcile_duration_seconds_bucket"));
    assert_eq!(
        metric_names("sum by (le) (rate(tripreport_x_bucket[5m])) / tripreport_y"),
        BTreeSet::from([
            "tripreport_x_bucket".to_string(),
            "tripreport_y".to_string()
        ])
    );
}

#[tokio::test]
async fn the_dashboard_and_the_alerts_name_only_metrics_a_real_operator_exports() {
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("deploy/monitoring/dashboard.json"))
            .expect("dashboard.json"),
    )
    .expect("the dashboard is JSON");
    let queries: Vec<(String, String)> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap_or_default().to_string();
            p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |t| Some((title.clone(), t["expr"].as_str()?.to_string())))
        })
        .collect();
    assert!(queries.len() >= 12, "{} queries", queries.len());

    // Valid PromQL: promtool parses each as a recording rule.
    let rules: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(i, (_, expr))| json!({"record": format!("dashboard:query_{i}"), "expr": expr}))
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("promtool-dashboard");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(
        dir.join("dashboard-rules.yaml"),
        serde_yaml_ng::to_string(&json!({"groups": [{"name": "dashboard", "rules": rules}]}))
            .expect("YAML"),
    )
    .expect("write");
    let (ok, out) = promtool(&["check", "rules", "dashboard-rules.yaml"], &dir);
    assert!(
        ok,
        "the dashboard's queries are not all valid PromQL:\n{out}"
    );

    // The names they use, against a real scrape.
    let f = fixture("metric-names", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let operator = f.operator.as_ref().expect("the operator");
    // The objects-by-state gauges are counted when scraped, once the caches have synced.
    let metrics = eventually(
        "a scrape with the state gauges",
        Duration::from_secs(20),
        || async {
            let (code, metrics) = operator.get("/metrics").await?;
            if code == 200 && metrics.contains("# TYPE tripreport_ready gauge") {
                Ok(metrics)
            } else {
                Err(format!("{code}: {metrics}"))
            }
        },
    )
    .await;
    let exported = exported(&metrics);
    let rule = yaml("deploy/monitoring/prometheusrule.yaml");
    let alert_exprs = alerts(&rule["spec"])
        .into_iter()
        .map(|a| {
            (
                a["alert"].as_str().unwrap_or_default().to_string(),
                a["expr"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect::<Vec<_>>();
    let mut used = BTreeSet::new();
    for (what, expr) in queries.iter().chain(&alert_exprs) {
        let names = metric_names(expr);
        assert!(
            !names.is_empty() || expr.contains(r#"up{job="tripreport-operator-metrics"}"#),
            "{what}: {expr} names no metric of the operator"
        );
        for name in names {
            assert!(
                exported.contains(&name),
                "{what}: {expr} names {name}, which /metrics does not export:\n{metrics}"
            );
            used.insert(name);
        }
    }
    // The dashboard covers every family but the memo sizes (a debugging aid).
    for name in &exported {
        if name.starts_with("tripreport_remembered")
            || name.ends_with("_sum")
            || name.ends_with("_count")
        {
            continue;
        }
        assert!(used.contains(name), "nothing shows {name}");
    }
}

#[tokio::test]
async fn the_objects_by_state_gauges_follow_a_report_from_invalid_to_published() {
    let f = fixture("state-gauges", true).await;
    let mut invalid = report("kubecon-eu-2019");
    invalid["spec"]["conference"]["startDate"] = json!("2018-05-20");
    f.apply_ok(&f.reports, invalid).await;
    f.wait_condition(
        &f.reports,
        "kubecon-eu-2019",
        "Ready",
        "False",
        Some("InvalidSpec"),
    )
    .await;
    let operator = f.operator.as_ref().expect("the operator");
    let invalid_ready =
        r#"tripreport_ready{kind="ConferenceReport",status="False",reason="InvalidSpec"}"#;
    let invalid_stalled = r#"tripreport_stalled{kind="ConferenceReport",reason="InvalidSpec"}"#;
    let published = r#"tripreport_ready{kind="ConferenceReport",status="True",reason="Published"}"#;
    // The gauges are counted when scraped, at most once a second.
    eventually(
        "the InvalidSpec gauges",
        Duration::from_secs(20),
        || async {
            let (ready, stalled) = (
                operator.metric(invalid_ready).await,
                operator.metric(invalid_stalled).await,
            );
            if (ready, stalled) == (1.0, 1.0) {
                Ok(())
            } else {
                Err(format!(
                    "{invalid_ready} {ready}, {invalid_stalled} {stalled}"
                ))
            }
        },
    )
    .await;

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    eventually("the Published gauge", Duration::from_secs(20), || async {
        let (_, metrics) = operator.get("/metrics").await?;
        let expected = [
            format!("{invalid_ready} 0"),
            format!("{invalid_stalled} 0"),
            format!("{published} 1"),
        ];
        if expected
            .iter()
            .all(|line| metrics.lines().any(|l| l == line))
        {
            Ok(())
        } else {
            Err(metrics)
        }
    })
    .await;
}

/// The allocator's account of the heap, which tells live objects from fragmentation: what the
/// operator holds is allocated, and the allocator's resident pages fit in the process's RSS.
#[tokio::test]
async fn the_heap_gauges_tell_what_is_held_from_what_is_resident() {
    let f = fixture("heap-gauges", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    let operator = f.operator.as_ref().expect("the operator");
    let sample = |state: &str| format!(r#"tripreport_heap_bytes{{state="{state}"}}"#);
    // The gauges are read every 5 s.
    eventually("the heap gauges", Duration::from_secs(20), || async {
        let mut bytes = Vec::new();
        for state in ["allocated", "active", "resident", "metadata"] {
            bytes.push(operator.metric(&sample(state)).await);
        }
        let rss = operator.resident_bytes();
        let [allocated, active, resident, metadata] = bytes[..] else {
            return Err("four gauges".to_string());
        };
        // A running operator holds its caches and runtime: more than a MiB.
        if allocated > 1_048_576.0
            && allocated <= active
            && active <= resident
            && metadata > 0.0
            && resident <= rss
        {
            Ok(())
        } else {
            Err(format!(
                "allocated {allocated}, active {active}, resident {resident}, metadata {metadata}, process RSS {rss}"
            ))
        }
    })
    .await;
}
