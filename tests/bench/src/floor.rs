//! The floor: exactly the writes the operator must make, made by a plain client, and the watch
//! that times both.

use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::Error;
use crate::objects::*;

/// What the operator writes for one report, computed before the floor's clock starts: the
/// floor itself neither renders nor decides anything.
pub struct Planned {
    name: String,
    summary: ConfigMap,
    status: Value,
    event: Value,
}

/// The operator's writes for report `i` (created as `created`): its summary ConfigMap, rendered
/// by the operator's own renderer and built by its own `summary::desired`, so the bytes are the
/// ones the operator applies; a status with the fields and conditions of the operator's; and
/// the `SummaryPublished` Event shared/API.md requires.
pub fn plan(i: usize, created: &DynamicObject) -> Result<Planned, Error> {
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
pub async fn floor(
    client: &Client,
    observer: &Client,
    ns: &str,
    reports: &[DynamicObject],
    concurrency: usize,
    events: bool,
) -> Result<(Instant, Progress), Error> {
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
    let (progress, _) = futures::future::try_join(watching, writing).await?;
    Ok((start, progress))
}

pub fn ready_for_generation(object: &DynamicObject) -> bool {
    let generation = object.metadata.generation;
    object.data["status"]["observedGeneration"].as_i64() == generation
        && object.data["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
}

/// When a watch saw each tenth of one kind's objects Ready: `marks[k]` is when `(k + 1) * 10` %
/// of them were, the last one when every one was.
pub struct Progress {
    pub done: Instant,
    pub reports: Vec<Instant>,
    pub recommendations: Vec<Instant>,
}

impl Progress {
    /// "10 % 1.2 s, 50 % 5.0 s, 90 % 9.1 s, 100 % 10.0 s" of one kind, from `start`.
    pub fn describe(marks: &[Instant], start: Instant) -> String {
        [0, 4, 8, 9]
            .iter()
            .filter_map(|&k| {
                let at = marks.get(k)?;
                Some(format!(
                    "{} % {:.2} s",
                    (k + 1) * 10,
                    at.saturating_duration_since(start).as_secs_f64()
                ))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Waits, through watches (not polling), until every report and recommendation in `ns` is Ready
/// for its current generation.
pub async fn converged(
    client: &Client,
    ns: &str,
    reports: usize,
    recs: usize,
) -> Result<Progress, Error> {
    let watch = |kind: &str, expected: usize| {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource(kind));
        async move {
            let mut ready = std::collections::HashSet::new();
            let mut marks = Vec::with_capacity(10);
            let mut events = watcher(api, watcher::Config::default()).boxed();
            while let Some(event) = events.try_next().await? {
                if let watcher::Event::Apply(o) | watcher::Event::InitApply(o) = event {
                    if ready_for_generation(&o) {
                        ready.insert(o.name_any());
                    } else {
                        ready.remove(&o.name_any());
                    }
                }
                // A tenth is marked once, the first time it is reached.
                while marks.len() < 10 && ready.len() * 10 >= expected * (marks.len() + 1) {
                    marks.push(Instant::now());
                }
                if ready.len() == expected {
                    return Ok::<Vec<Instant>, Error>(marks);
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
    let last = |m: &[Instant]| m.last().copied().ok_or("no progress was seen");
    Ok(Progress {
        done: last(&a)?.max(last(&b)?),
        reports: a,
        recommendations: b,
    })
}
