//! The only links in summary.md are written here: a bare http(s) URL in user text, and the
//! links the operator adds (a talk's video and slides, a project's homepage).

use std::sync::LazyLock;

use regex::Regex;

use super::is_web_url;

/// A bare web URL as GFM finds one: a scheme after a word boundary, then everything up to
/// whitespace or `<`/`>`; trailing punctuation is trimmed by `url_end`.
static BARE_URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bhttps?://[^\s<>]+").ok());

/// Writes `line` into `out`: each bare web URL as a link, the text around it through `escape`.
pub(super) fn with_links(line: &str, out: &mut String, escape: fn(&str, &mut String)) {
    let Some(re) = BARE_URL.as_ref() else {
        return escape(line, out);
    };
    let mut last = 0;
    for m in re.find_iter(line) {
        let url = &m.as_str()[..url_end(m.as_str())];
        if !is_web_url(url) || url.ends_with("://") {
            continue;
        }
        escape(&line[last..m.start()], out);
        link_url(url, out, escape);
        last = m.start() + url.len();
    }
    escape(&line[last..], out);
}

/// Where a URL found in prose ends, as GFM decides: trailing `?!.,:*_~'"` are punctuation, and
/// a `)` closes the URL only when it has an opening one.
fn url_end(url: &str) -> usize {
    let mut end = url.len();
    loop {
        let trimmed =
            url[..end].trim_end_matches(['?', '!', '.', ',', ':', '*', '_', '~', '\'', '"', ';']);
        end = trimmed.len();
        if trimmed.ends_with(')') && trimmed.matches(')').count() > trimmed.matches('(').count() {
            end -= 1;
            continue;
        }
        return end;
    }
}

/// A URL from user text as a link that shows the URL itself. An autolink (`<url>`) reads best
/// raw and its text is taken literally; where the URL holds what a renderer would decode as an
/// entity (`&copy;`), comrak and pulldown-cmark disagree on it, so it becomes an inline link.
fn link_url(url: &str, out: &mut String, escape: fn(&str, &mut String)) {
    let entity_like = url.match_indices('&').any(|(i, _)| {
        let rest = &url[i + 1..];
        let run = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
            .count();
        run > 0 && rest.as_bytes().get(run) == Some(&b';')
    });
    if entity_like {
        // A `!` just before would make it an image. The escaper never escapes a `!`, and
        // doubles a backslash before one, so this `!` is a character of its own.
        if out.ends_with('!') {
            out.pop();
            out.push_str("\\!");
        }
        let mut text = String::new();
        escape(url, &mut text);
        link(&text, url, out);
    } else {
        out.push('<');
        out.push_str(url);
        out.push('>');
    }
}

/// `[text](url)`: `text` is Markdown already; `url` must be an http(s) URL.
pub(super) fn link(text: &str, url: &str, out: &mut String) {
    out.push('[');
    out.push_str(text);
    out.push_str("](");
    out.push_str(&link_destination(url));
    out.push(')');
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
