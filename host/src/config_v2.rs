//! The original tool's `config.toml` (`schema_version = 2`, `[session_reflection]`,
//! `[session_reflection.trigger]`, `[session_recall]`, `[log]`) read as this
//! project's settings. Every key with a counterpart is carried over with the value
//! the user chose; every other key becomes a note saying what happens instead.
//! Sections of this project's form in the same file win over translated values.

use serde::Serialize;

/// The model the original reflected with when its config named none.
pub const ORIGINAL_MODEL: &str = "gpt-5.3-codex-spark";
/// The original's reflection timeout, in seconds, when its config named none.
const ORIGINAL_TIMEOUT_SECONDS: f64 = 900.0;
/// Top-level keys that only the original's form has.
const ORIGINAL_KEYS: &[&str] = &[
    "schema_version",
    "session_reflection",
    "session_recall",
    "log",
];

/// What became of one key of the original's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Dotted, as in the original's file: `session_reflection.trigger.memory_stop_interval`.
    pub key: String,
    pub kind: NoteKind,
    /// The key of this project's form it was carried to (`policy.settings.x`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where it went, or what happens instead.
    pub effect: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// Carried over to a key of this project.
    Applied,
    /// No counterpart here; the note says what happens instead.
    NoCounterpart,
    /// A typo, a wrong type or value, or a secret: ignored, the default kept.
    Ignored,
}

impl Note {
    pub fn is_warning(&self) -> bool {
        self.kind == NoteKind::Ignored
    }
}

/// The original's file in this project's form, with a note per key.
#[derive(Debug, Clone)]
pub struct Translation {
    pub table: toml::Table,
    pub notes: Vec<Note>,
}

/// A `schema_version` the original itself would have refused to load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "schema_version = {0} is not supported: the original's schema 2 is read \
         (and this project's form has no schema_version)"
    )]
    Unsupported(i64),
    #[error("schema_version must be an integer, got {0}")]
    NotAnInteger(toml::Value),
}

/// Whether `table` is (or contains) the original's form.
pub fn is_original(table: &toml::Table) -> bool {
    ORIGINAL_KEYS.iter().any(|k| table.contains_key(*k))
}

/// `None` when the file is this project's form only.
pub fn translate_if_original(table: &toml::Table) -> Result<Option<Translation>, SchemaError> {
    if !is_original(table) {
        return Ok(None);
    }
    translate(table).map(Some)
}

/// Builds this project's table from the original's. Errors only where the original
/// itself refused to load (a schema_version other than 2).
pub fn translate(table: &toml::Table) -> Result<Translation, SchemaError> {
    match table.get("schema_version") {
        None | Some(toml::Value::Integer(2)) => {}
        Some(toml::Value::Integer(v)) => {
            return Err(SchemaError::Unsupported(*v));
        }
        Some(other) => return Err(SchemaError::NotAnInteger(other.clone())),
    }
    let mut t = Translator {
        out: table
            .iter()
            .filter(|(k, _)| !ORIGINAL_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        explicit: table.clone(),
        notes: Vec::new(),
    };
    let empty = toml::Table::new();
    let reflection = t.table(table, "session_reflection").unwrap_or(&empty);
    let trigger = t
        .table(reflection, "session_reflection.trigger")
        .unwrap_or(&empty);
    let recall = t.table(table, "session_recall").unwrap_or(&empty);
    let log = t.table(table, "log").unwrap_or(&empty);
    t.reflection(reflection);
    t.trigger(trigger);
    t.recall(recall);
    t.log(log);
    Ok(Translation {
        table: t.out,
        notes: t.notes,
    })
}

struct Translator {
    out: toml::Table,
    /// The file as written: a key of this project's form set there is not overridden.
    explicit: toml::Table,
    notes: Vec<Note>,
}

fn is_secret_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "api_key", "api-key", "apikey", "token", "secret", "password", "bearer",
    ]
    .iter()
    .any(|s| k == *s || k.ends_with(&format!("_{s}")))
}

impl Translator {
    fn note(&mut self, key: &str, kind: NoteKind, effect: impl Into<String>) {
        self.notes.push(Note {
            key: key.to_string(),
            kind,
            target: None,
            effect: effect.into(),
        });
    }

    fn table<'a>(&mut self, parent: &'a toml::Table, dotted: &str) -> Option<&'a toml::Table> {
        let name = dotted.rsplit('.').next().unwrap_or(dotted);
        match parent.get(name) {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                self.note(
                    dotted,
                    NoteKind::Ignored,
                    "must be a table; the defaults apply",
                );
                None
            }
        }
    }

    /// Sets `path` in the output unless the file sets it in this project's form.
    fn set(&mut self, path: &[&str], value: toml::Value) -> bool {
        let mut at = &self.explicit;
        let mut explicit = true;
        for (i, k) in path.iter().enumerate() {
            match at.get(*k) {
                Some(toml::Value::Table(t)) if i + 1 < path.len() => at = t,
                Some(_) if i + 1 == path.len() => break,
                _ => {
                    explicit = false;
                    break;
                }
            }
        }
        if explicit {
            return false;
        }
        let (last, parents) = path.split_last().expect("a key");
        let mut at = &mut self.out;
        for k in parents {
            let entry = at
                .entry(k.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                return false;
            }
            at = entry.as_table_mut().expect("checked above");
        }
        at.insert(last.to_string(), value);
        true
    }

    fn apply(&mut self, key: &str, path: &[&str], value: toml::Value, how: &str) {
        let shown = value.to_string();
        if self.set(path, value) {
            let target = format!("{} = {shown}", path.join("."));
            let effect = if how.is_empty() {
                target
            } else {
                format!("{target} ({how})")
            };
            self.note(key, NoteKind::Applied, effect);
            if let Some(n) = self.notes.last_mut() {
                n.target = Some(path.join("."));
            }
        } else {
            self.note(
                key,
                NoteKind::NoCounterpart,
                format!(
                    "{} is set in this project's form in the same file and wins",
                    path.join(".")
                ),
            );
        }
    }

    fn boolean(&mut self, key: &str, v: &toml::Value) -> Option<bool> {
        match v {
            toml::Value::Boolean(b) => Some(*b),
            _ => {
                self.note(
                    key,
                    NoteKind::Ignored,
                    "must be true or false; the default applies",
                );
                None
            }
        }
    }

    /// A positive number read as the original did: integers, floats cut to their
    /// whole part, and numeric strings.
    fn positive(&mut self, key: &str, v: &toml::Value) -> Option<f64> {
        let n = match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            toml::Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            None => {
                self.note(
                    key,
                    NoteKind::Ignored,
                    "must be numeric; the default applies",
                );
                None
            }
            Some(n) if n <= 0.0 || n.is_nan() => {
                self.note(
                    key,
                    NoteKind::Ignored,
                    "must be positive; the default applies",
                );
                None
            }
            n => n,
        }
    }

    fn string(&mut self, key: &str, v: &toml::Value) -> Option<String> {
        match v.as_str().map(str::trim) {
            Some(s) if !s.is_empty() => Some(s.to_string()),
            _ => {
                self.note(
                    key,
                    NoteKind::Ignored,
                    "must be a non-empty string; the default applies",
                );
                None
            }
        }
    }

    fn unknown(&mut self, key: &str) {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        if is_secret_name(leaf) {
            self.note(
                key,
                NoteKind::Ignored,
                "looks like a secret: keys belong in .env.provider, not config.toml; ignored",
            );
        } else {
            self.note(key, NoteKind::Ignored, "unknown key (typo?); ignored");
        }
    }

    fn reflection(&mut self, table: &toml::Table) {
        let mut model = None;
        let mut timeout = None;
        let mut backend_how = "the original reflected through Codex";
        for (k, v) in table {
            let key = format!("session_reflection.{k}");
            match k.as_str() {
                "trigger" => {}
                "enabled" => {
                    if let Some(b) = self.boolean(&key, v) {
                        self.apply(&key, &["reflection", "enabled"], b.into(), "");
                    }
                }
                "backend" => {
                    backend_how = if v.as_str() == Some("codex-app-server") {
                        "the original reflected through Codex; here through `codex exec`, \
                         with no fork of the session and no app-server"
                    } else {
                        "the original knew only codex-app-server; reflection goes through \
                         Codex as `codex exec`"
                    };
                }
                "model" => model = self.string(&key, v),
                "timeout_seconds" => timeout = self.positive(&key, v).map(|s| (key, s)),
                "ephemeral" => {
                    let how = if v.as_bool() == Some(false) {
                        "not kept: `codex exec` always runs with --ephemeral, so no reflection \
                         session reaches your Codex history"
                    } else {
                        "always so: `codex exec` runs with --ephemeral"
                    };
                    self.note(&key, NoteKind::NoCounterpart, how);
                }
                "sandbox" => self.note(
                    &key,
                    NoteKind::NoCounterpart,
                    "`codex exec` runs read-only: the model only answers, and the host writes \
                     memory and skills after its checks",
                ),
                "approval_policy" => self.note(
                    &key,
                    NoteKind::NoCounterpart,
                    "`codex exec` runs non-interactively: nothing asks for approval",
                ),
                "skill_prefix" => self.note(
                    &key,
                    NoteKind::NoCounterpart,
                    "generated skills are always named csep-reflect-*",
                ),
                "max_concurrent_jobs" => {
                    if let Some(n) = self.positive(&key, v) {
                        let n = (n as i64).clamp(1, 16);
                        self.apply(
                            &key,
                            &["reflection", "max_concurrent_workers"],
                            n.into(),
                            "the original ran one at a time whatever this said",
                        );
                    }
                }
                _ => self.unknown(&key),
            }
        }
        // The original always reflected through the user's Codex login.
        let model = model.unwrap_or_else(|| ORIGINAL_MODEL.to_string());
        self.apply(
            "session_reflection.backend",
            &["provider", "kind"],
            "codex-exec".into(),
            backend_how,
        );
        self.apply(
            "session_reflection.model",
            &["provider", "model"],
            model.into(),
            "",
        );
        let (key, secs) = timeout.unwrap_or_else(|| {
            (
                "session_reflection.timeout_seconds".into(),
                ORIGINAL_TIMEOUT_SECONDS,
            )
        });
        let ms = (secs * 1000.0).round() as i64;
        self.apply(
            &key,
            &["provider", "timeout_ms"],
            ms.into(),
            "one `codex exec` run",
        );
        // The strategy must be allowed to wait for that run.
        let strategy_ms = ms.max(300_000) + 60_000;
        self.apply(
            &key,
            &["sandbox", "strategy_timeout_ms"],
            strategy_ms.into(),
            "room for the model call plus a minute",
        );
    }

    fn trigger(&mut self, table: &toml::Table) {
        for (k, v) in table {
            let key = format!("session_reflection.trigger.{k}");
            match k.as_str() {
                "enabled" => {
                    if let Some(b) = self.boolean(&key, v) {
                        if b {
                            self.note(
                                &key,
                                NoteKind::Applied,
                                "reflection follows reflection.enabled",
                            );
                        } else {
                            // Off in the original meant archive only: sessions are
                            // still searchable, no reflection is queued.
                            self.apply(
                                &key,
                                &["reflection", "enabled"],
                                false.into(),
                                "sessions are archived, no reflection is queued",
                            );
                        }
                    }
                }
                "memory_stop_interval" | "memory_context_chars" | "skill_tool_call_interval" => {
                    if let Some(n) = self.positive(&key, v) {
                        self.apply(&key, &["policy", "settings", k], (n as i64).into(), "");
                    }
                }
                "high_signal_immediate" => {
                    if let Some(b) = self.boolean(&key, v) {
                        self.apply(&key, &["policy", "settings", k], b.into(), "");
                    }
                }
                "skill_generation_mode" => match self.string(&key, v).as_deref() {
                    // The original published no skill in this mode, only the evidence.
                    Some("evidence_first") => self.apply(
                        &key,
                        &["reflection", "max_active_skills"],
                        0i64.into(),
                        "no new skill is published; a proposed one is refused and listed \
                         in the job's receipt",
                    ),
                    Some("one_shot_active") => self.note(
                        &key,
                        NoteKind::NoCounterpart,
                        "the strategy decides per session whether a procedure is worth a skill",
                    ),
                    Some(_) => self.note(
                        &key,
                        NoteKind::Ignored,
                        "must be one_shot_active or evidence_first; the default (skills \
                         published) applies",
                    ),
                    None => {}
                },
                "active_job_stale_seconds" => {
                    if let Some(s) = self.positive(&key, v) {
                        let minutes = ((s / 60.0).ceil() as i64).max(1);
                        self.apply(
                            &key,
                            &["reflection", "lease_minutes"],
                            minutes.into(),
                            "in minutes, rounded up",
                        );
                    }
                }
                _ => self.unknown(&key),
            }
        }
    }

    fn recall(&mut self, table: &toml::Table) {
        for (k, v) in table {
            let key = format!("session_recall.{k}");
            match k.as_str() {
                "enabled" => {
                    if let Some(b) = self.boolean(&key, v) {
                        self.apply(&key, &["recall", "enabled"], b.into(), "");
                    }
                }
                "stop_hook_archive" => {
                    if let Some(b) = self.boolean(&key, v) {
                        self.apply(&key, &["recall", "archive_on_stop"], b.into(), "");
                    }
                }
                _ => self.unknown(&key),
            }
        }
    }

    fn log(&mut self, table: &toml::Table) {
        for (k, v) in table {
            let key = format!("log.{k}");
            match k.as_str() {
                "retention_days" => {
                    if self.positive(&key, v).is_some() {
                        self.note(
                            &key,
                            NoteKind::NoCounterpart,
                            "the hook log is rotated by size, 1 MiB (the original ignored this \
                             key too); job files follow [retention]",
                        );
                    }
                }
                _ => self.unknown(&key),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(text: &str) -> Translation {
        translate(&text.parse().unwrap()).unwrap()
    }

    fn get<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
        let mut parts = path.split('.').peekable();
        let mut at = t;
        while let Some(p) = parts.next() {
            let v = at.get(p)?;
            if parts.peek().is_none() {
                return Some(v);
            }
            at = v.as_table()?;
        }
        None
    }

    #[test]
    fn user_choices_are_carried_over() {
        let t = tr(
            "schema_version = 2\n[session_reflection]\nenabled = false\nmodel = \"m\"\n\
                    timeout_seconds = 60\n[session_reflection.trigger]\nmemory_stop_interval = 5\n\
                    high_signal_immediate = false\nactive_job_stale_seconds = 61\n\
                    [session_recall]\nstop_hook_archive = false\n",
        );
        let o = &t.table;
        assert_eq!(get(o, "reflection.enabled"), Some(&false.into()));
        assert_eq!(get(o, "provider.kind"), Some(&"codex-exec".into()));
        assert_eq!(get(o, "provider.model"), Some(&"m".into()));
        assert_eq!(get(o, "provider.timeout_ms"), Some(&60_000.into()));
        assert_eq!(
            get(o, "policy.settings.memory_stop_interval"),
            Some(&5.into())
        );
        assert_eq!(
            get(o, "policy.settings.high_signal_immediate"),
            Some(&false.into())
        );
        assert_eq!(get(o, "reflection.lease_minutes"), Some(&2.into()));
        assert_eq!(get(o, "recall.archive_on_stop"), Some(&false.into()));
        assert!(get(o, "schema_version").is_none());
    }

    #[test]
    fn trigger_off_turns_reflection_off_and_unknown_keys_are_named() {
        let t = tr(
            "[session_reflection.trigger]\nenabled = false\nmemory_stop_intervall = 4\n\
                    [session_reflection]\nopenai_api_key = \"x\"\n",
        );
        assert_eq!(get(&t.table, "reflection.enabled"), Some(&false.into()));
        let warned: Vec<_> = t
            .notes
            .iter()
            .filter(|n| n.is_warning())
            .map(|n| &n.key)
            .collect();
        assert!(
            warned.iter().any(|k| k.ends_with("memory_stop_intervall")),
            "{warned:?}"
        );
        assert!(
            warned.iter().any(|k| k.ends_with("openai_api_key")),
            "{warned:?}"
        );
    }

    #[test]
    fn evidence_first_publishes_no_new_skill() {
        let t = tr("[session_reflection.trigger]\nskill_generation_mode = \"evidence_first\"\n");
        assert_eq!(
            get(&t.table, "reflection.max_active_skills"),
            Some(&0i64.into())
        );
        let t = tr("[session_reflection.trigger]\nskill_generation_mode = \"one_shot_active\"\n");
        assert_eq!(get(&t.table, "reflection.max_active_skills"), None);
    }

    #[test]
    fn this_projects_keys_in_the_same_file_win() {
        let t = tr("schema_version = 2\n[provider]\nkind = \"none\"\n");
        assert_eq!(get(&t.table, "provider.kind"), Some(&"none".into()));
        assert_eq!(
            get(&t.table, "provider.model"),
            Some(&ORIGINAL_MODEL.into())
        );
    }

    #[test]
    fn other_schema_versions_are_refused_and_numbers_read_as_the_original_did() {
        assert!(translate(&"schema_version = 3\n".parse().unwrap()).is_err());
        let t = tr(
            "[session_reflection.trigger]\nmemory_context_chars = \"9000\"\nskill_tool_call_interval = 2.7\nmemory_stop_interval = 0\n",
        );
        assert_eq!(
            get(&t.table, "policy.settings.memory_context_chars"),
            Some(&9000.into())
        );
        assert_eq!(
            get(&t.table, "policy.settings.skill_tool_call_interval"),
            Some(&2.into())
        );
        assert!(get(&t.table, "policy.settings.memory_stop_interval").is_none());
    }
}
