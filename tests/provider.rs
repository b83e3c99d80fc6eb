//! The provider against a real HTTP server on 127.0.0.1.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::mock_llm::{MockLlm, Reply};
use csep::model::{Denial, LlmRequest};
use csep::provider::{Provider, ProviderConfig, ProviderError, ProviderKind, load_env_file};

const KEY: &str = "test-key-0123456789";

fn config(kind: ProviderKind, base_url: String) -> ProviderConfig {
    ProviderConfig {
        kind,
        base_url: Some(base_url),
        model: Some("gpt-x".into()),
        timeout_ms: 5_000,
        retry_base_ms: 10,
        ..ProviderConfig::default()
    }
}

fn env_with(var: &str, value: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(var.to_string(), value.to_string())])
}

fn ask(text: &str) -> LlmRequest {
    LlmRequest {
        messages: vec![
            ("system".into(), "You are terse.".into()),
            ("user".into(), text.into()),
        ],
        max_output_tokens: 100,
    }
}

fn write_private(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn responses_api_round_trip() {
    let mock = MockLlm::start(vec![Reply::responses_text("Hello there", 21, 3)]);
    let cfg = config(ProviderKind::OpenaiResponses, format!("{}/v1", mock.url()));
    let provider = Provider::new(&cfg, &env_with("OPENAI_API_KEY", KEY)).unwrap();
    let mut req = ask("hi");
    req.max_output_tokens = 1_000_000;
    let r = provider.complete(&req).unwrap();
    assert_eq!(r.text, "Hello there");
    assert_eq!(r.model, "mock-model");
    assert_eq!((r.input_tokens, r.output_tokens), (21, 3));
    assert!(!r.truncated);

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/v1/responses");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    let body = reqs[0].json();
    assert_eq!(body["model"], "gpt-x");
    assert_eq!(
        body["max_output_tokens"], 4000,
        "capped to the config's limit"
    );
    assert_eq!(body["input"][0]["role"], "system");
    assert_eq!(body["input"][1]["content"], "hi");
    assert_eq!(body["store"], false);
}

#[test]
fn chat_api_round_trip() {
    let mock = MockLlm::start(vec![Reply::chat_text("pong", 8, 1)]);
    let cfg = config(ProviderKind::OpenaiChat, format!("{}/v1/", mock.url()));
    let provider = Provider::new(&cfg, &env_with("OPENAI_API_KEY", KEY)).unwrap();
    let r = provider.complete(&ask("ping")).unwrap();
    assert_eq!(r.text, "pong");
    assert_eq!((r.input_tokens, r.output_tokens), (8, 1));

    let reqs = mock.requests();
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    let body = reqs[0].json();
    assert_eq!(body["max_completion_tokens"], 100);
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"][1]["content"], "ping");
}

#[test]
fn anthropic_api_round_trip() {
    let mock = MockLlm::start(vec![Reply::anthropic_text("Bonjour", 14, 2)]);
    let mut cfg = config(ProviderKind::Anthropic, mock.url());
    cfg.api_key_var = Some("MY_ANTHROPIC".into());
    let provider = Provider::new(&cfg, &env_with("MY_ANTHROPIC", KEY)).unwrap();
    let r = provider.complete(&ask("salut")).unwrap();
    assert_eq!(r.text, "Bonjour");
    assert_eq!((r.input_tokens, r.output_tokens), (14, 2));

    let reqs = mock.requests();
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].header("x-api-key"), Some(KEY));
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(reqs[0].header("authorization"), None);
    let body = reqs[0].json();
    assert_eq!(body["system"], "You are terse.");
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["role"], "user");
}

#[test]
fn a_server_error_is_retried() {
    let mock = MockLlm::start(vec![
        Reply::error(500, "try again"),
        Reply::chat_text("ok", 1, 1),
    ]);
    let cfg = config(ProviderKind::OpenaiChat, mock.url());
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    assert_eq!(provider.complete(&ask("x")).unwrap().text, "ok");
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn retry_after_zero_is_honoured() {
    let mock = MockLlm::start(vec![
        Reply::error(429, "slow down").with_header("Retry-After", "0"),
        Reply::chat_text("ok", 1, 1),
    ]);
    let mut cfg = config(ProviderKind::OpenaiChat, mock.url());
    // Our own backoff would wait 20 s; the server's `Retry-After: 0` wins.
    cfg.retry_base_ms = 20_000;
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let start = Instant::now();
    assert_eq!(provider.complete(&ask("x")).unwrap().text, "ok");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn a_bad_request_is_not_retried() {
    let mock = MockLlm::start(vec![Reply::error(400, "max_tokens is too large")]);
    let cfg = config(ProviderKind::OpenaiResponses, mock.url());
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert_eq!(mock.requests().len(), 1);
    match err.to_denial() {
        Denial::InvalidRequest(m) => {
            assert!(
                m.contains("400") && m.contains("max_tokens is too large"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn persistent_overload_is_unavailable_after_the_retries() {
    let mock = MockLlm::start(vec![Reply::error(503, "overloaded")]);
    let mut cfg = config(ProviderKind::Anthropic, mock.url());
    cfg.max_retries = 2;
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert_eq!(mock.requests().len(), 3);
    match err.to_denial() {
        Denial::Unavailable(m) => assert!(m.contains("503") && m.contains("overloaded"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_slow_server_times_out_and_is_unavailable() {
    let mock = MockLlm::start(vec![Reply::chat_text("late", 1, 1).with_delay(3_000)]);
    let mut cfg = config(ProviderKind::OpenaiChat, mock.url());
    cfg.timeout_ms = 300;
    cfg.max_retries = 1;
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let start = Instant::now();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            err,
            ProviderError::Transport {
                timeout: true,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(err.to_denial(), Denial::Unavailable(_)));
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn a_refused_connection_is_unavailable() {
    // Bind then drop, so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config(ProviderKind::OpenaiChat, format!("http://127.0.0.1:{port}"));
    cfg.max_retries = 1;
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Transport {
                timeout: false,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(err.to_denial(), Denial::Unavailable(_)));
}

#[test]
fn an_oversized_reply_is_refused() {
    let huge = format!("{{\"pad\":\"{}\"}}", "a".repeat(9 << 20));
    let mock = MockLlm::start(vec![Reply::json(200, huge)]);
    let cfg = config(ProviderKind::OpenaiChat, mock.url());
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert!(matches!(err, ProviderError::BodyTooLarge { .. }), "{err:?}");
    assert_eq!(mock.requests().len(), 1, "not retried");
}

#[test]
fn secrets_in_messages_never_reach_the_server() {
    let github = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
    let openai = format!(
        "sk-proj-{}",
        "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op"
    );
    for secret in [&github, &openai] {
        assert!(csep::redact::contains_secret(secret), "{secret}");
    }
    let mock = MockLlm::start(vec![Reply::responses_text("ok", 1, 1)]);
    let cfg = config(ProviderKind::OpenaiResponses, mock.url());
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let req = LlmRequest {
        messages: vec![
            ("system".into(), format!("deploy with {github}")),
            (
                "user".into(),
                format!("export OPENAI_API_KEY={openai}\nthen run it"),
            ),
        ],
        max_output_tokens: 50,
    };
    provider.complete(&req).unwrap();
    let body = &mock.requests()[0].body;
    assert!(!body.contains(&github) && !body.contains(&openai), "{body}");
    assert!(body.contains("[REDACTED:"), "{body}");
    assert!(body.contains("then run it"), "{body}");
}

#[test]
fn a_remote_base_without_a_key_is_unavailable_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join(".env.provider");
    write_private(&env_path, "OTHER=1\n", 0o600);
    let cfg = ProviderConfig {
        kind: ProviderKind::OpenaiResponses,
        model: Some("gpt-x".into()),
        ..ProviderConfig::default()
    };
    let err = Provider::from_env_file(&cfg, &env_path).unwrap_err();
    match err.to_denial() {
        Denial::Unavailable(m) => {
            assert!(m.contains("OPENAI_API_KEY"), "{m}");
            assert!(m.contains(&env_path.display().to_string()), "{m}");
            assert!(m.contains("https://api.openai.com/v1"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let cfg = ProviderConfig {
        kind: ProviderKind::Anthropic,
        ..cfg
    };
    let err = Provider::new(&cfg, &BTreeMap::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("ANTHROPIC_API_KEY in .env.provider"),
        "{err}"
    );
}

#[test]
fn a_loopback_server_needs_no_key() {
    let mock = MockLlm::start(vec![Reply::chat_text("local", 1, 1)]);
    let cfg = config(
        ProviderKind::OpenaiChat,
        mock.url().replace("127.0.0.1", "localhost"),
    );
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    assert_eq!(provider.complete(&ask("x")).unwrap().text, "local");
    assert_eq!(mock.requests()[0].header("authorization"), None);
}

#[test]
fn the_key_comes_from_the_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join(".env.provider");
    write_private(
        &env_path,
        "# provider keys\n\nexport OPENAI_API_KEY=\"quoted-key-42\" # main\nANTHROPIC_API_KEY='single'\n",
        0o600,
    );
    let vars = load_env_file(&env_path).unwrap();
    assert_eq!(vars["ANTHROPIC_API_KEY"], "single");

    let mock = MockLlm::start(vec![Reply::responses_text("ok", 1, 1)]);
    let cfg = config(ProviderKind::OpenaiResponses, mock.url());
    let provider = Provider::from_env_file(&cfg, &env_path).unwrap();
    provider.complete(&ask("x")).unwrap();
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer quoted-key-42")
    );
}

#[test]
fn a_shared_env_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join(".env.provider");
    write_private(&env_path, "OPENAI_API_KEY=sk-shared-value\n", 0o644);
    let err = load_env_file(&env_path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&env_path.display().to_string()), "{msg}");
    assert!(msg.contains("chmod 600"), "{msg}");
    assert!(!msg.contains("sk-shared-value"), "{msg}");
    assert!(!format!("{err:?}").contains("sk-shared-value"));

    write_private(&env_path, "OPENAI_API_KEY=x\n", 0o640);
    assert!(load_env_file(&env_path).is_err(), "group-readable too");
    let missing = load_env_file(&dir.path().join("absent")).unwrap();
    assert!(missing.is_empty());
}

#[test]
fn debug_and_describe_hide_the_key() {
    let cfg = ProviderConfig {
        kind: ProviderKind::OpenaiResponses,
        base_url: Some("http://127.0.0.1:1234/v1".into()),
        model: Some("gpt-x".into()),
        ..ProviderConfig::default()
    };
    let provider = Provider::new(&cfg, &env_with("OPENAI_API_KEY", KEY)).unwrap();
    assert_eq!(
        provider.describe(),
        "openai-responses gpt-x at http://127.0.0.1:1234/v1"
    );
    for text in [
        format!("{provider:?}"),
        format!("{cfg:?}"),
        provider.describe(),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
    let anthropic = Provider::new(
        &ProviderConfig {
            kind: ProviderKind::Anthropic,
            base_url: None,
            ..cfg
        },
        &env_with("ANTHROPIC_API_KEY", KEY),
    )
    .unwrap();
    assert_eq!(
        anthropic.describe(),
        "anthropic gpt-x at https://api.anthropic.com"
    );
    assert!(!format!("{anthropic:?}").contains(KEY));
}

#[test]
fn config_reads_from_toml() {
    #[derive(serde::Deserialize)]
    struct File {
        provider: ProviderConfig,
    }
    let file: File = toml::from_str(
        "[provider]\nkind = \"openai-chat\"\nbase_url = \"http://localhost:8080/v1\"\n\
         model = \"qwen\"\nmax_retries = 0\ncodex_args = [\"-c\", \"x=1\"]\n",
    )
    .unwrap();
    let cfg = file.provider;
    assert_eq!(cfg.kind, ProviderKind::OpenaiChat);
    assert_eq!(cfg.max_retries, 0);
    assert_eq!(cfg.timeout_ms, 120_000);
    assert_eq!(cfg.max_output_tokens, 4000);
    assert_eq!(cfg.codex_args, ["-c", "x=1"]);
    let round: ProviderConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(round, cfg);

    for kind in ["none", "openai-responses", "anthropic", "codex-exec"] {
        let cfg: ProviderConfig = toml::from_str(&format!("kind = \"{kind}\"")).unwrap();
        assert_eq!(cfg.kind.as_str(), kind);
    }
    assert_eq!(ProviderConfig::default().kind, ProviderKind::None);
    assert!(toml::from_str::<ProviderConfig>("kind = \"openai\"").is_err());
    assert!(toml::from_str::<ProviderConfig>("api_key = \"sk-x\"").is_err());
}

#[test]
fn codex_exec_runs_the_binary_with_the_prompt_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("codex");
    let args_log = dir.path().join("args.txt");
    let script = format!(
        "#!/bin/sh\n\
         printf '%s\\n' \"$@\" > '{}'\n\
         out=''\n\
         while [ $# -gt 0 ]; do\n\
           if [ \"$1\" = --output-last-message ]; then out=\"$2\"; shift; fi\n\
           shift\n\
         done\n\
         prompt=$(cat)\n\
         echo 'progress on stdout'\n\
         printf 'child=%s\\n%s' \"$CSEP_REFLECTION_CHILD\" \"$prompt\" > \"$out\"\n",
        args_log.display()
    );
    write_private(&fake, &script, 0o700);
    let cfg = ProviderConfig {
        kind: ProviderKind::CodexExec,
        codex_bin: fake.display().to_string(),
        codex_args: vec!["-c".into(), "analytics.enabled=false".into()],
        model: Some("gpt-codex".into()),
        timeout_ms: 10_000,
        ..ProviderConfig::default()
    };
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    assert!(provider.describe().starts_with("codex-exec gpt-codex via "));
    let r = provider.complete(&ask("what now?")).unwrap();
    assert_eq!(
        r.text,
        "child=1\n[system]\nYou are terse.\n\n[user]\nwhat now?"
    );
    assert_eq!(r.model, "gpt-codex");
    assert_eq!((r.input_tokens, r.output_tokens), (0, 0));
    let args = std::fs::read_to_string(&args_log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args[..3],
        ["exec", "--skip-git-repo-check", "--output-last-message"]
    );
    assert_eq!(
        args[4..],
        [
            "--ephemeral",
            "--sandbox",
            "read-only",
            "--model",
            "gpt-codex",
            "-c",
            "analytics.enabled=false",
            "-"
        ]
    );
}

#[test]
fn codex_exec_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("codex");
    write_private(&fake, "#!/bin/sh\nsleep 30\n", 0o700);
    let cfg = ProviderConfig {
        kind: ProviderKind::CodexExec,
        codex_bin: fake.display().to_string(),
        timeout_ms: 300,
        ..ProviderConfig::default()
    };
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let start = Instant::now();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(err, ProviderError::CodexTimeout { ms: 300 }),
        "{err:?}"
    );
    assert!(matches!(err.to_denial(), Denial::Unavailable(_)));
}

#[test]
fn https_speaks_tls_through_the_ring_provider() {
    // A plain-HTTP server: the client's TLS handshake reaches it and fails
    // cleanly, which shows the TLS stack is set up without a global provider.
    let mock = MockLlm::start(vec![Reply::chat_text("never", 1, 1)]);
    let mut cfg = config(
        ProviderKind::OpenaiChat,
        mock.url().replace("http:", "https:"),
    );
    cfg.max_retries = 0;
    let provider = Provider::new(&cfg, &BTreeMap::new()).unwrap();
    let err = provider.complete(&ask("x")).unwrap_err();
    assert!(
        matches!(err, ProviderError::Transport { timeout: false, .. }),
        "{err:?}"
    );
    assert!(matches!(err.to_denial(), Denial::Unavailable(_)));
    assert!(mock.requests().is_empty(), "no plain request got through");
}
