//! Spanish, neutral.

use super::messages::{Messages, Plural};

pub const MESSAGES: Messages = Messages {
    conference: "Conferencia",
    place: "Lugar",
    when: "Fecha",
    attendees: "Asistentes",
    author: "Autoría",
    language: "Idioma",
    reviewed: "Revisado",

    from_date: "desde el {date}",
    until_date: "hasta el {date}",
    // CLDR es: "d MMM – d MMM y" (thin spaces) and "d–d MMM y".
    date_range: "{start}\u{2009}–\u{2009}{end}",
    day_range: "{start}–{end}",

    review_not_required: "sí (no se requieren aprobaciones)",
    review_approved: Plural {
        one: "sí ({n} aprobación)",
        other: "sí ({n} aprobaciones)",
    },
    review_pending: Plural {
        one: "todavía no ({approvals} de {n} aprobación requerida)",
        other: "todavía no ({approvals} de {n} aprobaciones requeridas)",
    },

    abstract_heading: "En resumen",
    highlights_heading: "Lo más destacado",
    themes_heading: "Temas",
    projects_heading: "Proyectos mencionados",
    body_heading: "El informe",
    talks_heading: Plural {
        one: "Charla recomendada ({n})",
        other: "Charlas recomendadas ({n})",
    },
    talks_heading_partial: Plural {
        one: "Charlas recomendadas ({shown} de {n} mostradas)",
        other: "Charlas recomendadas ({shown} de {n} mostradas)",
    },

    note_label: "Nota",
    note_body_left_out: "El texto del informe se omite para que este resumen no supere su límite de {kib} KiB.",
    note_talks_left_out: Plural {
        one: "Este resumen omite {left} de {n} charla recomendada para no superar su límite de {kib} KiB.",
        other: "Este resumen omite {left} de las {n} charlas recomendadas para no superar su límite de {kib} KiB.",
    },
    note_both_left_out: Plural {
        one: "El texto del informe y {left} de {n} charla recomendada se omiten para que este resumen no supere su límite de {kib} KiB.",
        other: "El texto del informe y {left} de las {n} charlas recomendadas se omiten para que este resumen no supere su límite de {kib} KiB.",
    },

    talk_reviewed: "revisada",
    talk_not_reviewed: "aún sin revisar",
    rating: "{rating} de 5",
    speakers: Plural {
        one: "Ponente",
        other: "Ponentes",
    },
    track: "Eje temático",
    recommended_by: "Recomendada por",
    video: "Video",
    slides: "Diapositivas",
};
