//! `csep policy check` and `decide`: a component against this host's contract, a
//! policy on one input.

use csep::timefmt::now_ms;
use csep::world::World;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::Format;
use csep::client::Client;
use csep::config::Config;
use csep::guests::{self, Source};
use csep::model::{DecideInput, Digest, UserMessage};
use csep::sandbox::{
    CONTRACT_VERSION, CacheOutcome, Guest, Preopens, Sandbox, SandboxError, Unavailable,
    supported_range,
};

pub(super) fn check(
    sandbox: &Sandbox,
    config: &Config,
    source: &Source,
    pin: Option<&str>,
    input: Option<&Path>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let origin = match source {
        Source::Bundled(b) => b.origin(),
        Source::File(p) => p.display().to_string(),
    };
    let outcome = guests::load(sandbox, source, pin).and_then(|guest| {
        let sample = exercise(sandbox, config, &guest, input)?;
        Ok((guest, sample))
    });
    match outcome {
        Ok((guest, sample)) => {
            report_valid(&guest, &sample, format);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let kind = e
                .chain()
                .find_map(|c| c.downcast_ref::<SandboxError>())
                .map_or("error", SandboxError::kind);
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "valid": false,
                        "origin": origin,
                        "kind": kind,
                        "error": format!("{e:#}"),
                        "supported": supported_range(),
                    }))?
                ),
                Format::Text => eprintln!("csep: {origin} is not usable here: {e:#}"),
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Runs the guest once: a policy decides on the sample (or given) input; a strategy
/// reflects in empty throwaway folders with no model and no recall.
fn exercise(
    sandbox: &Sandbox,
    config: &Config,
    guest: &Guest,
    input: Option<&Path>,
) -> anyhow::Result<serde_json::Value> {
    match guest.world() {
        World::TriggerPolicy => {
            let policy = sandbox.policy(guest)?;
            let input = match input {
                Some(path) => read_input(path, config)?,
                None => sample_input(config),
            };
            let decision = policy
                .decide(&input)
                .context("running decide on the sample")?;
            // As if the job the decision asks for had covered its scopes.
            let settle = csep::model::SettleInput {
                scopes: decision.scopes.clone(),
                queued_session_state: decision.session_state.clone(),
                session_state: decision.session_state.clone(),
                bucket_state: decision.bucket_state.clone(),
                settings: input.settings.clone(),
            };
            let settled = policy
                .settle(&settle, input.digest.now_ms)
                .context("running settle after the sample decision")?;
            Ok(json!({ "input": input, "decision": decision, "settled": settled }))
        }
        World::ReflectionStrategy => {
            let strategy = sandbox.strategy(guest)?;
            let scratch = tempfile::tempdir().context("making throwaway folders")?;
            let root = csep::fs_authority::open_dir(scratch.path())?;
            let mut dirs = Vec::new();
            for name in ["session", "memory", "skills"] {
                root.create_dir(name)
                    .with_context(|| format!("creating {}", scratch.path().join(name).display()))?;
                dirs.push(root.open_dir(name)?);
            }
            let preopens = Preopens {
                session: &dirs[0],
                memory: &dirs[1],
                skills: &dirs[2],
            };
            let input = csep::model::ReflectInput {
                job_id: "check".into(),
                digest: sample_input(config).digest,
                scopes: vec![csep::model::Scope::Memory],
                reasons: vec!["check".into()],
                settings: config.strategy_settings(),
            };
            let output = strategy
                .reflect(&input, &preopens, Box::new(Unavailable))
                .context("running reflect in throwaway folders")?;
            Ok(json!({ "output": output }))
        }
    }
}

fn report_valid(guest: &Guest, sample: &serde_json::Value, format: Format) {
    let cache = match guest.cache_outcome() {
        CacheOutcome::Hit => "hit".to_string(),
        CacheOutcome::Miss => "miss (compiled and stored)".to_string(),
        CacheOutcome::Rebuilt(why) => format!("rebuilt ({why})"),
        CacheOutcome::Disabled => "disabled".to_string(),
    };
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "valid": true,
                "origin": guest.origin(),
                "world": guest.world(),
                "contract_version": guest.version(),
                "host_contract_version": CONTRACT_VERSION,
                "sha256": guest.sha256(),
                "cache": cache,
                "sample": sample,
            }))
            .unwrap_or_default()
        ),
        Format::Text => {
            println!(
                "{}: a valid {} for this csep",
                guest.origin(),
                guest.world()
            );
            println!(
                "  contract  csep:engine@{} (this csep takes {})",
                guest.version(),
                supported_range()
            );
            println!("  sha256    {}", guest.sha256());
            println!("  cache     {cache}");
            if let Some(d) = sample.get("decision") {
                let scopes: Vec<String> = d["scopes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let verdict = if d["reflect"].as_bool() == Some(true) {
                    format!("reflect on {}", scopes.join(" and "))
                } else {
                    "no reflection".to_string()
                };
                println!(
                    "  sample    {verdict}: {}",
                    d["summary"].as_str().unwrap_or("")
                );
            }
            if sample.get("settled").is_some() {
                println!("  settle    ran after it");
            }
            if let Some(o) = sample.get("output") {
                println!("  sample    {}", o["summary"].as_str().unwrap_or(""));
            }
        }
    }
}

/// A short Codex session in which the user asks for something to be remembered.
fn sample_input(config: &Config) -> DecideInput {
    let now = now_ms();
    let said = [
        "The tests are flaky on CI, can you look?",
        "记住：这个仓库跑测试用 cargo nextest run，下次别再用 cargo test。",
    ];
    DecideInput {
        digest: Digest {
            client: Client::Codex.to_string(),
            session_id: "sample-session".into(),
            bucket_id: "-home-you-code-sample".into(),
            cwd: "/home/you/code/sample".into(),
            session_started_ms: Some(now.saturating_sub(600_000)),
            last_event_ms: Some(now),
            now_ms: now,
            user_messages: said
                .iter()
                .map(|t| UserMessage {
                    text: (*t).to_string(),
                    ..UserMessage::default()
                })
                .collect(),
            message_count: 4,
            readable_chars: 1_850,
            tool_calls: 6,
            ..Digest::default()
        },
        settings: config.policy_settings(),
        ..DecideInput::default()
    }
}

pub(super) fn read_input(path: &Path, config: &Config) -> anyhow::Result<DecideInput> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the decide input from stdin")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let mut input: DecideInput = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid decide input", path.display()))?;
    if input.settings.0.is_empty() {
        input.settings = config.policy_settings();
    }
    if input.digest.now_ms == 0 {
        input.digest.now_ms = now_ms();
    }
    Ok(input)
}
