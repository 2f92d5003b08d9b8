//! North American Numbering Plan phone number: 10 digits, or 11 with a leading country code 1.
//! Area code `NXX` with N in 2–9, middle digit not 9 (N9X is reserved for expansion) and not an
//! N11 service code; exchange `NXX` with N in 2–9 and not N11 (NANPA numbering resources and the
//! ATIS INC guidelines). All-same-digit numbers are rejected. The fictitious 555-0100–0199 lines
//! (NANPA) are deliberately accepted. A `+` followed by a country code other than 1 means the
//! number is not NANP at all.

use super::digit_array;

pub fn is_valid(s: &str) -> bool {
    if let Some(i) = s.find('+') {
        let after = s[i + 1..].trim_start();
        if !after.starts_with('1') {
            return false;
        }
    }
    let Some((buf, n)) = digit_array::<11>(s) else {
        return false;
    };
    let d = match n {
        10 => &buf[..10],
        11 if buf[0] == 1 => &buf[1..],
        _ => return false,
    };
    let n11 = |x: &[u32]| x[1] == 1 && x[2] == 1;
    let (area, exchange) = (&d[..3], &d[3..6]);
    area[0] >= 2
        && area[1] != 9
        && !n11(area)
        && exchange[0] >= 2
        && !n11(exchange)
        && d.iter().any(|&x| x != d[0])
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_common_formats() {
        for s in [
            "2025550142",
            "202-555-0142",
            "(202) 555-0142",
            "202.555.0142",
            "+1 202 555 0142",
            "+12025550142",
            "1-202-555-0142",
            "tel:+1-202-555-0142",
            "+1 (800) 275-2273",
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn accepts_fictitious_555_01xx() {
        assert!(is_valid("+1 555 555 0142"));
        assert!(is_valid("(555) 555-0100"));
        assert!(is_valid("555-555-0199"));
    }

    #[test]
    fn rejects_bad_area_code() {
        for s in [
            "102-555-0142",
            "002-555-0142",
            "911-555-0142",
            "411-555-0142",
            "296-555-0142",
        ] {
            assert!(!is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_bad_exchange() {
        for s in [
            "202-155-0142",
            "202-055-0142",
            "202-911-0142",
            "202-411-0142",
        ] {
            assert!(!is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_all_same_digit() {
        assert!(!is_valid("222-222-2222"));
        assert!(!is_valid("(888) 888-8888"));
    }

    #[test]
    fn rejects_other_country_codes() {
        assert!(!is_valid("+44 2025550142"));
        assert!(!is_valid("+7 202 555 0142"));
        assert!(!is_valid("+ 33 202 555 014"));
    }

    #[test]
    fn rejects_wrong_length() {
        assert!(!is_valid(""));
        assert!(!is_valid("202-555-014"));
        assert!(!is_valid("202-555-01420"));
        assert!(!is_valid("2-202-555-0142")); // 11 digits not starting with 1
    }
}
