//! Writing Events: notes cut to the API server's limit, and names kube-runtime's Recorder would
//! make too long shortened.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Client;
use kube::api::Api;
use kube::runtime::events::{Event, EventType, Reporter};

/// The API server refuses an Event whose note is over 1 KiB; the whole story is in the
/// condition, so a longer note is cut, at a character boundary, and says so.
pub fn event_note(mut note: String) -> String {
    const MAX: usize = 1024;
    const CUT: &str = " [...]";
    if note.len() > MAX {
        let mut end = MAX - CUT.len();
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push_str(CUT);
    }
    note
}

/// kube-runtime's Recorder names an Event `<object name>.<16 hex digits>`, which passes the
/// 253 characters a name may have when the object's name is longer than this.
pub const MAX_NAME_FOR_RECORDER: usize = 253 - 17;

/// The Event kube-runtime's Recorder would write, named from a shortened object name, for objects
/// whose names are too long for the Recorder's naming.
pub async fn publish_long_named(
    client: &Client,
    reporter: &Reporter,
    event: &Event,
    reference: &ObjectReference,
) -> Result<(), kube::Error> {
    use k8s_openapi::api::events::v1::Event as K8sEvent;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
    let now = k8s_openapi::jiff::Timestamp::now();
    let name = reference.name.as_deref().unwrap_or_default();
    let mut prefix = name[..name.len().min(MAX_NAME_FOR_RECORDER)].to_string();
    // A name ends with an alphanumeric character.
    while prefix.ends_with(['.', '-']) {
        prefix.pop();
    }
    let namespace = reference
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let k8s_event = K8sEvent {
        action: Some(event.action.clone()),
        reason: Some(event.reason.clone()),
        event_time: Some(MicroTime(now)),
        regarding: Some(reference.clone()),
        note: event.note.clone(),
        metadata: ObjectMeta {
            namespace: Some(namespace.clone()),
            name: Some(format!("{prefix}.{:x}", now.as_nanosecond())),
            ..Default::default()
        },
        reporting_controller: Some(reporter.controller.clone()),
        reporting_instance: Some(
            reporter
                .instance
                .clone()
                .unwrap_or_else(|| reporter.controller.clone()),
        ),
        type_: Some(
            match event.type_ {
                EventType::Normal => "Normal",
                EventType::Warning => "Warning",
            }
            .to_string(),
        ),
        related: event.secondary.clone(),
        ..Default::default()
    };
    Api::<K8sEvent>::namespaced(client.clone(), &namespace)
        .create(&kube::api::PostParams::default(), &k8s_event)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_notes_fit_the_api_servers_limit() {
        assert_eq!(event_note("short".into()), "short");
        let long = event_note("é".repeat(1000));
        assert!(
            long.len() <= 1024 && long.ends_with(" [...]"),
            "{}",
            long.len()
        );
        assert_eq!(event_note("a".repeat(1024)).len(), 1024);
    }
}
