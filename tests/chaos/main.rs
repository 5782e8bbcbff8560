//! The fault suite: the operator and its control plane are hurt while they work, and every
//! case ends with the full consistency check of `world::World::consistent`.
//!
//! `make test` runs the quick form of every case; `make chaos` runs the full form
//! (`CHAOS_FULL=1`: 500 reports, 20 kills, ...) and writes the figures to
//! target/chaos/figures.json, from which docs/reliability.md is updated. Cases run one at a time
//! (see `serial`): they kill and restart processes, and timing on a 2-core machine is shared.

#[path = "../integration/support.rs"]
#[allow(dead_code)]
mod support;

mod control_plane;
mod failover;
mod frozen_leader;
mod operator_crash;
mod other_writers;
mod too_large;
mod world;

use std::path::PathBuf;

/// Whether this is `make chaos` (full sizes) rather than the quick form in `make test`.
pub fn full() -> bool {
    std::env::var("CHAOS_FULL").is_ok_and(|v| v == "1")
}

/// `quick` in `make test`, `full` in `make chaos`.
pub fn scale(quick: usize, full_size: usize) -> usize {
    if full() { full_size } else { quick }
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held for a whole case: cases never overlap.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// Records a case's figures in target/chaos/figures.json (one key per case; the run's mode
/// included), for docs/reliability.md.
pub fn record(case: &str, figures: serde_json::Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/chaos");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("figures.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut figures = figures;
    figures["mode"] = serde_json::json!(if full() { "full" } else { "quick" });
    println!("{case}: {figures}");
    all.insert(case.to_string(), figures);
    let _ = std::fs::write(
        &path,
        serde_json::to_string_pretty(&all).unwrap_or_default(),
    );
}

/// A control plane of the case's own, for cases that restart its components or need other
/// flags; the shared one (`support::setup`) serves the rest. Stopped when dropped.
pub struct OwnControlPlane(testenv::ControlPlane);

impl OwnControlPlane {
    pub fn start(extra_apiserver_args: Vec<String>, extra_etcd_args: Vec<String>) -> Self {
        let cp = testenv::start_kept(testenv::StartOptions {
            dir: testenv::test_dir(),
            lifetime: testenv::Lifetime::Attached,
            remove_dir_on_stop: true,
            extra_apiserver_args,
            extra_etcd_args,
        })
        .unwrap_or_else(|e| panic!("the case's control plane did not start:\n{e}"));
        OwnControlPlane(cp)
    }
}

impl std::ops::Deref for OwnControlPlane {
    type Target = testenv::ControlPlane;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for OwnControlPlane {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Seconds with millisecond precision, for figures.
pub fn secs(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
