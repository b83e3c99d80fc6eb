//! An example trigger policy: never reflect on repos in a deny list; elsewhere,
//! reflect on memory at once when the user asks to remember something, or every
//! `stop_interval` Stops.
//!
//! The session state counts Stops since the last memory review; `settle` takes
//! away the Stops a finished memory job covered. A denied Stop leaves it as it was.

mod settings;

wit_bindgen::generate!({ world: "trigger-policy", path: "../../../wit" });

use csep::engine::types::{Digest, GuestError, Scope};
use exports::csep::engine::policy::{DecideInput, Decision, Guest, SettleInput, Settled};

use settings::Settings;

pub const REASON_DENIED: &str = "denied-repo";
pub const REASON_KEYWORD: &str = "user-keyword";
pub const REASON_INTERVAL: &str = "stop-interval";

/// Matched case-insensitively as substrings of the user's own words.
const KEYWORDS: [&str; 4] = ["remember", "next time", "记住", "下次"];

const STATE_HEADER: &str = "csep-deny-repos-policy/1";

struct DenyReposPolicy;

impl Guest for DenyReposPolicy {
    fn decide(input: DecideInput) -> Result<Decision, GuestError> {
        let settings = Settings::from_settings(&input.settings)?;
        if let Some(entry) = denied_by(&settings.deny, &input.digest) {
            return Ok(Decision {
                reflect: false,
                scopes: Vec::new(),
                reasons: vec![REASON_DENIED.to_string()],
                summary: format!("not reflecting: the repo matches the deny entry \"{entry}\""),
                // The counters stay where they were.
                session_state: input.session_state,
                bucket_state: input.bucket_state,
            });
        }

        let (stops, unreadable) = match input.session_state.as_deref().map(parse_stops) {
            None => (0, false),
            Some(Some(n)) => (n, false),
            Some(None) => (0, true),
        };
        let stops = stops.saturating_add(1);
        let words = keywords(&input.digest);

        let mut reasons = Vec::new();
        let mut why = Vec::new();
        if !words.is_empty() {
            reasons.push(REASON_KEYWORD.to_string());
            let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            why.push(format!("the user wrote {}", quoted.join(", ")));
        }
        if stops >= settings.stop_interval {
            reasons.push(REASON_INTERVAL.to_string());
            why.push(format!(
                "{stops} stops since the last memory review (every {})",
                settings.stop_interval
            ));
        }
        let reflect = !reasons.is_empty();
        let mut summary = if reflect {
            why.join("; ")
        } else {
            format!(
                "{stops}/{} stops since the last memory review, no keyword",
                settings.stop_interval
            )
        };
        if unreadable {
            summary.push_str(" (stored state was unreadable; the count restarted)");
        }
        Ok(Decision {
            reflect,
            scopes: if reflect {
                vec![Scope::Memory]
            } else {
                Vec::new()
            },
            reasons,
            summary,
            session_state: Some(render_stops(stops)),
            bucket_state: input.bucket_state,
        })
    }

    fn settle(input: SettleInput) -> Result<Settled, GuestError> {
        Settings::from_settings(&input.settings)?;
        let session_state = if input.scopes.contains(&Scope::Memory) {
            let now = input.session_state.as_deref().and_then(parse_stops);
            let queued = input.queued_session_state.as_deref().and_then(parse_stops);
            // Stops that came while the job ran still count towards the next one.
            let left = now.unwrap_or(0).saturating_sub(queued.unwrap_or(0));
            Some(render_stops(left))
        } else {
            input.session_state
        };
        Ok(Settled {
            session_state,
            bucket_state: input.bucket_state,
        })
    }
}

/// The first deny entry matching the session: its bucket id, or its working
/// folder or one of that folder's parents (whole path components only).
fn denied_by<'a>(deny: &'a [String], digest: &Digest) -> Option<&'a str> {
    deny.iter()
        .map(String::as_str)
        .find(|entry| *entry == digest.bucket_id || path_within(&digest.cwd, entry))
}

/// True when `path` is `dir` or lies under it: `/a/b` holds `/a/b/c`, not `/a/bc`.
fn path_within(path: &str, dir: &str) -> bool {
    if !dir.starts_with('/') {
        return false;
    }
    let dir = dir.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    match path.strip_prefix(dir) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The keywords in the user's own new words (injected context is never scanned).
fn keywords(digest: &Digest) -> Vec<&'static str> {
    let texts: Vec<String> = digest
        .user_messages
        .iter()
        .filter(|m| !m.injected)
        .map(|m| fold(&m.text))
        .collect();
    KEYWORDS
        .into_iter()
        .filter(|k| texts.iter().any(|t| t.contains(k)))
        .collect()
}

/// Lowercase, whitespace runs made one space (`Next\n time` matches `next time`).
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn parse_stops(state: &str) -> Option<u64> {
    let mut lines = state.lines();
    if lines.next()? != STATE_HEADER {
        return None;
    }
    lines.find_map(|l| l.strip_prefix("stops="))?.parse().ok()
}

fn render_stops(stops: u64) -> String {
    format!("{STATE_HEADER}\nstops={stops}\n")
}

export!(DenyReposPolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use csep::engine::types::{Setting, SettingValue, UserMessage};

    fn digest(cwd: &str, bucket: &str, user: &[(&str, bool)]) -> Digest {
        Digest {
            client: "claude".into(),
            session_id: "s1".into(),
            bucket_id: bucket.into(),
            cwd: cwd.into(),
            session_started_ms: None,
            last_event_ms: None,
            now_ms: 1_700_000_000_000,
            user_messages: user
                .iter()
                .map(|(text, injected)| UserMessage {
                    text: (*text).into(),
                    truncated: false,
                    injected: *injected,
                    at_ms: None,
                })
                .collect(),
            omitted_user_messages: 0,
            message_count: 2,
            readable_chars: 100,
            tool_calls: 0,
            tool_errors: Vec::new(),
            omitted_tool_errors: 0,
        }
    }

    fn deny(entries: &[&str]) -> Vec<Setting> {
        vec![Setting {
            key: "deny".into(),
            value: SettingValue::TextList(entries.iter().map(|e| (*e).into()).collect()),
        }]
    }

    fn decide(digest: Digest, state: Option<String>, settings: Vec<Setting>) -> Decision {
        DenyReposPolicy::decide(DecideInput {
            digest,
            session_state: state,
            bucket_state: Some("bucket".into()),
            settings,
        })
        .unwrap()
    }

    const REMEMBER: &[(&str, bool)] = &[("Please REMEMBER to run make check", false)];

    #[test]
    fn a_cwd_under_a_denied_path_is_never_reflected_on() {
        let state = Some(render_stops(7));
        for cwd in ["/a/b", "/a/b/", "/a/b/c/d"] {
            for entry in ["/a/b", "/a/b/"] {
                let d = decide(
                    digest(cwd, "-x", REMEMBER),
                    state.clone(),
                    deny(&["/other", entry]),
                );
                assert!(!d.reflect, "{cwd} {entry}");
                assert!(d.scopes.is_empty());
                assert_eq!(d.reasons, [REASON_DENIED]);
                assert_eq!(
                    d.summary,
                    format!("not reflecting: the repo matches the deny entry \"{entry}\"")
                );
                // Not advanced.
                assert_eq!(d.session_state, state);
                assert_eq!(d.bucket_state.as_deref(), Some("bucket"));
            }
        }
    }

    #[test]
    fn a_sibling_with_a_longer_name_is_not_denied() {
        let d = decide(digest("/a/bc", "-a-bc", REMEMBER), None, deny(&["/a/b"]));
        assert!(d.reflect);
        assert!(!path_within("/a/bc", "/a/b"));
        assert!(!path_within("/a", "/a/b"));
        assert!(path_within("/anything", "/"));
        assert!(!path_within("/a/b", "a/b"));
    }

    #[test]
    fn a_bucket_id_entry_matches_the_bucket() {
        let d = decide(
            digest("/somewhere/else", "-work-secret", REMEMBER),
            None,
            deny(&["-work-secret"]),
        );
        assert!(!d.reflect);
        assert_eq!(d.reasons, [REASON_DENIED]);
        assert!(d.summary.contains("\"-work-secret\""), "{}", d.summary);
    }

    #[test]
    fn a_keyword_reflects_on_memory_at_once() {
        for text in [
            "remember this",
            "Next  time use pnpm",
            "记住这个",
            "下次别这样",
        ] {
            let d = decide(digest("/repo", "-repo", &[(text, false)]), None, vec![]);
            assert!(d.reflect, "{text}");
            assert_eq!(d.scopes, [Scope::Memory]);
            assert_eq!(d.reasons, [REASON_KEYWORD]);
            assert_eq!(d.session_state, Some(render_stops(1)));
        }
        let d = decide(digest("/repo", "-repo", REMEMBER), None, vec![]);
        assert_eq!(d.summary, "the user wrote \"remember\"");
    }

    #[test]
    fn injected_context_is_not_the_users_words() {
        let injected = &[("# AGENTS.md\nRemember to run tests next time", true)];
        let d = decide(digest("/repo", "-repo", injected), None, vec![]);
        assert!(!d.reflect);
        assert!(d.reasons.is_empty());
        assert_eq!(
            d.summary,
            "1/3 stops since the last memory review, no keyword"
        );
    }

    #[test]
    fn every_stop_interval_stops_and_settle_resets() {
        let interval = vec![Setting {
            key: "stop_interval".into(),
            value: SettingValue::Integer(2),
        }];
        let first = decide(digest("/repo", "-repo", &[]), None, interval.clone());
        assert!(!first.reflect);
        let second = decide(
            digest("/repo", "-repo", &[]),
            first.session_state,
            interval.clone(),
        );
        assert!(second.reflect);
        assert_eq!(second.reasons, [REASON_INTERVAL]);
        assert_eq!(
            second.summary,
            "2 stops since the last memory review (every 2)"
        );
        // One more Stop came while the job ran: it still counts afterwards.
        let third = decide(
            digest("/repo", "-repo", &[]),
            second.session_state.clone(),
            interval.clone(),
        );
        let settled = DenyReposPolicy::settle(SettleInput {
            scopes: vec![Scope::Memory],
            queued_session_state: second.session_state,
            session_state: third.session_state.clone(),
            bucket_state: None,
            settings: interval.clone(),
        })
        .unwrap();
        assert_eq!(settled.session_state, Some(render_stops(1)));
        // A job that covered no memory leaves the count alone.
        let unsettled = DenyReposPolicy::settle(SettleInput {
            scopes: vec![],
            queued_session_state: Some(render_stops(2)),
            session_state: third.session_state.clone(),
            bucket_state: None,
            settings: interval,
        })
        .unwrap();
        assert_eq!(unsettled.session_state, third.session_state);
    }

    #[test]
    fn unreadable_state_restarts_the_count() {
        let d = decide(digest("/repo", "-repo", &[]), Some("junk".into()), vec![]);
        assert_eq!(d.session_state, Some(render_stops(1)));
        assert!(
            d.summary
                .ends_with("(stored state was unreadable; the count restarted)")
        );
    }

    #[test]
    fn bad_settings_are_invalid_settings() {
        let e = DenyReposPolicy::decide(DecideInput {
            digest: digest("/repo", "-repo", &[]),
            session_state: None,
            bucket_state: None,
            settings: vec![Setting {
                key: "interval".into(),
                value: SettingValue::Integer(2),
            }],
        })
        .unwrap_err();
        assert!(
            matches!(&e, GuestError::InvalidSettings(m) if m.contains("deny, stop_interval")),
            "{e:?}"
        );
    }
}
