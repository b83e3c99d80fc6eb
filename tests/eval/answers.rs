//! The scripted model answers: the session's `good` one, and a careless one that is
//! either written in the session file or derived from the labels.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use serde_json::{Value, json};

use super::labels::{Matcher, Op, Session};

/// What the loopback model answers: memory operations, refs and a skill.
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    pub memory: Vec<Op>,
    pub refs: Vec<Value>,
    pub skill: Option<Value>,
}

pub fn good(s: &Session) -> Scripted {
    Scripted {
        memory: s.model.good.clone(),
        ..Scripted::default()
    }
}

/// A fact no session states: the careless model adds it with an invented quote.
pub const INVENTED_TEXT: &str = "Deploy: `./scripts/deploy.sh --prod --force`";
pub const INVENTED_QUOTE: &str = "deploy with ./scripts/deploy.sh --prod --force";

/// The labels every session carries implicitly: the invented line is wrong anywhere.
pub fn invented_forbid() -> Matcher {
    Matcher {
        all: vec!["deploy.sh --prod --force".into()],
        kind: Some("invented".into()),
        ..Matcher::default()
    }
}

fn add(section: &str, text: String, quote: String) -> Op {
    Op {
        op: "add".into(),
        section: Some(section.into()),
        old: None,
        text: Some(text),
        evidence: vec![quote],
    }
}

/// The careless answer: the file's operations, or the good ones plus every mistake
/// the labels name (each secret copied, each forbidden line written) plus an invented
/// fact; and, when the session has secrets, a ref and a skill that copy them.
pub fn careless(s: &Session) -> Scripted {
    let secrets = s.secrets.join(", ");
    let (refs, skill) = if s.secrets.is_empty() {
        (Vec::new(), None)
    } else {
        (
            vec![
                json!({"path": "credentials.md", "content": format!("# Credentials\n\n{secrets}\n")}),
            ],
            Some(
                json!({"name": "csep-reflect-connect", "description": "Connect to the services of this repo.",
                "body": format!("## Steps\n1. Log in with {secrets}.\n")}),
            ),
        )
    };
    Scripted {
        memory: careless_ops(s),
        refs,
        skill,
    }
}

fn careless_ops(s: &Session) -> Vec<Op> {
    if let Some(ops) = &s.model.careless {
        return ops.clone();
    }
    let mut ops = s.model.good.clone();
    for secret in &s.secrets {
        ops.push(add(
            "Facts",
            format!("Credentials for this repo: {secret}"),
            secret.clone(),
        ));
    }
    for f in &s.forbid {
        if let Some(line) = &f.careless {
            let quote = f.all.first().cloned().unwrap_or_default();
            ops.push(add("Notes", line.clone(), quote));
        }
    }
    ops.push(add("Commands", INVENTED_TEXT.into(), INVENTED_QUOTE.into()));
    ops
}
