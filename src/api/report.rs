// kube-derive takes one `printcolumn(...)` per column, which this lint mistakes for repeats.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// A conference trip report: what a team saw at a conference, written for colleagues who were
/// not there. The operator validates it, tracks its review, and publishes a summary with its
/// recommended talks into the ConfigMap `<name>-summary`.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "tripreports.dev",
    version = "v1alpha1",
    kind = "ConferenceReport",
    plural = "conferencereports",
    singular = "conferencereport",
    shortname = "confreport",
    shortname = "crep",
    category = "tripreports",
    namespaced,
    status = "ConferenceReportStatus",
    doc = "A conference trip report and, through its status, the summary published for it.",
    printcolumn(
        name = "Conference",
        description = "The conference's name",
        type_ = "string",
        json_path = ".spec.conference.name"
    ),
    printcolumn(
        name = "Year",
        description = "The year of the conference",
        type_ = "integer",
        json_path = ".spec.conference.year"
    ),
    printcolumn(
        name = "Lang",
        description = "The report's language",
        type_ = "string",
        json_path = ".spec.language"
    ),
    printcolumn(
        name = "Talks",
        description = "How many talk recommendations reference the report",
        type_ = "integer",
        json_path = ".status.recommendations.total"
    ),
    printcolumn(
        name = "Reviewed",
        description = "Whether the report has the approvals it needs",
        type_ = "boolean",
        json_path = ".status.reviewed"
    ),
    printcolumn(
        name = "Summarized",
        description = "Whether the summary ConfigMap is up to date",
        type_ = "boolean",
        json_path = ".status.summarized"
    ),
    printcolumn(
        name = "Ready",
        description = "Whether the report is valid and its summary published",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Suspended",
        description = "Whether the operator is told to leave the report alone",
        type_ = "boolean",
        json_path = ".spec.suspend",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceReportSpec {
    /// The report's title, as readers will see it at the top of the summary.
    #[schemars(length(min = 1, max = 200))]
    pub title: String,

    /// The conference the report is about.
    pub conference: Conference,

    /// Who wrote the report. Approvals by the author do not count towards the review.
    pub author: Author,

    /// The language the report is written in, as a BCP 47 tag such as `en`, `pt` or `pt-BR`.
    #[schemars(length(min = 2, max = 35))]
    #[x_kube(validation = Rule::new("self.matches('^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$')").message("must be a BCP 47 language tag such as en, pt or pt-BR"))]
    pub language: String,

    /// The report's text (Markdown is shown as text, never as HTML). At most 32768 characters,
    /// so that client-side `kubectl apply` can still store the object in its annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32768))]
    pub body: Option<String>,

    /// Short points a reader should take away, shown as a list in the summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50), inner(length(min = 1, max = 500)))]
    pub highlights: Option<Vec<String>>,

    /// Themes the report touches, as lowercase slugs such as `observability` or `ci-cd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 20),
        inner(
            length(min = 1, max = 63),
            regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        )
    )]
    #[schemars(extend("x-kubernetes-list-type" = "set"))]
    pub themes: Option<Vec<String>>,

    /// How the report is reviewed before readers can rely on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,

    /// When true, the operator makes no writes for this report or its summary until it is set
    /// back to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// The conference a report is about.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.startDate) || !has(self.endDate) || self.endDate >= self.startDate").message("endDate must not be before startDate"))]
pub struct Conference {
    /// The conference's name, e.g. `KubeCon + CloudNativeCon Europe`.
    #[schemars(length(min = 1, max = 200))]
    pub name: String,

    /// The year it took place.
    #[schemars(range(min = 1990, max = 2100))]
    pub year: i32,

    /// The city it took place in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub city: Option<String>,

    /// The country it took place in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub country: Option<String>,

    /// The first day, as YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10), extend("format" = "date"))]
    pub start_date: Option<String>,

    /// The last day, as YYYY-MM-DD; not before startDate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10), extend("format" = "date"))]
    pub end_date: Option<String>,

    /// How many people attended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10_000_000))]
    pub attendees: Option<i64>,
}

/// The author of a report.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    /// The author's name, as reviewers refer to them.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,

    /// The team or company the author belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub organization: Option<String>,
}

/// The review of a report: how many approvals it needs, and the approvals it has.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// How many distinct approvals, not counting the author's own, mark the report reviewed.
    #[serde(default = "default_required_approvals")]
    #[schemars(range(min = 0, max = 10))]
    pub required_approvals: i32,

    /// The approvals given so far, one per reviewer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["reviewer"]))]
    pub approvals: Vec<Approval>,
}

fn default_required_approvals() -> i32 {
    1
}

/// One reviewer's approval of a report.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// Who approved: a person's name, compared with the author's name.
    #[schemars(length(min = 1, max = 100))]
    pub reviewer: String,

    /// What the reviewer said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub comment: Option<String>,
}

/// What the operator observed and did for a report.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceReportStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Whether the report has the approvals it needs (the Reviewed condition, as a boolean).
    #[serde(default)]
    pub reviewed: bool,

    /// Whether the summary ConfigMap holds the rendering of the current inputs (the
    /// Summarized condition, as a boolean).
    #[serde(default)]
    pub summarized: bool,

    /// The talk recommendations that reference this report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendations: Option<RecommendationCounts>,

    /// The published summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryRef>,

    /// The value of the `tripreports.dev/requested-at` annotation last handled. Bounded only by
    /// what the API server allows for all of an object's annotations together (256 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 262144))]
    pub last_handled_reconcile_at: Option<String>,

    /// The report's conditions: Ready, Reconciling, Stalled, Reviewed and Summarized.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// Counts of the talk recommendations that reference a report.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationCounts {
    /// All recommendations that reference the report.
    pub total: i32,
    /// Those approved by a reviewer other than the person who recommended the talk.
    pub approved: i32,
    /// Those not yet approved.
    pub pending: i32,
}

/// Where a report's summary is published.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRef {
    /// The ConfigMap, in the report's namespace, that holds `summary.md` and `summary.json`.
    #[schemars(length(max = 253))]
    pub config_map_name: String,
    /// `sha256:<hex>` over the published data, also the ConfigMap's `tripreports.dev/digest`.
    #[schemars(length(max = 71))]
    pub digest: String,
}
