//! The coding agents csep serves, named once. The stored name (`codex`, `claude`) is
//! the one the recall index, job files, trigger state, JSON output, the MCP tools and
//! the command line (`--client`) all use; nothing else spells it.

use std::fmt;
use std::str::FromStr;

/// A coding agent: the one that wrote a transcript, sent a hook payload, or that
/// setup connects.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    // The default because the hooks were Codex's first: a payload and transcript
    // that say nothing are taken as Codex's.
    /// OpenAI Codex CLI
    #[default]
    Codex,
    /// Claude Code
    Claude,
}

/// A name that is not one of [`Client::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a client (codex or claude)")]
pub struct UnknownClient(pub String);

impl Client {
    pub const ALL: [Client; 2] = [Client::Codex, Client::Claude];

    /// The stored name: `codex` or `claude`.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Codex => "codex",
            Client::Claude => "claude",
        }
    }

    /// The name people know the product by, for text meant for them.
    pub fn product_name(self) -> &'static str {
        match self {
            Client::Codex => "Codex",
            Client::Claude => "Claude Code",
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Only the stored names, exactly: what is read back from the index or a job file
/// must have been written by [`Client::as_str`].
impl FromStr for Client {
    type Err = UnknownClient;

    fn from_str(name: &str) -> Result<Client, UnknownClient> {
        Client::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| UnknownClient(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_spelling_of_a_client_is_the_stored_name() {
        for c in Client::ALL {
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c.as_str().parse::<Client>(), Ok(c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
            assert_eq!(
                serde_json::from_value::<Client>(serde_json::json!(c.as_str())).unwrap(),
                c
            );
            let arg = c.to_possible_value().unwrap();
            assert_eq!(arg.get_name(), c.as_str());
        }
        assert_eq!(Client::value_variants(), &Client::ALL);
        assert_eq!(Client::Codex.as_str(), "codex");
        assert_eq!(Client::Claude.as_str(), "claude");
        assert_eq!(format!("[{:<7}]", Client::Codex), "[codex  ]");
    }

    #[test]
    fn other_names_are_refused_with_the_name() {
        for bad in ["", "Codex", "claude-code", "cursor"] {
            assert_eq!(bad.parse::<Client>(), Err(UnknownClient(bad.to_string())));
        }
        assert!(serde_json::from_value::<Client>(serde_json::json!("cursor")).is_err());
    }
}
