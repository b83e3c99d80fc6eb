//! `MEMORY.md`: parse, edit, budget and render.
//!
//! The format is `# Memory`, then `## <Section>` headings (`Commands`, `Rules`,
//! `Facts`, `Notes`, or any other name) holding `- ` bullet entries; lines indented
//! by two spaces continue the entry above. Every line this module does not
//! understand (free text, sub-headings, code blocks) is kept as it was, and a
//! document that is parsed and rendered without edits comes back byte for byte.

mod subject;

pub use subject::{
    near_duplicate_key, paths, same_subject, shared_tool_family, tool_family, url_role_before,
};

use crate::commands::rules_out;
use crate::text::normalize;

/// Sections in the order new ones are placed.
pub const CANONICAL: [&str; 4] = ["Commands", "Rules", "Facts", "Notes"];

/// Sections whose oldest entries move to the archive when over budget, in order.
const ARCHIVABLE: [&str; 2] = ["Notes", "Facts"];

/// Marks a command this strategy saw succeed rather than one a person stated.
pub const OBSERVED_SUFFIX: &str = "(ran successfully)";

#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// A bullet entry: its first line (`- ...`) and continuation lines, verbatim.
    Entry(Vec<String>),
    /// Any other line, verbatim.
    Raw(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Section {
    heading: String,
    name: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemoryDoc {
    preamble: Vec<Item>,
    sections: Vec<Section>,
    trailing_newline: bool,
    /// Lines end in `\r\n`: new lines follow suit.
    crlf: bool,
}

/// An entry moved out of the document, with the section it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub section: String,
    pub lines: Vec<String>,
    /// The entry that took its place, when it was replaced by a newer one.
    pub replaced_by: Option<String>,
}

/// What one edit did: the change, the entry's text as written (its first line
/// without the bullet), and the entries it replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub change: Change,
    pub text: String,
    pub superseded: Vec<Moved>,
}

impl Edit {
    fn plain(change: Change, text: &str) -> Edit {
        Edit {
            change,
            text: text.to_string(),
            superseded: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Replaced,
    /// Nothing to do: the entry is already there (or a person's entry wins).
    Unchanged,
    /// The entry to replace or remove is not in the document.
    NotFound,
    /// The text is empty.
    Empty,
}

impl Default for MemoryDoc {
    fn default() -> Self {
        MemoryDoc {
            preamble: vec![Item::Raw("# Memory".into()), Item::Raw(String::new())],
            sections: Vec::new(),
            trailing_newline: true,
            crlf: false,
        }
    }
}

impl MemoryDoc {
    /// Parses any text; a missing or blank file gives the default skeleton.
    pub fn parse(text: Option<&str>) -> MemoryDoc {
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return MemoryDoc::default();
        };
        let (body, trailing_newline) = match text.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (text, false),
        };
        let mut doc = MemoryDoc {
            preamble: Vec::new(),
            sections: Vec::new(),
            trailing_newline,
            crlf: body.split('\n').next().is_some_and(|l| l.ends_with('\r')),
        };
        let mut in_fence = false;
        for line in body.split('\n') {
            let bare = line.trim_end_matches('\r');
            let fence = {
                let t = bare.trim_start();
                t.starts_with("```") || t.starts_with("~~~")
            };
            let items = match doc.sections.last_mut() {
                Some(s) => &mut s.items,
                None => &mut doc.preamble,
            };
            let continues = !bare.trim().is_empty()
                && (bare.starts_with("  ") || bare.starts_with('\t'))
                && matches!(items.last(), Some(Item::Entry(_)));
            if continues {
                if fence {
                    in_fence = !in_fence;
                }
                if let Some(Item::Entry(lines)) = items.last_mut() {
                    lines.push(line.to_string());
                }
                continue;
            }
            if fence {
                in_fence = !in_fence;
                items.push(Item::Raw(line.to_string()));
                continue;
            }
            if !in_fence {
                if let Some(name) = bare.strip_prefix("## ") {
                    doc.sections.push(Section {
                        heading: line.to_string(),
                        name: name.trim().to_string(),
                        items: Vec::new(),
                    });
                    continue;
                }
                if bare.starts_with("- ") {
                    items.push(Item::Entry(vec![line.to_string()]));
                    continue;
                }
            }
            items.push(Item::Raw(line.to_string()));
        }
        doc
    }

    pub fn render(&self) -> String {
        fn push_items<'a>(lines: &mut Vec<&'a str>, items: &'a [Item]) {
            for item in items {
                lines.extend(item_lines(item));
            }
        }
        let mut lines: Vec<&str> = Vec::new();
        push_items(&mut lines, &self.preamble);
        for section in &self.sections {
            lines.push(&section.heading);
            push_items(&mut lines, &section.items);
        }
        let mut out = lines.join("\n");
        if self.trailing_newline {
            out.push('\n');
        }
        out
    }

    /// Every entry's text (continuation lines joined by newlines), with its section
    /// (`""` for entries above the first section).
    #[cfg(test)]
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for item in &self.preamble {
            if let Item::Entry(lines) = item {
                out.push((String::new(), entry_text(lines)));
            }
        }
        for section in &self.sections {
            for item in &section.items {
                if let Item::Entry(lines) = item {
                    out.push((section.name.clone(), entry_text(lines)));
                }
            }
        }
        out
    }

    /// Adds an entry to a section (created when missing). An entry equal to any
    /// existing one, ignoring case, whitespace, punctuation and quotes, is not
    /// added again; an entry on the same subject as existing ones (see
    /// [`same_subject`]) replaces them.
    #[cfg(test)]
    pub fn add(&mut self, section: &str, text: &str) -> Change {
        self.add_entry(section, text).change
    }

    /// [`MemoryDoc::add`], saying what was written and what it replaced.
    pub fn add_entry(&mut self, section: &str, text: &str) -> Edit {
        let lines = self.entry_lines(text);
        let head = lines
            .first()
            .map(|l| strip_bullet(l.trim_end_matches('\r')).trim().to_string())
            .unwrap_or_default();
        if lines.is_empty() {
            return Edit::plain(Change::Empty, "");
        }
        if self.find(text).is_some() {
            return Edit::plain(Change::Unchanged, &head);
        }
        let section = canonical_name(section);
        let commands = section.eq_ignore_ascii_case("Commands");
        let same: Vec<Pos> = self
            .positions()
            .into_iter()
            .filter(|at| {
                let other = self.section_name(*at);
                other.eq_ignore_ascii_case("Commands") == commands
                    && same_subject((other, &entry_text(self.entry_at(*at))), (&section, &head))
            })
            .collect();
        // The newest entry takes the place of the first one it replaces in its
        // own section; the others go.
        let slot = same
            .iter()
            .copied()
            .find(|at| self.section_name(*at).eq_ignore_ascii_case(&section));
        let superseded: Vec<Moved> = same
            .iter()
            .map(|at| Moved {
                section: self.section_name(*at).to_string(),
                lines: self.entry_at(*at).clone(),
                replaced_by: Some(head.clone()),
            })
            .collect();
        if let Some(at) = slot {
            *self.entry_at_mut(at) = lines.clone();
        }
        // Removed before a section may be created, which would shift positions.
        for at in same.into_iter().rev().filter(|at| Some(*at) != slot) {
            self.take(at);
        }
        if slot.is_none() {
            let index = self.section_index_or_create(&section);
            let items = &mut self.sections[index].items;
            let at = insertion_point(items);
            items.insert(at, Item::Entry(lines));
        }
        self.trailing_newline = true;
        let change = if superseded.is_empty() {
            Change::Added
        } else {
            Change::Replaced
        };
        Edit {
            change,
            text: head,
            superseded,
        }
    }

    /// Replaces the entry whose text is `old` (ignoring case, whitespace and a
    /// leading `- `; a match on its first line alone also counts).
    #[cfg(test)]
    pub fn replace(&mut self, old: &str, text: &str) -> Change {
        self.replace_entry(old, text).change
    }

    /// [`MemoryDoc::replace`], saying what was written and what it replaced.
    pub fn replace_entry(&mut self, old: &str, text: &str) -> Edit {
        let lines = self.entry_lines(text);
        if lines.is_empty() {
            return Edit::plain(Change::Empty, "");
        }
        let head = strip_bullet(lines[0].trim_end_matches('\r'))
            .trim()
            .to_string();
        let Some(at) = self.find(old) else {
            return Edit::plain(Change::NotFound, &head);
        };
        if normalize(&entry_text(self.entry_at(at))) == normalize(&entry_text(&lines)) {
            return Edit::plain(Change::Unchanged, &head);
        }
        let moved = Moved {
            section: self.section_name(at).to_string(),
            lines: self.entry_at(at).clone(),
            replaced_by: Some(head.clone()),
        };
        match self.find(text) {
            // The new text is already another entry: the old one just goes.
            Some(other) if other != at => {
                self.take(at);
            }
            _ => *self.entry_at_mut(at) = lines,
        }
        self.trailing_newline = true;
        Edit {
            change: Change::Replaced,
            text: head,
            superseded: vec![moved],
        }
    }

    /// Removes the entry whose text is `old` and returns it.
    pub fn remove_entry(&mut self, old: &str) -> Option<Moved> {
        let at = self.find(old)?;
        let moved = Moved {
            section: self.section_name(at).to_string(),
            lines: self.entry_at(at).clone(),
            replaced_by: None,
        };
        self.take(at);
        self.trailing_newline = true;
        Some(moved)
    }

    /// Removes the `Commands` entries whose command `forbidden` rules out.
    pub fn retract_command(&mut self, forbidden: &str) -> Vec<Moved> {
        self.take_where(|section, text| {
            section.eq_ignore_ascii_case("Commands")
                && first_code_span(text).is_some_and(|c| rules_out(forbidden, c))
        })
    }

    /// Removes the `Rules` entries about `path` alone.
    pub fn retract_path_rules(&mut self, path: &str) -> Vec<Moved> {
        let wanted = path.trim_start_matches("./").trim_end_matches('/');
        self.take_where(|section, text| {
            section.eq_ignore_ascii_case("Rules") && paths(text) == [wanted]
        })
    }

    fn take_where(&mut self, hit: impl Fn(&str, &str) -> bool) -> Vec<Moved> {
        let found: Vec<Pos> = self
            .positions()
            .into_iter()
            .filter(|at| hit(self.section_name(*at), &entry_text(self.entry_at(*at))))
            .collect();
        let mut out = Vec::new();
        for at in found.into_iter().rev() {
            out.push(Moved {
                section: self.section_name(at).to_string(),
                lines: self.entry_at(at).clone(),
                replaced_by: None,
            });
            self.take(at);
        }
        if !out.is_empty() {
            self.trailing_newline = true;
        }
        out.reverse();
        out
    }

    /// Puts `moved` back in place of entry `head` when it sits in the same
    /// section, else takes `head` out and puts `moved` back at its section's end.
    pub fn restore(&mut self, head: &str, moved: &Moved) {
        match self.find(head) {
            Some(at) if self.section_name(at).eq_ignore_ascii_case(&moved.section) => {
                *self.entry_at_mut(at) = moved.lines.clone();
                self.trailing_newline = true;
            }
            _ => {
                self.remove(head);
                self.reinsert(moved);
            }
        }
    }

    /// Puts a moved entry back at the end of its section.
    pub fn reinsert(&mut self, moved: &Moved) {
        if self.find(&entry_text(&moved.lines)).is_some() {
            return;
        }
        let items = if moved.section.is_empty() {
            &mut self.preamble
        } else {
            let index = self.section_index_or_create(&moved.section);
            &mut self.sections[index].items
        };
        let at = insertion_point(items);
        items.insert(at, Item::Entry(moved.lines.clone()));
        self.trailing_newline = true;
    }

    /// `(section, first line without the bullet)` of every entry, in order.
    pub fn heads(&self) -> Vec<(String, String)> {
        self.positions()
            .into_iter()
            .map(|at| {
                let first = &self.entry_at(at)[0];
                (
                    self.section_name(at).to_string(),
                    strip_bullet(first.trim_end_matches('\r'))
                        .trim()
                        .to_string(),
                )
            })
            .collect()
    }

    pub fn remove(&mut self, old: &str) -> Change {
        match self.find(old) {
            Some(at) => {
                self.take(at);
                self.trailing_newline = true;
                Change::Replaced
            }
            None => Change::NotFound,
        }
    }

    /// Records a command in `Commands` as `- <Label>: `cmd``, with
    /// `(ran successfully)` when it was only observed. One entry per label: a new
    /// command replaces the old one, except that an observed command never
    /// replaces one a person stated.
    #[cfg(test)]
    pub fn set_command(&mut self, label: &str, command: &str, observed: bool) -> Change {
        self.set_command_entry(label, command, observed, &[]).change
    }

    /// [`MemoryDoc::set_command`] with the commands the user ruled out for this
    /// label shown after it (`Test: `make check` (not `cargo test`)`).
    pub fn set_command_entry(
        &mut self,
        label: &str,
        command: &str,
        observed: bool,
        ruled_out: &[String],
    ) -> Edit {
        let text = command_entry_with(label, command, observed, ruled_out);
        let prefix = format!("{}:", label.to_lowercase());
        let existing = self.positions().into_iter().find(|at| {
            normalize(&entry_text(self.entry_at(*at))).starts_with(&prefix)
                && self.section_name(*at).eq_ignore_ascii_case("Commands")
        });
        let Some(at) = existing else {
            return self.add_entry("Commands", &text);
        };
        let current = entry_text(self.entry_at(at));
        let current_observed = current.trim_end().ends_with(OBSERVED_SUFFIX);
        let same_command =
            first_code_span(&current).is_some_and(|c| normalize(c) == normalize(command));
        if normalize(&current) == normalize(&text) {
            return Edit::plain(Change::Unchanged, &current);
        }
        // A command the user ruled out goes whatever replaces it; otherwise a
        // stated command wins over an observed one, and seeing the same command
        // succeed again adds nothing.
        let current_ruled_out =
            first_code_span(&current).is_some_and(|c| ruled_out.iter().any(|f| rules_out(f, c)));
        if observed && !current_ruled_out && (!current_observed || same_command) {
            return Edit::plain(Change::Unchanged, &current);
        }
        let moved = Moved {
            section: "Commands".to_string(),
            lines: self.entry_at(at).clone(),
            replaced_by: Some(text.clone()),
        };
        *self.entry_at_mut(at) = self.entry_lines(&text);
        self.trailing_newline = true;
        Edit {
            change: Change::Replaced,
            text,
            superseded: vec![moved],
        }
    }

    /// Moves the oldest entries of `Notes`, then `Facts`, out until the rendered
    /// document has at most `budget` characters. Entries larger than the budget
    /// by themselves never move, and when moving every other one would still not
    /// make the document fit, nothing moves: it is left over budget as it is.
    pub fn enforce_budget(&mut self, budget: usize) -> Vec<Moved> {
        if self.chars() <= budget {
            return Vec::new();
        }
        // Removing an entry takes its lines and one newline per line away (the
        // section heading stays, so the document never runs out of lines).
        let movable: usize = ARCHIVABLE
            .iter()
            .flat_map(|name| {
                self.sections
                    .iter()
                    .filter(move |s| s.name.eq_ignore_ascii_case(name))
            })
            .flat_map(|s| &s.items)
            .filter_map(|i| match i {
                Item::Entry(lines) => Some(entry_cost(lines)),
                Item::Raw(_) => None,
            })
            .filter(|cost| *cost <= budget)
            .sum();
        let size = self.chars() + usize::from(!self.trailing_newline);
        if size.saturating_sub(movable) > budget {
            return Vec::new();
        }
        self.trailing_newline = true;
        let mut size = size;
        let mut moved = Vec::new();
        while size > budget {
            match self.take_oldest_archivable(budget) {
                Some(m) => {
                    size -= entry_cost(&m.lines);
                    moved.push(m);
                }
                None => break,
            }
        }
        moved
    }

    /// The length of [`MemoryDoc::render`] in characters, without rendering.
    pub fn chars(&self) -> usize {
        let mut chars = 0usize;
        let mut lines = 0usize;
        let mut count = |line: &str| {
            chars += line.chars().count();
            lines += 1;
        };
        for item in &self.preamble {
            item_lines(item).for_each(&mut count);
        }
        for section in &self.sections {
            count(&section.heading);
            for item in &section.items {
                item_lines(item).for_each(&mut count);
            }
        }
        chars + lines.saturating_sub(1) + usize::from(self.trailing_newline)
    }

    /// Removes and returns the first entry of `Notes` (then `Facts`) of at most
    /// `max_chars` characters.
    fn take_oldest_archivable(&mut self, max_chars: usize) -> Option<Moved> {
        let (si, ii) = ARCHIVABLE.iter().find_map(|name| {
            self.sections
                .iter()
                .enumerate()
                .filter(|(_, s)| s.name.eq_ignore_ascii_case(name))
                .find_map(|(si, s)| {
                    s.items
                        .iter()
                        .position(|i| match i {
                            Item::Entry(lines) => entry_cost(lines) <= max_chars,
                            Item::Raw(_) => false,
                        })
                        .map(|ii| (si, ii))
                })
        })?;
        let Item::Entry(lines) = self.sections[si].items.remove(ii) else {
            unreachable!("position() found an entry");
        };
        Some(Moved {
            section: self.sections[si].name.clone(),
            lines,
            replaced_by: None,
        })
    }

    /// A new line as this document writes them (`\r` kept for CRLF files).
    fn line(&self, text: String) -> String {
        if self.crlf { text + "\r" } else { text }
    }

    fn entry_lines(&self, text: &str) -> Vec<String> {
        entry_lines(text)
            .into_iter()
            .map(|l| self.line(l))
            .collect()
    }

    fn section_name(&self, at: Pos) -> &str {
        match at.0 {
            Some(si) => &self.sections[si].name,
            None => "",
        }
    }

    fn positions(&self) -> Vec<Pos> {
        let mut out = Vec::new();
        for (ii, item) in self.preamble.iter().enumerate() {
            if matches!(item, Item::Entry(_)) {
                out.push((None, ii));
            }
        }
        for (si, section) in self.sections.iter().enumerate() {
            for (ii, item) in section.items.iter().enumerate() {
                if matches!(item, Item::Entry(_)) {
                    out.push((Some(si), ii));
                }
            }
        }
        out
    }

    fn find(&self, text: &str) -> Option<Pos> {
        let wanted = near_duplicate_key(strip_bullet(text));
        if wanted.is_empty() {
            return None;
        }
        let positions = self.positions();
        positions
            .iter()
            .find(|at| near_duplicate_key(&entry_text(self.entry_at(**at))) == wanted)
            .or_else(|| {
                positions.iter().find(|at| {
                    let lines = self.entry_at(**at);
                    near_duplicate_key(strip_bullet(&lines[0])) == wanted
                })
            })
            .copied()
    }

    fn items(&self, section: Option<usize>) -> &Vec<Item> {
        match section {
            Some(si) => &self.sections[si].items,
            None => &self.preamble,
        }
    }

    fn items_mut(&mut self, section: Option<usize>) -> &mut Vec<Item> {
        match section {
            Some(si) => &mut self.sections[si].items,
            None => &mut self.preamble,
        }
    }

    fn entry_at(&self, (section, index): Pos) -> &Vec<String> {
        match &self.items(section)[index] {
            Item::Entry(lines) => lines,
            Item::Raw(_) => unreachable!("positions point at entries"),
        }
    }

    fn entry_at_mut(&mut self, (section, index): Pos) -> &mut Vec<String> {
        match &mut self.items_mut(section)[index] {
            Item::Entry(lines) => lines,
            Item::Raw(_) => unreachable!("positions point at entries"),
        }
    }

    fn take(&mut self, (section, index): Pos) {
        self.items_mut(section).remove(index);
    }

    /// The index of the section named `name` (case-insensitively), creating it:
    /// known sections go in canonical order, others at the end.
    fn section_index_or_create(&mut self, name: &str) -> usize {
        let name = canonical_name(name);
        if let Some(i) = self
            .sections
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(&name))
        {
            return i;
        }
        let rank = |n: &str| CANONICAL.iter().position(|c| c.eq_ignore_ascii_case(n));
        let at = match rank(&name) {
            Some(r) => self
                .sections
                .iter()
                .position(|s| rank(&s.name).is_some_and(|other| other > r))
                .unwrap_or(self.sections.len()),
            None => self.sections.len(),
        };
        // A blank line before the new heading, and after it when a section follows.
        let blank = self.line(String::new());
        let heading = self.line(format!("## {name}"));
        let before = if at == 0 {
            &mut self.preamble
        } else {
            &mut self.sections[at - 1].items
        };
        if !matches!(before.last(), Some(Item::Raw(r)) if r.trim().is_empty()) {
            before.push(Item::Raw(blank.clone()));
        }
        let items = if at < self.sections.len() {
            vec![Item::Raw(blank)]
        } else {
            Vec::new()
        };
        self.sections.insert(
            at,
            Section {
                heading,
                name,
                items,
            },
        );
        at
    }
}

/// The characters an entry takes in the rendered document, newlines included.
fn entry_cost(lines: &[String]) -> usize {
    lines.iter().map(|l| l.chars().count() + 1).sum()
}

fn item_lines(item: &Item) -> Box<dyn Iterator<Item = &str> + '_> {
    match item {
        Item::Entry(lines) => Box::new(lines.iter().map(String::as_str)),
        Item::Raw(raw) => Box::new(std::iter::once(raw.as_str())),
    }
}

/// Where an entry sits: section index (`None` above the first section) and item index.
type Pos = (Option<usize>, usize);

/// After the section's last entry; else after its last non-blank line; else first.
fn insertion_point(items: &[Item]) -> usize {
    if let Some(i) = items.iter().rposition(|i| matches!(i, Item::Entry(_))) {
        return i + 1;
    }
    items
        .iter()
        .rposition(|i| matches!(i, Item::Raw(r) if !r.trim().is_empty()))
        .map_or(0, |i| i + 1)
}

pub fn canonical_name(name: &str) -> String {
    let name = name.trim().trim_start_matches('#').trim();
    if name.is_empty() {
        return "Notes".to_string();
    }
    CANONICAL
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |c| (*c).to_string())
}

fn strip_bullet(s: &str) -> &str {
    let t = s.trim_start();
    t.strip_prefix("- ").unwrap_or(t)
}

/// An entry's text: its lines without the bullet and indentation.
fn entry_text(lines: &[String]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                strip_bullet(l).trim()
            } else {
                l.trim()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of an entry for `text`: `- first`, then `  rest` for each other line.
fn entry_lines(text: &str) -> Vec<String> {
    let text = strip_bullet(text.trim());
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("- {l}")
            } else {
                format!("  {l}")
            }
        })
        .collect()
}

/// `Test: `cmd`` or `Test: `cmd` (ran successfully)`.
pub fn command_entry(label: &str, command: &str, observed: bool) -> String {
    command_entry_with(label, command, observed, &[])
}

/// A code span for `command`, fenced so that backticks inside survive.
fn code(command: &str) -> String {
    if command.contains('`') {
        format!("`` {command} ``")
    } else {
        format!("`{command}`")
    }
}

/// [`command_entry`] with ruled-out alternatives: `Test: `a` (not `b`, `c`)`.
pub fn command_entry_with(
    label: &str,
    command: &str,
    observed: bool,
    ruled_out: &[String],
) -> String {
    let mut s = format!("{label}: {}", code(command));
    if !ruled_out.is_empty() {
        let list: Vec<String> = ruled_out.iter().map(|c| code(c)).collect();
        s.push_str(&format!(" (not {})", list.join(", ")));
    }
    if observed {
        s.push(' ');
        s.push_str(OBSERVED_SUFFIX);
    }
    s
}

/// The command of a `Commands` entry (`Test: `make check`` → `make check`).
pub fn command_of(text: &str) -> Option<&str> {
    first_code_span(text)
}

fn first_code_span(text: &str) -> Option<&str> {
    let start = text.find('`')?;
    let ticks = text[start..].chars().take_while(|c| *c == '`').count();
    let open = &text[start..start + ticks];
    let body_start = start + ticks;
    let end = text[body_start..].find(open)?;
    Some(text[body_start..body_start + end].trim())
}

/// The block appended to `refs/archive.md` for entries moved out of `MEMORY.md`
/// (`title` says why: `Archived` over budget, `Replaced` by newer entries),
/// appended to what the archive held before (a title starts a new archive).
pub fn append_archive(
    existing: Option<&str>,
    title: &str,
    header: &str,
    moved: &[Moved],
) -> String {
    let mut out = match existing {
        Some(text) if !text.trim().is_empty() => {
            let mut t = text.to_string();
            if !t.ends_with('\n') {
                t.push('\n');
            }
            t
        }
        // Headings only: every other line the host accepts in a ref must be evidenced.
        _ => {
            "# Archived memory (moved out of MEMORY.md: over its budget, or replaced)\n".to_string()
        }
    };
    out.push_str(&format!("\n## {title} {header}\n"));
    let mut current: Option<&str> = None;
    for m in moved {
        if current != Some(m.section.as_str()) {
            out.push_str(&format!("\n### {}\n\n", m.section));
            current = Some(&m.section);
        }
        for line in &m.lines {
            out.push_str(line.trim_end_matches('\r'));
            out.push('\n');
        }
        if let Some(by) = &m.replaced_by {
            out.push_str(&format!("  (replaced by: {by})\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Memory\n\nWritten by hand: keep this paragraph.\n\n## Commands\n- Test: `cargo test --workspace` (confirmed 2026-11-25)\n\n## Rules\n- Do not edit `vendor/` (the user said so)\n  because it is synced from upstream\n\n### Sub heading a person added\n\n```\n## not a heading inside a fence\n- not an entry either\n```\n\n## Notes\n- first note\n- second note\n";

    #[test]
    fn round_trips_byte_for_byte() {
        for text in [
            SAMPLE,
            "no trailing newline\n## Notes\n- x",
            "crlf\r\n## Notes\r\n- x\r\n",
            "## Custom\n* star bullet\n- dash\n",
        ] {
            assert_eq!(MemoryDoc::parse(Some(text)).render(), text);
        }
    }

    #[test]
    fn reads_entries_with_continuations_and_ignores_fenced_lines() {
        let doc = MemoryDoc::parse(Some(SAMPLE));
        let entries = doc.entries();
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[1],
            (
                "Rules".to_string(),
                "Do not edit `vendor/` (the user said so)\nbecause it is synced from upstream"
                    .to_string()
            )
        );
        assert!(entries.iter().all(|(_, t)| !t.contains("not an entry")));
    }

    #[test]
    fn creates_the_skeleton_and_sections_in_order() {
        let mut doc = MemoryDoc::parse(None);
        assert_eq!(doc.add("Notes", "a note"), Change::Added);
        assert_eq!(doc.add("rules", "- Do not modify `vendor/`"), Change::Added);
        assert_eq!(doc.set_command("Test", "make check", false), Change::Added);
        assert_eq!(
            doc.render(),
            "# Memory\n\n## Commands\n- Test: `make check`\n\n## Rules\n- Do not modify `vendor/`\n\n## Notes\n- a note\n"
        );
    }

    #[test]
    fn keeps_unknown_content_when_editing() {
        let mut doc = MemoryDoc::parse(Some(SAMPLE));
        doc.add("Notes", "third note");
        doc.add("Facts", "a fact");
        let out = doc.render();
        assert!(out.contains("Written by hand: keep this paragraph.\n"));
        assert!(out.contains("### Sub heading a person added\n"));
        assert!(out.contains("```\n## not a heading inside a fence\n- not an entry either\n```\n"));
        assert!(out.contains("- second note\n- third note\n"));
        assert!(out.contains("## Facts\n- a fact\n\n## Notes\n"));
    }

    #[test]
    fn adding_a_duplicate_is_a_no_op() {
        let mut doc = MemoryDoc::parse(Some(SAMPLE));
        assert_eq!(doc.add("Notes", "  FIRST   note "), Change::Unchanged);
        assert_eq!(doc.add("Facts", "- Second Note"), Change::Unchanged);
        assert_eq!(doc.add("Notes", ""), Change::Empty);
        assert_eq!(doc.render(), SAMPLE);
    }

    #[test]
    fn replaces_and_removes_by_text() {
        let mut doc = MemoryDoc::parse(Some(SAMPLE));
        assert_eq!(
            doc.replace("- first note", "first note, revised"),
            Change::Replaced
        );
        // The first line alone identifies a multi-line entry.
        assert_eq!(
            doc.remove("do not edit `vendor/` (the user said so)"),
            Change::Replaced
        );
        assert_eq!(doc.remove("no such entry"), Change::NotFound);
        assert_eq!(
            doc.replace("second note", "Second  NOTE"),
            Change::Unchanged
        );
        let out = doc.render();
        assert!(out.contains("## Notes\n- first note, revised\n- second note\n"));
        assert!(!out.contains("vendor"));
        assert!(out.contains("### Sub heading a person added"));
    }

    #[test]
    fn replace_onto_an_existing_entry_merges() {
        let mut doc = MemoryDoc::parse(Some(SAMPLE));
        assert_eq!(doc.replace("first note", "second note"), Change::Replaced);
        let notes: Vec<_> = doc
            .entries()
            .into_iter()
            .filter(|(s, _)| s == "Notes")
            .collect();
        assert_eq!(notes, [("Notes".to_string(), "second note".to_string())]);
    }

    #[test]
    fn commands_one_per_label_and_stated_ones_win() {
        let (stated, observed) = (false, true);
        let mut doc = MemoryDoc::parse(None);
        assert_eq!(doc.set_command("Test", "cargo test", stated), Change::Added);
        assert_eq!(
            doc.set_command("Test", "cargo test", stated),
            Change::Unchanged
        );
        assert_eq!(
            doc.set_command("Test", "make check", observed),
            Change::Unchanged
        );
        assert_eq!(
            doc.set_command("Test", "make check", stated),
            Change::Replaced
        );
        assert_eq!(
            doc.set_command("Build", "cargo build", observed),
            Change::Added
        );
        assert_eq!(
            doc.set_command("Build", "cargo build --release", observed),
            Change::Replaced
        );
        assert_eq!(
            doc.set_command("Build", "cargo build --release", stated),
            Change::Replaced
        );
        assert_eq!(
            doc.set_command("Build", "cargo build", observed),
            Change::Unchanged
        );
        assert_eq!(
            doc.render(),
            "# Memory\n\n## Commands\n- Test: `make check`\n- Build: `cargo build --release`\n"
        );
        // A person's entry is kept against observed commands, replaced by stated ones.
        let mut doc = MemoryDoc::parse(Some(SAMPLE));
        assert_eq!(
            doc.set_command("Test", "npm test", observed),
            Change::Unchanged
        );
        assert_eq!(
            doc.set_command("Test", "npm test", stated),
            Change::Replaced
        );
        assert!(doc.render().contains("- Test: `npm test`\n"));
        assert_eq!(
            command_entry("Test", "echo `x`", true),
            "Test: `` echo `x` `` (ran successfully)"
        );
    }

    #[test]
    fn budget_moves_oldest_notes_then_facts_and_keeps_every_entry() {
        let mut doc = MemoryDoc::parse(None);
        doc.set_command("Test", "cargo test", false);
        doc.add("Rules", "Do not modify `vendor/` (the user said so)");
        for i in 0..5 {
            doc.add("Facts", &format!("fact number {i} with some padding text"));
            doc.add("Notes", &format!("note number {i} with some padding text"));
        }
        let before = doc.entries();
        let moved = doc.enforce_budget(300);
        let out = doc.render();
        assert!(out.chars().count() <= 300, "{out}");
        assert_eq!(moved[0].section, "Notes");
        assert_eq!(moved[0].lines, ["- note number 0 with some padding text"]);
        assert!(moved.iter().any(|m| m.section == "Facts"));
        // Nothing is lost: what stayed plus what moved is what was there.
        let mut after: Vec<String> = doc.entries().into_iter().map(|(_, t)| t).collect();
        after.extend(moved.iter().map(|m| m.lines[0][2..].to_string()));
        let mut before: Vec<String> = before.into_iter().map(|(_, t)| t).collect();
        after.sort();
        before.sort();
        assert_eq!(before, after);
        let archive = append_archive(None, "Archived", "2026-11-25 (job j1)", &moved);
        assert!(archive.starts_with("# Archived memory"));
        assert!(
            archive.contains("## Archived 2026-11-25 (job j1)\n\n### Notes\n\n- note number 0")
        );
        let again = append_archive(Some(&archive), "Archived", "later", &moved[..1]);
        assert!(again.starts_with(&archive));
    }

    #[test]
    fn a_giant_entry_stays_and_nothing_moves_in_vain() {
        let mut doc = MemoryDoc::parse(Some("# Memory\n\n- kept\n"));
        doc.add("Notes", "an ordinary note");
        doc.add("Notes", &"x".repeat(5000));
        let before = doc.render();
        assert!(doc.enforce_budget(1000).is_empty());
        assert_eq!(doc.render(), before);
    }

    #[test]
    fn crlf_documents_stay_crlf() {
        let mut doc = MemoryDoc::parse(Some("# Memory\r\n\r\n- odd  spacing\r\n"));
        doc.add("Rules", "Do not modify `vendor/`");
        doc.set_command("Test", "cargo test", true);
        let out = doc.render();
        assert_eq!(
            out,
            "# Memory\r\n\r\n- odd  spacing\r\n\r\n## Commands\r\n- Test: `cargo test` (ran successfully)\r\n\r\n## Rules\r\n- Do not modify `vendor/`\r\n"
        );
    }

    #[test]
    fn counts_rendered_characters_without_rendering() {
        for text in [SAMPLE, "no trailing newline\n## Notes\n- x", "记住\n", "x"] {
            let doc = MemoryDoc::parse(Some(text));
            assert_eq!(doc.chars(), doc.render().chars().count(), "{text:?}");
        }
        assert_eq!(MemoryDoc::default().chars(), "# Memory\n\n".len());
    }

    #[test]
    fn a_newer_entry_on_the_same_subject_replaces_the_older() {
        let mut doc = MemoryDoc::parse(Some(
            "# Memory\n\n## Rules\n- Do not modify `legacy/` (the user said so)\n\n## Notes\n- first note\n- 用 yarn\n- The staging URL is https://old.example.com\n",
        ));
        let edit = doc.add_entry("Rules", "以后用 pnpm，不要再用 yarn");
        assert_eq!(edit.change, Change::Replaced);
        assert_eq!(edit.text, "以后用 pnpm，不要再用 yarn");
        assert_eq!(
            edit.superseded,
            [Moved {
                section: "Notes".into(),
                lines: vec!["- 用 yarn".into()],
                replaced_by: Some("以后用 pnpm，不要再用 yarn".into()),
            }]
        );
        let edit = doc.add_entry("Notes", "The staging URL is now https://stg.example.com");
        assert_eq!(
            edit.superseded[0].lines,
            ["- The staging URL is https://old.example.com"]
        );
        let edit = doc.add_entry("Rules", "Do not modify `legacy/` (frozen until Q3)");
        assert_eq!(edit.change, Change::Replaced);
        // A near-duplicate is no new entry.
        assert_eq!(
            doc.add_entry("Notes", "First note!").change,
            Change::Unchanged
        );
        assert_eq!(
            doc.render(),
            "# Memory\n\n## Rules\n- Do not modify `legacy/` (frozen until Q3)\n- 以后用 pnpm，不要再用 yarn\n\n## Notes\n- first note\n- The staging URL is now https://stg.example.com\n"
        );
    }

    #[test]
    fn ruled_out_commands_are_shown_and_replace_even_stated_ones() {
        let mut doc = MemoryDoc::parse(Some("# Memory\n\n## Commands\n- Test: `cargo test`\n"));
        // An observed command does not replace a stated one...
        let edit = doc.set_command_entry("Test", "make check-all", true, &[]);
        assert_eq!(edit.change, Change::Unchanged);
        // ...unless the stated one is ruled out.
        let edit = doc.set_command_entry("Test", "make check-all", true, &["cargo test".into()]);
        assert_eq!(edit.change, Change::Replaced);
        assert_eq!(
            edit.text,
            "Test: `make check-all` (not `cargo test`) (ran successfully)"
        );
        assert_eq!(edit.superseded[0].lines, ["- Test: `cargo test`"]);
        let edit = doc.set_command_entry("Test", "make check-all", false, &["cargo test".into()]);
        assert_eq!(edit.text, "Test: `make check-all` (not `cargo test`)");
        assert_eq!(
            doc.render(),
            "# Memory\n\n## Commands\n- Test: `make check-all` (not `cargo test`)\n"
        );
    }

    #[test]
    fn retractions_take_entries_out_and_restore_puts_them_back() {
        let text = "# Memory\n\n## Commands\n- Test: `cargo test --workspace` (ran successfully)\n- Build: `cargo build`\n\n## Rules\n- Do not modify `legacy/` (the user said so)\n- Do not modify `vendor/` (the user said so)\n";
        let mut doc = MemoryDoc::parse(Some(text));
        let moved = doc.retract_command("cargo test");
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].section, "Commands");
        assert!(doc.retract_command("cargo check").is_empty());
        let moved_rule = doc.retract_path_rules("legacy");
        assert_eq!(
            moved_rule[0].lines,
            ["- Do not modify `legacy/` (the user said so)"]
        );
        assert!(!doc.render().contains("legacy"));
        doc.reinsert(&moved_rule[0]);
        doc.reinsert(&moved[0]);
        let heads: Vec<String> = doc.heads().into_iter().map(|(_, h)| h).collect();
        assert_eq!(heads.len(), 4);
        let edit = doc.add_entry("Rules", "`vendor/` may be edited now");
        assert_eq!(
            edit.superseded[0].lines,
            ["- Do not modify `vendor/` (the user said so)"]
        );
        // Restoring in place keeps the order.
        let mut doc = MemoryDoc::parse(Some(text));
        let edit = doc.add_entry("Rules", "Do not modify `legacy/` ever");
        doc.restore(&edit.text, &edit.superseded[0]);
        assert_eq!(doc.render(), text);
        let archive = append_archive(None, "Replaced", "2026-12-25 (job j1)", &edit.superseded);
        assert!(archive.contains(
            "## Replaced 2026-12-25 (job j1)\n\n### Rules\n\n- Do not modify `legacy/` (the user said so)\n  (replaced by: Do not modify `legacy/` ever)\n"
        ));
    }

    #[test]
    fn budget_counts_characters_not_bytes() {
        let mut doc = MemoryDoc::parse(None);
        doc.add("Notes", &"记".repeat(40));
        let size = doc.render().chars().count();
        assert!(doc.render().len() > size);
        assert!(doc.enforce_budget(size).is_empty());
    }
}
