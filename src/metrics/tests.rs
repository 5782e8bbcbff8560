use super::*;

/// The error counters alerts take increase() of exist at 0 before the first failure.
#[test]
fn error_series_start_at_zero() {
    let text = Metrics::default().encode().unwrap();
    for sample in [
        r#"tripreport_reconcile_errors_total{kind="ConferenceReport",reason="Forbidden"} 0"#,
        r#"tripreport_reconcile_errors_total{kind="TalkRecommendation",reason="Connection"} 0"#,
        r#"tripreport_watch_errors_total{kind="ConfigMap"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == sample), "no {sample} in:\n{text}");
    }
}

/// A state no object is in any more reads 0, not its last count, so an alert on it resolves.
#[test]
fn states_that_empty_read_zero() {
    use crate::controller::states::States;
    let metrics = Metrics::default();
    let mut states = States::default();
    states.ready.insert(("False", "InvalidSpec"), 2);
    states.stalled.insert("InvalidSpec", 2);
    metrics.set_states("ConferenceReport", &states);
    let text = metrics.encode().unwrap();
    assert!(
        text.contains(
            r#"tripreport_ready{kind="ConferenceReport",status="False",reason="InvalidSpec"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tripreport_stalled{kind="ConferenceReport",reason="InvalidSpec"} 2"#),
        "{text}"
    );
    let mut fixed = States::default();
    fixed.ready.insert(("True", "Published"), 2);
    metrics.set_states("ConferenceReport", &fixed);
    let text = metrics.encode().unwrap();
    assert!(
        text.contains(
            r#"tripreport_ready{kind="ConferenceReport",status="False",reason="InvalidSpec"} 0"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tripreport_stalled{kind="ConferenceReport",reason="InvalidSpec"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"tripreport_ready{kind="ConferenceReport",status="True",reason="Published"} 2"#
        ),
        "{text}"
    );
}

#[test]
fn metrics_are_exposed_with_fixed_labels() {
    let metrics = Metrics::default();
    metrics.reconciled("ConferenceReport", "success", Duration::from_millis(3));
    metrics.failed("ConferenceReport", "Forbidden");
    metrics.wrote("configmaps");
    metrics.set_leader(true);
    let text = metrics.encode().expect("encode");
    assert!(
        text.contains(r#"tripreport_reconciles_total{kind="ConferenceReport",result="success"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"tripreport_reconcile_errors_total{kind="ConferenceReport",reason="Forbidden"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tripreport_writes_total{resource="configmaps"} 1"#),
        "{text}"
    );
    assert!(text.contains("tripreport_leader 1"), "{text}");
    assert!(text.contains("tripreport_paused 0"), "{text}");
    assert!(
        text.contains(r#"tripreport_reconcile_duration_seconds_count{kind="ConferenceReport"} 1"#),
        "{text}"
    );
}

/// Gauges computed on scrape are fresh at the first scrape and computed at most once a second,
/// however often /metrics is read.
#[test]
fn gauges_are_computed_when_scraped_at_most_once_a_second() {
    let metrics = Metrics::default();
    let passes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = passes.clone();
    metrics.on_scrape(move |metrics| {
        let n = counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        metrics.set_objects("ConferenceReport", n);
    });
    let objects = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(r#"tripreport_objects{kind="ConferenceReport"} "#))
            .map(str::to_string)
    };
    let first = metrics.encode().unwrap();
    assert_eq!(objects(&first).as_deref(), Some("1"), "{first}");
    for _ in 0..10 {
        metrics.encode().unwrap();
    }
    assert_eq!(passes.load(std::sync::atomic::Ordering::Relaxed), 1);
}
