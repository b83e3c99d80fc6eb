//! The policy's settings, read from `[policy.settings]` of the user's config.

use crate::csep::engine::types::{GuestError, Setting, SettingValue};

pub struct Thresholds {
    pub memory_stop_interval: u64,
    pub memory_context_chars: u64,
    pub skill_tool_call_interval: u64,
    pub high_signal_immediate: bool,
    /// Reflect on memory at once when the user states a durable fact or rule.
    pub durable_statement_immediate: bool,
    /// Weak durable-statement candidates in one digest that count as one strong one.
    pub durable_weak_threshold: u64,
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
            durable_statement_immediate: true,
            durable_weak_threshold: 2,
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
                "durable_statement_immediate" => t.durable_statement_immediate = boolean(s)?,
                "durable_weak_threshold" => t.durable_weak_threshold = positive(s)?,
                "extra_memory_keywords" => t.extra_memory_keywords = words(s)?,
                "extra_skill_keywords" => t.extra_skill_keywords = words(s)?,
                other => {
                    return Err(GuestError::InvalidSettings(format!(
                        "unknown setting `{other}`; known: memory_stop_interval, \
                         memory_context_chars, skill_tool_call_interval, high_signal_immediate, \
                         durable_statement_immediate, durable_weak_threshold, \
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(key: &str, value: SettingValue) -> Vec<Setting> {
        vec![Setting {
            key: key.into(),
            value,
        }]
    }

    #[test]
    fn durable_statement_settings_are_read() {
        let t = Thresholds::from_settings(&[]).unwrap();
        assert!(t.durable_statement_immediate);
        assert_eq!(t.durable_weak_threshold, 2);
        let t = Thresholds::from_settings(&one(
            "durable_statement_immediate",
            SettingValue::Boolean(false),
        ))
        .unwrap();
        assert!(!t.durable_statement_immediate);
        let t = Thresholds::from_settings(&one("durable_weak_threshold", SettingValue::Integer(4)))
            .unwrap();
        assert_eq!(t.durable_weak_threshold, 4);
    }

    #[test]
    fn bad_durable_statement_settings_are_typed_errors() {
        for bad in [
            one(
                "durable_statement_immediate",
                SettingValue::Text("no".into()),
            ),
            one("durable_weak_threshold", SettingValue::Integer(0)),
            one("durable_weak_threshold", SettingValue::Float(2.0)),
            one("durable_statements", SettingValue::Boolean(true)),
        ] {
            let err = Thresholds::from_settings(&bad).err();
            assert!(
                matches!(err, Some(GuestError::InvalidSettings(_))),
                "{:?}",
                bad[0].key
            );
        }
        let Err(GuestError::InvalidSettings(msg)) =
            Thresholds::from_settings(&one("durable_statements", SettingValue::Boolean(true)))
        else {
            panic!("an unknown key is an error");
        };
        assert!(msg.contains("durable_weak_threshold"), "{msg}");
    }
}
