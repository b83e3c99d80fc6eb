//! The strategy's settings, read from `[strategy.settings]` of the user's config.

use crate::csep::engine::types::{Setting, SettingValue};

const KNOWN: &str = "memory_budget_chars, max_entries_per_run, mode";

/// Whether the model is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Use the model when the job may still make a call, else the heuristics.
    Auto,
    /// Never call the model.
    Deterministic,
    /// Always try the model (a refusal still falls back to the heuristics).
    Model,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Upper bound on `MEMORY.md`, in characters.
    pub memory_budget_chars: usize,
    /// Upper bound on entries added or rewritten in one run.
    pub max_entries_per_run: usize,
    pub mode: Mode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            memory_budget_chars: 6000,
            max_entries_per_run: 10,
            mode: Mode::Auto,
        }
    }
}

impl Settings {
    /// Unknown keys and wrong types are errors, so a typo never silently keeps a default.
    /// The error text names the key and the valid ones.
    pub fn from_settings(settings: &[Setting]) -> Result<Settings, String> {
        let mut out = Settings::default();
        for s in settings {
            match s.key.as_str() {
                "memory_budget_chars" => out.memory_budget_chars = integer(s, 1)?,
                "max_entries_per_run" => out.max_entries_per_run = integer(s, 0)?,
                "mode" => out.mode = mode(s)?,
                other => {
                    return Err(format!("unknown setting `{other}`; known: {KNOWN}"));
                }
            }
        }
        Ok(out)
    }
}

fn integer(s: &Setting, min: i64) -> Result<usize, String> {
    match s.value {
        SettingValue::Integer(n) if n >= min => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(format!("`{}` must be an integer of at least {min}", s.key)),
    }
}

fn mode(s: &Setting) -> Result<Mode, String> {
    match &s.value {
        SettingValue::Text(t) => match t.trim() {
            "auto" => Ok(Mode::Auto),
            "deterministic" => Ok(Mode::Deterministic),
            "model" => Ok(Mode::Model),
            other => Err(format!(
                "`mode` must be `auto`, `deterministic` or `model`, not `{other}`"
            )),
        },
        _ => Err("`mode` must be a string: `auto`, `deterministic` or `model`".to_string()),
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
    fn defaults_when_empty() {
        assert_eq!(Settings::from_settings(&[]).unwrap(), Settings::default());
    }

    #[test]
    fn reads_every_key() {
        let s = Settings::from_settings(&[
            set("memory_budget_chars", SettingValue::Integer(1200)),
            set("max_entries_per_run", SettingValue::Integer(0)),
            set("mode", SettingValue::Text("deterministic".into())),
        ])
        .unwrap();
        assert_eq!(s.memory_budget_chars, 1200);
        assert_eq!(s.max_entries_per_run, 0);
        assert_eq!(s.mode, Mode::Deterministic);
    }

    #[test]
    fn unknown_key_names_it_and_the_valid_ones() {
        let e =
            Settings::from_settings(&[set("memory_budget", SettingValue::Integer(5))]).unwrap_err();
        assert!(e.contains("`memory_budget`"), "{e}");
        assert!(
            e.contains("memory_budget_chars") && e.contains("mode"),
            "{e}"
        );
    }

    #[test]
    fn wrong_types_and_values_are_errors() {
        for bad in [
            set("memory_budget_chars", SettingValue::Integer(0)),
            set("memory_budget_chars", SettingValue::Text("6000".into())),
            set("max_entries_per_run", SettingValue::Integer(-1)),
            set("mode", SettingValue::Text("smart".into())),
            set("mode", SettingValue::Boolean(true)),
        ] {
            assert!(Settings::from_settings(&[bad]).is_err());
        }
    }
}
