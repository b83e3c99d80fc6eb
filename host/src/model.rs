//! Plain data exchanged with guests, independent of wasmtime: the sandbox converts
//! these to and from its generated bindings, so nothing above it sees a wasmtime type.

use serde::{Deserialize, Serialize};

/// What a reflection may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    Memory,
    Skill,
}

/// A value of a guest's settings table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SettingValue {
    Boolean(bool),
    Integer(i64),
    Float(f64),
    Text(String),
    TextList(Vec<String>),
}

/// A guest's settings, flattened to dotted keys. In JSON it is an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings(pub Vec<(String, SettingValue)>);

impl Serialize for Settings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Settings;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of settings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Settings, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, SettingValue>()? {
                    out.push((k, v));
                }
                Ok(Settings(out))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserMessage {
    pub text: String,
    pub truncated: bool,
    pub injected: bool,
    pub at_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolError {
    pub tool: String,
    pub message: String,
}

/// What happened in a session since the policy last decided on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Digest {
    pub client: String,
    pub session_id: String,
    pub bucket_id: String,
    pub cwd: String,
    pub session_started_ms: Option<u64>,
    pub last_event_ms: Option<u64>,
    pub now_ms: u64,
    pub user_messages: Vec<UserMessage>,
    pub omitted_user_messages: u32,
    pub message_count: u32,
    pub readable_chars: u64,
    pub tool_calls: u32,
    pub tool_errors: Vec<ToolError>,
    pub omitted_tool_errors: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecideInput {
    pub digest: Digest,
    pub session_state: Option<String>,
    pub bucket_state: Option<String>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub reflect: bool,
    pub scopes: Vec<Scope>,
    pub reasons: Vec<String>,
    pub summary: String,
    pub session_state: Option<String>,
    pub bucket_state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettleInput {
    pub scopes: Vec<Scope>,
    pub queued_session_state: Option<String>,
    pub session_state: Option<String>,
    pub bucket_state: Option<String>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settled {
    pub session_state: Option<String>,
    pub bucket_state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReflectInput {
    pub job_id: String,
    pub digest: Digest,
    pub scopes: Vec<Scope>,
    pub reasons: Vec<String>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectOutput {
    pub summary: String,
}

/// A guest's own failure, as it reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum GuestError {
    #[error("invalid settings: {0}")]
    InvalidSettings(String),
    #[error("invalid state: {0}")]
    InvalidState(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the host refused a guest's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum Denial {
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("budget exceeded: {0}")]
    BudgetExceeded(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// A model call a strategy asks the host to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    /// `(role, content)` pairs; role is `system`, `user` or `assistant`.
    pub messages: Vec<(String, String)>,
    pub max_output_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmResponse {
    pub text: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecallQuery {
    pub text: String,
    pub limit: u32,
    pub global: bool,
}

/// Words a strategy quotes from one message of the session it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub message_id: u64,
    pub text: String,
}

/// What a strategy says a memory entry, ref or skill rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub scope: Scope,
    /// A `MEMORY.md` entry without its list marker, a ref's path, or a skill folder.
    pub target: String,
    pub section: String,
    pub quotes: Vec<Quote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecallHit {
    pub session_id: String,
    pub client: String,
    pub role: String,
    pub snippet: String,
    pub at_ms: Option<u64>,
}

/// A settings value a guest cannot receive, with its dotted key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("setting `{0}`: only arrays of strings can be passed to a guest")]
    MixedArray(String),
    #[error("setting `{0}`: dates cannot be passed to a guest; quote it as a string")]
    Date(String),
}

impl Settings {
    /// Flattens a TOML table (e.g. `[policy.settings]`) into dotted keys. Values a guest
    /// cannot receive (dates, mixed arrays, arrays of tables) are an error naming the key.
    pub fn from_toml(table: &toml::Table) -> Result<Settings, SettingError> {
        let mut out = Vec::new();
        flatten("", table, &mut out)?;
        Ok(Settings(out))
    }

    pub fn get(&self, key: &str) -> Option<&SettingValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, SettingValue)>,
) -> Result<(), SettingError> {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let value = match value {
            toml::Value::String(s) => SettingValue::Text(s.clone()),
            toml::Value::Integer(n) => SettingValue::Integer(*n),
            toml::Value::Float(f) => SettingValue::Float(*f),
            toml::Value::Boolean(b) => SettingValue::Boolean(*b),
            toml::Value::Table(t) => {
                flatten(&key, t, out)?;
                continue;
            }
            toml::Value::Array(items) => {
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect();
                match texts {
                    Some(list) => SettingValue::TextList(list),
                    None => {
                        return Err(SettingError::MixedArray(key));
                    }
                }
            }
            toml::Value::Datetime(_) => {
                return Err(SettingError::Date(key));
            }
        };
        out.push((key, value));
    }
    Ok(())
}
