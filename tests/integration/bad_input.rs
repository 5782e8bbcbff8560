//! The bad-input corpus (tests/corpus/bad-input, see its README.md) against the real API server
//! and the operator: every case is applied as a user would, its outcome compared with the one the
//! case states (rejected at apply with a given message, or accepted and then given a given
//! condition by the operator), and every accepted object is checked against the contract's
//! invariants (conditions, Events, the summary ConfigMap and its escaping). One operator handles
//! them all; it must not panic, must not loop, and must write each status at most once.
//!
//! A failure lists every case whose outcome differed, with what was expected and what was seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use kube::core::Request;
use kube::core::params::PostParams;
use kube::{Api, Client};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Operator, install_crds, setup};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/bad-input");
/// The summary's data budget (API.md): half the 1 MiB a ConfigMap can hold.
const BUDGET_BYTES: usize = 512 * 1024;
const CONFIG_MAP_LIMIT: usize = 1024 * 1024;
/// How long the operator may take to give every accepted object its conditions.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Objects still without conditions are given up on when no other object settled for this long.
const STALL: Duration = Duration::from_secs(20);
/// After convergence: the most time queued Events get to drain, then the window in which
/// nothing may be written or reconciled again (a hot loop shows here).
const DRAIN: Duration = Duration::from_secs(15);
const QUIET_WINDOW: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// POST, as `kubectl create` (and a client-side `kubectl apply` of a new object) sends it.
    Create,
    /// Server-side apply, as `kubectl apply --server-side` sends it.
    Apply,
}

#[derive(Debug, Clone, PartialEq)]
enum ConditionExpectation {
    Absent,
    Is {
        status: String,
        reason: String,
        message: Option<String>,
    },
}

impl std::fmt::Display for ConditionExpectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConditionExpectation::Absent => write!(f, "absent"),
            ConditionExpectation::Is {
                status,
                reason,
                message,
            } => {
                write!(f, "{status}/{reason}")?;
                if let Some(m) = message {
                    write!(f, " with message containing {m:?}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Expect {
    /// Refused at apply; the error contains each of these.
    Rejected(Vec<String>),
    Accepted {
        conditions: Vec<(String, ConditionExpectation)>,
        /// Substrings of summary.md of the report the object is or references.
        summary: Vec<String>,
        /// JSON pointer into the object, and the value expected there.
        fields: Vec<(String, Value)>,
    },
}

impl Expect {
    fn ready(&self) -> Option<&ConditionExpectation> {
        match self {
            Expect::Rejected(_) => None,
            Expect::Accepted { conditions, .. } => conditions
                .iter()
                .find(|(t, _)| t == "Ready")
                .map(|(_, c)| c),
        }
    }

    fn label(&self) -> String {
        match self {
            Expect::Rejected(_) => "rejected".to_string(),
            Expect::Accepted { .. } => match self.ready() {
                Some(ConditionExpectation::Is { status, reason, .. }) => {
                    format!("accepted, Ready {status}/{reason}")
                }
                Some(ConditionExpectation::Absent) => "accepted, no status".to_string(),
                None => "accepted".to_string(),
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    category: String,
    expect: Expect,
    setup: Vec<Value>,
    subject: Value,
    resource: String,
    via: Via,
    field_validation: String,
    /// Placeholder → bytes put in its place in the request body (escapes and byte sequences
    /// that a YAML file or a Rust string cannot hold, such as lone surrogates and bad UTF-8).
    raw: Vec<(String, Vec<u8>)>,
}

impl Case {
    fn id(&self) -> String {
        format!("{}/{}", self.category, self.name)
    }
}

/// What the files are written against: the two base objects of base.yaml.
struct Templates {
    report: Value,
    recommendation: Value,
}

struct Names<'a> {
    case: &'a str,
    namespace: &'a str,
    other: &'a str,
}

fn yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn templates() -> Templates {
    let base = yaml(&Path::new(CORPUS).join("base.yaml"));
    Templates {
        report: base["report"].clone(),
        recommendation: base["recommendation"].clone(),
    }
}

/// Expands the generators of a case file: `{$repeat: unit, times: n, prefix?, suffix?}` is a
/// string, `{$list: item, times: n}` a list of n copies of item with `{i}` in its strings
/// replaced by the copy's index.
fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$repeat") => {
            let unit = map["$repeat"].as_str().expect("$repeat takes a string");
            let times = map["times"].as_u64().expect("$repeat needs times") as usize;
            let prefix = map.get("prefix").and_then(Value::as_str).unwrap_or("");
            let suffix = map.get("suffix").and_then(Value::as_str).unwrap_or("");
            Value::String(format!("{prefix}{}{suffix}", unit.repeat(times)))
        }
        Value::Object(map) if map.contains_key("$list") => {
            let item = expand(&map["$list"]);
            let times = map["times"].as_u64().expect("$list needs times");
            Value::Array(
                (0..times)
                    .map(|i| substitute(&item, &[("{i}", &i.to_string())]))
                    .collect(),
            )
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), expand(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// Replaces each (from, to) in every string of `value`.
fn substitute(value: &Value, pairs: &[(&str, &str)]) -> Value {
    match value {
        Value::String(s) => {
            let mut s = s.clone();
            for (from, to) in pairs {
                s = s.replace(from, to);
            }
            Value::String(s)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, pairs)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, pairs)).collect()),
        other => other.clone(),
    }
}

/// Merges `overlay` into `base`: maps key by key, anything else replaced; `"$delete"` removes.
fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                if value == "$delete" {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key)
                    && existing.is_object()
                    && value.is_object()
                {
                    merge(existing, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// A manifest from `{report: overlay}`, `{recommendation: overlay}` or `{object: manifest}`.
fn manifest(entry: &Map<String, Value>, templates: &Templates, names: &Names) -> Value {
    let kinds: Vec<&str> = ["report", "recommendation", "object"]
        .into_iter()
        .filter(|k| entry.contains_key(*k))
        .collect();
    assert_eq!(
        kinds.len(),
        1,
        "{}: exactly one of report, recommendation, object (found {kinds:?})",
        names.case
    );
    let object = match kinds[0] {
        "object" => expand(&entry["object"]),
        kind => {
            let mut base = if kind == "report" {
                templates.report.clone()
            } else {
                templates.recommendation.clone()
            };
            merge(&mut base, &expand(&entry[kind]));
            base
        }
    };
    substitute(
        &object,
        &[
            ("$CASE", names.case),
            ("$NS", names.namespace),
            ("$OTHER", names.other),
        ],
    )
}

fn condition_expectation(case: &str, value: &Value) -> ConditionExpectation {
    let (state, message) = match value {
        Value::String(s) => (s.as_str(), None),
        Value::Array(items) if items.len() == 2 => (
            items[0].as_str().expect("a Status/Reason"),
            Some(items[1].as_str().expect("a message substring").to_string()),
        ),
        other => panic!(
            "{case}: a condition is `Status/Reason`, [Status/Reason, message] or `absent`, not {other}"
        ),
    };
    if state == "absent" {
        return ConditionExpectation::Absent;
    }
    let (status, reason) = state
        .split_once('/')
        .unwrap_or_else(|| panic!("{case}: {state:?} is not Status/Reason"));
    assert!(
        ["True", "False", "Unknown"].contains(&status),
        "{case}: status {status:?}"
    );
    ConditionExpectation::Is {
        status: status.to_string(),
        reason: reason.to_string(),
        message,
    }
}

fn expectation(case: &str, value: &Value) -> Expect {
    let map = value
        .as_object()
        .unwrap_or_else(|| panic!("{case}: `expect` is a map"));
    if let Some(rejected) = map.get("rejected") {
        assert_eq!(map.len(), 1, "{case}: `rejected` stands alone");
        let substrings = match rejected {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().expect("a string").to_string())
                .collect(),
            other => panic!("{case}: rejected: {other}"),
        };
        assert!(
            substrings.iter().all(|s| !s.is_empty()),
            "{case}: an empty message"
        );
        return Expect::Rejected(substrings);
    }
    let mut conditions = Vec::new();
    let mut summary = Vec::new();
    let mut fields = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            "Ready" | "Reviewed" | "Summarized" | "Stalled" | "Reconciling" => {
                conditions.push((key.clone(), condition_expectation(case, value)))
            }
            "summary" => summary = strings(case, value),
            "fields" => {
                for (pointer, expected) in value.as_object().expect("fields is a map") {
                    fields.push((pointer.clone(), expand(expected)));
                }
            }
            other => panic!("{case}: unknown key {other:?} in expect"),
        }
    }
    assert!(
        conditions.iter().any(|(t, _)| t == "Ready"),
        "{case}: an accepted case states its Ready condition"
    );
    Expect::Accepted {
        conditions,
        summary,
        fields,
    }
}

fn strings(case: &str, value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .unwrap_or_else(|| panic!("{case}: {i} is not a string"))
                    .to_string()
            })
            .collect(),
        other => panic!("{case}: {other} is not a string or list of strings"),
    }
}

fn hex_bytes(case: &str, text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| panic!("{case}: {b:?} is not hex")))
        .collect()
}

fn kind_of(resource: &str) -> &'static str {
    match resource {
        "talkrecommendations" => "TalkRecommendation",
        _ => "ConferenceReport",
    }
}

fn plural(kind: &str) -> &'static str {
    match kind {
        "TalkRecommendation" => "talkrecommendations",
        _ => "conferencereports",
    }
}

fn load(path: &Path, templates: &Templates, namespace: &str, other: &str) -> Case {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a file name")
        .to_string();
    assert!(
        name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{}: a case's file name is its objects' name: lowercase letters, digits and '-'",
        path.display()
    );
    let category = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str())
        .expect("a category directory")
        .to_string();
    let file = yaml(path);
    let map = file
        .as_object()
        .unwrap_or_else(|| panic!("{name}: a case is a map"));
    for key in map.keys() {
        assert!(
            [
                "expect",
                "setup",
                "report",
                "recommendation",
                "object",
                "via",
                "fieldValidation",
                "raw",
                "rawBytes",
                "resource",
            ]
            .contains(&key.as_str()),
            "{name}: unknown key {key:?}"
        );
    }
    let names = Names {
        case: &name,
        namespace,
        other,
    };
    let expect = expectation(
        &name,
        &substitute(
            map.get("expect").expect("an `expect` block"),
            &[("$CASE", &name), ("$NS", namespace), ("$OTHER", other)],
        ),
    );
    let subject = manifest(map, templates, &names);
    let setup = map
        .get("setup")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| manifest(e.as_object().expect("a setup entry"), templates, &names))
                .collect()
        })
        .unwrap_or_default();
    let via = match map.get("via").and_then(Value::as_str) {
        None | Some("create") => Via::Create,
        Some("apply") => Via::Apply,
        Some(other) => panic!("{name}: via {other:?}"),
    };
    let field_validation = map
        .get("fieldValidation")
        .and_then(Value::as_str)
        .unwrap_or("Strict")
        .to_string();
    let mut raw: Vec<(String, Vec<u8>)> = map
        .get("raw")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("raw text").as_bytes().to_vec()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(bytes) = map.get("rawBytes").and_then(Value::as_object) {
        for (k, v) in bytes {
            raw.push((k.clone(), hex_bytes(&name, v.as_str().expect("hex bytes"))));
        }
    }
    let resource = map
        .get("resource")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| plural(subject["kind"].as_str().unwrap_or_default()).to_string());
    Case {
        name,
        category,
        expect,
        setup,
        subject,
        resource,
        via,
        field_validation,
        raw,
    }
}

fn corpus(namespace: &str, other: &str) -> Vec<Case> {
    let templates = templates();
    let mut paths = Vec::new();
    for dir in std::fs::read_dir(CORPUS).expect("read the corpus") {
        let dir = dir.expect("a directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("read a category") {
            let file = file.expect("a file").path();
            if file.extension().is_some_and(|e| e == "yaml") {
                paths.push(file);
            }
        }
    }
    paths.sort();
    let cases: Vec<Case> = paths
        .iter()
        .map(|p| load(p, &templates, namespace, other))
        .collect();
    let mut seen = BTreeSet::new();
    for case in &cases {
        assert!(
            seen.insert(case.name.clone()),
            "two cases are named {}: names are unique across categories",
            case.name
        );
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Talking to the API server
// ---------------------------------------------------------------------------------------------

fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("tripreports.dev", "v1alpha1", kind))
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// Sends `object` to the API server as kubectl would (field validation Strict by default, as
/// kubectl has since 1.27): the created object, or the server's error as
/// `<code> <reason>: <message>`.
async fn send(
    client: &Client,
    namespace: &str,
    resource: &str,
    object: &Value,
    via: Via,
    field_validation: &str,
    raw: &[(String, Vec<u8>)],
) -> Result<DynamicObject, String> {
    let mut body = serde_json::to_vec(object).expect("serialize");
    for (placeholder, bytes) in raw {
        let replaced = replace_bytes(&body, placeholder.as_bytes(), bytes);
        assert_ne!(
            replaced, body,
            "placeholder {placeholder} is not in the manifest"
        );
        body = replaced;
    }
    let request = Request::new(format!(
        "/apis/tripreports.dev/v1alpha1/namespaces/{namespace}/{resource}"
    ));
    let mut http = match via {
        Via::Create => request.create(
            &PostParams {
                dry_run: false,
                field_manager: Some("kubectl-create".to_string()),
            },
            body,
        ),
        Via::Apply => {
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            request
                .patch(
                    name,
                    &PatchParams::apply("kubectl").force(),
                    &Patch::Apply(&()),
                )
                .map(|mut r| {
                    *r.body_mut() = body;
                    r
                })
        }
    }
    .expect("a request");
    let uri = format!("{}&fieldValidation={field_validation}", http.uri());
    *http.uri_mut() = uri.parse().expect("a URI");
    client
        .request::<DynamicObject>(http)
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) => format!("{} {}: {}", s.code, s.reason, s.message),
            other => other.to_string(),
        })
}

/// Applies the corpus' anchor report `base`, which the recommendation cases reference.
async fn apply_anchor(client: &Client, namespace: &str) -> Result<(), String> {
    let templates = templates();
    let anchor = substitute(&templates.report, &[("$CASE", "base")]);
    send(
        client,
        namespace,
        "conferencereports",
        &anchor,
        Via::Apply,
        "Strict",
        &[],
    )
    .await
    .map(|_| ())
}

#[derive(Debug)]
enum Outcome {
    Rejected(String),
    /// Accepted, under this name (generateName gives one only now).
    Accepted(String),
    SetupFailed(String),
}

async fn run_case(client: &Client, namespace: &str, case: &Case) -> Outcome {
    for object in &case.setup {
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        let kind = object["kind"].as_str().unwrap_or_default();
        if let Err(e) = send(client, &ns, plural(kind), object, Via::Apply, "Strict", &[]).await {
            return Outcome::SetupFailed(e);
        }
    }
    match send(
        client,
        namespace,
        &case.resource,
        &case.subject,
        case.via,
        &case.field_validation,
        &case.raw,
    )
    .await
    {
        Ok(object) => Outcome::Accepted(object.metadata.name.unwrap_or_default()),
        Err(message) => Outcome::Rejected(message),
    }
}

// ---------------------------------------------------------------------------------------------
// Judging what the operator did
// ---------------------------------------------------------------------------------------------

fn conditions_of(object: &DynamicObject) -> Vec<Value> {
    object.data["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn find_condition<'a>(conditions: &'a [Value], type_: &str) -> Option<&'a Value> {
    conditions.iter().find(|c| c["type"] == type_)
}

fn describe_condition(c: Option<&Value>) -> String {
    match c {
        None => "absent".to_string(),
        Some(c) => format!(
            "{}/{} ({:?})",
            c["status"].as_str().unwrap_or("?"),
            c["reason"].as_str().unwrap_or("?"),
            shorten(c["message"].as_str().unwrap_or_default(), 300)
        ),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Whether the object has its Ready condition for its current generation.
fn settled(object: &DynamicObject) -> bool {
    let generation = object.metadata.generation;
    let conditions = conditions_of(object);
    find_condition(&conditions, "Ready")
        .is_some_and(|c| c["observedGeneration"].as_i64() == generation)
        && object.data["status"]["observedGeneration"].as_i64() == generation
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    kind: &'static str,
    name: String,
}

/// An accepted object in the operator's namespace: the case it belongs to, and whether it is
/// the case's subject.
#[derive(Debug, Clone)]
struct Tracked {
    case: Option<usize>,
    key: Key,
}

async fn list(api: &Api<DynamicObject>) -> Result<BTreeMap<String, DynamicObject>, String> {
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(list
        .items
        .into_iter()
        .map(|o| (o.metadata.name.clone().unwrap_or_default(), o))
        .collect())
}

struct Cluster {
    reports: BTreeMap<String, DynamicObject>,
    recs: BTreeMap<String, DynamicObject>,
}

impl Cluster {
    async fn read(reports: &Api<DynamicObject>, recs: &Api<DynamicObject>) -> Result<Self, String> {
        Ok(Cluster {
            reports: list(reports).await?,
            recs: list(recs).await?,
        })
    }

    fn get(&self, key: &Key) -> Option<&DynamicObject> {
        match key.kind {
            "ConferenceReport" => self.reports.get(&key.name),
            _ => self.recs.get(&key.name),
        }
    }

    /// The operator writes nothing for a suspended report. Its recommendations are objects of
    /// their own: they get a status (`ReportSuspended`).
    fn frozen(&self, key: &Key) -> bool {
        key.kind == "ConferenceReport"
            && self
                .reports
                .get(&key.name)
                .is_some_and(|r| r.data["spec"]["suspend"] == true)
    }

    fn keys(&self) -> Vec<Key> {
        let reports = self.reports.keys().map(|name| Key {
            kind: "ConferenceReport",
            name: name.clone(),
        });
        let recs = self.recs.keys().map(|name| Key {
            kind: "TalkRecommendation",
            name: name.clone(),
        });
        reports.chain(recs).collect()
    }

    fn resource_versions(&self) -> BTreeMap<String, String> {
        self.reports
            .iter()
            .map(|(n, o)| (format!("ConferenceReport/{n}"), o))
            .chain(
                self.recs
                    .iter()
                    .map(|(n, o)| (format!("TalkRecommendation/{n}"), o)),
            )
            .map(|(k, o)| (k, o.metadata.resource_version.clone().unwrap_or_default()))
            .collect()
    }
}

/// Everything wrong with a published summary.md / summary.json, by the contract's rules for
/// user text (API.md, docs/summary-format.md): read as Markdown it has only the operator's
/// structure, and rendered by pulldown-cmark and by comrak's GFM it has no element, attribute or
/// link outside the rules.
fn summary_problems(md: &str, json: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let control =
        |c: char| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c);
    if let Some(c) = md.chars().find(|c| control(*c)) {
        problems.push(format!("summary.md has the control character {c:?}"));
    }
    if !md.ends_with('\n') || md.ends_with("\n\n") {
        problems.push("summary.md does not end with exactly one newline".to_string());
    }
    let locale = serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| v["locale"].as_str().map(str::to_string))
        .unwrap_or_else(|| "en".to_string());
    problems.extend(markdown_problems(md, &locale));
    if let Err(e) = crate::rendered_html::check_html(md) {
        problems.push(format!("summary.md rendered: {}", shorten(&e, 300)));
    }
    match serde_json::from_str::<Value>(json) {
        Err(e) => problems.push(format!("summary.json is not JSON: {e}")),
        Ok(value) => {
            fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
                match v {
                    Value::String(s) => out.push(s),
                    Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
                    Value::Object(o) => o.values().for_each(|v| strings(v, out)),
                    _ => {}
                }
            }
            let mut all = Vec::new();
            strings(&value, &mut all);
            if let Some(s) = all.iter().find(|s| s.chars().any(control)) {
                problems.push(format!(
                    "summary.json has a control character in {:?}",
                    shorten(s, 80)
                ));
            }
            if value["schemaVersion"] != 2 || !value["truncation"].is_object() {
                problems.push("summary.json lacks schemaVersion 2 or truncation".to_string());
            }
            for rec in value["recommendations"].as_array().into_iter().flatten() {
                for field in ["videoURL", "slidesURL"] {
                    if let Some(url) = rec[field].as_str() {
                        let lower = url.to_ascii_lowercase();
                        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                            problems.push(format!("summary.json has a {field} {url:?}"));
                        }
                    }
                }
            }
        }
    }
    problems
}

/// What a CommonMark/GFM parser (pulldown-cmark, with GitHub's extensions) makes of summary.md:
/// nothing but the structure the operator writes (docs/summary-format.md), in the words of
/// `locale`. User text can make no HTML, image, code, table, rule, footnote, math, strike-through
/// or emphasis, no heading but the title and the talks, no quote but the note; its only links are
/// its own bare http(s) URLs, shown as they are, besides the operator's `[Video]`/`[Slides]` and
/// the projects' homepages.
fn markdown_problems(md: &str, locale: &str) -> Vec<String> {
    let locale = tripreport_operator::render::locale::Locale::for_language(locale);
    let m = locale.messages();
    let sections = [
        m.abstract_heading,
        m.highlights_heading,
        m.themes_heading,
        m.projects_heading,
        m.body_heading,
    ];
    let talks_heading = |h: &str| {
        [m.talks_heading, m.talks_heading_partial]
            .iter()
            .flat_map(|p| [p.one, p.other])
            .any(|form| h.starts_with(form.split('(').next().unwrap_or(form)))
    };
    let mut labels: Vec<String> = [
        m.conference,
        m.place,
        m.when,
        m.attendees,
        m.author,
        m.language,
        m.reviewed,
        m.speakers.one,
        m.speakers.other,
        m.track,
        m.recommended_by,
        m.note_label,
    ]
    .iter()
    .map(|l| format!("{l}:"))
    .collect();
    labels.sort();
    let mut in_projects = false;
    use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    let mut problems = BTreeSet::new();
    let (mut h1, mut quotes) = (0, 0);
    // The text of the innermost link, heading or strong span being read.
    let mut text: Option<String> = None;
    let mut link: Option<String> = None;
    for event in Parser::new_ext(md, options) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                problems.insert(format!("raw HTML {:?}", shorten(&h, 80)));
            }
            Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {
                problems.insert("a code span or math".to_string());
            }
            Event::Rule | Event::FootnoteReference(_) | Event::TaskListMarker(_) => {
                problems.insert(format!("{event:?}"));
            }
            Event::Text(t) => {
                if let Some(text) = text.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::Start(tag) => match tag {
                Tag::Link {
                    link_type,
                    dest_url,
                    ..
                } => {
                    let lower = dest_url.to_ascii_lowercase();
                    if !matches!(link_type, LinkType::Inline | LinkType::Autolink)
                        || !(lower.starts_with("http://") || lower.starts_with("https://"))
                    {
                        problems.insert(format!(
                            "a {link_type:?} link to {:?}",
                            shorten(&dest_url, 80)
                        ));
                    }
                    link = Some(dest_url.to_string());
                    text = Some(String::new());
                }
                Tag::Image { dest_url, .. } => {
                    problems.insert(format!("an image from {:?}", shorten(&dest_url, 80)));
                }
                Tag::Heading { level, .. } => {
                    if level == HeadingLevel::H1 {
                        h1 += 1;
                    }
                    if level > HeadingLevel::H3 {
                        problems.insert(format!("a heading {level:?}"));
                    }
                    text = Some(String::new());
                }
                Tag::Strong => text = Some(String::new()),
                Tag::BlockQuote(_) => quotes += 1,
                Tag::HtmlBlock
                | Tag::CodeBlock(_)
                | Tag::Table(_)
                | Tag::FootnoteDefinition(_)
                | Tag::Emphasis
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::DefinitionList
                | Tag::MetadataBlock(_) => {
                    problems.insert(format!("{tag:?}"));
                }
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Link => {
                    let said = text.take().unwrap_or_default();
                    let dest = link.take().unwrap_or_default();
                    // A URL shows itself (percent-encoded where a destination must be).
                    let shows_itself = said == dest
                        || dest
                            == said
                                .replace(' ', "%20")
                                .replace('(', "%28")
                                .replace(')', "%29");
                    if said != m.video && said != m.slides && !in_projects && !shows_itself {
                        problems.insert(format!(
                            "a link {:?} to {:?}",
                            shorten(&said, 40),
                            shorten(&dest, 80)
                        ));
                    }
                }
                TagEnd::Heading(HeadingLevel::H2) => {
                    let said = text.take().unwrap_or_default();
                    in_projects = said == m.projects_heading;
                    if !sections.contains(&said.as_str()) && !talks_heading(&said) {
                        problems.insert(format!("a section {:?}", shorten(&said, 80)));
                    }
                }
                TagEnd::Strong => {
                    let said = text.take().unwrap_or_default();
                    if !labels.contains(&said) {
                        problems.insert(format!("bold text {:?}", shorten(&said, 80)));
                    }
                }
                TagEnd::Heading(_) => {
                    in_projects = false;
                    text = None
                }
                _ => {}
            },
            _ => {}
        }
    }
    if h1 != 1 {
        problems.insert(format!("{h1} top-level headings"));
    }
    if quotes > 1 {
        problems.insert(format!("{quotes} block quotes (only the note is one)"));
    }
    problems
        .into_iter()
        .map(|p| format!("summary.md, parsed as Markdown, has {p}"))
        .collect()
}

fn digest(data: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in data {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The summary ConfigMap of a published report, checked against the contract.
fn config_map_problems(report: &DynamicObject, cm: Option<&ConfigMap>) -> Vec<String> {
    let name = report.metadata.name.clone().unwrap_or_default();
    let Some(cm) = cm else {
        return vec![format!(
            "Ready is True but there is no summary ConfigMap {:?}",
            report.data["status"]["summary"]["configMapName"]
        )];
    };
    let mut problems = Vec::new();
    let cm_name = cm.metadata.name.clone().unwrap_or_default();
    let expected_name = format!("{name}-summary");
    if (expected_name.len() <= 253 && cm_name != expected_name)
        || cm_name.len() > 253
        || !cm_name.ends_with("-summary")
    {
        problems.push(format!("the summary is named {cm_name}"));
    }
    let data = cm.data.clone().unwrap_or_default();
    let keys: Vec<&String> = data.keys().collect();
    if keys != ["summary.json", "summary.md"] {
        problems.push(format!("the summary's keys are {keys:?}"));
    }
    let size: usize = data.values().map(String::len).sum();
    if size > BUDGET_BYTES {
        problems.push(format!(
            "the summary holds {size} bytes, over {BUDGET_BYTES}"
        ));
    }
    let encoded = serde_json::to_vec(cm)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if encoded >= CONFIG_MAP_LIMIT {
        problems.push(format!("the ConfigMap is {encoded} bytes"));
    }
    let annotated = cm
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("tripreports.dev/digest"))
        .cloned()
        .unwrap_or_default();
    let computed = digest(&data);
    if annotated != computed || report.data["status"]["summary"]["digest"] != computed.as_str() {
        problems.push(format!(
            "digests differ: data {computed}, annotation {annotated}, status {}",
            report.data["status"]["summary"]["digest"]
        ));
    }
    if report.data["status"]["summary"]["configMapName"] != cm_name.as_str() {
        problems.push("status.summary.configMapName is not the summary's name".to_string());
    }
    let labels = cm.metadata.labels.clone().unwrap_or_default();
    let label_keys: Vec<&String> = labels.keys().collect();
    let report_label = labels
        .get("tripreports.dev/report")
        .cloned()
        .unwrap_or_default();
    if label_keys != ["app.kubernetes.io/managed-by", "tripreports.dev/report"]
        || labels["app.kubernetes.io/managed-by"] != "tripreport-operator"
        || !(report_label == name || (name.len() > 63 && report_label.len() <= 63))
    {
        problems.push(format!("the summary's labels are {labels:?}"));
    }
    let owners = cm.metadata.owner_references.clone().unwrap_or_default();
    if owners.len() != 1
        || owners[0].uid != report.metadata.uid.clone().unwrap_or_default()
        || owners[0].controller != Some(true)
        || owners[0].block_owner_deletion != Some(true)
    {
        problems.push(format!("the summary's owner references are {owners:?}"));
    }
    problems.extend(summary_problems(
        data.get("summary.md").map_or("", String::as_str),
        data.get("summary.json").map_or("", String::as_str),
    ));
    problems
}

/// Contract invariants of any status the operator wrote.
fn status_problems(object: &DynamicObject, kind: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let generation = object.metadata.generation;
    let conditions = conditions_of(object);
    if object.data["status"]["observedGeneration"].as_i64() != generation {
        problems.push(format!(
            "status.observedGeneration {} is not the generation {generation:?}",
            object.data["status"]["observedGeneration"]
        ));
    }
    let camel = regex::Regex::new("^[A-Z][A-Za-z0-9]*$").expect("a regex");
    let mut types = BTreeSet::new();
    for c in &conditions {
        let type_ = c["type"].as_str().unwrap_or_default();
        if !types.insert(type_.to_string()) {
            problems.push(format!("two {type_} conditions"));
        }
        if c["observedGeneration"].as_i64() != generation {
            problems.push(format!(
                "{type_} is for generation {}",
                c["observedGeneration"]
            ));
        }
        if !camel.is_match(c["reason"].as_str().unwrap_or_default()) {
            problems.push(format!("{type_} has the reason {}", c["reason"]));
        }
        if c["message"].as_str().unwrap_or_default().trim().is_empty() && c["status"] != "Unknown" {
            problems.push(format!("{type_} has no message"));
        }
    }
    let required: &[&str] = if kind == "ConferenceReport" {
        &["Ready", "Reviewed", "Summarized"]
    } else {
        &["Ready", "Reviewed"]
    };
    for type_ in required {
        if find_condition(&conditions, type_).is_none() {
            problems.push(format!("no {type_} condition"));
        }
    }
    let stalled = find_condition(&conditions, "Stalled");
    if stalled.is_some() && find_condition(&conditions, "Reconciling").is_some() {
        problems.push("both Reconciling and Stalled".to_string());
    }
    let ready = find_condition(&conditions, "Ready");
    let ready_reason = ready.and_then(|c| c["reason"].as_str()).unwrap_or_default();
    if matches!(ready_reason, "InvalidSpec" | "SummaryFailed")
        && !stalled.is_some_and(|s| s["status"] == "True" && s["reason"] == ready_reason)
    {
        problems.push(format!(
            "Ready is {ready_reason} but Stalled is {}",
            describe_condition(stalled)
        ));
    }
    if stalled.is_some_and(|s| s["status"] == "True")
        && ready.is_some_and(|r| r["status"] != "False")
    {
        problems.push("Stalled while Ready is not False".to_string());
    }
    for (field, type_) in [("reviewed", "Reviewed"), ("summarized", "Summarized")] {
        if kind != "ConferenceReport" && field == "summarized" {
            continue;
        }
        let flag = object.data["status"][field].as_bool().unwrap_or(false);
        let condition = find_condition(&conditions, type_).is_some_and(|c| c["status"] == "True");
        if flag != condition {
            problems.push(format!(
                "status.{field} is {flag} but {type_} says {condition}"
            ));
        }
    }
    problems
}

/// Counts per (kind, object name) of the operator's log lines with `what` in them.
fn log_counts(log: &str, what: &str) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains(what)) {
        let kind = line
            .split_once("object.ref=")
            .and_then(|(_, rest)| rest.split_once('.'))
            .map(|(kind, _)| kind.to_string())
            .unwrap_or_default();
        let name = line
            .split_once(" object=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name.to_string())
            .unwrap_or_default();
        *counts.entry((kind, name)).or_default() += 1;
    }
    counts
}

/// Waits (at most `DRAIN`) until the operator's queue of Events is drained: Events written plus
/// Events refused stay the same for a while.
async fn events_drained(operator: &Operator) {
    let deadline = Instant::now() + DRAIN;
    let (mut last, mut since) = (f64::NAN, Instant::now());
    while Instant::now() < deadline {
        let (_, body) = operator.get("/metrics").await.unwrap_or_default();
        let handled: f64 = body
            .lines()
            .filter(|l| {
                l.starts_with("tripreport_writes_total{resource=\"events\"}")
                    || l.starts_with("tripreport_reconcile_errors_total{kind=\"Event\"")
            })
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum();
        if handled != last {
            (last, since) = (handled, Instant::now());
        } else if since.elapsed() > Duration::from_millis(1500) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The sum of a metric family's samples in the operator's /metrics.
async fn metric_sum(operator: &Operator, family: &str) -> f64 {
    let (_, body) = operator.get("/metrics").await.unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with(family) && l[family.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// The API server's answer to each case against its expectation. Returns the accepted
/// subjects, to be judged once the operator has handled them.
fn judge_apply(cases: &[Case], outcomes: &[Outcome], mismatches: &mut Vec<String>) -> Vec<Tracked> {
    let verbose = std::env::var_os("BAD_INPUT_VERBOSE").is_some();
    let mut subjects = Vec::new();
    for (i, (case, outcome)) in cases.iter().zip(outcomes).enumerate() {
        let id = case.id();
        if verbose {
            // What the API server said, to write a new case's expectation from.
            eprintln!("{id}: {}", shorten(&format!("{outcome:?}"), 600));
        }
        match (outcome, &case.expect) {
            (Outcome::SetupFailed(e), _) => {
                mismatches.push(format!("{id}: its setup was refused: {e}"))
            }
            (Outcome::Rejected(message), Expect::Rejected(substrings)) => {
                let missing: Vec<&String> = substrings
                    .iter()
                    .filter(|s| !message.contains(s.as_str()))
                    .collect();
                if !missing.is_empty() {
                    mismatches.push(format!(
                        "{id}: expected rejected with {missing:?}; rejected with {message:?}"
                    ));
                }
            }
            (Outcome::Rejected(message), expect) => mismatches.push(format!(
                "{id}: expected {}; rejected with {message:?}",
                expect.label()
            )),
            (Outcome::Accepted(_), Expect::Rejected(substrings)) => mismatches.push(format!(
                "{id}: expected rejected with {substrings:?}; accepted"
            )),
            (Outcome::Accepted(name), Expect::Accepted { .. }) => subjects.push(Tracked {
                case: Some(i),
                key: Key {
                    kind: kind_of(&case.resource),
                    name: name.clone(),
                },
            }),
        }
    }
    subjects
}

/// Polls until every tracked object that should get conditions has a Ready condition for its
/// generation; objects still without one when nothing else settled for `STALL` are mismatches.
async fn settle(
    reports: &Api<DynamicObject>,
    recs: &Api<DynamicObject>,
    waiting_for: impl Fn(&Cluster) -> Vec<Key>,
    mismatches: &mut Vec<String>,
) -> Cluster {
    let started = Instant::now();
    let deadline = started + SETTLE_TIMEOUT;
    // Progress is counted from the first object settled: starting up may take a while.
    let (mut last_progress, mut last_waiting, mut first) = (Instant::now(), usize::MAX, None);
    loop {
        let cluster = match Cluster::read(reports, recs).await {
            Ok(c) => c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("listing failed, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            Err(e) => panic!("cannot list the corpus' objects: {e}"),
        };
        let waiting: Vec<Key> = waiting_for(&cluster)
            .into_iter()
            .filter(|key| !cluster.get(key).is_some_and(settled))
            .collect();
        if waiting.is_empty() {
            return cluster;
        }
        let first = *first.get_or_insert(waiting.len());
        if waiting.len() < last_waiting {
            (last_progress, last_waiting) = (Instant::now(), waiting.len());
        }
        // Stragglers are judged once nothing else has settled for a while.
        if Instant::now() > deadline || (last_waiting < first && last_progress.elapsed() > STALL) {
            for key in waiting {
                let status = cluster.get(&key).map_or("<object gone>".to_string(), |o| {
                    shorten(&o.data["status"].to_string(), 300)
                });
                mismatches.push(format!(
                    "{} {}: no Ready condition for its generation {:?} after the operator started; status {status}",
                    key.kind,
                    key.name,
                    started.elapsed(),
                ));
            }
            return cluster;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What the operator published about the namespace's objects: summaries by name, and Events by
/// (kind, name) of the object they regard, type and reason.
struct Published {
    summaries: BTreeMap<String, ConfigMap>,
    events: BTreeMap<(String, String, String, String), usize>,
}

impl Published {
    async fn read(client: &Client, namespace: &str) -> Self {
        let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
        let events: Api<k8s_openapi::api::events::v1::Event> =
            Api::namespaced(client.clone(), namespace);
        let summaries = config_maps
            .list(&ListParams::default())
            .await
            .expect("list ConfigMaps")
            .items
            .into_iter()
            .map(|cm| (cm.metadata.name.clone().unwrap_or_default(), cm))
            .collect();
        let mut counts = BTreeMap::new();
        for e in events
            .list(&ListParams::default())
            .await
            .expect("list Events")
            .items
        {
            let regarding = e.regarding.clone().unwrap_or_default();
            *counts
                .entry((
                    regarding.kind.unwrap_or_default(),
                    regarding.name.unwrap_or_default(),
                    e.type_.unwrap_or_default(),
                    e.reason.unwrap_or_default(),
                ))
                .or_insert(0) += 1;
        }
        Published {
            summaries,
            events: counts,
        }
    }

    fn has_event(&self, key: &Key, type_: &str, reason: &str) -> bool {
        self.events.contains_key(&(
            key.kind.to_string(),
            key.name.clone(),
            type_.to_string(),
            reason.to_string(),
        ))
    }

    fn summary_of(&self, cluster: &Cluster, report: &str) -> Option<&ConfigMap> {
        let object = cluster.reports.get(report)?;
        let name = object.data["status"]["summary"]["configMapName"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{report}-summary"));
        self.summaries.get(&name)
    }

    /// BAD_INPUT_DUMP=<dir> keeps every published summary, to read what the operator made.
    fn dump(&self) {
        let Some(dir) = std::env::var_os("BAD_INPUT_DUMP") else {
            return;
        };
        std::fs::create_dir_all(&dir).expect("create the dump directory");
        for (name, cm) in &self.summaries {
            for (key, value) in cm.data.iter().flatten() {
                let file = Path::new(&dir).join(format!("{}.{key}", shorten(name, 60)));
                std::fs::write(file, value).expect("write a summary");
            }
        }
    }
}

/// One accepted object: the contract's invariants for whatever status it has, and, for a
/// case's subject, the conditions, fields and summary text the case states.
fn judge_object(
    t: &Tracked,
    cases: &[Case],
    cluster: &Cluster,
    published: &Published,
) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = cluster.get(&t.key) else {
        return vec![format!("{} {}: gone", t.key.kind, t.key.name)];
    };
    let conditions = conditions_of(object);
    let has_status = !object.data["status"].is_null() && !conditions.is_empty();
    let ready = find_condition(&conditions, "Ready");
    let ready_reason = ready.and_then(|c| c["reason"].as_str()).unwrap_or_default();
    if has_status {
        problems.extend(status_problems(object, t.key.kind));
        if matches!(ready_reason, "InvalidSpec" | "ReportNotFound")
            && !published.has_event(&t.key, "Warning", ready_reason)
        {
            problems.push(format!(
                "Ready is {ready_reason} but there is no Warning Event {ready_reason} about it"
            ));
        }
        if ready_reason == "Published" && !published.has_event(&t.key, "Normal", "SummaryPublished")
        {
            problems.push(
                "its summary is published but there is no Normal Event SummaryPublished about it"
                    .to_string(),
            );
        }
        if t.key.kind == "ConferenceReport" && ready.is_some_and(|r| r["status"] == "True") {
            problems.extend(config_map_problems(
                object,
                published.summary_of(cluster, &t.key.name),
            ));
        }
    }
    for ((kind, name, type_, reason), n) in &published.events {
        if *kind == t.key.kind && *name == t.key.name && type_ == "Warning" && *n > 1 {
            problems.push(format!(
                "{n} Warning Events {reason}: one per change, not per reconcile"
            ));
        }
    }
    if let Some(Expect::Accepted {
        conditions: expected,
        summary,
        fields,
    }) = t.case.map(|i| &cases[i].expect)
    {
        for (type_, want) in expected {
            let got = find_condition(&conditions, type_);
            let matches = match (want, got) {
                (ConditionExpectation::Absent, None) => true,
                (
                    ConditionExpectation::Is {
                        status,
                        reason,
                        message,
                    },
                    Some(c),
                ) => {
                    c["status"] == status.as_str()
                        && c["reason"] == reason.as_str()
                        && message.as_ref().is_none_or(|m| {
                            c["message"]
                                .as_str()
                                .is_some_and(|cm| cm.contains(m.as_str()))
                        })
                }
                _ => false,
            };
            if !matches {
                problems.push(format!(
                    "expected {type_} {want}; got {}",
                    describe_condition(got)
                ));
            }
        }
        for (pointer, want) in fields {
            let got = object.data.pointer(pointer).cloned().unwrap_or(Value::Null);
            if got != *want {
                problems.push(format!(
                    "expected {pointer} = {}; got {}",
                    shorten(&want.to_string(), 200),
                    shorten(&got.to_string(), 200)
                ));
            }
        }
        let report = if t.key.kind == "ConferenceReport" {
            t.key.name.as_str()
        } else {
            object.data["spec"]["reportRef"]["name"]
                .as_str()
                .unwrap_or_default()
        };
        let md = published
            .summary_of(cluster, report)
            .and_then(|cm| cm.data.as_ref()?.get("summary.md").cloned())
            .unwrap_or_default();
        for want in summary {
            if !md.contains(want.as_str()) {
                problems.push(format!(
                    "expected summary.md of {report} to contain {want:?}"
                ));
            }
        }
    }
    let id = match t.case {
        Some(i) => cases[i].id(),
        None => format!("(setup) {} {}", t.key.kind, t.key.name),
    };
    problems.into_iter().map(|p| format!("{id}: {p}")).collect()
}

/// The operator after convergence: nothing written or reconciled again and no object changed
/// within `QUIET_WINDOW`; at most one status write per object and one summary write per
/// report; no failure retried; alive, healthy and without a panic.
async fn judge_operator(
    operator: &Operator,
    reports: &Api<DynamicObject>,
    recs: &Api<DynamicObject>,
    cluster: &Cluster,
) -> Vec<String> {
    let mut problems = Vec::new();
    let writes_before = operator.writes().await;
    let reconciles_before = metric_sum(operator, "tripreport_reconciles_total").await;
    let errors_before = metric_sum(operator, "tripreport_reconcile_errors_total").await;
    let versions_before = cluster.resource_versions();
    tokio::time::sleep(QUIET_WINDOW).await;
    let writes_after = operator.writes().await;
    let reconciles_after = metric_sum(operator, "tripreport_reconciles_total").await;
    let errors_after = metric_sum(operator, "tripreport_reconcile_errors_total").await;
    if writes_after != writes_before {
        problems.push(format!(
            "the operator kept writing after convergence: {writes_before} then {writes_after} writes within {QUIET_WINDOW:?}"
        ));
    }
    if reconciles_after != reconciles_before || errors_after != errors_before {
        problems.push(format!(
            "the operator kept reconciling after convergence: reconciles {reconciles_before} then {reconciles_after}, errors {errors_before} then {errors_after}, within {QUIET_WINDOW:?}"
        ));
    }
    if let Ok(now) = Cluster::read(reports, recs).await {
        for (key, version) in &now.resource_versions() {
            if versions_before.get(key).is_some_and(|v| v != version) {
                problems.push(format!("{key} changed after convergence"));
            }
        }
    }

    let (n_reports, n_recs) = (cluster.reports.len() as f64, cluster.recs.len() as f64);
    for (resource, limit) in [
        ("conferencereports/status", n_reports),
        ("talkrecommendations/status", n_recs),
        ("configmaps", n_reports),
    ] {
        let written = operator
            .metric(&format!(
                "tripreport_writes_total{{resource=\"{resource}\"}}"
            ))
            .await;
        if written > limit {
            problems.push(format!(
                "{written} writes of {resource} for {limit} objects"
            ));
        }
    }
    let log = operator.logs();
    for (what, label) in [
        ("status written", "status writes"),
        ("summary published", "summary publications"),
        ("summary updated", "summary updates"),
    ] {
        for ((kind, name), n) in log_counts(&log, what) {
            if n > 1 {
                problems.push(format!("{kind} {name}: {n} {label}"));
            }
        }
    }
    // A bad object is handled once: a failure that is retried is a retry loop (API.md: "never
    // a silent failure or a retry loop"), however long its backoff.
    for ((kind, name), n) in log_counts(&log, "reconcile failed") {
        if n > 1 {
            let first = log
                .lines()
                .find(|l| {
                    l.contains("reconcile failed") && l.contains(&format!(" object=\"{name}\""))
                })
                .and_then(|l| l.split_once(" error="))
                .map(|(_, e)| shorten(e, 300))
                .unwrap_or_default();
            problems.push(format!(
                "{kind} {name}: {n} failed reconciles so far, retried in a loop: {first}"
            ));
        }
    }
    match operator.get("/healthz").await {
        Ok((200, _)) => {}
        other => problems.push(format!(
            "the operator is not healthy after the corpus: {other:?}"
        )),
    }
    for line in log.lines().filter(|l| l.contains("panicked")) {
        problems.push(format!("the operator's log: {line}"));
    }
    problems
}

#[tokio::test]
async fn every_bad_input_gets_the_outcome_its_case_states() {
    let started = Instant::now();
    let env = setup("bad-input").await;
    install_crds(&env.client).await;
    let other = env
        .cp
        .create_namespace("bad-input-other")
        .await
        .expect("a second namespace");
    let (client, namespace) = (env.client.clone(), env.namespace.clone());
    let cases = corpus(&namespace, &other);
    assert!(cases.len() >= 150, "the corpus has {} cases", cases.len());
    let reports = Api::namespaced_with(client.clone(), &namespace, &resource("ConferenceReport"));
    let recs = Api::namespaced_with(client.clone(), &namespace, &resource("TalkRecommendation"));

    // 1. Apply everything, as users would, before the operator runs: it then sees all of it at
    //    once, so each object's status is written once.
    apply_anchor(&client, &namespace)
        .await
        .expect("the anchor report `base` is accepted");
    let outcomes: Vec<Outcome> = futures::stream::iter(cases.iter())
        .map(|case| run_case(&client, &namespace, case))
        .buffered(8)
        .collect()
        .await;
    let applied_in = started.elapsed();
    let mut mismatches = Vec::new();
    let mut tracked = judge_apply(&cases, &outcomes, &mut mismatches);
    // Everything else accepted (the anchor, the cases' setup objects) is the operator's too.
    let applied = Cluster::read(&reports, &recs)
        .await
        .expect("list the corpus' objects");
    let others: Vec<Key> = applied
        .keys()
        .into_iter()
        .filter(|key| !tracked.iter().any(|t| t.key == *key))
        .collect();
    tracked.extend(others.into_iter().map(|key| Tracked { case: None, key }));

    // 2. One operator for the namespace; wait until every object has its conditions, except a
    //    case's subject expected to get none and a suspended report.
    let operator = Operator::start(env.cp, &namespace);
    let operator_started = Instant::now();
    let waiting_for = |cluster: &Cluster| -> Vec<Key> {
        tracked
            .iter()
            .filter(|t| match t.case {
                Some(i) => !matches!(cases[i].expect.ready(), Some(ConditionExpectation::Absent)),
                None => !cluster.frozen(&t.key),
            })
            .map(|t| t.key.clone())
            .collect()
    };
    let cluster = settle(&reports, &recs, waiting_for, &mut mismatches).await;
    let converged_in = operator_started.elapsed();
    // Events are sent from a queue; judge them once it is drained.
    events_drained(&operator).await;
    let cluster = Cluster::read(&reports, &recs).await.unwrap_or(cluster);

    // 3. Each object as its case states it, and as the contract's invariants want it.
    let published = Published::read(&client, &namespace).await;
    published.dump();
    for t in &tracked {
        mismatches.extend(judge_object(t, &cases, &cluster, &published));
    }
    // The anchor's status counts every valid recommendation that references it: an invalid one
    // is neither rendered nor counted.
    let anchored = cluster
        .recs
        .values()
        .filter(|r| r.data["spec"]["reportRef"]["name"] == "base")
        .filter(|r| {
            !r.data["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["reason"] == "InvalidSpec")
        })
        .count();
    let counted = cluster
        .reports
        .get("base")
        .and_then(|b| b.data["status"]["recommendations"]["total"].as_u64());
    if counted != Some(anchored as u64) {
        mismatches.push(format!(
            "base: status.recommendations.total is {counted:?}, {anchored} reference it"
        ));
    }

    // 4. The operator: no loop, one write per object, alive and without a panic.
    mismatches.extend(judge_operator(&operator, &reports, &recs, &cluster).await);

    let mut by_outcome: BTreeMap<(String, String), usize> = BTreeMap::new();
    for case in &cases {
        *by_outcome
            .entry((case.category.clone(), case.expect.label()))
            .or_default() += 1;
    }
    let table: String = by_outcome
        .iter()
        .map(|((category, outcome), n)| format!("  {category:<12} {outcome:<45} {n}\n"))
        .collect();
    eprintln!(
        "bad-input corpus: {} cases ({} objects accepted) applied in {applied_in:?}, operator converged in {converged_in:?}, {} s in all; cases by expected outcome:\n{table}",
        cases.len(),
        tracked.len(),
        started.elapsed().as_secs()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches in the bad-input corpus (tests/corpus/bad-input):\n{}\noperator log: {}",
        mismatches.len(),
        mismatches.join("\n"),
        operator.log.display()
    );
}

/// Generated, not stored: 5,000 TalkRecommendations on one report. The summary keeps to its
/// budget, says what it left out, and the report stays Ready.
#[tokio::test]
async fn five_thousand_recommendations_on_one_report() {
    const COUNT: usize = 5_000;
    let started = Instant::now();
    let env = setup("bad-input-5000").await;
    install_crds(&env.client).await;
    let (client, namespace) = (env.client.clone(), env.namespace.clone());
    let reports: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &resource("ConferenceReport"));
    let recs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &resource("TalkRecommendation"));
    let templates = templates();
    let report = substitute(&templates.report, &[("$CASE", "thousands")]);
    send(
        &client,
        &namespace,
        "conferencereports",
        &report,
        Via::Apply,
        "Strict",
        &[],
    )
    .await
    .expect("the report is accepted");

    // Ratings cycle 1..=5, so the summary must keep the best rated and leave the rest out.
    let rating = |i: usize| (i % 5 + 1) as i64;
    let reason = "A reason long enough that a few thousand of them pass the budget. ".repeat(4);
    let failures: Vec<String> = futures::stream::iter(0..COUNT)
        .map(|i| {
            let (recs, reason) = (recs.clone(), reason.clone());
            async move {
                let object: DynamicObject = serde_json::from_value(json!({
                    "apiVersion": "tripreports.dev/v1alpha1",
                    "kind": "TalkRecommendation",
                    "metadata": {"name": format!("talk-{i:05}")},
                    "spec": {
                        "reportRef": {"name": "thousands"},
                        "talk": {"title": format!("Talk number {i:05}"), "speakers": ["A. Speaker"],
                                 "videoURL": format!("https://videos.example.com/{i}")},
                        "rating": rating(i),
                        "reason": reason,
                    }
                }))
                .expect("a recommendation");
                recs.create(&Default::default(), &object)
                    .await
                    .err()
                    .map(|e| format!("talk-{i:05}: {e}"))
            }
        })
        .buffer_unordered(32)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} creates failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let created_in = started.elapsed();

    let operator = Operator::start(env.cp, &namespace);
    let operator_started = Instant::now();
    let report = crate::support::eventually(
        "the report to be Ready with all 5,000 recommendations counted",
        Duration::from_secs(120),
        || async {
            let object = reports.get("thousands").await.map_err(|e| e.to_string())?;
            let total = object.data["status"]["recommendations"]["total"].as_u64();
            if settled(&object) && total == Some(COUNT as u64) {
                Ok(object)
            } else {
                Err(object.data["status"].to_string())
            }
        },
    )
    .await;
    let report_ready_in = operator_started.elapsed();
    let mut problems = Vec::new();
    let conditions = conditions_of(&report);
    let ready = find_condition(&conditions, "Ready");
    if !ready.is_some_and(|c| c["status"] == "True" && c["reason"] == "Published") {
        problems.push(format!("Ready is {}", describe_condition(ready)));
    }
    let summarized = find_condition(&conditions, "Summarized");
    let message = summarized
        .and_then(|c| c["message"].as_str())
        .unwrap_or_default()
        .to_string();
    if !summarized.is_some_and(|c| c["status"] == "True" && c["reason"] == "Truncated")
        || !message.contains(&BUDGET_BYTES.to_string())
        || !message.contains(&COUNT.to_string())
    {
        problems.push(format!(
            "Summarized is {} (API.md: reason Truncated, with the size and the budget)",
            describe_condition(summarized)
        ));
    }
    problems.extend(status_problems(&report, "ConferenceReport"));
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    let cm = config_maps.get_opt("thousands-summary").await.expect("get");
    // The recommendations the summary lists, by name.
    let mut listed_names = std::collections::HashSet::new();
    problems.extend(config_map_problems(&report, cm.as_ref()));
    if let Some(data) = cm.as_ref().and_then(|cm| cm.data.clone()) {
        let md = data.get("summary.md").cloned().unwrap_or_default();
        let summary: Value =
            serde_json::from_str(data.get("summary.json").map_or("{}", String::as_str))
                .unwrap_or_default();
        let included = summary["truncation"]["included"].as_u64().unwrap_or(0) as usize;
        let listed = summary["recommendations"].as_array().map_or(0, Vec::len);
        if summary["truncation"]["total"] != COUNT || included == 0 || included >= COUNT {
            problems.push(format!("truncation is {}", summary["truncation"]));
        }
        if listed != included {
            problems.push(format!("{listed} recommendations listed, {included} said"));
        }
        let en = tripreport_operator::render::locale::Locale::for_language("en");
        let heading = format!(
            "## Recommended talks ({} of {} shown)",
            en.number(included as i64),
            en.number(COUNT as i64)
        );
        if !md.contains(&heading) || !md.contains("> **Note:**") {
            problems.push(format!("summary.md lacks {heading:?} or the note"));
        }
        // The first `included` in summary order: rating, highest first, then title.
        let mut order: Vec<usize> = (0..COUNT).collect();
        order.sort_by_key(|i| (std::cmp::Reverse(rating(*i)), format!("Talk number {i:05}")));
        let expected: Vec<String> = order[..included.min(COUNT)]
            .iter()
            .map(|i| format!("talk-{i:05}"))
            .collect();
        let names: Vec<String> = summary["recommendations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect();
        listed_names.extend(names.iter().cloned());
        if names != expected {
            problems.push(
                "the summary does not hold the first recommendations in summary order".into(),
            );
        }
        eprintln!(
            "5,000 recommendations: {included} in the summary, {} bytes of data",
            data.values().map(String::len).sum::<usize>()
        );
    }

    // Every recommendation gets its status once; then nothing more happens.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let written = operator
            .metric("tripreport_writes_total{resource=\"talkrecommendations/status\"}")
            .await;
        if written >= COUNT as f64 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let recs_done_in = operator_started.elapsed();
    events_drained(&operator).await;
    let before = operator.writes().await;
    let reconciles_before = metric_sum(&operator, "tripreport_reconciles_total").await;
    tokio::time::sleep(QUIET_WINDOW).await;
    let after = operator.writes().await;
    let reconciles_after = metric_sum(&operator, "tripreport_reconciles_total").await;
    if before != after || reconciles_before != reconciles_after {
        problems.push(format!(
            "not quiet after convergence: writes {before} then {after}, reconciles {reconciles_before} then {reconciles_after}"
        ));
    }
    for (resource, limit) in [
        ("conferencereports/status", 1.0),
        ("configmaps", 1.0),
        ("talkrecommendations/status", COUNT as f64),
    ] {
        let written = operator
            .metric(&format!(
                "tripreport_writes_total{{resource=\"{resource}\"}}"
            ))
            .await;
        let ok = if resource == "talkrecommendations/status" {
            written == limit
        } else {
            written <= limit
        };
        if !ok {
            problems.push(format!(
                "{written} writes of {resource}, expected at most {limit}"
            ));
        }
    }
    let sample: Vec<DynamicObject> = recs
        .list(&ListParams::default().limit(50))
        .await
        .expect("list")
        .items;
    // Ready says whether the summary lists it: Resolved if so, Truncated (valid, left out) if not.
    for rec in &sample {
        let ready = find_condition(&conditions_of(rec), "Ready").cloned();
        let listed = listed_names.contains(rec.metadata.name.as_deref().unwrap_or_default());
        let reason = if listed { "Resolved" } else { "Truncated" };
        if !ready
            .as_ref()
            .is_some_and(|c| c["status"] == "True" && c["reason"] == reason)
        {
            problems.push(format!(
                "{:?}: Ready is {}",
                rec.metadata.name,
                describe_condition(ready.as_ref())
            ));
        }
    }
    let log = operator.logs();
    if log.contains("panicked") {
        problems.push("the operator panicked".to_string());
    }
    if !matches!(operator.get("/healthz").await, Ok((200, _))) {
        problems.push("the operator is not healthy".to_string());
    }
    eprintln!(
        "5,000 recommendations: created in {created_in:?}, report Ready in {report_ready_in:?}, every status in {recs_done_in:?}, {} s in all",
        started.elapsed().as_secs()
    );
    assert!(
        problems.is_empty(),
        "{} problems with 5,000 recommendations on one report:\n{}\noperator log: {}",
        problems.len(),
        problems.join("\n"),
        operator.log.display()
    );
}

/// The summary checks must be able to fail: they are tried here on markup that escaped and on
/// the same text escaped as the format says.
#[test]
fn the_summary_checks_catch_markup_and_pass_escaped_text() {
    let json = r#"{"schemaVersion": 2, "locale": "en", "truncation": {}, "recommendations": [{"videoURL": "https://example.com/v"}]}"#;
    let good = "# &lt;script>alert(1)&lt;/script>\n\n\\[x\\](javascript:alert(1)) &amp;lt; see <https://example.com/a_b>, www\\.a.b, jane@\u{2060}example.com\n\n[Video](https://example.com/%3Cx%3E) · [Slides](HTTP://example.com/s?a=1&amp;b=2)\n";
    assert_eq!(summary_problems(good, json), Vec::<String>::new());
    for bad in [
        "# <script>alert(1)</script>\n",
        "# \\\\<b>\n",
        "[x](javascript:alert(1))\n",
        "[Video](javascript:alert(1))\n",
        "[Video](https://example.com/<x>)\n",
        "![i](data:image/png;base64,AAAA)\n",
        "<https://evil.example>\n",
        "&#106;avascript\\:alert\\(1\\)\n",
        "[a]: https://evil.example\n",
        "javascript:alert\\(1\\)\n",
        "a\u{0}b\n",
        "a\u{9b}b\n",
        "no newline at the end",
        "# t\n\n    indented code\n",
        "# t\n\n---\n",
        "# t\n\n*emphasis*\n",
        "# t\n\n## Pwned\n",
        "# t\n\n# Second title\n",
        "# t\n\n> quote\n\n> another\n",
        "# t\n\n| a | b |\n|---|---|\n",
        "# t\n\n**Bold:** claim\n",
        "# t\n\nsee www.a.b\\<img src=//evil.example/p.png>\n",
        "# t\n\njane@example.com\n",
        "# t\n\n<javascript:alert(1)>\n",
    ] {
        assert_ne!(summary_problems(bad, json), Vec::<String>::new(), "{bad:?}");
    }
    let bad_json = r#"{"schemaVersion": 2, "locale": "en", "truncation": {}, "recommendations": [{"slidesURL": "javascript:alert(1)", "title": "a\u0007"}]}"#;
    assert_eq!(summary_problems(good, bad_json).len(), 2);
}
