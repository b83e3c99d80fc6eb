//! The labelled sessions: one TOML file per session under `tests/eval/sessions/`
//! (the format is described in `tests/eval/README.md`), and the line matchers the
//! labels are written with.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One message of a session, as the client would have recorded it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Msg {
    pub user: Option<String>,
    pub assistant: Option<String>,
    /// A shell tool call; `exit` and `output` describe its result.
    pub shell: Option<String>,
    #[serde(default)]
    pub exit: i32,
    #[serde(default)]
    pub output: String,
}

/// Routine exchanges inserted after message `after`, to make a long session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filler {
    pub after: usize,
    pub count: usize,
}

/// A test on one line of `MEMORY.md`. The line matches when it holds every string
/// of `all`, at least one of `any` (when given) and none of `none`; `affirmed`
/// also requires the line to carry no negation ("not", "不要", "ない", "않" …), so
/// `Test: cargo test` matches while `do not run cargo test` does not.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub none: Vec<String>,
    #[serde(default)]
    pub affirmed: bool,
    /// The line must carry a negation (a rule that forbids something).
    #[serde(default)]
    pub negated: bool,
    /// Case-sensitive comparison (the default folds case).
    #[serde(default)]
    pub case: bool,
    /// For `forbid`: why such a line is wrong (`forbidden`, `superseded`, `pasted`,
    /// `injection`, `one-off`, `secret`, `invented`).
    pub kind: Option<String>,
    /// For `forbid`: the line a careless model writes (the runner checks that the
    /// matcher catches it).
    pub careless: Option<String>,
    /// For `expect`: false when the fact is only implied (not stated in words), so it
    /// does not count toward the recall of explicit facts.
    pub explicit: Option<bool>,
}

/// One memory operation of a scripted model answer; `evidence` holds quotes
/// without ids (the loopback server finds them in the prompt).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    pub op: String,
    pub section: Option<String>,
    pub old: Option<String>,
    pub text: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelAnswers {
    #[serde(default)]
    pub good: Vec<Op>,
    /// When absent, derived from `good` and the labels (see `careless_ops`).
    pub careless: Option<Vec<Op>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    #[serde(skip)]
    pub name: String,
    pub lang: String,
    #[serde(default = "codex")]
    pub client: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    pub durable: bool,
    /// Sessions of one series run in `order`, in one state home and one repository.
    pub series: Option<String>,
    #[serde(default)]
    pub order: u32,
    #[serde(rename = "msg")]
    pub msgs: Vec<Msg>,
    pub filler: Option<Filler>,
    #[serde(default)]
    pub expect: Vec<Matcher>,
    #[serde(default)]
    pub forbid: Vec<Matcher>,
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Nothing durable: `MEMORY.md` must be the same after the session.
    #[serde(default)]
    pub unchanged: bool,
    /// Exactly one line of `MEMORY.md` matches each of these (one current value).
    #[serde(default)]
    pub one_line: Vec<Matcher>,
    /// Superseded values that must be in `memory/refs/archive.md`.
    #[serde(default)]
    pub archived: Vec<String>,
    #[serde(default)]
    pub model: ModelAnswers,
}

fn codex() -> String {
    "codex".into()
}

pub const LANGS: [&str; 4] = ["en", "zh", "ja", "ko"];

pub fn sessions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/eval/sessions")
}

/// Every session file, sorted by name; a file that does not parse is an error
/// naming it.
pub fn load_all(dir: &Path) -> Result<Vec<Session>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

pub fn load(path: &Path) -> Result<Session, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s: Session = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    s.name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    Ok(s)
}

/// Words that turn a line into a prohibition or a contrast, per language. English
/// ones are matched as words, the others as substrings.
const NEGATION_WORDS: &[&str] = &[
    "not",
    "never",
    "don't",
    "dont",
    "avoid",
    "instead",
    "forbidden",
    "no longer",
    "rather than",
    "without",
    "stop using",
];
const NEGATION_CJK: &[&str] = &[
    "不要",
    "别",
    "不用",
    "禁止",
    "不能",
    "勿",
    "不再",
    "而不是",
    "不是",
    "不准",
    "ない",
    "ず、",
    "ではなく",
    "じゃなく",
    "禁止",
    "不可",
    "ダメ",
    "やめ",
    "않",
    "말고",
    "말 것",
    "금지",
    "마세요",
    "대신",
    "말라",
    "마라",
    "지 마",
];

/// Lower-cased (unless `case`), whitespace runs made one space.
pub fn fold(text: &str, case: bool) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if case { joined } else { joined.to_lowercase() }
}

fn has_word(hay: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    hay.match_indices(word).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

pub fn negated(line: &str) -> bool {
    let l = fold(line, false).replace('’', "'");
    NEGATION_WORDS.iter().any(|w| has_word(&l, w)) || NEGATION_CJK.iter().any(|w| l.contains(w))
}

impl Matcher {
    pub fn matches(&self, line: &str) -> bool {
        let l = fold(line, self.case);
        let f = |s: &String| fold(s, self.case);
        if self.all.is_empty() && self.any.is_empty() {
            return false;
        }
        self.all.iter().all(|s| l.contains(&f(s)))
            && (self.any.is_empty() || self.any.iter().any(|s| l.contains(&f(s))))
            && !self.none.iter().any(|s| l.contains(&f(s)))
            && !(self.affirmed && negated(line))
            && (!self.negated || negated(line))
    }

    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("wrong")
    }

    pub fn is_explicit(&self) -> bool {
        self.explicit.unwrap_or(true)
    }

    /// A short description for failure lists.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.all.is_empty() {
            parts.push(format!("all{:?}", self.all));
        }
        if !self.any.is_empty() {
            parts.push(format!("any{:?}", self.any));
        }
        if !self.none.is_empty() {
            parts.push(format!("none{:?}", self.none));
        }
        if self.affirmed {
            parts.push("affirmed".into());
        }
        if self.negated {
            parts.push("negated".into());
        }
        parts.join(" ")
    }
}

impl Session {
    /// Every text of the session (for checking that quotes and secrets are in it).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.msgs.iter().flat_map(|m| {
            [&m.user, &m.assistant, &m.shell]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .chain(std::iter::once(m.output.as_str()))
        })
    }

    /// Whether a line about this session's topic replaces an earlier one.
    pub fn corrects(&self) -> bool {
        self.forbid.iter().any(|f| f.kind() == "superseded")
    }
}
