//! Commands mentioned in a sentence and whether the user rules them out.
//!
//! A mention is a code span or a run of words starting with a known program.
//! Negation markers work by direction: English and Chinese ones (`don't`, `never`,
//! `instead of`, `不要`, `而不是`) rule out the mentions after them in the clause;
//! Japanese and Korean ones (`使わないで`, `ではなく`, `말고`, `쓰지 마`) rule out the
//! mention right before them; a few (`禁止`, `不能用`) work either way, whichever
//! side holds a mention.

use crate::commands;
#[cfg(test)]
use crate::commands::rules_out;

/// One command mentioned in a sentence: byte range within it, and polarity.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub command: String,
    pub negated: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    /// Rules out what follows in the clause.
    Forward,
    /// Rules out the mention right before.
    Backward,
    /// Forward when a mention follows, else backward.
    Either,
}

const MARKERS: &[(&str, Dir)] = &[
    ("don't ", Dir::Forward),
    ("don’t ", Dir::Forward),
    ("dont ", Dir::Forward),
    ("do not ", Dir::Forward),
    ("never ", Dir::Forward),
    ("not ", Dir::Forward),
    ("avoid ", Dir::Forward),
    ("stop using ", Dir::Forward),
    ("stop running ", Dir::Forward),
    ("instead of ", Dir::Forward),
    ("rather than ", Dir::Forward),
    ("no longer ", Dir::Forward),
    ("must not ", Dir::Forward),
    ("mustn't ", Dir::Forward),
    ("shouldn't ", Dir::Forward),
    (" is forbidden", Dir::Backward),
    (" is not allowed", Dir::Backward),
    (" is banned", Dir::Backward),
    (" is deprecated", Dir::Backward),
    ("不要", Dir::Either),
    ("不用", Dir::Either),
    ("不能", Dir::Either),
    ("禁止", Dir::Either),
    ("不准", Dir::Either),
    ("不许", Dir::Either),
    ("请勿", Dir::Forward),
    ("而不是", Dir::Forward),
    ("不是", Dir::Forward),
    ("不再", Dir::Forward),
    ("代替", Dir::Forward),
    ("替代", Dir::Forward),
    ("取代", Dir::Forward),
    ("避免", Dir::Forward),
    ("ないで", Dir::Backward),
    ("ません", Dir::Backward),
    ("するな", Dir::Backward),
    ("使うな", Dir::Backward),
    ("ではなく", Dir::Backward),
    ("じゃなく", Dir::Backward),
    ("代わりに", Dir::Backward),
    ("使わない", Dir::Backward),
    ("やめて", Dir::Backward),
    ("ダメ", Dir::Backward),
    ("だめ", Dir::Backward),
    ("지 마", Dir::Backward),
    ("지마", Dir::Backward),
    ("지 말", Dir::Backward),
    ("말고", Dir::Backward),
    ("아니라", Dir::Backward),
    ("아니고", Dir::Backward),
    ("ずに", Dir::Backward),
    ("使わず", Dir::Backward),
    ("대신", Dir::Backward),
    ("금지", Dir::Backward),
    ("안 돼", Dir::Backward),
    ("안돼", Dir::Backward),
    ("않", Dir::Backward),
];

/// Words after which a negation turns back into an instruction (`don't forget`).
const DOUBLE_NEGATIONS: [&str; 4] = ["forget", "忘", "miss", "skip"];

/// Words that end a forward negation's reach within a clause.
const RESETS: [&str; 5] = [" but ", "但", "而是", "改用", "换成"];

/// Words that end a command written in prose.
const STOP_WORDS: [&str; 69] = [
    "and", "to", "before", "after", "then", "instead", "rather", "for", "directly", "anymore",
    "again", "please", "here", "there", "when", "if", "because", "so", "or", "but", "with", "in",
    "on", "from", "now", "first", "only", "every", "always", "never", "not", "is", "are", "was",
    "will", "should", "which", "that", "since", "until", "as", "by", "unless", "locally",
    "anywhere", "fails", "failed", "hangs", "passes", "passed", "works", "worked", "runs", "ran",
    "takes", "took", "does", "did", "doesn't", "won't", "isn't", "seems", "would", "could", "has",
    "had", "have", "it", "too",
];

/// Words that show a program-like word starts an English phrase.
const PRONOUNS: [&str; 16] = [
    "it",
    "this",
    "that",
    "them",
    "these",
    "those",
    "the",
    "a",
    "an",
    "me",
    "us",
    "sure",
    "up",
    "out",
    "ahead",
    "everything",
];

/// Programs that are also everyday English words: alone they are not a mention.
const WORDLIKE: [&str; 14] = [
    "make", "just", "task", "go", "mix", "swift", "bundle", "ant", "moon", "stack", "invoke",
    "inv", "node", "black",
];

/// The commands a sentence mentions, in order, each with its polarity.
pub fn mentions(sentence: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    for (c_start, clause) in clauses(sentence) {
        let found = clause_mentions(clause);
        let lower = clause.to_ascii_lowercase();
        let markers = markers_in(&lower, &found);
        for (i, m) in found.iter().enumerate() {
            let negated = markers.iter().any(|&(at, end, dir)| {
                // A forward marker reaches the mention only across a few words
                // (`don't ever run cargo test`, `不要在本地用 cargo test`).
                let forward = || {
                    let gap = &lower[end.min(m.start)..m.start];
                    let near = if gap.is_ascii() {
                        gap.split_whitespace().count() <= 3
                    } else {
                        gap.chars().filter(|c| !c.is_whitespace()).count() <= 10
                    };
                    at <= m.start && near && !RESETS.iter().any(|r| gap.contains(r))
                };
                let backward = || {
                    at >= m.end
                        && found[i + 1..].iter().all(|n| n.start >= at)
                        && !lower[m.end..at].contains(['，', ',', '、'])
                };
                match dir {
                    Dir::Forward => forward(),
                    Dir::Backward => backward(),
                    Dir::Either => {
                        let follows = found.iter().any(|n| n.start >= end);
                        if follows { forward() } else { backward() }
                    }
                }
            });
            out.push(Mention {
                start: c_start + m.start,
                end: c_start + m.end,
                command: m.command.clone(),
                negated,
            });
        }
    }
    out
}

/// `(start, end, direction)` of each negation marker in a lower-cased clause,
/// outside the mentions and not part of a double negation.
fn markers_in(lower: &str, found: &[Mention]) -> Vec<(usize, usize, Dir)> {
    let mut out = Vec::new();
    for (word, dir) in MARKERS {
        for (at, _) in lower.match_indices(word) {
            let end = at + word.len();
            let inside = found.iter().any(|m| at < m.end && end > m.start);
            let word_ok = !word.is_ascii()
                || word.starts_with(' ')
                || !lower[..at].ends_with(|c: char| c.is_ascii_alphanumeric());
            let after = lower[end..].trim_start();
            let before = &lower[..at];
            let tail: String = before.chars().rev().take(3).collect();
            let double = DOUBLE_NEGATIONS
                .iter()
                .any(|d| after.starts_with(d) || tail.contains(d))
                || tail.contains('잊')
                // `不用跑` / `don't need to`: no need, which forbids nothing.
                || (*word == "不用" && after.starts_with(['再', '跑', '运', '执', '管', '担', '了']))
                || (word.is_ascii()
                    && ["need", "have to", "only", "just"]
                        .iter()
                        .any(|w| after.starts_with(w)))
                || (*word == "않" && after.starts_with("아도"))
                || (*word == "不是" && before.ends_with('而'));
            if !inside && word_ok && !double {
                out.push((at, end, *dir));
            }
        }
    }
    // `别` means "don't" unless it is part of a word (特别, 别的).
    for (at, _) in lower.match_indices('别') {
        let end = at + '别'.len_utf8();
        let prev = lower[..at].chars().next_back();
        let next = lower[end..].chars().next();
        let word_part = prev.is_some_and(|p| "特区分类识个级差告性派判鉴辨送离道".contains(p))
            || next.is_some_and(|n| "的人处忘".contains(n));
        let inside = found.iter().any(|m| at < m.end && end > m.start);
        if !word_part && !inside {
            out.push((at, end, Dir::Either));
        }
    }
    out
}

/// Clauses of a sentence with their byte offsets: split at commas and
/// semicolons outside code spans.
fn clauses(sentence: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut inside = false;
    for (i, c) in sentence.char_indices() {
        match c {
            '`' => inside = !inside,
            ',' | ';' | '，' | '；' if !inside => {
                out.push((start, &sentence[start..i]));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push((start, &sentence[start..]));
    out
}

/// The mentions of one clause, polarity not yet decided.
fn clause_mentions(clause: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < clause.len() {
        let rest = &clause[i..];
        if let Some(body) = rest.strip_prefix('`') {
            let Some(close) = body.find('`') else { break };
            let span = body[..close].trim();
            let first = span.split_whitespace().next().unwrap_or("");
            let command_like = commands::known_program(first)
                || commands::is_path_like(span)
                || commands::classify(span).is_some();
            if commands::plausible(span) && command_like {
                out.push(Mention {
                    start: i,
                    end: i + close + 2,
                    command: span.to_string(),
                    negated: false,
                });
            }
            i += close + 2;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        let at_word = !clause[..i]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_alphanumeric() || matches!(p, '-' | '_' | '/' | '.'));
        if at_word
            && (c.is_ascii_alphanumeric() || c == '.')
            && let Some((command, len)) = bare_command(rest)
        {
            out.push(Mention {
                start: i,
                end: i + len,
                command,
                negated: false,
            });
            i += len;
            continue;
        }
        i += c.len_utf8();
    }
    out
}

/// A command written without backticks at the start of `s`, and its byte length.
fn bare_command(s: &str) -> Option<(String, usize)> {
    let first_len = s
        .find(|c: char| c.is_whitespace() || !c.is_ascii())
        .unwrap_or(s.len());
    let first = s[..first_len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let path_like = commands::is_path_like(first);
    if !(path_like || commands::known_program(first)) {
        return None;
    }
    // Words up to a clause break, a non-ASCII word or a prose word.
    const PUNCT: [char; 7] = ['.', ',', ';', ':', '!', '?', ')'];
    let mut end = 0;
    let mut pos = 0;
    for word in s.split_inclusive(char::is_whitespace) {
        let w = word.trim_end();
        if w.is_empty() {
            pos += word.len();
            continue;
        }
        let (ascii, cjk) = match w.find(|c: char| !c.is_ascii()) {
            Some(k) => (&w[..k], true),
            None => (w, false),
        };
        // A lone `.` and `./...` are arguments (`ruff check .`), not a full stop.
        let bare = if ascii == "." || ascii.ends_with("/...") {
            ascii
        } else {
            ascii.trim_end_matches(PUNCT)
        };
        if pos > 0 && STOP_WORDS.contains(&bare.to_ascii_lowercase().as_str()) {
            break;
        }
        if !bare.is_empty() {
            end = pos + bare.len();
        }
        if cjk || bare.is_empty() || bare.len() != ascii.len() {
            break;
        }
        pos += word.len();
    }
    let command = s[..end].trim();
    if command.is_empty() {
        return None;
    }
    let single = !command.contains(char::is_whitespace);
    // `just build it`, `make sure`: an English phrase, not a command.
    let prose = WORDLIKE.contains(&first.to_ascii_lowercase().as_str())
        && command
            .split_whitespace()
            .skip(1)
            .any(|w| PRONOUNS.contains(&w.to_ascii_lowercase().trim_end_matches(PUNCT)));
    if prose {
        return None;
    }
    let known = commands::classify(command).is_some()
        || path_like
        || single && !WORDLIKE.contains(&first.to_ascii_lowercase().as_str());
    known.then(|| (command.to_string(), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(command, negated)` of each mention.
    fn polar(s: &str) -> Vec<(String, bool)> {
        mentions(s)
            .into_iter()
            .map(|m| (m.command, m.negated))
            .collect()
    }

    fn p(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    #[test]
    fn polarity_in_four_languages() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            (
                "这个仓库的测试命令是 make check-all ，不要用 cargo test 直接跑。",
                &[("make check-all", false), ("cargo test", true)],
            ),
            ("Don't run `cargo test`", &[("cargo test", true)]),
            (
                "use make check instead of cargo test",
                &[("make check", false), ("cargo test", true)],
            ),
            (
                "the test command is not cargo test but make check",
                &[("cargo test", true), ("make check", false)],
            ),
            ("别用 go test 跑测试", &[("go test", true)]),
            ("测试用 mage test", &[("mage test", false)]),
            ("用 pnpm 而不是 yarn", &[("pnpm", false), ("yarn", true)]),
            (
                "以后用 pnpm，不要再用 yarn",
                &[("pnpm", false), ("yarn", true)],
            ),
            (
                "cargo test ではなく make check-all を使って",
                &[("cargo test", true), ("make check-all", false)],
            ),
            ("テストで cargo test は使わないで", &[("cargo test", true)]),
            (
                "cargo test 말고 make check-all 로 테스트해",
                &[("cargo test", true), ("make check-all", false)],
            ),
            ("npm 쓰지 마", &[("npm", true)]),
            (
                "이 프로젝트는 yarn 이 아니라 pnpm 을 써",
                &[("yarn", true), ("pnpm", false)],
            ),
            (
                "テストは cargo test を使わずに cargo nextest run を使う",
                &[("cargo test", true), ("cargo nextest run", false)],
            ),
            ("pytest 대신 tox 를 써", &[("pytest", true), ("tox", false)]),
            ("cargo test 不能用", &[("cargo test", true)]),
            ("禁止使用 yarn", &[("yarn", true)]),
            ("Don't forget to run make check", &[("make check", false)]),
            ("不用跑 cargo fmt", &[("cargo fmt", false)]),
            ("you don't need to run cargo fmt", &[("cargo fmt", false)]),
            ("cargo fmt 는 실행하지 않아도 돼", &[("cargo fmt", false)]),
            ("不用 yarn", &[("yarn", true)]),
            ("テストを忘れないで: make check", &[("make check", false)]),
            ("just run cargo test", &[("cargo test", false)]),
            ("make sure to use pnpm", &[("pnpm", false)]),
            ("go ahead and fix it", &[]),
            ("I can't get make check to pass", &[("make check", false)]),
            (
                "not only cargo test, also run make lint",
                &[("cargo test", false), ("make lint", false)],
            ),
            (
                "it's not the fault of the config that make check hangs",
                &[("make check", false)],
            ),
            ("make check doesn't work on macOS", &[("make check", false)]),
            ("never modify `migrations/` or `Cargo.lock`", &[]),
        ];
        for (sentence, expected) in cases {
            assert_eq!(polar(sentence), p(expected), "{sentence}");
        }
    }

    #[test]
    fn offsets_point_at_the_mention() {
        let s = "用 `make check` 代替 cargo test";
        for m in mentions(s) {
            assert!(s[m.start..m.end].contains(&m.command), "{m:?}");
        }
    }

    #[test]
    fn ruling_out_is_by_leading_words() {
        assert!(rules_out("cargo test", "cargo test --workspace"));
        assert!(rules_out("yarn", "cd web && yarn test"));
        assert!(!rules_out("cargo test", "cargo build"));
        assert!(!rules_out("make check", "make check-all"));
    }
}
