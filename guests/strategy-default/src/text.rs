//! Small string helpers shared by the other modules.

/// Lower case with every run of whitespace collapsed to one space: how entries are
/// compared for duplicates.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to at most `max` characters, with `…` marking a cut.
pub fn cut_chars(s: &str, max: usize) -> String {
    if char_len(s) <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

/// Upper-cases the first character when it is an ASCII letter.
pub fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {
            let mut out = String::with_capacity(s.len());
            out.push(c.to_ascii_uppercase());
            out.push_str(chars.as_str());
            out
        }
        _ => s.to_string(),
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time in milliseconds.
pub fn date_from_ms(ms: u64) -> String {
    let days = (ms / 86_400_000) as i64;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// True when the text holds something that looks like a credential: a redaction
/// marker, a well-known token prefix, a PEM header or a long random-looking token.
/// Such text is never recorded, even though the host redacts transcripts itself.
pub fn looks_secret(s: &str) -> bool {
    const MARKERS: [&str; 6] = [
        "[REDACTED:",
        "-----BEGIN",
        "ghp_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
    ];
    if MARKERS.iter().any(|m| s.contains(m)) {
        return true;
    }
    s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '=')))
        .any(token_looks_secret)
}

fn token_looks_secret(token: &str) -> bool {
    if token
        .strip_prefix("sk-")
        .is_some_and(|body| body.len() >= 8)
    {
        return true;
    }
    for prefix in ["AKIA", "ASIA"] {
        if let Some(body) = token.strip_prefix(prefix)
            && body.len() >= 12
            && body
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return true;
        }
    }
    if token.starts_with("AIza") && token.len() >= 30 {
        return true;
    }
    // Paths and dashed words are not random strings.
    if token.len() < 32 || token.contains('/') {
        return false;
    }
    let (mut upper, mut lower, mut digit) = (false, false, false);
    for b in token.bytes() {
        upper |= b.is_ascii_uppercase();
        lower |= b.is_ascii_lowercase();
        digit |= b.is_ascii_digit();
    }
    let all_hex = token.bytes().all(|b| b.is_ascii_hexdigit());
    (digit && (upper || lower) && (upper && lower || all_hex))
        || (upper && lower && token.len() >= 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(
            normalize("  Use   PNPM\n for\tinstalls "),
            "use pnpm for installs"
        );
    }

    #[test]
    fn cuts_by_characters() {
        assert_eq!(cut_chars("记住这个很重要", 4), "记住这…");
        assert_eq!(cut_chars("short", 10), "short");
    }

    #[test]
    fn formats_dates() {
        assert_eq!(date_from_ms(0), "1970-01-01");
        assert_eq!(date_from_ms(1_700_000_000_000), "2023-11-14");
        assert_eq!(date_from_ms(1_798_156_800_000), "2026-12-25");
    }

    #[test]
    fn flags_secret_looking_text() {
        for s in [
            "my key is sk-abcdef1234567890",
            "AKIAIOSFODNN7EXAMPLE1 is the id",
            "token ghp_aaaa",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "use 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c",
            "x Zq8vR2mK9pL4nB7wX1cY5tH3jF6gD0sA end",
            "the value was [REDACTED:openai-key]",
        ] {
            assert!(looks_secret(s), "{s}");
        }
        for s in [
            "run the task-runner before desk-checking",
            "don't touch vendor/ or src/generated/protobuf_definitions/",
            "cargo test --workspace --all-features",
            "the crate is called tokio-util",
        ] {
            assert!(!looks_secret(s), "{s}");
        }
    }
}
