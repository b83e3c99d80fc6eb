//! Secrets stated in prose, in English, Chinese, Japanese and Korean: a
//! secret word (`password`, `api key`, `密码`, `パスワード`, `비밀번호`, ...),
//! a copula or separator (`is`, `set to`, `:`, `是`, `改成`, `は`, `는`, ...),
//! then a value. The value runs to whitespace, a quote or a non-ASCII
//! character (CJK punctuation, a particle) and is redacted whole, `&`,
//! `!`, `#`, `@` and `-` included. It must look like a credential (see
//! [`super::credential`]), so "the password is stored in Vault" and
//! "密码是必填项" stay.

use super::SecretKind;
use super::assign::separates;
use super::bytes::{is_blank, span_while_max};
use super::credential::{Class, looks_like_credential};
use super::scan::Hit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Zh,
    Ja,
    Ko,
}

/// A secret word and what its value may be.
pub(crate) struct Word {
    pub text: &'static str,
    pub class: Class,
    pub lang: Lang,
}

const fn w(text: &'static str, class: Class, lang: Lang) -> Word {
    Word { text, class, lang }
}

use Class::{Password, Pin, Token};
use Lang::{En, Ja, Ko, Zh};

/// The secret words. Matching ignores ASCII case.
pub(crate) const WORDS: &[Word] = &[
    w("password", Password, En),
    w("passwd", Password, En),
    w("passphrase", Password, En),
    w("passcode", Password, En),
    w("pwd", Password, En),
    w("pin", Pin, En),
    w("pin code", Pin, En),
    w("secret", Token, En),
    w("token", Token, En),
    w("api key", Token, En),
    w("apikey", Token, En),
    w("access key", Token, En),
    w("secret key", Token, En),
    w("private key", Token, En),
    w("signing key", Token, En),
    w("encryption key", Token, En),
    w("master key", Token, En),
    w("license key", Token, En),
    w("credential", Token, En),
    w("credentials", Token, En),
    w("密码", Password, Zh),
    w("密碼", Password, Zh),
    w("口令", Password, Zh),
    w("密钥", Token, Zh),
    w("密鑰", Token, Zh),
    w("秘钥", Token, Zh),
    w("秘鑰", Token, Zh),
    w("金鑰", Token, Zh),
    w("令牌", Token, Zh),
    w("私钥", Token, Zh),
    w("私鑰", Token, Zh),
    w("凭证", Token, Zh),
    w("凭据", Token, Zh),
    w("憑證", Token, Zh),
    w("pin码", Pin, Zh),
    w("パスワード", Password, Ja),
    w("パスフレーズ", Password, Ja),
    w("暗証番号", Pin, Ja),
    w("トークン", Token, Ja),
    w("シークレット", Token, Ja),
    w("シークレットキー", Token, Ja),
    w("秘密鍵", Token, Ja),
    w("apiキー", Token, Ja),
    w("api キー", Token, Ja),
    w("アクセスキー", Token, Ja),
    w("認証情報", Token, Ja),
    w("비밀번호", Password, Ko),
    w("패스워드", Password, Ko),
    w("암호", Password, Ko),
    w("토큰", Token, Ko),
    w("비밀 키", Token, Ko),
    w("비밀키", Token, Ko),
    w("시크릿", Token, Ko),
    w("api 키", Token, Ko),
    w("api키", Token, Ko),
    w("액세스 키", Token, Ko),
    w("액세스키", Token, Ko),
    w("개인 키", Token, Ko),
    w("개인키", Token, Ko),
];

/// English words that link the secret word to its value.
const CORE_EN: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "equals", "became", "becomes", "remains",
];
/// Verbs that may come before the link; the change verbs also make `to` a
/// link (`set to`, `changed it to`).
const VERBS_EN: &[&str] = &[
    "has", "have", "had", "will", "would", "should", "must", "shall", "can", "gets", "got",
];
const CHANGE_EN: &[&str] = &[
    "set", "changed", "change", "reset", "updated", "update", "rotated", "switched", "now",
];
/// Words that may follow the link before the value.
const FILLER_EN: &[&str] = &[
    "the",
    "a",
    "an",
    "now",
    "still",
    "currently",
    "just",
    "actually",
    "simply",
    "also",
    "always",
    "literally",
    "exactly",
    "new",
    "as",
    "follows",
    "it",
    "temporarily",
];
/// Metadata nouns: `the password policy is ...`, `the token limit is ...`
/// describe the secret, they do not give it.
const META_EN: &[&str] = &[
    "policy",
    "length",
    "field",
    "fields",
    "hash",
    "hashes",
    "manager",
    "file",
    "files",
    "format",
    "requirement",
    "requirements",
    "rule",
    "rules",
    "strength",
    "expiry",
    "expiration",
    "count",
    "limit",
    "limits",
    "budget",
    "usage",
    "type",
    "id",
    "name",
    "prompt",
    "store",
    "storage",
    "vault",
    "rotation",
    "scope",
    "scopes",
    "size",
    "header",
    "endpoint",
    "url",
    "path",
    "env",
    "variable",
    "hint",
    "reset",
    "validation",
    "prefix",
    "suffix",
    "lifetime",
    "ttl",
    "cost",
    "price",
    "estimate",
    "window",
    "bucket",
    "refresh",
    "version",
    "id's",
    "dialog",
    "box",
    "input",
    "entry",
    "column",
    "parameter",
    "param",
    "argument",
    "option",
    "flag",
    "setting",
    "settings",
];

/// Chinese links, longest first where one starts another.
const CORE_ZH: &[&str] = &[
    "设置为",
    "設置為",
    "设置成",
    "設置成",
    "更新为",
    "更新為",
    "修改为",
    "修改為",
    "更改为",
    "更改為",
    "重置为",
    "重置為",
    "改成",
    "改为",
    "改為",
    "设为",
    "設為",
    "设成",
    "設成",
    "换成",
    "換成",
    "变成",
    "變成",
    "是",
    "为",
    "為",
    "叫",
    "：",
    ":",
    "＝",
    "=",
];
const ADVERBS_ZH: &[&str] = &[
    "已经被",
    "已經被",
    "已经",
    "已經",
    "已被",
    "现在",
    "現在",
    "目前",
    "仍然",
    "还是",
    "還是",
    "依然",
    "默认",
    "默認",
    "暂时",
    "暫時",
    "统一",
    "統一",
    "应该",
    "應該",
    "已",
    "仍",
    "也",
    "都",
    "就",
    "则",
    "則",
    "被",
    "了",
    "：",
    ":",
];
const CORE_JA: &[&str] = &["は", "が", "を", "も", "：", ":", "＝", "="];
const ADVERBS_JA: &[&str] = &["変更後", "変更", "現在", "今は", "今", "、", "：", ":"];
const CORE_KO: &[&str] = &["는", "은", "가", "이", "를", "을", "：", ":", "＝", "="];
const ADVERBS_KO: &[&str] = &["변경", "현재", "지금", "：", ":"];

/// Quote pairs that may wrap a value.
const QUOTES: &[(&str, &str)] = &[
    ("\"", "\""),
    ("'", "'"),
    ("`", "`"),
    ("「", "」"),
    ("『", "』"),
    ("“", "”"),
    ("‘", "’"),
    ("《", "》"),
    ("【", "】"),
    ("〈", "〉"),
];

/// Longest quoted value considered.
const MAX_QUOTED: usize = 256;
/// Longest bare value considered (the credential test refuses longer ones).
const MAX_VALUE: usize = 256;
/// Longest English word read while linking a secret word to its value.
const MAX_WORD: usize = 64;

fn is_ascii_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Blanks, including the ideographic space.
fn skip_space(b: &[u8], mut i: usize) -> usize {
    loop {
        if b.get(i).is_some_and(|&c| is_blank(c)) {
            i += 1;
        } else if b[i.min(b.len())..].starts_with("\u{3000}".as_bytes()) {
            i += 3;
        } else {
            return i;
        }
    }
}

/// The English word at `i` (`[A-Za-z0-9'-]+`), if one starts there.
fn word_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let e = span_while_max(b, i, MAX_WORD, |c| {
        c.is_ascii_alphanumeric() || c == b'\'' || c == b'-'
    });
    (e > i && b[i].is_ascii_alphanumeric()).then_some((i, e))
}

fn one_of(word: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
}

/// A `:` or `=` separator at `i` (not `==`, `=>`, `::`, `:=` aside), and
/// the index after it.
fn separator_at(b: &[u8], i: usize) -> Option<usize> {
    let c = *b.get(i)?;
    let next = b.get(i + 1).copied();
    match c {
        b'=' if !matches!(next, Some(b'=' | b'>')) => Some(i + 1),
        b':' if next == Some(b'=') => Some(i + 2),
        b':' if next != Some(b':') => Some(i + 1),
        _ if b[i..].starts_with("：".as_bytes()) || b[i..].starts_with("＝".as_bytes()) => {
            Some(i + 3)
        }
        _ => None,
    }
}

/// Whether a change verb comes shortly before the word at `start`:
/// `changed the password to ...`.
fn change_before(b: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(32);
    let mut k = from;
    while k < start {
        if let Some((s, e)) = word_at(b, k)
            && (s == 0 || !is_ascii_word(b[s - 1]))
        {
            if one_of(&b[s..e], CHANGE_EN) {
                return true;
            }
            k = e;
        } else {
            k += 1;
        }
    }
    false
}

/// After an English secret word ending at `end`: up to four words naming
/// what the secret is for (`for the staging db`), then a link (`is`, `was
/// set to`, `:`) and fillers. Returns where the value may start.
fn english_link(b: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut i = end;
    let mut gaps = 0;
    // Looked up only when a `to` needs it: most secret words in text are
    // not followed by one.
    let mut change: Option<bool> = None;
    let change_at =
        |change: &mut Option<bool>| *change.get_or_insert_with(|| change_before(b, start));
    loop {
        i = skip_space(b, i);
        if separator_at(b, i).is_some() {
            break;
        }
        let (s, e) = word_at(b, i)?;
        let word = &b[s..e];
        let to = word.eq_ignore_ascii_case(b"to");
        if one_of(word, CORE_EN)
            || one_of(word, VERBS_EN)
            || one_of(word, CHANGE_EN)
            || (to && change_at(&mut change))
        {
            break;
        }
        if gaps == 4 || one_of(word, META_EN) || (to && gaps == 0) {
            return None;
        }
        gaps += 1;
        i = e;
    }
    let mut linked = false;
    loop {
        i = skip_space(b, i);
        if let Some(next) = separator_at(b, i) {
            linked = true;
            i = next;
            continue;
        }
        let Some((s, e)) = word_at(b, i) else { break };
        let word = &b[s..e];
        let to = word.eq_ignore_ascii_case(b"to");
        if one_of(word, CORE_EN) || (to && change_at(&mut change)) {
            linked = true;
        } else if one_of(word, CHANGE_EN) {
            change = Some(true);
        } else if !(one_of(word, VERBS_EN)
            || ((linked || change == Some(true)) && one_of(word, FILLER_EN)))
        {
            break;
        }
        i = e;
    }
    linked.then_some(i)
}

fn starts_with_any(b: &[u8], i: usize, list: &[&str]) -> Option<usize> {
    list.iter()
        .find(|w| b[i..].starts_with(w.as_bytes()))
        .map(|w| i + w.len())
}

/// After a Chinese, Japanese or Korean secret word: adverbs, then a link
/// (`是`, `改成`, `は`, `는`, `:`), then adverbs again. Returns where the
/// value may start.
fn cjk_link(b: &[u8], end: usize, lang: Lang) -> Option<usize> {
    let (core, adverbs) = match lang {
        Zh => (CORE_ZH, ADVERBS_ZH),
        Ja => (CORE_JA, ADVERBS_JA),
        _ => (CORE_KO, ADVERBS_KO),
    };
    let mut i = end;
    let mut linked = false;
    for _ in 0..6 {
        i = skip_space(b, i);
        if let Some(next) = starts_with_any(b, i, core) {
            linked = true;
            i = next;
        } else if let Some(next) = starts_with_any(b, i, adverbs) {
            i = next;
        } else {
            break;
        }
    }
    linked.then_some(i)
}

/// The value at `i`: a quoted string on the same line, or a run of
/// printable ASCII other than quotes. Returns its span and whether it was
/// quoted.
fn value_at(b: &[u8], i: usize) -> Option<(usize, usize, bool)> {
    let i = skip_space(b, i);
    for (open, close) in QUOTES {
        if !b[i..].starts_with(open.as_bytes()) {
            continue;
        }
        let s = i + open.len();
        let limit = (s + MAX_QUOTED).min(b.len());
        let inner = &b[s..limit];
        let stop = inner
            .iter()
            .position(|&c| c == b'\n')
            .unwrap_or(inner.len());
        if let Some(k) = inner[..stop]
            .windows(close.len())
            .position(|x| x == close.as_bytes())
        {
            return Some((s, s + k, true));
        }
        return None;
    }
    // One past the longest value judged, so that `token=token=...` stays
    // linear: a longer run is refused without reading it all.
    // A backslash ends the value too: in JSON-escaped text it starts `\n`
    // or `\"`, which must stay whole.
    let e = span_while_max(b, i, MAX_VALUE + 1, |c| {
        (0x21..=0x7e).contains(&c) && !matches!(c, b'"' | b'\'' | b'`' | b'\\')
    });
    // A query string or connection string goes on with another parameter.
    let e = (i..e)
        .find(|&p| matches!(b[p], b'&' | b';') && separates(b, p))
        .unwrap_or(e);
    (e > i).then_some((i, e, false))
}

/// Sentence punctuation after a bare value: `.`, `,`, `;`, `:`, `?` and
/// closing brackets without an opening one inside the value.
fn trim_trailing(v: &[u8]) -> usize {
    let mut e = v.len();
    while e > 0 {
        let c = v[e - 1];
        let open = match c {
            b')' => Some(b'('),
            b']' => Some(b'['),
            b'}' => Some(b'{'),
            b'>' => Some(b'<'),
            _ => None,
        };
        let trim = match open {
            Some(o) => !v[..e - 1].contains(&o),
            None => matches!(c, b'.' | b',' | b';' | b':' | b'?'),
        };
        if !trim {
            break;
        }
        e -= 1;
    }
    e
}

/// A secret given after the secret word at `start..end`, if any.
pub(crate) fn after_word(b: &[u8], start: usize, end: usize, word: &Word) -> Option<Hit> {
    let first = b[start];
    let last = b[end - 1];
    // Whole words only for words that begin or end in ASCII: not
    // `max_tokens`, `tokenizer`, `password_hash`, `x-api-key`.
    if first.is_ascii_alphanumeric() && start > 0 && is_ascii_word(b[start - 1]) {
        return None;
    }
    if last.is_ascii_alphanumeric()
        && b.get(end).is_some_and(|&c| {
            is_ascii_word(c)
                || c == b'-'
                || c == b'.' && word.lang == En && b.get(end + 1).is_some_and(|&n| is_ascii_word(n))
        })
    {
        return None;
    }
    let v = match word.lang {
        En => english_link(b, start, end)?,
        lang => cjk_link(b, end, lang)?,
    };
    let (s, e, quoted) = value_at(b, v)?;
    let value = &b[s..e];
    // Judge the value without trailing punctuation and `!`, but redact a
    // trailing `!`: it may belong to the secret.
    let kept = if quoted {
        value.len()
    } else {
        trim_trailing(value)
    };
    let core_len = value[..kept]
        .iter()
        .rposition(|&c| c != b'!')
        .map_or(0, |k| k + 1);
    if !looks_like_credential(&value[..core_len], word.class, quoted) {
        return None;
    }
    Some(Hit {
        start: s,
        end: s + kept,
        kind: SecretKind::ProseSecret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        for word in WORDS {
            let pat = word.text.as_bytes();
            for i in 0..b.len() {
                if b[i..].len() >= pat.len()
                    && b[i..i + pat.len()].eq_ignore_ascii_case(pat)
                    && let Some(h) = after_word(b, i, i + pat.len(), word)
                {
                    out.push(&text[h.start..h.end]);
                }
            }
        }
        out
    }

    #[test]
    fn english_links() {
        assert_eq!(
            found("the password is Tr0ub4dor-2026-prod!"),
            ["Tr0ub4dor-2026-prod!"]
        );
        assert_eq!(
            found("The password for the staging db is hunter2-x9."),
            ["hunter2-x9"]
        );
        assert_eq!(found("I changed the password to Zq8v&K2pL"), ["Zq8v&K2pL"]);
        assert_eq!(found("the token was set to abc123XYZ789"), ["abc123XYZ789"]);
        assert_eq!(found("my token: a1b2c3d4e5"), ["a1b2c3d4e5"]);
        assert_eq!(found("secret=s3cr3t"), ["s3cr3t"]);
        assert_eq!(
            found("The API key is now \"k8s-Prod 9f8e\"."),
            ["k8s-Prod 9f8e"]
        );
        assert_eq!(found("the PIN is 4821"), ["4821"]);
    }

    #[test]
    fn cjk_links() {
        assert_eq!(
            found("测试数据库的密码是 hunter2-staging-88。"),
            ["hunter2-staging-88"]
        );
        assert_eq!(found("密码已改为Zq8v#K2pL，请查收"), ["Zq8v#K2pL"]);
        assert_eq!(found("パスワードは「Tr0ub4dor&3」です"), ["Tr0ub4dor&3"]);
        assert_eq!(found("APIキー：sk9-AbCd-1234"), ["sk9-AbCd-1234"]);
        assert_eq!(
            found("비밀번호는 hunter2-staging-88 입니다"),
            ["hunter2-staging-88"]
        );
        assert_eq!(found("비밀번호를 Pa55w0rd!로 변경했습니다"), ["Pa55w0rd!"]);
        assert_eq!(found("暗証番号は 4821 です"), ["4821"]);
        assert_eq!(found("비밀번호 변경: Zq8v#K2pL"), ["Zq8v#K2pL"]);
        assert_eq!(found("パスワード変更：Zq8v#K2pL"), ["Zq8v#K2pL"]);
        assert_eq!(found("密码更改为 Zq8v#K2pL"), ["Zq8v#K2pL"]);
    }

    #[test]
    fn ordinary_prose_stays() {
        for text in [
            "the password is stored in Vault",
            "the token is expired",
            "use a strong password",
            "密码是必填项",
            "トークンは安全に保存されます",
            "비밀번호가 틀렸습니다",
            "암호화는 AES-256을 사용합니다",
            "the token limit is 4096",
            "the password policy is NIST-800-63",
            "the token is base64-encoded",
            "the password must be 8-characters long",
            "the secret is $DB_PASSWORD",
            "password: <password>",
            "the token is ${API_TOKEN}",
            "the password is xxxx",
            "the password is changeme",
            "token = self.token",
            "if token == expected_token {",
            "the token is v1.2.3",
            "token: Optional[str] = None",
            "令牌是 OAuth2 令牌",
            "private key-----",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
