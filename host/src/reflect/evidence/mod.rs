//! Evidence for what a strategy writes: the session as the host gave it, and
//! whether the quotes a strategy cites for an entry are there and are of a kind
//! the entry may rest on.

mod check;
mod polarity;
mod session;

pub use check::{Found, Need, check, fold, locate, source_name, spans};
pub use polarity::{affirmed_spans, ruled_out_by_user};
pub use session::{Session, SessionMessage, Source, pasted_ranges};

/// `text` cut to `max` characters, marked when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
