use super::*;
use crate::controller::memory::fingerprint;

const SUMMARY: &str = "ConfigMap/ns/a-summary";

fn summary() -> String {
    SUMMARY.to_string()
}

/// The cache has not moved past the write's view.
fn not_moved() -> bool {
    false
}

#[test]
fn writes_are_known_over_the_view_they_were_made_on_tell_echoes_and_go_with_their_owner() {
    let written = Written::default();
    let (d1, d2) = (fingerprint(&[b"1"]), fingerprint(&[b"2"]));
    let other = || Some(fingerprint(&[b"someone else's"]));
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "".into(),
        d1,
        "7".into(),
        not_moved,
    );
    assert!(written.already(SUMMARY, "", &d1));
    assert!(!written.already(SUMMARY, "", &d2));
    assert!(!written.already(SUMMARY, "7", &d1), "a newer view");
    assert!(written.echo(SUMMARY, Some("7"), other), "its own write");
    assert!(!written.already(SUMMARY, "", &d1), "the echo ends it");
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "7".into(),
        d2,
        "9".into(),
        not_moved,
    );
    assert!(
        !written.echo(SUMMARY, Some("8"), other),
        "someone else's edit"
    );
    assert_eq!(written.len(), 0);
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "9".into(),
        d1,
        "10".into(),
        not_moved,
    );
    written.wrote(
        "R/ns/b".into(),
        "R/ns/b".into(),
        "3".into(),
        d1,
        "4".into(),
        not_moved,
    );
    written.retain(|owner| owner == "R/ns/b");
    assert_eq!(written.len(), 1);
    assert!(written.already("R/ns/b", "3", &d1));
}

#[test]
fn an_echo_that_comes_before_the_answer_is_told_by_its_content() {
    let written = Written::default();
    let (digest, content) = (fingerprint(&[b"rendering"]), fingerprint(&[b"content"]));
    written.sending(summary(), "R/ns/a".into(), "".into(), digest, content);
    assert!(
        written.already(SUMMARY, "", &digest),
        "in flight, not sent twice"
    );
    // Someone else's change while the write is in flight wakes the report.
    assert!(!written.echo(SUMMARY, Some("6"), || Some(fingerprint(&[b"other"]))));
    assert!(
        written.echo(SUMMARY, Some("7"), || Some(content)),
        "its own content"
    );
    // Whatever follows before the answer is told apart again: a deletion never is an echo.
    assert!(!written.echo(SUMMARY, Some("8"), || None), "deleted");
    assert!(!written.echo(SUMMARY, Some("9"), || Some(fingerprint(&[b"x"]))));
    // The answer finds the echo came: nothing left to expect.
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "".into(),
        digest,
        "7".into(),
        || true,
    );
    assert_eq!(written.len(), 0);
    assert!(
        !written.echo(SUMMARY, Some("10"), || Some(content)),
        "a later event is not"
    );
}

#[test]
fn an_answered_write_waits_for_its_echo_unless_the_cache_has_moved_on() {
    let written = Written::default();
    let (digest, content) = (fingerprint(&[b"rendering"]), fingerprint(&[b"content"]));
    written.sending(summary(), "R/ns/a".into(), "".into(), digest, content);
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "".into(),
        digest,
        "7".into(),
        not_moved,
    );
    assert_eq!(written.len(), 1);
    assert!(written.echo(SUMMARY, Some("7"), || Some(fingerprint(&[b"x"]))));
    assert_eq!(written.len(), 0);

    // A status: its echo reached the cache before the answer came.
    let status = "TalkRecommendation/ns/t".to_string();
    written.wrote(
        status.clone(),
        status.clone(),
        "3".into(),
        digest,
        "4".into(),
        || true,
    );
    assert_eq!(written.len(), 0, "the cache already shows it");
    // Or after: any event about the object ends the entry.
    written.wrote(
        status.clone(),
        status.clone(),
        "4".into(),
        digest,
        "5".into(),
        not_moved,
    );
    assert!(written.already(&status, "4", &digest));
    written.arrived(&status);
    assert_eq!(written.len(), 0);
}

/// A summary's echo can reach the cache before the answer and be handed to its observer (the
/// summary trigger, another task) only after it: the operator's own write must not then pass
/// for someone else's change, which would render the report again.
#[test]
fn a_summary_echo_in_the_cache_but_not_yet_observed_is_still_told_as_own() {
    let written = Written::default();
    let (digest, content) = (fingerprint(&[b"rendering"]), fingerprint(&[b"content"]));
    written.sending(summary(), "R/ns/a".into(), "".into(), digest, content);
    written.wrote(
        summary(),
        "R/ns/a".into(),
        "".into(),
        digest,
        "7".into(),
        || true,
    );
    assert!(
        written.echo(SUMMARY, Some("7"), || Some(content)),
        "its own write, observed late"
    );
    assert_eq!(written.len(), 0, "the echo ends it");
}

#[test]
fn a_failed_write_expects_nothing_and_arrivals_leave_writes_in_flight() {
    let written = Written::default();
    let (digest, content) = (fingerprint(&[b"rendering"]), fingerprint(&[b"content"]));
    written.sending(summary(), "R/ns/a".into(), "".into(), digest, content);
    written.arrived(SUMMARY);
    assert_eq!(written.len(), 1, "still in flight");
    written.failed(SUMMARY);
    assert_eq!(written.len(), 0);
    assert!(!written.echo(SUMMARY, Some("7"), || Some(content)));
}

/// Converging writes every status and summary at once, and each entry goes with its echo:
/// the table that held them all must not stay that large for good.
#[test]
fn a_memo_lets_go_of_the_room_a_burst_took() {
    let written = Written::default();
    let d = fingerprint(&[b"1"]);
    for i in 0..10_000 {
        let key = format!("R/ns/{i}");
        written.wrote(key.clone(), key, "1".into(), d, "2".into(), not_moved);
    }
    for i in 0..10_000 {
        written.arrived(&format!("R/ns/{i}"));
    }
    written.wrote(
        "R/ns/a".into(),
        "R/ns/a".into(),
        "1".into(),
        d,
        "2".into(),
        not_moved,
    );
    written.retain(|_| true);
    assert_eq!(written.len(), 1);
    let capacity = written.lock(|w| w.capacity()).unwrap_or_default();
    assert!(capacity < 100, "{capacity}");
    assert!(written.already("R/ns/a", "1", &d));
}
