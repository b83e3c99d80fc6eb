//! One keyword pass for the detectors that start from a word: the
//! keywords of the data rules (`hf_`, `glpat-`, `accountkey`) and the
//! secret words of prose (`password`, `密码`, `パスワード`, `비밀번호`).
//!
//! Keywords are matched ignoring ASCII case, where one can start: at the
//! start of an alphanumeric word not glued to an underscore (also right
//! after a JSON escape such as `\n`), at a non-ASCII character, or at a `-`, `:` or `=` for keywords
//! that begin with one (`-us`, `:aa`). The scan's SIMD bit masks give those
//! positions per 64-byte block; a bit table hashed from the first three
//! bytes of each keyword rejects nearly all of them with one lookup. A general
//! multi-pattern automaton over these ~120 case-insensitive keywords, many
//! of them CJK, measured several times slower on mixed text.

use std::ops::{ControlFlow, Range};
use std::sync::LazyLock;

use super::SecretKind;
use super::masks::{self, BLOCK};
use super::prose;
use super::rules::RULES;
use super::scan::Hit;

/// What a keyword starts.
#[derive(Clone, Copy)]
enum Target {
    /// A data rule, by index.
    Rule(usize),
    /// A prose secret word, by index in [`prose::WORDS`].
    Word(usize),
}

struct Keyword {
    /// Lower-case bytes.
    text: Vec<u8>,
    targets: Vec<Target>,
}

struct Triggers {
    /// Bit [`key`] is set when some keyword may start with those three
    /// bytes (two-byte keywords: with any third byte).
    table: Box<[u64; TABLE_WORDS]>,
    /// Keywords sorted by their first two bytes, for lookup after a hit.
    keywords: Vec<Keyword>,
    /// `pair` of each keyword's first two bytes, in the same order: a flat
    /// array to search without following each keyword's pointer.
    firsts: Vec<usize>,
}

static TRIGGERS: LazyLock<Triggers> = LazyLock::new(build);

const TABLE_BITS: u32 = 16;
const TABLE_WORDS: usize = (1 << TABLE_BITS) / 64;

/// Table index for the bytes `a b c`, folded to lower case: a hash, as
/// collisions only let a few more positions through to the exact compare.
#[inline(always)]
fn key(a: u8, b: u8, c: u8) -> usize {
    let x = u32::from(a.to_ascii_lowercase()) << 16
        | u32::from(b.to_ascii_lowercase()) << 8
        | u32::from(c.to_ascii_lowercase());
    (x.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)) as usize
}

/// Index of the byte pair `a b`, folded to lower case.
#[inline(always)]
fn pair(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

fn build() -> Triggers {
    let mut keywords: Vec<Keyword> = Vec::new();
    let mut add = |text: &str, target: Target| {
        let text = text.to_ascii_lowercase().into_bytes();
        match keywords.iter_mut().find(|k| k.text == text) {
            Some(k) => k.targets.push(target),
            None => keywords.push(Keyword {
                text,
                targets: vec![target],
            }),
        }
    };
    for (i, rule) in RULES.rules.iter().enumerate() {
        for k in &rule.keywords {
            add(k, Target::Rule(i));
        }
    }
    for (i, word) in prose::WORDS.iter().enumerate() {
        add(word.text, Target::Word(i));
    }
    keywords.sort_by_key(|k| pair(k.text[0], k.text[1]));
    let mut table = Box::new([0u64; TABLE_WORDS]);
    let mut set = |k: usize| table[k >> 6] |= 1 << (k & 63);
    for k in &keywords {
        let t = &k.text;
        match t.get(2) {
            Some(&c) => set(key(t[0], t[1], c)),
            None => (0..=255u8).for_each(|c| set(key(t[0], t[1], c))),
        }
    }
    let firsts = keywords
        .iter()
        .map(|k| pair(k.text[0], k.text[1]))
        .collect();
    Triggers {
        table,
        keywords,
        firsts,
    }
}

/// Whether a keyword may start with `first`: found at word starts,
/// non-ASCII characters, `-`, `:` and `=` only (see the module comment).
pub(crate) fn can_start(first: u8) -> bool {
    first.is_ascii_alphanumeric() || first >= 0xC0 || matches!(first, b'-' | b':' | b'=')
}

/// The line around `p`: the bytes between the line breaks before and after.
fn line_at(b: &[u8], p: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &b[..p]).map_or(0, |k| k + 1);
    let end = memchr::memchr(b'\n', &b[p..]).map_or(b.len(), |k| p + k);
    start..end
}

/// State of one pass: which lines each rule has searched already.
struct Pass<'a, F> {
    b: &'a [u8],
    emit: F,
    /// Per rule, the end of the last line it searched: a rule runs at most
    /// once per line however many of its keywords the line holds. Rule
    /// keywords are rare, so a short list beats a table per rule.
    searched: Vec<(usize, usize)>,
}

impl<F: FnMut(Hit) -> ControlFlow<()>> Pass<'_, F> {
    fn target(&mut self, target: Target, start: usize, end: usize) -> ControlFlow<()> {
        match target {
            Target::Word(w) => match prose::after_word(self.b, start, end, &prose::WORDS[w]) {
                Some(hit) => (self.emit)(hit),
                None => ControlFlow::Continue(()),
            },
            Target::Rule(r) => {
                let entry = self.searched.iter().position(|&(i, _)| i == r);
                if entry.is_some_and(|k| self.searched[k].1 > start) {
                    return ControlFlow::Continue(());
                }
                let line = line_at(self.b, start);
                match entry {
                    Some(k) => self.searched[k].1 = line.end + 1,
                    None => self.searched.push((r, line.end + 1)),
                }
                self.rule(r, line)
            }
        }
    }

    fn rule(&mut self, r: usize, line: Range<usize>) -> ControlFlow<()> {
        let rule = &RULES.rules[r];
        let mut flow = ControlFlow::Continue(());
        rule.scan_line(self.b, line, |span| {
            flow = (self.emit)(Hit {
                start: span.start,
                end: span.end,
                kind: SecretKind::Rule(rule.id.as_str()),
            });
            flow.is_continue()
        });
        flow
    }
}

/// Calls `emit` for each secret found from a keyword starting in `range`
/// (detectors read the whole lines around it). Hits come in keyword order
/// and may overlap each other and the scan's; the caller merges them.
/// Stops early when `emit` breaks.
pub(crate) fn find(b: &[u8], range: Range<usize>, emit: impl FnMut(Hit) -> ControlFlow<()>) {
    let t = &*TRIGGERS;
    let end = range.end.min(b.len().saturating_sub(1));
    if range.start >= end {
        return;
    }
    let mut pass = Pass {
        b,
        emit,
        searched: Vec::new(),
    };
    let mut prev = masks::before(b, range.start);
    let mut base = range.start;
    while base < end {
        let cur = masks::at(b, base);
        // Word starts, but not inside `snake_case` (`max_tokens`): no
        // keyword is looked for right after an underscore.
        let under = cur.word & !cur.alnum & !cur.dash;
        let prev_under = prev.word & !prev.alnum & !prev.dash;
        let glued = (cur.alnum | under) << 1 | (prev.alnum | prev_under) >> 63;
        let starts = cur.alnum & !glued;
        // A word two after a backslash: the word after a JSON `\n`, `\t`.
        let escaped = cur.alnum & ((cur.backslash << 2) | (prev.backslash >> 62));
        let mut todo = starts | escaped | cur.lead | cur.dash | cur.sep;
        if end - base < BLOCK {
            todo &= (1u64 << (end - base)) - 1;
        }
        // Branch-free pass over the candidates: which are in the table.
        let mut hits = 0u64;
        while todo != 0 {
            let k = todo.trailing_zeros() as usize;
            todo &= todo - 1;
            let i = base + k;
            let h = key(b[i], b[i + 1], b.get(i + 2).copied().unwrap_or(0));
            hits |= (t.table[h >> 6] >> (h & 63) & 1) << k;
        }
        while hits != 0 {
            let i = base + hits.trailing_zeros() as usize;
            hits &= hits - 1;
            if at(t, &mut pass, i, pair(b[i], b[i + 1])).is_break() {
                return;
            }
        }
        prev = cur;
        base += BLOCK;
    }
}

/// Every keyword starting at `i`, whose first pair is `p`.
#[cold]
#[inline(never)]
fn at<F: FnMut(Hit) -> ControlFlow<()>>(
    t: &Triggers,
    pass: &mut Pass<'_, F>,
    i: usize,
    p: usize,
) -> ControlFlow<()> {
    let b = pass.b;
    let first = t.firsts.partition_point(|&f| f < p);
    let count = t.firsts[first..].iter().take_while(|&&f| f == p).count();
    for k in &t.keywords[first..first + count] {
        let end = i + k.text.len();
        if end <= b.len() && b[i..end].eq_ignore_ascii_case(&k.text) {
            for &target in &k.targets {
                pass.target(target, i, end)?;
            }
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keywords `find` reaches in `text`, by starting position.
    fn reached(text: &str) -> Vec<String> {
        let t = &*TRIGGERS;
        let b = text.as_bytes();
        let mut seen = Vec::new();
        let mut prev = masks::before(b, 0);
        let mut base = 0;
        while base < b.len() {
            let cur = masks::at(b, base);
            let under = cur.word & !cur.alnum & !cur.dash;
            let prev_under = prev.word & !prev.alnum & !prev.dash;
            let glued = (cur.alnum | under) << 1 | (prev.alnum | prev_under) >> 63;
            let starts = cur.alnum & !glued;
            let escaped = cur.alnum & ((cur.backslash << 2) | (prev.backslash >> 62));
            let todo = starts | escaped | cur.lead | cur.dash | cur.sep;
            for k in 0..BLOCK {
                let i = base + k;
                if todo >> k & 1 == 0 || i + 1 >= b.len() {
                    continue;
                }
                for kw in &t.keywords {
                    let end = i + kw.text.len();
                    if end <= b.len() && b[i..end].eq_ignore_ascii_case(&kw.text) {
                        seen.push(String::from_utf8(kw.text.clone()).unwrap());
                    }
                }
            }
            prev = cur;
            base += BLOCK;
        }
        seen
    }

    #[test]
    fn keywords_are_reached_in_any_ascii_case() {
        let seen = reached("x HF_abc Token 密码 SK1 \\ntoken 1:AAx a-us1 end");
        for k in ["hf_", "token", "密码", "sk", ":aa", "-us"] {
            assert!(seen.iter().any(|s| s == k), "{k}: {seen:?}");
        }
        assert_eq!(seen.iter().filter(|s| *s == "token").count(), 2, "{seen:?}");
    }

    #[test]
    fn every_keyword_can_be_reached() {
        for k in &TRIGGERS.keywords {
            assert!(
                can_start(k.text[0]),
                "{:?}",
                String::from_utf8_lossy(&k.text)
            );
        }
    }
}
