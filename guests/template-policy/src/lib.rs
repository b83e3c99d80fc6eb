//! A trigger policy template: reflect on memory once a Stop brings enough
//! conversation. `csep` calls `decide` at every Stop of a session and `settle`
//! when a reflection job it asked for has ended. See wit/engine.wit for every type.

// Generates the Rust types and the `Guest` trait from the contract in wit/.
// Keep wit/engine.wit identical to the one of the csep version you run.
wit_bindgen::generate!({ world: "trigger-policy", path: "wit" });

use csep::engine::types::{GuestError, Scope, Setting, SettingValue};
use exports::csep::engine::policy::{DecideInput, Decision, Guest, SettleInput, Settled};

/// Your settings, from `[policy.settings]` in ~/.codex-self-evolution/config.toml.
struct Settings {
    min_messages: u32,
}

impl Settings {
    /// CHANGE: one match arm per setting. Refuse unknown keys and wrong types so
    /// a typo is reported instead of silently keeping a default.
    fn parse(settings: &[Setting]) -> Result<Settings, GuestError> {
        let mut out = Settings { min_messages: 6 };
        for s in settings {
            match (s.key.as_str(), &s.value) {
                ("min_messages", SettingValue::Integer(n)) if *n >= 1 => {
                    out.min_messages = u32::try_from(*n).unwrap_or(u32::MAX);
                }
                _ => {
                    return Err(GuestError::InvalidSettings(format!(
                        "bad setting `{}`; known: min_messages (an integer of at least 1)",
                        s.key
                    )));
                }
            }
        }
        Ok(out)
    }
}

struct MyPolicy;

impl Guest for MyPolicy {
    /// CHANGE: your rule. The digest holds what is new since the last decision:
    /// user messages, message and tool-call counts, failed tool calls.
    fn decide(input: DecideInput) -> Result<Decision, GuestError> {
        let settings = Settings::parse(&input.settings)?;
        let (messages, min) = (input.digest.message_count, settings.min_messages);
        let reflect = messages >= min;
        // What to reflect on (`Scope::Memory` and/or `Scope::Skill`), and short
        // reason tags shown in `csep status` and passed to the strategy.
        let (scopes, reasons) = if reflect {
            (vec![Scope::Memory], vec!["long-session".to_string()])
        } else {
            (vec![], vec![])
        };
        Ok(Decision {
            reflect,
            scopes,
            reasons,
            summary: format!("{messages} new messages (reflects at {min})"),
            // Opaque strings csep stores for you (none clears them): counters
            // that span Stops go here. This policy keeps none.
            session_state: input.session_state,
            bucket_state: input.bucket_state,
        })
    }

    /// CHANGE if you keep counters: reset them for the scopes the job covered.
    fn settle(input: SettleInput) -> Result<Settled, GuestError> {
        Settings::parse(&input.settings)?;
        Ok(Settled {
            session_state: input.session_state,
            bucket_state: input.bucket_state,
        })
    }
}

// Makes `MyPolicy` the component's export; rename it here too if you rename it.
export!(MyPolicy);
