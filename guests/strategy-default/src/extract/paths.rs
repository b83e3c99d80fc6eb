//! Paths the user forbids touching, and paths a rule no longer covers.

use super::statements::bie_positions;
use super::{find_all, word_start};
use crate::text::char_len;

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
    for path in jako_forbidden(text) {
        push(path);
    }
    for path in frozen_paths(text) {
        push(path);
    }
    out
}

/// Words saying a path stays as it is: `keep vendor/ untouched`, `legacy/ is
/// read-only`, `vendor/ 是只读的`, `legacy/ は凍結`, `legacy/ 는 읽기 전용`.
const FROZEN: [&str; 16] = [
    " untouched",
    " alone",
    " as is",
    " as-is",
    " is read-only",
    " is frozen",
    " is off-limits",
    " is off limits",
    "只读",
    "保持不变",
    "冻结",
    "読み取り専用",
    "凍結",
    "읽기 전용",
    "동결",
    "변경 금지",
];

fn frozen_paths(text: &str) -> Vec<String> {
    if !lifted_paths(text).is_empty() {
        return Vec::new();
    }
    let lower = text.to_lowercase();
    let english_keep = |before: &str| {
        let b = before.to_ascii_lowercase();
        let keep = ["keep ", "leave "].iter().any(|k| b.contains(k));
        keep || !before.is_ascii()
    };
    let mut out = Vec::new();
    for word in FROZEN {
        for at in find_all(&lower, word) {
            if at > text.len() || !text.is_char_boundary(at) {
                continue;
            }
            let before = &text[..at];
            let start = before
                .rfind(['。', '！', '？', '\n', ';', '；'])
                .map_or(0, |i| {
                    i + before[i..].chars().next().map_or(1, char::len_utf8)
                });
            let clause = &before[start..];
            let needs_keep = matches!(word, " untouched" | " alone" | " as is" | " as-is");
            if needs_keep && !english_keep(clause) {
                continue;
            }
            for path in cjk_path_tokens(clause) {
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// Japanese and Korean prohibitions end the clause: `vendor/ は変更しないで`,
/// `vendor/ 디렉토리는 수정하지 마`.
const JAKO_NEGATIONS: [&str; 9] = [
    "ないで",
    "禁止",
    "するな",
    "ダメ",
    "지 마",
    "지마",
    "지 말",
    "금지",
    "안 돼",
];
const JAKO_VERBS: [&str; 17] = [
    "変更",
    "編集",
    "触",
    "修正",
    "削除",
    "書き換",
    "いじ",
    "改変",
    "手を入れ",
    "変え",
    "수정",
    "변경",
    "건드리",
    "편집",
    "삭제",
    "고치",
    "손대",
];
const FOLDER_WORDS_CJK: [&str; 7] = [
    "ディレクトリ",
    "フォルダ",
    "디렉토리",
    "폴더",
    "目录",
    "文件夹",
    "以下",
];

fn jako_forbidden(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for negation in JAKO_NEGATIONS {
        for at in find_all(text, negation) {
            let before = &text[..at];
            let start = before.rfind(['。', '！', '？', '\n']).map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
            let clause = &before[start..];
            let Some(verb_at) = JAKO_VERBS.iter().filter_map(|v| clause.find(v)).min() else {
                continue;
            };
            for path in cjk_path_tokens(&clause[..verb_at]) {
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// Path-like ASCII tokens of text in any script: code spans, runs holding a `/`
/// or a file extension, and a word followed by a folder word (`legacy ディレクトリ`).
pub fn cjk_path_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let is_path_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '~' | '*');
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        let (token, len) = if let Some(body) = rest.strip_prefix('`') {
            match body.find('`') {
                Some(close) => (body[..close].trim(), close + 2),
                None => break,
            }
        } else if is_path_char(c) {
            let len = rest
                .find(|ch: char| !is_path_char(ch))
                .unwrap_or(rest.len());
            (rest[..len].trim_end_matches('.'), len)
        } else {
            i += c.len_utf8();
            continue;
        };
        i += len;
        if token.is_empty() || token.contains(char::is_whitespace) || char_len(token) > 120 {
            continue;
        }
        let after = text[i..].trim_start();
        let folder = FOLDER_WORDS_CJK.iter().any(|w| after.starts_with(w));
        let dotted = token.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && ext.len() >= 2 && ext.chars().all(|c| c.is_ascii_alphabetic())
        });
        if !(folder || dotted || token.contains('/')) {
            continue;
        }
        let mut path = token.to_string();
        if folder && !path.ends_with('/') && !dotted {
            path.push('/');
        }
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// Words saying a path may be changed again.
const LIFTS: [&str; 40] = [
    "no longer frozen",
    "not frozen anymore",
    "no longer off-limits",
    "no longer off limits",
    "no longer read-only",
    "is unfrozen",
    "can now modify",
    "can now edit",
    "can now change",
    "can now touch",
    "may now modify",
    "may now edit",
    "free to modify",
    "free to edit",
    "fine to modify",
    "fine to edit",
    "ok to modify",
    "okay to modify",
    "allowed to modify",
    "allowed to edit",
    "可以改",
    "可以修改",
    "可以动",
    "可以编辑",
    "不再冻结",
    "解冻",
    "変更してもいい",
    "変更していい",
    "変更して大丈夫",
    "編集してもいい",
    "触ってもいい",
    "いじってもいい",
    "凍結解除",
    "凍結されていない",
    "수정해도",
    "변경해도",
    "건드려도",
    "편집해도",
    "동결 해제",
    "더 이상 동결",
];

/// The paths a sentence says may be changed again (`legacy/ is no longer frozen`,
/// `legacy/ 可以改了`); a negated permission (`not allowed to modify`) lifts nothing.
pub fn lifted_paths(sentence: &str) -> Vec<String> {
    let lower = sentence.to_lowercase();
    let lifted = LIFTS.iter().any(|w| {
        find_all(&lower, w).any(|at| {
            let before: String = lower[..at].chars().rev().take(8).collect();
            let before: String = before.chars().rev().collect();
            !before.contains("not ")
                && !before.contains("n't ")
                && !before.ends_with('不')
                && !before.ends_with("不能")
        })
    });
    if !lifted {
        return Vec::new();
    }
    cjk_path_tokens(sentence)
}

pub(super) fn skip_words(lower: &str, mut i: usize, words: &[&str]) -> usize {
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
    if after_word.starts_with("branch") {
        return None;
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
        if token.is_empty() {
            // `migrations/ 目录不要动`: the path comes first in the clause.
            let before = &text[..at];
            let start = before
                .rfind(['。', '！', '？', '，', '；', '\n'])
                .map_or(0, |i| {
                    i + before[i..].chars().next().map_or(1, char::len_utf8)
                });
            for path in cjk_path_tokens(&before[start..]) {
                if !out.contains(&path) {
                    out.push(path);
                }
            }
            continue;
        }
        if token.contains(char::is_whitespace) || char_len(token) > 120 {
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
