//! A phone number in any national format (ITU-T E.164): at most 15 digits, and at least 7
//! (shorter local numbers exist, but under 7 digits a cue word is followed by times, counts and
//! room numbers far more often than by a number to call). An extension (`x123`, `ext. 45`) is
//! not part of the count. All-same-digit runs are placeholders, not numbers.

pub fn is_valid(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let number = lower.split(['x', 'e']).next().unwrap_or("");
    let digits: Vec<u8> = number.bytes().filter(u8::is_ascii_digit).collect();
    (7..=15).contains(&digits.len()) && digits.iter().any(|&d| d != digits[0])
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn seven_to_fifteen_digits_before_an_extension() {
        assert!(is_valid("467 3395"));
        assert!(is_valid("+46 (0)8 928 571 38"));
        assert!(is_valid("259.735.7502x459"));
        assert!(is_valid("0688 872 49 99 ext. 12"));
        assert!(!is_valid("10 30"));
        assert!(!is_valid("1234 56"));
        assert!(!is_valid("1234567890123456"));
        assert!(!is_valid("777 7777"));
    }
}
