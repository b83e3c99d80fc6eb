//! An example trigger policy: reflect only on Stops that bring failed tool calls
//! (optionally: only failed test runs), so memory learns from what went wrong.
//!
//! Stateless: each `decide` sees the digest of what is new since the last
//! decision, which is all it needs. Session and bucket states pass through as
//! they came.

mod failures;
mod settings;

wit_bindgen::generate!({ world: "trigger-policy", path: "../../../wit" });

use csep::engine::types::{Digest, GuestError};
use exports::csep::engine::policy::{DecideInput, Decision, Guest, SettleInput, Settled};

use failures::looks_like_test_failure;
use settings::Settings;

pub const REASON_TEST: &str = "failed-test-run";
pub const REASON_ERRORS: &str = "tool-errors";

struct FailuresPolicy;

impl Guest for FailuresPolicy {
    fn decide(input: DecideInput) -> Result<Decision, GuestError> {
        let settings = Settings::from_settings(&input.settings)?;
        let verdict = judge(&input.digest, &settings);
        Ok(Decision {
            reflect: verdict.reflect,
            scopes: if verdict.reflect {
                settings.scopes
            } else {
                Vec::new()
            },
            reasons: verdict.reasons,
            summary: verdict.summary,
            session_state: input.session_state,
            bucket_state: input.bucket_state,
        })
    }

    fn settle(input: SettleInput) -> Result<Settled, GuestError> {
        Settings::from_settings(&input.settings)?;
        Ok(Settled {
            session_state: input.session_state,
            bucket_state: input.bucket_state,
        })
    }
}

struct Verdict {
    reflect: bool,
    reasons: Vec<String>,
    summary: String,
}

fn judge(digest: &Digest, s: &Settings) -> Verdict {
    let listed = digest.tool_errors.len() as u64;
    let all = listed + u64::from(digest.omitted_tool_errors);
    let tests = digest
        .tool_errors
        .iter()
        .filter(|e| looks_like_test_failure(&e.message))
        .count() as u64;
    // Omitted errors have no text, so they cannot be told to be test runs.
    let counted = if s.test_failures_only { tests } else { all };

    let unit = if s.test_failures_only {
        "failed test run"
    } else {
        "failed tool call"
    };
    if counted == 0 || counted < s.min_tool_errors {
        let summary = if all == 0 {
            "no failed tool calls since the last Stop".to_string()
        } else if counted == 0 {
            format!(
                "no failed test runs since the last Stop ({} ignored)",
                count(all, "failed tool call")
            )
        } else {
            format!(
                "{} since the last Stop, below the threshold of {}",
                count(counted, unit),
                s.min_tool_errors
            )
        };
        return Verdict {
            reflect: false,
            reasons: Vec::new(),
            summary,
        };
    }
    let mut summary = format!("{} since the last Stop", count(counted, unit));
    if tests > 0 && !s.test_failures_only {
        let runs = match tests {
            1 => "a failed test run".to_string(),
            n => format!("{n} failed test runs"),
        };
        summary.push_str(&format!(", including {runs}"));
    }
    let reason = if tests > 0 {
        REASON_TEST
    } else {
        REASON_ERRORS
    };
    Verdict {
        reflect: true,
        reasons: vec![reason.to_string()],
        summary,
    }
}

/// `1 failed tool call`, `2 failed tool calls`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

export!(FailuresPolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use csep::engine::types::{Scope, Setting, SettingValue, ToolError, UserMessage};

    fn digest(errors: &[&str], omitted: u32, user: &str) -> Digest {
        Digest {
            client: "codex".into(),
            session_id: "s1".into(),
            bucket_id: "-repo".into(),
            cwd: "/repo".into(),
            session_started_ms: None,
            last_event_ms: None,
            now_ms: 1_700_000_000_000,
            user_messages: vec![UserMessage {
                text: user.into(),
                truncated: false,
                injected: false,
                at_ms: None,
            }],
            omitted_user_messages: 0,
            message_count: 2,
            readable_chars: 100,
            tool_calls: 5,
            tool_errors: errors
                .iter()
                .map(|m| ToolError {
                    tool: "exec_command".into(),
                    message: (*m).into(),
                })
                .collect(),
            omitted_tool_errors: omitted,
        }
    }

    fn decide(digest: Digest, settings: Vec<Setting>) -> Result<Decision, GuestError> {
        FailuresPolicy::decide(DecideInput {
            digest,
            session_state: Some("kept".into()),
            bucket_state: None,
            settings,
        })
    }

    fn set(key: &str, value: SettingValue) -> Setting {
        Setting {
            key: key.into(),
            value,
        }
    }

    const CARGO_FAILED: &str = "Exit code: 101\ntest result: FAILED. 3 passed; 1 failed";
    const NOT_FOUND: &str = "bash: rg: command not found";

    #[test]
    fn a_failed_test_run_reflects_on_memory() {
        let d = decide(digest(&[CARGO_FAILED, NOT_FOUND], 0, "fix it"), vec![]).unwrap();
        assert!(d.reflect);
        assert_eq!(d.scopes, [Scope::Memory]);
        assert_eq!(d.reasons, [REASON_TEST]);
        assert_eq!(
            d.summary,
            "2 failed tool calls since the last Stop, including a failed test run"
        );
        assert_eq!(d.session_state.as_deref(), Some("kept"));
    }

    #[test]
    fn other_errors_reflect_as_tool_errors_counting_omitted_ones() {
        let d = decide(digest(&[NOT_FOUND], 0, ""), vec![]).unwrap();
        assert!(d.reflect);
        assert_eq!(d.reasons, [REASON_ERRORS]);
        assert_eq!(d.summary, "1 failed tool call since the last Stop");

        let three = vec![set("min_tool_errors", SettingValue::Integer(3))];
        let d = decide(digest(&[NOT_FOUND], 1, ""), three.clone()).unwrap();
        assert!(!d.reflect);
        assert!(d.scopes.is_empty() && d.reasons.is_empty());
        assert_eq!(
            d.summary,
            "2 failed tool calls since the last Stop, below the threshold of 3"
        );
        let d = decide(digest(&[NOT_FOUND], 2, ""), three).unwrap();
        assert!(d.reflect);
        assert_eq!(d.summary, "3 failed tool calls since the last Stop");
    }

    #[test]
    fn no_errors_never_reflects_even_when_asked_to_remember() {
        let d = decide(digest(&[], 0, "Remember: always run make check"), vec![]).unwrap();
        assert!(!d.reflect);
        assert!(d.scopes.is_empty() && d.reasons.is_empty());
        assert_eq!(d.summary, "no failed tool calls since the last Stop");
    }

    #[test]
    fn test_failures_only_ignores_other_errors() {
        let only = || vec![set("test_failures_only", SettingValue::Boolean(true))];
        let d = decide(digest(&[NOT_FOUND], 3, ""), only()).unwrap();
        assert!(!d.reflect);
        assert_eq!(
            d.summary,
            "no failed test runs since the last Stop (4 failed tool calls ignored)"
        );
        let d = decide(digest(&[NOT_FOUND, CARGO_FAILED], 0, ""), only()).unwrap();
        assert!(d.reflect);
        assert_eq!(d.reasons, [REASON_TEST]);
        assert_eq!(d.summary, "1 failed test run since the last Stop");
        let mut two = only();
        two.push(set("min_tool_errors", SettingValue::Integer(2)));
        let d = decide(digest(&[NOT_FOUND, CARGO_FAILED], 5, ""), two).unwrap();
        assert!(!d.reflect);
        assert_eq!(
            d.summary,
            "1 failed test run since the last Stop, below the threshold of 2"
        );
    }

    #[test]
    fn scopes_setting_is_used_when_reflecting() {
        let both = vec![set(
            "scopes",
            SettingValue::TextList(vec!["memory".into(), "skill".into()]),
        )];
        let d = decide(digest(&[CARGO_FAILED], 0, ""), both).unwrap();
        assert_eq!(d.scopes, [Scope::Memory, Scope::Skill]);
    }

    #[test]
    fn bad_settings_are_invalid_settings() {
        let bad = vec![set("min_tool_error", SettingValue::Integer(1))];
        let e = decide(digest(&[CARGO_FAILED], 0, ""), bad.clone()).unwrap_err();
        assert!(
            matches!(&e, GuestError::InvalidSettings(m) if m.contains("min_tool_errors")),
            "{e:?}"
        );
        let e = FailuresPolicy::settle(SettleInput {
            scopes: vec![Scope::Memory],
            queued_session_state: None,
            session_state: None,
            bucket_state: None,
            settings: bad,
        })
        .unwrap_err();
        assert!(matches!(e, GuestError::InvalidSettings(_)));
    }

    #[test]
    fn settle_returns_states_unchanged() {
        let s = FailuresPolicy::settle(SettleInput {
            scopes: vec![Scope::Memory],
            queued_session_state: Some("q".into()),
            session_state: Some("s".into()),
            bucket_state: Some("b".into()),
            settings: vec![],
        })
        .unwrap();
        assert_eq!(s.session_state.as_deref(), Some("s"));
        assert_eq!(s.bucket_state.as_deref(), Some("b"));
    }
}
