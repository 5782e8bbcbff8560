//! Making user text safe to publish: control characters out of both outputs, and in summary.md
//! only what would form markup in its context escaped, under CommonMark and GitHub Flavored
//! Markdown alike (cmark-gfm's autolinks included). Everything else is left as written, so the
//! raw file reads like the author's text: no `It\'s`, no `Loki\: like`, no `7\.700`.

use super::links;

/// What every control character (other than the line structure a field may keep) becomes.
const REPLACEMENT: char = '\u{FFFD}';

/// Put after an `@` between address characters: invisible, and not an address character, so no
/// renderer's e-mail autolink can span it. A backslash cannot do this: cmark-gfm finds e-mail
/// addresses in text after escapes are resolved, so `jane\@example.com` still becomes a link.
pub(super) const WORD_JOINER: char = '\u{2060}';

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

/// A single-line field (already cleaned) as Markdown inline text, bare web URLs as links.
/// Surrounding whitespace is dropped: after a list marker, leading spaces could start code.
pub(super) fn md_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    links::with_links(s.trim(), &mut out, escape_line);
    out
}

/// A single-line field as plain escaped text, without links (for text inside a link).
pub(super) fn md_plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_line(s.trim(), &mut out);
    out
}

/// Multi-line text (already cleaned) as Markdown paragraphs that flow as written: lines are
/// joined by plain line breaks (soft breaks, so a renderer re-flows them), runs of blank lines
/// separate paragraphs. Each line is trimmed, so indentation cannot turn text into code, and
/// escaped on its own, since each line could start a block (a list, a setext underline).
pub(super) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut after_blank = false;
    for line in s.split('\n').map(str::trim) {
        if line.is_empty() {
            after_blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if after_blank { "\n\n" } else { "\n" });
        }
        after_blank = false;
        links::with_links(line, &mut out, escape_line);
    }
    out
}

/// Escapes one trimmed line of user text (with no URL that should be a link) into `out`.
pub(super) fn escape_line(line: &str, out: &mut String) {
    let start = out.len();
    let mut prev: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let rest = &line[i + c.len_utf8()..];
        match c {
            // Raw HTML and autolinks start here; an entity cannot be undone by an autolink that
            // swallows a backslash, as cmark-gfm's `www.` autolink does.
            '<' => out.push_str("&lt;"),
            '&' if starts_entity(rest) => out.push_str("&amp;"),
            // Code spans, link and footnote brackets, table cells, heading attributes: no
            // ordinary sentence needs these bare.
            '`' | '[' | ']' | '|' | '{' | '}' => escaped(c, out),
            // A backslash only escapes ASCII punctuation, or breaks the line at its end.
            '\\' if next.is_none_or(|n| n.is_ascii_punctuation()) => escaped(c, out),
            // Emphasis, strong, strikethrough: not when it stands alone between spaces.
            '*' | '~' if !(is_space(prev) && is_space(next)) => escaped(c, out),
            // Math (GitHub's and pulldown-cmark's `$…$`) has its own rules for spaces.
            '$' => escaped(c, out),
            // `_` cannot open or close emphasis inside a word (prometheus_http_requests_total).
            '_' if !(is_alnum(prev) && is_alnum(next)) => escaped(c, out),
            // A GFM e-mail autolink needs an address character on both sides of the `@`.
            '@' if is_address(prev) && next.is_some_and(is_domain) => {
                out.push(c);
                out.push(WORD_JOINER);
            }
            // GFM's extended autolinks: a scheme's `://` (ftp://), and `www.` after a boundary.
            ':' if prev.is_some_and(|p| p.is_ascii_alphabetic()) && rest.starts_with("//") => {
                escaped(c, out)
            }
            'w' | 'W' if !is_alnum(prev) && starts_www(&line[i..]) => {
                out.push_str(&line[i..i + 3]);
                out.push_str("\\.");
                // Skip "ww." of "www.".
                for _ in 0..3 {
                    chars.next();
                }
                prev = Some('.');
                continue;
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    escape_block_start(out, start);
}

fn escaped(c: char, out: &mut String) {
    out.push('\\');
    out.push(c);
}

/// CommonMark's Unicode whitespace (Zs, tab, line feed, form feed, carriage return), or the
/// start or end of the line: a delimiter between two of these can neither open nor close.
fn is_space(c: Option<char>) -> bool {
    c.is_none_or(|c| {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\u{0C}' | '\r' | '\u{A0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
        )
    })
}

fn is_alnum(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

/// Characters cmark-gfm accepts before the `@` of an e-mail autolink.
fn is_address(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
}

/// Characters cmark-gfm accepts after the `@` of an e-mail autolink.
fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn starts_www(s: &str) -> bool {
    s.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("www."))
}

/// Whether `s` (what follows an `&`) would make it an entity: `#123;`, `#x1F;`, `name;`.
fn starts_entity(s: &str) -> bool {
    let (digits, rest): (fn(u8) -> bool, &[u8]) = match s.as_bytes() {
        [b'#', b'x' | b'X', rest @ ..] => (|b| b.is_ascii_hexdigit(), rest),
        [b'#', rest @ ..] => (|b| b.is_ascii_digit(), rest),
        [first, ..] if first.is_ascii_alphabetic() => (|b| b.is_ascii_alphanumeric(), s.as_bytes()),
        _ => return false,
    };
    let run = rest.iter().take_while(|&&b| digits(b)).count();
    run > 0 && rest.get(run) == Some(&b';')
}

/// Escapes what would start a block at the beginning of the line escaped from `start` in `out`:
/// an ATX heading, a block quote, a bullet or ordered list item, a thematic break or setext
/// underline, a definition (`: `). In the middle of a line these are ordinary characters.
fn escape_block_start(out: &mut String, start: usize) {
    let line = &out[start..];
    let first = line.chars().next();
    let after = |n: usize| line[n..].chars().next();
    let ends_marker = |n: usize| after(n).is_none_or(char::is_whitespace);
    let at = match first {
        Some('>') => Some(start),
        Some('#') => {
            let hashes = line.bytes().take_while(|&b| b == b'#').count();
            (hashes <= 6 && ends_marker(hashes)).then_some(start)
        }
        Some('-' | '+' | '*') if ends_marker(1) => Some(start),
        // pulldown-cmark's definition lists need no space after the `:`.
        Some(':') => Some(start),
        Some('-' | '=')
            if line
                .trim_end()
                .chars()
                .all(|c| c == first.unwrap_or(' ') || c == ' ') =>
        {
            Some(start)
        }
        Some(d) if d.is_ascii_digit() => {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            (digits <= 9 && matches!(after(digits), Some('.' | ')')) && ends_marker(digits + 1))
                .then_some(start + digits)
        }
        _ => None,
    };
    if let Some(at) = at {
        out.insert(at, '\\');
    }
}

#[cfg(test)]
#[path = "escape_tests.rs"]
mod tests;
