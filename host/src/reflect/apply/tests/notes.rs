//! Notes moved out of MEMORY.md are never lost: when the ref they go to is
//! refused, the trim of MEMORY.md is refused with it.

use super::super::codes;
use super::*;

/// A MEMORY.md of `n` notes and an archive of `archive_bytes` bytes.
fn memory_with_full_archive(fx: &Fx, n: usize, archive_bytes: usize) -> (String, String) {
    let notes: Vec<String> = (0..n).map(|i| format!("- note number {i}")).collect();
    let memory = format!("# Memory\n\n## Notes\n{}\n", notes.join("\n"));
    let mut archive = String::from("# Archived memory\n\n");
    let line = "- an archived note of long ago\n";
    while archive.len() + line.len() <= archive_bytes {
        archive.push_str(line);
    }
    fx.both("MEMORY.md", &memory);
    fx.both("refs/archive.md", &archive);
    (memory, archive)
}

/// What the strategy does over budget: the oldest notes move to `archive`.
fn move_oldest(fx: &Fx, moved: usize, n: usize, archive_path: &str, archive_before: &str) {
    let kept: Vec<String> = (moved..n).map(|i| format!("- note number {i}")).collect();
    fx.write(
        &format!("{STAGE_MEM}/MEMORY.md"),
        format!("# Memory\n\n## Notes\n{}\n", kept.join("\n")),
    );
    let lines: Vec<String> = (0..moved).map(|i| format!("- note number {i}")).collect();
    fx.write(
        &format!("{STAGE_MEM}/{archive_path}"),
        format!("{archive_before}\n## Archived\n{}\n", lines.join("\n")),
    );
}

#[test]
fn an_archive_past_its_size_keeps_the_notes_in_memory() {
    let fx = Fx::new();
    let max = fx.rules.max_file_bytes as usize;
    // One byte under the cap: any note moved in takes it past.
    let (memory, archive) = memory_with_full_archive(&fx, 40, max - 1);
    assert!(archive.len() < max);
    move_oldest(&fx, 10, 40, "refs/archive.md", &archive);

    let plan = assert_refused(&fx, "MEMORY.md", codes::NOTES_WOULD_BE_LOST);
    assert_eq!(rejection(&plan, "refs/archive.md").code, codes::TOO_LARGE);
    assert_eq!(fx.read("live/memory/MEMORY.md"), memory.as_bytes());
}

#[test]
fn a_rotated_archive_is_accepted_with_the_trim() {
    let fx = Fx::new();
    let max = fx.rules.max_file_bytes as usize;
    let (_, archive) = memory_with_full_archive(&fx, 40, max - 1);
    // The full archive stays; the moved notes start the next one.
    move_oldest(&fx, 10, 40, "refs/archive-2.md", "# Archived memory");
    let plan = fx.plan();
    assert!(plan.rejected.is_empty(), "{plan:#?}");
    assert_eq!(plan.accepted.len(), 2, "{plan:#?}");
    fx.commit(&plan).unwrap();
    let live = String::from_utf8(fx.read("live/memory/MEMORY.md")).unwrap();
    let second = String::from_utf8(fx.read("live/memory/refs/archive-2.md")).unwrap();
    for i in 0..40 {
        let note = format!("- note number {i}\n");
        assert!(
            live.contains(&note) || second.contains(&note),
            "{note} is in neither file"
        );
    }
    assert_eq!(fx.read("live/memory/refs/archive.md"), archive.as_bytes());
}

#[test]
fn a_huge_memory_cut_to_its_budget_is_refused_when_its_archive_is() {
    let fx = Fx::new();
    let notes: Vec<String> = (0..20_000)
        .map(|i| format!("- hand-written note {i}"))
        .collect();
    let memory = format!("# Memory\n{}\n", notes.join("\n"));
    fx.both("MEMORY.md", &memory);
    fx.write(
        &format!("{STAGE_MEM}/MEMORY.md"),
        format!("# Memory\n{}\n", notes[19_990..].join("\n")),
    );
    fx.write(
        &format!("{STAGE_MEM}/refs/archive.md"),
        format!("# Archived\n{}\n", notes[..19_990].join("\n")),
    );
    let plan = fx.plan();
    assert_eq!(
        rejection(&plan, "MEMORY.md").code,
        codes::NOTES_WOULD_BE_LOST
    );
    assert!(plan.accepted.is_empty(), "{plan:#?}");
}

#[test]
fn a_ref_changed_during_the_job_keeps_memory_whole_at_commit() {
    let fx = Fx::new();
    let (memory, archive) = memory_with_full_archive(&fx, 40, 1000);
    move_oldest(&fx, 10, 40, "refs/archive.md", &archive);
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 2, "{plan:#?}");
    // Someone edits the archive between the plan and the commit.
    fx.write("live/memory/refs/archive.md", "edited by hand\n");
    let committed = fx.commit(&plan).unwrap();
    assert!(committed.files.is_empty(), "{committed:#?}");
    let codes: Vec<&str> = committed
        .rejected_at_commit
        .iter()
        .map(|r| r.code.as_ref())
        .collect();
    assert!(codes.contains(&codes::NOTES_WOULD_BE_LOST), "{codes:?}");
    assert_eq!(fx.read("live/memory/MEMORY.md"), memory.as_bytes());
}

#[test]
fn a_trim_with_every_ref_accepted_and_an_edit_without_refs_are_kept() {
    let fx = Fx::new();
    fx.write("live/memory/MEMORY.md", "# Memory\n- old\n");
    fx.write("staging/memory/MEMORY.md", "# Memory\n- revised\n");
    fx.write("staging/memory/refs/x.md", "AKIA0000000000000000\n");
    // The ref is refused (a secret) and MEMORY.md drops `- old`: refused too.
    let plan = fx.plan();
    assert_eq!(
        rejection(&plan, "MEMORY.md").code,
        codes::NOTES_WOULD_BE_LOST
    );
    // Without the refused ref the same edit is the strategy's to make.
    std::fs::remove_file(fx.p("staging/memory/refs/x.md")).unwrap();
    let plan = fx.plan();
    assert_eq!(plan.accepted.len(), 1, "{plan:#?}");
}
