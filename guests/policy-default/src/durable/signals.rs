//! What one sentence says, as flags each language's reader sets, and the
//! matching helpers those readers share.

/// Cues found in one sentence. Readers only ever set flags, so every language's
/// reader can run over every sentence (users mix languages and code).
#[derive(Default, Debug, Clone, PartialEq)]
pub struct Signals {
    /// A prohibition or an obligation: never, don't, must not, 不要, しないで, 하지 마.
    pub rule: bool,
    /// A frequency word used as a rule (always, 总是, いつも, 항상); it also
    /// describes behaviour ("it always fails"), so it yields to `transient`.
    pub habit: bool,
    /// A project fact: the X command is, X lives in, we use X.
    pub fact: bool,
    /// A fact whose value is one bare name ("the default branch is develop").
    pub named_value: bool,
    /// One thing chosen over another: use X not Y, X instead of Y.
    pub contrast: bool,
    /// The language to answer in: reply in Chinese, 日本語で答えて.
    pub language: bool,
    /// A stated liking: I prefer, 偏好, 好み, 선호.
    pub preference: bool,
    /// The user says the agent was wrong: that's wrong, 不对, 違う, 틀렸어.
    pub correction: bool,
    /// Words that make a statement last: from now on, 以后, 今後, 앞으로.
    pub marker: bool,
    /// A project artifact is named (file, branch, test, 目录, ブランチ, 브랜치).
    pub domain: bool,
    /// Scoped to this moment or place: here, this time, not yet, a task verb first,
    /// 一下, 今回, 이번. Such a sentence is no candidate unless a marker says it lasts.
    pub one_off: bool,
    /// A failure, a result or a past event is reported: fails, returns, 报错, エラー,
    /// 通りました, 했어. It cancels a fact and a habit.
    pub transient: bool,
    /// The user speaks of their own plans or says goodbye: I'll, 我会, 下次再说.
    pub aside: bool,
    /// A polite wrapper around a request (can you, 好吗, てくれる, 줄래).
    pub request: bool,
    /// An English question (a polite request for something lasting is not one).
    pub asks: bool,
    /// A CJK question form, which a polite request wrapper overrules.
    pub asks_cjk: bool,
}

impl Signals {
    pub fn is_question(&self) -> bool {
        self.asks || (self.asks_cjk && !self.request)
    }

    /// Any cue that can make a durable statement by itself.
    pub fn any_cue(&self) -> bool {
        self.rule
            || self.habit
            || self.fact
            || self.contrast
            || self.language
            || self.preference
            || self.correction
    }
}

/// True when any of `cues` occurs in `text`.
pub fn any(text: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| text.contains(c))
}

/// `text` with every occurrence of `masks` blanked, so a cue inside a longer
/// word that means something else (别 in 区别, 必ず in 必ずしも) is not seen.
pub fn masked(text: &str, masks: &[&str]) -> String {
    let mut out = text.to_string();
    for m in masks.iter().filter(|m| text.contains(*m)) {
        out = out.replace(m, &" ".repeat(m.chars().count()));
    }
    out
}

/// True when one of `first` is followed by one of `then` within `gap` characters.
pub fn near(text: &str, first: &[&str], then: &[&str], gap: usize) -> bool {
    first.iter().any(|f| {
        text.match_indices(f).any(|(at, _)| {
            let rest = &text[at + f.len()..];
            let window: String = rest.chars().take(gap + 8).collect();
            then.iter().any(|t| {
                window
                    .find(t)
                    .is_some_and(|i| window[..i].chars().count() <= gap)
            })
        })
    })
}

/// CJK characters (Han, kana, Hangul) in `text`.
pub fn cjk_chars(text: &str) -> usize {
    text.chars().filter(|&c| is_cjk(c)).count()
}

pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{F900}'..='\u{FAFF}')
}

/// The text with trailing punctuation, spaces and closing particles removed.
pub fn trimmed_end(text: &str) -> &str {
    text.trim_end_matches(|c: char| c.is_whitespace() || "。．.!！~～…、,，)）」』\"'`".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_longer_words() {
        let m = masked("区别不大，别动它", &["区别"]);
        assert_eq!(m.matches('别').count(), 1);
    }

    #[test]
    fn near_counts_characters_between() {
        assert!(near("配置文件在 config/", &["配置"], &["在"], 3));
        assert!(!near("配置相关的东西都在这里", &["配置"], &["在"], 3));
    }
}
