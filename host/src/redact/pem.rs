//! PEM private key blocks, `-----BEGIN <label> PRIVATE KEY-----` through the
//! matching `-----END ...-----`. Public keys and certificates are left alone.

use super::SecretKind;
use super::bytes::{find, span_while_max};
use super::scan::Hit;

fn is_label(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// The label after `-----BEGIN ` / `-----END ` at `from`, and the index
/// after its closing dashes.
fn label_at(b: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let end = span_while_max(b, from, 65, is_label);
    (end - from <= 64 && b[end..].starts_with(b"-----")).then(|| (trim_end(&b[from..end]), end + 5))
}

fn is_private(label: &[u8]) -> bool {
    label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")
}

/// Whether key material follows the header ending at `from`: base64 or a
/// `Name: value` header line (`Proc-Type:`, `Version:`), after line breaks
/// (real or JSON-escaped). A header alone, as in a PEM parser's source
/// (`b"-----BEGIN ... KEY-----"`), is not a key.
fn has_body(b: &[u8], mut from: usize) -> bool {
    loop {
        match b.get(from..from + 2) {
            Some(b"\\n" | b"\\r") => from += 2,
            _ if b.get(from).is_some_and(u8::is_ascii_whitespace) => from += 1,
            _ => break,
        }
    }
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    let field = span_while_max(b, from, 32, |c| c.is_ascii_alphanumeric() || c == b'-');
    (field > from && b[field..].starts_with(b": "))
        || span_while_max(b, from, 16, is_b64) - from >= 16
}

/// A private key block whose `-----BEGIN` word spans `start..run_end`.
/// Without an end line the block runs to the end of the text: a truncated
/// key is still a key.
pub(crate) fn block(b: &[u8], start: usize, run_end: usize) -> Option<Hit> {
    if &b[start..run_end] != b"-----BEGIN" || b.get(run_end) != Some(&b' ') {
        return None;
    }
    let (label, mut from) = label_at(b, run_end + 1)?;
    if !is_private(label) || !has_body(b, from) {
        return None;
    }
    let end = loop {
        let Some(p) = find(b, b"-----END ", from) else {
            break b.len();
        };
        match label_at(b, p + 9) {
            Some((l, after)) if is_private(l) => break after,
            _ => from = p + 9,
        }
    };
    Some(Hit {
        start,
        end,
        kind: SecretKind::PemPrivateKey,
    })
}
