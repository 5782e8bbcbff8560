//! samples/ is what a newcomer applies first (and what `make run` applies): it must be accepted
//! and converge to the states its README promises.

use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind};

use crate::operator::condition;
use crate::support::{Operator, eventually, install_crds};

const NAMESPACE: &str = "tripreports-samples";

#[tokio::test]
async fn the_samples_are_accepted_and_converge_as_their_readme_says() {
    let cp = testenv::shared();
    let client = cp.admin_client().await.expect("admin client");
    install_crds(&client).await;
    let output = cp
        .kubectl()
        .args([
            "apply",
            "--server-side",
            "-f",
            concat!(env!("CARGO_MANIFEST_DIR"), "/samples/"),
        ])
        .output()
        .expect("kubectl apply");
    assert!(
        output.status.success(),
        "kubectl apply -f samples/ failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let operator = Operator::start(cp, NAMESPACE);

    let resource =
        |kind| ApiResource::from_gvk(&GroupVersionKind::gvk("tripreports.dev", "v1alpha1", kind));
    let reports: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), NAMESPACE, &resource("ConferenceReport"));
    let recs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), NAMESPACE, &resource("TalkRecommendation"));
    let state = |api: Api<DynamicObject>, name: &'static str, type_: &'static str| async move {
        let object = api.get(name).await.map_err(|e| e.to_string())?;
        let c = condition(&object, type_).ok_or("no condition yet")?;
        Ok::<_, String>(format!(
            "{}/{}",
            c["status"].as_str().unwrap_or("?"),
            c["reason"].as_str().unwrap_or("?")
        ))
    };
    let expect =
        |api: Api<DynamicObject>, name: &'static str, type_: &'static str, want: &'static str| {
            let state = &state;
            async move {
                eventually(
                    &format!("{name} {type_} to be {want}"),
                    Duration::from_secs(60),
                    || async {
                        let seen = state(api.clone(), name, type_).await?;
                        if seen == want { Ok(()) } else { Err(seen) }
                    },
                )
                .await
            }
        };

    for report in [
        "kubecon-eu-2018-copenhagen",
        "kubecon-eu-2019-barcelona",
        "kubecon-eu-2019-barcelona-pt",
    ] {
        expect(reports.clone(), report, "Ready", "True/Published").await;
    }
    expect(
        reports.clone(),
        "kubecon-eu-2018-copenhagen",
        "Reviewed",
        "True/Approved",
    )
    .await;
    expect(
        reports.clone(),
        "kubecon-eu-2019-barcelona",
        "Reviewed",
        "True/Approved",
    )
    .await;
    expect(
        reports.clone(),
        "kubecon-eu-2019-barcelona-pt",
        "Reviewed",
        "False/AwaitingApproval",
    )
    .await;
    expect(
        recs.clone(),
        "eu2019-rbac-debugging",
        "Ready",
        "False/ReportNotFound",
    )
    .await;
    expect(
        recs.clone(),
        "eu2019-grafana-loki",
        "Ready",
        "True/Resolved",
    )
    .await;

    let pt = reports
        .get("kubecon-eu-2019-barcelona-pt")
        .await
        .expect("the Portuguese report");
    let message = condition(&pt, "Reviewed").expect("Reviewed")["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("is ignored"),
        "the self-approval is said to be ignored: {message}"
    );

    drop(operator);
    // The samples' namespace is fixed; leave the shared control plane as other tests expect it.
    let namespaces: Api<Namespace> = Api::all(client);
    namespaces
        .delete(NAMESPACE, &DeleteParams::default())
        .await
        .expect("delete the samples");
}
