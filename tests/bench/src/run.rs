//! One `make bench`: the interleaved rounds, then what only the last round's operator can tell
//! (idle writes, edit latency, memory, unrelated ConfigMaps), then the table and results.json.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use testenv::ControlPlane;

use crate::measure::{
    audit_counts, audit_offset, cached_json, edit_latencies, file_backed_mib, percentile,
    process_usage, unrelated_config_maps, writes,
};
use crate::objects::install_crds;
use crate::restart;
use crate::rounds::{Round, Setup, Timed, rounds};
use crate::{Error, FLOOR_USER, OPERATOR_USER, env_number};

/// One part's CPU seconds of some process, for a row of the table.
type CpuOf = fn(&Timed) -> f64;

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// (median, lowest, highest).
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(values), lowest, highest)
}

pub async fn run(cp: &ControlPlane, root: &Path, out: &Path, audit: &Path) -> Result<bool, Error> {
    let n = env_number("BENCH_REPORTS", 1000) as usize;
    let concurrency = env_number("BENCH_CONCURRENCY", 16) as usize;
    let repeat = env_number("BENCH_REPEAT", 3).max(1) as usize;
    let idle = Duration::from_secs(env_number("BENCH_IDLE_SECONDS", 60));
    let admin = cp.admin_client().await?;
    install_crds(&admin, root).await?;
    let setup = Setup {
        cp,
        admin: admin.clone(),
        floor_client: cp.user_client(FLOOR_USER, &["system:masters"]).await?,
        root,
        out,
        audit,
        n,
        concurrency,
    };
    let (rounds, operator, ns) = rounds(&setup, repeat).await?;
    let (pid, port) = (operator.0.id(), operator.1);

    let to = audit_offset(audit);
    eprintln!("bench: idle window of {idle:?}");
    tokio::time::sleep(idle).await;
    let idle_counts = audit_counts(audit, OPERATOR_USER, to, audit_offset(audit));
    let (peak_mib, steady_mib, cpu_seconds) = process_usage(pid);
    eprintln!("bench: edit latency, 100 samples");
    let latencies = edit_latencies(&admin, &ns, n, 100).await?;
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    let (cached_objects, cached_bytes) = cached_json(&admin, &ns).await?;
    // The goal: steady RSS at most 40 MB plus 1.0 times the JSON size of the cached objects.
    let rss_goal_mib = (40e6 + 1.0 * cached_bytes as f64) / (1024.0 * 1024.0);

    // kube-runtime's Recorders hold six minutes of Events; the operator lets a quiet shard's go
    // after that (0: not measured).
    let quiet = Duration::from_secs(env_number("BENCH_QUIET_SECONDS", 0));
    let quiet_mib = if quiet.is_zero() {
        None
    } else {
        eprintln!("bench: {quiet:?} with no change");
        tokio::time::sleep(quiet).await;
        Some(process_usage(pid).1)
    };
    // What of that RSS the operator holds, and what the allocator keeps (fragmentation).
    let heap_mib = restart::heap(port).await;
    let file_mib = file_backed_mib(pid);

    let unrelated = env_number("BENCH_UNRELATED_CONFIGMAPS", 50_000) as usize;
    let mut unrelated_result = None;
    if unrelated > 0 {
        eprintln!("bench: {unrelated} unrelated ConfigMaps in the operator's namespace");
        let (_, before_mib, _) = process_usage(pid);
        let from = audit_offset(audit);
        unrelated_config_maps(&admin, &ns, unrelated).await?;
        // Time for any watch event to arrive and be dropped, then the same settling as before.
        tokio::time::sleep(Duration::from_secs(20)).await;
        let (_, after_mib, _) = process_usage(pid);
        let counts = audit_counts(audit, OPERATOR_USER, from, audit_offset(audit));
        unrelated_result = Some((before_mib, after_mib, writes(&counts)));
    }
    let (_, _, cpu_seconds_end) = process_usage(pid);
    eprintln!("bench: restart over {n} converged reports");
    let restarted = restart::restart(&setup, &ns, operator).await?;

    let seconds = |f: fn(&Round) -> Duration| {
        rounds
            .iter()
            .map(|r| f(r).as_secs_f64())
            .collect::<Vec<_>>()
    };
    let operator_s = spread(&seconds(|r| r.operator.took));
    let floor_s = spread(&seconds(|r| r.floor.took));
    let events_s = spread(&seconds(|r| r.floor_events.took));
    let ratio = spread(&rounds.iter().map(Round::ratio).collect::<Vec<_>>());
    let ratio_events = spread(&rounds.iter().map(Round::ratio_events).collect::<Vec<_>>());
    let cpu_converging = spread(
        &rounds
            .iter()
            .filter_map(|r| r.operator.cpu)
            .collect::<Vec<_>>(),
    );
    let last = rounds.last().ok_or("no round")?;
    let (op_writes, floor_writes, floor_events_writes, idle_writes) = (
        writes(&last.operator.counts),
        writes(&last.floor.counts),
        writes(&last.floor_events.counts),
        writes(&idle_counts),
    );
    let per = |w: u64| w as f64 / (4 * n) as f64;
    let range =
        |(m, lo, hi): (f64, f64, f64), unit: &str| format!("{m:.2}{unit} ({lo:.2}–{hi:.2})");
    println!();
    println!(
        "N = {n} reports, {} recommendations, concurrency {concurrency}, {repeat} interleaved rounds: median (lowest–highest)",
        3 * n
    );
    println!(
        "{:<40} {:>22} {:>22} {:>22}",
        "", "operator", "floor", "+ Events"
    );
    println!(
        "{:<40} {:>22} {:>22} {:>22}",
        "time to converge (through a watch)",
        range(operator_s, "s"),
        range(floor_s, "s"),
        range(events_s, "s")
    );
    println!(
        "{:<40} {:>22} {:>22} {:>22}",
        "operator time / floor time, per round",
        "",
        range(ratio, ""),
        range(ratio_events, "")
    );
    // What each part's processes spent meanwhile: (operator, floor, floor with Events).
    let cpu_rows: [(&str, CpuOf); 2] = [
        ("control plane CPU meanwhile", |t| t.control_plane_cpu),
        ("bench process CPU (watch; floor writes)", |t| t.bench_cpu),
    ];
    for (label, of) in cpu_rows {
        let part = |p: fn(&Round) -> &Timed| {
            range(
                spread(&rounds.iter().map(|r| of(p(r))).collect::<Vec<_>>()),
                "s",
            )
        };
        println!(
            "{:<40} {:>22} {:>22} {:>22}",
            label,
            part(|r| &r.operator),
            part(|r| &r.floor),
            part(|r| &r.floor_events)
        );
    }
    println!(
        "{:<40} {:>22} {:>22} {:>22}",
        "writes (last round)", op_writes, floor_writes, floor_events_writes
    );
    println!(
        "{:<40} {:>22.2} {:>22.2} {:>22.2}",
        "writes per object",
        per(op_writes),
        per(floor_writes),
        per(floor_events_writes)
    );
    println!(
        "{:<40} {:>22}",
        format!("writes in the {}s idle window", idle.as_secs()),
        idle_writes
    );
    println!(
        "{:<40} {:>20.0}ms",
        "edit latency p50",
        p50.as_secs_f64() * 1000.0
    );
    println!(
        "{:<40} {:>20.0}ms",
        "edit latency p99",
        p99.as_secs_f64() * 1000.0
    );
    println!(
        "{:<40} {:>19.1}MiB",
        "operator RSS, peak (last round)", peak_mib
    );
    println!(
        "{:<40} {:>19.1}MiB",
        "operator RSS, after the idle window", steady_mib
    );
    println!(
        "{:<40} {:>21.1}s",
        "operator CPU until the idle window's end", cpu_seconds
    );
    println!(
        "{:<40} {:>22}",
        "operator CPU from release to convergence",
        range(cpu_converging, "s")
    );
    println!(
        "{:<40} {:>22}",
        "objects in the operator's caches", cached_objects
    );
    println!(
        "{:<40} {:>19.1}MiB",
        "their JSON size, as cached",
        cached_bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "{:<40} {:>20.1}KiB",
        "steady RSS per cached object",
        steady_mib * 1024.0 / cached_objects.max(1) as f64
    );
    println!(
        "{:<40} {:>19.1}MiB",
        "RSS goal: 40 MB + 1.0 x JSON size", rss_goal_mib
    );
    if let Some(mib) = quiet_mib {
        println!(
            "{:<40} {:>19.1}MiB",
            format!("operator RSS, {}s after the last edit", quiet.as_secs()),
            mib
        );
    }
    if let Some((allocated, resident)) = heap_mib {
        let when = if quiet.is_zero() {
            "after the edits".to_string()
        } else {
            format!("{}s after the last edit", quiet.as_secs())
        };
        println!(
            "{:<40} {:>19.1}MiB",
            format!("heap allocated, {when}"),
            allocated
        );
        println!(
            "{:<40} {:>19.1}MiB",
            "heap resident (jemalloc's account)", resident
        );
        println!("{:<40} {:>19.1}MiB", "RSS backed by files", file_mib);
    }
    if let Some((before, after, writes)) = unrelated_result {
        println!(
            "{:<40} {:>19.1}MiB",
            format!("RSS before {unrelated} unrelated ConfigMaps"),
            before
        );
        println!("{:<40} {:>19.1}MiB", "RSS after them", after);
        println!("{:<40} {:>22}", "operator writes meanwhile", writes);
    }
    println!(
        "{:<40} {:>21.1}s",
        "restart: /readyz answers 200 after",
        restarted.ready.as_secs_f64()
    );
    println!(
        "{:<40} {:>21.1}s",
        "restart: every object reconciled after",
        restarted.reconciled.as_secs_f64()
    );
    println!("{:<40} {:>22}", "restart: writes", restarted.writes);
    println!("requests by verb during convergence (operator, last round):");
    for (k, v) in &last.operator.counts {
        println!("  {k:<42} {v:>12}");
    }
    let per_round: Vec<_> = rounds
        .iter()
        .map(|r| {
            json!({"operator_seconds": r.operator.took.as_secs_f64(), "floor_seconds": r.floor.took.as_secs_f64(),
                   "floor_with_events_seconds": r.floor_events.took.as_secs_f64(),
                   "ratio": r.ratio(), "ratio_with_events": r.ratio_events(),
                   "operator_cpu_seconds_converging": r.operator.cpu,
                   "control_plane_cpu_seconds": {"operator": r.operator.control_plane_cpu,
                       "floor": r.floor.control_plane_cpu,
                       "floor_with_events": r.floor_events.control_plane_cpu},
                   "bench_cpu_seconds": {"operator": r.operator.bench_cpu,
                       "floor": r.floor.bench_cpu,
                       "floor_with_events": r.floor_events.bench_cpu},
                   "progress": {"operator": r.operator.progress, "floor": r.floor.progress,
                       "floor_with_events": r.floor_events.progress}})
        })
        .collect();
    let mut results = json!({
        "reports": n, "recommendations": 3 * n, "concurrency": concurrency, "repeat": repeat,
        "rounds": per_round,
        "operator_seconds": operator_s.0, "floor_seconds": floor_s.0, "floor_with_events_seconds": events_s.0,
        "ratio": ratio.0, "ratio_min": ratio.1, "ratio_max": ratio.2,
        "ratio_with_events": ratio_events.0, "ratio_with_events_min": ratio_events.1, "ratio_with_events_max": ratio_events.2,
        "operator_writes": op_writes, "floor_writes": floor_writes,
        "floor_with_events_writes": floor_events_writes,
        "operator_requests": last.operator.counts, "floor_requests": last.floor.counts,
        "floor_with_events_requests": last.floor_events.counts,
        "idle_seconds": idle.as_secs(), "idle_writes": idle_writes, "idle_requests": idle_counts,
        "edit_latency_p50_ms": p50.as_secs_f64() * 1000.0, "edit_latency_p99_ms": p99.as_secs_f64() * 1000.0,
        "operator_rss_peak_mib": peak_mib, "operator_rss_steady_mib": steady_mib,
        "operator_cpu_seconds": cpu_seconds,
        "quiet_seconds": quiet.as_secs(), "operator_rss_quiet_mib": quiet_mib,
        "operator_cpu_seconds_end": cpu_seconds_end,
        "cached_objects": cached_objects, "cached_json_bytes": cached_bytes,
        "rss_goal_mib": rss_goal_mib,
        "unrelated_configmaps": unrelated,
        "rss_before_unrelated_mib": unrelated_result.map(|r| r.0),
        "rss_after_unrelated_mib": unrelated_result.map(|r| r.1),
        "writes_during_unrelated": unrelated_result.map(|r| r.2),
        "restart_ready_seconds": restarted.ready.as_secs_f64(),
        "restart_reconciled_seconds": restarted.reconciled.as_secs_f64(),
        "restart_writes": restarted.writes,
    });
    // Beside the json! above, whose macro would recurse past its limit with more fields.
    results["heap_allocated_mib"] = json!(heap_mib.map(|h| h.0));
    results["heap_resident_mib"] = json!(heap_mib.map(|h| h.1));
    results["rss_file_mib"] = json!(file_mib);
    results["operator_cpu_seconds_converging"] = json!(cpu_converging.0);
    results["operator_cpu_seconds_converging_min"] = json!(cpu_converging.1);
    results["operator_cpu_seconds_converging_max"] = json!(cpu_converging.2);
    let text = serde_json::to_string_pretty(&results)?;
    for name in ["results.json".to_string(), format!("results-{n}.json")] {
        let path = out.join(name);
        std::fs::write(&path, &text)?;
        println!("wrote {}", path.display());
    }
    Ok(idle_writes == 0 && restarted.writes == 0 && unrelated_result.is_none_or(|r| r.2 == 0))
}

#[cfg(test)]
mod tests {
    use super::{median, spread};

    #[test]
    fn medians_and_spreads() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(spread(&[1.3, 1.1, 1.6]), (1.3, 1.1, 1.6));
    }
}
