//! metav1.Conditions the kstatus way: each with observedGeneration, a CamelCase reason, a message
//! a person can act on, and a lastTransitionTime that moves only when the status does. Pure logic.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub const READY: &str = "Ready";
pub const RECONCILING: &str = "Reconciling";
pub const STALLED: &str = "Stalled";
pub const REVIEWED: &str = "Reviewed";
pub const SUMMARIZED: &str = "Summarized";

/// A condition as the reconciler wants it, before timestamps and generations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub type_: &'static str,
    pub status: Option<bool>,
    pub reason: String,
    pub message: String,
}

impl Desired {
    pub fn new(
        type_: &'static str,
        status: Option<bool>,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_,
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }
    pub fn truthy(
        type_: &'static str,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(type_, Some(true), reason, message)
    }
    pub fn falsy(
        type_: &'static str,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(type_, Some(false), reason, message)
    }
}

fn status_string(status: Option<bool>) -> &'static str {
    match status {
        Some(true) => "True",
        Some(false) => "False",
        None => "Unknown",
    }
}

/// The conditions to publish: `desired`, in its order, keeping the existing lastTransitionTime
/// of every condition whose status did not change. Types not in `desired` are dropped (an
/// abnormal-true condition such as Stalled is removed, not set False, once it no longer holds).
pub fn merge(
    existing: &[Condition],
    desired: &[Desired],
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    desired
        .iter()
        .map(|d| {
            let status = status_string(d.status).to_string();
            let last_transition_time = existing
                .iter()
                .find(|c| c.type_ == d.type_ && c.status == status)
                .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
            Condition {
                type_: d.type_.to_string(),
                status,
                reason: d.reason.clone(),
                message: d.message.clone(),
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect()
}

/// The condition of `type_` in `conditions`, if any.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// An Event to say once a status is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// A Warning (a problem a person must see), or else a Normal Event.
    pub warning: bool,
    pub reason: String,
    pub message: String,
}

/// What to say when a status's conditions go from `old` to `new`: a Warning when Ready turns to
/// one of the `warned` reasons (not again while it says the same), a `Recovered` Event when it
/// leaves one of `recovered_from` for a reason that is no problem. Nothing when Ready is
/// unchanged, so a status written again says nothing again.
pub fn announce(
    old: &[Condition],
    new: &[Condition],
    warned: &[&str],
    recovered_from: &[&str],
) -> Option<Announcement> {
    let new_ready = find(new, READY)?;
    let old_ready = find(old, READY);
    if warned.contains(&new_ready.reason.as_str()) {
        let said_before = old_ready
            .is_some_and(|c| c.reason == new_ready.reason && c.message == new_ready.message);
        return (!said_before).then(|| Announcement {
            warning: true,
            reason: new_ready.reason.clone(),
            message: new_ready.message.clone(),
        });
    }
    old_ready
        .filter(|c| recovered_from.contains(&c.reason.as_str()))
        .map(|_| Announcement {
            warning: false,
            reason: "Recovered".to_string(),
            message: new_ready.message.clone(),
        })
}

/// Now, for a condition's transition time, in whole seconds: the API server stores no more,
/// so a re-read status compares equal.
pub fn now() -> Time {
    let seconds = k8s_openapi::jiff::Timestamp::now().as_second();
    Time(
        k8s_openapi::jiff::Timestamp::from_second(seconds)
            .unwrap_or_else(|_| k8s_openapi::jiff::Timestamp::now()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> Time {
        Time(s.parse().expect("a timestamp"))
    }

    #[test]
    fn the_transition_time_moves_only_when_the_status_does() {
        let first = merge(
            &[],
            &[
                Desired::truthy(READY, "Published", "ok"),
                Desired::falsy(REVIEWED, "AwaitingApproval", "0 of 1"),
            ],
            Some(1),
            &time("2026-01-01T00:00:00Z"),
        );
        let second = merge(
            &first,
            &[
                Desired::truthy(READY, "Published", "ok, new digest"),
                Desired::truthy(REVIEWED, "Approved", "by bob"),
            ],
            Some(2),
            &time("2026-01-02T00:00:00Z"),
        );
        assert_eq!(second[0].last_transition_time, time("2026-01-01T00:00:00Z"));
        assert_eq!(second[0].message, "ok, new digest");
        assert_eq!(second[0].observed_generation, Some(2));
        assert_eq!(second[1].last_transition_time, time("2026-01-02T00:00:00Z"));
        assert_eq!(second[1].status, "True");
    }

    #[test]
    fn conditions_no_longer_desired_are_removed_and_unknown_is_spelled_out() {
        let before = merge(
            &[],
            &[
                Desired::truthy(STALLED, "InvalidSpec", "bad"),
                Desired::new(READY, None, "Progressing", ""),
            ],
            Some(1),
            &time("2026-01-01T00:00:00Z"),
        );
        assert_eq!(before[1].status, "Unknown");
        let after = merge(
            &before,
            &[Desired::truthy(READY, "Published", "ok")],
            Some(2),
            &time("2026-01-02T00:00:00Z"),
        );
        assert_eq!(after.len(), 1);
        assert!(find(&after, STALLED).is_none());
    }

    #[test]
    fn what_a_change_of_ready_announces() {
        let t = time("2026-01-01T00:00:00Z");
        let ready = |status: Option<bool>, reason: &str, message: &str| {
            merge(
                &[],
                &[Desired::new(READY, status, reason, message)],
                Some(1),
                &t,
            )
        };
        let warned = ["InvalidSpec", "SummaryFailed"];
        let from = ["SummaryFailed"];
        let published = ready(Some(true), "Published", "in x-summary");
        let failed = ready(Some(false), "SummaryFailed", "too large");
        let warning = |reason: &str, message: &str| Announcement {
            warning: true,
            reason: reason.into(),
            message: message.into(),
        };
        for (old, new, expected) in [
            (&[][..], &published[..], None),
            (
                &published[..],
                &failed[..],
                Some(warning("SummaryFailed", "too large")),
            ),
            // Said once: the same problem again says nothing.
            (&failed[..], &failed[..], None),
            (
                &failed[..],
                &ready(Some(false), "SummaryFailed", "forbidden")[..],
                Some(warning("SummaryFailed", "forbidden")),
            ),
            (
                &failed[..],
                &published[..],
                Some(Announcement {
                    warning: false,
                    reason: "Recovered".into(),
                    message: "in x-summary".into(),
                }),
            ),
            // Leaving a problem not in `recovered_from`: nothing to celebrate.
            (
                &ready(Some(false), "InvalidSpec", "bad")[..],
                &published[..],
                None,
            ),
            (&published[..], &published[..], None),
        ] {
            assert_eq!(
                announce(old, new, &warned, &from),
                expected,
                "{old:?} -> {new:?}"
            );
        }
    }
}
