//! A summary ConfigMap as the operator caches it: only what it reads back. The operator needs a
//! cached summary for three things: whether it already holds what the operator would write
//! (`up_to_date`), the resourceVersion it was seen at, and which report a hand edit concerns
//! (its owners and report label). A whole `ConfigMap` kept for that held two label and
//! annotation maps, each a B-tree node of about 540 bytes, and the owner references' strings:
//! about 2.2 KiB a summary (docs/benchmarks.md). Pure: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use serde::Deserialize;

use super::memory::{Fingerprint, fingerprint};
use crate::api::ConferenceReport;
use crate::api::names::{DIGEST_ANNOTATION, MANAGED_BY_LABEL, REPORT_LABEL};
use crate::summary;

/// The labels and annotations the operator sets on a summary, and nothing else: `desired`
/// sets exactly these (a unit test holds it to that).
const MANAGED_LABELS: [&str; 2] = [MANAGED_BY_LABEL, REPORT_LABEL];
const MANAGED_ANNOTATIONS: [&str; 1] = [DIGEST_ANNOTATION];

/// An owner reference, as far as the operator reads it.
#[derive(Clone, Debug)]
struct Owner {
    /// A ConferenceReport of this API group: its name leads a hand edit back to it.
    report: Option<String>,
    uid: String,
    controller: Option<bool>,
    block_owner_deletion: Option<bool>,
}

impl From<OwnerReference> for Owner {
    fn from(o: OwnerReference) -> Self {
        Owner {
            report: (o.kind == "ConferenceReport" && o.api_version.starts_with("tripreports.dev/"))
                .then_some(o.name),
            uid: o.uid,
            controller: o.controller,
            block_owner_deletion: o.block_owner_deletion,
        }
    }
}

/// A summary ConfigMap, reduced to what the operator reads back: name, namespace, uid and
/// resourceVersion, whether it carries the operator's label, the report its label names, its
/// owners, and a digest of the managed labels, annotations and data.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "ConfigMap")]
pub struct CachedSummary {
    metadata: ObjectMeta,
    managed: bool,
    report_label: Option<String>,
    owners: Vec<Owner>,
    /// The values of the managed labels and annotations, and the data.
    digest: Fingerprint,
    /// The operator never writes binaryData: any there was added by hand.
    binary_data: bool,
    /// The digest annotation's value: which rendering the summary was written from.
    annotated_digest: Option<Fingerprint>,
}

/// The managed labels' and annotations' values (absent ones too), and the data.
fn digest_of(cm: &ConfigMap) -> Fingerprint {
    let value = |map: &Option<BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            // A leading byte tells an absent value from an empty one.
            .map_or_else(|| b"-".to_vec(), |v| [b"=", v.as_bytes()].concat())
    };
    let mut parts: Vec<Vec<u8>> = MANAGED_LABELS
        .iter()
        .map(|k| value(&cm.metadata.labels, k))
        .chain(
            MANAGED_ANNOTATIONS
                .iter()
                .map(|k| value(&cm.metadata.annotations, k)),
        )
        .collect();
    parts.push(
        cm.data
            .as_ref()
            .map_or_else(Vec::new, |d| crate::render::digest(d).into_bytes()),
    );
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    fingerprint(&parts)
}

impl From<ConfigMap> for CachedSummary {
    fn from(cm: ConfigMap) -> Self {
        let digest = digest_of(&cm);
        let labels = cm.metadata.labels.unwrap_or_default();
        let owners = cm
            .metadata
            .owner_references
            .unwrap_or_default()
            .into_iter()
            .map(Owner::from)
            .collect();
        CachedSummary {
            metadata: ObjectMeta {
                name: cm.metadata.name,
                namespace: cm.metadata.namespace,
                uid: cm.metadata.uid,
                resource_version: cm.metadata.resource_version,
                ..ObjectMeta::default()
            },
            managed: summary::is_managed(&labels),
            report_label: labels.get(REPORT_LABEL).cloned(),
            owners,
            digest,
            binary_data: cm.binary_data.is_some_and(|b| !b.is_empty()),
            annotated_digest: cm
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DIGEST_ANNOTATION))
                .map(|d| fingerprint(&[d.as_bytes()])),
        }
    }
}

impl Resource for CachedSummary {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        ConfigMap::kind(&())
    }
    fn group(_: &()) -> Cow<'_, str> {
        ConfigMap::group(&())
    }
    fn version(_: &()) -> Cow<'_, str> {
        ConfigMap::version(&())
    }
    fn plural(_: &()) -> Cow<'_, str> {
        ConfigMap::plural(&())
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl CachedSummary {
    /// Whether the summary already carries everything `desired` sets, and was not added to by
    /// hand where the operator writes (its data, binaryData).
    pub fn up_to_date(&self, desired: &ConfigMap) -> bool {
        let owners_present = desired
            .metadata
            .owner_references
            .iter()
            .flatten()
            .all(|want| {
                self.owners.iter().any(|have| {
                    have.uid == want.uid
                        && have.controller == want.controller
                        && have.block_owner_deletion == want.block_owner_deletion
                })
            });
        !self.binary_data && self.digest == digest_of(desired) && owners_present
    }

    /// What an apply of the summary sets and its echo shows, as one digest: the managed labels,
    /// annotations and data, the owners, and whether there is binaryData. `content_of` gives the
    /// same for the ConfigMap an apply sends.
    pub fn content(&self) -> Fingerprint {
        content(&self.digest, self.binary_data, &self.owners)
    }

    /// The reports this summary names: its ConferenceReport owners, and by its label (where the
    /// label holds a hash, the first of `reports` whose label value it is).
    pub fn reports<I: IntoIterator<Item = String>>(
        &self,
        reports: impl FnOnce() -> I,
    ) -> Vec<String> {
        let mut names: Vec<String> = self
            .owners
            .iter()
            .filter_map(|o| o.report.clone())
            .collect();
        if self.managed
            && let Some(value) = &self.report_label
            && let Some(name) = summary::report_of_label(value, reports)
        {
            names.push(name);
        }
        names.sort();
        names.dedup();
        names
    }

    /// Whether the summary's digest annotation names `digest`: its data were changed by hand
    /// from that rendering, which a write of it restores.
    pub fn annotated(&self, digest: &str) -> bool {
        self.annotated_digest == Some(fingerprint(&[digest.as_bytes()]))
    }
}

/// [`CachedSummary::content`] of the summary `desired`, as it will be once applied.
pub fn content_of(desired: &ConfigMap) -> Fingerprint {
    let owners: Vec<Owner> = desired
        .metadata
        .owner_references
        .iter()
        .flatten()
        .cloned()
        .map(Owner::from)
        .collect();
    let binary_data = desired.binary_data.as_ref().is_some_and(|b| !b.is_empty());
    content(&digest_of(desired), binary_data, &owners)
}

fn content(digest: &Fingerprint, binary_data: bool, owners: &[Owner]) -> Fingerprint {
    let flag = |b: Option<bool>| match b {
        None => b"-".as_slice(),
        Some(true) => b"1",
        Some(false) => b"0",
    };
    let mut parts: Vec<&[u8]> = vec![digest, if binary_data { b"1" } else { b"0" }];
    for owner in owners {
        parts.extend([
            owner.uid.as_bytes(),
            flag(owner.controller),
            flag(owner.block_owner_deletion),
        ]);
    }
    fingerprint(&parts)
}

/// The reports a summary ConfigMap's event concerns: its owners, and the report its label names
/// (so a summary whose ownerReferences were removed by hand still reaches its report at once).
pub fn reports_of_summary(
    cm: &CachedSummary,
    reports: &Store<ConferenceReport>,
) -> Vec<ObjectRef<ConferenceReport>> {
    let namespace = cm.namespace().unwrap_or_default();
    let in_namespace = || {
        reports
            .state()
            .iter()
            .filter(|r| r.namespace().as_deref() == Some(namespace.as_str()))
            .map(|r| r.name_any())
            .collect::<Vec<_>>()
    };
    cm.reports(in_namespace)
        .into_iter()
        .map(|name| ObjectRef::new(&name).within(&namespace))
        .collect()
}

#[cfg(test)]
mod tests;
