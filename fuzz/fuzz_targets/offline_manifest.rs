//! The offline checker (`tripreport-operator validate` and `render`) over any bytes as a
//! manifest file: the reader splits and parses it, validation applies the CRDs' schema, CEL
//! rules and the operator's checks, and renders the valid reports. None of it may panic, every
//! finding must point into the file, and every summary must keep the documented invariants.
//! Seeds: tests/corpus/offline/ and samples/ (fuzz/run.sh passes them).

#![no_main]

#[path = "../../tests/properties/invariants.rs"]
mod invariants;
#[path = "../../tests/properties/rendered_html.rs"]
mod rendered_html;

use libfuzzer_sys::fuzz_target;
use tripreport_operator::offline;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (documents, findings) = offline::read_str("fuzz.yaml", &text);
    let report = offline::validate(&documents, findings);
    assert_eq!(report.documents, documents.len());
    // The YAML parser (libyaml) breaks lines at LF, CR, CRLF, NEL, U+2028 and U+2029, and an
    // error at the end of the stream is on the line after the last.
    let breaks = text
        .replace("\r\n", "\n")
        .matches(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
        .count();
    let lines = breaks + 1;
    for finding in &report.findings {
        assert!(
            (1..=lines + 1).contains(&finding.line),
            "a finding beyond the file's {lines} lines: {finding}"
        );
    }
    for (_, _, rendered) in &report.summaries {
        if let Err(problem) = invariants::check(rendered) {
            panic!("{problem}");
        }
    }
});
