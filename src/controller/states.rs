//! What the gauges of objects by state count (`tripreport_ready`, `tripreport_stalled`): each
//! cached object's Ready status and reason, and its Stalled reason. Alerts need "how many reports
//! are InvalidSpec, and for how long"; object names never become labels, and a reason the
//! operator does not write (anyone who may write status could set one) counts as `Other`, so the
//! series stay a small fixed set. Pure: no I/O.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::decide::conditions::{READY, STALLED};

/// Every reason the operator writes on Ready or Stalled (decide/); anything else is `Other`.
pub const REASONS: [&str; 10] = [
    "Published",
    "Truncated",
    "Resolved",
    "Progressing",
    "InvalidSpec",
    "SummaryFailed",
    "SummaryNameTaken",
    "ReportNotFound",
    "ReportSuspended",
    "Recovered",
];

/// An object with no Ready condition yet (just created, or paused since it was).
pub const UNSET: &str = "Unset";

/// The counts of one kind's objects by (Ready status, Ready reason), and by Stalled reason (only
/// those with Stalled=True). Every known combination seen is counted; the caller zeroes the rest.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct States {
    pub ready: BTreeMap<(&'static str, &'static str), i64>,
    pub stalled: BTreeMap<&'static str, i64>,
}

impl States {
    pub fn count<'a>(objects: impl IntoIterator<Item = &'a [Condition]>) -> Self {
        let mut states = States::default();
        for conditions in objects {
            let find = |type_: &str| conditions.iter().find(|c| c.type_ == type_);
            let ready = match find(READY) {
                Some(c) => (status(&c.status), reason(&c.reason)),
                None => ("Unknown", UNSET),
            };
            *states.ready.entry(ready).or_default() += 1;
            if let Some(c) = find(STALLED).filter(|c| c.status == "True") {
                *states.stalled.entry(reason(&c.reason)).or_default() += 1;
            }
        }
        states
    }
}

fn status(status: &str) -> &'static str {
    match status {
        "True" => "True",
        "False" => "False",
        _ => "Unknown",
    }
}

fn reason(reason: &str) -> &'static str {
    REASONS
        .iter()
        .find(|known| **known == reason)
        .copied()
        .unwrap_or("Other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(type_: &str, status: &str, reason: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
            last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                Default::default(),
            ),
            observed_generation: None,
        }
    }

    #[test]
    fn counts_by_ready_status_and_reason_and_by_stalled_reason() {
        let objects = [
            vec![c("Ready", "True", "Published")],
            vec![c("Ready", "True", "Published"), c("Stalled", "False", "")],
            vec![
                c("Ready", "False", "InvalidSpec"),
                c("Stalled", "True", "InvalidSpec"),
            ],
            vec![
                c("Ready", "False", "SummaryNameTaken"),
                c("Stalled", "True", "SummaryNameTaken"),
            ],
            vec![],
        ];
        let states = States::count(objects.iter().map(Vec::as_slice));
        assert_eq!(
            states.ready,
            BTreeMap::from([
                (("True", "Published"), 2),
                (("False", "InvalidSpec"), 1),
                (("False", "SummaryNameTaken"), 1),
                (("Unknown", UNSET), 1),
            ])
        );
        assert_eq!(
            states.stalled,
            BTreeMap::from([("InvalidSpec", 1), ("SummaryNameTaken", 1)])
        );
    }

    /// A status written by someone else cannot make new series: its reason and status fold into
    /// `Other` and `Unknown`.
    #[test]
    fn reasons_and_statuses_outside_the_operators_own_are_bounded() {
        let objects = [
            vec![c("Ready", "Maybe", "report-17-is-broken")],
            vec![c("Ready", "False", "Custom"), c("Stalled", "True", "x")],
        ];
        let states = States::count(objects.iter().map(Vec::as_slice));
        assert_eq!(
            states.ready,
            BTreeMap::from([(("Unknown", "Other"), 1), (("False", "Other"), 1)])
        );
        assert_eq!(states.stalled, BTreeMap::from([("Other", 1)]));
    }
}
