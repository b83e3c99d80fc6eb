//! Test, build, lint, format and type-check commands a user states in a
//! sentence, and the commands the sentence rules out.
//!
//! A command is stated when the sentence names its kind (`test`, `测试`, `テスト`,
//! `테스트`) or sets it against a ruled-out command of the same kind (`use make
//! check, not cargo test`). Questions, guesses, conditions, failure reports and
//! one-off runs state nothing.

use super::polarity::{Mention, mentions};
use crate::commands::{self, Kind};
use crate::text::char_len;

const MAX_COMMAND_CHARS: usize = 200;

const KIND_WORDS: [(&str, Kind); 25] = [
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
    ("テスト", Kind::Test),
    ("ビルド", Kind::Build),
    ("リント", Kind::Lint),
    ("フォーマット", Kind::Format),
    ("整形", Kind::Format),
    ("型チェック", Kind::Check),
    ("테스트", Kind::Test),
    ("빌드", Kind::Build),
    ("린트", Kind::Lint),
    ("포맷", Kind::Format),
    ("타입 체크", Kind::Check),
    ("타입체크", Kind::Check),
];

/// Words that make a sentence a guess, a suggestion or a condition.
const UNSURE: [&str; 29] = [
    "maybe",
    "perhaps",
    "might",
    "not sure",
    "i think",
    "i guess",
    "probably",
    "try ",
    "if ",
    "unless ",
    "whether",
    "也许",
    "可能",
    "好像",
    "大概",
    "不确定",
    "如果",
    "要是",
    "的话",
    "试试",
    "かも",
    "たぶん",
    "多分",
    "もし",
    "場合",
    "아마",
    "것 같",
    "혹시",
    "만약",
];

/// Words reporting that something went wrong, in the clause of a mention.
const FAILURE: [&str; 20] = [
    "fail",
    "error",
    "crash",
    "flaky",
    "slow",
    "hang",
    "timed out",
    "失败",
    "报错",
    "挂了",
    "太慢",
    "失敗",
    "エラー",
    "落ち",
    "遅い",
    "실패",
    "에러",
    "오류",
    "느려",
    "깨져",
];

/// What one sentence says about commands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Said {
    /// `(kind, command, commands of the same kind ruled out beside it)`.
    pub stated: Vec<(Kind, String, Vec<String>)>,
    /// Commands the sentence rules out.
    pub forbidden: Vec<String>,
    /// Commands mentioned and not ruled out.
    pub positive: Vec<String>,
    /// The sentence guesses, suggests or sets a condition.
    pub unsure: bool,
}

/// What a sentence states and rules out.
pub fn said(sentence: &str) -> Said {
    let sentence = sentence.trim();
    let mut out = Said::default();
    if sentence.ends_with('?') || sentence.ends_with('？') {
        return out;
    }
    let found = mentions(sentence);
    let lower = sentence.to_lowercase();
    out.unsure = UNSURE.iter().any(|w| contains_word(&lower, w));
    out.positive = found
        .iter()
        .filter(|m| !m.negated)
        .map(|m| m.command.clone())
        .collect();
    // A guess or a condition (`if you don't run make setup, ...`) rules out
    // nothing either.
    if out.unsure {
        return out;
    }
    out.forbidden = found
        .iter()
        .filter(|m| m.negated)
        .map(|m| m.command.clone())
        .collect();
    let blanked = blank(sentence, &found);
    let kind_words = kind_words(&blanked);
    for m in found.iter().filter(|m| !m.negated) {
        if let Some(stated) = stated_one(sentence, &blanked, &found, m, &kind_words) {
            out.stated.push(stated);
        }
    }
    out
}

fn stated_one(
    sentence: &str,
    blanked: &str,
    found: &[Mention],
    m: &Mention,
    kind_words: &[(usize, Kind)],
) -> Option<(Kind, String, Vec<String>)> {
    let command = m.command.trim();
    if char_len(command) > MAX_COMMAND_CHARS
        || commands::is_one_off(command)
        || crate::text::looks_secret(command)
    {
        return None;
    }
    let class = commands::classify(command);
    // `빌드 명령은 `make dist``: a task target named by a kind word.
    if class.is_none() && !commands::is_path_like(command) && !commands::runs_task_target(command) {
        return None;
    }
    let clause = clause_around(sentence, m.start, m.end).to_lowercase();
    if FAILURE.iter().any(|w| clause.contains(w)) {
        return None;
    }
    let contrast: Vec<String> = found
        .iter()
        .filter(|n| n.negated && class.is_some() && commands::classify(&n.command) == class)
        .map(|n| n.command.clone())
        .collect();
    let named_at = kind_words
        .iter()
        .rev()
        .find(|(at, _)| *at < m.start)
        .or_else(|| kind_words.iter().find(|(at, _)| *at >= m.end));
    // `build it with ...`, `test this with ...`: about the task at hand.
    if let Some((at, _)) = named_at {
        let word = KIND_WORDS
            .iter()
            .filter(|(w, _)| blanked[*at..].starts_with(w))
            .map(|(w, _)| w.len())
            .max()
            .unwrap_or(0);
        let after = blanked[*at + word..]
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .trim_start();
        if ["it ", "it,", "this ", "that ", "them ", "一下"]
            .iter()
            .any(|w| after.starts_with(w))
        {
            return None;
        }
    }
    let named = named_at.map(|(_, k)| *k);
    // A sentence naming one kind while the command is plainly another is unclear
    // (`don't run the tests, just build with cargo build`); `check` targets
    // count as tests.
    let agrees = |k: Kind, c: Kind| {
        k == c
            || matches!(
                (k, c),
                (Kind::Test, Kind::Check) | (Kind::Check, Kind::Test)
            )
    };
    let kind = match (named, class) {
        (Some(k), Some(c)) if !agrees(k, c) => return None,
        (Some(k), _) => k,
        (None, Some(k)) if !contrast.is_empty() => k,
        _ => return None,
    };
    let contrast = contrast
        .into_iter()
        .filter(|c| commands::classify(c) == Some(kind))
        .collect();
    Some((kind, command.to_string(), contrast))
}

/// `word` in `text`; ASCII words must start a word.
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !word.is_ascii()
            || !text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The sentence in ASCII lower case with the mentions and code spans blanked
/// out (same byte length), so kind words inside commands do not count.
fn blank(sentence: &str, found: &[Mention]) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut inside = false;
    for (i, c) in sentence.char_indices() {
        if c == '`' {
            inside = !inside;
        }
        let hidden = c == '`' || inside || found.iter().any(|m| i >= m.start && i < m.end);
        if hidden {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `(byte offset, kind)` of each kind word, in order.
fn kind_words(blanked: &str) -> Vec<(usize, Kind)> {
    let mut out: Vec<(usize, Kind)> = KIND_WORDS
        .iter()
        .flat_map(|(w, k)| {
            blanked
                .match_indices(w)
                .filter(|(at, _)| {
                    !w.is_ascii()
                        || !blanked[..*at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                })
                .map(move |(at, _)| (at, *k))
        })
        .collect();
    out.sort_by_key(|(at, _)| *at);
    out
}

/// The clause (between commas and semicolons) holding bytes `start..end`.
fn clause_around(sentence: &str, start: usize, end: usize) -> &str {
    let breaks = [',', ';', '，', '；', '、'];
    let from = sentence[..start].rfind(breaks).map_or(0, |i| {
        i + sentence[i..].chars().next().map_or(1, char::len_utf8)
    });
    let to = sentence[end..]
        .find(breaks)
        .map_or(sentence.len(), |i| end + i);
    &sentence[from..to]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stated(s: &str) -> Vec<(Kind, String, Vec<String>)> {
        said(s).stated
    }

    fn one(kind: Kind, cmd: &str, not: &[&str]) -> Vec<(Kind, String, Vec<String>)> {
        vec![(
            kind,
            cmd.to_string(),
            not.iter().map(|c| c.to_string()).collect(),
        )]
    }

    #[test]
    fn stated_and_ruled_out_in_four_languages() {
        let cases: &[(&str, Kind, &str, &[&str])] = &[
            (
                "这个仓库的测试命令是 make check-all ，不要用 cargo test 直接跑。",
                Kind::Test,
                "make check-all",
                &["cargo test"],
            ),
            (
                "Use `make check-all`, not `cargo test`.",
                Kind::Test,
                "make check-all",
                &["cargo test"],
            ),
            ("测试用 mage test", Kind::Test, "mage test", &[]),
            (
                "テストは cargo test ではなく make check-all で実行して",
                Kind::Test,
                "make check-all",
                &["cargo test"],
            ),
            (
                "테스트는 cargo test 말고 make check-all 로 돌려",
                Kind::Test,
                "make check-all",
                &["cargo test"],
            ),
            (
                "ビルドは npm run build を使って",
                Kind::Build,
                "npm run build",
                &[],
            ),
            (
                "린트는 `ruff check .` 로 해",
                Kind::Lint,
                "ruff check .",
                &[],
            ),
            (
                "Build with `pnpm build` rather than `npm run build`",
                Kind::Build,
                "pnpm build",
                &["npm run build"],
            ),
        ];
        for (sentence, kind, cmd, not) in cases {
            assert_eq!(stated(sentence), one(*kind, cmd, not), "{sentence}");
        }
    }

    /// The phrasings recognised before polarity was weighed still are; the one
    /// case that changed is the last: a command set against a ruled-out one is
    /// now stated, with the ruled-out one beside it.
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
            ("the test is about the parser", None),
            ("I renamed the `parse` test", None),
            (
                "don't run tests with cargo test, use make check",
                Some((Kind::Test, "make check")),
            ),
        ];
        for (text, expected) in cases {
            let got: Vec<(Kind, String)> =
                stated(text).into_iter().map(|(k, c, _)| (k, c)).collect();
            let expected: Vec<(Kind, String)> = expected
                .into_iter()
                .map(|(k, c)| (k, c.to_string()))
                .collect();
            assert_eq!(got, expected, "{text}");
        }
        assert_eq!(
            stated("don't run tests with cargo test, use make check")[0].2,
            ["cargo test"]
        );
    }

    #[test]
    fn forbidden_without_an_alternative() {
        for (sentence, forbidden) in [
            ("Don't run `cargo test`", "cargo test"),
            ("别用 go test 跑测试", "go test"),
            ("go test は使わないで", "go test"),
            ("yarn 쓰지 마", "yarn"),
            ("never use npm here", "npm"),
        ] {
            let s = said(sentence);
            assert!(s.stated.is_empty(), "{sentence}");
            assert_eq!(s.forbidden, [forbidden], "{sentence}");
        }
    }

    #[test]
    fn conditions_rule_nothing_out() {
        for sentence in [
            "If you don't run `make setup` first, cargo test fails",
            "如果不跑 make gen 的话，编译会失败",
            "maybe don't use yarn",
        ] {
            assert_eq!(said(sentence).forbidden, Vec::<String>::new(), "{sentence}");
        }
    }

    #[test]
    fn nothing_is_stated_when_unsure_or_one_off() {
        for sentence in [
            "what is the test command?",
            "maybe the test command is make check",
            "如果 cargo test 失败，就用 make check 测试",
            "the tests fail with cargo test",
            "I think we test with tox",
            "테스트는 아마 make check 일 거야",
            "たぶんテストは make check",
            "run the parser tests with cargo test parser",
            "test it with pytest -k login",
            "clean up the build with `docker system prune -af --volumes`",
            "please run cargo test",
            "don't run the tests, just build it with cargo build",
            "先测试一下 cargo test",
            "I renamed the `parse` test",
        ] {
            assert_eq!(stated(sentence), [], "{sentence}");
        }
    }
}
