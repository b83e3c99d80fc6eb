//! Runs the configured trigger policy. A drop-in that fails to load or to run
//! gives way to the bundled one, and so does a policy that rejects the user's
//! settings (the bundled one then runs with its defaults); the note says so.

use crate::config::Config;
use crate::guests::{self, Source};
use crate::home::Home;
use crate::model::{
    DecideInput, Decision, Digest, GuestError, Scope, Settings, SettleInput, Settled,
};
use crate::sandbox::{Policy, Sandbox, SandboxError};
use crate::world::World;

/// Why no policy could run, not even the bundled one.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Not a `source`: an `anyhow` chain is no `std::error::Error`; the message
    /// holds the whole chain.
    #[error("{0:#}")]
    Run(anyhow::Error),
}

/// What `decide` returned, which policy made it, and the problem to log when the
/// configured policy or its settings could not be used.
pub struct Decided {
    pub decision: Decision,
    pub note: String,
    pub problem: Option<String>,
}

/// The policy's states a call starts from.
#[derive(Debug, Clone, Default)]
pub struct States {
    pub session: Option<String>,
    pub bucket: Option<String>,
}

/// `decide` for one Stop, with the settings of whichever policy runs (the
/// configured one's, or the bundled one's defaults when it falls back).
pub fn decide(
    home: &Home,
    config: &Config,
    digest: &Digest,
    states: &States,
) -> Result<Decided, PolicyError> {
    let (decision, note, problem) = with_policy(home, config, |p, settings| {
        let input = DecideInput {
            digest: digest.clone(),
            session_state: states.session.clone(),
            bucket_state: states.bucket.clone(),
            settings,
        };
        Ok(p.decide(&input)?)
    })?;
    Ok(Decided {
        decision,
        note,
        problem,
    })
}

/// `settle` after a job that covered `scopes` and was queued with the session
/// state `queued`; returns the new states and which policy settled (settings as
/// for `decide`).
pub fn settle(
    home: &Home,
    config: &Config,
    scopes: &[Scope],
    queued: Option<&str>,
    states: &States,
    now_ms: u64,
) -> Result<(Settled, String), PolicyError> {
    with_policy(home, config, |p, settings| {
        let input = SettleInput {
            scopes: scopes.to_vec(),
            queued_session_state: queued.map(str::to_string),
            session_state: states.session.clone(),
            bucket_state: states.bucket.clone(),
            settings,
        };
        Ok(p.settle(&input, now_ms)?)
    })
    .map(|(v, note, _)| (v, note))
}

/// Whether `e` is a guest saying it cannot take its settings.
pub fn rejects_settings(e: &anyhow::Error) -> Option<&str> {
    e.chain()
        .find_map(|c| match c.downcast_ref::<SandboxError>() {
            Some(SandboxError::Guest(GuestError::InvalidSettings(m))) => Some(m.as_str()),
            _ => None,
        })
}

/// Runs `call` on the configured policy with its settings, or on the bundled one
/// with its defaults: the settings table was written for the policy that failed.
fn with_policy<T>(
    home: &Home,
    config: &Config,
    call: impl Fn(&Policy, Settings) -> anyhow::Result<T>,
) -> Result<(T, String, Option<String>), PolicyError> {
    let sandbox = Sandbox::new(config.sandbox.clone(), Some(&home.wasm_cache_dir()))?;
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
        Ok((v, name)) => Ok((v, name, None)),
        Err(e) if !source.is_bundled() || rejects_settings(&e).is_some() => {
            let bundled = Source::Bundled(World::TriggerPolicy.bundled());
            let (v, _) = run(&bundled, None, Settings::default()).map_err(PolicyError::Run)?;
            let problem = match rejects_settings(&e) {
                Some(m) => format!(
                    "policy: {} rejects [policy.settings] ({m}); the bundled policy decided \
                     with its defaults (csep config validate)",
                    source.name()
                ),
                None => format!(
                    "policy: {} cannot be used ({e:#}); the bundled policy decided with its \
                     defaults (csep status)",
                    source.name()
                ),
            };
            Ok((
                v,
                format!("{} (fallback: {e:#})", bundled.name()),
                Some(problem),
            ))
        }
        Err(e) => Err(PolicyError::Run(e)),
    }
}
