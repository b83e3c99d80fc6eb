//! Vendor token formats: those carried as data rules are named by the rule
//! id, the built-in ones by their kind. Keys are assembled at run time from
//! a seeded generator, so this file holds nothing that looks like a live
//! credential.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use csep::redact::{SecretKind, contains_secret, redact};

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn rand(seed: u64, len: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// Redacts `text`; `secret` must be gone, replaced by a `kind` marker.
#[track_caller]
fn redacted_as(text: &str, secret: &str, kind: SecretKind) {
    let (out, counts) = redact(text);
    assert!(!out.contains(secret), "left in: {out}");
    assert!(
        out.contains(&format!("[REDACTED:{}]", kind.name())),
        "kind: {out}"
    );
    assert!(counts.by_kind.contains_key(&kind), "{counts:?}");
    assert!(contains_secret(text));
    assert_eq!(redact(&out).1.total, 0, "not idempotent: {out}");
}

#[test]
fn data_rule_formats() {
    let cases = [
        ("huggingface-token", format!("hf_{}", rand(1, 34, BASE62))),
        ("gitlab-pat", format!("glpat-{}", rand(2, 20, BASE62))),
        ("npm-token", format!("npm_{}", rand(3, 36, BASE62))),
        (
            "pypi-token",
            format!("pypi-AgEIcHlwaS5vcmc{}", rand(4, 80, BASE62)),
        ),
        ("twilio-api-key", format!("SK{}", rand(5, 32, HEX))),
        (
            "sendgrid-api-key",
            format!("SG.{}.{}", rand(6, 22, BASE62), rand(7, 43, BASE62)),
        ),
        (
            "telegram-bot-token",
            format!("{}:AA{}", rand(8, 10, DIGITS), rand(9, 33, BASE62)),
        ),
        (
            "digitalocean-token",
            format!("dop_v1_{}", rand(10, 64, HEX)),
        ),
        ("shopify-token", format!("shpat_{}", rand(11, 32, HEX))),
        ("databricks-token", format!("dapi{}", rand(12, 32, HEX))),
        ("groq-api-key", format!("gsk_{}", rand(13, 52, BASE62))),
        (
            "google-oauth-access-token",
            format!("ya29.{}", rand(14, 60, BASE62)),
        ),
    ];
    for (id, key) in cases {
        let kind = SecretKind::Rule(id);
        redacted_as(&format!("use {key} here"), &key, kind);
        redacted_as(&format!("{{\"key\":\"{key}\"}}"), &key, kind);
        redacted_as(&format!("log line\\n{key}\\n"), &key, kind);
    }
}

#[test]
fn data_rules_with_context() {
    let account_key = format!("{}==", rand(20, 86, BASE64));
    redacted_as(
        &format!(
            "DefaultEndpointsProtocol=https;AccountName=app;AccountKey={account_key};EndpointSuffix=core.windows.net"
        ),
        &account_key,
        SecretKind::Rule("azure-storage-key"),
    );
    let discord = format!(
        "MT{}.{}.{}",
        rand(21, 24, BASE62),
        rand(22, 6, BASE62),
        rand(23, 38, BASE62)
    );
    redacted_as(
        &format!("discord bot: {discord}"),
        &discord,
        SecretKind::Rule("discord-bot-token"),
    );
}

#[test]
fn assigned_data_rule_token_keeps_the_rule_kind() {
    let key = format!("hf_{}", rand(30, 34, BASE62));
    let text = format!("HF_TOKEN={key}");
    let (out, counts) = redact(&text);
    assert_eq!(out, "HF_TOKEN=[REDACTED:huggingface-token]");
    assert_eq!(counts.total, 1);
}

#[test]
fn built_in_formats() {
    let cases = [
        (
            SecretKind::GithubToken,
            format!("ghp_{}", rand(40, 36, BASE62)),
        ),
        (
            SecretKind::GithubToken,
            format!(
                "github_pat_{}_{}",
                rand(41, 22, BASE62),
                rand(42, 59, BASE62)
            ),
        ),
        (
            SecretKind::SlackToken,
            format!(
                "xoxb-{}-{}-{}",
                rand(43, 12, DIGITS),
                rand(44, 13, DIGITS),
                rand(45, 24, BASE62)
            ),
        ),
        (
            SecretKind::StripeKey,
            format!("sk_live_{}", rand(46, 40, BASE62)),
        ),
        (
            SecretKind::GoogleApiKey,
            format!("AIza{}", rand(47, 35, BASE62)),
        ),
        (
            SecretKind::OpenAiKey,
            format!("sk-proj-{}", rand(48, 80, BASE62)),
        ),
        (
            SecretKind::AnthropicKey,
            format!("sk-ant-api03-{}", rand(49, 90, BASE62)),
        ),
        (
            SecretKind::AwsAccessKey,
            format!("AKIA{}", rand(50, 16, UPPER)),
        ),
        (
            SecretKind::Jwt,
            format!(
                "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
                rand(51, 40, BASE62),
                rand(52, 43, BASE62)
            ),
        ),
    ];
    for (kind, key) in cases {
        redacted_as(&format!("token {key} end"), &key, kind);
    }
}

#[test]
fn look_alikes_stay() {
    for text in [
        "hf_hub_download(repo_id, filename)",
        "the npm_config_cache folder",
        "SKU 1234 in stock",
        "dapi is the Databricks token prefix",
        "AccountKey=<your-key>",
        "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "chat_id 12345678:AB no token",
    ] {
        let (out, counts) = redact(text);
        assert_eq!(counts.total, 0, "{text} -> {out}");
        assert!(!contains_secret(text), "{text}");
    }
}
