//! Test guest: a trigger policy that misbehaves on request (setting `mode`).
//! Never shipped; the host's sandbox tests use it to check every limit from both sides.

wit_bindgen::generate!({ world: "trigger-policy", path: "../../wit" });

use csep::engine::types::{GuestError, Setting, SettingValue};
use exports::csep::engine::policy::{DecideInput, Decision, Guest, SettleInput, Settled};

struct Hostile;

fn text<'a>(settings: &'a [Setting], key: &str) -> &'a str {
    settings
        .iter()
        .find(|s| s.key == key)
        .and_then(|s| match &s.value {
            SettingValue::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

fn number(settings: &[Setting], key: &str) -> u64 {
    settings
        .iter()
        .find(|s| s.key == key)
        .and_then(|s| match s.value {
            SettingValue::Integer(n) => Some(n as u64),
            _ => None,
        })
        .unwrap_or(0)
}

fn decision(summary: String, state: Option<String>) -> Decision {
    Decision {
        reflect: false,
        scopes: Vec::new(),
        reasons: Vec::new(),
        summary,
        session_state: state,
        bucket_state: None,
    }
}

impl Guest for Hostile {
    fn decide(input: DecideInput) -> Result<Decision, GuestError> {
        let s = &input.settings;
        match text(s, "mode") {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "busy-ms" => {
                let start = std::time::Instant::now();
                let ms = number(s, "ms");
                while start.elapsed().as_millis() < u128::from(ms) {
                    std::hint::black_box(());
                }
                Ok(decision(format!("busy for {ms} ms"), None))
            }
            "alloc" => {
                let mut keep: Vec<Vec<u8>> = Vec::new();
                loop {
                    keep.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&keep);
                }
            }
            "alloc-mib" => {
                let mib = number(s, "mib") as usize;
                let block = vec![7u8; mib << 20];
                Ok(decision(
                    format!("held {} bytes", std::hint::black_box(block).len()),
                    None,
                ))
            }
            "trap" => panic!("hostile policy panics on purpose"),
            "huge-summary" => Ok(decision("x".repeat(number(s, "bytes") as usize), None)),
            "huge-state" => Ok(decision(
                "big state".to_string(),
                Some("s".repeat(number(s, "bytes") as usize)),
            )),
            "error" => Err(GuestError::Internal(
                "hostile policy fails on purpose".into(),
            )),
            "clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let env = std::env::vars().count();
                Ok(decision(format!("clock={now} env={env}"), None))
            }
            _ => Ok(decision("ok".into(), input.session_state)),
        }
    }

    fn settle(input: SettleInput) -> Result<Settled, GuestError> {
        Ok(Settled {
            session_state: input.session_state,
            bucket_state: input.bucket_state,
        })
    }
}

export!(Hostile);
