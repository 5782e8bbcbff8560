//! The operator end to end, against the real control plane: what a user sees with kubectl.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
    PostParams,
};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Operator, TestEnv, eventually, install_crds, setup};

const TIMEOUT: Duration = Duration::from_secs(60);

fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("tripreports.dev", "v1alpha1", kind))
}

pub struct Fixture {
    pub env: TestEnv,
    pub reports: Api<DynamicObject>,
    pub recs: Api<DynamicObject>,
    pub config_maps: Api<ConfigMap>,
    pub operator: Option<Operator>,
}

pub async fn fixture(name: &str, with_operator: bool) -> Fixture {
    let env = setup(name).await;
    install_crds(&env.client).await;
    let reports = Api::namespaced_with(
        env.client.clone(),
        &env.namespace,
        &resource("ConferenceReport"),
    );
    let recs = Api::namespaced_with(
        env.client.clone(),
        &env.namespace,
        &resource("TalkRecommendation"),
    );
    let config_maps = Api::namespaced(env.client.clone(), &env.namespace);
    let operator = with_operator.then(|| Operator::start(env.cp, &env.namespace));
    Fixture {
        env,
        reports,
        recs,
        config_maps,
        operator,
    }
}

impl Fixture {
    /// Applies `object` as a user would with `kubectl apply --server-side`.
    pub async fn apply(
        &self,
        api: &Api<DynamicObject>,
        object: Value,
    ) -> Result<DynamicObject, kube::Error> {
        let name = object["metadata"]["name"]
            .as_str()
            .expect("a name")
            .to_string();
        api.patch(
            &name,
            &PatchParams::apply("kubectl").force(),
            &Patch::Apply(&object),
        )
        .await
    }

    pub async fn apply_ok(&self, api: &Api<DynamicObject>, object: Value) -> DynamicObject {
        self.apply(api, object)
            .await
            .expect("the API server accepts the object")
    }

    /// Waits until `name`'s condition `type_` has `status` (and `reason`, if given) for the
    /// object's current generation, and returns the object.
    pub async fn wait_condition(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        type_: &str,
        status: &str,
        reason: Option<&str>,
    ) -> DynamicObject {
        let what = format!("{name} to have {type_}={status} ({reason:?})");
        let result = tokio::time::timeout(
            TIMEOUT + Duration::from_secs(5),
            eventually(&what, TIMEOUT, || async {
                let object = api.get(name).await.map_err(|e| e.to_string())?;
                let generation = object.metadata.generation;
                let found = condition(&object, type_);
                match &found {
                    Some(c)
                        if c["status"] == status
                            && reason.is_none_or(|r| c["reason"] == r)
                            && c["observedGeneration"].as_i64() == generation
                            && object.data["status"]["observedGeneration"].as_i64()
                                == generation =>
                    {
                        Ok(object)
                    }
                    _ => Err(format!("{}", object.data["status"])),
                }
            }),
        )
        .await;
        match result {
            Ok(object) => object,
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }

    pub fn operator_logs(&self) -> String {
        self.operator
            .as_ref()
            .map(Operator::logs)
            .unwrap_or_default()
    }
}

pub fn condition<'a>(object: &'a DynamicObject, type_: &str) -> Option<&'a Value> {
    object.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

pub fn report(name: &str) -> Value {
    json!({
        "apiVersion": "tripreports.dev/v1alpha1",
        "kind": "ConferenceReport",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/instance": "reports-app"}},
        "spec": {
            "title": "What we saw at KubeCon Barcelona",
            "conference": {
                "name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona",
                "country": "Spain", "startDate": "2019-05-20", "endDate": "2019-05-23", "attendees": 7700
            },
            "author": {"name": "Jane Doe", "organization": "Example Co"},
            "language": "en",
            "body": "Three days, seven thousand people, and a lot to bring home.\n\nThe talks below are the ones we would watch again <first>.",
            "highlights": ["Operators need honest statuses", "Loki indexes labels, not text"],
            "themes": ["observability", "operators"],
            "review": {"requiredApprovals": 1, "approvals": [{"reviewer": "bob", "comment": "looks right"}]}
        }
    })
}

pub fn recommendation(name: &str, report: &str, title: &str, rating: i64) -> Value {
    json!({
        "apiVersion": "tripreports.dev/v1alpha1",
        "kind": "TalkRecommendation",
        "metadata": {"name": name},
        "spec": {
            "reportRef": {"name": report},
            "talk": {"title": title, "speakers": ["A. Speaker"], "track": "Observability",
                     "videoURL": format!("https://videos.example.com/{name}")},
            "rating": rating,
            "reason": format!("Why {title} matters: it changed how we work."),
            "review": {"reviewer": "bob", "verdict": "Approved"}
        }
    })
}

/// The titles of `three_talks`, in the order the summary lists them: rating, then title.
pub const THREE_TITLES: [&str; 3] = [
    "Grafana Loki: like Prometheus, but for logs",
    "Canary releases with Argo",
    "Inside the controllers of the control plane",
];

pub async fn three_talks(f: &Fixture) {
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.apply_ok(
        &f.recs,
        recommendation(
            "loki",
            "kubecon-eu-2019",
            "Grafana Loki: like Prometheus, but for logs",
            5,
        ),
    )
    .await;
    f.apply_ok(
        &f.recs,
        recommendation(
            "controllers",
            "kubecon-eu-2019",
            "Inside the controllers of the control plane",
            4,
        ),
    )
    .await;
    f.apply_ok(
        &f.recs,
        recommendation("canary", "kubecon-eu-2019", "Canary releases with Argo", 4),
    )
    .await;
}

/// The summary's data once it lists exactly `titles` in this order.
pub async fn wait_summary(f: &Fixture, report: &str, titles: &[&str]) -> ConfigMap {
    let cm_name = format!("{report}-summary");
    eventually(
        &format!("{cm_name} to list {titles:?}"),
        TIMEOUT,
        || async {
            let cm = f
                .config_maps
                .get_opt(&cm_name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no ConfigMap yet")?;
            let json: Value = serde_json::from_str(
                cm.data
                    .as_ref()
                    .and_then(|d| d.get("summary.json"))
                    .ok_or("no summary.json")?,
            )
            .map_err(|e| e.to_string())?;
            let listed: Vec<&str> = json["recommendations"]
                .as_array()
                .ok_or("no recommendations")?
                .iter()
                .filter_map(|r| r["title"].as_str())
                .collect();
            if listed == titles {
                Ok(cm.clone())
            } else {
                Err(format!("lists {listed:?}"))
            }
        },
    )
    .await
}

fn expected(file: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/expected")
        .join(file);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, actual).expect("write the expected file");
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        expected == actual,
        "{file} differs from what the operator published:\n{actual}"
    );
}

/// The digest as API.md and docs/summary-format.md define it, computed independently.
fn digest(data: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in data {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// Waits (bounded) for an Event of `type_` and `reason` about the object `name`.
pub async fn assert_event(f: &Fixture, name: &str, type_: &str, reason: &str) {
    let events: Api<Event> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    eventually(
        &format!("a {type_} Event {reason} about {name}"),
        Duration::from_secs(30),
        || async {
            let list = events
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let about: Vec<_> = list
                .items
                .iter()
                .filter(|e| e.involved_object.name.as_deref() == Some(name))
                .map(|e| {
                    (
                        e.type_.clone().unwrap_or_default(),
                        e.reason.clone().unwrap_or_default(),
                    )
                })
                .collect();
            if about.iter().any(|(t, r)| t == type_ && r == reason) {
                Ok(())
            } else {
                Err(format!("{about:?}"))
            }
        },
    )
    .await;
}

/// `kubectl get` rows split into cells (two or more spaces apart).
fn table(output: &[u8]) -> Vec<Vec<String>> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_report_with_three_recommendations_is_published_and_shown_by_kubectl() {
    let f = fixture("published", true).await;
    three_talks(&f).await;
    // The report is applied before its recommendations, so it may be published first without
    // them (its status then says so) and then again with them.
    let report = eventually(
        "kubecon-eu-2019 published with its three recommendations",
        TIMEOUT,
        || async {
            let report = f.reports.get("kubecon-eu-2019").await;
            let report = report.map_err(|e| e.to_string())?;
            let published = condition(&report, "Ready")
                .is_some_and(|c| c["status"] == "True" && c["reason"] == "Published");
            if published && report.data["status"]["recommendations"]["total"] == 3 {
                Ok(report)
            } else {
                Err(report.data["status"].to_string())
            }
        },
    )
    .await;
    assert_eq!(
        condition(&report, "Summarized").expect("Summarized")["status"],
        "True"
    );
    assert_eq!(
        condition(&report, "Reviewed").expect("Reviewed")["reason"],
        "Approved"
    );
    assert!(condition(&report, "Stalled").is_none() && condition(&report, "Reconciling").is_none());
    let status = &report.data["status"];
    assert_eq!(
        status["recommendations"],
        json!({"total": 3, "approved": 3, "pending": 0})
    );
    assert_eq!(status["reviewed"], true);
    assert_eq!(status["summarized"], true);

    let cm = wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let data = cm.data.clone().expect("data");
    expected("three-talks.summary.md", &data["summary.md"]);
    expected("three-talks.summary.json", &data["summary.json"]);

    // Owned by the report, labelled as the operator's, never with the report's own labels.
    let owners = cm.owner_references();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].kind, "ConferenceReport");
    assert_eq!(owners[0].uid, report.uid().expect("uid"));
    assert_eq!(
        (owners[0].controller, owners[0].block_owner_deletion),
        (Some(true), Some(true))
    );
    assert_eq!(
        cm.labels(),
        &BTreeMap::from([
            (
                "app.kubernetes.io/managed-by".to_string(),
                "tripreport-operator".to_string()
            ),
            (
                "tripreports.dev/report".to_string(),
                "kubecon-eu-2019".to_string()
            ),
        ])
    );
    let digest = digest(&data);
    assert_eq!(
        cm.annotations().get("tripreports.dev/digest"),
        Some(&digest)
    );
    assert_eq!(
        status["summary"],
        json!({"configMapName": "kubecon-eu-2019-summary", "digest": digest})
    );

    let output = f
        .env
        .cp
        .kubectl()
        .args(["get", "conferencereports", "-n", &f.env.namespace])
        .output()
        .expect("kubectl get");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = table(&output.stdout);
    assert_eq!(
        rows[0],
        [
            "NAME",
            "CONFERENCE",
            "YEAR",
            "LANG",
            "TALKS",
            "REVIEWED",
            "SUMMARIZED",
            "READY",
            "AGE"
        ]
    );
    assert_eq!(
        rows[1][..8],
        [
            "kubecon-eu-2019",
            "KubeCon + CloudNativeCon Europe",
            "2019",
            "en",
            "3",
            "true",
            "true",
            "True"
        ]
    );
    let wide = f
        .env
        .cp
        .kubectl()
        .args(["get", "tripreports", "-n", &f.env.namespace, "-o", "wide"])
        .output()
        .expect("kubectl get tripreports");
    let text = String::from_utf8_lossy(&wide.stdout);
    assert!(text.contains("SUSPENDED"), "{text}");
    assert!(
        text.contains("talkrecommendation.tripreports.dev/loki"),
        "the category lists both kinds:\n{text}"
    );

    assert_event(&f, "kubecon-eu-2019", "Normal", "SummaryPublished").await;
}

/// The size of one of the operator's memos (`tripreport_remembered{memo}`), from /metrics.
async fn remembered(operator: &Operator, memo: &str) -> Result<f64, String> {
    let (_, metrics) = operator.get("/metrics").await?;
    let prefix = format!("tripreport_remembered{{memo=\"{memo}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .ok_or(format!("no memo {memo} in /metrics"))?
        .parse()
        .map_err(|e| format!("{e}"))
}

#[tokio::test]
async fn at_rest_the_operator_expects_no_echo_of_its_writes() {
    let f = fixture("at-rest", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.wait_condition(
        &f.reports,
        "kubecon-eu-2019",
        "Ready",
        "True",
        Some("Published"),
    )
    .await;
    let operator = f.operator.as_ref().expect("an operator");
    // Each status and summary written comes back through the watch; once it has, nothing of
    // the write need be kept (it was one entry per object written, for good). The gauges are
    // counted when /metrics is read (at most once a second), the memos' after the states': a
    // count that shows all four objects Ready shows the memo after their writes came back.
    let ready = |kind: &str, reason: &str| {
        format!(r#"tripreport_ready{{kind="{kind}",status="True",reason="{reason}"}}"#)
    };
    eventually("the operator to expect no echo", TIMEOUT, || async {
        let report = operator
            .metric(&ready("ConferenceReport", "Published"))
            .await;
        let recs = operator
            .metric(&ready("TalkRecommendation", "Resolved"))
            .await;
        let n = remembered(operator, "written").await?;
        if (report, recs, n) == (1.0, 3.0, 0.0) {
            Ok(())
        } else {
            Err(format!(
                "Ready: {report} report, {recs} recommendations; {n} writes remembered"
            ))
        }
    })
    .await;
}

#[tokio::test]
async fn changing_a_rating_reorders_and_deleting_a_recommendation_removes_it() {
    let f = fixture("reorder", true).await;
    three_talks(&f).await;
    let first = wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    // Once rendered, the operator lets go of the report's body; the next render reads it again.
    // What reading the body gave (abstract, language, projects) is kept for its generation.
    let operator = f.operator.as_ref().expect("an operator");
    eventually("the operator to hold no report body", TIMEOUT, || async {
        let bodies = remembered(operator, "bodies").await?;
        let readings = remembered(operator, "readings").await?;
        if (bodies, readings) == (0.0, 1.0) {
            Ok(())
        } else {
            Err(format!("{bodies} bodies held, {readings} readings kept"))
        }
    })
    .await;
    f.apply_ok(
        &f.recs,
        recommendation(
            "controllers",
            "kubecon-eu-2019",
            "Inside the controllers of the control plane",
            5,
        ),
    )
    .await;
    let reordered = wait_summary(
        &f,
        "kubecon-eu-2019",
        &[
            "Grafana Loki: like Prometheus, but for logs",
            "Inside the controllers of the control plane",
            "Canary releases with Argo",
        ],
    )
    .await;
    let read = |cm: &ConfigMap| -> serde_json::Value {
        let json = &cm.data.as_ref().expect("data")["summary.json"];
        let summary: serde_json::Value = serde_json::from_str(json).expect("summary.json");
        json!([summary["abstract"], summary["detectedLanguage"]])
    };
    assert_eq!(
        read(&reordered),
        read(&first),
        "the kept reading renders as the first one did"
    );
    let markdown = &reordered.data.expect("data")["summary.md"];
    assert!(
        markdown.contains("Three days, seven thousand people, and a lot to bring home."),
        "the body is in the summary rendered after it was let go:\n{markdown}"
    );
    f.recs
        .delete("loki", &DeleteParams::default())
        .await
        .expect("delete loki");
    let cm = wait_summary(
        &f,
        "kubecon-eu-2019",
        &[
            "Inside the controllers of the control plane",
            "Canary releases with Argo",
        ],
    )
    .await;
    assert!(!cm.data.expect("data")["summary.md"].contains("Grafana Loki"));
    let report = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_eq!(report.data["status"]["recommendations"]["total"], 2);
}

#[tokio::test]
async fn hand_edits_and_deletions_of_the_summary_are_undone() {
    let f = fixture("hand-edits", true).await;
    three_talks(&f).await;
    let titles = THREE_TITLES;
    let published = wait_summary(&f, "kubecon-eu-2019", &titles)
        .await
        .data
        .expect("data");

    // The operator watches its summaries as metadata only: it sees these through the field
    // managers the API server records. Edited (kubectl edit), taken over by another apply
    // (kubectl apply --server-side --force-conflicts), a key removed.
    let forced = PatchParams::apply("kubectl").force();
    let edits = [
        (
            PatchParams::default(),
            Patch::Merge(json!({"data": {"summary.md": "edited by hand"}})),
        ),
        (
            forced,
            Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                                "data": {"summary.json": "{}"}})),
        ),
        (
            PatchParams::default(),
            Patch::Json(
                serde_json::from_value(json!([{"op": "remove", "path": "/data/summary.md"}]))
                    .expect("a JSON patch"),
            ),
        ),
    ];
    for (i, (params, edit)) in edits.iter().enumerate() {
        f.config_maps
            .patch("kubecon-eu-2019-summary", params, edit)
            .await
            .expect("edit the summary by hand");
        eventually(&format!("hand edit {i} to be undone"), TIMEOUT, || async {
            let cm = f
                .config_maps
                .get("kubecon-eu-2019-summary")
                .await
                .map_err(|e| e.to_string())?;
            if cm.data.as_ref() == Some(&published) {
                Ok(())
            } else {
                Err("still edited".to_string())
            }
        })
        .await;
    }

    f.config_maps
        .delete("kubecon-eu-2019-summary", &DeleteParams::default())
        .await
        .expect("delete the summary by hand");
    let restored = wait_summary(&f, "kubecon-eu-2019", &titles).await;
    assert_eq!(restored.data.as_ref(), Some(&published));
}

#[tokio::test]
async fn deleting_the_report_garbage_collects_its_summary() {
    let f = fixture("report-gc", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    f.reports
        .delete("kubecon-eu-2019", &DeleteParams::default())
        .await
        .expect("delete the report");
    eventually(
        "the summary to be garbage-collected",
        Duration::from_secs(90),
        || async {
            match f.config_maps.get_opt("kubecon-eu-2019-summary").await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".to_string()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    // Its recommendations now dangle, and say so.
    f.wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportNotFound"))
        .await;
}

#[tokio::test]
async fn a_recommendation_created_before_its_report_resolves_when_the_report_appears() {
    let f = fixture("dangling", true).await;
    f.apply_ok(
        &f.recs,
        recommendation(
            "loki",
            "kubecon-eu-2019",
            "Grafana Loki: like Prometheus, but for logs",
            5,
        ),
    )
    .await;
    let rec = f
        .wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportNotFound"))
        .await;
    let message = condition(&rec, "Ready").expect("Ready")["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(
        message.contains("ConferenceReport kubecon-eu-2019 does not exist"),
        "{message}"
    );
    assert_event(&f, "loki", "Warning", "ReportNotFound").await;

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.recs, "loki", "Ready", "True", Some("Resolved"))
        .await;
    wait_summary(
        &f,
        "kubecon-eu-2019",
        &["Grafana Loki: like Prometheus, but for logs"],
    )
    .await;
}

#[tokio::test]
async fn a_self_approval_does_not_count_and_the_message_says_why() {
    let f = fixture("self-approval", true).await;
    let mut object = report("self-approved");
    object["spec"]["review"] =
        json!({"requiredApprovals": 1, "approvals": [{"reviewer": "Jane Doe"}]});
    f.apply_ok(&f.reports, object).await;
    let report = f
        .wait_condition(
            &f.reports,
            "self-approved",
            "Reviewed",
            "False",
            Some("AwaitingApproval"),
        )
        .await;
    let message = condition(&report, "Reviewed").expect("Reviewed")["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert_eq!(
        message,
        "0 of 1 required approvals so far. The approval by Jane Doe is ignored: the author cannot approve their own report."
    );
    assert_eq!(report.data["status"]["reviewed"], false);
    // Review state does not gate Ready.
    f.wait_condition(&f.reports, "self-approved", "Ready", "True", None)
        .await;
}

#[tokio::test]
async fn a_semantic_problem_is_a_condition_and_a_warning_and_keeps_the_last_good_summary() {
    let f = fixture("semantic", true).await;
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    let good = wait_summary(&f, "kubecon-eu-2019", &[]).await.data;

    let mut invalid = report("kubecon-eu-2019");
    invalid["spec"]["conference"]["startDate"] = json!("2018-05-20");
    invalid["spec"]["title"] = json!("A new title that must not be published");
    f.apply_ok(&f.reports, invalid).await;
    let invalid = f
        .wait_condition(
            &f.reports,
            "kubecon-eu-2019",
            "Ready",
            "False",
            Some("InvalidSpec"),
        )
        .await;
    let stalled =
        condition(&invalid, "Stalled").expect("Stalled is set for a spec that needs a person");
    assert_eq!(
        (stalled["status"].as_str(), stalled["reason"].as_str()),
        (Some("True"), Some("InvalidSpec"))
    );
    let message = stalled["message"].as_str().expect("message");
    assert!(
        message.contains(
            "spec.conference.startDate: 2018-05-20 is not in 2019 (spec.conference.year)"
        ),
        "{message}"
    );
    assert!(
        condition(&invalid, "Reconciling").is_none(),
        "Reconciling and Stalled are never both present"
    );
    assert_eq!(
        condition(&invalid, "Summarized").expect("Summarized")["status"],
        "False"
    );
    assert_event(&f, "kubecon-eu-2019", "Warning", "InvalidSpec").await;
    let kept = f
        .config_maps
        .get("kubecon-eu-2019-summary")
        .await
        .expect("the summary is kept")
        .data;
    assert_eq!(
        kept, good,
        "an invalid spec must not replace the last good summary"
    );

    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    let fixed = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert!(condition(&fixed, "Stalled").is_none());
}

/// What is wrong, how to make a valid object so, and what the API server must say.
type Case = (&'static str, Box<dyn Fn(&mut Value)>, &'static str);

/// One rule of the schema or CEL at a time, each rejected by the API server at apply time with
/// the field named.
#[tokio::test]
async fn schema_and_cel_violations_are_rejected_at_apply_time_with_the_field_named() {
    let f = fixture("schema", false).await;
    let cases: Vec<Case> = vec![
        (
            "endDate before startDate",
            Box::new(|r| r["spec"]["conference"]["endDate"] = json!("2019-05-01")),
            "spec.conference: Invalid value: \"object\": endDate must not be before startDate",
        ),
        (
            "language",
            Box::new(|r| r["spec"]["language"] = json!("Portuguese")),
            "spec.language: Invalid value: \"string\": must be a BCP 47 language tag such as en, pt or pt-BR",
        ),
        (
            "year",
            Box::new(|r| r["spec"]["conference"]["year"] = json!(1889)),
            "spec.conference.year: Invalid value: 1889: spec.conference.year in body should be greater than or equal to 1990",
        ),
        (
            "title length",
            Box::new(|r| r["spec"]["title"] = json!("x".repeat(201))),
            "spec.title: Too long: may not be more than 200 bytes",
        ),
        (
            "theme slug",
            Box::new(|r| r["spec"]["themes"] = json!(["CI/CD"])),
            "spec.themes[0]: Invalid value: \"CI/CD\": spec.themes[0] in body should match",
        ),
        (
            "duplicate theme",
            Box::new(|r| r["spec"]["themes"] = json!(["ci", "ci"])),
            "spec.themes[1]: Duplicate value: \"ci\"",
        ),
        (
            "duplicate reviewer",
            Box::new(|r| {
                r["spec"]["review"]["approvals"] = json!([{"reviewer": "bob"}, {"reviewer": "bob"}])
            }),
            "spec.review.approvals[1]: Duplicate value: {\"reviewer\":\"bob\"}",
        ),
        (
            "required approvals",
            Box::new(|r| r["spec"]["review"]["requiredApprovals"] = json!(11)),
            "spec.review.requiredApprovals: Invalid value: 11: spec.review.requiredApprovals in body should be less than or equal to 10",
        ),
        (
            "missing author",
            Box::new(|r| {
                r["spec"].as_object_mut().expect("spec").remove("author");
            }),
            "spec.author: Required value",
        ),
        (
            "bad date",
            Box::new(|r| r["spec"]["conference"]["startDate"] = json!("20 May 2019")),
            "spec.conference.startDate: Invalid value: \"20 May 2019\": spec.conference.startDate in body must be of type date",
        ),
    ];
    for (what, change, message) in &cases {
        let mut object = report("invalid");
        change(&mut object);
        // Created as client-side `kubectl apply` creates: server-side apply refuses duplicate
        // list keys earlier, while building its patch, with a less helpful 500.
        let object: DynamicObject = serde_json::from_value(object).expect("an object");
        match f.reports.create(&PostParams::default(), &object).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{what}: {}", status.message);
                assert!(
                    status.message.contains(message),
                    "{what}: expected {message:?} in\n{}",
                    status.message
                );
            }
            other => panic!("{what}: the API server accepted it: {other:?}"),
        }
    }

    let rec_cases: Vec<Case> = vec![
        (
            "javascript URL",
            Box::new(|r| r["spec"]["talk"]["videoURL"] = json!("javascript:alert(1)")),
            "spec.talk.videoURL: Invalid value: \"string\": must be an http or https URL",
        ),
        (
            "data URL",
            Box::new(|r| {
                r["spec"]["talk"]["slidesURL"] = json!("data:text/html,<script>alert(1)</script>")
            }),
            "spec.talk.slidesURL: Invalid value: \"string\": must be an http or https URL",
        ),
        (
            "rating",
            Box::new(|r| r["spec"]["rating"] = json!(6)),
            "spec.rating: Invalid value: 6: spec.rating in body should be less than or equal to 5",
        ),
        (
            "verdict",
            Box::new(|r| r["spec"]["review"]["verdict"] = json!("LGTM")),
            "spec.review.verdict: Unsupported value: \"LGTM\": supported values: \"Approved\", \"ChangesRequested\"",
        ),
        (
            "reason",
            Box::new(|r| r["spec"]["reason"] = json!("")),
            "spec.reason: Invalid value: \"\": spec.reason in body should be at least 1 chars long",
        ),
    ];
    for (what, change, message) in &rec_cases {
        let mut object = recommendation("invalid", "kubecon-eu-2019", "Loki", 5);
        change(&mut object);
        match f.apply(&f.recs, object).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{what}: {}", status.message);
                assert!(
                    status.message.contains(message),
                    "{what}: expected {message:?} in\n{}",
                    status.message
                );
            }
            other => panic!("{what}: the API server accepted it: {other:?}"),
        }
    }

    f.apply_ok(
        &f.recs,
        recommendation("moving", "kubecon-eu-2019", "Loki", 5),
    )
    .await;
    let moved = f
        .apply(
            &f.recs,
            recommendation("moving", "another-report", "Loki", 5),
        )
        .await;
    match moved {
        Err(kube::Error::Api(status)) => assert!(
            status.message.contains("spec.reportRef: Invalid value: \"object\": reportRef is immutable; delete and recreate the recommendation to move it"),
            "{}",
            status.message
        ),
        other => panic!("reportRef changed: {other:?}"),
    }
}

/// After convergence, nothing the operator manages changes and no Event is added: not a status,
/// not the summary, not a resourceVersion.
#[tokio::test]
async fn at_steady_state_the_operator_makes_no_writes() {
    let f = fixture("idle", true).await;
    three_talks(&f).await;
    f.apply_ok(
        &f.recs,
        recommendation("dangling", "no-such-report", "A talk about nothing", 2),
    )
    .await;
    f.wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    f.wait_condition(
        &f.recs,
        "dangling",
        "Ready",
        "False",
        Some("ReportNotFound"),
    )
    .await;
    for rec in ["loki", "controllers", "canary"] {
        f.wait_condition(&f.recs, rec, "Ready", "True", None).await;
    }
    // Let any write still in flight land before the snapshot.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let snapshot = || async {
        let mut versions = BTreeMap::new();
        for (kind, api) in [("report", &f.reports), ("rec", &f.recs)] {
            for o in api.list(&ListParams::default()).await.expect("list").items {
                versions.insert(
                    format!("{kind}/{}", o.name_any()),
                    o.resource_version().unwrap_or_default(),
                );
            }
        }
        for cm in f
            .config_maps
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
        {
            versions.insert(
                format!("configmap/{}", cm.name_any()),
                cm.resource_version().unwrap_or_default(),
            );
        }
        let events: Api<Event> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
        for e in events
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
        {
            versions.insert(
                format!("event/{}", e.name_any()),
                format!(
                    "{}x{}",
                    e.resource_version().unwrap_or_default(),
                    e.count.unwrap_or(1)
                ),
            );
        }
        versions
    };
    let before = snapshot().await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let after = snapshot().await;
    assert_eq!(
        before,
        after,
        "the operator wrote during the idle window; its log:\n{}",
        f.operator_logs()
    );
}
