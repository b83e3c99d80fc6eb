//! Byte-level scanning primitives shared by the detectors.

/// `[A-Za-z0-9_-]`: the alphabet of nearly every API token, and of identifiers.
pub(crate) const fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Space or tab; detectors never look across a line break.
pub(crate) const fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// First index at or after `from` whose byte fails `pred`.
pub(crate) fn span_while(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < b.len() && pred(b[i]) {
        i += 1;
    }
    i
}

/// Like [`span_while`] but stops after `max` bytes, so that no detector
/// walks further than the longest thing it could accept.
pub(crate) fn span_while_max(
    b: &[u8],
    from: usize,
    max: usize,
    pred: impl Fn(u8) -> bool,
) -> usize {
    let limit = b.len().min(from.saturating_add(max));
    let mut i = from;
    while i < limit && pred(b[i]) {
        i += 1;
    }
    i
}

/// Index after at most `max` blanks starting at `from`.
pub(crate) fn skip_blanks(b: &[u8], from: usize, max: usize) -> usize {
    let mut i = from;
    while i < b.len() && i - from < max && is_blank(b[i]) {
        i += 1;
    }
    i
}

/// ASCII case-insensitive prefix test.
pub(crate) fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// ASCII case-insensitive substring test; inputs here are short values.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    hay.len() >= needle.len()
        && (0..=hay.len() - needle.len()).any(|i| {
            hay[i].to_ascii_lowercase() == first
                && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
        })
}

/// Position of `needle` in `hay` at or after `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let rel = hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|&c| c == first)?;
        i += rel;
        if &hay[i..i + needle.len()] == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_locates_needles() {
        assert_eq!(find(b"abc-----END x", b"-----END", 0), Some(3));
        assert_eq!(find(b"abc-----END x", b"-----END", 4), None);
        assert_eq!(find(b"ab", b"abc", 0), None);
        assert!(contains_ci(b"MyExampleKey", b"example"));
        assert!(starts_with_ci(b"Bearer x", b"bearer"));
    }
}
