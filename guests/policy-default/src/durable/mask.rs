//! Credential-looking words are masked in a quote: the decision's summary is
//! logged and kept in the job file, and the digest's text is not redacted.

const MASK: &str = "[masked]";

/// Prefixes of well-known token formats.
const TOKEN_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "pk_live_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "akia",
    "asia",
    "aiza",
    "ya29.",
    "eyj",
    "npm_",
    "hf_",
];

/// Words whose value is a credential whatever it looks like.
const PASSWORD_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "密码",
    "口令",
    "パスワード",
    "비밀번호",
];

/// Words whose value is a credential when it is not a plain lower-case word.
const TOKEN_KEYS: &[&str] = &[
    "secret", "token", "apikey", "api_key", "api-key", "密钥", "토큰",
];

/// Words joining a key to its value ("password is x", "密码是 x").
const JOINERS: &[&str] = &["is", "=", ":", "是", "为", "は", "는", "은", "이", "가"];

#[derive(Clone, Copy, PartialEq)]
enum Key {
    None,
    Password,
    Token,
}

pub fn mask_secrets(text: &str) -> String {
    let mut key = Key::None;
    let mut out: Vec<String> = Vec::new();
    for word in text.split(' ') {
        let bare = word.trim_matches(|c: char| "`'\"()[]{}<>,;。，".contains(c));
        if bare.is_empty() || JOINERS.contains(&bare) {
            out.push(word.to_string());
            continue;
        }
        // `KEY=value` in one word.
        if let Some((k, v)) = bare.split_once(['=', ':'])
            && !v.is_empty()
            && is_secret_value(key_kind(k), v)
        {
            out.push(format!("{k}{}{MASK}", &bare[k.len()..k.len() + 1]));
            key = Key::None;
            continue;
        }
        if looks_like_token(bare) || is_secret_value(key, bare) {
            out.push(MASK.to_string());
            key = Key::None;
            continue;
        }
        key = key_kind(bare.trim_end_matches([':', '=']));
        out.push(word.to_string());
    }
    out.join(" ")
}

fn key_kind(word: &str) -> Key {
    let lower = word.to_lowercase();
    let is = |keys: &[&str]| {
        keys.iter()
            .any(|k| lower == *k || lower.ends_with(&format!("_{k}")))
    };
    if is(PASSWORD_KEYS) {
        Key::Password
    } else if is(TOKEN_KEYS) {
        Key::Token
    } else {
        Key::None
    }
}

fn is_secret_value(key: Key, value: &str) -> bool {
    match key {
        Key::None => false,
        Key::Password => true,
        Key::Token => !value.chars().all(|c| c.is_ascii_lowercase()),
    }
}

/// A known token prefix, or a long mix of letters and digits with no dot (not a path or a file).
fn looks_like_token(word: &str) -> bool {
    let lower = word.to_lowercase();
    if word.len() >= 12 && TOKEN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    let charset = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-+/=".contains(c));
    let digits = word.chars().filter(char::is_ascii_digit).count();
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    word.len() >= 24 && charset && digits >= 4 && letters >= 4 && !word.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked() {
        for (text, kept) in [
            ("the key is sk-proj-abcdefghij1234567890", "the key is"),
            ("token: ghp_abcdefghijklmnopqrstuvwxyz0123", "token:"),
            ("DB_PASSWORD=hunter2 in .env", "DB_PASSWORD=[masked]"),
            ("the staging password is hunter2", "the staging password is"),
            ("the token is AbC123xYz", "the token is"),
            ("密码 是 hunter2", "密码 是"),
            ("use 9f8e7d6c5b4a39281726354a5b6c7d8e9f", "use"),
        ] {
            let m = mask_secrets(text);
            assert!(m.contains(MASK), "{text:?} -> {m:?}");
            assert!(m.starts_with(kept), "{text:?} -> {m:?}");
            assert!(!m.contains("hunter2") && !m.contains("1234567890"), "{m:?}");
        }
    }

    #[test]
    fn ordinary_statements_are_kept() {
        for text in [
            "The test command is `make check`",
            "Migrations live in src/database/migrations/versioned",
            "the port is 8080",
            "以后回复我用中文",
            "the API key is read from the OPENAI_API_KEY env var",
        ] {
            assert_eq!(mask_secrets(text), text);
        }
    }
}
