//! The body's extractive abstract: its most central prose sentences, verbatim, in body order.

use super::rank;
use super::sentences::{self, Sentence};
use super::words::{self, Analyzer};

/// Fewer prose sentences than this: no abstract.
pub const MIN_SENTENCES: usize = 5;
/// Sentences beyond this many are not read: bounds the O(n²) graph on huge bodies.
pub const MAX_SENTENCES: usize = 600;
/// Candidates must have this many words (after URL masking)...
pub const MIN_WORDS: usize = 4;
/// ...and at most this many: run-on sentences make poor abstract lines.
pub const MAX_WORDS: usize = 60;

/// How many sentences the abstract has, for `n` prose sentences: 3, 4 from 15 sentences
/// (about 2 KB of prose), 5 from 25.
pub fn abstract_len(n: usize) -> usize {
    match n {
        0..MIN_SENTENCES => 0,
        MIN_SENTENCES..15 => 3,
        15..25 => 4,
        _ => 5,
    }
}

/// The extractive abstract of `body` in the language of BCP 47 tag `language`: empty when the
/// body has fewer than 5 prose sentences, else 3 to 5 of its most central sentences (TextRank)
/// in body order, each verbatim with whitespace runs collapsed to one space. Deterministic.
pub fn abstract_of(body: &str, language: &str) -> Vec<String> {
    let mut analyzer = Analyzer::new(language);
    let all = sentences::prose_sentences(body, analyzer.code(), MAX_SENTENCES);
    let k = abstract_len(all.len());
    if k == 0 {
        return Vec::new();
    }

    let sets: Vec<Vec<u32>> = all
        .iter()
        .map(|s| rank::set_of(analyzer.term_ids(&s.rank_text)))
        .collect();
    let scores = rank::scores(&sets);
    let order = rank::by_score(&scores);
    let eligible: Vec<bool> = all.iter().map(is_candidate).collect();
    rank::pick(&order, &scores, &sets, &eligible, k)
        .into_iter()
        .filter_map(|i| all.get(i).map(|s| s.text.clone()))
        .collect()
}

/// Fit to stand alone in an abstract: a sensible length, and not a lead-in to a list or code
/// block that was stripped (ends with ':').
fn is_candidate(sentence: &Sentence) -> bool {
    let words = words::word_count(&sentence.rank_text);
    (MIN_WORDS..=MAX_WORDS).contains(&words) && !sentence.text.ends_with(':')
}

#[cfg(test)]
mod tests {
    use super::super::prose::collapse_ws;
    use super::*;

    const BODY: &str = "\
Kubernetes operators were the main topic of the conference this year. Many talks
explained how operators manage stateful workloads on Kubernetes.

The hallway track was busy, and coffee ran out twice on the first day. We spoke with
maintainers about operators, controllers and reconciliation loops.

- a list item about operators and Kubernetes that must never be quoted

Writing a good operator means handling Kubernetes events idempotently. The venue was
large and the food was fine. Short one. Barcelona was sunny all week.
";

    #[test]
    fn picks_central_sentences_in_body_order() {
        assert_eq!(
            abstract_of(BODY, "en"),
            vec![
                "Kubernetes operators were the main topic of the conference this year.",
                "Many talks explained how operators manage stateful workloads on Kubernetes.",
                "Writing a good operator means handling Kubernetes events idempotently.",
            ]
        );
    }

    #[test]
    fn too_little_prose_gives_nothing() {
        let body = "One sentence here.\nTwo sentences here.\n\nThree. Four is here.\n\n- five\n";
        assert!(abstract_of(body, "en").is_empty());
        assert!(abstract_of("", "en").is_empty());
    }

    #[test]
    fn deterministic_and_body_ordered_when_paragraphs_shuffle() {
        let first = abstract_of(BODY, "en");
        assert_eq!(first, abstract_of(BODY, "en"));
        let paragraphs: Vec<&str> = BODY.split("\n\n").collect();
        let shuffled = [3, 0, 2, 1].map(|i| paragraphs[i]).join("\n\n");
        let again = abstract_of(&shuffled, "en");
        let mut expected = first.clone();
        let flat = collapse_ws(&shuffled);
        expected.sort_by_key(|s| flat.find(s.as_str()));
        assert_eq!(again, expected);
    }

    #[test]
    fn sentences_are_verbatim_modulo_whitespace() {
        let body = collapse_ws(BODY);
        for tag in ["en-US", "EN", "zz-garbage", ""] {
            let got = abstract_of(BODY, tag);
            assert_eq!(got.len(), 3, "{tag}");
            for s in got {
                assert!(body.contains(&s), "{s}");
            }
        }
    }

    #[test]
    fn japanese_without_spaces() {
        let body = "今年のカンファレンスではオペレーターが大きな話題でした。\
                    多くの講演がオペレーターによるステートフルな処理を説明しました。\
                    会場はとても広くて、移動に時間がかかりました。\
                    オペレーターの開発者と直接話すことができました。\
                    バルセロナは一週間ずっと晴れていました。";
        assert_eq!(
            abstract_of(body, "ja"),
            vec![
                "今年のカンファレンスではオペレーターが大きな話題でした。",
                "多くの講演がオペレーターによるステートフルな処理を説明しました。",
                "オペレーターの開発者と直接話すことができました。",
            ]
        );
    }

    #[test]
    fn length_rule() {
        assert_eq!(
            [4, 5, 14, 15, 24, 25, 300].map(abstract_len),
            [0, 3, 3, 4, 4, 5, 5]
        );
    }
}
