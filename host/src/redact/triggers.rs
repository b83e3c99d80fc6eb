//! One keyword pass for the detectors that start from a word: the
//! keywords of the data rules (`hf_`, `glpat-`, `accountkey`) and the
//! secret words of prose (`password`, `密码`, `パスワード`, `비밀번호`).
//! A single Aho-Corasick automaton, ASCII case-insensitive, finds them all;
//! text holding none of them costs one SIMD-prefiltered pass.

use std::ops::{ControlFlow, Range};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::SecretKind;
use super::prose;
use super::rules::RULES;
use super::scan::Hit;

/// What a keyword starts.
#[derive(Clone, Copy)]
enum Target {
    /// A data rule, by index.
    Rule(usize),
    /// A prose secret word, by index in [`prose::WORDS`].
    Word(usize),
}

struct Triggers {
    ac: AhoCorasick,
    /// Per automaton pattern, what it starts.
    targets: Vec<Vec<Target>>,
    /// Length of the longest pattern, to let a keyword that starts in a
    /// range end past it.
    longest: usize,
}

static TRIGGERS: LazyLock<Triggers> = LazyLock::new(build);

fn build() -> Triggers {
    let mut patterns: Vec<String> = Vec::new();
    let mut targets: Vec<Vec<Target>> = Vec::new();
    let mut add = |pattern: &str, target: Target| {
        let pattern = pattern.to_ascii_lowercase();
        match patterns.iter().position(|p| *p == pattern) {
            Some(k) => targets[k].push(target),
            None => {
                patterns.push(pattern);
                targets.push(vec![target]);
            }
        }
    };
    for (i, rule) in RULES.rules.iter().enumerate() {
        for k in &rule.keywords {
            add(k, Target::Rule(i));
        }
    }
    for (i, word) in prose::WORDS.iter().enumerate() {
        add(word.text, Target::Word(i));
    }
    let longest = patterns.iter().map(String::len).max().unwrap_or(0);
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .expect("keyword automaton builds");
    Triggers {
        ac,
        targets,
        longest,
    }
}

/// The line around `p`: the bytes between the line breaks before and after.
fn line_at(b: &[u8], p: usize) -> Range<usize> {
    let start = b[..p]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |k| k + 1);
    let end = b[p..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |k| p + k);
    start..end
}

/// Calls `emit` for each secret found from a keyword starting in `range`
/// (detectors read the whole lines around it). Hits come in keyword order,
/// may overlap each other and the scan's; the caller merges them. Stops
/// early when `emit` breaks.
pub(crate) fn find(b: &[u8], range: Range<usize>, mut emit: impl FnMut(Hit) -> ControlFlow<()>) {
    let t = &*TRIGGERS;
    let span_end = (range.end + t.longest).min(b.len());
    if range.start >= span_end {
        return;
    }
    let input = Input::new(b).span(range.start..span_end);
    // Per rule, the end of the last line it searched: a rule runs at most
    // once per line however many of its keywords the line holds. Hits are
    // rare, so a short list beats a table sized to the rule set.
    let mut searched: Vec<(usize, usize)> = Vec::new();
    for m in t.ac.find_overlapping_iter(input) {
        if m.start() >= range.end {
            continue;
        }
        for &target in &t.targets[m.pattern().as_usize()] {
            let flow = match target {
                Target::Word(w) => match prose::after_word(b, m.start(), m.end(), &prose::WORDS[w]) {
                    Some(hit) => emit(hit),
                    None => ControlFlow::Continue(()),
                },
                Target::Rule(r) => {
                    let done = searched.iter().find(|(i, _)| *i == r).map(|&(_, e)| e);
                    if done.is_some_and(|e| e > m.start()) {
                        continue;
                    }
                    let line = line_at(b, m.start());
                    match searched.iter_mut().find(|(i, _)| *i == r) {
                        Some(entry) => entry.1 = line.end + 1,
                        None => searched.push((r, line.end + 1)),
                    }
                    rule_hits(b, line, r, &mut emit)
                }
            };
            if flow.is_break() {
                return;
            }
        }
    }
}

fn rule_hits(
    b: &[u8],
    line: Range<usize>,
    r: usize,
    emit: &mut impl FnMut(Hit) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let rule = &RULES.rules[r];
    let mut flow = ControlFlow::Continue(());
    rule.scan_line(b, line, |span| {
        flow = emit(Hit {
            start: span.start,
            end: span.end,
            kind: SecretKind::Rule(&rule.id),
        });
        flow.is_continue()
    });
    flow
}
