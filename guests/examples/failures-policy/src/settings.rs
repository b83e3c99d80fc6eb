//! The policy's settings, read from `[policy.settings]` of the user's config.

use crate::csep::engine::types::{GuestError, Scope, Setting, SettingValue};

const KNOWN: &str = "min_tool_errors, test_failures_only, scopes";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Reflect when a Stop brings at least this many failed tool calls.
    pub min_tool_errors: u64,
    /// Count only failed tool calls that look like a failed test run.
    pub test_failures_only: bool,
    /// What a reflection covers.
    pub scopes: Vec<Scope>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_tool_errors: 1,
            test_failures_only: false,
            scopes: vec![Scope::Memory],
        }
    }
}

impl Settings {
    /// Unknown keys and wrong types are errors: a typo must not silently keep a default.
    pub fn from_settings(settings: &[Setting]) -> Result<Settings, GuestError> {
        let mut out = Settings::default();
        for s in settings {
            match s.key.as_str() {
                "min_tool_errors" => match s.value {
                    SettingValue::Integer(n) if n >= 1 => out.min_tool_errors = n as u64,
                    _ => {
                        return Err(invalid(
                            "`min_tool_errors` must be an integer of at least 1",
                        ));
                    }
                },
                "test_failures_only" => match s.value {
                    SettingValue::Boolean(b) => out.test_failures_only = b,
                    _ => return Err(invalid("`test_failures_only` must be true or false")),
                },
                "scopes" => out.scopes = scopes(&s.value)?,
                other => {
                    return Err(invalid(&format!(
                        "unknown setting `{other}`; known: {KNOWN}"
                    )));
                }
            }
        }
        Ok(out)
    }
}

fn scopes(value: &SettingValue) -> Result<Vec<Scope>, GuestError> {
    const WANT: &str = "`scopes` must be a non-empty list of \"memory\" and \"skill\"";
    let SettingValue::TextList(list) = value else {
        return Err(invalid(WANT));
    };
    let mut out = Vec::new();
    for name in list {
        let scope = match name.trim() {
            "memory" => Scope::Memory,
            "skill" => Scope::Skill,
            _ => return Err(invalid(WANT)),
        };
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    if out.is_empty() {
        return Err(invalid(WANT));
    }
    Ok(out)
}

fn invalid(message: &str) -> GuestError {
    GuestError::InvalidSettings(message.to_string())
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

    fn message(e: GuestError) -> String {
        match e {
            GuestError::InvalidSettings(m) => m,
            other => panic!("not invalid-settings: {other:?}"),
        }
    }

    #[test]
    fn defaults_and_every_key() {
        assert_eq!(Settings::from_settings(&[]).unwrap(), Settings::default());
        let s = Settings::from_settings(&[
            set("min_tool_errors", SettingValue::Integer(3)),
            set("test_failures_only", SettingValue::Boolean(true)),
            set(
                "scopes",
                SettingValue::TextList(vec!["skill".into(), "memory".into(), "skill".into()]),
            ),
        ])
        .unwrap();
        assert_eq!(s.min_tool_errors, 3);
        assert!(s.test_failures_only);
        assert_eq!(s.scopes, [Scope::Skill, Scope::Memory]);
    }

    #[test]
    fn unknown_keys_name_the_valid_ones() {
        let e = Settings::from_settings(&[set("min_errors", SettingValue::Integer(1))]);
        let m = message(e.unwrap_err());
        assert!(m.contains("`min_errors`"), "{m}");
        assert!(
            m.contains("min_tool_errors, test_failures_only, scopes"),
            "{m}"
        );
    }

    #[test]
    fn wrong_types_and_values_are_invalid() {
        for bad in [
            set("min_tool_errors", SettingValue::Integer(0)),
            set("min_tool_errors", SettingValue::Text("2".into())),
            set("test_failures_only", SettingValue::Text("yes".into())),
            set("scopes", SettingValue::Text("memory".into())),
            set("scopes", SettingValue::TextList(vec![])),
            set("scopes", SettingValue::TextList(vec!["notes".into()])),
        ] {
            let key = bad.key.clone();
            let m = message(Settings::from_settings(&[bad]).unwrap_err());
            assert!(m.contains(&format!("`{key}`")), "{m}");
        }
    }
}
