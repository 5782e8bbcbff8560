//! Reports applied as most people apply them: plain `kubectl apply`, client-side, as Argo CD
//! applies by default. kubectl keeps a copy of the whole object in an annotation; the operator
//! leaves that copy out of its cache, and must still publish every change, and never touch the
//! annotation on the report.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::operator::{Fixture, fixture, report};
use crate::support::eventually;

const TIMEOUT: Duration = Duration::from_secs(60);
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `kubectl apply -f -` (client-side) of `object` in the test's namespace.
fn kubectl_apply(f: &Fixture, object: &Value) {
    let mut child = f
        .env
        .cp
        .kubectl()
        .args(["apply", "-n", &f.env.namespace, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("kubectl apply");
    std::io::Write::write_all(
        child.stdin.as_mut().expect("stdin"),
        object.to_string().as_bytes(),
    )
    .expect("write the report");
    assert!(
        child.wait().expect("kubectl apply").success(),
        "kubectl apply failed"
    );
}

/// Waits until the summary's Markdown shows `text`, and returns it.
async fn summary_showing(f: &Fixture, text: &str) -> String {
    eventually(
        &format!("the summary to show {text:?}"),
        TIMEOUT,
        || async {
            let cm = f
                .config_maps
                .get_opt("kubecon-eu-2019-summary")
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no summary yet")?;
            let markdown = cm
                .data
                .and_then(|d| d.get("summary.md").cloned())
                .ok_or("no summary.md")?;
            if markdown.contains(text) {
                Ok(markdown)
            } else {
                Err(format!("not yet: {markdown}"))
            }
        },
    )
    .await
}

#[tokio::test]
async fn a_body_changed_by_kubectl_apply_is_published_and_kubectls_copy_stays_on_the_report() {
    let f = fixture("kubectl-apply", true).await;
    let mut applied = report("kubecon-eu-2019");
    applied["spec"]["body"] = json!("The first draft of what we saw in Barcelona.");
    kubectl_apply(&f, &applied);
    summary_showing(&f, "The first draft of what we saw in Barcelona.").await;

    applied["spec"]["body"] = json!("The second draft, after the team read it.");
    kubectl_apply(&f, &applied);
    let markdown = summary_showing(&f, "The second draft, after the team read it.").await;
    assert!(
        !markdown.contains("The first draft"),
        "the old body is still published: {markdown}"
    );

    // kubectl's copy on the report is kubectl's: the operator only leaves it out of its cache.
    let on_the_server = f.reports.get("kubecon-eu-2019").await.expect("the report");
    let copy = on_the_server
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(LAST_APPLIED))
        .expect("kubectl's last-applied-configuration on the report");
    assert!(
        copy.contains("The second draft"),
        "kubectl's copy is what it applied last: {copy}"
    );
}
