//! The HTML of each page, with maud: every string from a report is escaped by the template, and
//! the one piece of HTML taken as is, a summary, has been through `sanitize` first.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::sanitize::summary_html;
use super::{CONTENT_SECURITY_POLICY, conference_path, report_path};
use crate::reading::merge::{Conference, merged_talks};
use crate::reading::model::{Cond, Entry, Summary};

/// Where the pages come from, for the footer and for problems worth a banner.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Source {
    /// `Some` when served live from a cluster: which namespaces are watched.
    pub live_scope: Option<String>,
    /// What keeps the live view from being current (a failing watch), said on every page.
    pub problems: Vec<String>,
}

/// One page: `root` is the way back to the site's root from it ("", "../" or "../../").
pub(super) fn layout(
    root: &str,
    title: &str,
    crumbs: &[(String, String)],
    source: &Source,
    main: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(CONTENT_SECURITY_POLICY);
                meta name="referrer" content="no-referrer";
                title { @if title == "Trip reports" { (title) } @else { (title) " · Trip reports" } }
                link rel="stylesheet" href={ (root) "style.css" };
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Breadcrumb" {
                        ol {
                            li { a href={ (root) "index.html" } { "Trip reports" } }
                            @for (href, label) in crumbs {
                                li { a href=(href) { (label) } }
                            }
                        }
                    }
                }
                @for problem in &source.problems {
                    p.problem role="alert" { strong { "Not up to date: " } (problem) }
                }
                main #main { (main) }
                footer {
                    @match &source.live_scope {
                        Some(scope) => p { "Read-only, live from the cluster (" (scope) "), with your own permissions. Reload the page to see changes." },
                        None => p { "Rendered from manifests by " code { "tripreport-operator render --html" } "." },
                    }
                }
            }
        }
    }
    .into_string()
}

/// A condition as a reader says it: "Yes", "No (Reason)", "Unknown".
pub(super) fn cond_cell(cond: &Cond) -> Markup {
    let class = match cond.status.as_str() {
        "True" => "yes",
        "False" => "no",
        _ => "unknown",
    };
    html! {
        span class=(class) title=(cond.message) {
            @match cond.status.as_str() {
                "True" => "Yes",
                "False" => "No",
                _ => "Unknown",
            }
            @if !cond.is_true() && !cond.reason.is_empty() { " (" (cond.reason) ")" }
        }
    }
}

/// A rating as stars and words, so that it reads without CSS and to a screen reader alike.
pub(super) fn rating(mean: f64) -> Markup {
    let stars = mean.round().clamp(0.0, 5.0) as usize;
    html! {
        span.rating aria-hidden="true" { ("★".repeat(stars)) ("☆".repeat(5 - stars)) }
        " " (format!("{mean:.1}")) " of 5"
    }
}

/// "1 talk", "2 talks".
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A report's page.
pub fn report(entry: &Entry, conference: Option<&Conference>, source: &Source) -> String {
    let mut crumbs = Vec::new();
    if let Some(c) = conference {
        crumbs.push((
            format!("../../{}", conference_path(&c.slug)),
            format!("{} {}", c.name, c.year),
        ));
    }
    let main = html! {
        @if let Some(state) = &entry.state {
            section.state aria-label="State" {
                dl {
                    div { dt { "Ready" } dd { (cond_cell(&state.ready)) @if !state.ready.is_true() && !state.ready.message.is_empty() { ": " (state.ready.message) } } }
                    div { dt { "Reviewed" } dd { (cond_cell(&state.reviewed)) } }
                    div { dt { "Summarized" } dd { (cond_cell(&state.summarized)) } }
                    div { dt { "Namespace" } dd { (entry.namespace) } }
                }
            }
        }
        @match &entry.summary {
            Summary::Missing => {
                h1 { (entry.title) }
                p.notice role="status" { "No summary has been published for this report yet." }
            }
            Summary::NotOurs { config_map } => {
                h1 { (entry.title) }
                p.notice role="status" {
                    "The ConfigMap " code { (config_map) } " stands under this summary's name but is not managed by tripreport-operator, so it is not shown here."
                }
            }
            Summary::Published(published) => {
                @if published.stale {
                    p.notice role="status" { "This summary may be out of date: it does not describe the report's current spec yet." }
                }
                article.summary lang=(entry.language) { (PreEscaped(summary_html(&published.markdown))) }
            }
        }
    };
    layout("../../", &entry.title, &crumbs, source, main)
}

/// A conference's page: the talks recommended across its reports, then the reports.
pub fn conference(conference: &Conference, source: &Source) -> String {
    let talks = merged_talks(&conference.reports);
    let heading = format!("{} {}", conference.name, conference.year);
    let speakers = talks.iter().any(|t| !t.speakers.is_empty());
    let main = html! {
        h1 { (heading) }
        p { (count(talks.len(), "talk", "talks")) " recommended across " (count(conference.reports.len(), "report", "reports")) ". A talk recommended in several reports, under the same title or the same video, is one row." }
        @if talks.is_empty() {
            p { "No talks recommended yet." }
        } @else {
            table.talks {
                caption { "Recommended talks, most recommended first" }
                thead { tr { th scope="col" { "Talk" } @if speakers { th scope="col" { "Speakers" } } th scope="col" { "Recommended by" } th scope="col" { "Mean rating" } th scope="col" { "In reports" } } }
                tbody {
                    @for talk in &talks {
                        tr {
                            th scope="row" {
                                @match talk.video_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                                    Some(url) => a href=(url) rel="noopener noreferrer nofollow" { (talk.title) },
                                    None => (talk.title),
                                }
                            }
                            @if speakers { td { (talk.speakers.join(", ")) } }
                            td { (talk.count()) " (" (talk.recommendations.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", ")) ")" }
                            td { (rating(talk.mean_rating())) }
                            td {
                                ul.plain {
                                    @for (_, _, entry) in talk.recommendations.iter().filter({ let mut seen = Vec::new(); move |r| { let key = (&r.2.namespace, &r.2.name); if seen.contains(&key) { false } else { seen.push(key); true } } }) {
                                        li { a href={ "../" (report_path(&entry.namespace, &entry.name)) } { (entry.title) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Reports" }
        ul {
            @for entry in &conference.reports {
                li { a href={ "../" (report_path(&entry.namespace, &entry.name)) } { (entry.title) } " (" (entry.namespace) ", " (entry.language) ")" }
            }
        }
    };
    layout("../", &heading, &[], source, main)
}
