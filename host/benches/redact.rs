//! Measures redaction speed on ~50 MB of mixed text (code, logs, prose, CJK,
//! JSON transcript lines): once without secrets, once with a secret about
//! every 10 KB. Run with `cargo bench --bench redact`.
#![allow(
    clippy::disallowed_methods,
    reason = "benchmarks build their corpora with plain std::fs"
)]

use std::hint::black_box;
use std::time::Instant;

use csep::redact::{contains_secret, redact};

const TARGET: usize = 50 * 1024 * 1024;
const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn string(&mut self, len: usize, alphabet: &[u8]) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const PROSE: &[&str] = &[
    "The function reads the configuration file, validates every field and returns a typed struct. ",
    "If the token budget is exceeded, the request is retried with a smaller context window. ",
    "We should keep the public API small: callers only need redact and contains_secret. ",
    "Note: the bearer of this message is authorised to collect the parcel on my behalf. ",
    "Run the migrations first, then restart the service and check the logs for warnings. ",
];

const CJK: &[&str] = &[
    "这个函数读取配置文件并验证每个字段，然后返回一个类型化的结构体。",
    "如果超出令牌预算，请求将使用更小的上下文窗口重试。",
    "設定ファイルを読み込み、すべての項目を検証してから型付きの構造体を返します。",
    "トークンの上限を超えた場合は、より小さいコンテキストで再試行します。",
    "설정 파일을 읽고 모든 필드를 검증한 뒤 구조체를 반환합니다.",
];

const CODE: &[&str] = &[
    "fn parse(input: &str) -> Result<Config, Error> {\n    let mut cfg = Config::default();\n    for line in input.lines() {\n        let (k, v) = line.split_once('=').ok_or(Error::Syntax)?;\n        cfg.set(k.trim(), v.trim())?;\n    }\n    Ok(cfg)\n}\n",
    "def count_tokens(messages: list[dict], model: str = \"gpt-4o\") -> int:\n    enc = tiktoken.encoding_for_model(model)\n    return sum(len(enc.encode(m[\"content\"])) for m in messages)\n",
    "const client = new Client({ apiKey: process.env.API_KEY, timeout: 30_000 });\nconst res = await client.get(`/v1/items?page=${page}&limit=50`);\n",
    "let api_key = std::env::var(\"OPENAI_API_KEY\")?;\nlet max_tokens: usize = 4096;\nif task_token_count > max_tokens { return Err(Error::TooLong); }\n",
    "SELECT id, name, created_at FROM archives WHERE project_id = ?1 ORDER BY created_at DESC LIMIT 100;\n",
];

fn log_line(r: &mut Rng) -> String {
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z INFO request_id={:08x}-{:04x}-4{:03x}-a{:03x}-{:012x} path=/api/v1/items/{} status=200 duration_ms={} commit={:040x}\n",
        r.below(12) + 1,
        r.below(28) + 1,
        r.below(24),
        r.below(60),
        r.below(60),
        r.below(1000),
        r.next() as u32,
        r.next() as u16,
        r.below(4096),
        r.below(4096),
        r.next() & 0xffff_ffff_ffff,
        r.below(100_000),
        r.below(2000),
        (u128::from(r.next()) << 64) | u128::from(r.next()),
    )
}

fn json_line(r: &mut Rng) -> String {
    format!(
        "{{\"type\":\"assistant\",\"uuid\":\"{:016x}\",\"message\":{{\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"{}\\n\\n{}\"}}],\"usage\":{{\"input_tokens\":{},\"output_tokens\":{},\"cache_read_input_tokens\":{}}}}},\"signature\":\"{}\"}}\n",
        r.next(),
        PROSE[r.below(PROSE.len())].trim(),
        CJK[r.below(CJK.len())],
        r.below(100_000),
        r.below(4000),
        r.below(50_000),
        r.string(120, B62),
    )
}

fn corpus(r: &mut Rng) -> String {
    let mut s = String::with_capacity(TARGET + 4096);
    while s.len() < TARGET {
        match r.below(5) {
            0 => s.push_str(PROSE[r.below(PROSE.len())]),
            1 => s.push_str(CJK[r.below(CJK.len())]),
            2 => s.push_str(CODE[r.below(CODE.len())]),
            3 => s.push_str(&log_line(r)),
            _ => s.push_str(&json_line(r)),
        }
    }
    s
}

fn secret(r: &mut Rng) -> String {
    match r.below(6) {
        0 => format!(" OPENAI_API_KEY=sk-proj-{} ", r.string(120, B62)),
        1 => format!(" ghp_{} ", r.string(36, B62)),
        2 => format!("\nAuthorization: Bearer {}\n", r.string(48, B62)),
        3 => format!(" DB_PASSWORD=\"{}\" ", r.string(16, B62)),
        4 => format!(" postgres://app:{}@db:5432/app ", r.string(20, B62)),
        _ => format!(
            " AKIA{} ",
            r.string(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        ),
    }
}

/// Inserts a secret about every 10 KB, at char boundaries.
fn with_secrets(clean: &str, r: &mut Rng) -> (String, usize) {
    let mut out = String::with_capacity(clean.len() + clean.len() / 100);
    let mut count = 0;
    let mut pos = 0;
    while pos < clean.len() {
        let mut next = (pos + 10 * 1024).min(clean.len());
        while !clean.is_char_boundary(next) {
            next += 1;
        }
        out.push_str(&clean[pos..next]);
        if next < clean.len() {
            out.push_str(&secret(r));
            count += 1;
        }
        pos = next;
    }
    (out, count)
}

/// Transcript-style JSON records: keys and `:` every few bytes.
fn json_records(r: &mut Rng) -> String {
    let mut s = String::with_capacity(TARGET + 4096);
    while s.len() < TARGET {
        s.push_str(&format!(
            "{{\"parentUuid\":\"{:016x}\",\"isSidechain\":false,\"cwd\":\"/home/user/project\",\"type\":\"assistant\",\"message\":{{\"role\":\"assistant\",\"content\":[{{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{{\"command\":\"cargo test --release 2>&1 | tail -20\",\"description\":\"Run tests\"}}}}],\"usage\":{{\"input_tokens\":{},\"cache_read_input_tokens\":{},\"output_tokens\":{}}}}},\"timestamp\":\"2025-06-01T12:34:56.789Z\"}}\n",
            r.next(),
            r.below(100),
            r.below(90_000),
            r.below(4000),
        ));
    }
    s
}

/// Splits `text` into pieces of about `size` bytes, as an ingest sees
/// messages. Some planted secrets are cut in two, so fewer are found.
fn messages(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let mut end = (pos + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[pos..end]);
        pos = end;
    }
    out
}

fn measure(label: &str, bytes: usize, f: impl Fn() -> usize) {
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        found = black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "{label:<44} {mb:6.1} MB {:8.1} MB/s  ({found} found)",
        mb / best
    );
}

fn main() {
    let mut r = Rng(0x5EED_1234_ABCD_0001);
    let clean = corpus(&mut r);
    let (dirty, planted) = with_secrets(&clean, &mut r);
    let json = json_records(&mut r);
    let (clean_msgs, dirty_msgs) = (messages(&clean, 4096), messages(&dirty, 4096));
    let per_message = |msgs: &[&str]| msgs.iter().map(|m| redact(m).1.total).sum();
    println!("planted {planted} secrets in the second text\n");
    measure("redact, no secrets", clean.len(), || {
        redact(black_box(&clean)).1.total
    });
    measure("redact, a secret every ~10 KB", dirty.len(), || {
        redact(black_box(&dirty)).1.total
    });
    measure("redact, no secrets, 4 KB messages", clean.len(), || {
        per_message(&clean_msgs)
    });
    measure(
        "redact, a secret every ~10 KB, 4 KB messages",
        dirty.len(),
        || per_message(&dirty_msgs),
    );
    measure("redact, transcript JSON records", json.len(), || {
        redact(black_box(&json)).1.total
    });
    measure("contains_secret, no secrets", clean.len(), || {
        usize::from(contains_secret(black_box(&clean)))
    });
}
