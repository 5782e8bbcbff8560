//! What is measured besides time: requests from the audit log, the process's memory and CPU,
//! edit latency, the size of what the operator caches.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::Error;
use crate::objects::*;

/// Requests by one user in the audit log after byte `from` (and before `to`), by verb and
/// resource.
pub fn audit_counts(audit: &Path, user: &str, from: u64, to: u64) -> BTreeMap<String, u64> {
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
pub fn writes(counts: &BTreeMap<String, u64>) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| !matches!(k.split(' ').next(), Some("get" | "list" | "watch")))
        .filter(|(k, _)| !k.ends_with(" leases"))
        .map(|(_, v)| v)
        .sum()
}

pub fn audit_offset(audit: &Path) -> u64 {
    std::fs::metadata(audit).map(|m| m.len()).unwrap_or(0)
}

/// Of the operator's resident memory, the MiB backed by files (its binary's pages, shared and
/// clean, which the kernel may drop and read again), from /proc.
pub fn file_backed_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("RssFile:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The operator's peak and current resident memory (MiB) and CPU seconds, from /proc.
pub fn process_usage(pid: u32) -> (f64, f64, f64) {
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
pub async fn edit_latencies(
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

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// The JSON size of what the operator caches for `ns`: its reports, its recommendations and its
/// summaries (the ConfigMaps its label selector admits), without managedFields and kubectl's
/// last-applied-configuration (neither is cached), and summaries
/// with their data replaced by its digest. Reports are counted with their bodies, which the
/// operator holds only until it renders them: the memory goal was set on this size (issue 16),
/// and stays set on it. Returns (objects, bytes).
pub async fn cached_json(client: &Client, ns: &str) -> Result<(usize, usize), Error> {
    let mut objects = 0;
    let mut bytes = 0;
    let mut count = |list: Vec<Value>| {
        for mut object in list {
            if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
                if let Some(annotations) =
                    meta.get_mut("annotations").and_then(Value::as_object_mut)
                {
                    annotations.remove(tripreport_operator::api::names::LAST_APPLIED);
                }
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
            // As the goal was set: a summary counts with its data replaced by their digest
            // (the operator never holds them), as an annotation.
            .map(|mut cm| {
                if let Some(data) = cm.data.take() {
                    cm.metadata.annotations.get_or_insert_default().insert(
                        "sha256:data".to_string(),
                        tripreport_operator::render::digest(&data),
                    );
                }
                serde_json::to_value(cm).unwrap_or_default()
            })
            .collect(),
    );
    Ok((objects, bytes))
}

/// `count` ConfigMaps that are nothing to the operator (no label of its own), of about 1 KB each,
/// in its own namespace: only its label selector keeps them out of its cache.
pub async fn unrelated_config_maps(client: &Client, ns: &str, count: usize) -> Result<(), Error> {
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
