//! Properties over generated text: no panics on any cut, idempotence,
//! agreement between `redact` and `contains_secret`, and linear time on
//! inputs built to provoke re-scanning.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::time::Duration;

use csep::redact::{contains_secret, redact};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn word(&mut self, len: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| A[(self.next() % 62) as usize] as char)
            .collect()
    }
}

/// Text assembled from fragments that sit on detector boundaries.
fn generated(r: &mut Rng, pieces: usize) -> String {
    const FRAGMENTS: &[&str] = &[
        " ",
        "\n",
        "\\n",
        "\\\"",
        "\"",
        "'",
        "`",
        ":",
        "=",
        "://",
        "@",
        ".",
        "-",
        "_",
        "/",
        "é",
        "中文",
        "🎉",
        "TOKEN",
        "token",
        "api_key",
        "PASSWORD",
        "Authorization",
        "Bearer ",
        "bearer",
        "sk-",
        "sk-proj-",
        "ghp_",
        "AKIA",
        "AIza",
        "eyJ",
        "xoxb-",
        "hooks.slack.com/services/",
        "SG.",
        "ya29.",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "https://u:",
        "${X}",
        "<k>",
        "xxxx",
        "REDACTED",
        "[REDACTED:jwt]",
        "4096",
        "--password=",
        "export ",
    ];
    let mut s = String::new();
    for _ in 0..pieces {
        if r.next().is_multiple_of(3) {
            let len = (r.next() % 50) as usize;
            s.push_str(&r.word(len));
        } else {
            s.push_str(r.pick(FRAGMENTS));
        }
    }
    s
}

#[test]
fn generated_text_keeps_the_invariants() {
    let seed =
        std::env::var("REDACT_FUZZ_SEED").map_or(0xDEC0_DE00_1234_5678, |v| v.parse().unwrap());
    let mut r = Rng(seed);
    let rounds = std::env::var("REDACT_FUZZ_ROUNDS").map_or(3000, |v| v.parse().unwrap());
    for _ in 0..rounds {
        let text = generated(&mut r, 40);
        let (out, counts) = redact(&text);
        assert_eq!(contains_secret(&text), counts.total > 0, "{text:?}");
        let (again, more) = redact(&out);
        assert_eq!(
            more.total, 0,
            "not idempotent:\n{text:?}\n{out:?}\n{again:?}"
        );
        assert!(!contains_secret(&out), "{out:?}");
        no_replaced_secret_survives(&text);
    }
}

#[test]
fn every_cut_of_a_secret_laden_text_is_safe() {
    let text = format!(
        "a ghp_{k36} b sk-proj-{k60}x\nAuthorization: Bearer eyJ{k20}.eyJ{k20}.{k20}\n\
         PASSWORD=\"hunter22\" postgres://u:pw12345@h/db -----BEGIN EC PRIVATE KEY-----\n{k60}\n\
         -----END EC PRIVATE KEY----- 中文 hooks.slack.com/services/T{k20}/B{k20}/{k20} é",
        k36 = "aB3".repeat(12),
        k60 = "Zq8vK2".repeat(10),
        k20 = "Xy7Zq8vK2pLm9Rt4Wx7Y",
    );
    let cuts = (0..=text.len()).filter(|&i| text.is_char_boundary(i));
    for i in cuts {
        for part in [&text[..i], &text[i..]] {
            let (out, counts) = redact(part);
            assert_eq!(contains_secret(part), counts.total > 0, "{part:?}");
            assert_eq!(redact(&out).1.total, 0, "{part:?} -> {out:?}");
        }
    }
}

/// CPU time this thread has used: unlike the wall clock, it does not grow while other
/// processes of a busy machine hold the cores.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Runs a hostile repetition through both entry points, checks they agree, and
/// returns the least CPU time of five runs of `redact` on it.
#[track_caller]
fn timed(text: &str) -> Duration {
    let (out, counts) = redact(text);
    assert_eq!(contains_secret(text), counts.total > 0);
    assert_eq!(redact(&out).1.total, 0);
    (0..5)
        .map(|_| {
            let at = thread_cpu_time();
            std::hint::black_box(redact(std::hint::black_box(text)));
            thread_cpu_time() - at
        })
        .min()
        .unwrap()
}

/// Linear growth, told apart from quadratic by a ratio, not by a time limit (limits
/// belong to `cargo bench --bench redact`): eight times the input may cost about eight
/// times the time, a scan that starts again at every repetition about sixty-four. The
/// input first grows until it takes long enough to time (a fast machine gets bigger
/// inputs, never a free pass), then the bound leaves three times the linear ratio for
/// a busy machine.
#[track_caller]
fn linear(make: impl Fn(usize) -> String) {
    const LONG_ENOUGH: Duration = Duration::from_millis(10);
    const MAX_BYTES: usize = 1 << 20;
    let mut n = 1_000;
    let mut small = timed(&make(n));
    while small < LONG_ENOUGH && make(2 * n).len() <= MAX_BYTES {
        n *= 2;
        small = timed(&make(n));
    }
    let large = timed(&make(8 * n));
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    assert!(
        ratio < 24.0,
        "{} bytes of {:?}… took {large:?}, an eighth of them {small:?}: {ratio:.1} times, not linear",
        make(8 * n).len(),
        make(8 * n).chars().take(40).collect::<String>()
    );
}

#[test]
fn adversarial_repetitions_run_in_linear_time() {
    linear(|n| "token=".repeat(n));
    linear(|n| "TOKEN:".repeat(n));
    linear(|n| format!("token=\"{}", "a".repeat(6 * n)));
    linear(|n| "a://".repeat(n));
    linear(|n| "a://u:p".repeat(n));
    linear(|n| "Bearer a/".repeat(n));
    linear(|n| "SG.".repeat(n));
    linear(|n| "-----BEGIN RSA PRIVATE KEY-----".repeat(n / 4));
    linear(|n| "-----BEGIN RSA PRIVATE KEY----- -----END CERTIFICATE-----".repeat(n / 8));
    linear(|n| "Authorization: ".repeat(n / 2));
    linear(|n| "\\n".repeat(n));
    linear(|n| ":".repeat(6 * n));
    linear(|n| "x".repeat(6 * n));
}

/// JWT-shaped repetitions: many hits of one value, each further occurrence of which is
/// checked against the hits already found (by binary search, not one by one).
#[test]
fn jwt_shaped_repetitions_run_in_linear_time() {
    linear(|n| "eyJhbGciOiJIUzI1NiJ9.".repeat(n / 4));
}

/// The fuzz target's last property: no replaced secret of 8 bytes or more (the
/// shortest whose repeats are looked for) is left anywhere in the output, other than
/// inside a marker's own text.
#[track_caller]
fn no_replaced_secret_survives(text: &str) {
    let (out, _) = redact(text);
    assert_eq!(redact(&out).1.total, 0, "not idempotent: {out:?}");
    super::survivors::assert_no_replaced_secret_survives(text, &out);
}

#[test]
fn known_fuzz_inputs_leave_no_replaced_secret_elsewhere() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/redact/known");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    for path in files {
        let text = String::from_utf8(std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        no_replaced_secret_survives(&text);
    }
}

/// Repeats: every distinct secret is looked for again, and overlapping occurrences
/// (a value of one repeated byte) are all covered, in one pass per round, not one pass
/// per value or per occurrence.
#[test]
fn repeated_secrets_run_in_linear_time() {
    let many = |n: usize| {
        let lines = (n / 16).max(1);
        let mut s: String = (0..lines)
            .map(|i| format!("TOKEN=Zq8vK2pL{i:08}\n"))
            .collect();
        s.extend((0..lines).map(|i| format!("again Zq8vK2pL{i:08} here\n")));
        s
    };
    let small = many(1_000);
    assert!(!redact(&small).0.contains("Zq8vK2pL"), "{small}");
    linear(many);
    let periodic = |n: usize| format!("https://u:{}@h {}", "a1".repeat(32), "a1".repeat(3 * n));
    let small = periodic(1_000);
    let (out, _) = redact(&small);
    assert!(!out.contains("a1a1a1a1"), "{out}");
    linear(periodic);
}
