//! Heuristics that decide whether a candidate value is a real secret or an
//! obvious stand-in (placeholder, reference, number, identifier).

use super::bytes::starts_with_ci;

/// Whole values that are stand-ins, not secrets (compared case-insensitively).
const PLACEHOLDER_WORDS: &str = "changeme change_me change-me password passwd pass secret \
    token apikey api_key api-key secret_key access_token null none nil true false undefined \
    example placeholder redacted dummy test testing todo tbd string str int number bool \
    boolean bytes object any optional required empty default yes no on off hidden masked \
    value foo bar baz foobar user username";

/// Fragments that mark a value as a stand-in wherever they appear, looked
/// up by their first (lower-cased) byte so a value is read once.
fn placeholder_parts(first: u8) -> &'static [&'static [u8]] {
    match first {
        b'x' => &[b"xxxx"],
        b'*' => &[b"****"],
        b'.' => &[b"..."],
        0xE2 => &[b"\xE2\x80\xA6"], // …
        b'<' => &[b"<"],
        b'>' => &[b">"],
        b'$' => &[b"${"],
        b'{' => &[b"{{"],
        b'}' => &[b"}}"],
        b'%' => &[b"%s", b"%("],
        b'#' => &[b"#{"],
        b'y' => &[b"your"],
        b'e' => &[b"example"],
        b'p' => &[b"placeholder"],
        b'r' => &[b"redacted", b"replace_me", b"replaceme"],
        b'd' => &[b"dummy"],
        b'c' => &[b"changeme", b"change_me"],
        b'i' => &[b"insert_"],
        _ => &[],
    }
}

/// True for values that only stand in for a secret.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    if v.is_empty() || v.iter().all(|&c| c == v[0]) {
        return true;
    }
    let word = |w: &str| v.eq_ignore_ascii_case(w.as_bytes());
    if v.len() <= 16 && PLACEHOLDER_WORDS.split_ascii_whitespace().any(word) {
        return true;
    }
    if DOCUMENTED_EXAMPLES.iter().any(|e| v == e.as_bytes()) {
        return true;
    }
    (0..v.len()).any(|i| {
        let rest = &v[i..];
        placeholder_parts(rest[0].to_ascii_lowercase())
            .iter()
            // "example" inside a long random value is no stand-in: it is how a
            // key copied from documentation and then altered looks.
            .any(|p| starts_with_ci(rest, p) && !(p == b"example" && v.len() >= LONG_VALUE))
    })
}

/// Values at least this long are judged by their shape, not by an "example" inside.
const LONG_VALUE: usize = 24;

/// Keys printed in vendors' documentation, which stay as they are.
const DOCUMENTED_EXAMPLES: [&str; 2] = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

/// A plain number of at most 15 digits (`4096`, `-1`, `0.75`, `1_000`,
/// `0x000D`): limits, counts, ports and constants, not secrets. Longer digit
/// strings may be numeric tokens.
pub(crate) fn is_number(v: &[u8]) -> bool {
    if let Some(hex) = v.strip_prefix(b"0x").or(v.strip_prefix(b"0X")) {
        return (1..=16).contains(&hex.len()) && hex.iter().all(u8::is_ascii_hexdigit);
    }
    let body = v.strip_prefix(b"-").or(v.strip_prefix(b"+")).unwrap_or(v);
    let digits = body.iter().filter(|c| c.is_ascii_digit()).count();
    !body.is_empty()
        && body[0].is_ascii_digit()
        && digits <= 15
        && body
            .iter()
            .all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'_' | b','))
}

fn is_ident(seg: &[u8]) -> bool {
    !seg.is_empty()
        && (seg[0].is_ascii_alphabetic() || seg[0] == b'_')
        && seg.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `process.env.API_KEY`, `self.token`, `settings.SECRET_KEY`: code references.
pub(crate) fn is_dotted_path(v: &[u8]) -> bool {
    v.contains(&b'.') && v.split(|&c| c == b'.').all(is_ident)
}

/// `GITHUB_TOKEN`, `MY_SECRET`, `__X32_BIT`: the name of a variable or
/// constant holding the value.
pub(crate) fn is_env_name(v: &[u8]) -> bool {
    let name = &v[v.iter().take_while(|&&c| c == b'_').count()..];
    v.contains(&b'_')
        && name.first().is_some_and(u8::is_ascii_uppercase)
        && name
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// `api_key_v2`, `token2`: lowercase snake-case identifiers read as code.
pub(crate) fn is_snake_ident(v: &[u8]) -> bool {
    v.first().is_some_and(u8::is_ascii_lowercase)
        && v.contains(&b'_')
        && v.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Letters, `_` and `-` only: a word or an identifier.
pub(crate) fn is_wordlike(v: &[u8]) -> bool {
    v.iter()
        .all(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'-')
}

/// `#fff`, `#d0d0d0`, `#AB0909ff`: colours in style sheets and themes.
pub(crate) fn is_color(v: &[u8]) -> bool {
    v[0] == b'#' && matches!(v.len(), 4 | 5 | 7 | 9) && v[1..].iter().all(u8::is_ascii_hexdigit)
}

/// `./x`, `../x`, `~/x`, `/run/secrets/db`: file paths, not secrets.
pub(crate) fn is_path(v: &[u8]) -> bool {
    if v.starts_with(b"./") || v.starts_with(b"../") || v.starts_with(b"~/") {
        return true;
    }
    v.len() > 1
        && v[0] == b'/'
        && v[1..].contains(&b'/')
        && v[1].is_ascii_alphabetic()
        && v.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'.'))
}

/// Random-looking token body: enough distinct characters, a letter, and a
/// digit when `digit` is set. Rejects kebab-case words and repeated filler.
pub(crate) fn looks_random(body: &[u8], digit: bool) -> bool {
    let mut seen = [false; 128];
    let mut distinct = 0;
    let (mut has_digit, mut has_alpha) = (false, false);
    for &c in body {
        if c < 128 && !seen[c as usize] {
            seen[c as usize] = true;
            distinct += 1;
        }
        has_digit |= c.is_ascii_digit();
        has_alpha |= c.is_ascii_alphabetic();
    }
    let needed = (body.len() / 2).min(10);
    distinct >= needed && has_alpha && (has_digit || !digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for v in [
            "changeme",
            "xxxxxxxx",
            "sk-...",
            "<your-key>",
            "${OPENAI_API_KEY}",
            "********",
            "your_api_key_here",
            "aaaaaaaaaaaa",
            "",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        for v in ["hunter22", "s3cr3t!pw", "Zq8vK2pLm9"] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn shapes() {
        assert!(is_number(b"4096"));
        assert!(is_number(b"-1.5"));
        assert!(is_number(b"0x000D"));
        assert!(is_env_name(b"__X32_SYSCALL_BIT"));
        assert!(!is_number(b"1234567890123456789"));
        assert!(!is_number(b"12ab"));
        assert!(is_dotted_path(b"process.env.API_KEY"));
        assert!(!is_dotted_path(b"abc.1x"));
        assert!(is_env_name(b"GITHUB_TOKEN"));
        assert!(!is_env_name(b"AB12CD"));
        assert!(is_snake_ident(b"api_key_v2"));
        assert!(is_path(b"/run/secrets/db"));
        assert!(!is_path(b"/abc+def"));
        assert!(looks_random(b"Zq8vK2pLm9Rt4Wx7Yb3N", true));
        assert!(!looks_random(b"some-long-kebab-case-name", true));
    }
}
