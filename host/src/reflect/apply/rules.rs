//! Which paths and names a job may write, and what a SKILL.md must start with.
//! Pure functions on strings: nothing here touches the filesystem.

use super::Area;

/// Folders in the skills root with this prefix are generated; everything else
/// there belongs to the user.
pub const SKILL_PREFIX: &str = "csep-reflect-";

pub const MEMORY_INDEX: &str = "MEMORY.md";
pub const REFS: &str = "refs";
pub const SKILL_FILE: &str = "SKILL.md";

/// Longest name component, in bytes.
const MAX_NAME_BYTES: usize = 128;
/// Longest kebab part of a skill folder name.
const MAX_KEBAB: usize = 64;
/// Subfolders allowed inside a skill folder, counting from it.
pub const MAX_SKILL_SUBDIRS: usize = 2;
/// Codex drops skills whose description is longer, or spans lines.
const MAX_DESCRIPTION_CHARS: usize = 500;

/// A name a person would recognise and no tool would treat specially: no
/// leading dot (hidden, `.`/`..`, our temp files), no control or
/// direction-changing characters (which can disguise a name on screen), no
/// backslash.
pub fn plain_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!("name longer than {MAX_NAME_BYTES} bytes"));
    }
    if name.starts_with('.') {
        return Err(format!("{name:?} starts with a dot"));
    }
    if let Some(c) = name.chars().find(|&c| c.is_control() || invisible(c)) {
        return Err(format!("{name:?} holds the character U+{:04X}", c as u32));
    }
    if name.contains('\\') {
        return Err(format!("{name:?} holds a backslash"));
    }
    Ok(())
}

fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn markdown_name(name: &str) -> bool {
    name.len() > 3 && name.ends_with(".md")
}

/// Memory files: `MEMORY.md`, or `refs/**/<name>.md` with plain components.
pub fn memory_file(path: &str) -> Result<(), String> {
    if path == MEMORY_INDEX {
        return Ok(());
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 || parts[0] != REFS {
        return Err(format!(
            "only {MEMORY_INDEX} and markdown files under {REFS}/ may be written"
        ));
    }
    for p in &parts[1..] {
        plain_name(p)?;
    }
    if !markdown_name(parts[parts.len() - 1]) {
        return Err(format!("files under {REFS}/ must end in .md"));
    }
    Ok(())
}

/// Memory folders: `refs` and plain-named folders below it.
pub fn memory_dir(path: &str) -> Result<(), String> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts[0] != REFS {
        return Err(format!("only the folder {REFS}/ may be created"));
    }
    parts[1..].iter().try_for_each(|p| plain_name(p))
}

/// `csep-reflect-<kebab>`: lowercase ascii letters and digits in words joined
/// by single hyphens, 1..=64 characters after the prefix.
pub fn skill_folder(name: &str) -> Result<(), String> {
    let Some(kebab) = name.strip_prefix(SKILL_PREFIX) else {
        return Err(format!(
            "{name:?} is not a generated skill folder (names start with {SKILL_PREFIX})"
        ));
    };
    let ok = !kebab.is_empty()
        && kebab.len() <= MAX_KEBAB
        && kebab.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must be {SKILL_PREFIX} followed by 1 to {MAX_KEBAB} lowercase letters, digits and single hyphens"
        ))
    }
}

/// What is wrong with a path inside a skill folder (relative to it).
pub enum SkillPathError {
    BadName(String),
    TooDeep,
    NotMarkdown(String),
}

/// Folders inside a skill: plain names, at most [`MAX_SKILL_SUBDIRS`] deep.
pub fn skill_inner_dir(inner: &str) -> Result<(), SkillPathError> {
    let parts: Vec<&str> = inner.split('/').collect();
    if parts.len() > MAX_SKILL_SUBDIRS {
        return Err(SkillPathError::TooDeep);
    }
    parts
        .iter()
        .try_for_each(|p| plain_name(p))
        .map_err(SkillPathError::BadName)
}

/// Files inside a skill: SKILL.md at its top, and `*.md` files when extra
/// markdown is allowed. Scripts and binaries never: the client may run them.
pub fn skill_inner_file(inner: &str, allow_extra_markdown: bool) -> Result<(), SkillPathError> {
    let parts: Vec<&str> = inner.split('/').collect();
    if parts.len() > MAX_SKILL_SUBDIRS + 1 {
        return Err(SkillPathError::TooDeep);
    }
    parts
        .iter()
        .try_for_each(|p| plain_name(p))
        .map_err(SkillPathError::BadName)?;
    if inner == SKILL_FILE {
        return Ok(());
    }
    if !markdown_name(parts[parts.len() - 1]) {
        return Err(SkillPathError::NotMarkdown(
            "only markdown (.md) files may be placed in a skill".into(),
        ));
    }
    if !allow_extra_markdown {
        return Err(SkillPathError::NotMarkdown(format!(
            "only {SKILL_FILE} is allowed in a skill"
        )));
    }
    Ok(())
}

/// Whether a committed path is one a job may touch at all (checked again on
/// commit and revert, since plans and receipts are plain data).
pub fn target(area: Area, path: &str) -> Result<(), String> {
    match area {
        Area::Memory => memory_file(path),
        Area::Skills => {
            let (folder, inner) = path
                .split_once('/')
                .ok_or_else(|| "a skill file must be inside a skill folder".to_string())?;
            skill_folder(folder)?;
            inner
                .split('/')
                .try_for_each(plain_name)
                .map_err(|e| format!("{path}: {e}"))
        }
    }
}

/// Whether a committed path may receive new content: [`target`], and for
/// skills only the markdown files a plan could have accepted.
pub fn write_target(area: Area, path: &str) -> Result<(), String> {
    target(area, path)?;
    if area == Area::Skills {
        let inner = path.split_once('/').map_or("", |(_, i)| i);
        skill_inner_file(inner, true).map_err(|e| match e {
            SkillPathError::BadName(why) | SkillPathError::NotMarkdown(why) => why,
            SkillPathError::TooDeep => "nested too deep inside a skill".into(),
        })?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontmatter {
    pub name: String,
    pub description: String,
    /// Everything after the closing `---`.
    pub body: String,
}

/// Reads the `---` block at the very top of a SKILL.md. Only top-level
/// `key: value` lines are looked at; `name` and `description` must be plain
/// or quoted single-line values, as the client requires.
pub fn frontmatter(text: &str) -> Result<Frontmatter, String> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if trim_eol(first) != "---" {
        return Err("SKILL.md must start with a '---' line opening the frontmatter".into());
    }
    let mut offset = first.len();
    let mut name = None;
    let mut description = None;
    let mut closed = false;
    for line in lines {
        offset += line.len();
        let line = trim_eol(line);
        if line == "---" {
            closed = true;
            break;
        }
        if line.starts_with([' ', '\t', '#']) || line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let slot = match key.trim() {
            "name" => &mut name,
            "description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("'{}' is given twice", key.trim()));
        }
        *slot = Some(scalar(value.trim()).map_err(|e| format!("'{}': {e}", key.trim()))?);
    }
    if !closed {
        return Err("the frontmatter has no closing '---' line".into());
    }
    let name = name.ok_or("the frontmatter has no 'name:'")?;
    let description = description.ok_or("the frontmatter has no 'description:'")?;
    if description.trim().is_empty() {
        return Err("'description:' is empty".into());
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "'description:' is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    Ok(Frontmatter {
        name,
        description,
        body: text[offset..].to_string(),
    })
}

fn trim_eol(line: &str) -> &str {
    line.trim_end_matches('\n').trim_end_matches('\r')
}

/// A one-line YAML scalar: plain, or wrapped in matching quotes. Block
/// scalars (`|`, `>`) are refused rather than half-parsed.
fn scalar(v: &str) -> Result<String, String> {
    if v.starts_with(['|', '>']) {
        return Err("must be a single-line value, not a block".into());
    }
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest
                .strip_suffix(q)
                .map(str::to_string)
                .ok_or_else(|| "has an unclosed quote".to_string());
        }
    }
    // A plain value ends where a YAML comment starts.
    Ok(v.split(" #").next().unwrap_or("").trim().to_string())
}

/// Checks a skill's SKILL.md against its folder name.
pub fn skill_file(text: &str, folder: &str) -> Result<Frontmatter, String> {
    let fm = frontmatter(text)?;
    if fm.name != folder {
        return Err(format!(
            "'name: {}' must equal the folder name {folder}",
            fm.name
        ));
    }
    Ok(fm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(plain_name("a.md").is_ok());
        assert!(plain_name("café.md").is_ok());
        for bad in [
            "",
            ".hidden.md",
            "..",
            "..x.md",
            "a\nb.md",
            "a\u{202E}dm.exe",
            "a\\b.md",
        ] {
            assert!(plain_name(bad).is_err(), "{bad:?}");
        }
        assert!(plain_name(&"a".repeat(129)).is_err());
    }

    #[test]
    fn memory_paths() {
        assert!(memory_file("MEMORY.md").is_ok());
        assert!(memory_file("refs/a.md").is_ok());
        assert!(memory_file("refs/x/y/z.md").is_ok());
        for bad in [
            "memory.md",
            "refs/a.txt",
            "refs/.md",
            "notes/a.md",
            "refs",
            "refs/.a.md",
            "x.md",
        ] {
            assert!(memory_file(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn skill_folders() {
        assert!(skill_folder("csep-reflect-a").is_ok());
        assert!(skill_folder("csep-reflect-run-tests-2").is_ok());
        assert!(skill_folder(&format!("csep-reflect-{}", "a".repeat(64))).is_ok());
        for bad in [
            "my-skill",
            "csep-reflect-",
            "csep-reflect-A",
            "csep-reflect--a",
            "csep-reflect-a-",
            "csep-reflect-a_b",
            "csep-reflect-a--b",
        ] {
            assert!(skill_folder(bad).is_err(), "{bad:?}");
        }
        assert!(skill_folder(&format!("csep-reflect-{}", "a".repeat(65))).is_err());
    }

    #[test]
    fn frontmatter_rules() {
        let ok = "---\nname: csep-reflect-x\ndescription: \"Does x: well\"\n---\n# Body\n";
        let fm = skill_file(ok, "csep-reflect-x").unwrap();
        assert_eq!(fm.description, "Does x: well");
        assert_eq!(fm.body, "# Body\n");
        assert!(
            skill_file(ok, "csep-reflect-y")
                .unwrap_err()
                .contains("must equal")
        );
        let cases = [
            ("# no frontmatter\n", "must start"),
            ("\n---\nname: a\n---\n", "must start"),
            ("---\nname: csep-reflect-x\n", "closing"),
            ("---\nname: csep-reflect-x\n---\n", "no 'description:'"),
            ("---\nname: csep-reflect-x\ndescription:   \n---\n", "empty"),
            (
                "---\nname: csep-reflect-x\ndescription: |\n  a\n---\n",
                "single-line",
            ),
            ("---\nname: a\nname: b\ndescription: d\n---\n", "twice"),
        ];
        for (text, want) in cases {
            let err = skill_file(text, "csep-reflect-x").unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let crlf = "---\r\nname: csep-reflect-x\r\ndescription: d\r\n---\r\nbody";
        assert!(skill_file(crlf, "csep-reflect-x").is_ok());
    }
}
