//! Portuguese, as written in Brazil (also used for pt-PT and other regions, whose numbers, plurals
//! and dates still follow their own CLDR data).

use super::messages::{Messages, Plural};

pub const MESSAGES: Messages = Messages {
    conference: "Conferência",
    place: "Onde",
    when: "Quando",
    attendees: "Participantes",
    author: "Autoria",
    language: "Idioma",
    reviewed: "Revisado",

    from_date: "a partir de {date}",
    until_date: "até {date}",
    // CLDR pt: "d 'de' MMM – d 'de' MMM 'de' y" and "d – d 'de' MMM 'de' y", thin spaces.
    date_range: "{start}\u{2009}–\u{2009}{end}",
    day_range: "{start}\u{2009}–\u{2009}{end}",

    review_not_required: "sim (nenhuma aprovação necessária)",
    review_approved: Plural {
        one: "sim ({n} aprovação)",
        other: "sim ({n} aprovações)",
    },
    review_pending: Plural {
        one: "ainda não ({approvals} de {n} aprovação necessária)",
        other: "ainda não ({approvals} de {n} aprovações necessárias)",
    },

    abstract_heading: "Em resumo",
    highlights_heading: "Destaques",
    themes_heading: "Temas",
    projects_heading: "Projetos mencionados",
    body_heading: "O relatório",
    talks_heading: Plural {
        one: "Palestra recomendada ({n})",
        other: "Palestras recomendadas ({n})",
    },
    talks_heading_partial: Plural {
        one: "Palestras recomendadas ({shown} de {n} exibidas)",
        other: "Palestras recomendadas ({shown} de {n} exibidas)",
    },

    note_label: "Observação",
    note_body_left_out: "O texto do relatório foi omitido para manter este resumo dentro do limite de {kib} KiB.",
    note_talks_left_out: Plural {
        one: "Este resumo omite {left} de {n} palestra recomendada para ficar dentro do limite de {kib} KiB.",
        other: "Este resumo omite {left} das {n} palestras recomendadas para ficar dentro do limite de {kib} KiB.",
    },
    note_both_left_out: Plural {
        one: "O texto do relatório e {left} de {n} palestra recomendada foram omitidos para manter este resumo dentro do limite de {kib} KiB.",
        other: "O texto do relatório e {left} das {n} palestras recomendadas foram omitidos para manter este resumo dentro do limite de {kib} KiB.",
    },

    talk_reviewed: "revisada",
    talk_not_reviewed: "ainda não revisada",
    rating: "{rating} de 5",
    speakers: Plural {
        one: "Palestrante",
        other: "Palestrantes",
    },
    track: "Trilha",
    recommended_by: "Recomendada por",
    video: "Vídeo",
    slides: "Apresentação",
};
