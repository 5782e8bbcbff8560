//! Which line of a YAML document holds a field, so offline errors read `file:line: field:
//! message`. A heuristic over the text (block-style YAML as people write it), falling back to the
//! nearest enclosing field it could find. Pure logic.

/// The 1-based line, counted from `first_line` (the document's first line in its file), of the
/// field `path` (e.g. `spec.conference.endDate` or `spec.themes[1]`).
pub fn line_of(document: &str, first_line: usize, path: &str) -> usize {
    let lines: Vec<&str> = document.lines().collect();
    let mut at: Option<usize> = None;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (key, indices) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        match find_key(&lines, at, key) {
            Some(found) => at = Some(found),
            None => break,
        }
        for index in indices
            .split(['[', ']'])
            .filter_map(|i| i.parse::<usize>().ok())
        {
            match find_item(&lines, at.unwrap_or(0), index) {
                Some(found) => at = Some(found),
                None => break,
            }
        }
    }
    first_line + at.unwrap_or(0)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The line of `key:` among the direct children of the line `parent` (top level without one).
fn find_key(lines: &[&str], parent: Option<usize>, key: &str) -> Option<usize> {
    let matches = |line: &str| {
        let trimmed = line.trim_start();
        let content = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        content.starts_with(&format!("{key}:")) || content.starts_with(&format!("\"{key}\":"))
    };
    let Some(p) = parent else {
        return lines.iter().position(|l| indent(l) == 0 && matches(l));
    };
    // A list item `- a: 1` holds its first key on its own line.
    if lines[p].trim_start().starts_with("- ") && matches(lines[p]) {
        return Some(p);
    }
    let mut child_indent = None;
    for (i, line) in lines.iter().enumerate().skip(p + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent(line) <= indent(lines[p]) {
            return None;
        }
        if indent(line) == *child_indent.get_or_insert(indent(line)) && matches(line) {
            return Some(i);
        }
    }
    None
}

/// The line of the `index`-th item (`- ...`) of the list whose key is on line `at`.
fn find_item(lines: &[&str], at: usize, index: usize) -> Option<usize> {
    let mut item_indent = None;
    let mut count = 0;
    for (i, line) in lines.iter().enumerate().skip(at + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent(line) < indent(lines[at])
            || (indent(line) == indent(lines[at]) && !trimmed.starts_with("- "))
        {
            return None;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let level = *item_indent.get_or_insert(indent(line));
            if indent(line) == level {
                if count == index {
                    return Some(i);
                }
                count += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "apiVersion: tripreports.dev/v1alpha1
kind: ConferenceReport
metadata:
  name: r
spec:
  title: t
  conference:
    name: KubeCon
    year: 2019
    endDate: \"2019-05-01\"
  themes:
    - ci
    - ci
  review:
    approvals:
      - reviewer: bob
      - reviewer: bob
        comment: again
";

    #[test]
    fn fields_are_found_where_people_wrote_them() {
        assert_eq!(line_of(DOC, 1, "spec.title"), 6);
        assert_eq!(line_of(DOC, 1, "spec.conference.endDate"), 10);
        assert_eq!(line_of(DOC, 1, "spec.conference"), 7);
        assert_eq!(line_of(DOC, 1, "spec.themes[1]"), 13);
        assert_eq!(line_of(DOC, 1, "spec.review.approvals[1]"), 17);
        assert_eq!(line_of(DOC, 1, "spec.review.approvals[1].comment"), 18);
        assert_eq!(
            line_of(DOC, 10, "spec.title"),
            15,
            "offset by the document's first line"
        );
    }

    #[test]
    fn a_missing_field_points_at_its_nearest_parent() {
        assert_eq!(line_of(DOC, 1, "spec.author"), 5);
        assert_eq!(line_of(DOC, 1, "spec.conference.startDate"), 7);
    }
}
