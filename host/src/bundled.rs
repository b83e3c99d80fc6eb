//! Guest components embedded in the binary, so `cargo install` needs no wasm
//! toolchain. `guests/build.sh` regenerates them; CI checks they match the sources.

#[derive(Debug)]
pub struct Bundled {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

pub const POLICY_DEFAULT: Bundled = Bundled {
    name: "policy-default",
    bytes: include_bytes!("../assets/guests/policy-default.wasm"),
};

pub const STRATEGY_DEFAULT: Bundled = Bundled {
    name: "strategy-default",
    bytes: include_bytes!("../assets/guests/strategy-default.wasm"),
};

/// Every embedded component.
pub const ALL: &[Bundled] = &[POLICY_DEFAULT, STRATEGY_DEFAULT];

impl Bundled {
    /// The origin a loaded guest reports: `bundled:<name>`.
    pub fn origin(&self) -> String {
        format!("bundled:{}", self.name)
    }
}
