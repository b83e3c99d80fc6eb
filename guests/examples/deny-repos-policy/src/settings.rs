//! The policy's settings, read from `[policy.settings]` of the user's config.

use crate::csep::engine::types::{GuestError, Setting, SettingValue};

const KNOWN: &str = "deny, stop_interval";

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Absolute paths (a repo and everything under it) or bucket ids never reflected on.
    pub deny: Vec<String>,
    /// Reflect on memory every this many Stops.
    pub stop_interval: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            deny: Vec::new(),
            stop_interval: 3,
        }
    }
}

impl Settings {
    /// Unknown keys and wrong types are errors: a typo must not silently keep a default.
    pub fn from_settings(settings: &[Setting]) -> Result<Settings, GuestError> {
        let mut out = Settings::default();
        for s in settings {
            match s.key.as_str() {
                "deny" => out.deny = deny(&s.value)?,
                "stop_interval" => match s.value {
                    SettingValue::Integer(n) if n >= 1 => out.stop_interval = n as u64,
                    _ => return Err(invalid("`stop_interval` must be an integer of at least 1")),
                },
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

fn deny(value: &SettingValue) -> Result<Vec<String>, GuestError> {
    let SettingValue::TextList(list) = value else {
        return Err(invalid(
            "`deny` must be a list of absolute paths or bucket ids",
        ));
    };
    let mut out = Vec::new();
    for entry in list {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(invalid("`deny` must not hold an empty entry"));
        }
        // A policy sees no environment, so `~` cannot be expanded: say so rather
        // than never match.
        if entry.starts_with('~') {
            return Err(invalid(&format!(
                "`deny` entry `{entry}`: `~` is not expanded; write the absolute path"
            )));
        }
        out.push(entry.to_string());
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
            set(
                "deny",
                SettingValue::TextList(vec![" /work/secret ".into(), "-home-me-x".into()]),
            ),
            set("stop_interval", SettingValue::Integer(5)),
        ])
        .unwrap();
        assert_eq!(s.deny, ["/work/secret", "-home-me-x"]);
        assert_eq!(s.stop_interval, 5);
    }

    #[test]
    fn unknown_keys_name_the_valid_ones() {
        let m = message(
            Settings::from_settings(&[set("denied", SettingValue::TextList(vec![]))]).unwrap_err(),
        );
        assert!(
            m.contains("`denied`") && m.contains("deny, stop_interval"),
            "{m}"
        );
    }

    #[test]
    fn wrong_types_and_values_are_invalid() {
        for bad in [
            set("deny", SettingValue::Text("/work/secret".into())),
            set("deny", SettingValue::TextList(vec!["  ".into()])),
            set("deny", SettingValue::TextList(vec!["~/work".into()])),
            set("stop_interval", SettingValue::Integer(0)),
            set("stop_interval", SettingValue::Float(2.0)),
        ] {
            let key = bad.key.clone();
            let m = message(Settings::from_settings(&[bad]).unwrap_err());
            assert!(m.contains(&format!("`{key}`")), "{m}");
        }
    }
}
