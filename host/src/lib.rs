//! csep: memory, recall and sandboxed reflection for coding agents.
//!
//! Layers, top to bottom: the `csep` binary's CLI; the use cases (`hooks`, `reflect`,
//! `setup`, `dropins`, `guest_settings`) over `config`/`home`/`guests`; the engines
//! (`recall`, `provider`, the `sandbox`, which alone touches wasmtime); the leaves
//! (`transcript`, `redact`, `content_scan`, `fault`, `model`, `bucket`, `timefmt`), and
//! `fs_authority`, which alone turns paths into filesystem authority.

pub mod atomic_file;
pub mod bucket;
pub mod bundled;
pub mod codex_trust;
pub mod config;
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
