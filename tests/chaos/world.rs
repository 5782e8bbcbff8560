//! The objects a fault case works on, the changes it makes while faults happen, and the full
//! consistency check every case ends with.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tripreport_operator::api::names;
use tripreport_operator::api::{ConferenceReport, TalkRecommendation};
use tripreport_operator::summary;

/// Recommendations per report.
pub const RECS: usize = 3;

pub struct World {
    pub reports: Api<ConferenceReport>,
    pub recs: Api<TalkRecommendation>,
    pub cms: Api<ConfigMap>,
}

pub fn report_name(i: usize) -> String {
    format!("report-{i:04}")
}

pub fn rec_name(i: usize, j: usize) -> String {
    format!("report-{i:04}-talk-{j}")
}

fn report(i: usize) -> ConferenceReport {
    let body = format!(
        "Report {i}: what the team saw at the conference, and what it will change at home. "
    )
    .repeat(40);
    serde_json::from_value(json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
        "metadata": {"name": report_name(i)},
        "spec": {
            "title": format!("Trip report {i}"),
            "conference": {"name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona",
                           "startDate": "2019-05-20", "endDate": "2019-05-23", "attendees": 7700},
            "author": {"name": "Jane Doe"},
            "language": "en",
            "body": body,
            "highlights": ["Operators need honest statuses"],
            "review": {"requiredApprovals": 1, "approvals": [{"reviewer": "bob"}]}
        }
    }))
    .expect("a valid report")
}

fn recommendation(i: usize, j: usize) -> TalkRecommendation {
    serde_json::from_value(json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
        "metadata": {"name": rec_name(i, j)},
        "spec": {
            "reportRef": {"name": report_name(i)},
            "talk": {"title": format!("Talk {j} of report {i}"), "speakers": ["A. Speaker"],
                     "videoURL": format!("https://videos.example.com/{i}/{j}")},
            "rating": 1 + (i + j) % 5,
            "reason": "Worth an hour of anyone's time.",
            "review": {"reviewer": "bob", "verdict": "Approved"}
        }
    }))
    .expect("a valid recommendation")
}

impl World {
    pub fn new(client: Client, ns: &str) -> Self {
        World {
            reports: Api::namespaced(client.clone(), ns),
            recs: Api::namespaced(client.clone(), ns),
            cms: Api::namespaced(client, ns),
        }
    }

    /// Creates reports `from..to`, each with its recommendations, 32 requests at a time.
    pub async fn create(&self, from: usize, to: usize) {
        stream::iter(from..to)
            .map(|i| async move {
                self.reports
                    .create(&PostParams::default(), &report(i))
                    .await
                    .map(|_| ())
            })
            .buffer_unordered(32)
            .try_collect::<Vec<()>>()
            .await
            .expect("create the reports");
        stream::iter((from..to).flat_map(|i| (0..RECS).map(move |j| (i, j))))
            .map(|(i, j)| async move {
                self.recs
                    .create(&PostParams::default(), &recommendation(i, j))
                    .await
                    .map(|_| ())
            })
            .buffer_unordered(32)
            .try_collect::<Vec<()>>()
            .await
            .expect("create the recommendations");
    }

    /// One change a person would make: a recommendation's rating moves by one. `k` picks which.
    pub async fn edit(&self, reports: usize, k: usize) -> Result<(), kube::Error> {
        let (i, j) = ((k / RECS) % reports, k % RECS);
        let rating = 1 + (i + j + k) % 5;
        self.recs
            .patch(
                &rec_name(i, j),
                // Forced: the field was set at creation, by another manager.
                &PatchParams::apply("chaos-user").force(),
                &Patch::Apply(json!({
                    "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
                    "spec": {"rating": rating}
                })),
            )
            .await
            .map(|_| ())
    }

    /// Everything a user could check, against the expectation that reports `0..reports` exist
    /// with their recommendations: every report Ready for its generation with exactly the
    /// summary its current inputs render to, in the one ConfigMap it owns; every recommendation
    /// Ready for its generation; no ConfigMap of the operator's without its live report; nothing
    /// missing. Returns the problems found (all of them, up to a few per kind).
    pub async fn consistent(&self, reports: usize) -> Result<(), String> {
        let list = |e: kube::Error| format!("list: {e}");
        let all_reports = self
            .reports
            .list(&ListParams::default())
            .await
            .map_err(list)?;
        let all_recs = self.recs.list(&ListParams::default()).await.map_err(list)?;
        let all_cms = self.cms.list(&ListParams::default()).await.map_err(list)?;
        let mut problems: Vec<String> = Vec::new();

        let expected: BTreeSet<String> = (0..reports).map(report_name).collect();
        let present: BTreeSet<String> = all_reports.iter().map(|r| r.name_any()).collect();
        for missing in expected.difference(&present) {
            problems.push(format!("report {missing} is missing"));
        }
        let expected_recs: BTreeSet<String> = (0..reports)
            .flat_map(|i| (0..RECS).map(move |j| rec_name(i, j)))
            .collect();
        let present_recs: BTreeSet<String> = all_recs.iter().map(|r| r.name_any()).collect();
        for missing in expected_recs.difference(&present_recs) {
            problems.push(format!("recommendation {missing} is missing"));
        }

        let cms: BTreeMap<String, &ConfigMap> =
            all_cms.items.iter().map(|cm| (cm.name_any(), cm)).collect();
        let mut owned = 0;
        for report in &all_reports {
            let name = report.name_any();
            let generation = report.metadata.generation;
            let status = report.status.clone().unwrap_or_default();
            if status.observed_generation != generation || !ready(&status.conditions, generation) {
                problems.push(format!(
                    "report {name}: not Ready for generation {generation:?}: {:?}",
                    status
                        .conditions
                        .iter()
                        .map(|c| (&c.type_, &c.status, &c.reason, c.observed_generation))
                        .collect::<Vec<_>>()
                ));
                continue;
            }
            let mine: Vec<(&str, &tripreport_operator::api::TalkRecommendationSpec)> = all_recs
                .iter()
                .filter(|r| r.spec.report_ref.name == name)
                .map(|r| (r.metadata.name.as_deref().unwrap_or_default(), &r.spec))
                .collect();
            let rendered =
                tripreport_operator::decide::summary::render_report(&name, &report.spec, &mine);
            let cm_name = summary::config_map_name(&name);
            let Some(cm) = cms.get(&cm_name) else {
                problems.push(format!("report {name}: no ConfigMap {cm_name}"));
                continue;
            };
            owned += 1;
            let owner = cm
                .owner_references()
                .iter()
                .find(|o| o.controller == Some(true));
            if owner.map(|o| o.uid.as_str()) != report.metadata.uid.as_deref() {
                problems.push(format!("{cm_name}: not owned by report {name}: {owner:?}"));
            }
            if cm.data.as_ref() != Some(&rendered.data()) {
                problems.push(format!(
                    "{cm_name}: data differs from what the inputs render to (digest {} expected, annotation {:?})",
                    rendered.digest,
                    cm.annotations().get(names::DIGEST_ANNOTATION)
                ));
            }
            if status.summary.as_ref().map(|s| s.digest.as_str()) != Some(rendered.digest.as_str())
            {
                problems.push(format!(
                    "report {name}: status names digest {:?}, the inputs render to {}",
                    status.summary.map(|s| s.digest),
                    rendered.digest
                ));
            }
        }
        for rec in &all_recs {
            let status = rec.status.clone().unwrap_or_default();
            let generation = rec.metadata.generation;
            if status.observed_generation != generation || !ready(&status.conditions, generation) {
                problems.push(format!(
                    "recommendation {}: not Ready for generation {generation:?}",
                    rec.name_any()
                ));
            }
        }
        // The operator's ConfigMaps: one per live report, none left over, none twice.
        let uids: BTreeSet<&str> = all_reports
            .iter()
            .filter_map(|r| r.metadata.uid.as_deref())
            .collect();
        let managed: Vec<&ConfigMap> = all_cms
            .iter()
            .filter(|cm| {
                cm.labels().get(names::MANAGED_BY_LABEL).map(String::as_str)
                    == Some(names::MANAGED_BY)
            })
            .collect();
        for cm in &managed {
            let alive = cm
                .owner_references()
                .iter()
                .any(|o| uids.contains(o.uid.as_str()));
            if !alive {
                problems.push(format!("ConfigMap {} is an orphan", cm.name_any()));
            }
        }
        if managed.len() != owned {
            problems.push(format!(
                "{} ConfigMaps carry the operator's label, {owned} reports have one",
                managed.len()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            let total = problems.len();
            problems.truncate(8);
            Err(format!("{total} problems, first: {}", problems.join("; ")))
        }
    }

    /// Waits until [`Self::consistent`] holds; returns how long that took. Panics with the last
    /// problems seen after `timeout`.
    pub async fn converge(&self, reports: usize, timeout: Duration) -> Duration {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < timeout {
            match self.consistent(reports).await {
                Ok(()) => return start.elapsed(),
                Err(problems) => last = problems,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("not consistent after {timeout:?}: {last}");
    }
}

fn ready(conditions: &[Condition], generation: Option<i64>) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True" && c.observed_generation == generation)
}

/// A small deterministic random source, so a failing run can be repeated with its seed
/// (CHAOS_SEED), without another crate.
pub struct Random(u64);

impl Random {
    pub fn from_env() -> Self {
        let seed = std::env::var("CHAOS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        println!("CHAOS_SEED={seed}");
        Random(seed.max(1))
    }

    /// xorshift64*.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A duration between `low` and `high`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = (high - low).as_millis().max(1) as u64;
        low + Duration::from_millis(self.next() % span)
    }
}
