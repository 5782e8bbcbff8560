use super::*;
use crate::api::names::MANAGED_BY;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;

fn owner() -> OwnerReference {
    OwnerReference {
        api_version: "tripreports.dev/v1alpha1".into(),
        kind: "ConferenceReport".into(),
        name: "r".into(),
        uid: "uid-1".into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn want() -> ConfigMap {
    let data = BTreeMap::from([
        ("summary.md".to_string(), "# A report".to_string()),
        ("summary.json".to_string(), "{}".to_string()),
    ]);
    summary::desired("r", "ns", owner(), data, "sha256:1")
}

/// The digest covers only the keys listed here: a label or annotation `desired` set
/// beyond them would never be checked, and a summary missing it never rewritten.
#[test]
fn the_managed_keys_are_exactly_those_desired_sets() {
    let desired = want();
    fn keys(m: &Option<BTreeMap<String, String>>) -> Vec<&str> {
        m.iter().flatten().map(|(k, _)| k.as_str()).collect()
    }
    let mut labels = MANAGED_LABELS.to_vec();
    labels.sort();
    assert_eq!(keys(&desired.metadata.labels), labels);
    assert_eq!(keys(&desired.metadata.annotations), MANAGED_ANNOTATIONS);
}

#[test]
fn up_to_date_only_while_its_data_labels_annotations_and_owner_are_ours() {
    let desired = want();
    let cached = |cm: &ConfigMap| CachedSummary::from(cm.clone());
    assert!(cached(&desired).up_to_date(&desired));

    // What others add beside the operator's fields does not matter.
    let mut added = desired.clone();
    added
        .metadata
        .labels
        .get_or_insert_default()
        .insert("team".into(), "x".into());
    added
        .metadata
        .annotations
        .get_or_insert_default()
        .insert("a".into(), "1".into());
    added
        .metadata
        .owner_references
        .get_or_insert_default()
        .push(OwnerReference {
            uid: "uid-2".into(),
            ..owner()
        });
    assert!(cached(&added).up_to_date(&desired));

    // A hand edit of the data, a key added to them, binaryData, a managed label or
    // annotation changed or removed, the owner gone: each is written back.
    let edits: [fn(&mut ConfigMap); 7] = [
        |cm| {
            cm.data
                .get_or_insert_default()
                .insert("summary.md".into(), "# Edited".into());
        },
        |cm| {
            cm.data
                .get_or_insert_default()
                .insert("extra".into(), "x".into());
        },
        |cm| {
            cm.binary_data = Some(BTreeMap::from([("b".into(), Default::default())]));
        },
        |cm| {
            cm.metadata
                .labels
                .get_or_insert_default()
                .insert(REPORT_LABEL.into(), "s".into());
        },
        |cm| {
            cm.metadata
                .labels
                .get_or_insert_default()
                .remove(MANAGED_BY_LABEL);
        },
        |cm| {
            cm.metadata.annotations = None;
        },
        |cm| {
            cm.metadata.owner_references = None;
        },
    ];
    for (i, edit) in edits.iter().enumerate() {
        let mut edited = desired.clone();
        edit(&mut edited);
        assert!(!cached(&edited).up_to_date(&desired), "edit {i}");
        // Nor is it taken for the echo of the operator's apply.
        assert_ne!(cached(&edited).content(), content_of(&desired), "edit {i}");
    }
    // The echo of an apply of `desired` shows its content; labels and annotations of
    // others do not change it.
    assert_eq!(cached(&desired).content(), content_of(&desired));
    let mut labelled = desired.clone();
    labelled
        .metadata
        .labels
        .get_or_insert_default()
        .insert("team".into(), "x".into());
    assert_eq!(cached(&labelled).content(), content_of(&desired));
}

#[test]
fn the_cached_form_holds_no_data_and_leads_back_to_its_reports() {
    let mut cm = want();
    cm.metadata.resource_version = Some("7".into());
    cm.metadata
        .owner_references
        .get_or_insert_default()
        .push(OwnerReference {
            kind: "Deployment".into(),
            api_version: "apps/v1".into(),
            name: "d".into(),
            ..owner()
        });
    let cached = CachedSummary::from(cm);
    assert_eq!(cached.resource_version().as_deref(), Some("7"));
    assert_eq!(cached.meta().labels, None);
    let none = || -> Vec<String> { panic!("no search for a short name") };
    assert_eq!(cached.reports(none), ["r"]);
    assert!(cached.annotated("sha256:1"));
    assert!(!cached.annotated("sha256:2"));

    // Without the operator's label, only the owners count.
    let mut unlabelled = want();
    unlabelled.metadata.labels = Some(BTreeMap::from([(REPORT_LABEL.into(), "x".into())]));
    unlabelled.metadata.owner_references = None;
    assert!(CachedSummary::from(unlabelled).reports(none).is_empty());
    let mut labelled = want();
    labelled.metadata.owner_references = None;
    labelled.metadata.labels = Some(BTreeMap::from([
        (MANAGED_BY_LABEL.into(), MANAGED_BY.into()),
        (REPORT_LABEL.into(), "other".into()),
    ]));
    assert_eq!(CachedSummary::from(labelled).reports(none), ["other"]);
}
