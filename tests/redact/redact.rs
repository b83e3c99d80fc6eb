//! Behaviour of `redact` and `contains_secret` on realistic text. Fake keys
//! are assembled at run time from a seeded generator, so this file holds no
//! string that looks like a live credential.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::borrow::Cow;

use csep::redact::{Redactions, SecretKind, contains_secret, redact};

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";

/// Deterministic random string over `alphabet`.
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

fn counts(pairs: &[(SecretKind, usize)]) -> Redactions {
    let mut r = Redactions::default();
    for &(kind, n) in pairs {
        r.total += n;
        *r.by_kind.entry(kind).or_insert(0) += n;
    }
    r
}

/// Redacts `input`, checks the output and counts, idempotence and that
/// `contains_secret` agrees.
#[track_caller]
fn check(input: &str, expected: &str, kinds: &[(SecretKind, usize)]) {
    let (out, got) = redact(input);
    assert_eq!(out, expected, "input: {input}");
    assert_eq!(got, counts(kinds), "input: {input}");
    assert_eq!(contains_secret(input), !kinds.is_empty(), "input: {input}");
    let (again, more) = redact(&out);
    assert!(matches!(again, Cow::Borrowed(_)), "not idempotent: {out}");
    assert_eq!(more.total, 0);
    assert!(!contains_secret(&out), "secret left in: {out}");
}

#[track_caller]
fn untouched(input: &str) {
    let (out, got) = redact(input);
    assert!(matches!(out, Cow::Borrowed(_)), "changed: {input} -> {out}");
    assert_eq!(got.total, 0);
    assert!(!contains_secret(input), "flagged: {input}");
}

fn one(kind: SecretKind) -> [(SecretKind, usize); 1] {
    [(kind, 1)]
}

fn marker(kind: SecretKind) -> String {
    format!("[REDACTED:{}]", kind.name())
}

// ---- one positive case per kind ----

#[test]
fn openai_keys() {
    let m = marker(SecretKind::OpenAiKey);
    for key in [
        format!("sk-proj-{}_{}", rand(1, 74, BASE62), rand(2, 80, BASE62)),
        format!("sk-svcacct-{}", rand(3, 120, BASE62)),
        format!("sk-{}T3BlbkFJ{}", rand(4, 20, BASE62), rand(5, 20, BASE62)),
    ] {
        check(
            &format!("client = OpenAI(api_key=\"{key}\")"),
            &format!("client = OpenAI(api_key=\"{m}\")"),
            &one(SecretKind::OpenAiKey),
        );
    }
}

#[test]
fn anthropic_keys() {
    let m = marker(SecretKind::AnthropicKey);
    for key in [
        format!(
            "sk-ant-api03-{}-{}AA",
            rand(6, 60, BASE62),
            rand(7, 31, BASE62)
        ),
        format!("sk-ant-admin01-{}", rand(8, 93, BASE62)),
    ] {
        check(
            &format!("export ANTHROPIC_API_KEY={key}\n"),
            &format!("export ANTHROPIC_API_KEY={m}\n"),
            &one(SecretKind::AnthropicKey),
        );
    }
}

#[test]
fn github_tokens() {
    let m = marker(SecretKind::GithubToken);
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        let key = format!("{p}{}", rand(9, 36, BASE62));
        check(
            &format!("git clone https://{key}@github.com/o/r.git"),
            &format!("git clone https://{m}@github.com/o/r.git"),
            &one(SecretKind::GithubToken),
        );
    }
    let pat = format!(
        "github_pat_{}_{}",
        rand(10, 22, BASE62),
        rand(11, 59, BASE62)
    );
    check(
        &format!("token: {pat}"),
        &format!("token: {m}"),
        &one(SecretKind::GithubToken),
    );
}

#[test]
fn aws_keys() {
    let id = format!("AKIA{}", rand(12, 16, UPPER));
    let secret = rand(13, 40, BASE64);
    let input = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let expected = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        marker(SecretKind::AwsAccessKey),
        marker(SecretKind::AwsSecretKey)
    );
    check(
        &input,
        &expected,
        &[(SecretKind::AwsAccessKey, 1), (SecretKind::AwsSecretKey, 1)],
    );
    let sts = format!("ASIA{}", rand(14, 16, UPPER));
    check(
        &format!("AWS_SECRET_ACCESS_KEY={secret} key {sts}."),
        &format!(
            "AWS_SECRET_ACCESS_KEY={} key {}.",
            marker(SecretKind::AwsSecretKey),
            marker(SecretKind::AwsAccessKey)
        ),
        &[(SecretKind::AwsAccessKey, 1), (SecretKind::AwsSecretKey, 1)],
    );
}

#[test]
fn slack_tokens_and_webhooks() {
    let m = marker(SecretKind::SlackToken);
    let bot = format!(
        "xoxb-{}-{}-{}",
        rand(15, 12, b"0123456789"),
        rand(16, 13, b"0123456789"),
        rand(17, 24, BASE62)
    );
    check(
        &format!("SLACK={bot}"),
        &format!("SLACK={m}"),
        &one(SecretKind::SlackToken),
    );
    let app = format!(
        "xapp-1-A{}-{}-{}",
        rand(18, 10, UPPER),
        rand(19, 13, b"0123456789"),
        rand(20, 64, HEX)
    );
    check(
        &format!("'{app}'"),
        &format!("'{m}'"),
        &one(SecretKind::SlackToken),
    );
    let hook = format!(
        "T{}/B{}/{}",
        rand(21, 8, UPPER),
        rand(22, 10, UPPER),
        rand(23, 24, BASE62)
    );
    check(
        &format!("curl -X POST https://hooks.slack.com/services/{hook} -d @msg.json"),
        &format!("curl -X POST https://hooks.slack.com/services/{m} -d @msg.json"),
        &one(SecretKind::SlackToken),
    );
}

#[test]
fn stripe_keys() {
    let m = marker(SecretKind::StripeKey);
    for p in ["sk_live_", "rk_live_", "sk_test_"] {
        let key = format!("{p}{}", rand(24, 99, BASE62));
        check(
            &format!("stripe.api_key = \"{key}\""),
            &format!("stripe.api_key = \"{m}\""),
            &one(SecretKind::StripeKey),
        );
    }
}

#[test]
fn google_api_key() {
    let key = format!("AIza{}", rand(25, 35, BASE62));
    let m = marker(SecretKind::GoogleApiKey);
    check(
        &format!("https://maps.googleapis.com/maps/api/js?key={key}&callback=init"),
        &format!("https://maps.googleapis.com/maps/api/js?key={m}&callback=init"),
        &one(SecretKind::GoogleApiKey),
    );
}

#[test]
fn bearer_tokens() {
    let m = marker(SecretKind::BearerToken);
    let tok = rand(26, 40, BASE62);
    check(
        &format!("curl -H \"Authorization: Bearer {tok}\" https://api.example.com"),
        &format!("curl -H \"Authorization: Bearer {m}\" https://api.example.com"),
        &one(SecretKind::BearerToken),
    );
    check(
        &format!("sent Bearer {tok} to the proxy"),
        &format!("sent Bearer {m} to the proxy"),
        &one(SecretKind::BearerToken),
    );
    let basic = "dXNlcjpodW50ZXIy"; // base64("user:hunter2")
    check(
        &format!("Authorization: Basic {basic}\r\n"),
        &format!("Authorization: Basic {m}\r\n"),
        &one(SecretKind::BearerToken),
    );
    check(
        &format!("{{\"headers\": {{\"Authorization\": \"token {tok}\"}}}}"),
        &format!("{{\"headers\": {{\"Authorization\": \"token {m}\"}}}}"),
        &one(SecretKind::BearerToken),
    );
}

fn fake_jwt(seed: u64) -> String {
    format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{}.{}",
        rand(seed, 60, BASE62),
        rand(seed + 1, 43, BASE62)
    )
}

#[test]
fn jwts() {
    let m = marker(SecretKind::Jwt);
    let jwt = fake_jwt(27);
    check(
        &format!("id_token={jwt}&state=abc"),
        &format!("id_token={m}&state=abc"),
        &one(SecretKind::Jwt),
    );
    check(
        &format!("Authorization: Bearer {jwt}"),
        &format!("Authorization: Bearer {m}"),
        &one(SecretKind::Jwt),
    );
    check(
        &format!("cookie {jwt};"),
        &format!("cookie {m};"),
        &one(SecretKind::Jwt),
    );
}

fn pem_body(seed: u64, lines: usize) -> String {
    (0..lines)
        .map(|k| rand(seed + k as u64, 64, BASE64) + "\n")
        .collect()
}

#[test]
fn pem_blocks() {
    let m = marker(SecretKind::PemPrivateKey);
    for label in [
        "RSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "EC PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PRIVATE KEY",
    ] {
        let block = format!(
            "-----BEGIN {label}-----\n{}-----END {label}-----",
            pem_body(28, 5)
        );
        check(
            &format!("$ cat id\n{block}\n$ next"),
            &format!("$ cat id\n{m}\n$ next"),
            &one(SecretKind::PemPrivateKey),
        );
    }
    let pgp = format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{}-----END PGP PRIVATE KEY BLOCK-----",
        pem_body(32, 4)
    );
    check(
        &format!("{pgp}\n"),
        &format!("{m}\n"),
        &one(SecretKind::PemPrivateKey),
    );
    // Unterminated: redacted to the end of the text.
    let cut = format!("key:\n-----BEGIN RSA PRIVATE KEY-----\n{}", pem_body(29, 3));
    check(&cut, &format!("key:\n{m}"), &one(SecretKind::PemPrivateKey));
    // JSON-escaped newlines, as in a raw transcript line.
    let escaped = format!(
        "{{\"output\":\"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}",
        rand(30, 64, BASE64)
    );
    check(
        &escaped,
        &format!("{{\"output\":\"{m}\\n\"}}"),
        &one(SecretKind::PemPrivateKey),
    );
    untouched(
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    );
    untouched("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----");
}

#[test]
fn url_passwords() {
    let m = marker(SecretKind::UrlPassword);
    check(
        "DATABASE_URL=postgres://app:Zq8vK2pLm9@db.internal:5432/app",
        &format!("DATABASE_URL=postgres://app:{m}@db.internal:5432/app"),
        &one(SecretKind::UrlPassword),
    );
    check(
        "redis://:s3cr3t-P%40ss@cache:6379/0 and more",
        &format!("redis://:{m}@cache:6379/0 and more"),
        &one(SecretKind::UrlPassword),
    );
    let gh = format!("ghp_{}", rand(46, 36, BASE62));
    check(
        &format!("git remote add o https://{gh}:x-oauth-basic@github.com/o/r"),
        &format!(
            "git remote add o https://{}:{}@github.com/o/r",
            marker(SecretKind::GithubToken),
            marker(SecretKind::UrlPassword)
        ),
        &[(SecretKind::GithubToken, 1), (SecretKind::UrlPassword, 1)],
    );
    let glpat = format!("glpat-{}", rand(31, 20, BASE62));
    check(
        &format!("https://oauth2:{glpat}@gitlab.com/g/p.git"),
        &format!(
            "https://oauth2:{}@gitlab.com/g/p.git",
            marker(SecretKind::Rule("gitlab-pat"))
        ),
        &one(SecretKind::Rule("gitlab-pat")),
    );
}

#[test]
fn env_assignments() {
    let m = marker(SecretKind::EnvAssignment);
    let cases = [
        ("DB_PASSWORD=hunter22!", "DB_PASSWORD={m}"),
        (
            "export MY_SERVICE_TOKEN=\"a1b2c3d4e5f6\"",
            "export MY_SERVICE_TOKEN=\"{m}\"",
        ),
        ("SECRET_KEY: 'django-insecure-4k9#x2'", "SECRET_KEY: '{m}'"),
        (
            "{\"client_secret\": \"Zq8vK2pLm9Rt4Wx7\"}",
            "{\"client_secret\": \"{m}\"}",
        ),
        (
            "{\\\"password\\\": \\\"Tr0ub4dor&3\\\"}",
            "{\\\"password\\\": \\\"{m}\\\"}",
        ),
        (
            "mysql --password=Pa55word1 -u root",
            "mysql --password={m} -u root",
        ),
        ("x-api-key: 7f3a9c2e1b8d4f60", "x-api-key: {m}"),
        ("API_KEY=Qm9vdHN0cmFw", "API_KEY={m}"),
        ("password: hunter22", "password: {m}"),
        ("apiKey: \"abcd1234efgh\",", "apiKey: \"{m}\","),
        (
            "const API_KEY: &str = \"k8s-prod-9f8e7d\";",
            "const API_KEY: &str = \"{m}\";",
        ),
        (
            "api_key: str = \"k8s-prod-9f8e7d\"",
            "api_key: str = \"{m}\"",
        ),
        ("'db_pass' => 'Pa55word1',", "'db_pass' => '{m}',"),
        ("TOKEN := \"a1b2c3d4e5f6\"", "TOKEN := \"{m}\""),
        ("\\nGITHUB_TOKEN=9f8e7d6c5b4a", "\\nGITHUB_TOKEN={m}"),
        (
            "let api_key =  DB_PASSWORD=\"hunter22\"",
            "let api_key =  DB_PASSWORD=\"{m}\"",
        ),
        (
            "spring.datasource.password=s3cr3tPass",
            "spring.datasource.password={m}",
        ),
        ("PASSWORD=nodejs", "PASSWORD={m}"),
        (
            "    POSTGRES_PASSWORD: postgres",
            "    POSTGRES_PASSWORD: {m}",
        ),
        (
            "密码 PASSWORD=\"中文密码很长的\" 结束",
            "密码 PASSWORD=\"{m}\" 结束",
        ),
        // Bare values are ASCII: CJK prose after them is not swallowed.
        (
            "设置 PASSWORD=hunter22，然后重启",
            "设置 PASSWORD={m}，然后重启",
        ),
    ];
    for (input, expected) in cases {
        let expected = expected.replace("{m}", &m);
        check(input, &expected, &one(SecretKind::EnvAssignment));
    }
}

/// Vendor formats carried as data rules: the marker names the rule.
#[test]
fn data_rule_vendor_keys() {
    for (id, key) in [
        (
            "huggingface-token",
            format!(
                "hf_{}",
                rand(
                    32,
                    34,
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                )
            ),
        ),
        ("npm-token", format!("npm_{}", rand(33, 36, BASE62))),
        ("groq-api-key", format!("gsk_{}", rand(34, 52, BASE62))),
        (
            "openrouter-api-key",
            format!("sk-or-v1-{}", rand(35, 64, HEX)),
        ),
        (
            "digitalocean-token",
            format!("dop_v1_{}", rand(36, 64, HEX)),
        ),
    ] {
        let kind = SecretKind::Rule(id);
        check(
            &format!("key {key}\n"),
            &format!("key {}\n", marker(kind)),
            &one(kind),
        );
    }
}

#[test]
fn assigned_vendor_key_keeps_vendor_kind() {
    let key = format!("ghp_{}", rand(37, 36, BASE62));
    check(
        &format!("GITHUB_TOKEN={key}"),
        &format!("GITHUB_TOKEN={}", marker(SecretKind::GithubToken)),
        &one(SecretKind::GithubToken),
    );
}

// ---- placement, mixing, text preservation ----

#[test]
fn secrets_at_start_and_end() {
    let key = format!("ghp_{}", rand(38, 36, BASE62));
    let m = marker(SecretKind::GithubToken);
    check(&key, &m, &one(SecretKind::GithubToken));
    check(
        &format!("{key} first"),
        &format!("{m} first"),
        &one(SecretKind::GithubToken),
    );
    check(
        &format!("last: {key}"),
        &format!("last: {m}"),
        &one(SecretKind::GithubToken),
    );
    check(
        "PASSWORD=hunter22",
        &format!("PASSWORD={}", marker(SecretKind::EnvAssignment)),
        &one(SecretKind::EnvAssignment),
    );
}

#[test]
fn many_secrets_in_one_text() {
    let gh = format!("ghp_{}", rand(39, 36, BASE62));
    let aws = format!("AKIA{}", rand(40, 16, UPPER));
    let jwt = fake_jwt(41);
    let input = format!(
        "日本語のログ {gh} と {aws}。\nAuthorization: Bearer {jwt}\nDB_PASSWORD=hunter22\nfin 🎉"
    );
    let expected = format!(
        "日本語のログ {} と {}。\nAuthorization: Bearer {}\nDB_PASSWORD={}\nfin 🎉",
        marker(SecretKind::GithubToken),
        marker(SecretKind::AwsAccessKey),
        marker(SecretKind::Jwt),
        marker(SecretKind::EnvAssignment)
    );
    check(
        &input,
        &expected,
        &[
            (SecretKind::GithubToken, 1),
            (SecretKind::AwsAccessKey, 1),
            (SecretKind::Jwt, 1),
            (SecretKind::EnvAssignment, 1),
        ],
    );
}

#[test]
fn merge_adds_counts() {
    let (_, a) = redact("PASSWORD=hunter22 TOKEN=a1b2c3d4e5");
    let (_, b) = redact("SECRET=zz99yy88xx");
    let mut total = a.clone();
    total.merge(&b);
    assert_eq!(total, counts(&[(SecretKind::EnvAssignment, 3)]));
}

// ---- things that must stay ----

#[test]
fn placeholders_stay() {
    for text in [
        "OPENAI_API_KEY=sk-...",
        "key: sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "api_key = \"<your-key>\"",
        "api_key: ${OPENAI_API_KEY}",
        "TOKEN=$TOKEN",
        "export GITHUB_TOKEN=\"${{ secrets.GITHUB_TOKEN }}\"",
        "const key = process.env.API_KEY;",
        "API_KEY=",
        "PASSWORD=\"\"",
        "password: changeme",
        "DB_PASSWORD=password",
        "SECRET_KEY=your-secret-key-here",
        "postgres://user:password@localhost:5432/db",
        "https://user:$PASS@host/x",
        "Authorization: Bearer <token>",
        "Authorization: Bearer $TOKEN",
        "-H \"Authorization: Bearer ${API_TOKEN}\"",
        "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password = \"********\"",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "token: null",
    ] {
        untouched(text);
    }
}

#[test]
fn ordinary_code_stays() {
    for text in [
        "MAX_TOKENS=4096",
        "max_tokens: 8192",
        "let task_token_count = 0;",
        "task_token_count = compute_tokens(messages)",
        "TOKEN_LIMIT=100000",
        "\"input_tokens\": 1234, \"output_tokens\": 56",
        "let api_key = std::env::var(\"OPENAI_API_KEY\")?;",
        "def __init__(self, api_key: str, token: Optional[str] = None):",
        "api_key = os.environ[\"API_KEY\"]",
        "api_key = os.getenv(\"API_KEY\")",
        "token = self.token",
        "fn new(api_key: String) -> Self { Self { api_key } }",
        "client = Client(api_key=api_key, password=password)",
        "if token == expected_token {",
        "password: String,",
        "const { token } = await login(user);",
        "headers = {\"Authorization\": f\"Bearer {token}\"}",
        ".header(\"Authorization\", format!(\"Bearer {}\", self.token))",
        "tokenizer = \"cl100k_base\"",
        "PASSWORD_FILE=/run/secrets/db_password",
        "TOKEN_URL=https://oauth2.googleapis.com/token",
        "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID",
        "token: GITHUB_TOKEN",
        "use sk-learn for this; pip install scikit-learn",
        "commit 3f2c1e8a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "The bearer of this letter; use bearer authentication with a token.",
        "Note: the token is stored in the keychain.",
        "std::collections::HashMap<String, Token>",
        "http://localhost:8080/api?token_type=bearer",
        "ssh git@github.com:owner/repo.git",
        "password_hash = bcrypt(password)",
        "secrets: [db, api]",
        "has_token: true",
        "使用 API_KEY 环境变量。トークンは安全に保存されます。",
        "<input type=\"password\" name=\"password\">",
        "sk-proj-my-very-long-kebab-case-project-identifier-here",
        "[REDACTED:openai-key]",
        "pub type TokenStream2 = proc_macro2::TokenStream;",
        "const FLAGS_PASS = sys::IORING_MSG_RING_FLAGS_PASS;",
        "pub const IMAGE_REL_ARM_TOKEN: u16 = 0x0005;",
        "SYS_memfd_secret: c_long = __X32_SYSCALL_BIT + 447",
        "Token.Name.Builtin: \"#68175A\",",
        "Token: '#d0d0d0',",
        "private_key: \"_RSAPrivateKey\",",
        "RegallocAlgorithm::SinglePass => \"single_pass\",",
        "ResourceEndpoint.__init__(self, default_token='Bearer')",
        "TOKEN_ENDS = TSPECIALS | WSP",
        "_SK_START = b\"-----BEGIN OPENSSH PRIVATE KEY-----\"\nrest of the parser\n",
    ] {
        untouched(text);
    }
}

#[test]
fn text_around_secrets_is_kept_byte_for_byte() {
    let key = format!("sk-proj-{}", rand(42, 100, BASE62));
    let input = format!("前文\t«{key}»\r\n後文 ✓");
    let (out, _) = redact(&input);
    assert_eq!(
        out,
        format!("前文\t«{}»\r\n後文 ✓", marker(SecretKind::OpenAiKey))
    );
}

#[test]
fn contains_secret_agrees_with_redact() {
    let samples = [
        format!("x {}", rand(43, 36, BASE62)),
        format!("ghp_{}", rand(44, 36, BASE62)),
        "PASSWORD=hunter22".to_string(),
        "MAX_TOKENS=4096".to_string(),
        fake_jwt(45),
        "plain prose with no secrets".to_string(),
    ];
    for s in &samples {
        assert_eq!(contains_secret(s), redact(s).1.total > 0, "{s}");
    }
}

#[test]
fn kind_names_are_kebab_case_and_unique() {
    let names: std::collections::BTreeSet<_> = SecretKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), SecretKind::ALL.len());
    for n in names {
        assert!(
            n.bytes().all(|c| c.is_ascii_lowercase() || c == b'-'),
            "{n}"
        );
    }
}

// ---- repeats of a secret found once ----

#[test]
fn every_distinct_secret_is_replaced_where_it_repeats() {
    // Far more values than a pass over the text per value could afford.
    let values: Vec<String> = (0..60).map(|i| rand(300 + i, 20, BASE62)).collect();
    let mut text: String = values.iter().map(|v| format!("TOKEN={v}\n")).collect();
    for v in values.iter().rev() {
        text.push_str(&format!("then {v} again\n"));
    }
    let (out, got) = redact(&text);
    for v in &values {
        assert!(!out.contains(v.as_str()), "{v} left in {out}");
    }
    assert_eq!(got, counts(&[(SecretKind::EnvAssignment, 120)]));
    assert_eq!(redact(&out).1.total, 0, "not idempotent: {out}");
}

#[test]
fn overlapping_repeats_of_a_secret_are_replaced_whole() {
    // The secret ends as it starts, so two repeats can share bytes.
    let body = rand(400, 12, BASE62);
    let secret = format!("{body}{}", &body[..4]);
    let text = format!("PASSWORD={secret}\nlater: {body}{secret}\n");
    let m = marker(SecretKind::EnvAssignment);
    check(
        &text,
        &format!("PASSWORD={m}\nlater: {m}\n"),
        &[(SecretKind::EnvAssignment, 2)],
    );
}

#[test]
fn a_short_secret_is_not_looked_for_elsewhere() {
    // Four digits would match ordinary numbers.
    let m = marker(SecretKind::ProseSecret);
    check(
        "the PIN is 4821, don't share it; 4821 items left",
        &format!("the PIN is {m}, don't share it; 4821 items left"),
        &[(SecretKind::ProseSecret, 1)],
    );
}
