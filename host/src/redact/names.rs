//! Decides whether a variable or key name labels a secret (`GITHUB_TOKEN`,
//! `apiKey`, `db-password`) or merely mentions one (`max_tokens`,
//! `token_count`, `PASSWORD_FILE`).

use super::bytes::starts_with_ci;

/// What a sensitive name tells about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameClass {
    /// Any secret value (`EnvAssignment`).
    Secret,
    /// AWS secret access key, when the value has its 40-character shape.
    AwsSecret,
    /// HTTP `Authorization` header: `<scheme> <credentials>`.
    Authorization,
}

/// Words that, anywhere in a name, make it sensitive.
const SECRET_WORDS: &str = "token secret password passwd passphrase apikey";

/// `<word>_key` pairs that are sensitive (`api_key`, `private_key`, ...).
const KEY_QUALIFIERS: &str = "api private access secret auth encryption signing master";

/// A last word that turns the name into metadata about a secret.
const META_LAST: &str = "count counts limit limits max min len length size type types kind \
    usage id ids name names file path dir url uri endpoint env var header field prefix suffix \
    expiry expires expiration ttl budget estimate ratio rate index idx cost price hash hashed \
    policy rotation version ref arn location store manager provider service mode format regex \
    pattern schema label description hint prompt placeholder help error message msg status \
    valid validation required enabled strength source storage lifetime timeout duration at \
    time date created updated used";

/// A first word that turns the name into a flag or a measure.
const META_FIRST: &str =
    "max min num total is has use enable enabled disable require show hide allow skip";

const MAX_WORDS: usize = 12;

/// Splits on non-letters and camelCase humps: `OPENAI_API_KEY`, `apiKey`,
/// `APIKey` and `x-api-key` all give `.., api, key`.
pub(crate) fn split_words(name: &[u8], out: &mut [(usize, usize); MAX_WORDS]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < name.len() && n < MAX_WORDS {
        if !name[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < name.len() && name[i].is_ascii_alphabetic() {
            let (prev, cur) = (name[i - 1], name[i]);
            let next_lower = name.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if cur.is_ascii_uppercase()
                && (prev.is_ascii_lowercase() || (prev.is_ascii_uppercase() && next_lower))
            {
                break;
            }
            i += 1;
        }
        out[n] = (start, i);
        n += 1;
    }
    n
}

/// Whether `word` is in the space-separated `list`, ignoring case.
fn is_one_of(word: &[u8], list: &str) -> bool {
    list.split_ascii_whitespace()
        .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
}

const K: u8 = 1;
const W: u8 = 2;
const Z: u8 = 4;
const C: u8 = 8;
const R: u8 = 16;
const P: u8 = 32;
const S: u8 = 64;
/// Set for bytes that can be part of a key name: `[A-Za-z0-9_.-]`.
pub(crate) const NAME: u8 = 128;

/// Per byte: `NAME`, plus for letters the keyword hints. Keywords are
/// found by their letters: `token` and `key` have a `k`, `password` and
/// `passwd` a `w`, `authorization` a `z`, `secret` a `c` and an `r`, `pass`
/// a `p` and an `s`. One table lets the name be read and hinted in one pass.
pub(crate) static NAME_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' {
            t[c] = NAME;
        }
        c += 1;
    }
    let hints: [(u8, u8); 7] = [
        (b'k', K),
        (b'w', W),
        (b'z', Z),
        (b'c', C),
        (b'r', R),
        (b'p', P),
        (b's', S),
    ];
    let mut i = 0;
    while i < hints.len() {
        let (c, bit) = hints[i];
        t[c as usize] |= bit;
        t[c.to_ascii_uppercase() as usize] |= bit;
        i += 1;
    }
    t
};

/// Whether the hints of a name's letters allow some keyword.
fn hint_allows(hint: u8) -> bool {
    hint & (K | W | Z) != 0 || hint & (C | R) == C | R || hint & (P | S) == P | S
}

/// Whether `name` holds `keyword` at `start` (which may lie before the
/// name) as a word of its own: not running on in the same case, so
/// `tokens`, `tokenizer`, `keyboard` and `TOKENS` fail while `apiKey`,
/// `API_KEY` and `tokenValue` pass.
fn keyword_at(name: &[u8], start: Option<usize>, keyword: &[u8]) -> bool {
    let Some(start) = start else {
        return false;
    };
    let rest = &name[start..];
    if !starts_with_ci(rest, keyword) {
        return false;
    }
    let last = rest[keyword.len() - 1];
    !rest.get(keyword.len()).is_some_and(|&c| {
        c.is_ascii_alphabetic() && c.is_ascii_lowercase() == last.is_ascii_lowercase()
    })
}

/// Pre-check before the word split: the keyword is looked for only at the
/// few positions of its anchor letters, and only if `hint` allows it.
fn may_be_sensitive(name: &[u8], hint: u8) -> bool {
    let anchored = |letter: u8, check: &dyn Fn(usize) -> bool| {
        name.iter()
            .enumerate()
            .any(|(i, &c)| c | 0x20 == letter && check(i))
    };
    (hint & K != 0
        && anchored(b'k', &|i| {
            keyword_at(name, i.checked_sub(2), b"token") || keyword_at(name, Some(i), b"key")
        }))
        || (hint & W != 0
            && anchored(b'w', &|i| {
                keyword_at(name, i.checked_sub(4), b"password")
                    || keyword_at(name, i.checked_sub(4), b"passwd")
            }))
        || (hint & Z != 0
            && anchored(b'z', &|i| {
                keyword_at(name, i.checked_sub(7), b"authorization")
            }))
        || (hint & (C | R) == C | R
            && anchored(b'c', &|i| keyword_at(name, i.checked_sub(2), b"secret")))
        || (hint & (P | S) == P | S
            && anchored(b'p', &|i| {
                keyword_at(name, Some(i), b"passphrase") || keyword_at(name, Some(i), b"pass")
            }))
}

/// Classifies a key name; `None` when its value is not treated as a secret.
#[cfg(test)]
fn classify(name: &[u8]) -> Option<NameClass> {
    let last = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
    classify_hinted(name, last.iter().fold(0, |h, &c| h | NAME_BYTE[c as usize]))
}

/// Classifies a key name given the hint bits of its last dotted part, which
/// the caller gathered while reading the name; most names stop here.
pub(crate) fn classify_hinted(name: &[u8], hint: u8) -> Option<NameClass> {
    if !hint_allows(hint) {
        return None;
    }
    // Of a dotted path only the last part names the value: `config.api_key`
    // does, `Token.Name.Builtin` does not.
    let name = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
    if !may_be_sensitive(name, hint) {
        return None;
    }
    let mut spans = [(0, 0); MAX_WORDS];
    let n = split_words(name, &mut spans);
    let mut all: [&[u8]; MAX_WORDS] = [&[]; MAX_WORDS];
    for (slot, &(s, e)) in all.iter_mut().zip(&spans[..n]) {
        *slot = &name[s..e];
    }
    let words = &all[..n];
    let last = *words.last()?;
    if last.eq_ignore_ascii_case(b"authorization") {
        return Some(NameClass::Authorization);
    }
    let mut secret = false;
    let mut aws = false;
    for (k, w) in words.iter().enumerate() {
        let prev = k.checked_sub(1).map(|p| words[p]);
        if is_one_of(w, SECRET_WORDS)
            || (w.eq_ignore_ascii_case(b"key")
                && prev.is_some_and(|p| is_one_of(p, KEY_QUALIFIERS)))
            || (w.eq_ignore_ascii_case(b"pass") && k > 0 && k + 1 == n)
        {
            secret = true;
        }
        aws |= w.eq_ignore_ascii_case(b"aws");
        // `secret_access_key` names the AWS secret even without an `aws` prefix.
        aws |= w.eq_ignore_ascii_case(b"secret")
            && words
                .get(k + 1)
                .is_some_and(|x| x.eq_ignore_ascii_case(b"access"))
            && words
                .get(k + 2)
                .is_some_and(|x| x.eq_ignore_ascii_case(b"key"));
    }
    // Metadata words are checked last: most names fail the test above.
    if !secret || (n > 1 && (is_one_of(words[0], META_FIRST) || is_one_of(last, META_LAST))) {
        return None;
    }
    Some(if aws {
        NameClass::AwsSecret
    } else {
        NameClass::Secret
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "GITHUB_TOKEN",
            "OPENAI_API_KEY",
            "apiKey",
            "APIKey",
            "x-api-key",
            "db_password",
            "SECRET",
            "token",
            "PASSWORD",
            "client_secret",
            "DB_PASS",
            "SECRET_KEY",
            "spring.datasource.password",
            "accessToken",
            "PRIVATE_KEY",
            "MY_APIKEY",
        ] {
            assert_eq!(classify(n.as_bytes()), Some(NameClass::Secret), "{n}");
        }
        assert_eq!(
            classify(b"aws_secret_access_key"),
            Some(NameClass::AwsSecret)
        );
        assert_eq!(
            classify(b"AWS_SECRET_ACCESS_KEY"),
            Some(NameClass::AwsSecret)
        );
        assert_eq!(classify(b"Authorization"), Some(NameClass::Authorization));
    }

    #[test]
    fn harmless_names() {
        for n in [
            "task_token_count",
            "MAX_TOKENS",
            "max_tokens",
            "input_tokens",
            "tokenizer",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "AWS_ACCESS_KEY_ID",
            "secretary",
            "passwordless",
            "keyboard",
            "pass",
            "type",
            "text",
            "has_token",
            "key",
            "token_type",
        ] {
            assert_eq!(classify(n.as_bytes()), None, "{n}");
        }
    }
}
