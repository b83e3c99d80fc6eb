//! `csep config migrate`: the original's `config.toml` rewritten in this project's
//! form, by editing the document (toml_edit) so that what the user wrote around the
//! keys survives: this project's sections stay as they are, a carried-over key keeps
//! the comments it had, and every key without a counterpart is listed in a comment
//! at the end with what happens instead.

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::config::Invalid;
use crate::config_v2::{self, Note, NoteKind, SchemaError};

/// Why the original's file could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("{}", .0.to_string().trim())]
    Toml(#[from] toml::de::Error),
    #[error("{}", .0.to_string().trim())]
    Edit(#[from] toml_edit::TomlError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("an empty key")]
    EmptyKey,
    #[error("`{0}` is not a table")]
    NotATable(String),
    #[error("the rewritten file is not valid: {0}")]
    Invalid(#[source] Invalid),
}

/// The rewritten file and the notes, or `None` when the file is already in this
/// project's form.
pub fn rewrite(text: &str) -> Result<Option<(String, Vec<Note>)>, RewriteError> {
    let table: toml::Table = text.parse()?;
    let Some(translation) = config_v2::translate_if_original(&table)? else {
        return Ok(None);
    };
    let mut doc: DocumentMut = text.parse()?;
    // The file's opening comment sits before its first key or table.
    let header = leading_comment(&doc);
    let mut carried = Vec::new();
    for note in translation
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Applied)
    {
        let Some(target) = &note.target else { continue };
        let Some(value) = lookup(&translation.table, target) else {
            continue;
        };
        let (prefix, suffix) = decor_of(&doc, &note.key);
        carried.push((
            target.clone(),
            value.clone(),
            prefix,
            suffix,
            note.key.clone(),
        ));
    }
    for key in [
        "schema_version",
        "session_reflection",
        "session_recall",
        "log",
    ] {
        doc.remove(key);
    }
    for (target, value, prefix, suffix, from) in carried {
        set(&mut doc, &target, &value, prefix, suffix, &from)?;
    }
    if let Some(h) = header {
        doc.decor_mut().set_prefix(h);
    }
    let unmapped: Vec<&Note> = translation
        .notes
        .iter()
        .filter(|n| n.kind != NoteKind::Applied)
        .collect();
    let mut trailing = String::new();
    if !unmapped.is_empty() {
        trailing.push_str(
            "\n# From the original tool's config, with no counterpart here (kept for reference):\n",
        );
        for n in unmapped {
            let was = lookup(&table, &n.key)
                .map(|v| format!(" = {v}"))
                .unwrap_or_default();
            trailing.push_str(&format!("# {}{was}: {}\n", n.key, n.effect));
        }
    }
    doc.set_trailing(trailing);
    let out = doc.to_string();
    crate::config::Config::parse(&out).map_err(RewriteError::Invalid)?;
    Ok(Some((out, translation.notes)))
}

fn lookup<'a>(t: &'a toml::Table, dotted: &str) -> Option<&'a toml::Value> {
    let mut at = t;
    let parts: Vec<&str> = dotted.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        let v = at.get(*p)?;
        if i + 1 == parts.len() {
            return Some(v);
        }
        at = v.as_table()?;
    }
    None
}

fn leading_comment(doc: &DocumentMut) -> Option<String> {
    let root = doc.as_table();
    let first_key_prefix = root
        .iter()
        .next()
        .and_then(|(k, _)| root.key(k))
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .map(str::to_string);
    let from_table = root.iter().find_map(|(_, item)| {
        item.as_table()
            .and_then(|t| t.decor().prefix())
            .and_then(|p| p.as_str())
            .map(str::to_string)
    });
    first_key_prefix
        .filter(|p| p.contains('#'))
        .or(from_table.filter(|p| p.contains('#')))
}

/// The comment lines before a key of the original's file and the comment after it.
fn decor_of(doc: &DocumentMut, dotted: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = dotted.split('.').collect();
    let Some((leaf, parents)) = parts.split_last() else {
        return (None, None);
    };
    let mut at: &Table = doc.as_table();
    for p in parents {
        match at.get(p).and_then(Item::as_table) {
            Some(t) => at = t,
            None => return (None, None),
        }
    }
    let prefix = at
        .key(leaf)
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .filter(|p| p.contains('#'))
        .map(str::to_string);
    let suffix = at
        .get(leaf)
        .and_then(Item::as_value)
        .and_then(|v| v.decor().suffix())
        .and_then(|s| s.as_str())
        .filter(|s| s.contains('#'))
        .map(str::to_string);
    (prefix, suffix)
}

fn set(
    doc: &mut DocumentMut,
    dotted: &str,
    value: &toml::Value,
    prefix: Option<String>,
    suffix: Option<String>,
    from: &str,
) -> Result<(), RewriteError> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let (leaf, parents) = parts.split_last().ok_or(RewriteError::EmptyKey)?;
    let mut at: &mut Table = doc.as_table_mut();
    for (i, p) in parents.iter().enumerate() {
        if !at.contains_key(p) {
            let mut t = Table::new();
            // `[policy]` with only `[policy.settings]` under it needs no header.
            t.set_implicit(i + 1 < parents.len());
            at.insert(p, Item::Table(t));
        }
        at = at
            .get_mut(p)
            .and_then(Item::as_table_mut)
            .ok_or_else(|| RewriteError::NotATable(p.to_string()))?;
    }
    if at.contains_key(leaf) {
        return Ok(()); // set in this project's form already; it wins
    }
    let mut v: Value = value.to_string().parse()?;
    let suffix = suffix.unwrap_or_else(|| format!("  # was {from}"));
    v.decor_mut().set_suffix(suffix);
    v.decor_mut().set_prefix(" ");
    at.insert(leaf, Item::Value(v));
    if let (Some(p), Some(mut k)) = (prefix, at.key_mut(leaf)) {
        k.leaf_decor_mut().set_prefix(p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "# ~/.codex-self-evolution/config.toml\nschema_version = 2\n\n\
        [session_reflection]\nenabled = true\nmodel = \"gpt-5.3-codex-spark\"\nsandbox = \"danger-full-access\"\n\n\
        [session_reflection.trigger]\n# reflect less often\nmemory_stop_interval = 5 # my choice\n\n\
        [session_recall]\nenabled = true\n\n[sandbox]\nmemory_mib = 32 # mine\n";

    #[test]
    fn the_rewrite_keeps_values_and_comments_and_is_this_projects_form() {
        let (out, notes) = rewrite(ORIGINAL).unwrap().unwrap();
        assert!(
            out.starts_with("# ~/.codex-self-evolution/config.toml"),
            "{out}"
        );
        assert!(
            out.contains("memory_stop_interval = 5 # my choice"),
            "{out}"
        );
        assert!(out.contains("# reflect less often"), "{out}");
        assert!(out.contains("memory_mib = 32 # mine"), "{out}");
        assert!(
            out.contains("# session_reflection.sandbox = \"danger-full-access\""),
            "{out}"
        );
        assert!(!out.contains("schema_version"), "{out}");
        assert!(
            notes
                .iter()
                .any(|n| n.key.ends_with("memory_stop_interval"))
        );
        let c = crate::config::Config::parse(&out).unwrap();
        assert_eq!(c.provider.model.as_deref(), Some("gpt-5.3-codex-spark"));
        assert!(
            rewrite(&out).unwrap().is_none(),
            "a second run has nothing to do"
        );
    }
}
