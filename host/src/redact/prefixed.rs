//! Tokens recognisable by a vendor prefix (`sk-proj-`, `ghp_`, `AKIA`, ...)
//! and JWTs, for the vendors with a kind of their own. Each rule fixes the
//! body alphabet and length, so ordinary identifiers that merely share a
//! prefix (`sk-learn`, `ghp_config`) fail. Other vendors' formats are data
//! (`assets/secret-rules.toml`, see [`super::rules`]).

use super::SecretKind;
use super::bytes::{is_word, span_while, span_while_max};
use super::scan::Hit;
use super::value::{is_placeholder, looks_random};

#[derive(Clone, Copy)]
enum Body {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Za-z0-9_-]`
    Word,
    /// `[A-Za-z0-9_]`
    AlnumUnderscore,
    /// `[A-Za-z0-9-]`
    AlnumDash,
    /// `[A-Z0-9]`
    Upper,
}

impl Body {
    fn accepts(self, c: u8) -> bool {
        match self {
            Body::Alnum => c.is_ascii_alphanumeric(),
            Body::Word => is_word(c),
            Body::AlnumUnderscore => c.is_ascii_alphanumeric() || c == b'_',
            Body::AlnumDash => c.is_ascii_alphanumeric() || c == b'-',
            Body::Upper => c.is_ascii_uppercase() || c.is_ascii_digit(),
        }
    }
}

struct Rule {
    prefix: &'static [u8],
    kind: SecretKind,
    body: Body,
    min: usize,
    max: usize,
    shape: Shape,
}

/// How random a body must look, beyond its alphabet and length.
#[derive(Clone, Copy)]
enum Shape {
    /// Enough distinct characters and a letter.
    Any,
    /// Also a digit: for prefixes generic enough to need it.
    Digit,
    /// Upper case, lower case and digits: for `sk-...` bodies that may hold
    /// `-` and `_`, so that kebab-case names (`sk-proj-my-app-...`) fail.
    Mixed,
}

const fn rule(prefix: &'static [u8], kind: SecretKind, body: Body, min: usize, max: usize) -> Rule {
    Rule {
        prefix,
        kind,
        body,
        min,
        max,
        shape: Shape::Any,
    }
}

const fn with_digit(r: Rule) -> Rule {
    Rule {
        shape: Shape::Digit,
        ..r
    }
}

const fn mixed(r: Rule) -> Rule {
    Rule {
        shape: Shape::Mixed,
        ..r
    }
}

use Body::*;
use SecretKind::*;

/// Longer prefixes come before shorter ones sharing their start.
const RULES: &[Rule] = &[
    // Anthropic: sk-ant-api03-, sk-ant-admin01-, sk-ant-oat01- (OAuth), ...
    mixed(rule(b"sk-ant-", AnthropicKey, Word, 32, 400)),
    mixed(rule(b"sk-proj-", OpenAiKey, Word, 32, 400)),
    mixed(rule(b"sk-svcacct-", OpenAiKey, Word, 32, 400)),
    mixed(rule(b"sk-admin-", OpenAiKey, Word, 32, 400)),
    mixed(rule(b"sk-None-", OpenAiKey, Word, 32, 400)),
    // Legacy OpenAI keys and OpenAI-compatible `sk-` keys (DeepSeek, ...).
    with_digit(rule(b"sk-", OpenAiKey, Alnum, 32, 200)),
    rule(b"sk_live_", StripeKey, Alnum, 16, 255),
    rule(b"sk_test_", StripeKey, Alnum, 16, 255),
    rule(b"rk_live_", StripeKey, Alnum, 16, 255),
    rule(b"rk_test_", StripeKey, Alnum, 16, 255),
    rule(b"whsec_", StripeKey, Alnum, 24, 255),
    rule(b"ghp_", GithubToken, Alnum, 36, 255),
    rule(b"gho_", GithubToken, Alnum, 36, 255),
    rule(b"ghu_", GithubToken, Alnum, 36, 255),
    rule(b"ghs_", GithubToken, Alnum, 36, 255),
    rule(b"ghr_", GithubToken, Alnum, 36, 255),
    rule(b"github_pat_", GithubToken, AlnumUnderscore, 50, 255),
    // AWS access key ids: long-term, temporary (STS), and two rarer classes.
    rule(b"AKIA", AwsAccessKey, Upper, 16, 16),
    rule(b"ASIA", AwsAccessKey, Upper, 16, 16),
    rule(b"ABIA", AwsAccessKey, Upper, 16, 16),
    rule(b"ACCA", AwsAccessKey, Upper, 16, 16),
    rule(b"AIza", GoogleApiKey, Word, 35, 35),
    // Slack: bot, user, app-level, refresh, rotating tokens.
    with_digit(rule(b"xoxe.xoxp-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxb-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxp-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxa-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxr-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxs-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xoxe-", SlackToken, AlnumDash, 20, 255)),
    with_digit(rule(b"xapp-", SlackToken, AlnumDash, 20, 255)),
];

/// Bytes that can start a prefixed token; everything else is skipped at once.
static FIRST: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < RULES.len() {
        t[RULES[i].prefix[0] as usize] = true;
        i += 1;
    }
    t[b'e' as usize] = true; // JWT
    t
};

/// A prefixed token or JWT starting exactly at `start`. Cheap to reject:
/// most starting bytes fail the table, most others the first prefix byte.
pub(crate) fn token_at(b: &[u8], start: usize) -> Option<Hit> {
    if !FIRST[*b.get(start)? as usize] {
        return None;
    }
    if b[start] == b'e' {
        return jwt(b, start);
    }
    let rest = &b[start..];
    RULES
        .iter()
        .filter(|r| has_prefix(rest, r.prefix))
        .find_map(|r| apply(r, b, start))
}

/// `starts_with` without a library call: most candidates fail on byte 0 or 1.
fn has_prefix(rest: &[u8], prefix: &[u8]) -> bool {
    rest.len() >= prefix.len() && rest.iter().zip(prefix).all(|(a, b)| a == b)
}

fn apply(r: &Rule, b: &[u8], start: usize) -> Option<Hit> {
    let body_start = start + r.prefix.len();
    // One past the maximum is enough to tell a body that is too long.
    let end = span_while_max(b, body_start, r.max + 1, |c| r.body.accepts(c));
    let body = &b[body_start..end];
    let bounded = !b.get(end).is_some_and(u8::is_ascii_alphanumeric);
    let fits = (r.min..=r.max).contains(&body.len());
    let shaped = match r.shape {
        Shape::Any => looks_random(body, false),
        Shape::Digit => looks_random(body, true),
        Shape::Mixed => {
            looks_random(body, true)
                && body.iter().any(u8::is_ascii_uppercase)
                && body.iter().any(u8::is_ascii_lowercase)
        }
    };
    (bounded && fits && shaped && !is_placeholder(body)).then_some(Hit {
        start,
        end,
        kind: r.kind,
    })
}

fn b64url_segment(b: &[u8], from: usize) -> usize {
    span_while(b, from, is_word)
}

/// `eyJ<header>.ey<payload>.<signature>`; the signature may be empty (`alg: none`).
fn jwt(b: &[u8], start: usize) -> Option<Hit> {
    if !b[start..].starts_with(b"eyJ") {
        return None;
    }
    let h_end = b64url_segment(b, start);
    if h_end - start < 10 || b.get(h_end) != Some(&b'.') {
        return None;
    }
    let p_start = h_end + 1;
    if !b[p_start..].starts_with(b"ey") {
        return None;
    }
    let p_end = b64url_segment(b, p_start);
    if p_end - p_start < 8 || b.get(p_end) != Some(&b'.') {
        return None;
    }
    let end = b64url_segment(b, p_end + 1);
    Some(Hit {
        start,
        end,
        kind: Jwt,
    })
}
