//! `kubectl tripreport view`: a published summary.md rendered for a terminal. pulldown-cmark
//! parses the CommonMark (escapes and entities resolved as the pages resolve them), and termimad
//! wraps and styles what it is given; no escape sequence is written by hand.

use std::borrow::Cow;
use std::ffi::OsStr;

use pulldown_cmark::{Event, LinkType, Parser, Tag, TagEnd};
use termimad::crossterm::style::Attribute;
use termimad::minimad::{Alignment, Composite, CompositeStyle as Style, Compound, Line, Text};
use termimad::{FmtText, MadSkin};

use super::model::{Cond, Entry, Summary};

/// How to render: the terminal's width in columns, and whether to style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub width: usize,
    pub color: bool,
}

/// termimad cannot wrap into a very narrow width, and very long lines read badly.
const MIN_WIDTH: usize = 20;
const MAX_WIDTH: usize = 120;
/// A nested list is indented by two more columns, up to this (deeper would eat the width).
const MAX_INDENT: usize = 12;
/// bold, italic, code: the styles of a minimad compound that CommonMark can express.
type Flags = [bool; 3];
const PLAIN: Flags = [false; 3];

/// Colours only on a terminal, and never when NO_COLOR is set and not empty (no-color.org).
pub fn color_wanted(is_tty: bool, no_color: Option<&OsStr>) -> bool {
    is_tty && no_color.is_none_or(OsStr::is_empty)
}

/// Text from the cluster made safe to print: control characters (an escape sequence in a
/// title, say) could drive the reader's terminal, and line breaks would break a table.
pub(crate) fn printable(s: &str) -> Cow<'_, str> {
    let bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(|c| c.is_control() || bidi(c)) {
        return Cow::Borrowed(s);
    }
    let replace = |c: char| match c {
        '\t' | '\n' | '\r' => ' ',
        c if c.is_control() || bidi(c) => '\u{FFFD}',
        c => c,
    };
    Cow::Owned(s.chars().map(replace).collect())
}

/// summary.md as terminal text, every line ending with a newline.
pub fn render(markdown: &str, options: &Options) -> String {
    let width = options.width.clamp(MIN_WIDTH, MAX_WIDTH);
    let mut builder = Builder {
        mark_headings: !options.color,
        width,
        ..Builder::default()
    };
    for event in Parser::new_ext(markdown, pulldown_cmark::Options::empty()) {
        builder.event(event);
    }
    // minimad's compounds borrow their text: the owned lines live until termimad is done.
    let lines = (builder.lines.iter())
        .map(|(style, parts)| {
            let mut composite =
                Composite::from(parts.iter().map(Part::compound).collect::<Vec<_>>());
            composite.style = *style;
            Line::Normal(composite)
        })
        .collect();
    let skin = skin(options.color);
    let shown = FmtText::from_text(&skin, Text { lines }, Some(width)).to_string();
    // termimad leaves the space where it wrapped a line.
    shown
        .lines()
        .map(|line| format!("{}\n", line.trim_end()))
        .collect()
}

fn skin(color: bool) -> MadSkin {
    if !color {
        return MadSkin::no_style();
    }
    let mut skin = MadSkin::default();
    for header in &mut skin.headers {
        header.add_attr(Attribute::Bold);
        // Centred titles look odd above left-aligned text in a terminal.
        header.align = Alignment::Left;
    }
    skin
}

/// What to say before (or instead of) the summary, when there is something to say; every
/// line ends with a newline.
pub fn notice(entry: &Entry) -> Option<String> {
    let (name, namespace) = (&entry.name, &entry.namespace);
    let stale = matches!(&entry.summary, Summary::Published(p) if p.stale);
    let first = match &entry.summary {
        Summary::Missing => format!(
            "No summary has been published for conferencereport \"{name}\" in namespace \
             \"{namespace}\" yet."
        ),
        Summary::NotOurs { config_map } => format!(
            "ConfigMap \"{config_map}\" in namespace \"{namespace}\" stands under the summary's \
             name but is not managed by tripreport-operator, so it is not shown."
        ),
        Summary::Published(_) if stale => {
            "This summary may be out of date: it does not describe the report's current spec."
                .into()
        }
        Summary::Published(_) => return None,
    };
    let mut out = format!("{}\n", printable(&first));
    if let Some(state) = &entry.state {
        out += &condition_line("Ready", &state.ready);
        if stale {
            out += &condition_line("Summarized", &state.summarized);
        }
    }
    Some(out)
}

/// `Ready=False (Reason): message`, leaving out what the operator did not write.
fn condition_line(kind: &str, cond: &Cond) -> String {
    let mut line = format!("{kind}={}", cond.status);
    if !cond.reason.is_empty() {
        line += &format!(" ({})", cond.reason);
    }
    if !cond.message.is_empty() {
        line += &format!(": {}", cond.message);
    }
    format!("{}\n", printable(&line))
}

/// A compound's text, owned. `joinable` parts merge with a neighbour of the same style, since
/// termimad never breaks a line inside a compound's word but may between two compounds.
struct Part {
    text: String,
    flags: Flags,
    joinable: bool,
}

impl Part {
    fn compound(&self) -> Compound<'_> {
        let mut compound = Compound::raw_str(&self.text);
        [compound.bold, compound.italic, compound.code] = self.flags;
        compound
    }
}

/// A link being read: its text is compared with its url when it ends.
struct Link {
    url: String,
    autolink: bool,
    text: String,
}

/// Turns pulldown-cmark's events into lines: one per heading, paragraph (reflowed by termimad)
/// or list item, with an empty line between blocks. The operator writes no code block: one
/// would be reflowed like a paragraph.
#[derive(Default)]
struct Builder {
    lines: Vec<(Style, Vec<Part>)>,
    /// The last line still takes text; otherwise text starts a new one.
    open: bool,
    /// A block ended: the next line starts after an empty one.
    gap: bool,
    /// A list item just started: its first paragraph goes on the bullet's line.
    fresh_item: bool,
    bold: u32,
    italic: u32,
    quotes: u32,
    /// The next number of each open list, None for bullets.
    lists: Vec<Option<u64>>,
    links: Vec<Link>,
    /// With no style a heading would look like any paragraph: it keeps its Markdown marker.
    mark_headings: bool,
    width: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            // Raw HTML is shown as written: a terminal does not interpret it.
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                self.text(&text, false)
            }
            Event::Code(text) => self.text(&text, true),
            Event::SoftBreak => self.text(" ", false),
            Event::HardBreak => self.continuation(),
            Event::Rule => {
                self.begin(Style::Paragraph);
                self.push(&"―".repeat(self.width), PLAIN, true);
                self.end_block();
            }
            Event::Start(Tag::Paragraph) if !self.fresh_item => self.continuation(),
            Event::Start(Tag::Heading { level, .. }) => {
                self.begin(Style::Header(level as u8));
                if self.mark_headings {
                    self.push(&format!("{} ", "#".repeat(level as usize)), PLAIN, true);
                }
            }
            Event::Start(Tag::BlockQuote(_)) => self.quotes += 1,
            Event::Start(Tag::List(first)) => self.lists.push(first),
            Event::Start(Tag::Item) => {
                let level = u8::try_from(self.indent()).unwrap_or(0);
                let style = match self.lists.last_mut() {
                    Some(Some(next)) => {
                        let index = u32::try_from(*next).unwrap_or(u32::MAX);
                        *next = next.saturating_add(1);
                        Style::OrderedListItem { level, index }
                    }
                    _ => Style::ListItem(level),
                };
                self.begin(style);
                self.fresh_item = true;
            }
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
                let (url, text) = (dest_url.to_string(), String::new());
                self.links.push(Link {
                    url,
                    autolink,
                    text,
                });
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => self.end_block(),
            Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock) => self.end_block(),
            Event::End(TagEnd::BlockQuote(_)) => {
                self.quotes = self.quotes.saturating_sub(1);
                self.end_block();
            }
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
                self.open = false;
                self.gap = self.lists.is_empty();
            }
            Event::End(TagEnd::Item) => self.open = false,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::End(TagEnd::Link) => self.end_link(),
            // An image's alt text comes as text; other containers just let their text flow.
            _ => {}
        }
    }

    /// `text (url)`, the url in its own unstyled compound; an autolink's text is its url.
    fn end_link(&mut self) {
        let Some(link) = self.links.pop() else { return };
        let shown = link.text.trim();
        if link.autolink || shown == link.url || link.url.strip_prefix("mailto:") == Some(shown) {
            return;
        }
        let url = if shown.is_empty() {
            link.url
        } else {
            self.push(" ", PLAIN, true);
            format!("({})", link.url)
        };
        self.push(&url, PLAIN, false);
    }

    fn text(&mut self, text: &str, code: bool) {
        for link in &mut self.links {
            link.text.push_str(text);
        }
        self.push(text, [self.bold > 0, self.italic > 0, code], true);
    }

    fn push(&mut self, text: &str, flags: Flags, joinable: bool) {
        if !self.open {
            self.begin(if self.quotes > 0 {
                Style::Quote
            } else {
                Style::Paragraph
            });
        }
        self.fresh_item = false;
        let text = printable(text);
        let Some((_, parts)) = self.lines.last_mut() else {
            return;
        };
        match parts.last_mut() {
            Some(last) if joinable && last.joinable && last.flags == flags => last.text += &text,
            _ => parts.push(Part {
                text: text.into_owned(),
                flags,
                joinable,
            }),
        }
    }

    fn begin(&mut self, style: Style) {
        if self.gap && !self.lines.is_empty() {
            // Paragraphs of one quote keep the quote mark between them.
            let quoted = style == Style::Quote && self.lines.last().is_some_and(|l| l.0 == style);
            self.lines
                .push((if quoted { style } else { Style::Paragraph }, Vec::new()));
        }
        self.lines.push((style, Vec::new()));
        self.gap = false;
        self.open = true;
    }

    /// A new line in the same block (after a hard break, or for a list item's next paragraph,
    /// indented under the item's text as minimad has no style for it); it starts with its text.
    fn continuation(&mut self) {
        self.open = false;
        if !self.lists.is_empty() {
            self.push(&" ".repeat(self.indent() + 2), PLAIN, false);
        }
    }

    /// Where the innermost list's bullets stand.
    fn indent(&self) -> usize {
        (self.lists.len().saturating_sub(1) * 2).min(MAX_INDENT)
    }

    fn end_block(&mut self) {
        self.open = false;
        self.gap = true;
    }
}

#[cfg(test)]
#[path = "terminal_tests.rs"]
mod tests;
