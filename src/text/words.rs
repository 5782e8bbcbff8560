//! Terms of a sentence in the body's language: Unicode words, lowercased, minus numbers,
//! one-letter words and the language's NLTK stopwords, Snowball-stemmed.

use foldhash::{HashMap, HashSet};
use rust_stemmers::{Algorithm, Stemmer};
use std::cell::RefCell;
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

/// Stems kept per thread across bodies: reports share most of their vocabulary, and Snowball on
/// a word not yet seen was two thirds of the terms' time on a real 10 KB report. Bounded: a
/// language's table is emptied when it reaches this many words (about 1 MiB).
const STEM_CACHE_WORDS: usize = 16_384;

thread_local! {
    /// Per stemmer (its index in STEMMERS), each lowercase word's stem. A stem depends only on
    /// these, so the cache cannot change a result.
    static STEMS: RefCell<Vec<HashMap<Box<str>, Box<str>>>> =
        RefCell::new((0..STEMMERS.len()).map(|_| HashMap::default()).collect());
}

/// The language-specific part of term extraction, chosen once per body. Terms are numbered as
/// they are first met (ids), so a sentence's terms are a list of integers.
pub struct Analyzer {
    code: String,
    /// The stemmer and its index in STEMMERS.
    stemmer: Option<(usize, Stemmer)>,
    stops: Option<&'static HashSet<&'static str>>,
    /// Each token met so far, as written, and its term's id (None: not a term). A body repeats
    /// its words: a repeat costs one lookup, no lowercasing and no allocation.
    seen: HashMap<String, Option<u32>>,
    /// Each term's id.
    ids: HashMap<String, u32>,
}

impl Analyzer {
    /// From a BCP 47 tag: its primary subtag (case-insensitive, before '-' or '_') picks the
    /// stemmer and stopwords; an unknown or malformed tag gets neither.
    pub fn new(tag: &str) -> Self {
        let code = primary_subtag(tag);
        let stemmer = STEMMERS
            .iter()
            .position(|(c, _)| *c == code)
            .map(|i| (i, Stemmer::create(STEMMERS[i].1)));
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
            seen: HashMap::default(),
            ids: HashMap::default(),
        }
    }

    /// The lowercase primary subtag ("" for a malformed tag).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The terms of `text`, in text order, repeats kept: [`Self::term_ids`] as strings, for
    /// the tests to read.
    #[cfg(test)]
    pub fn terms(&mut self, text: &str) -> Vec<String> {
        let ids = self.term_ids(text);
        let mut terms = vec![String::new(); self.ids.len()];
        for (term, &id) in &self.ids {
            terms[id as usize] = term.clone();
        }
        ids.iter().map(|&id| terms[id as usize].clone()).collect()
    }

    /// The ids of the terms of `text`, in text order, repeats kept. The same term has the same
    /// id throughout one Analyzer; ids count up from 0 in the order terms are first met.
    pub fn term_ids(&mut self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for token in tokens(text) {
            match token {
                Token::Cjk(run) => {
                    let mut bigrams = Vec::new();
                    cjk_bigrams(&run, &mut bigrams);
                    for bigram in bigrams {
                        out.push(self.id(&bigram));
                    }
                }
                Token::Word(word) => {
                    let id = match self.seen.get(word) {
                        Some(id) => *id,
                        None => {
                            let id = self.term_id(word);
                            self.seen.insert(word.to_string(), id);
                            id
                        }
                    };
                    out.extend(id);
                }
            }
        }
        out
    }

    /// The id of the term a word stands for (lowercased, stemmed); None for a number, a
    /// one-letter word or a stopword.
    fn term_id(&mut self, word: &str) -> Option<u32> {
        let lower = word.to_lowercase();
        if lower.chars().nth(1).is_none() || lower.chars().all(char::is_numeric) {
            return None;
        }
        if self.stops.is_some_and(|s| s.contains(lower.as_str())) {
            return None;
        }
        let Self { stemmer, ids, .. } = self;
        match stemmer {
            Some((which, stemmer)) if lower.len() <= MAX_STEM_LEN => {
                Some(with_stem(*which, stemmer, &lower, |stem| id(ids, stem)))
            }
            _ => Some(id(ids, &lower)),
        }
    }

    fn id(&mut self, term: &str) -> u32 {
        id(&mut self.ids, term)
    }
}

/// `term`'s id in `ids`, a new one if it is not there yet.
fn id(ids: &mut HashMap<String, u32>, term: &str) -> u32 {
    if let Some(id) = ids.get(term) {
        return *id;
    }
    let id = ids.len() as u32;
    ids.insert(term.to_string(), id);
    id
}

/// `then` applied to `word`'s stem by `stemmer` (STEMMERS' `which`), taken from this thread's
/// cache where it is there.
fn with_stem<R>(which: usize, stemmer: &Stemmer, word: &str, then: impl FnOnce(&str) -> R) -> R {
    STEMS.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return then(&stemmer.stem(word));
        };
        let Some(table) = cache.get_mut(which) else {
            return then(&stemmer.stem(word));
        };
        if let Some(stem) = table.get(word) {
            return then(stem);
        }
        if table.len() >= STEM_CACHE_WORDS {
            table.clear();
        }
        let stem: Box<str> = stemmer.stem(word).into();
        let result = then(&stem);
        table.insert(word.into(), stem);
        result
    })
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
    fn the_stem_cache_is_bounded_and_changes_no_stem() {
        let english = STEMMERS
            .iter()
            .position(|(c, _)| *c == "en")
            .unwrap_or_default();
        let stemmer = Stemmer::create(Algorithm::English);
        for i in 0..STEM_CACHE_WORDS + 10 {
            let word = format!("running{i}s");
            let cached = with_stem(english, &stemmer, &word, str::to_string);
            assert_eq!(cached, stemmer.stem(&word));
        }
        let again = with_stem(english, &stemmer, "running5s", str::to_string);
        assert_eq!(again, stemmer.stem("running5s"));
        let held = STEMS.with(|cache| cache.borrow()[english].len());
        assert!((1..=STEM_CACHE_WORDS).contains(&held), "{held}");
    }

    #[test]
    fn stemmers_survive_odd_tokens() {
        let odd = "ÿ ŉ ǅ İstanbul ß ﬁ αντιθετ ισα 𝔘 a1b2 ééé' ’ ̈u ѐ ŋ";
        for (code, _) in STEMMERS {
            let _ = terms(code, odd);
        }
    }
}
