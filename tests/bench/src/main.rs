//! `make bench`: N reports with 3 recommendations each on the local control plane, converged by
//! the operator and, in the same run, written by a plain client making exactly the writes the
//! operator must make (the floor). Counts come from the API server's audit log, filtered by each
//! client's identity. Prints a table and writes target/bench/results.json.
//!
//! `bench chart OUT.svg RESULTS.json...` draws convergence time against N from earlier runs.
//!
//! Environment: BENCH_REPORTS (default 1000), BENCH_REPEAT (3 interleaved rounds of floor, floor
//! with Events and operator; medians and spreads are reported), BENCH_CONCURRENCY (16, for both
//! the operator and the floor), BENCH_IDLE_SECONDS (60), BENCH_UNRELATED_CONFIGMAPS (50000; 0
//! skips that step), BENCH_OPERATOR (default target/release/tripreport-operator), BENCH_PROFILE
//! (a file: `perf record` of the operator during each convergence, the last round's kept),
//! BENCH_PROFILE_HZ (49, perf's sampling frequency),
//! BENCH_QUIET_SECONDS (0; the RSS that long after the last edit) and BENCH_KUBECTL_APPLY (0; 1
//! creates the objects with kubectl's last-applied-configuration annotation).

use std::path::Path;
use std::process::ExitCode;

use testenv::{ControlPlane, Lifetime, StartOptions};

pub const OPERATOR_USER: &str = "tripreport-bench-operator";
pub const FLOOR_USER: &str = "tripreport-bench-floor";

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

mod chart;
mod floor;
mod measure;
mod objects;
mod restart;
mod rounds;
mod run;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("chart") {
        return chart::main(&args[1..]);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = root.join("target/bench");
    let _ = std::fs::remove_dir_all(out.join("controlplane"));
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("bench: {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    // Metadata-level audit records of the two clients measured, and nothing else.
    let policy = out.join("audit-policy.yaml");
    let policy_text = format!(
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n\
         - level: Metadata\n  users: [{OPERATOR_USER}, {FLOOR_USER}]\n- level: None\n"
    );
    if let Err(e) = std::fs::write(&policy, policy_text) {
        eprintln!("bench: {}: {e}", policy.display());
        return ExitCode::FAILURE;
    }
    let dir = out.join("controlplane");
    let audit = dir.join("audit.log");
    eprintln!("bench: starting the control plane in {}", dir.display());
    let cp = match ControlPlane::start(StartOptions {
        dir: dir.clone(),
        lifetime: Lifetime::Attached,
        remove_dir_on_stop: false,
        extra_apiserver_args: vec![
            format!("--audit-policy-file={}", policy.display()),
            format!("--audit-log-path={}", audit.display()),
            "--audit-log-maxsize=1000000".into(),
        ],
        // Rounds at N = 10,000 write a few GiB over the run; etcd's default 2 GiB quota would
        // stop it (deleted namespaces free their pages only after compaction).
        extra_etcd_args: vec!["--quota-backend-bytes=8589934592".into()],
    }) {
        Ok(cp) => cp,
        Err(e) => {
            eprintln!("bench: the control plane did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run::run(&cp, &root, &out, &audit));
    cp.stop();
    match result {
        Ok(ok) if ok => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
