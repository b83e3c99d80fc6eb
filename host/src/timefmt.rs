//! UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ`, and back; and the points in time people type
//! on a command line (`30m`, `1w`, `yesterday`, a date, RFC 3339), read with jiff.

use std::str::FromStr;

use jiff::{Span, Timestamp, Zoned, civil, tz::TimeZone};

/// A time on the command line that is neither a duration, a date nor a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{given:?} is not a time: use a duration back from now (30m, 12h, 7d, 1w, \"2 days\"), \
     today, yesterday, a date (2026-11-01, local midnight) or a timestamp (2026-11-01T09:30:00Z)"
)]
pub struct TimeError {
    pub given: String,
}

/// Reads a point in the past as milliseconds since the epoch: a duration before `now_ms`
/// (jiff's friendly format: `30m`, `12h`, `7d`, `1w`, `1 week 2 days`, `PT2H`), `now`,
/// `today` and `yesterday` (local midnight), a date (local midnight), a civil date and
/// time (local), or an RFC 3339 timestamp. Days and weeks are calendar days in the
/// local time zone.
pub fn parse_since(given: &str, now_ms: u64) -> Result<u64, TimeError> {
    let tz = TimeZone::try_system().unwrap_or(TimeZone::UTC);
    parse_since_in(given, now_ms, tz)
}

fn parse_since_in(given: &str, now_ms: u64, tz: TimeZone) -> Result<u64, TimeError> {
    let err = || TimeError {
        given: given.to_string(),
    };
    let s = given.trim();
    let now = Timestamp::from_millisecond(now_ms as i64)
        .map_err(|_| err())?
        .to_zoned(tz.clone());
    let ms = |z: &Zoned| u64::try_from(z.timestamp().as_millisecond()).unwrap_or(0);
    let midnight = |z: Zoned| z.start_of_day().map_err(|_| err());
    match s.to_ascii_lowercase().as_str() {
        "now" => return Ok(now_ms),
        "today" => return midnight(now).map(|z| ms(&z)),
        "yesterday" => {
            let z = now.checked_sub(Span::new().days(1)).map_err(|_| err())?;
            return midnight(z).map(|z| ms(&z));
        }
        _ => {}
    }
    if let Ok(span) = Span::from_str(s) {
        let span = if span.is_negative() {
            span.negate()
        } else {
            span
        };
        return now.checked_sub(span).map(|z| ms(&z)).map_err(|_| err());
    }
    if let Ok(t) = Timestamp::from_str(s) {
        return u64::try_from(t.as_millisecond()).map_err(|_| err());
    }
    if let Ok(dt) = civil::DateTime::from_str(s) {
        return dt.to_zoned(tz.clone()).map(|z| ms(&z)).map_err(|_| err());
    }
    if let Ok(d) = civil::Date::from_str(s) {
        return d.to_zoned(tz).map(|z| ms(&z)).map_err(|_| err());
    }
    Err(err())
}

/// The wall clock in milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Formats milliseconds since the Unix epoch.
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `YYYY-MM-DD` (midnight UTC) into milliseconds since the epoch.
pub fn parse_date(s: &str) -> Option<u64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    u64::try_from(days).ok().map(|d| d * 86_400_000)
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date: the one civil-date conversion.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_079_200_000), "2025-11-25T14:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400_000));
        assert_eq!(parse_date("2025-13-01"), None);
        assert_eq!(parse_date("nope"), None);
    }

    #[test]
    fn since_reads_durations_dates_timestamps_and_words() {
        let parse_since = |s: &str, now| parse_since_in(s, now, TimeZone::UTC);
        let now = 1_764_079_200_000; // 2025-11-25T14:00:00Z
        let m = 60_000;
        assert_eq!(parse_since("30m", now), Ok(now - 30 * m));
        assert_eq!(parse_since("12h", now), Ok(now - 720 * m));
        assert_eq!(parse_since("7d", now), Ok(now - 7 * 1440 * m));
        assert_eq!(parse_since("1w", now), Ok(now - 7 * 1440 * m));
        assert_eq!(
            parse_since("2 days 3h", now),
            Ok(now - (2 * 1440 + 180) * m)
        );
        assert_eq!(parse_since("today", now), Ok(now - 14 * 60 * m));
        assert_eq!(parse_since("Yesterday", now), Ok(now - (24 + 14) * 60 * m));
        assert_eq!(parse_since("2025-11-01", now), Ok(1_761_955_200_000));
        assert_eq!(
            parse_since("2025-11-25T13:00:00Z", now),
            Ok(now - 60 * m),
            "RFC 3339"
        );
        assert_eq!(
            parse_since("2025-11-25T15:00:00+02:00", now),
            Ok(now - 60 * m)
        );
        assert_eq!(parse_since("2025-11-25T13:30", now), Ok(now - 30 * m));
        assert!(parse_since("soon", now).is_err());
        assert!(parse_since("", now).is_err());
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            parse_since_in("today", now, tokyo),
            Ok(1_764_082_800_000 - 86_400_000),
            "local midnight: 00:00 on the 25th in Tokyo is 15:00 UTC on the 24th"
        );
    }
}
