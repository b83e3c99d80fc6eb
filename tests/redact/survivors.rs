//! The repeat property, shared by the redaction tests and the fuzz target: no
//! secret `redact` replaced (8 bytes or more, the shortest whose repeats it looks
//! for) is left anywhere in its output, other than inside a marker's own text.

use std::ops::Range;

/// Panics naming a replaced secret that `out` (the redaction of `input`) still holds.
#[track_caller]
pub fn assert_no_replaced_secret_survives(input: &str, out: &str) {
    let markers = marker_ranges(out);
    for secret in removed_spans(input, out) {
        let mut from = 0;
        while let Some(i) = out[from..].find(secret) {
            let at = from + i;
            let end = at + secret.len();
            assert!(
                markers.iter().any(|m| m.start <= at && end <= m.end),
                "the replaced secret {secret:?} is still in the output {out:?}"
            );
            from = at + 1;
            while !out.is_char_boundary(from) {
                from += 1;
            }
        }
    }
}

/// Shortest replaced secret whose other occurrences `redact` replaces too.
const MIN_REPEAT_BYTES: usize = 8;

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
        if unique && plain && span.len() >= MIN_REPEAT_BYTES {
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
    for m in marker_ranges(out) {
        segments.push(&out[kept..m.start]);
        kept = m.end;
    }
    segments.push(&out[kept..]);
    segments
}

/// Where the `[REDACTED:<kind>]` markers are in `out`: a built-in kind's name
/// or a data rule's id (lower-case letters, digits and dashes).
fn marker_ranges(out: &str) -> Vec<Range<usize>> {
    const OPEN: &str = "[REDACTED:";
    let mut markers = Vec::new();
    let mut from = 0;
    while let Some(i) = out[from..].find(OPEN) {
        let start = from + i;
        let tail = &out.as_bytes()[start + OPEN.len()..];
        let name = tail
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'-')
            .count();
        if name > 0 && tail.get(name) == Some(&b']') {
            let end = start + OPEN.len() + name + 1;
            markers.push(start..end);
            from = end;
        } else {
            from = start + 1;
        }
    }
    markers
}
