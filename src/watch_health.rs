//! Whether the operator's watches work: what `/readyz` and `/healthz` answer, and how soon a
//! broken watch is tried again.
//!
//! - Ready: every cache the reconciles wait for holds a full list.
//! - Healthy: no watch has been failing for longer than a bound (`--unhealthy-after`, 2 minutes
//!   by default). A watch that keeps failing (its permission removed, a network path broken)
//!   leaves the operator unable to do anything; failing `/healthz` makes the kubelet restart
//!   the pod, which also makes the failure visible as restarts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::watcher::ExponentialBackoff;

/// The backoff of every watch: 250 ms doubling to 1.5 s, with jitter (up to as much again),
/// reset after 2 minutes of health. client-go's grows to 30 s, which kept the operator away
/// for that long after the API server came back; one operator's few watches retried every
/// 1.5 to 3 s cost the API server nothing.
pub fn backoff() -> ResetTimerBackoff<ExponentialBackoff> {
    let builder = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_millis(1500))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times();
    ResetTimerBackoff::new(ExponentialBackoff::from(builder), Duration::from_secs(120))
}

pub struct WatchHealth {
    ready: AtomicBool,
    /// Per watch (by kind): since when it has been failing, if it is.
    failing_since: Mutex<HashMap<&'static str, Instant>>,
    unhealthy_after: Duration,
}

impl WatchHealth {
    pub fn new(unhealthy_after: Duration) -> Self {
        Self {
            ready: AtomicBool::new(false),
            failing_since: Mutex::default(),
            unhealthy_after,
        }
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// A request of the watch of `kind` failed.
    pub fn failed(&self, kind: &'static str) {
        if let Ok(mut failing) = self.failing_since.lock() {
            failing.entry(kind).or_insert_with(Instant::now);
        }
    }

    /// The watch of `kind` delivered an event: it works.
    pub fn worked(&self, kind: &'static str) {
        if let Ok(mut failing) = self.failing_since.lock() {
            failing.remove(kind);
        }
    }

    /// The watches failing for longer than the bound, with for how long; empty when healthy.
    pub fn unhealthy(&self) -> Vec<(&'static str, Duration)> {
        self.unhealthy_at(Instant::now())
    }

    fn unhealthy_at(&self, now: Instant) -> Vec<(&'static str, Duration)> {
        let Ok(failing) = self.failing_since.lock() else {
            return Vec::new();
        };
        let mut out: Vec<(&'static str, Duration)> = failing
            .iter()
            .map(|(kind, since)| (*kind, now.saturating_duration_since(*since)))
            .filter(|(_, for_how_long)| *for_how_long > self.unhealthy_after)
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_failing_past_the_bound_is_unhealthy_until_it_works_again() {
        let health = WatchHealth::new(Duration::from_secs(60));
        let start = Instant::now();
        health.failed("ConfigMap");
        health.failed("ConfigMap");
        assert!(
            health
                .unhealthy_at(start + Duration::from_secs(30))
                .is_empty()
        );
        let late = health.unhealthy_at(start + Duration::from_secs(90));
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].0, "ConfigMap");
        assert!(
            late[0].1 >= Duration::from_secs(89),
            "counted from the first failure"
        );
        health.worked("ConfigMap");
        assert!(
            health
                .unhealthy_at(start + Duration::from_secs(90))
                .is_empty()
        );
    }

    #[test]
    fn the_watch_backoff_stays_within_three_seconds() {
        let mut backoff = backoff();
        for _ in 0..50 {
            let wait = backoff.next().unwrap_or_default();
            assert!(wait <= Duration::from_secs(3), "{wait:?}");
        }
    }
}
