//! Anchors: the concrete things a durable statement is about (a `code span`, a
//! path, a file, a URL, a flag, a code identifier, a known tool, a port number).
//! A statement with an anchor names something a later session can act on.

/// Developer tools whose bare name is not an English word.
pub(super) const TOOLS: &[&str] = &[
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "deno",
    "node",
    "nvm",
    "npx",
    "cargo",
    "rustup",
    "clippy",
    "rustfmt",
    "nextest",
    "cmake",
    "bazel",
    "gradle",
    "mvn",
    "maven",
    "pip",
    "pipx",
    "poetry",
    "uv",
    "conda",
    "pytest",
    "tox",
    "nox",
    "ruff",
    "isort",
    "mypy",
    "pyright",
    "flake8",
    "pylint",
    "eslint",
    "prettier",
    "biome",
    "jest",
    "vitest",
    "mocha",
    "playwright",
    "cypress",
    "tsc",
    "webpack",
    "vite",
    "gofmt",
    "golangci-lint",
    "docker",
    "podman",
    "kubectl",
    "helm",
    "terraform",
    "git",
    "gh",
    "rg",
    "ripgrep",
    "grep",
    "brew",
    "apt",
    "composer",
    "bundler",
    "rspec",
    "dotnet",
    "xcodebuild",
    "flutter",
    "sbt",
    "lerna",
    "nx",
    "turbo",
    "husky",
    "pre-commit",
    "alembic",
    "prisma",
    "django",
    "rails",
    "fastapi",
    "postgres",
    "postgresql",
    "mysql",
    "sqlite",
    "redis",
    "nginx",
    "tokio",
    "serde",
    "anyhow",
    "thiserror",
    "pandas",
    "numpy",
    "vue",
    "svelte",
    "tailwind",
    "storybook",
    "gcc",
    "clang",
    "llvm",
    "ninja",
    "meson",
    "pipenv",
    "virtualenv",
    "venv",
    "hatch",
    "black",
    "unittest",
    "junit",
    "kotlin",
    "typescript",
    "javascript",
    "python",
    "rust",
    "golang",
    "java",
    "ruby",
    "php",
];

/// Tool names that are also English words count only before one of their subcommands.
const WORD_TOOLS: &[&str] = &[
    "make", "just", "go", "task", "bundle", "mix", "dart", "swift",
];

const SUBCOMMANDS: &[&str] = &[
    "test", "tests", "check", "build", "lint", "fmt", "format", "run", "install", "dev", "ci",
    "release", "clean", "all", "bench", "doc", "docs", "deploy", "serve", "start", "vet",
    "generate", "tidy", "mod", "exec", "setup", "verify", "e2e", "up", "migrate", "help",
];

const EXTENSIONS: &[&str] = &[
    "rs",
    "py",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "go",
    "java",
    "kt",
    "rb",
    "php",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "toml",
    "yaml",
    "yml",
    "json",
    "jsonc",
    "md",
    "txt",
    "sh",
    "bash",
    "zsh",
    "env",
    "lock",
    "cfg",
    "ini",
    "conf",
    "sql",
    "html",
    "css",
    "scss",
    "xml",
    "gradle",
    "mk",
    "proto",
    "vue",
    "svelte",
    "lua",
    "zig",
    "ex",
    "exs",
    "tf",
    "wasm",
    "wit",
    "ps1",
    "bat",
    "dockerfile",
    "gitignore",
    "pem",
    "csv",
];

const FILE_NAMES: &[&str] = &[
    "makefile",
    "dockerfile",
    "justfile",
    "procfile",
    "gemfile",
    "rakefile",
    "jenkinsfile",
    "vagrantfile",
    "containerfile",
];

/// Slash pairs that are prose, not paths.
const NOT_PATHS: &[&str] = &[
    "and/or",
    "either/or",
    "yes/no",
    "on/off",
    "true/false",
    "read/write",
    "input/output",
    "client/server",
    "w/o",
    "n/a",
    "24/7",
    "he/she",
    "his/her",
    "him/her",
    "s/he",
    "i/o",
];

/// Words that make a number in the same sentence a port.
const PORT_WORDS: &[&str] = &["port", "ports", "端口", "ポート", "포트", "localhost"];

/// True when the sentence names something concrete.
pub fn has_anchor(sentence: &str) -> bool {
    if has_code_span(sentence) {
        return true;
    }
    let tokens = ascii_tokens(sentence);
    let lower = sentence.to_lowercase();
    let port_context = PORT_WORDS.iter().any(|w| lower.contains(w));
    tokens.iter().enumerate().any(|(i, t)| {
        let next = tokens.get(i + 1).map(|n| n.to_ascii_lowercase());
        is_anchor_token(t, next.as_deref())
            || (port_context && (2..=5).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A non-empty span between backticks.
pub fn has_code_span(s: &str) -> bool {
    let parts: Vec<&str> = s.split('`').collect();
    // Odd parts are inside a pair of backticks when a closing one follows.
    (1..parts.len().saturating_sub(1))
        .step_by(2)
        .any(|i| !parts[i].trim().is_empty())
}

/// Runs of ASCII characters that can make up a path, a name or a command word.
pub fn ascii_tokens(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-:~@+#=".contains(c)))
        .map(|t| {
            t.trim_start_matches(|c: char| ":=+#@".contains(c))
                .trim_end_matches(|c: char| ".:-=+#@".contains(c))
        })
        .filter(|t| !t.is_empty())
        .collect()
}

fn is_anchor_token(t: &str, next: Option<&str>) -> bool {
    let lower = t.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return true;
    }
    if let Some(flag) = lower.strip_prefix("--") {
        return flag.starts_with(|c: char| c.is_ascii_alphabetic());
    }
    if is_path(&lower) || is_file_name(&lower) || is_identifier(t) {
        return true;
    }
    // host:port
    let host_port = lower.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && (2..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
    });
    if host_port || TOOLS.contains(&lower.as_str()) {
        return true;
    }
    WORD_TOOLS.contains(&lower.as_str()) && next.is_some_and(|n| SUBCOMMANDS.contains(&n))
}

fn is_path(t: &str) -> bool {
    if !t.contains('/') && !t.contains('\\') || NOT_PATHS.contains(&t) {
        return false;
    }
    let alnum = t.chars().filter(char::is_ascii_alphanumeric).count();
    let numeric = t.chars().all(|c| c.is_ascii_digit() || c == '/');
    alnum >= 2 && !numeric
}

fn is_file_name(t: &str) -> bool {
    if FILE_NAMES.contains(&t) {
        return true;
    }
    match t.rsplit_once('.') {
        // A dotfile such as `.env` or `.gitignore`.
        Some(("", ext)) => ext.len() >= 2 && ext.chars().all(|c| c.is_ascii_alphanumeric()),
        Some((stem, ext)) => {
            EXTENSIONS.contains(&ext) && stem.chars().any(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// `snake_case`, `CamelCase`, `a::b`, `call()`: names from code.
fn is_identifier(t: &str) -> bool {
    if t.contains("::") || t.ends_with("()") {
        return true;
    }
    let snake = t.len() >= 3
        && t.contains('_')
        && t.split('_').filter(|p| !p.is_empty()).count() >= 2
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let chars: Vec<char> = t.chars().collect();
    let camel = chars.first().is_some_and(char::is_ascii_alphabetic)
        && chars.iter().all(char::is_ascii_alphanumeric)
        && chars
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    snake || camel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_things_are_anchors() {
        for s in [
            "the command is `make check`",
            "never touch third_party/",
            "use pnpm",
            "npm 쓰지 마",
            "see https://example.com",
            "pass --release",
            "edit config.toml",
            "don't commit .env",
            "call parse_config",
            "a HashMap",
            "端口是 8080",
            "localhost:3000",
            "run make test",
            "src/components",
        ] {
            assert!(has_anchor(s), "{s:?}");
        }
    }

    #[test]
    fn prose_is_not_an_anchor() {
        for s in [
            "make sure it works",
            "input/output is slow",
            "I waited 30 minutes",
            "just do it",
            "go ahead",
            "the test fails",
            "1/2 of them",
            "an empty `` pair",
        ] {
            assert!(!has_anchor(s), "{s:?}");
        }
    }
}
