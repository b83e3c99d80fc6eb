use std::fs;

use super::super::{Area, Change, ChangeKind, CommittedFile, codes, read_journal};
use super::*;

/// Live memory with an index and one ref; staging changes both and adds one.
fn memory_job(fx: &Fx) {
    fx.write("live/memory/MEMORY.md", "index v1\n");
    fx.write("live/memory/refs/a.md", "a v1\n");
    fx.write("staging/memory/MEMORY.md", "index v2\n");
    fx.write("staging/memory/refs/a.md", "a v2\n");
    fx.write("staging/memory/refs/b.md", "b new\n");
}

#[test]
fn live_edit_after_plan_is_skipped_as_changed_during_job() {
    let fx = Fx::new();
    memory_job(&fx);
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 3);
    fx.write("live/memory/MEMORY.md", "edited by the user meanwhile\n");

    let committed = fx.commit(&plan).unwrap();
    assert_eq!(committed.rejected_at_commit.len(), 1);
    let r = &committed.rejected_at_commit[0];
    assert_eq!(
        (r.path.as_str(), r.code.as_ref()),
        ("MEMORY.md", codes::CHANGED_DURING_JOB)
    );
    assert!(r.reason.contains("changed after the plan"), "{r:#?}");
    assert_eq!(
        fx.read("live/memory/MEMORY.md"),
        b"edited by the user meanwhile\n"
    );
    assert!(
        !fx.exists("backup/memory/MEMORY.md"),
        "no backup of a file not written"
    );
    assert_eq!(fx.read("live/memory/refs/a.md"), b"a v2\n");
    let paths: Vec<&str> = committed.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["refs/a.md", "refs/b.md"]);
}

#[test]
fn staging_edit_after_plan_is_skipped() {
    let fx = Fx::new();
    memory_job(&fx);
    let plan = fx.plan();
    fx.write("staging/memory/refs/b.md", "swapped after review\n");
    let committed = fx.commit(&plan).unwrap();
    let r = &committed.rejected_at_commit[0];
    assert_eq!(
        (r.path.as_str(), r.code.as_ref()),
        ("refs/b.md", codes::CHANGED_DURING_JOB)
    );
    assert!(!fx.exists("live/memory/refs/b.md"));
}

#[test]
fn file_appearing_where_one_was_added_is_skipped() {
    let fx = Fx::new();
    memory_job(&fx);
    let plan = fx.plan();
    fx.write("live/memory/refs/b.md", "user wrote this\n");
    let committed = fx.commit(&plan).unwrap();
    assert_eq!(committed.rejected_at_commit[0].path, "refs/b.md");
    assert_eq!(fx.read("live/memory/refs/b.md"), b"user wrote this\n");
}

#[test]
fn skill_is_all_or_nothing_at_commit_too() {
    let fx = Fx::new();
    let name = "csep-reflect-x";
    fx.write(
        &format!("live/skills/{name}/SKILL.md"),
        skill_md(name, "d", "v1"),
    );
    fx.write(&format!("live/skills/{name}/more.md"), "v1\n");
    fx.write(
        &format!("staging/skills/{name}/SKILL.md"),
        skill_md(name, "d", "v2"),
    );
    fx.write(&format!("staging/skills/{name}/more.md"), "v2\n");
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 2);
    fx.write(&format!("live/skills/{name}/more.md"), "user edit\n");
    let before = fx.live_snapshot();
    let committed = fx.commit(&plan).unwrap();
    assert!(committed.files.is_empty());
    assert_eq!(committed.rejected_at_commit.len(), 2);
    let skill = committed
        .rejected_at_commit
        .iter()
        .find(|r| r.path.ends_with("SKILL.md"))
        .unwrap();
    assert!(
        skill
            .reason
            .starts_with("part of a skill that changed during the job"),
        "{skill:#?}"
    );
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn revert_restores_byte_identical() {
    let fx = Fx::new();
    memory_job(&fx);
    fs::set_permissions(
        fx.p("live/memory/refs/a.md"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    let before = fx.live_snapshot();
    let plan = fx.plan();
    let committed = fx.commit(&plan).unwrap();
    assert_ne!(fx.live_snapshot(), before);

    // The receipt goes through JSON.
    let json = serde_json::to_string(&committed).unwrap();
    let receipt: Committed = serde_json::from_str(&json).unwrap();
    assert_eq!(receipt, committed);

    let reverted = fx.revert(&receipt).unwrap();
    assert_eq!(reverted.restored.len(), 2);
    assert_eq!(reverted.removed.len(), 1);
    assert_eq!(fx.live_snapshot(), before, "content and modes as before");

    // A second revert finds everything already at the old content.
    let again = fx.revert(&receipt).unwrap();
    assert_eq!(again.already_reverted.len(), 3);
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn revert_refuses_when_edited_since_and_changes_nothing() {
    let fx = Fx::new();
    memory_job(&fx);
    let committed = fx.commit(&fx.plan()).unwrap();
    fx.write("live/memory/refs/b.md", "the user kept working on this\n");
    let after_edit = fx.live_snapshot();

    let err = fx.revert(&committed).unwrap_err();
    match &err {
        ApplyError::EditedSince {
            area,
            path,
            expected,
            found,
        } => {
            assert_eq!((*area, path.as_str()), (Area::Memory, "refs/b.md"));
            assert_eq!(*expected, format!("sha256 {}", sha(b"b new\n")));
            assert_eq!(
                *found,
                format!("sha256 {}", sha(b"the user kept working on this\n"))
            );
        }
        other => panic!("expected EditedSince, got {other:?}"),
    }
    assert!(err.to_string().contains("refs/b.md"));
    assert_eq!(fx.live_snapshot(), after_edit, "nothing reverted");

    // A deleted file that reappeared counts as an edit too.
    let fx = Fx::new();
    fx.both("MEMORY.md", "index\n");
    fx.write("live/memory/refs/gone.md", "gone\n");
    let committed = fx.commit(&fx.plan()).unwrap();
    fx.write("live/memory/refs/gone.md", "recreated\n");
    assert!(matches!(
        fx.revert(&committed),
        Err(ApplyError::EditedSince { .. })
    ));
    assert_eq!(fx.read("live/memory/refs/gone.md"), b"recreated\n");
}

#[test]
fn revert_refuses_a_tampered_backup() {
    let fx = Fx::new();
    memory_job(&fx);
    let committed = fx.commit(&fx.plan()).unwrap();
    fx.write("backup/memory/refs/a.md", "not what was there\n");
    let after_commit = fx.live_snapshot();
    assert!(matches!(
        fx.revert(&committed),
        Err(ApplyError::BackupMismatch { .. })
    ));
    assert_eq!(fx.live_snapshot(), after_commit);
}

#[test]
fn journal_lets_a_cut_short_commit_be_reverted() {
    let fx = Fx::new();
    memory_job(&fx);
    let before = fx.live_snapshot();
    let committed = fx.commit(&fx.plan()).unwrap();
    let journal = read_journal(&fx.dir(BACKUP)).unwrap();
    assert_eq!(journal.files, committed.files);
    // As if the commit had died right after writing refs/a.md.
    fs::remove_file(fx.p("live/memory/MEMORY.md")).unwrap();
    fx.write("live/memory/MEMORY.md", "index v1\n");
    fs::remove_file(fx.p("live/memory/refs/b.md")).unwrap();
    let reverted = fx.revert(&journal).unwrap();
    assert_eq!(reverted.already_reverted.len(), 2);
    assert_eq!(reverted.restored.len(), 1);
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn forged_receipt_and_plan_paths_are_refused() {
    let fx = Fx::new();
    fx.write("live/victim.md", "do not touch\n");
    let forged = Committed {
        files: vec![CommittedFile {
            area: Area::Memory,
            path: "../victim.md".into(),
            kind: ChangeKind::Added,
            before_sha256: None,
            after_sha256: Some(sha(b"do not touch\n")),
            before_mode: None,
        }],
        ..Committed::default()
    };
    assert!(matches!(
        fx.revert(&forged),
        Err(ApplyError::NotAllowed { .. })
    ));
    let user_skill = Committed {
        files: vec![CommittedFile {
            area: Area::Skills,
            path: "my-own-skill/SKILL.md".into(),
            ..forged.files[0].clone()
        }],
        ..Committed::default()
    };
    assert!(matches!(
        fx.revert(&user_skill),
        Err(ApplyError::NotAllowed { .. })
    ));

    let plan = Plan {
        accepted: vec![Change {
            area: Area::Skills,
            path: "my-own-skill/SKILL.md".into(),
            kind: ChangeKind::Deleted,
            before_sha256: Some(sha(b"x")),
            after_sha256: None,
            bytes: 0,
        }],
        ..Plan::default()
    };
    assert!(matches!(
        fx.commit(&plan),
        Err(ApplyError::NotAllowed { .. })
    ));
    let script = Plan {
        accepted: vec![Change {
            area: Area::Skills,
            path: "csep-reflect-x/run.sh".into(),
            kind: ChangeKind::Added,
            before_sha256: None,
            after_sha256: Some(sha(b"x")),
            bytes: 1,
        }],
        ..Plan::default()
    };
    assert!(matches!(
        fx.commit(&script),
        Err(ApplyError::NotAllowed { .. })
    ));
    assert_eq!(fx.read("live/victim.md"), b"do not touch\n");
}

#[test]
fn backup_is_complete_before_live_changes() {
    let fx = Fx::new();
    memory_job(&fx);
    fx.write("live/memory/refs/old.md", "old\n");
    let plan = fx.plan();
    fx.commit(&plan).unwrap();
    for c in plan.accepted.iter().filter(|c| c.before_sha256.is_some()) {
        let backed = fx.read(&format!("backup/memory/{}", c.path));
        assert_eq!(Some(sha(&backed)), c.before_sha256, "{}", c.path);
        assert_eq!(fx.mode(&format!("backup/memory/{}", c.path)), 0o600);
    }
    assert!(!fx.exists("live/memory/refs/old.md"));
}
