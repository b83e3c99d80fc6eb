//! The config file, the active policy and strategy, and the drop-ins on disk.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::guest_settings::{self, SettingsCheck};
use crate::guests::{self, Source};
use crate::home::Home;
use crate::world::World;

/// Whether `config.toml` parses and the active guests accept their settings.
#[derive(Debug, Serialize)]
pub struct ConfigHealth {
    pub path: PathBuf,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_settings: Option<SettingsCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_settings: Option<SettingsCheck>,
}

/// Whether the active policy (or strategy) loads, or what runs instead.
#[derive(Debug, Serialize)]
pub struct GuestHealth {
    /// `bundled policy-default`, or the drop-in's path.
    pub source: String,
    pub healthy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<World>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsCheck>,
    /// Why it does not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What runs instead when it does not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_use: Option<&'static str>,
}

impl GuestHealth {
    fn settings_check(&self) -> SettingsCheck {
        match (&self.settings, &self.error) {
            (Some(s), _) => s.clone(),
            (None, e) => SettingsCheck::Unchecked {
                reason: e.clone().unwrap_or_default(),
            },
        }
    }
}

/// The `.wasm` files in `policies/` and `strategies/`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DropIns {
    Found(Vec<DropIn>),
    Unreadable { error: String },
}

#[derive(Debug, Serialize)]
pub struct DropIn {
    pub kind: &'static str,
    pub name: String,
    pub path: PathBuf,
}

pub(super) fn drop_ins(home: &Home) -> DropIns {
    match crate::dropins::discover(home) {
        Ok(found) => DropIns::Found(
            found
                .into_iter()
                .map(|d| DropIn {
                    kind: d.kind.section(),
                    name: d.name,
                    path: d.path,
                })
                .collect(),
        ),
        Err(e) => DropIns::Unreadable {
            error: e.to_string(),
        },
    }
}

pub(super) fn policy(home: &Home, config: &Config) -> GuestHealth {
    check(
        Source::policy(home, &config.policy),
        config.policy.sha256.as_deref(),
        config,
        false,
    )
}

pub(super) fn strategy(home: &Home, config: &Config) -> GuestHealth {
    check(
        Source::strategy(home, &config.strategy),
        config.strategy.sha256.as_deref(),
        config,
        true,
    )
}

pub(super) fn config_health(
    home: &Home,
    loaded: &Result<Config, ConfigError>,
    policy: &GuestHealth,
    strategy: &GuestHealth,
) -> ConfigHealth {
    let path = home.config_path();
    if let Err(e) = loaded {
        return ConfigHealth {
            path,
            valid: false,
            error: Some(format!(
                "{e}; the hooks run on the defaults for what is broken"
            )),
            policy_settings: None,
            strategy_settings: None,
        };
    }
    let (p, s) = (policy.settings_check(), strategy.settings_check());
    let rejected = [("policy", &p), ("strategy", &s)]
        .into_iter()
        .find_map(|(name, check)| match check {
            SettingsCheck::Rejected { message } => Some(format!(
                "[{name}.settings] rejected by the active {name}: {message} (the bundled \
                 {name} runs with its defaults meanwhile)"
            )),
            _ => None,
        });
    ConfigHealth {
        path,
        valid: rejected.is_none(),
        error: rejected,
        policy_settings: Some(p),
        strategy_settings: Some(s),
    }
}

/// Loads the guest and asks it about its settings, without writing the compiled cache.
fn check(source: Source, pin: Option<&str>, config: &Config, strategy: bool) -> GuestHealth {
    let mut health = GuestHealth {
        source: source.name(),
        healthy: false,
        sha256: None,
        world: None,
        contract_version: None,
        settings: None,
        error: None,
        in_use: None,
    };
    let sandbox = match guest_settings::sandbox(config, None) {
        Ok(s) => s,
        Err(e) => {
            health.error = Some(format!("{e:#}"));
            return health;
        }
    };
    let loaded = guests::load(&sandbox, &source, pin).and_then(|g| {
        if strategy {
            sandbox.strategy(&g).map(|_| g).map_err(Into::into)
        } else {
            sandbox.policy(&g).map(|_| g).map_err(Into::into)
        }
    });
    match loaded {
        Ok(g) => {
            health.settings = Some(if strategy {
                guest_settings::check_strategy_guest(&sandbox, &g, config)
            } else {
                guest_settings::check_policy_guest(&sandbox, &g, config)
            });
            health.healthy = true;
            health.sha256 = Some(g.sha256().to_string());
            health.world = Some(g.world());
            health.contract_version = Some(g.version());
        }
        Err(e) => {
            health.error = Some(format!("{e:#}"));
            health.in_use = Some(if strategy {
                "bundled strategy-default (fallback)"
            } else {
                "bundled policy-default (fallback)"
            });
        }
    }
    health
}
