//! `NAME=value`, `NAME: value`, `export NAME="value"`, `"name": "value"`,
//! `--password=value`, `name: Type = "value"`: when the name labels a
//! secret, the value is redacted and the name kept, so the text can still be
//! found by the variable name.

use super::SecretKind;
use super::auth;
use super::bytes::{contains_ci, is_blank, skip_blanks, span_while};
use super::names::{NAME, NAME_BYTE, NameClass, classify_hinted};
use super::scan::{Hit, refine};
use super::value::{
    is_color, is_dotted_path, is_env_name, is_number, is_path, is_placeholder, is_snake_ident,
    is_wordlike,
};

const MAX_NAME: usize = 128;
const MAX_QUOTED: usize = 4096;
/// Bare values longer than this are judged once, not again from each
/// separator inside them.
const LONG_BARE: usize = 256;

/// Characters of an unquoted value; the rest end it (quotes, brackets,
/// separators of lists and shell pipelines). `&` and `;` are judged in
/// [`bare_end`].
fn is_bare_value(c: u8) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
                | b'\\'
                | b'|'
                | b'&'
        )
}

/// Whether the `&` or `;` at `p` separates what follows (`a&&b`, `a & b`,
/// `x=1&state=2`, `Password=x;Server=y`, `&amp;`) rather than belonging to
/// the value (`Tr0ub4dor&3xyz`): a value must never end inside a secret.
pub(crate) fn separates(b: &[u8], p: usize) -> bool {
    let next = p + 1;
    if !b.get(next).is_some_and(|&c| is_bare_value(c)) {
        return true;
    }
    // The start of another `name=` parameter.
    let name_end = span_while(b, next, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']')
    });
    name_end > next && matches!(b.get(name_end), Some(b'=' | b';'))
}

/// End of the unquoted value starting at `v`.
fn bare_end(b: &[u8], v: usize) -> usize {
    let mut e = span_while(b, v, is_bare_value);
    while matches!(b.get(e), Some(b'&' | b';')) && !separates(b, e) {
        e = span_while(b, e + 1, is_bare_value);
    }
    e
}

/// Index just after the separator at `p`, or `None` for operators that only
/// look like one (`==`, `!=`, `+=`, `::`, `a:b` inside paths).
fn after_separator(b: &[u8], p: usize) -> Option<usize> {
    let prev = p.checked_sub(1).map(|j| b[j]);
    let next = b.get(p + 1).copied();
    if b[p] == b'=' {
        let compound = matches!(
            prev,
            Some(
                b'=' | b'!'
                    | b'<'
                    | b'>'
                    | b'+'
                    | b'-'
                    | b'*'
                    | b'/'
                    | b'%'
                    | b'&'
                    | b'|'
                    | b'^'
                    | b':'
                    | b'~'
                    | b'?'
            )
        );
        if compound || next == Some(b'=') {
            return None;
        }
        return Some(if next == Some(b'>') { p + 2 } else { p + 1 });
    }
    if next == Some(b':') || prev == Some(b':') {
        return None;
    }
    Some(if next == Some(b'=') { p + 2 } else { p + 1 })
}

/// The name before the separator at `p`, not reaching before `floor`:
/// `(start, end, is_cli_flag, hint)`, where `hint` holds the keyword hints
/// of the name's last dotted part (see [`NAME_BYTE`]).
fn name_before(b: &[u8], p: usize, floor: usize) -> Option<(usize, usize, bool, u8)> {
    let mut j = p;
    while j > floor && p - j < 16 && is_blank(b[j - 1]) {
        j -= 1;
    }
    if j > floor && matches!(b[j - 1], b'"' | b'\'' | b'`') {
        j -= 1;
        if b[j] == b'"' && j > floor && b[j - 1] == b'\\' {
            j -= 1;
        }
    }
    let end = j;
    let (mut hint, mut live) = (0u8, !NAME);
    while j > floor && end - j < MAX_NAME {
        let t = NAME_BYTE[b[j - 1] as usize];
        if t & NAME == 0 {
            break;
        }
        hint |= t & live;
        if b[j - 1] == b'.' {
            live = 0;
        }
        j -= 1;
    }
    // `\n`, `\t` of a JSON-escaped string are not part of the name.
    if j > floor && b[j - 1] == b'\\' && j < end && matches!(b[j], b'n' | b't' | b'r') {
        j += 1;
    }
    let flag = b[j..end].starts_with(b"--");
    while j < end && matches!(b[j], b'-' | b'.') {
        j += 1;
    }
    (j < end).then_some((j, end, flag, hint))
}

/// `name: Type = value`: skips the type annotation, returning where the
/// value begins. The type must be followed by ` =`, which YAML values and
/// header values practically never are.
fn skip_annotation(b: &[u8], v: usize) -> Option<usize> {
    let t = span_while(b, v, |c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'_' | b'<' | b'>' | b'[' | b']' | b'&' | b'\'' | b':' | b'.' | b'?'
            )
    });
    if t == v || t - v > 64 || !b.get(t).is_some_and(|&c| is_blank(c)) {
        return None;
    }
    let eq = skip_blanks(b, t, 8);
    let op = (b.get(eq) == Some(&b'=')).then(|| after_separator(b, eq))??;
    (op == eq + 1).then(|| skip_blanks(b, op, 16))
}

/// A quoted value at `v`: the span of its contents, or `None` when `v` is
/// not a quote or the string does not close on the same line.
fn quoted(b: &[u8], v: usize) -> Option<(usize, usize)> {
    if b[v..].starts_with(b"\\\"") {
        // A string inside a JSON-escaped string: `\"value\"`.
        let s = v + 2;
        let limit = (s + MAX_QUOTED).min(b.len());
        let mut j = s;
        while j + 1 < limit && b[j] != b'\n' {
            if b[j] == b'\\' && b[j + 1] == b'"' {
                return Some((s, j));
            }
            j += 1;
        }
        return None;
    }
    let q = *b.get(v)?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    let s = v + 1;
    let limit = (s + MAX_QUOTED).min(b.len());
    let mut j = s;
    while j < limit && b[j] != b'\n' {
        if b[j] == b'\\' && q != b'\'' {
            j += 2;
            continue;
        }
        if b[j] == q {
            return Some((s, j));
        }
        j += 1;
    }
    None
}

/// Rejections shared by quoted and bare values: stand-ins, templates,
/// numbers, code paths (`a.b.c`, `a::b`), colours, URLs and file paths.
fn is_ordinary(v: &[u8]) -> bool {
    matches!(v[0], b'$' | b'%' | b'[' | b'{' | b'<')
        || is_number(v)
        || is_dotted_path(v)
        || is_env_name(v)
        || is_path(v)
        || is_color(v)
        || v.windows(2).any(|w| w == b"::")
        || contains_ci(v, b"://")
        || is_placeholder(v)
}

/// 40 base64 characters: the shape of an AWS secret access key.
fn is_aws_secret(v: &[u8]) -> bool {
    v.len() == 40
        && v.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// A sensitive name before the separator at `p`, and where its value starts.
struct Target<'a> {
    name: &'a [u8],
    flag: bool,
    class: NameClass,
    value: usize,
}

fn target(b: &[u8], p: usize, floor: usize) -> Option<Target<'_>> {
    let after = after_separator(b, p)?;
    let (ns, ne, flag, hint) = name_before(b, p, floor)?;
    let name = &b[ns..ne];
    let class = classify_hinted(name, hint)?;
    let mut value = skip_blanks(b, after, 16);
    if b[p] == b':'
        && value < b.len()
        && let Some(typed) = skip_annotation(b, value)
    {
        value = typed;
    }
    (value < b.len()).then_some(Target {
        name,
        flag,
        class,
        value,
    })
}

/// Whether the literal `s..e` assigned to `t` is a secret.
fn judge(b: &[u8], t: &Target, s: usize, e: usize, quoted: bool) -> Option<Hit> {
    let val = &b[s..e];
    if val.is_empty() {
        return None;
    }
    if t.class == NameClass::AwsSecret && is_aws_secret(val) && !is_placeholder(val) {
        return Some(refine(b, s, e, SecretKind::AwsSecretKey));
    }
    if val.iter().any(u8::is_ascii_whitespace) || is_ordinary(val) {
        return None;
    }
    // Upper-case (environment) names and CLI flags are configuration.
    let config = t.flag || !t.name.iter().any(u8::is_ascii_lowercase);
    // Letters alone (`challengePassword`, `single_pass`, `Bearer`) are words
    // and identifiers in code. Only configuration may hold such a password,
    // and not an all-caps constant (`TOKEN_ENDS = TSPECIALS`).
    if is_wordlike(val) && !(config && val.iter().any(u8::is_ascii_lowercase)) {
        return None;
    }
    // Quoted literals are data; a bare value after a lower-case name is
    // usually code (`token = tok2`) and must look generated: 8+ chars with
    // letters and digits.
    let strict = quoted || config;
    let plausible = if strict {
        val.len() >= 6
    } else {
        val.len() >= 8
            && val.iter().any(u8::is_ascii_digit)
            && val.iter().any(u8::is_ascii_alphabetic)
            && !is_snake_ident(val)
    };
    plausible.then(|| refine(b, s, e, SecretKind::EnvAssignment))
}

/// A secret assigned with `=` or `:` at `p`, if the name labels one and the
/// value is a literal that could be a secret; the name does not reach back
/// before `floor`. Also returns the index before which later separators
/// need no look: the end of a long bare value just judged, so that
/// `token=token=token=...` stays linear. Short values are not skipped, as
/// in `api_key = DB_PASSWORD="..."` the inner assignment is the real one.
pub(crate) fn at_separator(b: &[u8], p: usize, floor: usize) -> (Option<Hit>, usize) {
    let Some(t) = target(b, p, floor) else {
        return (None, p + 1);
    };
    let v = t.value;
    if t.class == NameClass::Authorization {
        return (auth::header_value(b, v), p + 1);
    }
    if let Some((s, e)) = quoted(b, v) {
        return (judge(b, &t, s, e, true), p + 1);
    }
    // YAML anchors, aliases, tags and comments; pointers and refs in code.
    if matches!(b[v], b'&' | b'*' | b'!' | b'#' | b'@') {
        return (None, p + 1);
    }
    let e = bare_end(b, v);
    let covered = if e - v > LONG_BARE { e } else { p + 1 };
    if matches!(b.get(e), Some(b'(' | b'[' | b'{')) {
        return (None, covered); // a call or an index: code, not a literal
    }
    (judge(b, &t, v, e, false), covered)
}
