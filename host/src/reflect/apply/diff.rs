//! Compares staging with live, file by file, into units of changes and the
//! problems found on the way. Reads only: nothing live or in staging changes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io;

use cap_std::fs::Dir;

use super::nofollow::{self, Kind, State};
use super::rules::{self, MEMORY_INDEX, REFS, SKILL_FILE, SkillPathError};
use super::walk::{self, Entry, Limits, Walk};
use super::{Area, Change, ChangeKind, Rejected, Rules, TextCheck, codes};

/// Deepest path (in components) the walk looks at.
const MAX_DEPTH: usize = 8;

/// Changes taken or refused together: one memory file, or one skill folder,
/// since half a skill is worse than none.
pub(super) struct Unit {
    pub area: Area,
    pub key: String,
    pub changes: Vec<Change>,
    pub problems: Vec<Rejected>,
    /// The folder is not live yet.
    pub new_skill: bool,
    /// Every live file of the folder goes.
    pub deletes_skill: bool,
    /// A new skill's frontmatter, for the near-duplicate check.
    pub skill: Option<rules::Frontmatter>,
}

impl Unit {
    fn new(area: Area, key: &str) -> Self {
        Unit {
            area,
            key: key.to_string(),
            changes: Vec::new(),
            problems: Vec::new(),
            new_skill: false,
            deletes_skill: false,
            skill: None,
        }
    }

    pub fn new_bytes(&self) -> u64 {
        self.changes.iter().map(|c| c.bytes).sum()
    }
}

/// What staging amounts to, before the job-wide limits are applied.
pub(super) struct Diff {
    pub units: Vec<Unit>,
    pub rejected: Vec<Rejected>,
    /// Live generated skill folders that hold files.
    pub live_skill_folders: BTreeSet<String>,
}

pub(super) fn diff(
    live_memory: &Dir,
    staging_memory: &Dir,
    live_skills: &Dir,
    staging_skills: &Dir,
    rules: &Rules,
    check: TextCheck,
) -> io::Result<Diff> {
    let mut ctx = Ctx {
        rules,
        check,
        limits: Limits {
            max_depth: MAX_DEPTH,
            max_entries: rules.max_files,
        },
        units: Vec::new(),
        rejected: Vec::new(),
    };
    ctx.memory(live_memory, staging_memory)?;
    let live_skill_folders = ctx.skills(live_skills, staging_skills)?;
    Ok(Diff {
        units: ctx.units,
        rejected: ctx.rejected,
        live_skill_folders,
    })
}

struct Ctx<'a> {
    rules: &'a Rules,
    check: TextCheck<'a>,
    limits: Limits,
    units: Vec<Unit>,
    rejected: Vec<Rejected>,
}

/// What one staging file amounts to.
enum Examined {
    Unchanged,
    Refused(Rejected),
    Changed(Change),
}

impl Ctx<'_> {
    /// Walks `dir` within the limits. A walk the limits cut short cannot tell what
    /// was deleted, so it is refused (`refusal` with `{}` for where and why) and
    /// `None` returned.
    fn walk_whole(
        &mut self,
        dir: &Dir,
        area: Area,
        keep: &dyn Fn(&str, &str) -> bool,
        descend: &dyn Fn(&str) -> bool,
        (what, refusal): (&'static str, &str),
    ) -> io::Result<Option<Walk>> {
        let listing =
            walk::walk(dir, &self.limits, keep, descend).map_err(ctx_err(area, "", what))?;
        match &listing.truncated {
            Some(why) => {
                self.rejected.push(Rejected::new(
                    area,
                    "",
                    codes::TOO_MANY_FILES,
                    refusal.replace("{}", why),
                ));
                Ok(None)
            }
            None => Ok(Some(listing)),
        }
    }

    fn memory(&mut self, live: &Dir, staging: &Dir) -> io::Result<()> {
        let area = Area::Memory;
        let Some(live_walk) = self.walk_whole(
            live,
            area,
            &|prefix, name| !prefix.is_empty() || name == MEMORY_INDEX || name == REFS,
            &|p| rules::memory_dir(p).is_ok(),
            (
                "listing the live folder",
                "the live memory folder holds {}; nothing in it was changed",
            ),
        )?
        else {
            return Ok(());
        };
        let live_files = hash_live(live, area, &live_walk, |p| rules::memory_file(p).is_ok())?;

        let Some(staged) = self.walk_whole(
            staging,
            area,
            &|_, _| true,
            &|p| rules::memory_dir(p).is_ok(),
            (
                "listing staging",
                "staging memory holds {}; nothing from it was taken",
            ),
        )?
        else {
            return Ok(());
        };

        // Staging paths that were refused: a live file at or under one is not
        // taken as deleted, since staging did say something about it.
        let mut blocked: Vec<String> = Vec::new();
        let mut present: BTreeSet<&str> = BTreeSet::new();
        for path in &staged.bad_names {
            blocked.push(path.clone());
            self.rejected.push(Rejected::new(
                area,
                path,
                codes::OUTSIDE_ALLOWED_PATHS,
                "its name is not valid UTF-8",
            ));
        }
        for e in &staged.entries {
            present.insert(&e.path);
            let refusal = match e.kind {
                Kind::Symlink | Kind::Special => Some(refuse_kind(area, &e.path, e.kind)),
                Kind::Dir => rules::memory_dir(&e.path)
                    .err()
                    .map(|why| Rejected::new(area, &e.path, codes::OUTSIDE_ALLOWED_PATHS, why)),
                Kind::File { size, .. } => match rules::memory_file(&e.path) {
                    Err(why) => Some(Rejected::new(
                        area,
                        &e.path,
                        codes::OUTSIDE_ALLOWED_PATHS,
                        why,
                    )),
                    Ok(()) => match self.examine(area, staging, live, &e.path, size)? {
                        Examined::Unchanged => None,
                        Examined::Refused(r) => Some(r),
                        Examined::Changed(change) => {
                            let mut unit = Unit::new(area, &e.path);
                            unit.changes.push(change);
                            self.units.push(unit);
                            None
                        }
                    },
                },
            };
            if let Some(r) = refusal {
                blocked.push(e.path.clone());
                self.rejected.push(r);
            }
        }

        for (path, sha) in &live_files {
            if present.contains(path.as_str()) || under(path, &blocked) {
                continue;
            }
            if path == MEMORY_INDEX {
                self.rejected.push(Rejected::new(
                    area,
                    path,
                    codes::MEMORY_DELETE,
                    "MEMORY.md is missing from staging; the memory index is never deleted",
                ));
                continue;
            }
            let mut unit = Unit::new(area, path);
            unit.changes.push(deletion(area, path, sha));
            self.units.push(unit);
        }
        Ok(())
    }

    /// Returns the live generated skill folders that hold files.
    fn skills(&mut self, live: &Dir, staging: &Dir) -> io::Result<BTreeSet<String>> {
        let area = Area::Skills;
        // The user's own skill folders are refused by `keep` before anything
        // but their name is seen.
        let Some(live_walk) = self.walk_whole(
            live,
            area,
            &|prefix, name| !prefix.is_empty() || rules::skill_folder(name).is_ok(),
            &skill_descend,
            (
                "listing the live folder",
                "the live generated skills hold {}; nothing in them was changed",
            ),
        )?
        else {
            return Ok(BTreeSet::new());
        };
        let live_files = hash_live(live, area, &live_walk, |p| rules::target(area, p).is_ok())?;
        let mut live_by_folder: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (path, sha) in live_files {
            let folder = top(&path).to_string();
            live_by_folder.entry(folder).or_default().insert(path, sha);
        }
        // Generated names that are not real folders in live (a symlink...).
        let live_odd: BTreeMap<&str, Kind> = live_walk
            .entries
            .iter()
            .filter(|e| !e.path.contains('/') && e.kind != Kind::Dir)
            .map(|e| (e.path.as_str(), e.kind))
            .collect();

        let Some(staged) = self.walk_whole(
            staging,
            area,
            &|_, _| true,
            &skill_descend,
            (
                "listing staging",
                "staging skills hold {}; nothing from them was taken",
            ),
        )?
        else {
            return Ok(live_by_folder.keys().cloned().collect());
        };

        let mut folders: BTreeSet<String> = BTreeSet::new();
        let mut refused_top: BTreeSet<String> = BTreeSet::new();
        let mut inside: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
        let mut bad_inside: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for path in &staged.bad_names {
            match path.split_once('/') {
                Some((folder, _)) => bad_inside.entry(folder.to_string()).or_default().push(path),
                None => {
                    refused_top.insert(path.clone());
                    self.rejected.push(Rejected::new(
                        area,
                        path,
                        codes::SKILL_PREFIX,
                        "its name is not valid UTF-8",
                    ));
                }
            }
        }
        for e in &staged.entries {
            if let Some((folder, _)) = e.path.split_once('/') {
                inside.entry(folder.to_string()).or_default().push(e);
                continue;
            }
            let refusal = match (e.kind, rules::skill_folder(&e.path)) {
                (Kind::Dir, Ok(())) => {
                    folders.insert(e.path.clone());
                    continue;
                }
                (Kind::Symlink | Kind::Special, _) => refuse_kind(area, &e.path, e.kind),
                (Kind::Dir, Err(why)) => Rejected::new(area, &e.path, codes::SKILL_PREFIX, why),
                (Kind::File { .. }, _) => Rejected::new(
                    area,
                    &e.path,
                    codes::SKILL_PREFIX,
                    format!(
                        "a file at the top of the skills folder; only {}<name>/ folders are taken",
                        rules::SKILL_PREFIX
                    ),
                ),
            };
            refused_top.insert(e.path.clone());
            self.rejected.push(refusal);
        }

        let mut all: BTreeSet<&str> = folders.iter().map(String::as_str).collect();
        all.extend(live_by_folder.keys().map(String::as_str));
        let empty = BTreeMap::new();
        for folder in all {
            if refused_top.contains(folder) {
                continue; // staging refused it; live stays as it is
            }
            if let Some(kind) = live_odd.get(folder) {
                if folders.contains(folder) {
                    self.rejected
                        .push(live_blocked(area, folder, folder, *kind));
                }
                continue;
            }
            let live_files = live_by_folder.get(folder).unwrap_or(&empty);
            let mut unit = Unit::new(area, folder);
            if !folders.contains(folder) {
                unit.changes = live_files
                    .iter()
                    .map(|(p, sha)| deletion(area, p, sha))
                    .collect();
                unit.deletes_skill = true;
                self.units.push(unit);
                continue;
            }
            let entries = inside.get(folder).map(Vec::as_slice).unwrap_or(&[]);
            let files_left = self.skill_folder(&mut unit, staging, live, entries, live_files)?;
            for path in bad_inside.get(folder).into_iter().flatten() {
                unit.problems.push(Rejected::new(
                    area,
                    *path,
                    codes::OUTSIDE_ALLOWED_PATHS,
                    "its name is not valid UTF-8",
                ));
            }
            if unit.changes.is_empty() && unit.problems.is_empty() {
                continue;
            }
            if files_left == 0 {
                unit.deletes_skill = !live_files.is_empty();
            } else {
                unit.new_skill = live_files.is_empty();
                self.check_skill_file(&mut unit, staging, folder, entries)?;
            }
            self.units.push(unit);
        }
        Ok(live_by_folder.into_keys().collect())
    }

    /// Sorts one staged skill folder's entries into changes and problems;
    /// returns how many regular files it holds.
    fn skill_folder(
        &self,
        unit: &mut Unit,
        staging: &Dir,
        live: &Dir,
        entries: &[&Entry],
        live_files: &BTreeMap<String, String>,
    ) -> io::Result<usize> {
        let area = Area::Skills;
        let mut blocked = Vec::new();
        let mut files = 0;
        for e in entries {
            let inner = e.path.split_once('/').map_or("", |(_, i)| i);
            let refusal = match e.kind {
                Kind::Symlink | Kind::Special => Some(refuse_kind(area, &e.path, e.kind)),
                Kind::Dir => rules::skill_inner_dir(inner)
                    .err()
                    .map(|why| refuse_inner(&e.path, why)),
                Kind::File { size, .. } => {
                    files += 1;
                    match rules::skill_inner_file(inner, self.rules.allow_skill_extra_markdown) {
                        Err(why) => Some(refuse_inner(&e.path, why)),
                        Ok(()) => match self.examine(area, staging, live, &e.path, size)? {
                            Examined::Unchanged => None,
                            Examined::Refused(r) => Some(r),
                            Examined::Changed(change) => {
                                unit.changes.push(change);
                                None
                            }
                        },
                    }
                }
            };
            if let Some(r) = refusal {
                blocked.push(e.path.clone());
                unit.problems.push(r);
            }
        }
        let staged: BTreeSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        for (path, sha) in live_files {
            if !staged.contains(path.as_str()) && !under(path, &blocked) {
                unit.changes.push(deletion(area, path, sha));
            }
        }
        Ok(files)
    }

    /// A skill that changes must end up with a SKILL.md the client accepts.
    fn check_skill_file(
        &self,
        unit: &mut Unit,
        staging: &Dir,
        folder: &str,
        entries: &[&Entry],
    ) -> io::Result<()> {
        let path = format!("{folder}/{SKILL_FILE}");
        if unit.problems.iter().any(|p| p.path == path) {
            return Ok(()); // already refused for its content
        }
        let has = entries
            .iter()
            .any(|e| e.path == path && matches!(e.kind, Kind::File { .. }));
        let problem =
            |why: String| Rejected::new(Area::Skills, &path, codes::SKILL_FRONTMATTER, why);
        if !has {
            unit.problems
                .push(problem(format!("the skill {folder} has no {SKILL_FILE}")));
            return Ok(());
        }
        let text = match nofollow::read(staging, &path, self.rules.max_file_bytes) {
            Ok(Some((bytes, _))) => String::from_utf8(bytes).ok(),
            Ok(None) | Err(_) => None,
        };
        let Some(text) = text else {
            unit.problems
                .push(problem(format!("{SKILL_FILE} could not be read as text")));
            return Ok(());
        };
        match rules::skill_file(&text, folder) {
            Ok(fm) => unit.skill = Some(fm),
            Err(why) => unit.problems.push(problem(why.into())),
        }
        Ok(())
    }

    /// Compares one allowed staging file with live and runs the content rules
    /// on it when it differs.
    fn examine(
        &self,
        area: Area,
        staging: &Dir,
        live: &Dir,
        path: &str,
        size: u64,
    ) -> io::Result<Examined> {
        let max = self.rules.max_file_bytes;
        let refuse = |code: &'static str, reason: String| {
            Ok(Examined::Refused(Rejected::new(area, path, code, reason)))
        };
        let too_large = || format!("{size} bytes; one file may hold at most {max}");
        if size > max {
            return refuse(codes::TOO_LARGE, too_large());
        }
        let (bytes, mode) = match nofollow::read(staging, path, max) {
            Ok(Some(read)) => read,
            Ok(None) => return refuse(codes::TOO_LARGE, too_large()),
            Err(e) => return refuse(codes::UNREADABLE, format!("could not be read: {e}")),
        };
        let sha = crate::hash::sha256_hex(&bytes);
        let live_state =
            nofollow::state(live, path).map_err(ctx_err(area, path, "inspecting live"))?;
        let before = match live_state {
            State::Absent => None,
            State::File { sha256, .. } if sha256 == sha => return Ok(Examined::Unchanged),
            State::File { sha256, .. } => Some(sha256),
            State::Blocked { at, kind } => {
                return Ok(Examined::Refused(live_blocked(area, path, &at, kind)));
            }
        };
        if mode & 0o111 != 0 {
            return refuse(
                codes::EXECUTABLE,
                "has an execute permission bit set; only plain text is taken".into(),
            );
        }
        let len = bytes.len() as u64;
        let Ok(text) = String::from_utf8(bytes) else {
            return refuse(codes::NOT_UTF8, "is not valid UTF-8 text".into());
        };
        if text.contains('\0') {
            return refuse(codes::NOT_UTF8, "holds NUL bytes, so it is not text".into());
        }
        if area == Area::Memory && path == MEMORY_INDEX {
            let chars = text.chars().count();
            let budget = self.rules.memory_budget_chars;
            if chars > budget {
                return refuse(
                    codes::MEMORY_OVER_BUDGET,
                    format!("{chars} characters; MEMORY.md may hold at most {budget}"),
                );
            }
        }
        if let Some((code, reason)) = (self.check)(&text) {
            return Ok(Examined::Refused(Rejected {
                area,
                path: path.to_string(),
                reason,
                code: Cow::Borrowed(code),
            }));
        }
        Ok(Examined::Changed(Change {
            area,
            path: path.to_string(),
            kind: if before.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Added
            },
            before_sha256: before,
            after_sha256: Some(sha),
            bytes: len,
        }))
    }
}

/// The sha256 of each file, by its path.
type ShaByPath = BTreeMap<String, String>;

/// Hashes the regular files of a live walk that `allowed` accepts.
fn hash_live(
    live: &Dir,
    area: Area,
    listing: &Walk,
    allowed: impl Fn(&str) -> bool,
) -> io::Result<ShaByPath> {
    let mut out = BTreeMap::new();
    for e in &listing.entries {
        if !matches!(e.kind, Kind::File { .. }) || !allowed(&e.path) {
            continue;
        }
        let state =
            nofollow::state(live, &e.path).map_err(ctx_err(area, &e.path, "hashing live"))?;
        if let State::File { sha256, .. } = state {
            out.insert(e.path.clone(), sha256);
        }
    }
    Ok(out)
}

fn deletion(area: Area, path: &str, sha: &str) -> Change {
    Change {
        area,
        path: path.to_string(),
        kind: ChangeKind::Deleted,
        before_sha256: Some(sha.to_string()),
        after_sha256: None,
        bytes: 0,
    }
}

fn refuse_kind(area: Area, path: &str, kind: Kind) -> Rejected {
    if kind == Kind::Symlink {
        Rejected::new(
            area,
            path,
            codes::SYMLINK,
            "a symlink; links are never followed or copied",
        )
    } else {
        Rejected::new(
            area,
            path,
            codes::SPECIAL_FILE,
            format!("{}; only regular files are taken", kind.describe()),
        )
    }
}

fn live_blocked(area: Area, path: &str, at: &str, kind: Kind) -> Rejected {
    let code = match kind {
        Kind::Symlink => codes::SYMLINK,
        Kind::Special => codes::SPECIAL_FILE,
        _ => codes::LIVE_CONFLICT,
    };
    Rejected::new(
        area,
        path,
        code,
        format!(
            "the live folder has {} at {at}, which is never written through or replaced",
            kind.describe()
        ),
    )
}

fn refuse_inner(path: &str, why: SkillPathError) -> Rejected {
    let area = Area::Skills;
    match why {
        SkillPathError::BadName(why) => {
            Rejected::new(area, path, codes::OUTSIDE_ALLOWED_PATHS, why)
        }
        SkillPathError::TooDeep => Rejected::new(
            area,
            path,
            codes::OUTSIDE_ALLOWED_PATHS,
            format!(
                "nested deeper than {} folders inside a skill",
                rules::MAX_SKILL_SUBDIRS
            ),
        ),
        SkillPathError::NotMarkdown(why) => Rejected::new(area, path, codes::NOT_MARKDOWN, why),
    }
}

/// Whether `path` is one of `roots` or inside one.
fn under(path: &str, roots: &[String]) -> bool {
    roots.iter().any(|r| {
        path == r || (path.starts_with(r.as_str()) && path.as_bytes().get(r.len()) == Some(&b'/'))
    })
}

/// Folders entered in a skills tree: generated skill folders, and folders
/// inside them within the depth the rules allow.
fn skill_descend(path: &str) -> bool {
    match path.split_once('/') {
        None => rules::skill_folder(path).is_ok(),
        Some((_, inner)) => rules::skill_inner_dir(inner).is_ok(),
    }
}

fn top(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

fn ctx_err<'a>(
    area: Area,
    path: &'a str,
    what: &'a str,
) -> impl FnOnce(io::Error) -> io::Error + 'a {
    move |e| {
        let shown = if path.is_empty() { "." } else { path };
        io::Error::new(e.kind(), format!("{what} {area}/{shown}: {e}"))
    }
}
