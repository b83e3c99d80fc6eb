//! Words that tie a sentence to the work at hand (`today`, `刚才`, `このブランチ`,
//! `지금 보는`), words that make it last (`always`, `that's the rule`, `我们这里`),
//! and words that say a fact changed (`moved to`, `no longer`, `迁移到`, `移転`).
//!
//! "Remember where we are" and "下次再继续看" ask to keep the state of a task,
//! which a later session must not read as a fact about the repository.

use crate::keywords::fold;

/// Phrases that start something lasting though they hold a word of today.
const LASTING_STARTS: &[&str] = &[
    "from today",
    "starting today",
    "as of today",
    "从今天",
    "今天起",
    "今天开始",
    "今日から",
    "今日以降",
    "오늘부터",
    "지금부터",
    "from now on",
];

/// Cues of the current task, the current day or the current conversation.
const NOW_CUES: &[&str] = &[
    // English
    "where we are",
    "where we left off",
    "where i left off",
    "half done",
    "half-done",
    "halfway through",
    "pick it up",
    "pick this up",
    "pick up where",
    "continue later",
    "continue tomorrow",
    "later today",
    "today",
    "tonight",
    "tomorrow",
    "this morning",
    "this afternoon",
    "this evening",
    "lunch",
    "o'clock",
    "i'm off",
    "i am off",
    "currently looking at",
    "currently working on",
    "we're looking at",
    "we are looking at",
    "we just saw",
    "just now",
    "before the meeting",
    "the meeting",
    // Chinese
    "今天",
    "明天",
    "今晚",
    "刚才",
    "刚刚",
    "先到这",
    "再继续",
    "继续看",
    "接着看",
    "接着做",
    "待会",
    "一会儿",
    "现在在看",
    "正在看",
    "正在修",
    "手头",
    "开会",
    "午饭",
    "这个分支",
    // Japanese
    "今日は",
    "今日中",
    "今日の",
    "明日",
    "今夜",
    "さっき",
    "先ほど",
    "打ち合わせ",
    "ミーティング",
    "会議",
    "時から",
    "時まで",
    "それまでに",
    "このブランチ",
    "続きは",
    "今見て",
    "今やって",
    "お昼",
    // Korean
    "지금 보는",
    "지금 하는",
    "지금 작업",
    "지금 고치",
    "오늘",
    "내일",
    "아까",
    "방금",
    "이따",
    "회의",
    "점심",
    "이어서",
    "작업 중",
    "이 브랜치",
];

/// Words that make a statement last, even with a word of place (`here`, `这里`).
const LASTING: &[&str] = &[
    "always",
    "every time",
    "each time",
    "that's the rule",
    "that is the rule",
    "the rule here",
    "house rule",
    "in this repo",
    "总是",
    "每次",
    "一律",
    "我们这里",
    "这是规则",
    "规矩",
    "记一下",
    "记下来",
    "记着",
    "いつも",
    "毎回",
    "常に",
    "必ず",
    "ルール",
    "決まり",
    "항상",
    "매번",
    "언제나",
    "규칙",
];

/// Words saying a fact changed: moved, replaced, no longer so.
const CHANGED: &[&str] = &[
    "moved to",
    "moved:",
    "has moved",
    "have moved",
    "migrated to",
    "migrated from",
    "switched to",
    "no longer",
    "is decommissioned",
    "迁移到",
    "迁到",
    "搬到",
    "换成了",
    "改成了",
    "不再",
    "移転",
    "移行し",
    "に変わりました",
    "に変更しました",
    "もう使えません",
    "もう使わない",
    "이전했",
    "옮겼",
    "바뀌었",
    "변경했",
    "더 이상",
];

/// Words that set a command before or after other work.
const ORDER: &[&str] = &[
    "before ",
    " first",
    "after every",
    "之前",
    "以前",
    "先跑",
    "先运行",
    "先执行",
    "前に",
    "まず",
    "전에",
    "먼저",
];

/// True when a command in a code span is set in an order of work.
pub fn ordered(sentence: &str) -> bool {
    let t = fold(sentence);
    sentence.matches('`').count() >= 2 && ORDER.iter().any(|c| t.contains(c))
}

fn folded_without_starts(sentence: &str) -> String {
    let mut t = fold(sentence);
    for s in LASTING_STARTS {
        t = t.replace(s, " ");
    }
    t
}

/// True when the sentence is about the work at hand, today's plans or the
/// conversation itself rather than the repository.
pub fn about_now(sentence: &str) -> bool {
    let t = folded_without_starts(sentence);
    NOW_CUES.iter().any(|c| t.contains(c))
}

/// True when a word in the sentence says it lasts.
pub fn lasting(sentence: &str) -> bool {
    let t = fold(sentence);
    LASTING.iter().any(|c| t.contains(c))
}

/// True when the sentence says a fact changed.
pub fn changed(sentence: &str) -> bool {
    let t = fold(sentence);
    CHANGED.iter().any(|c| t.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_work_at_hand_in_four_languages() {
        for s in [
            "Remember where we are: the parser rewrite is half done.",
            "Note that I'm off at five today, so push the branch before that.",
            "今天先到这，下次再继续看 parser 的性能问题。",
            "记住我们刚才看到 parse_block 占了 40% 的时间。",
            "覚えておいて：今日は 17 時から打ち合わせなので、それまでに差分を見せて。",
            "メモして、明日はこのブランチのレビューから始めます。",
            "기억해 둬요, 지금 보는 건 JIRA-4821 버그예요.",
            "내일 이어서 볼게요, 기억해 줘.",
        ] {
            assert!(about_now(s), "{s}");
        }
    }

    #[test]
    fn lasting_starts_are_not_the_work_at_hand() {
        for s in [
            "From today on, run `make check` before pushing.",
            "从今天起用 pnpm 安装依赖。",
            "今日から pnpm を使います。",
            "오늘부터 pnpm 을 씁니다.",
            "The staging URL is https://stg.example.com.",
        ] {
            assert!(!about_now(s), "{s}");
        }
    }

    #[test]
    fn lasting_and_changed_words() {
        assert!(lasting("Lint with `ruff check .` here, always."));
        assert!(lasting("另外记一下，我们这里构建用 `make build`。"));
        assert!(lasting("コミット前に毎回 `make fmt` を実行して。"));
        assert!(lasting("커밋 전에는 항상 `make fmt` 를 실행해요."));
        assert!(!lasting("Use a HashMap here."));
        assert!(changed("Staging moved to https://stage.example.net."));
        assert!(changed("我们已经从 npm 迁移到 bun 了。"));
        assert!(changed(
            "ステージングは https://stg.example.jp に移転しました。"
        ));
        assert!(changed("스테이징은 https://stg.example.kr 로 옮겼어요."));
        assert!(!changed("Staging is at https://stage.example.net."));
        assert!(ordered(
            "Seed the db with `make db-seed` before you start the app."
        ));
        assert!(ordered("发版之前先跑 `make changelog`。"));
        assert!(ordered("リリース前に `make sbom` を実行して。"));
        assert!(ordered("배포 전에 `make sbom` 을 실행해요."));
        assert!(!ordered("Run `make db-seed`."));
        assert!(!ordered("Do this before lunch."));
    }
}
