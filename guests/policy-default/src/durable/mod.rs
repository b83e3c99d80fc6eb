//! Candidate durable statements in the user's own words: a project fact, a rule,
//! a preference, a lasting time marker or a correction, in English, Chinese,
//! Japanese and Korean.
//!
//! Each sentence of typed prose (fenced or indented code, `>` quotes, pasted logs
//! and long quoted passages are left out) is read by every language's cue reader
//! into `Signals`; `classify` weighs them. A cue with something concrete (an
//! anchor such as a code span, path, tool or port; a project artifact), a second
//! kind of cue, or an explicit durability marker is strong; a bare cue is weak.
//! Questions, reports of what happened, requests scoped to now ("here", "not
//! yet", a task verb) and corrections that only redirect the work are never
//! candidates. Cue words are lists per language; the decisions about them are
//! general (position in the clause, what follows, what else the sentence says).

mod anchor;
mod en;
mod ja;
mod ko;
mod mask;
pub(crate) mod prose;
mod signals;
pub(crate) mod time_scope;
mod zh;

#[cfg(test)]
mod cases;

use crate::csep::engine::types::Digest;
use crate::keywords::fold;
use signals::{Signals, cjk_chars};

/// Longest quote of a statement in a decision's summary, in characters.
const QUOTE_CHARS: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    Weak,
    Strong,
}

/// The candidates of one digest, quoted, in the order the user wrote them.
#[derive(Debug, Default)]
pub struct Findings {
    pub strong: Vec<String>,
    pub weak: Vec<String>,
}

impl Findings {
    /// One strong candidate, or `weak_threshold` weak ones.
    pub fn triggers(&self, weak_threshold: u64) -> bool {
        !self.strong.is_empty() || self.weak.len() as u64 >= weak_threshold
    }

    /// Which statement, quoted, and how many candidates there were.
    pub fn summary(&self) -> String {
        let first = self.strong.first().or(self.weak.first());
        let Some(first) = first else {
            return String::new();
        };
        let others = self.strong.len() + self.weak.len() - 1;
        let more = match others {
            0 => String::new(),
            1 => " and 1 more".to_string(),
            n => format!(" and {n} more"),
        };
        format!(
            "the user stated \"{first}\"{more} (durable statements: {} strong, {} weak)",
            self.strong.len(),
            self.weak.len()
        )
    }
}

/// The candidates in the digest's new messages; injected context is not the user's.
pub fn scan(digest: &Digest) -> Findings {
    let mut found = Findings::default();
    let mut seen: Vec<String> = Vec::new();
    for text in crate::user_texts(digest) {
        for line in prose::typed_lines(text) {
            for sentence in prose::sentences(line) {
                let Some(strength) = classify(sentence) else {
                    continue;
                };
                let key = fold(sentence);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let quoted = prose::quote(&mask::mask_secrets(sentence), QUOTE_CHARS);
                match strength {
                    Strength::Strong => found.strong.push(quoted),
                    Strength::Weak => found.weak.push(quoted),
                }
            }
        }
    }
    found
}

/// Whether one sentence is a candidate, and how strong.
pub fn classify(sentence: &str) -> Option<Strength> {
    let unquoted = prose::without_quoted_passages(sentence);
    let sentence = unquoted.as_str();
    let folded = fold(sentence);
    let mut sig = Signals::default();
    if sentence.chars().any(|c| c.is_ascii_alphabetic()) {
        en::read(&folded, &mut sig);
    }
    let cjk = cjk_chars(sentence) > 0;
    if cjk {
        zh::read(sentence, &mut sig);
        ja::read(sentence, &mut sig);
        ko::read(sentence, &mut sig);
    }
    let question = sig.is_question();
    if question {
        return None;
    }
    // "Remember where we are", "下次再继续看": the state of the task at hand.
    if time_scope::about_now(sentence) && !sig.language {
        return None;
    }
    // "Lint with X here, always", "我们这里构建用 X": "here" is the project.
    if time_scope::lasting(sentence) {
        sig.one_off = false;
        sig.habit = true;
    }
    // "legacy/ is no longer frozen", "ステージングは URL に移転しました": a
    // reported change of a fact is a new fact, though told in the past tense.
    if time_scope::changed(sentence) {
        sig.contrast = true;
    }
    // "Seed the db with `make db-seed` before you start the app", "发版之前先跑
    // `make changelog`": a command set in an order of work is a rule.
    if time_scope::ordered(sentence) {
        sig.rule = true;
        sig.one_off = false;
    }
    // "It always fails" describes behaviour; "always run X" is a rule.
    if sig.habit && sig.transient && !sig.rule {
        sig.habit = false;
    }
    // "ビルドが失敗しました": a report of a failure is not a fact about the project.
    if sig.transient && !sig.contrast {
        sig.fact = false;
    }
    if !sig.any_cue() && !sig.marker {
        return None;
    }
    // "Use a HashMap here", "先别提交", "잠깐, 아직 실행하지 마": scoped to now.
    if sig.one_off && !sig.marker && !sig.language {
        return None;
    }
    // A correction and nothing else: alone ("No, that's wrong.") it is a weak
    // candidate; followed by an instruction ("no, look at src/main.rs") it
    // redirects the work at hand.
    let only_correction = sig.correction
        && !(sig.rule || sig.habit || sig.fact || sig.contrast || sig.preference || sig.marker);
    if only_correction && content_units(&folded) > 4 {
        return None;
    }
    // "默认分支是 develop", "print 말고 logger 써": in CJK text, ASCII words name code or tools.
    let cjk_named = cjk && (sig.fact || sig.contrast || sig.rule) && has_ascii_name(sentence);
    let anchored = anchor::has_anchor(sentence) || sig.named_value || cjk_named;
    Some(weigh(&sig, anchored, content_units(&folded)))
}

fn weigh(sig: &Signals, anchored: bool, units: usize) -> Strength {
    if sig.language {
        return Strength::Strong;
    }
    let concrete = anchored || sig.marker;
    let kinds = [
        sig.rule || sig.habit,
        sig.fact,
        sig.contrast,
        sig.preference,
        sig.correction,
        sig.marker,
    ]
    .iter()
    .filter(|&&k| k)
    .count();
    let strong = ((sig.rule || sig.habit) && (concrete || sig.domain))
        // "Avoid lodash, we use native array methods": a rule and a fact together;
        // "No, the port is 8080": a correction stating a fact. A correction alone
        // ("no, look at src/main.rs") redirects the work at hand.
        || kinds >= 2
        || ((sig.fact || sig.contrast) && concrete)
        || (sig.preference && (concrete || sig.domain))
        // An explicit durability marker on a statement of some substance.
        || (sig.marker && !sig.aside && !sig.transient && units >= 5);
    if strong {
        Strength::Strong
    } else {
        Strength::Weak
    }
}

fn has_ascii_name(sentence: &str) -> bool {
    anchor::ascii_tokens(sentence)
        .iter()
        .any(|t| t.len() >= 2 && t.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Words, or CJK characters, in the sentence: a crude measure of substance.
fn content_units(folded: &str) -> usize {
    let words = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    words + cjk_chars(folded)
}
