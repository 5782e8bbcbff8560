//! What every summary must satisfy, whatever the input (docs/summary-format.md), and the
//! adversarial text that inputs are made of. Shared by the property tests (tests/properties/)
//! and the fuzz targets (fuzz/fuzz_targets/), which include this file with `#[path]`.
//!
//! The checks are written from the documentation, not from the renderer's code: summary.json is
//! read back into the documented schema, and summary.md is parsed as CommonMark (pulldown-cmark,
//! with the GitHub Flavored Markdown extensions on) and compared block by block with what the
//! JSON says, so any user text that turned into markup, or any markup that lost text, shows. The
//! words summary.md adds come from the locale's message table (render::locale, tested there).
//! Then summary.md is rendered to HTML by pulldown-cmark and by comrak's GFM (rendered_html.rs).

#![allow(dead_code)]

use std::cmp::Reverse;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tripreport_operator::render::locale::{Locale, Messages};
use tripreport_operator::render::{
    BUDGET_BYTES, RecommendationInput, Rendered, ReportInput, SCHEMA_VERSION,
};

/// Text that has a meaning to Markdown, HTML, URLs or Unicode layout: what inputs are built of.
pub const FRAGMENTS: &[&str] = &[
    // HTML and entities
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<!-- c -->",
    "<div>",
    "</p>",
    "<?php ?>",
    "<![CDATA[x]]>",
    "&lt;",
    "&amp;",
    "&#x3C;",
    "&#60;",
    "&copy;",
    "&",
    "<",
    ">",
    // links, images, autolinks and schemes
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1) \"t\")",
    "![i](data:image/png;base64,AAAA)",
    "[ref]: javascript:alert(1)",
    "[ref]",
    "[x][ref]",
    "<https://evil.example>",
    "<a@b.c>",
    "<javascript:alert(1)>",
    "mailto:a@b.c",
    "a@b.c",
    "www.example.com",
    "https://example.com/x",
    "javascript:",
    " javascript:",
    "vbscript:msgbox(1)",
    "VBScript:",
    "data:text/html;base64,PHNjcmlwdD4=",
    "[[wiki]]",
    "[^1]",
    "[^1]: note",
    "](",
    // block starts
    "# ",
    "###### ",
    "- ",
    "+ ",
    "* ",
    "1. ",
    "1) ",
    "123456789. ",
    "> ",
    "    ",
    "```",
    "~~~",
    "---",
    "===",
    "***",
    "___",
    "- [ ] ",
    "| a | b |\n|---|---|",
    ": definition",
    // inline markup
    "*",
    "**",
    "_",
    "__",
    "`",
    "~",
    "~~",
    "^",
    "$",
    "$$",
    "{#id .class}",
    "\\",
    "\\\n",
    "  \n",
    "!",
    "\"",
    "'",
    "(",
    ")",
    "[",
    "]",
    ":",
    "@",
    "|",
    ".",
    "%20",
    // line structure and control characters
    "\0",
    "\r\n",
    "\r",
    "\n",
    "\n\n\n",
    "\t",
    "\u{0B}",
    "\u{0C}",
    "\u{1B}[31m",
    "\u{7F}",
    "\u{85}",
    "\u{9B}",
    "\u{2028}",
    "\u{2029}",
    // right-to-left, bidirectional controls, combining marks, emoji, odd spaces
    "שלום",
    "مرحبا",
    "\u{202E}abc\u{202C}",
    "\u{200F}",
    "\u{2066}",
    "e\u{301}",
    "\u{301}\u{302}\u{303}",
    "😀",
    "👩\u{200D}👩\u{200D}👧",
    "\u{FEFF}",
    "\u{A0}",
    "\u{3000}",
    "\u{FFFD}",
    "\u{10FFFF}",
    // plain text
    " ",
    "a",
    "Z",
    "1",
    "Talk",
];

/// URL beginnings: the web schemes in any case, and everything that must not become a link.
pub const URL_PREFIXES: &[&str] = &[
    "http://",
    "https://",
    "HTTP://",
    "HtTpS://",
    "https:",
    "http:/",
    "https//",
    "//",
    " https://",
    "\thttps://",
    "\nhttp://",
    "javascript:",
    "JaVaScRiPt:",
    " javascript:",
    "java\nscript:",
    "data:",
    "DATA:text/html,",
    "vbscript:",
    "VBScript:",
    "ftp://",
    "mailto:",
    "file:///",
    "",
];

macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

// ---- summary.json, as documented ----

/// summary.json's documented schema. Unknown fields are an error, lists are required, optional
/// fields are left out when absent: serializing this back must give the file byte for byte.
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document {
    pub schema_version: u64,
    pub locale: String,
    pub report: Report,
    pub r#abstract: Vec<String>,
    pub projects: Vec<Project>,
    pub detected_language: Option<DetectedLanguage>,
    pub recommendations: Vec<Recommendation>,
    pub truncation: Truncation,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Project {
    pub name: String,
    pub url: String,
    pub mentions: u64,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectedLanguage {
    pub tag: String,
    pub confidence: f64,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Report {
    pub name: String,
    pub title: String,
    pub conference: Conference,
    pub author: Author,
    pub language: String,
    pub highlights: Vec<String>,
    pub themes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub review: Review,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Conference {
    pub name: String,
    pub year: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendees: Option<i64>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Author {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Review {
    pub reviewed: bool,
    pub approvals: u64,
    pub required_approvals: i64,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recommendation {
    pub name: String,
    pub title: String,
    pub speakers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    #[serde(rename = "videoURL", skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(rename = "slidesURL", skip_serializing_if = "Option::is_none")]
    pub slides_url: Option<String>,
    pub rating: i64,
    pub reason: String,
    pub recommended_by: String,
    pub reviewed: bool,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Truncation {
    pub total: u64,
    pub included: u64,
    pub body_omitted: bool,
    pub budget_bytes: u64,
}

// ---- oracles, from the documentation ----

/// Whether the documentation calls `c` a control character (U+0000–U+001F, U+007F–U+009F).
fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}')
}

/// A single-line field after the documented replacements: line breaks (CR, LF, CRLF, VT, FF,
/// NEL, U+2028, U+2029) and tabs become one space, other control characters U+FFFD.
pub fn clean_line(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' | '\n' | '\u{B}' | '\u{C}' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\t' => ' ',
            c if is_control(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The body or a reason after the documented replacements: CRLF and CR become LF, LF and tab
/// stay, other control characters become U+FFFD.
pub fn clean_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            '\n' | '\t' => c,
            c if is_control(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// At most `max` characters of `s`: the API's bounds count characters.
pub fn clip(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(end, _)| &s[..end])
}

/// A single-line field as summary.json has it: cut to its bound, then cleaned.
fn line(s: &str, max: usize) -> String {
    clean_line(clip(s, max))
}

/// A URL the summary links to: http:// or https:// in any letter case, with something after.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["http://", "https://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && url.len() > scheme.len())
}

/// A link destination as documented: space, `(`, `)`, `<`, `>`, `"`, `'`, `\`, `` ` ``, `[`,
/// `]`, control characters and non-ASCII percent-encoded as UTF-8 (upper-case hexadecimal, as
/// RFC 3986 recommends). `&` is written `&amp;`, which a CommonMark parser reads back as `&`, so
/// this is the destination as parsed.
pub fn parsed_destination(url: &str) -> String {
    let mut out = String::new();
    for c in url.chars() {
        if c.is_ascii_graphic() && !" ()<>\"'\\`[]".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// The body or a reason as a reader sees it in summary.md: every line trimmed, runs of blank
/// lines one paragraph break (`\n\n`), no blank lines at either end, lines joined by `\n`.
pub fn as_paragraphs(text: &str) -> String {
    let mut paragraphs: Vec<Vec<&str>> = vec![vec![]];
    for line in text.split('\n').map(str::trim) {
        match paragraphs.last_mut() {
            Some(last) if line.is_empty() && !last.is_empty() => paragraphs.push(vec![]),
            Some(last) if !line.is_empty() => last.push(line),
            _ => {}
        }
    }
    paragraphs
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A single-line field as a reader sees it in summary.md: surrounding whitespace trimmed.
fn shown(s: &str) -> &str {
    s.trim()
}

/// The documented digest: SHA-256 over `summary.json`, 0, its data, 0, `summary.md`, 0, its
/// data, 0; written `sha256:` and 64 lower-case hexadecimal digits.
pub fn documented_digest(json: &str, markdown: &str) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in [("summary.json", json), ("summary.md", markdown)] {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

// ---- the checks ----

/// Everything that must hold of any rendering, checked from its output alone.
pub fn check(r: &Rendered) -> Result<Document, String> {
    ensure!(
        r.size == r.markdown.len() + r.json.len(),
        "size {} is not the data's {} bytes",
        r.size,
        r.markdown.len() + r.json.len()
    );
    ensure!(
        r.size <= BUDGET_BYTES,
        "{} bytes, over the budget of {BUDGET_BYTES}",
        r.size
    );
    ensure!(
        r.digest == documented_digest(&r.json, &r.markdown),
        "the digest {} is not the documented one",
        r.digest
    );
    ensure!(r.included <= r.total, "{} of {}", r.included, r.total);
    ensure!(
        r.truncated() == (r.included < r.total || r.body_omitted),
        "truncated() disagrees with the counts"
    );
    let document = check_json(r)?;
    check_markdown_text(&r.markdown)?;
    check_markdown_structure(&r.markdown, &document)?;
    crate::rendered_html::check_html(&r.markdown)?;
    Ok(document)
}

fn check_json(r: &Rendered) -> Result<Document, String> {
    let document: Document = serde_json::from_str(&r.json)
        .map_err(|e| format!("summary.json is not the documented schema: {e}"))?;
    ensure!(
        document.schema_version == u64::from(SCHEMA_VERSION) && SCHEMA_VERSION == 2,
        "schemaVersion {}",
        document.schema_version
    );
    let pretty = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())? + "\n";
    ensure!(
        pretty == r.json,
        "summary.json is not the documented document pretty-printed (key order, layout or a \
         field):\n{}",
        first_difference(&pretty, &r.json)
    );
    let t = &document.truncation;
    ensure!(
        (t.total, t.included, t.body_omitted, t.budget_bytes)
            == (
                r.total as u64,
                r.included as u64,
                r.body_omitted,
                BUDGET_BYTES as u64
            ),
        "truncation {t:?} does not match the rendering"
    );
    ensure!(
        document.recommendations.len() == r.included,
        "{} recommendations in summary.json, {} included",
        document.recommendations.len(),
        r.included
    );
    ensure!(
        !(r.body_omitted && document.report.body.is_some()),
        "the body is omitted but present"
    );
    let report = &document.report;
    let conference = &report.conference;
    let mut single_line: Vec<&str> = vec![
        &report.name,
        &report.title,
        &conference.name,
        &report.author.name,
        &report.language,
    ];
    single_line.extend(
        [
            &conference.city,
            &conference.country,
            &conference.start_date,
            &conference.end_date,
            &report.author.organization,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    );
    single_line.extend(report.highlights.iter().map(String::as_str));
    single_line.extend(report.themes.iter().map(String::as_str));
    let mut multi_line: Vec<&str> = report.body.iter().map(String::as_str).collect();
    for rec in &document.recommendations {
        single_line.extend([rec.name.as_str(), &rec.title, &rec.recommended_by]);
        single_line.extend(rec.speakers.iter().map(String::as_str));
        single_line.extend(
            [&rec.track, &rec.video_url, &rec.slides_url]
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
        multi_line.push(&rec.reason);
        for url in [&rec.video_url, &rec.slides_url].into_iter().flatten() {
            ensure!(
                is_web_url(url),
                "a URL that is not http(s) in summary.json: {url:?}"
            );
        }
    }
    for s in single_line {
        ensure!(
            !s.chars().any(is_control) && !s.contains(['\u{2028}', '\u{2029}']),
            "a line break or control character in a single-line field: {s:?}"
        );
    }
    for s in multi_line {
        ensure!(
            !s.chars().any(|c| is_control(c) && c != '\n' && c != '\t'),
            "a control character in the body or a reason: {s:?}"
        );
    }
    Ok(document)
}

/// What the Markdown source must look like, checked on its bytes. What it means to a reader
/// is checked by parsing it (`blocks`) and by rendering it (`rendered_html`).
fn check_markdown_text(md: &str) -> Result<(), String> {
    ensure!(
        md.ends_with('\n') && !md.ends_with("\n\n"),
        "summary.md must end with exactly one newline"
    );
    ensure!(md.starts_with('#'), "summary.md must start with the title");
    ensure!(
        !md.contains("\n\n\n"),
        "blocks are separated by more than one blank line: {}",
        near(md, md.find("\n\n\n").unwrap_or(0))
    );
    if let Some(c) = md
        .chars()
        .find(|&c| is_control(c) && c != '\n' && c != '\t')
    {
        return Err(format!("control character {c:?} in summary.md"));
    }
    Ok(())
}

/// A top-level block of the parsed Markdown, with its text as a reader sees it.
#[derive(Debug, PartialEq)]
enum Block {
    Heading(u8, String),
    Paragraph(String, Vec<(String, String)>),
    List(Vec<String>),
    Quote(String),
    /// Expected only: a paragraph of user text, whose links (bare URLs the operator made links)
    /// each show their own URL.
    Text(String),
}

/// Whether a parsed block is what was expected.
fn same(parsed: Option<&Block>, expected: Option<&Block>) -> bool {
    match (parsed, expected) {
        (Some(Block::Paragraph(text, links)), Some(Block::Text(expected))) => {
            text == expected
                && links
                    .iter()
                    .all(|(t, dest)| *dest == *t || *dest == parsed_destination(t))
        }
        (parsed, expected) => parsed == expected,
    }
}

fn options() -> Options {
    // Everything GitHub Flavored Markdown has, and the extensions whose characters the
    // documentation promises to escape. Not smart punctuation (it changes text) and not
    // superscript (`^`, which the documentation does not escape and GFM does not have).
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_SUBSCRIPT
        | Options::ENABLE_WIKILINKS
}

/// The bold labels the operator writes in the locale's words.
fn labels(m: &Messages, locale: &Locale) -> Vec<String> {
    let mut labels: Vec<String> = [
        m.conference,
        m.place,
        m.when,
        m.attendees,
        m.author,
        m.language,
        m.reviewed,
        m.note_label,
        m.track,
        m.recommended_by,
    ]
    .iter()
    .map(|l| format!("{l}:"))
    .collect();
    for n in [1, 2] {
        labels.push(format!("{}:", locale.count(n, &m.speakers, &[])));
    }
    labels
}

/// Whether a link destination, as a renderer reads it, is an http(s) URL.
fn web_destination(dest: &str) -> bool {
    is_web_url(dest.trim())
}

/// summary.md parsed as CommonMark into its blocks; anything but the markup the operator
/// writes (headings, bullet lists, one block quote, bold labels, links to http(s)) is an error.
/// Soft line breaks are kept as `\n`; a hard break is an error (paragraphs flow as written).
fn blocks(md: &str, labels: &[String]) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut depth = 0;
    let mut text = String::new();
    let mut items: Vec<String> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut strong: Option<String> = None;
    let mut link: Option<(String, String)> = None;
    for event in Parser::new_ext(md, options()) {
        let push_text = |s: &str, text: &mut String, items: &mut Vec<String>| match items.last_mut()
        {
            Some(item) => item.push_str(s),
            None => text.push_str(s),
        };
        match event {
            Event::Start(tag) => {
                depth += 1;
                match (depth, tag) {
                    (
                        1,
                        Tag::Heading {
                            id: None,
                            classes,
                            attrs,
                            ..
                        },
                    ) if classes.is_empty() && attrs.is_empty() => {}
                    (1, Tag::Paragraph | Tag::BlockQuote(None)) => {}
                    (1, Tag::List(None)) => items.clear(),
                    (2, Tag::Item) => items.push(String::new()),
                    (2, Tag::Paragraph) => {} // inside the block quote
                    (_, Tag::Strong) if strong.is_none() && link.is_none() => {
                        strong = Some(String::new())
                    }
                    (
                        2 | 3,
                        Tag::Link {
                            link_type: LinkType::Inline | LinkType::Autolink,
                            dest_url,
                            title,
                            ..
                        },
                    ) if title.is_empty() && link.is_none() => {
                        ensure!(
                            web_destination(&dest_url),
                            "a link to something other than http(s): {dest_url:?}"
                        );
                        link = Some((String::new(), dest_url.to_string()))
                    }
                    (depth, tag) => {
                        return Err(format!(
                            "markup that is not ours: {tag:?} at depth {depth} in:\n{md}"
                        ));
                    }
                }
            }
            Event::End(end) => {
                depth -= 1;
                match end {
                    TagEnd::Heading(level) if depth == 0 => {
                        links.clear();
                        blocks.push(Block::Heading(level as u8, std::mem::take(&mut text)))
                    }
                    TagEnd::Paragraph if depth == 0 => blocks.push(Block::Paragraph(
                        std::mem::take(&mut text),
                        std::mem::take(&mut links),
                    )),
                    TagEnd::List(_) => blocks.push(Block::List(std::mem::take(&mut items))),
                    TagEnd::BlockQuote(_) => blocks.push(Block::Quote(std::mem::take(&mut text))),
                    TagEnd::Strong => {
                        let label = strong.take().unwrap_or_default();
                        ensure!(
                            labels.contains(&label),
                            "bold text that is not a label of ours: {label:?}"
                        );
                    }
                    TagEnd::Link => {
                        // Links in list items and headings are checked, not compared.
                        if let Some(l) = link.take()
                            && items.is_empty()
                        {
                            links.push(l);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(s) => {
                if let Some(strong) = &mut strong {
                    strong.push_str(&s);
                }
                if let Some((link_text, _)) = &mut link {
                    link_text.push_str(&s);
                }
                push_text(&s, &mut text, &mut items);
            }
            Event::SoftBreak => push_text("\n", &mut text, &mut items),
            Event::HardBreak => {
                return Err(format!("a hard line break after {text:?}"));
            }
            other => return Err(format!("markup that is not ours: {other:?}")),
        }
    }
    Ok(blocks)
}

/// Text as a reader sees it, without the word joiner the operator puts after an `@` so that no
/// renderer makes an e-mail link of it.
fn unjoined(s: &str) -> String {
    s.replace("@\u{2060}", "@")
}

fn unjoined_blocks(blocks: Vec<Block>) -> Vec<Block> {
    blocks
        .into_iter()
        .map(|b| match b {
            Block::Heading(l, t) => Block::Heading(l, unjoined(&t)),
            Block::Paragraph(t, links) => Block::Paragraph(
                unjoined(&t),
                links.into_iter().map(|(t, d)| (unjoined(&t), d)).collect(),
            ),
            Block::List(items) => Block::List(items.iter().map(|i| unjoined(i)).collect()),
            Block::Quote(t) => Block::Quote(unjoined(&t)),
            Block::Text(t) => Block::Text(unjoined(&t)),
        })
        .collect()
}

fn label_item(label: &str, value: &str) -> String {
    format!("{label}: {value}")
        .trim_end_matches(' ')
        .to_string()
}

/// summary.md, parsed, says exactly what summary.json says, in the documented layout and in the
/// words of the locale summary.json names.
fn check_markdown_structure(md: &str, document: &Document) -> Result<(), String> {
    let report = &document.report;
    let locale = Locale::for_language(&report.language);
    ensure!(
        locale.tag() == document.locale,
        "summary.json's locale {:?} is not the fallback of {:?} ({:?})",
        document.locale,
        report.language,
        locale.tag()
    );
    let m = locale.messages();
    let blocks = unjoined_blocks(blocks(md, &labels(m, &locale))?);
    let conference = &report.conference;
    let t = &document.truncation;
    let mut expected = vec![Block::Heading(1, shown(&report.title).to_string())];
    let mut facts = vec![label_item(
        m.conference,
        &format!("{} {}", shown(&conference.name), conference.year),
    )];
    let place: Vec<&str> = [&conference.city, &conference.country]
        .into_iter()
        .flatten()
        .map(|s| shown(s))
        .filter(|s| !s.is_empty())
        .collect();
    if !place.is_empty() {
        facts.push(label_item(m.place, &place.join(", ")));
    }
    // The dates' wording is the locale's (unit-tested in render::locale); here, that it is there.
    if let Some(when) = locale.dates(
        conference.start_date.as_deref(),
        conference.end_date.as_deref(),
    ) {
        facts.push(label_item(m.when, shown(&when)));
    }
    if let Some(attendees) = conference.attendees {
        facts.push(label_item(m.attendees, &locale.number(attendees)));
    }
    let mut author = shown(&report.author.name).to_string();
    if let Some(organization) = report
        .author
        .organization
        .as_deref()
        .map(shown)
        .filter(|o| !o.is_empty())
    {
        author = format!("{author} ({organization})");
    }
    facts.push(label_item(m.author, &author));
    facts.push(label_item(m.language, shown(&report.language)));
    let review = &report.review;
    let approvals = locale.number(review.approvals as i64);
    facts.push(label_item(
        m.reviewed,
        &match (review.reviewed, review.approvals) {
            (true, 0) => m.review_not_required.to_string(),
            (true, n) => locale.count(n as i64, &m.review_approved, &[]),
            (false, _) => locale.count(
                review.required_approvals,
                &m.review_pending,
                &[("approvals", &approvals)],
            ),
        },
    ));
    expected.push(Block::List(facts));
    let left_out = t.total - t.included;
    let (left, kib) = (locale.number(left_out as i64), locale.number(512));
    let args = [("left", left.as_str()), ("kib", kib.as_str())];
    let note = match (t.body_omitted, left_out) {
        (false, 0) => None,
        (true, 0) => Some(locale.fill(m.note_body_left_out, &args)),
        (false, _) => Some(locale.count(t.total as i64, &m.note_talks_left_out, &args)),
        (true, _) => Some(locale.count(t.total as i64, &m.note_both_left_out, &args)),
    };
    if let Some(note) = note {
        expected.push(Block::Quote(format!("{}: {note}", m.note_label)));
    }
    if !document.r#abstract.is_empty() {
        expected.push(Block::Heading(2, m.abstract_heading.into()));
        expected.push(Block::Text(document.r#abstract.join(" ")));
    }
    let highlights: Vec<String> = report
        .highlights
        .iter()
        .map(|h| shown(h).to_string())
        .filter(|h| !h.is_empty())
        .collect();
    if !highlights.is_empty() {
        expected.push(Block::Heading(2, m.highlights_heading.into()));
        expected.push(Block::List(highlights));
    }
    let themes: Vec<&str> = report
        .themes
        .iter()
        .map(|s| shown(s))
        .filter(|s| !s.is_empty())
        .collect();
    if !themes.is_empty() {
        expected.push(Block::Heading(2, m.themes_heading.into()));
        expected.push(Block::Text(themes.join(", ")));
    }
    if !document.projects.is_empty() {
        expected.push(Block::Heading(2, m.projects_heading.into()));
        let names: Vec<&str> = document.projects.iter().map(|p| p.name.as_str()).collect();
        let links = document
            .projects
            .iter()
            .map(|p| (p.name.clone(), parsed_destination(&p.url)))
            .collect();
        expected.push(Block::Paragraph(names.join(", "), links));
    }
    if t.total > 0 {
        let heading = if t.included == t.total {
            locale.count(t.total as i64, &m.talks_heading, &[])
        } else {
            let shown = locale.number(t.included as i64);
            locale.count(
                t.total as i64,
                &m.talks_heading_partial,
                &[("shown", &shown)],
            )
        };
        expected.push(Block::Heading(2, heading));
    }
    for rec in &document.recommendations {
        expected.push(Block::Heading(3, shown(&rec.title).to_string()));
        let full = usize::try_from(rec.rating.clamp(0, 5)).unwrap_or(0);
        let reviewed = if rec.reviewed {
            m.talk_reviewed
        } else {
            m.talk_not_reviewed
        };
        let rating = locale.fill(m.rating, &[("rating", &locale.number(rec.rating))]);
        expected.push(Block::Paragraph(
            format!(
                "{}{} ({rating}) · {reviewed}",
                "★".repeat(full),
                "☆".repeat(5 - full)
            ),
            vec![],
        ));
        let mut facts = Vec::new();
        let speakers: Vec<&str> = rec
            .speakers
            .iter()
            .map(|s| shown(s))
            .filter(|s| !s.is_empty())
            .collect();
        if !speakers.is_empty() {
            let label = locale.count(speakers.len() as i64, &m.speakers, &[]);
            facts.push(label_item(&label, &speakers.join(", ")));
        }
        if let Some(track) = rec.track.as_deref().map(shown).filter(|t| !t.is_empty()) {
            facts.push(label_item(m.track, track));
        }
        facts.push(label_item(m.recommended_by, shown(&rec.recommended_by)));
        expected.push(Block::List(facts));
        let reason = as_paragraphs(&rec.reason);
        if !reason.is_empty() {
            expected.extend(reason.split("\n\n").map(|p| Block::Text(p.to_string())));
        }
        let links: Vec<(String, String)> = [(m.video, &rec.video_url), (m.slides, &rec.slides_url)]
            .into_iter()
            .filter_map(|(text, url)| {
                url.as_deref()
                    .map(|url| (text.to_string(), parsed_destination(url)))
            })
            .collect();
        if !links.is_empty() {
            let text = links
                .iter()
                .map(|(text, _)| text.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            expected.push(Block::Paragraph(text, links));
        }
    }
    let body = report
        .body
        .as_deref()
        .map(as_paragraphs)
        .unwrap_or_default();
    if !body.is_empty() {
        expected.push(Block::Heading(2, m.body_heading.into()));
        expected.extend(body.split("\n\n").map(|p| Block::Text(p.to_string())));
    }
    let expected = unjoined_blocks(expected);
    if let Some(i) =
        (0..blocks.len().max(expected.len())).find(|&i| !same(blocks.get(i), expected.get(i)))
    {
        return Err(format!(
            "summary.md, read as CommonMark, differs from summary.json at block {i}:\n  parsed:   {:?}\n  expected: {:?}",
            blocks.get(i),
            expected.get(i)
        ));
    }
    // The abstract is the body's own sentences.
    if let Some(body) = &report.body {
        let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
        for sentence in &document.r#abstract {
            ensure!(
                flat.contains(sentence.as_str()),
                "an abstract sentence not in the body: {sentence:?}"
            );
        }
    }
    Ok(())
}

/// Everything `check` checks, and that summary.json is what the documentation says of these
/// inputs: the fields, cleaned and cut to their bounds, the order, the links.
pub fn check_with_inputs(
    report: &ReportInput,
    recommendations: &[RecommendationInput],
    r: &Rendered,
) -> Result<Document, String> {
    let document = check(r)?;
    ensure!(
        r.total == recommendations.len(),
        "total {} of {}",
        r.total,
        recommendations.len()
    );
    let spec = report.spec;
    let conference = &spec.conference;
    let got = &document.report;
    let optional = |s: &Option<String>, max| s.as_deref().map(|s| line(s, max));
    let lines = |items: &Option<Vec<String>>, count: usize, max| {
        items
            .iter()
            .flatten()
            .take(count)
            .map(|s| line(s, max))
            .collect::<Vec<_>>()
    };
    let expected = Report {
        name: line(report.name, 253),
        title: line(&spec.title, 200),
        conference: Conference {
            name: line(&conference.name, 200),
            year: conference.year.into(),
            city: optional(&conference.city, 100),
            country: optional(&conference.country, 100),
            start_date: optional(&conference.start_date, 10),
            end_date: optional(&conference.end_date, 10),
            attendees: conference.attendees,
        },
        author: Author {
            name: line(&spec.author.name, 100),
            organization: optional(&spec.author.organization, 100),
        },
        language: line(&spec.language, 35),
        highlights: lines(&spec.highlights, 50, 500),
        themes: lines(&spec.themes, 20, 63),
        body: if r.body_omitted {
            None
        } else {
            spec.body.as_deref().map(clean_text)
        },
        review: Review {
            reviewed: report.reviewed,
            approvals: report.approvals_counted as u64,
            required_approvals: spec
                .review
                .as_ref()
                .map_or(1, |r| r.required_approvals.max(0))
                .into(),
        },
    };
    let (expected_json, got_json) = (
        serde_json::to_string_pretty(&expected).map_err(|e| e.to_string())?,
        serde_json::to_string_pretty(got).map_err(|e| e.to_string())?,
    );
    ensure!(
        expected_json == got_json,
        "the report in summary.json is not the spec's:\n{}",
        first_difference(&expected_json, &got_json)
    );
    // The API bounds the body to 32768 characters; every valid report fits with it.
    if spec
        .body
        .as_deref()
        .is_some_and(|b| b.chars().count() <= 32768)
    {
        ensure!(
            !r.body_omitted,
            "a body within the API's bound was left out"
        );
    }
    ensure!(
        spec.body.is_some() || !r.body_omitted,
        "no body, yet the body was left out"
    );

    // The documented order: rating (highest first), title by code points, name.
    let mut order: Vec<&RecommendationInput> = recommendations.iter().collect();
    order.sort_by(|a, b| {
        (Reverse(a.spec.rating), &a.spec.talk.title, a.name).cmp(&(
            Reverse(b.spec.rating),
            &b.spec.talk.title,
            b.name,
        ))
    });
    fn key<'a>(i: &RecommendationInput<'a>) -> (i32, &'a str, &'a str) {
        (i.spec.rating, i.spec.talk.title.as_str(), i.name)
    }
    let mut alike: std::collections::BTreeMap<(i32, &str, &str), usize> = Default::default();
    for input in &order {
        *alike.entry(key(input)).or_default() += 1;
    }
    for (i, (input, got)) in order.iter().zip(&document.recommendations).enumerate() {
        ensure!(
            got.name == line(input.name, 253),
            "recommendation {i} is {:?}, the documented order has {:?} there",
            got.name,
            input.name
        );
        // Inputs alike in rating, title and name are told apart by the rest: any order is fine.
        if alike[&key(input)] > 1 {
            continue;
        }
        let talk = &input.spec.talk;
        let url = |u: &Option<String>| {
            u.as_deref()
                .map(|u| clip(u, 2048))
                .filter(|u| is_web_url(u))
                .map(clean_line)
        };
        let expected = Recommendation {
            name: line(input.name, 253),
            title: line(&talk.title, 300),
            speakers: talk
                .speakers
                .iter()
                .take(10)
                .map(|s| line(s, 100))
                .collect(),
            track: talk.track.as_deref().map(|t| line(t, 100)),
            video_url: url(&talk.video_url),
            slides_url: url(&talk.slides_url),
            rating: input.spec.rating.into(),
            reason: clean_text(clip(&input.spec.reason, 2000)),
            recommended_by: line(input.recommended_by, 100),
            reviewed: input.reviewed,
        };
        let (expected_json, got_json) = (
            serde_json::to_string_pretty(&expected).map_err(|e| e.to_string())?,
            serde_json::to_string_pretty(got).map_err(|e| e.to_string())?,
        );
        ensure!(
            expected_json == got_json,
            "recommendation {i} in summary.json is not its spec's:\n{}",
            first_difference(&expected_json, &got_json)
        );
    }
    Ok(document)
}

/// Up to 60 bytes around byte `at`, for messages.
fn near(s: &str, at: usize) -> String {
    let start = (0..=at.saturating_sub(30))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    let end = (at + 30..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    format!("byte {at}: {:?}", &s[start..end])
}

fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    format!("  {}\n  {}", near(a, at), near(b, at.min(b.len())))
}

/// Every string in the bad-input corpus under `dir` (tests/corpus/bad-input, one YAML file per
/// case), sorted and without repeats: payloads for the property tests and the fuzz targets.
pub fn bad_input_strings(dir: &str) -> Vec<String> {
    fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
        match value {
            serde_yaml_ng::Value::String(s) => out.push(s.clone()),
            serde_yaml_ng::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
            serde_yaml_ng::Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
            serde_yaml_ng::Value::Tagged(tagged) => strings(&tagged.value, out),
            _ => {}
        }
    }
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(std::path::Path::new(dir), &mut files);
    files.sort();
    let mut payloads = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            if let Ok(value) = <serde_yaml_ng::Value as Deserialize>::deserialize(doc) {
                strings(&value, &mut payloads);
            }
        }
    }
    payloads.sort();
    payloads.dedup();
    payloads
}
