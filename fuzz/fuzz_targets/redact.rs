//! Secret redaction, through `csep::redact::redact`.
//!
//! Properties: redaction is idempotent and leaves nothing `contains_secret`
//! sees; it reports a find exactly when `contains_secret` does; it changes
//! nothing but the replaced spans (the text between markers is the input's, in
//! order); and a secret it replaced (8 bytes or more, the shortest whose
//! repeats `redact` looks for) does not survive elsewhere in the output, other
//! than as part of a marker's own text.
#![no_main]

use std::borrow::Cow;

use csep::redact;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/redact/survivors.rs"]
mod survivors;

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

    survivors::assert_no_replaced_secret_survives(text, &out);
});
