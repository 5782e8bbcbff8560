use super::*;
use crate::reading::model::{Document, Published, Summary, Talk};

pub(crate) fn entry(ns: &str, name: &str, conference: &str, year: i32, talks: &[Talk]) -> Entry {
    Entry {
        namespace: ns.to_string(),
        name: name.to_string(),
        title: format!("Report {name}"),
        conference: conference.to_string(),
        year,
        language: "en".to_string(),
        themes: vec![],
        talks: None,
        state: None,
        summary: Summary::Published(Box::new(Published {
            markdown: String::new(),
            document: Document {
                recommendations: talks.to_vec(),
                ..Document::default()
            },
            stale: false,
        })),
    }
}

pub(crate) fn talk(title: &str, video: Option<&str>, rating: u8, by: &str) -> Talk {
    Talk {
        title: title.to_string(),
        video_url: video.map(str::to_string),
        rating,
        recommended_by: by.to_string(),
        speakers: vec![format!("Speaker of {title}")],
        ..Talk::default()
    }
}

#[test]
fn the_same_talk_in_two_reports_is_one_row_with_a_count_and_a_mean() {
    let a = entry(
        "team-a",
        "a",
        "KubeCon EU",
        2019,
        &[talk("Grafana Loki", None, 5, "ana")],
    );
    let b = entry(
        "team-b",
        "b",
        "KubeCon EU",
        2019,
        &[talk("grafana  LOKI", None, 4, "bruno")],
    );
    let merged = merged_talks(&[&a, &b]);
    assert_eq!(merged.len(), 1);
    assert_eq!(
        merged[0].title, "Grafana Loki",
        "the first spelling is kept"
    );
    assert_eq!(merged[0].count(), 2);
    assert!((merged[0].mean_rating() - 4.5).abs() < 1e-9);
    let who: Vec<&str> = merged[0]
        .recommendations
        .iter()
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(who, ["ana", "bruno"]);
}

#[test]
fn a_shared_video_merges_talks_whose_titles_differ() {
    let a = entry(
        "ns",
        "a",
        "C",
        2019,
        &[talk(
            "Loki: logs",
            Some("https://YouTube.com/watch?v=AbC/"),
            5,
            "x",
        )],
    );
    let b = entry(
        "ns",
        "b",
        "C",
        2019,
        &[talk(
            "Grafana Loki",
            Some("https://youtube.com/watch?v=AbC"),
            3,
            "y",
        )],
    );
    let c = entry(
        "ns",
        "c",
        "C",
        2019,
        &[talk(
            "Other",
            Some("https://youtube.com/watch?v=abc"),
            4,
            "z",
        )],
    );
    let merged = merged_talks(&[&a, &b, &c]);
    assert_eq!(merged.len(), 2, "video ids are case-sensitive: {merged:?}");
    assert_eq!(merged[0].count(), 2);
    assert_eq!(
        merged[0].video_url.as_deref(),
        Some("https://YouTube.com/watch?v=AbC/")
    );
}

#[test]
fn a_title_and_a_video_chain_three_recommendations_into_one() {
    // a~b by title, b~c by video: one talk, whichever order union-find meets them in.
    let a = entry("ns", "a", "C", 2019, &[talk("T", None, 5, "x")]);
    let b = entry(
        "ns",
        "b",
        "C",
        2019,
        &[talk("t", Some("https://v/1"), 4, "y")],
    );
    let c = entry(
        "ns",
        "c",
        "C",
        2019,
        &[talk("Other title", Some("https://v/1"), 3, "z")],
    );
    for order in [[&a, &b, &c], [&c, &a, &b], [&b, &c, &a]] {
        let merged = merged_talks(&order);
        assert_eq!(merged.len(), 1, "{order:?}");
        assert_eq!(merged[0].count(), 3);
        assert!((merged[0].mean_rating() - 4.0).abs() < 1e-9);
    }
}

#[test]
fn talks_are_ordered_by_count_then_mean_then_title() {
    let a = entry(
        "ns",
        "a",
        "C",
        2019,
        &[
            talk("B", None, 3, "x"),
            talk("A", None, 3, "x"),
            talk("Z", None, 5, "x"),
        ],
    );
    let b = entry("ns", "b", "C", 2019, &[talk("B", None, 3, "y")]);
    let titles: Vec<String> = merged_talks(&[&a, &b])
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(titles, ["B", "Z", "A"]);
}

#[test]
fn reports_without_a_summary_add_no_talks() {
    let mut a = entry("ns", "a", "C", 2019, &[talk("T", None, 5, "x")]);
    a.summary = Summary::Missing;
    assert!(merged_talks(&[&a]).is_empty());
}

#[test]
fn conferences_group_by_name_and_year_newest_first_with_unique_slugs() {
    let entries = vec![
        entry("ns", "a", "KubeCon + CloudNativeCon Europe", 2018, &[]),
        entry("ns", "b", "KubeCon + CloudNativeCon Europe", 2019, &[]),
        entry("ns", "c", "KubeCon + CloudNativeCon Europe", 2019, &[]),
        entry("ns", "d", "KubeCon - CloudNativeCon Europe", 2019, &[]),
        entry("ns", "e", "Cloud Native São Paulo", 2019, &[]),
    ];
    let groups = conferences(&entries);
    let seen: Vec<(&str, i32, usize)> = groups
        .iter()
        .map(|g| (g.slug.as_str(), g.year, g.reports.len()))
        .collect();
    assert_eq!(
        seen,
        [
            ("cloud-native-sao-paulo-2019", 2019, 1),
            ("kubecon-cloudnativecon-europe-2019", 2019, 2),
            ("kubecon-cloudnativecon-europe-2019-2", 2019, 1),
            ("kubecon-cloudnativecon-europe-2018", 2018, 1),
        ]
    );
}

#[test]
fn a_slug_is_never_empty() {
    assert_eq!(slug("日本", 2024), "conference-2024");
    assert_eq!(slug("  KCD!  ", 2025), "kcd-2025");
}
