//! The operator's errors: why it could not start, and why a reconcile failed (with which of those
//! are worth retrying).

use std::time::Duration;

/// Why the operator could not start: said once, and the process exits with a failure.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot build a Kubernetes client (kubeconfig or in-cluster configuration): {0}")]
    Client(#[source] kube::Error),

    #[error("cannot serve HTTP on {0}: {1}")]
    Http(std::net::SocketAddr, #[source] std::io::Error),
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", describe_kube(.0))]
    Kube(#[from] kube::Error),

    #[error("writes are halted: this replica is not the leader, or the operator is paused")]
    Halted,

    #[error("cannot encode a request: {0}")]
    Encode(#[from] serde_json::Error),

    #[error("{kind} has no {field}")]
    MissingField {
        kind: &'static str,
        field: &'static str,
    },

    /// A ConfigMap of someone else's stands under the summary's name: it is never written or
    /// adopted (garbage collection would then delete it with the report).
    #[error(
        "ConfigMap {name} already exists and is not managed by tripreport-operator (it lacks the label app.kubernetes.io/managed-by=tripreport-operator), so the summary is not written there. Rename or delete that ConfigMap, or give this report another name; the summary is then published within 5 minutes, or at once on a tripreports.dev/requested-at annotation"
    )]
    SummaryNameTaken { name: String },

    /// The same write, over the same inputs, was refused before: not sent again (see
    /// `controller::memory::Refusals`).
    #[error("{0}")]
    RefusedBefore(String),
}

/// A refusal as a person reads it in a condition: the API server's own message and code, not
/// the client's debug dump of the response.
fn describe_kube(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() {
                String::new()
            } else {
                format!(" {}", status.reason)
            };
            format!(
                "the API server answered {}{reason}: {}",
                status.code, status.message
            )
        }
        other => format!("Kubernetes API: {other}"),
    }
}

/// etcd refuses a request over its `--max-request-bytes` with this text, which the API server
/// passes on with code 500. Retrying cannot help: the object is as large the next time.
fn etcd_too_large(status: &kube::core::Status) -> bool {
    status.message.contains("request is too large")
}

impl Error {
    /// Permanent errors will fail the same way until a person changes something: they are
    /// reported in conditions and Events and not retried in a loop. Everything else (network,
    /// conflicts, throttling, server errors) is retried with backoff.
    pub fn is_permanent(&self) -> bool {
        match self {
            Error::Kube(kube::Error::Api(status)) => {
                matches!(status.code, 400 | 403 | 404 | 405 | 406 | 413 | 415 | 422)
                    || etcd_too_large(status)
            }
            Error::Kube(_) | Error::Halted => false,
            Error::MissingField { .. }
            | Error::Encode(_)
            | Error::SummaryNameTaken { .. }
            | Error::RefusedBefore(_) => true,
        }
    }

    /// Permanent for the inputs, but able to heal from outside with no change to the object:
    /// a permission granted, a clashing ConfigMap removed. Retried on the long backoff; every
    /// other permanent error is attempted once per distinct desired state.
    pub fn heals_from_outside(&self) -> bool {
        match self {
            Error::Kube(kube::Error::Api(status)) => status.code == 403,
            Error::SummaryNameTaken { .. } => true,
            _ => false,
        }
    }

    /// What follows this error at the end of a reconcile: a Warning for what a person must act
    /// on, and another attempt on the backoff for what may pass by itself.
    pub fn after_failure(&self) -> AfterFailure {
        match self {
            // The gate's reopening reconciles everything again; a refusal was said when it
            // happened; a deleted object has nobody left to tell.
            Error::Halted | Error::RefusedBefore(_) => AfterFailure::QUIET,
            e if e.is_not_found() => AfterFailure::QUIET,
            e if e.is_permanent() => AfterFailure {
                warn: true,
                retry: e.heals_from_outside(),
            },
            _ => AfterFailure {
                warn: false,
                retry: true,
            },
        }
    }

    /// The object is gone: nothing to report on it.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Kube(kube::Error::Api(status)) if status.code == 404)
    }

    /// A fixed, small set of labels for metrics and log fields: never object names or error text.
    /// Every value [`Error::reason`] can take: the metrics start each at 0, so that the first
    /// failure of a kind is an increase Prometheus sees, not the birth of a series.
    pub const REASONS: [&'static str; 14] = [
        "TooLarge",
        "Forbidden",
        "NotFound",
        "Conflict",
        "Invalid",
        "Throttled",
        "ServerError",
        "ApiError",
        "Connection",
        "MissingField",
        "Encode",
        "Halted",
        "SummaryNameTaken",
        "RefusedBefore",
    ];

    pub fn reason(&self) -> &'static str {
        match self {
            Error::Kube(kube::Error::Api(status)) if etcd_too_large(status) => "TooLarge",
            Error::Kube(kube::Error::Api(status)) => match status.code {
                403 => "Forbidden",
                404 => "NotFound",
                409 => "Conflict",
                413 => "TooLarge",
                422 => "Invalid",
                429 => "Throttled",
                500..=599 => "ServerError",
                _ => "ApiError",
            },
            Error::Kube(_) => "Connection",
            Error::MissingField { .. } => "MissingField",
            Error::Encode(_) => "Encode",
            Error::Halted => "Halted",
            Error::SummaryNameTaken { .. } => "SummaryNameTaken",
            Error::RefusedBefore(_) => "RefusedBefore",
        }
    }
}

/// See [`Error::after_failure`]. Neither: only a change to the object brings it back.
#[derive(Debug, PartialEq, Eq)]
pub struct AfterFailure {
    pub warn: bool,
    pub retry: bool,
}

impl AfterFailure {
    const QUIET: Self = Self {
        warn: false,
        retry: false,
    };
}

/// The longest wait between two attempts at one object.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// Exponential backoff per object: about 1 s, 2 s, 4 s ... and never more than [`BACKOFF_CAP`]
/// (5 minutes). Each wait is cut by a random part of up to a quarter, so objects that failed
/// together (an outage) do not all come back in the same instant.
pub fn backoff(failures: u32) -> Duration {
    jittered(failures, fastrand::f64())
}

/// [`backoff`] with the random draw `r` in [0, 1) given.
fn jittered(failures: u32, r: f64) -> Duration {
    let base = Duration::from_secs(1u64 << failures.min(9)).min(BACKOFF_CAP);
    base.mul_f64(1.0 - 0.25 * r.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16) -> Error {
        Error::Kube(kube::Error::Api(Box::new(kube::core::Status {
            code,
            ..Default::default()
        })))
    }

    #[test]
    fn client_errors_are_permanent_and_the_rest_transient() {
        assert!(api(422).is_permanent());
        assert!(api(413).is_permanent());
        assert!(api(403).is_permanent());
        assert!(!api(409).is_permanent());
        assert!(!api(429).is_permanent());
        assert!(!api(503).is_permanent());
        assert_eq!(api(413).reason(), "TooLarge");
    }

    #[test]
    fn a_request_too_large_for_etcd_is_permanent_and_said_plainly() {
        let error = Error::Kube(kube::Error::Api(Box::new(kube::core::Status {
            code: 500,
            message: "etcdserver: request is too large".to_string(),
            ..Default::default()
        })));
        assert!(error.is_permanent());
        assert_eq!(error.reason(), "TooLarge");
        assert_eq!(
            error.to_string(),
            "the API server answered 500: etcdserver: request is too large"
        );
        assert!(!api(500).is_permanent());
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped_at_five_minutes() {
        assert_eq!(jittered(0, 0.0), Duration::from_secs(1));
        assert_eq!(jittered(3, 0.0), Duration::from_secs(8));
        assert_eq!(jittered(3, 0.5), Duration::from_secs(7));
        assert_eq!(jittered(30, 0.0), BACKOFF_CAP);
        assert_eq!(jittered(u32::MAX, 0.0), Duration::from_secs(300));
        for failures in [0, 4, 8, 9, 100] {
            let d = backoff(failures);
            assert!(d <= BACKOFF_CAP && d >= jittered(failures, 1.0), "{d:?}");
        }
        let draws: std::collections::HashSet<Duration> = (0..20).map(|_| backoff(6)).collect();
        assert!(draws.len() > 1, "the waits differ: {draws:?}");
    }

    #[test]
    fn what_follows_a_failure() {
        let after = |warn, retry| AfterFailure { warn, retry };
        let taken = Error::SummaryNameTaken { name: "x".into() };
        for (error, expected) in [
            // Deleted mid-reconcile: no Warning about a 404, nothing to retry.
            (api(404), after(false, false)),
            (Error::Halted, after(false, false)),
            (
                Error::RefusedBefore("too large".into()),
                after(false, false),
            ),
            // Permanent for these inputs: said once, tried again only on a change.
            (api(422), after(true, false)),
            (api(413), after(true, false)),
            // Permanent, but healed by someone else: said, and retried on the long backoff.
            (api(403), after(true, true)),
            (taken, after(true, true)),
            // Transient: retried quietly.
            (api(409), after(false, true)),
            (api(503), after(false, true)),
        ] {
            assert_eq!(error.after_failure(), expected, "{error}");
        }
    }

    #[test]
    fn only_a_missing_permission_and_a_taken_name_heal_from_outside() {
        assert!(api(403).heals_from_outside() && api(403).is_permanent());
        let taken = Error::SummaryNameTaken {
            name: "x-summary".into(),
        };
        assert!(taken.heals_from_outside() && taken.is_permanent());
        assert!(!api(422).heals_from_outside());
        assert!(!api(503).heals_from_outside());
        assert!(api(404).is_not_found() && !api(403).is_not_found());
    }
}
