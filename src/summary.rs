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

/// The report a summary's label names: the report's name, or where the label holds a hash
/// (names longer than a label value), the first of the names `reports` gives whose label value
/// it is. `reports` is called only then.
pub fn report_of_label<I: IntoIterator<Item = String>>(
    value: &str,
    reports: impl FnOnce() -> I,
) -> Option<String> {
    if value.len() < MAX_LABEL_VALUE {
        return Some(value.to_string());
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
    fn a_summary_label_leads_back_to_its_report() {
        let label = |report: &str| report_label_value(report);
        let none = || -> Vec<String> { panic!("no search for a short name") };
        assert_eq!(report_of_label(&label("r"), none), Some("r".into()));
        let long = "x".repeat(70);
        let names = || vec!["a".to_string(), long.clone()];
        assert_eq!(report_of_label(&label(&long), names), Some(long.clone()));
        assert_eq!(
            report_of_label(&label(&long), || vec!["a".to_string()]),
            None,
            "a hash names no report that is not there"
        );
        let sixty_three = "y".repeat(63);
        assert_eq!(
            report_of_label(&label(&sixty_three), || vec![sixty_three.clone()]),
            Some(sixty_three.clone()),
            "exactly 63 characters is kept as it is, and found among the reports"
        );
        let unmanaged = BTreeMap::from([(REPORT_LABEL.to_string(), label("r"))]);
        assert!(!is_managed(&unmanaged));
    }

    #[test]
    fn label_values_fit_in_63_characters() {
        assert_eq!(report_label_value("short"), "short");
        let hashed = report_label_value(&"x".repeat(64));
        assert_eq!(hashed.len(), 63);
        assert!(hashed.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
