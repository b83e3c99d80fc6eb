//! SKILL.md frontmatter, reached through `csep::reflect::apply::plan`: the input
//! is the SKILL.md of a new generated skill.
//!
//! Properties: the file is either accepted or refused, never both or neither;
//! an accepted one opens and closes a `---` block naming its folder and holding
//! a one-line description.
#![no_main]

#[path = "common/tree.rs"]
mod tree;

use csep::reflect::apply::{self, Rules};
use libfuzzer_sys::fuzz_target;

const FOLDER: &str = "csep-reflect-fuzz";

fuzz_target!(|data: &[u8]| {
    let t = tree::Tree::new();
    let folder = t.path("staging/skills").join(FOLDER);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("SKILL.md"), data).unwrap();
    let d = t.dirs();
    let plan = apply::plan(
        &d.live_memory,
        &d.staging_memory,
        &d.live_skills,
        &d.staging_skills,
        &Rules::default(),
        &|_: &str| None,
    )
    .expect("planning one file");
    let path = format!("{FOLDER}/SKILL.md");
    let accepted = plan.accepted.iter().any(|c| c.path == path);
    let refused = plan.rejected.iter().any(|r| r.path == path);
    assert!(
        accepted != refused,
        "accepted {accepted}, refused {refused}: {plan:?}"
    );
    if !accepted {
        return;
    }
    let text = std::str::from_utf8(data).expect("an accepted SKILL.md is UTF-8");
    // Lines as the host reads them: cut at '\n', trailing '\r's dropped.
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    assert_eq!(lines.next(), Some("---"));
    let mut closed = false;
    let mut block = Vec::new();
    for l in lines {
        if l == "---" {
            closed = true;
            break;
        }
        block.push(l);
    }
    assert!(closed, "no closing line");
    let value = |key: &str| {
        block
            .iter()
            .filter(|l| !l.starts_with([' ', '\t', '#']))
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
    };
    let name = value("name").expect("an accepted SKILL.md has a name");
    assert!(name.contains(FOLDER), "name {name:?} is not the folder's");
    let description = value("description").expect("an accepted SKILL.md has a description");
    assert!(!description.trim_matches(['"', '\'']).trim().is_empty());
});
