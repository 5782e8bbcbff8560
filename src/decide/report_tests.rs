//! The report's decision as a table of cases: what each input gives, with the clock passed in.

use super::*;
use serde_json::json;

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_second(1_796_205_600).expect("a time"))
}

fn report(spec: serde_json::Value, annotations: serde_json::Value) -> ConferenceReport {
    let mut base = json!({
        "title": "KubeCon EU 2019", "language": "en",
        "conference": {"name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona"},
        "author": {"name": "Ana"}, "review": {"requiredApprovals": 0}
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "tripreports.dev/v1alpha1", "kind": "ConferenceReport",
        "metadata": {"name": "kubecon-eu-2019", "namespace": "team", "uid": "u-1",
                     "generation": 3, "annotations": annotations},
        "spec": base
    }))
    .expect("a report")
}

fn rec(name: &str, title: &str, rating: i64) -> Arc<TalkRecommendation> {
    Arc::new(
        serde_json::from_value(json!({
            "apiVersion": "tripreports.dev/v1alpha1", "kind": "TalkRecommendation",
            "metadata": {"name": name, "namespace": "team", "generation": 1},
            "spec": {"reportRef": {"name": "kubecon-eu-2019"}, "talk": {"title": title},
                     "rating": rating, "reason": "Worth it."}
        }))
        .expect("a recommendation"),
    )
}

/// (type, status, reason) of each condition, in order.
fn said(status: &ConferenceReportStatus) -> Vec<(String, String, String)> {
    status
        .conditions
        .iter()
        .map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone()))
        .collect()
}

fn c(type_: &str, status: &str, reason: &str) -> (String, String, String) {
    (type_.into(), status.into(), reason.into())
}

fn publish(decision: Decision) -> Box<Publish> {
    match decision {
        Decision::Publish(publish) => publish,
        _ => panic!("expected a summary to publish"),
    }
}

#[test]
fn suspended_writes_nothing() {
    let decision = decide(&report(json!({"suspend": true}), json!({})), vec![], &now());
    assert!(matches!(decision, Ok(Decision::Suspended)));
}

#[test]
fn an_invalid_spec_keeps_the_last_summary_and_says_why() {
    let bad = report(json!({"title": "   "}), json!({}));
    let Ok(Decision::Invalid { status, considered }) =
        decide(&bad, vec![rec("a", "Talk A", 5)], &now())
    else {
        panic!("expected Invalid");
    };
    assert_eq!(
        said(&status),
        [
            c("Ready", "False", "InvalidSpec"),
            c("Stalled", "True", "InvalidSpec"),
            c("Reviewed", "True", "Approved"),
            c("Summarized", "False", "InvalidSpec"),
        ]
    );
    assert!(
        status.conditions[0].message.contains("spec.title"),
        "{:?}",
        status.conditions[0]
    );
    assert_eq!(considered.len(), 1);
    assert_eq!(status.summary, None);
}

#[test]
fn a_valid_report_publishes_its_valid_recommendations_only() {
    let recs = vec![
        rec("b", "Talk B", 4),
        rec("blank", "   ", 5),
        rec("a", "Talk A", 5),
    ];
    let publish = publish(decide(&report(json!({}), json!({})), recs, &now()).expect("decided"));
    assert_eq!(publish.config_map, "kubecon-eu-2019-summary");
    assert_eq!(
        publish.rendered.total, 2,
        "the invalid one is neither rendered nor counted"
    );
    assert_eq!(
        publish
            .considered
            .keys()
            .collect::<std::collections::BTreeSet<_>>(),
        ["a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .iter()
            .collect()
    );
    let owner = &publish
        .desired
        .metadata
        .owner_references
        .as_ref()
        .expect("owned")[0];
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );

    let status = publish.published(&report(json!({}), json!({})), &now());
    assert_eq!(
        said(&status),
        [
            c("Ready", "True", "Published"),
            c("Reviewed", "True", "Approved"),
            c("Summarized", "True", "Published"),
        ]
    );
    assert!(
        status
            .conditions
            .iter()
            .all(|c| c.last_transition_time == now())
    );
    assert_eq!(status.recommendations.as_ref().map(|r| r.total), Some(2));
    assert_eq!(status.observed_generation, Some(3));
    assert_eq!(
        status.summary.map(|s| s.digest),
        Some(publish.rendered.digest.clone())
    );
}

#[test]
fn a_failed_publish_is_stalled_and_a_transient_one_progressing() {
    let the_report = report(json!({}), json!({}));
    let publish = publish(decide(&the_report, vec![], &now()).expect("decided"));
    let taken = Error::SummaryNameTaken {
        name: "kubecon-eu-2019-summary".into(),
    };
    let status = publish.failed(&the_report, &taken, &now());
    assert_eq!(
        said(&status),
        [
            c("Ready", "False", "SummaryNameTaken"),
            c("Stalled", "True", "SummaryNameTaken"),
            c("Reviewed", "True", "Approved"),
            c("Summarized", "False", "SummaryNameTaken"),
        ]
    );
    assert!(
        status.conditions[0]
            .message
            .contains("kubecon-eu-2019-summary")
    );
    let too_large = Error::RefusedBefore("etcdserver: request is too large".into());
    assert_eq!(
        said(&publish.failed(&the_report, &too_large, &now()))[0],
        c("Ready", "False", "SummaryFailed")
    );
    let unavailable = Error::Kube(kube::Error::Api(Box::new(kube::core::Status {
        code: 503,
        ..Default::default()
    })));
    let status = publish.progressing(&the_report, &unavailable, &now());
    assert_eq!(
        said(&status)[..2],
        [
            c("Ready", "False", "Progressing"),
            c("Reconciling", "True", "Progressing")
        ]
    );
}

#[test]
fn a_requested_at_is_acknowledged_in_the_status() {
    let asked = report(
        json!({}),
        json!({REQUESTED_AT_ANNOTATION: "2026-12-03T08:00:00Z"}),
    );
    let publish = publish(decide(&asked, vec![], &now()).expect("decided"));
    assert_eq!(
        publish
            .published(&asked, &now())
            .last_handled_reconcile_at
            .as_deref(),
        Some("2026-12-03T08:00:00Z")
    );
}

#[test]
fn a_body_in_another_language_is_said_in_summarized_and_warned_once_per_generation() {
    let body = "Fomos à KubeCon de Barcelona pela primeira vez, com estande próprio e seis pessoas \
                da equipe. O crescimento impressiona: Copenhague teve cerca de 4.300 participantes \
                e Barcelona 7.700. Como ficamos quase o tempo todo no estande, assistimos a poucas \
                palestras ao vivo.";
    let mut declared_en = report(json!({"body": body}), json!({}));
    let publish = publish(decide(&declared_en, vec![], &now()).expect("decided"));
    let warning = publish
        .language_warning(&declared_en)
        .expect("a Warning for the first time in this generation");
    assert!(warning.starts_with("The body reads as \"pt\""), "{warning}");
    let status = publish.published(&declared_en, &now());
    let summarized = conditions::find(&status.conditions, SUMMARIZED).expect("Summarized");
    assert!(
        summarized.message.ends_with(&warning),
        "{}",
        summarized.message
    );
    assert_eq!(
        conditions::find(&status.conditions, READY).map(|c| c.status.as_str()),
        Some("True"),
        "Ready is not affected"
    );
    // Once the status says it for this generation (after a restart too), not again.
    declared_en.status = Some(status);
    assert_eq!(publish.language_warning(&declared_en), None);
    // A new generation says it again.
    declared_en.metadata.generation = Some(4);
    assert!(publish.language_warning(&declared_en).is_some());
    // Declared right, nothing to say.
    let declared_pt = report(json!({"body": body, "language": "pt-BR"}), json!({}));
    let publish = super::super::report::decide(&declared_pt, vec![], &now()).expect("decided");
    let Decision::Publish(publish) = publish else {
        panic!("expected a summary")
    };
    assert_eq!(publish.language_warning(&declared_pt), None);
}
