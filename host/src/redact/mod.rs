//! Secret redaction for archived transcripts.
//!
//! Everything that reaches the search index passes through [`redact`]:
//! each secret becomes `[REDACTED:<kind>]` and all other bytes stay as they
//! were. Two passes find secrets:
//! - the scan: 64-byte blocks become bit masks (SSE2 on x86-64) marking the
//!   few positions worth a look (`:` and `=`, dots after a word, word
//!   starts opening 16+ token bytes, `B`/`b`, dashes) for the hand-written
//!   detectors (assignments, URLs, Bearer, PEM, the main vendors' tokens);
//! - the keyword pass ([`triggers`]): data rules in the gitleaks format
//!   (`assets/secret-rules.toml`, marker `[REDACTED:<rule id>]`) and
//!   secrets stated in prose in English, Chinese, Japanese and Korean
//!   (`the password is ...`, `密码是 ...`, `パスワードは ...`, `비밀번호는 ...`).
//!
//! Where two detectors cover the same bytes the spans merge, so no part of a
//! secret is left out, and the most specific kind names the marker.
//!
//! Rules for the unclear cases:
//! - Vendor tokens need their exact prefix, alphabet and length, and a body
//!   that looks random (`sk-` bodies need upper, lower and digits), so
//!   `sk-learn`, `sk-proj-my-app-name`, git SHAs, UUIDs and base64 stay.
//! - Placeholders stay: values holding `xxxx`, `****`, `...`, `<...>`, `${`,
//!   `{{`, `%s`, `your`, `example`, `placeholder`, `redacted`, `dummy`,
//!   `changeme`, or equal to a stand-in word (`password`, `secret`, `token`,
//!   `null`, `true`, `string`, ...); so do AWS's documented `...EXAMPLE` keys.
//! - `NAME=value`, `NAME: value`, `"name": "value"`, `--name=value`: the
//!   last dotted part of the name must hold a secret word (`token`,
//!   `secret`, `password`, `passwd`, `passphrase`, `apikey`, `api`/`private`/
//!   `access`/`secret`/`auth`... `key`, a final `pass`), not a plural
//!   (`max_tokens`), not ending in a metadata word (`_count`, `_file`,
//!   `_url`, `_id`, `_type`, ...) nor starting with a flag word (`max_`,
//!   `is_`, `has_`). The value is redacted, the name kept.
//! - Such values stay when empty, numbers of up to 15 digits (hex too),
//!   references (`$X`, `${X}`, `process.env.X`, `a::b`, calls, indexing,
//!   `ENV_NAMES`), paths, URLs, colours, or when they hold whitespace.
//!   Letters-only values count only for upper-case names and CLI flags
//!   (`PASSWORD=nodejs`), not in code (`default_token='Bearer'`). Quoted and
//!   upper-case-name values need 6+ chars; bare values after lower-case
//!   names (code) need 8+ with letters and digits. Bare values are ASCII and
//!   end at whitespace, quotes, brackets, `,|`, and at a `&` or `;` only
//!   where another parameter or command follows (`&state=`, `;Server=`,
//!   `&&`, `& `): `Tr0ub4dor&3xyz` is one value.
//! - Prose: a secret word, a link (`is`, `set to`, `:`, `是`, `改成`, `は`,
//!   `는`), then a value that looks like a credential: 6+ chars with a
//!   digit or symbol, or random-looking mixed case; digits alone only for
//!   passwords (6+) and PINs (4+); never words, technical terms
//!   (`base64-encoded`), versions, dates, references or placeholders.
//! - URL passwords are redacted whatever they look like, placeholders aside.
//! - `Bearer x` needs 12+ chars with letters and digits; an `Authorization`
//!   value takes any 8+ char token that is not a word.
//! - PEM: only private keys, with key material after the header; without an
//!   end line the block runs to the end of the text.
//! - A secret found once is replaced wherever its exact text appears again
//!   (values of 8+ bytes; shorter ones would match ordinary text), also
//!   where that occurrence overlaps another secret: the spans merge, and the
//!   merged text is looked for again ([`repeats`]).
//! - `redact` is idempotent: lines holding a new marker are scanned again
//!   until nothing changes.

mod assign;
mod auth;
mod bytes;
mod credential;
mod kind;
mod masks;
mod names;
mod pem;
mod prefixed;
mod prose;
mod repeats;
mod rules;
mod scan;
mod triggers;
mod url;
mod value;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::{ControlFlow, Range};

pub use kind::SecretKind;
use repeats::Repeats;

/// How many secrets a call replaced, overall and per kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redactions {
    pub total: usize,
    pub by_kind: BTreeMap<SecretKind, usize>,
}

impl Redactions {
    /// Adds `other`'s counts to `self` (for totals across many texts).
    pub fn merge(&mut self, other: &Redactions) {
        self.total += other.total;
        for (kind, n) in &other.by_kind {
            *self.by_kind.entry(*kind).or_insert(0) += n;
        }
    }

    fn record(&mut self, kind: SecretKind) {
        self.total += 1;
        *self.by_kind.entry(kind).or_insert(0) += 1;
    }

    /// True when nothing was replaced.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// Replaces every secret in `text` with `[REDACTED:<kind-name>]` and counts what it replaced.
/// Returns `Cow::Borrowed` when nothing was found (the common case, no allocation).
pub fn redact(text: &str) -> (Cow<'_, str>, Redactions) {
    let hits = find(text, 0..text.len());
    if hits.is_empty() {
        return (Cow::Borrowed(text), Redactions::default());
    }
    // Spans stay in `text`'s offsets, so a span's value is always the input
    // it stands for, whichever pass found it.
    let mut repeats = Repeats::new(text);
    let mut spans = repeats.close(hits);
    let mut scanned: Vec<scan::Hit> = Vec::new();
    // A marker changes what detectors see next to it (a word now ends at
    // `]`), so look again until nothing new turns up; `redact` of the result
    // then finds nothing. Only lines holding a new marker can change: no
    // detector reads across a line break except a PEM block's search for
    // its end, which reads the real text.
    loop {
        let (out, markers) = replace(text, &spans);
        let cut = repeats.across_markers(&out, &markers);
        if !cut.is_empty() {
            let found: Vec<_> = cut.iter().map(|h| in_input(h, &spans, &markers)).collect();
            spans = repeats.close(spans.into_iter().chain(found).collect());
            continue;
        }
        let fresh: Vec<Range<usize>> = spans
            .iter()
            .zip(&markers)
            .filter(|(span, _)| {
                !scanned
                    .binary_search_by_key(&span.start, |s| s.start)
                    .is_ok_and(|i| scanned[i] == **span)
            })
            .map(|(_, marker)| marker.clone())
            .collect();
        let mut hits = Vec::new();
        for line in lines_with(&out, &fresh) {
            hits.extend(find(&out, line));
        }
        if hits.is_empty() {
            let mut counts = Redactions::default();
            for span in &spans {
                counts.record(span.kind);
            }
            return (Cow::Owned(out), counts);
        }
        let found: Vec<_> = hits.iter().map(|h| in_input(h, &spans, &markers)).collect();
        scanned = std::mem::take(&mut spans);
        spans = repeats.close(scanned.iter().copied().chain(found).collect());
    }
}

fn find(text: &str, range: Range<usize>) -> Vec<scan::Hit> {
    let mut hits = Vec::new();
    scan::scan(text.as_bytes(), range.clone(), |hit| {
        keep(&mut hits, hit);
        ControlFlow::Continue(())
    });
    triggers::find(text.as_bytes(), range, |hit| {
        keep(&mut hits, hit);
        ControlFlow::Continue(())
    });
    hits
}

/// Out of line: hits are rare, and inlining the push slows the scan loop.
#[cold]
#[inline(never)]
fn keep(hits: &mut Vec<scan::Hit>, hit: scan::Hit) {
    hits.push(hit);
}

/// Writes `text` with `spans` (sorted, disjoint) replaced by markers;
/// returns it and where each span's marker is in it.
fn replace(text: &str, spans: &[scan::Hit]) -> (String, Vec<Range<usize>>) {
    let mut out = String::with_capacity(text.len() + spans.len() * 16);
    let mut markers = Vec::with_capacity(spans.len());
    let mut pos = 0;
    for span in spans {
        out.push_str(&text[pos..span.start]);
        let start = out.len();
        out.push_str("[REDACTED:");
        out.push_str(span.kind.name());
        out.push(']');
        markers.push(start..out.len());
        pos = span.end;
    }
    out.push_str(&text[pos..]);
    (out, markers)
}

/// `hit`, found in the output of [`replace`], in the input's offsets: a hit
/// that reaches into a marker takes the whole span the marker stands for.
fn in_input(hit: &scan::Hit, spans: &[scan::Hit], markers: &[Range<usize>]) -> scan::Hit {
    let start = match markers.partition_point(|m| m.start <= hit.start) {
        0 => hit.start,
        k if hit.start < markers[k - 1].end => spans[k - 1].start,
        k => hit.start - markers[k - 1].end + spans[k - 1].end,
    };
    let end = match markers.partition_point(|m| m.start < hit.end) {
        0 => hit.end,
        k if hit.end <= markers[k - 1].end => spans[k - 1].end,
        k => hit.end - markers[k - 1].end + spans[k - 1].end,
    };
    scan::Hit {
        start,
        end,
        kind: hit.kind,
    }
}

/// The distinct lines of `text` that hold a marker, in order.
fn lines_with(text: &str, markers: &[Range<usize>]) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut lines: Vec<Range<usize>> = Vec::new();
    for m in markers {
        if lines.last().is_some_and(|l| l.end >= m.end) {
            continue;
        }
        let start = b[..m.start]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |k| k + 1);
        let end = b[m.end..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |k| m.end + k);
        match lines.last_mut() {
            Some(last) if last.end >= start => last.end = end,
            _ => lines.push(start..end),
        }
    }
    lines
}

/// True when `text` holds something `redact` would replace (used to withhold memory lines).
pub fn contains_secret(text: &str) -> bool {
    let mut found = false;
    let stop = |found: &mut bool| {
        *found = true;
        ControlFlow::Break(())
    };
    scan::scan(text.as_bytes(), 0..text.len(), |_| stop(&mut found));
    if !found {
        triggers::find(text.as_bytes(), 0..text.len(), |_| stop(&mut found));
    }
    found
}
