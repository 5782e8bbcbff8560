//! Statuses that say only what is true: an invalid recommendation is neither rendered nor
//! counted, a recommendation is Ready only while its report's summary lists it, and a suspended
//! report does not freeze its recommendations, which are objects of their own.

use serde_json::json;

use crate::operator::{
    THREE_TITLES, condition, fixture, recommendation, report, three_talks, wait_summary,
};

#[tokio::test]
async fn an_invalid_recommendation_is_neither_rendered_nor_counted() {
    let f = fixture("invalid-rec", true).await;
    three_talks(&f).await;
    // Valid for the API server's schema, invalid for the operator: a blank title.
    let mut blank = recommendation("blank", "kubecon-eu-2019", "   ", 5);
    blank["spec"]["talk"]["title"] = json!("   ");
    f.apply_ok(&f.recs, blank).await;
    f.wait_condition(&f.recs, "blank", "Ready", "False", Some("InvalidSpec"))
        .await;
    let summary = wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let data = summary.data.unwrap_or_default();
    let markdown = data.get("summary.md").cloned().unwrap_or_default();
    assert!(
        !markdown.lines().any(|l| l.trim_end() == "###"),
        "an empty heading:\n{markdown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(data.get("summary.json").map_or("{}", |s| s.as_str()))
            .expect("summary.json");
    let names: Vec<&str> = json["recommendations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(!names.contains(&"blank"), "{names:?}");
    let report = f
        .wait_condition(&f.reports, "kubecon-eu-2019", "Ready", "True", None)
        .await;
    assert_eq!(
        report.data["status"]["recommendations"]["total"], 3,
        "{}",
        report.data["status"]
    );
}

#[tokio::test]
async fn a_recommendation_is_ready_only_while_its_reports_summary_lists_it() {
    let f = fixture("rec-honest", true).await;
    three_talks(&f).await;
    wait_summary(&f, "kubecon-eu-2019", &THREE_TITLES).await;
    let rec = f
        .wait_condition(&f.recs, "loki", "Ready", "True", Some("Resolved"))
        .await;
    assert_eq!(
        condition(&rec, "Ready").map(|c| c["message"].clone()),
        Some(json!(
            "Listed in the summary of ConferenceReport kubecon-eu-2019."
        ))
    );

    // The report becomes invalid (valid for the schema: a blank author name).
    let mut invalid = report("kubecon-eu-2019");
    invalid["spec"]["author"]["name"] = json!("  ");
    f.apply_ok(&f.reports, invalid).await;
    f.wait_condition(
        &f.reports,
        "kubecon-eu-2019",
        "Ready",
        "False",
        Some("InvalidSpec"),
    )
    .await;
    let rec = f
        .wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportInvalid"))
        .await;
    let message = condition(&rec, "Ready").map(|c| c["message"].to_string());
    assert!(
        message.as_deref().is_some_and(|m| m.contains("invalid")),
        "{message:?}"
    );

    // Fixed: listed again, with no edit to the recommendation.
    f.apply_ok(&f.reports, report("kubecon-eu-2019")).await;
    f.wait_condition(&f.recs, "loki", "Ready", "True", Some("Resolved"))
        .await;

    // Suspended: the recommendation is still reconciled (its edit is observed) and says the
    // summary is not being updated.
    let mut suspended = report("kubecon-eu-2019");
    suspended["spec"]["suspend"] = json!(true);
    f.apply_ok(&f.reports, suspended).await;
    f.wait_condition(&f.recs, "loki", "Ready", "False", Some("ReportSuspended"))
        .await;
    let mut edited = recommendation(
        "loki",
        "kubecon-eu-2019",
        "Grafana Loki: like Prometheus, but for logs",
        4,
    );
    edited["spec"]["review"] =
        json!({"reviewer": "carol", "verdict": "ChangesRequested", "comment": "cite the talk"});
    f.apply_ok(&f.recs, edited).await;
    let rec = f
        .wait_condition(
            &f.recs,
            "loki",
            "Reviewed",
            "False",
            Some("ChangesRequested"),
        )
        .await;
    assert_eq!(
        condition(&rec, "Ready").map(|c| c["reason"].clone()),
        Some(json!("ReportSuspended")),
        "{}",
        rec.data["status"]
    );
}

const PORTUGUESE: &str = "Fomos à KubeCon de Barcelona pela primeira vez, com estande próprio e seis pessoas da equipe.\n\
         O crescimento impressiona: Copenhague teve cerca de 4.300 participantes e Barcelona 7.700.\n\n\
         Como ficamos quase o tempo todo no estande, assistimos a poucas palestras ao vivo.";

/// A body written in another language than `spec.language` is signalled, not hidden: the
/// Summarized condition says so and a `LanguageMismatch` Warning is given once per generation
/// (not again on a reconcile of the same generation); Ready is not affected. Fixing the
/// language resolves it with no other edit.
#[tokio::test]
async fn a_body_in_another_language_is_a_warning_once_per_generation() {
    use k8s_openapi::api::core::v1::Event;
    use kube::api::{Api, ListParams};

    let f = fixture("language", true).await;
    let mut declared_en = report("kubecon-eu-2019");
    declared_en["spec"]["body"] = json!(PORTUGUESE);
    f.apply_ok(&f.reports, declared_en.clone()).await;
    let status = f
        .wait_condition(
            &f.reports,
            "kubecon-eu-2019",
            "Ready",
            "True",
            Some("Published"),
        )
        .await;
    let summarized = condition(&status, "Summarized").expect("Summarized");
    let message = summarized["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("The body reads as \"pt\"") && message.contains("not \"en\""),
        "{message}"
    );
    crate::operator::assert_event(&f, "kubecon-eu-2019", "Warning", "LanguageMismatch").await;

    // The same generation reconciled again (a requested-at): no second Warning.
    declared_en["metadata"]["annotations"] = json!({"tripreports.dev/requested-at": "again"});
    f.apply_ok(&f.reports, declared_en).await;
    crate::support::eventually(
        "the requested reconcile to be handled",
        std::time::Duration::from_secs(30),
        || async {
            let object = f
                .reports
                .get("kubecon-eu-2019")
                .await
                .map_err(|e| e.to_string())?;
            let handled = &object.data["status"]["lastHandledReconcileAt"];
            if handled == "again" {
                Ok(())
            } else {
                Err(handled.to_string())
            }
        },
    )
    .await;
    let events: Api<Event> = Api::namespaced(f.env.client.clone(), &f.env.namespace);
    let said: i32 = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some("LanguageMismatch"))
        .map(|e| e.count.unwrap_or(1))
        .sum();
    assert_eq!(
        said, 1,
        "LanguageMismatch said {said} times for one generation"
    );

    // Declared right: resolved, no word of it left.
    let mut declared_pt = report("kubecon-eu-2019");
    declared_pt["spec"]["language"] = json!("pt");
    declared_pt["spec"]["body"] = json!(PORTUGUESE);
    f.apply_ok(&f.reports, declared_pt).await;
    crate::support::eventually(
        "the Summarized message to drop the mismatch",
        std::time::Duration::from_secs(30),
        || async {
            let object = f
                .reports
                .get("kubecon-eu-2019")
                .await
                .map_err(|e| e.to_string())?;
            let message = condition(&object, "Summarized")
                .and_then(|c| c["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            if message.contains("reads as") {
                Err(message)
            } else {
                Ok(())
            }
        },
    )
    .await;
}
