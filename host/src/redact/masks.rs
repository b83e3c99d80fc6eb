//! Bit masks over 64-byte blocks (bit k describes byte k), so the scan can
//! jump from one interesting byte to the next instead of branching per
//! byte. SSE2 (always present on x86-64) computes them 16 bytes at a time;
//! other targets use a portable per-byte version.

pub(crate) const BLOCK: usize = 64;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    /// `[A-Za-z0-9_-]`
    pub word: u64,
    /// `[A-Za-z0-9]`
    pub alnum: u64,
    /// Bytes that start a multi-byte UTF-8 character (`0xC0..=0xFF`).
    pub lead: u64,
    /// `:` and `=`
    pub sep: u64,
    pub dot: u64,
    /// `B` and `b`, for `Bearer`
    pub bee: u64,
    pub dash: u64,
    pub backslash: u64,
}

/// Packs 8 flag bytes (each 0 or 1) into 8 bits, byte 0 to bit 0.
#[inline(always)]
fn pack8(flags: &[u8]) -> u64 {
    let v = u64::from_le_bytes(flags.try_into().expect("8 bytes"));
    v.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

#[inline(always)]
fn pack(flags: &[u8; BLOCK]) -> u64 {
    flags
        .chunks_exact(8)
        .enumerate()
        .fold(0, |m, (k, c)| m | pack8(c) << (8 * k))
}

#[cfg(target_arch = "x86_64")]
use sse2::of_block;

#[cfg(not(target_arch = "x86_64"))]
use portable as of_block;

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BLOCK, Masks};
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };

    #[inline]
    #[target_feature(enable = "sse2")]
    fn splat(c: u8) -> __m128i {
        _mm_set1_epi8(c as i8)
    }

    /// Bytes strictly between `lo` and `hi` (signed compare: bytes >= 0x80
    /// are negative, so non-ASCII never matches an ASCII range).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn between(v: __m128i, lo: u8, hi: u8) -> __m128i {
        _mm_and_si128(_mm_cmpgt_epi8(v, splat(lo)), _mm_cmpgt_epi8(splat(hi), v))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn bits(v: __m128i, shift: usize) -> u64 {
        u64::from(_mm_movemask_epi8(v) as u16) << shift
    }

    #[inline(always)]
    pub(super) fn of_block(block: &[u8; BLOCK]) -> Masks {
        // SAFETY: SSE2 is part of the x86-64 baseline, so it is always present.
        unsafe { of_block_sse2(block) }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn of_block_sse2(block: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for k in 0..BLOCK / 16 {
            // SAFETY: the 16 bytes at `k * 16` are inside `block`; the load is unaligned.
            let v = unsafe { _mm_loadu_si128(block.as_ptr().add(k * 16).cast()) };
            let eq = |c: u8| _mm_cmpeq_epi8(v, splat(c));
            let folded = _mm_or_si128(v, splat(0x20));
            let letter = between(folded, b'a' - 1, b'z' + 1);
            let digit = between(v, b'0' - 1, b'9' + 1);
            let dash = eq(b'-');
            let alnum = _mm_or_si128(letter, digit);
            let word = _mm_or_si128(alnum, _mm_or_si128(dash, eq(b'_')));
            // Signed compare: 0xC0..=0xFF are -64..=-1.
            let lead = _mm_and_si128(_mm_cmpgt_epi8(v, splat(0xBF)), _mm_cmpgt_epi8(splat(0), v));
            let shift = k * 16;
            m.word |= bits(word, shift);
            m.alnum |= bits(alnum, shift);
            m.lead |= bits(lead, shift);
            m.sep |= bits(_mm_or_si128(eq(b':'), eq(b'=')), shift);
            m.dot |= bits(eq(b'.'), shift);
            m.bee |= bits(_mm_cmpeq_epi8(folded, splat(b'b')), shift);
            m.dash |= bits(dash, shift);
            m.backslash |= bits(eq(b'\\'), shift);
        }
        m
    }
}

/// Masks for one full block, one byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn portable(block: &[u8; BLOCK]) -> Masks {
    let mut word = [0u8; BLOCK];
    let mut alnum = [0u8; BLOCK];
    let mut lead = [0u8; BLOCK];
    let mut sep = [0u8; BLOCK];
    let mut dot = [0u8; BLOCK];
    let mut bee = [0u8; BLOCK];
    let mut dash = [0u8; BLOCK];
    let mut backslash = [0u8; BLOCK];
    for k in 0..BLOCK {
        let c = block[k];
        let folded = c | 0x20;
        let letter = folded.wrapping_sub(b'a') < 26;
        let digit = c.wrapping_sub(b'0') < 10;
        word[k] = u8::from(letter | digit | (c == b'_') | (c == b'-'));
        alnum[k] = u8::from(letter | digit);
        lead[k] = u8::from(c >= 0xC0);
        sep[k] = u8::from((c == b':') | (c == b'='));
        dot[k] = u8::from(c == b'.');
        bee[k] = u8::from(folded == b'b');
        dash[k] = u8::from(c == b'-');
        backslash[k] = u8::from(c == b'\\');
    }
    Masks {
        word: pack(&word),
        alnum: pack(&alnum),
        lead: pack(&lead),
        sep: pack(&sep),
        dot: pack(&dot),
        bee: pack(&bee),
        dash: pack(&dash),
        backslash: pack(&backslash),
    }
}

/// Masks for the block starting at `base`; bytes past the end count as
/// zero (nothing), so the last partial block needs no special case.
#[inline(always)]
pub(crate) fn at(b: &[u8], base: usize) -> Masks {
    if let Some(block) = b.get(base..base + BLOCK) {
        of_block(block.try_into().expect("64 bytes"))
    } else if base < b.len() {
        let mut padded = [0u8; BLOCK];
        padded[..b.len() - base].copy_from_slice(&b[base..]);
        of_block(&padded)
    } else {
        Masks::default()
    }
}

/// Masks for the 64 bytes just before `end` (zero before the text starts).
pub(crate) fn before(b: &[u8], end: usize) -> Masks {
    match end.checked_sub(BLOCK) {
        Some(base) => at(b, base),
        None => {
            let mut padded = [0u8; BLOCK];
            padded[BLOCK - end..].copy_from_slice(&b[..end]);
            of_block(&padded)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bytes::is_word;
    use super::*;

    #[test]
    fn fast_and_portable_masks_agree() {
        let text: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for block in text.chunks_exact(BLOCK) {
            let block: &[u8; BLOCK] = block.try_into().unwrap();
            assert_eq!(of_block(block), portable(block));
        }
    }

    #[test]
    fn masks_match_a_per_byte_reading() {
        let text: Vec<u8> = (0..=255u8)
            .chain(b"Bearer x-y:z=w.\\n".iter().copied())
            .collect();
        for base in (0..text.len()).step_by(BLOCK) {
            let m = at(&text, base);
            for k in 0..BLOCK {
                let c = text.get(base + k).copied().unwrap_or(0);
                let bit = |mask: u64| mask >> k & 1 == 1;
                assert_eq!(bit(m.word), is_word(c), "{c}");
                assert_eq!(bit(m.alnum), c.is_ascii_alphanumeric(), "{c}");
                assert_eq!(bit(m.lead), c >= 0xC0, "{c}");
                assert_eq!(bit(m.sep), c == b':' || c == b'=');
                assert_eq!(bit(m.dot), c == b'.');
                assert_eq!(bit(m.bee), c == b'b' || c == b'B');
                assert_eq!(bit(m.dash), c == b'-');
                assert_eq!(bit(m.backslash), c == b'\\');
            }
        }
    }
}
