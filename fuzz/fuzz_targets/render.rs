//! The renderer over reports and recommendations built from the fuzzer's bytes: adversarial
//! text (tests/properties/invariants.rs's fragments, the GFM regressions, every string of the
//! bad-input corpus, arbitrary Unicode, pieces repeated far beyond the API's bounds) and up to
//! thousands of recommendations. Every rendering must keep
//! the documented invariants, the same ones the property tests check (summary.md rendered by
//! pulldown-cmark and by comrak's GFM included), and must not depend on the order of the
//! recommendations.

#![no_main]

#[path = "../../tests/properties/invariants.rs"]
mod invariants;
#[path = "../../tests/properties/rendered_html.rs"]
mod rendered_html;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use tripreport_operator::api::{
    Approval, Author, Conference, ConferenceReportSpec, ReportRef, Review, Talk,
    TalkRecommendationSpec,
};
use tripreport_operator::render::{self, RecommendationInput, ReportInput};

/// Every string of the bad-input corpus (tests/corpus/bad-input), read once.
static BAD_INPUT: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/bad-input");
    let strings = invariants::bad_input_strings(dir);
    // Without them the fuzzer would quietly lose a source of payloads.
    assert!(strings.len() > 300, "only {} strings in {dir}", strings.len());
    strings
});

/// Text of up to about `max` characters.
fn text(u: &mut Unstructured, max: usize) -> Result<String> {
    let mut out = String::new();
    for _ in 0..u.int_in_range(0..=6)? {
        match u.int_in_range(0..=5)? {
            0 => out.push_str(u.choose(invariants::FRAGMENTS)?),
            1 => out.push_str(u.choose(rendered_html::REGRESSIONS)?),
            2 => out.push_str(<&str>::arbitrary(u)?),
            3 => out.push(char::arbitrary(u)?),
            4 => out.push_str(u.choose(&BAD_INPUT)?),
            _ => {
                let piece: String = if bool::arbitrary(u)? {
                    u.choose(invariants::FRAGMENTS)?.to_string()
                } else {
                    <&str>::arbitrary(u)?.to_string()
                };
                let n = u.int_in_range(0..=max)?;
                out.extend(piece.chars().cycle().take(n));
            }
        }
        if out.len() > 4 * max {
            break;
        }
    }
    Ok(out)
}

fn optional<T>(
    u: &mut Unstructured,
    f: impl FnOnce(&mut Unstructured) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if bool::arbitrary(u)? {
        Some(f(u)?)
    } else {
        None
    })
}

fn list(u: &mut Unstructured, items: usize, max: usize) -> Result<Vec<String>> {
    (0..u.int_in_range(0..=items)?)
        .map(|_| text(u, max))
        .collect()
}

fn date(u: &mut Unstructured) -> Result<String> {
    if bool::arbitrary(u)? {
        let (y, m, d) = (
            u.int_in_range(1985..=2105)?,
            u.int_in_range(0..=13)?,
            u.int_in_range(0..=32)?,
        );
        Ok(format!("{y:04}-{m:02}-{d:02}"))
    } else {
        text(u, 12)
    }
}

fn url(u: &mut Unstructured) -> Result<String> {
    Ok(format!(
        "{}{}",
        u.choose(invariants::URL_PREFIXES)?,
        text(u, 2200)?
    ))
}

fn report(u: &mut Unstructured) -> Result<ConferenceReportSpec> {
    Ok(ConferenceReportSpec {
        title: text(u, 300)?,
        conference: Conference {
            name: text(u, 300)?,
            year: i32::arbitrary(u)?,
            city: optional(u, |u| text(u, 150))?,
            country: optional(u, |u| text(u, 150))?,
            start_date: optional(u, date)?,
            end_date: optional(u, date)?,
            attendees: Option::<i64>::arbitrary(u)?,
        },
        author: Author {
            name: text(u, 150)?,
            organization: optional(u, |u| text(u, 150))?,
        },
        language: text(u, 50)?,
        body: optional(u, |u| text(u, 40_000))?,
        highlights: optional(u, |u| list(u, 60, 700))?,
        themes: optional(u, |u| list(u, 25, 80))?,
        review: optional(u, |u| {
            Ok(Review {
                required_approvals: u.int_in_range(-2..=12)?,
                approvals: (0..u.int_in_range(0..=24)?)
                    .map(|_| {
                        Ok(Approval {
                            reviewer: text(u, 120)?,
                            comment: None,
                        })
                    })
                    .collect::<Result<_>>()?,
            })
        })?,
        suspend: None,
    })
}

struct Rec {
    name: String,
    spec: TalkRecommendationSpec,
    recommended_by: String,
    reviewed: bool,
}

fn rec(u: &mut Unstructured) -> Result<Rec> {
    let spec = TalkRecommendationSpec {
        report_ref: ReportRef {
            name: "report".into(),
        },
        talk: Talk {
            title: text(u, 400)?,
            speakers: list(u, 13, 120)?,
            track: optional(u, |u| text(u, 120))?,
            video_url: optional(u, url)?,
            slides_url: optional(u, url)?,
        },
        rating: if bool::arbitrary(u)? {
            u.int_in_range(1..=5)?
        } else {
            i32::arbitrary(u)?
        },
        reason: text(u, 2600)?,
        recommended_by: None,
        review: None,
    };
    Ok(Rec {
        name: text(u, 300)?,
        spec,
        recommended_by: text(u, 120)?,
        reviewed: bool::arbitrary(u)?,
    })
}

fn recs(u: &mut Unstructured) -> Result<Vec<Rec>> {
    if bool::arbitrary(u)? {
        return (0..u.int_in_range(0..=8)?).map(|_| rec(u)).collect();
    }
    // Many: a few recommendations repeated under their own names (some names twice).
    let templates: Vec<Rec> = (0..u.int_in_range(1..=4)?)
        .map(|_| rec(u))
        .collect::<Result<_>>()?;
    let (n, step) = (u.int_in_range(0..=3000)?, u.int_in_range(1..=2)?);
    Ok((0..n)
        .map(|i| {
            let t = &templates[i % templates.len()];
            Rec {
                name: format!(
                    "{}-{:05}",
                    t.name.chars().take(40).collect::<String>(),
                    i / step
                ),
                spec: t.spec.clone(),
                recommended_by: t.recommended_by.clone(),
                reviewed: t.reviewed,
            }
        })
        .collect())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(spec), Ok(name), Ok(reviewed), Ok(approvals), Ok(recs)) = (
        report(&mut u),
        text(&mut u, 300),
        bool::arbitrary(&mut u),
        usize::arbitrary(&mut u),
        recs(&mut u),
    ) else {
        return;
    };
    let report = ReportInput {
        name: &name,
        spec: &spec,
        reviewed,
        approvals_counted: approvals,
    };
    let inputs: Vec<RecommendationInput> = recs
        .iter()
        .map(|r| RecommendationInput {
            name: &r.name,
            spec: &r.spec,
            recommended_by: &r.recommended_by,
            reviewed: r.reviewed,
        })
        .collect();
    let rendered = render::render(&report, &inputs);
    if let Err(problem) = invariants::check_with_inputs(&report, &inputs, &rendered) {
        panic!("{problem}");
    }
    let reversed: Vec<RecommendationInput> = inputs
        .iter()
        .rev()
        .map(|i| RecommendationInput { ..*i })
        .collect();
    assert!(
        render::render(&report, &reversed) == rendered,
        "the order of the recommendations changed the summary"
    );
});
