//! What a strategy is given, per job, in `session_reflection/runs/<job>/`:
//! `session/` (read-only to the guest: the job, the redacted transcript as the
//! recall index holds it, a digest), and staging copies of the live memory
//! (`staging/memory`) and of the generated skills (`staging/skills`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;
use serde_json::json;

use super::evidence::Session;
use crate::client::Client;
use crate::digest;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::Job;
use crate::model::Digest;
use crate::recall::{ShownMessage, Store};
use crate::transcript::{self, Message, Role};

/// Generated skill folders start with this; everything else in a skills folder is
/// the user's and never copied, read or written.
pub use super::apply::SKILL_PREFIX;
use super::apply::TEMP_PREFIX;

/// Files copied per staging tree at most, and how deep.
const MAX_COPY_FILES: usize = 500;
const MAX_COPY_DEPTH: usize = 8;
/// A temporary file older than this belongs to no running commit.
const TEMP_FILE_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The folders of one job's run.
pub struct RunDirs {
    pub path: PathBuf,
    pub run: Dir,
    pub session: Dir,
    pub memory: Dir,
    pub skills: Dir,
}

/// The live memory folder of a bucket.
pub fn memory_path(home: &Home, bucket: &str) -> PathBuf {
    home.memory_dir(bucket)
}

/// Where generated skills of a client live: `$CODEX_HOME/skills` or
/// `$CLAUDE_CONFIG_DIR/skills`.
pub fn skills_path(client: Client) -> Option<PathBuf> {
    let base = match client {
        Client::Claude => crate::home::claude_home(),
        Client::Codex => crate::home::codex_home(),
    };
    base.map(|b| b.join("skills"))
}

/// The live skills folder, or an empty stand-in while the client has none: planning
/// and reverting against it then see no generated skills, and nothing is created in
/// the client's folder until a skill is accepted.
pub struct LiveSkills {
    pub dir: Dir,
    _empty: Option<tempfile::TempDir>,
}

pub fn open_live_skills(path: Option<&Path>) -> io::Result<LiveSkills> {
    match path {
        Some(p) if p.is_dir() => Ok(LiveSkills {
            dir: fs_authority::open_dir(p)?,
            _empty: None,
        }),
        _ => {
            let empty = tempfile::tempdir()?;
            Ok(LiveSkills {
                dir: fs_authority::open_dir(empty.path())?,
                _empty: Some(empty),
            })
        }
    }
}

/// Creates a fresh run folder for `job` (a retry starts from scratch). A run
/// folder holding a receipt is the record of a change that is live: it is never
/// removed here, and preparing over it is an error.
pub fn prepare(home: &Home, job: &Job) -> io::Result<RunDirs> {
    let runs = home.runs_dir();
    let runs_dir = fs_authority::create_private_dir_all(&runs)?;
    if runs_dir.exists(&job.job_id) {
        let receipt = Path::new(&job.job_id).join(super::receipt::FILE);
        if runs_dir.symlink_metadata(&receipt).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} holds the receipt of a committed run",
                    runs.join(&job.job_id).display()
                ),
            ));
        }
        runs_dir.remove_dir_all(&job.job_id)?;
    }
    prepare_at(runs.join(&job.job_id))
}

/// Removes what a run needed only while it ran: the session copy and staging
/// (`keep_session`: a failed run keeps its session copy for a while, to see why).
/// Best effort: what stays is taken by the next prune.
pub fn clear_run(home: &Home, job_id: &str, keep_session: bool) {
    let run = home.runs_dir().join(job_id);
    let Ok(dir) = fs_authority::open_dir(&run) else {
        return;
    };
    let _ = dir.remove_dir_all("staging");
    if !keep_session {
        let _ = dir.remove_dir_all("session");
    }
}

/// Creates the run folder's layout at `path` (which may already exist, empty).
pub fn prepare_at(path: PathBuf) -> io::Result<RunDirs> {
    let run = fs_authority::create_private_dir_all(&path)?;
    for sub in [
        "session",
        "staging",
        "staging/memory",
        "staging/skills",
        "backup",
    ] {
        run.create_dir(sub)?;
    }
    Ok(RunDirs {
        session: run.open_dir("session")?,
        memory: run.open_dir("staging/memory")?,
        skills: run.open_dir("staging/skills")?,
        run,
        path,
    })
}

/// Writes `job.json`, `transcript.jsonl` and `digest.json` into `session/`, from
/// the recall index (redacted text only). Returns the digest and the session as
/// written, which citations are checked against.
pub fn write_session(
    dirs: &RunDirs,
    job: &Job,
    store: Option<&Store>,
    max_bytes: u64,
    now_ms: u64,
) -> io::Result<(Digest, Session)> {
    let shown = match store {
        Some(store) => store
            .show(&job.session_id, None, 0)
            .map_err(io::Error::other)?
            .map(|(_, m)| m)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let kept = newest_within(&shown, max_bytes);
    let mut lines = Vec::new();
    for m in kept {
        lines.extend_from_slice(transcript_line(m).to_string().as_bytes());
        lines.push(b'\n');
    }
    let mut digest = Digest {
        client: job.client.to_string(),
        session_id: job.session_id.clone(),
        bucket_id: job.bucket.clone(),
        cwd: job.cwd.clone(),
        now_ms,
        ..Digest::default()
    };
    fill_digest(&mut digest, kept);
    digest.session_started_ms = shown.first().and_then(|m| m.at_ms);

    let job_json = json!({
        "job_id": job.job_id,
        "scopes": job.scopes,
        "reasons": job.reasons,
        "client": job.client,
        "cwd": job.cwd,
        "bucket_id": job.bucket,
        "session_id": job.session_id,
    });
    write_new(
        &dirs.session,
        "job.json",
        &serde_json::to_vec_pretty(&job_json)?,
    )?;
    write_new(&dirs.session, "transcript.jsonl", &lines)?;
    write_new(
        &dirs.session,
        "digest.json",
        &serde_json::to_vec_pretty(&digest)?,
    )?;
    Ok((digest, Session::from_shown(kept)))
}

/// Fills `digest` as if every message of `shown` were new since the last decision.
pub fn fill_digest(digest: &mut Digest, shown: &[ShownMessage]) {
    let messages: Vec<Message> = shown.iter().filter_map(to_message).collect();
    digest::fill(digest, &messages);
}

/// The newest messages whose text fits in `max_bytes`, oldest first.
fn newest_within(messages: &[ShownMessage], max_bytes: u64) -> &[ShownMessage] {
    let mut total = 0u64;
    let mut start = messages.len();
    while start > 0 {
        total += messages[start - 1].text.len() as u64 + 64;
        if total > max_bytes {
            break;
        }
        start -= 1;
    }
    &messages[start..]
}

/// One line of `transcript.jsonl`. A shell call's text is its command, as
/// `{"command": "..."}`, the shape both clients give their shell tools.
fn transcript_line(m: &ShownMessage) -> serde_json::Value {
    let mut text = m.text.clone();
    if m.role == "tool-call"
        && let Some(tool) = &m.tool_name
    {
        let bare = text.strip_prefix(&format!("{tool}: ")).map(str::to_string);
        if transcript::is_shell_tool(tool) {
            text = json!({ "command": bare.unwrap_or_default() }).to_string();
        } else if let Some(bare) = bare {
            text = bare;
        }
    }
    json!({
        "id": m.message_id,
        "role": m.role,
        "tool": m.tool_name,
        "at_ms": m.at_ms,
        "error": m.is_error,
        "text": text,
    })
}

fn to_message(m: &ShownMessage) -> Option<Message> {
    Some(Message {
        role: Role::from_name(&m.role)?,
        text: m.text.clone(),
        tool_name: m.tool_name.clone(),
        at_ms: m.at_ms,
        injected: false,
        is_error: m.is_error,
        sidechain: false,
        offset: 0,
    })
}

fn write_new(dir: &Dir, name: &str, bytes: &[u8]) -> io::Result<()> {
    use cap_std::fs::{OpenOptions, OpenOptionsExt};
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true).mode(0o600);
    let mut f = dir.open_with(name, &opts)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Copies the live memory (`MEMORY.md`, `refs/**/*.md`) into staging. Symlinks and
/// special files are not followed or copied.
pub fn stage_memory(live: Option<&Dir>, staging: &Dir) -> io::Result<()> {
    let Some(live) = live else { return Ok(()) };
    let mut budget = MAX_COPY_FILES;
    if is_file(live, Path::new("MEMORY.md")) {
        live.copy("MEMORY.md", staging, "MEMORY.md")?;
    }
    if is_dir(live, Path::new("refs")) {
        staging.create_dir("refs")?;
        copy_tree(
            &live.open_dir("refs")?,
            &staging.open_dir("refs")?,
            0,
            &mut budget,
        )?;
    }
    Ok(())
}

/// Copies the generated skill folders (and only those) into staging.
pub fn stage_skills(live: Option<&Dir>, staging: &Dir) -> io::Result<()> {
    let Some(live) = live else { return Ok(()) };
    let mut budget = MAX_COPY_FILES;
    for entry in live.entries()? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.starts_with(SKILL_PREFIX) || !is_dir(live, Path::new(&name)) {
            continue;
        }
        staging.create_dir(&name)?;
        copy_tree(
            &live.open_dir(&name)?,
            &staging.open_dir(&name)?,
            1,
            &mut budget,
        )?;
    }
    Ok(())
}

/// Removes the temporary files a commit cut short by a kill left behind (a commit
/// writes `.csep-tmp-*` beside its target, then renames it): in the memory folder
/// and in generated skill folders only, and only those older than a few minutes,
/// so a commit running in another worker keeps its own. Returns how many went.
pub fn sweep_temp_files(memory: &Dir, skills: Option<&Dir>) -> usize {
    let mut removed = 0;
    let mut budget = MAX_COPY_FILES;
    sweep(memory, 0, &mut budget, &mut removed);
    if let Some(skills) = skills {
        for entry in skills.entries().into_iter().flatten().flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with(SKILL_PREFIX)
                && is_dir(skills, Path::new(&name))
                && let Ok(dir) = skills.open_dir(&name)
            {
                sweep(&dir, 1, &mut budget, &mut removed);
            }
        }
    }
    removed
}

fn sweep(dir: &Dir, depth: usize, budget: &mut usize, removed: &mut usize) {
    if depth > MAX_COPY_DEPTH {
        return;
    }
    for entry in dir.entries().into_iter().flatten().flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let name = entry.file_name();
        let Ok(meta) = dir.symlink_metadata(&name) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(sub) = dir.open_dir(&name) {
                sweep(&sub, depth + 1, budget, removed);
            }
        } else if meta.is_file()
            && name.to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX))
            && meta
                .modified()
                .ok()
                .and_then(|m| m.into_std().elapsed().ok())
                .is_some_and(|age| age >= TEMP_FILE_AGE)
            && dir.remove_file(&name).is_ok()
        {
            *removed += 1;
        }
    }
}

fn is_file(dir: &Dir, path: &Path) -> bool {
    dir.symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn is_dir(dir: &Dir, path: &Path) -> bool {
    dir.symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Copies one folder's tree into an empty one, within the staging bounds.
pub(crate) fn copy_folder(src: &Dir, dst: &Dir) -> io::Result<()> {
    copy_tree(src, dst, 0, &mut MAX_COPY_FILES.clone())
}

fn copy_tree(src: &Dir, dst: &Dir, depth: usize, budget: &mut usize) -> io::Result<()> {
    if depth > MAX_COPY_DEPTH {
        return Ok(());
    }
    for entry in src.entries()? {
        let entry = entry?;
        let name = entry.file_name();
        let meta = src.symlink_metadata(&name)?;
        if meta.is_dir() {
            dst.create_dir(&name)?;
            copy_tree(
                &src.open_dir(&name)?,
                &dst.open_dir(&name)?,
                depth + 1,
                budget,
            )?;
        } else if meta.is_file() && *budget > 0 {
            *budget -= 1;
            src.copy(&name, dst, &name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(role: &str, tool: Option<&str>, text: &str) -> ShownMessage {
        ShownMessage {
            message_id: 1,
            role: role.into(),
            tool_name: tool.map(str::to_string),
            at_ms: None,
            is_error: false,
            text: text.into(),
        }
    }

    #[test]
    fn shell_calls_become_commands_and_other_calls_lose_their_prefix() {
        let line = transcript_line(&shown("tool-call", Some("shell"), "shell: cargo test"));
        assert_eq!(line["text"], r#"{"command":"cargo test"}"#);
        let line = transcript_line(&shown("tool-call", Some("Read"), "Read: {\"file\":\"a\"}"));
        assert_eq!(line["text"], "{\"file\":\"a\"}");
    }

    #[test]
    fn only_leftover_temporary_files_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in ["memory/refs", "skills/csep-reflect-a", "skills/mine"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "memory/.csep-tmp-1",
            "memory/refs/.csep-tmp-2",
            "skills/csep-reflect-a/.csep-tmp-3",
            "skills/mine/.csep-tmp-4",
            "memory/MEMORY.md",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
            let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
            std::fs::File::options()
                .write(true)
                .open(root.join(f))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        std::fs::write(root.join("memory/.csep-tmp-fresh"), "x").unwrap();
        let open = |d: &str| crate::fs_authority::open_dir(&root.join(d)).unwrap();
        assert_eq!(sweep_temp_files(&open("memory"), Some(&open("skills"))), 3);
        assert!(root.join("memory/MEMORY.md").exists());
        assert!(
            root.join("memory/.csep-tmp-fresh").exists(),
            "a running commit's file is kept"
        );
        assert!(
            root.join("skills/mine/.csep-tmp-4").exists(),
            "the user's skill is not touched"
        );
    }

    #[test]
    fn the_newest_messages_are_kept() {
        let m: Vec<_> = (0..10)
            .map(|i| shown("user", None, &format!("{i}").repeat(100)))
            .collect();
        let kept = newest_within(&m, 400);
        assert_eq!(kept.len(), 2);
        assert!(kept[1].text.starts_with('9'));
    }
}
