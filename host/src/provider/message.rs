//! Messages as they leave the machine: roles checked, content redacted.

use super::ProviderError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    fn parse(role: &str) -> Option<Role> {
        match role {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A message as sent: role checked, content redacted.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) role: Role,
    pub(crate) content: String,
}

pub(super) fn prepare(messages: &[(String, String)]) -> Result<Vec<Message>, ProviderError> {
    if messages.is_empty() {
        return Err(ProviderError::InvalidRequest("no messages to send".into()));
    }
    messages
        .iter()
        .map(|(role, content)| {
            let role = Role::parse(role).ok_or_else(|| {
                ProviderError::InvalidRequest(
                    "a message role must be `system`, `user` or `assistant`".into(),
                )
            })?;
            // Secrets in transcripts never leave the machine.
            let content = crate::redact::redact(content).0.into_owned();
            Ok(Message { role, content })
        })
        .collect()
}
