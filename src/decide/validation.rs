//! What the API server's schema and CEL rules cannot check: blank text, dates that contradict
//! the year, and defensive re-checks of rules a stale CRD might not enforce. Pure logic.

use std::fmt;

use crate::api::{ConferenceReportSpec, TalkRecommendationSpec};
use crate::render::is_web_url;

/// One problem with a spec, named by its field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All problems as one line, for a condition message.
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

fn not_blank(problems: &mut Vec<Problem>, field: &str, value: &str) {
    if value.trim().is_empty() {
        problems.push(problem(field, "must not be blank"));
    }
}

/// A calendar date as YYYY-MM-DD, returned as (year, month, day).
fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let mut parts = value.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    // Digits only: `parse` alone would take a sign ("2019-+5-20").
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return None;
    }
    let (year, month, day): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

/// Whether `value` is a real calendar date written YYYY-MM-DD (the CRD's `format: date`).
pub fn is_date(value: &str) -> bool {
    parse_date(value).is_some()
}

pub fn validate_report(spec: &ConferenceReportSpec) -> Vec<Problem> {
    let mut problems = Vec::new();
    not_blank(&mut problems, "spec.title", &spec.title);
    not_blank(&mut problems, "spec.conference.name", &spec.conference.name);
    not_blank(&mut problems, "spec.author.name", &spec.author.name);
    let conference = &spec.conference;
    let mut dates = Vec::new();
    for (field, value) in [
        ("startDate", &conference.start_date),
        ("endDate", &conference.end_date),
    ] {
        let Some(value) = value else { continue };
        let path = format!("spec.conference.{field}");
        match parse_date(value) {
            None => problems.push(problem(
                &path,
                format!("{value:?} is not a date (YYYY-MM-DD)"),
            )),
            Some(date) => {
                if date.0 != conference.year {
                    problems.push(problem(
                        &path,
                        format!(
                            "{value} is not in {} (spec.conference.year)",
                            conference.year
                        ),
                    ));
                }
                dates.push(date);
            }
        }
    }
    if let [start, end] = dates[..]
        && end < start
    {
        problems.push(problem(
            "spec.conference.endDate",
            "must not be before startDate",
        ));
    }
    for (i, highlight) in spec.highlights.iter().flatten().enumerate() {
        not_blank(&mut problems, &format!("spec.highlights[{i}]"), highlight);
    }
    for (i, approval) in spec.review.iter().flat_map(|r| &r.approvals).enumerate() {
        not_blank(
            &mut problems,
            &format!("spec.review.approvals[{i}].reviewer"),
            &approval.reviewer,
        );
    }
    problems
}

pub fn validate_recommendation(spec: &TalkRecommendationSpec) -> Vec<Problem> {
    let mut problems = Vec::new();
    not_blank(&mut problems, "spec.talk.title", &spec.talk.title);
    not_blank(&mut problems, "spec.reason", &spec.reason);
    for (i, speaker) in spec.talk.speakers.iter().enumerate() {
        not_blank(&mut problems, &format!("spec.talk.speakers[{i}]"), speaker);
    }
    if let Some(by) = &spec.recommended_by {
        not_blank(&mut problems, "spec.recommendedBy", by);
    }
    if let Some(review) = &spec.review {
        not_blank(&mut problems, "spec.review.reviewer", &review.reviewer);
    }
    for (field, url) in [
        ("videoURL", &spec.talk.video_url),
        ("slidesURL", &spec.talk.slides_url),
    ] {
        if let Some(url) = url
            && !is_web_url(url)
        {
            problems.push(problem(
                format!("spec.talk.{field}"),
                "must be an http or https URL",
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Author, Conference, ReportRef, Talk};

    fn report() -> ConferenceReportSpec {
        ConferenceReportSpec {
            title: "What we saw at KubeCon Barcelona".into(),
            conference: Conference {
                name: "KubeCon + CloudNativeCon Europe".into(),
                year: 2019,
                start_date: Some("2019-05-20".into()),
                end_date: Some("2019-05-23".into()),
                ..Default::default()
            },
            author: Author {
                name: "Jane Doe".into(),
                organization: None,
            },
            language: "en".into(),
            body: None,
            highlights: Some(vec!["Loki".into()]),
            themes: None,
            review: None,
            suspend: None,
        }
    }

    #[test]
    fn a_good_report_has_no_problems() {
        assert_eq!(validate_report(&report()), vec![]);
    }

    #[test]
    fn blank_text_is_named_by_field() {
        let mut spec = report();
        spec.title = "   ".into();
        spec.highlights = Some(vec!["ok".into(), " \t".into()]);
        assert_eq!(
            describe(&validate_report(&spec)),
            "spec.title: must not be blank; spec.highlights[1]: must not be blank"
        );
    }

    #[test]
    fn dates_must_be_real_in_order_and_in_the_conference_year() {
        let mut spec = report();
        spec.conference.start_date = Some("2018-05-02".into());
        spec.conference.end_date = Some("2019-02-30".into());
        assert_eq!(
            describe(&validate_report(&spec)),
            "spec.conference.startDate: 2018-05-02 is not in 2019 (spec.conference.year); \
             spec.conference.endDate: \"2019-02-30\" is not a date (YYYY-MM-DD)"
        );
        spec.conference.start_date = Some("2019-05-23".into());
        spec.conference.end_date = Some("2019-05-20".into());
        assert_eq!(
            describe(&validate_report(&spec)),
            "spec.conference.endDate: must not be before startDate"
        );
        spec.conference.start_date = Some("2020-02-29".into());
        spec.conference.end_date = None;
        spec.conference.year = 2020;
        assert_eq!(validate_report(&spec), vec![], "2020 is a leap year");
    }

    /// Found by the property tests: `str::parse` takes a leading `+`, so these passed as dates
    /// (and the offline checker accepted what the API server rejects).
    #[test]
    fn dates_are_ascii_digits_only() {
        for not_a_date in [
            "2019-+5-20",
            "2019-05-+2",
            "+019-05-20",
            "2019-05- 2",
            "2019-٠٥-20",
        ] {
            assert!(!is_date(not_a_date), "{not_a_date}");
        }
        assert!(is_date("2019-05-20"));
    }

    #[test]
    fn recommendation_urls_must_be_web_links() {
        let spec = TalkRecommendationSpec {
            report_ref: ReportRef { name: "r".into() },
            talk: Talk {
                title: "Loki".into(),
                video_url: Some("javascript:alert(1)".into()),
                slides_url: Some("HTTPS://example.com/slides".into()),
                ..Default::default()
            },
            rating: 5,
            reason: " ".into(),
            recommended_by: None,
            review: None,
        };
        assert_eq!(
            describe(&validate_recommendation(&spec)),
            "spec.reason: must not be blank; spec.talk.videoURL: must be an http or https URL"
        );
        assert!(!is_web_url("http://"));
        assert!(!is_web_url("data:text/html,hi"));
    }
}
