//! docs/api.md, generated from the CRDs' schemas so that it can never drift from them: every
//! field with its type, whether it is required, its bounds and its description. Pure logic.

use std::fmt::Write as _;

use serde_json::Value;

/// The whole page.
pub fn markdown() -> String {
    let mut out = String::from(
        "# The tripreports.dev/v1alpha1 API, field by field\n\n\
         Generated from the CRDs in `crds/` by `make crds`; a test fails when it differs.\n\
         Bounds are the API server's: lengths count characters, lists count items. The contract,\n\
         with examples and the meaning of each condition, is `shared/API.md`; what the operator does\n\
         with each field is in [operator.md](operator.md).\n",
    );
    for crd in crate::api::crds() {
        let names = &crd.spec.names;
        let _ = write!(
            out,
            "\n## {} (`{}`, short names {})\n\n",
            names.kind,
            names.plural,
            names
                .short_names
                .iter()
                .flatten()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let schema = crd
            .spec
            .versions
            .first()
            .and_then(|v| v.schema.as_ref())
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or(Value::Null);
        out.push_str("| field | type | required | bounds and rules | description |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for part in ["spec", "status"] {
            let required = schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == part));
            fields(&schema["properties"][part], part, required, &mut out);
        }
    }
    out
}

fn fields(schema: &Value, path: &str, required: bool, out: &mut String) {
    let type_ = match schema["type"].as_str() {
        Some("array") => format!("[]{}", schema["items"]["type"].as_str().unwrap_or("object")),
        Some(t) => t.to_string(),
        None => "object".into(),
    };
    let description = schema["description"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|");
    let _ = writeln!(
        out,
        "| `{path}` | {type_} | {} | {} | {description} |",
        if required { "yes" } else { "" },
        bounds(schema).replace('|', "\\|")
    );
    let items = &schema["items"];
    let (children, prefix) = if schema["type"] == "array" && items["type"] == "object" {
        (items, format!("{path}[]"))
    } else {
        (schema, path.to_string())
    };
    if let Some(properties) = children["properties"].as_object() {
        let required: Vec<&str> = children["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, child) in properties {
            fields(
                child,
                &format!("{prefix}.{name}"),
                required.contains(&name.as_str()),
                out,
            );
        }
    }
}

fn bounds(schema: &Value) -> String {
    let mut parts = Vec::new();
    let number = |v: &Value| v.as_f64().map(|n| format!("{}", n as i64));
    match (number(&schema["minLength"]), number(&schema["maxLength"])) {
        (Some(min), Some(max)) => parts.push(format!("{min}..{max} chars")),
        (None, Some(max)) => parts.push(format!("≤ {max} chars")),
        _ => {}
    }
    match (number(&schema["minimum"]), number(&schema["maximum"])) {
        (Some(min), Some(max)) => parts.push(format!("{min}..{max}")),
        (Some(min), None) => parts.push(format!("≥ {min}")),
        _ => {}
    }
    if let Some(max) = number(&schema["maxItems"]) {
        parts.push(format!("≤ {max} items"));
    }
    let items = &schema["items"];
    if let Some(max) = number(&items["maxLength"]) {
        parts.push(format!(
            "each {}..{max} chars",
            number(&items["minLength"]).unwrap_or_else(|| "0".into())
        ));
    }
    for pattern in [&schema["pattern"], &items["pattern"]]
        .into_iter()
        .filter_map(Value::as_str)
    {
        parts.push(format!("pattern `{pattern}`"));
    }
    if let Some(values) = schema["enum"].as_array() {
        parts.push(format!(
            "one of {}",
            values
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(format) = schema["format"]
        .as_str()
        .filter(|f| *f == "date" || *f == "date-time")
    {
        parts.push(format!("format {format}"));
    }
    if let Some(default) = schema.get("default") {
        parts.push(format!("default {default}"));
    }
    match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => parts.push("a set: no duplicates".into()),
        Some("map") => parts.push(format!(
            "a map keyed by {}",
            schema["x-kubernetes-list-map-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => {}
    }
    for rule in schema["x-kubernetes-validations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        parts.push(format!(
            "CEL `{}`: {}",
            rule["rule"].as_str().unwrap_or_default(),
            rule["message"].as_str().unwrap_or_default()
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    /// docs/api.md is what the CRDs say, field by field.
    #[test]
    fn docs_api_md_matches_the_crds() {
        let committed = include_str!("../docs/api.md");
        assert!(
            super::markdown() == committed,
            "docs/api.md is out of date with the Rust types: run `make crds` and commit the result"
        );
    }

    #[test]
    fn every_field_is_described() {
        let page = super::markdown();
        let undescribed: Vec<&str> = page
            .lines()
            .filter(|l| l.starts_with("| `") && l.trim_end().ends_with("|  |"))
            .collect();
        assert!(
            undescribed.is_empty(),
            "fields without a description:\n{}",
            undescribed.join("\n")
        );
    }
}
