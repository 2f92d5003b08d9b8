//! IBAN (ISO 13616): country code, two check digits, then the account; valid when the
//! rearranged number (country and check digits moved to the end, letters as 10–35) is 1 mod 97.
//! Spaces are allowed between groups.

pub fn is_valid(s: &str) -> bool {
    let chars: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&chars.len())
        || !chars[..2].iter().all(u8::is_ascii_uppercase)
        || !chars[2..4].iter().all(u8::is_ascii_digit)
        || !chars.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut rem = 0u32;
    for &b in chars[4..].iter().chain(&chars[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn mod_97() {
        assert!(is_valid("DE89 3704 0044 0532 0130 00"));
        assert!(is_valid("GB82WEST12345698765432"));
        assert!(!is_valid("GB82WEST12345698765433"));
        assert!(!is_valid("NO00000000000000000000000001"));
        assert!(!is_valid("DE89"));
    }
}
