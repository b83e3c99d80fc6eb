//! The original's generated `csep-reflect-*` skills. They live in the same skills
//! folder this project writes to, so they are adopted where they are: recorded in
//! `migrate/adopted-skills.json` and never copied. Only skills the original kept
//! elsewhere (`CSEP_CODEX_SKILLS_DIR`) are moved into the client's folder, unless a
//! skill of that name is already there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::MigrateError;
use crate::fs_authority;
use crate::hash::sha256_hex;
use crate::home::Home;
use crate::path_error::AtPath;

const PREFIX: &str = "csep-reflect-";
const LEDGER: &str = "adopted-skills.json";

#[derive(Debug, Clone, Serialize)]
pub struct SkillAdoption {
    pub name: String,
    pub path: PathBuf,
    /// `adopted` (where it is), `already-adopted`, `moved` (from the original's
    /// folder), `same-as-existing` (a copy of one already there; left alone),
    /// `name-taken` (another skill of that name is there; left where it is).
    pub action: &'static str,
    pub from: Option<PathBuf>,
}

impl SkillAdoption {
    pub fn changes(&self) -> bool {
        matches!(self.action, "adopted" | "moved")
    }
}

fn skill_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, p)| n.starts_with(PREFIX) && p.join("SKILL.md").is_file())
        .collect();
    out.sort();
    out
}

fn skill_hash(dir: &Path) -> Option<String> {
    std::fs::read(dir.join("SKILL.md"))
        .ok()
        .map(|b| sha256_hex(&b))
}

#[expect(
    clippy::disallowed_methods,
    reason = "moves the original tool's generated skills into csep's folder; each move is recorded for --undo"
)]
pub fn adopt(
    home: &Home,
    skills_dir: Option<&Path>,
    original_dir: Option<&Path>,
    apply: bool,
) -> Result<Vec<SkillAdoption>, MigrateError> {
    let Some(skills_dir) = skills_dir else {
        return Ok(Vec::new());
    };
    let ledger_path = home.migrate_dir().join(LEDGER);
    let mut ledger: BTreeMap<String, String> = std::fs::read(&ledger_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut moves = Vec::new();
    if let Some(original) = original_dir.filter(|o| *o != skills_dir) {
        for (name, from) in skill_dirs(original) {
            let to = skills_dir.join(&name);
            let action = if !to.exists() {
                moves.push((from.clone(), to.clone()));
                "moved"
            } else if skill_hash(&to) == skill_hash(&from) {
                "same-as-existing"
            } else {
                "name-taken"
            };
            out.push(SkillAdoption {
                name,
                path: to,
                action,
                from: Some(from),
            });
        }
    }
    for (name, path) in skill_dirs(skills_dir) {
        if out.iter().any(|s| s.name == name) {
            continue;
        }
        let hash = skill_hash(&path).unwrap_or_default();
        let action = if ledger.get(&name) == Some(&hash) {
            "already-adopted"
        } else {
            "adopted"
        };
        out.push(SkillAdoption {
            name,
            path,
            action,
            from: None,
        });
    }
    if !apply {
        return Ok(out);
    }
    for (from, to) in moves {
        fs_authority::create_private_dir_all(skills_dir).at("creating", skills_dir)?;
        if std::fs::rename(&from, &to).is_err() {
            copy_dir(&from, &to)?;
            std::fs::remove_dir_all(&from).at("removing", &from)?;
        }
    }
    let mut changed = false;
    for s in out.iter().filter(|s| s.changes()) {
        if let Some(hash) = skill_hash(&s.path) {
            changed |= ledger.insert(s.name.clone(), hash.clone()) != Some(hash);
        }
    }
    if changed {
        let dir = ledger_path.parent().expect("under migrate/").to_path_buf();
        let d = fs_authority::create_private_dir_all(&dir).at("creating", &dir)?;
        let bytes = serde_json::to_vec_pretty(&ledger).expect("a map of strings");
        fs_authority::write_atomic(&d, LEDGER, &bytes).at("writing", &ledger_path)?;
    }
    Ok(out)
}

#[expect(
    clippy::disallowed_methods,
    reason = "copies a skill folder when a rename across file systems fails"
)]
fn copy_dir(from: &Path, to: &Path) -> Result<(), MigrateError> {
    std::fs::create_dir_all(to).at("creating", to)?;
    for e in std::fs::read_dir(from).at("reading", from)?.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        let target = to.join(e.file_name());
        if kind.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(e.path(), &target).at("copying", &e.path())?;
        }
    }
    Ok(())
}
