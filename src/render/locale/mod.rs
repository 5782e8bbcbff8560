//! The summary in the report's language: its words from one table per language (en, pt, fr, es,
//! de), its numbers, plural forms, month names and date patterns from CLDR through ICU4X's
//! compiled data.
//!
//! Date ranges are composed from ICU4X's stable single-date pieces (long date, month and day,
//! day) with each language's CLDR `intervalFormats` separators from its table (dates.rs):
//! ICU4X's range formatter is still behind its `unstable` feature (icu4x#8358), whose API and
//! output may change in any release, and this way month names and word order still come from ICU.

mod dates;
mod de;
mod en;
mod es;
mod fr;
mod messages;
mod pt;
#[cfg(test)]
mod tests;

use fixed_decimal::Decimal;
use icu_decimal::DecimalFormatter;
use icu_locale::LanguageIdentifier;
use icu_locale::subtags::Variants;
use icu_plurals::{PluralCategory, PluralRules};

use dates::{Dates, Day};
pub use messages::{Messages, Plural};

/// The locale a summary is written in.
pub struct Locale {
    /// "pt-BR", "de-AT", "en"
    tag: String,
    messages: &'static Messages,
    /// None only if ICU's compiled data failed even for English: plain formatting then.
    icu: Option<Icu>,
}

/// ICU4X's formatters for one locale.
struct Icu {
    decimal: DecimalFormatter,
    plurals: PluralRules,
    dates: Dates,
}

impl Icu {
    fn new(id: &LanguageIdentifier) -> Option<Icu> {
        Some(Icu {
            decimal: DecimalFormatter::try_new(id.into(), Default::default()).ok()?,
            plurals: PluralRules::try_new_cardinal(id.into()).ok()?,
            dates: Dates::new(id)?,
        })
    }
}

/// The table of a primary language, if it has one.
fn messages_for(language: &str) -> Option<&'static Messages> {
    match language {
        "en" => Some(&en::MESSAGES),
        "pt" => Some(&pt::MESSAGES),
        "fr" => Some(&fr::MESSAGES),
        "es" => Some(&es::MESSAGES),
        "de" => Some(&de::MESSAGES),
        _ => None,
    }
}

impl Locale {
    /// The locale for a report's `spec.language`, a BCP 47 tag ("pt-BR", "en", "de-AT", "ja", or
    /// garbage). The messages fall back from the regional tag to its language (pt-BR and pt-PT
    /// read Portuguese); a language without messages, or a tag that does not parse ("", "x",
    /// "pt_BR"), is plain "en" as a whole, so that words, numbers and dates never disagree.
    /// The region is kept for ICU (pt-PT numbers and plurals, en-GB dates); script, variants and
    /// extensions are dropped, as the words do not follow them (a `-u-nu-` would change digits).
    /// Never panics.
    pub fn for_language(tag: &str) -> Locale {
        let chosen = icu_locale::Locale::try_from_str(tag)
            .ok()
            .and_then(|parsed| {
                let messages = messages_for(parsed.id.language.as_str())?;
                let id = LanguageIdentifier {
                    language: parsed.id.language,
                    script: None,
                    region: parsed.id.region,
                    variants: Variants::new(),
                };
                Some((id, messages))
            });
        if let Some((id, messages)) = chosen
            && let Some(icu) = Icu::new(&id)
        {
            return Locale {
                tag: id.to_string(),
                messages,
                icu: Some(icu),
            };
        }
        let english = icu_locale::langid!("en");
        Locale {
            tag: english.to_string(),
            messages: &en::MESSAGES,
            icu: Icu::new(&english),
        }
    }

    /// The BCP 47 tag actually used, for summary.json's `locale`: "pt-BR", "pt", "en", "de-AT".
    pub fn tag(&self) -> &str {
        &self.tag
    }

    pub fn messages(&self) -> &'static Messages {
        self.messages
    }

    /// An integer as the locale's readers write it: "7,700", "7.700", "7\u{202F}700", es "7700".
    pub fn number(&self, n: i64) -> String {
        match &self.icu {
            Some(icu) => icu.decimal.format(&Decimal::from(n)).to_string(),
            None => n.to_string(),
        }
    }

    /// The form of `forms` for count `n` by the locale's CLDR cardinal rule, filled: `{n}` with
    /// `number(n)`, then each `{name}` of `args`. Categories other than `one` (`many` in fr, es,
    /// pt for large round numbers) take `other`.
    pub fn count(&self, n: i64, forms: &Plural, args: &[(&str, &str)]) -> String {
        let one = match &self.icu {
            Some(icu) => icu.plurals.category_for(n) == PluralCategory::One,
            None => n.unsigned_abs() == 1,
        };
        let form = if one { forms.one } else { forms.other };
        let number = self.number(n);
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(("n", number.as_str()));
        all.extend_from_slice(args);
        fill_pattern(form, &all)
    }

    /// Fills the `{name}` placeholders of a non-plural pattern.
    pub fn fill(&self, pattern: &str, args: &[(&str, &str)]) -> String {
        fill_pattern(pattern, args)
    }

    /// An ISO date "2019-05-20" as the locale's long date: "May 20, 2019", "20 de maio de 2019",
    /// "20. Mai 2019". None when `iso` is not a real day in exactly that form.
    pub fn date(&self, iso: &str) -> Option<String> {
        let day = Day::parse(iso)?;
        Some(match &self.icu {
            Some(icu) => icu.dates.full(&day),
            None => iso.to_owned(),
        })
    }

    /// The conference dates: a range (one date when both are equal), "from …" with only a start,
    /// "until …" with only an end, None with neither (an empty or blank text counts as none).
    /// A date that does not parse is shown as written, never dropped (the caller escapes it).
    /// A range shares what both dates share, as CLDR does: "May 20 – 23, 2019" (thin spaces),
    /// "20.–23. Mai 2019", "30 mai – 2 juin 2019"; across years it is two full dates.
    pub fn dates(&self, start: Option<&str>, end: Option<&str>) -> Option<String> {
        let start = start.filter(|text| !text.trim().is_empty());
        let end = end.filter(|text| !text.trim().is_empty());
        let messages = self.messages;
        Some(match (start, end) {
            (Some(start), Some(end)) => match (&self.icu, Day::parse(start), Day::parse(end)) {
                (Some(icu), Some(first), Some(last)) => icu.dates.range(&first, &last, messages),
                _ if start == end => self.date_or_text(start),
                _ => {
                    let (start, end) = (self.date_or_text(start), self.date_or_text(end));
                    fill_pattern(messages.date_range, &[("start", &start), ("end", &end)])
                }
            },
            (Some(start), None) => {
                fill_pattern(messages.from_date, &[("date", &self.date_or_text(start))])
            }
            (None, Some(end)) => {
                fill_pattern(messages.until_date, &[("date", &self.date_or_text(end))])
            }
            (None, None) => return None,
        })
    }

    fn date_or_text(&self, text: &str) -> String {
        self.date(text).unwrap_or_else(|| text.to_owned())
    }
}

/// Replaces each `{name}` in `pattern` with its value in `args` (the first pair of that name).
/// One pass: a value is never scanned again, so user text holding "{n}" stays as written; an
/// unknown or unclosed placeholder is kept as written.
fn fill_pattern(pattern: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = args.iter().find(|(key, _)| *key == name)?;
            Some((*value, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
