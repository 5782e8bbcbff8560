//! The operator's Events on the real API server: an Event repeated about an unchanged object is
//! one Event whose series counts the repeats, as `kubectl get events` shows it, and a repeat
//! whose Event has gone (deleted, or past the API server's TTL) is written anew.

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::events::{Event, EventType, Reporter};
use kube::{Client, Resource as _};
use tripreport_operator::controller::events::Recorder;

use crate::support::setup;

/// The Events about `name`, each as (reason, note, series count: 1 without a series).
async fn events_about(client: &Client, namespace: &str, name: &str) -> Vec<(String, String, i32)> {
    let events: Api<K8sEvent> = Api::namespaced(client.clone(), namespace);
    let mut found: Vec<_> = events
        .list(&Default::default())
        .await
        .expect("list Events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| {
            (
                e.reason.unwrap_or_default(),
                e.note.unwrap_or_default(),
                e.series.map_or(1, |s| s.count),
            )
        })
        .collect();
    found.sort();
    found
}

fn warning(reason: &str, note: &str) -> Event {
    Event {
        type_: EventType::Warning,
        reason: reason.into(),
        note: Some(note.into()),
        action: "Reconcile".into(),
        secondary: None,
    }
}

#[tokio::test]
async fn a_repeated_event_is_one_series_and_a_vanished_one_is_written_anew() {
    let env = setup("events").await;
    let ns = env.namespace.as_str();
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), ns);
    let object = config_maps
        .create(
            &PostParams::default(),
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "regarded"},
                "data": {"a": "b"},
            }))
            .expect("a ConfigMap"),
        )
        .await
        .expect("create the ConfigMap");
    let reference = object.object_ref(&());
    let reporter = Reporter {
        controller: "tripreport-operator".into(),
        instance: Some("test".into()),
    };
    let recorder = Recorder::new(&env.client, &reporter);
    let publish = |event: Event| {
        let (recorder, reference) = (&recorder, &reference);
        async move { recorder.publish(&event, reference).await }
    };

    for _ in 0..3 {
        publish(warning("SummaryFailed", "first"))
            .await
            .expect("publish");
    }
    publish(warning("Other", "second")).await.expect("publish");
    assert_eq!(
        events_about(&env.client, ns, "regarded").await,
        vec![
            ("Other".into(), "second".into(), 1),
            ("SummaryFailed".into(), "first".into(), 3),
        ],
        "three of one reason make one Event counted 3; another reason is another Event"
    );

    // The Event goes (an administrator, or the API server's one-hour TTL); the next repeat
    // must still be written, as a new Event.
    let events: Api<K8sEvent> = Api::namespaced(env.client.clone(), ns);
    events
        .delete_collection(&DeleteParams::default(), &Default::default())
        .await
        .expect("delete the Events");
    publish(warning("SummaryFailed", "again"))
        .await
        .expect("a repeat of a deleted Event is written anew, not refused");
    assert_eq!(
        events_about(&env.client, ns, "regarded").await,
        vec![("SummaryFailed".into(), "again".into(), 1)],
    );
}
