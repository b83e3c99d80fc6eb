//! Whether each client will start `csep mcp`, read from the files `csep setup` writes,
//! without changing anything: Codex from the installed plugin's manifest (its inline
//! `mcpServers`), Claude Code from `mcpServers` in its `.claude.json` and the
//! `permissions.allow` rules in `settings.json` that let the read-only tools run.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{SERVER_NAME, TOOLS};
use crate::path_error::PathError;

/// Where a client's registration was looked for, and what was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientRegistration {
    /// The file that declares the server (`None`: the client's folder is unknown).
    pub declared_in: Option<PathBuf>,
    /// The command the client would run, when declared.
    pub command: Option<String>,
    pub args: Vec<String>,
    /// The command exists and is executable.
    pub command_runs: bool,
    /// Tools the client runs without asking (Claude: a permission rule; Codex: every
    /// tool, since all are annotated read-only).
    pub tools_allowed: Vec<String>,
    /// The client will start the server.
    pub will_start: bool,
    /// Why not, or what else to know.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Registration {
    pub server: &'static str,
    pub codex: ClientRegistration,
    pub claude: ClientRegistration,
}

/// The registration of `csep mcp` in both clients. `None` for a client whose folder
/// is unknown (no HOME).
pub fn registration_status(codex_home: Option<&Path>, claude_home: Option<&Path>) -> Registration {
    Registration {
        server: SERVER_NAME,
        codex: codex_home.map_or_else(unknown, codex),
        claude: claude_home.map_or_else(unknown, claude),
    }
}

fn unknown() -> ClientRegistration {
    ClientRegistration {
        declared_in: None,
        command: None,
        args: Vec::new(),
        command_runs: false,
        tools_allowed: Vec::new(),
        will_start: false,
        problems: vec!["the client's folder is unknown (HOME is not set)".into()],
    }
}

/// Claude Code's global config file: `$CLAUDE_CONFIG_DIR/.claude.json` when that is
/// set, else `~/.claude.json`, beside (not inside) `~/.claude`.
pub fn claude_json_path(claude_home: &Path) -> PathBuf {
    let configured = std::env::var_os("CLAUDE_CONFIG_DIR").is_some_and(|v| !v.is_empty());
    match claude_home.parent().filter(|_| !configured) {
        Some(parent) => parent.join(".claude.json"),
        None => claude_home.join(".claude.json"),
    }
}

/// The permission rule that lets Claude Code run one of the tools without asking.
pub fn claude_rule(tool: &str) -> String {
    format!("mcp__{SERVER_NAME}__{tool}")
}

/// A client file that is there but cannot be used.
#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error(transparent)]
    Read(#[from] PathError),
    #[error("{} is not valid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

fn read_json(path: &Path) -> Result<Option<Value>, FileError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| FileError::Json {
                path: path.to_path_buf(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PathError::new("cannot read", path, e).into()),
    }
}

fn runs(command: &str) -> bool {
    let path = Path::new(command);
    if !path.is_absolute() {
        // A bare name is looked up on the client's PATH, which csep cannot see.
        return std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| is_executable(&d.join(command))));
    }
    is_executable(path)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Fills command, args and command_runs from a `{"command", "args"}` entry.
fn server_entry(reg: &mut ClientRegistration, entry: &Value) {
    reg.command = entry["command"].as_str().map(str::to_string);
    reg.args = entry["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    reg.command_runs = reg.command.as_deref().is_some_and(runs);
    if let Some(c) = reg.command.as_deref().filter(|_| !reg.command_runs) {
        reg.problems.push(format!(
            "{c} is not an executable file (run csep setup again)"
        ));
    }
    if reg.args.first().map(String::as_str) != Some("mcp") {
        reg.problems
            .push("the server's arguments do not start with `mcp`".into());
    }
}

/// Codex: the newest installed copy of an enabled csep plugin, and its manifest's
/// inline `mcpServers`.
fn codex(codex_home: &Path) -> ClientRegistration {
    let mut reg = ClientRegistration {
        declared_in: None,
        command: None,
        args: Vec::new(),
        command_runs: false,
        tools_allowed: Vec::new(),
        will_start: false,
        problems: Vec::new(),
    };
    let config_path = codex_home.join("config.toml");
    let config: toml::Table = match std::fs::read_to_string(&config_path) {
        Ok(text) => match text.parse() {
            Ok(t) => t,
            Err(e) => {
                reg.problems
                    .push(format!("{} does not parse: {e}", config_path.display()));
                return reg;
            }
        },
        Err(_) => toml::Table::new(),
    };
    let plugins_on = config
        .get("features")
        .and_then(|f| f.get("plugins"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    if !plugins_on {
        reg.problems
            .push("[features] plugins = false: Codex loads no plugin".into());
    }
    let own = config
        .get("mcp_servers")
        .and_then(|m| m.get(SERVER_NAME))
        .is_some();
    if own {
        reg.problems.push(format!(
            "config.toml declares its own [mcp_servers.{SERVER_NAME}]; Codex may start that one"
        ));
    }
    let enabled_plugin = config
        .get("plugins")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .find_map(|(key, entry)| {
            let market = key.strip_prefix("csep@")?;
            let on = entry.get("enabled").and_then(toml::Value::as_bool) == Some(true);
            on.then(|| market.to_string())
        });
    let Some(market) = enabled_plugin else {
        reg.problems
            .push("the csep plugin is not enabled in Codex's config.toml (run csep setup)".into());
        return reg;
    };
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir(codex_home.join("plugins/cache").join(&market).join("csep"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|v| v.path().join(".codex-plugin/plugin.json"))
            .filter(|p| p.is_file())
            .collect();
    versions.sort();
    let Some(manifest) = versions.pop() else {
        reg.problems
            .push("the csep plugin is enabled but not installed (run csep setup)".into());
        return reg;
    };
    reg.declared_in = Some(manifest.clone());
    let value = match read_json(&manifest) {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(e) => {
            reg.problems.push(e.to_string());
            return reg;
        }
    };
    let entry = &value["mcpServers"][SERVER_NAME];
    if !entry.is_object() {
        reg.problems.push(format!(
            "the installed plugin declares no `{SERVER_NAME}` MCP server (an older csep: run csep setup)"
        ));
        return reg;
    }
    server_entry(&mut reg, entry);
    if reg.command_runs {
        reg.tools_allowed = TOOLS.iter().map(|t| t.to_string()).collect();
    }
    reg.will_start = plugins_on && reg.command_runs;
    reg
}

/// Claude Code: `mcpServers.csep` in `.claude.json`, and the allow rules in
/// `settings.json`.
fn claude(claude_home: &Path) -> ClientRegistration {
    let path = claude_json_path(claude_home);
    let mut reg = ClientRegistration {
        declared_in: Some(path.clone()),
        command: None,
        args: Vec::new(),
        command_runs: false,
        tools_allowed: Vec::new(),
        will_start: false,
        problems: Vec::new(),
    };
    match read_json(&path) {
        Ok(Some(v)) if v["mcpServers"][SERVER_NAME].is_object() => {
            server_entry(&mut reg, &v["mcpServers"][SERVER_NAME]);
            reg.will_start = reg.command_runs;
        }
        Ok(_) => reg.problems.push(format!(
            "no `{SERVER_NAME}` MCP server in {} (run csep setup --client claude)",
            path.display()
        )),
        Err(e) => reg.problems.push(e.to_string()),
    }
    let settings = claude_home.join("settings.json");
    let rules = match read_json(&settings) {
        Ok(v) => v.unwrap_or(Value::Null),
        Err(e) => {
            reg.problems.push(e.to_string());
            Value::Null
        }
    };
    let listed = |list: &str, tool: &str| {
        rules["permissions"][list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|r| r == claude_rule(tool) || r == format!("mcp__{SERVER_NAME}"))
    };
    for tool in TOOLS {
        if listed("deny", tool) {
            reg.problems.push(format!(
                "{} is denied in {}",
                claude_rule(tool),
                settings.display()
            ));
        } else if listed("allow", tool) {
            reg.tools_allowed.push(tool.to_string());
        }
    }
    if reg.will_start && reg.tools_allowed.len() < TOOLS.len() {
        reg.problems.push(format!(
            "some tools have no permissions.allow rule in {}: Claude Code asks before each call \
             (and refuses in claude -p)",
            settings.display()
        ));
    }
    reg
}
