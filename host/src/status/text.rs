//! The short human report of `csep status` and `csep doctor`. Missing values are said
//! in words; colour marks the verdicts when the caller allows it.

use std::fmt::Write;

use super::StatusReport;
use super::checks::{CheckStatus, Doctor};
use super::guests::{DropIns, GuestHealth};
use super::hook_log::HookRuns;
use super::recall::IndexHealth;
use super::reflection::Reflection;
use crate::client::Client;
use crate::guest_settings::SettingsCheck;

/// A verdict word, in colour or not.
#[derive(Clone, Copy)]
pub(super) struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn good(self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn bad(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
}

pub(super) fn status(s: &StatusReport, colour: bool) -> String {
    let p = Paint(colour);
    let mut o = String::new();
    let _ = writeln!(o, "csep {} (contract {})", s.version, s.contract_version);
    let _ = writeln!(o, "state       {}", s.state_dir.display());
    let c = &s.config;
    let verdict = match (&c.error, c.path.exists()) {
        (None, true) => p.good("valid"),
        (None, false) => "no file: the defaults apply".to_string(),
        (Some(e), _) => format!("{}: {e}", p.bad("INVALID")),
    };
    let _ = writeln!(o, "config      {} ({verdict})", c.path.display());
    guest_line(&mut o, p, "policy", &s.policy);
    guest_line(&mut o, p, "strategy", &s.strategy);
    match &s.drop_ins {
        DropIns::Found(found) if !found.is_empty() => {
            let names: Vec<String> = found
                .iter()
                .map(|d| format!("{} {}", d.kind, d.name))
                .collect();
            let _ = writeln!(o, "drop-ins    {} (csep policy list)", names.join(", "));
        }
        DropIns::Found(_) => {}
        DropIns::Unreadable { error } => {
            let _ = writeln!(o, "drop-ins    {}: {error}", p.bad("UNREADABLE"));
        }
    }
    recall_lines(&mut o, p, s);
    reflection_lines(&mut o, &s.reflection);
    for n in [&s.original_reflection, &s.worktree_buckets]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(o, "            note: {n}");
    }
    client_lines(&mut o, p, s);
    mcp_line(&mut o, &s.mcp);
    if !s.generated_skills.never_used.is_empty() {
        let _ = writeln!(
            o,
            "skills      generated but never used: {}",
            s.generated_skills.never_used.join(", ")
        );
    }
    hook_lines(
        &mut o,
        p,
        "session-start",
        "SessionStart",
        &s.hooks.session_start,
    );
    hook_lines(&mut o, p, "session-stop", "Stop", &s.hooks.session_stop);
    o
}

fn guest_line(o: &mut String, p: Paint, name: &str, g: &GuestHealth) {
    let verdict = if let Some(SettingsCheck::Rejected { message }) = &g.settings {
        format!(
            "{} its settings, the bundled {name} decides with its defaults: {message}",
            p.bad("REJECTS")
        )
    } else if g.healthy {
        p.good("healthy")
    } else {
        format!(
            "{}, the bundled {name} runs instead: {}",
            p.bad("REFUSED"),
            g.error.as_deref().unwrap_or("it does not load")
        )
    };
    let _ = writeln!(o, "{name:<11} {} ({verdict})", g.source);
}

fn recall_lines(o: &mut String, p: Paint, s: &StatusReport) {
    let r = &s.recall;
    let line = match (r.health, &r.error) {
        (IndexHealth::Missing, _) => {
            "no index yet: the first archived session makes it (csep recall bootstrap \
             imports past ones)"
                .to_string()
        }
        (_, Some(e)) => format!("{}: {e}", p.bad("BROKEN")),
        (health, None) => {
            let integrity = r.integrity.as_deref().unwrap_or("not checked");
            let integrity = if health == IndexHealth::Damaged {
                p.bad(integrity)
            } else {
                integrity.to_string()
            };
            format!(
                "{} sessions, {} messages, {} ingest errors, integrity {integrity}",
                r.sessions.unwrap_or(0),
                r.messages.unwrap_or(0),
                r.ingest_errors.unwrap_or(0)
            )
        }
    };
    let _ = writeln!(o, "recall      {line}");
    if let Some(n) = &s.original_index {
        let _ = writeln!(o, "            note: {n}");
    }
    if let Some(d) = &r.damaged {
        let _ = writeln!(
            o,
            "            the index was damaged at {} and moved to {}; rebuild {}",
            d.at,
            d.moved_to.display(),
            r.rebuild.unwrap_or("needed: run `csep recall rebuild`")
        );
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn reflection_lines(o: &mut String, r: &Reflection) {
    let s = match r {
        Reflection::Read(s) => s,
        Reflection::Unreadable { error } => {
            let _ = writeln!(o, "reflection  jobs cannot be read: {error}");
            return;
        }
    };
    let counts = crate::reflect::status::counts_text(&s.counts);
    let _ = writeln!(
        o,
        "reflection  {counts}; model usage today {} of {} calls (csep session-reflect --status)",
        s.usage_today.calls, s.max_calls_per_day
    );
    for j in &s.failed_recent {
        let _ = writeln!(
            o,
            "            failed {}: {}",
            j.job_id,
            j.reason.as_deref().unwrap_or("no reason recorded")
        );
    }
    let size = &s.state_size;
    let parts: Vec<String> = size
        .parts
        .iter()
        .filter(|(_, v)| v.bytes > 0)
        .map(|(name, v)| format!("{name} {:.1}", mib(v.bytes)))
        .collect();
    let parts = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({} MiB)", parts.join(", "))
    };
    let _ = writeln!(
        o,
        "state size  {:.1} MiB in {} files{parts}",
        mib(size.total.bytes),
        size.total.files
    );
}

fn mcp_line(o: &mut String, m: &crate::mcp::Registration) {
    let says = |name: &str, c: &crate::mcp::ClientRegistration| {
        if c.will_start {
            format!("{name} starts it")
        } else if c.declared_in.is_none() {
            format!("{name}: folder unknown")
        } else {
            let why = c.problems.first().map_or("not registered", String::as_str);
            format!("{name} does not ({why})")
        }
    };
    let _ = writeln!(
        o,
        "mcp         csep mcp: {}; {}",
        says(Client::Codex.as_str(), &m.codex),
        says(Client::Claude.as_str(), &m.claude)
    );
}

fn client_lines(o: &mut String, p: Paint, s: &StatusReport) {
    match &s.plugin_hooks {
        None => {
            let _ = writeln!(o, "codex       Codex's folder is unknown (HOME is not set)");
        }
        Some(c) if !c.installed() && c.error.is_none() => {
            let _ = writeln!(
                o,
                "codex       csep is not installed in {} (csep setup --client codex)",
                c.codex_config.display()
            );
        }
        Some(c) if c.hooks_run() => {
            let _ = writeln!(o, "codex       hooks run: {}", p.good("yes"));
        }
        Some(c) => {
            let _ = writeln!(o, "codex       hooks run: {}", p.bad("NO"));
            for r in c.reasons() {
                let _ = writeln!(o, "            {}", r.why);
                let _ = writeln!(o, "            {}", p.dim(&format!("fix: {}", r.fix)));
            }
        }
    }
    match &s.claude_hooks {
        None => {}
        Some(c) if !c.installed() && c.error.is_none() => {
            let _ = writeln!(
                o,
                "claude      csep is not installed in {} (csep setup --client claude)",
                c.settings.display()
            );
        }
        Some(c) if c.claude_will_run_hooks => {
            let _ = writeln!(o, "claude      hooks run: {}", p.good("yes"));
        }
        Some(c) => {
            let _ = writeln!(o, "claude      hooks run: {}", p.bad("NO"));
            for (why, fix) in c.reasons() {
                let _ = writeln!(o, "            {why}");
                let _ = writeln!(o, "            {}", p.dim(&format!("fix: {fix}")));
            }
        }
    }
}

fn hook_lines(o: &mut String, p: Paint, hook: &str, event: &str, h: &HookRuns) {
    match (h.median_ms, h.p95_ms) {
        (Some(median), Some(p95)) => {
            let failed = if h.failures > 0 {
                p.bad(&format!("{} failed", h.failures))
            } else {
                "none failed".to_string()
            };
            let _ = writeln!(
                o,
                "{hook:<14} {} runs, median {median:.1} ms, p95 {p95:.1} ms, {failed}",
                h.runs
            );
        }
        _ => {
            let _ = writeln!(o, "{hook:<14} no {event} hook timed yet");
        }
    }
    for e in &h.recent_errors {
        let _ = writeln!(o, "    {} {}", e.at, e.error.as_deref().unwrap_or("failed"));
    }
    for r in &h.recent_problems {
        for line in &r.problems {
            let _ = writeln!(o, "    {} {line}", r.at);
        }
    }
}

pub(super) fn doctor(d: &Doctor, colour: bool) -> String {
    let p = Paint(colour);
    let mut o = String::new();
    let width = d.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &d.checks {
        let verdict = match c.status {
            CheckStatus::Ok => p.good("ok     "),
            CheckStatus::Problem => p.bad("problem"),
            CheckStatus::Skipped => p.dim("skipped"),
        };
        let _ = writeln!(o, "{verdict}  {:<width$}  {}", c.name, c.detail);
        if let Some(fix) = &c.fix {
            let _ = writeln!(o, "         {:<width$}  fix: {fix}", "");
        }
    }
    let _ = writeln!(o);
    if d.ok {
        let _ = writeln!(o, "{}", p.good("all is well"));
    } else {
        let _ = writeln!(
            o,
            "{}",
            p.bad(&format!(
                "{} problem{}: csep is not working as it should",
                d.problems,
                if d.problems == 1 { "" } else { "s" }
            ))
        );
    }
    o
}

impl Doctor {
    /// The list of checks for people; `colour` marks the verdicts.
    pub fn render(&self, colour: bool) -> String {
        doctor(self, colour)
    }
}

impl std::fmt::Display for Doctor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}
