//! Property tests of validation and rendering, over random adversarial input: arbitrary
//! Unicode (right-to-left text, combining marks, emoji, NUL and other control characters),
//! HTML and script fragments, Markdown syntax, `javascript:`/`data:`/`vbscript:` links in any
//! case and behind whitespace, text far beyond the API's bounds, thousands of recommendations.
//!
//! What must hold is in `invariants.rs` (shared with the fuzz targets in fuzz/) and written
//! from docs/summary-format.md. `PROPTEST_CASES=10000 cargo test --test properties` runs more
//! cases; a failure is saved under tests/properties/ as a `.proptest-regressions` file, which
//! is replayed first on the next run (commit it with the fix).

#[path = "invariants.rs"]
mod invariants;
#[path = "rendered_html.rs"]
mod rendered_html;
mod summaries;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use tripreport_operator::api::{
    Approval, Author, Conference, ConferenceReportSpec, ReportRef, Review, Talk,
    TalkRecommendationSpec, TalkReview, Verdict,
};
use tripreport_operator::decide::review::report_review;
use tripreport_operator::decide::summary::{recommendation_reviewed, render_report};
use tripreport_operator::decide::validation::{
    describe, is_date, validate_recommendation, validate_report,
};
use tripreport_operator::render::{self, RecommendationInput, Rendered, ReportInput, is_web_url};

use invariants::{FRAGMENTS, URL_PREFIXES};

/// `cases` unless PROPTEST_CASES says otherwise: the defaults keep the whole file at a few
/// seconds in a debug build.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // tests/properties/main.proptest-regressions
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

// ---- strategies ----

/// A piece of adversarial text.
fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
        3 => any::<char>().prop_map(String::from),
        2 => "[ -~]{1,6}",
        1 => prop::char::range('\u{0}', '\u{A0}').prop_map(String::from),
    ]
}

/// Short adversarial text, possibly empty.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(atom(), 0..10).prop_map(|atoms| atoms.concat())
}

/// Text that is not blank (what validation wants), adversarial otherwise.
fn nonblank() -> impl Strategy<Value = String> {
    (text(), "[a-zA-Z0-9😀ש]", text()).prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

/// Adversarial text of up to `max` characters: a short piece repeated.
fn long(max: usize) -> impl Strategy<Value = String> {
    (text(), 0..=max).prop_map(|(piece, n)| {
        let piece = if piece.is_empty() { "x".into() } else { piece };
        piece.chars().cycle().take(n).collect()
    })
}

/// Mostly short text, sometimes up to `max` characters.
fn sized(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![4 => text(), 1 => long(max)]
}

fn url() -> impl Strategy<Value = String> {
    (prop::sample::select(URL_PREFIXES), sized(2200))
        .prop_map(|(prefix, rest)| format!("{prefix}{rest}"))
}

/// Dates as people get them wrong, and right: signs, short and long parts, other digits.
fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        (1985..2106i32, 0..14u32, 0..33u32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        // A good date with one character changed.
        (
            1990..2101i32,
            1..13u32,
            1..29u32,
            0..10usize,
            prop::sample::select(&['+', '-', ' ', '٣', '３', 'x', '0'][..])
        )
            .prop_map(|(y, m, d, at, c)| {
                let mut chars: Vec<char> = format!("{y:04}-{m:02}-{d:02}").chars().collect();
                chars[at] = c;
                chars.into_iter().collect()
            }),
        "[0-9+ ]{4}-[0-9+ ]{2}-[0-9+ ]{2}",
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}",
        "[0-9٠-٩０-９]{4}-[0-9٠-٩]{2}-[0-9٠-٩]{2}",
        text(),
    ]
}

fn report_spec() -> impl Strategy<Value = ConferenceReportSpec> {
    let conference = (
        sized(300),
        prop_oneof![1985..2106i32, any::<i32>()],
        proptest::option::of(sized(150)),
        proptest::option::of(sized(150)),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(
            |(name, year, city, country, start_date, end_date, attendees)| Conference {
                name,
                year,
                city,
                country,
                start_date,
                end_date,
                attendees,
            },
        );
    let approval = (text(), proptest::option::of(text()))
        .prop_map(|(reviewer, comment)| Approval { reviewer, comment });
    let review = (-2..13i32, prop::collection::vec(approval, 0..24)).prop_map(
        |(required_approvals, approvals)| Review {
            required_approvals,
            approvals,
        },
    );
    (
        sized(300),
        conference,
        (text(), proptest::option::of(text())),
        prop_oneof!["[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}", text()],
        proptest::option::of(prop_oneof![6 => text(), 2 => long(40_000), 1 => long(300_000)]),
        proptest::option::of(prop::collection::vec(sized(700), 0..60)),
        proptest::option::of(prop::collection::vec(sized(80), 0..25)),
        proptest::option::of(review),
    )
        .prop_map(
            |(
                title,
                conference,
                (name, organization),
                language,
                body,
                highlights,
                themes,
                review,
            )| {
                ConferenceReportSpec {
                    title,
                    conference,
                    author: Author { name, organization },
                    language,
                    body,
                    highlights,
                    themes,
                    review,
                    suspend: None,
                }
            },
        )
}

fn rec_spec() -> impl Strategy<Value = TalkRecommendationSpec> {
    let review = (text(), any::<bool>(), proptest::option::of(text())).prop_map(
        |(reviewer, approved, comment)| TalkReview {
            reviewer,
            verdict: if approved {
                Verdict::Approved
            } else {
                Verdict::ChangesRequested
            },
            comment,
        },
    );
    (
        sized(400),
        prop::collection::vec(sized(120), 0..13),
        proptest::option::of(sized(120)),
        proptest::option::of(url()),
        proptest::option::of(url()),
        prop_oneof![8 => 1..=5i32, 1 => -2..=8i32, 1 => any::<i32>()],
        sized(2600),
        proptest::option::of(text()),
        proptest::option::of(review),
    )
        .prop_map(
            |(
                title,
                speakers,
                track,
                video_url,
                slides_url,
                rating,
                reason,
                recommended_by,
                review,
            )| {
                TalkRecommendationSpec {
                    report_ref: ReportRef {
                        name: "report".into(),
                    },
                    talk: Talk {
                        title,
                        speakers,
                        track,
                        video_url,
                        slides_url,
                    },
                    rating,
                    reason,
                    recommended_by,
                    review,
                }
            },
        )
}

/// A metadata.name: usually a Kubernetes name, sometimes anything.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?",
        1 => sized(300),
    ]
}

/// One recommendation as the renderer gets it.
#[derive(Debug, Clone)]
struct Rec {
    name: String,
    spec: TalkRecommendationSpec,
    recommended_by: String,
    reviewed: bool,
}

fn rec() -> impl Strategy<Value = Rec> {
    (name(), rec_spec(), text(), any::<bool>()).prop_map(
        |(name, spec, recommended_by, reviewed)| Rec {
            recommended_by: spec.recommended_by.clone().unwrap_or(recommended_by),
            name,
            spec,
            reviewed,
        },
    )
}

/// A report with its recommendations, and a seed to shuffle them with.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    report: ConferenceReportSpec,
    reviewed: bool,
    approvals: usize,
    recs: Vec<Rec>,
    seed: u64,
}

fn case(recs: impl Strategy<Value = Vec<Rec>>) -> impl Strategy<Value = Case> {
    (
        name(),
        report_spec(),
        any::<bool>(),
        prop_oneof![0..25usize, any::<usize>()],
        recs,
        any::<u64>(),
    )
        .prop_map(|(name, report, reviewed, approvals, recs, seed)| Case {
            name,
            report,
            reviewed,
            approvals,
            recs,
            seed,
        })
}

/// Up to 3000 recommendations made of a few, each with its own name (and the same name more
/// than once where `duplicates`): enough to pass the budget many times over.
fn many_recs() -> impl Strategy<Value = Vec<Rec>> {
    (
        prop::collection::vec(rec(), 1..5),
        0..3000usize,
        any::<bool>(),
    )
        .prop_map(|(templates, n, duplicates)| {
            (0..n)
                .map(|i| {
                    let mut rec = templates[i % templates.len()].clone();
                    let id = if duplicates { i / 2 } else { i };
                    rec.name = format!("{}-{id:05}", clip_name(&rec.name));
                    rec
                })
                .collect()
        })
}

fn clip_name(name: &str) -> String {
    name.chars().take(40).collect()
}

// ---- helpers ----

/// A deterministic permutation of 0..n from `seed` (Fisher-Yates over splitmix64).
fn permutation(n: usize, mut seed: u64) -> Vec<usize> {
    let mut next = move || {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    order
}

fn inputs(recs: &[Rec]) -> Vec<RecommendationInput<'_>> {
    recs.iter()
        .map(|r| RecommendationInput {
            name: &r.name,
            spec: &r.spec,
            recommended_by: &r.recommended_by,
            reviewed: r.reviewed,
        })
        .collect()
}

fn report_input(c: &Case) -> ReportInput<'_> {
    ReportInput {
        name: &c.name,
        spec: &c.report,
        reviewed: c.reviewed,
        approvals_counted: c.approvals,
    }
}

/// Renders the case, checks every invariant, and that rendering again, with the
/// recommendations in another order, gives the same bytes and digest.
fn render_and_check(c: &Case) -> Result<Rendered, TestCaseError> {
    let recs = inputs(&c.recs);
    let r = render::render(&report_input(c), &recs);
    invariants::check_with_inputs(&report_input(c), &recs, &r).map_err(TestCaseError::fail)?;
    prop_assert_eq!(
        &render::render(&report_input(c), &recs),
        &r,
        "not deterministic"
    );
    let shuffled: Vec<RecommendationInput> = permutation(recs.len(), c.seed)
        .into_iter()
        .map(|i| RecommendationInput { ..recs[i] })
        .collect();
    let again = render::render(&report_input(c), &shuffled);
    prop_assert!(
        again == r,
        "the order of the input changed the summary ({} vs {})",
        again.digest,
        r.digest
    );
    Ok(r)
}

/// A real calendar date written YYYY-MM-DD with ASCII digits: the CRD's `format: date`.
fn date_oracle(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| s[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

// ---- rendering ----

proptest! {
    #![proptest_config(config(96))]

    /// Any report with a few recommendations: deterministic, in any input order; no raw HTML,
    /// entity or link but ours, to http(s) only, in summary.md; summary.json in the documented
    /// schema; within the budget; both files saying what the inputs say.
    #[test]
    fn any_report_renders_within_every_documented_invariant(
        c in case(prop::collection::vec(rec(), 0..8))
    ) {
        render_and_check(&c)?;
    }

    /// Links only for http(s) URLs, whatever the case or what comes before the scheme; every
    /// other URL is left out of both files.
    #[test]
    fn only_http_and_https_urls_become_links(
        c in case(prop::collection::vec(rec(), 1..4)),
        urls in prop::collection::vec(url(), 2..8),
    ) {
        let mut c = c;
        for (i, rec) in c.recs.iter_mut().enumerate() {
            rec.spec.talk.video_url = Some(urls[(2 * i) % urls.len()].clone());
            rec.spec.talk.slides_url = Some(urls[(2 * i + 1) % urls.len()].clone());
        }
        let r = render_and_check(&c)?;
        let links =
            r.markdown.matches("[Video](").count() + r.markdown.matches("[Slides](").count();
        let web = c
            .recs
            .iter()
            .flat_map(|rec| [&rec.spec.talk.video_url, &rec.spec.talk.slides_url])
            .flatten()
            .filter(|u| invariants::is_web_url(invariants::clip(u, 2048)))
            .count();
        if r.included == r.total {
            prop_assert_eq!(links, web);
        }
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Thousands of recommendations and text beyond every bound: the summary stays within
    /// 512 KiB, leaves out the last recommendations in the documented order, says so in both
    /// files, and keeps a body within the API's bound.
    #[test]
    fn many_recommendations_and_huge_text_stay_within_the_budget(c in case(many_recs())) {
        render_and_check(&c)?;
    }
}

// ---- validation ----

proptest! {
    #![proptest_config(config(256))]

    /// Validation never panics, is deterministic, and names fields under `spec.`.
    #[test]
    fn validation_is_total_and_deterministic(
        report in report_spec(),
        recs in prop::collection::vec(rec_spec(), 0..4),
    ) {
        let problems = validate_report(&report);
        prop_assert_eq!(&validate_report(&report), &problems);
        for rec in &recs {
            let found = validate_recommendation(rec);
            prop_assert_eq!(&validate_recommendation(rec), &found);
            prop_assert!(found.iter().all(|p| p.field.starts_with("spec.")), "{:?}", found);
            let _ = describe(&found);
        }
        prop_assert!(problems.iter().all(|p| p.field.starts_with("spec.")), "{:?}", problems);
        prop_assert_eq!(describe(&problems).is_empty(), problems.is_empty());
    }

    /// A date is exactly a real calendar date written YYYY-MM-DD (the CRD's `format: date`).
    #[test]
    fn dates_are_real_calendar_dates_in_ascii_digits(s in date()) {
        prop_assert_eq!(is_date(&s), date_oracle(&s), "{:?}", s);
    }

    /// A link target is exactly http:// or https://, in any letter case, with something after.
    #[test]
    fn web_urls_are_http_or_https_in_any_case(u in url()) {
        prop_assert_eq!(is_web_url(&u), invariants::is_web_url(&u), "{:?}", u);
    }
}

/// A spec within the API's bounds, as the API server would admit it (validation may still
/// find blank text or dates that contradict the year).
fn admitted_report() -> impl Strategy<Value = ConferenceReportSpec> {
    let bound = |s: String, n: usize| s.chars().take(n).collect::<String>();
    (
        report_spec(),
        (nonblank(), nonblank(), nonblank()),
        1990..=2100i32,
        (1..=12u32, 1..=28u32, 1..=12u32, 1..=28u32),
        prop::collection::vec(nonblank(), 0..6),
        prop::collection::vec(nonblank(), 0..4),
        (
            0..11i32,
            prop::collection::btree_set("[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?", 0..5),
        ),
    )
        .prop_map(
            move |(
                mut spec,
                (title, conference, author),
                year,
                (m1, d1, m2, d2),
                highlights,
                reviewers,
                (required, themes),
            )| {
                spec.title = bound(title, 200);
                spec.conference.name = bound(conference, 200);
                spec.conference.year = year;
                spec.author.name = bound(author, 100);
                spec.language = "en".into();
                for place in [&mut spec.conference.city, &mut spec.conference.country] {
                    *place = place.take().map(|p| bound(p, 100));
                }
                spec.conference.attendees =
                    spec.conference.attendees.map(|a| a.rem_euclid(10_000_001));
                spec.author.organization = spec.author.organization.take().map(|o| bound(o, 100));
                spec.themes = spec.themes.map(|_| themes.into_iter().collect());
                let (start, end) = ((m1, d1).min((m2, d2)), (m1, d1).max((m2, d2)));
                if spec.conference.start_date.is_some() {
                    spec.conference.start_date =
                        Some(format!("{year}-{:02}-{:02}", start.0, start.1));
                }
                if spec.conference.end_date.is_some() {
                    spec.conference.end_date = Some(format!("{year}-{:02}-{:02}", end.0, end.1));
                }
                if let Some(body) = spec.body.take() {
                    spec.body = Some(bound(body, 32768));
                }
                spec.highlights = spec
                    .highlights
                    .map(|_| highlights.into_iter().map(|h| bound(h, 500)).collect());
                if let Some(review) = &mut spec.review {
                    review.required_approvals = required;
                    review.approvals = reviewers
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| Approval {
                            reviewer: format!("{i}{}", bound(r, 90)),
                            comment: None,
                        })
                        .collect();
                }
                spec
            },
        )
}

/// A recommendation within the API's bounds, as the API server would admit it, with an
/// http(s) URL most of the time.
fn admitted_rec() -> impl Strategy<Value = TalkRecommendationSpec> {
    let bound = |s: String, n: usize| s.chars().take(n).collect::<String>();
    let web = |url: String| {
        (
            prop::sample::select(&["https://", "http://", "HTTPS://", "javascript:"][..]),
            Just(url),
        )
            .prop_map(|(scheme, url)| {
                format!("{scheme}{}", url.chars().take(2000).collect::<String>())
            })
    };
    (
        rec_spec(),
        (nonblank(), nonblank(), proptest::option::of(nonblank())),
        prop::collection::vec(nonblank(), 0..4),
        1..=5i32,
        (text().prop_flat_map(web), text().prop_flat_map(web)),
    )
        .prop_map(
            move |(mut spec, (title, reason, by), speakers, rating, (video, slides))| {
                spec.talk.title = bound(title, 300);
                spec.reason = bound(reason, 2000);
                spec.recommended_by = by.map(|b| bound(b, 100));
                spec.talk.speakers = speakers.into_iter().map(|s| bound(s, 100)).collect();
                spec.talk.track = spec.talk.track.map(|t| bound(t, 100));
                spec.talk.video_url = spec.talk.video_url.map(|_| video);
                spec.talk.slides_url = spec.talk.slides_url.map(|_| slides);
                spec.rating = rating;
                spec.review = None;
                spec
            },
        )
}

proptest! {
    #![proptest_config(config(48))]

    /// Whatever validation accepts renders, complete with its body, with a link for every URL.
    #[test]
    fn anything_validation_accepts_renders(
        report in admitted_report(),
        recs in prop::collection::vec((name(), admitted_rec()), 0..6),
    ) {
        let valid_report = validate_report(&report).is_empty();
        let recs: Vec<(String, TalkRecommendationSpec)> = recs
            .into_iter()
            .enumerate()
            .map(|(i, (name, spec))| (format!("{}-{i}", clip_name(&name)), spec))
            .collect();
        let valid_recs = recs.iter().all(|(_, rec)| validate_recommendation(rec).is_empty());
        let pairs: Vec<(&str, &TalkRecommendationSpec)> =
            recs.iter().map(|(n, s)| (n.as_str(), s)).collect();
        let r = render_report("report", &report, &pairs);
        // The same inputs, spelled out, for the checks.
        let review = report_review(&report);
        let report_in = ReportInput {
            name: "report",
            spec: &report,
            reviewed: review.reviewed,
            approvals_counted: review.counted,
        };
        let rec_in: Vec<RecommendationInput> = recs
            .iter()
            .map(|(name, spec)| RecommendationInput {
                name,
                spec,
                recommended_by: spec.recommended_by.as_deref().unwrap_or(&report.author.name),
                reviewed: recommendation_reviewed(&report, spec),
            })
            .collect();
        let document = invariants::check_with_inputs(&report_in, &rec_in, &r)
            .map_err(TestCaseError::fail)?;
        if valid_report {
            prop_assert!(!r.body_omitted);
        }
        if valid_report && valid_recs {
            // Names are unique here (each ends in its index).
            for json in &document.recommendations {
                let rec = rec_in
                    .iter()
                    .find(|r| invariants::clean_line(invariants::clip(r.name, 253)) == json.name)
                    .ok_or_else(|| TestCaseError::fail(format!("no input named {:?}", json.name)))?;
                prop_assert_eq!(rec.spec.talk.video_url.is_some(), json.video_url.is_some());
                prop_assert_eq!(rec.spec.talk.slides_url.is_some(), json.slides_url.is_some());
            }
        }
    }
}

/// The offline checker's reader and validation over manifests made of random specs: no panic,
/// and every summary it renders keeps the invariants.
mod offline {
    use super::*;
    use tripreport_operator::offline;

    fn manifest(name: &str, kind: &str, spec: serde_json::Value) -> String {
        let object = serde_json::json!({
            "apiVersion": "tripreports.dev/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, "namespace": "ns"},
            "spec": spec,
        });
        serde_yaml_ng::to_string(&object).expect("YAML")
    }

    proptest! {
        #![proptest_config(config(12))]

        #[test]
        fn manifests_of_random_specs_are_checked_without_panicking(
            report in admitted_report(),
            recs in prop::collection::vec(admitted_rec(), 0..4),
        ) {
            let report = serde_json::to_value(&report).expect("JSON");
            let mut text = manifest("report", "ConferenceReport", report);
            for (i, mut rec) in recs.into_iter().enumerate() {
                rec.report_ref.name = "report".into();
                text.push_str("---\n");
                let rec = serde_json::to_value(&rec).expect("JSON");
                text.push_str(&manifest(&format!("rec-{i}"), "TalkRecommendation", rec));
            }
            let (documents, findings) = offline::read_str("random.yaml", &text);
            let result = offline::validate(&documents, findings);
            prop_assert_eq!(result.documents, documents.len());
            for finding in &result.findings {
                let lines = 1..=text.lines().count();
                prop_assert!(lines.contains(&finding.line), "{}", finding);
            }
            for (_, _, rendered) in &result.summaries {
                invariants::check(rendered).map_err(TestCaseError::fail)?;
            }
        }
    }
}

// ---- the checks themselves ----

/// The checks catch what they are there for: each corruption of a good summary (with its size
/// and digest made consistent again) is reported.
#[test]
fn the_checks_catch_what_they_are_for() {
    let report = ConferenceReportSpec {
        title: "<script>alert(1)</script> at KubeCon".into(),
        conference: Conference {
            name: "KubeCon".into(),
            year: 2019,
            start_date: Some("2019-05-20".into()),
            ..Default::default()
        },
        author: Author {
            name: "Jane".into(),
            organization: None,
        },
        language: "en".into(),
        body: Some("First line\nsecond & line\n\n1. not a list".into()),
        highlights: Some(vec!["Loki".into()]),
        themes: None,
        review: None,
        suspend: None,
    };
    let rec = TalkRecommendationSpec {
        report_ref: ReportRef {
            name: "report".into(),
        },
        talk: Talk {
            title: "Loki".into(),
            speakers: vec!["Tom".into()],
            track: None,
            video_url: Some("https://example.com/v?a=1&b=(2)".into()),
            slides_url: Some("javascript:alert(1)".into()),
        },
        rating: 5,
        reason: "Labels.".into(),
        recommended_by: None,
        review: None,
    };
    let recs = [
        RecommendationInput {
            name: "loki",
            spec: &rec,
            recommended_by: "Jane",
            reviewed: false,
        },
        RecommendationInput {
            name: "again",
            spec: &rec,
            recommended_by: "Jane",
            reviewed: true,
        },
    ];
    let input = ReportInput {
        name: "report",
        spec: &report,
        reviewed: false,
        approvals_counted: 0,
    };
    let good = render::render(&input, &recs);
    invariants::check_with_inputs(&input, &recs, &good).expect("the good summary passes");

    let with = |md: &str, json: &str| {
        let mut r = good.clone();
        r.markdown = md.to_string();
        r.json = json.to_string();
        r.size = md.len() + json.len();
        r.digest = invariants::documented_digest(json, md);
        r
    };
    let (md, json) = (good.markdown.as_str(), good.json.as_str());
    let corruptions: Vec<(&str, Rendered)> = vec![
        (
            "raw HTML",
            with(&md.replacen("&lt;script", "<script", 1), json),
        ),
        (
            "an entity",
            with(&md.replacen("second &", "second &lt;", 1), json),
        ),
        (
            "a javascript: link",
            with(
                &md.replacen("First line", "[x](javascript:alert(1))", 1),
                json,
            ),
        ),
        (
            "a link elsewhere",
            with(&md.replacen("](https://", "](javascript://", 1), json),
        ),
        (
            "a destination not encoded",
            with(&md.replacen("%28", "(", 1), json),
        ),
        (
            "an autolink",
            with(&md.replacen("First line", "<https://x.y>", 1), json),
        ),
        (
            "an ordered list",
            with(&md.replacen("1\\. not", "1. not", 1), json),
        ),
        (
            "a hard break",
            with(&md.replacen("First line\n", "First line\\\n", 1), json),
        ),
        (
            "emphasis",
            with(&md.replacen("First line", "*First* line", 1), json),
        ),
        (
            "a heading",
            with(&md.replacen("First line", "\n## First line", 1), json),
        ),
        (
            "two blank lines",
            with(&md.replacen("\n\n", "\n\n\n", 1), json),
        ),
        ("lost text", with(&md.replacen("second", "secnd", 1), json)),
        (
            "a control character",
            with(&md.replacen("second", "sec\u{1}ond", 1), json),
        ),
        ("no final newline", with(md.trim_end(), json)),
        (
            "another schemaVersion",
            with(
                md,
                &json.replacen("\"schemaVersion\": 2", "\"schemaVersion\": 3", 1),
            ),
        ),
        (
            "an unknown field",
            with(
                md,
                &json.replacen(
                    "{\n  \"schemaVersion\"",
                    "{\n  \"extra\": 0,\n  \"schemaVersion\"",
                    1,
                ),
            ),
        ),
        (
            "another layout",
            with(md, &json.replacen("\n  \"report\"", " \"report\"", 1)),
        ),
        (
            "a wrong count",
            with(md, &json.replacen("\"included\": 2", "\"included\": 1", 1)),
        ),
        (
            "over the budget",
            with(&format!("{md}{}\n", "x".repeat(600_000)), json),
        ),
    ];
    for (what, bad) in &corruptions {
        assert!(
            invariants::check_with_inputs(&input, &recs, bad).is_err(),
            "{what} went unnoticed"
        );
    }
    let mut wrong_digest = good.clone();
    wrong_digest.digest = invariants::documented_digest("", "");
    assert!(
        invariants::check(&wrong_digest).is_err(),
        "a wrong digest went unnoticed"
    );
    // Inputs the summary does not match: another order, another URL.
    let mut reordered = rec.clone();
    reordered.rating = 4;
    let other = [
        RecommendationInput {
            spec: &reordered,
            ..RecommendationInput { ..recs[0] }
        },
        RecommendationInput { ..recs[1] },
    ];
    assert!(
        invariants::check_with_inputs(&input, &other, &good).is_err(),
        "the order went unnoticed"
    );
    let mut no_video = rec.clone();
    no_video.talk.video_url = Some("JAVASCRIPT://example.com/v".into());
    let other = [
        RecommendationInput {
            spec: &no_video,
            ..RecommendationInput { ..recs[0] }
        },
        RecommendationInput {
            spec: &no_video,
            ..RecommendationInput { ..recs[1] }
        },
    ];
    assert!(
        invariants::check_with_inputs(&input, &other, &good).is_err(),
        "a link to a javascript: URL went unnoticed"
    );
}

// ---- GitHub Flavored Markdown: the regression corpus and the bad-input corpus ----

/// A report with `text` in every field that takes user text, and two recommendations with it in
/// theirs; rendered, it must keep every invariant, under both renderers.
fn check_everywhere(text: &str) -> Result<(), String> {
    let mut report = invariants_report();
    report.title = text.into();
    report.conference.name = text.into();
    report.conference.city = Some(text.into());
    report.author.name = text.into();
    report.author.organization = Some(text.into());
    report.body = Some(format!("{text}\n{text}\n\n{text} and {text}."));
    report.highlights = Some(vec![text.into(), format!("a {text} b")]);
    report.themes = Some(vec![text.into()]);
    let mut rec = invariants_rec();
    rec.talk.title = text.into();
    rec.talk.speakers = vec![text.into()];
    rec.talk.track = Some(text.into());
    rec.reason = format!("{text}\n{text}");
    let recs = [RecommendationInput {
        name: "rec",
        spec: &rec,
        recommended_by: text,
        reviewed: true,
    }];
    let input = ReportInput {
        name: "report",
        spec: &report,
        reviewed: true,
        approvals_counted: 1,
    };
    let r = render::render(&input, &recs);
    invariants::check_with_inputs(&input, &recs, &r).map(|_| ())
}

fn invariants_report() -> ConferenceReportSpec {
    ConferenceReportSpec {
        title: "t".into(),
        conference: Conference {
            name: "KubeCon".into(),
            year: 2019,
            ..Default::default()
        },
        author: Author {
            name: "Jane".into(),
            organization: None,
        },
        language: "en".into(),
        body: None,
        highlights: None,
        themes: None,
        review: None,
        suspend: None,
    }
}

fn invariants_rec() -> TalkRecommendationSpec {
    TalkRecommendationSpec {
        report_ref: ReportRef {
            name: "report".into(),
        },
        talk: Talk {
            title: "t".into(),
            speakers: vec![],
            track: None,
            video_url: Some("https://example.com/v".into()),
            slides_url: None,
        },
        rating: 4,
        reason: "r".into(),
        recommended_by: None,
        review: None,
    }
}

/// The payloads that once got past the escaping (a live `<img>` through cmark-gfm's `www.`
/// autolink, e-mail and xmpp: links through backslashes) stay text under both renderers.
#[test]
fn the_gfm_regression_corpus_stays_text() {
    for payload in rendered_html::REGRESSIONS {
        check_everywhere(payload).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    }
}

/// Every string in the bad-input corpus (tests/corpus/bad-input), in every field that takes user
/// text: no element, attribute or link outside the rules, under both renderers.
#[test]
fn every_string_of_the_bad_input_corpus_stays_text() {
    let payloads = invariants::bad_input_strings(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/bad-input"
    ));
    assert!(payloads.len() > 300, "{} strings", payloads.len());
    for payload in payloads.iter().filter(|p| p.chars().count() <= 5000) {
        check_everywhere(payload).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    }
}
