//! Deterministic extraction: what a transcript says worth keeping, without a model.
//!
//! - explicit memory statements of the user (`remember that ...`, `记住...`,
//!   `覚えておいて`, `기억해 줘`, `from now on ...`, `以后...`, `今後は...`, `앞으로는...`)
//!   become `Notes` entries, or `Rules` when they forbid something;
//! - forbidden paths (`don't touch vendor/`, `不要改 vendor/`, `vendor/ は変更しないで`)
//!   become `Rules` entries, and a path said to be changeable again retracts its rule;
//! - test/build/lint/format/check commands the user states, or that a shell tool
//!   call ran successfully, become `Commands` entries (a stated one wins); a
//!   command the user rules out is never recorded and retracts an entry running it.
//!
//! Only the lines a user typed count (see [`scope`]); later statements override
//! earlier ones on the same subject; a message that looks like it holds a secret
//! is skipped entirely; no entry is longer than [`MAX_ENTRY_CHARS`]. Every
//! finding carries quotes of the messages it rests on.

mod now;
mod paths;
mod polarity;
mod procedure;
mod scope;
mod secret;
mod stated;
mod statements;
mod url_fact;

use std::collections::{BTreeMap, VecDeque};

use crate::commands::{self, Kind, rules_out};
use crate::memory_doc::same_subject;
use crate::session::{Message, Quote, Role};
use crate::text::{char_len, looks_secret};

pub use paths::forbidden_paths;
#[cfg(test)]
pub use statements::memory_statements;

pub const MAX_ENTRY_CHARS: usize = 300;
const MAX_COMMAND_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum Candidate {
    Entry {
        section: &'static str,
        text: String,
    },
    Command {
        kind: Kind,
        command: String,
        /// True when the user stated it; false when a tool call ran it successfully.
        stated: bool,
    },
    /// Entries of `section` about `about` no longer hold: `Commands` entries
    /// running a command the user ruled out, `Rules` about a path freed again.
    Retract {
        section: &'static str,
        about: String,
    },
}

impl Candidate {
    /// The entry as it would read in `MEMORY.md`.
    pub fn describe(&self) -> String {
        match self {
            Candidate::Entry { section, text } => format!("{section}: {text}"),
            Candidate::Command {
                kind,
                command,
                stated,
            } => format!(
                "Commands: {}",
                crate::memory_doc::command_entry(kind.label(), command, !stated)
            ),
            Candidate::Retract { section, about } => {
                format!("{section}: no longer holds for `{about}`")
            }
        }
    }
}

/// A candidate, the commands ruled out beside a command, and the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub candidate: Candidate,
    /// For a command: the commands of its kind the user ruled out.
    pub ruled_out: Vec<String>,
    pub evidence: Vec<Quote>,
}

impl Finding {
    fn new(candidate: Candidate, evidence: Vec<Quote>) -> Finding {
        Finding {
            candidate,
            ruled_out: Vec::new(),
            evidence,
        }
    }

    /// The entry as it would read in `MEMORY.md`.
    pub fn describe(&self) -> String {
        match &self.candidate {
            Candidate::Command {
                kind,
                command,
                stated,
            } => format!(
                "Commands: {}",
                crate::memory_doc::command_entry_with(
                    kind.label(),
                    command,
                    !stated,
                    &self.ruled_out
                )
            ),
            other => other.describe(),
        }
    }
}

/// Words that open a correction of something said before.
const CORRECTIONS: [&str; 27] = [
    "actually,",
    "actually ",
    "no, ",
    "no wait",
    "wait,",
    "correction:",
    "scratch that",
    "sorry,",
    "不对",
    "错了",
    "更正",
    "说错了",
    "其实",
    "还是",
    "いや、",
    "いや,",
    "やっぱり",
    "訂正",
    "違う",
    "実は",
    "아니,",
    "아니요,",
    "아니 ",
    "정정",
    "사실은",
    "그게 아니라",
    "역시",
];

/// A statement waiting for the end of the session: later ones may override it.
struct Noted {
    section: &'static str,
    text: String,
    evidence: Vec<Quote>,
}

#[derive(Default)]
struct Session {
    stated: BTreeMap<Kind, (String, Vec<String>, Vec<Quote>)>,
    observed: BTreeMap<Kind, (String, Vec<Quote>)>,
    /// Commands ruled out, oldest first; a later positive statement lifts one.
    forbidden: Vec<(String, Quote)>,
    entries: Vec<Noted>,
    /// Paths freed again, with the words that freed them.
    lifted: Vec<(String, Quote)>,
}

pub fn extract(messages: &[Message], cwd: &str) -> Vec<Finding> {
    let mut session = Session::default();
    let mut pending: VecDeque<Option<(commands::Invocation, Vec<Quote>)>> = VecDeque::new();
    for m in messages {
        match m.role {
            Role::User => {
                pending.clear();
                // The other sentences of a message holding a secret still count;
                // `user_message` leaves out each sentence that holds one.
                session.user_message(m);
            }
            Role::ToolCall => {
                let call = commands::shell_invocation(m.tool.as_deref(), &m.text)
                    .filter(|_| !m.error && !looks_secret(&m.text))
                    .map(|call| {
                        let quote = Quote::of(m, &call.script)
                            .or_else(|| Quote::of(m, &m.text))
                            .into_iter()
                            .collect();
                        (call, quote)
                    });
                pending.push_back(call);
            }
            Role::ToolOutput => {
                let Some(Some((call, quote))) = pending.pop_front() else {
                    continue;
                };
                if !commands::succeeded(m.error, &m.text) {
                    continue;
                }
                for (kind, command) in
                    commands::recognize(&call.script, call.workdir.as_deref(), cwd)
                {
                    if char_len(&command) <= MAX_COMMAND_CHARS
                        && !commands::is_one_off(&command)
                        && !commands::narrowed(kind, &command)
                    {
                        session.observed.insert(kind, (command, quote.clone()));
                    }
                }
            }
            Role::Assistant | Role::Other => {}
        }
    }
    session.finish()
}

impl Session {
    fn user_message(&mut self, m: &Message) {
        for line in scope::spoken_lines(&m.text) {
            let clean: Vec<&str> = sentences(line)
                .into_iter()
                .filter(|s| !secret::holds_secret(s))
                .collect();
            for sentence in &clean {
                self.sentence(m, sentence);
            }
            if let Some(st) = statements::statement(line)
                && !secret::holds_secret(st.quote)
                && !secret::holds_secret(&st.text)
            {
                self.statement(m, st);
                continue;
            }
            for sentence in &clean {
                if let Some(rest) = correction(sentence) {
                    self.correction(m, rest);
                }
            }
        }
    }

    fn sentence(&mut self, m: &Message, sentence: &str) {
        let sentence = sentence.trim();
        if sentence.is_empty() {
            return;
        }
        let Some(quote) = Quote::of(m, sentence) else {
            return;
        };
        let question = sentence.ends_with('?') || sentence.ends_with('？');
        let said = stated::said(sentence);
        for command in said.forbidden.iter().cloned() {
            // The last word wins: what was stated before goes.
            self.stated
                .retain(|_, (stated, _, _)| !rules_out(&command, stated));
            self.forbidden.retain(|(f, _)| *f != command);
            self.forbidden.push((command, quote.clone()));
        }
        for (kind, command, contrast) in said.stated.iter().cloned() {
            self.forbidden
                .retain(|(f, _)| !rules_out(f, &command) && !rules_out(&command, f));
            self.stated
                .insert(kind, (command, contrast, vec![quote.clone()]));
        }
        if question {
            return;
        }
        // `we use pnpm, not npm`: a choice within a tool family.
        let choice = !said.unsure
            && said.positive.iter().any(|p| {
                crate::memory_doc::tool_family(p).is_some_and(|fam| {
                    self.forbidden
                        .iter()
                        .any(|(f, q)| *q == quote && crate::memory_doc::tool_family(f) == Some(fam))
                })
            });
        if choice {
            let text = sentence.trim_end_matches(['.', '。', '!', '！']);
            self.push_entry(
                "Notes",
                statements::capitalize_sentence(text),
                quote.clone(),
            );
        }
        let stated_here: Vec<&str> = said.stated.iter().map(|(_, c, _)| c.as_str()).collect();
        if !said.unsure
            && let Some((section, text)) = procedure::procedure(sentence, &stated_here)
        {
            self.push_entry(section, text, quote.clone());
        }
        if !said.unsure
            && !now::about_now(sentence)
            && let Some((role, url)) = url_fact::url_fact(sentence)
        {
            self.push_entry("Notes", format!("{role}: {url}"), quote.clone());
        }
        for path in forbidden_paths(sentence) {
            let bare = path.trim_end_matches('/').to_string();
            self.lifted.retain(|(p, _)| p.trim_end_matches('/') != bare);
            self.push_entry("Rules", forbidden_rule(&path), quote.clone());
        }
        for path in paths::lifted_paths(sentence) {
            let bare = path.trim_end_matches('/').to_string();
            self.entries.retain(|e| {
                !(e.section == "Rules"
                    && crate::memory_doc::paths(&e.text)
                        .iter()
                        .any(|p| p.trim_end_matches('/') == bare))
            });
            self.lifted.push((path, quote.clone()));
        }
    }

    fn statement(&mut self, m: &Message, st: statements::Statement) {
        // "Remember where we are", "下次再继续看": the task's state, not a fact.
        if now::about_now(st.quote) || now::about_now(&st.text) {
            return;
        }
        let Some(quote) = Quote::of(m, st.quote) else {
            return;
        };
        // Commands and forbidden paths in it are recorded as such.
        let about_commands = sentences(st.quote).into_iter().any(|s| {
            let said = stated::said(s);
            !said.stated.is_empty()
        });
        let repeats_a_rule = forbidden_paths(st.quote)
            .iter()
            .any(|p| st.text.contains(p.trim_end_matches('/')));
        if !about_commands && !repeats_a_rule {
            self.push_entry(st.section, st.text, quote);
        }
    }

    /// `actually, use pnpm`: replaces what this session said on the subject.
    fn correction(&mut self, m: &Message, rest: &str) {
        let rest = first_clause_sentence(rest);
        if char_len(rest) < 3 || rest.ends_with('?') || rest.ends_with('？') {
            return;
        }
        let Some(quote) = Quote::of(m, rest) else {
            return;
        };
        let section = if statements::is_prohibition(rest) {
            "Rules"
        } else {
            "Notes"
        };
        let text = statements::capitalize_sentence(rest);
        let replaced = |e: &Noted| {
            same_subject((e.section, &e.text), (section, &text))
                || crate::memory_doc::shared_tool_family(&e.text, &text)
        };
        if self.entries.iter().any(replaced) {
            self.entries.retain(|e| !replaced(e));
            self.push_entry(section, text, quote);
        }
    }

    /// Adds an entry; an earlier one on the same subject (or the same words) goes.
    fn push_entry(&mut self, section: &'static str, text: String, quote: Quote) {
        let key = crate::memory_doc::near_duplicate_key(&text);
        let mut evidence = vec![quote];
        self.entries.retain(|e| {
            let same = crate::memory_doc::near_duplicate_key(&e.text) == key;
            if same {
                evidence.extend(e.evidence.iter().cloned());
            }
            !same && !same_subject((e.section, &e.text), (section, &text))
        });
        evidence.dedup();
        self.entries.push(Noted {
            section,
            text,
            evidence,
        });
    }

    fn finish(mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        for kind in Kind::ALL {
            let (command, mut ruled_out, mut evidence, stated) =
                if let Some((command, contrast, evidence)) = self.stated.remove(&kind) {
                    (command, contrast, evidence, true)
                } else if let Some((command, evidence)) = self.observed.remove(&kind) {
                    (command, Vec::new(), evidence, false)
                } else {
                    continue;
                };
            if self.forbidden.iter().any(|(f, _)| rules_out(f, &command)) {
                continue;
            }
            for (f, quote) in &self.forbidden {
                let same_kind = commands::classify(f) == Some(kind);
                if same_kind && !ruled_out.contains(f) {
                    ruled_out.push(f.clone());
                }
                if ruled_out.contains(f) && !evidence.contains(quote) {
                    evidence.push(quote.clone());
                }
            }
            let mut finding = Finding::new(
                Candidate::Command {
                    kind,
                    command,
                    stated,
                },
                evidence,
            );
            finding.ruled_out = ruled_out;
            out.push(finding);
        }
        for (command, quote) in self.forbidden {
            out.push(Finding::new(
                Candidate::Retract {
                    section: "Commands",
                    about: command,
                },
                vec![quote],
            ));
        }
        for (path, quote) in self.lifted {
            out.push(Finding::new(
                Candidate::Retract {
                    section: "Rules",
                    about: path,
                },
                vec![quote],
            ));
        }
        for e in self.entries {
            out.push(Finding::new(
                Candidate::Entry {
                    section: e.section,
                    text: e.text,
                },
                e.evidence,
            ));
        }
        out
    }
}

/// The words after a correction marker opening a line, if it opens with one.
fn correction(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    let mut found = false;
    // Markers chain: `いや、やっぱり`, `no, actually`.
    while let Some(c) = CORRECTIONS
        .iter()
        .find(|c| rest.to_ascii_lowercase().starts_with(*c))
    {
        found = true;
        rest =
            rest[c.len()..].trim_start_matches([' ', ',', '，', '、', ':', '：', '。', '!', '！']);
    }
    found.then_some(rest)
}

/// The first sentence of `text`, trimmed.
fn first_clause_sentence(text: &str) -> &str {
    sentences(text).first().map_or("", |s| s.trim())
}

pub fn forbidden_rule(path: &str) -> String {
    format!("Do not modify `{path}` (the user said so)")
}

/// Sentences of a message: split at line ends, `。！？；`, and `. ! ?` followed by
/// whitespace, outside code spans.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut inside = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '`' {
            inside = !inside;
            continue;
        }
        let end = match c {
            '\n' => Some(i),
            '。' | '！' | '？' | '；' if !inside => Some(i + c.len_utf8()),
            '.' | '!' | '?' if !inside && iter.peek().is_none_or(|(_, n)| n.is_whitespace()) => {
                Some(i + 1)
            }
            _ => None,
        };
        if let Some(end) = end {
            if c == '\n' {
                inside = false;
            }
            out.push(&text[start..end]);
            start = if c == '\n' { i + 1 } else { end };
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

// ---------------------------------------------------------------------------
// Matching helpers

fn find_all<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    haystack.match_indices(needle).map(|(i, _)| i)
}

/// True when byte `at` starts a word (nothing alphanumeric right before it).
fn word_start(s: &str, at: usize) -> bool {
    !s[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// True when `before` ends at the start of a sentence or clause.
fn clause_start(before: &str) -> bool {
    let t = before.trim_end();
    let lower = t.to_ascii_lowercase();
    t.is_empty()
        // `Oh, and from now on ...`, `Also, from now on ...`: a joined clause.
        || [" and", " also", " but", " so", " oh", " btw"]
            .iter()
            .any(|w| lower.ends_with(w) || lower == w.trim_start())
        || t.ends_with(['.', '!', '?', ';', ':', ',', '(', '-'])
        || t.ends_with(['，', '。', '！', '？', '；', '：', '、'])
}

/// True when the words right before a trigger negate or question it
/// (`I don't remember that`, `do you remember that`).
fn negated_before(before: &str) -> bool {
    let tail: String = before
        .chars()
        .rev()
        .take(24)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let tail = tail.to_ascii_lowercase();
    ["n't ", "not ", "never ", "you ", "don’t "]
        .iter()
        .any(|w| tail.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message::new(Role::User, text)
    }

    fn call(args: &str) -> Message {
        let mut m = Message::new(Role::ToolCall, args);
        m.tool = Some("shell".into());
        m
    }

    fn output(text: &str, error: bool) -> Message {
        let mut m = Message::new(Role::ToolOutput, text);
        m.tool = Some("shell".into());
        m.error = error;
        m
    }

    /// The transcript with ids 1, 2, ... as the host numbers them.
    fn numbered(messages: &[Message]) -> Vec<Message> {
        messages
            .iter()
            .enumerate()
            .map(|(i, m)| Message {
                id: Some(i as u64 + 1),
                ..m.clone()
            })
            .collect()
    }

    /// What extraction finds, as it would read in `MEMORY.md` (`Section: text`),
    /// after checking that every finding quotes its messages verbatim.
    fn found(messages: &[Message]) -> Vec<String> {
        let messages = numbered(messages);
        let findings = extract(&messages, "/repo");
        for f in &findings {
            assert!(!f.evidence.is_empty(), "{f:?}");
            for q in &f.evidence {
                assert!(q.found_in(&messages), "{q:?} of {f:?}");
            }
        }
        findings.iter().map(Finding::describe).collect()
    }

    fn users(texts: &[&str]) -> Vec<String> {
        found(&texts.iter().map(|t| user(t)).collect::<Vec<_>>())
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn realistic_session() {
        let transcript = [
            user(
                "The parser test is flaky, please fix it. The test command is `make check`, \
                 and don't touch vendor/ while you're at it.",
            ),
            Message::new(Role::Assistant, "I'll look at the parser first."),
            call(r#"{"command":["bash","-lc","rg -n flaky src"],"workdir":"/repo"}"#),
            output("Exit code: 0\nOutput:\nsrc/parser.rs:10", false),
            call(
                r#"{"command":["bash","-lc","cargo test --workspace 2>&1 | tail -20"],"workdir":"/repo"}"#,
            ),
            output(
                "Exit code: 0\nWall time: 12s\nOutput:\ntest result: ok. 42 passed",
                false,
            ),
            call(r#"{"command":["bash","-lc","cargo build --release"],"workdir":"/repo"}"#),
            output("Exit code: 0\nOutput:\nFinished", false),
            call(r#"{"command":"npm run lint","description":"lint"}"#),
            output("Exit code: 0\nOutput:\nok", false),
            call(r#"{"command":"npm test","description":"Run tests"}"#),
            output("Exit code: 1\nOutput:\nnpm ERR! Test failed", true),
            Message::new(Role::Assistant, "Fixed: the parser now trims input."),
            user("Thanks. Also, do not modify the migrations folder."),
        ];
        assert_eq!(
            found(&transcript),
            strings(&[
                "Commands: Test: `make check`",
                "Commands: Build: `cargo build --release` (ran successfully)",
                "Commands: Lint: `npm run lint` (ran successfully)",
                "Rules: Do not modify `vendor/` (the user said so)",
                "Rules: Do not modify `migrations/` (the user said so)",
            ])
        );
    }

    #[test]
    fn observed_test_command_when_none_is_stated_and_failures_are_ignored() {
        let transcript = [
            user("fix the bug"),
            call(r#"{"command":"npm test","description":"Run tests"}"#),
            output("npm ERR! Test failed", true),
            call(r#"{"command":["bash","-lc","cargo test --workspace"],"workdir":"/repo"}"#),
            output("Exit code: 0\nOutput:\ntest result: ok", false),
            call(r#"{"command":["bash","-lc","cargo test -p core parse"],"workdir":"/repo"}"#),
            output("Exit code: 0\nOutput:\ntest result: ok", false),
            call(r#"{"command":["bash","-lc","pytest"],"workdir":"/repo"}"#),
            output("Exit code: 2\nOutput:\nerrors", false),
        ];
        assert_eq!(
            found(&transcript),
            ["Commands: Test: `cargo test --workspace` (ran successfully)"]
        );
    }

    #[test]
    fn a_call_without_output_or_interrupted_by_the_user_is_not_recorded() {
        let transcript = [
            call(r#"{"command":"cargo test"}"#),
            user("stop, wrong branch"),
            output("Exit code: 0", false),
        ];
        assert!(found(&transcript).is_empty());
    }

    #[test]
    fn newer_observed_command_of_a_kind_wins() {
        let transcript = [
            call(r#"{"command":"cargo test"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"cargo test --workspace"}"#),
            output("Exit code: 0", false),
        ];
        assert_eq!(
            found(&transcript),
            ["Commands: Test: `cargo test --workspace` (ran successfully)"]
        );
    }

    #[test]
    fn english_memory_statements() {
        let cases = [
            (
                "Remember that the staging DB listens on port 5433.",
                "Notes",
                "The staging DB listens on port 5433.",
            ),
            (
                "remember: CI runs on Node 20",
                "Notes",
                "CI runs on Node 20",
            ),
            (
                "Please remember to run `cargo fmt` before committing",
                "Notes",
                "Run `cargo fmt` before committing",
            ),
            (
                "Note for next time: the fixtures live in tests/data",
                "Notes",
                "The fixtures live in tests/data",
            ),
            (
                "OK. Next time, ask before adding a dependency",
                "Notes",
                "Ask before adding a dependency",
            ),
            (
                "From now on, never push to main directly",
                "Rules",
                "Never push to main directly",
            ),
            ("use pnpm from now on.", "Notes", "Use pnpm"),
            (
                "OK. The staging DB is on port 5433. Remember that.",
                "Notes",
                "The staging DB is on port 5433.",
            ),
            (
                "The staging server is https://stg.example.com — remember that.",
                "Notes",
                "The staging server is https://stg.example.com",
            ),
            (
                "please remember that you must not use unwrap in library code",
                "Rules",
                "You must not use unwrap in library code",
            ),
        ];
        for (text, section, entry) in cases {
            assert_eq!(
                memory_statements(text),
                [(section, entry.to_string())],
                "{text}"
            );
        }
        for text in [
            "do you remember that bug from yesterday?",
            "I don't remember that flag",
            "see you next time",
            "we can do it next time",
            "remember that?",
        ] {
            assert!(memory_statements(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn chinese_memory_statements_and_rules() {
        assert_eq!(
            memory_statements("记住这个：修改 proto 以后要跑 make gen"),
            [("Notes", "修改 proto 以后要跑 make gen".to_string())]
        );
        assert_eq!(
            memory_statements("记住：测试前要先启动本地数据库"),
            [("Notes", "测试前要先启动本地数据库".to_string())]
        );
        assert_eq!(
            memory_statements("请记住不要提交 .env 文件"),
            [("Rules", "不要提交 .env 文件".to_string())]
        );
        assert_eq!(
            memory_statements("好的。以后都用 pnpm 安装依赖"),
            [("Notes", "以后都用 pnpm 安装依赖".to_string())]
        );
        assert_eq!(
            memory_statements("下次别直接推到 main"),
            [("Rules", "下次别直接推到 main".to_string())]
        );
        assert!(memory_statements("修好以后再跑一遍").is_empty());
        assert!(memory_statements("好的，我记住了").is_empty());
        assert!(!statements::is_prohibition("这个特别重要，别的先不管"));
    }

    #[test]
    fn japanese_and_korean_memory_statements() {
        let cases = [
            (
                "ステージングの DB はポート 5433 だと覚えておいて",
                "Notes",
                "ステージングの DB はポート 5433 だ",
            ),
            (
                "覚えておいて：リリースは金曜日",
                "Notes",
                "リリースは金曜日",
            ),
            ("今後は pnpm を使って", "Notes", "今後は pnpm を使って"),
            (
                "了解。ステージングの DB は 5433 番です。覚えておいて。",
                "Notes",
                "ステージングの DB は 5433 番です",
            ),
            (
                "스테이징 DB 포트는 5433 이야. 기억해 줘.",
                "Notes",
                "스테이징 DB 포트는 5433 이야",
            ),
            ("Node v18.2 を使うと覚えて", "Notes", "Node v18.2 を使う"),
            (
                "main に直接 push しないでと覚えておいて",
                "Rules",
                "main に直接 push しないで",
            ),
            (
                "릴리스는 금요일에 한다고 기억해 줘",
                "Notes",
                "릴리스는 금요일에 한다",
            ),
            ("앞으로는 pnpm 을 써", "Notes", "앞으로는 pnpm 을 써"),
            (
                "앞으로는 main 에 직접 푸시하지 마",
                "Rules",
                "앞으로는 main 에 직접 푸시하지 마",
            ),
        ];
        for (text, section, entry) in cases {
            assert_eq!(
                memory_statements(text),
                [(section, entry.to_string())],
                "{text}"
            );
        }
        for text in ["覚えてる？", "기억해?", "それは覚えていない"] {
            assert!(memory_statements(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn forbidden_paths_in_four_languages() {
        let cases: [(&str, &[&str]); 21] = [
            ("don't touch vendor/", &["vendor/"]),
            ("please keep vendor/ untouched", &["vendor/"]),
            ("legacy/ is read-only", &["legacy/"]),
            ("vendor/ 目录是只读的", &["vendor/"]),
            ("legacy/ は凍結されています", &["legacy/"]),
            ("legacy/ 는 읽기 전용이야", &["legacy/"]),
            (
                "Please do not modify the migrations folder.",
                &["migrations/"],
            ),
            (
                "never edit generated/ or `proto/gen/`",
                &["generated/", "proto/gen/"],
            ),
            ("Don't ever change Cargo.lock by hand", &["Cargo.lock"]),
            ("do not touch anything in third_party/", &["third_party/"]),
            ("不要改 vendor/", &["vendor/"]),
            ("别动 xxx", &["xxx"]),
            ("禁止修改 migrations 目录", &["migrations/"]),
            ("migrations/ 目录不要动", &["migrations/"]),
            ("legacy/ は変更しないで", &["legacy/"]),
            ("`db/schema.sql` を編集するのは禁止", &["db/schema.sql"]),
            ("vendor ディレクトリは触らないで", &["vendor/"]),
            ("legacy/ 는 수정하지 마", &["legacy/"]),
            ("generated 폴더 건드리지 마세요", &["generated/"]),
            ("don't change it", &[]),
            ("don't touch the tests", &[]),
        ];
        for text in [
            "don't change 1.2.3 yet",
            "never edit e.g. files",
            "legacy/ is no longer frozen",
            "legacy/ 不再冻结了",
            "leave it to me, vendor/ is fine",
            "never commit to the `release/` branch directly",
            "这个函数不要改名",
        ] {
            assert!(forbidden_paths(text).is_empty(), "{text}");
        }
        for (text, paths) in cases {
            assert_eq!(forbidden_paths(text), paths, "{text}");
        }
    }

    #[test]
    fn a_statement_is_its_first_sentence() {
        assert_eq!(
            memory_statements("记住：发布前先跑 make release-check。不要改 migrations 目录"),
            [("Notes", "发布前先跑 make release-check".to_string())]
        );
        assert_eq!(
            memory_statements("Remember that ports, e.g. 5433, are fixed. Now fix the bug."),
            [("Notes", "Ports, e.g. 5433, are fixed.".to_string())]
        );
        assert_eq!(
            memory_statements("remember: run `make a. b` first! then go"),
            [("Notes", "Run `make a. b` first!".to_string())]
        );
    }

    #[test]
    fn chinese_rule_from_a_session() {
        let transcript = [
            user("记住：发布前先跑 make release-check"),
            user("不要改 vendor/ 下的文件，测试命令是 cargo test -p core"),
        ];
        assert_eq!(
            found(&transcript),
            strings(&[
                "Commands: Test: `cargo test -p core`",
                "Notes: 发布前先跑 make release-check",
                "Rules: Do not modify `vendor/` (the user said so)",
            ])
        );
    }

    /// The issue's cases and their kin: a command the user rules out is never the
    /// command, and may stand beside the one to use.
    #[test]
    fn polarity_decides_what_is_recorded() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["记住：这个仓库的测试命令是 make check-all ，不要用 cargo test 直接跑。"],
                &[
                    "Commands: Test: `make check-all` (not `cargo test`)",
                    "Commands: no longer holds for `cargo test`",
                ],
            ),
            (
                &["别用 go test 跑测试，测试用 mage test"],
                &[
                    "Commands: Test: `mage test` (not `go test`)",
                    "Commands: no longer holds for `go test`",
                ],
            ),
            (
                &["Don't run `cargo test` directly; the test command is `make check-all`."],
                &[
                    "Commands: Test: `make check-all` (not `cargo test`)",
                    "Commands: no longer holds for `cargo test`",
                ],
            ),
            (
                &["テストは cargo test ではなく make check-all で実行してください"],
                &[
                    "Commands: Test: `make check-all` (not `cargo test`)",
                    "Commands: no longer holds for `cargo test`",
                ],
            ),
            (
                &["빌드는 npm run build 말고 pnpm build 로 해"],
                &[
                    "Commands: Build: `pnpm build` (not `npm run build`)",
                    "Commands: no longer holds for `npm run build`",
                ],
            ),
            (
                &["Lint with ruff check . instead of flake8"],
                &[
                    "Commands: Lint: `ruff check .` (not `flake8`)",
                    "Commands: no longer holds for `flake8`",
                ],
            ),
            (
                &["pytest は使わないで"],
                &["Commands: no longer holds for `pytest`"],
            ),
        ];
        for (texts, expected) in cases {
            assert_eq!(users(texts), strings(expected), "{texts:?}");
        }
    }

    #[test]
    fn a_forbidden_command_is_not_recorded_even_when_it_ran() {
        for forbid in [
            "Don't run `cargo test`, it takes too long here.",
            "不要跑 cargo test",
            "cargo test は実行しないで",
            "cargo test 돌리지 마",
        ] {
            let transcript = [
                user(forbid),
                call(r#"{"command":"cargo test --workspace"}"#),
                output("Exit code: 0\nOutput:\ntest result: ok", false),
                call(r#"{"command":"cargo build"}"#),
                output("Exit code: 0", false),
            ];
            assert_eq!(
                found(&transcript),
                strings(&[
                    "Commands: Build: `cargo build` (ran successfully)",
                    "Commands: no longer holds for `cargo test`",
                ]),
                "{forbid}"
            );
        }
        // The observed alternative carries the ruled-out command beside it.
        let transcript = [
            user("stop using yarn"),
            call(r#"{"command":"yarn test"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"pnpm test"}"#),
            output("Exit code: 0", false),
        ];
        assert_eq!(
            found(&transcript),
            strings(&[
                "Commands: Test: `pnpm test` (ran successfully)",
                "Commands: no longer holds for `yarn`",
            ])
        );
    }

    #[test]
    fn the_last_word_wins() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &[
                    "The test command is `cargo test`.",
                    "Actually, don't use cargo test; the test command is `make check`.",
                ],
                &[
                    "Commands: Test: `make check` (not `cargo test`)",
                    "Commands: no longer holds for `cargo test`",
                ],
            ),
            (
                &["不要用 cargo nextest", "不对，测试命令是 cargo nextest run"],
                &["Commands: Test: `cargo nextest run`"],
            ),
            (
                &["记住：用 yarn 装依赖", "不对，以后用 pnpm，不要再用 yarn"],
                &[
                    "Commands: no longer holds for `yarn`",
                    "Rules: 以后用 pnpm，不要再用 yarn",
                ],
            ),
            (
                &["remember to use yarn for installs", "actually, use pnpm"],
                &["Notes: Use pnpm"],
            ),
            (
                &[
                    "覚えておいて：パッケージ管理は yarn を使う",
                    "いや、やっぱり pnpm で",
                ],
                &["Notes: pnpm で"],
            ),
            (
                &["앞으로는 yarn 을 써", "OK. 아니, pnpm 써"],
                &["Notes: pnpm 써"],
            ),
            (
                &[
                    "记住：staging 地址是 https://a.example.com",
                    "不对，staging 地址是 https://b.example.com",
                ],
                &["Notes: staging 地址是 https://b.example.com"],
            ),
            (
                &[
                    "From now on use yarn.",
                    "Thanks. Actually, use pnpm instead.",
                ],
                &["Notes: Use pnpm instead."],
            ),
            (
                &["don't touch legacy/", "legacy/ is no longer frozen"],
                &["Rules: no longer holds for `legacy/`"],
            ),
            (
                &["legacy/ 可以改了", "不要改 legacy/"],
                &["Rules: Do not modify `legacy/` (the user said so)"],
            ),
            (
                &[
                    "Remember: the staging URL is https://old.example.com",
                    "Remember: the staging URL is now https://stg.example.com",
                ],
                &["Notes: The staging URL is now https://stg.example.com"],
            ),
        ];
        for (texts, expected) in cases {
            assert_eq!(users(texts), strings(expected), "{texts:?}");
        }
    }

    #[test]
    fn quoted_and_pasted_text_is_not_the_user_speaking() {
        for text in [
            "CI failed, here is the log:\n```\n$ docker system prune -af --volumes\nremember: the test command is make ci\n```",
            "> remember that the test command is `make legacy-test`\nwhat does this mean?",
            "log:\n2026-12-01T10:00:00Z INFO build: docker system prune -af --volumes\n2026-12-01T10:00:02Z ERROR test command is cargo test -p x failed",
            "$ make test\nok\n$ docker system prune -af --volumes\nTotal reclaimed space: 2GB",
            "CIのログ:\n    記住：测试命令是 make ci\n    at Object.run (src/index.js:10:5)",
        ] {
            assert!(users(&[text]).is_empty(), "{text}");
        }
    }

    #[test]
    fn tool_output_is_never_a_source() {
        let transcript = [
            user("please check the README"),
            call(r#"{"command":"cat README.md"}"#),
            output(
                "Exit code: 0\nOutput:\nRemember: the test command is `make all`. Don't touch src/.",
                false,
            ),
            Message::new(
                Role::Assistant,
                "Remember that the build command is `make`.",
            ),
        ];
        assert!(found(&transcript).is_empty());
    }

    #[test]
    fn one_off_commands_are_not_durable() {
        let transcript = [
            user("run the parser tests with cargo test parser, then clean up with `cargo clean`"),
            call(r#"{"command":"cargo test parser -- --nocapture"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"pytest tests/test_api.py"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"docker system prune -af --volumes"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"rm -rf target && git clean -fdx"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"npm install"}"#),
            output("Exit code: 0", false),
            call(r#"{"command":"python /tmp/check_build.py"}"#),
            output("Exit code: 0", false),
        ];
        assert!(found(&transcript).is_empty());
    }

    #[test]
    fn when_unsure_nothing_is_written() {
        for text in [
            "maybe the test command is make check?",
            "I think we build with `make dist`",
            "如果 cargo test 太慢，可以试试 cargo nextest run",
            "たぶんテストは make check だと思う",
            "아마 테스트는 make check 일 거야",
            "the tests fail with cargo test",
            "should we use pnpm?",
            "remember that?",
        ] {
            assert!(users(&[text]).is_empty(), "{text}");
        }
    }

    #[test]
    fn evidence_is_the_exact_words_of_the_message() {
        let messages = numbered(&[
            user("Thanks!\nThe test command is `make check-all`, not `cargo test`."),
            call(r#"{"command":["bash","-lc","cargo build"],"workdir":"/repo"}"#),
            output("Exit code: 0", false),
        ]);
        let findings = extract(&messages, "/repo");
        let quotes: Vec<(u64, &str)> = findings
            .iter()
            .flat_map(|f| &f.evidence)
            .map(|q| (q.message_id, q.text.as_str()))
            .collect();
        assert_eq!(
            quotes,
            [
                (1, "The test command is `make check-all`, not `cargo test`."),
                (2, "cargo build"),
                (1, "The test command is `make check-all`, not `cargo test`."),
            ]
        );
        // Without ids there is nothing to cite.
        let bare: Vec<Message> = messages
            .iter()
            .map(|m| Message {
                id: None,
                ..m.clone()
            })
            .collect();
        assert!(
            extract(&bare, "/repo")
                .iter()
                .all(|f| f.evidence.is_empty())
        );
    }

    #[test]
    fn secret_looking_messages_are_skipped() {
        let transcript = [
            user("remember that the API key is sk-abcdefghijklmnopqrstuvwx"),
            user("remember that the token is [REDACTED:github-token]"),
            user("don't touch vendor/, my AWS id is AKIAABCDEFGHIJKLMNOP"),
        ];
        assert!(found(&transcript).is_empty());
    }

    #[test]
    fn long_statements_are_cut_at_a_sentence_or_dropped() {
        let long = format!(
            "Remember that the cache is per user. {}",
            "word ".repeat(100)
        );
        assert_eq!(
            memory_statements(&long),
            [("Notes", "The cache is per user.".to_string())]
        );
        let endless = format!("remember that {}", "x".repeat(400));
        assert!(memory_statements(&endless).is_empty());
    }

    #[test]
    fn duplicates_collapse() {
        let transcript = [
            user("don't touch vendor/"),
            user("again: don't touch vendor/"),
            user("remember that releases are cut on Fridays"),
            user("Remember that releases are cut on \"fridays\"!"),
        ];
        assert_eq!(found(&transcript).len(), 2);
    }

    #[test]
    fn remembering_the_task_at_hand_records_nothing() {
        for text in [
            "Remember where we are: the refactor of src/api/user.rs is half done, I'm off to lunch.",
            "Remember that we are looking at the flaky login test, pick it up tomorrow.",
            "今天先到这，下次再继续看 lexer 的内存问题。",
            "记住我们刚才看到 render 占了一半的时间。",
            "覚えておいて：明日の朝このブランチの続きをやります。",
            "メモして：今日は 15 時から会議なので、それまでにレビューして。",
            "기억해 둬요, 지금 보는 건 PAY-77 이슈예요.",
            "기억해 주세요, 오늘은 점심 전에 배포 리뷰가 있어요.",
        ] {
            assert_eq!(users(&[text]), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn a_test_run_of_part_of_the_suite_is_not_the_test_command() {
        let found = found(&[
            user("Please update legacy/auth.py to use the new helper."),
            call(r#"{"command":"sed -i 's/a/b/' legacy/auth.py && pytest -q legacy/"}"#),
            output("10 passed in 0.40s", false),
            call(r#"{"command":"cargo test parser::tests"}"#),
            output("test result: ok. 4 passed", false),
        ]);
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn a_message_holding_a_secret_still_yields_its_other_facts() {
        for (text, fact) in [
            (
                "Run `docker compose up -d db` before `make itest`. For the record, the password is [REDACTED:password] on the shared box.",
                "docker compose up -d db",
            ),
            (
                "数据库迁移用 `make migrate`。测试数据库的密码是 [REDACTED:password] ，迁移前要先连上。",
                "make migrate",
            ),
            (
                "DB は `docker compose up -d postgres` で起動してください。パスワードは Sakura-Pass-7781 です。",
                "docker compose up -d postgres",
            ),
            (
                "`infra/prod/` 는 절대 직접 수정하지 마세요. 참고로 배포 키는 [REDACTED:aws-key] 이고 시크릿은 [REDACTED:aws-secret] 예요.",
                "infra/prod",
            ),
        ] {
            let found = users(&[text]);
            assert!(found.iter().any(|f| f.contains(fact)), "{text}: {found:?}");
            for f in &found {
                assert!(
                    !f.contains("REDACTED") && !f.contains("Sakura") && !f.contains("密码"),
                    "{f}"
                );
            }
        }
    }

    #[test]
    fn a_task_target_named_by_a_kind_word_is_the_command_and_a_document_is_not() {
        for (text, entry) in [
            (
                "The build command is `make dist`. Read docs/BUILD.md and build.",
                "Build: `make dist`",
            ),
            (
                "构建命令是 `make package`。先看 scripts/setup.md 再构建。",
                "Build: `make package`",
            ),
            (
                "このリポジトリのビルドコマンドは `just bundle` です。",
                "Build: `just bundle`",
            ),
            (
                "이 저장소의 빌드 명령은 `make dist` 입니다. scripts/setup.md 를 읽고 빌드해 주세요.",
                "Build: `make dist`",
            ),
        ] {
            let found = users(&[text]);
            assert!(found.iter().any(|f| f.contains(entry)), "{text}: {found:?}");
            assert!(
                found.iter().all(|f| !f.contains(".md`")),
                "{text}: {found:?}"
            );
        }
    }

    #[test]
    fn a_chore_beside_a_stated_command_is_kept_with_it() {
        let found = users(&[
            "The integration tests need the database up first: run `docker compose up -d db` before `make itest`.",
        ]);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("Notes: ") && f.contains("docker compose up -d db")),
            "{found:?}"
        );
    }
}
