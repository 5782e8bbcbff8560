//! Reading manifests: files, directories searched for *.yaml and *.yml, or stdin, split into
//! YAML documents that remember where they came from.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Finding, OfflineError, Severity};

/// One YAML document and where it came from.
pub struct Document {
    pub file: String,
    pub first_line: usize,
    pub text: String,
    pub value: Option<Value>,
}

/// The manifests named by `paths` (files, directories searched for *.yaml and *.yml, or `-` for
/// stdin), split into documents.
pub fn read(paths: &[PathBuf]) -> Result<(Vec<Document>, Vec<Finding>), OfflineError> {
    let mut sources = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| OfflineError::Read {
                    path: "<stdin>".into(),
                    source,
                })?;
            sources.push(("<stdin>".to_string(), text));
        } else if path.is_dir() {
            let mut files = Vec::new();
            collect_yaml(path, &mut files)?;
            if files.is_empty() {
                return Err(OfflineError::Empty(path.display().to_string()));
            }
            for file in files {
                sources.push((file.display().to_string(), read_file(&file)?));
            }
        } else {
            sources.push((path.display().to_string(), read_file(path)?));
        }
    }
    let mut documents = Vec::new();
    let mut findings = Vec::new();
    for (file, text) in sources {
        let (read, found) = read_str(&file, &text);
        documents.extend(read);
        findings.extend(found);
    }
    Ok((documents, findings))
}

/// The manifests in `text`, as if read from the file `file` (the name used in findings), split
/// into documents. What `read` does with each file; for callers that hold the text already.
pub fn read_str(file: &str, text: &str) -> (Vec<Document>, Vec<Finding>) {
    let mut documents = Vec::new();
    let mut findings = Vec::new();
    split(file, text, &mut documents, &mut findings);
    (documents, findings)
}

fn read_file(path: &Path) -> Result<String, OfflineError> {
    std::fs::read_to_string(path).map_err(|source| OfflineError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), OfflineError> {
    let entries = std::fs::read_dir(dir).map_err(|source| OfflineError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_yaml(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

/// Splits a YAML stream on `---` lines, keeping each document's first line for messages.
fn split(file: &str, text: &str, documents: &mut Vec<Document>, findings: &mut Vec<Finding>) {
    let mut start = 1;
    let mut current = String::new();
    let mut flush = |start: usize, current: &mut String, documents: &mut Vec<Document>| {
        let text = std::mem::take(current);
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return;
        }
        match serde_yaml_ng::from_str::<Value>(&text) {
            Ok(value) => documents.push(Document {
                file: file.to_string(),
                first_line: start,
                text,
                value: Some(value),
            }),
            Err(e) => {
                let line = start + e.location().map_or(0, |l| l.line().saturating_sub(1));
                findings.push(Finding {
                    file: file.to_string(),
                    line,
                    field: "<yaml>".into(),
                    message: e.to_string(),
                    severity: Severity::Rejected,
                });
                documents.push(Document {
                    file: file.to_string(),
                    first_line: start,
                    text,
                    value: None,
                });
            }
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") {
            flush(start, &mut current, documents);
            start = i + 2;
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    flush(start, &mut current, documents);
}
