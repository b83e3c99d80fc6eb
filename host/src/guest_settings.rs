//! `[policy.settings]` and `[strategy.settings]` checked by the guest they belong
//! to, before the next Stop needs them: the active policy decides once on a small
//! sample session, the active strategy runs once in empty throwaway folders (it
//! reads its settings first), both in the sandbox with no model and no recall.

use std::time::Duration;

use serde::Serialize;

use crate::client::Client;
use crate::config::Config;
use crate::fs_authority;
use crate::guests::{self, Source};
use crate::home::Home;
use crate::model::{DecideInput, Digest, ReflectInput, UserMessage};
use crate::policy_runner::rejects_settings;
use crate::sandbox::{Guest, Preopens, Sandbox, Unavailable};
use crate::timefmt::now_ms;

/// The strategy's check gets at most this long, whatever the configured timeout.
const STRATEGY_CHECK: Duration = Duration::from_secs(5);

/// What one guest said about its settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum SettingsCheck {
    Accepted,
    /// The guest rejected them (`invalid-settings`), with its message.
    Rejected {
        message: String,
    },
    /// The guest could not be run to ask (it is broken; status says so elsewhere).
    Unchecked {
        reason: String,
    },
}

impl SettingsCheck {
    pub fn is_rejected(&self) -> bool {
        matches!(self, SettingsCheck::Rejected { .. })
    }
}

fn sample_digest(now: u64) -> Digest {
    Digest {
        client: Client::Codex.to_string(),
        session_id: "settings-check".into(),
        bucket_id: "-settings-check".into(),
        cwd: "/settings-check".into(),
        session_started_ms: Some(now.saturating_sub(60_000)),
        last_event_ms: Some(now),
        now_ms: now,
        user_messages: vec![UserMessage {
            text: "please fix the failing test".into(),
            ..UserMessage::default()
        }],
        message_count: 2,
        readable_chars: 200,
        tool_calls: 1,
        ..Digest::default()
    }
}

fn classify(e: anyhow::Error) -> SettingsCheck {
    match rejects_settings(&e) {
        Some(m) => SettingsCheck::Rejected {
            message: m.to_string(),
        },
        None => SettingsCheck::Unchecked {
            reason: format!("{e:#}"),
        },
    }
}

/// The sandbox the checks run in: the config's limits, with a strategy's call cut
/// short (it only has to read its settings). `cache`: the compiled-code cache to
/// use, if any.
pub fn sandbox(config: &Config, cache: Option<&std::path::Path>) -> anyhow::Result<Sandbox> {
    let mut limits = config.sandbox.clone();
    limits.strategy_timeout_ms = limits
        .strategy_timeout_ms
        .min(STRATEGY_CHECK.as_millis() as u64);
    Ok(Sandbox::new(limits, cache)?)
}

/// The active policy's verdict on `[policy.settings]`.
pub fn check_policy(
    home: &Home,
    config: &Config,
    cache: Option<&std::path::Path>,
) -> SettingsCheck {
    let loaded = sandbox(config, cache).and_then(|sandbox| {
        let guest = guests::load(
            &sandbox,
            &Source::policy(home, &config.policy),
            config.policy.sha256.as_deref(),
        )?;
        Ok((sandbox, guest))
    });
    match loaded {
        Ok((sandbox, guest)) => check_policy_guest(&sandbox, &guest, config),
        Err(e) => SettingsCheck::Unchecked {
            reason: format!("{e:#}"),
        },
    }
}

/// As `check_policy`, on a policy already loaded.
pub fn check_policy_guest(sandbox: &Sandbox, guest: &Guest, config: &Config) -> SettingsCheck {
    let run = || -> anyhow::Result<()> {
        sandbox.policy(guest)?.decide(&DecideInput {
            digest: sample_digest(now_ms()),
            settings: config.policy_settings(),
            ..DecideInput::default()
        })?;
        Ok(())
    };
    match run() {
        Ok(()) => SettingsCheck::Accepted,
        Err(e) => classify(e),
    }
}

/// The active strategy's verdict on `[strategy.settings]`.
pub fn check_strategy(
    home: &Home,
    config: &Config,
    cache: Option<&std::path::Path>,
) -> SettingsCheck {
    let loaded = sandbox(config, cache).and_then(|sandbox| {
        let guest = guests::load(
            &sandbox,
            &Source::strategy(home, &config.strategy),
            config.strategy.sha256.as_deref(),
        )?;
        Ok((sandbox, guest))
    });
    match loaded {
        Ok((sandbox, guest)) => check_strategy_guest(&sandbox, &guest, config),
        Err(e) => SettingsCheck::Unchecked {
            reason: format!("{e:#}"),
        },
    }
}

/// As `check_strategy`, on a strategy already loaded. Only a rejection of its
/// settings counts: in empty folders a strategy may well fail for other reasons.
pub fn check_strategy_guest(sandbox: &Sandbox, guest: &Guest, config: &Config) -> SettingsCheck {
    let run = || -> anyhow::Result<anyhow::Result<()>> {
        let strategy = sandbox.strategy(guest)?;
        let scratch = tempfile::tempdir()?;
        let root = fs_authority::open_dir(scratch.path())?;
        let mut dirs = Vec::new();
        for name in ["session", "memory", "skills"] {
            root.create_dir(name)?;
            dirs.push(root.open_dir(name)?);
        }
        // An empty session and no scopes: a strategy reads its settings and stops.
        root.write("session/transcript.jsonl", "")?;
        let input = ReflectInput {
            job_id: "settings-check".into(),
            digest: sample_digest(now_ms()),
            scopes: Vec::new(),
            reasons: vec!["settings-check".into()],
            settings: config.strategy_settings(),
        };
        let preopens = Preopens {
            session: &dirs[0],
            memory: &dirs[1],
            skills: &dirs[2],
        };
        Ok(strategy
            .reflect(&input, &preopens, Box::new(Unavailable))
            .map(drop)
            .map_err(Into::into))
    };
    match run() {
        Ok(Ok(())) => SettingsCheck::Accepted,
        Ok(Err(e)) => match classify(e) {
            SettingsCheck::Unchecked { .. } => SettingsCheck::Accepted,
            rejected => rejected,
        },
        Err(e) => SettingsCheck::Unchecked {
            reason: format!("{e:#}"),
        },
    }
}
