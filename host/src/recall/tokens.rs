//! What the full-text index holds beside a message's words: the scope tokens that
//! let a search keep to a repo, a client or leave background messages out, and the
//! character pairs that make CJK text searchable. Ingest writes them, search asks
//! for them; neither owns the other.

use crate::hash::short_hex;

/// The role stored for client-injected context (instructions, environment, skill lists).
pub(crate) const BACKGROUND_ROLE: &str = "background";
/// `messages.flags` bit of background messages.
pub(crate) const BACKGROUND_FLAG: i64 = 8;

/// The scope tokens of one message: its session's, and the background token for
/// background messages.
pub(crate) fn message_scope(session_scope: &str, flags: i64) -> String {
    if flags & BACKGROUND_FLAG != 0 {
        format!("{session_scope} {BACKGROUND_TOKEN}")
    } else {
        session_scope.to_string()
    }
}

/// The tokens a session's messages carry in `messages_fts.scope`: one for the
/// bucket (a hash, so it is a single token) and one for the client.
pub(crate) fn scope_tokens(bucket: &str, client: &str) -> String {
    format!("{} {}", bucket_token(bucket), client_token(client))
}

/// The scope token of background messages (client-injected context), which searches
/// leave out unless asked. Not a bucket token: those are `b` and hex digits.
pub(crate) const BACKGROUND_TOKEN: &str = "bg";

pub(crate) fn bucket_token(bucket: &str) -> String {
    format!("b{}", short_hex(bucket.as_bytes()))
}

pub(crate) fn client_token(client: &str) -> String {
    format!("c{client}")
}

/// The overlapping character pairs of every CJK run, space-separated (a run of one
/// character is itself): what the `cjk` column indexes, so any CJK substring of two
/// or more characters is a set of pairs, and one character a prefix of a pair.
pub(crate) fn cjk_pairs(text: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        match run.len() {
            0 => {}
            1 => {
                out.push(run[0]);
                out.push(' ');
            }
            _ => {
                for pair in run.windows(2) {
                    out.push(pair[0]);
                    out.push(pair[1]);
                    out.push(' ');
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

pub(crate) fn has_cjk(text: &str) -> bool {
    text.chars().any(is_cjk)
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x1100..=0x11FF | 0x3130..=0x318F | 0x20000..=0x2FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_overlapping_pairs() {
        assert_eq!(cjk_pairs("用 cargo 跑测试"), "用 跑测 测试 ");
        assert_eq!(cjk_pairs("設定ファイル"), "設定 定フ ファ ァイ イル ");
        assert_eq!(cjk_pairs("plain text"), "");
    }
}
