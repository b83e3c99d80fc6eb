//! Text folded to what a reader takes it for, so a phrase is found however it
//! is dressed: compatibility forms (fullwidth, ligatures, math letters) by
//! NFKC, invisible format characters dropped, accents on Latin letters
//! dropped, look-alike letters folded to Latin by the UTS #39 confusable
//! skeleton, case folded, markdown emphasis and escapes stripped, whitespace
//! collapsed. Lines stay separated by `\n` so a match can be placed on a line.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds every line of `text` (as `str::lines` splits it) and joins them with
/// `\n`: line `n` of the result is line `n` of `text`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        fold_line_into(line, &mut out);
    }
    out
}

/// One line folded (no `\n` in the result).
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    fold_line_into(line, &mut out);
    out
}

fn fold_line_into(line: &str, out: &mut String) {
    let mut letters = letters(line);
    digits_as_letters(&mut letters);
    let start = out.len();
    strip_markdown_and_space(&letters, out);
    drop_list_marker(out, start);
}

/// Digits standing in for letters inside a word (`ign0re`, `prev1ous`,
/// `1gnore`): mapped only between two letters or at the start of a word
/// followed by two, so numbers, versions and names like `python3`,
/// `base64` or `s3` are left alone.
fn digits_as_letters(chars: &mut [char]) {
    let letter = |c: Option<&char>| c.is_some_and(char::is_ascii_lowercase);
    for i in 0..chars.len() {
        let as_letter = match chars[i] {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            _ => continue,
        };
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let inside = letter(prev) && letter(chars.get(i + 1));
        let word_start = !prev.is_some_and(char::is_ascii_alphanumeric)
            && letter(chars.get(i + 1))
            && letter(chars.get(i + 2));
        if inside || word_start {
            chars[i] = as_letter;
        }
    }
}

/// A markdown list or quote marker at the start of a line (`- `, `+ `,
/// `> `, `1. `), so a phrase continued on the next item still joins up.
fn drop_list_marker(out: &mut String, start: usize) {
    let line = &out[start..];
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let marker = if line.starts_with("- ") || line.starts_with("+ ") || line.starts_with("> ") {
        2
    } else if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        digits + 2
    } else {
        0
    };
    out.replace_range(start..start + marker, "");
}

/// NFKC with invisible characters and accents on Latin letters removed, then
/// lowercase and look-alikes folded.
fn letters(line: &str) -> Vec<char> {
    // Decompose fully, so accents are separate marks and can be dropped from
    // Latin letters; composing again (NFC of NFKD = NFKC) restores kana with
    // dakuten and Hangul syllables.
    let mut decomposed = String::with_capacity(line.len());
    let mut last_ascii = false;
    for c in line.nfkd() {
        if ignorable(c) {
            continue;
        }
        if is_combining_mark(c) && last_ascii {
            continue;
        }
        last_ascii = c.is_ascii_alphanumeric();
        decomposed.push(c);
    }
    let mut out = Vec::with_capacity(decomposed.len());
    for c in decomposed.nfc() {
        for lc in c.to_lowercase() {
            push_folded(lc, &mut out);
        }
    }
    out
}

fn push_folded(c: char, out: &mut Vec<char>) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if c.is_whitespace() {
        out.push(' ');
    } else if confusable_candidate(c) {
        let mut buf = [0u8; 4];
        let skeleton: Vec<char> = unicode_security::skeleton(c.encode_utf8(&mut buf)).collect();
        if !skeleton.is_empty() && skeleton.iter().all(|k| k.is_ascii_graphic()) {
            out.extend(skeleton.iter().map(char::to_ascii_lowercase));
        } else {
            out.push(c);
        }
    } else {
        out.push(c);
    }
}

/// Letters and signs that may stand in for Latin ones (Greek, Cyrillic,
/// Armenian, Cherokee, IPA, letterlike symbols...). CJK, kana and Hangul are
/// left alone: their skeletons are other CJK characters, and Chinese,
/// Japanese and Korean phrases are matched as written.
fn confusable_candidate(c: char) -> bool {
    (c as u32) < 0x2E80 && !is_combining_mark(c)
}

/// Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt):
/// zero-width spaces and joiners, bidi controls, soft hyphen, variation
/// selectors, tag characters, fillers. A renderer shows none of them.
pub fn ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5
        | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F
        | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// Han, kana and CJK punctuation: scripts written without spaces, so a space
/// between two of them is padding meant to break a phrase.
fn spaceless_script(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Drops markdown emphasis (`*`, `_` at a word edge, `~~`), code ticks and
/// backslash escapes, and collapses whitespace.
fn strip_markdown_and_space(chars: &[char], out: &mut String) {
    let start = out.len();
    let mut pending_space = false;
    let mut last: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let drop = match c {
            '*' | '`' => true,
            '~' => prev == Some('~') || next == Some('~'),
            '\\' => next.is_none_or(|n| n.is_ascii_punctuation()),
            '_' => {
                !prev.is_some_and(char::is_alphanumeric) || !next.is_some_and(char::is_alphanumeric)
            }
            _ => false,
        };
        if drop {
            continue;
        }
        if c == ' ' {
            pending_space = true;
            continue;
        }
        let cjk_pair = last.is_some_and(spaceless_script) && spaceless_script(c);
        if pending_space && out.len() > start && !cjk_pair {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
        last = Some(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_and_invisibles_fold_to_plain_latin() {
        // Zero-width space, Cyrillic і and о, Greek ο, fullwidth letters.
        assert_eq!(fold_line("Ig\u{200B}nore"), "ignore");
        assert_eq!(fold_line("\u{0456}gn\u{043E}re"), "ignore");
        assert_eq!(fold_line("ign\u{03BF}re"), "ignore");
        assert_eq!(fold_line("ＩＧＮＯＲＥ"), "ignore");
        assert_eq!(fold_line("ign\u{00F3}re"), "ignore");
        assert_eq!(fold_line("𝐢𝐠𝐧𝐨𝐫𝐞"), "ignore");
        assert_eq!(fold_line("a\u{202E}b\u{2066}c"), "abc");
    }

    #[test]
    fn markdown_and_spacing_are_seen_through() {
        assert_eq!(
            fold_line("**Ignore**   _previous_ \\*x\\*"),
            "ignore previous x"
        );
        assert_eq!(fold_line("i*g*n*o*r*e ~~x~~ `y`"), "ignore x y");
        assert_eq!(
            fold_line("keep id_rsa and ~/.ssh"),
            "keep id_rsa and ~/.ssh"
        );
        assert_eq!(fold_line("忽略 之前 的 指令"), "忽略之前的指令");
        assert_eq!(fold_line("- > 1. item"), "> 1. item");
        assert_eq!(
            fold_line("12) ign0re prev1ous 1gnore"),
            "ignore previous ignore"
        );
        assert_eq!(
            fold_line("python3 base64 s3 v1.0 x86_64 3rd"),
            "python3 base64 s3 v1.0 x86_64 erd"
        );
        assert_eq!(fold_line("이전 지시를   무시"), "이전 지시를 무시");
    }

    #[test]
    fn kana_and_hangul_survive_decomposition() {
        assert_eq!(fold_line("ガイド 한국어"), "ガイド 한국어");
        assert_eq!(fold_line("ｶﾞｲﾄﾞ"), "ガイド");
        assert_eq!(fold("a\nb\r\nc"), "a\nb\nc");
    }
}
