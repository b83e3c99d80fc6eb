//! The strategy's settings, read from `[strategy.settings]` of the user's config.

use crate::commands::DEFAULT_PREFIXES;
use crate::csep::engine::types::{Setting, SettingValue};

const KNOWN: &str = "prefixes, max_commands, memory_budget_chars";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// A command is recorded when its first words are one of these.
    pub prefixes: Vec<String>,
    /// Most commands this strategy keeps in `## Commands`.
    pub max_commands: usize,
    /// Most characters `MEMORY.md` may hold (the host's rule; 6000 by default).
    pub memory_budget_chars: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prefixes: DEFAULT_PREFIXES.iter().map(|p| p.to_string()).collect(),
            max_commands: 20,
            memory_budget_chars: 6000,
        }
    }
}

impl Settings {
    /// Unknown keys and wrong types are errors naming the key and the valid ones.
    pub fn from_settings(settings: &[Setting]) -> Result<Settings, String> {
        let mut out = Settings::default();
        for s in settings {
            match s.key.as_str() {
                "prefixes" => match &s.value {
                    SettingValue::TextList(list)
                        if !list.is_empty() && list.iter().all(|p| !p.trim().is_empty()) =>
                    {
                        out.prefixes = list.iter().map(|p| p.trim().to_string()).collect();
                    }
                    _ => {
                        return Err(
                            "`prefixes` must be a non-empty list of non-empty strings".to_string()
                        );
                    }
                },
                "max_commands" => out.max_commands = at_least_one(s)?,
                "memory_budget_chars" => out.memory_budget_chars = at_least_one(s)?,
                other => return Err(format!("unknown setting `{other}`; known: {KNOWN}")),
            }
        }
        Ok(out)
    }
}

fn at_least_one(s: &Setting) -> Result<usize, String> {
    match s.value {
        SettingValue::Integer(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(format!("`{}` must be an integer of at least 1", s.key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str, value: SettingValue) -> Setting {
        Setting {
            key: key.to_string(),
            value,
        }
    }

    #[test]
    fn defaults_and_every_key() {
        let d = Settings::from_settings(&[]).unwrap();
        assert_eq!(d, Settings::default());
        assert!(d.prefixes.contains(&"cargo test".to_string()));
        let s = Settings::from_settings(&[
            set(
                "prefixes",
                SettingValue::TextList(vec![" bazel test ".into()]),
            ),
            set("max_commands", SettingValue::Integer(5)),
            set("memory_budget_chars", SettingValue::Integer(2000)),
        ])
        .unwrap();
        assert_eq!(s.prefixes, ["bazel test"]);
        assert_eq!(s.max_commands, 5);
        assert_eq!(s.memory_budget_chars, 2000);
    }

    #[test]
    fn bad_settings_name_the_key() {
        let e = Settings::from_settings(&[set("max", SettingValue::Integer(5))]).unwrap_err();
        assert!(e.contains("`max`") && e.contains(KNOWN), "{e}");
        for bad in [
            set("prefixes", SettingValue::TextList(vec![])),
            set("prefixes", SettingValue::TextList(vec![" ".into()])),
            set("prefixes", SettingValue::Text("make".into())),
            set("max_commands", SettingValue::Integer(0)),
            set("memory_budget_chars", SettingValue::Boolean(true)),
        ] {
            let key = bad.key.clone();
            let e = Settings::from_settings(&[bad]).unwrap_err();
            assert!(e.contains(&format!("`{key}`")), "{e}");
        }
    }
}
