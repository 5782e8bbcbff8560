//! summary.md's blocks, in the report's locale. Each block ends in one newline and has no blank
//! line at either end; the document is its blocks joined by blank lines. User text goes through
//! `md_line` / `md_text`, and the only links are the ones `links` writes.

use super::BUDGET_BYTES;
use super::escape::{md_line, md_plain, md_text};
use super::links::link;
use super::locale::Locale;
use super::model::{Recommendation, Report, Review};
use crate::text::projects::Mention;

/// The title and the facts about the report, as a list.
pub(super) fn head(report: &Report, locale: &Locale) -> String {
    let m = locale.messages();
    let mut out = heading(1, &md_line(&report.title));
    out.push('\n');
    let conference = &report.conference;
    let conference_name = format!("{} {}", md_line(&conference.name), conference.year);
    fact(&mut out, m.conference, &conference_name);
    let place = [&conference.city, &conference.country]
        .into_iter()
        .flatten()
        .map(|s| md_line(s))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    if !place.is_empty() {
        fact(&mut out, m.place, &place.join(", "));
    }
    let (start, end) = (
        conference.start_date.as_deref(),
        conference.end_date.as_deref(),
    );
    if let Some(when) = locale.dates(start, end) {
        fact(&mut out, m.when, &md_line(&when));
    }
    if let Some(attendees) = conference.attendees {
        fact(&mut out, m.attendees, &md_line(&locale.number(attendees)));
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
    fact(&mut out, m.author, &author);
    fact(&mut out, m.language, &md_line(&report.language));
    fact(
        &mut out,
        m.reviewed,
        &md_line(&review(&report.review, locale)),
    );
    out
}

fn heading(level: usize, text: &str) -> String {
    let mut line = format!("{} {text}", "#".repeat(level));
    // An empty heading needs no trailing space.
    line.truncate(line.trim_end().len());
    // A run of `#` at the end after a space would be read as a closing sequence and dropped.
    let hashes = line.len() - line.trim_end_matches('#').len();
    if hashes > 0 && line.len() > level + 1 && line[..line.len() - hashes].ends_with(' ') {
        line.insert(line.len() - hashes, '\\');
    }
    line.push('\n');
    line
}

fn fact(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("- **{label}:** {value}\n"));
}

fn review(review: &Review, locale: &Locale) -> String {
    let m = locale.messages();
    let approvals = locale.number(review.approvals as i64);
    match (review.reviewed, review.approvals) {
        (true, 0) => m.review_not_required.to_string(),
        (true, n) => locale.count(n as i64, &m.review_approved, &[]),
        (false, _) => locale.count(
            i64::from(review.required_approvals),
            &m.review_pending,
            &[("approvals", &approvals)],
        ),
    }
}

/// The note saying what was left out, or None when nothing was.
pub(super) fn note(
    total: usize,
    included: usize,
    body_omitted: bool,
    locale: &Locale,
) -> Option<String> {
    let m = locale.messages();
    let left = locale.number(total.saturating_sub(included) as i64);
    let kib = locale.number((BUDGET_BYTES / 1024) as i64);
    let args = [("left", left.as_str()), ("kib", kib.as_str())];
    let text = match (body_omitted, total - included.min(total)) {
        (false, 0) => return None,
        (true, 0) => locale.fill(m.note_body_left_out, &args),
        (false, _) => locale.count(total as i64, &m.note_talks_left_out, &args),
        (true, _) => locale.count(total as i64, &m.note_both_left_out, &args),
    };
    Some(format!("> **{}:** {}\n", m.note_label, md_line(&text)))
}

/// The abstract under its heading; None without one.
pub(super) fn abstract_(sentences: &[String], locale: &Locale) -> Option<String> {
    (!sentences.is_empty()).then(|| {
        let text = md_line(&sentences.join(" "));
        format!("## {}\n\n{text}\n", locale.messages().abstract_heading)
    })
}

/// The highlights as a list; None when there are none to show.
pub(super) fn highlights(report: &Report, locale: &Locale) -> Option<String> {
    let items: Vec<String> = report
        .highlights
        .iter()
        .map(|h| md_line(h))
        .filter(|h| !h.is_empty())
        .collect();
    if items.is_empty() {
        return None;
    }
    let mut out = format!("## {}\n\n", locale.messages().highlights_heading);
    for item in items {
        out.push_str(&format!("- {item}\n"));
    }
    Some(out)
}

/// The themes on one line; None when there are none to show.
pub(super) fn themes(report: &Report, locale: &Locale) -> Option<String> {
    let items: Vec<String> = report
        .themes
        .iter()
        .map(|t| md_line(t))
        .filter(|t| !t.is_empty())
        .collect();
    let heading = locale.messages().themes_heading;
    (!items.is_empty()).then(|| format!("## {heading}\n\n{}\n", items.join(", ")))
}

/// The projects mentioned, each linked to its homepage; None when none is.
pub(super) fn projects(mentions: &[Mention], locale: &Locale) -> Option<String> {
    if mentions.is_empty() {
        return None;
    }
    let mut out = format!("## {}\n\n", locale.messages().projects_heading);
    for (i, mention) in mentions.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        link(&md_plain(mention.name), mention.url, &mut out);
    }
    out.push('\n');
    Some(out)
}

/// The heading of the talks section; None when no talk is recommended at all.
pub(super) fn talks_heading(total: usize, included: usize, locale: &Locale) -> Option<String> {
    let m = locale.messages();
    let shown = locale.number(included as i64);
    match total {
        0 => None,
        _ if included == total => Some(format!(
            "## {}\n",
            locale.count(total as i64, &m.talks_heading, &[])
        )),
        _ => Some(format!(
            "## {}\n",
            locale.count(total as i64, &m.talks_heading_partial, &[("shown", &shown)])
        )),
    }
}

/// One recommended talk: heading, rating and review, facts, the reason, links.
pub(super) fn talk(rec: &Recommendation, locale: &Locale) -> String {
    let m = locale.messages();
    let mut paragraphs = vec![heading(3, &md_line(&rec.title))];
    let reviewed = if rec.reviewed {
        m.talk_reviewed
    } else {
        m.talk_not_reviewed
    };
    paragraphs.push(format!("{} · {reviewed}\n", stars(rec.rating, locale)));

    let mut facts = String::new();
    let speakers: Vec<String> = rec
        .speakers
        .iter()
        .map(|s| md_line(s))
        .filter(|s| !s.is_empty())
        .collect();
    if !speakers.is_empty() {
        let label = locale.count(speakers.len() as i64, &m.speakers, &[]);
        fact(&mut facts, &label, &speakers.join(", "));
    }
    if let Some(track) = rec.track.as_deref().map(md_line).filter(|t| !t.is_empty()) {
        fact(&mut facts, m.track, &track);
    }
    fact(&mut facts, m.recommended_by, &md_line(&rec.recommended_by));
    paragraphs.push(facts);

    let reason = md_text(&rec.reason);
    if !reason.is_empty() {
        paragraphs.push(format!("{reason}\n"));
    }
    let mut links = String::new();
    for (text, url) in [(m.video, &rec.video_url), (m.slides, &rec.slides_url)] {
        if let Some(url) = url {
            if !links.is_empty() {
                links.push_str(" · ");
            }
            link(text, url, &mut links);
        }
    }
    if !links.is_empty() {
        paragraphs.push(format!("{links}\n"));
    }
    paragraphs.join("\n")
}

/// `★★★★☆ (4 of 5)`; a rating outside 1..=5 (only possible with an outdated CRD) still shows its
/// number, with the stars clamped.
fn stars(rating: i32, locale: &Locale) -> String {
    let full = usize::try_from(rating.clamp(0, 5)).unwrap_or(0);
    let number = locale.number(i64::from(rating));
    let text = locale.fill(locale.messages().rating, &[("rating", &number)]);
    format!(
        "{}{} ({})",
        "★".repeat(full),
        "☆".repeat(5 - full),
        md_line(&text)
    )
}

/// The report's text under its own heading; None when it has none to show.
pub(super) fn body(report: &Report, locale: &Locale) -> Option<String> {
    let text = md_text(report.body.as_deref()?);
    let heading = locale.messages().body_heading;
    (!text.is_empty()).then(|| format!("## {heading}\n\n{text}\n"))
}
