//! Generated skills on disk for each client, with how often recall saw them used.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::client::Client;
use crate::home::Home;
use crate::recall::Store;
use crate::reflect::material::{SKILL_PREFIX, skills_path};
use crate::timefmt::rfc3339;

#[derive(Debug, Default, Serialize)]
pub struct GeneratedSkills {
    pub skills: Vec<SkillUse>,
    /// Names of generated skills no session has used yet.
    pub never_used: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SkillUse {
    pub client: Client,
    pub name: String,
    pub path: PathBuf,
    pub sessions_used: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
}

pub(super) fn collect(home: &Home) -> GeneratedSkills {
    let uses: HashMap<String, (i64, Option<u64>)> = Store::open_readonly(&home.recall_db())
        .ok()
        .flatten()
        .and_then(|s| s.skill_uses().ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, n, at)| (name, (n, at)))
        .collect();
    let mut out = GeneratedSkills::default();
    for client in Client::ALL {
        let Some(dir) = skills_path(client) else {
            continue;
        };
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(SKILL_PREFIX))
            .collect();
        names.sort();
        for name in names {
            let (sessions, last) = uses.get(&name).copied().unwrap_or((0, None));
            if sessions == 0 {
                out.never_used.push(name.clone());
            }
            out.skills.push(SkillUse {
                client,
                path: dir.join(&name),
                name,
                sessions_used: sessions,
                last_used: last.map(rfc3339),
            });
        }
    }
    out
}
