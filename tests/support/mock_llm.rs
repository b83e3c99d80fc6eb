//! A scripted HTTP server on 127.0.0.1 standing in for a model API, std only.
//!
//! Replies are served in script order, the last one repeating. Every
//! connection is answered with `Connection: close`, so one request per
//! connection; request bodies need a `Content-Length` (what HTTP clients send
//! for JSON). Each connection runs on its own thread, so a delayed reply does
//! not hold back the client's retry.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]
#![allow(dead_code)] // Each test binary uses a different part of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Requests larger than this are answered 413 and not recorded.
const MAX_REQUEST_BYTES: usize = 16 << 20;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub delay_ms: u64,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            delay_ms: 0,
            headers: Vec::new(),
        }
    }

    pub fn with_delay(mut self, delay_ms: u64) -> Self {
        self.delay_ms = delay_ms;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A JSON error body in the shape both vendors use.
    pub fn error(status: u16, message: &str) -> Self {
        let body = serde_json::json!({"error": {"type": "error", "message": message}});
        Self::json(status, body.to_string())
    }

    /// A completed OpenAI Responses API reply.
    pub fn responses_text(text: &str, input_tokens: u64, output_tokens: u64) -> Self {
        let body = serde_json::json!({
            "id": "resp_mock",
            "object": "response",
            "status": "completed",
            "model": "mock-model",
            "output": [{
                "type": "message",
                "id": "msg_mock",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }],
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        });
        Self::json(200, body.to_string())
    }

    /// A finished OpenAI Chat Completions reply.
    pub fn chat_text(text: &str, prompt_tokens: u64, completion_tokens: u64) -> Self {
        let body = serde_json::json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "model": "mock-model",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        });
        Self::json(200, body.to_string())
    }

    /// A finished Anthropic Messages reply.
    pub fn anthropic_text(text: &str, input_tokens: u64, output_tokens: u64) -> Self {
        let body = serde_json::json!({
            "id": "msg_mock",
            "type": "message",
            "role": "assistant",
            "model": "mock-model",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        });
        Self::json(200, body.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }
}

struct Shared {
    script: Vec<Reply>,
    next: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
    stop: AtomicBool,
}

pub struct MockLlm {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl MockLlm {
    /// Listens on an ephemeral port of 127.0.0.1 until dropped.
    pub fn start(script: Vec<Reply>) -> MockLlm {
        assert!(!script.is_empty(), "the script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            script,
            next: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        MockLlm {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    let Some(request) = read_request(&mut reader) else {
        if !shared.stop.load(Ordering::SeqCst) {
            let _ = respond(&mut writer, &Reply::json(400, "{}"));
        }
        return;
    };
    let Ok(request) = request else {
        let _ = respond(&mut writer, &Reply::json(413, "{}"));
        return;
    };
    shared.requests.lock().unwrap().push(request);
    let index = shared.next.fetch_add(1, Ordering::SeqCst);
    let reply = &shared.script[index.min(shared.script.len() - 1)];
    if reply.delay_ms > 0 {
        thread::sleep(Duration::from_millis(reply.delay_ms));
    }
    // The client may have given up during the delay; that is not an error here.
    let _ = respond(&mut writer, reply);
    let _ = writer.shutdown(Shutdown::Both);
}

/// `None` for a connection that sent no parsable request, `Some(Err)` for one
/// over the size limit.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Result<RecordedRequest, ()>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut head_bytes = line.len();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head_bytes += line.len();
        if head_bytes > MAX_REQUEST_BYTES {
            return Some(Err(()));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST_BYTES {
        return Some(Err(()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Ok(RecordedRequest {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

fn respond(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(reply.body.as_bytes())?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
