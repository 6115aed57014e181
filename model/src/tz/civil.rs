//! Broken-down time from a UNIX time and an offset, as glibc's `__offtime` computes it.

const SECS_PER_HOUR: i64 = 60 * 60;
const SECS_PER_DAY: i64 = SECS_PER_HOUR * 24;

/// Cumulative days before each month, for common and leap years (glibc's `__mon_yday`).
pub(crate) const MON_YDAY: [[u16; 13]; 2] = [
    [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
    [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
];

/// The fields of `struct tm` that tai64nlocal prints, with C's meanings:
/// `year` counts from 1900 and `mon` from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i32,
    pub mon: i32,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn div_floor(a: i64, b: i64) -> i64 {
    a / b - i64::from(a % b < 0)
}

fn leaps_thru_end_of(y: i64) -> i64 {
    div_floor(y, 4) - div_floor(y, 100) + div_floor(y, 400)
}

/// `t` seconds after the UNIX epoch, shown `offset` seconds east of UTC. `None` when
/// the year does not fit C's `int` (glibc then fails with EOVERFLOW).
pub fn offtime(t: i64, offset: i64) -> Option<Tm> {
    let mut days = t / SECS_PER_DAY;
    let mut rem = t % SECS_PER_DAY + offset;
    while rem < 0 {
        rem += SECS_PER_DAY;
        days -= 1;
    }
    while rem >= SECS_PER_DAY {
        rem -= SECS_PER_DAY;
        days += 1;
    }
    let hour = rem / SECS_PER_HOUR;
    rem %= SECS_PER_HOUR;
    let (min, sec) = (rem / 60, rem % 60);

    let mut y: i64 = 1970;
    while days < 0 || days >= if is_leap(y) { 366 } else { 365 } {
        // Guess a corrected year, assuming 365 days per year.
        let yg = y + days / 365 - i64::from(days % 365 < 0);
        days -= (yg - y) * 365 + leaps_thru_end_of(yg - 1) - leaps_thru_end_of(y - 1);
        y = yg;
    }
    let year = i32::try_from(y - 1900).ok()?;
    let table = &MON_YDAY[usize::from(is_leap(y))];
    let mut mon = 11;
    while days < i64::from(table[mon]) {
        mon -= 1;
    }
    Some(Tm {
        year,
        mon: mon as i32,
        mday: (days - i64::from(table[mon]) + 1) as i32,
        hour: hour as i32,
        min: min as i32,
        sec: sec as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(year: i32, mon: i32, mday: i32, hour: i32, min: i32, sec: i32) -> Tm {
        Tm {
            year: year - 1900,
            mon: mon - 1,
            mday,
            hour,
            min,
            sec,
        }
    }

    #[test]
    fn known_moments() {
        assert_eq!(offtime(0, 0), Some(tm(1970, 1, 1, 0, 0, 0)));
        assert_eq!(offtime(-10, 0), Some(tm(1969, 12, 31, 23, 59, 50)));
        assert_eq!(offtime(935_467_445, 0), Some(tm(1999, 8, 24, 4, 4, 5)));
        assert_eq!(offtime(935_467_445, -7 * 3600), Some(tm(1999, 8, 23, 21, 4, 5)));
        assert_eq!(offtime(951_782_400, 0), Some(tm(2000, 2, 29, 0, 0, 0)));
        assert_eq!(offtime(253_402_300_800, 0), Some(tm(10000, 1, 1, 0, 0, 0)));
        assert_eq!(offtime(-62_167_219_200, 0), Some(tm(0, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn years_outside_c_int_fail_like_glibc() {
        // The last second whose year (minus 1900) still fits an int, and the next.
        let last = 67_768_036_191_676_799;
        assert_eq!(offtime(last, 0).map(|t| t.year), Some(i32::MAX));
        assert_eq!(offtime(last + 1, 0), None);
        assert_eq!(offtime(i64::MIN, 0), None);
        assert_eq!(offtime(i64::MAX, 0), None);
    }
}
