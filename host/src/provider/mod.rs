//! The model client the reflection worker calls on behalf of a sandboxed
//! strategy: configured under `[provider]` in `config.toml`, with API keys in
//! a private `.env.provider` file.
//!
//! Every message is redacted before it leaves the machine, the output budget
//! is capped by the user's config, and failures map onto a [`Denial`] the
//! strategy can act on.

mod anthropic;
mod codex_exec;
mod env_file;
mod http;
mod openai;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

pub use env_file::load_env_file;

use crate::model::{Denial, LlmRequest, LlmResponse};

/// The file holding API keys, named in messages that ask the user to add one.
pub const ENV_FILE_NAME: &str = ".env.provider";
/// More retries than this would hold a worker for many minutes.
const MAX_RETRIES_LIMIT: u32 = 10;

/// Which API the provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// No model calls: strategies that ask get `Unavailable`.
    #[default]
    None,
    OpenaiResponses,
    OpenaiChat,
    Anthropic,
    CodexExec,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::None => "none",
            ProviderKind::OpenaiResponses => "openai-responses",
            ProviderKind::OpenaiChat => "openai-chat",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::CodexExec => "codex-exec",
        }
    }

    fn api(self) -> Option<Api> {
        match self {
            ProviderKind::OpenaiResponses => Some(Api::Responses),
            ProviderKind::OpenaiChat => Some(Api::Chat),
            ProviderKind::Anthropic => Some(Api::Anthropic),
            ProviderKind::None | ProviderKind::CodexExec => None,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[provider]` in `config.toml`. Holds no secrets: keys live in `.env.provider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Defaults to OpenAI's or Anthropic's public endpoint for the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Required for the HTTP kinds; for `codex-exec`, passed as `--model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The `.env.provider` variable holding the key (default `OPENAI_API_KEY`
    /// or `ANTHROPIC_API_KEY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_var: Option<String>,
    /// Per attempt; for `codex-exec`, the whole run.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Extra attempts after a 429, 5xx, connection failure or timeout.
    pub max_retries: u32,
    /// First backoff; it doubles per retry unless the server sends `Retry-After`.
    pub retry_base_ms: u64,
    /// Upper bound on what a strategy may ask for.
    pub max_output_tokens: u32,
    pub codex_bin: String,
    /// Extra arguments for `codex exec`, placed before the prompt.
    pub codex_args: Vec<String>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            kind: ProviderKind::None,
            base_url: None,
            model: None,
            api_key_var: None,
            timeout_ms: 120_000,
            connect_timeout_ms: 10_000,
            max_retries: 2,
            retry_base_ms: 500,
            max_output_tokens: 4000,
            codex_bin: "codex".into(),
            codex_args: Vec::new(),
        }
    }
}

/// Errors never hold an API key or an `.env.provider` value.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("no model provider is configured: set `kind` under [provider] in config.toml")]
    NotConfigured,
    #[error("provider `{kind}` needs `model` under [provider] in config.toml")]
    MissingModel { kind: ProviderKind },
    #[error("no API key for {base_url}: set {var} in {env_file}")]
    MissingKey {
        var: String,
        env_file: String,
        base_url: String,
    },
    #[error("invalid [provider] config: {0}")]
    InvalidConfig(String),
    #[error(transparent)]
    EnvFileIo(#[from] crate::path_error::PathError),
    #[error(
        "{} is readable by other users (mode {mode:03o}); it holds API keys: run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    EnvFilePermissions { path: PathBuf, mode: u32 },
    #[error("{}:{line}: {reason}", path.display())]
    EnvFileSyntax {
        path: PathBuf,
        line: usize,
        reason: &'static str,
    },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("HTTP {status} from the provider after {attempts} attempt(s): {excerpt}")]
    Status {
        status: u16,
        excerpt: String,
        attempts: u32,
    },
    #[error("{} after {attempts} attempt(s): {message}", if *timeout { "timed out" } else { "request failed" })]
    Transport {
        timeout: bool,
        message: String,
        attempts: u32,
    },
    #[error("the provider's reply is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("unexpected reply from the provider: {0}")]
    BadResponse(String),
    #[error("codex exec failed: {0}")]
    Codex(String),
    #[error("codex exec did not finish within {ms} ms")]
    CodexTimeout { ms: u64 },
}

impl ProviderError {
    /// What the strategy is told. A rejected request (4xx other than 429) is
    /// the strategy's to fix; anything else is the provider being unavailable.
    pub fn to_denial(&self) -> Denial {
        let message = self.to_string();
        match self {
            ProviderError::InvalidRequest(_) => Denial::InvalidRequest(message),
            ProviderError::Status { status, .. }
                if (400..500).contains(status) && *status != 429 =>
            {
                Denial::InvalidRequest(message)
            }
            _ => Denial::Unavailable(message),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    fn parse(role: &str) -> Option<Role> {
        match role {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A message as sent: role checked, content redacted.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) role: Role,
    pub(crate) content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Responses,
    Chat,
    Anthropic,
}

/// A configured model client. Its `Debug` shows no key: the key lives only in
/// a header value marked sensitive.
#[derive(Debug)]
pub struct Provider {
    backend: Backend,
    max_output_tokens: u32,
}

#[derive(Debug)]
enum Backend {
    Http(Box<HttpBackend>),
    Codex(codex_exec::CodexExec),
}

#[derive(Debug)]
struct HttpBackend {
    kind: ProviderKind,
    api: Api,
    model: String,
    base: Url,
    endpoint: Url,
    headers: HeaderMap,
    client: http::HttpClient,
}

impl Provider {
    /// Builds the client from `config` and the variables of `.env.provider`.
    pub fn new(
        config: &ProviderConfig,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ProviderError> {
        Self::build(config, env, Path::new(ENV_FILE_NAME))
    }

    /// Like [`Provider::new`], reading the keys from `env_file` (only for the
    /// kinds that need one), so a missing key names the real path.
    pub fn from_env_file(config: &ProviderConfig, env_file: &Path) -> Result<Self, ProviderError> {
        let env = if config.kind.api().is_some() {
            load_env_file(env_file)?
        } else {
            BTreeMap::new()
        };
        Self::build(config, &env, env_file)
    }

    fn build(
        config: &ProviderConfig,
        env: &BTreeMap<String, String>,
        env_file: &Path,
    ) -> Result<Self, ProviderError> {
        if config.kind == ProviderKind::None {
            return Err(ProviderError::NotConfigured);
        }
        validate(config)?;
        let backend = match config.kind.api() {
            Some(api) => Backend::Http(Box::new(HttpBackend::new(api, config, env, env_file)?)),
            None => Backend::Codex(codex_exec::CodexExec::new(config)),
        };
        Ok(Self {
            backend,
            max_output_tokens: config.max_output_tokens,
        })
    }

    /// E.g. "openai-responses gpt-x at http://127.0.0.1:1234/v1"; never a key.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Http(http) => {
                format!(
                    "{} {} at {}",
                    http.kind,
                    http.model,
                    display_url(&http.base)
                )
            }
            Backend::Codex(codex) => codex.describe(),
        }
    }

    /// Sends `req` with every message redacted and the output budget capped.
    pub fn complete(&self, req: &LlmRequest) -> Result<LlmResponse, ProviderError> {
        if req.max_output_tokens == 0 {
            return Err(ProviderError::InvalidRequest(
                "max_output_tokens must be at least 1".into(),
            ));
        }
        let max_output_tokens = req.max_output_tokens.min(self.max_output_tokens);
        let messages = prepare(&req.messages)?;
        match &self.backend {
            Backend::Http(http) => http.complete(&messages, max_output_tokens),
            Backend::Codex(codex) => codex.complete(&messages),
        }
    }
}

fn validate(config: &ProviderConfig) -> Result<(), ProviderError> {
    let invalid = |what: &str| Err(ProviderError::InvalidConfig(what.into()));
    if config.timeout_ms == 0 || config.connect_timeout_ms == 0 {
        return invalid("timeout_ms and connect_timeout_ms must be at least 1");
    }
    if config.max_output_tokens == 0 {
        return invalid("max_output_tokens must be at least 1");
    }
    if config.max_retries > MAX_RETRIES_LIMIT {
        return invalid("max_retries must be at most 10");
    }
    if config.kind == ProviderKind::CodexExec && config.codex_bin.trim().is_empty() {
        return invalid("codex_bin must not be empty");
    }
    Ok(())
}

fn prepare(messages: &[(String, String)]) -> Result<Vec<Message>, ProviderError> {
    if messages.is_empty() {
        return Err(ProviderError::InvalidRequest("no messages to send".into()));
    }
    messages
        .iter()
        .map(|(role, content)| {
            let role = Role::parse(role).ok_or_else(|| {
                ProviderError::InvalidRequest(
                    "a message role must be `system`, `user` or `assistant`".into(),
                )
            })?;
            // Secrets in transcripts never leave the machine.
            let content = crate::redact::redact(content).0.into_owned();
            Ok(Message { role, content })
        })
        .collect()
}

impl HttpBackend {
    fn new(
        api: Api,
        config: &ProviderConfig,
        env: &BTreeMap<String, String>,
        env_file: &Path,
    ) -> Result<Self, ProviderError> {
        let kind = config.kind;
        let model = config
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .ok_or(ProviderError::MissingModel { kind })?
            .to_string();
        let default_base = match api {
            Api::Anthropic => "https://api.anthropic.com",
            Api::Responses | Api::Chat => "https://api.openai.com/v1",
        };
        let base = parse_base_url(config.base_url.as_deref().unwrap_or(default_base))?;
        let var = config.api_key_var.clone().unwrap_or_else(|| {
            match api {
                Api::Anthropic => "ANTHROPIC_API_KEY",
                Api::Responses | Api::Chat => "OPENAI_API_KEY",
            }
            .to_string()
        });
        let key = env
            .get(&var)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| env_file::ApiKey::new(v.to_string()));
        // Local servers usually take no key; anything else gets none of our traffic without one.
        if key.is_none() && !is_loopback(&base) {
            return Err(ProviderError::MissingKey {
                var,
                env_file: env_file.display().to_string(),
                base_url: display_url(&base),
            });
        }
        let (path, headers) = match api {
            Api::Responses => ("responses", openai::headers(key.as_ref())?),
            Api::Chat => ("chat/completions", openai::headers(key.as_ref())?),
            Api::Anthropic => ("v1/messages", anthropic::headers(key.as_ref())?),
        };
        let endpoint = join(&base, path);
        let client = http::HttpClient::new(config, &base)?;
        Ok(Self {
            kind,
            api,
            model,
            base,
            endpoint,
            headers,
            client,
        })
    }

    fn complete(
        &self,
        messages: &[Message],
        max_output_tokens: u32,
    ) -> Result<LlmResponse, ProviderError> {
        let body = match self.api {
            Api::Responses => openai::responses_body(&self.model, messages, max_output_tokens),
            Api::Chat => openai::chat_body(&self.model, messages, max_output_tokens),
            Api::Anthropic => anthropic::body(&self.model, messages, max_output_tokens)?,
        };
        let body =
            serde_json::to_vec(&body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let reply = self.client.post_json(&self.endpoint, &self.headers, body)?;
        match self.api {
            Api::Responses => openai::parse_responses(&reply, &self.model),
            Api::Chat => openai::parse_chat(&reply, &self.model),
            Api::Anthropic => anthropic::parse(&reply, &self.model),
        }
    }
}

fn parse_base_url(text: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ProviderError::InvalidConfig(format!("base_url is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ProviderError::InvalidConfig(
            "base_url must be an http:// or https:// URL with a host".into(),
        ));
    }
    Ok(url)
}

/// `url` without credentials or a trailing slash, for messages.
fn display_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.as_str().trim_end_matches('/').to_string()
}

/// `base` with `path` appended to its path; a query (as some gateways use) stays.
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// `localhost`, 127.0.0.0/8 or `[::1]`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// A header for a credential: marked sensitive so `Debug` prints no value.
pub(crate) fn sensitive_header(value: &str) -> Result<HeaderValue, ProviderError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        ProviderError::InvalidConfig(
            "the API key holds characters not allowed in an HTTP header".into(),
        )
    })?;
    header.set_sensitive(true);
    Ok(header)
}

pub(crate) fn bad_response(e: serde_json::Error) -> ProviderError {
    ProviderError::BadResponse(format!("not the expected JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn loopback_hosts() {
        for u in [
            "http://localhost:8080/v1",
            "http://LOCALHOST",
            "http://127.0.0.1:1234",
            "http://127.9.9.9",
            "http://[::1]:80/v1",
        ] {
            assert!(is_loopback(&url(u)), "{u}");
        }
        for u in [
            "https://api.openai.com/v1",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://[::2]",
        ] {
            assert!(!is_loopback(&url(u)), "{u}");
        }
    }

    #[test]
    fn urls_join_and_display_without_credentials() {
        assert_eq!(
            display_url(&url("https://user:pw@gw.example/v1/")),
            "https://gw.example/v1"
        );
        assert_eq!(
            join(&url("https://api.openai.com/v1/"), "responses").as_str(),
            "https://api.openai.com/v1/responses"
        );
        assert_eq!(
            join(&url("https://api.anthropic.com"), "v1/messages").as_str(),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            join(
                &url("https://gw.example/openai?api-version=1"),
                "chat/completions"
            )
            .as_str(),
            "https://gw.example/openai/chat/completions?api-version=1"
        );
    }

    #[test]
    fn prepare_checks_roles_and_redacts() {
        let secret = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
        assert!(crate::redact::contains_secret(&secret));
        let messages = prepare(&[("user".into(), format!("token {secret} here"))]).unwrap();
        assert!(
            !messages[0].content.contains(&secret),
            "{}",
            messages[0].content
        );
        assert!(messages[0].content.contains("[REDACTED:"));
        assert!(prepare(&[("tool".into(), "x".into())]).is_err());
        assert!(prepare(&[]).is_err());
    }

    #[test]
    fn provider_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Provider>();
    }

    #[test]
    fn denials_follow_the_status() {
        let status = |status| ProviderError::Status {
            status,
            excerpt: String::new(),
            attempts: 1,
        };
        assert!(matches!(status(400).to_denial(), Denial::InvalidRequest(_)));
        assert!(matches!(status(404).to_denial(), Denial::InvalidRequest(_)));
        assert!(matches!(status(429).to_denial(), Denial::Unavailable(_)));
        assert!(matches!(status(503).to_denial(), Denial::Unavailable(_)));
        assert!(matches!(
            ProviderError::NotConfigured.to_denial(),
            Denial::Unavailable(_)
        ));
        assert!(matches!(
            ProviderError::InvalidRequest("x".into()).to_denial(),
            Denial::InvalidRequest(_)
        ));
    }

    #[test]
    fn invalid_configs_are_refused() {
        let env = BTreeMap::new();
        let base = ProviderConfig {
            kind: ProviderKind::OpenaiChat,
            base_url: Some("http://127.0.0.1:9/v1".into()),
            model: Some("m".into()),
            ..ProviderConfig::default()
        };
        assert!(Provider::new(&base, &env).is_ok());
        for bad in [
            ProviderConfig {
                model: None,
                ..base.clone()
            },
            ProviderConfig {
                base_url: Some("ftp://127.0.0.1".into()),
                ..base.clone()
            },
            ProviderConfig {
                timeout_ms: 0,
                ..base.clone()
            },
            ProviderConfig {
                max_retries: 11,
                ..base.clone()
            },
        ] {
            let err = Provider::new(&bad, &env).unwrap_err();
            assert!(matches!(err.to_denial(), Denial::Unavailable(_)), "{err}");
        }
        let err = Provider::new(&ProviderConfig::default(), &env).unwrap_err();
        assert!(matches!(err, ProviderError::NotConfigured));
    }
}
