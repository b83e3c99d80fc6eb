//! Every way configuring or calling a provider can fail, and what a strategy is told.

use std::path::PathBuf;

use super::ProviderKind;
use crate::model::Denial;
use crate::path_error::PathError;

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
    EnvFileIo(#[from] PathError),
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
    #[error("cannot set up the HTTP client: {}", super::http::error_chain(.0))]
    Client(#[source] reqwest::Error),
    #[error("cannot set up the HTTP client: TLS setup: {0}")]
    Tls(#[source] rustls::Error),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the request could not be encoded: {0}")]
    Encode(#[source] serde_json::Error),
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
    #[error("unexpected reply from the provider: not the expected JSON: {0}")]
    BadJson(#[source] serde_json::Error),
    #[error("codex exec failed: {0}")]
    Codex(String),
    #[error("codex exec failed: {what}: {source}")]
    CodexIo {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("codex exec did not finish within {ms} ms")]
    CodexTimeout { ms: u64 },
}

impl ProviderError {
    /// What the strategy is told. A rejected request (4xx other than 429) is
    /// the strategy's to fix; anything else is the provider being unavailable.
    pub fn to_denial(&self) -> Denial {
        let message = self.to_string();
        match self {
            ProviderError::InvalidRequest(_) | ProviderError::Encode(_) => {
                Denial::InvalidRequest(message)
            }
            ProviderError::Status { status, .. }
                if (400..500).contains(status) && *status != 429 =>
            {
                Denial::InvalidRequest(message)
            }
            _ => Denial::Unavailable(message),
        }
    }
}
