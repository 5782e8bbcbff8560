//! What a ConferenceReport should be: from the report and the recommendations naming it, its
//! summary ConfigMap (or why there is none) and its status, for each way publishing can end.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Resource, ResourceExt};

use super::conditions::{self, Desired, READY, RECONCILING, REVIEWED, STALLED, SUMMARIZED};
use super::review::{ReviewOutcome, report_review};
use super::validation::{describe, validate_recommendation, validate_report};
use crate::api::names::REQUESTED_AT_ANNOTATION;
use crate::api::{
    ConferenceReport, ConferenceReportStatus, RecommendationCounts, SummaryRef, TalkRecommendation,
    TalkRecommendationSpec,
};
use crate::error::Error;
use crate::render::{self, BodyReading, Rendered};
use crate::summary;

/// Ready reasons that are a problem a person must see in a Warning.
pub const WARNED: [&str; 3] = ["InvalidSpec", "SummaryFailed", "SummaryNameTaken"];
/// Ready reasons whose end is worth a `Recovered` Event.
pub const RECOVERED_FROM: [&str; 2] = ["SummaryFailed", "SummaryNameTaken"];

pub enum Decision {
    /// `spec.suspend`: nothing is written.
    Suspended,
    /// The spec is invalid: this status, and the last good summary stays in place.
    Invalid {
        status: ConferenceReportStatus,
        considered: Considered,
    },
    /// Publish this summary; the status then follows from how that went.
    Publish(Box<Publish>),
}

/// The generation of each valid recommendation a decision took in, by name.
pub type Considered = HashMap<String, Option<i64>>;

pub struct Publish {
    /// The summary ConfigMap as it should be.
    pub desired: ConfigMap,
    pub rendered: Rendered,
    pub config_map: String,
    pub considered: Considered,
    tally: Tally,
}

/// The report's review and its valid recommendations, counted: what its status says whatever
/// becomes of the summary.
struct Tally {
    review: ReviewOutcome,
    counts: RecommendationCounts,
    recommendations: Vec<Arc<TalkRecommendation>>,
}

/// [`decide_reading`], reading the body anew.
#[cfg(test)]
pub fn decide(
    report: &ConferenceReport,
    recommendations: Vec<Arc<TalkRecommendation>>,
    now: &Time,
) -> Result<Decision, Error> {
    decide_reading(report, recommendations, now, |r| {
        Arc::new(BodyReading::of(&r.spec))
    })
}

/// Decides for `report`, given every recommendation naming it, at time `now`. `read` gives the
/// reading of the report's body (`BodyReading::of` its spec); it is asked only where a summary
/// is rendered.
pub fn decide_reading(
    report: &ConferenceReport,
    recommendations: Vec<Arc<TalkRecommendation>>,
    now: &Time,
    read: impl FnOnce(&ConferenceReport) -> Arc<BodyReading>,
) -> Result<Decision, Error> {
    if report.spec.suspend == Some(true) {
        return Ok(Decision::Suspended);
    }
    // Invalid recommendations are neither rendered nor counted: they say so in their own status.
    let valid: Vec<Arc<TalkRecommendation>> = recommendations
        .into_iter()
        .filter(|rec| validate_recommendation(&rec.spec).is_empty())
        .collect();
    let considered = valid
        .iter()
        .map(|rec| (rec.name_any(), rec.meta().generation))
        .collect();
    let tally = tally(report, valid);

    let problems = validate_report(&report.spec);
    if !problems.is_empty() {
        let message = format!(
            "The spec is invalid: {}. Fix it to publish a new summary.",
            describe(&problems)
        );
        let status = with_conditions(
            report,
            base_status(report, &tally),
            &[
                Desired::falsy(READY, "InvalidSpec", &message),
                Desired::truthy(STALLED, "InvalidSpec", &message),
                reviewed_condition(&tally),
                Desired::falsy(
                    SUMMARIZED,
                    "InvalidSpec",
                    "The summary is not updated while the spec is invalid; the last good one is kept.",
                ),
            ],
            now,
        );
        return Ok(Decision::Invalid { status, considered });
    }

    let name = report.name_any();
    let namespace = report.namespace().ok_or(Error::MissingField {
        kind: "ConferenceReport",
        field: "metadata.namespace",
    })?;
    let inputs: Vec<(&str, &TalkRecommendationSpec)> = tally
        .recommendations
        .iter()
        .map(|rec| (rec.meta().name.as_deref().unwrap_or_default(), &rec.spec))
        .collect();
    let rendered = super::summary::render_report_read(&name, &report.spec, &inputs, &read(report));
    let mut owner = report
        .controller_owner_ref(&())
        .ok_or(Error::MissingField {
            kind: "ConferenceReport",
            field: "metadata.uid",
        })?;
    // The report cannot be deleted in the foreground before its summary is gone.
    owner.block_owner_deletion = Some(true);
    let desired = summary::desired(&name, &namespace, owner, rendered.data(), &rendered.digest);
    Ok(Decision::Publish(Box::new(Publish {
        desired,
        rendered,
        config_map: summary::config_map_name(&name),
        considered,
        tally,
    })))
}

impl Publish {
    /// The status once the summary stands as desired.
    pub fn published(&self, report: &ConferenceReport, now: &Time) -> ConferenceReportStatus {
        let (rendered, cm_name) = (&self.rendered, &self.config_map);
        let (summarized_reason, summarized_message) = if rendered.truncated() {
            let mut message = format!(
                "{} of {} recommendations are in ConfigMap {cm_name}: all of them would pass the budget of {} bytes ({} bytes rendered).",
                rendered.included,
                rendered.total,
                render::BUDGET_BYTES,
                rendered.size
            );
            if rendered.body_omitted {
                message.push_str(" The report's body is left out too.");
            }
            ("Truncated", message)
        } else {
            (
                "Published",
                format!(
                    "ConfigMap {cm_name} holds the summary of this generation and its {} recommendations.",
                    rendered.total
                ),
            )
        };
        let summarized_message = match self.language_mismatch(report) {
            Some(mismatch) => format!("{summarized_message} {mismatch}"),
            None => summarized_message,
        };
        let mut status = base_status(report, &self.tally);
        status.summarized = true;
        status.summary = Some(SummaryRef {
            config_map_name: cm_name.to_string(),
            digest: rendered.digest.clone(),
        });
        with_conditions(
            report,
            status,
            &[
                Desired::truthy(
                    READY,
                    "Published",
                    format!("The summary is published in ConfigMap {cm_name}."),
                ),
                reviewed_condition(&self.tally),
                Desired::truthy(SUMMARIZED, summarized_reason, summarized_message),
            ],
            now,
        )
    }

    /// What to say when the body clearly reads as another language than `spec.language`: in the
    /// Summarized condition and a `LanguageMismatch` Warning; Ready is not affected.
    pub fn language_mismatch(&self, report: &ConferenceReport) -> Option<String> {
        let detected = self.rendered.detected_language.as_ref()?;
        self.rendered.language_mismatch.then(|| {
            format!(
                "The body reads as {:?} (confidence {:.2}), not {:?} as spec.language says; the summary's words follow spec.language.",
                detected.tag, detected.confidence, report.spec.language
            )
        })
    }

    /// The `LanguageMismatch` Warning to give, once per generation: not when the report's status
    /// already says it for this generation (so a restart does not say it again).
    pub fn language_warning(&self, report: &ConferenceReport) -> Option<String> {
        let mismatch = self.language_mismatch(report)?;
        let said = report.status.as_ref().is_some_and(|status| {
            conditions::find(&status.conditions, SUMMARIZED).is_some_and(|c| {
                c.observed_generation == report.meta().generation && c.message.contains(&mismatch)
            })
        });
        (!said).then_some(mismatch)
    }

    /// The status when the summary cannot be published until someone acts (it is refused as
    /// too large, the operator lacks a permission, its name is taken): Stalled, so GitOps tools
    /// stop waiting.
    pub fn failed(
        &self,
        report: &ConferenceReport,
        error: &Error,
        now: &Time,
    ) -> ConferenceReportStatus {
        let (reason, message) = match error {
            Error::SummaryNameTaken { .. } => ("SummaryNameTaken", error.to_string()),
            _ => (
                "SummaryFailed",
                format!("The summary could not be published: {error}"),
            ),
        };
        with_conditions(
            report,
            base_status(report, &self.tally),
            &[
                Desired::falsy(READY, reason, &message),
                Desired::truthy(STALLED, reason, &message),
                reviewed_condition(&self.tally),
                Desired::falsy(SUMMARIZED, reason, &message),
            ],
            now,
        )
    }

    /// The status while a transient failure is retried: work under way, and why it takes longer.
    pub fn progressing(
        &self,
        report: &ConferenceReport,
        error: &Error,
        now: &Time,
    ) -> ConferenceReportStatus {
        let message =
            format!("Publishing the summary; the last attempt failed and will be retried: {error}");
        with_conditions(
            report,
            base_status(report, &self.tally),
            &[
                Desired::falsy(READY, "Progressing", &message),
                Desired::truthy(RECONCILING, "Progressing", &message),
                reviewed_condition(&self.tally),
                Desired::new(
                    SUMMARIZED,
                    None,
                    "Progressing",
                    "The summary is being published.",
                ),
            ],
            now,
        )
    }
}

fn tally(report: &ConferenceReport, mut recommendations: Vec<Arc<TalkRecommendation>>) -> Tally {
    // The cache's order is arbitrary; the renderer sorts, this keeps everything else stable.
    recommendations.sort_by_key(|rec| rec.name_any());
    let approved = recommendations
        .iter()
        .filter(|rec| super::summary::recommendation_reviewed(&report.spec, &rec.spec))
        .count();
    let total = recommendations.len();
    Tally {
        review: report_review(&report.spec),
        counts: RecommendationCounts {
            total: clamp(total),
            approved: clamp(approved),
            pending: clamp(total - approved),
        },
        recommendations,
    }
}

fn clamp(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn reviewed_condition(tally: &Tally) -> Desired {
    Desired::new(
        REVIEWED,
        Some(tally.review.reviewed),
        tally.review.reason,
        tally.review.message.clone(),
    )
}

/// A status with everything but the conditions filled from the report and its inputs.
fn base_status(report: &ConferenceReport, tally: &Tally) -> ConferenceReportStatus {
    let previous = report.status.clone().unwrap_or_default();
    ConferenceReportStatus {
        observed_generation: report.meta().generation,
        reviewed: tally.review.reviewed,
        summarized: false,
        recommendations: Some(tally.counts.clone()),
        // The last published summary stays named until a new one replaces it.
        summary: previous.summary,
        last_handled_reconcile_at: report
            .annotations()
            .get(REQUESTED_AT_ANNOTATION)
            .cloned()
            .or(previous.last_handled_reconcile_at),
        conditions: Vec::new(),
    }
}

fn with_conditions(
    report: &ConferenceReport,
    mut status: ConferenceReportStatus,
    desired: &[Desired],
    now: &Time,
) -> ConferenceReportStatus {
    let existing = report
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    status.conditions = conditions::merge(existing, desired, report.meta().generation, now);
    status
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
