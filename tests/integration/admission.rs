//! Warnings at apply (shared/API.md): deploy/admission/'s ValidatingAdmissionPolicies on the real
//! API server. `kubectl apply` of a self-approved report and of a self-reviewed recommendation
//! prints `Warning: ...` and still creates them; a clean manifest prints none. `tripreport-operator
//! validate` prints the same messages for the same files, and still passes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{eventually, setup};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn kubectl(cp: &testenv::ControlPlane, args: &[&str]) -> Run {
    let output = cp
        .kubectl()
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .output()
        .expect("run kubectl");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const SELF_APPROVED: &str = "tests/corpus/offline/10-self-approved.yaml";
const SELF_REVIEWED: &str = "tests/corpus/offline/55-self-reviewed.yaml";
const BASE: &str = "tests/corpus/offline-base.yaml";

const REPORT_WARNING: &str = "ConferenceReport self-approved: the author, Jane Doe, is among spec.review.approvals; an author's own approval does not count toward requiredApprovals";
const REC_WARNING: &str = "TalkRecommendation self-reviewed: it is approved by its own recommender, Ana Souza; a recommender's own review does not count";

#[tokio::test]
async fn kubectl_apply_warns_of_self_approval_and_self_review_and_creates_the_objects() {
    let env = setup("admission").await;
    let cp = env.cp;
    let ns = env.namespace.as_str();
    crate::support::install_crds(&env.client).await;
    let installed = kubectl(cp, &["apply", "--server-side", "-k", "deploy/admission/"]);
    assert!(installed.ok, "{}{}", installed.stdout, installed.stderr);

    // A new policy takes effect once the API server has loaded and type-checked it: dry runs
    // until the warning shows.
    eventually(
        "the policy to warn on a dry run",
        Duration::from_secs(60),
        || async {
            let run = kubectl(
                cp,
                &["apply", "-n", ns, "--dry-run=server", "-f", SELF_APPROVED],
            );
            if run.stderr.contains(REPORT_WARNING) {
                Ok(())
            } else {
                Err(format!("{}{}", run.stdout, run.stderr))
            }
        },
    )
    .await;

    let base = kubectl(cp, &["apply", "-n", ns, "-f", BASE]);
    assert!(base.ok, "{}", base.stderr);
    assert!(
        !base.stderr.contains("Warning:"),
        "a clean report gives no warning:\n{}",
        base.stderr
    );

    for (file, warning, object) in [
        (
            SELF_APPROVED,
            REPORT_WARNING,
            "conferencereport.tripreports.dev/self-approved",
        ),
        (
            SELF_REVIEWED,
            REC_WARNING,
            "talkrecommendation.tripreports.dev/self-reviewed",
        ),
    ] {
        let run = kubectl(cp, &["apply", "-n", ns, "-f", file]);
        assert!(run.ok, "kubectl apply -f {file}:\n{}", run.stderr);
        let policy = if file == SELF_APPROVED {
            "tripreports.dev-author-approval"
        } else {
            "tripreports.dev-self-review"
        };
        // The API server names the policy and its binding before the policy's own message.
        assert_eq!(
            run.stderr.trim_end(),
            format!(
                "Warning: Validation failed for ValidatingAdmissionPolicy '{policy}' with binding '{policy}': {warning}"
            ),
            "kubectl apply -f {file} prints exactly the warning"
        );
        assert_eq!(run.stdout.trim_end(), format!("{object} created"));
        let got = kubectl(cp, &["get", "-n", ns, object, "-o", "name"]);
        assert!(got.ok, "{object} exists: {}", got.stderr);
    }

    // Offline, the same words, and validate still passes.
    let output = Command::new(env!("CARGO_BIN_EXE_tripreport-operator"))
        .arg("validate")
        .args([BASE, SELF_APPROVED, SELF_REVIEWED].map(|f| Path::new(ROOT).join(f)))
        .output()
        .expect("run validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "validate passes:\n{stdout}");
    for (file, field, warning) in [
        (SELF_APPROVED, "spec.review.approvals", REPORT_WARNING),
        (SELF_REVIEWED, "spec.review.reviewer", REC_WARNING),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("validate says nothing of {file}:\n{stdout}"));
        assert!(
            line.ends_with(&format!(": {field}: {warning} (kubectl apply warns)")),
            "{line}"
        );
    }
}
