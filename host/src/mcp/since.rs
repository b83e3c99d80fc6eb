//! `since` as `csep recall --since` takes it: `7d`, `12h`, or a date.

use crate::timefmt::parse_date;

/// The time (ms since the epoch) `since` names, counted back from `now_ms`.
pub fn parse(since: &str, now_ms: u64) -> Option<u64> {
    let s = since.trim();
    let back = |n: &str, per: u64| {
        n.trim()
            .parse::<u64>()
            .ok()
            .map(|n| now_ms.saturating_sub(n.saturating_mul(per)))
    };
    if let Some(n) = s.strip_suffix('d') {
        back(n, 86_400_000)
    } else if let Some(n) = s.strip_suffix('h') {
        back(n, 3_600_000)
    } else {
        parse_date(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_count_back_and_dates_parse() {
        let now = 10 * 86_400_000;
        assert_eq!(parse("7d", now), Some(3 * 86_400_000));
        assert_eq!(parse("12h", now), Some(now - 12 * 3_600_000));
        assert!(parse("2026-11-01", now).is_some());
        assert_eq!(parse("soon", now), None);
        assert_eq!(parse("xd", now), None);
    }
}
