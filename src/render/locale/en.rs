//! English: the fallback for every language without a table.

use super::messages::{Messages, Plural};

pub const MESSAGES: Messages = Messages {
    conference: "Conference",
    place: "Where",
    when: "When",
    attendees: "Attendees",
    author: "Author",
    language: "Language",
    reviewed: "Reviewed",

    from_date: "from {date}",
    until_date: "until {date}",
    // CLDR en: "MMM d – MMM d, y" and "MMM d – d, y", thin spaces around the dash.
    date_range: "{start}\u{2009}–\u{2009}{end}",
    day_range: "{start}\u{2009}–\u{2009}{end}",

    review_not_required: "yes (no approvals required)",
    review_approved: Plural {
        one: "yes ({n} approval)",
        other: "yes ({n} approvals)",
    },
    review_pending: Plural {
        one: "not yet ({approvals} of {n} required approval)",
        other: "not yet ({approvals} of {n} required approvals)",
    },

    abstract_heading: "In short",
    highlights_heading: "Highlights",
    themes_heading: "Themes",
    projects_heading: "Projects mentioned",
    body_heading: "The report",
    talks_heading: Plural {
        one: "Recommended talk ({n})",
        other: "Recommended talks ({n})",
    },
    talks_heading_partial: Plural {
        one: "Recommended talks ({shown} of {n} shown)",
        other: "Recommended talks ({shown} of {n} shown)",
    },

    note_label: "Note",
    note_body_left_out: "The report's text is left out to keep this summary within its limit of {kib} KiB.",
    // The summary is the subject, so the verb does not depend on whether {left} is 1.
    note_talks_left_out: Plural {
        one: "This summary leaves out {left} of {n} recommended talk to stay within its limit of {kib} KiB.",
        other: "This summary leaves out {left} of {n} recommended talks to stay within its limit of {kib} KiB.",
    },
    note_both_left_out: Plural {
        one: "The report's text and {left} of {n} recommended talk are left out to keep this summary within its limit of {kib} KiB.",
        other: "The report's text and {left} of {n} recommended talks are left out to keep this summary within its limit of {kib} KiB.",
    },

    talk_reviewed: "reviewed",
    talk_not_reviewed: "not reviewed yet",
    rating: "{rating} of 5",
    speakers: Plural {
        one: "Speaker",
        other: "Speakers",
    },
    track: "Track",
    recommended_by: "Recommended by",
    video: "Video",
    slides: "Slides",
};
