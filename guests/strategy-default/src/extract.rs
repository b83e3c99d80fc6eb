//! Deterministic extraction: what a transcript says worth keeping, without a model.
//!
//! - explicit memory statements of the user (`remember that ...`, `from now on ...`,
//!   `记住...`, `以后...`) become `Notes` entries, or `Rules` when they forbid something;
//! - forbidden paths (`don't touch vendor/`, `不要改 vendor/`) become `Rules` entries;
//! - test/build/lint/format/check commands the user states, or that a shell tool
//!   call ran successfully, become `Commands` entries (a stated one wins).
//!
//! A message that looks like it holds a secret is skipped entirely, and no entry
//! is longer than [`MAX_ENTRY_CHARS`].

mod polarity;
mod scope;

use std::collections::{BTreeMap, VecDeque};

use crate::commands::{self, Invocation, Kind};
use crate::session::{Message, Role};
use crate::text::{capitalize_first, char_len, looks_secret, normalize};

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
        }
    }
}

pub fn extract(messages: &[Message], cwd: &str) -> Vec<Candidate> {
    let mut stated: BTreeMap<Kind, String> = BTreeMap::new();
    let mut observed: BTreeMap<Kind, String> = BTreeMap::new();
    let mut entries: Vec<(&'static str, String)> = Vec::new();
    let mut pending: VecDeque<Option<Invocation>> = VecDeque::new();

    for m in messages {
        match m.role {
            Role::User => {
                pending.clear();
                if looks_secret(&m.text) {
                    continue;
                }
                for (kind, command) in stated_commands(&m.text) {
                    stated.insert(kind, command);
                }
                let forbidden = forbidden_paths(&m.text);
                for path in &forbidden {
                    entries.push(("Rules", forbidden_rule(path)));
                }
                for (section, text) in memory_statements(&m.text) {
                    let repeats_a_rule = forbidden.iter().any(|p| text.contains(p.as_str()));
                    let states_a_command = !stated_commands(&text).is_empty();
                    if !repeats_a_rule && !states_a_command {
                        entries.push((section, text));
                    }
                }
            }
            Role::ToolCall => {
                let call = commands::shell_invocation(m.tool.as_deref(), &m.text)
                    .filter(|_| !m.error && !looks_secret(&m.text));
                pending.push_back(call);
            }
            Role::ToolOutput => {
                let Some(Some(call)) = pending.pop_front() else {
                    continue;
                };
                if !commands::succeeded(m.error, &m.text) {
                    continue;
                }
                for (kind, command) in
                    commands::recognize(&call.script, call.workdir.as_deref(), cwd)
                {
                    if char_len(&command) <= MAX_COMMAND_CHARS {
                        observed.insert(kind, command);
                    }
                }
            }
            Role::Assistant | Role::Other => {}
        }
    }

    let mut out = Vec::new();
    for kind in Kind::ALL {
        if let Some(command) = stated.remove(&kind) {
            out.push(Candidate::Command {
                kind,
                command,
                stated: true,
            });
        } else if let Some(command) = observed.remove(&kind) {
            out.push(Candidate::Command {
                kind,
                command,
                stated: false,
            });
        }
    }
    let mut seen = Vec::new();
    for (section, text) in entries {
        let key = normalize(&text);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(Candidate::Entry { section, text });
        }
    }
    out
}

pub fn forbidden_rule(path: &str) -> String {
    format!("Do not modify `{path}` (the user said so)")
}

// ---------------------------------------------------------------------------
// Explicit memory statements

enum Place {
    /// Anywhere after a word boundary.
    Anywhere,
    /// At the start of a sentence or clause.
    ClauseStart,
    /// At the start of a clause (the payload follows) or at its end (the payload
    /// is the clause before: `use pnpm from now on.`).
    ClauseEdge,
}

/// English triggers; the payload follows the trigger.
const EN_TRIGGERS: [(&str, Place); 15] = [
    ("please remember that ", Place::Anywhere),
    ("please remember to ", Place::Anywhere),
    ("please remember:", Place::Anywhere),
    ("please remember ", Place::Anywhere),
    ("remember that ", Place::Anywhere),
    ("remember:", Place::Anywhere),
    ("remember to ", Place::Anywhere),
    ("note for next time:", Place::Anywhere),
    ("note for next time,", Place::Anywhere),
    ("for next time:", Place::Anywhere),
    ("next time,", Place::ClauseStart),
    ("next time ", Place::ClauseStart),
    ("from now on", Place::ClauseEdge),
    ("going forward", Place::ClauseEdge),
    ("in the future,", Place::ClauseStart),
];

/// Chinese triggers and whether the trigger word stays in the entry.
const ZH_TRIGGERS: [(&str, bool, Place); 6] = [
    ("请记住", false, Place::Anywhere),
    ("记住", false, Place::Anywhere),
    ("从现在开始", true, Place::ClauseStart),
    ("以后", true, Place::ClauseStart),
    ("今后", true, Place::ClauseStart),
    ("下次", true, Place::ClauseStart),
];

/// `(section, entry text)` for each line of a user message that asks to remember something.
pub fn memory_statements(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(payload) = english_statement(line).or_else(|| chinese_statement(line)) else {
            continue;
        };
        let payload = first_sentence(&payload);
        let payload = payload.trim().trim_end_matches([',', '，']).trim();
        if payload.ends_with('?') || payload.ends_with('？') || char_len(payload) < 3 {
            continue;
        }
        let Some(payload) = bounded(payload) else {
            continue;
        };
        let section = if is_prohibition(&payload) {
            "Rules"
        } else {
            "Notes"
        };
        out.push((section, capitalize_first(&payload)));
    }
    out
}

fn english_statement(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for (trigger, place) in &EN_TRIGGERS {
        let found = find_all(&lower, trigger).find(|&at| {
            let after = &lower[at + trigger.len()..];
            word_start(&lower, at)
                && match place {
                    Place::Anywhere => !negated_before(&lower[..at]),
                    Place::ClauseStart => clause_start(&lower[..at]),
                    Place::ClauseEdge => {
                        !after.starts_with(|c: char| c.is_ascii_alphanumeric())
                            && (clause_start(&lower[..at]) || clause_end(after))
                    }
                }
        });
        if let Some(at) = found
            && best.is_none_or(|(b, t)| at < b || (at == b && trigger.len() > t.len()))
        {
            best = Some((at, *trigger));
        }
    }
    let (at, trigger) = best?;
    let rest = line[at + trigger.len()..].trim_start_matches([' ', ':', ',', '-']);
    if !clause_end(rest) {
        return Some(rest.trim().to_string());
    }
    // `use pnpm from now on.`: the clause before the trigger is the payload.
    if trigger == "from now on" || trigger == "going forward" {
        let before = line[..at].trim_end().trim_end_matches(',').trim_end();
        let start = before.rfind(['.', '!', '?', ';']).map_or(0, |i| i + 1);
        let clause = before[start..].trim();
        return (!clause.is_empty()).then(|| clause.to_string());
    }
    None
}

/// True when `after` holds nothing but closing punctuation before the clause ends.
fn clause_end(after: &str) -> bool {
    after
        .trim()
        .chars()
        .next()
        .is_none_or(|c| matches!(c, '.' | '!' | ';' | ')' | '。' | '！'))
}

fn chinese_statement(line: &str) -> Option<String> {
    let mut best: Option<(usize, &str, bool)> = None;
    for (trigger, keep, place) in &ZH_TRIGGERS {
        let found = find_all(line, trigger).find(|&at| match place {
            Place::Anywhere => !line[at + trigger.len()..].starts_with('了'),
            Place::ClauseStart | Place::ClauseEdge => clause_start(&line[..at]),
        });
        if let Some(at) = found
            && best.is_none_or(|(b, t, _)| at < b || (at == b && trigger.len() > t.len()))
        {
            best = Some((at, *trigger, *keep));
        }
    }
    let (at, trigger, keep) = best?;
    let rest = line[at + trigger.len()..].trim_start_matches([' ', ':', '：', ',', '，', '、']);
    if rest.trim().is_empty() {
        return None;
    }
    Some(if keep {
        format!("{trigger}{}", rest.trim())
    } else {
        rest.trim().to_string()
    })
}

/// The first sentence of a statement: up to `。！？；` (dropped) or `. ! ?` followed
/// by whitespace (kept), outside code spans; `e.g.` and `i.e.` do not end it.
fn first_sentence(text: &str) -> &str {
    let mut inside = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match c {
            '`' => inside = !inside,
            '。' | '！' | '？' | '；' if !inside => return &text[..i],
            '.' | '!' | '?'
                if !inside
                    && iter.peek().is_some_and(|(_, n)| n.is_whitespace())
                    && !text[..i].ends_with("e.g")
                    && !text[..i].ends_with("i.e") =>
            {
                return &text[..=i];
            }
            _ => {}
        }
    }
    text
}

/// The payload within [`MAX_ENTRY_CHARS`]: cut after the last sentence that fits,
/// or `None` when not even the first one does.
fn bounded(payload: &str) -> Option<String> {
    if char_len(payload) <= MAX_ENTRY_CHARS {
        return Some(payload.to_string());
    }
    let head: String = payload.chars().take(MAX_ENTRY_CHARS).collect();
    let cut = head
        .char_indices()
        .filter(|(i, c)| {
            matches!(c, '。' | '！' | '；')
                || (matches!(c, '.' | '!' | ';') && head[i + 1..].starts_with(char::is_whitespace))
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back()?;
    let kept = head[..cut].trim();
    (char_len(kept) >= 10).then(|| kept.to_string())
}

fn is_prohibition(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let english = [
        "don't", "don’t", "dont ", "do not", "never", "must not", "mustn't",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let chinese = ["不要", "禁止", "不准", "不许", "请勿"]
        .iter()
        .any(|w| text.contains(w))
        || bie_positions(text).next().is_some();
    english || chinese
}

/// Where `别` means "don't" rather than being part of a word like 特别 or 别的.
fn bie_positions(text: &str) -> impl Iterator<Item = usize> + '_ {
    find_all(text, "别").filter(move |&at| {
        let prev = text[..at].chars().next_back();
        let next = text[at + '别'.len_utf8()..].chars().next();
        !prev.is_some_and(|p| "特区分类识个级差告性派判鉴辨送离道".contains(p))
            && !next.is_some_and(|n| "的人处".contains(n))
    })
}

// ---------------------------------------------------------------------------
// Forbidden paths

const EN_NEGATIONS: [&str; 10] = [
    "don't ",
    "don’t ",
    "dont ",
    "do not ",
    "never ",
    "must not ",
    "mustn't ",
    "should not ",
    "shouldn't ",
    "not allowed to ",
];

const EN_VERBS: [&str; 16] = [
    "touch ",
    "modify ",
    "edit ",
    "change ",
    "alter ",
    "write to ",
    "write ",
    "mess with ",
    "delete ",
    "remove ",
    "rename ",
    "update ",
    "commit to ",
    "reformat ",
    "rewrite ",
    "regenerate ",
];

const EN_FILLERS: [&str; 16] = [
    "ever again ",
    "ever ",
    "again ",
    "anything in ",
    "anything under ",
    "anything inside ",
    "any files in ",
    "any file in ",
    "files in ",
    "files under ",
    "the files in ",
    "the contents of ",
    "any of ",
    "the ",
    "in ",
    "under ",
];

const FOLDER_WORDS: [&str; 5] = ["folder", "directory", "dir", "folders", "directories"];

const NOT_PATHS: [&str; 18] = [
    "it",
    "this",
    "that",
    "these",
    "those",
    "them",
    "anything",
    "everything",
    "any",
    "stuff",
    "files",
    "file",
    "code",
    "tests",
    "things",
    "other",
    "my",
    "your",
];

/// The paths a user message forbids touching, as written (`vendor/`, `Cargo.lock`);
/// a word followed by "folder"/"directory"/目录 gets a trailing `/`.
pub fn forbidden_paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |p: String| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    let lower = text.to_ascii_lowercase();
    for negation in EN_NEGATIONS {
        for at in find_all(&lower, negation) {
            if !word_start(&lower, at) {
                continue;
            }
            let mut i = at + negation.len();
            i = skip_words(&lower, i, &["ever again ", "ever ", "again ", "you "]);
            let Some(verb) = EN_VERBS.iter().find(|v| lower[i..].starts_with(*v)) else {
                continue;
            };
            i += verb.len();
            loop {
                i = skip_words(&lower, i, &EN_FILLERS);
                let Some((path, end)) = english_object(text, i) else {
                    break;
                };
                push(path);
                // `vendor/ or generated/`, `a/, b/ and c/`
                let rest = &lower[end..];
                let sep = [", and ", ", or ", " and ", " or ", " nor ", ", "]
                    .iter()
                    .find(|s| rest.starts_with(*s));
                match sep {
                    Some(s) => i = end + s.len(),
                    None => break,
                }
            }
        }
    }
    for path in chinese_forbidden(text) {
        push(path);
    }
    out
}

fn skip_words(lower: &str, mut i: usize, words: &[&str]) -> usize {
    while let Some(w) = words.iter().find(|w| lower[i..].starts_with(*w)) {
        i += w.len();
    }
    i
}

/// The path at byte `i` and the byte after it (and its folder word): a code span,
/// or a word with a `/` or a dot, or a word followed by "folder"/"directory".
fn english_object(text: &str, i: usize) -> Option<(String, usize)> {
    let rest = &text[i..];
    let (token, mut end, backticked) = if let Some(body) = rest.strip_prefix('`') {
        let close = body.find('`')?;
        (body[..close].to_string(), i + close + 2, true)
    } else {
        let len = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | '!' | '?' | ')' | '，' | '。')
            })
            .unwrap_or(rest.len());
        let raw = &rest[..len];
        let token = raw
            .trim_end_matches(['.', ':', '\'', '"'])
            .trim_start_matches(['\'', '"', '(']);
        (token.to_string(), i + len, false)
    };
    if token.is_empty() || token.contains(char::is_whitespace) || char_len(&token) > 120 {
        return None;
    }
    let after = text[end..].to_ascii_lowercase();
    let after_word = after.trim_start();
    let folder = FOLDER_WORDS.iter().find(|w| {
        after_word.starts_with(*w)
            && !after_word[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
    });
    if let Some(w) = folder {
        end += after.len() - after_word.len() + w.len();
    }
    let lower = token.to_ascii_lowercase();
    // A file name: `Cargo.lock`, `.env.example`; not `1.2.3` nor `e.g`.
    let dotted = token.contains('.')
        && !token.contains("..")
        && token.rsplit('.').next().is_some_and(|ext| {
            ext.len() >= 2
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
        });
    let path_like = backticked || token.contains('/') || dotted || folder.is_some();
    if !path_like || (!backticked && NOT_PATHS.contains(&lower.as_str())) {
        return None;
    }
    let mut path = token;
    if folder.is_some() && !path.ends_with('/') {
        path.push('/');
    }
    Some((path, end))
}

const ZH_NEGATIONS: [&str; 6] = ["不要", "禁止", "不准", "不许", "请勿", "勿"];
const ZH_VERBS: [&str; 10] = [
    "修改", "改动", "更改", "编辑", "删除", "碰", "动", "改", "删", "写",
];

fn chinese_forbidden(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut starts: Vec<(usize, usize)> = ZH_NEGATIONS
        .iter()
        .flat_map(|n| find_all(text, n).map(move |at| (at, n.len())))
        .collect();
    starts.extend(bie_positions(text).map(|at| (at, '别'.len_utf8())));
    starts.sort_unstable();
    for (at, len) in starts {
        let rest = &text[at + len..];
        let Some(verb) = ZH_VERBS.iter().find(|v| rest.starts_with(*v)) else {
            continue;
        };
        let mut rest = rest[verb.len()..].trim_start();
        for filler in ["任何", "一下", "到"] {
            rest = rest.strip_prefix(filler).unwrap_or(rest).trim_start();
        }
        let (token, after) = if let Some(body) = rest.strip_prefix('`') {
            let Some(close) = body.find('`') else {
                continue;
            };
            (&body[..close], &body[close + 1..])
        } else {
            let len = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '~' | '*'))
                })
                .unwrap_or(rest.len());
            (&rest[..len], &rest[len..])
        };
        let token = token.trim_end_matches('.');
        if token.is_empty() || token.contains(char::is_whitespace) || char_len(token) > 120 {
            continue;
        }
        let after = after.trim_start();
        let folder = ["目录", "文件夹", "下"]
            .iter()
            .any(|w| after.starts_with(w));
        let mut path = token.to_string();
        if folder && !path.ends_with('/') {
            path.push('/');
        }
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Stated commands

const KIND_WORDS: [(&str, Kind); 13] = [
    ("test", Kind::Test),
    ("build", Kind::Build),
    ("lint", Kind::Lint),
    ("format", Kind::Format),
    ("fmt", Kind::Format),
    ("typecheck", Kind::Check),
    ("type-check", Kind::Check),
    ("type check", Kind::Check),
    ("测试", Kind::Test),
    ("构建", Kind::Build),
    ("编译", Kind::Build),
    ("格式化", Kind::Format),
    ("类型检查", Kind::Check),
];

const CUES: [&str; 14] = [
    " is ", " are ", ":", " with ", " using ", " via ", " run ", " use ", "是", "：", "用", "跑",
    "执行", "运行",
];

/// `(kind, command)` for each sentence of a user message stating how to test,
/// build, lint, format or type-check (`the test command is `make check``,
/// `run tests with cargo test -p foo`, `to build, run npm run build`, `测试命令是 make check`).
pub fn stated_commands(text: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for sentence in sentences(text) {
        let sentence = sentence.trim();
        if sentence.ends_with('?') || sentence.ends_with('？') {
            continue;
        }
        if let Some(found) = stated_command(sentence) {
            out.push(found);
        }
    }
    out
}

fn stated_command(sentence: &str) -> Option<(Kind, String)> {
    // Keywords and cues are looked for outside code spans, in ASCII lower case
    // (which keeps byte offsets).
    let blanked = blank_code_spans(sentence).to_ascii_lowercase();
    let (kind_at, kind_len, kind) = KIND_WORDS
        .iter()
        .filter_map(|(w, k)| {
            find_all(&blanked, w)
                .find(|&at| !w.is_ascii() || word_start(&blanked, at))
                .map(|at| (at, w.len(), *k))
        })
        .min_by_key(|(at, _, _)| *at)?;

    if let Some((span_at, span)) = code_spans(sentence)
        .into_iter()
        .find(|(_, s)| commands::plausible(s))
    {
        let says_command = blanked.contains("command") || blanked.contains("命令");
        let recognized = commands::classify(&span).is_some() || commands::is_path_like(&span);
        if (recognized || says_command) && !negated_before(&blanked[..span_at]) {
            return Some((kind, span));
        }
        return None;
    }

    let after = kind_at + kind_len;
    let mut cues: Vec<(usize, usize)> = CUES
        .iter()
        .flat_map(|c| find_all(&blanked[after..], c).map(move |at| (after + at, c.len())))
        .collect();
    cues.sort_unstable();
    for (at, len) in cues {
        if negated_before(&blanked[..at]) {
            return None;
        }
        let candidate = cut_clause(&sentence[at + len..]);
        if commands::plausible(&candidate)
            && (commands::classify(&candidate).is_some() || commands::is_path_like(&candidate))
        {
            return Some((kind, candidate));
        }
    }
    None
}

/// The command at the start of `s`: up to a clause break, without closing punctuation.
fn cut_clause(s: &str) -> String {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let mut end = s.len();
    for stop in [
        ", ",
        " and ",
        " then ",
        " before ",
        " after ",
        " to ",
        " (",
        " if ",
        " when ",
        " so ",
        " because ",
        " instead",
        "，",
        "。",
        "；",
    ] {
        if let Some(i) = lower.find(stop) {
            end = end.min(i);
        }
    }
    s[..end]
        .trim()
        .trim_end_matches(['.', ',', ';', ':', '!'])
        .trim()
        .to_string()
}

fn code_spans(s: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = s[rest..].find('`') {
        let start = rest + open + 1;
        let Some(close) = s[start..].find('`') else {
            break;
        };
        let body = s[start..start + close].trim();
        if !body.is_empty() {
            out.push((start - 1, body.to_string()));
        }
        rest = start + close + 1;
    }
    out
}

/// `s` with the contents of code spans replaced by spaces (same byte length).
fn blank_code_spans(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut inside = false;
    for c in s.chars() {
        if c == '`' {
            inside = !inside;
            out.push(c);
        } else if inside {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
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
    t.is_empty()
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
    use crate::session::Message;

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

    fn command(kind: Kind, cmd: &str, stated: bool) -> Candidate {
        Candidate::Command {
            kind,
            command: cmd.into(),
            stated,
        }
    }

    fn entry(section: &'static str, text: &str) -> Candidate {
        Candidate::Entry {
            section,
            text: text.into(),
        }
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
        let found = extract(&transcript, "/repo");
        assert_eq!(
            found,
            [
                command(Kind::Test, "make check", true),
                command(Kind::Build, "cargo build --release", false),
                command(Kind::Lint, "npm run lint", false),
                entry("Rules", "Do not modify `vendor/` (the user said so)"),
                entry("Rules", "Do not modify `migrations/` (the user said so)"),
            ]
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
            extract(&transcript, "/repo"),
            [command(Kind::Test, "cargo test --workspace", false)]
        );
    }

    #[test]
    fn a_call_without_output_or_interrupted_by_the_user_is_not_recorded() {
        let transcript = [
            call(r#"{"command":"cargo test"}"#),
            user("stop, wrong branch"),
            output("Exit code: 0", false),
        ];
        assert!(extract(&transcript, "/repo").is_empty());
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
            extract(&transcript, "/repo"),
            [command(Kind::Test, "cargo test --workspace", false)]
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
        assert!(!is_prohibition("这个特别重要，别的先不管"));
    }

    #[test]
    fn forbidden_paths_in_english_and_chinese() {
        let cases: [(&str, &[&str]); 10] = [
            ("don't touch vendor/", &["vendor/"]),
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
            ("don't change it", &[]),
            ("don't touch the tests", &[]),
        ];
        for text in ["don't change 1.2.3 yet", "never edit e.g. files"] {
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
            extract(&transcript, "/repo"),
            [
                command(Kind::Test, "cargo test -p core", true),
                entry("Notes", "发布前先跑 make release-check"),
                entry("Rules", "Do not modify `vendor/` (the user said so)"),
            ]
        );
    }

    #[test]
    fn stated_commands_in_several_phrasings() {
        let cases: [(&str, Option<(Kind, &str)>); 10] = [
            (
                "the test command is `make check`",
                Some((Kind::Test, "make check")),
            ),
            (
                "Run tests with cargo test -p foo.",
                Some((Kind::Test, "cargo test -p foo")),
            ),
            (
                "to build, run npm run build",
                Some((Kind::Build, "npm run build")),
            ),
            ("测试命令是 make check", Some((Kind::Test, "make check"))),
            (
                "lint with `./scripts/lint.sh` please",
                Some((Kind::Lint, "./scripts/lint.sh")),
            ),
            (
                "use `cargo nextest run` to run the tests",
                Some((Kind::Test, "cargo nextest run")),
            ),
            ("what is the test command?", None),
            ("don't run tests with cargo test, use make check", None),
            ("the test is about the parser", None),
            ("I renamed the `parse` test", None),
        ];
        for (text, expected) in cases {
            let got = stated_commands(text);
            let expected: Vec<(Kind, String)> = expected
                .into_iter()
                .map(|(k, c)| (k, c.to_string()))
                .collect();
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn secret_looking_messages_are_skipped() {
        let transcript = [
            user("remember that the API key is sk-abcdefghijklmnopqrstuvwx"),
            user("remember that the token is [REDACTED:github-token]"),
            user("don't touch vendor/, my AWS id is AKIAABCDEFGHIJKLMNOP"),
        ];
        assert!(extract(&transcript, "/repo").is_empty());
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
            user("Remember that releases are cut on fridays"),
        ];
        assert_eq!(extract(&transcript, "/repo").len(), 2);
    }
}
