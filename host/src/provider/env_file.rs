//! `.env.provider`: the API keys, kept apart from `config.toml` so that file can
//! be shared while the keys stay private to the user.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::ProviderError;
use crate::path_error::{AtPath, PathError};

/// The variables of an env file, by name.
pub type EnvVars = BTreeMap<String, String>;

/// A key file is a handful of lines; anything bigger is a wrong path.
const MAX_ENV_FILE_BYTES: u64 = 1 << 20;

/// An API key. Its `Debug` never shows the value, so it can sit in structs that
/// derive `Debug` and in error paths without leaking.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads `KEY=value` lines from `path`. A missing file is an empty map: the
/// provider then reports which key it lacks and where to put it.
///
/// Accepted: `#` comment lines, blank lines, an `export ` prefix, values in
/// single or double quotes (taken literally, no escapes), and a ` # comment`
/// after an unquoted value or after the closing quote. Later lines override
/// earlier ones. Errors name the path and line, never a value.
pub fn load_env_file(path: &Path) -> Result<EnvVars, ProviderError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(PathError::new("cannot read", path, e).into()),
    };
    // Checked on the open handle, so the file judged is the file read.
    check_private(&file, path)?;
    let mut text = String::new();
    file.take(MAX_ENV_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .at("cannot read", path)?;
    if text.len() as u64 > MAX_ENV_FILE_BYTES {
        return Err(syntax(path, 0, "file is larger than 1 MiB"));
    }
    parse(&text, path)
}

#[cfg(unix)]
fn check_private(file: &File, path: &Path) -> Result<(), ProviderError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .at("cannot read", path)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(ProviderError::EnvFilePermissions {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &File, _path: &Path) -> Result<(), ProviderError> {
    Ok(())
}

fn syntax(path: &Path, line: usize, reason: &'static str) -> ProviderError {
    ProviderError::EnvFileSyntax {
        path: path.to_path_buf(),
        line,
        reason,
    }
}

fn parse(text: &str, path: &Path) -> Result<EnvVars, ProviderError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err(syntax(path, index + 1, "expected KEY=value"));
        };
        let key = key.trim();
        if !is_name(key) {
            return Err(syntax(
                path,
                index + 1,
                "the name before `=` must be letters, digits and `_`",
            ));
        }
        let value = parse_value(value.trim()).map_err(|reason| syntax(path, index + 1, reason))?;
        vars.insert(key.to_string(), value.to_string());
    }
    Ok(vars)
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_value(value: &str) -> Result<&str, &'static str> {
    let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        // Unquoted: a `#` after whitespace starts a comment.
        let end = value
            .char_indices()
            .find(|&(i, c)| c == '#' && value[..i].ends_with(char::is_whitespace))
            .map_or(value.len(), |(i, _)| i);
        return Ok(value[..end].trim_end());
    };
    let body = &value[1..];
    let Some(close) = body.find(quote) else {
        return Err("unclosed quote");
    };
    let rest = body[close + 1..].trim_start();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err("unexpected text after the closing quote");
    }
    Ok(&body[..close])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> BTreeMap<String, String> {
        parse(text, Path::new(".env.provider")).unwrap()
    }

    #[test]
    fn reads_plain_quoted_exported_and_commented_lines() {
        let vars = parsed(
            "# keys\n\nOPENAI_API_KEY=abc123\nexport ANTHROPIC_API_KEY = \"q v#1\" # note\n\
             SINGLE=' spaced \"x\" '\nTRAILING=value # comment\nHASH=a#b\nEMPTY=\r\nDUP=1\nDUP=2\n",
        );
        assert_eq!(vars["OPENAI_API_KEY"], "abc123");
        assert_eq!(vars["ANTHROPIC_API_KEY"], "q v#1");
        assert_eq!(vars["TRAILING"], "value");
        assert_eq!(vars["HASH"], "a#b");
        assert_eq!(vars["EMPTY"], "");
        assert_eq!(vars["DUP"], "2");
        assert_eq!(vars["SINGLE"], " spaced \"x\" ");
    }

    #[test]
    fn reports_the_line_but_not_the_value() {
        let err = parse("A=1\nsk-secretvalue\n", Path::new("/x/.env.provider")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/x/.env.provider:2"), "{msg}");
        assert!(!msg.contains("secretvalue"), "{msg}");
        let err = parse("A=\"open", Path::new("p")).unwrap_err();
        assert!(err.to_string().contains("unclosed quote"));
        let err = parse("A='x'y", Path::new("p")).unwrap_err();
        assert!(err.to_string().contains("after the closing quote"));
    }

    #[test]
    fn rejects_bad_names() {
        assert!(parse("1A=x", Path::new("p")).is_err());
        assert!(parse("A B=x", Path::new("p")).is_err());
        assert!(parse("=x", Path::new("p")).is_err());
    }

    #[test]
    fn api_key_debug_hides_the_value() {
        let key = ApiKey::new("sk-verysecret".into());
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(key.expose(), "sk-verysecret");
    }
}
