//! Checks on text that is about to become memory or a skill, or to be injected
//! into an agent's context: secrets and planted instructions.
//!
//! Planted instructions are looked for in the text as a reader takes it, not
//! as it is spelled: [`normalize`] folds look-alike letters, invisible
//! characters, markdown and spacing; [`markup`] sees through HTML comments and
//! tags; [`encoded`] decodes base64 runs and tag-character text; [`patterns`]
//! holds the checks, by category, in English, Chinese, Japanese and Korean.
//! Lines are joined before matching, so a phrase split over lines is found
//! (and placed on the line where it starts).

mod encoded;
mod markup;
pub mod normalize;
mod patterns;
mod precedence;

use std::collections::BTreeSet;

use crate::redact;

pub use precedence::claims_precedence;

/// What a planted instruction tries to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Ignore or replace earlier instructions, take a new role, system-prompt talk.
    Override,
    /// Keep something from the user.
    HideFromUser,
    /// Download and run code (a remote script piped to a shell, decoded base64 run).
    RemoteCode,
    /// Send secrets, the environment or keys somewhere.
    Exfiltration,
    /// Chat-template or role markers (`<|im_start|>`, `[INST]`, `<system>`).
    RoleMarkup,
    /// Text a renderer hides (comments or tags addressed to the agent,
    /// invisible styling, tag characters).
    HiddenMarkup,
}

impl Category {
    /// A short stable code for logs and receipts.
    pub fn code(self) -> &'static str {
        match self {
            Category::Override => "override",
            Category::HideFromUser => "hide-from-user",
            Category::RemoteCode => "remote-code",
            Category::Exfiltration => "exfiltration",
            Category::RoleMarkup => "role-markup",
            Category::HiddenMarkup => "hidden-markup",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Category::Override => "tells the agent to drop or replace its instructions",
            Category::HideFromUser => "tells the agent to keep something from the user",
            Category::RemoteCode => "runs code fetched from elsewhere",
            Category::Exfiltration => "sends secrets or the environment somewhere",
            Category::RoleMarkup => "holds chat role markup",
            Category::HiddenMarkup => "hides text addressed to the agent",
        }
    }
}

/// One planted instruction: its kind and the lines it spans (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// First line of the match.
    pub line: usize,
    /// Last line of the match (equal to `line` unless it spans lines).
    pub last_line: usize,
    pub category: Category,
}

/// How many times encoded text (base64 inside base64...) is opened.
const DECODE_DEPTH: usize = 2;

/// Every planted instruction in `text`, ordered by line.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut found = scan_at_depth(text, DECODE_DEPTH);
    found.sort();
    found.dedup();
    found
}

fn scan_at_depth(text: &str, depth: usize) -> Vec<Finding> {
    let folded = normalize::fold(text);
    let mut found = Vec::new();
    let seen = markup::see_through(&folded, &mut found);
    patterns::find(&seen, &mut found);
    if depth > 0 {
        for hidden in encoded::hidden_texts(text, &mut found) {
            for f in scan_at_depth(&hidden.text, depth - 1) {
                found.push(Finding {
                    line: hidden.line,
                    last_line: hidden.line,
                    category: f.category,
                });
            }
        }
    }
    found
}

/// The first planted instruction in `text`, if any.
pub fn first_injection(text: &str) -> Option<Finding> {
    scan(text).into_iter().next()
}

/// The lines (1-based) that take part in a planted instruction, including
/// every line of one split over several: what to withhold from `text`.
pub fn injection_lines(text: &str) -> BTreeSet<usize> {
    scan(text)
        .into_iter()
        .flat_map(|f| f.line..=f.last_line)
        .collect()
}

/// True when a line reads like an attempt to steer the agent.
pub fn looks_like_injection(line: &str) -> bool {
    !scan(line).is_empty()
}

/// Why `text` must not be kept, if it must not: `(code, reason)`. The code is
/// `"secret"` or `"prompt-injection"`; the reason names the line and the
/// category of what was found.
pub fn reject_reason(text: &str) -> Option<(&'static str, String)> {
    if redact::contains_secret(text) {
        return Some((
            "secret",
            "holds what looks like a secret (a key, token or password)".into(),
        ));
    }
    first_injection(text).map(|f| {
        (
            "prompt-injection",
            format!(
                "line {} reads like an instruction to the agent ({}: it {})",
                f.line,
                f.category.code(),
                f.category.describe()
            ),
        )
    })
}

#[cfg(test)]
mod tests;
