//! DEA registration number: two letters and seven digits. The first letter is a registrant type
//! (A B C D E F G H J K L M P R S T U X), the second the registrant's surname initial or `9`; the
//! seventh digit is the last digit of (d1 + d3 + d5) + 2·(d2 + d4 + d6). The format is the DEA
//! Diversion Control Division's; the check-digit rule is the one pharmacy systems verify.

pub fn is_valid(s: &str) -> bool {
    // The last alphanumeric run, so a label in front ("DEA# …") does not matter.
    let tok = s
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .find(|t| !t.is_empty())
        .unwrap_or("");
    let b = tok.as_bytes();
    if b.len() != 9 {
        return false;
    }
    let registrant = matches!(
        b[0].to_ascii_uppercase(),
        b'A'..=b'H' | b'J' | b'K' | b'L' | b'M' | b'P' | b'R' | b'S' | b'T' | b'U' | b'X'
    );
    if !registrant || !(b[1].is_ascii_alphabetic() || b[1] == b'9') {
        return false;
    }
    if !b[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = |i: usize| u32::from(b[i + 1] - b'0'); // d(1) … d(7)
    let sum = d(1) + d(3) + d(5) + 2 * (d(2) + d(4) + d(6));
    sum % 10 == d(7)
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_valid() {
        assert!(is_valid("AB1234563"));
        assert!(is_valid("ab1234563"));
        assert!(is_valid("DEA# AB1234563"));
        assert!(is_valid("X91234563")); // business registrant: `9` as second character
        assert!(is_valid("MZ0000000"));
    }

    #[test]
    fn rejects_bad_check_digit() {
        assert!(!is_valid("AB1234567"));
        assert!(!is_valid("AB1234560"));
    }

    #[test]
    fn rejects_unknown_registrant_type() {
        for s in [
            "IB1234563",
            "NB1234563",
            "OB1234563",
            "QB1234563",
            "ZB1234563",
            "9B1234563",
        ] {
            assert!(!is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects_bad_second_character() {
        assert!(!is_valid("A81234563"));
    }

    #[test]
    fn rejects_wrong_shape() {
        assert!(!is_valid(""));
        assert!(!is_valid("AB123456"));
        assert!(!is_valid("AB12345633"));
        assert!(!is_valid("XAB1234563"));
        assert!(!is_valid("AB12345X3"));
    }
}
