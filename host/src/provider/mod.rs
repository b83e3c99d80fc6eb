//! The model client the reflection worker calls on behalf of a sandboxed
//! strategy: configured under `[provider]` in `config.toml`, with API keys in
//! a private `.env.provider` file.
//!
//! Every message is redacted before it leaves the machine, the output budget
//! is capped by the user's config, and failures map onto a [`Denial`] the
//! strategy can act on.

mod anthropic;
mod codex_exec;
mod config;
mod env_file;
mod error;
mod http;
mod http_backend;
mod message;
mod openai;

use std::collections::BTreeMap;
use std::path::Path;

pub use config::{ProviderConfig, ProviderKind};
pub use env_file::{EnvVars, load_env_file};
pub use error::ProviderError;
pub(crate) use http_backend::{bad_response, is_loopback, sensitive_header};
pub(crate) use message::{Message, Role};

use config::validate;
use http_backend::{HttpBackend, display_url};
use message::prepare;

use crate::model::{LlmRequest, LlmResponse};

/// The file holding API keys, named in messages that ask the user to add one.
pub use crate::home::PROVIDER_ENV_FILE as ENV_FILE_NAME;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Denial;
    use http_backend::join;
    use reqwest::Url;

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
