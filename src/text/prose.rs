//! What of a report body is prose: the paragraphs an abstract may quote.
//!
//! Markdown-ish rules, close to CommonMark's block structure but line-based and forgiving:
//! fenced code (``` / ~~~), indented code (4+ columns where no paragraph is open), list items
//! (`- * + •`, `1.` / `1)`) with their continuation lines, ATX and setext headings, tables
//! (`|`), thematic breaks, HTML-looking lines and plain-text titles (see `is_title`) are
//! dropped. Block quotes are prose, their own paragraphs, with the `>` markers stripped (the
//! only non-whitespace a returned sentence can lose). As in CommonMark, an ordered item other
//! than `1.` does not interrupt an open paragraph, so a wrapped line "2019. The ..." stays
//! prose. URLs stay in the text (returned sentences are verbatim): [`mask_urls`] hides them
//! from ranking and [`mostly_non_prose`] drops sentences that are mainly links.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// http(s) and www. links up to the next whitespace (trailing punctuation included: masking a
/// final "." or ")" costs the ranking nothing).
static URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:https?://|www\.)\S+").ok());

/// The prose paragraphs of `body`, each with its lines joined and whitespace runs collapsed
/// to one space (see [`collapse_ws`]), in body order.
pub fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut para_quoted = false;
    let mut fence: Option<(char, usize)> = None;
    let mut in_list = false;
    let mut prev_blank = true;

    let lines: Vec<&str> = body.lines().collect();
    for (n, &raw) in lines.iter().enumerate() {
        if let Some((ch, len)) = fence {
            if closes_fence(raw, ch, len) {
                fence = None;
            }
            continue;
        }
        if raw.trim().is_empty() {
            flush(&mut para, &mut out);
            prev_blank = true;
            continue;
        }
        let indent = indent_width(raw);
        let text = raw.trim();
        let blank_before = std::mem::replace(&mut prev_blank, false);

        if indent < 4
            && let Some(f) = opens_fence(text)
        {
            flush(&mut para, &mut out);
            fence = Some(f);
            in_list = false;
            continue;
        }
        if in_list {
            // Indented lines continue the item; so does a lazy unindented line right after it.
            if indent > 0 || (!blank_before && !is_list_item(text, false)) {
                continue;
            }
            in_list = false;
        }
        if indent >= 4 && para.is_empty() {
            continue; // indented code
        }
        if is_list_item(text, !para.is_empty()) {
            flush(&mut para, &mut out);
            in_list = true;
            continue;
        }
        if is_setext_underline(text) {
            para.clear(); // the open paragraph was a heading
            continue;
        }
        if is_heading(text) || is_thematic_break(text) || is_table_or_html(text) {
            flush(&mut para, &mut out);
            continue;
        }
        let (quoted, content) = match text.strip_prefix('>') {
            Some(_) => (true, text.trim_start_matches(['>', ' ', '\t'])),
            None => (false, text),
        };
        if quoted != para_quoted {
            flush(&mut para, &mut out);
            para_quoted = quoted;
        }
        if content.is_empty() {
            flush(&mut para, &mut out); // a bare ">" separates quoted paragraphs
        } else if !quoted && is_title(content, para.last(), lines.get(n + 1)) {
            flush(&mut para, &mut out);
        } else if !(quoted && (is_list_item(content, false) || is_heading(content))) {
            para.push(content);
        }
    }
    flush(&mut para, &mut out);
    out
}

/// `text` with every whitespace run (line breaks included) turned into one space, trimmed.
pub fn collapse_ws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `sentence` with its URLs replaced by a space, for ranking and word counts.
pub fn mask_urls(sentence: &str) -> Cow<'_, str> {
    match URL.as_ref() {
        Some(re) => re.replace_all(sentence, " "),
        None => Cow::Borrowed(sentence),
    }
}

/// True when a sentence is mainly links (no more words with a letter than URLs) or has no
/// letter at all: not prose to rank or quote.
pub fn mostly_non_prose(sentence: &str) -> bool {
    let urls = URL.as_ref().map_or(0, |re| re.find_iter(sentence).count());
    let words = mask_urls(sentence)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    words == 0 || words <= urls
}

fn flush(para: &mut Vec<&str>, out: &mut Vec<String>) {
    if !para.is_empty() {
        out.push(collapse_ws(&para.join(" ")));
        para.clear();
    }
}

/// Leading columns, a tab counting as 4 (enough to tell indented code from prose).
fn indent_width(line: &str) -> usize {
    let mut width = 0;
    for c in line.chars() {
        match c {
            ' ' => width += 1,
            '\t' => width += 4,
            _ => break,
        }
    }
    width
}

fn opens_fence(text: &str) -> Option<(char, usize)> {
    let ch = text.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = text.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let text = line.trim();
    indent_width(line) < 4
        && text.chars().take_while(|c| *c == ch).count() >= len
        && text.chars().all(|c| c == ch)
}

/// A list marker followed by a space or the end of the line. With `interrupting` (a paragraph
/// is open) an ordered item must start at 1, as in CommonMark.
fn is_list_item(text: &str, interrupting: bool) -> bool {
    let followed_by_space = |rest: &str| rest.is_empty() || rest.starts_with([' ', '\t']);
    if let Some(rest) = text.strip_prefix(['-', '*', '+', '•']) {
        return followed_by_space(rest);
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return false;
    }
    let (number, rest) = text.split_at(digits);
    match rest.strip_prefix(['.', ')']) {
        Some(rest) => followed_by_space(rest) && (!interrupting || number == "1"),
        None => false,
    }
}

fn is_heading(text: &str) -> bool {
    let hashes = text.bytes().take_while(|b| *b == b'#').count();
    (1..=6).contains(&hashes)
        && text[hashes..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// A heading written as plain text: a short line with no final punctuation that starts a
/// paragraph or follows a finished sentence, and stands alone or is followed by a capitalised
/// line at least twice as long. Lines of a wrapped paragraph are of similar lengths, so they
/// do not qualify; without this, "About reports" would be glued to the next sentence.
fn is_title(line: &str, prev: Option<&&str>, next: Option<&&str>) -> bool {
    let len = line.chars().count();
    let next = next.map_or("", |l| l.trim());
    let next_len = next.chars().count();
    let next_capital = next.chars().next().is_some_and(char::is_uppercase);
    len <= 60
        && line.chars().last().is_some_and(char::is_alphanumeric)
        && prev.is_none_or(|p| ends_sentence(p))
        && (next_len == 0 && prev.is_none() || next_capital && next_len >= 2 * len)
}

/// Ends with sentence punctuation, maybe followed by closing quotes or brackets.
fn ends_sentence(line: &str) -> bool {
    let end = line.trim_end_matches(['"', '\'', '”', '’', '»', ')', ']', '*', '_']);
    end.ends_with(['.', '!', '?', '…', ':', ';', '。', '！', '？'])
}

fn is_setext_underline(text: &str) -> bool {
    text.chars().all(|c| c == '=') || text.chars().all(|c| c == '-')
}

fn is_thematic_break(text: &str) -> bool {
    ['-', '*', '_'].iter().any(|&m| {
        text.chars().filter(|c| *c == m).count() >= 3 && text.chars().all(|c| c == m || c == ' ')
    })
}

fn is_table_or_html(text: &str) -> bool {
    text.starts_with('|') || (text.starts_with('<') && text.ends_with('>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_lists_code_headings_tables() {
        let body = "# Title\n\nFirst line of prose\nwrapped   here.\n- item one\n  continued\n\
                    * item two\n\n```rust\nlet x = 1.\n```\n\n    indented code.\n\n\
                    | a | b |\n|---|---|\n\nSecond paragraph. Still prose.\n1. one\n2) two\n\n\
                    ~~~\nfenced\n~~~\nThird.\n";
        assert_eq!(
            paragraphs(body),
            vec![
                "First line of prose wrapped here.",
                "Second paragraph. Still prose.",
                "Third.",
            ]
        );
    }

    #[test]
    fn keeps_wrapped_numbers_and_quotes() {
        let body = "We met in\n2019. The hall was full.\nIt went on\n    indented but wrapped.\n\n\
                    > Quoted words\n> go on.\n>\n> Another quote.\nAfter quote.";
        assert_eq!(
            paragraphs(body),
            vec![
                "We met in 2019. The hall was full. It went on indented but wrapped.",
                "Quoted words go on.",
                "Another quote.",
                "After quote.",
            ]
        );
    }

    #[test]
    fn plain_text_titles_dropped() {
        let body = "About reports\nI liked the reports on operators, storage and networking most.\n\
                    Other reports\nI will not recommend them, they were all rather hard to follow.\n\n\
                    Conclusion\n\nShort first line\nnext one.";
        assert_eq!(
            paragraphs(body),
            vec![
                "I liked the reports on operators, storage and networking most.",
                "I will not recommend them, they were all rather hard to follow.",
                "Short first line next one.",
            ]
        );
    }

    #[test]
    fn setext_heading_and_rules_dropped() {
        let body = "Heading\n=======\nBody text.\n\nSub\n---\n\n***\nMore text.";
        assert_eq!(paragraphs(body), vec!["Body text.", "More text."]);
    }

    #[test]
    fn list_ends_after_blank_line() {
        let body = "- a\n- b\nlazy\n\n  indented item paragraph\n\nProse again.";
        assert_eq!(paragraphs(body), vec!["Prose again."]);
    }

    #[test]
    fn urls_masked_and_link_sentences_dropped() {
        let s = "Slides at https://example.com/x.pdf and www.example.org.";
        assert_eq!(mask_urls(s), "Slides at   and  ");
        assert!(!mostly_non_prose(s));
        assert!(mostly_non_prose(
            "See https://example.com/a/very/long/path/to/slides.pdf"
        ));
        assert!(mostly_non_prose("1. 2. 3."));
        assert!(mostly_non_prose(
            "Slides: https://a.example/1 https://a.example/2"
        ));
        assert!(!mostly_non_prose("In 2019, 7,700 people."));
        assert_eq!(collapse_ws("  a \n\t b  "), "a b");
    }
}
