//! Other occurrences of the secrets already found. A value named once
//! (`PASSWORD=x`) is still the secret where it turns up again without its
//! name, so every occurrence of a replaced span's text is replaced too, also
//! one that overlaps another secret or another occurrence (the spans merge).
//! A merged span is a new text whose own occurrences must go as well, so the
//! search repeats until no span is new.
//!
//! All values are looked for in one pass over the text (Aho-Corasick), so
//! the cost does not grow with their number, and overlapping occurrences are
//! all seen. The automaton is written here rather than taken from the
//! `aho-corasick` crate: its overlapping search reports every value ending at
//! a position, which is quadratic when values nest (a periodic secret and the
//! merged spans of its repeats), while covering needs only the longest one, a
//! per-state answer the crate does not expose.

use std::collections::HashSet;
use std::ops::Range;

use super::SecretKind;
use super::scan::{self, Hit};

/// Shortest secret whose other occurrences are replaced too: shorter values
/// (PINs) would match ordinary text.
pub(crate) const MIN_REPEAT_BYTES: usize = 8;

/// The values of one text already looked for, so a later call only searches
/// for new ones.
pub(crate) struct Repeats<'t> {
    text: &'t str,
    searched: HashSet<&'t str>,
    /// The same values in the order found, with the kind of their span.
    values: Vec<(&'t [u8], SecretKind)>,
}

impl<'t> Repeats<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Repeats {
            text,
            searched: HashSet::new(),
            values: Vec::new(),
        }
    }

    /// `spans` (in `text`) plus every occurrence of their values, merged,
    /// until every occurrence of every span's value of `MIN_REPEAT_BYTES`
    /// or more lies inside a span. Sorted and disjoint.
    pub(crate) fn close(&mut self, spans: Vec<Hit>) -> Vec<Hit> {
        let mut spans = scan::coalesce(spans);
        loop {
            let known = self.values.len();
            for h in &spans {
                let value = &self.text[h.start..h.end];
                if value.len() >= MIN_REPEAT_BYTES && self.searched.insert(value) {
                    self.values.push((value.as_bytes(), h.kind));
                }
            }
            if self.values.len() == known {
                return spans;
            }
            let before = spans.clone();
            let automaton = Automaton::new(&self.values[known..]);
            spans.extend(automaton.cover(self.text.as_bytes()));
            spans = scan::coalesce(spans);
            // Nothing grew: every span's text has been searched for.
            if spans == before {
                return spans;
            }
        }
    }

    /// Occurrences of the values in `out` (the text with its spans replaced
    /// by `markers`) that run from kept text into a marker: the marker's own
    /// bytes can complete a secret (`...x[` next to `[REDACTED:`). Offsets in
    /// `out`; an occurrence inside one marker is the marker, not a secret.
    pub(crate) fn across_markers(&self, out: &str, markers: &[Range<usize>]) -> Vec<Hit> {
        let Some(longest) = self.values.iter().map(|v| v.0.len()).max() else {
            return Vec::new();
        };
        // Only text this close to a marker can hold such an occurrence.
        let mut windows: Vec<Range<usize>> = Vec::new();
        for m in markers {
            let w = m.start.saturating_sub(longest - 1)..(m.end + longest - 1).min(out.len());
            match windows.last_mut() {
                Some(last) if w.start <= last.end => last.end = w.end,
                _ => windows.push(w),
            }
        }
        let automaton = Automaton::new(&self.values);
        let mut found = Vec::new();
        for w in windows {
            for h in automaton.cover(&out.as_bytes()[w.clone()]) {
                let (start, end) = (w.start + h.start, w.start + h.end);
                let k = markers.partition_point(|m| m.end <= start);
                let inside = markers
                    .get(k)
                    .is_some_and(|m| m.start <= start && end <= m.end);
                if !inside {
                    found.push(Hit { start, end, ..h });
                }
            }
        }
        found
    }
}

const ROOT: u32 = 0;

/// A trie of the values with failure links. Children of a node are kept
/// sorted in one array (the root's in a table): one lookup per text byte.
struct Automaton {
    root: [u32; 256],
    /// Children of node `n`: `edges[first[n]..first[n + 1]]`, by byte.
    first: Vec<u32>,
    edges: Vec<(u8, u32)>,
    fail: Vec<u32>,
    /// Length and kind of the longest value that ends the node's path (0: none).
    out: Vec<(u32, SecretKind)>,
}

impl Automaton {
    fn new(values: &[(&[u8], SecretKind)]) -> Self {
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut out = vec![(0, SecretKind::GenericApiKey)];
        for &(value, kind) in values {
            let mut node = 0;
            for &b in value {
                node = match children[node].iter().find(|e| e.0 == b) {
                    Some(&(_, next)) => next as usize,
                    None => {
                        let next = children.len();
                        children[node].push((b, next as u32));
                        children.push(Vec::new());
                        out.push((0, kind));
                        next
                    }
                };
            }
            out[node] = (value.len() as u32, kind);
        }
        let mut first = Vec::with_capacity(children.len() + 1);
        let mut edges = Vec::with_capacity(children.len());
        for mut c in children {
            first.push(edges.len() as u32);
            c.sort_unstable_by_key(|e| e.0);
            edges.extend(c);
        }
        first.push(edges.len() as u32);
        let mut root = [ROOT; 256];
        for &(b, next) in &edges[..first[1] as usize] {
            root[usize::from(b)] = next;
        }
        let mut a = Automaton {
            root,
            fail: vec![ROOT; first.len() - 1],
            first,
            edges,
            out,
        };
        a.link();
        a
    }

    fn child(&self, node: u32, b: u8) -> Option<u32> {
        if node == ROOT {
            let next = self.root[usize::from(b)];
            return (next != ROOT).then_some(next);
        }
        let n = node as usize;
        let edges = &self.edges[self.first[n] as usize..self.first[n + 1] as usize];
        edges
            .binary_search_by_key(&b, |e| e.0)
            .ok()
            .map(|i| edges[i].1)
    }

    /// The state after reading `b` in state `node`.
    fn step(&self, mut node: u32, b: u8) -> u32 {
        loop {
            if let Some(next) = self.child(node, b) {
                return next;
            }
            if node == ROOT {
                return ROOT;
            }
            node = self.fail[node as usize];
        }
    }

    /// Failure links and outputs, breadth first (a node's link is shallower).
    fn link(&mut self) {
        let mut queue = std::collections::VecDeque::from([ROOT]);
        while let Some(node) = queue.pop_front() {
            let n = node as usize;
            for i in self.first[n] as usize..self.first[n + 1] as usize {
                let (b, next) = self.edges[i];
                let link = if node == ROOT {
                    ROOT
                } else {
                    self.step(self.fail[n], b)
                };
                self.fail[next as usize] = link;
                if self.out[next as usize].0 == 0 {
                    self.out[next as usize] = self.out[link as usize];
                }
                queue.push_back(next);
            }
        }
    }

    /// Spans of `hay` covered by occurrences of the values: at each end, the
    /// longest value ending there (shorter ones lie inside it).
    fn cover(&self, hay: &[u8]) -> Vec<Hit> {
        let mut found = Vec::new();
        let mut node = ROOT;
        for (i, &b) in hay.iter().enumerate() {
            node = self.step(node, b);
            let (len, mut kind) = self.out[node as usize];
            if len == 0 {
                continue;
            }
            let end = i + 1;
            let mut start = end - len as usize;
            // Ends rise: an occurrence reaching back into earlier ones joins them.
            while let Some(last) = found.last().filter(|h: &&Hit| start < h.end) {
                start = start.min(last.start);
                if last.kind.specificity() > kind.specificity() {
                    kind = last.kind;
                }
                found.pop();
            }
            found.push(Hit { start, end, kind });
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cover(values: &[&str], hay: &str) -> Vec<(usize, usize)> {
        let values: Vec<_> = values
            .iter()
            .map(|v| (v.as_bytes(), SecretKind::EnvAssignment))
            .collect();
        Automaton::new(&values)
            .cover(hay.as_bytes())
            .iter()
            .map(|h| (h.start, h.end))
            .collect()
    }

    #[test]
    fn finds_every_occurrence_of_every_value() {
        assert_eq!(
            cover(&["abcdefgh"], "xxabcdefghyyabcdefgh"),
            [(2, 10), (12, 20)]
        );
        assert_eq!(
            cover(&["abcdefgh", "zzzzzzzz"], "zzzzzzzz abcdefgh"),
            [(0, 8), (9, 17)]
        );
        assert_eq!(cover(&["abcdefgh"], "abcdefg abcdefgX"), []);
    }

    #[test]
    fn overlapping_occurrences_are_all_covered() {
        // The second occurrence starts inside the first.
        assert_eq!(cover(&["a1b2c3a1"], "a1b2c3a1b2c3a1"), [(0, 14)]);
        // A value inside another, and one straddling its end.
        let spans = cover(&["k3y0k3y0k3", "y0k3Z9Z9Z9"], "k3y0k3y0k3Z9Z9Z9");
        assert_eq!(spans, [(0, 16)]);
        assert_eq!(cover(&["aaaaaaaa"], &"a".repeat(20)), [(0, 20)]);
    }

    #[test]
    fn a_merged_span_is_searched_again_until_nothing_grows() {
        // A short secret (not searched for itself) overlaps a repeat of a long
        // one; the merged text is a new value whose other occurrence must go too.
        let text = "a1b2c3d4e5, zz99a1b2c3d4e5, zz99a1b2c3d4e5";
        let hit = |start, end| Hit {
            start,
            end,
            kind: SecretKind::EnvAssignment,
        };
        let spans = Repeats::new(text).close(vec![hit(0, 10), hit(12, 18)]);
        let spans: Vec<_> = spans.iter().map(|h| (h.start, h.end)).collect();
        assert_eq!(spans, [(0, 10), (12, 26), (28, 42)]);
    }

    #[test]
    fn an_occurrence_completed_by_a_marker_is_found() {
        // `p4ssw0rd[` is replaced; elsewhere `p4ssw0rd` stays next to another
        // secret, whose marker supplies the `[`.
        let text = "p4ssw0rd[ x p4ssw0rdQ7QQQQQQ";
        let hit = |start, end| Hit {
            start,
            end,
            kind: SecretKind::EnvAssignment,
        };
        let mut repeats = Repeats::new(text);
        let spans = repeats.close(vec![hit(0, 9), hit(20, 28)]);
        assert_eq!(spans, [hit(0, 9), hit(20, 28)]);
        let (out, markers) = super::super::replace(text, &spans);
        let cut = repeats.across_markers(&out, &markers);
        let cut: Vec<_> = cut.iter().map(|h| &out[h.start..h.end]).collect();
        assert_eq!(cut, ["p4ssw0rd["]);
    }
}
