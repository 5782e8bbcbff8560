use super::*;
use crate::reading::model::{Document, Published, State};

fn show(markdown: &str, width: usize, color: bool) -> String {
    render(markdown, &Options { width, color })
}

#[test]
fn escapes_and_entities_are_literal_text() {
    assert_eq!(show("\\[x\\] &lt;script>", 80, false), "[x] <script>\n");
}

#[test]
fn blocks_are_separated_and_links_show_their_url() {
    let markdown = "# Trip\n## Talks\n- **first** [talk](https://example.com/a)\n- second\n\n\
                    > a\n> quote, <https://kubernetes.io>\n";
    let expected = "# Trip\n\n## Talks\n\n• first talk (https://example.com/a)\n• second\n\n\
                    ▐ a quote, https://kubernetes.io\n";
    assert_eq!(show(markdown, 80, false), expected);
}

#[test]
fn escape_sequences_only_with_color() {
    let out = show(
        "# Title\n\n**bold** `code` evil\u{1b}[31m text\n",
        80,
        false,
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
    let out = show("# Title\n\n**bold**\n", 80, true);
    assert!(out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn wraps_to_the_width() {
    let text = "Uma palestra muito interessante sobre operadores, reconciliação e \
                [ligações](https://example.com/um/caminho/bem/comprido/mesmo) longas.\n\n\
                - um item de lista que também é comprido demais para uma linha\n";
    let out = show(text, 30, false);
    assert!(out.lines().count() > 5, "{out}");
    assert!(out.lines().all(|line| line.chars().count() <= 30), "{out}");
    // Too narrow a width is widened rather than failing.
    assert!(
        show(text, 1, false)
            .lines()
            .all(|line| line.chars().count() <= 20)
    );
}

fn entry(summary: Summary, with_state: bool) -> Entry {
    let cond = |status: &str, reason: &str, message: &str| Cond {
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
    };
    let state = State {
        ready: cond("False", "InvalidSpec", "spec.talks[0]: no title"),
        reviewed: cond("True", "Reviewed", ""),
        summarized: cond("False", "RenderFailed", "template error"),
    };
    Entry {
        namespace: "talks".into(),
        name: "kubecon".into(),
        title: "KubeCon".into(),
        conference: "KubeCon EU".into(),
        year: 2025,
        language: "en".into(),
        themes: Vec::new(),
        talks: None,
        state: with_state.then_some(state),
        summary,
    }
}

#[test]
fn notices() {
    let missing = "No summary has been published for conferencereport \"kubecon\" in \
                   namespace \"talks\" yet.\n";
    let ready = "Ready=False (InvalidSpec): spec.talks[0]: no title\n";
    let not_ours = "ConfigMap \"kubecon-summary\" in namespace \"talks\" stands under the \
                    summary's name but is not managed by tripreport-operator, so it is not \
                    shown.\n";
    let stale = "This summary may be out of date: it does not describe the report's current \
                 spec.\n";
    let summarized = "Summarized=False (RenderFailed): template error\n";
    let published = |stale| {
        let (markdown, document) = ("# x\n".into(), Document::default());
        Summary::Published(Box::new(Published {
            markdown,
            document,
            stale,
        }))
    };
    let notice_for = |summary, with_state| notice(&entry(summary, with_state));
    assert_eq!(notice_for(Summary::Missing, false), Some(missing.into()));
    assert_eq!(
        notice_for(Summary::Missing, true),
        Some(format!("{missing}{ready}"))
    );
    let config_map = "kubecon-summary".into();
    let summary = Summary::NotOurs { config_map };
    assert_eq!(
        notice_for(summary, true),
        Some(format!("{not_ours}{ready}"))
    );
    let expected = format!("{stale}{ready}{summarized}");
    assert_eq!(notice_for(published(true), true), Some(expected));
    assert_eq!(notice_for(published(false), true), None);
}

#[test]
fn color_only_on_a_tty_without_no_color() {
    assert!(color_wanted(true, None));
    assert!(color_wanted(true, Some(OsStr::new(""))));
    assert!(!color_wanted(true, Some(OsStr::new("1"))));
    assert!(!color_wanted(false, None));
    assert!(!color_wanted(false, Some(OsStr::new(""))));
}
