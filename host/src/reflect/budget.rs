//! The day's model budget, shared by every worker: calls and tokens per UTC day in
//! `session_reflection/usage/<date>.json`, changed only under a lock, and a call is
//! counted before it is sent, so a crash can only over-count.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::Home;
use crate::path_error::{AtPath, PathError};
use crate::timefmt::rfc3339;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

pub struct DailyBudget {
    path: PathBuf,
    dir: Dir,
    max_calls: u32,
    max_tokens: u64,
}

fn day(now_ms: u64) -> String {
    rfc3339(now_ms)[..10].to_string()
}

/// A missing or unreadable usage file counts as nothing spent yet.
fn parse(bytes: Option<Vec<u8>>) -> Usage {
    bytes
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

impl DailyBudget {
    pub fn open(home: &Home, max_calls: u32, max_tokens: u64) -> io::Result<DailyBudget> {
        let path = home.usage_dir();
        let dir = fs_authority::create_private_dir_all(&path)?;
        Ok(DailyBudget {
            path,
            dir,
            max_calls,
            max_tokens,
        })
    }

    /// Today's usage, read without creating anything.
    pub fn peek(home: &Home, now_ms: u64) -> Usage {
        let path = home.usage_dir().join(format!("{}.json", day(now_ms)));
        parse(std::fs::read(path).ok())
    }

    pub fn today(&self, now_ms: u64) -> Usage {
        parse(self.dir.read(format!("{}.json", day(now_ms))).ok())
    }

    /// Why no call may be made today, if that is so.
    pub fn spent(&self, now_ms: u64) -> Option<String> {
        self.spent_in(&self.today(now_ms)).map(|e| e.to_string())
    }

    /// Counts one call if today's budget allows it; the reason when it does not.
    pub fn reserve_call(&self, now_ms: u64) -> Result<(), BudgetError> {
        self.update(now_ms, |u, this| match this.spent_in(u) {
            Some(spent) => Err(spent),
            None => {
                u.calls += 1;
                Ok(())
            }
        })
    }

    /// Adds the tokens a finished call used.
    pub fn record_tokens(&self, now_ms: u64, input: u64, output: u64) {
        let _ = self.update(now_ms, |u, _| {
            u.input_tokens += input;
            u.output_tokens += output;
            Ok(())
        });
    }

    fn spent_in(&self, u: &Usage) -> Option<BudgetError> {
        (u.calls >= self.max_calls || u.tokens() >= self.max_tokens).then(|| BudgetError::Spent {
            calls: u.calls,
            max_calls: self.max_calls,
            tokens: u.tokens(),
            max_tokens: self.max_tokens,
        })
    }

    fn update(
        &self,
        now_ms: u64,
        change: impl FnOnce(&mut Usage, &DailyBudget) -> Result<(), BudgetError>,
    ) -> Result<(), BudgetError> {
        let _lock = FileLock::acquire(&self.dir, "usage.lock", Duration::from_secs(10))
            .at("locking", &self.path)?
            .ok_or_else(|| BudgetError::Locked(self.path.clone()))?;
        let mut usage = self.today(now_ms);
        change(&mut usage, self)?;
        let bytes = serde_json::to_vec_pretty(&usage).expect("usage serialises");
        fs_authority::write_atomic(&self.dir, &format!("{}.json", day(now_ms)), &bytes)
            .at("updating", &self.path)?;
        Ok(())
    }
}

/// Why a model call may not be made.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "the daily model budget is spent ({calls} of {max_calls} calls, {tokens} of {max_tokens} tokens); it resets at 00:00 UTC (reflection.max_calls_per_day, reflection.max_tokens_per_day)"
    )]
    Spent {
        calls: u32,
        max_calls: u32,
        tokens: u64,
        max_tokens: u64,
    },
    #[error("{} stayed locked for 10 s", .0.display())]
    Locked(std::path::PathBuf),
    #[error(transparent)]
    Io(#[from] PathError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_past_the_cap_is_refused_and_the_next_day_is_fresh() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        let b = DailyBudget::open(&home, 2, 1_000).unwrap();
        let now = 1_764_000_000_000;
        assert!(b.reserve_call(now).is_ok());
        assert!(b.reserve_call(now).is_ok());
        let refused = b.reserve_call(now).unwrap_err().to_string();
        assert!(refused.contains("2 of 2 calls"), "{refused}");
        assert!(b.spent(now).is_some());
        assert_eq!(b.today(now).calls, 2);
        assert!(b.reserve_call(now + 86_400_000).is_ok());
    }

    #[test]
    fn tokens_count_against_the_day() {
        let tmp = tempfile::tempdir().unwrap();
        let b = DailyBudget::open(&Home::at(tmp.path()), 10, 100).unwrap();
        let now = 1_764_000_000_000;
        b.record_tokens(now, 60, 40);
        assert!(b.spent(now).unwrap().contains("tokens"));
    }
}
