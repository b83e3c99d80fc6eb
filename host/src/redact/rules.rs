//! Vendor token formats carried as data: a rule file in the gitleaks format
//! (`[[rules]]` with `id`, `description`, `regex`, `secretGroup`, `keywords`,
//! `entropy`), embedded in the binary and compiled once. A new format is a
//! new entry in `assets/secret-rules.toml`, not code.
//!
//! Regexes run over bytes with ASCII classes. A rule only runs on a line
//! holding one of its keywords (see [`super::triggers`]), and at most once
//! per line, so the cost stays linear in the text. Keywords need two bytes
//! or more (the keyword pass filters on byte pairs) and are found where an
//! alphanumeric word starts, at a non-ASCII character, or at a `-`, `:` or
//! `=` they begin with; so a keyword should be a token's prefix or a word
//! of its context, not a fragment from inside a token.

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use super::value::is_placeholder;

/// The bundled rule set.
const BUNDLED: &str = include_str!("../../assets/secret-rules.toml");

/// Rules read on first use; each rule's regex is compiled only when a text holds
/// one of its keywords, so a short-lived hook process builds few automata. The
/// bundled file is compiled whole by a unit test, so this cannot fail in a
/// released binary.
pub(crate) static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::read(BUNDLED, false).expect("the bundled secret rules are valid"));

/// Why a rule file was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("secret rules are not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("secret rule `{id}`: {reason}")]
    Invalid { id: String, reason: &'static str },
    #[error("secret rule `{id}`: bad regex: {source}")]
    Regex {
        id: String,
        #[source]
        source: Box<regex::Error>,
    },
}

#[derive(Deserialize)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RawRule>,
}

/// One `[[rules]]` entry as written. Other gitleaks fields (`tags`, `path`,
/// `allowlists`) are accepted and ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of the file
    description: String,
    regex: String,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
}

/// A compiled rule.
pub(crate) struct Rule {
    pub id: String,
    pattern: String,
    regex: OnceLock<Regex>,
    group: Option<usize>,
    entropy: f64,
    /// Lower-case keywords, one of which must be present for the rule to run.
    pub keywords: Vec<String>,
}

/// All rules of a file, in file order.
pub(crate) struct RuleSet {
    pub rules: Vec<Rule>,
}

/// Longest regex program a rule may compile to; a runaway repetition is a
/// mistake in the file, not a format.
const SIZE_LIMIT: usize = 1 << 20;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

impl RuleSet {
    /// Parses a rule file; with `compile_now` every regex is compiled and checked at
    /// once, otherwise each is compiled on first use.
    fn read(text: &str, compile_now: bool) -> Result<RuleSet, RuleError> {
        let file: RuleFile = toml::from_str(text)?;
        let mut rules: Vec<Rule> = Vec::with_capacity(file.rules.len());
        for raw in file.rules {
            let invalid = |reason| RuleError::Invalid {
                id: raw.id.clone(),
                reason,
            };
            if !valid_id(&raw.id) {
                return Err(invalid("the id must be kebab-case: [a-z0-9-]+"));
            }
            if rules.iter().any(|r| r.id == raw.id) {
                return Err(invalid("the id is used twice"));
            }
            // Without a keyword the rule would run over every byte of every
            // text; the prefilter is what keeps redaction fast.
            if raw.keywords.is_empty()
                || raw
                    .keywords
                    .iter()
                    .any(|k| k.len() < 2 || !super::triggers::can_start(k.as_bytes()[0]))
            {
                return Err(invalid(
                    "keywords need two bytes or more, starting with a letter, a digit, \
                     a non-ASCII character, `-`, `:` or `=`",
                ));
            }
            let regex = OnceLock::new();
            if compile_now {
                let compiled = compile(&raw.regex).map_err(|e| RuleError::Regex {
                    id: raw.id.clone(),
                    source: Box::new(e),
                })?;
                if raw
                    .secret_group
                    .is_some_and(|g| g >= compiled.captures_len())
                {
                    return Err(invalid("secretGroup names a group the regex lacks"));
                }
                let _ = regex.set(compiled);
            }
            rules.push(Rule {
                id: raw.id,
                pattern: raw.regex,
                regex,
                group: raw.secret_group.filter(|&g| g > 0),
                entropy: raw.entropy.unwrap_or(0.0),
                keywords: raw.keywords.iter().map(|k| k.to_lowercase()).collect(),
            });
        }
        Ok(RuleSet { rules })
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .build()
}

/// Shannon entropy of `s` in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut freq = [0u32; 256];
    for &c in s {
        freq[c as usize] += 1;
    }
    let n = s.len() as f64;
    freq.iter()
        .filter(|&&f| f > 0)
        .map(|&f| {
            let p = f64::from(f) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a match at `start..end` is glued to the word around it: a token
/// that runs on into letters or digits is something else. A letter right
/// after a backslash (`\n` in JSON-escaped text) is an escape, not a word.
fn glued(b: &[u8], start: usize, end: usize) -> bool {
    let before = start
        .checked_sub(1)
        .is_some_and(|j| b[j].is_ascii_alphanumeric() && !(j > 0 && b[j - 1] == b'\\'));
    before || b.get(end).is_some_and(u8::is_ascii_alphanumeric)
}

/// Widens `r` to UTF-8 character boundaries (a `.` in a regex may stop
/// inside a multi-byte character).
fn char_bounds(b: &[u8], mut r: Range<usize>) -> Range<usize> {
    let cont = |c: u8| c & 0xC0 == 0x80;
    while r.start > 0 && r.start < b.len() && cont(b[r.start]) {
        r.start -= 1;
    }
    while r.end < b.len() && cont(b[r.end]) {
        r.end += 1;
    }
    r
}

impl Rule {
    /// Calls `emit` with the span of each secret this rule finds in
    /// `b[line]`; stops when `emit` returns false.
    pub(crate) fn scan_line(
        &self,
        b: &[u8],
        line: Range<usize>,
        mut emit: impl FnMut(Range<usize>) -> bool,
    ) {
        let hay = &b[line.clone()];
        let at = |m: regex::bytes::Match<'_>| line.start + m.start()..line.start + m.end();
        let regex = self.regex.get_or_init(|| {
            compile(&self.pattern).expect("the rule was checked when its file was")
        });
        for caps in regex.captures_iter(hay) {
            let Some(whole) = caps.get(0) else { continue };
            let whole = at(whole);
            let secret = match self.group {
                Some(g) => caps.get(g).map(at),
                None => (1..caps.len())
                    .find_map(|g| caps.get(g))
                    .map(at)
                    .or(Some(whole.clone())),
            };
            let Some(secret) = secret.filter(|s| !s.is_empty()) else {
                continue;
            };
            let value = &b[secret.clone()];
            if glued(b, whole.start, whole.end)
                || is_placeholder(value)
                || entropy(value) < self.entropy
            {
                continue;
            }
            if !emit(char_bounds(b, secret)) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(set: &RuleSet, text: &str) -> Vec<(String, String)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        for r in &set.rules {
            r.scan_line(b, 0..b.len(), |s| {
                out.push((r.id.clone(), text[s].to_string()));
                true
            });
        }
        out
    }

    #[test]
    fn bundled_rules_compile_with_keywords() {
        let set = RuleSet::read(BUNDLED, true).expect("bundled rules");
        assert!(set.rules.len() >= 30);
        for r in &set.rules {
            assert!(valid_id(&r.id), "{}", r.id);
            assert!(!r.keywords.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn secret_group_selects_the_secret() {
        let set = RuleSet::read(
            "[[rules]]\nid = \"kv\"\nregex = '''key=(\\w{8,})'''\nsecretGroup = 1\nkeywords = [\"key=\"]\n",
            true,
        )
        .unwrap();
        assert_eq!(
            spans(&set, "x key=Zq8vK2pLm9 y"),
            [("kv".to_string(), "Zq8vK2pLm9".to_string())]
        );
    }

    #[test]
    fn first_group_is_the_default_secret() {
        let set = RuleSet::read(
            "[[rules]]\nid = \"kv\"\nregex = '''key:(\\w{8,})'''\nkeywords = [\"key:\"]\n",
            true,
        )
        .unwrap();
        assert_eq!(spans(&set, "key:Zq8vK2pLm9")[0].1, "Zq8vK2pLm9");
    }

    #[test]
    fn entropy_glue_and_placeholders_reject() {
        let set = RuleSet::read(
            "[[rules]]\nid = \"t\"\nregex = '''tk_[a-zA-Z0-9]{10}'''\nkeywords = [\"tk_\"]\nentropy = 2.5\n",
            true,
        )
        .unwrap();
        assert_eq!(spans(&set, "tk_Zq8vK2pLm9").len(), 1);
        assert!(spans(&set, "tk_aaaaaaaaab").is_empty(), "low entropy");
        assert!(spans(&set, "xtk_Zq8vK2pLm9").is_empty(), "glued before");
        assert!(spans(&set, "tk_Zq8vK2pLm9x").is_empty(), "glued after");
        assert!(spans(&set, "tk_xxxxAbCd12").is_empty(), "placeholder");
        assert_eq!(spans(&set, "\\ntk_Zq8vK2pLm9").len(), 1, "after an escape");
    }

    #[test]
    fn bad_files_are_refused() {
        let bad = [
            "[[rules]]\nid = \"Bad Id\"\nregex = 'x'\nkeywords = [\"x\"]\n",
            "[[rules]]\nid = \"a\"\nregex = 'x'\n",
            "[[rules]]\nid = \"a\"\nregex = '('\nkeywords = [\"x\"]\n",
            "[[rules]]\nid = \"a\"\nregex = 'x'\nsecretGroup = 2\nkeywords = [\"x\"]\n",
            "[[rules]]\nid = \"a\"\nregex = 'x'\nkeywords = [\"x\"]\n[[rules]]\nid = \"a\"\nregex = 'y'\nkeywords = [\"y\"]\n",
            "rules = 3",
        ];
        for text in bad {
            assert!(RuleSet::read(text, true).is_err(), "{text}");
        }
    }

    #[test]
    fn entropy_measures_bits_per_byte() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
