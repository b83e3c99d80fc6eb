//! Builds the model a job may call from `[provider]` and `.env.provider`.

use super::job_host::Model;
use crate::config::Config;
use crate::home::Home;
use crate::model::{Denial, LlmRequest, LlmResponse};
use crate::provider::{Provider, ProviderError, ProviderKind};

/// `None` when no provider is configured: the strategy then works without a model.
pub fn model(home: &Home, config: &Config) -> Result<Option<Box<dyn Model>>, ProviderError> {
    if config.provider.kind == ProviderKind::None {
        return Ok(None);
    }
    let provider = Provider::from_env_file(&config.provider, &home.provider_env_file())?;
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

/// How reflection reaches a model, as `csep setup --reflect-with` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReflectWith {
    /// The user's Codex login: one background `codex exec` per reflection.
    Codex,
    /// No model: the strategy works without one.
    None,
}

/// The model a Codex reflection uses unless the config names another: the one the
/// original tool reflected with.
pub const CODEX_REFLECTION_MODEL: &str = crate::config_v2::ORIGINAL_MODEL;

/// Whether Codex is logged in on this machine (`$CODEX_HOME/auth.json` exists).
pub fn codex_logged_in() -> bool {
    crate::home::codex_home().is_some_and(|h| h.join("auth.json").is_file())
}

/// Whether the config file already says how reflection reaches a model (a
/// `[provider] kind`, or the original tool's form, which always reflected through
/// Codex): setup then asks nothing.
pub fn choice_recorded(home: &Home) -> bool {
    let text = std::fs::read_to_string(home.config_path()).unwrap_or_default();
    let table: toml::Table = text.parse().unwrap_or_default();
    crate::config_v2::is_original(&table)
        || table.get("provider").and_then(|p| p.get("kind")).is_some()
}

/// The cost, in words, shown before the user chooses.
pub fn codex_cost(config: &Config) -> String {
    format!(
        "each reflection runs one background `codex exec` (model {CODEX_REFLECTION_MODEL}, \
         ephemeral, read-only) on your Codex plan, within the daily caps \
         ({} calls, {} tokens per day)",
        config.reflection.max_calls_per_day, config.reflection.max_tokens_per_day
    )
}

#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}", path.display())]
    Parse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Records the choice in `[provider]` of csep's config (comments and the rest of
/// the file kept). Returns whether the file changed.
pub fn record_choice(home: &Home, choice: ReflectWith, dry_run: bool) -> Result<bool, ChoiceError> {
    let path = home.config_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ChoiceError::Read { path, source }),
    };
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ChoiceError::Parse {
                path: path.clone(),
                message: e.message().trim().to_string(),
            })?;
    let provider = doc
        .entry("provider")
        .or_insert(toml_edit::Item::Table(toml_edit::Table::new()));
    let Some(provider) = provider.as_table_like_mut() else {
        return Err(ChoiceError::Parse {
            path,
            message: "`provider` is not a table".into(),
        });
    };
    let kind = match choice {
        ReflectWith::Codex => "codex-exec",
        ReflectWith::None => "none",
    };
    let was_codex = provider.get("kind").and_then(|k| k.as_str()) == Some("codex-exec");
    provider.insert("kind", toml_edit::value(kind));
    if choice == ReflectWith::Codex && !(was_codex && provider.contains_key("model")) {
        provider.insert("model", toml_edit::value(CODEX_REFLECTION_MODEL));
    }
    let out = doc.to_string();
    if out == text {
        return Ok(false);
    }
    if !dry_run {
        let write = |source| ChoiceError::Write {
            path: path.clone(),
            source,
        };
        let dir = crate::fs_authority::create_private_dir_all(home.root()).map_err(write)?;
        crate::fs_authority::write_atomic(&dir, "config.toml", out.as_bytes()).map_err(write)?;
    }
    Ok(true)
}
