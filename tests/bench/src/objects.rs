//! The objects measured: N reports of about 8 KB with 3 recommendations each.

use std::path::Path;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::runtime::{conditions, wait::await_condition};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::Error;
use tripreport_operator::api::names::LAST_APPLIED;

pub fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("tripreports.dev", "v1alpha1", kind))
}

/// About 8 KB of text, different per report.
pub fn body(i: usize) -> String {
    let sentence = format!(
        "Report {i}: the talks on operators, observability and delivery were worth the trip; \
         we would send the team again and watch the recordings together. "
    );
    sentence.repeat(8192 / sentence.len() + 1)[..8192].to_string()
}

pub fn report(i: usize) -> Value {
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

pub fn recommendation(i: usize, j: usize) -> Value {
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

pub async fn namespace(client: &Client, name: &str) -> Result<(), Error> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    namespaces.create(&PostParams::default(), &ns).await?;
    Ok(())
}

pub async fn install_crds(client: &Client, root: &Path) -> Result<(), Error> {
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

/// The object as created: with BENCH_KUBECTL_APPLY=1, as `kubectl apply` (client-side, as Argo
/// CD applies too) leaves it, with a copy of itself in the last-applied-configuration annotation.
fn as_created(mut object: Value) -> Value {
    if crate::env_number("BENCH_KUBECTL_APPLY", 0) == 1 {
        let copy = format!("{object}\n");
        object["metadata"]["annotations"] = json!({ LAST_APPLIED: copy });
    }
    object
}

/// Creates N reports and 3N recommendations in `ns`; returns the reports (for their uids).
pub async fn create_all(client: &Client, ns: &str, n: usize) -> Result<Vec<DynamicObject>, Error> {
    let reports: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("ConferenceReport"));
    let recs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &resource("TalkRecommendation"));
    let created: Vec<DynamicObject> = stream::iter(0..n)
        .map(|i| {
            let reports = reports.clone();
            async move {
                reports
                    .create(
                        &PostParams::default(),
                        &serde_json::from_value(as_created(report(i)))?,
                    )
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
                    &serde_json::from_value(as_created(recommendation(i, j)))?,
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
