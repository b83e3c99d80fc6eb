//! The bounded prompt for the model: instructions and the answer schema (system),
//! then the current memory, the existing skills, the heuristic candidates, the
//! last user messages, the tool errors and the transcript tail (user). Every part
//! has its own bound and the whole stays under [`MAX_PROMPT_CHARS`]; transcript
//! parts are cut at message boundaries, newest kept.

use crate::extract::Candidate;
use crate::session::{Message, Role};
use crate::staging::ExistingSkill;
use crate::text::{char_len, cut_chars};

pub const MAX_PROMPT_CHARS: usize = 24_000;
pub const MAX_OUTPUT_TOKENS: u32 = 2000;

const MEMORY_CHARS: usize = 7000;
const SKILLS_CHARS: usize = 2000;
const REFS_CHARS: usize = 600;
const CANDIDATES_CHARS: usize = 1200;
const USER_MESSAGES_CHARS: usize = 4000;
const TOOL_ERRORS_CHARS: usize = 1500;

pub struct PromptInput<'a> {
    pub client: &'a str,
    pub cwd: &'a str,
    pub reasons: &'a [String],
    pub memory_scope: bool,
    pub skill_scope: bool,
    pub memory_md: Option<&'a str>,
    pub budget_chars: usize,
    pub refs: &'a [String],
    pub skills: &'a [ExistingSkill],
    pub candidates: &'a [Candidate],
    pub messages: &'a [Message],
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

impl Prompt {
    pub fn chars(&self) -> usize {
        char_len(&self.system) + char_len(&self.user)
    }
}

const INSTRUCTIONS: &str = r#"You maintain the long-term memory of a coding agent for one repository. You read what happened in a session and decide what is worth keeping for future sessions in this repository.

Keep only durable, repository-specific knowledge a future session would otherwise have to rediscover:
- how to test, build, lint, format or type-check (section "Commands", entries like "Test: `cargo test --workspace`");
- what the user wants done or never done (section "Rules", e.g. "Do not modify `vendor/` (the user said so)");
- stable facts about the code base, its layout and its tools (section "Facts");
- pitfalls and their fixes, workflow preferences, anything else durable (section "Notes").
Do not keep: what was done in this session, task status, guesses, anything already in memory, anything that looks like a secret, token, password or personal data.

MEMORY.md entries are single lines (under 300 characters) without the leading "- ". To correct an outdated entry use "replace" with "old" set to the exact existing entry text (without "- "); to drop a wrong one use "remove". Leave entries a person wrote alone unless the session clearly contradicts them. Keep MEMORY.md within its character budget: prefer replacing to adding. Longer topic notes that do not fit in a line go to "refs" as markdown files (path relative to memory/refs/, e.g. "database.md").

A skill is a reusable multi-step procedure the session showed (e.g. how to cut a release, how to regenerate fixtures). Propose one only when the procedure is likely to recur and is not obvious. Its name is kebab-case and starts with "csep-reflect-"; to update an existing generated skill, reuse its name. Its body is markdown instructions for an agent; "files" holds optional extra markdown files of the skill.

Answer with one JSON object and nothing else (no prose, no code fence), with this schema:
{"memory": [{"op": "add", "section": "Commands", "text": "..."},
            {"op": "replace", "old": "exact existing entry text", "text": "new text"},
            {"op": "remove", "old": "exact existing entry text"}],
 "refs":   [{"path": "topic.md", "content": "..."}],
 "skill":  {"name": "csep-reflect-kebab-name", "description": "...", "body": "markdown body", "files": [{"path": "notes.md", "content": "..."}]} | null,
 "summary": "one sentence"}
Most sessions hold nothing worth keeping; then answer {"memory": [], "skill": null, "summary": "nothing worth keeping"}."#;

pub fn build(input: &PromptInput) -> Prompt {
    let mut system = INSTRUCTIONS.to_string();
    if !input.memory_scope {
        system.push_str(
            "\nThis job may not change memory: \"memory\" and \"refs\" must be empty lists.",
        );
    }
    if !input.skill_scope {
        system.push_str("\nThis job may not change skills: \"skill\" must be null.");
    }

    let mut user = String::new();
    user.push_str("## Job\n");
    user.push_str(&format!(
        "client: {}\nrepository: {}\nwhy this review: {}\n",
        input.client,
        input.cwd,
        if input.reasons.is_empty() {
            "-".to_string()
        } else {
            input.reasons.join(", ")
        }
    ));

    let memory = input.memory_md.unwrap_or("");
    user.push_str(&format!(
        "\n## Current MEMORY.md ({} of {} characters)\n",
        char_len(memory),
        input.budget_chars
    ));
    if memory.trim().is_empty() {
        user.push_str("(empty)\n");
    } else {
        push_block(&mut user, &cut_chars(memory, MEMORY_CHARS));
    }

    user.push_str("\n## Existing memory refs (memory/refs/)\n");
    let refs = bounded_lines(input.refs.iter().map(|r| format!("- {r}")), REFS_CHARS);
    push_or_none(&mut user, &refs);

    user.push_str("\n## Existing generated skills\n");
    let skills = bounded_lines(
        input
            .skills
            .iter()
            .map(|s| format!("- {}: {}", s.name, cut_chars(&s.description, 200))),
        SKILLS_CHARS,
    );
    push_or_none(&mut user, &skills);

    user.push_str("\n## Candidates found by simple heuristics (verify against the transcript)\n");
    let candidates = bounded_lines(
        input
            .candidates
            .iter()
            .map(|c| format!("- {}", c.describe())),
        CANDIDATES_CHARS,
    );
    push_or_none(&mut user, &candidates);

    user.push_str("\n## Recent user messages (oldest first)\n");
    let users = newest_within(
        input.messages.iter().filter(|m| m.role == Role::User),
        USER_MESSAGES_CHARS,
        |m| format!("- {}\n", cut_chars(m.text.trim(), 1000)),
    );
    push_or_none(&mut user, &users);

    user.push_str("\n## Failed tool calls (oldest first)\n");
    let errors = newest_within(
        input
            .messages
            .iter()
            .filter(|m| m.error && m.role == Role::ToolOutput),
        TOOL_ERRORS_CHARS,
        |m| {
            format!(
                "- {}: {}\n",
                m.tool.as_deref().unwrap_or("tool"),
                cut_chars(m.text.trim(), 300)
            )
        },
    );
    push_or_none(&mut user, &errors);

    let header = "\n## Transcript tail (oldest first)\n";
    let used = char_len(&system) + char_len(&user) + char_len(header);
    let room = MAX_PROMPT_CHARS.saturating_sub(used + 200);
    let tail = newest_within(input.messages.iter(), room, render_message);
    user.push_str(header);
    push_or_none(&mut user, &tail);

    Prompt { system, user }
}

fn render_message(m: &Message) -> String {
    let (label, max) = match m.role {
        Role::User => ("user".to_string(), 1500),
        Role::Assistant => ("assistant".to_string(), 1200),
        Role::ToolCall => (
            format!("tool-call {}", m.tool.as_deref().unwrap_or("")),
            400,
        ),
        Role::ToolOutput if m.error => ("tool-output error".to_string(), 600),
        Role::ToolOutput => ("tool-output".to_string(), 400),
        Role::Other => (m.role.name().to_string(), 300),
    };
    format!("[{}] {}\n", label.trim(), cut_chars(m.text.trim(), max))
}

/// The rendered items, newest kept, within `max` characters, oldest first.
fn newest_within<'a, I, F>(items: I, max: usize, render: F) -> String
where
    I: DoubleEndedIterator<Item = &'a Message>,
    F: Fn(&Message) -> String,
{
    let mut kept = Vec::new();
    let mut used = 0;
    for m in items.rev() {
        let r = render(m);
        let n = char_len(&r);
        if used + n > max {
            break;
        }
        used += n;
        kept.push(r);
    }
    kept.reverse();
    kept.concat()
}

fn bounded_lines(lines: impl Iterator<Item = String>, max: usize) -> String {
    let mut out = String::new();
    for line in lines {
        if char_len(&out) + char_len(&line) + 1 > max {
            out.push_str("- ...\n");
            break;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn push_block(out: &mut String, text: &str) {
    out.push_str("<<<\n");
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(">>>\n");
}

fn push_or_none(out: &mut String, text: &str) {
    if text.is_empty() {
        out.push_str("(none)\n");
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Kind;

    fn input<'a>(
        messages: &'a [Message],
        skills: &'a [ExistingSkill],
        candidates: &'a [Candidate],
        memory: Option<&'a str>,
    ) -> PromptInput<'a> {
        PromptInput {
            client: "codex",
            cwd: "/repo",
            reasons: &[],
            memory_scope: true,
            skill_scope: true,
            memory_md: memory,
            budget_chars: 6000,
            refs: &[],
            skills,
            candidates,
            messages,
        }
    }

    #[test]
    fn holds_the_parts_and_the_schema() {
        let messages = [
            Message::new(Role::User, "the test command is `make check`"),
            Message::new(Role::Assistant, "ok"),
        ];
        let skills = [ExistingSkill {
            name: "csep-reflect-release".into(),
            description: "Cut a release".into(),
        }];
        let candidates = [Candidate::Command {
            kind: Kind::Test,
            command: "make check".into(),
            stated: true,
        }];
        let p = build(&input(
            &messages,
            &skills,
            &candidates,
            Some("# Memory\n\n## Rules\n- keep it\n"),
        ));
        assert!(p.system.contains("\"memory\": [{\"op\": \"add\""));
        assert!(p.system.contains("csep-reflect-"));
        assert!(p.user.contains("- keep it"));
        assert!(p.user.contains("- csep-reflect-release: Cut a release"));
        assert!(p.user.contains("Commands: Test: `make check`"));
        assert!(
            p.user
                .contains("[user] the test command is `make check`\n[assistant] ok\n")
        );
    }

    #[test]
    fn stays_under_the_bound_and_keeps_the_newest_whole_messages() {
        let messages: Vec<Message> = (0..400)
            .map(|i| {
                let role = if i % 2 == 0 {
                    Role::User
                } else {
                    Role::ToolOutput
                };
                Message::new(role, &format!("message {i} {}", "x".repeat(700)))
            })
            .collect();
        let memory = "- entry\n".repeat(2000);
        let p = build(&input(&messages, &[], &[], Some(&memory)));
        assert!(p.chars() < MAX_PROMPT_CHARS, "{}", p.chars());
        assert!(p.user.contains("message 399 "));
        assert!(!p.user.contains("message 0 "));
        // Whole messages only: every rendered tail line starts with a role label.
        let tail = p
            .user
            .split("## Transcript tail (oldest first)\n")
            .nth(1)
            .unwrap();
        assert!(tail.lines().all(|l| l.starts_with('[')));
    }

    #[test]
    fn scope_limits_are_spelled_out() {
        let mut i = input(&[], &[], &[], None);
        i.skill_scope = false;
        let p = build(&i);
        assert!(p.system.contains("\"skill\" must be null"));
        assert!(p.user.contains("(empty)"));
    }
}
