//! TextRank over sentences, and picking the top ones without repeating oneself.
//!
//! Similarity is the cosine of two sentences' term *sets*: |Si ∩ Sj| / sqrt(|Si|·|Sj|). It
//! needs only integer counts, one division and one square root, all correctly rounded by
//! IEEE 754, so the scores are bit-identical on every machine and libm (no ln/exp anywhere),
//! and it does not favour long sentences as TextRank's log normalisation does. PageRank runs a
//! fixed number of iterations in a fixed order; scores are then rounded to integers anyway, so
//! any platform drift far below 1e-9 (an x87 FPU, say) cannot reorder them.

pub const DAMPING: f64 = 0.85;
pub const ITERATIONS: usize = 50;
/// Scores are rounded to this many units per 1.0 before sorting.
const SCALE: f64 = 1e9;

/// Each sentence's terms as a sorted, deduplicated list of ids (ids in first-seen order), as
/// `words::Analyzer::term_ids` numbers them.
#[cfg(test)]
fn term_sets(sentences: &[Vec<String>]) -> Vec<Vec<u32>> {
    let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    sentences
        .iter()
        .map(|terms| {
            set_of(
                terms
                    .iter()
                    .map(|t| {
                        let next = ids.len() as u32;
                        *ids.entry(t.as_str()).or_insert(next)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// A sentence's term ids as a set: sorted, without repeats.
pub fn set_of(mut ids: Vec<u32>) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Cosine similarity of two sorted id sets; 0 when either is empty.
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = common_count(a, b);
    if common == 0 {
        return 0.0;
    }
    common as f64 / ((a.len() * b.len()) as f64).sqrt()
}

fn common_count(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// TextRank scores of the sentence graph, as integers (score × n, rounded to 1e-9): n is
/// folded in so that resolution does not shrink as bodies grow.
pub fn scores(sets: &[Vec<u32>]) -> Vec<i64> {
    let n = sets.len();
    let edges = edges(sets);
    let dense = dense(&edges);
    rank(&edges, dense.as_deref())
        .iter()
        .map(|s| (s * n as f64 * SCALE).round() as i64)
        .collect()
}

/// The sparse symmetric graph: edges only where sentences share a term, each node's
/// neighbours in ascending order.
fn edges(sets: &[Vec<u32>]) -> Vec<Vec<(usize, f64)>> {
    let n = sets.len();
    let mut edges: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in (i + 1)..n {
            let w = similarity(&sets[i], &sets[j]);
            if w > 0.0 {
                edges[i].push((j, w));
                edges[j].push((i, w));
            }
        }
    }
    edges
}

/// PageRank over the graph: each node's neighbours with their weights, and the same graph as
/// a row-major matrix where [`dense`] gave one. Either way, the same bits.
fn rank(edges: &[Vec<(usize, f64)>], dense: Option<&[f64]>) -> Vec<f64> {
    let n = edges.len();
    if n == 0 {
        return Vec::new();
    }
    let out_weight: Vec<f64> = edges
        .iter()
        .map(|e| e.iter().map(|(_, w)| w).sum())
        .collect();
    let base = (1.0 - DAMPING) / n as f64;
    let mut score = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    for _ in 0..ITERATIONS {
        next.fill(base);
        for (j, e) in edges.iter().enumerate() {
            if out_weight[j] > 0.0 {
                let share = DAMPING * score[j] / out_weight[j];
                match dense {
                    // The whole row, zeros included: adding share × 0.0 (+0.0) leaves a positive
                    // sum's bits as they were, so this is the sparse loop's arithmetic, in
                    // vector instructions and without an index per edge.
                    Some(matrix) => {
                        let row = &matrix[j * n..(j + 1) * n];
                        for (sum, &w) in next.iter_mut().zip(row) {
                            *sum += share * w;
                        }
                    }
                    None => {
                        for &(i, w) in e {
                            next[i] += share * w;
                        }
                    }
                }
            }
        }
        std::mem::swap(&mut score, &mut next);
    }
    score
}

/// Sentence graphs up to this many nodes may be iterated as a matrix: 256 KiB at most.
const DENSE_MAX_NODES: usize = 181;

/// The graph as a row-major matrix, where it is small and at least a quarter full: there the
/// whole rows cost less than the edges one by one (the typical 8 KB body: about 90 sentences,
/// most sharing a term).
fn dense(edges: &[Vec<(usize, f64)>]) -> Option<Vec<f64>> {
    let n = edges.len();
    let count: usize = edges.iter().map(Vec::len).sum();
    (n <= DENSE_MAX_NODES && count * 4 >= n * n).then(|| matrix(edges))
}

fn matrix(edges: &[Vec<(usize, f64)>]) -> Vec<f64> {
    let n = edges.len();
    let mut matrix = vec![0.0; n * n];
    for (j, e) in edges.iter().enumerate() {
        for &(i, w) in e {
            matrix[j * n + i] = w;
        }
    }
    matrix
}

/// Sentence indices by score, highest first; ties go to the earlier sentence.
pub fn by_score(scores: &[i64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(scores[i]), i));
    order
}

/// Up to `k` eligible sentences, chosen greedily (MMR-like): each round takes the sentence
/// whose score, scaled down by its highest similarity to those already taken (× (1 − sim)),
/// is largest; ties go to the better-ranked, then earlier, sentence. A near-duplicate of a
/// chosen sentence thus needs a much higher score to get in, and an exact repeat (same term
/// set, similarity 1) never does. `order` is [`by_score`]'s. Result in body order.
pub fn pick(
    order: &[usize],
    scores: &[i64],
    sets: &[Vec<u32>],
    eligible: &[bool],
    k: usize,
) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    while chosen.len() < k {
        let mut best: Option<(i64, usize)> = None;
        for &i in order {
            if !eligible.get(i).copied().unwrap_or(false) || chosen.contains(&i) {
                continue;
            }
            let overlap = chosen
                .iter()
                .map(|&c| similarity(&sets[i], &sets[c]))
                .fold(0.0, f64::max);
            let value = (scores[i] as f64 * (1.0 - overlap)).round() as i64;
            if overlap < 1.0 && best.is_none_or(|(b, _)| value > b) {
                best = Some((value, i));
            }
        }
        match best {
            Some((_, i)) => chosen.push(i),
            None => break,
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(sentences: &[&[&str]]) -> Vec<Vec<u32>> {
        let terms: Vec<Vec<String>> = sentences
            .iter()
            .map(|s| s.iter().map(|t| t.to_string()).collect())
            .collect();
        term_sets(&terms)
    }

    #[test]
    fn similarity_is_set_cosine() {
        let s = sets(&[&["a", "b", "c", "d"], &["b", "d", "e", "e"], &["x"]]);
        assert_eq!(s[1], vec![1, 3, 4]);
        assert_eq!(similarity(&s[0], &s[1]), 2.0 / 12f64.sqrt());
        assert_eq!(similarity(&s[0], &s[2]), 0.0);
        assert_eq!(similarity(&s[0], &[]), 0.0);
    }

    #[test]
    fn hub_sentence_ranks_first() {
        // Sentence 2 shares a term with every other one; 4 shares nothing.
        let s = sets(&[
            &["a", "x"],
            &["b", "y"],
            &["a", "b", "c"],
            &["c", "z"],
            &["q"],
        ]);
        let scores = scores(&s);
        assert_eq!(by_score(&scores), vec![2, 0, 1, 3, 4]);
        assert_eq!(scores[4], 150_000_000); // isolated: (1 - d) / n, times n
        assert_eq!(scores, super::scores(&s), "deterministic");
    }

    /// The matrix is only a faster way to the same numbers: a dense graph (the typical body)
    /// and a sparse one give the same bits either way.
    #[test]
    fn the_matrix_gives_the_same_bits_as_the_edges() {
        let words = [
            "kube", "operator", "status", "lease", "talk", "venue", "helm", "flux",
        ];
        // Every sentence shares terms with most others, then with few.
        for (spread, is_dense) in [(1, true), (5, false)] {
            let terms: Vec<Vec<String>> = (0..120)
                .map(|i| {
                    (0..3)
                        .map(|k| format!("{}{}", words[(i + k * 3) % words.len()], i % spread))
                        .collect()
                })
                .collect();
            let edges = edges(&term_sets(&terms));
            assert_eq!(dense(&edges).is_some(), is_dense, "spread {spread}");
            let bits = |v: Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
            let by_rows = rank(&edges, Some(&matrix(&edges)));
            assert!(by_rows.iter().all(|&s| s > 0.0));
            assert_eq!(bits(by_rows), bits(rank(&edges, None)), "spread {spread}");
        }
    }

    #[test]
    fn ties_go_to_the_earlier_sentence() {
        assert_eq!(by_score(&[5, 7, 5, 7]), vec![1, 3, 0, 2]);
    }

    #[test]
    fn pick_penalizes_overlap_and_skips_repeats() {
        let s = sets(&[
            &["a", "b", "c"],
            &["a", "b", "c"],
            &["a", "b", "d"],
            &["e", "a"],
        ]);
        let scores = [100, 100, 90, 60];
        let order = by_score(&scores);
        // 2 overlaps 0 by 2/3 (90 -> 30); 3 by 1/sqrt(6) (60 -> 35).
        assert_eq!(pick(&order, &scores, &s, &[true; 4], 2), vec![0, 3]);
        assert_eq!(pick(&order, &scores, &s, &[true; 4], 3), vec![0, 2, 3]);
        assert_eq!(
            pick(&order, &scores, &s, &[true; 4], 4),
            vec![0, 2, 3],
            "1 repeats 0"
        );
        let eligible = [false, true, true, false];
        assert_eq!(pick(&order, &scores, &s, &eligible, 1), vec![1]);
        assert_eq!(
            pick(&order, &[5, 5, 5, 5], &s, &[true; 4], 1),
            vec![0],
            "tie: earlier"
        );
    }
}
