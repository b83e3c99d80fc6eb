//! Explicit memory statements: `remember that ...`, `from now on ...`, `记住...`,
//! `以后...`, `覚えておいて`, `今後は...`, `기억해`, `앞으로는...`.

use super::{MAX_ENTRY_CHARS, clause_start, find_all, negated_before, word_start};
use crate::text::{capitalize_first, char_len};

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

/// Japanese and Korean "remember" verbs: the payload follows them (`覚えておいて：X`)
/// or, more often, comes before them (`X と覚えておいて`, `X 기억해 줘`).
const JAKO_REMEMBER: [&str; 17] = [
    "覚えておいてください",
    "기억해 둬요",
    "기억해둬요",
    "기억해 줘요",
    "기억해줘요",
    "기억해 주세요",
    "覚えておいて",
    "覚えといて",
    "覚えて",
    "記憶して",
    "メモして",
    "기억해 두세요",
    "기억해 줘",
    "기억해줘",
    "기억해 둬",
    "기억해둬",
    "기억해",
];

/// Japanese and Korean "from now on": the trigger stays in the entry.
const JAKO_FROM_NOW: [&str; 12] = [
    "今後は",
    "今後",
    "これからは",
    "次回から",
    "次からは",
    "以後",
    "앞으로는",
    "앞으로",
    "다음부터는",
    "다음부터",
    "이제부터는",
    "이제부터",
];

/// Particles that tie a payload to the "remember" verb after it.
const JAKO_TAILS: [&str; 10] = [
    "ことを",
    "と",
    "って",
    "を",
    "는 것을",
    "것을",
    "라고",
    "고",
    "을",
    "를",
];

/// A memory statement: its section, the entry text, and the words of the line it
/// rests on (a slice of the line).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement<'a> {
    pub section: &'static str,
    pub text: String,
    pub quote: &'a str,
}

/// `(section, entry text)` for each line of a user message that asks to remember something.
#[cfg(test)]
pub fn memory_statements(text: &str) -> Vec<(&'static str, String)> {
    text.lines()
        .filter_map(statement)
        .map(|s| (s.section, s.text))
        .collect()
}

/// The memory statement a line makes, if any.
pub fn statement(line: &str) -> Option<Statement<'_>> {
    let (payload, quote_at) = english_statement(line)
        .or_else(|| chinese_statement(line))
        .or_else(|| jako_statement(line))?;
    let payload = first_sentence(&payload);
    let payload = payload.trim().trim_end_matches([',', '，', '、']).trim();
    if payload.ends_with('?') || payload.ends_with('？') || char_len(payload) < 3 {
        return None;
    }
    let payload = bounded(payload)?;
    let section = if is_prohibition(&payload) {
        "Rules"
    } else {
        "Notes"
    };
    let quote = first_sentence(&line[quote_at..]).trim();
    Some(Statement {
        section,
        text: capitalize_sentence(&payload),
        quote,
    })
}

/// English text starts with a capital; text in other scripts stays as written.
pub fn capitalize_sentence(text: &str) -> String {
    if text.chars().any(|c| c >= '\u{2E80}') {
        text.to_string()
    } else {
        capitalize_first(text)
    }
}

/// A Japanese or Korean statement and where its quote starts.
fn jako_statement(line: &str) -> Option<(String, usize)> {
    for trigger in JAKO_FROM_NOW {
        if let Some(at) = find_all(line, trigger).find(|&at| clause_start(&line[..at])) {
            let rest = line[at + trigger.len()..].trim_start_matches([' ', '、', ',', '：', ':']);
            if !rest.trim().is_empty() {
                return Some((line[at..].trim().to_string(), at));
            }
        }
    }
    // `覚えている`, `覚えてた`, `覚えてない`: talk about memory, not a request.
    let request = |at: usize, t: &str| {
        !line[at + t.len()..].starts_with(['い', 'る', 'た', 'な', '야', '요', '?'])
            || line[at + t.len()..].starts_with("요.")
    };
    let (at, trigger) = JAKO_REMEMBER
        .iter()
        .filter_map(|t| {
            find_all(line, t)
                .find(|&at| request(at, t))
                .map(|at| (at, *t))
        })
        .min_by_key(|(at, t)| (*at, usize::MAX - t.len()))?;
    let after = line[at + trigger.len()..]
        .trim_start_matches(['ね', 'よ', '요'])
        .trim_start_matches([' ', '：', ':', '、', ',', '，']);
    if !after.trim().is_empty() && !after.starts_with(['。', '！', '.', '!']) {
        return Some((after.trim().to_string(), at));
    }
    // The payload is the sentence before the verb (`X です。覚えておいて。`
    // takes the whole sentence before).
    let before = line[..at]
        .trim_end()
        .trim_end_matches(['。', '！', '.', '!']);
    let start = ["。", "！", "？", ". ", "! ", "? "]
        .iter()
        .filter_map(|p| before.rfind(p).map(|i| i + p.len()))
        .max()
        .unwrap_or(0);
    let mut payload = before[start..]
        .trim_end()
        .trim_end_matches(['、', ',', '，']);
    for tail in JAKO_TAILS {
        if let Some(p) = payload.strip_suffix(tail) {
            payload = p.trim_end().trim_end_matches(['、', ',', '，', '」', '"']);
            break;
        }
    }
    let payload = payload.trim();
    (!payload.is_empty()).then(|| (payload.to_string(), start))
}

fn english_statement(line: &str) -> Option<(String, usize)> {
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
    let Some((at, trigger)) = best else {
        return trailing_remember(line);
    };
    let rest = line[at + trigger.len()..].trim_start_matches([' ', ':', ',', '-']);
    if !clause_end(rest) {
        return Some((rest.trim().to_string(), at));
    }
    // `use pnpm from now on.`: the clause before the trigger is the payload.
    if trigger == "from now on" || trigger == "going forward" {
        let before = line[..at].trim_end().trim_end_matches(',').trim_end();
        let start = before.rfind(['.', '!', '?', ';']).map_or(0, |i| i + 1);
        let clause = before[start..].trim();
        let quote_at = start + (before[start..].len() - before[start..].trim_start().len());
        return (!clause.is_empty()).then(|| (clause.to_string(), quote_at));
    }
    None
}

/// `The staging server is https://x.example.com — remember that.`: the clause
/// before a closing "remember that" is the payload.
fn trailing_remember(line: &str) -> Option<(String, usize)> {
    let t = line.trim_end().trim_end_matches(['.', '!', '。', '！']);
    let lower = t.to_ascii_lowercase();
    let ending = [
        "please remember that",
        "please remember this",
        "remember that",
        "remember this",
        "keep that in mind",
        "keep this in mind",
    ]
    .into_iter()
    .find(|e| lower.ends_with(e))?;
    let before = t[..t.len() - ending.len()]
        .trim_end()
        .trim_end_matches(['—', '-', ',', ';', ':', '–'])
        .trim_end();
    let start = [". ", "! ", "? ", "; "]
        .iter()
        .filter_map(|p| before.rfind(p).map(|i| i + p.len()))
        .max()
        .unwrap_or(0);
    let clause = before[start..].trim();
    if clause.is_empty() || negated_before(&format!(" {}", &lower[..lower.len() - ending.len()])) {
        return None;
    }
    let quote_at = start + (before[start..].len() - before[start..].trim_start().len());
    Some((clause.to_string(), quote_at))
}

/// True when `after` holds nothing but closing punctuation before the clause ends.
fn clause_end(after: &str) -> bool {
    after
        .trim()
        .chars()
        .next()
        .is_none_or(|c| matches!(c, '.' | '!' | ';' | ')' | '。' | '！'))
}

fn chinese_statement(line: &str) -> Option<(String, usize)> {
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
    let mut rest = line[at + trigger.len()..].trim_start_matches([' ', ':', '：', ',', '，', '、']);
    // `记住这个：...`, `记住以下几点：...`
    for filler in ["这一点", "这个", "这些", "以下几点", "以下", "一点"] {
        if let Some(r) = rest.strip_prefix(filler)
            && r.starts_with([':', '：', ',', '，'])
        {
            rest = r.trim_start_matches([' ', ':', '：', ',', '，']);
        }
    }
    if rest.trim().is_empty() {
        return None;
    }
    let payload = if keep {
        format!("{trigger}{}", rest.trim())
    } else {
        rest.trim().to_string()
    };
    Some((payload, at))
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

pub fn is_prohibition(text: &str) -> bool {
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
    let japanese_korean = [
        "ないで",
        "禁止",
        "するな",
        "いけない",
        "ダメ",
        "だめ",
        "지 마",
        "지마",
        "지 말",
        "금지",
        "안 돼",
        "않도록",
    ]
    .iter()
    .any(|w| text.contains(w));
    english || chinese || japanese_korean
}

/// Where `别` means "don't" rather than being part of a word like 特别 or 别的.
pub fn bie_positions(text: &str) -> impl Iterator<Item = usize> + '_ {
    find_all(text, "别").filter(move |&at| {
        let prev = text[..at].chars().next_back();
        let next = text[at + '别'.len_utf8()..].chars().next();
        !prev.is_some_and(|p| "特区分类识个级差告性派判鉴辨送离道".contains(p))
            && !next.is_some_and(|n| "的人处".contains(n))
    })
}
