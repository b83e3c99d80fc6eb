//! Recall queries, through `csep::recall::parse_needles`, `snippet` and a search
//! of a small index built once from the test fixtures.
//!
//! Properties: needles are trimmed, non-empty, free of `|` and of repeats; any
//! query searches without error; results keep to the limit, one entry per
//! session; snippets stay short.
#![no_main]

use std::sync::{Mutex, OnceLock};

use csep::client::Client;
use csep::recall::{self, BucketCache, SearchQuery, Store};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 5;
/// Characters of context on each side of a match, plus markers and ellipses.
const SNIPPET_SLACK: usize = 2 * 60 + 8;

const FIXTURES: [(&str, Client, &[u8]); 3] = [
    (
        "rollout-a.jsonl",
        Client::Codex,
        include_bytes!("../../tests/fixtures/transcripts/codex-0.169.0-rollout-sample.jsonl"),
    ),
    (
        "rollout-b.jsonl",
        Client::Codex,
        include_bytes!("../../tests/fixtures/transcripts/codex-legacy-rollout-sample.jsonl"),
    ),
    (
        "claude.jsonl",
        Client::Claude,
        include_bytes!("../../tests/fixtures/transcripts/claude-2.1.332-transcript-sample.jsonl"),
    ),
];

struct Index {
    store: Mutex<Store>,
    // Kept so the folder outlives the process's searches.
    _dir: tempfile::TempDir,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut store = Store::open(&dir.path().join("index.db")).expect("a new index");
        let mut buckets = BucketCache::default();
        for (name, client, bytes) in FIXTURES {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("writing a fixture");
            store
                .ingest_file(&path, Some(client), &mut buckets)
                .expect("ingesting a fixture");
        }
        Index {
            store: Mutex::new(store),
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let needles = recall::parse_needles(query);
    for (i, n) in needles.iter().enumerate() {
        assert!(!n.is_empty() && !n.contains('|'));
        assert_eq!(n.trim(), n, "needle not trimmed");
        assert!(!n.contains("  "), "needle keeps a run of spaces");
        assert!(
            !needles[..i].iter().any(|o| o.eq_ignore_ascii_case(n)),
            "needle {n:?} repeated"
        );
        // The window is what stays short: every match in it is marked, and a
        // needle whose words are common (one letter) marks many.
        let s = recall::snippet(query, n);
        let window = s.replace(">>>", "").replace("<<<", "");
        assert!(
            window.chars().count() <= SNIPPET_SLACK + n.chars().count(),
            "snippet window of {} chars for {n:?}",
            window.chars().count()
        );
    }
    if needles.is_empty() {
        return;
    }
    let store = index().store.lock().unwrap_or_else(|e| e.into_inner());
    let q = SearchQuery {
        needles: needles.clone(),
        limit: LIMIT,
        ..SearchQuery::default()
    };
    let found = store
        .search(&q)
        .unwrap_or_else(|e| panic!("searching {needles:?} failed: {e}"));
    assert!(found.len() <= LIMIT);
    let mut seen = std::collections::HashSet::new();
    for s in &found {
        assert!(seen.insert(&s.session_id), "session listed twice");
        assert!(!s.hits.is_empty() && s.hits.len() <= 3 && s.hits.len() <= s.hit_count);
        for h in &s.hits {
            let longest = needles.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            assert!(h.snippet.chars().count() <= SNIPPET_SLACK + longest);
        }
    }
});
