//! The bundled trigger policy: per-session counters plus high-signal words, as the
//! original tool's trigger, with separate memory and skill scopes; and, so that a
//! short session which states a lasting fact or rule is not lost, durable
//! statements in the user's words reflect on memory at once.

mod durable;
mod keywords;
mod settings;
mod state;
#[cfg(test)]
mod testing;

wit_bindgen::generate!({ world: "trigger-policy", path: "../../wit" });

use csep::engine::types::{Digest, GuestError, Scope};
use exports::csep::engine::policy::{DecideInput, Decision, Guest, SettleInput, Settled};

use settings::Thresholds;
use state::Counters;

struct DefaultPolicy;

impl Guest for DefaultPolicy {
    fn decide(input: DecideInput) -> Result<Decision, GuestError> {
        let thresholds = Thresholds::from_settings(&input.settings)?;
        let (mut counters, state_note) = Counters::parse_or_default(input.session_state.as_deref());
        counters.add(&input.digest);

        let hits = if thresholds.high_signal_immediate {
            keywords::scan(&input.digest, &thresholds)
        } else {
            keywords::Hits::default()
        };
        // The digest holds only messages since the last decision, so a statement
        // reflected on once is not seen again at a later Stop.
        let durable = if thresholds.durable_statement_immediate {
            durable::scan(&input.digest)
        } else {
            durable::Findings::default()
        };
        let signals = Signals {
            hits: &hits,
            durable: &durable,
        };
        Ok(decide(&counters, &thresholds, &signals, state_note, input))
    }

    fn settle(input: SettleInput) -> Result<Settled, GuestError> {
        Thresholds::from_settings(&input.settings)?;
        let (mut counters, _) = Counters::parse_or_default(input.session_state.as_deref());
        let (queued, _) = Counters::parse_or_default(input.queued_session_state.as_deref());
        for scope in &input.scopes {
            counters.settle(*scope, &queued);
        }
        Ok(Settled {
            session_state: Some(counters.render()),
            bucket_state: input.bucket_state,
        })
    }
}

/// What the user's words asked for, besides the counters.
struct Signals<'a> {
    hits: &'a keywords::Hits,
    durable: &'a durable::Findings,
}

fn decide(
    counters: &Counters,
    t: &Thresholds,
    signals: &Signals,
    state_note: Option<&'static str>,
    input: DecideInput,
) -> Decision {
    let hits = signals.hits;
    let mut reasons = Vec::new();
    let mut why = Vec::new();
    let (mut memory, mut skill) = (false, false);

    if counters.stops >= t.memory_stop_interval {
        memory = true;
        reasons.push("memory-stop-interval".to_string());
        why.push(format!(
            "{} stops since the last memory review (threshold {})",
            counters.stops, t.memory_stop_interval
        ));
    }
    if counters.readable_chars >= t.memory_context_chars {
        memory = true;
        reasons.push("memory-context-chars".to_string());
        why.push(format!(
            "{} readable characters since the last memory review (threshold {})",
            counters.readable_chars, t.memory_context_chars
        ));
    }
    if counters.tool_calls >= t.skill_tool_call_interval {
        skill = true;
        reasons.push("skill-tool-call-interval".to_string());
        why.push(format!(
            "{} tool calls since the last skill review (threshold {})",
            counters.tool_calls, t.skill_tool_call_interval
        ));
    }
    if !hits.memory.is_empty() {
        memory = true;
        reasons.push("high-signal-memory".to_string());
        why.push(format!("the user wrote {}", quote_list(&hits.memory)));
    }
    if !hits.skill.is_empty() {
        skill = true;
        reasons.push("high-signal-skill".to_string());
        why.push(format!("the user wrote {}", quote_list(&hits.skill)));
    }
    if signals.durable.triggers(t.durable_weak_threshold) {
        memory = true;
        reasons.push("durable-statement".to_string());
        why.push(signals.durable.summary());
    }

    let mut scopes = Vec::new();
    if memory {
        scopes.push(Scope::Memory);
    }
    if skill {
        scopes.push(Scope::Skill);
    }
    let reflect = !scopes.is_empty();
    let mut summary = if reflect {
        why.join("; ")
    } else {
        format!(
            "below threshold: {}/{} stops, {}/{} characters, {}/{} tool calls",
            counters.stops,
            t.memory_stop_interval,
            counters.readable_chars,
            t.memory_context_chars,
            counters.tool_calls,
            t.skill_tool_call_interval
        )
    };
    if let Some(note) = state_note {
        summary.push_str(" (");
        summary.push_str(note);
        summary.push(')');
    }
    Decision {
        reflect,
        scopes,
        reasons,
        summary,
        session_state: Some(counters.render()),
        bucket_state: input.bucket_state,
    }
}

fn quote_list(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The user's own words: injected context is never scanned.
fn user_texts(digest: &Digest) -> impl Iterator<Item = &str> {
    digest
        .user_messages
        .iter()
        .filter(|m| !m.injected)
        .map(|m| m.text.as_str())
}

export!(DefaultPolicy);
