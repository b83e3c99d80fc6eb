//! The policy's settings, read from `[policy.settings]` of the user's config.

use crate::csep::engine::types::{GuestError, Setting, SettingValue};

pub struct Thresholds {
    pub memory_stop_interval: u64,
    pub memory_context_chars: u64,
    pub skill_tool_call_interval: u64,
    pub high_signal_immediate: bool,
    pub extra_memory_keywords: Vec<String>,
    pub extra_skill_keywords: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            memory_stop_interval: 3,
            memory_context_chars: 16_000,
            skill_tool_call_interval: 15,
            high_signal_immediate: true,
            extra_memory_keywords: Vec::new(),
            extra_skill_keywords: Vec::new(),
        }
    }
}

impl Thresholds {
    /// Unknown keys and wrong types are errors: a typo must not silently keep a default.
    pub fn from_settings(settings: &[Setting]) -> Result<Self, GuestError> {
        let mut t = Thresholds::default();
        for s in settings {
            match s.key.as_str() {
                "memory_stop_interval" => t.memory_stop_interval = positive(s)?,
                "memory_context_chars" => t.memory_context_chars = positive(s)?,
                "skill_tool_call_interval" => t.skill_tool_call_interval = positive(s)?,
                "high_signal_immediate" => t.high_signal_immediate = boolean(s)?,
                "extra_memory_keywords" => t.extra_memory_keywords = words(s)?,
                "extra_skill_keywords" => t.extra_skill_keywords = words(s)?,
                other => {
                    return Err(GuestError::InvalidSettings(format!(
                        "unknown setting `{other}`; known: memory_stop_interval, \
                         memory_context_chars, skill_tool_call_interval, high_signal_immediate, \
                         extra_memory_keywords, extra_skill_keywords"
                    )));
                }
            }
        }
        Ok(t)
    }
}

fn positive(s: &Setting) -> Result<u64, GuestError> {
    match s.value {
        SettingValue::Integer(n) if n > 0 => Ok(n as u64),
        _ => Err(GuestError::InvalidSettings(format!(
            "`{}` must be an integer greater than 0",
            s.key
        ))),
    }
}

fn boolean(s: &Setting) -> Result<bool, GuestError> {
    match s.value {
        SettingValue::Boolean(b) => Ok(b),
        _ => Err(GuestError::InvalidSettings(format!(
            "`{}` must be true or false",
            s.key
        ))),
    }
}

fn words(s: &Setting) -> Result<Vec<String>, GuestError> {
    match &s.value {
        SettingValue::TextList(list) if list.iter().all(|w| !w.trim().is_empty()) => {
            Ok(list.iter().map(|w| w.trim().to_string()).collect())
        }
        _ => Err(GuestError::InvalidSettings(format!(
            "`{}` must be a list of non-empty strings",
            s.key
        ))),
    }
}
