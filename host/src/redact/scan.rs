//! The single pass over the text. For each 64-byte block, bit masks mark
//! the few positions worth a look: separators (`:`, `=`), dots after a word
//! (`xoxe.`, `hooks.`), and word starts that begin a run of 16+ token
//! bytes, a `B`/`b` (Bearer) or a `-` (PEM). Everything else is skipped
//! without a branch, so text without secrets costs little.

use std::ops::{ControlFlow, Range};

use super::SecretKind;
use super::bytes::{is_word, span_while_max};
use super::masks::{self, BLOCK, Masks};
use super::{assign, auth, pem, prefixed, url};

/// A secret's byte span and kind. Spans always start and end next to ASCII
/// bytes (or at the text's ends), so they are valid `str` boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub kind: SecretKind,
}

/// Names the value `start..end` by the vendor token it begins with, if any
/// (`GITHUB_TOKEN=ghp_...` counts as a GitHub token), widening the span to
/// cover that whole token.
pub(crate) fn refine(b: &[u8], start: usize, end: usize, kind: SecretKind) -> Hit {
    match prefixed::token_at(b, start) {
        Some(t) => Hit {
            start,
            end: end.max(t.end),
            kind: t.kind,
        },
        None => Hit { start, end, kind },
    }
}

/// Positions in the block at `base` that deserve a detector.
fn candidates(prev: &Masks, cur: &Masks, next: &Masks) -> u64 {
    // Bit k: byte k-1 is a word byte.
    let after_word = (cur.word << 1) | (prev.word >> 63);
    let starts = cur.word & !after_word;
    // A word byte two after a backslash: the word after a JSON `\n`, `\t`.
    let after_escape = cur.word & after_word & ((cur.backslash << 2) | (prev.backslash >> 62));
    // Bit k: bytes k..k+16 are all word bytes.
    let w = u128::from(cur.word) | u128::from(next.word) << 64;
    let mut long = w & (w >> 1);
    long &= long >> 2;
    long &= long >> 4;
    long &= long >> 8;
    // The first of a run of dashes, even inside a word: `-----BEGIN`.
    let dashes = cur.dash & !((cur.dash << 1) | (prev.dash >> 63));
    let wordy = (starts | after_escape) & (long as u64 | cur.bee);
    wordy | dashes | cur.sep | (cur.dot & after_word)
}

/// Detectors for a word starting at `i` (a run start, just after an
/// escape such as `\n`, or just after a secret). Other than `B`/`b` and `-`
/// words, candidates are runs of 16+ bytes, which need no measuring:
/// prefixed tokens only walk their body once the prefix matched.
fn word_at(b: &[u8], i: usize) -> Option<Hit> {
    let word_end = |len: usize| i + len <= b.len() && !b.get(i + len).is_some_and(|&c| is_word(c));
    match b[i] {
        b'B' | b'b' if word_end(6) => auth::after_bearer(b, i, i + 6),
        b'-' if b[i..].starts_with(b"-----BEGIN") && word_end(10) => pem::block(b, i, i + 10),
        _ => prefixed::token_at(b, i),
    }
}

/// Detectors for short words that need a dot: `xoxe.` and
/// `hooks.slack.com`; `dot` is the dot's index. The word may not reach
/// back before `floor`.
fn before_dot(b: &[u8], dot: usize, floor: usize) -> Option<Hit> {
    let reach = (dot - floor).min(6);
    let len = (0..reach).take_while(|&k| is_word(b[dot - 1 - k])).count();
    let mut s = dot - len;
    if s > floor && is_word(b[s - 1]) {
        return None;
    }
    if s > floor && b[s - 1] == b'\\' && len > 1 && matches!(b[s], b'n' | b't' | b'r') {
        s += 1;
    }
    match &b[s..dot] {
        b"xoxe" => prefixed::token_at(b, s),
        b"hooks" => url::slack_webhook(b, s, dot),
        _ => None,
    }
}

/// A secret right after the one that ended at `end`, inside the same word
/// (`...-----END KEY-----ghp_...`). Redaction puts `]` there, so a second
/// pass would see a new word; looking now keeps `redact` idempotent.
fn after_secret(b: &[u8], end: usize) -> Option<Hit> {
    if end == 0 || end >= b.len() || !is_word(b[end - 1]) || !is_word(b[end]) {
        return None;
    }
    word_at(b, end).or_else(|| {
        let dot = span_while_max(b, end, 6, is_word);
        (b.get(dot) == Some(&b'.')).then(|| before_dot(b, dot, end))?
    })
}

/// Calls `emit` for each secret that starts at a candidate in `range`, in
/// order of position; spans never overlap. Detectors still read the whole
/// text around the range. Stops early when `emit` breaks.
pub(crate) fn scan(b: &[u8], range: Range<usize>, mut emit: impl FnMut(Hit) -> ControlFlow<()>) {
    // `floor`: end of the last secret; candidates before it lie inside it
    // and detectors do not read back past it. `covered`: separators before
    // it lie inside a bare value already judged.
    let mut floor = range.start;
    let mut covered = range.start;
    let mut prev = masks::before(b, range.start);
    let mut cur = masks::at(b, range.start);
    let mut base = range.start;
    while base < range.end {
        let next = masks::at(b, base + BLOCK);
        let mut todo = candidates(&prev, &cur, &next);
        while todo != 0 {
            let i = base + todo.trailing_zeros() as usize;
            todo &= todo - 1;
            if i >= range.end {
                return;
            }
            if i < floor {
                continue;
            }
            let mut found = [None, None];
            match b[i] {
                b':' if b[i + 1..].starts_with(b"//") => found = url::credentials(b, i, floor),
                b':' | b'=' if i >= covered => {
                    let (hit, end) = assign::at_separator(b, i, floor);
                    found[0] = hit;
                    covered = end;
                }
                b':' | b'=' => {}
                b'.' => found[0] = before_dot(b, i, floor),
                _ => found[0] = word_at(b, i),
            }
            let mut pending = found.into_iter().flatten();
            while let Some(hit) = pending
                .next()
                .or_else(|| after_secret(b, floor).filter(|_| floor > i))
            {
                if emit(hit).is_break() {
                    return;
                }
                floor = floor.max(hit.end);
            }
        }
        prev = cur;
        cur = next;
        base += BLOCK;
    }
}

/// Orders hits and merges any that overlap into one span covering them
/// all, so no part of a secret is left out; the merged span takes the most
/// specific kind (the first one's on a tie). The scan yields its own hits
/// sorted and disjoint, but keyword detectors (data rules, prose) may cover
/// the same bytes.
pub(crate) fn coalesce(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match out.last_mut() {
            Some(last) if h.start < last.end => {
                last.end = last.end.max(h.end);
                if h.kind.specificity() > last.kind.specificity() {
                    last.kind = h.kind;
                }
            }
            _ => out.push(h),
        }
    }
    out
}
