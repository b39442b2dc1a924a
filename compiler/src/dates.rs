//! Calendar dates as clic writes them (`YYYY-MM-DD`, UTC). Pure: no clock is read here.

/// Whether `YYYY-MM-DD` names a real day of the Gregorian calendar.
pub fn is_calendar_date(s: &str) -> bool {
    let mut parts = s.split('-').map(str::parse::<u32>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `YYYY-MM-DD` of a Unix time (seconds), in UTC: Howard Hinnant's days-to-civil.
pub fn utc_date(seconds: i64) -> String {
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_civil_agrees_with_the_calendar() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_796_083_200), "2026-12-01");
        // Every day of four centuries round-trips through the calendar check.
        for day in (-200 * 365..200 * 365).step_by(37) {
            assert!(is_calendar_date(&utc_date(day * 86_400)), "{day}");
        }
        assert!(!is_calendar_date("2023-02-29"));
        assert!(is_calendar_date("2024-02-29"));
    }
}
