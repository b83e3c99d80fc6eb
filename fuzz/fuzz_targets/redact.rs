//! Secret redaction, through `csep::redact::redact`.
//!
//! Properties: redaction is idempotent and leaves nothing `contains_secret`
//! sees; it reports a find exactly when `contains_secret` does; it changes
//! nothing but the replaced spans (the text between markers is the input's, in
//! order); and a secret it replaced does not survive elsewhere in the output.
#![no_main]

use std::borrow::Cow;

use csep::redact::{self, SecretKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (out, found) = redact::redact(text);
    assert_eq!(found.total, found.by_kind.values().sum::<usize>());
    assert_eq!(redact::contains_secret(text), !found.is_empty());
    assert_eq!(matches!(out, Cow::Borrowed(_)), found.is_empty());
    if found.is_empty() {
        assert_eq!(out, text);
        return;
    }

    let (twice, again) = redact::redact(&out);
    assert!(again.is_empty(), "a second pass found {again:?} in {out:?}");
    assert_eq!(twice, out);
    assert!(!redact::contains_secret(&out));

    let spans = removed_spans(text, &out);
    if allow_repeats() {
        return;
    }
    for secret in spans {
        assert!(
            !out.contains(secret),
            "the replaced secret {secret:?} is still in the output {out:?}"
        );
    }
});

/// `CSEP_FUZZ_REDACT_ALLOW_REPEATS=1` skips the last check, to fuzz the others
/// while a secret that `redact` replaced in one place can still stay in another.
fn allow_repeats() -> bool {
    static ALLOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ALLOW.get_or_init(|| std::env::var_os("CSEP_FUZZ_REDACT_ALLOW_REPEATS").is_some())
}

/// The input spans the markers replaced, where the text around them pins them
/// down; checks on the way that every other byte was kept, in order.
fn removed_spans<'t>(input: &'t str, out: &str) -> Vec<&'t str> {
    let segments = split_markers(out);
    let mut spans = Vec::new();
    // The first segment is the input's prefix; each later one follows a replaced span.
    let first = segments[0];
    assert!(
        input.starts_with(first),
        "the text before the first marker changed"
    );
    let mut at = first.len();
    for (i, seg) in segments.iter().enumerate().skip(1) {
        let last = i + 1 == segments.len();
        let found = if last {
            input.len() - seg.len()
        } else {
            at + input[at..].find(seg).unwrap_or_else(|| {
                panic!("the kept text {seg:?} is not in the input after byte {at}")
            })
        };
        if last {
            assert!(
                input.ends_with(seg) && found >= at,
                "the text after the last marker changed"
            );
        }
        // Only a span whose end is unambiguous is checked further.
        let unique = last || seg.is_empty() || input[at..].rfind(seg) == Some(found - at);
        let span = &input[at..found];
        // A marker already in the input is kept as it was, not a secret.
        let plain = !span.contains("[REDACTED:");
        if unique && plain && span.len() >= 12 && !span.contains(char::is_whitespace) {
            spans.push(span);
        }
        at = found + seg.len();
    }
    spans
}

/// `out` cut at every `[REDACTED:<kind>]` marker.
fn split_markers(out: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut kept = 0;
    let mut from = 0;
    while let Some(i) = out[from..].find("[REDACTED:") {
        let start = from + i;
        let tail = &out[start + "[REDACTED:".len()..];
        let kind = SecretKind::ALL
            .iter()
            .find(|k| tail.starts_with(&format!("{}]", k.name())));
        match kind {
            Some(k) => {
                let end = start + "[REDACTED:".len() + k.name().len() + 1;
                segments.push(&out[kept..start]);
                kept = end;
                from = end;
            }
            None => from = start + 1,
        }
    }
    segments.push(&out[kept..]);
    segments
}
