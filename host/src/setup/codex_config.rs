//! Edits to Codex's `config.toml` through toml_edit, which keeps the user's comments,
//! order and spacing. Two things toml_edit normalises are put back by hand: CRLF line
//! endings and a missing final newline.

use std::path::Path;

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

use super::SetupError;
use super::record::TomlChange;

pub(super) struct ConfigDoc {
    doc: DocumentMut,
    crlf: bool,
    final_newline: bool,
}

/// What setting one key did.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SetOutcome {
    AlreadySet,
    Added,
    /// The previous value, as TOML source.
    Changed(String),
    /// A table on the way is something else (a string, an array of tables…).
    Blocked(String),
}

/// What undoing one key did.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RevertOutcome {
    Removed,
    Restored,
    /// It no longer holds the value setup wrote: the user's now.
    Kept,
}

impl ConfigDoc {
    pub(super) fn parse(path: &Path, text: &str) -> Result<ConfigDoc, SetupError> {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            let at = e.span().map_or(0, |s| s.start);
            SetupError::MalformedConfig {
                path: path.to_path_buf(),
                line: text[..at.min(text.len())].matches('\n').count() + 1,
                message: e.message().trim().to_string(),
            }
        })?;
        let lf = text.matches('\n').count();
        Ok(ConfigDoc {
            doc,
            crlf: lf > 0 && text.matches("\r\n").count() == lf,
            final_newline: text.is_empty() || text.ends_with('\n'),
        })
    }

    pub(super) fn render(&self) -> String {
        let mut out = self.doc.to_string();
        if self.crlf {
            out = out.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        if !self.final_newline {
            let trimmed = out.strip_suffix('\n').unwrap_or(&out);
            out = trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string();
        }
        out
    }

    pub(super) fn is_blank(&self) -> bool {
        self.render().trim().is_empty()
    }

    /// The keys of the table at `table` (none when it is missing or not a table).
    pub(super) fn keys(&self, table: &[&str]) -> Vec<String> {
        let mut item = self.doc.as_item();
        for name in table {
            match item.as_table_like().and_then(|t| t.get(name)) {
                Some(next) => item = next,
                None => return Vec::new(),
            }
        }
        item.as_table_like()
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default()
    }

    /// The value at `table.key`, if there is one.
    pub(super) fn get(&self, table: &[&str], key: &str) -> Option<&Value> {
        let mut item = self.doc.as_item();
        for name in table {
            item = item.as_table_like()?.get(name)?;
        }
        item.as_table_like()?.get(key)?.as_value()
    }

    /// Sets `table.key = value`, creating the tables on the way. Returns the outcome and
    /// the tables it created.
    pub(super) fn set(
        &mut self,
        table: &[String],
        key: &str,
        value: &Value,
    ) -> (SetOutcome, Vec<Vec<String>>) {
        let mut created = Vec::new();
        let mut item = self.doc.as_item_mut();
        for (depth, name) in table.iter().enumerate() {
            let inline = item.is_inline_table();
            let Some(t) = item.as_table_like_mut() else {
                return (SetOutcome::Blocked(dotted(&table[..depth])), created);
            };
            if t.get(name).is_none() {
                // Parents only exist to hold the table below: no `[marketplaces]` header.
                t.insert(name, new_table(inline, depth + 1 < table.len()));
                created.push(table[..=depth].to_vec());
            }
            item = t.get_mut(name).expect("just ensured");
        }
        let Some(t) = item.as_table_like_mut() else {
            return (SetOutcome::Blocked(dotted(table)), created);
        };
        let outcome = match t.get_mut(key) {
            None => {
                t.insert(key, Item::Value(value.clone()));
                SetOutcome::Added
            }
            Some(Item::Value(old)) if same(old, value) => SetOutcome::AlreadySet,
            Some(Item::Value(old)) => {
                let from = source(old);
                let mut new = value.clone();
                *new.decor_mut() = old.decor().clone();
                *old = new;
                SetOutcome::Changed(from)
            }
            Some(_) => SetOutcome::Blocked(format!("{}.{key}", dotted(table))),
        };
        (outcome, created)
    }

    /// Undoes one recorded change, unless the value was changed since.
    pub(super) fn revert(&mut self, change: &TomlChange) -> RevertOutcome {
        let ours = parse_value(&change.value);
        let table = self.table_mut(&change.table);
        let current = table.and_then(|t| t.get_mut(&change.key));
        match (current, &change.previous) {
            (None, None) => RevertOutcome::Removed,
            (None, Some(previous)) => {
                // Gone (`codex plugin remove` drops whole tables): put the old value back.
                self.set(&change.table, &change.key, &parse_value(previous));
                RevertOutcome::Restored
            }
            (Some(Item::Value(v)), previous) if same(v, &ours) => match previous {
                None => {
                    if let Some(t) = self.table_mut(&change.table) {
                        t.remove(&change.key);
                    }
                    RevertOutcome::Removed
                }
                Some(previous) => {
                    let mut old = parse_value(previous);
                    *old.decor_mut() = v.decor().clone();
                    *v = old;
                    RevertOutcome::Restored
                }
            },
            (Some(_), _) => RevertOutcome::Kept,
        }
    }

    /// Removes the table at `path` if it holds nothing; returns whether it did.
    pub(super) fn remove_if_empty(&mut self, path: &[String]) -> bool {
        let Some((name, parent)) = path.split_last() else {
            return false;
        };
        let Some(parent) = self.table_mut(parent) else {
            return false;
        };
        let empty = parent
            .get(name)
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.is_empty());
        if empty {
            parent.remove(name);
        }
        empty
    }

    fn table_mut(&mut self, path: &[String]) -> Option<&mut dyn toml_edit::TableLike> {
        let mut item = self.doc.as_item_mut();
        for name in path {
            item = item.as_table_like_mut()?.get_mut(name)?;
        }
        item.as_table_like_mut()
    }
}

fn new_table(inline: bool, implicit: bool) -> Item {
    if inline {
        Item::Value(Value::InlineTable(InlineTable::new()))
    } else {
        let mut t = Table::new();
        t.set_implicit(implicit);
        Item::Table(t)
    }
}

/// Same TOML value, however it is spelled (`'x'` and `"x"` are the same string).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        _ => source(a) == source(b),
    }
}

/// A value's TOML source without the whitespace and comments around it.
pub(super) fn source(v: &Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    v.to_string()
}

fn parse_value(text: &str) -> Value {
    text.parse()
        .unwrap_or_else(|_| Value::from(text.to_string()))
}

/// `a.b."c@d"`, as a table header would say it.
pub(super) fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|k| toml_edit::Key::new(k.as_str()).to_string())
        .collect::<Vec<_>>()
        .join(".")
}
