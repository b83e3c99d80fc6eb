//! What a strategy's `log`, `llm` and `recall` calls reach during one job: the
//! configured model within the job's and the day's budgets, the recall index
//! (redacted text only, this repo unless asked otherwise), and the run's log.

use std::sync::{Arc, Mutex};

use crate::model::{Citation, Denial, LlmRequest, LlmResponse, RecallHit, RecallQuery, Scope};
use crate::recall::{SearchQuery, Store, parse_needles};
use crate::redact;
use crate::sandbox::StrategyHost;
use crate::timefmt::now_ms;

use super::budget::DailyBudget;
use super::evidence::{self, Need, Session};

/// A language model the worker can call (a configured provider).
pub trait Model: Send {
    fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, Denial>;
    /// Which provider and model, without secrets.
    fn describe(&self) -> String;
}

/// Hits a search may return at most.
const MAX_HITS: u32 = 50;
/// Log lines kept per job, the bytes of one line and of all together: a
/// strategy that logs without end leaves a `strategy.log` of at most 256 KiB.
const MAX_LOG_LINES: usize = 500;
const MAX_LOG_LINE_BYTES: usize = 2048;
const MAX_LOG_BYTES: usize = 256 * 1024;

fn floor_boundary(s: &str, max: usize) -> usize {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Adds one line to the job's log within its caps; the first line past them is
/// replaced by a note saying the rest was left out.
fn push_log(log: &mut Vec<String>, line: String) {
    let used: usize = log.iter().map(|l| l.len() + 1).sum();
    if log.len() >= MAX_LOG_LINES || used >= MAX_LOG_BYTES {
        return;
    }
    let mut line = line;
    if line.len() > MAX_LOG_LINE_BYTES {
        let mut end = MAX_LOG_LINE_BYTES;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str(" [cut]");
    }
    if log.len() + 1 == MAX_LOG_LINES || used + line.len() + 1 > MAX_LOG_BYTES {
        line = "[host] the log reached its cap; later lines were left out".into();
    }
    log.push(line);
}
/// Citations kept per job; entries past it go uncited, so they are left out.
const MAX_CITATIONS: usize = 2000;

/// What one job spent and said, read by the worker after the strategy returns.
#[derive(Debug, Default, Clone)]
pub struct JobRecord {
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub models: Vec<String>,
    pub denials: Vec<String>,
    pub log: Vec<String>,
    /// Citations that held when the strategy made them.
    pub citations: Vec<Citation>,
}

pub struct JobHost {
    pub model: Option<Box<dyn Model>>,
    pub budget: DailyBudget,
    pub max_calls: u32,
    pub max_tokens: u64,
    pub store: Option<Store>,
    pub bucket: String,
    /// Whether recall may search other repositories (`reflection.recall_global`).
    pub recall_global: bool,
    /// The session the strategy was given, for its citations.
    pub session: Arc<Session>,
    pub record: Arc<Mutex<JobRecord>>,
}

impl JobHost {
    fn note_denial(&self, d: &Denial) {
        let mut r = self.record.lock().expect("record lock");
        r.denials.push(d.to_string());
    }
}

impl StrategyHost for JobHost {
    fn log(&mut self, level: &'static str, message: &str) {
        let mut r = self.record.lock().expect("record lock");
        if r.log.len() < MAX_LOG_LINES {
            // Cut before redacting: a huge line costs nothing past the cap.
            let cut = &message[..floor_boundary(message, MAX_LOG_LINE_BYTES * 2)];
            let (clean, _) = redact::redact(cut);
            push_log(&mut r.log, format!("[{level}] {clean}"));
        }
    }

    fn complete(&mut self, request: LlmRequest) -> Result<LlmResponse, Denial> {
        if self.model.is_none() {
            let d = Denial::Unavailable(
                "no model provider is configured ([provider] in config.toml)".into(),
            );
            self.note_denial(&d);
            return Err(d);
        }
        let (calls, tokens) = self.remaining();
        if calls == 0 || tokens == 0 {
            let d = Denial::BudgetExceeded(format!(
                "this job may make {} model calls and use {} tokens \
                 (reflection.max_calls_per_job, reflection.max_tokens_per_job)",
                self.max_calls, self.max_tokens
            ));
            self.note_denial(&d);
            return Err(d);
        }
        if let Err(reason) = self.budget.reserve_call(now_ms()) {
            let d = Denial::BudgetExceeded(reason.to_string());
            self.note_denial(&d);
            return Err(d);
        }
        self.record.lock().expect("record lock").calls += 1;
        let model = self.model.as_ref().expect("checked above");
        match model.complete(&request) {
            Ok(response) => {
                self.budget
                    .record_tokens(now_ms(), response.input_tokens, response.output_tokens);
                let mut r = self.record.lock().expect("record lock");
                r.input_tokens += response.input_tokens;
                r.output_tokens += response.output_tokens;
                if !r.models.contains(&response.model) {
                    r.models.push(response.model.clone());
                }
                Ok(response)
            }
            Err(d) => {
                self.note_denial(&d);
                Err(d)
            }
        }
    }

    fn remaining(&mut self) -> (u32, u64) {
        if self.model.is_none() || self.budget.spent(now_ms()).is_some() {
            return (0, 0);
        }
        let r = self.record.lock().expect("record lock");
        (
            self.max_calls.saturating_sub(r.calls),
            self.max_tokens
                .saturating_sub(r.input_tokens + r.output_tokens),
        )
    }

    fn search(&mut self, query: RecallQuery) -> Result<Vec<RecallHit>, Denial> {
        let Some(store) = &self.store else {
            return Err(Denial::Unavailable("the recall index is empty".into()));
        };
        if query.global && !self.recall_global {
            return Err(Denial::AccessDenied(
                "recall reaches only this repository's sessions \
                 (reflection.recall_global = true in config.toml allows more)"
                    .into(),
            ));
        }
        let needles = parse_needles(&query.text);
        if needles.is_empty() {
            return Err(Denial::InvalidRequest("the query has no words".into()));
        }
        let q = SearchQuery {
            needles,
            bucket: (!query.global).then(|| self.bucket.clone()),
            limit: query.limit.clamp(1, MAX_HITS) as usize,
            since_ms: None,
            client: None,
        };
        let sessions = store
            .search(&q)
            .map_err(|e| Denial::Unavailable(format!("recall: {e}")))?;
        let mut out = Vec::new();
        for s in sessions {
            for h in s.hits {
                out.push(RecallHit {
                    session_id: s.session_id.clone(),
                    client: s.client.clone(),
                    role: h.role,
                    snippet: h.snippet,
                    at_ms: h.at_ms,
                });
            }
        }
        out.truncate(query.limit.clamp(1, MAX_HITS) as usize);
        Ok(out)
    }

    fn cite(&mut self, citation: Citation) -> Result<(), Denial> {
        let (need, spans) = match citation.scope {
            Scope::Skill => (Need::UserWordsOrToolRun, false),
            Scope::Memory if citation.target.trim_start().starts_with("refs/") => {
                (Need::UserWordsOrToolRun, false)
            }
            Scope::Memory => (Need::for_section(&citation.section), true),
        };
        let verdict = evidence::check(&self.session, &citation, need, spans);
        let mut r = self.record.lock().expect("record lock");
        match verdict {
            Ok(_) if r.citations.len() < MAX_CITATIONS => {
                r.citations.push(citation);
                Ok(())
            }
            Ok(_) => Err(Denial::BudgetExceeded(format!(
                "a job may cite at most {MAX_CITATIONS} entries"
            ))),
            Err(why) => {
                if r.log.len() < MAX_LOG_LINES {
                    let line = format!(
                        "[host] citation refused for {:?}: {why}",
                        evidence::cut(&citation.target, 120)
                    );
                    let clean = redact::redact(&line).0.into_owned();
                    push_log(&mut r.log, clean);
                }
                Err(Denial::InvalidRequest(why.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod log_tests {
    use super::*;

    #[test]
    fn a_strategy_that_logs_without_end_leaves_a_bounded_log() {
        let mut log = Vec::new();
        for i in 0..10_000 {
            push_log(&mut log, format!("{i} {}", "é".repeat(200_000)));
        }
        let bytes: usize = log.iter().map(|l| l.len() + 1).sum();
        assert!(bytes <= MAX_LOG_BYTES + MAX_LOG_LINE_BYTES + 64, "{bytes}");
        assert!(log.len() <= MAX_LOG_LINES);
        assert!(log.last().unwrap().contains("reached its cap"));
        assert!(log[0].ends_with("[cut]"));
    }
}
