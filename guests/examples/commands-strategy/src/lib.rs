//! An example reflection strategy without a model: it keeps the `## Commands`
//! section of `MEMORY.md` listing the test, build, lint and format commands the
//! session ran successfully, and touches nothing else (no other text of
//! `MEMORY.md`, no `refs/`, no skills). It never calls `llm`.

mod commands;
mod memory;
mod settings;
mod transcript;

wit_bindgen::generate!({ world: "reflection-strategy", path: "../../../wit" });

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use csep::engine::evidence::{self, Citation, Quote};
use csep::engine::log;
use csep::engine::types::{GuestError, Scope};
use exports::csep::engine::strategy::{Guest, ReflectInput, ReflectOutput};

use settings::Settings;

struct CommandsStrategy;

impl Guest for CommandsStrategy {
    fn reflect(input: ReflectInput) -> Result<ReflectOutput, GuestError> {
        let settings =
            Settings::from_settings(&input.settings).map_err(GuestError::InvalidSettings)?;
        if !input.scopes.contains(&Scope::Memory) {
            return Ok(ReflectOutput {
                summary: "memory is not in this job's scopes; nothing written".to_string(),
            });
        }
        let folders = Folders {
            session: PathBuf::from("/session"),
            memory: PathBuf::from("/memory"),
        };
        let outcome = run(&folders, &settings)?;
        // The host commits an entry only with its evidence: the call that ran it.
        for ran in &outcome.added {
            let Some(message_id) = ran.message_id else {
                continue;
            };
            let citation = Citation {
                scope: Scope::Memory,
                target: format!("`{}`", memory::normalize(&ran.command)),
                section: "Commands".to_string(),
                quotes: vec![Quote {
                    message_id,
                    text: ran.script.clone(),
                }],
            };
            if let Err(denial) = evidence::cite(&citation) {
                log::log(
                    log::Level::Warn,
                    &format!(
                        "the host refused the evidence for {}: {denial:?}",
                        ran.command
                    ),
                );
            }
        }
        if outcome.skipped_lines > 0 {
            log::log(
                log::Level::Warn,
                &format!(
                    "skipped {} unreadable transcript lines",
                    outcome.skipped_lines
                ),
            );
        }
        Ok(ReflectOutput {
            summary: outcome.summary,
        })
    }
}

/// The preopened folders: `/session` and `/memory` in the sandbox, any in tests.
struct Folders {
    session: PathBuf,
    memory: PathBuf,
}

struct Outcome {
    summary: String,
    skipped_lines: usize,
    /// The commands added to `MEMORY.md`, with their evidence.
    added: Vec<transcript::Ran>,
}

fn run(folders: &Folders, settings: &Settings) -> Result<Outcome, GuestError> {
    let transcript = read(&folders.session.join("transcript.jsonl"))?.unwrap_or_default();
    let transcript = String::from_utf8_lossy(&transcript);
    let (found, skipped_lines) = transcript::successful_commands(&transcript, &settings.prefixes);
    let done = |summary: String, added: Vec<transcript::Ran>| {
        Ok(Outcome {
            summary,
            skipped_lines,
            added,
        })
    };
    if found.is_empty() {
        return done(
            "no test, build, lint or format command ran successfully; MEMORY.md unchanged"
                .to_string(),
            Vec::new(),
        );
    }

    let path = folders.memory.join("MEMORY.md");
    let existing = match read(&path)? {
        Some(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            GuestError::InvalidState("MEMORY.md is not valid UTF-8; left as it is".to_string())
        })?),
        None => None,
    };
    let commands: Vec<String> = found.iter().map(|r| r.command.clone()).collect();
    let Some(update) = memory::update(existing.as_deref(), &commands, settings.max_commands) else {
        return done(
            format!(
                "{} already listed in ## Commands; MEMORY.md unchanged",
                count(found.len(), "command that ran is", "commands that ran are")
            ),
            Vec::new(),
        );
    };
    let chars = update.text.chars().count();
    if chars > settings.memory_budget_chars {
        return done(
            format!(
                "not written: MEMORY.md would hold {chars} characters, over the budget of {}",
                settings.memory_budget_chars
            ),
            Vec::new(),
        );
    }
    fs::write(&path, &update.text)
        .map_err(|e| GuestError::Internal(format!("writing MEMORY.md: {e}")))?;

    let mut summary = format!(
        "added {} to ## Commands in MEMORY.md: {}",
        count(update.added.len(), "command", "commands"),
        spans(&update.added)
    );
    if !update.dropped.is_empty() {
        summary.push_str(&format!(
            "; dropped the oldest (over {}): {}",
            settings.max_commands,
            spans(&update.dropped)
        ));
    }
    let added = found
        .into_iter()
        .filter(|r| update.added.contains(&memory::normalize(&r.command)))
        .collect();
    done(summary, added)
}

/// The file's bytes, or `None` when it does not exist.
fn read(path: &Path) -> Result<Option<Vec<u8>>, GuestError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(GuestError::Internal(format!(
            "reading {}: {e}",
            path.display()
        ))),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn spans(commands: &[String]) -> String {
    commands
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

export!(CommandsStrategy);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::tests::{line, ran};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A scratch `/session` and `/memory`, removed on drop.
    struct Scratch {
        root: PathBuf,
        folders: Folders,
    }

    impl Scratch {
        fn new(transcript: &str, memory: Option<&str>) -> Scratch {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let root =
                std::env::temp_dir().join(format!("commands-strategy-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            let folders = Folders {
                session: root.join("session"),
                memory: root.join("memory"),
            };
            fs::create_dir_all(&folders.session).unwrap();
            fs::create_dir_all(folders.memory.join("refs")).unwrap();
            fs::write(folders.session.join("transcript.jsonl"), transcript).unwrap();
            fs::write(folders.memory.join("refs/db.md"), "# DB\n").unwrap();
            if let Some(text) = memory {
                fs::write(folders.memory.join("MEMORY.md"), text).unwrap();
            }
            Scratch { root, folders }
        }

        fn memory(&self) -> Option<String> {
            fs::read_to_string(self.folders.memory.join("MEMORY.md")).ok()
        }

        fn run(&self, settings: &Settings) -> String {
            run(&self.folders, settings).ok().unwrap().summary
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    fn session() -> String {
        [
            line("user", None, false, "make the tests pass"),
            ran("exec_command", "cargo test 2>&1 | tail -20", false),
            ran("exec_command", "cargo clippy --all-targets", false),
            ran("exec_command", "cargo test 2>&1 | tail -20", true),
            ran("exec_command", "git diff", true),
            ran("exec_command", "cargo test", true),
        ]
        .concat()
    }

    #[test]
    fn creates_memory_md_with_just_the_section() {
        let s = Scratch::new(&session(), None);
        let summary = s.run(&Settings::default());
        assert_eq!(s.memory().unwrap(), "## Commands\n- `cargo test`\n");
        assert_eq!(
            summary,
            "added 1 command to ## Commands in MEMORY.md: `cargo test`"
        );
        // Nothing else in the folder changed.
        assert_eq!(
            fs::read_to_string(s.folders.memory.join("refs/db.md")).unwrap(),
            "# DB\n"
        );
        let names: Vec<_> = fs::read_dir(&s.folders.memory)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn keeps_other_text_byte_identical_and_lists_only_what_succeeded() {
        let doc = "# Memory\r\n\r\n## Rules\r\n- Never edit `vendor/`\r\n";
        let s = Scratch::new(&session(), Some(doc));
        s.run(&Settings::default());
        let out = s.memory().unwrap();
        assert_eq!(out, format!("{doc}\r\n## Commands\r\n- `cargo test`\r\n"));
        assert!(!out.contains("clippy"), "a failing command is not listed");
        // The same session again: nothing new, nothing written.
        let summary = s.run(&Settings::default());
        assert_eq!(
            summary,
            "1 command that ran is already listed in ## Commands; MEMORY.md unchanged"
        );
        assert_eq!(s.memory().unwrap(), out);
    }

    #[test]
    fn no_command_writes_nothing() {
        let quiet = ran("exec_command", "ls -la", true);
        let s = Scratch::new(&quiet, None);
        let summary = s.run(&Settings::default());
        assert_eq!(s.memory(), None);
        assert_eq!(
            summary,
            "no test, build, lint or format command ran successfully; MEMORY.md unchanged"
        );
        let s = Scratch::new("", Some("# Memory\n"));
        s.run(&Settings::default());
        assert_eq!(s.memory().unwrap(), "# Memory\n");
    }

    #[test]
    fn dedups_and_caps_dropping_the_oldest() {
        let transcript = [
            ran("Bash", "make", true),
            ran("Bash", "npm run lint", true),
            ran("Bash", "make", true),
            ran("Bash", "npm test", true),
        ]
        .concat();
        let doc = "## Commands\n- `pytest`\n- `go vet ./...`\n";
        let s = Scratch::new(&transcript, Some(doc));
        let settings = Settings {
            max_commands: 3,
            ..Settings::default()
        };
        let summary = s.run(&settings);
        assert_eq!(
            s.memory().unwrap(),
            "## Commands\n- `make`\n- `npm run lint`\n- `npm test`\n"
        );
        assert_eq!(
            summary,
            "added 3 commands to ## Commands in MEMORY.md: `make`, `npm run lint`, `npm test`; \
             dropped the oldest (over 3): `pytest`, `go vet ./...`"
        );
    }

    #[test]
    fn over_budget_writes_nothing() {
        let doc = format!("# Memory\n\n{}\n", "x".repeat(90));
        let s = Scratch::new(&session(), Some(&doc));
        let settings = Settings {
            memory_budget_chars: 100,
            ..Settings::default()
        };
        let summary = s.run(&settings);
        assert_eq!(s.memory().unwrap(), doc);
        assert!(
            summary.starts_with("not written: MEMORY.md would hold "),
            "{summary}"
        );
    }

    #[test]
    fn custom_prefixes_replace_the_defaults() {
        let transcript = [
            ran("shell", "cargo test", true),
            ran("shell", "tox -e py", true),
        ]
        .concat();
        let s = Scratch::new(&transcript, None);
        let settings = Settings {
            prefixes: vec!["tox".to_string()],
            ..Settings::default()
        };
        s.run(&settings);
        assert_eq!(s.memory().unwrap(), "## Commands\n- `tox -e py`\n");
    }

    #[test]
    fn non_utf8_memory_is_left_alone() {
        let s = Scratch::new(&session(), None);
        fs::write(s.folders.memory.join("MEMORY.md"), b"\xff\xfe").unwrap();
        let e = run(&s.folders, &Settings::default()).err().unwrap();
        assert!(matches!(e, GuestError::InvalidState(_)));
    }
}
