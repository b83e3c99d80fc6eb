//! The host's checks of a strategy's staging output, through
//! `csep::reflect::apply::{plan, commit, revert}` on folders built from the input
//! (see `common/tree.rs` for the format).
//!
//! Properties: the plan is deterministic and keeps to the rules (paths, sizes,
//! the memory budget, nothing both accepted and refused); the commit makes each
//! live file what the plan accepted and touches nothing else, not even through
//! a symlink; the revert puts the live folders back exactly as they were.
#![no_main]

#[path = "common/tree.rs"]
mod tree;

use std::collections::BTreeSet;

use csep::reflect::apply::{self, Area, ChangeKind, Rules, SKILL_PREFIX};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn rules() -> Rules {
    // Small limits, so inputs reach them.
    Rules {
        memory_budget_chars: 400,
        max_file_bytes: 2048,
        max_total_bytes: 4096,
        max_files: 30,
        max_active_skills: 2,
        ..Rules::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let t = tree::Tree::new();
    t.fill(data);
    let d = t.dirs();
    let rules = rules();
    let check = |text: &str| csep::content_scan::reject_reason(text);
    let plan = || {
        apply::plan(
            &d.live_memory,
            &d.staging_memory,
            &d.live_skills,
            &d.staging_skills,
            &rules,
            &check,
        )
        .expect("planning over a readable tree")
    };
    let p = plan();
    assert_eq!(p, plan(), "the plan is not deterministic");

    let refused: BTreeSet<(Area, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.area, r.path.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    let mut total = 0u64;
    for c in &p.accepted {
        assert!(
            seen.insert((c.area, c.path.as_str())),
            "{} accepted twice",
            c.path
        );
        assert!(
            !refused.contains(&(c.area, c.path.as_str())),
            "{} accepted and refused",
            c.path
        );
        assert!(
            c.path
                .split('/')
                .all(|part| !part.is_empty() && !part.starts_with('.'))
        );
        match c.area {
            Area::Memory => assert!(c.path.ends_with(".md"), "memory file {}", c.path),
            Area::Skills => assert!(c.path.starts_with(SKILL_PREFIX), "skill path {}", c.path),
        }
        let (base, live) = match c.area {
            Area::Memory => ("staging/memory", "live/memory"),
            Area::Skills => ("staging/skills", "live/skills"),
        };
        if c.kind == ChangeKind::Deleted {
            assert!(
                !t.path(base).join(&c.path).exists(),
                "deleting {} that staging has",
                c.path
            );
            assert!(t.path(live).join(&c.path).is_file());
            continue;
        }
        let staged = t.path(base).join(&c.path);
        let meta = staged
            .symlink_metadata()
            .expect("an accepted file exists in staging");
        assert!(meta.is_file(), "{} accepted but not a regular file", c.path);
        let bytes = std::fs::read(&staged).unwrap();
        assert_eq!(c.bytes, bytes.len() as u64);
        assert!(c.bytes <= rules.max_file_bytes, "{} too large", c.path);
        assert_eq!(c.after_sha256.as_deref(), Some(hex(&bytes).as_str()));
        let text = std::str::from_utf8(&bytes).expect("accepted text is UTF-8");
        assert!(
            csep::content_scan::reject_reason(text).is_none(),
            "{} fails the screen",
            c.path
        );
        if c.area == Area::Memory && c.path == "MEMORY.md" {
            assert!(
                text.chars().count() <= rules.memory_budget_chars,
                "MEMORY.md over budget"
            );
        }
        if c.area == Area::Skills && c.path.ends_with("/SKILL.md") {
            assert!(
                text.starts_with("---"),
                "SKILL.md without frontmatter accepted"
            );
        }
        total += c.bytes;
    }
    assert!(total <= rules.max_total_bytes, "{total} bytes accepted");

    let live_before = (t.snapshot("live/memory"), t.snapshot("live/skills"));
    let outside_before = t.snapshot("outside");
    let committed = match apply::commit(
        &p,
        &d.live_memory,
        &d.staging_memory,
        &d.live_skills,
        &d.staging_skills,
        &d.backup,
    ) {
        Ok(c) => c,
        Err(e) => panic!("committing the plan failed: {e}"),
    };
    assert_eq!(
        t.snapshot("outside"),
        outside_before,
        "the commit wrote outside the live folders"
    );
    for f in &committed.files {
        let live = match f.area {
            Area::Memory => "live/memory",
            Area::Skills => "live/skills",
        };
        let path = t.path(live).join(&f.path);
        match &f.after_sha256 {
            Some(sha) => {
                let meta = path.symlink_metadata().expect("a committed file exists");
                assert!(meta.is_file());
                assert_eq!(
                    &hex(&std::fs::read(&path).unwrap()),
                    sha,
                    "{} differs",
                    f.path
                );
            }
            None => assert!(path.symlink_metadata().is_err(), "{} still there", f.path),
        }
    }
    // Live files the commit did not name are as they were.
    let named: BTreeSet<(Area, &str)> = committed
        .files
        .iter()
        .map(|f| (f.area, f.path.as_str()))
        .collect();
    let live_after = (t.snapshot("live/memory"), t.snapshot("live/skills"));
    for (area, before, after) in [
        (Area::Memory, &live_before.0, &live_after.0),
        (Area::Skills, &live_before.1, &live_after.1),
    ] {
        for (path, node) in before {
            if matches!(node, tree::Node::Dir { .. }) || named.contains(&(area, path.as_str())) {
                continue;
            }
            assert_eq!(
                after.get(path),
                Some(node),
                "{area}/{path} changed without being committed"
            );
        }
    }

    apply::revert(&committed, &d.live_memory, &d.live_skills, &d.backup)
        .unwrap_or_else(|e| panic!("reverting the commit failed: {e}"));
    assert_eq!(
        (t.snapshot("live/memory"), t.snapshot("live/skills")),
        live_before,
        "the revert did not restore the live folders"
    );
    assert_eq!(t.snapshot("outside"), outside_before);
});

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
