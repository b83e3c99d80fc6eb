//! The model's answer: lenient JSON parsing into a [`Plan`].
//!
//! The schema the model is asked for (see `prompt.rs`):
//!
//! ```json
//! {"memory": [{"op": "add", "section": "Commands", "text": "...",
//!              "evidence": [{"id": 12, "quote": "exact words of message 12"}]},
//!             {"op": "replace", "old": "exact existing entry text", "text": "new text"},
//!             {"op": "remove", "old": "exact existing entry text"}],
//!  "refs":   [{"path": "topic.md", "content": "..."}],
//!  "skill":  {"name": "csep-reflect-kebab-name", "description": "...", "body": "markdown body",
//!             "files": [{"path": "notes.md", "content": "..."}]} | null,
//!  "summary": "one sentence"}
//! ```
//!
//! `evidence` may go on every add, replace, ref and skill: the transcript message
//! ids and the exact words the change rests on. A malformed evidence item is
//! skipped with a warning; whether the quotes are right is checked later.
//!
//! Leniency: a ```` ```json ```` fence and text around the object are ignored; missing
//! keys take empty defaults; `update`/`delete` are read as `replace`/`remove`; a
//! single bad operation or file is skipped with a warning. The answer is malformed
//! (and the caller falls back to the heuristics) when no JSON object can be found,
//! when it has none of the keys above, or when a key has the wrong shape.

use serde_json::{Map, Value};

use crate::session::Quote;

#[derive(Debug, Clone, PartialEq)]
pub enum MemoryOp {
    Add {
        section: String,
        text: String,
        evidence: Vec<Quote>,
    },
    Replace {
        old: String,
        text: String,
        evidence: Vec<Quote>,
    },
    Remove {
        old: String,
        /// The words that say the entry no longer holds.
        evidence: Vec<Quote>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileOut {
    pub path: String,
    pub content: String,
    pub evidence: Vec<Quote>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkillOut {
    pub name: String,
    pub description: String,
    pub body: String,
    pub files: Vec<FileOut>,
    pub evidence: Vec<Quote>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub memory: Vec<MemoryOp>,
    pub refs: Vec<FileOut>,
    pub skill: Option<SkillOut>,
    pub summary: String,
}

/// A plan and the warnings about parts of it that were skipped.
pub fn parse(text: &str) -> Result<(Plan, Vec<String>), String> {
    let object = find_object(text).ok_or("no JSON object in the answer")?;
    let Value::Object(map) = object else {
        unreachable!("find_object returns objects");
    };
    if !["memory", "refs", "skill", "summary"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Err("the JSON object has none of memory, refs, skill, summary".into());
    }
    let mut warnings = Vec::new();
    let memory = match map.get("memory") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ops)) => ops
            .iter()
            .enumerate()
            .filter_map(
                |(i, op)| match memory_op(op, &format!("memory[{i}]"), &mut warnings) {
                    Ok(op) => Some(op),
                    Err(e) => {
                        warnings.push(format!("memory[{i}] skipped: {e}"));
                        None
                    }
                },
            )
            .collect(),
        Some(_) => return Err("`memory` is not a list".into()),
    };
    let refs = files(map.get("refs"), "refs", &mut warnings)?;
    let skill = match map.get("skill") {
        None | Some(Value::Null) => None,
        Some(Value::Object(s)) => Some(skill(s, &mut warnings)?),
        Some(_) => return Err("`skill` is neither an object nor null".into()),
    };
    let summary = match map.get("summary") {
        Some(Value::String(s)) => s.trim().to_string(),
        _ => String::new(),
    };
    Ok((
        Plan {
            memory,
            refs,
            skill,
            summary,
        },
        warnings,
    ))
}

fn str_field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// The `evidence` list of an object: `[{"id": 12, "quote": "..."}]`.
fn evidence(map: &Map<String, Value>, what: &str, warnings: &mut Vec<String>) -> Vec<Quote> {
    let items = match map.get("evidence") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            warnings.push(format!("{what}.evidence skipped: not a list"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let quote = item.as_object().and_then(|q| {
            Some(Quote {
                // `"12"` is read as 12: models quote numbers now and then.
                message_id: q
                    .get("id")
                    .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))?,
                text: str_field(q, "quote")?.to_string(),
            })
        });
        match quote {
            Some(q) if !q.text.trim().is_empty() => out.push(q),
            _ => warnings.push(format!(
                "{what}.evidence[{i}] skipped: needs an integer `id` and a `quote`"
            )),
        }
    }
    out
}

fn memory_op(op: &Value, what: &str, warnings: &mut Vec<String>) -> Result<MemoryOp, String> {
    let Value::Object(op) = op else {
        return Err("not an object".into());
    };
    let kind = str_field(op, "op")
        .unwrap_or("add")
        .trim()
        .to_ascii_lowercase();
    let text = || {
        str_field(op, "text")
            .map(str::to_string)
            .ok_or_else(|| format!("`{kind}` needs `text`"))
    };
    let old = || {
        str_field(op, "old")
            .map(str::to_string)
            .ok_or_else(|| format!("`{kind}` needs `old`"))
    };
    match kind.as_str() {
        "add" => Ok(MemoryOp::Add {
            section: str_field(op, "section").unwrap_or("Notes").to_string(),
            text: text()?,
            evidence: evidence(op, what, warnings),
        }),
        "replace" | "update" => Ok(MemoryOp::Replace {
            old: old()?,
            text: text()?,
            evidence: evidence(op, what, warnings),
        }),
        "remove" | "delete" => Ok(MemoryOp::Remove {
            old: old()?,
            evidence: evidence(op, what, warnings),
        }),
        other => Err(format!("unknown op `{other}`")),
    }
}

fn files(
    value: Option<&Value>,
    what: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<FileOut>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(format!("`{what}` is not a list")),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let file = item.as_object().and_then(|f| {
            Some(FileOut {
                path: str_field(f, "path")?.to_string(),
                content: str_field(f, "content")?.to_string(),
                evidence: evidence(f, &format!("{what}[{i}]"), warnings),
            })
        });
        match file {
            Some(f) => out.push(f),
            None => warnings.push(format!("{what}[{i}] skipped: needs `path` and `content`")),
        }
    }
    Ok(out)
}

fn skill(s: &Map<String, Value>, warnings: &mut Vec<String>) -> Result<SkillOut, String> {
    let name = str_field(s, "name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or("`skill` needs a `name`")?;
    Ok(SkillOut {
        name: name.to_string(),
        description: str_field(s, "description").unwrap_or_default().to_string(),
        body: str_field(s, "body").unwrap_or_default().to_string(),
        files: files(s.get("files"), "skill.files", warnings)?,
        evidence: evidence(s, "skill", warnings),
    })
}

/// The JSON object in a model's answer: inside a code fence when there is one,
/// else the first balanced `{...}` that parses.
fn find_object(text: &str) -> Option<Value> {
    let mut candidates: Vec<&str> = Vec::new();
    if let Some(fenced) = fenced_block(text) {
        candidates.push(fenced);
    }
    candidates.push(text);
    for candidate in candidates {
        let mut from = 0;
        while let Some(open) = candidate[from..].find('{') {
            let start = from + open;
            if let Some(end) = balanced_end(&candidate[start..])
                && let Ok(v @ Value::Object(_)) =
                    serde_json::from_str::<Value>(&candidate[start..start + end])
            {
                return Some(v);
            }
            from = start + 1;
        }
    }
    None
}

fn fenced_block(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    // Skip the info string (`json`) up to the end of the line.
    let body_start = after.find('\n').map_or(0, |i| i + 1);
    let body = &after[body_start..];
    let close = body.find("```").unwrap_or(body.len());
    Some(&body[..close])
}

/// The byte length of the object starting at `s[0] == '{'`, minding strings.
fn balanced_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_full_schema() {
        let (plan, warnings) = parse(
            r##"{"memory": [{"op": "add", "section": "Commands", "text": "Test: `make check`",
                            "evidence": [{"id": "3", "quote": "use make check"}]},
                           {"op": "replace", "old": "old one", "text": "new one",
                            "evidence": [{"id": 4, "quote": "new"}, {"id": "x", "quote": "bad"}, {"id": 5}]},
                           {"op": "remove", "old": "gone"}],
                "refs": [{"path": "db.md", "content": "# DB\n", "evidence": [{"id": 1, "quote": "db"}]}],
                "skill": {"name": "csep-reflect-release", "description": "Cut a release",
                          "body": "1. tag", "files": [{"path": "notes.md", "content": "n"}],
                          "evidence": [{"id": 2, "quote": "tag it"}]},
                "summary": "one sentence"}"##,
        )
        .unwrap();
        let q = |id: u64, text: &str| Quote {
            message_id: id,
            text: text.into(),
        };
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("memory[1].evidence[1] skipped"));
        assert_eq!(
            plan.memory,
            [
                MemoryOp::Add {
                    section: "Commands".into(),
                    text: "Test: `make check`".into(),
                    evidence: vec![q(3, "use make check")],
                },
                MemoryOp::Replace {
                    old: "old one".into(),
                    text: "new one".into(),
                    evidence: vec![q(4, "new")],
                },
                MemoryOp::Remove {
                    old: "gone".into(),
                    evidence: Vec::new(),
                },
            ]
        );
        assert_eq!(plan.refs[0].path, "db.md");
        assert_eq!(plan.refs[0].evidence, [q(1, "db")]);
        let skill = plan.skill.unwrap();
        assert_eq!(skill.evidence, [q(2, "tag it")]);
        assert!(skill.files[0].evidence.is_empty());
        assert_eq!(skill.name, "csep-reflect-release");
        assert_eq!(skill.files[0].content, "n");
        assert_eq!(plan.summary, "one sentence");
    }

    #[test]
    fn accepts_the_common_empty_answer() {
        let (plan, _) =
            parse(r#"{"memory": [], "skill": null, "summary": "nothing worth keeping"}"#).unwrap();
        assert_eq!(
            plan,
            Plan {
                summary: "nothing worth keeping".into(),
                ..Plan::default()
            }
        );
    }

    #[test]
    fn strips_fences_and_surrounding_text() {
        let fenced = "Here you go:\n```json\n{\"memory\": [{\"op\": \"add\", \"section\": \"Notes\", \"text\": \"a {braced} note\"}], \"skill\": null}\n```\nHope that helps {really}.";
        let (plan, _) = parse(fenced).unwrap();
        assert_eq!(plan.memory.len(), 1);
        let trailing =
            "{\"memory\": [], \"summary\": \"ok \\\"quoted\\\" }\"} and some trailing words";
        assert_eq!(parse(trailing).unwrap().0.summary, "ok \"quoted\" }");
        let leading = "Thinking {not json} ... {\"summary\": \"x\"}";
        assert_eq!(parse(leading).unwrap().0.summary, "x");
    }

    #[test]
    fn skips_bad_operations_with_warnings() {
        let (plan, warnings) = parse(
            r#"{"memory": [{"op": "add"}, {"op": "frobnicate", "text": "x"}, "junk",
                           {"op": "delete", "old": "x"}, {"text": "defaults to an add in Notes"}],
                "refs": [{"path": "a.md"}]}"#,
        )
        .unwrap();
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert_eq!(
            plan.memory,
            [
                MemoryOp::Remove {
                    old: "x".into(),
                    evidence: Vec::new(),
                },
                MemoryOp::Add {
                    section: "Notes".into(),
                    text: "defaults to an add in Notes".into(),
                    evidence: Vec::new(),
                }
            ]
        );
        assert!(plan.refs.is_empty());
    }

    #[test]
    fn malformed_answers_are_errors() {
        for bad in [
            "I could not find anything worth keeping.",
            "{\"memory\": [",
            "[1, 2, 3]",
            "{\"answer\": 42}",
            "{\"memory\": \"add a note\"}",
            "{\"memory\": [], \"skill\": \"yes\"}",
            "{\"skill\": {\"description\": \"no name\"}}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
