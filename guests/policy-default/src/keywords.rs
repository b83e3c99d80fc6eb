//! High-signal words in the user's new messages: a request to remember, a
//! correction, a handoff (memory scope) or a reusable workflow (skill scope).

use crate::csep::engine::types::Digest;
use crate::settings::Thresholds;

/// Matched as literal substrings (CJK has no word boundaries).
const MEMORY_LITERAL: &[&str] = &[
    "记住",
    "记录一下",
    "下次",
    "以后不要",
    "不要再",
    "规则",
    "约定",
    "偏好",
    "习惯",
    // handoff
    "交接",
    "收尾",
    "状态文档",
    // corrections
    "不是这个意思",
    "你理解错了",
    "不要改代码",
    "别改代码",
    "恢复",
    "回退",
    "过度抽象",
];

/// Matched case-insensitively on word boundaries.
const MEMORY_WORDS: &[&str] = &[
    "memory",
    "remember",
    "next time",
    "from now on",
    "don't ever",
    "do not ever",
    "never again",
    "always use",
    "handoff",
    // corrections
    "that's wrong",
    "that is wrong",
    "not what i meant",
    "not what i asked",
    "you misunderstood",
    "don't change the code",
    "do not change the code",
    "revert that",
];

const SKILL_LITERAL: &[&str] = &["技能", "工作流", "复用", "沉淀"];

const SKILL_WORDS: &[&str] = &["skill", "workflow", "sop", "runbook", "playbook"];

#[derive(Default)]
pub struct Hits {
    pub memory: Vec<String>,
    pub skill: Vec<String>,
}

pub fn scan(digest: &Digest, t: &Thresholds) -> Hits {
    let mut hits = Hits::default();
    for text in crate::user_texts(digest) {
        let kept = without_talk_of_now(text);
        let text = kept.as_str();
        let folded = fold(text);
        collect(
            &mut hits.memory,
            text,
            &folded,
            MEMORY_LITERAL,
            MEMORY_WORDS,
        );
        collect(&mut hits.skill, text, &folded, SKILL_LITERAL, SKILL_WORDS);
        let extra_memory: Vec<&str> = t.extra_memory_keywords.iter().map(String::as_str).collect();
        let extra_skill: Vec<&str> = t.extra_skill_keywords.iter().map(String::as_str).collect();
        collect(&mut hits.memory, text, &folded, &[], &extra_memory);
        collect(&mut hits.skill, text, &folded, &[], &extra_skill);
    }
    hits.memory.sort();
    hits.memory.dedup();
    hits.skill.sort();
    hits.skill.dedup();
    hits
}

/// The text without its sentences about the work at hand: "remember where we
/// are" or "下次再继续" keeps a task's state, not a fact about the repository.
fn without_talk_of_now(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        for sentence in crate::durable::prose::sentences(line) {
            // A correction is worth a review even when it is about the change just made.
            if !crate::durable::time_scope::about_now(sentence) || correction(sentence) {
                out.push_str(sentence);
                out.push(' ');
            }
        }
        out.push('\n');
    }
    out
}

/// The user correcting the agent, in the words of the high-signal lists.
const CORRECTIONS: &[&str] = &[
    "不是这个意思",
    "你理解错了",
    "不要改代码",
    "别改代码",
    "回退",
    "that's wrong",
    "that is wrong",
    "not what i meant",
    "not what i asked",
    "you misunderstood",
    "don't change the code",
    "do not change the code",
    "revert that",
];

fn correction(sentence: &str) -> bool {
    let folded = fold(sentence);
    CORRECTIONS.iter().any(|c| folded.contains(c))
}

fn collect(out: &mut Vec<String>, text: &str, folded: &str, literal: &[&str], words: &[&str]) {
    for k in literal {
        if text.contains(k) {
            out.push((*k).to_string());
        }
    }
    for k in words {
        if contains_word(folded, &fold(k)) {
            out.push((*k).to_string());
        }
    }
}

/// Lowercase, typographic apostrophes made plain, whitespace runs made one space.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        let c = if c == '\u{2019}' { '\'' } else { c };
        out.extend(c.to_lowercase());
    }
    out
}

/// True when `needle` occurs in `hay` with no letter, digit or `_` on either side.
pub(crate) fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    // ASCII only: an English keyword next to CJK text still counts as a word.
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    hay.match_indices(needle).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}
