//! `kubectl tripreport list`: the reports as `kubectl get` prints them, as a table or as a
//! `List` document (`-o json`, `-o yaml`).

use serde::Serialize;

use super::model::{Cond, Entry};
use super::terminal::printable;

/// kubectl separates columns by three spaces.
const GAP: usize = 3;
/// Longer titles would push the conditions off a terminal's line.
const TITLE_MAX: usize = 40;
/// kubectl's placeholders for an absent value and for a state never reported.
const NONE: &str = "<none>";
const UNKNOWN: &str = "<unknown>";

/// The reports as `kubectl get` prints them: uppercase headers, left-aligned columns three
/// spaces apart, no trailing spaces. Empty when there are no reports, as kubectl prints no
/// header then (the caller says "No resources found").
pub fn table(entries: &[Entry], all_namespaces: bool) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let mut header = Vec::new();
    if all_namespaces {
        header.push("NAMESPACE".to_string());
    }
    let columns = "NAME TITLE CONFERENCE YEAR LANGUAGE TALKS READY REVIEWED SUMMARIZED";
    header.extend(columns.split(' ').map(String::from));
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(entries.iter().map(|entry| row(entry, all_namespaces)))
        .collect();

    // Widths in chars: titles are often Portuguese, and bytes would misalign accented ones.
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(cell);
            let padding = width - cell.chars().count() + GAP;
            line.extend(std::iter::repeat_n(' ', padding));
        }
        // The last column is not padded, nor is an empty one at the end.
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn row(entry: &Entry, all_namespaces: bool) -> Vec<String> {
    let mut row = Vec::with_capacity(10);
    if all_namespaces {
        row.push(printable(&entry.namespace).into_owned());
    }
    row.push(printable(&entry.name).into_owned());
    row.push(truncate(&printable(&entry.title), TITLE_MAX));
    row.push(printable(&entry.conference).into_owned());
    row.push(entry.year.to_string());
    row.push(printable(&entry.language).into_owned());
    row.push(
        entry
            .talks
            .map_or_else(|| NONE.to_string(), |talks| talks.to_string()),
    );
    match &entry.state {
        Some(state) => {
            row.push(ready(&state.ready));
            row.push(printable(&state.reviewed.status).into_owned());
            row.push(printable(&state.summarized.status).into_owned());
        }
        None => row.extend([UNKNOWN, UNKNOWN, UNKNOWN].map(String::from)),
    }
    row
}

/// `True`, or the status with the reason that explains it, e.g. `False (InvalidSpec)`.
fn ready(cond: &Cond) -> String {
    if cond.is_true() || cond.reason.is_empty() {
        printable(&cond.status).into_owned()
    } else {
        format!("{} ({})", printable(&cond.status), printable(&cond.reason))
    }
}

/// At most `max` chars, the last one an ellipsis when something was cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// kubectl's `-o json`/`-o yaml` shape for several objects.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List<'a> {
    api_version: &'static str,
    kind: &'static str,
    items: &'a [Entry],
}

fn list(entries: &[Entry]) -> List<'_> {
    List {
        api_version: "v1",
        kind: "List",
        items: entries,
    }
}

/// The reports as a pretty-printed JSON `List`, ending with a newline.
pub fn json(entries: &[Entry]) -> Result<String, serde_json::Error> {
    let mut out = serde_json::to_string_pretty(&list(entries))?;
    out.push('\n');
    Ok(out)
}

/// The reports as a YAML `List`.
pub fn yaml(entries: &[Entry]) -> Result<String, serde_yaml_ng::Error> {
    serde_yaml_ng::to_string(&list(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::model::{State, Summary};

    fn cond(status: &str, reason: &str) -> Cond {
        Cond {
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
        }
    }

    fn entries() -> Vec<Entry> {
        let kubecon = Entry {
            namespace: "talks".into(),
            name: "kubecon-eu".into(),
            title: "KubeCon Europe".into(),
            conference: "KubeCon + CloudNativeCon".into(),
            year: 2025,
            language: "en".into(),
            themes: vec!["operators".into()],
            talks: Some(12),
            state: Some(State {
                ready: cond("True", "Published"),
                reviewed: cond("True", "Reviewed"),
                summarized: cond("True", "Rendered"),
            }),
            summary: Summary::Missing,
        };
        let pycon = Entry {
            namespace: "eventos".into(),
            name: "pycon-br".into(),
            title: "Python Brasil: programação".into(),
            conference: "Python Brasil".into(),
            year: 2024,
            language: "pt-BR".into(),
            themes: Vec::new(),
            talks: None,
            state: Some(State {
                ready: cond("False", "InvalidSpec"),
                reviewed: cond("Unknown", ""),
                summarized: cond("False", "RenderFailed"),
            }),
            summary: Summary::Missing,
        };
        vec![kubecon, pycon]
    }

    #[test]
    fn table_in_one_namespace() {
        let expected = "\
NAME         TITLE                        CONFERENCE                 YEAR   LANGUAGE   TALKS    READY                 REVIEWED   SUMMARIZED
kubecon-eu   KubeCon Europe               KubeCon + CloudNativeCon   2025   en         12       True                  True       True
pycon-br     Python Brasil: programação   Python Brasil              2024   pt-BR      <none>   False (InvalidSpec)   Unknown    False
";
        assert_eq!(table(&entries(), false), expected);
    }

    #[test]
    fn table_in_all_namespaces() {
        let expected = "\
NAMESPACE   NAME         TITLE                        CONFERENCE                 YEAR   LANGUAGE   TALKS    READY                 REVIEWED   SUMMARIZED
talks       kubecon-eu   KubeCon Europe               KubeCon + CloudNativeCon   2025   en         12       True                  True       True
eventos     pycon-br     Python Brasil: programação   Python Brasil              2024   pt-BR      <none>   False (InvalidSpec)   Unknown    False
";
        assert_eq!(table(&entries(), true), expected);
        assert_eq!(table(&[], true), "");
    }

    #[test]
    fn long_titles_are_cut_and_missing_state_is_unknown() {
        let mut entry = entries().remove(1);
        entry.title = "Reconciliação contínua de operadores Kubernetes em produção".into();
        entry.state = None;
        let out = table(&[entry], false);
        let row = out.lines().nth(1).expect("a row");
        assert!(
            row.contains("Reconciliação contínua de operadores Ku…   "),
            "{out}"
        );
        assert!(row.ends_with("<unknown>   <unknown>   <unknown>"), "{out}");
        assert_eq!(truncate("ação", 4), "ação");
        assert_eq!(truncate("a b c", 4), "a b…");
    }

    #[test]
    fn json_and_yaml_lists() {
        let out = json(&entries()).expect("entries serialize");
        assert!(out.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(value["apiVersion"], "v1");
        assert_eq!(value["kind"], "List");
        assert_eq!(value["items"][0]["name"], "kubecon-eu");
        assert_eq!(value["items"][1]["state"]["ready"]["reason"], "InvalidSpec");
        let out = yaml(&entries()).expect("entries serialize");
        assert!(
            out.starts_with("apiVersion: v1\nkind: List\nitems:\n"),
            "{out}"
        );
    }
}
