//! Secrets inside URLs: `scheme://user:password@host` passwords and Slack
//! incoming-webhook paths.

use super::SecretKind;
use super::bytes::{span_while, span_while_max};
use super::prefixed::token_at;
use super::scan::{Hit, refine};
use super::value::is_placeholder;

const MAX_AUTHORITY: usize = 1024;

fn is_scheme(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')
}

/// Bytes that may appear in a URL authority as written in text.
fn is_authority(c: u8) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'\\'
        )
}

/// For the `:` of `scheme://`, the password in `user:password@host` (and a
/// token used as the user name, which the scan would otherwise jump over).
/// The scheme does not reach back before `floor`.
pub(crate) fn credentials(b: &[u8], colon: usize, floor: usize) -> [Option<Hit>; 2] {
    let none = [None, None];
    let reach = (colon - floor).min(32);
    let scheme = colon
        - (0..reach)
            .take_while(|&k| is_scheme(b[colon - 1 - k]))
            .count();
    if scheme == colon || !b[scheme].is_ascii_alphabetic() {
        return none;
    }
    let a = colon + 3;
    let end = span_while_max(b, a, MAX_AUTHORITY, is_authority);
    let Some(at) = b[a..end].iter().rposition(|&c| c == b'@').map(|k| a + k) else {
        return none;
    };
    let Some(sep) = b[a..at].iter().position(|&c| c == b':').map(|k| a + k) else {
        return none;
    };
    let pw = &b[sep + 1..at];
    // Brackets are not allowed in user info: there they mark a redaction.
    let bracket = b[a..at].iter().any(|&c| c == b'[' || c == b']');
    if at + 1 == end || bracket || pw.is_empty() || pw[0] == b'$' || is_placeholder(pw) {
        return none;
    }
    let user = token_at(b, a).filter(|h| h.end <= sep);
    [user, Some(refine(b, sep + 1, at, SecretKind::UrlPassword))]
}

/// `hooks.slack.com/services/T../B../<secret>`: the word `hooks` spans
/// `start..run_end`; the path after the route is redacted, the host kept.
pub(crate) fn slack_webhook(b: &[u8], start: usize, run_end: usize) -> Option<Hit> {
    if &b[start..run_end] != b"hooks" || !b[run_end..].starts_with(b".slack.com/") {
        return None;
    }
    let route = run_end + b".slack.com/".len();
    let body = [&b"services/"[..], b"workflows/", b"triggers/"]
        .iter()
        .find(|r| b[route..].starts_with(r))
        .map(|r| route + r.len())?;
    let end = span_while(b, body, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-')
    });
    let path = &b[body..end];
    let real = path.len() >= 20 && path.iter().any(u8::is_ascii_digit) && !is_placeholder(path);
    real.then_some(Hit {
        start: body,
        end,
        kind: SecretKind::SlackToken,
    })
}
