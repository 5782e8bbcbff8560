//! The view no single report gives: reports grouped by conference, and per conference the talks
//! recommended across all its reports, merged when they share a title (as people write it) or a
//! video URL. Pure.

use std::collections::{BTreeMap, HashMap};

use unicode_normalization::UnicodeNormalization as _;

use super::model::Entry;

/// The reports of one conference edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Conference<'a> {
    pub name: String,
    pub year: i32,
    /// Unique among the conferences given, stable for the same set: the page's file name.
    pub slug: String,
    pub reports: Vec<&'a Entry>,
}

/// One talk as recommended across reports.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedTalk<'a> {
    /// The title as first written (reports in name order, then by rating).
    pub title: String,
    pub video_url: Option<String>,
    pub speakers: Vec<String>,
    /// One per recommendation: who recommended it, their rating, and the report.
    pub recommendations: Vec<(String, u8, &'a Entry)>,
}

impl MergedTalk<'_> {
    /// How many recommend it.
    pub fn count(&self) -> usize {
        self.recommendations.len()
    }

    /// Their mean rating.
    pub fn mean_rating(&self) -> f64 {
        let sum: u32 = self.recommendations.iter().map(|r| u32::from(r.1)).sum();
        f64::from(sum) / self.count().max(1) as f64
    }
}

/// Conferences, newest first, then by name; each one's reports by title.
pub fn conferences(entries: &[Entry]) -> Vec<Conference<'_>> {
    let mut groups: BTreeMap<(std::cmp::Reverse<i32>, &str), Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        groups
            .entry((std::cmp::Reverse(entry.year), entry.conference.as_str()))
            .or_default()
            .push(entry);
    }
    let mut taken: HashMap<String, usize> = HashMap::new();
    groups
        .into_iter()
        .map(|((year, name), mut reports)| {
            reports.sort_by(|a, b| {
                (&a.title, &a.namespace, &a.name).cmp(&(&b.title, &b.namespace, &b.name))
            });
            let base = slug(name, year.0);
            let seen = taken.entry(base.clone()).or_insert(0);
            *seen += 1;
            let slug = if *seen == 1 {
                base
            } else {
                format!("{base}-{seen}")
            };
            Conference {
                name: name.to_string(),
                year: year.0,
                slug,
                reports,
            }
        })
        .collect()
}

/// `KubeCon + CloudNativeCon Europe`, 2019 -> `kubecon-cloudnativecon-europe-2019`.
pub fn slug(name: &str, year: i32) -> String {
    let mut out = String::new();
    for c in name.nfkd().filter(char::is_ascii) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if !out.is_empty() && !out.ends_with('-') {
        out.push('-');
    }
    if out.is_empty() {
        out.push_str("conference-");
    }
    format!("{out}{year}")
}

/// The talks recommended across `reports`: most recommended first, then by mean rating, then
/// by title. Only what the operator published (valid recommendations) counts.
pub fn merged_talks<'a>(reports: &[&'a Entry]) -> Vec<MergedTalk<'a>> {
    let talks: Vec<(&'a Entry, &'a super::model::Talk)> = reports
        .iter()
        .filter_map(|e| e.published().map(|p| (*e, p)))
        .flat_map(|(e, p)| p.document.recommendations.iter().map(move |t| (e, t)))
        .collect();
    // Union-find over the talks: two are one when their titles or their videos match.
    let mut parent: Vec<usize> = (0..talks.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, (_, talk)) in talks.iter().enumerate() {
        let keys = std::iter::once(format!("title:{}", title_key(&talk.title))).chain(
            talk.video_url
                .as_deref()
                .map(|u| format!("video:{}", url_key(u))),
        );
        for key in keys {
            match by_key.get(&key) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    by_key.insert(key, i);
                }
            }
        }
    }
    let mut merged: BTreeMap<usize, MergedTalk<'a>> = BTreeMap::new();
    for (i, (entry, talk)) in talks.iter().enumerate() {
        let r = root(&mut parent, i);
        let m = merged.entry(r).or_insert_with(|| MergedTalk {
            title: talk.title.clone(),
            video_url: None,
            speakers: Vec::new(),
            recommendations: Vec::new(),
        });
        if m.video_url.is_none() {
            m.video_url = talk.video_url.clone();
        }
        for s in &talk.speakers {
            if !m.speakers.contains(s) {
                m.speakers.push(s.clone());
            }
        }
        m.recommendations
            .push((talk.recommended_by.clone(), talk.rating, *entry));
    }
    let mut out: Vec<MergedTalk<'a>> = merged.into_values().collect();
    out.sort_by(|a, b| {
        b.count()
            .cmp(&a.count())
            .then(b.mean_rating().total_cmp(&a.mean_rating()))
            .then_with(|| a.title.cmp(&b.title))
    });
    out
}

/// Titles as people read them: compatibility-normalized, case-folded, spaces collapsed.
fn title_key(title: &str) -> String {
    title
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// URLs with the scheme and host case-folded and no trailing slash; paths keep their case
/// (video ids are case-sensitive).
fn url_key(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
pub(crate) mod tests;
