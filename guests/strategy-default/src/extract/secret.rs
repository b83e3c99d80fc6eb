//! Sentences that hold a secret, or name one in prose (`the password is ...`,
//! `密码是 ...`, `パスワードは ...`, `비밀번호는 ...`). The host redacts what it
//! recognises to `[REDACTED:...]` before the strategy reads the text; such a
//! sentence yields nothing, while the message's other sentences still count.

use crate::text::looks_secret;

/// Words naming a credential; a sentence holding one is never an entry.
const CREDENTIAL_WORDS: [&str; 24] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api key",
    "api_key",
    "private key",
    "credential",
    "密码",
    "口令",
    "密钥",
    "令牌",
    "token",
    "パスワード",
    "トークン",
    "シークレット",
    "秘密鍵",
    "暗証",
    "비밀번호",
    "암호",
    "토큰",
    "시크릿",
    "비밀 키",
];

/// True when the sentence holds a secret or a redaction marker, or names a
/// credential in prose.
pub fn holds_secret(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    looks_secret(sentence) || CREDENTIAL_WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::holds_secret;

    #[test]
    fn secrets_and_credentials_named_in_prose() {
        for s in [
            "For the record, the password is [REDACTED:password] on the shared box.",
            "the gh one is ghp_4fR9kL2mN8qT1vX6bZ3cJ7hD5gS0aE2wY9uP",
            "测试数据库的密码是 hunter2 ，迁移前要先连上。",
            "パスワードは Sakura-Pass-7781 です。",
            "비밀번호는 Mugunghwa-9921! 입니다.",
            "참고로 배포 키는 AKIAZ7QX3JH5K2LMN4PB 이고",
        ] {
            assert!(holds_secret(s), "{s}");
        }
        for s in [
            "数据库迁移用 `make migrate`。",
            "DB は `docker compose up -d postgres` で起動してください。",
            "마이그레이션은 `make db-migrate` 로 합니다.",
            "`infra/prod/` 는 절대 직접 수정하지 마세요.",
        ] {
            assert!(!holds_secret(s), "{s}");
        }
    }
}
