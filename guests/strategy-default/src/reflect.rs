//! One reflection run: read the session, pick the model or the heuristics, apply
//! the result to the staging folders, have the host vet the evidence of every
//! new entry, keep replaced entries in `refs/archive.md`, keep `MEMORY.md` within
//! budget, and say what changed. The host's imports come in through [`Host`], so
//! the whole run can be exercised against temporary folders and a scripted model.

use crate::extract::{self, Candidate, Finding};
use crate::memory_doc::{self, Change, Edit, MemoryDoc, Moved};
use crate::model_output::{self, FileOut, MemoryOp, Plan, SkillOut};
use crate::prompt::{self, Prompt, PromptInput};
use crate::session::{self, Message, Quote};
use crate::settings::{Mode, Settings};
use crate::staging::{self, Paths};
use crate::text::{cut_chars, date_from_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// What a citation vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiteScope {
    Memory,
    Skill,
}

/// The evidence of one new or changed entry, ref or skill.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub scope: CiteScope,
    /// A memory entry's text as its `MEMORY.md` line reads without `- `; a ref's
    /// path (`refs/x.md`); a skill's folder name.
    pub target: String,
    /// The `MEMORY.md` section heading; empty for refs and skills.
    pub section: String,
    pub quotes: Vec<Quote>,
}

/// What a run needs from the host.
pub trait Host {
    fn log(&mut self, level: Level, message: &str);
    /// Model calls the job may still make.
    fn remaining_calls(&mut self) -> u32;
    /// The model's text, or why the host refused (`unavailable: ...`).
    fn complete(&mut self, prompt: &Prompt) -> Result<Completion, String>;
    /// Hands the host the evidence of a change; `Err` says why it refuses it.
    fn cite(&mut self, citation: &Citation) -> Result<(), String>;
    /// Tokens the job may still spend on model calls, when the host says.
    fn remaining_tokens(&mut self) -> Option<u64> {
        None
    }
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub truncated: bool,
}

/// The job as the host described it in `reflect-input`.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub job_id: String,
    pub now_ms: u64,
    pub memory: bool,
    pub skill: bool,
    pub reasons: Vec<String>,
    pub cwd: String,
    pub client: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The session folder lacks what the host should have put there.
    InvalidState(String),
    /// Staging could not be read or written.
    Internal(String),
}

pub fn run(
    job: &Job,
    settings: &Settings,
    paths: &Paths,
    host: &mut dyn Host,
) -> Result<String, Failure> {
    let job_file = staging::read_optional(&paths.session.join("job.json"))
        .ok()
        .flatten()
        .map(|t| session::parse_job(&t))
        .unwrap_or_default();
    let cwd = first_nonempty(&job_file.cwd, &job.cwd);
    let client = first_nonempty(&job_file.client, &job.client);

    let transcript_path = paths.session.join("transcript.jsonl");
    let transcript = staging::read_optional(&transcript_path)
        .map_err(|e| {
            Failure::InvalidState(format!("cannot read {}: {e}", transcript_path.display()))
        })?
        .ok_or_else(|| {
            Failure::InvalidState(format!("{} is missing", transcript_path.display()))
        })?;
    let (messages, skipped) = session::parse_transcript(&transcript);
    if skipped > 0 {
        host.log(
            Level::Warn,
            &format!("skipped {skipped} unreadable transcript lines"),
        );
    }
    if !job.memory && !job.skill {
        return Ok("nothing to do: the job covers neither memory nor skills".into());
    }

    let memory_path = paths.memory_md();
    let original = staging::read_optional(&memory_path)
        .map_err(|e| Failure::Internal(format!("cannot read MEMORY.md: {e}")))?;
    let findings = extract::extract(&messages, &cwd);
    let candidates: Vec<Candidate> = findings.iter().map(|f| f.candidate.clone()).collect();
    host.log(
        Level::Debug,
        &format!(
            "{} transcript messages, {} heuristic candidates",
            messages.len(),
            findings.len()
        ),
    );

    let doc = MemoryDoc::parse(original.as_deref());
    let mut run = Run {
        job,
        settings,
        paths,
        messages: &messages,
        original_heads: doc.heads().into_iter().map(|(_, h)| h).collect(),
        forbidden: findings
            .iter()
            .filter_map(|f| match &f.candidate {
                Candidate::Retract {
                    section: "Commands",
                    about,
                } => Some(about.clone()),
                _ => None,
            })
            .collect(),
        doc,
        written: Vec::new(),
        superseded: Vec::new(),
        retraction_evidence: Vec::new(),
        report: Report::default(),
    };
    let use_model = match settings.mode {
        Mode::Deterministic => false,
        Mode::Model => true,
        Mode::Auto => host.remaining_calls() > 0,
    };
    if use_model {
        let context = Context {
            client: &client,
            cwd: &cwd,
            memory_md: original.as_deref(),
            candidates: &candidates,
            messages: &messages,
        };
        match ask_model(&run, &context, host) {
            Ok(plan) => run.apply_plan(plan, host),
            Err(note) => {
                host.log(Level::Warn, &note);
                run.report.fallback = Some(note);
                run.apply_findings(&findings, host);
            }
        }
    } else {
        run.apply_findings(&findings, host);
    }
    run.cite_entries(host);
    run.archive_superseded(host);
    run.enforce_budget(host);
    run.save_memory(original.as_deref())?;
    Ok(run.report.render())
}

fn first_nonempty(a: &str, b: &str) -> String {
    if a.trim().is_empty() { b } else { a }.to_string()
}

struct Context<'a> {
    client: &'a str,
    cwd: &'a str,
    memory_md: Option<&'a str>,
    candidates: &'a [Candidate],
    messages: &'a [Message],
}

/// The model's plan, or a note saying why the heuristics are used instead.
fn ask_model(run: &Run, cx: &Context, host: &mut dyn Host) -> Result<Plan, String> {
    let refs = staging::list_refs(&run.paths.refs());
    let skills = staging::list_skills(&run.paths.skills);
    // The prompt and the answer must fit what the job may still spend.
    let max_input_tokens = host
        .remaining_tokens()
        .map(|t| t.saturating_sub(u64::from(prompt::MAX_OUTPUT_TOKENS)));
    let prompt = prompt::build(&PromptInput {
        client: cx.client,
        cwd: cx.cwd,
        reasons: &run.job.reasons,
        memory_scope: run.job.memory,
        skill_scope: run.job.skill,
        memory_md: cx.memory_md,
        budget_chars: run.settings.memory_budget_chars,
        refs: &refs,
        skills: &skills,
        candidates: cx.candidates,
        messages: cx.messages,
        max_input_tokens,
    });
    if let Some(max) = max_input_tokens
        && prompt::estimate_tokens(&prompt.system) + prompt::estimate_tokens(&prompt.user) > max
    {
        return Err(format!(
            "the job's token budget ({max} tokens for the prompt) is too small for the prompt; used the heuristics"
        ));
    }
    host.log(
        Level::Info,
        &format!("asking the model ({} prompt characters)", prompt.chars()),
    );
    let answer = host
        .complete(&prompt)
        .map_err(|denial| format!("model unavailable ({denial}); used the heuristics"))?;
    let (plan, warnings) = model_output::parse(&answer.text).map_err(|e| {
        let cut = if answer.truncated {
            ", the answer was cut at the output limit"
        } else {
            ""
        };
        format!("model output was malformed ({e}{cut}); used the heuristics")
    })?;
    for w in warnings {
        host.log(Level::Warn, &format!("model output: {w}"));
    }
    Ok(plan)
}

/// An entry this run wrote, with the evidence it rests on.
struct Written {
    section: String,
    text: String,
    change: Change,
    evidence: Vec<Quote>,
}

struct Run<'a> {
    job: &'a Job,
    settings: &'a Settings,
    paths: &'a Paths,
    messages: &'a [Message],
    /// The entries `MEMORY.md` held before the run, as their lines read.
    original_heads: Vec<String>,
    /// Commands the user ruled out in this session: never recorded.
    forbidden: Vec<String>,
    doc: MemoryDoc,
    written: Vec<Written>,
    /// Entries replaced, retracted or removed in this run, for the archive.
    superseded: Vec<Moved>,
    /// The words that retracted or removed entries, cited for the archive.
    retraction_evidence: Vec<Quote>,
    report: Report,
}

impl Run<'_> {
    /// True while entries may still be added or rewritten in this run.
    fn within_cap(&mut self) -> bool {
        if self.report.written() < self.settings.max_entries_per_run {
            return true;
        }
        self.report.over_cap += 1;
        false
    }

    /// The quotes found verbatim in the transcript; a warning for the others.
    fn verified(&self, evidence: &[Quote], what: &str, host: &mut dyn Host) -> Vec<Quote> {
        let mut out = Vec::new();
        for q in evidence {
            // A long quote is cut to its head, which is still verbatim.
            let head: String = q.text.chars().take(session::MAX_QUOTE_CHARS).collect();
            let q = Quote {
                message_id: q.message_id,
                text: head.trim_end().to_string(),
            };
            if let Some(q) = q.located(self.messages) {
                if !out.contains(&q) {
                    out.push(q);
                }
            } else {
                host.log(
                    Level::Warn,
                    &format!(
                        "{what}: quote `{}` is not in message {}",
                        cut_chars(&q.text, 60),
                        q.message_id
                    ),
                );
            }
        }
        out
    }

    /// Counts an edit and remembers its evidence and what it replaced.
    fn record(&mut self, section: &str, edit: Edit, evidence: Vec<Quote>) {
        self.report.count(section, edit.change);
        if matches!(edit.change, Change::Added | Change::Replaced) {
            self.written.push(Written {
                section: section.to_string(),
                text: edit.text,
                change: edit.change,
                evidence,
            });
        }
        self.superseded.extend(edit.superseded);
    }

    fn retracted(&mut self, moved: Vec<Moved>, evidence: &[Quote]) {
        if !moved.is_empty() {
            for q in evidence {
                if !self.retraction_evidence.contains(q) {
                    self.retraction_evidence.push(q.clone());
                }
            }
        }
        self.report.removed += moved.len();
        self.superseded.extend(moved);
    }

    /// The quotes behind every archived entry: the words of what replaced it,
    /// or of what retracted it.
    fn archive_evidence(&self) -> Vec<Quote> {
        let mut out = self.retraction_evidence.clone();
        for m in &self.superseded {
            let Some(by) = &m.replaced_by else { continue };
            for w in self.written.iter().filter(|w| &w.text == by) {
                for q in &w.evidence {
                    if !out.contains(q) {
                        out.push(q.clone());
                    }
                }
            }
        }
        out
    }

    fn apply_findings(&mut self, findings: &[Finding], host: &mut dyn Host) {
        if !self.job.memory {
            return;
        }
        for f in findings {
            let evidence = self.verified(&f.evidence, "heuristic finding", host);
            if evidence.is_empty() {
                host.log(
                    Level::Debug,
                    &format!("no evidence for `{}`; not written", f.describe()),
                );
                continue;
            }
            match &f.candidate {
                Candidate::Command {
                    kind,
                    command,
                    stated,
                } => {
                    if !self.within_cap() {
                        continue;
                    }
                    let edit =
                        self.doc
                            .set_command_entry(kind.label(), command, !stated, &f.ruled_out);
                    self.record("Commands", edit, evidence);
                }
                Candidate::Entry { section, text } => {
                    if !self.within_cap() {
                        continue;
                    }
                    let edit = self.doc.add_entry(section, text);
                    self.record(section, edit, evidence);
                }
                Candidate::Retract { section, about } => {
                    let moved = if *section == "Commands" {
                        self.doc.retract_command(about)
                    } else {
                        self.doc.retract_path_rules(about)
                    };
                    self.retracted(moved, &evidence);
                }
            }
        }
    }

    fn apply_plan(&mut self, plan: Plan, host: &mut dyn Host) {
        self.report.model_summary = Some(plan.summary.clone());
        if !self.job.memory && (!plan.memory.is_empty() || !plan.refs.is_empty()) {
            host.log(
                Level::Warn,
                "ignored the model's memory changes: this job does not cover memory",
            );
        } else {
            for op in &plan.memory {
                self.apply_op(op, host);
            }
            for r in &plan.refs {
                self.write_ref(r, host);
            }
        }
        match plan.skill {
            Some(skill) if self.job.skill => self.write_skill(&skill, host),
            Some(skill) => host.log(
                Level::Warn,
                &format!(
                    "ignored skill `{}`: this job does not cover skills",
                    skill.name
                ),
            ),
            None => {}
        }
    }

    /// True (with a warning) when a model entry records a command the user
    /// ruled out in this session.
    fn runs_forbidden(&self, section: &str, text: &str, host: &mut dyn Host) -> bool {
        let command =
            memory_doc::command_of(text).filter(|_| section.eq_ignore_ascii_case("Commands"));
        let hit = command.and_then(|c| {
            self.forbidden
                .iter()
                .find(|f| crate::commands::rules_out(f, c))
        });
        if let Some(f) = hit {
            host.log(
                Level::Warn,
                &format!(
                    "dropped memory entry `{}`: the user ruled out `{f}`",
                    cut_chars(text, 80)
                ),
            );
        }
        hit.is_some()
    }

    fn apply_op(&mut self, op: &MemoryOp, host: &mut dyn Host) {
        let (section, edit, old, evidence) = match op {
            MemoryOp::Add {
                section,
                text,
                evidence,
            } => {
                let what = format!("memory entry `{}`", cut_chars(text, 80));
                let Some(evidence) = self.evidence_or_drop(evidence, &what, host) else {
                    return;
                };
                if self.runs_forbidden(section, text, host) || !self.within_cap() {
                    return;
                }
                (
                    memory_doc::canonical_name(section),
                    self.doc.add_entry(section, text),
                    None,
                    evidence,
                )
            }
            MemoryOp::Replace {
                old,
                text,
                evidence,
            } => {
                let what = format!("memory entry `{}`", cut_chars(text, 80));
                let Some(evidence) = self.evidence_or_drop(evidence, &what, host) else {
                    return;
                };
                let commands = text.split_once(':').is_some_and(|(label, _)| {
                    crate::commands::Kind::ALL
                        .iter()
                        .any(|k| k.label() == label.trim())
                });
                let section = if commands { "Commands" } else { "Notes" };
                if self.runs_forbidden(section, text, host) || !self.within_cap() {
                    return;
                }
                let edit = self.doc.replace_entry(old, text);
                let section = self
                    .doc
                    .heads()
                    .into_iter()
                    .find(|(_, h)| *h == edit.text)
                    .map(|(s, _)| s)
                    .unwrap_or_default();
                (section, edit, Some(old), evidence)
            }
            MemoryOp::Remove { old, evidence } => {
                let evidence = self.verified(evidence, "a removal", host);
                match self.doc.remove_entry(old) {
                    Some(moved) => self.retracted(vec![moved], &evidence),
                    None => host.log(
                        Level::Warn,
                        &format!("no memory entry matches `{}`", cut_chars(old, 120)),
                    ),
                }
                return;
            }
        };
        match edit.change {
            Change::NotFound => host.log(
                Level::Warn,
                &format!(
                    "no memory entry matches `{}`",
                    cut_chars(old.map_or("", String::as_str), 120)
                ),
            ),
            Change::Empty => host.log(Level::Warn, "skipped an empty memory entry"),
            _ => self.record(&section, edit, evidence),
        }
    }

    /// The verified evidence of a model change, or `None` (with a warning) when
    /// it has none: such a change is dropped.
    fn evidence_or_drop(
        &self,
        evidence: &[Quote],
        what: &str,
        host: &mut dyn Host,
    ) -> Option<Vec<Quote>> {
        let verified = self.verified(evidence, what, host);
        if verified.is_empty() {
            host.log(
                Level::Warn,
                &format!("dropped {what}: it cites no evidence from the transcript"),
            );
            return None;
        }
        Some(verified)
    }

    /// Cites a ref or skill before it is written; `false` when it must not be.
    fn cite_file(
        &self,
        scope: CiteScope,
        target: &str,
        evidence: &[Quote],
        host: &mut dyn Host,
    ) -> bool {
        let what = match scope {
            CiteScope::Memory => format!("ref `{target}`"),
            CiteScope::Skill => format!("skill `{target}`"),
        };
        let Some(quotes) = self.evidence_or_drop(evidence, &what, host) else {
            return false;
        };
        let citation = Citation {
            scope,
            target: target.to_string(),
            section: String::new(),
            quotes,
        };
        match host.cite(&citation) {
            Ok(()) => true,
            Err(e) => {
                host.log(
                    Level::Warn,
                    &format!("dropped {what}: the host refused its evidence ({e})"),
                );
                false
            }
        }
    }

    fn write_ref(&mut self, r: &FileOut, host: &mut dyn Host) {
        let target = format!("refs/{}", r.path.trim_start_matches('/'));
        if !self.cite_file(CiteScope::Memory, &target, &r.evidence, host) {
            return;
        }
        let path = self.paths.refs().join(&r.path);
        match staging::write_if_changed(&path, &r.content) {
            Ok(true) => self.report.refs_written += 1,
            Ok(false) => {}
            Err(e) => host.log(
                Level::Warn,
                &format!("could not write ref `{}`: {e}", r.path),
            ),
        }
    }

    fn write_skill(&mut self, skill: &SkillOut, host: &mut dyn Host) {
        if !self.cite_file(CiteScope::Skill, &skill.name, &skill.evidence, host) {
            self.report.skill = Some(format!("skill {} dropped without evidence", skill.name));
            return;
        }
        let dir = self.paths.skills.join(&skill.name);
        let skill_md = dir.join("SKILL.md");
        let existed = skill_md.exists();
        let text = staging::skill_markdown(&skill.name, &skill.description, &skill.body);
        let wrote = match staging::write_if_changed(&skill_md, &text) {
            Ok(wrote) => wrote,
            Err(e) => {
                host.log(
                    Level::Warn,
                    &format!("could not write skill `{}`: {e}", skill.name),
                );
                self.report.skill = Some(format!("could not write skill {}", skill.name));
                return;
            }
        };
        let mut files = 0;
        for f in &skill.files {
            match staging::write_if_changed(&dir.join(&f.path), &f.content) {
                Ok(true) => files += 1,
                Ok(false) => {}
                Err(e) => host.log(
                    Level::Warn,
                    &format!(
                        "could not write skill file `{}/{}`: {e}",
                        skill.name, f.path
                    ),
                ),
            }
        }
        self.report.skill = Some(match (wrote || files > 0, existed) {
            (false, _) => format!("skill {} unchanged", skill.name),
            (true, false) => format!("created skill {}", skill.name),
            (true, true) => format!("updated skill {}", skill.name),
        });
    }

    /// Cites every entry that is new or changed in this run; an entry without
    /// evidence, or whose evidence the host refuses, is taken out again (and
    /// what it replaced comes back).
    fn cite_entries(&mut self, host: &mut dyn Host) {
        if !self.job.memory {
            return;
        }
        for (section, head) in self.doc.heads() {
            if self.original_heads.contains(&head) {
                continue;
            }
            let evidence: Vec<Quote> = self
                .written
                .iter()
                .filter(|w| w.text == head)
                .flat_map(|w| w.evidence.iter().cloned())
                .collect();
            let refusal = if evidence.is_empty() {
                Some("no evidence".to_string())
            } else {
                let citation = Citation {
                    scope: CiteScope::Memory,
                    target: head.clone(),
                    section: section.clone(),
                    quotes: evidence,
                };
                host.cite(&citation).err()
            };
            if let Some(why) = refusal {
                host.log(
                    Level::Warn,
                    &format!("dropped memory entry `{}`: {why}", cut_chars(&head, 120)),
                );
                self.undo(&head);
            }
        }
    }

    /// Takes entry `head` out of the document and puts back what it replaced.
    fn undo(&mut self, head: &str) {
        if let Some(i) = self.written.iter().position(|w| w.text == head) {
            let w = self.written.remove(i);
            self.report.uncount(&w.section, w.change);
        }
        let (restore, keep): (Vec<Moved>, Vec<Moved>) = std::mem::take(&mut self.superseded)
            .into_iter()
            .partition(|m| m.replaced_by.as_deref() == Some(head));
        self.superseded = keep;
        match restore.split_first() {
            Some((first, rest)) => {
                self.doc.restore(head, first);
                for m in rest {
                    self.doc.reinsert(m);
                }
            }
            None => {
                self.doc.remove(head);
            }
        }
        self.report.refused += 1;
    }

    /// `YYYY-MM-DD (job <id>)`, or `job <id>` when the time is unknown.
    fn archive_header(&self) -> String {
        if self.job.now_ms > 0 {
            format!(
                "{} (job {})",
                date_from_ms(self.job.now_ms),
                self.job.job_id
            )
        } else {
            format!("job {}", self.job.job_id)
        }
    }

    /// Writes the entries replaced or retracted in this run to `refs/archive.md`;
    /// when that fails, they all come back and their replacements go.
    fn archive_superseded(&mut self, host: &mut dyn Host) {
        if !self.job.memory || self.superseded.is_empty() {
            return;
        }
        // The archive's new lines (its header, `replaced by`) rest on the same
        // words as the change itself; the host refuses them otherwise.
        let evidence = self.archive_evidence();
        if !evidence.is_empty() {
            self.cite_file(CiteScope::Memory, "refs/archive.md", &evidence, host);
        }
        let archive_path = self.paths.refs().join("archive.md");
        let existing = staging::read_optional(&archive_path).unwrap_or(None);
        let archive = memory_doc::append_archive(
            existing.as_deref(),
            "Replaced",
            &self.archive_header(),
            &self.superseded,
        );
        if let Err(e) = staging::write_if_changed(&archive_path, &archive) {
            host.log(
                Level::Error,
                &format!("could not write refs/archive.md, nothing is replaced: {e}"),
            );
            for m in std::mem::take(&mut self.superseded) {
                match &m.replaced_by {
                    Some(by) => {
                        self.doc.restore(by, &m);
                        if let Some(i) = self.written.iter().position(|w| &w.text == by) {
                            let w = self.written.remove(i);
                            self.report.uncount(&w.section, w.change);
                        }
                    }
                    None => {
                        self.report.removed = self.report.removed.saturating_sub(1);
                        self.doc.reinsert(&m);
                    }
                }
            }
        }
    }

    /// Moves old `Notes`/`Facts` entries to `refs/archive.md` while `MEMORY.md` is
    /// over budget. The archive is written first; if that fails nothing moves.
    fn enforce_budget(&mut self, host: &mut dyn Host) {
        if !self.job.memory {
            return;
        }
        let before = self.doc.clone();
        let moved = self.doc.enforce_budget(self.settings.memory_budget_chars);
        if moved.is_empty() {
            return;
        }
        let archive_path = self.paths.refs().join("archive.md");
        let existing = staging::read_optional(&archive_path).unwrap_or(None);
        let archive = memory_doc::append_archive(
            existing.as_deref(),
            "Archived",
            &self.archive_header(),
            &moved,
        );
        match staging::write_if_changed(&archive_path, &archive) {
            Ok(_) => self.report.archived = moved.len(),
            Err(e) => {
                host.log(
                    Level::Error,
                    &format!("could not write refs/archive.md, MEMORY.md stays over budget: {e}"),
                );
                self.doc = before;
            }
        }
    }

    fn save_memory(&self, original: Option<&str>) -> Result<(), Failure> {
        if !self.job.memory || !self.report.memory_changed() {
            return Ok(());
        }
        let text = self.doc.render();
        if original == Some(text.as_str()) {
            return Ok(());
        }
        staging::write_if_changed(&self.paths.memory_md(), &text)
            .map(|_| ())
            .map_err(|e| Failure::Internal(format!("cannot write MEMORY.md: {e}")))
    }
}

/// What a run changed, for the summary.
#[derive(Debug, Default)]
struct Report {
    added: Vec<(String, usize)>,
    replaced: usize,
    removed: usize,
    over_cap: usize,
    refs_written: usize,
    archived: usize,
    /// Entries taken out again for want of accepted evidence.
    refused: usize,
    skill: Option<String>,
    model_summary: Option<String>,
    fallback: Option<String>,
}

impl Report {
    fn count(&mut self, section: &str, change: Change) {
        match change {
            Change::Added => match self.added.iter_mut().find(|(s, _)| s == section) {
                Some((_, n)) => *n += 1,
                None => self.added.push((section.to_string(), 1)),
            },
            Change::Replaced => self.replaced += 1,
            Change::Unchanged | Change::NotFound | Change::Empty => {}
        }
    }

    /// Takes back a [`Report::count`] for an entry taken out again.
    fn uncount(&mut self, section: &str, change: Change) {
        match change {
            Change::Added => {
                if let Some((_, n)) = self.added.iter_mut().find(|(s, _)| s == section) {
                    *n = n.saturating_sub(1);
                }
                self.added.retain(|(_, n)| *n > 0);
            }
            Change::Replaced => self.replaced = self.replaced.saturating_sub(1),
            Change::Unchanged | Change::NotFound | Change::Empty => {}
        }
    }

    fn total_added(&self) -> usize {
        self.added.iter().map(|(_, n)| n).sum()
    }

    /// Entries added or rewritten, which `max_entries_per_run` bounds.
    fn written(&self) -> usize {
        self.total_added() + self.replaced
    }

    fn memory_changed(&self) -> bool {
        self.written() + self.removed + self.archived > 0
    }

    fn render(&self) -> String {
        let entries = |n: usize| if n == 1 { "entry" } else { "entries" };
        let mut parts = Vec::new();
        let added = self.total_added();
        if added > 0 {
            let mut sections = self.added.clone();
            let rank = |s: &str| {
                memory_doc::CANONICAL
                    .iter()
                    .position(|c| *c == s)
                    .unwrap_or(memory_doc::CANONICAL.len())
            };
            sections.sort_by_key(|(s, _)| rank(s));
            let breakdown: Vec<String> =
                sections.iter().map(|(s, n)| format!("{s}: {n}")).collect();
            parts.push(format!(
                "added {added} memory {} ({})",
                entries(added),
                breakdown.join(", ")
            ));
        }
        if self.replaced > 0 {
            parts.push(format!(
                "replaced {} memory {}",
                self.replaced,
                entries(self.replaced)
            ));
        }
        if self.removed > 0 {
            parts.push(format!(
                "removed {} memory {}",
                self.removed,
                entries(self.removed)
            ));
        }
        if self.refs_written > 0 {
            let files = if self.refs_written == 1 {
                "file"
            } else {
                "files"
            };
            parts.push(format!("wrote {} ref {files}", self.refs_written));
        }
        if self.archived > 0 {
            parts.push(format!(
                "archived {} {} to refs/archive.md",
                self.archived,
                entries(self.archived)
            ));
        }
        if self.over_cap > 0 {
            parts.push(format!(
                "skipped {} over max_entries_per_run",
                self.over_cap
            ));
        }
        if self.refused > 0 {
            parts.push(format!(
                "dropped {} {} without accepted evidence",
                self.refused,
                entries(self.refused)
            ));
        }
        let mut out = match (parts.is_empty(), &self.skill) {
            (true, None) => "nothing new".to_string(),
            (true, Some(skill)) => skill.clone(),
            (false, None) => format!("{}; no skill", parts.join(", ")),
            (false, Some(skill)) => format!("{}; {skill}", parts.join(", ")),
        };
        if let Some(summary) = self.model_summary.as_deref().filter(|s| !s.is_empty()) {
            out.push_str(&format!(" (model: {})", cut_chars(summary, 200)));
        }
        match &self.fallback {
            Some(note) => format!("{note}: {out}"),
            None => out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::testdir::TempDir;
    use std::fs;
    use std::path::Path;

    /// A scripted model: hands out the answers in order, records the prompts,
    /// logs and citations, and refuses citations of targets holding a word of
    /// `refuse`.
    #[derive(Default)]
    struct FakeHost {
        calls_left: u32,
        answers: Vec<Result<String, String>>,
        prompts: Vec<Prompt>,
        logs: Vec<(Level, String)>,
        citations: Vec<Citation>,
        refuse: Vec<&'static str>,
    }

    impl FakeHost {
        fn answering(answer: Result<&str, &str>) -> FakeHost {
            FakeHost {
                calls_left: 1,
                answers: vec![answer.map(str::to_string).map_err(str::to_string)],
                ..FakeHost::default()
            }
        }

        fn warned(&self, needle: &str) -> bool {
            self.logs
                .iter()
                .any(|(l, m)| *l == Level::Warn && m.contains(needle))
        }
    }

    impl Host for FakeHost {
        fn log(&mut self, level: Level, message: &str) {
            self.logs.push((level, message.to_string()));
        }
        fn remaining_calls(&mut self) -> u32 {
            self.calls_left
        }
        fn complete(&mut self, prompt: &Prompt) -> Result<Completion, String> {
            self.prompts.push(prompt.clone());
            self.calls_left = self.calls_left.saturating_sub(1);
            let answer = if self.answers.is_empty() {
                Err("budget-exceeded: no calls left".to_string())
            } else {
                self.answers.remove(0)
            };
            answer.map(|text| Completion {
                text,
                truncated: false,
            })
        }
        fn cite(&mut self, citation: &Citation) -> Result<(), String> {
            self.citations.push(citation.clone());
            match self.refuse.iter().find(|w| citation.target.contains(*w)) {
                Some(w) => Err(format!("quote does not support `{w}`")),
                None => Ok(()),
            }
        }
    }

    struct Setup {
        _dir: TempDir,
        paths: Paths,
        job: Job,
    }

    fn line(id: usize, role: &str, tool: Option<&str>, error: bool, text: &str) -> String {
        serde_json::json!({"id": id, "role": role, "tool": tool, "at_ms": null, "error": error, "text": text})
            .to_string()
    }

    const SESSION: &[(&str, Option<&str>, bool, &str)] = &[
        (
            "user",
            None,
            false,
            "Fix the flaky parser test. The test command is `make check`, and don't touch vendor/.",
        ),
        (
            "tool-call",
            Some("shell"),
            false,
            r#"{"command":["bash","-lc","cargo build"],"workdir":"/repo"}"#,
        ),
        (
            "tool-output",
            Some("shell"),
            false,
            "Exit code: 0\nOutput:\nFinished",
        ),
        (
            "tool-call",
            Some("shell"),
            false,
            r#"{"command":"npm test","description":"Run tests"}"#,
        ),
        ("tool-output", Some("shell"), true, "npm ERR! Test failed"),
        ("assistant", None, false, "Done."),
    ];

    fn setup(memory_md: Option<&str>, session: &[(&str, Option<&str>, bool, &str)]) -> Setup {
        let dir = TempDir::new("run");
        let paths = Paths {
            session: dir.path().join("session"),
            memory: dir.path().join("memory"),
            skills: dir.path().join("skills"),
        };
        for p in [&paths.session, &paths.memory, &paths.skills] {
            fs::create_dir_all(p).unwrap();
        }
        let transcript: Vec<String> = session
            .iter()
            .enumerate()
            .map(|(i, (r, t, e, x))| line(i + 1, r, *t, *e, x))
            .collect();
        fs::write(
            paths.session.join("transcript.jsonl"),
            transcript.join("\n"),
        )
        .unwrap();
        fs::write(
            paths.session.join("job.json"),
            r#"{"job_id":"j1","scopes":["memory","skill"],"reasons":["high-signal-memory"],"client":"codex","cwd":"/repo","bucket_id":"-repo"}"#,
        )
        .unwrap();
        if let Some(text) = memory_md {
            fs::write(paths.memory_md(), text).unwrap();
        }
        Setup {
            _dir: dir,
            paths,
            job: Job {
                job_id: "j1".into(),
                now_ms: 1_798_156_800_000,
                memory: true,
                skill: true,
                reasons: vec!["high-signal-memory".into()],
                cwd: "/repo".into(),
                client: "codex".into(),
            },
        }
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    /// Every file under `dir`, relative, sorted.
    fn tree(dir: &Path) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for e in fs::read_dir(dir).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    walk(base, &e.path(), out);
                } else {
                    out.push(e.path().strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    fn deterministic() -> Settings {
        Settings {
            mode: Mode::Deterministic,
            ..Settings::default()
        }
    }

    #[test]
    fn deterministic_run_writes_memory_and_a_second_run_changes_nothing() {
        let s = setup(None, SESSION);
        let mut host = FakeHost::default();
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(
            summary,
            "added 3 memory entries (Commands: 2, Rules: 1); no skill"
        );
        assert!(
            host.prompts.is_empty(),
            "auto mode with no calls left uses no model"
        );
        let first = read(&s.paths.memory_md());
        assert_eq!(
            first,
            "# Memory\n\n## Commands\n- Test: `make check`\n- Build: `cargo build` (ran successfully)\n\n## Rules\n- Do not modify `vendor/` (the user said so)\n"
        );
        let again = run(&s.job, &deterministic(), &s.paths, &mut host).unwrap();
        assert_eq!(again, "nothing new");
        assert_eq!(read(&s.paths.memory_md()), first);
        assert_eq!(tree(&s.paths.memory), ["MEMORY.md"]);
    }

    #[test]
    fn unknown_content_survives_a_run() {
        let person = "# Memory\n\nA paragraph a person wrote.\n\n## Commands\n- Test: `cargo test` (confirmed 2026-11-25)\n\n## Deploy notes\nship on fridays\n";
        let s = setup(Some(person), SESSION);
        let summary = run(&s.job, &deterministic(), &s.paths, &mut FakeHost::default()).unwrap();
        assert_eq!(
            summary,
            "added 2 memory entries (Commands: 1, Rules: 1), replaced 1 memory entry; no skill"
        );
        let out = read(&s.paths.memory_md());
        assert!(out.starts_with("# Memory\n\nA paragraph a person wrote.\n\n## Commands\n- Test: `make check`\n- Build: `cargo build` (ran successfully)\n"));
        assert!(out.contains("## Deploy notes\nship on fridays\n"));
        assert!(out.contains("## Rules\n- Do not modify `vendor/` (the user said so)\n"));
    }

    #[test]
    fn nothing_found_leaves_staging_untouched() {
        let s = setup(None, &[("user", None, false, "thanks, looks good")]);
        let summary = run(&s.job, &deterministic(), &s.paths, &mut FakeHost::default()).unwrap();
        assert_eq!(summary, "nothing new");
        assert!(tree(&s.paths.memory).is_empty());
    }

    #[test]
    fn model_plan_is_applied_faithfully() {
        let existing = "# Memory\n\n## Notes\n- old fact about ports\n- wrong note\n";
        let s = setup(Some(existing), SESSION);
        fs::create_dir_all(s.paths.skills.join("csep-reflect-release")).unwrap();
        fs::write(
            s.paths.skills.join("csep-reflect-release/SKILL.md"),
            "---\nname: csep-reflect-release\ndescription: Cut a release\n---\n\nold body\n",
        )
        .unwrap();
        let answer = r##"Sure! Here is the JSON:
```json
{"memory": [{"op": "add", "section": "Commands", "text": "Test: `make check`",
             "evidence": [{"id": 1, "quote": "The test command is `make check`"}]},
            {"op": "add", "section": "notes", "text": "OLD fact about   ports",
             "evidence": [{"id": 1, "quote": "Fix the flaky parser test."}]},
            {"op": "replace", "old": "old fact about ports", "text": "The dev server listens on 8080",
             "evidence": [{"id": 1, "quote": "Fix the flaky"}]},
            {"op": "remove", "old": "wrong note"},
            {"op": "remove", "old": "not there"}],
 "refs": [{"path": "topics/db.md", "content": "# DB\n\nMigrations live in db/.\n",
           "evidence": [{"id": 6, "quote": "Done."}]}],
 "skill": {"name": "csep-reflect-release", "description": "Cut a release", "body": "1. Tag\n2. Push",
           "files": [{"path": "run.sh", "content": "echo hi\n"}],
           "evidence": [{"id": 2, "quote": "cargo build"}]},
 "summary": "recorded the test command"}
```"##;
        let mut host = FakeHost::answering(Ok(answer));
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(
            summary,
            "added 1 memory entry (Commands: 1), replaced 1 memory entry, removed 1 memory entry, wrote 1 ref file; updated skill csep-reflect-release (model: recorded the test command)"
        );
        assert_eq!(
            read(&s.paths.memory_md()),
            "# Memory\n\n## Commands\n- Test: `make check`\n\n## Notes\n- The dev server listens on 8080\n"
        );
        assert_eq!(
            read(&s.paths.refs().join("topics/db.md")),
            "# DB\n\nMigrations live in db/.\n"
        );
        assert_eq!(
            read(&s.paths.skills.join("csep-reflect-release/SKILL.md")),
            "---\nname: csep-reflect-release\ndescription: \"Cut a release\"\n---\n\n1. Tag\n2. Push\n"
        );
        // Not filtered here: the host decides about `run.sh`.
        assert_eq!(
            read(&s.paths.skills.join("csep-reflect-release/run.sh")),
            "echo hi\n"
        );
        assert!(host.warned("not there"));
        let prompt = &host.prompts[0];
        assert!(
            prompt
                .user
                .contains("- csep-reflect-release: Cut a release")
        );
        assert!(prompt.user.contains("- wrong note"));
    }

    #[test]
    fn skill_names_are_not_vetted_and_write_errors_only_warn() {
        let s = setup(None, SESSION);
        fs::create_dir_all(s.paths.refs()).unwrap();
        fs::write(s.paths.refs().join("plain.md"), "a file").unwrap();
        let answer = r#"{"memory": [],
            "refs": [{"path": "plain.md/inside.md", "content": "x", "evidence": [{"id": 6, "quote": "Done."}]},
                     {"path": "ok.md", "content": "y", "evidence": [{"id": 6, "quote": "Done."}]}],
            "skill": {"name": "release-helper", "description": "d", "body": "b",
                      "evidence": [{"id": 6, "quote": "Done."}]},
            "summary": ""}"#;
        let mut host = FakeHost::answering(Ok(answer));
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(summary, "wrote 1 ref file; created skill release-helper");
        assert!(s.paths.skills.join("release-helper/SKILL.md").exists());
        assert!(host.warned("plain.md/inside.md"));
        assert_eq!(read(&s.paths.refs().join("ok.md")), "y");
    }

    #[test]
    fn malformed_model_output_falls_back_to_the_heuristics() {
        let s = setup(None, SESSION);
        let mut host = FakeHost::answering(Ok("I think the test command is make check."));
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert!(
            summary.starts_with("model output was malformed (no JSON object in the answer); used the heuristics: added 3 memory entries"),
            "{summary}"
        );
        assert!(host.warned("malformed"));
        assert!(read(&s.paths.memory_md()).contains("- Test: `make check`"));
    }

    #[test]
    fn a_denial_falls_back_and_says_so() {
        let s = setup(None, SESSION);
        let mut host = FakeHost::answering(Err("unavailable: no provider configured"));
        let settings = Settings {
            mode: Mode::Model,
            ..Settings::default()
        };
        let summary = run(&s.job, &settings, &s.paths, &mut host).unwrap();
        assert!(
            summary.starts_with("model unavailable (unavailable: no provider configured); used the heuristics: added 3"),
            "{summary}"
        );
        // `model` mode asks even when the budget says no calls are left.
        let s = setup(None, SESSION);
        let mut host = FakeHost::default();
        let summary = run(&s.job, &settings, &s.paths, &mut host).unwrap();
        assert_eq!(host.prompts.len(), 1);
        assert!(
            summary.starts_with("model unavailable (budget-exceeded"),
            "{summary}"
        );
    }

    #[test]
    fn the_empty_answer_changes_nothing() {
        let s = setup(None, SESSION);
        let mut host = FakeHost::answering(Ok(
            r#"{"memory": [], "skill": null, "summary": "nothing worth keeping"}"#,
        ));
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(summary, "nothing new (model: nothing worth keeping)");
        assert!(tree(&s.paths.memory).is_empty());
        assert!(tree(&s.paths.skills).is_empty());
    }

    #[test]
    fn scopes_limit_what_is_written() {
        let s = setup(None, SESSION);
        let mut job = s.job.clone();
        job.memory = false;
        let answer = r#"{"memory": [{"op": "add", "text": "x"}], "skill": {"name": "csep-reflect-a", "body": "b", "evidence": [{"id": 6, "quote": "Done."}]}}"#;
        let mut host = FakeHost::answering(Ok(answer));
        let summary = run(&job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(summary, "created skill csep-reflect-a");
        assert!(tree(&s.paths.memory).is_empty());
        assert!(host.warned("does not cover memory"));

        let mut job = s.job.clone();
        job.skill = false;
        let answer = r#"{"memory": [], "skill": {"name": "csep-reflect-b", "body": "b", "evidence": [{"id": 6, "quote": "Done."}]}}"#;
        let mut host = FakeHost::answering(Ok(answer));
        assert_eq!(
            run(&job, &Settings::default(), &s.paths, &mut host).unwrap(),
            "nothing new"
        );
        assert!(!s.paths.skills.join("csep-reflect-b").exists());
    }

    #[test]
    fn max_entries_per_run_caps_additions() {
        let s = setup(None, SESSION);
        let settings = Settings {
            max_entries_per_run: 1,
            mode: Mode::Deterministic,
            ..Settings::default()
        };
        let summary = run(&s.job, &settings, &s.paths, &mut FakeHost::default()).unwrap();
        assert_eq!(
            summary,
            "added 1 memory entry (Commands: 1), skipped 2 over max_entries_per_run; no skill"
        );
    }

    #[test]
    fn over_budget_moves_old_notes_to_the_archive_and_keeps_everything() {
        let mut existing =
            String::from("# Memory\n\n## Facts\n- a fact that stays if it can\n\n## Notes\n");
        for i in 0..30 {
            existing.push_str(&format!(
                "- note {i:02}: something learned in an earlier session\n"
            ));
        }
        let s = setup(Some(&existing), SESSION);
        let settings = Settings {
            memory_budget_chars: 600,
            mode: Mode::Deterministic,
            ..Settings::default()
        };
        let summary = run(&s.job, &settings, &s.paths, &mut FakeHost::default()).unwrap();
        let memory = read(&s.paths.memory_md());
        assert!(memory.chars().count() <= 600, "{}", memory.chars().count());
        let archive = read(&s.paths.refs().join("archive.md"));
        assert!(archive.contains("## Archived 2026-12-25 (job j1)\n\n### Notes\n\n- note 00:"));
        for i in 0..30 {
            let entry = format!("- note {i:02}: something");
            assert!(
                memory.contains(&entry) ^ archive.contains(&entry),
                "{entry}"
            );
        }
        assert!(memory.contains("- note 29:"));
        assert!(memory.contains("- Do not modify `vendor/`"));
        assert!(summary.contains("archived"), "{summary}");
        assert!(tree(&s.paths.memory).iter().all(|f| !f.ends_with(".tmp")));
    }

    /// A session of user messages, each optionally followed by one shell call
    /// and its output.
    fn users(
        texts: &[&'static str],
    ) -> Vec<(&'static str, Option<&'static str>, bool, &'static str)> {
        texts.iter().map(|t| ("user", None, false, *t)).collect()
    }

    fn ran(
        mut session: Vec<(&'static str, Option<&'static str>, bool, &'static str)>,
        args: &'static str,
    ) -> Vec<(&'static str, Option<&'static str>, bool, &'static str)> {
        session.push(("tool-call", Some("shell"), false, args));
        session.push((
            "tool-output",
            Some("shell"),
            false,
            "Exit code: 0\nOutput:\nok",
        ));
        session
    }

    /// Runs the deterministic strategy on `session` over `memory`; the new
    /// MEMORY.md, the archive (empty when none) and the host.
    fn outcome(
        memory: Option<&str>,
        session: &[(&str, Option<&str>, bool, &str)],
        mut host: FakeHost,
    ) -> (String, String, FakeHost) {
        let s = setup(memory, session);
        run(&s.job, &deterministic(), &s.paths, &mut host).unwrap();
        let memory = fs::read_to_string(s.paths.memory_md()).unwrap_or_default();
        let archive = fs::read_to_string(s.paths.refs().join("archive.md")).unwrap_or_default();
        (memory, archive, host)
    }

    /// The `- ` lines of a document.
    fn entries(doc: &str) -> Vec<String> {
        doc.lines()
            .filter(|l| l.starts_with("- "))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn what_is_written_across_sessions_in_four_languages() {
        struct Case {
            memory: Option<&'static str>,
            session: Vec<(&'static str, Option<&'static str>, bool, &'static str)>,
            lines: &'static [&'static str],
            archived: &'static [&'static str],
        }
        let cases = [
            // A forbidden command is never the command.
            Case {
                memory: None,
                session: users(&[
                    "记住：这个仓库的测试命令是 make check-all ，不要用 cargo test 直接跑。",
                ]),
                lines: &["- Test: `make check-all` (not `cargo test`)"],
                archived: &[],
            },
            // Forbidden, then run successfully anyway: not recorded, and the old
            // entry running it goes to the archive.
            Case {
                memory: Some("# Memory\n\n## Commands\n- Test: `cargo test` (ran successfully)\n"),
                session: ran(
                    users(&["Don't run `cargo test`, it needs a database we don't have."]),
                    r#"{"command":"cargo test"}"#,
                ),
                lines: &[],
                archived: &["- Test: `cargo test` (ran successfully)"],
            },
            Case {
                memory: None,
                session: users(&["别用 go test 跑测试，测试用 mage test"]),
                lines: &["- Test: `mage test` (not `go test`)"],
                archived: &[],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Commands\n- Test: `go test ./...` (ran successfully)\n",
                ),
                session: users(&["테스트는 go test 말고 mage test 로 돌려"]),
                lines: &["- Test: `mage test` (not `go test`)"],
                archived: &["- Test: `go test ./...` (ran successfully)"],
            },
            Case {
                memory: None,
                session: users(&["テストは cargo test ではなく make check-all で実行して"]),
                lines: &["- Test: `make check-all` (not `cargo test`)"],
                archived: &[],
            },
            // A URL's role restated in other words replaces the old URL.
            Case {
                memory: Some(
                    "# Memory\n\n## Notes\n- The staging environment is at https://staging-a.example.com and smoke tests run against it.\n",
                ),
                session: users(&[
                    "Staging moved: it is https://stage.example.net now. Remember the new one.",
                ]),
                lines: &["- Staging: https://stage.example.net"],
                archived: &[
                    "- The staging environment is at https://staging-a.example.com and smoke tests run against it.",
                ],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Notes\n- ステージング環境の URL は https://stg-old.example.jp です\n",
                ),
                session: users(&[
                    "ステージングは https://stg.example.jp に移転しました。古い方はもう使えません。",
                ]),
                lines: &["- Staging: https://stg.example.jp"],
                archived: &["- ステージング環境の URL は https://stg-old.example.jp です"],
            },
            Case {
                memory: Some("# Memory\n\n## Notes\n- 预发环境是 https://pre-old.example.cn\n"),
                session: users(&["预发环境已经迁移到 https://pre.example.cn 了。"]),
                lines: &["- Staging: https://pre.example.cn"],
                archived: &["- 预发环境是 https://pre-old.example.cn"],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Notes\n- 스테이징 주소는 https://stg-old.example.kr 입니다\n",
                ),
                session: users(&["스테이징 서버는 https://stg.example.kr 로 옮겼어요."]),
                lines: &["- Staging: https://stg.example.kr"],
                archived: &["- 스테이징 주소는 https://stg-old.example.kr 입니다"],
            },
            // A fact that changes is replaced.
            Case {
                memory: Some("# Memory\n\n## Notes\n- 用 yarn\n"),
                session: users(&["以后用 pnpm，不要再用 yarn"]),
                lines: &["- 以后用 pnpm，不要再用 yarn"],
                archived: &["- 用 yarn"],
            },
            Case {
                memory: Some("# Memory\n\n## Notes\n- Use npm for installs\n"),
                session: users(&["From now on, use bun."]),
                lines: &["- Use bun."],
                archived: &["- Use npm for installs"],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Notes\n- The staging URL is https://staging-old.example.com\n",
                ),
                session: users(&[
                    "Remember that the staging URL is now https://stg.example.com/app",
                ]),
                lines: &["- The staging URL is now https://stg.example.com/app"],
                archived: &["- The staging URL is https://staging-old.example.com"],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Rules\n- Do not modify `legacy/` (the user said so)\n",
                ),
                session: users(&["FYI legacy/ is no longer frozen."]),
                lines: &[],
                archived: &["- Do not modify `legacy/` (the user said so)"],
            },
            Case {
                memory: Some(
                    "# Memory\n\n## Rules\n- Do not modify `legacy/` (the user said so)\n",
                ),
                session: users(&["legacy/ 는 이제 수정해도 돼"]),
                lines: &[],
                archived: &["- Do not modify `legacy/` (the user said so)"],
            },
            Case {
                memory: Some("# Memory\n\n## Notes\n- Reply in English\n"),
                session: users(&["今後は日本語で返事して"]),
                lines: &["- 今後は日本語で返事して"],
                archived: &["- Reply in English"],
            },
            Case {
                memory: Some("# Memory\n\n## Notes\n- CI runs on Node 18\n"),
                session: users(&["记住：CI 现在跑在 Node 22 上"]),
                lines: &["- CI 现在跑在 Node 22 上"],
                archived: &["- CI runs on Node 18"],
            },
            // Near-duplicates merge.
            Case {
                memory: Some("# Memory\n\n## Notes\n- Releases are cut on Fridays.\n"),
                session: users(&["remember that releases are cut on \"fridays\""]),
                lines: &["- Releases are cut on Fridays."],
                archived: &[],
            },
            // Pasted material is not the user speaking.
            Case {
                memory: None,
                session: users(&[
                    "CI is red, log below\n\n2026-12-01T10:00:00Z INFO Step 4/9 : RUN docker system prune -af --volumes\n2026-12-01T10:00:03Z ERROR the test command is cargo test -p api\n\nany idea?",
                ]),
                lines: &[],
                archived: &[],
            },
            // One-off runs are not the project's commands.
            Case {
                memory: None,
                session: ran(
                    ran(
                        users(&["please fix the login test"]),
                        r#"{"command":"pytest -k login"}"#,
                    ),
                    r#"{"command":"docker system prune -af --volumes"}"#,
                ),
                lines: &[],
                archived: &[],
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let (memory, archive, _) = outcome(case.memory, &case.session, FakeHost::default());
            assert_eq!(entries(&memory), case.lines, "case {i}: {memory}");
            assert_eq!(entries(&archive), case.archived, "case {i}: {archive}");
            if !case.archived.is_empty() {
                assert!(
                    archive.contains("## Replaced 2026-12-25 (job j1)"),
                    "{archive}"
                );
            }
        }
    }

    #[test]
    fn every_new_entry_is_cited_with_verbatim_quotes() {
        let session = ran(
            users(&[
                "Thanks. The test command is `make check-all`, not `cargo test`.",
                "remember: the fixtures live in tests/data\nand don't touch vendor/",
            ]),
            r#"{"command":["bash","-lc","cargo build"],"workdir":"/repo"}"#,
        );
        let (memory, _, host) = outcome(None, &session, FakeHost::default());
        let (messages, _) = session::parse_transcript(
            &session
                .iter()
                .enumerate()
                .map(|(i, (r, t, e, x))| line(i + 1, r, *t, *e, x))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let lines = entries(&memory);
        assert_eq!(
            lines,
            [
                "- Test: `make check-all` (not `cargo test`)",
                "- Build: `cargo build` (ran successfully)",
                "- Do not modify `vendor/` (the user said so)",
                "- The fixtures live in tests/data",
            ]
        );
        let targets: Vec<String> = host
            .citations
            .iter()
            .map(|c| format!("- {}", c.target))
            .collect();
        assert_eq!(targets, lines);
        assert_eq!(
            host.citations
                .iter()
                .map(|c| c.section.as_str())
                .collect::<Vec<_>>(),
            ["Commands", "Commands", "Rules", "Notes"]
        );
        for c in &host.citations {
            assert_eq!(c.scope, CiteScope::Memory);
            assert!(!c.quotes.is_empty(), "{c:?}");
            for q in &c.quotes {
                assert!(q.found_in(&messages), "{q:?}");
                let m = messages
                    .iter()
                    .find(|m| m.id == Some(q.message_id))
                    .unwrap();
                assert!(m.text.contains(&q.text));
            }
        }
        assert_eq!(host.citations[1].quotes[0].message_id, 3);
        assert_eq!(host.citations[1].quotes[0].text, "cargo build");
        // A second run cites nothing: nothing is new.
        let s = setup(Some(&memory), &session);
        let mut again = FakeHost::default();
        run(&s.job, &deterministic(), &s.paths, &mut again).unwrap();
        assert!(again.citations.is_empty());
    }

    #[test]
    fn the_archive_is_cited_with_the_words_that_replaced_or_retracted_its_entries() {
        for (memory, said, quote) in [
            (
                "# Memory\n\n## Rules\n- Do not modify `legacy/` (the user said so)\n",
                "The migration landed, legacy/ is no longer frozen. You can edit legacy/ now.",
                "legacy/",
            ),
            (
                "# Memory\n\n## Notes\n- 用 yarn\n",
                "以后用 pnpm，不要再用 yarn",
                "pnpm",
            ),
            (
                "# Memory\n\n## Notes\n- The staging URL is https://old.example.jp\n",
                "覚えておいて：ステージングの URL は https://new.example.jp です。",
                "new.example.jp",
            ),
            (
                "# Memory\n\n## Commands\n- Test: `cargo test` (ran successfully)\n",
                "cargo test 는 쓰지 마세요, 데이터베이스가 필요해요.",
                "cargo test",
            ),
        ] {
            let (_, _, host) = outcome(Some(memory), &users(&[said]), FakeHost::default());
            let archive = host
                .citations
                .iter()
                .find(|c| c.target == "refs/archive.md")
                .unwrap_or_else(|| panic!("{said}: {:?}", host.citations));
            assert!(
                archive.quotes.iter().any(|q| q.text.contains(quote)),
                "{said}: {archive:?}"
            );
        }
    }

    #[test]
    fn a_refused_citation_keeps_the_entry_out_and_the_old_one_in() {
        let memory = "# Memory\n\n## Commands\n- Test: `cargo test` (ran successfully)\n\n## Notes\n- Use npm for installs\n";
        let session = users(&[
            "The test command is `make check-all`.",
            "From now on, use bun. Also don't touch vendor/.",
        ]);
        let host = FakeHost {
            refuse: vec!["make check-all", "bun"],
            ..FakeHost::default()
        };
        let s = setup(Some(memory), &session);
        let mut host = host;
        let summary = run(&s.job, &deterministic(), &s.paths, &mut host).unwrap();
        let out = read(&s.paths.memory_md());
        assert_eq!(
            entries(&out),
            [
                "- Test: `cargo test` (ran successfully)",
                "- Do not modify `vendor/` (the user said so)",
                "- Use npm for installs",
            ]
        );
        assert!(host.warned("dropped memory entry `Test: `make check-all``"));
        assert!(host.warned("dropped memory entry `Use bun.`"));
        assert!(
            summary.contains("dropped 2 entries without accepted evidence"),
            "{summary}"
        );
        assert!(
            summary.starts_with("added 1 memory entry (Rules: 1)"),
            "{summary}"
        );
        // Nothing was replaced, so nothing is archived.
        assert!(!s.paths.refs().join("archive.md").exists());
    }

    #[test]
    fn when_the_archive_cannot_be_written_nothing_is_replaced() {
        let memory = "# Memory\n\n## Notes\n- 用 yarn\n";
        let s = setup(
            Some(memory),
            &users(&[
                "以后用 pnpm，不要再用 yarn",
                "记住：发布前先跑 make release-check",
            ]),
        );
        // A file where the refs folder should be makes every archive write fail.
        fs::write(s.paths.refs(), "not a folder").unwrap();
        let mut host = FakeHost::default();
        run(&s.job, &deterministic(), &s.paths, &mut host).unwrap();
        let out = read(&s.paths.memory_md());
        let mut kept = entries(&out);
        kept.sort();
        assert_eq!(kept, ["- 发布前先跑 make release-check", "- 用 yarn"]);
        assert!(
            host.logs
                .iter()
                .any(|(l, m)| *l == Level::Error && m.contains("nothing is replaced"))
        );
    }

    #[test]
    fn the_model_cannot_record_a_command_the_user_ruled_out() {
        let session = users(&["Don't run `cargo test` here, use `make check-all` for tests."]);
        let s = setup(None, &session);
        let answer = r#"{"memory": [
            {"op": "add", "section": "Commands", "text": "Test: `cargo test --workspace`", "evidence": [{"id": 1, "quote": "Don't run `cargo test` here"}]},
            {"op": "add", "section": "Commands", "text": "Test: `make check-all` (not `cargo test`)", "evidence": [{"id": 1, "quote": "use `make check-all` for tests"}]}]}"#;
        let mut host = FakeHost::answering(Ok(answer));
        run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        assert_eq!(
            entries(&read(&s.paths.memory_md())),
            ["- Test: `make check-all` (not `cargo test`)"]
        );
        assert!(host.warned("the user ruled out `cargo test`"));
    }

    #[test]
    fn model_changes_need_evidence_found_in_the_transcript() {
        let s = setup(None, SESSION);
        let answer = r#"{"memory": [
            {"op": "add", "section": "Notes", "text": "no evidence at all"},
            {"op": "add", "section": "Notes", "text": "a made-up quote", "evidence": [{"id": 1, "quote": "words nobody said"}]},
            {"op": "add", "section": "Notes", "text": "wrong id, right words", "evidence": [{"id": 6, "quote": "The test command"}]},
            {"op": "add", "section": "Rules", "text": "Do not modify `vendor/`", "evidence": [{"id": 1, "quote": "don't touch vendor/"}]},
            {"op": "add", "section": "Notes", "text": "refused by the host", "evidence": [{"id": 1, "quote": "flaky"}]}],
            "refs": [{"path": "x.md", "content": "x"}],
            "skill": {"name": "csep-reflect-x", "body": "b", "evidence": [{"id": 6, "quote": "Done."}]}}"#;
        let mut host = FakeHost::answering(Ok(answer));
        host.refuse = vec!["refused", "csep-reflect-x"];
        let summary = run(&s.job, &Settings::default(), &s.paths, &mut host).unwrap();
        // A quote naming the wrong message is taken where its words are.
        assert_eq!(
            entries(&read(&s.paths.memory_md())),
            ["- Do not modify `vendor/`", "- wrong id, right words"]
        );
        for w in [
            "`no evidence at all`",
            "`a made-up quote`",
            "ref `refs/x.md`",
        ] {
            assert!(host.warned(w), "{w}: {:?}", host.logs);
        }
        assert!(host.warned("dropped skill `csep-reflect-x`: the host refused"));
        assert!(!s.paths.skills.join("csep-reflect-x").exists());
        assert!(!s.paths.refs().join("x.md").exists());
        assert!(summary.starts_with("added 2 memory entries"), "{summary}");
        let skill = host
            .citations
            .iter()
            .find(|c| c.scope == CiteScope::Skill)
            .unwrap();
        assert_eq!(skill.target, "csep-reflect-x");
        assert_eq!(skill.section, "");
    }

    #[test]
    fn missing_transcript_is_invalid_state() {
        let s = setup(None, SESSION);
        fs::remove_file(s.paths.session.join("transcript.jsonl")).unwrap();
        let err = run(&s.job, &deterministic(), &s.paths, &mut FakeHost::default()).unwrap_err();
        assert!(matches!(err, Failure::InvalidState(m) if m.contains("transcript.jsonl")));
    }
}
