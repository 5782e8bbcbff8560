//! What a reader sees of one report: its facts, its state as the operator reported it, and the
//! summary the operator published. Built from cluster objects (`kubectl tripreport`) or from an
//! offline rendering (`render --html`); everything downstream (the table, the terminal view,
//! the pages) reads only this.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt as _;
use serde::{Deserialize, Serialize};

use crate::api::names::DIGEST_ANNOTATION;
use crate::api::{ConferenceReport, ConferenceReportSpec};

/// One report, as a reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub namespace: String,
    pub name: String,
    pub title: String,
    pub conference: String,
    pub year: i32,
    pub language: String,
    pub themes: Vec<String>,
    /// The valid recommendations the operator counted (None offline or before the first status).
    pub talks: Option<i32>,
    /// None when the report was never in a cluster (static pages from manifests).
    pub state: Option<State>,
    #[serde(skip)]
    pub summary: Summary,
}

/// The three conditions a reader cares about, as the operator last wrote them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct State {
    pub ready: Cond,
    pub reviewed: Cond,
    pub summarized: Cond,
}

/// One condition; `Unknown` with no reason when the operator has not written it yet.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Cond {
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Cond {
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

/// The published summary, or why there is none to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Summary {
    /// No ConfigMap under the summary's name.
    #[default]
    Missing,
    /// A ConfigMap stands under the summary's name but the operator does not manage it
    /// (`SummaryNameTaken`): it is someone else's data, never shown as the summary.
    NotOurs {
        config_map: String,
    },
    Published(Box<Published>),
}

/// summary.md and what the pages need of summary.json.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub markdown: String,
    pub document: Document,
    /// The summary does not describe the report's current spec (an invalid edit, a render that
    /// failed, or the operator not having caught up yet): shown, but said.
    pub stale: bool,
}

/// The parts of summary.json the reading side uses; unknown fields are ignored so that a newer
/// operator's summaries still read.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Document {
    pub locale: String,
    pub projects: Vec<Project>,
    pub recommendations: Vec<Talk>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Project {
    pub name: String,
    pub url: String,
    pub mentions: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Talk {
    pub name: String,
    pub title: String,
    pub speakers: Vec<String>,
    #[serde(rename = "videoURL")]
    pub video_url: Option<String>,
    pub rating: u8,
    pub recommended_by: String,
    pub reviewed: bool,
}

impl Entry {
    /// The facts every entry has, from the spec.
    fn from_spec(namespace: &str, name: &str, spec: &ConferenceReportSpec) -> Self {
        Entry {
            namespace: namespace.to_string(),
            name: name.to_string(),
            title: spec.title.clone(),
            conference: spec.conference.name.clone(),
            year: spec.conference.year,
            language: spec.language.clone(),
            themes: spec.themes.clone().unwrap_or_default(),
            talks: None,
            state: None,
            summary: Summary::Missing,
        }
    }

    /// A report in the cluster and what stands under its summary's name, if anything.
    pub fn from_cluster(report: &ConferenceReport, config_map: Option<&ConfigMap>) -> Self {
        let namespace = report.namespace().unwrap_or_default();
        let mut entry = Entry::from_spec(&namespace, &report.name_any(), &report.spec);
        let status = report.status.clone().unwrap_or_default();
        let condition = |kind: &str| -> Cond {
            status
                .conditions
                .iter()
                .find(|c: &&Condition| c.type_ == kind)
                .map(|c| Cond {
                    status: c.status.clone(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                })
                .unwrap_or_else(|| Cond {
                    status: "Unknown".to_string(),
                    ..Cond::default()
                })
        };
        let state = State {
            ready: condition("Ready"),
            reviewed: condition("Reviewed"),
            summarized: condition("Summarized"),
        };
        entry.talks = status.recommendations.as_ref().map(|r| r.total);
        let current = status.observed_generation.is_some()
            && status.observed_generation == report.metadata.generation
            && state.summarized.is_true();
        entry.state = Some(state);
        entry.summary = match config_map {
            None => Summary::Missing,
            Some(cm) if !crate::summary::is_managed(cm.labels()) => Summary::NotOurs {
                config_map: cm.name_any(),
            },
            Some(cm) => {
                let published_digest = cm.annotations().get(DIGEST_ANNOTATION);
                let status_digest = status.summary.as_ref().map(|s| &s.digest);
                let stale = !current || published_digest != status_digest;
                published(cm.data.as_ref(), stale)
            }
        };
        entry
    }

    /// A report rendered offline from manifests (`render --html`): no state, never stale.
    pub fn from_offline(
        namespace: &str,
        name: &str,
        spec: &ConferenceReportSpec,
        data: &BTreeMap<String, String>,
    ) -> Self {
        let mut entry = Entry::from_spec(namespace, name, spec);
        entry.summary = published(Some(data), false);
        if let Summary::Published(p) = &entry.summary {
            entry.talks = i32::try_from(p.document.recommendations.len()).ok();
        }
        entry
    }

    /// The published summary, if there is one to show.
    pub fn published(&self) -> Option<&Published> {
        match &self.summary {
            Summary::Published(p) => Some(p),
            _ => None,
        }
    }

    /// The projects the summary names, or none.
    pub fn projects(&self) -> impl Iterator<Item = &Project> {
        self.published()
            .into_iter()
            .flat_map(|p| p.document.projects.iter())
    }
}

/// The name the report's summary stands under: as its status records it, or as the operator
/// would name it before its first status.
pub fn summary_name(report: &ConferenceReport) -> String {
    report
        .status
        .as_ref()
        .and_then(|s| s.summary.as_ref())
        .map(|s| s.config_map_name.clone())
        .unwrap_or_else(|| crate::summary::config_map_name(&report.name_any()))
}

/// A managed ConfigMap's data as a summary; one without summary.md counts as missing, and a
/// summary.json that does not parse leaves the Markdown readable with no structured parts.
fn published(data: Option<&BTreeMap<String, String>>, stale: bool) -> Summary {
    let Some(markdown) = data.and_then(|d| d.get("summary.md")) else {
        return Summary::Missing;
    };
    let document = data
        .and_then(|d| d.get("summary.json"))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    Summary::Published(Box::new(Published {
        markdown: markdown.clone(),
        document,
        stale,
    }))
}
