//! `make bench`: N reports with 3 recommendations each on the local control plane, converged by
//! the operator and, in the same run, written by a plain client making exactly the writes the
//! operator must make (the floor). Counts come from the API server's audit log, filtered by each
//! client's identity. Prints a table and writes target/bench/results.json.
//!
//! `bench chart OUT.svg RESULTS.json...` draws convergence time against N from earlier runs.
//!
//! Environment: BENCH_REPORTS (default 1000), BENCH_CONCURRENCY (16, for both the operator and
//! the floor), BENCH_IDLE_SECONDS (60),
//! BENCH_UNRELATED_CONFIGMAPS (50000; 0 skips that step), BENCH_OPERATOR (default target/release/tripreport-operator).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::runtime::{conditions, wait::await_condition, watcher};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};
use testenv::{ControlPlane, Lifetime, StartOptions};

const OPERATOR_USER: &str = "tripreport-bench-operator";
const FLOOR_USER: &str = "tripreport-bench-floor";

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

mod chart;

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
        extra_etcd_args: Vec::new(),
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
    let result = runtime.block_on(run(&cp, &root, &out, &audit));
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

fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("tripreports.dev", "v1alpha1", kind))
}

/// About 8 KB of text, different per report.
fn body(i: usize) -> String {
    let sentence = format!(
        "Report {i}: the talks on operators, observability and delivery were worth the trip; \
         we would send the team again and watch the recordings together. "
    );
    sentence.repeat(8192 / sentence.len() + 1)[..8192].to_string()
}

fn report(i: usize) -> Value {
    json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
        "metadata": {"name": format!("report-{i:05}")},
        "spec": {
            "title": format!("What we saw, part {i}"),
            "conference": {"name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona",
                           "startDate": "2019-05-20", "endDate": "2019-05-23", "attendees": 7700},
            "author": {"name": "Jane Doe"},
            "language": "en",
            "body": body(i),
            "highlights": ["Operators need honest statuses", "Loki indexes labels"],
            "themes": ["observability", "operators"],
            "review": {"requiredApprovals": 1, "approvals": [{"reviewer": "bob"}]}
        }
    })
}

fn recommendation(i: usize, j: usize) -> Value {
    json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
        "metadata": {"name": format!("report-{i:05}-talk-{j}")},
        "spec": {
            "reportRef": {"name": format!("report-{i:05}")},
            "talk": {"title": format!("Talk {j} of report {i}"), "speakers": ["A. Speaker"],
                     "videoURL": format!("https://videos.example.com/{i}/{j}")},
            "rating": 1 + (i + j) % 5,
            "reason": "It changed how we run our clusters; worth an hour of anyone's time.",
            "review": {"reviewer": "bob", "verdict": "Approved"}
        }
    })
}

async fn namespace(client: &Client, name: &str) -> Result<(), Error> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    namespaces.create(&PostParams::default(), &ns).await?;
    Ok(())
}

async fn install_crds(client: &Client, root: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(root.join("crds/tripreports.dev.yaml"))?;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let crd: CustomResourceDefinition = serde::Deserialize::deserialize(document)?;
        let name = crd.name_any();
        crds.patch(
            &name,
            &PatchParams::apply("bench").force(),
            &Patch::Apply(&crd),
        )
        .await?;
        tokio::time::timeout(
            Duration::from_secs(60),
            await_condition(crds.clone(), &name, conditions::is_crd_established()),
        )
        .await??;
    }
    Ok(())
}

/// Creates N reports and 3N recommendations in `ns`; returns the reports (for their uids).
async fn create_all(client: &Client, ns: &str, n: usize) -> Result<Vec<DynamicObject>, Error> {
    let reports: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("ConferenceReport"));
    let recs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("TalkRecommendation"));
    let created: Vec<DynamicObject> = stream::iter(0..n)
        .map(|i| {
            let reports = reports.clone();
            async move {
                reports
                    .create(&PostParams::default(), &serde_json::from_value(report(i))?)
                    .await
                    .map_err(Error::from)
            }
        })
        .buffer_unordered(64)
        .try_collect()
        .await?;
    stream::iter((0..n).flat_map(|i| (0..3).map(move |j| (i, j))))
        .map(|(i, j)| {
            let recs = recs.clone();
            async move {
                recs.create(
                    &PostParams::default(),
                    &serde_json::from_value(recommendation(i, j))?,
                )
                .await
                .map(|_| ())
                .map_err(Error::from)
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(created)
}

/// What the operator writes for one report, computed before the floor's clock starts: the
/// floor itself neither renders nor decides anything.
struct Planned {
    name: String,
    summary: ConfigMap,
    status: Value,
    event: Value,
}

/// The operator's writes for report `i` (created as `created`): its summary ConfigMap, rendered
/// by the operator's own renderer and built by its own `summary::desired`, so the bytes are the
/// ones the operator applies; a status with the fields and conditions of the operator's; and
/// the `SummaryPublished` Event shared/API.md requires.
fn plan(i: usize, created: &DynamicObject) -> Result<Planned, Error> {
    use tripreport_operator::api::{ConferenceReportSpec, TalkRecommendationSpec};
    use tripreport_operator::summary;
    let name = created.name_any();
    let namespace = created.namespace().unwrap_or_default();
    let spec: ConferenceReportSpec = serde_json::from_value(report(i)["spec"].clone())?;
    let recs: Vec<(String, TalkRecommendationSpec)> = (0..3)
        .map(|j| {
            let rec = recommendation(i, j);
            Ok((
                rec["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                serde_json::from_value(rec["spec"].clone())?,
            ))
        })
        .collect::<Result<_, Error>>()?;
    let refs: Vec<(&str, &TalkRecommendationSpec)> =
        recs.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let rendered = tripreport_operator::decide::summary::render_report(&name, &spec, &refs);
    let owner = k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
        api_version: "tripreports.dev/v1alpha1".into(),
        kind: "ConferenceReport".into(),
        name: name.clone(),
        uid: created.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let cm = summary::desired(&name, &namespace, owner, rendered.data(), &rendered.digest);
    let cm_name = summary::config_map_name(&name);
    let condition = |type_: &str, reason: &str, message: String| {
        json!({"type": type_, "status": "True", "reason": reason, "message": message,
               "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"})
    };
    let status = json!({"apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
    "status": {"observedGeneration": 1, "reviewed": true, "summarized": true,
               "recommendations": {"total": 3, "approved": 3, "pending": 0},
               "summary": {"configMapName": cm_name, "digest": rendered.digest},
               "conditions": [
                   condition("Ready", "Published", format!("The summary is published in ConfigMap {cm_name}.")),
                   condition("Reviewed", "Approved", "Approved by 1 of the 1 reviewers required: bob.".into()),
                   condition("Summarized", "Published", format!("{} recommendations in {} bytes.", rendered.included, rendered.size)),
               ]}});
    let event = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": format!("{name}.floor"), "namespace": namespace},
        "eventTime": "2026-01-01T00:00:00.000000Z", "type": "Normal", "reason": "SummaryPublished",
        "action": "Reconcile", "reportingController": "tripreport-operator", "reportingInstance": "floor",
        "regarding": {"apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
                      "name": name, "namespace": namespace, "uid": created.uid()},
        "note": format!("Summary published in ConfigMap {cm_name} ({} bytes, {})", rendered.size, rendered.digest)});
    Ok(Planned {
        name,
        summary: cm,
        status,
        event,
    })
}

/// Exactly the writes the operator must make, with no controller and no rendering: per report
/// one ConfigMap apply (the operator's own bytes) and one status apply, per recommendation one
/// status apply, and with `events` the `SummaryPublished` Event per report; `concurrency`
/// reports and `concurrency` recommendations at a time. Timed like the operator: from the first write until the same watch sees
/// every object Ready, so the watch's own cost is on both sides.
async fn floor(
    client: &Client,
    observer: &Client,
    ns: &str,
    reports: &[DynamicObject],
    concurrency: usize,
    events: bool,
) -> Result<Duration, Error> {
    let report_api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("ConferenceReport"));
    let rec_api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("TalkRecommendation"));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let event_api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), ns);
    let params = PatchParams::apply("tripreport-operator").force();
    let planned: Vec<Planned> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| plan(i, r))
        .collect::<Result<_, _>>()?;
    let rec_status = json!({"apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
        "status": {"observedGeneration": 1, "reviewed": true,
                   "conditions": [
                       {"type": "Ready", "status": "True", "reason": "Resolved",
                        "message": "Listed in the summary of its report.",
                        "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"},
                       {"type": "Reviewed", "status": "True", "reason": "Approved",
                        "message": "Approved by bob.",
                        "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    let watching = converged(observer, ns, reports.len(), 3 * reports.len());
    // As the operator works: `concurrency` reports and `concurrency` recommendations at a time
    // (its two controllers each reconcile `--concurrency` objects at once).
    let report_writes = stream::iter(planned.iter())
        .map(|p| {
            let (cms, report_api, event_api, params) = (
                cms.clone(),
                report_api.clone(),
                event_api.clone(),
                params.clone(),
            );
            async move {
                let cm_name = p.summary.name_any();
                cms.patch(&cm_name, &params, &Patch::Apply(&p.summary))
                    .await?;
                if events {
                    event_api
                        .create(
                            &PostParams::default(),
                            &serde_json::from_value(p.event.clone())?,
                        )
                        .await?;
                }
                report_api
                    .patch_status(&p.name, &params, &Patch::Apply(&p.status))
                    .await?;
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>();
    let rec_writes = stream::iter(planned.iter().flat_map(|p| (0..3).map(move |j| (p, j))))
        .map(|(p, j)| {
            let (rec_api, params, rec_status) = (rec_api.clone(), params.clone(), &rec_status);
            async move {
                rec_api
                    .patch_status(
                        &format!("{}-talk-{j}", p.name),
                        &params,
                        &Patch::Apply(rec_status),
                    )
                    .await?;
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>();
    let writing = futures::future::try_join(report_writes, rec_writes);
    let start = Instant::now();
    let (done, _) = futures::future::try_join(watching, writing).await?;
    Ok(done.duration_since(start))
}

fn ready_for_generation(object: &DynamicObject) -> bool {
    let generation = object.metadata.generation;
    object.data["status"]["observedGeneration"].as_i64() == generation
        && object.data["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
}

/// Waits, through watches (not polling), until every report and recommendation in `ns` is Ready
/// for its current generation.
async fn converged(
    client: &Client,
    ns: &str,
    reports: usize,
    recs: usize,
) -> Result<Instant, Error> {
    let watch = |kind: &str, expected: usize| {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource(kind));
        async move {
            let mut ready = std::collections::HashSet::new();
            let mut events = watcher(api, watcher::Config::default()).boxed();
            while let Some(event) = events.try_next().await? {
                if let watcher::Event::Apply(o) | watcher::Event::InitApply(o) = event {
                    if ready_for_generation(&o) {
                        ready.insert(o.name_any());
                    } else {
                        ready.remove(&o.name_any());
                    }
                }
                if ready.len() == expected {
                    return Ok::<Instant, Error>(Instant::now());
                }
            }
            Err("the watch ended".into())
        }
    };
    let (a, b) = futures::future::try_join(
        watch("ConferenceReport", reports),
        watch("TalkRecommendation", recs),
    )
    .await?;
    Ok(a.max(b))
}

/// Requests by one user in the audit log after byte `from` (and before `to`), by verb and
/// resource.
fn audit_counts(audit: &Path, user: &str, from: u64, to: u64) -> BTreeMap<String, u64> {
    let text = std::fs::read(audit).unwrap_or_default();
    let end = (to as usize).min(text.len());
    let start = (from as usize).min(end);
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&text[start..end]).lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["user"]["username"] != user || event["stage"] != "ResponseComplete" {
            continue;
        }
        let object = &event["objectRef"];
        let mut resource = object["resource"].as_str().unwrap_or("?").to_string();
        if let Some(sub) = object["subresource"].as_str() {
            resource = format!("{resource}/{sub}");
        }
        *counts
            .entry(format!(
                "{} {resource}",
                event["verb"].as_str().unwrap_or("?")
            ))
            .or_insert(0) += 1;
    }
    counts
}

/// Writes to anything but the leader Lease, whose renewal is how a leader stays one.
fn writes(counts: &BTreeMap<String, u64>) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| !matches!(k.split(' ').next(), Some("get" | "list" | "watch")))
        .filter(|(k, _)| !k.ends_with(" leases"))
        .map(|(_, v)| v)
        .sum()
}

fn audit_offset(audit: &Path) -> u64 {
    std::fs::metadata(audit).map(|m| m.len()).unwrap_or(0)
}

/// The operator's peak and current resident memory (MiB) and CPU seconds, from /proc.
fn process_usage(pid: u32) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks
    // (100 per second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        kib("VmHWM:") / 1024.0,
        kib("VmRSS:") / 1024.0,
        (ticks(11) + ticks(12)) / 100.0,
    )
}

/// From changing one recommendation's rating to its report's summary showing it, through a
/// watch of that summary; `samples` times over the converged objects.
async fn edit_latencies(
    client: &Client,
    ns: &str,
    n: usize,
    samples: usize,
) -> Result<Vec<Duration>, Error> {
    let recs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("TalkRecommendation"));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let mut latencies = Vec::with_capacity(samples);
    for k in 0..samples {
        let i = k * n / samples;
        let report = format!("report-{i:05}");
        let rec_name = format!("{report}-talk-0");
        let rec = recs.get(&rec_name).await?;
        let rating = rec.data["spec"]["rating"].as_i64().unwrap_or(1) % 5 + 1;
        let config = watcher::Config::default().fields(&format!("metadata.name={report}-summary"));
        let mut events = watcher(cms.clone(), config).boxed();
        // The watch's initial list first, so the edit's effect cannot be missed.
        while let Some(event) = events.try_next().await? {
            if matches!(event, watcher::Event::InitDone) {
                break;
            }
        }
        let patch = json!({"spec": {"rating": rating}});
        let start = Instant::now();
        recs.patch(&rec_name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        let shows = |cm: &ConfigMap| {
            let json: Value = cm
                .data
                .as_ref()
                .and_then(|d| d.get("summary.json"))
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            json["recommendations"].as_array().is_some_and(|rs| {
                rs.iter()
                    .any(|r| r["name"] == rec_name.as_str() && r["rating"] == rating)
            })
        };
        let seen = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.try_next().await? {
                if let watcher::Event::Apply(cm) = event
                    && shows(&cm)
                {
                    return Ok::<Instant, Error>(Instant::now());
                }
            }
            Err("the watch ended".into())
        })
        .await??;
        latencies.push(seen.duration_since(start));
    }
    latencies.sort();
    Ok(latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// The JSON size of what the operator caches for `ns`: its reports, its recommendations and its
/// summaries (the ConfigMaps its label selector admits), in the form it caches them: without
/// managedFields, and summaries with their data replaced by its digest. Returns (objects, bytes).
async fn cached_json(client: &Client, ns: &str) -> Result<(usize, usize), Error> {
    let mut objects = 0;
    let mut bytes = 0;
    let mut count = |list: Vec<Value>| {
        for mut object in list {
            if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
            objects += 1;
            bytes += serde_json::to_vec(&object).map(|v| v.len()).unwrap_or(0);
        }
    };
    for kind in ["ConferenceReport", "TalkRecommendation"] {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource(kind));
        let list = api.list(&Default::default()).await?;
        count(
            list.items
                .into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect(),
        );
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let list = cms
        .list(&kube::api::ListParams::default().labels(tripreport_operator::api::names::SELECTOR))
        .await?;
    count(
        list.items
            .into_iter()
            .map(|mut cm| {
                tripreport_operator::summary::cached_form(&mut cm);
                serde_json::to_value(cm).unwrap_or_default()
            })
            .collect(),
    );
    Ok((objects, bytes))
}

/// `count` ConfigMaps that are nothing to the operator (no label of its own), of about 1 KB each,
/// in its own namespace: only its label selector keeps them out of its cache.
async fn unrelated_config_maps(client: &Client, ns: &str, count: usize) -> Result<(), Error> {
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let data = "unrelated application settings; ".repeat(32);
    let started = Instant::now();
    stream::iter(0..count)
        .map(|i| {
            let cms = cms.clone();
            let cm: Result<ConfigMap, _> = serde_json::from_value(json!({
                "metadata": {"name": format!("unrelated-{i:06}"), "labels": {"app": "someone-else"}},
                "data": {"settings": data}
            }));
            async move {
                cms.create(&PostParams::default(), &cm?).await?;
                if (i + 1) % 10_000 == 0 {
                    eprintln!("bench:   {} unrelated ConfigMaps created", i + 1);
                }
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await?;
    eprintln!(
        "bench:   {count} unrelated ConfigMaps in {:?}",
        started.elapsed()
    );
    Ok(())
}

struct Operator(Child);
impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn run(cp: &ControlPlane, root: &Path, out: &Path, audit: &Path) -> Result<bool, Error> {
    let n = env_number("BENCH_REPORTS", 1000) as usize;
    let concurrency = env_number("BENCH_CONCURRENCY", 16) as usize;
    let idle = Duration::from_secs(env_number("BENCH_IDLE_SECONDS", 60));
    let admin = cp.admin_client().await?;
    install_crds(&admin, root).await?;

    // The floor twice: with exactly the writes the issue lists, and with the SummaryPublished
    // Event per report that shared/API.md also requires of the operator.
    let floor_client = cp.user_client(FLOOR_USER, &["system:masters"]).await?;
    let mut floors = Vec::new();
    for (ns, events) in [("floor", false), ("floor-events", true)] {
        eprintln!(
            "bench: the floor{}: creating {n} reports and {} recommendations",
            if events { " with Events" } else { "" },
            3 * n
        );
        namespace(&admin, ns).await?;
        let created = create_all(&admin, ns, n).await?;
        let from = audit_offset(audit);
        let took = floor(&floor_client, &admin, ns, &created, concurrency, events).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let counts = audit_counts(audit, FLOOR_USER, from, audit_offset(audit));
        eprintln!("bench: the floor took {took:?}");
        floors.push((took, counts));
    }
    let [
        (floor_time, floor_counts),
        (floor_events_time, floor_events_counts),
    ] = <[_; 2]>::try_from(floors).map_err(|_| "two floors")?;

    eprintln!("bench: the operator: creating the same objects while it is paused");
    namespace(&admin, "bench").await?;
    let button: Api<ConfigMap> = Api::namespaced(admin.clone(), "bench");
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
    let kubeconfig = out.join("operator.kubeconfig");
    cp.write_user_kubeconfig(OPERATOR_USER, &["system:masters"], &kubeconfig)?;
    let binary = std::env::var_os("BENCH_OPERATOR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/tripreport-operator"));
    let log = std::fs::File::create(out.join("operator.log"))?;
    let mut command = Command::new(&binary);
    command
        .args([
            "run",
            "--namespace",
            "bench",
            "--operator-namespace",
            "bench",
            "--http-addr",
            "127.0.0.1:0",
        ])
        .args([
            "--concurrency",
            &concurrency.to_string(),
            "--log-format",
            "json",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    testenv::die_with_this_thread(&mut command);
    let operator = Operator(
        command
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?,
    );
    let pid = operator.0.id();
    create_all(&admin, "bench", n).await?;
    // Every object exists and none is handled: releasing the button is "the last object
    // created" with all the work still to do.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from = audit_offset(audit);
    let released = Instant::now();
    button
        .patch(
            "tripreport-operator-control",
            &PatchParams::apply("bench"),
            &Patch::Apply(press("false")),
        )
        .await?;
    let done = converged(&admin, "bench", n, 3 * n).await?;
    let operator_time = done.duration_since(released);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let to = audit_offset(audit);
    let operator_counts = audit_counts(audit, OPERATOR_USER, from, to);
    eprintln!("bench: the operator converged in {operator_time:?}; idle window of {idle:?}");
    tokio::time::sleep(idle).await;
    let idle_counts = audit_counts(audit, OPERATOR_USER, to, audit_offset(audit));
    let (peak_mib, steady_mib, cpu_seconds) = process_usage(pid);
    eprintln!("bench: edit latency, 100 samples");
    let latencies = edit_latencies(&admin, "bench", n, 100).await?;
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    let (cached_objects, cached_bytes) = cached_json(&admin, "bench").await?;
    // The goal: steady RSS at most 40 MB plus 1.5 times the JSON size of the cached objects.
    let rss_goal_mib = (40e6 + 1.5 * cached_bytes as f64) / (1024.0 * 1024.0);

    let unrelated = env_number("BENCH_UNRELATED_CONFIGMAPS", 50_000) as usize;
    let mut unrelated_result = None;
    if unrelated > 0 {
        eprintln!("bench: {unrelated} unrelated ConfigMaps in the operator's namespace");
        let (_, before_mib, _) = process_usage(pid);
        let from = audit_offset(audit);
        unrelated_config_maps(&admin, "bench", unrelated).await?;
        // Time for any watch event to arrive and be dropped, then the same settling as before.
        tokio::time::sleep(Duration::from_secs(20)).await;
        let (_, after_mib, _) = process_usage(pid);
        let counts = audit_counts(audit, OPERATOR_USER, from, audit_offset(audit));
        unrelated_result = Some((before_mib, after_mib, writes(&counts)));
    }
    let (_, _, cpu_seconds_end) = process_usage(pid);

    let ratio = operator_time.as_secs_f64() / floor_time.as_secs_f64();
    let ratio_events = operator_time.as_secs_f64() / floor_events_time.as_secs_f64();
    let (op_writes, floor_writes, floor_events_writes, idle_writes) = (
        writes(&operator_counts),
        writes(&floor_counts),
        writes(&floor_events_counts),
        writes(&idle_counts),
    );
    let per = |w: u64| w as f64 / (4 * n) as f64;
    println!();
    println!(
        "N = {n} reports, {} recommendations, concurrency {concurrency}",
        3 * n
    );
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "", "operator", "floor", "+ Events"
    );
    println!(
        "{:<44} {:>11.2}s {:>11.2}s {:>11.2}s",
        "time to converge (through a watch)",
        operator_time.as_secs_f64(),
        floor_time.as_secs_f64(),
        floor_events_time.as_secs_f64()
    );
    println!(
        "{:<44} {:>12} {:>12.2} {:>12.2}",
        "operator time / floor time", "", ratio, ratio_events
    );
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "writes", op_writes, floor_writes, floor_events_writes
    );
    println!(
        "{:<44} {:>12.2} {:>12.2} {:>12.2}",
        "writes per object",
        per(op_writes),
        per(floor_writes),
        per(floor_events_writes)
    );
    println!(
        "{:<44} {:>12}",
        format!("writes in the {}s idle window", idle.as_secs()),
        idle_writes
    );
    println!(
        "{:<44} {:>11.0}ms",
        "edit latency p50",
        p50.as_secs_f64() * 1000.0
    );
    println!(
        "{:<44} {:>11.0}ms",
        "edit latency p99",
        p99.as_secs_f64() * 1000.0
    );
    println!("{:<44} {:>10.1}MiB", "operator RSS, peak", peak_mib);
    println!(
        "{:<44} {:>10.1}MiB",
        "operator RSS, after the idle window", steady_mib
    );
    println!(
        "{:<44} {:>11.1}s",
        "operator CPU until the idle window's end", cpu_seconds
    );
    println!(
        "{:<44} {:>12}",
        "objects in the operator's caches", cached_objects
    );
    println!(
        "{:<44} {:>10.1}MiB",
        "their JSON size, as cached",
        cached_bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "{:<44} {:>11.1}KiB",
        "steady RSS per cached object",
        steady_mib * 1024.0 / cached_objects.max(1) as f64
    );
    println!(
        "{:<44} {:>10.1}MiB",
        "RSS goal: 40 MB + 1.5 x JSON size", rss_goal_mib
    );
    if let Some((before, after, writes)) = unrelated_result {
        println!(
            "{:<44} {:>10.1}MiB",
            format!("RSS before {unrelated} unrelated ConfigMaps"),
            before
        );
        println!("{:<44} {:>10.1}MiB", "RSS after them", after);
        println!("{:<44} {:>12}", "operator writes meanwhile", writes);
    }
    println!("requests by verb during convergence (operator):");
    for (k, v) in &operator_counts {
        println!("  {k:<42} {v:>12}");
    }
    let results = json!({
        "reports": n, "recommendations": 3 * n, "concurrency": concurrency,
        "operator_seconds": operator_time.as_secs_f64(), "floor_seconds": floor_time.as_secs_f64(),
        "ratio": ratio,
        "floor_with_events_seconds": floor_events_time.as_secs_f64(), "ratio_with_events": ratio_events,
        "operator_writes": op_writes, "floor_writes": floor_writes,
        "floor_with_events_writes": floor_events_writes,
        "operator_requests": operator_counts, "floor_requests": floor_counts,
        "floor_with_events_requests": floor_events_counts,
        "idle_seconds": idle.as_secs(), "idle_writes": idle_writes, "idle_requests": idle_counts,
        "edit_latency_p50_ms": p50.as_secs_f64() * 1000.0, "edit_latency_p99_ms": p99.as_secs_f64() * 1000.0,
        "operator_rss_peak_mib": peak_mib, "operator_rss_steady_mib": steady_mib,
        "operator_cpu_seconds": cpu_seconds,
        "operator_cpu_seconds_end": cpu_seconds_end,
        "cached_objects": cached_objects, "cached_json_bytes": cached_bytes,
        "rss_goal_mib": rss_goal_mib,
        "unrelated_configmaps": unrelated,
        "rss_before_unrelated_mib": unrelated_result.map(|r| r.0),
        "rss_after_unrelated_mib": unrelated_result.map(|r| r.1),
        "writes_during_unrelated": unrelated_result.map(|r| r.2),
    });
    let text = serde_json::to_string_pretty(&results)?;
    for name in ["results.json".to_string(), format!("results-{n}.json")] {
        let path = out.join(name);
        std::fs::write(&path, &text)?;
        println!("wrote {}", path.display());
    }
    Ok(idle_writes == 0 && unrelated_result.is_none_or(|r| r.2 == 0))
}
