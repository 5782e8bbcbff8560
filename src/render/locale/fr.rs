//! French.

use super::messages::{Messages, Plural};

pub const MESSAGES: Messages = Messages {
    conference: "Conférence",
    place: "Lieu",
    when: "Date",
    attendees: "Participants",
    author: "Auteur",
    language: "Langue",
    reviewed: "Relu",

    from_date: "à partir du {date}",
    until_date: "jusqu’au {date}",
    // CLDR fr: "d MMM – d MMM y" (thin spaces) and "d–d MMM y".
    date_range: "{start}\u{2009}–\u{2009}{end}",
    day_range: "{start}–{end}",

    review_not_required: "oui (aucune approbation requise)",
    review_approved: Plural {
        one: "oui ({n} approbation)",
        other: "oui ({n} approbations)",
    },
    review_pending: Plural {
        one: "pas encore ({approvals} sur {n} approbation requise)",
        other: "pas encore ({approvals} sur {n} approbations requises)",
    },

    abstract_heading: "En bref",
    highlights_heading: "Points forts",
    themes_heading: "Thèmes",
    projects_heading: "Projets mentionnés",
    body_heading: "Le compte rendu",
    talks_heading: Plural {
        one: "Présentation recommandée ({n})",
        other: "Présentations recommandées ({n})",
    },
    talks_heading_partial: Plural {
        one: "Présentations recommandées ({shown} sur {n} affichées)",
        other: "Présentations recommandées ({shown} sur {n} affichées)",
    },

    note_label: "Remarque",
    // Kio: the French symbol of the kibioctet.
    note_body_left_out: "Le texte du compte rendu est omis pour que ce résumé respecte sa limite de {kib} Kio.",
    note_talks_left_out: Plural {
        one: "Ce résumé omet {left} présentation recommandée sur {n} pour respecter sa limite de {kib} Kio.",
        other: "Ce résumé omet {left} des {n} présentations recommandées pour respecter sa limite de {kib} Kio.",
    },
    note_both_left_out: Plural {
        one: "Le texte du compte rendu et {left} présentation recommandée sur {n} sont omis pour que ce résumé respecte sa limite de {kib} Kio.",
        other: "Le texte du compte rendu et {left} des {n} présentations recommandées sont omis pour que ce résumé respecte sa limite de {kib} Kio.",
    },

    talk_reviewed: "relue",
    talk_not_reviewed: "pas encore relue",
    rating: "{rating} sur 5",
    speakers: Plural {
        one: "Intervenant",
        other: "Intervenants",
    },
    track: "Parcours",
    recommended_by: "Recommandée par",
    video: "Vidéo",
    slides: "Diapositives",
};
