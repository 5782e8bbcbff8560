//! The big red button: the control ConfigMap, followed for as long as the operator runs.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Api, Client};
use tracing::warn;

use super::Gate;
use crate::api::names::CONTROL_CONFIG_MAP;

/// Follows the control ConfigMap for as long as the operator runs.
pub async fn follow_pause_button(client: Client, namespace: String, gate: Arc<Gate>) {
    let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={CONTROL_CONFIG_MAP}"));
    let mut events = crate::watch_health::retried(watcher(api, config)).boxed();
    let mut seen = false;
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => seen = false,
            Ok(Event::InitApply(cm) | Event::Apply(cm)) => {
                seen = true;
                gate.set_paused(is_paused(&cm));
            }
            Ok(Event::Delete(_)) => gate.set_paused(false),
            Ok(Event::InitDone) if !seen => gate.set_paused(false),
            Ok(Event::InitDone) => {}
            // The last known state holds; the watch retries with backoff by itself.
            Err(e) => {
                warn!(namespace, config_map = CONTROL_CONFIG_MAP, error = %e, "cannot watch the control ConfigMap")
            }
        }
    }
}

/// Only the exact value "true" pauses: a typo must not silently stop the operator... nor start
/// it, so anything else is reported.
fn is_paused(cm: &ConfigMap) -> bool {
    match cm
        .data
        .as_ref()
        .and_then(|d| d.get("paused"))
        .map(String::as_str)
    {
        Some("true") => true,
        None | Some("false") | Some("") => false,
        Some(other) => {
            warn!(
                value = other,
                config_map = CONTROL_CONFIG_MAP,
                "paused is neither \"true\" nor \"false\"; not pausing"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_true_pauses() {
        let cm = |value: &str| ConfigMap {
            data: Some([("paused".to_string(), value.to_string())].into()),
            ..Default::default()
        };
        assert!(is_paused(&cm("true")));
        assert!(!is_paused(&cm("false")));
        assert!(!is_paused(&cm("yes")));
        assert!(!is_paused(&ConfigMap::default()));
    }
}
