//! Builds the model a job may call from `[provider]` and `.env.provider`.

use super::job_host::Model;
use crate::config::Config;
use crate::home::Home;
use crate::model::{Denial, LlmRequest, LlmResponse};
use crate::provider::{ENV_FILE_NAME, Provider, ProviderKind};

/// `None` when no provider is configured: the strategy then works without a model.
pub fn model(home: &Home, config: &Config) -> Result<Option<Box<dyn Model>>, String> {
    if config.provider.kind == ProviderKind::None {
        return Ok(None);
    }
    let provider = Provider::from_env_file(&config.provider, &home.root().join(ENV_FILE_NAME))
        .map_err(|e| e.to_string())?;
    Ok(Some(Box::new(provider)))
}

impl Model for Provider {
    fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, Denial> {
        Provider::complete(self, request).map_err(|e| e.to_denial())
    }

    fn describe(&self) -> String {
        Provider::describe(self)
    }
}
