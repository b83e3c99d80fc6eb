//! csep's hooks in Claude Code's `settings.json`, spliced into the text so that the
//! user's key order, indentation and spacing stay exactly as they were, and spliced out
//! again at uninstall. New text follows the file's own indentation (two spaces if none).
//!
//! serde_json's `preserve_order` is not used: it changes every map in the binary,
//! including the key-sorted JSON that Codex's trust hash is computed over.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::EntryStatus::{self, Added, AlreadySet, Changed, Kept, Removed, Skipped};
use super::SetupError;
use super::json_spans::{self, Node};
use super::record::JsonEdit;

/// Checks that `text` is JSON with an object at the top.
pub(super) fn check(path: &Path, text: &str) -> Result<(), SetupError> {
    let malformed = |line, message| SetupError::MalformedConfig {
        path: path.to_path_buf(),
        line,
        message,
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| malformed(e.line(), e.to_string()))?;
    if !value.is_object() {
        return Err(malformed(1, "the top level is not a JSON object".into()));
    }
    Ok(())
}

/// Whether the top-level object has no members left.
pub(super) fn is_empty(text: &str) -> bool {
    root(text).item_spans().is_empty()
}

/// `settings.disableAllHooks == true`.
pub(super) fn all_hooks_disabled(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v["disableAllHooks"] == true)
}

fn root(text: &str) -> Node {
    json_spans::parse(text).expect("checked JSON")
}

fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// Adds `group` to `hooks.<event>` unless a csep command for the same hook is already
/// there. A group setup added earlier with another command (csep moved) is updated in
/// place. New splices are appended to `edits`.
pub(super) fn add_hook(
    text: &mut String,
    event: &str,
    group: &Value,
    edits: &mut Vec<JsonEdit>,
) -> EntryStatus {
    let ours = first_command(group).unwrap_or_default();
    let doc = root(text);
    let Some((_, hooks)) = doc.member("hooks") else {
        let mut value = serde_json::Map::new();
        value.insert(event.into(), Value::Array(vec![group.clone()]));
        let value = Value::Object(value);
        let was_empty = insert(text, &doc, Some("hooks"), &value);
        edits.push(JsonEdit::Member {
            path: vec![],
            key: "hooks".into(),
            was_empty,
        });
        edits.push(JsonEdit::Member {
            path: path(&["hooks"]),
            key: event.into(),
            was_empty: None,
        });
        edits.push(element(event, group, None));
        return Added;
    };
    if !matches!(hooks.value, Node::Object { .. }) {
        return Skipped("`hooks` in settings.json is not an object; csep leaves it alone".into());
    }
    let Some((_, list)) = hooks.value.member(event) else {
        let was_empty = insert(text, &hooks.value, Some(event), &serde_json::json!([group]));
        edits.push(JsonEdit::Member {
            path: path(&["hooks"]),
            key: event.into(),
            was_empty,
        });
        edits.push(element(event, group, None));
        return Added;
    };
    let Node::Array { items, .. } = &list.value else {
        return Skipped(format!(
            "`hooks.{event}` in settings.json is not a list; csep leaves it alone"
        ));
    };
    let values: Vec<Value> = items
        .iter()
        .map(|n| serde_json::from_str(&text[n.span()]).unwrap_or_default())
        .collect();
    if values.contains(group) {
        return AlreadySet;
    }
    // A group setup added before, with an older command: point it at this csep.
    let earlier = edits.iter_mut().find_map(|e| match e {
        JsonEdit::Element { path: p, value, .. }
            if *p == path(&["hooks", event]) && values.contains(value) =>
        {
            Some(value)
        }
        _ => None,
    });
    if let Some(earlier) = earlier {
        let k = values.iter().position(|v| v == earlier).expect("contained");
        let from = first_command(earlier).unwrap_or_default();
        let span = items[k].span();
        let indent = line_indent(text, span.start).to_string();
        let new = render(group, &style(text), Some(&indent));
        text.replace_range(span, &new);
        *earlier = group.clone();
        return Changed { from };
    }
    let equivalent = values
        .iter()
        .flat_map(commands)
        .any(|c| same_csep_hook(&c, &ours));
    if equivalent {
        return AlreadySet;
    }
    let was_empty = insert(text, &list.value, None, group);
    edits.push(element(event, group, was_empty));
    Added
}

fn element(event: &str, group: &Value, was_empty: Option<String>) -> JsonEdit {
    JsonEdit::Element {
        path: path(&["hooks", event]),
        value: group.clone(),
        was_empty,
    }
}

/// Undoes one splice. Elements that were changed since are kept (`Kept`); a member setup
/// added is removed only once it holds nothing. Returns a status for elements only.
pub(super) fn undo(text: &mut String, edit: &JsonEdit) -> Option<EntryStatus> {
    let doc = root(text);
    match edit {
        JsonEdit::Element {
            path,
            value,
            was_empty,
        } => {
            let Some(list @ Node::Array { items, .. }) = doc.at(path) else {
                return Some(Removed);
            };
            let values: Vec<Value> = items
                .iter()
                .map(|n| serde_json::from_str(&text[n.span()]).unwrap_or_default())
                .collect();
            match values.iter().rposition(|v| v == value) {
                Some(k) => {
                    *text = remove(text, list, k, was_empty.as_deref());
                    Some(Removed)
                }
                None => {
                    let ours = first_command(value).unwrap_or_default();
                    let edited = values.iter().flat_map(commands).any(|c| c == ours);
                    Some(if edited {
                        Kept("changed since csep setup; left as it is".into())
                    } else {
                        Removed
                    })
                }
            }
        }
        JsonEdit::Member {
            path,
            key,
            was_empty,
        } => {
            let object = doc.at(path)?;
            let (k, member) = object.member(key)?;
            if member.value.is_container() && member.value.item_spans().is_empty() {
                *text = remove(text, object, k, was_empty.as_deref());
            }
            None
        }
    }
}

/// Makes sure the objects along `parts` exist, creating the missing ones (recorded in
/// `edits` as members setup added). `None` when something on the way is not an object.
fn ensure_objects(text: &mut String, parts: &[&str], edits: &mut Vec<JsonEdit>) -> Option<()> {
    for depth in 0..parts.len() {
        let doc = root(text);
        let parent = doc.at(&path(&parts[..depth]))?;
        if !matches!(parent, Node::Object { .. }) {
            return None;
        }
        match parent.member(parts[depth]) {
            Some((_, m)) if matches!(m.value, Node::Object { .. }) => {}
            Some(_) => return None,
            None => {
                let was_empty = insert(
                    text,
                    parent,
                    Some(parts[depth]),
                    &Value::Object(Default::default()),
                );
                edits.push(JsonEdit::Member {
                    path: path(&parts[..depth]),
                    key: parts[depth].into(),
                    was_empty,
                });
            }
        }
    }
    let doc = root(text);
    matches!(doc.at(&path(parts)), Some(Node::Object { .. })).then_some(())
}

/// Appends `value` to the array `parts` (an object member, created with its parents
/// when missing) unless an equal element is there. The splices go to `edits`.
pub(super) fn add_element(
    text: &mut String,
    parts: &[&str],
    value: &Value,
    edits: &mut Vec<JsonEdit>,
) -> EntryStatus {
    let Some((key, parents)) = parts.split_last() else {
        return Skipped("no place to add it".into());
    };
    let mut made = Vec::new();
    let not_object = || {
        Skipped(format!(
            "`{}` in the file is not an object; csep leaves it alone",
            parents.join(".")
        ))
    };
    if ensure_objects(text, parents, &mut made).is_none() {
        return not_object();
    }
    let doc = root(text);
    let parent = doc.at(&path(parents)).expect("ensured");
    let Some((_, list)) = parent.member(key) else {
        let was_empty = insert(text, parent, Some(key), &Value::Array(vec![value.clone()]));
        edits.extend(made);
        edits.push(JsonEdit::Member {
            path: path(parents),
            key: key.to_string(),
            was_empty,
        });
        edits.push(JsonEdit::Element {
            path: path(parts),
            value: value.clone(),
            was_empty: None,
        });
        return Added;
    };
    let Node::Array { items, .. } = &list.value else {
        return Skipped(format!(
            "`{}` in the file is not a list; csep leaves it alone",
            parts.join(".")
        ));
    };
    let present = items
        .iter()
        .any(|n| serde_json::from_str::<Value>(&text[n.span()]).is_ok_and(|v| v == *value));
    if present {
        return AlreadySet;
    }
    let was_empty = insert(text, &list.value, None, value);
    edits.extend(made);
    edits.push(JsonEdit::Element {
        path: path(parts),
        value: value.clone(),
        was_empty,
    });
    Added
}

/// Sets member `key` of the object at `parts` (created with its parents when missing)
/// to `value`. An existing different value is replaced only when `replace` says so
/// (it gets the value found); the status says what happened.
pub(super) fn set_member(
    text: &mut String,
    parts: &[&str],
    key: &str,
    value: &Value,
    edits: &mut Vec<JsonEdit>,
    replace: impl FnOnce(&Value) -> bool,
) -> EntryStatus {
    if ensure_objects(text, parts, edits).is_none() {
        return Skipped(format!(
            "`{}` in the file is not an object; csep leaves it alone",
            parts.join(".")
        ));
    }
    let doc = root(text);
    let object = doc.at(&path(parts)).expect("ensured");
    let Some((_, member)) = object.member(key) else {
        let was_empty = insert(text, object, Some(key), value);
        edits.push(JsonEdit::Member {
            path: path(parts),
            key: key.into(),
            was_empty,
        });
        return Added;
    };
    let span = member.value.span();
    let found: Value = serde_json::from_str(&text[span.clone()]).unwrap_or_default();
    if found == *value {
        return AlreadySet;
    }
    if !replace(&found) {
        return Skipped(format!(
            "`{}` is already there with other content that csep did not write; left as it is",
            [parts, &[key]].concat().join(".")
        ));
    }
    let indent = line_indent(text, member.key_span.start).to_string();
    let new = render(value, &style(text), Some(&indent));
    text.replace_range(span, &new);
    Changed {
        from: serde_json::to_string(&found).unwrap_or_default(),
    }
}

/// Removes member `key` of the object at `parts` when it still holds `value`; a member
/// changed since is kept.
pub(super) fn remove_member_if(
    text: &mut String,
    parts: &[&str],
    key: &str,
    value: &Value,
) -> EntryStatus {
    let doc = root(text);
    let Some(object) = doc.at(&path(parts)) else {
        return Removed;
    };
    let Some((k, member)) = object.member(key) else {
        return Removed;
    };
    let found: Value = serde_json::from_str(&text[member.value.span()]).unwrap_or_default();
    if found != *value {
        return Kept("changed since csep setup; left as it is".into());
    }
    *text = remove(text, object, k, None);
    Removed
}

/// The file's indentation unit and key separator.
struct Style {
    unit: String,
    colon: String,
}

fn style(text: &str) -> Style {
    let doc = root(text);
    let mut style = Style {
        unit: "  ".into(),
        colon: ": ".into(),
    };
    if let Node::Object { span, members } = &doc
        && let Some(first) = members.first()
    {
        let lead = &text[span.start + 1..first.key_span.start];
        if let Some(i) = lead.rfind('\n')
            && !lead[i + 1..].is_empty()
        {
            style.unit = lead[i + 1..].to_string();
        }
        style.colon = text[first.key_span.end..first.value.span().start].to_string();
    }
    style
}

/// Inserts `"key": value` (or an element, without key) as the last item of `container`.
/// Returns the container's old inside if it was empty, for uninstall to put back.
fn insert(text: &mut String, container: &Node, key: Option<&str>, value: &Value) -> Option<String> {
    let style = style(text);
    let item = |indent: Option<&str>| {
        let value = render(value, &style, indent);
        match key {
            Some(k) => {
                let colon = if indent.is_some() { &style.colon } else { ":" };
                format!("{}{colon}{value}", serde_json::to_string(k).expect("a key"))
            }
            None => value,
        }
    };
    let span = container.span();
    let (open, close) = (span.start, span.end - 1);
    let items = container.item_spans();
    let Some(last) = items.last() else {
        let base = line_indent(text, open).to_string();
        let indent = format!("{base}{}", style.unit);
        let was = text[open + 1..close].to_string();
        let new = format!("\n{indent}{}\n{base}", item(Some(&indent)));
        text.replace_range(open + 1..close, &new);
        return Some(was);
    };
    // The whitespace before the last item, reused before the new one.
    let lead = if items.len() >= 2 {
        let between = &text[items[items.len() - 2].end..last.start];
        &between[between.find(',').map_or(0, |i| i + 1)..]
    } else {
        &text[open + 1..last.start]
    };
    let indent = lead.rfind('\n').map(|i| lead[i + 1..].to_string());
    let new = format!(",{lead}{}", item(indent.as_deref()));
    text.insert_str(last.end, &new);
    None
}

/// Removes item `k` of `container` with the comma and whitespace that came with it.
fn remove(text: &str, container: &Node, k: usize, was_empty: Option<&str>) -> String {
    let span = container.span();
    let items = container.item_spans();
    if items.len() == 1 {
        format!(
            "{}{}{}",
            &text[..=span.start],
            was_empty.unwrap_or(""),
            &text[span.end - 1..]
        )
    } else if k > 0 {
        format!("{}{}", &text[..items[k - 1].end], &text[items[k].end..])
    } else {
        format!("{}{}", &text[..items[0].start], &text[items[1].start..])
    }
}

/// `value` as JSON: pretty, continuing at `indent`, or compact on one line.
fn render(value: &Value, style: &Style, indent: Option<&str>) -> String {
    let value = Ordered(value);
    let Some(indent) = indent else {
        return serde_json::to_string(&value).expect("serialisable");
    };
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(style.unit.as_bytes());
    value
        .serialize(&mut serde_json::Serializer::with_formatter(&mut buf, fmt))
        .expect("serialisable");
    let pretty = String::from_utf8(buf).expect("JSON is UTF-8");
    let pretty = if style.colon == ": " {
        pretty
    } else {
        pretty.replace("\": ", &format!("\"{}", style.colon))
    };
    pretty.replace('\n', &format!("\n{indent}"))
}

/// Keys in the order Claude Code's documentation writes them (`type` before `command`),
/// where a plain `Value` would sort them.
struct Ordered<'a>(&'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        const FIRST: [&str; 4] = ["matcher", "hooks", "type", "command"];
        match self.0 {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by_key(|k| FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()));
                let mut map = s.serialize_map(Some(m.len()))?;
                for k in keys {
                    map.serialize_entry(k, &Ordered(&m[k.as_str()]))?;
                }
                map.end()
            }
            Value::Array(a) => s.collect_seq(a.iter().map(Ordered)),
            v => v.serialize(s),
        }
    }
}

fn line_indent(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The commands of a hook group.
fn commands(group: &Value) -> Vec<String> {
    group["hooks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["command"].as_str().map(String::from))
        .collect()
}

pub(super) fn first_command(group: &Value) -> Option<String> {
    commands(group).into_iter().next()
}

/// Both run a program named `csep` with the same subcommand (`session-start`…), whatever
/// its path or quoting.
fn same_csep_hook(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    let is_csep = |w: &str| {
        Path::new(w)
            .file_name()
            .is_some_and(|n| n == "csep" || n == "csep.exe")
    };
    a.len() >= 2 && b.len() >= 2 && is_csep(&a[0]) && is_csep(&b[0]) && a[1] == b[1]
}

/// Splits a shell command into words: quotes and backslashes, nothing more.
fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => out.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csep_hooks_are_recognised_by_program_and_subcommand() {
        assert!(same_csep_hook(
            "'/opt/my tools/csep' session-start --from-stdin",
            "csep session-start"
        ));
        assert!(same_csep_hook(
            "/home/u/.cargo/bin/csep session-stop",
            "csep session-stop"
        ));
        assert!(!same_csep_hook("csep session-stop", "csep session-start"));
        assert!(!same_csep_hook("notcsep session-stop", "csep session-stop"));
        assert_eq!(words(r#"a 'b c' "d\"e" f\ g"#), ["a", "b c", "d\"e", "f g"]);
    }

    #[test]
    fn splices_follow_the_file_and_come_out_exactly() {
        for original in [
            "{}",
            "{ }\n",
            "{\n    \"model\": \"opus\"\n}\n",
            "{\"model\":\"opus\",\"hooks\":{}}",
            "{\n\t\"hooks\": {\n\t\t\"Stop\": [\n\t\t]\n\t}\n}",
        ] {
            let mut text = original.to_string();
            let mut edits = Vec::new();
            let group =
                serde_json::json!({"hooks": [{"type": "command", "command": "csep session-stop"}]});
            assert_eq!(add_hook(&mut text, "Stop", &group, &mut edits), Added);
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed["hooks"]["Stop"][0], group, "{text}");
            assert_eq!(add_hook(&mut text, "Stop", &group, &mut edits), AlreadySet);
            for edit in edits.iter().rev() {
                undo(&mut text, edit);
            }
            assert_eq!(text, original);
        }
    }
}
