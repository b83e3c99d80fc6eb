//! A loopback model server (OpenAI Responses API shape, std only) that answers every
//! request with one scripted memory update. Each evidence quote gets the id of the
//! first prompt line `[#<id> <role>] …` that contains it, or 1 when none does (an
//! invented quote). Every request body is kept for the leak check.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

use super::answers::Scripted;
use super::labels::Op;

const MAX_REQUEST_BYTES: usize = 16 << 20;

struct Shared {
    script: Scripted,
    bodies: Mutex<Vec<String>>,
    stop: AtomicBool,
}

pub struct ModelServer {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl ModelServer {
    pub fn start(script: Scripted) -> ModelServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            script,
            bodies: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &s);
                }
            }
        });
        ModelServer {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Every request body received, raw.
    pub fn bodies(&self) -> Vec<String> {
        self.shared.bodies.lock().unwrap().clone()
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

/// Every string value of a JSON document, joined by newlines (what the model reads).
pub fn strings_of(body: &str) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        walk(&v, &mut out);
    }
    out
}

/// `(id, text)` of each message the prompt shows as `[#<id> <role>] text`; lines
/// that follow without such a prefix (a multi-line message) belong to it, up to the
/// next message or `#` heading.
pub fn prompt_lines(prompt: &str) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = Vec::new();
    let mut open = false;
    for l in prompt.lines() {
        let head = l.trim_start().strip_prefix("[#").and_then(|rest| {
            let (head, text) = rest
                .split_once("] ")
                .or_else(|| Some((rest.strip_suffix(']')?, "")))?;
            Some((head.split_whitespace().next()?.parse().ok()?, text))
        });
        if let Some((id, text)) = head {
            out.push((id, text.to_string()));
            open = true;
        } else if l.starts_with('#') {
            open = false;
        } else if open && let Some(last) = out.last_mut() {
            last.1.push('\n');
            last.1.push_str(l);
        }
    }
    out
}

/// Whether a message's text holds the quote, as written or with whitespace runs
/// folded (a prompt may put a multi-line message on one line).
fn holds(text: &str, quote: &str) -> bool {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    text.contains(quote) || fold(text).contains(&fold(quote))
}

/// The answer for one prompt: the scripted ops with ids filled in.
pub fn answer(ops: &[Op], prompt: &str) -> Value {
    let lines = prompt_lines(prompt);
    let memory: Vec<Value> = ops
        .iter()
        .map(|op| {
            let evidence: Vec<Value> = op
                .evidence
                .iter()
                .map(|q| {
                    let id = lines
                        .iter()
                        .find(|(_, t)| holds(t, q))
                        .map_or(1, |(id, _)| *id);
                    json!({"id": id, "quote": q})
                })
                .collect();
            let mut v = json!({"op": op.op, "evidence": evidence});
            for (k, f) in [
                ("section", &op.section),
                ("old", &op.old),
                ("text", &op.text),
            ] {
                if let Some(f) = f {
                    v[k] = json!(f);
                }
            }
            v
        })
        .collect();
    let summary = if memory.is_empty() {
        "nothing worth keeping"
    } else {
        "memory update"
    };
    json!({"memory": memory, "refs": [], "skill": null, "summary": summary})
}

fn responses_reply(text: &str) -> String {
    json!({
        "id": "resp_eval", "object": "response", "status": "completed", "model": "eval-model",
        "output": [{"type": "message", "id": "msg_eval", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
        "usage": {"input_tokens": 1000, "output_tokens": 100, "total_tokens": 1100},
    })
    .to_string()
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let Some(body) = read_body(&mut reader) else {
        return;
    };
    shared.bodies.lock().unwrap().push(body.clone());
    let mut v = answer(&shared.script.memory, &strings_of(&body));
    v["refs"] = json!(shared.script.refs);
    v["skill"] = shared.script.skill.clone().unwrap_or(Value::Null);
    let text = v.to_string();
    let reply = responses_reply(&text);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.write_all(reply.as_bytes());
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Both);
}

/// The body of one HTTP request (it must carry a `Content-Length`).
fn read_body(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    if length > MAX_REQUEST_BYTES {
        return None;
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}
