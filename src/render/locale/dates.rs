//! Dates and date ranges from ICU4X's stable single-date formatter.
//!
//! A range is composed the way CLDR's `intervalFormats` for a long year-month-day read: the
//! fields the two dates share are written once. The pieces (the long date, its month and day, its
//! day) all come from ICU, so month names, word order and punctuation are the locale's; only the
//! separator between the two halves comes from the message table (`day_range`, `date_range`).

use icu_calendar::{Date, Gregorian};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{D, MD, YMD};
use icu_locale::LanguageIdentifier;

use super::fill_pattern;
use super::messages::Messages;

/// A valid calendar day, read from an ISO "YYYY-MM-DD".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Day {
    /// (year, month, day): ordered as the days are.
    ymd: (i32, u8, u8),
    date: Date<Gregorian>,
}

impl Day {
    /// Exactly "YYYY-MM-DD" naming a real day ("2019-02-30" and "2019-5-1" are not).
    pub(super) fn parse(iso: &str) -> Option<Day> {
        let bytes = iso.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            let part = bytes.get(range)?;
            part.iter().all(u8::is_ascii_digit).then_some(part)
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |part: &[u8]| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        let year = i32::try_from(number(digits(0..4)?)).ok()?;
        let month = u8::try_from(number(digits(5..7)?)).ok()?;
        let day = u8::try_from(number(digits(8..10)?)).ok()?;
        let date = Date::try_new_gregorian(year, month, day).ok()?;
        Some(Day {
            ymd: (year, month, day),
            date,
        })
    }
}

/// The locale's date formatters: Gregorian, as ISO dates are.
pub(super) struct Dates {
    /// "May 20, 2019", "20. Mai 2019"
    full: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    /// "May 20", "20. Mai"
    month_day: FixedCalendarDateTimeFormatter<Gregorian, MD>,
    /// "20"
    day: FixedCalendarDateTimeFormatter<Gregorian, D>,
}

impl Dates {
    pub(super) fn new(id: &LanguageIdentifier) -> Option<Dates> {
        Some(Dates {
            full: FixedCalendarDateTimeFormatter::try_new(id.into(), YMD::long()).ok()?,
            month_day: FixedCalendarDateTimeFormatter::try_new(id.into(), MD::long()).ok()?,
            day: FixedCalendarDateTimeFormatter::try_new(id.into(), D::long()).ok()?,
        })
    }

    pub(super) fn full(&self, day: &Day) -> String {
        self.full.format(&day.date).to_string()
    }

    /// Two valid days as a range, as CLDR's greatest-difference patterns write it.
    pub(super) fn range(&self, start: &Day, end: &Day, messages: &Messages) -> String {
        if start == end {
            return self.full(start);
        }
        let two_dates = || {
            let (start, end) = (self.full(start), self.full(end));
            fill_pattern(messages.date_range, &[("start", &start), ("end", &end)])
        };
        let ((start_year, start_month, _), (end_year, end_month, _)) = (start.ymd, end.ymd);
        // A reversed range is shown as given, nothing shared, so that it does not read as valid.
        if start.ymd > end.ymd || start_year != end_year {
            return two_dates();
        }

        // The shared year is written once, after the second half, when the locale's long date
        // ends with it: "May 20 – June 2, 2019", "20 de maio – 2 de junho de 2019".
        let end_month_day = self.month_day.format(&end.date);
        let end_month_day_text = end_month_day.to_string();
        let end_full = self.full(end);
        let Some(year) = end_full.strip_prefix(&end_month_day_text) else {
            return two_dates();
        };
        let start_month_day = self.month_day.format(&start.date).to_string();
        let halves = if start_month != end_month {
            fill_pattern(
                messages.date_range,
                &[("start", &start_month_day), ("end", &end_month_day_text)],
            )
        } else if day_first(&end_month_day.pattern().to_string()) {
            // The shared month follows the days: "20.–23. Mai", "20–23 de mayo".
            let start_day = self.day.format(&start.date).to_string();
            fill_pattern(
                messages.day_range,
                &[("start", &start_day), ("end", &end_month_day_text)],
            )
        } else {
            // The shared month leads: "May 20 – 23".
            let end_day = self.day.format(&end.date).to_string();
            fill_pattern(
                messages.day_range,
                &[("start", &start_month_day), ("end", &end_day)],
            )
        };
        halves + year
    }
}

/// Whether a CLDR date pattern ("d. MMMM", "MMMM d", "d 'de' MMMM") writes the day before any
/// other field. Quoted text is literal.
fn day_first(pattern: &str) -> bool {
    let mut quoted = false;
    for c in pattern.chars() {
        match c {
            '\'' => quoted = !quoted,
            c if !quoted && c.is_ascii_alphabetic() => return c == 'd',
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::Locale;
    use super::*;

    #[test]
    fn parses_only_real_iso_days() {
        let day = Day::parse("2020-02-29").map(|d| d.ymd);
        assert_eq!(day, Some((2020, 2, 29)));
        for text in [
            "2019-02-29",
            "2019-02-30",
            "2019-13-01",
            "2019-00-10",
            "2019-05-00",
            "2019-5-1",
            "2019-05-1",
            "",
            "2019-05-20T10:00",
            "20190520",
            "2019/05/20",
            "+019-05-20",
            "2019-05-2x",
            "２０１９-05-20",
        ] {
            assert_eq!(Day::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn finds_the_leading_field_of_a_pattern() {
        assert!(day_first("d. MMMM"));
        assert!(day_first("d 'de' MMMM"));
        assert!(!day_first("MMMM d"));
        // Letters inside quotes are text, not fields.
        assert!(!day_first("'day' MMMM d"));
        assert!(day_first("'month' d MMMM"));
    }

    /// (start, end) of each case in `dates_read_as_each_language_writes_them`.
    const DATE_CASES: [(&str, Option<&str>, Option<&str>); 9] = [
        ("single date", Some("2019-05-20"), Some("2019-05-20")),
        ("same month", Some("2019-05-20"), Some("2019-05-23")),
        ("across months", Some("2019-05-30"), Some("2019-06-02")),
        ("across years", Some("2019-12-30"), Some("2020-01-02")),
        ("only start", Some("2019-05-20"), None),
        ("only end", None, Some("2019-05-23")),
        ("invalid start", Some("2019-02-30"), Some("2019-05-23")),
        ("invalid only", Some("next spring"), Some("")),
        ("reversed", Some("2019-05-23"), Some("2019-05-20")),
    ];

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let expected: [(&str, [&str; 9]); 7] = [
            (
                "en",
                [
                    "May 20, 2019",
                    "May 20\u{2009}–\u{2009}23, 2019",
                    "May 30\u{2009}–\u{2009}June 2, 2019",
                    "December 30, 2019\u{2009}–\u{2009}January 2, 2020",
                    "from May 20, 2019",
                    "until May 23, 2019",
                    "2019-02-30\u{2009}–\u{2009}May 23, 2019",
                    "from next spring",
                    "May 23, 2019\u{2009}–\u{2009}May 20, 2019",
                ],
            ),
            (
                "en-GB",
                [
                    "20 May 2019",
                    "20\u{2009}–\u{2009}23 May 2019",
                    "30 May\u{2009}–\u{2009}2 June 2019",
                    "30 December 2019\u{2009}–\u{2009}2 January 2020",
                    "from 20 May 2019",
                    "until 23 May 2019",
                    "2019-02-30\u{2009}–\u{2009}23 May 2019",
                    "from next spring",
                    "23 May 2019\u{2009}–\u{2009}20 May 2019",
                ],
            ),
            (
                "pt-BR",
                [
                    "20 de maio de 2019",
                    "20\u{2009}–\u{2009}23 de maio de 2019",
                    "30 de maio\u{2009}–\u{2009}2 de junho de 2019",
                    "30 de dezembro de 2019\u{2009}–\u{2009}2 de janeiro de 2020",
                    "a partir de 20 de maio de 2019",
                    "até 23 de maio de 2019",
                    "2019-02-30\u{2009}–\u{2009}23 de maio de 2019",
                    "a partir de next spring",
                    "23 de maio de 2019\u{2009}–\u{2009}20 de maio de 2019",
                ],
            ),
            (
                "fr",
                [
                    "20 mai 2019",
                    "20–23 mai 2019",
                    "30 mai\u{2009}–\u{2009}2 juin 2019",
                    "30 décembre 2019\u{2009}–\u{2009}2 janvier 2020",
                    "à partir du 20 mai 2019",
                    "jusqu’au 23 mai 2019",
                    "2019-02-30\u{2009}–\u{2009}23 mai 2019",
                    "à partir du next spring",
                    "23 mai 2019\u{2009}–\u{2009}20 mai 2019",
                ],
            ),
            (
                "es",
                [
                    "20 de mayo de 2019",
                    "20–23 de mayo de 2019",
                    "30 de mayo\u{2009}–\u{2009}2 de junio de 2019",
                    "30 de diciembre de 2019\u{2009}–\u{2009}2 de enero de 2020",
                    "desde el 20 de mayo de 2019",
                    "hasta el 23 de mayo de 2019",
                    "2019-02-30\u{2009}–\u{2009}23 de mayo de 2019",
                    "desde el next spring",
                    "23 de mayo de 2019\u{2009}–\u{2009}20 de mayo de 2019",
                ],
            ),
            (
                "de",
                [
                    "20. Mai 2019",
                    "20.–23. Mai 2019",
                    "30. Mai\u{2009}–\u{2009}2. Juni 2019",
                    "30. Dezember 2019\u{2009}–\u{2009}2. Januar 2020",
                    "ab 20. Mai 2019",
                    "bis 23. Mai 2019",
                    "2019-02-30\u{2009}–\u{2009}23. Mai 2019",
                    "ab next spring",
                    "23. Mai 2019\u{2009}–\u{2009}20. Mai 2019",
                ],
            ),
            // Austrian month names come from ICU's data: "Jänner".
            (
                "de-AT",
                [
                    "20. Mai 2019",
                    "20.–23. Mai 2019",
                    "30. Mai\u{2009}–\u{2009}2. Juni 2019",
                    "30. Dezember 2019\u{2009}–\u{2009}2. Jänner 2020",
                    "ab 20. Mai 2019",
                    "bis 23. Mai 2019",
                    "2019-02-30\u{2009}–\u{2009}23. Mai 2019",
                    "ab next spring",
                    "23. Mai 2019\u{2009}–\u{2009}20. Mai 2019",
                ],
            ),
        ];
        for (tag, outputs) in expected {
            let locale = Locale::for_language(tag);
            for ((case, start, end), expected) in DATE_CASES.iter().zip(outputs) {
                let got = locale.dates(*start, *end);
                eprintln!("{tag:6} {case:14} {start:?} {end:?} -> {got:?}");
                assert_eq!(got.as_deref(), Some(expected), "{tag} {case}");
            }
        }
    }

    #[test]
    fn dates_without_a_date_or_with_an_invalid_one() {
        let en = Locale::for_language("en");
        assert_eq!(en.dates(None, None), None);
        assert_eq!(en.dates(Some(" "), Some("")), None);
        assert_eq!(
            en.dates(Some("soon"), Some("soon")).as_deref(),
            Some("soon")
        );
        assert_eq!(en.date("2019-05-20").as_deref(), Some("May 20, 2019"));
        assert_eq!(
            Locale::for_language("de").date("2019-05-20").as_deref(),
            Some("20. Mai 2019")
        );
        for invalid in ["2019-02-30", "", "2019-5-1", "20 May 2019"] {
            assert_eq!(en.date(invalid), None, "{invalid:?}");
        }
    }
}
