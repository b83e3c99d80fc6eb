//! Secrets stated in prose, in English, Chinese, Japanese and Korean, and
//! value ends that never leave part of a secret behind.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::borrow::Cow;

use csep::redact::{SecretKind, contains_secret, redact};

/// Redacts `text`, checks that no character run of `secret` survives,
/// that `contains_secret` agrees, and that a second pass changes nothing.
#[track_caller]
fn hides(text: &str, secret: &str) -> String {
    let (out, counts) = redact(text);
    assert!(counts.total > 0, "nothing redacted: {text}");
    assert!(contains_secret(text), "contains_secret disagrees: {text}");
    assert!(!out.contains(secret), "{secret:?} left in: {out}");
    // No tail of the secret either (`[REDACTED:x]&3xyz`).
    let tail: String = secret.chars().skip(secret.chars().count() / 2).collect();
    assert!(!out.contains(&tail), "part {tail:?} left in: {out}");
    let (again, more) = redact(&out);
    assert!(
        matches!(again, Cow::Borrowed(_)) && more.total == 0,
        "not idempotent: {out}"
    );
    assert!(!contains_secret(&out), "still flagged: {out}");
    out.into_owned()
}

#[track_caller]
fn stays(text: &str) {
    let (out, counts) = redact(text);
    assert!(matches!(out, Cow::Borrowed(_)), "changed: {text} -> {out}");
    assert_eq!(counts.total, 0, "{text}");
    assert!(!contains_secret(text), "flagged: {text}");
}

#[test]
fn english_prose_secrets() {
    for (text, secret) in [
        (
            "the password is Tr0ub4dor-2026-prod!",
            "Tr0ub4dor-2026-prod!",
        ),
        (
            "FYI the password for the staging db is hunter2-staging-88.",
            "hunter2-staging-88",
        ),
        ("my token: a9F3kLq0Zp7Rw2", "a9F3kLq0Zp7Rw2"),
        ("secret=X7q!pL2#vN", "X7q!pL2#vN"),
        ("I changed the admin password to Zq8v&K2pL@9", "Zq8v&K2pL@9"),
        (
            "The API key is now set to k8sProd-9f8e7d6c",
            "k8sProd-9f8e7d6c",
        ),
        ("The passphrase is \"blue 42 falcon\"", "blue 42 falcon"),
        ("our wifi password was 88664422", "88664422"),
        ("the PIN is 4821, don't share it", "4821"),
        ("Access key: QwErTyUiOpAsDf", "QwErTyUiOpAsDf"),
    ] {
        let out = hides(text, secret);
        assert!(out.contains("[REDACTED:"), "{out}");
    }
}

#[test]
fn chinese_prose_secrets() {
    for (text, secret) in [
        (
            "测试数据库的密码是 hunter2-staging-88",
            "hunter2-staging-88",
        ),
        ("密码：Tr0ub4dor&3xyz，别外传", "Tr0ub4dor&3xyz"),
        ("生产环境的密钥为 9f8e7d6c5b4a3210", "9f8e7d6c5b4a3210"),
        ("管理员密码已经改成Zq8v#K2pL了", "Zq8v#K2pL"),
        ("API 令牌是「tok-88-Alpha!」", "tok-88-Alpha!"),
        ("數據庫密碼為 s3cr3t-Pass", "s3cr3t-Pass"),
    ] {
        hides(text, secret);
    }
}

#[test]
fn japanese_prose_secrets() {
    for (text, secret) in [
        (
            "本番DBのパスワードは hunter2-prod-77 です",
            "hunter2-prod-77",
        ),
        ("パスワードは「Tr0ub4dor&3」です。", "Tr0ub4dor&3"),
        ("トークン：ab12-CD34-ef56", "ab12-CD34-ef56"),
        ("暗証番号は4821です", "4821"),
        ("シークレットが Zq8vK2pLm9 に変わりました", "Zq8vK2pLm9"),
    ] {
        hides(text, secret);
    }
}

#[test]
fn korean_prose_secrets() {
    for (text, secret) in [
        (
            "테스트 서버 비밀번호는 hunter2-staging-88 입니다",
            "hunter2-staging-88",
        ),
        ("비밀번호: Tr0ub4dor&3xyz", "Tr0ub4dor&3xyz"),
        ("비밀번호를 Pa55w0rd!로 변경했습니다", "Pa55w0rd!"),
        ("API 키는 k8s-Prod-9f8e 입니다", "k8s-Prod-9f8e"),
        ("토큰은 x9Y8z7W6v5U4 입니다", "x9Y8z7W6v5U4"),
    ] {
        hides(text, secret);
    }
}

#[test]
fn ordinary_prose_stays() {
    for text in [
        "the password is stored in Vault",
        "the token is expired",
        "use a strong password",
        "Reset the password and check that the token is valid.",
        "the password must be at least 12 characters",
        "the token limit is 4096 per request",
        "The password policy is NIST-800-63.",
        "the access token is base64-encoded",
        "the secret is $DB_PASSWORD",
        "password: <password>",
        "the API key is ${OPENAI_API_KEY}",
        "the password is xxxx",
        "the password is changeme",
        "密码是必填项",
        "令牌已过期，请重新登录",
        "密码长度为 12 位",
        "令牌是 OAuth2 令牌",
        "パスワードは必須です",
        "トークンの有効期限が切れました",
        "비밀번호가 틀렸습니다",
        "암호화는 AES-256을 사용합니다",
        "토큰은 만료되었습니다",
        "The function returns a token; callers pass it to verify().",
        "password_hash = bcrypt(password)",
    ] {
        stays(text);
    }
}

#[test]
fn a_value_is_redacted_whole_at_ampersands_and_semicolons() {
    let m = format!("[REDACTED:{}]", SecretKind::EnvAssignment.name());
    for (text, expected) in [
        ("password: Tr0ub4dor&3xyz", format!("password: {m}")),
        ("DB_PASSWORD=abc&def#123 ok", format!("DB_PASSWORD={m} ok")),
        ("TOKEN=pa;ss88word", format!("TOKEN={m}")),
        // Query strings and connection strings still split at parameters.
        (
            "https://x.example/cb?token=a1b2c3d4e5f6&state=xyz",
            format!("https://x.example/cb?token={m}&state=xyz"),
        ),
        (
            "Server=db;Password=Zq8vK2pLm9;Database=app",
            format!("Server=db;Password={m};Database=app"),
        ),
        ("TOKEN=a1b2c3d4e5 && make", format!("TOKEN={m} && make")),
        ("TOKEN=a1b2c3d4e5&& make", format!("TOKEN={m}&& make")),
    ] {
        let (out, _) = redact(text);
        assert_eq!(out, expected, "{text}");
        assert_eq!(redact(&out).1.total, 0, "{out}");
    }
}

#[test]
fn a_secret_found_once_is_redacted_wherever_it_appears_again() {
    let text =
        "PASSWORD=hunter2hunter2x9\nthen I logged in with hunter2hunter2x9 twice: hunter2hunter2x9";
    let (out, _) = csep::redact::redact(text);
    assert!(!out.contains("hunter2hunter2x9"), "{out}");
    assert_eq!(out.matches("[REDACTED:").count(), 3, "{out}");
    assert_eq!(csep::redact::redact(&out).0, out, "idempotent");
}

#[test]
fn a_long_key_holding_the_word_example_is_still_a_key() {
    let text = "참고로 시크릿은 wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY9 예요.";
    let (out, _) = redact(text);
    assert!(!out.contains("bPxRfiCYz"), "{out}");
    // The documented example itself stays, as in vendors' docs.
    let doc = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(redact(doc).0, doc);
}
