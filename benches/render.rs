//! The cost of rendering one summary (`cargo bench --bench render`, part of `make bench`): a
//! typical report (an 8 KB body, 3 recommendations, as in the convergence benchmark), one with
//! 100 recommendations, one past the size budget (truncation included), and the typical one
//! rendered again with its body's reading kept, as the operator renders after the first time.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tripreport_operator::api::{ConferenceReportSpec, TalkRecommendationSpec};
use tripreport_operator::decide::summary::{render_report, render_report_read};
use tripreport_operator::render::BodyReading;

fn report(body_bytes: usize) -> ConferenceReportSpec {
    let sentence = "The talks on operators, observability and delivery were worth the trip. ";
    let body = sentence.repeat(body_bytes / sentence.len() + 1)[..body_bytes].to_string();
    serde_json::from_value(json!({
        "title": "What we saw at KubeCon Barcelona",
        "conference": {"name": "KubeCon + CloudNativeCon Europe", "year": 2019, "city": "Barcelona",
                       "startDate": "2019-05-20", "endDate": "2019-05-23", "attendees": 7700},
        "author": {"name": "Jane Doe"},
        "language": "en",
        "body": body,
        "highlights": ["Operators need honest statuses", "Loki indexes labels, not lines"],
        "themes": ["observability", "operators"],
        "review": {"requiredApprovals": 1, "approvals": [{"reviewer": "bob"}]}
    }))
    .expect("a valid report spec")
}

fn recommendation(i: usize) -> TalkRecommendationSpec {
    serde_json::from_value(json!({
        "reportRef": {"name": "kubecon-eu-2019"},
        "talk": {"title": format!("Talk {i}: <operators> & *statuses*"), "speakers": ["A. Speaker", "B. Speaker"],
                 "videoURL": format!("https://videos.example.com/talks/{i}")},
        "rating": 1 + i % 5,
        "reason": "It changed how we run our clusters; worth an hour of anyone's time. ".repeat(8),
        "review": {"reviewer": "bob", "verdict": "Approved"}
    }))
    .expect("a valid recommendation spec")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for (label, body, count) in [
        ("typical", 8 * 1024, 3),
        ("100 recommendations", 8 * 1024, 100),
        ("past the budget", 64 * 1024, 2000),
    ] {
        let spec = report(body);
        let recs: Vec<TalkRecommendationSpec> = (0..count).map(recommendation).collect();
        let names: Vec<String> = (0..count).map(|i| format!("talk-{i}")).collect();
        let inputs: Vec<(&str, &TalkRecommendationSpec)> =
            names.iter().map(String::as_str).zip(recs.iter()).collect();
        let size = render_report("kubecon-eu-2019", &spec, &inputs).size;
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &inputs, |b, inputs| {
            b.iter(|| render_report("kubecon-eu-2019", &spec, inputs))
        });
    }
    // A render after the first of the same spec (a recommendation added, the hourly resync):
    // the operator keeps what reading the body gave (controller/readings.rs).
    let spec = report(8 * 1024);
    let recs: Vec<TalkRecommendationSpec> = (0..3).map(recommendation).collect();
    let names: Vec<String> = (0..3).map(|i| format!("talk-{i}")).collect();
    let inputs: Vec<(&str, &TalkRecommendationSpec)> =
        names.iter().map(String::as_str).zip(recs.iter()).collect();
    let kept = BodyReading::of(&spec);
    group.bench_function(
        BenchmarkId::from_parameter("typical, body read before"),
        |b| b.iter(|| render_report_read("kubecon-eu-2019", &spec, &inputs, &kept)),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
