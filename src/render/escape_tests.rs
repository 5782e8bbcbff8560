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
fn ordinary_prose_is_left_as_written() {
    for prose in [
        "Grafana Loki: like Prometheus, but for logs",
        "It's what we'd call \"boring\" (in a good way)!",
        "prometheus_http_requests_total went up 7.700 times, v1.2 - finally",
        "Barcelona, 7.700 participantes, R&D, 5 * 3 = 15; a ~ b; 10 % off",
        "Questions? Ask: #sig-apps, 100% sure, 1.5x faster",
    ] {
        assert_eq!(md_line(prose), prose);
    }
}

#[test]
fn html_and_entities_are_text() {
    assert_eq!(md_line("<b>&amp;</b>"), "&lt;b>&amp;amp;&lt;/b>");
    assert_eq!(
        md_line("&#60; &#x3C; &copy; & &x &;"),
        "&amp;#60; &amp;#x3C; &amp;copy; & &x &;"
    );
}

#[test]
fn inline_markup_is_escaped_where_it_could_form() {
    assert_eq!(
        md_line("*x* **y** `z` ~~s~~"),
        "\\*x\\* \\*\\*y\\*\\* \\`z\\` \\~\\~s\\~\\~"
    );
    assert_eq!(
        md_line("_a_ __init__ snake_case"),
        "\\_a\\_ \\_\\_init\\_\\_ snake_case"
    );
    assert_eq!(
        md_line("[a](b) ![i](j) [^1] {#id}"),
        "\\[a\\](b) !\\[i\\](j) \\[^1\\] \\{#id\\}"
    );
    assert_eq!(md_line("a | b"), "a \\| b");
    assert_eq!(md_line("$x$"), "\\$x\\$");
}

#[test]
fn backslashes_are_escaped_only_where_they_would_escape_or_break() {
    assert_eq!(md_line("C:\\Users\\x"), "C:\\Users\\x");
    assert_eq!(md_line("\\* \\< end\\"), "\\\\\\* \\\\&lt; end\\\\");
}

#[test]
fn gfm_autolinks_cannot_form() {
    // cmark-gfm's extended autolinks: www., a scheme's ://, e-mail with or without mailto:/xmpp:.
    assert_eq!(
        md_line("see www.a.b<img src=//e.x/p.png>"),
        "see www\\.a.b&lt;img src=//e.x/p.png>"
    );
    assert_eq!(md_line("WWW.A.B (www.c.d"), "WWW\\.A.B (www\\.c.d");
    assert_eq!(md_line("awww.a.b"), "awww.a.b");
    assert_eq!(md_line("ftp://x.y"), "ftp\\://x.y");
    assert_eq!(md_line("jane@example.com"), "jane@\u{2060}example.com");
    assert_eq!(
        md_line("mailto:x@y.z xmpp:f@b.c"),
        "mailto:x@\u{2060}y.z xmpp:f@\u{2060}b.c"
    );
    assert_eq!(md_line("@bob at @ noon, a@ b"), "@bob at @ noon, a@ b");
}

#[test]
fn bare_web_urls_become_links_and_other_schemes_do_not() {
    assert_eq!(
        md_line("slides: https://example.com/a_b?x=1&y=2, and (http://e.x/p)."),
        "slides: <https://example.com/a_b?x=1&y=2>, and (<http://e.x/p>)."
    );
    assert_eq!(
        md_line("https://en.wikipedia.org/wiki/Foo_(bar)"),
        "<https://en.wikipedia.org/wiki/Foo_(bar)>"
    );
    assert_eq!(md_line("javascript:alert(1)"), "javascript:alert(1)");
    assert_eq!(md_line("xhttps://e.x"), "xhttps\\://e.x");
    assert_eq!(md_line("https:// nothing"), "https\\:// nothing");
    // Found by fuzzing: a `!` before an inline link makes an image.
    assert_eq!(
        md_line("!https://e.x/?a&copy;=2"),
        "\\![https\\://e.x/?a&amp;copy;=2](https://e.x/?a&amp;copy;=2)"
    );
    assert_eq!(
        md_line("\\!https://e.x/?a&copy;=2"),
        "\\\\\\![https\\://e.x/?a&amp;copy;=2](https://e.x/?a&amp;copy;=2)"
    );
    // An entity-like `&…;` is read differently by comrak and pulldown-cmark inside `<…>`.
    assert_eq!(
        md_line("https://e.x/?a=1&copy;=2"),
        "[https\\://e.x/?a=1&amp;copy;=2](https://e.x/?a=1&amp;copy;=2)"
    );
}

#[test]
fn block_starts_are_escaped_only_at_the_start_of_a_line() {
    assert_eq!(md_line("- a - b"), "\\- a - b");
    assert_eq!(md_line("+ a"), "\\+ a");
    assert_eq!(md_line("* a"), "\\* a");
    assert_eq!(md_line("==="), "\\===");
    assert_eq!(md_line("---"), "\\---");
    assert_eq!(md_line("-v flag"), "-v flag");
    assert_eq!(md_line("12. a 3. b"), "12\\. a 3. b");
    assert_eq!(md_line("1) a"), "1\\) a");
    assert_eq!(md_line("2019. A year"), "2019\\. A year");
    assert_eq!(md_line("7.700 people"), "7.700 people");
    assert_eq!(md_line("# a"), "\\# a");
    assert_eq!(md_line("#1 priority"), "#1 priority");
    assert_eq!(md_line("> quote"), "\\> quote");
    assert_eq!(md_line(": def"), "\\: def");
    assert_eq!(md_line(":9 a"), "\\:9 a");
    assert_eq!(md_line("a\u{2028}*\u{2028}b"), "a\u{2028}\\*\u{2028}b");
    assert_eq!(md_line("   - indented"), "\\- indented");
}

#[test]
fn text_flows_in_paragraphs_with_soft_breaks() {
    assert_eq!(
        md_text("\n\n  a\n  - b\n\n\n\n    c\t\n\n"),
        "a\n\\- b\n\nc"
    );
    assert_eq!(md_text("ends with \\\nnext"), "ends with \\\\\nnext");
    assert_eq!(md_text("x\n===\ny"), "x\n\\===\ny");
    assert_eq!(md_text(" \n\t\n"), "");
}
