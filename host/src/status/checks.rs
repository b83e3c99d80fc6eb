//! `csep doctor`: each thing that must hold for csep to work, judged from the status
//! report, with the reason and the fix when it does not.

use serde::Serialize;

use super::recall::IndexHealth;
use super::{GuestHealth, StatusReport};

#[derive(Debug, Serialize)]
pub struct Doctor {
    pub schema_version: u32,
    /// No check found a problem.
    pub ok: bool,
    pub problems: usize,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Ok,
    Problem,
    /// Nothing to check (a client csep is not connected to).
    Skipped,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn problem(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Problem,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn skipped(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Skipped,
            detail: detail.into(),
            fix: None,
        }
    }
}

pub(super) fn judge(s: &StatusReport) -> Doctor {
    let mut checks = hooks(s);
    checks.push(config(s));
    checks.push(guest("policy", &s.policy));
    checks.push(guest("strategy", &s.strategy));
    checks.push(recall(s));
    let problems = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Problem)
        .count();
    Doctor {
        schema_version: super::SCHEMA_VERSION,
        ok: problems == 0,
        problems,
        checks,
    }
}

/// Joins reasons into one detail and one fix, each fix said once.
fn joined(lead: &str, reasons: Vec<(String, String)>) -> (String, String) {
    let whys: Vec<String> = reasons.iter().map(|(w, _)| w.clone()).collect();
    let mut fixes: Vec<String> = Vec::new();
    for (_, f) in reasons {
        if !fixes.contains(&f) {
            fixes.push(f);
        }
    }
    (format!("{lead}: {}", whys.join("; ")), fixes.join("; "))
}

fn hooks(s: &StatusReport) -> Vec<Check> {
    let codex = s
        .plugin_hooks
        .as_ref()
        .filter(|c| c.installed() || c.error.is_some());
    let claude = s.claude_hooks.as_ref().filter(|c| c.installed());
    if codex.is_none() && claude.is_none() {
        return vec![Check::problem(
            "hooks",
            "csep's hooks are not installed in Codex or Claude Code: no session is archived \
             and no memory is loaded",
            "run `csep setup`",
        )];
    }
    let codex_check = match codex {
        Some(c) if c.hooks_run() => Check::ok(
            "codex-hooks",
            format!(
                "Codex runs csep's SessionStart and Stop hooks ({})",
                c.codex_config.display()
            ),
        ),
        Some(c) => {
            let reasons = c.reasons().into_iter().map(|r| (r.why, r.fix)).collect();
            let (detail, fix) = joined("Codex will not run csep's hooks", reasons);
            Check::problem("codex-hooks", detail, fix)
        }
        None => Check::skipped(
            "codex-hooks",
            "csep is not connected to Codex (`csep setup --client codex` connects it)",
        ),
    };
    let claude_check = match claude {
        Some(c) if c.claude_will_run_hooks => Check::ok(
            "claude-hooks",
            format!(
                "Claude Code runs csep's SessionStart and Stop hooks ({})",
                c.settings.display()
            ),
        ),
        Some(c) => {
            let (detail, fix) = joined("Claude Code will not run csep's hooks", c.reasons());
            Check::problem("claude-hooks", detail, fix)
        }
        None => Check::skipped(
            "claude-hooks",
            "csep is not connected to Claude Code (`csep setup --client claude` connects it)",
        ),
    };
    vec![codex_check, claude_check]
}

fn config(s: &StatusReport) -> Check {
    let c = &s.config;
    let path = c.path.display();
    match &c.error {
        None if c.path.exists() => Check::ok("config", format!("{path} is valid")),
        None => Check::ok("config", format!("no {path}: the defaults apply")),
        Some(e) => Check::problem(
            "config",
            e.clone(),
            format!("edit {path}; `csep config validate` checks it"),
        ),
    }
}

fn guest(name: &'static str, g: &GuestHealth) -> Check {
    if g.healthy {
        return Check::ok(name, format!("{} loads", g.source));
    }
    let instead = g
        .in_use
        .map(|i| format!("; {i} runs meanwhile"))
        .unwrap_or_default();
    Check::problem(
        name,
        format!(
            "the active {name} {} is refused: {}{instead}",
            g.source,
            g.error.as_deref().unwrap_or("it does not load")
        ),
        format!(
            "`csep policy check <file>` says what is wrong; `csep policy use <name>` approves a \
             drop-in as it is now, `csep policy use bundled --kind {name}` goes back to the \
             bundled one"
        ),
    )
}

fn recall(s: &StatusReport) -> Check {
    let r = &s.recall;
    const NAME: &str = "recall-index";
    match r.health {
        IndexHealth::Missing => Check::ok(
            NAME,
            "no index yet: the first archived session makes it (`csep recall bootstrap` \
             imports past ones)",
        ),
        IndexHealth::Sound => Check::ok(
            NAME,
            format!(
                "{} sessions; SQLite finds the index sound",
                r.sessions.unwrap_or(0)
            ),
        ),
        IndexHealth::Unchecked => Check::ok(
            NAME,
            format!(
                "integrity {}",
                r.integrity.as_deref().unwrap_or("not checked")
            ),
        ),
        IndexHealth::Rebuilding => Check::ok(
            NAME,
            "a damaged index was moved aside and is being rebuilt in the background",
        ),
        IndexHealth::Damaged => {
            let why = r
                .error
                .clone()
                .or_else(|| r.integrity.clone().filter(|i| i != "ok"))
                .or_else(|| r.damaged.as_ref().map(|d| d.why.clone()))
                .unwrap_or_else(|| "damaged".into());
            Check::problem(
                NAME,
                format!("the recall index {} is damaged: {why}", r.path.display()),
                "run `csep recall rebuild` (moves it aside and rebuilds it from the \
                 transcripts on disk)",
            )
        }
    }
}
