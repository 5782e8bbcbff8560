//! The pages: an index of the reports grouped by conference, a page per report with its summary
//! as sanitized HTML, and a page per conference with the talks merged across its reports. The
//! same HTML is served live (`kubectl tripreport serve`) and written as static files
//! (`render --html`), so every link is relative and every page ends in `.html`.

pub mod pages;
pub mod sanitize;
pub mod site;

/// Embedded, so that the binary serves and writes its pages with no files beside it.
pub const STYLE: &str = include_str!("style.css");

/// What the pages allow themselves: styles from the same origin, nothing else (no script at
/// all). Sent as a header when served and as a `<meta>` in every page for static hosting.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'";

/// The policy as a header, with what only a header can say: no framing.
pub const CONTENT_SECURITY_POLICY_HEADER: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Where a report's page is, relative to the site's root.
pub fn report_path(namespace: &str, name: &str) -> String {
    format!("reports/{namespace}/{name}.html")
}

/// Where a conference's page is, relative to the site's root.
pub fn conference_path(slug: &str) -> String {
    format!("conferences/{slug}.html")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_is_the_meta_policy_and_no_framing() {
        assert_eq!(
            super::CONTENT_SECURITY_POLICY_HEADER,
            format!("{}; frame-ancestors 'none'", super::CONTENT_SECURITY_POLICY)
        );
        assert!(
            !super::CONTENT_SECURITY_POLICY.contains("script"),
            "no script source at all"
        );
    }
}
