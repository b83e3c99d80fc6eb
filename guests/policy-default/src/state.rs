//! Per-session counters, persisted by the host as an opaque string.
//!
//! Format: a first line `csep-policy-default/1`, then `key=value` lines. Anything
//! unreadable starts the counters afresh, as the original's state file did.
//!
//! A durable statement needs no counter: it is in the digest of one Stop only (the
//! digest covers the messages since the last decision), and the memory job it
//! queues is settled like any other, by subtracting the counters it was queued with.

use crate::csep::engine::types::{Digest, Scope};

const HEADER: &str = "csep-policy-default/1";

#[derive(Default, Clone, PartialEq, Debug)]
pub struct Counters {
    pub stops: u64,
    pub readable_chars: u64,
    pub tool_calls: u64,
}

impl Counters {
    /// Returns the counters and, when the stored state was unusable, a note saying so.
    pub fn parse_or_default(state: Option<&str>) -> (Counters, Option<&'static str>) {
        let Some(text) = state else {
            return (Counters::default(), None);
        };
        match Counters::parse(text) {
            Some(c) => (c, None),
            None => (
                Counters::default(),
                Some("stored state was unreadable; counters restarted"),
            ),
        }
    }

    fn parse(text: &str) -> Option<Counters> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut c = Counters::default();
        for line in lines {
            let (key, value) = line.split_once('=')?;
            let value: u64 = value.parse().ok()?;
            match key {
                "stops" => c.stops = value,
                "readable_chars" => c.readable_chars = value,
                "tool_calls" => c.tool_calls = value,
                _ => {} // a later version's field: keep going
            }
        }
        Some(c)
    }

    pub fn render(&self) -> String {
        format!(
            "{HEADER}\nstops={}\nreadable_chars={}\ntool_calls={}\n",
            self.stops, self.readable_chars, self.tool_calls
        )
    }

    /// One Stop with what the digest says happened since the last one.
    pub fn add(&mut self, digest: &Digest) {
        self.stops = self.stops.saturating_add(1);
        self.readable_chars = self.readable_chars.saturating_add(digest.readable_chars);
        self.tool_calls = self.tool_calls.saturating_add(u64::from(digest.tool_calls));
    }

    /// Subtracts what the job was queued with, so Stops that came while it ran still count.
    pub fn settle(&mut self, scope: Scope, queued: &Counters) {
        match scope {
            Scope::Memory => {
                self.stops = self.stops.saturating_sub(queued.stops);
                self.readable_chars = self.readable_chars.saturating_sub(queued.readable_chars);
            }
            Scope::Skill => {
                self.tool_calls = self.tool_calls.saturating_sub(queued.tool_calls);
            }
        }
    }
}
