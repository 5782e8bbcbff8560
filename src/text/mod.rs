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

/// At most `budget` characters of `paragraphs`: all of them if they fit, else each one's
/// opening, its share of the budget cut back to a whole word.
fn sample(paragraphs: &[String], budget: usize) -> Vec<&str> {
    let total: usize = paragraphs.iter().map(|p| p.chars().count()).sum();
    if total <= budget {
        return paragraphs.iter().map(String::as_str).collect();
    }
    paragraphs
        .iter()
        .filter_map(|p| {
            let share = p.chars().count() * budget / total;
            let end = p.char_indices().nth(share).map_or(p.len(), |(at, _)| at);
            let opening = &p[..end];
            let whole = match p[end..].chars().next() {
                Some(next) if !next.is_whitespace() => opening.rsplit_once(char::is_whitespace)?.0,
                _ => opening,
            };
            Some(whole.trim_end()).filter(|w| !w.is_empty())
        })
        .collect()
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
}
