//! A summary ConfigMap as the operator caches it: only what it reads back. The operator needs a
//! cached summary for three things: whether it already holds what the operator would write
//! (`up_to_date`), the resourceVersion it was seen at, and which report a hand edit concerns
//! (its owners and report label). All of that is metadata, so the summaries are watched as
//! metadata only: the API server never sends the operator the data it wrote (docs/architecture.md,
//! "Summaries watched as metadata"). Pure: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ManagedFieldsEntry, ObjectMeta, OwnerReference,
};
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use super::memory::{Fingerprint, fingerprint};
use crate::api::ConferenceReport;
use crate::api::names::{DIGEST_ANNOTATION, FIELD_MANAGER, MANAGED_BY_LABEL, REPORT_LABEL};
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
/// owners, a digest of the managed labels and annotations, and who holds its data.
///
/// The data are read through their field managers. Every apply of the operator sets all its
/// data keys with the digest annotation of the rendering they hold, and the API server takes a
/// field from the operator's field manager as soon as anyone else changes it (an update, a
/// forced apply) or removes it. So while the operator's manager holds every key and no other
/// manager holds any data, the data are those of the operator's last apply, the rendering the
/// annotation names.
#[derive(Clone, Debug)]
pub struct CachedSummary {
    metadata: ObjectMeta,
    managed: bool,
    report_label: Option<String>,
    owners: Vec<Owner>,
    /// The values of the managed labels and annotations.
    digest: Fingerprint,
    /// The data keys the operator's field manager holds, sorted.
    applied_keys: Vec<String>,
    /// Another field manager holds data or binaryData: changed or added by hand.
    foreign_data: bool,
    /// The digest annotation's value: which rendering the summary was written from.
    annotated_digest: Option<Fingerprint>,
}

/// The managed labels' and annotations' values (absent ones too).
fn digest_of(meta: &ObjectMeta) -> Fingerprint {
    let value = |map: &Option<BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            // A leading byte tells an absent value from an empty one.
            .map_or_else(|| b"-".to_vec(), |v| [b"=", v.as_bytes()].concat())
    };
    let parts: Vec<Vec<u8>> = MANAGED_LABELS
        .iter()
        .map(|k| value(&meta.labels, k))
        .chain(
            MANAGED_ANNOTATIONS
                .iter()
                .map(|k| value(&meta.annotations, k)),
        )
        .collect();
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    fingerprint(&parts)
}

/// The keys a managed-fields entry holds in the map `field` (`f:data`, `f:binaryData`).
fn held_keys<'a>(entry: &'a ManagedFieldsEntry, field: &str) -> impl Iterator<Item = &'a str> {
    entry
        .fields_v1
        .as_ref()
        .and_then(|fields| fields.0.get(field))
        .and_then(|map| map.as_object())
        .into_iter()
        .flat_map(|map| map.keys())
        .filter_map(|key| key.strip_prefix("f:"))
}

/// The data keys the operator's apply holds, and whether any other manager holds data or
/// binaryData (the operator never writes binaryData).
fn data_holders(entries: &[ManagedFieldsEntry]) -> (Vec<String>, bool) {
    let mut applied = Vec::new();
    let mut foreign = false;
    for entry in entries {
        let ours = entry.manager.as_deref() == Some(FIELD_MANAGER)
            && entry.operation.as_deref() == Some("Apply");
        if ours {
            applied.extend(held_keys(entry, "f:data").map(str::to_string));
        } else {
            foreign |= held_keys(entry, "f:data").next().is_some();
        }
        foreign |= held_keys(entry, "f:binaryData").next().is_some();
    }
    applied.sort();
    applied.dedup();
    (applied, foreign)
}

impl From<ObjectMeta> for CachedSummary {
    fn from(meta: ObjectMeta) -> Self {
        let digest = digest_of(&meta);
        let (applied_keys, foreign_data) =
            data_holders(meta.managed_fields.as_deref().unwrap_or_default());
        let labels = meta.labels.unwrap_or_default();
        let owners = meta
            .owner_references
            .unwrap_or_default()
            .into_iter()
            .map(Owner::from)
            .collect();
        CachedSummary {
            metadata: ObjectMeta {
                name: meta.name,
                namespace: meta.namespace,
                uid: meta.uid,
                resource_version: meta.resource_version,
                ..ObjectMeta::default()
            },
            managed: summary::is_managed(&labels),
            report_label: labels.get(REPORT_LABEL).cloned(),
            owners,
            digest,
            applied_keys,
            foreign_data,
            annotated_digest: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get(DIGEST_ANNOTATION))
                .map(|d| fingerprint(&[d.as_bytes()])),
        }
    }
}

/// A watch event of a summary's metadata, as cached.
pub fn cached_event(
    event: watcher::Event<PartialObjectMeta<ConfigMap>>,
) -> watcher::Event<CachedSummary> {
    let cached = |object: PartialObjectMeta<ConfigMap>| CachedSummary::from(object.metadata);
    match event {
        watcher::Event::Apply(object) => watcher::Event::Apply(cached(object)),
        watcher::Event::Delete(object) => watcher::Event::Delete(cached(object)),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitApply(object) => watcher::Event::InitApply(cached(object)),
        watcher::Event::InitDone => watcher::Event::InitDone,
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
    /// Whether the summary already carries everything `desired` sets: the managed labels and
    /// annotations, the owner, and data that are still those of an apply of this rendering (the
    /// operator's field manager holds exactly the keys `desired` sets, the digest annotation
    /// names the rendering, and nobody else holds data or binaryData).
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
        !self.foreign_data
            && self.digest == digest_of(&desired.metadata)
            && self.applied_keys.iter().eq(desired_keys(desired))
            && owners_present
    }

    /// What an apply of the summary sets and its echo shows, as one digest: the managed labels
    /// and annotations, the data keys the operator holds, whether anyone else holds data, and
    /// the owners. `content_of` gives the same for the ConfigMap an apply sends.
    pub fn content(&self) -> Fingerprint {
        content(
            &self.digest,
            &self.applied_keys,
            self.foreign_data,
            &self.owners,
        )
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
    let keys: Vec<&String> = desired_keys(desired).collect();
    content(&digest_of(&desired.metadata), &keys, false, &owners)
}

/// The data keys `desired` sets, sorted (a BTreeMap's order).
fn desired_keys(desired: &ConfigMap) -> impl Iterator<Item = &String> {
    desired.data.iter().flat_map(|data| data.keys())
}

fn content(
    digest: &Fingerprint,
    keys: &[impl AsRef<str>],
    foreign_data: bool,
    owners: &[Owner],
) -> Fingerprint {
    let flag = |b: Option<bool>| match b {
        None => b"-".as_slice(),
        Some(true) => b"1",
        Some(false) => b"0",
    };
    // Counted, so no key can be read as an owner.
    let count = keys.len().to_le_bytes();
    let mut parts: Vec<&[u8]> = vec![digest, if foreign_data { b"1" } else { b"0" }, &count];
    parts.extend(keys.iter().map(|k| k.as_ref().as_bytes()));
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
