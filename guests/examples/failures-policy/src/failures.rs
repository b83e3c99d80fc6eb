//! Recognizes a failed test run in the text of a failed tool call.
//!
//! The host keeps only the first 500 characters of each failed output, so the
//! final summary line (`test result: FAILED`) may be cut off: the per-test lines
//! that come first (`test a ... FAILED`, `--- FAIL:`, `FAIL src/a.test.js`) count too.

/// Phrases matched case-insensitively anywhere in the message.
const PHRASES: [&str; 8] = [
    "test result: failed", // cargo test
    "test failed",         // cargo `error: test failed`, npm `npm ERR! Test failed`
    "tests failed",        // many runners: `2 tests failed`
    "test run failed",     // cargo nextest
    "failing tests",       // gradle `There were failing tests`
    "test failures",       // maven `There are test failures`
    "--- fail:",           // go test
    " ... failed",         // cargo test, one line per test
];

/// True when a failed tool call's message reads like a failed test run.
pub fn looks_like_test_failure(message: &str) -> bool {
    let lower = message.to_lowercase();
    if PHRASES.iter().any(|p| lower.contains(p)) {
        return true;
    }
    // go `FAIL\tpkg` / `FAIL`, jest `FAIL src/a.test.js`, pytest `FAILED tests/a.py::t`.
    let line_start = message.lines().map(str::trim_start).any(|l| {
        l == "FAIL" || l.starts_with("FAIL\t") || l.starts_with("FAIL ") || l.starts_with("FAILED ")
    });
    line_start || counts_failures(&lower)
}

/// A non-zero count before `failed`: pytest `1 failed, 2 passed`, jest
/// `Tests:  1 failed`. A `0 failed` (a passing cargo summary) does not count.
fn counts_failures(lower: &str) -> bool {
    lower.match_indices(" failed").any(|(at, _)| {
        let digits: String = lower[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        !digits.is_empty() && digits.chars().any(|c| c != '0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_common_runners() {
        for text in [
            "test result: FAILED. 3 passed; 1 failed; 0 ignored",
            "Exit code: 101\nerror: test failed, to rerun pass `--lib`",
            "running 2 tests\ntest a ... ok\ntest b ... FAILED\n",
            "error: test run failed",
            "===== 2 failed, 10 passed in 0.52s =====",
            "FAILED tests/test_api.py::test_get - AssertionError",
            "npm ERR! Test failed.  See above for more details.",
            "Tests:       1 failed, 4 passed, 5 total",
            "--- FAIL: TestParse (0.00s)\nFAIL\nFAIL\texample.com/pkg\t0.01s",
            "FAIL src/app.test.js\n  ● adds",
            "There were failing tests. See the report at: build/reports",
        ] {
            assert!(looks_like_test_failure(text), "{text}");
        }
    }

    #[test]
    fn other_failures_are_not_test_runs() {
        for text in [
            "error[E0425]: cannot find value `x` in this scope",
            "bash: line 1: foo: command not found",
            "test result: ok. 12 passed; 0 failed; 0 ignored",
            "fatal: not a git repository",
            "Build failed with 3 errors",
            "Failed to connect to localhost port 8080",
        ] {
            assert!(!looks_like_test_failure(text), "{text}");
        }
    }
}
