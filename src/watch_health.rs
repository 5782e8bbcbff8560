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

use futures::{Stream, StreamExt, future};
use kube::runtime::utils::{Backoff, ResetTimerBackoff};
use kube::runtime::watcher::{self, ExponentialBackoff};

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

/// A watch's events, each error followed by a pause from [`backoff`] before the watch is polled
/// again, as kube-runtime's `StreamBackoff` does, with one difference: after 410 Gone the watch
/// relists at once. That answer comes from an API server that works (only the resourceVersion
/// resumed from is compacted away), and it is the first answer after an outage: with the
/// backoff grown during the outage, waiting then kept the Lease's watch, and so the gate,
/// closed for up to 3 s more.
pub fn retried<T: Send + 'static>(
    events: impl Stream<Item = watcher::Result<T>> + Send + 'static,
) -> impl Stream<Item = watcher::Result<T>> + Send + 'static {
    let mut backoff = backoff();
    events.flat_map(move |event| {
        let pause = match &event {
            Ok(_) => {
                backoff.reset();
                None
            }
            Err(e) if gone(e) => None,
            Err(_) => backoff.next(),
        };
        let after = async move {
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
            None
        };
        futures::stream::once(future::ready(Some(event)))
            .chain(futures::stream::once(after))
            .filter_map(future::ready)
    })
}

/// 410 Gone: the watch asked to resume from a resourceVersion the API server no longer has.
fn gone(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::WatchError(status) => status.code == 410,
        watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 410,
        _ => false,
    }
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

    fn status(code: u16) -> Box<kube::core::Status> {
        Box::new(kube::core::Status {
            code,
            ..Default::default()
        })
    }

    /// How long (in paused, virtual time) the watch is left alone after each of `events`.
    async fn pauses(events: Vec<watcher::Result<u8>>) -> Vec<Duration> {
        tokio::time::pause();
        let mut stream = Box::pin(retried(futures::stream::iter(events)));
        let mut pauses = Vec::new();
        let mut last = tokio::time::Instant::now();
        while stream.next().await.is_some() {
            let now = tokio::time::Instant::now();
            pauses.push(now - last);
            last = now;
        }
        pauses
    }

    #[tokio::test]
    async fn a_broken_watch_waits_but_a_gone_one_relists_at_once() {
        let connect = || Err(watcher::Error::NoResourceVersion);
        let waited = pauses(vec![
            connect(),
            connect(),
            Err(watcher::Error::WatchError(status(410))),
            Ok(1),
            Err(watcher::Error::WatchError(status(500))),
            Ok(2),
        ])
        .await;
        // The pause after an event shows as the time before the next one.
        assert_eq!(waited[0], Duration::ZERO, "an error is told at once");
        assert!(waited[1] >= Duration::from_millis(250), "{waited:?}");
        assert!(waited[2] >= Duration::from_millis(250), "{waited:?}");
        assert_eq!(waited[3], Duration::ZERO, "410 Gone: relisted at once");
        assert_eq!(waited[4], Duration::ZERO);
        assert!(waited[5] >= Duration::from_millis(250), "{waited:?}");
        assert!(
            waited.iter().all(|w| *w <= Duration::from_secs(3)),
            "{waited:?}"
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
