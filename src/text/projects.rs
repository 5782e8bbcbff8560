//! Projects mentioned in a report: the curated catalog in `data/projects.yaml`, matched as
//! whole words, case-sensitively, against each project's name and aliases.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::iter;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;

const SOURCE: &str = include_str!("../../data/projects.yaml");

/// A project named in a report, with how many times it was named (name and aliases together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub name: &'static str,
    pub url: &'static str,
    pub mentions: usize,
}

/// The projects named in `texts` (the body, highlights, recommendation reasons): each once,
/// most-mentioned first, then by name; whole-word, case-sensitive matches of a name or alias.
pub fn mentioned<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<Mention> {
    let catalog: &'static Catalog = &CATALOG;
    let mut counts = vec![0usize; catalog.projects.len()];
    for text in texts {
        for found in catalog.matches(text) {
            counts[found.project] += 1;
        }
    }
    let out: Vec<Mention> = catalog
        .projects
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(p, mentions)| Mention {
            name: &p.name,
            url: &p.homepage,
            mentions,
        })
        .collect();
    in_order(out)
}

/// The projects of `a` and `b` (each from [`mentioned`]) as `mentioned` gives them for the texts
/// of both: a name's counts added up, in the same order.
pub fn together(a: &[Mention], b: &[Mention]) -> Vec<Mention> {
    let mut out: Vec<Mention> = a.to_vec();
    for mention in b {
        match out.iter_mut().find(|m| m.name == mention.name) {
            Some(m) => m.mentions += mention.mentions,
            None => out.push(mention.clone()),
        }
    }
    in_order(out)
}

/// Most-mentioned first, then by name.
fn in_order(mut mentions: Vec<Mention>) -> Vec<Mention> {
    // Names are unique in the catalog, so this order is total.
    mentions.sort_by_cached_key(|m| (Reverse(m.mentions), m.name.to_lowercase(), m.name));
    mentions
}

/// `text` with every project name or alias match replaced by as many spaces as it has bytes, so
/// offsets still line up and a run of names ("Kubernetes, Prometheus and Grafana") does not make
/// the text look like English to the language detector.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in CATALOG.matches(text) {
        out.push_str(&text[last..found.start]);
        out.extend(iter::repeat_n(' ', found.end - found.start));
        last = found.end;
    }
    out.push_str(&text[last..]);
    out
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Project {
    name: String,
    homepage: String,
    #[serde(default)]
    aliases: Vec<String>,
    /// Validated by serde (a typo fails the unit test); the summary does not show it yet.
    #[serde(default)]
    #[allow(dead_code, reason = "parsed to validate the data file")]
    cncf: Option<Maturity>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Maturity {
    Graduated,
    Incubating,
    Sandbox,
}

/// A whole-word match of a name or alias, as byte offsets, owned by `projects[project]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Found {
    start: usize,
    end: usize,
    project: usize,
}

struct Catalog {
    projects: Vec<Project>,
    /// The project each automaton pattern belongs to.
    owner: Vec<usize>,
    /// None only if the automaton could not be built (then nothing matches: never a panic).
    matcher: Option<AhoCorasick>,
}

/// A data file that fails to parse gives an empty catalog: the unit test below catches it,
/// the operator keeps running without the "projects mentioned" section.
static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::new(parse(SOURCE).unwrap_or_default()));

fn parse(source: &str) -> Result<Vec<Project>, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(source)
}

impl Catalog {
    fn new(projects: Vec<Project>) -> Self {
        let mut seen = HashSet::new();
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, p) in projects.iter().enumerate() {
            for term in iter::once(&p.name).chain(&p.aliases) {
                // First owner wins on a duplicate; an empty pattern would match everywhere.
                if !term.is_empty() && seen.insert(term.as_str()) {
                    patterns.push(term.as_str());
                    owner.push(i);
                }
            }
        }
        // Standard semantics so that every overlapping candidate is seen: the longest one at a
        // position may fail the word-boundary check while a shorter one passes
        // ("Open Policy Agents" must still find a shorter "Open Policy", if listed).
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        Self {
            projects,
            owner,
            matcher,
        }
    }

    /// Whole-word matches, leftmost-longest and non-overlapping ("Grafana Loki" is one match
    /// of Loki's alias, not Grafana + Loki; "Argo CD" is Argo once).
    fn matches(&self, text: &str) -> Vec<Found> {
        let Some(iter) = self
            .matcher
            .as_ref()
            .and_then(|m| m.try_find_overlapping_iter(text).ok())
        else {
            return Vec::new();
        };
        let mut found: Vec<Found> = iter
            .filter(|m| whole_word(text, m.start(), m.end()))
            .filter_map(|m| {
                let project = *self.owner.get(m.pattern().as_usize())?;
                Some(Found {
                    start: m.start(),
                    end: m.end(),
                    project,
                })
            })
            .collect();
        found.sort_by_key(|f| (f.start, Reverse(f.end)));
        let mut end = 0;
        found.retain(|f| {
            let keep = f.start >= end;
            if keep {
                end = f.end;
            }
            keep
        });
        found
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Neither preceded nor followed by a letter, digit or `_` ("Helm's" and "(Flux)" match,
/// "Helmet" and "Argonaut" do not).
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else {
        return false;
    };
    !before.chars().next_back().is_some_and(is_word_char)
        && !after.chars().next().is_some_and(is_word_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "
- name: Argo
  homepage: https://argoproj.github.io/
  aliases: [Argo CD, ArgoCD]
- name: Flux
  homepage: https://fluxcd.io/
  aliases: [FluxCD]
- name: Helm
  homepage: https://helm.sh/
- name: Grafana
  homepage: https://grafana.com/
- name: Loki
  homepage: https://grafana.com/oss/loki/
  aliases: [Grafana Loki]
- name: Open Policy Agent
  homepage: https://www.openpolicyagent.org/
  aliases: [OPA, Open Policy]
  cncf: graduated
";

    fn small() -> Catalog {
        Catalog::new(parse(SMALL).unwrap_or_default())
    }

    fn names(catalog: &Catalog, text: &str) -> Vec<String> {
        let found = catalog.matches(text);
        found
            .iter()
            .map(|f| catalog.projects[f.project].name.clone())
            .collect()
    }

    #[test]
    fn mentions_counted_apart_add_up_to_those_counted_together() {
        let body = "Flux and Argo CD, then Flux again; Prometheus everywhere.";
        let others = ["Prometheus and Grafana", "Argo CD", "nothing here"];
        let together_counted = mentioned(std::iter::once(body).chain(others));
        let apart = together(&mentioned([body]), &mentioned(others));
        assert_eq!(apart, together_counted);
        assert!(together_counted.len() >= 3, "{together_counted:?}");
        assert_eq!(together(&[], &mentioned([body])), mentioned([body]));
    }

    #[test]
    fn the_data_file_parses_and_is_consistent() {
        let projects = parse(SOURCE).expect("data/projects.yaml parses");
        assert!(projects.len() > 100, "only {} projects", projects.len());
        let mut seen = HashSet::new();
        for p in &projects {
            assert!(
                p.homepage.starts_with("https://"),
                "{}: {}",
                p.name,
                p.homepage
            );
            for term in iter::once(&p.name).chain(&p.aliases) {
                assert!(
                    !term.trim().is_empty() && term.trim() == term,
                    "{}: {term:?}",
                    p.name
                );
                assert!(seen.insert(term.as_str()), "{term} is listed twice");
            }
        }
        assert_eq!(CATALOG.projects.len(), projects.len());
    }

    #[test]
    fn case_sensitive_flux_is_not_the_word_flux() {
        let got = mentioned(["a steady flux of people", "we moved to Flux, then FluxCD"]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].name, got[0].mentions), ("Flux", 2));
        assert_eq!(got[0].url, "https://fluxcd.io/");
        assert!(names(&small(), "helm flux argo").is_empty());
    }

    #[test]
    fn word_boundaries() {
        let c = small();
        assert!(names(&c, "Argonaut wore a Helmet; xHelm Helm_x Helm2").is_empty());
        assert_eq!(
            names(&c, "Helm's charts (Flux), Flux, \"Argo\"."),
            ["Helm", "Flux", "Flux", "Argo"]
        );
        assert_eq!(names(&c, "Helm-based, Flux/Argo"), ["Helm", "Flux", "Argo"]);
        // Letters outside ASCII count as letters: no match inside "ÁHelmé".
        assert!(names(&c, "ÁHelm Helmé").is_empty());
    }

    #[test]
    fn longest_match_wins_and_aliases_count_for_the_project() {
        let c = small();
        assert_eq!(names(&c, "Grafana Loki and Grafana"), ["Loki", "Grafana"]);
        assert_eq!(
            names(&c, "Argo CD, ArgoCD and Argo"),
            ["Argo", "Argo", "Argo"]
        );
        // The longest candidate fails the boundary check; the shorter one still counts.
        assert_eq!(names(&c, "Open Policy Agents"), ["Open Policy Agent"]);
        assert_eq!(
            names(&c, "Open Policy Agent (OPA)"),
            ["Open Policy Agent"; 2]
        );
    }

    #[test]
    fn each_project_once_ordered_by_mentions_then_name() {
        let got = mentioned([
            "Helm and Flux, then Helm again.",
            "Argo CD beside Helm; Flux too.",
            "Prometheus.",
        ]);
        let got: Vec<(&str, usize)> = got.iter().map(|m| (m.name, m.mentions)).collect();
        assert_eq!(
            got,
            [("Helm", 3), ("Flux", 2), ("Argo", 1), ("Prometheus", 1)]
        );
        assert!(mentioned(["nothing here", ""]).is_empty());
    }

    #[test]
    fn mask_keeps_byte_offsets() {
        let text = "Kubernetes, Prometheus e Grafana – ótimo.";
        let blank = |n: usize| " ".repeat(n);
        let want = format!("{}, {} e {} – ótimo.", blank(10), blank(10), blank(7));
        assert_eq!(mask(text), want);
        assert_eq!(mask("no names here"), "no names here");
    }

    #[test]
    fn an_unparsable_catalog_is_empty_not_a_panic() {
        let c = Catalog::new(parse("- name: X\n  bogus: 1\n").unwrap_or_default());
        assert!(c.projects.is_empty());
        assert!(c.matches("X").is_empty());
    }
}
