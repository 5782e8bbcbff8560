//! The operator's errors, and which of them are worth retrying.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", describe_kube(.0))]
    Kube(#[from] kube::Error),

    #[error("writes are halted: this replica is not the leader, or the operator is paused")]
    Halted,

    #[error("cannot serve HTTP on {0}: {1}")]
    Http(std::net::SocketAddr, std::io::Error),

    #[error("cannot encode a request: {0}")]
    Encode(#[from] serde_json::Error),

    #[error("{kind} has no {field}")]
    MissingField {
        kind: &'static str,
        field: &'static str,
    },
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
            Error::MissingField { .. } | Error::Http(..) | Error::Encode(_) => true,
        }
    }

    /// A fixed, small set of labels for metrics and log fields: never object names or error text.
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
            Error::Http(..) => "Http",
        }
    }
}

/// Exponential backoff for transient errors: 1 s, 2 s, 4 s ... at most 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(8)).min(Duration::from_secs(300))
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
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(30), Duration::from_secs(256));
        assert!(backoff(u32::MAX) <= Duration::from_secs(300));
    }
}
