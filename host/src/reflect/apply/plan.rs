//! Decides what of staging may be committed: the per-file verdicts from
//! [`super::diff`], then the job-wide rules (a skill is all or nothing, the
//! skill cap, the byte total) and the near-duplicate notes.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io;

use cap_std::fs::Dir;

use super::diff::{self, Diff, Unit};
use super::nofollow;
use super::rules::{self, MEMORY_INDEX, SKILL_FILE};
use super::similarity::{self, SkillText};
use super::{Area, Change, Note, Plan, Rejected, Rules, TextCheck, codes};

/// Builds the plan. `check` screens the text of every new or changed file.
pub fn plan(
    live_memory: &Dir,
    staging_memory: &Dir,
    live_skills: &Dir,
    staging_skills: &Dir,
    rules: &Rules,
    check: TextCheck,
) -> io::Result<Plan> {
    let Diff {
        units,
        mut rejected,
        live_skill_folders,
    } = diff::diff(
        live_memory,
        staging_memory,
        live_skills,
        staging_skills,
        rules,
        check,
    )?;
    let mut kept = Vec::new();
    for unit in units {
        if unit.problems.is_empty() {
            kept.push(unit);
        } else {
            refuse_for_problems(unit, &mut rejected);
        }
    }
    let kept = apply_skill_cap(kept, live_skill_folders.len(), rules, &mut rejected);
    let kept = apply_total_bytes(kept, rules, &mut rejected);
    let notes = near_duplicates(&kept, live_skills, &live_skill_folders, rules)?;

    let mut accepted: Vec<Change> = kept.into_iter().flat_map(|u| u.changes).collect();
    accepted.sort_by(|a, b| (a.area, &a.path).cmp(&(b.area, &b.path)));
    rejected.sort_by(|a, b| (a.area, &a.path).cmp(&(b.area, &b.path)));
    let mut plan = Plan {
        accepted,
        rejected,
        notes,
    };
    keep_notes(&mut plan, live_memory, staging_memory)?;
    Ok(plan)
}

/// Live memory files read to compare lines: the index may be far over its
/// budget (a hand edit), and is still compared whole.
const MAX_COMPARED_BYTES: u64 = 64 * 1024 * 1024;

/// A commit is all or nothing across the memory files: when a change to a ref
/// is refused (an archive past its size, say), a `MEMORY.md` change that
/// removes lines is refused too, since those lines may have been moved into the
/// file that was refused. Run again after anything else adds rejections.
pub fn keep_notes(plan: &mut Plan, live_memory: &Dir, staging_memory: &Dir) -> io::Result<()> {
    let refused_ref = plan
        .rejected
        .iter()
        .find(|r| r.area == Area::Memory && r.path != MEMORY_INDEX)
        .map(|r| format!("{} ({})", r.path, r.code));
    let Some(refused_ref) = refused_ref else {
        return Ok(());
    };
    let Some(at) = plan.accepted.iter().position(|c| {
        c.area == Area::Memory && c.path == MEMORY_INDEX && c.before_sha256.is_some()
    }) else {
        return Ok(());
    };
    let read = |dir: &Dir| -> io::Result<String> {
        Ok(nofollow::read(dir, MEMORY_INDEX, MAX_COMPARED_BYTES)?
            .map(|(b, _)| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default())
    };
    let (old, new) = (read(live_memory)?, read(staging_memory)?);
    if removes_lines(&old, &new) {
        let c = plan.accepted.remove(at);
        plan.rejected
            .push(notes_would_be_lost(&c.path, &refused_ref));
        plan.rejected
            .sort_by(|a, b| (a.area, &a.path).cmp(&(b.area, &b.path)));
    }
    Ok(())
}

pub(super) fn notes_would_be_lost(path: &str, refused: &str) -> Rejected {
    Rejected::new(
        Area::Memory,
        path,
        codes::NOTES_WOULD_BE_LOST,
        format!(
            "it removes lines while {refused} was refused: the removed notes would be in neither file"
        ),
    )
}

/// Whether some line of `old` (blank lines and headings aside) is in `new`
/// fewer times than in `old`.
pub(super) fn removes_lines(old: &str, new: &str) -> bool {
    let note = |l: &&str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let mut counts: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for l in old.lines().filter(note) {
        *counts.entry(l.trim()).or_default() += 1;
    }
    for l in new.lines().filter(note) {
        if let Some(n) = counts.get_mut(l.trim()) {
            *n -= 1;
        }
    }
    counts.values().any(|n| *n > 0)
}

/// Lists a refused unit: its problems, then each of its changes as part of it.
fn refuse_for_problems(unit: Unit, rejected: &mut Vec<Rejected>) {
    let first = unit.problems[0].clone();
    let listed: BTreeSet<String> = unit.problems.iter().map(|p| p.path.clone()).collect();
    rejected.extend(unit.problems);
    for c in unit.changes {
        if !listed.contains(&c.path) {
            rejected.push(Rejected {
                area: c.area,
                path: c.path,
                reason: format!("part of a rejected skill: {}: {}", first.path, first.reason),
                code: first.code.clone(),
            });
        }
    }
}

fn refuse_unit(unit: Unit, code: &'static str, reason: &str, rejected: &mut Vec<Rejected>) {
    for c in unit.changes {
        rejected.push(Rejected::new(c.area, c.path, code, reason));
    }
}

/// New skills, in name order, only while the live count stays within the cap.
fn apply_skill_cap(
    units: Vec<Unit>,
    live_count: usize,
    rules: &Rules,
    rejected: &mut Vec<Rejected>,
) -> Vec<Unit> {
    let deleted = units.iter().filter(|u| u.deletes_skill).count();
    let mut active = live_count.saturating_sub(deleted);
    let cap = rules.max_active_skills;
    let mut kept = Vec::new();
    for unit in units {
        if unit.new_skill {
            if active >= cap {
                let reason = format!(
                    "{} generated skills would be live; at most {cap} are allowed",
                    active + 1
                );
                refuse_unit(unit, codes::SKILL_CAP, &reason, rejected);
                continue;
            }
            active += 1;
        }
        kept.push(unit);
    }
    kept
}

/// Units in area-then-path order while their new bytes fit the job's total.
fn apply_total_bytes(
    mut units: Vec<Unit>,
    rules: &Rules,
    rejected: &mut Vec<Rejected>,
) -> Vec<Unit> {
    units.sort_by(|a, b| (a.area, &a.key).cmp(&(b.area, &b.key)));
    let max = rules.max_total_bytes;
    let mut total = 0u64;
    let mut kept = Vec::new();
    for unit in units {
        let bytes = unit.new_bytes();
        if total.saturating_add(bytes) > max {
            let reason = format!(
                "{bytes} more bytes would take the job past its limit of {max} bytes of new content"
            );
            refuse_unit(unit, codes::TOO_LARGE, &reason, rejected);
            continue;
        }
        total += bytes;
        kept.push(unit);
    }
    kept
}

/// Notes new skills that resemble a live one. They are accepted anyway:
/// resemblance is a guess, a narrower variant can be legitimate, and the cap
/// already bounds growth; the note lets the user prune by hand.
fn near_duplicates(
    units: &[Unit],
    live: &Dir,
    live_folders: &BTreeSet<String>,
    rules: &Rules,
) -> io::Result<Vec<Note>> {
    let new: Vec<(&str, &rules::Frontmatter)> = units
        .iter()
        .filter(|u| u.new_skill)
        .filter_map(|u| u.skill.as_ref().map(|fm| (u.key.as_str(), fm)))
        .collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let going: BTreeSet<&str> = units
        .iter()
        .filter(|u| u.deletes_skill)
        .map(|u| u.key.as_str())
        .collect();
    let mut existing = Vec::new();
    for folder in live_folders.iter().filter(|f| !going.contains(f.as_str())) {
        let path = format!("{folder}/{SKILL_FILE}");
        let text = match nofollow::read(live, &path, rules.max_file_bytes) {
            Ok(Some((bytes, _))) => String::from_utf8(bytes).ok(),
            _ => None,
        };
        let Some(text) = text else { continue };
        let fm = rules::frontmatter(&text).unwrap_or(rules::Frontmatter {
            name: folder.clone(),
            description: String::new(),
            body: text,
        });
        existing.push((folder.as_str(), fm));
    }
    let mut notes = Vec::new();
    for (folder, fm) in new {
        let a = SkillText {
            folder,
            description: &fm.description,
            body: &fm.body,
        };
        for (other, ofm) in &existing {
            let b = SkillText {
                folder: other,
                description: &ofm.description,
                body: &ofm.body,
            };
            if let Some(r) = similarity::resemblance(&a, &b) {
                notes.push(Note {
                    kind: Cow::Borrowed("near-duplicate"),
                    area: Area::Skills,
                    path: folder.to_string(),
                    other: other.to_string(),
                    score: r.score,
                    detail: r.detail,
                });
            }
        }
    }
    Ok(notes)
}
