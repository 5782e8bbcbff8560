//! Two replicas, the leader killed again and again while people keep editing. Never two writers
//! at once: every write the API server recorded (its audit log, by each replica's own identity)
//! falls inside a term in which the Lease named that replica; and every status and summary
//! field is recorded in managedFields as the operator's one field manager.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use serde_json::Value;

use crate::support::{LEASE_SECONDS, Operator, eventually, install_crds};
use crate::world::{Random, World};
use crate::{OwnControlPlane, record, scale, secs, serial};

pub const REPLICAS: [&str; 2] = ["replica-a", "replica-b"];

/// The user each replica authenticates as: audit records name it.
pub fn user(replica: &str) -> String {
    format!("chaos-{replica}")
}

pub async fn leader(leases: &Api<Lease>) -> Option<String> {
    leases
        .get_opt("tripreport-operator")
        .await
        .ok()
        .flatten()
        .and_then(|l| l.spec?.holder_identity)
}

/// The Lease's terms as they were seen: (holder, acquireTime), in order.
pub type Terms = Arc<std::sync::Mutex<Vec<(String, Timestamp)>>>;

pub fn follow_lease(leases: Api<Lease>, terms: Terms) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let config = watcher::Config::default().fields("metadata.name=tripreport-operator");
        let mut events = watcher(leases, config).boxed();
        while let Ok(Some(event)) = events.try_next().await {
            if let watcher::Event::Apply(lease) | watcher::Event::InitApply(lease) = event {
                let Some(spec) = lease.spec else { continue };
                let (Some(holder), Some(acquired)) = (spec.holder_identity, spec.acquire_time)
                else {
                    continue;
                };
                if let Ok(mut terms) = terms.lock()
                    && terms
                        .last()
                        .is_none_or(|(h, t)| *h != holder || *t != acquired.0)
                {
                    terms.push((holder, acquired.0));
                }
            }
        }
    })
}

/// Writes (not to the Lease) in the audit log: (replica, time the API server received it,
/// verb and resource).
pub fn audited_writes(log: &std::path::Path) -> Vec<(String, Timestamp, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|e| e["stage"] == "ResponseComplete")
        .filter(|e| {
            matches!(
                e["verb"].as_str(),
                Some("create" | "update" | "patch" | "delete")
            )
        })
        .filter(|e| e["objectRef"]["resource"] != "leases")
        .filter_map(|e| {
            let username = e["user"]["username"].as_str()?;
            let replica = REPLICAS.iter().find(|r| user(r) == username)?;
            let at: Timestamp = e["requestReceivedTimestamp"].as_str()?.parse().ok()?;
            let what = format!(
                "{} {}/{}",
                e["verb"].as_str().unwrap_or("?"),
                e["objectRef"]["resource"].as_str().unwrap_or("?"),
                e["objectRef"]["name"].as_str().unwrap_or("?")
            );
            Some((replica.to_string(), at, what))
        })
        .collect()
}

/// A control plane of its own whose API server audits the replicas' requests (and nothing else),
/// with the directory of the audit files and the audit log's path.
pub fn audited_control_plane(
    case: &str,
) -> (std::path::PathBuf, std::path::PathBuf, OwnControlPlane) {
    let dir = std::env::temp_dir().join(format!(
        "tripreport-chaos-{case}-audit-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("audit directory");
    let policy = dir.join("policy.yaml");
    let audit = dir.join("audit.log");
    let users: Vec<String> = REPLICAS.iter().map(|r| user(r)).collect();
    std::fs::write(
        &policy,
        format!(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n\
             - level: Metadata\n  users: [{}]\n- level: None\n",
            users.join(", ")
        ),
    )
    .expect("audit policy");
    let cp = OwnControlPlane::start(
        vec![
            format!("--audit-policy-file={}", policy.display()),
            format!("--audit-log-path={}", audit.display()),
            "--audit-log-maxsize=1000000".into(),
        ],
        vec![],
    );
    (dir, audit, cp)
}

/// The writes in the audit log made by a replica that did not hold the Lease at the time, as
/// (what, when) descriptions; and how many writes there were in all.
pub fn writes_outside_their_term(audit: &std::path::Path, terms: &Terms) -> (Vec<String>, usize) {
    let terms = terms.lock().map(|t| t.clone()).unwrap_or_default();
    let writes = audited_writes(audit);
    let mut outside = Vec::new();
    for (replica, at, what) in &writes {
        let term = terms.iter().rev().find(|(_, start)| start <= at);
        if term.map(|(holder, _)| holder.as_str()) != Some(replica.as_str()) {
            outside.push(format!("{replica} at {at}: {what} (term: {term:?})"));
        }
    }
    (outside, writes.len())
}

/// Two replicas under their own identities on a control plane from `audited_control_plane`, the
/// Lease's terms as they are seen, and people editing ratings meanwhile.
pub struct Pair {
    pub replicas: [Operator; 2],
    pub kubeconfigs: [std::path::PathBuf; 2],
    pub leases: Api<Lease>,
    pub terms: Terms,
    follower: tokio::task::JoinHandle<()>,
    stop: Arc<AtomicBool>,
    /// Held for each edit: `pause_edits` takes it, so it returns with no edit under way.
    paused: Arc<tokio::sync::Mutex<bool>>,
    edits: Arc<AtomicUsize>,
    churn: Option<tokio::task::JoinHandle<()>>,
}

impl Pair {
    /// Starts both replicas in `ns`, follows the Lease, and edits one rating every `every`
    /// (the `step`-th recommendation after the last) until `stop_edits`, except while paused
    /// (`pause_edits`).
    pub fn start(
        cp: &OwnControlPlane,
        dir: &std::path::Path,
        ns: &str,
        world: Arc<World>,
        reports: usize,
        (step, every): (usize, Duration),
    ) -> Self {
        let kubeconfig = |replica: &str| {
            let path = dir.join(format!("{replica}.kubeconfig"));
            cp.write_user_kubeconfig(&user(replica), &["system:masters"], &path)
                .expect("a replica's kubeconfig");
            path
        };
        let kubeconfigs = [kubeconfig(REPLICAS[0]), kubeconfig(REPLICAS[1])];
        let replicas = [
            Operator::start_as(&kubeconfigs[0], ns, REPLICAS[0]),
            Operator::start_as(&kubeconfigs[1], ns, REPLICAS[1]),
        ];
        let leases: Api<Lease> = Api::namespaced(world.reports.clone().into_client(), ns);
        let terms: Terms = Arc::default();
        let follower = follow_lease(leases.clone(), terms.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(tokio::sync::Mutex::new(false));
        let edits = Arc::new(AtomicUsize::new(0));
        let churn = {
            let (stop, paused, edits) = (stop.clone(), paused.clone(), edits.clone());
            tokio::spawn(async move {
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    let paused = paused.lock().await;
                    if !*paused {
                        if world.edit(reports, k * step).await.is_ok() {
                            edits.fetch_add(1, Ordering::Relaxed);
                        }
                        k += 1;
                    }
                    drop(paused);
                    tokio::time::sleep(every).await;
                }
            })
        };
        Pair {
            replicas,
            kubeconfigs,
            leases,
            terms,
            follower,
            stop,
            paused,
            edits,
            churn: Some(churn),
        }
    }

    /// Waits for a leader, and for the other replica to be ready to lead (its caches full):
    /// (the leader's index, the other's, the leader's name).
    pub async fn leader_and_ready_follower(&self) -> (usize, usize, String) {
        let holder = eventually(
            "a leader",
            Duration::from_secs(LEASE_SECONDS * 5),
            || async { leader(&self.leases).await.ok_or_else(|| "none".to_string()) },
        )
        .await;
        let lead = REPLICAS
            .iter()
            .position(|r| *r == holder)
            .unwrap_or_else(|| panic!("an unknown leader {holder}"));
        let other = 1 - lead;
        eventually(
            "the follower to be ready",
            Duration::from_secs(30),
            || async {
                match self.replicas[other].get("/readyz").await {
                    Ok((200, _)) => Ok(()),
                    r => Err(format!("{r:?}")),
                }
            },
        )
        .await;
        (lead, other, holder)
    }

    /// Waits until replica `i` leads (the Lease names it, and its `tripreport_leader` metric
    /// says so: at start-up two replicas can both believe they lead for a moment, so the
    /// metric alone is not enough), or, with `leads` false, until it no longer believes it does.
    pub async fn until_leading(&self, i: usize, leads: bool) {
        eventually(
            &format!("{} to say leader={leads}", REPLICAS[i]),
            Duration::from_secs(LEASE_SECONDS * 5),
            || async {
                let holder = leader(&self.leases).await;
                let metric = self.replicas[i].metric("tripreport_leader").await;
                let done = if leads {
                    holder.as_deref() == Some(REPLICAS[i]) && metric == 1.0
                } else {
                    metric == 0.0
                };
                if done {
                    Ok(())
                } else {
                    Err(format!(
                        "Lease holder {holder:?}, tripreport_leader {metric}"
                    ))
                }
            },
        )
        .await;
    }

    /// Pauses the edits (until called again with `false`); returns once no edit is under way.
    pub async fn pause_edits(&self, paused: bool) {
        *self.paused.lock().await = paused;
    }

    /// Stops the edits; returns how many went through.
    pub async fn stop_edits(&mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(churn) = self.churn.take() {
            let _ = churn.await;
        }
        self.edits.load(Ordering::Relaxed)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_killed_again_and_again_never_leaves_two_writers() {
    let _serial = serial().await;
    let (dir, audit, cp) = audited_control_plane("failover");
    let client = cp.admin_client().await.expect("admin client");
    install_crds(&client).await;
    let ns = cp
        .create_namespace("chaos-failover")
        .await
        .expect("namespace");
    let world = Arc::new(World::new(client.clone(), &ns));
    let reports = scale(20, 100);
    let kills = scale(2, 10);
    let mut random = Random::from_env();
    world.create(0, reports).await;

    let mut pair = Pair::start(
        &cp,
        &dir,
        &ns,
        world.clone(),
        reports,
        (13, Duration::from_millis(100)),
    );

    let mut takeovers = Vec::new();
    for _ in 0..kills {
        // The follower must be ready to lead before its leader dies.
        let (lead, other, holder) = pair.leader_and_ready_follower().await;
        tokio::time::sleep(random.between(Duration::from_millis(500), Duration::from_secs(3)))
            .await;
        let killed = Instant::now();
        pair.replicas[lead].signal(libc::SIGKILL);
        pair.until_leading(other, true).await;
        takeovers.push(secs(killed.elapsed()));
        let logs = pair.replicas[lead].logs();
        assert!(!logs.contains("panicked"), "{holder} panicked:\n{logs}");
        pair.replicas[lead] = Operator::start_as(&pair.kubeconfigs[lead], &ns, REPLICAS[lead]);
    }
    let edits = pair.stop_edits().await;
    assert!(edits > 0, "no edit went through");
    let converged = world.converge(reports, Duration::from_secs(180)).await;
    // The audit log is written as requests complete; give the last ones a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let terms = pair.terms.clone();
    drop(pair);

    // Never two writers: each write falls in a term of the replica that made it.
    let (outside, total) = writes_outside_their_term(&audit, &terms);
    assert!(total > 0, "no write was audited");
    assert!(
        outside.is_empty(),
        "{} of {total} writes were made by a replica that did not hold the Lease; terms {:?}; first: {:#?}",
        outside.len(),
        terms.lock().map(|t| t.clone()).unwrap_or_default(),
        &outside[..outside.len().min(10)]
    );

    // One field manager for everything the operator writes, whichever replica wrote it.
    let mut managers = std::collections::BTreeSet::new();
    let report_list = world
        .reports
        .list(&ListParams::default())
        .await
        .expect("list");
    let rec_list = world.recs.list(&ListParams::default()).await.expect("list");
    let cm_list = world
        .cms
        .list(&ListParams::default().labels(tripreport_operator::api::names::SELECTOR))
        .await
        .expect("list");
    let mut entries = Vec::new();
    entries.extend(report_list.iter().flat_map(|o| o.managed_fields().to_vec()));
    entries.extend(rec_list.iter().flat_map(|o| o.managed_fields().to_vec()));
    for entry in entries
        .iter()
        .filter(|e| e.subresource.as_deref() == Some("status"))
    {
        managers.insert(entry.manager.clone().unwrap_or_default());
    }
    for cm in cm_list.iter() {
        for entry in cm.managed_fields() {
            managers.insert(entry.manager.clone().unwrap_or_default());
        }
    }
    assert_eq!(
        managers.into_iter().collect::<Vec<_>>(),
        vec!["tripreport-operator".to_string()],
        "the status and summary writers recorded in managedFields"
    );
    let terms = terms.lock().map(|t| t.clone()).unwrap_or_default();
    let holders: Vec<&str> = terms.iter().map(|(h, _)| h.as_str()).collect();
    record(
        "leader_failover",
        serde_json::json!({
            "reports": reports, "kills": kills, "lease_seconds": LEASE_SECONDS,
            "takeover_seconds": takeovers,
            "takeover_max_seconds": takeovers.iter().cloned().fold(0.0, f64::max),
            "edits_during_failovers": edits,
            "audited_writes": total, "writes_outside_their_term": outside.len(),
            "lease_holders_in_order": holders,
            "last_kill_to_consistent_seconds": secs(converged),
        }),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
