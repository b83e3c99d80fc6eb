//! The HTTP kinds (OpenAI Responses and Chat, Anthropic): endpoint, key header,
//! and one call through the shared client.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};

use super::message::Message;
use super::{ProviderConfig, ProviderError, ProviderKind, anthropic, env_file, http, openai};
use crate::model::LlmResponse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    Responses,
    Chat,
    Anthropic,
}

#[derive(Debug)]
pub(super) struct HttpBackend {
    pub(super) kind: ProviderKind,
    pub(super) api: Api,
    pub(super) model: String,
    pub(super) base: Url,
    pub(super) endpoint: Url,
    pub(super) headers: HeaderMap,
    pub(super) client: http::HttpClient,
}

impl HttpBackend {
    pub(super) fn new(
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

    pub(super) fn complete(
        &self,
        messages: &[Message],
        max_output_tokens: u32,
    ) -> Result<LlmResponse, ProviderError> {
        let body = match self.api {
            Api::Responses => openai::responses_body(&self.model, messages, max_output_tokens),
            Api::Chat => openai::chat_body(&self.model, messages, max_output_tokens),
            Api::Anthropic => anthropic::body(&self.model, messages, max_output_tokens)?,
        };
        let body = serde_json::to_vec(&body).map_err(ProviderError::Encode)?;
        let reply = self.client.post_json(&self.endpoint, &self.headers, body)?;
        match self.api {
            Api::Responses => openai::parse_responses(&reply, &self.model),
            Api::Chat => openai::parse_chat(&reply, &self.model),
            Api::Anthropic => anthropic::parse(&reply, &self.model),
        }
    }
}

pub(super) fn parse_base_url(text: &str) -> Result<Url, ProviderError> {
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
pub(super) fn display_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.as_str().trim_end_matches('/').to_string()
}

/// `base` with `path` appended to its path; a query (as some gateways use) stays.
pub(super) fn join(base: &Url, path: &str) -> Url {
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
    ProviderError::BadJson(e)
}
