//! Engine benchmarks: `cargo bench --bench engine`. Prints median, p95 and min of
//! each step of running the bundled policy (see docs/benchmarks.md).
#![allow(
    clippy::disallowed_methods,
    reason = "benchmarks build their corpora with plain std::fs"
)]

use std::time::{Duration, Instant};

use csep::bundled::POLICY_DEFAULT;
use csep::model::{DecideInput, Digest, UserMessage};
use csep::sandbox::{CacheOutcome, Limits, Sandbox};

fn input() -> DecideInput {
    DecideInput {
        digest: Digest {
            client: "codex".into(),
            session_id: "bench".into(),
            now_ms: 1_764_000_000_000,
            user_messages: vec![UserMessage {
                text: "please fix the failing test, and remember to use nextest next time".into(),
                ..UserMessage::default()
            }],
            message_count: 2,
            readable_chars: 900,
            tool_calls: 4,
            ..Digest::default()
        },
        ..DecideInput::default()
    }
}

fn measure(name: &str, runs: usize, mut f: impl FnMut()) {
    f(); // warm-up
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{name:<44} median {:>9.3} ms   p95 {:>9.3} ms   min {:>9.3} ms   ({runs} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
    );
}

fn main() {
    let origin = POLICY_DEFAULT.origin();
    let bytes = POLICY_DEFAULT.bytes;
    let input = input();

    let uncached = Sandbox::new(Limits::default(), None).unwrap();
    measure("cold compile (Cranelift, no cache)", 10, || {
        uncached.load(&origin, bytes).unwrap();
    });

    let dir = tempfile::tempdir().unwrap();
    let cached = Sandbox::new(Limits::default(), Some(dir.path())).unwrap();
    cached.load(&origin, bytes).unwrap();
    measure("load from the precompiled cache", 200, || {
        let g = cached.load(&origin, bytes).unwrap();
        assert_eq!(*g.cache_outcome(), CacheOutcome::Hit);
    });

    let guest = cached.load(&origin, bytes).unwrap();
    measure("link + type-check (policy())", 200, || {
        cached.policy(&guest).unwrap();
    });

    let policy = cached.policy(&guest).unwrap();
    measure("instantiate + one decide", 1000, || {
        policy.decide(&input).unwrap();
    });

    measure("hook path: engine + cached load + decide", 100, || {
        let s = Sandbox::new(Limits::default(), Some(dir.path())).unwrap();
        let g = s.load(&origin, bytes).unwrap();
        s.policy(&g).unwrap().decide(&input).unwrap();
    });
}
