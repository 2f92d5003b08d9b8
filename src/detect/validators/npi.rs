//! National Provider Identifier: 10 digits, the first 1 or 2, the last a Luhn check digit
//! computed as if the number carried the ISO 7812 health-card prefix 80840 (CMS, "Requirements
//! for Check Digit Algorithm for the National Provider Identifier", 45 CFR 162.406). The prefix
//! always adds 24 to the Luhn sum of the 10 digits.

use super::digit_array;
use super::luhn::luhn_sum;

/// Luhn contribution of the implicit "80840" prefix in front of a 10-digit NPI.
const PREFIX_SUM: u32 = 24;

pub fn is_valid(s: &str) -> bool {
    match digit_array::<10>(s) {
        Some((d, 10)) => matches!(d[0], 1 | 2) && (PREFIX_SUM + luhn_sum(&d)) % 10 == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_valid_npis() {
        assert!(is_valid("1234567893"));
        assert!(is_valid("1245319599"));
        assert!(is_valid("NPI: 1245319599"));
    }

    #[test]
    fn rejects_bad_check_digit() {
        assert!(!is_valid("1234567890"));
        assert!(!is_valid("1245319598"));
    }

    #[test]
    fn rejects_first_digit_other_than_1_or_2() {
        // Check digit correct for the 80840 prefix, but NPIs start with 1 or 2.
        assert!(!is_valid("3234567899"));
    }

    #[test]
    fn rejects_wrong_length() {
        assert!(!is_valid(""));
        assert!(!is_valid("123456789"));
        assert!(!is_valid("12345678933"));
    }
}
