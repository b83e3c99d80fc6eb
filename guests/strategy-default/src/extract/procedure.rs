//! How a chore is done in this project, stated with a command that is not a
//! test, build, lint, format or check command: `数据库迁移用 `make migrate``,
//! `DB は `docker compose up -d postgres` で起動してください`, `마이그레이션은
//! `make db-migrate` 로 합니다`, `run `docker compose up -d db` before `make
//! itest``, `Use `npm run deps:patch` for security fixes`; and the rule when the
//! sentence rules such a command out (`Never run `npm audit fix --force` in this
//! repo`).
//!
//! The sentence must tie the command to a purpose or an order (a topic before
//! it, `for`, `before`, `always`): a request to run something once (`run
//! `make clean` now`, `` `make clean` だけ実行して``) is not a procedure.

use super::now::about_now;
use super::polarity::mentions;
use crate::commands;
use crate::text::char_len;

/// Cues that tie a command to a purpose, an order or a habit.
const PROCEDURE_CUES: [&str; 30] = [
    " for ",
    "before ",
    " first",
    "always",
    "we use",
    "is done with",
    " via ",
    "need",
    "用 `",
    "用`",
    "先",
    "之前",
    "都用",
    "统一",
    "每次",
    "` で",
    "`で",
    "前に",
    "まず",
    "いつも",
    "毎回",
    "` 로",
    "` 으로",
    "`로",
    "`으로",
    "전에",
    "먼저",
    "항상",
    "매번",
    "에는 `",
];

/// Cues of a request for now, a report of what happened or a doubt.
const ONCE_CUES: [&str; 36] = [
    " now",
    "just ",
    "only ",
    "this time",
    "for me",
    "can you",
    "could you",
    "i ran",
    "you ran",
    " failed",
    " fails",
    "maybe",
    "if ",
    "一下",
    "这次",
    "只",
    "帮我",
    "现在",
    "失败",
    "如果",
    "だけ",
    "今回",
    "ついでに",
    "失敗",
    "しました",
    "もし",
    "한 번",
    "만 ",
    "이번",
    "지금",
    "해 보",
    "봐 줘",
    "실패",
    "했어요",
    "했습니다",
    "만약",
];

/// What a sentence says about a chore: `(section, entry text)`. `stated` are
/// the commands the sentence already states as test, build... commands.
pub fn procedure(sentence: &str, stated: &[&str]) -> Option<(&'static str, String)> {
    let s = sentence.trim();
    if s.ends_with('?') || s.ends_with('？') || about_now(s) {
        return None;
    }
    let found = mentions(s);
    let spans: Vec<&str> = s.split('`').skip(1).step_by(2).map(str::trim).collect();
    // Chores only: kinds are handled as `Commands` entries.
    let chore = |c: &str| {
        commands::plausible(c)
            && commands::classify(c).is_none()
            && c.split_whitespace().count() >= 2
            && char_len(c) <= 120
            && !stated.contains(&c)
    };
    let chores: Vec<&str> = spans.iter().copied().filter(|c| chore(c)).collect();
    if chores.is_empty() {
        return None;
    }
    let negated = |c: &str| found.iter().any(|m| m.negated && m.command.trim() == c);
    let text = s
        .trim_end_matches(['.', '。', '!', '！'])
        .trim()
        .to_string();
    if chores.iter().any(|c| negated(c)) {
        return Some(("Rules", super::statements::capitalize_sentence(&text)));
    }
    let lower = format!(" {}", s.to_lowercase());
    if chores.iter().any(|c| commands::is_one_off(c))
        || ONCE_CUES.iter().any(|c| lower.contains(c))
        || !PROCEDURE_CUES.iter().any(|c| lower.contains(c))
    {
        return None;
    }
    Some(("Notes", super::statements::capitalize_sentence(&text)))
}

#[cfg(test)]
mod tests {
    use super::procedure;

    #[test]
    fn chores_with_a_purpose_in_four_languages() {
        for (s, section) in [
            (
                "The integration tests need the database up first: run `docker compose up -d db` before `make itest`.",
                "Notes",
            ),
            ("Use `npm run deps:patch` for security fixes.", "Notes"),
            (
                "Never run `npm audit fix --force` in this repo: it bumps majors.",
                "Rules",
            ),
            ("数据库迁移用 `make migrate`。", "Notes"),
            ("发版之前先跑 `make changelog`。", "Notes"),
            (
                "DB は `docker compose up -d postgres` で起動してください。",
                "Notes",
            ),
            ("リリース前に `make sbom` を実行すること。", "Notes"),
            ("마이그레이션은 `make db-migrate` 로 합니다.", "Notes"),
            ("배포 전에 `make db-seed` 를 실행해요.", "Notes"),
        ] {
            assert_eq!(procedure(s, &[]).map(|(sec, _)| sec), Some(section), "{s}");
        }
    }

    #[test]
    fn requests_reports_and_kinds_are_not_chores() {
        for s in [
            "Run `make clean` now.",
            "Can you run `docker compose up -d db` for me?",
            "I ran `make migrate` and it failed.",
            "The test command is `make check-all`.",
            "帮我跑一下 `make migrate`。",
            "`make clean` だけ実行して。",
            "今日は `make demo` で見せて。",
            "지금 `make db-migrate` 한 번 돌려 주세요.",
            "Look at `src/main.rs` first.",
        ] {
            assert_eq!(procedure(s, &[]), None, "{s}");
        }
    }
}
