//! Finds the test, build, lint and format commands in a shell script.
//!
//! A script is cut into simple commands at `&&`, `||`, `;`, `&` and line
//! breaks (quotes respected). Of each one, output plumbing (`| tail`, `2>&1`,
//! `> log`), leading `NAME=value` assignments and `time`/`timeout 600` wrappers
//! are dropped; what remains is kept when its first words are one of the prefixes.

/// The default prefixes, compared word by word with a command's first words.
pub const DEFAULT_PREFIXES: [&str; 21] = [
    "cargo test",
    "cargo build",
    "cargo check",
    "cargo clippy",
    "cargo fmt",
    "cargo nextest",
    "npm test",
    "npm run",
    "pnpm",
    "yarn",
    "pytest",
    "python -m pytest",
    "python3 -m pytest",
    "go test",
    "go build",
    "go vet",
    "make",
    "just",
    "mvn",
    "gradle",
    "./gradlew",
];

/// Longer commands are not recorded: they are one-off invocations, not the project's.
pub const MAX_COMMAND_CHARS: usize = 200;

/// The recognized commands of `script`, in order, whitespace normalized.
pub fn recognize(script: &str, prefixes: &[String]) -> Vec<String> {
    split(script)
        .into_iter()
        .filter_map(clean)
        .filter(|words| prefixes.iter().any(|p| starts_with_words(words, p)))
        .map(|words| words.join(" "))
        .filter(|c| recordable(c))
        .collect()
}

fn starts_with_words(words: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split_whitespace().collect();
    !prefix.is_empty()
        && words.len() >= prefix.len()
        && words.iter().zip(&prefix).all(|(w, p)| w == p)
}

/// Fits in a markdown code span on one line, and holds nothing the host redacted.
fn recordable(command: &str) -> bool {
    !command.is_empty()
        && command.chars().count() <= MAX_COMMAND_CHARS
        && !command.contains('`')
        && !command.contains("[REDACTED")
        && !command.chars().any(char::is_control)
}

/// The script's simple commands, each as its words (quotes kept in the words).
/// Words after an unquoted `|` are left out: they only shape the output.
fn split(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut piped = false;
    let (mut single, mut double, mut escaped) = (false, false, false);
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        i += 1;
        if escaped {
            escaped = false;
            word.push(c);
            continue;
        }
        if single {
            single = c != '\'';
            word.push(c);
            continue;
        }
        if double {
            match c {
                '\\' => escaped = true,
                '"' => double = false,
                _ => {}
            }
            word.push(c);
            continue;
        }
        match c {
            '\\' if next == Some('\n') => i += 1, // a line continuation
            '\\' => {
                escaped = true;
                word.push(c);
            }
            '\'' => {
                single = true;
                word.push(c);
            }
            '"' => {
                double = true;
                word.push(c);
            }
            // `2>&1`, `>&2`, `&>log`: redirections, not separators.
            '&' if word.ends_with(['>', '<']) || next == Some('>') => word.push(c),
            '&' | ';' | '\n' | '|' => {
                let pipe = c == '|' && next != Some('|');
                if matches!((c, next), ('&', Some('&')) | ('|', Some('|'))) {
                    i += 1;
                }
                if !word.is_empty() && !piped {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                if pipe {
                    piped = true;
                } else {
                    commands.push(std::mem::take(&mut words));
                    piped = false;
                }
            }
            c if c.is_whitespace() => {
                if !word.is_empty() && !piped {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() && !piped {
        words.push(word);
    }
    commands.push(words);
    commands.retain(|w| !w.is_empty());
    commands
}

/// Drops redirections, leading assignments and `time`/`timeout` wrappers.
fn clean(words: Vec<String>) -> Option<Vec<String>> {
    let mut kept = Vec::new();
    let mut skip_next = false;
    for w in words {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let op = w.trim_start_matches(|c: char| c.is_ascii_digit());
        if op.starts_with(['>', '<']) || op.starts_with("&>") {
            // `>` alone takes the next word (its target) with it.
            skip_next = op.trim_start_matches(['>', '<', '&']).is_empty();
            continue;
        }
        kept.push(w);
    }
    let mut rest = kept.as_slice();
    loop {
        match rest {
            [first, tail @ ..] if is_assignment(first) || first == "time" => rest = tail,
            // `timeout [flags] DURATION command`: the duration is the first number.
            [first, tail @ ..] if first == "timeout" => {
                let duration = tail
                    .iter()
                    .position(|w| w.starts_with(|c: char| c.is_ascii_digit()));
                rest = duration.map_or(&[], |at| &tail[at + 1..]);
            }
            _ => break,
        }
    }
    (!rest.is_empty()).then(|| rest.to_vec())
}

/// `NAME=value`.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        DEFAULT_PREFIXES.iter().map(|p| p.to_string()).collect()
    }

    fn found(script: &str) -> Vec<String> {
        recognize(script, &defaults())
    }

    #[test]
    fn plain_commands_match_whole_words() {
        assert_eq!(found("cargo test --workspace"), ["cargo test --workspace"]);
        assert_eq!(found("make"), ["make"]);
        assert_eq!(found("npm run lint"), ["npm run lint"]);
        assert_eq!(found("python -m pytest -q"), ["python -m pytest -q"]);
        assert_eq!(found("./gradlew build"), ["./gradlew build"]);
        assert!(found("cargo tests").is_empty());
        assert!(found("makefile-lint").is_empty());
        assert!(found("git status").is_empty());
        assert!(found("npm install").is_empty());
        assert!(found("").is_empty());
    }

    #[test]
    fn compound_scripts_give_each_command() {
        assert_eq!(
            found("cd sub && cargo fmt --check; cargo clippy -- -D warnings || true"),
            ["cargo fmt --check", "cargo clippy -- -D warnings"]
        );
        assert_eq!(
            found("go vet ./...\ngo test ./..."),
            ["go vet ./...", "go test ./..."]
        );
        assert_eq!(
            found("cargo build \\\n  --release"),
            ["cargo build --release"]
        );
    }

    #[test]
    fn plumbing_assignments_and_wrappers_are_dropped() {
        assert_eq!(
            found("RUST_BACKTRACE=1 timeout -s KILL 600 cargo test 2>&1 | tail -n 50"),
            ["cargo test"]
        );
        assert_eq!(found("time pytest > out.log 2> err.log"), ["pytest"]);
        assert_eq!(found("make check &>/dev/null &"), ["make check"]);
        assert_eq!(found("pnpm   test"), ["pnpm test"]);
    }

    #[test]
    fn quotes_keep_separators_inside() {
        assert_eq!(
            found(r#"pytest -k "a and not b; c" && echo done"#),
            [r#"pytest -k "a and not b; c""#]
        );
        assert_eq!(found("just 'x | y'"), ["just 'x | y'"]);
    }

    #[test]
    fn unrecordable_commands_are_skipped() {
        assert!(found("make `echo target`").is_empty());
        assert_eq!(
            found("API_TOKEN=[REDACTED:token] make deploy"),
            ["make deploy"]
        );
        assert!(found("make TOKEN=[REDACTED:token]").is_empty());
        assert!(found(&format!("cargo test {}", "x".repeat(200))).is_empty());
    }

    #[test]
    fn custom_prefixes_replace_the_defaults() {
        let prefixes = vec!["bazel test".to_string(), "tox".to_string()];
        assert_eq!(
            recognize("cargo test && bazel test //... && tox -e py312", &prefixes),
            ["bazel test //...", "tox -e py312"]
        );
    }
}
