//! ABA routing transit number: 9 digits with 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0
//! (mod 10), and a first two digits in a range the ABA assigns: 00 (US government), 01–12
//! (Federal Reserve districts), 21–32 (thrifts), 61–72 (electronic transactions), 80 (traveler's
//! cheques) — ABA / Accuity "Key to Routing Numbers". All zeros is rejected.

use super::digit_array;

pub fn is_valid(s: &str) -> bool {
    let Some((d, 9)) = digit_array::<9>(s) else {
        return false;
    };
    let prefix = d[0] * 10 + d[1];
    let checksum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
    matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80)
        && checksum % 10 == 0
        && d.iter().any(|&x| x != 0)
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_valid() {
        assert!(is_valid("011000015"));
        assert!(is_valid("122105155"));
        assert!(is_valid("021000021"));
        assert!(is_valid("0110-0001-5"));
    }

    #[test]
    fn rejects_bad_checksum() {
        assert!(!is_valid("123456789"));
        assert!(!is_valid("011000016"));
    }

    #[test]
    fn rejects_unassigned_prefix() {
        // Checksum-valid, but 13–20, 33–60, 73–79 and 81–99 are not assigned.
        for s in ["131000018", "500000005", "990000000"] {
            assert!(!is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_zeros_and_wrong_length() {
        assert!(!is_valid("000000000"));
        assert!(!is_valid(""));
        assert!(!is_valid("01100001"));
        assert!(!is_valid("0110000150"));
    }
}
