//! `csep status` and `csep doctor`: a read-only, typed report of the state folder and of
//! whether the clients run csep's hooks, and the checks `doctor` judges from it. Nothing
//! here creates or changes a file.

mod checks;
mod claude;
mod guests;
mod hook_log;
mod recall;
mod reflection;
mod skills;
mod text;

use std::path::PathBuf;

use serde::Serialize;

pub use checks::{Check, CheckStatus, Doctor};
pub use claude::ClaudeHooks;
pub use guests::{ConfigHealth, DropIns, GuestHealth};
pub use hook_log::{HookLog, HookRuns, LoggedRun};
pub use recall::{IndexHealth, RecallHealth};
pub use reflection::Reflection;
pub use skills::{GeneratedSkills, SkillUse};

use crate::config::Config;
use crate::home::Home;
use crate::setup::CodexHookState;

/// The version of the JSON shapes of `status` and `doctor`.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the clients keep their files; `None` when it cannot be known (no `HOME`).
#[derive(Debug, Clone, Default)]
pub struct ClientHomes {
    pub codex: Option<PathBuf>,
    pub claude: Option<PathBuf>,
}

impl ClientHomes {
    /// `$CODEX_HOME` (or `~/.codex`) and `~/.claude`.
    pub fn from_env() -> ClientHomes {
        ClientHomes {
            codex: crate::home::codex_home(),
            claude: crate::home::claude_home(),
        }
    }
}

/// Everything `csep status` shows.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    pub version: &'static str,
    pub contract_version: &'static str,
    pub state_dir: PathBuf,
    pub config: ConfigHealth,
    pub policy: GuestHealth,
    pub strategy: GuestHealth,
    pub drop_ins: DropIns,
    pub recall: RecallHealth,
    /// The original tool's index, when it is still there: not read by csep.
    pub original_index: Option<String>,
    pub reflection: Reflection,
    /// The original tool's reflection records, while they are still beside this
    /// project's.
    pub original_reflection: Option<String>,
    /// Worktree buckets of the original tool not merged yet.
    pub worktree_buckets: Option<String>,
    /// The original reflected through Codex; this state folder uses no model.
    pub reflection_model: Option<String>,
    pub generated_skills: GeneratedSkills,
    pub hooks: HookLog,
    /// Codex: `None` when its folder cannot be known.
    pub plugin_hooks: Option<CodexHookState>,
    /// Claude Code: `None` when its folder cannot be known.
    pub claude_hooks: Option<ClaudeHooks>,
    /// Whether each client will start `csep mcp`.
    pub mcp: crate::mcp::Registration,
}

/// Looks at the state folder and the clients' files. Read-only.
pub fn collect(home: &Home, clients: &ClientHomes) -> StatusReport {
    let loaded = Config::load(&home.config_path());
    let config = Config::load_or_defaults(&home.config_path()).0;
    let policy = guests::policy(home, &config);
    let strategy = guests::strategy(home, &config);
    let config_health = guests::config_health(home, &loaded, &policy, &strategy);
    StatusReport {
        schema_version: SCHEMA_VERSION,
        version: env!("CARGO_PKG_VERSION"),
        contract_version: crate::sandbox::CONTRACT_VERSION,
        state_dir: home.root().to_path_buf(),
        config: config_health,
        policy,
        strategy,
        drop_ins: guests::drop_ins(home),
        recall: recall::collect(home),
        original_index: crate::migrate::original_index_notice(home),
        mcp: crate::mcp::registration_status(clients.codex.as_deref(), clients.claude.as_deref()),
        reflection: reflection::collect(home, &config),
        original_reflection: crate::migrate::original_reflection::notice(home),
        worktree_buckets: crate::migrate::buckets::notice(home),
        reflection_model: crate::migrate::reflection_model_notice(home, &config),
        generated_skills: skills::collect(home),
        hooks: hook_log::collect(home),
        plugin_hooks: clients.codex.as_deref().map(crate::setup::codex_hook_state),
        claude_hooks: clients.claude.as_deref().map(claude::collect),
    }
}

/// Whether Claude Code runs csep's hooks, from `<claude_home>/settings.json`.
pub fn claude_hooks(claude_home: &std::path::Path) -> ClaudeHooks {
    claude::collect(claude_home)
}

impl StatusReport {
    /// The checks `csep doctor` (and `csep status --check`) runs on this report.
    pub fn doctor(&self) -> Doctor {
        checks::judge(self)
    }

    /// The short report for people; `colour` adds ANSI colour to the verdicts.
    pub fn render(&self, colour: bool) -> String {
        text::status(self, colour)
    }
}

impl std::fmt::Display for StatusReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}
