//! `csep demo`: the whole loop on the embedded defaults, in a temporary state
//! folder, with no client and no model key: two sample sessions go through the
//! Stop hook, the default policy decides, the default strategy writes memory
//! without a model, the next session start shows it, and recall finds the words.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use super::output::OutputArgs;
use csep::bucket::Bucket;
use csep::home::Home;
use csep::hooks;
use csep::recall::{SearchQuery, Store, parse_needles};
use csep::reflect::worker::{self, Ran};
use csep::timefmt::now_ms;

#[derive(Args)]
pub struct DemoArgs {
    /// Keep the demo's files in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

/// The demo's narration: printed as it goes, or with --json gathered into steps and
/// printed at the end with what the demo produced.
struct Narration {
    json: bool,
    steps: Vec<Value>,
}

impl Narration {
    fn step(&mut self, n: u32, what: &str) {
        if self.json {
            self.steps
                .push(json!({"step": n, "title": what, "lines": []}));
        } else {
            println!("\n[{n}] {what}");
        }
    }

    fn line(&mut self, text: String) {
        if !self.json {
            println!("{text}");
        } else if let Some(lines) = self
            .steps
            .last_mut()
            .and_then(|s| s["lines"].as_array_mut())
        {
            lines.extend(text.trim_matches('\n').lines().map(|l| json!(l.trim_end())));
        }
    }
}

/// `println!` for the narration.
macro_rules! say {
    ($n:expr, $($t:tt)*) => { $n.line(format!($($t)*)) };
}

const QUIET: &str = "019b0000-0000-7000-8000-00000000de01";
const INSTRUCTIVE: &str = "019b0000-0000-7000-8000-00000000de02";

#[expect(
    clippy::disallowed_methods,
    reason = "the demo builds its own throwaway machine (or the folder --keep names)"
)]
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let tmp;
    let root = match &args.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            std::fs::canonicalize(dir)?
        }
        None => {
            tmp = tempfile::Builder::new().prefix("csep-demo-").tempdir()?;
            std::fs::canonicalize(tmp.path())?
        }
    };
    let mut n = Narration {
        json: args.out.json(),
        steps: Vec::new(),
    };
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join(".git"))?;
    let home = Home::at(&root.join("state"));
    std::fs::create_dir_all(home.root())?;
    // The worker runs in the foreground here, so its steps can be shown.
    std::fs::write(home.config_path(), "[reflection]\nstart_worker = false\n")?;
    // Generated skills go to a folder of the demo's own, not the user's client.
    let skills_home = root.join("codex");
    // SAFETY: no other thread exists yet (the sandbox starts its ticker later).
    unsafe { std::env::set_var("CODEX_HOME", &skills_home) };

    n.step(
        1,
        "two sessions end: the Stop hook archives each and asks the policy",
    );
    let quiet = write_session(&root, &repo, QUIET, &quiet_turns())?;
    let stop = |id: &str, path: &Path| -> anyhow::Result<hooks::HookRecord> {
        let payload = json!({"session_id": id, "transcript_path": path, "cwd": repo,
            "hook_event_name": "Stop", "stop_hook_active": false});
        hooks::session_stop(&home, payload.to_string().as_bytes(), false, now_ms())
            .map_err(|e| anyhow::anyhow!("the Stop hook failed: {e}"))
    };
    let r = stop(QUIET, &quiet)?;
    say!(n, "  session {QUIET}: {}", r.decision.unwrap_or_default());
    let instructive = write_session(&root, &repo, INSTRUCTIVE, &instructive_turns())?;
    let r = stop(INSTRUCTIVE, &instructive)?;
    say!(
        n,
        "  session {INSTRUCTIVE}: {}",
        r.decision.unwrap_or_default()
    );
    let job = r
        .job
        .context("the default policy queued no job for the instructive session")?;
    say!(
        n,
        "  queued job {job} (the Stop hook starts it in the background; here it runs now)"
    );

    n.step(
        2,
        "the reflection worker runs the default strategy (no model: it extracts facts)",
    );
    let done = match worker::run(&home, &job, false, &csep::reflect::provider_setup::model)? {
        Ran::Done(j) => j,
        other => anyhow::bail!("the job did not run: {other:?}"),
    };
    say!(n, "  job {}: {}", done.job_id, done.status.name());
    if let Some(o) = &done.outcome {
        say!(n, "  {o}");
    }
    let receipt_path = done.receipt.clone().context("the job wrote no receipt")?;
    let receipt: Value = serde_json::from_slice(&std::fs::read(&receipt_path)?)?;
    for f in receipt["accepted"].as_array().into_iter().flatten() {
        say!(
            n,
            "  accepted {}/{}  sha256 {} -> {}",
            f["area"].as_str().unwrap_or(""),
            f["path"].as_str().unwrap_or(""),
            short(&f["before_sha256"]),
            short(&f["after_sha256"])
        );
    }
    say!(n, "  receipt: {}", receipt_path.display());
    let bucket = Bucket::resolve(&repo);
    let memory = csep::reflect::material::memory_path(&home, &bucket.id).join("MEMORY.md");
    say!(n, "\n  {}:\n", memory.display());
    for line in std::fs::read_to_string(&memory)?.lines() {
        say!(n, "    {line}");
    }

    n.step(
        3,
        "the next session starts: the SessionStart hook injects that memory",
    );
    let payload = json!({"session_id": "next", "cwd": repo, "hook_event_name": "SessionStart",
        "source": "startup"});
    let start = hooks::session_start(
        &home,
        payload.to_string().as_bytes(),
        false,
        hooks::StartFlags::default(),
    )
    .map_err(|e| anyhow::anyhow!("the SessionStart hook failed: {e}"))?;
    let out: Value = serde_json::from_str(&start.stdout)?;
    for line in out["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or("")
        .lines()
    {
        say!(n, "    {line}");
    }

    n.step(
        4,
        "recall: `csep recall 'vendor'` searches every archived session of this repo",
    );
    let store = Store::open_readonly(&home.recall_db())?.context("no recall index")?;
    let hits = store.search(&SearchQuery {
        needles: parse_needles("vendor"),
        bucket: Some(bucket.id.clone()),
        limit: 3,
        since_ms: None,
        client: None,
    })?;
    for s in &hits {
        for h in s.hits.iter().take(2) {
            say!(n, "  {} {}: {}", s.session_id, h.role, h.snippet);
        }
    }

    say!(
        n,
        "\nEverything is under {}{}",
        root.display(),
        if args.keep.is_some() {
            ""
        } else {
            " (removed now; --keep DIR keeps it)"
        }
    );
    say!(
        n,
        "Next: `csep setup` connects Codex (and Claude Code) to the real thing."
    );
    if n.json {
        let v = json!({
            "schema_version": super::output::SCHEMA_VERSION,
            "root": root, "kept": args.keep.is_some(),
            "job": {"job_id": done.job_id, "status": done.status.name(), "receipt": receipt_path},
            "memory_path": memory,
            "steps": n.steps,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn short(v: &Value) -> String {
    v.as_str()
        .map(|s| s[..12.min(s.len())].to_string())
        .unwrap_or_else(|| "(none)".into())
}

enum Turn {
    User(&'static str),
    Assistant(&'static str),
    Shell(&'static str, i32),
}

fn quiet_turns() -> Vec<Turn> {
    vec![
        Turn::User("Please fix the off-by-one in the tokenizer."),
        Turn::Assistant("Fixed: the loop now stops before the last byte."),
    ]
}

fn instructive_turns() -> Vec<Turn> {
    vec![
        Turn::User(
            "The test command for this repo is `cargo test --workspace`. \
             Don't touch vendor/, it is generated. Remember that releases are tagged from main.",
        ),
        Turn::Assistant("Understood. Running the tests first."),
        Turn::Shell("cargo test --workspace", 0),
        Turn::Assistant("All 42 tests pass."),
    ]
}

/// A Codex rollout of `turns`, as Codex 0.169 writes one.
#[expect(
    clippy::disallowed_methods,
    reason = "a rollout in the demo's throwaway machine, written as Codex would"
)]
fn write_session(root: &Path, repo: &Path, id: &str, turns: &[Turn]) -> anyhow::Result<PathBuf> {
    let ts = |i: usize| format!("2026-11-25T09:00:{:02}.000Z", i);
    let mut lines = vec![json!({"timestamp": ts(0), "type": "session_meta",
        "payload": {"id": id, "cwd": repo, "cli_version": "0.169.0"}})];
    for (i, t) in turns.iter().enumerate() {
        let at = ts(i + 1);
        match t {
            Turn::User(text) => lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": text}]}})),
            Turn::Assistant(text) => lines.push(json!({"timestamp": at, "type": "response_item",
                "payload": {"type": "message", "role": "assistant",
                    "content": [{"type": "output_text", "text": text}]}})),
            Turn::Shell(cmd, exit) => {
                let call = format!("call_{i}");
                lines.push(json!({"timestamp": at, "type": "response_item",
                    "payload": {"type": "function_call", "name": "exec_command",
                        "arguments": json!({"cmd": cmd}).to_string(), "call_id": call}}));
                lines.push(json!({"timestamp": at, "type": "response_item",
                    "payload": {"type": "function_call_output", "call_id": call,
                        "output": format!("Process exited with code {exit}\nOutput:\ntest result: ok\n")}}));
            }
        }
    }
    let dir = root.join("codex/sessions/2026/11/25");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("rollout-2026-11-25T09-00-00-{id}.jsonl"));
    let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    std::fs::write(&path, text)?;
    Ok(path)
}
