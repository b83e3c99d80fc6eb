//! Whether a value named in prose looks like a credential rather than a
//! word, a reference or a measure: "the password is Tr0ub4dor-2026!" gives
//! one, "the password is stored", "the token is base64-encoded", "the PIN is
//! ${PIN}" do not.

use super::bytes::contains_ci;
use super::names::split_words;
use super::value::{
    is_color, is_dotted_path, is_env_name, is_path, is_placeholder, is_snake_ident,
};

/// What a secret word names, which decides whether digits alone count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Passwords: six or more digits are a password.
    Password,
    /// PINs: four to twelve digits, nothing else.
    Pin,
    /// Tokens and keys: digits alone are a count or an id.
    Token,
}

/// Technical terms that make a value read as a description
/// (`base64-encoded`, `AES-256`, `OAuth2`), compared case-insensitively.
const TECH_TERMS: &str = "base16 base32 base58 base64 base64url hex sha1 sha2 sha3 sha224 sha256 \
    sha384 sha512 md5 crc32 utf8 utf16 utf32 ascii aes aes128 aes192 aes256 rsa rsa2048 rsa4096 \
    ecdsa ed25519 x25519 p256 hmac hs256 hs384 hs512 rs256 rs384 rs512 es256 es384 es512 ps256 \
    eddsa jwt jwe jws oauth oauth1 oauth2 oidc saml http http2 http3 https tls tls12 tls13 ssl \
    ipv4 ipv6 x509 pkcs1 pkcs7 pkcs8 pkcs12 pem der s3 ec2 iam kms gcp aws k8s uuid uuid4 uuidv4 \
    ulid totp hotp 2fa mfa bcrypt scrypt argon2 argon2id pbkdf2 gpt4 gpt gpt3 v1 v2 v3 v4 v5 \
    int32 int64 uint32 uint64 u32 u64 i32 i64 f32 f64 bit bits byte bytes char chars";

fn is_tech(seg: &[u8]) -> bool {
    !seg.is_empty()
        && TECH_TERMS
            .split_ascii_whitespace()
            .any(|t| seg.eq_ignore_ascii_case(t.as_bytes()))
}

fn is_separator(c: u8) -> bool {
    matches!(c, b'-' | b'_' | b'.' | b'/' | b':' | b'+')
}

/// `1.2.3`, `v2.0`, `2026-01-01`, `10.0.0.1`, `12:30`: versions, dates,
/// addresses and times.
fn is_version_like(v: &[u8]) -> bool {
    let body = match v {
        [b'v' | b'V', rest @ ..] if rest.first().is_some_and(u8::is_ascii_digit) => rest,
        _ => v,
    };
    body.iter().all(|&c| c.is_ascii_digit() || is_separator(c))
        && body.iter().any(|&c| is_separator(c))
        || (body.len() < v.len() && body.iter().all(u8::is_ascii_digit))
}

/// Letters only, mixed case, in a way words do not mix it: `TrOubaDor`,
/// not `JavaScript`, `PostgreSQL`, `Hello` or `README`.
fn is_random_case(letters: &[u8]) -> bool {
    let upper = letters.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = letters.iter().filter(|c| c.is_ascii_lowercase()).count();
    if letters.len() < 8 || upper < 2 || lower == 0 {
        return false;
    }
    let mut spans = [(0, 0); 12];
    let n = split_words(letters, &mut spans);
    // Words are at least three letters; random case leaves short humps.
    spans[..n].iter().any(|&(s, e)| e - s < 3) || n == spans.len()
}

/// A value made of words and technical terms: `read-only`, `Vault/prod`,
/// `base64-encoded`, `AES-256`, `8-characters`.
fn reads_as_words(v: &[u8]) -> bool {
    let segs: Vec<&[u8]> = v
        .split(|&c| is_separator(c))
        .filter(|s| !s.is_empty())
        .collect();
    let alpha = |s: &[u8]| s.iter().all(u8::is_ascii_alphabetic);
    let short_number = |s: &[u8]| s.len() <= 4 && s.iter().all(u8::is_ascii_digit);
    if v.iter()
        .all(|&c| c.is_ascii_alphabetic() || is_separator(c))
    {
        let letters: Vec<u8> = v.iter().copied().filter(u8::is_ascii_alphabetic).collect();
        return !is_random_case(&letters);
    }
    let tech = segs.iter().any(|s| is_tech(s));
    if tech
        && segs
            .iter()
            .all(|s| alpha(s) || is_tech(s) || short_number(s))
    {
        return true;
    }
    // A count and a unit: `8-characters`, `30-day`, `12+chars`.
    segs.len() >= 2 && short_number(segs[0]) && segs[1..].iter().all(|s| alpha(s))
}

/// `getpass()`, `os.environ["X"]`, `Optional[str]`: code, not a value.
fn is_code(v: &[u8]) -> bool {
    let head = v
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':')))
        .unwrap_or(v.len());
    head > 0 && v[0].is_ascii_alphabetic() && matches!(v.get(head), Some(b'(' | b'['))
}

/// Whether `v` (trailing punctuation already trimmed) looks like a
/// credential of `class`. Quoted values may hold spaces (passphrases).
pub(crate) fn looks_like_credential(v: &[u8], class: Class, quoted: bool) -> bool {
    if v.len() < 4 || v.len() > 256 || !v.is_ascii() {
        return false;
    }
    if matches!(v[0], b'$' | b'%' | b'[' | b'{' | b'<' | b'(') {
        return false;
    }
    // YAML tags, anchors and aliases: `!vault`, `&default`, `*base`.
    if matches!(v[0], b'!' | b'&' | b'*')
        && v[1..].iter().all(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        return false;
    }
    let digit = v.iter().any(u8::is_ascii_digit);
    if v.iter().any(u8::is_ascii_whitespace) {
        // A quoted passphrase: letters and digits, a few words at most.
        let words = v
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .count();
        return quoted && v.len() >= 8 && digit && words <= 4 && !is_placeholder(v);
    }
    if is_placeholder(v)
        || is_env_name(v)
        || is_dotted_path(v)
        || is_path(v)
        || is_color(v)
        || (!digit && is_snake_ident(v))
        || contains_ci(v, b"://")
        || is_code(v)
    {
        return false;
    }
    let digits_only = v.iter().all(u8::is_ascii_digit);
    match class {
        // A PIN is digits; `pin: 3.11`, `pin = "numpy==1.26"` pin versions.
        Class::Pin => return digits_only && v.len() <= 12,
        Class::Password if digits_only => return v.len() >= 6,
        Class::Token if digits_only => return false,
        _ => {}
    }
    if v.len() < 6 || is_version_like(v) || reads_as_words(v) {
        return false;
    }
    let symbol = v.iter().any(|c| !c.is_ascii_alphanumeric());
    let letters: Vec<u8> = v.iter().copied().filter(u8::is_ascii_alphabetic).collect();
    digit || symbol || is_random_case(&letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        for v in [
            "hunter2-staging-88",
            "Tr0ub4dor-2026-prod",
            "Tr0ub4dor&3xyz",
            "hunter2",
            "abc123",
            "TrOubaDor",
            "p@ss#word",
            "123e4567-e89b-12d3-a456-426614174000",
        ] {
            assert!(
                looks_like_credential(v.as_bytes(), Class::Token, false),
                "{v}"
            );
        }
        assert!(looks_like_credential(b"123456", Class::Password, false));
        assert!(looks_like_credential(b"4821", Class::Pin, false));
    }

    #[test]
    fn not_credentials() {
        for v in [
            "stored",
            "expired",
            "required",
            "JavaScript",
            "PostgreSQL",
            "README",
            "Hello",
            "read-only",
            "Vault/prod",
            "base64-encoded",
            "AES-256",
            "OAuth2",
            "sha256",
            "8-characters",
            "v1.2.3",
            "2026-01-01",
            "10.0.0.1",
            "${DB_PASS}",
            "$DB_PASSWORD",
            "<password>",
            "xxxx",
            "changeme",
            "DB_PASSWORD",
            "self.token",
            "getpass()",
            "Optional[str",
            "https://example.com/x",
            "/run/secrets/db",
            "#d0d0d0",
            "4096",
            "api_key_name",
        ] {
            assert!(
                !looks_like_credential(v.as_bytes(), Class::Token, false),
                "{v}"
            );
        }
        assert!(!looks_like_credential(b"12345", Class::Password, false));
        assert!(!looks_like_credential(b"!vault", Class::Password, false));
        assert!(!looks_like_credential(b"numpy==1.26.4", Class::Pin, false));
        assert!(!looks_like_credential(
            b"correct horse",
            Class::Password,
            true
        ));
    }
}
