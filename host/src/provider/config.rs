//! `[provider]` in `config.toml`: which API, which model, the limits of a call.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ProviderError;
use super::http_backend::Api;

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

    pub(super) fn api(self) -> Option<Api> {
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

pub(super) fn validate(config: &ProviderConfig) -> Result<(), ProviderError> {
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
