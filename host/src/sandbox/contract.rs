//! Reads which world and contract version a component targets from its import and
//! export names, before wasmtime's structural check (whose message on a version
//! mismatch points at the wrong thing).

use semver::Version;

use super::World;
use super::bindings::{PACKAGE, VERSION};
use super::error::SandboxError;

/// What a component says it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub world: World,
    pub version: Version,
}

/// Splits `csep:engine/policy@0.1.0` into (`policy`, `0.1.0`).
fn split_name(name: &str) -> Option<(&str, Option<&str>)> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    Some(match rest.split_once('@') {
        Some((iface, version)) => (iface, Some(version)),
        None => (rest, None),
    })
}

/// Two contract versions are compatible when their first non-zero component matches
/// (the rule wasmtime itself uses to link semver-versioned names).
pub fn compatible(a: &Version, b: &Version) -> bool {
    match (a.major, b.major) {
        (0, 0) => a.minor == b.minor && (a.minor != 0 || a.patch == b.patch),
        (x, y) => x == y,
    }
}

pub fn host_version() -> Version {
    Version::parse(VERSION).expect("the contract version constant is valid semver")
}

/// `^0.1` for 0.1.x, `^1` for 1.x: what a guest must target to load here.
pub fn supported_range() -> String {
    let v = host_version();
    if v.major == 0 {
        format!("{PACKAGE}@^0.{}", v.minor)
    } else {
        format!("{PACKAGE}@^{}", v.major)
    }
}

/// Finds the world and version from names, and refuses a version this host cannot link.
pub fn identify<'a>(
    imports: impl Iterator<Item = &'a str>,
    exports: impl Iterator<Item = &'a str>,
) -> Result<Target, SandboxError> {
    let exports: Vec<&str> = exports.collect();
    let mut found: Option<(World, &str)> = None;
    for name in &exports {
        match split_name(name) {
            Some(("policy", v)) => found = Some((World::TriggerPolicy, v.unwrap_or(""))),
            Some(("strategy", v)) => found = Some((World::ReflectionStrategy, v.unwrap_or(""))),
            _ => {}
        }
    }
    let Some((world, version)) = found else {
        let listed = if exports.is_empty() {
            "nothing".to_string()
        } else {
            exports
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(SandboxError::UnknownWorld {
            exports: listed,
            version: VERSION,
        });
    };
    let host = host_version();
    let check = |v: &str| -> Result<Version, SandboxError> {
        let parsed = Version::parse(v).map_err(|_| SandboxError::UnsupportedVersion {
            found: if v.is_empty() {
                "an unversioned contract".to_string()
            } else {
                v.to_string()
            },
            supported: supported_range(),
        })?;
        if compatible(&parsed, &host) {
            Ok(parsed)
        } else {
            Err(SandboxError::UnsupportedVersion {
                found: parsed.to_string(),
                supported: supported_range(),
            })
        }
    };
    let version = check(version)?;
    for name in imports {
        if let Some((_, v)) = split_name(name) {
            check(v.unwrap_or(""))?;
        }
    }
    Ok(Target { world, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifies_world_and_version_from_names() {
        let t = identify(
            ["csep:engine/types@0.1.0", "wasi:cli/stdout@0.2.6"].into_iter(),
            ["csep:engine/policy@0.1.3"].into_iter(),
        )
        .unwrap();
        assert_eq!(t.world, World::TriggerPolicy);
        assert_eq!(t.version, Version::new(0, 1, 3));
    }

    #[test]
    fn refuses_other_minor_of_zero_major() {
        let e = identify(
            std::iter::empty(),
            ["csep:engine/strategy@0.2.0"].into_iter(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("targets csep:engine 0.2.0"), "{e}");
        assert!(e.to_string().contains("csep:engine@^0.1"), "{e}");
    }

    #[test]
    fn refuses_mismatched_import_version() {
        let e = identify(
            ["csep:engine/llm@0.3.0"].into_iter(),
            ["csep:engine/strategy@0.1.0"].into_iter(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "unsupported-version");
    }

    #[test]
    fn names_what_it_exports_when_no_world_matches() {
        let e = identify(std::iter::empty(), ["wasi:cli/run@0.2.0"].into_iter()).unwrap_err();
        assert!(e.to_string().contains("`wasi:cli/run@0.2.0`"), "{e}");
    }

    #[test]
    fn compatibility_follows_semver_caret() {
        let v = |s| Version::parse(s).unwrap();
        assert!(compatible(&v("0.1.0"), &v("0.1.9")));
        assert!(!compatible(&v("0.1.0"), &v("0.2.0")));
        assert!(compatible(&v("1.0.0"), &v("1.4.0")));
        assert!(!compatible(&v("1.0.0"), &v("2.0.0")));
        assert!(!compatible(&v("0.0.1"), &v("0.0.2")));
    }
}
