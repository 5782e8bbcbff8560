use super::*;
use crate::reading::merge::tests::{entry, talk};
use crate::reading::model::{Cond, Project, State, Summary};

fn state(ready: &str, reason: &str) -> State {
    let cond = |status: &str, reason: &str| Cond {
        status: status.to_string(),
        reason: reason.to_string(),
        message: format!("message of {reason}"),
    };
    State {
        ready: cond(ready, reason),
        reviewed: cond("True", "Approved"),
        summarized: cond("True", "Published"),
    }
}

fn entries() -> Vec<Entry> {
    let mut a = entry(
        "team-a",
        "eu-2019",
        "KubeCon EU",
        2019,
        &[talk("Loki", None, 5, "ana")],
    );
    a.title = "<script>alert('title')</script> & more".to_string();
    a.themes = vec!["observability".to_string()];
    a.state = Some(state("True", "Ready"));
    if let Summary::Published(p) = &mut a.summary {
        p.markdown = "# A title\n\nBody with &lt;script>alert(1)&lt;/script>\n".to_string();
        p.document.projects = vec![Project {
            name: "Loki".to_string(),
            url: "https://grafana.com/oss/loki/".to_string(),
            mentions: 2,
        }];
    }
    let mut b = entry(
        "team-b",
        "eu-2019-pt",
        "KubeCon EU",
        2019,
        &[talk("loki", None, 4, "bruno")],
    );
    b.language = "pt".to_string();
    b.state = Some(state("False", "InvalidSpec"));
    let mut c = entry("team-b", "eu-2018", "KubeCon EU", 2018, &[]);
    c.summary = Summary::Missing;
    vec![a, b, c]
}

#[test]
fn user_text_is_escaped_on_every_page() {
    let entries = entries();
    let source = Source::default();
    let index = index(&entries, &source, None);
    assert!(
        index.contains("&lt;script&gt;alert('title')&lt;/script&gt; &amp; more"),
        "{index}"
    );
    for (path, html) in files(&entries) {
        assert!(!html.contains("<script"), "{path}: {html}");
    }
    let report = page(&entries, &source, "reports/team-a/eu-2019.html").expect("the page exists");
    assert!(
        report.contains("Body with &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{report}"
    );
}

#[test]
fn the_index_groups_by_conference_newest_first_with_states_in_words() {
    let html = index(&entries(), &Source::default(), None);
    let y2019 = html.find("KubeCon EU 2019</h2>").expect("2019 heading");
    let y2018 = html.find("KubeCon EU 2018</h2>").expect("2018 heading");
    assert!(y2019 < y2018);
    assert!(
        html.contains(r#"href="reports/team-a/eu-2019.html""#),
        "relative links: {html}"
    );
    assert!(
        html.contains(r#"href="conferences/kubecon-eu-2019.html""#),
        "{html}"
    );
    assert!(html.contains("No (InvalidSpec)"), "{html}");
    assert!(html.contains(r#"title="message of InvalidSpec""#), "{html}");
    assert!(!html.contains("<form"), "static pages have no filters");
}

#[test]
fn filters_narrow_the_index_and_keep_their_choices() {
    let entries = entries();
    let source = Source {
        live_scope: Some("all namespaces".to_string()),
        problems: vec![],
    };
    let by = |f: Filters| index(&entries, &source, Some(&f));
    let html = by(Filters {
        language: Some("pt".to_string()),
        ..Filters::default()
    });
    assert!(html.contains("1 of 3 reports match."), "{html}");
    assert!(
        html.contains("eu-2019-pt.html") && !html.contains("team-a/eu-2019.html"),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="pt" selected>pt</option>"#),
        "{html}"
    );
    let html = by(Filters {
        project: Some("Loki".to_string()),
        ..Filters::default()
    });
    assert!(html.contains("1 of 3 reports match."), "{html}");
    let html = by(Filters {
        theme: Some("observability".to_string()),
        namespace: Some("team-b".to_string()),
        ..Filters::default()
    });
    assert!(html.contains("0 of 3 reports match."), "{html}");
    assert!(
        !html.contains("<h2"),
        "no empty conference sections: {html}"
    );
    let html = by(Filters {
        namespace: Some(String::new()),
        ..Filters::default()
    });
    assert!(
        !html.contains("reports match"),
        "an empty value is no filter: {html}"
    );
}

#[test]
fn the_conference_page_merges_talks_across_reports() {
    let html = page(
        &entries(),
        &Source::default(),
        "conferences/kubecon-eu-2019.html",
    )
    .expect("exists");
    assert!(
        html.contains("1 talk recommended across 2 reports."),
        "{html}"
    );
    assert!(html.contains("2 (ana, bruno)"), "{html}");
    assert!(html.contains("4.5 of 5"), "{html}");
    assert!(
        html.contains(r#"href="../reports/team-b/eu-2019-pt.html""#),
        "{html}"
    );
    assert!(html.contains(r#"href="../style.css""#), "{html}");
}

#[test]
fn a_report_page_says_what_is_missing_or_stale() {
    let mut entries = entries();
    let missing =
        page(&entries, &Source::default(), "reports/team-b/eu-2018.html").expect("exists");
    assert!(
        missing.contains("No summary has been published for this report yet."),
        "{missing}"
    );
    if let Summary::Published(p) = &mut entries[0].summary {
        p.stale = true;
    }
    let stale = page(&entries, &Source::default(), "reports/team-a/eu-2019.html").expect("exists");
    assert!(stale.contains("may be out of date"), "{stale}");
    assert!(
        stale.contains(r#"<article class="summary" lang="en">"#),
        "{stale}"
    );
    entries[0].summary = Summary::NotOurs {
        config_map: "eu-2019-summary".to_string(),
    };
    let taken = page(&entries, &Source::default(), "reports/team-a/eu-2019.html").expect("exists");
    assert!(
        taken.contains("<code>eu-2019-summary</code> stands under this summary"),
        "{taken}"
    );
    assert!(page(&entries, &Source::default(), "reports/team-a/nope.html").is_none());
    assert!(page(&entries, &Source::default(), "reports/../../etc/passwd").is_none());
}

#[test]
fn live_problems_are_on_every_page() {
    let source = Source {
        live_scope: Some("namespace team-a".to_string()),
        problems: vec!["the watch of summaries is failing".to_string()],
    };
    for html in [
        index(&entries(), &source, Some(&Filters::default())),
        not_found(&source),
    ] {
        assert!(
            html.contains(r#"role="alert""#) && html.contains("the watch of summaries is failing"),
            "{html}"
        );
        assert!(
            html.contains("live from the cluster (namespace team-a)"),
            "{html}"
        );
    }
}
