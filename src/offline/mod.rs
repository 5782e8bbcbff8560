//! The offline checker for pull requests: `tripreport-operator validate` and `render` read
//! manifests from files, directories or stdin (multi-document YAML, Kustomize output) and apply
//! the checks the API server and the operator would, with no cluster: the CRDs' structural
//! schema (the same generated CRDs), their CEL rules (kube-cel), the operator's own validation,
//! and dangling references within the given manifests. Then `render` writes the summaries.
//!
//! Not checked offline: CEL transition rules, which compare with the object already in the
//! cluster (the immutable `reportRef`), and references to reports that live elsewhere.

mod lines;
mod read;
mod schema;
mod warnings;

pub use read::{Document, read, read_str};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::{
    ConferenceReport, ConferenceReportSpec, TalkRecommendation, TalkRecommendationSpec,
};
use crate::decide::validation::{validate_recommendation, validate_report};

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}: no .yaml or .yml files found")]
    Empty(String),
}

/// What happens to a document once applied, as far as can be told offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The API server accepts it and `kubectl apply` prints a warning (deploy/admission/).
    Warned,
    /// The operator will say so in a condition (ReportNotFound): not an error.
    Warning,
    /// The operator will set Ready=False, reason InvalidSpec.
    Invalid,
    /// The API server refuses it at apply time.
    Rejected,
}

/// One finding, printed as `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
    pub severity: Severity,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let consequence = match self.severity {
            Severity::Rejected => "the API server rejects this",
            Severity::Invalid => "the operator reports InvalidSpec",
            Severity::Warning => "the operator reports ReportNotFound",
            Severity::Warned => "kubectl apply warns",
        };
        write!(
            f,
            "{}:{}: {}: {} ({consequence})",
            self.file, self.line, self.field, self.message
        )
    }
}

/// A document of one of our kinds, with where it lives.
struct Object<'a> {
    document: &'a Document,
    value: &'a Value,
    kind: &'static str,
    namespace: String,
    name: String,
}

fn schema_of(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> Value {
    crd.spec
        .versions
        .first()
        .and_then(|v| v.schema.as_ref())
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or(Value::Null)
}

/// The result of validating a set of documents.
#[derive(Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub documents: usize,
    pub checked: usize,
    /// The valid reports with their recommendations, for `render`.
    pub summaries: Vec<(String, String, crate::render::Rendered)>,
    /// The valid reports' specs by (namespace, name), for the pages of `render --html`.
    pub specs: std::collections::BTreeMap<(String, String), crate::api::ConferenceReportSpec>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity > Severity::Warning)
    }
}

/// Validates `documents` as the API server and the operator would.
pub fn validate(documents: &[Document], mut findings: Vec<Finding>) -> Report {
    // Generating the CRDs takes milliseconds: once per process, not once per call (the fuzz
    // target calls this for every input).
    static SCHEMAS: OnceLock<(Value, Value)> = OnceLock::new();
    let (report_schema, rec_schema) = SCHEMAS.get_or_init(|| {
        (
            schema_of(&ConferenceReport::crd()),
            schema_of(&TalkRecommendation::crd()),
        )
    });
    let cel = kube::core::cel::Validator::new();
    let mut objects = Vec::new();
    for document in documents {
        let Some(value) = &document.value else {
            continue;
        };
        let items: Vec<&Value> = if value["kind"] == "List" {
            value["items"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        } else {
            vec![value]
        };
        for value in items {
            let api_version = value["apiVersion"].as_str().unwrap_or_default();
            let kind = match value["kind"].as_str() {
                Some("ConferenceReport") => "ConferenceReport",
                Some("TalkRecommendation") => "TalkRecommendation",
                _ => continue,
            };
            let mut finding = |field: &str, message: String, severity| {
                findings.push(Finding {
                    file: document.file.clone(),
                    line: lines::line_of(&document.text, document.first_line, field),
                    field: field.to_string(),
                    message,
                    severity,
                })
            };
            if api_version.split('/').next() != Some("tripreports.dev") {
                continue;
            }
            if api_version != "tripreports.dev/v1alpha1" {
                finding(
                    "apiVersion",
                    format!("no matches for kind \"{kind}\" in version \"{api_version}\""),
                    Severity::Rejected,
                );
                continue;
            }
            let name = value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if name.is_empty() {
                finding(
                    "metadata.name",
                    "Required value: name or generateName is required".into(),
                    Severity::Rejected,
                );
                continue;
            }
            let schema = if kind == "ConferenceReport" {
                report_schema
            } else {
                rec_schema
            };
            let violations = schema::check(schema, value);
            let mut rejected = !violations.is_empty();
            for v in violations {
                finding(&v.path, v.message, Severity::Rejected);
            }
            // Transition rules (oldSelf) need the object already in the cluster: skipped here.
            if let Err(errors) = cel.validate(schema, value, None) {
                for e in errors.into_vec() {
                    // On a structurally broken object a rule may fail to evaluate at all; only
                    // rules that evaluated to false say something then.
                    if !rejected || e.kind == kube::core::cel::ErrorKind::ValidationFailure {
                        finding(&e.field_path, e.message, Severity::Rejected);
                    }
                }
                rejected = true;
            }
            if rejected {
                continue;
            }
            let namespace = value["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            objects.push(Object {
                document,
                value,
                kind,
                namespace,
                name,
            });
        }
    }

    findings.extend(objects.iter().filter_map(warnings::at_apply));
    let checked = objects.len();
    let mut reports: BTreeMap<(String, String), ConferenceReportSpec> = BTreeMap::new();
    let mut recs: Vec<(String, String, TalkRecommendationSpec)> = Vec::new();
    let mut problems = |object: &Object, found: Vec<crate::decide::validation::Problem>| {
        for p in found {
            findings.push(Finding {
                file: object.document.file.clone(),
                line: lines::line_of(&object.document.text, object.document.first_line, &p.field),
                field: p.field,
                message: p.message,
                severity: Severity::Invalid,
            });
        }
    };
    for object in &objects {
        match object.kind {
            "ConferenceReport" => {
                match serde_json::from_value::<ConferenceReportSpec>(object.value["spec"].clone()) {
                    Ok(spec) => {
                        let found = validate_report(&spec);
                        if found.is_empty() {
                            reports.insert((object.namespace.clone(), object.name.clone()), spec);
                        }
                        problems(object, found);
                    }
                    Err(e) => problems(
                        object,
                        vec![crate::decide::validation::Problem {
                            field: "spec".into(),
                            message: e.to_string(),
                        }],
                    ),
                }
            }
            _ => {
                match serde_json::from_value::<TalkRecommendationSpec>(object.value["spec"].clone())
                {
                    Ok(spec) => {
                        problems(object, validate_recommendation(&spec));
                        recs.push((object.namespace.clone(), object.name.clone(), spec));
                    }
                    Err(e) => problems(
                        object,
                        vec![crate::decide::validation::Problem {
                            field: "spec".into(),
                            message: e.to_string(),
                        }],
                    ),
                }
            }
        }
    }
    // A reference to a report these manifests do not hold: the operator reports ReportNotFound
    // until it exists, which it may well do in the cluster.
    for object in objects.iter().filter(|o| o.kind == "TalkRecommendation") {
        let target = object.value["spec"]["reportRef"]["name"]
            .as_str()
            .unwrap_or_default();
        let in_set = objects.iter().any(|o| {
            o.kind == "ConferenceReport" && o.namespace == object.namespace && o.name == target
        });
        if !in_set {
            findings.push(Finding {
                file: object.document.file.clone(),
                line: lines::line_of(
                    &object.document.text,
                    object.document.first_line,
                    "spec.reportRef.name",
                ),
                field: "spec.reportRef.name".into(),
                message: format!(
                    "ConferenceReport {target} is not among these manifests (namespace {})",
                    object.namespace
                ),
                severity: Severity::Warning,
            });
        }
    }

    let summaries = reports
        .iter()
        .map(|((namespace, name), spec)| {
            let mine: Vec<(&str, &TalkRecommendationSpec)> = recs
                .iter()
                .filter(|(ns, _, rec)| ns == namespace && rec.report_ref.name == *name)
                .map(|(_, rec_name, rec)| (rec_name.as_str(), rec))
                .collect();
            (
                namespace.clone(),
                name.clone(),
                crate::decide::summary::render_report(name, spec, &mine),
            )
        })
        .collect();
    findings.sort_by(|a, b| (&a.file, a.line, &a.field).cmp(&(&b.file, b.line, &b.field)));
    Report {
        findings,
        documents: documents.len(),
        checked,
        summaries,
        specs: reports.into_iter().collect(),
    }
}

/// Writes `<out>/<namespace>/<report>/summary.md` and `summary.json` for every valid report.
pub fn write_summaries(report: &Report, out: &Path) -> Result<Vec<PathBuf>, OfflineError> {
    let mut written = Vec::new();
    for (namespace, name, rendered) in &report.summaries {
        let dir = out.join(namespace).join(name);
        std::fs::create_dir_all(&dir).map_err(|source| OfflineError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        for (key, data) in rendered.data() {
            let path = dir.join(&key);
            std::fs::write(&path, data).map_err(|source| OfflineError::Read {
                path: path.display().to_string(),
                source,
            })?;
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_str_splits_documents_and_keeps_their_first_lines() {
        let text = "# a comment\n---\na: 1\n--- \nb: [\n---\n\n# only a comment\n---\nc: 3\n";
        let (documents, findings) = read_str("m.yaml", text);
        let firsts: Vec<usize> = documents.iter().map(|d| d.first_line).collect();
        assert_eq!(firsts, [3, 5, 10], "comment-only documents are skipped");
        assert!(documents.iter().all(|d| d.file == "m.yaml"));
        assert_eq!(documents[0].value, Some(serde_json::json!({"a": 1})));
        assert!(documents[1].value.is_none(), "the broken document is kept");
        assert_eq!(findings.len(), 1);
        assert_eq!(
            (findings[0].file.as_str(), findings[0].field.as_str()),
            ("m.yaml", "<yaml>")
        );
        assert_eq!(findings[0].severity, Severity::Rejected);
    }

    #[test]
    fn read_gives_what_read_str_gives_for_each_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/offline/02-full.yaml");
        let text = std::fs::read_to_string(&path).expect("the corpus file is readable");
        let (from_file, file_findings) = read(std::slice::from_ref(&path)).expect("reads");
        let (from_str, str_findings) = read_str(&path.display().to_string(), &text);
        let key = |d: &Document| {
            (
                d.file.clone(),
                d.first_line,
                d.text.clone(),
                d.value.clone(),
            )
        };
        assert_eq!(
            from_file.iter().map(key).collect::<Vec<_>>(),
            from_str.iter().map(key).collect::<Vec<_>>()
        );
        assert_eq!(file_findings, str_findings);
    }
}
