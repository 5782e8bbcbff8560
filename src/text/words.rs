//! Terms of a sentence in the body's language: Unicode words, lowercased, minus numbers,
//! one-letter words and the language's NLTK stopwords, Snowball-stemmed.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Primary subtags with a Snowball stemmer in rust-stemmers. Greek is left out on purpose:
/// its 1.2.0 port panics on some words ("αντιθετεισα": byte index out of bounds), and the
/// body is untrusted input. Greek still gets its stopwords.
const STEMMERS: &[(&str, Algorithm)] = &[
    ("ar", Algorithm::Arabic),
    ("da", Algorithm::Danish),
    ("de", Algorithm::German),
    ("en", Algorithm::English),
    ("es", Algorithm::Spanish),
    ("fi", Algorithm::Finnish),
    ("fr", Algorithm::French),
    ("hu", Algorithm::Hungarian),
    ("it", Algorithm::Italian),
    ("nb", Algorithm::Norwegian),
    ("nl", Algorithm::Dutch),
    ("nn", Algorithm::Norwegian),
    ("no", Algorithm::Norwegian),
    ("pt", Algorithm::Portuguese),
    ("ro", Algorithm::Romanian),
    ("ru", Algorithm::Russian),
    ("sv", Algorithm::Swedish),
    ("ta", Algorithm::Tamil),
    ("tr", Algorithm::Turkish),
];

/// NLTK stopword lists, by their code in `stop-words`. Fixed here rather than asking
/// `stop_words::lookup` anything: were the crate's "iso" feature switched on by another
/// dependency, lookup would also answer with ISO lists, which hold content words.
const NLTK: [&str; 30] = [
    "ar", "az", "be", "bn", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "he", "hu", "id",
    "it", "kk", "ne", "nl", "no", "pt", "ro", "ru", "sl", "sq", "sv", "ta", "tg", "tr",
];

/// Stopword sets, built on first use per language.
static STOP_SETS: [OnceLock<HashSet<&'static str>>; NLTK.len()] =
    [const { OnceLock::new() }; NLTK.len()];

/// Longer tokens (hashes, run-together identifiers) are kept as they are, not stemmed.
const MAX_STEM_LEN: usize = 40;

/// The language-specific part of term extraction, chosen once per body.
pub struct Analyzer {
    code: String,
    stemmer: Option<Stemmer>,
    stops: Option<&'static HashSet<&'static str>>,
    /// The stem of each word met so far: a body repeats its words, and Snowball was a quarter of
    /// the abstract's time, most of it on words it had stemmed before.
    stems: HashMap<String, String>,
}

impl Analyzer {
    /// From a BCP 47 tag: its primary subtag (case-insensitive, before '-' or '_') picks the
    /// stemmer and stopwords; an unknown or malformed tag gets neither.
    pub fn new(tag: &str) -> Self {
        let code = primary_subtag(tag);
        let stemmer = STEMMERS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, alg)| Stemmer::create(*alg));
        let nltk_code = if code == "nb" || code == "nn" {
            "no"
        } else {
            code.as_str()
        };
        let stops = NLTK.iter().position(|c| *c == nltk_code).map(|i| {
            STOP_SETS[i].get_or_init(|| {
                let words = stop_words::lookup(NLTK[i]).unwrap_or_default();
                words
                    .iter()
                    .map(|w| w.trim())
                    .filter(|w| !w.is_empty())
                    .collect()
            })
        });
        Analyzer {
            code,
            stemmer,
            stops,
            stems: HashMap::new(),
        }
    }

    /// The lowercase primary subtag ("" for a malformed tag).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The terms of `text`, in text order, repeats kept.
    pub fn terms(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for token in tokens(text) {
            match token {
                Token::Cjk(run) => cjk_bigrams(&run, &mut out),
                Token::Word(word) => {
                    let lower = word.to_lowercase();
                    if lower.chars().nth(1).is_none() || lower.chars().all(char::is_numeric) {
                        continue;
                    }
                    if self.stops.is_some_and(|s| s.contains(lower.as_str())) {
                        continue;
                    }
                    match &self.stemmer {
                        Some(st) if lower.len() <= MAX_STEM_LEN => {
                            let stem = self
                                .stems
                                .entry(lower)
                                .or_insert_with_key(|word| st.stem(word).into_owned());
                            out.push(stem.clone());
                        }
                        _ => out.push(lower),
                    }
                }
            }
        }
        out
    }
}

/// Words as a reader counts them: whitespace-separated tokens with a letter or digit, a run
/// of Han/kana counting one word per two characters (no spaces there to count by).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .map(|token| {
            let cjk = token.chars().filter(|c| is_cjk(*c)).count();
            if cjk > 0 {
                cjk.div_ceil(2)
            } else {
                usize::from(token.chars().any(char::is_alphanumeric))
            }
        })
        .sum()
}

/// Lowercase ASCII primary subtag, or "" when it is not 2 to 8 ASCII letters.
pub fn primary_subtag(tag: &str) -> String {
    let first = tag.trim().split(['-', '_']).next().unwrap_or_default();
    let valid = (2..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic());
    if valid {
        first.to_ascii_lowercase()
    } else {
        String::new()
    }
}

/// Words in the body's own order and script.
enum Token<'a> {
    Word(&'a str),
    /// A run of Han/kana characters: no spaces between words there.
    Cjk(String),
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut cjk = String::new();
    for (i, c) in text.char_indices() {
        let is_cjk = is_cjk(c);
        let in_word = c.is_alphanumeric() && !is_cjk;
        if !in_word && let Some(start) = word_start.take() {
            out.push(Token::Word(&text[start..i]));
        }
        if !is_cjk && !cjk.is_empty() {
            out.push(Token::Cjk(std::mem::take(&mut cjk)));
        }
        if is_cjk {
            cjk.push(c);
        } else if in_word && word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(start) = word_start {
        out.push(Token::Word(&text[start..]));
    }
    if !cjk.is_empty() {
        out.push(Token::Cjk(cjk));
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F)
}

/// Character bigrams stand in for words in scripts without spaces (a lone character is kept).
fn cjk_bigrams(run: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() == 1 {
        out.push(run.to_string());
    }
    for pair in chars.windows(2) {
        out.push(pair.iter().collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(tag: &str, text: &str) -> Vec<String> {
        Analyzer::new(tag).terms(text)
    }

    #[test]
    fn english_stems_and_stopwords() {
        assert_eq!(
            terms("en", "Running runs, and the runner's 2019 K8s talks!"),
            vec!["run", "run", "runner", "k8s", "talk"]
        );
    }

    #[test]
    fn portuguese_stems_and_stopwords() {
        assert_eq!(
            terms("pt-BR", "As conferências e a conferência de Barcelona"),
            vec!["conferent", "conferent", "barcelon"]
        );
    }

    #[test]
    fn german_stems_and_stopwords() {
        assert_eq!(
            terms("DE-at", "Die Konferenzen und der Konferenz in Berlin"),
            vec!["konferenz", "konferenz", "berlin"]
        );
    }

    #[test]
    fn unknown_language_only_lowercases() {
        assert_eq!(
            terms("x-klingon!", "The Running 42 a B"),
            vec!["the", "running"]
        );
        assert_eq!(terms("", "Systems"), vec!["systems"]);
        assert_eq!(primary_subtag(" pt_BR "), "pt");
        assert_eq!(primary_subtag("1234"), "");
    }

    #[test]
    fn counts_words() {
        assert_eq!(word_count("Hello, K8s world - 42 !"), 4);
        assert_eq!(word_count("東京で会議。 ok"), 4);
    }

    #[test]
    fn japanese_bigrams() {
        assert_eq!(
            terms("ja", "東京で会議。K8sの話"),
            vec!["東京", "京で", "で会", "会議", "k8s", "の話"]
        );
    }

    #[test]
    fn greek_has_stopwords_but_no_stemmer() {
        assert_eq!(terms("el", "και αντιθετεισα"), vec!["αντιθετεισα"]);
    }

    #[test]
    fn stemmers_survive_odd_tokens() {
        let odd = "ÿ ŉ ǅ İstanbul ß ﬁ αντιθετ ισα 𝔘 a1b2 ééé' ’ ̈u ѐ ŋ";
        for (code, _) in STEMMERS {
            let _ = terms(code, odd);
        }
    }
}
