//! The sandboxed component engine against real components: the bundled default
//! policy, and hostile guests that each try to break one limit.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use csep::bundled;
use csep::fs_authority;
use csep::model::{
    Citation, DecideInput, Decision, Denial, Digest, GuestError, LlmRequest, LlmResponse,
    RecallHit, RecallQuery, ReflectInput, Scope, SettingValue, Settings, SettleInput, UserMessage,
};
use csep::sandbox::{
    CacheOutcome, Guest, Limits, Policy, Preopens, Sandbox, SandboxError, Strategy, StrategyHost,
    Unavailable,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/wasm")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Tight limits so the "over" side of each limit is quick to reach.
fn test_limits() -> Limits {
    Limits {
        memory_mib: 32,
        policy_timeout_ms: 300,
        strategy_timeout_ms: 600,
        max_output_bytes: 64 * 1024,
        ..Limits::default()
    }
}

/// One sandbox per test binary, with its cache in a folder that lives as long.
fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<(Sandbox, tempfile::TempDir)> = OnceLock::new();
    &SANDBOX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let sandbox = Sandbox::new(test_limits(), Some(dir.path())).unwrap();
            (sandbox, dir)
        })
        .0
}

fn default_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let b = &bundled::POLICY_DEFAULT;
        let guest = sandbox().load(&b.origin(), b.bytes).unwrap();
        sandbox().policy(&guest).unwrap()
    })
}

fn hostile_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let guest = sandbox()
            .load("hostile-policy", &fixture("hostile-policy.wasm"))
            .unwrap();
        sandbox().policy(&guest).unwrap()
    })
}

fn hostile_strategy() -> &'static Strategy {
    static S: OnceLock<Strategy> = OnceLock::new();
    S.get_or_init(|| {
        let guest = sandbox()
            .load("hostile-strategy", &fixture("hostile-strategy.wasm"))
            .unwrap();
        sandbox().strategy(&guest).unwrap()
    })
}

fn settings(pairs: &[(&str, SettingValue)]) -> Settings {
    Settings(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    )
}

fn text(s: &str) -> SettingValue {
    SettingValue::Text(s.to_string())
}

fn int(n: i64) -> SettingValue {
    SettingValue::Integer(n)
}

fn digest(user: &[&str]) -> Digest {
    Digest {
        client: "codex".into(),
        session_id: "s-1".into(),
        bucket_id: "-repo".into(),
        cwd: "/repo".into(),
        now_ms: 1_764_000_000_000,
        user_messages: user
            .iter()
            .map(|t| UserMessage {
                text: (*t).to_string(),
                ..UserMessage::default()
            })
            .collect(),
        message_count: user.len() as u32 * 2,
        readable_chars: 200,
        ..Digest::default()
    }
}

fn decide(policy: &Policy, digest: Digest, state: Option<String>, s: Settings) -> Decision {
    policy
        .decide(&DecideInput {
            digest,
            session_state: state,
            bucket_state: None,
            settings: s,
        })
        .unwrap()
}

fn hostile_decide(s: Settings) -> Result<Decision, SandboxError> {
    hostile_policy().decide(&DecideInput {
        digest: digest(&[]),
        settings: s,
        ..DecideInput::default()
    })
}

/// After any failure, the same prepared policy still answers.
fn assert_healthy() {
    let d = hostile_decide(settings(&[("mode", text("ok"))])).unwrap();
    assert_eq!(d.summary, "ok");
}

// ---------------------------------------------------------------- default policy

#[test]
fn every_bundled_component_instantiates_against_current_bindings() {
    for b in bundled::ALL {
        let guest = sandbox().load(&b.origin(), b.bytes).unwrap();
        assert_eq!(
            guest.version(),
            csep::sandbox::CONTRACT_VERSION,
            "{}",
            b.name
        );
        match guest.world() {
            csep::world::World::TriggerPolicy => {
                sandbox()
                    .policy(&guest)
                    .unwrap()
                    .decide(&DecideInput {
                        digest: digest(&["hello"]),
                        ..DecideInput::default()
                    })
                    .unwrap();
            }
            csep::world::World::ReflectionStrategy => {
                let root = tempfile::tempdir().unwrap();
                let open = |d: &str| {
                    std::fs::create_dir(root.path().join(d)).unwrap();
                    fs_authority::open_dir(&root.path().join(d)).unwrap()
                };
                let (session, memory, skills) = (open("session"), open("memory"), open("skills"));
                std::fs::write(root.path().join("session/transcript.jsonl"), "").unwrap();
                std::fs::write(
                    root.path().join("session/job.json"),
                    r#"{"job_id":"job-1","scopes":["memory"],"reasons":[],"client":"codex","cwd":"/r","bucket_id":"-r"}"#,
                )
                .unwrap();
                let preopens = Preopens {
                    session: &session,
                    memory: &memory,
                    skills: &skills,
                };
                let input = ReflectInput {
                    job_id: "job-1".into(),
                    digest: digest(&["hello"]),
                    scopes: vec![Scope::Memory],
                    ..ReflectInput::default()
                };
                sandbox()
                    .strategy(&guest)
                    .unwrap()
                    .reflect(&input, &preopens, Box::new(Unavailable))
                    .unwrap();
            }
        }
    }
}

#[test]
fn quiet_stops_reflect_on_memory_at_the_third() {
    let p = default_policy();
    let mut state = None;
    for stop in 1..=3 {
        let d = decide(
            p,
            digest(&["please fix the parser"]),
            state.clone(),
            Settings::default(),
        );
        if stop < 3 {
            assert!(!d.reflect, "stop {stop}: {d:?}");
            assert!(
                d.summary.contains(&format!("{stop}/3 stops")),
                "{}",
                d.summary
            );
        } else {
            assert!(d.reflect);
            assert_eq!(d.scopes, vec![Scope::Memory]);
            assert_eq!(d.reasons, vec!["memory-stop-interval"]);
        }
        state = d.session_state;
    }
}

#[test]
fn readable_characters_reflect_on_memory_and_tool_calls_on_skills() {
    let p = default_policy();
    let mut chatty = digest(&["go on"]);
    chatty.readable_chars = 16_000;
    let d = decide(p, chatty, None, Settings::default());
    assert_eq!(d.scopes, vec![Scope::Memory]);
    assert_eq!(d.reasons, vec!["memory-context-chars"]);

    let mut busy = digest(&["go on"]);
    busy.tool_calls = 14;
    let d = decide(p, busy.clone(), None, Settings::default());
    assert!(!d.reflect, "14 tool calls is below 15: {d:?}");
    busy.tool_calls = 1;
    let d = decide(p, busy, d.session_state, Settings::default());
    assert_eq!(d.scopes, vec![Scope::Skill]);
    assert_eq!(d.reasons, vec!["skill-tool-call-interval"]);
}

#[test]
fn high_signal_words_reflect_at_once_in_chinese_and_english() {
    let p = default_policy();
    let cases: &[(&str, Scope, &str)] = &[
        ("记住：测试用 cargo nextest", Scope::Memory, "记住"),
        ("以后不要再改 CI 配置", Scope::Memory, "以后不要"),
        ("你理解错了，回退刚才的修改", Scope::Memory, "你理解错了"),
        (
            "Remember to run the linter first",
            Scope::Memory,
            "remember",
        ),
        (
            "Next  time, ALWAYS USE the staging db",
            Scope::Memory,
            "next time",
        ),
        (
            "no, that\u{2019}s wrong, the port is 8080",
            Scope::Memory,
            "that's wrong",
        ),
        ("把这个沉淀成工作流", Scope::Skill, "工作流"),
        ("write this down as a runbook", Scope::Skill, "runbook"),
        ("这个流程要复用memory里", Scope::Memory, "memory"),
    ];
    for (said, scope, word) in cases {
        let d = decide(p, digest(&[said]), None, Settings::default());
        assert!(d.reflect, "{said:?} should reflect: {d:?}");
        assert!(d.scopes.contains(scope), "{said:?}: {d:?}");
        assert!(
            d.summary.contains(word),
            "{said:?}: summary {:?} lacks {word:?}",
            d.summary
        );
    }
}

#[test]
fn ordinary_words_and_injected_context_do_not_trigger() {
    let p = default_policy();
    for said in [
        "run git status and fix the failing test",
        "the memoryless allocator is faster",
        "skills.rs has a bug in remembering_cache",
    ] {
        let d = decide(p, digest(&[said]), None, Settings::default());
        assert!(!d.reflect, "{said:?} should not reflect: {d:?}");
    }
    let mut injected = digest(&[]);
    injected.user_messages.push(UserMessage {
        text: "# AGENTS.md instructions\n记住 always use the workflow skill".into(),
        injected: true,
        ..UserMessage::default()
    });
    let d = decide(p, injected, None, Settings::default());
    assert!(
        !d.reflect,
        "injected context is not the user's words: {d:?}"
    );
}

#[test]
fn thresholds_and_keywords_come_from_settings() {
    let p = default_policy();
    let s = settings(&[("memory_stop_interval", int(1))]);
    assert!(decide(p, digest(&["hi"]), None, s).reflect);

    let s = settings(&[("high_signal_immediate", SettingValue::Boolean(false))]);
    assert!(!decide(p, digest(&["记住这个"]), None, s).reflect);

    let s = settings(&[(
        "extra_memory_keywords",
        SettingValue::TextList(vec!["note to self".into()]),
    )]);
    let d = decide(p, digest(&["Note to self: the API is v2"]), None, s);
    assert_eq!(d.reasons, vec!["high-signal-memory"]);
}

#[test]
fn bad_settings_are_a_typed_guest_error() {
    let p = default_policy();
    for s in [
        settings(&[("memory_stop_interval", int(0))]),
        settings(&[("memory_stop_intervall", int(3))]),
        settings(&[("high_signal_immediate", text("yes"))]),
    ] {
        let e = p
            .decide(&DecideInput {
                digest: digest(&[]),
                settings: s,
                ..DecideInput::default()
            })
            .unwrap_err();
        assert!(
            matches!(e, SandboxError::Guest(GuestError::InvalidSettings(_))),
            "{e}"
        );
    }
}

#[test]
fn settle_subtracts_what_the_job_was_queued_with_per_scope() {
    let p = default_policy();
    let mut d = digest(&["x"]);
    d.tool_calls = 15;
    let mut state = None;
    let mut queued = None;
    for stop in 1..=5 {
        let decision = decide(p, d.clone(), state, Settings::default());
        if stop == 3 {
            assert!(decision.reflect);
            queued = decision.session_state.clone();
        }
        state = decision.session_state;
    }
    let settled = p
        .settle(
            &SettleInput {
                scopes: vec![Scope::Memory],
                queued_session_state: queued,
                session_state: state,
                ..SettleInput::default()
            },
            0,
        )
        .unwrap();
    let s = settled.session_state.unwrap();
    assert!(
        s.contains("stops=2\n"),
        "two stops came after the job was queued: {s}"
    );
    assert!(s.contains("readable_chars=400\n"), "{s}");
    assert!(
        s.contains("tool_calls=75\n"),
        "the skill scope was not covered: {s}"
    );
}

#[test]
fn unreadable_state_restarts_the_counters() {
    let d = decide(
        default_policy(),
        digest(&["x"]),
        Some("{not ours}".into()),
        Settings::default(),
    );
    assert!(d.summary.contains("counters restarted"), "{}", d.summary);
    assert!(d.session_state.unwrap().contains("stops=1\n"));
}

#[test]
fn a_policy_is_a_pure_function_of_its_input() {
    let input = DecideInput {
        digest: digest(&["记住 next time"]),
        ..DecideInput::default()
    };
    let a = default_policy().decide(&input).unwrap();
    let b = default_policy().decide(&input).unwrap();
    assert_eq!(a, b);
    // The hostile policy reads the wall clock and the environment: it sees the
    // digest's time, frozen, and nothing of the host's environment.
    let d = hostile_decide(settings(&[("mode", text("clock"))])).unwrap();
    assert_eq!(d.summary, "clock=1764000000000 env=0");
}

// ---------------------------------------------------------------- hostile policy

#[test]
fn an_endless_loop_is_stopped_by_the_deadline() {
    let e = hostile_decide(settings(&[("mode", text("loop"))])).unwrap_err();
    assert!(matches!(e, SandboxError::Timeout { limit_ms: 300 }), "{e}");
    assert_healthy();
}

#[test]
fn work_inside_the_deadline_finishes_and_past_it_is_stopped() {
    let d = hostile_decide(settings(&[("mode", text("busy-ms")), ("ms", int(50))])).unwrap();
    assert_eq!(d.summary, "busy for 50 ms");
    let e = hostile_decide(settings(&[("mode", text("busy-ms")), ("ms", int(2_000))])).unwrap_err();
    assert!(matches!(e, SandboxError::Timeout { .. }), "{e}");
    assert_healthy();
}

#[test]
fn memory_is_capped_on_both_sides_of_the_limit() {
    let d = hostile_decide(settings(&[("mode", text("alloc-mib")), ("mib", int(8))])).unwrap();
    assert_eq!(d.summary, format!("held {} bytes", 8 << 20));
    let e = hostile_decide(settings(&[("mode", text("alloc-mib")), ("mib", int(40))])).unwrap_err();
    assert!(
        matches!(e, SandboxError::OutOfMemory { limit_bytes } if limit_bytes == 32 << 20),
        "{e}"
    );
    let e = hostile_decide(settings(&[("mode", text("alloc"))])).unwrap_err();
    assert!(matches!(e, SandboxError::OutOfMemory { .. }), "{e}");
    assert_healthy();
}

#[test]
fn a_panic_is_a_trap_that_carries_the_guest_message() {
    let e = hostile_decide(settings(&[("mode", text("trap"))])).unwrap_err();
    match &e {
        SandboxError::Trap { stderr, .. } => {
            assert!(
                stderr.contains("hostile policy panics on purpose"),
                "{stderr}"
            )
        }
        other => panic!("expected a trap, got {other}"),
    }
    assert_healthy();
}

#[test]
fn returned_strings_are_capped_on_both_sides_of_the_limit() {
    let max = test_limits().max_output_bytes as i64;
    let d = hostile_decide(settings(&[
        ("mode", text("huge-summary")),
        ("bytes", int(max)),
    ]))
    .unwrap();
    assert_eq!(d.summary.len() as i64, max);
    let e = hostile_decide(settings(&[
        ("mode", text("huge-summary")),
        ("bytes", int(max + 1)),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            e,
            SandboxError::OversizedOutput {
                field: "summary",
                ..
            }
        ),
        "{e}"
    );
    let e = hostile_decide(settings(&[
        ("mode", text("huge-state")),
        ("bytes", int(4 << 20)),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            e,
            SandboxError::OversizedOutput {
                field: "session-state",
                ..
            }
        ),
        "{e}"
    );
    assert_healthy();
}

#[test]
fn a_guest_error_is_typed() {
    let e = hostile_decide(settings(&[("mode", text("error"))])).unwrap_err();
    assert!(
        matches!(e, SandboxError::Guest(GuestError::Internal(_))),
        "{e}"
    );
}

// ---------------------------------------------------------------- loading

#[test]
fn files_that_are_not_components_get_a_clear_error() {
    let s = sandbox();
    let e = s.load("text", b"hello, world").err().unwrap();
    assert!(matches!(e, SandboxError::NotWasm), "{e}");

    let core_module = b"\0asm\x01\0\0\0";
    let e = s.load("core", core_module).err().unwrap();
    assert!(matches!(e, SandboxError::CoreModule), "{e}");
    assert!(e.to_string().contains("wasm32-wasip2"), "{e}");

    let policy = bundled::POLICY_DEFAULT.bytes;
    let e = s.load("cut", &policy[..policy.len() / 2]).err().unwrap();
    assert!(matches!(e, SandboxError::Malformed(_)), "{e}");
}

#[test]
fn another_contract_version_is_refused_naming_both_versions() {
    let e = sandbox()
        .load("future", &fixture("future-policy.wasm"))
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(
        matches!(e, SandboxError::UnsupportedVersion { .. }),
        "{text}"
    );
    assert!(text.contains("csep:engine 9.0.0"), "{text}");
    assert!(text.contains("csep:engine@^0.1"), "{text}");
}

#[test]
fn a_component_of_the_other_world_is_refused() {
    let s = sandbox();
    let strategy = s
        .load("strategy", &fixture("hostile-strategy.wasm"))
        .unwrap();
    let e = s.policy(&strategy).err().unwrap();
    assert!(matches!(e, SandboxError::WrongWorld { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("`reflection-strategy` world where a `trigger-policy`"),
        "{e}"
    );

    let b = &bundled::POLICY_DEFAULT;
    let policy = s.load(&b.origin(), b.bytes).unwrap();
    let e = s.strategy(&policy).err().unwrap();
    assert!(matches!(e, SandboxError::WrongWorld { .. }), "{e}");
}

// ---------------------------------------------------------------- cache

fn cache_entries(dir: &Path) -> Vec<PathBuf> {
    let sub = std::fs::read_dir(dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    files.sort();
    files
}

fn load_outcome(s: &Sandbox) -> (CacheOutcome, Guest) {
    let b = &bundled::POLICY_DEFAULT;
    let g = s.load(&b.origin(), b.bytes).unwrap();
    (g.cache_outcome().clone(), g)
}

#[test]
fn the_cache_compiles_once_then_loads_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let s = Sandbox::new(test_limits(), Some(dir.path())).unwrap();
    assert_eq!(load_outcome(&s).0, CacheOutcome::Miss);
    let (outcome, guest) = load_outcome(&s);
    assert_eq!(outcome, CacheOutcome::Hit);
    let d = s
        .policy(&guest)
        .unwrap()
        .decide(&DecideInput {
            digest: digest(&["记住"]),
            ..DecideInput::default()
        })
        .unwrap();
    assert!(d.reflect, "a cached component behaves as a fresh one");

    let entry = &cache_entries(dir.path())[0];
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(entry), 0o600);
    assert_eq!(mode(entry.parent().unwrap()), 0o700);
}

#[test]
fn a_corrupt_or_truncated_cache_entry_is_rebuilt_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Sandbox::new(test_limits(), Some(dir.path())).unwrap();
    load_outcome(&s);
    let entry = cache_entries(dir.path())[0].clone();

    let mut bytes = std::fs::read(&entry).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    match load_outcome(&s).0 {
        CacheOutcome::Rebuilt(why) => assert!(why.contains("checksum"), "{why}"),
        other => panic!("a flipped byte must be caught, got {other:?}"),
    }
    assert_eq!(load_outcome(&s).0, CacheOutcome::Hit);

    let len = std::fs::metadata(&entry).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&entry)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    assert!(matches!(load_outcome(&s).0, CacheOutcome::Rebuilt(_)));

    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    match load_outcome(&s).0 {
        CacheOutcome::Rebuilt(why) => assert!(why.contains("writable by others"), "{why}"),
        other => panic!("a world-writable entry must not be mapped, got {other:?}"),
    }
    assert_eq!(load_outcome(&s).0, CacheOutcome::Hit);
}

#[test]
fn a_cache_entry_of_another_engine_config_is_not_used() {
    // The compatibility hash is part of the name: a different config misses.
    let dir = tempfile::tempdir().unwrap();
    let s = Sandbox::new(test_limits(), Some(dir.path())).unwrap();
    load_outcome(&s);
    let entry = cache_entries(dir.path())[0].clone();
    let name = entry.file_name().unwrap().to_str().unwrap().to_string();
    let (content, compat) = name.trim_end_matches(".cwasm").split_once('-').unwrap();
    assert_eq!(content.len(), 32);
    assert_eq!(compat.len(), 16);
    assert!(
        content == &csep::hash::sha256_hex(bundled::POLICY_DEFAULT.bytes)[..32],
        "keyed by the component's own hash"
    );
}

#[test]
fn without_a_cache_every_load_compiles() {
    let s = Sandbox::new(test_limits(), None).unwrap();
    assert_eq!(load_outcome(&s).0, CacheOutcome::Disabled);
}

// ---------------------------------------------------------------- hostile strategy

struct Folders {
    root: tempfile::TempDir,
    session: cap_std::fs::Dir,
    memory: cap_std::fs::Dir,
    skills: cap_std::fs::Dir,
}

impl Folders {
    fn new() -> Folders {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for d in ["session", "memory", "skills", "secret"] {
            std::fs::create_dir(r.join(d)).unwrap();
        }
        std::fs::write(r.join("session/transcript.jsonl"), "{}\n").unwrap();
        std::fs::write(r.join("memory/MEMORY.md"), "# Memory\n- use nextest\n").unwrap();
        std::fs::write(r.join("secret/key.txt"), "TOP SECRET").unwrap();
        let secret = r.join("secret/key.txt");
        std::os::unix::fs::symlink(&secret, r.join("memory/link-abs")).unwrap();
        std::os::unix::fs::symlink("../secret/key.txt", r.join("memory/link-rel")).unwrap();
        std::os::unix::fs::symlink("../secret", r.join("memory/dir-link")).unwrap();
        let open = |d: &str| fs_authority::open_dir(&r.join(d)).unwrap();
        Folders {
            session: open("session"),
            memory: open("memory"),
            skills: open("skills"),
            root,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn probe(&self, mode: &str, path: &str) -> Result<String, SandboxError> {
        self.probe_with(mode, path, Box::new(Unavailable))
    }

    fn probe_with(
        &self,
        mode: &str,
        path: &str,
        host: Box<dyn StrategyHost>,
    ) -> Result<String, SandboxError> {
        let input = ReflectInput {
            job_id: "job-1".into(),
            digest: digest(&[]),
            scopes: vec![Scope::Memory],
            settings: settings(&[("mode", text(mode)), ("path", text(path))]),
            ..ReflectInput::default()
        };
        let preopens = Preopens {
            session: &self.session,
            memory: &self.memory,
            skills: &self.skills,
        };
        hostile_strategy()
            .reflect(&input, &preopens, host)
            .map(|o| o.summary)
    }
}

#[test]
fn a_strategy_reads_and_writes_its_own_folders() {
    let f = Folders::new();
    let read = f.probe("read", "/memory/MEMORY.md").unwrap();
    assert!(
        read.starts_with("ok:") && read.contains("use nextest"),
        "{read}"
    );
    assert!(
        f.probe("read", "/session/transcript.jsonl")
            .unwrap()
            .starts_with("ok:")
    );
    assert_eq!(f.probe("mkdir", "/memory/refs/topics").unwrap(), "ok:()");
    assert_eq!(
        f.probe("write", "/memory/refs/topics/a.md").unwrap(),
        "ok:()"
    );
    assert_eq!(f.probe("write", "/skills/new.md").unwrap(), "ok:()");
    assert!(f.path("memory/refs/topics/a.md").is_file());
    assert!(f.path("skills/new.md").is_file());
}

#[test]
fn the_session_folder_is_read_only() {
    let f = Folders::new();
    for (mode, path) in [
        ("write", "/session/new.txt"),
        ("write", "/session/transcript.jsonl"),
        ("remove", "/session/transcript.jsonl"),
        ("mkdir", "/session/sub"),
    ] {
        let r = f.probe(mode, path).unwrap();
        assert!(r.starts_with("err:"), "{mode} {path}: {r}");
    }
    assert!(!f.path("session/new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(f.path("session/transcript.jsonl")).unwrap(),
        "{}\n"
    );
}

#[test]
fn no_path_outside_the_preopens_can_be_reached() {
    let f = Folders::new();
    let secret = f.path("secret/key.txt");
    let escape = f.path("escape.txt");
    for (mode, path) in [
        ("read", "/memory/../secret/key.txt".to_string()),
        ("read", "/memory/refs/../../secret/key.txt".to_string()),
        ("read", "../secret/key.txt".to_string()),
        ("read", secret.display().to_string()),
        ("read", "/etc/passwd".to_string()),
        ("write", escape.display().to_string()),
        ("write", "/memory/../escape.txt".to_string()),
        ("list", "/memory/..".to_string()),
    ] {
        let r = f.probe(mode, &path).unwrap();
        assert!(r.starts_with("err:"), "{mode} {path}: {r}");
    }
    assert!(!escape.exists());
}

#[test]
fn symlinks_planted_in_the_memory_folder_are_not_followed() {
    let f = Folders::new();
    for (mode, path) in [
        ("read", "/memory/link-abs"),
        ("read", "/memory/link-rel"),
        ("read", "/memory/dir-link/key.txt"),
        ("list", "/memory/dir-link"),
        ("write", "/memory/link-rel"),
        ("write", "/memory/dir-link/planted.txt"),
    ] {
        let r = f.probe(mode, path).unwrap();
        assert!(r.starts_with("err:"), "{mode} {path}: {r}");
    }
    assert_eq!(
        std::fs::read_to_string(f.path("secret/key.txt")).unwrap(),
        "TOP SECRET"
    );
    assert!(!f.path("secret/planted.txt").exists());
}

#[test]
fn a_strategy_has_no_network_and_no_environment() {
    let f = Folders::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let r = f.probe("connect", &addr).unwrap();
    assert!(r.starts_with("err:"), "{r}");
    assert!(listener.accept().is_err(), "nothing may have connected");
    assert_eq!(f.probe("env", "").unwrap(), "ok:0");
}

#[test]
fn host_interfaces_deny_with_typed_values() {
    let f = Folders::new();
    assert_eq!(
        f.probe("llm", "").unwrap(),
        "denied:Denial::Unavailable(\"no model provider is configured for this run\")"
    );
    assert!(
        f.probe("recall", "")
            .unwrap()
            .starts_with("denied:Denial::Unavailable")
    );

    struct Spent;
    impl StrategyHost for Spent {
        fn log(&mut self, _: &'static str, _: &str) {}
        fn complete(&mut self, _: LlmRequest) -> Result<LlmResponse, Denial> {
            Err(Denial::BudgetExceeded("0 calls left today".into()))
        }
        fn remaining(&mut self) -> (u32, u64) {
            (0, 0)
        }
        fn search(&mut self, _: RecallQuery) -> Result<Vec<RecallHit>, Denial> {
            Ok(vec![RecallHit {
                session_id: "s".into(),
                client: "codex".into(),
                role: "user".into(),
                snippet: "x".into(),
                at_ms: None,
            }])
        }
        fn cite(&mut self, _: Citation) -> Result<(), Denial> {
            Ok(())
        }
    }
    assert_eq!(
        f.probe_with("llm", "", Box::new(Spent)).unwrap(),
        "denied:Denial::BudgetExceeded(\"0 calls left today\")"
    );
    assert_eq!(f.probe_with("recall", "", Box::new(Spent)).unwrap(), "ok:1");
}

#[test]
fn a_huge_log_line_is_cut_to_the_output_limit() {
    use std::sync::{Arc, Mutex};
    struct Keep(Arc<Mutex<Vec<String>>>);
    impl StrategyHost for Keep {
        fn log(&mut self, level: &'static str, message: &str) {
            self.0.lock().unwrap().push(format!("{level}:{message}"));
        }
        fn complete(&mut self, _: LlmRequest) -> Result<LlmResponse, Denial> {
            Err(Denial::Unavailable(String::new()))
        }
        fn remaining(&mut self) -> (u32, u64) {
            (0, 0)
        }
        fn search(&mut self, _: RecallQuery) -> Result<Vec<RecallHit>, Denial> {
            Ok(Vec::new())
        }
        fn cite(&mut self, _: Citation) -> Result<(), Denial> {
            Ok(())
        }
    }
    let lines = Arc::new(Mutex::new(Vec::new()));
    let f = Folders::new();
    assert_eq!(
        f.probe_with("log", "", Box::new(Keep(lines.clone())))
            .unwrap(),
        "ok:logged"
    );
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("info:lll"));
    assert!(lines[0].ends_with(" [cut]"));
    assert!(lines[0].len() <= test_limits().max_output_bytes + 20);
}

#[test]
fn a_runaway_or_panicking_strategy_is_stopped_and_the_next_call_works() {
    let f = Folders::new();
    let e = f.probe("loop", "").unwrap_err();
    assert!(matches!(e, SandboxError::Timeout { limit_ms: 600 }), "{e}");
    let e = f.probe("trap", "").unwrap_err();
    assert!(
        e.to_string().contains("hostile strategy panics on purpose"),
        "{e}"
    );
    assert!(
        f.probe("read", "/memory/MEMORY.md")
            .unwrap()
            .starts_with("ok:")
    );
}
