//! The user's own prose out of a message: fenced code, quoted lines, pasted logs
//! and code lines are dropped, and what is left is cut into sentences.

/// Lines of `text` a person typed, with pasted material left out.
pub fn typed_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_paste = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if trimmed.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        // Output pasted without a fence runs on to the next blank line.
        if line.trim().is_empty() {
            in_paste = false;
        } else if is_pasted(line) {
            in_paste = true;
        } else if !in_paste {
            out.push(line.trim());
        }
    }
    out
}

/// A quoted, indented, log-looking or code-looking line.
fn is_pasted(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return true;
    }
    // Four spaces or a tab: an indented code block or a pasted listing.
    if line.starts_with('\t') || line.starts_with("    ") {
        return true;
    }
    const OPENERS: &[&str] = &[
        ">",
        "$ ",
        "//",
        "/*",
        "#!",
        "#include",
        "@@",
        "+++",
        "---",
        "Traceback",
        "Caused by",
        "npm ERR!",
        "error[",
        "error:",
        "warning:",
        "note:",
        "help:",
        "File \"",
        "|",
        "│",
        "= ",
        "-->",
    ];
    if OPENERS.iter().any(|o| t.starts_with(o)) {
        return true;
    }
    // A stack frame: `at foo (bar.js:3)`, `at foo.rs:12`.
    if t.starts_with("at ") && (t.contains('(') || has_file_line(t)) {
        return true;
    }
    if t.starts_with('<') && t.ends_with('>') {
        return true;
    }
    // A line of code ends like code.
    if [";", "{", "}", "=>", "):", "});"]
        .iter()
        .any(|e| t.ends_with(e))
    {
        return true;
    }
    has_timestamp(t) || has_level_word(t) || has_file_line(t) || t.contains("panicked at")
}

/// `2025-11-24`, `16:00:01` or `[12:03]` style clock readings.
fn has_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |at: usize, n: usize| at + n <= b.len() && b[at..at + n].iter().all(u8::is_ascii_digit);
    (0..b.len()).any(|i| {
        (digits(i, 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(i + 5, 2)
            && b.get(i + 7) == Some(&b'-'))
            || (digits(i, 2)
                && b.get(i + 2) == Some(&b':')
                && digits(i + 3, 2)
                && b.get(i + 5) == Some(&b':')
                && digits(i + 6, 2))
    })
}

/// An upper-case log level as a word of its own.
fn has_level_word(t: &str) -> bool {
    const LEVELS: &[&str] = &[
        "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "TRACE", "FATAL", "FAILED", "PANIC",
        "CRITICAL", "FAIL", "ERR",
    ];
    t.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| LEVELS.contains(&w))
}

/// `foo.rs:12`, `main.py", line 3`: a position in a source file, as a trace prints it.
fn has_file_line(t: &str) -> bool {
    if t.contains("\", line ") {
        return true;
    }
    t.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| "()[],'\"".contains(c));
        let Some((file, rest)) = w.split_once(':') else {
            return false;
        };
        let line_no = rest.split(':').next().unwrap_or("");
        file.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }) && !line_no.is_empty()
            && line_no.chars().all(|c| c.is_ascii_digit())
    })
}

/// Cuts a line into sentences at `.!?;` (followed by a space or the end) and at the
/// CJK full stops, never inside a `code span`.
pub fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '`' {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let ends = match c {
            '。' | '！' | '？' | '；' | '!' | '?' => true,
            '.' | ';' => next.is_none_or(char::is_whitespace) && !is_abbreviation(&line[start..at]),
            _ => false,
        };
        if ends {
            let end = at + c.len_utf8();
            push(&mut out, &line[start..end]);
            start = end;
        }
    }
    push(&mut out, &line[start..]);
    out
}

fn push<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if s.chars().any(char::is_alphanumeric) {
        out.push(s);
    }
}

/// `e.g.`, `i.e.`, `vs.`, `etc.` do not end a sentence.
fn is_abbreviation(before: &str) -> bool {
    let last = before.rsplit(char::is_whitespace).next().unwrap_or("");
    ["e.g", "i.e", "vs", "etc", "eg", "ie"].contains(&last.to_ascii_lowercase().as_str())
}

/// The sentence with quoted passages of three words or more (an error message,
/// a line of someone else's text) blanked; a quoted name such as "pnpm" stays.
pub fn without_quoted_passages(sentence: &str) -> String {
    const PAIRS: &[(char, char)] = &[
        ('"', '"'),
        ('“', '”'),
        ('「', '」'),
        ('『', '』'),
        ('‘', '’'),
    ];
    let mut out = sentence.to_string();
    for &(open, close) in PAIRS {
        let mut from = 0;
        while let Some(a) = out[from..].find(open).map(|i| from + i) {
            let body_start = a + open.len_utf8();
            let Some(b) = out[body_start..].find(close).map(|i| body_start + i) else {
                break;
            };
            let body = &out[body_start..b];
            let long = body.split_whitespace().count() >= 3 || super::signals::cjk_chars(body) >= 6;
            let end = b + close.len_utf8();
            if long {
                out.replace_range(a..end, " ");
                from = a + 1;
            } else {
                from = end;
            }
        }
    }
    out
}

/// The sentence as a quote for a summary: at most `max` characters, marked when cut.
pub fn quote(sentence: &str, max: usize) -> String {
    let one_line: String = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_quotes_logs_and_code_lines_are_not_prose() {
        let text = "Use pnpm.\n```\nnever use yarn\n```\n> Always run make\n\
                    2025-11-24T16:00:01Z ERROR never retried\n\
                    thread 'main' panicked at src/main.rs:12:5\n    at foo.rs:12\n\
                    // always call init\nlet x = 1;\n\nkeep this";
        assert_eq!(typed_lines(text), vec!["Use pnpm.", "keep this"]);
    }

    #[test]
    fn a_pasted_block_runs_to_the_next_blank_line() {
        let text = "what is this?\nthread 'main' panicked at src/main.rs:12:5:\nnever reached\n\nUse pnpm.";
        assert_eq!(typed_lines(text), vec!["what is this?", "Use pnpm."]);
    }

    #[test]
    fn an_unclosed_fence_hides_the_rest() {
        assert_eq!(typed_lines("ok\n~~~\nnever do this"), vec!["ok"]);
    }

    #[test]
    fn sentences_split_outside_code_spans_and_abbreviations() {
        assert_eq!(
            sentences("Run `make check. now`. Then stop! e.g. this one"),
            vec!["Run `make check. now`.", "Then stop!", "e.g. this one"]
        );
        assert_eq!(
            sentences("不对。端口是 8080；别改"),
            vec!["不对。", "端口是 8080；", "别改"]
        );
        assert_eq!(
            sentences("see src/main.rs now"),
            vec!["see src/main.rs now"]
        );
    }

    #[test]
    fn long_quoted_passages_are_not_the_users_words() {
        assert_eq!(
            without_quoted_passages("it says \"do not use this\" and \"pnpm\""),
            "it says   and \"pnpm\""
        );
        assert_eq!(
            without_quoted_passages("「このファイルは編集しないで」と出た"),
            " と出た"
        );
    }

    #[test]
    fn quotes_are_cut_with_a_mark() {
        assert_eq!(quote("a  b\tc", 80), "a b c");
        let long = "x".repeat(100);
        let q = quote(&long, 80);
        assert_eq!(q.chars().count(), 80);
        assert!(q.ends_with('…'));
    }
}
