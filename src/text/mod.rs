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

/// The prose of `body` as the language check reads it: its prose paragraphs (no lists, code,
/// headings or tables), with URLs masked; project names are masked by `language::detect`.
pub fn prose_for_detection(body: &str) -> String {
    prose::paragraphs(body)
        .iter()
        .map(|p| prose::mask_urls(p).into_owned())
        .collect::<Vec<_>>()
        .join("\n\n")
}
