//! Recall benchmarks: `cargo bench --bench recall` (see docs/benchmarks.md).
//!
//! Generates a corpus of Codex rollouts (CSEP_BENCH_SESSIONS, default 10,000, of
//! CSEP_BENCH_MESSAGES, default 200, indexable messages each) under CSEP_BENCH_DIR
//! (default: a temp folder), then measures bootstrap throughput, an unchanged re-run,
//! in-process query latency and the database size. With CSEP_BENCH_DIR set, the
//! corpus and the state folder stay for whole-process measurements with hyperfine;
//! CSEP_BENCH_REUSE=1 then measures queries on the index already there, to compare
//! two builds on the same index without importing again.
#![allow(
    clippy::disallowed_methods,
    reason = "benchmarks build their corpora with plain std::fs"
)]

#[path = "../../tests/support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use csep::client::Client;
use csep::recall::{self, SearchQuery, Store};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[(v.len() - 1) * 95 / 100]))
}

fn main() {
    let sessions = env_usize("CSEP_BENCH_SESSIONS", 10_000);
    let messages = env_usize("CSEP_BENCH_MESSAGES", 200);
    let keep = std::env::var_os("CSEP_BENCH_DIR").map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let base = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let corpus_dir = base.join("codex/sessions");
    let state = base.join("state");
    let repos: Vec<String> = (0..20)
        .map(|i| format!("/home/dev/code/project-{i}"))
        .collect();
    let repo_refs: Vec<&str> = repos.iter().map(String::as_str).collect();

    let db = state.join("recall/index.db");
    let reuse = keep.is_some() && std::env::var_os("CSEP_BENCH_REUSE").is_some();
    let store = if reuse {
        let store = Store::open(&db).unwrap();
        let (sessions, messages, _) = store.counts().unwrap();
        println!(
            "reusing the index at {}: {sessions} sessions, {messages} messages",
            db.display()
        );
        store
    } else {
        import(&corpus_dir, &state, &db, sessions, messages, &repo_refs)
    };

    let queries = [
        "parse_config",
        "busy_timeout|spawn_blocking",
        "src/config.rs",
        "cargo clippy",
        "handler_4821",
        "数据库迁移",
        "仓库",
        "TranscriptReader",
        "kubectl get pods",
        "nothing-matches-this-needle",
        // Words in most sessions: the walk must still return `limit` sessions.
        "value",
        "job stream",
    ];
    for (label, bucket) in [
        (
            "repo",
            Some(csep::bucket::slug(std::path::Path::new(&repos[3]))),
        ),
        ("global", None),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            for q in queries {
                let t = Instant::now();
                let found = store
                    .search(&SearchQuery {
                        needles: recall::parse_needles(q),
                        bucket: bucket.clone(),
                        limit: 5,
                        ..SearchQuery::default()
                    })
                    .unwrap();
                times.push(t.elapsed());
                if q == "value" {
                    assert_eq!(found.len(), 5, "a common word fills the limit");
                }
            }
            for q in ["value|parse_config", "worker timeout retry", "job value"] {
                let t = Instant::now();
                store
                    .search_with(
                        &SearchQuery {
                            needles: recall::parse_needles(q),
                            bucket: bucket.clone(),
                            limit: 10,
                            ..SearchQuery::default()
                        },
                        &recall::SearchOptions {
                            mode: recall::MatchMode::AllTerms,
                            ..recall::SearchOptions::default()
                        },
                    )
                    .unwrap();
                times.push(t.elapsed());
            }
        }
        let (median, p95) = stats(times);
        println!(
            "query ({label}, in-process, {} queries x5): median {median:.2} ms, p95 {p95:.2} ms",
            queries.len() + 3
        );
    }
    if let Some(dir) = keep {
        println!(
            "kept for hyperfine: CODEX_SELF_EVOLUTION_HOME={} target/release/csep recall --global \"parse_config\"",
            dir.join("state").display()
        );
    }
}

/// Generates the corpus and imports it as `csep recall bootstrap` does, printing
/// throughput, an unchanged re-run and the database size.
fn import(
    corpus_dir: &Path,
    state: &Path,
    db: &Path,
    sessions: usize,
    messages: usize,
    repo_refs: &[&str],
) -> Store {
    let t = Instant::now();
    let _ = std::fs::remove_dir_all(corpus_dir);
    let _ = std::fs::remove_dir_all(state);
    let (_, raw) = corpus::write_codex_corpus(corpus_dir, sessions, messages, repo_refs, 42);
    let mb = raw as f64 / 1e6;
    println!(
        "corpus: {sessions} sessions x {messages} messages, {mb:.1} MB of rollouts (generated in {:.1} s)",
        t.elapsed().as_secs_f64()
    );

    let mut store = Store::open(db).unwrap();
    let t = Instant::now();
    let report = recall::bootstrap(
        &mut store,
        corpus_dir,
        Client::Codex,
        None,
        SystemTime::now(),
    );
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.error_count, 0, "{:?}", report.errors.first());
    println!(
        "bootstrap: {secs:.1} s, {:.0} sessions/s, {:.1} MB/s ({} new sessions, {} messages)",
        sessions as f64 / secs,
        mb / secs,
        report.new_sessions,
        report.new_messages
    );

    let t = Instant::now();
    let again = recall::bootstrap(
        &mut store,
        corpus_dir,
        Client::Codex,
        None,
        SystemTime::now(),
    );
    println!(
        "unchanged re-run: {:.3} s ({} unchanged)",
        t.elapsed().as_secs_f64(),
        again.unchanged_sessions
    );
    drop(store);
    let store = Store::open(db).unwrap(); // checkpoints nothing by itself; measure files as they are
    let size = dir_size(db.parent().unwrap());
    println!(
        "database: {:.1} MB, {:.2}x the raw transcripts",
        size as f64 / 1e6,
        size as f64 / raw as f64
    );

    store
}
