//! A generator of Codex rollout files in the 0.169 shape (session meta, per turn a
//! user message, tool calls and outputs, an assistant answer, and the event and
//! token records Codex writes beside them), deterministic for a seed. Shared by
//! the recall tests and the recall benchmark.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// xorshift64*: small, deterministic, good enough for text.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "test",
    "fails",
    "because",
    "config",
    "parser",
    "returns",
    "error",
    "when",
    "file",
    "missing",
    "please",
    "fix",
    "build",
    "update",
    "function",
    "module",
    "cache",
    "request",
    "timeout",
    "database",
    "migration",
    "schema",
    "query",
    "index",
    "handler",
    "retry",
    "async",
    "runtime",
    "tokio",
    "serde",
    "struct",
    "field",
    "option",
    "value",
    "string",
    "buffer",
    "stream",
    "socket",
    "server",
    "client",
    "token",
    "limit",
    "memory",
    "allocation",
    "thread",
    "lock",
    "mutex",
    "channel",
    "worker",
    "queue",
    "job",
    "deploy",
    "release",
    "version",
    "branch",
    "commit",
    "review",
    "refactor",
    "rename",
    "extract",
    "inline",
    "benchmark",
    "latency",
    "throughput",
    "median",
    "percentile",
    "flaky",
    "ci",
    "pipeline",
    "docker",
    "kubernetes",
    "helm",
    "chart",
    "yaml",
    "json",
    "toml",
    "markdown",
    "readme",
    "docs",
];

const IDENTS: &[&str] = &[
    "parse_config",
    "load_settings",
    "HttpClient",
    "RetryPolicy",
    "build_index",
    "QueryPlan",
    "session_store",
    "TranscriptReader",
    "apply_migration",
    "user_version",
    "busy_timeout",
    "spawn_blocking",
    "read_to_string",
    "BTreeMap",
    "HashMap::entry",
    "serde_json::from_str",
];

const PATHS: &[&str] = &[
    "src/main.rs",
    "src/lib.rs",
    "src/config.rs",
    "tests/integration.rs",
    "Cargo.toml",
    "crates/core/src/index.rs",
    "web/src/App.tsx",
    "scripts/deploy.sh",
    ".github/workflows/ci.yml",
];

const COMMANDS: &[&str] = &[
    "cargo test --workspace",
    "cargo build --release",
    "cargo clippy --all-targets",
    "git status",
    "git diff HEAD~1",
    "rg -n TODO src",
    "ls -la",
    "npm test",
    "pytest -x",
    "make lint",
    "docker compose up -d",
    "kubectl get pods",
];

const CJK: &[&str] = &[
    "这个仓库的测试命令是什么",
    "请修复解析器的错误",
    "记住下次用 nextest",
    "数据库迁移失败了",
    "配置文件缺少字段",
    "性能回归需要排查",
    "设定ファイルが見つかりません",
    "빌드가 실패했습니다",
];

fn sentence(rng: &mut Rng, words: usize, cjk: bool) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        match rng.below(12) {
            // The long tail real transcripts have: names of this codebase's own things.
            11 => {
                let base = rng.pick(WORDS);
                let n = rng.below(50_000);
                s.push_str(&format!("{base}_{n}"));
            }
            0 => s.push_str(rng.pick(IDENTS)),
            1 => s.push_str(rng.pick(PATHS)),
            2 if cjk => s.push_str(rng.pick(CJK)),
            _ => s.push_str(rng.pick(WORDS)),
        }
    }
    s
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn ts(base_ms: u64, offset_ms: u64) -> String {
    let ms = base_ms + offset_ms;
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days to civil date (Hinnant), enough for timestamps after 1970.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

pub struct SessionSpec<'a> {
    pub id: String,
    pub cwd: &'a str,
    pub start_ms: u64,
    /// Indexable messages to write (user, assistant, tool calls, tool outputs).
    pub messages: usize,
    pub cjk: bool,
    /// Extra user messages to put in the first turn (test needles).
    pub planted: &'a [&'a str],
}

/// What 0.169 attaches to every response item: the turn it belongs to and the
/// history sequence (see the captured rollout in tests/fixtures/transcripts).
fn passthrough(turn_id: &str, clock: u64, seq: u64) -> String {
    format!(
        r#""internal_chat_message_metadata_passthrough":{{"turn_id":"{turn_id}","create_time":{}.{:03}}}}},"metadata":{{"history_sequence":{seq},"sampled_through_sequence":{},"client_authored":false,"mcp_attribution":{{"status":"none"}}"#,
        1_764_000_000 + clock / 1000,
        clock % 1000,
        seq.saturating_sub(2)
    )
}

/// One rollout file's text.
pub fn rollout(rng: &mut Rng, spec: &SessionSpec) -> String {
    let mut out = String::new();
    let mut clock = 0u64;
    let mut ordinal = 0u64;
    let mut line = |out: &mut String, clock: u64, kind: &str, payload: String| {
        writeln!(
            out,
            r#"{{"timestamp":"{}","ordinal":{ordinal},"type":"{kind}","payload":{payload}}}"#,
            ts(spec.start_ms, clock)
        )
        .unwrap();
        ordinal += 1;
    };
    let instructions = "You are a coding agent running in the Codex CLI. ".repeat(60);
    line(
        &mut out,
        clock,
        "session_meta",
        format!(
            r#"{{"session_id":"{id}","id":"{id}","timestamp":"{}","cwd":{},"originator":"codex_cli_rs","cli_version":"0.169.0","source":"cli","model_provider":"openai","base_instructions":{{"text":{}}},"git":{{"commit_hash":"73c0ec0d5f54dc0e3f6b3e1d807a76c9ab4c8557","branch":"main"}}}}"#,
            ts(spec.start_ms, 0),
            json_str(spec.cwd),
            json_str(&instructions),
            id = spec.id
        ),
    );
    let env = format!(
        "<environment_context>\n  <cwd>{}</cwd>\n  <shell>bash</shell>\n</environment_context>",
        spec.cwd
    );
    line(
        &mut out,
        clock,
        "response_item",
        format!(
            r#"{{"type":"message","role":"user","content":[{{"type":"input_text","text":{}}}]}}"#,
            json_str(&env)
        ),
    );
    let mut written = 0;
    let mut turn = 0u64;
    let mut seq = 0u64;
    while written < spec.messages {
        turn += 1;
        let turn_id = format!("turn-{}-{turn}", spec.id);
        clock += 1000 + rng.below(20_000);
        line(
            &mut out,
            clock,
            "turn_context",
            format!(
                r#"{{"turn_id":"{turn_id}","cwd":{},"approval_policy":"on-request","model":"gpt-5.3-codex","summary":"auto"}}"#,
                json_str(spec.cwd)
            ),
        );
        let n = 8 + rng.below(40) as usize;
        let mut user = sentence(rng, n, spec.cjk);
        if turn == 1 {
            for p in spec.planted {
                user.push(' ');
                user.push_str(p);
            }
        }
        line(
            &mut out,
            clock,
            "response_item",
            format!(
                r#"{{"type":"message","id":"msg_{turn_id}_u","role":"user","content":[{{"type":"input_text","text":{}}}],{}}}"#,
                json_str(&user),
                passthrough(&turn_id, clock, {
                    seq += 1;
                    seq
                })
            ),
        );
        line(
            &mut out,
            clock,
            "event_msg",
            format!(
                r#"{{"type":"item_completed","thread_id":"{id}","turn_id":"{turn_id}","item":{{"type":"UserMessage","id":"u_{turn_id}","content":[{{"type":"text","text":{}}}]}}}}"#,
                json_str(&user),
                id = spec.id
            ),
        );
        written += 1;
        let summary = sentence(rng, 6, false);
        line(
            &mut out,
            clock,
            "response_item",
            format!(
                r#"{{"type":"reasoning","id":"rs_{turn_id}","summary":[{{"type":"summary_text","text":{}}}],"content":null,"encrypted_content":null,{}}}"#,
                json_str(&summary),
                passthrough(&turn_id, clock, {
                    seq += 1;
                    seq
                })
            ),
        );
        let calls = rng.below(3) as usize;
        for c in 0..calls {
            if written + 2 > spec.messages {
                break;
            }
            clock += 200 + rng.below(3000);
            let cmd = rng.pick(COMMANDS);
            let call_id = format!("call_{turn}_{c}");
            line(
                &mut out,
                clock,
                "response_item",
                format!(
                    r#"{{"type":"function_call","id":"fc_{call_id}","name":"exec_command","arguments":{},"call_id":"{call_id}",{}}}"#,
                    json_str(&format!("{{\"cmd\": {}}}", json_str(cmd))),
                    passthrough(&turn_id, clock, {
                        seq += 1;
                        seq
                    })
                ),
            );
            let lines = 3 + rng.below(40) as usize;
            let mut body = String::new();
            for _ in 0..lines {
                let n = 4 + rng.below(10) as usize;
                body.push_str(&sentence(rng, n, false));
                body.push('\n');
            }
            let code = if rng.below(8) == 0 { 1 } else { 0 };
            line(
                &mut out,
                clock,
                "event_msg",
                format!(
                    r#"{{"type":"item_completed","item":{{"type":"CommandExecution","id":"{call_id}","command":["/bin/bash","-lc",{}],"aggregated_output":{},"exit_code":{code}}}}}"#,
                    json_str(cmd),
                    json_str(&body)
                ),
            );
            line(
                &mut out,
                clock,
                "response_item",
                format!(
                    r#"{{"type":"function_call_output","id":"fco_{call_id}","call_id":"{call_id}","output":{},{}}}"#,
                    json_str(&format!(
                        "Chunk ID: 98ef41\nWall time: 0.4 seconds\nProcess exited with code {code}\nOutput:\n{body}"
                    )),
                    passthrough(&turn_id, clock, {
                        seq += 1;
                        seq
                    })
                ),
            );
            written += 2;
        }
        if written >= spec.messages {
            break;
        }
        clock += 500 + rng.below(8000);
        let n = 20 + rng.below(160) as usize;
        let answer = sentence(rng, n, spec.cjk);
        line(
            &mut out,
            clock,
            "response_item",
            format!(
                r#"{{"type":"message","role":"assistant","content":[{{"type":"output_text","text":{}}}]}}"#,
                json_str(&answer)
            ),
        );
        line(
            &mut out,
            clock,
            "event_msg",
            format!(
                r#"{{"type":"agent_message","message":{}}}"#,
                json_str(&answer)
            ),
        );
        line(
            &mut out,
            clock,
            "event_msg",
            format!(
                r#"{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{},"output_tokens":{},"total_tokens":{}}}}}}}"#,
                rng.below(90_000),
                rng.below(4000),
                rng.below(94_000)
            ),
        );
        written += 1;
    }
    out
}

/// Writes `sessions` rollouts under `root/YYYY/MM/DD/`, as Codex does; returns the
/// paths and the bytes written. `cwds` are spread over the sessions.
pub fn write_codex_corpus(
    root: &Path,
    sessions: usize,
    messages: usize,
    cwds: &[&str],
    seed: u64,
) -> (Vec<PathBuf>, u64) {
    let mut rng = Rng::new(seed);
    let mut paths = Vec::with_capacity(sessions);
    let mut bytes = 0;
    let base = 1_760_000_000_000u64;
    for i in 0..sessions {
        let start = base + i as u64 * 3_600_000;
        let id = format!(
            "019a{:04x}-{:04x}-7{:03x}-8{:03x}-{:012x}",
            (i >> 16) & 0xffff,
            i & 0xffff,
            rng.below(0xfff),
            rng.below(0xfff),
            rng.next() & 0xffff_ffff_ffff
        );
        let spec = SessionSpec {
            id: id.clone(),
            cwd: cwds[i % cwds.len()],
            start_ms: start,
            messages,
            cjk: i % 10 == 0,
            planted: &[],
        };
        let text = rollout(&mut rng, &spec);
        let day = ts(start, 0);
        let dir = root.join(&day[0..4]).join(&day[5..7]).join(&day[8..10]);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "rollout-{}-{id}.jsonl",
            day[..19].replace(':', "-")
        ));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(text.as_bytes()).unwrap();
        bytes += text.len() as u64;
        paths.push(path);
    }
    (paths, bytes)
}
