//! Reading a report's text: pure functions, no I/O. The abstract (prose, sentences, words,
//! rank, abstracts), the projects a text names (projects, from data/projects.yaml) and the
//! language a body is written in (language).

pub mod abstracts;
pub mod language;
pub mod projects;
pub mod prose;
pub mod rank;
pub mod sentences;
pub mod words;

pub use abstracts::abstract_of;

/// The most prose the language check reads. whatlang's cost grows with the text and its answer
/// does not change past a few hundred letters (`language`'s limits were measured on 2 to 16
/// words); on a 10 KB report the whole prose took 0.4 ms, a third of the rendering.
pub const DETECTION_SAMPLE_CHARS: usize = 2_000;

/// The prose of `body` as the language check reads it: its prose paragraphs (no lists, code,
/// headings or tables), with URLs masked; project names are masked by `language::detect`.
/// Past [`DETECTION_SAMPLE_CHARS`], the opening of every paragraph in proportion to its length,
/// so that a body written half in one language and half in another is read as such.
pub fn prose_for_detection(body: &str) -> String {
    let paragraphs: Vec<String> = prose::paragraphs(body)
        .iter()
        .map(|p| prose::mask_urls(p).into_owned())
        .collect();
    sample(&paragraphs, DETECTION_SAMPLE_CHARS).join("\n\n")
}

/// Below this many characters, a paragraph's opening says little about its language: a body of
/// many short paragraphs is read from every few of them, whole, rather than a few words of each.
const MIN_SHARE: usize = 200;

/// At most `budget` characters of `paragraphs` (the blank lines between them aside): all of them
/// if they fit; else one paragraph in `stride`, spread over the body, and of those each one's
/// opening, its share of the budget, cut back to a whole word where words are spaced.
fn sample(paragraphs: &[String], budget: usize) -> Vec<&str> {
    let total: usize = paragraphs.iter().map(|p| p.chars().count()).sum();
    if total <= budget {
        return paragraphs.iter().map(String::as_str).collect();
    }
    let stride = (paragraphs.len() * MIN_SHARE).div_ceil(budget).max(1);
    let chosen: Vec<&String> = paragraphs.iter().step_by(stride).collect();
    let letters: usize = chosen.iter().map(|p| p.chars().count()).sum();
    chosen
        .into_iter()
        .filter_map(|p| {
            let share = if letters <= budget {
                usize::MAX
            } else {
                p.chars().count() * budget / letters
            };
            opening(p, share)
        })
        .collect()
}

/// The first `share` characters of `paragraph`, back to the last whole word where it has a space
/// to cut at (Japanese and Chinese have none: there the cut is between two characters). None if
/// nothing is left.
fn opening(paragraph: &str, share: usize) -> Option<&str> {
    let end = paragraph
        .char_indices()
        .nth(share)
        .map_or(paragraph.len(), |(at, _)| at);
    let opening = &paragraph[..end];
    let whole = match paragraph[end..].chars().next() {
        Some(next) if !next.is_whitespace() => opening
            .rsplit_once(char::is_whitespace)
            .map_or(opening, |(words, _)| words),
        _ => opening,
    };
    Some(whole.trim_end()).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_sampled_from_every_paragraph() {
        let paragraphs: Vec<String> = ["alpha", "beta", "gamma", "delta"]
            .iter()
            .map(|w| {
                format!("{w} ")
                    .repeat(1_000 / (w.len() + 1))
                    .trim_end()
                    .to_string()
            })
            .collect();
        let body = paragraphs.join("\n\n");
        let read = prose_for_detection(&body);
        assert!(
            read.chars().count() <= DETECTION_SAMPLE_CHARS,
            "{}",
            read.len()
        );
        assert!(
            read.chars().count() >= DETECTION_SAMPLE_CHARS - 40,
            "{}",
            read.len()
        );
        for (p, w) in read.split("\n\n").zip(["alpha", "beta", "gamma", "delta"]) {
            assert!(p.split(' ').all(|word| word == w), "{p}");
        }
        let short = "Uma frase curta.\n\nOutra frase, também curta.";
        assert_eq!(prose_for_detection(short), short);
    }

    #[test]
    fn a_long_body_without_spaces_is_sampled_too() {
        let sentence = "今年のカンファレンスではオペレーターが大きな話題でした。";
        let paragraph = sentence.repeat(1_000 / sentence.chars().count() + 1);
        let body = [paragraph.as_str(); 3].join("\n\n");
        let read = prose_for_detection(&body);
        let length = read.replace("\n\n", "").chars().count();
        assert!(length <= DETECTION_SAMPLE_CHARS, "{length}");
        assert_eq!(read.split("\n\n").count(), 3, "every paragraph: {read}");
        assert_eq!(language::detect(&read).map(|d| d.tag), Some("ja"));
    }

    #[test]
    fn a_body_of_many_short_paragraphs_is_read_from_whole_ones_across_it() {
        let paragraphs: Vec<String> = (0..1_000)
            .map(|i| format!("Paragraph {i} says the venue was large and the coffee ran out."))
            .collect();
        let read = prose_for_detection(&paragraphs.join("\n\n"));
        let pieces: Vec<&str> = read.split("\n\n").collect();
        let length = read.replace("\n\n", "").chars().count();
        assert!(length <= DETECTION_SAMPLE_CHARS, "{length}");
        assert!(pieces.len() >= 5, "{pieces:?}");
        assert!(
            pieces.iter().all(|p| paragraphs.iter().any(|q| q == p)),
            "{pieces:?}"
        );
        assert!(
            pieces.iter().any(|p| p.starts_with("Paragraph 9")),
            "spread: {pieces:?}"
        );
        assert_eq!(language::detect(&read).map(|d| d.tag), Some("en"));
    }
}
