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

/// A managed-fields entry of `manager` by `operation` holding `fields` (fieldsV1).
fn entry(manager: &str, operation: &str, fields: serde_json::Value) -> ManagedFieldsEntry {
    ManagedFieldsEntry {
        manager: Some(manager.into()),
        operation: Some(operation.into()),
        fields_type: Some("FieldsV1".into()),
        fields_v1: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::FieldsV1(
            fields,
        )),
        api_version: Some("v1".into()),
        ..ManagedFieldsEntry::default()
    }
}

/// What the operator's apply holds of a summary: its data keys (and, as the API server records
/// it, its labels, annotation and owner).
fn applied_fields(keys: &[&str]) -> serde_json::Value {
    let data: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|k| (format!("f:{k}"), serde_json::json!({})))
        .collect();
    serde_json::json!({
        "f:data": data,
        "f:metadata": {"f:annotations": {"f:tripreports.dev/digest": {}},
                       "f:labels": {"f:app.kubernetes.io/managed-by": {}, "f:tripreports.dev/report": {}}}
    })
}

/// The metadata the API server shows once the operator has applied `cm`.
fn applied(cm: &ConfigMap) -> ObjectMeta {
    let keys: Vec<&str> = cm.data.iter().flatten().map(|(k, _)| k.as_str()).collect();
    let mut meta = cm.metadata.clone();
    meta.managed_fields = Some(vec![entry(FIELD_MANAGER, "Apply", applied_fields(&keys))]);
    meta
}

/// `summary.md` taken from the operator's manager: by `by` (manager, operation), or removed.
fn summary_md_taken(meta: &mut ObjectMeta, by: Option<(&str, &str)>) {
    let entries = meta.managed_fields.get_or_insert_default();
    entries[0] = entry(FIELD_MANAGER, "Apply", applied_fields(&["summary.json"]));
    if let Some((manager, operation)) = by {
        let fields = serde_json::json!({"f:data": {"f:summary.md": {}}});
        entries.push(entry(manager, operation, fields));
    }
}

#[test]
fn up_to_date_only_while_its_labels_annotations_owner_and_data_are_the_operators() {
    let desired = want();
    let cached = |meta: &ObjectMeta| CachedSummary::from(meta.clone());
    assert!(cached(&applied(&desired)).up_to_date(&desired));

    // What others add beside the operator's fields does not matter.
    let mut added = applied(&desired);
    added
        .labels
        .get_or_insert_default()
        .insert("team".into(), "x".into());
    added
        .annotations
        .get_or_insert_default()
        .insert("a".into(), "1".into());
    added
        .owner_references
        .get_or_insert_default()
        .push(OwnerReference {
            uid: "uid-2".into(),
            ..owner()
        });
    added.managed_fields.get_or_insert_default().push(entry(
        "kubectl-edit",
        "Update",
        serde_json::json!({"f:metadata": {"f:labels": {"f:team": {}}}}),
    ));
    assert!(cached(&added).up_to_date(&desired));

    // A hand edit of the data (the API server takes the field from the operator's manager), a
    // key removed or added, binaryData, managed fields cleared, a key the operator's manager
    // holds and no longer writes, an update under the operator's name, another rendering, a
    // managed label or annotation changed or removed, the owner gone: each is written back.
    let edits: [fn(&mut ObjectMeta); 12] = [
        |meta| summary_md_taken(meta, Some(("kubectl-edit", "Update"))),
        |meta| summary_md_taken(meta, Some(("someone", "Apply"))),
        |meta| summary_md_taken(meta, None),
        |meta| {
            meta.managed_fields.get_or_insert_default().push(entry(
                "kubectl-edit",
                "Update",
                serde_json::json!({"f:data": {".": {}, "f:extra": {}}}),
            ));
        },
        |meta| {
            meta.managed_fields.get_or_insert_default().push(entry(
                "kubectl-edit",
                "Update",
                serde_json::json!({"f:binaryData": {".": {}, "f:b": {}}}),
            ));
        },
        |meta| meta.managed_fields = None,
        |meta| {
            meta.managed_fields = Some(vec![entry(
                FIELD_MANAGER,
                "Apply",
                applied_fields(&["summary.json", "summary.md", "summary.txt"]),
            )]);
        },
        |meta| {
            meta.managed_fields = Some(vec![entry(
                FIELD_MANAGER,
                "Update",
                applied_fields(&["summary.json", "summary.md"]),
            )]);
        },
        |meta| {
            meta.annotations
                .get_or_insert_default()
                .insert(DIGEST_ANNOTATION.into(), "sha256:0".into());
        },
        |meta| {
            meta.labels
                .get_or_insert_default()
                .insert(REPORT_LABEL.into(), "s".into());
        },
        |meta| {
            meta.labels.get_or_insert_default().remove(MANAGED_BY_LABEL);
        },
        |meta| {
            meta.owner_references = None;
        },
    ];
    for (i, edit) in edits.iter().enumerate() {
        let mut edited = applied(&desired);
        edit(&mut edited);
        assert!(!cached(&edited).up_to_date(&desired), "edit {i}");
        // Nor is it taken for the echo of the operator's apply.
        assert_ne!(cached(&edited).content(), content_of(&desired), "edit {i}");
    }
    // The echo of an apply of `desired` shows its content; labels and annotations of
    // others do not change it.
    assert_eq!(cached(&applied(&desired)).content(), content_of(&desired));
    let mut labelled = applied(&desired);
    labelled
        .labels
        .get_or_insert_default()
        .insert("team".into(), "x".into());
    assert_eq!(cached(&labelled).content(), content_of(&desired));
}

/// A summary's watch event is cached from its metadata alone.
#[test]
fn a_metadata_event_is_cached_as_it_came() {
    let desired = want();
    let object = PartialObjectMeta::<ConfigMap> {
        metadata: applied(&desired),
        ..Default::default()
    };
    let watcher::Event::Apply(cached) = cached_event(watcher::Event::Apply(object)) else {
        panic!("an apply stays an apply");
    };
    assert!(cached.up_to_date(&desired));
    assert!(matches!(
        cached_event(watcher::Event::<PartialObjectMeta<ConfigMap>>::InitDone),
        watcher::Event::InitDone
    ));
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
    let cached = CachedSummary::from(cm.metadata);
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
    assert!(
        CachedSummary::from(unlabelled.metadata)
            .reports(none)
            .is_empty()
    );
    let mut labelled = want();
    labelled.metadata.owner_references = None;
    labelled.metadata.labels = Some(BTreeMap::from([
        (MANAGED_BY_LABEL.into(), MANAGED_BY.into()),
        (REPORT_LABEL.into(), "other".into()),
    ]));
    assert_eq!(
        CachedSummary::from(labelled.metadata).reports(none),
        ["other"]
    );
}
