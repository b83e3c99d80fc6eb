//! The JSON a client writes to a hook's stdin, through `csep::hooks::HookPayload::parse`.
//!
//! Properties: a truncated read is always refused as too large; blank input is
//! no payload; a parsed payload holds no empty field; and writing a parsed
//! payload back as JSON reads to the same payload.
#![no_main]

use csep::client::Client;
use csep::hooks::{HookPayload, PayloadError};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| {
    assert!(matches!(
        HookPayload::parse(data, true),
        Err(PayloadError::TooLarge)
    ));
    let Ok(p) = HookPayload::parse(data, false) else {
        return;
    };
    if data.iter().all(u8::is_ascii_whitespace) {
        assert!(p.session_id.is_none() && p.transcript_path.is_none() && p.client.is_none());
        return;
    }
    for field in [&p.session_id, &p.transcript_path, &p.cwd, &p.source] {
        assert!(field.as_deref() != Some(""), "an empty field was kept");
    }

    let mut obj = Map::new();
    for (key, field) in [
        ("session_id", &p.session_id),
        ("transcript_path", &p.transcript_path),
        ("cwd", &p.cwd),
        ("source", &p.source),
    ] {
        if let Some(v) = field {
            obj.insert(key.into(), json!(v));
        }
    }
    // The client is told by fields only one client sends; write one back for each.
    match p.client {
        Some(Client::Codex) => {
            obj.insert("model".into(), json!("m"));
            obj.insert("permission_mode".into(), json!("default"));
        }
        Some(Client::Claude) => {
            obj.insert("prompt_id".into(), json!("p"));
        }
        None => {}
    }
    let again = HookPayload::parse(Value::Object(obj).to_string().as_bytes(), false)
        .expect("a payload written from a parsed one parses");
    assert_eq!(again.session_id, p.session_id);
    assert_eq!(again.transcript_path, p.transcript_path);
    assert_eq!(again.cwd, p.cwd);
    assert_eq!(again.source, p.source);
    assert_eq!(again.client, p.client);
});
