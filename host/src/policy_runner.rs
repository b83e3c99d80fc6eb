//! Runs the configured trigger policy. A drop-in that fails to load or to run
//! gives way to the bundled one, and the returned note says so.

use crate::config::Config;
use crate::guests::{self, Kind, Source};
use crate::home::Home;
use crate::model::{DecideInput, Decision, Settings, SettleInput, Settled};
use crate::sandbox::{Policy, Sandbox};

/// `decide` for one Stop; returns the decision and which policy made it. The input's
/// settings are replaced by those of the policy that runs.
pub fn decide(
    home: &Home,
    config: &Config,
    input: &DecideInput,
) -> Result<(Decision, String), String> {
    with_policy(home, config, |p, settings| {
        let input = DecideInput {
            settings,
            ..input.clone()
        };
        Ok(p.decide(&input)?)
    })
}

/// `settle` after a job; returns the new states and which policy settled (settings
/// as for `decide`).
pub fn settle(
    home: &Home,
    config: &Config,
    input: &SettleInput,
    now_ms: u64,
) -> Result<(Settled, String), String> {
    with_policy(home, config, |p, settings| {
        let input = SettleInput {
            settings,
            ..input.clone()
        };
        Ok(p.settle(&input, now_ms)?)
    })
}

/// Runs `call` on the configured policy with its settings, or on the bundled one
/// with its defaults: the settings table was written for the drop-in.
fn with_policy<T>(
    home: &Home,
    config: &Config,
    call: impl Fn(&Policy, Settings) -> anyhow::Result<T>,
) -> Result<(T, String), String> {
    let sandbox = Sandbox::new(config.sandbox.clone(), Some(&home.wasm_cache_dir()))
        .map_err(|e| e.to_string())?;
    let source = Source::policy(home, &config.policy);
    let run = |source: &Source, pin: Option<&str>, settings| -> anyhow::Result<(T, String)> {
        let guest = guests::load(&sandbox, source, pin)?;
        let value = call(&sandbox.policy(&guest)?, settings)?;
        let name = match source {
            Source::Bundled(_) => source.name(),
            Source::File(_) => format!(
                "{} (sha256 {})",
                source.name(),
                guests::short_hash(guest.sha256())
            ),
        };
        Ok((value, name))
    };
    match run(
        &source,
        config.policy.sha256.as_deref(),
        config.policy_settings(),
    ) {
        Ok(v) => Ok(v),
        Err(e) if !source.is_bundled() => {
            let bundled = Source::Bundled(Kind::Policy.bundled());
            let (v, _) = run(&bundled, None, Settings::default()).map_err(|e| format!("{e:#}"))?;
            Ok((v, format!("{} (fallback: {e:#})", bundled.name())))
        }
        Err(e) => Err(format!("{e:#}")),
    }
}
