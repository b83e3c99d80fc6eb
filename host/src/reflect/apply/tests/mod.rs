//! End-to-end tests in temp dirs: real files, real symlinks and fifos.

mod commit_revert;
mod crash;
mod gate;
mod notes;
mod plan_memory;
mod plan_skills;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use tempfile::TempDir;

use super::{ApplyError, Committed, Plan, Rejected, Reverted, Rules};

pub const LIVE_MEM: &str = "live/memory";
pub const STAGE_MEM: &str = "staging/memory";
pub const LIVE_SKILLS: &str = "live/skills";
pub const STAGE_SKILLS: &str = "staging/skills";
pub const BACKUP: &str = "backup";

/// Flags AWS-style access key ids, like the project's secret scanner would.
pub fn check(text: &str) -> Option<(&'static str, String)> {
    if text.contains("AKIA") {
        return Some(("secret", "looks like an AWS access key id".to_string()));
    }
    if text.contains("ignore previous instructions") {
        return Some((
            "prompt-injection",
            "tells the model to ignore its instructions".into(),
        ));
    }
    None
}

pub fn sha(bytes: &[u8]) -> String {
    crate::hash::sha256_hex(bytes)
}

pub fn skill_md(name: &str, description: &str, body: &str) -> String {
    format!("---\nname: {name}\ndescription: {description}\n---\n{body}")
}

/// Five folders laid out like a job's: live and staging for each area, and
/// a fresh backup folder.
pub struct Fx {
    pub tmp: TempDir,
    pub rules: Rules,
}

impl Fx {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        for d in [LIVE_MEM, STAGE_MEM, LIVE_SKILLS, STAGE_SKILLS, BACKUP] {
            fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        Fx {
            tmp,
            rules: Rules::default(),
        }
    }

    pub fn p(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    pub fn dir(&self, rel: &str) -> Dir {
        Dir::open_ambient_dir(self.p(rel), ambient_authority()).unwrap()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.p(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    /// Writes the same file in live and staging.
    pub fn both(&self, area_rel: &str, content: &str) {
        let (live, staging) = if area_rel.starts_with("csep-") || area_rel.starts_with("my-") {
            (LIVE_SKILLS, STAGE_SKILLS)
        } else {
            (LIVE_MEM, STAGE_MEM)
        };
        self.write(&format!("{live}/{area_rel}"), content);
        self.write(&format!("{staging}/{area_rel}"), content);
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.p(rel)).unwrap()
    }

    pub fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.p(rel)).is_ok()
    }

    pub fn mode(&self, rel: &str) -> u32 {
        fs::symlink_metadata(self.p(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    pub fn plan(&self) -> Plan {
        super::plan(
            &self.dir(LIVE_MEM),
            &self.dir(STAGE_MEM),
            &self.dir(LIVE_SKILLS),
            &self.dir(STAGE_SKILLS),
            &self.rules,
            &check,
        )
        .unwrap()
    }

    pub fn commit(&self, plan: &Plan) -> Result<Committed, ApplyError> {
        super::commit(
            plan,
            &self.dir(LIVE_MEM),
            &self.dir(STAGE_MEM),
            &self.dir(LIVE_SKILLS),
            &self.dir(STAGE_SKILLS),
            &self.dir(BACKUP),
        )
    }

    pub fn revert(&self, committed: &Committed) -> Result<Reverted, ApplyError> {
        super::revert(
            committed,
            &self.dir(LIVE_MEM),
            &self.dir(LIVE_SKILLS),
            &self.dir(BACKUP),
        )
    }

    /// Everything under `live/`: file bytes and modes, folders, symlink targets.
    pub fn live_snapshot(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        snapshot(&self.p("live"), "", &mut out);
        out
    }
}

fn snapshot(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = format!("{prefix}/{}", e.file_name().to_string_lossy());
        let meta = fs::symlink_metadata(e.path()).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_symlink() {
            let target = fs::read_link(e.path()).unwrap();
            out.insert(name, format!("link {}", target.display()));
        } else if meta.is_dir() {
            out.insert(name.clone(), format!("dir {mode:o}"));
            snapshot(&e.path(), &name, out);
        } else if meta.is_file() {
            out.insert(
                name,
                format!("file {mode:o} {}", sha(&fs::read(e.path()).unwrap())),
            );
        } else {
            out.insert(name, "special".into());
        }
    }
}

/// The one rejection at `path`, failing with the whole plan shown otherwise.
pub fn rejection<'p>(plan: &'p Plan, path: &str) -> &'p Rejected {
    let found: Vec<&Rejected> = plan.rejected.iter().filter(|r| r.path == path).collect();
    assert_eq!(
        found.len(),
        1,
        "one rejection at {path:?} expected in {plan:#?}"
    );
    found[0]
}

/// Plans, asserts nothing was accepted and `path` was refused with `code`,
/// commits the (empty) plan, and asserts live did not change.
pub fn assert_refused(fx: &Fx, path: &str, code: &str) -> Plan {
    let before = fx.live_snapshot();
    let plan = fx.plan();
    assert!(
        plan.accepted.is_empty(),
        "nothing should be accepted: {plan:#?}"
    );
    let r = rejection(&plan, path);
    assert_eq!(r.code, code, "{r:#?}");
    assert!(!r.reason.is_empty());
    let committed = fx.commit(&plan).unwrap();
    assert!(committed.files.is_empty());
    assert_eq!(fx.live_snapshot(), before, "live must be untouched");
    plan
}
