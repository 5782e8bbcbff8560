//! What goes into a report's summary: each recommendation's reviewed state, judged against the
//! report, and the rendering of the whole (shared by the operator and the offline `render`).

use super::review::{recommendation_review, report_review};
use crate::api::{ConferenceReportSpec, TalkRecommendationSpec};
use crate::render::{self, BodyReading, RecommendationInput, Rendered, ReportInput};

/// Whether a recommendation counts as reviewed on `report`: approved by someone other than its
/// recommender, who is the report's author unless `recommendedBy` says otherwise.
pub fn recommendation_reviewed(
    report: &ConferenceReportSpec,
    rec: &TalkRecommendationSpec,
) -> bool {
    recommendation_review(rec, Some(recommender(report, rec))).reviewed
}

/// Who recommends `rec`: `recommendedBy`, or else the report's author.
fn recommender<'a>(report: &'a ConferenceReportSpec, rec: &'a TalkRecommendationSpec) -> &'a str {
    rec.recommended_by.as_deref().unwrap_or(&report.author.name)
}

/// The summary of the report `name` with its recommendations (name, spec): the one rendering
/// shared by the operator and the offline `render` command.
pub fn render_report(
    name: &str,
    spec: &ConferenceReportSpec,
    recommendations: &[(&str, &TalkRecommendationSpec)],
) -> Rendered {
    render_report_read(name, spec, recommendations, &BodyReading::of(spec))
}

/// [`render_report`], with the reading of the body of `spec` already made.
pub fn render_report_read(
    name: &str,
    spec: &ConferenceReportSpec,
    recommendations: &[(&str, &TalkRecommendationSpec)],
    body: &BodyReading,
) -> Rendered {
    let review = report_review(spec);
    let inputs: Vec<RecommendationInput> = recommendations
        .iter()
        .map(|(rec_name, rec)| {
            let recommended_by = recommender(spec, rec);
            RecommendationInput {
                name: rec_name,
                spec: rec,
                recommended_by,
                reviewed: recommendation_review(rec, Some(recommended_by)).reviewed,
            }
        })
        .collect();
    render::render_read(
        &ReportInput {
            name,
            spec,
            reviewed: review.reviewed,
            approvals_counted: review.counted,
        },
        &inputs,
        body,
    )
}
