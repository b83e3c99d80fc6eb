//! What an entry is about, so that a newer entry on the same subject replaces
//! the older one instead of standing beside it.
//!
//! A subject is a kind of command (`command:test`), a path's rule (`path:legacy`),
//! a URL's role (`url:staging url`, or `host:example.com` when unlabelled), a
//! preference (`pref:reply-language`), the tool chosen within a family
//! (`tool:js-package-manager`) or a runtime's version (`version:node`).
//! Entries with no recognisable subject never replace anything.

/// Tool families: within one, choosing a tool replaces choosing another.
const TOOL_FAMILIES: [(&str, &[&str]); 8] = [
    ("js-package-manager", &["npm", "yarn", "pnpm", "bun"]),
    (
        "python-package-manager",
        &[
            "pip", "pip3", "poetry", "uv", "pipenv", "pdm", "conda", "rye",
        ],
    ),
    ("node-version-manager", &["nvm", "fnm", "volta"]),
    ("js-test-runner", &["jest", "vitest", "mocha", "ava"]),
    ("python-test-runner", &["pytest", "unittest", "nose2"]),
    ("container-runtime", &["docker", "podman"]),
    ("js-formatter", &["prettier", "biome", "dprint"]),
    ("python-formatter", &["black", "yapf", "autopep8"]),
];

/// Words saying a tool is chosen (or not), or naming what it is for, in the
/// four languages.
const CHOICE_WORDS: [&str; 32] = [
    "use",
    "using",
    "switch",
    "prefer",
    "install with",
    "stick with",
    "move to",
    "migrate",
    "package manager",
    "installs",
    "用",
    "使用",
    "改为",
    "换成",
    "切换",
    "包管理",
    "依赖",
    "使う",
    "使って",
    "使わ",
    "移行",
    "パッケージ",
    "マネージャ",
    "쓰",
    "사용",
    "써",
    "바꿔",
    "전환",
    "패키지",
    "매니저",
    "관리자",
    "runner",
];

/// Runtimes whose version is one fact (`Node 20` replaces `Node 18`).
const RUNTIMES: [&str; 14] = [
    "node", "node.js", "nodejs", "python", "ruby", "go", "java", "jdk", "rust", "php", "dotnet",
    ".net", "deno", "bun",
];

/// Preferences: `(subject, words naming it, words that must come with it)`.
const PREFERENCES: [(&str, &[&str], &[&str]); 3] = [
    (
        "reply-language",
        &[
            "english",
            "chinese",
            "japanese",
            "korean",
            "中文",
            "英文",
            "英语",
            "日语",
            "韩语",
            "日本語",
            "英語",
            "中国語",
            "韓国語",
            "한국어",
            "영어",
            "중국어",
            "일본어",
        ],
        &[
            "reply",
            "respond",
            "answer",
            "write to me",
            "talk",
            "回答",
            "回复",
            "答",
            "交流",
            "返事",
            "返信",
            "答え",
            "話",
            "답",
            "대답",
            "응답",
            "말해",
        ],
    ),
    (
        "commit-messages",
        &[
            "commit message",
            "提交信息",
            "提交消息",
            "コミットメッセージ",
            "커밋 메시지",
        ],
        &[""],
    ),
    (
        "indentation",
        &["indent", "缩进", "インデント", "들여쓰기"],
        &[""],
    ),
];

/// True when two entries are about the same subject. A labelled URL and an
/// unlabelled one are compared by host.
pub fn same_subject(a: (&str, &str), b: (&str, &str)) -> bool {
    match (subject_key(a.0, a.1), subject_key(b.0, b.1)) {
        (Some(x), Some(y)) if x == y => true,
        (Some(x), Some(y)) if x.starts_with("host:") || y.starts_with("host:") => {
            url_host(a.1).is_some() && url_host(a.1) == url_host(b.1)
        }
        _ => false,
    }
}

/// The subject of an entry of `section`, or `None` when it has no clear one.
pub fn subject_key(section: &str, text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if section.eq_ignore_ascii_case("Commands") {
        let label = text.split_once(':')?.0.trim();
        let simple = !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == ' ');
        return simple.then(|| format!("command:{}", label.to_lowercase()));
    }
    if section.eq_ignore_ascii_case("Rules")
        && let [path] = paths(text).as_slice()
    {
        return Some(format!("path:{path}"));
    }
    if let Some(key) = url_key(text) {
        return Some(key);
    }
    for (name, words, with) in PREFERENCES {
        if words.iter().any(|w| lower.contains(w)) && with.iter().any(|w| lower.contains(w)) {
            return Some(format!("pref:{name}"));
        }
    }
    if CHOICE_WORDS.iter().any(|w| has_word(&lower, w)) {
        for (family, tools) in TOOL_FAMILIES {
            if tools.iter().any(|t| mentions_tool(&lower, t)) {
                return Some(format!("tool:{family}"));
            }
        }
    }
    runtime_version(&lower).map(|r| format!("version:{r}"))
}

/// `word` in `text`; an ASCII word must start a word (`use` is not in `because`).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !word.is_ascii()
            || !text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The family of a tool named alone (`pnpm` → `js-package-manager`).
pub fn tool_family(tool: &str) -> Option<&'static str> {
    let t = tool.trim().to_ascii_lowercase();
    TOOL_FAMILIES
        .iter()
        .find(|(_, tools)| tools.contains(&t.as_str()))
        .map(|(family, _)| *family)
}

/// True when both texts name a tool of one family (`yarn` and `pnpm`), even
/// without a word of choice (`いや、やっぱり pnpm で`).
pub fn shared_tool_family(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    TOOL_FAMILIES.iter().any(|(_, tools)| {
        tools.iter().any(|t| mentions_tool(&a, t)) && tools.iter().any(|t| mentions_tool(&b, t))
    })
}

/// Entries equal in their letters and digits (case, spacing, punctuation and
/// quotes aside) are the same entry.
pub fn near_duplicate_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `tool` appears as a word of its own: the tool chosen, not a
/// command run with it (`pnpm`, `pnpm。`, but not `pnpm run build`).
fn mentions_tool(lower: &str, tool: &str) -> bool {
    lower.match_indices(tool).any(|(at, _)| {
        let before_ok = !lower[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
        let after = &lower[at + tool.len()..];
        let after_ok = !after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
        let next_word = after
            .trim_start_matches(['`', '\'', '"'])
            .split_whitespace()
            .next()
            .unwrap_or("");
        let runs_something = matches!(
            next_word,
            "run" | "test" | "build" | "install" | "exec" | "lint" | "i" | "ci" | "add"
        );
        before_ok && after_ok && !runs_something
    })
}

/// The paths an entry names: code spans or words holding a `/` or a file
/// extension, without `./` and a trailing `/`; URLs are not paths.
pub fn paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let spans: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    let words = text.split(|c: char| {
        c.is_whitespace() || matches!(c, '`' | ',' | '，' | '。' | '、' | '(' | ')' | '：' | '；')
    });
    for token in spans.into_iter().chain(words) {
        let t = token
            .trim()
            .trim_end_matches(['.', ':', ';', '!', '?', '\'', '"'])
            .trim_start_matches(['\'', '"']);
        if t.is_empty() || t.contains("://") || t.contains(char::is_whitespace) || !t.is_ascii() {
            continue;
        }
        let dotted = t.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty()
                && (2..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphabetic())
        });
        if !(t.contains('/') || dotted) {
            continue;
        }
        let p = t.trim_start_matches("./").trim_end_matches('/').to_string();
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// `url:<label>` from the words naming a URL (`staging URL is https://...`), or
/// `host:<host>` when nothing names it.
fn url_key(text: &str) -> Option<String> {
    let at = text.find("https://").or_else(|| text.find("http://"))?;
    let host = url_host(text)?;
    let label = url_label(&text[..at]);
    if !label.is_empty() {
        return Some(format!("url:{label}"));
    }
    Some(format!("host:{host}"))
}

/// The host of the first URL in `text`.
fn url_host(text: &str) -> Option<String> {
    let at = text.find("https://").or_else(|| text.find("http://"))?;
    let host = text[at..]
        .split_once("://")?
        .1
        .split(|c: char| matches!(c, '/' | ':' | '?' | '#' | '`' | ')') || c.is_whitespace())
        .next()?
        .to_lowercase();
    (!host.is_empty()).then_some(host)
}

const LABEL_FILLERS: [&str; 36] = [
    "the",
    "a",
    "an",
    "our",
    "is",
    "are",
    "was",
    "now",
    "at",
    "on",
    "to",
    "moved",
    "changed",
    "has",
    "been",
    "lives",
    "live",
    "new",
    "old",
    "current",
    "currently",
    "remember",
    "that",
    "please",
    "use",
    "uses",
    "from",
    "be",
    "will",
    "it's",
    "its",
    "of",
    "for",
    "here",
    "same",
    "located",
];

const CJK_LABEL_FILLERS: [&str; 20] = [
    "现在",
    "已经",
    "改为",
    "改成",
    "换成",
    "新的",
    "旧的",
    "是",
    "在",
    "为",
    "记住",
    "今は",
    "新しい",
    "です",
    "は",
    "이제",
    "새",
    "는",
    "은",
    "로",
];

/// Roles a URL plays, by the words that name them in the four languages: the
/// label of `Staging: https://...`, `the staging environment is at https://...`
/// and `ステージング環境の URL は https://...` is one role.
const URL_ROLES: [(&str, &[&str]); 6] = [
    (
        "staging",
        &[
            "staging",
            "stage",
            "stg",
            "ステージング",
            "预发",
            "预发布",
            "스테이징",
        ],
    ),
    (
        "production",
        &[
            "production",
            "prod",
            "本番",
            "生产",
            "正式环境",
            "운영",
            "프로덕션",
            "プロダクション",
        ],
    ),
    ("preview", &["preview", "プレビュー", "预览", "미리보기"]),
    (
        "docs",
        &["docs", "documentation", "ドキュメント", "文档", "문서"],
    ),
    (
        "registry",
        &["registry", "レジストリ", "镜像源", "레지스트리"],
    ),
    (
        "dashboard",
        &["dashboard", "ダッシュボード", "仪表盘", "대시보드"],
    ),
];

/// Words that name what a URL is (`URL`, `environment`, `環境`) rather than
/// whose it is.
const URL_NOUNS: [&str; 16] = [
    "url",
    "urls",
    "address",
    "environment",
    "env",
    "server",
    "host",
    "site",
    "link",
    "环境",
    "地址",
    "環境",
    "アドレス",
    "환경",
    "주소",
    "링크",
];

/// The role of the URL whose preceding words are `before` (`Staging moved: it
/// is` → `staging`), when those words name a known one.
pub fn url_role_before(before: &str) -> Option<&'static str> {
    let label = url_label(before);
    URL_ROLES
        .iter()
        .map(|(role, _)| *role)
        .find(|role| *role == label)
}

/// The role named by a label word, if any.
fn url_role(word: &str) -> Option<&'static str> {
    URL_ROLES.iter().find_map(|(role, names)| {
        names
            .iter()
            .any(|n| {
                if n.is_ascii() {
                    word == *n
                } else {
                    word.contains(n)
                }
            })
            .then_some(*role)
    })
}

/// The last few meaningful words before a URL, lower-cased; a known role
/// (`staging`) when one of them names it.
fn url_label(before: &str) -> String {
    let clause = before
        .trim_end()
        .trim_end_matches([':', '：', '=', '-', '>', '`', '(', '（'])
        .rsplit(['.', ',', ';', '。', '，', '；', '!', '?'])
        .next()
        .unwrap_or("");
    let mut words: Vec<String> = Vec::new();
    for w in clause.split_whitespace() {
        let mut w = w
            .to_lowercase()
            .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
            .to_string();
        if w.is_ascii() {
            if LABEL_FILLERS.contains(&w.as_str()) || matches!(w.as_str(), "it" | "moved") {
                continue;
            }
        } else {
            for f in CJK_LABEL_FILLERS
                .iter()
                .chain(["の", "的", "는", "은"].iter())
            {
                w = w.replace(f, "");
            }
        }
        if let Some(role) = url_role(&w) {
            return role.to_string();
        }
        if !w.is_ascii() {
            for n in URL_NOUNS {
                w = w.replace(n, "");
            }
        }
        let w = w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
        if !w.is_empty() && !URL_NOUNS.contains(&w.as_str()) {
            words.push(w);
        }
    }
    let keep = words.len().saturating_sub(3);
    words[keep..].join(" ")
}

/// A runtime named with a version number right after it (`Node 20`, `Python 3.12`).
fn runtime_version(lower: &str) -> Option<&'static str> {
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '`' | ',' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).find_map(|pair| {
        let name = RUNTIMES.iter().find(|r| **r == pair[0])?;
        let version = pair[1].trim_start_matches(['v', '>', '=', '^', '~']);
        // `Node.js 20` and `node 18` are one runtime.
        let name = match *name {
            "node.js" | "nodejs" => "node",
            ".net" => "dotnet",
            "jdk" => "java",
            other => other,
        };
        version
            .starts_with(|c: char| c.is_ascii_digit())
            .then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(section: &str, text: &str) -> Option<String> {
        subject_key(section, text)
    }

    #[test]
    fn same_subject_pairs() {
        let pairs = [
            ("Notes", "用 yarn", "Rules", "以后用 pnpm，不要再用 yarn"),
            ("Notes", "Use npm for installs", "Notes", "Switch to bun"),
            (
                "Notes",
                "Python deps: use poetry",
                "Notes",
                "今後は uv を使って",
            ),
            (
                "Rules",
                "Do not modify `legacy/` (the user said so)",
                "Rules",
                "`legacy/` may be modified (the user said so)",
            ),
            (
                "Notes",
                "The staging URL is https://staging-old.example.com",
                "Notes",
                "The staging URL is now https://stg.example.com/app",
            ),
            (
                "Notes",
                "Docs: https://docs.example.com/v1",
                "Notes",
                "https://docs.example.com/v2",
            ),
            ("Notes", "Reply in English", "Notes", "用中文回答"),
            (
                "Notes",
                "CI runs on Node 18",
                "Notes",
                "Use Node 22 locally",
            ),
            (
                "Commands",
                "Test: `cargo test`",
                "Commands",
                "Test: `make check`",
            ),
        ];
        for (s1, t1, s2, t2) in pairs {
            assert!(same_subject((s1, t1), (s2, t2)), "{t1} / {t2}");
        }
    }

    #[test]
    fn different_or_no_subject() {
        let pairs = [
            (
                "Rules",
                "Do not modify `vendor/`",
                "Rules",
                "Do not modify `legacy/`",
            ),
            (
                "Notes",
                "The staging URL is https://s.example.com",
                "Notes",
                "The prod URL is https://p.example.com",
            ),
            ("Notes", "Use pnpm", "Notes", "Use pytest"),
            (
                "Notes",
                "The staging URL is https://a.example.com",
                "Notes",
                "The prod URL is https://a.example.com/prod",
            ),
            ("Commands", "Test: `x`", "Commands", "Build: `x`"),
        ];
        for (s1, t1, s2, t2) in pairs {
            assert!(!same_subject((s1, t1), (s2, t2)), "{t1} / {t2}");
        }
        for (s, t) in [
            ("Notes", "Run `npm run build` before committing"),
            ("Notes", "The fixtures live in tests/data"),
            ("Notes", "Releases are cut on Fridays"),
            ("Notes", "Deploys wait because npm is slow to publish"),
            ("Notes", "The staging DB listens on port 5433"),
        ] {
            assert_eq!(key(s, t), None, "{t}");
        }
    }

    #[test]
    fn near_duplicates_ignore_case_punctuation_and_quotes() {
        assert_eq!(
            near_duplicate_key("Use `pnpm`, not yarn."),
            near_duplicate_key("use \"pnpm\" not   yarn")
        );
        assert_ne!(
            near_duplicate_key("use pnpm"),
            near_duplicate_key("use npm")
        );
    }

    #[test]
    fn a_url_role_is_one_subject_in_any_wording_and_language() {
        let same = [
            "The staging environment is at https://staging-a.internal.example.com and smoke tests run against it",
            "Staging: https://stage.example.net",
            "Staging moved: it is https://stage.example.net now",
            "ステージング環境の URL は https://stg-old.example.jp です",
            "ステージング: https://stg.example.jp",
            "预发环境的地址是 https://pre.example.cn",
            "스테이징 서버 주소는 https://stg.example.kr 입니다",
        ];
        for a in same {
            for b in same {
                assert!(same_subject(("Notes", a), ("Notes", b)), "{a} / {b}");
            }
        }
        assert_eq!(
            key("Notes", "本番環境は https://app.example.jp です").as_deref(),
            Some("url:production")
        );
        assert!(!same_subject(
            ("Notes", "Staging: https://stage.example.net"),
            ("Notes", "Docs: https://docs.example.net")
        ));
    }
}
