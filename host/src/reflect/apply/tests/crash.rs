//! SIGKILL in the middle of a commit: a child process (this test binary,
//! re-run on one ignored test) commits a large job and is killed at varied
//! moments; every live file must then be whole, old or new, and the journal
//! must revert what was done.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::super::read_journal;
use super::*;

const ENV: &str = "CSEP_APPLY_CRASH_CHILD";
const FILES: usize = 40;

fn old(i: usize) -> Vec<u8> {
    format!("old {i}\n").repeat(2000).into_bytes()
}

fn new(i: usize) -> Vec<u8> {
    format!("new {i}\n").repeat(3000).into_bytes()
}

fn lay_out(fx: &Fx) {
    fx.write("live/memory/MEMORY.md", "index v1\n");
    fx.write("staging/memory/MEMORY.md", "index v2\n");
    for i in 0..FILES {
        fx.write(&format!("live/memory/refs/f{i:02}.md"), old(i));
        fx.write(&format!("staging/memory/refs/f{i:02}.md"), new(i));
    }
}

fn fx_at(root: &Path) -> Fx {
    let fx = Fx {
        tmp: tempfile::Builder::new().tempdir_in(root).unwrap(),
        rules: Rules::default(),
    };
    for d in [LIVE_MEM, STAGE_MEM, LIVE_SKILLS, STAGE_SKILLS, BACKUP] {
        std::fs::create_dir_all(fx.p(d)).unwrap();
    }
    fx
}

/// The child: plans and commits the job laid out in the folder it is given.
#[test]
#[ignore = "run by commit_killed_midway_leaves_whole_files"]
fn crash_child() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let rules = Rules {
        max_total_bytes: 64 * 1024 * 1024,
        ..Rules::default()
    };
    let root = Path::new(&dir);
    let open = |rel: &str| {
        cap_std::fs::Dir::open_ambient_dir(root.join(rel), cap_std::ambient_authority()).unwrap()
    };
    let plan = super::super::plan(
        &open(LIVE_MEM),
        &open(STAGE_MEM),
        &open(LIVE_SKILLS),
        &open(STAGE_SKILLS),
        &rules,
        &check,
    )
    .unwrap();
    assert_eq!(plan.accepted.len(), FILES + 1);
    super::super::commit(
        &plan,
        &open(LIVE_MEM),
        &open(STAGE_MEM),
        &open(LIVE_SKILLS),
        &open(STAGE_SKILLS),
        &open(BACKUP),
    )
    .unwrap();
}

/// This module's path as the test harness names it (without the crate), so
/// the test keeps working wherever the module is mounted.
fn child_test_name() -> String {
    let module = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, m)| m);
    format!("{module}::crash_child")
}

fn run_child(fx: &Fx, kill_after: Option<Duration>) -> Duration {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &child_test_name(),
            "--ignored",
            "--test-threads=1",
        ])
        .env(ENV, fx.tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    if let Some(after) = kill_after {
        std::thread::sleep(after);
        let _ = child.kill(); // SIGKILL
    }
    let status = child.wait().unwrap();
    if kill_after.is_none() {
        assert!(status.success(), "child failed on an uninterrupted run");
    }
    start.elapsed()
}

/// Live memory without temp files a killed writer may leave (dot-named, so
/// no rule ever takes them as content).
fn live_files(fx: &Fx) -> BTreeMap<String, String> {
    fx.live_snapshot()
        .into_iter()
        .filter(|(k, _)| !k.contains("/.csep-tmp-"))
        .collect()
}

#[test]
fn commit_killed_midway_leaves_whole_files() {
    let scratch = tempfile::tempdir().unwrap();
    // One uninterrupted run to learn how long a commit takes here.
    let fx = fx_at(scratch.path());
    lay_out(&fx);
    let full = run_child(&fx, None);
    assert_eq!(fx.read("live/memory/refs/f00.md"), new(0));

    let mut saw_partial = false;
    for step in 0..8u32 {
        let fx = fx_at(scratch.path());
        lay_out(&fx);
        let before = live_files(&fx);
        run_child(&fx, Some(full * step / 6));

        let mut olds = 0;
        for i in 0..FILES {
            let got = fx.read(&format!("live/memory/refs/f{i:02}.md"));
            assert!(
                got == old(i) || got == new(i),
                "f{i:02} is half-written (step {step})"
            );
            olds += usize::from(got == old(i));
        }
        saw_partial |= olds > 0 && olds < FILES;

        if fx.exists(&format!("{BACKUP}/{}", super::super::JOURNAL_NAME)) {
            let journal = read_journal(&fx.dir(BACKUP)).unwrap();
            fx.revert(&journal).unwrap();
        } else {
            assert_eq!(olds, FILES, "no journal, so nothing live may have changed");
        }
        assert_eq!(live_files(&fx), before, "step {step}: revert restores all");
    }
    // Not asserted: timing decides whether a kill lands mid-write.
    eprintln!("a kill landed between two live writes: {saw_partial}");
}
