//! A summary as HTML: summary.md through pulldown-cmark, then ammonia. The operator already
//! escapes user text in summary.md; sanitizing again means the page does not depend on that:
//! whatever a ConfigMap holds, no script, no event handler, no image, no link but http(s).

use std::collections::HashSet;

use pulldown_cmark::{Options, Parser};

/// summary.md as safe HTML for a page.
pub fn summary_html(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH),
    );
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https"]))
        // Links leave for other sites: no referrer, no opener, no endorsement.
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(ammonia::UrlRelative::Deny)
        .rm_tags(["img"])
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::summary_html;

    #[test]
    fn markup_the_operator_writes_survives() {
        let html = summary_html(
            "# Title\n\n## Highlights\n\n- **Bold** and [a talk](https://example.com/v)\n\n> quote\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<h2>Highlights</h2>"), "{html}");
        assert!(html.contains("<strong>Bold</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.com/v" rel="noopener noreferrer nofollow">a talk</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<blockquote>"), "{html}");
    }

    #[test]
    fn escaped_user_text_stays_text() {
        let html = summary_html("It said &lt;script>alert(1)&lt;/script> and \\[x\\]\n");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn raw_html_in_a_config_map_is_removed_whoever_wrote_it() {
        // Not what the operator writes; what a hand-edited ConfigMap could hold.
        let md = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n\
                  <a href=\"javascript:alert(1)\" onclick=\"x()\">j</a> [d](data:text/html,x) \
                  [r](/relative) <p style=\"color:red\" onmouseover=\"x()\">p</p>\n";
        let html = summary_html(md);
        for bad in [
            "<script",
            "alert(1)</",
            "<img",
            "onerror",
            "onclick",
            "javascript:",
            "data:",
            "style=",
            "onmouseover",
            "/relative\"",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }
}
