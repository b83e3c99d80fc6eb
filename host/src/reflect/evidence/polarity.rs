//! Whether the user ruled out a command an entry affirms. A strategy may quote a
//! real tool run of `cargo test`; if the user said not to use it, the entry is
//! still wrong. The user's last word on a command wins.

use super::check::fold;
use super::session::Session;

/// Words that rule out what follows them in the clause (English, Chinese).
const BEFORE: &[&str] = &[
    "don't",
    "don’t",
    "do not",
    "dont ",
    "never",
    "no longer",
    "instead of",
    "rather than",
    "avoid",
    "stop using",
    "shouldn't",
    "should not",
    "mustn't",
    "must not",
    "not ",
    "without",
    "不要",
    "别",
    "不用",
    "禁止",
    "不准",
    "不许",
    "请勿",
    "而不是",
    "不能",
    "不可以",
    "不再",
];

/// Words that rule out what precedes them in the clause (Japanese, Korean).
const AFTER: &[&str] = &[
    "ではなく",
    "じゃなく",
    "じゃなくて",
    "ではなくて",
    "は使わない",
    "を使わない",
    "使わないで",
    "しないで",
    "は禁止",
    "禁止",
    "の代わりに",
    "말고",
    "대신",
    "쓰지 마",
    "쓰지마",
    "사용하지 마",
    "하지 마",
    "하지마",
    "금지",
    "아니라",
    "돌리지 마",
];

/// In an entry's own words, plain negative forms also rule out what precedes
/// them ("`pytest` を直接実行しない"); in a user's they are often conditions.
const ENTRY_AFTER: &[&str] = &[
    "しない",
    "使わない",
    "ではない",
    "하지 않",
    "쓰지 않",
    "안 씀",
];

/// Words that rule out what precedes them in an English clause ("X is not allowed").
const AFTER_EN: &[&str] = &[
    "is not allowed",
    "is forbidden",
    "is banned",
    "is deprecated",
];

/// Words before a negation that take it back ("don't forget to run X").
const NOT_A_RULE: &[&str] = &[
    "don't forget",
    "do not forget",
    "never forget",
    "not only",
    "no need to",
    "不用担心",
    "别忘了",
    "不要忘",
    "忘れないで",
    "잊지 마",
];

/// The code spans of `entry` it affirms: those not ruled out in the entry itself
/// ("Test: `make t` (not `cargo test`)" affirms only `make t`).
pub fn affirmed_spans(entry: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    let parts: Vec<&str> = entry.split('`').collect();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && i + 1 < parts.len() {
            let before = fold(&entry[..at]).0;
            let tail: String = before
                .chars()
                .rev()
                .take(16)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let after = fold(parts.get(i + 1).copied().unwrap_or("")).0;
            let head: String = after.chars().take(12).collect();
            let negated = BEFORE.iter().any(|w| tail.contains(w))
                || AFTER.iter().chain(ENTRY_AFTER).any(|w| head.contains(w));
            if !negated && !part.trim().is_empty() {
                out.push(part.to_string());
            }
        }
        at += part.len() + 1;
    }
    out
}

/// The affirmed command of `entry` that the user's last word rules out, if any.
/// Paths are left alone: "don't touch `vendor/`" forbids editing it, not naming it.
pub fn ruled_out_by_user(session: &Session, entry: &str) -> Option<String> {
    affirmed_spans(entry)
        .into_iter()
        .filter(|span| !path_like(span))
        .find_map(|span| {
            if last_word_negates(session, &span, false) {
                return Some(span);
            }
            // "never npm" rules out `npm install` too: the tool named alone.
            let program = span.split_whitespace().next()?.to_string();
            (program != span && program.len() >= 2 && last_word_negates(session, &program, true))
                .then_some(program)
        })
}

/// A span that names a file or folder rather than a command.
fn path_like(span: &str) -> bool {
    let s = span.trim();
    if s.contains(char::is_whitespace) {
        return false;
    }
    s.contains('/')
        || s.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty()
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
        })
}

/// Whether the user's last mention of `span` rules it out. With `alone`, only
/// mentions of it by itself count (`never npm`, not `npm test`).
fn last_word_negates(session: &Session, span: &str, alone: bool) -> bool {
    let want = fold(span).0;
    if want.chars().count() < 2 {
        return false;
    }
    let mut last = None;
    for m in session.messages.iter().filter(|m| m.role == "user") {
        let spoken = fold(&m.spoken()).0;
        let mut from = 0;
        while let Some(at) = spoken[from..].find(&want) {
            let start = from + at;
            let end = start + want.len();
            let by_itself = !spoken[end..]
                .trim_start_matches(' ')
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-');
            if whole_command(&spoken, start, end) && (!alone || by_itself) {
                last = Some(negated_in_clause(&spoken, start, end));
            }
            from = end;
        }
    }
    last.unwrap_or(false)
}

/// The match is the whole command, not the start of a longer one
/// (`cargo test` inside `cargo test --workspace`).
fn whole_command(text: &str, start: usize, end: usize) -> bool {
    let next = text[end..].chars().next();
    let prev = text[..start].chars().next_back();
    let boundary =
        |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || "-_./:=".contains(c)));
    let extends = text[end..].starts_with(" -") || text[end..].starts_with(" --");
    boundary(next) && boundary(prev) && !extends
}

fn negated_in_clause(text: &str, start: usize, end: usize) -> bool {
    let stops = [
        '.', ';', '!', '?', '\n', '。', '；', '！', '？', ',', '，', '、',
    ];
    let clause_start = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| stops.contains(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let before = &text[clause_start..start];
    let clause_end = text[end..].find(stops).map_or(text.len(), |i| end + i);
    let after = &text[end..clause_end];
    let before_rules =
        BEFORE.iter().any(|w| before.contains(w)) && !NOT_A_RULE.iter().any(|w| before.contains(w));
    let after_rules = (AFTER.iter().any(|w| after.contains(w))
        || AFTER_EN.iter().any(|w| after.contains(w)))
        && !NOT_A_RULE.iter().any(|w| after.contains(w));
    before_rules || after_rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recall::ShownMessage;

    fn user(texts: &[&str]) -> Session {
        let shown: Vec<ShownMessage> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| ShownMessage {
                message_id: i as i64 + 1,
                role: "user".into(),
                tool_name: None,
                at_ms: None,
                is_error: false,
                text: t.to_string(),
            })
            .collect();
        Session::from_shown(&shown)
    }

    #[test]
    fn spans_an_entry_affirms() {
        assert_eq!(
            affirmed_spans("Test: `make check-all` (not `cargo test`)"),
            ["make check-all"]
        );
        assert_eq!(
            affirmed_spans("Do not run `cargo test`"),
            Vec::<String>::new()
        );
        assert_eq!(affirmed_spans("Use `pnpm` instead of `yarn`"), ["pnpm"]);
        assert_eq!(
            affirmed_spans("Test: `tox -e py312`（`pytest` を直接実行しない）"),
            ["tox -e py312"]
        );
        assert_eq!(
            affirmed_spans("テスト: `pnpm vitest`（`npm test` ではなく）"),
            ["pnpm vitest"]
        );
    }

    #[test]
    fn the_users_last_word_on_a_command_counts() {
        let ruled = [
            (
                vec!["记住：这个仓库的测试命令是 make check-all ，不要用 cargo test 直接跑。"],
                "Test: `cargo test`",
            ),
            (
                vec!["Don't run `cargo test` here, use `make test`."],
                "Test: `cargo test`",
            ),
            (
                vec!["テストは go test ではなく mage test で"],
                "Test: `go test`",
            ),
            (
                vec!["테스트는 npm test 말고 pnpm test로 돌려"],
                "Test: `npm test`",
            ),
            (
                vec!["Never use npm audit fix --force on this repo"],
                "Fix: `npm audit fix --force`",
            ),
        ];
        for (texts, entry) in ruled {
            assert!(
                ruled_out_by_user(&user(&texts), entry).is_some(),
                "{entry}: {texts:?}"
            );
        }
        assert_eq!(
            ruled_out_by_user(
                &user(&["Don't touch vendor/, it is generated."]),
                "`vendor/` is generated."
            ),
            None
        );
        let tools = [
            (
                vec!["Hmm. From now on use pnpm, never npm, in this repo."],
                "Install: `npm install`",
            ),
            (
                vec!["以后用 pnpm，不要再用 yarn。"],
                "Install: `yarn install`",
            ),
            (
                vec!["이제부터는 pnpm 을 사용하세요. yarn 은 쓰지 마세요."],
                "Install: `yarn install`",
            ),
        ];
        for (texts, entry) in tools {
            assert!(
                ruled_out_by_user(&user(&texts), entry).is_some(),
                "{entry}: {texts:?}"
            );
        }
        assert_eq!(
            ruled_out_by_user(
                &user(&["Use npm run check; don't use npm test"]),
                "Test: `npm run check`"
            ),
            None
        );
        let fine = [
            (
                vec!["Don't run `cargo test` directly; use `cargo test --workspace`."],
                "Test: `cargo test --workspace`",
            ),
            (
                vec!["don't run cargo test", "actually, cargo test is fine now"],
                "Test: `cargo test`",
            ),
            (
                vec!["Don't forget to run `make check` before pushing"],
                "Test: `make check`",
            ),
            (
                vec!["记住：测试命令是 make check-all ，不要用 cargo test"],
                "Test: `make check-all` (not `cargo test`)",
            ),
        ];
        for (texts, entry) in fine {
            assert_eq!(
                ruled_out_by_user(&user(&texts), entry),
                None,
                "{entry}: {texts:?}"
            );
        }
    }
}
