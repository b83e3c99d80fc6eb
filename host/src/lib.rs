//! csep: memory, recall and sandboxed reflection for coding agents.
//!
//! Layers, top to bottom (a module uses only its own layer's neighbours and layers below;
//! `docs/architecture.md` draws the same):
//! 1. the `csep` binary's CLI (`host/src/cli/`);
//! 2. use cases: `hooks`, `reflect`, `setup`, `status`, `mcp`, `migrate`, `dropins`,
//!    `guest_settings`, `policy_runner`;
//! 3. what to run and where: `config` (with `config_v2`, the original tool's form),
//!    `guests`, `jobs`, `trigger_state`, `digest`;
//! 4. engines: `recall`, `provider`, `sandbox` (which alone touches wasmtime);
//! 5. leaves: `home` (the state folder's named paths), `client` and `world` (the coding
//!    agents and the guest kinds, each named once), `transcript`, `redact`,
//!    `content_scan`, `fault`, `model`, `bucket`,
//!    `timefmt`, `codex_trust`, `hash`, `file_hashes`, `path_error`, `filelock`,
//!    `atomic_file` (the one atomic writer) and `fs_authority` (which alone turns paths
//!    into filesystem authority), `bundled` (the embedded guests).
//!
//! The filesystem rule (`docs/architecture.md`): a path becomes the authority to change
//! files only in the sanctioned writers. The state folder is changed through the
//! `cap_std` `Dir` handles `fs_authority` mints (`atomic_file` replaces a file in one),
//! the user's client config files through `setup::atomic`. Reads may take paths.
//! `host/clippy.toml` disallows the path-taking writes of `std::fs` (and
//! `cap_std::ambient_authority`) everywhere else; a place that must write by path says
//! why in an `#[expect(clippy::disallowed_methods, reason = "...")]`.

#![cfg_attr(
    test,
    allow(
        clippy::disallowed_methods,
        reason = "unit tests build their fixtures with plain std::fs"
    )
)]

pub mod atomic_file;
pub mod bucket;
pub mod bundled;
pub mod client;
pub mod codex_trust;
pub mod config;
pub mod config_v2;
pub mod content_scan;
pub mod digest;
pub mod dropins;
pub mod fault;
pub mod file_hashes;
pub mod filelock;
pub mod fs_authority;
pub mod guest_settings;
pub mod guests;
pub mod hash;
pub mod home;
pub mod hooks;
pub mod jobs;
pub mod mcp;
pub mod migrate;
pub mod model;
pub mod path_error;
pub mod policy_runner;
pub mod provider;
pub mod recall;
pub mod redact;
pub mod reflect;
pub mod sandbox;
pub mod setup;
pub mod status;
pub mod timefmt;
pub mod transcript;
pub mod trigger_state;
pub mod world;

#[cfg(test)]
mod layers;
