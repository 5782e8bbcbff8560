//! Cost of the extractive abstract on realistic English bodies of 8 KB and 32 KiB.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tripreport_operator::text::abstract_of;

const SENTENCES: &[&str] = &[
    "The conference drew about seven thousand people to a huge exhibition centre this year.",
    "Walking between the halls took five to seven minutes, so we planned our days carefully.",
    "Around thirty sessions ran at any one time, which made choosing talks surprisingly hard.",
    "Kubernetes is becoming a platform for building platforms rather than a destination.",
    "Several keynotes argued that operators are the natural way to run stateful workloads.",
    "The Prometheus maintainers told us they do not plan long-term storage themselves.",
    "Instead they point users to Cortex and Thanos when metrics must be kept for years.",
    "Grafana's people convinced me that Loki is worth a try for our logging pipeline.",
    "Service meshes were everywhere, although few teams run one in production yet.",
    "The CI/CD track showed Tekton as a common building block for delivery pipelines.",
    "Dr. Smith gave a clear talk on admission webhooks and the pitfalls of validation.",
    "Many vendors sell Kubernetes as a service, with support priced per cluster and month.",
    "Our booth got steady traffic from small DevOps teams asking about multi-cluster setups.",
    "The hallway track was as valuable as the talks, e.g. for meeting maintainers in person.",
    "Security talks focused on supply chains, image signing and least-privilege service accounts.",
    "A demo of cluster autoscaling on spot instances drew the largest crowd of the week.",
    "Observability now means metrics, logs and traces correlated in one place.",
    "The recordings are online, so we skipped some sessions to talk to other attendees.",
    "Storage remains the hardest problem for teams moving databases onto Kubernetes.",
    "The closing party was held in a historic village with live music and long queues.",
    "Every vendor digs into one corner of the landscape and nobody offers the whole picture.",
    "We came home with a list of projects to evaluate, starting with the policy engines.",
    "Writing controllers is easier than before, but status handling is still subtle.",
    "Garbage collection, owner references and finalizers came up in almost every operator talk.",
    "Edge computing talks showed Kubernetes running on small devices in shops and factories.",
    "The next edition moves to a bigger venue, which says a lot about the community's growth.",
];

/// Paragraphs of 3–6 sentences picked in a varied order, wrapped at ~95 columns, with an
/// occasional list and URL, until `target` bytes.
fn body(target: usize) -> String {
    let mut out = String::new();
    let mut p = 0usize;
    while out.len() < target {
        let count = 3 + p % 4;
        let mut para = String::new();
        for k in 0..count {
            let s = SENTENCES[(p * 7 + k * 5 + p / 3) % SENTENCES.len()];
            if !para.is_empty() {
                para.push(' ');
            }
            para.push_str(s);
        }
        if p % 5 == 2 {
            para.push_str(" Slides are at https://example.com/talks/slides-");
            para.push_str(&p.to_string());
            para.push_str(".pdf for anyone interested.");
        }
        let mut col = 0;
        for word in para.split(' ') {
            if col > 0 && col + word.len() > 95 {
                out.push('\n');
                col = 0;
            } else if col > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += word.len();
        }
        out.push_str("\n\n");
        if p % 6 == 4 {
            out.push_str("- one list item\n- another list item, with `code`\n\n");
        }
        p += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("abstract");
    for (name, size) in [("8KB", 8_000), ("32KiB", 32 * 1024)] {
        let text = body(size);
        group.bench_function(name, |b| b.iter(|| abstract_of(black_box(&text), "en")));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
