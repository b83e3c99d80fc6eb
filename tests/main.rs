//! The integration tests, one binary (`cargo test --test it`): every file beside this
//! one is a module, and `support/` is what they share. One binary links the library
//! once instead of once per file.

mod support;

mod cli_conventions;
mod cli_hooks;
mod cli_kit;
mod cli_policy;
mod cli_recall;
mod cli_recall_search;
mod cli_reflect;
mod cli_status;
mod e2e_codex;
mod e2e_codex_exec;
mod e2e_mcp;
mod engine;
mod eval_memory;
mod kit_js;
mod kit_template;
mod mcp;
mod migrate;
mod provider;
mod redact;
mod transcript;
