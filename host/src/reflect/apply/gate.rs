//! The evidence gate, run on staging before [`super::plan`]: every new
//! `MEMORY.md` entry, every new line of a ref and every new or changed skill must
//! have been cited with quotes that hold (see [`crate::reflect::evidence`]).
//! What is not is taken out of staging and listed as rejected with the reason;
//! lines that were already in the live memory (kept, moved or archived) need
//! nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use super::nofollow::Kind;
use super::rules::{MEMORY_INDEX, REFS, SKILL_PREFIX};
use super::walk::{self, Limits};
use super::{Area, Rejected, Rules, nofollow};
use crate::model::{Citation, Scope};
use crate::reflect::evidence::{self, Found, Need, Session};

pub mod codes {
    /// Nothing cited the entry.
    pub const NO_EVIDENCE: &str = "no-evidence";
    /// A citation named the entry but did not hold.
    pub const WEAK_EVIDENCE: &str = "weak-evidence";
}

/// What an accepted entry rests on, as the receipt records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidenced {
    pub area: Area,
    /// `MEMORY.md`, `refs/x.md`, or a skill folder.
    pub path: String,
    /// The entry's text (a ref's or skill's path for those).
    pub entry: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub section: String,
    pub quotes: Vec<Found>,
}

impl Evidenced {
    /// Whether this entry is part of the change to `path`.
    pub fn covers(&self, area: Area, path: &str) -> bool {
        self.area == area
            && (self.path == path
                || path
                    .strip_prefix(self.path.as_str())
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

/// What the gate let through and what it took out.
#[derive(Debug, Default)]
pub struct Gated {
    pub evidenced: Vec<Evidenced>,
    pub rejected: Vec<Rejected>,
}

pub struct GateInput<'a> {
    pub live_memory: &'a Dir,
    pub staging_memory: &'a Dir,
    pub live_skills: &'a Dir,
    pub staging_skills: &'a Dir,
    pub rules: &'a Rules,
    pub session: &'a Session,
    pub citations: &'a [Citation],
}

pub fn gate(input: &GateInput<'_>) -> io::Result<Gated> {
    let mut out = Gated::default();
    let live = live_memory_lines(input)?;
    gate_memory_index(input, &live, &mut out)?;
    gate_refs(input, &live, &mut out)?;
    gate_skills(input, &mut out)?;
    Ok(out)
}

/// An entry as compared: no list marker, spacing folded.
pub fn entry_key(line: &str) -> String {
    let t = line.trim();
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
        .unwrap_or(t);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A heading line, short enough to be one rather than prose behind a `#`.
fn heading(line: &str) -> Option<&str> {
    let t = line.trim();
    (t.starts_with('#') && t.chars().count() <= 80).then(|| t.trim_start_matches('#').trim())
}

fn read_text(dir: &Dir, path: &str, rules: &Rules) -> io::Result<Option<String>> {
    match nofollow::read(dir, path, rules.max_file_bytes * 4) {
        Ok(Some((bytes, _))) => Ok(String::from_utf8(bytes).ok()),
        Ok(None) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every entry of the live memory (`MEMORY.md` and refs), with how often it occurs.
fn live_memory_lines(input: &GateInput<'_>) -> io::Result<HashMap<String, usize>> {
    let mut lines = HashMap::new();
    let mut add = |text: &str| {
        for line in text.lines() {
            let key = entry_key(line);
            if !key.is_empty() {
                *lines.entry(key).or_insert(0) += 1;
            }
        }
    };
    if let Some(text) = read_text(input.live_memory, MEMORY_INDEX, input.rules)? {
        add(&text);
    }
    for (_, text) in md_files(input.live_memory, REFS, input.rules)? {
        add(&text);
    }
    Ok(lines)
}

fn citation_for<'c>(citations: &'c [Citation], scope: Scope, target: &str) -> Option<&'c Citation> {
    // The last citation of a target wins: a strategy may cite again after a refusal.
    citations
        .iter()
        .rev()
        .find(|c| c.scope == scope && entry_key(&c.target) == target)
}

fn gate_memory_index(
    input: &GateInput<'_>,
    live: &HashMap<String, usize>,
    out: &mut Gated,
) -> io::Result<()> {
    let Some(staged) = read_text(input.staging_memory, MEMORY_INDEX, input.rules)? else {
        return Ok(());
    };
    let mut unused = live.clone();
    let mut section = String::new();
    let mut kept = String::with_capacity(staged.len());
    let mut dropped = false;
    for line in staged.split_inclusive('\n') {
        if line.trim().is_empty() {
            kept.push_str(line);
            continue;
        }
        if let Some(h) = heading(line) {
            section = h.to_string();
            kept.push_str(line);
            continue;
        }
        let key = entry_key(line);
        if let Some(n) = unused.get_mut(&key).filter(|n| **n > 0) {
            *n -= 1;
            kept.push_str(line);
            continue;
        }
        let verdict = verdict(
            input,
            citation_for(input.citations, Scope::Memory, &key),
            Need::for_section(&section),
            true,
        );
        match verdict {
            Ok(quotes) => {
                kept.push_str(line);
                out.evidenced.push(Evidenced {
                    area: Area::Memory,
                    path: MEMORY_INDEX.into(),
                    entry: key,
                    section: section.clone(),
                    quotes,
                });
            }
            Err((code, why)) => {
                dropped = true;
                out.rejected.push(Rejected::new(
                    Area::Memory,
                    MEMORY_INDEX,
                    code,
                    format!(
                        "the entry {:?} was left out: {why}",
                        evidence::cut(&key, 120)
                    ),
                ));
            }
        }
    }
    if dropped {
        crate::fs_authority::write_atomic(input.staging_memory, MEMORY_INDEX, kept.as_bytes())?;
    }
    Ok(())
}

fn gate_refs(
    input: &GateInput<'_>,
    live: &HashMap<String, usize>,
    out: &mut Gated,
) -> io::Result<()> {
    let live_files: BTreeMap<String, String> = md_files(input.live_memory, REFS, input.rules)?
        .into_iter()
        .collect();
    // Entries of MEMORY.md as the gate left it: an archive may say what replaced a line.
    let staged_entries: HashSet<String> =
        read_text(input.staging_memory, MEMORY_INDEX, input.rules)?
            .unwrap_or_default()
            .lines()
            .map(entry_key)
            .collect();
    for (path, staged) in md_files(input.staging_memory, REFS, input.rules)? {
        if live_files.get(&path) == Some(&staged) {
            continue;
        }
        let new: Vec<String> = staged
            .lines()
            .filter(|l| !l.trim().is_empty() && heading(l).is_none())
            .map(entry_key)
            .filter(|k| !live.contains_key(k) && !annotates(k, &staged_entries))
            .collect();
        if new.is_empty() {
            continue;
        }
        let inner = path.strip_prefix("refs/").unwrap_or(&path).to_string();
        let cited = citation_for(input.citations, Scope::Memory, &path)
            .or_else(|| citation_for(input.citations, Scope::Memory, &inner));
        let verdict = verdict(input, cited, Need::UserWordsOrToolRun, false);
        match verdict {
            Ok(quotes) => out.evidenced.push(Evidenced {
                area: Area::Memory,
                path: path.clone(),
                entry: path.clone(),
                section: String::new(),
                quotes,
            }),
            Err((code, why)) => {
                let fresh: HashSet<&String> = new.iter().collect();
                let kept: String = staged
                    .split_inclusive('\n')
                    .filter(|l| !fresh.contains(&entry_key(l)))
                    .collect();
                crate::fs_authority::write_atomic(
                    &nofollow::open_dir_path(input.staging_memory, parent_of(&path))?,
                    name_of(&path),
                    kept.as_bytes(),
                )?;
                out.rejected.push(Rejected::new(
                    Area::Memory,
                    path.clone(),
                    code,
                    format!("{} new line(s) were left out: {why}", new.len()),
                ));
            }
        }
    }
    Ok(())
}

fn gate_skills(input: &GateInput<'_>, out: &mut Gated) -> io::Result<()> {
    for folder in skill_folders(input.staging_skills)? {
        let staged = tree(input.staging_skills, &folder, input.rules)?;
        let live = if nofollow::lstat(input.live_skills, &folder)? == Some(Kind::Dir) {
            Some(tree(input.live_skills, &folder, input.rules)?)
        } else {
            None
        };
        if live.as_ref() == Some(&staged) {
            continue;
        }
        let verdict = verdict(
            input,
            citation_for(input.citations, Scope::Skill, &folder),
            Need::UserWordsOrToolRun,
            false,
        );
        match verdict {
            Ok(quotes) => out.evidenced.push(Evidenced {
                area: Area::Skills,
                path: folder.clone(),
                entry: folder.clone(),
                section: String::new(),
                quotes,
            }),
            Err((code, why)) => {
                // Staging goes back to what is live, so the plan sees no change.
                input.staging_skills.remove_dir_all(&folder)?;
                if live.is_some() {
                    input.staging_skills.create_dir(&folder)?;
                    crate::reflect::material::copy_folder(
                        &nofollow::open_dir(input.live_skills, &folder)?,
                        &input.staging_skills.open_dir(&folder)?,
                    )?;
                }
                out.rejected.push(Rejected::new(
                    Area::Skills,
                    folder.clone(),
                    code,
                    format!("the skill was left out: {why}"),
                ));
            }
        }
    }
    Ok(())
}

/// `(replaced by: X)` where X is an entry of the new `MEMORY.md`: a note on a
/// moved line, carrying nothing that is not evidenced already.
fn annotates(key: &str, entries: &HashSet<String>) -> bool {
    key.strip_prefix("(replaced by:")
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|x| entries.contains(&entry_key(x)))
}

/// What a citation, if any, is worth for an entry with this need: its quotes as
/// found, or the refusal's code and reason.
fn verdict(
    input: &GateInput<'_>,
    cited: Option<&Citation>,
    need: Need,
    spans: bool,
) -> Result<Vec<Found>, (&'static str, String)> {
    let c = cited.ok_or((
        codes::NO_EVIDENCE,
        "no quote of the session was cited for it".to_string(),
    ))?;
    evidence::check(input.session, c, need, spans)
        .map_err(|why| (codes::WEAK_EVIDENCE, why.to_string()))
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

fn name_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

fn limits(rules: &Rules) -> Limits {
    Limits {
        max_depth: 8,
        max_entries: rules.max_files,
    }
}

/// `refs/**/*.md` under a memory folder: path and text of each readable file.
fn md_files(root: &Dir, sub: &str, rules: &Rules) -> io::Result<Vec<(String, String)>> {
    if nofollow::lstat(root, sub)? != Some(Kind::Dir) {
        return Ok(Vec::new());
    }
    let dir = nofollow::open_dir(root, sub)?;
    let listing = walk::walk(&dir, &limits(rules), &|_, _| true, &|_| true)?;
    let mut out = Vec::new();
    for e in listing
        .entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::File { .. }))
    {
        if !e.path.ends_with(".md") {
            continue;
        }
        if let Some(text) = read_text(&dir, &e.path, rules)? {
            out.push((format!("{sub}/{}", e.path), text));
        }
    }
    Ok(out)
}

/// Generated skill folders at the top of a skills folder.
fn skill_folders(root: &Dir) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in root.entries()? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(SKILL_PREFIX) && nofollow::lstat(root, name)? == Some(Kind::Dir) {
            out.push(name.to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// A skill folder's entries and bytes, compared as a whole; anything not a
/// plain file is compared by its kind only (the plan refuses those anyway).
fn tree(root: &Dir, folder: &str, rules: &Rules) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let dir = nofollow::open_dir(root, folder)?;
    let listing = walk::walk(&dir, &limits(rules), &|_, _| true, &|_| true)?;
    let mut out = BTreeMap::new();
    for e in listing.entries {
        let bytes = if matches!(e.kind, Kind::File { .. }) {
            nofollow::read(&dir, &e.path, rules.max_file_bytes * 4)?
                .map(|(b, _)| b)
                .unwrap_or_else(|| b"(too large)".to_vec())
        } else {
            format!("({})", e.kind.describe()).into_bytes()
        };
        out.insert(e.path, bytes);
    }
    if let Some(why) = listing.truncated {
        out.insert(String::new(), why.into_bytes());
    }
    Ok(out)
}
