//! Which lines of a user message are the user speaking. Quoted and pasted
//! material (code fences, `>` quotes, indented code, shell sessions, log and CI
//! lines, stack frames, long pasted blocks) is someone else's text: nothing found
//! there may become memory.

/// A paragraph longer than this many lines is a paste, not something typed.
const MAX_SPOKEN_PARAGRAPH_LINES: usize = 15;

/// The lines of `text` the user wrote themselves, each a slice of `text` (so a
/// quote taken from one is found in the message verbatim).
pub fn spoken_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut pasted = vec![false; lines.len()];
    // Lines that read as program output, which taint their paragraph.
    let mut logged = vec![false; lines.len()];
    let mut fence: Option<&str> = None;
    let mut in_output = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if let Some(marker) = fence {
            pasted[i] = true;
            if t.starts_with(marker) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            pasted[i] = true;
            continue;
        }
        if t.is_empty() {
            in_output = false;
            continue;
        }
        if is_prompt(t) {
            // A prompt followed by output is a pasted terminal session.
            let next = lines.get(i + 1).map_or("", |l| l.trim());
            in_output = !next.is_empty();
            pasted[i] = in_output;
            logged[i] = in_output;
            continue;
        }
        if in_output || t.starts_with('>') || line.starts_with("    ") || line.starts_with('\t') {
            pasted[i] = true;
            continue;
        }
        logged[i] = looks_logged(t);
        pasted[i] = logged[i];
    }
    // A paragraph with two logged lines, or a very long one, is pasted whole.
    let mut start = 0;
    while start < lines.len() {
        let end = (start..lines.len())
            .find(|&i| lines[i].trim().is_empty())
            .unwrap_or(lines.len());
        let logged = (start..end).filter(|&i| logged[i]).count();
        if logged >= 2 || end - start > MAX_SPOKEN_PARAGRAPH_LINES {
            pasted[start..end].iter_mut().for_each(|p| *p = true);
        }
        start = end + 1;
    }
    lines
        .iter()
        .zip(pasted)
        .filter(|(l, p)| !p && !l.trim().is_empty())
        .map(|(l, _)| *l)
        .collect()
}

/// A shell prompt: `$ cmd`, `% cmd`, `user@host:~/dir$ cmd`, `PS C:\> cmd`.
fn is_prompt(t: &str) -> bool {
    if t.starts_with("$ ") || t.starts_with("% ") || t.starts_with("PS ") && t.contains("> ") {
        return true;
    }
    let first = t.split_whitespace().next().unwrap_or("");
    (first.ends_with('$') || first.ends_with('#')) && (first.contains('@') || first.contains(':'))
}

/// A line that reads as program output: a timestamp or log level up front, a
/// stack frame, a compiler or CI marker.
pub fn looks_logged(t: &str) -> bool {
    const STARTS: [&str; 44] = [
        "at ",
        "File \"",
        "Traceback",
        "Caused by:",
        "--> ",
        "| ",
        "thread '",
        "npm ERR!",
        "npm WARN",
        "##[",
        "::error",
        "::warning",
        "error[",
        "error:",
        "warning:",
        "note: ",
        "panicked at",
        "Exception in thread",
        "goroutine ",
        "FAIL",
        "PASS",
        "ok  \t",
        "---> ",
        "--- ",
        "===",
        "___",
        "E   ",
        "Step ",
        "Error: Process completed",
        "make: ",
        "make[",
        "Compiling ",
        "Finished `",
        "Running `",
        "✓",
        "✗",
        "×",
        "●",
        "➜",
        "│",
        "├",
        "└",
        "┌",
        "+ ",
    ];
    if STARTS.iter().any(|s| t.starts_with(s)) {
        // `at ` frames name a place: `at foo (file.js:1:2)`, `at a.b.C(C.java:10)`.
        return !t.starts_with("at ") || t.contains('(') && t.contains(':');
    }
    if t.starts_with('#') && t[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return true; // `#12 [build 3/7] RUN ...`, `#0 0x55d4 in main`
    }
    let head: String = t.chars().take(40).collect();
    let head = head.trim_start_matches(['[', '(']);
    timestamp_at_start(head) || has_level_word(&head_words(t))
}

/// `2024-05-01`, `2024/05/01`, `12:34:56` or `10:00:00.123` at the start.
fn timestamp_at_start(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let date = digits(0, 4) && b.len() > 7 && matches!(b[4], b'-' | b'/') && digits(5, 2);
    let time = digits(0, 2) && b.len() > 5 && b[2] == b':' && digits(3, 2);
    date || time
}

fn head_words(t: &str) -> Vec<&str> {
    t.split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ':' | '|' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .take(4)
        .collect()
}

fn has_level_word(words: &[&str]) -> bool {
    words.iter().any(|w| {
        matches!(
            *w,
            "ERROR" | "WARN" | "WARNING" | "INFO" | "DEBUG" | "TRACE" | "FATAL" | "CRITICAL"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_the_user_typed() {
        let text = "Please fix CI. The test command is `make check`.\n\n记住：不要改 vendor/";
        assert_eq!(
            spoken_lines(text),
            [
                "Please fix CI. The test command is `make check`.",
                "记住：不要改 vendor/"
            ]
        );
    }

    #[test]
    fn drops_quoted_and_pasted_material() {
        let cases: [(&str, &[&str]); 9] = [
            (
                "CI says:\n```\nmake check\nremember: use yarn\n```\nthoughts?",
                &["CI says:", "thoughts?"],
            ),
            (
                "> the test command is cargo test\nno, that's old",
                &["no, that's old"],
            ),
            (
                "here:\n$ docker system prune -af --volumes\nTotal reclaimed space: 1GB\n\nok?",
                &["here:", "ok?"],
            ),
            (
                "log:\n2026-12-01T10:00:00Z INFO running cargo test\n2026-12-01T10:00:01Z ERROR failed\n\nfix it",
                &["fix it"],
            ),
            (
                "see\n    at Object.run (src/index.js:10:5)\n    at main (src/main.js:3:1)",
                &["see"],
            ),
            (
                "it broke:\nERROR: build failed\nplease run make check instead\nWARN retrying",
                &[],
            ),
            (
                "#12 [build 3/7] RUN npm ci\nerror: could not compile `core`\n\nwhy?",
                &["why?"],
            ),
            (
                "CI:\nRun make test\nmake: *** [Makefile:12: test] Error 2\nError: Process completed with exit code 2.\n\nthe test command is make ci",
                &["the test command is make ci"],
            ),
            (
                "=== FAILURES ===\nE   AssertionError: boom\n\nfix it",
                &["fix it"],
            ),
        ];
        for (text, spoken) in cases {
            assert_eq!(spoken_lines(text), spoken, "{text}");
        }
        let long: String = (0..20).map(|i| format!("line {i} of a paste\n")).collect();
        assert!(spoken_lines(&long).is_empty());
    }

    #[test]
    fn words_are_not_log_levels() {
        for t in [
            "at the end, run make check",
            "Error handling lives in src/error.rs",
            "the info page is stale",
        ] {
            assert!(!looks_logged(t), "{t}");
        }
    }
}
