//! Sentences of the body's prose, segmented with Wikimedia's `sentencex` (per-language
//! abbreviation lists, so "Dr. Smith", "e.g. Argo", "am 20. Mai" and "7.700" stay whole).

use super::prose;

/// One prose sentence: `text` is verbatim (whitespace collapsed), `rank_text` is what the
/// ranking reads (URLs masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub text: String,
    pub rank_text: String,
}

/// The first `limit` prose sentences of `body`, in body order, without those that are mostly
/// links or have no letter. `code` is a lowercase primary language subtag; sentencex falls
/// back to its English rules for codes it does not know.
pub fn prose_sentences(body: &str, code: &str, limit: usize) -> Vec<Sentence> {
    let mut out = Vec::new();
    for paragraph in prose::paragraphs(body) {
        for piece in segment(&paragraph, code) {
            if out.len() == limit {
                return out;
            }
            if prose::mostly_non_prose(piece) {
                continue;
            }
            out.push(Sentence {
                text: piece.to_string(),
                rank_text: prose::mask_urls(piece).into_owned(),
            });
        }
    }
    out
}

/// Sentences of one paragraph (already whitespace-collapsed, so no line breaks), trimmed,
/// empty pieces dropped.
pub fn segment<'a>(paragraph: &'a str, code: &str) -> Vec<&'a str> {
    sentencex::segment(code, paragraph)
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_title_abbreviation() {
        assert_eq!(
            segment("We met Dr. Smith at the booth. He works on storage.", "en"),
            vec!["We met Dr. Smith at the booth.", "He works on storage."]
        );
    }

    #[test]
    fn english_eg() {
        assert_eq!(
            segment(
                "Some tools, e.g. Argo and Flux, were everywhere. Others were not.",
                "en"
            ),
            vec![
                "Some tools, e.g. Argo and Flux, were everywhere.",
                "Others were not."
            ]
        );
    }

    #[test]
    fn german_date() {
        assert_eq!(
            segment(
                "Die Konferenz begann am 20. Mai in Barcelona. Es war voll.",
                "de"
            ),
            vec![
                "Die Konferenz begann am 20. Mai in Barcelona.",
                "Es war voll."
            ]
        );
    }

    #[test]
    fn portuguese_thousands() {
        assert_eq!(
            segment("Barcelona teve 7.700 participantes. Foi enorme.", "pt"),
            vec!["Barcelona teve 7.700 participantes.", "Foi enorme."]
        );
    }

    #[test]
    fn prose_sentences_skip_links_and_mask_urls() {
        let body = "First see https://example.com/slides.pdf for slides. Then lunch.\n\n\
                    https://example.com/only/a/link/here\n\n- a list item. With two sentences.";
        let got = prose_sentences(body, "en", 10);
        let texts: Vec<&str> = got.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "First see https://example.com/slides.pdf for slides.",
                "Then lunch."
            ]
        );
        assert_eq!(got[0].rank_text, "First see   for slides.");
        assert_eq!(prose_sentences(body, "en", 1).len(), 1);
    }
}
