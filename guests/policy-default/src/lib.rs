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
        let said = Said {
            hits: &hits,
            durable: &durable,
        };
        Ok(decide(&counters, &thresholds, &said, state_note, input))
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
struct Said<'a> {
    hits: &'a keywords::Hits,
    durable: &'a durable::Findings,
}

fn decide(
    counters: &Counters,
    t: &Thresholds,
    said: &Said,
    state_note: Option<&'static str>,
    input: DecideInput,
) -> Decision {
    let hits = said.hits;
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
    if said.durable.triggers(t.durable_weak_threshold) {
        memory = true;
        reasons.push("durable-statement".to_string());
        why.push(said.durable.summary());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csep::engine::types::{Setting, SettingValue};
    use crate::testing::digest;

    fn stop(texts: &[&str], state: Option<String>, settings: Vec<Setting>) -> Decision {
        DefaultPolicy::decide(DecideInput {
            digest: digest(texts),
            session_state: state,
            bucket_state: None,
            settings,
        })
        .unwrap()
    }

    fn setting(key: &str, value: SettingValue) -> Vec<Setting> {
        vec![Setting {
            key: key.into(),
            value,
        }]
    }

    #[test]
    fn a_one_message_session_stating_a_fact_reflects_on_memory_at_once() {
        let d = stop(&["The test command is `make check`"], None, Vec::new());
        assert!(d.reflect, "{d:?}");
        assert_eq!(d.scopes, vec![Scope::Memory]);
        assert_eq!(d.reasons, vec!["durable-statement"]);
        assert!(
            d.summary.contains("\"The test command is `make check`\""),
            "{}",
            d.summary
        );
    }

    #[test]
    fn remembering_the_task_at_hand_does_not_reflect() {
        for text in [
            "Remember where we are: the refactor of src/api.rs is half done, I'm off to lunch.",
            "Remember that I have a meeting at 3 today, so keep the diff small.",
            "今天先到这，下次再继续看 lexer 的内存问题。",
            "记住我们刚才看到 render 占了一半的时间。",
            "覚えておいて：明日の朝このブランチの続きをやります。",
            "メモして、さっきのエラーは今日中に直します。",
            "기억해 둬요, 지금 보는 건 PAY-77 이슈예요.",
            "내일 이어서 할게요, 기억해 줘.",
        ] {
            let d = stop(&[text], None, Vec::new());
            assert!(!d.reflect, "{text}: {d:?}");
        }
    }

    #[test]
    fn lasting_words_and_changed_facts_reflect_at_once() {
        for text in [
            "Format with `black .` here, always.",
            "Run `go vet ./...` before you push, that's the rule here.",
            "The old build/ folder is no longer generated, so you can edit it.",
            "另外记一下，我们这里发布用 `make release`。",
            "我们已经从 pip 迁移到 uv 了，npm ci 不再用了。",
            "ドキュメントは https://docs.example.jp に移転しました。",
            "커밋 전에는 항상 `make fmt` 를 실행해요.",
            "API 문서는 https://docs.example.kr 로 옮겼어요.",
            "Regenerate the client with `make openapi` before you touch src/api/.",
            "发版之前先跑 `make changelog`。",
            "リリース前に `make sbom` を実行すること。",
            "배포 전에 `make db-seed` 를 실행해요.",
        ] {
            let d = stop(&[text], None, Vec::new());
            assert!(d.reflect, "{text}: {d:?}");
            assert_eq!(d.scopes, vec![Scope::Memory], "{text}");
        }
    }

    #[test]
    fn a_short_session_of_one_off_requests_does_not_reflect() {
        let mut state = None;
        for texts in [
            &["run the tests", "fix this bug"][..],
            &["what does this do?", "帮我跑一下测试"][..],
        ] {
            let d = stop(texts, state, Vec::new());
            assert!(!d.reflect, "{texts:?}: {d:?}");
            state = d.session_state;
        }
    }

    #[test]
    fn injected_context_and_pasted_logs_are_not_statements() {
        let mut injected = digest(&[]);
        injected
            .user_messages
            .push(crate::csep::engine::types::UserMessage {
                text: "# AGENTS.md\nNever touch `third_party/`. The test command is `make`.".into(),
                truncated: false,
                injected: true,
                at_ms: None,
            });
        let d = DefaultPolicy::decide(DecideInput {
            digest: injected,
            session_state: None,
            bucket_state: None,
            settings: Vec::new(),
        })
        .unwrap();
        assert!(!d.reflect, "{d:?}");
        let log = "why?\n```\nERROR never retry src/db.rs\n```\n> Never use `yarn`";
        assert!(!stop(&[log], None, Vec::new()).reflect);
    }

    #[test]
    fn the_setting_turns_durable_statements_off() {
        let off = setting("durable_statement_immediate", SettingValue::Boolean(false));
        let d = stop(&["Never touch `third_party/`"], None, off);
        assert!(!d.reflect, "{d:?}");
    }

    #[test]
    fn weak_candidates_reflect_at_the_threshold() {
        let weak = ["Don't do that.", "We prefer the other one."];
        let d = stop(&weak, None, Vec::new());
        assert_eq!(d.reasons, vec!["durable-statement"], "{d:?}");
        assert!(d.summary.contains("0 strong, 2 weak"), "{}", d.summary);
        let three = setting("durable_weak_threshold", SettingValue::Integer(3));
        assert!(!stop(&weak, None, three).reflect);
        assert!(!stop(&weak[..1], None, Vec::new()).reflect);
    }

    #[test]
    fn a_high_signal_word_and_a_statement_give_both_reasons() {
        let d = stop(
            &["记住：这个仓库跑测试用 cargo nextest run"],
            None,
            Vec::new(),
        );
        assert_eq!(d.scopes, vec![Scope::Memory]);
        assert_eq!(d.reasons, vec!["high-signal-memory", "durable-statement"]);
    }

    #[test]
    fn the_summary_quotes_the_statement_cut_short() {
        let long = format!(
            "The deploy script is `scripts/deploy.sh` {}",
            "and more ".repeat(20)
        );
        let d = stop(&[long.as_str(), "以后回复我用中文"], None, Vec::new());
        let quoted = d.summary.split('"').nth(1).unwrap();
        assert_eq!(quoted.chars().count(), 80, "{}", d.summary);
        assert!(quoted.ends_with('…'));
        assert!(d.summary.contains("and 1 more"), "{}", d.summary);
    }

    #[test]
    fn a_credential_in_a_statement_is_not_quoted() {
        let d = stop(
            &["The staging password is hunter2, never commit it"],
            None,
            Vec::new(),
        );
        assert!(d.reflect, "{d:?}");
        assert!(!d.summary.contains("hunter2"), "{}", d.summary);
    }

    #[test]
    fn a_statement_reflected_on_does_not_trigger_again_after_settling() {
        let d1 = stop(&["Use pnpm, not yarn"], None, Vec::new());
        assert!(d1.reflect);
        // Before the job ends, the next Stop sees only its own new messages.
        let pending = stop(&["ok"], d1.session_state.clone(), Vec::new());
        assert!(!pending.reflect, "{pending:?}");
        let settled = DefaultPolicy::settle(SettleInput {
            scopes: vec![Scope::Memory],
            queued_session_state: d1.session_state.clone(),
            session_state: d1.session_state.clone(),
            bucket_state: None,
            settings: Vec::new(),
        })
        .unwrap();
        let (counters, _) = Counters::parse_or_default(settled.session_state.as_deref());
        assert_eq!(counters, Counters::default(), "the memory counters restart");
        // The next Stop's digest holds only the new messages.
        let d2 = stop(&["run the tests"], settled.session_state, Vec::new());
        assert!(!d2.reflect, "{d2:?}");
        assert!(d2.summary.contains("1/3 stops"), "{}", d2.summary);
    }

    #[test]
    fn the_counters_still_reflect_without_statements() {
        let mut state = None;
        for n in 1..=3 {
            let d = stop(&["keep going"], state, Vec::new());
            assert_eq!(d.reflect, n == 3, "stop {n}: {d:?}");
            state = d.session_state;
        }
    }
}
