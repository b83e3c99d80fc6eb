//! Secret redaction: every kind, the look-alikes that must stay, and hostile input.

#[path = "redact/prose.rs"]
mod prose;
#[path = "redact/redact.rs"]
mod redact_cases;
#[path = "redact/robustness.rs"]
mod robustness;
#[path = "redact/rules.rs"]
mod rules;
