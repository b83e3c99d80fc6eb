//! Test guest: a reflection strategy that probes its sandbox on request (setting
//! `mode`). Never shipped. Each probe reports what happened in the summary, so the
//! host's tests can check both the guest's view and the host's files.

wit_bindgen::generate!({ world: "reflection-strategy", path: "../../wit" });

use csep::engine::types::{GuestError, Setting, SettingValue};
use exports::csep::engine::strategy::{Guest, ReflectInput, ReflectOutput};
use std::fs;

struct Probe;

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

/// `ok:<detail>` or `err:<error>`, so tests can tell the guest's view apart.
fn report<T: std::fmt::Debug>(r: std::io::Result<T>) -> String {
    match r {
        Ok(v) => format!("ok:{v:?}"),
        Err(e) => format!("err:{e}"),
    }
}

impl Guest for Probe {
    fn reflect(input: ReflectInput) -> Result<ReflectOutput, GuestError> {
        let s = &input.settings;
        let path = text(s, "path");
        let summary = match text(s, "mode") {
            "read" => report(fs::read_to_string(path)),
            "write" => report(fs::write(path, b"written by the hostile strategy")),
            "mkdir" => report(fs::create_dir_all(path)),
            "remove" => report(fs::remove_file(path)),
            "list" => report(fs::read_dir(path).map(|d| {
                let mut names: Vec<String> = d
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            })),
            "connect" => report(std::net::TcpStream::connect(path).map(|_| ())),
            "env" => format!("ok:{}", std::env::vars().count()),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "trap" => panic!("hostile strategy panics on purpose"),
            "llm" => {
                use csep::engine::llm::{Message, Request, Role};
                let r = csep::engine::llm::complete(&Request {
                    messages: vec![Message {
                        role: Role::User,
                        content: "hello".into(),
                    }],
                    max_output_tokens: 16,
                });
                match r {
                    Ok(resp) => format!("ok:{}", resp.text),
                    Err(d) => format!("denied:{d:?}"),
                }
            }
            "recall" => {
                use csep::engine::recall::{Query, search};
                match search(&Query {
                    text: "anything".into(),
                    limit: 5,
                    global: false,
                }) {
                    Ok(hits) => format!("ok:{}", hits.len()),
                    Err(d) => format!("denied:{d:?}"),
                }
            }
            "log" => {
                use csep::engine::log::{Level, log};
                log(Level::Info, &"l".repeat(100_000));
                "ok:logged".to_string()
            }
            other => format!("unknown mode {other:?}"),
        };
        Ok(ReflectOutput { summary })
    }
}

export!(Probe);
