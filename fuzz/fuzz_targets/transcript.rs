//! Codex and Claude Code transcripts, from bytes, through `csep::transcript::read`.
//!
//! Properties: the read never fails on content; the end offset lies on a line
//! boundary within the input; every message starts at a line start, in file
//! order, with text; the result does not depend on how the reader buffers the
//! bytes, nor (but for the offsets) on where in the file the bytes start.
#![no_main]

use std::io::BufReader;

use csep::client::Client;
use csep::transcript::{self, Chunk, Message, SessionMeta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the client, so one corpus serves both readers.
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let client = if pick & 1 == 0 {
        Client::Codex
    } else {
        Client::Claude
    };
    let whole = read(client, body, 0, body.len().max(1));
    check_bounds(&whole, body, 0);

    // A tiny read buffer splits lines across many fill_buf calls.
    let trickled = read(client, body, 0, 1 + usize::from(pick >> 1) % 7);
    assert_same(&whole, &trickled, 0, &whole.meta);

    // Starting further into a file only shifts the offsets.
    let shift = 1_000_003;
    // (A Claude session's start time is only taken from a read at offset 0.)
    let shifted = read(client, body, shift, body.len().max(1));
    check_bounds(&shifted, body, shift);
    let unshifted = whole_meta_at(&whole, client);
    assert_same(&whole, &shifted, shift, &unshifted);

    // What was consumed can be read again on its own to the same messages:
    // the unconsumed partial tail does not change what came before it.
    let consumed = &body[..whole.end_offset as usize];
    let again = read(client, consumed, 0, consumed.len().max(1));
    assert_eq!(again.end_offset, whole.end_offset);
    assert!(!again.stats.partial_tail);
    assert_eq!(again.messages, whole.messages);

    // Client detection from a first line never panics.
    let first = body.split(|&b| b == b'\n').next().unwrap_or_default();
    let _ = transcript::detect_client(std::path::Path::new("x.jsonl"), first);
});

fn read(client: Client, body: &[u8], start: u64, capacity: usize) -> Chunk {
    transcript::read(client, BufReader::with_capacity(capacity, body), start)
        .expect("reading from memory cannot fail")
}

fn check_bounds(chunk: &Chunk, body: &[u8], start: u64) {
    let end = chunk.end_offset;
    assert!(
        end >= start && end <= start + body.len() as u64,
        "end {end}"
    );
    let consumed = (end - start) as usize;
    assert!(
        consumed == 0 || body[consumed - 1] == b'\n',
        "end not after a newline"
    );
    // Whatever follows the last newline is a partial tail, and only that.
    let tail = &body[consumed..];
    assert!(!tail.contains(&b'\n'));
    assert_eq!(chunk.stats.partial_tail, !tail.is_empty());
    let newlines = body[..consumed].iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(chunk.stats.lines, newlines);
    assert!(chunk.stats.corrupt + chunk.stats.unknown + chunk.stats.oversized <= chunk.stats.lines);
    let mut last = start;
    for m in &chunk.messages {
        assert!(
            m.offset >= last && m.offset < end,
            "offset {} out of order",
            m.offset
        );
        let at = (m.offset - start) as usize;
        assert!(
            at == 0 || body[at - 1] == b'\n',
            "message not at a line start"
        );
        assert!(!m.text.is_empty(), "empty message kept");
        last = m.offset;
    }
    if let Some(title) = &chunk.meta.title {
        assert!(
            title.chars().count() <= 200,
            "title of {} chars",
            title.chars().count()
        );
    }
}

/// The meta a read at another offset gives.
fn whole_meta_at(whole: &Chunk, client: Client) -> SessionMeta {
    let mut meta = whole.meta.clone();
    if client == Client::Claude {
        meta.started_ms = None;
    }
    meta
}

fn assert_same(a: &Chunk, b: &Chunk, shift: u64, meta: &SessionMeta) {
    assert_eq!(a.end_offset + shift, b.end_offset);
    assert_eq!(a.stats, b.stats);
    assert_eq!(*meta, b.meta);
    let moved: Vec<Message> = a
        .messages
        .iter()
        .map(|m| Message {
            offset: m.offset + shift,
            ..m.clone()
        })
        .collect();
    assert_eq!(moved, b.messages);
}
