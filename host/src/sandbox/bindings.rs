//! The one place the WIT contract becomes Rust types for the host.

pub mod policy {
    wasmtime::component::bindgen!({
        world: "trigger-policy",
        path: "../wit",
    });
}

pub mod strategy {
    wasmtime::component::bindgen!({
        world: "reflection-strategy",
        path: "../wit",
        with: {
            "csep:engine/types": super::policy::csep::engine::types,
        },
    });
}

/// The contract's package name and the version this host was built against.
pub const PACKAGE: &str = "csep:engine";
pub const VERSION: &str = "0.1.1";

#[cfg(test)]
mod tests {
    #[test]
    fn version_constant_matches_the_wit_package() {
        let wit = include_str!("../../../wit/engine.wit");
        let line = format!("package {}@{};", super::PACKAGE, super::VERSION);
        assert!(
            wit.lines().any(|l| l.trim() == line),
            "wit/engine.wit lacks `{line}`"
        );
    }
}
