//! The whole site over a set of entries: the index with its filters, and lookups of the other
//! pages by path, for the live server and for static files alike.

use std::collections::BTreeSet;

use maud::html;
use serde::Deserialize;

use super::pages::{self, Source, cond_cell};
use super::{STYLE, conference_path, report_path};
use crate::reading::merge::{Conference, conferences};
use crate::reading::model::Entry;

/// The index's filters, from its query string; an empty value is no filter.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub namespace: Option<String>,
    pub language: Option<String>,
    pub theme: Option<String>,
    pub project: Option<String>,
}

impl Filters {
    fn get(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.is_empty())
    }

    pub fn matches(&self, entry: &Entry) -> bool {
        Self::get(&self.namespace).is_none_or(|ns| entry.namespace == ns)
            && Self::get(&self.language).is_none_or(|l| entry.language == l)
            && Self::get(&self.theme).is_none_or(|t| entry.themes.iter().any(|x| x == t))
            && Self::get(&self.project).is_none_or(|p| entry.projects().any(|x| x.name == p))
    }

    fn any(&self) -> bool {
        [&self.namespace, &self.language, &self.theme, &self.project]
            .into_iter()
            .any(|v| Self::get(v).is_some())
    }
}

/// The index: reports grouped by conference and year, each with its state. `filters` is `None`
/// for static pages, which cannot filter without a server (or a script).
pub fn index(entries: &[Entry], source: &Source, filters: Option<&Filters>) -> String {
    let all = conferences(entries);
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| filters.is_none_or(|f| f.matches(e)))
        .collect();
    let options =
        |values: BTreeSet<&str>| values.into_iter().map(str::to_string).collect::<Vec<_>>();
    let main = html! {
        h1 { "Trip reports" }
        p { (pages::count(entries.len(), "report", "reports")) " from " (pages::count(all.len(), "conference", "conferences")) "." }
        @if let Some(filters) = filters {
            form.filters method="get" action="index.html" role="search" aria-label="Filter the reports" {
                (select("namespace", "Namespace", &options(entries.iter().map(|e| e.namespace.as_str()).collect()), &filters.namespace))
                (select("language", "Language", &options(entries.iter().map(|e| e.language.as_str()).collect()), &filters.language))
                (select("theme", "Theme", &options(entries.iter().flat_map(|e| e.themes.iter().map(String::as_str)).collect()), &filters.theme))
                (select("project", "Project mentioned", &options(entries.iter().flat_map(|e| e.projects().map(|p| p.name.as_str())).collect()), &filters.project))
                button type="submit" { "Filter" }
                @if filters.any() { " " a href="index.html" { "Show all" } }
            }
            @if filters.any() { p role="status" { (shown.len()) " of " (entries.len()) " reports match." } }
        }
        @if entries.is_empty() {
            p { "No reports yet." }
        }
        @for conference in &all {
            @let reports: Vec<&&Entry> = conference.reports.iter().filter(|e| shown.iter().any(|s| std::ptr::eq(*s, **e))).collect();
            @if !reports.is_empty() {
                section aria-labelledby=(format!("c-{}", conference.slug)) {
                    h2 id=(format!("c-{}", conference.slug)) { (conference.name) " " (conference.year) }
                    p { a href=(conference_path(&conference.slug)) { "Talks recommended at " (conference.name) " " (conference.year) } }
                    table.reports {
                        caption.visually-hidden { "Reports on " (conference.name) " " (conference.year) }
                        thead { tr { th scope="col" { "Report" } th scope="col" { "Namespace" } th scope="col" { "Language" } th scope="col" { "Talks" } th scope="col" { "Ready" } th scope="col" { "Reviewed" } th scope="col" { "Summarized" } } }
                        tbody {
                            @for entry in reports {
                                tr {
                                    th scope="row" { a href=(report_path(&entry.namespace, &entry.name)) { (entry.title) } }
                                    td { (entry.namespace) }
                                    td { (entry.language) }
                                    td { @match entry.talks { Some(n) => (n), None => "–" } }
                                    @match &entry.state {
                                        Some(state) => { td { (cond_cell(&state.ready)) } td { (cond_cell(&state.reviewed)) } td { (cond_cell(&state.summarized)) } }
                                        None => { td colspan="3" { "Not in a cluster" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    pages::layout("", "Trip reports", &[], source, main)
}

fn select(name: &str, label: &str, values: &[String], current: &Option<String>) -> maud::Markup {
    let id = format!("f-{name}");
    html! {
        span.field {
            label for=(id) { (label) }
            " "
            select id=(id) name=(name) {
                option value="" { "Any" }
                @for v in values { option value=(v) selected[current.as_deref() == Some(v.as_str())] { (v) } }
            }
        }
    }
}

fn conference_of<'a>(all: &'a [Conference<'a>], entry: &Entry) -> Option<&'a Conference<'a>> {
    all.iter().find(|c| {
        c.reports
            .iter()
            .any(|e| e.namespace == entry.namespace && e.name == entry.name)
    })
}

/// The page at `path` (relative to the root, as `report_path` and `conference_path` give it).
pub fn page(entries: &[Entry], source: &Source, path: &str) -> Option<String> {
    let all = conferences(entries);
    if let Some(rest) = path.strip_prefix("reports/") {
        let (namespace, file) = rest.split_once('/')?;
        let name = file.strip_suffix(".html")?;
        let entry = entries
            .iter()
            .find(|e| e.namespace == namespace && e.name == name)?;
        return Some(pages::report(entry, conference_of(&all, entry), source));
    }
    let slug = path.strip_prefix("conferences/")?.strip_suffix(".html")?;
    let conference = all.iter().find(|c| c.slug == slug)?;
    Some(pages::conference(conference, source))
}

/// The page for a path that names nothing (a report deleted since the link was made).
pub fn not_found(source: &Source) -> String {
    let main = html! {
        h1 { "Not found" }
        p { "There is no such report or conference here (any more). " a href="/index.html" { "See all trip reports" } "." }
    };
    pages::layout("/", "Not found", &[], source, main)
}

/// Every file of the static site: (path relative to the root, contents).
pub fn files(entries: &[Entry]) -> Vec<(String, String)> {
    let source = Source::default();
    let all = conferences(entries);
    let mut out = vec![
        ("index.html".to_string(), index(entries, &source, None)),
        ("style.css".to_string(), STYLE.to_string()),
    ];
    for conference in &all {
        out.push((
            conference_path(&conference.slug),
            pages::conference(conference, &source),
        ));
    }
    for entry in entries {
        out.push((
            report_path(&entry.namespace, &entry.name),
            pages::report(entry, conference_of(&all, entry), &source),
        ));
    }
    out
}

#[cfg(test)]
#[path = "site_tests.rs"]
mod tests;
