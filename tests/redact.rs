//! Secret redaction: every kind, the look-alikes that must stay, and hostile input.

#[path = "redact/redact.rs"]
mod redact_cases;
#[path = "redact/robustness.rs"]
mod robustness;
