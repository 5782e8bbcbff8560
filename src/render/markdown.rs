//! summary.md's blocks. Each block ends in one newline and has no blank line at either end; the
//! document is its blocks joined by blank lines. User text goes through `md_line` / `md_text`,
//! and the only links are the ones built here from http(s) URLs.

use super::BUDGET_BYTES;
use super::escape::{link_destination, md_line, md_text};
use super::model::{Recommendation, Report, Review};

/// The title and the facts about the report, as a list.
pub(super) fn head(report: &Report) -> String {
    let mut out = heading(1, &md_line(&report.title));
    out.push('\n');
    let conference = &report.conference;
    fact(
        &mut out,
        "Conference",
        &format!("{} {}", md_line(&conference.name), conference.year),
    );
    let place = [&conference.city, &conference.country]
        .into_iter()
        .flatten()
        .map(|s| md_line(s))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    if !place.is_empty() {
        fact(&mut out, "Where", &place.join(", "));
    }
    if let Some(when) = dates(
        conference.start_date.as_deref(),
        conference.end_date.as_deref(),
    ) {
        fact(&mut out, "When", &when);
    }
    if let Some(attendees) = conference.attendees {
        fact(&mut out, "Attendees", &attendees.to_string());
    }
    let mut author = md_line(&report.author.name);
    if let Some(organization) = report
        .author
        .organization
        .as_deref()
        .map(md_line)
        .filter(|o| !o.is_empty())
    {
        author.push_str(&format!(" ({organization})"));
    }
    fact(&mut out, "Author", &author);
    fact(&mut out, "Language", &md_line(&report.language));
    fact(&mut out, "Reviewed", &review(&report.review));
    out
}

fn heading(level: usize, text: &str) -> String {
    let mut line = format!("{} {text}", "#".repeat(level));
    // An empty heading needs no trailing space.
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

fn fact(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("- **{label}:** {value}\n"));
}

fn dates(start: Option<&str>, end: Option<&str>) -> Option<String> {
    let (start, end) = (start.map(md_line), end.map(md_line));
    match (start, end) {
        (Some(start), Some(end)) if start == end => Some(start),
        (Some(start), Some(end)) => Some(format!("{start} – {end}")),
        (Some(start), None) => Some(format!("from {start}")),
        (None, Some(end)) => Some(format!("until {end}")),
        (None, None) => None,
    }
}

fn review(review: &Review) -> String {
    let plural = |n: usize| if n == 1 { "approval" } else { "approvals" };
    match (review.reviewed, review.approvals) {
        (true, 0) => "yes (no approvals required)".to_string(),
        (true, n) => format!("yes ({n} {})", plural(n)),
        (false, n) => format!(
            "not yet ({n} of {} required approvals)",
            review.required_approvals
        ),
    }
}

/// The note saying what was left out, or None when nothing was.
pub(super) fn note(total: usize, included: usize, body_omitted: bool) -> Option<String> {
    let talks_left_out = total.saturating_sub(included);
    let what = match (body_omitted, talks_left_out) {
        (false, 0) => return None,
        (true, 0) => "the report's text is".to_string(),
        (false, n) => format!("{n} of {total} recommended talks are"),
        (true, n) => format!("the report's text and {n} of {total} recommended talks are"),
    };
    Some(format!(
        "> **Note:** {what} left out to keep this summary within its limit of {} KiB.\n",
        BUDGET_BYTES / 1024
    ))
}

/// The highlights as a list; None when there are none to show.
pub(super) fn highlights(report: &Report) -> Option<String> {
    let items: Vec<String> = report
        .highlights
        .iter()
        .map(|h| md_line(h))
        .filter(|h| !h.is_empty())
        .collect();
    if items.is_empty() {
        return None;
    }
    let mut out = "## Highlights\n\n".to_string();
    for item in items {
        out.push_str(&format!("- {item}\n"));
    }
    Some(out)
}

/// The themes on one line; None when there are none to show.
pub(super) fn themes(report: &Report) -> Option<String> {
    let items: Vec<String> = report
        .themes
        .iter()
        .map(|t| md_line(t))
        .filter(|t| !t.is_empty())
        .collect();
    (!items.is_empty()).then(|| format!("## Themes\n\n{}\n", items.join(", ")))
}

/// The heading of the talks section; None when no talk is recommended at all.
pub(super) fn talks_heading(total: usize, included: usize) -> Option<String> {
    match total {
        0 => None,
        _ if included == total => Some(format!("## Recommended talks ({total})\n")),
        _ => Some(format!("## Recommended talks ({included} of {total})\n")),
    }
}

/// One recommended talk: heading, rating and review, facts, the reason, links.
pub(super) fn talk(rec: &Recommendation) -> String {
    let mut paragraphs = vec![heading(3, &md_line(&rec.title))];
    let reviewed = if rec.reviewed {
        "reviewed"
    } else {
        "not reviewed yet"
    };
    paragraphs.push(format!("{} · {reviewed}\n", stars(rec.rating)));

    let mut facts = String::new();
    let speakers: Vec<String> = rec
        .speakers
        .iter()
        .map(|s| md_line(s))
        .filter(|s| !s.is_empty())
        .collect();
    if !speakers.is_empty() {
        fact(&mut facts, "Speakers", &speakers.join(", "));
    }
    if let Some(track) = rec.track.as_deref().map(md_line).filter(|t| !t.is_empty()) {
        fact(&mut facts, "Track", &track);
    }
    fact(&mut facts, "Recommended by", &md_line(&rec.recommended_by));
    paragraphs.push(facts);

    let reason = md_text(&rec.reason);
    if !reason.is_empty() {
        paragraphs.push(format!("{reason}\n"));
    }
    let links: Vec<String> = [("Video", &rec.video_url), ("Slides", &rec.slides_url)]
        .into_iter()
        .filter_map(|(text, url)| {
            url.as_deref()
                .map(|url| format!("[{text}]({})", link_destination(url)))
        })
        .collect();
    if !links.is_empty() {
        paragraphs.push(format!("{}\n", links.join(" · ")));
    }
    paragraphs.join("\n")
}

/// `★★★★☆ (4/5)`; a rating outside 1..=5 (only possible with an outdated CRD) still shows its
/// number, with the stars clamped.
fn stars(rating: i32) -> String {
    let full = usize::try_from(rating.clamp(0, 5)).unwrap_or(0);
    format!("{}{} ({rating}/5)", "★".repeat(full), "☆".repeat(5 - full))
}

/// The report's text under its own heading; None when it has none to show.
pub(super) fn body(report: &Report) -> Option<String> {
    let text = md_text(report.body.as_deref()?);
    (!text.is_empty()).then(|| format!("## Report\n\n{text}\n"))
}
