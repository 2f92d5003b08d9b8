//! US Social Security Number: 9 digits written `AAAGGSSSS` or `AAA-GG-SSSS` with one separator
//! (`-`, space or `.`) used at both group breaks. The SSA never issues area 000, 666 or 900–999,
//! group 00 or serial 0000 (SSA, "Social Security Number Randomization", 2011). Also rejected:
//! all-same-digit numbers and 123-45-6789, which are placeholders rather than anyone's number.
//! The Woolworth wallet number 078-05-1120 is structurally valid and is accepted.

pub fn is_valid(s: &str) -> bool {
    // Tolerate text around the number ("SSN: …"), not inside it.
    let b = s.trim_matches(|c: char| !c.is_ascii_digit()).as_bytes();
    let mut d = [0u8; 9];
    match b.len() {
        9 => d.copy_from_slice(b),
        11 if b[3] == b[6] && matches!(b[3], b'-' | b' ' | b'.') => {
            d[..3].copy_from_slice(&b[..3]);
            d[3..5].copy_from_slice(&b[4..6]);
            d[5..].copy_from_slice(&b[7..]);
        }
        _ => return false,
    }
    if !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (area, group, serial) = (&d[..3], &d[3..5], &d[5..]);
    area != b"000"
        && area != b"666"
        && area[0] != b'9'
        && group != b"00"
        && serial != b"0000"
        && d.iter().any(|&c| c != d[0])
        && &d != b"123456789"
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_well_formed() {
        for s in [
            "234-56-7890",
            "234 56 7890",
            "234.56.7890",
            "234567890",
            "SSN: 234-56-7890",
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn accepts_woolworth_number() {
        assert!(is_valid("078-05-1120"));
        assert!(is_valid("078051120"));
    }

    #[test]
    fn rejects_mixed_or_partial_separators() {
        assert!(!is_valid("234-56 7890"));
        assert!(!is_valid("234.56-7890"));
        assert!(!is_valid("234-567890"));
        assert!(!is_valid("2345-6-7890"));
        assert!(!is_valid("234_56_7890"));
    }

    #[test]
    fn rejects_never_issued_area_group_serial() {
        for s in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "234-00-5678",
            "234-56-0000",
        ] {
            assert!(!is_valid(s), "{s}");
        }
        assert!(is_valid("899-12-3456"));
    }

    #[test]
    fn rejects_placeholders() {
        assert!(!is_valid("111-11-1111"));
        assert!(!is_valid("555555555"));
        assert!(!is_valid("123-45-6789"));
        assert!(!is_valid("123456789"));
    }

    #[test]
    fn rejects_wrong_length() {
        assert!(!is_valid(""));
        assert!(!is_valid("234-56-789"));
        assert!(!is_valid("234-56-78901"));
        assert!(!is_valid("2345678901"));
    }
}
