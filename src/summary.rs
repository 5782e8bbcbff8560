//! The summary ConfigMap a report owns: its name, labels, annotations, owner reference and data,
//! and whether an existing one already matches. Pure logic.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sha2::{Digest as _, Sha256};

use crate::api::names::{DIGEST_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, REPORT_LABEL};

/// Whether a ConfigMap with these labels is the operator's own: only those it ever writes.
pub fn is_managed(labels: &BTreeMap<String, String>) -> bool {
    labels.get(MANAGED_BY_LABEL).map(String::as_str) == Some(MANAGED_BY)
}

/// Whether a ConfigMap is the operator's own summary of the report with UID `report_uid`: it
/// carries the operator's label, or the report is its controller (someone removed the label,
/// which the operator then puts back). Anything else under the name is someone else's.
pub fn is_ours(meta: &ObjectMeta, report_uid: &str) -> bool {
    meta.labels.as_ref().is_some_and(is_managed)
        || meta.owner_references.iter().flatten().any(|owner| {
            owner.controller == Some(true) && !report_uid.is_empty() && owner.uid == report_uid
        })
}

/// The report a summary ConfigMap belongs to, by the operator's label: the report's name, or
/// where the label holds a hash (names longer than a label value), the first of the names
/// `reports` gives whose label value it is. `reports` is called only then.
pub fn report_of<I: IntoIterator<Item = String>>(
    labels: &BTreeMap<String, String>,
    reports: impl FnOnce() -> I,
) -> Option<String> {
    if !is_managed(labels) {
        return None;
    }
    let value = labels.get(REPORT_LABEL)?;
    if value.len() < MAX_LABEL_VALUE {
        return Some(value.clone());
    }
    reports()
        .into_iter()
        .find(|name| report_label_value(name) == *value)
}

const SUFFIX: &str = "-summary";
const MAX_NAME: usize = 253;
const MAX_LABEL_VALUE: usize = 63;

fn hex_digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `<report>-summary`, or where that passes 253 characters, the report's name shortened and
/// followed by a hash of the whole name, so distinct reports never share a summary.
pub fn config_map_name(report: &str) -> String {
    if report.len() + SUFFIX.len() <= MAX_NAME {
        return format!("{report}{SUFFIX}");
    }
    let hash = &hex_digest(report)[..10];
    let keep = MAX_NAME - SUFFIX.len() - hash.len() - 1;
    // Report names are DNS subdomains (ASCII), so byte slicing is safe; a cut must not leave
    // a trailing '-' or '.' before the hash.
    let prefix = report[..keep.min(report.len())].trim_end_matches(['-', '.']);
    format!("{prefix}-{hash}{SUFFIX}")
}

/// The report's name as a label value, or a hash of it where it is longer than 63 characters.
pub fn report_label_value(report: &str) -> String {
    if report.len() <= MAX_LABEL_VALUE {
        report.to_string()
    } else {
        hex_digest(report)[..MAX_LABEL_VALUE].to_string()
    }
}

/// The ConfigMap as the operator applies it. Nothing of the report's own labels or annotations
/// is copied: ArgoCD and Flux track ownership by label.
pub fn desired(
    report: &str,
    namespace: &str,
    owner: OwnerReference,
    data: BTreeMap<String, String>,
    digest: &str,
) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(config_map_name(report)),
            namespace: Some(namespace.to_string()),
            labels: Some(BTreeMap::from([
                (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
                (REPORT_LABEL.to_string(), report_label_value(report)),
            ])),
            annotations: Some(BTreeMap::from([(
                DIGEST_ANNOTATION.to_string(),
                digest.to_string(),
            )])),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    }
}

/// The annotation that holds a summary's data digest as the operator caches it. A colon cannot
/// appear in a real annotation key, so it never collides with one.
pub const CACHED_DATA_KEY: &str = "sha256:data";

/// A summary as the operator caches it: its data replaced by their digest. The data are most
/// of a summary's size, and the operator only needs to know whether they are what it would
/// write (a hand edit is undone); the digest tells that. It goes with the annotations, which a
/// summary has anyway, so that the cached form holds one map fewer (a B-tree node of 640 bytes).
pub fn cached_form(cm: &mut ConfigMap) {
    if let Some(data) = cm.data.take() {
        cm.metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(CACHED_DATA_KEY.to_string(), crate::render::digest(&data));
    }
}

/// Whether `existing` already carries everything `desired` sets; fields others added are fine.
/// `existing` may be in its cached form (see [`cached_form`]).
pub fn up_to_date(existing: &ConfigMap, desired: &ConfigMap) -> bool {
    let contains = |have: &Option<BTreeMap<String, String>>,
                    want: &Option<BTreeMap<String, String>>| {
        want.iter()
            .flatten()
            .all(|(k, v)| have.as_ref().and_then(|h| h.get(k)) == Some(v))
    };
    let owner_present = desired
        .metadata
        .owner_references
        .iter()
        .flatten()
        .all(|want| {
            existing
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|have| {
                    have.uid == want.uid
                        && have.controller == want.controller
                        && have.block_owner_deletion == want.block_owner_deletion
                })
        });
    let cached_digest = existing
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CACHED_DATA_KEY));
    let same_data = match cached_digest {
        Some(digest) => desired
            .data
            .as_ref()
            .is_some_and(|d| *digest == crate::render::digest(d)),
        None => existing.data == desired.data,
    };
    same_data
        && existing.binary_data.as_ref().is_none_or(BTreeMap::is_empty)
        && contains(&existing.metadata.labels, &desired.metadata.labels)
        && contains(
            &existing.metadata.annotations,
            &desired.metadata.annotations,
        )
        && owner_present
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configmap_is_ours_by_the_label_or_by_the_report_as_its_controller() {
        let owner = |uid: &str, controller| OwnerReference {
            uid: uid.to_string(),
            controller: Some(controller),
            ..Default::default()
        };
        let labelled = ObjectMeta {
            labels: Some(BTreeMap::from([(
                MANAGED_BY_LABEL.to_string(),
                MANAGED_BY.to_string(),
            )])),
            ..Default::default()
        };
        assert!(is_ours(&labelled, "u1"));
        let controlled = ObjectMeta {
            owner_references: Some(vec![owner("u1", true)]),
            ..Default::default()
        };
        assert!(is_ours(&controlled, "u1"));
        assert!(!is_ours(&controlled, "u2"));
        let merely_owned = ObjectMeta {
            owner_references: Some(vec![owner("u1", false)]),
            ..Default::default()
        };
        assert!(!is_ours(&merely_owned, "u1"));
        assert!(!is_ours(&ObjectMeta::default(), ""));
    }

    #[test]
    fn a_cached_summary_is_up_to_date_only_while_its_data_are_unchanged() {
        let data = BTreeMap::from([
            ("summary.md".to_string(), "# A report".to_string()),
            ("summary.json".to_string(), "{}".to_string()),
        ]);
        let desired = ConfigMap {
            data: Some(data.clone()),
            ..Default::default()
        };
        let mut cached = desired.clone();
        cached_form(&mut cached);
        assert_eq!(cached.data, None, "the data are not held");
        assert!(up_to_date(&cached, &desired));
        // An annotation desired is still looked for beside the digest.
        let mut annotated = desired.clone();
        annotated.metadata.annotations = Some(BTreeMap::from([("a".to_string(), "1".to_string())]));
        assert!(!up_to_date(&cached, &annotated));
        let mut cached_annotated = annotated.clone();
        cached_form(&mut cached_annotated);
        assert!(up_to_date(&cached_annotated, &annotated));
        // A hand edit changes the digest the cache holds.
        let mut edited = desired.clone();
        if let Some(d) = edited.data.as_mut() {
            d.insert("summary.md".to_string(), "# Edited".to_string());
        }
        cached_form(&mut edited);
        assert!(!up_to_date(&edited, &desired));
        // A key added by hand too.
        let mut added = desired.clone();
        if let Some(d) = added.data.as_mut() {
            d.insert("extra".to_string(), "x".to_string());
        }
        cached_form(&mut added);
        assert!(!up_to_date(&added, &desired));
    }

    #[test]
    fn names_fit_and_long_ones_are_shortened_with_a_hash() {
        assert_eq!(
            config_map_name("kubecon-eu-2019"),
            "kubecon-eu-2019-summary"
        );
        let long = format!("{}.{}", "a".repeat(200), "b".repeat(52));
        let name = config_map_name(&long);
        assert_eq!(name.len(), 253);
        assert!(name.ends_with("-summary"));
        let other = config_map_name(&format!("{}.{}", "a".repeat(200), "c".repeat(52)));
        assert_ne!(
            name, other,
            "reports differing past the cut get different names"
        );
        let cut_at_dot = config_map_name(&format!("{}.{}", "a".repeat(234), "b".repeat(18)));
        assert!(!cut_at_dot.contains(".-"), "{cut_at_dot}");
    }

    #[test]
    fn a_summary_leads_back_to_its_report_by_label_only_when_managed() {
        let labels = |report: &str| {
            BTreeMap::from([
                (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
                (REPORT_LABEL.to_string(), report_label_value(report)),
            ])
        };
        let none = || -> Vec<String> { panic!("no search for a short name") };
        assert_eq!(report_of(&labels("r"), none), Some("r".into()));
        let long = "x".repeat(70);
        let names = || vec!["a".to_string(), long.clone()];
        assert_eq!(report_of(&labels(&long), names), Some(long.clone()));
        let sixty_three = "y".repeat(63);
        assert_eq!(
            report_of(&labels(&sixty_three), || vec![sixty_three.clone()]),
            Some(sixty_three.clone()),
            "exactly 63 characters is kept as it is, and found among the reports"
        );
        let mut unmanaged = labels("r");
        unmanaged.remove(MANAGED_BY_LABEL);
        assert_eq!(report_of(&unmanaged, none), None);
        assert!(!is_managed(&unmanaged));
    }

    #[test]
    fn label_values_fit_in_63_characters() {
        assert_eq!(report_label_value("short"), "short");
        let hashed = report_label_value(&"x".repeat(64));
        assert_eq!(hashed.len(), 63);
        assert!(hashed.chars().all(|c| c.is_ascii_hexdigit()));
    }

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

    #[test]
    fn up_to_date_ignores_fields_others_added_but_not_changes_to_ours() {
        let data = BTreeMap::from([("summary.md".to_string(), "# hi\n".to_string())]);
        let want = desired("r", "ns", owner(), data, "sha256:1");
        let mut have = want.clone();
        have.metadata
            .labels
            .get_or_insert_default()
            .insert("team".into(), "x".into());
        assert!(up_to_date(&have, &want));
        have.data
            .get_or_insert_default()
            .insert("summary.md".into(), "edited by hand".into());
        assert!(!up_to_date(&have, &want));
        let mut unowned = want.clone();
        unowned.metadata.owner_references = None;
        assert!(!up_to_date(&unowned, &want));
    }
}
