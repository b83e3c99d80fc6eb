//! Runs the configured trigger policy. A drop-in that fails to load or to run
//! gives way to the bundled one, and the returned note says so.

use crate::bundled;
use crate::config::Config;
use crate::guests::{self, Source};
use crate::home::Home;
use crate::model::{DecideInput, Decision, SettleInput, Settled};
use crate::sandbox::{Policy, Sandbox};

/// `decide` for one Stop; returns the decision and which policy made it.
pub fn decide(
    home: &Home,
    config: &Config,
    input: &DecideInput,
) -> Result<(Decision, String), String> {
    with_policy(home, config, |p| Ok(p.decide(input)?))
}

/// `settle` after a job; returns the new states and which policy settled.
pub fn settle(
    home: &Home,
    config: &Config,
    input: &SettleInput,
    now_ms: u64,
) -> Result<(Settled, String), String> {
    with_policy(home, config, |p| Ok(p.settle(input, now_ms)?))
}

fn with_policy<T>(
    home: &Home,
    config: &Config,
    call: impl Fn(&Policy) -> anyhow::Result<T>,
) -> Result<(T, String), String> {
    let sandbox = Sandbox::new(config.sandbox.clone(), Some(&home.wasm_cache_dir()))
        .map_err(|e| e.to_string())?;
    let source = Source::policy(home, &config.policy);
    let run = |source: &Source, pin: Option<&str>| -> anyhow::Result<T> {
        let guest = guests::load(&sandbox, source, pin)?;
        call(&sandbox.policy(&guest)?)
    };
    match run(&source, config.policy.sha256.as_deref()) {
        Ok(v) => Ok((v, source.name())),
        Err(e) if matches!(source, Source::File(_)) => {
            let bundled_source = Source::Bundled(&bundled::POLICY_DEFAULT);
            let v = run(&bundled_source, None).map_err(|e| format!("{e:#}"))?;
            Ok((v, format!("bundled policy-default (fallback: {e:#})")))
        }
        Err(e) => Err(format!("{e:#}")),
    }
}
