//! Making user text safe to publish: control characters out of both outputs, Markdown
//! significance out of summary.md, and link destinations that cannot be broken out of.

/// What every control character (other than the line structure a field may keep) becomes.
const REPLACEMENT: char = '\u{FFFD}';

/// A single-line field as both outputs carry it: line breaks and tabs become a space (a title
/// has no lines to keep), every other control character becomes U+FFFD.
pub(super) fn clean_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // CRLF is one line break, so one space.
                chars.next_if_eq(&'\n');
                out.push(' ');
            }
            '\n' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Multi-line text (the body, a reason) as both outputs carry it: CRLF and CR become LF, LF and
/// tab are kept, every other control character becomes U+FFFD.
pub(super) fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// ASCII punctuation escaped wherever it appears: everything that can open inline markup, raw
/// HTML (`<`), an entity (`&`), a link or image, an autolink (`:` for schemes, `@` for e-mail),
/// a table cell, strikethrough, math or a heading. CommonMark makes any backslash-escaped ASCII
/// punctuation literal, so this is lossless for readers.
const ALWAYS_ESCAPED: &str = "\\`*_{}[]<>()#!|~&:@\"'$";

/// Escapes one trimmed line of user text into `out`. Besides `always_escaped`, the characters
/// that only matter where a block can start are escaped there: a leading `-`, `+` or `=`
/// (lists, thematic breaks, setext underlines) and the `.` of a leading `1.` (ordered lists).
fn escape_line(line: &str, out: &mut String) {
    let mut digits_only = true;
    for (i, c) in line.chars().enumerate() {
        let block_start =
            (i == 0 && matches!(c, '-' | '+' | '=')) || (c == '.' && i > 0 && digits_only);
        if ALWAYS_ESCAPED.contains(c) || block_start {
            out.push('\\');
        }
        out.push(c);
        digits_only &= c.is_ascii_digit();
    }
}

/// A single-line field (already cleaned) as Markdown inline text. Surrounding whitespace is
/// dropped: after a list marker, leading spaces could start an indented code block.
pub(super) fn md_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    escape_line(s.trim(), &mut out);
    out
}

/// Multi-line text (already cleaned) as Markdown paragraphs. Its line structure is kept: each
/// line is escaped on its own and lines end in a hard break (`\`), blank lines separate
/// paragraphs (runs of them count as one). Each line is trimmed, so indentation cannot turn text
/// into a code block, and the result has no leading or trailing blank lines.
pub(super) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    let mut after_blank = false;
    for line in s.split('\n').map(str::trim) {
        if line.is_empty() {
            after_blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if after_blank { "\n\n" } else { "\\\n" });
        }
        after_blank = false;
        escape_line(line, &mut out);
    }
    out
}

/// A URL (already checked to be http or https) as a Markdown link destination. Everything that
/// could end the destination or the link, or is not printable ASCII, is percent-encoded (UTF-8);
/// `&` is written as `&amp;`, which CommonMark decodes back, so no entity in the URL is decoded.
pub(super) fn link_destination(url: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            ' ' | '(' | ')' | '<' | '>' | '"' | '\'' | '\\' | '`' | '[' | ']' => {
                percent_encode(c, HEX, &mut out)
            }
            c if c.is_ascii_graphic() => out.push(c),
            c => percent_encode(c, HEX, &mut out),
        }
    }
    out
}

fn percent_encode(c: char, hex: &[u8; 16], out: &mut String) {
    let mut buf = [0u8; 4];
    for byte in c.encode_utf8(&mut buf).bytes() {
        out.push('%');
        out.push(char::from(hex[usize::from(byte >> 4)]));
        out.push(char::from(hex[usize::from(byte & 0x0F)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_line_turns_breaks_and_tabs_into_spaces_and_controls_into_replacement() {
        assert_eq!(
            clean_line("a\r\nb\nc\rd\te\u{2028}f\u{2029}g\u{85}h"),
            "a b c d e f g h"
        );
        assert_eq!(
            clean_line("a\0b\u{1b}c\u{7f}d\u{9b}e"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e"
        );
    }

    #[test]
    fn clean_text_keeps_lines_and_tabs_and_normalizes_line_ends() {
        assert_eq!(clean_text("a\r\nb\rc\n\td"), "a\nb\nc\n\td");
        assert_eq!(
            clean_text("a\0b\u{0B}c\u{85}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        assert_eq!(clean_text("a\u{2028}b"), "a\u{2028}b");
    }

    #[test]
    fn md_line_escapes_markup_html_entities_and_autolinks() {
        assert_eq!(md_line("<b>&amp;</b>"), "\\<b\\>\\&amp;\\</b\\>");
        assert_eq!(
            md_line("*x* _y_ `z` ~~s~~"),
            "\\*x\\* \\_y\\_ \\`z\\` \\~\\~s\\~\\~"
        );
        assert_eq!(
            md_line("[a](b) ![i](j)"),
            "\\[a\\]\\(b\\) \\!\\[i\\]\\(j\\)"
        );
        assert_eq!(md_line("javascript:x a@b.c"), "javascript\\:x a\\@b.c");
        assert_eq!(
            md_line("\\ | # { } \" ' $"),
            "\\\\ \\| \\# \\{ \\} \\\" \\' \\$"
        );
    }

    #[test]
    fn md_line_escapes_block_starts_only_at_the_start() {
        assert_eq!(md_line("- a - b"), "\\- a - b");
        assert_eq!(md_line("+ a"), "\\+ a");
        assert_eq!(md_line("==="), "\\===");
        assert_eq!(md_line("12. a 3. b"), "12\\. a 3. b");
        assert_eq!(md_line("v1.2"), "v1.2");
        assert_eq!(md_line("   - indented"), "\\- indented");
    }

    #[test]
    fn md_text_keeps_line_structure_with_hard_breaks() {
        assert_eq!(
            md_text("\n\n  a\n  - b\n\n\n\n    c\t\n\n"),
            "a\\\n\\- b\n\nc"
        );
        assert_eq!(md_text("ends with \\\nnext"), "ends with \\\\\\\nnext");
        assert_eq!(md_text(" \n\t\n"), "");
    }

    #[test]
    fn link_destination_percent_encodes_what_could_break_it() {
        assert_eq!(
            link_destination("https://e.x/a b(c)<d>\"e'f\\g`h[i]"),
            "https://e.x/a%20b%28c%29%3Cd%3E%22e%27f%5Cg%60h%5Bi%5D"
        );
        assert_eq!(
            link_destination("https://e.x/é\u{1}"),
            "https://e.x/%C3%A9%01"
        );
        assert_eq!(
            link_destination("https://e.x/?a=1&copy;=2"),
            "https://e.x/?a=1&amp;copy;=2"
        );
        assert_eq!(
            link_destination("https://e.x/%20#frag"),
            "https://e.x/%20#frag"
        );
    }
}
