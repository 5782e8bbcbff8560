//! summary.md as readers' renderers turn it into HTML: pulldown-cmark (CommonMark with GFM's
//! tables, strikethrough and task lists) and comrak (a port of cmark-gfm, as GitHub, GitLab and
//! Backstage parse: autolinks, tables, strikethrough, task lists, raw HTML allowed). Whatever a
//! report holds, the HTML may only have the elements the operator's own Markdown makes, no
//! attribute but a link's `href`, and no `href` that is not http(s). Shared by the property tests
//! and the fuzz targets, which include this file with `#[path]`.

#![allow(dead_code)]

use html5gum::{Token, Tokenizer};

/// The elements summary.md's own markup makes: headings, paragraphs, bullet lists, the note's
/// block quote, bold labels, links.
const ELEMENTS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "p",
    "ul",
    "li",
    "strong",
    "a",
    "blockquote",
];

pub fn pulldown_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM;
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, options));
    out
}

pub fn gfm_html(md: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.render.r#unsafe = true;
    comrak::markdown_to_html(md, &options)
}

/// Checks `md` under both renderers; the error names the renderer and the offending HTML.
pub fn check_html(md: &str) -> Result<(), String> {
    for (renderer, html) in [
        ("pulldown-cmark", pulldown_html(md)),
        ("comrak (GFM)", gfm_html(md)),
    ] {
        check_elements(&html).map_err(|e| format!("{renderer}: {e}\nin: {html}"))?;
    }
    Ok(())
}

/// Every start or end tag is an allowed element; only `a` has an attribute, `href`, with an
/// http(s) URL. Comments, doctypes and processing instructions are not allowed either.
pub fn check_elements(html: &str) -> Result<(), String> {
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if !ELEMENTS.contains(&name.as_str()) {
                    return Err(format!("an element outside the allowlist: <{name}>"));
                }
                for (attribute, value) in &tag.attributes {
                    let attribute = String::from_utf8_lossy(attribute).to_ascii_lowercase();
                    let value = String::from_utf8_lossy(value);
                    if name != "a" || attribute != "href" {
                        return Err(format!("an attribute: <{name} {attribute}={value:?}>"));
                    }
                    let lower = value.trim().to_ascii_lowercase();
                    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                        return Err(format!("a link that is not http(s): {value:?}"));
                    }
                }
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if !ELEMENTS.contains(&name.as_str()) {
                    return Err(format!("an element outside the allowlist: </{name}>"));
                }
            }
            Token::Comment(c) => {
                return Err(format!("a comment: {:?}", String::from_utf8_lossy(&c)));
            }
            Token::Doctype(_) => return Err("a doctype".to_string()),
            Token::String(_) | Token::Error(_) => {}
        }
    }
    Ok(())
}

/// The payloads that got past earlier versions, each with what it became then.
pub const REGRESSIONS: &[&str] = &[
    // cmark-gfm's www. autolink swallowed the backslash before `<`: a live <img>.
    "see www.a.b<img src=//evil.example/p.png>",
    "www.a.b\\<img src=x onerror=alert(1)>",
    // Backslash-escaped `@` and `:` still became mailto: and xmpp: links.
    "jane\\@example.com",
    "jane@example.com",
    "mailto\\:x\\@y.z",
    "mailto:x@y.z",
    "xmpp\\:f\\@b.c",
    "xmpp:f@b.c",
    "ftp://files.example/x",
    "www.example.com/<script>",
    "https://e.x/<img src=x>",
    "https://e.x/?a=1&copy;=2&lt;img src=x&gt;",
    "<https://e.x/\" onmouseover=\"x>",
    "[x](https://e.x \"t\" onclick=x)",
    "a@b.c<img src=x>",
    "_www.a.b_ ~www.a.b~ *www.a.b* (www.a.b)",
    "| a |\n|---|\n| <img src=x> |",
    "- [ ] task <img src=x>",
    // Found by fuzzing: a `!` before the inline link written for a URL with `&copy;` in it.
    "!https://e.x/?a=1&copy;=2&lt;img src=x&gt;",
];
