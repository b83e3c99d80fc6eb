use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use super::super::{Area, ChangeKind, codes};
use super::*;

const GOOD: &str = "csep-reflect-run-tests";

fn good_skill(fx: &Fx) {
    fx.write(
        &format!("staging/skills/{GOOD}/SKILL.md"),
        skill_md(
            GOOD,
            "Run this repo's tests before committing",
            "1. cargo test\n",
        ),
    );
}

#[test]
fn new_skill_is_accepted_and_revertible() {
    let fx = Fx::new();
    good_skill(&fx);
    fx.write(&format!("staging/skills/{GOOD}/notes/more.md"), "extra\n");
    let plan = fx.plan();
    assert!(plan.rejected.is_empty(), "{plan:#?}");
    let paths: Vec<(&str, ChangeKind)> = plan
        .accepted
        .iter()
        .map(|c| (c.path.as_str(), c.kind))
        .collect();
    assert_eq!(
        paths,
        [
            ("csep-reflect-run-tests/SKILL.md", ChangeKind::Added),
            ("csep-reflect-run-tests/notes/more.md", ChangeKind::Added)
        ]
    );
    assert!(
        plan.accepted
            .iter()
            .all(|c| c.area == Area::Skills && c.before_sha256.is_none())
    );

    let committed = fx.commit(&plan).unwrap();
    // SKILL.md is written last, so the client never sees a half-made skill.
    assert_eq!(
        committed.files.last().unwrap().path,
        "csep-reflect-run-tests/SKILL.md"
    );
    assert_eq!(fx.mode(&format!("live/skills/{GOOD}/SKILL.md")), 0o644);
    assert_eq!(fx.mode(&format!("live/skills/{GOOD}")), 0o700);
    assert_eq!(
        fx.read(&format!("live/skills/{GOOD}/notes/more.md")),
        b"extra\n"
    );

    fx.revert(&committed).unwrap();
    assert!(
        !fx.exists(&format!("live/skills/{GOOD}")),
        "folder created by the job is removed"
    );
}

#[test]
fn wrong_name_in_frontmatter_is_refused() {
    let fx = Fx::new();
    fx.write(
        &format!("staging/skills/{GOOD}/SKILL.md"),
        skill_md("csep-reflect-other", "d", "b"),
    );
    let plan = assert_refused(&fx, &format!("{GOOD}/SKILL.md"), codes::SKILL_FRONTMATTER);
    assert!(
        plan.rejected[0]
            .reason
            .contains("must equal the folder name"),
        "{plan:#?}"
    );
}

#[test]
fn missing_description_is_refused() {
    let fx = Fx::new();
    fx.write(
        &format!("staging/skills/{GOOD}/SKILL.md"),
        format!("---\nname: {GOOD}\n---\nbody\n"),
    );
    let plan = assert_refused(&fx, &format!("{GOOD}/SKILL.md"), codes::SKILL_FRONTMATTER);
    assert!(plan.rejected[0].reason.contains("description"), "{plan:#?}");
}

#[test]
fn skill_without_skill_md_is_refused() {
    let fx = Fx::new();
    fx.write(&format!("staging/skills/{GOOD}/notes.md"), "notes\n");
    let plan = fx.plan();
    assert!(plan.accepted.is_empty());
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/SKILL.md")).code,
        codes::SKILL_FRONTMATTER
    );
    let part = rejection(&plan, &format!("{GOOD}/notes.md"));
    assert!(
        part.reason.starts_with("part of a rejected skill: "),
        "{part:#?}"
    );
}

#[test]
fn folder_without_prefix_is_refused() {
    let fx = Fx::new();
    fx.write(
        "staging/skills/my-skill/SKILL.md",
        skill_md("my-skill", "d", "b"),
    );
    fx.write(
        "staging/skills/csep-reflect-Bad_Name/SKILL.md",
        skill_md("csep-reflect-Bad_Name", "d", "b"),
    );
    fx.write("staging/skills/README.md", "loose file\n");
    let before = fx.live_snapshot();
    let plan = fx.plan();
    assert!(plan.accepted.is_empty());
    for p in ["my-skill", "csep-reflect-Bad_Name", "README.md"] {
        assert_eq!(rejection(&plan, p).code, codes::SKILL_PREFIX, "{p}");
    }
    assert_eq!(
        plan.rejected.len(),
        3,
        "refused folders are named once, not walked"
    );
    fx.commit(&plan).unwrap();
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn script_inside_a_skill_rejects_the_whole_skill() {
    let fx = Fx::new();
    good_skill(&fx);
    fx.write(
        &format!("staging/skills/{GOOD}/run.sh"),
        "#!/bin/sh\nrm -rf ~\n",
    );
    fx.write(&format!("staging/skills/{GOOD}/tool.py"), "import os\n");
    let before = fx.live_snapshot();
    let plan = fx.plan();
    assert!(plan.accepted.is_empty(), "{plan:#?}");
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/run.sh")).code,
        codes::NOT_MARKDOWN
    );
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/tool.py")).code,
        codes::NOT_MARKDOWN
    );
    let part = rejection(&plan, &format!("{GOOD}/SKILL.md"));
    assert_eq!(part.code, codes::NOT_MARKDOWN);
    assert_eq!(
        part.reason,
        format!(
            "part of a rejected skill: {GOOD}/run.sh: only markdown (.md) files may be placed in a skill"
        )
    );
    fx.commit(&plan).unwrap();
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn extra_markdown_can_be_disallowed() {
    let mut fx = Fx::new();
    fx.rules.allow_skill_extra_markdown = false;
    good_skill(&fx);
    fx.write(&format!("staging/skills/{GOOD}/more.md"), "extra\n");
    let plan = fx.plan();
    assert!(plan.accepted.is_empty());
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/more.md")).code,
        codes::NOT_MARKDOWN
    );
}

#[test]
fn executable_file_in_a_skill_is_refused() {
    let fx = Fx::new();
    good_skill(&fx);
    let p = format!("staging/skills/{GOOD}/SKILL.md");
    fs::set_permissions(fx.p(&p), fs::Permissions::from_mode(0o744)).unwrap();
    assert_refused(&fx, &format!("{GOOD}/SKILL.md"), codes::EXECUTABLE);
}

#[test]
fn symlinks_in_skills_are_refused() {
    let fx = Fx::new();
    good_skill(&fx);
    symlink(
        "/etc/passwd",
        fx.p(&format!("staging/skills/{GOOD}/passwd.md")),
    )
    .unwrap();
    symlink(fx.p("live"), fx.p("staging/skills/csep-reflect-escape")).unwrap();
    let before = fx.live_snapshot();
    let plan = fx.plan();
    assert!(plan.accepted.is_empty(), "{plan:#?}");
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/passwd.md")).code,
        codes::SYMLINK
    );
    assert_eq!(rejection(&plan, "csep-reflect-escape").code, codes::SYMLINK);
    fx.commit(&plan).unwrap();
    assert_eq!(fx.live_snapshot(), before);
}

#[test]
fn too_deep_inside_a_skill_is_refused() {
    let fx = Fx::new();
    good_skill(&fx);
    fx.write(&format!("staging/skills/{GOOD}/a/b/ok.md"), "two levels\n");
    assert!(fx.plan().rejected.is_empty());
    fx.write(
        &format!("staging/skills/{GOOD}/a/b/c/deep.md"),
        "three levels\n",
    );
    let plan = fx.plan();
    assert!(plan.accepted.is_empty());
    assert_eq!(
        rejection(&plan, &format!("{GOOD}/a/b/c")).code,
        codes::OUTSIDE_ALLOWED_PATHS
    );
}

#[test]
fn users_own_skill_is_never_listed_or_touched() {
    let fx = Fx::new();
    fx.write(
        "live/skills/my-own-skill/SKILL.md",
        skill_md("my-own-skill", "mine", "body"),
    );
    fx.write("live/skills/my-own-skill/run.sh", "#!/bin/sh\n");
    // Staging has a changed copy of it, and lacks another of the user's.
    fx.write("live/skills/other-user-skill/SKILL.md", "mine too\n");
    fx.write(
        "staging/skills/my-own-skill/SKILL.md",
        skill_md("my-own-skill", "hijacked", "body"),
    );
    good_skill(&fx);

    let plan = fx.plan();
    assert!(
        plan.accepted
            .iter()
            .all(|c| c.path.starts_with("csep-reflect-")),
        "{plan:#?}"
    );
    assert_eq!(plan.accepted.len(), 1);
    assert_eq!(rejection(&plan, "my-own-skill").code, codes::SKILL_PREFIX);
    assert!(
        plan.rejected
            .iter()
            .all(|r| !r.path.starts_with("other-user-skill"))
    );

    let before_own = fx.read("live/skills/my-own-skill/SKILL.md");
    fx.commit(&plan).unwrap();
    assert_eq!(fx.read("live/skills/my-own-skill/SKILL.md"), before_own);
    assert!(fx.exists("live/skills/my-own-skill/run.sh"));
    assert_eq!(
        fx.read("live/skills/other-user-skill/SKILL.md"),
        b"mine too\n"
    );
}

#[test]
fn deleting_a_whole_skill_is_accepted_and_revertible() {
    let fx = Fx::new();
    fx.write(
        "live/skills/csep-reflect-old/SKILL.md",
        skill_md("csep-reflect-old", "d", "b"),
    );
    fx.write("live/skills/csep-reflect-old/ref/x.md", "x\n");
    let before = fx.live_snapshot();
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 2, "{plan:#?}");
    assert!(plan.accepted.iter().all(|c| c.kind == ChangeKind::Deleted));
    let committed = fx.commit(&plan).unwrap();
    assert!(
        !fx.exists("live/skills/csep-reflect-old"),
        "emptied skill folder removed"
    );
    assert_eq!(committed.removed_dirs.len(), 2);
    fx.revert(&committed).unwrap();
    let after = fx.live_snapshot();
    // Content is byte-identical; recreated folders get the job's 0700.
    let files = |m: &BTreeMap<String, String>| {
        m.iter()
            .filter(|(_, v)| v.starts_with("file"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&after), files(&before));
}

#[test]
fn modifying_a_skill_with_a_removed_file() {
    let fx = Fx::new();
    let md = skill_md(GOOD, "d", "v1");
    fx.both(&format!("{GOOD}/SKILL.md"), &md);
    fx.both(&format!("{GOOD}/keep.md"), "keep\n");
    fx.write(&format!("live/skills/{GOOD}/drop.md"), "drop\n");
    fx.write(
        &format!("staging/skills/{GOOD}/SKILL.md"),
        skill_md(GOOD, "d", "v2"),
    );
    let plan = fx.plan();
    let got: Vec<(&str, ChangeKind)> = plan
        .accepted
        .iter()
        .map(|c| (c.path.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("csep-reflect-run-tests/SKILL.md", ChangeKind::Modified),
            ("csep-reflect-run-tests/drop.md", ChangeKind::Deleted)
        ]
    );
}

#[test]
fn skill_cap_counts_live_skills_and_deletions() {
    let mut fx = Fx::new();
    fx.rules.max_active_skills = 3;
    for name in ["csep-reflect-a", "csep-reflect-b"] {
        fx.both(
            &format!("{name}/SKILL.md"),
            &skill_md(name, &format!("about {name}"), name),
        );
    }
    for name in ["csep-reflect-new-one", "csep-reflect-new-two"] {
        fx.write(
            &format!("staging/skills/{name}/SKILL.md"),
            skill_md(name, &format!("text {name}"), name),
        );
    }
    let plan = fx.plan();
    let accepted: Vec<&str> = plan.accepted.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(accepted, ["csep-reflect-new-one/SKILL.md"]);
    assert_eq!(
        rejection(&plan, "csep-reflect-new-two/SKILL.md").code,
        codes::SKILL_CAP
    );

    // Deleting a live skill frees its slot.
    fs::remove_dir_all(fx.p("staging/skills/csep-reflect-a")).unwrap();
    let plan = fx.plan();
    assert!(plan.rejected.is_empty(), "{plan:#?}");
    assert_eq!(plan.accepted.len(), 3);
}

#[test]
fn near_duplicate_is_noted_but_accepted() {
    let fx = Fx::new();
    let body = "Run cargo test --workspace, then read the first failure and fix it before anything else.\n";
    fx.both(
        "csep-reflect-cargo-test-loop/SKILL.md",
        &skill_md(
            "csep-reflect-cargo-test-loop",
            "Run the Rust test suite and fix failures",
            body,
        ),
    );
    fx.write(
        "staging/skills/csep-reflect-test-loop-cargo/SKILL.md",
        skill_md(
            "csep-reflect-test-loop-cargo",
            "Run the rust test suite, fix the failures",
            body,
        ),
    );
    fx.write(
        "staging/skills/csep-reflect-sql-format/SKILL.md",
        skill_md(
            "csep-reflect-sql-format",
            "Format SQL migrations",
            "Use sqlfmt.\n",
        ),
    );
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 2, "{plan:#?}");
    assert_eq!(plan.notes.len(), 1, "{:#?}", plan.notes);
    let n = &plan.notes[0];
    assert_eq!(n.kind, "near-duplicate");
    assert_eq!(n.path, "csep-reflect-test-loop-cargo");
    assert_eq!(n.other, "csep-reflect-cargo-test-loop");
    assert!(n.score >= 0.7 && n.score <= 1.0, "{n:#?}");
}

#[test]
fn secret_in_extra_file_rejects_the_skill() {
    let fx = Fx::new();
    good_skill(&fx);
    fx.write(
        &format!("staging/skills/{GOOD}/creds.md"),
        "AKIAABCDEFGHIJKLMNOP\n",
    );
    let plan = fx.plan();
    assert!(plan.accepted.is_empty());
    assert_eq!(rejection(&plan, &format!("{GOOD}/creds.md")).code, "secret");
    assert_eq!(rejection(&plan, &format!("{GOOD}/SKILL.md")).code, "secret");
}

#[test]
fn live_skill_folder_symlink_is_not_written_through() {
    let fx = Fx::new();
    fx.write("elsewhere/SKILL.md", "precious\n");
    symlink(fx.p("elsewhere"), fx.p(&format!("live/skills/{GOOD}"))).unwrap();
    good_skill(&fx);
    assert_refused(&fx, GOOD, codes::SYMLINK);
    assert_eq!(fx.read("elsewhere/SKILL.md"), b"precious\n");
}
