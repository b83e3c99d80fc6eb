//! Damaged, hostile and live-written input: every bad line is skipped and counted, and the
//! rest of the file stays readable.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::fs::OpenOptions;
use std::io::{BufReader, Seek, SeekFrom, Write};
use std::path::PathBuf;

use csep::client::Client;
use csep::transcript::{MAX_LINE_BYTES, Role, SessionMeta, read, read_continue};

fn user(text: &str) -> String {
    let item = serde_json::json!({
        "timestamp": "2026-11-25T12:00:00.000Z",
        "type": "response_item",
        "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    });
    format!("{item}\n")
}

fn assistant(text: &str) -> String {
    let item = serde_json::json!({
        "timestamp": "2026-11-25T12:00:01.000Z",
        "type": "response_item",
        "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]},
    });
    format!("{item}\n")
}

fn texts(chunk: &csep::transcript::Chunk) -> Vec<&str> {
    chunk.messages.iter().map(|m| m.text.as_str()).collect()
}

#[test]
fn corrupt_line_in_the_middle_is_counted_and_skipped() {
    let data = format!(
        "{}{{\"type\":\"response_item\",\"payl\n{}",
        user("one"),
        user("two")
    );
    let chunk = read(Client::Codex, data.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["one", "two"]);
    assert_eq!((chunk.stats.lines, chunk.stats.corrupt), (3, 1));
    assert_eq!(chunk.end_offset, data.len() as u64);
}

#[test]
fn byte_order_mark_on_the_first_line_is_ignored() {
    let data = format!("\u{feff}{}", user("with bom"));
    let chunk = read(Client::Codex, data.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["with bom"]);
}

#[test]
fn unknown_record_types_and_odd_shapes_are_counted_not_fatal() {
    let data = [
        r#"{"timestamp":"2026-11-25T12:00:00Z","type":"future_kind","payload":{"x":[1,2]}}"#,
        r#"{"type":"response_item","payload":{"type":"hologram","text":"?"}}"#,
        r#"{"type":"response_item","payload":"not an object"}"#,
        r#"[1,2,3]"#,
        "   ",
        r#"{"type":"response_item","payload":{"type":"message","role":"user","content":42}}"#,
        "",
    ]
    .join("\n")
        + &user("still read");
    let chunk = read(Client::Codex, data.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["still read"]);
    assert_eq!(chunk.stats.unknown, 4);
    assert_eq!(chunk.stats.corrupt, 0);
    assert_eq!(chunk.stats.lines, 7);

    let claude = concat!(
        r#"{"type":"file-history-snapshot","messageId":"m","snapshot":{}}"#,
        "\n",
        r#"{"type":"user","sessionId":"s","message":{"role":"user","content":"hi"}}"#,
        "\n"
    );
    let chunk = read(Client::Claude, claude.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["hi"]);
    assert_eq!(chunk.stats.unknown, 1);
}

#[test]
fn invalid_utf8_line_is_corrupt_and_its_neighbours_survive() {
    let mut data = user("before").into_bytes();
    data.extend_from_slice(b"{\"type\":\"response_item\",\"payload\":{\"text\":\"\xff\xfe\"}}\n");
    data.extend_from_slice(user("after").as_bytes());
    let chunk = read(Client::Codex, &data[..], 0).unwrap();
    assert_eq!(texts(&chunk), ["before", "after"]);
    assert_eq!(chunk.stats.corrupt, 1);
}

#[test]
fn fifty_megabyte_line_is_skipped_and_the_next_line_read() {
    let huge_output = "x".repeat(50 * 1024 * 1024);
    let huge = serde_json::json!({
        "type": "response_item",
        "payload": {"type": "function_call_output", "call_id": "c", "output": huge_output},
    });
    let mut data = user("first").into_bytes();
    let huge_at = data.len() as u64;
    data.extend_from_slice(format!("{huge}\n").as_bytes());
    assert!(data.len() > 50 * 1024 * 1024);
    let after_at = data.len() as u64;
    data.extend_from_slice(user("after the giant").as_bytes());
    drop(huge_output);

    let chunk = read(Client::Codex, BufReader::new(&data[..]), 0).unwrap();
    assert_eq!(texts(&chunk), ["first", "after the giant"]);
    assert_eq!(chunk.stats.oversized, 1);
    assert_eq!(chunk.stats.lines, 3);
    assert_eq!(chunk.messages[1].offset, after_at);
    assert!(huge_at < after_at);
    assert_eq!(chunk.end_offset, data.len() as u64);
}

#[test]
fn line_at_the_limit_is_still_read() {
    let fixed = user("").len() - 1;
    let text = "y".repeat(MAX_LINE_BYTES - fixed);
    let line = user(&text);
    assert_eq!(line.len() - 1, MAX_LINE_BYTES);
    let chunk = read(Client::Codex, line.as_bytes(), 0).unwrap();
    assert_eq!(chunk.stats.oversized, 0);
    assert_eq!(chunk.messages[0].text.len(), text.len());
}

fn scratch_file(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn half_written_last_line_is_reread_after_the_writer_finishes_it() {
    let path = scratch_file("live-rollout.jsonl");
    let done = user("complete question");
    let last = assistant("the answer, written in two halves");
    let (head, rest) = last.split_at(last.len() / 2);
    std::fs::write(&path, format!("{done}{head}")).unwrap();

    let file = std::fs::File::open(&path).unwrap();
    let first = read(Client::Codex, BufReader::new(file), 0).unwrap();
    assert_eq!(texts(&first), ["complete question"]);
    assert!(first.stats.partial_tail);
    assert_eq!(first.stats.lines, 1);
    assert_eq!(
        first.end_offset,
        done.len() as u64,
        "points at the unfinished line"
    );

    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(rest.as_bytes())
        .unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    file.seek(SeekFrom::Start(first.end_offset)).unwrap();
    let second = read_continue(
        Client::Codex,
        BufReader::new(file),
        first.end_offset,
        first.meta,
    )
    .unwrap();
    assert_eq!(texts(&second), ["the answer, written in two halves"]);
    assert_eq!(second.messages[0].role, Role::Assistant);
    assert_eq!(second.messages[0].offset, done.len() as u64);
    assert!(!second.stats.partial_tail);
    assert_eq!(second.end_offset, (done.len() + last.len()) as u64);
    assert_eq!(second.meta.title.as_deref(), Some("complete question"));
}

#[test]
fn cjk_text_is_preserved_and_titles_cut_on_char_boundaries() {
    let long = "请修复登录页面的错误，并且保留原有的缓存逻辑。".repeat(10);
    let escaped = r#"{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"\u8bb0\u4f4f\uff1a\u7528 tabs"}]}}"#;
    let data = format!("{}{escaped}\n", user(&long));
    let chunk = read(Client::Codex, data.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), [long.as_str(), "记住：用 tabs"]);
    let title = chunk.meta.title.unwrap();
    assert_eq!(title.chars().count(), 120);
    assert!(long.starts_with(&title));

    let claude = r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"二级引用需要保留"}]}}"#;
    let chunk = read(Client::Claude, format!("{claude}\n").as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["二级引用需要保留"]);
}

#[test]
fn reflection_marker_is_detected_anywhere_in_a_line() {
    let marked = r#"{"type":"event_msg","payload":{"type":"exec_command_end","stdout":"CSEP_REFLECTION_JOB_ID=job-42"}}"#;
    let data = format!("{}{marked}\n", user("hello"));
    let chunk = read(Client::Codex, data.as_bytes(), 0).unwrap();
    assert!(chunk.meta.reflection_marker);

    let claude =
        r#"{"type":"user","message":{"role":"user","content":"env CSEP_REFLECTION_CHILD=1 run"}}"#;
    let chunk = read(Client::Claude, format!("{claude}\n").as_bytes(), 0).unwrap();
    assert!(chunk.meta.reflection_marker);

    // Even inside a line too long to index, and even when it is not JSON.
    let mut data = vec![b'z'; MAX_LINE_BYTES];
    data.extend_from_slice(b"CSEP_REFLECTION_CHILD=1\n");
    let chunk = read(Client::Codex, &data[..], 0).unwrap();
    assert!(chunk.meta.reflection_marker);
    assert_eq!(chunk.stats.oversized, 1);

    let chunk = read(Client::Codex, user("CSEP_REFLECTION_CHILD=0").as_bytes(), 0).unwrap();
    assert!(!chunk.meta.reflection_marker);
}

#[test]
fn injected_context_is_flagged_and_never_becomes_the_title() {
    let codex = [
        user("# AGENTS.md instructions for /home/dev/proj\n\n<INSTRUCTIONS>tabs</INSTRUCTIONS>"),
        user("<skills_instructions>\n## Skills</skills_instructions>"),
        user("<turn_aborted>interrupted</turn_aborted>"),
        user("make the tests pass"),
    ]
    .concat();
    let chunk = read(Client::Codex, codex.as_bytes(), 0).unwrap();
    let flags: Vec<bool> = chunk.messages.iter().map(|m| m.injected).collect();
    assert_eq!(flags, [true, true, true, false]);
    assert_eq!(chunk.meta.title.as_deref(), Some("make the tests pass"));

    let claude = [
        r#"{"type":"user","message":{"role":"user","content":"<command-name>/clear</command-name>\n<command-message>clear</command-message>"}}"#,
        r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"Caveat: The messages below were generated by the user while running local commands."}}"#,
        r#"{"type":"user","message":{"role":"user","content":"<local-command-stdout></local-command-stdout>"}}"#,
        r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},{"type":"text","text":"rename the flag"}]}}"#,
    ]
    .join("\n")
        + "\n";
    let chunk = read(Client::Claude, claude.as_bytes(), 0).unwrap();
    let got: Vec<(bool, &str)> = chunk
        .messages
        .iter()
        .map(|m| (m.injected, m.text.as_str()))
        .collect();
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(got[..4].iter().all(|(injected, _)| *injected));
    assert_eq!(got[4], (false, "rename the flag"));
    assert_eq!(chunk.meta.title.as_deref(), Some("rename the flag"));
}

#[test]
fn codex_0169_kinds_decide_over_text_rules() {
    let line = r#"{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>pasted by me</environment_context>"},{"type":"input_text","text":"plain words"}],"internal_chat_message_metadata_passthrough":{"content_item_kinds":["user.text","environments.environment_context"]}}}"#;
    let chunk = read(Client::Codex, format!("{line}\n").as_bytes(), 0).unwrap();
    let got: Vec<(bool, &str)> = chunk
        .messages
        .iter()
        .map(|m| (m.injected, m.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                false,
                "<environment_context>pasted by me</environment_context>"
            ),
            (true, "plain words")
        ]
    );
}

#[test]
fn tool_errors_are_detected_for_both_clients() {
    let codex = [
        r#"{"type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"cargo test --workspace\"]}","call_id":"c1"}}"#,
        r#"{"type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"{\"output\":\"test result: FAILED\",\"metadata\":{\"exit_code\":101}}"}}"#,
        r#"{"type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"false\"}","call_id":"c2"}}"#,
        r#"{"type":"response_item","payload":{"type":"function_call_output","call_id":"c2","output":"Chunk ID: ab\nWall time: 0.1 seconds\nProcess exited with code 1\nOutput:\n"}}"#,
        r#"{"type":"response_item","payload":{"type":"custom_tool_call","name":"apply_patch","input":"*** Begin Patch\n*** End Patch","call_id":"c3"}}"#,
        r#"{"type":"response_item","payload":{"type":"custom_tool_call_output","call_id":"c3","output":"{\"output\":\"Success. Updated the following files:\\nM a.rs\",\"metadata\":{\"exit_code\":0}}"}}"#,
        r#"{"type":"response_item","payload":{"type":"local_shell_call","call_id":"c4","status":"completed","action":{"type":"exec","command":["ls","-la","my dir"]}}}"#,
    ]
    .join("\n")
        + "\n";
    let chunk = read(Client::Codex, codex.as_bytes(), 0).unwrap();
    let got: Vec<(Role, &str, bool, Option<&str>)> = chunk
        .messages
        .iter()
        .map(|m| (m.role, m.text.as_str(), m.is_error, m.tool_name.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Role::ToolCall,
                "shell: cargo test --workspace",
                false,
                Some("shell")
            ),
            (Role::ToolOutput, "test result: FAILED", true, Some("shell")),
            (
                Role::ToolCall,
                "exec_command: false",
                false,
                Some("exec_command")
            ),
            (
                Role::ToolCall,
                "apply_patch: *** Begin Patch\n*** End Patch",
                false,
                Some("apply_patch")
            ),
            (
                Role::ToolOutput,
                "Success. Updated the following files:\nM a.rs",
                false,
                Some("apply_patch")
            ),
            (
                Role::ToolCall,
                "local_shell: ls -la 'my dir'",
                false,
                Some("local_shell")
            ),
        ],
        "an empty output leaves no message"
    );

    let claude = [
        r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/nope"}}]}}"#,
        r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"File does not exist."}]}]}}"#,
    ]
    .join("\n")
        + "\n";
    let chunk = read(Client::Claude, claude.as_bytes(), 0).unwrap();
    assert_eq!(
        texts(&chunk),
        [r#"Read: {"file_path":"/nope"}"#, "File does not exist."]
    );
    assert!(chunk.messages[1].is_error);
    assert_eq!(chunk.messages[1].tool_name.as_deref(), Some("Read"));
}

#[test]
fn codex_events_are_used_only_in_files_without_response_items() {
    let events = concat!(
        r#"{"timestamp":"2025-06-01T10:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"only in events"}}"#,
        "\n",
        r#"{"timestamp":"2025-06-01T10:00:02Z","type":"event_msg","payload":{"type":"agent_message","message":"event answer"}}"#,
        "\n"
    );
    let chunk = read(Client::Codex, events.as_bytes(), 0).unwrap();
    assert_eq!(texts(&chunk), ["only in events", "event answer"]);
    assert!(!chunk.meta.response_items);

    // A later chunk of a file known to hold response items: its event copies stay out,
    // even though this chunk alone has no response item.
    let known = SessionMeta {
        response_items: true,
        ..SessionMeta::default()
    };
    let chunk = read_continue(Client::Codex, events.as_bytes(), 500, known).unwrap();
    assert!(chunk.messages.is_empty());
    assert_eq!(chunk.end_offset, 500 + events.len() as u64);
}

/// Yields its bytes, is interrupted once, then fails like a disk error.
struct Flaky {
    data: Vec<u8>,
    interrupted: bool,
}

impl std::io::Read for Flaky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.interrupted {
            self.interrupted = true;
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        if self.data.is_empty() {
            return Err(std::io::Error::other("disk gone"));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        Ok(n)
    }
}

#[test]
fn io_errors_are_returned_and_interruptions_retried() {
    let flaky = Flaky {
        data: user("x").into_bytes(),
        interrupted: false,
    };
    let err = read(Client::Codex, BufReader::new(flaky), 0).unwrap_err();
    assert_eq!(err.to_string(), "disk gone");
}
