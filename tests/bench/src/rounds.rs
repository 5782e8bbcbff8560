//! The measured runs, interleaved: each of `BENCH_REPEAT` rounds times the floor, the floor with
//! Events and the operator on fresh namespaces, in an order that rotates from round to round, so
//! that whatever else the machine does falls on all three alike. Ratios are taken within a round
//! and their median reported, with their spread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;
use testenv::ControlPlane;

use crate::floor::{Progress, converged, floor};
use crate::measure::audit_offset;
use crate::objects::{create_all, namespace};
use crate::{Error, FLOOR_USER, OPERATOR_USER, measure};

/// What one part of a round took, and the requests its client made meanwhile.
pub struct Timed {
    pub took: Duration,
    pub counts: BTreeMap<String, u64>,
    /// The operator's CPU seconds from the release to convergence (none for a floor).
    pub cpu: Option<f64>,
    /// The control plane's CPU seconds (API server, etcd, controller manager) meanwhile.
    pub control_plane_cpu: f64,
    /// This process's CPU seconds meanwhile: the watch that times convergence, and for a floor
    /// its writes too.
    pub bench_cpu: f64,
    /// When a tenth, half, nine tenths and all of each kind were seen Ready.
    pub progress: String,
}

/// One round's three parts.
pub struct Round {
    pub floor: Timed,
    pub floor_events: Timed,
    pub operator: Timed,
}

impl Round {
    pub fn ratio(&self) -> f64 {
        self.operator.took.as_secs_f64() / self.floor.took.as_secs_f64()
    }
    pub fn ratio_events(&self) -> f64 {
        self.operator.took.as_secs_f64() / self.floor_events.took.as_secs_f64()
    }
}

/// A running operator, killed when dropped, and the port of its /metrics.
pub struct Operator(pub Child, pub u16);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Operator {
    /// Stops it as a rollout does: SIGTERM, so that it hands its Lease over, then waits for it
    /// to exit (killed after `grace`).
    pub async fn terminate(mut self, grace: Duration) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Drop kills it.
    }
}

/// The settings every round shares.
pub struct Setup<'a> {
    pub cp: &'a ControlPlane,
    pub admin: Client,
    pub floor_client: Client,
    pub root: &'a Path,
    pub out: &'a Path,
    pub audit: &'a Path,
    pub n: usize,
    pub concurrency: usize,
}

#[derive(Clone, Copy, Debug)]
enum Part {
    Floor,
    FloorEvents,
    Operator,
}

/// Runs `repeat` rounds; the last round's operator and namespace are kept for the measures
/// that follow convergence (idle writes, edit latency, memory).
pub async fn rounds(
    setup: &Setup<'_>,
    repeat: usize,
) -> Result<(Vec<Round>, Operator, String), Error> {
    let mut rounds = Vec::new();
    let mut kept = None;
    for r in 0..repeat {
        let last = r + 1 == repeat;
        // The order rotates, and the last round's is (floor, Events, operator): its operator
        // is the one measured after convergence, so it must not sit idle while floors run.
        let mut parts = [Part::Floor, Part::FloorEvents, Part::Operator];
        parts.rotate_left((r + 3 - (repeat - 1) % 3) % 3);
        let (mut floor_t, mut events_t, mut operator_t) = (None, None, None);
        for part in parts {
            eprintln!("bench: round {} of {repeat}: {part:?}", r + 1);
            match part {
                Part::Floor => {
                    floor_t = Some(floor_part(setup, &format!("floor-{r}"), false, !last).await?)
                }
                Part::FloorEvents => {
                    events_t =
                        Some(floor_part(setup, &format!("floor-events-{r}"), true, !last).await?)
                }
                Part::Operator => {
                    let ns = format!("bench-{r}");
                    let (timed, operator) = operator_part(setup, &ns).await?;
                    operator_t = Some(timed);
                    if last {
                        kept = Some((operator, ns));
                    } else {
                        drop(operator);
                        delete_namespace(&setup.admin, &ns).await?;
                    }
                }
            }
        }
        let round = Round {
            floor: floor_t.ok_or("no floor")?,
            floor_events: events_t.ok_or("no floor with Events")?,
            operator: operator_t.ok_or("no operator")?,
        };
        eprintln!(
            "bench: round {}: operator {:.2}s ({:.1} s of CPU), floor {:.2}s ({:.2}), floor with Events {:.2}s ({:.2})",
            r + 1,
            round.operator.took.as_secs_f64(),
            round.operator.cpu.unwrap_or(f64::NAN),
            round.floor.took.as_secs_f64(),
            round.ratio(),
            round.floor_events.took.as_secs_f64(),
            round.ratio_events()
        );
        for (name, part) in [
            ("floor", &round.floor),
            ("floor with Events", &round.floor_events),
            ("operator", &round.operator),
        ] {
            eprintln!(
                "bench: round {}: {name}: control plane {:.1} s of CPU, bench {:.1} s; {}",
                r + 1,
                part.control_plane_cpu,
                part.bench_cpu,
                part.progress
            );
        }
        rounds.push(round);
    }
    let (operator, ns) = kept.ok_or("no round ran: BENCH_REPEAT must be at least 1")?;
    Ok((rounds, operator, ns))
}

async fn floor_part(
    setup: &Setup<'_>,
    ns: &str,
    events: bool,
    delete_after: bool,
) -> Result<Timed, Error> {
    namespace(&setup.admin, ns).await?;
    let created = create_all(&setup.admin, ns, setup.n).await?;
    let from = audit_offset(setup.audit);
    let cp_before = control_plane_cpu(setup.cp);
    let bench_before = own_cpu();
    let (start, progress) = floor(
        &setup.floor_client,
        &setup.admin,
        ns,
        &created,
        setup.concurrency,
        events,
    )
    .await?;
    let control_plane_cpu = control_plane_cpu(setup.cp) - cp_before;
    let bench_cpu = own_cpu() - bench_before;
    let took = progress.done.duration_since(start);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts = measure::audit_counts(setup.audit, FLOOR_USER, from, audit_offset(setup.audit));
    if delete_after {
        delete_namespace(&setup.admin, ns).await?;
    }
    Ok(Timed {
        took,
        counts,
        cpu: None,
        control_plane_cpu,
        bench_cpu,
        progress: describe(&progress, start),
    })
}

/// The operator on `ns`: every object created while the big red button is pressed, then
/// released, and timed until the watch sees everything Ready.
async fn operator_part(setup: &Setup<'_>, ns: &str) -> Result<(Timed, Operator), Error> {
    namespace(&setup.admin, ns).await?;
    let button: Api<ConfigMap> = Api::namespaced(setup.admin.clone(), ns);
    let press = |paused: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tripreport-operator-control"},
               "data": {"paused": paused}})
    };
    button
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("bench"),
            &Patch::Apply(press("true")),
        )
        .await?;
    let operator = spawn_operator(setup, ns, crate::restart::free_port()?)?;
    create_all(&setup.admin, ns, setup.n).await?;
    // Every object exists and none is handled: releasing the button is "the last object
    // created" with all the work still to do.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let profile = profiler(operator.0.id())?;
    let from = audit_offset(setup.audit);
    let cpu_before = measure::process_usage(operator.0.id()).2;
    let cp_before = control_plane_cpu(setup.cp);
    let bench_before = own_cpu();
    let released = Instant::now();
    button
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("bench"),
            &Patch::Apply(press("false")),
        )
        .await?;
    let progress = converged(&setup.admin, ns, setup.n, 3 * setup.n).await?;
    let took = progress.done.duration_since(released);
    let cpu = measure::process_usage(operator.0.id()).2 - cpu_before;
    let control_plane_cpu = control_plane_cpu(setup.cp) - cp_before;
    let bench_cpu = own_cpu() - bench_before;
    if let Some(perf) = profile {
        perf.stop();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts = measure::audit_counts(setup.audit, OPERATOR_USER, from, audit_offset(setup.audit));
    Ok((
        Timed {
            took,
            counts,
            cpu: Some(cpu),
            control_plane_cpu,
            bench_cpu,
            progress: describe(&progress, released),
        },
        operator,
    ))
}

/// The CPU seconds the control plane's processes have used so far, from /proc.
fn control_plane_cpu(cp: &ControlPlane) -> f64 {
    cp.pids()
        .iter()
        .map(|&(_, pid)| measure::process_usage(pid).2)
        .sum()
}

fn own_cpu() -> f64 {
    measure::process_usage(std::process::id()).2
}

fn describe(progress: &Progress, start: Instant) -> String {
    format!(
        "reports Ready at {}; recommendations at {}",
        Progress::describe(&progress.reports, start),
        Progress::describe(&progress.recommendations, start)
    )
}

/// The operator on `ns`, its HTTP port `port`, its log in the output directory.
pub fn spawn_operator(setup: &Setup<'_>, ns: &str, port: u16) -> Result<Operator, Error> {
    let kubeconfig = setup.out.join("operator.kubeconfig");
    setup
        .cp
        .write_user_kubeconfig(OPERATOR_USER, &["system:masters"], &kubeconfig)?;
    let binary = std::env::var_os("BENCH_OPERATOR")
        .map(PathBuf::from)
        .unwrap_or_else(|| setup.root.join("target/release/tripreport-operator"));
    let log = std::fs::File::create(setup.out.join(format!("operator-{ns}-{port}.log")))?;
    let mut command = Command::new(&binary);
    command
        .args([
            "run",
            "--namespace",
            ns,
            "--operator-namespace",
            ns,
            "--http-addr",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--concurrency",
            &setup.concurrency.to_string(),
            "--log-format",
            "json",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    testenv::die_with_this_thread(&mut command);
    Ok(Operator(
        command
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?,
        port,
    ))
}

/// `perf record` of the operator during convergence, when BENCH_PROFILE names the output file
/// (Debian's linux-perf; DWARF call graphs, since release builds have no frame pointers).
fn profiler(pid: u32) -> Result<Option<Perf>, Error> {
    let Some(path) = std::env::var_os("BENCH_PROFILE") else {
        return Ok(None);
    };
    // 49 Hz keeps a run at N = 10,000 small; a run at N = 1,000 needs more to say anything.
    let hz = std::env::var("BENCH_PROFILE_HZ").unwrap_or_else(|_| "49".into());
    let mut command = Command::new("perf");
    command
        .args([
            "record",
            "-F",
            &hz,
            "--call-graph",
            "dwarf,8192",
            "-p",
            &pid.to_string(),
            "-o",
        ])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    testenv::die_with_this_thread(&mut command);
    let child = command.spawn().map_err(|e| format!("perf: {e}"))?;
    // perf attaches in well under a second; the clock starts after.
    std::thread::sleep(Duration::from_secs(1));
    Ok(Some(Perf(child)))
}

/// A running `perf record`, stopped with SIGINT so that it writes its file.
pub struct Perf(Child);

impl Perf {
    fn stop(mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGINT) };
        let _ = self.0.wait();
    }
}

/// Deletes `ns` and waits until it is gone, so that the next part starts on a store no larger
/// than the first part's (etcd keeps its size bounded; garbage collection is not timed).
async fn delete_namespace(client: &Client, ns: &str) -> Result<(), Error> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let _ = namespaces.delete(ns, &DeleteParams::default()).await;
    let deadline = Instant::now() + Duration::from_secs(1800);
    while namespaces.get_opt(ns).await?.is_some() {
        if Instant::now() > deadline {
            return Err(format!("namespace {ns} still there after 30 minutes").into());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
