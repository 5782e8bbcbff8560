//! The operator writes only what it owns: a user's ConfigMap standing under a summary's name is
//! never written, adopted or deleted; a summary whose ownerReferences were removed by hand is
//! given them back at once, so garbage collection still takes it with its report; one whose
//! label was removed by hand is the operator's still, and gets its label back.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::operator::{
    Fixture, THREE_TITLES, assert_event, condition, fixture, report, three_talks, wait_summary,
};
use crate::support::eventually;

const TIMEOUT: Duration = Duration::from_secs(60);

fn users_config_map() -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some("team-notes-summary".into()),
            labels: Some(BTreeMap::from([("team".into(), "platform".into())])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            "notes.txt".into(),
            "our own notes, not a summary".into(),
        )])),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_users_config_map_under_the_summary_name_is_never_written_adopted_or_deleted() {
    let f = fixture("name-taken", true).await;
    let created = f
        .config_maps
        .create(&PostParams::default(), &users_config_map())
        .await
        .expect("the user's ConfigMap");
    f.apply_ok(&f.reports, report("team-notes")).await;

    let reported = f
        .wait_condition(
            &f.reports,
            "team-notes",
            "Ready",
            "False",
            Some("SummaryNameTaken"),
        )
        .await;
    let stalled = condition(&reported, "Stalled").expect("Stalled, so GitOps tools stop waiting");
    assert_eq!(stalled["status"], "True");
    assert_eq!(stalled["reason"], "SummaryNameTaken");
    let message = stalled["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("team-notes-summary") && message.contains("Rename or delete"),
        "the message names the ConfigMap and what to do: {message}"
    );
    assert_event(&f, "team-notes", "Warning", "SummaryNameTaken").await;

    // Untouched: the same object, byte for byte where it matters.
    let after = f
        .config_maps
        .get("team-notes-summary")
        .await
        .expect("still there");
    assert_eq!(
        after.metadata.resource_version,
        created.metadata.resource_version
    );
    assert_eq!(after.metadata.owner_references, None, "not adopted");
    assert_eq!(after.metadata.labels, created.metadata.labels);
    assert_eq!(after.data, created.data);
    let managers: Vec<String> = after
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(
        !managers
            .iter()
            .any(|m| m.starts_with("tripreport-operator")),
        "{managers:?}"
    );

    // Deleting the report leaves the user's data where it is.
    f.reports
        .delete("team-notes", &DeleteParams::foreground())
        .await
        .expect("delete the report");
    eventually("the report to be gone", TIMEOUT, || async {
        match f.reports.get_opt("team-notes").await {
            Ok(None) => Ok(()),
            other => Err(format!("{:?}", other.map(|o| o.map(|o| o.metadata.name)))),
        }
    })
    .await;
    // Garbage collection runs in kube-controller-manager; give it a moment to be wrong.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept = f
        .config_maps
        .get("team-notes-summary")
        .await
        .expect("the user's ConfigMap survives the report");
    assert_eq!(kept.data, created.data);
}

#[tokio::test]
async fn a_taken_name_resolves_on_its_own_once_the_clash_goes_away() {
    let f = fixture("name-freed", true).await;
    f.config_maps
        .create(&PostParams::default(), &users_config_map())
        .await
        .expect("the user's ConfigMap");
    f.apply_ok(&f.reports, report("team-notes")).await;
    f.wait_condition(
        &f.reports,
        "team-notes",
        "Ready",
        "False",
        Some("SummaryNameTaken"),
    )
    .await;
    // The user moves their notes away; nobody touches the report.
    f.config_maps
        .delete("team-notes-summary", &DeleteParams::default())
        .await
        .expect("delete the user's ConfigMap");
    let ready = f
        .wait_condition(&f.reports, "team-notes", "Ready", "True", Some("Published"))
        .await;
    assert!(
        condition(&ready, "Stalled").is_none(),
        "{}",
        ready.data["status"]
    );
    let summary = f
        .config_maps
        .get("team-notes-summary")
        .await
        .expect("the summary");
    let owner = summary.metadata.owner_references.unwrap_or_default();
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].name, "team-notes");
    assert_event(&f, "team-notes", "Normal", "Recovered").await;
}

#[tokio::test]
async fn a_summary_stripped_of_its_owner_is_given_it_back_and_goes_with_its_report() {
    let f = fixture("owner-removed", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    // Someone removes the ownerReferences by hand (kubectl edit does an update like this).
    remove_by_hand(&f, "/metadata/ownerReferences").await;
    // Restored from the ConfigMap's own event, not at the hourly resync.
    eventually(
        "the ownerReference to be restored",
        Duration::from_secs(10),
        || async {
            let cm = f
                .config_maps
                .get("kubecon-eu-2019-summary")
                .await
                .map_err(|e| e.to_string())?;
            match cm.metadata.owner_references.as_deref() {
                Some([owner])
                    if owner.name == "kubecon-eu-2019" && owner.controller == Some(true) =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    f.reports
        .delete("kubecon-eu-2019", &DeleteParams::default())
        .await
        .expect("delete the report");
    eventually(
        "garbage collection to delete the summary",
        TIMEOUT,
        || async {
            match f.config_maps.get_opt("kubecon-eu-2019-summary").await {
                Ok(None) => Ok(()),
                other => Err(format!(
                    "{:?}",
                    other.map(|c| c.map(|c| c.metadata.owner_references))
                )),
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_summary_stripped_of_its_label_is_ours_still_and_gets_it_back() {
    let f = fixture("label-removed", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let before = f
        .config_maps
        .get("kubecon-eu-2019-summary")
        .await
        .expect("the summary");
    // Without its label, the summary leaves the operator's cache: to the operator, the name is
    // taken by a ConfigMap it does not hold, which its owner reference shows to be its own.
    remove_by_hand(&f, "/metadata/labels/app.kubernetes.io~1managed-by").await;
    eventually("the label to be restored", TIMEOUT, || async {
        let cm = f
            .config_maps
            .get("kubecon-eu-2019-summary")
            .await
            .map_err(|e| e.to_string())?;
        match cm.labels().get("app.kubernetes.io/managed-by") {
            Some(value) if value == "tripreport-operator" => Ok(cm),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let after = f
        .config_maps
        .get("kubecon-eu-2019-summary")
        .await
        .expect("the summary");
    assert_eq!(after.metadata.uid, before.metadata.uid, "the same object");
    assert_eq!(after.data, before.data);
    let reported = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_ne!(
        condition(&reported, "Stalled").map(|c| c["status"].clone()),
        Some(json!("True")),
        "not taken for someone else's: {:?}",
        reported.data["status"]
    );
}

/// Removes `path` from the summary of kubecon-eu-2019 by hand (kubectl edit does an update like
/// this).
async fn remove_by_hand(f: &Fixture, path: &str) {
    f.config_maps
        .patch(
            "kubecon-eu-2019-summary",
            &PatchParams::default(),
            &Patch::Json::<()>(
                serde_json::from_value(json!([{"op": "remove", "path": path}]))
                    .expect("a JSON patch"),
            ),
        )
        .await
        .expect("an edit by hand");
}
