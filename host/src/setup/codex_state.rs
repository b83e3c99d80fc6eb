//! Read-only: whether Codex will run csep's hooks, read from `config.toml` with the same
//! parser setup edits it with. `csep status`, `csep doctor` and the end of `csep setup`
//! report from this.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value as Json;
use toml_edit::Value;

use super::codex_config::ConfigDoc;
use super::{SetupError, atomic};
use crate::codex_trust::{PLUGIN_HOOKS_JSON, declared_hashes};

/// What Codex's `config.toml` says of csep's hooks.
#[derive(Debug, Clone, Serialize)]
pub struct CodexHookState {
    pub codex_config: PathBuf,
    /// The file does not parse: Codex refuses to start, and nothing below is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub hooks_feature_enabled: bool,
    /// Why hooks are off, or a warning about how they are switched (a deprecated name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks_feature_note: Option<Reason>,
    pub plugins_feature_enabled: bool,
    /// Every `[plugins."csep@<marketplace>"]` entry.
    pub installs: Vec<PluginInstall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginInstall {
    pub plugin: String,
    pub enabled: bool,
    /// Codex's installed copy exists (`plugins/cache/<marketplace>/csep/<version>/`).
    pub manifest_exists: bool,
    pub session_start_declared: bool,
    pub stop_declared: bool,
    /// By event (`SessionStart`, `Stop`).
    pub trust: std::collections::BTreeMap<String, HookTrust>,
    pub codex_will_run_hooks: bool,
    /// Why not, each with its fix; empty when the hooks run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
}

/// Why the hooks will not run, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub why: String,
    pub fix: String,
}

impl Reason {
    fn new(why: impl Into<String>, fix: impl Into<String>) -> Reason {
        Reason {
            why: why.into(),
            fix: fix.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HookTrust {
    pub key: String,
    /// `trusted`, `modified` (trusted before its command changed), `untrusted`, or
    /// `disabled` (the user turned it off in Codex).
    pub status: &'static str,
    pub expected_hash: String,
}

impl CodexHookState {
    /// Whether csep appears in this config at all (a plugin entry for it).
    pub fn installed(&self) -> bool {
        !self.installs.is_empty()
    }

    /// Whether at least one csep install has all its hooks running.
    pub fn hooks_run(&self) -> bool {
        self.error.is_none() && self.installs.iter().any(|i| i.codex_will_run_hooks)
    }

    /// Why the hooks will not run, each with its fix; empty when they will.
    pub fn reasons(&self) -> Vec<Reason> {
        if let Some(e) = &self.error {
            return vec![Reason::new(
                format!("Codex cannot read its config: {e}"),
                format!(
                    "fix {}; Codex refuses to start until then",
                    self.codex_config.display()
                ),
            )];
        }
        if self.installs.is_empty() {
            return vec![Reason::new(
                format!("the csep plugin is not in {}", self.codex_config.display()),
                "run `csep setup --client codex`",
            )];
        }
        if self.hooks_run() {
            return Vec::new();
        }
        let mut out: Vec<Reason> = self
            .installs
            .iter()
            .flat_map(|i| i.reasons.iter().cloned())
            .collect();
        out.dedup();
        out
    }
}

/// Reads `<codex_home>/config.toml` (a missing file is Codex's defaults) and the installed
/// plugin copies, and tells whether Codex will run csep's hooks. Writes nothing.
pub fn codex_hook_state(codex_home: &Path) -> CodexHookState {
    let path = atomic::resolve(&codex_home.join("config.toml"));
    let parsed = atomic::read_optional(&path)
        .and_then(|text| ConfigDoc::parse(&path, text.as_deref().unwrap_or("")));
    let config = match parsed {
        Ok(c) => c,
        Err(e) => {
            return CodexHookState {
                codex_config: path,
                error: Some(error_text(e)),
                hooks_feature_enabled: false,
                hooks_feature_note: None,
                plugins_feature_enabled: false,
                installs: Vec::new(),
            };
        }
    };
    let (hooks_on, note) = hooks_feature(&config, &path);
    let plugins_on = config
        .get(&["features"], "plugins")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let installs = config
        .keys(&["plugins"])
        .into_iter()
        .filter_map(|key| {
            let marketplace = key.strip_prefix("csep@")?.to_string();
            Some(install(
                &config,
                codex_home,
                &path,
                &key,
                &marketplace,
                hooks_on,
                plugins_on,
            ))
        })
        .collect();
    CodexHookState {
        codex_config: path,
        error: None,
        hooks_feature_enabled: hooks_on,
        hooks_feature_note: note,
        plugins_feature_enabled: plugins_on,
        installs,
    }
}

fn error_text(e: SetupError) -> String {
    match e {
        // The "csep changed nothing" tail belongs to setup, not to a read.
        SetupError::MalformedConfig {
            path,
            line,
            message,
        } => format!("{}:{line}: {message}", path.display()),
        other => other.to_string(),
    }
}

/// `[features] hooks` is the switch; `codex_hooks` is its deprecated name, honoured when
/// `hooks` itself is not set.
fn hooks_feature(config: &ConfigDoc, path: &Path) -> (bool, Option<Reason>) {
    let p = path.display();
    match (
        config.get(&["features"], "hooks"),
        config.get(&["features"], "codex_hooks"),
    ) {
        (Some(v), _) => match v.as_bool() {
            Some(true) => (true, None),
            Some(false) => (
                false,
                Some(Reason::new(
                    format!("`[features] hooks = false` in {p} turns every Codex hook off"),
                    format!("set `hooks = true` under [features] in {p}, or remove the line"),
                )),
            ),
            None => (
                false,
                Some(Reason::new(
                    format!("`[features] hooks` in {p} is not true or false"),
                    format!("set `hooks = true` under [features] in {p}"),
                )),
            ),
        },
        (None, Some(v)) if v.as_bool() == Some(false) => (
            false,
            Some(Reason::new(
                format!(
                    "`[features] codex_hooks = false` in {p} (the deprecated name of `hooks`) \
                     turns Codex hooks off"
                ),
                format!(
                    "remove `codex_hooks = false`, or set `hooks = true` under [features] in {p}"
                ),
            )),
        ),
        _ => (true, None),
    }
}

fn install(
    config: &ConfigDoc,
    codex_home: &Path,
    path: &Path,
    key: &str,
    marketplace: &str,
    hooks_on: bool,
    plugins_on: bool,
) -> PluginInstall {
    let p = path.display();
    let enabled = config
        .get(&["plugins", key], "enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let cache = codex_home
        .join("plugins/cache")
        .join(marketplace)
        .join("csep");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .flatten()
        .map(|v| v.path())
        .filter(|v| v.join(".codex-plugin/plugin.json").is_file())
        .collect();
    versions.sort();
    // The hooks Codex runs are the installed copy's (setup writes absolute commands
    // there); the embedded declaration stands in when there is none.
    let installed: Option<Json> = versions
        .last()
        .and_then(|v| std::fs::read_to_string(v.join("hooks/hooks.json")).ok())
        .and_then(|t| serde_json::from_str(&t).ok());
    let declared: Json = serde_json::from_str(PLUGIN_HOOKS_JSON).unwrap_or_default();
    let hooks_json = installed.as_ref().unwrap_or(&declared);
    let mut trust = std::collections::BTreeMap::new();
    for (hook_key, event, hash) in declared_hashes(hooks_json, &format!("{key}:hooks/hooks.json")) {
        let state = &["hooks", "state", hook_key.as_str()];
        let stored = config.get(state, "trusted_hash").and_then(Value::as_str);
        let status = if config.get(state, "enabled").and_then(Value::as_bool) == Some(false) {
            "disabled"
        } else {
            match stored {
                Some(h) if h == hash => "trusted",
                Some(_) => "modified",
                None => "untrusted",
            }
        };
        trust.insert(
            event,
            HookTrust {
                key: hook_key,
                status,
                expected_hash: hash,
            },
        );
    }
    const SETUP: &str = "run `csep setup --client codex`";
    let mut reasons = Vec::new();
    if !hooks_on {
        reasons.extend(hooks_feature(config, path).1);
    }
    if !plugins_on {
        reasons.push(Reason::new(
            format!(
                "`[features] plugins = false` in {p} keeps csep's plugin and its hooks from loading"
            ),
            format!("set `plugins = true` under [features] in {p}"),
        ));
    }
    if !enabled {
        reasons.push(Reason::new(
            format!("the plugin {key} is not enabled in {p}"),
            SETUP,
        ));
    }
    if versions.is_empty() {
        reasons.push(Reason::new(
            format!(
                "Codex has no installed copy of {key} (in {})",
                cache.display()
            ),
            SETUP,
        ));
    }
    for (event, t) in &trust {
        match t.status {
            "trusted" => {}
            "disabled" => reasons.push(Reason::new(
                format!("you turned csep's {event} hook off in Codex"),
                format!(
                    "remove `enabled = false` under [hooks.state.\"{}\"] in {p}",
                    t.key
                ),
            )),
            other => reasons.push(Reason::new(
                format!("Codex does not trust csep's {event} hook ({other})"),
                "run `csep setup --client codex` to trust it, or approve it in Codex's /hooks",
            )),
        }
    }
    let start = trust.contains_key("SessionStart");
    let stop = trust.contains_key("Stop");
    if !start || !stop {
        reasons.push(Reason::new(
            format!(
                "the installed plugin declares no {} hook",
                if start { "Stop" } else { "SessionStart" }
            ),
            SETUP,
        ));
    }
    PluginInstall {
        plugin: key.to_string(),
        enabled,
        manifest_exists: !versions.is_empty(),
        session_start_declared: start,
        stop_declared: stop,
        codex_will_run_hooks: reasons.is_empty(),
        trust,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(toml: &str) -> (bool, Option<Reason>) {
        let path = Path::new("/c/config.toml");
        hooks_feature(&ConfigDoc::parse(path, toml).unwrap(), path)
    }

    #[test]
    fn the_hooks_switch_and_its_deprecated_name() {
        assert!(feature("").0);
        assert!(feature("[features]\nhooks = true\n").0);
        let (on, why) = feature("[features]\nhooks = false\n");
        assert!(!on);
        assert!(why.unwrap().fix.contains("hooks = true"));
        let (on, why) = feature("[features]\ncodex_hooks = false\n");
        assert!(!on);
        assert!(why.unwrap().why.contains("codex_hooks"));
        assert!(feature("[features]\ncodex_hooks = false\nhooks = true\n").0);
        assert!(!feature("[features]\nhooks = \"yes\"\n").0);
    }

    #[test]
    fn a_config_that_does_not_parse_is_reported_not_raised() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "[features\n").unwrap();
        let s = codex_hook_state(dir.path());
        assert!(s.error.is_some());
        assert!(!s.hooks_run());
        assert!(s.reasons()[0].why.contains("cannot read its config"));
    }

    #[test]
    fn no_csep_entry_means_not_installed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "[plugins.\"other@x\"]\nenabled = true\n",
        )
        .unwrap();
        let s = codex_hook_state(dir.path());
        assert!(!s.installed());
        assert!(s.reasons()[0].fix.contains("csep setup"));
    }
}
