//! The shape of a language's table: every word the summary adds.
//!
//! Placeholders are `{name}`, filled by `Locale::fill` and `Locale::count` (`{n}` is the count).

/// A message whose form depends on a count.
///
/// Only CLDR's `one` and `other`: the languages here need no more (their `many`, for large round
/// numbers in fr, es and pt, reads fine with the `other` form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plural {
    pub one: &'static str,
    pub other: &'static str,
}

/// Every word the summary adds, for one language (`MESSAGES` in en.rs, pt.rs, fr.rs, es.rs,
/// de.rs). The English text is given with each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Messages {
    /// "Conference"
    pub conference: &'static str,
    /// "Where"
    pub place: &'static str,
    /// "When"
    pub when: &'static str,
    /// "Attendees"
    pub attendees: &'static str,
    /// "Author"
    pub author: &'static str,
    /// "Language"
    pub language: &'static str,
    /// "Reviewed"
    pub reviewed: &'static str,

    /// "from {date}": the conference has only a start date.
    pub from_date: &'static str,
    /// "until {date}": the conference has only an end date.
    pub until_date: &'static str,
    /// "{start} – {end}" (thin spaces): CLDR's interval separator when the month or the year differ.
    pub date_range: &'static str,
    /// "{start} – {end}" (thin spaces): CLDR's separator of a range of days within one month
    /// (German writes "{start}.–{end}": "20.–23. Mai 2019").
    pub day_range: &'static str,

    /// "yes (no approvals required)"
    pub review_not_required: &'static str,
    /// "yes ({n} approval)" / "yes ({n} approvals)"
    pub review_approved: Plural,
    /// Keyed on the required count `{n}`: "not yet ({approvals} of {n} required approvals)"
    pub review_pending: Plural,

    /// "In short"
    pub abstract_heading: &'static str,
    /// "Highlights"
    pub highlights_heading: &'static str,
    /// "Themes"
    pub themes_heading: &'static str,
    /// "Projects mentioned"
    pub projects_heading: &'static str,
    /// "The report": the full text, at the end.
    pub body_heading: &'static str,
    /// "Recommended talk ({n})" / "Recommended talks ({n})"
    pub talks_heading: Plural,
    /// Keyed on the total `{n}`: "Recommended talks ({shown} of {n} shown)"
    pub talks_heading_partial: Plural,

    /// "Note"
    pub note_label: &'static str,
    /// "The report's text is left out to keep this summary within its limit of {kib} KiB."
    pub note_body_left_out: &'static str,
    /// Keyed on the total `{n}`; `{left}` may be 1.
    pub note_talks_left_out: Plural,
    /// Keyed on the total `{n}`; `{left}` may be 1.
    pub note_both_left_out: Plural,

    /// "reviewed"
    pub talk_reviewed: &'static str,
    /// "not reviewed yet"
    pub talk_not_reviewed: &'static str,
    /// "{rating} of 5": the text after the stars, "★★★★☆ (4 of 5)".
    pub rating: &'static str,
    /// "Speaker" / "Speakers"
    pub speakers: Plural,
    /// "Track"
    pub track: &'static str,
    /// "Recommended by"
    pub recommended_by: &'static str,
    /// "Video"
    pub video: &'static str,
    /// "Slides"
    pub slides: &'static str,
}

impl Messages {
    /// Every text of a table, named. The destructuring has no `..`: a new field does not compile
    /// until it is listed here, and so checked in every language.
    pub fn texts(&self) -> Vec<(&'static str, &'static str)> {
        let Messages {
            conference,
            place,
            when,
            attendees,
            author,
            language,
            reviewed,
            from_date,
            until_date,
            date_range,
            day_range,
            review_not_required,
            review_approved,
            review_pending,
            abstract_heading,
            highlights_heading,
            themes_heading,
            projects_heading,
            body_heading,
            talks_heading,
            talks_heading_partial,
            note_label,
            note_body_left_out,
            note_talks_left_out,
            note_both_left_out,
            talk_reviewed,
            talk_not_reviewed,
            rating,
            speakers,
            track,
            recommended_by,
            video,
            slides,
        } = *self;
        let plural =
            |name: &'static str, Plural { one, other }: Plural| [(name, one), (name, other)];
        let mut texts = vec![
            ("conference", conference),
            ("place", place),
            ("when", when),
            ("attendees", attendees),
            ("author", author),
            ("language", language),
            ("reviewed", reviewed),
            ("from_date", from_date),
            ("until_date", until_date),
            ("date_range", date_range),
            ("day_range", day_range),
            ("review_not_required", review_not_required),
            ("abstract_heading", abstract_heading),
            ("highlights_heading", highlights_heading),
            ("themes_heading", themes_heading),
            ("projects_heading", projects_heading),
            ("body_heading", body_heading),
            ("note_label", note_label),
            ("note_body_left_out", note_body_left_out),
            ("talk_reviewed", talk_reviewed),
            ("talk_not_reviewed", talk_not_reviewed),
            ("rating", rating),
            ("track", track),
            ("recommended_by", recommended_by),
            ("video", video),
            ("slides", slides),
        ];
        texts.extend(plural("review_approved", review_approved));
        texts.extend(plural("review_pending", review_pending));
        texts.extend(plural("talks_heading", talks_heading));
        texts.extend(plural("talks_heading_partial", talks_heading_partial));
        texts.extend(plural("note_talks_left_out", note_talks_left_out));
        texts.extend(plural("note_both_left_out", note_both_left_out));
        texts.extend(plural("speakers", speakers));
        texts
    }
}
