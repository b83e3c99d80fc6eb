//! `config.toml` in the state folder. A missing file means defaults; a malformed
//! one is an error naming the file, the line and the key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config_v2;
pub use crate::config_v2::{Note, NoteKind};
use crate::model::{SettingError, Settings};
use crate::provider::ProviderConfig;
use crate::sandbox::{InvalidLimits, Limits};

/// The commented default file `csep config show --default` prints. A test keeps it
/// equal to `Config::default()`.
pub const DEFAULT_TOML: &str = r#"# csep configuration: ~/.codex-self-evolution/config.toml
# Every key is optional; these are the defaults.

[sandbox]                       # limits of the sandboxed components, always on
memory_mib = 64                 # linear memory cap of a guest
policy_timeout_ms = 500         # wall clock of one trigger-policy call
strategy_timeout_ms = 300000    # wall clock of one reflection-strategy call
max_instances = 20              # core instances a component may create
max_tables = 20
max_memories = 4
max_table_elements = 100000
max_output_bytes = 262144       # cap on a string a guest returns, and on one log line

[session_start]
memory_budget_chars = 6000      # characters of MEMORY.md injected at most

[policy]                        # the trigger policy
use = "bundled"                 # or a drop-in's name (policies/NAME.wasm), or a .wasm path
# sha256 = "..."                # refuse the drop-in if it changes

[policy.settings]               # passed to the active policy as data; the bundled one takes:
# memory_stop_interval = 3      # reflect on memory after this many Stops
# memory_context_chars = 16000  # ... or this many readable characters
# skill_tool_call_interval = 15 # reflect on skills after this many tool calls
# high_signal_immediate = true  # "remember", "next time", 记住, 下次 ... reflect at once
# extra_memory_keywords = []
# extra_skill_keywords = []

[strategy]                      # the reflection strategy
use = "bundled"                 # or a drop-in's name (strategies/NAME.wasm), or a .wasm path
# sha256 = "..."

[strategy.settings]             # passed to the active strategy as data; the bundled one takes:
# mode = "auto"                 # auto (model when one is configured), deterministic, model
# max_entries_per_run = 10

[reflection]                    # the background worker
enabled = true                  # queue a job when the policy asks for a reflection
start_worker = true             # start a worker for it at once (false: csep session-reflect --pending)
max_concurrent_workers = 1      # workers running at once, across all sessions
max_calls_per_day = 50          # model calls per UTC day, all jobs together
max_tokens_per_day = 2000000    # model tokens (input + output) per UTC day
max_calls_per_job = 4
max_tokens_per_job = 200000
lease_minutes = 30              # a running job whose worker is gone is taken over after this
max_attempts = 3                # a job whose worker died this often is given up
max_file_kib = 64               # any one memory or skill file a strategy writes
max_job_kib = 1024              # everything one job writes
max_active_skills = 20          # generated csep-reflect-* skills per skills folder
transcript_kib = 2048           # newest part of the session shown to the strategy

[retention]                     # what the state folder keeps, in days (pruned hourly by the worker)
receipts_days = 90              # a run that changed files: receipt and backup (memory revert works)
unchanged_days = 7              # a run that changed nothing: its receipt
failed_days = 7                 # a failed run: its log and session copy
jobs_days = 14                  # a finished job's file
triggers_days = 30              # a session's trigger state after its last Stop

[recall]                        # the session archive and `csep recall`
enabled = true                  # off: csep recall answers that recall is off
archive_on_stop = true          # archive each session into the index at Stop

[provider]                      # the model a strategy may call; keys go in .env.provider
kind = "none"                   # none, openai-responses, openai-chat, anthropic, codex-exec
# base_url = "http://127.0.0.1:8080/v1"  # default: the public endpoint of the kind
# model = "gpt-5-mini"          # required for the HTTP kinds
# api_key_var = "OPENAI_API_KEY" # the .env.provider variable holding the key
timeout_ms = 120000             # per attempt (codex-exec: the whole run)
connect_timeout_ms = 10000
max_retries = 2                 # after a 429, a 5xx, a timeout or a refused connection
retry_base_ms = 500             # first backoff; doubles, or the server's Retry-After
max_output_tokens = 4000        # cap on what a strategy may ask for
codex_bin = "codex"
codex_args = []
"#;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sandbox: Limits,
    pub policy: GuestConfig,
    pub strategy: GuestConfig,
    pub session_start: SessionStartConfig,
    pub reflection: ReflectionConfig,
    pub retention: RetentionConfig,
    pub provider: ProviderConfig,
    pub recall: RecallConfig,
}

/// The session archive and `csep recall`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecallConfig {
    /// Off: `csep recall` reports that recall is off and the Stop hook archives nothing.
    pub enabled: bool,
    /// Off: the Stop hook does not archive (`recall bootstrap` still can).
    pub archive_on_stop: bool,
}

impl Default for RecallConfig {
    fn default() -> Self {
        RecallConfig {
            enabled: true,
            archive_on_stop: true,
        }
    }
}

impl RecallConfig {
    /// Whether the Stop hook should archive the session.
    pub fn archives_on_stop(&self) -> bool {
        self.enabled && self.archive_on_stop
    }
}

/// The background reflection worker: its caps and budgets.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReflectionConfig {
    /// Off: the policy still keeps its counters, but no job is queued.
    pub enabled: bool,
    /// Off: jobs stay queued for `csep session-reflect --pending`.
    pub start_worker: bool,
    pub max_concurrent_workers: u32,
    pub max_calls_per_day: u32,
    pub max_tokens_per_day: u64,
    pub max_calls_per_job: u32,
    pub max_tokens_per_job: u64,
    pub lease_minutes: u64,
    pub max_attempts: u32,
    pub max_file_kib: u64,
    pub max_job_kib: u64,
    pub max_active_skills: usize,
    pub transcript_kib: u64,
    /// Whether a strategy's recall may search other repositories' sessions; off,
    /// so nothing of another repository can reach this one's memory.
    pub recall_global: bool,
}

impl Default for ReflectionConfig {
    fn default() -> Self {
        ReflectionConfig {
            enabled: true,
            start_worker: true,
            max_concurrent_workers: 1,
            max_calls_per_day: 50,
            max_tokens_per_day: 2_000_000,
            max_calls_per_job: 4,
            max_tokens_per_job: 200_000,
            lease_minutes: 30,
            max_attempts: 3,
            max_file_kib: 64,
            max_job_kib: 1024,
            max_active_skills: 20,
            transcript_kib: 2048,
            recall_global: false,
        }
    }
}

/// What SessionStart injects.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionStartConfig {
    /// Characters of MEMORY.md injected at most; the rest is left out at an entry
    /// boundary, with a marker saying so.
    pub memory_budget_chars: usize,
}

impl Default for SessionStartConfig {
    fn default() -> Self {
        SessionStartConfig {
            memory_budget_chars: 6000,
        }
    }
}

/// Which component to run for one world, and its settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuestConfig {
    /// `bundled`, the name of a drop-in in `policies/` (`strategies/`), or the path
    /// of a `.wasm` (relative to the state folder). `path` is the older spelling.
    #[serde(
        rename = "use",
        alias = "path",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_: Option<String>,
    /// When set, the drop-in must have this sha256 or it is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Passed to the guest as data.
    pub settings: toml::Table,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid: {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
    #[error("the environment overrides ({vars}) make the config invalid: {source}")]
    Env {
        vars: String,
        #[source]
        source: Invalid,
    },
}

/// Why a config text is refused.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error("{}", .0.to_string().trim())]
    Toml(#[from] toml::de::Error),
    #[error(transparent)]
    Schema(#[from] config_v2::SchemaError),
    #[error(transparent)]
    Limits(#[from] InvalidLimits),
    #[error("[{section}.settings] {source}")]
    Settings {
        section: &'static str,
        #[source]
        source: SettingError,
    },
    #[error("{0}")]
    Rule(&'static str),
    #[error("{0}.sha256 must be 64 hexadecimal digits")]
    Sha256(&'static str),
}

/// Environment variables that override config values, for tests and CI:
/// `CSEP__SESSION_START__MEMORY_BUDGET_CHARS=3000` sets
/// `[session_start] memory_budget_chars`. The value is read as TOML (`3000`, `true`,
/// `["a"]`), and as a plain string when it is not TOML.
pub const ENV_PREFIX: &str = "CSEP__";

fn env_overrides() -> Vec<(String, Vec<String>, toml::Value)> {
    let mut out: Vec<_> = std::env::vars()
        .filter_map(|(var, raw)| {
            let path = var.strip_prefix(ENV_PREFIX)?;
            let keys: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            if keys.iter().any(String::is_empty) {
                return None;
            }
            let value = format!("v = {raw}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(raw));
            Some((var, keys, value))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The file as a table of this project's form (the original's form translated);
/// empty when it does not parse.
fn file_table(text: &str) -> toml::Table {
    let table: toml::Table = text.parse().unwrap_or_default();
    match config_v2::translate_if_original(&table) {
        Ok(Some(translation)) => translation.table,
        Ok(None) => table,
        Err(_) => toml::Table::new(),
    }
}

fn set(table: &mut toml::Table, keys: &[String], value: toml::Value) {
    let (last, parents) = keys.split_last().expect("at least one key");
    let mut at = table;
    for k in parents {
        let entry = at
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        at = entry.as_table_mut().expect("made a table above");
    }
    at.insert(last.clone(), value);
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        // The file alone first, so its errors carry its line numbers.
        let config = Config::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
        let overrides = env_overrides();
        if overrides.is_empty() {
            return Ok(config);
        }
        let vars = overrides
            .iter()
            .map(|(v, _, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut table = file_table(&text);
        for (_, keys, value) in overrides {
            set(&mut table, &keys, value);
        }
        toml::Value::Table(table)
            .try_into::<Config>()
            .map_err(Invalid::from)
            .and_then(Config::validated)
            .map_err(|source| ConfigError::Env { vars, source })
    }

    /// The config the hooks run on: the file when it is valid; otherwise, with the
    /// problem returned for the log, every section that is valid on its own and the
    /// defaults for the rest (all defaults when the file cannot be read or parsed).
    /// A hook must never be switched off by a typo.
    pub fn load_or_defaults(path: &Path) -> (Config, Option<ConfigError>) {
        let problem = match Config::load(path) {
            Ok(config) => return (config, None),
            Err(e) => e,
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut table = file_table(&text);
        for (_, keys, value) in env_overrides() {
            set(&mut table, &keys, value);
        }
        let kept: toml::Table = table
            .into_iter()
            .filter(|(key, value)| {
                let mut one = toml::Table::new();
                one.insert(key.clone(), value.clone());
                toml::Value::Table(one)
                    .try_into::<Config>()
                    .map_err(Invalid::from)
                    .and_then(Config::validated)
                    .is_ok()
            })
            .collect();
        let config = toml::Value::Table(kept)
            .try_into::<Config>()
            .map_err(Invalid::from)
            .and_then(Config::validated)
            .unwrap_or_default();
        (config, Some(problem))
    }

    pub fn parse(text: &str) -> Result<Config, Invalid> {
        if let Ok(table) = text.parse::<toml::Table>()
            && let Some(translation) = config_v2::translate_if_original(&table)?
        {
            // The original's form: read through its translation into this project's.
            let config: Config = toml::Value::Table(translation.table).try_into()?;
            return Config::validated(config);
        }
        let config: Config = toml::from_str(text)?;
        Config::validated(config)
    }

    /// What became of each key when the file at `path` is in the original's form
    /// (`schema_version = 2`); `None` for this project's form or no file.
    pub fn original_form_notes(path: &Path) -> Result<Option<Vec<Note>>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let invalid = |source: Invalid| ConfigError::Invalid {
            path: path.to_path_buf(),
            source,
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| invalid(e.into()))?;
        Ok(config_v2::translate_if_original(&table)
            .map_err(|e| invalid(e.into()))?
            .map(|t| t.notes))
    }

    fn validated(config: Config) -> Result<Config, Invalid> {
        config.sandbox.validate()?;
        if config.session_start.memory_budget_chars < 200 {
            return Err(Invalid::Rule(
                "session_start.memory_budget_chars must be at least 200",
            ));
        }
        let r = &config.reflection;
        if r.max_concurrent_workers == 0 || r.max_concurrent_workers > 16 {
            return Err(Invalid::Rule(
                "reflection.max_concurrent_workers must be between 1 and 16",
            ));
        }
        if r.max_attempts == 0 || r.lease_minutes == 0 {
            return Err(Invalid::Rule(
                "reflection.max_attempts and reflection.lease_minutes must be at least 1",
            ));
        }
        for (section, guest) in [("policy", &config.policy), ("strategy", &config.strategy)] {
            Settings::from_toml(&guest.settings)
                .map_err(|source| Invalid::Settings { section, source })?;
            if let Some(sha) = &guest.sha256
                && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(Invalid::Sha256(section));
            }
        }
        Ok(config)
    }

    pub fn policy_settings(&self) -> Settings {
        Settings::from_toml(&self.policy.settings).unwrap_or_default()
    }

    pub fn strategy_settings(&self) -> Settings {
        Settings::from_toml(&self.strategy.settings).unwrap_or_default()
    }
}

/// `[retention]` in config.toml: days each kind of record is kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// A run that changed files: its receipt, backup and copies, so `csep memory
    /// revert` works for this long.
    pub receipts_days: u64,
    /// A run that changed nothing: its receipt (what was rejected and why).
    pub unchanged_days: u64,
    /// A failed run: its log and its copy of the session, to see why.
    pub failed_days: u64,
    /// A finished job's file in `session_reflection/jobs/`.
    pub jobs_days: u64,
    /// A session's trigger state after its last Stop.
    pub triggers_days: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            receipts_days: 90,
            unchanged_days: 7,
            failed_days: 7,
            jobs_days: 14,
            triggers_days: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SettingValue;

    #[test]
    fn nested_keys_are_set_and_replace_what_is_there() {
        let mut t: toml::Table = "[sandbox]\nmemory_mib = 64\n".parse().unwrap();
        set(
            &mut t,
            &["sandbox".into(), "memory_mib".into()],
            toml::Value::Integer(8),
        );
        set(
            &mut t,
            &["policy".into(), "settings".into(), "x".into()],
            toml::Value::Boolean(true),
        );
        let c: Config = toml::Value::Table(t).try_into().unwrap();
        assert_eq!(c.sandbox.memory_mib, 8);
        assert_eq!(
            c.policy_settings().get("x"),
            Some(&SettingValue::Boolean(true))
        );
    }

    #[test]
    fn the_commented_default_file_is_the_default() {
        let c = Config::parse(DEFAULT_TOML).unwrap();
        assert_eq!(c.sandbox, Limits::default());
        assert_eq!(
            c.session_start.memory_budget_chars,
            SessionStartConfig::default().memory_budget_chars
        );
        assert_eq!(c.policy.use_.as_deref(), Some("bundled"));
        assert_eq!(c.strategy.use_.as_deref(), Some("bundled"));
        assert!(c.policy.settings.is_empty() && c.strategy.settings.is_empty());
        assert_eq!(c.reflection, ReflectionConfig::default());
        assert_eq!(c.retention, Default::default());
        assert_eq!(c.provider, ProviderConfig::default());
    }

    /// Every key of the default file, commented out or not, as `section.key`.
    fn default_file_keys() -> Vec<String> {
        let mut section = String::new();
        let mut keys = Vec::new();
        for line in DEFAULT_TOML.lines() {
            let line = line.trim_start_matches('#').trim();
            if let Some(rest) = line.strip_prefix('[') {
                section = rest.split(']').next().unwrap().to_string();
            } else if let Some((key, _)) = line.split_once(" = ")
                && !key.contains(' ')
            {
                keys.push(format!("{section}.{key}"));
            }
        }
        keys
    }

    #[test]
    fn every_key_of_the_default_file_is_documented() {
        let doc = include_str!("../../docs/config.md");
        let keys = default_file_keys();
        assert!(keys.len() > 30, "{keys:?}");
        for key in keys {
            assert!(
                doc.contains(&format!("`{key}`")),
                "docs/config.md lacks `{key}`"
            );
        }
    }

    #[test]
    fn missing_sections_give_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.sandbox, Limits::default());
        assert!(c.policy.use_.is_none());
    }

    #[test]
    fn reads_limits_and_flattened_settings() {
        let c = Config::parse(
            "[sandbox]\nmemory_mib = 16\n[policy.settings]\nmemory_stop_interval = 5\n\
             [policy.settings.deny]\nrepos = [\"a\", \"b\"]\n",
        )
        .unwrap();
        assert_eq!(c.sandbox.memory_mib, 16);
        let s = c.policy_settings();
        assert_eq!(
            s.get("memory_stop_interval"),
            Some(&SettingValue::Integer(5))
        );
        assert_eq!(
            s.get("deny.repos"),
            Some(&SettingValue::TextList(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn unknown_sandbox_key_is_named() {
        let e = Config::parse("[sandbox]\nmemory_mb = 16\n").unwrap_err();
        assert!(e.to_string().contains("memory_mb"), "{e}");
    }

    #[test]
    fn zero_memory_is_refused() {
        let e = Config::parse("[sandbox]\nmemory_mib = 0\n").unwrap_err();
        assert!(e.to_string().contains("memory_mib"), "{e}");
    }

    #[test]
    fn unknown_top_level_keys_are_refused() {
        let e = Config::parse("bogus = 1\n").unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }

    #[test]
    fn a_broken_file_falls_back_to_its_valid_sections_or_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "bogus = 1\n[session_start]\nmemory_budget_chars = 900\n[reflection]\nenabled = \"x\"\n",
        )
        .unwrap();
        let (c, problem) = Config::load_or_defaults(&path);
        assert!(problem.unwrap().to_string().contains("bogus"));
        assert_eq!(
            c.session_start.memory_budget_chars, 900,
            "a valid section is kept"
        );
        assert_eq!(c.reflection, ReflectionConfig::default());

        std::fs::write(&path, "[session_start\nmemory_budget_chars = 900\n").unwrap();
        let (c, problem) = Config::load_or_defaults(&path);
        assert!(problem.is_some());
        assert_eq!(c.session_start.memory_budget_chars, 6000);

        std::fs::write(&path, "[session_start]\nmemory_budget_chars = 900\n").unwrap();
        let (c, problem) = Config::load_or_defaults(&path);
        assert!(problem.is_none());
        assert_eq!(c.session_start.memory_budget_chars, 900);
    }

    #[test]
    fn settings_a_guest_cannot_take_are_refused() {
        let e = Config::parse("[policy.settings]\nmixed = [1, \"a\"]\n").unwrap_err();
        assert!(e.to_string().contains("mixed"), "{e}");
    }
}
