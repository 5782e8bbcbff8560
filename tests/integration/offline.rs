//! The offline checker (`tripreport-operator validate`) against the real thing: every case of
//! tests/corpus/offline goes through both, and they must agree with each other and with the
//! outcome the case's `# expect:` line states.
//!
//! Accepted gap: CEL transition rules (the immutable `reportRef`) need the object already in the
//! cluster, so the offline checker cannot see them; no case here changes an existing object.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kube::api::{DynamicObject, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::Value;

use crate::operator::{condition, fixture};
use crate::support::eventually;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/offline");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    cases
}

fn base() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/offline-base.yaml")
}

fn expected(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("# expect: "))
        .expect("a `# expect:` line")
        .trim()
        .to_string()
}

/// What `tripreport-operator validate base case` says about the case's file.
fn offline_outcome(case: &Path) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tripreport-operator"))
        .arg("validate")
        .arg(base())
        .arg(case)
        .output()
        .expect("run tripreport-operator validate");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let about: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(&case.display().to_string()))
        .collect();
    let outcome = if about
        .iter()
        .any(|l| l.ends_with("(the API server rejects this)"))
    {
        "rejected"
    } else if about
        .iter()
        .any(|l| l.ends_with("(the operator reports InvalidSpec)"))
    {
        "invalid"
    } else if about
        .iter()
        .any(|l| l.ends_with("(the operator reports ReportNotFound)"))
    {
        "reportnotfound"
    } else {
        "ready"
    };
    let failed = matches!(outcome, "rejected" | "invalid");
    assert_eq!(
        !output.status.success(),
        failed,
        "exit code of validate for {}:\n{stdout}",
        case.display()
    );
    (outcome.to_string(), stdout)
}

#[tokio::test]
async fn the_offline_checker_agrees_with_the_api_server_and_the_operator() {
    let f = fixture("offline-agreement", true).await;
    let params = PatchParams::apply("kubectl").force().validation_strict();
    let object = |path: &Path| -> DynamicObject {
        let value: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("read")).expect("YAML");
        serde_json::from_value(value).expect("an object")
    };
    let base = object(&base());
    f.reports
        .patch(&base.name_any(), &params, &Patch::Apply(&base))
        .await
        .expect("apply the base report");

    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut online = Vec::new();
    for case in &cases {
        let object = object(case);
        let api: &Api<DynamicObject> = if object
            .types
            .as_ref()
            .is_some_and(|t| t.kind == "ConferenceReport")
        {
            &f.reports
        } else {
            &f.recs
        };
        let result = api
            .patch(&object.name_any(), &params, &Patch::Apply(&object))
            .await;
        online.push((
            case.clone(),
            object.name_any(),
            api.clone(),
            result.err().map(|e| e.to_string()),
        ));
    }

    let mut disagreements = Vec::new();
    let mut invalid = 0;
    for (case, name, api, rejection) in online {
        let expect = expected(&std::fs::read_to_string(&case).expect("read"));
        let seen_online = match rejection {
            Some(_) => "rejected".to_string(),
            None => {
                eventually(
                    &format!("{name} to settle"),
                    Duration::from_secs(60),
                    || async {
                        let object = api.get(&name).await.map_err(|e| e.to_string())?;
                        let ready = condition(&object, "Ready").ok_or("no Ready yet")?;
                        if ready["observedGeneration"].as_i64() != object.metadata.generation {
                            return Err("an older generation".to_string());
                        }
                        Ok(match ready["reason"].as_str() {
                            Some("Published" | "Resolved") => "ready".to_string(),
                            Some("InvalidSpec") => "invalid".to_string(),
                            Some("ReportNotFound") => "reportnotfound".to_string(),
                            other => format!("unexpected {other:?}"),
                        })
                    },
                )
                .await
            }
        };
        let (seen_offline, output) = offline_outcome(&case);
        if seen_online != expect || seen_offline != expect {
            disagreements.push(format!(
                "{}: expected {expect}, the cluster said {seen_online}, the offline checker {seen_offline}\n{output}",
                case.display()
            ));
        }
        invalid += usize::from(matches!(expect.as_str(), "rejected" | "invalid"));
    }
    assert!(
        invalid * 2 >= cases.len(),
        "at least half of the cases are invalid ({invalid} of {})",
        cases.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
