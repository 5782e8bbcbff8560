// kube-derive takes one `printcolumn(...)` per column, which this lint mistakes for repeats.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// A talk someone recommends, attached to a conference report.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "tripreports.dev",
    version = "v1alpha1",
    kind = "TalkRecommendation",
    plural = "talkrecommendations",
    singular = "talkrecommendation",
    shortname = "talkrec",
    shortname = "trec",
    category = "tripreports",
    namespaced,
    status = "TalkRecommendationStatus",
    doc = "A recommended talk, listed in the summary of the ConferenceReport it references.",
    selectable = ".spec.reportRef.name",
    printcolumn(
        name = "Report",
        description = "The ConferenceReport it belongs to",
        type_ = "string",
        json_path = ".spec.reportRef.name"
    ),
    printcolumn(
        name = "Talk",
        description = "The talk's title",
        type_ = "string",
        json_path = ".spec.talk.title"
    ),
    printcolumn(
        name = "Rating",
        description = "How strongly it is recommended, 1 to 5",
        type_ = "integer",
        json_path = ".spec.rating"
    ),
    printcolumn(
        name = "Reviewed",
        description = "Whether someone other than the recommender approved it",
        type_ = "boolean",
        json_path = ".status.reviewed"
    ),
    printcolumn(
        name = "Ready",
        description = "Whether its report exists and it is valid",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct TalkRecommendationSpec {
    /// The ConferenceReport, in the same namespace, this recommendation belongs to. It cannot be
    /// changed: delete the recommendation and create it again to move it.
    #[x_kube(validation = Rule::new("self == oldSelf").message("reportRef is immutable; delete and recreate the recommendation to move it"))]
    pub report_ref: ReportRef,

    /// The talk being recommended.
    pub talk: Talk,

    /// How strongly it is recommended, from 1 to 5.
    #[schemars(range(min = 1, max = 5))]
    pub rating: i32,

    /// Why it is worth watching.
    #[schemars(length(min = 1, max = 2000))]
    pub reason: String,

    /// Who recommends it; the report's author when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub recommended_by: Option<String>,

    /// A colleague's review of the recommendation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<TalkReview>,
}

/// A reference to a ConferenceReport in the same namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReportRef {
    /// The ConferenceReport's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// A conference talk.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Talk {
    /// The talk's title.
    #[schemars(length(min = 1, max = 300))]
    pub title: String,

    /// Who gave the talk.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10), inner(length(min = 1, max = 100)))]
    pub speakers: Vec<String>,

    /// The conference track it was part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub track: Option<String>,

    /// Where to watch it: an http or https URL.
    #[serde(default, rename = "videoURL", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    #[x_kube(validation = Rule::new("isURL(self) && url(self).getScheme() in ['http', 'https']").message("must be an http or https URL"))]
    pub video_url: Option<String>,

    /// Where the slides are: an http or https URL.
    #[serde(default, rename = "slidesURL", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    #[x_kube(validation = Rule::new("isURL(self) && url(self).getScheme() in ['http', 'https']").message("must be an http or https URL"))]
    pub slides_url: Option<String>,
}

/// The verdict of a recommendation's review.
#[derive(schemars::JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    ChangesRequested,
}

/// A colleague's review of a recommendation.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TalkReview {
    /// Who reviewed it; a review by the recommender does not count.
    #[schemars(length(min = 1, max = 100))]
    pub reviewer: String,

    /// `Approved` or `ChangesRequested`.
    pub verdict: Verdict,

    /// What the reviewer said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub comment: Option<String>,
}

/// What the operator observed for a recommendation.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TalkRecommendationStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Whether a reviewer other than the recommender approved it.
    #[serde(default)]
    pub reviewed: bool,

    /// Ready (False with reason ReportNotFound while the report does not exist) and Reviewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions_schema")]
    pub conditions: Vec<Condition>,
}
