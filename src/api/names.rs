//! The names the operator shares with the cluster and with people (shared/API.md): its field
//! manager, its Lease, its control ConfigMap, and the labels and annotations it reads or writes.
//! In one place, so no module borrows another's for them.

/// The field manager of every write: one, so server-side apply knows what the operator owns.
/// (Each replica takes the Lease as `<FIELD_MANAGER>-<identity>`: see `gate::leader`.)
pub const FIELD_MANAGER: &str = "tripreport-operator";

/// The leader-election Lease, in the operator's namespace.
pub const LEASE_NAME: &str = "tripreport-operator";

/// The big red button, in the operator's own namespace: `paused: "true"` stops every write.
pub const CONTROL_CONFIG_MAP: &str = "tripreport-operator-control";

/// A new value on a report asks for a reconcile now, and a new attempt at a refused write.
pub const REQUESTED_AT_ANNOTATION: &str = "tripreports.dev/requested-at";

/// The summary ConfigMap's labels: the operator writes only ConfigMaps that carry the first.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "tripreport-operator";
pub const REPORT_LABEL: &str = "tripreports.dev/report";

/// The digest of the summary's data, on the summary ConfigMap.
pub const DIGEST_ANNOTATION: &str = "tripreports.dev/digest";

/// The label selector the operator watches ConfigMaps through: only its own.
pub const SELECTOR: &str = "app.kubernetes.io/managed-by=tripreport-operator";

/// Where `kubectl apply` (client-side, as Argo CD applies too) keeps a copy of the whole object
/// it applied, a report's body included. The operator never reads it, nor caches it.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_is_the_managed_by_label() {
        assert_eq!(SELECTOR, format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    }
}
