//! The whole summary put together, both files, and fitted to the budget.

use std::cell::OnceCell;
use std::iter;

use super::json;
use super::locale::Locale;
use super::markdown;
use super::model::{Report, Truncation};
use super::reading::Reading;
use super::{BUDGET_BYTES, Talk};

/// Everything rendered once, ready to be put together for any number of included talks.
pub(super) struct Summary {
    total: usize,
    report: Report,
    /// Markdown: the title and facts.
    head: String,
    /// Markdown: the abstract, highlights, themes and projects, in that order.
    sections: Vec<String>,
    /// Markdown: the report's text.
    body: Option<String>,
    report_json: String,
    /// The report's JSON without the body, made only when it is needed.
    bare_report_json: OnceCell<String>,
    /// JSON: `locale`, then after the report `abstract`, `projects`, `detectedLanguage`.
    locale_json: String,
    reading_json: String,
    reading: Reading,
    locale: Locale,
    talks: Vec<Talk>,
}

impl Summary {
    pub(super) fn new(
        report: Report,
        reading: Reading,
        locale: Locale,
        talks: Vec<Talk>,
        total: usize,
    ) -> Self {
        let sections = [
            markdown::abstract_(&reading.abstract_, &locale),
            markdown::highlights(&report, &locale),
            markdown::themes(&report, &locale),
            markdown::projects(&reading.projects, &locale),
        ];
        Summary {
            total,
            head: markdown::head(&report, &locale),
            sections: sections.into_iter().flatten().collect(),
            body: markdown::body(&report, &locale),
            report_json: json::pretty(&report, 1),
            bare_report_json: OnceCell::new(),
            locale_json: json::pretty(&locale.tag(), 1),
            reading_json: json::reading(&reading),
            reading,
            report,
            locale,
            talks,
        }
    }

    pub(super) fn locale(&self) -> &Locale {
        &self.locale
    }

    pub(super) fn reading(&self) -> &Reading {
        &self.reading
    }

    fn report_json(&self, body_omitted: bool) -> &str {
        if !body_omitted {
            return &self.report_json;
        }
        self.bare_report_json.get_or_init(|| {
            let bare = Report {
                body: None,
                ..self.report.clone()
            };
            json::pretty(&bare, 1)
        })
    }

    /// Writes both files, with the first `included` talks, into `md` and `json` (cleared first).
    pub(super) fn write(
        &self,
        included: usize,
        body_omitted: bool,
        md: &mut String,
        json: &mut String,
    ) {
        let talks = &self.talks[..included];
        let note = markdown::note(self.total, included, body_omitted, &self.locale);
        let heading = markdown::talks_heading(self.total, included, &self.locale);
        let body = if body_omitted {
            None
        } else {
            self.body.as_deref()
        };
        let blocks = iter::once(self.head.as_str())
            .chain(note.as_deref())
            .chain(self.sections.iter().map(String::as_str))
            .chain(heading.as_deref())
            .chain(talks.iter().map(|t| t.markdown.as_str()))
            .chain(body);
        md.clear();
        for (i, block) in blocks.enumerate() {
            if i > 0 {
                md.push('\n');
            }
            md.push_str(block);
        }
        let truncation = Truncation {
            total: self.total,
            included,
            body_omitted,
            budget_bytes: BUDGET_BYTES,
        };
        json::write_document(
            json,
            json::Pieces {
                locale: &self.locale_json,
                report: self.report_json(body_omitted),
                reading: &self.reading_json,
            },
            talks.iter().map(|t| t.json.as_str()),
            &truncation,
        );
    }

    pub(super) fn size(
        &self,
        included: usize,
        body_omitted: bool,
        scratch: &mut (String, String),
    ) -> usize {
        self.write(included, body_omitted, &mut scratch.0, &mut scratch.1);
        scratch.0.len() + scratch.1.len()
    }

    /// How many talks to include, and whether the body must go: everything if it fits, else the
    /// longest prefix of talks that fits with the body, else without it.
    pub(super) fn choose(&self) -> (usize, bool) {
        let scratch = &mut (String::new(), String::new());
        if self.talks.len() == self.total && self.size(self.total, false, scratch) <= BUDGET_BYTES {
            return (self.total, false);
        }
        // From here the note is always there (something is left out).
        let with_body = self.talks.len().min(self.total.saturating_sub(1));
        if let Some(included) = self.largest_fitting(with_body, false, scratch) {
            return (included, false);
        }
        // Only a body beyond the API's bound can get here: every other field is cut to its bound,
        // and all of them at their bounds fit with room to spare.
        (
            self.largest_fitting(self.talks.len(), true, scratch)
                .unwrap_or(0),
            true,
        )
    }

    /// The largest number of talks up to `max` that fits, by binary search: with the note
    /// present, each further talk adds its block and element (dozens of bytes at least) and
    /// changes the counts by a digit at most, so the size grows with the number included.
    fn largest_fitting(
        &self,
        max: usize,
        body_omitted: bool,
        scratch: &mut (String, String),
    ) -> Option<usize> {
        if self.size(0, body_omitted, scratch) > BUDGET_BYTES {
            return None;
        }
        let (mut fits, mut too_many) = (0, max + 1);
        while too_many - fits > 1 {
            let mid = fits + (too_many - fits) / 2;
            if self.size(mid, body_omitted, scratch) <= BUDGET_BYTES {
                fits = mid;
            } else {
                too_many = mid;
            }
        }
        Some(fits)
    }
}
