//! Where a known environment lives, stated as a fact: `Staging moved: it is
//! https://stage.example.net now`, `ステージングは https://stg.example.jp に移転
//! しました`, `预发环境的地址是 https://pre.example.cn`, `스테이징 주소는
//! https://stg.example.kr 로 바뀌었어요`. The entry reads `Staging: <url>`, so a
//! later statement of the same role replaces it whatever its wording.
//!
//! Only a role the words name (staging, production, docs...) and a verb that
//! states or moves it count: a URL in a request (`check https://...`) is not a
//! fact about the project.

use crate::memory_doc::url_role_before;

/// Words that state where something is, or that it moved there.
const STATES: [&str; 34] = [
    " is ",
    " is now",
    " now ",
    " lives ",
    " moved",
    " changed to",
    " points to",
    " at ",
    ": ",
    "是",
    "在",
    "迁移到",
    "迁到",
    "搬到",
    "改为",
    "改成",
    "换成",
    "は ",
    "は、",
    "です",
    "に移転",
    "に移行",
    "に変更",
    "に変わ",
    "になりました",
    "는 ",
    "은 ",
    "입니다",
    "이에요",
    "예요",
    "로 이전",
    "로 옮",
    "로 바뀌",
    "로 변경",
];

/// Words before the URL that deny or doubt it.
const DOUBTS: [&str; 16] = [
    "not ",
    "no longer",
    "n't",
    "never",
    "maybe",
    "if ",
    "不是",
    "不再",
    "如果",
    "也许",
    "ではな",
    "もう",
    "かも",
    "아니",
    "더 이상",
    "아마",
];

/// `(role title, url)` when the sentence states where a known role lives.
pub fn url_fact(sentence: &str) -> Option<(String, String)> {
    let s = sentence.trim();
    if s.ends_with('?') || s.ends_with('？') {
        return None;
    }
    let starts: Vec<usize> = s
        .match_indices("https://")
        .chain(s.match_indices("http://"))
        .map(|(i, _)| i)
        .collect();
    // `moved from https://a to https://b`: the last one is where it is now.
    let at = *starts.iter().max()?;
    let url: String = s[at..]
        .chars()
        .take_while(|c| {
            !c.is_whitespace()
                && !matches!(c, '`' | ')' | '）' | '，' | '。' | '、' | '」' | '"' | '\'')
        })
        .collect();
    let url = url.trim_end_matches(['.', ',', ';', ':', '!']).to_string();
    if url.len() <= "https://".len() || url.contains('@') || url.contains('[') {
        return None;
    }
    // The role is named before the first URL.
    let before = &s[..*starts.iter().min()?];
    let lower = s.to_lowercase();
    let before_lower = before.to_lowercase();
    if DOUBTS.iter().any(|d| before_lower.contains(d)) {
        return None;
    }
    if !STATES.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let role = url_role_before(before)?;
    let mut title = role.to_string();
    title[..1].make_ascii_uppercase();
    Some((title, url))
}

#[cfg(test)]
mod tests {
    use super::url_fact;

    #[test]
    fn where_a_role_lives_in_four_languages() {
        for (s, role, url) in [
            (
                "Staging moved: it is https://stage.example.net now, staging-a is decommissioned.",
                "Staging",
                "https://stage.example.net",
            ),
            (
                "The production site is at https://app.example.com/.",
                "Production",
                "https://app.example.com/",
            ),
            (
                "The docs moved from https://old.example.org to https://docs.example.org.",
                "Docs",
                "https://docs.example.org",
            ),
            (
                "预发环境的地址是 https://pre.example.cn。",
                "Staging",
                "https://pre.example.cn",
            ),
            (
                "ステージングは https://stg.example.jp に移転しました。",
                "Staging",
                "https://stg.example.jp",
            ),
            (
                "本番環境の URL は https://app.example.jp です",
                "Production",
                "https://app.example.jp",
            ),
            (
                "스테이징 주소는 https://stg.example.kr 로 바뀌었어요.",
                "Staging",
                "https://stg.example.kr",
            ),
            (
                "운영 서버는 https://api.example.kr 입니다.",
                "Production",
                "https://api.example.kr",
            ),
        ] {
            assert_eq!(
                url_fact(s),
                Some((role.to_string(), url.to_string())),
                "{s}"
            );
        }
    }

    #[test]
    fn requests_questions_and_denials_are_not_facts() {
        for s in [
            "Can you open https://stage.example.net and check the login page?",
            "Look at https://github.com/acme/app/issues/12 for the staging bug.",
            "Staging is no longer https://old.example.net.",
            "Is staging at https://stage.example.net?",
            "帮我看看 https://pre.example.cn 的日志",
            "ステージングはもう https://stg-old.example.jp ではない。",
            "스테이징이 https://stg.example.kr 인지 확인해 줘",
            "Maybe staging is https://stage.example.net now.",
        ] {
            assert_eq!(url_fact(s), None, "{s}");
        }
    }
}
