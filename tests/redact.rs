//! Secret redaction: every kind, the look-alikes that must stay, and hostile input.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

#[path = "redact/prose.rs"]
mod prose;
#[path = "redact/redact.rs"]
mod redact_cases;
#[path = "redact/robustness.rs"]
mod robustness;
#[path = "redact/rules.rs"]
mod rules;
#[path = "redact/survivors.rs"]
mod survivors;
