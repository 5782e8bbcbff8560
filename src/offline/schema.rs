//! The structural part of the API server's validation of a custom resource against its CRD's
//! OpenAPI schema: types, required fields, unknown fields (as `kubectl apply`'s strict field
//! validation reports them), bounds, patterns, enums, date formats and list uniqueness. CEL rules
//! are evaluated separately (kube-cel). Pure logic.

use serde_json::Value;

/// One schema violation, with the field path the API server would name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

pub fn check(schema: &Value, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    walk(schema, value, "", &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn violation(out: &mut Vec<Violation>, path: &str, message: String) {
    out.push(Violation {
        path: path.to_string(),
        message,
    });
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn walk(schema: &Value, value: &Value, path: &str, out: &mut Vec<Violation>) {
    if value.is_null() {
        if schema["nullable"] != true && !path.is_empty() {
            violation(
                out,
                path,
                "Invalid value: \"null\": must not be null".into(),
            );
        }
        return;
    }
    let expected = schema["type"].as_str().unwrap_or_default();
    let actual = type_name(value);
    let type_ok = match expected {
        "" => true,
        "number" => matches!(actual, "number" | "integer"),
        other => other == actual,
    };
    if !type_ok {
        violation(
            out,
            path,
            format!("Invalid value: \"{actual}\": {path} in body must be of type {expected}"),
        );
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
        violation(
            out,
            path,
            format!(
                "Unsupported value: {value}: supported values: {}",
                list.join(", ")
            ),
        );
    }
    match value {
        Value::Object(map) => {
            let properties = schema["properties"].as_object();
            for key in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(key) {
                    violation(out, &join(path, key), "Required value".into());
                }
            }
            for (key, child) in map {
                match properties.and_then(|p| p.get(key)) {
                    Some(child_schema) => walk(child_schema, child, &join(path, key), out),
                    // metadata is validated by the API server's own rules, not the CRD schema.
                    None if path.is_empty()
                        && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") => {}
                    None if properties.is_some()
                        || schema["x-kubernetes-preserve-unknown-fields"] != true =>
                    {
                        violation(
                            out,
                            &join(path, key),
                            format!("unknown field \"{}\"", join(path, key)),
                        );
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => check_array(schema, items, path, out),
        Value::String(text) => check_string(schema, text, path, out),
        Value::Number(number) => {
            if let Some(n) = number.as_f64() {
                if let Some(min) = schema["minimum"].as_f64()
                    && n < min
                {
                    violation(
                        out,
                        path,
                        format!(
                            "Invalid value: {number}: {path} in body should be greater than or equal to {}",
                            min as i64
                        ),
                    );
                }
                if let Some(max) = schema["maximum"].as_f64()
                    && n > max
                {
                    violation(
                        out,
                        path,
                        format!(
                            "Invalid value: {number}: {path} in body should be less than or equal to {}",
                            max as i64
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_array(schema: &Value, items: &[Value], path: &str, out: &mut Vec<Violation>) {
    if let Some(max) = schema["maxItems"].as_u64()
        && items.len() as u64 > max
    {
        violation(
            out,
            path,
            format!("Too many: {}: must have at most {max} items", items.len()),
        );
    }
    if let Some(min) = schema["minItems"].as_u64()
        && (items.len() as u64) < min
    {
        violation(
            out,
            path,
            format!(
                "Invalid value: {}: {path} in body should have at least {min} items",
                items.len()
            ),
        );
    }
    for (i, item) in items.iter().enumerate() {
        walk(&schema["items"], item, &format!("{path}[{i}]"), out);
    }
    match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    violation(
                        out,
                        &format!("{path}[{i}]"),
                        format!("Duplicate value: {item}"),
                    );
                }
            }
        }
        Some("map") => {
            let keys: Vec<&str> = schema["x-kubernetes-list-map-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let key_of = |item: &Value| keys.iter().map(|k| item[*k].clone()).collect::<Vec<_>>();
            for (i, item) in items.iter().enumerate() {
                if items[..i]
                    .iter()
                    .any(|earlier| key_of(earlier) == key_of(item))
                {
                    let shown: serde_json::Map<String, Value> = keys
                        .iter()
                        .map(|k| (k.to_string(), item[*k].clone()))
                        .collect();
                    violation(
                        out,
                        &format!("{path}[{i}]"),
                        format!("Duplicate value: {}", Value::Object(shown)),
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_string(schema: &Value, text: &str, path: &str, out: &mut Vec<Violation>) {
    let length = text.chars().count() as u64;
    if let Some(max) = schema["maxLength"].as_u64()
        && length > max
    {
        violation(
            out,
            path,
            format!("Too long: may not be more than {max} bytes"),
        );
    }
    if let Some(min) = schema["minLength"].as_u64()
        && length < min
    {
        violation(
            out,
            path,
            format!("Invalid value: {text:?}: {path} in body should be at least {min} chars long"),
        );
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        match regex::Regex::new(pattern) {
            Ok(re) if !re.is_match(text) => {
                violation(
                    out,
                    path,
                    format!("Invalid value: {text:?}: {path} in body should match '{pattern}'"),
                );
            }
            Ok(_) => {}
            Err(e) => violation(
                out,
                path,
                format!("the schema's pattern {pattern:?} does not compile: {e}"),
            ),
        }
    }
    if schema["format"] == "date" && !crate::decide::validation::is_date(text) {
        violation(
            out,
            path,
            format!("Invalid value: {text:?}: {path} in body must be of type date: {text:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["title"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 5},
            "year": {"type": "integer", "minimum": 1990, "maximum": 2100},
            "day": {"type": "string", "format": "date", "nullable": true},
            "themes": {"type": "array", "maxItems": 2, "x-kubernetes-list-type": "set",
                       "items": {"type": "string", "pattern": "^[a-z]+$"}},
            "approvals": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["reviewer"],
                          "items": {"type": "object", "properties": {"reviewer": {"type": "string"}}}},
            "verdict": {"type": "string", "enum": ["Approved", "ChangesRequested"]}
        }}}})
    }

    fn messages(value: Value) -> Vec<String> {
        check(&schema(), &value)
            .into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    #[test]
    fn a_valid_object_passes() {
        assert_eq!(
            messages(
                json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"},
            "spec": {"title": "ok", "year": 2019, "day": "2019-05-20", "themes": ["a", "b"]}})
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_rule_is_named_like_the_api_server_names_it() {
        assert_eq!(
            messages(
                json!({"spec": {"title": "toolong", "year": 1889, "day": "May 20", "themes": ["a", "a", "B"],
                "approvals": [{"reviewer": "bob"}, {"reviewer": "bob"}], "verdict": "LGTM", "extra": 1}})
            ),
            vec![
                "spec.approvals[1]: Duplicate value: {\"reviewer\":\"bob\"}",
                "spec.day: Invalid value: \"May 20\": spec.day in body must be of type date: \"May 20\"",
                "spec.extra: unknown field \"spec.extra\"",
                "spec.themes: Too many: 3: must have at most 2 items",
                "spec.themes[2]: Invalid value: \"B\": spec.themes[2] in body should match '^[a-z]+$'",
                "spec.themes[1]: Duplicate value: \"a\"",
                "spec.title: Too long: may not be more than 5 bytes",
                "spec.verdict: Unsupported value: \"LGTM\": supported values: \"Approved\", \"ChangesRequested\"",
                "spec.year: Invalid value: 1889: spec.year in body should be greater than or equal to 1990",
            ]
        );
    }

    #[test]
    fn missing_and_mistyped_fields() {
        assert_eq!(messages(json!({})), vec!["spec: Required value"]);
        assert_eq!(
            messages(json!({"spec": {"title": 5}})),
            vec![
                "spec.title: Invalid value: \"integer\": spec.title in body must be of type string"
            ]
        );
    }
}
