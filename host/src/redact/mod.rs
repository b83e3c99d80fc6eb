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
mod rules;
mod scan;
mod triggers;
mod url;
mod value;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::{ControlFlow, Range};

pub use kind::SecretKind;

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
    let hits = with_repeats(text, hits);
    let mut counts = Redactions::default();
    let (mut out, mut markers) = replace(text, hits, &mut counts);
    // A marker changes what detectors see next to it (a word now ends at
    // `]`), so look again until nothing new turns up; `redact` of the result
    // then finds nothing. Only lines holding a marker can change: no
    // detector reads across a line break except a PEM block's search for
    // its end, which reads the real text.
    loop {
        let mut hits = Vec::new();
        for line in lines_with(&out, &markers) {
            hits.extend(find(&out, line));
        }
        if hits.is_empty() {
            return (Cow::Owned(out), counts);
        }
        (out, markers) = replace(&out, hits, &mut counts);
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

/// Shortest secret whose other occurrences are replaced too: shorter values
/// (PINs) would match ordinary text.
const MIN_REPEAT_BYTES: usize = 8;
/// Distinct secrets looked for again per text.
const MAX_REPEAT_VALUES: usize = 32;

/// `hits` plus every other occurrence of a secret they found: a value named once
/// (`PASSWORD=x`) is still the secret when it turns up again without its name.
fn with_repeats(text: &str, hits: Vec<scan::Hit>) -> Vec<scan::Hit> {
    let hits = scan::coalesce(hits);
    let mut more = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for h in &hits {
        let value = &text[h.start..h.end];
        // Each distinct value costs a pass over the text: a bounded number of them.
        if value.len() < MIN_REPEAT_BYTES
            || seen.contains(&value)
            || seen.len() >= MAX_REPEAT_VALUES
        {
            continue;
        }
        seen.push(value);
        for (at, _) in text.match_indices(value) {
            let end = at + value.len();
            // Coalesced hits are sorted and disjoint, so their ends rise: the first hit
            // ending after `at` is the only one that can overlap this occurrence.
            let next = hits.partition_point(|o| o.end <= at);
            if hits.get(next).is_none_or(|o| o.start >= end) {
                more.push(scan::Hit {
                    start: at,
                    end,
                    kind: h.kind,
                });
            }
        }
    }
    if more.is_empty() {
        return hits;
    }
    more.extend(hits);
    scan::coalesce(more)
}

/// Out of line: hits are rare, and inlining the push slows the scan loop.
#[cold]
#[inline(never)]
fn keep(hits: &mut Vec<scan::Hit>, hit: scan::Hit) {
    hits.push(hit);
}

/// Writes `text` with `hits` replaced by markers; returns it and where the
/// markers are in it.
fn replace(
    text: &str,
    hits: Vec<scan::Hit>,
    counts: &mut Redactions,
) -> (String, Vec<Range<usize>>) {
    let hits = scan::coalesce(hits);
    let mut out = String::with_capacity(text.len() + hits.len() * 16);
    let mut markers = Vec::with_capacity(hits.len());
    let mut pos = 0;
    for hit in hits {
        out.push_str(&text[pos..hit.start]);
        let start = out.len();
        out.push_str("[REDACTED:");
        out.push_str(hit.kind.name());
        out.push(']');
        markers.push(start..out.len());
        counts.record(hit.kind);
        pos = hit.end;
    }
    out.push_str(&text[pos..]);
    (out, markers)
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
