//! HTTP credentials: `Bearer <token>` anywhere, and the value of an
//! `Authorization` header whatever its scheme (Basic, Token, ...). The scheme
//! word stays so the text remains searchable.

use super::SecretKind;
use super::bytes::{is_blank, skip_blanks, span_while};
use super::scan::{Hit, refine};
use super::value::{is_dotted_path, is_env_name, is_placeholder, is_snake_ident};

/// RFC 7235 `token68` characters.
fn is_token68(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Credentials starting at `s`. In free text (`header == false`) they must
/// look like a token (letters and digits, 12+ chars) so prose such as
/// "bearer authentication" stays; inside an Authorization header any token
/// of 8+ chars that is not a word or a reference counts.
fn credentials(b: &[u8], s: usize, header: bool) -> Option<Hit> {
    let e = span_while(b, s, is_token68);
    let v = &b[s..e];
    if v.len() < 8 || !v[0].is_ascii_alphanumeric() {
        return None;
    }
    if is_placeholder(v) || is_env_name(v) || is_dotted_path(v) || is_snake_ident(v) {
        return None;
    }
    let digit = v.iter().any(u8::is_ascii_digit);
    let alpha = v.iter().any(u8::is_ascii_alphabetic);
    let symbol = v.iter().any(|c| matches!(c, b'+' | b'/' | b'='));
    let inner_upper = v[1..].iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let tokenish = if header {
        digit || symbol || v.len() >= 16 || (inner_upper && lower)
    } else {
        v.len() >= 12 && digit && alpha
    };
    tokenish.then(|| refine(b, s, e, SecretKind::BearerToken))
}

/// `Bearer <token>`; the word `bearer` (any case) spans `start..run_end`.
pub(crate) fn after_bearer(b: &[u8], start: usize, run_end: usize) -> Option<Hit> {
    if !b[start..run_end].eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let s = skip_blanks(b, run_end, 8);
    (s > run_end).then(|| credentials(b, s, false))?
}

/// The value of an Authorization header starting at `v` (after the
/// separator and blanks, possibly at an opening quote).
pub(crate) fn header_value(b: &[u8], v: usize) -> Option<Hit> {
    let mut s = v;
    if b[s..].starts_with(b"\\\"") {
        s += 2;
    } else if matches!(b.get(s), Some(b'"' | b'\'' | b'`')) {
        s += 1;
    }
    let scheme_end = span_while(b, s, |c| c.is_ascii_alphabetic());
    if scheme_end > s && b.get(scheme_end).is_some_and(|&c| is_blank(c)) {
        s = skip_blanks(b, scheme_end, 8);
    }
    credentials(b, s, true)
}
