//! Reads what the host put in `/session`: `job.json` and `transcript.jsonl`.
//! Both are parsed leniently: a missing field takes its default, an unreadable
//! transcript line is skipped.

use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobFile {
    pub job_id: String,
    pub client: String,
    pub cwd: String,
    pub bucket_id: String,
    pub scopes: Vec<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    ToolCall,
    ToolOutput,
    Other,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::ToolCall => "tool-call",
            Role::ToolOutput => "tool-output",
            Role::Other => "other",
        }
    }
}

/// One transcript line.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The host's number for the line, which evidence quotes refer to.
    pub id: Option<u64>,
    pub role: Role,
    pub tool: Option<String>,
    pub at_ms: Option<u64>,
    pub error: bool,
    pub text: String,
}

impl Message {
    #[cfg(test)]
    pub fn new(role: Role, text: &str) -> Message {
        Message {
            id: None,
            role,
            tool: None,
            at_ms: None,
            error: false,
            text: text.to_string(),
        }
    }
}

/// The exact words of one transcript message an entry rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub message_id: u64,
    pub text: String,
}

/// Longest quote handed to the host.
pub const MAX_QUOTE_CHARS: usize = 300;

impl Quote {
    /// A quote of `part` (trimmed, cut to [`MAX_QUOTE_CHARS`]) when `message` has an
    /// id and `part` occurs in its text verbatim; a prefix of a substring is still one.
    pub fn of(message: &Message, part: &str) -> Option<Quote> {
        let id = message.id?;
        let part = part.trim();
        if part.is_empty() || !message.text.contains(part) {
            return None;
        }
        let text: String = part.chars().take(MAX_QUOTE_CHARS).collect();
        Some(Quote {
            message_id: id,
            text: text.trim_end().to_string(),
        })
    }

    /// The quote with the id of the message its words are in: the one it names,
    /// or else the first user message (then any message) holding them. Ids are
    /// easy to get wrong, words are not.
    pub fn located(&self, messages: &[Message]) -> Option<Quote> {
        if self.found_in(messages) {
            return Some(self.clone());
        }
        if self.text.trim().is_empty() || crate::text::char_len(&self.text) > MAX_QUOTE_CHARS {
            return None;
        }
        let holds = |m: &&Message| m.id.is_some() && m.text.contains(&self.text);
        let found = messages
            .iter()
            .filter(|m| m.role == Role::User)
            .find(holds)
            .or_else(|| messages.iter().find(holds))?;
        Some(Quote {
            message_id: found.id?,
            text: self.text.clone(),
        })
    }

    /// True when the quote occurs verbatim in the message it names.
    pub fn found_in(&self, messages: &[Message]) -> bool {
        !self.text.trim().is_empty()
            && crate::text::char_len(&self.text) <= MAX_QUOTE_CHARS
            && messages
                .iter()
                .any(|m| m.id == Some(self.message_id) && m.text.contains(&self.text))
    }
}

pub fn parse_job(text: &str) -> JobFile {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return JobFile::default();
    };
    let string = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let strings = |key: &str| {
        map.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    JobFile {
        job_id: string("job_id"),
        client: string("client"),
        cwd: string("cwd"),
        bucket_id: string("bucket_id"),
        scopes: strings("scopes"),
        reasons: strings("reasons"),
    }
}

/// The messages, oldest first, and how many lines could not be read.
pub fn parse_transcript(text: &str) -> (Vec<Message>, usize) {
    let mut messages = Vec::new();
    let mut skipped = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(m) => messages.push(m),
            None => skipped += 1,
        }
    }
    (messages, skipped)
}

fn parse_line(line: &str) -> Option<Message> {
    let Value::Object(map) = serde_json::from_str::<Value>(line).ok()? else {
        return None;
    };
    let role = match map.get("role")?.as_str()? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool-call" | "tool_call" => Role::ToolCall,
        "tool-output" | "tool_output" => Role::ToolOutput,
        _ => Role::Other,
    };
    Some(Message {
        id: map.get("id").and_then(Value::as_u64),
        role,
        tool: map.get("tool").and_then(Value::as_str).map(str::to_string),
        at_ms: map.get("at_ms").and_then(Value::as_u64),
        error: map.get("error").and_then(Value::as_bool).unwrap_or(false),
        text: map
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_job_fields_and_tolerates_gaps() {
        let job = parse_job(
            r#"{"job_id":"j1","scopes":["memory","skill"],"reasons":["r"],"client":"codex","cwd":"/repo","bucket_id":"-repo"}"#,
        );
        assert_eq!(job.job_id, "j1");
        assert_eq!(job.scopes, ["memory", "skill"]);
        assert_eq!(job.cwd, "/repo");
        assert_eq!(parse_job("not json"), JobFile::default());
        assert_eq!(parse_job(r#"{"cwd": 3}"#).cwd, "");
    }

    #[test]
    fn reads_messages_and_skips_bad_lines() {
        let text = concat!(
            r#"{"role":"user","tool":null,"at_ms":1700000000000,"error":false,"text":"hi"}"#,
            "\n",
            "garbage\n",
            "\n",
            r#"{"role":"tool-call","tool":"shell","at_ms":null,"error":true,"text":"{}"}"#,
            "\n",
        );
        let (messages, skipped) = parse_transcript(text);
        assert_eq!(skipped, 1);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].role, Role::User);
        assert_eq!(messages[0].at_ms, Some(1_700_000_000_000));
        assert_eq!(messages[1].tool.as_deref(), Some("shell"));
        assert!(messages[1].error);
        assert_eq!(messages[0].id, None);
    }

    #[test]
    fn reads_ids_and_quotes_verbatim() {
        let (messages, _) =
            parse_transcript(r#"{"id":7,"role":"user","text":"please use  `make check` here"}"#);
        assert_eq!(messages[0].id, Some(7));
        let q = Quote::of(&messages[0], " use  `make check`").unwrap();
        assert_eq!(q.message_id, 7);
        assert_eq!(q.text, "use  `make check`");
        assert!(q.found_in(&messages));
        assert!(Quote::of(&messages[0], "use `make check`").is_none());
        let long = Message {
            id: Some(1),
            ..Message::new(Role::User, &"字".repeat(400))
        };
        let q = Quote::of(&long, &long.text).unwrap();
        assert_eq!(q.text.chars().count(), MAX_QUOTE_CHARS);
        assert!(q.found_in(std::slice::from_ref(&long)));
        assert!(Quote::of(&Message::new(Role::User, "x y z"), "x").is_none());
    }
}
