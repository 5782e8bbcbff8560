//! `tripreport-operator render --html --out DIR`: the pages as static files, from manifests, for
//! publishing from CI (GitHub Pages, TechDocs, any static host).

use std::path::{Path, PathBuf};

use super::html::site;
use super::model::Entry;
use crate::offline::{self, OfflineError};

/// The valid reports of an offline check, as the pages read them.
pub fn entries(report: &offline::Report) -> Vec<Entry> {
    report
        .summaries
        .iter()
        .filter_map(|(namespace, name, rendered)| {
            let spec = report.specs.get(&(namespace.clone(), name.clone()))?;
            Some(Entry::from_offline(namespace, name, spec, &rendered.data()))
        })
        .collect()
}

/// Writes every page under `out`, returning the paths written.
pub fn write(entries: &[Entry], out: &Path) -> Result<Vec<PathBuf>, OfflineError> {
    let mut written = Vec::new();
    for (relative, contents) in site::files(entries) {
        let path = out.join(&relative);
        let io = |source| OfflineError::Read {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&path, contents).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
