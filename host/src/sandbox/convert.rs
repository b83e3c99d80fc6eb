//! Conversions between `crate::model` values and the generated bindings.

use super::bindings::policy::csep::engine::types as wit;
use crate::model;

pub(crate) fn scope_to_wit(s: model::Scope) -> wit::Scope {
    match s {
        model::Scope::Memory => wit::Scope::Memory,
        model::Scope::Skill => wit::Scope::Skill,
    }
}

pub(crate) fn scope_from_wit(s: wit::Scope) -> model::Scope {
    match s {
        wit::Scope::Memory => model::Scope::Memory,
        wit::Scope::Skill => model::Scope::Skill,
    }
}

pub(crate) fn settings_to_wit(s: &model::Settings) -> Vec<wit::Setting> {
    s.0.iter()
        .map(|(key, value)| wit::Setting {
            key: key.clone(),
            value: match value {
                model::SettingValue::Text(t) => wit::SettingValue::Text(t.clone()),
                model::SettingValue::Integer(n) => wit::SettingValue::Integer(*n),
                model::SettingValue::Float(f) => wit::SettingValue::Float(*f),
                model::SettingValue::Boolean(b) => wit::SettingValue::Boolean(*b),
                model::SettingValue::TextList(l) => wit::SettingValue::TextList(l.clone()),
            },
        })
        .collect()
}

pub(crate) fn digest_to_wit(d: &model::Digest) -> wit::Digest {
    wit::Digest {
        client: d.client.clone(),
        session_id: d.session_id.clone(),
        bucket_id: d.bucket_id.clone(),
        cwd: d.cwd.clone(),
        session_started_ms: d.session_started_ms,
        last_event_ms: d.last_event_ms,
        now_ms: d.now_ms,
        user_messages: d
            .user_messages
            .iter()
            .map(|m| wit::UserMessage {
                text: m.text.clone(),
                truncated: m.truncated,
                injected: m.injected,
                at_ms: m.at_ms,
            })
            .collect(),
        omitted_user_messages: d.omitted_user_messages,
        message_count: d.message_count,
        readable_chars: d.readable_chars,
        tool_calls: d.tool_calls,
        tool_errors: d
            .tool_errors
            .iter()
            .map(|e| wit::ToolError {
                tool: e.tool.clone(),
                message: e.message.clone(),
            })
            .collect(),
        omitted_tool_errors: d.omitted_tool_errors,
    }
}

pub(crate) fn guest_error_from_wit(e: wit::GuestError) -> model::GuestError {
    match e {
        wit::GuestError::InvalidSettings(m) => model::GuestError::InvalidSettings(m),
        wit::GuestError::InvalidState(m) => model::GuestError::InvalidState(m),
        wit::GuestError::Internal(m) => model::GuestError::Internal(m),
    }
}

pub(crate) fn denial_to_wit(d: model::Denial) -> wit::Denial {
    match d {
        model::Denial::AccessDenied(m) => wit::Denial::AccessDenied(m),
        model::Denial::BudgetExceeded(m) => wit::Denial::BudgetExceeded(m),
        model::Denial::Unavailable(m) => wit::Denial::Unavailable(m),
        model::Denial::InvalidRequest(m) => wit::Denial::InvalidRequest(m),
    }
}
