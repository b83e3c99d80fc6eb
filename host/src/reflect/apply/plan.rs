//! Decides what of staging may be committed: the per-file verdicts from
//! [`super::diff`], then the job-wide rules (a skill is all or nothing, the
//! skill cap, the byte total) and the near-duplicate notes.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io;

use cap_std::fs::Dir;

use super::diff::{self, Diff, Unit};
use super::nofollow;
use super::rules::{self, SKILL_FILE};
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
    Ok(Plan {
        accepted,
        rejected,
        notes,
    })
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
