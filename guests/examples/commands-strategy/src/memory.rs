//! Edits the `## Commands` section of `MEMORY.md` and nothing else.
//!
//! The lines this strategy owns are bullets that are one code span,
//! `` - `cargo test` ``. New ones go after the last of them (or at the end of the
//! section); when there are more than the cap, the oldest (topmost) go. Every
//! other byte of the file, in the section or outside it, is kept as it was.

/// What an update did.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The new file.
    pub text: String,
    pub added: Vec<String>,
    /// Commands removed to keep to the cap, oldest first.
    pub dropped: Vec<String>,
}

const HEADING: &str = "## Commands";

/// The document with `found` added to its `## Commands` section (created at the
/// end when missing; the whole file when there is none), or `None` when every
/// command is already there.
pub fn update(doc: Option<&str>, found: &[String], max_commands: usize) -> Option<Update> {
    let doc = doc.unwrap_or("");
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let eol = if lines.first().is_some_and(|l| l.ends_with("\r\n")) {
        "\r\n"
    } else {
        "\n"
    };
    let section = find_section(&lines);

    // Commands already in the section, in any bullet's code span, are not added again.
    let known: Vec<String> = section
        .as_ref()
        .map(|s| {
            lines[s.start..s.end]
                .iter()
                .filter(|l| bare(l).starts_with("- "))
                .flat_map(|l| code_spans(bare(l)))
                .map(|c| normalize(&c))
                .collect()
        })
        .unwrap_or_default();
    let mut new: Vec<String> = Vec::new();
    for command in found {
        let n = normalize(command);
        if !n.is_empty() && !known.contains(&n) && !new.contains(&n) {
            new.push(n);
        }
    }
    if new.is_empty() {
        return None;
    }

    // Keep to the cap: the oldest owned lines go first, then the oldest new ones.
    let max = max_commands.max(1);
    let owned: Vec<(usize, String)> = section
        .as_ref()
        .map(|s| {
            (s.start..s.end)
                .filter_map(|i| owned_command(bare(lines[i])).map(|c| (i, c)))
                .collect()
        })
        .unwrap_or_default();
    let mut excess = (owned.len() + new.len()).saturating_sub(max);
    let gone_owned = excess.min(owned.len());
    excess -= gone_owned;
    let mut dropped: Vec<String> = owned[..gone_owned].iter().map(|(_, c)| c.clone()).collect();
    dropped.extend(new.drain(..excess));
    let gone: Vec<usize> = owned[..gone_owned].iter().map(|(i, _)| *i).collect();
    let new_lines: String = new.iter().map(|c| format!("- `{c}`{eol}")).collect();

    let mut out = String::with_capacity(doc.len() + new_lines.len() + 16);
    match section {
        Some(s) => {
            // After the last owned line, else after the section's last non-blank line.
            let at = owned
                .last()
                .map(|(i, _)| i + 1)
                .or_else(|| {
                    (s.start..s.end)
                        .rev()
                        .find(|i| !bare(lines[*i]).trim().is_empty())
                        .map(|i| i + 1)
                })
                .unwrap_or(s.start);
            for (i, line) in lines.iter().enumerate() {
                if i == at {
                    out.push_str(&new_lines);
                }
                if !gone.contains(&i) {
                    out.push_str(line);
                    if i + 1 == at && !line.ends_with('\n') {
                        out.push_str(eol);
                    }
                }
            }
            if at == lines.len() {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push_str(eol);
                }
                out.push_str(&new_lines);
            }
        }
        None => {
            out.push_str(doc);
            if !doc.is_empty() {
                if !doc.ends_with('\n') {
                    out.push_str(eol);
                }
                if !lines.last().is_some_and(|l| bare(l).trim().is_empty()) {
                    out.push_str(eol);
                }
            }
            out.push_str(HEADING);
            out.push_str(eol);
            out.push_str(&new_lines);
        }
    }
    Some(Update {
        text: out,
        added: new,
        dropped,
    })
}

/// Line indexes of the section's body: after its heading, up to the next
/// `#` or `##` heading outside a code fence.
struct Section {
    start: usize,
    end: usize,
}

fn find_section(lines: &[&str]) -> Option<Section> {
    let mut fence = false;
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        let b = bare(line);
        let t = b.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let heading = b.starts_with("# ") || b.starts_with("## ");
        match start {
            None if b
                .strip_prefix("## ")
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("commands")) =>
            {
                start = Some(i + 1);
            }
            Some(s) if heading => return Some(Section { start: s, end: i }),
            _ => {}
        }
    }
    start.map(|s| Section {
        start: s,
        end: lines.len(),
    })
}

/// The line without its line ending.
fn bare(line: &str) -> &str {
    line.trim_end_matches('\n').trim_end_matches('\r')
}

/// The command of a line this strategy owns: `` - `cmd` `` and nothing more.
fn owned_command(line: &str) -> Option<String> {
    let inner = line.trim_end().strip_prefix("- `")?.strip_suffix('`')?;
    (!inner.is_empty() && !inner.contains('`')).then(|| inner.to_string())
}

/// The contents of the single-backtick code spans of a line.
fn code_spans(line: &str) -> Vec<String> {
    line.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect()
}

pub fn normalize(command: &str) -> String {
    command.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn creates_the_file_with_just_the_section() {
        let u = update(None, &cmds(&["cargo test", "cargo clippy"]), 20).unwrap();
        assert_eq!(u.text, "## Commands\n- `cargo test`\n- `cargo clippy`\n");
        assert_eq!(u.added, ["cargo test", "cargo clippy"]);
        assert!(u.dropped.is_empty());
        assert_eq!(
            update(Some(""), &cmds(&["make"]), 20).unwrap().text,
            "## Commands\n- `make`\n"
        );
    }

    #[test]
    fn appends_a_section_and_keeps_every_other_byte() {
        let doc = "# Memory\n\n## Rules\n- Do not touch `vendor/`\n  (the user said so)\n";
        let u = update(Some(doc), &cmds(&["make"]), 20).unwrap();
        assert_eq!(u.text, format!("{doc}\n## Commands\n- `make`\n"));
        // No trailing newline, CRLF, a blank last line.
        let u = update(Some("# Memory\r\n- x"), &cmds(&["make"]), 20).unwrap();
        assert_eq!(u.text, "# Memory\r\n- x\r\n\r\n## Commands\r\n- `make`\r\n");
        let u = update(Some("# Memory\n\n"), &cmds(&["make"]), 20).unwrap();
        assert_eq!(u.text, "# Memory\n\n## Commands\n- `make`\n");
    }

    const DOC: &str = "# Memory\n\
        \n\
        Free text a person wrote.\n\
        \n\
        ## Commands\n\
        - Test: `cargo test` (ran successfully)\n\
        - `make`\n\
        - `npm run lint`\n\
        Some note inside the section.\n\
        \n\
        ## Rules\n\
        - Keep `## Commands` short\n\
        ```\n\
        ## Commands\n\
        ```\n";

    #[test]
    fn adds_after_its_own_lines_and_leaves_the_rest() {
        let u = update(
            Some(DOC),
            &cmds(&["cargo test", "go  vet ./...", "make", "just ci"]),
            20,
        )
        .unwrap();
        assert_eq!(u.added, ["go vet ./...", "just ci"]);
        assert_eq!(
            u.text,
            DOC.replace(
                "- `npm run lint`\n",
                "- `npm run lint`\n- `go vet ./...`\n- `just ci`\n"
            )
        );
        assert_eq!(update(Some(DOC), &cmds(&["make", "cargo test"]), 20), None);
    }

    #[test]
    fn an_empty_section_gets_its_first_lines_after_the_heading_content() {
        let doc = "## Commands\n- Build: `cargo build`\n\n## Notes\n- n\n";
        let u = update(Some(doc), &cmds(&["make"]), 20).unwrap();
        assert_eq!(
            u.text,
            "## Commands\n- Build: `cargo build`\n- `make`\n\n## Notes\n- n\n"
        );
        let doc = "## Commands\n\n## Notes\n";
        let u = update(Some(doc), &cmds(&["make"]), 20).unwrap();
        assert_eq!(u.text, "## Commands\n- `make`\n\n## Notes\n");
        let u = update(Some("## Commands"), &cmds(&["make"]), 20).unwrap();
        assert_eq!(u.text, "## Commands\n- `make`\n");
    }

    #[test]
    fn the_cap_drops_the_oldest() {
        let u = update(Some(DOC), &cmds(&["pytest", "go test ./..."]), 3).unwrap();
        assert_eq!(u.dropped, ["make"]);
        assert_eq!(
            u.text,
            DOC.replace(
                "- `make`\n- `npm run lint`\n",
                "- `npm run lint`\n- `pytest`\n- `go test ./...`\n"
            )
        );
        // More new commands than the cap: only the newest stay.
        let u = update(None, &cmds(&["a", "b", "c"]), 2).unwrap();
        assert_eq!(u.text, "## Commands\n- `b`\n- `c`\n");
        assert_eq!(u.dropped, ["a"]);
        assert_eq!(u.added, ["b", "c"]);
    }
}
