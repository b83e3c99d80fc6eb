//! Recognizes test, build, lint, format and type-check commands: in the argument
//! text of a shell tool call, in a shell script, and in a command a user typed.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Test,
    Build,
    Lint,
    Format,
    Check,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Test,
        Kind::Build,
        Kind::Lint,
        Kind::Format,
        Kind::Check,
    ];

    /// The label that starts a `Commands` entry: `- Test: `cmd``.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Test => "Test",
            Kind::Build => "Build",
            Kind::Lint => "Lint",
            Kind::Format => "Format",
            Kind::Check => "Check",
        }
    }
}

/// A shell command a tool call ran, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub script: String,
    pub workdir: Option<String>,
}

const SHELL_TOOLS: [&str; 9] = [
    "shell",
    "bash",
    "exec_command",
    "local_shell",
    "shell_command",
    "container.exec",
    "run_command",
    "terminal",
    "run_terminal_cmd",
];

/// The command of a shell tool call, from its argument text: Codex's
/// `{"command": ["bash", "-lc", "..."], "workdir": "..."}` or `{"cmd": "..."}`,
/// Claude's `{"command": "...", "description": "..."}`, or plain text.
pub fn shell_invocation(tool: Option<&str>, args: &str) -> Option<Invocation> {
    if let Some(tool) = tool {
        let tool = tool.to_ascii_lowercase();
        if !SHELL_TOOLS.contains(&tool.as_str()) {
            return None;
        }
    }
    let parsed = serde_json::from_str::<Value>(args).ok();
    let Some(Value::Object(map)) = parsed else {
        // Plain text is a command only when the tool says it is a shell.
        return (tool.is_some() && !args.trim().is_empty()).then(|| Invocation {
            script: args.trim().to_string(),
            workdir: None,
        });
    };
    let workdir = ["workdir", "cwd"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    let script = match map.get("command").or_else(|| map.get("cmd"))? {
        Value::String(s) => s.clone(),
        Value::Array(parts) => {
            let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
            argv_to_script(&parts)?
        }
        _ => return None,
    };
    let script = script.trim().to_string();
    (!script.is_empty()).then_some(Invocation { script, workdir })
}

fn argv_to_script(parts: &[&str]) -> Option<String> {
    let first = *parts.first()?;
    let shell = basename(first);
    if matches!(shell, "bash" | "sh" | "zsh" | "dash") && parts.len() >= 3 {
        let flag = parts[parts.len() - 2];
        if flag.starts_with('-') && flag.contains('c') {
            return Some(parts[parts.len() - 1].to_string());
        }
    }
    Some(
        parts
            .iter()
            .map(|p| {
                if p.is_empty() || p.contains(char::is_whitespace) {
                    format!("'{}'", p.replace('\'', r"'\''"))
                } else {
                    (*p).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The test/build/... commands of a script, each as it should be recorded.
/// Output plumbing (`2>&1`, `| tail`), `timeout`/`time` prefixes and noisy
/// environment variables are dropped; a preceding `cd dir` is kept (made relative
/// to `cwd` when it lies inside it). Commands running a single test or file
/// (`cargo test some_name`, `pytest a.py::t`) are left out: they are not the
/// project's test command.
pub fn recognize(script: &str, workdir: Option<&str>, cwd: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut cd: Option<String> = workdir.and_then(|w| relative_dir(w, cwd));
    for segment in split_segments(script) {
        let words = clean_words(&segment);
        let Some(first) = words.first() else { continue };
        if first == "cd" || first == "pushd" {
            cd = words.get(1).and_then(|d| {
                let d = unquote(d);
                if d.starts_with('/') {
                    relative_dir(&d, cwd).or(Some(d))
                } else {
                    Some(d)
                }
            });
            continue;
        }
        let bare: Vec<String> = words
            .iter()
            .skip_while(|w| is_assignment(w))
            .map(|w| unquote(w))
            .collect();
        // `bash -lc "cargo test"`: the script inside.
        if let [shell, flag, inner] = bare.as_slice()
            && matches!(basename(shell), "bash" | "sh" | "zsh" | "dash")
            && flag.starts_with('-')
            && flag.contains('c')
        {
            let base = cd.as_deref().filter(|d| !d.is_empty());
            for (kind, cmd) in recognize(inner, None, cwd) {
                out.push(match base {
                    Some(d) => (kind, format!("cd {d} && {cmd}")),
                    None => (kind, cmd),
                });
            }
            continue;
        }
        let Some(kind) = classify_words(&bare) else {
            continue;
        };
        if kind == Kind::Test && is_targeted(&bare) {
            continue;
        }
        let cmd = words.join(" ");
        let cmd = match &cd {
            Some(d) if !d.is_empty() => format!("cd {d} && {cmd}"),
            _ => cmd,
        };
        out.push((kind, cmd));
    }
    out
}

/// The kind of a single command (`cargo test -p foo`), if it is one this module knows.
pub fn classify(command: &str) -> Option<Kind> {
    let words: Vec<String> = clean_words(command)
        .iter()
        .skip_while(|w| is_assignment(w))
        .map(|w| unquote(w))
        .collect();
    classify_words(&words)
}

/// True when a user's text reads as a command: short, one line, starting with a
/// program name or a path, and not secret-looking.
pub fn plausible(command: &str) -> bool {
    let c = command.trim();
    if c.is_empty() || c.chars().count() > 200 || c.contains('\n') {
        return false;
    }
    let words: Vec<String> = clean_words(c);
    let Some(first) = words.iter().find(|w| !is_assignment(w)) else {
        return false;
    };
    let first = unquote(first);
    let program_like = first
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '/' | '_' | '-' | '+' | ':'));
    let stop_word = matches!(
        first.to_ascii_lowercase().as_str(),
        "the" | "a" | "an" | "it" | "this" | "that" | "to" | "and" | "or" | "is" | "with" | "i"
    );
    program_like && !stop_word && !is_document(&first) && !crate::text::looks_secret(c)
}

/// True when the path-like first word points at a script (`./scripts/test.sh`).
pub fn is_path_like(command: &str) -> bool {
    let first = command.split_whitespace().next().unwrap_or("");
    (first.starts_with("./") || first.starts_with("scripts/") || first.starts_with("bin/"))
        && !is_document(first)
}

/// `scripts/setup.md`, `docs/BUILD.txt`: a document to read, not a program.
fn is_document(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    [
        ".md", ".txt", ".rst", ".adoc", ".json", ".yaml", ".yml", ".toml", ".csv", ".log",
    ]
    .iter()
    .any(|ext| w.ends_with(ext))
}

/// Whether a tool call succeeded, judged from its output message: not marked as an
/// error, exit code 0 when one is visible, and no well-known failure line.
pub fn succeeded(error: bool, output: &str) -> bool {
    if error {
        return false;
    }
    if exit_code(output).is_some_and(|c| c != 0) {
        return false;
    }
    const FAILURES: [&str; 12] = [
        "test result: FAILED",
        "error: could not compile",
        "error: test failed",
        "npm ERR!",
        "ERR_PNPM",
        "=== FAILURES ===",
        "--- FAIL:",
        "FAIL\t",
        "BUILD FAILURE",
        "BUILD FAILED",
        "make: *** ",
        "Command failed with exit code",
    ];
    !FAILURES.iter().any(|f| output.contains(f))
}

/// The exit code a tool output reports, from its JSON (`"exit_code": 0`, also under
/// `metadata`) or its header lines (`Exit code: 0`, `Process exited with code 0`).
pub fn exit_code(output: &str) -> Option<i64> {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(output.trim()) {
        let direct = map.get("exit_code").and_then(Value::as_i64);
        let nested = map
            .get("metadata")
            .and_then(|m| m.get("exit_code"))
            .and_then(Value::as_i64);
        if let Some(code) = direct.or(nested) {
            return Some(code);
        }
    }
    for line in output.lines().take(8) {
        let lower = line.trim().to_ascii_lowercase();
        if lower.starts_with("output:") {
            break;
        }
        for prefix in [
            "exit code:",
            "exit code",
            "process exited with code",
            "exited with code",
            "exit status:",
            "exit status",
            "\"exit_code\":",
        ] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let digits: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect();
                if let Ok(code) = digits.parse() {
                    return Some(code);
                }
            }
        }
    }
    None
}

/// True when `command` is `forbidden` or starts with its words (`cargo test`
/// rules out `cargo test --workspace`; `yarn` rules out `yarn test`).
pub fn rules_out(forbidden: &str, command: &str) -> bool {
    let f: Vec<&str> = forbidden.split_whitespace().collect();
    let c: Vec<&str> = strip_cd(command).split_whitespace().collect();
    !f.is_empty() && c.len() >= f.len() && c[..f.len()] == f[..]
}

/// `cmd` without a leading `cd dir && `.
pub fn strip_cd(command: &str) -> &str {
    match command.strip_prefix("cd ") {
        Some(rest) => rest.split_once(" && ").map_or(command, |(_, c)| c),
        None => command,
    }
}

/// Splits a script at `&&`, `||`, `;` and newlines (outside quotes) and keeps the
/// first stage of each pipeline.
fn split_segments(script: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut in_pipe_tail = false;
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut chars = script.chars().peekable();
    let mut finish = |current: &mut String, in_pipe_tail: &mut bool| {
        let s = current.trim().to_string();
        if !s.is_empty() {
            segments.push(s);
        }
        current.clear();
        *in_pipe_tail = false;
    };
    while let Some(c) = chars.next() {
        if escaped {
            escaped = false;
            if !in_pipe_tail {
                current.push(c);
            }
            continue;
        }
        let quoted = single || double;
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        if !quoted && c != '\'' && c != '"' {
            match c {
                ';' | '\n' => {
                    finish(&mut current, &mut in_pipe_tail);
                    continue;
                }
                '&' if chars.peek() == Some(&'&') => {
                    chars.next();
                    finish(&mut current, &mut in_pipe_tail);
                    continue;
                }
                '|' if chars.peek() == Some(&'|') => {
                    chars.next();
                    finish(&mut current, &mut in_pipe_tail);
                    continue;
                }
                '|' => {
                    in_pipe_tail = true;
                    continue;
                }
                _ => {}
            }
        }
        if !in_pipe_tail {
            current.push(c);
        }
    }
    finish(&mut current, &mut in_pipe_tail);
    segments
}

/// The words of one simple command (quotes kept), without redirections, without
/// `timeout`/`time`/`env` prefixes and without noisy environment assignments.
fn clean_words(segment: &str) -> Vec<String> {
    let mut words = Vec::new();
    let raw = split_words(segment);
    let mut i = 0;
    while i < raw.len() {
        let w = &raw[i];
        if matches!(
            w.as_str(),
            ">" | ">>" | "<" | "1>" | "2>" | "&>" | "2>>" | "1>>"
        ) {
            i += 2;
            continue;
        }
        if is_redirection(w) {
            i += 1;
            continue;
        }
        words.push(w.clone());
        i += 1;
    }
    // Prefixes that only change how the command runs.
    while let Some(first) = words.first().map(|w| w.as_str()) {
        match first {
            "time" | "command" | "exec" | "nohup" | "env" => {
                words.remove(0);
            }
            "timeout" => {
                words.remove(0);
                while words.first().is_some_and(|w| w.starts_with('-')) {
                    let flag = words.remove(0);
                    if matches!(flag.as_str(), "-s" | "-k" | "--signal" | "--kill-after")
                        && !words.is_empty()
                    {
                        words.remove(0);
                    }
                }
                if words
                    .first()
                    .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                {
                    words.remove(0);
                }
            }
            _ if is_noise_assignment(first) => {
                words.remove(0);
            }
            _ => break,
        }
    }
    words
}

fn split_words(segment: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in segment.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if !single => {
                escaped = true;
                current.push(c);
            }
            '\'' if !double => {
                single = !single;
                current.push(c);
            }
            '"' if !single => {
                double = !double;
                current.push(c);
            }
            c if c.is_whitespace() && !single && !double => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn is_redirection(w: &str) -> bool {
    let rest = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
    rest.starts_with('>') || (rest.starts_with('<') && !rest.starts_with("<("))
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.chars().next().is_some_and(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn is_noise_assignment(w: &str) -> bool {
    const NOISE: [&str; 9] = [
        "RUST_BACKTRACE",
        "RUST_LOG",
        "CARGO_TERM_COLOR",
        "NO_COLOR",
        "FORCE_COLOR",
        "TERM",
        "CI",
        "PAGER",
        "GIT_PAGER",
    ];
    is_assignment(w)
        && w.split_once('=')
            .is_some_and(|(name, _)| NOISE.contains(&name))
}

fn unquote(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in w.chars() {
        if escaped {
            out.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            c => out.push(c),
        }
    }
    out
}

fn basename(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// `dir` relative to `cwd`: `""` for `cwd` itself, `None` when outside it.
fn relative_dir(dir: &str, cwd: &str) -> Option<String> {
    let dir = dir.trim_end_matches('/');
    let cwd = cwd.trim_end_matches('/');
    if cwd.is_empty() {
        return None;
    }
    if dir == cwd {
        return Some(String::new());
    }
    dir.strip_prefix(cwd)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_string)
}

/// Words after the program that are not flags, skipping values of the flags listed.
fn positionals<'a>(words: &'a [String], value_flags: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        if w == "--" {
            break;
        }
        if w.starts_with('-') {
            skip_next = value_flags.contains(&w.as_str());
            continue;
        }
        out.push(w.as_str());
    }
    out
}

fn classify_words(words: &[String]) -> Option<Kind> {
    let first = words.first()?;
    let program = basename(first).to_ascii_lowercase();
    let rest = &words[1..];
    let sub = |flags: &[&str]| {
        positionals(rest, flags)
            .first()
            .map(|s| s.to_ascii_lowercase())
    };
    match program.as_str() {
        "cargo" => {
            let sub = rest
                .iter()
                .find(|w| !w.starts_with('+') && !w.starts_with('-'))?
                .as_str();
            match sub {
                "test" | "t" | "nextest" => Some(Kind::Test),
                "build" | "b" => Some(Kind::Build),
                "clippy" => Some(Kind::Lint),
                "fmt" => Some(Kind::Format),
                "check" | "c" => Some(Kind::Check),
                _ => None,
            }
        }
        "npm" | "pnpm" | "yarn" | "bun" => {
            let flags = [
                "--prefix",
                "-C",
                "--dir",
                "--filter",
                "-F",
                "--workspace",
                "-w",
            ];
            let pos = positionals(rest, &flags);
            let first = pos.first().map(|s| s.to_ascii_lowercase());
            match first.as_deref() {
                Some("test" | "t" | "tst") => Some(Kind::Test),
                Some("run" | "run-script") => pos.get(1).and_then(|s| script_kind(s)),
                Some("exec" | "dlx" | "x") => classify_words(&rest_from(rest, pos.get(1)?)),
                Some(
                    "install" | "i" | "ci" | "add" | "remove" | "uninstall" | "publish" | "start"
                    | "dev" | "serve" | "init" | "create" | "outdated" | "audit" | "update",
                ) => None,
                Some(s) if program != "npm" => script_kind(s),
                _ => None,
            }
        }
        "npx" | "pnpx" | "bunx" => classify_words(&rest_from(rest, sub(&[])?.as_str())),
        "pytest" | "py.test" | "tox" | "nox" | "jest" | "vitest" | "mocha" | "ava" | "karma"
        | "rspec" | "ctest" | "phpunit" | "nextest" => Some(Kind::Test),
        "playwright" | "cypress" => match sub(&[]).as_deref() {
            Some("test" | "run") => Some(Kind::Test),
            _ => None,
        },
        "eslint" | "flake8" | "pylint" | "golangci-lint" | "rubocop" | "shellcheck"
        | "stylelint" | "hadolint" | "biome" => Some(Kind::Lint),
        "ruff" => match sub(&[]).as_deref() {
            Some("format") => Some(Kind::Format),
            _ => Some(Kind::Lint),
        },
        "black" | "prettier" | "gofmt" | "rustfmt" | "isort" | "clang-format" => Some(Kind::Format),
        "mypy" | "pyright" | "tsc" | "vue-tsc" => Some(Kind::Check),
        "python" | "python3" | "py" => {
            if let Some(i) = rest.iter().position(|w| w == "-m") {
                let module = rest.get(i + 1)?.to_ascii_lowercase();
                return match module.as_str() {
                    "pytest" | "unittest" | "tox" | "nox" => Some(Kind::Test),
                    "mypy" | "pyright" => Some(Kind::Check),
                    "black" | "isort" => Some(Kind::Format),
                    "flake8" | "pylint" => Some(Kind::Lint),
                    "ruff" => classify_words(&rest[i + 1..]),
                    "build" => Some(Kind::Build),
                    _ => None,
                };
            }
            let pos = positionals(rest, &[]);
            match (pos.first().copied(), pos.get(1).copied()) {
                (Some("manage.py" | "setup.py"), Some("test")) => Some(Kind::Test),
                _ => None,
            }
        }
        "uv" | "poetry" | "pipenv" | "pdm" | "rye" | "hatch" => match sub(&[]).as_deref() {
            Some("run") => classify_words(&rest_from(rest, "run")[1..]),
            Some("test") => Some(Kind::Test),
            Some("build") => Some(Kind::Build),
            _ => None,
        },
        "bundle" => match sub(&[]).as_deref() {
            Some("exec") => classify_words(&rest_from(rest, "exec")[1..]),
            _ => None,
        },
        "rake" => match sub(&[]).as_deref() {
            Some("test" | "spec") => Some(Kind::Test),
            _ => None,
        },
        "go" => match sub(&[]).as_deref() {
            Some("test") => Some(Kind::Test),
            Some("build") => Some(Kind::Build),
            Some("vet") => Some(Kind::Lint),
            _ => None,
        },
        "make" | "gmake" | "just" | "task" => {
            let pos = positionals(rest, &["-C", "-f", "-j", "--directory", "--file", "--jobs"]);
            let target = pos.iter().find(|p| !p.contains('='));
            match target {
                None if program == "make" || program == "gmake" => Some(Kind::Build),
                None => None,
                Some(t) => target_kind(t),
            }
        }
        "mvn" | "mvnw" => {
            let goals = positionals(rest, &["-pl", "-f", "-P", "-T"]);
            if goals.iter().any(|g| matches!(*g, "test" | "verify")) {
                Some(Kind::Test)
            } else if goals
                .iter()
                .any(|g| matches!(*g, "package" | "compile" | "install"))
            {
                Some(Kind::Build)
            } else {
                None
            }
        }
        "gradle" | "gradlew" => {
            let tasks = positionals(rest, &["-p", "--project-dir"]);
            let last = |t: &&str| t.rsplit(':').next().unwrap_or(t).to_ascii_lowercase();
            if tasks
                .iter()
                .any(|t| matches!(last(t).as_str(), "test" | "check"))
            {
                Some(Kind::Test)
            } else if tasks
                .iter()
                .any(|t| matches!(last(t).as_str(), "build" | "assemble"))
            {
                Some(Kind::Build)
            } else if tasks.iter().any(|t| last(t) == "lint") {
                Some(Kind::Lint)
            } else {
                None
            }
        }
        "dotnet" | "swift" | "deno" | "mix" | "bazel" | "bazelisk" | "stack" | "cabal" | "zig"
        | "flutter" | "dart" => match sub(&[]).as_deref() {
            Some("test") => Some(Kind::Test),
            Some("build" | "compile") => match positionals(rest, &[]).get(1) {
                Some(&"test") if program == "zig" => Some(Kind::Test),
                _ => Some(Kind::Build),
            },
            Some("lint" | "analyze") => Some(Kind::Lint),
            Some("fmt" | "format") => Some(Kind::Format),
            Some("check") if program == "deno" => Some(Kind::Check),
            _ => None,
        },
        "cmake" if rest.first().is_some_and(|w| w == "--build") => Some(Kind::Build),
        // Task runners: the first target names the kind (`mage test`, `nx build`).
        _ if TASK_RUNNERS.contains(&program.as_str()) => {
            let target = positionals(rest, &[]).into_iter().find(|t| *t != "run")?;
            target_kind(target.trim_start_matches(['+', ':']))
        }
        "php" => match (
            positionals(rest, &[]).first().copied(),
            positionals(rest, &[]).get(1).copied(),
        ) {
            (Some("artisan"), Some("test")) => Some(Kind::Test),
            _ => None,
        },
        _ if first.starts_with("./")
            || first.starts_with("scripts/")
            || first.starts_with("bin/") =>
        {
            let stem = program.split('.').next().unwrap_or("");
            target_kind(stem)
        }
        _ => None,
    }
}

/// Programs that run named project tasks.
const TASK_RUNNERS: [&str; 14] = [
    "mage", "invoke", "inv", "nx", "turbo", "earthly", "moon", "grunt", "gulp", "ant", "sbt",
    "lein", "doit", "poe",
];

/// Every program [`classify`] knows by name, for telling a command from a word.
const PROGRAMS: [&str; 71] = [
    "cargo",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "npx",
    "pnpx",
    "bunx",
    "pytest",
    "py.test",
    "tox",
    "nox",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "karma",
    "rspec",
    "ctest",
    "phpunit",
    "nextest",
    "playwright",
    "cypress",
    "eslint",
    "flake8",
    "pylint",
    "golangci-lint",
    "rubocop",
    "shellcheck",
    "stylelint",
    "hadolint",
    "biome",
    "ruff",
    "black",
    "prettier",
    "gofmt",
    "rustfmt",
    "isort",
    "clang-format",
    "mypy",
    "pyright",
    "tsc",
    "vue-tsc",
    "python",
    "python3",
    "uv",
    "poetry",
    "pipenv",
    "pdm",
    "rye",
    "hatch",
    "bundle",
    "rake",
    "go",
    "make",
    "gmake",
    "just",
    "task",
    "mvn",
    "mvnw",
    "gradle",
    "gradlew",
    "dotnet",
    "swift",
    "deno",
    "mix",
    "bazel",
    "bazelisk",
    "zig",
    "flutter",
    "php",
];

/// True when `word` names a program this module knows (or a task runner, or a
/// package manager), so that a mention of it in prose is a command.
/// True when the command runs a target of a task runner (`make dist`, `just
/// release`): what the target does is only known from the words around it.
pub fn runs_task_target(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let first = words.next().map(|w| basename(w).to_ascii_lowercase());
    first.is_some_and(|f| {
        TASK_RUNNERS.contains(&f.as_str())
            || matches!(
                f.as_str(),
                "make" | "just" | "task" | "rake" | "gradle" | "gradlew" | "mvn" | "bazel"
            )
    }) && words.next().is_some()
}

pub fn known_program(word: &str) -> bool {
    let w = basename(word).to_ascii_lowercase();
    PROGRAMS.contains(&w.as_str())
        || TASK_RUNNERS.contains(&w.as_str())
        || matches!(
            w.as_str(),
            "pip" | "pip3" | "conda" | "docker" | "podman" | "stack" | "cabal" | "node" | "deno"
        )
}

/// True when a run covers only part of what its kind covers: a test run given a
/// path, a file or a name filter (`pytest -q legacy/`, `cargo test parser`,
/// `go test -run TestFoo`), or any run given single source files (`ruff check
/// src/a.py`). Such a run shows what was checked once, not the project's command.
pub fn narrowed(kind: Kind, command: &str) -> bool {
    const FILTER_FLAGS: [&str; 9] = [
        "-k",
        "-run",
        "--filter",
        "-t",
        "--testNamePattern",
        "--grep",
        "-g",
        "--test",
        "--lf",
    ];
    // Arguments that name the whole suite rather than a part of it.
    const WHOLE: [&str; 8] = ["./...", "...", ".", "./", "tests", "test", "spec", "tests/"];
    split_segments(command).iter().any(|segment| {
        let words: Vec<String> = clean_words(segment)
            .iter()
            .skip_while(|w| is_assignment(w))
            .map(|w| unquote(w))
            .collect();
        if classify_words(&words) != Some(kind) {
            return false;
        }
        let rest = &words[1..];
        let filtered = rest.iter().any(|w| {
            FILTER_FLAGS
                .iter()
                .any(|f| w == f || w.starts_with(&format!("{f}=")))
        });
        let program = basename(&words[0]).to_ascii_lowercase();
        // `cargo test NAME`, `npm run test NAME`: words after the subcommand.
        let skip = match program.as_str() {
            "cargo" | "go" | "npm" | "pnpm" | "yarn" | "bun" | "npx" | "make" => {
                if matches!(program.as_str(), "npm" | "pnpm" | "yarn" | "bun")
                    && rest.iter().any(|w| w == "run")
                {
                    2
                } else {
                    1
                }
            }
            "python" | "python3" | "py" if !rest.iter().any(|w| w == "-m") => 2,
            _ => 0,
        };
        let args: Vec<&str> = positionals(rest, &["-p", "--package", "-m", "-c", "--config"])
            .into_iter()
            .filter(|a| !a.starts_with('+'))
            .skip(skip)
            .collect();
        let file = |a: &str| {
            a.rsplit_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty()
                    && !stem.ends_with('.')
                    && ext.chars().all(|c| c.is_ascii_alphanumeric())
                    && (1..=5).contains(&ext.len())
            }) || a.contains("::")
        };
        let part =
            |a: &str| !WHOLE.contains(&a) && (a.contains('/') || file(a) || program == "cargo");
        match kind {
            Kind::Test => filtered || args.iter().any(|a| part(a)),
            _ => args.iter().any(|a| !WHOLE.contains(a) && file(a)),
        }
    })
}

/// True for commands that are not the project's standing test/build/... command:
/// a run of selected tests or files, a cleanup, an install, or a script in a
/// scratch location.
pub fn is_one_off(command: &str) -> bool {
    for segment in split_segments(command) {
        let words: Vec<String> = clean_words(&segment)
            .iter()
            .skip_while(|w| is_assignment(w))
            .map(|w| unquote(w))
            .collect();
        let Some(first) = words.first() else { continue };
        if first == "cd" || first == "pushd" {
            continue;
        }
        let program = basename(first).to_ascii_lowercase();
        let pos = positionals(&words[1..], &[]);
        let sub = pos
            .first()
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let cleanup = matches!(program.as_str(), "rm" | "rmdir" | "shred" | "truncate")
            || matches!(
                sub.as_str(),
                "clean" | "prune" | "purge" | "reset" | "rm" | "rmi"
            )
            || pos
                .iter()
                .any(|p| matches!(*p, "prune" | "clean" | "--hard"))
            || (program == "git"
                && matches!(sub.as_str(), "clean" | "reset" | "checkout" | "stash"));
        let install = matches!(
            program.as_str(),
            "apt" | "apt-get" | "brew" | "yum" | "dnf" | "apk" | "pacman" | "choco" | "winget"
        ) || matches!(
            sub.as_str(),
            "install" | "i" | "add" | "ci" | "get" | "sync"
        ) && matches!(
            program.as_str(),
            "npm"
                | "pnpm"
                | "yarn"
                | "bun"
                | "pip"
                | "pip3"
                | "cargo"
                | "go"
                | "uv"
                | "poetry"
                | "gem"
                | "composer"
                | "conda"
                | "pipx"
                | "rustup"
        );
        let scratch = words
            .iter()
            .any(|w| w.starts_with("/tmp/") || w.starts_with("~/"));
        let script_run = matches!(
            program.as_str(),
            "python" | "python3" | "node" | "ruby" | "perl"
        ) && !words.iter().any(|w| w == "-m")
            && pos.first().is_some_and(|p| !p.starts_with("manage.py"));
        let kind = classify_words(&words);
        // A lint or format run over named source files is as one-off as a test
        // run of selected tests.
        let on_files = kind.is_some()
            && words[1..].iter().any(|w| {
                !w.starts_with('-')
                    && !matches!(w.as_str(), "manage.py" | "setup.py")
                    && SOURCE_EXTS.iter().any(|e| w.ends_with(e))
            });
        let targeted = on_files || kind == Some(Kind::Test) && is_targeted(&words);
        if cleanup || install || scratch || script_run || targeted {
            return true;
        }
    }
    false
}

/// `words` from the first occurrence of `from` on.
fn rest_from(words: &[String], from: &str) -> Vec<String> {
    match words.iter().position(|w| w == from) {
        Some(i) => words[i..].to_vec(),
        None => Vec::new(),
    }
}

fn script_kind(name: &str) -> Option<Kind> {
    let name = name.to_ascii_lowercase();
    if name.contains("test") || name == "e2e" || name == "spec" {
        Some(Kind::Test)
    } else if name.contains("typecheck") || name.contains("type-check") || name == "tsc" {
        Some(Kind::Check)
    } else if name.contains("build") || name == "compile" {
        Some(Kind::Build)
    } else if name.contains("lint") {
        Some(Kind::Lint)
    } else if name.contains("format") || name.contains("fmt") || name == "prettier" {
        Some(Kind::Format)
    } else if name == "check" || name == "types" {
        Some(Kind::Check)
    } else {
        None
    }
}

/// The kind of a make/just target or a script's stem; a compound target is read
/// by its first part (`check-all`, `test_unit`, `lint:fix` is not a lint run).
fn target_kind(target: &str) -> Option<Kind> {
    let t = target.to_ascii_lowercase();
    if let Some((head, tail)) = t.split_once(['-', '_', ':'])
        && !matches!(tail, "fix" | "watch" | "clean" | "docker" | "image")
        && let Some(kind) = whole_target_kind(head)
    {
        return Some(kind);
    }
    whole_target_kind(&t)
}

fn whole_target_kind(t: &str) -> Option<Kind> {
    match t {
        "test" | "tests" | "check" | "unittest" | "unit" | "ci" | "e2e" => Some(Kind::Test),
        "build" | "all" | "release" | "compile" => Some(Kind::Build),
        "lint" | "clippy" | "vet" => Some(Kind::Lint),
        "fmt" | "format" => Some(Kind::Format),
        "typecheck" | "type-check" | "types" => Some(Kind::Check),
        _ if t.starts_with("test") || t.ends_with("-test") || t.ends_with("_test") => {
            Some(Kind::Test)
        }
        _ => None,
    }
}

/// Extensions of source files: a command naming one runs on that file alone.
const SOURCE_EXTS: [&str; 14] = [
    ".rs", ".py", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".go", ".java", ".kt", ".rb", ".php",
    ".cs", ".cpp",
];

/// True when a test command selects single tests or files rather than a suite.
fn is_targeted(words: &[String]) -> bool {
    const SELECTING_FLAGS: [&str; 7] = [
        "-k",
        "-t",
        "-run",
        "--testNamePattern",
        "--tests",
        "--grep",
        "-g",
    ];
    if words.iter().any(|w| {
        let runner_script = matches!(w.as_str(), "manage.py" | "setup.py");
        !runner_script
            && (w.contains("::")
                || SELECTING_FLAGS.contains(&w.as_str())
                || w.starts_with("-Dtest=")
                || w.starts_with("-run=")
                || w.starts_with("--testNamePattern=")
                || SOURCE_EXTS.iter().any(|e| w.ends_with(e)))
    }) {
        return true;
    }
    let program = words.first().map(|w| basename(w)).unwrap_or("");
    // `go test ./pkg/x` tests one package; `./...` is the whole module.
    if program == "go" {
        return positionals(&words[1..], &["-run", "-tags", "-timeout", "-count", "-p"])
            .iter()
            .skip(1)
            .any(|p| !p.ends_with("/...") && *p != ".");
    }
    // `jest foo`, `vitest run foo`: a positional is a filter.
    if matches!(program, "jest" | "vitest" | "mocha") {
        return positionals(&words[1..], &["-c", "--config"])
            .iter()
            .any(|p| *p != "run");
    }
    if program != "cargo" {
        return false;
    }
    // `cargo test [options] [filter] [-- harness args]`: a filter runs a subset.
    const VALUE_FLAGS: [&str; 16] = [
        "-p",
        "--package",
        "--features",
        "-F",
        "--test",
        "--bin",
        "--example",
        "--bench",
        "--target",
        "-j",
        "--jobs",
        "--manifest-path",
        "--profile",
        "--target-dir",
        "--exclude",
        "--color",
    ];
    let after_sub = match words
        .iter()
        .position(|w| w == "test" || w == "t" || w == "nextest")
    {
        Some(i) => &words[i + 1..],
        None => return false,
    };
    let after_sub = if after_sub.first().is_some_and(|w| w == "run") {
        &after_sub[1..]
    } else {
        after_sub
    };
    if !positionals(after_sub, &VALUE_FLAGS).is_empty() {
        return true;
    }
    // Harness arguments: a bare word there is a filter as well.
    if let Some(i) = after_sub.iter().position(|w| w == "--") {
        let mut skip = false;
        for w in &after_sub[i + 1..] {
            if skip {
                skip = false;
                continue;
            }
            if w.starts_with('-') {
                skip = matches!(w.as_str(), "--test-threads" | "--skip" | "--format" | "-Z");
                continue;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(script: &str) -> Vec<(Kind, String)> {
        recognize(script, None, "/repo")
    }

    #[test]
    fn reads_codex_and_claude_arguments() {
        let codex = shell_invocation(
            Some("shell"),
            r#"{"command":["bash","-lc","cargo test --workspace"],"workdir":"/repo"}"#,
        )
        .unwrap();
        assert_eq!(codex.script, "cargo test --workspace");
        assert_eq!(codex.workdir.as_deref(), Some("/repo"));
        let exec = shell_invocation(Some("exec_command"), r#"{"cmd":"cargo test"}"#).unwrap();
        assert_eq!(exec.script, "cargo test");
        let claude = shell_invocation(
            Some("shell"),
            r#"{"command":"npm test","description":"Run tests"}"#,
        )
        .unwrap();
        assert_eq!(claude.script, "npm test");
        let argv = shell_invocation(None, r#"{"command":["pytest","-q","tests dir"]}"#).unwrap();
        assert_eq!(argv.script, "pytest -q 'tests dir'");
        assert!(shell_invocation(Some("apply_patch"), r#"{"command":"x"}"#).is_none());
        assert!(shell_invocation(None, "not json").is_none());
    }

    #[test]
    fn classifies_common_tools() {
        for (cmd, kind) in [
            ("cargo test --workspace", Kind::Test),
            ("cargo +nightly build --release", Kind::Build),
            ("cargo clippy --all-targets -- -D warnings", Kind::Lint),
            ("cargo fmt --check", Kind::Format),
            ("npm test", Kind::Test),
            ("npm run build", Kind::Build),
            ("pnpm --filter web lint", Kind::Lint),
            ("yarn typecheck", Kind::Check),
            ("python -m pytest -q", Kind::Test),
            ("uv run pytest", Kind::Test),
            ("go test ./...", Kind::Test),
            ("make", Kind::Build),
            ("make check", Kind::Test),
            ("make -C sub test", Kind::Test),
            ("./gradlew build", Kind::Build),
            ("mvn -q verify", Kind::Test),
            ("tox -e py312", Kind::Test),
            ("npx tsc --noEmit", Kind::Check),
            ("./scripts/test.sh", Kind::Test),
        ] {
            assert_eq!(classify(cmd), Some(kind), "{cmd}");
        }
        for cmd in [
            "npm install",
            "npm ci",
            "make clean",
            "cargo run",
            "git status",
            "ls -la",
            "cat Cargo.toml",
        ] {
            assert_eq!(classify(cmd), None, "{cmd}");
        }
    }

    #[test]
    fn strips_plumbing_and_keeps_cd() {
        assert_eq!(
            kinds("cd web && npm test 2>&1 | tail -n 40"),
            [(Kind::Test, "cd web && npm test".to_string())]
        );
        assert_eq!(
            kinds("RUST_BACKTRACE=1 timeout 600 cargo test -p core > /tmp/out.txt"),
            [(Kind::Test, "cargo test -p core".to_string())]
        );
        assert_eq!(
            kinds("cargo fmt --all && cargo clippy -- -D warnings; git status"),
            [
                (Kind::Format, "cargo fmt --all".to_string()),
                (Kind::Lint, "cargo clippy -- -D warnings".to_string())
            ]
        );
        assert_eq!(
            kinds("cd /repo/crates/x && cargo build"),
            [(Kind::Build, "cd crates/x && cargo build".to_string())]
        );
        assert_eq!(
            recognize("cargo test", Some("/repo/sub"), "/repo"),
            [(Kind::Test, "cd sub && cargo test".to_string())]
        );
        assert_eq!(
            kinds("bash -lc 'cargo test --workspace 2>&1'"),
            [(Kind::Test, "cargo test --workspace".to_string())]
        );
        assert_eq!(
            recognize("cargo test", Some("/repo"), "/repo"),
            [(Kind::Test, "cargo test".to_string())]
        );
    }

    #[test]
    fn single_test_runs_are_not_the_test_command() {
        for cmd in [
            "cargo test parse_args",
            "cargo test -p core -- some_filter --nocapture",
            "pytest tests/test_api.py::test_login",
            "pytest -k login",
            "go test ./pkg/x -run TestFoo",
            "npx jest src/app.test.ts",
        ] {
            assert!(kinds(cmd).is_empty(), "{cmd}");
        }
        assert_eq!(kinds("cargo test -p core -- --nocapture").len(), 1);
        assert_eq!(kinds("go test ./...").len(), 1);
        assert!(kinds("go test ./internal/parser").is_empty());
        assert!(kinds("vitest run src/parser").is_empty());
        assert_eq!(kinds("cargo test --workspace --features full").len(), 1);
    }

    #[test]
    fn judges_outcomes() {
        assert!(succeeded(false, "Exit code: 0\nWall time: 3s\nOutput:\nok"));
        assert!(!succeeded(false, "Exit code: 101\nOutput:\n..."));
        assert!(succeeded(
            false,
            r#"{"output":"test result: ok","metadata":{"exit_code":0}}"#
        ));
        assert!(!succeeded(
            false,
            r#"{"output":"boom","metadata":{"exit_code":1}}"#
        ));
        assert!(!succeeded(false, "Process exited with code 2\nOutput:\n"));
        assert!(!succeeded(true, "anything"));
        assert!(!succeeded(
            false,
            "running 3 tests\ntest result: FAILED. 2 passed; 1 failed"
        ));
        assert!(succeeded(
            false,
            "running 3 tests\ntest result: ok. 3 passed"
        ));
        assert_eq!(exit_code("Output:\nexit code 3 from a child"), None);
    }

    #[test]
    fn compound_targets_and_task_runners() {
        for (cmd, kind) in [
            ("make check-all", Kind::Test),
            ("make test_unit", Kind::Test),
            ("just build-release", Kind::Build),
            ("mage test", Kind::Test),
            ("nx build", Kind::Build),
            ("earthly +lint", Kind::Lint),
            ("turbo run test", Kind::Test),
        ] {
            assert_eq!(classify(cmd), Some(kind), "{cmd}");
        }
        for cmd in [
            "make lint-fix",
            "make docs-build",
            "mage deploy",
            "nx serve",
        ] {
            assert_eq!(classify(cmd), None, "{cmd}");
        }
    }

    #[test]
    fn one_off_commands() {
        for cmd in [
            "cargo test parse_args",
            "pytest -k login",
            "pytest tests/test_api.py",
            "cargo test -p core -- some_test --nocapture",
            "rm -rf target",
            "docker system prune -af --volumes",
            "git clean -fdx",
            "git reset --hard",
            "cargo clean",
            "npm install",
            "pip install -r requirements.txt",
            "python /tmp/check.py",
            "python scripts/adhoc.py",
            "go test ./pkg/x",
            "rustfmt src/main.rs",
            "npx eslint src/app.ts --fix",
            "black scripts/tool.py",
        ] {
            assert!(is_one_off(cmd), "{cmd}");
        }
        for cmd in [
            "cargo test --workspace",
            "make check-all",
            "pytest -q",
            "python -m pytest",
            "npm test",
            "go test ./...",
            "python manage.py test",
        ] {
            assert!(!is_one_off(cmd), "{cmd}");
        }
        assert!(known_program("pnpm") && known_program("yarn") && known_program("mage"));
        assert!(!known_program("the") && !known_program("parser"));
    }

    #[test]
    fn plausible_commands() {
        assert!(plausible("make check"));
        assert!(plausible("cargo test -p foo"));
        assert!(plausible("./scripts/ci.sh"));
        assert!(!plausible("the thing we discussed"));
        assert!(!plausible("run it with sk-abcdefghijklmnop"));
        assert!(!plausible(""));
    }
}

#[cfg(test)]
mod narrowed_tests {
    use super::*;

    #[test]
    fn runs_of_part_of_a_suite_are_narrowed() {
        for (kind, c) in [
            (Kind::Test, "pytest -q legacy/"),
            (
                Kind::Test,
                "sed -i 's/a/b/' x.py && pytest -q tests/unit/test_auth.py",
            ),
            (Kind::Test, "cargo test parser::tests"),
            (Kind::Test, "cargo +nightly test lexer"),
            (Kind::Test, "go test -run TestLogin ./..."),
            (Kind::Test, "go test ./internal/auth"),
            (Kind::Test, "npx jest src/cart.test.ts"),
            (Kind::Test, "python -m pytest -k login"),
            (Kind::Test, "npm test -- --testNamePattern=cart"),
            (Kind::Lint, "ruff check src/app.py"),
            (Kind::Format, "black legacy/auth.py"),
        ] {
            assert!(narrowed(kind, c), "{c}");
        }
    }

    #[test]
    fn whole_suite_runs_are_not_narrowed() {
        for (kind, c) in [
            (Kind::Test, "pytest -q"),
            (Kind::Test, "pytest tests"),
            (Kind::Test, "cargo test --workspace"),
            (Kind::Test, "cargo +nightly test"),
            (Kind::Test, "cargo test -p core"),
            (Kind::Test, "go test ./..."),
            (Kind::Test, "npm test"),
            (Kind::Test, "make test"),
            (Kind::Test, "python -m pytest"),
            (Kind::Check, "mypy --strict src/"),
            (Kind::Lint, "ruff check ."),
            (Kind::Format, "cargo fmt --all"),
        ] {
            assert!(!narrowed(kind, c), "{c}");
        }
    }

    #[test]
    fn documents_are_not_commands() {
        for c in [
            "scripts/setup.md",
            "docs/BUILD.txt",
            "./config/ci.yml",
            "README.rst",
        ] {
            assert!(!plausible(c) && !is_path_like(c), "{c}");
        }
        for c in ["scripts/build.sh", "./gradlew build", "make dist"] {
            assert!(plausible(c), "{c}");
        }
    }
}
