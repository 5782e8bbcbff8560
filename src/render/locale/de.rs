//! German.

use super::messages::{Messages, Plural};

pub const MESSAGES: Messages = Messages {
    conference: "Konferenz",
    place: "Ort",
    when: "Datum",
    attendees: "Teilnehmende",
    author: "Verfasst von",
    language: "Sprache",
    reviewed: "Geprüft",

    from_date: "ab {date}",
    until_date: "bis {date}",
    // CLDR de: "d. MMM – d. MMM y" (thin spaces) and "d.–d. MMM y": the start day keeps its period.
    date_range: "{start}\u{2009}–\u{2009}{end}",
    day_range: "{start}.–{end}",

    review_not_required: "ja (keine Freigaben erforderlich)",
    review_approved: Plural {
        one: "ja ({n} Freigabe)",
        other: "ja ({n} Freigaben)",
    },
    review_pending: Plural {
        one: "noch nicht ({approvals} von {n} erforderlichen Freigabe)",
        other: "noch nicht ({approvals} von {n} erforderlichen Freigaben)",
    },

    abstract_heading: "Auf einen Blick",
    highlights_heading: "Höhepunkte",
    themes_heading: "Themen",
    projects_heading: "Erwähnte Projekte",
    body_heading: "Der Bericht",
    talks_heading: Plural {
        one: "Empfohlener Vortrag ({n})",
        other: "Empfohlene Vorträge ({n})",
    },
    talks_heading_partial: Plural {
        one: "Empfohlene Vorträge ({shown} von {n} angezeigt)",
        other: "Empfohlene Vorträge ({shown} von {n} angezeigt)",
    },

    note_label: "Hinweis",
    note_body_left_out: "Der Text des Berichts wurde weggelassen, damit diese Zusammenfassung ihre Obergrenze von {kib} KiB einhält.",
    note_talks_left_out: Plural {
        one: "Diese Zusammenfassung lässt {left} von {n} empfohlenen Vortrag weg, um ihre Obergrenze von {kib} KiB einzuhalten.",
        other: "Diese Zusammenfassung lässt {left} von {n} empfohlenen Vorträgen weg, um ihre Obergrenze von {kib} KiB einzuhalten.",
    },
    note_both_left_out: Plural {
        one: "Der Text des Berichts und {left} von {n} empfohlenen Vortrag wurden weggelassen, damit diese Zusammenfassung ihre Obergrenze von {kib} KiB einhält.",
        other: "Der Text des Berichts und {left} von {n} empfohlenen Vorträgen wurden weggelassen, damit diese Zusammenfassung ihre Obergrenze von {kib} KiB einhält.",
    },

    talk_reviewed: "geprüft",
    talk_not_reviewed: "noch nicht geprüft",
    rating: "{rating} von 5",
    // "Vortragende" is one person or several, of any gender.
    speakers: Plural {
        one: "Vortragende",
        other: "Vortragende",
    },
    track: "Themenbereich",
    recommended_by: "Empfohlen von",
    video: "Video",
    slides: "Folien",
};
