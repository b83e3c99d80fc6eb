//! Words that tie a statement to the work at hand rather than the repository:
//! "remember where we are", "下次再继续看", "今日は 17 時から打ち合わせ",
//! "지금 보는 건 JIRA-4821". Such a statement keeps the state of a task, which a
//! later session would misread as a fact.

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

/// True when the text is about the work at hand, today's plans or the
/// conversation itself.
pub fn about_now(text: &str) -> bool {
    let mut t = text.to_lowercase().replace('\u{2019}', "'");
    for s in LASTING_STARTS {
        t = t.replace(s, " ");
    }
    NOW_CUES.iter().any(|c| t.contains(c))
}

#[cfg(test)]
mod tests {
    use super::about_now;

    #[test]
    fn the_work_at_hand_in_four_languages() {
        for s in [
            "Remember where we are: the parser rewrite is half done.",
            "remember that the demo is tomorrow at 10",
            "今天先到这，下次再继续看 parser 的性能问题。",
            "记住我们刚才看到 parse_block 占了 40% 的时间。",
            "覚えておいて：今日は 17 時から打ち合わせなので、それまでに差分を見せて。",
            "さっきのエラーは無視していいと覚えておいて。",
            "기억해 둬요, 지금 보는 건 JIRA-4821 버그예요.",
            "내일 이어서 할게요, 기억해 줘.",
        ] {
            assert!(about_now(s), "{s}");
        }
    }

    #[test]
    fn lasting_statements_are_not_the_work_at_hand() {
        for s in [
            "From today on, run `make check` before pushing.",
            "Remember that the staging URL is https://stg.example.com.",
            "从今天起用 pnpm 安装依赖。",
            "记住：测试命令是 make check-all",
            "今日から pnpm を使います。",
            "テストは `make test` で実行すると覚えておいて。",
            "오늘부터 pnpm 을 씁니다.",
            "테스트는 `make test` 로 돌린다고 기억해 줘.",
        ] {
            assert!(!about_now(s), "{s}");
        }
    }
}
