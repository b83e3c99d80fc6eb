//! HTML/XML comments and tags, seen through: a markdown renderer hides them
//! from the person reading, the model reads them all. Comment text is kept for
//! the phrase checks; a comment, markdown comment or tag addressed to the
//! agent (system, assistant, instructions...) or styled to be invisible is a
//! finding by itself.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::patterns::ascii_boundaries;
use super::{Category, Finding};

/// Words that make a hidden comment an address to the agent.
const AGENT_WORDS: &str = r"\b(system|assistant|ai|agents?|instructions?|prompts?|llm|claude|codex|chatgpt|gpt|copilot|developer message)\b";

static COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<!--(.*?)(?:-->|\z)").expect("comment pattern"));
static MD_COMMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[ \t]*\[[^\]\n]*\]:[ \t]*(?:#|<>)[ \t]*(\([^\n]*\)|"[^\n]*"|'[^\n]*')"#)
        .expect("markdown comment pattern")
});
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(/?)([a-z][a-z0-9_:.-]*)(\s[^<>]*?)?/?>").expect("tag pattern"));
static AGENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&ascii_boundaries(AGENT_WORDS)).expect("agent words"));
static HIDING_STYLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0(?:\.0*)?\b|\bhidden\b|color\s*:\s*(?:white|transparent|#fff\b|#ffffff)",
    ))
    .expect("hiding style pattern")
});

/// Tag names that mark a chat role or an instruction block.
const ROLE_TAGS: &[&str] = &[
    "system",
    "system-prompt",
    "system_prompt",
    "systemprompt",
    "system-reminder",
    "system-message",
    "sys",
    "assistant",
    "instruction",
    "instructions",
    "developer",
    "developer-message",
    "prompt",
    "im_start",
    "im_end",
    "inst",
];

/// Tags that separate words when rendered; others join what they wrap.
const BLOCK_TAGS: &[&str] = &[
    "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "table", "details", "summary", "section",
];

/// `text` (folded) with comment delimiters and tags removed and their
/// readable contents (comment text, attribute values) kept in place; newlines
/// are kept so lines still count. Findings for markup that addresses the
/// agent or hides text go to `found`.
pub fn see_through(text: &str, found: &mut Vec<Finding>) -> String {
    if !text.contains('<') && !text.contains("]:") {
        return text.to_string();
    }
    for c in MD_COMMENT.captures_iter(text) {
        if AGENT.is_match(&c[1]) {
            push(
                found,
                text,
                c.get(0).map_or(0, |m| m.start()),
                Category::HiddenMarkup,
            );
        }
    }
    let uncommented = COMMENT.replace_all(text, |c: &Captures| {
        let whole = c.get(0).expect("match");
        if AGENT.is_match(&c[1]) {
            push(found, text, whole.start(), Category::HiddenMarkup);
        }
        format!(" {} ", &c[1])
    });
    let untagged = TAG.replace_all(&uncommented, |c: &Captures| {
        let whole = c.get(0).expect("match");
        let name = &c[2];
        let attrs = c.get(3).map_or("", |m| m.as_str());
        if ROLE_TAGS.contains(&name) {
            push(found, &uncommented, whole.start(), Category::RoleMarkup);
        }
        if HIDING_STYLE.is_match(attrs) {
            push(found, &uncommented, whole.start(), Category::HiddenMarkup);
        }
        // Attribute values stay readable to the model: keep them as text.
        let kept: String = attrs.chars().filter(|&c| c != '"' && c != '\'').collect();
        let newlines = whole.as_str().matches('\n').count();
        if !kept.trim().is_empty() {
            format!(" {kept} ")
        } else if newlines > 0 {
            "\n".repeat(newlines)
        } else if BLOCK_TAGS.contains(&name) {
            " ".to_string()
        } else {
            String::new()
        }
    });
    untagged.into_owned()
}

fn push(found: &mut Vec<Finding>, text: &str, at: usize, category: Category) {
    let line = line_at(text, at);
    found.push(Finding {
        line,
        last_line: line,
        category,
    });
}

/// 1-based line of byte offset `at`.
pub fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
