//! Whether Claude Code's settings run csep's hooks. Claude Code has no trust step: hooks
//! in the user's settings run as written, unless `disableAllHooks` is set.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
pub struct ClaudeHooks {
    pub settings: PathBuf,
    pub exists: bool,
    /// The settings file does not parse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub session_start_declared: bool,
    pub stop_declared: bool,
    pub all_hooks_disabled: bool,
    pub claude_will_run_hooks: bool,
}

impl ClaudeHooks {
    /// Whether csep appears in these settings at all.
    pub fn installed(&self) -> bool {
        self.session_start_declared || self.stop_declared
    }

    /// Why the hooks will not run, each as (why, fix); empty when they will.
    pub fn reasons(&self) -> Vec<(String, String)> {
        let p = self.settings.display();
        let setup = "run `csep setup --client claude`".to_string();
        if let Some(e) = &self.error {
            return vec![(format!("{p} is not valid JSON: {e}"), format!("fix {p}"))];
        }
        let mut out = Vec::new();
        if self.all_hooks_disabled {
            out.push((
                format!("`disableAllHooks: true` in {p} turns every Claude Code hook off"),
                format!("set `disableAllHooks` to false in {p}, or remove it"),
            ));
        }
        for (declared, event) in [
            (self.session_start_declared, "SessionStart"),
            (self.stop_declared, "Stop"),
        ] {
            if !declared {
                out.push((format!("{p} declares no csep {event} hook"), setup.clone()));
            }
        }
        out
    }
}

pub(super) fn collect(claude_home: &Path) -> ClaudeHooks {
    let path = claude_home.join("settings.json");
    let mut out = ClaudeHooks {
        settings: path.clone(),
        exists: false,
        error: None,
        session_start_declared: false,
        stop_declared: false,
        all_hooks_disabled: false,
        claude_will_run_hooks: false,
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return out;
    };
    out.exists = true;
    let settings: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let declared = |event: &str, sub: &str| {
        settings["hooks"][event]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["hooks"].as_array().into_iter().flatten())
            .filter_map(|h| h["command"].as_str())
            .any(|c| c.contains("csep") && c.contains(sub))
    };
    out.all_hooks_disabled = settings["disableAllHooks"] == true;
    out.session_start_declared = declared("SessionStart", "session-start");
    out.stop_declared = declared("Stop", "session-stop");
    out.claude_will_run_hooks =
        out.session_start_declared && out.stop_declared && !out.all_hooks_disabled;
    out
}
