//! The two kinds of guest the host runs, named once: a WIT world (`trigger-policy`,
//! `reflection-strategy`), the short name the config section, the command line
//! (`--kind`) and the component's exports use (`policy`, `strategy`), and the
//! state-folder subfolder its drop-ins live in. Plain data: the sandbox maps it to
//! wasmtime, nothing here does.

use std::fmt;

use crate::bundled::{self, Bundled};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    /// Decides at each Stop whether a session is worth reflecting on.
    #[value(name = "policy")]
    TriggerPolicy,
    /// Turns a session into memory and skills.
    #[value(name = "strategy")]
    ReflectionStrategy,
}

impl World {
    pub const ALL: [World; 2] = [World::TriggerPolicy, World::ReflectionStrategy];

    /// The WIT world's name, as JSON output and errors print it.
    pub fn as_str(self) -> &'static str {
        match self {
            World::TriggerPolicy => "trigger-policy",
            World::ReflectionStrategy => "reflection-strategy",
        }
    }

    /// The short name: the config section naming the active guest (`[policy]`,
    /// `[strategy]`), the `--kind` value and the prefix of the guest's exports.
    pub fn section(self) -> &'static str {
        match self {
            World::TriggerPolicy => "policy",
            World::ReflectionStrategy => "strategy",
        }
    }

    /// The state-folder subfolder where drop-ins of this world live.
    pub fn folder(self) -> &'static str {
        match self {
            World::TriggerPolicy => "policies",
            World::ReflectionStrategy => "strategies",
        }
    }

    /// The guest embedded in the binary for this world.
    pub fn bundled(self) -> &'static Bundled {
        match self {
            World::TriggerPolicy => &bundled::POLICY_DEFAULT,
            World::ReflectionStrategy => &bundled::STRATEGY_DEFAULT,
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn each_world_keeps_its_wit_name_short_name_and_folder() {
        let names: Vec<_> = World::ALL
            .iter()
            .map(|w| {
                (
                    w.to_string(),
                    serde_json::to_value(w).unwrap(),
                    w.to_possible_value().unwrap().get_name().to_string(),
                    w.folder(),
                    w.bundled().name,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "trigger-policy".to_string(),
                    serde_json::json!("trigger-policy"),
                    "policy".to_string(),
                    "policies",
                    "policy-default"
                ),
                (
                    "reflection-strategy".to_string(),
                    serde_json::json!("reflection-strategy"),
                    "strategy".to_string(),
                    "strategies",
                    "strategy-default"
                ),
            ]
        );
        for w in World::ALL {
            assert_eq!(w.to_possible_value().unwrap().get_name(), w.section());
        }
        assert_eq!(World::value_variants(), &World::ALL);
    }
}
