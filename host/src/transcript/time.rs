//! RFC 3339 timestamps to milliseconds since the Unix epoch, without a date library.

/// Parses `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`. A missing offset is read as UTC, since
/// both clients write `Z`. Instants before 1970 and malformed input give `None`.
pub(crate) fn parse_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, min, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let first = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - first < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == first {
            return None;
        }
        for _ in (i - first)..3 {
            millis *= 10;
        }
    }
    let offset_min = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let (h, m) = if sep(i + 3, b":") {
                (num(i + 1, i + 3)?, num(i + 4, i + 6)?)
            } else {
                (num(i + 1, i + 3)?, num(i + 3, i + 5)?)
            };
            i += if sep(i + 3, b":") { 6 } else { 5 };
            let total = h * 60 + m;
            if sign == b'-' { -total } else { total }
        }
        Some(_) => return None,
    };
    if i != b.len() {
        return None;
    }
    // A leap second is folded into the next second's first instant.
    let secs = crate::timefmt::days_from_civil(year, month as u32, day as u32) * 86_400
        + hour * 3600
        + min * 60
        + sec
        - offset_min * 60;
    u64::try_from(secs * 1000 + millis).ok()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn parses_the_shapes_clients_write() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        // Codex's own `started_at_ms` for the same event in the 0.169.0 fixture.
        assert_eq!(
            parse_ms("2026-11-25T12:55:10.048Z"),
            Some(1_795_611_310_048)
        );
        assert_eq!(
            parse_ms("2026-11-25T12:55:10.0481234Z"),
            Some(1_795_611_310_048)
        );
        assert_eq!(parse_ms("2026-11-25T12:55:10.4Z"), Some(1_795_611_310_400));
        assert_eq!(
            parse_ms("2026-11-25T20:55:10.048+08:00"),
            Some(1_795_611_310_048)
        );
        assert_eq!(
            parse_ms("2026-11-25T04:55:10.048-0800"),
            Some(1_795_611_310_048)
        );
        assert_eq!(parse_ms("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
    }

    #[test]
    fn rejects_malformed_and_pre_epoch_input() {
        for bad in [
            "",
            "2026-11-25",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T12:00:00.Z",
            "2026-11-25T12:00:00Zjunk",
            "1969-12-31T23:59:59Z",
            "２０２６-11-25T12:00:00Z",
        ] {
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
    }
}
