//! Splitting a byte stream into complete lines with a bounded buffer, and spotting the
//! reflection-worker markers on the way.

use std::io::{self, BufRead};

use super::MAX_LINE_BYTES;

/// What the next call to [`Lines::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A complete line is in [`Lines::buf`] (without its `\n`).
    Line,
    /// A complete line longer than [`MAX_LINE_BYTES`]; its bytes were dropped as they passed.
    Oversized,
    /// The stream ended inside a line: a writer is still appending to it.
    PartialTail,
    Eof,
}

pub(crate) struct Lines<R> {
    inner: R,
    pub buf: Vec<u8>,
    /// Absolute offset of the line last returned.
    pub start: u64,
    /// Absolute offset just past the last complete line.
    pub next: u64,
    /// The line last returned holds a reflection marker.
    pub marker: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R, offset: u64) -> Self {
        Lines {
            inner,
            buf: Vec::new(),
            start: offset,
            next: offset,
            marker: false,
        }
    }

    pub fn next(&mut self) -> io::Result<Event> {
        self.buf.clear();
        self.start = self.next;
        self.marker = false;
        let mut len = 0u64;
        // Set once the line outgrows the limit: from then on bytes are only scanned.
        let mut overflow: Option<Stream> = None;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(avail) => avail,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(if len == 0 {
                    Event::Eof
                } else {
                    Event::PartialTail
                });
            }
            let newline = avail.iter().position(|&b| b == b'\n');
            let piece = &avail[..newline.unwrap_or(avail.len())];
            if overflow.is_none() && self.buf.len() + piece.len() > MAX_LINE_BYTES {
                let mut stream = Stream::default();
                self.marker |= stream.feed(&self.buf);
                self.buf.clear();
                overflow = Some(stream);
            }
            match overflow.as_mut() {
                Some(stream) => self.marker |= stream.feed(piece),
                None => self.buf.extend_from_slice(piece),
            }
            let used = piece.len() + usize::from(newline.is_some());
            self.inner.consume(used);
            len += used as u64;
            if newline.is_some() {
                self.next = self.start + len;
                if overflow.is_some() {
                    return Ok(Event::Oversized);
                }
                self.marker = has_marker(&self.buf);
                return Ok(Event::Line);
            }
        }
    }
}

/// Written into the environment or prompt of reflection workers (csep-original §4.1).
const MARKERS: [&[u8]; 2] = [b"CSEP_REFLECTION_JOB_ID=", b"CSEP_REFLECTION_CHILD=1"];
const LONGEST: usize = 23;

pub(crate) fn has_marker(hay: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = hay[from..].iter().position(|&b| b == b'C') {
        let rest = &hay[from + at..];
        if MARKERS.iter().any(|m| rest.starts_with(m)) {
            return true;
        }
        from += at + 1;
    }
    false
}

/// Marker search over a line seen in pieces; keeps the last `LONGEST - 1` bytes so a
/// marker split across two pieces is still found.
#[derive(Default)]
struct Stream {
    tail: Vec<u8>,
}

impl Stream {
    fn feed(&mut self, piece: &[u8]) -> bool {
        let keep = LONGEST - 1;
        let mut joint = std::mem::take(&mut self.tail);
        joint.extend_from_slice(&piece[..piece.len().min(keep)]);
        let found = has_marker(&joint) || has_marker(piece);
        if piece.len() >= keep {
            joint.clear();
            joint.extend_from_slice(&piece[piece.len() - keep..]);
        } else {
            let cut = joint.len().saturating_sub(keep);
            joint.drain(..cut);
        }
        self.tail = joint;
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(data: &[u8], cap: usize) -> Vec<(Event, Vec<u8>, u64, u64)> {
        let mut lines = Lines::new(io::BufReader::with_capacity(cap, data), 100);
        let mut out = Vec::new();
        loop {
            let ev = lines.next().unwrap();
            let done = matches!(ev, Event::Eof | Event::PartialTail);
            out.push((ev, lines.buf.clone(), lines.start, lines.next));
            if done {
                return out;
            }
        }
    }

    #[test]
    fn offsets_are_absolute_and_partial_tail_is_not_consumed() {
        let ev = events(b"ab\n\ncd\nef", 3);
        assert_eq!(ev[0], (Event::Line, b"ab".to_vec(), 100, 103));
        assert_eq!(ev[1], (Event::Line, b"".to_vec(), 103, 104));
        assert_eq!(ev[2], (Event::Line, b"cd".to_vec(), 104, 107));
        assert_eq!(ev[3].0, Event::PartialTail);
        assert_eq!((ev[3].2, ev[3].3), (107, 107));
    }

    #[test]
    fn marker_split_across_buffer_refills_of_an_oversized_line_is_found() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 5];
        data.extend_from_slice(b"CSEP_REFLECTION_CHILD=1");
        data.extend_from_slice(b"\nnext\n");
        let mut lines = Lines::new(io::BufReader::with_capacity(7, &data[..]), 0);
        assert_eq!(lines.next().unwrap(), Event::Oversized);
        assert!(lines.marker);
        assert_eq!(lines.next().unwrap(), Event::Line);
        assert!(!lines.marker);
        assert_eq!(lines.buf, b"next");
    }

    #[test]
    fn marker_search_finds_both_markers_only() {
        assert!(has_marker(b"env CSEP_REFLECTION_JOB_ID=42 x"));
        assert!(has_marker(b"CCSEP_REFLECTION_CHILD=1"));
        assert!(!has_marker(b"CSEP_REFLECTION_CHILD=0 CSEP_REFLECTION"));
    }
}
