//! What a needle asks for and where it matched: a needle is a phrase (its words side
//! by side, in order) or, in all-terms mode, a set of parts (words, or `"quoted
//! phrases"`) that must all be in one message, in any order. Matches are found on the
//! message text to mark them, as character spans and `>>>markers<<<`.

use serde::Serialize;

use super::tokens::is_cjk;

/// How the words of a needle must appear in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchMode {
    /// The needle's words side by side, in order (`"quotes"` change nothing).
    #[default]
    Phrase,
    /// Every word of the needle somewhere in the message, in any order; a `"quoted
    /// phrase"` inside the needle stays a phrase.
    AllTerms,
}

/// One thing a message must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Words as the index splits them, side by side.
    Words(Vec<String>),
    /// Text with CJK characters, found as a substring (ASCII case folded).
    Substring(String),
}

/// A needle compiled for one search: all its parts must be in one message.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub parts: Vec<Part>,
    /// The last word of each word part may be the start of a longer word.
    pub prefix: bool,
}

/// A match in a text: a character range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Words as the index splits them: the byte ranges of runs of letters and digits.
pub(crate) fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The words of a text, lowercased.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    word_ranges(text)
        .into_iter()
        .map(|(s, e)| text[s..e].to_lowercase())
        .collect()
}

/// Whether a word of a text is `want` (lowercase), or starts with it: without
/// allocating for ASCII words, the common case in a long tool output.
fn word_is(word: &str, want: &str, prefix: bool) -> bool {
    if word.is_ascii() {
        let (w, t) = (word.as_bytes(), want.as_bytes());
        if prefix {
            w.len() >= t.len() && w[..t.len()].eq_ignore_ascii_case(t)
        } else {
            w.eq_ignore_ascii_case(t)
        }
    } else {
        let lower = word.to_lowercase();
        if prefix {
            lower.starts_with(want)
        } else {
            lower == want
        }
    }
}

/// Splits a needle into its quoted and unquoted pieces: `a "b c" d` gives
/// `[(a, false), (b c, true), (d, false)]`. An unclosed quote runs to the end.
fn quoted_pieces(needle: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (i, piece) in needle.split('"').enumerate() {
        let piece = piece.trim();
        if !piece.is_empty() {
            out.push((piece.to_string(), i % 2 == 1));
        }
    }
    out
}

fn part_of(text: &str) -> Option<Part> {
    if text.chars().any(is_cjk) {
        return Some(Part::Substring(text.to_string()));
    }
    let words = tokens(text);
    (!words.is_empty()).then_some(Part::Words(words))
}

impl Compiled {
    pub(crate) fn new(needle: &str, mode: MatchMode, prefix: bool) -> Compiled {
        let parts = match mode {
            MatchMode::Phrase => part_of(&needle.replace('"', " ")).into_iter().collect(),
            MatchMode::AllTerms => {
                let mut parts = Vec::new();
                for (piece, quoted) in quoted_pieces(needle) {
                    if quoted {
                        parts.extend(part_of(&piece));
                    } else {
                        parts.extend(piece.split_whitespace().filter_map(part_of));
                    }
                }
                parts.dedup();
                parts
            }
        };
        Compiled { parts, prefix }
    }

    /// Whether the index alone decides a match: every part a single word.
    pub(crate) fn index_decides(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p, Part::Words(w) if w.len() == 1))
    }

    /// Byte ranges of every match of every part in `text`; `None` when a part is
    /// missing (the message does not match).
    pub(crate) fn find(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        // Most messages are ASCII: their phrases are found from the first word's
        // letter on, without splitting the whole text into words first.
        let ascii = text.is_ascii();
        let mut words: Option<Vec<(usize, usize)>> = None;
        let mut all = Vec::new();
        for part in &self.parts {
            let found = match part {
                Part::Words(want) if ascii && want.iter().all(|w| w.is_ascii()) => {
                    ascii_phrase_ranges(text.as_bytes(), want, self.prefix)
                }
                Part::Words(want) => {
                    let words = words.get_or_insert_with(|| word_ranges(text));
                    phrase_ranges(text, words, want, self.prefix)
                }
                Part::Substring(s) => substring_ranges(text, s),
            };
            if found.is_empty() {
                return None;
            }
            all.extend(found);
        }
        all.sort_unstable();
        Some(merge(all))
    }

    /// For marking only, when [`Compiled::find`] finds nothing the index did (a word
    /// inside a longer run of letters, accents the index folded): each word anywhere,
    /// ASCII case folded.
    pub(crate) fn find_loose(&self, text: &str) -> Vec<(usize, usize)> {
        let mut all = Vec::new();
        for part in &self.parts {
            match part {
                Part::Words(words) => {
                    for w in words {
                        all.extend(substring_ranges(text, w));
                    }
                }
                Part::Substring(s) => all.extend(substring_ranges(text, s)),
            }
        }
        all.sort_unstable();
        merge(all)
    }
}

fn phrase_ranges(
    text: &str,
    have: &[(usize, usize)],
    want: &[String],
    prefix: bool,
) -> Vec<(usize, usize)> {
    if want.is_empty() || want.len() > have.len() {
        return Vec::new();
    }
    have.windows(want.len())
        .filter(|w| {
            w.iter()
                .zip(want)
                .enumerate()
                .all(|(i, ((s, e), t))| word_is(&text[*s..*e], t, prefix && i + 1 == want.len()))
        })
        .map(|w| (w[0].0, w[w.len() - 1].1))
        .collect()
}

/// Where the words of `want` stand side by side in an ASCII text, as
/// [`phrase_ranges`] finds them (words are runs of letters and digits; a match may
/// start inside another's), found from each place the first word's first letter is.
fn ascii_phrase_ranges(text: &[u8], want: &[String], prefix: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some(&first) = want.first().and_then(|w| w.as_bytes().first()) else {
        return out;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut at = 0;
    while let Some(found) = memchr::memchr2(lower, upper, &text[at..]) {
        let start = at + found;
        at = start + 1;
        if start > 0 && text[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        if let Some(end) = ascii_phrase_at(text, start, want, prefix) {
            out.push((start, end));
        }
    }
    out
}

/// The end of the phrase `want` when it starts at the word beginning at `start`.
fn ascii_phrase_at(text: &[u8], start: usize, want: &[String], prefix: bool) -> Option<usize> {
    let mut i = start;
    for (k, w) in want.iter().enumerate() {
        while i < text.len() && !text[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let end = text[i..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(text.len(), |n| i + n);
        let (word, w) = (&text[i..end], w.as_bytes());
        let same = if prefix && k + 1 == want.len() {
            word.len() >= w.len() && word[..w.len()].eq_ignore_ascii_case(w)
        } else {
            word.eq_ignore_ascii_case(w)
        };
        if end == i || !same {
            return None;
        }
        i = end;
    }
    Some(i)
}

fn substring_ranges(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut out = Vec::new();
    if n.is_empty() || n.len() > h.len() {
        return out;
    }
    // Only where the needle's first byte is (either case) can it start.
    let (lower, upper) = (n[0].to_ascii_lowercase(), n[0].to_ascii_uppercase());
    let mut i = 0;
    while i + n.len() <= h.len() {
        let Some(found) = memchr::memchr2(lower, upper, &h[i..=h.len() - n.len()]) else {
            break;
        };
        i += found;
        if hay.is_char_boundary(i)
            && hay.is_char_boundary(i + n.len())
            && h[i..i + n.len()].eq_ignore_ascii_case(n)
        {
            out.push((i, i + n.len()));
            i += n.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Sorted ranges with overlaps joined.
fn merge(sorted: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
    for (s, e) in sorted {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Characters of context on each side of the first match in a snippet.
pub const SNIPPET_SIDE: usize = 60;

/// A piece of a message around its first match, on one line, with every match in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The text, whitespace flattened to spaces, `…` where it was cut.
    pub text: String,
    /// Where the needle matched in `text`, in characters.
    pub spans: Vec<Span>,
}

impl Snippet {
    /// The text with each match between `open` and `close` (`>>>`/`<<<` for plain
    /// text, escape codes for a terminal).
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.spans.len());
        let mut spans = self.spans.iter().peekable();
        for (i, c) in self.text.chars().enumerate() {
            if spans.peek().is_some_and(|s| s.start == i) {
                out.push_str(open);
            }
            out.push(c);
            if spans.peek().is_some_and(|s| s.end == i + 1) {
                out.push_str(close);
                spans.next();
            }
        }
        out
    }
}

/// The match the snippet is cut around: the first of those with the most other
/// matches within reach (all the words of an all-terms needle, where they are close).
fn densest(text: &str, ranges: &[(usize, usize)]) -> usize {
    let reach = |i: usize| {
        let (s, e) = ranges[i];
        let from = text[..s]
            .char_indices()
            .rev()
            .nth(SNIPPET_SIDE - 1)
            .map_or(0, |(b, _)| b);
        let to = text[e..]
            .char_indices()
            .nth(SNIPPET_SIDE)
            .map_or(text.len(), |(b, _)| e + b);
        ranges.iter().filter(|r| r.0 >= from && r.1 <= to).count()
    };
    let mut best = (0, 0);
    for i in 0..ranges.len() {
        let n = reach(i);
        if n > best.1 {
            best = (i, n);
        }
    }
    best.0
}

/// The snippet of `text` around its best match (`ranges` are byte ranges in `text`).
pub(crate) fn snippet(text: &str, ranges: &[(usize, usize)]) -> Snippet {
    let Some(&(first, first_end)) = ranges.get(densest(text, ranges)) else {
        let flat: String = text.chars().take(2 * SNIPPET_SIDE).map(flatten).collect();
        return Snippet {
            text: flat,
            spans: Vec::new(),
        };
    };
    // Character positions of the window's ends.
    let chars_before = text[..first].chars().count();
    let from_char = chars_before.saturating_sub(SNIPPET_SIDE);
    let to_char = text[..first_end].chars().count() + SNIPPET_SIDE;
    let total = chars_before + text[first..].chars().count();
    let to_char = to_char.min(total);
    let lead = from_char > 0;
    let mut out = String::new();
    if lead {
        out.push('…');
    }
    let offset = usize::from(lead);
    let mut spans = Vec::new();
    let byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let char_of = |b: usize| byte_at.partition_point(|&x| x < b);
    for &(s, e) in ranges {
        let (cs, ce) = (char_of(s), char_of(e));
        if cs >= from_char && ce <= to_char && ce > cs {
            spans.push(Span {
                start: cs - from_char + offset,
                end: ce - from_char + offset,
            });
        }
    }
    out.extend(
        text.chars()
            .skip(from_char)
            .take(to_char - from_char)
            .map(flatten),
    );
    if to_char < total {
        out.push('…');
    }
    Snippet { text: out, spans }
}

fn flatten(c: char) -> char {
    if c.is_whitespace() { ' ' } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, needle: &str, mode: MatchMode) -> Option<String> {
        let c = Compiled::new(needle, mode, false);
        c.find(text).map(|r| snippet(text, &r).marked(">>>", "<<<"))
    }

    #[test]
    fn a_phrase_needs_its_words_in_order_and_marks_them_all() {
        let t = "the worker hit a timeout, then worker timeout retry ran";
        assert_eq!(
            marked(t, "worker timeout retry", MatchMode::Phrase).as_deref(),
            Some("the worker hit a timeout, then >>>worker timeout retry<<< ran")
        );
        assert_eq!(
            marked(
                "retry the worker timeout",
                "worker timeout retry",
                MatchMode::Phrase
            ),
            None
        );
    }

    #[test]
    fn all_terms_takes_any_order_and_keeps_quoted_phrases() {
        let t = "retry after the worker timeout";
        assert_eq!(
            marked(t, "worker timeout retry", MatchMode::AllTerms).as_deref(),
            Some(">>>retry<<< after the >>>worker<<< >>>timeout<<<")
        );
        assert_eq!(
            marked(t, "retry \"timeout worker\"", MatchMode::AllTerms),
            None,
            "a quoted phrase keeps its order"
        );
        assert!(marked(t, "retry \"worker timeout\"", MatchMode::AllTerms).is_some());
        assert_eq!(marked(t, "retry lock", MatchMode::AllTerms), None);
    }

    #[test]
    fn identifiers_paths_and_cjk_are_found_and_marked() {
        assert_eq!(
            marked("edit SRC/Main.rs now", "src/main.rs", MatchMode::Phrase).as_deref(),
            Some("edit >>>SRC/Main.rs<<< now")
        );
        assert_eq!(
            marked("记住这个仓库用 nextest", "仓库", MatchMode::Phrase).as_deref(),
            Some("记住这个>>>仓库<<<用 nextest")
        );
        let c = Compiled::new("cargo next", MatchMode::Phrase, true);
        assert!(c.find("cargo nextest run").is_some());
        assert!(
            Compiled::new("cargo next", MatchMode::Phrase, false)
                .find("cargo nextest run")
                .is_none()
        );
    }

    #[test]
    fn ascii_texts_find_the_same_phrases_as_the_word_by_word_check() {
        let texts = [
            "job stream",
            "Job  Stream, job-stream; jobstream job_stream",
            "a job streams the job stream jobs stream",
            "xjob stream job streamx job\nstream",
            "cargo nextest run cargo next",
            "a a a",
            "job",
            "",
        ];
        for needle in ["job stream", "job", "a a", "stream", "cargo next"] {
            for prefix in [false, true] {
                let Some(Part::Words(want)) =
                    Compiled::new(needle, MatchMode::Phrase, prefix).parts.pop()
                else {
                    panic!("{needle}")
                };
                for t in texts {
                    assert_eq!(
                        ascii_phrase_ranges(t.as_bytes(), &want, prefix),
                        phrase_ranges(t, &word_ranges(t), &want, prefix),
                        "{needle:?} in {t:?}, prefix {prefix}"
                    );
                }
            }
        }
    }

    #[test]
    fn spans_are_characters_of_the_snippet() {
        let text = format!("{} needle {}", "汉".repeat(200), "字".repeat(200));
        let c = Compiled::new("needle", MatchMode::Phrase, false);
        let s = snippet(&text, &c.find(&text).unwrap());
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.text.chars().count(), 2 + 60 + 60 + 6);
        assert_eq!(s.spans, vec![Span { start: 61, end: 67 }]);
        let chars: Vec<char> = s.text.chars().collect();
        assert_eq!(chars[61..67].iter().collect::<String>(), "needle");
    }
}
